//! The console through the whole router, on the injectable clock: sign-in and
//! its checks, session rotation and expiry, lockout, takedown, and what the
//! pages show and never show.
#![allow(clippy::unwrap_used)]

use std::{net::SocketAddr, sync::Arc};

use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version};
use axum::{
    body::Body,
    http::{header, Request, StatusCode},
    Router,
};
use ots_proto::{payload_size, CreateRequest, Fixed, Opaque};
use tower::ServiceExt;

use super::{settings::Operator, *};
use crate::{
    blobs::Blobs, clock::Clock, config::Config, limits::ClientAddr, store::embedded::EmbeddedStore,
};

const START: i64 = 1_800_000_000;
/// A form field or a header.
type Field<'a> = (&'a str, &'a str);
const PASSWORD: &str = "correct horse battery";
const HOST: &str = "127.0.0.1:3000";

/// A PHC string cheap enough for debug-build tests (the cost is in the string).
fn cheap_hash(password: &str) -> String {
    let params = Params::new(8, 1, 1, None).unwrap();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_with_salt(password.as_bytes(), b"saltsaltsaltsalt")
        .unwrap()
        .to_string()
}

struct Rig {
    app: Router,
    state: AppState,
    clock: Clock,
    _dir: tempfile::TempDir,
}

fn rig_with(configure: impl FnOnce(&mut Config)) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(START);
    let mut config = Config::for_data_dir(dir.path());
    config.site_root = dir.path().join("site");
    config.admin_password_hash = Some(cheap_hash(PASSWORD).into());
    // Independent of the host's free space.
    config.max_stored_bytes = Some(1 << 40);
    configure(&mut config);
    let operator = Operator::from_config(&config).unwrap();
    let store = Arc::new(EmbeddedStore::open(dir.path()).unwrap());
    let blobs = Blobs::open(dir.path()).unwrap();
    let state =
        AppState::new(store, blobs, Arc::new(config), clock.clone()).with_operator(operator);
    Rig {
        app: crate::router(state.clone()),
        state,
        clock,
        _dir: dir,
    }
}

fn rig() -> Rig {
    rig_with(|_| {})
}

/// An answer, read whole.
struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `name=value` of a `Set-Cookie` for `name`, if set (empty value: deleted).
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(|c| c.split(';').next().unwrap().to_owned())
    }

    /// The text of the element with `id` (up to its first child tag).
    fn text_of(&self, id: &str) -> &str {
        let at = self
            .body
            .find(&format!("id=\"{id}\""))
            .expect("the element");
        let rest = &self.body[at..];
        let open = rest.find('>').unwrap() + 1;
        let rest = &rest[open..];
        &rest[..rest.find('<').unwrap()]
    }

    /// The value of the page's `csrf` field.
    fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a form with a token");
        let rest = &self.body[at + 19..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
}

/// A browser of one address: its cookies and the headers it sends.
struct Browser {
    ip: [u8; 4],
    cookies: Vec<String>,
}

impl Browser {
    fn new(ip: [u8; 4]) -> Self {
        Self {
            ip,
            cookies: Vec::new(),
        }
    }

    async fn send(&mut self, c: &Rig, req: Request<Body>) -> Answer {
        let mut req = req;
        req.extensions_mut()
            .insert(ClientAddr(SocketAddr::from((self.ip, 40_000))));
        if !self.cookies.is_empty() {
            req.headers_mut()
                .insert(header::COOKIE, self.cookies.join("; ").parse().unwrap());
        }
        let res = c.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        for set in headers.get_all(header::SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            let name = pair.split('=').next().unwrap().to_owned();
            self.cookies.retain(|c| !c.starts_with(&format!("{name}=")));
            if !pair.ends_with('=') {
                self.cookies.push(pair);
            }
        }
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 22)
            .await
            .unwrap();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&mut self, c: &Rig, path: &str) -> Answer {
        let req = Request::get(path)
            .header(header::HOST, HOST)
            .body(Body::empty())
            .unwrap();
        self.send(c, req).await
    }

    /// A form post as the console's own page sends it.
    async fn post(&mut self, c: &Rig, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.post_with(
            c,
            path,
            fields,
            &[
                ("origin", "http://127.0.0.1:3000"),
                ("sec-fetch-site", "same-origin"),
            ],
        )
        .await
    }

    async fn post_with(
        &mut self,
        c: &Rig,
        path: &str,
        fields: &[(&str, &str)],
        extra: &[(&str, &str)],
    ) -> Answer {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut req = Request::post(path)
            .header(header::HOST, HOST)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        self.send(c, req.body(Body::from(body)).unwrap()).await
    }

    /// Opens the sign-in page and signs in with `password`.
    async fn sign_in(&mut self, c: &Rig, password: &str) -> Answer {
        let page = self.get(c, "/admin").await;
        let csrf = page.csrf();
        self.post(
            c,
            "/admin/login",
            &[("password", password), ("csrf", &csrf)],
        )
        .await
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn is_dashboard(a: &Answer) -> bool {
    a.status == StatusCode::OK && a.body.contains("id=\"admin-dashboard\"")
}

fn is_login(a: &Answer) -> bool {
    a.body.contains("id=\"admin-login\"")
}

#[tokio::test]
async fn without_a_password_hash_the_console_is_not_found() {
    let c = rig_with(|cfg| cfg.admin_password_hash = None);
    let mut b = Browser::new([192, 0, 2, 1]);
    for path in ["/admin", "/admin/login"] {
        let a = b.get(&c, path).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!a.body.contains("admin-login"), "{path}");
    }
    let a = b.post(&c, "/admin/login", &[("password", PASSWORD)]).await;
    assert!(
        a.status == StatusCode::NOT_FOUND || a.status == StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        a.status
    );
}

#[tokio::test]
async fn sign_in_needs_the_form_token_and_the_console_origin() {
    let c = rig();
    let mut b = Browser::new([192, 0, 2, 1]);
    let page = b.get(&c, "/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(is_login(&page));
    assert!(
        page.cookie("ots-admin-pre").is_some(),
        "a pre-session is set"
    );
    let csrf = page.csrf();

    // Refused, and nothing counted against the address: a token of another pre-session,
    // no token, another site's origin, a cross-site fetch.
    let mut stranger = Browser::new([192, 0, 2, 1]);
    let other_csrf = stranger.get(&c, "/admin").await.csrf();
    let tries: [(&[Field], &[Field]); 4] = [
        (&[("password", PASSWORD), ("csrf", &other_csrf)], &[]),
        (&[("password", PASSWORD)], &[]),
        (
            &[("password", PASSWORD), ("csrf", &csrf)],
            &[("origin", "http://evil.example")],
        ),
        (
            &[("password", PASSWORD), ("csrf", &csrf)],
            &[("sec-fetch-site", "cross-site")],
        ),
    ];
    for (fields, headers) in tries {
        let a = b.post_with(&c, "/admin/login", fields, headers).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{headers:?}");
        assert!(a.cookie("ots-admin").is_none(), "no session");
        assert_eq!(a.header("cache-control"), Some("no-store"));
    }
    assert_eq!(
        c.state
            .console
            .as_ref()
            .unwrap()
            .lockout
            .attempts_left(b.ip.into()),
        5
    );

    let a = b
        .post(
            &c,
            "/admin/login",
            &[("password", PASSWORD), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.header("location"), Some("/admin"));
    assert!(a.cookie("ots-admin").is_some());
    assert_eq!(
        a.cookie("ots-admin-pre").as_deref(),
        Some("ots-admin-pre="),
        "the pre-session ends"
    );
    assert!(is_dashboard(&b.get(&c, "/admin").await));
}

#[tokio::test]
async fn every_sign_in_makes_a_new_session_and_forgets_the_old() {
    let c = rig();
    let ip = [192, 0, 2, 1];
    // A session id planted before sign-in (fixation) is never made valid.
    let planted = format!("ots-admin={}", b64::encode([9u8; 32]));
    let mut b = Browser::new(ip);
    b.cookies.push(planted.clone());
    let first = b.sign_in(&c, PASSWORD).await.cookie("ots-admin").unwrap();
    assert_ne!(first, planted);
    // The browser still holds the first session when it signs in again (another tab's form).
    let mut tab = Browser::new(ip);
    let csrf = tab.get(&c, "/admin").await.csrf();
    tab.cookies.push(first.clone());
    let second = tab
        .post(
            &c,
            "/admin/login",
            &[("password", PASSWORD), ("csrf", &csrf)],
        )
        .await
        .cookie("ots-admin")
        .unwrap();
    assert_ne!(first, second);
    assert!(is_dashboard(&tab.get(&c, "/admin").await));
    assert!(
        is_login(&b.get(&c, "/admin").await),
        "the first session is gone"
    );
    let mut fixed = Browser::new(ip);
    fixed.cookies.push(planted);
    assert!(is_login(&fixed.get(&c, "/admin").await));
}

#[tokio::test]
async fn a_session_ends_after_thirty_idle_minutes() {
    let c = rig();
    let mut b = Browser::new([192, 0, 2, 1]);
    b.sign_in(&c, PASSWORD).await;
    c.clock.advance(29 * 60);
    assert!(is_dashboard(&b.get(&c, "/admin").await), "29 minutes idle");
    c.clock.advance(29 * 60);
    assert!(
        is_dashboard(&b.get(&c, "/admin").await),
        "the last request counts"
    );
    c.clock.advance(30 * 60);
    let a = b.get(&c, "/admin").await;
    assert!(is_login(&a), "30 minutes idle");
    assert_eq!(
        a.cookie("ots-admin").as_deref(),
        Some("ots-admin="),
        "its cookie is deleted"
    );
}

#[tokio::test]
async fn a_session_ends_twelve_hours_after_sign_in_however_busy() {
    let c = rig();
    let mut b = Browser::new([192, 0, 2, 1]);
    b.sign_in(&c, PASSWORD).await;
    for _ in 0..(12 * 3) - 1 {
        c.clock.advance(20 * 60);
        assert!(is_dashboard(&b.get(&c, "/admin").await));
    }
    c.clock.advance(20 * 60);
    assert!(is_login(&b.get(&c, "/admin").await), "12 hours in all");
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let c = rig();
    let mut b = Browser::new([192, 0, 2, 1]);
    let session = b.sign_in(&c, PASSWORD).await.cookie("ots-admin").unwrap();
    let csrf = b.get(&c, "/admin").await.csrf();
    let a = b.post(&c, "/admin/logout", &[("csrf", &csrf)]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.cookie("ots-admin").as_deref(), Some("ots-admin="));
    let mut replay = Browser::new([192, 0, 2, 1]);
    replay.cookies.push(session);
    assert!(is_login(&replay.get(&c, "/admin").await));
}

#[tokio::test]
async fn five_wrong_passwords_lock_an_address_out_for_fifteen_minutes() {
    let c = rig();
    let mut b = Browser::new([192, 0, 2, 1]);
    for left in (1..5).rev() {
        let a = b.sign_in(&c, "wrong").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        assert!(a.body.contains("Wrong password"), "{}", a.body);
        assert!(a.body.contains(&format!("{left} more wrong password")));
    }
    let a = b.sign_in(&c, "wrong").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(a.header("retry-after"), Some("900"));
    assert!(a.body.contains("locked for 15 minutes"));
    // The right password is not even checked while locked out.
    let a = b
        .post(&c, "/admin/login", &[("password", PASSWORD), ("csrf", "x")])
        .await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    // Another address may sign in.
    let mut other = Browser::new([198, 51, 100, 7]);
    assert_eq!(
        other.sign_in(&c, PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    c.clock.advance(15 * 60);
    assert_eq!(b.sign_in(&c, PASSWORD).await.status, StatusCode::SEE_OTHER);
    // The audit trail has them all.
    let actions: Vec<_> = c
        .state
        .store
        .recent_audit(20)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.client))
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|(a, _)| *a == AuditAction::LoginFailed)
            .count(),
        5
    );
    assert!(actions.contains(&(AuditAction::Lockout, "192.0.2.1".into())));
    assert!(actions.contains(&(AuditAction::Login, "198.51.100.7".into())));
}

async fn create_share(c: &Rig) -> String {
    let size = payload_size(1);
    let body = serde_json::to_string(&CreateRequest {
        size,
        expires_in: 3600,
        max_downloads: 1,
        link_verifier: Fixed([1; 32]),
        claim_verifier: Fixed([2; 32]),
        meta: Opaque(b"SEALED-META-SEALED-META".to_vec()),
        kdf: None,
        payload: Some(Opaque(vec![4; size as usize])),
    })
    .unwrap();
    let req = Request::post("/api/v1/shares")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    let res = c.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_pasted_link_is_taken_down_and_the_dashboard_says_so() {
    let c = rig();
    let id = create_share(&c).await;
    let mut b = Browser::new([192, 0, 2, 1]);
    b.sign_in(&c, PASSWORD).await;
    let page = b.get(&c, "/admin").await;
    assert!(
        page.body.contains(&id[..6]),
        "the new share is listed by its short id"
    );
    assert!(!page.body.contains(&id), "never by its full id");
    let link = format!("https://share.example/s/{id}#THE-KEY-THE-KEY");
    let a = b
        .post(
            &c,
            "/admin/takedown",
            &[("share", &link), ("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.header("cache-control"), Some("no-store"));
    let page = b.get(&c, "/admin").await;
    assert!(
        page.body
            .contains(&format!("Share {} is taken down", &id[..6])),
        "{}",
        page.body
    );
    assert!(page.body.contains("data-action=\"takedown\""));
    assert!(!page.body.contains("THE-KEY"));
    let info = Request::get(format!("/api/v1/shares/{id}"))
        .body(Body::empty())
        .unwrap();
    let res = c.app.clone().oneshot(info).await.unwrap();
    assert_eq!(res.status(), StatusCode::GONE);
    let bytes = axum::body::to_bytes(res.into_body(), 4096).await.unwrap();
    assert!(String::from_utf8_lossy(&bytes).contains("\"reason\":\"removed\""));
    // The notice is shown once.
    assert!(!b.get(&c, "/admin").await.body.contains("is taken down"));

    // An id the server does not know, and text that is no share at all.
    let unknown = "AAECAwQFBgcICQoLDA0ODw";
    b.post(
        &c,
        "/admin/takedown",
        &[("share", unknown), ("csrf", &page.csrf())],
    )
    .await;
    assert!(b.get(&c, "/admin").await.body.contains("No share AAECAw"));
    b.post(
        &c,
        "/admin/takedown",
        &[("share", "hello"), ("csrf", &page.csrf())],
    )
    .await;
    assert!(b
        .get(&c, "/admin")
        .await
        .body
        .contains("not a share link or id"));
}

#[tokio::test]
async fn takedown_needs_a_session_the_token_and_the_console_origin() {
    let c = rig();
    let id = create_share(&c).await;
    let mut b = Browser::new([192, 0, 2, 1]);
    let anonymous = b
        .post(&c, "/admin/takedown", &[("share", &id), ("csrf", "x")])
        .await;
    assert_eq!(anonymous.status, StatusCode::FORBIDDEN);
    b.sign_in(&c, PASSWORD).await;
    let csrf = b.get(&c, "/admin").await.csrf();
    let no_token = b.post(&c, "/admin/takedown", &[("share", &id)]).await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    let cross_site = b
        .post_with(
            &c,
            "/admin/takedown",
            &[("share", &id), ("csrf", &csrf)],
            &[
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "cross-site"),
            ],
        )
        .await;
    assert_eq!(cross_site.status, StatusCode::FORBIDDEN);
    let rec = c
        .state
        .store
        .get(ots_proto::ShareId::parse(&id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        rec.state_at(START),
        ots_proto::ShareState::Ready,
        "nothing changed"
    );
    // A script with the session and the token (no browser headers) may.
    let script = b
        .post_with(
            &c,
            "/admin/takedown",
            &[("share", &id), ("csrf", &csrf)],
            &[],
        )
        .await;
    assert_eq!(script.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn console_pages_are_never_cached_and_carry_the_site_csp() {
    let c = rig();
    let mut b = Browser::new([192, 0, 2, 1]);
    for a in [
        b.get(&c, "/admin").await,
        b.post(&c, "/admin/login", &[("password", "x")]).await,
        b.sign_in(&c, PASSWORD).await,
        b.get(&c, "/admin").await,
    ] {
        assert_eq!(a.header("cache-control"), Some("no-store"), "{}", a.status);
        let csp = a.header("content-security-policy").unwrap();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
    }
    // The page's own scripts carry the nonce of its CSP.
    let page = b.get(&c, "/admin").await;
    let csp = page.header("content-security-policy").unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(page.body.contains(&format!("nonce=\"{nonce}\"")));
}

#[tokio::test]
async fn behind_https_the_cookies_are_host_prefixed_and_secure() {
    let c = rig_with(|cfg| cfg.public_origin = Some("https://share.example".into()));
    let mut b = Browser::new([192, 0, 2, 1]);
    let page = b.get(&c, "/admin").await;
    let pre = page
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(pre.starts_with("__Host-ots-admin-pre="), "{pre}");
    assert!(
        pre.contains("; Path=/;") && pre.ends_with("; Secure"),
        "{pre}"
    );
    let csrf = page.csrf();
    let a = b
        .post_with(
            &c,
            "/admin/login",
            &[("password", PASSWORD), ("csrf", &csrf)],
            &[("origin", "https://share.example")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let session = a
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("__Host-ots-admin="))
        .unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/;", "Secure"] {
        assert!(session.contains(attr), "{session}");
    }
    // Another origin than the public one is refused even when it names this host.
    let a = b
        .post_with(
            &c,
            "/admin/logout",
            &[("csrf", "x")],
            &[("origin", "http://127.0.0.1:3000")],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_dashboard_shows_counts_and_short_ids_only() {
    let c = rig();
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(create_share(&c).await);
    }
    let mut b = Browser::new([192, 0, 2, 1]);
    b.sign_in(&c, PASSWORD).await;
    let page = b.get(&c, "/admin").await;
    assert_eq!(page.text_of("live-ready"), "3", "three ready shares");
    assert_eq!(
        page.text_of("count-created-hour"),
        "3",
        "three creates this hour"
    );
    for id in &ids {
        assert!(page
            .body
            .contains(&format!("data-short-id=\"{}\"", &id[..6])));
        assert!(!page.body.contains(id.as_str()), "no full id");
    }
    let meta = b64::encode(b"SEALED-META-SEALED-META");
    assert!(
        !page.body.contains(&meta) && !page.body.contains("SEALED-META"),
        "no sealed meta"
    );
    assert!(!page.body.contains("$argon2id$"), "no password hash");
}
