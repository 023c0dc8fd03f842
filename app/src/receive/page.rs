//! The receive page (`/s/{id}#K`). Rendering it, on the server or in the
//! browser, only reads the share's public facts; the Reveal button is what
//! claims it.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::{Facts, FileList, OpenError, Opened, Stage};
use crate::format::human_bytes;
use crate::widgets::{expiry_text, focus_when_shown, CopyButton, Progress, ProgressBar, StateCard};

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
        Stage::ClaimRetrying { cause, .. } => (super::waiting_sentence(cause).into(), 0, 0, 0.0),
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
    let key = RwSignal::new(String::new());
    let key_error = RwSignal::new(None::<OpenError>);
    let password = RwSignal::new(String::new());
    let attempts_left = RwSignal::new(None::<u32>);
    let progress_now = RwSignal::new(None::<Progress>);

    let show_facts = move |result: Result<Facts, OpenError>| {
        screen.set(match result {
            Ok(facts) => Screen::Ready(facts),
            Err(e) => Screen::Failed(e),
        })
    };
    // Effects run in the browser only, after hydration.
    Effect::new(move |_| {
        super::facts(id.get_value(), show_facts);
        // A link pasted into this tab's address bar again changes only the
        // fragment: the page does not reload, so read it now.
        let listener = window_event_listener(leptos::ev::hashchange, move |_| {
            if !matches!(screen.get_untracked(), Screen::Opening) {
                super::facts(id.get_value(), show_facts);
            }
        });
        on_cleanup(move || listener.remove());
    });
    let ask_for_key = move |_| {
        screen.set(Screen::Loading);
        super::facts_asking_key(id.get_value(), show_facts);
    };

    let reveal = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Screen::Ready(facts) = screen.get_untracked() else {
            return;
        };
        key_error.set(None);
        screen.set(Screen::Opening);
        let again = facts.clone();
        super::open(
            id.get_value(),
            facts,
            key.get_untracked(),
            password.get_untracked(),
            move |stage| progress_now.set(Some(progress(stage))),
            move |result| {
                progress_now.set(None);
                match result {
                    Ok(opened) => {
                        password.set(String::new());
                        key.set(String::new());
                        screen.set(Screen::Opened(opened));
                    }
                    Err(OpenError::BadPassword { attempts_left: n }) => {
                        attempts_left.set(Some(n));
                        password.set(String::new());
                        screen.set(Screen::Ready(again));
                    }
                    Err(OpenError::PasswordMissing) => screen.set(Screen::Ready(again)),
                    Err(e @ OpenError::WrongLink) => {
                        key.set(String::new());
                        key_error.set(Some(e));
                        screen.set(Screen::Ready(again.asking_for_key()));
                    }
                    Err(e) if super::key_problem(&e).is_some() => {
                        key_error.set(Some(e));
                        screen.set(Screen::Ready(again));
                    }
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
            Screen::Ready(facts) => {
                view! { <ReadyCard facts key key_error password attempts_left on_reveal=reveal/> }
                    .into_any()
            }
            Screen::Opening => {
                focus_when_shown("opening");
                view! {
                    <section class="card" id="opening" tabindex="-1">
                        <h1>"Opening…"</h1>
                        <p class="lead">"Decrypting in your browser."</p>
                        <ProgressBar progress=progress_now.into()/>
                    </section>
                }
                    .into_any()
            }
            Screen::Opened(Opened::Text(text)) => view! { <TextCard text/> }.into_any(),
            Screen::Opened(Opened::File { name, size, url, on_disk, files }) => {
                view! { <SavedCard name size url on_disk files/> }.into_any()
            }
            Screen::Failed(error @ OpenError::OpenedInTab) => {
                let told = super::told(&error);
                view! {
                    <StateCard state=told.state title=told.title detail=told.detail>
                        <button type="button" id="enter-key" on:click=ask_for_key>
                            "Paste the key"
                        </button>
                    </StateCard>
                }
                    .into_any()
            }
            Screen::Failed(error) => view! { <FailedCard error/> }.into_any(),
        }}
    }
}

#[component]
fn ReadyCard(
    facts: Facts,
    key: RwSignal<String>,
    key_error: RwSignal<Option<OpenError>>,
    password: RwSignal<String>,
    attempts_left: RwSignal<Option<u32>>,
    on_reveal: impl FnMut(leptos::ev::SubmitEvent) + 'static,
) -> impl IntoView {
    let needs_key = facts.needs_key();
    let needs_password = facts.needs_password();
    let size = facts.size;
    let expires = expiry_text(
        crate::i18n::use_i18n().get_locale_untracked(), /* TODO(i18n): reactive */
        &facts.expires_at,
    );
    let left = facts.downloads_left;
    // After a refused key or password the form comes back: the focus goes
    // to the field to correct, the alert beside it says why.
    if needs_key && key_error.get_untracked().is_some() {
        focus_when_shown("key");
    } else if needs_password && attempts_left.get_untracked().is_some() {
        focus_when_shown("password");
    }
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
                <dd id="info-size">{human_bytes(crate::i18n::use_i18n().get_locale_untracked() /* TODO(i18n): reactive */, size)}</dd>
                <dt>"Expires"</dt>
                <dd id="info-expires">{expires}</dd>
                <dt>"Downloads left"</dt>
                <dd id="info-downloads-left">{left.to_string()}</dd>
                <dt>"Password"</dt>
                <dd id="info-password">{if needs_password { "Required" } else { "Not needed" }}</dd>
            </dl>
            <form on:submit=on_reveal>
                {needs_key
                    .then(|| {
                        view! {
                            <label for="key">"Key"</label>
                            <input
                                type="text"
                                id="key"
                                autocomplete="off"
                                autocapitalize="none"
                                spellcheck="false"
                                aria-describedby="key-hint"
                                prop:value=move || key.get()
                                on:input=move |ev| key.set(event_target_value(&ev))
                            />
                            <p class="notice" id="key-hint">
                                "This link came without its key. Paste the key you received separately (43 characters), or the whole link."
                            </p>
                        }
                    })}
                {move || {
                    key_error
                        .get()
                        .and_then(|e| super::key_problem(&e))
                        .map(|words| view! { <p class="error" id="key-error" role="alert">{words}</p> })
                }}
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
                                                {super::told(&OpenError::BadPassword { attempts_left: n }).detail}
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
    focus_when_shown("secret-text");
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
fn SavedCard(
    name: String,
    size: u64,
    url: String,
    on_disk: bool,
    files: Option<FileList>,
) -> impl IntoView {
    let forgotten = RwSignal::new(false);
    let forget_url = url.clone();
    let forget = move |_| {
        forgotten.set(true);
        super::forget_saved(forget_url.clone());
    };
    focus_when_shown("saved");
    view! {
        <section class="card" id="saved" tabindex="-1">
            <h1>{if files.is_some() { "Files saved" } else { "File saved" }}</h1>
            <p class="lead">
                "Your browser is saving " <span class="file-name" id="saved-name">{name.clone()}</span> " ("
                {human_bytes(crate::i18n::use_i18n().get_locale_untracked() /* TODO(i18n): reactive */, size)} "). It was decrypted in this page and is not shown here."
            </p>
            {files.map(|list| view! { <FileListView list/> })}
            <Show
                when=move || !forgotten.get()
                fallback=|| {
                    view! {
                        <p class="notice" id="saved-forgotten" role="status">
                            "The decrypted copy was deleted from this browser."
                        </p>
                    }
                }
            >
                <p>
                    <a href=url.clone() download=name.clone() id="save-again" rel="noopener">
                        "Save it again"
                    </a>
                    " (only while this page stays open)."
                </p>
                <p class="notice">
                    "A decrypted copy stays in this browser until you leave this page. Once your download has finished, you can delete it now."
                </p>
                <button type="button" id="forget-saved" on:click=forget.clone()>
                    "Delete the decrypted copy"
                </button>
            </Show>
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

/// The files inside a share of several files: names as plain text.
#[component]
fn FileListView(list: FileList) -> impl IntoView {
    let count = list.files.len() as u64 + list.more;
    let more = list.more;
    view! {
        <h2 id="files-title">
            {if count == 1 { "1 file in the archive".to_string() } else { format!("{count} files in the archive") }}
        </h2>
        // Focusable, so that a long list scrolls from the keyboard too.
        <ul class="file-list" id="file-list" tabindex="0" aria-labelledby="files-title">
            {list
                .files
                .into_iter()
                .map(|f| {
                    view! {
                        <li>
                            <span class="file-name">{f.name}</span>
                            <span class="file-size">{human_bytes(crate::i18n::use_i18n().get_locale_untracked() /* TODO(i18n): reactive */, f.size)}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        {(more > 0).then(|| view! { <p class="notice" id="files-more">{format!("and {more} more")}</p> })}
    }
}

#[component]
fn FailedCard(error: OpenError) -> impl IntoView {
    let told = super::told(&error);
    view! { <StateCard state=told.state title=told.title detail=told.detail/> }
}
