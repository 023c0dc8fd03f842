//! Native throughput of the payload (seal and open of 64 MiB), of its
//! cipher's two halves alone (the ChaCha20 keystream and the Poly1305 MAC),
//! and the cost of Argon2id at the default parameters. Run with
//! `cargo bench -p ots-crypto --bench throughput`; numbers are recorded in
//! the `## crypto` section of `BENCHMARKS.md`.

use std::hint::black_box;

use chacha20::cipher::{KeyIvInit, StreamCipher};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ots_crypto::{
    open_payload, seal_payload, KdfParams, LinkSecret, PasswordKey, PayloadKey, StreamDecryptor,
    StreamEncryptor,
};
use poly1305::universal_hash::{KeyInit, UniversalHash};

const PAYLOAD_BYTES: usize = 64 << 20;
/// Network-sized reads, not aligned with records.
const READ_BYTES: usize = 1 << 20;

fn payload(c: &mut Criterion) {
    let key = PayloadKey::from_bytes([7; 32]);
    let plain: Vec<u8> = (0..PAYLOAD_BYTES).map(|i| (i % 251) as u8).collect();
    let sealed = seal_payload(&key, &plain);

    let mut group = c.benchmark_group("payload_64MiB");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(PAYLOAD_BYTES as u64));
    group.bench_function("seal_one_shot", |b| {
        b.iter(|| seal_payload(&key, black_box(&plain)))
    });
    group.bench_function("open_one_shot", |b| {
        b.iter(|| open_payload(&key, black_box(&sealed)).expect("opens"))
    });
    let mut out = Vec::with_capacity(sealed.len());
    group.bench_function("seal_streaming_1MiB_reads", |b| {
        b.iter(|| {
            out.clear();
            let mut enc = StreamEncryptor::new(&key);
            for piece in plain.chunks(READ_BYTES) {
                enc.push(black_box(piece), &mut out);
                // A real sender writes `out` away here.
                out.clear();
            }
            enc.finish(&mut out);
        })
    });
    group.bench_function("open_streaming_1MiB_reads", |b| {
        b.iter(|| {
            out.clear();
            let mut dec = StreamDecryptor::new(&key);
            for piece in sealed.chunks(READ_BYTES) {
                dec.push(black_box(piece), &mut out).expect("opens");
                out.clear();
            }
            dec.finish(&mut out).expect("opens");
        })
    });
    group.finish();
}

/// What each half of ChaCha20-Poly1305 costs on its own over the same
/// bytes: the keystream XORed into the buffer, and the MAC over it.
fn halves(c: &mut Criterion) {
    let mut bytes = vec![0x5a_u8; PAYLOAD_BYTES];
    let mut group = c.benchmark_group("cipher_halves_64MiB");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(PAYLOAD_BYTES as u64));
    group.bench_function("chacha20_keystream", |b| {
        b.iter(|| {
            let mut cipher = chacha20::ChaCha20::new(&[7; 32].into(), &[1; 12].into());
            cipher.apply_keystream(black_box(&mut bytes));
        })
    });
    group.bench_function("poly1305_mac", |b| {
        b.iter(|| {
            let mut mac = poly1305::Poly1305::new(&[3; 32].into());
            mac.update_padded(black_box(&bytes));
            mac.finalize()
        })
    });
    group.finish();
}

fn argon2id(c: &mut Criterion) {
    let secret = LinkSecret::from_bytes([1; 32]);
    let mut group = c.benchmark_group("argon2id");
    group.sample_size(10);
    group.bench_function("default_m64MiB_t3_p1", |b| {
        b.iter(|| {
            PasswordKey::derive(&secret, black_box("correct horse"), &KdfParams::DEFAULT)
                .expect("derives")
        })
    });
    group.finish();
}

criterion_group!(benches, payload, halves, argon2id);
criterion_main!(benches);
