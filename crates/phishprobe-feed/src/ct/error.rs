//! Why reading a CT log failed: every variant names the resource so an operator can look.

use thiserror::Error;

/// A failure to read or to trust a Certificate Transparency log.
///
/// [`CtError::Mismatch`] is the one that matters most: the log served data that does not
/// hash to what it signed, and the feed must refuse the log rather than trust its entries.
#[derive(Debug, Error)]
pub enum CtError {
    /// The base URL is not an absolute `http(s)` URL.
    #[error("bad CT log URL {url}: {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The request failed below HTTP (connect, TLS, timeout, broken body).
    #[error("fetching {url}: {message}")]
    Http {
        /// The resource being fetched.
        url: String,
        /// The transport error.
        message: String,
    },
    /// The server answered with a status other than 200 (404 included).
    #[error("fetching {url}: HTTP status {status}")]
    Status {
        /// The resource being fetched.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// A body (or its gzip expansion) went over the size limit; reading stopped there.
    #[error("{url}: body larger than the limit of {limit} bytes")]
    TooLarge {
        /// The resource being fetched.
        url: String,
        /// The limit that was hit.
        limit: usize,
    },
    /// The bytes do not follow the format (truncated, wrong length prefixes, trailing bytes).
    #[error("malformed {what} at byte {offset}: {reason}")]
    Malformed {
        /// The resource (tile path, checkpoint, get-entries entry).
        what: String,
        /// Byte offset in that resource where parsing stopped.
        offset: usize,
        /// What was expected there.
        reason: String,
    },
    /// Hashes disagree: the log's data does not match what it committed to.
    #[error("CT log verification failed: {what}")]
    Mismatch {
        /// Which hashes disagree, and where.
        what: String,
    },
    /// A value outside the configured limits or the tree (tree size cap, start past the end).
    #[error("out of limits: {0}")]
    Limit(String),
    /// Neither `/checkpoint` nor `/ct/v1/get-sth` answered.
    #[error("{url} speaks neither the Static CT API nor RFC 6962: {reason}")]
    UnknownApi {
        /// The base URL.
        url: String,
        /// What the probes answered.
        reason: String,
    },
}

/// Shorthand for a [`CtError::Malformed`].
pub(crate) fn malformed(what: &str, offset: usize, reason: impl Into<String>) -> CtError {
    CtError::Malformed {
        what: what.to_string(),
        offset,
        reason: reason.into(),
    }
}
