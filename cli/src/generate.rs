//! `ots send --generate`: a random secret made from the platform CSPRNG, so
//! that the sender never types (or picks) it.

use clap::ValueEnum;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Characters a generated secret is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Alphabet {
    /// `A-Z a-z 0-9`: 62 characters, about 5.95 bits each.
    Alnum,
    /// Every printable ASCII character but the space: 94, about 6.55 bits each.
    Ascii,
    /// `0-9 a-f`: 16 characters, 4 bits each.
    Hex,
    /// `0-9`: 10 characters, about 3.32 bits each.
    Digits,
}

impl Alphabet {
    /// The characters, in a fixed order.
    pub fn chars(self) -> &'static [u8] {
        match self {
            Alphabet::Alnum => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            Alphabet::Ascii => {
                b"!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
            }
            Alphabet::Hex => b"0123456789abcdef",
            Alphabet::Digits => b"0123456789",
        }
    }

    /// Bits of entropy in a secret of `len` characters.
    pub fn bits(self, len: usize) -> f64 {
        len as f64 * (self.chars().len() as f64).log2()
    }
}

/// Shortest secret `--generate` makes.
pub const MIN_LEN: usize = 8;
/// Longest secret `--generate` makes.
pub const MAX_LEN: usize = 4096;

/// A secret of `len` characters drawn uniformly from `alphabet`.
///
/// Each character comes from one random byte; bytes at or above the largest
/// multiple of the alphabet's size are drawn again (rejection sampling), so
/// that no character is likelier than another.
pub fn secret(len: usize, alphabet: Alphabet) -> Result<Zeroizing<String>> {
    let chars = alphabet.chars();
    let n = chars.len();
    let limit = 256 - 256 % n;
    let mut out = Zeroizing::new(String::with_capacity(len));
    let mut pool = Zeroizing::new([0u8; 256]);
    while out.len() < len {
        getrandom::fill(&mut pool[..]).map_err(|_| Error::Crypto(ots_crypto::Error::Random))?;
        for &byte in pool.iter() {
            if out.len() == len {
                break;
            }
            if usize::from(byte) < limit {
                out.push(char::from(chars[usize::from(byte) % n]));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_has_the_length_and_alphabet_asked_for() {
        for alphabet in [
            Alphabet::Alnum,
            Alphabet::Ascii,
            Alphabet::Hex,
            Alphabet::Digits,
        ] {
            let s = secret(100, alphabet).unwrap();
            assert_eq!(s.chars().count(), 100);
            assert!(
                s.bytes().all(|b| alphabet.chars().contains(&b)),
                "{alphabet:?}"
            );
        }
    }

    #[test]
    fn alphabets_have_the_documented_sizes() {
        assert_eq!(Alphabet::Alnum.chars().len(), 62);
        assert_eq!(Alphabet::Ascii.chars().len(), 94);
        assert!(Alphabet::Ascii.chars().iter().all(|c| c.is_ascii_graphic()));
        assert!((Alphabet::Alnum.bits(32) - 190.5).abs() < 0.1);
    }

    #[test]
    fn every_character_turns_up_about_equally_often() {
        // 62 characters over 62,000 draws: each expected 1000 times; a bias
        // of the modulo kind (256 % 62 = 8 favoured characters) would show
        // as about +24%.
        let s = secret(62_000, Alphabet::Alnum).unwrap();
        let mut counts = [0u32; 128];
        for b in s.bytes() {
            counts[usize::from(b)] += 1;
        }
        for &c in Alphabet::Alnum.chars() {
            let n = counts[usize::from(c)];
            assert!(
                (850..=1150).contains(&n),
                "{} drawn {n} times",
                char::from(c)
            );
        }
    }

    #[test]
    fn two_secrets_differ() {
        assert_ne!(
            *secret(32, Alphabet::Alnum).unwrap(),
            *secret(32, Alphabet::Alnum).unwrap()
        );
    }
}
