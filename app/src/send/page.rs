//! The send page (`/`): a text, files or a generated secret, options,
//! then the links.

use leptos::children::ChildrenFn;
use leptos::prelude::*;
use leptos::tachys::html::attribute::custom::custom_attribute;

use super::{
    entropy_bits, expiry_label, total_bytes, Alphabet, Content, Offer, PickedFile, Request,
    SendError, Sent, Stage, PASSPHRASE_WORDS, SECRET_DEFAULT_LEN, SECRET_MAX_LEN, SECRET_MIN_LEN,
    WORD_LIST_LEN,
};
use crate::format::{human_bytes, password_strength, Strength};
use crate::i18n::{t, td_string, use_i18n, Locale};
use crate::widgets::{focus_when_shown, local_time, tr, CopyButton, Progress, ProgressBar, QrCode};

/// Which tab the sender is on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Text,
    File,
    Generate,
}

/// The progress bar's words and numbers for a stage.
fn progress(locale: Locale, stage: Stage) -> Progress {
    let (label, done, total, elapsed_ms) = match stage {
        Stage::DerivingKey => (td_string!(locale, send.deriving).to_string(), 0, 0, 0.0),
        Stage::Uploading {
            done,
            total,
            elapsed_ms,
        } => (
            td_string!(locale, send.uploading).to_string(),
            done,
            total,
            elapsed_ms,
        ),
        Stage::Retrying {
            attempt,
            done,
            total,
            elapsed_ms,
        } => (
            td_string!(locale, send.retrying, attempt = attempt).to_string(),
            done,
            total,
            elapsed_ms,
        ),
        Stage::Completing { total, elapsed_ms } => (
            td_string!(locale, send.finishing).to_string(),
            total,
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

/// The line that sums up the chosen files.
fn chosen_line(locale: Locale, files: &[PickedFile]) -> String {
    match files {
        [] => td_string!(locale, send.no_file_chosen).to_string(),
        [one] if !one.in_folder => {
            let (name, size) = (&one.path, human_bytes(locale, one.size));
            td_string!(locale, send.chosen_single, name = name, size = size).to_string()
        }
        many => {
            let (count, size) = (many.len() as u64, human_bytes(locale, total_bytes(many)));
            td_string!(locale, send.chosen_count, count = count, size = size).to_string()
        }
    }
}

/// How the chosen files travel, when they are several.
fn archive_note(locale: Locale, files: &[PickedFile]) -> Option<String> {
    if matches!(
        files,
        [] | [PickedFile {
            in_folder: false,
            ..
        }]
    ) {
        return None;
    }
    let unlisted = super::unlisted(locale, files);
    Some(if unlisted > 0 {
        let (listed, total) = (files.len() - unlisted, files.len());
        td_string!(
            locale,
            send.archive_note_unlisted,
            listed = listed,
            total = total
        )
        .to_string()
    } else {
        td_string!(locale, send.archive_note).to_string()
    })
}

/// The hint beside the password field.
fn strength_label(locale: Locale, strength: Strength) -> String {
    match strength {
        Strength::None => td_string!(locale, send.strength_none).to_string(),
        Strength::Weak => td_string!(locale, send.strength_weak).to_string(),
        Strength::Fair => td_string!(locale, send.strength_fair).to_string(),
        Strength::Strong => td_string!(locale, send.strength_strong).to_string(),
    }
}

/// The label of every copy button on the page.
fn copy_label() -> Signal<String> {
    tr(|l| td_string!(l, send.copy).to_string())
}

/// The send page (`/`).
#[component]
pub fn SendPage() -> impl IntoView {
    let sent = RwSignal::new(None::<Sent>);
    // A generated secret the sender shared: shown beside the links to copy.
    let generated = RwSignal::new(None::<String>);
    view! {
        {move || match sent.get() {
            None => view! { <SendForm sent generated/> }.into_any(),
            Some(links) => {
                view! {
                    <SentCard links sent/>
                    <GeneratedSecret generated/>
                }
                    .into_any()
            }
        }}
    }
}

#[component]
fn SendForm(sent: RwSignal<Option<Sent>>, generated: RwSignal<Option<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let copy = copy_label();
    let mode = RwSignal::new(Mode::Text);
    let text = RwSignal::new(String::new());
    let files = RwSignal::new(Vec::<PickedFile>::new());
    let dragging = RwSignal::new(false);
    let offer = RwSignal::new(Offer::initial());
    let expires = RwSignal::new(offer.with_untracked(|o| o.default_expiry));
    let downloads = RwSignal::new(1u32);
    let password = RwSignal::new(String::new());
    let passphrase = RwSignal::new(None::<String>);
    let token = RwSignal::new(String::new());
    let remember = RwSignal::new(false);
    let token_asked = RwSignal::new(false);
    let key_apart = RwSignal::new(false);
    let alphabet = RwSignal::new(Alphabet::Alphanumeric);
    let length = RwSignal::new(SECRET_DEFAULT_LEN);
    let secret = RwSignal::new(String::new());
    let error = RwSignal::new(None::<SendError>);
    let stage_now = RwSignal::new(None::<Stage>);
    // Drawn from the stage in the language of the moment.
    let progress_now = Signal::derive(move || {
        stage_now
            .get()
            .map(|stage| progress(i18n.get_locale(), stage))
    });
    let working = RwSignal::new(false);
    // Stops the send under way (does nothing when none is).
    let cancel = StoredValue::new(super::Cancel::default());

    // In the browser only: what the server accepts, and a kept create token.
    Effect::new(move |_| {
        super::load_offer(move |o| {
            expires.set(o.default_expiry);
            downloads.update(|d| *d = (*d).clamp(1, o.max_downloads));
            offer.set(o);
        });
        files.set(super::chosen());
        let (saved, on_device) = super::saved_create_token();
        token.set(saved);
        remember.set(on_device);
    });

    let regenerate =
        move || match super::generate_secret(alphabet.get_untracked(), length.get_untracked()) {
            Ok(s) => secret.set(s),
            Err(e) => error.set(Some(e)),
        };
    let open_generate = move |_| {
        mode.set(Mode::Generate);
        if secret.with_untracked(String::is_empty) {
            regenerate();
        }
    };

    let on_pick = move |ev: leptos::ev::Event| {
        error.set(None);
        super::prepare();
        super::pick(&ev, move |list| files.set(list));
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        error.set(None);
        super::prepare();
        super::pick(&ev, move |list| files.set(list));
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        generated.set(None);
        let current = mode.get_untracked();
        let content = match current {
            Mode::Text => Content::Text(text.get_untracked()),
            Mode::File => Content::Files(files.get_untracked()),
            Mode::Generate => Content::Text(secret.get_untracked()),
        };
        let shown = offer.get_untracked();
        let request = Request {
            content,
            expires_in: expires.get_untracked(),
            max_downloads: downloads.get_untracked().clamp(1, shown.max_downloads),
            password: password.get_untracked(),
            key_apart: key_apart.get_untracked(),
            // Only a server that asks for a create token gets one.
            create_token: if offer.with_untracked(|o| o.token_required)
                || token_asked.get_untracked()
            {
                token.get_untracked().trim().to_string()
            } else {
                String::new()
            },
            remember_token: remember.get_untracked(),
            // The sealed file list is written in the language of the moment.
            locale: i18n.get_locale_untracked(),
        };
        working.set(true);
        let started = super::start(
            request,
            &shown,
            move |stage| stage_now.set(Some(stage)),
            move |result| {
                working.set(false);
                stage_now.set(None);
                cancel.set_value(super::Cancel::default());
                match result {
                    Ok(links) => {
                        if current == Mode::Generate {
                            generated.set(Some(secret.get_untracked()));
                        }
                        password.set(String::new());
                        text.set(String::new());
                        secret.set(String::new());
                        files.set(Vec::new());
                        sent.set(Some(links));
                    }
                    Err(e) => {
                        if e == SendError::CreateTokenRequired {
                            token_asked.set(true);
                        }
                        error.set(Some(e));
                    }
                }
            },
        );
        cancel.set_value(started);
    };
    let on_cancel = move |_| cancel.with_value(super::Cancel::cancel);

    let secret_hint = move || {
        let n = alphabet.get().chars().len();
        let len = length.get().clamp(SECRET_MIN_LEN, SECRET_MAX_LEN);
        let bits = entropy_bits(n, len as usize).floor() as u64;
        let count = u64::from(len);
        td_string!(
            i18n.get_locale(),
            send.secret_hint,
            count = count,
            n = n,
            bits = bits
        )
        .to_string()
    };

    let text_panel = move || {
        view! {
            <label for="text-panel" class="visually-hidden">
                {tr(|l| td_string!(l, send.secret_text).to_string())}
            </label>
            <textarea
                id="text-panel"
                hidden=move || mode.get() != Mode::Text
                role="tabpanel"
                aria-labelledby="tab-text"
                placeholder=tr(|l| td_string!(l, send.text_placeholder).to_string())
                autocomplete="off"
                spellcheck="false"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
            ></textarea>
        }
    };

    let file_panel = move || {
        view! {
            <div
                class="drop"
                class:dragging=move || dragging.get()
                id="file-panel"
                hidden=move || mode.get() != Mode::File
                role="tabpanel"
                aria-labelledby="tab-file"
                on:dragover=move |ev: leptos::ev::DragEvent| {
                    ev.prevent_default();
                    dragging.set(true);
                }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop
            >
                <p>{tr(|l| td_string!(l, send.drop_here).to_string())}</p>
                <div class="pickers">
                    <input
                        type="file"
                        id="file-input"
                        class="file-input"
                        multiple
                        on:change=on_pick
                    />
                    <label for="file-input" class="button">
                        {tr(|l| td_string!(l, send.choose_files).to_string())}
                    </label>
                    <input
                        type="file"
                        id="folder-input"
                        class="file-input"
                        {..custom_attribute("webkitdirectory", "")}
                        on:change=on_pick
                    />
                    <label for="folder-input" class="button">
                        {tr(|l| td_string!(l, send.choose_folder).to_string())}
                    </label>
                </div>
                <p class="chosen" id="file-chosen" aria-live="polite">
                    {move || files.with(|f| chosen_line(i18n.get_locale(), f))}
                </p>
                <ul
                    class="file-list"
                    id="file-list"
                    aria-label=tr(|l| td_string!(l, send.chosen_files).to_string())
                >
                    {move || {
                        files
                            .get()
                            .into_iter()
                            .map(|f| {
                                let (id, size) = (f.id, f.size);
                                let path = f.path.clone();
                                let remove_label = move || {
                                    td_string!(i18n.get_locale(), send.remove_file, name = &path)
                                        .to_string()
                                };
                                view! {
                                    <li class="file-entry">
                                        <span class="file-name">{f.path}</span>
                                        <span class="file-size">
                                            {move || human_bytes(i18n.get_locale(), size)}
                                        </span>
                                        <button
                                            type="button"
                                            class="remove"
                                            aria-label=remove_label
                                            on:click=move |_| files.set(super::remove(id))
                                        >
                                            {tr(|l| td_string!(l, send.remove).to_string())}
                                        </button>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
                <p class="hint" id="archive-note">
                    {move || files.with(|f| archive_note(i18n.get_locale(), f))}
                </p>
            </div>
        }
    };

    let generate_panel = move || {
        view! {
            <div
                id="generate-panel"
                class="generate"
                role="tabpanel"
                aria-labelledby="tab-generate"
                hidden=move || mode.get() != Mode::Generate
            >
                <div class="options">
                    <label>
                        {tr(|l| td_string!(l, send.characters).to_string())}
                        <select
                            id="gen-alphabet"
                            on:change=move |ev| {
                                if let Some(a) = Alphabet::from_key(&event_target_value(&ev)) {
                                    alphabet.set(a);
                                    regenerate();
                                }
                            }
                        >
                            <option value="alnum">{tr(|l| td_string!(l, send.alphabet_alnum).to_string())}</option>
                            <option value="symbols">{tr(|l| td_string!(l, send.alphabet_symbols).to_string())}</option>
                            <option value="hex">{tr(|l| td_string!(l, send.alphabet_hex).to_string())}</option>
                            <option value="digits">{tr(|l| td_string!(l, send.alphabet_digits).to_string())}</option>
                        </select>
                    </label>
                    <label>
                        {tr(|l| td_string!(l, send.length).to_string())}
                        <input
                            type="number"
                            id="gen-length"
                            min=SECRET_MIN_LEN.to_string()
                            max=SECRET_MAX_LEN.to_string()
                            inputmode="numeric"
                            prop:value=move || length.get().to_string()
                            on:change=move |ev| {
                                let n = event_target_value(&ev)
                                    .parse::<u32>()
                                    .unwrap_or(SECRET_DEFAULT_LEN);
                                length.set(n.clamp(SECRET_MIN_LEN, SECRET_MAX_LEN));
                                regenerate();
                            }
                        />
                    </label>
                </div>
                <label for="gen-secret">{tr(|l| td_string!(l, send.generated_secret).to_string())}</label>
                <div class="link-row">
                    <input id="gen-secret" type="text" readonly prop:value=move || secret.get()/>
                    <CopyButton text=Signal::derive(move || secret.get()) id="copy-secret" label=copy/>
                </div>
                <button type="button" id="gen-again" on:click=move |_| regenerate()>
                    {tr(|l| td_string!(l, send.generate_another).to_string())}
                </button>
                <p class="hint" id="gen-hint">{secret_hint}</p>
            </div>
        }
    };

    view! {
        <section class="card">
            <h1>{tr(|l| td_string!(l, send.title).to_string())}</h1>
            <p class="lead">{tr(|l| td_string!(l, send.lead).to_string())}</p>
            <form on:submit=on_submit on:focusin=move |_| super::prepare() novalidate>
                <fieldset disabled=move || working.get()>
                    <legend class="visually-hidden">{tr(|l| td_string!(l, send.what_to_share).to_string())}</legend>
                    <div
                        class="tabs"
                        role="tablist"
                        aria-label=tr(|l| td_string!(l, send.what_to_share).to_string())
                    >
                        <button
                            type="button"
                            role="tab"
                            id="tab-text"
                            aria-controls="text-panel"
                            aria-selected=move || (mode.get() == Mode::Text).to_string()
                            on:click=move |_| mode.set(Mode::Text)
                        >
                            {tr(|l| td_string!(l, send.tab_text).to_string())}
                        </button>
                        <button
                            type="button"
                            role="tab"
                            id="tab-file"
                            aria-controls="file-panel"
                            aria-selected=move || (mode.get() == Mode::File).to_string()
                            on:click=move |_| mode.set(Mode::File)
                        >
                            {tr(|l| td_string!(l, send.tab_files).to_string())}
                        </button>
                        <button
                            type="button"
                            role="tab"
                            id="tab-generate"
                            aria-controls="generate-panel"
                            aria-selected=move || (mode.get() == Mode::Generate).to_string()
                            on:click=open_generate
                        >
                            {tr(|l| td_string!(l, send.tab_generate).to_string())}
                        </button>
                    </div>
                    // Every panel stays in the page (hidden when not chosen),
                    // so what was typed, chosen or generated survives a
                    // switch of tabs.
                    {text_panel().into_any()}
                    {file_panel().into_any()}
                    {generate_panel().into_any()}
                    <p class="limit" id="size-limit">
                        {move || {
                            let locale = i18n.get_locale();
                            offer
                                .with(|o| o.size_limit())
                                .map(|max| {
                                    let size = human_bytes(locale, max);
                                    td_string!(locale, send.size_limit, size = size).to_string()
                                })
                                .unwrap_or_default()
                        }}
                    </p>
                    <ShareOptions
                        offer
                        expires
                        downloads
                        password
                        passphrase
                        token
                        remember
                        token_asked
                        key_apart
                        error
                    />
                    <button type="submit" class="primary" id="send">
                        {tr(|l| td_string!(l, send.submit).to_string())}
                    </button>
                </fieldset>
            </form>
            <ProgressBar progress=progress_now/>
            <Show when=move || working.get()>
                <button type="button" id="send-cancel" on:click=on_cancel>
                    {tr(|l| td_string!(l, send.cancel).to_string())}
                </button>
            </Show>
            {move || {
                error
                    .get()
                    .map(|e| {
                        // The cancel button is gone: the keyboard goes back
                        // to the Send button, ready for another try.
                        if e == SendError::Cancelled {
                            focus_when_shown("send");
                        }
                        view! {
                            <p class="error" id="send-error" role="alert">
                                {super::sentence(i18n.get_locale(), &e)}
                            </p>
                        }
                    })
            }}
        </section>
    }
}

/// Expiry, downloads, password (with its generator), the key apart and the create token,
/// within what the server offers.
#[component]
#[allow(clippy::too_many_arguments)]
fn ShareOptions(
    offer: RwSignal<Offer>,
    expires: RwSignal<u32>,
    downloads: RwSignal<u32>,
    password: RwSignal<String>,
    passphrase: RwSignal<Option<String>>,
    token: RwSignal<String>,
    remember: RwSignal<bool>,
    token_asked: RwSignal<bool>,
    key_apart: RwSignal<bool>,
    error: RwSignal<Option<SendError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let copy = copy_label();
    let strength = move || password.with(|p| password_strength(p));
    let token_shown = move || offer.with(|o| o.token_required) || token_asked.get();
    let passphrase_bits = entropy_bits(WORD_LIST_LEN, PASSPHRASE_WORDS).floor() as u64;
    let passphrase_hint = move || {
        let words = PASSPHRASE_WORDS as u64;
        td_string!(
            i18n.get_locale(),
            send.passphrase_hint,
            count = words,
            bits = passphrase_bits
        )
        .to_string()
    };
    let on_generate_passphrase = move |_| {
        error.set(None);
        super::generate_passphrase(move |result| match result {
            Ok(phrase) => {
                password.set(phrase.clone());
                passphrase.set(Some(phrase));
            }
            Err(e) => error.set(Some(e)),
        });
    };
    view! {
        <div class="options">
            <label>
                {tr(|l| td_string!(l, send.expires_after).to_string())}
                <select
                    id="expiry"
                    on:change=move |ev| {
                        if let Ok(secs) = event_target_value(&ev).parse() {
                            expires.set(secs);
                        }
                    }
                >
                    // Drawn again when the offer arrives, with its default
                    // selected; the sender's choice is `expires`.
                    {move || {
                        let offer = offer.get();
                        let default = offer.default_expiry;
                        offer
                            .expiry_choices
                            .into_iter()
                            .map(|secs| {
                                view! {
                                    <option value=secs.to_string() selected=secs == default>
                                        {move || expiry_label(i18n.get_locale(), secs)}
                                    </option>
                                }
                            })
                            .collect_view()
                    }}
                </select>
            </label>
            <label>
                {tr(|l| td_string!(l, send.downloads).to_string())}
                <input
                    type="number"
                    id="downloads"
                    min="1"
                    max=move || offer.with(|o| o.max_downloads.to_string())
                    inputmode="numeric"
                    prop:value=move || downloads.get().to_string()
                    on:change=move |ev| {
                        let n = event_target_value(&ev).parse::<u32>().unwrap_or(1);
                        downloads.set(n.clamp(1, offer.with_untracked(|o| o.max_downloads)));
                    }
                />
            </label>
            <div class="wide password-field">
                <label for="password">{tr(|l| td_string!(l, send.password_optional).to_string())}</label>
                <div class="password-row">
                    <input
                        type="password"
                        id="password"
                        autocomplete="new-password"
                        prop:value=move || password.get()
                        on:input=move |ev| {
                            let value = event_target_value(&ev);
                            if passphrase.with_untracked(|p| p.as_deref() != Some(value.as_str())) {
                                passphrase.set(None);
                            }
                            password.set(value);
                        }
                    />
                    <button type="button" id="password-generate" on:click=on_generate_passphrase>
                        {tr(|l| td_string!(l, send.generate_passphrase).to_string())}
                    </button>
                </div>
            </div>
            {move || {
                passphrase
                    .get()
                    .map(|phrase| {
                        view! {
                            <div class="wide generated" id="passphrase-box">
                                <label for="passphrase">{tr(|l| td_string!(l, send.generated_passphrase).to_string())}</label>
                                <div class="link-row">
                                    <input id="passphrase" type="text" readonly prop:value=phrase.clone()/>
                                    <CopyButton text=phrase id="copy-passphrase" label=copy/>
                                </div>
                                <p class="hint">{passphrase_hint}</p>
                            </div>
                        }
                    })
            }}
            <p
                class=move || format!("strength {}", strength().class())
                id="password-strength"
                aria-live="polite"
            >
                {move || strength_label(i18n.get_locale(), strength())}
            </p>
            <div class="wide">
                <label class="check">
                    <input
                        type="checkbox"
                        id="key-apart"
                        aria-describedby="key-apart-hint"
                        prop:checked=move || key_apart.get()
                        on:change=move |ev| key_apart.set(event_target_checked(&ev))
                    />
                    {tr(|l| td_string!(l, send.key_apart).to_string())}
                </label>
                <p class="hint" id="key-apart-hint">{tr(|l| td_string!(l, send.key_apart_hint).to_string())}</p>
            </div>
            <Show when=token_shown>
                <div class="wide token-field" id="token-box">
                    <label for="create-token">{tr(|l| td_string!(l, send.create_token).to_string())}</label>
                    <input
                        type="password"
                        id="create-token"
                        autocomplete="off"
                        spellcheck="false"
                        aria-describedby="token-hint"
                        prop:value=move || token.get()
                        on:input=move |ev| token.set(event_target_value(&ev))
                    />
                    <label class="check">
                        <input
                            type="checkbox"
                            id="remember-token"
                            prop:checked=move || remember.get()
                            on:change=move |ev| remember.set(event_target_checked(&ev))
                        />
                        {tr(|l| td_string!(l, send.remember_token).to_string())}
                    </label>
                    <p class="hint" id="token-hint">{tr(|l| td_string!(l, send.token_hint).to_string())}</p>
                </div>
            </Show>
        </div>
    }
    .into_any()
}

/// The generated secret that was just shared, for the sender to copy: the
/// page made it, so nobody has seen it yet.
#[component]
fn GeneratedSecret(generated: RwSignal<Option<String>>) -> impl IntoView {
    let copy = copy_label();
    move || {
        generated.get().map(|secret| {
            view! {
                <section class="card" id="generated-sent" aria-labelledby="generated-title">
                    <h2 id="generated-title">{tr(|l| td_string!(l, send.generated_title).to_string())}</h2>
                    <p class="notice">{tr(|l| td_string!(l, send.generated_notice).to_string())}</p>
                    <div class="link-row">
                        <input id="generated-secret" type="text" readonly aria-labelledby="generated-title" prop:value=secret.clone()/>
                        <CopyButton text=secret id="copy-generated" label=copy/>
                    </div>
                </section>
            }
        })
    }
}

#[component]
fn SentCard(links: Sent, sent: RwSignal<Option<Sent>>) -> impl IntoView {
    let i18n = use_i18n();
    let copy = copy_label();
    let at = links.expires_at.clone();
    let when = {
        let at = at.clone();
        move || local_time(i18n.get_locale(), &at)
    };
    let time = move |children: ChildrenFn| {
        view! { <time id="expires-at" datetime=at.clone()>{children()}</time> }
    };
    let manage = links.manage_link.clone();
    let share = if links.key_apart {
        let link = links.link_without_key().to_string();
        let key = links.key().to_string();
        view! {
            <p class="lead">{tr(|l| td_string!(l, send.lead_key_apart).to_string())}</p>
            <label for="share-link">{tr(|l| td_string!(l, send.link_without_key).to_string())}</label>
            <div class="link-row">
                <input id="share-link" type="text" readonly prop:value=link.clone()/>
                <CopyButton text=link.clone() id="copy-share" label=copy/>
            </div>
            <label for="share-key">{tr(|l| td_string!(l, send.key).to_string())}</label>
            <div class="link-row">
                <input id="share-key" type="text" readonly prop:value=key.clone()/>
                <CopyButton text=key.clone() id="copy-key" label=copy/>
            </div>
            <div class="qr-pair">
                <figure>
                    <QrCode
                        text=link
                        id="qr"
                        label=Signal::derive(move || {
                            td_string!(i18n.get_locale(), send.qr_link_without_key).to_string()
                        })
                    />
                    <figcaption>{tr(|l| td_string!(l, send.link).to_string())}</figcaption>
                </figure>
                <figure>
                    <QrCode
                        text=key
                        id="qr-key"
                        label=tr(|l| td_string!(l, send.qr_key).to_string())
                    />
                    <figcaption>{tr(|l| td_string!(l, send.key).to_string())}</figcaption>
                </figure>
            </div>
        }
            .into_any()
    } else {
        let share = links.share_link.clone();
        view! {
            <p class="lead">{tr(|l| td_string!(l, send.lead_link).to_string())}</p>
            <label for="share-link">{tr(|l| td_string!(l, send.share_link).to_string())}</label>
            <div class="link-row">
                <input id="share-link" type="text" readonly prop:value=share.clone()/>
                <CopyButton text=share.clone() id="copy-share" label=copy/>
            </div>
            <QrCode text=share/>
        }
        .into_any()
    };
    focus_when_shown("sent");
    view! {
        <section class="card" id="sent" tabindex="-1">
            <h1>{tr(|l| td_string!(l, send.ready_title).to_string())}</h1>
            {share}
            <p>{t!(i18n, send.expires, when, <time>)}</p>
            <section class="manage" aria-labelledby="manage-title">
                <h2 id="manage-title">{tr(|l| td_string!(l, send.manage_title).to_string())}</h2>
                <p class="notice">{tr(|l| td_string!(l, send.manage_notice).to_string())}</p>
                <div class="link-row">
                    <input id="manage-link" type="text" readonly aria-labelledby="manage-title" prop:value=manage.clone()/>
                    <CopyButton text=manage.clone() id="copy-manage" label=copy/>
                </div>
                <a href=manage id="open-manage">{tr(|l| td_string!(l, send.open_manage).to_string())}</a>
            </section>
            <button type="button" id="send-another" on:click=move |_| sent.set(None)>
                {tr(|l| td_string!(l, send.send_another).to_string())}
            </button>
        </section>
    }
}
