//! The recipient's side: read the share's public facts, claim it, then
//! download and decrypt the payload into a text or a saved file.

use js_sys::{Reflect, Uint8Array};
use ots_crypto::{open_meta, ContentKeys, LinkKeys, LinkSecret, StreamDecryptor};
use ots_proto::{
    paths, payload_size, safe_file_name, ClaimRequest, Claimed, Fixed, KdfParams, Meta, MetaKind,
    ShareId, ShareInfo, Token,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Url};

use super::dom::{js_text, now_ms, random_bytes, sleep, trigger_download};
use super::http::{call, call_with_retry, json, Body};
use super::kdf::derive_password_key;
use super::save::Sink;
use crate::api::ApiError;
use crate::receive::{OpenError, Opened};

/// Texts larger than this are saved as a file instead of shown in the page.
pub const TEXT_SHOW_MAX_BYTES: u64 = 4 * 1024 * 1024;

/// Decrypted bytes gathered before each write to the sink.
const FLUSH_BYTES: usize = 4 * 1024 * 1024;

/// Least time between two progress reports, in milliseconds.
const PROGRESS_EVERY_MS: f64 = 100.0;

/// Times a broken download is resumed before giving up.
const RESUME_ATTEMPTS: u32 = 20;

/// Where the recipient is, for the progress bar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stage {
    /// Argon2id in the worker.
    DerivingKey,
    /// Asking the server for a ticket.
    Claiming,
    /// Downloading and decrypting: payload bytes so far, of the total.
    Downloading { done: u64, total: u64 },
    /// The connection broke; resuming.
    Resuming { attempt: u32 },
}

/// `GET /shares/{id}`: public facts, changes nothing.
pub async fn info(id: &ShareId) -> Result<ShareInfo, OpenError> {
    let response = call("GET", &paths::share(id), None, Body::Empty, None).await?;
    Ok(json(&response).await?)
}

/// Claims the share (one download used), then downloads and decrypts it.
pub async fn open(
    id: &ShareId,
    secret: &LinkSecret,
    password: &str,
    kdf: Option<KdfParams>,
    on_stage: impl Fn(Stage),
) -> Result<Opened, OpenError> {
    let password_key = match kdf {
        None => None,
        Some(params) => {
            // Refuse a cost outside protocol §2 before allocating anything.
            params
                .validate()
                .map_err(|_| OpenError::Other("This share asks for a key derivation cost outside the protocol's bounds; it was not opened.".into()))?;
            if password.is_empty() {
                return Err(OpenError::Other("Enter the password first.".into()));
            }
            on_stage(Stage::DerivingKey);
            Some(
                derive_password_key(secret, password, params)
                    .await
                    .map_err(OpenError::Other)?,
            )
        }
    };
    let keys = ContentKeys::derive(secret, password_key.as_ref());
    let link_keys = LinkKeys::derive(secret);

    on_stage(Stage::Claiming);
    let request_id: [u8; 16] = random_bytes().map_err(OpenError::Other)?;
    let claim = ClaimRequest {
        link_token: link_keys.link_token().clone(),
        claim_token: keys.claim_token().clone(),
        request_id: Some(Fixed(request_id)),
    };
    let body = serde_json::to_string(&claim).map_err(|e| OpenError::Other(e.to_string()))?;
    // Safe to retry: the request id makes a repeated claim answer the same.
    let response = call_with_retry(
        "POST",
        &paths::claim(id),
        None,
        Body::Json(&body),
        |_, _| {},
    )
    .await?;
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
        download(id, &claimed, &mut decryptor, &on_stage, &mut out).await
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
    release(id, &claimed.ticket).await;
    if as_text {
        text.extend_from_slice(&tail);
        return Ok(Opened::Text(String::from_utf8_lossy(&text).into_owned()));
    }
    sink.write(&tail).await.map_err(OpenError::Other)?;
    let on_disk = sink.is_on_disk();
    let blob = sink.finish().await.map_err(OpenError::Other)?;
    let url = Url::create_object_url_with_blob(&blob).map_err(|e| OpenError::Other(js_text(e)))?;
    let name = saved_name(&meta);
    trigger_download(&url, &name).map_err(OpenError::Other)?;
    Ok(Opened::File {
        name,
        size: meta.size,
        url,
        on_disk,
    })
}

/// True for a text small enough to show in the page; anything else is saved.
fn shows_as_text(meta: &Meta) -> bool {
    meta.kind == MetaKind::Text && meta.size <= TEXT_SHOW_MAX_BYTES
}

/// The name a received share is saved under: the sender's name made safe
/// (it is untrusted), `secret.txt` for a text too large to show. Several
/// files (protocol 1.1) arrive as their ZIP archive.
fn saved_name(meta: &Meta) -> String {
    match meta.kind {
        MetaKind::Text => "secret.txt".to_string(),
        MetaKind::File => safe_file_name(&meta.name),
        MetaKind::Files => {
            let name = safe_file_name(&meta.name);
            if name.to_ascii_lowercase().ends_with(".zip") {
                name
            } else {
                format!("{name}.zip")
            }
        }
    }
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
    let mut last_report = now_ms();
    on_stage(Stage::Downloading { done: 0, total });
    while received < total {
        let range = (received > 0).then_some(received);
        let response = match call("GET", &path, Some(&claimed.ticket), Body::Empty, range).await {
            Ok(r) => r,
            Err(e) if e.is_transient() && attempt < RESUME_ATTEMPTS => {
                attempt += 1;
                on_stage(Stage::Resuming { attempt });
                sleep(500 * attempt.min(10) as i32).await;
                continue;
            }
            Err(ApiError::Status(401, _)) => {
                return Err(OpenError::Other(
                    "The download ticket has expired; the share cannot be downloaded again.".into(),
                ))
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
            return Err(OpenError::Other("the download had no body".into()));
        };
        let reader: ReadableStreamDefaultReader = body
            .get_reader()
            .dyn_into()
            .map_err(|_| OpenError::Other("the download could not be read".into()))?;
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
                });
            }
        }
        if received < total {
            if attempt >= RESUME_ATTEMPTS {
                return Err(OpenError::Other(
                    "The download kept breaking off; try again later.".into(),
                ));
            }
            attempt += 1;
            on_stage(Stage::Resuming { attempt });
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
            Output::Sink(sink) => sink.write(plain).await.map_err(OpenError::Other),
        }
    }
}

/// `DELETE /blob`: the whole plaintext is here, so a consumed share's
/// ciphertext can go now. Best effort; the ticket's expiry does it anyway.
async fn release(id: &ShareId, ticket: &Token) {
    let _ = call("DELETE", &paths::blob(id), Some(ticket), Body::Empty, None).await;
}
