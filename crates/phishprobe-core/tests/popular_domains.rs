//! The popular-domains list (Chromium's, in `data/popular/`): the copy is the recorded one, no
//! listed name is ever a look-alike, and hostile names near the list get a verdict. The names
//! that imitate a listed one (by skeleton, one edit, embedding or combination, with Chromium's
//! false-positive filters) are data: `resources/url/popular.toml` (read by `url_vectors.rs`).

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
