//! Uploads: parts and completion (protocol §5).

use std::time::Duration;

use axum::{
    body::Body,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use ots_proto::{ErrorBody, ShareId, PART_SIZE};
use tokio::time::Instant;
use tracing::instrument;

use super::{
    error::ApiError,
    extract::{content_length, Bearer, ClientKey, PartIndex, SharePath, Upload},
};
use crate::{blobs::Placed, config::Config, state::AppState};

/// Raw ciphertext bytes, for the API's description: a part's body, a download.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
pub(crate) struct PartBytes(#[allow(dead_code)] Vec<u8>);

/// Checks the upload token and answers the payload size.
async fn authorize(
    state: &AppState,
    id: &ShareId,
    token: &Bearer<Upload>,
) -> Result<u64, ApiError> {
    let outcome = state
        .store
        .check_upload(id.clone(), token.hash(), state.clock.now())
        .await?;
    Result::from(outcome)
}

/// How fast a part must arrive: at least `min_bytes` in every `window`, and all of it within `deadline`.
struct Pace {
    min_bytes: u64,
    window: Duration,
    deadline: Instant,
}

impl Pace {
    fn of(config: &Config) -> Self {
        let window = Duration::from_secs(config.upload_rate_window_secs.max(1));
        Self {
            min_bytes: config
                .upload_min_bytes_per_sec
                .saturating_mul(window.as_secs()),
            window,
            deadline: Instant::now() + Duration::from_secs(config.upload_deadline_secs.max(1)),
        }
    }
}

/// Reads exactly `want` bytes of body at the pace asked for, never more.
async fn read_part(body: Body, want: u64, index: u64, pace: Pace) -> Result<Bytes, ApiError> {
    let wrong_length = || ApiError::BadPart(format!("part {index} must be {want} bytes"));
    let cap = usize::try_from(want)
        .map_err(|_| ApiError::Internal("part too large for memory".into()))?;
    let mut buf = BytesMut::with_capacity(cap);
    let mut stream = body.into_data_stream();
    let mut window_start = Instant::now();
    let mut window_bytes = 0u64;
    loop {
        let check_at = (window_start + pace.window).min(pace.deadline);
        match tokio::time::timeout_at(check_at, stream.next()).await {
            Ok(Some(chunk)) => {
                let chunk =
                    chunk.map_err(|_| ApiError::BadPart("the body could not be read".into()))?;
                if (buf.len() + chunk.len()) as u64 > want {
                    return Err(wrong_length());
                }
                window_bytes += chunk.len() as u64;
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(_) => {}
        }
        let now = Instant::now();
        if now >= pace.deadline {
            return Err(ApiError::BadPart(format!(
                "part {index} took longer than the server allows"
            )));
        }
        if now >= window_start + pace.window {
            if window_bytes < pace.min_bytes && (buf.len() as u64) < want {
                return Err(ApiError::BadPart(format!(
                    "part {index} arrived slower than {} bytes per second",
                    pace.min_bytes / pace.window.as_secs().max(1)
                )));
            }
            window_start = now;
            window_bytes = 0;
        }
    }
    if buf.len() as u64 != want {
        return Err(wrong_length());
    }
    Ok(buf.freeze())
}

/// Longest a refused part's body is read (and dropped) so that its answer arrives.
const REFUSED_BODY_SECS: u64 = 10;

/// Refuses a part with `error`, after reading (and dropping) up to `want` bytes
/// of its body: a client still sending it then sees the answer instead of a
/// reset connection. Nothing of it is kept.
async fn refuse(body: Body, want: u64, error: ApiError) -> ApiError {
    let mut stream = body.into_data_stream();
    let mut seen = 0u64;
    let drain = async {
        while let Some(Ok(chunk)) = stream.next().await {
            seen += chunk.len() as u64;
            if seen >= want {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(REFUSED_BODY_SECS), drain).await;
    error
}

/// Stores one part: exactly its length, read no further than that, at a
/// minimum pace, with at most a few uploads per client address holding one
/// of the server's upload slots, and never past the storage quota.
#[utoipa::path(
    put, path = "/api/v1/shares/{id}/parts/{index}", tag = "uploads",
    params(
        ("id" = ShareId, Path, description = "the share id"),
        ("index" = u64, Path, description = "the part index (8 MiB parts)", minimum = 0),
    ),
    request_body(content = inline(PartBytes), content_type = "application/octet-stream"),
    security(("upload_token" = [])),
    responses(
        (status = 204, description = "stored"),
        (status = 400, description = "wrong length, index past the end, too slow (`bad_part`) or a path that does not decode (`invalid`)", body = ErrorBody),
        (status = 401, description = "missing, wrong or dead upload token (`bad_token`)", body = ErrorBody),
        (status = 404, description = "no such share (`not_found`)", body = ErrorBody),
        (status = 410, description = "expired or revoked (`gone`)", body = ErrorBody),
        (status = 503, description = "too many uploads at once (`busy`) or storage unavailable", body = ErrorBody),
        (status = 507, description = "the part would pass the storage quota (`storage_full`)", body = ErrorBody),
    )
)]
#[instrument(skip_all)]
pub(super) async fn upload(
    State(state): State<AppState>,
    id: Result<SharePath, ApiError>,
    token: Result<Bearer<Upload>, ApiError>,
    part: PartIndex,
    ClientKey(client): ClientKey,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let admitted = async {
        let SharePath(id) = id?;
        let size = authorize(&state, &id, &token?).await?;
        let (index, want) = part.within(size)?;
        if content_length(&headers).is_some_and(|n| n != want) {
            return Err(ApiError::BadPart(format!(
                "part {index} must be {want} bytes"
            )));
        }
        Ok((id, index, want))
    };
    let (id, index, want) = match admitted.await {
        Ok(admitted) => admitted,
        Err(e) => {
            // Any refusal (a bad path or token, a share that expired or was
            // revoked mid-upload) answers so, instead of breaking the
            // connection under the client's body.
            let sent = content_length(&headers).unwrap_or(PART_SIZE);
            return Err(refuse(body, sent.min(PART_SIZE), e).await);
        }
    };
    let address_slot = match client {
        Some(key) => match state.uploads_per_address.take(key) {
            Some(slot) => Some(slot),
            None => return Err(refuse(body, want, ApiError::Busy).await),
        },
        None => None,
    };
    let Ok(permit) = state.uploads.clone().try_acquire_owned() else {
        return Err(refuse(body, want, ApiError::Busy).await);
    };
    // A part sent again replaces its earlier copy: it takes no more room.
    let need = if state.blobs.has_part(&id, index, want).await {
        0
    } else {
        want
    };
    let Some(room) = state.quota.reserve_part(&*state.store, need).await? else {
        return Err(refuse(body, want, ApiError::StorageFull).await);
    };
    let _held = (address_slot, permit);
    let stored = match read_part(body, want, index, Pace::of(&state.config)).await {
        Ok(bytes) => state
            .blobs
            .put_part(&id, index, bytes)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match stored {
        Ok(Placed::New) => drop(room),
        Ok(Placed::Replaced) | Err(_) => state.quota.give_back(&*state.store, room).await,
    }
    stored?;
    tracing::debug!(share = %id.short(), index, "part stored");
    Ok(StatusCode::NO_CONTENT)
}

/// Marks the share ready once every part is stored.
#[utoipa::path(
    post, path = "/api/v1/shares/{id}/complete", tag = "uploads",
    params(("id" = ShareId, Path, description = "the share id")),
    security(("upload_token" = [])),
    responses(
        (status = 204, description = "every part is there: the share is ready"),
        (status = 400, description = "a path segment that does not decode (`invalid`)", body = ErrorBody),
        (status = 401, description = "missing, wrong or dead upload token (`bad_token`)", body = ErrorBody),
        (status = 404, description = "no such share (`not_found`)", body = ErrorBody),
        (status = 409, description = "parts are missing (`incomplete`, `missing`)", body = ErrorBody),
        (status = 410, description = "expired or revoked (`gone`)", body = ErrorBody),
        (status = 503, description = "storage unavailable (`unavailable`)", body = ErrorBody),
    )
)]
#[instrument(skip_all)]
pub(super) async fn complete(
    State(state): State<AppState>,
    SharePath(id): SharePath,
    token: Bearer<Upload>,
) -> Result<StatusCode, ApiError> {
    let size = authorize(&state, &id, &token).await?;
    let missing = state.blobs.missing_parts(&id, size).await?;
    if !missing.is_empty() {
        return Err(ApiError::Incomplete(missing));
    }
    let outcome = state
        .store
        .complete(id.clone(), token.hash(), state.clock.now())
        .await?;
    Result::from(outcome)?;
    tracing::info!(share = %id.short(), "upload complete");
    Ok(StatusCode::NO_CONTENT)
}
