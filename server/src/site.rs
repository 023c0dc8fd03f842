//! The Leptos site: server-rendered pages and the static files of the site root.

use std::path::Path;

use app::{shell, App, SiteLimits};
use axum::Router;
use tower_http::compression::CompressionLayer;
use leptos::{config::LeptosOptions, nonce::Nonce, prelude::*};
use leptos_axum::{generate_route_list, LeptosRoutes};

use crate::headers::CspNonce;

/// Gives the renderer the nonce that the security-headers middleware put in this
/// response's CSP, so `HydrationScripts` and other inline scripts carry it.
fn provide_csp_nonce() {
    if let Some(parts) = use_context::<http::request::Parts>() {
        if let Some(n) = parts.extensions.get::<CspNonce>() {
            provide_context(Nonce::from_value(n.0.clone()));
        }
    }
}

/// The Leptos options for a site root built by cargo-leptos.
pub fn options(site_root: &Path) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("onetimeshare")
        .site_root(site_root.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .env(leptos::config::Env::PROD)
        .build()
}

/// Routes of every page plus the static files (`/pkg/*`, `public/`), compressed
/// (brotli or gzip, as the browser accepts) so the wasm bundle loads small.
/// Every page gets the CSP nonce and the server's limits as context.
pub fn router(options: LeptosOptions, limits: SiteLimits) -> Router {
    let routes = generate_route_list(App);
    let context = move || {
        provide_csp_nonce();
        provide_context(limits);
    };
    Router::new()
        .leptos_routes_with_context(&options, routes, context, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(context, shell))
        .with_state(options)
        .layer(CompressionLayer::new().br(true).gzip(true))
}
