//! Property tests of the STREAM payload over random sizes and random read
//! splits (native only: proptest does not run on wasm32; `stream.rs` covers
//! wasm32 with seeded random splits).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used)] // a test that unwraps fails loudly, which is the point

mod common;

use common::{key, open_in_pieces, plaintext, seal_in_pieces};
use ots_crypto::*;
use proptest::prelude::*;

fn sizes() -> impl Strategy<Value = usize> {
    prop_oneof![
        0usize..300,
        (0usize..5).prop_flat_map(|k| {
            let base = k * CHUNK_SIZE;
            (base.saturating_sub(20)..base + 20).boxed()
        }),
        0usize..4 * CHUNK_SIZE + 100,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_size_round_trips_through_any_read_split(
        len in sizes(),
        push_sizes in prop::collection::vec(1usize..100_000, 1..6),
        cut_fractions in prop::collection::vec(0.0f64..=1.0, 0..16),
    ) {
        let plain = plaintext(len);
        let payload = seal_in_pieces(&key(1), &plain, &push_sizes);
        prop_assert_eq!(payload.len() as u64, payload_size(len as u64));
        prop_assert_eq!(&payload, &seal_payload(&key(1), &plain));

        let mut cuts: Vec<usize> = cut_fractions
            .iter()
            .map(|f| (f * payload.len() as f64) as usize)
            .collect();
        cuts.sort_unstable();
        let (out, end) = open_in_pieces(&key(1), &payload, &cuts);
        prop_assert_eq!(end, Ok(()));
        prop_assert_eq!(out, plain);
    }

    #[test]
    fn any_truncation_or_extension_is_rejected(
        len in sizes(),
        change in -300i64..300,
        cut_fraction in 0.0f64..=1.0,
    ) {
        prop_assume!(change != 0);
        let plain = plaintext(len);
        let mut payload = seal_payload(&key(2), &plain);
        let new_len = (payload.len() as i64 + change).max(0) as usize;
        payload.resize(new_len, 0);
        let cut = (cut_fraction * payload.len() as f64) as usize;
        let (out, end) = open_in_pieces(&key(2), &payload, &[cut]);
        prop_assert_eq!(end, Err(Error::Decrypt));
        prop_assert!(plain.starts_with(&out), "released plaintext is a true prefix");
    }

    #[test]
    fn any_single_byte_change_is_rejected(
        len in 0usize..3 * CHUNK_SIZE,
        position_fraction in 0.0f64..1.0,
        xor in 1u8..=255,
    ) {
        let mut payload = seal_payload(&key(3), &plaintext(len));
        let i = (position_fraction * payload.len() as f64) as usize;
        payload[i] ^= xor;
        prop_assert_eq!(open_payload(&key(3), &payload), Err(Error::Decrypt));
    }
}
