//! Command-line flags, each with an `OTS_*` environment twin.

use std::{net::SocketAddr, path::PathBuf};

use clap::Parser;
use ots_proto::{EXPIRES_IN_MAX_SECS, EXPIRES_IN_MIN_SECS, INLINE_MAX_BYTES};

/// The `onetimeshare` server's settings.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "onetimeshare",
    version,
    about = "Zero-knowledge one-time sharing server"
)]
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

    /// The public origin (e.g. https://share.example); an https origin turns on HSTS.
    #[arg(long, env = "OTS_PUBLIC_ORIGIN")]
    pub public_origin: Option<String>,

    /// Largest share payload in bytes.
    #[arg(long, env = "OTS_MAX_SHARE_BYTES", default_value_t = 2 * 1024 * 1024 * 1024)]
    pub max_share_bytes: u64,

    /// Largest payload accepted inline in the create request (protocol: at most 1 MiB).
    #[arg(long, env = "OTS_MAX_INLINE_BYTES", default_value_t = INLINE_MAX_BYTES)]
    pub max_inline_bytes: u64,

    /// Shortest `expires_in` accepted, in seconds (the protocol's 60; lower only for tests).
    #[arg(long, env = "OTS_MIN_EXPIRY_SECS", default_value_t = EXPIRES_IN_MIN_SECS)]
    pub min_expiry_secs: u32,

    /// Longest `expires_in` accepted, in seconds.
    #[arg(long, env = "OTS_MAX_EXPIRY_SECS", default_value_t = EXPIRES_IN_MAX_SECS)]
    pub max_expiry_secs: u32,

    /// The expiry a client offers first, in seconds (kept within the min and max).
    #[arg(long, env = "OTS_DEFAULT_EXPIRY_SECS", default_value_t = 86_400)]
    pub default_expiry_secs: u32,

    /// Creates allowed per client address per minute (token bucket; 0 disables).
    #[arg(long, env = "OTS_RATE_CREATE_PER_MIN", default_value_t = 30)]
    pub rate_create_per_min: u32,

    /// Claims allowed per client address per minute (token bucket; 0 disables).
    #[arg(long, env = "OTS_RATE_CLAIM_PER_MIN", default_value_t = 60)]
    pub rate_claim_per_min: u32,

    /// Trust the last address of `X-Forwarded-For` as the client (behind one reverse proxy).
    #[arg(long, env = "OTS_TRUST_PROXY", default_value_t = false)]
    pub trust_proxy: bool,

    /// Part uploads handled at once; more get `503 busy`.
    #[arg(long, env = "OTS_MAX_CONCURRENT_UPLOADS", default_value_t = 16)]
    pub max_concurrent_uploads: u32,

    /// Seconds a client may take to send its request headers.
    #[arg(long, env = "OTS_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,

    /// Seconds a request body may stay silent before the request fails.
    #[arg(long, env = "OTS_BODY_IDLE_TIMEOUT_SECS", default_value_t = 30)]
    pub body_idle_timeout_secs: u64,

    /// Seconds between sweeps of expired and consumed ciphertext (at most 60 for protocol §6).
    #[arg(long, env = "OTS_SWEEP_SECS", default_value_t = 30)]
    pub sweep_secs: u64,

    /// Seconds a share is still remembered (410) after its expiry before it becomes 404.
    #[arg(long, env = "OTS_TOMBSTONE_SECS", default_value_t = 86_400)]
    pub tombstone_secs: u64,

    /// Seconds in-flight requests get to finish on shutdown.
    #[arg(long, env = "OTS_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,
}

impl Config {
    /// Defaults for a data dir (tests and embedding).
    pub fn for_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        let mut c = Self::parse_from(["onetimeshare"]);
        c.data_dir = data_dir.into();
        c
    }

    /// The expiry clients offer first: the configured default within the bounds.
    pub(crate) fn default_expiry_secs(&self) -> u32 {
        self.default_expiry_secs.clamp(
            self.min_expiry_secs,
            self.max_expiry_secs.max(self.min_expiry_secs),
        )
    }

    /// Whether responses carry HSTS.
    pub(crate) fn hsts(&self) -> bool {
        self.public_origin
            .as_deref()
            .is_some_and(|o| o.starts_with("https://"))
    }
}
