//! The app's modules depend downwards only: page → flow → engine →
//! browser → `ots-proto` / `ots-crypto`. This reads `src/` and checks the
//! `crate::` and `super::` paths of every file (tests excluded), so an
//! import circle or a page reaching past its flow fails here, not in review.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The flows: each has a cfg-neutral `mod.rs`, a `page.rs` and (when it
/// runs in the browser) an `engine.rs`; the console's flow is the server's.
const FLOWS: [&str; 4] = ["send", "receive", "manage", "admin"];

/// What a page may import besides its own flow: shared UI pieces.
const PAGE_MAY_USE: [&str; 2] = ["widgets", "format"];

/// One source file: its module path (`send::page`, `""` for the root) and
/// its code without comments and without its test module.
struct Source {
    module: String,
    code: String,
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    assert!(out.len() > 10, "found only {} files under src/", out.len());
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<Source>) {
    for entry in fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            walk(root, &path, out);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(root).expect("under src/");
        let mut parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
            .collect();
        if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
            parts.pop();
        }
        let text = fs::read_to_string(&path).expect("a source file is UTF-8");
        out.push(Source {
            module: parts.join("::"),
            code: without_tests(&strip_comments(&text)),
        });
    }
}

fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn without_tests(code: &str) -> String {
    match code.find("#[cfg(test)]\nmod tests") {
        Some(i) => code[..i].to_string(),
        None => code.to_string(),
    }
}

/// The first segments of the paths that follow `prefix` (`crate::`,
/// `super::`), including every item of a `{a, b::c}` group.
fn targets(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        // `foo_crate::` is not `crate::`.
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name = first_ident(item.trim());
                if !name.is_empty() {
                    found.insert(name);
                }
            }
        } else {
            let name = first_ident(rest);
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

fn first_ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or_default()
}

fn parent(module: &str) -> &str {
    module.rsplit_once("::").map_or("", |(p, _)| p)
}

/// Edges between top-level modules (`""` is the crate root): `a` uses
/// something of `b`. Paths into a module's own subtree are not edges.
fn top_level_edges(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<&str> = sources.iter().map(|s| top(&s.module)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in sources {
        let from = top(&s.module).to_string();
        let mut to: BTreeSet<String> = targets(&s.code, "crate::")
            .into_iter()
            .map(|name| {
                if modules.contains(name.as_str()) {
                    name
                } else {
                    // An item of the crate root, e.g. `crate::SiteLimits`.
                    String::new()
                }
            })
            .collect();
        if !targets(&s.code, "super::").is_empty() {
            to.insert(top(parent(&s.module)).to_string());
        }
        to.remove(&from);
        edges.entry(from).or_default().extend(to);
    }
    edges
}

/// A cycle through `start`, if there is one.
fn cycle_from(edges: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_string(), vec![start.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for next in edges.get(&node).into_iter().flatten() {
            if next == start {
                let mut cycle = path.clone();
                cycle.push(next.clone());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

#[test]
fn top_level_modules_form_no_import_circle() {
    let edges = top_level_edges(&sources());
    for module in edges.keys() {
        if let Some(cycle) = cycle_from(&edges, module) {
            panic!("import circle: {}", cycle.join(" -> "));
        }
    }
    // The browser layer is the bottom of the app: it serves flows and
    // knows none of them.
    let browser = &edges["browser"];
    for flow in FLOWS {
        assert!(!browser.contains(flow), "browser uses {flow}");
    }
    assert!(!browser.contains("widgets"));
}

#[test]
fn pages_talk_only_to_their_flow() {
    for s in sources() {
        let Some(flow) = s.module.strip_suffix("::page") else {
            continue;
        };
        assert!(FLOWS.contains(&flow), "a page outside a flow: {}", s.module);
        for used in targets(&s.code, "crate::") {
            assert!(
                PAGE_MAY_USE.contains(&used.as_str()),
                "{} uses crate::{used}; a page goes through its flow",
                s.module
            );
        }
        for outside in [
            "ots_proto",
            "ots_crypto",
            "web_sys",
            "wasm_bindgen",
            "ApiError",
        ] {
            assert!(
                !s.code.contains(outside),
                "{} names {outside}; the flow owns that",
                s.module
            );
        }
        assert!(
            !s.code.contains("cfg(") && !s.code.contains("cfg_attr("),
            "{} has a cfg: browser-only code belongs in the flow's engine",
            s.module
        );
    }
}

#[test]
fn the_checker_finds_a_circle() {
    let sources = [
        Source {
            module: "a".into(),
            code: "use crate::b::x;".into(),
        },
        Source {
            module: "b::inner".into(),
            code: "use crate::{c, a::y};".into(),
        },
        Source {
            module: "c".into(),
            code: "fn f() {}".into(),
        },
    ];
    let edges = top_level_edges(&sources);
    assert_eq!(
        cycle_from(&edges, "a"),
        Some(vec!["a".into(), "b".into(), "a".into()])
    );
    assert_eq!(cycle_from(&edges, "c"), None);
}
