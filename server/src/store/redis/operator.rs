//! [`OperatorStore`] for the Redis store.
//!
//! A takedown is one Lua script on the share's slot, like every share
//! operation. The overview walks the sweep index (which names every share the
//! store remembers) with `ZSCAN` and reads the few fields it needs of each
//! record: its cost grows with the number of remembered shares, so callers
//! keep its answer for a few seconds.
//!
//! The console's keys, one slot each (so Redis Cluster is fine):
//! - `{prefix}console:session:<hex>`: a session (JSON), expiring with it;
//! - `{prefix}console:audit`: the newest audit entries (JSON), a capped list;
//! - `{prefix}console:events:<hour>`: counts of one hour, field `<minute>:<kind>`;
//! - `{prefix}console:event-hours`: the hours that have counts (score = hour).

use std::sync::LazyLock;

use fred::{
    interfaces::{ClientLike, HashesInterface, KeysInterface, ListInterface, SortedSetsInterface},
    types::{scan::Scanner, Expiration, Value},
};
use futures_util::{stream, StreamExt, TryStreamExt};

use super::{bad_reply, bytes, err, int, items, tag, unhex, RedisStore, Script, TICKET_LEN};
use crate::{
    clock::system_now,
    store::{
        operator::{
            merge_events, minute_of, AuditEntry, ConsoleSession, EventCount, EventKind, Glance,
            Overview, OverviewBuilder, TakedownOutcome, AUDIT_KEEP, EVENT_RETENTION_SECS,
        },
        Digest, OperatorStore, ShareId, StoreError, StoreFuture, UnixSecs,
    },
};

static TAKEDOWN: LazyLock<Script> = LazyLock::new(|| Script::share(include_str!("takedown.lua")));

/// Records read at once by an overview.
const OVERVIEW_CONCURRENCY: usize = 64;
/// Members per `ZSCAN` page.
const OVERVIEW_PAGE: u32 = 1000;
/// An hour, the span of one event hash.
const HOUR_SECS: i64 = 3600;

/// The fields an overview reads of a record.
const GLANCE_FIELDS: [&str; 9] = ["st", "size", "cat", "exp", "left", "fail", "ip", "fp", "tk"];

impl RedisStore {
    fn console_key(&self, rest: &str) -> String {
        format!("{}console:{rest}", self.inner.prefix)
    }

    fn session_key(&self, key: &Digest) -> String {
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        self.console_key(&format!("session:{hex}"))
    }

    async fn take_down_share(
        &self,
        id: ShareId,
        now: UnixSecs,
    ) -> Result<TakedownOutcome, StoreError> {
        let keys = vec![self.rec_key(&id), self.payload_key(&id)];
        let reply = self.eval(&TAKEDOWN, keys, Vec::new()).await?;
        let v = items(&reply, "takedown")?;
        Ok(match tag(v).as_deref() {
            Some("notfound") => TakedownOutcome::NotFound,
            Some("removed") => {
                let delete_files = v.get(1).and_then(int) == Some(1);
                let already = v.get(2).and_then(int) == Some(1);
                if delete_files {
                    // The caller deletes the files now; should it fail, the next sweep retries.
                    self.schedule_quietly(&id, now).await;
                }
                TakedownOutcome::Removed {
                    delete_files,
                    already,
                }
            }
            _ => return Err(bad_reply("takedown")),
        })
    }

    /// Reads the glance of the share `member` (a hex id in the sweep index).
    async fn glance(
        &self,
        member: String,
        now: UnixSecs,
    ) -> Result<Option<(ShareId, Glance)>, StoreError> {
        let Some(id) = unhex(&member) else {
            return Ok(None);
        };
        let client = self.client().with_options(&self.inner.options);
        let reply: Value = client
            .hmget(self.rec_key(&id), GLANCE_FIELDS.to_vec())
            .await
            .map_err(err)?;
        let Value::Array(f) = reply else {
            return Err(bad_reply("HMGET"));
        };
        let field = |i: usize| f.get(i).and_then(bytes);
        let Some(state) = field(0).and_then(|s| super::state_from(&s)) else {
            // Forgotten since the index named it.
            return Ok(None);
        };
        let number = |i: usize| f.get(i).and_then(int).ok_or_else(|| bad_reply("HMGET"));
        let tickets = field(8).unwrap_or_default();
        let live_ticket = tickets.chunks(TICKET_LEN).any(|t| {
            t.len() == TICKET_LEN
                && t[32] == b'0'
                && std::str::from_utf8(&t[33..])
                    .ok()
                    .and_then(|s| s.parse::<i64>().ok())
                    .is_some_and(|exp| now < exp)
        });
        let glance = Glance {
            state,
            size: u64::try_from(number(1)?).map_err(|_| bad_reply("size"))?,
            created_at: number(2)?,
            expires_at: number(3)?,
            downloads_left: u32::try_from(number(4)?).map_err(|_| bad_reply("left"))?,
            failed_attempts: u32::try_from(number(5)?).map_err(|_| bad_reply("fail"))?,
            bytes_held: field(6).as_deref() == Some(b"1") || field(7).as_deref() == Some(b"1"),
            live_ticket,
        };
        Ok(Some((id, glance)))
    }

    async fn overview_of_all(
        &self,
        now: UnixSecs,
        recent: usize,
        expired_since: UnixSecs,
    ) -> Result<Overview, StoreError> {
        let mut members = std::collections::HashSet::new();
        let mut pages =
            std::pin::pin!(self
                .client()
                .zscan(self.index_key(), "*", Some(OVERVIEW_PAGE)));
        while let Some(page) = pages.next().await {
            let mut page = page.map_err(err)?;
            for (member, _) in page.take_results().unwrap_or_default() {
                if let Some(m) = bytes(&member).and_then(|b| String::from_utf8(b).ok()) {
                    members.insert(m);
                }
            }
            // Dropping the page asks for the next one.
        }
        let glances: Vec<Option<(ShareId, Glance)>> = stream::iter(members)
            .map(|m| self.glance(m, now))
            .buffer_unordered(OVERVIEW_CONCURRENCY)
            .try_collect()
            .await?;
        let mut b = OverviewBuilder::new(now, recent, expired_since);
        for (id, g) in glances.into_iter().flatten() {
            b.add(&id, &g);
        }
        Ok(b.finish())
    }

    async fn add_event_counts(&self, counts: Vec<EventCount>) -> Result<(), StoreError> {
        let client = self.client().with_options(&self.inner.options);
        let hours_key = self.console_key("event-hours");
        let mut newest = UnixSecs::MIN;
        for c in merge_events(counts) {
            let hour = c.minute.div_euclid(HOUR_SECS) * HOUR_SECS;
            let key = self.console_key(&format!("events:{hour}"));
            let field = format!("{}:{}", c.minute, c.kind.code());
            let n = i64::try_from(c.count).unwrap_or(i64::MAX);
            let _: Value = client.hincrby(&key, field, n).await.map_err(err)?;
            let _: Value = client
                .expire_at(&key, hour + HOUR_SECS + EVENT_RETENTION_SECS, None)
                .await
                .map_err(err)?;
            let _: Value = client
                .zadd(&hours_key, None, None, false, false, (hour as f64, hour))
                .await
                .map_err(err)?;
            newest = newest.max(c.minute);
        }
        if newest > UnixSecs::MIN {
            let cut = minute_of(newest - EVENT_RETENTION_SECS - HOUR_SECS);
            let _: Value = client
                .zremrangebyscore(&hours_key, f64::NEG_INFINITY, cut as f64)
                .await
                .map_err(err)?;
            let _: Value = client
                .expire_at(&hours_key, newest + EVENT_RETENTION_SECS + HOUR_SECS, None)
                .await
                .map_err(err)?;
        }
        Ok(())
    }

    async fn event_counts_since(&self, since: UnixSecs) -> Result<Vec<EventCount>, StoreError> {
        let client = self.client().with_options(&self.inner.options);
        let from_hour = minute_of(since).div_euclid(HOUR_SECS) * HOUR_SECS;
        let hours: Vec<i64> = client
            .zrangebyscore(
                self.console_key("event-hours"),
                from_hour as f64,
                f64::INFINITY,
                false,
                None,
            )
            .await
            .map_err(err)?;
        let mut out = Vec::new();
        for hour in hours {
            let reply: Value = client
                .hgetall(self.console_key(&format!("events:{hour}")))
                .await
                .map_err(err)?;
            let pairs: Vec<(Value, Value)> = match reply {
                Value::Array(v) => v
                    .chunks(2)
                    .filter_map(|kv| match kv {
                        [k, v] => Some((k.clone(), v.clone())),
                        _ => None,
                    })
                    .collect(),
                Value::Map(m) => m
                    .inner()
                    .into_iter()
                    .map(|(k, v)| (Value::Bytes(k.into_bytes()), v))
                    .collect(),
                Value::Null => Vec::new(),
                _ => return Err(bad_reply("HGETALL")),
            };
            for (k, v) in pairs {
                let Some(field) = bytes(&k).and_then(|b| String::from_utf8(b).ok()) else {
                    continue;
                };
                let Some((minute, code)) = field.split_once(':') else {
                    continue;
                };
                let (Ok(minute), Some(kind), Some(count)) = (
                    minute.parse::<i64>(),
                    code.parse::<u8>().ok().and_then(EventKind::from_code),
                    int(&v).and_then(|n| u64::try_from(n).ok()),
                ) else {
                    continue;
                };
                if minute >= minute_of(since) {
                    out.push(EventCount {
                        minute,
                        kind,
                        count,
                    });
                }
            }
        }
        Ok(merge_events(out))
    }

    async fn store_session(&self, key: Digest, s: ConsoleSession) -> Result<(), StoreError> {
        let client = self.client().with_options(&self.inner.options);
        let json = serde_json::to_string(&s).map_err(StoreError::new)?;
        // Redis counts by its own clock: never let a session vanish before the server says so.
        let until = s.ends_at.max(system_now() + 60);
        let _: Value = client
            .set(
                self.session_key(&key),
                json,
                Some(Expiration::EXAT(until)),
                None,
                false,
            )
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn load_session(&self, key: Digest) -> Result<Option<ConsoleSession>, StoreError> {
        let client = self.client().with_options(&self.inner.options);
        let v: Value = client.get(self.session_key(&key)).await.map_err(err)?;
        Ok(bytes(&v).and_then(|b| serde_json::from_slice(&b).ok()))
    }

    async fn forget_session(&self, key: Digest) -> Result<(), StoreError> {
        let client = self.client().with_options(&self.inner.options);
        let _: Value = client.del(self.session_key(&key)).await.map_err(err)?;
        Ok(())
    }

    async fn push_audit(&self, entry: AuditEntry) -> Result<(), StoreError> {
        let client = self.client().with_options(&self.inner.options);
        let key = self.console_key("audit");
        let json = serde_json::to_string(&entry).map_err(StoreError::new)?;
        let _: Value = client.lpush(&key, json).await.map_err(err)?;
        let keep = i64::try_from(AUDIT_KEEP).unwrap_or(i64::MAX);
        let _: Value = client.ltrim(&key, 0, keep - 1).await.map_err(err)?;
        Ok(())
    }

    async fn newest_audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let client = self.client().with_options(&self.inner.options);
        let last = i64::try_from(limit).unwrap_or(i64::MAX) - 1;
        let v: Value = client
            .lrange(self.console_key("audit"), 0, last)
            .await
            .map_err(err)?;
        Ok(match v {
            Value::Array(items) => items
                .iter()
                .filter_map(|i| bytes(i).and_then(|b| serde_json::from_slice(&b).ok()))
                .collect(),
            _ => Vec::new(),
        })
    }
}

impl OperatorStore for RedisStore {
    fn take_down(&self, id: ShareId, now: UnixSecs) -> StoreFuture<'_, TakedownOutcome> {
        Box::pin(self.take_down_share(id, now))
    }

    fn overview(
        &self,
        now: UnixSecs,
        recent: usize,
        expired_since: UnixSecs,
    ) -> StoreFuture<'_, Overview> {
        Box::pin(self.overview_of_all(now, recent, expired_since))
    }

    fn add_events(&self, counts: Vec<EventCount>) -> StoreFuture<'_, ()> {
        Box::pin(self.add_event_counts(counts))
    }

    fn events_since(&self, since: UnixSecs) -> StoreFuture<'_, Vec<EventCount>> {
        Box::pin(self.event_counts_since(since))
    }

    fn put_session(&self, key: Digest, session: ConsoleSession) -> StoreFuture<'_, ()> {
        Box::pin(self.store_session(key, session))
    }

    fn session(&self, key: Digest) -> StoreFuture<'_, Option<ConsoleSession>> {
        Box::pin(self.load_session(key))
    }

    fn drop_session(&self, key: Digest) -> StoreFuture<'_, ()> {
        Box::pin(self.forget_session(key))
    }

    fn add_audit(&self, entry: AuditEntry) -> StoreFuture<'_, ()> {
        Box::pin(self.push_audit(entry))
    }

    fn recent_audit(&self, limit: usize) -> StoreFuture<'_, Vec<AuditEntry>> {
        Box::pin(self.newest_audit(limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_takedown_script_is_a_share_script() {
        assert!(TAKEDOWN.body.contains("local function gone_reason"));
        assert!(TAKEDOWN.body.contains("'removed'"));
    }
}
