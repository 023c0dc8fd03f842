//! `GET /api/v1/config` (protocol 1.1): what this server accepts, so that a
//! client offers only that. Public; it changes nothing.

use axum::{extract::State, Json};
use ots_proto::{Config as ConfigBody, ExpiryBounds, MAX_DOWNLOADS, PART_SIZE, PROTOCOL_VERSION};
use tracing::instrument;

use crate::state::AppState;

/// The server's limits as a client should see them.
#[utoipa::path(
    get, path = "/api/v1/config", tag = "meta",
    responses((status = 200, description = "what this server accepts (protocol 1.1)", body = ConfigBody))
)]
#[instrument(skip_all)]
pub(super) async fn config(State(state): State<AppState>) -> Json<ConfigBody> {
    let cfg = &state.config;
    Json(ConfigBody {
        v: PROTOCOL_VERSION,
        max_share_bytes: cfg.max_share_bytes,
        max_inline_bytes: cfg.max_inline_bytes,
        part_bytes: PART_SIZE,
        expires_in: ExpiryBounds {
            min: cfg.min_expiry_secs,
            max: cfg.max_expiry_secs,
            default: cfg.default_expiry_secs(),
        },
        max_downloads: MAX_DOWNLOADS,
        create_token_required: false,
    })
}
