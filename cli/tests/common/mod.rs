//! A real `onetimeshare` server on port 0 in this process, and the real `ots`
//! binary run as a child process.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A server with its own data directory; stopped on drop.
pub struct TestServer {
    pub origin: String,
    pub data_dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A server whose settings `configure` changes first.
    pub async fn start_with(configure: impl FnOnce(&mut onetimeshare::Config)) -> Self {
        let data_dir = tempfile::tempdir().expect("data dir");
        let mut config = onetimeshare::Config::for_data_dir(data_dir.path());
        config.rate_create_per_min = 0;
        config.rate_claim_per_min = 0;
        // A quota of its own: the default (keep 10% of the disk free) would
        // make the tests depend on the host's free space.
        config.max_stored_bytes = Some(1 << 40);
        configure(&mut config);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let origin = format!("http://{}", listener.local_addr().expect("local addr"));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            if let Err(e) = onetimeshare::launch_with_listener(config, listener, shutdown).await {
                panic!("server failed: {e:#}");
            }
        });
        Self {
            origin,
            data_dir,
            stop: Some(stop),
        }
    }

    /// The part files of the share `id` (`{data_dir}/parts/{id}/{index}`).
    pub fn part_files(&self, id: &str) -> Vec<PathBuf> {
        let dir = self.data_dir.path().join("parts").join(id);
        let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("no parts under {}: {e}", dir.display()))
            .filter_map(|e| {
                let path = e.ok()?.path();
                let index = path.file_name()?.to_str()?.parse().ok()?;
                Some((index, path))
            })
            .collect();
        files.sort();
        files.into_iter().map(|(_, p)| p).collect()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// What a run of `ots` did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Share link and manage link of a successful `ots send`.
    pub fn links(&self) -> (String, String) {
        assert_eq!(self.code, 0, "ots send failed: {}", self.stderr);
        let text = self.stdout_text();
        let mut lines = text.lines();
        let share = lines.next().expect("share link line").to_owned();
        let manage = lines.next().expect("manage link line").to_owned();
        assert!(lines.next().is_none(), "more than two lines: {text}");
        (share, manage)
    }
}

/// A builder for one run of the real `ots` binary.
pub struct Ots {
    args: Vec<String>,
    stdin: Option<Vec<u8>>,
    env: Vec<(String, String)>,
    cwd: Option<PathBuf>,
}

pub fn ots<I, S>(args: I) -> Ots
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    Ots {
        args: args.into_iter().map(|a| a.as_ref().to_owned()).collect(),
        stdin: None,
        env: Vec::new(),
        cwd: None,
    }
}

impl Ots {
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn cwd(mut self, dir: &Path) -> Self {
        self.cwd = Some(dir.to_owned());
        self
    }

    pub async fn run(self) -> Run {
        let child = self.spawn_with_stdin().await;
        let out = child.wait_with_output().await.expect("wait for ots");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Starts `ots` and returns it running (stdin written in the background).
    pub async fn spawn_with_stdin(self) -> tokio::process::Child {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_ots"));
        cmd.args(&self.args)
            .env_remove("OTS_SERVER")
            .env_remove("OTS_PASSWORD")
            .env_remove("OTS_LINK")
            .env_remove("OTS_KEY")
            .env_remove("OTS_MANAGE_LINK")
            .env_remove("OTS_CREATE_TOKEN")
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        if let Some(dir) = &self.cwd {
            cmd.current_dir(dir);
        }
        let mut child = cmd.spawn().expect("spawn ots");
        if let Some(bytes) = self.stdin {
            let mut stdin = child.stdin.take().expect("stdin");
            tokio::spawn(async move {
                let _ = stdin.write_all(&bytes).await;
            });
        }
        child
    }
}

/// `len` reproducible pseudo-random bytes (xorshift64*): incompressible and
/// fast to make.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn sha256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

/// The share id of a share or manage link.
pub fn link_id(link: &str) -> String {
    let before = link.split('#').next().expect("link");
    before.rsplit('/').next().expect("id").to_owned()
}

/// Files in `dir`, names only, sorted.
pub fn dir_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A TCP proxy in front of `upstream` that breaks the first connection on
/// which a blob download was requested after `cut_after` response bytes, or
/// (stalling) stops forwarding there and holds the connection open.
pub struct CuttingProxy {
    pub origin: String,
    pub cuts: Arc<AtomicU64>,
    /// For a gated proxy: the cut waits until this is notified.
    pub gate: Arc<tokio::sync::Notify>,
}

impl CuttingProxy {
    pub async fn start(upstream: &str, cut_after: u64) -> Self {
        Self::start_with(upstream, cut_after, false).await
    }

    pub async fn stalling(upstream: &str, stall_after: u64) -> Self {
        Self::start_with(upstream, stall_after, true).await
    }

    /// Holds the first download after `after` bytes until `gate` is
    /// notified, then cuts it (`cuts` counts the hold).
    pub async fn gated(upstream: &str, after: u64) -> Self {
        Self::start_with_gate(upstream, after, false, true).await
    }

    async fn start_with(upstream: &str, cut_after: u64, stall: bool) -> Self {
        Self::start_with_gate(upstream, cut_after, stall, false).await
    }

    async fn start_with_gate(upstream: &str, cut_after: u64, stall: bool, gated: bool) -> Self {
        let gate = Arc::new(tokio::sync::Notify::new());
        let proxy_gate = gated.then(|| gate.clone());
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let origin = format!("http://{}", listener.local_addr().expect("addr"));
        let cuts = Arc::new(AtomicU64::new(0));
        let already_cut = Arc::new(AtomicBool::new(false));
        let counter = cuts.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let already_cut = already_cut.clone();
                let counter = counter.clone();
                let gate = proxy_gate.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(&upstream).await {
                        proxy_one(client, server, cut_after, stall, gate, already_cut, counter)
                            .await;
                    }
                });
            }
        });
        Self { origin, cuts, gate }
    }
}

async fn proxy_one(
    client: TcpStream,
    server: TcpStream,
    cut_after: u64,
    stall: bool,
    gate: Option<Arc<tokio::sync::Notify>>,
    already_cut: Arc<AtomicBool>,
    cuts: Arc<AtomicU64>,
) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let armed = Arc::new(AtomicBool::new(false));
    let armed_up = armed.clone();
    let up = tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let text = String::from_utf8_lossy(&buf[..n]);
            if text.starts_with("GET ")
                && text.contains("/blob")
                && !already_cut.swap(true, Ordering::SeqCst)
            {
                armed_up.store(true, Ordering::SeqCst);
            }
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    });
    let mut buf = vec![0u8; 64 * 1024];
    let mut sent_while_armed = 0u64;
    loop {
        let n = match server_read.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if armed.load(Ordering::SeqCst) {
            if sent_while_armed + n as u64 >= cut_after {
                let keep = (cut_after - sent_while_armed) as usize;
                let _ = client_write.write_all(&buf[..keep]).await;
                cuts.fetch_add(1, Ordering::SeqCst);
                if stall {
                    tokio::time::sleep(std::time::Duration::from_secs(300)).await;
                }
                if let Some(gate) = &gate {
                    gate.notified().await;
                }
                break;
            }
            sent_while_armed += n as u64;
        }
        if client_write.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    up.abort();
}

/// A listener that answers every request with a `307` to `target` plus the
/// request's path: what a hostile or misconfigured server could do.
pub struct Redirector {
    pub origin: String,
}

impl Redirector {
    pub async fn start(target: &str) -> Self {
        let target = target.trim_end_matches('/').to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let origin = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let target = target.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    let Ok(n) = conn.read(&mut buf).await else {
                        return;
                    };
                    let head = String::from_utf8_lossy(&buf[..n]);
                    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    let answer = format!(
                        "HTTP/1.1 307 Temporary Redirect\r\nLocation: {target}{path}\r\n\
                         Content-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                    let _ = conn.write_all(answer.as_bytes()).await;
                    let _ = conn.shutdown().await;
                });
            }
        });
        Self { origin }
    }
}

/// A listener that counts the connections it gets (and answers none).
pub struct CountingListener {
    pub origin: String,
    pub connections: Arc<AtomicU64>,
}

impl CountingListener {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let origin = format!("http://{}", listener.local_addr().expect("addr"));
        let connections = Arc::new(AtomicU64::new(0));
        let counter = connections.clone();
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                drop(conn);
            }
        });
        Self {
            origin,
            connections,
        }
    }
}

/// Creates a share of `plain` announced by `meta` through the protocol, as
/// any client could (a hostile sender included), and returns its share and
/// manage links.
pub async fn seal_share(origin: &str, meta: &ots_proto::Meta, plain: &[u8]) -> (String, String) {
    use ots_crypto::{
        payload_size, seal_meta, seal_payload, ContentKeys, LinkKeys, LinkSecret, ManageLink,
        ShareLink, Verifier,
    };
    use ots_proto::{CreateRequest, Created, Fixed, Opaque};
    let secret = LinkSecret::generate().expect("random");
    let link_keys = LinkKeys::derive(&secret);
    let keys = ContentKeys::derive(&secret, None);
    let payload = seal_payload(keys.payload_key(), plain);
    assert_eq!(payload.len() as u64, payload_size(plain.len() as u64));
    let body = CreateRequest {
        size: payload.len() as u64,
        expires_in: 600,
        max_downloads: 5,
        link_verifier: Fixed(link_keys.link_token().verifier()),
        claim_verifier: Fixed(keys.claim_token().verifier()),
        meta: Opaque(seal_meta(keys.meta_key(), meta).expect("meta fits")),
        kdf: None,
        payload: Some(Opaque(payload)),
    };
    let resp = reqwest::Client::new()
        .post(format!("{origin}/api/v1/shares"))
        .json(&body)
        .send()
        .await
        .expect("create");
    assert_eq!(resp.status(), 201, "create failed");
    let created: Created = resp.json().await.expect("created body");
    let share = ShareLink {
        origin: origin.to_owned(),
        id: created.id.clone(),
        secret,
    };
    let manage = ManageLink {
        origin: origin.to_owned(),
        id: created.id,
        token: created.manage_token,
    };
    (share.to_string(), manage.to_string())
}

/// Every path under `dir`, relative, with `/`, sorted (folders end with `/`).
pub fn tree(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            let rel = path
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/");
            if std::fs::symlink_metadata(&path).expect("meta").is_dir() {
                out.push(format!("{rel}/"));
                walk(root, &path, out);
            } else {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out.sort();
    out
}
