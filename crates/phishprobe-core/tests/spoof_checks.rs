//! IDN display rules for any name, brand or not (issue 14 §2): mixed scripts, whole-script
//! confusables judged against the ending, digit look-alikes from other scripts and dangerous
//! characters. Then hostile input: a verdict or a clear finding, never a panic.

use phishprobe_core::{Engine, Report, Verdict};

fn engine() -> &'static Engine {
    use std::sync::OnceLock;
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::embedded().expect("embedded data loads"))
}

fn codes(r: &Report) -> Vec<&str> {
    r.findings.iter().map(|f| f.code.as_str()).collect()
}

#[track_caller]
fn flagged_with(host: &str, code: &str) -> Report {
    let r = engine().check_host(host);
    assert!(r.has(code), "{host}: expected {code}, got {:?}", codes(&r));
    assert!(
        matches!(r.verdict, Verdict::Suspicious | Verdict::Phishing),
        "{host}: {:?} {:?}",
        r.verdict,
        codes(&r)
    );
    let f = r.findings.iter().find(|f| f.code == code).expect("finding");
    assert!(
        !f.message.en.is_empty() && !f.message.zh.is_empty(),
        "{host}: message"
    );
    r
}

#[track_caller]
fn shown(host: &str) {
    let r = engine().check_host(host);
    assert!(
        matches!(r.verdict, Verdict::Unknown | Verdict::Genuine),
        "{host}: {:?} {:?}",
        r.verdict,
        codes(&r)
    );
}

#[test]
fn latin_mixed_with_cyrillic_or_greek() {
    // Cyrillic о in "google": mixed, and its skeleton is a brand's: phishing.
    let r = flagged_with("g\u{043E}\u{043E}gle.ru", "host.mixed_script");
    assert_eq!(r.verdict, Verdict::Phishing);
    assert_eq!(r.brand.as_deref(), Some("google"));
    // Greek ρ with Cyrillic а and у, no brand: still suspicious.
    flagged_with("\u{03C1}\u{0430}\u{0443}.ru", "host.mixed_script");
    // Latin with one Cyrillic letter in an unprofiled name.
    flagged_with("exampl\u{0435}-shop.com", "host.mixed_script");
    // The same as punycode.
    flagged_with("xn--exampl-shop-tkj.com", "host.mixed_script");
}

#[test]
fn whole_script_confusables_against_the_ending() {
    // Cyrillic "оса" reads as Latin "oca": suspicious on .com, ordinary on .ru and .рф.
    flagged_with(
        "\u{043E}\u{0441}\u{0430}.com",
        "host.whole_script_confusable",
    );
    shown("\u{043E}\u{0441}\u{0430}.ru");
    shown("\u{043E}\u{0441}\u{0430}.\u{0440}\u{0444}");
    // Greek "ορα" likewise, fine on .gr.
    flagged_with(
        "\u{03BF}\u{03C1}\u{03B1}.com",
        "host.whole_script_confusable",
    );
    shown("\u{03BF}\u{03C1}\u{03B1}.gr");
    // Whole-script Cyrillic "аррӏе" is a brand's skeleton: phishing even on .ru.
    let r = engine().check_host("\u{0430}\u{0440}\u{0440}\u{04CF}\u{0435}.ru");
    assert_eq!(r.verdict, Verdict::Phishing, "{:?}", codes(&r));
}

#[test]
fn digit_lookalikes_and_dangerous_characters() {
    // Gurmukhi two and Bengali four beside ASCII.
    flagged_with("shop\u{0A68}4.com", "host.digit_lookalike");
    flagged_with("\u{09EA}u.com", "host.digit_lookalike");
    // Dotless i and a Katakana middle dot outside Japanese.
    flagged_with("\u{0131}bm-login.com", "host.dangerous_char");
    let r = engine().check_host("a\u{30FB}b.com");
    assert!(
        matches!(r.verdict, Verdict::Suspicious | Verdict::Phishing),
        "{:?}",
        codes(&r)
    );
}

#[test]
fn ordinary_non_latin_names_are_shown() {
    for h in [
        "例え.jp",
        "ドメイン名例.jp",
        "日本語・ドメイン.jp",
        "bücher.de",
        "münchen.de",
        "col·legi.cat",
        "пример.рф",
        "παράδειγμα.gr",
        "中文网.cn",
        "한국.kr",
        "مثال.eg",
        "উদাহরণ.bd",
    ] {
        shown(h);
    }
}

#[test]
fn hostile_input_gets_a_verdict() {
    let combining: String = std::iter::repeat_n('\u{0301}', 63).collect();
    let ten_scripts =
        "a\u{0430}\u{03B1}\u{05D0}\u{0627}\u{0915}\u{0995}\u{0A15}\u{0A95}\u{0B13}\u{0E01}";
    let two_mb: String = std::iter::repeat_n('\u{0430}', 1 << 20).collect();
    let inputs = [
        format!("{combining}.com"),
        format!("x{combining}.amazon.com.evil.top"),
        format!("{ten_scripts}.com"),
        format!("{ten_scripts}.{ten_scripts}.{ten_scripts}"),
        "xn--.com".to_string(),
        "xn--zz-.com".to_string(),
        "xn--9999999999999999a.com".to_string(),
        "xn--a-ecp.xn--b.xn--".to_string(),
        format!("{two_mb}.com"),
        two_mb.clone(),
    ];
    for input in &inputs {
        let host = engine().check_host(input);
        let url = engine().check_url(&format!("https://{input}/login"));
        for r in [&host, &url] {
            assert!(
                !r.findings.is_empty() || r.verdict == Verdict::Unknown,
                "{}: no verdict",
                input.chars().take(40).collect::<String>()
            );
        }
        // Every one of them is at least odd.
        assert_ne!(host.verdict, Verdict::Genuine);
    }
    // The label of combining marks and the ten scripts are flagged, not merely noted.
    for input in inputs.iter().take(3) {
        let r = engine().check_host(input);
        assert!(
            matches!(r.verdict, Verdict::Suspicious | Verdict::Phishing),
            "{}: {:?}",
            input.chars().take(20).collect::<String>(),
            codes(&r)
        );
    }
}
