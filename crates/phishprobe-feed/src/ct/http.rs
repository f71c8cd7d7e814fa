//! Bounded HTTP GETs: timeouts, a few same-host redirects, bodies read in chunks and cut at
//! a limit (also after gzip expansion, so a small bomb cannot become a large buffer).

use std::io::Read;
use std::sync::Once;

use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING};
use url::Url;

use super::CtLimits;
use super::error::CtError;

static PROVIDER: Once = Once::new();

/// One HTTP client for one log.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    base: Url,
}

/// A body, or the fact that the resource is not there (404), which callers handle
/// (partial tiles may have been replaced by full ones; API detection probes).
pub enum Body {
    /// 200 with this body.
    Found(Vec<u8>),
    /// 404.
    Missing,
}

impl Fetcher {
    /// A client for resources under `base` (which must end in `/`).
    pub fn new(base: Url, limits: &CtLimits) -> Result<Fetcher, CtError> {
        PROVIDER.call_once(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        let host = base.host_str().map(str::to_string);
        let max_redirects = limits.max_redirects;
        // Logs move behind CDNs with a redirect or two; a redirect to another host is not
        // the log we were pointed at.
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max_redirects {
                attempt.error("too many redirects")
            } else if attempt.url().host_str().map(str::to_string) != host {
                attempt.error("redirect to another host")
            } else {
                attempt.follow()
            }
        });
        let client = reqwest::Client::builder()
            .redirect(policy)
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.request_timeout)
            .user_agent(concat!("phishprobe-feed/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CtError::Http {
                url: base.to_string(),
                message: format!("HTTP client: {e}"),
            })?;
        Ok(Fetcher { client, base })
    }

    /// The base URL.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// GETs `path` (relative to the base) with at most `limit` body bytes.
    pub async fn get(&self, path: &str, limit: usize) -> Result<Body, CtError> {
        let url = self.base.join(path).map_err(|e| CtError::BadUrl {
            url: format!("{}{path}", self.base),
            reason: e.to_string(),
        })?;
        let shown = url.to_string();
        let http = |e: reqwest::Error| CtError::Http {
            url: shown.clone(),
            message: e.to_string(),
        };
        let mut resp = self
            .client
            .get(url.clone())
            .header(ACCEPT_ENCODING, "gzip, identity")
            .send()
            .await
            .map_err(http)?;
        let status = resp.status().as_u16();
        if status == 404 {
            return Ok(Body::Missing);
        }
        if status != 200 {
            return Err(CtError::Status { url: shown, status });
        }
        let too_large = || CtError::TooLarge {
            url: shown.clone(),
            limit,
        };
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let gzip = resp
            .headers()
            .get(CONTENT_ENCODING)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(http)? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        if gzip {
            let mut out = Vec::new();
            let mut dec = flate2::read::GzDecoder::new(&body[..]).take(limit as u64 + 1);
            dec.read_to_end(&mut out).map_err(|e| CtError::Http {
                url: shown.clone(),
                message: format!("gzip body: {e}"),
            })?;
            if out.len() > limit {
                return Err(too_large());
            }
            body = out;
        }
        Ok(Body::Found(body))
    }

    /// Like [`Fetcher::get`], but a 404 is an error.
    pub async fn get_found(&self, path: &str, limit: usize) -> Result<Vec<u8>, CtError> {
        match self.get(path, limit).await? {
            Body::Found(b) => Ok(b),
            Body::Missing => Err(CtError::Status {
                url: format!("{}{path}", self.base),
                status: 404,
            }),
        }
    }
}
