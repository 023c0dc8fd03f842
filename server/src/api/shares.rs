//! Shares: create, info and claim (protocol §5).

use axum::{extract::State, http::StatusCode, Json};
use ots_proto::{
    ClaimRequest, Claimed, CreateRequest, Created, ErrorBody, Opaque, ShareId, ShareInfo,
    ShareState, Token, PROTOCOL_VERSION,
};
use tracing::instrument;

use super::{
    error::ApiError,
    extract::{Claims, Creates, JsonBody, JsonRequest, SharePath, Throttle},
    tokens::{fresh_id, fresh_token, sha256, token_hash},
};
use crate::{
    admin::{create_tokens::Creator, note_create},
    clock::rfc3339,
    state::AppState,
    store::{self, Digest, NewShare},
};

/// Mask domain of a ticket kept for `request_id` replays.
const REPLAY_MASK_LABEL: &[u8] = b"onetimeshare/v1/replay-mask";
/// Largest body of a claim request.
const CLAIM_BODY_BYTES: usize = 4096;
/// Room in a create request for everything but the inline payload.
const CREATE_FIELDS_BYTES: usize = 16 * 1024;

impl JsonRequest for CreateRequest {
    /// The inline payload in base64, and the rest.
    fn max_body_bytes(state: &AppState) -> usize {
        let inline = usize::try_from(state.config.max_inline_bytes).unwrap_or(usize::MAX / 2);
        inline.saturating_mul(4) / 3 + CREATE_FIELDS_BYTES
    }
}

impl JsonRequest for ClaimRequest {
    fn max_body_bytes(_: &AppState) -> usize {
        CLAIM_BODY_BYTES
    }
}

/// Creates a share: the protocol's rules, then this server's limits.
#[utoipa::path(
    post, path = "/api/v1/shares", tag = "shares",
    request_body = CreateRequest,
    responses(
        (status = 201, description = "created", body = Created),
        (status = 400, description = "a field out of range or malformed (`invalid`)", body = ErrorBody),
        (status = 413, description = "size or body over the server's limit (`too_large`)", body = ErrorBody),
        (status = 429, description = "over the create rate of this address (`rate_limited`)", body = ErrorBody),
        (status = 503, description = "storage unavailable (`unavailable`)", body = ErrorBody),
        (status = 507, description = "the share would pass the storage quota (`storage_full`)", body = ErrorBody),
    )
)]
#[instrument(skip_all)]
pub(super) async fn create(
    State(state): State<AppState>,
    _: Throttle<Creates>,
    creator: Creator,
    JsonBody(req): JsonBody<CreateRequest>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let cfg = &state.config;
    req.check_with_expiry(cfg.min_expiry_secs..=cfg.max_expiry_secs)
        .map_err(ApiError::Invalid)?;
    let max_share_bytes = creator.max_share_bytes(cfg);
    if req.size > max_share_bytes {
        return Err(ApiError::TooLarge(format!(
            "size is over {max_share_bytes} bytes"
        )));
    }
    if req.payload.is_some() && req.size > cfg.max_inline_bytes {
        return Err(ApiError::Invalid(format!(
            "an inline payload is at most {} bytes",
            cfg.max_inline_bytes
        )));
    }
    if !state.quota.admits(&*state.store, req.size).await? {
        return Err(ApiError::StorageFull);
    }
    let created_at = state.clock.now();
    let expires_at = created_at + i64::from(req.expires_in);
    let manage_token = fresh_token()?;
    let upload_token = match req.payload {
        Some(_) => None,
        None => Some(fresh_token()?),
    };
    let mut share = NewShare {
        id: fresh_id()?,
        size: req.size,
        created_at,
        expires_at,
        max_downloads: req.max_downloads,
        link_verifier: req.link_verifier.0,
        claim_verifier: req.claim_verifier.0,
        meta: req.meta.0,
        kdf: req.kdf,
        manage_token_hash: token_hash(&manage_token),
        upload_token_hash: upload_token.as_ref().map(token_hash),
        inline_payload: req.payload.map(|p| p.0),
    };
    // 128 random bits never collide in practice; a few tries make it certain.
    for _ in 0..4 {
        if state.store.create(share.clone()).await? {
            tracing::info!(share = %share.id.short(), inline = share.inline_payload.is_some(), "created");
            note_create(
                &state,
                &creator,
                share.inline_payload.is_some(),
                share.id.short(),
            );
            let created = Created {
                id: share.id,
                manage_token,
                expires_at: rfc3339(expires_at),
                upload_token,
            };
            return Ok((StatusCode::CREATED, Json(created)));
        }
        share.id = fresh_id()?;
    }
    Err(ApiError::Internal("could not find a free share id".into()))
}

/// Public facts about a claimable share. Never changes state.
#[utoipa::path(
    get, path = "/api/v1/shares/{id}", tag = "shares",
    params(("id" = ShareId, Path, description = "the share id")),
    responses(
        (status = 200, description = "a claimable share", body = ShareInfo),
        (status = 400, description = "a path segment that does not decode (`invalid`)", body = ErrorBody),
        (status = 404, description = "no such share (`not_found`)", body = ErrorBody),
        (status = 409, description = "still uploading (`not_ready`)", body = ErrorBody),
        (status = 410, description = "consumed, expired, revoked or removed (`gone`, `reason`)", body = ErrorBody),
        (status = 423, description = "locked after wrong passwords (`locked`)", body = ErrorBody),
        (status = 503, description = "storage unavailable (`unavailable`)", body = ErrorBody),
    )
)]
#[instrument(skip_all)]
pub(super) async fn info(
    State(state): State<AppState>,
    SharePath(id): SharePath,
) -> Result<Json<ShareInfo>, ApiError> {
    let rec = state.store.get(id).await?.ok_or(ApiError::NotFound)?;
    let now = state.clock.now();
    if let Some(reason) = rec.gone_reason(now) {
        return Err(reason.into());
    }
    match rec.state_at(now) {
        ShareState::Locked => Err(ApiError::Locked),
        ShareState::Uploading => Err(ApiError::NotReady),
        _ => Ok(Json(ShareInfo {
            v: PROTOCOL_VERSION,
            size: rec.size,
            expires_at: rfc3339(rec.expires_at),
            downloads_left: rec.downloads_left,
            kdf: rec.kdf,
        })),
    }
}

/// The mask that hides a replayable ticket at rest: only a caller with the
/// claim token and request id rebuilds it.
fn replay_mask(id: &store::ShareId, req: &ClaimRequest) -> Digest {
    sha256(&[
        REPLAY_MASK_LABEL,
        &id.to_bytes(),
        req.claim_token.as_bytes(),
        req.request_id.as_ref().map_or(&[][..], |r| &r.0[..]),
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
#[utoipa::path(
    post, path = "/api/v1/shares/{id}/claim", tag = "shares",
    params(("id" = ShareId, Path, description = "the share id")),
    request_body = ClaimRequest,
    responses(
        (status = 200, description = "a download ticket", body = Claimed),
        (status = 400, description = "malformed body (`invalid`)", body = ErrorBody),
        (status = 401, description = "wrong password (`bad_password`, `attempts_left`)", body = ErrorBody),
        (status = 403, description = "wrong link token (`bad_link`)", body = ErrorBody),
        (status = 404, description = "no such share (`not_found`)", body = ErrorBody),
        (status = 409, description = "still uploading (`not_ready`)", body = ErrorBody),
        (status = 410, description = "consumed, expired, revoked or removed (`gone`, `reason`)", body = ErrorBody),
        (status = 413, description = "body over its limit (`too_large`)", body = ErrorBody),
        (status = 423, description = "locked (`locked`)", body = ErrorBody),
        (status = 429, description = "over the claim rate of this address (`rate_limited`)", body = ErrorBody),
        (status = 503, description = "storage unavailable (`unavailable`)", body = ErrorBody),
    )
)]
#[instrument(skip_all)]
pub(super) async fn claim(
    State(state): State<AppState>,
    SharePath(id): SharePath,
    _: Throttle<Claims>,
    JsonBody(req): JsonBody<ClaimRequest>,
) -> Result<Json<Claimed>, ApiError> {
    let ticket = fresh_token()?;
    let mask = replay_mask(&id, &req);
    let claim = store::ClaimRequest {
        link_verifier: token_hash(&req.link_token),
        claim_verifier: token_hash(&req.claim_token),
        request_id: req.request_id.map(|r| r.0),
        ticket_hash: token_hash(&ticket),
        ticket_sealed: xor32(ticket.as_bytes(), &mask),
        ticket_ttl_secs: i64::from(state.config.ticket_ttl_secs),
        now: state.clock.now(),
    };
    let outcome = state.store.claim(id.clone(), claim).await?;
    let (grant, replayed) = Result::from(outcome).inspect_err(|e| match e {
        ApiError::BadLink => tracing::info!(share = %id.short(), "claim with a wrong link token"),
        ApiError::BadPassword { attempts_left } => {
            tracing::info!(share = %id.short(), attempts_left, "claim with a wrong password")
        }
        _ => {}
    })?;
    let ticket = if replayed {
        Token::from_bytes(xor32(&grant.ticket_sealed, &mask))
    } else {
        ticket
    };
    if token_hash(&ticket) != grant.ticket_hash {
        return Err(ApiError::Internal("replayed ticket does not match".into()));
    }
    tracing::info!(share = %id.short(), replayed, downloads_left = grant.downloads_left, "claimed");
    Ok(Json(Claimed {
        ticket,
        ticket_expires_at: rfc3339(grant.ticket_expires_at),
        meta: Opaque(grant.meta),
        size: grant.size,
        downloads_left: grant.downloads_left,
    }))
}
