//! The OneTimeShare server: the REST API of protocol §5 and the Leptos site.

pub mod config;
pub mod site;

use axum::{routing::get, Router};
use tokio::net::TcpListener;

pub use config::Config;

/// The whole application: health checks and the site.
pub fn router(config: &Config) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(site::router(site::options(&config.site_root)))
}

/// Serves on `listener` until `shutdown` resolves, then finishes in-flight requests.
pub async fn launch_with_listener(
    config: Config,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = router(&config);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}
