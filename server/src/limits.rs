//! Abuse limits: per-address token buckets and the request-body idle timeout.

use std::{
    collections::HashMap,
    future::Future,
    net::{IpAddr, Ipv6Addr, SocketAddr},
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::{Duration, Instant},
};

use axum::{body::Body, extract::Request, http::HeaderMap};
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use ipnet::IpNet;
use tokio::time::Sleep;

use crate::store::StoreError;

/// The peer address of a connection, set by the server loop.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClientAddr(pub(crate) SocketAddr);

/// Who a request comes from, as the abuse limits count clients.
#[derive(Clone, Debug)]
pub(crate) struct ClientKeys {
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    trusted_proxies: Vec<IpNet>,
    /// IPv6 clients are counted by this prefix.
    ipv6_prefix_len: u8,
}

impl ClientKeys {
    /// Keys from the trusted proxies and the IPv6 prefix length.
    pub(crate) fn new(trusted_proxies: Vec<IpNet>, ipv6_prefix_len: u8) -> Self {
        Self {
            trusted_proxies,
            ipv6_prefix_len: ipv6_prefix_len.min(128),
        }
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: the TCP peer, or, when the peer is a trusted
    /// proxy, the right-most `X-Forwarded-For` address that is not one (what
    /// the client itself wrote further left is never believed).
    pub(crate) fn client_ip(&self, peer: &ClientAddr, headers: &HeaderMap) -> IpAddr {
        let mut ip = canonical(peer.0.ip());
        if !self.trusted(ip) {
            return ip;
        }
        let values: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        for entry in values.iter().rev().flat_map(|v| v.rsplit(',')) {
            // A malformed hop ends the chain: the last trusted proxy is the client we know.
            let Some(hop) = parse_hop(entry) else {
                return ip;
            };
            ip = hop;
            if !self.trusted(ip) {
                return ip;
            }
        }
        ip
    }

    /// The key a client's buckets and caps are kept under: an IPv4 address
    /// itself, an IPv6 address's prefix (one /64 is one client by default).
    pub(crate) fn key(&self, peer: &ClientAddr, headers: &HeaderMap) -> IpAddr {
        match self.client_ip(peer, headers) {
            IpAddr::V6(v6) => {
                let bits = u128::from(v6);
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.ipv6_prefix_len))
                    .unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(bits & mask))
            }
            v4 => v4,
        }
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// One `X-Forwarded-For` entry: an address, maybe with a port.
fn parse_hop(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(canonical)
}

/// Buckets kept before idle (full) ones are dropped.
const MAX_BUCKETS: usize = 100_000;

/// A request over its address's rate: the client may try again after `retry_after` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limited {
    /// Seconds until the bucket holds a token again (at least 1).
    pub(crate) retry_after: u64,
}

/// Rate-limit counts every instance shares (Redis): one atomic step per request.
pub(crate) trait SharedCounts: Send + Sync {
    /// Takes one request of `per_min` a minute for `key`: `None` when it may
    /// go ahead, otherwise how long until it may.
    fn take<'a>(
        &'a self,
        key: &'a str,
        per_min: u32,
    ) -> Pin<Box<dyn Future<Output = Result<Option<Duration>, StoreError>> + Send + 'a>>;

    /// One step of the console's sign-in limits for `address` at `now` (Unix
    /// seconds): `max_wrong` wrong passwords lock it out for `lockout_secs`,
    /// and at most `global_per_min` wrong passwords a minute are checked from
    /// all addresses together.
    fn login<'a>(
        &'a self,
        step: LoginStep,
        address: &'a str,
        now: i64,
        limits: (u32, i64, u32),
    ) -> Pin<Box<dyn Future<Output = Result<LoginCounts, StoreError>> + Send + 'a>>;
}

/// A step of the console's sign-in limits, counted in [`SharedCounts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LoginStep {
    /// May a sign-in from this address be checked now?
    Check,
    /// A wrong password from this address.
    Wrong,
    /// A right password: the address's count starts again.
    Success,
}

/// What the shared sign-in counts say after a [`LoginStep`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LoginCounts {
    /// Seconds the address is still locked out (0: it is not).
    pub(crate) locked_for: u64,
    /// Wrong passwords the address may still try before the lockout.
    pub(crate) left: u32,
    /// Seconds until sign-ins are checked again because of wrong passwords
    /// from everywhere (0: now; only asked by [`LoginStep::Check`]).
    pub(crate) busy_for: u64,
}

/// A token bucket per client address: `per_min` requests a minute, bursts up to `per_min`.
/// With [`SharedCounts`] the bucket lives there (one limit for all instances);
/// the memory bucket then only stands in while the shared counts cannot be reached.
pub(crate) struct RateLimiter {
    per_min: u32,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
    shared: Option<(&'static str, Arc<dyn SharedCounts>)>,
}

impl RateLimiter {
    /// A limiter; `0` disables it.
    pub(crate) fn per_minute(per_min: u32) -> Self {
        Self {
            per_min,
            buckets: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// The same limit, counted in `counts` under `scope` (e.g. `create`).
    pub(crate) fn shared(mut self, scope: &'static str, counts: Arc<dyn SharedCounts>) -> Self {
        self.shared = Some((scope, counts));
        self
    }

    /// Takes one request for `ip`: in the shared counts when there are some,
    /// otherwise (or while they cannot be reached) in this instance's bucket.
    pub(crate) async fn take(&self, ip: IpAddr) -> Result<(), Limited> {
        if self.per_min == 0 {
            return Ok(());
        }
        if let Some((scope, counts)) = &self.shared {
            let key = format!("{scope}:{ip}");
            match counts.take(&key, self.per_min).await {
                Ok(None) => return Ok(()),
                Ok(Some(wait)) => {
                    return Err(Limited {
                        retry_after: wait.as_secs_f64().ceil().max(1.0) as u64,
                    })
                }
                Err(e) => {
                    tracing::warn!(error = %e, "shared rate limit unavailable: counting here");
                }
            }
        }
        self.check(ip)
    }

    /// Takes one token for `ip`, or says how long to wait.
    pub(crate) fn check(&self, ip: IpAddr) -> Result<(), Limited> {
        if self.per_min == 0 {
            return Ok(());
        }
        let cap = f64::from(self.per_min);
        let rate = cap / 60.0;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_BUCKETS {
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < cap
            });
        }
        let (tokens, at) = buckets.entry(ip).or_insert((cap, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(cap);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - *tokens) / rate).ceil().max(1.0);
            Err(Limited {
                retry_after: wait as u64,
            })
        }
    }
}

/// Open slots per client key (uploads or downloads in flight from one address).
pub(crate) struct AddressSlots {
    per_address: u32,
    open: Arc<Mutex<HashMap<IpAddr, u32>>>,
}

/// One taken slot; given back when dropped.
pub(crate) struct AddressSlot {
    key: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, u32>>>,
}

impl AddressSlots {
    /// At most `per_address` at once per key (`0` means no cap).
    pub(crate) fn new(per_address: u32) -> Self {
        Self {
            per_address,
            open: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// A slot for `key`, or `None` when its address holds all it may.
    pub(crate) fn take(&self, key: IpAddr) -> Option<AddressSlot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(key).or_insert(0);
        if self.per_address > 0 && *n >= self.per_address {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            key,
            open: self.open.clone(),
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// A request body that fails when no data arrives for `timeout`.
struct IdleTimeoutBody {
    inner: Body,
    timeout: Duration,
    sleep: Pin<Box<Sleep>>,
}

impl IdleTimeoutBody {
    /// Wraps `inner`; the clock starts now.
    fn new(inner: Body, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            sleep: Box::pin(tokio::time::sleep(timeout)),
        }
    }
}

impl HttpBody for IdleTimeoutBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                let deadline = tokio::time::Instant::now() + this.timeout;
                this.sleep.as_mut().reset(deadline);
                Poll::Ready(frame)
            }
            Poll::Pending => match this.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    Poll::Ready(Some(Err(axum::Error::new("request body idle timeout"))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Middleware: every request body gets the idle timeout.
pub(crate) fn idle_timeout_body(timeout: Duration, req: Request) -> Request {
    if req.body().is_end_stream() {
        // No body to wait for (GET, DELETE, empty POST).
        return req;
    }
    req.map(|b| Body::new(IdleTimeoutBody::new(b, timeout)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().expect("header"));
        }
        h
    }

    fn peer(ip: &str) -> ClientAddr {
        ClientAddr(SocketAddr::new(ip.parse().expect("ip"), 4000))
    }

    #[test]
    fn forwarded_for_is_read_right_to_left_and_only_from_trusted_proxies() {
        let keys = ClientKeys::new(
            vec![
                "10.0.0.0/8".parse().expect("net"),
                "fd00::/8".parse().expect("net"),
            ],
            64,
        );
        let ip = |p: &str, xff: &[&str]| keys.client_ip(&peer(p), &headers(xff)).to_string();
        assert_eq!(ip("192.0.2.1", &["198.51.100.1"]), "192.0.2.1");
        assert_eq!(ip("10.0.0.1", &["198.51.100.1"]), "198.51.100.1");
        assert_eq!(
            ip("10.0.0.1", &["6.6.6.6, 198.51.100.1, 10.2.2.2"]),
            "198.51.100.1"
        );
        assert_eq!(ip("10.0.0.1", &["6.6.6.6", "198.51.100.1"]), "198.51.100.1");
        assert_eq!(ip("10.0.0.1", &["198.51.100.1:5000"]), "198.51.100.1");
        assert_eq!(ip("10.0.0.1", &["junk, 10.3.3.3"]), "10.3.3.3");
        assert_eq!(ip("10.0.0.1", &[]), "10.0.0.1");
        assert_eq!(ip("::ffff:10.0.0.1", &["2001:db8::1"]), "2001:db8::1");
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_prefix() {
        let keys = ClientKeys::new(Vec::new(), 64);
        let key = |p: &str| keys.key(&peer(p), &HeaderMap::new()).to_string();
        assert_eq!(key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::");
        assert_eq!(key("2001:db8:1:2::ffff"), "2001:db8:1:2::");
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        let whole = ClientKeys::new(Vec::new(), 128);
        assert_eq!(
            whole
                .key(&peer("2001:db8::7"), &HeaderMap::new())
                .to_string(),
            "2001:db8::7"
        );
    }

    #[test]
    fn address_slots_are_capped_per_key_and_given_back_on_drop() {
        let slots = AddressSlots::new(2);
        let a: IpAddr = "192.0.2.1".parse().expect("ip");
        let b: IpAddr = "192.0.2.2".parse().expect("ip");
        let first = slots.take(a).expect("one");
        let _second = slots.take(a).expect("two");
        assert!(slots.take(a).is_none());
        assert!(slots.take(b).is_some());
        drop(first);
        assert!(slots.take(a).is_some());
    }

    #[test]
    fn bucket_allows_its_burst_then_refuses() {
        let l = RateLimiter::per_minute(3);
        let ip: IpAddr = "192.0.2.1".parse().expect("ip");
        for _ in 0..3 {
            assert!(l.check(ip).is_ok());
        }
        assert!(matches!(l.check(ip), Err(Limited { retry_after }) if retry_after >= 1));
        assert!(l.check("192.0.2.2".parse().expect("ip")).is_ok());
        assert!(RateLimiter::per_minute(0).check(ip).is_ok());
    }
}
