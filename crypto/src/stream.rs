//! The payload of protocol §4: ChaCha20-Poly1305 in the STREAM construction
//! (as in age), over 64 KiB chunks.
//!
//! Record `i` of `n` is `AEAD-Seal(payload_key, BE88(i) || flag, "", chunk_i)`
//! where `flag` is `0x01` for the last record and `0x00` for every other.
//! The flag makes truncation at a record boundary detectable; the counter
//! makes reordering and splicing detectable.

use chacha20::cipher::consts::{U12, U32};
use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use chacha20::ChaCha20;
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, ChaChaPoly1305, Nonce, Tag};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};
use crate::keys::PayloadKey;
use ots_proto::{payload_size, plaintext_size, CHUNK_SIZE, RECORD_SIZE, TAG_SIZE};

/// Bytes of a ChaCha20-Poly1305 nonce.
pub const NONCE_SIZE: usize = 12;
/// Last nonce byte of every record but the last.
const FLAG_MORE: u8 = 0x00;
/// Last nonce byte of the last record.
const FLAG_LAST: u8 = 0x01;

/// `BE88(counter) || flag`. The counter is a `u64`; its top 3 bytes of the
/// 88-bit field are always zero (2^64 chunks is beyond any share).
fn nonce(counter: u64, last: bool) -> Nonce {
    let mut n = [0u8; NONCE_SIZE];
    n[3..11].copy_from_slice(&counter.to_be_bytes());
    n[11] = if last { FLAG_LAST } else { FLAG_MORE };
    Nonce::from(n)
}

/// A ChaCha20 keystream under the records' AEAD: the `chacha20` crate's,
/// or on wasm32 the SIMD one of `crate::simd`. Both give the same bytes.
pub(crate) trait Keystream:
    KeyIvInit<KeySize = U32, IvSize = U12> + StreamCipher + StreamCipherSeek
{
}

impl<C: KeyIvInit<KeySize = U32, IvSize = U12> + StreamCipher + StreamCipherSeek> Keystream for C {}

fn aead<C: Keystream>(key: &PayloadKey) -> ChaChaPoly1305<C> {
    ChaChaPoly1305::new(key.as_bytes().into())
}

/// Seals `chunk` as record `counter` and appends it to `out`.
fn seal_record<C: Keystream>(
    aead: &ChaChaPoly1305<C>,
    counter: u64,
    chunk: &[u8],
    last: bool,
    out: &mut Vec<u8>,
) {
    let start = out.len();
    out.reserve(chunk.len() + TAG_SIZE);
    out.extend_from_slice(chunk);
    let tag = aead
        .encrypt_inout_detached(&nonce(counter, last), b"", (&mut out[start..]).into())
        .expect("a 64 KiB chunk is far below the ChaCha20 length limit");
    out.extend_from_slice(&tag);
}

/// Opens `record`, record `counter`, straight into `out`; on failure `out`
/// is left as it was (the tag is checked before anything is decrypted).
fn open_record<C: Keystream>(
    aead: &ChaChaPoly1305<C>,
    counter: u64,
    record: &[u8],
    last: bool,
    out: &mut Vec<u8>,
) -> Result<()> {
    let (body, tag) = record.split_at(record.len() - TAG_SIZE);
    let tag = Tag::try_from(tag).map_err(|_| Error::Decrypt)?;
    let start = out.len();
    out.extend_from_slice(body);
    let opened =
        aead.decrypt_inout_detached(&nonce(counter, last), b"", (&mut out[start..]).into(), &tag);
    if opened.is_err() {
        out.truncate(start);
        return Err(Error::Decrypt);
    }
    Ok(())
}

/// Encrypts a payload incrementally (protocol §4).
///
/// Feed plaintext in slices of any size with [`push`](Self::push); complete
/// records are appended to `out` as soon as they are known not to be the
/// last one. [`finish`](Self::finish) must be called to emit the final
/// record: a payload without it is rejected by every reader.
///
/// Because the encryptor cannot know whether more plaintext follows, it
/// holds back up to one full chunk of plaintext (zeroized on drop).
pub struct StreamEncryptor {
    cipher: ChaCha20Poly1305,
    counter: u64,
    pending: Zeroizing<Vec<u8>>,
}

impl core::fmt::Debug for StreamEncryptor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StreamEncryptor")
            .field("records", &self.counter)
            .finish_non_exhaustive()
    }
}

impl StreamEncryptor {
    /// Starts a payload under `key`. A `payload_key` must seal one payload
    /// only: it is derived per share, so never reuse it for a second one.
    pub fn new(key: &PayloadKey) -> Self {
        Self {
            cipher: aead(key),
            counter: 0,
            pending: Zeroizing::new(Vec::with_capacity(CHUNK_SIZE)),
        }
    }

    /// Encrypts `plaintext`, appending every record now known to be complete
    /// and not the last to `out`.
    pub fn push(&mut self, mut plaintext: &[u8], out: &mut Vec<u8>) {
        while !plaintext.is_empty() {
            if self.pending.len() == CHUNK_SIZE {
                // More plaintext follows, so the held chunk is not the last.
                let chunk = core::mem::take(&mut *self.pending);
                self.seal_record(&chunk, false, out);
                *self.pending = chunk;
                self.pending.clear();
            } else if self.pending.is_empty() && plaintext.len() > CHUNK_SIZE {
                // Fast path: a whole chunk with more behind it, straight from
                // the caller's slice.
                let (chunk, rest) = plaintext.split_at(CHUNK_SIZE);
                self.seal_record(chunk, false, out);
                plaintext = rest;
            } else {
                let take = (CHUNK_SIZE - self.pending.len()).min(plaintext.len());
                let (head, rest) = plaintext.split_at(take);
                self.pending.extend_from_slice(head);
                plaintext = rest;
            }
        }
    }

    /// Emits the final record (flag `0x01`). It holds the held-back chunk,
    /// and is empty (16 bytes) only when no plaintext was pushed at all.
    pub fn finish(mut self, out: &mut Vec<u8>) {
        let chunk = core::mem::take(&mut *self.pending);
        self.seal_record(&chunk, true, out);
        *self.pending = chunk;
    }

    fn seal_record(&mut self, chunk: &[u8], last: bool, out: &mut Vec<u8>) {
        seal_record(&self.cipher, self.counter, chunk, last, out);
        self.counter = self
            .counter
            .checked_add(1)
            .expect("2^64 records of 64 KiB cannot be produced");
    }
}

/// Decrypts a payload incrementally (protocol §4).
///
/// Feed ciphertext in slices of any size with [`push`](Self::push) (network
/// reads need not align with records); the plaintext of each record that
/// authenticated is appended to `out`. Only [`finish`](Self::finish)
/// returning `Ok` proves that the plaintext is complete: until then a
/// caller must not present the result as whole (protocol §4).
///
/// It buffers at most one record ([`RECORD_SIZE`] bytes): a full record is
/// opened as "not the last" only once a byte after it has been seen.
///
/// After any error the decryptor is poisoned and every later call fails.
pub struct StreamDecryptor {
    cipher: ChaCha20Poly1305,
    counter: u64,
    buffer: Vec<u8>,
    state: DecryptState,
    /// The payload length, when the caller knows it: lets the final record
    /// open as soon as it is complete, and refuses bytes beyond it at once.
    remaining: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DecryptState {
    Open,
    Finished,
    Failed,
}

impl core::fmt::Debug for StreamDecryptor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StreamDecryptor")
            .field("records", &self.counter)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl StreamDecryptor {
    /// Starts reading a payload under `key`; the end of the input is
    /// signalled by [`finish`](Self::finish).
    pub fn new(key: &PayloadKey) -> Self {
        Self {
            cipher: aead(key),
            counter: 0,
            buffer: Vec::with_capacity(RECORD_SIZE),
            state: DecryptState::Open,
            remaining: None,
        }
    }

    /// Starts reading a payload of exactly `payload_len` bytes (the `size`
    /// the server announced). The final record is opened by the `push` that
    /// completes it, so [`is_finished`](Self::is_finished) turns true without
    /// waiting for `finish`, and a byte beyond `payload_len` is an error at
    /// once. A length no sender produces is refused with [`Error::Decrypt`].
    pub fn with_payload_size(key: &PayloadKey, payload_len: u64) -> Result<Self> {
        if plaintext_size(payload_len).is_none() {
            return Err(Error::Decrypt);
        }
        let mut this = Self::new(key);
        this.remaining = Some(payload_len);
        Ok(this)
    }

    /// True once the final record (flag `0x01`) has authenticated: the
    /// plaintext in `out` is then complete.
    pub fn is_finished(&self) -> bool {
        self.state == DecryptState::Finished
    }

    /// Decrypts `ciphertext`, appending the plaintext of every record that
    /// authenticated to `out`. On error nothing of the failing record is
    /// appended, and the decryptor is poisoned.
    pub fn push(&mut self, ciphertext: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let result = self.push_inner(ciphertext, out);
        if result.is_err() {
            self.state = DecryptState::Failed;
        }
        result
    }

    fn push_inner(&mut self, mut ciphertext: &[u8], out: &mut Vec<u8>) -> Result<()> {
        match self.state {
            DecryptState::Failed => return Err(Error::Decrypt),
            _ if ciphertext.is_empty() => return Ok(()),
            // Any byte after the final record is a damaged payload.
            DecryptState::Finished => return Err(Error::Decrypt),
            DecryptState::Open => {}
        }
        if let Some(remaining) = &mut self.remaining {
            *remaining = remaining
                .checked_sub(ciphertext.len() as u64)
                .ok_or(Error::Decrypt)?;
        }
        while !ciphertext.is_empty() {
            if self.buffer.len() == RECORD_SIZE {
                // A byte follows, so the buffered record is not the last.
                let record = core::mem::take(&mut self.buffer);
                let opened = self.open_record(&record, false, out);
                self.buffer = record;
                self.buffer.clear();
                opened?;
            } else if self.buffer.is_empty() && ciphertext.len() > RECORD_SIZE {
                // Fast path: a whole record with a byte behind it, straight
                // from the caller's slice.
                let (record, rest) = ciphertext.split_at(RECORD_SIZE);
                self.open_record(record, false, out)?;
                ciphertext = rest;
            } else {
                let take = (RECORD_SIZE - self.buffer.len()).min(ciphertext.len());
                let (head, rest) = ciphertext.split_at(take);
                self.buffer.extend_from_slice(head);
                ciphertext = rest;
            }
        }
        if self.remaining == Some(0) {
            self.open_last(out)?;
        }
        Ok(())
    }

    /// Ends the input. `Ok` only if the final record authenticated with flag
    /// `0x01`: then, and only then, the plaintext in `out` is complete.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<()> {
        match self.state {
            DecryptState::Finished => Ok(()),
            DecryptState::Failed => Err(Error::Decrypt),
            DecryptState::Open if self.remaining.is_some() => Err(Error::Decrypt),
            DecryptState::Open => self.open_last(out),
        }
    }

    fn open_last(&mut self, out: &mut Vec<u8>) -> Result<()> {
        // The last record holds at least one plaintext byte, unless it is
        // the only one (protocol §4).
        let len = self.buffer.len();
        if len < TAG_SIZE || (len == TAG_SIZE && self.counter != 0) {
            self.state = DecryptState::Failed;
            return Err(Error::Decrypt);
        }
        let record = core::mem::take(&mut self.buffer);
        let opened = self.open_record(&record, true, out);
        self.state = if opened.is_ok() {
            DecryptState::Finished
        } else {
            DecryptState::Failed
        };
        opened
    }

    /// Opens one record straight into `out`; on failure `out` is left as it
    /// was (the tag is checked before anything is decrypted).
    fn open_record(&mut self, record: &[u8], last: bool, out: &mut Vec<u8>) -> Result<()> {
        open_record(&self.cipher, self.counter, record, last, out)?;
        self.counter = self.counter.checked_add(1).ok_or(Error::Decrypt)?;
        Ok(())
    }
}

/// Seals records `first ..` of a payload on their own (protocol §4): chunk
/// `j` of `plaintext` becomes record `first + j`. Records do not depend on
/// each other given their index, so a payload can be sealed in pieces, in
/// any order, on several threads, and the pieces concatenated in record
/// order are byte for byte what [`StreamEncryptor`] produces.
///
/// With `ends_payload` the last chunk is the payload's final record (flag
/// `0x01`; it may be shorter than a chunk, and is empty only when it is the
/// only record). Without it `plaintext` must be whole chunks, at least one.
/// A piece of any other shape is [`Error::Records`].
pub fn seal_records(
    key: &PayloadKey,
    first: u64,
    plaintext: &[u8],
    ends_payload: bool,
) -> Result<Vec<u8>> {
    seal_records_with::<ChaCha20>(key, first, plaintext, ends_payload)
}

/// [`seal_records`] with the keystream `C`.
pub(crate) fn seal_records_with<C: Keystream>(
    key: &PayloadKey,
    first: u64,
    plaintext: &[u8],
    ends_payload: bool,
) -> Result<Vec<u8>> {
    let whole = !plaintext.is_empty() && plaintext.len().is_multiple_of(CHUNK_SIZE);
    let shaped = if ends_payload {
        !plaintext.is_empty() || first == 0
    } else {
        whole
    };
    let records = plaintext.len().div_ceil(CHUNK_SIZE).max(1) as u64;
    if !shaped || first.checked_add(records).is_none() {
        return Err(Error::Records);
    }
    let mut out = Vec::with_capacity(plaintext.len() + records as usize * TAG_SIZE);
    let aead = aead::<C>(key);
    if plaintext.is_empty() {
        seal_record(&aead, first, &[], true, &mut out);
    }
    let mut chunks = plaintext.chunks(CHUNK_SIZE).peekable();
    let mut counter = first;
    while let Some(chunk) = chunks.next() {
        let last = ends_payload && chunks.peek().is_none();
        seal_record(&aead, counter, chunk, last, &mut out);
        counter += 1;
    }
    Ok(out)
}

/// Opens records `first ..` of a payload on their own: the inverse of
/// [`seal_records`]. `ciphertext` is whole records; with `ends_payload` its
/// last record must be the payload's final one (flag `0x01`, at least one
/// plaintext byte unless it is the only record), without it every record
/// must be a full one with flag `0x00`. Any failure is [`Error::Decrypt`],
/// and no plaintext is returned.
pub fn open_records(
    key: &PayloadKey,
    first: u64,
    ciphertext: &[u8],
    ends_payload: bool,
) -> Result<Vec<u8>> {
    open_records_with::<ChaCha20>(key, first, ciphertext, ends_payload)
}

/// [`open_records`] with the keystream `C`.
pub(crate) fn open_records_with<C: Keystream>(
    key: &PayloadKey,
    first: u64,
    ciphertext: &[u8],
    ends_payload: bool,
) -> Result<Vec<u8>> {
    let records = ciphertext.len().div_ceil(RECORD_SIZE) as u64;
    let tail = ciphertext.len() - (records.max(1) as usize - 1) * RECORD_SIZE;
    let shaped = records > 0
        && if ends_payload {
            tail > TAG_SIZE || (tail == TAG_SIZE && first == 0 && records == 1)
        } else {
            tail == RECORD_SIZE
        };
    if !shaped || first.checked_add(records).is_none() {
        return Err(Error::Decrypt);
    }
    let mut out = Vec::with_capacity(ciphertext.len() - records as usize * TAG_SIZE);
    let aead = aead::<C>(key);
    let mut opened = Ok(());
    let mut pieces = ciphertext.chunks(RECORD_SIZE).peekable();
    let mut counter = first;
    while let Some(record) = pieces.next() {
        let last = ends_payload && pieces.peek().is_none();
        opened = open_record(&aead, counter, record, last, &mut out);
        if opened.is_err() {
            break;
        }
        counter += 1;
    }
    match opened {
        Ok(()) => Ok(out),
        Err(e) => {
            out.zeroize();
            Err(e)
        }
    }
}

/// Seals a whole payload at once (small texts; see [`StreamEncryptor`] for
/// files).
pub fn seal_payload(key: &PayloadKey, plaintext: &[u8]) -> Vec<u8> {
    let size = usize::try_from(payload_size(plaintext.len() as u64)).unwrap_or(usize::MAX);
    let mut out = Vec::with_capacity(size);
    let mut encryptor = StreamEncryptor::new(key);
    encryptor.push(plaintext, &mut out);
    encryptor.finish(&mut out);
    out
}

/// Opens a whole payload at once. Any failure is [`Error::Decrypt`], and no
/// partial plaintext is returned.
pub fn open_payload(key: &PayloadKey, payload: &[u8]) -> Result<Vec<u8>> {
    let Some(plain_len) = plaintext_size(payload.len() as u64) else {
        return Err(Error::Decrypt);
    };
    let mut out = Vec::with_capacity(usize::try_from(plain_len).unwrap_or(0));
    let mut decryptor = StreamDecryptor::new(key);
    let result = decryptor
        .push(payload, &mut out)
        .and_then(|()| decryptor.finish(&mut out));
    match result {
        Ok(()) => Ok(out),
        Err(e) => {
            out.zeroize();
            Err(e)
        }
    }
}
