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

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::b64;
use crate::error::{Error, Result};
use crate::keys::{LinkSecret, Token};

/// Random bytes in a share id (protocol §1).
pub const SHARE_ID_SIZE: usize = 16;
/// Characters of a share id: base64url of 16 bytes without padding.
pub const SHARE_ID_LEN: usize = b64::encoded_len(SHARE_ID_SIZE);
/// Path segment of a share link.
const SHARE_PATH: &str = "/s/";
/// Path segment of a manage link.
const MANAGE_PATH: &str = "/m/";

/// A share id: 16 random bytes made by the server, as 22 characters of
/// base64url. Always canonical: it round-trips through [`b64::decode`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShareId(String);

impl ShareId {
    /// Makes a fresh id from the platform CSPRNG (the server does this).
    pub fn generate() -> Result<Self> {
        let mut bytes = [0u8; SHARE_ID_SIZE];
        getrandom::fill(&mut bytes).map_err(|_| Error::Random)?;
        Ok(Self::from_bytes(bytes))
    }

    /// The id of known bytes.
    pub fn from_bytes(bytes: [u8; SHARE_ID_SIZE]) -> Self {
        Self(b64::encode(bytes))
    }

    /// Parses the 22-character form; anything else is an error.
    pub fn parse(text: &str) -> Result<Self> {
        b64::decode_array::<SHARE_ID_SIZE>(text, "share id")?;
        Ok(Self(text.to_owned()))
    }

    /// The 22-character form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 16 bytes.
    pub fn to_bytes(&self) -> [u8; SHARE_ID_SIZE] {
        b64::decode_array(&self.0, "share id").expect("a ShareId is always valid base64url")
    }
}

impl fmt::Display for ShareId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ShareId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ShareId({})", self.0)
    }
}

impl AsRef<str> for ShareId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for ShareId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl PartialEq<str> for ShareId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for ShareId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl Serialize for ShareId {
    fn serialize<S: Serializer>(&self, serializer: S) -> core::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ShareId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> core::result::Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

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
