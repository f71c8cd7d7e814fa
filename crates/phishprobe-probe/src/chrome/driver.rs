//! The browser's side of the probe flow ([`crate::flow::Driver`]): one probe in progress in its
//! own browser context, what it filled and where, and the evidence it collected.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chromiumoxide::Page;
use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use chromiumoxide::cdp::browser_protocol::network::{GetRequestPostDataParams, RequestId};
use chromiumoxide::cdp::browser_protocol::page::FrameId;
use chromiumoxide::cdp::browser_protocol::target::{
    CloseTargetParams, EventTargetCreated, TargetId,
};
use chromiumoxide::cdp::js_protocol::runtime::ExecutionContextId;
use url::Url;

use super::Prober;
use super::netlog::{NetLog, lock};
use crate::classify::{self, Scan, SubmitFacts};
use crate::decoy;
use crate::flow::{Driver, Prompt};
use crate::model::{BrandMaterial, CapturedRequest, Decoy, ProbeOptions, ProbeResult};
use crate::safety;

/// The browser driver of one probe: its page and context, the page as last read, and what the
/// page did on the network.
pub(super) struct ChromeDriver<'a> {
    pub(super) prober: &'a Prober,
    pub(super) ctx: BrowserContextId,
    pub(super) opts: &'a ProbeOptions,
    pub(super) page: Option<Page>,
    pub(super) target_id: Option<TargetId>,
    pub(super) main_frame: Option<FrameId>,
    pub(super) worlds: HashMap<String, ExecutionContextId>,
    pub(super) log: Arc<Mutex<NetLog>>,
    pub(super) collector: Option<tokio::task::JoinHandle<()>>,
    pub(super) targets: Option<chromiumoxide::listeners::EventStream<EventTargetCreated>>,
    pub(super) step_no: usize,
    pub(super) popups_closed: Vec<String>,
    /// The page as last read.
    pub(super) view: FramedPage,
    /// The landing page (or the sign-in link's page) settled within the step cap.
    settled: bool,
    /// What [`Driver::fill`] filled, for [`Driver::submit`].
    filled: Option<Filled>,
}

/// A page as read from all its frames; `form` is the frame holding the login prompt.
#[derive(Debug, Clone, Default)]
pub(super) struct FramedPage {
    pub(super) frames: Vec<(FrameId, Scan)>,
    pub(super) form: usize,
    /// Fields and buttons of the form frame; text, flags and logos of all frames; top URL.
    pub(super) merged: Scan,
}

impl FramedPage {
    /// The frame holding the login prompt.
    pub(super) fn form_frame(&self) -> Option<&FrameId> {
        self.frames.get(self.form).map(|(f, _)| f)
    }
}

/// The prompt that was filled: its frame, its scan, and the top page's address before submit.
struct Filled {
    frame: FrameId,
    form: Scan,
    before_top: String,
}

impl<'a> ChromeDriver<'a> {
    pub(super) fn new(prober: &'a Prober, ctx: BrowserContextId, opts: &'a ProbeOptions) -> Self {
        ChromeDriver {
            prober,
            ctx,
            opts,
            page: None,
            target_id: None,
            main_frame: None,
            worlds: HashMap::new(),
            log: Arc::new(Mutex::new(NetLog::default())),
            collector: None,
            targets: None,
            step_no: 0,
            popups_closed: Vec::new(),
            view: FramedPage::default(),
            settled: false,
            filled: None,
        }
    }

    /// The top page's address (the form frame's scan when the log has none yet).
    fn top_url(&self) -> String {
        lock(&self.log)
            .top_url()
            .unwrap_or_else(|| self.view.merged.url.clone())
    }

    /// Follow a "Sign in" link: an absolute http(s) link by navigation (checked like the
    /// target), another one by a script click. Returns whether it was followed.
    async fn follow_link(&mut self, href: &str, i: usize, res: &mut ProbeResult) -> bool {
        if href.starts_with("http://") || href.starts_with("https://") {
            let u = match safety::parse_target(href) {
                Ok(u) => u,
                Err(e) => {
                    res.errors.push(format!("sign-in link refused: {e}"));
                    return false;
                }
            };
            if let Err(e) =
                safety::check_target_with(&u, self.opts.allow_private, &self.opts.allow_hosts).await
            {
                res.errors.push(format!("sign-in link refused: {e}"));
                return false;
            }
            match self.navigate(u.as_str(), false).await {
                Ok(()) => true,
                Err(e) => {
                    res.errors.push(format!("sign-in link: {e}"));
                    false
                }
            }
        } else if let Some(f) = self.view.form_frame().cloned() {
            self.eval(&f, &format!("__pp.click({i})")).await.is_ok()
        } else {
            false
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn facts(
        &mut self,
        d: &Decoy,
        identifier_step: bool,
        since: Instant,
        commits_before: usize,
        before_top: &str,
        after_top: &str,
        (form_frame, form_url): (&FrameId, &str),
    ) -> SubmitFacts {
        self.fill_bodies().await;
        let l = lock(&self.log);
        let mut sent = false;
        let mut status: Option<i64> = None;
        for r in l.reqs.iter().filter(|r| r.started >= since) {
            if r.carries_decoy(d, identifier_step) {
                sent = true;
                if let Some(s) = r.status {
                    status = Some(status.map_or(s, |o: i64| o.max(s)));
                }
            }
        }
        // Where the frame that held the form is now (a failed navigation counts by the address
        // it tried); the view's form frame only if that frame is gone.
        let form_frame_now = l.frames.get(form_frame.as_ref()).cloned().or_else(|| {
            self.view
                .frames
                .get(self.view.form)
                .map(|(_, s)| s.url.clone())
        });
        let left_top = origin(before_top) != origin(after_top) && origin(after_top).is_some();
        let left_frame = form_url != before_top
            && form_frame_now
                .as_deref()
                .is_some_and(|u| origin(u) != origin(form_url) && !u.starts_with("about:"));
        let dialogs = l
            .dialogs
            .iter()
            .filter(|(t, _)| *t >= since)
            .map(|(_, m)| m.clone())
            .collect();
        let url_changed = l.main_commits > commits_before || before_top != after_top;
        drop(l);
        let left_to = if left_top {
            Some(after_top.chars().take(2000).collect())
        } else if left_frame {
            form_frame_now.map(|u| u.chars().take(2000).collect())
        } else {
            None
        };
        SubmitFacts {
            left_origin: left_top || left_frame,
            left_to,
            url_changed,
            decoy_sent: sent,
            decoy_status: status,
            dialogs,
            identifier_step,
        }
    }

    /// Wait for the answers to the requests that carried the decoy, within what is left of
    /// the step cap counted from the submit. On a busy machine the request's events can arrive
    /// after the page already looked quiet; a refusal that only shows as an HTTP status (XHR
    /// 401, no page change) must not be missed. Only the request kinds `settle` waits for
    /// count (document, XHR, fetch; not images or beacons), and a new top-level document ends
    /// the wait (its answer came). Returns whether it had to wait.
    async fn await_decoy_answers(
        &mut self,
        since: Instant,
        d: &Decoy,
        identifier_step: bool,
        commits_before: usize,
    ) -> bool {
        let deadline = since + self.opts.step_timeout;
        let mut waited = false;
        while Instant::now() < deadline {
            self.fill_bodies().await;
            let pending = {
                let l = lock(&self.log);
                let now = Instant::now();
                l.main_commits == commits_before
                    && l.reqs.iter().filter(|r| r.started >= since).any(|r| {
                        r.awaited(now) && r.status.is_none() && r.carries_decoy(d, identifier_step)
                    })
            };
            if !pending {
                break;
            }
            waited = true;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        waited
    }

    /// Fetch request bodies Chromium did not include in the event (large or streamed posts).
    async fn fill_bodies(&mut self) {
        let Some(page) = self.page.clone() else {
            return;
        };
        let ids: Vec<String> = lock(&self.log)
            .reqs
            .iter()
            .filter(|r| r.needs_body && r.body.is_none())
            .map(|r| r.id.clone())
            .take(50)
            .collect();
        for id in ids {
            let got = tokio::time::timeout(
                Duration::from_secs(2),
                page.execute(GetRequestPostDataParams::new(RequestId::new(id.clone()))),
            )
            .await;
            let mut l = lock(&self.log);
            if let Some(r) = l.reqs.iter_mut().find(|r| r.id == id) {
                r.needs_body = false;
                if let Ok(Ok(resp)) = got {
                    r.body = Some(resp.result.post_data.chars().take(1 << 20).collect());
                }
            }
        }
    }

    /// Copy the network evidence into the result.
    pub(super) async fn finish(&mut self, res: &mut ProbeResult) {
        let _ = tokio::time::timeout(Duration::from_secs(3), self.fill_bodies()).await;
        self.close_popups().await;
        res.errors.extend(
            self.popups_closed
                .drain(..)
                .map(|u| format!("closed a pop-up ({u})")),
        );
        let l = lock(&self.log);
        res.redirect_chain = l.chain.clone();
        for (_, d) in &l.downloads {
            res.errors.push(format!("a file download was denied ({d})"));
        }
        if let Some(top) = l.top_url() {
            res.final_url = top;
        }
        for r in &l.reqs {
            let mut c = None;
            let mut loc = Vec::new();
            for d in &res.decoys {
                for (where_, hay) in [
                    ("url", Some(r.url.as_str())),
                    ("body", r.body.as_deref()),
                    ("authorization", r.auth.as_deref()),
                ] {
                    if let Some(x) = hay.and_then(|h| decoy::carried(h, d)) {
                        c = decoy::merge(c, Some(x));
                        if !loc.contains(&where_) {
                            loc.push(where_);
                        }
                    }
                }
            }
            if let Some(carried) = c
                && res.decoy_requests.len() < 50
            {
                res.decoy_requests.push(CapturedRequest {
                    method: r.method.clone(),
                    url: r.url.chars().take(2000).collect(),
                    host: host(&r.url),
                    carried,
                    location: loc.join("+"),
                    status: r.status,
                });
            }
        }
    }

    pub(super) async fn teardown(&mut self) {
        if let Some(c) = self.collector.take() {
            c.abort();
        }
        if let Some(id) = self.target_id.take() {
            let _ = tokio::time::timeout(
                Duration::from_secs(3),
                self.prober.browser.execute(CloseTargetParams::new(id)),
            )
            .await;
        }
        self.close_popups().await;
        let _ = tokio::time::timeout(
            Duration::from_secs(5),
            self.prober
                .browser
                .dispose_browser_context(self.ctx.clone()),
        )
        .await;
    }
}

impl Driver for ChromeDriver<'_> {
    const REASON_NAMES_BOTH_TRIES: bool = true;
    const CHALLENGE_BEFORE_EACH_SUBMIT: bool = true;

    async fn land(&mut self, target: &Url, res: &mut ProbeResult) -> Result<(), String> {
        if let Err(e) = self.open().await {
            let why = format!("could not open a page: {e}");
            res.errors.push(why.clone());
            return Err(why);
        }
        let nav = self.navigate(target.as_str(), true).await;
        self.settled = self
            .settle(self.opts.step_timeout, Duration::from_millis(200))
            .await;
        self.view = self.read().await;
        self.step(res, "landing", "").await;
        if let Err(e) = nav {
            res.errors.push(e.clone());
            return Err(e);
        }
        Ok(())
    }

    fn page(&self) -> &Scan {
        &self.view.merged
    }

    fn has_form(&self) -> bool {
        self.view.merged.is_login()
    }

    async fn follow_signin(&mut self, res: &mut ProbeResult) {
        let Some(link) = self.view.merged.signin.clone() else {
            return;
        };
        let before_text = self.view.merged.text.clone();
        if self.follow_link(&link.href, link.i, res).await {
            self.settled = self
                .settle(self.opts.step_timeout, Duration::from_millis(300))
                .await;
            self.view = self.read().await;
            let fresh = classify::new_lines(&before_text, &self.view.merged.text);
            self.step(res, "sign-in link", &fresh.join("\n")).await;
        }
    }

    fn no_form(&mut self, _res: &mut ProbeResult) -> String {
        if !self.settled {
            format!(
                "the page did not finish loading within {} s; no sign-in form found",
                self.opts.step_timeout.as_secs()
            )
        } else if self.view.merged.text.trim().is_empty() {
            "the page showed nothing (empty, cloaked or not loaded)".into()
        } else {
            "no sign-in form found".into()
        }
    }

    fn remember_login_page(&self, res: &mut ProbeResult) {
        let view = &self.view;
        let form_url = view
            .frames
            .get(view.form)
            .map(|(_, s)| s.url.clone())
            .unwrap_or_else(|| self.top_url());
        let h = Url::parse(&form_url)
            .ok()
            .and_then(|u| u.host_str().map(|h| h.to_ascii_lowercase()));
        if res.form_host.is_none() {
            res.form_host = h;
        }
        res.brand_material.get_or_insert_with(|| BrandMaterial {
            title: view.merged.title.clone(),
            logos: view.merged.logos.clone(),
            text: view.merged.text.chars().take(5000).collect(),
        });
    }

    fn next_prompt(&self) -> Option<Prompt> {
        self.view.form_frame()?;
        let form = &self.view.frames[self.view.form].1;
        Some(if form.has_password() {
            Prompt::Password
        } else {
            Prompt::Identifier
        })
    }

    async fn fill(
        &mut self,
        d: &Decoy,
        prompt: Prompt,
        res: &mut ProbeResult,
    ) -> Result<(), String> {
        let frame = self.view.form_frame().cloned().ok_or("no form frame")?;
        let form = self.view.frames[self.view.form].1.clone();
        let before_top = self.top_url();
        let identifier_step = prompt == Prompt::Identifier;
        let mut fill_err = None;
        if let Some(id) = form.ident.first()
            && (identifier_step || !id.filled || res.submissions > 0)
            && let Err(e) = self.type_into(&frame, id.i, &d.identifier).await
        {
            fill_err = Some(e);
        }
        if !identifier_step
            && let Some(pw) = form.password.first()
            && let Err(e) = self.type_into(&frame, pw.i, &d.password).await
        {
            fill_err = Some(e);
        }
        if let Some(e) = fill_err {
            res.errors.push(format!("filling the form: {e}"));
            return Err(format!("could not fill the form: {e}"));
        }
        self.filled = Some(Filled {
            frame,
            form,
            before_top,
        });
        Ok(())
    }

    async fn submit(
        &mut self,
        d: &Decoy,
        prompt: Prompt,
        res: &mut ProbeResult,
    ) -> Result<SubmitFacts, String> {
        let Filled {
            frame,
            form,
            before_top,
        } = self.filled.take().ok_or("nothing filled")?;
        let identifier_step = prompt == Prompt::Identifier;
        let form_url = form.url.clone();
        let field = if identifier_step {
            form.ident.first().map(|f| f.i)
        } else {
            form.password.first().map(|f| f.i)
        }
        .unwrap_or(0);
        let since = Instant::now();
        let commits_before = lock(&self.log).main_commits;
        if let Err(e) = self.click_submit(&frame, &form, field).await {
            res.errors.push(format!("submit: {e}"));
        }
        self.settle(self.opts.step_timeout, Duration::from_millis(600))
            .await;
        if self
            .await_decoy_answers(since, d, identifier_step, commits_before)
            .await
        {
            // The answer came after the page looked quiet: let the page react to it.
            let cap = (self.opts.step_timeout / 2).max(Duration::from_secs(1));
            self.settle(cap, Duration::from_millis(200)).await;
        }
        self.view = self.read().await;
        let after_top = self.top_url();
        Ok(self
            .facts(
                d,
                identifier_step,
                since,
                commits_before,
                &before_top,
                &after_top,
                (&frame, &form_url),
            )
            .await)
    }

    async fn record_step(&mut self, res: &mut ProbeResult, name: &str, fresh: &str) {
        self.step(res, name, fresh).await;
    }
}

fn origin(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .map(|u| u.origin().ascii_serialization())
}

fn host(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_default()
}
