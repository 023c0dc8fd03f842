//! Command-line flags, each with an `OTS_*` environment twin.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use ipnet::IpNet;
use ots_proto::{EXPIRES_IN_MAX_SECS, EXPIRES_IN_MIN_SECS, INLINE_MAX_BYTES, TICKET_TTL_SECS};
use zeroize::Zeroizing;

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

    /// Redis URL (redis:// or rediss://; a Redis Cluster as redis-cluster://host:port[,host:port...],
    /// also spelled redis+cluster://); selects the Redis store for share records.
    #[arg(long, env = "OTS_REDIS_URL")]
    pub redis_url: Option<String>,

    /// Prepended to every Redis key, so that several deployments can share one Redis
    /// (no braces: they are the Cluster hash tag).
    #[arg(long, env = "OTS_KEY_PREFIX", default_value = "ots:")]
    pub key_prefix: String,

    /// Where payload parts live: `file:///path` or `s3://bucket[/prefix]` (S3 settings
    /// from the standard `AWS_*` variables). Default: files in `{data-dir}/parts`.
    #[arg(long, env = "OTS_BLOB_URL")]
    pub blob_url: Option<String>,

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

    /// Reverse proxies whose `X-Forwarded-For` is believed (CIDR list, e.g. `10.0.0.0/8,::1/128`).
    #[arg(long, env = "OTS_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpNet>,

    /// IPv6 clients are counted by this prefix (one /64 is one client by default).
    #[arg(long, env = "OTS_IPV6_PREFIX_LEN", default_value_t = 64, value_parser = clap::value_parser!(u8).range(16..=128))]
    pub ipv6_prefix_len: u8,

    /// Part uploads handled at once; more get `503 busy`.
    #[arg(long, env = "OTS_MAX_CONCURRENT_UPLOADS", default_value_t = 16)]
    pub max_concurrent_uploads: u32,

    /// Part uploads in flight from one client address; more get `503 busy`.
    #[arg(long, env = "OTS_MAX_UPLOADS_PER_ADDRESS", default_value_t = 4)]
    pub max_uploads_per_address: u32,

    /// Slowest part upload accepted, in bytes per second over any `--upload-rate-window-secs`.
    #[arg(long, env = "OTS_UPLOAD_MIN_BYTES_PER_SEC", default_value_t = 64 * 1024)]
    pub upload_min_bytes_per_sec: u64,

    /// The window over which an upload's rate is measured, in seconds.
    #[arg(long, env = "OTS_UPLOAD_RATE_WINDOW_SECS", default_value_t = 30)]
    pub upload_rate_window_secs: u64,

    /// Longest a part upload may take in all, in seconds.
    #[arg(long, env = "OTS_UPLOAD_DEADLINE_SECS", default_value_t = 300)]
    pub upload_deadline_secs: u64,

    /// Open connections at once; more wait in the listen queue.
    #[arg(long, env = "OTS_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: u32,

    /// Seconds a response may wait for a client that stops reading; then the connection is closed.
    #[arg(long, env = "OTS_WRITE_TIMEOUT_SECS", default_value_t = 30)]
    pub write_timeout_secs: u64,

    /// Downloads streaming to one client address at once; more get `429 rate_limited`.
    #[arg(long, env = "OTS_MAX_DOWNLOADS_PER_ADDRESS", default_value_t = 8)]
    pub max_downloads_per_address: u32,

    /// Most bytes of ciphertext stored at once (part files); unset: keep 10% of the data dir's filesystem free.
    #[arg(long, env = "OTS_MAX_STORED_BYTES")]
    pub max_stored_bytes: Option<u64>,

    /// Seconds a ticket lives after its last byte sent (the protocol's 600; lower only for tests).
    #[arg(long, env = "OTS_TICKET_TTL_SECS", default_value_t = TICKET_TTL_SECS, hide = true)]
    pub ticket_ttl_secs: u32,

    /// Seconds a client may take to send its request headers.
    #[arg(long, env = "OTS_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,

    /// Seconds a request body may stay silent before the request fails.
    #[arg(long, env = "OTS_BODY_IDLE_TIMEOUT_SECS", default_value_t = 30)]
    pub body_idle_timeout_secs: u64,

    /// Seconds between sweeps of expired and consumed ciphertext (1..=60: protocol §6 wants bytes gone within a minute).
    #[arg(long, env = "OTS_SWEEP_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub sweep_secs: u64,

    /// Seconds a share is still remembered (410) after its expiry before it becomes 404.
    #[arg(long, env = "OTS_TOMBSTONE_SECS", default_value_t = 86_400)]
    pub tombstone_secs: u64,

    /// Seconds in-flight requests get to finish on shutdown.
    #[arg(long, env = "OTS_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,

    /// Argon2id PHC string of the operator console's password (`onetimeshare
    /// hash-password` makes one); unset, there is no console and /admin is 404.
    #[arg(long, env = "OTS_ADMIN_PASSWORD_HASH", hide_env_values = true)]
    pub admin_password_hash: Option<Secret>,

    /// File of create tokens, one `name:token` a line, re-read on SIGHUP; set, creating a share needs a token.
    #[arg(long, env = "OTS_CREATE_TOKENS_FILE", conflicts_with = "create_tokens")]
    pub create_tokens_file: Option<PathBuf>,

    /// Create tokens as `name:token` entries separated by commas or newlines
    /// (better in the environment than on the command line, which `ps` shows).
    #[arg(long, env = "OTS_CREATE_TOKENS", hide_env_values = true)]
    pub create_tokens: Option<Secret>,

    /// Largest payload of a share created without a create token; with create
    /// tokens configured, setting it lets anyone create up to this size.
    #[arg(long, env = "OTS_MAX_SHARE_BYTES_ANONYMOUS")]
    pub max_share_bytes_anonymous: Option<u64>,

    /// Link to the operator's imprint (legal notice), in every page's footer.
    #[arg(long, env = "OTS_IMPRINT_URL")]
    pub imprint_url: Option<String>,

    /// Link to the privacy policy, in every page's footer.
    #[arg(long, env = "OTS_PRIVACY_URL")]
    pub privacy_url: Option<String>,

    /// Where to report abuse (an e-mail address, mailto: or https: URL), in every page's footer.
    #[arg(long, env = "OTS_ABUSE_CONTACT")]
    pub abuse_contact: Option<String>,

    /// Address of a separate listener for Prometheus (`GET /metrics`); off when unset.
    #[arg(long, env = "OTS_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Log lines as text or as JSON objects (one a line).
    #[arg(long, env = "OTS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// A task other than serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Tasks of the `onetimeshare` binary besides serving.
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Reads a password (from the terminal without echo, or from stdin) and
    /// prints its Argon2id PHC string for --admin-password-hash.
    HashPassword,
    /// Writes `<file>.br` beside each bundle file (`*.wasm`, `*.js`, `*.css`)
    /// of `--site-root`'s `pkg/`, brotli at the best quality, so that the
    /// server starts without compressing them (run it after every build of
    /// the site; a `.br` file that no longer matches its file is ignored).
    PrecompressSite,
}

/// How log lines are written.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line.
    Json,
}

/// A setting that must never be printed (a password hash, tokens); wiped on drop.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// The value, for the one place that parses it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(Zeroizing::new(s))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
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

    /// The largest share a create without a create token may make.
    pub(crate) fn max_share_bytes_anonymous(&self) -> u64 {
        self.max_share_bytes_anonymous
            .map_or(self.max_share_bytes, |a| a.min(self.max_share_bytes))
    }

    /// Whether responses carry HSTS.
    pub(crate) fn hsts(&self) -> bool {
        self.public_origin
            .as_deref()
            .is_some_and(|o| o.starts_with("https://"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_period_over_a_minute_is_refused() {
        assert!(Config::try_parse_from(["onetimeshare", "--sweep-secs", "61"]).is_err());
        assert!(Config::try_parse_from(["onetimeshare", "--sweep-secs", "0"]).is_err());
        assert!(Config::try_parse_from(["onetimeshare", "--sweep-secs", "60"]).is_ok());
    }

    #[test]
    fn trusted_proxies_are_a_list_of_networks() {
        let c = Config::try_parse_from([
            "onetimeshare",
            "--trusted-proxies",
            "10.0.0.0/8,192.0.2.7/32,fd00::/8",
        ])
        .expect("parses");
        assert_eq!(c.trusted_proxies.len(), 3);
        assert!(Config::try_parse_from(["onetimeshare", "--trusted-proxies", "nope"]).is_err());
        assert_eq!(Config::for_data_dir("x").ipv6_prefix_len, 64);
    }
}
