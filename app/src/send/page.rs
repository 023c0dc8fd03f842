//! The send page (`/`): a text or a file, options, then the links.

use leptos::prelude::*;

use super::{
    Content, PickedFile, Request, SendError, Sent, Stage, DEFAULT_EXPIRY_SECS, EXPIRY_CHOICES,
    MAX_DOWNLOADS,
};
use crate::format::{human_bytes, password_strength};
use crate::widgets::{local_time, CopyButton, Progress, ProgressBar, QrCode};

/// Which tab the sender is on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Text,
    File,
}

/// The progress bar's words and numbers for a stage.
fn progress(stage: Stage) -> Progress {
    let (label, done, total, elapsed_ms) = match stage {
        Stage::DerivingKey => ("Deriving the key from the password…".into(), 0, 0, 0.0),
        Stage::Uploading {
            done,
            total,
            elapsed_ms,
        } => ("Encrypting and uploading…".into(), done, total, elapsed_ms),
        Stage::Retrying {
            attempt,
            done,
            total,
            elapsed_ms,
        } => (
            format!("Connection lost; retrying (attempt {attempt})…"),
            done,
            total,
            elapsed_ms,
        ),
        Stage::Completing { total, elapsed_ms } => ("Finishing…".into(), total, total, elapsed_ms),
    };
    Progress {
        label,
        done,
        total,
        elapsed_ms,
    }
}

/// The sentence under the form for a send that failed.
fn sentence(error: &SendError) -> String {
    match error {
        SendError::EmptyText => "Type or paste the secret first.".into(),
        SendError::NoFile => "Choose a file first.".into(),
        SendError::TooLarge { size, max } => format!(
            "This is {}; the server accepts up to {} per share.",
            human_bytes(*size),
            human_bytes(*max)
        ),
        SendError::ServerTooLarge => "This is larger than the server accepts.".into(),
        SendError::NameTooLong => {
            "The file name is too long; rename the file and try again.".into()
        }
        SendError::CreateTokenRequired => {
            "This server accepts shares only from senders with a create token.".into()
        }
        SendError::StorageFull => "The server is out of space. Try again later.".into(),
        SendError::RateLimited => {
            "Too many requests from this address. Wait a minute and try again.".into()
        }
        SendError::Busy => "The server is busy. Try again in a moment.".into(),
        SendError::Unreachable => {
            "The server could not be reached. Check the connection and try again.".into()
        }
        SendError::Incomplete { missing } => {
            format!("The upload is incomplete: the server is missing parts {missing:?}.")
        }
        SendError::SizeMismatch => {
            "The encrypted size did not come out as announced; nothing was shared.".into()
        }
        SendError::Malformed(_) => "The server's answer was not understood.".into(),
        SendError::Refused(words) => format!("The server said: {words}."),
        SendError::Browser(e) => format!("This browser could not finish: {e}."),
    }
}

/// The send page (`/`).
#[component]
pub fn SendPage() -> impl IntoView {
    let sent = RwSignal::new(None::<Sent>);
    view! {
        {move || match sent.get() {
            None => view! { <SendForm sent/> }.into_any(),
            Some(links) => view! { <SentCard links sent/> }.into_any(),
        }}
    }
}

#[component]
fn SendForm(sent: RwSignal<Option<Sent>>) -> impl IntoView {
    let mode = RwSignal::new(Mode::Text);
    let text = RwSignal::new(String::new());
    let picked = RwSignal::new(None::<PickedFile>);
    let dragging = RwSignal::new(false);
    let expires = RwSignal::new(DEFAULT_EXPIRY_SECS);
    let downloads = RwSignal::new(1u32);
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<SendError>);
    let progress_now = RwSignal::new(None::<Progress>);
    let working = RwSignal::new(false);
    let max_plain = super::size_limit();

    let on_file_input = move |ev: leptos::ev::Event| {
        error.set(None);
        picked.set(super::pick(&ev));
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        if let Some(file) = super::pick(&ev) {
            error.set(None);
            picked.set(Some(file));
        }
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let content = match mode.get_untracked() {
            Mode::Text => Content::Text(text.get_untracked()),
            Mode::File => Content::File(picked.get_untracked()),
        };
        let request = Request {
            content,
            expires_in: expires.get_untracked(),
            max_downloads: downloads.get_untracked().clamp(1, MAX_DOWNLOADS),
            password: password.get_untracked(),
            key_apart: false,
        };
        working.set(true);
        super::start(
            request,
            move |stage| progress_now.set(Some(progress(stage))),
            move |result| {
                working.set(false);
                progress_now.set(None);
                match result {
                    Ok(links) => {
                        password.set(String::new());
                        text.set(String::new());
                        sent.set(Some(links));
                    }
                    Err(e) => error.set(Some(e)),
                }
            },
        );
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
            <ProgressBar progress=progress_now.into()/>
            {move || error.get().map(|e| view! { <p class="error" id="send-error" role="alert">{sentence(&e)}</p> })}
        </section>
    }
}

#[component]
fn SentCard(links: Sent, sent: RwSignal<Option<Sent>>) -> impl IntoView {
    let expires = local_time(&links.expires_at);
    let manage = links.manage_link.clone();
    let share = if links.key_apart {
        let link = links.link_without_key().to_string();
        let key = links.key().to_string();
        view! {
            <p class="lead">
                "Send the link and the key over two different channels, for example the link by email and the key by chat. The recipient opens the link and pastes the key; whoever sees only one of them cannot open the share. It opens once (or as many times as you allowed), then it is gone."
            </p>
            <label for="share-link">"Link (without the key)"</label>
            <div class="link-row">
                <input id="share-link" type="text" readonly prop:value=link.clone()/>
                <CopyButton text=link.clone() id="copy-share" label="Copy"/>
            </div>
            <label for="share-key">"Key"</label>
            <div class="link-row">
                <input id="share-key" type="text" readonly prop:value=key.clone()/>
                <CopyButton text=key.clone() id="copy-key" label="Copy"/>
            </div>
            <div class="qr-pair">
                <figure>
                    <QrCode text=link id="qr" label="QR code of the link without the key"/>
                    <figcaption>"Link"</figcaption>
                </figure>
                <figure>
                    <QrCode text=key id="qr-key" label="QR code of the key"/>
                    <figcaption>"Key"</figcaption>
                </figure>
            </div>
        }
            .into_any()
    } else {
        let share = links.share_link.clone();
        view! {
            <p class="lead">
                "Send this link to the recipient. It opens once (or as many times as you allowed), then it is gone."
            </p>
            <label for="share-link">"Share link"</label>
            <div class="link-row">
                <input id="share-link" type="text" readonly prop:value=share.clone()/>
                <CopyButton text=share.clone() id="copy-share" label="Copy"/>
            </div>
            <QrCode text=share/>
        }
            .into_any()
    };
    view! {
        <section class="card" id="sent">
            <h1>"Your link is ready"</h1>
            {share}
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
