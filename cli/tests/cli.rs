//! The real `ots` binary against a real server on port 0 (issue 7's tests).

mod common;

use common::{dir_names, link_id, ots, random_bytes, sha256, CuttingProxy, TestServer};

const MIB: usize = 1024 * 1024;

async fn send_file(
    server: &TestServer,
    path: &std::path::Path,
    extra: &[&str],
) -> (String, String) {
    let mut args = vec![
        "send",
        path.to_str().expect("utf-8 path"),
        "--server",
        &server.origin,
    ];
    args.extend_from_slice(extra);
    ots(args).run().await.links()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_round_trips_and_a_second_get_is_gone() {
    let server = TestServer::start().await;
    let secret = "correct horse battery staple\nline two ünïcödé\n";
    let (share, manage) = ots(["send", "--server", &server.origin])
        .stdin(secret)
        .run()
        .await
        .links();
    assert!(
        share.starts_with(&format!("{}/s/", server.origin)),
        "{share}"
    );
    assert!(
        manage.starts_with(&format!("{}/m/", server.origin)),
        "{manage}"
    );

    let got = ots(["get", &share]).run().await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert_eq!(got.stdout_text(), secret);

    let again = ots(["get", &share]).run().await;
    assert_eq!(again.code, 3, "{}", again.stderr);
    assert!(again.stderr.contains("gone"), "{}", again.stderr);
    assert_eq!(
        again.stderr.lines().count(),
        1,
        "one line per error: {}",
        again.stderr
    );
    assert!(again.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_of_100_mib_round_trips_byte_identical() {
    let server = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let plain = random_bytes(100 * MIB, 0xfeed);
    let path = src.path().join("big.bin");
    std::fs::write(&path, &plain).unwrap();

    let (share, _) = send_file(&server, &path, &["--expires", "10m"]).await;
    // 100 MiB of plaintext is 13 parts of ciphertext on the server's disk.
    assert_eq!(server.part_files(&link_id(&share)).len(), 13);

    let got = ots(["get", &share]).cwd(dst.path()).run().await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert!(got.stdout.is_empty(), "a file is not written to stdout");
    assert_eq!(dir_names(dst.path()), vec!["big.bin"]);
    let received = std::fs::read(dst.path().join("big.bin")).unwrap();
    assert!(sha256(&received) == sha256(&plain), "sha256 differs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdin_over_the_inline_limit_round_trips_as_a_named_file() {
    let server = TestServer::start().await;
    let dst = tempfile::tempdir().unwrap();
    let plain = random_bytes(3 * MIB + 17, 7);
    let (share, _) = ots([
        "send",
        "-",
        "--name",
        "../../stdin.tar",
        "--server",
        &server.origin,
    ])
    .stdin(plain.clone())
    .run()
    .await
    .links();
    let got = ots(["get", &share, "-o", dst.path().to_str().unwrap()])
        .run()
        .await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    // The sealed name is made safe: no separators, no leading dots.
    assert_eq!(dir_names(dst.path()), vec!["_.._stdin.tar"]);
    assert!(std::fs::read(dst.path().join("_.._stdin.tar")).unwrap() == plain);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_can_be_sent_as_text_and_printed() {
    let server = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    let path = src.path().join("note.txt");
    std::fs::write(&path, "from a file\n").unwrap();
    let (share, _) = send_file(&server, &path, &["--text"]).await;
    let got = ots(["get", &share]).cwd(src.path()).run().await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert_eq!(got.stdout_text(), "from a file\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_ciphertext_exits_5_and_leaves_no_file() {
    let server = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let path = src.path().join("doc.bin");
    std::fs::write(&path, random_bytes(3 * MIB, 3)).unwrap();
    let (share, manage) = send_file(&server, &path, &[]).await;

    let part = &server.part_files(&link_id(&share))[0];
    let mut bytes = std::fs::read(part).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(part, bytes).unwrap();

    let got = ots(["get", &share]).cwd(dst.path()).run().await;
    assert_eq!(got.code, 5, "{}", got.stderr);
    assert!(got.stderr.contains("damaged"), "{}", got.stderr);
    assert_eq!(
        dir_names(dst.path()),
        Vec::<String>::new(),
        "a partial file was left"
    );
    let _ = manage;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_ciphertext_exits_5_and_leaves_no_file() {
    let server = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let path = src.path().join("doc.bin");
    std::fs::write(&path, random_bytes(2 * MIB, 4)).unwrap();
    let (share, _) = send_file(&server, &path, &[]).await;

    let part = &server.part_files(&link_id(&share))[0];
    let len = std::fs::metadata(part).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(part).unwrap();
    file.set_len(len - 1000).unwrap();
    drop(file);

    let out = dst.path().join("out.bin");
    let got = ots(["get", &share, "-o", out.to_str().unwrap()])
        .run()
        .await;
    assert_eq!(got.code, 5, "{}", got.stderr);
    assert_eq!(
        dir_names(dst.path()),
        Vec::<String>::new(),
        "a partial file was left"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payload_truncated_at_a_record_boundary_exits_5() {
    let server = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    // 9 MiB: two parts; the second part is removed down to whole records.
    let path = src.path().join("doc.bin");
    std::fs::write(&path, random_bytes(9 * MIB, 5)).unwrap();
    let (share, _) = send_file(&server, &path, &[]).await;
    let parts = server.part_files(&link_id(&share));
    assert_eq!(parts.len(), 2);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&parts[1])
        .unwrap()
        .set_len(0)
        .unwrap();

    let got = ots(["get", &share]).cwd(dst.path()).run().await;
    assert_eq!(got.code, 5, "{}", got.stderr);
    assert_eq!(
        dir_names(dst.path()),
        Vec::<String>::new(),
        "a partial file was left"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_shows_attempts_left_and_right_password_opens() {
    let server = TestServer::start().await;
    let (share, manage) = ots(["send", "--password", "--server", &server.origin])
        .env("OTS_PASSWORD", "right horse")
        .stdin("behind a password")
        .run()
        .await
        .links();

    let wrong = ots(["get", &share])
        .env("OTS_PASSWORD", "wrong horse")
        .run()
        .await;
    assert_eq!(wrong.code, 4, "{}", wrong.stderr);
    assert!(wrong.stderr.contains("4 attempts left"), "{}", wrong.stderr);
    assert!(wrong.stdout.is_empty());

    let dir = tempfile::tempdir().unwrap();
    let pw_file = dir.path().join("pw");
    std::fs::write(&pw_file, "right horse\n").unwrap();
    let right = ots(["get", &share, "--password-file", pw_file.to_str().unwrap()])
        .run()
        .await;
    assert_eq!(right.code, 0, "{}", right.stderr);
    assert_eq!(right.stdout_text(), "behind a password");

    let status = ots(["status", &manage]).run().await;
    assert_eq!(status.code, 0, "{}", status.stderr);
    let text = status.stdout_text();
    assert!(text.contains("state: consumed"), "{text}");
    assert!(text.contains("failed_attempts: 1"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_wrong_passwords_lock_the_share_for_good() {
    let server = TestServer::start().await;
    let (share, manage) = ots(["send", "--password", "--server", &server.origin])
        .env("OTS_PASSWORD", "right")
        .stdin("locked away")
        .run()
        .await
        .links();
    let mut last = None;
    for left in (0..5).rev() {
        let wrong = ots(["get", &share])
            .env("OTS_PASSWORD", "wrong")
            .run()
            .await;
        assert_eq!(wrong.code, 4, "{}", wrong.stderr);
        if left > 0 {
            assert!(
                wrong.stderr.contains(&format!("{left} attempts left")),
                "{}",
                wrong.stderr
            );
        }
        last = Some(wrong);
    }
    assert!(last.unwrap().stderr.contains("locked"));
    let right = ots(["get", &share])
        .env("OTS_PASSWORD", "right")
        .run()
        .await;
    assert_eq!(right.code, 4, "{}", right.stderr);
    assert!(right.stderr.contains("locked"), "{}", right.stderr);
    assert!(right.stdout.is_empty());
    let status = ots(["status", &manage]).run().await;
    assert!(
        status.stdout_text().contains("state: locked"),
        "{}",
        status.stdout_text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_and_unknown_shares_exit_3() {
    let server = TestServer::start().await;
    let (share, manage) = ots(["send", "--server", &server.origin])
        .stdin("soon revoked")
        .run()
        .await
        .links();
    let revoke = ots(["revoke", &manage]).run().await;
    assert_eq!(revoke.code, 0, "{}", revoke.stderr);
    let got = ots(["get", &share]).run().await;
    assert_eq!(got.code, 3, "{}", got.stderr);
    assert!(got.stderr.contains("revoked"), "{}", got.stderr);
    let status = ots(["status", &manage, "--json"]).run().await;
    assert_eq!(status.code, 0, "{}", status.stderr);
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(json["state"], "revoked");

    // A well-formed link to a share this server never had.
    let unknown = format!(
        "{}/s/AAAAAAAAAAAAAAAAAAAAAA#{}",
        server.origin,
        &share[share.len() - 43..]
    );
    let got = ots(["get", &unknown]).run().await;
    assert_eq!(got.code, 3, "{}", got.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_links_and_bad_flags_exit_2() {
    let server = TestServer::start().await;
    let (share, manage) = ots(["send", "--server", &server.origin])
        .stdin("x")
        .run()
        .await
        .links();
    let cut_key = &share[..share.len() - 5];
    for bad in [
        cut_key,
        "not a link",
        manage.as_str(),
        "https://ots.example/s/short#key",
    ] {
        let got = ots(["get", bad]).run().await;
        assert_eq!(got.code, 2, "{bad}: {}", got.stderr);
        assert_eq!(got.stderr.lines().count(), 1, "{}", got.stderr);
        assert!(
            !got.stderr.contains(&share[share.len() - 43..]),
            "the key was printed"
        );
    }
    let got = ots(["status", &share]).run().await;
    assert_eq!(got.code, 2, "{}", got.stderr);
    let got = ots(["send", "--expires", "9d", "--server", &server.origin])
        .stdin("x")
        .run()
        .await;
    assert_eq!(got.code, 2, "{}", got.stderr);
    assert_eq!(got.stderr.lines().count(), 1, "{}", got.stderr);
    let got = ots(["get", "--no-such-flag"]).run().await;
    assert_eq!(got.code, 2, "{}", got.stderr);
    assert_eq!(got.stderr.lines().count(), 1, "{}", got.stderr);
    let help = ots(["--help"]).run().await;
    assert_eq!(help.code, 0, "{}", help.stderr);
    assert!(
        help.stdout_text().contains("Exit codes"),
        "{}",
        help.stdout_text()
    );
    let got = ots(["send"]).stdin("x").run().await;
    assert_eq!(got.code, 2, "no server: {}", got.stderr);
    // The share was not touched by any of this.
    let got = ots(["get", &share]).run().await;
    assert_eq!(got.code, 0, "{}", got.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_output_is_not_overwritten_without_force() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("report.txt");
    std::fs::write(&src, "new content").unwrap();
    let (share, _) = send_file(&server, &src, &["--downloads", "2"]).await;

    // -o naming an existing file: refused before the claim, nothing spent.
    let out = dir.path().join("existing.txt");
    std::fs::write(&out, "precious").unwrap();
    let got = ots(["get", &share, "-o", out.to_str().unwrap()])
        .run()
        .await;
    assert_eq!(got.code, 1, "{}", got.stderr);
    assert!(got.stderr.contains("--force"), "{}", got.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "precious");

    // The sealed name is taken in the working directory: saved beside it.
    let got = ots(["get", &share]).cwd(dir.path()).run().await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert_eq!(std::fs::read_to_string(&src).unwrap(), "new content");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("report (1).txt")).unwrap(),
        "new content"
    );

    // --force replaces.
    let got = ots(["get", &share, "-o", out.to_str().unwrap(), "--force"])
        .run()
        .await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "new content");
    // Two downloads were allowed and two happened: the refusal cost none.
    let got = ots(["get", &share]).cwd(dir.path()).run().await;
    assert_eq!(got.code, 3, "{}", got.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_download_resumes_with_range() {
    let server = TestServer::start().await;
    let proxy = CuttingProxy::start(&server.origin, 5 * MIB as u64).await;
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let plain = random_bytes(20 * MIB, 9);
    let path = src.path().join("resume.bin");
    std::fs::write(&path, &plain).unwrap();
    let (share, _) = ots(["send", path.to_str().unwrap(), "--server", &proxy.origin])
        .run()
        .await
        .links();
    assert!(share.starts_with(&proxy.origin));

    let got = ots(["get", &share]).cwd(dst.path()).run().await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert_eq!(
        proxy.cuts.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the proxy never cut"
    );
    assert!(sha256(&std::fs::read(dst.path().join("resume.bin")).unwrap()) == sha256(&plain));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_a_download_leaves_no_file() {
    let server = TestServer::start().await;
    let proxy = CuttingProxy::stalling(&server.origin, 3 * MIB as u64).await;
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let path = src.path().join("stalled.bin");
    std::fs::write(&path, random_bytes(12 * MIB, 11)).unwrap();
    let (share, _) = ots(["send", path.to_str().unwrap(), "--server", &proxy.origin])
        .run()
        .await
        .links();

    let child = ots(["get", &share])
        .cwd(dst.path())
        .spawn_with_stdin()
        .await;
    // Wait for the download to stall with a partial file on disk.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while proxy.cuts.load(std::sync::atomic::Ordering::SeqCst) == 0
        || dir_names(dst.path()).is_empty()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the download never stalled"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let pid = child.id().expect("pid").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    assert_eq!(
        dir_names(dst.path()),
        Vec::<String>::new(),
        "a partial file was left"
    );
}
