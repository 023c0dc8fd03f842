//! Where a password comes from: `--password-file`, `OTS_PASSWORD`, or a
//! no-echo prompt on the terminal, in that order.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The environment variable scripts put a password in.
pub const PASSWORD_ENV: &str = "OTS_PASSWORD";

/// A password source chosen from the flags and the environment.
#[derive(Debug, Clone)]
pub enum PasswordSource {
    /// The first line of a file.
    File(PathBuf),
    /// `OTS_PASSWORD`.
    Env,
    /// A no-echo prompt on the controlling terminal.
    Prompt,
}

impl PasswordSource {
    /// `--password-file` first, then `OTS_PASSWORD`, then the terminal.
    pub fn choose(file: Option<&Path>) -> Self {
        match file {
            Some(path) => Self::File(path.to_owned()),
            None if std::env::var_os(PASSWORD_ENV).is_some() => Self::Env,
            None => Self::Prompt,
        }
    }

    /// True when asking again after a wrong password makes sense.
    pub fn is_interactive(&self) -> bool {
        matches!(self, Self::Prompt)
    }

    /// Reads the password. `confirm` asks twice at a prompt (for senders).
    pub fn read(&self, prompt: &str, confirm: bool) -> Result<Zeroizing<String>> {
        let password = match self {
            Self::File(path) => {
                let text = Zeroizing::new(
                    std::fs::read_to_string(path)
                        .map_err(Error::io(format!("reading {}", path.display())))?,
                );
                first_line(&text)
            }
            Self::Env => {
                let text = Zeroizing::new(
                    std::env::var(PASSWORD_ENV)
                        .map_err(|_| Error::Usage(format!("{PASSWORD_ENV} is not valid UTF-8")))?,
                );
                first_line(&text)
            }
            Self::Prompt => {
                let first = prompt_once(prompt)?;
                if confirm {
                    let again = prompt_once("Repeat the password: ")?;
                    if *again != *first {
                        return Err(Error::Usage("the passwords do not match".into()));
                    }
                }
                first
            }
        };
        if password.is_empty() {
            return Err(Error::Usage("the password is empty".into()));
        }
        Ok(password)
    }
}

fn prompt_once(prompt: &str) -> Result<Zeroizing<String>> {
    // rpassword reads from the controlling terminal, so it works with
    // redirected stdin and fails cleanly without a terminal.
    rpassword::prompt_password(prompt)
        .map(Zeroizing::new)
        .map_err(|_| Error::PasswordNeeded)
}

/// The text up to the first line break: files and variables often end with one.
fn first_line(text: &str) -> Zeroizing<String> {
    let line = text.split(['\n', '\r']).next().unwrap_or_default();
    Zeroizing::new(line.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_file_keeps_only_its_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "hunter2 with spaces\r\nsecond line\n").unwrap();
        let pw = PasswordSource::File(path).read("", false).unwrap();
        assert_eq!(pw.as_str(), "hunter2 with spaces");
    }

    #[test]
    fn empty_password_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "\n").unwrap();
        let err = PasswordSource::File(path).read("", false).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
