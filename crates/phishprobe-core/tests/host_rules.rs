//! Every hostname and URL rule with a case that must fire and one that must not.

use phishprobe_core::{Engine, Report, Verdict};

fn engine() -> &'static Engine {
    use std::sync::OnceLock;
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::embedded().expect("embedded data loads"))
}

fn url(s: &str) -> Report {
    engine().check_url(s)
}

fn codes(r: &Report) -> Vec<&str> {
    r.findings.iter().map(|f| f.code.as_str()).collect()
}

#[track_caller]
fn assert_code(input: &str, code: &str, verdict: Verdict) {
    let r = url(input);
    assert!(r.has(code), "{input}: expected {code}, got {:?}", codes(&r));
    assert_eq!(r.verdict, verdict, "{input}: {:?}", codes(&r));
}

#[track_caller]
fn assert_not_flagged(input: &str) {
    let r = url(input);
    assert!(
        matches!(r.verdict, Verdict::Genuine | Verdict::Unknown),
        "{input}: {:?} {:?}",
        r.verdict,
        codes(&r)
    );
}

#[test]
fn official_names_are_genuine() {
    for h in [
        "amazon.com",
        "www.amazon.co.jp",
        "sellercentral.amazon.de",
        "sellercentral-europe.amazon.com",
        "vendorcentral.amazon.com.au",
        "m.media-amazon.com",
        "aws.amazon.com",
        "https://www.amazon.ie/ap/signin?openid.return_to=https%3A%2F%2Fwww.amazon.ie%2F",
        "https://www.paypal.com/signin",
    ] {
        let r = url(h);
        assert_eq!(r.verdict, Verdict::Genuine, "{h}: {:?}", codes(&r));
        assert!(r.has("host.official"));
    }
    assert_eq!(url("amazon.com").brand.as_deref(), Some("amazon"));
}

#[test]
fn dot_before_amazon_com_is_the_rule_not_substrings() {
    // "extra letters" on a genuine domain are still genuine when the profile lists them...
    assert_eq!(
        url("images-na.ssl-images-amazon.com").verdict,
        Verdict::Genuine
    );
    // ...and the same letters in front of a foreign registrable domain are not.
    assert_code(
        "amazon.com.account-verify.xyz",
        "host.target_embedding",
        Verdict::Phishing,
    );
    assert_code(
        "sellercentral.amazon.com.reset.io",
        "host.target_embedding",
        Verdict::Phishing,
    );
    assert_code(
        "amazon-com.security.top",
        "host.target_embedding",
        Verdict::Phishing,
    );
}

#[test]
fn customer_content_is_never_genuine() {
    for h in [
        "bucket.s3.amazonaws.com",
        "d111111abcdef8.cloudfront.net",
        "main.d1.amplifyapp.com",
    ] {
        let r = url(h);
        assert_eq!(r.verdict, Verdict::Unknown, "{h}: {:?}", codes(&r));
        assert!(r.has("host.customer_content"), "{h}");
    }
    // The brand inside a bucket name on Amazon's own hosting is impersonation.
    assert_code(
        "amazon-login.s3.amazonaws.com",
        "host.combosquat",
        Verdict::Phishing,
    );
}

#[test]
fn typos_of_every_kind() {
    for (h, what) in [
        ("amazom.com", "keyboard neighbour"),
        ("amzon.com", "left out"),
        ("amaazon.com", "repeated"),
        ("amzaon.com", "swapped"),
        ("amazan.com", "vowel swap"),
    ] {
        // The misspelt name alone: brands register their own typos, so suspicious.
        let r = url(h);
        assert!(r.has("host.typosquat"), "{h}: {:?}", codes(&r));
        assert_eq!(r.verdict, Verdict::Suspicious, "{h}");
        let ev = &r
            .findings
            .iter()
            .find(|f| f.code == "host.typosquat")
            .unwrap()
            .evidence;
        assert!(ev.contains(what), "{h}: {ev}");
    }
    // A second sign makes it phishing: sign-in words, free hosting, or the look-alike in
    // front of somebody else's registered name.
    assert_code("amazom-signin.com", "host.typosquat", Verdict::Phishing);
    assert_code("amazom.pages.dev", "host.typosquat", Verdict::Phishing);
    assert_code("amazom.shop-deals.net", "host.typosquat", Verdict::Phishing);
    // A different first letter makes another word, not a typo (Chromium's filter).
    assert_not_flagged("zaobao.com");
    assert_not_flagged("amazing.com");
}

#[test]
fn homoglyphs_and_scripts() {
    assert_code("amaz0n-billing.com", "host.homoglyph", Verdict::Phishing);
    assert_code("arnazon.com", "host.homoglyph", Verdict::Phishing);
    assert_code("paypa1.com", "host.homoglyph", Verdict::Phishing);
    // Cyrillic а in "amazon", as punycode and as Unicode.
    let r = url("xn--mazon-3ve.com");
    assert!(r.has("host.homoglyph"), "{:?}", codes(&r));
    assert!(r.has("host.mixed_script"), "{:?}", codes(&r));
    assert_eq!(r.brand.as_deref(), Some("amazon"));
    let ev = r
        .findings
        .iter()
        .find(|f| f.code == "host.mixed_script")
        .unwrap();
    assert!(
        ev.evidence.contains("U+0430 (Cyrillic) looks like 'a'"),
        "{}",
        ev.evidence
    );
    // Whole-script confusable: аррӏе written entirely in Cyrillic.
    assert_code(
        "xn--80ak6aa92e.com",
        "host.whole_script_confusable",
        Verdict::Phishing,
    );
    // Hidden characters.
    assert_code("am\u{200B}azon.com", "host.hidden_chars", Verdict::Phishing);
    // Normal non-Latin names are not look-alikes.
    assert_not_flagged("例え.jp");
    assert_not_flagged("xn--wgv71a119e.jp");
}

#[test]
fn combosquatting_and_brand_tld() {
    assert_code(
        "amazon-seller-support.com",
        "host.combosquat",
        Verdict::Phishing,
    );
    assert_code(
        "sellercentral-amazon-verify.net",
        "host.combosquat",
        Verdict::Phishing,
    );
    // The brand with digits, or on an abused ending, and nothing else: suspicious (brands
    // register such names for their own infrastructure and defence); with sign-in words or
    // on free hosting, phishing.
    assert_code("amazon338.com", "host.combosquat", Verdict::Suspicious);
    assert_code("amazon.shop", "host.brand_tld", Verdict::Suspicious);
    assert_code("amazon338-login.com", "host.combosquat", Verdict::Phishing);
    assert_code(
        "amazon338.netlify.app",
        "host.combosquat",
        Verdict::Phishing,
    );
    // A brand name with a neutral word on an ordinary ending: a note, not a verdict.
    let r = url("amazon-presse.de");
    assert!(r.has("host.brand_name_in_domain"));
    assert_eq!(r.verdict, Verdict::Unknown);
    // Real words that contain the brand.
    assert_not_flagged("amazonas.gov.br");
    assert_not_flagged("ramazan.com");
    assert_not_flagged("pineapple.com");
}

#[test]
fn brand_anywhere_in_the_host() {
    assert_code(
        "amazon.co.jp.xyzabc.buzz",
        "host.target_embedding",
        Verdict::Phishing,
    );
    assert_code(
        "account-update-amazon.322565.top",
        "host.brand_in_subdomain",
        Verdict::Phishing,
    );
    assert_code(
        "amzone.co.jp.balinw.com",
        "host.target_embedding",
        Verdict::Phishing,
    );
    assert_code(
        "amazon-login.vercel.app",
        "host.free_hosting",
        Verdict::Phishing,
    );
    assert_code(
        "amazon-clone-x.web.app",
        "host.free_hosting",
        Verdict::Phishing,
    );
    // Short brand tokens must stand alone.
    assert_not_flagged("webay.com");
    assert_code("ebay-login.top", "host.combosquat", Verdict::Phishing);
}

#[test]
fn url_tricks() {
    assert_code(
        "https://amazon.com@evil.example/",
        "url.userinfo_brand",
        Verdict::Phishing,
    );
    assert_code(
        "https://user@evil.example/",
        "url.userinfo",
        Verdict::Suspicious,
    );
    assert_code("http://0x7f.0.0.1/", "url.ip_obfuscated", Verdict::Phishing);
    assert_code("http://2130706433/", "url.ip_obfuscated", Verdict::Phishing);
    assert_code("http://0177.0.0.1/", "url.ip_obfuscated", Verdict::Phishing);
    assert_code(
        "http://192.0.2.7/login",
        "host.ip_literal",
        Verdict::Suspicious,
    );
    assert_code(
        "http://[2001:db8::1]/",
        "host.ip_literal",
        Verdict::Suspicious,
    );
    assert!(url("https://example.com:8443/").has("url.port"));
    assert!(url("https://bit.ly/abc").has("url.shortener"));
    assert_code(
        "javascript:alert(1)",
        "url.script_scheme",
        Verdict::Phishing,
    );
    assert_code(
        "data:text/html;base64,PGgxPg==",
        "url.data_scheme",
        Verdict::Phishing,
    );
    assert_code(
        "hyperphp.com/amazon/signin",
        "url.brand_in_path",
        Verdict::Phishing,
    );
    assert_eq!(
        url("hyperphp.com/amazon/signin").brand.as_deref(),
        Some("amazon")
    );
    let long = format!("https://example.com/?q={}", "%41".repeat(500));
    assert!(url(&long).has("url.heavily_encoded"));
}

#[test]
fn redirects_are_followed_offline() {
    assert_code(
        "https://t.umblr.com/redirect?z=https%3A%2F%2Faccount-amazon-verify.top%2Fsignin",
        "url.redirect_to_bad",
        Verdict::Phishing,
    );
    // Nested and double-encoded.
    assert_code(
        "https://example.com/r?u=https%253A%252F%252Fgo.example%252F%253Fnext%253Dhttps%25253A%25252F%25252Famaz0n-login.top",
        "url.redirect_to_bad",
        Verdict::Phishing,
    );
    // A genuine site's open redirect to a phishing host is phishing.
    assert_code(
        "https://www.amazon.com/gp/redirect.html?location=https://amazon-verify.top/",
        "url.redirect_to_bad",
        Verdict::Phishing,
    );
    // A redirect to a genuine page is fine.
    assert_not_flagged("https://example.com/out?url=https://www.amazon.com/");
}

#[test]
fn hostile_input_gets_a_verdict() {
    let big = "a".repeat(10 * 1024 * 1024);
    for s in [
        "",
        "....",
        ".",
        "\0\0",
        "xn--",
        "xn--zz--.com",
        "xn--a.xn--b",
        "http://",
        "http://[::1",
        "%%%%",
        "a..b..c",
        "-.-",
        big.as_str(),
    ] {
        let r = url(s);
        assert!(r.score <= 100);
        // Garbage is never vouched for, whatever else is said about it.
        let h = engine().check_host(s);
        assert!(h.score <= 100);
        assert_ne!(h.verdict, Verdict::Genuine, "{:?}", s.get(..40));
    }
    assert!(url("xn--zz--.com").has("host.idna_invalid"));
    assert!(url(&big).has("url.overlong"));
}

#[test]
fn malformed_profile_names_file_and_line() {
    let err = Engine::from_sources(
        [(
            "bad.toml",
            "id = \"x\"\nname = \"X\"\nhost_tokens = [\"xyz\"\n",
        )],
        ("hosting.toml", ""),
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("bad.toml:"), "{err}");
    let err = Engine::from_sources(
        [(
            "b.toml",
            "id = \"x\"\nname = \"X\"\nhost_tokens = [\"xyz\"]\nnope = 1\n",
        )],
        ("hosting.toml", ""),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("b.toml:4"), "{err}");
}
