//! Throughput per CPU-second of this thread, next to criterion's wall-clock
//! numbers: on a shared 2-core machine other builds steal wall time, not the
//! CPU time this thread actually used. Linux only (reads
//! `/proc/thread-self/stat`, 10 ms resolution, so each figure runs ≥ 2 s).
//! Run with `cargo bench -p ots-crypto --bench cpu_time`.

use std::hint::black_box;
use std::time::Instant;

use ots_crypto::{
    KdfParams, LinkSecret, PasswordKey, PayloadKey, StreamDecryptor, StreamEncryptor,
};

const PAYLOAD_BYTES: usize = 64 << 20;
const READ_BYTES: usize = 1 << 20;

/// User + system CPU time of this thread, in seconds.
fn thread_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after ')'.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0) // USER_HZ is 100 on Linux
}

fn measure(what: &str, bytes: Option<usize>, mut f: impl FnMut()) {
    f(); // warm up: page in buffers
    let (wall, cpu0) = (Instant::now(), thread_cpu_secs());
    let mut runs = 0;
    while wall.elapsed().as_secs_f64() < 2.0 || runs < 3 {
        f();
        runs += 1;
    }
    let wall = wall.elapsed().as_secs_f64() / runs as f64;
    let cpu = match (cpu0, thread_cpu_secs()) {
        (Some(a), Some(b)) => (b - a) / runs as f64,
        _ => f64::NAN,
    };
    match bytes {
        Some(n) => {
            let mib = n as f64 / f64::from(1 << 20);
            println!(
                "{what}: {:.0} MiB/s per CPU-second ({:.1} ms CPU), {:.0} MiB/s wall ({:.1} ms), {runs} runs",
                mib / cpu,
                cpu * 1e3,
                mib / wall,
                wall * 1e3
            );
        }
        None => println!(
            "{what}: {:.0} ms CPU, {:.0} ms wall, {runs} runs",
            cpu * 1e3,
            wall * 1e3
        ),
    }
}

fn main() {
    // `cargo bench` passes `--bench`; there are no filters to honour.
    let key = PayloadKey::from_bytes([7; 32]);
    let plain: Vec<u8> = (0..PAYLOAD_BYTES).map(|i| (i % 251) as u8).collect();
    let mut sealed = Vec::with_capacity(PAYLOAD_BYTES + PAYLOAD_BYTES / 4096 + 16);
    let mut enc = StreamEncryptor::new(&key);
    enc.push(&plain, &mut sealed);
    enc.finish(&mut sealed);

    let mut out = Vec::with_capacity(2 * READ_BYTES);
    measure("seal 64 MiB, 1 MiB pushes", Some(PAYLOAD_BYTES), || {
        let mut enc = StreamEncryptor::new(&key);
        for piece in plain.chunks(READ_BYTES) {
            enc.push(black_box(piece), &mut out);
            out.clear();
        }
        enc.finish(&mut out);
        out.clear();
    });
    measure("open 64 MiB, 1 MiB pushes", Some(PAYLOAD_BYTES), || {
        let mut dec = StreamDecryptor::new(&key);
        for piece in sealed.chunks(READ_BYTES) {
            dec.push(black_box(piece), &mut out).expect("opens");
            out.clear();
        }
        dec.finish(&mut out).expect("opens");
        out.clear();
    });
    let secret = LinkSecret::from_bytes([1; 32]);
    measure("argon2id default (m=64 MiB, t=3, p=1)", None, || {
        black_box(
            PasswordKey::derive(&secret, "correct horse", &KdfParams::DEFAULT).expect("derives"),
        );
    });
}
