//! A measurement for the browser benchmarks (`end2end/bench/`): sealing
//! speed inside the page, with the same code and buffer sizes as a real
//! send (no network). Built only with the `bench` feature, so it is never
//! part of a production bundle.

use ots_crypto::{ContentKeys, LinkSecret, StreamEncryptor};

use super::dom::now_ms;

/// Seals `total_mib` MiB of plaintext in 4 MiB steps, as the send flow
/// does, and returns MiB per second.
pub fn seal_mib_per_s(total_mib: u32) -> Result<f64, ots_crypto::Error> {
    const STEP: usize = 4 * 1024 * 1024;
    let secret = LinkSecret::generate()?;
    let keys = ContentKeys::derive(&secret, None);
    let plain: Vec<u8> = (0..STEP).map(|i| (i * 31 % 251) as u8).collect();
    let mut out = Vec::with_capacity(STEP + STEP / 64);
    let mut encryptor = StreamEncryptor::new(keys.payload_key());
    let steps = (total_mib as usize * 1024 * 1024).div_ceil(STEP).max(1);
    let start = now_ms();
    for _ in 0..steps {
        encryptor.push(&plain, &mut out);
        out.clear();
    }
    encryptor.finish(&mut out);
    let secs = (now_ms() - start) / 1000.0;
    Ok((steps * STEP) as f64 / (1024.0 * 1024.0) / secs.max(1e-9))
}
