//! OneTimeShare's browser app: the send, receive and manage pages.
//!
//! Rendered on the server (`ssr`) and hydrated in the browser (`hydrate`).
//! Everything secret happens in the browser: the pages call the REST API
//! of protocol §5 with `fetch` and seal and open with `ots-crypto` compiled
//! to WebAssembly. Server rendering never touches a share, so a link
//! preview that fetches `/s/{id}` changes nothing.
//!
//! Every page has the same shape: a flow module (`send`, `receive`,
//! `manage`) owns the flow's stages, outcomes and one typed error and is
//! the only thing its page (`page.rs`) talks to; the flow's `engine.rs`
//! runs it in the browser on top of [`browser`]. Modules depend downwards
//! only: page → flow → engine → browser → `ots-proto` / `ots-crypto`.
// A server render never starts a flow: what only the browser calls is
// unused in the `ssr` build, and the `hydrate` build lints it.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code, unused_variables))]

pub mod admin;
mod failure;
mod format;
mod manage;
mod qr;
mod receive;
mod send;
mod site;
mod widgets;

#[cfg(feature = "hydrate")]
pub mod browser;

use site::MAX_SHARE_BYTES_META;
pub use site::{SiteLimits, SiteLinks};

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

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

/// The operator's links, when any is set.
#[component]
fn FooterLinks(links: SiteLinks) -> impl IntoView {
    let items: Vec<(&'static str, &'static str, String)> = [
        ("footer-imprint", "Imprint", links.imprint),
        ("footer-privacy", "Privacy", links.privacy),
        ("footer-abuse", "Report abuse", links.abuse),
    ]
    .into_iter()
    .filter_map(|(id, label, href)| href.map(|h| (id, label, h)))
    .collect();
    (!items.is_empty()).then(|| {
        view! {
            <nav class="foot-links" aria-label="About this server">
                {items
                    .into_iter()
                    .map(|(id, label, href)| view! { <a id=id href=href rel="external">{label}</a> })
                    .collect_view()}
            </nav>
        }
    })
}

/// The root component: routes and page chrome.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // First of the values the page carries to the browser, so both sides number them alike.
    let links = SharedValue::new(|| use_context::<SiteLinks>().unwrap_or_default()).into_inner();
    // Decrypted files of tabs now closed go at every page load (browser only).
    Effect::new(|_| receive::remove_leftovers());
    view! {
        <Stylesheet id="leptos" href="/pkg/onetimeshare.css"/>
        <Title text="OneTimeShare"/>
        <Router>
            <header class="top">
                <a class="brand" href="/">"OneTimeShare"</a>
            </header>
            <main>
                <Routes fallback=|| view! { <p class="notice">"Page not found."</p> }>
                    <Route path=path!("/") view=send::page::SendPage/>
                    <Route path=path!("/s/:id") view=receive::page::ReceivePage/>
                    <Route path=path!("/m/:id") view=manage::page::ManagePage/>
                    <Route path=path!("/admin") view=admin::page::AdminPage/>
                    // The answers to the console's form posts are pages at their own paths.
                    <Route path=path!("/admin/*rest") view=admin::page::AdminPage/>
                </Routes>
            </main>
            <footer class="foot">
                <p>
                    "End-to-end encrypted in your browser. The key is in the part of the link after #, which never reaches the server."
                </p>
                <FooterLinks links/>
            </footer>
        </Router>
    }
}
