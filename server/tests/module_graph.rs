//! No import circle between the server's modules: a module may use its own
//! children and anything below, and a child may use its ancestors (they
//! contain it), but no path of `use`s leads from a module back to itself.
//! This reads `src/` as text (tests excluded), so a circle fails here, not in
//! review: the handler modules (`api`, `admin`, `site`, `sweeper`) use the
//! state; the state and what it holds (store, blobs, clock, limits, metrics,
//! the operator's settings) never use a handler.

#[path = "../../tools/source_graph.rs"]
mod source_graph;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use source_graph::{any_cycle, parent, paths, Source};

/// The module a path names: its longest prefix that is a module.
fn module_of(path: &str, modules: &BTreeSet<String>) -> Option<String> {
    let segments: Vec<&str> = path.split("::").collect();
    (1..=segments.len())
        .rev()
        .map(|n| segments[..n].join("::"))
        .find(|m| modules.contains(m))
}

/// Edges between modules (files): `a` uses something of `b`. A path into
/// one's own ancestors is containment, not an edge.
fn edges(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<String> = sources.iter().map(|s| s.module.clone()).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in sources {
        let from = &s.module;
        let up = parent(from);
        let named =
            paths(&s.code, "crate::")
                .into_iter()
                .chain(paths(&s.code, "super::").into_iter().map(|p| {
                    if up.is_empty() {
                        p
                    } else {
                        format!("{up}::{p}")
                    }
                }));
        let to = edges.entry(from.clone()).or_default();
        for path in named {
            let Some(target) = module_of(&path, &modules) else {
                continue;
            };
            let ancestor = target.is_empty() || from.starts_with(&format!("{target}::"));
            if target != *from && !ancestor {
                to.insert(target);
            }
        }
    }
    edges
}

#[test]
fn server_modules_form_no_import_circle() {
    let sources = source_graph::sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let edges = edges(&sources);
    if let Some(cycle) = any_cycle(&edges) {
        panic!("import circle: {}", cycle.join(" -> "));
    }
    // The state is below every handler module.
    let state = &edges["state"];
    for handler in ["api", "admin", "site", "sweeper"] {
        assert!(!state.contains(handler), "state uses {handler}");
    }
}

#[test]
fn the_checker_finds_a_circle_through_a_group_and_super() {
    let source = |module: &str, code: &str| Source {
        module: module.into(),
        code: code.into(),
    };
    let sources = [
        source("a", "use crate::{\n    b::{inner::X,},\n    c,\n};"),
        source("b", "mod inner; use self::inner::X;"),
        source("b::inner", "use super::Z; use super::sibling::W;"),
        source("b::sibling", "use crate::a::Y;"),
        source("c", "fn f() {}"),
    ];
    let edges = edges(&sources);
    // `super::Z` is the parent's: containment, not an edge.
    assert_eq!(
        edges["b::inner"],
        BTreeSet::from(["b::sibling".to_string()])
    );
    assert_eq!(
        any_cycle(&edges),
        Some(vec![
            "a".into(),
            "b::inner".into(),
            "b::sibling".into(),
            "a".into()
        ])
    );
    let without = [
        source("a", "use crate::c;"),
        source("c", "use crate::b::X;"),
        source("b", "fn f() {}"),
    ];
    assert_eq!(any_cycle(&self::edges(&without)), None);
}
