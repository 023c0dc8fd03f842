//! `ots-bench`: a load generator for the onetimeshare server.
//!
//! It starts the server binary itself (fresh data directory, rate limits and
//! per-address caps off;
//! it inherits the environment, so `OTS_REDIS_URL`, `OTS_BLOB_URL` and the
//! `AWS_*` settings select Redis and S3),
//! so it can read the server's peak RSS from `/proc/PID/status`, then runs:
//! - `lifecycle`: N clients, each on its own keep-alive connection, looping
//!   create (inline 1 KiB) → claim → download → release; lifecycles/s,
//!   p50/p95/p99 of a lifecycle and of a single request, errors. With
//!   `--lifecycle-bytes N` each share is file-backed instead: create, upload
//!   its 8 MiB parts, complete, claim, download, release;
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
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::{client::conn::http1::SendRequest, header, Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use ots_crypto::Verifier;
use ots_proto::{
    paths, payload_size, plaintext_size, ClaimRequest, Claimed, CreateRequest, Created, Fixed,
    Opaque, Token, PART_SIZE,
};
use serde::de::DeserializeOwned;

/// Plaintext bytes of a lifecycle's share: its payload goes inline.
const LIFECYCLE_PLAINTEXT: u64 = 1008;
/// Bytes of the stand-in sealed meta: the server cannot tell it from real.
const META_BYTES: usize = 100;
/// Seconds until the bench's shares expire; longer than any run.
const EXPIRES_IN_SECS: u32 = 3600;

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
    bulk_bytes: u64,
    /// Part uploads in flight during the bulk run.
    #[arg(long, default_value_t = 2)]
    bulk_parallel: usize,
    /// Plaintext bytes of each lifecycle's share: 0 sends a 1 KiB share
    /// inline; more makes file-backed shares uploaded in parts.
    #[arg(long, default_value_t = 0)]
    lifecycle_bytes: u64,
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
    check_bulk_bytes(args.bulk_bytes)?;
    for &clients in args.clients.iter().filter(|&&c| c > 0) {
        let server = Server::start(&args)?;
        let r = lifecycle(
            server.addr,
            server.child.id(),
            clients,
            Duration::from_secs(args.secs),
            args.lifecycle_bytes,
        )
        .await?;
        let rss = server.rss()?;
        println!(
            "lifecycle clients={clients} plaintext_bytes={} secs={} lifecycles={} rate={:.0}/s requests/s={:.0} errors={} \
             lifecycle_ms p50={:.2} p95={:.2} p99={:.2} request_ms p50={:.2} p95={:.2} p99={:.2} server_rss_mib={:.1} server_peak_rss_mib={:.1} \
             server_cpu_s={:.2} bench_cpu_s={:.2} lifecycles_per_cpu_s={:.0} lifecycles_per_server_cpu_s={:.0} load1={}",
            args.lifecycle_bytes,
            args.secs,
            r.lifecycles,
            r.lifecycles as f64 / r.elapsed.as_secs_f64(),
            (r.lifecycles * r.requests_per_lifecycle) as f64 / r.elapsed.as_secs_f64(),
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
                // Every bench client has the one address 127.0.0.1: no per-address caps.
                "--max-uploads-per-address",
                "0",
                "--max-downloads-per-address",
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
        // The server's later log lines (warnings) go to our stderr, not into a closed pipe.
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                eprintln!("server: {line}");
            }
        });
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

/// The body of an answer, as the protocol type `T`.
fn parse<T: DeserializeOwned>(what: &str, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).with_context(|| format!("{what}: unexpected answer"))
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
    requests_per_lifecycle: u64,
}

/// The bodies every lifecycle sends: the same tokens for every share, since
/// the server only ever compares their hashes.
struct LifecycleBodies {
    create_body: Bytes,
    claim_body: Bytes,
    /// The parts of a file-backed share (none: the payload is inline).
    parts: Vec<Bytes>,
}

impl LifecycleBodies {
    /// Requests of one lifecycle.
    fn requests(&self) -> u64 {
        if self.parts.is_empty() {
            4
        } else {
            5 + self.parts.len() as u64
        }
    }
}

fn lifecycle_bodies(plaintext: u64) -> Result<LifecycleBodies> {
    let (link, claim) = (Token::from_bytes([1; 32]), Token::from_bytes([2; 32]));
    let (create, parts) = if plaintext == 0 {
        let payload = vec![0x5a; payload_size(LIFECYCLE_PLAINTEXT) as usize];
        let size = payload.len() as u64;
        (
            create_request(&link, &claim, size, Some(Opaque(payload))),
            Vec::new(),
        )
    } else {
        let size = payload_size(plaintext);
        let part = Bytes::from(vec![0x5a; PART_SIZE as usize]);
        let parts = (0..size.div_ceil(PART_SIZE))
            .map(|i| part.slice(..(size - i * PART_SIZE).min(PART_SIZE) as usize))
            .collect();
        (create_request(&link, &claim, size, None), parts)
    };
    Ok(LifecycleBodies {
        create_body: Bytes::from(serde_json::to_vec(&create)?),
        claim_body: Bytes::from(serde_json::to_vec(&claim_request(&link, &claim))?),
        parts,
    })
}

/// A create of a payload of `size` bytes, no password, one download.
fn create_request(
    link: &Token,
    claim: &Token,
    size: u64,
    payload: Option<Opaque>,
) -> CreateRequest {
    CreateRequest {
        size,
        expires_in: EXPIRES_IN_SECS,
        max_downloads: 1,
        link_verifier: Fixed(link.verifier()),
        claim_verifier: Fixed(claim.verifier()),
        meta: Opaque(vec![7; META_BYTES]),
        kdf: None,
        payload,
    }
}

/// A claim without `request_id`, as the bench never retries.
fn claim_request(link: &Token, claim: &Token) -> ClaimRequest {
    ClaimRequest {
        link_token: link.clone(),
        claim_token: claim.clone(),
        request_id: None,
    }
}

/// One create → claim → download → release; returns per-request latencies.
async fn one_lifecycle(c: &mut Conn, t: &LifecycleBodies, req_us: &mut Vec<u32>) -> Result<()> {
    let mut timed = Instant::now();
    let mut lap = |req_us: &mut Vec<u32>| {
        req_us.push(timed.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
        timed = Instant::now();
    };
    let (st, body) = c
        .call(Method::POST, &paths::shares(), None, t.create_body.clone())
        .await?;
    lap(req_us);
    if st != StatusCode::CREATED {
        bail!("create: {st}");
    }
    let created: Created = parse("create", &body)?;
    if !t.parts.is_empty() {
        let upload = created
            .upload_token
            .as_ref()
            .ok_or_else(|| anyhow!("create: no upload token"))?
            .to_b64();
        for (i, part) in t.parts.iter().enumerate() {
            let (st, _) = c
                .call(
                    Method::PUT,
                    &paths::part(&created.id, i as u64),
                    Some(&upload),
                    part.clone(),
                )
                .await?;
            lap(req_us);
            if st != StatusCode::NO_CONTENT {
                bail!("part {i}: {st}");
            }
        }
        let (st, _) = c
            .call(
                Method::POST,
                &paths::complete(&created.id),
                Some(&upload),
                Bytes::new(),
            )
            .await?;
        lap(req_us);
        if st != StatusCode::NO_CONTENT {
            bail!("complete: {st}");
        }
    }
    let (st, body) = c
        .call(
            Method::POST,
            &paths::claim(&created.id),
            None,
            t.claim_body.clone(),
        )
        .await?;
    lap(req_us);
    if st != StatusCode::OK {
        bail!("claim: {st}");
    }
    let claimed: Claimed = parse("claim", &body)?;
    let ticket = claimed.ticket.to_b64();
    let blob = paths::blob(&created.id);
    let (st, body) = c
        .call(Method::GET, &blob, Some(&ticket), Bytes::new())
        .await?;
    lap(req_us);
    if st != StatusCode::OK || body.len() as u64 != claimed.size {
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
    plaintext: u64,
) -> Result<LifecycleResult> {
    let server_pid = server_pid.to_string();
    let bodies = Arc::new(lifecycle_bodies(plaintext)?);
    let requests_per_lifecycle = bodies.requests();
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (bodies, measuring, stop, errors, first_error) = (
            bodies.clone(),
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
                let mut laps = Vec::with_capacity(8);
                match one_lifecycle(&mut conn, &bodies, &mut laps).await {
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
        requests_per_lifecycle,
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

async fn bulk(addr: SocketAddr, size: u64, parallel: usize) -> Result<BulkResult> {
    let mut c = Conn::open(addr).await?;
    let (link, claim) = (Token::from_bytes([3; 32]), Token::from_bytes([4; 32]));
    let create = serde_json::to_vec(&create_request(&link, &claim, size, None))?;
    let (st, body) = c
        .call(Method::POST, &paths::shares(), None, Bytes::from(create))
        .await?;
    if st != StatusCode::CREATED {
        bail!("create: {st} {}", String::from_utf8_lossy(&body));
    }
    let created: Created = parse("create", &body)?;
    let id = created.id;
    let upload_token = created
        .upload_token
        .ok_or_else(|| anyhow!("create: no upload token"))?
        .to_b64();
    // `parallel` parts in flight, each on its own connection.
    let part = Bytes::from(vec![0xc3u8; PART_SIZE as usize]);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut uploaders = Vec::new();
    for _ in 0..parallel.max(1) {
        let (next, part, id, token) =
            (next.clone(), part.clone(), id.clone(), upload_token.clone());
        uploaders.push(tokio::spawn(async move {
            let mut c = Conn::open(addr).await?;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(len) = ots_proto::part_len(size, i) else {
                    return Ok::<_, anyhow::Error>(());
                };
                let (st, body) = c
                    .call(
                        Method::PUT,
                        &paths::part(&id, i),
                        Some(&token),
                        part.slice(..len as usize),
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
            &paths::complete(&id),
            Some(&upload_token),
            Bytes::new(),
        )
        .await?;
    if st != StatusCode::NO_CONTENT {
        bail!("complete: {st}");
    }
    let upload = started.elapsed();
    let claim_body = serde_json::to_vec(&claim_request(&link, &claim))?;
    let (st, body) = c
        .call(
            Method::POST,
            &paths::claim(&id),
            None,
            Bytes::from(claim_body),
        )
        .await?;
    if st != StatusCode::OK {
        bail!("claim: {st}");
    }
    let claimed: Claimed = parse("claim", &body)?;
    let ticket = claimed.ticket.to_b64();
    let started = Instant::now();
    c.send.ready().await?;
    let res = c
        .send
        .send_request(Conn::request(
            Method::GET,
            &paths::blob(&id),
            Some(&ticket),
            Bytes::new(),
        )?)
        .await?;
    if res.status() != StatusCode::OK {
        bail!("download: {}", res.status());
    }
    let mut body = res.into_body();
    let mut got = 0u64;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            got += data.len() as u64;
        }
    }
    let download = started.elapsed();
    if got != size {
        bail!("downloaded {got} of {size} bytes");
    }
    Ok(BulkResult { upload, download })
}

/// Checks `--bulk-bytes` before any server starts: the protocol accepts only
/// sizes some plaintext encrypts to.
fn check_bulk_bytes(size: u64) -> Result<()> {
    if size > 0 && plaintext_size(size).is_none() {
        bail!(
            "--bulk-bytes {size} is not the size of any payload (protocol §4); try {}",
            payload_size(size)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_bodies_are_what_the_protocol_accepts() {
        let t = lifecycle_bodies(0).unwrap();
        assert_eq!(t.requests(), 4);
        let create: CreateRequest = serde_json::from_slice(&t.create_body).unwrap();
        assert_eq!(create.check(), Ok(()));
        assert_eq!(
            create.payload.map(|p| p.0.len() as u64),
            Some(payload_size(LIFECYCLE_PLAINTEXT))
        );
        let claim: ClaimRequest = serde_json::from_slice(&t.claim_body).unwrap();
        assert_eq!(
            create.link_verifier,
            Fixed(claim.link_token.verifier()),
            "the claim must prove the link the create announced"
        );
        assert_eq!(create.claim_verifier, Fixed(claim.claim_token.verifier()));
    }

    #[test]
    fn file_backed_lifecycles_send_every_part_at_its_length() {
        let t = lifecycle_bodies(8 << 20).unwrap();
        let create: CreateRequest = serde_json::from_slice(&t.create_body).unwrap();
        assert_eq!(create.check(), Ok(()));
        assert!(create.payload.is_none());
        let lens: Vec<u64> = t.parts.iter().map(|p| p.len() as u64).collect();
        assert_eq!(lens.iter().sum::<u64>(), create.size);
        for (i, len) in lens.iter().enumerate() {
            assert_eq!(Some(*len), ots_proto::part_len(create.size, i as u64));
        }
        assert_eq!(t.requests(), 5 + lens.len() as u64);
    }

    #[test]
    fn bulk_create_is_valid_and_odd_sizes_are_refused_up_front() {
        let (link, claim) = (Token::from_bytes([3; 32]), Token::from_bytes([4; 32]));
        assert_eq!(create_request(&link, &claim, 1 << 30, None).check(), Ok(()));
        assert!(check_bulk_bytes(1 << 30).is_ok());
        assert!(check_bulk_bytes(0).is_ok());
        assert!(check_bulk_bytes(15).is_err());
    }
}
