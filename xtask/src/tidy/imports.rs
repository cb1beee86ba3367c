//! The page's import graph, checked: no cycle between its files, and no upward import between
//! its layers (api ← domain ← browser ← hooks ← components). Only code outside `#[cfg(test)]`
//! counts; tests may reach anywhere.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first: a file may import its own layer and those below it.
const LAYERS: [&str; 5] = ["api", "domain", "browser", "hooks", "components"];

/// One module of the crate: its path (`["domain", "ledger", "entry"]`) and its code.
#[derive(Debug, Clone)]
pub struct Module {
    pub path: Vec<String>,
    pub code: String,
}

/// Reads every `.rs` file under `src`, as modules of the crate rooted there.
pub fn read_crate(src: &Path) -> Result<Vec<Module>, String> {
    let mut files = Vec::new();
    collect(src, &mut files)?;
    let mut out = Vec::new();
    for f in files {
        let rel = f.strip_prefix(src).map_err(|e| e.to_string())?;
        let mut path: Vec<String> = rel
            .with_extension("")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if matches!(
            path.last().map(String::as_str),
            Some("mod" | "lib" | "main")
        ) {
            path.pop();
        }
        let code = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        out.push(Module { path, code });
    }
    Ok(out)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    Ok(())
}

/// What is wrong with the graph, one sentence each.
pub fn problems(modules: &[Module]) -> Vec<String> {
    let known: BTreeSet<Vec<String>> = modules.iter().map(|m| m.path.clone()).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut out = Vec::new();
    for m in modules {
        let from = m.path.join("::");
        let targets: BTreeSet<Vec<String>> = references(&m.path, non_test_code(&m.code))
            .iter()
            .filter_map(|t| resolve(&known, t))
            .filter(|to| *to != m.path && !to.is_empty())
            .collect();
        for to in targets {
            if let (Some(a), Some(b)) = (layer(&m.path), layer(&to)) {
                if b > a {
                    out.push(format!(
                        "{from} imports {} (layer {} may not import layer {})",
                        to.join("::"),
                        LAYERS[a],
                        LAYERS[b]
                    ));
                }
            }
            edges.entry(from.clone()).or_default().insert(to.join("::"));
        }
    }
    out.extend(cycles(&edges));
    out
}

fn layer(path: &[String]) -> Option<usize> {
    LAYERS
        .iter()
        .position(|l| path.first().map(String::as_str) == Some(*l))
}

/// The code before the first `#[cfg(test)]`: the crate's test modules sit at the end of files.
fn non_test_code(code: &str) -> &str {
    code.find("#[cfg(test)]").map_or(code, |i| &code[..i])
}

/// Every module path the code names through `crate::` or `super::`, use trees expanded.
fn references(here: &[String], code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let code: String = code
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut rest = code.as_str();
    while let Some(i) = rest.find("use ") {
        let before_ok = i == 0 || !rest[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        rest = &rest[i + 4..];
        if !before_ok {
            continue;
        }
        let end = rest.find(';').unwrap_or(rest.len());
        for p in expand(rest[..end].trim()) {
            out.extend(absolute(here, &p));
        }
        rest = &rest[end..];
    }
    // Paths written inline in code (`crate::domain::poll::past_watching(…)`).
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        let tail = &rest[i..];
        let len = tail
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(tail.len());
        out.extend(absolute(here, tail[..len].trim_end_matches(':')));
        rest = &tail[len..];
    }
    out
}

/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = tree[open + 1..]
        .strip_suffix('}')
        .unwrap_or(&tree[open + 1..]);
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(p).into_iter().map(move |x| format!("{prefix}{x}")))
        .collect()
}

/// A path as seen from module `here`, made absolute; `None` for other crates.
fn absolute(here: &[String], path: &str) -> Option<Vec<String>> {
    let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let (mut base, rest): (Vec<String>, &[&str]) = match segs.first()? {
        &"crate" => (Vec::new(), &segs[1..]),
        &"super" | &"self" => (here.to_vec(), &segs[..]),
        _ => return None,
    };
    let mut rest = rest;
    while let Some(s) = rest.first() {
        match *s {
            "super" => {
                base.pop();
            }
            "self" => {}
            _ => break,
        }
        rest = &rest[1..];
    }
    base.extend(rest.iter().map(|s| s.to_string()));
    Some(base)
}

/// The longest prefix of `path` that is a module of the crate.
fn resolve(known: &BTreeSet<Vec<String>>, path: &[String]) -> Option<Vec<String>> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| known.contains(p))
}

/// Each cycle of the graph once, as `a → b → a`.
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut found = BTreeSet::new();
    for start in edges.keys() {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        while let Some((node, trail)) = stack.pop() {
            for next in edges.get(&node).into_iter().flatten() {
                if next == start {
                    // Named from its smallest member, so each cycle is reported once.
                    let min = trail.iter().min().cloned().unwrap_or_default();
                    if &min == start {
                        found.insert(format!("import cycle: {} → {start}", trail.join(" → ")));
                    }
                } else if !trail.contains(next) && next > start {
                    let mut t = trail.clone();
                    t.push(next.clone());
                    stack.push((next.clone(), t));
                }
            }
        }
    }
    found.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(path: &str, code: &str) -> Module {
        Module {
            path: path.split("::").map(String::from).collect(),
            code: code.into(),
        }
    }

    #[test]
    fn expands_use_trees() {
        assert_eq!(
            expand("crate::api::{jobs::{Job, Operation}, keys::SapKey}"),
            [
                "crate::api::jobs::Job",
                "crate::api::jobs::Operation",
                "crate::api::keys::SapKey"
            ]
        );
        assert_eq!(expand("std::rc::Rc"), ["std::rc::Rc"]);
    }

    #[test]
    fn a_clean_graph_has_no_problems() {
        let ms = [
            m("api::jobs", "use super::decode::parse;"),
            m("api::decode", ""),
            m(
                "domain::ledger",
                "use crate::api::jobs::Job;\nfn f() { crate::domain::poll::x(); }",
            ),
            m(
                "domain::poll",
                "#[cfg(test)]\nmod tests { use crate::domain::ledger::L; }",
            ),
        ];
        assert_eq!(problems(&ms), Vec::<String>::new());
    }

    #[test]
    fn finds_a_cycle_and_an_upward_import() {
        let ms = [
            m("api::error", "use crate::api::types::DecodeError;"),
            m("api::types", "use crate::api::error::excerpt;"),
            m("api::client", "use crate::domain::session::Claims;"),
            m("domain::session", ""),
        ];
        assert_eq!(
            problems(&ms),
            [
                "api::client imports domain::session (layer api may not import layer domain)",
                "import cycle: api::error → api::types → api::error",
            ]
        );
    }

    #[test]
    fn a_cycle_through_super_is_found() {
        let ms = [
            m("domain::ledger::merge", "use super::entry::E;"),
            m("domain::ledger::entry", "use super::merge::M;"),
            m("domain::ledger", "pub mod entry; pub mod merge;"),
        ];
        assert_eq!(
            problems(&ms),
            ["import cycle: domain::ledger::entry → domain::ledger::merge → domain::ledger::entry"]
        );
    }

    #[test]
    fn the_page_has_no_cycle_and_no_upward_import() {
        let src = crate::root().join("src");
        let modules = read_crate(&src).expect("the page's sources read");
        assert!(modules.len() > 20, "found {} modules", modules.len());
        assert_eq!(problems(&modules), Vec::<String>::new());
    }
}
