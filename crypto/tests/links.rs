//! Share and manage links of protocol §1. Runs natively and on wasm32.
#![allow(clippy::unwrap_used)] // a test that unwraps fails loudly, which is the point

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use ots_crypto::*;

const ID: &str = "AAECAwQFBgcICQoLDA0ODw"; // bytes 0..16
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"; // bytes 0..32

#[test]
fn share_link_round_trips() {
    let text = format!("https://ots.example/s/{ID}#{KEY}");
    let link = ShareLink::parse(&text).unwrap();
    assert_eq!(link.origin, "https://ots.example");
    assert_eq!(link.id.as_str(), ID);
    assert_eq!(
        link.id.to_bytes(),
        core::array::from_fn::<u8, 16, _>(|i| i as u8)
    );
    assert_eq!(
        link.secret.as_bytes(),
        &core::array::from_fn::<u8, 32, _>(|i| i as u8)
    );
    assert_eq!(link.to_string(), text);
    assert_eq!(link.page_url(), format!("https://ots.example/s/{ID}"));
}

#[test]
fn manage_link_round_trips() {
    let text = format!("http://127.0.0.1:3000/m/{ID}#{KEY}");
    let link = ManageLink::parse(&text).unwrap();
    assert_eq!(link.origin, "http://127.0.0.1:3000");
    assert_eq!(link.id.as_str(), ID);
    assert_eq!(link.token.to_b64(), KEY);
    assert_eq!(link.to_string(), text);
    assert_eq!(text.parse::<ManageLink>().unwrap().to_string(), text);
}

fn random_id() -> ShareId {
    let mut bytes = [0u8; SHARE_ID_SIZE];
    getrandom::fill(&mut bytes).unwrap();
    ShareId::from_bytes(bytes)
}

#[test]
fn generated_links_parse_back() {
    let link = ShareLink {
        origin: "https://a.example/base".into(),
        id: random_id(),
        secret: LinkSecret::generate().unwrap(),
    };
    let back = ShareLink::parse(&link.to_string()).unwrap();
    assert_eq!(back.id, link.id);
    assert_eq!(back.origin, "https://a.example/base");
    assert_eq!(back.secret.as_bytes(), link.secret.as_bytes());
}

#[test]
fn surrounding_whitespace_is_ignored() {
    let text = format!("  https://ots.example/s/{ID}#{KEY}\n");
    assert!(ShareLink::parse(&text).is_ok());
}

#[test]
fn debug_of_links_hides_the_fragment() {
    let link = ShareLink::parse(&format!("https://ots.example/s/{ID}#{KEY}")).unwrap();
    let manage = ManageLink::parse(&format!("https://ots.example/m/{ID}#{KEY}")).unwrap();
    for printed in [format!("{link:?}"), format!("{manage:?}")] {
        assert!(!printed.contains(KEY), "{printed}");
        assert!(printed.contains("<redacted>"), "{printed}");
    }
}

#[test]
fn malformed_links_are_clear_errors() {
    let bad = [
        "".to_owned(),
        "#".to_owned(),
        format!("https://ots.example/s/{ID}"),
        format!("https://ots.example/s/{ID}#"),
        format!("https://ots.example/m/{ID}#{KEY}"), // a manage link is not a share link
        format!("https://ots.example/x/{ID}#{KEY}"),
        format!("https://ots.example/s/{ID}A#{KEY}"), // id too long
        format!("https://ots.example/s/{}#{KEY}", &ID[..21]),
        format!("https://ots.example/s/{}#{KEY}", ID.replace('A', "+")),
        format!("https://ots.example/s/{}z#{KEY}", &ID[..21]), // non-canonical last char
        format!("https://ots.example/s/{ID}/#{KEY}"),
        format!("https://ots.example/s/{ID}?x=1#{KEY}"),
        format!("https://ots.example/s/{ID}#{KEY}A"),
        format!("https://ots.example/s/{ID}#{}", &KEY[..42]),
        format!("https://ots.example/s/{ID}#{KEY}="),
        format!("https://ots.example/s/{ID}#{KEY}#{KEY}"),
        format!("ftp://ots.example/s/{ID}#{KEY}"),
        format!("ots.example/s/{ID}#{KEY}"),
        format!("https:///s/{ID}#{KEY}"),
        format!("https://ots example/s/{ID}#{KEY}"),
        format!("https://ots.example/s/{ID}#{}", "é".repeat(22)),
    ];
    for text in &bad {
        match ShareLink::parse(text) {
            Err(Error::Link(why)) => assert!(!why.is_empty()),
            other => panic!("{text:?} gave {other:?}"),
        }
    }
    assert!(matches!(
        ManageLink::parse(&format!("https://o.example/s/{ID}#{KEY}")),
        Err(Error::Link(_))
    ));
}

#[test]
fn share_id_is_22_canonical_characters() {
    assert_eq!(SHARE_ID_LEN, 22);
    assert!(ShareId::parse(ID).is_ok());
    for bad in [
        "",
        "AAECAwQFBgcICQoLDA0OD",
        "AAECAwQFBgcICQoLDA0ODwA",
        "AAECAwQFBgcICQoLDA0ODx",
        "AAECAwQFBgcICQoLDA0OD/",
    ] {
        assert!(ShareId::parse(bad).is_err(), "{bad}");
    }
    let id = random_id();
    assert_eq!(ShareId::parse(id.as_str()).unwrap(), id);
    assert_eq!(ShareId::from_bytes(id.to_bytes()), id);
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(serde_json::from_str::<ShareId>(&json).unwrap(), id);
    assert!(serde_json::from_str::<ShareId>("\"short\"").is_err());
}

#[test]
fn tokens_encode_verify_and_parse() {
    let token = Token::from_bytes([7; 32]);
    let back = Token::from_b64(&token.to_b64()).unwrap();
    assert_eq!(back.as_bytes(), token.as_bytes());
    assert_eq!(token.verifier_b64(), b64::encode(token.verifier()));
    assert_ne!(token.verifier(), *token.as_bytes());
    assert!(Token::from_b64("AAAA").is_err());
    assert!(format!("{token:?}").contains("<redacted>"));
}
