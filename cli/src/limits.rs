//! What the server accepts (`GET /config`, protocol 1.1), checked before
//! anything is uploaded, so that a share the server would refuse is refused
//! here with a message that says why. A 1.0 server has no settings to read:
//! the protocol's own bounds apply and the server has the last word.

use ots_proto::{
    max_plaintext_for, Config, EXPIRES_IN_MAX_SECS, EXPIRES_IN_MIN_SECS, MAX_DOWNLOADS,
};

use crate::api::Api;
use crate::error::{Error, Result};

/// The expiry used when neither `--expires` nor the server names one.
pub const FALLBACK_EXPIRY_SECS: u32 = 86_400;

/// What one server accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest payload in bytes (`None`: unknown, a 1.0 server).
    pub max_share_bytes: Option<u64>,
    /// Shortest expiry in seconds.
    pub min_expiry: u32,
    /// Longest expiry in seconds.
    pub max_expiry: u32,
    /// The expiry offered when none is asked for.
    pub default_expiry: u32,
    /// Most downloads a share may allow.
    pub max_downloads: u32,
    /// Whether creating needs a create token.
    pub token_required: bool,
}

impl Limits {
    /// The protocol's own bounds: what any server may accept.
    pub fn protocol() -> Self {
        Self {
            max_share_bytes: None,
            min_expiry: EXPIRES_IN_MIN_SECS,
            max_expiry: EXPIRES_IN_MAX_SECS,
            default_expiry: FALLBACK_EXPIRY_SECS,
            max_downloads: MAX_DOWNLOADS,
            token_required: false,
        }
    }

    /// The limits of a server that sent its settings.
    pub fn from_config(config: &Config) -> Self {
        Self {
            max_share_bytes: Some(config.max_share_bytes),
            min_expiry: config.expires_in.min,
            max_expiry: config.expires_in.max,
            default_expiry: config.expires_in.default,
            max_downloads: config.max_downloads,
            token_required: config.create_token_required,
        }
    }

    /// Reads the server's settings; a 1.0 server gives the protocol's bounds.
    pub async fn fetch(api: &Api) -> Result<Self> {
        Ok(api
            .config()
            .await?
            .map_or_else(Self::protocol, |c| Self::from_config(&c)))
    }

    /// The expiry to use: the one asked for, checked, or the server's default.
    pub fn expiry(&self, asked: Option<u32>) -> Result<u32> {
        let Some(secs) = asked else {
            return Ok(self.default_expiry);
        };
        if secs < self.min_expiry || secs > self.max_expiry {
            return Err(Error::Usage(format!(
                "--expires {}: this server accepts expiries from {} to {}",
                duration(secs),
                duration(self.min_expiry),
                duration(self.max_expiry)
            )));
        }
        Ok(secs)
    }

    /// Checks the number of downloads.
    pub fn downloads(&self, downloads: u32) -> Result<u32> {
        if downloads > self.max_downloads {
            return Err(Error::Usage(format!(
                "--downloads {downloads}: this server allows at most {} download(s) per share",
                self.max_downloads
            )));
        }
        Ok(downloads)
    }

    /// The largest payload allowed, for the encryptor to stop at.
    pub fn max_payload(&self) -> u64 {
        self.max_share_bytes.unwrap_or(u64::MAX)
    }

    /// Checks a payload of `payload` bytes for `what` (e.g. "report.pdf").
    pub fn payload(&self, payload: u64, what: &str) -> Result<()> {
        match self.max_share_bytes {
            Some(max) if payload > max => Err(self.too_large(what)),
            _ => Ok(()),
        }
    }

    /// The error for content over the server's size limit.
    pub fn too_large(&self, what: &str) -> Error {
        let max = max_plaintext_for(self.max_payload());
        Error::Usage(format!(
            "{what} is too large: this server accepts shares of at most {} ({max} bytes)",
            bytes(max)
        ))
    }
}

/// `90s`, `10m`, `1h`, `7d`: the largest unit that divides `secs`.
pub fn duration(secs: u32) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// `1.5 GiB`, `300 KiB`, `12 bytes`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.1}");
    format!("{} {}", text.trim_end_matches(".0"), UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ots_proto::ExpiryBounds;

    fn narrow() -> Limits {
        Limits::from_config(&Config {
            v: 1,
            max_share_bytes: 10 * 1024 * 1024,
            max_inline_bytes: 1024 * 1024,
            part_bytes: ots_proto::PART_SIZE,
            expires_in: ExpiryBounds {
                min: 300,
                max: 3600,
                default: 600,
            },
            max_downloads: 3,
            create_token_required: true,
        })
    }

    #[test]
    fn the_servers_default_expiry_is_used_when_none_is_asked() {
        assert_eq!(narrow().expiry(None).unwrap(), 600);
        assert_eq!(Limits::protocol().expiry(None).unwrap(), 86_400);
    }

    #[test]
    fn an_expiry_outside_the_servers_bounds_is_refused_with_them() {
        let err = narrow().expiry(Some(86_400)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--expires 1d: this server accepts expiries from 5m to 1h"
        );
        assert!(narrow().expiry(Some(60)).is_err());
        assert_eq!(narrow().expiry(Some(3600)).unwrap(), 3600);
    }

    #[test]
    fn downloads_over_the_servers_limit_are_refused() {
        assert!(narrow().downloads(3).is_ok());
        let err = narrow().downloads(4).unwrap_err();
        assert!(err.to_string().contains("at most 3"), "{err}");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn a_payload_over_the_limit_names_the_limit() {
        let limits = narrow();
        assert!(limits.payload(10 * 1024 * 1024, "x").is_ok());
        let err = limits.payload(10 * 1024 * 1024 + 1, "big.bin").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("big.bin is too large: this server accepts shares of at most 10 MiB"),
            "{err}"
        );
        assert!(Limits::protocol().payload(u64::MAX, "x").is_ok());
    }

    #[test]
    fn sizes_and_durations_read_well() {
        assert_eq!(bytes(12), "12 bytes");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(2 * 1024 * 1024 * 1024), "2 GiB");
        assert_eq!(duration(90), "90s");
        assert_eq!(duration(604_800), "7d");
    }
}
