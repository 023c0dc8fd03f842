//! The sweeper: removes ciphertext that protocol §6 says must be gone, and forgets old records.

use std::time::Duration;

use tracing::instrument;

use ots_proto::ShareState;

use crate::{
    clock::UnixSecs,
    state::AppState,
    store::{ShareId, StoreError},
};

/// Why a share's ciphertext was due, for `ots_sweeper_deleted_total{reason}`.
async fn reason(state: &AppState, id: &ShareId, now: UnixSecs) -> &'static str {
    match state.store.get(id.clone()).await {
        Ok(Some(rec)) => match rec.state_at(now) {
            ShareState::Consumed => "consumed",
            ShareState::Revoked => "revoked",
            ShareState::Removed => "removed",
            _ => "expired",
        },
        _ => "orphan",
    }
}

/// Longest time between sweeps: protocol §6 wants due bytes gone within a minute.
pub(crate) const MAX_PERIOD_SECS: u64 = 60;

/// One sweep: bytes due for deletion, records past their tombstone time, orphaned part directories.
#[instrument(skip_all)]
pub(crate) async fn sweep_once(state: &AppState) -> Result<usize, StoreError> {
    let now = state.clock.now();
    let tombstone = i64::try_from(state.config.tombstone_secs).unwrap_or(i64::MAX);
    let due = state.store.sweep(now, tombstone).await?;
    let mut deleted = Vec::with_capacity(due.len());
    let mut freed = 0u64;
    for id in due {
        let why = reason(state, &id, now).await;
        match state.blobs.delete_share(&id).await {
            Ok(bytes) => {
                state.metrics.swept(why);
                freed = freed.saturating_add(bytes);
                deleted.push(id);
            }
            Err(e) => {
                tracing::warn!(share = %id.short(), error = %e, "could not delete part files")
            }
        }
    }
    let n = deleted.len();
    if !deleted.is_empty() {
        state.store.files_deleted(deleted).await?;
    }
    // Parts whose share no longer holds files (e.g. a part written while the share
    // expired) are orphans; so are parts of a share the store has forgotten, once
    // they are older than any share can live (a crash between the record's and the
    // parts' deletion, a store that lost its data): never a share being uploaded.
    let orphan_age = orphan_age(state);
    if let Ok(ids) = state.blobs.share_ids().await {
        for (id, written) in ids {
            let keep = match state.store.get(id.clone()).await? {
                Some(rec) => rec.files_present,
                None => written
                    .and_then(|at| at.elapsed().ok())
                    .is_some_and(|age| age < orphan_age),
            };
            if !keep {
                if let Ok(bytes) = state.blobs.delete_share(&id).await {
                    state.metrics.swept("orphan");
                    freed = freed.saturating_add(bytes);
                }
            }
        }
    }
    if freed > 0 {
        state.store.release_bytes(freed).await?;
    }
    if n > 0 {
        tracing::info!(deleted = n, "sweep");
    }
    Ok(n)
}

/// Margin on top of the longest expiry before unknown parts count as orphans.
const ORPHAN_MARGIN: Duration = Duration::from_secs(3600);

/// How old parts of a share the store does not know must be before they go.
fn orphan_age(state: &AppState) -> Duration {
    Duration::from_secs(u64::from(state.config.max_expiry_secs))
        .saturating_add(Duration::from_secs(state.config.tombstone_secs))
        .saturating_add(ORPHAN_MARGIN)
}

/// Sweeps every `period` until the process ends.
pub(crate) async fn run(state: AppState, period: Duration) {
    let mut tick = tokio::time::interval(period.max(Duration::from_millis(100)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = sweep_once(&state).await {
            state.metrics.store_error();
            tracing::error!(error = %e, "sweep failed");
        }
    }
}
