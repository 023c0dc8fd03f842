//! The manage page (`/m/{id}#token`): the share's state for its sender,
//! and a Revoke button with a confirmation.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::{can_revoke, ManageError, ManageStatus, ShareState};
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

    // Effects run in the browser only, after hydration.
    Effect::new(move |_| {
        super::status(id.get_value(), move |result| {
            screen.set(match result {
                Ok(status) => Screen::Ready(status),
                Err(e) => Screen::Failed(e),
            })
        });
    });

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
                let (state, title, detail) = failure(&error);
                view! { <StateCard state title detail/> }.into_any()
            }
            Screen::Ready(info) => {
                let revocable = can_revoke(info.state);
                view! {
                    <section class="card" id="manage">
                        <h1>"Your share"</h1>
                        <dl class="facts">
                            <dt>"State"</dt>
                            <dd id="manage-state" data-state=info.state.as_str()>{state_label(info.state)}</dd>
                            <dt>"Expires"</dt>
                            <dd id="manage-expires">{local_time(&info.expires_at)}</dd>
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
                                        .map(|d| view! { <li><time datetime=d.at.clone()>{local_time(&d.at)}</time></li> })
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
                        {move || error.get().map(|e| view! { <p class="error" role="alert">{failure(&e).2}</p> })}
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
        ShareState::Removed => "Removed by the server's operator",
        ShareState::Locked => "Locked after too many wrong passwords",
    }
}

/// The state, title and sentence for a failure.
fn failure(error: &ManageError) -> (&'static str, &'static str, String) {
    match error {
        ManageError::BadLink => ("bad-link", "Incomplete link", "The manage token after # is missing or malformed. Check that the whole link was copied.".into()),
        ManageError::NotFound => ("not-found", "Not found", "The server no longer remembers this share.".into()),
        ManageError::WrongLink => ("wrong-link", "Wrong link", "The manage token in this link is not valid for this share.".into()),
        ManageError::RateLimited => ("error", "Too many requests", "Too many requests from this address. Wait a minute and try again.".into()),
        ManageError::Unreachable => ("error", "No connection", "The server could not be reached. Check the connection and try again.".into()),
        ManageError::Malformed(_) => ("error", "Something went wrong", "The server's answer was not understood.".into()),
        ManageError::Refused(words) => ("error", "Something went wrong", format!("The server said: {words}.")),
    }
}
