//! # phishprobe-email
//!
//! Email verdicts: who claims to send a message, whether the sender and the receiving server's
//! authentication results belong to the brand it claims, where its links go, what its
//! attachments are, and what its text asks for. The result is the shared verdict model
//! ([`phishprobe_core::Report`]) plus [`Details`] for tables (sender, authentication, links,
//! attachments).
//!
//! Start with [`EmailChecker::new`] and [`EmailChecker::check`]; [`mbox::MboxReader`] streams
//! mbox files. Nothing here does I/O or networking except the optional `verify-auth` feature.
//!
//! Signals that separate test corpora for the wrong reason are deliberately never used: the
//! recipient address, the message date/age, and a *missing* authentication header.

pub mod analyze;
pub mod attach;
pub mod auth;
pub mod bodytext;
pub mod cues;
pub mod html;
mod linktext;
pub mod mbox;
pub mod normalize;
pub mod verify;

use phishprobe_core::{Engine, Report};
use serde::Serialize;

pub use analyze::EmailChecker;

/// Limits that keep one message's cost bounded whatever it contains.
#[derive(Debug, Clone)]
pub struct Options {
    /// Trust Authentication-Results from this authserv-id only; `None`: the topmost header's.
    pub authserv_id: Option<String>,
    /// Bytes of each text or HTML part analysed.
    pub max_part_bytes: usize,
    /// MIME parts analysed per message (nested messages included).
    pub max_parts: usize,
    /// Depth of nested message/rfc822 parts followed.
    pub max_depth: usize,
    /// Distinct URLs sent through URL analysis per message.
    pub max_urls: usize,
    /// Images decoded for QR codes per message (0 turns QR decoding off).
    pub max_qr_images: usize,
    /// Messages longer than this are cut before parsing (the verdict says so).
    pub max_message_bytes: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            authserv_id: None,
            max_part_bytes: 1 << 20,
            max_parts: 2_000,
            max_depth: 8,
            max_urls: 80,
            max_qr_images: 4,
            max_message_bytes: 64 << 20,
        }
    }
}

/// The sender identity as the message states it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Sender {
    pub from_name: String,
    pub from_address: String,
    pub from_domain: String,
    /// Number of mailboxes in From (more than one is unusual).
    pub from_count: usize,
    pub sender: String,
    pub reply_to: String,
    pub return_path: String,
    /// The From line with invisible and look-alike characters marked, when it has any.
    pub marked: Option<String>,
    pub subject: String,
}

/// One checked link.
#[derive(Debug, Clone, Serialize)]
pub struct LinkInfo {
    pub url: String,
    /// Where it came from: `href`, `text`, `form`, `iframe`, `img`, `redirect`, `qr`, `pdf`, `attachment`.
    pub source: String,
    /// Text the reader sees for the link (HTML anchors).
    pub shown: String,
    pub verdict: String,
    pub brand: Option<String>,
    /// One-line reason from the URL analysis.
    pub reason: String,
}

/// One attachment.
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentInfo {
    pub name: String,
    pub content_type: String,
    pub size: usize,
    pub kind: String,
    /// Archive members, QR texts or PDF links found inside.
    pub inside: Vec<String>,
}

/// Brand claimed, and where.
#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    pub brand: String,
    pub place: String,
    pub evidence: String,
    /// Whether the brand name was disguised (look-alike letters, invisible characters).
    pub disguised: bool,
}

/// What the tables in readable output and the extra JSON fields show.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Details {
    pub sender: Sender,
    pub authentication: Option<auth::AuthSummary>,
    pub claims: Vec<Claim>,
    pub links: Vec<LinkInfo>,
    pub attachments: Vec<AttachmentInfo>,
    /// Parser notes: truncation, caps reached, undecodable parts.
    pub notes: Vec<String>,
    /// Characters of text the reader sees (plain and rendered HTML parts, links masked).
    pub text_chars: usize,
}

/// A verdict for one message, with the tables behind it.
#[derive(Debug, Clone)]
pub struct EmailReport {
    pub report: Report,
    pub details: Details,
}

/// Why a message got no verdict.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("not an email message: {0}")]
    NotEmail(String),
    #[error("internal error while analysing the message (reported, batch continues): {0}")]
    Internal(String),
}

/// Convenience: check one message with default options.
pub fn check_message(engine: &Engine, input: &str, raw: &[u8]) -> Result<EmailReport, EmailError> {
    EmailChecker::new(engine, Options::default()).check(input, raw)
}
