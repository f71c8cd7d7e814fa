//! Evaluation over the shared hostname corpus (`../shared/corpus/domains/`). Skips with a
//! message when the corpus is not beside the checkout (fails under PHISHPROBE_REQUIRE_CORPUS=1). Rates are printed (`--nocapture`).

use phishprobe_core::{Engine, Verdict};
use phishprobe_testkit::assert_measure;

fn corpus(name: &str) -> Option<String> {
    phishprobe_testkit::corpus_text(&format!("domains/{name}"))
}

fn hosts(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').next().unwrap_or(l).trim())
        .collect()
}

fn flagged(v: Verdict) -> bool {
    matches!(v, Verdict::Suspicious | Verdict::Phishing)
}

#[test]
fn phish_amazon_is_flagged_with_the_brand() {
    let Some(text) = corpus("phish_amazon.txt") else {
        return;
    };
    let e = Engine::embedded().unwrap();
    let list = hosts(&text);
    let mut hit = 0;
    let mut wrong_brand = Vec::new();
    for h in &list {
        let r = e.check_host(h);
        if flagged(r.verdict) {
            hit += 1;
        }
        // Wherever the host carries an Amazon token or look-alike, the brand must be amazon.
        let amazonish = ["amazon", "amzn", "amaz0n", "amazom"]
            .iter()
            .any(|t| h.contains(t))
            && !e
                .brands()
                .iter()
                .filter(|b| b.id != "amazon")
                .any(|b| b.host_tokens.iter().any(|t| h.contains(t.as_str())));
        if amazonish && flagged(r.verdict) && r.brand.as_deref() != Some("amazon") {
            wrong_brand.push(format!("{h} -> {:?}", r.brand));
        }
    }
    assert_measure(
        "hosts.phish_amazon_flagged",
        100.0 * hit as f64 / list.len() as f64,
        &format!("phish_amazon.txt {hit}/{}", list.len()),
    );
    assert!(wrong_brand.is_empty(), "brand not amazon: {wrong_brand:?}");
}

#[test]
fn legit_top_is_rarely_flagged() {
    let Some(text) = corpus("legit_top.txt") else {
        return;
    };
    let e = Engine::embedded().unwrap();
    let list = hosts(&text);
    let verdicts: Vec<(&str, Verdict)> =
        list.iter().map(|h| (*h, e.check_host(h).verdict)).collect();
    let bad: Vec<&str> = verdicts
        .iter()
        .filter(|(_, v)| flagged(*v))
        .map(|(h, _)| *h)
        .collect();
    let phishing: Vec<&str> = verdicts
        .iter()
        .filter(|(_, v)| *v == Verdict::Phishing)
        .map(|(h, _)| *h)
        .collect();
    println!("legit_top.txt flagged: {bad:?}");
    println!("legit_top.txt called phishing: {phishing:?}");
    assert_measure(
        "hosts.legit_top_flagged",
        100.0 * bad.len() as f64 / list.len() as f64,
        &format!("legit_top.txt {}/{}", bad.len(), list.len()),
    );
    assert_measure(
        "hosts.legit_top_phishing",
        100.0 * phishing.len() as f64 / list.len() as f64,
        &format!(
            "legit_top.txt called phishing {}/{}",
            phishing.len(),
            list.len()
        ),
    );
}

#[test]
fn genuine_amazon_names_are_genuine_and_customer_content_is_not() {
    let Some(text) = corpus("amazon_official.txt") else {
        return;
    };
    let e = Engine::embedded().unwrap();
    let mut counts = [0usize; 3];
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(name), Some(kind)) = (cols.first(), cols.get(1)) else {
            continue;
        };
        if *name == "name" || *kind == "registry-gtld" {
            // Amazon runs these registries, which proves nothing about names under them.
            continue;
        }
        let name = name.trim_start_matches("*.");
        let r = e.check_host(name);
        if *kind == "customer-content-suffix" {
            // The suffix names where customers publish: check a customer's name under it.
            let site = format!("site123.{name}");
            let r = e.check_host(&site);
            assert_ne!(r.verdict, Verdict::Genuine, "{site}");
            assert!(!flagged(r.verdict), "{site}: {:?}", r.findings);
            counts[1] += 1;
        } else if cols.get(3) == Some(&"unconfirmed") {
            counts[2] += 1;
        } else {
            assert_eq!(r.verdict, Verdict::Genuine, "{name}: {:?}", r.findings);
            counts[0] += 1;
        }
    }
    println!(
        "amazon_official.txt: {} genuine, {} customer-content (unknown), {} unconfirmed skipped",
        counts[0], counts[1], counts[2]
    );
    let Some(feed) = corpus("feed_entries_on_genuine_amazon.tsv") else {
        return;
    };
    for line in feed.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if let Some(url) = cols.get(3) {
            let r = e.check_url(url);
            assert_ne!(r.verdict, Verdict::Phishing, "{url}: {:?}", r.findings);
            assert!(!flagged(r.verdict), "{url}: {:?}", r.findings);
        }
    }
}

#[test]
fn phish_other_rate_is_reported() {
    let Some(text) = corpus("phish_other.txt") else {
        return;
    };
    let e = Engine::embedded().unwrap();
    let list = hosts(&text);
    let hit = list
        .iter()
        .filter(|h| flagged(e.check_host(h).verdict))
        .count();
    assert_measure(
        "hosts.phish_other_flagged",
        100.0 * hit as f64 / list.len() as f64,
        &format!("phish_other.txt {hit}/{}", list.len()),
    );
}
