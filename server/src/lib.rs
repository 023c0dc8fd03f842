//! The OneTimeShare server: the REST API of protocol §5, the Leptos site and
//! the operator's console and metrics.
//!
//! Other crates use [`Config`] and [`launch_with_listener`] (to run a server,
//! e.g. in a test on port 0) and [`store`] (the [`store::Store`] trait, its
//! backends and their contract suite); everything else is the server's own.
#![deny(missing_docs)]

mod admin;
mod api;
mod blobs;
mod clock;
mod config;
mod downloads;
mod headers;
mod limits;
mod metrics;
mod quota;
mod serve;
mod site;
mod state;
pub mod store;
mod sweeper;

use std::{future::Future, sync::Arc, time::Duration};

use axum::{extract::State, http::StatusCode, middleware, routing::get, Router};
use tokio::{net::TcpListener, sync::watch};

pub use crate::admin::{hash_password_command, AdminError};
pub use crate::config::{Command, Config, LogFormat, Secret};
pub use crate::site::precompress_site;
use crate::{blobs::Blobs, clock::Clock, headers::SecurityHeaders, state::AppState, store::Store};

/// The whole application: health checks, the API and the site, behind the security headers.
fn router(state: AppState) -> Router {
    let idle = Duration::from_secs(state.config.body_idle_timeout_secs.max(1));
    let sec = SecurityHeaders {
        hsts: state.config.hsts(),
    };
    let metrics = state.metrics.clone();
    let mut app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz).with_state(state.clone()))
        .merge(api::router(state.clone()));
    if state.console.is_some() {
        app = app.merge(admin::router(state.clone()));
    }
    app.merge(site::router(
        site::options(&state.config.site_root),
        site::page_context(&state),
    ))
    // One layer (one boxed future and one service clone per request) for the
    // three steps around every request, outermost first: the security headers,
    // the request body's idle timeout, the metrics.
    .layer(middleware::from_fn(move |req, next: middleware::Next| {
        let (sec, metrics) = (sec.clone(), metrics.clone());
        async move {
            headers::around(&sec, req, |req| {
                metrics::around(&metrics, limits::idle_timeout_body(idle, req), |req| {
                    next.run(req)
                })
            })
            .await
        }
    }))
}

/// `200` when the store answers, `503` otherwise.
async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::error!(error = %e, "store not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable")
        }
    }
}

/// The record store the config selects, and the rate-limit counts every
/// instance shares (Redis), if any.
type Opened = (Arc<dyn Store>, Option<Arc<dyn limits::SharedCounts>>);

/// Opens the store the config selects.
async fn open_store(config: &Config, blobs: &Blobs) -> anyhow::Result<Opened> {
    #[cfg(feature = "redis")]
    if let Some(url) = &config.redis_url {
        let mut opts = store::redis::RedisOptions::new(url.clone());
        opts.tombstone_secs = config.tombstone_secs;
        opts.key_prefix = config.key_prefix.clone();
        let redis = Arc::new(store::redis::RedisStore::open(&opts)?);
        // Connected before the first request (and the clock's first reading of
        // Redis `TIME`); a Redis that is down is no reason not to start: `/readyz`
        // answers 503 and the client keeps reconnecting.
        if let Err(e) = redis.wait_connected(store::redis::STARTUP_WAIT).await {
            tracing::warn!(error = %e, "Redis cannot be reached yet: not ready until it can");
        }
        return Ok((redis.clone(), Some(redis)));
    }
    #[cfg(not(feature = "redis"))]
    if config.redis_url.is_some() {
        anyhow::bail!("this build has no Redis store (cargo feature `redis`); unset --redis-url / OTS_REDIS_URL");
    }
    let store = store::embedded::EmbeddedStore::open(&config.data_dir)?;
    // This instance alone keeps these records: its parts are the stored-bytes count.
    store
        .reserve_bytes(blobs.stored_bytes().await?, u64::MAX)
        .await?;
    Ok((Arc::new(store), None))
}

/// Serves on `listener` until `shutdown` resolves, then finishes in-flight
/// requests; with `--metrics-listen`, binds and serves the metrics listener too.
pub async fn launch_with_listener(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let metrics_listener = match config.metrics_listen {
        Some(addr) => Some(TcpListener::bind(addr).await?),
        None => None,
    };
    launch_with_listeners(config, listener, metrics_listener, shutdown).await
}

/// As [`launch_with_listener`], with the metrics listener given (`GET /metrics`
/// is served there and nowhere else; `None`: no metrics listener).
pub async fn launch_with_listeners(
    config: Config,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let operator = admin::settings::Operator::from_config(&config)?;
    let blobs = Blobs::from_config(&config)?;
    let (store, shared_counts) = open_store(&config, &blobs).await?;
    // On a shared store (Redis) every instance keeps time by the store's clock.
    let clock = Clock::following(store.clone()).await;
    let mut state = AppState::new(store, blobs, Arc::new(config), clock).with_operator(operator);
    if let Some(counts) = shared_counts {
        state = state.with_shared_limits(counts);
    }
    let sweeper = tokio::spawn(sweeper::run(
        state.clone(),
        Duration::from_secs(state.config.sweep_secs.clamp(1, sweeper::MAX_PERIOD_SECS)),
    ));
    let upkeep = tokio::spawn(metrics::upkeep(state.metrics.clone(), state.store.clone()));
    let hangup = tokio::spawn(state.create_tokens.clone().reload_on_hangup());
    let max_connections = state.config.max_connections.max(1) as usize;
    serve::raise_open_files_limit(max_connections);
    let opts = serve::ServeOptions {
        header_timeout: Duration::from_secs(state.config.header_timeout_secs.max(1)),
        write_timeout: Duration::from_secs(state.config.write_timeout_secs.max(1)),
        max_connections,
        shutdown_grace: Duration::from_secs(state.config.shutdown_grace_secs),
    };
    let (stop, stopped) = watch::channel(false);
    let metrics_server = metrics_listener.map(|l| {
        let mut stopped = stopped.clone();
        let until = async move {
            let _ = stopped.wait_for(|s| *s).await;
        };
        tokio::spawn(serve::serve(
            l,
            metrics::router(state.metrics.clone(), state.store.clone()),
            opts,
            until,
        ))
    });
    serve::serve(listener, router(state.clone()), opts, shutdown).await;
    let _ = stop.send(true);
    if let Some(m) = metrics_server {
        let _ = m.await;
    }
    sweeper.abort();
    upkeep.abort();
    hangup.abort();
    // The console's counts of the last seconds are not lost with the process.
    let _ = state.metrics.flush_events(&*state.store).await;
    Ok(())
}
