//! The send page (`/`): a text, files or a generated secret, options,
//! then the links.

use leptos::prelude::*;
use leptos::tachys::html::attribute::custom::custom_attribute;

use super::{
    entropy_bits, total_bytes, Alphabet, Content, Offer, PickedFile, Request, SendError, Sent,
    Stage, PASSPHRASE_WORDS, SECRET_DEFAULT_LEN, SECRET_MAX_LEN, SECRET_MIN_LEN, WORD_LIST_LEN,
};
use crate::format::{human_bytes, password_strength};
use crate::widgets::{focus_when_shown, local_time, CopyButton, Progress, ProgressBar, QrCode};

/// Which tab the sender is on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Text,
    File,
    Generate,
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

/// The line that sums up the chosen files.
fn chosen_line(files: &[PickedFile]) -> String {
    match files {
        [] => "No file chosen".into(),
        [one] if !one.in_folder => format!(
            "{} · {}",
            one.path,
            human_bytes(
                crate::i18n::use_i18n().get_locale_untracked(), /* TODO(i18n): reactive */
                one.size
            )
        ),
        many => format!(
            "{} {} · {} in all",
            many.len(),
            if many.len() == 1 { "file" } else { "files" },
            human_bytes(
                crate::i18n::use_i18n().get_locale_untracked(), /* TODO(i18n): reactive */
                total_bytes(many)
            )
        ),
    }
}

/// How the chosen files travel, when they are several.
fn archive_note(files: &[PickedFile]) -> Option<String> {
    if matches!(
        files,
        [] | [PickedFile {
            in_folder: false,
            ..
        }]
    ) {
        return None;
    }
    let mut note =
        "They travel as one ZIP archive, each file as it is (not compressed again).".to_string();
    let unlisted = super::unlisted(files);
    if unlisted > 0 {
        note.push_str(&format!(
            " The recipient's list names the first {} and says how many more; the archive holds all {}.",
            files.len() - unlisted,
            files.len()
        ));
    }
    Some(note)
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
    let progress_now = RwSignal::new(None::<Progress>);
    let working = RwSignal::new(false);

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
        super::pick(&ev, move |list| files.set(list));
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        error.set(None);
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
        };
        working.set(true);
        super::start(
            request,
            &shown,
            move |stage| progress_now.set(Some(progress(stage))),
            move |result| {
                working.set(false);
                progress_now.set(None);
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
    };

    let secret_hint = move || {
        let n = alphabet.get().chars().len();
        let len = length.get().clamp(SECRET_MIN_LEN, SECRET_MAX_LEN);
        format!(
            "{len} characters from {n}: about {:.0} bits. It is shared as a text, so you never type it.",
            entropy_bits(n, len as usize).floor()
        )
    };

    let text_panel = move || {
        view! {
            <label for="text-panel" class="visually-hidden">
                "Secret text"
            </label>
            <textarea
                id="text-panel"
                hidden=move || mode.get() != Mode::Text
                role="tabpanel"
                aria-labelledby="tab-text"
                placeholder="Paste the secret here"
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
                <p>"Drop files or a folder here, or"</p>
                <div class="pickers">
                    <input
                        type="file"
                        id="file-input"
                        class="file-input"
                        multiple
                        on:change=on_pick
                    />
                    <label for="file-input" class="button">
                        "Choose files"
                    </label>
                    <input
                        type="file"
                        id="folder-input"
                        class="file-input"
                        {..custom_attribute("webkitdirectory", "")}
                        on:change=on_pick
                    />
                    <label for="folder-input" class="button">
                        "Choose a folder"
                    </label>
                </div>
                <p class="chosen" id="file-chosen" aria-live="polite">
                    {move || files.with(|f| chosen_line(f))}
                </p>
                <ul class="file-list" id="file-list" aria-label="Chosen files">
                    {move || {
                        files
                            .get()
                            .into_iter()
                            .map(|f| {
                                let id = f.id;
                                let remove_label = format!("Remove {}", f.path);
                                view! {
                                    <li class="file-entry">
                                        <span class="file-name">{f.path}</span>
                                        <span class="file-size">{human_bytes(crate::i18n::use_i18n().get_locale_untracked() /* TODO(i18n): reactive */, f.size)}</span>
                                        <button
                                            type="button"
                                            class="remove"
                                            aria-label=remove_label
                                            on:click=move |_| files.set(super::remove(id))
                                        >
                                            "Remove"
                                        </button>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
                <p class="hint" id="archive-note">
                    {move || files.with(|f| archive_note(f))}
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
                        "Characters"
                        <select
                            id="gen-alphabet"
                            on:change=move |ev| {
                                if let Some(a) = Alphabet::from_key(&event_target_value(&ev)) {
                                    alphabet.set(a);
                                    regenerate();
                                }
                            }
                        >
                            <option value="alnum">"Letters and digits"</option>
                            <option value="symbols">"Letters, digits and symbols"</option>
                            <option value="hex">"Hexadecimal (0–9, a–f)"</option>
                            <option value="digits">"Digits only"</option>
                        </select>
                    </label>
                    <label>
                        "Length"
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
                <label for="gen-secret">"Generated secret"</label>
                <div class="link-row">
                    <input id="gen-secret" type="text" readonly prop:value=move || secret.get()/>
                    <CopyButton text=Signal::derive(move || secret.get()) id="copy-secret" label="Copy"/>
                </div>
                <button type="button" id="gen-again" on:click=move |_| regenerate()>
                    "Generate another"
                </button>
                <p class="hint" id="gen-hint">{secret_hint}</p>
            </div>
        }
    };

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
                            "Files"
                        </button>
                        <button
                            type="button"
                            role="tab"
                            id="tab-generate"
                            aria-controls="generate-panel"
                            aria-selected=move || (mode.get() == Mode::Generate).to_string()
                            on:click=open_generate
                        >
                            "Generate"
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
                            offer
                                .with(|o| o.size_limit())
                                .map(|max| format!("Up to {} per share.", human_bytes(crate::i18n::use_i18n().get_locale_untracked() /* TODO(i18n): reactive */, max)))
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
                        "Encrypt and create link"
                    </button>
                </fieldset>
            </form>
            <ProgressBar progress=progress_now.into()/>
            {move || error.get().map(|e| view! { <p class="error" id="send-error" role="alert">{super::sentence(&e)}</p> })}
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
    let strength = move || password.with(|p| password_strength(p));
    let token_shown = move || offer.with(|o| o.token_required) || token_asked.get();
    let passphrase_bits = entropy_bits(WORD_LIST_LEN, PASSPHRASE_WORDS).floor();
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
                "Expires after"
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
                            .map(|(secs, label)| {
                                view! {
                                    <option value=secs.to_string() selected=secs == default>
                                        {label}
                                    </option>
                                }
                            })
                            .collect_view()
                    }}
                </select>
            </label>
            <label>
                "Downloads"
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
                <label for="password">"Password (optional)"</label>
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
                        "Generate"
                    </button>
                </div>
            </div>
            {move || {
                passphrase
                    .get()
                    .map(|phrase| {
                        view! {
                            <div class="wide generated" id="passphrase-box">
                                <label for="passphrase">"Generated passphrase"</label>
                                <div class="link-row">
                                    <input id="passphrase" type="text" readonly prop:value=phrase.clone()/>
                                    <CopyButton text=phrase id="copy-passphrase" label="Copy"/>
                                </div>
                                <p class="hint">
                                    {format!(
                                        "{PASSPHRASE_WORDS} words from the EFF list of 7,776: about {passphrase_bits:.0} bits. Give it to the recipient apart from the link.",
                                    )}
                                </p>
                            </div>
                        }
                    })
            }}
            <p
                class=move || format!("strength {}", strength().class())
                id="password-strength"
                aria-live="polite"
            >
                {move || strength().label()}
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
                    "Send the key separately"
                </label>
                <p class="hint" id="key-apart-hint">
                    "Shows the link and its key as two things, to send over two channels (the link by mail, the key by phone): one alone opens nothing."
                </p>
            </div>
            <Show when=token_shown>
                <div class="wide token-field" id="token-box">
                    <label for="create-token">"Create token"</label>
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
                        "Remember on this device"
                    </label>
                    <p class="hint" id="token-hint">
                        "This server takes shares only with a token from its operator. It is kept for this tab only, unless you tick the box."
                    </p>
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
    move || {
        generated.get().map(|secret| {
            view! {
                <section class="card" id="generated-sent" aria-labelledby="generated-title">
                    <h2 id="generated-title">"The secret you shared"</h2>
                    <p class="notice">"Copy it now if you need it yourself: it is kept nowhere else."</p>
                    <div class="link-row">
                        <input id="generated-secret" type="text" readonly aria-labelledby="generated-title" prop:value=secret.clone()/>
                        <CopyButton text=secret id="copy-generated" label="Copy"/>
                    </div>
                </section>
            }
        })
    }
}

#[component]
fn SentCard(links: Sent, sent: RwSignal<Option<Sent>>) -> impl IntoView {
    let expires = local_time(
        crate::i18n::use_i18n().get_locale_untracked(), /* TODO(i18n): reactive */
        &links.expires_at,
    );
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
    focus_when_shown("sent");
    view! {
        <section class="card" id="sent" tabindex="-1">
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
