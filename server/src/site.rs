//! The Leptos site: server-rendered pages and the static files of the site root.

use std::path::Path;

use app::{shell, App};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};

/// The Leptos options for a site root built by cargo-leptos.
pub fn options(site_root: &Path) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("onetimeshare")
        .site_root(site_root.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .env(leptos::config::Env::PROD)
        .build()
}

/// Routes of every page plus the static files (`/pkg/*`, `public/`).
pub fn router(options: LeptosOptions) -> Router {
    let routes = generate_route_list(App);
    Router::new()
        .leptos_routes(&options, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options)
}
