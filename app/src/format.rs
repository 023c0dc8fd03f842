//! Plain helpers for what the pages show: sizes, durations, rates and
//! password strength. No browser APIs, so they test natively. The
//! protocol's own numbers and names are `ots_proto`'s.

/// `1.5 MiB`, `980 B`: binary units with one decimal above a kibibyte.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let shown = if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    };
    // "2.0 GiB" reads as more precise than it is: drop a zero decimal.
    let shown = shown.strip_suffix(".0").unwrap_or(&shown);
    format!("{shown} {}", UNITS[unit])
}

/// `5 minutes`, `1 day`, `3 days 4 hours`: at most the two largest units.
pub fn human_duration(secs: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (86_400, "day"),
        (3_600, "hour"),
        (60, "minute"),
        (1, "second"),
    ];
    if secs == 0 {
        return "0 seconds".to_string();
    }
    let mut rest = secs;
    let mut parts = Vec::new();
    for (size, name) in UNITS {
        if rest >= size && parts.len() < 2 {
            let n = rest / size;
            rest %= size;
            parts.push(format!("{n} {name}{}", if n == 1 { "" } else { "s" }));
        } else if !parts.is_empty() {
            // Only adjacent units: "1 day 3 seconds" says nothing useful.
            break;
        }
    }
    parts.join(" ")
}

/// `12.0 MiB/s`, for a progress line.
pub fn human_rate(bytes_per_sec: f64) -> String {
    if !bytes_per_sec.is_finite() || bytes_per_sec <= 0.0 {
        return "–".to_string();
    }
    format!("{}/s", human_bytes(bytes_per_sec as u64))
}

/// The progress line under a bar: done of total, rate and time left.
pub fn progress_line(done: u64, total: u64, elapsed_secs: f64) -> String {
    let mut line = format!("{} of {}", human_bytes(done), human_bytes(total));
    if elapsed_secs > 0.25 && done > 0 {
        let rate = done as f64 / elapsed_secs;
        line.push_str(" · ");
        line.push_str(&human_rate(rate));
        if total > done {
            let eta = ((total - done) as f64 / rate).ceil() as u64;
            line.push_str(" · ");
            line.push_str(&human_duration(eta.max(1)));
            line.push_str(" left");
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
    /// The words shown to the sender.
    pub fn label(self) -> &'static str {
        match self {
            Strength::None => "No password: anyone with the link can open it.",
            Strength::Weak => "Weak password: easy to guess.",
            Strength::Fair => "Fair password.",
            Strength::Strong => "Strong password.",
        }
    }

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
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1024), "1 KiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(50 * MIB), "50 MiB");
        assert_eq!(human_bytes(1024 * 1024 * 1024), "1 GiB");
        assert_eq!(human_bytes(max_plaintext_for(2 << 30)), "2 GiB");
        assert_eq!(human_bytes(1023 * 1024), "1023 KiB");
    }

    #[test]
    fn human_duration_keeps_two_adjacent_units() {
        assert_eq!(human_duration(300), "5 minutes");
        assert_eq!(human_duration(86_400), "1 day");
        assert_eq!(human_duration(90_061), "1 day 1 hour");
        assert_eq!(human_duration(86_401), "1 day");
        assert_eq!(human_duration(1), "1 second");
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
        assert_eq!(progress_line(0, MIB, 0.0), "0 B of 1 MiB");
        assert_eq!(
            progress_line(MIB, 2 * MIB, 1.0),
            "1 MiB of 2 MiB · 1 MiB/s · 1 second left"
        );
    }
}
