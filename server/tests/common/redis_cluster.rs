//! A real 3-master Redis Cluster for tests: three `redis-server --cluster-enabled yes`
//! on free loopback ports (each with its bus port, port + 10000, free too), joined
//! with `redis-cli --cluster create --cluster-replicas 0`, killed when dropped.
//! Include with `#[path = "common/redis_cluster.rs"] mod redis_cluster;`.
#![allow(dead_code, clippy::unwrap_used)]

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

fn redis_server() -> String {
    std::env::var("OTS_TEST_REDIS_SERVER").unwrap_or_else(|_| "/usr/bin/redis-server".into())
}

fn redis_cli() -> String {
    std::env::var("OTS_TEST_REDIS_CLI").unwrap_or_else(|_| "/usr/bin/redis-cli".into())
}

/// Three masters covering every slot.
pub struct RedisCluster {
    pub ports: Vec<u16>,
    children: Vec<Child>,
    _dir: tempfile::TempDir,
}

impl RedisCluster {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ports = free_ports_with_bus(3);
        let mut children = Vec::new();
        for p in &ports {
            let node_dir = dir.path().join(p.to_string());
            std::fs::create_dir_all(&node_dir).unwrap();
            let child = Command::new(redis_server())
                .args(["--port", &p.to_string(), "--bind", "127.0.0.1"])
                .args(["--cluster-enabled", "yes"])
                .args(["--cluster-config-file", &format!("nodes-{p}.conf")])
                .args(["--cluster-node-timeout", "5000"])
                .arg("--dir")
                .arg(&node_dir)
                .args(["--appendonly", "no", "--save", ""])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server runs (apt install redis-server)");
            children.push(child);
        }
        let c = Self {
            ports,
            children,
            _dir: dir,
        };
        for p in &c.ports {
            c.wait_for(*p, "PING", "PONG");
        }
        let mut create = Command::new(redis_cli());
        create.arg("--cluster").arg("create");
        for p in &c.ports {
            create.arg(format!("127.0.0.1:{p}"));
        }
        let out = create
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "redis-cli --cluster create: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        for p in &c.ports {
            c.wait_for(*p, "CLUSTER INFO", "cluster_state:ok");
        }
        c
    }

    /// `redis-cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3`.
    pub fn url(&self) -> String {
        let nodes: Vec<String> = self
            .ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        format!("redis-cluster://{}", nodes.join(","))
    }

    /// One `redis-cli` command against one node; its output.
    pub fn cli(&self, port: u16, args: &[&str]) -> String {
        let out = Command::new(redis_cli())
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn wait_for(&self, port: u16, cmd: &str, want: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let args: Vec<&str> = cmd.split(' ').collect();
        while Instant::now() < deadline {
            if self.cli(port, &args).contains(want) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis node {port}: no {want:?} for {cmd}");
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `n` free ports whose cluster bus port (port + 10000) is free as well.
fn free_ports_with_bus(n: usize) -> Vec<u16> {
    let mut held = Vec::new();
    let mut ports = Vec::new();
    while ports.len() < n {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let p = l.local_addr().unwrap().port();
        if p > 55535 {
            continue;
        }
        let Ok(bus) = TcpListener::bind(("127.0.0.1", p + 10000)) else {
            continue;
        };
        held.push((l, bus));
        ports.push(p);
    }
    ports
}
