//! The receive page (`/s/{id}#K`). Rendering it, on the server or in the
//! browser, only reads the share's public facts; the Reveal button is what
//! claims it.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::{Facts, GoneReason, OpenError, Opened, Stage};
use crate::format::human_bytes;
use crate::widgets::{expiry_text, CopyButton, Progress, ProgressBar, StateCard};

/// What the page shows.
#[derive(Clone, Debug, PartialEq)]
enum Screen {
    /// Server render and the moment before the facts arrive.
    Loading,
    /// The facts, a password field when needed, and the Reveal button.
    Ready(Facts),
    /// Claiming, downloading, decrypting.
    Opening,
    /// Done.
    Opened(Opened),
    /// A state that ends the visit.
    Failed(OpenError),
}

/// The progress bar's words and numbers for a stage.
fn progress(stage: Stage) -> Progress {
    let (label, done, total, elapsed_ms) = match stage {
        Stage::DerivingKey => ("Deriving the key from the password…".into(), 0, 0, 0.0),
        Stage::Claiming => ("Claiming the share…".into(), 0, 0, 0.0),
        Stage::Downloading {
            done,
            total,
            elapsed_ms,
        } => (
            "Downloading and decrypting…".into(),
            done,
            total,
            elapsed_ms,
        ),
        Stage::Resuming {
            attempt,
            done,
            total,
            elapsed_ms,
        } => (
            format!("Connection lost; resuming (attempt {attempt})…"),
            done,
            total,
            elapsed_ms,
        ),
    };
    Progress {
        label,
        done,
        total,
        elapsed_ms,
    }
}

/// The receive page (`/s/{id}`).
#[component]
pub fn ReceivePage() -> impl IntoView {
    let params = use_params_map();
    let id = StoredValue::new(params.read_untracked().get("id").unwrap_or_default());
    let screen = RwSignal::new(Screen::Loading);
    let password = RwSignal::new(String::new());
    let attempts_left = RwSignal::new(None::<u32>);
    let progress_now = RwSignal::new(None::<Progress>);

    // Effects run in the browser only, after hydration.
    Effect::new(move |_| {
        super::facts(id.get_value(), move |result| {
            screen.set(match result {
                Ok(facts) => Screen::Ready(facts),
                Err(e) => Screen::Failed(e),
            })
        });
    });

    let reveal = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Screen::Ready(facts) = screen.get_untracked() else {
            return;
        };
        screen.set(Screen::Opening);
        let again = facts.clone();
        super::open(
            id.get_value(),
            facts,
            password.get_untracked(),
            move |stage| progress_now.set(Some(progress(stage))),
            move |result| {
                progress_now.set(None);
                match result {
                    Ok(opened) => {
                        password.set(String::new());
                        screen.set(Screen::Opened(opened));
                    }
                    Err(OpenError::BadPassword { attempts_left: n }) => {
                        attempts_left.set(Some(n));
                        password.set(String::new());
                        screen.set(Screen::Ready(again));
                    }
                    Err(OpenError::PasswordMissing) => screen.set(Screen::Ready(again)),
                    Err(e) => screen.set(Screen::Failed(e)),
                }
            },
        );
    };

    view! {
        {move || match screen.get() {
            Screen::Loading => {
                view! {
                    <section class="card" id="loading">
                        <h1>"Opening the share…"</h1>
                        // Plain text, not <noscript>: hydration cannot walk into a noscript.
                        <p class="lead">
                            "The share is decrypted in your browser, which needs JavaScript. Nothing has been opened yet."
                        </p>
                    </section>
                }
                    .into_any()
            }
            Screen::Ready(facts) => view! { <ReadyCard facts password attempts_left on_reveal=reveal/> }.into_any(),
            Screen::Opening => {
                view! {
                    <section class="card" id="opening">
                        <h1>"Opening…"</h1>
                        <p class="lead">"Decrypting in your browser."</p>
                        <ProgressBar progress=progress_now.into()/>
                    </section>
                }
                    .into_any()
            }
            Screen::Opened(Opened::Text(text)) => view! { <TextCard text/> }.into_any(),
            Screen::Opened(Opened::File { name, size, url, on_disk }) => {
                view! { <SavedCard name size url on_disk/> }.into_any()
            }
            Screen::Failed(error) => view! { <FailedCard error/> }.into_any(),
        }}
    }
}

#[component]
fn ReadyCard(
    facts: Facts,
    password: RwSignal<String>,
    attempts_left: RwSignal<Option<u32>>,
    on_reveal: impl FnMut(leptos::ev::SubmitEvent) + 'static,
) -> impl IntoView {
    let needs_password = facts.needs_password();
    let size = facts.size;
    let expires = expiry_text(&facts.expires_at);
    let left = facts.downloads_left;
    view! {
        <section class="card" id="share-info">
            <h1>"Someone shared a secret with you"</h1>
            <p class="lead">
                {if left == 1 {
                    "It can be opened once. Opening it here uses that one time.".to_string()
                } else {
                    format!("It can be opened {left} more times. Opening it here uses one.")
                }}
            </p>
            <dl class="facts">
                <dt>"Size"</dt>
                <dd id="info-size">{human_bytes(size)}</dd>
                <dt>"Expires"</dt>
                <dd id="info-expires">{expires}</dd>
                <dt>"Downloads left"</dt>
                <dd id="info-downloads-left">{left.to_string()}</dd>
                <dt>"Password"</dt>
                <dd id="info-password">{if needs_password { "Required" } else { "Not needed" }}</dd>
            </dl>
            <form on:submit=on_reveal>
                {needs_password
                    .then(|| {
                        view! {
                            <label for="password">"Password"</label>
                            <input
                                type="password"
                                id="password"
                                autocomplete="off"
                                required
                                prop:value=move || password.get()
                                on:input=move |ev| password.set(event_target_value(&ev))
                            />
                            {move || {
                                attempts_left
                                    .get()
                                    .map(|n| {
                                        view! {
                                            <p class="error" id="attempts-left" role="alert">
                                                {format!(
                                                    "Wrong password. {n} attempt{} left before the share locks.",
                                                    if n == 1 { "" } else { "s" },
                                                )}
                                            </p>
                                        }
                                    })
                            }}
                        }
                    })}
                <button type="submit" class="primary" id="reveal">
                    "Reveal / download"
                </button>
            </form>
        </section>
    }
}

#[component]
fn TextCard(text: String) -> impl IntoView {
    let copy_source = text.clone();
    view! {
        <section class="card" id="revealed">
            <h1>"The secret"</h1>
            <p class="lead">"Copy it now: it will not be shown again."</p>
            <label for="secret-text" class="visually-hidden">"Secret text"</label>
            <textarea id="secret-text" readonly prop:value=text spellcheck="false"></textarea>
            <CopyButton text=copy_source id="copy-secret" label="Copy"/>
        </section>
    }
}

#[component]
fn SavedCard(name: String, size: u64, url: String, on_disk: bool) -> impl IntoView {
    view! {
        <section class="card" id="saved">
            <h1>"File saved"</h1>
            <p class="lead">
                "Your browser is saving " <span class="file-name" id="saved-name">{name.clone()}</span> " ("
                {human_bytes(size)} "). It was decrypted in this page and is not shown here."
            </p>
            <p>
                <a href=url download=name id="save-again" rel="noopener">
                    "Save it again"
                </a>
                " (only while this page stays open)."
            </p>
            {(!on_disk)
                .then(|| {
                    view! {
                        <p class="notice">
                            "This browser cannot stream files to disk, so the file was assembled in memory."
                        </p>
                    }
                })}
        </section>
    }
}

#[component]
fn FailedCard(error: OpenError) -> impl IntoView {
    let (state, title, detail): (&str, &str, String) = match &error {
        OpenError::Gone(GoneReason::Expired) => ("expired", "This share has expired", "Its time ran out; it can no longer be opened.".into()),
        OpenError::Gone(GoneReason::Revoked) => ("revoked", "This share was revoked", "The sender revoked it; it can no longer be opened.".into()),
        OpenError::Gone(GoneReason::Removed) => ("removed", "This share was removed", "The operator of this server took it down; it can no longer be opened.".into()),
        OpenError::Gone(GoneReason::Consumed) => ("consumed", "Already opened", "This share was already opened and is gone. If you did not open it, tell the sender.".into()),
        OpenError::NotFound => ("not-found", "Not found", "No share answers to this link: it never existed, or it ended long ago.".into()),
        OpenError::Locked => ("locked", "Locked", "Too many wrong passwords were tried. This share can no longer be opened.".into()),
        OpenError::WrongLink => ("wrong-link", "Wrong link", "The key in this link does not fit the share. Check that the whole link was copied, including the part after #.".into()),
        OpenError::BadLink => ("bad-link", "Incomplete link", "The key after # is missing or malformed. Check that the whole link was copied.".into()),
        OpenError::BadPassword { .. } | OpenError::PasswordMissing => ("bad-password", "Wrong password", "The password was wrong.".into()),
        OpenError::KdfOutOfBounds => ("bad-share", "This share cannot be opened", "It asks for a password key cost outside the protocol's bounds, so it was not opened.".into()),
        OpenError::NotReady => ("not-ready", "Not ready yet", "The sender is still uploading this share. Try again in a moment.".into()),
        OpenError::Damaged => ("damaged", "This share is damaged", "It did not decrypt: the share is damaged or the key is wrong. Nothing was saved.".into()),
        OpenError::TicketExpired => ("error", "The download stopped", "The download ticket expired before the download ended; this share cannot be downloaded again. Nothing was saved.".into()),
        OpenError::DownloadBroken => ("error", "The download stopped", "The download kept breaking off. Nothing was saved.".into()),
        OpenError::RateLimited => ("error", "Too many requests", "Too many requests from this address. Wait a minute and reload the page.".into()),
        OpenError::Unreachable => ("error", "No connection", "The server could not be reached. Check the connection and reload the page.".into()),
        OpenError::Malformed(_) => ("error", "Something went wrong", "The server's answer was not understood.".into()),
        OpenError::Refused(words) => ("error", "Something went wrong", format!("The server said: {words}.")),
        OpenError::Browser(e) => ("error", "Something went wrong", format!("This browser could not finish: {e}.")),
    };
    view! { <StateCard state title detail/> }
}
