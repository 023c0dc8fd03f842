//! Takedown by the operator: a reported link or id in, the share removed
//! (protocol 1.1: `410 gone {"reason": "removed"}`) and its ciphertext
//! deleted at once. The pasted text is cut at `#` before anything else looks
//! at it, so a key pasted with a link is never kept, logged or shown.

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

/// What a takedown did, for the console's notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Done {
    /// The text was no link or id.
    NotAShare,
    /// No such share.
    Unknown(String),
    /// Removed now.
    Removed(String),
    /// It had been removed before.
    AlreadyRemoved(String),
}

impl Done {
    /// The console's sentence for it.
    pub(crate) fn notice(&self) -> String {
        match self {
            Done::NotAShare => "That is not a share link or id: nothing was taken down.".into(),
            Done::Unknown(short) => format!(
                "No share {short}… is known to this server (it may have expired and been forgotten): nothing was taken down."
            ),
            Done::Removed(short) => format!(
                "Share {short} is taken down: its ciphertext is deleted and it answers \"removed\" from now on."
            ),
            Done::AlreadyRemoved(short) => format!("Share {short} was already taken down."),
        }
    }

    /// The short id it concerned.
    pub(crate) fn short_id(&self) -> Option<&str> {
        match self {
            Done::NotAShare => None,
            Done::Unknown(s) | Done::Removed(s) | Done::AlreadyRemoved(s) => Some(s),
        }
    }
}

/// Takes the share down and deletes its part files now (what fails is left to the sweeper).
pub(crate) async fn take_down(
    state: &AppState,
    share: Option<ShareId>,
    now: UnixSecs,
) -> Result<Done, StoreError> {
    let Some(id) = share else {
        return Ok(Done::NotAShare);
    };
    let short = id.short().to_owned();
    Ok(match state.store.take_down(id.clone(), now).await? {
        TakedownOutcome::NotFound => Done::Unknown(short),
        TakedownOutcome::Removed {
            delete_files,
            already,
        } => {
            if delete_files {
                state.blobs.delete_share_now(&*state.store, &id).await;
            }
            if already {
                Done::AlreadyRemoved(short)
            } else {
                state.metrics.removed();
                Done::Removed(short)
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
    fn notices_name_only_the_short_id() {
        for d in [
            Done::Removed("AAECAw".into()),
            Done::Unknown("AAECAw".into()),
            Done::AlreadyRemoved("AAECAw".into()),
        ] {
            assert!(d.notice().contains("AAECAw"));
            assert_eq!(d.short_id(), Some("AAECAw"));
        }
        assert!(Done::NotAShare.notice().contains("not a share"));
    }
}
