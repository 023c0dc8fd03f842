//! The key schedule of protocol §2: the link secret `K`, the tokens and keys
//! derived from it with HKDF-SHA256, and the Argon2id password key.

use core::fmt;

use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use ots_proto::{KdfParams, Token, VERIFIER_SIZE};

use crate::b64;
use crate::error::{Error, Result};

/// Bytes in the link secret `K` (protocol §1).
pub const LINK_SECRET_SIZE: usize = 32;
/// Bytes in the Argon2id salt (protocol §2).
pub const ARGON2_SALT_SIZE: usize = 16;
/// Bytes in a ChaCha20-Poly1305 key, and in the Argon2id output.
pub const KEY_SIZE: usize = 32;

/// HKDF salt of the values derived from `K` alone (protocol §2).
const LINK_HKDF_SALT: &[u8] = b"onetimeshare/v1/link";
/// HKDF salt of the values derived from `K` and the password (protocol §2).
const CONTENT_HKDF_SALT: &[u8] = b"onetimeshare/v1/content";
const INFO_LINK_TOKEN: &[u8] = b"link-token";
const INFO_ARGON2_SALT: &[u8] = b"argon2id-salt";
const INFO_CLAIM_TOKEN: &[u8] = b"claim-token";
const INFO_META_KEY: &[u8] = b"meta-key";
const INFO_PAYLOAD_KEY: &[u8] = b"payload-key";

/// HKDF-SHA256 extract-then-expand into `N` bytes.
fn hkdf<const N: usize>(ikm: &[u8], salt: &[u8], info: &[u8]) -> [u8; N] {
    let mut okm = [0u8; N];
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, &mut okm)
        .expect("the protocol's HKDF outputs are far below 255 * 32 bytes");
    okm
}

/// Implements a redacted `Debug` so secrets never reach a log.
macro_rules! redacted_debug {
    ($ty:ident) => {
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($ty), "(<redacted>)"))
            }
        }
    };
}

/// The 32-byte link secret `K` that lives in the URL fragment (protocol §1).
///
/// Everything that can read a share is derived from it; it must never be
/// sent to the server or written to a log. Zeroized on drop; `Debug` prints
/// nothing of it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct LinkSecret([u8; LINK_SECRET_SIZE]);
redacted_debug!(LinkSecret);

impl LinkSecret {
    /// Makes a fresh secret from the platform CSPRNG (`crypto.getRandomValues`
    /// in the browser).
    pub fn generate() -> Result<Self> {
        let mut bytes = [0u8; LINK_SECRET_SIZE];
        getrandom::fill(&mut bytes).map_err(|_| Error::Random)?;
        Ok(Self(bytes))
    }

    /// Wraps known bytes (tests, vectors).
    pub fn from_bytes(bytes: [u8; LINK_SECRET_SIZE]) -> Self {
        Self(bytes)
    }

    /// The raw secret.
    pub fn as_bytes(&self) -> &[u8; LINK_SECRET_SIZE] {
        &self.0
    }

    /// The URL fragment form: 43 characters of base64url without padding.
    pub fn to_fragment(&self) -> String {
        b64::encode(self.0)
    }

    /// Parses the URL fragment form (without the `#`).
    pub fn from_fragment(fragment: &str) -> Result<Self> {
        Ok(Self(b64::decode_array(fragment, "link secret")?))
    }
}

/// The verifier of a token (protocol §2, §5): `SHA-256(token)`, what the
/// server stores and compares instead of the token.
pub trait Verifier {
    /// `SHA-256(token)`.
    fn verifier(&self) -> [u8; VERIFIER_SIZE];

    /// [`Verifier::verifier`] as base64url without padding.
    fn verifier_b64(&self) -> String {
        b64::encode(self.verifier())
    }
}

impl Verifier for Token {
    fn verifier(&self) -> [u8; VERIFIER_SIZE] {
        Sha256::digest(self.as_bytes()).into()
    }
}

/// The values derived from `K` alone (protocol §2): what a client needs
/// before it knows whether there is a password.
#[derive(Clone)]
pub struct LinkKeys {
    link_token: Token,
    argon2_salt: [u8; ARGON2_SALT_SIZE],
}

impl fmt::Debug for LinkKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkKeys(<redacted>)")
    }
}

impl LinkKeys {
    /// `link_token` and `argon2_salt` of protocol §2.
    pub fn derive(secret: &LinkSecret) -> Self {
        Self {
            link_token: Token::from_bytes(hkdf(&secret.0, LINK_HKDF_SALT, INFO_LINK_TOKEN)),
            argon2_salt: hkdf(&secret.0, LINK_HKDF_SALT, INFO_ARGON2_SALT),
        }
    }

    /// Proves to the server that the caller holds the whole link.
    pub fn link_token(&self) -> &Token {
        &self.link_token
    }

    /// The Argon2id salt of this share.
    pub fn argon2_salt(&self) -> [u8; ARGON2_SALT_SIZE] {
        self.argon2_salt
    }
}

/// The 32-byte Argon2id output `pw_key` of protocol §2. Zeroized on drop.
///
/// Deriving it is the only slow step of the key schedule, so it is separate:
/// a browser runs it in a Web Worker and hands the result back.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct PasswordKey([u8; KEY_SIZE]);
redacted_debug!(PasswordKey);

/// The NFC form of `password`, or `None` when it is NFC already.
///
/// Natively: into a buffer that never reallocates (NFC grows a string by
/// at most 3x), so no unzeroized copy of the password is left behind.
#[cfg(not(target_arch = "wasm32"))]
fn nfc(password: &str) -> Option<Zeroizing<String>> {
    use unicode_normalization::UnicodeNormalization;
    if unicode_normalization::is_nfc(password) {
        return None;
    }
    let mut buf = Zeroizing::new(String::with_capacity(password.len() * 3));
    buf.extend(password.nfc());
    Some(buf)
}

/// The NFC form of `password`, or `None` when it is NFC already.
///
/// In the browser: `String.prototype.normalize("NFC")`, the browser's own
/// Unicode tables, which keeps about 100 KB of tables out of the page's
/// wasm. The password came from a page field, so it is a JS string
/// already; the copy made here is zeroized when dropped.
#[cfg(target_arch = "wasm32")]
fn nfc(password: &str) -> Option<Zeroizing<String>> {
    if password.is_ascii() {
        return None;
    }
    let normalized: String = js_sys::JsString::from(password).normalize("NFC").into();
    (normalized != password).then(|| Zeroizing::new(normalized))
}

impl PasswordKey {
    /// Argon2id (version 0x13, no secret, no associated data) of the UTF-8
    /// bytes of the NFC form of `password`, salted with the share's
    /// `argon2_salt` (protocol §2).
    ///
    /// `params` are validated before anything is allocated. An empty
    /// password is [`Error::EmptyPassword`]: it means "no password", so
    /// callers derive [`ContentKeys`] with `None`.
    pub fn derive(secret: &LinkSecret, password: &str, params: &KdfParams) -> Result<Self> {
        params.validate()?;
        if password.is_empty() {
            return Err(Error::EmptyPassword);
        }
        let salt = LinkKeys::derive(secret).argon2_salt;

        let normalized = nfc(password);
        let password = normalized.as_deref().map_or(password, |s| s.as_str());

        let argon_params = argon2::Params::new(params.m_kib, params.t, params.p, Some(KEY_SIZE))
            .map_err(|_| Error::Argon2("parameters refused"))?;
        let argon = argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon_params,
        );
        let mut key = Self([0u8; KEY_SIZE]);
        argon
            .hash_password_into(password.as_bytes(), &salt, &mut key.0)
            .map_err(|e| match e {
                argon2::Error::OutOfMemory => Error::Argon2("out of memory"),
                _ => Error::Argon2("input refused"),
            })?;
        Ok(key)
    }

    /// Wraps known bytes (e.g. the result handed back by a Web Worker).
    pub fn from_bytes(bytes: [u8; KEY_SIZE]) -> Self {
        Self(bytes)
    }

    /// The raw key, e.g. to hand it from a Web Worker back to the page.
    pub fn as_bytes(&self) -> &[u8; KEY_SIZE] {
        &self.0
    }
}

/// The key that seals the meta record (protocol §3). Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MetaKey(pub(crate) [u8; KEY_SIZE]);
redacted_debug!(MetaKey);

/// The key of the STREAM payload (protocol §4). Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct PayloadKey(pub(crate) [u8; KEY_SIZE]);
redacted_debug!(PayloadKey);

impl MetaKey {
    /// Wraps known bytes (tests, vectors).
    pub fn from_bytes(bytes: [u8; KEY_SIZE]) -> Self {
        Self(bytes)
    }

    /// The raw key.
    pub fn as_bytes(&self) -> &[u8; KEY_SIZE] {
        &self.0
    }
}

impl PayloadKey {
    /// Wraps known bytes (tests, vectors).
    pub fn from_bytes(bytes: [u8; KEY_SIZE]) -> Self {
        Self(bytes)
    }

    /// A copy of `bytes` as a key (a key handed over as a byte slice, as
    /// the browser's workers get it); `None` unless they are exactly
    /// [`KEY_SIZE`] bytes. The caller still owns, and wipes, `bytes`.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != KEY_SIZE {
            return None;
        }
        let mut key = Self([0; KEY_SIZE]);
        key.0.copy_from_slice(bytes);
        Some(key)
    }

    /// The raw key.
    pub fn as_bytes(&self) -> &[u8; KEY_SIZE] {
        &self.0
    }
}

/// The values derived from `K` and, if there is one, the password
/// (protocol §2): what a client needs to claim and read a share.
#[derive(Clone)]
pub struct ContentKeys {
    claim_token: Token,
    meta_key: MetaKey,
    payload_key: PayloadKey,
}

impl fmt::Debug for ContentKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ContentKeys(<redacted>)")
    }
}

impl ContentKeys {
    /// `claim_token`, `meta_key` and `payload_key` from
    /// `IKM = K || pw_key` with a password, `IKM = K` without (protocol §2).
    pub fn derive(secret: &LinkSecret, password_key: Option<&PasswordKey>) -> Self {
        let mut ikm = Zeroizing::new([0u8; LINK_SECRET_SIZE + KEY_SIZE]);
        ikm[..LINK_SECRET_SIZE].copy_from_slice(&secret.0);
        let ikm: &[u8] = match password_key {
            Some(pw) => {
                ikm[LINK_SECRET_SIZE..].copy_from_slice(&pw.0);
                &ikm[..]
            }
            None => &ikm[..LINK_SECRET_SIZE],
        };
        Self {
            claim_token: Token::from_bytes(hkdf(ikm, CONTENT_HKDF_SALT, INFO_CLAIM_TOKEN)),
            meta_key: MetaKey(hkdf(ikm, CONTENT_HKDF_SALT, INFO_META_KEY)),
            payload_key: PayloadKey(hkdf(ikm, CONTENT_HKDF_SALT, INFO_PAYLOAD_KEY)),
        }
    }

    /// Proves to the server that the caller holds the link and the password.
    pub fn claim_token(&self) -> &Token {
        &self.claim_token
    }

    /// Seals and opens the meta record.
    pub fn meta_key(&self) -> &MetaKey {
        &self.meta_key
    }

    /// Seals and opens the payload.
    pub fn payload_key(&self) -> &PayloadKey {
        &self.payload_key
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn a_payload_key_from_a_slice_is_exactly_32_bytes() {
        let bytes: Vec<u8> = (0..33).collect();
        let key = PayloadKey::from_slice(&bytes[..32]).unwrap();
        assert_eq!(key.as_bytes()[..], bytes[..32]);
        for len in [0, 1, 31, 33] {
            assert!(
                PayloadKey::from_slice(&bytes[..len]).is_none(),
                "{len} bytes"
            );
        }
    }

    #[test]
    fn debug_of_secrets_prints_nothing_of_them() {
        let secret = LinkSecret::from_bytes([0xab; 32]);
        let keys = ContentKeys::derive(&secret, None);
        for printed in [
            format!("{secret:?}"),
            format!("{:?}", keys.claim_token()),
            format!("{:?}", keys.meta_key()),
            format!("{:?}", keys.payload_key()),
            format!("{keys:?}"),
            format!("{:?}", LinkKeys::derive(&secret)),
            format!("{:?}", PasswordKey::from_bytes([0xab; 32])),
        ] {
            assert!(printed.contains("<redacted>"), "{printed}");
            assert!(!printed.to_lowercase().contains("ab"), "{printed}");
        }
    }

    #[test]
    fn fragment_round_trips() {
        let secret = LinkSecret::generate().unwrap();
        let back = LinkSecret::from_fragment(&secret.to_fragment()).unwrap();
        assert_eq!(back.as_bytes(), secret.as_bytes());
        assert_eq!(secret.to_fragment().len(), 43);
    }

    #[test]
    fn generated_secrets_differ() {
        let a = LinkSecret::generate().unwrap();
        let b = LinkSecret::generate().unwrap();
        assert_ne!(a.as_bytes(), b.as_bytes());
    }

    #[test]
    fn fragment_of_wrong_length_is_refused() {
        assert!(matches!(
            LinkSecret::from_fragment("AAAA"),
            Err(Error::Length { expected: 32, .. })
        ));
        assert!(matches!(
            LinkSecret::from_fragment(""),
            Err(Error::Length {
                what: "link secret",
                expected: 32,
                actual: 0
            })
        ));
    }

    #[test]
    fn kdf_params_accept_the_bounds_themselves() {
        for params in [
            KdfParams {
                m_kib: 8192,
                t: 1,
                p: 1,
            },
            KdfParams {
                m_kib: 262_144,
                t: 10,
                p: 4,
            },
            KdfParams::DEFAULT,
        ] {
            params.validate().unwrap();
        }
    }

    #[test]
    fn kdf_params_out_of_bounds_are_refused() {
        let ok = KdfParams::DEFAULT;
        for (bad, name) in [
            (KdfParams { m_kib: 8191, ..ok }, "m_kib"),
            (
                KdfParams {
                    m_kib: 262_145,
                    ..ok
                },
                "m_kib",
            ),
            (
                KdfParams {
                    m_kib: u32::MAX,
                    ..ok
                },
                "m_kib",
            ),
            (KdfParams { t: 0, ..ok }, "t"),
            (KdfParams { t: 11, ..ok }, "t"),
            (KdfParams { p: 0, ..ok }, "p"),
            (KdfParams { p: 5, ..ok }, "p"),
        ] {
            match bad.validate().map_err(Error::from) {
                Err(Error::KdfOutOfBounds { name: got, .. }) => assert_eq!(got, name),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn password_key_refuses_huge_memory_before_allocating() {
        // 4 TiB would abort the test process if it were allocated.
        let huge = KdfParams {
            m_kib: u32::MAX,
            t: 1,
            p: 1,
        };
        let secret = LinkSecret::from_bytes([1; 32]);
        assert!(matches!(
            PasswordKey::derive(&secret, "pw", &huge),
            Err(Error::KdfOutOfBounds { name: "m_kib", .. })
        ));
    }

    #[test]
    fn password_key_refuses_empty_password() {
        let secret = LinkSecret::from_bytes([1; 32]);
        let small = KdfParams {
            m_kib: 8192,
            t: 1,
            p: 1,
        };
        assert_eq!(
            PasswordKey::derive(&secret, "", &small).unwrap_err(),
            Error::EmptyPassword
        );
    }

    // Also on wasm32, where NFC is the JS engine's.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn password_is_normalized_to_nfc() {
        let secret = LinkSecret::from_bytes([2; 32]);
        let small = KdfParams {
            m_kib: 8192,
            t: 1,
            p: 1,
        };
        let composed = PasswordKey::derive(&secret, "\u{e9}t\u{e9}", &small).unwrap();
        let decomposed = PasswordKey::derive(&secret, "e\u{301}te\u{301}", &small).unwrap();
        let other = PasswordKey::derive(&secret, "ete", &small).unwrap();
        assert_eq!(composed.as_bytes(), decomposed.as_bytes());
        assert_ne!(composed.as_bytes(), other.as_bytes());
    }

    #[test]
    fn password_changes_every_content_key_but_not_the_link_token() {
        let secret = LinkSecret::from_bytes([3; 32]);
        let plain = ContentKeys::derive(&secret, None);
        let pw = PasswordKey::from_bytes([4; 32]);
        let with = ContentKeys::derive(&secret, Some(&pw));
        assert_ne!(
            plain.claim_token().as_bytes(),
            with.claim_token().as_bytes()
        );
        assert_ne!(plain.meta_key().as_bytes(), with.meta_key().as_bytes());
        assert_ne!(
            plain.payload_key().as_bytes(),
            with.payload_key().as_bytes()
        );
    }

    #[test]
    fn kdf_params_use_the_protocol_json_names() {
        let json = serde_json::to_string(&KdfParams::DEFAULT).unwrap();
        assert_eq!(json, r#"{"m_kib":65536,"t":3,"p":1}"#);
        let back: KdfParams = serde_json::from_str(&json).unwrap();
        assert_eq!(back, KdfParams::DEFAULT);
    }
}
