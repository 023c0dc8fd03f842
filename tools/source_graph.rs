//! Reads a crate's `src/` as text and finds which of its modules use which:
//! the `crate::` and `super::` paths of every file, comments and test
//! modules left out. Shared by the module-graph tests of `app` and the
//! server (`#[path]`), which state their own rules on top of it.

// Each test uses the part it needs.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// One source file: its module path (`send::page`, `""` for the crate root)
/// and its code without comments and without its test module.
pub struct Source {
    pub module: String,
    pub code: String,
}

/// Every `.rs` file under `root` (a crate's `src/`).
pub fn sources(root: &Path) -> Vec<Source> {
    let mut out = Vec::new();
    walk(root, root, &mut out);
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
        if matches!(
            parts.last().map(String::as_str),
            Some("mod" | "lib" | "main")
        ) {
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
    match code.find("#[cfg(test)]\nmod tests {") {
        Some(i) => code[..i].to_string(),
        None => code.to_string(),
    }
}

/// The paths that follow `prefix` (`crate::`, `super::`), without it, with
/// every `{a, b::{c, d}}` group spread out: `use crate::{a::X, b}` gives
/// `a::X` and `b`.
pub fn paths(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        // `foo_crate::` is not `crate::`.
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let path = path_at(rest);
        spread("", &path, &mut found);
    }
    found
}

/// The path at the start of `s`: segments and `::`, and a balanced `{…}`
/// group, whitespace dropped.
fn path_at(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    out.push(c);
                    break;
                }
            }
            c if c.is_whitespace() => continue,
            c if depth == 0 && !(c.is_alphanumeric() || c == '_' || c == ':') => break,
            _ => {}
        }
        out.push(c);
    }
    out
}

fn spread(prefix: &str, path: &str, out: &mut BTreeSet<String>) {
    if path.is_empty() {
        // After a group's trailing comma.
        return;
    }
    let Some(open) = path.find('{') else {
        let full = format!("{prefix}{path}");
        let full = full.trim_end_matches(':');
        if !full.is_empty() {
            out.insert(full.to_string());
        }
        return;
    };
    let head = format!("{prefix}{}", &path[..open]);
    let inner = &path[open + 1..path.len().saturating_sub(1)];
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                spread(&head, &inner[start..i], out);
                start = i + 1;
            }
            _ => {}
        }
    }
    spread(&head, &inner[start..], out);
}

/// The parent module of `module` (`""` for a top-level one).
pub fn parent(module: &str) -> &str {
    module.rsplit_once("::").map_or("", |(p, _)| p)
}

/// A cycle through `start`, if there is one.
pub fn cycle_from(edges: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
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

/// The first cycle among `edges`, if any.
pub fn any_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    edges.keys().find_map(|m| cycle_from(edges, m))
}
