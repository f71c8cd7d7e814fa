//! The browser extension in a real Chromium: warnings at the first keystroke, password reuse,
//! quiet on genuine and unclaimed pages, login frames, hostile pages, a restarted worker, and
//! what is stored and sent. One browser runs the scenarios in order; the output ends with
//! `N passed, N failed`.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};
use support::*;

/// Load the core into an extension page as the worker does (core.js, then core.wasm).
const LOAD_CORE_THEN_KEEP: &str = "new Promise((ok, fail) => { const s = document.createElement('script'); s.src = 'core.js'; s.onload = ok; s.onerror = fail; document.head.append(s); }).then(() => loadCore('core.wasm')).then(c => { window.core = c; return true; })";

const ENROLLED: &str = "Sunflower-Harbor-42";

const LOOKALIKE: &str = "amazon-signin-verify.com";
const CLAIM_ONLY: &str = "secure-account-center.net";
const GENUINE: &str = "www.amazon.com";
const UNKNOWN: &str = "gardening-club.org";
const FRAME_TOP: &str = "recipes-daily.org";
const FRAME_HOST: &str = "amazon-account-verify.top";

fn amazon_login(extra: &str) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>Amazon Sign-In</title></head>
<body><img alt="Amazon" src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><h1>Sign in</h1>
<form action="/ap/signin" method="post"><label>Email or mobile phone number
<input type="email" name="email" id="email"></label><label>Password
<input type="password" name="password" id="pw"></label><button id="go">Sign in</button></form>
<p>Conditions of Use  Privacy Notice  © 1996-2026, Amazon.com, Inc. or its affiliates</p>{extra}</body></html>"#
    )
}

const PLAIN_LOGIN: &str = r#"<!doctype html><title>Members' login</title><h1>Gardening club</h1>
<form action="/login" method="post"><input name="user" id="user"><input type="password" id="pw" name="pw">
<button>Log in</button></form><p>Tomatoes, roses and compost tips for members.</p>"#;

const FRAME_PAGE: &str = r#"<!doctype html><title>Recipes daily</title><h1>Today's soup</h1>
<p>Onions, stock, thyme.</p><iframe id="f" src="https://amazon-account-verify.top/frame"
style="position:absolute;left:50px;top:120px;width:420px;height:200px;border:0"></iframe>"#;

const FRAME_LOGIN: &str = r#"<!doctype html><body style="margin:0"><form action="/p" method="post">
<input type="password" id="pw" name="pw" style="position:absolute;left:10px;top:10px;width:200px;height:30px">
</form></body>"#;

/// Takes the banner away as soon as it appears.
const REMOVER: &str = r#"<script>
setInterval(() => { for (const e of document.querySelectorAll('body > :not(form):not(h1):not(p):not(img):not(script)')) e.remove(); }, 30);
</script>"#;

/// Covers everything with its own top-layer dialog, again and again.
const COVERER: &str = r#"<dialog id="cover" style="width:100vw;height:100vh;max-width:none;max-height:none;margin:0;padding:0;border:0;background:#fff">Nothing to see</dialog>
<script>
const d = document.getElementById('cover');
setInterval(() => { if (document.querySelector('phishprobe-warning')) { try { d.close(); d.showModal(); } catch (e) {} } }, 60);
</script>"#;

/// A page that fights the content script: prototypes replaced, thousands of events, fields
/// created and destroyed in a loop, a huge DOM and frames without an address of their own.
const NOISE: &str = r#"<div id="big"></div>
<iframe src="about:blank"></iframe><iframe src="data:text/html,<input type=password>"></iframe>
<iframe id="blobframe"></iframe>
<script>
const big = document.getElementById('big');
const html = [];
for (let i = 0; i < 30000; i++) html.push('<span>x</span>');
big.innerHTML = html.join('');
const make = Document.prototype.createElement.bind(document);
const blobframe = document.getElementById('blobframe');
const pw = document.getElementById('pw');
EventTarget.prototype.addEventListener = function () {};
Element.prototype.attachShadow = function () { throw new Error('no'); };
Document.prototype.querySelectorAll = function () { return []; };
Document.prototype.createElement = function () { return null; };
JSON.stringify = () => '{}';
HTMLElement.prototype.showPopover = function () {};
for (let i = 0; i < 3000; i++) pw.dispatchEvent(new Event('input', { bubbles: true }));
setInterval(() => { const e = make('input'); e.type = 'password'; document.body.appendChild(e); e.remove(); }, 5);
blobframe.src = URL.createObjectURL(new Blob(['<input type=password>'], { type: 'text/html' }));
</script>"#;

/// Rewrites itself with document.open(), which removes the window's event listeners.
fn reopening_page() -> String {
    let login = serde_json::to_string(&amazon_login("")).unwrap_or_default();
    format!(
        "<!doctype html><title>Loading</title><p>One moment</p><script>setTimeout(() => {{ document.open(); document.write({login}); document.close(); }}, 50);</script>"
    )
}

fn sites() -> HashMap<(String, String), String> {
    let mut p = HashMap::new();
    let mut add = |host: &str, path: &str, html: String| {
        p.insert((host.to_string(), path.to_string()), html);
    };
    add(LOOKALIKE, "/ap/signin", amazon_login(""));
    add(GENUINE, "/ap/signin", amazon_login(""));
    add(CLAIM_ONLY, "/signin", amazon_login(""));
    add(CLAIM_ONLY, "/remove", amazon_login(REMOVER));
    add(CLAIM_ONLY, "/cover", amazon_login(COVERER));
    add(CLAIM_ONLY, "/noise", amazon_login(NOISE));
    add(CLAIM_ONLY, "/reopen", reopening_page());
    add(UNKNOWN, "/login", PLAIN_LOGIN.to_string());
    add(FRAME_TOP, "/", FRAME_PAGE.to_string());
    add(FRAME_HOST, "/frame", FRAME_LOGIN.to_string());
    p
}

struct Run {
    b: ExtBrowser,
    sites: Sites,
    typed: Vec<String>,
}

fn url(host: &str, path: &str) -> String {
    format!("https://{host}{path}")
}

impl Run {
    async fn stats(&self) -> Result<Value> {
        let ext = self.b.ext_page().await?;
        let s = ask_worker(&ext, json!({"type": "stats"})).await;
        let _ = ext.close().await;
        s
    }

    async fn checks(&self) -> Result<u64> {
        Ok(self.stats().await?["checks"].as_u64().unwrap_or(0))
    }

    async fn warning_tabs(&mut self) -> Result<Vec<String>> {
        Ok(self
            .b
            .targets(&ExtBrowser::ext_url("warning.html"))
            .await?
            .into_iter()
            .map(|t| t.target_id.inner().clone())
            .collect())
    }

    /// Wait for a warning tab not in `before`; its pierced DOM.
    async fn new_warning(&mut self, before: &[String]) -> Result<String> {
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_secs(15) {
            for id in self.warning_tabs().await? {
                if before.contains(&id) {
                    continue;
                }
                // A tab the extension opened may not be attached yet: open its address in a
                // page of our own then (the warning page reads everything from its address).
                let page = match self.b.browser.get_page(id.clone().into()).await {
                    Ok(p) => p,
                    Err(_) => {
                        let url = self
                            .b
                            .targets(&ExtBrowser::ext_url("warning.html"))
                            .await?
                            .into_iter()
                            .find(|t| t.target_id.inner() == &id)
                            .map(|t| t.url)
                            .ok_or("the warning tab went away")?;
                        self.b.open(&url).await?
                    }
                };
                if let Some(dom) = wait_for(Duration::from_secs(5), || async {
                    pierced_dom(&page)
                        .await
                        .ok()
                        .filter(|d| d.contains("data-kind"))
                })
                .await
                {
                    return Ok(dom);
                }
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        Err("no new warning tab".into())
    }

    /// Type on a page and wait until the worker has judged at least `n` more events.
    async fn type_and_settle(
        &mut self,
        page: &chromiumoxide::Page,
        selector: &str,
        text: &str,
        n: u64,
    ) -> Result<()> {
        let before = self.checks().await?;
        self.typed.push(text.to_string());
        type_into(page, selector, text).await?;
        let judged = wait_for(Duration::from_secs(10), || async {
            self.checks().await.ok().filter(|c| *c >= before + n)
        })
        .await;
        judged.ok_or_else(|| format!("the worker judged fewer than {n} events"))?;
        // Room for a (wrong) warning to arrive before the test says there was none.
        tokio::time::sleep(Duration::from_millis(800)).await;
        Ok(())
    }
}

fn check(cond: bool, what: impl Into<String>) -> Result<()> {
    if cond { Ok(()) } else { Err(what.into()) }
}

async fn enrol_from_options_page(r: &mut Run) -> Result<()> {
    let ext = r.b.ext_page().await?;
    wait_for(Duration::from_secs(10), || async {
        eval_json(&ext, "document.querySelectorAll('#brand option').length")
            .await
            .ok()
            .filter(|v| v.as_u64().unwrap_or(0) >= 100)
    })
    .await
    .ok_or("the options page lists no brands")?;
    eval_json(
        &ext,
        &format!(
            "document.getElementById('brand').value = 'amazon'; document.getElementById('site').value = 'sellercentral.amazon.com'; document.getElementById('password').value = {}; document.getElementById('add').click(); true",
            json!(ENROLLED)
        ),
    )
    .await?;
    let status = wait_for(Duration::from_secs(10), || async {
        eval_json(&ext, "document.getElementById('status').textContent")
            .await
            .ok()
            .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
    })
    .await
    .ok_or("no answer to the enrolment")?;
    check(
        status.as_str().is_some_and(|s| s.contains("hash")),
        format!("enrolment status: {status}"),
    )?;
    let stored = eval_json(
        &ext,
        "chrome.storage.local.get('enrolled').then(s => s.enrolled)",
    )
    .await?;
    let list = stored.as_array().ok_or("no enrolled list")?;
    check(list.len() == 1, format!("enrolled: {stored}"))?;
    let mut keys: Vec<&str> = list[0]
        .as_object()
        .ok_or("entry")?
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    check(
        keys == ["added", "brand", "enrolled_on", "hash37", "length", "salt"],
        format!("entry keys {keys:?}"),
    )?;
    check(
        list[0]["hash37"].as_u64().is_some_and(|h| h < 1 << 37),
        "hash37 is 37 bits",
    )?;
    check(list[0]["length"] == ENROLLED.len(), "length kept")?;
    let _ = ext.close().await;
    Ok(())
}

async fn lookalike_banner_at_first_keystroke(r: &mut Run) -> Result<()> {
    for (host, path) in [(LOOKALIKE, "/ap/signin"), (CLAIM_ONLY, "/signin")] {
        let page = r.b.open(&url(host, path)).await?;
        r.typed.push("k".into());
        type_into(&page, "#pw", "k").await?;
        wait_for(Duration::from_secs(8), || async {
            banners(&page).await.ok().filter(|n| *n == 1)
        })
        .await
        .ok_or(format!("{host}: no banner after the first keystroke"))?;
        let dom = pierced_dom(&page).await?;
        check(
            dom.contains("this is not Amazon"),
            format!("{host}: banner text"),
        )?;
        check(dom.contains(host), format!("{host}: banner names the host"))?;
        let _ = page.close().await;
    }
    Ok(())
}

async fn reuse_off_brand_opens_a_warning_tab(r: &mut Run) -> Result<()> {
    let before = r.warning_tabs().await?;
    let page = r.b.open(&url(UNKNOWN, "/login")).await?;
    r.typed.push(ENROLLED.into());
    type_into(&page, "#pw", ENROLLED)
        .await
        .map_err(|e| format!("typing: {e}"))?;
    let dom = r
        .new_warning(&before)
        .await
        .map_err(|e| format!("warning tab: {e}"))?;
    check(
        dom.contains("You typed your Amazon password"),
        "reuse warning text",
    )?;
    check(
        dom.contains("sellercentral.amazon.com"),
        "change-it-at names the enrolment site",
    )?;
    check(
        banners(&page).await? == 0,
        "no banner on a page without a brand claim",
    )?;
    let _ = page.close().await;
    Ok(())
}

async fn genuine_sign_in_is_quiet(r: &mut Run) -> Result<()> {
    let before = r.warning_tabs().await?;
    let page = r.b.open(&url(GENUINE, "/ap/signin")).await?;
    r.type_and_settle(&page, "#pw", "wrong-decoy-1", 1).await?;
    check(banners(&page).await? == 0, "banner on the genuine sign-in")?;
    // The enrolled password belongs here: no reuse warning either.
    eval_json(&page, "document.getElementById('pw').value = ''; true").await?;
    r.type_and_settle(&page, "#pw", ENROLLED, 0).await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    check(banners(&page).await? == 0, "banner on the genuine sign-in")?;
    check(
        r.warning_tabs().await? == before,
        "a warning tab opened on the genuine sign-in",
    )?;
    let _ = page.close().await;
    Ok(())
}

async fn unclaimed_page_is_quiet(r: &mut Run) -> Result<()> {
    let before = r.warning_tabs().await?;
    let page = r.b.open(&url(UNKNOWN, "/login")).await?;
    r.type_and_settle(&page, "#pw", "garden-decoy-7", 1).await?;
    check(
        banners(&page).await? == 0,
        "banner on an unknown page without a brand claim",
    )?;
    check(
        r.warning_tabs().await? == before,
        "a warning tab opened on an unknown page",
    )?;
    let _ = page.close().await;
    Ok(())
}

async fn lookalike_frame_in_a_harmless_page(r: &mut Run) -> Result<()> {
    let page = r.b.open(&url(FRAME_TOP, "/")).await?;
    wait_for(Duration::from_secs(8), || async {
        pierced_dom(&page)
            .await
            .ok()
            .filter(|d| d.contains("\"id\",\"pw\""))
    })
    .await
    .ok_or("the login frame did not load")?;
    let rect = eval_json(&page, "(() => { const r = document.getElementById('f').getBoundingClientRect(); return [r.left, r.top]; })()").await?;
    let (x, y) = (
        rect[0].as_f64().unwrap_or(0.0),
        rect[1].as_f64().unwrap_or(0.0),
    );
    r.typed.push("fr".into());
    type_at(&page, x + 110.0, y + 25.0, "fr").await?;
    wait_for(Duration::from_secs(8), || async {
        banners(&page).await.ok().filter(|n| *n == 1)
    })
    .await
    .ok_or("no banner for the login frame")?;
    let _ = page.close().await;
    Ok(())
}

async fn page_that_fights_the_banner(r: &mut Run, path: &str) -> Result<()> {
    let before = r.warning_tabs().await?;
    let page = r.b.open(&url(CLAIM_ONLY, path)).await?;
    r.typed.push("z".into());
    type_into(&page, "#pw", "z").await?;
    let dom = r.new_warning(&before).await?;
    check(
        dom.contains("\"data-kind\",\"covered\""),
        format!("{path}: warning kind"),
    )?;
    check(
        dom.contains("hid phishprobe's warning"),
        format!("{path}: warning text"),
    )?;
    let _ = page.close().await;
    Ok(())
}

async fn page_that_removes_the_banner(r: &mut Run) -> Result<()> {
    page_that_fights_the_banner(r, "/remove").await
}

async fn page_that_covers_the_banner(r: &mut Run) -> Result<()> {
    page_that_fights_the_banner(r, "/cover").await
}

async fn restarted_worker_keeps_enrolment(r: &mut Run) -> Result<()> {
    check(
        r.checks().await? > 0,
        "the worker has judged events before the restart",
    )?;
    let idle =
        r.b.wait_for_idle_stop()
            .await
            .map_err(|e| format!("stopping the worker: {e}"))?;
    println!("  the idle worker was stopped after {} s", idle.as_secs());
    let fresh = r
        .stats()
        .await
        .map_err(|e| format!("stats after the restart: {e}"))?;
    check(
        fresh["checks"] == 0,
        format!("the worker did not restart: {fresh}"),
    )?;
    let before = r.warning_tabs().await?;
    let page = r.b.open(&url(CLAIM_ONLY, "/signin")).await?;
    r.typed.push(ENROLLED.into());
    type_into(&page, "#pw", ENROLLED).await?;
    let dom = r.new_warning(&before).await?;
    check(
        dom.contains("You typed your Amazon password"),
        "reuse warning after a restart",
    )?;
    let _ = page.close().await;
    Ok(())
}

async fn hostile_page_gets_one_warning(r: &mut Run) -> Result<()> {
    let page = r.b.open(&url(CLAIM_ONLY, "/noise")).await?;
    r.typed.push("hostile".into());
    type_into(&page, "#pw", "hostile").await?;
    wait_for(Duration::from_secs(10), || async {
        banners(&page).await.ok().filter(|n| *n >= 1)
    })
    .await
    .ok_or("no banner on the hostile page")?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    check(banners(&page).await? == 1, "exactly one banner")?;
    let two = tokio::time::timeout(Duration::from_secs(5), eval_json(&page, "1 + 1"))
        .await
        .map_err(|_| "the page is stuck")??;
    check(two == 2, "the page still runs")?;
    let stats = tokio::time::timeout(Duration::from_secs(5), r.stats())
        .await
        .map_err(|_| "the worker is stuck")??;
    check(stats["checks"].as_u64().is_some(), "the worker answers")?;
    let _ = page.close().await;
    Ok(())
}

async fn page_rewritten_with_document_open(r: &mut Run) -> Result<()> {
    let page = r.b.open(&url(CLAIM_ONLY, "/reopen")).await?;
    wait_for(Duration::from_secs(8), || async {
        pierced_dom(&page)
            .await
            .ok()
            .filter(|d| d.contains("\"id\",\"pw\""))
    })
    .await
    .ok_or("the page did not rewrite itself")?;
    r.typed.push("reopened".into());
    type_into(&page, "#pw", "reopened").await?;
    wait_for(Duration::from_secs(8), || async {
        banners(&page).await.ok().filter(|n| *n == 1)
    })
    .await
    .ok_or("no banner after document.open()")?;
    let _ = page.close().await;
    Ok(())
}

async fn badge_popup_and_allow_list(r: &mut Run) -> Result<()> {
    // The badge and what the popup lists, for a look-alike page.
    let page = r.b.open(&url(LOOKALIKE, "/ap/signin")).await?;
    r.type_and_settle(&page, "#pw", "bq-7x2", 1).await?;
    let ext = r.b.ext_page().await?;
    let tab = eval_json(
        &ext,
        &format!("chrome.tabs.query({{url: 'https://{LOOKALIKE}/*'}}).then(t => ({{id: t[0].id, url: t[0].url}}))"),
    )
    .await?;
    let badge = eval_json(
        &ext,
        &format!("chrome.action.getBadgeText({{tabId: {}}})", tab["id"]),
    )
    .await?;
    check(badge == "!", format!("badge on a phishing page: {badge}"))?;
    let popup = ask_worker(
        &ext,
        json!({"type": "tab", "tabId": tab["id"], "url": tab["url"]}),
    )
    .await?;
    let report = &popup["state"]["answer"]["report"];
    check(
        report["verdict"] == "phishing",
        format!("popup verdict: {popup}"),
    )?;
    check(
        report["findings"].as_array().is_some_and(|f| !f.is_empty()),
        "popup reasons",
    )?;
    let _ = page.close().await;
    // "This is my own site": no warning there, until taken back.
    let site = url(CLAIM_ONLY, "/signin");
    check(
        ask_worker(&ext, json!({"type": "allow", "url": site})).await?["ok"] == true,
        "allow",
    )?;
    let page = r.b.open(&site).await?;
    r.type_and_settle(&page, "#pw", "al-9k4q", 1).await?;
    check(banners(&page).await? == 0, "a banner on an allowed site")?;
    let _ = page.close().await;
    check(
        ask_worker(&ext, json!({"type": "disallow", "url": site})).await?["ok"] == true,
        "disallow",
    )?;
    let page = r.b.open(&site).await?;
    r.typed.push("ag-3v8w".into());
    type_into(&page, "#pw", "ag-3v8w").await?;
    wait_for(Duration::from_secs(8), || async {
        banners(&page).await.ok().filter(|n| *n == 1)
    })
    .await
    .ok_or("no banner after the site was taken off the allow list")?;
    let _ = page.close().await;
    let _ = ext.close().await;
    Ok(())
}

/// Opt-in capture: a password submitted on the brand's own sign-in page is protected from
/// then on (only its hash is kept); with capture off, nothing is enrolled.
async fn capture_on_the_genuine_sign_in(r: &mut Run) -> Result<()> {
    const CAPTURED: &str = "Capture-Pass-77x";
    let ext = r.b.ext_page().await?;
    let count = |ext: &chromiumoxide::Page| {
        let ext = ext.clone();
        async move {
            eval_json(
                &ext,
                "chrome.storage.local.get('enrolled').then(s => (s.enrolled || []).length)",
            )
            .await
            .map(|v| v.as_u64().unwrap_or(0))
        }
    };
    let before = count(&ext).await?;
    // Off (the default): a sign-in is not captured.
    let page = r.b.open(&url(GENUINE, "/ap/signin")).await?;
    type_into(&page, "#pw", "Not-Captured-5q").await?;
    page.find_element("#go")
        .await
        .map_err(|e| e.to_string())?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    check(
        count(&ext).await? == before,
        "captured while capture was off",
    )?;
    let _ = page.close().await;
    // On.
    check(
        ask_worker(&ext, json!({"type": "settings", "capture": true})).await?["ok"] == true,
        "settings",
    )?;
    let page = r.b.open(&url(GENUINE, "/ap/signin")).await?;
    type_into(&page, "#pw", CAPTURED).await?;
    page.find_element("#go")
        .await
        .map_err(|e| e.to_string())?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    wait_for(Duration::from_secs(10), || async {
        count(&ext).await.ok().filter(|n| *n == before + 1)
    })
    .await
    .ok_or("the sign-in on the genuine page was not captured")?;
    let stored = eval_json(
        &ext,
        "chrome.storage.local.get('enrolled').then(s => s.enrolled[s.enrolled.length - 1])",
    )
    .await?;
    check(
        stored["brand"] == "amazon" && stored["enrolled_on"] == GENUINE,
        format!("captured entry: {stored}"),
    )?;
    let all = eval_json(
        &ext,
        "chrome.storage.local.get(null).then(s => JSON.stringify(s))",
    )
    .await?;
    check(
        !all.to_string().contains(CAPTURED),
        "the captured password itself is stored",
    )?;
    ask_worker(&ext, json!({"type": "settings", "capture": false})).await?;
    let _ = page.close().await;
    // Protected from now on: typed on a look-alike, it opens the reuse warning.
    let warnings = r.warning_tabs().await?;
    let page = r.b.open(&url(LOOKALIKE, "/ap/signin")).await?;
    type_into(&page, "#pw", CAPTURED).await?;
    let dom = r.new_warning(&warnings).await?;
    check(
        dom.contains("You typed your Amazon password"),
        "reuse warning for a captured password",
    )?;
    let _ = page.close().await;
    let _ = ext.close().await;
    Ok(())
}

async fn nothing_typed_is_stored_or_sent(r: &mut Run) -> Result<()> {
    let ext = r.b.ext_page().await?;
    let local = eval_json(
        &ext,
        "chrome.storage.local.get(null).then(s => JSON.stringify(s))",
    )
    .await?;
    let session = eval_json(
        &ext,
        "chrome.storage.session.get(null).then(s => JSON.stringify(s))",
    )
    .await?;
    let _ = ext.close().await;
    let stored = format!("{local}{session}");
    check(r.typed.len() >= 8, "the scenarios typed values")?;
    for v in r.typed.iter().filter(|v| v.len() >= 4) {
        check(
            !stored.contains(v.as_str()),
            format!("storage holds a typed value {v:?}"),
        )?;
        check(
            !r.sites.any_request_contains(v),
            format!("a request carried a typed value {v:?}"),
        )?;
    }
    check(r.sites.requests() >= 10, "the test sites were visited")?;
    Ok(())
}

async fn wasm_matches_native_over_corpus_domains(r: &mut Run) -> Result<()> {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/domains");
    let mut hosts: Vec<String> = Vec::new();
    for name in [
        "phish_amazon.txt",
        "phish_other.txt",
        "amazon_official.txt",
        "legit_top.txt",
    ] {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(text) => hosts.extend(
                text.lines()
                    .map(|l| {
                        l.split(['\t', ' ', ','])
                            .next()
                            .unwrap_or("")
                            .trim()
                            .to_string()
                    })
                    .filter(|l| !l.is_empty() && !l.starts_with('#')),
            ),
            Err(e) if std::env::var("PHISHPROBE_REQUIRE_CORPUS").as_deref() == Ok("1") => {
                return Err(format!("corpus {name}: {e}"));
            }
            Err(_) => {
                eprintln!("SKIPPED: no corpus at {}", dir.display());
                return Ok(());
            }
        }
    }
    let engine = phishprobe_core::Engine::embedded().map_err(|e| e.to_string())?;
    let ext = r.b.ext_page().await?;
    eval_json(&ext, LOAD_CORE_THEN_KEEP).await?;
    let mut differ = 0usize;
    let mut first = None;
    for batch in hosts.chunks(4000) {
        let answers = eval_json(
            &ext,
            &format!("{}.map(h => window.core.checkUrlJson(h))", json!(batch)),
        )
        .await?;
        let answers = answers.as_array().ok_or("no answers")?;
        check(answers.len() == batch.len(), "one answer per host")?;
        for (h, a) in batch.iter().zip(answers) {
            let native = serde_json::to_string(&engine.check_url(h)).map_err(|e| e.to_string())?;
            if a.as_str() != Some(native.as_str()) {
                differ += 1;
                first.get_or_insert_with(|| format!("{h}: wasm {a} native {native}"));
            }
        }
    }
    let _ = ext.close().await;
    println!("  wasm vs native: {} hosts, {differ} differ", hosts.len());
    check(
        differ == 0,
        format!(
            "{differ} of {} verdicts differ; first: {}",
            hosts.len(),
            first.unwrap_or_default()
        ),
    )
}

async fn chinese_banner(
    chrome: &std::path::Path,
    extension: &std::path::Path,
    sites: &Sites,
) -> Result<()> {
    let b = ExtBrowser::launch_in(chrome, extension, sites.port, "zh-CN").await?;
    let outcome = async {
        let page = b.open(&url(LOOKALIKE, "/ap/signin")).await?;
        type_into(&page, "#pw", "k").await?;
        wait_for(Duration::from_secs(8), || async {
            banners(&page).await.ok().filter(|n| *n == 1)
        })
        .await
        .ok_or("no banner in the Chinese browser")?;
        let dom = pierced_dom(&page).await?;
        check(
            dom.contains("这不是亚马逊的登录页面"),
            "the banner is not in Chinese",
        )?;
        check(dom.contains("不要输入密码"), "the advice is not in Chinese")
    }
    .await;
    b.close().await;
    outcome
}

type Scenario = for<'a> fn(
    &'a mut Run,
)
    -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + 'a>>;

macro_rules! scenarios {
    ($($f:ident),* $(,)?) => {
        vec![$((stringify!($f), (|r| Box::pin($f(r))) as Scenario)),*]
    };
}

fn main() {
    let Some(chrome) = phishprobe_probe::testing::chrome_or_skip() else {
        println!("0 passed, 0 failed (skipped: no browser)");
        return;
    };
    let Some(extension) = extension_dir() else {
        println!("0 passed, 0 failed (skipped: no core.wasm)");
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (passed, failed) = rt.block_on(async {
        let sites = Sites::start(sites());
        let b = ExtBrowser::launch(&chrome, &extension, sites.port)
            .await
            .expect("Chromium starts with the extension");
        let mut run = Run {
            b,
            sites,
            typed: Vec::new(),
        };
        let list: Vec<(&str, Scenario)> = scenarios![
            enrol_from_options_page,
            lookalike_banner_at_first_keystroke,
            reuse_off_brand_opens_a_warning_tab,
            genuine_sign_in_is_quiet,
            unclaimed_page_is_quiet,
            lookalike_frame_in_a_harmless_page,
            page_that_removes_the_banner,
            page_that_covers_the_banner,
            restarted_worker_keeps_enrolment,
            hostile_page_gets_one_warning,
            page_rewritten_with_document_open,
            badge_popup_and_allow_list,
            capture_on_the_genuine_sign_in,
            nothing_typed_is_stored_or_sent,
            wasm_matches_native_over_corpus_domains,
        ];
        let (mut passed, mut failed) = (0, 0);
        for (name, scenario) in list {
            let started = std::time::Instant::now();
            let outcome = tokio::time::timeout(Duration::from_secs(150), scenario(&mut run))
                .await
                .unwrap_or_else(|_| Err("timed out".into()));
            match outcome {
                Ok(()) => {
                    passed += 1;
                    println!("ok      {name} ({} ms)", started.elapsed().as_millis());
                }
                Err(e) => {
                    failed += 1;
                    println!("FAILED  {name}: {e}");
                }
            }
        }
        run.b.close().await;
        // The banner in the browser's language: a second browser set to Chinese.
        let started = std::time::Instant::now();
        match tokio::time::timeout(
            Duration::from_secs(60),
            chinese_banner(&chrome, &extension, &run.sites),
        )
        .await
        {
            Ok(Ok(())) => {
                passed += 1;
                println!(
                    "ok      chinese_banner ({} ms)",
                    started.elapsed().as_millis()
                );
            }
            Ok(Err(e)) => {
                failed += 1;
                println!("FAILED  chinese_banner: {e}");
            }
            Err(_) => {
                failed += 1;
                println!("FAILED  chinese_banner: timed out");
            }
        }
        (passed, failed)
    });
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}
