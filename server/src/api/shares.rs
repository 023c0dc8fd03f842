//! Shares: create, info and claim.

use axum::{
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Extension, Json,
};
use serde::Deserialize;
use serde_json::json;
use tracing::instrument;

use super::{
    ids::{b64, encode_id, short_id, B64Bytes, B64Fixed},
    now, path_id, random32, read_json, rfc3339, sha256, ApiError, AppState, MAX_META_BYTES,
    TICKET_TTL_SECS,
};
use crate::{
    limits::ClientAddr,
    store::{ClaimOutcome, ClaimRequest, Digest, Kdf, NewShare, ShareState},
};

/// Mask domain of a ticket kept for `request_id` replays.
const REPLAY_MASK_LABEL: &[u8] = b"onetimeshare/v1/replay-mask";

/// `POST /api/v1/shares` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    size: u64,
    expires_in: u32,
    max_downloads: u32,
    link_verifier: B64Fixed<32>,
    claim_verifier: B64Fixed<32>,
    meta: B64Bytes,
    kdf: Option<Kdf>,
    #[serde(default)]
    payload: Option<B64Bytes>,
}

/// Whether Argon2id parameters are within protocol §2's bounds.
pub fn kdf_in_range(k: &Kdf) -> bool {
    (8192..=262_144).contains(&k.m_kib) && (1..=10).contains(&k.t) && (1..=4).contains(&k.p)
}

/// Creates a share.
#[instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    client: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if let Some(Extension(addr)) = &client {
        state
            .create_limiter
            .check(addr.ip(&headers, state.config.trust_proxy))?;
    }
    let req: CreateRequest = read_json(&headers, body, state.create_body_limit()).await?;
    let cfg = &state.config;
    if req.size == 0 {
        return Err(ApiError::Invalid("size must be at least 1".into()));
    }
    if !(cfg.min_expiry_secs..=cfg.max_expiry_secs).contains(&req.expires_in) {
        return Err(ApiError::Invalid(format!(
            "expires_in must be within {}..={}",
            cfg.min_expiry_secs, cfg.max_expiry_secs
        )));
    }
    if !(1..=100).contains(&req.max_downloads) {
        return Err(ApiError::Invalid(
            "max_downloads must be within 1..=100".into(),
        ));
    }
    if req.meta.0.is_empty() || req.meta.0.len() > MAX_META_BYTES {
        return Err(ApiError::Invalid(format!(
            "meta must be 1..={MAX_META_BYTES} bytes"
        )));
    }
    if req.kdf.as_ref().is_some_and(|k| !kdf_in_range(k)) {
        return Err(ApiError::Invalid("kdf parameters out of range".into()));
    }
    if req.size > cfg.max_share_bytes {
        return Err(ApiError::TooLarge(format!(
            "size is over {} bytes",
            cfg.max_share_bytes
        )));
    }
    let inline_payload = match req.payload {
        Some(p) => {
            if req.size > cfg.max_inline_bytes {
                return Err(ApiError::Invalid(format!(
                    "an inline payload is at most {} bytes",
                    cfg.max_inline_bytes
                )));
            }
            if p.0.len() as u64 != req.size {
                return Err(ApiError::Invalid("payload length differs from size".into()));
            }
            Some(p.0)
        }
        None => None,
    };
    let created_at = now();
    let expires_at = created_at + i64::from(req.expires_in);
    let manage_token = random32()?;
    let upload_token = if inline_payload.is_none() {
        Some(random32()?)
    } else {
        None
    };
    let mut share = NewShare {
        id: [0; 16],
        size: req.size,
        created_at,
        expires_at,
        max_downloads: req.max_downloads,
        link_verifier: req.link_verifier.0,
        claim_verifier: req.claim_verifier.0,
        meta: req.meta.0,
        kdf: req.kdf,
        manage_token_hash: sha256(&[&manage_token]),
        upload_token_hash: upload_token.map(|t| sha256(&[&t])),
        inline_payload,
    };
    // 128 random bits never collide in practice; a few tries make it certain.
    for _ in 0..4 {
        getrandom::fill(&mut share.id)
            .map_err(|e| ApiError::Internal(format!("getrandom: {e}")))?;
        if state.store.create(share.clone()).await? {
            tracing::info!(share = %short_id(&share.id), inline = share.inline_payload.is_some(), "created");
            let mut body = json!({
                "id": encode_id(&share.id),
                "manage_token": b64(&manage_token),
                "expires_at": rfc3339(expires_at),
            });
            if let Some(t) = upload_token {
                body["upload_token"] = json!(b64(&t));
            }
            return Ok((StatusCode::CREATED, Json(body)).into_response());
        }
    }
    Err(ApiError::Internal("could not find a free share id".into()))
}

/// Public facts about a claimable share. Never changes state.
#[instrument(skip_all)]
pub async fn info(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let rec = state.store.get(id).await?.ok_or(ApiError::NotFound)?;
    let t = now();
    if let Some(reason) = rec.gone_reason(t) {
        return Err(ApiError::Gone(reason));
    }
    match rec.state_at(t) {
        ShareState::Locked => Err(ApiError::Locked),
        ShareState::Uploading => Err(ApiError::NotReady),
        _ => Ok(Json(json!({
            "v": 1,
            "size": rec.size,
            "expires_at": rfc3339(rec.expires_at),
            "downloads_left": rec.downloads_left,
            "kdf": rec.kdf,
        }))
        .into_response()),
    }
}

/// `POST /api/v1/shares/{id}/claim` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimBody {
    link_token: B64Fixed<32>,
    claim_token: B64Fixed<32>,
    #[serde(default)]
    request_id: Option<B64Fixed<16>>,
}

/// The mask that hides a replayable ticket at rest: only a caller with the claim token and request id rebuilds it.
fn replay_mask(id: &[u8; 16], claim_token: &[u8; 32], request_id: Option<&[u8; 16]>) -> Digest {
    sha256(&[
        REPLAY_MASK_LABEL,
        id,
        claim_token,
        request_id.map_or(&[][..], |r| &r[..]),
    ])
}

fn xor32(a: &Digest, b: &Digest) -> Digest {
    let mut out = [0u8; 32];
    for (o, (x, y)) in out.iter_mut().zip(a.iter().zip(b.iter())) {
        *o = x ^ y;
    }
    out
}

/// Claims a download: protocol §5's checks, all inside the store.
#[instrument(skip_all)]
pub async fn claim(
    State(state): State<AppState>,
    client: Option<Extension<ClientAddr>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    if let Some(Extension(addr)) = &client {
        state
            .claim_limiter
            .check(addr.ip(&headers, state.config.trust_proxy))?;
    }
    let req: ClaimBody = read_json(&headers, body, super::CLAIM_BODY_BYTES).await?;
    let ticket = random32()?;
    let mask = replay_mask(
        &id,
        &req.claim_token.0,
        req.request_id.as_ref().map(|r| &r.0),
    );
    let claim = ClaimRequest {
        link_verifier: sha256(&[&req.link_token.0]),
        claim_verifier: sha256(&[&req.claim_token.0]),
        request_id: req.request_id.map(|r| r.0),
        ticket_hash: sha256(&[&ticket]),
        ticket_sealed: xor32(&ticket, &mask),
        ticket_ttl_secs: TICKET_TTL_SECS,
        now: now(),
    };
    let outcome = state.store.claim(id, claim).await?;
    let sid = short_id(&id);
    match outcome {
        ClaimOutcome::NotFound => Err(ApiError::NotFound),
        ClaimOutcome::Gone(r) => Err(ApiError::Gone(r)),
        ClaimOutcome::NotReady => Err(ApiError::NotReady),
        ClaimOutcome::BadLink => {
            tracing::info!(share = %sid, "claim with a wrong link token");
            Err(ApiError::BadLink)
        }
        ClaimOutcome::Locked => Err(ApiError::Locked),
        ClaimOutcome::BadPassword { attempts_left } => {
            tracing::info!(share = %sid, attempts_left, "claim with a wrong password");
            Err(ApiError::BadPassword { attempts_left })
        }
        ClaimOutcome::Granted { grant, replayed } => {
            let ticket = if replayed {
                xor32(&grant.ticket_sealed, &mask)
            } else {
                ticket
            };
            if sha256(&[&ticket]) != grant.ticket_hash {
                return Err(ApiError::Internal("replayed ticket does not match".into()));
            }
            tracing::info!(share = %sid, replayed, downloads_left = grant.downloads_left, "claimed");
            Ok(Json(json!({
                "ticket": b64(&ticket),
                "ticket_expires_at": rfc3339(grant.ticket_expires_at),
                "meta": b64(&grant.meta),
                "size": grant.size,
                "downloads_left": grant.downloads_left,
            }))
            .into_response())
        }
    }
}
