//! The receive page (`/s/{id}#K`). Rendering it, on the server or in the
//! browser, only reads the share's public facts; the Reveal button is what
//! claims it.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::{Facts, FileList, OpenError, Opened, Stage};
use crate::format::human_bytes;
use crate::i18n::{t, td_string, use_i18n, Locale};
use crate::widgets::{
    expiry_text, focus_when_shown, tr, CopyButton, Progress, ProgressBar, StateCard,
};

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

/// The progress bar's words, in `locale`, and numbers for a stage.
fn progress(locale: Locale, stage: Stage) -> Progress {
    let (label, done, total, elapsed_ms) = match stage {
        Stage::DerivingKey => (
            td_string!(locale, receive.deriving_key).to_string(),
            0,
            0,
            0.0,
        ),
        Stage::Claiming => (td_string!(locale, receive.claiming).to_string(), 0, 0, 0.0),
        Stage::ClaimRetrying { cause, .. } => (super::waiting_sentence(locale, cause), 0, 0, 0.0),
        Stage::Downloading {
            done,
            total,
            elapsed_ms,
        } => (
            td_string!(locale, receive.downloading).to_string(),
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
            td_string!(locale, receive.resuming, attempt = attempt).to_string(),
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
    let i18n = use_i18n();
    // The stage, not its words: the bar follows the language switcher.
    let stage_now = RwSignal::new(None::<Stage>);
    let progress_now = Signal::derive(move || {
        stage_now
            .get()
            .map(|stage| progress(i18n.get_locale(), stage))
    });

    // Stops the download under way (does nothing when none is).
    let cancel = StoredValue::new(super::Cancel::default());
    let downloading = move || {
        matches!(
            stage_now.get(),
            Some(Stage::Downloading { .. } | Stage::Resuming { .. })
        )
    };
    let on_cancel = move |_| cancel.with_value(super::Cancel::cancel);

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
        let started = super::open(
            id.get_value(),
            facts,
            key.get_untracked(),
            password.get_untracked(),
            move |stage| stage_now.set(Some(stage)),
            move |result| {
                stage_now.set(None);
                cancel.set_value(super::Cancel::default());
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
                    Err(e) if super::is_key_problem(&e) => {
                        key_error.set(Some(e));
                        screen.set(Screen::Ready(again));
                    }
                    Err(e) => screen.set(Screen::Failed(e)),
                }
            },
        );
        cancel.set_value(started);
    };

    view! {
        {move || match screen.get() {
            Screen::Loading => {
                view! {
                    <section class="card" id="loading">
                        <h1>{tr(|l| td_string!(l, receive.loading_title).to_string())}</h1>
                        // Plain text, not <noscript>: hydration cannot walk into a noscript.
                        <p class="lead">{tr(|l| td_string!(l, receive.loading_lead).to_string())}</p>
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
                        <h1>{tr(|l| td_string!(l, receive.opening_title).to_string())}</h1>
                        <p class="lead">{tr(|l| td_string!(l, receive.opening_lead).to_string())}</p>
                        <ProgressBar progress=progress_now/>
                        <Show when=downloading>
                            <button type="button" id="receive-cancel" on:click=on_cancel>
                                {tr(|l| td_string!(l, receive.cancel).to_string())}
                            </button>
                        </Show>
                    </section>
                }
                    .into_any()
            }
            Screen::Opened(Opened::Text(text)) => view! { <TextCard text/> }.into_any(),
            Screen::Opened(Opened::File { name, size, url, on_disk, files }) => {
                view! { <SavedCard name size url on_disk files/> }.into_any()
            }
            Screen::Failed(error @ OpenError::OpenedInTab) => {
                view! {
                    <FailedCard error>
                        <button type="button" id="enter-key" on:click=ask_for_key>
                            {tr(|l| td_string!(l, receive.paste_key).to_string())}
                        </button>
                    </FailedCard>
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
    let expires_at = facts.expires_at;
    let left = facts.downloads_left;
    let i18n = use_i18n();
    // After a refused key or password the form comes back: the focus goes
    // to the field to correct, the alert beside it says why.
    if needs_key && key_error.get_untracked().is_some() {
        focus_when_shown("key");
    } else if needs_password && attempts_left.get_untracked().is_some() {
        focus_when_shown("password");
    }
    view! {
        <section class="card" id="share-info">
            <h1>{tr(|l| td_string!(l, receive.ready_title).to_string())}</h1>
            <p class="lead">{t!(i18n, receive.opens_left, count = move || left)}</p>
            <dl class="facts">
                <dt>{tr(|l| td_string!(l, receive.fact_size).to_string())}</dt>
                <dd id="info-size">{move || human_bytes(i18n.get_locale(), size)}</dd>
                <dt>{tr(|l| td_string!(l, receive.fact_expires).to_string())}</dt>
                <dd id="info-expires">{move || expiry_text(i18n.get_locale(), &expires_at)}</dd>
                <dt>{tr(|l| td_string!(l, receive.fact_downloads_left).to_string())}</dt>
                <dd id="info-downloads-left">{left.to_string()}</dd>
                <dt>{tr(|l| td_string!(l, receive.fact_password).to_string())}</dt>
                <dd id="info-password">
                    {move || {
                        let locale = i18n.get_locale();
                        if needs_password {
                            td_string!(locale, receive.password_required).to_string()
                        } else {
                            td_string!(locale, receive.password_not_needed).to_string()
                        }
                    }}
                </dd>
            </dl>
            <form on:submit=on_reveal>
                {needs_key
                    .then(|| {
                        view! {
                            <label for="key">{tr(|l| td_string!(l, receive.key_label).to_string())}</label>
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
                            <p class="notice" id="key-hint">{tr(|l| td_string!(l, receive.key_hint).to_string())}</p>
                        }
                    })}
                {move || {
                    key_error
                        .get()
                        .and_then(|e| super::key_problem(i18n.get_locale(), &e))
                        .map(|words| view! { <p class="error" id="key-error" role="alert">{words}</p> })
                }}
                {needs_password
                    .then(|| {
                        view! {
                            <label for="password">{tr(|l| td_string!(l, receive.password_label).to_string())}</label>
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
                                                {t!(i18n, receive.bad_password_detail, count = move || n)}
                                            </p>
                                        }
                                    })
                            }}
                        }
                    })}
                <button type="submit" class="primary" id="reveal">
                    {tr(|l| td_string!(l, receive.reveal).to_string())}
                </button>
            </form>
        </section>
    }
}

#[component]
fn TextCard(text: String) -> impl IntoView {
    let copy_source = text.clone();
    focus_when_shown("secret-text");
    let copy_label = tr(|l| td_string!(l, receive.copy).to_string());
    view! {
        <section class="card" id="revealed">
            <h1>{tr(|l| td_string!(l, receive.text_title).to_string())}</h1>
            <p class="lead">{tr(|l| td_string!(l, receive.text_lead).to_string())}</p>
            <label for="secret-text" class="visually-hidden">{tr(|l| td_string!(l, receive.text_label).to_string())}</label>
            <textarea id="secret-text" readonly prop:value=text spellcheck="false"></textarea>
            <CopyButton text=copy_source id="copy-secret" label=copy_label/>
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
    let i18n = use_i18n();
    let several = files.is_some();
    let saved_name = name.clone();
    view! {
        <section class="card" id="saved" tabindex="-1">
            <h1>
                {move || {
                    let locale = i18n.get_locale();
                    if several {
                        td_string!(locale, receive.saved_title_files).to_string()
                    } else {
                        td_string!(locale, receive.saved_title_file).to_string()
                    }
                }}
            </h1>
            <p class="lead">
                {t!(
                    i18n,
                    receive.saved_lead,
                    file = move || saved_name.clone(),
                    size = move || human_bytes(i18n.get_locale(), size),
                    <name> = |children: ChildrenFn| view! { <span class="file-name" id="saved-name">{children()}</span> }
                )}
            </p>
            {files.map(|list| view! { <FileListView list/> })}
            <Show
                when=move || !forgotten.get()
                fallback=move || {
                    view! {
                        <p class="notice" id="saved-forgotten" role="status">
                            {tr(|l| td_string!(l, receive.saved_forgotten).to_string())}
                        </p>
                    }
                }
            >
                <p>
                    {
                        let (url, name) = (url.clone(), name.clone());
                        t!(
                            i18n,
                            receive.save_again,
                            <link> = move |children: ChildrenFn| {
                                view! {
                                    <a href=url.clone() download=name.clone() id="save-again" rel="noopener">
                                        {children()}
                                    </a>
                                }
                            }
                        )
                    }
                </p>
                <p class="notice">{tr(|l| td_string!(l, receive.saved_copy_note).to_string())}</p>
                <button type="button" id="forget-saved" on:click=forget.clone()>
                    {tr(|l| td_string!(l, receive.forget_saved).to_string())}
                </button>
            </Show>
            {(!on_disk)
                .then(|| {
                    view! {
                        <p class="notice">{tr(|l| td_string!(l, receive.in_memory).to_string())}</p>
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
    let i18n = use_i18n();
    view! {
        <h2 id="files-title">{t!(i18n, receive.files_in_archive, count = move || count)}</h2>
        // Focusable, so that a long list scrolls from the keyboard too.
        <ul class="file-list" id="file-list" tabindex="0" aria-labelledby="files-title">
            {list
                .files
                .into_iter()
                .map(|f| {
                    let size = f.size;
                    view! {
                        <li>
                            <span class="file-name">{f.name}</span>
                            <span class="file-size">{move || human_bytes(i18n.get_locale(), size)}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        {(more > 0)
            .then(|| {
                view! {
                    <p class="notice" id="files-more">{t!(i18n, receive.files_more, count = move || more)}</p>
                }
            })}
    }
}

/// The card of a state that ends the visit, in the reader's language (it
/// is drawn again when the language changes), with what `children` adds.
#[component]
fn FailedCard(error: OpenError, #[prop(optional)] children: Option<ChildrenFn>) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        let told = super::told(i18n.get_locale(), &error);
        let children = children.clone();
        view! {
            <StateCard state=told.state title=told.title detail=told.detail>
                {children.map(|c| c())}
            </StateCard>
        }
    }
}
