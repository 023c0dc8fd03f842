//! Helpers shared by the integration tests.
#![allow(dead_code)]

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use ots_crypto::{PayloadKey, StreamDecryptor, StreamEncryptor};

/// A deterministic pseudo-random generator (xorshift64*), so tests that use
/// random sizes and splits behave the same on every run and target.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `len` bytes following the vectors' rule `i mod 251`.
pub fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

pub fn key(byte: u8) -> PayloadKey {
    PayloadKey::from_bytes([byte; 32])
}

/// One record sealed by hand, straight from protocol §4 with the AEAD crate:
/// lets tests build payloads the encryptor would never produce.
pub fn record(key: &PayloadKey, counter: u64, last: bool, chunk: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; 12];
    nonce[3..11].copy_from_slice(&counter.to_be_bytes());
    nonce[11] = u8::from(last);
    ChaCha20Poly1305::new(key.as_bytes().into())
        .encrypt(&Nonce::from(nonce), chunk)
        .expect("seal")
}

/// Encrypts with pushes of the given sizes (cycled).
pub fn seal_in_pieces(key: &PayloadKey, plain: &[u8], sizes: &[usize]) -> Vec<u8> {
    let mut enc = StreamEncryptor::new(key);
    let mut out = Vec::new();
    let mut rest = plain;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].clamp(1, rest.len());
        let (head, tail) = rest.split_at(n);
        enc.push(head, &mut out);
        rest = tail;
        i += 1;
    }
    enc.finish(&mut out);
    out
}

/// Decrypts with pushes cut at `cuts` (sorted offsets into `payload`).
/// Returns what was released and how it ended.
pub fn open_in_pieces(
    key: &PayloadKey,
    payload: &[u8],
    cuts: &[usize],
) -> (Vec<u8>, ots_crypto::Result<()>) {
    let mut dec = StreamDecryptor::new(key);
    let mut out = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&payload.len())) {
        let cut = cut.clamp(start, payload.len());
        if let Err(e) = dec.push(&payload[start..cut], &mut out) {
            return (out, Err(e));
        }
        start = cut;
    }
    let end = dec.finish(&mut out);
    (out, end)
}
