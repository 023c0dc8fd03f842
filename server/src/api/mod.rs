//! The REST API of protocol §5 under `/api/v1`: one module per resource,
//! typed extractors for what a route needs, one error type.

mod blob;
mod config;
mod error;
mod extract;
mod manage;
mod openapi;
mod parts;
mod shares;
mod tokens;

use axum::{
    routing::{any, get, post, put, MethodRouter},
    Router,
};
use ots_proto::API_PREFIX;

pub(crate) use self::error::ApiError;
use crate::state::AppState;

/// Every path under `/api/v1` and the methods that serve it: the router is
/// built from this table, and a test holds the OpenAPI description to it.
fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/config", get(config::config)),
        ("/shares", post(shares::create)),
        ("/shares/{id}", get(shares::info).delete(manage::revoke)),
        ("/shares/{id}/parts/{index}", put(parts::upload)),
        ("/shares/{id}/complete", post(parts::complete)),
        ("/shares/{id}/claim", post(shares::claim)),
        (
            "/shares/{id}/blob",
            get(blob::download).delete(blob::release),
        ),
        ("/shares/{id}/manage", get(manage::status)),
        ("/openapi.json", get(openapi::document)),
    ]
}

/// The `/api/v1` routes; any other path under `/api/` is a JSON `404`, a
/// known path with another method a JSON `405` (with `Allow`).
pub(crate) fn router(state: AppState) -> Router {
    let v1 = routes()
        .into_iter()
        .fold(Router::new(), |v1, (path, methods)| v1.route(path, methods))
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
        let mut config = Config::for_data_dir(dir);
        // Independent of the host's free space.
        config.max_stored_bytes = Some(1 << 40);
        AppState::new(store, blobs, Arc::new(config), clock)
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
    async fn the_openapi_description_lists_every_route_of_the_router_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let app = router(state(dir.path(), Clock::manual(START)));
        let (st, doc) = call(&app, "GET", "/api/v1/openapi.json", None).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(doc["openapi"], "3.1.0");
        let documented = doc["paths"].as_object().unwrap();
        let mut table: Vec<String> = routes()
            .into_iter()
            .map(|(path, _)| format!("{API_PREFIX}{path}"))
            .collect();
        table.sort();
        let mut paths: Vec<String> = documented.keys().cloned().collect();
        paths.sort();
        assert_eq!(paths, table, "every path the router serves is described");
        // Each path answers exactly the methods its description names.
        for (path, item) in documented {
            let uri = path
                .replace("{id}", &"A".repeat(22))
                .replace("{index}", "0");
            for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
                let described = item.get(method.to_lowercase()).is_some();
                let req = Request::builder()
                    .method(method)
                    .uri(&uri)
                    .body(Body::empty())
                    .unwrap();
                let res = app.clone().oneshot(req).await.unwrap();
                let refused = res.status() == StatusCode::METHOD_NOT_ALLOWED;
                assert_eq!(refused, !described, "{method} {path}: {}", res.status());
                for op in ["get", "post", "put", "delete"] {
                    if item.get(op).is_some() && refused {
                        let allow = res.headers()["allow"].to_str().unwrap().to_string();
                        assert!(allow.contains(&op.to_uppercase()), "{path}: {allow}");
                    }
                }
            }
        }
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
