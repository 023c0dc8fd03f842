//! Fuzzes the STREAM decryptor (protocol §4) with arbitrary ciphertext fed
//! in arbitrary read splits, and with real payloads that are then damaged.
//!
//! Properties: it never panics; plaintext is only ever released as a prefix
//! of what was sealed; and a payload that opens is byte for byte the one the
//! encryptor makes of its plaintext (every plaintext has exactly one valid
//! payload under a key, so nothing forged or malleable ever opens).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ots_crypto::{
    payload_size, seal_payload, Error, PayloadKey, StreamDecryptor, StreamEncryptor, CHUNK_SIZE,
};

/// Feeds `payload` in pieces whose sizes cycle through `splits`.
fn open_split(
    key: &PayloadKey,
    payload: &[u8],
    splits: &[u8],
    known_size: bool,
) -> (Vec<u8>, Result<(), Error>) {
    let mut dec = if known_size {
        match StreamDecryptor::with_payload_size(key, payload.len() as u64) {
            Ok(dec) => dec,
            Err(e) => return (Vec::new(), Err(e)),
        }
    } else {
        StreamDecryptor::new(key)
    };
    let mut out = Vec::new();
    let mut rest = payload;
    let mut i = 0;
    while !rest.is_empty() {
        // Split sizes up to ~200 KiB so that records straddle pieces.
        let s = splits.get(i % splits.len().max(1)).copied().unwrap_or(255) as usize;
        let n = (s * s * 3 + 1).min(rest.len());
        let (head, tail) = rest.split_at(n);
        let before = out.len();
        if let Err(e) = dec.push(head, &mut out) {
            assert_eq!(out.len() % CHUNK_SIZE, 0, "only whole records are released");
            assert!(out.len() >= before);
            return (out, Err(e));
        }
        rest = tail;
        i += 1;
    }
    let finished_early = dec.is_finished();
    let end = dec.finish(&mut out);
    if finished_early {
        assert!(end.is_ok());
    }
    (out, end)
}

fuzz_target!(|data: &[u8]| {
    let key = PayloadKey::from_bytes([0x42; 32]);
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    let Some((&split_len, data)) = data.split_first() else {
        return;
    };
    let (splits, data) = data.split_at((split_len as usize % 8).min(data.len()));
    let known_size = mode & 0x80 != 0;

    if mode & 1 == 0 {
        // Arbitrary bytes as ciphertext.
        let (out, end) = open_split(&key, data, splits, known_size);
        if end.is_ok() {
            assert_eq!(
                seal_payload(&key, &out),
                data,
                "a payload that opens is canonical"
            );
        }
    } else {
        // `data` is plaintext (repeated to reach multi-record sizes); seal it
        // with the streaming encryptor, maybe damage one byte, open it.
        let Some((&repeat, plain)) = data.split_first() else {
            return;
        };
        let plain: Vec<u8> = plain.repeat(1 + (repeat as usize % 4) * 700);
        let mut sealed = Vec::new();
        let mut enc = StreamEncryptor::new(&key);
        for piece in plain.chunks(1 + splits.first().copied().unwrap_or(0) as usize * 997) {
            enc.push(piece, &mut sealed);
        }
        enc.finish(&mut sealed);
        assert_eq!(sealed.len() as u64, payload_size(plain.len() as u64));
        assert_eq!(sealed, seal_payload(&key, &plain));

        let flip = mode >> 1 & 0x3f; // 0 leaves the payload intact
        if flip != 0 {
            let at = (usize::from(repeat) * 7919 + usize::from(split_len) * 104_729) % sealed.len();
            sealed[at] ^= flip;
        }
        let (out, end) = open_split(&key, &sealed, splits, known_size);
        assert!(
            plain.starts_with(&out),
            "released plaintext is a true prefix"
        );
        if flip == 0 {
            assert_eq!(end, Ok(()));
            assert_eq!(out, plain);
        } else {
            assert_eq!(end, Err(Error::Decrypt));
        }
    }
});
