//! Every vector and negative case of `vectors.json` (computed by an
//! independent implementation of protocol v1), natively and on wasm32.
//!
//! The file is a copy of `../shared/design/vectors.json`, so the crate
//! builds without the design folder; `vectors_copy_matches_the_design_file`
//! keeps the copy honest.
#![allow(clippy::unwrap_used)] // a test that unwraps fails loudly, which is the point

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use ots_crypto::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

const VECTORS: &str = include_str!("vectors.json");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).expect("vectors.json is JSON")
}

fn hex_field(v: &Value, key: &str) -> Vec<u8> {
    hex::decode(v[key].as_str().unwrap_or_else(|| panic!("{key} missing"))).expect("hex")
}

fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} missing"))
}

fn arr<const N: usize>(bytes: Vec<u8>) -> [u8; N] {
    bytes
        .try_into()
        .expect("vector field has the protocol's length")
}

fn by_name(name: &str) -> Value {
    vectors()["vectors"]
        .as_array()
        .expect("vectors array")
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("vector {name}"))
        .clone()
}

/// The plaintext of a vector: explicit hex, or the rule `i mod 251`.
fn plaintext_of(v: &Value) -> Vec<u8> {
    let len = v["plaintext_len"].as_u64().expect("plaintext_len") as usize;
    let plain = match v["plaintext_rule"].as_str() {
        Some("i mod 251") => (0..len).map(|i| (i % 251) as u8).collect(),
        Some(other) => panic!("unknown rule {other}"),
        None => hex_field(v, "plaintext"),
    };
    assert_eq!(plain.len(), len);
    plain
}

fn content_keys_of(v: &Value) -> ContentKeys {
    let secret = LinkSecret::from_bytes(arr(hex_field(v, "k")));
    let pw_key = match v["password"].as_str() {
        None => None,
        Some(pw) => {
            let kdf: KdfParams = serde_json::from_value(v["kdf"].clone()).expect("kdf");
            Some(PasswordKey::derive(&secret, pw, &kdf).expect("argon2id"))
        }
    };
    ContentKeys::derive(&secret, pw_key.as_ref())
}

/// Checks the whole sealed payload against the vector: exact bytes where the
/// vector has them, else length, SHA-256, first and last 32 bytes.
fn assert_sealed_matches(v: &Value, sealed: &[u8]) {
    let name = str_field(v, "name");
    assert_eq!(
        sealed.len() as u64,
        v["sealed_len"].as_u64().unwrap(),
        "{name}"
    );
    assert_eq!(
        payload_size(v["plaintext_len"].as_u64().unwrap()),
        sealed.len() as u64
    );
    assert_eq!(
        hex::encode(Sha256::digest(sealed)),
        str_field(v, "sealed_sha256"),
        "{name}"
    );
    if v.get("sealed").is_some() {
        assert_eq!(sealed, hex_field(v, "sealed"), "{name}");
    } else {
        assert_eq!(&sealed[..32], hex_field(v, "sealed_first_32"), "{name}");
        assert_eq!(
            &sealed[sealed.len() - 32..],
            hex_field(v, "sealed_last_32"),
            "{name}"
        );
    }
}

fn check_link_values(v: &Value) {
    let name = str_field(v, "name");
    let secret = LinkSecret::from_bytes(arr(hex_field(v, "k")));
    assert_eq!(
        secret.to_fragment(),
        str_field(v, "link_fragment"),
        "{name}"
    );
    let parsed = LinkSecret::from_fragment(str_field(v, "link_fragment")).unwrap();
    assert_eq!(parsed.as_bytes(), secret.as_bytes());

    let link = LinkKeys::derive(&secret);
    assert_eq!(
        link.link_token().as_bytes()[..],
        hex_field(v, "link_token"),
        "{name}"
    );
    assert_eq!(
        link.argon2_salt()[..],
        hex_field(v, "argon2_salt"),
        "{name}"
    );
    assert_eq!(
        link.link_token().verifier_b64(),
        str_field(v, "link_verifier_b64"),
        "{name}"
    );
}

fn check_content_values(v: &Value) {
    let name = str_field(v, "name");
    if let Some(expected) = v.get("argon2id_output").and_then(Value::as_str) {
        let secret = LinkSecret::from_bytes(arr(hex_field(v, "k")));
        let kdf: KdfParams = serde_json::from_value(v["kdf"].clone()).unwrap();
        let pw = PasswordKey::derive(&secret, str_field(v, "password"), &kdf).unwrap();
        assert_eq!(hex::encode(pw.as_bytes()), expected, "{name}");
    }
    let keys = content_keys_of(v);
    assert_eq!(
        keys.claim_token().as_bytes()[..],
        hex_field(v, "claim_token"),
        "{name}"
    );
    assert_eq!(
        keys.meta_key().as_bytes()[..],
        hex_field(v, "meta_key"),
        "{name}"
    );
    assert_eq!(
        keys.payload_key().as_bytes()[..],
        hex_field(v, "payload_key"),
        "{name}"
    );
    assert_eq!(
        keys.claim_token().verifier_b64(),
        str_field(v, "claim_verifier_b64"),
        "{name}"
    );
    assert_eq!(
        keys.claim_token().verifier(),
        Sha256::digest(keys.claim_token().as_bytes())[..]
    );

    // Meta: our JSON is byte-identical to the vector's, so sealing it gives
    // the vector's sealed meta (the nonce is fixed).
    let meta_json = str_field(v, "meta_json");
    let meta: Meta = serde_json::from_str(meta_json).unwrap();
    assert_eq!(serde_json::to_string(&meta).unwrap(), meta_json, "{name}");
    let sealed_meta = b64::decode(str_field(v, "sealed_meta_b64")).unwrap();
    assert_eq!(
        seal_meta(keys.meta_key(), &meta).unwrap(),
        sealed_meta,
        "{name}"
    );
    assert_eq!(
        open_meta(keys.meta_key(), &sealed_meta).unwrap(),
        meta,
        "{name}"
    );

    // Payload: one-shot and incremental sealing both give the vector's bytes.
    let plain = plaintext_of(v);
    let sealed = seal_payload(keys.payload_key(), &plain);
    assert_sealed_matches(v, &sealed);
    assert_eq!(
        open_payload(keys.payload_key(), &sealed).unwrap(),
        plain,
        "{name}"
    );
    let mut dec = StreamDecryptor::new(keys.payload_key());
    let mut out = Vec::new();
    for piece in sealed.chunks(7919) {
        dec.push(piece, &mut out).unwrap();
    }
    dec.finish(&mut out).unwrap();
    assert_eq!(out, plain, "{name}");
}

macro_rules! vector_tests {
    ($($test:ident => $name:literal,)*) => {$(
        #[test]
        fn $test() {
            let v = by_name($name);
            check_link_values(&v);
            check_content_values(&v);
        }
    )*};
}

vector_tests! {
    vector_text_no_password => "text-no-password",
    vector_empty_file => "empty-file",
    vector_one_full_chunk => "one-full-chunk",
    vector_chunk_plus_one => "chunk-plus-one",
    vector_file_with_password => "file-with-password",
    vector_text_unicode_password_small_kdf => "text-unicode-password-small-kdf",
}

#[test]
fn every_vector_has_a_test() {
    let names: Vec<String> = vectors()["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| str_field(v, "name").to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "text-no-password",
            "empty-file",
            "one-full-chunk",
            "chunk-plus-one",
            "file-with-password",
            "text-unicode-password-small-kdf",
        ]
    );
    assert_eq!(vectors()["chunk_size"].as_u64(), Some(CHUNK_SIZE as u64));
}

/// Builds a negative case from the sealed payload of its vector as its
/// `how` says; the vector's length and SHA-256 prove we built the same bytes.
fn negative_case(sealed: &[u8], name: &str) -> Vec<u8> {
    let first = RECORD_SIZE;
    match name {
        "truncated_last_chunk" => sealed[..first].to_vec(),
        "flipped_bit" => {
            let mut bad = sealed.to_vec();
            bad[100] ^= 0x01;
            bad
        }
        "extra_trailing_byte" => [sealed, &[0u8]].concat(),
        "swapped_chunks" => [&sealed[first..], &sealed[..first]].concat(),
        "tag_only_tail" => [&sealed[..first], &[0u8; TAG_SIZE][..]].concat(),
        other => panic!("no construction for negative case {other}"),
    }
}

#[test]
fn every_negative_case_is_rejected() {
    let all = vectors();
    let negative = &all["negative"];
    let v = by_name(str_field(negative, "keys_of"));
    let keys = content_keys_of(&v);
    let sealed = seal_payload(keys.payload_key(), &plaintext_of(&v));
    assert_sealed_matches(&v, &sealed);

    let cases = negative["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for case in cases {
        let name = str_field(case, "name");
        let bad = negative_case(&sealed, name);
        assert_eq!(
            bad.len() as u64,
            case["sealed_len"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            hex::encode(Sha256::digest(&bad)),
            str_field(case, "sealed_sha256"),
            "{name}"
        );

        assert_eq!(
            open_payload(keys.payload_key(), &bad),
            Err(Error::Decrypt),
            "{name}"
        );
        // Incrementally, in record-unaligned pieces: never a finished stream.
        let mut dec = StreamDecryptor::new(keys.payload_key());
        let mut out = Vec::new();
        let pushed = bad.chunks(1000).try_for_each(|p| dec.push(p, &mut out));
        let finished = pushed.and_then(|()| dec.finish(&mut out));
        assert_eq!(finished, Err(Error::Decrypt), "{name}");
        // Whatever was released is a prefix of the true plaintext.
        assert!(plaintext_of(&v).starts_with(&out), "{name}");
    }
}

#[test]
fn wrong_password_gives_other_keys_and_cannot_open() {
    let v = by_name("text-unicode-password-small-kdf");
    let secret = LinkSecret::from_bytes(arr(hex_field(&v, "k")));
    let kdf: KdfParams = serde_json::from_value(v["kdf"].clone()).unwrap();
    let wrong = PasswordKey::derive(&secret, "password", &kdf).unwrap();
    let keys = ContentKeys::derive(&secret, Some(&wrong));
    assert_ne!(
        keys.claim_token().as_bytes()[..],
        hex_field(&v, "claim_token")
    );
    let sealed = hex_field(&v, "sealed");
    assert_eq!(
        open_payload(keys.payload_key(), &sealed),
        Err(Error::Decrypt)
    );
    let sealed_meta = b64::decode(str_field(&v, "sealed_meta_b64")).unwrap();
    assert_eq!(
        open_meta(keys.meta_key(), &sealed_meta),
        Err(Error::Decrypt)
    );
    // And without the password at all.
    let none = ContentKeys::derive(&secret, None);
    assert_eq!(
        open_payload(none.payload_key(), &sealed),
        Err(Error::Decrypt)
    );
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn vectors_copy_matches_the_design_file() {
    let design =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/design/vectors.json");
    match std::fs::read_to_string(&design) {
        Ok(original) => assert_eq!(
            VECTORS,
            original,
            "crypto/tests/vectors.json differs from {}; copy it again",
            design.display()
        ),
        Err(e) => eprintln!("skipped: {} not readable ({e})", design.display()),
    }
}
