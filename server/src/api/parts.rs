//! Uploads: parts and completion (protocol §5).

use axum::{
    body::Body,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use bytes::BytesMut;
use futures_util::StreamExt;
use ots_proto::ShareId;
use tracing::instrument;

use super::{
    error::ApiError,
    extract::{content_length, Bearer, PartIndex, SharePath, Upload},
};
use crate::state::AppState;

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

/// Stores one part: exactly its length, read no further than that.
#[instrument(skip_all)]
pub(super) async fn upload(
    State(state): State<AppState>,
    SharePath(id): SharePath,
    token: Bearer<Upload>,
    part: PartIndex,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let size = authorize(&state, &id, &token).await?;
    let (index, want) = part.within(size)?;
    let wrong_length = || ApiError::BadPart(format!("part {index} must be {want} bytes"));
    if content_length(&headers).is_some_and(|n| n != want) {
        return Err(wrong_length());
    }
    let _permit = state
        .uploads
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::Busy)?;
    let cap = usize::try_from(want)
        .map_err(|_| ApiError::Internal("part too large for memory".into()))?;
    let mut buf = BytesMut::with_capacity(cap);
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::BadPart("the body could not be read".into()))?;
        if (buf.len() + chunk.len()) as u64 > want {
            return Err(wrong_length());
        }
        buf.extend_from_slice(&chunk);
    }
    if buf.len() as u64 != want {
        return Err(wrong_length());
    }
    state.blobs.put_part(&id, index, buf.freeze()).await?;
    tracing::debug!(share = %id.short(), index, "part stored");
    Ok(StatusCode::NO_CONTENT)
}

/// Marks the share ready once every part is stored.
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
