//! The embedded store: share records in one redb file, changed with group
//! commit through a write-ahead log.
//!
//! Every change runs on one writer thread. It takes every operation queued
//! while the previous group was on its way to disk, applies them in order over
//! the committed state, appends the group's net changes to `records.wal` as one
//! frame made durable with one `fdatasync`, lays them over `records.redb` in
//! memory (the layers every reader consults first), and only then answers
//! each caller (a download's ticket extension alone answers before: losing it
//! in a crash only makes the ticket die sooner). Operations are thus
//! serialised (atomic with respect to each other) and each answer is durable,
//! while the cost of a sync is shared by every request that waited for it.
//! Every few megabytes of log, and when the store goes idle or closes, a
//! checkpoint writes the changes to `records.redb` in one durable transaction
//! on a thread of its own ([`wal`] tells why that is crash-safe).

mod operator;
mod wal;

use std::{
    collections::HashMap,
    path::Path,
    sync::{
        atomic::{AtomicBool, Ordering},
        mpsc as std_mpsc, Arc, RwLock, RwLockReadGuard, RwLockWriteGuard,
    },
    thread,
    time::Duration,
};

use redb::{
    Database, Durability, ReadOnlyTable, ReadableDatabase, ReadableTable, TableDefinition,
    TableHandle,
};
use tokio::sync::oneshot;

use self::wal::{Overlay, Tbl, Wal};
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

/// Log bytes after which the writer checkpoints.
const CHECKPOINT_BYTES: u64 = 8 * 1024 * 1024;
/// Overlay entries after which the writer checkpoints.
const CHECKPOINT_ENTRIES: usize = 64 * 1024;
/// Bytes of changes after which a group's frame is cut and another begins.
const FRAME_BYTES: usize = 64 * 1024 * 1024;
/// How long the store stays idle before the writer checkpoints what the log holds.
const IDLE_CHECKPOINT: Duration = Duration::from_secs(2);
/// How often an idle writer looks whether the checkpoint under way is done.
const FLUSH_POLL: Duration = Duration::from_millis(20);

type RawTable = ReadOnlyTable<&'static [u8], &'static [u8]>;

/// `records.redb` as of the last checkpoint.
struct Snapshot {
    records: RawTable,
    payloads: RawTable,
}

impl Snapshot {
    fn open(db: &Database) -> Result<Self, StoreError> {
        let txn = db.begin_read().map_err(StoreError::new)?;
        Ok(Self {
            records: txn.open_table(RECORDS).map_err(StoreError::new)?,
            payloads: txn.open_table(PAYLOADS).map_err(StoreError::new)?,
        })
    }

    fn with<R>(
        &self,
        t: Tbl,
        key: &[u8],
        f: impl FnOnce(Option<&[u8]>) -> R,
    ) -> Result<R, StoreError> {
        let table = match t {
            Tbl::Records => &self.records,
            Tbl::Payloads => &self.payloads,
        };
        let value = table.get(key).map_err(StoreError::new)?;
        Ok(f(value.as_ref().map(|v| v.value())))
    }
}

/// The tables an operation works on: this group's changes over the committed
/// ones over the last checkpoint.
pub(crate) struct Tables<'t> {
    snap: &'t Snapshot,
    committed: &'t Layers,
    pending: Overlay,
    /// The group must reach the disk even when it changed nothing.
    sync: bool,
}

impl Tables<'_> {
    fn with<R>(
        &self,
        t: Tbl,
        key: &[u8],
        f: impl FnOnce(Option<&[u8]>) -> R,
    ) -> Result<R, StoreError> {
        if let Some(v) = self.pending.get(t, key) {
            return Ok(f(v));
        }
        if let Some(v) = self.committed.get(t, key) {
            return Ok(f(v));
        }
        self.snap.with(t, key, f)
    }

    /// Removes `key`; whether it was there.
    fn remove(&mut self, t: Tbl, key: &[u8]) -> Result<bool, StoreError> {
        let had = self.with(t, key, |v| v.is_some())?;
        if had {
            self.pending.set(t, key, None);
        }
        Ok(had)
    }

    fn load(&self, id: &ShareId) -> Result<Option<ShareRecord>, StoreError> {
        self.with(Tbl::Records, id.to_bytes().as_slice(), |v| {
            v.map(decode).transpose()
        })?
    }

    fn save(&mut self, id: &ShareId, rec: &ShareRecord) -> Result<(), StoreError> {
        let bytes = postcard::to_stdvec(rec).map_err(StoreError::new)?;
        self.pending
            .set(Tbl::Records, id.to_bytes().as_slice(), Some(&bytes));
        Ok(())
    }

    fn ticket_bytes(&self, id: &ShareId, hash: &Digest) -> Result<u64, StoreError> {
        self.with(Tbl::Records, ticket_key(id, hash).as_slice(), |v| {
            v.map_or(Ok(0), decode_u64)
        })?
    }

    fn set_ticket_bytes(
        &mut self,
        id: &ShareId,
        hash: &Digest,
        bytes: u64,
    ) -> Result<(), StoreError> {
        self.pending.set(
            Tbl::Records,
            ticket_key(id, hash).as_slice(),
            Some(bytes.to_le_bytes().as_slice()),
        );
        Ok(())
    }

    fn put_payload(&mut self, id: &ShareId, payload: &[u8]) -> Result<(), StoreError> {
        if payload.len() <= NEAR_PAYLOAD {
            self.pending
                .set(Tbl::Records, near_payload_key(id).as_slice(), Some(payload));
        } else {
            self.pending
                .set(Tbl::Payloads, id.to_bytes().as_slice(), Some(payload));
        }
        Ok(())
    }

    fn payload(&self, id: &ShareId) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(near) = self.with(Tbl::Records, near_payload_key(id).as_slice(), |v| {
            v.map(<[u8]>::to_vec)
        })? {
            return Ok(Some(near));
        }
        self.with(Tbl::Payloads, id.to_bytes().as_slice(), |v| {
            v.map(<[u8]>::to_vec)
        })
    }

    /// Forgets a record with everything kept beside it.
    fn forget(&mut self, id: &ShareId, rec: &ShareRecord) -> Result<(), StoreError> {
        self.remove(Tbl::Records, id.to_bytes().as_slice())?;
        self.drop_payload(id)?;
        for t in &rec.tickets {
            self.remove(Tbl::Records, ticket_key(id, &t.hash).as_slice())?;
        }
        Ok(())
    }

    fn drop_payload(&mut self, id: &ShareId) -> Result<(), StoreError> {
        if !self.remove(Tbl::Records, near_payload_key(id).as_slice())? {
            self.remove(Tbl::Payloads, id.to_bytes().as_slice())?;
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

/// What the writer thread is asked to do.
enum Msg {
    Job(Job),
    /// Write what the log holds to `records.redb` now.
    #[cfg_attr(not(test), allow(dead_code))]
    Checkpoint(oneshot::Sender<Result<(), StoreError>>),
}

/// Committed changes not yet in `records.redb`, newest first: those since
/// the last rotation of the log, and those a checkpoint is writing.
#[derive(Default)]
struct Layers {
    active: Overlay,
    frozen: Arc<Overlay>,
}

impl Layers {
    fn get(&self, t: Tbl, key: &[u8]) -> Option<Option<&[u8]>> {
        self.active.get(t, key).or_else(|| self.frozen.get(t, key))
    }

    fn is_empty(&self) -> bool {
        self.active.is_empty() && self.frozen.is_empty()
    }
}

fn read_lock(layers: &RwLock<Layers>) -> RwLockReadGuard<'_, Layers> {
    layers.read().unwrap_or_else(|p| p.into_inner())
}

fn write_lock(layers: &RwLock<Layers>) -> RwLockWriteGuard<'_, Layers> {
    layers.write().unwrap_or_else(|p| p.into_inner())
}

/// The embedded (redb) store.
pub struct EmbeddedStore {
    db: Arc<Database>,
    /// Committed changes not yet in `records.redb`; only the writer thread changes them.
    layers: Arc<RwLock<Layers>>,
    /// The last checkpoint failed: the log grows until one succeeds.
    failing: Arc<AtomicBool>,
    jobs: std_mpsc::Sender<Msg>,
    writer: Option<thread::JoinHandle<()>>,
    /// Bytes of part files, counted in memory: the server adds what is on
    /// disk when it opens the store, so the count is exact after every start.
    stored: std::sync::Mutex<u64>,
}

impl EmbeddedStore {
    /// Opens (or creates) `records.redb` and `records.wal` in `dir`, writes
    /// what the log holds into the database, and starts the writer thread.
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
        // What the logs hold goes to the database before anything else, and
        // the logs are emptied only once it is there: a failure leaves them whole.
        let (mut wal, logged) = Wal::open(dir)?;
        apply(&db, &logged)?;
        wal.clear()?;
        let db = Arc::new(db);
        let layers = Arc::new(RwLock::new(Layers::default()));
        let failing = Arc::new(AtomicBool::new(false));
        let w = Writer {
            db: db.clone(),
            layers: layers.clone(),
            wal,
            flush: None,
            failing: failing.clone(),
        };
        let (jobs, rx) = std_mpsc::channel();
        let writer = thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || w.run(&rx))
            .map_err(StoreError::new)?;
        Ok(Self {
            db,
            layers,
            failing,
            jobs,
            writer: Some(writer),
            stored: std::sync::Mutex::new(0),
        })
    }

    /// Writes what the log holds into `records.redb` and empties the log.
    #[cfg(test)]
    async fn checkpoint(&self) -> Result<(), StoreError> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Msg::Checkpoint(tx))
            .map_err(|_| StoreError("writer stopped".into()))?;
        rx.await.map_err(|_| StoreError("writer stopped".into()))?
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
        let sent = self.jobs.send(Msg::Job(job));
        Box::pin(async move {
            sent.map_err(|_| StoreError("writer stopped".into()))?;
            rx.await.map_err(|_| StoreError("writer stopped".into()))?
        })
    }

    /// The committed record `id`, handed to `f`: from the layers when they have
    /// the record, else from `records.redb` off the async threads.
    fn read_record<T, F>(&self, id: ShareId, f: F) -> StoreFuture<'_, T>
    where
        T: Send + 'static,
        F: FnOnce(Option<ShareRecord>) -> T + Send + 'static,
    {
        let key = id.to_bytes();
        // A key the layers lack has its latest committed value in
        // `records.redb`: a checkpoint commits there before its frozen layer goes.
        let known = read_lock(&self.layers)
            .get(Tbl::Records, key.as_slice())
            .map(|v| v.map(decode).transpose());
        if let Some(rec) = known {
            return Box::pin(std::future::ready(rec.map(f)));
        }
        let db = self.db.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let snap = Snapshot::open(&db)?;
                let rec =
                    snap.with(Tbl::Records, key.as_slice(), |v| v.map(decode).transpose())??;
                Ok(f(rec))
            })
            .await
            .map_err(StoreError::new)?
        })
    }

    /// Folds every committed record into `acc` with `f`, off the async threads.
    fn scan_records<T, F>(&self, acc: T, mut f: F) -> StoreFuture<'_, T>
    where
        T: Send + 'static,
        F: FnMut(&mut T, ShareId, ShareRecord) -> Result<(), StoreError> + Send + 'static,
    {
        let db = self.db.clone();
        let layers = self.layers.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut acc = acc;
                // One moment's view: the layers and the snapshot taken together.
                let (laid, snap) = {
                    let l = read_lock(&layers);
                    // The records alone (not the payloads and ticket counts
                    // beside them), the newer layer over the older.
                    let mut laid = HashMap::new();
                    for layer in [&*l.frozen, &l.active] {
                        for (t, k, v) in layer.entries() {
                            if t == Tbl::Records && record_id(k).is_some() {
                                laid.insert(Box::<[u8]>::from(k), v.map(Box::<[u8]>::from));
                            }
                        }
                    }
                    (laid, Snapshot::open(&db)?)
                };
                for entry in snap.records.iter().map_err(StoreError::new)? {
                    let (k, v) = entry.map_err(StoreError::new)?;
                    let Some(id) = record_id(k.value()) else {
                        continue;
                    };
                    if !laid.contains_key(k.value()) {
                        f(&mut acc, id, decode(v.value())?)?;
                    }
                }
                for (k, v) in &laid {
                    if let (Some(id), Some(v)) = (record_id(k), v) {
                        f(&mut acc, id, decode(v)?)?;
                    }
                }
                Ok(acc)
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

impl Drop for EmbeddedStore {
    /// Stops the writer thread once it has folded the log into the database,
    /// so that the files are whole and free for the next open.
    fn drop(&mut self) {
        let (closed, _) = std_mpsc::channel();
        drop(std::mem::replace(&mut self.jobs, closed));
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// Writes `changes` to `records.redb` in one durable transaction.
fn apply(db: &Database, changes: &Overlay) -> Result<(), StoreError> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut txn = db.begin_write().map_err(StoreError::new)?;
    txn.set_durability(Durability::Immediate)
        .map_err(StoreError::new)?;
    {
        let mut records = txn.open_table(RECORDS).map_err(StoreError::new)?;
        let mut payloads = txn.open_table(PAYLOADS).map_err(StoreError::new)?;
        for (t, key, value) in changes.entries() {
            let table = match t {
                Tbl::Records => &mut records,
                Tbl::Payloads => &mut payloads,
            };
            match value {
                Some(v) => {
                    table.insert(key, v).map_err(StoreError::new)?;
                }
                None => {
                    table.remove(key).map_err(StoreError::new)?;
                }
            }
        }
    }
    txn.commit().map_err(StoreError::new)
}

/// The writer thread's state.
struct Writer {
    db: Arc<Database>,
    layers: Arc<RwLock<Layers>>,
    wal: Wal,
    /// The checkpoint under way, on a thread of its own.
    flush: Option<thread::JoinHandle<Result<(), StoreError>>>,
    failing: Arc<AtomicBool>,
}

impl Writer {
    /// Group commit until every sender is gone, then a last checkpoint.
    fn run(mut self, rx: &std_mpsc::Receiver<Msg>) {
        let mut group: Vec<Job> = Vec::new();
        let mut asked: Vec<oneshot::Sender<Result<(), StoreError>>> = Vec::new();
        loop {
            if self.flush.as_ref().is_some_and(|f| f.is_finished()) {
                // A failure is logged; the frozen layer is retried next time.
                let _ = self.finish_flush();
            }
            let wait = if self.flush.is_some() {
                Some(FLUSH_POLL)
            } else if self.wal.len() > 0 || !read_lock(&self.layers).frozen.is_empty() {
                Some(IDLE_CHECKPOINT)
            } else {
                None
            };
            let first = match wait {
                None => match rx.recv() {
                    Ok(m) => m,
                    Err(_) => break,
                },
                Some(wait) => match rx.recv_timeout(wait) {
                    Ok(m) => m,
                    Err(std_mpsc::RecvTimeoutError::Timeout) => {
                        if self.flush.is_none() {
                            // Idle: fold what the log holds into the database.
                            self.try_start_flush();
                        }
                        continue;
                    }
                    Err(std_mpsc::RecvTimeoutError::Disconnected) => break,
                },
            };
            take(first, &mut group, &mut asked);
            drain(rx, &mut group, &mut asked);
            if !group.is_empty() && group.len() < SMALL_GROUP {
                // A sync costs far more than an operation: a moment's wait lets the
                // requests already on their way join this group.
                thread::sleep(GATHER_WAIT);
                drain(rx, &mut group, &mut asked);
            }
            if !group.is_empty() {
                self.commit_group(&mut group);
            }
            if !asked.is_empty() {
                let result = self.checkpoint_all();
                for tx in asked.drain(..) {
                    let _ = tx.send(result.clone());
                }
            } else if self.flush.is_none()
                && (self.wal.len() >= CHECKPOINT_BYTES
                    || read_lock(&self.layers).active.len() >= CHECKPOINT_ENTRIES)
            {
                self.try_start_flush();
            }
        }
        // Every sender is gone: leave the log folded into the database.
        if let Err(e) = self.checkpoint_all() {
            tracing::error!(error = %e, "store checkpoint failed; the log keeps every change");
        }
    }

    /// Applies a group over the committed state, makes its changes durable in
    /// the log, publishes them to readers, then answers its callers.
    fn commit_group(&mut self, group: &mut Vec<Job>) {
        let mut finishers: Vec<Finish> = Vec::with_capacity(group.len());
        let result = (|| -> Result<(), StoreError> {
            let snap = Snapshot::open(&self.db)?;
            let mut jobs = group.drain(..);
            loop {
                // A group of large payloads goes in several frames, cut between operations.
                let (pending, sync, more) = {
                    let committed = read_lock(&self.layers);
                    let mut tables = Tables {
                        snap: &snap,
                        committed: &committed,
                        pending: Overlay::default(),
                        sync: false,
                    };
                    let mut more = false;
                    for job in jobs.by_ref() {
                        finishers.extend(job(&mut tables));
                        if tables.pending.bytes() >= FRAME_BYTES {
                            more = true;
                            break;
                        }
                    }
                    (tables.pending, tables.sync, more)
                };
                if !pending.is_empty() || sync {
                    self.wal.append(&pending.frame()?)?;
                    write_lock(&self.layers).active.absorb(pending);
                }
                if !more {
                    return Ok(());
                }
            }
        })();
        if let Err(e) = &result {
            tracing::error!(error = %e, ops = finishers.len(), "store group commit failed");
        }
        // Jobs never reached because the snapshot could not be opened still get an answer.
        group.clear();
        for finish in finishers {
            finish(result.clone());
        }
    }

    /// Starts a checkpoint on a thread of its own: the log rotates, the
    /// active layer freezes, and the frozen layer goes to the database while
    /// groups go on. A frozen layer left by a failed checkpoint is retried
    /// first, alone.
    fn start_flush(&mut self) -> Result<(), StoreError> {
        let started = self.begin_flush();
        if started.is_err() {
            self.failing.store(true, Ordering::Relaxed);
        }
        started
    }

    fn begin_flush(&mut self) -> Result<(), StoreError> {
        let retry = !read_lock(&self.layers).frozen.is_empty();
        if !retry {
            if self.wal.len() == 0 {
                return Ok(());
            }
            self.wal.rotate()?;
            let mut l = write_lock(&self.layers);
            l.frozen = Arc::new(std::mem::take(&mut l.active));
        }
        let frozen = read_lock(&self.layers).frozen.clone();
        let db = self.db.clone();
        let handle = thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || apply(&db, &frozen))
            .map_err(StoreError::new)?;
        self.flush = Some(handle);
        Ok(())
    }

    /// [`Self::start_flush`], whose failure is only logged: the log keeps every change.
    fn try_start_flush(&mut self) {
        if let Err(e) = self.start_flush() {
            tracing::error!(error = %e, "store checkpoint could not start; the log keeps every change");
        }
    }

    /// Takes the result of the checkpoint under way (waiting for it): once
    /// the frozen layer is in the database, readers stop consulting it and
    /// the old log goes (in that order: a crash in between replays a log whose
    /// changes are already there, which changes nothing).
    fn finish_flush(&mut self) -> Result<(), StoreError> {
        let Some(handle) = self.flush.take() else {
            return Ok(());
        };
        let result = handle
            .join()
            .unwrap_or_else(|_| Err(StoreError("store checkpoint panicked".into())))
            .and_then(|()| {
                write_lock(&self.layers).frozen = Arc::default();
                self.wal.drop_old()
            });
        if let Err(e) = &result {
            tracing::error!(error = %e, "store checkpoint failed; the log keeps every change");
        }
        self.failing.store(result.is_err(), Ordering::Relaxed);
        result
    }

    /// Writes everything the log holds to the database before it returns.
    fn checkpoint_all(&mut self) -> Result<(), StoreError> {
        let mut result = self.finish_flush();
        // At most a retried frozen layer, then the active one.
        for _ in 0..2 {
            if read_lock(&self.layers).is_empty() && self.wal.len() == 0 {
                break;
            }
            self.start_flush()?;
            result = self.finish_flush();
        }
        result
    }
}

fn take(m: Msg, group: &mut Vec<Job>, asked: &mut Vec<oneshot::Sender<Result<(), StoreError>>>) {
    match m {
        Msg::Job(job) => group.push(job),
        Msg::Checkpoint(tx) => asked.push(tx),
    }
}

fn drain(
    rx: &std_mpsc::Receiver<Msg>,
    group: &mut Vec<Job>,
    asked: &mut Vec<oneshot::Sender<Result<(), StoreError>>>,
) {
    while group.len() < MAX_GROUP {
        match rx.try_recv() {
            Ok(m) => take(m, group, asked),
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
    /// writer thread and its group commit, which syncs the log even for it,
    /// so a dead writer or a disk that refuses writes is not ready; nor is a
    /// store whose last checkpoint failed, as its log then only grows.
    fn ping(&self) -> StoreFuture<'_, ()> {
        if self.failing.load(Ordering::Relaxed) {
            return Box::pin(std::future::ready(Err(StoreError(
                "the store's checkpoints into records.redb fail; its log keeps every change".into(),
            ))));
        }
        self.write(|t| {
            t.sync = true;
            Ok(())
        })
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
        self.read_record(id, |rec| rec)
    }

    fn check_upload(
        &self,
        id: ShareId,
        hash: Digest,
        now: UnixSecs,
    ) -> StoreFuture<'_, UploadCheck> {
        self.read_record(id, move |rec| match rec {
            Some(rec) => logic::check_upload(&rec, &hash, now),
            None => UploadCheck::NotFound,
        })
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
            // Scan off the writer thread so it is not held up, then re-check
            // each candidate inside a group.
            let candidates = self
                .scan_records(Vec::new(), move |ids, id, rec| {
                    let bytes_left = rec.inline_present || rec.files_present;
                    if rec.forgettable(now, tombstone_secs)
                        || (bytes_left && rec.bytes_due_for_deletion(now))
                    {
                        ids.push(id);
                    }
                    Ok(())
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

    /// What a download of the whole share with `claim`'s ticket gets.
    async fn whole_blob(
        store: &EmbeddedStore,
        id: &ShareId,
        claim: &ClaimRequest,
        now: UnixSecs,
    ) -> BlobOutcome {
        store
            .open_blob(
                id.clone(),
                claim.ticket_hash,
                now,
                600,
                super::super::WHOLE_SHARE,
            )
            .await
            .unwrap()
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
        store.checkpoint().await.unwrap();
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
                whole_blob(&store, id, &claim, now).await,
                BlobOutcome::Inline(payload)
            );
            // A revoke drops the payload, wherever it was.
            store.revoke(id.clone(), MANAGE_HASH, now).await.unwrap();
        }
        store.checkpoint().await.unwrap();
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

    /// Logs as a crash leaves them: `frames`, each a list of (key, value) puts
    /// into the records table, the first `rotated` of them in the log a
    /// checkpoint had rotated, then `torn` bytes of one more frame.
    fn write_log(dir: &Path, frames: &[Vec<(Vec<u8>, Vec<u8>)>], rotated: usize, torn: usize) {
        let path = dir.join("records.wal");
        let _ = std::fs::remove_file(dir.join("records.wal.old"));
        std::fs::write(&path, b"").unwrap();
        let (mut log, _) = Wal::open(dir).unwrap();
        for (n, frame) in frames.iter().enumerate() {
            if n == rotated && n > 0 {
                log.rotate().unwrap();
            }
            let mut o = Overlay::default();
            for (k, v) in frame {
                o.set(Tbl::Records, k, Some(v));
            }
            log.append(&o.frame().unwrap()).unwrap();
        }
        drop(log);
        if torn > 0 {
            let mut extra = Overlay::default();
            extra.set(Tbl::Records, &[9; 16], Some(&[1, 2, 3]));
            let other = tempfile::tempdir().unwrap();
            let (mut tail, _) = Wal::open(other.path()).unwrap();
            tail.append(&extra.frame().unwrap()).unwrap();
            drop(tail);
            let tail = std::fs::read(other.path().join("records.wal")).unwrap();
            let mut bytes = std::fs::read(&path).unwrap();
            bytes.extend_from_slice(&tail[..torn.min(tail.len() - 1)]);
            std::fs::write(&path, bytes).unwrap();
        }
    }

    #[tokio::test]
    async fn the_log_a_crash_left_is_written_to_the_database_on_open_however_often_it_is_replayed()
    {
        let dir = tempfile::tempdir().unwrap();
        drop(EmbeddedStore::open(dir.path()).unwrap());
        let now = crate::clock::system_now();
        let id = ShareId::from_bytes([5; 16]);
        let payload = vec![5u8; 700];
        let created = share(&id, now, payload.clone()).record();
        let claim = claim_req(LINK, CLAIM, None, now);
        let mut claimed = created.clone();
        let (out, changed) = logic::claim(&mut claimed, &claim);
        assert!(matches!(out, ClaimOutcome::Granted { .. }) && changed);
        let frames = vec![
            vec![
                (
                    id.to_bytes().to_vec(),
                    postcard::to_stdvec(&created).unwrap(),
                ),
                (near_payload_key(&id).to_vec(), payload.clone()),
            ],
            vec![(
                id.to_bytes().to_vec(),
                postcard::to_stdvec(&claimed).unwrap(),
            )],
        ];
        // The first open replays the logs a crash during a checkpoint left
        // (the rotated one holding the create, the new one the claim) into an
        // empty database; the next ones find logs over a database that already
        // holds them, as after a crash between a checkpoint's commit and the
        // old log's removal. A torn frame at the end was never answered and
        // changes nothing.
        for (rotated, torn) in [(1, 0), (0, 11), (1, 0)] {
            write_log(dir.path(), &frames, rotated, torn);
            let store = EmbeddedStore::open(dir.path()).unwrap();
            assert_eq!(
                std::fs::metadata(dir.path().join("records.wal"))
                    .unwrap()
                    .len(),
                0,
                "the log is folded into the database"
            );
            assert!(!dir.path().join("records.wal.old").exists());
            let mut held = keys(&store.db, RECORDS);
            // (The second round also finds the first round's ticket entry.)
            held.retain(|k| k.len() <= ID_LEN + 1);
            assert_eq!(
                held,
                vec![id.to_bytes().to_vec(), near_payload_key(&id).to_vec()]
            );
            let rec = store.get(id.clone()).await.unwrap().unwrap();
            assert_eq!(
                rec.downloads_left, 1,
                "the claim is kept ({rotated}, {torn})"
            );
            assert_eq!(
                whole_blob(&store, &id, &claim, now).await,
                BlobOutcome::Inline(payload.clone())
            );
            assert_eq!(store.get(ShareId::from_bytes([9; 16])).await.unwrap(), None);
        }
    }

    #[tokio::test]
    async fn answers_read_back_and_reopen_whether_or_not_a_checkpoint_came_between() {
        let dir = tempfile::tempdir().unwrap();
        let now = crate::clock::system_now();
        let ids: Vec<ShareId> = (10..14).map(|n| ShareId::from_bytes([n; 16])).collect();
        {
            let store = EmbeddedStore::open(dir.path()).unwrap();
            for (n, id) in ids.iter().enumerate() {
                assert!(store.create(share(id, now, vec![1; 64])).await.unwrap());
                // The first two reach the database, the last two stay in the log.
                if n == 1 {
                    store.checkpoint().await.unwrap();
                    assert_eq!(keys(&store.db, RECORDS).len(), 4);
                }
            }
            store
                .revoke(ids[0].clone(), MANAGE_HASH, now)
                .await
                .unwrap();
            store
                .revoke(ids[2].clone(), MANAGE_HASH, now)
                .await
                .unwrap();
            for (n, id) in ids.iter().enumerate() {
                let rec = store.get(id.clone()).await.unwrap().unwrap();
                assert_eq!(rec.inline_present, n % 2 == 1, "share {n}");
            }
            // Sweeps long after expiry drop the payloads left, then forget every
            // record, whether it is in the database or only in the log.
            store.sweep(now + 100_000, 0).await.unwrap();
            store.sweep(now + 100_000, 0).await.unwrap();
            for id in &ids {
                assert_eq!(store.get(id.clone()).await.unwrap(), None);
            }
            assert!(store
                .create(share(&ids[3], now, vec![2; 64]))
                .await
                .unwrap());
        }
        // Dropped without a checkpoint of its own: closing folds the log in.
        assert_eq!(
            std::fs::metadata(dir.path().join("records.wal"))
                .unwrap()
                .len(),
            0
        );
        let store = EmbeddedStore::open(dir.path()).unwrap();
        for id in &ids[..3] {
            assert_eq!(store.get(id.clone()).await.unwrap(), None);
        }
        assert!(store.get(ids[3].clone()).await.unwrap().is_some());
        assert_eq!(
            keys(&store.db, RECORDS),
            vec![
                ids[3].to_bytes().to_vec(),
                near_payload_key(&ids[3]).to_vec()
            ]
        );
    }
}
