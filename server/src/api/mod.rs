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

/// The `/api/v1` routes; any other path under `/api/` is a JSON `404`, a
/// known path with another method a JSON `405` (with `Allow`).
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
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .with_state(state);
    Router::new()
        .nest(API_PREFIX, v1)
        .route("/api/", any(|| async { ApiError::NotFound }))
        .route("/api/{*rest}", any(|| async { ApiError::NotFound }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use axum::{
        body::Body,
        http::{Request, StatusCode},
    };
    use ots_proto::{payload_size, CreateRequest, Fixed, Opaque};
    use serde_json::Value;
    use tower::ServiceExt;

    use super::*;
    use crate::{
        blobs::Blobs,
        clock::{rfc3339, Clock},
        config::Config,
        store::embedded::EmbeddedStore,
    };

    const START: i64 = 1_800_000_000;

    fn state(dir: &std::path::Path, clock: Clock) -> AppState {
        let store = Arc::new(EmbeddedStore::open(dir).unwrap());
        let blobs = Blobs::open(dir).unwrap();
        AppState::new(store, blobs, Arc::new(Config::for_data_dir(dir)), clock)
    }

    async fn call(
        app: &Router,
        method: &str,
        uri: &str,
        body: Option<String>,
    ) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .body(body.map(Body::from).unwrap_or_default())
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    fn inline_create(expires_in: u32) -> Value {
        let size = payload_size(1);
        serde_json::to_value(CreateRequest {
            size,
            expires_in,
            max_downloads: 1,
            link_verifier: Fixed([1; 32]),
            claim_verifier: Fixed([2; 32]),
            meta: Opaque(vec![3; 40]),
            kdf: None,
            payload: Some(Opaque(vec![4; size as usize])),
        })
        .unwrap()
    }

    #[tokio::test]
    async fn a_share_expires_exactly_when_the_clock_passes_its_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::manual(START);
        let app = router(state(dir.path(), clock.clone()));
        let body = inline_create(60).to_string();
        let (st, created) = call(&app, "POST", "/api/v1/shares", Some(body)).await;
        assert_eq!(st, StatusCode::CREATED, "{created}");
        assert_eq!(created["expires_at"], rfc3339(START + 60));
        let info = format!("/api/v1/shares/{}", created["id"].as_str().unwrap());
        clock.advance(59);
        assert_eq!(call(&app, "GET", &info, None).await.0, StatusCode::OK);
        clock.advance(1);
        let (st, v) = call(&app, "GET", &info, None).await;
        assert_eq!(
            (st, v["reason"].as_str()),
            (StatusCode::GONE, Some("expired"))
        );
    }

    #[tokio::test]
    async fn malformed_requests_get_json_errors_that_say_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let app = router(state(dir.path(), Clock::manual(START)));
        let mut body = inline_create(60);
        body["extra"] = 1.into();
        let (st, v) = call(&app, "POST", "/api/v1/shares", Some(body.to_string())).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid"))
        );
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .contains("unknown field `extra`"),
            "{v}"
        );
        let mut body = inline_create(60);
        body["size"] = 15.into();
        let (st, v) = call(&app, "POST", "/api/v1/shares", Some(body.to_string())).await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert!(v["message"].as_str().unwrap().contains("size 15"), "{v}");
        let (st, v) = call(&app, "GET", "/api/v1/shares/not-an-id", None).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found"))
        );
        let manage = format!("/api/v1/shares/{}/manage", "A".repeat(22));
        let (st, v) = call(&app, "GET", &manage, None).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("bad_token"))
        );
    }
}
