//! `fetch` against the REST API (protocol §5): one place that builds
//! requests, maps error bodies and retries what is safe to retry.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, Blob, Headers, ReferrerPolicy, RequestCache, RequestInit, Response,
};

use ots_proto::{ErrorBody, Token};

use super::dom::{js_text, sleep, window};
use crate::failure::ApiError;

/// What a request carries.
pub enum Body<'a> {
    /// Nothing.
    Empty,
    /// A JSON document (see [`to_json`]).
    Json(&'a str),
    /// Raw bytes (a payload part), as a Blob: Chromium streams a Blob
    /// body about ten times faster than an ArrayBuffer view of the same size.
    Bytes(&'a Blob),
}

/// Attempts of a retried request before it gives up (with the back-off
/// below, about five minutes: long enough to ride out a network drop).
const RETRY_ATTEMPTS: u32 = 40;

/// First and largest pause between attempts, in milliseconds.
const RETRY_FIRST_MS: i32 = 250;
const RETRY_MAX_MS: i32 = 8_000;

/// Sends one request to `path` (from `ots_proto::paths`); `Ok` only for a
/// 2xx answer.
pub async fn call(
    method: &str,
    path: &str,
    bearer: Option<&Token>,
    body: Body<'_>,
    range_from: Option<u64>,
) -> Result<Response, ApiError> {
    let authorization = bearer.map(|token| format!("Bearer {}", token.to_b64()));
    request(method, path, authorization.as_deref(), body, range_from).await
}

/// Like [`call`], carrying a create token (protocol 1.1): the opaque string
/// an operator hands out, sent as it is in `Authorization: Bearer`.
pub async fn call_with_create_token(
    method: &str,
    path: &str,
    create_token: Option<&str>,
    body: Body<'_>,
) -> Result<Response, ApiError> {
    let authorization = create_token.map(|token| format!("Bearer {token}"));
    request(method, path, authorization.as_deref(), body, None).await
}

/// A same-origin text file (`GET`, no credentials), e.g. a word list the
/// site ships in `public/`.
pub async fn get_text(path: &str) -> Result<String, ApiError> {
    let response = call("GET", path, None, Body::Empty, None).await?;
    text(&response).await
}

async fn request(
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: Body<'_>,
    range_from: Option<u64>,
) -> Result<Response, ApiError> {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_cache(RequestCache::NoStore);
    init.set_referrer_policy(ReferrerPolicy::NoReferrer);
    let headers = Headers::new().map_err(|e| ApiError::Network(js_text(e)))?;
    if let Some(authorization) = authorization {
        headers
            .set("Authorization", authorization)
            .map_err(|e| ApiError::Network(js_text(e)))?;
    }
    if let Some(from) = range_from {
        headers
            .set("Range", &format!("bytes={from}-"))
            .map_err(|e| ApiError::Network(js_text(e)))?;
    }
    match body {
        Body::Empty => {}
        Body::Json(json) => {
            headers
                .set("Content-Type", "application/json")
                .map_err(|e| ApiError::Network(js_text(e)))?;
            init.set_body(&json.into());
        }
        Body::Bytes(bytes) => {
            headers
                .set("Content-Type", "application/octet-stream")
                .map_err(|e| ApiError::Network(js_text(e)))?;
            init.set_body(bytes);
        }
    }
    init.set_headers(&headers);
    let abort = AbortOnDrop::new(&init)?;
    let response: Response = JsFuture::from(window().fetch_with_str_and_init(path, &init))
        .await
        .map_err(|e| ApiError::Network(js_text(e)))?
        .dyn_into()
        .map_err(|_| ApiError::Malformed("not a response".into()))?;
    // The answer came: its body is the caller's to read.
    abort.answered();
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let body = text(&response).await.unwrap_or_default();
    let body = serde_json::from_str::<ErrorBody>(&body).ok();
    Err(ApiError::Status { status, body })
}

/// Aborts a request whose future is dropped before its answer came (a
/// cancelled send or download), so that the browser stops sending its
/// body instead of finishing it for nobody.
struct AbortOnDrop(Option<AbortController>);

impl AbortOnDrop {
    fn new(init: &RequestInit) -> Result<AbortOnDrop, ApiError> {
        let controller = AbortController::new().map_err(|e| ApiError::Network(js_text(e)))?;
        init.set_signal(Some(&controller.signal()));
        Ok(AbortOnDrop(Some(controller)))
    }

    fn answered(mut self) {
        self.0 = None;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(controller) = self.0.take() {
            controller.abort();
        }
    }
}

/// Like [`call`], but retries transient failures with exponential back-off,
/// telling `on_retry` the attempt to come and why the last one failed.
/// Only for requests that are safe to repeat (PUT of a part, GET, a claim
/// with a `request_id`).
pub async fn call_with_retry(
    method: &str,
    path: &str,
    bearer: Option<&Token>,
    body: Body<'_>,
    mut on_retry: impl FnMut(u32, &ApiError),
) -> Result<Response, ApiError> {
    let mut delay = RETRY_FIRST_MS;
    let mut attempt = 1;
    loop {
        let body = match &body {
            Body::Empty => Body::Empty,
            Body::Json(j) => Body::Json(j),
            Body::Bytes(b) => Body::Bytes(b),
        };
        match call(method, path, bearer, body, None).await {
            Err(e) if e.is_transient() && attempt < RETRY_ATTEMPTS => {
                on_retry(attempt, &e);
                sleep(delay).await;
                delay = (delay * 2).min(RETRY_MAX_MS);
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// A request body as JSON.
pub fn to_json<T: serde::Serialize>(body: &T) -> Result<String, ApiError> {
    serde_json::to_string(body).map_err(|e| ApiError::Malformed(e.to_string()))
}

/// The body of `response` as text.
async fn text(response: &Response) -> Result<String, ApiError> {
    let promise = response.text().map_err(|e| ApiError::Network(js_text(e)))?;
    let value = JsFuture::from(promise)
        .await
        .map_err(|e| ApiError::Network(js_text(e)))?;
    value
        .as_string()
        .ok_or_else(|| ApiError::Malformed("body is not text".into()))
}

/// The body of `response` parsed as JSON.
pub async fn json<T: serde::de::DeserializeOwned>(response: &Response) -> Result<T, ApiError> {
    let body = text(response).await?;
    serde_json::from_str(&body).map_err(|e| ApiError::Malformed(e.to_string()))
}
