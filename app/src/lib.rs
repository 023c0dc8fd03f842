//! OneTimeShare's browser app: the send, receive and manage pages.
//!
//! Rendered on the server (`ssr`) and hydrated in the browser (`hydrate`).

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    StaticSegment,
};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="referrer" content="no-referrer"/>
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
                    <Route path=StaticSegment("") view=SendPage/>
                </Routes>
            </main>
        </Router>
    }
}

/// What the sender shares: a text or a file.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Text,
    File,
}

/// The send page (`/`).
#[component]
fn SendPage() -> impl IntoView {
    let (mode, set_mode) = signal(Mode::Text);
    view! {
        <section class="card">
            <h1>"Share a secret once"</h1>
            <p class="lead">
                "Encrypted in your browser before it leaves it. The key stays in the link."
            </p>
            <div class="tabs" role="tablist">
                <button
                    role="tab"
                    id="tab-text"
                    aria-selected=move || (mode.get() == Mode::Text).to_string()
                    on:click=move |_| set_mode.set(Mode::Text)
                >
                    "Text"
                </button>
                <button
                    role="tab"
                    id="tab-file"
                    aria-selected=move || (mode.get() == Mode::File).to_string()
                    on:click=move |_| set_mode.set(Mode::File)
                >
                    "File"
                </button>
            </div>
            <Show
                when=move || mode.get() == Mode::Text
                fallback=|| view! { <p class="drop" id="file-panel">"Drop a file here"</p> }
            >
                <textarea id="text-panel" placeholder="Paste the secret here"></textarea>
            </Show>
        </section>
    }
}
