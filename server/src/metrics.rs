//! Prometheus metrics, served by `GET /metrics` on a listener of their own
//! (`--metrics-listen`), never on the public port.
//!
//! Each server owns its recorder (never the process-global one), so several
//! servers in one process keep their own counts. What is recorded where:
//!
//! - every request, by route template (never an id), method and status: the
//!   [`track`] middleware, which also counts the bytes of downloads as they flow;
//! - the outcome of a claim, a revoke, a rate limit or a store failure: where
//!   the API maps it (`api/error.rs`), through [`in_request`], which reaches the
//!   metrics of the server handling the request;
//! - live shares and stored bytes: gauges read from the store when scraped,
//!   so every instance on one Redis reports the same numbers, while counters
//!   are each instance's own.
//!
//! The counts the console charts (creates, claims, wrong passwords, locks,
//! revokes, rate-limit refusals) are also gathered per minute and added to the
//! store every few seconds ([`Metrics::flush_events`]), where every instance's
//! counts meet.

use std::{
    collections::{BTreeMap, HashMap},
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    extract::{MatchedPath, Request, State},
    http::{header, HeaderValue, Method},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use metrics::{Counter, Histogram, Label};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

use crate::{
    clock::Clock,
    store::{
        operator::{minute_of, EventCount, EventKind},
        ClaimOutcome, Store, StoreError,
    },
};

/// Buckets of `ots_http_request_duration_seconds`.
const DURATION_BUCKETS: [f64; 13] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];
/// How often histograms are drained and console counts go to the store.
pub(crate) const UPKEEP_PERIOD: Duration = Duration::from_secs(5);
/// The route label of a request no route matched (static files, unknown paths).
const UNMATCHED_ROUTE: &str = "unmatched";
/// The route template of downloads, whose bytes are counted.
const BLOB_ROUTE: &str = "/api/v1/shares/{id}/blob";

/// Every claim outcome label, so each series exists from the start.
const CLAIM_OUTCOMES: [&str; 8] = [
    "granted",
    "bad_link",
    "bad_password",
    "locked",
    "gone",
    "not_found",
    "not_ready",
    "rate_limited",
];
/// Every console sign-in outcome label.
pub(crate) const LOGIN_OUTCOMES: [&str; 5] = [
    "success",
    "wrong_password",
    "locked_out",
    "rate_limited",
    "refused",
];
/// Every sweeper deletion reason label.
const SWEEP_REASONS: [&str; 5] = ["expired", "consumed", "revoked", "removed", "orphan"];

/// One server's metrics.
pub(crate) struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    clock: Clock,
    download_bytes: Counter,
    /// `ots_claims_total` by outcome, in the order of [`CLAIM_OUTCOMES`]:
    /// a claim counts without building labels or a registry lookup.
    claims: [Counter; CLAIM_OUTCOMES.len()],
    /// `ots_shares_created_total` of anonymous creates, inline and parts.
    created_anonymous: [Counter; 2],
    /// Console counts not yet added to the store, by (minute, kind).
    pending: Mutex<BTreeMap<(i64, EventKind), u64>>,
    /// Held while the store gauges are read: scrapes at once wait for each other
    /// instead of reading the whole store side by side.
    gauges_read: tokio::sync::Mutex<()>,
    /// The request series met so far, by route template, then method and
    /// status: a request finds its counter and histogram without building
    /// labels or looking them up in the registry.
    http_series: Mutex<HashMap<String, Vec<HttpSeries>>>,
}

/// The counter and histogram of one route template, method and status.
struct HttpSeries {
    method: &'static str,
    status: u16,
    requests: Counter,
    duration: Histogram,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// A recorder of its own, every metric described and every fixed series at zero.
    pub(crate) fn new(clock: Clock) -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("ots_http_request_duration_seconds".into()),
                &DURATION_BUCKETS,
            )
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        let (download_bytes, claims, created_anonymous) =
            metrics::with_local_recorder(&recorder, fixed_series);
        Self {
            recorder,
            handle,
            clock,
            download_bytes,
            claims,
            created_anonymous,
            pending: Mutex::new(BTreeMap::new()),
            gauges_read: tokio::sync::Mutex::new(()),
            http_series: Mutex::new(HashMap::new()),
        }
    }

    fn counter(&self, name: &'static str, labels: Vec<Label>, n: u64) {
        metrics::with_local_recorder(&self.recorder, || {
            metrics::counter!(name, labels).increment(n)
        });
    }

    fn gauge(&self, name: &'static str, labels: Vec<Label>, value: f64) {
        metrics::with_local_recorder(&self.recorder, || metrics::gauge!(name, labels).set(value));
    }

    /// Counts an event for the console's charts.
    fn event(&self, kind: EventKind) {
        let minute = minute_of(self.clock.now());
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        *pending.entry((minute, kind)).or_default() += 1;
    }

    /// A request answered, by route template (`None`: no route matched), method and status.
    fn http(&self, route: Option<&str>, method: &Method, status: u16, took: Duration) {
        let method = match *method {
            Method::GET => "GET",
            Method::POST => "POST",
            Method::PUT => "PUT",
            Method::DELETE => "DELETE",
            Method::HEAD => "HEAD",
            Method::OPTIONS => "OPTIONS",
            Method::PATCH => "PATCH",
            _ => "other",
        };
        let template = route.unwrap_or(UNMATCHED_ROUTE);
        let mut known = self.http_series.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = known
            .get(template)
            .and_then(|v| v.iter().find(|s| s.method == method && s.status == status))
        {
            s.requests.increment(1);
            s.duration.record(took.as_secs_f64());
            return;
        }
        // First request of this series: register it (route templates, methods
        // and statuses are few, so the map stays small).
        let label = route.map_or_else(|| UNMATCHED_ROUTE.to_owned(), route_label);
        let (requests, duration) = metrics::with_local_recorder(&self.recorder, || {
            (
                metrics::counter!(
                    "ots_http_requests_total",
                    "route" => label.clone(),
                    "method" => method,
                    "status" => status.to_string()
                ),
                metrics::histogram!(
                    "ots_http_request_duration_seconds",
                    "route" => label,
                    "method" => method
                ),
            )
        });
        requests.increment(1);
        duration.record(took.as_secs_f64());
        known
            .entry(template.to_owned())
            .or_default()
            .push(HttpSeries {
                method,
                status,
                requests,
                duration,
            });
    }

    /// A share was created (`token`: the name of the create token it came with).
    pub(crate) fn created(&self, inline: bool, token: Option<&str>) {
        let mode = if inline { "inline" } else { "parts" };
        match token {
            None => self.created_anonymous[usize::from(!inline)].increment(1),
            Some(token) => self.counter(
                "ots_shares_created_total",
                vec![
                    Label::new("mode", mode),
                    Label::new("token", token.to_owned()),
                ],
                1,
            ),
        }
        self.event(EventKind::Created);
    }

    /// A claim was answered.
    pub(crate) fn claim(&self, outcome: &ClaimOutcome) {
        let label = match outcome {
            ClaimOutcome::Granted { replayed, .. } => {
                if !replayed {
                    self.event(EventKind::Claimed);
                }
                "granted"
            }
            ClaimOutcome::BadLink => "bad_link",
            ClaimOutcome::BadPassword { .. } => {
                self.event(EventKind::WrongPassword);
                "bad_password"
            }
            ClaimOutcome::LockedNow => {
                self.event(EventKind::WrongPassword);
                self.event(EventKind::Locked);
                "locked"
            }
            ClaimOutcome::Locked => "locked",
            ClaimOutcome::Gone(_) => "gone",
            ClaimOutcome::NotFound => "not_found",
            ClaimOutcome::NotReady => "not_ready",
        };
        self.claim_outcome(label);
    }

    /// Counts one claim with outcome `label` (one of [`CLAIM_OUTCOMES`]).
    fn claim_outcome(&self, label: &'static str) {
        match CLAIM_OUTCOMES.iter().position(|&o| o == label) {
            Some(i) => self.claims[i].increment(1),
            None => self.counter("ots_claims_total", vec![Label::new("outcome", label)], 1),
        }
    }

    /// A request refused by the rate limit of `action`.
    pub(crate) fn rate_limited(&self, action: &'static str) {
        self.counter(
            "ots_rate_limited_total",
            vec![Label::new("action", action)],
            1,
        );
        if action == "claim" {
            self.claim_outcome("rate_limited");
        }
        self.event(EventKind::RateLimited);
    }

    /// A sender revoked a share.
    pub(crate) fn revoked(&self) {
        self.counter("ots_shares_revoked_total", Vec::new(), 1);
        self.event(EventKind::Revoked);
    }

    /// The operator took a share down.
    pub(crate) fn removed(&self) {
        self.counter("ots_shares_removed_total", Vec::new(), 1);
    }

    /// The store failed (Redis down, disk error).
    pub(crate) fn store_error(&self) {
        self.counter("ots_store_errors_total", Vec::new(), 1);
    }

    /// The sweeper deleted a share's ciphertext for `reason`.
    pub(crate) fn swept(&self, reason: &'static str) {
        self.counter(
            "ots_sweeper_deleted_total",
            vec![Label::new("reason", reason)],
            1,
        );
    }

    /// A console sign-in attempt ended with `outcome` (one of [`LOGIN_OUTCOMES`]).
    pub(crate) fn admin_login(&self, outcome: &'static str) {
        self.counter(
            "ots_admin_logins_total",
            vec![Label::new("outcome", outcome)],
            1,
        );
    }

    /// Adds this instance's pending console counts to the store; on failure they
    /// wait for the next flush.
    pub(crate) async fn flush_events(&self, store: &dyn Store) -> Result<(), StoreError> {
        let batch: Vec<EventCount> = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            std::mem::take(&mut *pending)
                .into_iter()
                .map(|((minute, kind), count)| EventCount {
                    minute,
                    kind,
                    count,
                })
                .collect()
        };
        if batch.is_empty() {
            return Ok(());
        }
        if let Err(e) = store.add_events(batch.clone()).await {
            self.store_error();
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            for c in batch {
                *pending.entry((c.minute, c.kind)).or_default() += c.count;
            }
            return Err(e);
        }
        Ok(())
    }

    /// Reads the store gauges (one pass over the store's records).
    async fn refresh_gauges(&self, store: &dyn Store) {
        let _one_at_a_time = self.gauges_read.lock().await;
        let now = self.clock.now();
        match store.overview(now, 0, now).await {
            Ok(o) => {
                for (state, n) in [
                    ("uploading", o.live.uploading),
                    ("ready", o.live.ready),
                    ("downloading", o.live.downloading),
                    ("locked", o.live.locked),
                ] {
                    self.gauge(
                        "ots_shares_live",
                        vec![Label::new("state", state)],
                        n as f64,
                    );
                }
                self.gauge("ots_stored_bytes", Vec::new(), o.held_bytes as f64);
            }
            Err(e) => {
                // The gauges keep their last values; the error is counted and logged.
                self.store_error();
                tracing::warn!(error = %e, "could not read the store for the gauges");
            }
        }
    }

    /// Drains histograms (nothing else does).
    pub(crate) fn upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// The Prometheus text of every metric.
    fn render(&self) -> String {
        self.handle.render()
    }
}

/// Describes every metric and puts every fixed series at zero (on the local
/// recorder); returns the handles requests count with: download bytes,
/// claims by outcome, anonymous creates (inline, parts).
fn fixed_series() -> (Counter, [Counter; CLAIM_OUTCOMES.len()], [Counter; 2]) {
    describe();
    let claims = CLAIM_OUTCOMES.map(|o| {
        let c = metrics::counter!("ots_claims_total", "outcome" => o);
        c.absolute(0);
        c
    });
    for o in LOGIN_OUTCOMES {
        metrics::counter!("ots_admin_logins_total", "outcome" => o).absolute(0);
    }
    for r in SWEEP_REASONS {
        metrics::counter!("ots_sweeper_deleted_total", "reason" => r).absolute(0);
    }
    for a in ["create", "claim"] {
        metrics::counter!("ots_rate_limited_total", "action" => a).absolute(0);
    }
    let created_anonymous = ["inline", "parts"].map(|mode| {
        let c =
            metrics::counter!("ots_shares_created_total", "mode" => mode, "token" => "anonymous");
        c.absolute(0);
        c
    });
    metrics::counter!("ots_store_errors_total").absolute(0);
    metrics::counter!("ots_shares_revoked_total").absolute(0);
    metrics::counter!("ots_shares_removed_total").absolute(0);
    metrics::gauge!("ots_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    (
        metrics::counter!("ots_downloads_bytes_total"),
        claims,
        created_anonymous,
    )
}

/// HELP text of every metric.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "ots_http_requests_total",
        "HTTP requests answered, by route template, method and status"
    );
    describe_histogram!(
        "ots_http_request_duration_seconds",
        Unit::Seconds,
        "time to answer a request (until the response headers), by route template and method"
    );
    describe_counter!(
        "ots_shares_created_total",
        "shares created, by mode (inline or parts) and create token name"
    );
    describe_counter!("ots_claims_total", "claims answered, by outcome");
    describe_counter!(
        "ots_downloads_bytes_total",
        Unit::Bytes,
        "ciphertext bytes sent to ticket holders"
    );
    describe_gauge!(
        "ots_shares_live",
        "live shares in the store, by state (every instance reports the store's count)"
    );
    describe_gauge!(
        "ots_stored_bytes",
        Unit::Bytes,
        "ciphertext bytes the store holds shares for"
    );
    describe_counter!(
        "ots_rate_limited_total",
        "requests refused by a rate limit, by action"
    );
    describe_counter!(
        "ots_sweeper_deleted_total",
        "shares whose ciphertext files the sweeper deleted, by reason"
    );
    describe_counter!("ots_store_errors_total", "failed store operations");
    describe_counter!(
        "ots_admin_logins_total",
        "console sign-in attempts, by outcome"
    );
    describe_counter!("ots_shares_revoked_total", "shares revoked by their sender");
    describe_counter!(
        "ots_shares_removed_total",
        "shares taken down by the operator"
    );
    describe_gauge!("ots_build_info", "the running version");
}

tokio::task_local! {
    /// The metrics of the server handling the current request, and the rate-limited action of its route.
    static SCOPE: RequestScope;
}

/// What [`in_request`] hands out.
#[derive(Clone)]
struct RequestScope {
    metrics: Arc<Metrics>,
    action: Option<&'static str>,
}

/// Runs `f` with the metrics of the server handling the current request and the
/// action its route counts as for rate limits (`"create"`, `"claim"`); outside a
/// request (unit tests of a single handler) it does nothing.
pub(crate) fn in_request(f: impl FnOnce(&Metrics, Option<&'static str>)) {
    let _ = SCOPE.try_with(|s| f(&s.metrics, s.action));
}

/// A route template as a label: `/s/{id}` becomes `/s/:id` (braces in label
/// values trip up some Prometheus text parsers).
fn route_label(template: &str) -> String {
    template
        .chars()
        .filter(|&c| c != '}')
        .map(|c| if c == '{' { ':' } else { c })
        .collect()
}

/// The rate-limited action a route counts as.
fn action_of(route: &str, method: &Method) -> Option<&'static str> {
    if route.ends_with("/shares") && method == Method::POST {
        Some("create")
    } else if route.ends_with("/claim") {
        Some("claim")
    } else {
        None
    }
}

/// Middleware: counts and times every request, makes the server's metrics
/// reachable while it is handled, and counts the bytes of downloads as they are sent.
pub(crate) async fn around<F, Fut>(metrics: &Arc<Metrics>, req: Request, inner: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let route = req.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map(MatchedPath::as_str);
    let method = req.method().clone();
    let started = Instant::now();
    let scope = RequestScope {
        metrics: metrics.clone(),
        action: route.and_then(|r| action_of(r, &method)),
    };
    let res = SCOPE.scope(scope, inner(req)).await;
    metrics.http(route, &method, res.status().as_u16(), started.elapsed());
    if route == Some(BLOB_ROUTE) && method == Method::GET && res.status().is_success() {
        let counter = metrics.download_bytes.clone();
        return res.map(|body| {
            Body::new(CountedBody {
                inner: body,
                counter,
            })
        });
    }
    res
}

/// A response body that counts its bytes as they are sent.
struct CountedBody {
    inner: Body,
    counter: Counter,
}

impl HttpBody for CountedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                self.counter.increment(data.len() as u64);
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// What the metrics listener reads: this instance's metrics and the store.
type Source = (Arc<Metrics>, Arc<dyn Store>);

/// The router of the metrics listener: `GET /metrics` and nothing else.
pub(crate) fn router(metrics: Arc<Metrics>, store: Arc<dyn Store>) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state((metrics, store))
}

/// The Prometheus text format, with the store gauges fresh.
async fn scrape(State((metrics, store)): State<Source>) -> Response {
    metrics.refresh_gauges(&*store).await;
    let mut res = metrics.render().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Drains histograms and adds console counts to the store, every [`UPKEEP_PERIOD`].
pub(crate) async fn upkeep(metrics: Arc<Metrics>, store: Arc<dyn Store>) {
    let mut tick = tokio::time::interval(UPKEEP_PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        metrics.upkeep();
        if let Err(e) = metrics.flush_events(&*store).await {
            tracing::warn!(error = %e, "could not add console counts to the store");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn two_servers_in_one_process_keep_their_own_counts() {
        let a = Metrics::new(Clock::manual(1_700_000_000));
        let b = Metrics::new(Clock::manual(1_700_000_000));
        a.claim(&ClaimOutcome::BadLink);
        a.claim(&ClaimOutcome::BadLink);
        b.claim(&ClaimOutcome::NotFound);
        assert!(a
            .render()
            .contains("ots_claims_total{outcome=\"bad_link\"} 2"));
        assert!(b
            .render()
            .contains("ots_claims_total{outcome=\"bad_link\"} 0"));
        assert!(b
            .render()
            .contains("ots_claims_total{outcome=\"not_found\"} 1"));
    }

    #[test]
    fn console_counts_wait_per_minute_and_kind() {
        let clock = Clock::manual(1_800_000_030);
        let m = Metrics::new(clock.clone());
        m.claim(&ClaimOutcome::LockedNow);
        m.claim(&ClaimOutcome::BadPassword { attempts_left: 1 });
        clock.advance(60);
        m.rate_limited("claim");
        let pending = m.pending.lock().unwrap().clone();
        let minute = 1_800_000_000;
        assert_eq!(pending.get(&(minute, EventKind::WrongPassword)), Some(&2));
        assert_eq!(pending.get(&(minute, EventKind::Locked)), Some(&1));
        assert_eq!(
            pending.get(&(minute + 60, EventKind::RateLimited)),
            Some(&1)
        );
        assert!(m
            .render()
            .contains("ots_claims_total{outcome=\"rate_limited\"} 1"));
    }

    #[test]
    fn route_labels_are_templates_without_braces() {
        assert_eq!(
            route_label("/api/v1/shares/{id}/parts/{index}"),
            "/api/v1/shares/:id/parts/:index"
        );
        assert_eq!(route_label("/api/{*rest}"), "/api/:*rest");
    }

    #[test]
    fn routes_that_are_rate_limited_name_their_action() {
        assert_eq!(action_of("/api/v1/shares", &Method::POST), Some("create"));
        assert_eq!(
            action_of("/api/v1/shares/{id}/claim", &Method::POST),
            Some("claim")
        );
        assert_eq!(action_of("/api/v1/shares/{id}", &Method::GET), None);
    }
}
