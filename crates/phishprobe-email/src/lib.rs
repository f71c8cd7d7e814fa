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

#![warn(missing_docs)]

pub mod analyze;
pub mod attach;
pub mod auth;
pub mod bodytext;
pub mod cues;
pub mod data;
pub mod engine_handle;
pub mod html;
mod linktext;
pub mod mbox;
pub mod normalize;
pub mod verify;

use phishprobe_core::{Engine, Finding, Message, Report, Severity, Verdict};
use serde::Serialize;

pub use analyze::EmailChecker;
pub use data::EmailData;
pub use engine_handle::EngineHandle;

/// A finding with its message in English and Chinese.
pub(crate) fn finding(
    code: &str,
    sev: Severity,
    en: impl Into<String>,
    zh: impl Into<String>,
    ev: impl Into<String>,
) -> Finding {
    Finding::new(code, sev, Message::new(en, zh), ev)
}

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
    /// Display name of the From address.
    pub from_name: String,
    /// The From address.
    pub from_address: String,
    /// Domain of the From address, lowercase.
    pub from_domain: String,
    /// Number of mailboxes in From (more than one is unusual).
    pub from_count: usize,
    /// The Sender address.
    pub sender: String,
    /// The Reply-To address.
    pub reply_to: String,
    /// The Return-Path (envelope sender).
    pub return_path: String,
    /// The From line with invisible and look-alike characters marked, when it has any.
    pub marked: Option<String>,
    /// The subject.
    pub subject: String,
}

/// Where a link was found in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkSource {
    /// An HTML anchor (`<a href>`, `<area href>`).
    Href,
    /// A URL written in the text.
    Text,
    /// Where an HTML form sends what is typed.
    Form,
    /// An embedded frame or object.
    Iframe,
    /// An image source (loads by itself; not something a person clicks).
    Img,
    /// An HTML or script redirect.
    Redirect,
    /// A QR code in an attached or inline image.
    Qr,
    /// A link action in an attached PDF.
    Pdf,
    /// A link in another attached document (RTF).
    Attachment,
}

impl LinkSource {
    /// The name used in JSON and tables (`href`, `text`, `qr`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            LinkSource::Href => "href",
            LinkSource::Text => "text",
            LinkSource::Form => "form",
            LinkSource::Iframe => "iframe",
            LinkSource::Img => "img",
            LinkSource::Redirect => "redirect",
            LinkSource::Qr => "qr",
            LinkSource::Pdf => "pdf",
            LinkSource::Attachment => "attachment",
        }
    }
}

impl std::fmt::Display for LinkSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl PartialEq<&str> for LinkSource {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// One checked link.
#[derive(Debug, Clone, Serialize)]
pub struct LinkInfo {
    /// The link, cut to 500 bytes.
    pub url: String,
    /// Where it came from.
    pub source: LinkSource,
    /// Text the reader sees for the link (HTML anchors).
    pub shown: String,
    /// The URL analysis's verdict.
    pub verdict: Verdict,
    /// The brand the URL analysis names.
    pub brand: Option<String>,
    /// One-line reason from the URL analysis.
    pub reason: String,
    /// The URL analysis itself (not serialised): its input is the link as checked, which is
    /// [`LinkInfo::url`] unless the link was longer than 500 bytes.
    #[serde(skip)]
    pub report: Report,
}

/// One attachment.
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentInfo {
    /// File name as given (cut to 200 bytes).
    pub name: String,
    /// MIME type, lowercase.
    pub content_type: String,
    /// Size in bytes (decoded).
    pub size: usize,
    /// What the file is, from its name and content type.
    pub kind: attach::FileKind,
    /// Archive members, QR texts or PDF links found inside.
    pub inside: Vec<String>,
}

/// Brand claimed, and where.
#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    /// Brand id (profile id, or the imitated brand's name).
    pub brand: String,
    /// Where the strongest claim is: `from_name`, `subject`, `html_title`, `body`, ...
    pub place: String,
    /// The text that claims it.
    pub evidence: String,
    /// Whether the brand name was disguised (look-alike letters, invisible characters).
    pub disguised: bool,
}

/// What the tables in readable output and the extra JSON fields show.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Details {
    /// The sender identity.
    pub sender: Sender,
    /// Authentication results, when the message has them (or `--verify-auth` made them).
    pub authentication: Option<auth::AuthSummary>,
    /// Brands the message claims, the reported one first.
    pub claims: Vec<Claim>,
    /// Checked links (at most 200).
    pub links: Vec<LinkInfo>,
    /// Attachments (at most 200).
    pub attachments: Vec<AttachmentInfo>,
    /// Parser notes: truncation, caps reached, undecodable parts.
    pub notes: Vec<String>,
    /// Characters of text the reader sees (plain and rendered HTML parts, links masked).
    pub text_chars: usize,
}

/// A verdict for one message, with the tables behind it.
#[derive(Debug, Clone)]
pub struct EmailReport {
    /// The verdict, brand, score and findings.
    pub report: Report,
    /// The tables behind it.
    pub details: Details,
}

/// Why a message got no verdict.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("not an email message: {0}")]
    /// The input is not an email (empty, or no header section).
    NotEmail(String),
    #[error("internal error while analysing the message (reported, batch continues): {0}")]
    /// A panic inside the parser, caught: the batch goes on.
    Internal(String),
}

/// Convenience: check one message with default options.
pub fn check_message(engine: &Engine, input: &str, raw: &[u8]) -> Result<EmailReport, EmailError> {
    EmailChecker::new(engine, Options::default()).check(input, raw)
}
