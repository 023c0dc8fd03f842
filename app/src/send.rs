//! The send page (`/`): a text or a file, options, then the links.

use leptos::prelude::*;

use ots_proto::{max_plaintext_for, payload_size, MAX_DOWNLOADS};

use crate::format::{human_bytes, password_strength, DEFAULT_EXPIRY_SECS, EXPIRY_CHOICES};
use crate::max_share_bytes;
use crate::widgets::{local_time, CopyButton, Progress, ProgressBar, QrCode};

/// What the sender shares: a text or a file.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Text,
    File,
}

/// The links a finished send shows.
#[derive(Clone, Debug, PartialEq)]
pub struct SentLinks {
    /// `{origin}/s/{id}#{K}`.
    pub share_link: String,
    /// `{origin}/m/{id}#{manage_token}`.
    pub manage_link: String,
    /// RFC 3339 expiry.
    pub expires_at: String,
}

/// Name, size and type of the chosen file (the file itself stays in the
/// browser module).
#[derive(Clone, Debug, PartialEq)]
struct PickedFile {
    name: String,
    size: u64,
}

/// The send page (`/`).
#[component]
pub fn SendPage() -> impl IntoView {
    let sent = RwSignal::new(None::<SentLinks>);
    view! {
        {move || match sent.get() {
            None => view! { <SendForm sent/> }.into_any(),
            Some(links) => view! { <SentCard links sent/> }.into_any(),
        }}
    }
}

#[component]
fn SendForm(sent: RwSignal<Option<SentLinks>>) -> impl IntoView {
    let mode = RwSignal::new(Mode::Text);
    let text = RwSignal::new(String::new());
    let picked = RwSignal::new(None::<PickedFile>);
    let dragging = RwSignal::new(false);
    let expires = RwSignal::new(DEFAULT_EXPIRY_SECS);
    let downloads = RwSignal::new(1u32);
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let progress = RwSignal::new(None::<Progress>);
    let working = RwSignal::new(false);
    let limit = max_share_bytes();
    let max_plain = limit.map(max_plaintext_for);

    let size_now = move || match mode.get() {
        Mode::Text => text.with(|t| t.len() as u64),
        Mode::File => picked.with(|p| p.as_ref().map(|f| f.size).unwrap_or(0)),
    };

    #[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
    let on_pick = move |_file: Option<PickedFile>| {
        error.set(None);
        picked.set(_file);
    };

    let on_file_input = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let input: Option<web_sys::HtmlInputElement> =
                _ev.target().and_then(|t| t.dyn_into().ok());
            let file = input.and_then(|i| i.files()).and_then(|f| f.get(0));
            on_pick(file.as_ref().map(picked_file));
            crate::browser::files::set_picked(file);
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        #[cfg(feature = "hydrate")]
        {
            let file = ev
                .data_transfer()
                .and_then(|d| d.files())
                .and_then(|f| f.get(0));
            if file.is_some() {
                on_pick(file.as_ref().map(picked_file));
                crate::browser::files::set_picked(file);
            }
        }
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let len = size_now();
        if mode.get_untracked() == Mode::Text && len == 0 {
            error.set(Some("Type or paste the secret first.".into()));
            return;
        }
        if mode.get_untracked() == Mode::File && picked.get_untracked().is_none() {
            error.set(Some("Choose a file first.".into()));
            return;
        }
        if let Some(max) = limit {
            if payload_size(len) > max {
                error.set(Some(format!(
                    "This is {}; the server accepts up to {} per share.",
                    human_bytes(len),
                    human_bytes(max_plaintext_for(max))
                )));
                return;
            }
        }
        #[cfg(feature = "hydrate")]
        start_send(StartSend {
            mode: mode.get_untracked(),
            text,
            expires_in: expires.get_untracked(),
            max_downloads: downloads.get_untracked().clamp(1, MAX_DOWNLOADS),
            password,
            progress,
            working,
            error,
            sent,
        });
        let _ = sent;
    };

    let strength = move || password.with(|p| password_strength(p));

    view! {
        <section class="card">
            <h1>"Share a secret once"</h1>
            <p class="lead">
                "Encrypted in your browser before it leaves it. The key stays in the link."
            </p>
            <form on:submit=on_submit novalidate>
                <fieldset disabled=move || working.get()>
                    <legend class="visually-hidden">"What to share"</legend>
                    <div class="tabs" role="tablist" aria-label="What to share">
                        <button
                            type="button"
                            role="tab"
                            id="tab-text"
                            aria-controls="text-panel"
                            aria-selected=move || (mode.get() == Mode::Text).to_string()
                            on:click=move |_| mode.set(Mode::Text)
                        >
                            "Text"
                        </button>
                        <button
                            type="button"
                            role="tab"
                            id="tab-file"
                            aria-controls="file-panel"
                            aria-selected=move || (mode.get() == Mode::File).to_string()
                            on:click=move |_| mode.set(Mode::File)
                        >
                            "File"
                        </button>
                    </div>
                    <Show
                        when=move || mode.get() == Mode::Text
                        fallback=move || {
                            view! {
                                <div
                                    class="drop"
                                    class:dragging=move || dragging.get()
                                    id="file-panel"
                                    role="tabpanel"
                                    aria-labelledby="tab-file"
                                    on:dragover=move |ev: leptos::ev::DragEvent| {
                                        ev.prevent_default();
                                        dragging.set(true);
                                    }
                                    on:dragleave=move |_| dragging.set(false)
                                    on:drop=on_drop
                                >
                                    <p>"Drop a file here, or"</p>
                                    <input
                                        type="file"
                                        id="file-input"
                                        class="file-input"
                                        on:change=on_file_input
                                    />
                                    <label for="file-input" class="button">
                                        "Choose a file"
                                    </label>
                                    <p class="chosen" id="file-chosen" aria-live="polite">
                                        {move || {
                                            picked
                                                .get()
                                                .map(|f| format!("{} · {}", f.name, human_bytes(f.size)))
                                                .unwrap_or_else(|| "No file chosen".into())
                                        }}
                                    </p>
                                </div>
                            }
                        }
                    >
                        <label for="text-panel" class="visually-hidden">
                            "Secret text"
                        </label>
                        <textarea
                            id="text-panel"
                            role="tabpanel"
                            aria-labelledby="tab-text"
                            placeholder="Paste the secret here"
                            autocomplete="off"
                            spellcheck="false"
                            prop:value=move || text.get()
                            on:input=move |ev| text.set(event_target_value(&ev))
                        ></textarea>
                    </Show>
                    <p class="limit" id="size-limit">
                        {match max_plain {
                            Some(max) => format!("Up to {} per share.", human_bytes(max)),
                            None => String::new(),
                        }}
                    </p>
                    <div class="options">
                        <label>
                            "Expires after"
                            <select
                                id="expiry"
                                on:change=move |ev| {
                                    if let Ok(secs) = event_target_value(&ev).parse() {
                                        expires.set(secs);
                                    }
                                }
                            >
                                {EXPIRY_CHOICES
                                    .iter()
                                    .map(|(secs, label)| {
                                        view! {
                                            <option value=secs.to_string() selected=*secs == DEFAULT_EXPIRY_SECS>
                                                {*label}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                        </label>
                        <label>
                            "Downloads"
                            <input
                                type="number"
                                id="downloads"
                                min="1"
                                max=MAX_DOWNLOADS.to_string()
                                inputmode="numeric"
                                prop:value=move || downloads.get().to_string()
                                on:change=move |ev| {
                                    let n = event_target_value(&ev).parse::<u32>().unwrap_or(1);
                                    downloads.set(n.clamp(1, MAX_DOWNLOADS));
                                }
                            />
                        </label>
                        <label class="wide">
                            "Password (optional)"
                            <input
                                type="password"
                                id="password"
                                autocomplete="new-password"
                                prop:value=move || password.get()
                                on:input=move |ev| password.set(event_target_value(&ev))
                            />
                        </label>
                        <p
                            class=move || format!("strength {}", strength().class())
                            id="password-strength"
                            aria-live="polite"
                        >
                            {move || strength().label()}
                        </p>
                    </div>
                    <button type="submit" class="primary" id="send">
                        "Encrypt and create link"
                    </button>
                </fieldset>
            </form>
            <ProgressBar progress=progress.into()/>
            {move || error.get().map(|e| view! { <p class="error" id="send-error" role="alert">{e}</p> })}
        </section>
    }
}

#[component]
fn SentCard(links: SentLinks, sent: RwSignal<Option<SentLinks>>) -> impl IntoView {
    let expires = local_time(&links.expires_at);
    let share = links.share_link.clone();
    let manage = links.manage_link.clone();
    view! {
        <section class="card" id="sent">
            <h1>"Your link is ready"</h1>
            <p class="lead">
                "Send this link to the recipient. It opens once (or as many times as you allowed), then it is gone."
            </p>
            <label for="share-link">"Share link"</label>
            <div class="link-row">
                <input id="share-link" type="text" readonly prop:value=share.clone()/>
                <CopyButton text=share.clone() id="copy-share" label="Copy"/>
            </div>
            <QrCode text=share/>
            <p>"Expires " <time id="expires-at" datetime=links.expires_at.clone()>{expires}</time> "."</p>
            <section class="manage" aria-labelledby="manage-title">
                <h2 id="manage-title">"Manage link: keep it for yourself"</h2>
                <p class="notice">"It shows when the share was opened and lets you revoke it. Do not send it to the recipient."</p>
                <div class="link-row">
                    <input id="manage-link" type="text" readonly aria-labelledby="manage-title" prop:value=manage.clone()/>
                    <CopyButton text=manage.clone() id="copy-manage" label="Copy"/>
                </div>
                <a href=manage id="open-manage">"Open the manage page"</a>
            </section>
            <button type="button" id="send-another" on:click=move |_| sent.set(None)>
                "Share something else"
            </button>
        </section>
    }
}

#[cfg(feature = "hydrate")]
fn picked_file(file: &web_sys::File) -> PickedFile {
    PickedFile {
        name: file.name(),
        size: file.size() as u64,
    }
}

#[cfg(feature = "hydrate")]
struct StartSend {
    mode: Mode,
    text: RwSignal<String>,
    expires_in: u32,
    max_downloads: u32,
    password: RwSignal<String>,
    progress: RwSignal<Option<Progress>>,
    working: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    sent: RwSignal<Option<SentLinks>>,
}

#[cfg(feature = "hydrate")]
fn start_send(s: StartSend) {
    use crate::browser::{dom::now_ms, files, send};
    use std::cell::Cell;
    use std::rc::Rc;

    let (source, name, mime) = match s.mode {
        Mode::Text => (
            files::Source::Text(s.text.get_untracked().into_bytes()),
            String::new(),
            String::new(),
        ),
        Mode::File => match files::picked() {
            Some(file) => {
                let name = file.name();
                let mime = file.type_();
                (files::Source::File(file), name, mime)
            }
            None => {
                s.error.set(Some("Choose a file first.".into()));
                return;
            }
        },
    };
    let options = send::SendOptions {
        expires_in: s.expires_in,
        max_downloads: s.max_downloads,
        password: s.password.get_untracked(),
    };
    s.working.set(true);
    let progress = s.progress;
    let started = Rc::new(Cell::new(None::<f64>));
    let last = Rc::new(Cell::new((0u64, 0u64)));
    let on_stage = move |stage: send::Stage| {
        let elapsed = |started: &Cell<Option<f64>>| {
            let now = now_ms();
            now - started.get().unwrap_or_else(|| {
                started.set(Some(now));
                now
            })
        };
        let p = match stage {
            send::Stage::DerivingKey => Progress {
                label: "Deriving the key from the password…".into(),
                done: 0,
                total: 0,
                elapsed_ms: 0.0,
            },
            send::Stage::Uploading { done, total } => {
                last.set((done, total));
                Progress {
                    label: "Encrypting and uploading…".into(),
                    done,
                    total,
                    elapsed_ms: elapsed(&started),
                }
            }
            send::Stage::Retrying { attempt } => {
                let (done, total) = last.get();
                Progress {
                    label: format!("Connection lost; retrying (attempt {attempt})…"),
                    done,
                    total,
                    elapsed_ms: elapsed(&started),
                }
            }
            send::Stage::Completing => {
                let (done, total) = last.get();
                Progress {
                    label: "Finishing…".into(),
                    done,
                    total,
                    elapsed_ms: elapsed(&started),
                }
            }
        };
        progress.set(Some(p));
    };
    leptos::task::spawn_local(async move {
        let result = send::send(source, options, name, mime, on_stage).await;
        s.working.set(false);
        s.progress.set(None);
        match result {
            Ok(links) => {
                s.password.set(String::new());
                s.text.set(String::new());
                files::set_picked(None);
                s.sent.set(Some(links));
            }
            Err(e) => s.error.set(Some(e)),
        }
    });
}
