//! The one error type of the crate.

/// Everything that can go wrong in `ots-crypto`.
///
/// Decryption failures of any kind (a wrong key, a wrong password, a flipped
/// bit, a truncated or reordered payload) are deliberately one variant,
/// [`Error::Decrypt`], so that callers cannot leak which check failed
/// (protocol §4).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A sealed meta record or payload did not authenticate, or is shaped
    /// in a way no honest sender produces (protocol §3, §4).
    #[error("the share is damaged or the key is wrong")]
    Decrypt,

    /// A piece of a payload given to [`seal_records`](crate::seal_records)
    /// is not whole chunks, or is an empty piece that is not the whole payload.
    #[error("a piece of a payload must be whole 64 KiB chunks, except the payload's last")]
    Records,

    /// A value was not base64url without padding (RFC 4648 §5).
    #[error("invalid base64url: expected RFC 4648 §5 characters without padding")]
    Base64,

    /// A decoded value had the wrong number of bytes.
    #[error("{what} must be {expected} bytes, got {actual}")]
    Length {
        /// What was being decoded, e.g. "link secret".
        what: &'static str,
        /// The number of bytes the protocol requires.
        expected: usize,
        /// The number of bytes that were given.
        actual: usize,
    },

    /// A share or manage link could not be parsed (protocol §1).
    #[error("malformed link: {0}")]
    Link(&'static str),

    /// A KDF parameter is outside the bounds of protocol §2.
    #[error("kdf parameter {name} = {value} is outside {min}..={max}")]
    KdfOutOfBounds {
        /// The JSON name of the parameter: `m_kib`, `t` or `p`.
        name: &'static str,
        /// The value that was given.
        value: u32,
        /// The smallest value allowed.
        min: u32,
        /// The largest value allowed.
        max: u32,
    },

    /// An empty password was given to [`crate::PasswordKey::derive`]; an
    /// empty password means "no password" (protocol §2), so pass `None` to
    /// [`crate::ContentKeys::derive`] instead.
    #[error("an empty password means no password: derive the content keys without one")]
    EmptyPassword,

    /// Argon2id could not run, e.g. because its memory could not be allocated.
    #[error("argon2id failed: {0}")]
    Argon2(&'static str),

    /// The sealed meta record would exceed [`crate::META_MAX_SEALED_SIZE`].
    #[error("the sealed meta record is {size} bytes, over the limit of 4096")]
    MetaTooLarge {
        /// The size the sealed record would have had.
        size: usize,
    },

    /// A meta record authenticated but its JSON is not the shape of
    /// protocol §3. The JSON itself is not repeated here: it may name a file.
    #[error("the meta record is not valid protocol v1 json")]
    MetaJson,

    /// The platform random number generator failed.
    #[error("the platform random number generator failed")]
    Random,
}

impl From<ots_proto::DecodeError> for Error {
    fn from(e: ots_proto::DecodeError) -> Self {
        match e {
            ots_proto::DecodeError::Base64 => Error::Base64,
            ots_proto::DecodeError::Length {
                what,
                expected,
                actual,
            } => Error::Length {
                what,
                expected,
                actual,
            },
        }
    }
}

impl From<ots_proto::KdfOutOfBounds> for Error {
    fn from(e: ots_proto::KdfOutOfBounds) -> Self {
        Error::KdfOutOfBounds {
            name: e.name,
            value: e.value,
            min: e.min,
            max: e.max,
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;
