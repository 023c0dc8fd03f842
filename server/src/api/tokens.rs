//! Tokens the server issues and the hashes it keeps of them (protocol §5):
//! a token lives only in the answer that hands it out and in the client's
//! hands; the store sees its SHA-256.

use ots_proto::{ShareId, Token, SHARE_ID_SIZE, TOKEN_SIZE};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroize;

use super::error::ApiError;
use crate::store::Digest;

/// SHA-256 of the concatenation of `parts`.
pub(crate) fn sha256(parts: &[&[u8]]) -> Digest {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// What the store keeps of a token: its SHA-256.
pub(crate) fn token_hash(token: &Token) -> Digest {
    sha256(&[token.as_bytes()])
}

/// A fresh token: an upload or manage token, a ticket.
pub(crate) fn fresh_token() -> Result<Token, ApiError> {
    let mut bytes = [0u8; TOKEN_SIZE];
    fill_random(&mut bytes)?;
    let token = Token::from_bytes(bytes);
    bytes.zeroize();
    Ok(token)
}

/// A fresh share id.
pub(crate) fn fresh_id() -> Result<ShareId, ApiError> {
    let mut bytes = [0u8; SHARE_ID_SIZE];
    fill_random(&mut bytes)?;
    Ok(ShareId::from_bytes(bytes))
}

fn fill_random(bytes: &mut [u8]) -> Result<(), ApiError> {
    getrandom::fill(bytes).map_err(|e| ApiError::Internal(format!("getrandom: {e}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn fresh_tokens_differ_and_only_their_hash_is_kept() {
        let (a, b) = (fresh_token().unwrap(), fresh_token().unwrap());
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), sha256(&[a.as_bytes()]));
        assert_ne!(token_hash(&a), *a.as_bytes());
        assert_ne!(fresh_id().unwrap(), fresh_id().unwrap());
    }
}
