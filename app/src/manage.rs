//! The manage page (`/m/{id}#token`): the share's state for its sender,
//! and a Revoke button with a confirmation.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use ots_proto::{ManageStatus, ShareState};

use crate::widgets::{local_time, StateCard};

/// What the page shows.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq)]
enum Screen {
    Loading,
    Ready(ManageStatus),
    Failed {
        state: &'static str,
        title: String,
        detail: String,
    },
}

/// The manage page (`/m/{id}`).
#[component]
pub fn ManagePage() -> impl IntoView {
    let params = use_params_map();
    // Read by the browser-only flows below.
    #[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
    let id = StoredValue::new(params.read_untracked().get("id").unwrap_or_default());
    let screen = RwSignal::new(Screen::Loading);
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);

    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        load(id.get_value(), screen);
    });

    let revoke = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let id = id.get_value();
            busy.set(true);
            leptos::task::spawn_local(async move {
                let result = revoke(&id).await;
                busy.set(false);
                confirming.set(false);
                match result {
                    Ok(()) => load(id, screen),
                    Err(e) => error.set(Some(e)),
                }
            });
        }
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
            Screen::Failed { state, title, detail } => view! { <StateCard state title detail/> }.into_any(),
            Screen::Ready(info) => {
                let revocable = matches!(
                    info.state,
                    ShareState::Ready | ShareState::Uploading | ShareState::Locked
                );
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
                        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
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

#[cfg(feature = "hydrate")]
fn load(id: String, screen: RwSignal<Screen>) {
    use crate::api::ApiError;
    use crate::browser::{dom, http};
    let Some(token) = dom::fragment().and_then(|f| ots_proto::Token::from_b64(&f).ok()) else {
        screen.set(Screen::Failed {
            state: "bad-link",
            title: "Incomplete link".into(),
            detail: "The manage token after # is missing. Check that the whole link was copied."
                .into(),
        });
        return;
    };
    leptos::task::spawn_local(async move {
        let Ok(share) = ots_proto::ShareId::parse(&id) else {
            screen.set(Screen::Failed {
                state: "not-found",
                title: "Not found".into(),
                detail: "No share answers to this link.".into(),
            });
            return;
        };
        let path = ots_proto::paths::manage(&share);
        let result = match http::call("GET", &path, Some(&token), http::Body::Empty, None).await {
            Ok(response) => http::json::<ManageStatus>(&response).await,
            Err(e) => Err(e),
        };
        screen.set(match result {
            Ok(info) => Screen::Ready(info),
            Err(ApiError::Status(404, _)) => Screen::Failed {
                state: "not-found",
                title: "Not found".into(),
                detail: "The server no longer remembers this share.".into(),
            },
            Err(ApiError::Status(401 | 403, _)) => Screen::Failed {
                state: "wrong-link",
                title: "Wrong link".into(),
                detail: "The manage token in this link is not valid for this share.".into(),
            },
            Err(e) => Screen::Failed {
                state: "error",
                title: "Something went wrong".into(),
                detail: e.describe(),
            },
        });
    });
}

#[cfg(feature = "hydrate")]
async fn revoke(id: &str) -> Result<(), String> {
    use crate::browser::{dom, http};
    let token = dom::fragment()
        .and_then(|f| ots_proto::Token::from_b64(&f).ok())
        .ok_or("the manage token is missing")?;
    let id = ots_proto::ShareId::parse(id).map_err(|e| e.to_string())?;
    http::call(
        "DELETE",
        &ots_proto::paths::share(&id),
        Some(&token),
        http::Body::Empty,
        None,
    )
    .await
    .map(|_| ())
    .map_err(|e| e.describe())
}
