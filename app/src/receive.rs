//! The receive page (`/s/{id}#K`). Rendering it, on the server or in the
//! browser, only reads the share's public facts; the Reveal button is what
//! claims it.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use ots_proto::{plaintext_size, ErrorCode, GoneReason, ShareInfo};

use crate::api::ApiError;
use crate::format::{human_bytes, human_duration};
use crate::widgets::{CopyButton, Progress, ProgressBar, StateCard};

/// What opening a share gave.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq)]
pub enum Opened {
    /// A text, to show in a read-only box.
    Text(String),
    /// A file handed to the browser as a download.
    File {
        /// The sanitized name it was saved under.
        name: String,
        /// Plaintext bytes.
        size: u64,
        /// Object URL of the file, for a "save again" link.
        url: String,
        /// True when it was streamed through the private file system.
        on_disk: bool,
    },
}

/// Why a share could not be opened; each has its own state on the page.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq)]
pub enum OpenError {
    /// 410: consumed, expired, revoked or removed.
    Gone(GoneReason),
    /// 404.
    NotFound,
    /// 423.
    Locked,
    /// 403: the key in the link is not this share's.
    WrongLink,
    /// The link has no key after `#`, or a malformed one.
    BadLink,
    /// 401: the password is wrong; attempts left.
    BadPassword(u32),
    /// 409: still uploading.
    NotReady,
    /// Authentication failed: nothing was saved.
    Damaged,
    /// Anything else, as a sentence.
    Other(String),
}

impl From<ApiError> for OpenError {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::Status(404, _) => OpenError::NotFound,
            ApiError::Status(410, body) => {
                OpenError::Gone(body.and_then(|b| b.reason).unwrap_or(GoneReason::Consumed))
            }
            ApiError::Status(423, _) => OpenError::Locked,
            ApiError::Status(403, _) => OpenError::WrongLink,
            ApiError::Status(401, Some(body)) if body.error == ErrorCode::BadPassword => {
                OpenError::BadPassword(body.attempts_left.unwrap_or(0))
            }
            ApiError::Status(409, _) => OpenError::NotReady,
            other => OpenError::Other(other.describe()),
        }
    }
}

/// What the page shows.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq)]
enum Screen {
    /// Server render and the moment before the facts arrive.
    Loading,
    /// The facts, a password field when needed, and the Reveal button.
    Ready(ShareInfo),
    /// Claiming, downloading, decrypting.
    Opening,
    /// Done.
    Opened(Opened),
    /// A state that ends the visit.
    Failed(OpenError),
}

/// The receive page (`/s/{id}`).
#[component]
pub fn ReceivePage() -> impl IntoView {
    let params = use_params_map();
    // Read by the browser-only flows below.
    #[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
    let id = StoredValue::new(params.read_untracked().get("id").unwrap_or_default());
    let screen = RwSignal::new(Screen::Loading);
    let password = RwSignal::new(String::new());
    let attempts_left = RwSignal::new(None::<u32>);
    let progress = RwSignal::new(None::<Progress>);

    // Runs in the browser only, after hydration: read the facts (GET info
    // changes nothing on the server).
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        load_info(id.get_value(), screen);
    });

    let reveal = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Screen::Ready(_info) = screen.get_untracked() else {
            return;
        };
        #[cfg(feature = "hydrate")]
        start_open(
            id.get_value(),
            _info,
            password,
            attempts_left,
            progress,
            screen,
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
            Screen::Ready(info) => view! { <ReadyCard info password attempts_left on_reveal=reveal/> }.into_any(),
            Screen::Opening => {
                view! {
                    <section class="card" id="opening">
                        <h1>"Opening…"</h1>
                        <p class="lead">"Decrypting in your browser."</p>
                        <ProgressBar progress=progress.into()/>
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
    info: ShareInfo,
    password: RwSignal<String>,
    attempts_left: RwSignal<Option<u32>>,
    on_reveal: impl FnMut(leptos::ev::SubmitEvent) + 'static,
) -> impl IntoView {
    let needs_password = info.kdf.is_some();
    let size = plaintext_size(info.size).unwrap_or(info.size);
    let expires = expiry_text(&info.expires_at);
    let left = info.downloads_left;
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
    let (state, title, detail): (&str, String, String) = match &error {
        OpenError::Gone(reason) => match reason {
            GoneReason::Expired => ("expired", "This share has expired".into(), "Its time ran out; it can no longer be opened.".into()),
            GoneReason::Revoked => ("revoked", "This share was revoked".into(), "The sender revoked it; it can no longer be opened.".into()),
            GoneReason::Removed => ("removed", "This share was removed".into(), "The operator of this server took it down; it can no longer be opened.".into()),
            GoneReason::Consumed => ("consumed", "Already opened".into(), "This share was already opened and is gone. If you did not open it, tell the sender.".into()),
        },
        OpenError::NotFound => ("not-found", "Not found".into(), "No share answers to this link: it never existed, or it ended long ago.".into()),
        OpenError::Locked => ("locked", "Locked".into(), "Too many wrong passwords were tried. This share can no longer be opened.".into()),
        OpenError::WrongLink => ("wrong-link", "Wrong link".into(), "The key in this link does not fit the share. Check that the whole link was copied, including the part after #.".into()),
        OpenError::BadLink => ("bad-link", "Incomplete link".into(), "The key after # is missing or malformed. Check that the whole link was copied.".into()),
        OpenError::BadPassword(_) => ("bad-password", "Wrong password".into(), "The password was wrong.".into()),
        OpenError::NotReady => ("not-ready", "Not ready yet".into(), "The sender is still uploading this share. Try again in a moment.".into()),
        OpenError::Damaged => ("damaged", "This share is damaged".into(), "It did not decrypt: the share is damaged or the key is wrong. Nothing was saved.".into()),
        OpenError::Other(msg) => ("error", "Something went wrong".into(), msg.clone()),
    };
    view! { <StateCard state title detail/> }
}

/// "in 23 hours (27 Nov 2026, 23:00)" in the browser; the raw time on the server.
fn expiry_text(rfc3339: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        let when = crate::browser::dom::local_time(rfc3339);
        match crate::browser::dom::secs_until(rfc3339) {
            Some(secs) if secs > 0 => format!("in {} ({when})", human_duration(secs as u64)),
            _ => when,
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = human_duration;
        rfc3339.to_string()
    }
}

#[cfg(feature = "hydrate")]
fn load_info(id: String, screen: RwSignal<Screen>) {
    use crate::browser::{dom, receive};
    if dom::fragment()
        .and_then(|f| ots_crypto::LinkSecret::from_fragment(&f).ok())
        .is_none()
    {
        screen.set(Screen::Failed(OpenError::BadLink));
        return;
    }
    let Ok(id) = ots_proto::ShareId::parse(&id) else {
        screen.set(Screen::Failed(OpenError::NotFound));
        return;
    };
    leptos::task::spawn_local(async move {
        match receive::info(&id).await {
            Ok(info) => screen.set(Screen::Ready(info)),
            Err(e) => screen.set(Screen::Failed(e)),
        }
    });
}

#[cfg(feature = "hydrate")]
fn start_open(
    id: String,
    info: ShareInfo,
    password: RwSignal<String>,
    attempts_left: RwSignal<Option<u32>>,
    progress: RwSignal<Option<Progress>>,
    screen: RwSignal<Screen>,
) {
    use crate::browser::{dom, receive};
    use std::cell::Cell;

    let Some(secret) = dom::fragment().and_then(|f| ots_crypto::LinkSecret::from_fragment(&f).ok())
    else {
        screen.set(Screen::Failed(OpenError::BadLink));
        return;
    };
    let Ok(id) = ots_proto::ShareId::parse(&id) else {
        screen.set(Screen::Failed(OpenError::NotFound));
        return;
    };
    let pw = password.get_untracked();
    if info.kdf.is_some() && pw.is_empty() {
        return;
    }
    screen.set(Screen::Opening);
    let started = Cell::new(None::<f64>);
    let on_stage = move |stage: receive::Stage| {
        let p = match stage {
            receive::Stage::DerivingKey => Progress {
                label: "Deriving the key from the password…".into(),
                done: 0,
                total: 0,
                elapsed_ms: 0.0,
            },
            receive::Stage::Claiming => Progress {
                label: "Claiming the share…".into(),
                done: 0,
                total: 0,
                elapsed_ms: 0.0,
            },
            receive::Stage::Downloading { done, total } => {
                let now = dom::now_ms();
                let start = started.get().unwrap_or_else(|| {
                    started.set(Some(now));
                    now
                });
                Progress {
                    label: "Downloading and decrypting…".into(),
                    done,
                    total,
                    elapsed_ms: now - start,
                }
            }
            receive::Stage::Resuming { attempt } => {
                let prev = progress.get_untracked();
                Progress {
                    label: format!("Connection lost; resuming (attempt {attempt})…"),
                    done: prev.as_ref().map(|p| p.done).unwrap_or(0),
                    total: prev.as_ref().map(|p| p.total).unwrap_or(0),
                    elapsed_ms: prev.map(|p| p.elapsed_ms).unwrap_or(0.0),
                }
            }
        };
        progress.set(Some(p));
    };
    leptos::task::spawn_local(async move {
        let result = receive::open(&id, &secret, &pw, info.kdf, on_stage).await;
        progress.set(None);
        match result {
            Ok(opened) => {
                password.set(String::new());
                screen.set(Screen::Opened(opened));
            }
            Err(OpenError::BadPassword(n)) => {
                attempts_left.set(Some(n));
                password.set(String::new());
                screen.set(Screen::Ready(ShareInfo { ..info }));
            }
            Err(e) => screen.set(Screen::Failed(e)),
        }
    });
}
