//! Sealing and opening a payload in independent pieces of records
//! (`seal_records`, `open_records`, `part_plan`): the pieces, in any order,
//! give the bytes of the streaming encryptor, and every misuse fails.
//! Runs natively and on wasm32, where the browser's workers use them.
#![allow(clippy::unwrap_used)] // a test that unwraps fails loudly, which is the point

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod common;

use common::{key, plaintext};
use ots_crypto::*;
use ots_proto::{part_count, part_len, part_plan, PART_SIZE};

const C: usize = CHUNK_SIZE;
const R: usize = RECORD_SIZE;

/// Sizes around the chunk boundaries, and one over two parts.
fn sizes() -> Vec<usize> {
    vec![0, 1, C - 1, C, C + 1, 3 * C, 3 * C + 5, 66 * C + 7]
}

#[test]
fn pieces_sealed_in_any_order_are_the_stream() {
    let k = key(7);
    for len in sizes() {
        let plain = plaintext(len);
        let whole = seal_payload(&k, &plain);
        for piece_chunks in [1usize, 2, 5, 64] {
            let step = piece_chunks * C;
            let starts: Vec<usize> = (0..len.max(1)).step_by(step).collect();
            let mut sealed: Vec<(usize, Vec<u8>)> = starts
                .iter()
                .rev()
                .map(|&at| {
                    let end = (at + step).min(len);
                    let ends = end == len;
                    let piece = seal_records(&k, (at / C) as u64, &plain[at..end], ends).unwrap();
                    (at, piece)
                })
                .collect();
            sealed.sort_by_key(|(at, _)| *at);
            let joined: Vec<u8> = sealed.into_iter().flat_map(|(_, p)| p).collect();
            assert_eq!(joined, whole, "len {len}, pieces of {piece_chunks} chunks");
        }
    }
}

#[test]
fn pieces_open_in_any_order_to_the_plaintext() {
    let k = key(8);
    for len in sizes() {
        let plain = plaintext(len);
        let payload = seal_payload(&k, &plain);
        let step = 3 * R;
        let mut opened = vec![Vec::new(); payload.len().div_ceil(step)];
        for (i, piece) in payload.chunks(step).enumerate().rev() {
            let ends = (i + 1) * step >= payload.len();
            opened[i] = open_records(&k, (i * 3) as u64, piece, ends).unwrap();
        }
        assert_eq!(opened.concat(), plain, "len {len}");
    }
}

#[test]
fn parts_sealed_on_their_own_are_the_payload() {
    let k = key(9);
    // Two parts and a short third, with records straddling both boundaries.
    let len = 2 * PART_SIZE as usize + 3 * C + 11;
    let plain = plaintext(len);
    let whole = seal_payload(&k, &plain);
    let parts = part_count(whole.len() as u64);
    assert_eq!(parts, 3);
    let mut joined = Vec::new();
    for index in 0..parts {
        let plan = part_plan(len as u64, index).unwrap();
        let piece = &plain[plan.plain_start as usize..plan.plain_end as usize];
        let sealed = seal_records(&k, plan.first_record, piece, plan.ends_payload).unwrap();
        let part = &sealed[plan.cut_start as usize..plan.cut_end as usize];
        assert_eq!(
            part.len() as u64,
            part_len(whole.len() as u64, index).unwrap()
        );
        joined.extend_from_slice(part);
    }
    assert_eq!(joined, whole);
    assert_eq!(part_plan(len as u64, parts), None);
    // The empty payload is one part of one empty record.
    let plan = part_plan(0, 0).unwrap();
    assert_eq!(
        (plan.plain_start, plan.plain_end, plan.ends_payload),
        (0, 0, true)
    );
    assert_eq!((plan.cut_start, plan.cut_end), (0, TAG_SIZE as u64));
}

#[test]
fn a_misshapen_piece_is_refused() {
    let k = key(10);
    let plain = plaintext(2 * C + 3);
    // Not whole chunks, yet not the end.
    assert_eq!(
        seal_records(&k, 0, &plain[..C + 1], false),
        Err(Error::Records)
    );
    // Empty and not the whole payload.
    assert_eq!(seal_records(&k, 0, &[], false), Err(Error::Records));
    assert_eq!(seal_records(&k, 2, &[], true), Err(Error::Records));
    // The counter would overflow.
    assert_eq!(
        seal_records(&k, u64::MAX, &plain[..2 * C], false),
        Err(Error::Records)
    );
}

#[test]
fn a_piece_opened_out_of_place_fails() {
    let k = key(11);
    let plain = plaintext(4 * C + 9);
    let payload = seal_payload(&k, &plain);
    let (head, tail) = payload.split_at(2 * R);
    // Right place: fine.
    assert!(open_records(&k, 0, head, false).is_ok());
    assert!(open_records(&k, 2, tail, true).is_ok());
    // Wrong index, wrong key, wrong end flag, a truncation at a record boundary.
    assert_eq!(open_records(&k, 1, head, false), Err(Error::Decrypt));
    assert_eq!(open_records(&key(12), 0, head, false), Err(Error::Decrypt));
    assert_eq!(open_records(&k, 2, tail, false), Err(Error::Decrypt));
    assert_eq!(open_records(&k, 0, head, true), Err(Error::Decrypt));
    assert_eq!(open_records(&k, 2, &tail[..R], true), Err(Error::Decrypt));
    // Not whole records, empty, a final record without plaintext.
    assert_eq!(
        open_records(&k, 0, &head[..R + 1], false),
        Err(Error::Decrypt)
    );
    assert_eq!(open_records(&k, 0, &[], true), Err(Error::Decrypt));
    assert_eq!(
        open_records(&k, 4, &tail[2 * R..2 * R + 16], true),
        Err(Error::Decrypt)
    );
    // A flipped bit in the last record.
    let mut bad = tail.to_vec();
    let at = bad.len() - 1;
    bad[at] ^= 1;
    assert_eq!(open_records(&k, 2, &bad, true), Err(Error::Decrypt));
}
