//! The REST API of protocol §5 under `/api/v1`: one module per resource,
//! typed extractors for what a route needs, one error type.

mod blob;
mod error;
mod extract;
mod manage;
mod parts;
mod shares;
mod tokens;

use axum::{
    routing::{any, get, post, put},
    Router,
};
use ots_proto::API_PREFIX;

use self::error::ApiError;
use crate::state::AppState;

/// The `/api/v1` routes; any other path under `/api/` is a JSON `404`.
pub(crate) fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/shares", post(shares::create))
        .route("/shares/{id}", get(shares::info).delete(manage::revoke))
        .route("/shares/{id}/parts/{index}", put(parts::upload))
        .route("/shares/{id}/complete", post(parts::complete))
        .route("/shares/{id}/claim", post(shares::claim))
        .route(
            "/shares/{id}/blob",
            get(blob::download).delete(blob::release),
        )
        .route("/shares/{id}/manage", get(manage::status))
        .fallback(|| async { ApiError::NotFound })
        .with_state(state);
    Router::new()
        .nest(API_PREFIX, v1)
        .route("/api/{*rest}", any(|| async { ApiError::NotFound }))
}
