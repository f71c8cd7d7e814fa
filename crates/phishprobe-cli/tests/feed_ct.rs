//! `phishprobe feed` on a Certificate Transparency log written and served by the test
//! (certificates made with rcgen, Static CT tiles on 127.0.0.1): followed to the end with
//! every name judged once, a restart resuming at the saved index, a checkpoint that does not
//! match the tiles refused; and certstream recordings with garbage among the messages.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::run;
use phishprobe_feed::ct::serve::serve_dir;
use phishprobe_feed::ct::write::StaticLogWriter;
use rcgen::{CertificateParams, KeyPair};

/// Names of certificate `i`: look-alikes every seventh, names repeated across certificates
/// (renewals), wildcards, and ordinary sites.
fn names_of(i: u64) -> Vec<String> {
    let mut names = vec![
        format!("www.store{i}.example.net"),
        format!("store{i}.example.net"),
    ];
    if i.is_multiple_of(7) {
        names.push(format!("amazon-seller-verify{i}.top"));
        names.push(format!("*.amazon-seller-verify{i}.top"));
    }
    if i.is_multiple_of(5) {
        names.push("shared-cdn.example.com".into()); // the same name in many certificates
    }
    names
}

fn certificate(key: &KeyPair, names: &[String]) -> Vec<u8> {
    let params = CertificateParams::new(names.to_vec()).unwrap();
    params.self_signed(key).unwrap().der().to_vec()
}

fn add(writer: &mut StaticLogWriter, key: &KeyPair, range: std::ops::Range<u64>) {
    for i in range {
        writer.add_x509(&certificate(key, &names_of(i))).unwrap();
    }
    writer.publish().unwrap();
}

/// The canonical names certificates `range` bring, once each.
fn expected(range: std::ops::Range<u64>) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    for i in range {
        for name in names_of(i) {
            seen.insert(name.trim_start_matches("*.").to_string());
        }
    }
    seen.into_iter().collect()
}

/// Each printed verdict's input, counted.
fn judged(stdout: &[u8]) -> HashMap<String, (usize, String)> {
    let mut got: HashMap<String, (usize, String)> = HashMap::new();
    for line in String::from_utf8_lossy(stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let entry = got
            .entry(v["input"].as_str().unwrap().to_string())
            .or_insert((0, String::new()));
        entry.0 += 1;
        entry.1 = v["verdict"].as_str().unwrap().to_string();
    }
    got
}

fn feed_ct(url: &str, state: &Path, extra: &[&str]) -> std::process::Output {
    let from = format!("ct:{url}");
    let state = state.display().to_string();
    let mut args = vec![
        "feed", "--from", &from, "--once", "--json", "--state", &state,
    ];
    args.extend_from_slice(extra);
    run(&args, None)
}

#[test]
fn a_ct_log_is_followed_to_the_end_and_a_restart_resumes_at_the_saved_index() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key = KeyPair::generate().unwrap();
    let mut writer = StaticLogWriter::new(dir.path().join("log"), "log.test/feed").unwrap();
    add(&mut writer, &key, 0..600);
    let server = runtime.block_on(serve_dir(dir.path().join("log"))).unwrap();
    let url = server.url();
    let state = dir.path().join("position.json");

    let first = feed_ct(&url, &state, &["--start", "0"]);
    let got = judged(&first.stdout);
    let want = expected(0..600);
    assert_eq!(
        got.len(),
        want.len(),
        "stderr: {}",
        String::from_utf8_lossy(&first.stderr)
    );
    for name in &want {
        assert_eq!(got.get(name).map(|g| g.0), Some(1), "{name} judged once");
    }
    // The look-alikes are flagged, with the verdicts `url` gives.
    let lookalikes: Vec<&String> = want.iter().filter(|n| n.starts_with("amazon-")).collect();
    assert_eq!(lookalikes.len(), 86);
    let mut args = vec!["url", "--json"];
    args.extend(lookalikes.iter().map(|s| s.as_str()));
    for line in common::json_lines(&run(&args, None)) {
        let name = line["input"].as_str().unwrap();
        assert_eq!(got[name].1, line["verdict"].as_str().unwrap(), "{name}");
        assert!(
            ["phishing", "suspicious"].contains(&got[name].1.as_str()),
            "{name} flagged"
        );
    }
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(saved["next"], 600);

    // The log grows; a restart without --start reads only the new entries.
    add(&mut writer, &key, 600..800);
    let second = feed_ct(&url, &state, &[]);
    let got = judged(&second.stdout);
    // A new process remembers no names: shared-cdn.example.com is judged again, once.
    let want_second = expected(600..800);
    assert_eq!(
        got.len(),
        want_second.len(),
        "only entries 600..800: {}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert!(got.contains_key("store600.example.net") && !got.contains_key("store599.example.net"));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(saved["next"], 800);
    drop(server);
}

#[test]
fn a_checkpoint_that_does_not_match_the_tiles_is_refused() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key = KeyPair::generate().unwrap();
    let mut writer = StaticLogWriter::new(dir.path().join("log"), "log.test/bad").unwrap();
    add(&mut writer, &key, 0..300);
    writer.write_checkpoint(300, &[7u8; 32]).unwrap();
    let server = runtime.block_on(serve_dir(dir.path().join("log"))).unwrap();
    let out = feed_ct(&server.url(), &dir.path().join("p.json"), &["--start", "0"]);
    assert_ne!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("refused") && stderr.contains("root"),
        "{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing judged from a log that does not add up"
    );
}

#[test]
fn certstream_recordings_keep_going_past_garbage_and_huge_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let big: Vec<String> = (0..10_000)
        .map(|i| format!("\"n{i}.cdn.example\""))
        .collect();
    let lines = [
        r#"{"message_type":"certificate_update","data":{"leaf_cert":{"all_domains":["amazon-seller-verify.top","*.amazon-seller-verify.top","www.amazon-seller-verify.top"]}}}"#.to_string(),
        "this is not json".to_string(),
        r#"{"message_type":"heartbeat"}"#.to_string(),
        r#"{"message_type":"dns_entries","data":["a-shop.example.org","bad name!","192.0.2.1"]}"#.to_string(),
        format!(r#"{{"message_type":"dns_entries","data":[{}]}}"#, big.join(",")),
        r#"{"message_type":"certificate_update","data":{}}"#.to_string(),
        r#"{"message_type":"dns_entries","data":["a-shop.example.org","last.example.org"]}"#.to_string(),
    ];
    let file = dir.path().join("recorded.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let from = format!("certstream:{}", file.display());
    let out = run(&["feed", "--from", &from, "--json"], None);
    let got = judged(&out.stdout);
    assert!(["phishing", "suspicious"].contains(&got["amazon-seller-verify.top"].1.as_str()));
    assert_eq!(got["a-shop.example.org"].0, 1, "repeated names judged once");
    assert!(
        got.contains_key("last.example.org"),
        "the feed went on to the end"
    );
    // Two names from the first message (the wildcard folds to its base), one from line 4,
    // the first 1,000 of the 10,000-name message, and the last line's new name.
    assert_eq!(got.len(), 2 + 1 + 1000 + 1);
    let errors: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|v: &serde_json::Value| v.get("error").is_some())
        .collect();
    let at: Vec<&str> = errors.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert_eq!(
        at,
        ["line 2", "line 4", "line 4", "line 5", "line 6"],
        "{errors:?}"
    );
}
