//! Evidence is the original, never the normalised text (issue 17, part 1).
//!
//! The text check matches patterns, links and numbers in a normalised text (look-alike letters
//! mapped, full-width folded, invisible characters and marks dropped, spaced-out letters
//! joined), but what it reports must be what the person received: a link de-confused from
//! `amaz0n-seller.cn` into `amazon-seller.cn` names a host that is not in the message and is
//! judged as the wrong host. One row per kind of obfuscation the normaliser undoes.

use phishprobe_core::Engine;
use phishprobe_core::model::Report;
use phishprobe_core::text::{self, TextAnalysis, TextRules};

fn setup() -> (Engine, TextRules) {
    (
        Engine::embedded().expect("engine"),
        TextRules::embedded().expect("rules"),
    )
}

/// One obfuscated message and what must come out of it as written.
struct Row {
    /// Which trick of the normaliser the row exercises.
    trick: &'static str,
    text: &'static str,
    /// The link exactly as it stands in `text`, when there is one.
    link: Option<&'static str>,
    /// A host finding the link's own check must carry (it judges the real host).
    link_code: Option<&'static str>,
    /// A finding code whose evidence must hold `quoted` (the obfuscated word as written).
    cue: Option<(&'static str, &'static str)>,
    /// The phone number exactly as it stands in `text`.
    phone: Option<&'static str>,
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            trick: "digit for a letter (0 for o)",
            text: "Amazon Seller Support: your store is suspended. Verify now at http://amaz0n-seller.cn/verify and confirm your passw0rd.",
            link: Some("http://amaz0n-seller.cn/verify"),
            link_code: Some("host.homoglyph"),
            cue: Some(("text.asks_password", "passw0rd")),
            phone: None,
        },
        Row {
            trick: "Cyrillic letters",
            text: "Аmazon: your account is locked. Tell us your pаsswоrd at https://www.аmazon.com/signin or call +1 (888) 555-0142.",
            link: Some("https://www.аmazon.com/signin"),
            link_code: Some("host.homoglyph"),
            cue: Some(("text.asks_password", "pаsswоrd")),
            phone: Some("+1 (888) 555-0142"),
        },
        Row {
            trick: "Greek letters",
            text: "Amazon security: send us your ραssword today, sign in at https://amazοn.com.account-check.top/",
            link: Some("https://amazοn.com.account-check.top/"),
            link_code: Some("host.homoglyph"),
            cue: Some(("text.asks_password", "ραssword")),
            phone: None,
        },
        Row {
            trick: "full-width forms",
            text: "Ａｍａｚｏｎ Seller Support: confirm your ＰＡＳＳＷＯＲＤ，call ＋８６ １３８ ００１３ ８０００ or visit ｈｔｔｐｓ://ａｍａｚｏｎ-seller-help.top/ｒｅｓｅｔ。",
            // The full-width scheme is no scheme a browser reads: the link starts at the host.
            link: Some("ａｍａｚｏｎ-seller-help.top/ｒｅｓｅｔ"),
            link_code: Some("host.combosquat"),
            cue: Some(("text.asks_password", "ＰＡＳＳＷＯＲＤ")),
            phone: Some("＋８６ １３８ ００１３ ８０００"),
        },
        Row {
            trick: "zero-width characters",
            text: "Amazon: your account was hacked. Tell me your pass\u{200b}word and open http://amazon\u{200b}-support.top/x",
            link: Some("http://amazon\u{200b}-support.top/x"),
            link_code: Some("host.hidden_chars"),
            cue: Some(("text.asks_password", "pass\u{200b}word")),
            phone: None,
        },
        Row {
            trick: "combining marks",
            text: "A\u{73f}m\u{73f}a\u{73f}z\u{73f}o\u{73f}n Prime: give me your pa\u{301}ssword, then visit https://ama\u{301}zon-prime.top/login",
            link: Some("https://ama\u{301}zon-prime.top/login"),
            link_code: Some("host.hidden_chars"),
            cue: Some((
                "text.brand_named",
                "A\u{73f}m\u{73f}a\u{73f}z\u{73f}o\u{73f}n",
            )),
            phone: None,
        },
        Row {
            trick: "spaced-out letters",
            text: "Amazon Prime Security here. Read me your p a s s w o r d and call back 1 8 8 8 5 5 5 0 1 4 2 now, or go to amazon-refund.top/claim",
            link: Some("amazon-refund.top/claim"),
            link_code: Some("host.combosquat"),
            cue: Some(("text.asks_password", "p a s s w o r d")),
            phone: Some("1 8 8 8 5 5 5 0 1 4 2"),
        },
        Row {
            trick: "dotted letters and emoji",
            text: "AMAZON👉 tell us the c.o.d.e we sent you 👉 HTTP://AMAZ0N-HELP.TOP/OTP",
            link: Some("HTTP://AMAZ0N-HELP.TOP/OTP"),
            link_code: Some("host.homoglyph"),
            cue: Some(("text.brand_named", "AMAZON")),
            phone: None,
        },
        Row {
            trick: "mathematical letters",
            text: "𝗔𝗺𝗮𝘇𝗼𝗻 𝗦𝗲𝗰𝘂𝗿𝗶𝘁𝘆: your account is locked, send your password to https://amazon-security-alert.top/",
            link: Some("https://amazon-security-alert.top/"),
            link_code: Some("host.combosquat"),
            cue: Some(("text.brand_named", "𝗔𝗺𝗮𝘇𝗼𝗻")),
            phone: None,
        },
    ]
}

fn codes(r: &Report) -> Vec<&str> {
    r.findings.iter().map(|f| f.code.as_str()).collect()
}

/// Everything the analysis puts in front of a person, checked against the input.
fn assert_all_from_input(row: &Row, a: &TextAnalysis) {
    let t = row.text;
    for u in &a.urls {
        assert!(
            t.contains(u.as_str()),
            "{}: url {u:?} not in {t:?}",
            row.trick
        );
    }
    for p in &a.phones {
        assert!(
            t.contains(p.input.as_str()),
            "{}: number {:?} not in {t:?}",
            row.trick,
            p.input
        );
    }
    for f in a.findings() {
        assert!(
            t.contains(f.evidence.as_str()),
            "{}: {} evidence {:?} not in {t:?}",
            row.trick,
            f.code,
            f.evidence
        );
    }
}

#[test]
fn what_is_reported_is_what_was_received() {
    let (e, r) = setup();
    for row in rows() {
        let a = text::analyze(&e, &r, row.text);
        assert_all_from_input(&row, &a);
        if let Some((code, quoted)) = row.cue {
            let f = a.findings().find(|f| f.code == code);
            assert!(
                f.is_some_and(|f| f.evidence.contains(quoted)),
                "{}: no {code} quoting {quoted:?}: {:#?}",
                row.trick,
                a.findings().collect::<Vec<_>>()
            );
        }
        if let Some(p) = row.phone {
            assert!(
                a.phones.iter().any(|x| x.input == p),
                "{}: {p:?} not among {:?}",
                row.trick,
                a.phones
            );
        }
        let Some(link) = row.link else { continue };
        let i = a
            .urls
            .iter()
            .position(|u| u == link)
            .unwrap_or_else(|| panic!("{}: {link:?} not among {:?}", row.trick, a.urls));
        // The link's check inside the text result is the check of the link as written...
        let own = e.check_url(link);
        assert_eq!(a.url_reports.get(i), Some(&own), "{}", row.trick);
        // ...which sees the trick in the real host.
        if let Some(code) = row.link_code {
            assert!(
                codes(&own).contains(&code),
                "{}: {link:?} judged {:?}",
                row.trick,
                codes(&own)
            );
        }
        // The text's own finding about the link quotes it as written.
        assert!(
            a.findings()
                .any(|f| f.code.starts_with("text.link_") && f.evidence == link),
            "{}: no link finding quoting {link:?}",
            row.trick
        );
    }
}

/// The reported example: the homoglyph link is judged as itself (a homoglyph of Amazon), not
/// as the de-confused `amazon-seller.cn` (a combosquat), and that name appears nowhere.
#[test]
fn reported_sms_names_and_judges_the_real_host() {
    let (e, r) = setup();
    let sms = "Amazon: your seller account is on hold. Verify at http://amaz0n-seller.cn/verify";
    let a = text::analyze(&e, &r, sms);
    assert_eq!(a.urls, vec!["http://amaz0n-seller.cn/verify".to_string()]);
    let link = a.url_reports.first().expect("a url report");
    assert!(codes(link).contains(&"host.homoglyph"), "{:?}", codes(link));
    assert_eq!(link, &e.check_url("http://amaz0n-seller.cn/verify"));
    assert_ne!(link, &e.check_url("http://amazon-seller.cn/verify"));
    let all = serde_json::to_string(&text::report_from("sms", &a)).expect("json");
    assert!(!all.contains("amazon-seller.cn"), "{all}");
    assert!(all.contains("amaz0n-seller.cn"), "{all}");
}

/// A spaced-out name is joined for matching but is no link: nothing clickable is invented.
#[test]
fn joined_letters_never_make_a_link() {
    let (e, r) = setup();
    let a = text::analyze(&e, &r, "Go to a m a z o n.com and sign in");
    assert!(a.urls.is_empty(), "{:?}", a.urls);
}

/// A defanged link is reported as written; the URL check reads its host all the same.
#[test]
fn defanged_link_is_reported_as_written() {
    let (e, r) = setup();
    let a = text::analyze(&e, &r, "forwarded: hxxp://amaz0n-seller.cn/verify");
    assert_eq!(a.urls, vec!["hxxp://amaz0n-seller.cn/verify".to_string()]);
    let link = a.url_reports.first().expect("a url report");
    assert!(codes(link).contains(&"host.homoglyph"), "{:?}", codes(link));
}
