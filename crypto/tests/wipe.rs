//! `wipe` and `Plaintext`: every byte asked for is overwritten, and no
//! other.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use ots_crypto::{wipe, Plaintext};

#[test]
fn wipe_overwrites_exactly_the_slice_at_any_alignment_and_length() {
    for start in 0..9 {
        for len in 0..41 {
            let mut buffer = [0xa5u8; 64];
            wipe(&mut buffer[start..start + len]);
            for (i, byte) in buffer.iter().enumerate() {
                let inside = (start..start + len).contains(&i);
                assert_eq!(
                    *byte,
                    if inside { 0 } else { 0xa5 },
                    "start {start} len {len} byte {i}"
                );
            }
        }
    }
}

#[test]
fn wipe_overwrites_a_large_buffer() {
    let mut buffer: Vec<u8> = (0..4 * 1024 * 1024 + 3)
        .map(|i| (i % 251) as u8 | 1)
        .collect();
    wipe(&mut buffer[1..]);
    assert_eq!(buffer[0], 1);
    assert!(buffer[1..].iter().all(|b| *b == 0));
}

#[test]
fn plaintext_reads_as_its_bytes_and_never_prints_them() {
    let plain = Plaintext::new(b"api key".to_vec());
    assert_eq!(&plain[..], b"api key");
    let shown = format!("{plain:?}");
    assert_eq!(shown, "Plaintext(7 bytes)");
}
