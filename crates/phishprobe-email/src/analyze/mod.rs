//! The email analysis: parse once, gather the sender identity, brand claims, authentication
//! results, links, attachments and text cues, then weigh them into one [`Report`].
//!
//! Weighing, in short (severity weights: low 10, medium 25, high 60, critical 100):
//! - the *sender identity* (From display name, Sender name, From local part) claiming a brand
//!   while the address is not one of the brand's sender domains is high: this is the
//!   impersonation itself. Subject, HTML title, logo alt text, letterhead and attachments claim
//!   less strongly (medium or low); a brand merely mentioned in a body (newsletters) claims
//!   nothing by itself;
//! - a sender domain the brand calls fake, a look-alike sender domain, or a free-mail sender
//!   claiming a brand is critical or high;
//! - authentication only helps when it is *aligned with the brand*: a DMARC/DKIM pass for the
//!   brand's own mail domain, on a brand sender address, is the only thing that vouches
//!   genuine; a pass for any other domain is shown but proves nothing; a DMARC fail for the
//!   brand's domain is high; a missing header is no signal at all;
//! - links go through the core URL analysis; a link whose shown text names the brand's host
//!   but goes elsewhere is high, other shown/actual mismatches are low (and nothing when the
//!   target is a known click tracker);
//! - text cues add up from low: a credential request together with an account threat is medium.
//!
//! The work is split by concern: [`parts`] walks the MIME tree, [`facts`] reads the message
//! facts once ([`facts::MessageFacts`]), then one step per concern weighs them into the
//! report: [`sender`], [`authentication`], [`links`], [`attachments`], [`body`].

mod attachments;
mod authentication;
mod body;
mod facts;
mod links;
mod parts;
mod sender;
mod util;

use std::collections::HashSet;

use mail_parser::{Message, MessageParser};
use phishprobe_core::ReportBuilder;
use phishprobe_core::text::{Boundary, TextRules, WordMatcher, fold};

use crate::auth::AuthSummary;
use crate::cues::Lures;
use crate::data::{EmailData, ExtraBrand};
use crate::engine_handle::EngineHandle;
use crate::linktext::BrandNames;
use crate::normalize::mark_non_ascii;
use crate::{Claim, Details, EmailError, EmailReport, Options, Sender};
use facts::BrandRef;
use parts::MimeContent;
use phishprobe_core::text::contains_word;
use util::reg;

pub use util::{domain_of, host_of, text_urls};

/// Bytes of body text (plain parts, then rendered HTML) read for brand claims, lures and the
/// core text analysis. Phishing mail is short and says what it wants at the top; a long
/// newsletter's 64th kilobyte changes no verdict, only the cost. (Links are collected from
/// the whole part, up to `Options::max_part_bytes`.)
const BODY_MAX: usize = 64 * 1024;
/// Bytes of an HTML attachment's text read for brand claims and lures.
const PAGE_TEXT_MAX: usize = 16 * 1024;
/// Characters of visible text under which a message "says nothing" (a greeting and a name).
const ATTACHMENT_ONLY_TEXT: usize = 80;

/// Reusable checker: build once (it compiles the phrase automata), share across threads.
pub struct EmailChecker<'e> {
    engine: EngineHandle<'e>,
    opts: Options,
    lures: Lures,
    /// The core's text patterns (`data/patterns/*.toml`), run on the message text.
    text_rules: Option<TextRules>,
    /// Core's word matcher over `brand_words` (same order), with mail's word boundaries.
    brand_matcher: WordMatcher,
    brand_words: Vec<(BrandRef, String)>,
    /// The profiles' names as word sequences, for link texts that are a brand's name.
    brand_names: BrandNames,
    extras: Vec<ExtraBrand>,
    freemail: HashSet<String>,
    /// The MIME parser, set up once: see [`message_parser`].
    parser: MessageParser,
}

/// mail-parser's own header choice, less the structured parsing of headers nothing here reads
/// (`Received`, `Date`, message ids, `List-*`): they are kept as raw text, which is all that
/// the authentication and verification code looks at. Parsing the trace headers' structure
/// was a few per cent of the cost of a message.
fn message_parser() -> MessageParser {
    use mail_parser::HeaderName as H;
    MessageParser::new()
        .header_text(H::Subject)
        .header_text(H::Comments)
        .header_text(H::ContentDescription)
        .header_text(H::ContentLocation)
        .header_text(H::ContentTransferEncoding)
        .with_address_headers()
        .header_id(H::ReturnPath)
        .header_id(H::ContentId)
        .header_comma_separated(H::Keywords)
        .header_comma_separated(H::ContentLanguage)
        .header_content_type(H::ContentType)
        .header_content_type(H::ContentDisposition)
}

impl<'e> EmailChecker<'e> {
    /// A checker over `engine`'s brand profiles, with the embedded text patterns and email
    /// data. `engine` is borrowed (`&Engine`) or shared (`Arc<Engine>`, for a checker that
    /// lives as long as a server).
    pub fn new(engine: impl Into<EngineHandle<'e>>, opts: Options) -> Self {
        Self::with_text_rules(engine, opts, TextRules::embedded().ok())
    }

    /// With text patterns the caller already built (a case checker holds them too):
    /// compiling them is most of the cost of building a checker.
    pub fn with_text_rules(
        engine: impl Into<EngineHandle<'e>>,
        opts: Options,
        text_rules: Option<TextRules>,
    ) -> Self {
        Self::with_data(engine, opts, text_rules, EmailData::embedded())
    }

    /// With the email data files given too (`--brands DIR` with an `email/` folder).
    pub fn with_data(
        engine: impl Into<EngineHandle<'e>>,
        opts: Options,
        text_rules: Option<TextRules>,
        data: EmailData,
    ) -> Self {
        let engine = engine.into();
        let EmailData {
            extras,
            freemail,
            lures,
        } = data;
        let mut brand_words: Vec<(BrandRef, String)> = Vec::new();
        for (i, b) in engine.brands().iter().enumerate() {
            let mut ws: Vec<&str> = vec![b.name.as_str()];
            if !b.name_zh.is_empty() {
                ws.push(&b.name_zh);
            }
            ws.extend(b.words_en.iter().map(String::as_str));
            ws.extend(b.words_zh.iter().map(String::as_str));
            for w in ws {
                let f = fold(w).text;
                if f.chars().count() >= 3
                    && !brand_words
                        .iter()
                        .any(|(r, x)| *r == BrandRef::Profile(i) && *x == f)
                {
                    brand_words.push((BrandRef::Profile(i), f));
                }
            }
        }
        for (i, e) in extras.iter().enumerate() {
            for n in &e.names {
                let f = fold(n).text;
                // A profile brand with the same word wins.
                if f.len() >= 3 && !brand_words.iter().any(|(_, x)| *x == f) {
                    brand_words.push((BrandRef::Extra(i), f));
                }
            }
        }
        let brand_matcher = WordMatcher::with_dfa(
            brand_words.iter().map(|(_, w)| w.as_str()),
            Boundary::Alphanumeric,
        );
        let brand_names = BrandNames::new(brand_words.iter().filter_map(|(r, w)| match r {
            BrandRef::Profile(i) => Some((*i, w.as_str())),
            BrandRef::Extra(_) => None,
        }));
        EmailChecker {
            engine,
            opts,
            lures,
            text_rules,
            brand_matcher,
            brand_words,
            brand_names,
            extras,
            freemail,
            parser: message_parser(),
        }
    }

    /// The options the checker was built with.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// Whether `domain` (or its registered domain) is a free-mail provider's.
    pub fn is_freemail(&self, domain: &str) -> bool {
        self.freemail.contains(domain)
            || reg(domain) != domain && self.freemail.contains(&reg(domain))
    }

    fn brand_id(&self, r: BrandRef) -> String {
        match r {
            BrandRef::Profile(i) => self
                .engine
                .brand(i)
                .map(|b| b.id.clone())
                .unwrap_or_default(),
            BrandRef::Extra(i) => self
                .extras
                .get(i)
                .and_then(|e| e.names.first())
                .map(|n| n.replace(' ', "_"))
                .unwrap_or_default(),
        }
    }

    fn brand_name(&self, r: BrandRef) -> String {
        match r {
            BrandRef::Profile(i) => self
                .engine
                .brand(i)
                .map(|b| b.name.clone())
                .unwrap_or_default(),
            BrandRef::Extra(i) => self
                .extras
                .get(i)
                .and_then(|e| e.names.first())
                .cloned()
                .unwrap_or_default(),
        }
    }

    /// Whether `domain` is one of an imitated brand's own (its registered name carries a listed label).
    fn extra_domain(&self, i: usize, domain: &str) -> bool {
        if domain.is_empty() {
            return false;
        }
        let rd = reg(domain);
        let label = rd.split('.').next().unwrap_or("");
        self.extras.get(i).is_some_and(|e| {
            e.domains.iter().any(|d| {
                label.contains(d.as_str()) || rd == *d || domain.split('.').any(|l| l == d)
            })
        })
    }

    /// Brands named in `text` with how often (capped at 10), at word boundaries.
    fn brand_counts(&self, folded: &str, max: usize) -> Vec<(BrandRef, String, usize)> {
        let mut out: Vec<(BrandRef, String, usize)> = Vec::new();
        for m in self.brand_matcher.find_iter(folded) {
            let Some((r, w)) = self.brand_words.get(m.word) else {
                continue;
            };
            if !self.brand_matcher.at_boundary(folded, &m) {
                continue;
            }
            if let Some(e) = out.iter_mut().find(|(x, _, _)| x == r) {
                e.2 = (e.2 + 1).min(10);
            } else if out.len() < max {
                out.push((*r, w.clone(), 1));
            }
        }
        out
    }

    /// Brands named in `text` at word boundaries (folded matching).
    fn brands_in(&self, folded: &str, max: usize) -> Vec<(BrandRef, String)> {
        let mut out: Vec<(BrandRef, String)> = Vec::new();
        for m in self.brand_matcher.find_iter(folded) {
            let Some((r, w)) = self.brand_words.get(m.word) else {
                continue;
            };
            if out.iter().any(|(x, _)| x == r) {
                continue;
            }
            let s = m.start.saturating_sub(4);
            let e = (m.end + 4).min(folded.len());
            let mut s2 = s;
            while s2 > 0 && !folded.is_char_boundary(s2) {
                s2 -= 1;
            }
            let mut e2 = e;
            while e2 < folded.len() && !folded.is_char_boundary(e2) {
                e2 += 1;
            }
            if contains_word(&folded[s2..e2], w) {
                out.push((*r, w.clone()));
                if out.len() >= max {
                    break;
                }
            }
        }
        out
    }

    /// Check one raw message. Never panics: a panic inside the parser is caught and returned
    /// as [`EmailError::Internal`] so a batch continues.
    pub fn check(&self, input: &str, raw: &[u8]) -> Result<EmailReport, EmailError> {
        self.check_with(input, raw, None)
    }

    /// Like [`EmailChecker::check`], but the authentication results come from verifying the
    /// message's DKIM signatures, SPF, DMARC and ARC with `verifier` (`--verify-auth`), not
    /// from its Authentication-Results headers.
    pub fn check_verified(
        &self,
        input: &str,
        raw: &[u8],
        verifier: &crate::verify::Verifier,
    ) -> Result<EmailReport, EmailError> {
        let cut_raw = &raw[..raw.len().min(self.opts.max_message_bytes)];
        let verified =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| verifier.verify(cut_raw)))
                .ok()
                .flatten();
        let none = verified.is_none();
        let mut r = self.check_with(input, raw, verified);
        if none && let Ok(rep) = r.as_mut() {
            rep.details.notes.push(
                "--verify-auth: the headers could not be read for verification; the Authentication-Results headers were used instead".into(),
            );
        }
        r
    }

    fn check_with(
        &self,
        input: &str,
        raw: &[u8],
        verified: Option<AuthSummary>,
    ) -> Result<EmailReport, EmailError> {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.check_inner(input, raw, verified)
        }));
        match r {
            Ok(r) => r,
            Err(p) => {
                let what = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".into());
                Err(EmailError::Internal(what))
            }
        }
    }

    fn check_inner(
        &self,
        input: &str,
        raw: &[u8],
        verified: Option<AuthSummary>,
    ) -> Result<EmailReport, EmailError> {
        let mut notes = Vec::new();
        let raw = if raw.len() > self.opts.max_message_bytes {
            notes.push(format!(
                "message is {} bytes; only the first {} were analysed",
                raw.len(),
                self.opts.max_message_bytes
            ));
            &raw[..self.opts.max_message_bytes]
        } else {
            raw
        };
        if raw.iter().take(64 * 1024).all(|b| b.is_ascii_whitespace()) {
            return Err(EmailError::NotEmail("the input is empty".into()));
        }
        let Some(message) = self.parser.parse(raw) else {
            return Err(EmailError::NotEmail(
                "no header section could be parsed".into(),
            ));
        };
        let has_headers = message.from().is_some()
            || message.subject().is_some()
            || message.headers().iter().any(|h| {
                matches!(
                    h.name(),
                    "Received" | "Content-Type" | "Message-ID" | "To" | "Date" | "MIME-Version"
                )
            });
        if !has_headers {
            return Err(EmailError::NotEmail(
                "no From, Subject, Date, To, Received or Content-Type header: this does not look like an email"
                    .into(),
            ));
        }
        let mut g = MimeContent {
            notes,
            ..Default::default()
        };
        self.gather(&message, 0, &mut g);
        g.verified = verified;
        Ok(self.weigh(input, &message, g))
    }

    /// Weigh everything into the report: the facts first, then one step per concern, in
    /// the order their findings are reported.
    fn weigh(&self, input: &str, m: &Message<'_>, g: MimeContent) -> EmailReport {
        let mut f = self.message_facts(m, g);
        let mut b = ReportBuilder::new(input);
        let mut details = Details::default();
        self.weigh_text_marks(&f, &mut b);
        let sender = self.weigh_sender(&f, &mut b);
        details.authentication = self.weigh_authentication(&mut f, &mut b, &sender);
        let link_summary = self.weigh_all_links(&mut f, &mut b, &mut details, &sender);
        self.weigh_forms_and_pages(&f, &mut b);
        self.weigh_attachments(&f, &mut b, sender.brand_sender);
        self.weigh_body(&f, &mut b, sender.brand_sender, link_summary);
        details.sender = Sender {
            from_name: f.from_name.clone(),
            from_address: f.from_address.clone(),
            from_domain: f.from_domain.clone(),
            from_count: f.from_count,
            sender: f.sender_addr.clone(),
            reply_to: f.reply_addr.clone(),
            return_path: f.return_path.clone(),
            marked: mark_non_ascii(&format!("{} <{}>", f.from_name, f.from_address)),
            subject: f.subject.clone(),
        };
        details.claims = f
            .claims
            .iter()
            .map(|c| Claim {
                brand: self.brand_id(c.brand),
                place: c.place.to_string(),
                evidence: c.evidence.clone(),
                disguised: c.disguised,
            })
            .collect();
        details.attachments = f.parts.attachments;
        details.notes = f.parts.notes;
        details.text_chars = f.text_chars;
        // Genuine only with an aligned authentication pass on a brand sender address and
        // nothing against it (the builder keeps risk findings above vouching).
        let report = b.build();
        EmailReport { report, details }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_lures_load() {
        let hits = EmailData::embedded().lures.find("verify your account");
        assert!(hits.has(crate::cues::Lure::Credential));
    }
}
