//! Starting the browser: where Chromium is, the switches it runs with, and the ordinary desktop
//! user agent it shows.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chromiumoxide::{Browser, BrowserConfig};
use futures::StreamExt;

use super::Prober;

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
    /// No Chromium binary on the usual paths and no `PHISHPROBE_CHROME`.
    #[error("no Chromium found (install the Debian package `chromium` or set PHISHPROBE_CHROME)")]
    NoBrowser,
    /// The temporary profile folder could not be created.
    #[error("could not create the browser profile folder: {0}")]
    Profile(std::io::Error),
    /// chromiumoxide refused the browser configuration.
    #[error("browser configuration: {0}")]
    Config(String),
    /// Chromium did not start or did not answer.
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
}
