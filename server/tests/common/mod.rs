//! A real server on port 0 over real files, and a real HTTP client.
#![allow(dead_code, clippy::unwrap_used)]

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use onetimeshare::Config;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

/// The quota of test servers started as processes (`OTS_MAX_STORED_BYTES`): 1 TiB,
/// so that the test machine's free disk space never decides a test.
pub const TEST_QUOTA: &str = "1099511627776";

pub fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

pub fn unb64(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).unwrap()
}

pub fn sha(b: &[u8]) -> Vec<u8> {
    Sha256::digest(b).to_vec()
}

/// A console password's PHC string, cheap enough for debug builds (the cost is in the string).
pub fn cheap_hash(password: &str) -> String {
    use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version};
    let params = Params::new(8, 1, 1, None).unwrap();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_with_salt(password.as_bytes(), b"saltsaltsaltsalt")
        .unwrap()
        .to_string()
}

pub fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).unwrap();
    b
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub base: String,
    /// `http://addr` of the metrics listener, when started with one.
    pub metrics_base: Option<String>,
    pub data_dir: PathBuf,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> Self {
        Self::start_full(configure, false).await
    }

    /// With a metrics listener of its own on another free port.
    pub async fn start_with_metrics(configure: impl FnOnce(&mut Config)) -> Self {
        Self::start_full(configure, true).await
    }

    async fn start_full(configure: impl FnOnce(&mut Config), metrics: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_data_dir(dir.path().join("data"));
        config.site_root = dir.path().join("site");
        config.rate_create_per_min = 0;
        config.rate_claim_per_min = 0;
        config.max_concurrent_uploads = 64;
        // A quota of its own: the default (keep 10% of the disk free) would
        // make the tests depend on the host's free space.
        config.max_stored_bytes = Some(1 << 40);
        configure(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let metrics_listener = if metrics {
            Some(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap())
        } else {
            None
        };
        let metrics_base = metrics_listener
            .as_ref()
            .map(|l| format!("http://{}", l.local_addr().unwrap()));
        let (stop, rx) = oneshot::channel::<()>();
        let data_dir = config.data_dir.clone();
        let task = tokio::spawn(onetimeshare::launch_with_listeners(
            config,
            listener,
            metrics_listener,
            async {
                let _ = rx.await;
            },
        ));
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()
            .unwrap();
        let s = Self {
            addr,
            base: format!("http://{addr}"),
            metrics_base,
            data_dir,
            client,
            _dir: dir,
            stop: Some(stop),
            task: Some(task),
        };
        // Wait until it answers.
        for _ in 0..100 {
            if s.client.get(s.url("/healthz")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        s
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{}", self.base, path)
    }
}

/// A sender's secrets for one share (verifiers computed as protocol §2 says: SHA-256 of the tokens).
#[derive(Clone)]
pub struct Secrets {
    pub link_token: [u8; 32],
    pub claim_token: [u8; 32],
}

impl Secrets {
    pub fn new() -> Self {
        Self {
            link_token: random(),
            claim_token: random(),
        }
    }

    pub fn claim_body(&self) -> Value {
        json!({"link_token": b64(&self.link_token), "claim_token": b64(&self.claim_token)})
    }
}

pub struct Created {
    pub id: String,
    pub manage_token: String,
    pub upload_token: Option<String>,
    pub expires_at: String,
    pub secrets: Secrets,
}

pub fn create_body(
    secrets: &Secrets,
    size: u64,
    expires_in: u32,
    max_downloads: u32,
    payload: Option<&[u8]>,
) -> Value {
    let mut body = json!({
        "size": size,
        "expires_in": expires_in,
        "max_downloads": max_downloads,
        "link_verifier": b64(&sha(&secrets.link_token)),
        "claim_verifier": b64(&sha(&secrets.claim_token)),
        "meta": b64(b"sealed meta bytes, opaque to the server"),
        "kdf": {"m_kib": 65536, "t": 3, "p": 1},
    });
    if let Some(p) = payload {
        body["payload"] = json!(b64(p));
    }
    body
}

pub async fn create_with(
    s: &TestServer,
    size: u64,
    expires_in: u32,
    max_downloads: u32,
    payload: Option<&[u8]>,
) -> Created {
    let secrets = Secrets::new();
    let res = s
        .client
        .post(s.api("/shares"))
        .json(&create_body(
            &secrets,
            size,
            expires_in,
            max_downloads,
            payload,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.unwrap();
    Created {
        id: v["id"].as_str().unwrap().to_string(),
        manage_token: v["manage_token"].as_str().unwrap().to_string(),
        upload_token: v["upload_token"].as_str().map(str::to_string),
        expires_at: v["expires_at"].as_str().unwrap().to_string(),
        secrets,
    }
}

pub async fn create_inline(s: &TestServer, max_downloads: u32, payload: &[u8]) -> Created {
    create_with(s, payload.len() as u64, 3600, max_downloads, Some(payload)).await
}

pub async fn claim(s: &TestServer, c: &Created, body: &Value) -> (u16, Value) {
    let res = s
        .client
        .post(s.api(&format!("/shares/{}/claim", c.id)))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let v: Value = res.json().await.unwrap_or(Value::Null);
    (status, v)
}

pub async fn status_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let v: Value = res.json().await.unwrap_or(Value::Null);
    (status, v)
}

/// Uploads `data` in 8 MiB parts and completes it.
pub async fn upload_all(s: &TestServer, c: &Created, data: &[u8]) {
    let token = c.upload_token.as_ref().unwrap();
    for (i, chunk) in data.chunks(8 * 1024 * 1024).enumerate() {
        let res = s
            .client
            .put(s.api(&format!("/shares/{}/parts/{i}", c.id)))
            .bearer_auth(token)
            .body(chunk.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204, "part {i}");
    }
    let res = s
        .client
        .post(s.api(&format!("/shares/{}/complete", c.id)))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
}

pub fn part_dir(s: &TestServer, id: &str) -> PathBuf {
    s.data_dir.join("parts").join(id)
}
