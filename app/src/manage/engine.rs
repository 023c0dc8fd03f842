//! The manage flow in the browser: `GET .../manage` now and again and
//! `DELETE` with the manage token, which is read from the URL fragment
//! once and then kept in memory only.

use std::cell::{Cell, RefCell};

use ots_proto::{paths, ManageStatus, ShareId, Token};

use super::{Look, ManageError, Notices, Schedule, Watcher, POLL_SLOW_MS};
use web_sys::NotificationPermission;

use crate::browser::dom::{
    ask_for_notifications, forget_fragment, fragment, nap_or_visibility_change,
    notification_permission, notify as show_notification, page_visible, session_mark,
    session_marked,
};
use crate::browser::http::{call, json, Body};

thread_local! {
    /// The manage token of the share this tab is on, once read from the
    /// fragment: the address bar no longer has it (protocol §1).
    static TOKEN: RefCell<Option<(ShareId, Token)>> = const { RefCell::new(None) };
    /// Whether the sender turned notifications on in this page.
    static NOTICES_ON: Cell<bool> = const { Cell::new(false) };
}

/// The session-storage mark of a tab that read `id`'s manage token from
/// the fragment: the share id only, never the token.
fn opened_mark(id: &ShareId) -> String {
    format!("ots-opened:m:{id}")
}

/// The share id of the route and the manage token: from the fragment the
/// first time (which then leaves the address bar), from memory after.
fn credentials(id: &str) -> Result<(ShareId, Token), ManageError> {
    let id = ShareId::parse(id).map_err(|_| ManageError::NotFound)?;
    if let Some(text) = fragment() {
        forget_fragment();
        let token = Token::from_b64(&text).map_err(|_| ManageError::BadLink)?;
        TOKEN.with(|t| *t.borrow_mut() = Some((id.clone(), token)));
        // A reload finds no token: the mark lets it say why.
        session_mark(&opened_mark(&id));
    }
    let held = TOKEN.with(|t| {
        t.borrow()
            .as_ref()
            .filter(|(held, _)| *held == id)
            .map(|(_, token)| token.clone())
    });
    match held {
        Some(token) => Ok((id, token)),
        None if session_marked(&opened_mark(&id)) => Err(ManageError::OpenedInTab),
        None => Err(ManageError::BadLink),
    }
}

/// `GET /shares/{id}/manage`.
async fn status(id: &str) -> Result<ManageStatus, ManageError> {
    let (id, token) = credentials(id)?;
    let response = call("GET", &paths::manage(&id), Some(&token), Body::Empty, None).await?;
    Ok(json(&response).await?)
}

/// Looks at the share on [`Schedule`]'s beat until `watcher` stops or
/// nothing can change any more.
pub(super) async fn watch(
    id: String,
    watcher: Watcher,
    on_status: impl Fn(Result<ManageStatus, ManageError>),
) {
    let mut schedule = Schedule::new();
    let mut last: Option<ManageStatus> = None;
    loop {
        let result = status(&id).await;
        if watcher.stopped() {
            return;
        }
        let look = match &result {
            Ok(now) if last.as_ref() == Some(now) => Look::Same(now.state),
            Ok(now) => Look::Changed(now.state),
            Err(e) => Look::Failed {
                transient: e.is_transient(),
            },
        };
        if let Ok(now) = &result {
            last = Some(now.clone());
        }
        on_status(result);
        let Some(delay) = schedule.after(look) else {
            return;
        };
        // A hidden page looks only to notify, and then slowly; a page
        // shown again looks at once.
        loop {
            let nap = if page_visible() {
                delay
            } else if NOTICES_ON.get() {
                delay.max(POLL_SLOW_MS)
            } else {
                POLL_SLOW_MS
            };
            let was_visible = page_visible();
            let changed = nap_or_visibility_change(nap as i32).await;
            if watcher.stopped() {
                return;
            }
            if changed && page_visible() {
                schedule.reset();
                break;
            }
            if was_visible || NOTICES_ON.get() {
                break;
            }
        }
    }
}

/// `DELETE /shares/{id}`, then the state it left.
pub(super) async fn revoke(id: &str) -> Result<ManageStatus, ManageError> {
    let (share, token) = credentials(id)?;
    call(
        "DELETE",
        &paths::share(&share),
        Some(&token),
        Body::Empty,
        None,
    )
    .await?;
    status(id).await
}

/// Whether notifications are on, possible, or refused.
pub(super) fn notices() -> Notices {
    match notification_permission() {
        None => Notices::Unsupported,
        Some(NotificationPermission::Denied) => Notices::Blocked,
        Some(_) if NOTICES_ON.get() => Notices::On,
        Some(_) => Notices::Off,
    }
}

/// Asks for notifications; they are on when the sender allows them.
pub(super) async fn turn_on_notices() -> Notices {
    let allowed = ask_for_notifications().await;
    NOTICES_ON.set(allowed);
    notices()
}

/// Shows `title` and `text` about share `id` when the sender turned
/// notifications on.
pub(super) fn notify(id: &str, title: &str, text: &str) {
    if NOTICES_ON.get() {
        show_notification(title, text, &format!("ots-manage-{id}"));
    }
}
