//! Hostile input to the IDN display rules: a verdict or a clear finding, never a panic. The
//! rules themselves (mixed scripts, whole-script confusables judged against the ending, digit
//! look-alikes from other scripts, dangerous characters) are data:
//! `resources/url/idn_display.toml` (read by `url_vectors.rs`).

use phishprobe_core::{Engine, Report, Verdict};

fn engine() -> &'static Engine {
    use std::sync::OnceLock;
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::embedded().expect("embedded data loads"))
}

fn codes(r: &Report) -> Vec<&str> {
    r.findings.iter().map(|f| f.code.as_str()).collect()
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
