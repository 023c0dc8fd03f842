//! The REST API of protocol §5, one method per action, each failing with the
//! [`Step`] it was on. Only the server's origin and ids are ever in a URL:
//! the link's fragment never leaves this process.

use std::time::Duration;

use bytes::Bytes;
use ots_crypto::{b64, KdfParams, ShareId, Token};
use reqwest::{header, RequestBuilder, Response, StatusCode};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::error::{Error, Result, Step};

/// Bytes of a part, except the last (protocol §5, "Upload").
pub const PART_SIZE: u64 = 8 * 1024 * 1024;
/// The largest payload that may travel inline in the create request.
pub const INLINE_MAX: u64 = 1024 * 1024;
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

/// The body of `POST /api/v1/shares`.
#[derive(Serialize)]
pub struct CreateRequest {
    /// Payload bytes.
    pub size: u64,
    /// Seconds until expiry.
    pub expires_in: u32,
    /// Claims allowed.
    pub max_downloads: u32,
    /// SHA-256 of the link token.
    pub link_verifier: String,
    /// SHA-256 of the claim token.
    pub claim_verifier: String,
    /// Sealed meta, base64url.
    pub meta: String,
    /// Argon2id parameters when there is a password.
    pub kdf: Option<KdfParams>,
    /// The whole payload, base64url, when it is at most [`INLINE_MAX`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

/// The answer to a create.
#[derive(Debug)]
pub struct Created {
    /// The new share's id.
    pub id: ShareId,
    /// Proves the right to see the status and revoke.
    pub manage_token: Token,
    /// Proves the right to upload parts, unless the payload was inline.
    pub upload_token: Option<Token>,
    /// RFC 3339.
    pub expires_at: String,
}

#[derive(Deserialize)]
struct CreatedBody {
    id: String,
    manage_token: String,
    expires_at: String,
    upload_token: Option<String>,
}

/// The answer to `GET /api/v1/shares/{id}`.
#[derive(Debug, Deserialize)]
pub struct Info {
    /// Protocol version.
    pub v: u32,
    /// Payload bytes.
    pub size: u64,
    /// Argon2id parameters when the share has a password (unvalidated).
    pub kdf: Option<KdfParams>,
}

#[derive(Serialize)]
struct ClaimRequest<'a> {
    link_token: &'a str,
    claim_token: &'a str,
    request_id: &'a str,
}

/// The answer to a successful claim.
#[derive(Debug)]
pub struct Claimed {
    /// Authorizes the download.
    pub ticket: Token,
    /// Sealed meta.
    pub meta: Vec<u8>,
    /// Payload bytes.
    pub size: u64,
    /// Claims left after this one.
    pub downloads_left: u32,
}

#[derive(Deserialize)]
struct ClaimedBody {
    ticket: String,
    meta: String,
    size: u64,
    downloads_left: u32,
}

/// The answer to `GET /api/v1/shares/{id}/manage`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Status {
    /// uploading, ready, consumed, expired, revoked or locked.
    pub state: String,
    /// RFC 3339.
    pub expires_at: String,
    /// Claims left.
    pub downloads_left: u32,
    /// Wrong passwords so far.
    pub failed_attempts: u32,
    /// One entry per successful claim.
    #[serde(default)]
    pub downloads: Vec<Download>,
}

/// One successful claim of a share.
#[derive(Debug, Serialize, Deserialize)]
pub struct Download {
    /// RFC 3339.
    pub at: String,
}

/// The error body of protocol §5.
#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    message: String,
    attempts_left: Option<u32>,
    reason: Option<String>,
    missing: Option<Vec<u64>>,
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

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.origin)
    }

    /// `POST /shares`.
    pub async fn create(&self, body: &CreateRequest) -> Result<Created> {
        let step = Step::Create;
        let resp = self
            .send(step, Retry::NotSent, || {
                self.http.post(self.url("/shares")).json(body)
            })
            .await?;
        let body: CreatedBody = json_answer(step, resp, StatusCode::CREATED).await?;
        let id = ShareId::parse(&body.id).map_err(|_| Error::protocol(step, "malformed id"))?;
        Ok(Created {
            id,
            manage_token: token(step, body.manage_token)?,
            upload_token: body.upload_token.map(|t| token(step, t)).transpose()?,
            expires_at: body.expires_at,
        })
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
        let url = self.url(&format!("/shares/{}/parts/{index}", id.as_str()));
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
        let url = self.url(&format!("/shares/{}/complete", id.as_str()));
        let resp = self
            .send(step, Retry::NotSent, || {
                bearer(self.http.post(&url), upload)
            })
            .await?;
        empty_answer(step, resp).await
    }

    /// `GET /shares/{id}`.
    pub async fn info(&self, id: &ShareId) -> Result<Info> {
        let step = Step::Info;
        let url = self.url(&format!("/shares/{}", id.as_str()));
        let resp = self
            .send(step, Retry::Idempotent, || self.http.get(&url))
            .await?;
        let info: Info = json_answer(step, resp, StatusCode::OK).await?;
        if info.v != 1 {
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
        request_id: &[u8; 16],
    ) -> Result<Claimed> {
        let step = Step::Claim;
        let url = self.url(&format!("/shares/{}/claim", id.as_str()));
        let mut link_b64 = link.to_b64();
        let mut claim_b64 = claim.to_b64();
        let request_id = b64::encode(request_id);
        let body = ClaimRequest {
            link_token: &link_b64,
            claim_token: &claim_b64,
            request_id: &request_id,
        };
        let sent = self
            .send(step, Retry::Idempotent, || self.http.post(&url).json(&body))
            .await;
        link_b64.zeroize();
        claim_b64.zeroize();
        let body: ClaimedBody = json_answer(step, sent?, StatusCode::OK).await?;
        let meta =
            b64::decode(&body.meta).map_err(|_| Error::protocol(step, "meta is not base64url"))?;
        Ok(Claimed {
            ticket: token(step, body.ticket)?,
            meta,
            size: body.size,
            downloads_left: body.downloads_left,
        })
    }

    /// `GET /shares/{id}/blob` from byte `from` on. The answer's status is
    /// checked; its body is the caller's to stream.
    pub async fn blob(&self, id: &ShareId, ticket: &Token, from: u64) -> Result<Response> {
        let step = Step::Download;
        let url = self.url(&format!("/shares/{}/blob", id.as_str()));
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
        let url = self.url(&format!("/shares/{}/blob", id.as_str()));
        let resp = self
            .send(step, Retry::Idempotent, || {
                bearer(self.http.delete(&url), ticket)
            })
            .await?;
        empty_answer(step, resp).await
    }

    /// `GET /shares/{id}/manage`.
    pub async fn status(&self, id: &ShareId, manage: &Token) -> Result<Status> {
        let step = Step::Status;
        let url = self.url(&format!("/shares/{}/manage", id.as_str()));
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
        let url = self.url(&format!("/shares/{}", id.as_str()));
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
                    let transient = status == StatusCode::TOO_MANY_REQUESTS
                        || status == StatusCode::SERVICE_UNAVAILABLE
                        || (retry == Retry::Idempotent && status.is_server_error());
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

fn bearer(req: RequestBuilder, token: &Token) -> RequestBuilder {
    let mut b64 = token.to_b64();
    // bearer_auth marks the header value sensitive, so it is never printed.
    let req = req.bearer_auth(&b64);
    b64.zeroize();
    req
}

/// A server-issued token from its JSON form; the string is wiped.
fn token(step: Step, mut text: String) -> Result<Token> {
    let parsed = Token::from_b64(&text).map_err(|_| Error::protocol(step, "malformed token"));
    text.zeroize();
    parsed
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

/// Maps an error answer of protocol §5 to an [`Error`].
async fn error_answer(step: Step, resp: Response) -> Error {
    let status = resp.status();
    let body: ErrorBody = match resp.bytes().await {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_default(),
        Err(_) => ErrorBody::default(),
    };
    classify(step, status, body)
}

fn classify(step: Step, status: StatusCode, body: ErrorBody) -> Error {
    match (status.as_u16(), body.error.as_str()) {
        (404, _) => Error::NotFound,
        (410, _) => Error::Gone {
            reason: body.reason.unwrap_or_else(|| "gone".into()),
        },
        (423, _) => Error::Locked,
        (401, "bad_password") => Error::BadPassword {
            attempts_left: body.attempts_left.unwrap_or(0),
        },
        (403, "bad_link") => Error::WrongLink,
        (409, "not_ready") => Error::NotReady,
        (409, "incomplete") => Error::protocol(
            step,
            format!(
                "parts missing after upload: {:?}",
                body.missing.unwrap_or_default()
            ),
        ),
        (code, _) => Error::Server {
            step,
            status: code,
            code: if body.error.is_empty() {
                status.canonical_reason().unwrap_or("error").to_lowercase()
            } else {
                body.error
            },
            message: body
                .message
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

    fn body(json: &str) -> ErrorBody {
        serde_json::from_str(json).unwrap()
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
        assert_eq!(e.to_string(), "the share is gone (revoked)");
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
        let e = classify(
            Step::Claim,
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorBody::default(),
        );
        assert_eq!(
            e.to_string(),
            "claiming the share: the server answered 500 internal server error"
        );
    }
}
