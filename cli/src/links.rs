//! Reading the links given on the command line. The server is the link's
//! origin; a link given without one (`/s/ID#KEY` or `ID#KEY`) is completed
//! with `--server` or `OTS_SERVER`.

use ots_crypto::{ManageLink, ShareLink};

use crate::error::{Error, Result};

/// Puts `server` in front of a link that has no origin.
fn with_origin(link: &str, path: &str, server: Option<&str>) -> Result<String> {
    let link = link.trim();
    if link.contains("://") {
        return Ok(link.to_owned());
    }
    let server = server.ok_or_else(|| {
        Error::Usage(
            "the link names no server: give a whole link, --server URL or OTS_SERVER".into(),
        )
    })?;
    let server = server.trim_end_matches('/');
    Ok(if link.starts_with(path) {
        format!("{server}{link}")
    } else {
        format!("{server}{path}{link}")
    })
}

/// Parses a share link (`{origin}/s/{id}#{key}`).
pub fn share_link(link: &str, server: Option<&str>) -> Result<ShareLink> {
    ShareLink::parse(&with_origin(link, "/s/", server)?).map_err(|e| Error::MalformedLink {
        kind: "share",
        reason: reason(e),
    })
}

/// Parses a manage link (`{origin}/m/{id}#{token}`).
pub fn manage_link(link: &str, server: Option<&str>) -> Result<ManageLink> {
    ManageLink::parse(&with_origin(link, "/m/", server)?).map_err(|e| Error::MalformedLink {
        kind: "manage",
        reason: reason(e),
    })
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
            format!("https://ots.example/s/{ID}"),
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
}
