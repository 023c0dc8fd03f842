//! The REST API of protocol §5, one method per action, each failing with the
//! [`Step`] it was on. Only the server's origin and ids are ever in a URL:
//! the link's fragment never leaves this process.

use std::time::Duration;

use bytes::Bytes;
use ots_proto::{
    paths, ClaimRequest, Claimed, Config, CreateRequest, Created, ErrorBody, ErrorCode, Fixed,
    ManageStatus, ShareId, ShareInfo, Token, PROTOCOL_VERSION, REQUEST_ID_SIZE,
};
use reqwest::{header, redirect, RequestBuilder, Response, StatusCode};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result, Step};

/// Tries of one request before a transient failure is reported.
const MAX_TRIES: u32 = 6;
/// The first pause between tries; doubled each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// The longest pause between tries, including a server's `Retry-After`.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long a connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a response may stay silent before the connection counts as broken.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Which failures of a request are safe to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Repeating the request changes nothing: retry any network failure and
    /// 429/5xx answers.
    Idempotent,
    /// The request must not run twice: retry only when it cannot have reached
    /// the server (connect errors, 429, 503).
    NotSent,
}

/// A create token the operator handed out (protocol 1.1): an opaque string
/// sent as `Authorization: Bearer` on create only. Wiped on drop, never printed.
pub struct CreateToken(Zeroizing<String>);

impl CreateToken {
    /// The token, trimmed; `None` when it is empty.
    pub fn new(token: &str) -> Option<Self> {
        let token = token.trim();
        (!token.is_empty()).then(|| Self(Zeroizing::new(token.to_owned())))
    }
}

impl std::fmt::Debug for CreateToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CreateToken(..)")
    }
}

/// A client of one server.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    origin: String,
}

impl Api {
    /// A client of the server at `origin` (`http(s)://host[:port]`, no
    /// trailing slash).
    pub fn new(origin: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("ots/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            // A redirect would carry tokens (in headers and bodies) to
            // wherever it points: every 3xx is an error instead.
            .redirect(redirect::Policy::none())
            .build()
            .map_err(|_| Error::Internal("cannot set up the HTTP client"))?;
        Ok(Self {
            http,
            origin: origin.trim_end_matches('/').to_owned(),
        })
    }

    /// The origin links are built from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The URL of an API path (from [`paths`]) on this server.
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// `GET /config` (1.1): what the server accepts. `None` from a 1.0
    /// server, which has no such route (`404`).
    pub async fn config(&self) -> Result<Option<Config>> {
        let step = Step::Config;
        let url = self.url(&paths::config());
        let resp = self
            .send(step, Retry::Idempotent, || self.http.get(&url))
            .await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let config: Config = json_answer(step, resp, StatusCode::OK).await?;
        if config.v != PROTOCOL_VERSION {
            return Err(Error::protocol(
                step,
                format!("unknown protocol version {}", config.v),
            ));
        }
        Ok(Some(config))
    }

    /// `POST /shares`, with the create token when there is one.
    pub async fn create(
        &self,
        body: &CreateRequest,
        token: Option<&CreateToken>,
    ) -> Result<Created> {
        let step = Step::Create;
        let url = self.url(&paths::shares());
        let resp = self
            .send(step, Retry::NotSent, || {
                let req = self.http.post(&url).json(body);
                match token {
                    // bearer_auth marks the header value sensitive.
                    Some(token) => req.bearer_auth(token.0.as_str()),
                    None => req,
                }
            })
            .await?;
        json_answer(step, resp, StatusCode::CREATED).await
    }

    /// `PUT /shares/{id}/parts/{index}`, retried until stored.
    pub async fn put_part(
        &self,
        id: &ShareId,
        upload: &Token,
        index: u64,
        part: &Bytes,
    ) -> Result<()> {
        let step = Step::UploadPart(index);
        let url = self.url(&paths::part(id, index));
        let resp = self
            .send(step, Retry::Idempotent, || {
                bearer(self.http.put(&url), upload)
                    .header(header::CONTENT_TYPE, "application/octet-stream")
                    .body(part.clone())
            })
            .await?;
        empty_answer(step, resp).await
    }

    /// `POST /shares/{id}/complete`.
    pub async fn complete(&self, id: &ShareId, upload: &Token) -> Result<()> {
        let step = Step::Complete;
        let url = self.url(&paths::complete(id));
        let resp = self
            .send(step, Retry::NotSent, || {
                bearer(self.http.post(&url), upload)
            })
            .await?;
        empty_answer(step, resp).await
    }

    /// `GET /shares/{id}`.
    pub async fn info(&self, id: &ShareId) -> Result<ShareInfo> {
        let step = Step::Info;
        let url = self.url(&paths::share(id));
        let resp = self
            .send(step, Retry::Idempotent, || self.http.get(&url))
            .await?;
        let info: ShareInfo = json_answer(step, resp, StatusCode::OK).await?;
        if info.v != PROTOCOL_VERSION {
            return Err(Error::protocol(
                step,
                format!("unknown protocol version {}", info.v),
            ));
        }
        Ok(info)
    }

    /// `POST /shares/{id}/claim`. Network failures are retried with the same
    /// `request_id`, which the server answers as the first success.
    pub async fn claim(
        &self,
        id: &ShareId,
        link: &Token,
        claim: &Token,
        request_id: [u8; REQUEST_ID_SIZE],
    ) -> Result<Claimed> {
        let step = Step::Claim;
        let url = self.url(&paths::claim(id));
        // Tokens are zeroized on drop, so the body's copies leave nothing behind.
        let body = ClaimRequest {
            link_token: link.clone(),
            claim_token: claim.clone(),
            request_id: Some(Fixed(request_id)),
        };
        let resp = self
            .send(step, Retry::Idempotent, || self.http.post(&url).json(&body))
            .await?;
        json_answer(step, resp, StatusCode::OK).await
    }

    /// `GET /shares/{id}/blob` from byte `from` on. The answer's status is
    /// checked; its body is the caller's to stream.
    pub async fn blob(&self, id: &ShareId, ticket: &Token, from: u64) -> Result<Response> {
        let step = Step::Download;
        let url = self.url(&paths::blob(id));
        let resp = self
            .send(step, Retry::Idempotent, || {
                let req = bearer(self.http.get(&url), ticket);
                if from > 0 {
                    req.header(header::RANGE, format!("bytes={from}-"))
                } else {
                    req
                }
            })
            .await?;
        match resp.status() {
            StatusCode::OK | StatusCode::PARTIAL_CONTENT => Ok(resp),
            _ => Err(error_answer(step, resp).await),
        }
    }

    /// `DELETE /shares/{id}/blob`: the whole plaintext is here.
    pub async fn release(&self, id: &ShareId, ticket: &Token) -> Result<()> {
        let step = Step::Release;
        let url = self.url(&paths::blob(id));
        let resp = self
            .send(step, Retry::Idempotent, || {
                bearer(self.http.delete(&url), ticket)
            })
            .await?;
        empty_answer(step, resp).await
    }

    /// `GET /shares/{id}/manage`.
    pub async fn status(&self, id: &ShareId, manage: &Token) -> Result<ManageStatus> {
        let step = Step::Status;
        let url = self.url(&paths::manage(id));
        let resp = self
            .send(step, Retry::Idempotent, || {
                bearer(self.http.get(&url), manage)
            })
            .await?;
        json_answer(step, resp, StatusCode::OK).await
    }

    /// `DELETE /shares/{id}`.
    pub async fn revoke(&self, id: &ShareId, manage: &Token) -> Result<()> {
        let step = Step::Revoke;
        let url = self.url(&paths::share(id));
        let resp = self
            .send(step, Retry::Idempotent, || {
                bearer(self.http.delete(&url), manage)
            })
            .await?;
        empty_answer(step, resp).await
    }

    /// Sends the request `build` makes, again after transient failures as
    /// `retry` allows. Returns the first answer that is not transient.
    async fn send(
        &self,
        step: Step,
        retry: Retry,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response> {
        let mut pause = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            let last = attempt >= MAX_TRIES;
            match build().send().await {
                Ok(resp) => {
                    let status = resp.status();
                    if status.is_redirection() {
                        return Err(redirect_error(step, &resp));
                    }
                    let transient = status == StatusCode::TOO_MANY_REQUESTS
                        || status == StatusCode::SERVICE_UNAVAILABLE
                        || (retry == Retry::Idempotent
                            && status.is_server_error()
                            // A full server stays full for longer than a retry waits.
                            && status != StatusCode::INSUFFICIENT_STORAGE);
                    if !transient || last {
                        return Ok(resp);
                    }
                    let wait = retry_after(&resp).unwrap_or(pause).min(MAX_BACKOFF);
                    tokio::time::sleep(wait).await;
                }
                Err(err) => {
                    let safe = err.is_connect() || retry == Retry::Idempotent;
                    if !safe || last {
                        return Err(Error::network(step, err));
                    }
                    tokio::time::sleep(pause).await;
                }
            }
            pause = (pause * 2).min(MAX_BACKOFF);
            attempt += 1;
        }
    }
}

/// The error for a 3xx answer, naming the host its `Location` points at.
fn redirect_error(step: Step, resp: &Response) -> Error {
    let target = resp
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|location| resp.url().join(location).ok())
        .map(|url| {
            let host = url.host_str().unwrap_or("?").to_owned();
            match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            }
        })
        .map(|host| host.chars().filter(|c| !c.is_control()).take(200).collect())
        .unwrap_or_else(|| "an unknown place".to_owned());
    Error::Redirect {
        step,
        status: resp.status().as_u16(),
        target,
    }
}

fn bearer(req: RequestBuilder, token: &Token) -> RequestBuilder {
    let mut b64 = token.to_b64();
    // bearer_auth marks the header value sensitive, so it is never printed.
    let req = req.bearer_auth(&b64);
    b64.zeroize();
    req
}

fn retry_after(resp: &Response) -> Option<Duration> {
    let secs: u64 = resp
        .headers()
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs))
}

async fn json_answer<T: serde::de::DeserializeOwned>(
    step: Step,
    resp: Response,
    ok: StatusCode,
) -> Result<T> {
    if resp.status() != ok {
        return Err(error_answer(step, resp).await);
    }
    let bytes = resp.bytes().await.map_err(|e| Error::network(step, e))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::protocol(step, format!("unexpected answer: {e}")))
}

async fn empty_answer(step: Step, resp: Response) -> Result<()> {
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(error_answer(step, resp).await)
    }
}

/// Maps an error answer of protocol §5 to an [`Error`]. A body that is not
/// the protocol's (a proxy's page, a cut connection) leaves only the status.
async fn error_answer(step: Step, resp: Response) -> Error {
    let status = resp.status();
    let body = match resp.bytes().await {
        Ok(bytes) => serde_json::from_slice(&bytes).ok(),
        Err(_) => None,
    };
    classify(step, status, body)
}

fn classify(step: Step, status: StatusCode, body: Option<ErrorBody>) -> Error {
    let code = body.as_ref().map_or(ErrorCode::Unknown, |b| b.error);
    match (status.as_u16(), code) {
        (404, _) => Error::NotFound,
        (410, _) => Error::Gone {
            reason: body.and_then(|b| b.reason),
        },
        (423, _) => Error::Locked,
        (401, ErrorCode::BadPassword) => Error::BadPassword {
            attempts_left: body.and_then(|b| b.attempts_left).unwrap_or(0),
        },
        (403, ErrorCode::BadLink) => Error::WrongLink,
        (401, ErrorCode::TokenRequired) => Error::TokenRequired,
        (403, ErrorCode::BadToken) if step == Step::Create => Error::TokenRefused,
        (507, _) => Error::StorageFull { step },
        (409, ErrorCode::NotReady) => Error::NotReady,
        (409, ErrorCode::Incomplete) => Error::protocol(
            step,
            format!(
                "parts missing after upload: {:?}",
                body.and_then(|b| b.missing).unwrap_or_default()
            ),
        ),
        (status_code, code) => Error::Server {
            step,
            status: status_code,
            // A code this client does not know says less than the status.
            code: match code {
                ErrorCode::Unknown => status.canonical_reason().unwrap_or("error").to_lowercase(),
                known => known.as_str().to_owned(),
            },
            message: body
                .map(|b| b.message)
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> Option<ErrorBody> {
        Some(serde_json::from_str(json).unwrap())
    }

    #[test]
    fn bad_password_answer_keeps_attempts_left() {
        let e = classify(
            Step::Claim,
            StatusCode::UNAUTHORIZED,
            body(r#"{"error":"bad_password","message":"wrong","attempts_left":2}"#),
        );
        assert!(matches!(e, Error::BadPassword { attempts_left: 2 }));
    }

    #[test]
    fn gone_answer_keeps_its_reason() {
        let e = classify(
            Step::Info,
            StatusCode::GONE,
            body(r#"{"error":"gone","message":"","reason":"revoked"}"#),
        );
        assert_eq!(e.to_string(), "the share is gone: its sender revoked it");
        assert_eq!(e.exit_code(), 3);
    }

    #[test]
    fn unknown_answer_is_a_server_error_without_control_characters() {
        let e = classify(
            Step::Create,
            StatusCode::BAD_REQUEST,
            body(r#"{"error":"invalid","message":"bad\u001b[31m size"}"#),
        );
        assert_eq!(
            e.to_string(),
            "creating the share: the server answered 400 invalid: bad[31m size"
        );
    }

    #[test]
    fn empty_error_body_still_names_the_status() {
        let e = classify(Step::Claim, StatusCode::INTERNAL_SERVER_ERROR, None);
        assert_eq!(
            e.to_string(),
            "claiming the share: the server answered 500 internal server error"
        );
    }

    #[test]
    fn taken_down_share_is_gone_and_a_gone_answer_without_body_too() {
        let e = classify(
            Step::Claim,
            StatusCode::GONE,
            body(r#"{"error":"gone","message":"","reason":"removed"}"#),
        );
        assert_eq!(
            e.to_string(),
            "the share is gone: the server's operator removed it"
        );
        let e = classify(Step::Claim, StatusCode::GONE, None);
        assert_eq!(e.to_string(), "the share is gone");
        assert_eq!(e.exit_code(), 3);
    }

    #[test]
    fn error_code_of_a_newer_server_is_reported_by_its_status() {
        let e = classify(
            Step::Create,
            StatusCode::SERVICE_UNAVAILABLE,
            body(r#"{"error":"maintenance","message":"back soon"}"#),
        );
        assert_eq!(
            e.to_string(),
            "creating the share: the server answered 503 service unavailable: back soon"
        );
    }

    #[test]
    fn create_token_answers_say_what_to_do() {
        let e = classify(
            Step::Create,
            StatusCode::UNAUTHORIZED,
            body(r#"{"error":"token_required","message":"x"}"#),
        );
        assert_eq!(
            e.to_string(),
            "this server requires a create token (--token or OTS_CREATE_TOKEN)"
        );
        let e = classify(
            Step::Create,
            StatusCode::FORBIDDEN,
            body(r#"{"error":"bad_token","message":"x"}"#),
        );
        assert_eq!(e.to_string(), "the create token was refused");
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn a_full_server_says_try_later() {
        let e = classify(
            Step::UploadPart(2),
            StatusCode::INSUFFICIENT_STORAGE,
            body(r#"{"error":"storage_full","message":"x"}"#),
        );
        assert_eq!(
            e.to_string(),
            "uploading part 2: the server is full, try again later"
        );
        assert_eq!(e.exit_code(), 1);
    }
}
