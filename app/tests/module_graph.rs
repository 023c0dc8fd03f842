//! The app's modules depend downwards only: page → flow → engine →
//! browser → `ots-proto` / `ots-crypto`. This reads `src/` and checks the
//! `crate::` and `super::` paths of every file (tests excluded), so an
//! import circle or a page reaching past its flow fails here, not in review.

#[path = "../../tools/source_graph.rs"]
mod source_graph;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use source_graph::{cycle_from, parent, paths, Source};

/// The flows: each has a cfg-neutral `mod.rs`, a `page.rs` and (when it
/// runs in the browser) an `engine.rs`; the console's flow is the server's.
const FLOWS: [&str; 4] = ["send", "receive", "manage", "admin"];

/// What a page may import besides its own flow: shared UI pieces.
const PAGE_MAY_USE: [&str; 3] = ["widgets", "format", "i18n"];

fn sources() -> Vec<Source> {
    source_graph::sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

/// The first segments of the paths that follow `prefix` (`crate::`, `super::`).
fn targets(code: &str, prefix: &str) -> BTreeSet<String> {
    paths(code, prefix)
        .iter()
        .filter_map(|p| p.split("::").next())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or_default()
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
