//! `ots status` and `ots revoke`: what the manage link allows.

use std::io::Write;
use std::time::Duration;

use ots_crypto::ManageLink;
use ots_proto::{ManageStatus, ShareState};

use crate::api::Api;
use crate::error::{Error, Result};

/// The first pause of `status --wait` between two looks at the share.
const WAIT_FIRST: Duration = Duration::from_secs(2);
/// The longest pause of `status --wait`: the pause doubles up to this.
const WAIT_MAX: Duration = Duration::from_secs(30);

/// Prints the share's status on stdout, as lines of `key: value` or as JSON.
pub async fn status(api: &Api, link: &ManageLink, json: bool) -> Result<()> {
    let status = api.status(&link.id, &link.token).await?;
    print(&status, json)
}

/// `status --wait`: blocks until the share's status changes (a download, a
/// wrong password, expiry, revocation, removal), then prints the new one.
/// The share ending (expired, revoked, removed; also when it already had)
/// is [`Error::Ended`] after the status is printed.
pub async fn wait(api: &Api, link: &ManageLink, json: bool) -> Result<()> {
    let first = api.status(&link.id, &link.token).await?;
    if has_ended(first.state) {
        print(&first, json)?;
        return Err(Error::Ended(first.state));
    }
    let mut pause = WAIT_FIRST;
    loop {
        tokio::time::sleep(pause).await;
        let now = match api.status(&link.id, &link.token).await {
            Ok(now) => now,
            Err(Error::NotFound) => return Err(Error::Forgotten),
            Err(err) => return Err(err),
        };
        if now != first {
            print(&now, json)?;
            return if has_ended(now.state) {
                Err(Error::Ended(now.state))
            } else {
                Ok(())
            };
        }
        pause = (pause * 2).min(WAIT_MAX);
    }
}

/// States after which nothing but the server forgetting the share happens.
fn has_ended(state: ShareState) -> bool {
    matches!(
        state,
        ShareState::Expired | ShareState::Revoked | ShareState::Removed
    )
}

fn print(status: &ManageStatus, json: bool) -> Result<()> {
    let text = if json {
        serde_json::to_string(status).map_err(|_| Error::Internal("cannot encode the status"))?
            + "\n"
    } else {
        render(status)
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(Error::io("writing to stdout"))
}

/// `key: value` lines, one per field; one `downloaded:` line per claim.
fn render(status: &ManageStatus) -> String {
    let mut text = format!(
        "state: {}\nexpires_at: {}\ndownloads_left: {}\nfailed_attempts: {}\n",
        status.state.as_str(),
        status.expires_at,
        status.downloads_left,
        status.failed_attempts
    );
    for download in &status.downloads {
        text.push_str(&format!("downloaded: {}\n", download.at));
    }
    text
}

/// Revokes the share: later claims get `410 revoked`.
pub async fn revoke(api: &Api, link: &ManageLink) -> Result<()> {
    api.revoke(&link.id, &link.token).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use ots_proto::{DownloadEvent, ShareState};

    #[test]
    fn status_lines_are_greppable() {
        let status = ManageStatus {
            state: ShareState::Consumed,
            expires_at: "2026-11-28T00:00:00Z".into(),
            downloads_left: 0,
            failed_attempts: 1,
            downloads: vec![DownloadEvent {
                at: "2026-11-27T23:00:00Z".into(),
            }],
        };
        assert_eq!(
            render(&status),
            "state: consumed\nexpires_at: 2026-11-28T00:00:00Z\ndownloads_left: 0\n\
             failed_attempts: 1\ndownloaded: 2026-11-27T23:00:00Z\n"
        );
    }
}
