//! The operator's side: the console at `/admin` (sign-in, dashboard,
//! takedown, audit), create tokens, and the footer links.
//!
//! The console is off unless `--admin-password-hash` is set; then `/admin` is
//! a Leptos page (`app::admin`) rendered here with an [`AdminView`] that these
//! handlers decide, and every action is a plain form post answered with a
//! redirect (or a page saying why it was refused). Every answer says
//! `Cache-Control: no-store` and carries the site's CSP.

pub(crate) mod audit;
mod auth;
pub(crate) mod create_tokens;
mod dashboard;
mod lockout;
mod session;
pub(crate) mod settings;
mod takedown;
#[cfg(test)]
mod tests;

use std::net::IpAddr;

use app::admin::{AdminView, LoginError, LoginView, Refusal as Refused, TakedownOutcome};
use axum::{
    body::Body,
    extract::{DefaultBodyLimit, Request, State},
    http::{header, request::Parts, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Form, Router,
};
use ots_proto::b64;
use serde::Deserialize;
use zeroize::Zeroizing;

pub use self::auth::hash_password_command;
use self::{
    lockout::{Refusal, LOCKOUT_SECS},
    session::Signed,
    settings::Console,
};
use crate::{
    headers::CspNonce,
    limits::ClientAddr,
    state::AppState,
    store::{operator::AuditAction, StoreError},
};

/// What can be wrong with the operator's settings.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// A setting that cannot be used; the message says which and why.
    #[error("{0}")]
    Config(String),
    /// Reading a password or a file failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// Largest console form body.
const FORM_BODY_BYTES: usize = 8 * 1024;
/// The console's routes (only mounted when the console is on; otherwise
/// `/admin` is the site's "not found").
pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/admin", get(page))
        // A reload of a form's answer asks for its path: the console is at /admin.
        .route("/admin/login", post(login).get(to_console))
        .route("/admin/logout", post(logout).get(to_console))
        .route("/admin/takedown", post(takedown).get(to_console))
        .layer(DefaultBodyLimit::max(FORM_BODY_BYTES))
        .with_state(state)
}

/// The client address of a request (the peer, or the trusted proxy's word).
fn client_ip(state: &AppState, parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ClientAddr>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |a| {
            state.clients.client_ip(a, &parts.headers)
        })
}

/// Renders the console page with `view`, answering `status` with `cookies` set.
async fn render(
    state: &AppState,
    parts: &Parts,
    view: AdminView,
    status: StatusCode,
    cookies: Vec<HeaderValue>,
) -> Response {
    // The page is rendered for the path the browser shows, so that it hydrates the same route,
    // in the language the browser asks for (the switcher's `?lang=`, then Accept-Language).
    let uri = parts
        .uri
        .path_and_query()
        .map_or(parts.uri.path(), |p| p.as_str());
    let mut req = Request::builder()
        .uri(uri)
        .body(Body::empty())
        .unwrap_or_default();
    for value in parts.headers.get_all(header::ACCEPT_LANGUAGE) {
        req.headers_mut()
            .append(header::ACCEPT_LANGUAGE, value.clone());
    }
    // The nonce of this response's CSP, for the page's scripts.
    if let Some(nonce) = parts.extensions.get::<CspNonce>() {
        req.extensions_mut().insert(nonce.clone());
    }
    let options = crate::site::options(&state.config.site_root);
    let context = crate::site::page_context(state);
    let handler = leptos_axum::render_app_to_stream_with_context(
        move || {
            crate::site::provide_page_context(&context);
            leptos::prelude::provide_context(view.clone());
        },
        move || app::shell(options.clone()),
    );
    let mut res = handler(req).await;
    *res.status_mut() = status;
    finish(&mut res, cookies);
    res
}

/// The headers every console answer carries.
fn finish(res: &mut Response, cookies: Vec<HeaderValue>) {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for c in cookies {
        h.append(header::SET_COOKIE, c);
    }
}

/// `GET` of a form's path: the console.
async fn to_console() -> Response {
    back_to_console(Vec::new())
}

/// `303 See Other` to the dashboard.
fn back_to_console(cookies: Vec<HeaderValue>) -> Response {
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, "/admin")]).into_response();
    finish(&mut res, cookies);
    res
}

/// A `Retry-After` header.
fn retry_after(res: &mut Response, secs: u64) {
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
}

/// The store failed: `503`, the detail in the log only.
async fn unavailable(state: &AppState, parts: &Parts, e: StoreError) -> Response {
    state.metrics.store_error();
    tracing::warn!(error = %e, "console: store unavailable");
    let view = AdminView::Refused(Refused::StorageUnavailable);
    let mut res = render(
        state,
        parts,
        view,
        StatusCode::SERVICE_UNAVAILABLE,
        Vec::new(),
    )
    .await;
    retry_after(&mut res, 5);
    res
}

/// A post that did not come from the console: `403`, nothing changed.
async fn refused(state: &AppState, parts: &Parts, what: &str) -> Response {
    tracing::warn!(
        target: "ots::audit",
        action = "refused",
        client = %client_ip(state, parts),
        what,
        "audit"
    );
    let view = AdminView::Refused(Refused::NotFromConsole);
    render(state, parts, view, StatusCode::FORBIDDEN, Vec::new()).await
}

/// The sign-in form, bound to the request's pre-session (or a new one).
async fn login_page(
    state: &AppState,
    console: &Console,
    parts: &Parts,
    error: Option<LoginError>,
    locked_out: bool,
    status: StatusCode,
) -> Response {
    let names = console.cookies;
    let (pre, mut cookies) =
        match session::cookie_secrets(&parts.headers, names.pre_session()).first() {
            Some(pre) => (*pre, Vec::new()),
            None => match session::fresh_secret() {
                Ok(pre) => (pre, vec![names.set_pre_session(&b64::encode(pre))]),
                Err(e) => return unavailable(state, parts, e).await,
            },
        };
    if !session::cookie_secrets(&parts.headers, names.session()).is_empty() {
        // A dead session's cookie goes too.
        cookies.push(names.clear_session());
    }
    let view = AdminView::Login(LoginView {
        csrf: b64::encode(session::login_token(&console.form_key, &pre)),
        error,
        locked_out,
    });
    render(state, parts, view, status, cookies).await
}

/// The sign-in page answering `429` with `Retry-After: secs`: a lockout
/// (`locked_out`) or the server-wide limit, said by `error`.
async fn too_many(
    state: &AppState,
    console: &Console,
    parts: &Parts,
    error: LoginError,
    locked_out: bool,
    secs: u64,
) -> Response {
    let mut res = login_page(
        state,
        console,
        parts,
        Some(error),
        locked_out,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
    retry_after(&mut res, secs);
    res
}

/// A lockout of `retry_after` seconds, in whole minutes (rounded up).
fn locked_out(retry_after: u64) -> LoginError {
    LoginError::LockedOut {
        minutes: retry_after.div_ceil(60),
    }
}

/// `GET /admin`: the dashboard when signed in, the sign-in form otherwise.
async fn page(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    // The router is mounted only with a console.
    let Some(console) = state.console.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let now = state.clock.now();
    match session::current(&*state.store, console.cookies, &parts.headers, now).await {
        Err(e) => unavailable(&state, &parts, e).await,
        Ok(Some(mut signed)) => {
            let notice = signed.session.notice.take();
            let shown = notice.as_deref().and_then(takedown::from_notice);
            if notice.is_some() {
                // Shown once.
                if let Err(e) = state
                    .store
                    .put_session(signed.key, signed.session.clone())
                    .await
                {
                    return unavailable(&state, &parts, e).await;
                }
            }
            let csrf = b64::encode(signed.session.csrf);
            let view = dashboard::view(&state, csrf, shown).await;
            render(
                &state,
                &parts,
                AdminView::Dashboard(Box::new(view)),
                StatusCode::OK,
                Vec::new(),
            )
            .await
        }
        Ok(None) => match console.lockout.admit(client_ip(&state, &parts), now).await {
            Err(Refusal::LockedOut { retry_after: secs }) => {
                too_many(&state, &console, &parts, locked_out(secs), true, secs).await
            }
            _ => login_page(&state, &console, &parts, None, false, StatusCode::OK).await,
        },
    }
}

/// The fields of the sign-in form.
#[derive(Deserialize, Default)]
struct LoginForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// The fields of the other console forms.
#[derive(Deserialize, Default)]
struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    share: String,
}

/// Reads a form body; one that is not a form reads as empty (and is then refused for its missing token).
async fn read_form<T: serde::de::DeserializeOwned + Default>(
    state: &AppState,
    req: Request,
) -> (Parts, T) {
    use axum::extract::FromRequest;
    let (parts, body) = req.into_parts();
    let again = Request::from_parts(parts.clone(), body);
    let form = Form::<T>::from_request(again, state)
        .await
        .map(|Form(f)| f)
        .unwrap_or_default();
    (parts, form)
}

/// `POST /admin/login`: checks, in order, the address's lockout and the
/// global limit (`429`), the origin and the form token (`403`), then the password.
async fn login(State(state): State<AppState>, req: Request) -> Response {
    let (parts, form) = read_form::<LoginForm>(&state, req).await;
    let password = Zeroizing::new(form.password);
    // The router is mounted only with a console.
    let Some(console) = state.console.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let now = state.clock.now();
    let ip = client_ip(&state, &parts);
    let client = ip.to_string();
    match console.lockout.admit(ip, now).await {
        Ok(()) => {}
        Err(Refusal::LockedOut { retry_after: secs }) => {
            state.metrics.admin_login("locked_out");
            return too_many(&state, &console, &parts, locked_out(secs), true, secs).await;
        }
        Err(Refusal::Busy { retry_after: secs }) => {
            state.metrics.admin_login("rate_limited");
            let busy = LoginError::Busy { secs };
            return too_many(&state, &console, &parts, busy, false, secs).await;
        }
    }
    let pres = session::cookie_secrets(&parts.headers, console.cookies.pre_session());
    if !session::same_origin(&parts.headers, state.config.public_origin.as_deref())
        || !session::login_token_ok(&console.form_key, &pres, &form.csrf)
    {
        state.metrics.admin_login("refused");
        return refused(&state, &parts, "sign-in").await;
    }
    let right = {
        let Ok(_permit) = console.verifying.acquire().await else {
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        };
        let check = console.password.clone();
        let password = password.clone();
        tokio::task::spawn_blocking(move || check.verify(password.as_bytes()))
            .await
            .unwrap_or(false)
    };
    if !right {
        state.metrics.admin_login("wrong_password");
        audit::record(&state, now, AuditAction::LoginFailed, &client, None).await;
        let (locked_until, left) = console.lockout.count_wrong(ip, now).await;
        if let Some(until) = locked_until {
            audit::record(&state, now, AuditAction::Lockout, &client, None).await;
            let secs = u64::try_from(until - now).unwrap_or(LOCKOUT_SECS as u64);
            return too_many(&state, &console, &parts, locked_out(secs), true, secs).await;
        }
        return login_page(
            &state,
            &console,
            &parts,
            Some(LoginError::WrongPassword { left }),
            false,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    console.lockout.forget(ip, now).await;
    // A new session every time: whatever session the browser had is forgotten.
    for old in session::cookie_secrets(&parts.headers, console.cookies.session()) {
        if let Err(e) = state.store.drop_session(session::sha256(&[&old])).await {
            return unavailable(&state, &parts, e).await;
        }
    }
    let (cookie, _) = match session::start(&*state.store, now).await {
        Ok(s) => s,
        Err(e) => return unavailable(&state, &parts, e).await,
    };
    state.metrics.admin_login("success");
    audit::record(&state, now, AuditAction::Login, &client, None).await;
    back_to_console(vec![
        console.cookies.set_session(&cookie),
        console.cookies.clear_pre_session(),
    ])
}

/// The signed-in session of a post that passed the origin and token checks, or the answer.
async fn checked_post(
    state: &AppState,
    console: &Console,
    parts: &Parts,
    csrf: &str,
) -> Result<Signed, Box<Response>> {
    let now = state.clock.now();
    let signed = match session::current(&*state.store, console.cookies, &parts.headers, now).await {
        Err(e) => return Err(Box::new(unavailable(state, parts, e).await)),
        Ok(None) => {
            let view = AdminView::Refused(Refused::NotSignedIn);
            let cookies =
                if session::cookie_secrets(&parts.headers, console.cookies.session()).is_empty() {
                    Vec::new()
                } else {
                    vec![console.cookies.clear_session()]
                };
            return Err(Box::new(
                render(state, parts, view, StatusCode::FORBIDDEN, cookies).await,
            ));
        }
        Ok(Some(s)) => s,
    };
    if !session::same_origin(&parts.headers, state.config.public_origin.as_deref())
        || !session::session_token_ok(&signed.session, csrf)
    {
        return Err(Box::new(refused(state, parts, "console form").await));
    }
    Ok(signed)
}

/// `POST /admin/logout`: the session ends.
async fn logout(State(state): State<AppState>, req: Request) -> Response {
    let (parts, form) = read_form::<ActionForm>(&state, req).await;
    // The router is mounted only with a console.
    let Some(console) = state.console.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let signed = match checked_post(&state, &console, &parts, &form.csrf).await {
        Ok(s) => s,
        Err(res) => return *res,
    };
    if let Err(e) = state.store.drop_session(signed.key).await {
        return unavailable(&state, &parts, e).await;
    }
    let client = client_ip(&state, &parts).to_string();
    audit::record(
        &state,
        state.clock.now(),
        AuditAction::Logout,
        &client,
        None,
    )
    .await;
    back_to_console(vec![console.cookies.clear_session()])
}

/// `POST /admin/takedown` (fields `share`, `csrf`): the share is removed and
/// its ciphertext deleted; `303` to the dashboard, which says what happened.
async fn takedown(State(state): State<AppState>, req: Request) -> Response {
    let (parts, form) = read_form::<ActionForm>(&state, req).await;
    let share = takedown::share_of(form.share);
    // The router is mounted only with a console.
    let Some(console) = state.console.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut signed = match checked_post(&state, &console, &parts, &form.csrf).await {
        Ok(s) => s,
        Err(res) => return *res,
    };
    let now = state.clock.now();
    let done = match takedown::take_down(&state, share, now).await {
        Ok(d) => d,
        Err(e) => return unavailable(&state, &parts, e).await,
    };
    if let TakedownOutcome::Done { short } | TakedownOutcome::AlreadyDone { short } = &done {
        let client = client_ip(&state, &parts).to_string();
        audit::record(&state, now, AuditAction::Takedown, &client, Some(short)).await;
    } else {
        tracing::info!(
            share = takedown::short_id(&done).unwrap_or(""),
            "console: takedown of no known share"
        );
    }
    signed.session.notice = Some(takedown::to_notice(&done));
    if let Err(e) = state.store.put_session(signed.key, signed.session).await {
        return unavailable(&state, &parts, e).await;
    }
    back_to_console(Vec::new())
}

/// Records a create for metrics and, with a create token, the audit log.
pub(crate) fn note_create(
    state: &AppState,
    creator: &create_tokens::Creator,
    inline: bool,
    short: &str,
) {
    state.metrics.created(inline, creator.token_name());
    if let Some(token) = creator.token_name() {
        audit::token_create(token, short);
    }
}
