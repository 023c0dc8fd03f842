//! Secrets the page makes so the sender never types one: a passphrase of
//! words from the EFF long word list, and a random password or key-like
//! string. Both pick uniformly with the platform CSPRNG (`getrandom`) by
//! rejection sampling, so no word or character is likelier than another.

use super::SendError;

/// Words in the EFF long list (`public/eff_large_wordlist.txt`, 6^5 dice rolls).
pub const WORD_LIST_LEN: usize = 7_776;

/// Words in a generated passphrase.
pub const PASSPHRASE_WORDS: usize = 6;

/// What joins the words: easy to read aloud, type and copy as one token.
const WORD_SEPARATOR: &str = "-";

/// Shortest and longest generated secret, in characters.
pub const SECRET_MIN_LEN: u32 = 8;
/// See [`SECRET_MIN_LEN`].
pub const SECRET_MAX_LEN: u32 = 256;
/// The length offered first.
pub const SECRET_DEFAULT_LEN: u32 = 32;

/// The characters a generated secret is drawn from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alphabet {
    /// `A-Z a-z 0-9`: fits anywhere a password or API key goes.
    Alphanumeric,
    /// Printable ASCII without space: the most bits per character.
    Symbols,
    /// `0-9 a-f`: a key in hex.
    Hex,
    /// `0-9`: a PIN.
    Digits,
}

impl Alphabet {
    /// Every alphabet, in the order the page offers them.
    pub const ALL: [Alphabet; 4] = [
        Alphabet::Alphanumeric,
        Alphabet::Symbols,
        Alphabet::Hex,
        Alphabet::Digits,
    ];

    /// The characters, each once.
    pub fn chars(self) -> &'static [u8] {
        match self {
            Alphabet::Alphanumeric => {
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
            }
            Alphabet::Symbols => {
                b"!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
            }
            Alphabet::Hex => b"0123456789abcdef",
            Alphabet::Digits => b"0123456789",
        }
    }

    /// A stable name for the page's `<select>`.
    pub fn key(self) -> &'static str {
        match self {
            Alphabet::Alphanumeric => "alnum",
            Alphabet::Symbols => "symbols",
            Alphabet::Hex => "hex",
            Alphabet::Digits => "digits",
        }
    }

    /// The alphabet of a [`Alphabet::key`].
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.key() == key)
    }
}

/// Bits of a uniform choice among `n` things, `length` times.
pub fn entropy_bits(n: usize, length: usize) -> f64 {
    (n as f64).log2() * length as f64
}

/// Fills `buf` from the platform CSPRNG.
fn os_random(buf: &mut [u8]) -> Result<(), SendError> {
    getrandom::fill(buf).map_err(|_| SendError::Browser(crate::failure::BrowserError::NoRandomness))
}

/// Uniform indexes below `n` (at most 2^16), drawn two bytes at a time from
/// `random`: values past the largest multiple of `n` are thrown away, so
/// every index is equally likely (no modulo bias).
fn uniform_indexes(
    n: usize,
    count: usize,
    mut random: impl FnMut(&mut [u8]) -> Result<(), SendError>,
) -> Result<Vec<usize>, SendError> {
    assert!((1..=1 << 16).contains(&n), "n must be 1..=65536");
    let zone = (1usize << 16) / n * n;
    let mut out = Vec::with_capacity(count);
    let mut buf = [0u8; 64];
    while out.len() < count {
        random(&mut buf)?;
        for pair in buf.chunks_exact(2) {
            let v = u16::from_le_bytes([pair[0], pair[1]]) as usize;
            if v < zone && out.len() < count {
                out.push(v % n);
            }
        }
    }
    Ok(out)
}

/// The words of the EFF long list as shipped (`11111<TAB>abacus` per line),
/// checked whole: exactly [`WORD_LIST_LEN`] distinct words, or an error
/// (a short list would give weaker passphrases than the page promises).
pub fn parse_word_list(text: &str) -> Result<Vec<String>, SendError> {
    let words: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.rsplit('\t').next().unwrap_or(l).trim().to_owned())
        .collect();
    let distinct: std::collections::HashSet<&String> = words.iter().collect();
    if words.len() != WORD_LIST_LEN || distinct.len() != WORD_LIST_LEN {
        return Err(SendError::WordList(format!(
            "{} words, {} distinct",
            words.len(),
            distinct.len()
        )));
    }
    Ok(words)
}

/// A passphrase of [`PASSPHRASE_WORDS`] words of `list`.
pub fn passphrase(list: &[String]) -> Result<String, SendError> {
    passphrase_from(list, os_random)
}

fn passphrase_from(
    list: &[String],
    random: impl FnMut(&mut [u8]) -> Result<(), SendError>,
) -> Result<String, SendError> {
    let picks = uniform_indexes(list.len(), PASSPHRASE_WORDS, random)?;
    Ok(picks
        .into_iter()
        .map(|i| list[i].as_str())
        .collect::<Vec<_>>()
        .join(WORD_SEPARATOR))
}

/// A random secret of `length` characters of `alphabet`.
pub fn random_secret(alphabet: Alphabet, length: u32) -> Result<String, SendError> {
    random_secret_from(alphabet, length, os_random)
}

fn random_secret_from(
    alphabet: Alphabet,
    length: u32,
    random: impl FnMut(&mut [u8]) -> Result<(), SendError>,
) -> Result<String, SendError> {
    let length = length.clamp(SECRET_MIN_LEN, SECRET_MAX_LEN) as usize;
    let chars = alphabet.chars();
    let picks = uniform_indexes(chars.len(), length, random)?;
    Ok(picks.into_iter().map(|i| chars[i] as char).collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A "random" source that counts up through every 16-bit value.
    fn counting() -> impl FnMut(&mut [u8]) -> Result<(), SendError> {
        let mut next = 0u32;
        move |buf: &mut [u8]| {
            for pair in buf.chunks_exact_mut(2) {
                pair.copy_from_slice(&(next as u16).to_le_bytes());
                next = (next + 1) % (1 << 16);
            }
            Ok(())
        }
    }

    #[test]
    fn every_index_is_equally_likely() {
        for n in [10usize, 16, 62, 94, WORD_LIST_LEN] {
            // One full sweep of the 16-bit values draws each index exactly
            // zone / n times; the values past the zone are thrown away.
            let zone = (1usize << 16) / n * n;
            let picks = uniform_indexes(n, zone, counting()).unwrap();
            let mut counts = vec![0usize; n];
            for i in picks {
                counts[i] += 1;
            }
            assert!(counts.iter().all(|&c| c == zone / n), "n = {n}");
        }
    }

    #[test]
    fn values_past_the_largest_multiple_are_thrown_away() {
        // 7776 * 8 = 62208: the first draw (62208) is refused, the next is 0.
        let mut values = [62_208u16, 0, 5, 7_775].into_iter().cycle();
        let random = move |buf: &mut [u8]| {
            for pair in buf.chunks_exact_mut(2) {
                pair.copy_from_slice(&values.next().unwrap().to_le_bytes());
            }
            Ok(())
        };
        assert_eq!(
            uniform_indexes(WORD_LIST_LEN, 3, random).unwrap(),
            [0, 5, 7_775]
        );
    }

    #[test]
    fn a_secret_has_the_asked_length_and_alphabet() {
        for alphabet in Alphabet::ALL {
            let secret = random_secret(alphabet, 40).unwrap();
            assert_eq!(secret.len(), 40);
            assert!(secret.bytes().all(|c| alphabet.chars().contains(&c)));
        }
        assert_eq!(
            random_secret(Alphabet::Hex, 1).unwrap().len(),
            SECRET_MIN_LEN as usize
        );
        assert_eq!(
            random_secret(Alphabet::Hex, 100_000).unwrap().len(),
            SECRET_MAX_LEN as usize
        );
        assert_ne!(
            random_secret(Alphabet::Alphanumeric, 32).unwrap(),
            random_secret(Alphabet::Alphanumeric, 32).unwrap()
        );
    }

    #[test]
    fn alphabets_hold_distinct_printable_characters() {
        let sizes: Vec<usize> = Alphabet::ALL.iter().map(|a| a.chars().len()).collect();
        assert_eq!(sizes, [62, 94, 16, 10]);
        for a in Alphabet::ALL {
            let set: std::collections::HashSet<_> = a.chars().iter().collect();
            assert_eq!(set.len(), a.chars().len());
            assert!(a.chars().iter().all(|c| c.is_ascii_graphic()));
            assert_eq!(Alphabet::from_key(a.key()), Some(a));
        }
    }

    #[test]
    fn the_shipped_word_list_is_the_eff_long_list() {
        let text = include_str!("../../../public/eff_large_wordlist.txt");
        let words = parse_word_list(text).unwrap();
        assert_eq!(words.len(), WORD_LIST_LEN);
        assert_eq!(words[0], "abacus");
        assert_eq!(words[WORD_LIST_LEN - 1], "zoom");
        let phrase = passphrase(&words).unwrap();
        assert_eq!(phrase.split(WORD_SEPARATOR).count(), PASSPHRASE_WORDS);
        assert!(phrase
            .split(WORD_SEPARATOR)
            .all(|w| words.contains(&w.to_owned())));
        let bits = entropy_bits(WORD_LIST_LEN, PASSPHRASE_WORDS);
        assert!((77.5..77.6).contains(&bits), "{bits}");
    }

    #[test]
    fn a_short_or_repeating_word_list_is_refused() {
        assert!(parse_word_list("11111\tabacus\n").is_err());
        let repeated = "11111\tsame\n".repeat(WORD_LIST_LEN);
        assert!(parse_word_list(&repeated).is_err());
    }

    #[test]
    fn passphrase_words_come_from_the_list_in_draw_order() {
        let list: Vec<String> = (0..WORD_LIST_LEN).map(|i| format!("w{i}")).collect();
        assert_eq!(
            passphrase_from(&list, counting()).unwrap(),
            "w0-w1-w2-w3-w4-w5"
        );
    }
}
