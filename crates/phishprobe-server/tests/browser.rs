//! The page and the probe jobs in real headless Chromium (Debian's `chromium`, found like the
//! probe crate finds it). Without a browser these tests are skipped with a message, unless
//! PHISHPROBE_REQUIRE_BROWSER=1 (CI) makes that a failure.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chromiumoxide::cdp::browser_protocol::dom::SetFileInputFilesParams;
use chromiumoxide::{Browser, BrowserConfig, Page};
use common::*;
use futures::StreamExt;
use phishprobe_probe::ChromeConfig;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A one-step sign-in clone on 127.0.0.1 that lets any password in (written for this test).
async fn clone_site() -> SocketAddr {
    clone_site_counted().await.0
}

/// The clone, with a count of the requests it received (to see whether a probe visited it).
async fn clone_site_counted() -> (SocketAddr, Arc<AtomicUsize>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Read the head and a small body.
                loop {
                    let Ok(n) = s.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len {
                            break;
                        }
                    }
                    if buf.len() > 1 << 20 {
                        return;
                    }
                }
                let line = String::from_utf8_lossy(&buf)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string();
                let (status, extra, body) = if line.starts_with("POST /signin") {
                    ("302 Found", "Location: /welcome\r\n", String::new())
                } else if line.starts_with("GET /welcome") {
                    ("200 OK", "", "<html><head><title>Your account</title></head><body><h1>Welcome back!</h1><p>Your account has been verified. Please confirm your card details to continue.</p><input name=cardnumber placeholder='Card number' autocomplete='cc-number'></body></html>".to_string())
                } else {
                    ("200 OK", "", "<html><head><title>Amazon Sign-In</title></head><body><h1>Sign in</h1><form method=post action=/signin><label>Email <input type=email name=email></label><label>Password <input type=password name=password></label><button type=submit>Sign in</button></form></body></html>".to_string())
                };
                let resp = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    (addr, hits)
}

/// Another origin's web page: every request gets an empty HTML document. What the attacker's
/// script would do is then evaluated in that page through the DevTools protocol, so it runs
/// with exactly that page's origin and the browser's own rules.
async fn other_site() -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await;
                let body = "<!doctype html><html><head><title>another site</title></head><body><p>another site</p></body></html>";
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    addr
}

async fn launch(
    chrome: std::path::PathBuf,
) -> (Browser, tokio::task::JoinHandle<()>, tempfile::TempDir) {
    launch_with(chrome, &[]).await
}

/// [`launch`] with more Chromium switches (without the leading `--`).
async fn launch_with(
    chrome: std::path::PathBuf,
    extra: &[&str],
) -> (Browser, tokio::task::JoinHandle<()>, tempfile::TempDir) {
    let profile = tempfile::tempdir().unwrap();
    let cfg = BrowserConfig::builder()
        .chrome_executable(chrome)
        .new_headless_mode()
        .no_sandbox()
        .user_data_dir(profile.path())
        .window_size(1200, 900)
        .args([
            "disable-gpu",
            "no-first-run",
            "disable-dev-shm-usage",
            "disable-background-networking",
            "lang=en-US",
        ])
        .args(extra.iter().copied())
        .launch_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let (browser, mut handler) = Browser::launch(cfg).await.expect("chromium starts");
    let h = tokio::spawn(async move { while handler.next().await.is_some() {} });
    (browser, h, profile)
}

/// Evaluate `js` until it returns a non-empty string (or time out).
async fn wait_for(page: &Page, js: &str, what: &str) -> String {
    wait_for_within(page, js, what, Duration::from_secs(15)).await
}

/// [`wait_for`] with another time limit (speech recognition takes longer than a link check).
async fn wait_for_within(page: &Page, js: &str, what: &str, limit: Duration) -> String {
    let t = Instant::now();
    loop {
        if let Ok(v) = page.evaluate(js).await
            && let Ok(s) = v.into_value::<String>()
            && !s.is_empty()
        {
            return s;
        }
        if t.elapsed() > limit {
            let status = page
                .evaluate("document.getElementById('status').textContent")
                .await
                .ok()
                .and_then(|v| v.into_value::<String>().ok());
            panic!("timed out waiting for {what} (status: {status:?})");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn eval_str(page: &Page, js: &str) -> String {
    page.evaluate(js)
        .await
        .ok()
        .and_then(|v| v.into_value::<String>().ok())
        .unwrap_or_default()
}

const VERDICT: &str = "(document.getElementById('result').hidden ? '' : (document.querySelector('#verdict') || {getAttribute(){return ''}}).getAttribute('data-verdict') || '')";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_link_eml_language_and_past_case() {
    let Some(chrome) = phishprobe_probe::testing::chrome_or_skip() else {
        return;
    };
    let s = start().await;
    let (mut browser, handler, _profile) = launch(chrome).await;

    // First render, measured by the browser itself (navigation and paint timing). The very
    // first page of a fresh browser also pays for starting a renderer process: it is printed;
    // the figure asserted is a person's first visit with the browser already running.
    const TIMING: &str = "(() => { const n = performance.getEntriesByType('navigation')[0]; const p = performance.getEntriesByName('first-contentful-paint')[0]; return {fcp: p ? p.startTime : null, dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd}; })()";
    let cold = browser.new_page(format!("{}/", s.base)).await.unwrap();
    let cold_t: Value = cold.evaluate(TIMING).await.unwrap().into_value().unwrap();
    cold.close().await.ok();
    let t0 = Instant::now();
    let page = browser.new_page(format!("{}/", s.base)).await.unwrap();
    let wall = t0.elapsed();
    let timing: Value = page.evaluate(TIMING).await.unwrap().into_value().unwrap();
    eprintln!("page first render: {timing} (new_page wall time {wall:?}); cold browser: {cold_t}");
    let first = timing["fcp"].as_f64().or(timing["dcl"].as_f64()).unwrap();
    // The target is under 1 s (README figures, measured on an idle machine); the test only
    // guards against a regression by an order of magnitude, since CI shares two cores with
    // other browser tests.
    assert!(first < 5000.0, "first render {first} ms");
    assert_eq!(eval_str(&page, "document.documentElement.lang").await, "en");

    // Accessibility basics: every control has a label, the live regions exist.
    let unlabeled = eval_str(
        &page,
        "Array.from(document.querySelectorAll('input,textarea,select')).filter(e => !e.labels || e.labels.length === 0).map(e => e.id).join(',')",
    )
    .await;
    assert_eq!(unlabeled, "", "controls without a label");
    assert_eq!(
        eval_str(
            &page,
            "document.getElementById('status').getAttribute('aria-live')"
        )
        .await,
        "polite"
    );

    // 1. Paste a phishing link (typed with the keyboard) and see the verdict.
    page.find_element("#in-url")
        .await
        .unwrap()
        .click()
        .await
        .unwrap()
        .type_str("https://amazon.co.jp.account-verify.top/ap/signin")
        .await
        .unwrap();
    page.find_element("#check-btn")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let v = wait_for(&page, VERDICT, "the link verdict").await;
    assert_eq!(v, "phishing");
    let heading = eval_str(
        &page,
        "document.querySelector('#verdict strong').textContent",
    )
    .await;
    assert_eq!(heading, "Phishing");
    let case1 = wait_for(
        &page,
        "(document.getElementById('case-id')||{}).textContent||''",
        "case id",
    )
    .await;

    // 2. Upload an .eml.
    page.find_element("#clear-btn")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let eml = dir.path().join("suspended.eml");
    std::fs::write(&eml, PHISH_EML).unwrap();
    let input = page.find_element("#in-eml").await.unwrap();
    page.execute(
        SetFileInputFilesParams::builder()
            .files(vec![eml.display().to_string()])
            .backend_node_id(input.backend_node_id)
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    page.evaluate("document.getElementById('result').hidden = true")
        .await
        .unwrap();
    page.find_element("#check-btn")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let v = wait_for(&page, VERDICT, "the email verdict").await;
    assert_ne!(v, "genuine");
    assert_ne!(v, "unknown");
    let steps = eval_str(
        &page,
        "Array.from(document.querySelectorAll('[data-step]')).map(e => e.getAttribute('data-step')).join(',')",
    )
    .await;
    assert!(steps.contains("sender"), "{steps}");

    // 3. Switch the language: the page changes at once and remembers it.
    page.find_element("#lang-zh")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(eval_str(&page, "document.documentElement.lang").await, "zh");
    assert_eq!(
        eval_str(&page, "document.getElementById('heading').textContent").await,
        "这真的是亚马逊吗？"
    );
    let verdict_zh = eval_str(
        &page,
        "document.querySelector('#verdict strong').textContent",
    )
    .await;
    assert!(
        ["钓鱼", "可疑"].contains(&verdict_zh.as_str()),
        "{verdict_zh}"
    );
    page.reload().await.unwrap();
    assert_eq!(eval_str(&page, "document.documentElement.lang").await, "zh");
    assert_eq!(
        eval_str(&page, "document.getElementById('check-btn').textContent").await,
        "检查"
    );

    // 4. Open a past case: the first one (the link), from the list.
    let id1 = case1
        .split_whitespace()
        .find(|w| w.len() >= 12)
        .unwrap_or("")
        .trim_end_matches(['.', '。'])
        .to_string();
    let n = wait_for(
        &page,
        "String(document.querySelectorAll('#cases-list button').length >= 2 ? document.querySelectorAll('#cases-list button').length : '')",
        "the case list",
    )
    .await;
    assert!(n.parse::<usize>().unwrap() >= 2);
    page.find_element(&format!("#cases-list button[data-case='{id1}']"))
        .await
        .unwrap_or_else(|e| panic!("case {id1} listed: {e}"))
        .click()
        .await
        .unwrap();
    let v = wait_for(&page, VERDICT, "the opened case").await;
    assert_eq!(v, "phishing");
    let shown = wait_for(
        &page,
        "(document.getElementById('case-id')||{}).textContent||''",
        "case id",
    )
    .await;
    assert!(shown.contains(&id1), "{shown}");
    let url_shown = eval_str(&page, "document.getElementById('result-body').textContent").await;
    assert!(url_shown.contains("2b."), "{url_shown}");

    browser.close().await.ok();
    handler.abort();
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_job_runs_and_serves_screenshots() {
    let Some(chrome) = phishprobe_probe::testing::chrome_or_skip() else {
        return;
    };
    let site = clone_site().await;
    let s = start_with(|c, _| {
        c.probe.chrome = ChromeConfig {
            executable: Some(chrome),
            offline: true,
            ..ChromeConfig::default()
        };
        // Only this exact test site is let through; private addresses stay refused.
        c.probe.allow_hosts = vec![site.to_string()];
        c.probe.timeout = Duration::from_secs(25);
    })
    .await;
    let r = post_json(
        &s,
        "/api/v1/probe",
        &json!({"url": format!("http://{site}/")}),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.text());
    let job = r.json();
    let id = job["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/probe/{id}").as_str())
    );
    let t = Instant::now();
    let mut saw_progress = false;
    let done = loop {
        let v = get(&s, &format!("/api/v1/probe/{id}")).await.json();
        match v["status"].as_str() {
            Some("done") | Some("failed") => break v,
            Some("running") => saw_progress |= v.get("elapsed_ms").is_some(),
            _ => {}
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "probe did not finish: {v}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(saw_progress, "running status reports elapsed time");
    assert_eq!(done["status"], "done", "{done}");
    let res = &done["result"];
    assert_eq!(res["outcome"], "accepted", "{res}");
    assert_eq!(res["verdict"], "phishing");
    let shots = done["screenshots"].as_array().unwrap();
    assert!(!shots.is_empty());
    let png = get(&s, shots[0].as_str().unwrap()).await;
    assert_eq!(png.status, 200);
    assert_eq!(png.header("content-type"), Some("image/png"));
    assert!(png.body.starts_with(b"\x89PNG"));
    // A redirect or request to another private address from the page would have been refused
    // by the probe's egress guard (see phishprobe-probe/tests/egress.rs); here nothing was.
    assert_eq!(res["evidence"]["blocked"], json!([]));

    // The same page as part of a case with the probe asked for: a job whose result is the
    // finished, saved case with the wrong-password step done and its screenshots kept.
    let r = post_json(
        &s,
        "/api/v1/cases",
        &json!({"urls": [format!("http://{site}/")], "probe": true, "texts": ["Please sign in to verify your seller account"]}),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.text());
    assert!(r.json()["preliminary"]["steps"].is_array());
    let id = r.json()["job"]["id"].as_str().unwrap().to_string();
    let t = Instant::now();
    let done = loop {
        let v = get(&s, &format!("/api/v1/probe/{id}")).await.json();
        if matches!(v["status"].as_str(), Some("done") | Some("failed")) {
            break v;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "case probe did not finish: {v}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(done["status"], "done", "{done}");
    let case = &done["result"]["case"];
    assert_eq!(done["result"]["outcome"], "accepted", "{done}");
    assert_eq!(case["report"]["verdict"], "phishing");
    let wp = case["report"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "wrong_password")
        .cloned()
        .unwrap();
    assert_eq!(wp["status"], "done", "{wp}");
    let shot = case["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["media_type"] == "image/png")
        .cloned()
        .expect("a screenshot kept with the case");
    let png = get(&s, shot["url"].as_str().unwrap()).await;
    assert_eq!(png.status, 200, "{}", png.text());
    assert!(png.body.starts_with(b"\x89PNG"));
    let listed = get(&s, "/api/v1/cases").await.json();
    assert_eq!(listed["cases"][0]["id"], case["id"]);
    s.stop().await;
}

/// `?lang=zh` as a link, the language shown as active, and the past-case list in Chinese
/// (verdict, kind words, brand label), then back to English by the other link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_link_indicator_and_case_list_labels() {
    let Some(chrome) = phishprobe_probe::testing::chrome_or_skip() else {
        return;
    };
    let s = start().await;
    let r = post_json(
        &s,
        "/api/v1/cases",
        &json!({"email": {"name": "suspended.eml", "message": PHISH_EML}}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let (mut browser, handler, _profile) = launch(chrome).await;

    // The browser asks for English (lang=en-US); the link asks for Chinese and wins.
    let page = browser
        .new_page(format!("{}/?lang=zh", s.base))
        .await
        .unwrap();
    assert_eq!(eval_str(&page, "document.documentElement.lang").await, "zh");
    assert_eq!(
        eval_str(&page, "document.getElementById('heading').textContent").await,
        "这真的是亚马逊吗？"
    );
    assert_eq!(
        eval_str(
            &page,
            "document.getElementById('lang-zh').getAttribute('aria-current')"
        )
        .await,
        "true"
    );
    assert_eq!(
        eval_str(
            &page,
            "document.getElementById('lang-en').getAttribute('aria-current')"
        )
        .await,
        "false"
    );
    assert_eq!(
        eval_str(&page, "document.getElementById('lang-current').textContent").await,
        "当前语言：中文"
    );
    assert_eq!(
        eval_str(
            &page,
            "document.getElementById('lang-zh').getAttribute('href')"
        )
        .await,
        "?lang=zh"
    );
    assert!(
        eval_str(&page, "document.cookie")
            .await
            .contains("phishprobe_lang=zh")
    );

    // The past case, labelled in Chinese: verdict, the kind of input, the brand.
    let label = wait_for(
        &page,
        &format!("(document.querySelector(\"#cases-list button[data-case='{id}']\")||{{}}).textContent||''"),
        "the case in the list",
    )
    .await;
    assert!(label.contains("邮件 suspended.eml"), "{label}");
    assert!(label.contains("品牌 amazon"), "{label}");
    assert!(
        label.starts_with("钓鱼") || label.starts_with("可疑"),
        "{label}"
    );
    assert!(
        !label.contains("email ") && !label.contains("brand"),
        "{label}"
    );

    // Opened, its severities are Chinese words too.
    page.find_element(&format!("#cases-list button[data-case='{id}']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&page, VERDICT, "the opened case").await;
    let sev = eval_str(
        &page,
        "Array.from(document.querySelectorAll('#result .sev')).map(e => e.textContent).join(',')",
    )
    .await;
    assert!(!sev.is_empty(), "no severities shown");
    for w in sev.split(',') {
        assert!(["信息", "低", "中", "高", "严重"].contains(&w), "{sev}");
    }

    // The English link: switched in place, the address bar holds the link for it.
    page.find_element("#lang-en")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(eval_str(&page, "document.documentElement.lang").await, "en");
    assert_eq!(eval_str(&page, "location.search").await, "?lang=en");
    assert_eq!(
        eval_str(&page, "document.getElementById('lang-current').textContent").await,
        "Showing: English"
    );
    let label = wait_for(
        &page,
        &format!("((document.querySelector(\"#cases-list button[data-case='{id}']\")||{{}}).textContent||'').indexOf('Email') >= 0 ? document.querySelector(\"#cases-list button[data-case='{id}']\").textContent : ''"),
        "the case list in English",
    )
    .await;
    assert!(label.contains("Email suspended.eml"), "{label}");

    browser.close().await.ok();
    handler.abort();
    s.stop().await;
}

/// What another site's script tries against the API (all in the page's own origin): simple
/// and preflighted fetches, a `text/plain` form post shaped as JSON, `<img>` loads of the API
/// and of a screenshot. Each result says whether the page could read anything.
const ATTACK_JS: &str = r#"async (api, shot, probeTarget) => {
  const out = {};
  const tryFetch = async (name, path, init) => {
    try {
      const r = await fetch(api + path, init);
      if (r.type === 'opaque') { out[name] = 'opaque'; return; }
      out[name] = 'read ' + r.status + ' ' + (await r.text()).slice(0, 300);
    } catch (e) { out[name] = 'blocked'; }
  };
  const caseBody = (m) => JSON.stringify({urls: ['https://' + m + '-marker.top/login']});
  await tryFetch('simple_post', '/api/v1/cases', {method: 'POST', headers: {'Content-Type': 'text/plain'}, body: caseBody('simple')});
  await tryFetch('nocors_post', '/api/v1/cases', {method: 'POST', mode: 'no-cors', headers: {'Content-Type': 'text/plain'}, body: caseBody('nocors')});
  await tryFetch('json_post', '/api/v1/cases', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: caseBody('json')});
  await tryFetch('probe_post', '/api/v1/probe', {method: 'POST', mode: 'no-cors', headers: {'Content-Type': 'text/plain'}, body: JSON.stringify({url: probeTarget})});
  await tryFetch('read_cases', '/api/v1/cases', {});
  const formPost = (path, name, value) => new Promise((done) => {
    const sink = document.createElement('iframe');
    sink.name = 'sink' + Math.random().toString(36).slice(2);
    document.body.appendChild(sink);
    const f = document.createElement('form');
    f.method = 'POST'; f.action = api + path; f.enctype = 'text/plain'; f.target = sink.name;
    const i = document.createElement('input'); i.name = name; i.value = value; f.appendChild(i);
    document.body.appendChild(f);
    sink.onload = () => done('submitted');
    setTimeout(() => done('timeout'), 5000);
    f.submit();
  });
  // text/plain encodes `name=value`: together valid JSON, the classic CSRF trick.
  out.form_case = await formPost('/api/v1/cases', '{"urls":["https://form-marker.top/login"],"texts":["', '"]}');
  out.form_probe = await formPost('/api/v1/probe', '{"url":"' + probeTarget + '","x":"', '"}');
  const img = (path) => new Promise((done) => {
    const i = new Image();
    i.onload = () => done('load ' + i.naturalWidth);
    i.onerror = () => done('error');
    setTimeout(() => done('timeout'), 5000);
    i.src = api + path;
  });
  out.img_screenshot = await img(shot);
  out.img_cases = await img('/api/v1/cases');
  return JSON.stringify(out);
}"#;

async fn attack(page: &Page, api: &str, shot: &str, probe_target: &str) -> Value {
    let call = format!(
        "({ATTACK_JS})({}, {}, {})",
        json!(api),
        json!(shot),
        json!(probe_target)
    );
    let s: String = page
        .evaluate(call)
        .await
        .expect("attack script ran")
        .into_value()
        .expect("a string");
    serde_json::from_str(&s).expect("JSON results")
}

/// Wait for a probe job to finish; its first screenshot's address.
async fn probe_screenshot(s: &Server, target: &str) -> String {
    let r = post_json(s, "/api/v1/probe", &json!({"url": target})).await;
    assert_eq!(r.status, 202, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let t = Instant::now();
    loop {
        let v = get(s, &format!("/api/v1/probe/{id}")).await.json();
        if v["status"] == "done" {
            return v["screenshots"][0]
                .as_str()
                .expect("a screenshot")
                .to_string();
        }
        assert!(v["status"] != "failed", "{v}");
        assert!(t.elapsed() < Duration::from_secs(60), "probe: {v}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn cases_in_store(s: &Server) -> i64 {
    let path = s.dir.path().join("history.db");
    let mut db =
        phishprobe_store::HistoryStore::open(&path.display().to_string()).expect("store opens");
    db.count_cases().expect("count")
}

/// Pages of other origins — another port on 127.0.0.1 (same-site) and `attacker.test`
/// (cross-site, mapped to 127.0.0.1 by Chromium's resolver rules) — try to create cases, start
/// a probe and read the history and a screenshot: they read nothing and create nothing. Then
/// a DNS-rebinding page (`attacker.test` on the server's own port, so the browser thinks the
/// API is its own origin) is refused by the Host check. A server that lists the origin with
/// `allowed_origins` lets the same script through: the harness can see a success.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_origins_read_nothing_and_create_nothing() {
    let Some(chrome) = phishprobe_probe::testing::chrome_or_skip() else {
        return;
    };
    let (clone, clone_hits) = clone_site_counted().await;
    let evil = other_site().await;
    let s = start_with(|c, _| {
        c.probe.chrome = ChromeConfig {
            executable: Some(chrome.clone()),
            offline: true,
            ..ChromeConfig::default()
        };
        c.probe.allow_hosts = vec![clone.to_string()];
        c.probe.timeout = Duration::from_secs(25);
    })
    .await;
    let secret_case = post_json(
        &s,
        "/api/v1/cases",
        &json!({"urls": ["https://history-secret-marker.top/"]}),
    )
    .await;
    assert_eq!(secret_case.status, 201);
    let probe_target = format!("http://{clone}/");
    let shot = probe_screenshot(&s, &probe_target).await;
    assert_eq!(get(&s, &shot).await.status, 200);
    let hits_before = clone_hits.load(Ordering::SeqCst);
    assert_eq!(cases_in_store(&s), 1);

    let rules = "host-resolver-rules=MAP attacker.test 127.0.0.1";
    let (mut browser, handler, _profile) = launch_with(chrome, &[rules]).await;
    let api = s.base.clone();
    for origin in [
        format!("http://127.0.0.1:{}", evil.port()),
        format!("http://attacker.test:{}", evil.port()),
    ] {
        let page = browser.new_page(format!("{origin}/")).await.unwrap();
        assert_eq!(eval_str(&page, "location.origin").await, origin);
        let out = attack(&page, &api, &shot, &probe_target).await;
        eprintln!("{origin}: {out}");
        for (k, v) in out.as_object().unwrap() {
            let v = v.as_str().unwrap_or("");
            assert!(
                !v.starts_with("read") && !v.starts_with("load"),
                "{origin} could read {k}: {v}"
            );
        }
        // A queued or running job would show here at once; a finished one as a visit.
        let h = get(&s, "/api/v1/health").await.json();
        assert_eq!(h["probe"]["queued"], 0, "{origin}: {h}");
        assert_eq!(h["probe"]["running"], 0, "{origin}: {h}");
        page.close().await.ok();
    }

    // DNS rebinding: the attacker's name resolves to 127.0.0.1 and the browser talks to the
    // server as if it were the attacker's own origin (same-origin requests, no CORS at all).
    let rebound = format!("http://attacker.test:{}", s.addr.port());
    let page = browser.new_page(format!("{rebound}/")).await.unwrap();
    let page_text = eval_str(&page, "document.body ? document.body.innerText : ''").await;
    let out = attack(&page, &rebound, &shot, &probe_target).await;
    eprintln!("{rebound} (rebinding): {out}");
    for k in ["simple_post", "json_post", "read_cases"] {
        let v = out[k].as_str().unwrap_or("");
        assert!(!v.contains("history-secret-marker"), "{k}: {v}");
        assert!(v.starts_with("read 421"), "{k}: {v}");
    }
    assert!(page_text.contains("host_not_allowed"), "{page_text}");
    assert!(
        out["img_screenshot"]
            .as_str()
            .unwrap_or("")
            .starts_with("error")
    );
    page.close().await.ok();

    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        clone_hits.load(Ordering::SeqCst),
        hits_before,
        "a refused probe request still visited the target"
    );
    assert_eq!(cases_in_store(&s), 1, "a refused request saved a case");
    s.stop().await;

    // Control: the same script from an origin the operator allowed gets through.
    let allowed = format!("http://attacker.test:{}", evil.port());
    let open = start_with(|c, _| c.allowed_origins = vec![allowed.clone()]).await;
    let page = browser.new_page(format!("{allowed}/")).await.unwrap();
    let out = attack(&page, &open.base, "/api/v1/health", "http://127.0.0.1:9/").await;
    eprintln!("{allowed} (allowed origin): {out}");
    assert!(
        out["json_post"]
            .as_str()
            .unwrap_or("")
            .starts_with("read 201"),
        "{out}"
    );
    assert!(
        out["read_cases"]
            .as_str()
            .unwrap_or("")
            .contains("json-marker"),
        "{out}"
    );
    page.close().await.ok();
    open.stop().await;

    browser.close().await.ok();
    handler.abort();
}

/// A call recording uploaded on the page (the real script, same-origin fetch): the verdict,
/// the findings and the timed machine transcript, which follows a language switch.
#[cfg(feature = "audio")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_recording_uploaded_on_the_page() {
    use phishprobe_testkit::audio;
    let Some(chrome) = phishprobe_probe::testing::chrome_or_skip() else {
        return;
    };
    let Some(model) = audio::model("ggml-base-q8_0.bin") else {
        return;
    };
    if !audio::tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("voicemail.wav");
    audio::speak(
        "This is Amazon Prime Security. Your account has been hacked. Please install AnyDesk and read me the code we sent you.",
        "en-us",
        &clip,
    );
    let model = model.display().to_string();
    let s = start_with(move |c, _| c.audio_model = Some(model)).await;
    let (mut browser, handler, _profile) = launch(chrome).await;
    let page = browser.new_page(format!("{}/", s.base)).await.unwrap();

    let input = page.find_element("#in-audio").await.unwrap();
    page.execute(
        SetFileInputFilesParams::builder()
            .files(vec![clip.display().to_string()])
            .backend_node_id(input.backend_node_id)
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    page.find_element("#audio-btn")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let v = wait_for_within(
        &page,
        VERDICT,
        "the recording's verdict",
        Duration::from_secs(120),
    )
    .await;
    assert_eq!(
        v,
        "phishing",
        "{}",
        eval_str(&page, "document.getElementById('audio-status').textContent").await
    );
    let codes = eval_str(
        &page,
        "Array.from(document.querySelectorAll('#result-body [data-code]')).map(e => e.getAttribute('data-code')).join(',')",
    )
    .await;
    assert!(codes.contains("audio.machine_transcript"), "{codes}");
    let heading = eval_str(
        &page,
        "document.querySelector('#transcript h3').textContent",
    )
    .await;
    assert!(heading.starts_with("Machine transcript"), "{heading}");
    let first = eval_str(
        &page,
        "document.querySelector('#transcript li').textContent",
    )
    .await;
    assert!(first.starts_with("[0:0"), "{first}");
    assert!(first.to_lowercase().contains("amazon"), "{first}");

    page.find_element("#lang-zh")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let heading = eval_str(
        &page,
        "document.querySelector('#transcript h3').textContent",
    )
    .await;
    assert!(heading.starts_with("机器转写"), "{heading}");
    assert_eq!(
        eval_str(&page, "document.getElementById('audio-btn').textContent").await,
        "检查录音"
    );

    browser.close().await.ok();
    handler.abort();
    s.stop().await;
}

/// Put the file at `path` into the file input `selector`, as a person choosing it.
async fn choose_file(page: &Page, selector: &str, path: &std::path::Path) {
    let input = page.find_element(selector).await.unwrap();
    page.execute(
        SetFileInputFilesParams::builder()
            .files(vec![path.display().to_string()])
            .backend_node_id(input.backend_node_id)
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
}

/// The case form reads its recording and sends it in the case (in every build: a server that
/// cannot transcribe answers `audio_unavailable`, which it only does for a recording that
/// arrived whole and readable), and the page says what is missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_case_form_sends_its_recording() {
    let Some(chrome) = phishprobe_probe::testing::chrome_or_skip() else {
        return;
    };
    let s = start_with(|c, dir| {
        let junk = dir.path().join("not-a-model.bin");
        std::fs::write(&junk, b"this is not a ggml file").unwrap();
        c.audio_model = Some(junk.display().to_string());
    })
    .await;
    let (mut browser, handler, _profile) = launch(chrome).await;
    let page = browser.new_page(format!("{}/", s.base)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("tone.wav");
    std::fs::write(&wav, tone_wav(1)).unwrap();

    page.find_element("#in-phone")
        .await
        .unwrap()
        .click()
        .await
        .unwrap()
        .type_str("+1 206 555 0100")
        .await
        .unwrap();
    choose_file(&page, "#in-case-audio", &wav).await;
    page.find_element("#check-btn")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let status = wait_for(
        &page,
        "(() => { const s = document.getElementById('status'); return s.className === 'error' ? s.textContent : ''; })()",
        "the case form's error",
    )
    .await;
    assert!(
        status.contains("Speech recognition is not set up"),
        "{status}"
    );
    let list = get(&s, "/api/v1/cases").await.json();
    assert_eq!(list["cases"].as_array().map(Vec::len), Some(0), "{list}");

    browser.close().await.ok();
    handler.abort();
    s.stop().await;
}

/// A scam call and the number it came from, given in the case form: the case verdict, the
/// call judged in the step that asks whether anyone wanted a secret (which part, when it was
/// said, the timed transcript), and the case in the list as a recorded call.
#[cfg(feature = "audio")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_recording_in_the_case_form() {
    use phishprobe_testkit::audio;
    let Some(chrome) = phishprobe_probe::testing::chrome_or_skip() else {
        return;
    };
    let Some(model) = audio::model("ggml-base-q8_0.bin") else {
        return;
    };
    if !audio::tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("voicemail.wav");
    audio::speak(
        "This is Amazon Prime Security. Your account has been hacked. Please install AnyDesk and read me the code we sent you.",
        "en-us",
        &clip,
    );
    let model = model.display().to_string();
    let s = start_with(move |c, _| c.audio_model = Some(model)).await;
    let (mut browser, handler, _profile) = launch(chrome).await;
    let page = browser.new_page(format!("{}/", s.base)).await.unwrap();

    page.find_element("#in-phone")
        .await
        .unwrap()
        .click()
        .await
        .unwrap()
        .type_str("+1 206 555 0100")
        .await
        .unwrap();
    choose_file(&page, "#in-case-audio", &clip).await;
    page.find_element("#check-btn")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let v = wait_for_within(&page, VERDICT, "the case verdict", Duration::from_secs(120)).await;
    assert_eq!(v, "phishing");

    const ASK: &str = "document.querySelector('#result-body [data-step=ask]')";
    let from = eval_str(
        &page,
        &format!("Array.from({ASK}.querySelectorAll('.from')).map(e => e.textContent).join('|')"),
    )
    .await;
    assert!(
        from.contains("from: the recorded call (voicemail.wav)"),
        "{from}"
    );
    let evidence = eval_str(
        &page,
        &format!(
            "Array.from({ASK}.querySelectorAll('.evidence')).map(e => e.textContent).join('|')"
        ),
    )
    .await;
    assert!(evidence.contains("[0:"), "{evidence}");
    let first = eval_str(
        &page,
        &format!("({ASK}.querySelector('.transcript li') || {{}}).textContent || ''"),
    )
    .await;
    assert!(first.starts_with("[0:0"), "{first}");
    assert!(first.to_lowercase().contains("amazon"), "{first}");
    let listed = wait_for(
        &page,
        "Array.from(document.querySelectorAll('#cases-list button')).map(b => b.textContent).join('|')",
        "the case list",
    )
    .await;
    assert!(listed.contains("Recorded call voicemail.wav"), "{listed}");

    page.find_element("#lang-zh")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let from = eval_str(
        &page,
        &format!("Array.from({ASK}.querySelectorAll('.from')).map(e => e.textContent).join('|')"),
    )
    .await;
    assert!(from.contains("来自：通话录音 (voicemail.wav)"), "{from}");

    browser.close().await.ok();
    handler.abort();
    s.stop().await;
}
