//! The operator's side on real listeners: create tokens (and their reload on
//! SIGHUP in the real binary), takedown on both stores, Prometheus metrics read
//! by a real parser, and the audit log of the real binary in JSON.
#![allow(clippy::unwrap_used)]

mod common;
#[cfg(feature = "redis")]
#[path = "common/redis.rs"]
mod redis_server;

use std::{
    collections::HashMap,
    io::{BufRead, BufReader, Write},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use common::*;
use serde_json::{json, Value};

const PASSWORD: &str = "operator password";

/// A valid protocol payload: 1 byte of plaintext sealed is 17 bytes.
const PAYLOAD: [u8; 17] = [5; 17];

async fn create_status(s: &TestServer, token: Option<&str>, size: u64) -> (u16, Value) {
    let body = create_body(
        &Secrets::new(),
        size,
        3600,
        1,
        (size == 17).then_some(&PAYLOAD[..]),
    );
    let mut req = s.client.post(s.api("/shares")).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    status_of(req.send().await.unwrap()).await
}

async fn config_of(s: &TestServer, token: Option<&str>) -> Value {
    let mut req = s.client.get(s.api("/config"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_create_tokens_a_create_needs_a_known_token() {
    let s = TestServer::start_with(|c| {
        c.create_tokens = Some(
            "alice:alice-token-0123456789,bob:bob-token-0123456789"
                .to_owned()
                .into(),
        );
    })
    .await;
    let (st, v) = create_status(&s, None, 17).await;
    assert_eq!(
        (st, v["error"].as_str()),
        (401, Some("token_required")),
        "{v}"
    );
    let (st, v) = create_status(&s, Some("mallory-token-0123456789"), 17).await;
    assert_eq!((st, v["error"].as_str()), (403, Some("bad_token")), "{v}");
    let (st, v) = create_status(&s, Some("bob-token-0123456789"), 17).await;
    assert_eq!(st, 201, "{v}");
    // Reading stays anonymous.
    let id = v["id"].as_str().unwrap();
    let res = s
        .client
        .get(s.api(&format!("/shares/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cfg = config_of(&s, None).await;
    assert_eq!(cfg["create_token_required"], true);
    assert_eq!(cfg["max_share_bytes"], 2u64 * 1024 * 1024 * 1024);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_limit_lets_anyone_create_small_shares_and_token_holders_large_ones() {
    let s = TestServer::start_with(|c| {
        c.create_tokens = Some("team:team-token-0123456789".to_owned().into());
        c.max_share_bytes = 1_000_000;
        c.max_share_bytes_anonymous = Some(1000);
    })
    .await;
    let anonymous = config_of(&s, None).await;
    assert_eq!(anonymous["create_token_required"], false);
    assert_eq!(anonymous["max_share_bytes"], 1000);
    let holder = config_of(&s, Some("team-token-0123456789")).await;
    assert_eq!(holder["max_share_bytes"], 1_000_000);
    let stranger = config_of(&s, Some("not-a-token-0123456789")).await;
    assert_eq!(
        stranger["max_share_bytes"], 1000,
        "a wrong token is asked about as anyone"
    );
    assert_eq!(create_status(&s, None, 17).await.0, 201);
    let big = 1_000 * 16 + 16; // any size over the anonymous limit
    let (st, v) = create_status(&s, None, big).await;
    assert_eq!((st, v["error"].as_str()), (413, Some("too_large")), "{v}");
    let (st, v) = create_status(&s, Some("team-token-0123456789"), big).await;
    assert_eq!(st, 201, "{v}");
    let (st, _) = create_status(&s, Some("wrong-token-0123456789"), 17).await;
    assert_eq!(st, 403, "a wrong token is refused, not taken as anonymous");
    s.stop().await;
}

/// The real binary, its address and everything it writes to stdout.
struct Binary {
    child: Child,
    base: String,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Binary {
    fn start(args: &[&str], dir: &std::path::Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_onetimeshare"))
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.join("data"))
            .arg("--site-root")
            .arg(dir.join("site"))
            .args(args)
            .env("RUST_LOG", "info")
            .env_remove("OTS_CREATE_TOKENS")
            .env("OTS_MAX_STORED_BYTES", TEST_QUOTA)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let keep = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("OneTimeShare is serving at ") {
                    let _ = tx.send(addr.to_owned());
                }
                keep.lock().unwrap().push(line);
            }
        });
        let base = rx.recv_timeout(Duration::from_secs(30)).unwrap();
        Self { child, base, lines }
    }

    fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn create_on(base_api: String, token: &str) -> u16 {
    let body = create_body(&Secrets::new(), 17, 3600, 1, Some(&PAYLOAD));
    reqwest::Client::new()
        .post(base_api)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_token_file_and_a_broken_file_keeps_the_old_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens");
    std::fs::write(&file, "# who may create\nold:old-token-0123456789\n").unwrap();
    let bin = Binary::start(
        &["--create-tokens-file", file.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(
        create_on(bin.api("/shares"), "old-token-0123456789").await,
        201
    );
    assert_eq!(
        create_on(bin.api("/shares"), "new-token-0123456789").await,
        403
    );

    std::fs::write(&file, "new:new-token-0123456789\n").unwrap();
    bin.signal("-HUP");
    let t = Instant::now();
    while create_on(bin.api("/shares"), "new-token-0123456789").await != 201 {
        assert!(t.elapsed() < Duration::from_secs(10), "reloaded on SIGHUP");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        create_on(bin.api("/shares"), "old-token-0123456789").await,
        403
    );

    std::fs::write(&file, "this line is no token\n").unwrap();
    bin.signal("-HUP");
    let t = Instant::now();
    while !bin
        .lines()
        .iter()
        .any(|l| l.contains("create tokens not reloaded"))
    {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the failed reload is logged"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        create_on(bin.api("/shares"), "new-token-0123456789").await,
        201
    );
    for line in bin.lines() {
        assert!(
            !line.contains("-token-0123456789"),
            "a token in the log: {line}"
        );
    }
}

/// A console client with its cookies, as a script would use it (no browser headers).
struct ConsoleClient {
    base: String,
    http: reqwest::Client,
    cookies: HashMap<String, String>,
}

impl ConsoleClient {
    fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    fn keep(&mut self, res: &reqwest::Response) {
        for v in res.headers().get_all("set-cookie") {
            let pair = v.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, path: &str) -> (u16, String) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(&res);
        (res.status().as_u16(), res.text().await.unwrap())
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> u16 {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep(&res);
        res.status().as_u16()
    }

    fn csrf(page: &str) -> String {
        let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
        page[at..at + page[at..].find('"').unwrap()].to_owned()
    }

    async fn sign_in(&mut self, password: &str) -> u16 {
        let (_, page) = self.get("/admin").await;
        let csrf = Self::csrf(&page);
        self.post("/admin/login", &[("password", password), ("csrf", &csrf)])
            .await
    }

    async fn take_down(&mut self, share: &str) -> (u16, String) {
        let (_, page) = self.get("/admin").await;
        let csrf = Self::csrf(&page);
        let st = self
            .post("/admin/takedown", &[("share", share), ("csrf", &csrf)])
            .await;
        let (_, page) = self.get("/admin").await;
        (st, page)
    }
}

/// Creates a file-backed and an inline share, claims both, takes them down
/// by pasted links, and checks every call answers removed.
async fn takedown_answers_removed_everywhere(s: &TestServer) {
    let inline = create_inline(s, 2, &PAYLOAD).await;
    let data = vec![9u8; 3000];
    let file = create_with(s, data.len() as u64, 3600, 2, None).await;
    upload_all(s, &file, &data).await;
    let mut tickets = Vec::new();
    for c in [&inline, &file] {
        let (st, v) = claim(s, c, &c.secrets.claim_body()).await;
        assert_eq!(st, 200, "{v}");
        tickets.push(v["ticket"].as_str().unwrap().to_owned());
    }
    let mut console = ConsoleClient::new(&s.base);
    assert_eq!(console.sign_in(PASSWORD).await, 303);
    for c in [&inline, &file] {
        let link = format!("{}/s/{}#{}", s.base, c.id, b64(&c.secrets.link_token));
        let (st, page) = console.take_down(&link).await;
        assert_eq!(st, 303);
        assert!(
            page.contains(&format!("Share {} is taken down", &c.id[..6])),
            "{page}"
        );
        assert!(!page.contains(&c.id) && !page.contains(&b64(&c.secrets.link_token)));
    }
    assert!(
        !part_dir(s, &file.id).exists(),
        "the parts are deleted at once"
    );
    for (c, ticket) in [&inline, &file].into_iter().zip(&tickets) {
        let removed = |v: &Value| v["error"] == "gone" && v["reason"] == "removed";
        let (st, v) = status_of(
            s.client
                .get(s.api(&format!("/shares/{}", c.id)))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(st == 410 && removed(&v), "info {st} {v}");
        let (st, v) = claim(s, c, &c.secrets.claim_body()).await;
        assert!(st == 410 && removed(&v), "claim {st} {v}");
        let blob = s.api(&format!("/shares/{}/blob", c.id));
        let (st, v) = status_of(
            s.client
                .get(&blob)
                .bearer_auth(ticket)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(st == 410 && removed(&v), "download {st} {v}");
        let (st, v) = status_of(
            s.client
                .delete(&blob)
                .bearer_auth(ticket)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(st == 410 && removed(&v), "release {st} {v}");
        let manage = s.api(&format!("/shares/{}/manage", c.id));
        let (st, v) = status_of(
            s.client
                .get(&manage)
                .bearer_auth(&c.manage_token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (st, v["state"].as_str()),
            (200, Some("removed")),
            "manage {v}"
        );
        // The sender's revoke cannot turn it back into "revoked".
        let del = s.api(&format!("/shares/{}", c.id));
        s.client
            .delete(&del)
            .bearer_auth(&c.manage_token)
            .send()
            .await
            .unwrap();
        let (_, v) = status_of(
            s.client
                .get(&manage)
                .bearer_auth(&c.manage_token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(v["state"], "removed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn takedown_answers_removed_everywhere_on_the_embedded_store() {
    let s =
        TestServer::start_with(|c| c.admin_password_hash = Some(cheap_hash(PASSWORD).into())).await;
    takedown_answers_removed_everywhere(&s).await;
    s.stop().await;
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn takedown_answers_removed_everywhere_on_redis() {
    let redis = redis_server::RedisServer::start();
    let s = TestServer::start_with(|c| {
        c.admin_password_hash = Some(cheap_hash(PASSWORD).into());
        c.redis_url = Some(redis.url());
    })
    .await;
    ready(&s).await;
    takedown_answers_removed_everywhere(&s).await;
    s.stop().await;
}

/// Waits until the server says it is ready (Redis connects in the background).
async fn ready(s: &TestServer) {
    let t = Instant::now();
    while s
        .client
        .get(s.url("/readyz"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .ok()
        != Some(200)
    {
        assert!(t.elapsed() < Duration::from_secs(10), "ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The samples of a scrape, parsed by a real Prometheus parser.
async fn scrape(s: &TestServer) -> (String, prometheus_parse::Scrape) {
    let res = reqwest::get(format!("{}/metrics", s.metrics_base.as_ref().unwrap()))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = res.text().await.unwrap();
    let parsed = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
    (text, parsed)
}

fn value(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_and_outcomes_on_their_own_listener() {
    let s = TestServer::start_with_metrics(|c| {
        c.admin_password_hash = Some(cheap_hash(PASSWORD).into());
        c.rate_claim_per_min = 12;
    })
    .await;
    let (_, before) = scrape(&s).await;
    assert_eq!(
        value(&before, "ots_claims_total", &[("outcome", "granted")]),
        0.0
    );

    let a = create_inline(&s, 1, &PAYLOAD).await;
    let (st, v) = claim(&s, &a, &a.secrets.claim_body()).await;
    assert_eq!(st, 200);
    let ticket = v["ticket"].as_str().unwrap();
    let body = s
        .client
        .get(s.api(&format!("/shares/{}/blob", a.id)))
        .bearer_auth(ticket)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.len(), 17);
    let b = create_inline(&s, 1, &PAYLOAD).await;
    let bad_link = json!({"link_token": b64(&[0; 32]), "claim_token": b64(&b.secrets.claim_token)});
    assert_eq!(claim(&s, &b, &bad_link).await.0, 403);
    let bad_pw = json!({"link_token": b64(&b.secrets.link_token), "claim_token": b64(&[0; 32])});
    for _ in 0..5 {
        claim(&s, &b, &bad_pw).await;
    }
    let del = s.api(&format!("/shares/{}", b.id));
    assert_eq!(
        s.client
            .delete(&del)
            .bearer_auth(&b.manage_token)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    // Over the claim rate (12 a minute from this address).
    let mut limited = 0;
    for _ in 0..6 {
        if claim(&s, &b, &bad_pw).await.0 == 429 {
            limited += 1;
        }
    }
    assert!(limited >= 1);
    let mut console = ConsoleClient::new(&s.base);
    assert_eq!(console.sign_in("wrong").await, 401);
    assert_eq!(console.sign_in(PASSWORD).await, 303);

    let (text, after) = scrape(&s).await;
    let c = |o| value(&after, "ots_claims_total", &[("outcome", o)]);
    assert_eq!(c("granted"), 1.0);
    assert_eq!(c("bad_link"), 1.0);
    assert_eq!(c("bad_password"), 4.0);
    assert_eq!(c("locked"), 1.0, "the fifth wrong password locks");
    assert_eq!(
        c("gone"),
        6.0 - limited as f64,
        "claims of the revoked share"
    );
    assert_eq!(c("rate_limited"), limited as f64);
    assert_eq!(
        value(&after, "ots_rate_limited_total", &[("action", "claim")]),
        limited as f64
    );
    assert_eq!(
        value(
            &after,
            "ots_shares_created_total",
            &[("mode", "inline"), ("token", "anonymous")]
        ),
        2.0
    );
    assert_eq!(value(&after, "ots_shares_revoked_total", &[]), 1.0);
    assert_eq!(value(&after, "ots_downloads_bytes_total", &[]), 17.0);
    assert_eq!(
        value(
            &after,
            "ots_admin_logins_total",
            &[("outcome", "wrong_password")]
        ),
        1.0
    );
    assert_eq!(
        value(&after, "ots_admin_logins_total", &[("outcome", "success")]),
        1.0
    );
    assert_eq!(
        value(
            &after,
            "ots_http_requests_total",
            &[
                ("route", "/api/v1/shares/:id/claim"),
                ("method", "POST"),
                ("status", "403")
            ]
        ),
        1.0
    );
    assert!(
        value(
            &after,
            "ots_http_requests_total",
            &[("route", "/admin"), ("method", "GET")]
        ) >= 2.0
    );
    assert!(
        text.contains("ots_http_request_duration_seconds_bucket{"),
        "a histogram"
    );
    // Live shares come from the store: a consumed share with a live ticket is being downloaded.
    assert_eq!(
        value(&after, "ots_shares_live", &[("state", "downloading")]),
        1.0
    );
    assert_eq!(value(&after, "ots_shares_live", &[("state", "ready")]), 0.0);
    assert_eq!(value(&after, "ots_stored_bytes", &[]), 17.0);
    // Never an id, a token or sealed meta, and never on the public port.
    let link_token = b64(&a.secrets.link_token);
    for secret in [&a.id, &b.id, &a.manage_token, &link_token, ticket] {
        assert!(!text.contains(secret), "{secret} in the metrics");
    }
    assert!(!text.contains(&b64(b"sealed meta bytes, opaque to the server")));
    let public = s.client.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404);
    assert!(!public.text().await.unwrap().contains("ots_claims_total"));
    s.stop().await;
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_redis_report_the_same_gauges_and_their_own_counters() {
    let redis = redis_server::RedisServer::start();
    let a = TestServer::start_with_metrics(|c| c.redis_url = Some(redis.url())).await;
    let b = TestServer::start_with_metrics(|c| c.redis_url = Some(redis.url())).await;
    ready(&a).await;
    ready(&b).await;
    for _ in 0..3 {
        create_inline(&a, 1, &PAYLOAD).await;
    }
    let (_, on_a) = scrape(&a).await;
    let (_, on_b) = scrape(&b).await;
    for scrape in [&on_a, &on_b] {
        assert_eq!(value(scrape, "ots_shares_live", &[("state", "ready")]), 3.0);
        assert_eq!(value(scrape, "ots_stored_bytes", &[]), 3.0 * 17.0);
    }
    assert_eq!(value(&on_a, "ots_shares_created_total", &[]), 3.0);
    assert_eq!(value(&on_b, "ots_shares_created_total", &[]), 0.0);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hash_password_prints_a_phc_string_the_console_accepts() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_onetimeshare"))
        .arg("hash-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let phc = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
    assert!(!phc.contains(PASSWORD));
    let s = TestServer::start_with(|c| c.admin_password_hash = Some(phc.into())).await;
    let mut console = ConsoleClient::new(&s.base);
    assert_eq!(console.sign_in(PASSWORD).await, 303);
    let (st, page) = console.get("/admin").await;
    assert_eq!(st, 200);
    assert!(page.contains("id=\"admin-dashboard\""));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_has_one_json_line_per_action_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let phc = cheap_hash(PASSWORD);
    let bin = Binary::start(
        &[
            "--log-format",
            "json",
            "--admin-password-hash",
            &phc,
            "--create-tokens",
            "ci:ci-token-0123456789",
        ],
        dir.path(),
    );
    let body = create_body(&Secrets::new(), 17, 3600, 1, Some(&PAYLOAD));
    let res = reqwest::Client::new()
        .post(bin.api("/shares"))
        .bearer_auth("ci-token-0123456789")
        .json(&body)
        .send()
        .await
        .unwrap();
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut console = ConsoleClient::new(&bin.base);
    assert_eq!(console.sign_in("wrong").await, 401);
    assert_eq!(console.sign_in(PASSWORD).await, 303);
    let link = format!("{}/s/{id}#SECRET-KEY-IN-THE-FRAGMENT", bin.base);
    assert_eq!(console.take_down(&link).await.0, 303);
    let (_, page) = console.get("/admin").await;
    assert_eq!(
        console
            .post("/admin/logout", &[("csrf", &ConsoleClient::csrf(&page))])
            .await,
        303
    );

    let t = Instant::now();
    let audit = loop {
        let audit: Vec<Value> = bin
            .lines()
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["target"] == "ots::audit")
            .collect();
        if audit.len() >= 5 || t.elapsed() > Duration::from_secs(10) {
            break audit;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let actions: Vec<&str> = audit
        .iter()
        .map(|v| v["fields"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["create", "login_failed", "login", "takedown", "logout"],
        "{audit:?}"
    );
    let create = &audit[0]["fields"];
    assert_eq!(
        (create["token"].as_str(), create["share"].as_str()),
        (Some("ci"), Some(&id[..6]))
    );
    let takedown = &audit[3];
    assert_eq!(takedown["fields"]["client"], "127.0.0.1");
    assert_eq!(takedown["fields"]["share"], &id[..6]);
    assert!(takedown["timestamp"].is_string());
    for line in bin.lines() {
        for secret in [
            id.as_str(),
            "SECRET-KEY",
            "ci-token-0123456789",
            PASSWORD,
            "$argon2id$",
        ] {
            assert!(!line.contains(secret), "{secret} in the log: {line}");
        }
    }
}
