//! Loading and reading pages: the probe's own page in its browser context, navigation, waiting
//! for the page to settle, reading every frame from an isolated script world, and the step
//! record (with a screenshot when evidence is asked for).

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use base64::Engine as _;
use chromiumoxide::cdp::browser_protocol::browser::{
    PermissionDescriptor, PermissionSetting, SetDownloadBehaviorBehavior,
    SetDownloadBehaviorParams, SetPermissionParams,
};
use chromiumoxide::cdp::browser_protocol::emulation::{
    SetUserAgentOverrideParams, UserAgentBrandVersion, UserAgentMetadata,
};
use chromiumoxide::cdp::browser_protocol::page::{
    AddScriptToEvaluateOnNewDocumentParams, CaptureScreenshotFormat, CaptureScreenshotParams,
    CreateIsolatedWorldParams, FrameId, FrameTree, GetFrameTreeParams, NavigateParams,
};
use chromiumoxide::cdp::browser_protocol::target::{
    CloseTargetParams, CreateTargetParams, EventTargetCreated,
};
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use futures::{FutureExt, StreamExt};
use serde_json::Value;

use super::driver::{ChromeDriver, FramedPage};
use super::netlog::{lock, spawn_collector};
use crate::classify::Scan;
use crate::flow::excerpt;
use crate::model::{ProbeResult, Step};
use crate::phrases::{PHRASES, PageScanWords};

/// The page-reading script, run in an isolated world (page scripts cannot see or patch it),
/// with its word lists (`data/probe/phrases.toml` `[page_scan]`) put in as a JSON object for
/// [`SCAN_WORDS`].
static SCAN_JS: LazyLock<String> = LazyLock::new(|| scan_js(&PHRASES.page_scan));
/// Where `scan.js` takes its word lists.
const SCAN_WORDS: &str = "__PHISHPROBE_PAGE_SCAN__";
/// Window-size fix injected before page scripts (see the file for why).
const WINDOW_JS: &str = include_str!("window.js");
/// Most frames read per page (ads and trackers add many; the login is in the first few).
const MAX_FRAMES: usize = 8;

impl ChromeDriver<'_> {
    /// Open a page in the probe's own context, with downloads and permission prompts denied.
    pub(super) async fn open(&mut self) -> Result<(), String> {
        let b = &self.prober.browser;
        let _ = b
            .execute(SetDownloadBehaviorParams {
                behavior: SetDownloadBehaviorBehavior::Deny,
                browser_context_id: Some(self.ctx.clone()),
                download_path: None,
                events_enabled: None,
            })
            .await;
        for name in [
            "geolocation",
            "notifications",
            "camera",
            "microphone",
            "clipboard-read",
            "midi",
            "local-fonts",
            "window-management",
        ] {
            let _ = b
                .execute(SetPermissionParams {
                    permission: PermissionDescriptor {
                        name: name.to_string(),
                        sysex: None,
                        user_visible_only: None,
                        allow_without_sanitization: None,
                        allow_without_gesture: None,
                        pan_tilt_zoom: None,
                    },
                    setting: PermissionSetting::Denied,
                    origin: None,
                    embedded_origin: None,
                    browser_context_id: Some(self.ctx.clone()),
                })
                .await;
        }
        self.targets = b.event_listener::<EventTargetCreated>().await.ok();
        let mut params = CreateTargetParams::new("about:blank");
        params.browser_context_id = Some(self.ctx.clone());
        // An ordinary desktop window from the first script on: kits read outerWidth/Height.
        params.width = Some(1366);
        params.height = Some(768);
        let page = b.new_page(params).await.map_err(|e| e.to_string())?;
        self.target_id = Some(page.target_id().clone());
        self.page = Some(page.clone());
        // Registered before the first navigation, so it precedes every page script.
        page.execute(AddScriptToEvaluateOnNewDocumentParams {
            source: WINDOW_JS.to_string(),
            world_name: None,
            include_command_line_api: None,
            run_immediately: None,
        })
        .await
        .map_err(|e| format!("preparing the page: {e}"))?;

        let ua = &self.prober.user_agent;
        if !ua.is_empty() {
            let major = self.prober.major.clone();
            let meta = UserAgentMetadata::builder()
                .brand(UserAgentBrandVersion::new("Chromium", major.clone()))
                .brand(UserAgentBrandVersion::new("Not_A Brand", "24"))
                .platform("Linux")
                .platform_version("")
                .architecture("x86")
                .model("")
                .mobile(false)
                .bitness("64")
                .build()
                .ok();
            let _ = page
                .execute(SetUserAgentOverrideParams {
                    user_agent: ua.clone(),
                    accept_language: Some("en-US,en;q=0.9".into()),
                    platform: Some("Linux x86_64".into()),
                    user_agent_metadata: meta,
                })
                .await;
        }
        self.main_frame = page.mainframe().await.ok().flatten();
        {
            let mut l = lock(&self.log);
            l.main_frame = self.main_frame.as_ref().map(|f| f.as_ref().to_string());
        }
        self.collector = Some(spawn_collector(&page, self.log.clone()).await?);
        Ok(())
    }

    /// Close pop-ups (new pages opened by the probed page) as they appear.
    pub(super) async fn close_popups(&mut self) {
        let mut closed = Vec::new();
        if let Some(stream) = self.targets.as_mut() {
            while let Some(Some(ev)) = stream.next().now_or_never() {
                let info = &ev.target_info;
                let ours = info.browser_context_id.as_ref() == Some(&self.ctx);
                if ours && info.r#type == "page" && Some(&info.target_id) != self.target_id.as_ref()
                {
                    closed.push((info.target_id.clone(), info.url.clone()));
                }
            }
        }
        for (id, url) in closed {
            let _ = tokio::time::timeout(
                Duration::from_secs(3),
                self.prober.browser.execute(CloseTargetParams::new(id)),
            )
            .await;
            if self.popups_closed.len() < 20 {
                self.popups_closed.push(url);
            }
        }
    }

    /// Load `url` in the top frame. The landing page goes through `Page.navigate`, whose answer
    /// names network errors. chromiumoxide queues a later `Page.navigate` until the previous one
    /// saw its load event, which a page with a stuck frame or tracker never fires; so later
    /// navigations (the "Sign in" link) are made by script, and answered by the commit.
    pub(super) async fn navigate(&mut self, url: &str, first: bool) -> Result<(), String> {
        let page = self.page.clone().ok_or("no page")?;
        let cap = self.opts.step_timeout;
        // Only a top-frame download or commit seen after this navigation started answers it.
        let (seen_before, commits_before) = {
            let l = lock(&self.log);
            (l.downloads.len(), l.main_commits)
        };
        if !first {
            let frame = self.main_frame.clone().ok_or("no top frame")?;
            let target = serde_json::to_string(url).map_err(|e| e.to_string())?;
            self.eval(&frame, &format!("(location.href = {target}, 0)"))
                .await?;
        }
        let owned = url.to_string();
        let nav = async move {
            if first {
                Some(page.execute(NavigateParams::new(owned)).await)
            } else {
                futures::future::pending::<()>().await;
                None
            }
        };
        tokio::pin!(nav);
        let deadline = tokio::time::sleep(cap);
        tokio::pin!(deadline);
        let answer = loop {
            tokio::select! {
                r = &mut nav => break r,
                _ = &mut deadline => {
                    return Err(format!("the page did not answer within {} s", cap.as_secs()));
                }
                // A denied download never becomes a page: say so as soon as its headers are in.
                _ = tokio::time::sleep(Duration::from_millis(100)) => {
                    let top_download = lock(&self.log)
                        .downloads
                        .iter()
                        .skip(seen_before)
                        .find(|(top, _)| *top)
                        .map(|(_, u)| u.clone());
                    if let Some(d) = top_download {
                        return Err(format!("the address starts a file download (denied): {d}"));
                    }
                    // The page is there once the top document committed: the load event can
                    // wait forever on a stuck frame, image or tracker (`settle` takes over). An
                    // error page is left to the navigation's own answer, which names the error.
                    let l = lock(&self.log);
                    if l.main_commits > commits_before {
                        if !l.main_error {
                            return Ok(());
                        }
                        if !first {
                            return Err("the page did not load (error page)".into());
                        }
                    }
                }
            }
        };
        match answer {
            None => Err("the page did not load".into()),
            Some(Ok(r)) => {
                if r.result.is_download == Some(true) {
                    return Err("the address starts a file download (denied)".into());
                }
                match &r.result.error_text {
                    Some(e) if !e.is_empty() => {
                        if e.contains("ERR_ABORTED") {
                            Err(format!(
                                "the page did not load ({e}; a download or a cancelled navigation)"
                            ))
                        } else {
                            Err(format!("the page did not load ({e})"))
                        }
                    }
                    _ => Ok(()),
                }
            }
            Some(Err(e)) => Err(format!("the page did not load ({e})")),
        }
    }

    /// Wait until the page is quiet: same URL, text and password state for `quiet`, document
    /// complete and no document/XHR/fetch in flight; at most `cap`, and never less than `min`.
    pub(super) async fn settle(&mut self, cap: Duration, min: Duration) -> bool {
        let start = Instant::now();
        let quiet = self.opts.quiet;
        let mut last: Option<Value> = None;
        let mut last_change = Instant::now();
        loop {
            self.close_popups().await;
            let now = Instant::now();
            if now.duration_since(start) >= cap {
                return false;
            }
            let state = match self.main_frame.clone() {
                Some(f) => self.eval(&f, "__pp.state()").await.ok(),
                None => None,
            };
            let top = lock(&self.log).top_url();
            let snapshot = state.map(|mut s| {
                if let Some(o) = s.as_object_mut() {
                    o.insert("top".into(), Value::from(top.unwrap_or_default()));
                }
                s
            });
            if snapshot.is_none() || snapshot != last {
                last = snapshot.clone();
                last_change = Instant::now();
            }
            let ready = snapshot
                .as_ref()
                .and_then(|s| s.get("ready"))
                .and_then(Value::as_str);
            let inflight = lock(&self.log).inflight(Instant::now());
            let now = Instant::now();
            // A parsed document whose load event never comes (a stuck frame or tracker) counts
            // as settled after twice the quiet time.
            let calm = match ready {
                Some("complete") => now.duration_since(last_change) >= quiet,
                Some("interactive") => now.duration_since(last_change) >= quiet * 2,
                _ => false,
            };
            if now.duration_since(start) >= min && calm && inflight == 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(super) async fn frame_ids(&self) -> Vec<FrameId> {
        let Some(page) = &self.page else {
            return Vec::new();
        };
        let tree = match tokio::time::timeout(
            Duration::from_secs(3),
            page.execute(GetFrameTreeParams::default()),
        )
        .await
        {
            Ok(Ok(t)) => t.result.frame_tree.clone(),
            _ => return self.main_frame.iter().cloned().collect(),
        };
        let mut out = Vec::new();
        let mut stack: Vec<FrameTree> = vec![tree];
        while let Some(t) = stack.pop() {
            if out.len() >= MAX_FRAMES {
                break;
            }
            out.push(t.frame.id.clone());
            if let Some(children) = t.child_frames {
                stack.extend(children.into_iter().rev());
            }
        }
        out
    }

    /// Read every frame (bounded) and pick the one with the login prompt.
    pub(super) async fn read(&mut self) -> FramedPage {
        let ids = self.frame_ids().await;
        let mut frames = Vec::new();
        for id in ids {
            if let Ok(v) = self.eval(&id, "__pp.scan()").await
                && let Ok(s) = serde_json::from_value::<Scan>(v)
            {
                frames.push((id, s));
            }
        }
        let form = frames
            .iter()
            .position(|(_, s)| s.has_password())
            .or_else(|| {
                frames
                    .iter()
                    .position(|(_, s)| s.has_ident() && !s.submit.is_empty())
            })
            .unwrap_or(0);
        let mut merged = frames.get(form).map(|(_, s)| s.clone()).unwrap_or_default();
        let mut text = String::new();
        for (i, (_, s)) in frames.iter().enumerate() {
            if i > 0 {
                merged.card += s.card;
                merged.otp += s.otp;
                merged.personal += s.personal;
                merged.captcha |= s.captcha;
                merged.logos.extend(s.logos.iter().cloned());
            }
            if text.len() < 40_000 {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&s.text);
            }
        }
        if form != 0
            && let Some((_, main)) = frames.first()
        {
            merged.card += main.card;
            merged.otp += main.otp;
            merged.personal += main.personal;
            merged.captcha |= main.captcha;
            merged.logos.extend(main.logos.iter().cloned());
            merged.title = main.title.clone();
        }
        merged.text = text;
        if let Some(top) = lock(&self.log).top_url() {
            merged.url = top;
        } else if let Some((_, main)) = frames.first() {
            merged.url = main.url.clone();
        }
        FramedPage {
            frames,
            form,
            merged,
        }
    }

    /// Evaluate `call` in the frame's isolated world (created on demand, recreated after a
    /// navigation replaced the document). Returns the JSON value.
    pub(super) async fn eval(&mut self, frame: &FrameId, call: &str) -> Result<Value, String> {
        let page = self.page.clone().ok_or("no page")?;
        let key = frame.as_ref().to_string();
        for _ in 0..2 {
            let ctx = match self.worlds.get(&key) {
                Some(c) => *c,
                None => {
                    let p = CreateIsolatedWorldParams {
                        frame_id: frame.clone(),
                        world_name: Some("phishprobe".into()),
                        grant_univeral_access: Some(false),
                    };
                    let r = tokio::time::timeout(Duration::from_secs(3), page.execute(p))
                        .await
                        .map_err(|_| "isolated world: timed out".to_string())?
                        .map_err(|e| format!("isolated world: {e}"))?;
                    let c = r.result.execution_context_id;
                    self.worlds.insert(key.clone(), c);
                    c
                }
            };
            let expr = format!("{}\n;JSON.stringify({call})", *SCAN_JS);
            let mut p = EvaluateParams::new(expr);
            p.context_id = Some(ctx);
            p.return_by_value = Some(true);
            p.await_promise = Some(false);
            p.silent = Some(true);
            match tokio::time::timeout(Duration::from_secs(4), page.execute(p)).await {
                Err(_) => return Err("script timed out".into()),
                Ok(Err(e)) => {
                    let msg = e.to_string();
                    if msg.contains("context") || msg.contains("Context") {
                        self.worlds.remove(&key);
                        continue;
                    }
                    return Err(msg);
                }
                Ok(Ok(r)) => {
                    if let Some(ex) = &r.result.exception_details {
                        let text = ex
                            .exception
                            .as_ref()
                            .and_then(|o| o.description.clone())
                            .unwrap_or_else(|| ex.text.clone());
                        return Err(text.chars().take(300).collect());
                    }
                    let s = r
                        .result
                        .result
                        .value
                        .as_ref()
                        .and_then(Value::as_str)
                        .unwrap_or("null");
                    return serde_json::from_str(s).map_err(|e| e.to_string());
                }
            }
        }
        Err("the page's script context went away".into())
    }

    /// Record a step, with a screenshot when an evidence folder was given.
    pub(super) async fn step(&mut self, res: &mut ProbeResult, name: &str, fresh: &str) {
        self.step_no += 1;
        let mut shot = None;
        if let (Some(dir), Some(page)) = (self.opts.evidence_dir.clone(), self.page.clone()) {
            let params = CaptureScreenshotParams {
                format: Some(CaptureScreenshotFormat::Png),
                ..Default::default()
            };
            match tokio::time::timeout(Duration::from_secs(5), page.execute(params)).await {
                Ok(Ok(r)) => {
                    let data: &str = r.result.data.as_ref();
                    match base64::engine::general_purpose::STANDARD.decode(data) {
                        Ok(png) => {
                            let path = dir.join(format!("{:02}-{}.png", self.step_no, slug(name)));
                            match std::fs::create_dir_all(&dir)
                                .and_then(|_| std::fs::write(&path, png))
                            {
                                Ok(()) => shot = Some(path),
                                Err(e) => {
                                    res.errors.push(format!("writing {}: {e}", path.display()))
                                }
                            }
                        }
                        Err(e) => res.errors.push(format!("screenshot: {e}")),
                    }
                }
                Ok(Err(e)) => res.errors.push(format!("screenshot: {e}")),
                Err(_) => res.errors.push("screenshot: timed out".into()),
            }
        }
        let url = lock(&self.log)
            .top_url()
            .unwrap_or_else(|| self.view.merged.url.clone());
        if res.steps.len() < 20 {
            res.steps.push(Step {
                name: name.to_string(),
                url,
                screenshot: shot,
                visible_text_excerpt: excerpt(&self.view.merged.text, 600),
                new_text_excerpt: excerpt(fresh, 400),
            });
        }
    }
}

/// `scan.js` with `words` in place of [`SCAN_WORDS`].
fn scan_js(words: &PageScanWords) -> String {
    let json = serde_json::to_string(words).expect("word lists serialise");
    include_str!("scan.js").replacen(SCAN_WORDS, &json, 1)
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(40)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_reader_gets_its_word_lists() {
        let raw = include_str!("scan.js");
        assert_eq!(
            raw.matches(SCAN_WORDS).count(),
            1,
            "scan.js names its lists once"
        );
        let js = scan_js(&PHRASES.page_scan);
        assert!(!js.contains(SCAN_WORDS));
        let json = serde_json::to_string(&PHRASES.page_scan).unwrap();
        assert!(js.contains(&format!("const WORDS = {json};")), "{js}");
        // The lists as JSON: what the script reads back is what the file says.
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back["card_field"].as_array().unwrap().last().unwrap(),
            r"mm\s*\/\s*yy"
        );
        assert_eq!(back["signin_link"][0], r"sign\s?in");
    }
}
