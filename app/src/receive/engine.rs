//! The receive flow in the browser: read the share's public facts, claim
//! it, then download and decrypt the payload into a text or a saved file.

use js_sys::{Reflect, Uint8Array};
use ots_crypto::{open_meta, ContentKeys, LinkKeys, LinkSecret, StreamDecryptor};
use ots_proto::{
    paths, payload_size, ClaimRequest, Claimed, ErrorCode, Fixed, KdfParams, ShareId, ShareInfo,
    Token,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Url};

use super::{saved_name, shows_as_text, Facts, OpenError, Opened, Stage};
use crate::browser::dom::{fragment, js_error, now_ms, random_bytes, sleep, trigger_download};
use crate::browser::http::{call, call_with_retry, json, to_json, Body};
use crate::browser::kdf::derive_password_key;
use crate::browser::save::Sink;
use crate::failure::{ApiError, BrowserError};

/// Decrypted bytes gathered before each write to the sink.
const FLUSH_BYTES: usize = 4 * 1024 * 1024;

/// Least time between two progress reports, in milliseconds.
const PROGRESS_EVERY_MS: f64 = 100.0;

/// Times a broken download is resumed before giving up.
const RESUME_ATTEMPTS: u32 = 20;

/// The link secret in the URL fragment.
fn link_secret() -> Result<LinkSecret, OpenError> {
    fragment()
        .and_then(|f| LinkSecret::from_fragment(&f).ok())
        .ok_or(OpenError::BadLink)
}

/// The share id of the route; a malformed one names no share.
fn share_id(id: &str) -> Result<ShareId, OpenError> {
    ShareId::parse(id).map_err(|_| OpenError::NotFound)
}

/// `GET /shares/{id}`: public facts, changes nothing. A link without its
/// key is refused before anything is asked.
pub(super) async fn facts(id: &str) -> Result<Facts, OpenError> {
    link_secret()?;
    let id = share_id(id)?;
    let response = call("GET", &paths::share(&id), None, Body::Empty, None).await?;
    let info: ShareInfo = json(&response).await?;
    Ok(Facts::from_info(info))
}

/// Claims the share (one download used), then downloads and decrypts it.
pub(super) async fn open(
    id: &str,
    kdf: Option<KdfParams>,
    password: &str,
    on_stage: impl Fn(Stage),
) -> Result<Opened, OpenError> {
    let secret = link_secret()?;
    let id = share_id(id)?;
    let password_key = match kdf {
        None => None,
        Some(params) => {
            // Refuse a cost outside protocol §2 before allocating anything.
            params.validate().map_err(|_| OpenError::KdfOutOfBounds)?;
            if password.is_empty() {
                return Err(OpenError::PasswordMissing);
            }
            on_stage(Stage::DerivingKey);
            Some(derive_password_key(&secret, password, params).await?)
        }
    };
    let keys = ContentKeys::derive(&secret, password_key.as_ref());
    let link_keys = LinkKeys::derive(&secret);

    on_stage(Stage::Claiming);
    let request_id: [u8; 16] = random_bytes()?;
    let claim = ClaimRequest {
        link_token: link_keys.link_token().clone(),
        claim_token: keys.claim_token().clone(),
        request_id: Some(Fixed(request_id)),
    };
    let body = to_json(&claim)?;
    // Safe to retry: the request id makes a repeated claim answer the same.
    let response =
        call_with_retry("POST", &paths::claim(&id), None, Body::Json(&body), |_| {}).await?;
    let claimed: Claimed = json(&response).await?;

    let meta = open_meta(keys.meta_key(), &claimed.meta.0).map_err(|_| OpenError::Damaged)?;
    if payload_size(meta.size) != claimed.size {
        return Err(OpenError::Damaged);
    }
    let mut decryptor = StreamDecryptor::with_payload_size(keys.payload_key(), claimed.size)
        .map_err(|_| OpenError::Damaged)?;

    let as_text = shows_as_text(&meta);
    let mut sink = if as_text {
        Sink::memory()
    } else {
        Sink::open(meta.size).await
    };
    let mut text = Vec::new();
    let result = {
        let mut out = if as_text {
            Output::Text(&mut text)
        } else {
            Output::Sink(&mut sink)
        };
        download(&id, &claimed, &mut decryptor, &on_stage, &mut out).await
    };
    let finished = result.and_then(|()| {
        let mut tail = Vec::new();
        decryptor
            .finish(&mut tail)
            .map_err(|_| OpenError::Damaged)?;
        Ok(tail)
    });
    let tail = match finished {
        Ok(tail) => tail,
        Err(e) => {
            // Protocol §4: nothing of an incomplete or damaged payload is kept.
            sink.discard().await;
            text.fill(0);
            return Err(e);
        }
    };
    release(&id, &claimed.ticket).await;
    if as_text {
        text.extend_from_slice(&tail);
        return Ok(Opened::Text(String::from_utf8_lossy(&text).into_owned()));
    }
    sink.write(&tail).await?;
    let on_disk = sink.is_on_disk();
    let blob = sink.finish().await?;
    let url = Url::create_object_url_with_blob(&blob).map_err(js_error)?;
    let name = saved_name(&meta);
    trigger_download(&url, &name)?;
    Ok(Opened::File {
        name,
        size: meta.size,
        url,
        on_disk,
    })
}

/// Streams the payload through the decryptor into the sink, resuming a
/// broken connection with a Range request while the ticket lives.
async fn download(
    id: &ShareId,
    claimed: &Claimed,
    decryptor: &mut StreamDecryptor,
    on_stage: &impl Fn(Stage),
    out: &mut Output<'_>,
) -> Result<(), OpenError> {
    let path = paths::blob(id);
    let total = claimed.size;
    let mut received = 0u64;
    let mut plain = Vec::with_capacity(FLUSH_BYTES + 128 * 1024);
    let mut attempt = 0u32;
    let started = now_ms();
    let mut last_report = started;
    let resuming = |attempt, done| {
        on_stage(Stage::Resuming {
            attempt,
            done,
            total,
            elapsed_ms: now_ms() - started,
        })
    };
    on_stage(Stage::Downloading {
        done: 0,
        total,
        elapsed_ms: 0.0,
    });
    while received < total {
        let range = (received > 0).then_some(received);
        let response = match call("GET", &path, Some(&claimed.ticket), Body::Empty, range).await {
            Ok(r) => r,
            Err(e) if e.is_transient() && attempt < RESUME_ATTEMPTS => {
                attempt += 1;
                resuming(attempt, received);
                sleep(500 * attempt.min(10) as i32).await;
                continue;
            }
            // A dead ticket: this claim is over.
            Err(e @ ApiError::Status { status: 401, .. })
                if matches!(e.code(), None | Some(ErrorCode::BadToken)) =>
            {
                return Err(OpenError::TicketExpired)
            }
            Err(e) => return Err(e.into()),
        };
        // A server that ignored the Range header starts from byte 0 again.
        let mut skip = if range.is_some() && response.status() == 200 {
            received
        } else {
            0
        };
        let Some(body) = response.body() else {
            return Err(BrowserError::Js("the download had no body".into()).into());
        };
        let reader: ReadableStreamDefaultReader = body
            .get_reader()
            .dyn_into()
            .map_err(|_| BrowserError::Js("the download could not be read".into()))?;
        loop {
            let step = match JsFuture::from(reader.read()).await {
                Ok(step) => step,
                Err(_) => break, // connection broke: resume from `received`
            };
            if Reflect::get(&step, &"done".into())
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(true)
            {
                break;
            }
            let Ok(value) = Reflect::get(&step, &"value".into()) else {
                break;
            };
            let Some(chunk) = value.dyn_ref::<Uint8Array>() else {
                break;
            };
            let mut bytes = chunk.to_vec();
            if skip > 0 {
                let drop = (skip as usize).min(bytes.len());
                bytes.drain(..drop);
                skip -= drop as u64;
            }
            if bytes.is_empty() {
                continue;
            }
            received += bytes.len() as u64;
            if received > total {
                return Err(OpenError::Damaged);
            }
            decryptor
                .push(&bytes, &mut plain)
                .map_err(|_| OpenError::Damaged)?;
            if plain.len() >= FLUSH_BYTES {
                out.write(&plain).await?;
                plain.clear();
            }
            // A repaint per network chunk would cost more than the crypto.
            let now = now_ms();
            if now - last_report >= PROGRESS_EVERY_MS || received == total {
                last_report = now;
                on_stage(Stage::Downloading {
                    done: received,
                    total,
                    elapsed_ms: now - started,
                });
            }
        }
        if received < total {
            if attempt >= RESUME_ATTEMPTS {
                return Err(OpenError::DownloadBroken);
            }
            attempt += 1;
            resuming(attempt, received);
            sleep(500 * attempt.min(10) as i32).await;
        }
    }
    out.write(&plain).await?;
    plain.fill(0);
    Ok(())
}

/// Where decrypted bytes go: kept for the page, or written to a file.
enum Output<'a> {
    Text(&'a mut Vec<u8>),
    Sink(&'a mut Sink),
}

impl Output<'_> {
    async fn write(&mut self, plain: &[u8]) -> Result<(), OpenError> {
        match self {
            Output::Text(text) => {
                text.extend_from_slice(plain);
                Ok(())
            }
            Output::Sink(sink) => Ok(sink.write(plain).await?),
        }
    }
}

/// `DELETE /blob`: the whole plaintext is here, so a consumed share's
/// ciphertext can go now. Best effort; the ticket's expiry does it anyway.
async fn release(id: &ShareId, ticket: &Token) {
    let _ = call("DELETE", &paths::blob(id), Some(ticket), Body::Empty, None).await;
}
