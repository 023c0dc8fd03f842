//! `ots` in scripts: links and keys kept out of `ps` (stdin, environment,
//! key apart), generated secrets, `status --wait`, the server's settings
//! honoured before upload, redirects refused, and the words for a share
//! that ended. The real binary against a real server on port 0.

mod common;

use std::time::{Duration, Instant};

use common::{
    dir_names, ots, random_bytes, CountingListener, CuttingProxy, Redirector, TestServer,
};

const MIB: usize = 1024 * 1024;

async fn send_text(server: &TestServer, text: &str, extra: &[&str]) -> (String, String) {
    let mut args = vec!["send", "--server", &server.origin];
    args.extend_from_slice(extra);
    ots(args).stdin(text).run().await.links()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_on_standard_input_opens_the_share() {
    let server = TestServer::start().await;
    let (share, _) = send_text(&server, "via stdin", &[]).await;
    let got = ots(["get", "-"]).stdin(format!("{share}\n")).run().await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert_eq!(got.stdout_text(), "via stdin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_from_ots_link_opens_the_share() {
    let server = TestServer::start().await;
    let (share, _) = send_text(&server, "via the environment", &[]).await;
    let got = ots(["get"]).env("OTS_LINK", &share).run().await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert_eq!(got.stdout_text(), "via the environment");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manage_link_on_stdin_or_from_the_environment_works() {
    let server = TestServer::start().await;
    let (_, manage) = send_text(&server, "managed", &[]).await;
    let status = ots(["status", "-"]).stdin(manage.clone()).run().await;
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(status.stdout_text().contains("state: ready"));
    let status = ots(["status"]).env("OTS_MANAGE_LINK", &manage).run().await;
    assert_eq!(status.code, 0, "{}", status.stderr);
    let revoke = ots(["revoke"]).env("OTS_MANAGE_LINK", &manage).run().await;
    assert_eq!(revoke.code, 0, "{}", revoke.stderr);
    let status = ots(["status", "-"]).stdin(manage).run().await;
    assert!(status.stdout_text().contains("state: revoked"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_says_links_can_come_from_stdin_and_the_environment() {
    let help = ots(["get", "--help"]).run().await;
    assert_eq!(help.code, 0);
    let text = help.stdout_text();
    assert!(text.contains("ots get -"), "{text}");
    assert!(text.contains("OTS_LINK"), "{text}");
    assert!(text.contains("OTS_KEY"), "{text}");
    let help = ots(["status", "--help"]).run().await.stdout_text();
    assert!(help.contains("OTS_MANAGE_LINK"), "{help}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_redirect_is_refused_naming_its_target() {
    let server = TestServer::start().await;
    let (share, _) = send_text(&server, "never leaves", &[]).await;
    let elsewhere = CountingListener::start().await;
    let redirector = Redirector::start(&elsewhere.origin).await;
    let target = elsewhere.origin.trim_start_matches("http://");

    // A share link whose server answers 307 to another host.
    let redirected = share.replace(&server.origin, &redirector.origin);
    let got = ots(["get", &redirected]).run().await;
    assert_eq!(got.code, 1, "{}", got.stderr);
    assert!(got.stderr.contains("307"), "{}", got.stderr);
    assert!(got.stderr.contains(target), "{}", got.stderr);
    assert!(
        got.stderr.contains("does not follow redirects"),
        "{}",
        got.stderr
    );

    // A send to such a server stops before anything leaves.
    let sent = ots(["send", "--server", &redirector.origin])
        .stdin("never uploaded")
        .run()
        .await;
    assert_eq!(sent.code, 1, "{}", sent.stderr);
    assert!(sent.stderr.contains(target), "{}", sent.stderr);
    assert_eq!(
        elsewhere
            .connections
            .load(std::sync::atomic::Ordering::SeqCst),
        0,
        "a request followed the redirect"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_names_are_made_safe_when_saved() {
    let server = TestServer::start().await;
    let dst = tempfile::tempdir().unwrap();
    for (sealed, saved) in [
        ("a:b.txt", "a_b.txt"),
        ("CON.txt", "_CON.txt"),
        ("nul", "_nul"),
        ("..\\..\\boot.ini", "_.._boot.ini"),
    ] {
        let (share, _) = ots(["send", "--name", sealed, "--server", &server.origin])
            .stdin("content")
            .run()
            .await
            .links();
        let got = ots(["get", &share, "-o", dst.path().to_str().unwrap()])
            .run()
            .await;
        assert_eq!(got.code, 0, "{}", got.stderr);
        assert!(
            dst.path().join(saved).is_file(),
            "{sealed} -> {:?}",
            dir_names(dst.path())
        );
    }
    assert_eq!(dir_names(dst.path()).len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_can_travel_apart_from_its_link() {
    let server = TestServer::start().await;
    let sent = ots([
        "send",
        "--key-apart",
        "--downloads",
        "5",
        "--server",
        &server.origin,
    ])
    .stdin("two channels")
    .run()
    .await;
    assert_eq!(sent.code, 0, "{}", sent.stderr);
    let text = sent.stdout_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    let (link, manage, key) = (lines[0], lines[1], lines[2]);
    assert!(!link.contains('#') && link.contains("/s/"), "{link}");
    assert!(manage.contains("/m/") && manage.contains('#'), "{manage}");
    assert_eq!(key.len(), 43, "{key}");

    // Without the key: a clear usage error, nothing claimed.
    let got = ots(["get", link]).run().await;
    assert_eq!(got.code, 2, "{}", got.stderr);
    assert!(got.stderr.contains("--key"), "{}", got.stderr);

    for got in [
        ots(["get", link, "--key", key]).run().await,
        ots(["get", link, "--key", "-"])
            .stdin(format!("{key}\n"))
            .run()
            .await,
        ots(["get", link]).env("OTS_KEY", key).run().await,
        ots(["get", link, "--key", &format!("{link}#{key}")])
            .run()
            .await,
    ] {
        assert_eq!(got.code, 0, "{}", got.stderr);
        assert_eq!(got.stdout_text(), "two channels");
    }

    // A wrong key is refused by the server (403 bad_link) and costs nothing.
    // Another valid key: the first character changed.
    let first = if key.starts_with('A') { "B" } else { "A" };
    let wrong = format!("{first}{}", &key[1..]);
    let got = ots(["get", link, "--key", &wrong]).run().await;
    assert_eq!(got.code, 3, "{}", got.stderr);
    assert!(got.stderr.contains("does not match"), "{}", got.stderr);
    let status = ots(["status", manage]).run().await.stdout_text();
    assert!(status.contains("downloads_left: 1"), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_secret_is_shared_and_printed_once() {
    let server = TestServer::start().await;
    let sent = ots(["send", "--generate", "--server", &server.origin])
        .run()
        .await;
    assert_eq!(sent.code, 0, "{}", sent.stderr);
    let text = sent.stdout_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    let secret = lines[2];
    assert_eq!(secret.len(), 32);
    assert!(
        secret.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{secret}"
    );
    assert!(!sent.stderr.contains(secret), "printed once, on stdout");
    let got = ots(["get", lines[0]]).run().await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert_eq!(got.stdout_text(), secret);

    let sent = ots([
        "send",
        "--generate",
        "12",
        "--alphabet",
        "hex",
        "--key-apart",
        "--server",
        &server.origin,
    ])
    .run()
    .await;
    assert_eq!(sent.code, 0, "{}", sent.stderr);
    let text = sent.stdout_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "link, manage link, key, secret: {text}");
    assert_eq!(lines[3].len(), 12);
    assert!(
        lines[3].bytes().all(|b| b.is_ascii_hexdigit()),
        "{}",
        lines[3]
    );
    let got = ots(["get", lines[0], "--key", lines[2]]).run().await;
    assert_eq!(got.stdout_text(), lines[3]);

    let bad = ots(["send", "--generate", "4", "--server", &server.origin])
        .run()
        .await;
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

/// Waits until `child` has run for `at_least` without exiting.
async fn still_running(child: &mut tokio::process::Child, at_least: Duration) {
    let until = Instant::now() + at_least;
    while Instant::now() < until {
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "status --wait returned before anything changed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_wait_returns_after_a_claim() {
    let server = TestServer::start().await;
    let (share, manage) = send_text(&server, "watched", &[]).await;
    let mut waiting = ots(["status", "--wait", &manage]).spawn_with_stdin().await;
    still_running(&mut waiting, Duration::from_millis(2500)).await;

    let got = ots(["get", &share]).run().await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    let out = tokio::time::timeout(Duration::from_secs(20), waiting.wait_with_output())
        .await
        .expect("status --wait returns within its polling interval")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("state: consumed"), "{stdout}");
    assert!(stdout.contains("downloaded: "), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_wait_exits_2_when_the_share_is_revoked() {
    let server = TestServer::start().await;
    let (_, manage) = send_text(&server, "watched", &[]).await;
    let mut waiting = ots(["status", "--wait", "--json", &manage])
        .spawn_with_stdin()
        .await;
    still_running(&mut waiting, Duration::from_millis(2500)).await;

    let revoke = ots(["revoke", &manage]).run().await;
    assert_eq!(revoke.code, 0, "{}", revoke.stderr);
    let out = tokio::time::timeout(Duration::from_secs(20), waiting.wait_with_output())
        .await
        .expect("status --wait returns within its polling interval")
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["state"], "revoked");
    assert!(String::from_utf8_lossy(&out.stderr).contains("was revoked"));

    // On a share that has ended already, it returns at once.
    let again = ots(["status", "--wait", &manage]).run().await;
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(again.stdout_text().contains("state: revoked"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_settings_are_honoured_before_upload() {
    let server = TestServer::start_with(|config| {
        config.max_share_bytes = 2 * MIB as u64;
        config.min_expiry_secs = 300;
        config.max_expiry_secs = 3600;
        config.default_expiry_secs = 900;
    })
    .await;
    let src = tempfile::tempdir().unwrap();
    let big = src.path().join("big.bin");
    std::fs::write(&big, random_bytes(3 * MIB, 5)).unwrap();

    let refused = ots(["send", big.to_str().unwrap(), "--server", &server.origin])
        .run()
        .await;
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("big.bin is too large: this server accepts shares of at most 2 MiB"),
        "{}",
        refused.stderr
    );
    // The same from a pipe, and as part of an archive.
    let piped = ots(["send", "--name", "piped.bin", "--server", &server.origin])
        .stdin(random_bytes(3 * MIB, 6))
        .run()
        .await;
    assert_eq!(piped.code, 2, "{}", piped.stderr);
    assert!(piped.stderr.contains("too large"), "{}", piped.stderr);
    std::fs::write(src.path().join("small.txt"), "small").unwrap();
    let archived = ots(["send", "big.bin", "small.txt", "--server", &server.origin])
        .cwd(src.path())
        .run()
        .await;
    assert_eq!(archived.code, 2, "{}", archived.stderr);
    assert!(archived.stderr.contains("too large"), "{}", archived.stderr);
    // Nothing was created on the server.
    let parts = server.data_dir.path().join("parts");
    assert!(
        !parts.exists() || std::fs::read_dir(&parts).unwrap().next().is_none(),
        "an upload started"
    );

    for (expires, shown) in [("1d", "--expires 1d"), ("1m", "--expires 1m")] {
        let run = ots(["send", "--expires", expires, "--server", &server.origin])
            .stdin("x")
            .run()
            .await;
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(
            run.stderr.contains(&format!(
                "{shown}: this server accepts expiries from 5m to 1h"
            )),
            "{}",
            run.stderr
        );
    }

    // Without --expires the server's default applies.
    let before = time::OffsetDateTime::now_utc();
    let (_, manage) = send_text(&server, "default expiry", &[]).await;
    let status = ots(["status", "--json", &manage]).run().await;
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let expires = time::OffsetDateTime::parse(
        json["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let secs = (expires - before).whole_seconds();
    assert!((890..=910).contains(&secs), "expires in {secs} s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_cut_off_by_a_revocation_says_so_and_exits_3() {
    let server = TestServer::start().await;
    let proxy = CuttingProxy::gated(&server.origin, 2 * MIB as u64).await;
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let path = src.path().join("cut.bin");
    std::fs::write(&path, random_bytes(12 * MIB, 7)).unwrap();
    let (share, manage) = ots(["send", path.to_str().unwrap(), "--server", &proxy.origin])
        .run()
        .await
        .links();

    let child = ots(["get", &share])
        .cwd(dst.path())
        .spawn_with_stdin()
        .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while proxy.cuts.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "the download never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Revoked while its bytes are on the way; then the connection breaks
    // and the resume meets the revocation.
    let revoke = ots(["revoke", &manage]).run().await;
    assert_eq!(revoke.code, 0, "{}", revoke.stderr);
    proxy.gate.notify_one();
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("ots get returns")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("its sender revoked it"), "{stderr}");
    assert_eq!(dir_names(dst.path()), Vec::<String>::new());
}
