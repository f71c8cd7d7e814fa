//! Every finding code `data/case.toml` names is one some check can emit, so a typo there fails
//! here instead of quietly never matching.
//!
//! Finding codes are not listed in one place: a check emits a code as a string literal in its
//! source (`Finding::new("host.typosquat", …)`), and the text rules take theirs from
//! `data/patterns/*.toml` (`code = "text.asks_card"`). So a code exists when it is quoted in the
//! source of a crate (`crates/*/src/`) or in a data file other than `case.toml`; a code ending
//! in `.` or `_` is a prefix (as the case rules read it) and exists when some quoted code
//! starts with it.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn collect(dir: &Path, ext: &str, out: &mut Vec<(PathBuf, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            collect(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            let text =
                std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            out.push((p, text));
        }
    }
}

/// The texts codes are defined in: every crate's `src/`, and the data files but `case.toml`.
fn definitions() -> Vec<String> {
    let mut files = Vec::new();
    let crates = root().join("crates");
    for e in std::fs::read_dir(&crates).expect("crates/") {
        collect(&e.expect("entry").path().join("src"), "rs", &mut files);
    }
    collect(&root().join("data"), "toml", &mut files);
    files
        .into_iter()
        .filter(|(p, _)| p.file_name().is_none_or(|n| n != "case.toml"))
        .map(|(_, t)| t)
        .collect()
}

/// Every `codes = [...]` entry of a case.toml, with where it is.
fn case_codes(case_toml: &str) -> Vec<(String, String)> {
    let value: toml::Table = toml::from_str(case_toml).expect("case.toml parses");
    let mut out = Vec::new();
    for (section, v) in &value {
        let Some(items) = v.as_array() else { continue };
        for (i, item) in items.iter().enumerate() {
            let Some(codes) = item.get("codes").and_then(|c| c.as_array()) else {
                continue;
            };
            for c in codes {
                let c = c.as_str().expect("a code is a string");
                out.push((format!("[[{section}]] #{}", i + 1), c.to_string()));
            }
        }
    }
    out
}

/// Whether `code` (or, ending in `.` or `_`, some code with that prefix) is quoted in `text`.
fn defined_in(code: &str, text: &str) -> bool {
    if code.ends_with('.') || code.ends_with('_') {
        let quoted = format!("\"{code}");
        text.match_indices(&quoted).any(|(i, _)| {
            text[i + quoted.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
    } else {
        text.contains(&format!("\"{code}\""))
    }
}

/// The codes of `case_toml` that no definition names.
fn unknown_codes(case_toml: &str, defs: &[String]) -> Vec<String> {
    case_codes(case_toml)
        .into_iter()
        .filter(|(_, code)| !defs.iter().any(|t| defined_in(code, t)))
        .map(|(at, code)| format!("{at}: {code}"))
        .collect()
}

#[test]
fn every_code_in_case_toml_exists() {
    let case = std::fs::read_to_string(root().join("data/case.toml")).expect("data/case.toml");
    let defs = definitions();
    let named = case_codes(&case);
    assert!(named.len() >= 40, "only {} codes read", named.len());
    let unknown = unknown_codes(&case, &defs);
    assert!(
        unknown.is_empty(),
        "codes in data/case.toml that no check emits: {unknown:#?}"
    );
}

#[test]
fn a_misspelt_code_fails() {
    let defs = definitions();
    let case = "[[ask]]\ncategory = \"x\"\ncodes = [\"host.typosquat\", \"host.typosquatt\", \"text.asks_card\"]\n\
                [[step]]\nid = \"y\"\ncodes = [\"host.\", \"hots.\", \"email.link_\", \"email.lnik_\"]\n";
    assert_eq!(
        unknown_codes(case, &defs),
        [
            "[[ask]] #1: host.typosquatt",
            "[[step]] #1: hots.",
            "[[step]] #1: email.lnik_"
        ]
    );
}
