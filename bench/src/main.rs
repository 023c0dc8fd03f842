//! `ots-bench`: a load generator for the onetimeshare server.
//!
//! It starts the server binary itself (fresh data directory, rate limits off),
//! so it can read the server's peak RSS from `/proc/PID/status`, then runs:
//! - `lifecycle`: N clients, each on its own keep-alive connection, looping
//!   create (inline 1 KiB) → claim → download → release; lifecycles/s,
//!   p50/p95/p99 of a lifecycle and of a single request, errors;
//! - `bulk`: one share of `--bulk-bytes` uploaded in 8 MiB parts and
//!   downloaded in one stream; MB/s each way and the server's RSS growth.
//!
//! Run it against a release build; it is not a test and asserts nothing.

use std::{
    net::SocketAddr,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail, Context, Result};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::{client::conn::http1::SendRequest, header, Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;

/// Bytes of every upload part (protocol §5).
const PART_BYTES: usize = 8 * 1024 * 1024;

#[derive(Parser, Debug)]
#[command(name = "ots-bench")]
struct Args {
    /// The server binary to start (a release build).
    #[arg(long, default_value = "target/release/onetimeshare")]
    server_bin: PathBuf,
    /// Where the server keeps its data (a fresh temp dir under it per run).
    #[arg(long, default_value = "/tmp")]
    data_parent: PathBuf,
    /// Concurrent clients of the lifecycle runs (one run each; 0 skips).
    #[arg(long, value_delimiter = ',', default_value = "64,300")]
    clients: Vec<usize>,
    /// Seconds each lifecycle run measures (after a one-second warm-up).
    #[arg(long, default_value_t = 15)]
    secs: u64,
    /// Bytes of the bulk share (0 skips the bulk run).
    #[arg(long, default_value_t = 1 << 30)]
    bulk_bytes: usize,
    /// Part uploads in flight during the bulk run.
    #[arg(long, default_value_t = 2)]
    bulk_parallel: usize,
    /// Tokio worker threads of the load generator.
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .enable_all()
        .build()?;
    rt.block_on(run(args))
}

async fn run(args: Args) -> Result<()> {
    for &clients in args.clients.iter().filter(|&&c| c > 0) {
        let server = Server::start(&args)?;
        let r = lifecycle(
            server.addr,
            server.child.id(),
            clients,
            Duration::from_secs(args.secs),
        )
        .await?;
        let rss = server.rss()?;
        println!(
            "lifecycle clients={clients} secs={} lifecycles={} rate={:.0}/s requests/s={:.0} errors={} \
             lifecycle_ms p50={:.2} p95={:.2} p99={:.2} request_ms p50={:.2} p95={:.2} p99={:.2} server_rss_mib={:.1} server_peak_rss_mib={:.1} \
             server_cpu_s={:.2} bench_cpu_s={:.2} lifecycles_per_cpu_s={:.0} lifecycles_per_server_cpu_s={:.0} load1={}",
            args.secs,
            r.lifecycles,
            r.lifecycles as f64 / r.elapsed.as_secs_f64(),
            (r.lifecycles * 4) as f64 / r.elapsed.as_secs_f64(),
            r.errors,
            pct(&r.lifecycle_us, 50.0),
            pct(&r.lifecycle_us, 95.0),
            pct(&r.lifecycle_us, 99.0),
            pct(&r.request_us, 50.0),
            pct(&r.request_us, 95.0),
            pct(&r.request_us, 99.0),
            rss.0 as f64 / 1024.0,
            rss.1 as f64 / 1024.0,
            r.server_cpu,
            r.bench_cpu,
            r.lifecycles as f64 / (r.server_cpu + r.bench_cpu).max(1e-9),
            r.lifecycles as f64 / r.server_cpu.max(1e-9),
            std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().next().unwrap_or("?"),
        );
    }
    if args.bulk_bytes > 0 {
        let server = Server::start(&args)?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (rss0, _) = server.rss()?;
        let b = bulk(server.addr, args.bulk_bytes, args.bulk_parallel).await?;
        let (_, hwm) = server.rss()?;
        let mb = args.bulk_bytes as f64 / 1e6;
        println!(
            "bulk bytes={} parallel={} upload_s={:.2} upload_MB/s={:.0} download_s={:.2} download_MB/s={:.0} \
             server_rss_start_mib={:.1} server_peak_rss_mib={:.1} growth_mib={:.1}",
            args.bulk_bytes,
            args.bulk_parallel,
            b.upload.as_secs_f64(),
            mb / b.upload.as_secs_f64(),
            b.download.as_secs_f64(),
            mb / b.download.as_secs_f64(),
            rss0 as f64 / 1024.0,
            hwm as f64 / 1024.0,
            (hwm.saturating_sub(rss0)) as f64 / 1024.0,
        );
    }
    Ok(())
}

/// The server process under test.
struct Server {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(args: &Args) -> Result<Self> {
        use std::io::{BufRead, BufReader};
        let dir = tempfile::tempdir_in(&args.data_parent)?;
        let mut child = Command::new(&args.server_bin)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--rate-create-per-min",
                "0",
                "--rate-claim-per-min",
                "0",
            ])
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--site-root")
            .arg(dir.path().join("site"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", args.server_bin.display()))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines.next().ok_or_else(|| anyhow!("server exited"))??;
            if let Some(rest) = line.split("http://").nth(1) {
                break rest.trim().parse()?;
            }
        };
        Ok(Self {
            child,
            addr,
            _dir: dir,
        })
    }

    /// (VmRSS, VmHWM) in KiB.
    fn rss(&self) -> Result<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        Ok((field("VmRSS:"), field("VmHWM:")))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pct(sorted_us: &[u32], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * (sorted_us.len() - 1) as f64).round() as usize;
    f64::from(sorted_us[i.min(sorted_us.len() - 1)]) / 1000.0
}

/// One keep-alive HTTP/1 connection.
struct Conn {
    addr: SocketAddr,
    send: SendRequest<Full<Bytes>>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Result<Self> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Self { addr, send })
    }

    async fn reopen(&mut self) -> Result<()> {
        *self = Self::open(self.addr).await?;
        Ok(())
    }

    fn request(
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Bytes,
    ) -> Result<Request<Full<Bytes>>> {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "127.0.0.1");
        if !body.is_empty() {
            b = b.header(header::CONTENT_TYPE, "application/json");
        }
        if let Some(t) = bearer {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        Ok(b.body(Full::new(body))?)
    }

    /// Sends a request and reads the whole answer.
    async fn call(
        &mut self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Bytes,
    ) -> Result<(StatusCode, Bytes)> {
        self.send.ready().await?;
        let res = self
            .send
            .send_request(Self::request(method, path, bearer, body)?)
            .await?;
        let status = res.status();
        let body = res.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}

fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

fn field<'a>(v: &'a Value, k: &str) -> Result<&'a str> {
    v[k].as_str().ok_or_else(|| anyhow!("no {k} in {v}"))
}

/// User + system CPU seconds of a process (`self` or a pid), from `/proc/PID/stat`.
fn cpu_secs(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; 100 ticks/s on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

struct LifecycleResult {
    server_cpu: f64,
    bench_cpu: f64,
    lifecycles: u64,
    errors: u64,
    elapsed: Duration,
    lifecycle_us: Vec<u32>,
    request_us: Vec<u32>,
}

/// Fixed tokens for every share of the run: the server never sees them, only their hashes.
struct Tokens {
    create_body: Bytes,
    claim_body: Bytes,
}

fn tokens() -> Tokens {
    use std::fmt::Write as _;
    // The same tokens for every share: the server only compares their hashes.
    let link = [1u8; 32];
    let claim = [2u8; 32];
    let link_v = sha256_tiny(&link);
    let claim_v = sha256_tiny(&claim);
    let payload = vec![0x5au8; 1024];
    let mut create = String::new();
    let _ = write!(
        create,
        r#"{{"size":1024,"expires_in":3600,"max_downloads":1,"link_verifier":"{}","claim_verifier":"{}","meta":"{}","kdf":null,"payload":"{}"}}"#,
        b64(&link_v),
        b64(&claim_v),
        b64(&[7u8; 100]),
        b64(&payload)
    );
    let claim_body = format!(
        r#"{{"link_token":"{}","claim_token":"{}"}}"#,
        b64(&link),
        b64(&claim)
    );
    Tokens {
        create_body: Bytes::from(create),
        claim_body: Bytes::from(claim_body),
    }
}

/// SHA-256, as protocol §2 makes the verifiers.
fn sha256_tiny(msg: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(msg).into()
}

/// One create → claim → download → release; returns per-request latencies.
async fn one_lifecycle(c: &mut Conn, t: &Tokens, req_us: &mut Vec<u32>) -> Result<()> {
    let mut timed = Instant::now();
    let mut lap = |req_us: &mut Vec<u32>| {
        req_us.push(timed.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
        timed = Instant::now();
    };
    let (st, body) = c
        .call(Method::POST, "/api/v1/shares", None, t.create_body.clone())
        .await?;
    lap(req_us);
    if st != StatusCode::CREATED {
        bail!("create: {st}");
    }
    let v: Value = serde_json::from_slice(&body)?;
    let id = field(&v, "id")?.to_string();
    let (st, body) = c
        .call(
            Method::POST,
            &format!("/api/v1/shares/{id}/claim"),
            None,
            t.claim_body.clone(),
        )
        .await?;
    lap(req_us);
    if st != StatusCode::OK {
        bail!("claim: {st}");
    }
    let v: Value = serde_json::from_slice(&body)?;
    let ticket = field(&v, "ticket")?.to_string();
    let blob = format!("/api/v1/shares/{id}/blob");
    let (st, body) = c
        .call(Method::GET, &blob, Some(&ticket), Bytes::new())
        .await?;
    lap(req_us);
    if st != StatusCode::OK || body.len() != 1024 {
        bail!("download: {st} {} bytes", body.len());
    }
    let (st, _) = c
        .call(Method::DELETE, &blob, Some(&ticket), Bytes::new())
        .await?;
    lap(req_us);
    if st != StatusCode::NO_CONTENT {
        bail!("release: {st}");
    }
    Ok(())
}

async fn lifecycle(
    addr: SocketAddr,
    server_pid: u32,
    clients: usize,
    measure: Duration,
) -> Result<LifecycleResult> {
    let server_pid = server_pid.to_string();
    let tokens = Arc::new(tokens());
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (tokens, measuring, stop, errors, first_error) = (
            tokens.clone(),
            measuring.clone(),
            stop.clone(),
            errors.clone(),
            first_error.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut life_us = Vec::new();
            let mut req_us = Vec::new();
            let mut n = 0u64;
            let mut conn = match Conn::open(addr).await {
                Ok(c) => c,
                Err(e) => {
                    errors.fetch_add(1, Ordering::Relaxed);
                    first_error
                        .lock()
                        .map(|mut f| f.get_or_insert(e.to_string()).clone())
                        .ok();
                    return (n, life_us, req_us);
                }
            };
            while !stop.load(Ordering::Relaxed) {
                let on = measuring.load(Ordering::Relaxed);
                let started = Instant::now();
                let mut laps = Vec::with_capacity(4);
                match one_lifecycle(&mut conn, &tokens, &mut laps).await {
                    Ok(()) if on && !stop.load(Ordering::Relaxed) => {
                        n += 1;
                        life_us
                            .push(started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                        req_us.extend(laps);
                    }
                    Ok(()) => {}
                    Err(e) => {
                        if on {
                            errors.fetch_add(1, Ordering::Relaxed);
                            first_error
                                .lock()
                                .map(|mut f| f.get_or_insert(e.to_string()).clone())
                                .ok();
                        }
                        let _ = conn.reopen().await;
                    }
                }
            }
            (n, life_us, req_us)
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    measuring.store(true, Ordering::Relaxed);
    let (server0, bench0) = (cpu_secs(&server_pid), cpu_secs("self"));
    let started = Instant::now();
    tokio::time::sleep(measure).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed();
    let (server_cpu, bench_cpu) = (cpu_secs(&server_pid) - server0, cpu_secs("self") - bench0);
    let mut out = LifecycleResult {
        server_cpu,
        bench_cpu,
        lifecycles: 0,
        errors: 0,
        elapsed,
        lifecycle_us: Vec::new(),
        request_us: Vec::new(),
    };
    for t in tasks {
        let (n, l, r) = t.await?;
        out.lifecycles += n;
        out.lifecycle_us.extend(l);
        out.request_us.extend(r);
    }
    out.errors = errors.load(Ordering::Relaxed);
    if let Ok(Some(e)) = first_error.lock().map(|f| f.clone()) {
        eprintln!("first error: {e}");
    }
    out.lifecycle_us.sort_unstable();
    out.request_us.sort_unstable();
    Ok(out)
}

struct BulkResult {
    upload: Duration,
    download: Duration,
}

async fn bulk(addr: SocketAddr, size: usize, parallel: usize) -> Result<BulkResult> {
    let mut c = Conn::open(addr).await?;
    let link = [3u8; 32];
    let claim = [4u8; 32];
    let create = format!(
        r#"{{"size":{size},"expires_in":3600,"max_downloads":1,"link_verifier":"{}","claim_verifier":"{}","meta":"{}","kdf":null}}"#,
        b64(&sha256_tiny(&link)),
        b64(&sha256_tiny(&claim)),
        b64(&[7u8; 100])
    );
    let (st, body) = c
        .call(Method::POST, "/api/v1/shares", None, Bytes::from(create))
        .await?;
    if st != StatusCode::CREATED {
        bail!("create: {st} {}", String::from_utf8_lossy(&body));
    }
    let v: Value = serde_json::from_slice(&body)?;
    let id = field(&v, "id")?.to_string();
    let upload_token = field(&v, "upload_token")?.to_string();
    // `parallel` parts in flight, each on its own connection.
    let part = Bytes::from(vec![0xc3u8; PART_BYTES]);
    let parts = size.div_ceil(PART_BYTES);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut uploaders = Vec::new();
    for _ in 0..parallel.max(1) {
        let (next, part, id, token) =
            (next.clone(), part.clone(), id.clone(), upload_token.clone());
        uploaders.push(tokio::spawn(async move {
            let mut c = Conn::open(addr).await?;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= parts {
                    return Ok::<_, anyhow::Error>(());
                }
                let len = PART_BYTES.min(size - i * PART_BYTES);
                let (st, body) = c
                    .call(
                        Method::PUT,
                        &format!("/api/v1/shares/{id}/parts/{i}"),
                        Some(&token),
                        part.slice(..len),
                    )
                    .await?;
                if st != StatusCode::NO_CONTENT {
                    bail!("part {i}: {st} {}", String::from_utf8_lossy(&body));
                }
            }
        }));
    }
    for u in uploaders {
        u.await??;
    }
    let (st, _) = c
        .call(
            Method::POST,
            &format!("/api/v1/shares/{id}/complete"),
            Some(&upload_token),
            Bytes::new(),
        )
        .await?;
    if st != StatusCode::NO_CONTENT {
        bail!("complete: {st}");
    }
    let upload = started.elapsed();
    let claim_body = format!(
        r#"{{"link_token":"{}","claim_token":"{}"}}"#,
        b64(&link),
        b64(&claim)
    );
    let (st, body) = c
        .call(
            Method::POST,
            &format!("/api/v1/shares/{id}/claim"),
            None,
            Bytes::from(claim_body),
        )
        .await?;
    if st != StatusCode::OK {
        bail!("claim: {st}");
    }
    let v: Value = serde_json::from_slice(&body)?;
    let ticket = field(&v, "ticket")?.to_string();
    let started = Instant::now();
    c.send.ready().await?;
    let res = c
        .send
        .send_request(Conn::request(
            Method::GET,
            &format!("/api/v1/shares/{id}/blob"),
            Some(&ticket),
            Bytes::new(),
        )?)
        .await?;
    if res.status() != StatusCode::OK {
        bail!("download: {}", res.status());
    }
    let mut body = res.into_body();
    let mut got = 0usize;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            got += data.len();
        }
    }
    let download = started.elapsed();
    if got != size {
        bail!("downloaded {got} of {size} bytes");
    }
    Ok(BulkResult { upload, download })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_a_known_digest() {
        let d = sha256_tiny(b"abc");
        assert_eq!(b64(&d), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    }
}
