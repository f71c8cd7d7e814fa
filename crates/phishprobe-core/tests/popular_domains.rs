//! The popular-domains list (Chromium's, in `data/popular/`) and the checks on it: a listed
//! name is never a look-alike; a name that imitates a listed one is, by skeleton, one edit,
//! embedding or combination, with Chromium's false-positive filters.

use phishprobe_core::{Engine, Report, Severity, Verdict};

fn engine() -> &'static Engine {
    use std::sync::OnceLock;
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::embedded().expect("embedded data loads"))
}

const LIST: &str = include_str!("../../../data/popular/chromium-top-domains.list");

fn codes(r: &Report) -> Vec<(&str, Severity)> {
    r.findings
        .iter()
        .map(|f| (f.code.as_str(), f.severity))
        .collect()
}

#[track_caller]
fn verdict_with(host: &str, code: &str, verdict: Verdict, target: &str) {
    let r = engine().check_host(host);
    let f = r.findings.iter().find(|f| f.code == code);
    assert!(f.is_some(), "{host}: expected {code}, got {:?}", codes(&r));
    assert_eq!(r.verdict, verdict, "{host}: {:?}", codes(&r));
    let f = f.expect("checked above");
    assert!(
        f.message.en.contains(target) && f.message.zh.contains(target),
        "{host}: {:?}",
        f.message
    );
}

#[test]
fn popular_list_is_the_recorded_copy() {
    // data/popular/README.md records these: the copy is unchanged.
    assert_eq!(LIST.len(), 64_145);
    let top = LIST
        .lines()
        .take_while(|l| *l != "###END_TOP_BUCKET###")
        .count();
    assert_eq!(top, 489);
    assert_eq!(engine().popular().len(), 4_989);
}

#[test]
fn no_listed_name_is_flagged() {
    let mut flagged = Vec::new();
    for name in engine().popular().names() {
        for host in [name.to_string(), format!("www.{name}")] {
            let r = engine().check_host(&host);
            let doubt = r.findings.iter().any(|f| f.severity >= Severity::Medium);
            if doubt || matches!(r.verdict, Verdict::Suspicious | Verdict::Phishing) {
                flagged.push(format!("{host}: {:?}", codes(&r)));
            }
        }
    }
    assert!(flagged.is_empty(), "{} flagged: {flagged:?}", flagged.len());
}

#[test]
fn skeleton_of_a_listed_name_is_phishing() {
    // Cyrillic і (U+0456) in wikipedia.org, as Unicode and as punycode.
    verdict_with(
        "w\u{456}kipedia.org",
        "host.popular_lookalike",
        Verdict::Phishing,
        "wikipedia.org",
    );
    let ascii = engine().check_url("https://w\u{456}kipedia.org/wiki/Login");
    assert!(ascii.has("host.popular_lookalike"), "{:?}", codes(&ascii));
}

#[test]
fn a_listed_name_written_inside_another_is_phishing() {
    for host in [
        "wikipedia.org.account-check.net",
        "www-wikipedia-org.example.top",
        "secure.wikipedia.org.verify.example.com",
    ] {
        verdict_with(
            host,
            "host.popular_embedding",
            Verdict::Phishing,
            "wikipedia.org",
        );
    }
    // At home on any ending, and on a registered generic ending.
    for host in [
        "wikipedia.org",
        "de.wikipedia.org",
        "expedia.com.au",
        "indeed.com.com",
    ] {
        let r = engine().check_host(host);
        assert!(!r.has("host.popular_embedding"), "{host}: {:?}", codes(&r));
    }
}

#[test]
fn one_edit_from_a_top_name() {
    // A swap of neighbours is what Chromium warns on: suspicious.
    verdict_with(
        "wikiepdia.org",
        "host.popular_typo",
        Verdict::Suspicious,
        "wikipedia.org",
    );
    // Other single edits are a note alone (too many are other sites: globe.com, globo.com)
    // and a doubt with a second sign.
    let r = engine().check_host("wikipedla.org");
    assert!(r.has("host.popular_typo"), "{:?}", codes(&r));
    assert_eq!(r.verdict, Verdict::Unknown);
    verdict_with(
        "login.wikipedla.org",
        "host.popular_typo",
        Verdict::Suspicious,
        "wikipedia.org",
    );
}

#[test]
fn chromium_false_positive_filters() {
    // Only the ending differs; another first letter; an added hyphen; two edits.
    for host in [
        "wikipedia.com",
        "mytimes.com",
        "ebaykleinanzeigen.de",
        "wikipedlaa.org",
    ] {
        let r = engine().check_host(host);
        assert!(!r.has("host.popular_typo"), "{host}: {:?}", codes(&r));
    }
}

#[test]
fn combined_with_a_keyword() {
    verdict_with(
        "wikipedia-login.com",
        "host.popular_combosquat",
        Verdict::Suspicious,
        "wikipedia.org",
    );
    verdict_with(
        "secure-wikipedia.org",
        "host.popular_combosquat",
        Verdict::Suspicious,
        "wikipedia.org",
    );
    // A neutral word: a note only.
    let r = engine().check_host("my-wikipedia.org");
    assert_eq!(r.verdict, Verdict::Unknown, "{:?}", codes(&r));
    // A listed name that is an ordinary word by a brand profile's account (`booking`) is
    // the word beside other words, as for the brand matcher.
    let r = engine().check_host("secure-hotel-booking.com");
    assert!(!r.has("host.popular_combosquat"), "{:?}", codes(&r));
    assert_eq!(r.verdict, Verdict::Unknown, "{:?}", codes(&r));
}

#[test]
fn a_brand_owned_target_names_the_brand() {
    // paypal.com is in the list and in the PayPal profile: the brand matcher speaks first,
    // and whatever speaks, the brand is PayPal.
    let r = engine().check_host("paypal.com.account-check.net");
    assert_eq!(r.brand.as_deref(), Some("paypal"), "{:?}", codes(&r));
    assert_eq!(r.verdict, Verdict::Phishing);
}

#[test]
fn hostile_names_near_the_list() {
    // Long, confusable, broken: a verdict, never a panic.
    let long = format!("{}.org", "w\u{456}kipedia".repeat(30));
    let confusables = "\u{456}".repeat(200_000);
    for host in [
        long.as_str(),
        confusables.as_str(),
        "xn--wkipedia-.org",
        "wikipedia.org.-.-.",
        "-wikipedia-org-",
        ".....wikipedia.org",
    ] {
        for r in [engine().check_host(host), engine().check_url(host)] {
            // None of these is anybody's genuine name, and every reason reads in both
            // languages.
            assert_ne!(r.verdict, Verdict::Genuine, "{:.40}: {:?}", host, codes(&r));
            assert!(
                r.findings
                    .iter()
                    .all(|f| !f.message.en.is_empty() && !f.message.zh.is_empty()),
                "{:.40}",
                host
            );
        }
    }
}
