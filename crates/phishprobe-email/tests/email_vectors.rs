//! Email test vectors as data: every `resources/<topic>/<name>.toml` says what the checker must
//! answer for the message `<name>.eml` beside it (or the one its `message` key names). One test
//! reads them all and reports every failing vector at once. (`resources/auth/` holds the signed
//! DKIM/SPF vectors of `verify.rs` and is not read here.)
//!
//! A vector file:
//!
//! | key | meaning |
//! |---|---|
//! | `message` | the `.eml` file, when it is not `<name>.eml` |
//! | `authserv_id` | `Options::authserv_id`: the receiver whose Authentication-Results count |
//! | `verdict`, `verdict_not` | the verdict is / is not this one |
//! | `verdict_at_least`, `verdict_at_most`, `verdict_below` | the verdict is ≥, ≤, < this one |
//! | `brand` | the brand the report names |
//! | `has` / `lacks` | finding codes that must / must not appear |
//! | `has_any` | at least one of these codes appears |
//! | `[[finding]]` | the first finding with `code`: `severity` (exact), `severity_at_least`, `evidence` (exact), `evidence_contains`, `en_contains`, `en_lacks`, `zh_contains`; `if_present = true` checks it only when it is there |
//! | `[[detail]]` | `at`, a JSON pointer into the report's details (as `--json` shows them); then `is` (the value), `present` (not null), or for an array, some element whose fields are `equal` to these and `containing` these (a substring, or an element of an array) |
//!
//! Whatever a vector says, every finding must have a message in both languages.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use phishprobe_core::{Engine, Finding, Severity, Verdict};
use phishprobe_email::{EmailChecker, EmailReport, Options};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Vector {
    message: Option<String>,
    authserv_id: Option<String>,
    verdict: Option<Verdict>,
    verdict_not: Option<Verdict>,
    verdict_at_least: Option<Verdict>,
    verdict_at_most: Option<Verdict>,
    verdict_below: Option<Verdict>,
    brand: Option<String>,
    #[serde(default)]
    has: Vec<String>,
    #[serde(default)]
    has_any: Vec<String>,
    #[serde(default)]
    lacks: Vec<String>,
    #[serde(default)]
    finding: Vec<FindingExpect>,
    #[serde(default)]
    detail: Vec<DetailExpect>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FindingExpect {
    code: String,
    #[serde(default)]
    if_present: bool,
    severity: Option<Severity>,
    severity_at_least: Option<Severity>,
    evidence: Option<String>,
    evidence_contains: Option<String>,
    #[serde(default)]
    en_contains: Vec<String>,
    #[serde(default)]
    en_lacks: Vec<String>,
    #[serde(default)]
    zh_contains: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DetailExpect {
    at: String,
    #[serde(rename = "is")]
    value: Option<toml::Value>,
    present: Option<bool>,
    #[serde(default)]
    equal: BTreeMap<String, toml::Value>,
    #[serde(default)]
    containing: BTreeMap<String, String>,
}

fn resources() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("resources")
}

fn codes(r: &EmailReport) -> Vec<String> {
    r.report
        .findings
        .iter()
        .map(|f| format!("{}:{:?}", f.code, f.severity))
        .collect()
}

fn json(v: &toml::Value) -> Value {
    serde_json::to_value(v).expect("a TOML value is JSON")
}

fn check_finding(want: &FindingExpect, f: &Finding, out: &mut Vec<String>) {
    let code = &want.code;
    if let Some(s) = want.severity
        && f.severity != s
    {
        out.push(format!("{code} severity {:?}, expected {s:?}", f.severity));
    }
    if let Some(s) = want.severity_at_least
        && f.severity < s
    {
        out.push(format!(
            "{code} severity {:?}, expected ≥ {s:?}",
            f.severity
        ));
    }
    if let Some(e) = &want.evidence
        && &f.evidence != e
    {
        out.push(format!("{code} evidence {:?}, expected {e:?}", f.evidence));
    }
    if let Some(e) = &want.evidence_contains
        && !f.evidence.contains(e.as_str())
    {
        out.push(format!("{code} evidence {:?} lacks {e:?}", f.evidence));
    }
    for w in &want.en_contains {
        if !f.message.en.contains(w.as_str()) {
            out.push(format!("{code} message {:?} lacks {w:?}", f.message.en));
        }
    }
    for w in &want.en_lacks {
        if f.message.en.contains(w.as_str()) {
            out.push(format!("{code} message {:?} has {w:?}", f.message.en));
        }
    }
    for w in &want.zh_contains {
        if !f.message.zh.contains(w.as_str()) {
            out.push(format!("{code} message {:?} lacks {w:?}", f.message.zh));
        }
    }
}

/// Whether one element of a details array has the `equal` fields and the `containing` texts.
fn element_matches(el: &Value, want: &DetailExpect) -> bool {
    want.equal.iter().all(|(k, v)| el.get(k) == Some(&json(v)))
        && want.containing.iter().all(|(k, text)| match el.get(k) {
            Some(Value::String(s)) => s.contains(text.as_str()),
            Some(Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(text.as_str())),
            _ => false,
        })
}

fn check_detail(want: &DetailExpect, details: &Value, out: &mut Vec<String>) {
    let at = &want.at;
    let found = details.pointer(at).filter(|v| !v.is_null());
    if let Some(p) = want.present
        && found.is_some() != p
    {
        out.push(format!("{at}: present {}, expected {p}", found.is_some()));
    }
    if let Some(v) = &want.value
        && found != Some(&json(v))
    {
        out.push(format!("{at}: {found:?}, expected {v}"));
    }
    if !want.equal.is_empty() || !want.containing.is_empty() {
        let ok = found
            .and_then(Value::as_array)
            .is_some_and(|items| items.iter().any(|el| element_matches(el, want)));
        if !ok {
            out.push(format!(
                "{at}: no element with {:?} containing {:?} in {found:?}",
                want.equal, want.containing
            ));
        }
    }
}

/// Whether the verdict got (first) stands in the expected relation to the one wanted.
type VerdictTest = fn(Verdict, Verdict) -> bool;

/// What is wrong with the checker's answer for one vector (empty: it passes).
fn problems(v: &Vector, r: &EmailReport) -> Vec<String> {
    let mut out = Vec::new();
    let got = r.report.verdict;
    let verdicts: [(Option<Verdict>, &str, VerdictTest); 5] = [
        (v.verdict, "=", |g, w| g == w),
        (v.verdict_not, "≠", |g, w| g != w),
        (v.verdict_at_least, "≥", |g, w| g >= w),
        (v.verdict_at_most, "≤", |g, w| g <= w),
        (v.verdict_below, "<", |g, w| g < w),
    ];
    for (want, op, holds) in verdicts {
        if let Some(w) = want
            && !holds(got, w)
        {
            out.push(format!("verdict {got:?}, expected {op} {w:?}"));
        }
    }
    if let Some(want) = &v.brand
        && r.report.brand.as_deref() != Some(want.as_str())
    {
        out.push(format!("brand {:?}, expected {want:?}", r.report.brand));
    }
    for code in &v.has {
        if !r.report.has(code) {
            out.push(format!("{code} missing"));
        }
    }
    if !v.has_any.is_empty() && !v.has_any.iter().any(|c| r.report.has(c)) {
        out.push(format!("none of {:?}", v.has_any));
    }
    for code in &v.lacks {
        if r.report.has(code) {
            out.push(format!("{code} present"));
        }
    }
    for want in &v.finding {
        match r.report.findings.iter().find(|f| f.code == want.code) {
            Some(f) => check_finding(want, f, &mut out),
            None if want.if_present => {}
            None => out.push(format!("{} missing", want.code)),
        }
    }
    if !v.detail.is_empty() {
        let details = serde_json::to_value(&r.details).expect("details serialise");
        for want in &v.detail {
            check_detail(want, &details, &mut out);
        }
    }
    for f in &r.report.findings {
        if f.message.en.is_empty() || f.message.zh.is_empty() {
            out.push(format!("{}: message not in both languages", f.code));
        }
    }
    out
}

/// Every vector file under `resources/` but `auth/`, sorted.
fn vector_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for topic in std::fs::read_dir(resources()).expect("resources/") {
        let topic = topic.expect("entry").path();
        if !topic.is_dir() || topic.file_name().is_some_and(|n| n == "auth") {
            continue;
        }
        for e in std::fs::read_dir(&topic).expect("topic dir") {
            out.push(e.expect("entry").path());
        }
    }
    out.sort();
    out
}

#[test]
fn email_vectors() {
    let engine = Engine::embedded().expect("embedded data loads");
    let files = vector_files();
    let mut used = std::collections::BTreeSet::new();
    let (mut failures, mut n) = (Vec::new(), 0);
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
    {
        n += 1;
        let name = path
            .strip_prefix(resources())
            .unwrap_or(path)
            .display()
            .to_string();
        let text = std::fs::read_to_string(path).expect("read");
        let v: Vector = toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let eml = match &v.message {
            Some(m) => path.with_file_name(m),
            None => path.with_extension("eml"),
        };
        let raw = std::fs::read(&eml).unwrap_or_else(|e| panic!("{name}: {}: {e}", eml.display()));
        used.insert(eml);
        let options = Options {
            authserv_id: v.authserv_id.clone(),
            ..Options::default()
        };
        let checker = EmailChecker::new(&engine, options);
        let r = match checker.check(&name, &raw) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{name}: no verdict: {e}"));
                continue;
            }
        };
        let wrong = problems(&v, &r);
        if !wrong.is_empty() {
            failures.push(format!(
                "{name}: {}; got {:?} {:?} {:?}",
                wrong.join("; "),
                r.report.verdict,
                r.report.brand,
                codes(&r)
            ));
        }
    }
    let orphans: Vec<_> = files
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "eml") && !used.contains(*p))
        .collect();
    assert!(orphans.is_empty(), "messages no vector reads: {orphans:?}");
    assert!(
        failures.is_empty(),
        "{} of {n} vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(n >= 50, "only {n} vectors read");
}

/// The checker itself: a wrong expectation is reported, so the vectors can fail.
#[test]
fn a_wrong_expectation_is_reported() {
    let engine = Engine::embedded().expect("embedded data loads");
    let raw = std::fs::read(resources().join("messages/zip_attachment.eml")).expect("message");
    let r = EmailChecker::new(&engine, Options::default())
        .check("zip", &raw)
        .expect("a verdict");
    let v: Vector = toml::from_str(
        r#"
verdict = "genuine"
verdict_below = "unknown"
brand = "nobody"
has = ["email.nothing_like_this"]
has_any = ["email.nor_this"]
lacks = ["email.dangerous_attachment"]

[[finding]]
code = "email.dangerous_attachment"
severity = "info"
en_contains = ["nothing like this"]

[[detail]]
at = "/attachments"
equal = { name = "invoice.zip" }
containing = { inside = "nothing like this" }

[[detail]]
at = "/sender/nothing"
present = true
"#,
    )
    .expect("vector");
    let wrong = problems(&v, &r);
    assert_eq!(wrong.len(), 10, "{wrong:#?}");
}
