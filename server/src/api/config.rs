//! `GET /api/v1/config` (protocol 1.1): what this server accepts, so that a
//! client offers only that. Public; it changes nothing.

use axum::{extract::State, http::HeaderMap, Json};
use ots_proto::{Config as ConfigBody, ExpiryBounds, MAX_DOWNLOADS, PART_SIZE, PROTOCOL_VERSION};
use tracing::instrument;

use crate::{admin::create_tokens::Creator, state::AppState};

/// The server's limits as a client should see them: `max_share_bytes` is the
/// caller's (a valid create token may raise it); when a token is required and
/// none is sent, it is what a token holder gets.
#[utoipa::path(
    get, path = "/api/v1/config", tag = "meta",
    responses((status = 200, description = "what this server accepts (protocol 1.1)", body = ConfigBody))
)]
#[instrument(skip_all)]
pub(super) async fn config(State(state): State<AppState>, headers: HeaderMap) -> Json<ConfigBody> {
    let cfg = &state.config;
    let required = state.create_tokens.required();
    let creator = Creator::peek(&state.create_tokens, &headers);
    let max_share_bytes = if required {
        cfg.max_share_bytes
    } else {
        creator.max_share_bytes(cfg)
    };
    Json(ConfigBody {
        v: PROTOCOL_VERSION,
        max_share_bytes,
        max_inline_bytes: cfg.max_inline_bytes,
        part_bytes: PART_SIZE,
        expires_in: ExpiryBounds {
            min: cfg.min_expiry_secs,
            max: cfg.max_expiry_secs,
            default: cfg.default_expiry_secs(),
        },
        max_downloads: MAX_DOWNLOADS,
        create_token_required: required,
    })
}
