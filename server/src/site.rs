//! The Leptos site: server-rendered pages and the static files of the site root.

use std::{
    collections::HashMap,
    io::{self, Read},
    path::{Path, PathBuf},
    sync::Arc,
};

use app::{shell, App, SiteLimits, SiteLinks};
use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Router,
};
use bytes::Bytes;
use leptos::{config::LeptosOptions, nonce::Nonce, prelude::*};
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;

use crate::{headers::CspNonce, state::AppState};

/// Gives the renderer the nonce that the security-headers middleware put in this
/// response's CSP, so `HydrationScripts` and other inline scripts carry it.
fn provide_csp_nonce() {
    if let Some(parts) = use_context::<http::request::Parts>() {
        if let Some(n) = parts.extensions.get::<CspNonce>() {
            provide_context(Nonce::from_value(n.0.clone()));
        }
    }
}

/// What every page render gets as context besides the request: the nonce,
/// the size limit the send page shows and the footer links.
#[derive(Clone, Debug)]
pub(crate) struct PageContext {
    limits: SiteLimits,
    links: SiteLinks,
}

/// The page context of this server: the size limit of a create without a
/// token (or, when tokens are required, of a token holder), and the links.
pub(crate) fn page_context(state: &AppState) -> PageContext {
    let config = &state.config;
    let max_share_bytes = if state.create_tokens.required() {
        config.max_share_bytes
    } else {
        config.max_share_bytes_anonymous()
    };
    PageContext {
        limits: SiteLimits { max_share_bytes },
        links: state.links.clone(),
    }
}

/// Provides a page render's context.
pub(crate) fn provide_page_context(ctx: &PageContext) {
    provide_csp_nonce();
    provide_context(ctx.limits);
    provide_context(ctx.links.clone());
}

/// The Leptos options for a site root built by cargo-leptos.
pub(crate) fn options(site_root: &Path) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("onetimeshare")
        .site_root(site_root.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .env(leptos::config::Env::PROD)
        .build()
}

/// The bundle files of `pkg/` (wasm, JS, CSS), brotli-compressed once at the
/// best quality: per request that would cost about a second of CPU for the
/// wasm, while the per-request compression's fast level leaves the first load
/// some 20% heavier. A file's `.br` twin written by [`precompress_site`] at
/// build time is taken as it is when it holds exactly the file's bytes, so
/// the server starts without compressing (several CPU-seconds for the wasm);
/// a missing or stale twin is ignored and the file compressed at start.
#[derive(Clone, Default)]
struct PrecompressedPkg(Arc<HashMap<String, (Bytes, &'static str)>>);

/// Brotli quality and window for [`PrecompressedPkg`] (the format's maximum quality).
const PKG_BROTLI_QUALITY: i32 = 11;
const PKG_BROTLI_LGWIN: i32 = 22;

/// The files of `site_root/pkg` that are served precompressed: name, type, path.
fn bundle_files(site_root: &Path) -> Vec<(String, &'static str, PathBuf)> {
    let Ok(dir) = std::fs::read_dir(site_root.join("pkg")) else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let mime = match name.rsplit_once('.').map(|(_, ext)| ext) {
            Some("wasm") => "application/wasm",
            Some("js") => "text/javascript",
            Some("css") => "text/css",
            _ => continue,
        };
        files.push((name, mime, entry.path()));
    }
    files
}

/// The `.br` twin of a bundle file.
fn twin(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".br");
    PathBuf::from(name)
}

/// `plain` brotli-compressed at the best quality.
fn compress_best(plain: &[u8]) -> io::Result<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: PKG_BROTLI_QUALITY,
        lgwin: PKG_BROTLI_LGWIN,
        ..Default::default()
    };
    let mut packed = Vec::with_capacity(plain.len() / 2);
    brotli::BrotliCompress(&mut &plain[..], &mut packed, &params)?;
    Ok(packed)
}

/// Whether `packed` is brotli that decompresses to exactly `plain` (read no
/// further than one byte past it).
fn holds_exactly(packed: &[u8], plain: &[u8]) -> bool {
    let mut out = Vec::with_capacity(plain.len());
    let limit = plain.len() as u64 + 1;
    brotli::Decompressor::new(packed, 64 * 1024)
        .take(limit)
        .read_to_end(&mut out)
        .is_ok()
        && out == plain
}

impl PrecompressedPkg {
    /// Reads `site_root/pkg/*.{wasm,js,css}`, each with its `.br` twin when
    /// that holds exactly its bytes, else compressed now; a missing or
    /// unreadable file is simply served the ordinary way.
    fn load(site_root: &Path) -> Self {
        let mut files = HashMap::new();
        let (mut taken, mut compressed) = (0, 0);
        for (name, mime, path) in bundle_files(site_root) {
            let Ok(plain) = std::fs::read(&path) else {
                continue;
            };
            let packed = match std::fs::read(twin(&path)) {
                Ok(packed) if holds_exactly(&packed, &plain) => {
                    taken += 1;
                    packed
                }
                _ => match compress_best(&plain) {
                    Ok(packed) => {
                        compressed += 1;
                        packed
                    }
                    Err(_) => continue,
                },
            };
            files.insert(name, (Bytes::from(packed), mime));
        }
        if compressed > 0 {
            tracing::info!(
                compressed,
                taken,
                "bundle files compressed at start (`onetimeshare precompress-site` does it once at build time)"
            );
        }
        Self(Arc::new(files))
    }
}

/// Writes the `.br` twin of every bundle file of `site_root/pkg` (brotli at
/// the best quality), which the server then serves without compressing at
/// start; answers each file's name, size and compressed size.
pub fn precompress_site(site_root: &Path) -> io::Result<Vec<(String, usize, usize)>> {
    let files = bundle_files(site_root);
    if files.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "no bundle files (*.wasm, *.js, *.css) in {}",
                site_root.join("pkg").display()
            ),
        ));
    }
    let mut written = Vec::new();
    for (name, _, path) in files {
        let plain = std::fs::read(&path)?;
        let packed = compress_best(&plain)?;
        // Whole or not at all: a server starting meanwhile reads the old twin or the new one.
        let twin = twin(&path);
        let mut tmp = twin.clone().into_os_string();
        tmp.push(".tmp");
        std::fs::write(&tmp, &packed)?;
        std::fs::rename(&tmp, &twin)?;
        written.push((name, plain.len(), packed.len()));
    }
    Ok(written)
}

/// Whether `Accept-Encoding` allows brotli (a `br` entry without `q=0`).
fn accepts_brotli(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',').any(|entry| {
                let mut parts = entry.split(';').map(str::trim);
                parts
                    .next()
                    .is_some_and(|coding| coding.eq_ignore_ascii_case("br"))
                    && !parts.any(|p| {
                        matches!(
                            p.replace(' ', "").as_str(),
                            "q=0" | "q=0.0" | "q=0.00" | "q=0.000"
                        )
                    })
            })
        })
}

/// Answers `GET /pkg/<file>` from [`PrecompressedPkg`] when the browser takes brotli.
async fn serve_precompressed(
    State(pkg): State<PrecompressedPkg>,
    req: Request,
    next: Next,
) -> Response {
    let hit = req
        .uri()
        .path()
        .strip_prefix("/pkg/")
        .filter(|_| req.method() == http::Method::GET && accepts_brotli(req.headers()))
        .and_then(|name| pkg.0.get(name));
    let Some((body, mime)) = hit else {
        return next.run(req).await;
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            (header::CONTENT_ENCODING, HeaderValue::from_static("br")),
            (header::VARY, HeaderValue::from_static("accept-encoding")),
        ],
        body.clone(),
    )
        .into_response()
}

/// Routes of every page plus the static files (`/pkg/*`, `public/`), compressed
/// (brotli or gzip, as the browser accepts) so the wasm bundle loads small.
/// Every page gets the [`PageContext`]. `/admin` and below are the console's
/// own routes (`crate::admin`); without the console they are answered as any
/// unknown page.
pub(crate) fn router(options: LeptosOptions, page: PageContext) -> Router {
    let pkg = PrecompressedPkg::load(Path::new(options.site_root.as_ref()));
    let routes = generate_route_list(App)
        .into_iter()
        .filter(|r| !r.path().starts_with("/admin"))
        .collect();
    let context = move || provide_page_context(&page);
    Router::new()
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context, shell,
        ))
        .with_state(options)
        .layer(CompressionLayer::new().br(true).gzip(true))
        .layer(middleware::from_fn_with_state(pkg, serve_precompressed))
}
