//! `ots` in scripts: links kept out of `ps` (stdin, environment), redirects
//! refused, saved names made safe. The real binary against a real server on
//! port 0.

mod common;

use common::{dir_names, ots, CountingListener, Redirector, TestServer};

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
