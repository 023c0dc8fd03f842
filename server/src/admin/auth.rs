//! The console password: an Argon2id PHC string in the settings, checked off
//! the async threads, and `onetimeshare hash-password`, which makes one.

use std::io::{BufRead, IsTerminal, Write};

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use zeroize::Zeroizing;

use super::AdminError;

/// Bytes of a PHC salt.
const SALT_BYTES: usize = 16;
/// The PHC algorithm identifier accepted.
const ARGON2ID: &str = "argon2id";

/// A checked Argon2id PHC string (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`).
#[derive(Clone)]
pub(crate) struct PasswordCheck {
    phc: Zeroizing<String>,
}

impl std::fmt::Debug for PasswordCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordCheck(..)")
    }
}

impl PasswordCheck {
    /// Parses a PHC string; anything but Argon2id with a salt and a hash is refused.
    pub(crate) fn parse(phc: &str) -> Result<Self, AdminError> {
        let phc = phc.trim();
        let parsed = PasswordHash::new(phc).map_err(|e| {
            AdminError::Config(format!(
                "--admin-password-hash is not a PHC string ({e}); make one with `onetimeshare hash-password`"
            ))
        })?;
        if parsed.algorithm.as_str() != ARGON2ID || parsed.salt.is_none() || parsed.hash.is_none() {
            return Err(AdminError::Config(
                "--admin-password-hash must be an Argon2id PHC string ($argon2id$...); make one with `onetimeshare hash-password`".into(),
            ));
        }
        Ok(Self {
            phc: Zeroizing::new(phc.to_owned()),
        })
    }

    /// The PHC string's bytes: key material the console derives its form key from.
    pub(crate) fn material(&self) -> &[u8] {
        self.phc.as_bytes()
    }

    /// Whether `password` is the one (slow on purpose: run it off the async threads).
    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        PasswordHash::new(&self.phc)
            .is_ok_and(|h| Argon2::default().verify_password(password, &h).is_ok())
    }
}

/// The PHC string of `password` with a fresh salt and Argon2id's default cost.
pub(crate) fn hash_password(password: &[u8]) -> Result<String, AdminError> {
    let mut salt = [0u8; SALT_BYTES];
    getrandom::fill(&mut salt).map_err(|e| AdminError::Config(format!("getrandom: {e}")))?;
    Argon2::default()
        .hash_password_with_salt(password, &salt)
        .map(|h| h.to_string())
        .map_err(|e| AdminError::Config(format!("could not hash the password: {e}")))
}

/// `onetimeshare hash-password`: asks twice on a terminal (no echo), or reads
/// one line from stdin otherwise, and prints the PHC string on stdout.
pub fn hash_password_command() -> Result<(), AdminError> {
    let password = if std::io::stdin().is_terminal() {
        let first = Zeroizing::new(rpassword::prompt_password("Console password: ")?);
        let again = Zeroizing::new(rpassword::prompt_password("Again: ")?);
        if *first != *again {
            return Err(AdminError::Config(
                "the two passwords differ; nothing was printed".into(),
            ));
        }
        first
    } else {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin().lock().read_line(&mut line)?;
        let trimmed = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned());
        trimmed
    };
    if password.is_empty() {
        return Err(AdminError::Config(
            "the password is empty; nothing was printed".into(),
        ));
    }
    let phc = hash_password(password.as_bytes())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{phc}")?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let phc = hash_password(b"correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
        let check = PasswordCheck::parse(&phc).unwrap();
        assert!(check.verify(b"correct horse"));
        assert!(!check.verify(b"correct horse "));
        assert!(!check.verify(b""));
        assert_ne!(hash_password(b"correct horse").unwrap(), phc, "fresh salt");
    }

    #[test]
    fn only_argon2id_phc_strings_are_accepted() {
        for bad in [
            "",
            "hunter2",
            "$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
            "$argon2id$v=19$m=19456,t=2,p=1",
        ] {
            assert!(PasswordCheck::parse(bad).is_err(), "{bad}");
        }
        let msg = PasswordCheck::parse("nope").unwrap_err().to_string();
        assert!(msg.contains("hash-password"), "{msg}");
    }
}
