//! Slow and stalled clients over real sockets: a slow download keeps its
//! share, a stalled one is closed and resumes, slow uploads and idle
//! connections never lock out other clients.
#![allow(clippy::unwrap_used)]

mod common;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use common::*;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
    time::{sleep, timeout, Instant},
};

/// Payload bytes of a share with three parts.
const THREE_PARTS: usize = 2 * 8 * 1024 * 1024 + 1000;

fn pattern(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i % 251) as u8).collect()
}

/// A connection with a small receive buffer, so that the server feels every pause.
async fn connect_small(addr: SocketAddr) -> TcpStream {
    let sock = TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(16 * 1024).unwrap();
    sock.connect(addr).await.unwrap()
}

/// Sends a download request on a fresh small-buffered connection.
async fn start_download(s: &TestServer, id: &str, ticket: &str, range: Option<&str>) -> TcpStream {
    let mut sock = connect_small(s.addr).await;
    let range = range.map(|r| format!("Range: {r}\r\n")).unwrap_or_default();
    let req = format!(
        "GET /api/v1/shares/{id}/blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ticket}\r\n{range}\r\n"
    );
    sock.write_all(req.as_bytes()).await.unwrap();
    sock
}

/// Reads the status line and headers; returns the status and the body bytes read with them.
async fn read_head(sock: &mut TcpStream) -> (u16, Vec<u8>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = timeout(Duration::from_secs(10), sock.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "closed before the head");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let status = head[9..12].parse().unwrap();
            return (status, buf[end + 4..].to_vec());
        }
    }
}

/// Reads until the server closes the connection (or `limit` passes); errors count as the end.
async fn read_to_close(sock: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let deadline = Instant::now() + limit;
    loop {
        match timeout(
            deadline.saturating_duration_since(Instant::now()),
            sock.read(&mut chunk),
        )
        .await
        {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(out),
            Ok(Ok(n)) => out.extend_from_slice(&chunk[..n]),
        }
    }
}

async fn claimed_file_share(s: &TestServer, data: &[u8], downloads: u32) -> (Created, String) {
    let c = create_with(s, data.len() as u64, 3600, downloads, None).await;
    upload_all(s, &c, data).await;
    let (st, v) = claim(s, &c, &c.secrets.claim_body()).await;
    assert_eq!(st, 200, "{v}");
    let ticket = v["ticket"].as_str().unwrap().to_string();
    (c, ticket)
}

async fn resume(s: &TestServer, c: &Created, ticket: &str, from: usize) -> (u16, Vec<u8>) {
    let r = s
        .client
        .get(s.api(&format!("/shares/{}/blob", c.id)))
        .bearer_auth(ticket)
        .header("Range", format!("bytes={from}-"))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_slower_than_the_ticket_ttl_keeps_its_share_and_resumes_after_a_break() {
    let s = TestServer::start_with(|c| {
        c.ticket_ttl_secs = 2;
        c.sweep_secs = 1;
    })
    .await;
    // Five parts: after 12 MiB read, far more is left than the connection's
    // buffers hold (the server's send buffer grows to 4 MiB), so the server
    // is still sending when the connection breaks; with less, it could have
    // sent its last byte a second or more before the break.
    let data = pattern(5 * 8 * 1024 * 1024 + 1000);
    let (c, ticket) = claimed_file_share(&s, &data, 1).await;
    // Read 12 MiB at about 2.5 MiB/s: the download outlives the ticket's TTL twice over.
    let mut sock = start_download(&s, &c.id, &ticket, None).await;
    let (status, mut got) = read_head(&mut sock).await;
    assert_eq!(status, 200);
    let started = Instant::now();
    let mut chunk = vec![0u8; 64 * 1024];
    while got.len() < 12 * 1024 * 1024 {
        let n = timeout(Duration::from_secs(10), sock.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "the download broke after {} bytes", got.len());
        got.extend_from_slice(&chunk[..n]);
        sleep(Duration::from_millis(25)).await;
    }
    assert!(
        started.elapsed() > Duration::from_secs(4),
        "slower than the TTL"
    );
    // The connection breaks; a resume within the TTL of the last byte gets the rest.
    // Expiry is counted in whole seconds, so a 2 s TTL is sure to last 1 s:
    // the break is half of that.
    drop(sock);
    sleep(Duration::from_millis(500)).await;
    let (status, rest) = resume(&s, &c, &ticket, got.len()).await;
    assert_eq!(status, 206, "{}", String::from_utf8_lossy(&rest));
    got.extend_from_slice(&rest);
    assert!(
        got == data,
        "the slow download and its resume give the payload"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_that_stops_reading_is_closed_and_its_ticket_still_resumes() {
    let s = TestServer::start_with(|c| c.write_timeout_secs = 1).await;
    let data = pattern(THREE_PARTS);
    let (c, ticket) = claimed_file_share(&s, &data, 1).await;
    let mut sock = start_download(&s, &c.id, &ticket, None).await;
    let (status, mut got) = read_head(&mut sock).await;
    assert_eq!(status, 200);
    sleep(Duration::from_secs(4)).await;
    let rest = read_to_close(&mut sock, Duration::from_secs(10))
        .await
        .expect("the server closed the stalled download");
    got.extend_from_slice(&rest);
    assert!(got.len() < data.len(), "closed before the end");
    let (status, tail) = resume(&s, &c, &ticket, got.len()).await;
    assert_eq!(status, 206);
    got.extend_from_slice(&tail);
    assert!(got == data);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_downloads_are_capped_per_client_address() {
    let s = TestServer::start_with(|c| c.max_downloads_per_address = 2).await;
    let data = pattern(THREE_PARTS);
    let (c, ticket) = claimed_file_share(&s, &data, 1).await;
    let mut stalled = Vec::new();
    for _ in 0..2 {
        let mut sock = start_download(&s, &c.id, &ticket, None).await;
        assert_eq!(read_head(&mut sock).await.0, 200);
        stalled.push(sock);
    }
    let blob = s.api(&format!("/shares/{}/blob", c.id));
    let r = s
        .client
        .get(&blob)
        .bearer_auth(&ticket)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());
    let (_, v) = status_of(r).await;
    assert_eq!(v["error"], "rate_limited");
    // Another address is not held up.
    let other = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let r = other.get(&blob).bearer_auth(&ticket).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().as_ref() == data.as_slice());
    drop(stalled);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_idle_or_stalled_connections_do_not_stop_a_create_and_claim() {
    let s = TestServer::start_with(|c| {
        c.header_timeout_secs = 2;
        c.write_timeout_secs = 2;
    })
    .await;
    // Downloads whose bodies are streamed from part files (four tickets, so
    // that no ticket's byte budget is what stops them).
    let data = pattern(THREE_PARTS);
    let c = create_with(&s, data.len() as u64, 3600, 4, None).await;
    upload_all(&s, &c, &data).await;
    let mut tickets = Vec::new();
    for _ in 0..4 {
        let (_, v) = claim(&s, &c, &c.secrets.claim_body()).await;
        tickets.push(v["ticket"].as_str().unwrap().to_string());
    }
    let mut socks = Vec::new();
    for i in 0..2000 {
        let mut sock = connect_small(s.addr).await;
        if i % 2 == 1 {
            // A download that reads nothing (or, past the address's cap, a 429 it never reads).
            let req = format!(
                "GET /api/v1/shares/{}/blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n",
                c.id,
                tickets[(i / 2) % 4]
            );
            sock.write_all(req.as_bytes()).await.unwrap();
        }
        socks.push(sock);
    }
    // Another client creates and claims as usual.
    let other = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let sec = Secrets::new();
    let r = timeout(
        Duration::from_secs(10),
        other
            .post(s.api("/shares"))
            .json(&create_body(&sec, 17, 3600, 1, Some(&[1u8; 17])))
            .send(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = timeout(
        Duration::from_secs(10),
        other
            .post(s.api(&format!("/shares/{id}/claim")))
            .json(&sec.claim_body())
            .send(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(r.status(), 200);
    // Every idle and stalled connection is closed by the server's timeouts.
    let closed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for mut sock in socks {
        let closed = closed.clone();
        tasks.push(tokio::spawn(async move {
            if read_to_close(&mut sock, Duration::from_secs(20))
                .await
                .is_some()
            {
                closed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(closed.load(std::sync::atomic::Ordering::SeqCst), 2000);
    s.stop().await;
}

/// A part upload that sends its headers and a few bytes, then trickles or stalls.
async fn slow_upload(s: &TestServer, c: &Created, len: usize) -> TcpStream {
    let mut sock = TcpStream::connect(s.addr).await.unwrap();
    let req = format!(
        "PUT /api/v1/shares/{}/parts/0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Length: {len}\r\n\r\nabc",
        c.id,
        c.upload_token.as_ref().unwrap()
    );
    sock.write_all(req.as_bytes()).await.unwrap();
    sock
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_slow_uploads_from_one_address_do_not_stop_another_clients_upload() {
    let s = TestServer::start_with(|c| c.max_concurrent_uploads = 16).await;
    let c = create_with(&s, 1000, 3600, 1, None).await;
    let mut slow = Vec::new();
    for _ in 0..16 {
        slow.push(slow_upload(&s, &c, 1000).await);
    }
    sleep(Duration::from_millis(500)).await;
    let other = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let r = other
        .put(s.api(&format!("/shares/{}/parts/0", c.id)))
        .bearer_auth(c.upload_token.as_ref().unwrap())
        .body(vec![0u8; 1000])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    drop(slow);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_slower_than_the_minimum_rate_is_cut_off() {
    let s = TestServer::start_with(|c| {
        c.upload_min_bytes_per_sec = 1000;
        c.upload_rate_window_secs = 1;
    })
    .await;
    let c = create_with(&s, 1000, 3600, 1, None).await;
    let mut sock = slow_upload(&s, &c, 1000).await;
    // One byte every 100 ms: never idle, but far below 1000 bytes/s.
    let started = Instant::now();
    let mut answer = Vec::new();
    while started.elapsed() < Duration::from_secs(8) {
        if sock.write_all(b"x").await.is_err() {
            break;
        }
        let mut buf = [0u8; 4096];
        match timeout(Duration::from_millis(100), sock.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {
                answer.extend_from_slice(&buf[..n]);
                break;
            }
            Ok(_) => break,
            Err(_) => {}
        }
    }
    let head = String::from_utf8_lossy(&answer);
    assert!(
        head.starts_with("HTTP/1.1 400"),
        "cut off with an answer: {head:?}"
    );
    assert!(head.contains("bad_part"), "{head}");
    assert!(started.elapsed() < Duration::from_secs(5));
    s.stop().await;
}

/// Sends a whole 8 MiB part over a raw socket, as a browser or Node sends a
/// body (all of it, before reading anything), then reads the answer's status.
async fn send_whole_part(s: &TestServer, id: &str, token: &str) -> u16 {
    let len = 8 * 1024 * 1024;
    let mut sock = TcpStream::connect(s.addr).await.unwrap();
    let head = format!(
        "PUT /api/v1/shares/{id}/parts/0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\nContent-Length: {len}\r\n\r\n"
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.write_all(&pattern(len))
        .await
        .expect("the whole body is taken before the answer");
    read_head(&mut sock).await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_part_is_answered_after_its_body_not_with_a_broken_connection() {
    let s = TestServer::start().await;
    let c = create_with(&s, THREE_PARTS as u64, 3600, 1, None).await;
    let upload = c.upload_token.clone().unwrap();
    // A token that does not parse, a wrong upload token, then a revoked
    // share: each answer reaches a client that sends the whole part before it reads.
    assert_eq!(send_whole_part(&s, &c.id, "").await, 401);
    assert_eq!(send_whole_part(&s, &c.id, &b64(&[7u8; 32])).await, 401);
    assert_eq!(send_whole_part(&s, &c.id, &upload).await, 204);
    let del = s.api(&format!("/shares/{}", c.id));
    let revoked = s
        .client
        .delete(&del)
        .bearer_auth(&c.manage_token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    assert_eq!(send_whole_part(&s, &c.id, &upload).await, 410);
    s.stop().await;
}
