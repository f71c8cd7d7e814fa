//! Evaluation over the shared real-world corpus (`../shared/corpus/text/`, outside the repo).
//! Asserts the targets and prints the measured rates (`cargo test -p phishprobe-core
//! --test text_corpus -- --nocapture`). Skips with a message when the corpus is absent (fails under PHISHPROBE_REQUIRE_CORPUS=1).
//!
//! "Flagged" = verdict suspicious or phishing. Nothing here is fitted to rows: the patterns
//! are in data/patterns/*.toml, written from public descriptions of scam scripts.

use std::collections::BTreeMap;

use phishprobe_core::Engine;
use phishprobe_core::model::Verdict;
use phishprobe_core::text::{self, TextRules};
use phishprobe_testkit::assert_measure;

struct Row {
    text: String,
    label: String,
    source: String,
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('\\') => out.push('\\'),
                Some(o) => {
                    out.push('\\');
                    out.push(o)
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn load(name: &str) -> Option<Vec<Row>> {
    let data = phishprobe_testkit::corpus_text(&format!("text/{name}"))?;
    let rows = data
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split('\t');
            let text = unescape(f.next()?);
            let label = f.next()?.to_string();
            let _lang = f.next();
            let source = f.next().unwrap_or("").to_string();
            Some(Row {
                text,
                label,
                source,
            })
        })
        .collect();
    Some(rows)
}

struct Eval {
    engine: Engine,
    rules: TextRules,
}

impl Eval {
    fn new() -> Eval {
        Eval {
            engine: Engine::embedded().expect("engine"),
            rules: TextRules::embedded().expect("rules"),
        }
    }
    fn flagged(&self, t: &str) -> bool {
        text::check(&self.engine, &self.rules, "t", t).verdict != Verdict::Unknown
    }
}

/// (flagged, total) per label, and per label+category for the printout.
fn rates(e: &Eval, rows: &[Row], file: &str) -> BTreeMap<String, (usize, usize)> {
    let mut by: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut cat: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for r in rows {
        let f = e.flagged(&r.text);
        let x = by.entry(r.label.clone()).or_default();
        x.1 += 1;
        x.0 += f as usize;
        let c = r
            .source
            .split('|')
            .find_map(|p| p.strip_prefix("cat="))
            .unwrap_or(r.source.split('|').next().unwrap_or(""));
        let y = cat.entry(format!("{}/{}", r.label, c)).or_default();
        y.1 += 1;
        y.0 += f as usize;
        if std::env::var_os("PHISHPROBE_SHOW_MISSES").is_some() && ((r.label != "benign") != f) {
            eprintln!(
                "MISS {file} {} {}: {}",
                r.label,
                c,
                r.text.chars().take(200).collect::<String>()
            );
        }
    }
    for (k, (f, n)) in &by {
        println!(
            "{file}: {k:>7}: {f}/{n} flagged = {:.1}%",
            100.0 * *f as f64 / *n as f64
        );
    }
    for (k, (f, n)) in &cat {
        println!(
            "    {file} {k}: {f}/{n} = {:.1}%",
            100.0 * *f as f64 / *n as f64
        );
    }
    by
}

fn pct(by: &BTreeMap<String, (usize, usize)>, label: &str) -> f64 {
    by.get(label)
        .map(|&(f, n)| {
            if n == 0 {
                0.0
            } else {
                100.0 * f as f64 / n as f64
            }
        })
        .unwrap_or(0.0)
}

#[test]
fn calls_are_flagged() {
    let Some(rows) = load("calls.tsv") else {
        return;
    };
    let e = Eval::new();
    let by = rates(&e, &rows, "calls.tsv");
    assert_measure("text.calls_flagged", pct(&by, "scam"), "calls.tsv scam");
}

#[test]
fn sms_recall_and_false_positives() {
    let Some(rows) = load("sms.tsv") else { return };
    let e = Eval::new();
    let by = rates(&e, &rows, "sms.tsv");
    let recall = pct(&by, "scam");
    let fp = pct(&by, "benign");
    println!(
        "sms.tsv: spam rows (reported separately, not a target): {:.1}% flagged",
        pct(&by, "spam")
    );
    assert_measure("text.sms_scam_recall", recall, "sms.tsv scam");
    assert_measure("text.sms_benign_flagged", fp, "sms.tsv benign");
}

#[test]
fn zh_fraud_recall_and_false_positives() {
    let Some(rows) = load("zh_fraud.tsv") else {
        return;
    };
    let e = Eval::new();
    let by = rates(&e, &rows, "zh_fraud.tsv");
    let recall = pct(&by, "scam");
    let fp = pct(&by, "benign");
    assert_measure("text.zh_scam_recall", recall, "zh_fraud.tsv scam");
    assert_measure("text.zh_benign_flagged", fp, "zh_fraud.tsv benign");
}
