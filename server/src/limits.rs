//! Abuse limits: per-address token buckets and the request-body idle timeout.

use std::{
    collections::HashMap,
    future::Future,
    net::{IpAddr, SocketAddr},
    pin::Pin,
    sync::Mutex,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use axum::{body::Body, extract::Request, http::HeaderMap, middleware::Next, response::Response};
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::time::Sleep;

/// The peer address of a connection, set by the server loop.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClientAddr(pub(crate) SocketAddr);

impl ClientAddr {
    /// The client's address: the peer, or with `trust_proxy` the last `X-Forwarded-For` entry
    /// (the one the trusted proxy appended).
    pub(crate) fn ip(&self, headers: &HeaderMap, trust_proxy: bool) -> IpAddr {
        if trust_proxy {
            let last = headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|s| s.trim().parse::<IpAddr>().ok())
                .next_back();
            if let Some(ip) = last {
                return ip;
            }
        }
        self.0.ip()
    }
}

/// Buckets kept before idle (full) ones are dropped.
const MAX_BUCKETS: usize = 100_000;

/// A request over its address's rate: the client may try again after `retry_after` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limited {
    /// Seconds until the bucket holds a token again (at least 1).
    pub(crate) retry_after: u64,
}

/// A token bucket per client address: `per_min` requests a minute, bursts up to `per_min`.
pub(crate) struct RateLimiter {
    per_min: u32,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    /// A limiter; `0` disables it.
    pub(crate) fn per_minute(per_min: u32) -> Self {
        Self {
            per_min,
            buckets: Mutex::new(HashMap::new()),
        }
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
pub(crate) async fn body_idle_timeout(timeout: Duration, req: Request, next: Next) -> Response {
    if req.body().is_end_stream() {
        // No body to wait for (GET, DELETE, empty POST).
        return next.run(req).await;
    }
    let req = req.map(|b| Body::new(IdleTimeoutBody::new(b, timeout)));
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

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
