//! The sender's view: status and revoke (manage token).

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;
use tracing::instrument;

use super::{bearer_hash, ids::short_id, now, path_id, rfc3339, ApiError, AppState};
use crate::store::{digest_eq, RevokeOutcome};

/// The share's state for its sender, as long as the server remembers it.
#[instrument(skip_all)]
pub async fn status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let hash = bearer_hash(&headers)?;
    let rec = state.store.get(id).await?.ok_or(ApiError::NotFound)?;
    if !digest_eq(&rec.manage_token_hash, &hash) {
        return Err(ApiError::BadToken);
    }
    let downloads: Vec<_> = rec
        .downloads
        .iter()
        .map(|t| json!({"at": rfc3339(*t)}))
        .collect();
    Ok(Json(json!({
        "state": rec.state_at(now()),
        "expires_at": rfc3339(rec.expires_at),
        "downloads_left": rec.downloads_left,
        "failed_attempts": rec.failed_attempts,
        "downloads": downloads,
    }))
    .into_response())
}

/// Revokes the share: its ciphertext is deleted now and later claims get `410 revoked`.
#[instrument(skip_all)]
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id)?;
    let hash = bearer_hash(&headers)?;
    match state.store.revoke(id, hash, now()).await? {
        RevokeOutcome::NotFound => Err(ApiError::NotFound),
        RevokeOutcome::BadToken => Err(ApiError::BadToken),
        RevokeOutcome::Revoked { delete_files } => {
            if delete_files {
                crate::sweeper::delete_files(&state, id).await;
            }
            tracing::info!(share = %short_id(&id), "revoked");
            Ok(StatusCode::NO_CONTENT)
        }
    }
}
