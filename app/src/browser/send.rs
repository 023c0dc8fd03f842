//! The sender's side: seal in the page, then create the share with the
//! payload inline (≤ 1 MiB) or upload it in 8 MiB parts (protocol §5).

use std::collections::VecDeque;

use js_sys::Uint8Array;
use ots_crypto::{
    seal_meta, seal_payload, ContentKeys, LinkKeys, LinkSecret, StreamEncryptor, Verifier,
};
use ots_proto::{
    part_count, paths, payload_size, CreateRequest, Created, Fixed, KdfParams, Meta, Opaque,
    ShareId, Token, INLINE_MAX_BYTES, PART_SIZE,
};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{Blob, BlobPropertyBag};

use super::dom::{js_text, origin};
use super::files::Source;
use super::http::{call, call_with_retry, json, Body};
use super::kdf::derive_password_key;
use crate::api::ApiError;
use crate::send::SentLinks as Sent;

/// Parts uploading at once: a second request in flight gains about a fifth
/// in Chromium on loopback (BENCHMARKS.md); a third gains nothing.
const UPLOADS_IN_FLIGHT: usize = 2;

/// Plaintext read from the file per step: large enough to keep the cipher
/// busy, small enough that the page stays responsive between steps.
const READ_BYTES: u64 = 4 * 1024 * 1024;

/// What the sender chose.
pub struct SendOptions {
    /// Seconds until expiry.
    pub expires_in: u32,
    /// Downloads allowed.
    pub max_downloads: u32,
    /// Empty for none.
    pub password: String,
}

/// Where the sender is, for the progress bar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stage {
    /// Argon2id in the worker.
    DerivingKey,
    /// Encrypting and uploading: payload bytes stored so far, of the total.
    Uploading { done: u64, total: u64 },
    /// A part failed and is being retried.
    Retrying { attempt: u32 },
    /// Waiting for the server to confirm every part.
    Completing,
}

/// Seals `source` and stores it on the server.
pub async fn send(
    source: Source,
    options: SendOptions,
    file_name: String,
    file_type: String,
    on_stage: impl Fn(Stage) + 'static,
) -> Result<Sent, String> {
    let secret = LinkSecret::generate().map_err(|e| e.to_string())?;
    let (password_key, kdf) = if options.password.is_empty() {
        (None, None)
    } else {
        on_stage(Stage::DerivingKey);
        let kdf = KdfParams::DEFAULT;
        (
            Some(derive_password_key(&secret, &options.password, kdf).await?),
            Some(kdf),
        )
    };
    let link_keys = LinkKeys::derive(&secret);
    let keys = ContentKeys::derive(&secret, password_key.as_ref());

    let plain_len = source.len();
    let meta = match &source {
        Source::Text(_) => Meta::text(plain_len),
        Source::File(_) => Meta::file(file_name, file_type, plain_len),
    };
    let sealed_meta = seal_meta(keys.meta_key(), &meta).map_err(|e| e.to_string())?;
    let total = payload_size(plain_len);
    let mut request = CreateRequest {
        size: total,
        expires_in: options.expires_in,
        max_downloads: options.max_downloads,
        link_verifier: Fixed(link_keys.link_token().verifier()),
        claim_verifier: Fixed(keys.claim_token().verifier()),
        meta: Opaque(sealed_meta),
        kdf,
        payload: None,
    };
    on_stage(Stage::Uploading { done: 0, total });

    if total <= INLINE_MAX_BYTES {
        let plain = source.read(0, plain_len).await?;
        request.payload = Some(Opaque(seal_payload(keys.payload_key(), &plain)));
        let created = create(&request).await?;
        on_stage(Stage::Uploading { done: total, total });
        return Ok(links(&secret, &created));
    }

    let created = create(&request).await?;
    let upload_token = created
        .upload_token
        .clone()
        .ok_or("the server gave no upload token")?;
    let parts = part_count(total);
    let mut encryptor = Some(StreamEncryptor::new(keys.payload_key()));
    let mut pending: Vec<u8> =
        Vec::with_capacity((PART_SIZE + READ_BYTES + READ_BYTES / 64) as usize);
    let mut next_part = 0u64;
    let mut stored = 0u64;
    // Up to two parts upload while the next is encrypted.
    let mut in_flight: VecDeque<(u64, JsFuture)> = VecDeque::with_capacity(UPLOADS_IN_FLIGHT);
    let mut offset = 0u64;
    let on_stage = std::rc::Rc::new(on_stage);
    loop {
        let end = (offset + READ_BYTES).min(plain_len);
        if offset < end {
            let plain = source.read(offset, end).await?;
            if let Some(enc) = encryptor.as_mut() {
                enc.push(&plain, &mut pending);
            }
            offset = end;
        }
        let done_reading = offset >= plain_len;
        if done_reading {
            if let Some(enc) = encryptor.take() {
                enc.finish(&mut pending);
            }
        }
        while pending.len() as u64 >= PART_SIZE || (done_reading && !pending.is_empty()) {
            let take = (pending.len() as u64).min(PART_SIZE) as usize;
            let rest = pending.split_off(take);
            let part = part_blob(&pending[..]).map_err(js_text)?;
            pending = rest;
            pending.reserve(PART_SIZE as usize);
            if in_flight.len() >= UPLOADS_IN_FLIGHT {
                if let Some((len, upload)) = in_flight.pop_front() {
                    upload
                        .await
                        .map_err(|e| e.as_string().unwrap_or_else(|| "upload failed".into()))?;
                    stored += len;
                    on_stage(Stage::Uploading {
                        done: stored,
                        total,
                    });
                }
            }
            let len = part.size() as u64;
            in_flight.push_back((
                len,
                JsFuture::from(put_part(
                    &created.id,
                    &upload_token,
                    next_part,
                    part,
                    on_stage.clone(),
                )),
            ));
            next_part += 1;
        }
        if done_reading {
            break;
        }
    }
    while let Some((len, upload)) = in_flight.pop_front() {
        upload
            .await
            .map_err(|e| e.as_string().unwrap_or_else(|| "upload failed".into()))?;
        stored += len;
        on_stage(Stage::Uploading {
            done: stored,
            total,
        });
    }
    if next_part != parts || stored != total {
        return Err("the encrypted size did not match the announced size".into());
    }
    on_stage(Stage::Completing);
    complete(&created.id, &upload_token).await?;
    Ok(links(&secret, &created))
}

/// A part as a Blob (copied out of wasm memory once).
fn part_blob(bytes: &[u8]) -> Result<Blob, JsValue> {
    let parts = js_sys::Array::of1(&Uint8Array::from(bytes));
    let opts = BlobPropertyBag::new();
    opts.set_type("application/octet-stream");
    Blob::new_with_u8_array_sequence_and_options(&parts, &opts)
}

fn links(secret: &LinkSecret, created: &Created) -> Sent {
    let origin = origin();
    Sent {
        share_link: format!("{origin}/s/{}#{}", created.id, secret.to_fragment()),
        manage_link: format!(
            "{origin}/m/{}#{}",
            created.id,
            created.manage_token.to_b64()
        ),
        expires_at: created.expires_at.clone(),
    }
}

async fn create(request: &CreateRequest) -> Result<Created, String> {
    let body = serde_json::to_string(request).map_err(|e| e.to_string())?;
    // Not retried: a create that reached the server but lost its answer
    // would leave a second, orphaned share.
    let response = call("POST", &paths::shares(), None, Body::Json(&body), None)
        .await
        .map_err(|e| create_error(&e))?;
    json(&response).await.map_err(|e| e.describe())
}

fn create_error(error: &ApiError) -> String {
    match error {
        ApiError::Status(413, _) => "This is larger than the server accepts.".into(),
        other => other.describe(),
    }
}

/// Starts uploading part `index` at once (a JS promise runs eagerly),
/// retrying transient failures, so a network drop only pauses the upload.
fn put_part(
    id: &ShareId,
    token: &Token,
    index: u64,
    bytes: Blob,
    on_stage: std::rc::Rc<impl Fn(Stage) + 'static>,
) -> js_sys::Promise {
    let path = paths::part(id, index);
    let token = token.clone();
    future_to_promise(async move {
        call_with_retry(
            "PUT",
            &path,
            Some(&token),
            Body::Bytes(&bytes),
            |attempt, _| on_stage(Stage::Retrying { attempt }),
        )
        .await
        .map(|_| JsValue::UNDEFINED)
        .map_err(|e| JsValue::from_str(&e.describe()))
    })
}

async fn complete(id: &ShareId, token: &Token) -> Result<(), String> {
    let path = paths::complete(id);
    let mut retried = false;
    loop {
        match call("POST", &path, Some(token), Body::Empty, None).await {
            Ok(_) => return Ok(()),
            Err(e) if e.is_transient() && !retried => {
                retried = true;
                super::dom::sleep(1_000).await;
            }
            // A retried complete whose first try landed finds its token dead:
            // the share being ready says it worked.
            Err(e) if retried => {
                return match call("GET", &paths::share(id), None, Body::Empty, None).await {
                    Ok(_) => Ok(()),
                    Err(_) => Err(e.describe()),
                }
            }
            Err(ApiError::Status(409, body)) => {
                let missing = body.and_then(|b| b.missing).unwrap_or_default();
                return Err(format!(
                    "the server is missing parts {missing:?} of the upload"
                ));
            }
            Err(e) => return Err(e.describe()),
        }
    }
}
