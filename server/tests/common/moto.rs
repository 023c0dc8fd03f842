//! A real S3-compatible server for tests: `moto_server` (PyPI `moto[server]`,
//! installed by `scripts/test-deps.sh` into `~/.cache/onetimeshare-tools/moto`)
//! on a free port of 127.0.0.1. It keeps everything in memory. A watchdog
//! shell stops it when the test process ends, even when the handle is a
//! static that is never dropped. Include with
//! `#[path = "common/moto.rs"] mod moto;` (the unit tests include it too).
#![allow(dead_code, clippy::unwrap_used)]

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::atomic::{AtomicU32, Ordering},
    time::{Duration, Instant},
};

/// The credentials every test uses (moto accepts any, but requests must be signed;
/// static keys also keep object_store from asking the EC2 metadata address).
pub const ACCESS_KEY: &str = "test";
pub const SECRET_KEY: &str = "test";
pub const REGION: &str = "us-east-1";

/// Where `moto_server` is; `OTS_TEST_MOTO_SERVER` overrides it.
fn binary() -> PathBuf {
    if let Ok(p) = std::env::var("OTS_TEST_MOTO_SERVER") {
        return p.into();
    }
    let tools = std::env::var("OTS_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            let cache = std::env::var("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache"));
            cache.join("onetimeshare-tools")
        });
    tools.join("moto/bin/moto_server")
}

/// A running `moto_server`.
pub struct Moto {
    pub port: u16,
    child: Option<Child>,
}

impl Moto {
    pub fn start() -> Self {
        let mut m = Self {
            port: free_port(),
            child: None,
        };
        m.spawn();
        m
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The environment a server process needs to reach this moto.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.into()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.into()),
            ("AWS_REGION", REGION.into()),
            ("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "false".into()),
        ]
    }

    fn spawn(&mut self) {
        let bin = binary();
        assert!(
            bin.exists(),
            "{} is missing: run `bash scripts/test-deps.sh` (installs moto[server] 5.2.5)",
            bin.display()
        );
        // The shell's parent is this test process: when it is gone, moto goes too.
        let script = format!(
            "{} -H 127.0.0.1 -p {} >/dev/null 2>&1 & m=$!; \
             trap 'kill $m 2>/dev/null; exit 0' TERM INT; \
             while kill -0 {} 2>/dev/null && kill -0 $m 2>/dev/null; do sleep 1; done; kill $m 2>/dev/null",
            bin.display(),
            self.port,
            std::process::id()
        );
        let child = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self
                .request("GET", "/moto-api/")
                .is_some_and(|s| s.starts_with("HTTP/1.1 200") || s.starts_with("HTTP/1.0 200"))
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("moto_server did not answer on port {}", self.port);
    }

    /// Stops it (its whole state is lost: buckets and objects).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            // TERM reaches the watchdog shell, whose trap stops moto.
            let _ = Command::new("kill").arg(c.id().to_string()).status();
            let _ = c.wait();
            // Wait until the port is closed.
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline && TcpStream::connect(("127.0.0.1", self.port)).is_ok()
            {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Starts it again on the same port, empty.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Creates a bucket with a name no other test of this process uses.
    pub fn new_bucket(&self, stem: &str) -> String {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "{}-{}-{}",
            stem,
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        self.create_bucket(&name);
        name
    }

    /// Creates a bucket (moto takes an unsigned bucket PUT).
    pub fn create_bucket(&self, name: &str) {
        let reply = self.request("PUT", &format!("/{name}")).unwrap();
        assert!(reply.starts_with("HTTP/1.1 200"), "create bucket: {reply}");
    }

    /// One HTTP/1.1 request with an empty body; the whole answer (tests only).
    fn request(&self, method: &str, path: &str) -> Option<String> {
        let mut s = TcpStream::connect_timeout(
            &format!("127.0.0.1:{}", self.port).parse().ok()?,
            Duration::from_millis(500),
        )
        .ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        )
        .ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        Some(out)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
