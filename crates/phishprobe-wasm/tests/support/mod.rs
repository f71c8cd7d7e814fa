//! A real Chromium with the unpacked extension loaded, and test sites written for these tests,
//! served on 127.0.0.1 under real-looking names (`--host-resolver-rules` maps every name to the
//! test server; the server picks the page by the `Host` header). Every request the browser
//! makes is logged, so a test can show that no request carried a typed value.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chromiumoxide::cdp::browser_protocol::dom::GetDocumentParams;
use chromiumoxide::cdp::browser_protocol::input::{DispatchKeyEventParams, DispatchKeyEventType};
use chromiumoxide::cdp::browser_protocol::target::{GetTargetsParams, SetAutoAttachParams};
use chromiumoxide::layout::Point;
use chromiumoxide::{Browser, BrowserConfig, Page};
use futures::StreamExt;

/// The extension's fixed ID (from the `key` in its manifest).
pub const EXTENSION_ID: &str = "oecogpdgpolfjeaalobpcbmhgaddnedf";

pub type Result<T> = std::result::Result<T, String>;

/// The folder of the unpacked extension, with a built `core.wasm` that is not older than the
/// core's sources. `None` (skip) without it, unless `PHISHPROBE_REQUIRE_BROWSER=1`.
pub fn extension_dir() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = root.join("extension");
    let wasm = dir.join("core.wasm");
    let required = std::env::var("PHISHPROBE_REQUIRE_BROWSER").as_deref() == Ok("1");
    let problem = match std::fs::metadata(&wasm).and_then(|m| m.modified()) {
        Err(_) => Some("extension/core.wasm is missing: run extension/build.sh".to_string()),
        Ok(built) => newest_source(&root)
            .filter(|(t, _)| *t > built)
            .map(|(_, p)| {
                format!(
                    "extension/core.wasm is older than {}: run extension/build.sh",
                    p.display()
                )
            }),
    };
    match problem {
        None => Some(dir),
        Some(p) if required => panic!("PHISHPROBE_REQUIRE_BROWSER=1 but {p}"),
        Some(p) => {
            eprintln!("SKIPPED: {p}");
            None
        }
    }
}

fn newest_source(root: &Path) -> Option<(std::time::SystemTime, PathBuf)> {
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    let mut stack = vec![
        root.join("crates/phishprobe-core/src"),
        root.join("crates/phishprobe-wasm/src"),
        root.join("data"),
    ];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(t) = e.metadata().and_then(|m| m.modified())
                && newest.as_ref().is_none_or(|(n, _)| t > *n)
            {
                newest = Some((t, p));
            }
        }
    }
    newest
}

/// One request as the test server saw it.
#[derive(Debug, Clone)]
pub struct Logged {
    pub host: String,
    pub head: String,
    pub body: String,
}

/// The test sites: `pages[(host, path)]` is the HTML; everything else is a 404.
pub struct Sites {
    pub port: u16,
    pub log: Arc<Mutex<Vec<Logged>>>,
}

impl Sites {
    /// Serve `pages` on one port, in plain HTTP and in HTTPS (told apart by the first byte):
    /// names on the HSTS preload list, such as `www.amazon.com`, are only reached over HTTPS.
    /// The certificate is a throwaway one made by `openssl`; the browser is told to accept it.
    pub fn start(pages: HashMap<(String, String), String>) -> Sites {
        let tls = Arc::new(tls_config());
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("local addr").port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let pages = Arc::new(pages);
        let log2 = log.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let pages = pages.clone();
                let log = log2.clone();
                let tls = tls.clone();
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                    let mut first = [0u8; 1];
                    if matches!(stream.peek(&mut first), Ok(1)) && first[0] == 0x16 {
                        let Ok(conn) = rustls::ServerConnection::new(tls) else {
                            return;
                        };
                        serve(rustls::StreamOwned::new(conn, stream), &pages, &log);
                    } else {
                        serve(stream, &pages, &log);
                    }
                });
            }
        });
        Sites { port, log }
    }

    /// Whether any logged request (line, headers or body) contains `value`.
    pub fn any_request_contains(&self, value: &str) -> bool {
        let log = self.log.lock().expect("log lock");
        log.iter()
            .any(|r| r.head.contains(value) || r.body.contains(value))
    }

    pub fn requests(&self) -> usize {
        self.log.lock().expect("log lock").len()
    }
}

fn tls_config() -> rustls::ServerConfig {
    let dir = tempfile::tempdir().expect("temp dir");
    let (key_pem, key, cert) = (
        dir.path().join("k.pem"),
        dir.path().join("k.der"),
        dir.path().join("c.der"),
    );
    let run = |args: &[&std::ffi::OsStr]| {
        let ok = std::process::Command::new("openssl")
            .args(args)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "openssl failed (apt-get install openssl): {args:?}");
    };
    let os = |s: &str| std::ffi::OsString::from(s);
    run(&[
        &os("req"),
        &os("-x509"),
        &os("-newkey"),
        &os("ec"),
        &os("-pkeyopt"),
        &os("ec_paramgen_curve:prime256v1"),
        &os("-nodes"),
        &os("-keyout"),
        key_pem.as_os_str(),
        &os("-outform"),
        &os("DER"),
        &os("-out"),
        cert.as_os_str(),
        &os("-days"),
        &os("2"),
        &os("-subj"),
        &os("/CN=phishprobe test"),
    ]);
    run(&[
        &os("pkcs8"),
        &os("-topk8"),
        &os("-nocrypt"),
        &os("-in"),
        key_pem.as_os_str(),
        &os("-outform"),
        &os("DER"),
        &os("-out"),
        key.as_os_str(),
    ]);
    let cert = std::fs::read(cert).expect("certificate");
    let key = std::fs::read(key).expect("key");
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![rustls::pki_types::CertificateDer::from(cert)],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.into()),
        )
        .expect("certificate and key")
}

fn serve<S: Read + Write>(
    stream: S,
    pages: &HashMap<(String, String), String>,
    log: &Mutex<Vec<Logged>>,
) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut head = String::new();
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line == "\r\n" || line == "\n" {
                break;
            }
            head.push_str(&line);
            if head.len() > 64 * 1024 {
                return;
            }
        }
        let header = |name: &str| {
            head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_string())
            })
        };
        let host = header("host")
            .unwrap_or_default()
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let len: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
            .min(1 << 20);
        let mut body = vec![0u8; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let path = head
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .split('?')
            .next()
            .unwrap_or("/")
            .to_string();
        log.lock().expect("log lock").push(Logged {
            host: host.clone(),
            head: head.clone(),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        let (status, html) = match pages.get(&(host, path)) {
            Some(html) => ("200 OK", html.as_str()),
            None => ("404 Not Found", "<!doctype html><title>Not found</title>"),
        };
        let reply = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\n\r\n{html}",
            html.len()
        );
        if reader
            .get_mut()
            .write_all(reply.as_bytes())
            .and_then(|()| reader.get_mut().flush())
            .is_err()
        {
            return;
        }
    }
}

/// Chromium with the extension, in a throwaway profile.
pub struct ExtBrowser {
    pub browser: Browser,
    handler: tokio::task::JoinHandle<()>,
    _profile: tempfile::TempDir,
}

impl ExtBrowser {
    pub async fn launch(chrome: &Path, extension: &Path, port: u16) -> Result<ExtBrowser> {
        Self::launch_in(chrome, extension, port, "en-US").await
    }

    /// The same, with the browser's language set to `lang` (`zh-CN` for the Chinese words).
    pub async fn launch_in(
        chrome: &Path,
        extension: &Path,
        port: u16,
        lang: &str,
    ) -> Result<ExtBrowser> {
        let profile = tempfile::Builder::new()
            .prefix("phishprobe-ext-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let ext = extension
            .canonicalize()
            .map_err(|e| e.to_string())?
            .display()
            .to_string();
        let args: Vec<String> = vec![
            format!("load-extension={ext}"),
            format!("disable-extensions-except={ext}"),
            // Every name to the test server, plain HTTP on its port.
            format!("host-resolver-rules=MAP * 127.0.0.1:{port}"),
            "disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,IsolateOrigins,site-per-process,Translate,MediaRouter,OptimizationHints".into(),
            "disable-site-isolation-trials".into(),
            // The test sites' certificate is a throwaway one (tests only).
            "ignore-certificate-errors".into(),
            "no-first-run".into(),
            "no-default-browser-check".into(),
            "disable-gpu".into(),
            "disable-dev-shm-usage".into(),
            "disable-background-networking".into(),
            "disable-component-update".into(),
            "disable-sync".into(),
            "password-store=basic".into(),
            format!("lang={lang}"),
            format!("accept-lang={lang}"),
        ];
        let config = BrowserConfig::builder()
            .chrome_executable(chrome)
            .disable_default_args()
            .new_headless_mode()
            .no_sandbox()
            .window_size(1280, 900)
            .viewport(None)
            .user_data_dir(profile.path())
            .launch_timeout(Duration::from_secs(30))
            .request_timeout(Duration::from_secs(20))
            .args(args)
            .build()?;
        let (browser, mut handler) = Browser::launch(config).await.map_err(|e| e.to_string())?;
        let handler = tokio::spawn(async move { while handler.next().await.is_some() {} });
        Ok(ExtBrowser {
            browser,
            handler,
            _profile: profile,
        })
    }

    pub fn ext_url(path: &str) -> String {
        format!("chrome-extension://{EXTENSION_ID}/{path}")
    }

    /// A page of the extension (it can call the worker and read the extension's storage).
    ///
    /// chromiumoxide has every page session auto-attach to related targets and hold them at
    /// start until it resumes them; the extension's service worker is related to the
    /// extension's pages, and a worker (re)started that way was at times never resumed (a test
    /// artefact: it hung every later event). The extension pages here turn auto-attach off.
    pub async fn ext_page(&self) -> Result<Page> {
        let page = self
            .browser
            .new_page("about:blank")
            .await
            .map_err(|e| e.to_string())?;
        page.execute(SetAutoAttachParams::new(false, false))
            .await
            .map_err(|e| e.to_string())?;
        let url = Self::ext_url("options.html");
        page.goto(url.as_str())
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        wait_for(Duration::from_secs(10), || async {
            eval_json(&page, "typeof chrome.runtime.sendMessage === 'function'")
                .await
                .ok()
                .filter(|v| v == &serde_json::Value::Bool(true))
        })
        .await
        .ok_or("the extension's options page did not load (is the extension loaded?)")?;
        Ok(page)
    }

    pub async fn open(&self, url: &str) -> Result<Page> {
        let page = self
            .browser
            .new_page("about:blank")
            .await
            .map_err(|e| e.to_string())?;
        page.goto(url).await.map_err(|e| format!("{url}: {e}"))?;
        Ok(page)
    }

    /// Targets whose URL starts with `prefix`.
    pub async fn targets(
        &self,
        prefix: &str,
    ) -> Result<Vec<chromiumoxide::cdp::browser_protocol::target::TargetInfo>> {
        // Target.getTargets itself: chromiumoxide's fetch_targets re-attaches every target,
        // which orphans the pages this test holds.
        let all = self
            .browser
            .execute(GetTargetsParams::default())
            .await
            .map_err(|e| e.to_string())?;
        Ok(all
            .result
            .target_infos
            .into_iter()
            .filter(|t| t.url.starts_with(prefix))
            .collect())
    }

    /// Let Chromium stop the extension's idle service worker, as MV3 does after about 30 s
    /// without events: close every page and wait until the worker's target is gone. (A forced
    /// stop through DevTools, `ServiceWorker.stopAllWorkers`, sometimes left the extension's
    /// worker unreachable afterwards, which is not what users meet.)
    pub async fn wait_for_idle_stop(&self) -> Result<Duration> {
        let started = Instant::now();
        // One blank tab stays: a browser with no tab left at all did not start the worker
        // again for the next message (headless Chromium 156).
        let keep = self
            .browser
            .new_page("about:blank")
            .await
            .map_err(|e| e.to_string())?;
        let keep_id = keep.target_id().clone();
        let pages = self.browser.pages().await.map_err(|e| e.to_string())?;
        for p in pages {
            if p.target_id() != &keep_id {
                let _ = p.close().await;
            }
        }
        // Tabs the extension opened itself (warnings) are not pages chromiumoxide holds.
        for t in self.targets("chrome-extension://").await? {
            if t.r#type == "page" {
                let _ = self
                    .browser
                    .execute(
                        chromiumoxide::cdp::browser_protocol::target::CloseTargetParams::new(
                            t.target_id,
                        ),
                    )
                    .await;
            }
        }
        let worker = Self::ext_url("background.js");
        wait_for(Duration::from_secs(90), || async {
            self.targets(&worker)
                .await
                .ok()
                .filter(|t| t.iter().all(|t| t.r#type != "service_worker"))
        })
        .await
        .ok_or("the idle worker was not stopped within 90 s")?;
        Ok(started.elapsed())
    }

    pub async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        self.handler.abort();
    }
}

/// Evaluate `expr` (awaiting a promise) and return its JSON value.
pub async fn eval_json(page: &Page, expr: &str) -> Result<serde_json::Value> {
    let r = page.evaluate(expr).await.map_err(|e| e.to_string())?;
    Ok(r.value().cloned().unwrap_or(serde_json::Value::Null))
}

/// Ask the worker from an extension page. A message sent while Chromium is still stopping a
/// worker (right after `stop_worker`) can go unanswered: each try waits 5 s, three tries.
pub async fn ask_worker(ext: &Page, message: serde_json::Value) -> Result<serde_json::Value> {
    let expr = format!("chrome.runtime.sendMessage({message})");
    let mut last = String::new();
    for _ in 0..3 {
        match tokio::time::timeout(Duration::from_secs(5), eval_json(ext, &expr)).await {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(e)) => last = e,
            Err(_) => last = "no answer in 5 s".into(),
        }
    }
    Err(format!("the worker did not answer {message}: {last}"))
}

/// Poll `probe` every 100 ms until it gives `Some`, or `limit` passes.
pub async fn wait_for<T, F, Fut>(limit: Duration, mut probe: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = probe().await {
            return Some(v);
        }
        if start.elapsed() > limit {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The whole DOM of a page, through shadow roots (closed ones too) and same-process frames,
/// as JSON text.
pub async fn pierced_dom(page: &Page) -> Result<String> {
    let doc = page
        .execute(GetDocumentParams::builder().depth(-1).pierce(true).build())
        .await
        .map_err(|e| e.to_string())?;
    serde_json::to_string(&doc.result.root).map_err(|e| e.to_string())
}

/// How many warning banners the page holds (in any frame).
pub async fn banners(page: &Page) -> Result<usize> {
    Ok(pierced_dom(page)
        .await?
        .matches("\"localName\":\"phishprobe-warning\"")
        .count())
}

/// Type `text` key by key into whatever has the focus (any frame).
pub async fn type_keys(page: &Page, text: &str) -> Result<()> {
    for c in text.chars() {
        let s = c.to_string();
        for kind in [DispatchKeyEventType::KeyDown, DispatchKeyEventType::KeyUp] {
            let mut b = DispatchKeyEventParams::builder().r#type(kind.clone());
            if kind == DispatchKeyEventType::KeyDown {
                b = b.text(s.clone());
            }
            page.execute(b.build().map_err(|e| e.to_string())?)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Click the element `selector` of the top document, then type `text`.
pub async fn type_into(page: &Page, selector: &str, text: &str) -> Result<()> {
    page.find_element(selector)
        .await
        .map_err(|e| format!("{selector}: {e}"))?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    type_keys(page, text).await
}

/// Click at a point of the viewport (to focus a field inside a frame), then type `text`.
pub async fn type_at(page: &Page, x: f64, y: f64, text: &str) -> Result<()> {
    page.click(Point { x, y })
        .await
        .map_err(|e| e.to_string())?;
    type_keys(page, text).await
}
