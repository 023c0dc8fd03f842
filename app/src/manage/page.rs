//! The manage page (`/m/{id}#token`): the share's state for its sender,
//! kept up to date while the page is open (with a notification on each
//! change when the sender allows it), and a Revoke button with a
//! confirmation.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::{can_revoke, failure, receipt, state_label, ManageError, ManageStatus, Notices};
use crate::i18n::{td_string, use_i18n, Locale};
use crate::widgets::{local_time, tr, StateCard};

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
    let i18n = use_i18n();
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
                let locale = i18n.get_locale_untracked();
                super::notify(
                    &id.get_value(),
                    td_string!(locale, manage.changed).to_string().as_str(),
                    &receipt_text(locale, &status),
                );
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
                        <h1>{tr(|l| td_string!(l, manage.loading).to_string())}</h1>
                        <p class="lead">{tr(|l| td_string!(l, manage.needs_js).to_string())}</p>
                    </section>
                }
                    .into_any()
            }
            Screen::Failed(error) => {
                (move || {
                    let (state, title, detail) = failure(i18n.get_locale(), &error);
                    view! { <StateCard state title detail/> }
                })
                    .into_any()
            }
            Screen::Ready(info) => {
                let revocable = can_revoke(info.state);
                let info = StoredValue::new(info);
                let state = info.with_value(|i| i.state);
                let downloads = info.with_value(|i| i.downloads.clone());
                view! {
                    <section class="card" id="manage">
                        <h1>{tr(|l| td_string!(l, manage.title).to_string())}</h1>
                        <p class="lead" id="manage-receipt" role="status">
                            {move || info.with_value(|i| receipt_text(i18n.get_locale(), i))}
                        </p>
                        <dl class="facts">
                            <dt>{tr(|l| td_string!(l, manage.state).to_string())}</dt>
                            <dd id="manage-state" data-state=state.as_str()>
                                {move || state_label(i18n.get_locale(), state)}
                            </dd>
                            <dt>{tr(|l| td_string!(l, manage.expires).to_string())}</dt>
                            <dd id="manage-expires">
                                {move || info.with_value(|i| local_time(i18n.get_locale(), &i.expires_at))}
                            </dd>
                            <dt>{tr(|l| td_string!(l, manage.downloads_left).to_string())}</dt>
                            <dd id="manage-downloads-left">{info.with_value(|i| i.downloads_left.to_string())}</dd>
                            <dt>{tr(|l| td_string!(l, manage.wrong_passwords).to_string())}</dt>
                            <dd id="manage-failed">{info.with_value(|i| i.failed_attempts.to_string())}</dd>
                        </dl>
                        <h2>{tr(|l| td_string!(l, manage.downloads).to_string())}</h2>
                        {if downloads.is_empty() {
                            view! { <p class="notice" id="manage-downloads">{tr(|l| td_string!(l, manage.not_opened).to_string())}</p> }
                                .into_any()
                        } else {
                            view! {
                                <ol id="manage-downloads">
                                    {downloads
                                        .into_iter()
                                        .map(|d| {
                                            let at = d.at.clone();
                                            view! {
                                                <li>
                                                    <time datetime=d.at>{move || local_time(i18n.get_locale(), &at)}</time>
                                                </li>
                                            }
                                        })
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
                                                        {tr(|l| td_string!(l, manage.revoke).to_string())}
                                                    </button>
                                                }
                                            }
                                        >
                                            <div class="confirm" role="alertdialog" aria-labelledby="revoke-question">
                                                <p id="revoke-question">
                                                    {tr(|l| td_string!(l, manage.revoke_question).to_string())}
                                                </p>
                                                <button
                                                    type="button"
                                                    class="danger"
                                                    id="revoke-confirm"
                                                    disabled=move || busy.get()
                                                    on:click=revoke
                                                >
                                                    {tr(|l| td_string!(l, manage.revoke_yes).to_string())}
                                                </button>
                                                <button
                                                    type="button"
                                                    id="revoke-cancel"
                                                    on:click=move |_| confirming.set(false)
                                                >
                                                    {tr(|l| td_string!(l, manage.cancel).to_string())}
                                                </button>
                                            </div>
                                        </Show>
                                    </div>
                                }
                            })}
                        {move || {
                            error
                                .get()
                                .map(|e| view! { <p class="error" role="alert">{failure(i18n.get_locale(), &e).2}</p> })
                        }}
                        {move || {
                            stale
                                .get()
                                .map(|e| {
                                    view! {
                                        <p class="notice" id="manage-stale">
                                            {
                                                let locale = i18n.get_locale();
                                                let why = failure(locale, &e).2;
                                                td_string!(locale, manage.stale, why = why).to_string()
                                            }
                                        </p>
                                    }
                                })
                        }}
                        {(!super::is_final(state))
                            .then(move || {
                                view! {
                                    <div class="notices">
                                        {move || match notices.get() {
                                            Notices::Unsupported => ().into_any(),
                                            Notices::Off => {
                                                view! {
                                                    <button type="button" id="notify" on:click=turn_on_notices>
                                                        {tr(|l| td_string!(l, manage.notify_me).to_string())}
                                                    </button>
                                                }
                                                    .into_any()
                                            }
                                            Notices::On => {
                                                view! {
                                                    <p class="notice" id="notify-state">
                                                        {tr(|l| td_string!(l, manage.notify_on).to_string())}
                                                    </p>
                                                }
                                                    .into_any()
                                            }
                                            Notices::Blocked => {
                                                view! {
                                                    <p class="notice" id="notify-state">
                                                        {tr(|l| td_string!(l, manage.notify_blocked).to_string())}
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

/// The receipt sentence, times as the reader writes them.
fn receipt_text(locale: Locale, info: &ManageStatus) -> String {
    receipt(locale, info, |at| local_time(locale, at))
}
