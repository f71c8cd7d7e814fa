//! Certificate Transparency log reader: the newest certificates name tomorrow's phishing hosts.
//!
//! Two read APIs are spoken. The Static CT API (c2sp.org/static-ct-api) serves a signed
//! checkpoint plus hash and data tiles; every batch is checked end to end — each entry's
//! leaf hash against the level-0 hash tile, that tile up the tile levels, and the tree head
//! recomputed from the partial tiles against the checkpoint root. RFC 6962 logs serve
//! `get-sth` and `get-entries`; their root can only be checked by hashing every entry from
//! index 0, which [`CtLog`] does as a reader walks the log in order ([`RootCheck`] says how far
//! a batch got). Any disagreement is [`CtError::Mismatch`]: the log is refused, not trusted.
//!
//! Checkpoint and STH signatures are not verified (no log keys are configured yet).
//!
//! Which API a log speaks: a `#static` or `#rfc6962` fragment on the base URL says it;
//! without one, [`CtLog::checkpoint`] asks for `<base>/checkpoint` and, on 404, for
//! `<base>/ct/v1/get-sth`. The returned [`Checkpoint`] records the API, and
//! [`CtLog::read_batch`] reads with the API of the checkpoint it is given.

mod checkpoint;
mod error;
mod http;
pub mod merkle;
mod names;
mod rfc6962;
pub mod serve;
pub mod tile;
mod tiled;
pub mod write;

use std::sync::Mutex;
use std::time::Duration;

use url::Url;

pub use checkpoint::{Checkpoint, CtApi};
pub use error::CtError;

use http::Fetcher;
use merkle::CompactRange;
use tile::Timestamped;

/// Limits on what a log may make the reader do. Hostile logs are expected.
#[derive(Debug, Clone)]
pub struct CtLimits {
    /// TCP and TLS connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout, body included.
    pub request_timeout: Duration,
    /// Largest tile or `get-entries` body (after gzip expansion).
    pub max_tile_bytes: usize,
    /// Largest checkpoint or `get-sth` body.
    pub max_checkpoint_bytes: usize,
    /// Largest believable tree size; bigger checkpoints are refused.
    pub max_tree_size: u64,
    /// Names kept per certificate; the rest are counted in [`CtEntry::dropped_names`].
    pub max_names_per_cert: usize,
    /// Same-host redirects followed per request.
    pub max_redirects: usize,
}

impl Default for CtLimits {
    fn default() -> CtLimits {
        CtLimits {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_tile_bytes: 64 << 20,
            max_checkpoint_bytes: 64 << 10,
            // 2^40 entries: the largest logs hold a few billion; the spec's tile levels
            // (0 to 5) end at 2^48.
            max_tree_size: 1 << 40,
            max_names_per_cert: 1000,
            max_redirects: 3,
        }
    }
}

/// How far a batch's entries are tied to the tree head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootCheck {
    /// The entries are proven to hash to the checkpoint's root (Static CT: every batch;
    /// RFC 6962: the batch that reached the STH size after reading in order from 0).
    Verified,
    /// RFC 6962, read in order from 0: the root is checked when the reader reaches the
    /// tree size; until then the entries are unproven.
    Pending,
    /// RFC 6962, started after 0: the root cannot be checked without the earlier entries.
    NotVerified,
}

/// Entries read from a log in one request (at most one tile, 256 entries).
#[derive(Debug, Clone)]
pub struct CtBatch {
    /// Index of the first entry.
    pub start: u64,
    /// Index to ask for next (one past the last entry).
    pub next: u64,
    /// The entries, in index order.
    pub entries: Vec<CtEntry>,
    /// Whether the entries are proven to be in the tree the checkpoint describes.
    pub root: RootCheck,
}

/// One log entry's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtEntry {
    /// Index in the log.
    pub index: u64,
    /// Log timestamp, milliseconds since the epoch.
    pub timestamp: u64,
    /// Subject CNs and SAN dNSNames, raw, distinct, capped.
    pub names: Vec<String>,
    /// Names left out by the cap (or longer than any DNS name).
    pub dropped_names: usize,
    /// Why the certificate could not be read; the batch goes on without it.
    pub error: Option<String>,
}

impl CtEntry {
    fn from_logged(index: u64, logged: &Timestamped<'_>, limits: &CtLimits) -> CtEntry {
        let (names, dropped_names, error) =
            match names::names_of(logged.signed, limits.max_names_per_cert) {
                Ok(n) => (n.names, n.dropped, None),
                Err(e) => (Vec::new(), 0, Some(e)),
            };
        CtEntry {
            index,
            timestamp: logged.timestamp,
            names,
            dropped_names,
            error,
        }
    }
}

/// A CT log being read: base URL, HTTP client, limits.
#[derive(Debug)]
pub struct CtLog {
    fetcher: Fetcher,
    limits: CtLimits,
    api: Option<CtApi>,
    /// RFC 6962 only: leaf hashes folded from index 0, to check the STH root on arrival.
    range: Mutex<Option<CompactRange>>,
}

impl CtLog {
    /// A reader for the log at `base` (`https://host/prefix/`, optionally with `#static`
    /// or `#rfc6962` to skip API detection).
    pub fn new(base: &str, limits: CtLimits) -> Result<CtLog, CtError> {
        let bad = |reason: &str| CtError::BadUrl {
            url: base.to_string(),
            reason: reason.to_string(),
        };
        let mut url = Url::parse(base).map_err(|e| bad(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(bad("not an http(s) URL with a host"));
        }
        let api = match url.fragment() {
            None | Some("") => None,
            Some("static") => Some(CtApi::Static),
            Some("rfc6962") => Some(CtApi::Rfc6962),
            Some(_) => return Err(bad("fragment must be #static or #rfc6962")),
        };
        url.set_fragment(None);
        url.set_query(None);
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(CtLog {
            fetcher: Fetcher::new(url, &limits)?,
            limits,
            api,
            range: Mutex::new(None),
        })
    }

    /// The base URL (ending in `/`).
    pub fn base(&self) -> &str {
        self.fetcher.base().as_str()
    }

    /// The current tree head. For Static CT logs the root is verified against the hash
    /// tiles before it is returned; RFC 6962 roots are verified by reading (see [`RootCheck`]).
    pub async fn checkpoint(&self) -> Result<Checkpoint, CtError> {
        match self.api {
            Some(CtApi::Static) => tiled::checkpoint(&self.fetcher, &self.limits)
                .await?
                .ok_or_else(|| self.missing("checkpoint")),
            Some(CtApi::Rfc6962) => rfc6962::get_sth(&self.fetcher, &self.limits)
                .await?
                .ok_or_else(|| self.missing("ct/v1/get-sth")),
            None => {
                if let Some(cp) = tiled::checkpoint(&self.fetcher, &self.limits).await? {
                    return Ok(cp);
                }
                rfc6962::get_sth(&self.fetcher, &self.limits)
                    .await?
                    .ok_or_else(|| CtError::UnknownApi {
                        url: self.base().to_string(),
                        reason: "both checkpoint and ct/v1/get-sth are 404".to_string(),
                    })
            }
        }
    }

    /// Entries from `start` (< `checkpoint.size`) to the end of its 256-entry tile (or of
    /// the tree), each leaf hash verified. An entry whose certificate does not parse
    /// carries an error; a tile that does not parse or hash fails the whole batch.
    pub async fn read_batch(
        &self,
        start: u64,
        checkpoint: &Checkpoint,
    ) -> Result<CtBatch, CtError> {
        if start >= checkpoint.size {
            return Err(CtError::Limit(format!(
                "start {start} is not below the tree size {}",
                checkpoint.size
            )));
        }
        if checkpoint.size > self.limits.max_tree_size {
            return Err(CtError::Limit(format!(
                "tree size {} above the cap of {}",
                checkpoint.size, self.limits.max_tree_size
            )));
        }
        match checkpoint.api {
            CtApi::Static => {
                tiled::read_batch(&self.fetcher, &self.limits, start, checkpoint).await
            }
            CtApi::Rfc6962 => {
                rfc6962::read_batch(&self.fetcher, &self.limits, start, checkpoint, &self.range)
                    .await
            }
        }
    }

    fn missing(&self, path: &str) -> CtError {
        CtError::Status {
            url: format!("{}{path}", self.base()),
            status: 404,
        }
    }
}
