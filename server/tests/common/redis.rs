//! A real `redis-server` for tests: a free port on 127.0.0.1, no RDB snapshots,
//! killed when dropped. Include with `#[path = "common/redis.rs"] mod redis_server;`.
#![allow(dead_code, clippy::unwrap_used)]

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// Where the binary is (Debian's `redis-server` package); `OTS_TEST_REDIS_SERVER` overrides it.
fn binary() -> String {
    std::env::var("OTS_TEST_REDIS_SERVER").unwrap_or_else(|_| "/usr/bin/redis-server".into())
}

/// A running `redis-server`.
pub struct RedisServer {
    pub port: u16,
    dir: PathBuf,
    aof: bool,
    child: Option<Child>,
    _tmp: Option<tempfile::TempDir>,
}

impl RedisServer {
    /// Memory only: `--save "" --appendonly no`.
    pub fn start() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let mut s = Self {
            port: free_port(),
            dir,
            aof: false,
            child: None,
            _tmp: Some(tmp),
        };
        s.spawn();
        s
    }

    /// A free port and a data dir, but no process yet: [`RedisServer::launch`] starts it.
    pub fn not_started() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        Self {
            port: free_port(),
            dir,
            aof: false,
            child: None,
            _tmp: Some(tmp),
        }
    }

    /// Starts a server made by [`RedisServer::not_started`] (or stopped by [`RedisServer::kill`]).
    pub fn launch(&mut self) {
        self.kill();
        self.spawn();
    }

    /// `SIGSTOP` (`true`) or `SIGCONT` (`false`): a Redis that hangs without closing its sockets.
    pub fn pause(&self, stop: bool) {
        let pid = self.child.as_ref().unwrap().id().to_string();
        let sig = if stop { "-STOP" } else { "-CONT" };
        assert!(Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap()
            .success());
    }

    /// With an append-only file (`appendfsync always`) in `dir`, so a restart keeps the data.
    pub fn start_persistent(dir: &Path) -> Self {
        let mut s = Self {
            port: free_port(),
            dir: dir.to_path_buf(),
            aof: true,
            child: None,
            _tmp: None,
        };
        s.spawn();
        s
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) {
        let port = self.port.to_string();
        let dir = self.dir.to_string_lossy().to_string();
        let mut args: Vec<&str> = vec![
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            &dir,
        ];
        if self.aof {
            args.extend(["--appendonly", "yes", "--appendfsync", "always"]);
        } else {
            args.extend(["--appendonly", "no"]);
        }
        let child = Command::new(binary())
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs (apt install redis-server)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.command("PING").is_some_and(|r| r.starts_with("+PONG")) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not answer on port {}", self.port);
    }

    /// `kill -9`: connections drop at once, nothing more is written.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port (and, when persistent, the same data).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Sends one inline command and returns the first reply chunk (tests only).
    pub fn command(&self, cmd: &str) -> Option<String> {
        let mut s = TcpStream::connect_timeout(
            &format!("127.0.0.1:{}", self.port).parse().ok()?,
            Duration::from_millis(200),
        )
        .ok()?;
        s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        s.write_all(format!("{cmd}\r\n").as_bytes()).ok()?;
        let mut buf = vec![0u8; 1 << 16];
        let n = s.read(&mut buf).ok()?;
        Some(String::from_utf8_lossy(&buf[..n]).into_owned())
    }

    /// The number of keys matching `pattern` (via `KEYS`; tests only).
    pub fn count_keys(&self, pattern: &str) -> usize {
        let reply = self.command(&format!("KEYS {pattern}")).unwrap_or_default();
        // "*N\r\n..." for N keys.
        reply
            .lines()
            .next()
            .and_then(|l| l.strip_prefix('*'))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for RedisServer {
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
