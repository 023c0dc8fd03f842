//! The Leptos site as served: the server's limits in the page, and the wasm
//! bundle compressed for the first load.

mod common;

use common::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_send_page_carries_the_servers_size_limit() {
    let s = TestServer::start_with(|c| c.max_share_bytes = 123_456_789).await;
    let html = s.client.get(s.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains(r#"name="ots-max-share-bytes" content="123456789""#),
        "the shell writes the limit for the hydrated page: {html}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wasm_bundle_and_pages_are_compressed_when_the_browser_accepts_it() {
    let s = TestServer::start().await;
    let pkg = s.data_dir.parent().unwrap().join("site").join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    // Compressible bytes, like a real wasm module's repetitive code section.
    let wasm: Vec<u8> = b"\0asm\x01\0\0\0".iter().copied().chain((0..64 * 1024).map(|i| (i % 7) as u8)).collect();
    std::fs::write(pkg.join("onetimeshare.wasm"), &wasm).unwrap();

    for (path, encoding) in [("/pkg/onetimeshare.wasm", "br"), ("/pkg/onetimeshare.wasm", "gzip"), ("/", "br")] {
        let r = s.client.get(s.url(path)).header("accept-encoding", encoding).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some(encoding), "{path}");
        let body = r.bytes().await.unwrap();
        if path.ends_with(".wasm") {
            assert!(body.len() < wasm.len() / 10, "{encoding}: {} of {} bytes", body.len(), wasm.len());
        }
    }
    // Without Accept-Encoding the bytes come as they are.
    let r = s.client.get(s.url("/pkg/onetimeshare.wasm")).send().await.unwrap();
    assert!(r.headers().get("content-encoding").is_none());
    assert_eq!(r.bytes().await.unwrap().as_ref(), wasm.as_slice());
    s.stop().await;
}
