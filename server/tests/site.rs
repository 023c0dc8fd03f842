//! The Leptos site as served: the server's limits in the page, and the wasm
//! bundle compressed for the first load.
#![allow(clippy::unwrap_used)]

mod common;

use common::{cheap_hash, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_send_page_carries_the_servers_size_limit() {
    let s = TestServer::start_with(|c| c.max_share_bytes = 123_456_789).await;
    let html = s
        .client
        .get(s.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
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
    let wasm: Vec<u8> = b"\0asm\x01\0\0\0"
        .iter()
        .copied()
        .chain((0..64 * 1024).map(|i| (i % 7) as u8))
        .collect();
    std::fs::write(pkg.join("onetimeshare.wasm"), &wasm).unwrap();

    for (path, encoding) in [
        ("/pkg/onetimeshare.wasm", "br"),
        ("/pkg/onetimeshare.wasm", "gzip"),
        ("/", "br"),
    ] {
        let r = s
            .client
            .get(s.url(path))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(
            r.headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap()),
            Some(encoding),
            "{path}"
        );
        let body = r.bytes().await.unwrap();
        if path.ends_with(".wasm") {
            assert!(
                body.len() < wasm.len() / 10,
                "{encoding}: {} of {} bytes",
                body.len(),
                wasm.len()
            );
        }
    }
    // Without Accept-Encoding the bytes come as they are.
    let r = s
        .client
        .get(s.url("/pkg/onetimeshare.wasm"))
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("content-encoding").is_none());
    assert_eq!(r.bytes().await.unwrap().as_ref(), wasm.as_slice());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bundle_is_brotli_compressed_once_at_start_at_the_best_quality() {
    // Text-like bytes with long-range repeats: quality 11 beats the per-request level.
    let words = [
        "hydrate",
        "signal",
        "view",
        "component",
        "router",
        "memo",
        "effect",
        "closure",
    ];
    let mut js = String::new();
    let mut x: u32 = 7;
    while js.len() < 256 * 1024 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        js.push_str(words[(x >> 16) as usize % words.len()]);
        js.push_str(&format!("_{}(", (x >> 8) % 97));
    }
    let js_for_site = js.clone();
    let s = TestServer::start_with(move |c| {
        let pkg = c.site_root.join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join("onetimeshare.js"), &js_for_site).unwrap();
    })
    .await;

    let r = s
        .client
        .get(s.url("/pkg/onetimeshare.js"))
        .header("accept-encoding", "gzip, deflate, br, zstd")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers().get("content-encoding").unwrap(), "br");
    assert_eq!(r.headers().get("content-type").unwrap(), "text/javascript");
    assert!(
        r.headers().get("content-security-policy").is_some(),
        "security headers still apply"
    );
    let packed = r.bytes().await.unwrap();
    let mut plain = Vec::new();
    brotli::BrotliDecompress(&mut packed.as_ref(), &mut plain).unwrap();
    assert_eq!(plain, js.as_bytes());

    // The per-request compressor (used for files that are not precompressed) at its default level.
    let mut fast = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 4,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut js.as_bytes(), &mut fast, &params).unwrap();
    assert!(
        packed.len() < fast.len(),
        "precompressed {} vs per-request {}",
        packed.len(),
        fast.len()
    );

    // A browser that refuses brotli gets gzip or the plain bytes.
    let r = s
        .client
        .get(s.url("/pkg/onetimeshare.js"))
        .header("accept-encoding", "gzip, br;q=0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers().get("content-encoding").unwrap(), "gzip");
    s.stop().await;
}

/// `bytes` brotli-compressed at `quality`.
fn brotli_at(bytes: &[u8], quality: i32) -> Vec<u8> {
    let mut packed = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut packed, &params).unwrap();
    packed
}

fn unbrotli(packed: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    brotli::BrotliDecompress(&mut &packed[..], &mut plain).unwrap();
    plain
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_br_twin_that_holds_its_file_is_served_as_it_is_and_a_stale_one_is_not() {
    let js = "export function hydrate() { return 'signal'; }\n".repeat(2_000);
    let css = "main { color: #123; margin: 0 auto; }\n".repeat(2_000);
    let wasm: Vec<u8> = b"\0asm\x01\0\0\0"
        .iter()
        .copied()
        .chain((0..64 * 1024).map(|i| (i % 11) as u8))
        .collect();
    // Quality 1: bytes the server's own compression at start would never make.
    let js_twin = brotli_at(js.as_bytes(), 1);
    let (js_for_site, css_for_site, wasm_for_site, twin_for_site) =
        (js.clone(), css.clone(), wasm.clone(), js_twin.clone());
    let s = TestServer::start_with(move |c| {
        let pkg = c.site_root.join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join("onetimeshare.js"), &js_for_site).unwrap();
        std::fs::write(pkg.join("onetimeshare.js.br"), &twin_for_site).unwrap();
        // A twin of an earlier build: valid brotli of other bytes.
        std::fs::write(pkg.join("onetimeshare.css"), &css_for_site).unwrap();
        std::fs::write(
            pkg.join("onetimeshare.css.br"),
            brotli_at(b"main { color: red; }", 11),
        )
        .unwrap();
        // A twin that is not brotli at all.
        std::fs::write(pkg.join("onetimeshare.wasm"), &wasm_for_site).unwrap();
        std::fs::write(pkg.join("onetimeshare.wasm.br"), b"not brotli").unwrap();
    })
    .await;

    let get = |path: &'static str| {
        let r = s
            .client
            .get(s.url(path))
            .header("accept-encoding", "br")
            .send();
        async move {
            let r = r.await.unwrap();
            assert_eq!(r.status(), 200, "{path}");
            assert_eq!(r.headers().get("content-encoding").unwrap(), "br", "{path}");
            r.bytes().await.unwrap()
        }
    };
    assert_eq!(
        get("/pkg/onetimeshare.js").await.as_ref(),
        js_twin.as_slice(),
        "the twin's own bytes"
    );
    assert_eq!(
        unbrotli(&get("/pkg/onetimeshare.css").await),
        css.as_bytes()
    );
    assert_eq!(unbrotli(&get("/pkg/onetimeshare.wasm").await), wasm);
    s.stop().await;
}

#[test]
fn precompress_site_writes_a_twin_of_every_bundle_file_and_nothing_else() {
    let root = tempfile::tempdir().unwrap();
    let pkg = root.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let files: [(&str, Vec<u8>); 3] = [
        (
            "app.wasm",
            (0..100_000u32).map(|i| (i % 13) as u8).collect(),
        ),
        ("app.js", b"export const a = 1;\n".repeat(500)),
        ("app.css", b"body { margin: 0 }\n".repeat(500)),
    ];
    for (name, bytes) in &files {
        std::fs::write(pkg.join(name), bytes).unwrap();
    }
    std::fs::write(pkg.join("notes.txt"), "not part of the bundle").unwrap();

    let mut written = onetimeshare::precompress_site(root.path()).unwrap();
    written.sort();
    let names: Vec<&str> = written.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, ["app.css", "app.js", "app.wasm"]);
    for (name, bytes) in &files {
        let twin = std::fs::read(pkg.join(format!("{name}.br"))).unwrap();
        assert_eq!(&unbrotli(&twin), bytes, "{name}");
        assert!(
            twin.len() < bytes.len() / 10,
            "{name}: {} bytes",
            twin.len()
        );
    }
    assert!(!pkg.join("notes.txt.br").exists());
    let leftovers: Vec<_> = std::fs::read_dir(&pkg)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A site root without a bundle is an error, not a silent success.
    let empty = tempfile::tempdir().unwrap();
    let err = onetimeshare::precompress_site(empty.path()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert!(err.to_string().contains("no bundle files"), "{err}");
}

/// The console is rendered in the language the browser asks for, its tab
/// title too, for every one of many pages asked for at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_pages_come_in_the_browsers_language_with_their_title() {
    let hash = cheap_hash("operator password");
    let s = TestServer::start_with(move |c| c.admin_password_hash = Some(hash.into())).await;

    // By Accept-Language, and by the language switcher's `?lang=` before it.
    let asks = [
        (
            "/admin",
            Some("de"),
            "de",
            "Anmeldung an der Konsole · OneTimeShare",
        ),
        (
            "/admin?lang=ar",
            Some("de"),
            "ar",
            "تسجيل الدخول إلى وحدة التحكم · OneTimeShare",
        ),
        ("/admin", None, "en", "Console sign-in · OneTimeShare"),
        (
            "/admin?lang=de",
            Some("ar, en"),
            "de",
            "Anmeldung an der Konsole · OneTimeShare",
        ),
    ];
    let mut pages = tokio::task::JoinSet::new();
    for i in 0..32 {
        let client = s.client.clone();
        let (path, accept, lang, title) = asks[i % asks.len()];
        let url = s.url(path);
        pages.spawn(async move {
            for _ in 0..10 {
                let mut req = client.get(&url);
                if let Some(accept) = accept {
                    req = req.header("accept-language", accept);
                }
                let r = req.send().await.expect("the page is answered");
                assert_eq!(r.status(), 200);
                let html = r.text().await.expect("the whole page is sent");
                assert!(
                    html.contains(&format!(r#"<html lang="{lang}""#)),
                    "{path}: {html}"
                );
                assert!(
                    html.contains(&format!("<title>{title}</title>")),
                    "{path}: {html}"
                );
            }
        });
    }
    while let Some(done) = pages.join_next().await {
        done.unwrap();
    }
    s.stop().await;
}
