//! The WebAssembly SIMD ChaCha20 (`ots_crypto::simd`) against the
//! `chacha20` crate and RFC 8439: the same keystream from every position,
//! in calls of every length, and the same records. wasm32 with the `simd`
//! feature only:
//!
//! ```text
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!   cargo test -p ots-crypto --target wasm32-unknown-unknown --features simd --test simd
//! ```
#![cfg(all(target_arch = "wasm32", feature = "simd"))]
#![allow(clippy::unwrap_used)] // a test that unwraps fails loudly, which is the point

use wasm_bindgen_test::wasm_bindgen_test as test;

mod common;

use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use chacha20::ChaCha20;
use common::{key, plaintext, Rng};
use ots_crypto::simd::{self, ChaCha20Simd};
use ots_crypto::{open_records, seal_records, Error, CHUNK_SIZE, RECORD_SIZE};

const KEY: [u8; 32] = [0x42; 32];
const NONCE: [u8; 12] = [0, 0, 0, 9, 0, 0, 0, 0x4a, 0, 0, 0, 1];

fn both() -> (ChaCha20Simd, ChaCha20) {
    (
        ChaCha20Simd::new(&KEY.into(), &NONCE.into()),
        ChaCha20::new(&KEY.into(), &NONCE.into()),
    )
}

#[test]
fn rfc_8439_encryption_example() {
    // RFC 8439 §2.4.2: the "sunscreen" text, from block counter 1.
    let key: Vec<u8> = (0u8..32).collect();
    let nonce = [0, 0, 0, 0, 0, 0, 0, 0x4a, 0, 0, 0, 0];
    let mut text = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".to_vec();
    let mut cipher = ChaCha20Simd::new(key.as_slice().try_into().unwrap(), &nonce.into());
    cipher.seek(64u64);
    cipher.apply_keystream(&mut text);
    let expected = hex::decode(concat!(
        "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b",
        "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8",
        "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736",
        "5af90bbf74a35be6b40b8eedf2785e42874d",
    ))
    .unwrap();
    assert_eq!(text, expected);
}

#[test]
fn one_long_keystream_is_the_crates() {
    let (mut simd, mut reference) = both();
    let mut a = plaintext(1 << 20);
    let mut b = a.clone();
    simd.apply_keystream(&mut a);
    reference.apply_keystream(&mut b);
    assert!(a == b, "1 MiB of keystream differs");
}

#[test]
fn calls_of_every_length_give_the_crates_keystream() {
    // Lengths around the block (64) and the four-block step (256), in
    // random runs, so that calls start and end at every offset of a block.
    let mut rng = Rng::new(15);
    for _ in 0..40 {
        let (mut simd, mut reference) = both();
        let mut position = 0usize;
        for _ in 0..30 {
            let len = match rng.below(4) {
                0 => rng.below(64),
                1 => rng.below(300),
                2 => 256 * (1 + rng.below(4)) + rng.below(3),
                _ => rng.below(2000),
            };
            let mut a = plaintext(len);
            let mut b = a.clone();
            simd.apply_keystream(&mut a);
            reference.apply_keystream(&mut b);
            assert_eq!(a, b, "{len} bytes from position {position}");
            position += len;
            assert_eq!(simd.current_pos::<u64>(), position as u64);
        }
    }
}

#[test]
fn apart_buffers_give_the_same_bytes_as_one_in_place() {
    let (mut apart, mut reference) = both();
    let input = plaintext(1000);
    let mut output = vec![0u8; 1000];
    apart.seek(7u64);
    reference.seek(7u64);
    apart.apply_keystream_b2b(&input, &mut output);
    let mut in_place = input.clone();
    reference.apply_keystream(&mut in_place);
    assert_eq!(output, in_place);
}

#[test]
fn seeking_anywhere_gives_the_crates_keystream() {
    let mut rng = Rng::new(3);
    let positions = (0..200)
        .map(|_| rng.next() % (1 << 36))
        .chain([0, 1, 63, 64, 255, 256]);
    for at in positions {
        let (mut simd, mut reference) = both();
        simd.seek(at);
        reference.seek(at);
        let mut a = plaintext(333);
        let mut b = a.clone();
        simd.apply_keystream(&mut a);
        reference.apply_keystream(&mut b);
        assert_eq!(a, b, "333 bytes from position {at}");
    }
}

#[test]
fn the_end_of_the_keystream_is_refused_as_the_crate_refuses_it() {
    let end = u64::from(u32::MAX) * 64;
    for at in [end - 300, end - 64, end - 1, end] {
        let (mut simd, mut reference) = both();
        simd.seek(at);
        reference.seek(at);
        for len in [1usize, 64, 65, 300] {
            let mut a = plaintext(len);
            let mut b = a.clone();
            let simd_ok = simd.try_apply_keystream(&mut a).is_ok();
            let reference_ok = reference.try_apply_keystream(&mut b).is_ok();
            assert_eq!(simd_ok, reference_ok, "{len} bytes from {at}");
            if simd_ok {
                assert_eq!(a, b, "{len} bytes from {at}");
            } else {
                assert_eq!(a, plaintext(len), "a refused call leaves the bytes");
            }
            simd.seek(at);
            reference.seek(at);
        }
    }
    let (mut simd, _) = both();
    assert!(simd.try_seek(end + 1).is_err());
}

#[test]
fn records_are_the_same_bytes_and_open_both_ways() {
    let k = key(9);
    let c = CHUNK_SIZE;
    let shapes: [(u64, usize, bool); 7] = [
        (0, 0, true),
        (0, 1, true),
        (0, c, true),
        (0, 3 * c + 17, true),
        (5, 2 * c, false),
        (5, c + 1, true),
        (128, 128 * c, false),
    ];
    for (first, len, ends) in shapes {
        let plain = plaintext(len);
        let sealed = simd::seal_records(&k, first, &plain, ends).unwrap();
        assert!(
            sealed == seal_records(&k, first, &plain, ends).unwrap(),
            "{first} {len} {ends}"
        );
        let opened = simd::open_records(&k, first, &sealed, ends).unwrap();
        assert!(opened == plain, "{first} {len} {ends}");
    }
}

#[test]
fn damage_and_misuse_fail_as_they_do_without_simd() {
    let k = key(2);
    let plain = plaintext(3 * CHUNK_SIZE + 5);
    let sealed = seal_records(&k, 0, &plain, true).unwrap();
    for at in [0, 100, RECORD_SIZE - 1, RECORD_SIZE, sealed.len() - 1] {
        let mut damaged = sealed.clone();
        damaged[at] ^= 1;
        assert!(matches!(
            simd::open_records(&k, 0, &damaged, true),
            Err(Error::Decrypt)
        ));
    }
    assert!(matches!(
        simd::open_records(&key(3), 0, &sealed, true),
        Err(Error::Decrypt)
    ));
    assert!(matches!(
        simd::open_records(&k, 1, &sealed, true),
        Err(Error::Decrypt)
    ));
    assert!(matches!(
        simd::open_records(&k, 0, &sealed, false),
        Err(Error::Decrypt)
    ));
    assert!(matches!(
        simd::seal_records(&k, 0, &plain, false),
        Err(Error::Records)
    ));
    assert_eq!(open_records(&k, 0, &sealed, true).unwrap(), plain);
}
