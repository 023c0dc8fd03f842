//! The Redis store: share records in Redis, shared by any number of server instances.
//!
//! **Layout.** A share is one hash, `{prefix}{<hex id>}`, and its inline payload
//! one string, `{prefix}{<hex id>}:payload`. The braces are a Redis Cluster hash
//! tag: every key of a share lives in one slot, so each operation is one Lua
//! script ([`redis/`](../redis/)) run with `EVALSHA` on one node, atomically with
//! respect to every other command, whichever instance sent it. The scripts
//! mirror [`super::logic`] field by field; the contract suite is the judge.
//!
//! **Expiry.** Every key carries a TTL: the record lives until its tombstone time
//! plus [`KEY_GRACE_SECS`], an inline payload until a minute after the share's
//! expiry. Redis expiry is only the backstop: Redis gives no reliable notice of
//! it, so a sorted set, `{prefix}sweep` (score: when the share next needs the
//! sweeper), drives [`Store::sweep`]. A sweep *leases* due members in one script
//! (their score moves past the lease), so several instances sweeping at once
//! never work on the same share, and a crashed sweeper's lease runs out.
//! The index's own TTL runs past its latest member and is pushed forward by
//! every sweep (and every ten seconds by each instance that adds to it).
//! The index is a separate key (another slot): it is updated by its own
//! commands alongside a share's script, always to an *earlier* time (`ZADD LT`),
//! so a lost update only makes the sweeper look at a share later (at its expiry);
//! a create whose index entry was lost answered an error, and its record dies by
//! its TTL. On one server (not a Cluster) every key is reachable from one script:
//! the create and claim scripts then take the index as their last key and update
//! it themselves, in the same atomic step (one round trip, not two). Part
//! directories whose record is gone are removed by the sweeper's orphan scan.
//!
//! **Failures.** The client never sends a command twice (`max_command_attempts
//! = 1`: a script whose connection died may or may not have run, and only
//! `request_id` makes a claim safe to repeat), fails at once while disconnected
//! (`fail_fast`), and gives up on a command after [`COMMAND_TIMEOUT`]. Each such
//! failure is a [`StoreError`] (the API answers `503 unavailable`), never an
//! outcome. The client reconnects in the background, so service resumes by
//! itself when Redis is back; scripts missing after a restart are loaded again
//! on `NOSCRIPT`.
//!
//! **Time.** Redis `TIME` is the one clock: [`Store::time`] reads it, each
//! server instance shifts its clock to it, and the TTLs given to Redis are
//! measured by it.
//!
//! **Stored bytes.** `{prefix}stored` counts the bytes of part files for every
//! instance (the quota of `--max-stored-bytes`); it is the one key without a
//! TTL and is deleted when it reaches zero. It is moved by its own script, not
//! inside a share's, so a crash between writing or deleting parts and moving
//! it leaves it off by those bytes.
//!
//! **Durability** is Redis's: see `docs/redis.md` for `appendfsync` and replication.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicI64, Ordering as AtomicOrdering},
        Arc,
    },
    time::Duration,
};

use fred::{
    interfaces::{ClientLike, HashesInterface, KeysInterface, LuaInterface, SortedSetsInterface},
    prelude::{Builder, Client, Config as FredConfig, Error as FredError, Pool, ReconnectPolicy},
    types::{
        config::{Options, UnresponsiveConfig},
        sorted_sets::Ordering,
        SetOptions, Value,
    },
};
use futures_util::{stream, StreamExt};

use ots_proto::{GoneReason, KdfParams, MAX_FAILED_ATTEMPTS, SHARE_ID_SIZE};

use super::{
    BlobOutcome, ClaimOutcome, ClaimRequest, CompleteOutcome, Digest, Grant, NewShare,
    ReleaseOutcome, Replay, RevokeOutcome, ShareId, ShareRecord, Store, StoreError, StoreFuture,
    StoredState, Ticket, UnixSecs, UploadCheck,
};
use crate::clock::system_now;

mod operator;

/// Redis `TIME` in Unix seconds.
fn time_reply(v: &Value) -> Option<UnixSecs> {
    match v {
        Value::Array(parts) => parts.first().and_then(int),
        _ => None,
    }
}

/// Longest wait for one command's answer; then the request fails with `503`.
pub const COMMAND_TIMEOUT: Duration = Duration::from_millis(750);
/// Longest wait for a TCP (and TLS) connection to Redis.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Longest wait at startup for the connections to Redis, before serving anyway.
pub const STARTUP_WAIT: Duration = Duration::from_secs(3);
/// A record outlives its tombstone time by this much, so the sweeper (not Redis expiry) forgets it.
pub const KEY_GRACE_SECS: i64 = 3600;
/// A sweep lease: a sweeper that took a share and died gives it back after this long.
const SWEEP_LEASE_SECS: i64 = 60;
/// Part files the caller was told to delete are looked at again after this long unless reported deleted.
const SWEEP_RETRY_SECS: i64 = 10;
/// An instance refreshes the sweep index's TTL at most this often from `schedule`.
const INDEX_TTL_REFRESH_SECS: i64 = 10;
/// Shares leased by one round of a sweep.
const SWEEP_BATCH: usize = 500;
/// Rounds of leasing in one sweep; the rest waits for the next sweep.
const SWEEP_ROUNDS: usize = 20;
/// Shares swept at once within a round.
const SWEEP_CONCURRENCY: usize = 32;
/// Longest tombstone honoured in TTLs (ten years), so sums never overflow.
const MAX_TOMBSTONE_SECS: i64 = 10 * 365 * 86_400;

/// Bytes of one ticket in the packed `tk` field: hash, released flag, expiry (`%020d`).
const TICKET_LEN: usize = 53;
/// Bytes of one replay in the packed `rp` field: request id, ticket hash, sealed ticket, downloads left (`%010d`).
const REPLAY_LEN: usize = 90;
/// Bytes of one download instant in the packed `dl` field (`%020d`).
const DOWNLOAD_LEN: usize = 20;

/// How to reach Redis and name the keys.
#[derive(Clone, Debug)]
pub struct RedisOptions {
    /// `redis://[user:pass@]host[:port][/db]` or `rediss://...` (TLS); a Redis
    /// Cluster as `redis-cluster://host:port[,host:port...]` (also spelled
    /// `redis+cluster://`; `rediss-cluster://` for TLS). One node is enough:
    /// the others are found with `CLUSTER SLOTS`.
    pub url: String,
    /// Prepended to every key; must not contain `{` (tests use one prefix each).
    pub key_prefix: String,
    /// Seconds a share stays remembered after its expiry (the server's `--tombstone-secs`).
    pub tombstone_secs: u64,
    /// Connections to Redis (commands are pipelined on each).
    pub pool_size: usize,
    /// Longest wait for one command.
    pub command_timeout: Duration,
}

impl RedisOptions {
    /// Defaults for a URL: prefix `ots:`, one day of tombstones, two connections.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            key_prefix: "ots:".into(),
            tombstone_secs: 86_400,
            pool_size: 2,
            command_timeout: COMMAND_TIMEOUT,
        }
    }
}

impl crate::limits::SharedCounts for RedisStore {
    fn take<'a>(
        &'a self,
        key: &'a str,
        per_min: u32,
    ) -> Pin<Box<dyn Future<Output = Result<Option<Duration>, StoreError>> + Send + 'a>> {
        Box::pin(self.rate_take(key, per_min))
    }

    fn login<'a>(
        &'a self,
        step: crate::limits::LoginStep,
        address: &'a str,
        now: i64,
        limits: (u32, i64, u32),
    ) -> Pin<Box<dyn Future<Output = Result<crate::limits::LoginCounts, StoreError>> + Send + 'a>>
    {
        Box::pin(self.login_step(step, address, now, limits))
    }
}

/// The URL as fred reads it. fred takes a cluster from a scheme ending in
/// `-cluster` and further nodes as `?node=host:port`; it reads any other
/// scheme, `redis+cluster://` included, as one server (and would then fail on
/// the first `MOVED`). So `redis+cluster://` becomes `redis-cluster://`, and
/// `host:port,host:port` lists become `?node=` parameters.
fn fred_url(url: &str) -> Result<String, StoreError> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(StoreError(format!("redis URL without a scheme: {url:?}")));
    };
    let scheme = if let Some(base) = scheme.strip_suffix("+cluster") {
        format!("{base}-cluster")
    } else if scheme.ends_with("-cluster") {
        scheme.to_string()
    } else {
        // One server (redis://, rediss://, valkey://, ...): fred reads it as it is.
        return Ok(url.to_string());
    };
    // [user:pass@]host:port[,host:port...][/...][?query]
    let (auth, hosts) = match rest.rsplit_once('@') {
        Some((auth, hosts)) => (Some(auth), hosts),
        None => (None, rest),
    };
    let (hosts, query) = match hosts.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (hosts, None),
    };
    let hosts = hosts.trim_end_matches('/');
    let mut nodes = hosts.split(',').map(str::trim).filter(|h| !h.is_empty());
    let first = nodes
        .next()
        .ok_or_else(|| StoreError(format!("redis cluster URL without a node: {url:?}")))?;
    let mut params: Vec<String> = nodes.map(|n| format!("node={n}")).collect();
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        params.push(q.to_string());
    }
    for node in std::iter::once(first).chain(params.iter().filter_map(|p| p.strip_prefix("node=")))
    {
        let port_ok = node
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok());
        if !port_ok {
            return Err(StoreError(format!(
                "redis cluster node {node:?} needs a port (host:port)"
            )));
        }
    }
    let auth = auth.map(|a| format!("{a}@")).unwrap_or_default();
    let query = if params.is_empty() {
        String::new()
    } else {
        format!("?{}", params.join("&"))
    };
    Ok(format!("{scheme}://{auth}{first}{query}"))
}

/// One Lua script and its SHA-1, run with `EVALSHA` and loaded again on `NOSCRIPT`.
struct Script {
    body: String,
    sha: String,
}

impl Script {
    fn new(body: String) -> Self {
        let sha = fred::util::sha1_hash(&body);
        Self { body, sha }
    }

    /// A share script: the shared helpers, then the operation.
    fn share(op: &str) -> Self {
        Self::new(format!("{}\n{}", include_str!("redis/prelude.lua"), op))
    }
}

/// Every script the store runs.
struct Scripts {
    create: Script,
    claim: Script,
    complete: Script,
    open_blob: Script,
    touch_ticket: Script,
    stored_bytes: Script,
    release: Script,
    revoke: Script,
    files_deleted: Script,
    sweep_one: Script,
    index_ttl: Script,
    sweep_lease: Script,
    sweep_finish: Script,
    rate: Script,
    login: Script,
    login_global: Script,
}

impl Scripts {
    fn new() -> Self {
        Self {
            create: Script::share(include_str!("redis/create.lua")),
            claim: Script::share(include_str!("redis/claim.lua")),
            complete: Script::share(include_str!("redis/complete.lua")),
            open_blob: Script::share(include_str!("redis/open_blob.lua")),
            touch_ticket: Script::share(include_str!("redis/touch_ticket.lua")),
            stored_bytes: Script::new(include_str!("redis/stored_bytes.lua").to_owned()),
            release: Script::share(include_str!("redis/release.lua")),
            revoke: Script::share(include_str!("redis/revoke.lua")),
            files_deleted: Script::new(include_str!("redis/files_deleted.lua").to_owned()),
            sweep_one: Script::share(include_str!("redis/sweep_one.lua")),
            index_ttl: Script::new(include_str!("redis/index_ttl.lua").to_owned()),
            sweep_lease: Script::new(include_str!("redis/sweep_lease.lua").to_owned()),
            sweep_finish: Script::new(include_str!("redis/sweep_finish.lua").to_owned()),
            rate: Script::new(include_str!("redis/rate.lua").to_owned()),
            login: Script::new(include_str!("redis/login.lua").to_owned()),
            login_global: Script::new(include_str!("redis/login_global.lua").to_owned()),
        }
    }
}

struct Inner {
    pool: Pool,
    options: Options,
    prefix: String,
    tombstone_secs: i64,
    scripts: Scripts,
    /// When this instance last refreshed the sweep index's TTL.
    index_ttl_at: AtomicI64,
    /// Redis's clock minus ours, from the last `TIME`: what `EXPIREAT` is measured by.
    offset: AtomicI64,
    /// One server (not a Cluster): every key is reachable from one script, so
    /// the create and claim scripts update the sweep index themselves.
    index_in_scripts: bool,
}

/// The Redis store. Cheap to clone.
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: never printed.
        f.debug_struct("RedisStore")
            .field("prefix", &self.inner.prefix)
            .finish_non_exhaustive()
    }
}

fn err(e: FredError) -> StoreError {
    StoreError(format!("redis: {e}"))
}

fn bad_reply(what: &str) -> StoreError {
    StoreError(format!("redis: unexpected reply to {what}"))
}

impl RedisStore {
    /// Configures the client and starts connecting in the background (needs a Tokio runtime).
    ///
    /// Returns at once: while Redis cannot be reached every call fails (and
    /// `/readyz` with it) until the client's reconnection succeeds.
    pub fn open(opts: &RedisOptions) -> Result<Self, StoreError> {
        if opts.key_prefix.contains('{') || opts.key_prefix.contains('}') {
            return Err(StoreError(
                "redis: the key prefix must not contain braces".into(),
            ));
        }
        let url = fred_url(&opts.url)?;
        let mut config = FredConfig::from_url(&url)
            .map_err(|e| StoreError(format!("redis URL: {}", e.details())))?;
        let index_in_scripts = !config.server.is_clustered();
        // Keep reconnecting when Redis is down at start: the server serves 503 until it is up.
        config.fail_fast = false;
        let timeout = opts.command_timeout;
        let pool = Builder::from_config(config)
            .with_connection_config(|c| {
                c.connection_timeout = CONNECT_TIMEOUT;
                c.internal_command_timeout = CONNECT_TIMEOUT;
                // Never written twice: a re-sent claim could consume a share twice.
                c.max_command_attempts = 1;
                c.unresponsive = UnresponsiveConfig {
                    max_timeout: Some(timeout * 2),
                    interval: Duration::from_millis(250),
                };
                c.tcp.nodelay = Some(true);
            })
            .with_performance_config(|p| p.default_command_timeout = timeout)
            // Forever, 100 ms more each time, at most a second apart.
            .set_policy(ReconnectPolicy::new_linear(0, 1000, 100))
            .build_pool(opts.pool_size.max(1))
            .map_err(err)?;
        let _connection_tasks = pool.connect();
        let options = Options {
            max_attempts: Some(1),
            timeout: Some(timeout),
            fail_fast: true,
            ..Options::default()
        };
        Ok(Self {
            inner: Arc::new(Inner {
                pool,
                options,
                prefix: opts.key_prefix.clone(),
                tombstone_secs: i64::try_from(opts.tombstone_secs)
                    .unwrap_or(i64::MAX)
                    .min(MAX_TOMBSTONE_SECS),
                scripts: Scripts::new(),
                index_ttl_at: AtomicI64::new(i64::MIN),
                offset: AtomicI64::new(0),
                index_in_scripts,
            }),
        })
    }

    /// Waits until every connection is up (startup, tests).
    pub async fn wait_connected(&self, within: Duration) -> Result<(), StoreError> {
        tokio::time::timeout(within, self.inner.pool.wait_for_connect())
            .await
            .map_err(|_| StoreError("redis: not connected in time".into()))?
            .map_err(err)
    }

    fn client(&self) -> &Client {
        self.inner.pool.next_connected()
    }

    /// `{prefix}{<hex id>}` and then `suffix`.
    fn share_key(&self, id: &ShareId, suffix: &str) -> String {
        let prefix = &self.inner.prefix;
        let mut key = String::with_capacity(prefix.len() + 2 * SHARE_ID_SIZE + 2 + suffix.len());
        key.push_str(prefix);
        key.push('{');
        push_hex(&mut key, id);
        key.push('}');
        key.push_str(suffix);
        key
    }

    fn rec_key(&self, id: &ShareId) -> String {
        self.share_key(id, "")
    }

    fn payload_key(&self, id: &ShareId) -> String {
        self.share_key(id, ":payload")
    }

    fn index_key(&self) -> String {
        format!("{}sweep", self.inner.prefix)
    }

    /// The stored-bytes count, shared by every instance on this Redis.
    fn stored_key(&self) -> String {
        format!("{}stored", self.inner.prefix)
    }

    /// Moves the stored-bytes count by `delta`; a positive one only within `limit`.
    async fn adjust_stored(&self, delta: i64, limit: Option<u64>) -> Result<bool, StoreError> {
        let limit: Value = match limit {
            Some(l) => i64::try_from(l).unwrap_or(i64::MAX).into(),
            None => "".into(),
        };
        let reply = self
            .eval(
                &self.inner.scripts.stored_bytes,
                vec![self.stored_key()],
                vec![delta.into(), limit],
            )
            .await?;
        Ok(int(&reply) == Some(1))
    }

    async fn read_stored(&self) -> Result<u64, StoreError> {
        let client = self.client().with_options(&self.inner.options);
        let v: Value = client.get(self.stored_key()).await.map_err(err)?;
        Ok(match v {
            Value::Null => 0,
            v => int(&v)
                .and_then(|n| u64::try_from(n).ok())
                .ok_or_else(|| bad_reply("stored bytes"))?,
        })
    }

    /// `EVALSHA`, with `SCRIPT LOAD` and one more `EVALSHA` on `NOSCRIPT` (a script that was not found did not run).
    async fn eval(
        &self,
        script: &Script,
        keys: Vec<String>,
        args: Vec<Value>,
    ) -> Result<Value, StoreError> {
        let client = self.client().with_options(&self.inner.options);
        match client
            .evalsha::<Value, _, _, _>(script.sha.as_str(), keys.clone(), args.clone())
            .await
        {
            Err(e) if e.details().contains("NOSCRIPT") => {
                client
                    .script_load_cluster::<(), _>(script.body.as_str())
                    .await
                    .map_err(err)?;
                client
                    .evalsha::<Value, _, _, _>(script.sha.as_str(), keys, args)
                    .await
                    .map_err(err)
            }
            other => other.map_err(err),
        }
    }

    /// Takes one request of `per_min` a minute under `key` (a client of one
    /// limit), counted in Redis so every instance enforces the limit once:
    /// `None` when it may go ahead, otherwise how long until it may. The key is
    /// `{prefix}rate:{key}`, one key per client, so any Cluster slot will do.
    pub(crate) async fn rate_take(
        &self,
        key: &str,
        per_min: u32,
    ) -> Result<Option<Duration>, StoreError> {
        let reply = self
            .eval(
                &self.inner.scripts.rate,
                vec![format!("{}rate:{key}", self.inner.prefix)],
                vec![Value::from(i64::from(per_min.max(1)))],
            )
            .await?;
        match reply {
            Value::Integer(0) => Ok(None),
            Value::Integer(ms) => Ok(Some(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))),
            _ => Err(bad_reply("rate")),
        }
    }

    /// One step of the console's sign-in limits: the address's hash
    /// `{prefix}login:{address}` and the set of recent wrong passwords from
    /// everywhere, `{prefix}login-wrong` (one key per script, so any Cluster
    /// slot will do).
    pub(crate) async fn login_step(
        &self,
        step: crate::limits::LoginStep,
        address: &str,
        now: i64,
        (max_wrong, lockout_secs, global_per_min): (u32, i64, u32),
    ) -> Result<crate::limits::LoginCounts, StoreError> {
        use crate::limits::{LoginCounts, LoginStep};
        let name = match step {
            LoginStep::Check => "check",
            LoginStep::Wrong => "wrong",
            LoginStep::Success => "success",
        };
        let reply = self
            .eval(
                &self.inner.scripts.login,
                vec![format!("{}login:{address}", self.inner.prefix)],
                vec![
                    Value::from(name),
                    Value::from(now),
                    Value::from(i64::from(max_wrong)),
                    Value::from(lockout_secs),
                ],
            )
            .await?;
        let v = items(&reply, "login")?;
        let locked_for = u64::try_from(int_at(v, 0, "login")?).unwrap_or(0);
        let left = u32::try_from(int_at(v, 1, "login")?).unwrap_or(0);
        let mut busy_for = 0;
        if step != LoginStep::Success {
            let mut member = [0u8; 8];
            getrandom::fill(&mut member).map_err(|e| StoreError(format!("random: {e}")))?;
            let reply = self
                .eval(
                    &self.inner.scripts.login_global,
                    vec![format!("{}login-wrong", self.inner.prefix)],
                    vec![
                        Value::from(name),
                        Value::from(now),
                        Value::from(i64::from(global_per_min)),
                        Value::from(format!("{now}:{}", u64::from_le_bytes(member))),
                    ],
                )
                .await?;
            busy_for = match reply {
                Value::Integer(n) => u64::try_from(n).unwrap_or(0),
                _ => return Err(bad_reply("login-wrong")),
            };
        }
        Ok(LoginCounts {
            locked_for,
            left,
            busy_for,
        })
    }

    /// Now by Redis's clock, as of the last `TIME`.
    fn redis_now(&self) -> UnixSecs {
        system_now().saturating_add(self.inner.offset.load(AtomicOrdering::Relaxed))
    }

    /// Redis `TIME`, remembered as the offset of Redis's clock from ours.
    async fn redis_time(&self) -> Result<Option<UnixSecs>, StoreError> {
        let client = self.client().with_options(&self.inner.options);
        let reply: Value = client
            .custom(
                fred::types::CustomCommand::new_static("TIME", None, false),
                Vec::<Value>::new(),
            )
            .await
            .map_err(err)?;
        let now = time_reply(&reply).ok_or_else(|| bad_reply("TIME"))?;
        self.inner
            .offset
            .store(now.saturating_sub(system_now()), AtomicOrdering::Relaxed);
        Ok(Some(now))
    }

    /// Moves a share's sweep time earlier (or adds it): `ZADD LT`.
    async fn schedule(&self, id: &ShareId, at: UnixSecs) -> Result<(), StoreError> {
        let client = self.client().with_options(&self.inner.options);
        let _: Value = client
            .zadd(
                self.index_key(),
                None,
                Some(Ordering::LessThan),
                false,
                false,
                (at as f64, hex(id)),
            )
            .await
            .map_err(err)?;
        self.index_added().await
    }

    /// A share was added to the sweep index: refreshes the index's TTL if
    /// [`INDEX_TTL_REFRESH_SECS`] have passed since this instance last did.
    async fn index_added(&self) -> Result<(), StoreError> {
        let now = self.redis_now();
        let last = self.inner.index_ttl_at.load(AtomicOrdering::Relaxed);
        if now.saturating_sub(last) >= INDEX_TTL_REFRESH_SECS
            && self
                .inner
                .index_ttl_at
                .compare_exchange(last, now, AtomicOrdering::Relaxed, AtomicOrdering::Relaxed)
                .is_ok()
        {
            self.refresh_index_ttl().await?;
        }
        Ok(())
    }

    /// Gives the sweep index a TTL past its latest member (run by every sweep, and by
    /// `schedule` at most every [`INDEX_TTL_REFRESH_SECS`], so the index never lives forever).
    async fn refresh_index_ttl(&self) -> Result<(), StoreError> {
        let extra = self.inner.tombstone_secs + KEY_GRACE_SECS;
        self.eval(
            &self.inner.scripts.index_ttl,
            vec![self.index_key()],
            vec![self.redis_now().into(), extra.into()],
        )
        .await
        .map(drop)
    }

    /// The instant at which Redis drops the record by itself.
    fn record_expire_at(&self, expires_at: UnixSecs) -> UnixSecs {
        expires_at
            .max(self.redis_now())
            .saturating_add(self.inner.tombstone_secs)
            .saturating_add(KEY_GRACE_SECS)
    }

    async fn create_share(&self, share: NewShare) -> Result<bool, StoreError> {
        let rec = share.record();
        // Redis drops an inline payload by itself a minute after the share's expiry.
        let (payload_expire_at, payload): (Value, &[u8]) = match &share.inline_payload {
            Some(p) => (rec.expires_at.saturating_add(60).max(1).into(), p),
            None => ("".into(), &[]),
        };
        let mut args: Vec<Value> = vec![
            self.record_expire_at(rec.expires_at).into(),
            payload_expire_at,
            blob(payload),
            rec.expires_at.into(),
            hex(&share.id).into(),
        ];
        let st = state_code(rec.state);
        let mut field = |k: &'static str, v: Value| {
            args.push(k.into());
            args.push(v);
        };
        field("st", st.into());
        field("size", rec.size.to_string().into());
        field("cat", rec.created_at.into());
        field("exp", rec.expires_at.into());
        field("max", i64::from(rec.max_downloads).into());
        field("left", i64::from(rec.downloads_left).into());
        field("fail", 0i64.into());
        field("lv", blob(&rec.link_verifier));
        field("cv", blob(&rec.claim_verifier));
        field("mh", blob(&rec.manage_token_hash));
        field("meta", blob(&rec.meta));
        if let Some(k) = rec.kdf {
            field("kdf", format!("{},{},{}", k.m_kib, k.t, k.p).into());
        }
        if let Some(u) = rec.upload_token_hash {
            field("uh", blob(&u));
        }
        field("inl", flag(rec.inline).into());
        field("fp", flag(rec.files_present).into());
        field("ip", flag(rec.inline_present).into());
        field("tk", "".into());
        field("rp", "".into());
        field("dl", "".into());
        let mut keys = vec![self.rec_key(&share.id), self.payload_key(&share.id)];
        if self.inner.index_in_scripts {
            // One server: the script adds the sweep time with the record, in one step.
            keys.push(self.index_key());
            let created = self.eval(&self.inner.scripts.create, keys, args).await?;
            let created = int(&created) == Some(1);
            if created {
                self.index_added().await?;
            }
            return Ok(created);
        }
        // A Cluster: the index lives in another slot. The sweep time and the record are
        // sent together. Should only the record be written, the caller got an error and
        // never learnt the share's tokens: Redis drops that record, and any inline
        // payload, by their TTLs.
        let (_, created) = tokio::try_join!(
            self.schedule(&share.id, rec.expires_at),
            self.eval(&self.inner.scripts.create, keys, args)
        )?;
        Ok(int(&created) == Some(1))
    }

    async fn get_share(&self, id: ShareId) -> Result<Option<ShareRecord>, StoreError> {
        let client = self.client().with_options(&self.inner.options);
        let reply: Value = client.hgetall(self.rec_key(&id)).await.map_err(err)?;
        let pairs = match reply {
            Value::Null => return Ok(None),
            Value::Array(v) if v.is_empty() => return Ok(None),
            Value::Array(v) => v,
            Value::Map(m) if m.is_empty() => return Ok(None),
            Value::Map(m) => m
                .inner()
                .into_iter()
                .flat_map(|(k, v)| [Value::Bytes(k.into_bytes()), v])
                .collect(),
            _ => return Err(bad_reply("HGETALL")),
        };
        decode_record(&pairs).map(Some)
    }

    async fn claim_share(&self, id: ShareId, c: ClaimRequest) -> Result<ClaimOutcome, StoreError> {
        let args: Vec<Value> = vec![
            blob(&c.link_verifier),
            blob(&c.claim_verifier),
            c.request_id
                .as_ref()
                .map(|r| blob(r))
                .unwrap_or_else(|| blob(b"")),
            blob(&c.ticket_hash),
            blob(&c.ticket_sealed),
            c.ticket_ttl_secs.into(),
            c.now.into(),
            i64::from(MAX_FAILED_ATTEMPTS).into(),
            hex(&id).into(),
        ];
        let mut keys = vec![self.rec_key(&id)];
        if self.inner.index_in_scripts {
            keys.push(self.index_key());
        }
        let reply = self.eval(&self.inner.scripts.claim, keys, args).await?;
        let v = items(&reply, "claim")?;
        let outcome = match tag(v).as_deref() {
            Some("notfound") => ClaimOutcome::NotFound,
            Some("gone") => ClaimOutcome::Gone(gone(v.get(1))?),
            Some("notready") => ClaimOutcome::NotReady,
            Some("badlink") => ClaimOutcome::BadLink,
            Some("locked") => ClaimOutcome::Locked,
            Some("lockednow") => ClaimOutcome::LockedNow,
            Some("badpw") => ClaimOutcome::BadPassword {
                attempts_left: u32_at(v, 1, "claim")?,
            },
            Some("granted") => {
                let replayed = int_at(v, 1, "claim")? == 1;
                let grant = Grant {
                    ticket_hash: digest_at(v, 2, "claim")?,
                    ticket_sealed: digest_at(v, 3, "claim")?,
                    ticket_expires_at: int_at(v, 4, "claim")?,
                    meta: v.get(5).and_then(bytes).unwrap_or_default(),
                    size: v
                        .get(6)
                        .and_then(int)
                        .and_then(|n| u64::try_from(n).ok())
                        .ok_or_else(|| bad_reply("claim"))?,
                    downloads_left: u32_at(v, 7, "claim")?,
                };
                if !replayed && grant.downloads_left == 0 && !self.inner.index_in_scripts {
                    // Consumed: its bytes are due when the ticket dies, maybe long before expiry
                    // (on one server the script has moved its sweep time already).
                    // The claim has happened; a failure here only delays the sweep to the share's expiry.
                    let store = self.clone();
                    let at = grant.ticket_expires_at;
                    tokio::spawn(async move { store.schedule_quietly(&id, at).await });
                }
                ClaimOutcome::Granted { grant, replayed }
            }
            _ => return Err(bad_reply("claim")),
        };
        Ok(outcome)
    }

    async fn complete_share(
        &self,
        id: ShareId,
        hash: Digest,
        now: UnixSecs,
    ) -> Result<CompleteOutcome, StoreError> {
        let reply = self
            .eval(
                &self.inner.scripts.complete,
                vec![self.rec_key(&id)],
                vec![blob(&hash), now.into()],
            )
            .await?;
        let v = items(&reply, "complete")?;
        Ok(match tag(v).as_deref() {
            Some("notfound") => CompleteOutcome::NotFound,
            Some("gone") => CompleteOutcome::Gone(gone(v.get(1))?),
            Some("badtoken") => CompleteOutcome::BadToken,
            Some("completed") => CompleteOutcome::Completed,
            _ => return Err(bad_reply("complete")),
        })
    }

    async fn open_share_blob(
        &self,
        id: ShareId,
        hash: Digest,
        now: UnixSecs,
        ttl: i64,
        want: u64,
    ) -> Result<BlobOutcome, StoreError> {
        let keys = vec![self.rec_key(&id), self.payload_key(&id)];
        // -1: the whole share, its size read by the script.
        let want = if want == super::WHOLE_SHARE {
            -1
        } else {
            i64::try_from(want).unwrap_or(i64::MAX)
        };
        let factor = i64::try_from(ots_proto::TICKET_BUDGET_FACTOR).unwrap_or(i64::MAX);
        let reply = self
            .eval(
                &self.inner.scripts.open_blob,
                keys,
                vec![
                    blob(&hash),
                    now.into(),
                    ttl.into(),
                    want.into(),
                    factor.into(),
                ],
            )
            .await?;
        let v = items(&reply, "open_blob")?;
        Ok(match tag(v).as_deref() {
            Some("notfound") => BlobOutcome::NotFound,
            Some("gone") => BlobOutcome::Gone(gone(v.get(1))?),
            Some("badticket") => BlobOutcome::BadTicket,
            Some("exhausted") => BlobOutcome::Exhausted,
            Some("inline") => BlobOutcome::Inline(v.get(1).and_then(bytes).unwrap_or_default()),
            Some("files") => BlobOutcome::Files {
                size: v
                    .get(1)
                    .and_then(int)
                    .and_then(|n| u64::try_from(n).ok())
                    .ok_or_else(|| bad_reply("open_blob"))?,
            },
            _ => return Err(bad_reply("open_blob")),
        })
    }

    async fn release_share(
        &self,
        id: ShareId,
        hash: Digest,
        now: UnixSecs,
    ) -> Result<ReleaseOutcome, StoreError> {
        let keys = vec![self.rec_key(&id), self.payload_key(&id)];
        let reply = self
            .eval(
                &self.inner.scripts.release,
                keys,
                vec![blob(&hash), now.into()],
            )
            .await?;
        let v = items(&reply, "release")?;
        Ok(match tag(v).as_deref() {
            Some("notfound") => ReleaseOutcome::NotFound,
            Some("gone") => ReleaseOutcome::Gone(gone(v.get(1))?),
            Some("badticket") => ReleaseOutcome::BadTicket,
            Some("released") => {
                let delete_files = int_at(v, 1, "release")? == 1;
                if delete_files {
                    // The caller deletes the files now; should it fail, the next sweep retries.
                    self.schedule_quietly(&id, now).await;
                }
                ReleaseOutcome::Released { delete_files }
            }
            _ => return Err(bad_reply("release")),
        })
    }

    async fn revoke_share(
        &self,
        id: ShareId,
        hash: Digest,
        now: UnixSecs,
    ) -> Result<RevokeOutcome, StoreError> {
        let keys = vec![self.rec_key(&id), self.payload_key(&id)];
        let reply = self
            .eval(
                &self.inner.scripts.revoke,
                keys,
                vec![blob(&hash), now.into()],
            )
            .await?;
        let v = items(&reply, "revoke")?;
        Ok(match tag(v).as_deref() {
            Some("notfound") => RevokeOutcome::NotFound,
            Some("badtoken") => RevokeOutcome::BadToken,
            Some("revoked") => {
                let delete_files = int_at(v, 1, "revoke")? == 1;
                if delete_files {
                    // The sweep index is the durable queue of the deletion: a revoke is
                    // answered only once it holds the share (a retry is harmless).
                    self.schedule(&id, now).await?;
                }
                RevokeOutcome::Revoked { delete_files }
            }
            _ => return Err(bad_reply("revoke")),
        })
    }

    async fn schedule_quietly(&self, id: &ShareId, at: UnixSecs) {
        if let Err(e) = self.schedule(id, at).await {
            tracing::warn!(error = %e, "could not schedule a sweep");
        }
    }

    /// Sweeps one leased share; returns whether its part files must be deleted.
    async fn sweep_share(
        &self,
        member: String,
        now: UnixSecs,
        tombstone: i64,
        lease: UnixSecs,
    ) -> Result<Option<ShareId>, StoreError> {
        let Some(id) = unhex(&member) else {
            // Not ours: drop it from the index.
            self.finish_lease(member, lease, None).await?;
            return Ok(None);
        };
        let keys = vec![self.rec_key(&id), self.payload_key(&id)];
        let reply = self
            .eval(
                &self.inner.scripts.sweep_one,
                keys,
                vec![now.into(), tombstone.into(), SWEEP_RETRY_SECS.into()],
            )
            .await?;
        let v = items(&reply, "sweep")?;
        match tag(v).as_deref() {
            Some("forgotten") => {
                self.finish_lease(member, lease, None).await?;
                Ok(None)
            }
            Some("kept") => {
                let files = int_at(v, 1, "sweep")? == 1;
                let next = int_at(v, 2, "sweep")?;
                self.finish_lease(member, lease, Some(next)).await?;
                Ok(files.then_some(id))
            }
            _ => Err(bad_reply("sweep")),
        }
    }

    async fn finish_lease(
        &self,
        member: String,
        lease: UnixSecs,
        next: Option<UnixSecs>,
    ) -> Result<(), StoreError> {
        let next: Value = next.map(Value::from).unwrap_or_else(|| "".into());
        self.eval(
            &self.inner.scripts.sweep_finish,
            vec![self.index_key()],
            vec![member.into(), lease.into(), next],
        )
        .await
        .map(drop)
    }

    async fn sweep_all(&self, now: UnixSecs, tombstone: i64) -> Result<Vec<ShareId>, StoreError> {
        let tombstone = tombstone.clamp(0, MAX_TOMBSTONE_SECS);
        let lease = now.saturating_add(SWEEP_LEASE_SECS);
        self.refresh_index_ttl().await?;
        let mut files = Vec::new();
        for _ in 0..SWEEP_ROUNDS {
            let args: Vec<Value> = vec![now.into(), lease.into(), (SWEEP_BATCH as i64).into()];
            let reply = self
                .eval(
                    &self.inner.scripts.sweep_lease,
                    vec![self.index_key()],
                    args,
                )
                .await?;
            let members: Vec<String> = match reply {
                Value::Array(v) => v
                    .iter()
                    .filter_map(|m| bytes(m).and_then(|b| String::from_utf8(b).ok()))
                    .collect(),
                Value::Null => Vec::new(),
                _ => return Err(bad_reply("sweep lease")),
            };
            let n = members.len();
            let results: Vec<Result<Option<ShareId>, StoreError>> = stream::iter(members)
                .map(|m| self.sweep_share(m, now, tombstone, lease))
                .buffer_unordered(SWEEP_CONCURRENCY)
                .collect()
                .await;
            for r in results {
                // A share that failed keeps its lease and comes back when it runs out.
                match r {
                    Ok(Some(id)) => files.push(id),
                    Ok(None) => {}
                    Err(e) => return Err(e),
                }
            }
            if n < SWEEP_BATCH {
                break;
            }
        }
        Ok(files)
    }

    async fn mark_files_deleted(&self, ids: Vec<ShareId>) -> Result<(), StoreError> {
        for id in ids {
            self.eval(
                &self.inner.scripts.files_deleted,
                vec![self.rec_key(&id)],
                Vec::new(),
            )
            .await?;
            // Look at it at the next sweep: it may now be forgotten.
            let client = self.client().with_options(&self.inner.options);
            let _: Value = client
                .zadd(
                    self.index_key(),
                    Some(SetOptions::XX),
                    Some(Ordering::LessThan),
                    false,
                    false,
                    (0.0, hex(&id)),
                )
                .await
                .map_err(err)?;
        }
        Ok(())
    }

    async fn ping_redis(&self) -> Result<(), StoreError> {
        let client = self.client().with_options(&self.inner.options);
        let _: Value = client.ping(None).await.map_err(err)?;
        Ok(())
    }
}

impl Store for RedisStore {
    fn ping(&self) -> StoreFuture<'_, ()> {
        Box::pin(self.ping_redis())
    }

    fn time(&self) -> StoreFuture<'_, Option<UnixSecs>> {
        Box::pin(self.redis_time())
    }

    fn create(&self, share: NewShare) -> StoreFuture<'_, bool> {
        Box::pin(self.create_share(share))
    }

    fn get(&self, id: ShareId) -> StoreFuture<'_, Option<ShareRecord>> {
        Box::pin(self.get_share(id))
    }

    fn check_upload(
        &self,
        id: ShareId,
        hash: Digest,
        now: UnixSecs,
    ) -> StoreFuture<'_, UploadCheck> {
        Box::pin(async move {
            Ok(match self.get_share(id).await? {
                Some(rec) => super::logic::check_upload(&rec, &hash, now),
                None => UploadCheck::NotFound,
            })
        })
    }

    fn complete(
        &self,
        id: ShareId,
        hash: Digest,
        now: UnixSecs,
    ) -> StoreFuture<'_, CompleteOutcome> {
        Box::pin(self.complete_share(id, hash, now))
    }

    fn claim(&self, id: ShareId, claim: ClaimRequest) -> StoreFuture<'_, ClaimOutcome> {
        Box::pin(self.claim_share(id, claim))
    }

    fn open_blob(
        &self,
        id: ShareId,
        hash: Digest,
        now: UnixSecs,
        ttl: i64,
        bytes: u64,
    ) -> StoreFuture<'_, BlobOutcome> {
        Box::pin(self.open_share_blob(id, hash, now, ttl, bytes))
    }

    fn touch_ticket(
        &self,
        id: ShareId,
        hash: Digest,
        now: UnixSecs,
        ttl: i64,
        refund: u64,
    ) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let refund = i64::try_from(refund).unwrap_or(i64::MAX);
            self.eval(
                &self.inner.scripts.touch_ticket,
                vec![self.rec_key(&id)],
                vec![blob(&hash), now.into(), ttl.into(), refund.into()],
            )
            .await
            .map(drop)
        })
    }

    fn reserve_bytes(&self, bytes: u64, limit: u64) -> StoreFuture<'_, bool> {
        Box::pin(self.adjust_stored(i64::try_from(bytes).unwrap_or(i64::MAX), Some(limit)))
    }

    fn release_bytes(&self, bytes: u64) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            self.adjust_stored(-i64::try_from(bytes).unwrap_or(i64::MAX), None)
                .await
                .map(drop)
        })
    }

    fn stored_bytes(&self) -> StoreFuture<'_, u64> {
        Box::pin(self.read_stored())
    }

    fn release(&self, id: ShareId, hash: Digest, now: UnixSecs) -> StoreFuture<'_, ReleaseOutcome> {
        Box::pin(self.release_share(id, hash, now))
    }

    fn revoke(&self, id: ShareId, hash: Digest, now: UnixSecs) -> StoreFuture<'_, RevokeOutcome> {
        Box::pin(self.revoke_share(id, hash, now))
    }

    fn sweep(&self, now: UnixSecs, tombstone_secs: i64) -> StoreFuture<'_, Vec<ShareId>> {
        Box::pin(self.sweep_all(now, tombstone_secs))
    }

    fn files_deleted(&self, ids: Vec<ShareId>) -> StoreFuture<'_, ()> {
        Box::pin(self.mark_files_deleted(ids))
    }
}

/// The id's 16 bytes in lowercase hex: its part of every key of the share.
fn hex(id: &ShareId) -> String {
    let mut s = String::with_capacity(2 * SHARE_ID_SIZE);
    push_hex(&mut s, id);
    s
}

/// Appends the id in lowercase hex (every key of a share is built with it:
/// a table, not the formatting machinery, per byte).
fn push_hex(s: &mut String, id: &ShareId) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in id.to_bytes() {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
}

fn unhex(s: &str) -> Option<ShareId> {
    if s.len() != 2 * SHARE_ID_SIZE || !s.is_ascii() {
        return None;
    }
    let mut id = [0u8; SHARE_ID_SIZE];
    for (i, b) in id.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(ShareId::from_bytes(id))
}

fn blob(b: &[u8]) -> Value {
    Value::from(b)
}

fn flag(b: bool) -> &'static str {
    if b {
        "1"
    } else {
        "0"
    }
}

/// The `st` field of a record; the Lua scripts match these letters.
fn state_code(s: StoredState) -> &'static str {
    match s {
        StoredState::Uploading => "u",
        StoredState::Ready => "r",
        StoredState::Consumed => "c",
        StoredState::Locked => "l",
        StoredState::Revoked => "v",
        StoredState::Removed => "d",
        // Never stored (derived from the clock); kept readable if it ever were.
        StoredState::Expired => "x",
    }
}

fn state_from(code: &[u8]) -> Option<StoredState> {
    Some(match code {
        b"u" => StoredState::Uploading,
        b"r" => StoredState::Ready,
        b"c" => StoredState::Consumed,
        b"l" => StoredState::Locked,
        b"v" => StoredState::Revoked,
        b"x" => StoredState::Expired,
        b"d" => StoredState::Removed,
        _ => return None,
    })
}

/// The bytes of a bulk string reply (fred gives text or bytes).
fn bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::Bytes(b) => Some(b.to_vec()),
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(i) => Some(i.to_string().into_bytes()),
        _ => None,
    }
}

/// An integer reply, or a decimal string.
fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(*i),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bytes(b) => std::str::from_utf8(b).ok()?.trim().parse().ok(),
        Value::Double(d) if d.fract() == 0.0 => Some(*d as i64),
        _ => None,
    }
}

fn items<'a>(v: &'a Value, what: &str) -> Result<&'a [Value], StoreError> {
    match v {
        Value::Array(a) if !a.is_empty() => Ok(a),
        _ => Err(bad_reply(what)),
    }
}

fn tag(v: &[Value]) -> Option<String> {
    v.first()
        .and_then(bytes)
        .and_then(|b| String::from_utf8(b).ok())
}

fn int_at(v: &[Value], i: usize, what: &str) -> Result<i64, StoreError> {
    v.get(i).and_then(int).ok_or_else(|| bad_reply(what))
}

fn u32_at(v: &[Value], i: usize, what: &str) -> Result<u32, StoreError> {
    int_at(v, i, what).and_then(|n| u32::try_from(n).map_err(|_| bad_reply(what)))
}

fn digest_at(v: &[Value], i: usize, what: &str) -> Result<Digest, StoreError> {
    v.get(i)
        .and_then(bytes)
        .and_then(|b| Digest::try_from(b.as_slice()).ok())
        .ok_or_else(|| bad_reply(what))
}

fn gone(v: Option<&Value>) -> Result<GoneReason, StoreError> {
    match v.and_then(bytes).as_deref() {
        Some(b"consumed") => Ok(GoneReason::Consumed),
        Some(b"expired") => Ok(GoneReason::Expired),
        Some(b"revoked") => Ok(GoneReason::Revoked),
        Some(b"removed") => Ok(GoneReason::Removed),
        _ => Err(bad_reply("gone reason")),
    }
}

fn corrupt(field: &str) -> StoreError {
    StoreError(format!("redis: corrupt record field {field}"))
}

fn num<T: std::str::FromStr>(b: &[u8], field: &str) -> Result<T, StoreError> {
    std::str::from_utf8(b)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| corrupt(field))
}

fn digest(b: &[u8], field: &str) -> Result<Digest, StoreError> {
    Digest::try_from(b).map_err(|_| corrupt(field))
}

/// Rebuilds a [`ShareRecord`] from `HGETALL`'s field/value pairs.
fn decode_record(pairs: &[Value]) -> Result<ShareRecord, StoreError> {
    let mut f: std::collections::HashMap<String, Vec<u8>> = std::collections::HashMap::new();
    for kv in pairs.chunks(2) {
        if let [k, v] = kv {
            let k = bytes(k)
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| bad_reply("HGETALL"))?;
            f.insert(k, bytes(v).unwrap_or_default());
        }
    }
    let get = |k: &str| f.get(k).map(Vec::as_slice).ok_or_else(|| corrupt(k));
    let kdf = match f.get("kdf") {
        Some(s) => {
            let parts: Vec<u32> = std::str::from_utf8(s)
                .map_err(|_| corrupt("kdf"))?
                .split(',')
                .map(|p| p.parse().map_err(|_| corrupt("kdf")))
                .collect::<Result<_, _>>()?;
            match parts[..] {
                [m_kib, t, p] => Some(KdfParams { m_kib, t, p }),
                _ => return Err(corrupt("kdf")),
            }
        }
        None => None,
    };
    let tk = f.get("tk").map(Vec::as_slice).unwrap_or_default();
    if !tk.len().is_multiple_of(TICKET_LEN) {
        return Err(corrupt("tk"));
    }
    let tickets = tk
        .chunks(TICKET_LEN)
        .map(|c| {
            Ok(Ticket {
                hash: digest(&c[..32], "tk")?,
                released: c[32] == b'1',
                expires_at: num(&c[33..], "tk")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let rp = f.get("rp").map(Vec::as_slice).unwrap_or_default();
    if !rp.len().is_multiple_of(REPLAY_LEN) {
        return Err(corrupt("rp"));
    }
    let replays = rp
        .chunks(REPLAY_LEN)
        .map(|c| {
            Ok(Replay {
                request_id: c[..16].try_into().map_err(|_| corrupt("rp"))?,
                ticket_hash: digest(&c[16..48], "rp")?,
                ticket_sealed: digest(&c[48..80], "rp")?,
                downloads_left: num(&c[80..], "rp")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let dl = f.get("dl").map(Vec::as_slice).unwrap_or_default();
    if !dl.len().is_multiple_of(DOWNLOAD_LEN) {
        return Err(corrupt("dl"));
    }
    let downloads = dl
        .chunks(DOWNLOAD_LEN)
        .map(|c| num(c, "dl"))
        .collect::<Result<Vec<_>, _>>()?;
    let is = |k: &str| f.get(k).is_some_and(|v| v.as_slice() == b"1");
    Ok(ShareRecord {
        state: state_from(get("st")?).ok_or_else(|| corrupt("st"))?,
        size: num(get("size")?, "size")?,
        created_at: num(get("cat")?, "cat")?,
        expires_at: num(get("exp")?, "exp")?,
        max_downloads: num(get("max")?, "max")?,
        downloads_left: num(get("left")?, "left")?,
        failed_attempts: num(get("fail")?, "fail")?,
        link_verifier: digest(get("lv")?, "lv")?,
        claim_verifier: digest(get("cv")?, "cv")?,
        meta: f.get("meta").cloned().unwrap_or_default(),
        kdf,
        manage_token_hash: digest(get("mh")?, "mh")?,
        upload_token_hash: f.get("uh").map(|u| digest(u, "uh")).transpose()?,
        inline: is("inl"),
        files_present: is("fp"),
        inline_present: is("ip"),
        tickets,
        replays,
        downloads,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_hex() {
        let id = ShareId::from_bytes([
            0, 1, 2, 0xfe, 0xff, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 255,
        ]);
        assert_eq!(hex(&id), "000102feff090a0b0c0d0e0f101112ff");
        assert_eq!(unhex(&hex(&id)), Some(id));
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex(&"g".repeat(32)), None);
    }

    #[test]
    fn cluster_urls_are_spelled_the_way_fred_reads_them() {
        let ok = |u: &str| fred_url(u).expect("a valid URL");
        assert_eq!(ok("redis://h:1/0"), "redis://h:1/0");
        assert_eq!(ok("rediss://u:p@h:1"), "rediss://u:p@h:1");
        assert_eq!(ok("redis-cluster://h:1"), "redis-cluster://h:1");
        assert_eq!(ok("redis+cluster://h:1"), "redis-cluster://h:1");
        assert_eq!(
            ok("redis+cluster://a:1,b:2,c:3"),
            "redis-cluster://a:1?node=b:2&node=c:3"
        );
        assert_eq!(
            ok("rediss+cluster://u:p@a:1,b:2/"),
            "rediss-cluster://u:p@a:1?node=b:2"
        );
        assert_eq!(
            ok("redis-cluster://a:1?node=b:2"),
            "redis-cluster://a:1?node=b:2"
        );
        assert_eq!(ok("valkey+cluster://a:1"), "valkey-cluster://a:1");
        for bad in ["h:1", "redis+cluster://", "redis-cluster://a,b:2"] {
            assert!(fred_url(bad).is_err(), "{bad}");
        }
        // fred itself picks a cluster from the translated URL.
        let config = FredConfig::from_url(&ok("redis+cluster://127.0.0.1:7000,127.0.0.1:7001"))
            .expect("fred reads it");
        assert!(config.server.is_clustered());
    }

    #[test]
    fn a_key_prefix_with_braces_is_refused() {
        let mut o = RedisOptions::new("redis://127.0.0.1:1");
        o.key_prefix = "a{b".into();
        assert!(RedisStore::open(&o).is_err());
    }

    #[test]
    fn every_script_has_a_distinct_sha() {
        let s = Scripts::new();
        let all = [
            &s.create,
            &s.claim,
            &s.complete,
            &s.open_blob,
            &s.touch_ticket,
            &s.stored_bytes,
            &s.release,
            &s.revoke,
            &s.files_deleted,
            &s.sweep_one,
            &s.index_ttl,
            &s.sweep_lease,
            &s.sweep_finish,
            &s.rate,
            &s.login,
            &s.login_global,
        ];
        let shas: std::collections::HashSet<&str> = all.iter().map(|s| s.sha.as_str()).collect();
        assert_eq!(shas.len(), all.len());
    }
}
