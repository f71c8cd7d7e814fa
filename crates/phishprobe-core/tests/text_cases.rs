//! Team-written cases: both incident scripts (English and Chinese) must carry the disclosure
//! warning and be phishing; the brand's own advice must not be flagged; bad input must get an
//! answer, never a panic.

use phishprobe_core::Engine;
use phishprobe_core::model::{Severity, Verdict};
use phishprobe_core::phone::{self, PhoneClass, UserMark};
use phishprobe_core::text::{self, TextRules};

fn setup() -> (Engine, TextRules) {
    (
        Engine::embedded().expect("engine"),
        TextRules::embedded().expect("rules"),
    )
}

fn cases() -> Vec<(String, String)> {
    include_str!("resources/text/incident_scripts.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once('\t'))
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn incident_scripts_fire_disclosure() {
    let (e, r) = setup();
    let mut n = 0;
    for (expect, t) in cases().iter().filter(|(x, _)| x == "disclosure") {
        let a = text::analyze(&e, &r, t);
        let rep = text::report_from("t", &a);
        assert!(
            a.has_disclosure(),
            "{expect}: no disclosure for {t:?}: {:#?}",
            rep.findings
        );
        assert_eq!(rep.verdict, Verdict::Phishing, "{t:?}");
        n += 1;
    }
    assert!(n >= 15);
}

#[test]
fn advice_is_not_flagged() {
    let (e, r) = setup();
    for (_, t) in cases().iter().filter(|(x, _)| x == "advice") {
        let a = text::analyze(&e, &r, t);
        let rep = text::report_from("t", &a);
        assert!(
            !a.has_disclosure(),
            "advice fired disclosure: {t:?}: {:#?}",
            a.disclosure
        );
        assert_ne!(rep.verdict, Verdict::Phishing, "{t:?}: {:#?}", rep.findings);
        assert_ne!(
            rep.verdict,
            Verdict::Suspicious,
            "{t:?}: {:#?}",
            rep.findings
        );
        assert_ne!(rep.verdict, Verdict::Genuine, "text alone is never genuine");
    }
}

#[test]
fn otp_delivery_is_not_a_request_but_asking_for_it_is() {
    let (e, r) = setup();
    let delivery =
        "Your bank code is 123456. Never share this code with anyone, including bank staff.";
    assert!(!text::analyze(&e, &r, delivery).has_disclosure());
    let ask = "This is your bank. Tell us the code we sent you to stop the fraudulent payment.";
    let a = text::analyze(&e, &r, ask);
    assert!(
        a.disclosure.iter().any(|f| f.code == "text.asks_code"),
        "{:#?}",
        a.disclosure
    );
    // "Don't worry, ..." must not negate a request in the next clause.
    let a = text::analyze(&e, &r, "Don't worry, just read me the verification code.");
    assert!(a.has_disclosure());
}

#[test]
fn evidence_quotes_the_original_words() {
    let (e, r) = setup();
    let a = text::analyze(&e, &r, "Please give us your ＰＡＳＳＷＯＲＤ now");
    let f = a.disclosure.first().expect("disclosure");
    assert!(f.evidence.contains("ＰＡＳＳＷＯＲＤ"), "{}", f.evidence);
    assert_eq!(f.severity, Severity::Critical);
}

#[test]
fn lookalike_and_invisible_tricks_are_undone() {
    let (e, r) = setup();
    for t in [
        "Please tell me your pаsswоrd", // Cyrillic а, о
        "Please tell me your pass\u{200b}word",
        "Please tell me your p.a.s.s.w.o.r.d",
        "Please tell me your 🔑password🔑",
    ] {
        assert!(text::analyze(&e, &r, t).has_disclosure(), "{t}");
    }
}

#[test]
fn links_brands_and_numbers_are_reported() {
    let (e, r) = setup();
    let a = text::analyze(
        &e,
        &r,
        "Amazon: your order of $999 was placed. If you did not make this purchase call 1-888-280-4331 or visit amazon-refund-help.top/cancel",
    );
    assert_eq!(a.brand.as_deref(), Some("amazon"));
    assert!(
        a.urls.iter().any(|u| u.contains("amazon-refund-help.top")),
        "{:?}",
        a.urls
    );
    assert_eq!(
        a.phones.first().and_then(|p| p.e164.as_deref()),
        Some("+18882804331")
    );
    assert!(
        a.info
            .iter()
            .any(|f| f.code == "text.brand_published_number")
    );
    assert!(
        a.info
            .iter()
            .any(|f| f.code == "text.caller_id_proves_nothing")
    );
    assert!(a.scam_score >= 25, "{:#?}", a.cues);
}

#[test]
fn nothing_found_is_unknown_never_genuine() {
    let (e, r) = setup();
    let rep = text::check(&e, &r, "t", "See you at 7 for dinner?");
    assert_eq!(rep.verdict, Verdict::Unknown);
    assert!(rep.has("text.no_cue"));
}

#[test]
fn text_lang_filter_keeps_one_set() {
    let (_, r) = setup();
    let en = r.only_langs(&["en"]);
    assert!(en.cues().iter().all(|c| c.lang == "en"));
    assert!(!en.cues().is_empty());
    assert_eq!(r.langs(), vec!["en", "zh"]);
}

#[test]
fn bad_input_gets_an_answer() {
    let (e, r) = setup();
    assert_eq!(text::check(&e, &r, "", "").verdict, Verdict::Unknown);
    // Mixed scripts and odd characters.
    let odd = text::check(
        &e,
        &r,
        "m",
        "Ａmazon 账户 аккаунт \u{0}\u{fffd} 🔥 ١٢٣ 𝕡𝕒𝕤𝕤𝕨𝕠𝕣𝕕",
    );
    assert_eq!(odd.input, "m");
    assert_ne!(odd.verdict, Verdict::Genuine);
    // A 40-digit number is "not a valid phone number", not an error.
    let forty = "1234567890".repeat(4);
    let info = phone::analyze(&forty, None);
    assert_eq!(info.class, PhoneClass::NotANumber);
    let rep = phone::check(&e, &forty, None, None);
    assert!(rep.has("phone.not_a_number"));
    assert!(rep.has("phone.caller_id_proves_nothing"));
    let long = text::check(&e, &r, "t", &format!("call +{forty} now"));
    assert_ne!(long.verdict, Verdict::Genuine);
    assert!(long.score <= 100);
}

#[test]
fn large_text_is_answered() {
    // 8 MB here keeps the debug-build test quick; the CLI test feeds 50 MB to the release binary.
    let (e, r) = setup();
    let mut t = "Hello, how was the meeting? Let's talk tomorrow. ".repeat(160_000);
    t.push_str("Please install AnyDesk so I can fix your account.");
    let a = text::analyze(&e, &r, &t);
    assert!(a.has_disclosure());
}

#[test]
fn phone_verdicts_never_trust_a_number() {
    let (e, _) = setup();
    let amazon = phone::check(&e, "+1 888 280 4331", None, None);
    assert_eq!(amazon.verdict, Verdict::Unknown);
    assert!(amazon.has("phone.brand_published"));
    assert_eq!(amazon.brand.as_deref(), Some("amazon"));
    let trusted = phone::check(&e, "+1 888 280 4331", None, Some(UserMark::Trusted));
    assert_eq!(trusted.verdict, Verdict::Unknown);
    assert!(trusted.has("phone.user_marked_trusted"));
    let scam = phone::check(&e, "+1 202 555 0143", None, Some(UserMark::Scam));
    assert_eq!(scam.verdict, Verdict::Suspicious);
    let short = phone::check(&e, "95588", None, None);
    assert!(short.has("phone.short_code"));
    assert_eq!(short.verdict, Verdict::Unknown);
    let premium = phone::check(&e, "09066350750", Some("GB"), None);
    assert!(premium.has("phone.premium_rate"));
    assert_eq!(premium.verdict, Verdict::Suspicious);
    let full_width = phone::analyze("＋８６ １３８ ００１３ ８０００", None);
    assert_eq!(full_width.e164.as_deref(), Some("+8613800138000"));
    assert_eq!(
        phone::analyze("011 86 138 0013 8000", Some("US"))
            .country
            .as_deref(),
        Some("CN")
    );
}

#[test]
fn malformed_pattern_file_names_file_and_line() {
    let err =
        TextRules::from_sources([("bad.toml", "lang = \"en\"\n[[cue]]\ncode = \n")]).unwrap_err();
    let s = err.to_string();
    assert!(s.contains("bad.toml:3"), "{s}");
    let err = TextRules::from_sources([(
        "re.toml",
        "lang = \"en\"\n[[cue]]\ncode = \"text.x\"\nkind = \"scam\"\ncategory = \"c\"\nseverity = \"low\"\nen = \"a\"\nzh = \"b\"\npatterns = [\"(unclosed\"]\n",
    )])
    .unwrap_err();
    assert!(err.to_string().contains("re.toml"), "{err}");
}
