//! Who may create shares: create tokens (protocol 1.1).
//!
//! With `--create-tokens-file` (re-read on SIGHUP) or `OTS_CREATE_TOKENS`,
//! `POST /api/v1/shares` needs `Authorization: Bearer {token}` (`401
//! token_required` without one, `403 bad_token` for a wrong one), unless
//! `--max-share-bytes-anonymous` lets anyone create up to that size; a token
//! holder may then go up to `--max-share-bytes`. Reading a share never needs one.
//!
//! Each token is kept only as its SHA-256, checked against every entry without
//! an early exit. Its name (never the token) goes to metrics and the audit log.

use std::{path::PathBuf, sync::Arc, sync::RwLock};

use axum::http::{header, HeaderMap};

use super::AdminError;
use crate::{
    config::Config,
    store::{digest_eq, Digest},
};

/// Shortest token accepted: shorter ones are guessable.
const MIN_TOKEN_LEN: usize = 16;
/// Longest token name (it is a metric label).
const MAX_NAME_LEN: usize = 64;
/// The metric label of creates without a token; no token may take it.
pub(crate) const ANONYMOUS: &str = "anonymous";

/// Where the tokens come from.
#[derive(Clone, Debug)]
enum Source {
    /// None configured: everyone creates anonymously.
    None,
    /// `--create-tokens-file`, re-read on SIGHUP.
    File(PathBuf),
    /// `OTS_CREATE_TOKENS`.
    Env,
}

/// One token as kept: its name and its SHA-256.
#[derive(Clone)]
struct Entry {
    name: Arc<str>,
    hash: Digest,
}

/// The configured create tokens.
pub(crate) struct CreateTokens {
    source: Source,
    entries: RwLock<Arc<Vec<Entry>>>,
    /// Whether creating needs a token (no anonymous size is set).
    required: bool,
}

impl std::fmt::Debug for CreateTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateTokens")
            .field("source", &self.source)
            .field("required", &self.required)
            .finish_non_exhaustive()
    }
}

impl Default for CreateTokens {
    fn default() -> Self {
        Self {
            source: Source::None,
            entries: RwLock::new(Arc::new(Vec::new())),
            required: false,
        }
    }
}

/// Parses `name:token` entries (lines or commas; blank lines and `#` comments
/// skipped). Errors name the entry, never the token.
fn parse(text: &str) -> Result<Vec<Entry>, AdminError> {
    let mut out: Vec<Entry> = Vec::new();
    for (n, raw) in text.split(['\n', ',']).enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = n + 1;
        let Some((name, token)) = line.split_once(':') else {
            return Err(AdminError::Config(format!(
                "create token entry {at} is not `name:token`"
            )));
        };
        let (name, token) = (name.trim(), token.trim());
        let name_ok = !name.is_empty()
            && name.len() <= MAX_NAME_LEN
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !name_ok || name == ANONYMOUS {
            return Err(AdminError::Config(format!(
                "create token entry {at}: the name must be 1-{MAX_NAME_LEN} of A-Z a-z 0-9 _ - . (and not `{ANONYMOUS}`)"
            )));
        }
        if token.len() < MIN_TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AdminError::Config(format!(
                "create token `{name}`: the token must be at least {MIN_TOKEN_LEN} printable characters without spaces or commas"
            )));
        }
        let hash = super::session::sha256(&[token.as_bytes()]);
        if out.iter().any(|e| &*e.name == name) {
            return Err(AdminError::Config(format!(
                "create token name `{name}` is used twice"
            )));
        }
        if out.iter().any(|e| digest_eq(&e.hash, &hash)) {
            return Err(AdminError::Config(format!(
                "create token `{name}` repeats another entry's token"
            )));
        }
        out.push(Entry {
            name: name.into(),
            hash,
        });
    }
    Ok(out)
}

impl CreateTokens {
    /// The tokens the settings name; an unreadable file or a bad entry is an error.
    pub(crate) fn from_config(config: &Config) -> Result<Self, AdminError> {
        let (source, entries) = if let Some(path) = &config.create_tokens_file {
            (Source::File(path.clone()), read_file(path)?)
        } else if let Some(text) = &config.create_tokens {
            (Source::Env, parse(text.expose())?)
        } else {
            return Ok(Self::default());
        };
        if entries.is_empty() {
            return Err(AdminError::Config(
                "create tokens are configured but none is listed".into(),
            ));
        }
        Ok(Self {
            source,
            entries: RwLock::new(Arc::new(entries)),
            required: config.max_share_bytes_anonymous.is_none(),
        })
    }

    /// Whether any token is configured.
    pub(crate) fn configured(&self) -> bool {
        !matches!(self.source, Source::None)
    }

    /// Whether creating a share needs a token.
    pub(crate) fn required(&self) -> bool {
        self.configured() && self.required
    }

    /// The name of the token `presented`, if it is one (every entry is compared).
    pub(crate) fn name_of(&self, presented: &str) -> Option<Arc<str>> {
        let hash = super::session::sha256(&[presented.as_bytes()]);
        let entries = self
            .entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        entries.iter().fold(None, |found, e| {
            if digest_eq(&e.hash, &hash) {
                Some(e.name.clone())
            } else {
                found
            }
        })
    }

    /// Reads the token file again (SIGHUP). On any error the old tokens stay.
    pub(crate) fn reload(&self) -> Result<usize, AdminError> {
        let Source::File(path) = &self.source else {
            return Ok(0);
        };
        let entries = read_file(path)?;
        if entries.is_empty() {
            return Err(AdminError::Config(
                "the create token file lists no token; the old tokens stay".into(),
            ));
        }
        let n = entries.len();
        *self.entries.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(entries);
        Ok(n)
    }

    /// Reloads the file on every SIGHUP until the process ends.
    pub(crate) async fn reload_on_hangup(self: Arc<Self>) {
        if !matches!(self.source, Source::File(_)) {
            return;
        }
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let Ok(mut hup) = signal(SignalKind::hangup()) else {
                tracing::warn!(
                    "cannot listen for SIGHUP: the create token file is read only at start"
                );
                return;
            };
            while hup.recv().await.is_some() {
                match self.reload() {
                    Ok(n) => tracing::info!(tokens = n, "create tokens reloaded"),
                    Err(e) => tracing::error!(error = %e, "create tokens not reloaded"),
                }
            }
        }
    }
}

fn read_file(path: &std::path::Path) -> Result<Vec<Entry>, AdminError> {
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
        AdminError::Config(format!(
            "cannot read create tokens file {}: {e}",
            path.display()
        ))
    })?);
    parse(&text)
}

/// Who a create request comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Creator {
    /// No token (none needed).
    Anonymous,
    /// A create token's holder: its name.
    Holder(Arc<str>),
}

impl Creator {
    /// The token's name, for metrics and the audit log.
    pub(crate) fn token_name(&self) -> Option<&str> {
        match self {
            Creator::Anonymous => None,
            Creator::Holder(name) => Some(name),
        }
    }

    /// The largest share this creator may make.
    pub(crate) fn max_share_bytes(&self, config: &Config) -> u64 {
        match self {
            Creator::Holder(_) => config.max_share_bytes,
            Creator::Anonymous => config.max_share_bytes_anonymous(),
        }
    }

    /// The creator a request's `Authorization` names, without refusing anything
    /// (`GET /config` answers for whoever asks).
    pub(crate) fn peek(tokens: &CreateTokens, headers: &HeaderMap) -> Self {
        bearer(headers)
            .and_then(|t| tokens.name_of(t))
            .map_or(Creator::Anonymous, Creator::Holder)
    }
}

/// The credential of `Authorization: Bearer {credential}`.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn tokens(text: &str, anonymous: Option<u64>) -> CreateTokens {
        let mut c = Config::for_data_dir("/nonexistent");
        c.create_tokens = Some(text.to_owned().into());
        c.max_share_bytes_anonymous = anonymous;
        CreateTokens::from_config(&c).unwrap()
    }

    #[test]
    fn entries_are_named_tokens_of_lines_or_commas() {
        let t = tokens(
            "# team tokens\nalice:aaaaaaaaaaaaaaaa1\n\nbob:bbbbbbbbbbbbbbbb:2, ci.bot:cccccccccccccccc3",
            None,
        );
        assert_eq!(t.name_of("aaaaaaaaaaaaaaaa1").as_deref(), Some("alice"));
        assert_eq!(t.name_of("bbbbbbbbbbbbbbbb:2").as_deref(), Some("bob"));
        assert_eq!(t.name_of("cccccccccccccccc3").as_deref(), Some("ci.bot"));
        assert_eq!(t.name_of("aaaaaaaaaaaaaaaa"), None);
        assert!(t.required());
        assert!(!tokens("a:aaaaaaaaaaaaaaaaaaaa", Some(10)).required());
    }

    #[test]
    fn bad_entries_are_refused_without_naming_the_token() {
        for (text, says) in [
            ("alice", "is not `name:token`"),
            ("al ice:aaaaaaaaaaaaaaaaaaaa", "the name"),
            ("anonymous:aaaaaaaaaaaaaaaaaaaa", "the name"),
            ("alice:short", "at least 16"),
            (
                "a:aaaaaaaaaaaaaaaaaaaa\na:bbbbbbbbbbbbbbbbbbbbbb",
                "used twice",
            ),
            ("a:aaaaaaaaaaaaaaaaaaaa\nb:aaaaaaaaaaaaaaaaaaaa", "repeats"),
        ] {
            let err = parse(text).err().unwrap().to_string();
            assert!(err.contains(says), "{text}: {err}");
            assert!(!err.contains("aaaaaaaaaaaaaaaaaaaa"), "{err}");
        }
    }

    #[test]
    fn a_holder_gets_the_full_size_and_anyone_else_the_anonymous_one() {
        let mut c = Config::for_data_dir("/nonexistent");
        c.max_share_bytes = 1000;
        c.max_share_bytes_anonymous = Some(10);
        assert_eq!(Creator::Holder("a".into()).max_share_bytes(&c), 1000);
        assert_eq!(Creator::Anonymous.max_share_bytes(&c), 10);
        c.max_share_bytes_anonymous = Some(5000);
        assert_eq!(
            Creator::Anonymous.max_share_bytes(&c),
            1000,
            "never above the maximum"
        );
    }
}
