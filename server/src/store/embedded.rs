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

use redb::{
    Database, Durability, ReadableDatabase, ReadableTable, Table, TableDefinition, TableHandle,
};
use tokio::sync::{mpsc, oneshot};

use super::{
    logic, BlobOutcome, ClaimOutcome, ClaimRequest, CompleteOutcome, Digest, NewShare,
    ReleaseOutcome, RevokeOutcome, ShareId, ShareRecord, Store, StoreError, StoreFuture, UnixSecs,
    UploadCheck,
};

/// Share records by id (16 bytes). Beside each record, so that one lifecycle
/// dirties one leaf of one B-tree rather than a leaf in each of three: its
/// inline payload when that is small ([`near_payload_key`]) and the bytes
/// each of its tickets has taken from its budget ([`ticket_key`], `u64` little
/// endian; a lost entry only gives a ticket its budget back).
const RECORDS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("records");
/// Inline payloads over [`NEAR_PAYLOAD`] bytes, by id, kept apart so that
/// updating a record never rewrites them.
const PAYLOADS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("payloads");
/// Largest inline payload kept beside its record.
const NEAR_PAYLOAD: usize = 2048;
/// The earlier layout's records and ticket bytes (by ticket hash alone), moved
/// into [`RECORDS`] when a store of that layout is opened.
const OLD_SHARES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("shares");
const OLD_TICKET_BYTES: TableDefinition<&[u8], u64> = TableDefinition::new("ticket_bytes");

const ID_LEN: usize = 16;
const NEAR_PAYLOAD_TAG: u8 = b'p';
const TICKET_TAG: u8 = b't';

fn near_payload_key(id: &ShareId) -> [u8; ID_LEN + 1] {
    let mut key = [NEAR_PAYLOAD_TAG; ID_LEN + 1];
    key[..ID_LEN].copy_from_slice(&id.to_bytes());
    key
}

fn ticket_key(id: &ShareId, hash: &Digest) -> [u8; ID_LEN + 1 + 32] {
    let mut key = [TICKET_TAG; ID_LEN + 1 + 32];
    key[..ID_LEN].copy_from_slice(&id.to_bytes());
    key[ID_LEN + 1..].copy_from_slice(hash.as_slice());
    key
}

/// The share a key of [`RECORDS`] holds the record of (`None` for the entries beside records).
fn record_id(key: &[u8]) -> Option<ShareId> {
    <[u8; ID_LEN]>::try_from(key).ok().map(ShareId::from_bytes)
}

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
    records: Table<'t, &'static [u8], &'static [u8]>,
    payloads: Table<'t, &'static [u8], &'static [u8]>,
}

impl Tables<'_> {
    fn load(&self, id: &ShareId) -> Result<Option<ShareRecord>, StoreError> {
        match self
            .records
            .get(id.to_bytes().as_slice())
            .map_err(StoreError::new)?
        {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        }
    }

    fn save(&mut self, id: &ShareId, rec: &ShareRecord) -> Result<(), StoreError> {
        let bytes = postcard::to_stdvec(rec).map_err(StoreError::new)?;
        self.records
            .insert(id.to_bytes().as_slice(), bytes.as_slice())
            .map_err(StoreError::new)?;
        Ok(())
    }

    fn ticket_bytes(&self, id: &ShareId, hash: &Digest) -> Result<u64, StoreError> {
        match self
            .records
            .get(ticket_key(id, hash).as_slice())
            .map_err(StoreError::new)?
        {
            Some(v) => decode_u64(v.value()),
            None => Ok(0),
        }
    }

    fn set_ticket_bytes(
        &mut self,
        id: &ShareId,
        hash: &Digest,
        bytes: u64,
    ) -> Result<(), StoreError> {
        self.records
            .insert(
                ticket_key(id, hash).as_slice(),
                bytes.to_le_bytes().as_slice(),
            )
            .map_err(StoreError::new)?;
        Ok(())
    }

    fn put_payload(&mut self, id: &ShareId, payload: &[u8]) -> Result<(), StoreError> {
        if payload.len() <= NEAR_PAYLOAD {
            self.records
                .insert(near_payload_key(id).as_slice(), payload)
                .map_err(StoreError::new)?;
        } else {
            self.payloads
                .insert(id.to_bytes().as_slice(), payload)
                .map_err(StoreError::new)?;
        }
        Ok(())
    }

    fn payload(&self, id: &ShareId) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(v) = self
            .records
            .get(near_payload_key(id).as_slice())
            .map_err(StoreError::new)?
        {
            return Ok(Some(v.value().to_vec()));
        }
        Ok(self
            .payloads
            .get(id.to_bytes().as_slice())
            .map_err(StoreError::new)?
            .map(|v| v.value().to_vec()))
    }

    /// Forgets a record with everything kept beside it.
    fn forget(&mut self, id: &ShareId, rec: &ShareRecord) -> Result<(), StoreError> {
        self.records
            .remove(id.to_bytes().as_slice())
            .map_err(StoreError::new)?;
        self.drop_payload(id)?;
        for t in &rec.tickets {
            self.records
                .remove(ticket_key(id, &t.hash).as_slice())
                .map_err(StoreError::new)?;
        }
        Ok(())
    }

    fn drop_payload(&mut self, id: &ShareId) -> Result<(), StoreError> {
        let near = self
            .records
            .remove(near_payload_key(id).as_slice())
            .map_err(StoreError::new)?
            .is_some();
        if !near {
            self.payloads
                .remove(id.to_bytes().as_slice())
                .map_err(StoreError::new)?;
        }
        Ok(())
    }
}

fn decode(bytes: &[u8]) -> Result<ShareRecord, StoreError> {
    postcard::from_bytes(bytes).map_err(|e| StoreError(format!("corrupt record: {e}")))
}

fn decode_u64(bytes: &[u8]) -> Result<u64, StoreError> {
    <[u8; 8]>::try_from(bytes)
        .map(u64::from_le_bytes)
        .map_err(|_| StoreError("corrupt ticket entry".into()))
}

/// Moves a store of the earlier layout (records, payloads and ticket bytes in
/// three tables) to this one, in the transaction that opens it. Inline
/// payloads stay where they are: [`Tables::payload`] looks in both places.
fn migrate(txn: &redb::WriteTransaction) -> Result<(), StoreError> {
    let old = txn
        .list_tables()
        .map_err(StoreError::new)?
        .any(|t| t.name() == OLD_SHARES.name());
    if !old {
        return Ok(());
    }
    {
        let shares = txn.open_table(OLD_SHARES).map_err(StoreError::new)?;
        let ticket_bytes = txn.open_table(OLD_TICKET_BYTES).map_err(StoreError::new)?;
        let mut records = txn.open_table(RECORDS).map_err(StoreError::new)?;
        for entry in shares.iter().map_err(StoreError::new)? {
            let (k, v) = entry.map_err(StoreError::new)?;
            let Some(id) = record_id(k.value()) else {
                continue;
            };
            let rec = decode(v.value())?;
            records
                .insert(k.value(), v.value())
                .map_err(StoreError::new)?;
            for t in &rec.tickets {
                if let Some(used) = ticket_bytes
                    .get(t.hash.as_slice())
                    .map_err(StoreError::new)?
                {
                    records
                        .insert(
                            ticket_key(&id, &t.hash).as_slice(),
                            used.value().to_le_bytes().as_slice(),
                        )
                        .map_err(StoreError::new)?;
                }
            }
        }
    }
    txn.delete_table(OLD_SHARES).map_err(StoreError::new)?;
    txn.delete_table(OLD_TICKET_BYTES)
        .map_err(StoreError::new)?;
    Ok(())
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
            txn.open_table(RECORDS).map_err(StoreError::new)?;
            txn.open_table(PAYLOADS).map_err(StoreError::new)?;
            migrate(&txn)?;
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
                let table = txn.open_table(RECORDS).map_err(StoreError::new)?;
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
                    records: txn.open_table(RECORDS).map_err(StoreError::new)?,
                    payloads: txn.open_table(PAYLOADS).map_err(StoreError::new)?,
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
                tables.put_payload(&share.id, p)?;
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
                let used = tables.ticket_bytes(id, &hash)?;
                let taken = used.saturating_add(bytes);
                if taken > super::ticket_budget(rec.size) {
                    return Ok((BlobOutcome::Exhausted, false));
                }
                tables.set_ticket_bytes(id, &hash, taken)?;
            }
            if let BlobOutcome::Inline(_) = out {
                return match tables.payload(id)? {
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
        self.update_with(true, id, (), move |id, rec, tables| {
            let changed = logic::touch_ticket(rec, &hash, now, ttl);
            if refund > 0 && rec.tickets.iter().any(|t| t.hash == hash) {
                let used = tables.ticket_bytes(id, &hash)?;
                tables.set_ticket_bytes(id, &hash, used.saturating_sub(refund))?;
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
                        let Some(id) = record_id(k.value()) else {
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
    use crate::store::contract::{claim_req, CLAIM, LINK};
    use sha2::{Digest as _, Sha256};

    /// The manage token's hash of every share [`share`] makes.
    const MANAGE_HASH: Digest = [7; 32];

    fn share(id: &ShareId, now: UnixSecs, payload: Vec<u8>) -> NewShare {
        NewShare {
            id: id.clone(),
            size: payload.len() as u64,
            created_at: now,
            expires_at: now + 3600,
            max_downloads: 2,
            link_verifier: Sha256::digest(LINK).into(),
            claim_verifier: Sha256::digest(CLAIM).into(),
            meta: b"sealed-meta".to_vec(),
            kdf: None,
            manage_token_hash: MANAGE_HASH,
            upload_token_hash: None,
            inline_payload: Some(payload),
        }
    }

    /// Every key of a table, in order.
    fn keys(db: &Database, table: TableDefinition<&[u8], &[u8]>) -> Vec<Vec<u8>> {
        let txn = db.begin_read().unwrap();
        let t = txn.open_table(table).unwrap();
        t.iter()
            .unwrap()
            .map(|e| e.unwrap().0.value().to_vec())
            .collect()
    }

    #[tokio::test]
    async fn a_store_of_the_three_table_layout_opens_with_everything_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let now = crate::clock::system_now();
        let id = ShareId::from_bytes([3; 16]);
        let payload = vec![42u8; 1024];
        let claim = claim_req(LINK, CLAIM, None, now);
        let budget = super::super::ticket_budget(1024);
        {
            // The earlier layout: records, inline payloads and ticket bytes in
            // three tables, ticket bytes by the ticket's hash alone.
            let mut rec = share(&id, now, payload.clone()).record();
            let (out, changed) = logic::claim(&mut rec, &claim);
            assert!(matches!(out, ClaimOutcome::Granted { .. }) && changed);
            let db = Database::create(dir.path().join("records.redb")).unwrap();
            let txn = db.begin_write().unwrap();
            {
                let mut shares = txn.open_table(OLD_SHARES).unwrap();
                let rec = postcard::to_stdvec(&rec).unwrap();
                shares
                    .insert(id.to_bytes().as_slice(), rec.as_slice())
                    .unwrap();
                let mut payloads = txn.open_table(PAYLOADS).unwrap();
                payloads
                    .insert(id.to_bytes().as_slice(), payload.as_slice())
                    .unwrap();
                let mut used = txn.open_table(OLD_TICKET_BYTES).unwrap();
                used.insert(claim.ticket_hash.as_slice(), budget - 10)
                    .unwrap();
            }
            txn.commit().unwrap();
        }
        let store = EmbeddedStore::open(dir.path()).unwrap();
        let rec = store
            .get(id.clone())
            .await
            .unwrap()
            .expect("the record moved");
        assert_eq!(rec.downloads_left, 1);
        // The ticket's budget moved with it: 11 more bytes are over, 10 are not.
        assert_eq!(
            store
                .open_blob(id.clone(), claim.ticket_hash, now, 600, 11)
                .await
                .unwrap(),
            BlobOutcome::Exhausted
        );
        assert_eq!(
            store
                .open_blob(id.clone(), claim.ticket_hash, now, 600, 10)
                .await
                .unwrap(),
            BlobOutcome::Inline(payload)
        );
        let txn = store.db.begin_read().unwrap();
        let names: Vec<String> = txn
            .list_tables()
            .unwrap()
            .map(|t| t.name().to_owned())
            .collect();
        assert!(
            !names.iter().any(|n| n == "shares" || n == "ticket_bytes"),
            "the old tables are gone: {names:?}"
        );
    }

    #[tokio::test]
    async fn small_payloads_sit_beside_their_record_and_large_ones_apart() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path()).unwrap();
        let now = crate::clock::system_now();
        let small = ShareId::from_bytes([1; 16]);
        let large = ShareId::from_bytes([2; 16]);
        let small_payload = vec![1u8; NEAR_PAYLOAD];
        let large_payload = vec![2u8; NEAR_PAYLOAD + 1];
        assert!(store
            .create(share(&small, now, small_payload.clone()))
            .await
            .unwrap());
        assert!(store
            .create(share(&large, now, large_payload.clone()))
            .await
            .unwrap());
        assert_eq!(
            keys(&store.db, RECORDS),
            vec![
                small.to_bytes().to_vec(),
                near_payload_key(&small).to_vec(),
                large.to_bytes().to_vec(),
            ]
        );
        assert_eq!(keys(&store.db, PAYLOADS), vec![large.to_bytes().to_vec()]);
        for (id, payload) in [(&small, small_payload), (&large, large_payload)] {
            let claim = claim_req(LINK, CLAIM, None, now);
            store.claim(id.clone(), claim.clone()).await.unwrap();
            assert_eq!(
                store
                    .open_blob(
                        id.clone(),
                        claim.ticket_hash,
                        now,
                        600,
                        super::super::WHOLE_SHARE
                    )
                    .await
                    .unwrap(),
                BlobOutcome::Inline(payload)
            );
            // A revoke drops the payload, wherever it was.
            store.revoke(id.clone(), MANAGE_HASH, now).await.unwrap();
        }
        assert!(keys(&store.db, PAYLOADS).is_empty());
        let left = keys(&store.db, RECORDS);
        assert!(
            left.iter()
                .all(|k| k.len() != near_payload_key(&small).len()),
            "no payload is left beside a record: {left:?}"
        );
        // The scans see records only.
        assert_eq!(store.sweep(now, 3600).await.unwrap(), Vec::<ShareId>::new());
    }

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
