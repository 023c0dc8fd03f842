//! Timings on wasm32 under node: seal and open of 64 MiB, whole and in the
//! 8 MiB pieces of the browser's workers, the cipher's two halves alone
//! (ChaCha20 keystream, Poly1305 MAC) over 64 MiB, and Argon2id at the
//! default parameters; with the `simd` feature, also the pieces and the
//! keystream of `ots_crypto::simd`. Ignored by default: a timing is a
//! measurement, never a pass/fail test. Run it explicitly, in the profile
//! the browser's bundles are built with (see `BENCHMARKS.md`), without the
//! feature for the page's bundle and with it for the SIMD rows:
//!
//! ```text
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!   cargo test -p ots-crypto --profile wasm-release --target wasm32-unknown-unknown \
//!   [--features simd] --test wasm_timing -- --include-ignored --nocapture
//! ```
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)]

use chacha20::cipher::{KeyIvInit, StreamCipher};
use ots_crypto::*;
use poly1305::universal_hash::{KeyInit, UniversalHash};
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

const PAYLOAD_BYTES: usize = 64 << 20;
const RUNS: usize = 5;
/// Plaintext bytes of one piece a browser worker seals: one upload part.
const PIECE: usize = 8 << 20;

/// Milliseconds of the fastest of `RUNS` runs, and the median.
fn time(mut f: impl FnMut()) -> (f64, f64) {
    let mut ms: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = js_sys::Date::now();
            f();
            js_sys::Date::now() - start
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    (ms[0], ms[RUNS / 2])
}

fn report(what: &str, (best, median): (f64, f64), bytes: Option<usize>) {
    match bytes {
        Some(n) => {
            let mib = n as f64 / (1 << 20) as f64;
            console_log!(
                "{what}: best {best:.0} ms ({:.0} MiB/s), median {median:.0} ms ({:.0} MiB/s)",
                mib / best * 1000.0,
                mib / median * 1000.0
            );
        }
        None => console_log!("{what}: best {best:.0} ms, median {median:.0} ms"),
    }
}

// The halves are functions of their own, called afresh on each run: V8
// starts wasm code in its baseline compiler and only a new call of a
// function runs its optimized code, so a loop inlined into the test's own
// function would be timed unoptimized (about 30 MiB/s).

/// XORs the ChaCha20 keystream into `bytes`.
#[inline(never)]
fn keystream(bytes: &mut [u8]) {
    let mut cipher = chacha20::ChaCha20::new(&[7; 32].into(), &[1; 12].into());
    cipher.apply_keystream(std::hint::black_box(bytes));
}

/// XORs the SIMD ChaCha20 keystream of `ots_crypto::simd` into `bytes`.
#[cfg(feature = "simd")]
#[inline(never)]
fn simd_keystream(bytes: &mut [u8]) {
    let mut cipher = simd::ChaCha20Simd::new(&[7; 32].into(), &[1; 12].into());
    cipher.apply_keystream(std::hint::black_box(bytes));
}

/// `seal_records` or `open_records`, with or without SIMD.
type Records = fn(&PayloadKey, u64, &[u8], bool) -> Result<Vec<u8>>;

/// Seals `plain` in pieces of `PIECE` bytes with `seal`, as the browser's
/// workers do, and drops the records.
#[inline(never)]
fn seal_pieces(key: &PayloadKey, plain: &[u8], seal: Records) {
    let pieces = plain.len().div_ceil(PIECE);
    for (i, piece) in plain.chunks(PIECE).enumerate() {
        let first = (i * PIECE / CHUNK_SIZE) as u64;
        drop(seal(key, first, piece, i + 1 == pieces).unwrap());
    }
}

/// Opens `sealed` in pieces of whole records (`PIECE` bytes of plaintext)
/// with `open`, and drops the plaintext.
#[inline(never)]
fn open_pieces(key: &PayloadKey, sealed: &[u8], open: Records) {
    let step = PIECE / CHUNK_SIZE * RECORD_SIZE;
    let pieces = sealed.len().div_ceil(step);
    for (i, piece) in sealed.chunks(step).enumerate() {
        let first = (i * PIECE / CHUNK_SIZE) as u64;
        drop(open(key, first, piece, i + 1 == pieces).unwrap());
    }
}

/// The Poly1305 tag of `bytes`.
#[inline(never)]
fn mac(bytes: &[u8]) -> poly1305::Tag {
    let mut mac = poly1305::Poly1305::new(&[3; 32].into());
    mac.update_padded(std::hint::black_box(bytes));
    mac.finalize()
}

#[wasm_bindgen_test]
#[ignore = "a timing, run explicitly; see BENCHMARKS.md"]
fn wasm_timings() {
    let key = PayloadKey::from_bytes([7; 32]);
    let plain: Vec<u8> = (0..PAYLOAD_BYTES).map(|i| (i % 251) as u8).collect();
    let sealed = seal_payload(&key, &plain);
    assert_eq!(open_payload(&key, &sealed).unwrap(), plain);

    report(
        "seal 64 MiB (one shot)",
        time(|| drop(seal_payload(&key, &plain))),
        Some(PAYLOAD_BYTES),
    );
    report(
        "open 64 MiB (one shot)",
        time(|| drop(open_payload(&key, &sealed).unwrap())),
        Some(PAYLOAD_BYTES),
    );
    let mut out = Vec::with_capacity(2 << 20);
    report(
        "seal 64 MiB (1 MiB pushes)",
        time(|| {
            let mut enc = StreamEncryptor::new(&key);
            for piece in plain.chunks(1 << 20) {
                enc.push(piece, &mut out);
                out.clear();
            }
            enc.finish(&mut out);
            out.clear();
        }),
        Some(PAYLOAD_BYTES),
    );
    report(
        "open 64 MiB (1 MiB pushes)",
        time(|| {
            let mut dec = StreamDecryptor::new(&key);
            for piece in sealed.chunks(1 << 20) {
                dec.push(piece, &mut out).unwrap();
                out.clear();
            }
            dec.finish(&mut out).unwrap();
            out.clear();
        }),
        Some(PAYLOAD_BYTES),
    );
    report(
        "seal 64 MiB in 8 MiB pieces (seal_records)",
        time(|| seal_pieces(&key, &plain, seal_records)),
        Some(PAYLOAD_BYTES),
    );
    report(
        "open 64 MiB in 8 MiB pieces (open_records)",
        time(|| open_pieces(&key, &sealed, open_records)),
        Some(PAYLOAD_BYTES),
    );
    let mut bytes = plain.clone();
    report(
        "ChaCha20 keystream alone, 64 MiB",
        time(|| keystream(&mut bytes)),
        Some(PAYLOAD_BYTES),
    );
    #[cfg(feature = "simd")]
    {
        report(
            "seal 64 MiB in 8 MiB pieces (simd::seal_records)",
            time(|| seal_pieces(&key, &plain, simd::seal_records)),
            Some(PAYLOAD_BYTES),
        );
        report(
            "open 64 MiB in 8 MiB pieces (simd::open_records)",
            time(|| open_pieces(&key, &sealed, simd::open_records)),
            Some(PAYLOAD_BYTES),
        );
        report(
            "ChaCha20 SIMD keystream alone, 64 MiB",
            time(|| simd_keystream(&mut bytes)),
            Some(PAYLOAD_BYTES),
        );
    }
    report(
        "Poly1305 alone, 64 MiB",
        time(|| {
            std::hint::black_box(mac(&bytes));
        }),
        Some(PAYLOAD_BYTES),
    );
    let secret = LinkSecret::from_bytes([1; 32]);
    report(
        "argon2id default (m=64 MiB, t=3, p=1)",
        time(|| drop(PasswordKey::derive(&secret, "correct horse", &KdfParams::DEFAULT).unwrap())),
        None,
    );
}
