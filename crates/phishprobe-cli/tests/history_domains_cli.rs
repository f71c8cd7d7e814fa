//! `phishprobe history domains` through the real binary: rows written by the library (as the
//! feed's `screen` workers write them) into a temporary SQLite file, read back as JSON lines
//! and as a table, with the verdict and name filters, paging and the dead letters.

mod common;

use std::path::PathBuf;

use common::{assert_exit, json_lines, run};
use phishprobe_store::{DomainVerdict, HistoryStore, Upsert};

fn db(name: &str) -> String {
    let d = std::env::temp_dir().join(format!("phishprobe-domains-cli-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("tmp dir");
    let p: PathBuf = d.join(format!("{name}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
    }
    p.display().to_string()
}

fn verdict(name: &str, verdict: &str, score: u32, brand: Option<&str>) -> DomainVerdict {
    DomainVerdict {
        name: name.into(),
        rules_version: "0.1.0".into(),
        verdict: verdict.into(),
        score,
        brand: brand.map(str::to_string),
        report_json: format!(
            "{{\"input\":\"{name}\",\"verdict\":\"{verdict}\",\"score\":{score},\"findings\":[]}}"
        ),
        source: "ct:https://log.example/".into(),
    }
}

/// Three names, the phishing one delivered twice, and one dead letter.
fn fill(path: &str) {
    let mut s = HistoryStore::open(path).expect("open");
    let phish = verdict("amazon-verify.example", "phishing", 90, Some("amazon"));
    assert_eq!(s.upsert_domain_verdict(&phish).unwrap(), Upsert::Inserted);
    assert_eq!(s.upsert_domain_verdict(&phish).unwrap(), Upsert::Rewritten);
    for v in [
        verdict("paypal-help.example", "suspicious", 45, Some("paypal")),
        verdict("paypal.com", "genuine", 0, None),
    ] {
        s.upsert_domain_verdict(&v).unwrap();
    }
    s.record_dead_letter("broken.example", "host check timed out\nagain", 5)
        .unwrap();
}

fn names(lines: &[serde_json::Value]) -> Vec<String> {
    let mut n: Vec<String> = lines
        .iter()
        .map(|l| l["name"].as_str().unwrap_or_default().to_string())
        .collect();
    n.sort();
    n
}

#[test]
fn json_lines_carry_the_report_and_the_row() {
    let db = db("json");
    fill(&db);
    let o = run(&["--json", "history", "--db", &db, "domains"], None);
    assert_exit(&o, 0);
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 3);
    let p = lines
        .iter()
        .find(|l| l["name"] == "amazon-verify.example")
        .expect("the phishing row");
    assert_eq!(p["writes"], 2, "delivered twice, stored once: {p}");
    assert_eq!(p["rules_version"], "0.1.0");
    assert_eq!(p["verdict"], "phishing");
    assert_eq!(p["score"], 90);
    assert_eq!(p["input"], "amazon-verify.example", "the stored report");
    assert!(p["findings"].is_array());
    assert_eq!(p["source"], "ct:https://log.example/");
    let first = p["first_seen"].as_i64().expect("first_seen");
    assert!(first > 1_600_000_000);
    assert!(p["last_written"].as_i64().expect("last_written") >= first);

    let o = run(
        &[
            "--json",
            "history",
            "--db",
            &db,
            "domains",
            "--verdict",
            "phishing",
            "--verdict",
            "suspicious",
        ],
        None,
    );
    assert_exit(&o, 0);
    assert_eq!(
        names(&json_lines(&o)),
        ["amazon-verify.example", "paypal-help.example"]
    );
    let o = run(
        &[
            "--json",
            "history",
            "--db",
            &db,
            "domains",
            "--contains",
            "PayPal",
        ],
        None,
    );
    assert_eq!(
        names(&json_lines(&o)),
        ["paypal-help.example", "paypal.com"]
    );
    // Paging: two pages of one and two rows, no overlap, everything covered.
    let page = |offset: &str, limit: &str| {
        let o = run(
            &[
                "--json", "history", "--db", &db, "domains", "--limit", limit, "--offset", offset,
            ],
            None,
        );
        assert_exit(&o, 0);
        names(&json_lines(&o))
    };
    let mut both = page("0", "1");
    assert_eq!(both.len(), 1);
    let second = page("1", "5");
    assert_eq!(second.len(), 2);
    both.extend(second);
    both.sort();
    assert_eq!(
        both,
        ["amazon-verify.example", "paypal-help.example", "paypal.com"]
    );
}

#[test]
fn text_is_a_table_and_bad_filters_are_refused() {
    let db = db("text");
    let empty = run(&["history", "--db", &db, "domains"], None);
    assert_exit(&empty, 0);
    assert_eq!(
        String::from_utf8_lossy(&empty.stdout).trim(),
        "No domain verdicts."
    );
    fill(&db);
    let o = run(&["history", "--db", &db, "domains"], None);
    assert_exit(&o, 0);
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("VERDICT"), "{text}");
    for col in ["SCORE", "BRAND", "NAME", "WRITES"] {
        assert!(lines[0].contains(col), "{text}");
    }
    let row = lines
        .iter()
        .find(|l| l.contains("amazon-verify.example"))
        .unwrap_or_else(|| panic!("{text}"));
    let words: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        words,
        [
            "phishing",
            "90",
            "amazon",
            "amazon-verify.example",
            "2",
            "0.1.0"
        ],
        "{text}"
    );
    let genuine = lines
        .iter()
        .find(|l| l.contains("paypal.com"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(genuine.split_whitespace().nth(2) == Some("-"), "{text}");
    assert!(text.trim_end().ends_with("1–3 of 3"), "{text}");

    let o = run(
        &["history", "--db", &db, "domains", "--verdict", "genuine"],
        None,
    );
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(text.contains("paypal.com"), "{text}");
    assert!(!text.contains("amazon-verify"), "{text}");
    assert!(text.trim_end().ends_with("1–1 of 1"), "{text}");

    for bad in [
        &["history", "--db", &db, "domains", "--verdict", "fine"][..],
        &["history", "--db", &db, "domains", "--limit", "0"][..],
        &[
            "history",
            "--db",
            &db,
            "domains",
            "--dead-letters",
            "--verdict",
            "phishing",
        ][..],
    ] {
        let o = run(bad, None);
        assert!(!o.status.success(), "{bad:?} was accepted");
        assert!(o.stdout.is_empty(), "{bad:?}");
        assert!(!o.stderr.is_empty(), "{bad:?}");
    }
}

#[test]
fn dead_letters_are_listed() {
    let db = db("dead");
    fill(&db);
    let o = run(
        &[
            "--json",
            "history",
            "--db",
            &db,
            "domains",
            "--dead-letters",
        ],
        None,
    );
    assert_exit(&o, 0);
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["name"], "broken.example");
    assert_eq!(lines[0]["deliveries"], 5);
    assert_eq!(lines[0]["reason"], "host check timed out\nagain");
    let o = run(&["history", "--db", &db, "domains", "--dead-letters"], None);
    assert_exit(&o, 0);
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.contains("broken.example  5 deliveries  host check timed out again"),
        "{text}"
    );
}
