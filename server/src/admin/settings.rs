//! What the operator's settings switch on (the console, create tokens,
//! footer links), read and checked once before the server starts.

use std::sync::Arc;

use app::SiteLinks;
use tokio::sync::Semaphore;

use super::{
    auth::PasswordCheck,
    create_tokens::CreateTokens,
    lockout::Lockout,
    session::{self, Cookies},
    AdminError,
};
use crate::{config::Config, store::Digest};

/// Password checks run at once (each costs tens of milliseconds of one core).
const VERIFY_CONCURRENCY: usize = 2;

/// The console: its password, the key of its sign-in forms, its cookies and its limits.
pub(crate) struct Console {
    pub(super) password: PasswordCheck,
    pub(super) form_key: Digest,
    pub(super) cookies: Cookies,
    pub(super) lockout: Lockout,
    pub(super) verifying: Semaphore,
}

impl Console {
    /// Counts the sign-in limits in `counts` (Redis), shared by every instance.
    pub(crate) fn share_limits(&self, counts: Arc<dyn crate::limits::SharedCounts>) {
        self.lockout.share(counts);
    }
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console").finish_non_exhaustive()
    }
}

/// Everything the operator's settings switch on, checked before the server starts.
pub(crate) struct Operator {
    /// The console, when a password hash is set.
    pub(crate) console: Option<Arc<Console>>,
    /// The create tokens.
    pub(crate) create_tokens: Arc<CreateTokens>,
    /// The footer links.
    pub(crate) links: SiteLinks,
}

impl Operator {
    /// Reads and checks the operator's settings; a bad one is an error that names it.
    pub(crate) fn from_config(config: &Config) -> Result<Self, AdminError> {
        let console = match &config.admin_password_hash {
            Some(phc) => {
                let password = PasswordCheck::parse(phc.expose())?;
                Some(Arc::new(Console {
                    form_key: session::form_key(password.material()),
                    password,
                    cookies: Cookies {
                        https: config.hsts(),
                    },
                    lockout: Lockout::default(),
                    verifying: Semaphore::new(VERIFY_CONCURRENCY),
                }))
            }
            None => None,
        };
        Ok(Self {
            console,
            create_tokens: Arc::new(CreateTokens::from_config(config)?),
            links: SiteLinks {
                imprint: link(config.imprint_url.as_deref(), "--imprint-url", false)?,
                privacy: link(config.privacy_url.as_deref(), "--privacy-url", false)?,
                abuse: link(config.abuse_contact.as_deref(), "--abuse-contact", true)?,
            },
        })
    }
}

/// A footer link: an http(s) or mailto: address; with `email`, a bare address becomes `mailto:`.
fn link(value: Option<&str>, flag: &str, email: bool) -> Result<Option<String>, AdminError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let lower = v.to_ascii_lowercase();
    let ok = (lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:"))
        && !v.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        return Ok(Some(v.to_owned()));
    }
    if email && v.contains('@') && !v.contains(['/', ':', ' ']) {
        return Ok(Some(format!("mailto:{v}")));
    }
    Err(AdminError::Config(format!(
        "{flag} must be an https://, http:// or mailto: address{}",
        if email { " (or an e-mail address)" } else { "" }
    )))
}
