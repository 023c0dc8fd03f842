//! Plain helpers for what the pages show: sizes, durations, rates and
//! password strength. No browser APIs, so they test natively. The
//! protocol's own numbers and names are `ots_proto`'s. Words and numbers
//! come from the catalogs (`locales/`), in the reader's language.

use leptos_i18n::reexports::fixed_decimal::UnsignedDecimal;

use crate::i18n::{td_string, Locale};

/// `1.5 MiB`, `980 B`: binary units with one decimal above a kibibyte,
/// the number written as `locale` writes numbers (`1,5 MiB` in German).
pub fn human_bytes(locale: Locale, bytes: u64) -> String {
    if bytes < 1024 {
        return td_string!(locale, units.bytes, n = bytes).to_string();
    }
    // Integers only: the unit is the largest that leaves less than 1024 of
    // it (up to PiB), and the amount is rounded half up to tenths of it.
    let bytes = u128::from(bytes);
    let mut unit = 0u32;
    while unit + 1 < 5 && bytes >= 1024u128.pow(unit + 2) {
        unit += 1;
    }
    let size = 1024u128.pow(unit + 1);
    let tenths = (bytes * 10 + size / 2) / size;
    // One decimal below 100, none above; "2.0 GiB" reads as more precise
    // than it is, so a zero decimal goes.
    let n = if tenths >= 1000 {
        UnsignedDecimal::from((bytes * 2 + size) / (size * 2))
    } else {
        UnsignedDecimal::from(tenths)
            .multiplied_pow10(-1)
            .trimmed_end()
    };
    match unit {
        0 => td_string!(locale, units.kib, n = n),
        1 => td_string!(locale, units.mib, n = n),
        2 => td_string!(locale, units.gib, n = n),
        3 => td_string!(locale, units.tib, n = n),
        _ => td_string!(locale, units.pib, n = n),
    }
    .to_string()
}

/// `5 minutes`, `1 day`, `3 days 4 hours`: at most the two largest
/// adjacent units, with each language's plural forms.
pub fn human_duration(locale: Locale, secs: u64) -> String {
    const UNITS: [u64; 4] = [86_400, 3_600, 60, 1];
    let count = |size: u64, n: u64| match size {
        86_400 => td_string!(locale, units.days, count = n).to_string(),
        3_600 => td_string!(locale, units.hours, count = n).to_string(),
        60 => td_string!(locale, units.minutes, count = n).to_string(),
        _ => td_string!(locale, units.seconds, count = n).to_string(),
    };
    if secs == 0 {
        return count(1, 0);
    }
    let mut rest = secs;
    let mut parts = Vec::new();
    for size in UNITS {
        if rest >= size && parts.len() < 2 {
            parts.push(count(size, rest / size));
            rest %= size;
        } else if !parts.is_empty() {
            // Only adjacent units: "1 day 3 seconds" says nothing useful.
            break;
        }
    }
    match parts.as_slice() {
        [first, second] => {
            td_string!(locale, units.two_units, first = first, second = second).to_string()
        }
        _ => parts.concat(),
    }
}

/// `12 MiB/s`, for a progress line.
pub fn human_rate(locale: Locale, bytes_per_sec: f64) -> String {
    if !bytes_per_sec.is_finite() || bytes_per_sec <= 0.0 {
        return "–".to_string();
    }
    let amount = human_bytes(locale, bytes_per_sec as u64);
    td_string!(locale, units.per_second, amount = amount).to_string()
}

/// The progress line under a bar: done of total, rate and time left.
pub fn progress_line(locale: Locale, done: u64, total: u64, elapsed_secs: f64) -> String {
    let done_text = human_bytes(locale, done);
    let total_text = human_bytes(locale, total);
    let mut line = td_string!(
        locale,
        units.done_of_total,
        done = done_text,
        total = total_text
    )
    .to_string();
    if elapsed_secs > 0.25 && done > 0 {
        let rate = done as f64 / elapsed_secs;
        line.push_str(" · ");
        line.push_str(&human_rate(locale, rate));
        if total > done {
            let eta = ((total - done) as f64 / rate).ceil() as u64;
            let time = human_duration(locale, eta.max(1));
            line.push_str(" · ");
            line.push_str(&td_string!(locale, units.time_left, time = time).to_string());
        }
    }
    line
}

/// How strong a password looks, for the hint beside the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strength {
    /// No password: the link alone opens the share.
    None,
    /// Guessable in little time even through Argon2id.
    Weak,
    /// Fine against a casual guesser.
    Fair,
    /// Long and varied.
    Strong,
}

impl Strength {
    /// A short class name for styling.
    pub fn class(self) -> &'static str {
        match self {
            Strength::None => "none",
            Strength::Weak => "weak",
            Strength::Fair => "fair",
            Strength::Strong => "strong",
        }
    }
}

/// A rough estimate from length and character variety (bits of a random
/// password of that shape); enough for a hint, not a guarantee.
pub fn password_strength(password: &str) -> Strength {
    if password.is_empty() {
        return Strength::None;
    }
    let (mut lower, mut upper, mut digit, mut other) = (false, false, false, false);
    for c in password.chars() {
        if c.is_lowercase() {
            lower = true;
        } else if c.is_uppercase() {
            upper = true;
        } else if c.is_ascii_digit() {
            digit = true;
        } else {
            other = true;
        }
    }
    let alphabet = [(lower, 26.0), (upper, 26.0), (digit, 10.0), (other, 33.0)]
        .iter()
        .filter(|(present, _)| *present)
        .map(|(_, size)| size)
        .sum::<f64>();
    let distinct = {
        let mut chars: Vec<char> = password.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        chars.len()
    };
    // Repeated characters add little: count length as the distinct ones plus a third of the rest.
    let len = password.chars().count();
    let effective = distinct as f64 + (len - distinct) as f64 / 3.0;
    let bits = effective * f64::log2(alphabet.max(2.0));
    if bits < 45.0 {
        Strength::Weak
    } else if bits < 80.0 {
        Strength::Fair
    } else {
        Strength::Strong
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ots_proto::max_plaintext_for;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn human_bytes_uses_binary_units() {
        let english = Locale::en;
        assert_eq!(human_bytes(english, 0), "0 B");
        assert_eq!(human_bytes(english, 1023), "1,023 B");
        assert_eq!(human_bytes(english, 1024), "1 KiB");
        assert_eq!(human_bytes(english, 1536), "1.5 KiB");
        assert_eq!(human_bytes(english, 50 * MIB), "50 MiB");
        assert_eq!(human_bytes(english, 1024 * 1024 * 1024), "1 GiB");
        assert_eq!(human_bytes(english, max_plaintext_for(2 << 30)), "2 GiB");
        assert_eq!(human_bytes(english, 1023 * 1024), "1,023 KiB");
    }

    #[test]
    fn human_bytes_rounds_half_up_to_tenths_below_a_hundred() {
        let english = Locale::en;
        // 1.25 KiB, 1.0498 KiB, 99.96 MiB, 100.5 MiB, the largest u64.
        assert_eq!(human_bytes(english, 1280), "1.3 KiB");
        assert_eq!(human_bytes(english, 1075), "1 KiB");
        assert_eq!(human_bytes(english, 2048), "2 KiB");
        assert_eq!(human_bytes(english, 99 * MIB + 983 * 1024), "100 MiB");
        assert_eq!(human_bytes(english, 100 * MIB + MIB / 2), "101 MiB");
        assert_eq!(human_bytes(english, 15 * MIB / 10), "1.5 MiB");
        assert_eq!(human_bytes(english, u64::MAX), "16,384 PiB");
    }

    #[test]
    fn numbers_are_written_as_each_language_writes_them() {
        assert_eq!(human_bytes(Locale::de, 1536), "1,5 KiB");
        assert_eq!(human_bytes(Locale::de, 1023), "1.023 B");
        // CLDR writes Arabic (`ar`, no region) with Latin digits; the size is
        // isolated left to right (LRI … PDI), so that "1.5 KiB" does not read
        // as "KiB 1.5" inside a right-to-left sentence.
        assert_eq!(human_bytes(Locale::ar, 1536), "\u{2066}1.5 KiB\u{2069}");
    }

    #[test]
    fn human_duration_keeps_two_adjacent_units() {
        let english = Locale::en;
        assert_eq!(human_duration(english, 300), "5 minutes");
        assert_eq!(human_duration(english, 86_400), "1 day");
        assert_eq!(human_duration(english, 90_061), "1 day 1 hour");
        assert_eq!(human_duration(english, 86_401), "1 day");
        assert_eq!(human_duration(english, 1), "1 second");
        assert_eq!(human_duration(english, 0), "0 seconds");
    }

    #[test]
    fn durations_take_each_language_s_plural_forms() {
        assert_eq!(human_duration(Locale::de, 7_200), "2 Stunden");
        assert_eq!(human_duration(Locale::de, 3_600), "1 Stunde");
        // Arabic has a dual and a "few" form (3–10).
        assert_eq!(human_duration(Locale::ar, 7_200), "ساعتان");
        assert_eq!(human_duration(Locale::ar, 3 * 3_600), "3 ساعات");
        assert_eq!(human_duration(Locale::ar, 11 * 60), "11 دقيقة");
    }

    #[test]
    fn password_strength_grows_with_length_and_variety() {
        assert_eq!(password_strength(""), Strength::None);
        assert_eq!(password_strength("hunter2"), Strength::Weak);
        assert_eq!(password_strength("aaaaaaaaaaaaaaaaaaaa"), Strength::Weak);
        assert_eq!(password_strength("Tr0ub4dor&3x"), Strength::Fair);
        assert_eq!(
            password_strength("correct horse battery staple 42"),
            Strength::Strong
        );
    }

    #[test]
    fn progress_line_shows_rate_and_eta() {
        let english = Locale::en;
        assert_eq!(progress_line(english, 0, MIB, 0.0), "0 B of 1 MiB");
        assert_eq!(
            progress_line(english, MIB, 2 * MIB, 1.0),
            "1 MiB of 2 MiB · 1 MiB/s · 1 second left"
        );
    }
}
