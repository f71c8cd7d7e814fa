//! The browser engine: Debian's Chromium driven over the DevTools protocol (chromiumoxide).
//!
//! One browser process per [`Prober`]; every probe gets a fresh browser context (an
//! incognito-like profile: no cookies or storage shared between probes), torn down after.
//! The page is read from an isolated script world so page scripts can neither see nor patch
//! the code that reads it; typing and clicking go through the Input domain, so the page sees
//! trusted user events.
//!
//! Files: `launch` starts the browser, `netlog` collects what the page does on the network,
//! `page` loads and reads pages, `input` types and clicks, and `driver` is the browser's side of
//! the probe flow (`crate::flow`), which decides the outcome.

mod driver;
mod input;
mod launch;
mod netlog;
mod page;

use std::time::{Duration, Instant};

use chromiumoxide::Browser;
use chromiumoxide::cdp::browser_protocol::target::CreateBrowserContextParams;
use futures::StreamExt;

use crate::flow::Decision;
use crate::guard;
use crate::model::{Outcome, ProbeOptions, ProbeResult};
use crate::safety;

use driver::ChromeDriver;
pub use launch::{ChromeConfig, LaunchError, find_chrome};

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
        let mut driver = ChromeDriver::new(self, ctx, opts);
        let mut decision = Decision::default();
        let run = decision.run(&mut driver, &target, opts, &mut res);
        if tokio::time::timeout(opts.timeout, run).await.is_err() {
            decision.timed_out::<ChromeDriver>(&mut res, opts.timeout);
        }
        driver.finish(&mut res).await;
        driver.teardown().await;
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
///
/// Chromium-only, and applied after the flow rather than in its decision ([`Decision`]): the
/// refusals are the egress guard's, a proxy only the browser's context goes through, and they
/// are complete only once the guard has stopped, after the flow has ended (or timed out) and
/// the driver is torn down. The plain-HTTP engine needs no such step: it checks every hop
/// itself before requesting it, so a refused hop is the error of that request, seen by the
/// flow as it happens.
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
