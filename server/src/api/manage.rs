//! The sender's view: status and revoke (manage token).

use axum::{extract::State, http::StatusCode, Json};
use ots_proto::{DownloadEvent, ErrorBody, ManageStatus, ShareId};
use tracing::instrument;

use super::{
    error::ApiError,
    extract::{Bearer, Manage, SharePath},
};
use crate::{clock::rfc3339, state::AppState, store::digest_eq};

/// The share's state for its sender, as long as the server remembers it.
#[utoipa::path(
    get, path = "/api/v1/shares/{id}/manage", tag = "manage",
    params(("id" = ShareId, Path, description = "the share id")),
    security(("manage_token" = [])),
    responses(
        (status = 200, description = "the share's state for its sender", body = ManageStatus),
        (status = 400, description = "a path segment that does not decode (`invalid`)", body = ErrorBody),
        (status = 401, description = "missing or wrong manage token (`bad_token`)", body = ErrorBody),
        (status = 404, description = "no such share (`not_found`)", body = ErrorBody),
        (status = 503, description = "storage unavailable (`unavailable`)", body = ErrorBody),
    )
)]
#[instrument(skip_all)]
pub(super) async fn status(
    State(state): State<AppState>,
    SharePath(id): SharePath,
    token: Bearer<Manage>,
) -> Result<Json<ManageStatus>, ApiError> {
    let rec = state.store.get(id).await?.ok_or(ApiError::NotFound)?;
    if !digest_eq(&rec.manage_token_hash, &token.hash()) {
        return Err(ApiError::BadToken);
    }
    Ok(Json(ManageStatus {
        state: rec.state_at(state.clock.now()),
        expires_at: rfc3339(rec.expires_at),
        downloads_left: rec.downloads_left,
        failed_attempts: rec.failed_attempts,
        downloads: rec
            .downloads
            .iter()
            .map(|&at| DownloadEvent { at: rfc3339(at) })
            .collect(),
    }))
}

/// Revokes the share: its ciphertext is deleted now and later claims get `410 revoked`.
#[utoipa::path(
    delete, path = "/api/v1/shares/{id}", tag = "manage",
    params(("id" = ShareId, Path, description = "the share id")),
    security(("manage_token" = [])),
    responses(
        (status = 204, description = "revoked; its ciphertext is deleted or queued for deletion"),
        (status = 400, description = "a path segment that does not decode (`invalid`)", body = ErrorBody),
        (status = 401, description = "missing or wrong manage token (`bad_token`)", body = ErrorBody),
        (status = 404, description = "no such share (`not_found`)", body = ErrorBody),
        (status = 503, description = "storage unavailable, or the deletion could not be queued (`unavailable`)", body = ErrorBody),
    )
)]
#[instrument(skip_all)]
pub(super) async fn revoke(
    State(state): State<AppState>,
    SharePath(id): SharePath,
    token: Bearer<Manage>,
) -> Result<StatusCode, ApiError> {
    let outcome = state
        .store
        .revoke(id.clone(), token.hash(), state.clock.now())
        .await?;
    let delete_files = Result::from(outcome)?;
    if delete_files {
        state.blobs.delete_share_now(&*state.store, &id).await;
    }
    tracing::info!(share = %id.short(), "revoked");
    Ok(StatusCode::NO_CONTENT)
}
