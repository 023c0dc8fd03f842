//! The embedded store: share records in one redb file, written with group commit.
//!
//! Every change runs on one writer thread. It takes every operation queued
//! while the previous commit was on disk, applies them in order inside one
//! write transaction, commits it with [`Durability::Immediate`] (one fsync for
//! the whole group), and only then answers each caller (a download's ticket
//! extension alone answers before the commit: losing it in a crash only makes
//! the ticket die sooner). Operations are thus
//! serialised (atomic with respect to each other) and each answer is durable,
//! while the cost of an fsync is shared by every request that waited for it.

mod operator;

use std::{path::Path, sync::Arc, thread};

use redb::{Database, Durability, ReadableDatabase, ReadableTable, Table, TableDefinition};
use tokio::sync::{mpsc, oneshot};

use super::{
    logic, BlobOutcome, ClaimOutcome, ClaimRequest, CompleteOutcome, Digest, NewShare,
    ReleaseOutcome, RevokeOutcome, ShareId, ShareRecord, Store, StoreError, StoreFuture, UnixSecs,
    UploadCheck,
};

const SHARES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("shares");
const PAYLOADS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("payloads");
/// Bytes each ticket has taken from its budget, by the ticket's hash (records
/// keep their encoding; a lost entry only gives a ticket its budget back).
const TICKET_BYTES: TableDefinition<&[u8], u64> = TableDefinition::new("ticket_bytes");

/// Most operations applied in one transaction.
const MAX_GROUP: usize = 4096;
/// Below this many queued operations the writer waits [`GATHER_WAIT`] for more.
const SMALL_GROUP: usize = 16;
/// How long a small group waits for company before it commits.
const GATHER_WAIT: std::time::Duration = std::time::Duration::from_micros(300);
/// redb's page cache: records are small, so a modest cache keeps RSS low.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// The tables an operation works on inside the group's write transaction.
pub(crate) struct Tables<'t> {
    shares: Table<'t, &'static [u8], &'static [u8]>,
    payloads: Table<'t, &'static [u8], &'static [u8]>,
    ticket_bytes: Table<'t, &'static [u8], u64>,
}

impl Tables<'_> {
    fn load(&self, id: &ShareId) -> Result<Option<ShareRecord>, StoreError> {
        match self
            .shares
            .get(id.to_bytes().as_slice())
            .map_err(StoreError::new)?
        {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        }
    }

    fn save(&mut self, id: &ShareId, rec: &ShareRecord) -> Result<(), StoreError> {
        let bytes = postcard::to_stdvec(rec).map_err(StoreError::new)?;
        self.shares
            .insert(id.to_bytes().as_slice(), bytes.as_slice())
            .map_err(StoreError::new)?;
        Ok(())
    }

    fn ticket_bytes(&self, hash: &Digest) -> Result<u64, StoreError> {
        Ok(self
            .ticket_bytes
            .get(hash.as_slice())
            .map_err(StoreError::new)?
            .map_or(0, |v| v.value()))
    }

    fn set_ticket_bytes(&mut self, hash: &Digest, bytes: u64) -> Result<(), StoreError> {
        self.ticket_bytes
            .insert(hash.as_slice(), bytes)
            .map_err(StoreError::new)?;
        Ok(())
    }

    /// Forgets a record with everything kept beside it.
    fn forget(&mut self, id: &ShareId, rec: &ShareRecord) -> Result<(), StoreError> {
        self.shares
            .remove(id.to_bytes().as_slice())
            .map_err(StoreError::new)?;
        self.drop_payload(id)?;
        for t in &rec.tickets {
            self.ticket_bytes
                .remove(t.hash.as_slice())
                .map_err(StoreError::new)?;
        }
        Ok(())
    }

    fn drop_payload(&mut self, id: &ShareId) -> Result<(), StoreError> {
        self.payloads
            .remove(id.to_bytes().as_slice())
            .map_err(StoreError::new)?;
        Ok(())
    }
}

fn decode(bytes: &[u8]) -> Result<ShareRecord, StoreError> {
    postcard::from_bytes(bytes).map_err(|e| StoreError(format!("corrupt record: {e}")))
}

/// Runs on the writer thread; returns the function that answers the caller once the group's
/// fate is known, or `None` when it already answered (operations that need no durability).
type Job = Box<dyn FnOnce(&mut Tables<'_>) -> Option<Finish> + Send>;
/// Answers a caller with the commit's result.
type Finish = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// The embedded (redb) store.
pub struct EmbeddedStore {
    db: Arc<Database>,
    jobs: mpsc::UnboundedSender<Job>,
    /// Bytes of part files, counted in memory: the server adds what is on
    /// disk when it opens the store, so the count is exact after every start.
    stored: std::sync::Mutex<u64>,
}

impl EmbeddedStore {
    /// Opens (or creates) `records.redb` in `dir` and starts the writer thread.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(StoreError::new)?;
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(dir.join("records.redb"))
            .map_err(StoreError::new)?;
        {
            let txn = db.begin_write().map_err(StoreError::new)?;
            txn.open_table(SHARES).map_err(StoreError::new)?;
            txn.open_table(PAYLOADS).map_err(StoreError::new)?;
            txn.open_table(TICKET_BYTES).map_err(StoreError::new)?;
            txn.commit().map_err(StoreError::new)?;
        }
        let db = Arc::new(db);
        let (jobs, rx) = mpsc::unbounded_channel();
        let writer_db = db.clone();
        thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || writer(writer_db, rx))
            .map_err(StoreError::new)?;
        Ok(Self {
            db,
            jobs,
            stored: std::sync::Mutex::new(0),
        })
    }

    /// Queues `f` for the next group and waits for its durable answer.
    fn write<T, F>(&self, f: F) -> StoreFuture<'_, T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tables<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        self.submit(f, false)
    }

    fn submit<T, F>(&self, f: F, early: bool) -> StoreFuture<'_, T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tables<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<T, StoreError>>();
        let job: Job = Box::new(move |tables| {
            let out = f(tables);
            if early {
                let _ = tx.send(out);
                return None;
            }
            Some(Box::new(move |committed: Result<(), StoreError>| {
                let _ = tx.send(committed.and(out));
            }))
        });
        let sent = self.jobs.send(job);
        Box::pin(async move {
            sent.map_err(|_| StoreError("writer stopped".into()))?;
            rx.await.map_err(|_| StoreError("writer stopped".into()))?
        })
    }

    /// Runs `f` on a read transaction off the async threads.
    fn read<T, F>(&self, f: F) -> StoreFuture<'_, T>
    where
        T: Send + 'static,
        F: FnOnce(&redb::ReadOnlyTable<&'static [u8], &'static [u8]>) -> Result<T, StoreError>
            + Send
            + 'static,
    {
        let db = self.db.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let txn = db.begin_read().map_err(StoreError::new)?;
                let table = txn.open_table(SHARES).map_err(StoreError::new)?;
                f(&table)
            })
            .await
            .map_err(StoreError::new)?
        })
    }

    /// Loads a record, applies a pure transition, saves it if it changed; answers once durable.
    fn update<T, F>(&self, id: ShareId, missing: T, f: F) -> StoreFuture<'_, T>
    where
        T: Send + 'static,
        F: FnOnce(&ShareId, &mut ShareRecord, &mut Tables<'_>) -> Result<(T, bool), StoreError>
            + Send
            + 'static,
    {
        self.update_with(false, id, missing, f)
    }

    fn update_with<T, F>(&self, early: bool, id: ShareId, missing: T, f: F) -> StoreFuture<'_, T>
    where
        T: Send + 'static,
        F: FnOnce(&ShareId, &mut ShareRecord, &mut Tables<'_>) -> Result<(T, bool), StoreError>
            + Send
            + 'static,
    {
        self.submit(
            move |tables| {
                let Some(mut rec) = tables.load(&id)? else {
                    return Ok(missing);
                };
                let (out, changed) = f(&id, &mut rec, tables)?;
                if changed {
                    tables.save(&id, &rec)?;
                }
                Ok(out)
            },
            early,
        )
    }
}

/// The writer thread: group commit until every sender is gone.
fn writer(db: Arc<Database>, mut rx: mpsc::UnboundedReceiver<Job>) {
    let mut group: Vec<Job> = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        group.push(first);
        drain(&mut rx, &mut group);
        if group.len() < SMALL_GROUP {
            // A commit costs far more than an operation: a moment's wait lets the
            // requests already on their way join this group.
            thread::sleep(GATHER_WAIT);
            drain(&mut rx, &mut group);
        }
        let mut finishers: Vec<Finish> = Vec::with_capacity(group.len());
        let result = (|| -> Result<(), StoreError> {
            let mut txn = db.begin_write().map_err(StoreError::new)?;
            txn.set_durability(Durability::Immediate)
                .map_err(StoreError::new)?;
            {
                let mut tables = Tables {
                    shares: txn.open_table(SHARES).map_err(StoreError::new)?,
                    payloads: txn.open_table(PAYLOADS).map_err(StoreError::new)?,
                    ticket_bytes: txn.open_table(TICKET_BYTES).map_err(StoreError::new)?,
                };
                for job in group.drain(..) {
                    finishers.extend(job(&mut tables));
                }
            }
            txn.commit().map_err(StoreError::new)?;
            Ok(())
        })();
        if let Err(e) = &result {
            tracing::error!(error = %e, ops = finishers.len(), "store group commit failed");
        }
        // Jobs never reached because opening the transaction failed still get an answer.
        for job in group.drain(..) {
            drop(job);
        }
        for finish in finishers {
            finish(result.clone());
        }
    }
}

fn drain(rx: &mut mpsc::UnboundedReceiver<Job>, group: &mut Vec<Job>) {
    while group.len() < MAX_GROUP {
        match rx.try_recv() {
            Ok(job) => group.push(job),
            Err(_) => break,
        }
    }
}

impl Store for EmbeddedStore {
    /// One instance owns the store: the system's clock is the one.
    fn time(&self) -> StoreFuture<'_, Option<UnixSecs>> {
        Box::pin(std::future::ready(Ok(None)))
    }

    /// Ready means a write would commit: an empty write goes through the
    /// writer thread and its group commit, so a dead writer or a disk that
    /// refuses commits is not ready.
    fn ping(&self) -> StoreFuture<'_, ()> {
        self.write(|_| Ok(()))
    }

    fn create(&self, share: NewShare) -> StoreFuture<'_, bool> {
        self.write(move |tables| {
            if tables.load(&share.id)?.is_some() {
                return Ok(false);
            }
            let rec = share.record();
            tables.save(&share.id, &rec)?;
            if let Some(p) = &share.inline_payload {
                tables
                    .payloads
                    .insert(share.id.to_bytes().as_slice(), p.as_slice())
                    .map_err(StoreError::new)?;
            }
            Ok(true)
        })
    }

    fn get(&self, id: ShareId) -> StoreFuture<'_, Option<ShareRecord>> {
        self.read(
            move |t| match t.get(id.to_bytes().as_slice()).map_err(StoreError::new)? {
                Some(v) => Ok(Some(decode(v.value())?)),
                None => Ok(None),
            },
        )
    }

    fn check_upload(
        &self,
        id: ShareId,
        hash: Digest,
        now: UnixSecs,
    ) -> StoreFuture<'_, UploadCheck> {
        self.read(
            move |t| match t.get(id.to_bytes().as_slice()).map_err(StoreError::new)? {
                Some(v) => Ok(logic::check_upload(&decode(v.value())?, &hash, now)),
                None => Ok(UploadCheck::NotFound),
            },
        )
    }

    fn complete(
        &self,
        id: ShareId,
        hash: Digest,
        now: UnixSecs,
    ) -> StoreFuture<'_, CompleteOutcome> {
        self.update(id, CompleteOutcome::NotFound, move |_, rec, _| {
            Ok(logic::complete(rec, &hash, now))
        })
    }

    fn claim(&self, id: ShareId, claim: ClaimRequest) -> StoreFuture<'_, ClaimOutcome> {
        self.update(id, ClaimOutcome::NotFound, move |_, rec, _| {
            Ok(logic::claim(rec, &claim))
        })
    }

    fn open_blob(
        &self,
        id: ShareId,
        hash: Digest,
        now: UnixSecs,
        ttl: i64,
        bytes: u64,
    ) -> StoreFuture<'_, BlobOutcome> {
        // Extending a ticket need not be durable: after a crash it merely dies sooner.
        self.update_with(true, id, BlobOutcome::NotFound, move |id, rec, tables| {
            let (out, changed) = logic::open_blob(rec, &hash, now, ttl);
            if matches!(out, BlobOutcome::Inline(_) | BlobOutcome::Files { .. }) {
                let bytes = if bytes == super::WHOLE_SHARE {
                    rec.size
                } else {
                    bytes
                };
                let used = tables.ticket_bytes(&hash)?;
                let taken = used.saturating_add(bytes);
                if taken > super::ticket_budget(rec.size) {
                    return Ok((BlobOutcome::Exhausted, false));
                }
                tables.set_ticket_bytes(&hash, taken)?;
            }
            if let BlobOutcome::Inline(_) = out {
                let bytes = tables
                    .payloads
                    .get(id.to_bytes().as_slice())
                    .map_err(StoreError::new)?
                    .map(|v| v.value().to_vec());
                return match bytes {
                    Some(b) => Ok((BlobOutcome::Inline(b), changed)),
                    None => Ok((BlobOutcome::BadTicket, false)),
                };
            }
            Ok((out, changed))
        })
    }

    fn touch_ticket(
        &self,
        id: ShareId,
        hash: Digest,
        now: UnixSecs,
        ttl: i64,
        refund: u64,
    ) -> StoreFuture<'_, ()> {
        self.update_with(true, id, (), move |_, rec, tables| {
            let changed = logic::touch_ticket(rec, &hash, now, ttl);
            if refund > 0 && rec.tickets.iter().any(|t| t.hash == hash) {
                let used = tables.ticket_bytes(&hash)?;
                tables.set_ticket_bytes(&hash, used.saturating_sub(refund))?;
            }
            Ok(((), changed))
        })
    }

    fn reserve_bytes(&self, bytes: u64, limit: u64) -> StoreFuture<'_, bool> {
        let mut stored = self.stored.lock().unwrap_or_else(|p| p.into_inner());
        let fits = stored.saturating_add(bytes) <= limit;
        if fits {
            *stored = stored.saturating_add(bytes);
        }
        Box::pin(std::future::ready(Ok(fits)))
    }

    fn release_bytes(&self, bytes: u64) -> StoreFuture<'_, ()> {
        let mut stored = self.stored.lock().unwrap_or_else(|p| p.into_inner());
        *stored = stored.saturating_sub(bytes);
        Box::pin(std::future::ready(Ok(())))
    }

    fn stored_bytes(&self) -> StoreFuture<'_, u64> {
        let stored = *self.stored.lock().unwrap_or_else(|p| p.into_inner());
        Box::pin(std::future::ready(Ok(stored)))
    }

    fn release(&self, id: ShareId, hash: Digest, now: UnixSecs) -> StoreFuture<'_, ReleaseOutcome> {
        self.update(id, ReleaseOutcome::NotFound, move |id, rec, tables| {
            let had_inline = rec.inline_present;
            let (out, changed) = logic::release(rec, &hash, now);
            if had_inline && !rec.inline_present {
                tables.drop_payload(id)?;
            }
            Ok((out, changed))
        })
    }

    fn revoke(&self, id: ShareId, hash: Digest, now: UnixSecs) -> StoreFuture<'_, RevokeOutcome> {
        self.update(id, RevokeOutcome::NotFound, move |id, rec, tables| {
            let had_inline = rec.inline_present;
            let (out, changed) = logic::revoke(rec, &hash, now);
            if had_inline && !rec.inline_present {
                tables.drop_payload(id)?;
            }
            Ok((out, changed))
        })
    }

    fn sweep(&self, now: UnixSecs, tombstone_secs: i64) -> StoreFuture<'_, Vec<ShareId>> {
        Box::pin(async move {
            // Scan on a read transaction so the writer is not held up, then
            // re-check each candidate inside the group's write transaction.
            let candidates = self
                .read(move |t| {
                    let mut ids = Vec::new();
                    for entry in t.iter().map_err(StoreError::new)? {
                        let (k, v) = entry.map_err(StoreError::new)?;
                        let Ok(id) = <[u8; 16]>::try_from(k.value()).map(ShareId::from_bytes)
                        else {
                            continue;
                        };
                        let rec = decode(v.value())?;
                        let bytes_left = rec.inline_present || rec.files_present;
                        if rec.forgettable(now, tombstone_secs)
                            || (bytes_left && rec.bytes_due_for_deletion(now))
                        {
                            ids.push(id);
                        }
                    }
                    Ok(ids)
                })
                .await?;
            if candidates.is_empty() {
                return Ok(Vec::new());
            }
            self.write(move |tables| {
                let mut files = Vec::new();
                for id in candidates {
                    let Some(mut rec) = tables.load(&id)? else {
                        continue;
                    };
                    if rec.forgettable(now, tombstone_secs) {
                        tables.forget(&id, &rec)?;
                        continue;
                    }
                    if rec.bytes_due_for_deletion(now) {
                        if rec.inline_present {
                            rec.inline_present = false;
                            tables.drop_payload(&id)?;
                            tables.save(&id, &rec)?;
                        }
                        if rec.files_present {
                            files.push(id);
                        }
                    }
                }
                Ok(files)
            })
            .await
        })
    }

    fn files_deleted(&self, ids: Vec<ShareId>) -> StoreFuture<'_, ()> {
        self.write(move |tables| {
            for id in ids {
                if let Some(mut rec) = tables.load(&id)? {
                    if rec.files_present {
                        rec.files_present = false;
                        tables.save(&id, &rec)?;
                    }
                }
            }
            Ok(())
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ping_fails_once_the_writer_thread_is_dead() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path()).unwrap();
        store.ping().await.unwrap();
        let died: Result<(), StoreError> = store
            .write(|_| -> Result<(), StoreError> { panic!("the writer thread dies") })
            .await;
        assert!(died.is_err());
        assert!(
            store.ping().await.is_err(),
            "not ready: no write can commit any more"
        );
    }
}
