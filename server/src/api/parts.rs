//! Uploads: parts and completion.

use axum::{
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
};
use bytes::BytesMut;
use futures_util::StreamExt;
use tracing::instrument;

use super::{bearer_hash, content_length, ids::short_id, now, path_id, ApiError, AppState};
use crate::{
    blobs::{part_count, part_len},
    store::{CompleteOutcome, ShareId, UploadCheck},
};

/// Checks the upload token and answers the payload size.
async fn authorize(state: &AppState, id: ShareId, headers: &HeaderMap) -> Result<u64, ApiError> {
    let hash = bearer_hash(headers)?;
    match state.store.check_upload(id, hash, now()).await? {
        UploadCheck::NotFound => Err(ApiError::NotFound),
        UploadCheck::Gone(r) => Err(ApiError::Gone(r)),
        UploadCheck::BadToken => Err(ApiError::BadToken),
        UploadCheck::Allowed { size } => Ok(size),
    }
}

/// Stores one part: exactly its length, read no further than that.
#[instrument(skip_all)]
pub async fn upload(
    State(state): State<AppState>,
    Path((id, index)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id)?;
    let size = authorize(&state, id, &headers).await?;
    let index: u64 = index
        .parse()
        .map_err(|_| ApiError::BadPart("the part index is not a number".into()))?;
    let want = part_len(size, index).ok_or_else(|| {
        ApiError::BadPart(format!(
            "the part index is past the end ({} parts)",
            part_count(size)
        ))
    })?;
    if content_length(&headers).is_some_and(|n| n != want) {
        return Err(ApiError::BadPart(format!(
            "part {index} must be {want} bytes"
        )));
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
            return Err(ApiError::BadPart(format!(
                "part {index} must be {want} bytes"
            )));
        }
        buf.extend_from_slice(&chunk);
    }
    if buf.len() as u64 != want {
        return Err(ApiError::BadPart(format!(
            "part {index} must be {want} bytes"
        )));
    }
    state.blobs.write_part(id, index, buf.freeze()).await?;
    tracing::debug!(share = %short_id(&id), index, "part stored");
    Ok(StatusCode::NO_CONTENT)
}

/// Marks the share ready once every part is on disk.
#[instrument(skip_all)]
pub async fn complete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id)?;
    let size = authorize(&state, id, &headers).await?;
    let missing = state.blobs.missing_parts(id, size).await?;
    if !missing.is_empty() {
        return Err(ApiError::Incomplete(missing));
    }
    let hash = bearer_hash(&headers)?;
    match state.store.complete(id, hash, now()).await? {
        CompleteOutcome::NotFound => Err(ApiError::NotFound),
        CompleteOutcome::Gone(r) => Err(ApiError::Gone(r)),
        CompleteOutcome::BadToken => Err(ApiError::BadToken),
        CompleteOutcome::Completed => {
            tracing::info!(share = %short_id(&id), "upload complete");
            Ok(StatusCode::NO_CONTENT)
        }
    }
}
