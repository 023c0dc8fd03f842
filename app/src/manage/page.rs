//! The manage page (`/m/{id}#token`): the share's state for its sender,
//! kept up to date while the page is open (with a notification on each
//! change when the sender allows it), and a Revoke button with a
//! confirmation.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::{can_revoke, ManageError, ManageStatus, Notices, ShareState, MAX_FAILED_ATTEMPTS};
use crate::widgets::{local_time, StateCard};

/// What the page shows.
#[derive(Clone, Debug, PartialEq)]
enum Screen {
    Loading,
    Ready(ManageStatus),
    Failed(ManageError),
}

/// The manage page (`/m/{id}`).
#[component]
pub fn ManagePage() -> impl IntoView {
    let params = use_params_map();
    let id = StoredValue::new(params.read_untracked().get("id").unwrap_or_default());
    let screen = RwSignal::new(Screen::Loading);
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ManageError>);
    // A look at the share that failed after it was shown.
    let stale = RwSignal::new(None::<ManageError>);
    let notices = RwSignal::new(Notices::Unsupported);

    let on_status = move |result: Result<ManageStatus, ManageError>| match result {
        Ok(status) => {
            stale.set(None);
            let before = screen.with_untracked(|s| match s {
                Screen::Ready(before) => Some(before.clone()),
                _ => None,
            });
            if before.as_ref() == Some(&status) {
                return;
            }
            if before.is_some() {
                super::notify(&id.get_value(), "Your share changed", &receipt(&status));
            }
            screen.set(Screen::Ready(status));
        }
        Err(e) if matches!(screen.get_untracked(), Screen::Ready(_)) => stale.set(Some(e)),
        Err(e) => screen.set(Screen::Failed(e)),
    };
    // Effects run in the browser only, after hydration.
    Effect::new(move |_| {
        notices.set(super::notices());
        let watcher = super::watch(id.get_value(), on_status);
        on_cleanup(move || watcher.stop());
    });
    let turn_on_notices = move |_| super::turn_on_notices(move |now| notices.set(now));

    let revoke = move |_| {
        busy.set(true);
        super::revoke(id.get_value(), move |result| {
            busy.set(false);
            confirming.set(false);
            match result {
                Ok(status) => {
                    error.set(None);
                    screen.set(Screen::Ready(status));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };

    view! {
        {move || match screen.get() {
            Screen::Loading => {
                view! {
                    <section class="card" id="loading">
                        <h1>"Loading the share…"</h1>
                        <p class="lead">"This page needs JavaScript."</p>
                    </section>
                }
                    .into_any()
            }
            Screen::Failed(error) => {
                let (state, title, detail) = super::failure(&error);
                view! { <StateCard state title detail/> }.into_any()
            }
            Screen::Ready(info) => {
                let revocable = can_revoke(info.state);
                view! {
                    <section class="card" id="manage">
                        <h1>"Your share"</h1>
                        <p class="lead" id="manage-receipt" role="status">{receipt(&info)}</p>
                        <dl class="facts">
                            <dt>"State"</dt>
                            <dd id="manage-state" data-state=info.state.as_str()>{state_label(info.state)}</dd>
                            <dt>"Expires"</dt>
                            <dd id="manage-expires">{local_time(crate::i18n::use_i18n().get_locale_untracked() /* TODO(i18n): reactive */, &info.expires_at)}</dd>
                            <dt>"Downloads left"</dt>
                            <dd id="manage-downloads-left">{info.downloads_left.to_string()}</dd>
                            <dt>"Wrong passwords"</dt>
                            <dd id="manage-failed">{info.failed_attempts.to_string()}</dd>
                        </dl>
                        <h2>"Downloads"</h2>
                        {if info.downloads.is_empty() {
                            view! { <p class="notice" id="manage-downloads">"Not opened yet."</p> }.into_any()
                        } else {
                            view! {
                                <ol id="manage-downloads">
                                    {info
                                        .downloads
                                        .iter()
                                        .map(|d| view! { <li><time datetime=d.at.clone()>{local_time(crate::i18n::use_i18n().get_locale_untracked() /* TODO(i18n): reactive */, &d.at)}</time></li> })
                                        .collect_view()}
                                </ol>
                            }
                                .into_any()
                        }}
                        {revocable
                            .then(move || {
                                view! {
                                    <div class="revoke">
                                        <Show
                                            when=move || confirming.get()
                                            fallback=move || {
                                                view! {
                                                    <button
                                                        type="button"
                                                        class="danger"
                                                        id="revoke"
                                                        on:click=move |_| confirming.set(true)
                                                    >
                                                        "Revoke…"
                                                    </button>
                                                }
                                            }
                                        >
                                            <div class="confirm" role="alertdialog" aria-labelledby="revoke-question">
                                                <p id="revoke-question">
                                                    "Revoke this share? The link stops working and the encrypted data is deleted. This cannot be undone."
                                                </p>
                                                <button
                                                    type="button"
                                                    class="danger"
                                                    id="revoke-confirm"
                                                    disabled=move || busy.get()
                                                    on:click=revoke
                                                >
                                                    "Yes, revoke"
                                                </button>
                                                <button
                                                    type="button"
                                                    id="revoke-cancel"
                                                    on:click=move |_| confirming.set(false)
                                                >
                                                    "Cancel"
                                                </button>
                                            </div>
                                        </Show>
                                    </div>
                                }
                            })}
                        {move || error.get().map(|e| view! { <p class="error" role="alert">{super::failure(&e).2}</p> })}
                        {move || {
                            stale
                                .get()
                                .map(|e| {
                                    view! {
                                        <p class="notice" id="manage-stale">
                                            {format!("Could not check for changes: {} Trying again.", super::failure(&e).2)}
                                        </p>
                                    }
                                })
                        }}
                        {(!super::is_final(info.state))
                            .then(move || {
                                view! {
                                    <div class="notices">
                                        {move || match notices.get() {
                                            Notices::Unsupported => ().into_any(),
                                            Notices::Off => {
                                                view! {
                                                    <button type="button" id="notify" on:click=turn_on_notices>
                                                        "Notify me when it changes"
                                                    </button>
                                                }
                                                    .into_any()
                                            }
                                            Notices::On => {
                                                view! {
                                                    <p class="notice" id="notify-state">
                                                        "This browser will notify you when the share changes, while this page is open."
                                                    </p>
                                                }
                                                    .into_any()
                                            }
                                            Notices::Blocked => {
                                                view! {
                                                    <p class="notice" id="notify-state">
                                                        "Notifications are blocked for this site in the browser's settings."
                                                    </p>
                                                }
                                                    .into_any()
                                            }
                                        }}
                                    </div>
                                }
                            })}
                    </section>
                }
                    .into_any()
            }
        }}
    }
}

fn state_label(state: ShareState) -> &'static str {
    match state {
        ShareState::Uploading => "Uploading (not ready yet)",
        ShareState::Ready => "Ready: waiting to be opened",
        ShareState::Consumed => "Opened: all downloads used",
        ShareState::Expired => "Expired",
        ShareState::Revoked => "Revoked",
        ShareState::Removed => "Removed by the operator of this server",
        ShareState::Locked => "Locked after too many wrong passwords",
    }
}

/// One sentence on where the share is: what a receipt says.
fn receipt(info: &ManageStatus) -> String {
    let opened = info.downloads.last().map(|d| {
        local_time(
            crate::i18n::use_i18n().get_locale_untracked(), /* TODO(i18n): reactive */
            &d.at,
        )
    });
    let left = info.downloads_left;
    let wrong = match info.failed_attempts {
        0 => String::new(),
        1 => " 1 wrong password was tried.".to_string(),
        n => format!(" {n} wrong passwords were tried."),
    };
    match (info.state, opened) {
        (ShareState::Uploading, _) => "Still uploading: it cannot be opened yet.".into(),
        (ShareState::Ready, None) => format!("Not opened yet, {left} left.{wrong}"),
        (ShareState::Ready | ShareState::Consumed, Some(at)) => {
            format!("Opened at {at}, {left} left.{wrong}")
        }
        (ShareState::Consumed, None) => "Opened, 0 left.".into(),
        (ShareState::Locked, _) => format!("Locked after {MAX_FAILED_ATTEMPTS} wrong passwords."),
        (ShareState::Expired, _) => format!(
            "Expired at {}.",
            local_time(
                crate::i18n::use_i18n().get_locale_untracked(), /* TODO(i18n): reactive */
                &info.expires_at
            )
        ),
        (ShareState::Revoked, _) => "Revoked.".into(),
        (ShareState::Removed, _) => "Removed by the operator of this server.".into(),
    }
}
