//! Security headers on every response, with a per-response CSP nonce for Leptos' scripts.

use std::{future::Future, sync::Arc};

use axum::{
    extract::Request,
    http::{header, HeaderName, HeaderValue},
    response::Response,
};

/// The nonce of this response's CSP, put in the request's extensions for the renderer.
#[derive(Clone, Debug)]
pub(crate) struct CspNonce(pub(crate) Arc<str>);

impl CspNonce {
    /// 16 fresh random bytes.
    fn fresh() -> Option<Self> {
        let mut b = [0u8; 16];
        getrandom::fill(&mut b).ok()?;
        Some(Self(ots_proto::b64::encode(b).into()))
    }
}

/// What the headers middleware needs to know.
#[derive(Clone, Debug)]
pub(crate) struct SecurityHeaders {
    /// Send `Strict-Transport-Security` (only behind an https origin).
    pub(crate) hsts: bool,
}

const PERMISSIONS_POLICY: &str =
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), \
     microphone=(), payment=(), usb=(), interest-cohort=()";

/// The policy of API answers: JSON and bytes, never rendered.
const API_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

// The fixed names and values, checked once at compile time rather than on
// every response.
const PERMISSIONS_POLICY_NAME: HeaderName = HeaderName::from_static("permissions-policy");
const COOP_NAME: HeaderName = HeaderName::from_static("cross-origin-opener-policy");
const CORP_NAME: HeaderName = HeaderName::from_static("cross-origin-resource-policy");
const PERMISSIONS_POLICY_VALUE: HeaderValue = HeaderValue::from_static(PERMISSIONS_POLICY);
const API_CSP_VALUE: HeaderValue = HeaderValue::from_static(API_CSP);
const NO_REFERRER: HeaderValue = HeaderValue::from_static("no-referrer");
const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
const DENY: HeaderValue = HeaderValue::from_static("DENY");
const SAME_ORIGIN: HeaderValue = HeaderValue::from_static("same-origin");
const HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000; includeSubDomains");
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// The Content-Security-Policy for a nonce: no inline script but the nonced ones, wasm allowed.
pub(crate) fn csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Middleware step around `inner` (the rest of the request's handling): a
/// nonce for the renderer, then the security headers on the answer.
pub(crate) async fn around<F, Fut>(cfg: &SecurityHeaders, mut req: Request, inner: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    let path = req.uri().path();
    let is_api = path.starts_with("/api/") || path == "/healthz" || path == "/readyz";
    // API answers are never documents: they get a fixed policy that allows nothing, and no nonce.
    let nonce = if is_api { None } else { CspNonce::fresh() };
    if let Some(n) = &nonce {
        req.extensions_mut().insert(n.clone());
    }
    let mut res = inner(req).await;
    let h = res.headers_mut();
    let policy = match &nonce {
        Some(n) => HeaderValue::from_str(&csp(&n.0)).ok(),
        None if is_api => Some(API_CSP_VALUE),
        // Without a nonce no inline script may run at all.
        None => HeaderValue::from_str(&csp("").replace(" 'nonce-'", "")).ok(),
    };
    if let Some(v) = policy {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::REFERRER_POLICY, NO_REFERRER);
    h.insert(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    h.insert(header::X_FRAME_OPTIONS, DENY);
    h.insert(PERMISSIONS_POLICY_NAME, PERMISSIONS_POLICY_VALUE);
    h.insert(COOP_NAME, SAME_ORIGIN);
    h.insert(CORP_NAME, SAME_ORIGIN);
    if cfg.hsts {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    let is_html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_api || is_html {
        h.insert(header::CACHE_CONTROL, NO_STORE);
    }
    res
}
