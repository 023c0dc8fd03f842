//! What the server tells the pages about itself before anything is sent:
//! its size limit. On the server it comes from context; the shell writes
//! it into a `<meta>` tag, which the hydrated page reads.

/// Limits of this server that the pages show before anything is sent.
///
/// The server provides it as context (`leptos_routes_with_context`); the
/// shell writes it into a `<meta>` tag that the hydrated page reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SiteLimits {
    /// Largest payload in bytes (`OTS_MAX_SHARE_BYTES`).
    pub max_share_bytes: u64,
}

/// The operator's links every page's footer shows, when set
/// (`--imprint-url`, `--privacy-url`, `--abuse-contact`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SiteLinks {
    /// The imprint (legal notice).
    pub imprint: Option<String>,
    /// The privacy policy.
    pub privacy: Option<String>,
    /// Where to report abuse (a `mailto:` or web address).
    pub abuse: Option<String>,
}

/// Name of the `<meta>` tag that carries [`SiteLimits::max_share_bytes`].
pub const MAX_SHARE_BYTES_META: &str = "ots-max-share-bytes";

/// The server's largest payload in bytes, when known: from context while
/// rendering on the server, from the shell's `<meta>` tag in the browser.
pub fn max_share_bytes() -> Option<u64> {
    #[cfg(feature = "hydrate")]
    {
        let meta = crate::browser::dom::window()
            .document()?
            .query_selector(&format!("meta[name=\"{MAX_SHARE_BYTES_META}\"]"))
            .ok()??;
        meta.get_attribute("content")?.parse().ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        leptos::prelude::use_context::<SiteLimits>().map(|l| l.max_share_bytes)
    }
}
