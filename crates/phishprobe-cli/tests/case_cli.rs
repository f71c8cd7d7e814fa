//! End-to-end tests of `phishprobe case` and `phishprobe history` through the real binary:
//! the four situations of the issue (a phishing email whose link leads to a local clone that
//! accepts a decoy, a genuine-looking notification, a call transcript asking for AnyDesk, a
//! seller "reset your store password" SMS), then list/show/export/delete on the saved cases.
//!
//! The clone is a real HTTP server on 127.0.0.1 written here: an Amazon-style sign-in page
//! that accepts any password (as phishing kits do) and records what it was sent.

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::site::{self, Answer};
use common::{assert_exit, codes, run};

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("phishprobe-case-cli-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("tmp dir");
    d
}

/// A history file per test, so tests can run in parallel.
fn db(name: &str) -> String {
    let p = dir().join(format!("{name}.db"));
    let _ = std::fs::remove_file(&p);
    p.display().to_string()
}

fn write(name: &str, body: &str) -> PathBuf {
    let p = dir().join(name);
    std::fs::write(&p, body).expect("write fixture");
    p
}

fn json(o: &Output) -> serde_json::Value {
    let s = String::from_utf8_lossy(&o.stdout);
    serde_json::from_str(s.trim()).unwrap_or_else(|e| {
        panic!(
            "not one JSON object ({e}): {s}\nstderr: {}",
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn step<'a>(case: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    case["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == id))
        .unwrap_or_else(|| panic!("no step {id} in {case}"))
}

fn advice_text(case: &serde_json::Value) -> String {
    case["advice"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| x["message"]["en"].as_str().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// The look-alike clone: GET shows an Amazon sign-in form, POST accepts anything and shows an
/// "account verified" page asking for the card.
fn clone_route(method: &str, _path: &str, _body: &str, _port: u16) -> Answer {
    Answer::page(if method == "POST" {
        "<!doctype html><html><head><title>Amazon</title></head><body><h1>amazon</h1><p>Thank you. Your account has been verified.</p><h2>Update your payment information</h2><form method=post action=/ap/card><label>Card number<input name=cardnumber autocomplete=cc-number></label><button>Continue</button></form></body></html>"
    } else {
        "<!doctype html><html><head><title>Amazon Sign-In</title></head><body><img alt=\"amazon\" src=\"data:,\"><h1>Sign in</h1><form method=post action=/ap/signin><label>Email or mobile phone number<input type=email name=email></label><label>Password<input type=password name=password></label><button type=submit>Sign in</button></form><p>By continuing, you agree to Amazon's Conditions of Use.</p></body></html>"
    })
}

fn phishing_email(link: &str) -> String {
    format!(
        "Return-Path: <bounce@mailer-notice.top>\r\n\
From: \"Amazon Seller Support\" <support@amazon-seller-notice.top>\r\n\
To: seller@example.org\r\n\
Subject: Action required: your seller account is on hold\r\n\
Date: Thu, 19 Nov 2026 08:00:00 +0000\r\n\
Message-ID: <1@mailer-notice.top>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>Dear seller,</p><p>We detected unusual activity and placed your account on hold. \
Verify your identity within 24 hours or your funds will be withheld.</p>\
<p><a href=\"{link}\">https://sellercentral.amazon.com/verify</a></p>\r\n"
    )
}

/// Lines joined with CRLF (a Rust string continuation would eat the folding whitespace).
const GENUINE_EMAIL: &[&str] = &[
    "Authentication-Results: mx.example.net;",
    "       dkim=pass header.i=@amazon.com header.s=sel1 header.b=abc;",
    "       spf=pass smtp.mailfrom=20261120abc@bounces.amazon.com;",
    "       dmarc=pass header.from=amazon.com",
    "Return-Path: <20261120abc@bounces.amazon.com>",
    "From: \"Amazon.com\" <shipment-tracking@amazon.com>",
    "To: buyer@example.org",
    "Subject: Your Amazon.com order has shipped",
    "Date: Fri, 20 Nov 2026 10:00:00 +0000",
    "Message-ID: <0100018abc@email.amazonses.com>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "Hello,",
    "Your package has shipped. Track it at",
    "https://www.amazon.com/gp/your-account/ship-track",
    "Amazon.com",
    "",
];

const ANYDESK_CALL: &str = "Caller: Hello, this is the Amazon Prime Security team. Your account \
was hacked and somebody bought an iPhone for $999. To stop the order please download AnyDesk \
and read me the nine digit code so our technician can connect and secure your bank account. \
Do not hang up and do not tell anyone.";

const STORE_SMS: &str = "Amazon Seller Central: because of a seller information leak your \
store is at risk. Reset your store password within 24 hours at \
https://sellercentral-amazon.account-reset.top/ap/signin or your account will be suspended.";

#[test]
fn phishing_email_with_link_to_a_clone_that_accepts_the_decoy() {
    let (base, posts) = site::start(clone_route);
    let link = format!("{base}/ap/signin");
    let email = write("phish.eml", &phishing_email(&link));
    let db = db("probe");
    let o = run(
        &[
            "--json",
            "case",
            "--email",
            &email.display().to_string(),
            "--probe",
            "--allow-private",
            "--timeout",
            "60",
            "--db",
            &db,
        ],
        None,
    );
    assert_exit(&o, 2);
    let case = json(&o);
    assert_eq!(case["verdict"], "phishing", "{case}");
    assert_eq!(case["brand"], "amazon");
    // Step 2c: the sender claims Amazon from a domain Amazon does not own.
    let sender = step(&case, "sender");
    assert_eq!(sender["verdict"], "phishing", "{sender}");
    // Step 3: the probe ran on the link inside the email, and the clone took the decoy.
    let probe = step(&case, "wrong_password");
    assert_eq!(probe["status"], "done", "{probe}");
    assert_eq!(probe["verdict"], "phishing", "{probe}");
    assert!(
        codes(probe).iter().any(|c| c == "probe.decoy_accepted"),
        "{probe}"
    );
    let received = posts.lock().expect("posts").clone();
    assert!(!received.is_empty(), "the clone saw no submission");
    assert!(
        received.iter().any(|p| p.body.contains("password=")),
        "{received:?}"
    );
    let advice = advice_text(&case);
    assert!(advice.contains("Do not enter your password"), "{advice}");
    assert!(advice.contains("disbursement"), "{advice}");

    // Saved with the probe's screenshots; the HTML report embeds them and loads nothing.
    let id = case["case_id"].as_str().expect("case id").to_string();
    let out = dir().join("probe-report.html");
    let e = run(
        &[
            "history",
            "--db",
            &db,
            "export",
            &id,
            "--format",
            "html",
            "--out",
            &out.display().to_string(),
        ],
        None,
    );
    assert_exit(&e, 0);
    let html = std::fs::read_to_string(&out).expect("report written");
    assert!(
        html.contains("data:image/png;base64,"),
        "no screenshot embedded"
    );
    assert!(
        !html.contains("src=\"http"),
        "external resource in the report"
    );
    assert!(html.contains("default-src 'none'"));
    assert!(html.contains(&id));
}

#[test]
fn genuine_notification_is_not_called_phishing() {
    let email = write("genuine.eml", &GENUINE_EMAIL.join("\r\n"));
    let o = run(
        &[
            "--json",
            "case",
            "--email",
            &email.display().to_string(),
            "--no-save",
        ],
        None,
    );
    assert_exit(&o, 0);
    let case = json(&o);
    assert_eq!(case["verdict"], "genuine", "{case}");
    assert!(case["case_id"].is_null(), "--no-save saved a case");
    assert_eq!(step(&case, "ask")["verdict"], "unknown");
    assert_eq!(step(&case, "sender")["verdict"], "genuine");
    assert_eq!(step(&case, "website")["verdict"], "genuine");
    // No fault shows and a link is involved: the wrong-password test is the deciding step,
    // reported as not run because it was not asked for.
    assert_eq!(step(&case, "wrong_password")["status"], "not_run");
    let advice = advice_text(&case);
    assert!(!advice.contains("Report it"), "{advice}");
}

#[test]
fn call_transcript_asking_for_anydesk_is_phishing_with_remote_access_advice() {
    let db = db("anydesk");
    let o = run(
        &[
            "--json",
            "case",
            "--text",
            "-",
            "--phone",
            "+1 (888) 555-0142",
            "--db",
            &db,
        ],
        Some(ANYDESK_CALL.as_bytes()),
    );
    assert_exit(&o, 2);
    let case = json(&o);
    assert_eq!(case["verdict"], "phishing");
    let ask = step(&case, "ask");
    assert_eq!(ask["verdict"], "phishing", "{ask}");
    assert!(
        codes(ask).iter().any(|c| c == "text.remote_access"),
        "{ask}"
    );
    // The number is explained but never trusted or blamed on its own.
    let phone = step(&case, "phone");
    assert_eq!(phone["status"], "done");
    assert!(
        codes(phone)
            .iter()
            .any(|c| c == "phone.caller_id_proves_nothing"),
        "{phone}"
    );
    assert_ne!(phone["verdict"], "genuine");
    let advice = advice_text(&case);
    assert!(advice.contains("uninstall"), "{advice}");
    // The --text - input is kept (default) and shows up in `history show`.
    let id = case["case_id"].as_str().expect("saved");
    let s = run(&["history", "--db", &db, "show", id], None);
    let shown = String::from_utf8_lossy(&s.stdout);
    assert_eq!(s.status.code(), Some(0), "{shown}");
    assert!(shown.contains("AnyDesk"), "{shown}");
}

#[test]
fn store_password_sms_is_phishing_and_hashed_inputs_keep_no_words() {
    let db = db("sms");
    let sms = write("sms.txt", STORE_SMS);
    let o = run(
        &[
            "--json",
            "case",
            "--text",
            &sms.display().to_string(),
            "--hash-inputs",
            "--db",
            &db,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    let case = json(&o);
    assert_eq!(case["verdict"], "phishing");
    assert_eq!(step(&case, "website")["verdict"], "phishing");
    // The link is a sign-in page but the probe was not asked for.
    assert_eq!(step(&case, "wrong_password")["status"], "not_run");
    let advice = advice_text(&case);
    assert!(advice.contains("two-step verification"), "{advice}");

    let id = case["case_id"].as_str().expect("saved").to_string();
    let j = run(
        &["history", "--db", &db, "export", &id, "--format", "json"],
        None,
    );
    let exported = json(&j);
    assert_eq!(exported["report"]["verdict"], "phishing", "{exported}");
    let inputs = exported["inputs"].as_array().expect("inputs");
    let text_input = inputs
        .iter()
        .find(|i| i["kind"] == "text")
        .expect("text input");
    assert!(text_input["content"].is_null(), "{text_input}");
    assert_eq!(
        text_input["sha256"].as_str().map(str::len),
        Some(64),
        "{text_input}"
    );
    assert!(!j.stdout.windows(20).any(|w| w == b"seller information l"));
}

#[test]
fn history_lists_exports_in_chinese_and_deletes() {
    let db = db("history");
    let sms = write("sms2.txt", STORE_SMS);
    let mut ids = Vec::new();
    for args in [
        vec![
            "--json",
            "case",
            "--url",
            "https://www.amazon.co.jp/",
            "--db",
            &db,
        ],
        vec![
            "--json",
            "case",
            "--text",
            sms.to_str().expect("utf-8 path"),
            "--db",
            &db,
        ],
    ] {
        let o = run(&args, None);
        ids.push(json(&o)["case_id"].as_str().expect("saved").to_string());
    }
    let l = run(&["--json", "history", "--db", &db, "list"], None);
    let listed = String::from_utf8_lossy(&l.stdout);
    assert_eq!(l.status.code(), Some(0), "{listed}");
    for id in &ids {
        assert!(listed.contains(id.as_str()), "{id} not in {listed}");
    }

    // A unique prefix is enough to name a case.
    let prefix = &ids[1][..6];
    let zh = run(
        &[
            "--lang", "zh", "history", "--db", &db, "export", prefix, "--format", "html",
        ],
        None,
    );
    let html = String::from_utf8_lossy(&zh.stdout);
    assert_exit(&zh, 0);
    assert!(html.contains("lang=\"zh-Hans\""), "not the Chinese report");
    assert!(html.contains("钓鱼"), "no Chinese verdict");

    let d = run(&["history", "--db", &db, "delete", &ids[1]], None);
    assert_exit(&d, 0);
    let gone = run(&["history", "--db", &db, "show", &ids[1]], None);
    assert_ne!(gone.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&gone.stderr).contains("no case"));
    let l = run(&["--json", "history", "--db", &db, "list"], None);
    let listed = String::from_utf8_lossy(&l.stdout);
    assert!(listed.contains(ids[0].as_str()) && !listed.contains(ids[1].as_str()));
}

#[test]
fn bad_case_input_is_a_clear_error() {
    let nothing = run(&["case", "--no-save"], None);
    assert_ne!(nothing.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&nothing.stderr).is_empty());

    let missing = run(
        &["case", "--email", "/nonexistent/mail.eml", "--no-save"],
        None,
    );
    assert_ne!(missing.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/mail.eml"));

    let binary = write("binary.txt", "");
    std::fs::write(&binary, [0xff_u8, 0xfe, 0x00, 0x41]).expect("write");
    let b = run(
        &["case", "--text", &binary.display().to_string(), "--no-save"],
        None,
    );
    assert_ne!(b.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&b.stderr).contains("UTF-8"));

    // Garbage for an email still gets a verdict or a clear error, never a crash.
    let junk = write("junk.eml", "\u{0}\u{1}not a message at all\r\n\r\n\r\n");
    let j = run(
        &["case", "--email", &junk.display().to_string(), "--no-save"],
        None,
    );
    match j.status.code() {
        Some(0..=2) => assert!(!j.stdout.is_empty()),
        _ => assert!(
            String::from_utf8_lossy(&j.stderr).contains("not an email"),
            "{j:?}"
        ),
    }

    let both = run(&["case", "--email", "-", "--text", "-", "--no-save"], None);
    assert_ne!(both.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&both.stderr).contains("standard input"));
}

/// sha256 of `data` through the system tool, so the test does not trust the code it checks.
fn sha256_hex(path: &std::path::Path) -> String {
    let o = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The report a seller forwards is evidence: the email as received (line breaks, not `\u{d}`)
/// with its SHA-256, every finding with the input it came from, no advice to attach itself,
/// no local folders, and "All findings" closed because the steps show them in full.
#[test]
fn html_report_is_faithful_evidence() {
    let db = db("evidence");
    let email = write(
        "evidence.eml",
        &phishing_email("https://sellercentral-amazon.account-reset.top/ap/signin"),
    );
    let sms = write("store-sms.txt", STORE_SMS);
    let call = write("call-notes.txt", ANYDESK_CALL);
    let args = [
        "--json",
        "case",
        "--email",
        email.to_str().expect("utf-8 path"),
        "--text",
        sms.to_str().expect("utf-8 path"),
        "--text",
        call.to_str().expect("utf-8 path"),
        "--url",
        "https://amazon.co.jp.account-verify.top/ap/signin",
        "--phone",
        "+1 (888) 555-0142",
        "--db",
        &db,
    ];
    let o = run(&args, None);
    assert_exit(&o, 2);
    let case = json(&o);
    let id = case["case_id"].as_str().expect("saved").to_string();
    let e = run(
        &["history", "--db", &db, "export", &id, "--format", "html"],
        None,
    );
    assert_exit(&e, 0);
    let html = String::from_utf8_lossy(&e.stdout).into_owned();

    // As received: the CRLF lines of the email are line breaks, and its hash is beside it.
    assert!(!html.contains("\\u{d}"), "escaped CR in the report");
    assert!(
        html.contains("Subject: Action required: your seller account is on hold\nDate:"),
        "the email's lines are not shown as lines"
    );
    let sha = sha256_hex(&email);
    assert_eq!(sha.len(), 64);
    let shown = html
        .split("<details class=\"input\">")
        .find(|d| d.contains("evidence.eml"))
        .expect("the email shown");
    assert!(shown.contains(&sha), "the email's SHA-256 is not beside it");

    // No advice to attach the report to itself, no local folders, inputs by file name.
    assert!(!html.contains("Attach the report"), "self-referring advice");
    assert!(
        !html.contains("phishprobe exports"),
        "self-referring advice"
    );
    let folder = dir().display().to_string();
    assert!(
        !html.contains(&folder),
        "a local path {folder} in the report"
    );
    assert!(html.contains("store-sms.txt") && html.contains("call-notes.txt"));

    // Each finding says where it came from: the remote-access request from the call notes
    // (text 2), the look-alike sender from the email, the given link from the link.
    let finding = |code: &str| -> String {
        html.split("<div class=\"f\">")
            .find(|f| f.contains(&format!("<code>{code}</code>")))
            .unwrap_or_else(|| panic!("no finding {code} in the report"))
            .to_string()
    };
    let remote = finding("text.remote_access");
    assert!(remote.contains("from: text 2 (call-notes.txt)"), "{remote}");
    assert!(!remote.contains("text 1"), "{remote}");
    let sender_codes = codes(step(&case, "sender"));
    let sender_code = sender_codes
        .iter()
        .find(|c| c.starts_with("email."))
        .expect("a sender finding");
    assert!(
        finding(sender_code).contains("from: the email (evidence.eml)"),
        "{}",
        finding(sender_code)
    );
    assert!(html.contains("from: the link (https://amazon.co.jp.account-verify.top/ap/signin)"));
    // The SMS carries the email's link: checked once, named after both.
    assert!(
        html.contains("from: a link in the email and text 1 (https://sellercentral-amazon.account-reset.top/ap/signin)"),
        "links found inside the email and a text are named so"
    );

    // "All findings" repeats the steps: it is there, closed.
    let all = html
        .split("<h2>All findings</h2>")
        .nth(1)
        .expect("All findings");
    assert!(
        all.trim_start()
            .starts_with("<details id=\"all-findings\"><summary>"),
        "{}",
        &all[..200.min(all.len())]
    );

    // In Chinese the labels are Chinese too.
    let zh = run(
        &[
            "--lang", "zh", "history", "--db", &db, "export", &id, "--format", "html",
        ],
        None,
    );
    let zh = String::from_utf8_lossy(&zh.stdout).into_owned();
    assert!(
        zh.contains("来自：文字 2 (call-notes.txt)"),
        "no Chinese source label"
    );
    assert!(zh.contains("风险分"));
    for en in [
        "\">critical<",
        "\">high<",
        "\">medium<",
        "\">low<",
        "\">info<",
    ] {
        assert!(
            !zh.contains(en),
            "English severity {en} in the Chinese report"
        );
    }
}
