//! URL and host-name test vectors as data: every `resources/url/<topic>.txt` is a URL list (one
//! input per line) and `<topic>.toml` beside it says, in the same order, what the engine must
//! answer for each line. One test reads them all and reports every failing vector at once.
//!
//! A vector (`[[vector]]` in the TOML):
//!
//! | key | meaning |
//! |---|---|
//! | `input` | the line of the `.txt` file (checked: the two files must agree) |
//! | `check` | `"url"` (default, `Engine::check_url`) or `"host"` (`Engine::check_host`) |
//! | `verdict` | the exact verdict |
//! | `verdict_in` | one of these verdicts |
//! | `brand` | the brand the report names |
//! | `has` / `lacks` | finding codes that must / must not appear |
//! | `evidence` | code → text its evidence must contain |
//! | `message` | code → text its message must contain, in English and in Chinese |
//!
//! Whatever a vector says, every finding of every vector must have a message in both languages.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use phishprobe_core::{Engine, Report, Verdict};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VectorFile {
    vector: Vec<Vector>,
}

#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Check {
    #[default]
    Url,
    Host,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Vector {
    input: String,
    #[serde(default)]
    check: Check,
    verdict: Option<Verdict>,
    verdict_in: Option<Vec<Verdict>>,
    brand: Option<String>,
    #[serde(default)]
    has: Vec<String>,
    #[serde(default)]
    lacks: Vec<String>,
    #[serde(default)]
    evidence: BTreeMap<String, String>,
    #[serde(default)]
    message: BTreeMap<String, String>,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/url")
}

fn codes(r: &Report) -> Vec<&str> {
    r.findings.iter().map(|f| f.code.as_str()).collect()
}

/// What is wrong with the engine's answer for one vector (empty: it passes).
fn problems(v: &Vector, r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(want) = v.verdict
        && r.verdict != want
    {
        out.push(format!("verdict {:?}, expected {want:?}", r.verdict));
    }
    if let Some(set) = &v.verdict_in
        && !set.contains(&r.verdict)
    {
        out.push(format!("verdict {:?}, expected one of {set:?}", r.verdict));
    }
    if let Some(want) = &v.brand
        && r.brand.as_deref() != Some(want.as_str())
    {
        out.push(format!("brand {:?}, expected {want:?}", r.brand));
    }
    for code in &v.has {
        if !r.has(code) {
            out.push(format!("{code} missing"));
        }
    }
    for code in &v.lacks {
        if r.has(code) {
            out.push(format!("{code} present"));
        }
    }
    let finding = |code: &str| r.findings.iter().find(|f| f.code == code);
    for (code, text) in &v.evidence {
        match finding(code) {
            Some(f) if f.evidence.contains(text.as_str()) => {}
            Some(f) => out.push(format!("{code} evidence {:?} lacks {text:?}", f.evidence)),
            None => out.push(format!("{code} missing (evidence {text:?})")),
        }
    }
    for (code, text) in &v.message {
        match finding(code) {
            Some(f)
                if f.message.en.contains(text.as_str()) && f.message.zh.contains(text.as_str()) => {
            }
            Some(f) => out.push(format!("{code} message {:?} lacks {text:?}", f.message)),
            None => out.push(format!("{code} missing (message {text:?})")),
        }
    }
    for f in &r.findings {
        if f.message.en.is_empty() || f.message.zh.is_empty() {
            out.push(format!("{}: message not in both languages", f.code));
        }
    }
    out
}

#[test]
fn url_vectors() {
    let engine = Engine::embedded().expect("embedded data loads");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("resources/url")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no vectors in {}", dir().display());
    let (mut failures, mut n) = (Vec::new(), 0);
    for toml_path in &files {
        let name = toml_path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let list_path = toml_path.with_extension("txt");
        let list = std::fs::read_to_string(&list_path)
            .unwrap_or_else(|e| panic!("{}: {e}", list_path.display()));
        let text = std::fs::read_to_string(toml_path).expect("read");
        let file: VectorFile = toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let lines: Vec<&str> = list.lines().collect();
        let inputs: Vec<&str> = file.vector.iter().map(|v| v.input.as_str()).collect();
        assert_eq!(
            lines, inputs,
            "{name}: the inputs must be the lines of the .txt file, in order"
        );
        for (i, v) in file.vector.iter().enumerate() {
            n += 1;
            let r = match v.check {
                Check::Url => engine.check_url(&v.input),
                Check::Host => engine.check_host(&v.input),
            };
            let wrong = problems(v, &r);
            if !wrong.is_empty() {
                failures.push(format!(
                    "{name} #{} {:?} ({:?}): {}; got {:?} {:?}",
                    i + 1,
                    v.input.get(..80).unwrap_or(&v.input),
                    v.check,
                    wrong.join("; "),
                    r.verdict,
                    codes(&r)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // A file that names no expectation at all would pass vacuously.
    assert!(n >= 100, "only {n} vectors read");
}

/// The checker itself: a wrong expectation is reported, so the vectors can fail.
#[test]
fn a_wrong_expectation_is_reported() {
    let engine = Engine::embedded().expect("embedded data loads");
    let v: Vector = toml::from_str(
        "input = \"amazom.com\"\nverdict = \"genuine\"\nbrand = \"paypal\"\nhas = [\"host.official\"]\nlacks = [\"host.typosquat\"]\nevidence = { \"host.typosquat\" = \"nothing like this\" }\nmessage = { \"host.typosquat\" = \"nothing like this\" }\n",
    )
    .expect("vector");
    let wrong = problems(&v, &engine.check_url(&v.input));
    assert_eq!(wrong.len(), 6, "{wrong:#?}");
}
