//! `onetimeshare`: wires config, tracing, the listeners and graceful shutdown.

use clap::Parser;
use onetimeshare::{Command, Config, LogFormat};
use tracing_subscriber::EnvFilter;

/// Requests make many small, short-lived allocations; mimalloc serves them
/// with a fraction of the CPU glibc's allocator spends.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    if config.command == Some(Command::HashPassword) {
        onetimeshare::hash_password_command()?;
        return Ok(());
    }
    if config.command == Some(Command::PrecompressSite) {
        for (name, plain, packed) in onetimeshare::precompress_site(&config.site_root)? {
            println!("{name}: {plain} bytes, {packed} as brotli");
        }
        return Ok(());
    }
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    match config.log_format {
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init(),
    }
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let metrics_listener = match config.metrics_listen {
        Some(m) => {
            let l = tokio::net::TcpListener::bind(m).await?;
            tracing::info!("metrics at http://{}/metrics", l.local_addr()?);
            Some(l)
        }
        None => None,
    };
    tracing::info!("OneTimeShare listening on http://{addr}");
    println!("OneTimeShare is serving at http://{addr}");
    onetimeshare::launch_with_listeners(config, listener, metrics_listener, shutdown_signal()).await
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
