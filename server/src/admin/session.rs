//! Who is signed in to the console, and whether a form post really comes from it.
//!
//! - A **session** is 32 random bytes in an `HttpOnly`, `SameSite=Strict`
//!   cookie; the store keeps it under the cookie's SHA-256 with its
//!   synchronizer token, so every instance behind a load balancer knows it.
//!   It ends 30 minutes after its last request, 12 hours after sign-in, or at
//!   sign-out; every sign-in makes a new one and forgets the old.
//! - Before sign-in, a **pre-session** cookie (32 random bytes) binds the
//!   sign-in form: its token is an HMAC of the cookie under a key derived from
//!   the password hash, so any instance can check it and nothing is stored for
//!   a visitor who never signs in.
//! - Every post must also come from the console's own origin: `Origin` (when
//!   sent) must be the server's, and `Sec-Fetch-Site` (when sent) `same-origin`.

use axum::http::{header, HeaderMap, HeaderValue};
use hkdf::Hkdf;
use ots_proto::b64;
use sha2::Sha256;

use crate::{
    clock::UnixSecs,
    store::{digest_eq, operator::ConsoleSession, Digest, Store, StoreError},
};

/// A session ends this long after its last request.
pub(crate) const IDLE_SECS: i64 = 30 * 60;
/// A session ends this long after sign-in, however busy.
pub(crate) const ABSOLUTE_SECS: i64 = 12 * 3600;
/// `last_seen` is written at most this often (a console page is a store write otherwise).
const TOUCH_SECS: i64 = 60;
/// Lifetime of the pre-session cookie.
const PRE_SESSION_SECS: i64 = 12 * 3600;
/// Domain of the key that binds sign-in forms to their pre-session.
const FORM_KEY_LABEL: &[u8] = b"onetimeshare/v1/admin-form-key";
/// HKDF info of a sign-in form token.
const LOGIN_TOKEN_INFO: &[u8] = b"onetimeshare/v1/admin-login-csrf";

/// 32 fresh random bytes.
pub(crate) fn fresh_secret() -> Result<[u8; 32], StoreError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| StoreError(format!("getrandom: {e}")))?;
    Ok(b)
}

/// SHA-256 of the concatenation of `parts`.
pub(crate) fn sha256(parts: &[&[u8]]) -> Digest {
    use sha2::Digest as _;
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// The console's cookies: names and attributes for a plain-HTTP or an https origin.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cookies {
    /// `Secure`, `__Host-` names and `Path=/` (an https public origin).
    pub(crate) https: bool,
}

impl Cookies {
    /// The session cookie's name.
    pub(crate) fn session(&self) -> &'static str {
        if self.https {
            "__Host-ots-admin"
        } else {
            "ots-admin"
        }
    }

    /// The pre-session cookie's name.
    pub(crate) fn pre_session(&self) -> &'static str {
        if self.https {
            "__Host-ots-admin-pre"
        } else {
            "ots-admin-pre"
        }
    }

    /// `__Host-` cookies must say `Path=/` (browsers refuse them otherwise):
    /// see server/README.md, "Operating".
    fn path(&self) -> &'static str {
        if self.https {
            "/"
        } else {
            "/admin"
        }
    }

    /// A `Set-Cookie` value for `name=value` living `max_age` seconds (0: delete it).
    pub(crate) fn set(&self, name: &str, value: &str, max_age: i64) -> HeaderValue {
        let secure = if self.https { "; Secure" } else { "" };
        let text = format!(
            "{name}={value}; Path={}; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}",
            self.path()
        );
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// A new session cookie.
    pub(crate) fn set_session(&self, value: &str) -> HeaderValue {
        self.set(self.session(), value, ABSOLUTE_SECS)
    }

    /// A new pre-session cookie.
    pub(crate) fn set_pre_session(&self, value: &str) -> HeaderValue {
        self.set(self.pre_session(), value, PRE_SESSION_SECS)
    }

    /// Deletes the session cookie.
    pub(crate) fn clear_session(&self) -> HeaderValue {
        self.set(self.session(), "", 0)
    }

    /// Deletes the pre-session cookie.
    pub(crate) fn clear_pre_session(&self) -> HeaderValue {
        self.set(self.pre_session(), "", 0)
    }
}

/// The 32-byte values of every cookie `name` the request carries (a cookie
/// set under another path by someone else can sit beside ours).
pub(crate) fn cookie_secrets(headers: &HeaderMap, name: &str) -> Vec<[u8; 32]> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(k, _)| *k == name)
        .filter_map(|(_, v)| b64::decode_array::<32>(v.trim(), "cookie").ok())
        .collect()
}

/// The key that binds sign-in forms, derived from the password hash: the same
/// on every instance with the same settings, unknown to anyone without them.
pub(crate) fn form_key(password_hash_material: &[u8]) -> Digest {
    sha256(&[FORM_KEY_LABEL, password_hash_material])
}

/// The token of the sign-in form shown with pre-session `pre`.
pub(crate) fn login_token(form_key: &Digest, pre: &[u8; 32]) -> Digest {
    let mut out = [0u8; 32];
    let hk = Hkdf::<Sha256>::new(Some(pre), form_key);
    // 32 bytes is far below HKDF's limit: expand cannot fail.
    let _ = hk.expand(LOGIN_TOKEN_INFO, &mut out);
    out
}

/// Whether `presented` (base64url) is the sign-in token of one of the request's pre-sessions.
pub(crate) fn login_token_ok(form_key: &Digest, pres: &[[u8; 32]], presented: &str) -> bool {
    let Ok(presented) = b64::decode_array::<32>(presented.trim(), "csrf") else {
        return false;
    };
    // Every candidate is compared, whatever the first answer.
    pres.iter().fold(false, |ok, pre| {
        digest_eq(&login_token(form_key, pre), &presented) | ok
    })
}

/// Whether `presented` (base64url) is the session's synchronizer token.
pub(crate) fn session_token_ok(session: &ConsoleSession, presented: &str) -> bool {
    b64::decode_array::<32>(presented.trim(), "csrf").is_ok_and(|p| digest_eq(&session.csrf, &p))
}

/// Whether a post comes from the console's own origin, as far as the browser
/// says: `Origin` (when sent) is the public origin (or, without one, names the
/// `Host` the request was sent to), and `Sec-Fetch-Site` (when sent) is
/// `same-origin`. A client that sends neither (a script) is judged by its token.
///
/// The site's `Referrer-Policy: no-referrer` makes browsers send `Origin:
/// null` on the console's own form posts; such a post is the console's only
/// when `Sec-Fetch-Site` (which no page can set) says `same-origin`.
pub(crate) fn same_origin(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    let fetch_site = headers.get("sec-fetch-site");
    if fetch_site.is_some_and(|site| site.as_bytes() != b"same-origin") {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = origin.trim().trim_end_matches('/');
    if origin == "null" {
        return fetch_site.is_some();
    }
    match public_origin {
        Some(public) => origin.eq_ignore_ascii_case(public.trim().trim_end_matches('/')),
        None => {
            let Some(authority) = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
            else {
                // "null" (a sandboxed or file page) and anything odd.
                return false;
            };
            headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .is_some_and(|host| host.eq_ignore_ascii_case(authority))
        }
    }
}

/// A signed-in session of the current request.
#[derive(Clone, Debug)]
pub(crate) struct Signed {
    /// The store's key of the session (SHA-256 of the cookie).
    pub(crate) key: Digest,
    /// The session.
    pub(crate) session: ConsoleSession,
}

/// The request's live session, if it has one. A session past its idle or
/// absolute lifetime is forgotten; a live one's `last_seen` moves (at most once a minute).
pub(crate) async fn current(
    store: &dyn Store,
    cookies: Cookies,
    headers: &HeaderMap,
    now: UnixSecs,
) -> Result<Option<Signed>, StoreError> {
    for secret in cookie_secrets(headers, cookies.session()) {
        let key = sha256(&[&secret]);
        let Some(mut session) = store.session(key).await? else {
            continue;
        };
        if now >= session.ends_at || now - session.last_seen >= IDLE_SECS {
            store.drop_session(key).await?;
            continue;
        }
        if now - session.last_seen >= TOUCH_SECS {
            session.last_seen = now;
            store.put_session(key, session.clone()).await?;
        }
        return Ok(Some(Signed { key, session }));
    }
    Ok(None)
}

/// Starts a new session; returns the cookie value and the session.
pub(crate) async fn start(
    store: &dyn Store,
    now: UnixSecs,
) -> Result<(String, Signed), StoreError> {
    let secret = fresh_secret()?;
    let key = sha256(&[&secret]);
    let session = ConsoleSession {
        created_at: now,
        last_seen: now,
        csrf: fresh_secret()?,
        notice: None,
        ends_at: now + ABSOLUTE_SECS,
    };
    store.put_session(key, session.clone()).await?;
    Ok((b64::encode(secret), Signed { key, session }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn cookies_are_host_prefixed_and_secure_only_behind_https() {
        let plain = Cookies { https: false }.set_session("abc");
        assert_eq!(
            plain.to_str().expect("ascii"),
            "ots-admin=abc; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=43200"
        );
        let tls = Cookies { https: true }.set_session("abc");
        assert_eq!(
            tls.to_str().expect("ascii"),
            "__Host-ots-admin=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure"
        );
    }

    #[test]
    fn a_sign_in_token_fits_its_pre_session_only() {
        let key = form_key(b"$argon2id$v=19$...");
        let (a, b) = ([1u8; 32], [2u8; 32]);
        let token = b64::encode(login_token(&key, &a));
        assert!(login_token_ok(&key, &[a], &token));
        assert!(login_token_ok(&key, &[b, a], &token));
        assert!(!login_token_ok(&key, &[b], &token));
        assert!(!login_token_ok(&key, &[], &token));
        assert!(!login_token_ok(&form_key(b"other"), &[a], &token));
        assert!(!login_token_ok(&key, &[a], ""));
    }

    #[test]
    fn posts_from_another_origin_are_told_apart() {
        let host = ("host", "127.0.0.1:3000");
        assert!(
            same_origin(&headers(&[host]), None),
            "a script sends neither"
        );
        assert!(same_origin(
            &headers(&[
                host,
                ("origin", "http://127.0.0.1:3000"),
                ("sec-fetch-site", "same-origin")
            ]),
            None
        ));
        assert!(!same_origin(
            &headers(&[host, ("origin", "http://evil.test")]),
            None
        ));
        assert!(!same_origin(&headers(&[host, ("origin", "null")]), None));
        // A browser under `Referrer-Policy: no-referrer` posting its own form.
        let own_form = [("origin", "null"), ("sec-fetch-site", "same-origin")];
        assert!(same_origin(
            &headers(&[host, own_form[0], own_form[1]]),
            None
        ));
        assert!(same_origin(
            &headers(&own_form),
            Some("https://share.example")
        ));
        assert!(!same_origin(
            &headers(&[host, ("origin", "null"), ("sec-fetch-site", "cross-site")]),
            None
        ));
        assert!(!same_origin(
            &headers(&[host, ("sec-fetch-site", "cross-site")]),
            None
        ));
        assert!(!same_origin(
            &headers(&[host, ("sec-fetch-site", "same-site")]),
            None
        ));
        let public = Some("https://share.example");
        assert!(same_origin(
            &headers(&[("origin", "https://share.example")]),
            public
        ));
        assert!(!same_origin(
            &headers(&[("origin", "http://share.example")]),
            public
        ));
    }

    #[test]
    fn cookie_values_are_read_from_every_cookie_header() {
        let v = b64::encode([7u8; 32]);
        let h = headers(&[
            ("cookie", "a=1; ots-admin=zz"),
            ("cookie", &format!("ots-admin={v}")),
        ]);
        assert_eq!(cookie_secrets(&h, "ots-admin"), vec![[7u8; 32]]);
        assert!(cookie_secrets(&h, "other").is_empty());
    }
}
