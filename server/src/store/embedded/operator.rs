//! [`OperatorStore`] for the embedded store.
//!
//! A takedown is a share operation and runs on the writer thread like every
//! other. The overview scans the committed records off the async threads. The
//! console's own tables (sessions, audit, event counts) see a write every few
//! seconds at most, so each write is its own small transaction, taken between
//! the writer thread's groups.

use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, TableError};

use super::EmbeddedStore;
use crate::store::{
    operator::{
        self, merge_events, minute_of, AuditEntry, ConsoleSession, EventCount, EventKind, Glance,
        Overview, OverviewBuilder, TakedownOutcome, AUDIT_KEEP, EVENT_RETENTION_SECS,
    },
    Digest, OperatorStore, ShareId, StoreError, StoreFuture, UnixSecs,
};

/// Console sessions by the SHA-256 of their cookie (postcard).
const SESSIONS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("console_sessions");
/// Event counts by `minute << 8 | kind code`.
const EVENTS: TableDefinition<u64, u64> = TableDefinition::new("console_events");
/// Audit entries (postcard) by `at << 20 | random`, so keys sort by time.
const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("console_audit");

fn event_key(minute: UnixSecs, kind: EventKind) -> Option<u64> {
    let m = u64::try_from(minute).ok()?;
    Some(m.checked_shl(8)? | u64::from(kind.code()))
}

impl EmbeddedStore {
    /// Runs `f` in a write transaction of its own, off the async threads, durable when it answers.
    fn console_write<T, F>(&self, f: F) -> StoreFuture<'_, T>
    where
        T: Send + 'static,
        F: FnOnce(&redb::WriteTransaction) -> Result<T, StoreError> + Send + 'static,
    {
        let db = self.db.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut txn = db.begin_write().map_err(StoreError::new)?;
                txn.set_durability(redb::Durability::Immediate)
                    .map_err(StoreError::new)?;
                let out = f(&txn)?;
                txn.commit().map_err(StoreError::new)?;
                Ok(out)
            })
            .await
            .map_err(StoreError::new)?
        })
    }

    /// Runs `f` on a console table in a read transaction; a table never written reads as empty.
    fn console_read<K, V, T, F>(
        &self,
        table: TableDefinition<'static, K, V>,
        f: F,
    ) -> StoreFuture<'_, T>
    where
        K: redb::Key + Send + Sync + 'static,
        V: redb::Value + Send + Sync + 'static,
        T: Default + Send + 'static,
        F: FnOnce(&redb::ReadOnlyTable<K, V>) -> Result<T, StoreError> + Send + 'static,
    {
        let db = self.db.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let txn = db.begin_read().map_err(StoreError::new)?;
                match txn.open_table(table) {
                    Ok(t) => f(&t),
                    Err(TableError::TableDoesNotExist(_)) => Ok(T::default()),
                    Err(e) => Err(StoreError::new(e)),
                }
            })
            .await
            .map_err(StoreError::new)?
        })
    }
}

impl OperatorStore for EmbeddedStore {
    fn take_down(&self, id: ShareId, _now: UnixSecs) -> StoreFuture<'_, TakedownOutcome> {
        self.update(id, TakedownOutcome::NotFound, move |id, rec, tables| {
            let had_inline = rec.inline_present;
            let (out, changed) = operator::take_down(rec);
            if had_inline && !rec.inline_present {
                tables.drop_payload(id)?;
            }
            Ok((out, changed))
        })
    }

    fn overview(
        &self,
        now: UnixSecs,
        recent: usize,
        expired_since: UnixSecs,
    ) -> StoreFuture<'_, Overview> {
        let builder = OverviewBuilder::new(now, recent, expired_since);
        Box::pin(async move {
            let b = self
                .scan_records(builder, move |b, id, rec| {
                    b.add(&id, &Glance::of(&rec, now));
                    Ok(())
                })
                .await?;
            Ok(b.finish())
        })
    }

    fn add_events(&self, counts: Vec<EventCount>) -> StoreFuture<'_, ()> {
        self.console_write(move |txn| {
            let mut t = txn.open_table(EVENTS).map_err(StoreError::new)?;
            let mut newest = UnixSecs::MIN;
            for c in merge_events(counts) {
                let Some(key) = event_key(c.minute, c.kind) else {
                    continue;
                };
                let had = t
                    .get(key)
                    .map_err(StoreError::new)?
                    .map_or(0, |v| v.value());
                t.insert(key, had.saturating_add(c.count))
                    .map_err(StoreError::new)?;
                newest = newest.max(c.minute);
            }
            // Buckets past the retention are dropped as new ones arrive.
            if let Some(cut) =
                event_key(minute_of(newest - EVENT_RETENTION_SECS), EventKind::Created)
            {
                t.retain_in(..cut, |_, _| false).map_err(StoreError::new)?;
            }
            Ok(())
        })
    }

    fn events_since(&self, since: UnixSecs) -> StoreFuture<'_, Vec<EventCount>> {
        let from = event_key(minute_of(since).max(0), EventKind::Created).unwrap_or(0);
        self.console_read(EVENTS, move |t| {
            let mut out = Vec::new();
            for entry in t.range(from..).map_err(StoreError::new)? {
                let (k, v) = entry.map_err(StoreError::new)?;
                let key = k.value();
                let (Ok(minute), Some(kind)) = (
                    UnixSecs::try_from(key >> 8),
                    EventKind::from_code((key & 0xff) as u8),
                ) else {
                    continue;
                };
                out.push(EventCount {
                    minute,
                    kind,
                    count: v.value(),
                });
            }
            Ok(out)
        })
    }

    fn put_session(&self, key: Digest, session: ConsoleSession) -> StoreFuture<'_, ()> {
        self.console_write(move |txn| {
            let mut t = txn.open_table(SESSIONS).map_err(StoreError::new)?;
            let bytes = postcard::to_stdvec(&session).map_err(StoreError::new)?;
            t.insert(key.as_slice(), bytes.as_slice())
                .map_err(StoreError::new)?;
            // Sessions past their absolute end are of no use to anyone.
            let now = session.last_seen;
            t.retain(|_, v| {
                postcard::from_bytes::<ConsoleSession>(v).is_ok_and(|s| s.ends_at > now)
            })
            .map_err(StoreError::new)?;
            Ok(())
        })
    }

    fn session(&self, key: Digest) -> StoreFuture<'_, Option<ConsoleSession>> {
        self.console_read(SESSIONS, move |t| {
            match t.get(key.as_slice()).map_err(StoreError::new)? {
                Some(v) => Ok(postcard::from_bytes(v.value()).ok()),
                None => Ok(None),
            }
        })
    }

    fn drop_session(&self, key: Digest) -> StoreFuture<'_, ()> {
        self.console_write(move |txn| {
            let mut t = txn.open_table(SESSIONS).map_err(StoreError::new)?;
            t.remove(key.as_slice()).map_err(StoreError::new)?;
            Ok(())
        })
    }

    fn add_audit(&self, entry: AuditEntry) -> StoreFuture<'_, ()> {
        self.console_write(move |txn| {
            let mut t = txn.open_table(AUDIT).map_err(StoreError::new)?;
            let bytes = postcard::to_stdvec(&entry).map_err(StoreError::new)?;
            let at = u64::try_from(entry.at).unwrap_or(0);
            let mut key = at << 20;
            // Entries of one second keep their order of arrival.
            while t.get(key).map_err(StoreError::new)?.is_some() {
                key += 1;
            }
            t.insert(key, bytes.as_slice()).map_err(StoreError::new)?;
            while t.len().map_err(StoreError::new)? > AUDIT_KEEP as u64 {
                t.pop_first().map_err(StoreError::new)?;
            }
            Ok(())
        })
    }

    fn recent_audit(&self, limit: usize) -> StoreFuture<'_, Vec<AuditEntry>> {
        self.console_read(AUDIT, move |t| {
            let mut out = Vec::new();
            for entry in t.iter().map_err(StoreError::new)?.rev().take(limit) {
                let (_, v) = entry.map_err(StoreError::new)?;
                if let Ok(e) = postcard::from_bytes(v.value()) {
                    out.push(e);
                }
            }
            Ok(out)
        })
    }
}
