//! The browser engine: Debian's Chromium driven over the DevTools protocol (chromiumoxide).
//!
//! One browser process per [`Prober`]; every probe gets a fresh browser context (an
//! incognito-like profile: no cookies or storage shared between probes), torn down after.
//! The page is read from an isolated script world so page scripts can neither see nor patch
//! the code that reads it; typing and clicking go through the Input domain, so the page sees
//! trusted user events.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use chromiumoxide::cdp::browser_protocol::browser::{
    BrowserContextId, PermissionDescriptor, PermissionSetting, SetDownloadBehaviorBehavior,
    SetDownloadBehaviorParams, SetPermissionParams,
};
use chromiumoxide::cdp::browser_protocol::emulation::{
    SetUserAgentOverrideParams, UserAgentBrandVersion, UserAgentMetadata,
};
use chromiumoxide::cdp::browser_protocol::input::{
    DispatchKeyEventParams, DispatchKeyEventType, DispatchMouseEventParams, DispatchMouseEventType,
    InsertTextParams, MouseButton,
};
use chromiumoxide::cdp::browser_protocol::network::{
    EventLoadingFailed, EventLoadingFinished, EventRequestWillBeSent, EventResponseReceived,
    GetRequestPostDataParams, RequestId, ResourceType,
};
use chromiumoxide::cdp::browser_protocol::page::{
    AddScriptToEvaluateOnNewDocumentParams, CaptureScreenshotFormat, CaptureScreenshotParams,
    CreateIsolatedWorldParams, DialogType, EventFrameNavigated, EventJavascriptDialogOpening,
    EventNavigatedWithinDocument, FrameId, FrameTree, GetFrameTreeParams,
    HandleJavaScriptDialogParams, NavigateParams,
};
use chromiumoxide::cdp::browser_protocol::target::{
    CloseTargetParams, CreateBrowserContextParams, CreateTargetParams, EventTargetCreated, TargetId,
};
use chromiumoxide::cdp::js_protocol::runtime::{EvaluateParams, ExecutionContextId};
use chromiumoxide::{Browser, BrowserConfig, Page};
use futures::{FutureExt, StreamExt};
use serde_json::Value;

use crate::classify::{self, After, Facts, Scan};
use crate::decoy;
use crate::guard;
use crate::model::{CapturedRequest, Carried, Decoy, Outcome, ProbeOptions, ProbeResult, Step};
use crate::safety;

const SCAN_JS: &str = include_str!("scan.js");
/// Window-size fix injected before page scripts (see the file for why).
const WINDOW_JS: &str = include_str!("window.js");
/// Most frames read per page (ads and trackers add many; the login is in the first few).
const MAX_FRAMES: usize = 8;
/// Most actions (fill + submit) per probe: identifier, password, and the same again on retry.
const MAX_ACTIONS: usize = 6;
/// Requests older than this no longer hold "settled" back (long polls, streaming).
const INFLIGHT_WINDOW: Duration = Duration::from_secs(8);

/// How to start the browser.
#[derive(Debug, Clone, Default)]
pub struct ChromeConfig {
    /// Chromium binary; found on the usual paths (or `PHISHPROBE_CHROME`) when unset.
    pub executable: Option<PathBuf>,
    /// Resolve no host names except `localhost` and `127.0.0.1` (offline tests).
    pub offline: bool,
    /// Extra Chromium switches, names without the leading `--` (`name` or `name=value`).
    pub extra_args: Vec<String>,
}

/// Errors starting the browser. Probe failures are not errors: they are `inconclusive` results.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("no Chromium found (install the Debian package `chromium` or set PHISHPROBE_CHROME)")]
    NoBrowser,
    #[error("could not create the browser profile folder: {0}")]
    Profile(std::io::Error),
    #[error("browser configuration: {0}")]
    Config(String),
    #[error("could not start Chromium: {0}")]
    Launch(String),
}

/// Locate a Chromium binary: `PHISHPROBE_CHROME`, then the Debian and common paths.
pub fn find_chrome() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PHISHPROBE_CHROME") {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Some(p);
        }
    }
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
        "chrome",
    ];
    for dir in ["/usr/bin", "/usr/local/bin", "/snap/bin"] {
        for n in names {
            let p = Path::new(dir).join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for n in names {
            let p = dir.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// One running browser, shared by every probe of a run (probes may run concurrently).
pub struct Prober {
    browser: Browser,
    handler: tokio::task::JoinHandle<()>,
    profile: Option<tempfile::TempDir>,
    user_agent: String,
    major: String,
    offline: bool,
}

impl Prober {
    /// Start Chromium headless with a fresh profile folder (removed by [`Prober::close`]).
    pub async fn launch(cfg: &ChromeConfig) -> Result<Prober, LaunchError> {
        let exe = match &cfg.executable {
            Some(p) => p.clone(),
            None => find_chrome().ok_or(LaunchError::NoBrowser)?,
        };
        let profile = tempfile::Builder::new()
            .prefix("phishprobe-chrome-")
            .tempdir()
            .map_err(LaunchError::Profile)?;
        // Names without the leading "--": chromiumoxide adds it (with it, Chromium ignores them).
        let mut args: Vec<String> = [
            "disable-gpu",
            "disable-background-networking",
            "disable-component-update",
            "disable-sync",
            "no-first-run",
            "no-default-browser-check",
            "disable-quic",
            "disable-default-apps",
            "disable-breakpad",
            "disable-dev-shm-usage",
            "disable-hang-monitor",
            "disable-client-side-phishing-detection",
            "disable-domain-reliability",
            "disable-background-timer-throttling",
            "disable-renderer-backgrounding",
            "disable-backgrounding-occluded-windows",
            "metrics-recording-only",
            "password-store=basic",
            "use-mock-keychain",
            "lang=en-US",
            "accept-lang=en-US,en",
            // No UDP around the egress guard: WebRTC only over the (guarded) proxy.
            "force-webrtc-ip-handling-policy=disable_non_proxied_udp",
            // Cross-origin iframes in the page's process, so the isolated world can read and
            // fill a login form framed from another origin.
            "disable-site-isolation-trials",
            "disable-features=IsolateOrigins,site-per-process,Translate,MediaRouter,OptimizationHints,AutofillServerCommunication,HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,InterestFeedContentSuggestions,PrivacySandboxSettings4",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if cfg.offline {
            args.push(
                "host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1".into(),
            );
        }
        args.extend(
            cfg.extra_args
                .iter()
                .map(|a| a.trim_start_matches('-').to_string()),
        );
        let config = BrowserConfig::builder()
            .chrome_executable(exe)
            .disable_default_args()
            .new_headless_mode()
            .no_sandbox()
            .window_size(1366, 768)
            .viewport(None)
            .user_data_dir(profile.path())
            .launch_timeout(Duration::from_secs(30))
            .request_timeout(Duration::from_secs(20))
            .hide()
            .args(args)
            .build()
            .map_err(LaunchError::Config)?;
        let (browser, mut handler) = Browser::launch(config)
            .await
            .map_err(|e| LaunchError::Launch(e.to_string()))?;
        // The handler drives the DevTools connection; it must be polled all the time.
        let handler = tokio::spawn(async move { while handler.next().await.is_some() {} });
        let mut prober = Prober {
            browser,
            handler,
            profile: Some(profile),
            user_agent: String::new(),
            major: String::new(),
            offline: cfg.offline,
        };
        match tokio::time::timeout(Duration::from_secs(10), prober.browser.version()).await {
            Ok(Ok(v)) => {
                // An ordinary desktop Chrome user agent: kits cloak from "HeadlessChrome".
                prober.user_agent = v.user_agent.replace("HeadlessChrome", "Chrome");
                prober.major = v
                    .product
                    .split('/')
                    .nth(1)
                    .and_then(|s| s.split('.').next())
                    .unwrap_or("0")
                    .to_string();
            }
            Ok(Err(e)) => {
                prober.close().await;
                return Err(LaunchError::Launch(format!("browser did not answer: {e}")));
            }
            Err(_) => {
                prober.close().await;
                return Err(LaunchError::Launch("browser did not answer in 10 s".into()));
            }
        }
        Ok(prober)
    }

    /// Process id of the browser, for memory measurements.
    pub fn pid(&mut self) -> Option<u32> {
        self.browser
            .get_mut_child()
            .and_then(|c| c.as_mut_inner().id())
    }

    /// Stop the browser and remove its profile folder.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.browser.close()).await;
        if tokio::time::timeout(Duration::from_secs(5), self.browser.wait())
            .await
            .is_err()
        {
            let _ = self.browser.kill().await;
        }
        self.handler.abort();
        if let Some(p) = self.profile.take() {
            let _ = p.close();
        }
    }

    /// Probe one URL with decoy credentials. Never fails: problems become `inconclusive`.
    pub async fn probe(&self, url: &str, opts: &ProbeOptions) -> ProbeResult {
        let started = Instant::now();
        let mut res = ProbeResult::new(url, "chrome");
        let target = match safety::parse_target(url) {
            Ok(u) => u,
            Err(e) => return refused(res, e, started),
        };
        if let Err(e) =
            safety::check_target_with(&target, opts.allow_private, &opts.allow_hosts).await
        {
            return refused(res, e, started);
        }
        res.url = target.to_string();
        // Unless private targets are allowed, every request of this probe's browser context
        // goes through its own egress guard, which re-checks each host after DNS resolution:
        // redirects, script navigations and sub-resources cannot reach the local network.
        let mut ctx_params = CreateBrowserContextParams::default();
        let guard = if opts.allow_private {
            None
        } else {
            let policy = guard::Policy {
                allow_private: false,
                allow_hosts: opts.allow_hosts.clone(),
                offline: self.offline,
            };
            match guard::Guard::start(policy).await {
                Ok(g) => {
                    ctx_params.proxy_server = Some(g.proxy_server());
                    // Loopback is bypassed by default; "<-loopback>" sends it through too.
                    ctx_params.proxy_bypass_list = Some("<-loopback>".into());
                    Some(g)
                }
                Err(e) => return refused(res, format!("egress guard: {e}"), started),
            }
        };
        let ctx = match tokio::time::timeout(
            Duration::from_secs(10),
            self.browser.create_browser_context(ctx_params),
        )
        .await
        {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return refused(res, format!("browser context: {e}"), started),
            Err(_) => return refused(res, "browser context: timed out".into(), started),
        };
        let mut run = Run {
            prober: self,
            ctx: ctx.clone(),
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
            decided: false,
            first_rejected: false,
        };
        let outcome = tokio::time::timeout(opts.timeout, run.run(&target, &mut res)).await;
        if outcome.is_err() && !run.decided {
            if run.first_rejected {
                res.outcome = Outcome::Rejected;
                res.reason = format!(
                    "{}; the second try did not finish within {} s",
                    res.reason,
                    opts.timeout.as_secs()
                );
            } else {
                res.outcome = Outcome::Inconclusive;
                res.reason = format!(
                    "the probe did not finish within {} s",
                    opts.timeout.as_secs()
                );
            }
            res.errors.push(res.reason.clone());
        }
        run.finish(&mut res).await;
        run.teardown().await;
        if let Some(g) = guard {
            res.blocked = g.blocked();
            g.stop();
            apply_blocked(&mut res);
        }
        res.elapsed_ms = started.elapsed().as_millis().try_into().unwrap_or(u64::MAX);
        res
    }

    /// Probe several URLs with at most `concurrency` at a time, in one browser.
    pub async fn probe_all(
        &self,
        urls: &[String],
        concurrency: usize,
        opts: impl Fn(usize, &str) -> ProbeOptions,
    ) -> Vec<ProbeResult> {
        let opts: Vec<ProbeOptions> = urls.iter().enumerate().map(|(i, u)| opts(i, u)).collect();
        let mut out: Vec<(usize, ProbeResult)> = futures::stream::iter(urls.iter().enumerate())
            .map(|(i, u)| {
                let o = &opts[i];
                async move { (i, self.probe(u, o).await) }
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, r)| r).collect()
    }
}

/// A top-level navigation (the landing page, a redirect, a script's `location = ...`) that the
/// guard refused makes the probe inconclusive: the page was not allowed to load, so nothing it
/// did can be read. Refused sub-resources are only recorded as errors.
fn apply_blocked(res: &mut ProbeResult) {
    if res.blocked.is_empty() {
        return;
    }
    let navigated: Vec<String> = res
        .redirect_chain
        .iter()
        .chain(std::iter::once(&res.final_url))
        .filter_map(|u| url::Url::parse(u).ok())
        .filter_map(|u| {
            let h = match u.host()? {
                url::Host::Ipv6(v6) => format!("[{v6}]"),
                other => other.to_string().to_ascii_lowercase(),
            };
            Some(format!("{h}:{}", u.port_or_known_default()?))
        })
        .collect();
    for b in &res.blocked {
        res.errors
            .push(format!("refused a request to {}: {}", b.target, b.reason));
    }
    let nav = res.blocked.iter().find(|b| navigated.contains(&b.target));
    if let Some(b) = nav
        && !matches!(res.outcome, Outcome::Accepted | Outcome::AcceptedAfterRetry)
    {
        res.outcome = Outcome::Inconclusive;
        res.reason = format!(
            "the page sent the browser to {} ({}); refused without --allow-private",
            b.target, b.reason
        );
    }
}

fn refused(mut res: ProbeResult, why: String, started: Instant) -> ProbeResult {
    res.outcome = Outcome::Inconclusive;
    res.reason = why.clone();
    res.errors.push(why);
    res.elapsed_ms = started.elapsed().as_millis().try_into().unwrap_or(u64::MAX);
    res
}

/// One network request the page made.
#[derive(Debug, Clone)]
struct Req {
    id: String,
    method: String,
    url: String,
    kind: Option<ResourceType>,
    body: Option<String>,
    needs_body: bool,
    auth: Option<String>,
    status: Option<i64>,
    done: bool,
    started: Instant,
}

impl Req {
    /// A request the page may be waiting on: a document, XHR or fetch, not finished, younger
    /// than the in-flight window (images, beacons and stuck keep-alives do not hold a probe).
    fn awaited(&self, now: Instant) -> bool {
        !self.done
            && now.duration_since(self.started) < INFLIGHT_WINDOW
            && matches!(
                self.kind,
                Some(ResourceType::Document)
                    | Some(ResourceType::Xhr)
                    | Some(ResourceType::Fetch)
                    | None
            )
    }

    /// Whether this request carried the decoy's password (or, at an identifier step, its
    /// address) in its URL, body or Authorization header.
    fn carries_decoy(&self, d: &Decoy, identifier_step: bool) -> bool {
        let c = decoy::merge(
            decoy::merge(
                decoy::carried(&self.url, d),
                self.body.as_deref().and_then(|b| decoy::carried(b, d)),
            ),
            self.auth.as_deref().and_then(|a| decoy::carried(a, d)),
        );
        match c {
            Some(Carried::Both) | Some(Carried::Password) => true,
            Some(Carried::Identifier) => identifier_step,
            None => false,
        }
    }
}

/// What the page did on the network and in its frames, filled by the event collector.
#[derive(Debug, Default)]
struct NetLog {
    reqs: Vec<Req>,
    frames: HashMap<String, String>,
    main_frame: Option<String>,
    /// Top-level document requests (redirects included), in order.
    chain: Vec<String>,
    /// Count of top-level document commits.
    main_commits: usize,
    /// The last top-level commit was an error page (unreachable URL).
    main_error: bool,
    dialogs: Vec<(Instant, String)>,
    events: usize,
    /// Document answers that are file downloads (attachment, or a type no browser shows), with
    /// whether they were for the top frame: the browser denies them, and the probe says so
    /// instead of waiting for a page that never comes. At most 10 kept.
    downloads: Vec<(bool, String)>,
}

impl NetLog {
    fn top_url(&self) -> Option<String> {
        self.main_frame
            .as_ref()
            .and_then(|m| self.frames.get(m))
            .cloned()
    }

    fn inflight(&self, now: Instant) -> usize {
        self.reqs
            .iter()
            // Once the answer's headers are in, the page is reacting, not waiting: a fetch()
            // whose body the page never reads may not "finish" for a long time.
            .filter(|r| r.awaited(now) && r.status.is_none())
            .count()
    }

    fn finish(&mut self, id: &str, status: Option<i64>) {
        if let Some(r) = self.reqs.iter_mut().rev().find(|r| r.id == id) {
            if status.is_some() {
                r.status = status;
            }
            r.done = true;
        }
    }
}

/// One probe in progress: the page, its context and what was seen.
struct Run<'a> {
    prober: &'a Prober,
    ctx: BrowserContextId,
    opts: &'a ProbeOptions,
    page: Option<Page>,
    target_id: Option<TargetId>,
    main_frame: Option<FrameId>,
    worlds: HashMap<String, ExecutionContextId>,
    log: Arc<Mutex<NetLog>>,
    collector: Option<tokio::task::JoinHandle<()>>,
    targets: Option<chromiumoxide::listeners::EventStream<EventTargetCreated>>,
    step_no: usize,
    popups_closed: Vec<String>,
    decided: bool,
    first_rejected: bool,
}

/// A page as read from all its frames; `form` is the frame holding the login prompt.
#[derive(Debug, Clone, Default)]
struct View {
    frames: Vec<(FrameId, Scan)>,
    form: usize,
    /// Fields and buttons of the form frame; text, flags and logos of all frames; top URL.
    merged: Scan,
}

impl View {
    fn form_frame(&self) -> Option<&FrameId> {
        self.frames.get(self.form).map(|(f, _)| f)
    }
}

/// A document answer the browser would save rather than show: `Content-Disposition:
/// attachment`, or a successful answer of a type a browser does not display (programs,
/// archives, disk images, scripts...). Listing what is shown is shorter and safer than
/// listing every download type.
fn is_download(status: i64, mime: &str, headers: &Value) -> bool {
    let attachment = headers.as_object().is_some_and(|h| {
        h.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("content-disposition")
                && v.as_str().is_some_and(|v| {
                    v.trim_start()
                        .to_ascii_lowercase()
                        .starts_with("attachment")
                })
        })
    });
    if attachment {
        return true;
    }
    if !(200..300).contains(&status) {
        return false;
    }
    let mime = mime
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let shown = mime.is_empty()
        || ["text/", "image/", "audio/", "video/"]
            .iter()
            .any(|p| mime.starts_with(p))
        || [
            "application/xhtml+xml",
            "application/xml",
            "application/json",
            "application/javascript",
            "application/pdf",
            "application/rss+xml",
            "application/atom+xml",
            "application/x-x509-ca-cert",
            "multipart/x-mixed-replace",
        ]
        .contains(&mime.as_str());
    !shown
}

fn lock(log: &Arc<Mutex<NetLog>>) -> std::sync::MutexGuard<'_, NetLog> {
    log.lock().unwrap_or_else(|p| p.into_inner())
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

fn excerpt(s: &str, n: usize) -> String {
    let t: String = s
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ");
    t.chars().take(n).collect()
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(40)
        .collect()
}

impl Run<'_> {
    async fn run(&mut self, target: &url::Url, res: &mut ProbeResult) {
        if let Err(e) = self.open().await {
            res.reason = format!("could not open a page: {e}");
            res.errors.push(res.reason.clone());
            self.decided = true;
            return;
        }
        let decoys = [
            decoy::generate(&self.opts.decoy_domain),
            decoy::generate(&self.opts.decoy_domain),
        ];

        // Landing.
        let nav = self.navigate(target.as_str(), true).await;
        let mut settled = self
            .settle(self.opts.step_timeout, Duration::from_millis(200))
            .await;
        let mut view = self.read().await;
        self.step(res, "landing", &view, "").await;
        if let Err(e) = nav {
            res.reason = e;
            res.errors.push(res.reason.clone());
            self.decided = true;
            return;
        }
        if let Some(c) = classify::challenge_of(&view.merged) {
            res.outcome = Outcome::Challenge;
            res.reason = c;
            self.decided = true;
            return;
        }
        if !view.merged.is_login() {
            // Not a login page: follow one obvious "Sign in" link.
            if let Some(link) = view.merged.signin.clone() {
                let frame = view.form_frame().cloned();
                let before_text = view.merged.text.clone();
                let followed =
                    if link.href.starts_with("http://") || link.href.starts_with("https://") {
                        match safety::parse_target(&link.href) {
                            Ok(u) => match safety::check_target_with(
                                &u,
                                self.opts.allow_private,
                                &self.opts.allow_hosts,
                            )
                            .await
                            {
                                Ok(()) => match self.navigate(u.as_str(), false).await {
                                    Ok(()) => true,
                                    Err(e) => {
                                        res.errors.push(format!("sign-in link: {e}"));
                                        false
                                    }
                                },
                                Err(e) => {
                                    res.errors.push(format!("sign-in link refused: {e}"));
                                    false
                                }
                            },
                            Err(e) => {
                                res.errors.push(format!("sign-in link refused: {e}"));
                                false
                            }
                        }
                    } else if let Some(f) = frame {
                        self.eval(&f, &format!("__pp.click({})", link.i))
                            .await
                            .is_ok()
                    } else {
                        false
                    };
                if followed {
                    settled = self
                        .settle(self.opts.step_timeout, Duration::from_millis(300))
                        .await;
                    view = self.read().await;
                    let fresh = classify::new_lines(&before_text, &view.merged.text);
                    self.step(res, "sign-in link", &view, &fresh.join("\n"))
                        .await;
                }
            }
        }
        if !view.merged.is_login() {
            res.reason = if !settled {
                format!(
                    "the page did not finish loading within {} s; no sign-in form found",
                    self.opts.step_timeout.as_secs()
                )
            } else if view.merged.text.trim().is_empty() {
                "the page showed nothing (empty, cloaked or not loaded)".into()
            } else {
                "no sign-in form found".into()
            };
            self.decided = true;
            return;
        }
        res.login_form_found = true;
        self.remember_login_page(res, &view);

        let mut actions = 0;
        while actions < MAX_ACTIONS {
            actions += 1;
            let frame = match view.form_frame() {
                Some(f) => f.clone(),
                None => break,
            };
            let form = view.frames[view.form].1.clone();
            let d: &Decoy = if res.submissions == 0 {
                &decoys[0]
            } else {
                &decoys[1]
            };
            let before = view.merged.clone();
            let before_top = lock(&self.log)
                .top_url()
                .unwrap_or_else(|| before.url.clone());
            let form_url = form.url.clone();
            if let Some(c) = classify::challenge_of(&before) {
                self.conclude(res, Outcome::Challenge, c);
                return;
            }
            let identifier_step = !form.has_password();
            if !identifier_step && res.submissions >= 2 {
                break;
            }
            // Fill.
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
                self.conclude(
                    res,
                    Outcome::Inconclusive,
                    format!("could not fill the form: {e}"),
                );
                return;
            }
            if !identifier_step {
                res.submissions += 1;
                if !res.decoys.contains(d) {
                    res.decoys.push(d.clone());
                }
            } else if !res.decoys.iter().any(|x| x.identifier == d.identifier) {
                res.decoys.push(d.clone());
            }
            let field = if identifier_step {
                form.ident.first().map(|f| f.i)
            } else {
                form.password.first().map(|f| f.i)
            }
            .unwrap_or(0);
            let since = Instant::now();
            let commits_before = lock(&self.log).main_commits;
            let how = self.submit(&frame, &form, field).await;
            if let Err(e) = &how {
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
            view = self.read().await;
            let after_top = lock(&self.log)
                .top_url()
                .unwrap_or_else(|| view.merged.url.clone());
            let facts = self
                .facts(
                    res,
                    d,
                    identifier_step,
                    since,
                    commits_before,
                    &before_top,
                    &after_top,
                    (&frame, &form_url),
                    &view,
                )
                .await;
            if facts.left_origin {
                res.left_origin = true;
            }
            let fresh = classify::new_lines(&before.text, &view.merged.text);
            let name = if identifier_step {
                "identifier submitted".to_string()
            } else {
                format!("password submitted ({})", res.submissions)
            };
            self.step(res, &name, &view, &fresh.join("\n")).await;
            let verdict = classify::after_submit(&before, &view.merged, &facts);
            match verdict {
                After::PasswordStep => {
                    self.remember_login_page(res, &view);
                    continue;
                }
                After::Accepted(why) => {
                    if view.merged.card > 0 {
                        res.asked_card = true;
                    }
                    if self.first_rejected {
                        self.conclude(
                            res,
                            Outcome::AcceptedAfterRetry,
                            format!("first decoy refused, second accepted: {why}"),
                        );
                    } else {
                        self.conclude(res, Outcome::Accepted, why);
                    }
                    return;
                }
                After::Rejected(why) => {
                    if res.submissions >= 2 {
                        let first = res.reason.clone();
                        self.conclude(
                            res,
                            Outcome::Rejected,
                            format!("both decoys refused: first: {first}; second: {why}"),
                        );
                        return;
                    }
                    self.first_rejected = true;
                    res.outcome = Outcome::Rejected;
                    res.reason = why;
                    if !view.merged.is_login() {
                        self.conclude(res, Outcome::Rejected, res.reason.clone());
                        return;
                    }
                }
                After::RejectedIdentifier(why) => {
                    let o = if self.first_rejected {
                        Outcome::Rejected
                    } else {
                        Outcome::RejectedIdentifier
                    };
                    self.conclude(res, o, why);
                    return;
                }
                After::Challenge(why) => {
                    let o = if self.first_rejected {
                        Outcome::Rejected
                    } else {
                        Outcome::Challenge
                    };
                    self.conclude(res, o, why);
                    return;
                }
                After::NoEffect(why) => {
                    let o = if self.first_rejected {
                        Outcome::Rejected
                    } else {
                        Outcome::Inconclusive
                    };
                    let why = if self.first_rejected {
                        format!("{}; the second try: {why}", res.reason)
                    } else {
                        why
                    };
                    self.conclude(res, o, why);
                    return;
                }
            }
            if !view.merged.is_login() {
                break;
            }
        }
        if !self.decided {
            if self.first_rejected {
                self.conclude(res, Outcome::Rejected, res.reason.clone());
            } else {
                self.conclude(
                    res,
                    Outcome::Inconclusive,
                    "too many steps without an answer".into(),
                );
            }
        }
    }

    fn conclude(&mut self, res: &mut ProbeResult, o: Outcome, why: String) {
        res.outcome = o;
        res.reason = why;
        self.decided = true;
    }

    fn remember_login_page(&self, res: &mut ProbeResult, view: &View) {
        let top = lock(&self.log)
            .top_url()
            .unwrap_or_else(|| view.merged.url.clone());
        let form_url = view
            .frames
            .get(view.form)
            .map(|(_, s)| s.url.clone())
            .unwrap_or(top);
        let h = url::Url::parse(&form_url)
            .ok()
            .and_then(|u| u.host_str().map(|h| h.to_ascii_lowercase()));
        if res.form_host.is_none() {
            res.form_host = h;
        }
        res.brand_material
            .get_or_insert_with(|| crate::model::BrandMaterial {
                title: view.merged.title.clone(),
                logos: view.merged.logos.clone(),
                text: view.merged.text.chars().take(5000).collect(),
            });
    }

    /// Open a page in the probe's own context, with downloads and permission prompts denied.
    async fn open(&mut self) -> Result<(), String> {
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
        self.collector = Some(self.spawn_collector(&page).await?);
        Ok(())
    }

    async fn spawn_collector(&self, page: &Page) -> Result<tokio::task::JoinHandle<()>, String> {
        let e = |e: chromiumoxide::error::CdpError| e.to_string();
        let mut reqs = page
            .event_listener::<EventRequestWillBeSent>()
            .await
            .map_err(e)?;
        let mut resps = page
            .event_listener::<EventResponseReceived>()
            .await
            .map_err(e)?;
        let mut fins = page
            .event_listener::<EventLoadingFinished>()
            .await
            .map_err(e)?;
        let mut fails = page
            .event_listener::<EventLoadingFailed>()
            .await
            .map_err(e)?;
        let mut navs = page
            .event_listener::<EventFrameNavigated>()
            .await
            .map_err(e)?;
        let mut inner = page
            .event_listener::<EventNavigatedWithinDocument>()
            .await
            .map_err(e)?;
        let mut dialogs = page
            .event_listener::<EventJavascriptDialogOpening>()
            .await
            .map_err(e)?;
        let log = self.log.clone();
        let page = page.clone();
        Ok(tokio::spawn(async move {
            loop {
                tokio::select! {
                    Some(ev) = reqs.next() => {
                        let mut l = lock(&log);
                        l.events += 1;
                        let id = ev.request_id.inner().to_string();
                        if let Some(rr) = &ev.redirect_response {
                            l.finish(&id, Some(rr.status));
                        }
                        let body = ev.request.post_data_entries.as_ref().map(|entries| {
                            let mut bytes = Vec::new();
                            for en in entries {
                                if let Some(b) = &en.bytes {
                                    let s: &str = b.as_ref();
                                    if let Ok(v) = base64::engine::general_purpose::STANDARD.decode(s) {
                                        bytes.extend(v);
                                    }
                                }
                                if bytes.len() > 1 << 20 { break; }
                            }
                            String::from_utf8_lossy(&bytes).into_owned()
                        });
                        let auth = ev.request.headers.inner().as_object().and_then(|h| {
                            h.iter().find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                                .and_then(|(_, v)| v.as_str().map(str::to_string))
                        });
                        let frame = ev.frame_id.as_ref().map(|f| f.as_ref().to_string());
                        let is_main_doc = ev.r#type == Some(ResourceType::Document)
                            && frame.is_some() && frame == l.main_frame;
                        if is_main_doc && l.chain.last() != Some(&ev.request.url) && l.chain.len() < 100 {
                            l.chain.push(ev.request.url.clone());
                        }
                        if l.reqs.len() < 5000 {
                            l.reqs.push(Req {
                                id,
                                method: ev.request.method.clone(),
                                url: ev.request.url.chars().take(8192).collect(),
                                kind: ev.r#type.clone(),
                                needs_body: ev.request.has_post_data == Some(true) && body.is_none(),
                                body,
                                auth,
                                status: None,
                                done: false,
                                started: Instant::now(),
                            });
                        }
                    }
                    Some(ev) = resps.next() => {
                        let mut l = lock(&log);
                        if ev.r#type == ResourceType::Document
                            && l.downloads.len() < 10
                            && is_download(
                                ev.response.status,
                                &ev.response.mime_type,
                                ev.response.headers.inner(),
                            )
                        {
                            let top = ev.frame_id.as_ref().map(|f| f.as_ref().to_string())
                                == l.main_frame;
                            l.downloads.push((top, ev.response.url.chars().take(2000).collect()));
                        }
                        let id = ev.request_id.inner().to_string();
                        if let Some(r) = l.reqs.iter_mut().rev().find(|r| r.id == id) {
                            r.status = Some(ev.response.status);
                        }
                    }
                    Some(ev) = fins.next() => {
                        lock(&log).finish(ev.request_id.inner(), None);
                    }
                    Some(ev) = fails.next() => {
                        lock(&log).finish(ev.request_id.inner(), None);
                    }
                    Some(ev) = navs.next() => {
                        let mut l = lock(&log);
                        let url = ev.frame.unreachable_url.clone().unwrap_or_else(|| ev.frame.url.clone());
                        let id = ev.frame.id.as_ref().to_string();
                        if ev.frame.parent_id.is_none() {
                            l.main_frame = Some(id.clone());
                            l.main_commits += 1;
                            l.main_error = ev.frame.unreachable_url.is_some();
                        }
                        if l.frames.len() < 200 || l.frames.contains_key(&id) {
                            l.frames.insert(id, url);
                        }
                    }
                    Some(ev) = inner.next() => {
                        let mut l = lock(&log);
                        let id = ev.frame_id.as_ref().to_string();
                        if l.frames.contains_key(&id) {
                            l.frames.insert(id, ev.url.clone());
                        }
                    }
                    Some(ev) = dialogs.next() => {
                        {
                            let mut l = lock(&log);
                            if l.dialogs.len() < 20 {
                                l.dialogs.push((Instant::now(), ev.message.chars().take(500).collect()));
                            }
                        }
                        // Dismiss alerts, confirms and prompts; let "leave page?" through.
                        let accept = matches!(ev.r#type, DialogType::Beforeunload);
                        let _ = page.execute(HandleJavaScriptDialogParams::new(accept)).await;
                    }
                    else => break,
                }
            }
        }))
    }

    /// Close pop-ups (new pages opened by the probed page) as they appear.
    async fn close_popups(&mut self) {
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
    async fn navigate(&mut self, url: &str, first: bool) -> Result<(), String> {
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
    async fn settle(&mut self, cap: Duration, min: Duration) -> bool {
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

    async fn frame_ids(&self) -> Vec<FrameId> {
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
    async fn read(&mut self) -> View {
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
        View {
            frames,
            form,
            merged,
        }
    }

    /// Evaluate `call` in the frame's isolated world (created on demand, recreated after a
    /// navigation replaced the document). Returns the JSON value.
    async fn eval(&mut self, frame: &FrameId, call: &str) -> Result<Value, String> {
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
            let expr = format!("{SCAN_JS}\n;JSON.stringify({call})");
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

    /// Type like a person: focus the field, select what is there, insert the text as trusted
    /// input; fall back to setting the value with input/change events if that did not land.
    async fn type_into(&mut self, frame: &FrameId, i: usize, text: &str) -> Result<(), String> {
        let page = self.page.clone().ok_or("no page")?;
        let focused = self
            .eval(frame, &format!("__pp.focusClear({i})"))
            .await?
            .as_bool()
            .unwrap_or(false);
        if focused {
            let _ = page.execute(InsertTextParams::new(text)).await;
        }
        let v = self.eval(frame, &format!("__pp.value({i})")).await?;
        if v.as_str() != Some(text) {
            let t = serde_json::to_string(text).map_err(|e| e.to_string())?;
            let ok = self
                .eval(frame, &format!("__pp.setValue({i}, {t})"))
                .await?
                .as_bool()
                .unwrap_or(false);
            if !ok {
                return Err("the field did not take the text".into());
            }
        } else {
            let _ = self.eval(frame, &format!("__pp.blur({i})")).await;
        }
        Ok(())
    }

    async fn key_enter(&self) -> Result<(), String> {
        let page = self.page.clone().ok_or("no page")?;
        for t in [DispatchKeyEventType::KeyDown, DispatchKeyEventType::KeyUp] {
            let mut p = DispatchKeyEventParams::new(t.clone());
            p.key = Some("Enter".into());
            p.code = Some("Enter".into());
            p.windows_virtual_key_code = Some(13);
            p.native_virtual_key_code = Some(13);
            if t == DispatchKeyEventType::KeyDown {
                p.text = Some("\r".into());
                p.unmodified_text = Some("\r".into());
            }
            page.execute(p).await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    async fn mouse_click(&self, x: f64, y: f64) -> Result<(), String> {
        let page = self.page.clone().ok_or("no page")?;
        let mut moved = DispatchMouseEventParams::new(DispatchMouseEventType::MouseMoved, x, y);
        moved.button = Some(MouseButton::None);
        let _ = page.execute(moved).await;
        for t in [
            DispatchMouseEventType::MousePressed,
            DispatchMouseEventType::MouseReleased,
        ] {
            let mut p = DispatchMouseEventParams::new(t, x, y);
            p.button = Some(MouseButton::Left);
            p.buttons = Some(1);
            p.click_count = Some(1);
            page.execute(p).await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn activity(&self) -> (usize, usize) {
        let l = lock(&self.log);
        (l.reqs.len(), l.main_commits + l.dialogs.len())
    }

    /// Submit the form like a person: click its button (trusted mouse event in the top frame,
    /// keyboard activation in a sub-frame), or press Enter in the field. If nothing at all
    /// happens, fall back to a script click and then `requestSubmit()`.
    async fn submit(&mut self, frame: &FrameId, form: &Scan, field: usize) -> Result<(), String> {
        let is_top = Some(frame) == self.main_frame.as_ref();
        let state_before = self.eval(frame, "__pp.state()").await.ok();
        let act_before = self.activity();
        let mut tried = Vec::new();
        if let Some(btn) = form.submit.first() {
            let mut done = false;
            if is_top
                && let Ok(p) = self.eval(frame, &format!("__pp.point({})", btn.i)).await
                && p.get("ok").and_then(Value::as_bool) == Some(true)
                && let (Some(x), Some(y)) = (
                    p.get("x").and_then(Value::as_f64),
                    p.get("y").and_then(Value::as_f64),
                )
            {
                self.mouse_click(x, y).await?;
                tried.push("click");
                done = true;
            }
            if !done
                && matches!(btn.tag.as_str(), "button" | "input" | "a")
                && self
                    .eval(frame, &format!("__pp.focus({})", btn.i))
                    .await?
                    .as_bool()
                    == Some(true)
            {
                self.key_enter().await?;
                tried.push("enter on button");
                done = true;
            }
            if !done {
                self.eval(frame, &format!("__pp.click({})", btn.i)).await?;
                tried.push("script click");
            }
        } else {
            let _ = self.eval(frame, &format!("__pp.focus({field})")).await;
            self.key_enter().await?;
            tried.push("enter");
        }
        // Did anything happen? Give the page a moment, then try the fallbacks.
        for fallback in 0..2 {
            let t0 = Instant::now();
            let mut moved = false;
            while t0.elapsed() < Duration::from_millis(800) {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if self.activity() != act_before {
                    moved = true;
                    break;
                }
                let now = self.eval(frame, "__pp.state()").await.ok();
                if now != state_before {
                    moved = true;
                    break;
                }
            }
            if moved {
                return Ok(());
            }
            let r = if fallback == 0 {
                tried.push("requestSubmit");
                self.eval(frame, &format!("__pp.requestSubmit({field})"))
                    .await
            } else if let Some(btn) = form.submit.first() {
                tried.push("script click");
                self.eval(frame, &format!("__pp.click({})", btn.i)).await
            } else {
                break;
            };
            if r.is_err() {
                break;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn facts(
        &mut self,
        res: &mut ProbeResult,
        d: &Decoy,
        identifier_step: bool,
        since: Instant,
        commits_before: usize,
        before_top: &str,
        after_top: &str,
        (form_frame, form_url): (&FrameId, &str),
        view: &View,
    ) -> Facts {
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
        let form_frame_now = l
            .frames
            .get(form_frame.as_ref())
            .cloned()
            .or_else(|| view.frames.get(view.form).map(|(_, s)| s.url.clone()));
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
        let _ = res;
        let left_to = if left_top {
            Some(after_top.chars().take(2000).collect())
        } else if left_frame {
            form_frame_now.map(|u| u.chars().take(2000).collect())
        } else {
            None
        };
        Facts {
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

    /// Record a step, with a screenshot when an evidence folder was given.
    async fn step(&mut self, res: &mut ProbeResult, name: &str, view: &View, fresh: &str) {
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
            .unwrap_or_else(|| view.merged.url.clone());
        if res.steps.len() < 20 {
            res.steps.push(Step {
                name: name.to_string(),
                url,
                screenshot: shot,
                visible_text_excerpt: excerpt(&view.merged.text, 600),
                new_text_excerpt: excerpt(fresh, 400),
            });
        }
    }

    /// Copy the network evidence into the result.
    async fn finish(&mut self, res: &mut ProbeResult) {
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

    async fn teardown(&mut self) {
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

#[cfg(test)]
mod tests {
    use super::is_download;
    use serde_json::json;

    #[test]
    fn downloads_are_told_from_pages() {
        let attach = json!({"Content-Disposition": "attachment; filename=\"invoice.exe\""});
        assert!(is_download(200, "text/html", &attach));
        assert!(is_download(200, "application/octet-stream", &json!({})));
        assert!(is_download(200, "Application/Zip", &json!({})));
        assert!(is_download(200, "application/x-7z-compressed", &json!({})));
        assert!(is_download(200, "application/java-archive", &json!({})));
        // Shown by the browser, or not a successful answer: not a download.
        assert!(!is_download(200, "text/html; charset=utf-8", &json!({})));
        assert!(!is_download(200, "image/png", &json!({})));
        assert!(!is_download(200, "application/pdf", &json!({})));
        assert!(!is_download(204, "", &json!({})));
        assert!(!is_download(404, "application/octet-stream", &json!({})));
        assert!(!is_download(
            200,
            "text/html",
            &json!({"content-disposition": "inline"})
        ));
        assert!(!is_download(200, "text/html", &json!({})));
        assert!(!is_download(200, "application/json", &json!(null)));
    }
}
