//! The egress guard in the real browser: a page the operator let through (one exact test
//! origin) tries to reach another private address by an HTTP 302, by a script's
//! `location = ...`, and by a sub-resource. Private targets are NOT allowed, so every one of
//! those must be refused and the private server must never see a request.
//!
//! Why an exact allowed origin: tests can only serve on 127.0.0.1 (no network), so the first
//! hop must be let through somehow; `allow_hosts` lets through exactly one `host:port` and
//! nothing else, which is what the test needs and no more. The second server listens on
//! another port of 127.0.0.1, which the guard treats like any private address.
//!
//! Needs Chromium (skipped with a message without it, unless PHISHPROBE_REQUIRE_BROWSER=1).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use phishprobe_probe::{ChromeConfig, Outcome, ProbeOptions, Prober};

/// A tiny HTTP server on std threads; `route(path) -> (status line, extra headers, body)`.
fn serve(
    route: impl Fn(&str, &str) -> (String, String, String) + Send + Sync + 'static,
    hits: Arc<AtomicUsize>,
) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let route = Arc::new(route);
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let route = route.clone();
            let hits = hits.clone();
            thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let mut buf = vec![0u8; 16384];
                let n = s.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    return;
                }
                hits.fetch_add(1, Ordering::SeqCst);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let mut first = req.lines().next().unwrap_or("").split_whitespace();
                let method = first.next().unwrap_or("").to_string();
                let path = first.next().unwrap_or("/").to_string();
                let (status, extra, body) = route(&method, &path);
                let resp = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes());
            });
        }
    });
    addr
}

fn login_page(extra: &str) -> String {
    format!(
        "<html><head><title>Sign in</title></head><body>{extra}<h1>Sign in</h1><form method=post action=/signin><label>Email <input type=email name=email></label><label>Password <input type=password name=password></label><button type=submit>Sign in</button></form></body></html>"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_and_requests_to_private_addresses_are_refused() {
    if phishprobe_probe::testing::chrome_or_skip().is_none() {
        return;
    }
    // The "internal" server: nothing may ever reach it.
    let inside_hits = Arc::new(AtomicUsize::new(0));
    let inside = serve(
        |_, _| ("200 OK".into(), String::new(), "internal admin".into()),
        inside_hits.clone(),
    );
    let secret = format!("http://{inside}/secret");
    let s2 = secret.clone();
    let site_hits = Arc::new(AtomicUsize::new(0));
    let site = serve(
        move |method, path| {
            match (method, path) {
            (_, "/302") => ("302 Found".into(), format!("Location: {s2}\r\n"), String::new()),
            (_, "/js") => (
                "200 OK".into(),
                String::new(),
                format!("<html><body><p>Loading…</p><script>location.href = {s2:?};</script></body></html>"),
            ),
            // A login page that also pulls an image and a fetch() from the private address.
            (_, "/sub") => (
                "200 OK".into(),
                String::new(),
                login_page(&format!(
                    "<img src=\"{s2}.png\" alt=\"\"><script>fetch({s2:?}).catch(() => {{}});</script>"
                )),
            ),
            ("POST", "/signin") => ("302 Found".into(), "Location: /welcome\r\n".into(), String::new()),
            (_, "/welcome") => (
                "200 OK".into(),
                String::new(),
                "<html><body><h1>Welcome back!</h1><p>Your account is verified. Enter your card number to continue.</p><input name=cardnumber autocomplete=cc-number></body></html>".into(),
            ),
            _ => ("200 OK".into(), String::new(), login_page("")),
        }
        },
        site_hits.clone(),
    );

    let prober = Prober::launch(&ChromeConfig {
        offline: true,
        ..Default::default()
    })
    .await
    .expect("chromium starts");
    let opts = ProbeOptions {
        allow_private: false,
        allow_hosts: vec![site.to_string()],
        timeout: Duration::from_secs(20),
        step_timeout: Duration::from_secs(6),
        ..ProbeOptions::default()
    };
    let urls: Vec<String> = ["/302", "/js", "/sub", "/login"]
        .iter()
        .map(|p| format!("http://{site}{p}"))
        .collect();
    let results = prober.probe_all(&urls, 2, |_, _| opts.clone()).await;
    // The private target itself is refused before the browser is even asked.
    let direct = prober.probe(&secret, &opts).await;
    prober.close().await;

    let inside_key = inside.to_string();
    for (u, r) in urls.iter().zip(&results) {
        eprintln!(
            "{u}: {} — {} | blocked {:?}",
            r.outcome.as_str(),
            r.reason,
            r.blocked
        );
    }
    // HTTP 302 to a private address: refused, and the probe says why.
    let r302 = &results[0];
    assert!(
        r302.blocked.iter().any(|b| b.target == inside_key),
        "{r302:#?}"
    );
    assert_eq!(r302.outcome, Outcome::Inconclusive);
    assert!(r302.reason.contains("refused"), "{}", r302.reason);
    // Script navigation to a private address: refused.
    let rjs = &results[1];
    assert!(
        rjs.blocked.iter().any(|b| b.target == inside_key),
        "{rjs:#?}"
    );
    assert_eq!(rjs.outcome, Outcome::Inconclusive);
    // Sub-resources (image, fetch) refused; the login page itself still probed.
    let rsub = &results[2];
    assert!(
        rsub.blocked.iter().any(|b| b.target == inside_key),
        "{rsub:#?}"
    );
    assert!(rsub.login_form_found);
    // The allowed origin works normally through the guard (POST body included).
    let ok = &results[3];
    assert_eq!(ok.outcome, Outcome::Accepted, "{ok:#?}");
    assert!(ok.blocked.is_empty());
    assert!(!ok.decoy_requests.is_empty());
    // The direct private target.
    assert_eq!(direct.outcome, Outcome::Inconclusive);
    assert!(direct.reason.contains("private"), "{}", direct.reason);
    // Nothing ever reached the private server; the allowed site was used.
    assert_eq!(inside_hits.load(Ordering::SeqCst), 0);
    assert!(site_hits.load(Ordering::SeqCst) >= 4);
}
