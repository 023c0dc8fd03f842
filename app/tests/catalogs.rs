//! The message catalogs (`locales/*.json`) against each other and against
//! the code: every language has exactly the keys of English, with the
//! plural forms its language needs and the same placeholders, and every
//! key is one the code uses.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

const PLURAL_FORMS: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];

/// The plural forms a language's catalog must give (CLDR cardinal categories).
fn forms_needed(locale: &str) -> &'static [&'static str] {
    match locale {
        "ar" => &PLURAL_FORMS,
        "en" | "de" => &["one", "other"],
        _ => &["other"],
    }
}

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every catalog: locale → flat key → text.
fn catalogs() -> BTreeMap<String, BTreeMap<String, String>> {
    let mut all = BTreeMap::new();
    for entry in std::fs::read_dir(manifest().join("locales")).unwrap() {
        let path = entry.unwrap().path();
        let Some(locale) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        let json: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut flat = BTreeMap::new();
        flatten("", &json, &mut flat);
        all.insert(locale.to_string(), flat);
    }
    all
}

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => panic!("{prefix}: a catalog value is a string or an object, not {other}"),
    }
}

/// A flat key as the code names it, and its plural form if it has one.
fn split_plural<'a>(key: &'a str, keys: &BTreeMap<String, String>) -> (&'a str, Option<&'a str>) {
    for form in PLURAL_FORMS {
        if let Some(base) = key.strip_suffix(&format!("_{form}")) {
            if keys.contains_key(&format!("{base}_other")) {
                return (base, Some(&key[base.len() + 1..]));
            }
        }
    }
    (key, None)
}

/// Key → (plural forms given, placeholders and tags used).
fn messages(
    keys: &BTreeMap<String, String>,
) -> BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> {
    let mut out: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    for (key, text) in keys {
        let (base, form) = split_plural(key, keys);
        let entry = out.entry(base.to_string()).or_default();
        if let Some(form) = form {
            entry.0.insert(form.to_string());
        }
        entry.1.extend(placeholders(text));
    }
    out
}

/// `{{ name }}` (with any `, number`) and `<tag>` names in a text.
fn placeholders(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        let inner = &rest[start + 2..start + len];
        let name = inner.split(',').next().unwrap_or_default().trim();
        if name != "count" {
            found.insert(format!("{{{{{name}}}}}"));
        }
        rest = &rest[start + len + 2..];
    }
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start..].find('>') else {
            break;
        };
        let tag = rest[start + 1..start + len].trim_start_matches('/');
        if !tag.is_empty() && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            found.insert(format!("<{tag}>"));
        }
        rest = &rest[start + len + 1..];
    }
    found
}

/// Every key the code names in a translation macro.
fn keys_in_code() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for path in rust_files(&manifest().join("src")) {
        keys.extend(macro_keys(&std::fs::read_to_string(&path).unwrap()));
    }
    keys
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The keys of `t!(ctx, a.b …)`, `td_string!(locale, a.b …)` and their kin in `code`.
fn macro_keys(code: &str) -> BTreeSet<String> {
    const MACROS: [&str; 9] = [
        "t!(",
        "td!(",
        "tu!(",
        "t_string!(",
        "td_string!(",
        "tu_string!(",
        "t_display!(",
        "td_display!(",
        "tu_display!(",
    ];
    let mut keys = BTreeSet::new();
    for name in MACROS {
        let mut rest = code;
        while let Some(at) = rest.find(name) {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + name.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let Some(comma) = rest.find(',') else { break };
            let key: String = rest[comma + 1..]
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
                .collect();
            if !key.is_empty() {
                keys.insert(key);
            }
        }
    }
    keys
}

#[test]
fn every_language_has_the_keys_plural_forms_and_placeholders_of_english() {
    let all = catalogs();
    let english = messages(&all["en"]);
    assert!(all.len() >= 3, "en, de and ar at least: {:?}", all.keys());
    for (locale, keys) in &all {
        let theirs = messages(keys);
        let missing: Vec<_> = english
            .keys()
            .filter(|k| !theirs.contains_key(*k))
            .collect();
        let extra: Vec<_> = theirs
            .keys()
            .filter(|k| !english.contains_key(*k))
            .collect();
        assert!(missing.is_empty(), "{locale} misses {missing:?}");
        assert!(
            extra.is_empty(),
            "{locale} has keys English has not: {extra:?}"
        );
        for (key, (forms, names)) in &theirs {
            let (english_forms, english_names) = &english[key];
            if english_forms.is_empty() {
                assert!(
                    forms.is_empty(),
                    "{locale}: {key} has plural forms, English has none"
                );
            } else {
                for form in forms_needed(locale) {
                    assert!(
                        forms.contains(*form),
                        "{locale}: {key} lacks its `{form}` form"
                    );
                }
            }
            assert_eq!(
                names, english_names,
                "{locale}: {key} has other placeholders"
            );
        }
    }
}

#[test]
fn every_key_is_used_by_the_code_and_every_used_key_exists() {
    let all = catalogs();
    let english: BTreeSet<String> = messages(&all["en"]).into_keys().collect();
    let used = keys_in_code();
    let unused: Vec<_> = english.difference(&used).collect();
    let unknown: Vec<_> = used.difference(&english).collect();
    assert!(unused.is_empty(), "keys no code uses: {unused:?}");
    assert!(
        unknown.is_empty(),
        "keys the code uses that en.json lacks: {unknown:?}"
    );
}

#[test]
fn the_checks_find_what_they_look_for() {
    let code = "view! { {t!(i18n, send.title)} } td_string!(locale, units.kib, n = 1) edit!(x, y)";
    assert_eq!(
        macro_keys(code),
        BTreeSet::from(["send.title".to_string(), "units.kib".to_string()])
    );
    assert_eq!(
        placeholders("<b>{{ n, number }}</b> of {{ total }} · {{ count }}"),
        BTreeSet::from(["<b>".into(), "{{n}}".into(), "{{total}}".into()])
    );
    let keys: BTreeMap<String, String> = [("a_one", "x"), ("a_other", "y"), ("b_one", "z")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let m = messages(&keys);
    assert_eq!(m["a"].0, BTreeSet::from(["one".into(), "other".into()]));
    assert!(m.contains_key("b_one"), "no `_other`, so not a plural");
}
