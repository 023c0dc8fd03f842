//! ChaCha20 (RFC 8439) in WebAssembly SIMD, and the records of protocol §4
//! sealed and opened with it.
//!
//! The `chacha20` crate has SIMD code for x86 and ARM but none for wasm32,
//! where three quarters of a seal's time is its keystream. [`ChaCha20Simd`]
//! computes four blocks at once, one block per 32-bit lane of sixteen
//! 128-bit vectors, and plugs into the `chacha20poly1305` crate's own
//! AEAD construction (`ChaChaPoly1305<C>` is generic over its stream
//! cipher), so Poly1305, the tag and its check stay the crate's. Its output
//! is byte for byte the `chacha20` crate's, which the tests check.
//!
//! A browser without WebAssembly SIMD (Safari before 16.4, Chrome before
//! 91) refuses to compile a whole module that holds one SIMD instruction,
//! and LLVM compiles every function of a wasm module with the target
//! features of any one of them: a module that links this code is a SIMD
//! module throughout. It is therefore behind the `simd` feature, which
//! only the sealing workers' own bundle (`worker/`) enables; a worker
//! loads that bundle only after `WebAssembly.validate` said the browser
//! runs SIMD, and the page's bundle, without SIMD, otherwise.

use core::arch::wasm32::{
    i32x4_add, i32x4_shl, i32x4_shuffle, i64x2_shuffle, i8x16_shuffle, u32x4, u32x4_shr,
    u32x4_splat, v128, v128_or, v128_xor,
};

use chacha20::cipher::consts::{U12, U256, U32};
use chacha20::cipher::{
    Array, InOutBuf, Iv, IvSizeUser, Key, KeyIvInit, KeySizeUser, OverflowError, SeekNum,
    StreamCipher, StreamCipherError, StreamCipherSeek,
};
use zeroize::Zeroize;

use crate::error::Result;
use crate::keys::PayloadKey;

/// "expand 32-byte k", the first four words of every block.
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];
/// Bytes of a ChaCha20 block.
const BLOCK: u64 = 64;
/// Keystream positions end here: the 32-bit block counter never wraps, and
/// (as in the `chacha20` crate) its last block is never used.
const END: u64 = u32::MAX as u64 * BLOCK;

/// ChaCha20 with a 96-bit nonce and a 32-bit block counter (RFC 8439),
/// four blocks at a time in WebAssembly SIMD. Its key words are
/// overwritten when it is dropped.
pub struct ChaCha20Simd {
    /// Constants, key, the counter word (unused: each call sets it), nonce.
    state: [u32; 16],
    /// Keystream position in bytes.
    pos: u64,
}

impl core::fmt::Debug for ChaCha20Simd {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ChaCha20Simd")
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

impl Drop for ChaCha20Simd {
    fn drop(&mut self) {
        self.state.zeroize();
    }
}

impl KeySizeUser for ChaCha20Simd {
    type KeySize = U32;
}

impl IvSizeUser for ChaCha20Simd {
    type IvSize = U12;
}

impl KeyIvInit for ChaCha20Simd {
    fn new(key: &Key<Self>, iv: &Iv<Self>) -> Self {
        let mut state = [0u32; 16];
        state[..4].copy_from_slice(&SIGMA);
        for (word, bytes) in state[4..12].iter_mut().zip(key.chunks_exact(4)) {
            *word = le_word(bytes);
        }
        for (word, bytes) in state[13..].iter_mut().zip(iv.chunks_exact(4)) {
            *word = le_word(bytes);
        }
        ChaCha20Simd { state, pos: 0 }
    }
}

fn le_word(bytes: &[u8]) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(bytes);
    u32::from_le_bytes(word)
}

impl StreamCipher for ChaCha20Simd {
    fn check_remaining(&self, data_len: usize) -> core::result::Result<(), StreamCipherError> {
        match self.pos.checked_add(data_len as u64) {
            Some(end) if end <= END => Ok(()),
            _ => Err(StreamCipherError),
        }
    }

    fn unchecked_apply_keystream_inout(&mut self, buf: InOutBuf<'_, '_, u8>) {
        let len = buf.len() as u64;
        apply(&self.state, self.pos, buf);
        self.pos = self.pos.saturating_add(len);
    }

    fn unchecked_write_keystream(&mut self, buf: &mut [u8]) {
        buf.fill(0);
        self.unchecked_apply_keystream_inout(buf.into());
    }
}

impl StreamCipherSeek for ChaCha20Simd {
    fn try_current_pos<T: SeekNum>(&self) -> core::result::Result<T, OverflowError> {
        // `SeekNum` counts as a block cipher's buffer does: `byte` (1 ..= 64)
        // bytes of block `block - 1` are used. `pos` never passes `END`, so
        // `block` fits in a u32.
        let (block, byte) = match self.pos % BLOCK {
            0 => (self.pos / BLOCK, BLOCK),
            byte => (self.pos / BLOCK + 1, byte),
        };
        let block = u32::try_from(block).map_err(|_| OverflowError)?;
        T::from_block_byte(block, byte as u8, BLOCK as u8)
    }

    fn try_seek<T: SeekNum>(&mut self, pos: T) -> core::result::Result<(), StreamCipherError> {
        let (block, byte) = pos
            .into_block_byte::<u32>(BLOCK as u8)
            .map_err(|_| StreamCipherError)?;
        let pos = u64::from(block) * BLOCK + u64::from(byte);
        if pos > END {
            return Err(StreamCipherError);
        }
        self.pos = pos;
        Ok(())
    }
}

/// XORs the keystream from byte `pos` on into `buf`.
#[target_feature(enable = "simd128")]
fn apply(state: &[u32; 16], pos: u64, mut buf: InOutBuf<'_, '_, u8>) {
    // Every position short of `END` has a block number below 2^32 - 1.
    let mut block = (pos / BLOCK) as u32;
    let offset = (pos % BLOCK) as usize;
    if offset != 0 {
        // The rest of a block begun by an earlier call.
        let take = (BLOCK as usize - offset).min(buf.len());
        let (mut head, rest) = buf.split_at(take);
        let mut stream = four_blocks(state, block);
        head.xor_in2out(&stream[offset..offset + take]);
        stream.zeroize();
        buf = rest;
        block = block.wrapping_add(1);
    }
    let (wide, mut tail) = buf.into_chunks::<U256>();
    for mut chunk in wide {
        let stream = Array::from(four_blocks(state, block));
        chunk.xor_in2out(&stream);
        block = block.wrapping_add(4);
    }
    if !tail.is_empty() {
        let mut stream = four_blocks(state, block);
        tail.xor_in2out(&stream[..tail.len()]);
        stream.zeroize();
    }
}

/// The keystream of blocks `block ..= block + 3`: lane `j` of vector `i`
/// holds word `i` of block `block + j`, so every step of a round works on
/// the four blocks at once.
#[target_feature(enable = "simd128")]
fn four_blocks(state: &[u32; 16], block: u32) -> [u8; 256] {
    let mut x = [u32x4_splat(0); 16];
    for (lanes, word) in x.iter_mut().zip(state) {
        *lanes = u32x4_splat(*word);
    }
    x[12] = u32x4(
        block,
        block.wrapping_add(1),
        block.wrapping_add(2),
        block.wrapping_add(3),
    );
    let input = x;
    for _ in 0..10 {
        // A column round, then a diagonal round.
        quarter(&mut x, 0, 4, 8, 12);
        quarter(&mut x, 1, 5, 9, 13);
        quarter(&mut x, 2, 6, 10, 14);
        quarter(&mut x, 3, 7, 11, 15);
        quarter(&mut x, 0, 5, 10, 15);
        quarter(&mut x, 1, 6, 11, 12);
        quarter(&mut x, 2, 7, 8, 13);
        quarter(&mut x, 3, 4, 9, 14);
    }
    for (lanes, start) in x.iter_mut().zip(input) {
        *lanes = i32x4_add(*lanes, start);
    }
    // Back to block order: words 4g .. 4g+3 of each of the four blocks,
    // from the four vectors that hold those words.
    let mut out = [u32x4_splat(0); 16];
    for g in 0..4 {
        let (a, b, c, d) = (x[4 * g], x[4 * g + 1], x[4 * g + 2], x[4 * g + 3]);
        let ab_low = i32x4_shuffle::<0, 4, 1, 5>(a, b);
        let ab_high = i32x4_shuffle::<2, 6, 3, 7>(a, b);
        let cd_low = i32x4_shuffle::<0, 4, 1, 5>(c, d);
        let cd_high = i32x4_shuffle::<2, 6, 3, 7>(c, d);
        out[g] = i64x2_shuffle::<0, 2>(ab_low, cd_low);
        out[4 + g] = i64x2_shuffle::<1, 3>(ab_low, cd_low);
        out[8 + g] = i64x2_shuffle::<0, 2>(ab_high, cd_high);
        out[12 + g] = i64x2_shuffle::<1, 3>(ab_high, cd_high);
    }
    let bytes: [u8; 256] = bytemuck::cast(out);
    bytemuck::cast_slice_mut::<v128, u8>(&mut x).zeroize();
    bytes
}

/// The ChaCha quarter round on four blocks at once.
#[target_feature(enable = "simd128")]
#[inline]
fn quarter(x: &mut [v128; 16], a: usize, b: usize, c: usize, d: usize) {
    x[a] = i32x4_add(x[a], x[b]);
    x[d] = rotate_16(v128_xor(x[d], x[a]));
    x[c] = i32x4_add(x[c], x[d]);
    x[b] = rotate::<12>(v128_xor(x[b], x[c]));
    x[a] = i32x4_add(x[a], x[b]);
    x[d] = rotate_8(v128_xor(x[d], x[a]));
    x[c] = i32x4_add(x[c], x[d]);
    x[b] = rotate::<7>(v128_xor(x[b], x[c]));
}

/// Each 32-bit lane rotated left by 16: a byte shuffle.
#[target_feature(enable = "simd128")]
#[inline]
fn rotate_16(x: v128) -> v128 {
    i8x16_shuffle::<2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13>(x, x)
}

/// Each 32-bit lane rotated left by 8: a byte shuffle.
#[target_feature(enable = "simd128")]
#[inline]
fn rotate_8(x: v128) -> v128 {
    i8x16_shuffle::<3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14>(x, x)
}

/// Each 32-bit lane rotated left by `N`.
#[target_feature(enable = "simd128")]
#[inline]
fn rotate<const N: u32>(x: v128) -> v128 {
    v128_or(i32x4_shl(x, N), u32x4_shr(x, 32 - N))
}

/// [`crate::seal_records`] with the SIMD keystream: the same bytes.
pub fn seal_records(
    key: &PayloadKey,
    first: u64,
    plaintext: &[u8],
    ends_payload: bool,
) -> Result<Vec<u8>> {
    crate::stream::seal_records_with::<ChaCha20Simd>(key, first, plaintext, ends_payload)
}

/// [`crate::open_records`] with the SIMD keystream.
pub fn open_records(
    key: &PayloadKey,
    first: u64,
    ciphertext: &[u8],
    ends_payload: bool,
) -> Result<Vec<u8>> {
    crate::stream::open_records_with::<ChaCha20Simd>(key, first, ciphertext, ends_payload)
}
