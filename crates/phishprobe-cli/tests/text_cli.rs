//! End-to-end tests of `phishprobe text`, `phone` and `numbers` through the real binary.

mod common;

use std::path::PathBuf;

use common::{assert_exit, bin, json_lines, run};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("phishprobe-text-cli-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("tmp dir");
    d.join(name)
}

#[test]
fn incident_script_is_phishing_with_disclosure() {
    let o = run(
        &[
            "--json",
            "text",
            "Amazon Prime Security: your account was hacked. Install AnyDesk and tell me the code.",
        ],
        None,
    );
    assert_exit(&o, 2);
    let v = &json_lines(&o)[0];
    assert_eq!(v["verdict"], "phishing");
    assert_eq!(v["disclosure"], true);
    assert!(v["scam_likelihood"].as_u64().is_some_and(|s| s >= 25));
    assert_eq!(v["brand"], "amazon");
    let zh = run(
        &[
            "--json",
            "text",
            "亚马逊卖家支持：卖家信息泄露，请点击链接重置店铺密码。",
        ],
        None,
    );
    assert_eq!(zh.status.code(), Some(2));
    assert_eq!(json_lines(&zh)[0]["disclosure"], true);
}

/// Issue 17: the SMS with `http://amaz0n-seller.cn/verify` reported and judged that link,
/// not the de-confused `amazon-seller.cn` (a host that is not in the message).
#[test]
fn text_reports_and_judges_the_link_as_written() {
    let link = "http://amaz0n-seller.cn/verify";
    let sms = format!("Amazon: your seller account is on hold. Verify at {link}");
    let o = run(&["--json", "text", &sms], None);
    assert!(matches!(o.status.code(), Some(1 | 2)), "{o:?}");
    let v = &json_lines(&o)[0];
    assert_eq!(v["urls"], serde_json::json!([link]));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(!stdout.contains("amazon-seller.cn"), "{stdout}");
    // The link's finding quotes it as written and gives the reason `phishprobe url` gives
    // for that very link (its first finding above Info).
    let link_finding = v["findings"]
        .as_array()
        .and_then(|f| {
            f.iter().find(|f| {
                f["code"]
                    .as_str()
                    .is_some_and(|c| c.starts_with("text.link_"))
            })
        })
        .cloned()
        .expect("a link finding");
    assert_eq!(link_finding["evidence"], link);
    let u = run(&["--json", "url", link], None);
    let url_report = &json_lines(&u)[0];
    let reason = url_report["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["severity"] != "info"))
        .and_then(|f| f["message"]["en"].as_str())
        .expect("the url check's reason")
        .to_string();
    assert!(
        url_report["findings"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["code"] == "host.homoglyph")),
        "{url_report}"
    );
    let said = link_finding["message"]["en"].as_str().unwrap_or("");
    assert!(said.contains(&reason), "{said:?} lacks {reason:?}");
}

#[test]
fn advice_is_not_flagged_and_readable_output_works() {
    let o = run(&["text", "Amazon will never ask for your password."], None);
    assert_eq!(o.status.code(), Some(0));
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("UNKNOWN"), "{s}");
    assert!(s.contains("Scam-wording score: 0/100"), "{s}");
    let o = run(
        &["--lang", "zh", "text", "亚马逊绝不会要求您提供密码"],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("诈骗话术分"));
}

#[test]
fn stdin_file_and_empty_input() {
    let o = run(
        &["--json", "text"],
        Some("Please read me the verification code we sent you".as_bytes()),
    );
    assert_eq!(o.status.code(), Some(2));
    // Empty input is a usage error (exit 3), said on stderr, nothing on stdout.
    let o = run(&["--json", "text"], Some(b""));
    assert_eq!(o.status.code(), Some(3));
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).contains("empty"));
    let p = tmp("t.txt");
    std::fs::write(
        &p,
        "Your package could not be delivered, pay the customs fee at ups-redeliver.top/pay",
    )
    .unwrap();
    let o = run(&["--json", "text", "--file", p.to_str().unwrap()], None);
    assert!(
        matches!(o.status.code(), Some(1 | 2)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_ne!(json_lines(&o)[0]["verdict"], "unknown");
}

#[test]
fn invalid_utf8_is_a_clear_error() {
    let p = tmp("bad.txt");
    std::fs::write(&p, b"hello \xff\xfe world").unwrap();
    let o = run(&["text", "--file", p.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not valid UTF-8"));
    let o = run(&["text"], Some(b"\xc3\x28 bad"));
    assert_eq!(o.status.code(), Some(4));
}

#[test]
fn fifty_megabytes_get_an_answer() {
    let mut big = "Just checking in, see you at the game tonight. ".repeat(50 * 1024 * 1024 / 47);
    big.push_str("Give me your password.");
    let p = tmp("big.txt");
    std::fs::write(&p, &big).unwrap();
    let o = run(&["--json", "text", "--file", p.to_str().unwrap()], None);
    assert_exit(&o, 2);
    assert_eq!(json_lines(&o)[0]["disclosure"], true);
    let _ = std::fs::remove_file(&p);
}

#[test]
fn jsonl_batch_keeps_ids_and_survives_bad_lines() {
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"id\": 1, \"text\": \"Install TeamViewer so I can refund you\"}\n");
    input.extend_from_slice(b"not json\n");
    input.extend_from_slice(b"{\"id\": \"x\"}\n");
    input.extend_from_slice(b"\n");
    input.extend_from_slice(b"{\"id\": 4, \"text\": \"\xff\"}\n");
    input.extend_from_slice("{\"id\": 5, \"text\": \"晚上一起吃饭吗？\"}\n".as_bytes());
    let o = run(&["text", "--jsonl", "-"], Some(&input));
    let v = json_lines(&o);
    assert_eq!(v.len(), 5, "{v:#?}");
    assert_eq!(v[0]["id"], 1);
    assert_eq!(v[0]["disclosure"], true);
    assert_eq!(v[1]["error"]["code"], "input.bad_jsonl");
    assert_eq!(v[1]["line"], 2);
    assert_eq!(v[2]["id"], "x");
    assert!(v[2]["error"]["message"].as_str().unwrap().contains("text"));
    assert!(v[3]["error"].is_object());
    assert_eq!(v[4]["id"], 5);
    assert_eq!(v[4]["verdict"], "unknown");
    assert_eq!(o.status.code(), Some(4));
}

#[test]
fn text_lang_selects_the_pattern_set() {
    let t = "Please tell me your password";
    let o = run(&["--json", "text", "--text-lang", "zh", t], None);
    assert_eq!(json_lines(&o)[0]["disclosure"], false);
    let o = run(&["--json", "text", "--text-lang", "en", t], None);
    assert_eq!(json_lines(&o)[0]["disclosure"], true);
}

#[test]
fn phone_answers_without_false_trust() {
    let o = run(
        &[
            "--json",
            "phone",
            "+1 888 280 4331",
            "95588",
            &"1234567890".repeat(4),
            "＋８６ １３８ ００１３ ８０００",
        ],
        None,
    );
    let v = json_lines(&o);
    assert_eq!(v.len(), 4);
    assert_eq!(v[0]["verdict"], "unknown");
    assert_eq!(v[0]["e164"], "+18882804331");
    assert_eq!(v[0]["number_type"], "toll_free");
    let codes = |i: usize| -> Vec<String> {
        v[i]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(codes(0).contains(&"phone.brand_published".to_string()));
    assert!(codes(0).contains(&"phone.caller_id_proves_nothing".to_string()));
    assert_eq!(v[1]["class"], "short_code");
    assert_eq!(v[2]["class"], "not_a_number");
    assert_eq!(v[3]["country"], "CN");
    assert_eq!(o.status.code(), Some(0));
    let o = run(&["phone", "--region", "XX", "123"], None);
    assert_eq!(o.status.code(), Some(4));
}

#[test]
fn numbers_list_round_trip_and_phone_uses_it() {
    let db = tmp("numbers.db");
    let _ = std::fs::remove_file(&db);
    let d = db.to_str().unwrap();
    let o = run(
        &[
            "numbers",
            "--db",
            d,
            "add",
            "+1 (202) 555-0143",
            "--scam",
            "--note",
            "fake Amazon",
        ],
        None,
    );
    assert_exit(&o, 0);
    let o = run(
        &["numbers", "--db", d, "add", "1-888-280-4331", "--trusted"],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    let o = run(&["--json", "numbers", "--db", d, "list"], None);
    let v = json_lines(&o);
    assert_eq!(v.len(), 2);
    assert!(
        v.iter()
            .any(|e| e["number"] == "+12025550143" && e["mark"] == "scam")
    );
    let o = run(
        &["--json", "phone", "--db", d, "202-555-0143", "+18882804331"],
        None,
    );
    let v = json_lines(&o);
    assert_eq!(v[0]["verdict"], "suspicious");
    assert_eq!(v[0]["user_mark"], "scam");
    assert_eq!(v[1]["verdict"], "unknown");
    assert_eq!(v[1]["user_mark"], "trusted");
    assert_eq!(o.status.code(), Some(1));
    let o = run(&["numbers", "--db", d, "remove", "+1 202 555 0143"], None);
    assert_eq!(o.status.code(), Some(0));
    let o = run(&["numbers", "--db", d, "remove", "+1 202 555 0143"], None);
    assert_eq!(o.status.code(), Some(4));
    let o = run(&["numbers", "--db", d, "add", "hello", "--scam"], None);
    assert_eq!(o.status.code(), Some(4));
    // Env var instead of the flag.
    let o = bin()
        .env("PHISHPROBE_DB", d)
        .args(["--json", "numbers", "list"])
        .output()
        .unwrap();
    assert_eq!(json_lines(&o).len(), 1);
}
