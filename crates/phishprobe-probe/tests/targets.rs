//! Every local target through the real browser (one shared Chromium) and the HTTP engine.
//!
//! Needs Debian's `chromium` (or PHISHPROBE_CHROME). Without a browser the browser test is
//! skipped with a message, unless PHISHPROBE_REQUIRE_BROWSER=1 (set in CI) makes it fail.

mod common;

use std::time::Duration;

use phishprobe_core::{Engine, Verdict};
use phishprobe_probe::{ChromeConfig, Outcome, ProbeOptions, ProbeResult, Prober, verdict};

fn opts(path: &str) -> ProbeOptions {
    let hostile = path.starts_with("/h/");
    ProbeOptions {
        allow_private: true,
        // Hostile pages run into the caps; keep them short so the suite stays quick.
        step_timeout: Duration::from_secs(if hostile { 4 } else { 10 }),
        timeout: Duration::from_secs(if hostile { 12 } else { 30 }),
        ..ProbeOptions::default()
    }
}

fn table(results: &[(&str, &str, &ProbeResult)]) -> (String, Vec<String>) {
    let mut out = String::from("target | expected | got | reason\n");
    let mut bad = Vec::new();
    for (path, want, r) in results {
        let got = r.outcome.as_str();
        out.push_str(&format!(
            "{path} | {want} | {got} | {} ({} ms)\n",
            r.reason, r.elapsed_ms
        ));
        if got != *want {
            bad.push(format!(
                "{path}: expected {want}, got {got}: {} | steps: {:?} | errors: {:?}",
                r.reason,
                r.steps
                    .iter()
                    .map(|s| (
                        &s.name,
                        &s.url,
                        &s.visible_text_excerpt,
                        &s.new_text_excerpt
                    ))
                    .collect::<Vec<_>>(),
                r.errors
            ));
        }
    }
    (out, bad)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_gets_every_target_right() {
    if phishprobe_probe::testing::chrome_or_skip().is_none() {
        return;
    }
    let sites = common::sites();
    let prober = Prober::launch(&ChromeConfig {
        offline: true,
        ..Default::default()
    })
    .await
    .expect("chromium starts");
    let urls: Vec<String> = common::TARGETS
        .iter()
        .map(|(p, _)| format!("{}{}", sites.main, p))
        .collect();
    let results = prober
        .probe_all(&urls, 3, |i, _| opts(common::TARGETS[i].0))
        .await;
    prober.close().await;
    let rows: Vec<_> = common::TARGETS
        .iter()
        .zip(results.iter())
        .map(|((p, w), r)| (*p, *w, r))
        .collect();
    let (t, bad) = table(&rows);
    eprintln!("{t}");
    assert!(bad.is_empty(), "wrong outcomes:\n{}", bad.join("\n"));

    let engine = Engine::embedded().expect("embedded data");
    let by = |p: &str| {
        rows.iter()
            .find(|(path, _, _)| *path == p)
            .map(|(_, _, r)| *r)
            .expect("target ran")
    };
    // The relay refuses the decoy (the genuine server behind it does), yet the page claims
    // Amazon on a host that is not Amazon's: phishing.
    let relay = by("/p/relay/");
    let rep = verdict(&engine, &relay.url, relay);
    assert_eq!(rep.verdict, Verdict::Phishing, "{rep:#?}");
    assert!(rep.has("probe.brand_login_off_brand"));
    // The fetch() clone sent the password to another host, and the evidence says so.
    let exfil = by("/p/exfil/");
    assert!(
        exfil
            .decoy_requests
            .iter()
            .any(|r| r.host.starts_with("localhost:")),
        "{:?}",
        exfil.decoy_requests
    );
    assert!(verdict(&engine, &exfil.url, exfil).has("probe.password_sent_elsewhere"));
    // The one-step clone: the decoy was posted to the clone, then the browser left for the
    // "real" site.
    let one = by("/p/onestep/");
    assert!(one.left_origin);
    assert!(
        one.final_url.starts_with("https://www.amazon.com/"),
        "{}",
        one.final_url
    );
    assert!(
        one.decoy_requests
            .iter()
            .any(|r| r.method == "POST" && r.host.starts_with("127.0.0.1"))
    );
    assert_eq!(one.submissions, 1);
    assert_eq!(verdict(&engine, &one.url, one).verdict, Verdict::Phishing);
    // Double login: exactly two submissions, two different decoys.
    let dbl = by("/p/double/");
    assert_eq!(dbl.submissions, 2);
    assert_eq!(dbl.decoys.len(), 2);
    assert_ne!(dbl.decoys[0].password, dbl.decoys[1].password);
    assert!(by("/p/card/").asked_card);
    // Genuine-style pages are never called genuine by the probe.
    for p in ["/g/onestep/", "/g/xhr401/", "/g/slow/"] {
        let r = by(p);
        assert!(r.submissions <= 2);
        assert_ne!(verdict(&engine, &r.url, r).verdict, Verdict::Genuine, "{p}");
    }
    // The slow rejection was waited for: its error text is in the evidence.
    assert!(
        by("/g/slow/")
            .steps
            .iter()
            .any(|s| s.new_text_excerpt.contains("incorrect")),
        "{:?}",
        by("/g/slow/").steps
    );
    // The pop-up was closed.
    assert!(
        by("/h/popup/").errors.iter().any(|e| e.contains("pop-up")),
        "{:?}",
        by("/h/popup/").errors
    );
    assert_eq!(by("/h/noform/").outcome, Outcome::Inconclusive);
    assert!(
        by("/h/hang/").reason.contains("did not finish loading"),
        "{}",
        by("/h/hang/").reason
    );
    // The notice page was left through its "Sign in" link, then the clone took the decoy.
    let landing = by("/p/landing/");
    assert!(
        landing.steps.iter().any(|s| s.name == "sign-in link"),
        "{:?}",
        landing.steps
    );
    // Password-only page: the decoy password went to the clone; the address shown as text
    // was not replaced.
    let pw = by("/p/pwonly/");
    assert!(
        pw.decoy_requests
            .iter()
            .any(|r| r.method == "POST" && r.url.contains("/p/pwonly/signin")),
        "{:?}",
        pw.decoy_requests
    );
    // The button outside the form was the one that worked.
    assert!(
        by("/p/outside/")
            .decoy_requests
            .iter()
            .any(|r| r.url.contains("/p/outside/signin")),
        "{:?}",
        by("/p/outside/").decoy_requests
    );
    // Where the decoy travelled is read from the query string and the Authorization header.
    let located = |p: &str, loc: &str| {
        by(p)
            .decoy_requests
            .iter()
            .any(|r| r.location.split('+').any(|l| l == loc))
    };
    assert!(
        located("/p/getform/", "url"),
        "{:?}",
        by("/p/getform/").decoy_requests
    );
    assert!(
        located("/p/basic/", "authorization"),
        "{:?}",
        by("/p/basic/").decoy_requests
    );
    // The downloads were recognised as such, not waited for as pages: by the attachment
    // header, and by a type no browser shows.
    for p in ["/h/download/", "/h/archive/"] {
        assert!(
            by(p).reason.contains("file download"),
            "{p}: {}",
            by(p).reason
        );
    }
    // The landing page's hidden download frame is listed, and did not stop the probe.
    assert!(
        landing
            .errors
            .iter()
            .any(|e| e.contains("download was denied")),
        "{:?}",
        landing.errors
    );
    // Permission prompts are answered "denied" at once (no prompt left hanging).
    let perm = &by("/h/perm/").steps[0].visible_text_excerpt;
    for want in ["geolocation: denied", "notifications: denied"] {
        assert!(perm.contains(want), "{want:?} not in {perm:?}");
    }
    // A jump to a local file is not followed: nothing of it shows in the evidence.
    let scheme = by("/h/scheme/");
    assert!(
        !scheme.final_url.starts_with("file:"),
        "{}",
        scheme.final_url
    );
    assert!(
        scheme
            .steps
            .iter()
            .all(|s| !s.visible_text_excerpt.contains("root:")),
        "{:?}",
        scheme.steps
    );
    // A CAPTCHA after the password is a challenge, never "genuine".
    let cap = by("/g/captcha/");
    assert_ne!(verdict(&engine, &cap.url, cap).verdict, Verdict::Genuine);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_engine_gets_the_non_js_targets_right() {
    let sites = common::sites();
    let mut results = Vec::new();
    for (p, _) in common::HTTP_TARGETS {
        let r = phishprobe_probe::http::probe(&format!("{}{}", sites.main, p), &opts(p)).await;
        results.push(r);
    }
    let rows: Vec<_> = common::HTTP_TARGETS
        .iter()
        .zip(results.iter())
        .map(|((p, w), r)| (*p, *w, r))
        .collect();
    let (t, bad) = table(&rows);
    eprintln!("{t}");
    assert!(bad.is_empty(), "wrong outcomes:\n{}", bad.join("\n"));
}

#[tokio::test]
async fn private_targets_are_refused_without_the_option() {
    let sites = common::sites();
    let url = format!("{}/p/onestep/", sites.main);
    let r = phishprobe_probe::http::probe(&url, &ProbeOptions::default()).await;
    assert_eq!(r.outcome, Outcome::Inconclusive);
    assert!(r.reason.contains("--allow-private"), "{}", r.reason);
    assert!(r.decoy_requests.is_empty());
}
