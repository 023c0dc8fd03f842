//! The STREAM payload of protocol §4: round trips, the incremental API, and
//! every way a payload can be damaged. Runs natively and on wasm32.
#![allow(clippy::unwrap_used)] // a test that unwraps fails loudly, which is the point

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod common;

use common::{key, open_in_pieces, plaintext, record, seal_in_pieces, Rng};
use ots_crypto::*;

const SIZES: [usize; 6] = [0, 1, 65_535, 65_536, 65_537, 3 * 65_536 + 1];

#[test]
fn round_trips_at_chunk_boundaries() {
    for len in SIZES {
        let plain = plaintext(len);
        let payload = seal_payload(&key(1), &plain);
        assert_eq!(payload.len() as u64, payload_size(len as u64), "len {len}");
        assert_eq!(plaintext_size(payload.len() as u64), Some(len as u64));
        assert_eq!(open_payload(&key(1), &payload).unwrap(), plain, "len {len}");
    }
}

#[test]
fn encryptor_output_does_not_depend_on_push_sizes() {
    for len in SIZES {
        let plain = plaintext(len);
        let whole = seal_payload(&key(2), &plain);
        for sizes in [
            &[1usize][..],
            &[7, 65_536, 3],
            &[65_536],
            &[65_537],
            &[100_000, 1],
        ] {
            if sizes == [1] && len > 70_000 {
                continue; // byte by byte is slow in debug builds; 65537 covers it
            }
            assert_eq!(
                seal_in_pieces(&key(2), &plain, sizes),
                whole,
                "len {len} {sizes:?}"
            );
        }
    }
}

#[test]
fn decryptor_accepts_any_read_split() {
    let mut rng = Rng::new(0x5eed);
    for len in SIZES {
        let plain = plaintext(len);
        let payload = seal_payload(&key(3), &plain);
        for _ in 0..8 {
            let mut cuts: Vec<usize> = (0..rng.below(12))
                .map(|_| rng.below(payload.len() + 1))
                .collect();
            cuts.sort_unstable();
            let (out, end) = open_in_pieces(&key(3), &payload, &cuts);
            assert_eq!(end, Ok(()), "len {len} cuts {cuts:?}");
            assert_eq!(out, plain, "len {len} cuts {cuts:?}");
        }
        // Byte-aligned splits around every record boundary.
        for boundary in (0..=payload.len()).step_by(RECORD_SIZE) {
            let cuts = [boundary.saturating_sub(1), boundary, boundary + 1];
            let (out, end) = open_in_pieces(&key(3), &payload, &cuts);
            assert_eq!(
                (out == plain, end),
                (true, Ok(())),
                "len {len} cut {boundary}"
            );
        }
    }
}

#[test]
fn encryptor_holds_back_the_last_full_chunk() {
    let mut enc = StreamEncryptor::new(&key(4));
    let mut out = Vec::new();
    enc.push(&plaintext(CHUNK_SIZE), &mut out);
    assert!(out.is_empty(), "a full chunk may still be the last one");
    enc.push(&[9], &mut out);
    assert_eq!(out.len(), RECORD_SIZE, "one more byte proves it is not");
    enc.finish(&mut out);
    assert_eq!(out.len(), RECORD_SIZE + 1 + TAG_SIZE);
}

#[test]
fn empty_payload_is_one_empty_final_record() {
    let payload = seal_payload(&key(5), &[]);
    assert_eq!(payload, record(&key(5), 0, true, &[]));
    assert_eq!(payload.len(), TAG_SIZE);
}

#[test]
fn payload_matches_a_hand_built_stream() {
    let plain = plaintext(2 * CHUNK_SIZE + 10);
    let expected = [
        record(&key(6), 0, false, &plain[..CHUNK_SIZE]),
        record(&key(6), 1, false, &plain[CHUNK_SIZE..2 * CHUNK_SIZE]),
        record(&key(6), 2, true, &plain[2 * CHUNK_SIZE..]),
    ]
    .concat();
    assert_eq!(seal_payload(&key(6), &plain), expected);
}

#[test]
fn decryptor_releases_each_record_once_a_byte_follows_it() {
    let plain = plaintext(2 * CHUNK_SIZE + 5);
    let payload = seal_payload(&key(7), &plain);
    let mut dec = StreamDecryptor::new(&key(7));
    let mut out = Vec::new();
    dec.push(&payload[..RECORD_SIZE], &mut out).unwrap();
    assert!(out.is_empty(), "a full record may still be the last one");
    dec.push(&payload[RECORD_SIZE..RECORD_SIZE + 1], &mut out)
        .unwrap();
    assert_eq!(out, plain[..CHUNK_SIZE]);
    dec.push(&payload[RECORD_SIZE + 1..], &mut out).unwrap();
    assert_eq!(out.len(), 2 * CHUNK_SIZE);
    assert!(
        !dec.is_finished(),
        "the end of input is only known at finish"
    );
    dec.finish(&mut out).unwrap();
    assert_eq!(out, plain);
}

#[test]
fn decryptor_with_known_size_finishes_on_the_last_byte() {
    let plain = plaintext(CHUNK_SIZE + 3);
    let payload = seal_payload(&key(8), &plain);
    let mut dec = StreamDecryptor::with_payload_size(&key(8), payload.len() as u64).unwrap();
    let mut out = Vec::new();
    dec.push(&payload[..payload.len() - 1], &mut out).unwrap();
    assert!(!dec.is_finished());
    dec.push(&payload[payload.len() - 1..], &mut out).unwrap();
    assert!(dec.is_finished());
    assert_eq!(out, plain);
    assert_eq!(
        dec.push(&[0], &mut out),
        Err(Error::Decrypt),
        "nothing may follow"
    );
}

#[test]
fn decryptor_with_known_size_refuses_extra_and_missing_bytes() {
    let payload = seal_payload(&key(8), &plaintext(100));
    let mut dec = StreamDecryptor::with_payload_size(&key(8), payload.len() as u64).unwrap();
    let mut out = Vec::new();
    let long = [&payload[..], &[0]].concat();
    assert_eq!(dec.push(&long, &mut out), Err(Error::Decrypt));

    let mut dec = StreamDecryptor::with_payload_size(&key(8), payload.len() as u64).unwrap();
    dec.push(&payload[..50], &mut out).unwrap();
    assert_eq!(dec.finish(&mut out), Err(Error::Decrypt));
}

#[test]
fn decryptor_refuses_a_size_no_sender_produces() {
    for bad in [
        0,
        1,
        15,
        17 - 2,
        RECORD_SIZE as u64 + 1,
        RECORD_SIZE as u64 + 16,
    ] {
        assert_eq!(plaintext_size(bad), None, "{bad}");
        assert!(
            StreamDecryptor::with_payload_size(&key(1), bad).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn payload_size_and_plaintext_size_are_inverse() {
    let mut rng = Rng::new(99);
    let mut lens: Vec<u64> = vec![0, 1, 16, 65_535, 65_536, 65_537, 131_072, 131_073, 1 << 40];
    lens.extend((0..1000).map(|_| rng.next() % (1 << 34)));
    for len in lens {
        assert_eq!(plaintext_size(payload_size(len)), Some(len), "{len}");
    }
    assert_eq!(payload_size(0), 16);
    assert_eq!(payload_size(65_536), 65_552);
    assert_eq!(payload_size(65_537), 65_569);
}

// ---- rejections -----------------------------------------------------------

fn assert_rejected(key: &PayloadKey, payload: &[u8], why: &str) {
    assert_eq!(open_payload(key, payload), Err(Error::Decrypt), "{why}");
    let (_, end) = open_in_pieces(key, payload, &[payload.len() / 3, payload.len() / 2]);
    assert_eq!(end, Err(Error::Decrypt), "{why} (incremental)");
}

#[test]
fn stream_fails_to_decrypt_truncation_at_every_record_boundary() {
    let plain = plaintext(3 * CHUNK_SIZE + 1);
    let payload = seal_payload(&key(9), &plain);
    for records in 0..4 {
        let cut = records * RECORD_SIZE;
        assert_rejected(&key(9), &payload[..cut], &format!("{records} records"));
        // And inside the record after it, one tag short of its end.
        let mid = (cut + RECORD_SIZE - TAG_SIZE).min(payload.len() - 1);
        assert_rejected(&key(9), &payload[..mid], "mid record");
    }
    assert_rejected(&key(9), &payload[..payload.len() - 1], "last byte missing");
}

#[test]
fn stream_fails_to_decrypt_one_extra_trailing_byte() {
    for len in SIZES {
        let payload = seal_payload(&key(10), &plaintext(len));
        for extra in [0u8, 0xff] {
            assert_rejected(&key(10), &[&payload[..], &[extra]].concat(), "extra byte");
        }
    }
}

#[test]
fn stream_fails_to_decrypt_a_second_final_record() {
    let k = key(11);
    let chunk = plaintext(CHUNK_SIZE);
    let twice = [record(&k, 0, true, &chunk), record(&k, 1, true, b"more")].concat();
    assert_rejected(&k, &twice, "a final record followed by another");
    let short_then_final = [record(&k, 0, true, b"hi"), record(&k, 1, true, b"more")].concat();
    assert_rejected(
        &k,
        &short_then_final,
        "a short final record followed by another",
    );
}

#[test]
fn stream_fails_to_decrypt_a_last_record_without_the_final_flag() {
    let k = key(12);
    assert_rejected(&k, &record(&k, 0, false, b"hello"), "one non-final record");
    let chunk = plaintext(CHUNK_SIZE);
    let two = [record(&k, 0, false, &chunk), record(&k, 1, false, b"x")].concat();
    assert_rejected(&k, &two, "two non-final records");
}

#[test]
fn stream_fails_to_decrypt_an_empty_final_record_after_a_full_one() {
    // This payload authenticates record by record; only the rule of §4
    // ("exactly 16 bytes only when n == 1") refuses it.
    let k = key(13);
    let payload = [
        record(&k, 0, false, &plaintext(CHUNK_SIZE)),
        record(&k, 1, true, &[]),
    ]
    .concat();
    assert_rejected(&k, &payload, "empty final record");
}

#[test]
fn stream_fails_to_decrypt_swapped_records() {
    let k = key(14);
    let payload = seal_payload(&k, &plaintext(3 * CHUNK_SIZE + 1));
    let r: Vec<&[u8]> = payload.chunks(RECORD_SIZE).collect();
    assert_eq!(r.len(), 4);
    assert_rejected(&k, &[r[1], r[0], r[2], r[3]].concat(), "0 <-> 1");
    assert_rejected(&k, &[r[0], r[2], r[1], r[3]].concat(), "1 <-> 2");
    assert_rejected(&k, &[r[0], r[1], r[3], r[2]].concat(), "final moved");
    assert_rejected(
        &k,
        &[r[0], r[0], r[1], r[2], r[3]].concat(),
        "record repeated",
    );
    assert_rejected(&k, &[r[0], r[1], r[3]].concat(), "record dropped");
}

#[test]
fn stream_fails_to_decrypt_a_record_spliced_from_another_share() {
    let plain = plaintext(3 * CHUNK_SIZE + 1);
    let ours = seal_payload(&key(15), &plain);
    let theirs = seal_payload(&key(16), &plain);
    for i in 0..4 {
        let range = i * RECORD_SIZE..((i + 1) * RECORD_SIZE).min(ours.len());
        let mut spliced = ours.clone();
        spliced[range.clone()].copy_from_slice(&theirs[range]);
        assert_rejected(&key(15), &spliced, &format!("record {i} spliced"));
    }
}

#[test]
fn stream_fails_to_decrypt_a_bit_flip_at_every_byte() {
    let k = key(17);
    let plain = plaintext(100);
    let payload = seal_payload(&k, &plain);
    for i in 0..payload.len() {
        for bit in [0x01u8, 0x80] {
            let mut bad = payload.clone();
            bad[i] ^= bit;
            assert_eq!(
                open_payload(&k, &bad),
                Err(Error::Decrypt),
                "byte {i} bit {bit:#x}"
            );
        }
    }
}

#[test]
fn stream_fails_to_decrypt_under_another_key() {
    let payload = seal_payload(&key(18), &plaintext(1000));
    assert_rejected(&key(19), &payload, "wrong key");
    assert_rejected(&key(18), &[], "no bytes at all");
    assert_rejected(&key(18), &payload[..TAG_SIZE - 1], "shorter than a tag");
}

#[test]
fn decryptor_releases_only_authenticated_records_and_stays_failed() {
    let k = key(20);
    let plain = plaintext(3 * CHUNK_SIZE + 1);
    let mut payload = seal_payload(&k, &plain);
    payload[2 * RECORD_SIZE + 5] ^= 1; // damage the third record
    let mut dec = StreamDecryptor::new(&k);
    let mut out = Vec::new();
    assert_eq!(dec.push(&payload, &mut out), Err(Error::Decrypt));
    assert_eq!(
        out,
        plain[..2 * CHUNK_SIZE],
        "the two good records, nothing more"
    );
    assert!(!dec.is_finished());
    assert_eq!(dec.push(&[], &mut out), Err(Error::Decrypt), "poisoned");
    assert_eq!(dec.finish(&mut out), Err(Error::Decrypt), "poisoned");
    assert_eq!(out.len(), 2 * CHUNK_SIZE);
}
