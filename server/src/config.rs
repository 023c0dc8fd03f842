//! Command-line flags, each with an `OTS_*` environment twin.

use std::{net::SocketAddr, path::PathBuf};

use clap::Parser;

/// The `onetimeshare` server's settings.
#[derive(Parser, Debug, Clone)]
#[command(name = "onetimeshare", version, about = "Zero-knowledge one-time sharing server")]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "OTS_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Directory of the embedded store (records and ciphertext files).
    #[arg(long, env = "OTS_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Redis URL (redis:// or rediss://); selects the Redis store for share records.
    #[arg(long, env = "OTS_REDIS_URL")]
    pub redis_url: Option<String>,

    /// The site root built by cargo-leptos (holds `pkg/`).
    #[arg(long, env = "OTS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
}
