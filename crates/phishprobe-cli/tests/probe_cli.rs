//! End-to-end tests of `phishprobe probe` through the real binary, against a local site written
//! here: an Amazon-style clone that takes any password and sends the browser on to "the real
//! site" (another origin of the same local server), and a genuine-style shop that refuses every
//! password. The browser test needs Debian's `chromium` (skipped with a message without it,
//! unless PHISHPROBE_REQUIRE_BROWSER=1, set in CI).

mod common;

use std::path::{Path, PathBuf};

use common::site::{self, Answer, Post};
use common::{assert_exit, codes, json_lines, run};

const AMAZON_FORM: &str = "<!doctype html><html><head><meta charset=utf-8><title>Amazon Sign-In</title></head><body><img alt=\"amazon\" src=\"data:,\"><h1>Sign in</h1><form method=post action=/clone/signin><label>Email or mobile phone number<input type=email name=email></label><label>Password<input type=password name=password></label><button type=submit>Sign in</button></form><p>By continuing, you agree to Amazon's Conditions of Use and Privacy Notice.</p></body></html>";

fn shop_form(error: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=utf-8><title>Example Shop sign-in</title></head><body><h1>Example Shop</h1>{error}<form method=post action=/shop/signin><label>Email<input type=email name=email></label><label>Password<input type=password name=password></label><button type=submit>Sign in</button></form></body></html>"
    )
}

fn route(method: &str, path: &str, _body: &str, port: u16) -> Answer {
    match (method, path) {
        ("GET", "/clone/") => Answer::page(AMAZON_FORM),
        // Takes anything, then hands the browser to "the brand's real site".
        ("POST", "/clone/signin") => {
            Answer::redirect(&format!("http://localhost:{port}/ap/forgotpassword"))
        }
        ("GET", "/ap/forgotpassword") => Answer::page(
            "<!doctype html><title>Password assistance</title><h1>Password assistance</h1><p>Enter the email address associated with your account.</p>",
        ),
        ("GET", "/shop/") => Answer::page(&shop_form("")),
        ("POST", "/shop/signin") => Answer::page(&shop_form(
            "<p style=\"color:#c00\">Your email or password is incorrect.</p>",
        )),
        _ => Answer {
            status: 404,
            location: None,
            html: "<h1>Not found</h1>".into(),
        },
    }
}

fn out_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "phishprobe-probe-cli-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn posts_to(posts: &[Post], path: &str) -> Vec<String> {
    posts
        .iter()
        .filter(|p| p.path == path)
        .map(|p| p.body.clone())
        .collect()
}

fn is_png(p: &Path) -> bool {
    std::fs::read(p).is_ok_and(|b| b.starts_with(b"\x89PNG\r\n\x1a\n"))
}

#[test]
fn chromium_probe_tells_the_clone_from_the_genuine_style_shop_and_keeps_evidence() {
    if phishprobe_probe::testing::chrome_or_skip().is_none() {
        return;
    }
    let (base, posts) = site::start(route);
    let out = out_dir("chrome");
    let clone = format!("{base}/clone/");
    let shop = format!("{base}/shop/");
    let o = run(
        &[
            "--json",
            "probe",
            "--allow-private",
            "--timeout",
            "40",
            "--decoy-domain",
            "decoy.test",
            "--out",
            &out.display().to_string(),
            &clone,
            &shop,
        ],
        None,
    );
    // The worst verdict decides the exit code: 2 for phishing.
    assert_exit(&o, 2);
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 2, "{lines:?}");
    let seen = posts.lock().expect("posts").clone();

    // The clone took the first decoy and the browser left for "the real site".
    let c = &lines[0];
    assert_eq!(c["input"], clone.as_str());
    assert_eq!(c["outcome"], "accepted", "{c}");
    assert_eq!(c["verdict"], "phishing", "{c}");
    assert!(codes(c).iter().any(|x| x == "probe.decoy_accepted"), "{c}");
    assert_eq!(c["evidence"]["left_origin"], true);
    let decoy = &c["evidence"]["decoys"][0];
    let (id, pw) = (
        decoy["identifier"].as_str().expect("identifier"),
        decoy["password"].as_str().expect("password"),
    );
    assert!(id.ends_with("@decoy.test"), "{id}");
    // What the clone received is the generated decoy, and nothing else was submitted.
    let clone_posts = posts_to(&seen, "/clone/signin");
    assert_eq!(clone_posts.len(), 1, "{clone_posts:?}");
    assert!(
        clone_posts[0].contains(&pw.replace('!', "%21")),
        "{pw} not in {clone_posts:?}"
    );
    assert!(
        c["evidence"]["decoy_requests"]
            .as_array()
            .is_some_and(|a| a.iter().any(|r| r["method"] == "POST"
                && r["url"]
                    .as_str()
                    .is_some_and(|u| u.ends_with("/clone/signin")))),
        "{c}"
    );
    // Evidence: a PNG per step, and probe.json with the same outcome.
    let steps = c["evidence"]["steps"].as_array().expect("steps");
    assert!(steps.len() >= 2, "{steps:?}");
    for s in steps {
        let shot = s["screenshot"].as_str().expect("screenshot path");
        assert!(is_png(Path::new(shot)), "not a PNG: {shot}");
        assert!(shot.starts_with(&out.display().to_string()), "{shot}");
    }
    let saved: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.join("01-127.0.0.1").join("probe.json")).expect("probe.json"),
    )
    .expect("probe.json is JSON");
    assert_eq!(saved["outcome"], "accepted");
    assert_eq!(saved["input"], clone.as_str());

    // The shop refused both decoys: rejected, never called genuine, two submissions at most.
    let g = &lines[1];
    assert_eq!(g["outcome"], "rejected", "{g}");
    assert_ne!(g["verdict"], "genuine", "{g}");
    assert_eq!(g["evidence"]["submissions"], 2);
    assert_eq!(posts_to(&seen, "/shop/signin").len(), 2);
    assert!(out.join("02-127.0.0.1").join("probe.json").is_file());
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn http_engine_probes_without_a_browser_and_private_targets_need_the_option() {
    let (base, posts) = site::start(route);
    let clone = format!("{base}/clone/");

    let o = run(
        &[
            "--json",
            "probe",
            "--engine",
            "http",
            "--allow-private",
            &clone,
        ],
        None,
    );
    assert_exit(&o, 2);
    let v = &json_lines(&o)[0];
    assert_eq!(v["outcome"], "accepted", "{v}");
    assert_eq!(v["evidence"]["engine"], "http");
    assert_eq!(
        posts_to(&posts.lock().expect("posts"), "/clone/signin").len(),
        1
    );

    // Without --allow-private the loopback target is refused before anything is sent.
    let o = run(&["--json", "probe", "--engine", "http", &clone], None);
    let v = &json_lines(&o)[0];
    assert_eq!(v["outcome"], "inconclusive", "{v}");
    assert!(
        v["evidence"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("--allow-private")),
        "{v}"
    );
    assert_ne!(v["verdict"], "genuine");
    assert_eq!(
        posts_to(&posts.lock().expect("posts"), "/clone/signin").len(),
        1
    );

    // The person-readable output says what happened and where the decoy went.
    let o = run(
        &["probe", "--engine", "http", "--allow-private", &clone],
        None,
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("probe: accepted"), "{text}");
    assert!(text.contains("decoy"), "{text}");
}

#[test]
fn bad_probe_input_is_a_clear_error_or_an_inconclusive_verdict() {
    // Out-of-range options: a clear message, no probe.
    let o = run(&["probe", "--timeout", "0", "https://example.com/"], None);
    assert_ne!(o.status.code(), Some(0));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--timeout"), "{err}");
    let o = run(&["probe", "--engine", "http"], None);
    assert_ne!(o.status.code(), Some(0));

    // Not http(s), not a URL: inconclusive with the reason, nothing fetched.
    for bad in ["file:///etc/passwd", "javascript:alert(1)", "http://"] {
        let o = run(&["--json", "probe", "--engine", "http", bad], None);
        let lines = json_lines(&o);
        assert_eq!(lines.len(), 1, "{bad}: {lines:?}");
        assert_eq!(lines[0]["outcome"], "inconclusive", "{bad}: {}", lines[0]);
        assert!(
            !lines[0]["evidence"]["reason"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "{bad}"
        );
        assert!(
            lines[0]["evidence"]["steps"]
                .as_array()
                .is_some_and(|s| s.is_empty()),
            "{bad}: {}",
            lines[0]
        );
    }
}
