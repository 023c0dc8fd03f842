//! Takedown by the operator: a reported link or id in, the share removed
//! (protocol 1.1: `410 gone {"reason": "removed"}`) and its ciphertext
//! deleted at once. The pasted text is cut at `#` before anything else looks
//! at it, so a key pasted with a link is never kept, logged or shown.

use app::admin::TakedownOutcome as Outcome;
use ots_proto::ShareId;
use zeroize::Zeroize;

use crate::{
    clock::UnixSecs,
    state::AppState,
    store::{operator::TakedownOutcome, StoreError},
};

/// The share a pasted link or id names: `https://host/s/{id}#key`,
/// `/m/{id}`, `/api/v1/shares/{id}` or the bare id. The input is wiped.
pub(crate) fn share_of(mut pasted: String) -> Option<ShareId> {
    let cut = pasted.find('#').unwrap_or(pasted.len());
    // The key (and anything after it) is wiped before the rest is read.
    let mut key = pasted.split_off(cut);
    key.zeroize();
    let without_query = pasted.split('?').next().unwrap_or_default().trim();
    let path = without_query.trim_end_matches('/');
    let id = match path.rsplit_once('/') {
        Some((before, last)) => {
            let kind = before.rsplit('/').next().unwrap_or_default();
            matches!(kind, "s" | "m" | "shares").then_some(last)?
        }
        None => path,
    };
    let share = ShareId::parse(id).ok();
    pasted.zeroize();
    share
}

/// The short id a takedown concerned.
pub(crate) fn short_id(done: &Outcome) -> Option<&str> {
    match done {
        Outcome::NotAShare => None,
        Outcome::Unknown { short } | Outcome::Done { short } | Outcome::AlreadyDone { short } => {
            Some(short)
        }
    }
}

/// The outcome as the session's one-time notice keeps it (JSON: the page
/// says it in the reader's language).
pub(crate) fn to_notice(done: &Outcome) -> String {
    serde_json::to_string(done).unwrap_or_default()
}

/// The outcome a session's notice holds; `None` for a notice this version
/// cannot read (it is logged and dropped).
pub(crate) fn from_notice(notice: &str) -> Option<Outcome> {
    let done = serde_json::from_str(notice).ok();
    if done.is_none() {
        tracing::info!("console: a notice this version cannot read is dropped");
    }
    done
}

/// Takes the share down and deletes its part files now (what fails is left to the sweeper).
pub(crate) async fn take_down(
    state: &AppState,
    share: Option<ShareId>,
    now: UnixSecs,
) -> Result<Outcome, StoreError> {
    let Some(id) = share else {
        return Ok(Outcome::NotAShare);
    };
    let short = id.short().to_owned();
    Ok(match state.store.take_down(id.clone(), now).await? {
        TakedownOutcome::NotFound => Outcome::Unknown { short },
        TakedownOutcome::Removed {
            delete_files,
            already,
        } => {
            if delete_files {
                state.blobs.delete_share_now(&*state.store, &id).await;
            }
            if already {
                Outcome::AlreadyDone { short }
            } else {
                state.metrics.removed();
                Outcome::Done { short }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "AAECAwQFBgcICQoLDA0ODw";

    #[test]
    fn links_and_ids_name_their_share_and_the_key_is_dropped() {
        let id = ShareId::parse(ID).ok();
        assert!(id.is_some());
        for pasted in [
            format!("https://share.example/s/{ID}#c2VjcmV0LWtleQ"),
            format!("http://127.0.0.1:3000/s/{ID}"),
            format!("  https://share.example/s/{ID}/#key  "),
            format!("https://share.example/m/{ID}#manage-token"),
            format!("https://share.example/s/{ID}?x=1#k"),
            format!("/api/v1/shares/{ID}"),
            ID.to_owned(),
            format!(" {ID}#key"),
        ] {
            assert_eq!(share_of(pasted.clone()), id, "{pasted}");
        }
    }

    #[test]
    fn anything_else_names_no_share() {
        for pasted in [
            "",
            "#AAECAwQFBgcICQoLDA0ODw",
            "https://share.example/",
            "https://share.example/x/AAECAwQFBgcICQoLDA0ODw",
            "AAECAwQFBgcICQoLDA0OD",
            "https://share.example/s/not-an-id",
        ] {
            assert_eq!(share_of(pasted.to_owned()), None, "{pasted}");
        }
    }

    #[test]
    fn notices_name_only_the_short_id_and_survive_the_session() {
        let short = || "AAECAw".to_owned();
        for d in [
            Outcome::Done { short: short() },
            Outcome::Unknown { short: short() },
            Outcome::AlreadyDone { short: short() },
        ] {
            assert_eq!(short_id(&d), Some("AAECAw"));
            let kept = to_notice(&d);
            assert!(kept.contains("AAECAw"));
            assert_eq!(from_notice(&kept), Some(d));
        }
        assert_eq!(short_id(&Outcome::NotAShare), None);
        assert_eq!(
            from_notice(&to_notice(&Outcome::NotAShare)),
            Some(Outcome::NotAShare)
        );
        assert_eq!(from_notice("Share AAECAw is taken down."), None);
    }
}
