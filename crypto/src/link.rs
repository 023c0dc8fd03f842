//! Share and manage links (protocol §1):
//!
//! ```text
//! share link   {origin}/s/{id}#{b64(K)}
//! manage link  {origin}/m/{id}#{b64(manage_token)}
//! ```
//!
//! Only the part before `#` may ever reach a server; the fragment is the key.

use core::fmt;
use core::str::FromStr;

use crate::error::{Error, Result};
use crate::keys::LinkSecret;
use ots_proto::{ShareId, Token};

/// Path segment of a share link.
const SHARE_PATH: &str = "/s/";
/// Path segment of a manage link.
const MANAGE_PATH: &str = "/m/";

/// Splits `{origin}{path}{id}#{fragment}` into its checked parts.
fn split_link<'a>(link: &'a str, path: &'static str) -> Result<(String, ShareId, &'a str)> {
    let link = link.trim();
    let (before, fragment) = link
        .split_once('#')
        .ok_or(Error::Link("no key after '#'"))?;
    if fragment.is_empty() {
        return Err(Error::Link("no key after '#'"));
    }
    let (origin, id) = before.rsplit_once(path).ok_or(if path == SHARE_PATH {
        Error::Link("expected {origin}/s/{id}#{key}")
    } else {
        Error::Link("expected {origin}/m/{id}#{token}")
    })?;
    let id = ShareId::parse(id)
        .map_err(|_| Error::Link("the share id is not 22 base64url characters"))?;
    check_origin(origin)?;
    Ok((origin.to_owned(), id, fragment))
}

/// An origin is `http://` or `https://` and a host; a path prefix is
/// allowed (a site served below a path), queries and whitespace are not.
fn check_origin(origin: &str) -> Result<()> {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or(Error::Link(
            "the origin must start with https:// or http://",
        ))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err(Error::Link("the origin has no host"));
    }
    if origin
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '\\'))
    {
        return Err(Error::Link(
            "the origin has characters a url origin cannot have",
        ));
    }
    Ok(())
}

/// `{origin}/s/{id}#{b64(K)}`: what the sender gives the recipient.
///
/// `Display` writes the whole link, secret included (that is its purpose);
/// `Debug` redacts the secret.
#[derive(Debug, Clone)]
pub struct ShareLink {
    /// Scheme and host, e.g. `https://ots.example`, without a trailing `/`.
    pub origin: String,
    /// The share id.
    pub id: ShareId,
    /// The link secret `K`, the URL fragment.
    pub secret: LinkSecret,
}

impl ShareLink {
    /// Parses a share link; surrounding whitespace is ignored.
    pub fn parse(link: &str) -> Result<Self> {
        let (origin, id, fragment) = split_link(link, SHARE_PATH)?;
        let secret = LinkSecret::from_fragment(fragment)
            .map_err(|_| Error::Link("the key after '#' is not 43 base64url characters"))?;
        Ok(Self { origin, id, secret })
    }

    /// The link without its fragment: the only part a server may see.
    pub fn page_url(&self) -> String {
        format!(
            "{}{SHARE_PATH}{}",
            self.origin.trim_end_matches('/'),
            self.id
        )
    }
}

impl fmt::Display for ShareLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.page_url(), self.secret.to_fragment())
    }
}

impl FromStr for ShareLink {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// `{origin}/m/{id}#{b64(manage_token)}`: what the sender keeps to see and
/// revoke the share.
///
/// `Display` writes the whole link, token included; `Debug` redacts it.
#[derive(Debug, Clone)]
pub struct ManageLink {
    /// Scheme and host, e.g. `https://ots.example`, without a trailing `/`.
    pub origin: String,
    /// The share id.
    pub id: ShareId,
    /// The server-issued manage token, the URL fragment.
    pub token: Token,
}

impl ManageLink {
    /// Parses a manage link; surrounding whitespace is ignored.
    pub fn parse(link: &str) -> Result<Self> {
        let (origin, id, fragment) = split_link(link, MANAGE_PATH)?;
        let token = Token::from_b64(fragment)
            .map_err(|_| Error::Link("the token after '#' is not 43 base64url characters"))?;
        Ok(Self { origin, id, token })
    }

    /// The link without its fragment: the only part a server may see.
    pub fn page_url(&self) -> String {
        format!(
            "{}{MANAGE_PATH}{}",
            self.origin.trim_end_matches('/'),
            self.id
        )
    }
}

impl fmt::Display for ManageLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.page_url(), self.token.to_b64())
    }
}

impl FromStr for ManageLink {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}
