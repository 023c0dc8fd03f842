//! Reading the links given to `ots`. A link (with its key) can come from the
//! command line, from standard input (`-`) or from an environment variable,
//! so that it need not appear in `ps` or the shell's history. The server is
//! the link's origin; a link given without one (`/s/ID#KEY` or `ID#KEY`) is
//! completed with `--server` or `OTS_SERVER`. A share link may come without
//! its key, which then comes apart (`--key`, `OTS_KEY`): protocol 1.1 §1.

use std::io::{BufRead, IsTerminal};

use ots_crypto::{LinkSecret, ManageLink, ShareLink};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The environment variable a share link can come from.
pub const LINK_ENV: &str = "OTS_LINK";
/// The environment variable a manage link can come from.
pub const MANAGE_LINK_ENV: &str = "OTS_MANAGE_LINK";
/// The environment variable the key of a link without one can come from.
pub const KEY_ENV: &str = "OTS_KEY";
/// Longest line read from standard input for a link or a key.
const MAX_LINE_BYTES: u64 = 8192;

/// What the command line gave for a link or a key: a value, or `-` for one
/// line of standard input.
pub fn from_arg(arg: Option<&str>, what: &str, env: &str) -> Result<Zeroizing<String>> {
    match arg {
        Some("-") => read_stdin_line(what),
        Some(value) => Ok(Zeroizing::new(value.to_owned())),
        None => Err(Error::Usage(format!(
            "no {what}: give it as an argument, `-` to read it from standard input, or set {env}"
        ))),
    }
}

/// One line of standard input (a prompt without echo on a terminal).
fn read_stdin_line(what: &str) -> Result<Zeroizing<String>> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(format!("Paste the {what}: "))
            .map(Zeroizing::new)
            .map_err(Error::io(format!("reading the {what} from the terminal")));
    }
    let mut line = Zeroizing::new(String::new());
    std::io::Read::take(std::io::stdin().lock(), MAX_LINE_BYTES)
        .read_line(&mut line)
        .map_err(Error::io(format!("reading the {what} from standard input")))?;
    if line.trim().is_empty() {
        return Err(Error::Usage(format!(
            "no {what} on standard input (expected it on the first line)"
        )));
    }
    Ok(line)
}

/// Puts `server` in front of a link that has no origin.
fn with_origin(link: &str, path: &str, server: Option<&str>) -> Result<Zeroizing<String>> {
    let link = link.trim();
    if link.contains("://") {
        return Ok(Zeroizing::new(link.to_owned()));
    }
    let server = server.ok_or_else(|| {
        Error::Usage(
            "the link names no server: give a whole link, --server URL or OTS_SERVER".into(),
        )
    })?;
    let server = server.trim_end_matches('/');
    Ok(Zeroizing::new(if link.starts_with(path) {
        format!("{server}{link}")
    } else {
        format!("{server}{path}{link}")
    }))
}

fn malformed(kind: &'static str) -> impl Fn(ots_crypto::Error) -> Error {
    move |e| Error::MalformedLink {
        kind,
        reason: reason(e),
    }
}

/// The key given apart from its link (`--key`, `OTS_KEY`): the bare key, or
/// a whole share link whose key is taken.
pub struct KeyApart(Zeroizing<String>);

impl KeyApart {
    /// Wraps the text given as the key.
    pub fn new(text: Zeroizing<String>) -> Self {
        Self(text)
    }

    /// The key's text after `#` if it is a whole link, else all of it.
    fn fragment(&self) -> &str {
        let text = self.0.trim();
        text.rsplit_once('#').map_or(text, |(_, key)| key).trim()
    }

    /// The share id of a whole link given as the key, if it is one.
    fn link_id(&self) -> Option<&str> {
        let (before, _) = self.0.trim().rsplit_once('#')?;
        Some(before.rsplit('/').next().unwrap_or(before))
    }

    fn secret(&self) -> Result<LinkSecret> {
        LinkSecret::from_fragment(self.fragment()).map_err(|_| Error::MalformedLink {
            kind: "share",
            reason: "the key is not 43 base64url characters (give the key, or the whole link)"
                .into(),
        })
    }
}

/// Parses a share link whose key may come apart. `explicit` is `--key`,
/// `from_env` is `OTS_KEY`: the environment is used only for a link without
/// a key; a key given on the command line must match a link's own key.
pub fn share_link_with_key(
    link: &str,
    explicit: Option<KeyApart>,
    from_env: Option<KeyApart>,
    server: Option<&str>,
) -> Result<ShareLink> {
    let whole = with_origin(link, "/s/", server)?;
    let (before, own_key) = match whole.split_once('#') {
        Some((before, key)) if !key.trim().is_empty() => (before.trim(), Some(key)),
        Some((before, _)) => (before.trim(), None),
        None => (whole.trim(), None),
    };
    let Some(apart) = explicit.or(if own_key.is_none() { from_env } else { None }) else {
        if own_key.is_none() {
            return Err(Error::Usage(format!(
                "the link has no key after '#': pass --key KEY, --key - (standard input) or set {KEY_ENV}"
            )));
        }
        return ShareLink::parse(&whole).map_err(malformed("share"));
    };
    let secret = apart.secret()?;
    let link = ShareLink::parse(&format!("{before}#{}", secret.to_fragment()))
        .map_err(malformed("share"))?;
    if apart.link_id().is_some_and(|id| id != link.id.as_str()) {
        return Err(Error::Usage(
            "the link given as the key is for another share".into(),
        ));
    }
    if let Some(own) = own_key {
        let own = LinkSecret::from_fragment(own.trim()).map_err(|_| Error::MalformedLink {
            kind: "share",
            reason: "the key after '#' is not 43 base64url characters".into(),
        })?;
        if own.as_bytes() != secret.as_bytes() {
            return Err(Error::Usage(
                "the link already holds a key, and --key gives another".into(),
            ));
        }
    }
    Ok(link)
}

/// Parses a manage link (`{origin}/m/{id}#{token}`).
pub fn manage_link(link: &str, server: Option<&str>) -> Result<ManageLink> {
    ManageLink::parse(&with_origin(link, "/m/", server)?).map_err(malformed("manage"))
}

fn reason(err: ots_crypto::Error) -> String {
    match err {
        ots_crypto::Error::Link(why) => why.to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "AAAAAAAAAAAAAAAAAAAAAA";
    const KEY: &str = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA";
    const OTHER_KEY: &str = "CBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA";

    fn share_link(link: &str, server: Option<&str>) -> Result<ShareLink> {
        share_link_with_key(link, None, None, server)
    }

    fn key(text: &str) -> Option<KeyApart> {
        Some(KeyApart::new(Zeroizing::new(text.to_owned())))
    }

    #[test]
    fn whole_link_names_its_server() {
        let link = share_link(
            &format!("https://ots.example/s/{ID}#{KEY}"),
            Some("http://other"),
        )
        .unwrap();
        assert_eq!(link.origin, "https://ots.example");
        assert_eq!(link.id.as_str(), ID);
    }

    #[test]
    fn link_without_origin_takes_the_server_flag() {
        let link = share_link(&format!("{ID}#{KEY}"), Some("http://127.0.0.1:9/")).unwrap();
        assert_eq!(link.origin, "http://127.0.0.1:9");
        let link = share_link(&format!("/s/{ID}#{KEY}"), Some("http://h")).unwrap();
        assert_eq!(link.origin, "http://h");
    }

    #[test]
    fn link_without_origin_or_server_is_a_usage_error() {
        let err = share_link(&format!("{ID}#{KEY}"), None).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn malformed_links_are_usage_errors() {
        for bad in [
            format!("https://ots.example/s/{ID}#short"),
            format!("https://ots.example/s/nope#{KEY}"),
            format!("https://ots.example/m/{ID}#{KEY}"),
            "ftp://x/s/a#b".to_string(),
        ] {
            let err = share_link(&bad, None).unwrap_err();
            assert!(matches!(err, Error::MalformedLink { .. }), "{bad}: {err}");
            assert_eq!(err.exit_code(), 2);
        }
    }

    #[test]
    fn manage_link_is_not_a_share_link() {
        let manage = format!("https://ots.example/m/{ID}#{KEY}");
        assert!(manage_link(&manage, None).is_ok());
        assert!(share_link(&manage, None).is_err());
    }

    #[test]
    fn key_apart_is_the_bare_key_or_a_whole_link() {
        let bare = format!("https://ots.example/s/{ID}");
        let link = share_link_with_key(&bare, key(KEY), None, None).unwrap();
        assert_eq!(link.secret.to_fragment(), KEY);
        let whole = format!("https://ots.example/s/{ID}#{KEY}\n");
        let link = share_link_with_key(&bare, key(&whole), None, None).unwrap();
        assert_eq!(link.secret.to_fragment(), KEY);
        // A trailing '#' with nothing after it is a link without a key.
        let link = share_link_with_key(&format!("{bare}#"), None, key(KEY), None).unwrap();
        assert_eq!(link.secret.to_fragment(), KEY);
    }

    #[test]
    fn a_link_without_key_and_no_key_apart_says_how_to_give_one() {
        let err = share_link_with_key(&format!("https://o.example/s/{ID}"), None, None, None)
            .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("--key"), "{err}");
    }

    #[test]
    fn the_environment_key_is_ignored_for_a_link_with_its_own_key() {
        let whole = format!("https://o.example/s/{ID}#{KEY}");
        let link = share_link_with_key(&whole, None, key(OTHER_KEY), None).unwrap();
        assert_eq!(link.secret.to_fragment(), KEY);
    }

    #[test]
    fn a_key_that_contradicts_the_link_is_refused() {
        let whole = format!("https://o.example/s/{ID}#{KEY}");
        assert!(share_link_with_key(&whole, key(KEY), None, None).is_ok());
        let err = share_link_with_key(&whole, key(OTHER_KEY), None, None).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let other_share = format!("https://o.example/s/BAAAAAAAAAAAAAAAAAAAAA#{KEY}");
        let err = share_link_with_key(
            &format!("https://o.example/s/{ID}"),
            key(&other_share),
            None,
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("another share"), "{err}");
    }

    #[test]
    fn a_bad_key_apart_is_a_malformed_link() {
        let err = share_link_with_key(
            &format!("https://o.example/s/{ID}"),
            key("short"),
            None,
            None,
        )
        .unwrap_err();
        assert!(matches!(err, Error::MalformedLink { .. }), "{err}");
    }
}
