//! The bundle of the browser's sealing and opening workers
//! (`public/crypt-worker.js`) where the browser runs WebAssembly SIMD: the
//! records of protocol §4 with the ChaCha20 keystream of `ots_crypto::simd`,
//! twice as fast as the page's bundle and byte for byte the same.
//!
//! It is a bundle of its own because a SIMD instruction anywhere in a wasm
//! module stops a browser without SIMD from compiling the module, and LLVM
//! compiles every function of a module with the features of any one: the
//! page's bundle stays free of SIMD, and a worker loads this one only once
//! `WebAssembly.validate` said SIMD runs, falling back to the page's
//! `seal_records` and `open_records` exports, which take the same
//! arguments. Built by `scripts/build-site.sh` into `pkg/crypt-simd.js`.
//!
//! Natively this crate is empty.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Uint8Array};
use ots_crypto::{simd, Error, PayloadKey, Plaintext};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use zeroize::Zeroizing;

/// Seals the payload records `first ..` holding `plain` under the 32-byte
/// payload key `key` and returns bytes `[from, to)` of their ciphertext:
/// one upload part (protocol §4, §5). The frontend's `seal_records`, with
/// the SIMD keystream.
#[wasm_bindgen]
pub fn seal_records(
    key: Vec<u8>,
    first: f64,
    ends_payload: bool,
    plain: Vec<u8>,
    from: f64,
    to: f64,
) -> Result<Uint8Array, JsError> {
    let misshapen = || JsError::new("a misshapen piece");
    let key = PayloadKey::from_slice(&Zeroizing::new(key)).ok_or_else(misshapen)?;
    let plain = Plaintext::new(plain);
    let sealed =
        simd::seal_records(&key, first as u64, &plain, ends_payload).map_err(|_| misshapen())?;
    let part = sealed
        .get(from as usize..to as usize)
        .ok_or_else(misshapen)?;
    Ok(part.into())
}

/// Opens the whole payload records `first ..` held in `sealed`, an array of
/// `Uint8Array`s in order, under the 32-byte payload key `key`:
/// `undefined` when they do not authenticate, damaged or under the wrong
/// key (protocol §4). The frontend's `open_records`, with the SIMD
/// keystream.
#[wasm_bindgen]
pub fn open_records(
    key: Vec<u8>,
    first: f64,
    ends_payload: bool,
    sealed: Array,
) -> Result<Option<Uint8Array>, JsError> {
    let Some(key) = PayloadKey::from_slice(&Zeroizing::new(key)) else {
        return Ok(None);
    };
    let bytes = gather(&sealed)?;
    match simd::open_records(&key, first as u64, &bytes, ends_payload) {
        Ok(plain) => Ok(Some(Uint8Array::from(&Plaintext::new(plain)[..]))),
        Err(Error::Decrypt) => Ok(None),
        Err(e) => Err(JsError::new(&e.to_string())),
    }
}

/// The downloaded chunks, one after the other, copied once into wasm memory.
fn gather(chunks: &Array) -> Result<Vec<u8>, JsError> {
    let chunks = chunks
        .iter()
        .map(|chunk| chunk.dyn_into::<Uint8Array>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| JsError::new("a piece to open that is not bytes"))?;
    let mut bytes = vec![0; chunks.iter().map(|c| c.length() as usize).sum()];
    let mut at = 0;
    for chunk in chunks {
        let end = at + chunk.length() as usize;
        chunk.copy_to(&mut bytes[at..end]);
        at = end;
    }
    Ok(bytes)
}
