//! Fuzzes the parsers of protocol §1: share and manage links, share ids,
//! link fragments, tokens and base64url. They must never panic, and what
//! they accept must print back to something they accept identically.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ots_crypto::{b64, LinkSecret, ManageLink, ShareId, ShareLink, Token};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    if let Ok(link) = ShareLink::parse(text) {
        let printed = link.to_string();
        let again = ShareLink::parse(&printed).expect("a printed share link parses");
        assert_eq!(again.to_string(), printed);
        assert_eq!(again.secret.as_bytes(), link.secret.as_bytes());
        assert_eq!(again.id, link.id);
    }
    if let Ok(link) = ManageLink::parse(text) {
        let printed = link.to_string();
        let again = ManageLink::parse(&printed).expect("a printed manage link parses");
        assert_eq!(again.to_string(), printed);
        assert_eq!(again.token.as_bytes(), link.token.as_bytes());
    }
    if let Ok(id) = ShareId::parse(text) {
        assert_eq!(id.as_str(), text);
        assert_eq!(ShareId::from_bytes(id.to_bytes()), id);
    }
    if let Ok(secret) = LinkSecret::from_fragment(text) {
        assert_eq!(secret.to_fragment(), text, "fragments are canonical");
    }
    if let Ok(token) = Token::from_b64(text) {
        assert_eq!(token.to_b64(), text, "tokens are canonical");
    }
    if let Ok(bytes) = b64::decode(text) {
        assert_eq!(b64::encode(&bytes), text, "base64url is canonical");
    }
});
