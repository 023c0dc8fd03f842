//! Native throughput of the payload (seal and open of 64 MiB) and the cost
//! of Argon2id at the default parameters. Run with
//! `cargo bench -p ots-crypto --bench throughput`; numbers are recorded in
//! the `## crypto` section of `BENCHMARKS.md`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ots_crypto::{
    open_payload, seal_payload, KdfParams, LinkSecret, PasswordKey, PayloadKey, StreamDecryptor,
    StreamEncryptor,
};

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

criterion_group!(benches, payload, argon2id);
criterion_main!(benches);
