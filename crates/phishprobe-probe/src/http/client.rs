//! Fetching over plain HTTP: GET or POST with manual, bounded redirects (each hop re-checked for
//! private addresses), a body cap, and a minimal cookie jar.

use std::collections::HashMap;
use std::sync::Once;
use std::time::Duration;

use url::Url;

use crate::model::ProbeOptions;
use crate::safety;

/// Largest page body read.
const MAX_BODY: usize = 2 << 20;
/// Most redirects followed per request.
const MAX_REDIRECTS: usize = 10;
const UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

static PROVIDER: Once = Once::new();

/// A fetched page after redirects.
#[derive(Debug, Clone, Default)]
pub(super) struct Fetched {
    pub(super) url: String,
    pub(super) status: u16,
    /// Status of the first answer (before redirects): the answer to a decoy post.
    pub(super) first_status: u16,
    pub(super) html: String,
    pub(super) attachment: bool,
    pub(super) is_html: bool,
    /// Left for another origin during the redirects.
    pub(super) hops: Vec<String>,
    /// The last hop failed (unreachable): the URL it was going to.
    pub(super) failed_hop: Option<String>,
}

pub(super) struct Client {
    http: reqwest::Client,
    allow_private: bool,
    cookies: HashMap<String, Vec<(String, String)>>,
}

impl Client {
    pub(super) fn new(opts: &ProbeOptions) -> Result<Client, String> {
        PROVIDER.call_once(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT_LANGUAGE,
            reqwest::header::HeaderValue::from_static("en-US,en;q=0.9"),
        );
        headers.insert(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static(
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            ),
        );
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(opts.step_timeout)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(UA)
            .default_headers(headers)
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Client {
            http,
            allow_private: opts.allow_private,
            cookies: HashMap::new(),
        })
    }

    fn cookie_header(&self, url: &Url) -> Option<String> {
        let jar = self.cookies.get(url.host_str()?)?;
        (!jar.is_empty()).then(|| {
            jar.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    fn store_cookies(&mut self, url: &Url, resp: &reqwest::Response) {
        let Some(host) = url.host_str() else { return };
        let jar = self.cookies.entry(host.to_string()).or_default();
        for v in resp.headers().get_all(reqwest::header::SET_COOKIE) {
            let Ok(s) = v.to_str() else { continue };
            let first = s.split(';').next().unwrap_or("");
            if let Some((k, val)) = first.split_once('=') {
                let k = k.trim().to_string();
                jar.retain(|(n, _)| *n != k);
                if jar.len() < 50 {
                    jar.push((k, val.trim().to_string()));
                }
            }
        }
    }

    /// GET or POST with manual, bounded, re-checked redirects. `chain` gets every URL.
    pub(super) async fn fetch(
        &mut self,
        method: &str,
        url: &Url,
        body: Option<String>,
        chain: &mut Vec<String>,
    ) -> Result<Fetched, String> {
        let mut cur = url.clone();
        let mut method = method.to_string();
        let mut body = body;
        let mut out = Fetched::default();
        for hop in 0..=MAX_REDIRECTS {
            if hop == MAX_REDIRECTS {
                return Err(format!(
                    "more than {MAX_REDIRECTS} redirects (a redirect loop)"
                ));
            }
            if !matches!(cur.scheme(), "http" | "https") {
                return Err(format!("redirect to a {} address refused", cur.scheme()));
            }
            safety::check_target(&cur, self.allow_private).await?;
            if chain.len() < 100 {
                chain.push(cur.to_string());
            }
            let mut req = if method == "POST" {
                self.http
                    .post(cur.clone())
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .body(body.clone().unwrap_or_default())
            } else {
                self.http.get(cur.clone())
            };
            if let Some(c) = self.cookie_header(&cur) {
                req = req.header(reqwest::header::COOKIE, c);
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    if hop > 0 {
                        // The page sent us on and the next site did not answer (kits jump to
                        // the brand's real site; offline, that fails): record where it went.
                        out.failed_hop = Some(cur.to_string());
                        out.url = cur.to_string();
                        return Ok(out);
                    }
                    return Err(if e.is_timeout() {
                        "the page did not answer in time".to_string()
                    } else {
                        format!("the page did not load ({e})")
                    });
                }
            };
            self.store_cookies(&cur, &resp);
            let status = resp.status().as_u16();
            if hop == 0 {
                out.first_status = status;
            }
            if resp.status().is_redirection()
                && let Some(loc) = resp
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
            {
                let next = cur.join(loc).map_err(|e| format!("bad redirect: {e}"))?;
                out.hops.push(next.to_string());
                if status != 307 && status != 308 {
                    method = "GET".into();
                    body = None;
                }
                cur = next;
                continue;
            }
            out.url = cur.to_string();
            out.status = status;
            let ct = resp
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_ascii_lowercase();
            out.attachment = resp
                .headers()
                .get(reqwest::header::CONTENT_DISPOSITION)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.to_ascii_lowercase().starts_with("attachment"));
            out.is_html = ct.is_empty() || ct.contains("html");
            if out.attachment || !out.is_html {
                return Ok(out);
            }
            let mut resp = resp;
            let mut buf: Vec<u8> = Vec::new();
            loop {
                match resp.chunk().await {
                    Ok(Some(c)) => {
                        buf.extend_from_slice(&c);
                        if buf.len() >= MAX_BODY {
                            buf.truncate(MAX_BODY);
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        if buf.is_empty() {
                            return Err(if e.is_timeout() {
                                "the page did not finish loading in time".into()
                            } else {
                                format!("reading the page: {e}")
                            });
                        }
                        break;
                    }
                }
            }
            out.html = String::from_utf8_lossy(&buf).into_owned();
            return Ok(out);
        }
        Err("redirect loop".into())
    }
}
