//! OneTimeShare's browser app: the send, receive and manage pages.
//!
//! Rendered on the server (`ssr`) and hydrated in the browser (`hydrate`).
//! Everything secret happens in the browser: the pages call the REST API
//! of protocol §5 with `fetch` and seal and open with `ots-crypto` compiled
//! to WebAssembly. Server rendering never touches a share, so a link
//! preview that fetches `/s/{id}` changes nothing.

pub mod api;
pub mod format;
pub mod qr;

mod manage;
mod receive;
mod send;
mod widgets;

#[cfg(feature = "hydrate")]
pub mod browser;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

/// Limits of this server that the pages show before anything is sent.
///
/// The server provides it as context (`leptos_routes_with_context`); the
/// shell writes it into a `<meta>` tag that the hydrated page reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SiteLimits {
    /// Largest payload in bytes (`OTS_MAX_SHARE_BYTES`).
    pub max_share_bytes: u64,
}

/// Name of the `<meta>` tag that carries [`SiteLimits::max_share_bytes`].
pub const MAX_SHARE_BYTES_META: &str = "ots-max-share-bytes";

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let max_bytes = use_context::<SiteLimits>().map(|l| l.max_share_bytes.to_string());
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="referrer" content="no-referrer"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                {max_bytes.map(|b| view! { <meta name=MAX_SHARE_BYTES_META content=b/> })}
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The root component: routes and page chrome.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/onetimeshare.css"/>
        <Title text="OneTimeShare"/>
        <Router>
            <header class="top">
                <a class="brand" href="/">"OneTimeShare"</a>
            </header>
            <main>
                <Routes fallback=|| view! { <p class="notice">"Page not found."</p> }>
                    <Route path=path!("/") view=send::SendPage/>
                    <Route path=path!("/s/:id") view=receive::ReceivePage/>
                    <Route path=path!("/m/:id") view=manage::ManagePage/>
                </Routes>
            </main>
            <footer class="foot">
                <p>
                    "End-to-end encrypted in your browser. The key is in the part of the link after #, which never reaches the server."
                </p>
            </footer>
        </Router>
    }
}

/// The server's size limit, when known: from context while rendering on
/// the server, from the shell's `<meta>` tag in the browser.
pub(crate) fn max_share_bytes() -> Option<u64> {
    #[cfg(feature = "ssr")]
    {
        use_context::<SiteLimits>().map(|l| l.max_share_bytes)
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        let document = browser::dom::window().document()?;
        let meta = document
            .query_selector(&format!("meta[name=\"{MAX_SHARE_BYTES_META}\"]"))
            .ok()??;
        meta.get_attribute("content")?.parse().ok()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        None
    }
}
