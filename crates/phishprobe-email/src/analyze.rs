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

use std::collections::HashSet;

use aho_corasick::{AhoCorasick, MatchKind};
use mail_parser::{Address, HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use phishprobe_core::host::psl::registrable;
use phishprobe_core::text::TextRules;
use phishprobe_core::{
    DomainRole, Engine, Finding, Message as Msg, ReportBuilder, Severity, Verdict,
};
use serde::Deserialize;

use crate::attach::{self, FileKind};
use crate::auth::{self, AuthSummary};
use crate::bodytext::{self, LinkSummary, Signals};
use crate::cues::{self, Lure, Lures};
use crate::html::{self, HtmlDoc};
use crate::linktext::BrandNames;
use crate::normalize::{
    contains_word, fold, injected_junk, is_invisible, mark_non_ascii, strip_junk,
};
use crate::{AttachmentInfo, Claim, Details, EmailError, EmailReport, LinkInfo, Options, Sender};
use unicode_normalization::char::is_combining_mark;

/// Bytes of body text (plain parts, then rendered HTML) read for brand claims, lures and the
/// core text analysis. Phishing mail is short and says what it wants at the top; a long
/// newsletter's 64th kilobyte changes no verdict, only the cost. (Links are collected from
/// the whole part, up to `Options::max_part_bytes`.)
const BODY_MAX: usize = 64 * 1024;
/// Bytes of an HTML attachment's text read for brand claims and lures.
const PAGE_TEXT_MAX: usize = 16 * 1024;
/// Characters of visible text under which a message "says nothing" (a greeting and a name).
const ATTACHMENT_ONLY_TEXT: usize = 80;

/// How strongly a place in the message claims a brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Strength {
    /// Mentioned in the body: newsletters do this all the time.
    Weak,
    /// Subject only (newsletters and forwards do this too).
    Subject,
    /// Presents itself as the brand: title, logo alt text, letterhead, attachment.
    Presents,
    /// The sender identity itself: From/Sender display name, From local part.
    Identity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BrandRef {
    Profile(usize),
    Extra(usize),
}

#[derive(Debug, Deserialize)]
struct ExtraFile {
    brand: Vec<ExtraBrand>,
}

/// A commonly imitated brand without a full profile (data/impersonated.toml).
#[derive(Debug, Clone, Deserialize)]
struct ExtraBrand {
    names: Vec<String>,
    domains: Vec<String>,
}

#[derive(Deserialize)]
struct FreemailFile {
    domains: Vec<String>,
}

/// Reusable checker: build once (it compiles the phrase automata), share across threads.
pub struct EmailChecker<'e> {
    engine: &'e Engine,
    opts: Options,
    lures: Lures,
    /// The core's text patterns (`data/patterns/*.toml`), run on the message text.
    text_rules: Option<TextRules>,
    brand_ac: Option<AhoCorasick>,
    brand_words: Vec<(BrandRef, String)>,
    /// The profiles' names as word sequences, for link texts that are a brand's name.
    brand_names: BrandNames,
    extras: Vec<ExtraBrand>,
    freemail: HashSet<String>,
    /// The MIME parser, set up once: see [`message_parser`].
    parser: MessageParser,
}

struct ClaimAcc {
    brand: BrandRef,
    /// Evidence weight over all places (identity, presentation and subject 3 each, body
    /// mentions 1 each up to 3): the reported brand is the one the message is most about.
    score: u32,
    strength: Strength,
    place: &'static str,
    evidence: String,
    disguised: bool,
}

/// What the link weighing needs to know about the message.
struct LinkContext {
    /// The message claims a brand (identity, subject, presentation) or a brand was attributed.
    claimed: bool,
    /// The From domain is the brand's own (authenticated or not).
    brand_sender: bool,
    /// Registered domain of the From address.
    from_reg: String,
}

/// Everything gathered from the MIME tree before weighing.
#[derive(Default)]
struct Gathered {
    texts: Vec<String>,
    htmls: Vec<HtmlDoc>,
    /// HTML attachments (analysed like pages).
    pages: Vec<(String, HtmlDoc)>,
    links: Vec<(String, &'static str, String)>,
    attachments: Vec<AttachmentInfo>,
    attachment_texts: Vec<String>,
    notes: Vec<String>,
    parts_seen: usize,
    qr_done: usize,
    dangerous: Vec<String>,
    pdf_active: Vec<String>,
    /// Text of document attachments (RTF): the lure when the body is empty.
    doc_texts: Vec<(String, String)>,
    /// Results of `--verify-auth`, used instead of the Authentication-Results headers.
    verified: Option<AuthSummary>,
}

fn msg(en: impl Into<String>, zh: impl Into<String>) -> Msg {
    Msg::new(en, zh)
}

fn find(
    code: &str,
    sev: Severity,
    en: impl Into<String>,
    zh: impl Into<String>,
    ev: impl Into<String>,
) -> Finding {
    Finding::new(code, sev, msg(en, zh), ev)
}

fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut e = max;
    while !s.is_char_boundary(e) {
        e -= 1;
    }
    &s[..e]
}

/// The URL punctuation a redirect parameter percent-encodes (`%3a%2f%2f`, twice encoded
/// `%253a`), decoded: enough to see which host a lowercase redirector URL hands over to.
fn decode_url_punctuation(lower: &str) -> String {
    let mut s = lower.replace("%25", "%");
    for (enc, c) in [
        ("%3a", ":"),
        ("%2f", "/"),
        ("%3f", "?"),
        ("%3d", "="),
        ("%26", "&"),
        ("%40", "@"),
        ("%23", "#"),
        ("%2e", "."),
    ] {
        s = s.replace(enc, c);
    }
    s
}

/// Domain part of an address, lowercase, without trailing dot or brackets.
pub fn domain_of(addr: &str) -> String {
    let a = addr.trim().trim_matches(['<', '>', '"', '\'', ' ']);
    match a.rsplit_once('@') {
        Some((_, d)) => d
            .trim()
            .trim_end_matches('.')
            .trim_matches(['>', '"', '\''])
            .to_lowercase(),
        None => String::new(),
    }
}

fn first_addr(a: Option<&Address<'_>>) -> (String, String, usize) {
    let Some(a) = a else {
        return (String::new(), String::new(), 0);
    };
    let count = a.iter().count();
    // "Brand, Brand, <x@y>" parses as several mailboxes, only the last with an address: the
    // name is the first one given, the address the first one that exists.
    let name = a
        .iter()
        .find_map(|x| x.name().filter(|n| !n.trim().is_empty()))
        .unwrap_or("")
        .trim()
        .to_string();
    let addr = a
        .iter()
        .find_map(|x| x.address().filter(|n| n.contains('@')))
        .or_else(|| a.first().and_then(|x| x.address()))
        .unwrap_or("")
        .trim()
        .to_string();
    (name, addr, count)
}

/// Whether a domain could exist on the Internet: ASCII or IDN labels, a dot, a real suffix.
fn domain_plausible(d: &str) -> bool {
    if d.is_empty() || d.len() > 253 || !d.contains('.') {
        return false;
    }
    if d.split('.')
        .any(|l| l.is_empty() || l.len() > 63 || l.starts_with('-') || l.ends_with('-'))
    {
        return false;
    }
    if !d
        .chars()
        .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
    {
        return false;
    }
    let tld = d.rsplit('.').next().unwrap_or("");
    if tld.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    !d.is_ascii() || registrable(d).icann.is_some()
}

/// The registrable (ICANN) domain of a host, or the host itself.
fn reg(host: &str) -> String {
    registrable(host)
        .icann
        .map(str::to_string)
        .unwrap_or_else(|| host.to_string())
}

/// Host of a URL-ish string (`https://a.b/x`, `www.a.b`, `a.b`), lowercase; empty if none.
pub fn host_of(u: &str) -> String {
    let s = u.trim();
    let s = match s.find("://") {
        Some(p) => &s[p + 3..],
        None => s,
    };
    let end = s.find(['/', '?', '#', ' ', '\\']).unwrap_or(s.len());
    let hostport = &s[..end];
    let host = hostport.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("");
    host.trim_end_matches('.').to_lowercase()
}

/// A host named in link text (`www.amazon.com`, `https://amazon.com/...`, `amazon.com`).
fn shown_host(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() || t.len() > 200 || t.contains(char::is_whitespace) {
        return None;
    }
    let h = host_of(t);
    let looks = h.contains('.')
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && h.rsplit('.')
            .next()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
        && registrable(&h).icann.is_some();
    looks.then_some(h)
}

/// Plain-text URLs: `http(s)://...` and `www....`, cleaned of trailing punctuation.
pub fn text_urls(text: &str, max: usize, out: &mut Vec<String>) {
    let lower = text.to_ascii_lowercase();
    let mut starts: Vec<usize> = Vec::new();
    for pat in ["http://", "https://", "www."] {
        let f = memchr::memmem::Finder::new(pat.as_bytes());
        for p in f.find_iter(lower.as_bytes()) {
            if pat == "www."
                && p > 0
                && !matches!(
                    lower.as_bytes()[p - 1],
                    b' ' | b'\n' | b'\t' | b'(' | b'<' | b'"' | b'\'' | b'['
                )
            {
                continue;
            }
            starts.push(p);
            if starts.len() > max * 4 {
                break;
            }
        }
    }
    starts.sort_unstable();
    starts.dedup();
    let mut last_end = 0;
    for s in starts {
        if s < last_end || out.len() >= max {
            continue;
        }
        let rest = &text[s..];
        let end = rest
            .find(|c: char| {
                c.is_whitespace()
                    || matches!(c, '<' | '>' | '"' | '\'' | '`' | '|' | '{' | '}' | '^')
            })
            .unwrap_or(rest.len());
        let u = rest[..end].trim_end_matches(['.', ',', ';', ':', ')', ']', '!', '?', '*']);
        last_end = s + end;
        if u.len() > 8 {
            out.push(u.to_string());
        }
    }
}

/// Words that go with a brand name in a service or logo name ("Amazon Sign-In", "Amazon logo").
const SERVICE_WORDS: &[&str] = &[
    "account",
    "sign",
    "in",
    "signin",
    "login",
    "log",
    "security",
    "order",
    "orders",
    "notification",
    "notifications",
    "notice",
    "service",
    "services",
    "support",
    "customer",
    "help",
    "update",
    "confirmation",
    "verification",
    "verify",
    "your",
    "my",
    "the",
    "logo",
    "team",
    "center",
    "centre",
    "alert",
    "payment",
    "payments",
    "billing",
    "membership",
    "prime",
    "delivery",
    "shipping",
    "status",
    "com",
    "inc",
    "store",
    "seller",
    "central",
    "official",
    "de",
    "uk",
    "co",
    "jp",
    "fr",
    "it",
    "es",
    "ca",
    "-",
    "|",
    ":",
    "&",
    "®",
    "™",
    "©",
];

/// Whether `text` (folded) is the brand word plus service words only.
fn names_only_brand(text: &str, brand_word: &str) -> bool {
    let rest = text.replacen(brand_word, " ", 1);
    rest.split(|c: char| {
        c.is_whitespace() || matches!(c, '.' | ',' | '-' | '|' | ':' | '!' | '(' | ')')
    })
    .filter(|w| !w.is_empty() && !SERVICE_WORDS.contains(w))
    .count()
        == 0
}

/// `<"no-reply@brand.example">`: the angle address is one quoted string with no domain after it.
fn quoted_only_address(raw_from: &str) -> bool {
    let Some(lt) = raw_from.rfind('<') else {
        return false;
    };
    let inner = raw_from[lt + 1..].trim_end().trim_end_matches('>').trim();
    inner.len() >= 2 && inner.starts_with('"') && inner.ends_with('"') && inner.contains('@')
}

/// Whether a display name carries a run of 12 or more filler characters (underscores, dots,
/// dashes, spaces of any width, invisible characters).
fn padded_name(name: &str) -> bool {
    let mut run = 0;
    for c in name.chars() {
        if matches!(
            c,
            '_' | '.' | '-' | '=' | '*' | '~' | '\u{3000}' | '\u{2800}'
        ) || c.is_whitespace()
            || is_invisible(c)
        {
            run += 1;
            if run >= 12 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// A bulk-mailer placeholder left in the text: Mailchimp-style `*|FNAME|*` or the
/// `[%%RndString%%]` macros of spam senders. Genuine senders' tools fill them in.
fn unfilled_template(text: &str) -> Option<String> {
    let b = text.as_bytes();
    for p in memchr::memmem::find_iter(b, b"*|") {
        let rest = b.get(p + 2..).unwrap_or(&[]);
        let n = rest
            .iter()
            .take(40)
            .take_while(|c| {
                c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, b'_' | b':')
            })
            .count();
        if n >= 2 && rest.get(n..n + 2) == Some(b"|*") {
            return text.get(p..p + n + 4).map(str::to_string);
        }
    }
    let p = memchr::memmem::find(b, b"[%%")?;
    let e = memchr::memmem::find(b.get(p..)?, b"%%]").filter(|e| *e < 120)?;
    text.get(p..p + e + 3).map(str::to_string)
}

fn is_forward(subject: &str, body: &str) -> bool {
    let s = subject.trim_start().to_lowercase();
    let subj = [
        "fwd:", "fw:", "wg:", "tr:", "enc:", "rv:", "doorst:", "转发",
    ]
    .iter()
    .any(|p| s.starts_with(p));
    let b = body.to_lowercase();
    subj && [
        "forwarded message",
        "begin forwarded message",
        "original message",
        "weitergeleitete nachricht",
        "mensagem encaminhada",
        "message transféré",
        "mensaje reenviado",
        "转发的邮件",
    ]
    .iter()
    .any(|m| b.contains(m))
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
    pub fn new(engine: &'e Engine, opts: Options) -> Self {
        Self::with_text_rules(engine, opts, TextRules::embedded().ok())
    }

    /// With text patterns the caller already built (a case checker holds them too):
    /// compiling them is most of the cost of building a checker.
    pub fn with_text_rules(
        engine: &'e Engine,
        opts: Options,
        text_rules: Option<TextRules>,
    ) -> Self {
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
        let extras: Vec<ExtraBrand> =
            toml::from_str::<ExtraFile>(include_str!("../data/impersonated.toml"))
                .map(|f| f.brand)
                .unwrap_or_default();
        for (i, e) in extras.iter().enumerate() {
            for n in &e.names {
                let f = fold(n).text;
                // A profile brand with the same word wins.
                if f.len() >= 3 && !brand_words.iter().any(|(_, x)| *x == f) {
                    brand_words.push((BrandRef::Extra(i), f));
                }
            }
        }
        let brand_ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(brand_words.iter().map(|(_, w)| w.as_str()))
            .ok();
        let freemail = toml::from_str::<FreemailFile>(include_str!("../data/freemail.toml"))
            .map(|f| f.domains.into_iter().collect())
            .unwrap_or_default();
        let brand_names = BrandNames::new(brand_words.iter().filter_map(|(r, w)| match r {
            BrandRef::Profile(i) => Some((*i, w.as_str())),
            BrandRef::Extra(_) => None,
        }));
        EmailChecker {
            engine,
            opts,
            lures: Lures::embedded(),
            text_rules,
            brand_ac,
            brand_words,
            brand_names,
            extras,
            freemail,
            parser: message_parser(),
        }
    }

    pub fn options(&self) -> &Options {
        &self.opts
    }

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
        let Some(ac) = &self.brand_ac else { return out };
        for m in ac.find_iter(folded) {
            let Some((r, w)) = self.brand_words.get(m.pattern().as_usize()) else {
                continue;
            };
            let before = folded[..m.start()].chars().next_back();
            let after = folded[m.end()..].chars().next();
            let wordish = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
            if w.is_ascii() && (wordish(before) || wordish(after)) {
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
        let Some(ac) = &self.brand_ac else { return out };
        for m in ac.find_iter(folded) {
            let Some((r, w)) = self.brand_words.get(m.pattern().as_usize()) else {
                continue;
            };
            if out.iter().any(|(x, _)| x == r) {
                continue;
            }
            let s = m.start().saturating_sub(4);
            let e = (m.end() + 4).min(folded.len());
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
        let mut g = Gathered {
            notes,
            ..Default::default()
        };
        self.gather(&message, 0, &mut g);
        g.verified = verified;
        Ok(self.weigh(input, &message, g))
    }

    /// Walk the MIME tree (nested messages included, depth- and count-capped).
    fn gather(&self, m: &Message<'_>, depth: usize, g: &mut Gathered) {
        if depth > self.opts.max_depth {
            g.notes.push(format!(
                "nested messages deeper than {} were not analysed",
                self.opts.max_depth
            ));
            return;
        }
        let attach_ids: HashSet<u32> = m.attachments.iter().copied().collect();
        for (idx, part) in m.parts.iter().enumerate() {
            g.parts_seen += 1;
            if g.parts_seen > self.opts.max_parts {
                if g.parts_seen == self.opts.max_parts + 1 {
                    g.notes.push(format!(
                        "more than {} MIME parts: the rest were skipped",
                        self.opts.max_parts
                    ));
                }
                return;
            }
            let name = part.attachment_name().unwrap_or("").to_string();
            let ctype = part
                .content_type()
                .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")).to_lowercase())
                .unwrap_or_default();
            let is_attachment = !name.is_empty()
                || part
                    .content_disposition()
                    .is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"))
                || attach_ids.contains(&(idx as u32))
                    && !matches!(part.body, PartType::Text(_) | PartType::Html(_));
            if part.is_encoding_problem {
                g.notes.push(format!(
                    "part {idx} could not be decoded cleanly (bad encoding or charset)"
                ));
            }
            match &part.body {
                PartType::Text(t) => {
                    let t = cut(t, self.opts.max_part_bytes);
                    if is_attachment && !name.is_empty() {
                        let kind = attach::kind_of(&name, &ctype);
                        self.note_attachment(g, &name, &ctype, t.len(), kind, Vec::new());
                        if kind == FileKind::Page
                            || t.trim_start().starts_with('<')
                                && attach::extension(&name).starts_with("htm")
                        {
                            let doc = html::scan(t);
                            g.pages.push((name.clone(), doc));
                        } else if kind == FileKind::Document && t.starts_with("{\\rtf") {
                            let (text, links) = attach::rtf_text(t.as_bytes(), t.len());
                            for u in links {
                                g.links.push((u, "attachment", String::new()));
                            }
                            if g.doc_texts.len() < 8 {
                                g.doc_texts.push((name.clone(), text));
                            }
                        } else {
                            g.attachment_texts.push(t.to_string());
                        }
                    } else {
                        g.texts.push(t.to_string());
                    }
                }
                PartType::Html(h) => {
                    let h = cut(h, self.opts.max_part_bytes);
                    let doc = html::scan(h);
                    if is_attachment && !name.is_empty() {
                        self.note_attachment(g, &name, &ctype, h.len(), FileKind::Page, Vec::new());
                        g.pages.push((name.clone(), doc));
                    } else {
                        g.htmls.push(doc);
                    }
                }
                PartType::Binary(b) | PartType::InlineBinary(b) => {
                    self.binary(g, &name, &ctype, b);
                }
                PartType::Message(inner) => {
                    // A forwarded or attached message: its text and links count as the body's.
                    if let Some(s) = inner.subject() {
                        g.attachment_texts.push(s.to_string());
                    }
                    self.gather(inner, depth + 1, g);
                }
                PartType::Multipart(_) => {}
            }
        }
    }

    fn note_attachment(
        &self,
        g: &mut Gathered,
        name: &str,
        ctype: &str,
        size: usize,
        kind: FileKind,
        inside: Vec<String>,
    ) {
        if g.attachments.len() >= 200 {
            return;
        }
        g.attachments.push(AttachmentInfo {
            name: cut(name, 200).to_string(),
            content_type: cut(ctype, 100).to_string(),
            size,
            kind: format!("{kind:?}").to_lowercase(),
            inside,
        });
        if kind == FileKind::Executable {
            g.dangerous.push(name.to_string());
        }
    }

    fn binary(&self, g: &mut Gathered, name: &str, ctype: &str, data: &[u8]) {
        let kind = attach::kind_of(name, ctype);
        let mut inside = Vec::new();
        match kind {
            FileKind::Archive => {
                if let Some(names) = attach::zip_names(data, 500) {
                    for n in &names {
                        let k = attach::kind_of(n, "");
                        if matches!(k, FileKind::Executable | FileKind::Page) {
                            g.dangerous.push(format!("{name} → {n}"));
                        }
                    }
                    inside = names.into_iter().take(50).collect();
                }
            }
            FileKind::Pdf => {
                let s = attach::pdf_scan(data, 50);
                for u in &s.uris {
                    g.links.push((u.clone(), "pdf", String::new()));
                }
                if s.launch {
                    g.pdf_active.push(format!("{name}: /Launch"));
                }
                inside = s.uris;
            }
            FileKind::Image
                if g.qr_done < self.opts.max_qr_images
                    && (2_000..=8 << 20).contains(&data.len()) =>
            {
                g.qr_done += 1;
                for t in attach::qr_texts(data) {
                    if t.contains("://") || t.starts_with("www.") {
                        g.links.push((t.clone(), "qr", String::new()));
                    }
                    inside.push(format!("QR: {}", cut(&t, 300)));
                }
            }
            FileKind::Document
                if attach::extension(name) == "rtf" || data.starts_with(b"{\\rtf") =>
            {
                let (text, links) = attach::rtf_text(data, self.opts.max_part_bytes);
                for u in &links {
                    g.links.push((u.clone(), "attachment", String::new()));
                }
                inside = links;
                if g.doc_texts.len() < 8 {
                    g.doc_texts.push((name.to_string(), text));
                }
            }
            FileKind::Page => {
                let text =
                    String::from_utf8_lossy(&data[..data.len().min(self.opts.max_part_bytes)]);
                g.pages.push((name.to_string(), html::scan(&text)));
            }
            _ => {}
        }
        let inline_image = kind == FileKind::Image && name.is_empty();
        if !inline_image || !inside.is_empty() {
            self.note_attachment(g, name, ctype, data.len(), kind, inside);
        }
    }

    /// Weigh everything into the report.
    fn weigh(&self, input: &str, m: &Message<'_>, mut g: Gathered) -> EmailReport {
        let engine = self.engine;
        let mut b = ReportBuilder::new(input);
        let mut details = Details::default();

        // ---- 1. Who claims to send it ----
        let (mut from_name, from_address, from_count) = first_addr(m.from());
        let raw_from = m.header_raw("From").unwrap_or("").trim().to_string();
        if from_name.is_empty() && from_address.is_empty() && !raw_from.is_empty() {
            from_name = raw_from.clone();
        }
        let from_domain = domain_of(&from_address);
        let (sender_name, sender_addr, _) = first_addr(m.sender());
        let (reply_name, reply_addr, _) = first_addr(m.reply_to());
        let return_path = m.return_address().unwrap_or("").to_string();
        let subject = m.subject().unwrap_or("").to_string();
        details.sender = Sender {
            from_name: from_name.clone(),
            from_address: from_address.clone(),
            from_domain: from_domain.clone(),
            from_count,
            sender: sender_addr.clone(),
            reply_to: reply_addr.clone(),
            return_path: return_path.clone(),
            marked: mark_non_ascii(&format!("{from_name} <{from_address}>")),
            subject: subject.clone(),
        };

        // Body text as the reader sees it.
        let mut body = String::new();
        for t in &g.texts {
            if body.len() > BODY_MAX {
                break;
            }
            body.push_str(cut(t, BODY_MAX / 2));
            body.push('\n');
        }
        for h in &g.htmls {
            if body.len() > BODY_MAX {
                break;
            }
            body.push_str(cut(&h.text, BODY_MAX / 2));
            body.push('\n');
        }
        // Random code injected inside words: undo it so the words can be read, and say so.
        let junk = injected_junk(&body);
        if !junk.is_empty() {
            body = strip_junk(&body, &junk);
            b.push(find(
                "email.junk_in_words",
                Severity::Medium,
                "Random code strings are inserted inside the words of the text so that filters cannot read them; genuine senders never do this.",
                "正文的词语中插入了随机代码串，使过滤器无法识别这些词；正规发件方从不这样做。",
                junk.join(", "),
            ));
        }
        if let Some(t) = unfilled_template(&subject).or_else(|| unfilled_template(&body)) {
            b.push(find(
                "email.unfilled_template",
                Severity::Low,
                "The message shows the raw placeholders of a bulk-mailing tool (the sender's software failed to fill them in), a mark of mass spam runs.",
                "邮件中出现了群发工具未被填充的原始占位符，这是批量垃圾邮件的特征。",
                t,
            ));
        }
        let forward = is_forward(&subject, &body);
        let body_f = fold(&body);
        let subject_f = fold(&subject);
        let from_name_f = fold(&from_name);
        let sender_name_f = fold(&sender_name);

        // ---- Brand claims ----
        let mut claims: Vec<ClaimAcc> = Vec::new();
        let add = |claims: &mut Vec<ClaimAcc>,
                   r: BrandRef,
                   s: Strength,
                   place: &'static str,
                   ev: &str,
                   disguised: bool| {
            let w = if s == Strength::Weak { 1 } else { 3 };
            if let Some(c) = claims.iter_mut().find(|c| c.brand == r) {
                c.score += w;
                if s > c.strength {
                    c.strength = s;
                    c.place = place;
                    c.evidence = cut(ev, 160).to_string();
                    c.disguised |= disguised;
                }
            } else {
                claims.push(ClaimAcc {
                    brand: r,
                    score: w,
                    strength: s,
                    place,
                    evidence: cut(ev, 160).to_string(),
                    disguised,
                });
            }
        };
        // The display name and Sender name are the sender identity.
        // A display name that also names the sender's own registered domain ("Lockergnome
        // Apple Core" <...@lockergnome.com>) is the sender naming itself and a topic.
        let own_label: String = reg(&from_domain)
            .split('.')
            .next()
            .unwrap_or("")
            .to_string();
        let names_itself = |f: &str| {
            own_label.len() >= 4 && contains_word(&f.replace(['.', '-', '_'], " "), &own_label)
                || own_label.len() >= 4
                    && f.split_whitespace()
                        .any(|w| w.trim_matches(|c: char| !c.is_alphanumeric()) == own_label)
        };
        for (f, raw, place) in [
            (&from_name_f, &from_name, "from_name"),
            (&sender_name_f, &sender_name, "sender_name"),
        ] {
            let self_named = names_itself(&f.text);
            for (r, w) in self.brands_in(&f.text, 4) {
                let disguised = f.tricks() && !contains_word(&raw.to_lowercase(), &w);
                let st = if self_named && !disguised {
                    Strength::Subject
                } else {
                    Strength::Identity
                };
                add(&mut claims, r, st, place, raw, disguised);
            }
        }
        // Reply-To display name.
        for (r, _) in self.brands_in(&fold(&reply_name).text, 2) {
            add(
                &mut claims,
                r,
                Strength::Identity,
                "reply_to_name",
                &reply_name,
                false,
            );
        }
        // Local part of the From address (amazon-security@hotmail.com).
        let local = from_address.rsplit_once('@').map(|(l, _)| l).unwrap_or("");
        let local_words = fold(&local.replace(['.', '_', '-', '+'], " "));
        for (r, _) in self.brands_in(&local_words.text, 2) {
            if matches!(r, BrandRef::Profile(_)) {
                add(
                    &mut claims,
                    r,
                    Strength::Identity,
                    "from_address",
                    &from_address,
                    false,
                );
            }
        }
        let subj_strength = if forward {
            Strength::Weak
        } else {
            Strength::Subject
        };
        for (r, w) in self.brands_in(&subject_f.text, 4) {
            let disguised = subject_f.tricks() && !contains_word(&subject.to_lowercase(), &w);
            add(
                &mut claims,
                r,
                subj_strength,
                "subject",
                &subject,
                disguised,
            );
        }
        let presents = if forward {
            Strength::Weak
        } else {
            Strength::Presents
        };
        let mut page_sources: Vec<(String, &'static str)> = Vec::new();
        for h in &g.htmls {
            if !h.title.is_empty() {
                page_sources.push((h.title.clone(), "html_title"));
            }
            for (_, alt) in h.images.iter().take(50) {
                if !alt.is_empty() {
                    page_sources.push((alt.clone(), "image_alt"));
                }
            }
        }
        for (s, place) in &page_sources {
            let f = fold(s).text;
            for (r, w) in self.brands_in(&f, 3) {
                if matches!(r, BrandRef::Profile(_)) {
                    // A title or logo text that is the brand's (service) name presents the
                    // message as the brand; one that mentions it ("Download on the App Store",
                    // "Microsoft reveals ...") does not.
                    let st = if names_only_brand(&f, &w) {
                        presents
                    } else {
                        Strength::Weak
                    };
                    add(&mut claims, r, st, place, s, false);
                }
            }
        }
        for a in &g.attachments {
            for (r, _) in self.brands_in(&fold(&a.name).text, 2) {
                if matches!(r, BrandRef::Profile(_)) {
                    add(
                        &mut claims,
                        r,
                        Strength::Presents,
                        "attachment_name",
                        &a.name,
                        false,
                    );
                }
            }
        }
        for (name, p) in &g.pages {
            let t = format!("{} {}", p.title, cut(&p.text, PAGE_TEXT_MAX));
            for (r, _) in self.brands_in(&fold(&t).text, 3) {
                if matches!(r, BrandRef::Profile(_)) {
                    add(
                        &mut claims,
                        r,
                        Strength::Presents,
                        "attachment",
                        name,
                        false,
                    );
                }
            }
        }
        for (name, t) in &g.doc_texts {
            for (r, _) in self.brands_in(&fold(cut(t, PAGE_TEXT_MAX)).text, 3) {
                if matches!(r, BrandRef::Profile(_)) {
                    add(
                        &mut claims,
                        r,
                        Strength::Presents,
                        "attachment",
                        name,
                        false,
                    );
                }
            }
        }
        for t in &g.attachment_texts {
            for (r, _) in self.brands_in(&fold(cut(t, PAGE_TEXT_MAX)).text, 3) {
                if matches!(r, BrandRef::Profile(_)) {
                    add(
                        &mut claims,
                        r,
                        Strength::Weak,
                        "attachment_text",
                        cut(t, 80),
                        false,
                    );
                }
            }
        }
        for (r, w, n) in self.brand_counts(&body_f.text, 6) {
            if matches!(r, BrandRef::Profile(_)) {
                for _ in 0..n.min(3) {
                    add(&mut claims, r, Strength::Weak, "body", &w, false);
                }
            }
        }
        // Order numbers in the Amazon format: a claim to be about an Amazon order.
        let amazon = engine.brands().iter().position(|b| b.id == "amazon");
        let mut order_nums = cues::order_numbers(&subject, 2);
        order_nums.extend(cues::order_numbers(&body, 2));

        // Reported brand: the one with the most evidence; then the strongest claim; profile
        // brands before extras.
        claims.sort_by(|a, b| {
            b.score
                .cmp(&a.score)
                .then_with(|| b.strength.cmp(&a.strength))
                .then_with(|| {
                    matches!(b.brand, BrandRef::Profile(_))
                        .cmp(&matches!(a.brand, BrandRef::Profile(_)))
                })
        });
        let primary = claims.iter().position(|c| c.strength >= Strength::Subject);
        // Claims checked against the sender: every identity claim, plus the reported brand.
        let mut to_check: Vec<usize> = claims
            .iter()
            .enumerate()
            .filter(|(_, c)| c.strength == Strength::Identity)
            .map(|(i, _)| i)
            .collect();
        if let Some(p) = primary
            && !to_check.contains(&p)
        {
            to_check.push(p);
        }
        details.claims = claims
            .iter()
            .map(|c| Claim {
                brand: self.brand_id(c.brand),
                place: c.place.to_string(),
                evidence: c.evidence.clone(),
                disguised: c.disguised,
            })
            .collect();

        // ---- 2. Sender vs claimed brand ----
        let owners = if from_domain.is_empty() {
            Vec::new()
        } else {
            engine.owners_of_domain(&from_domain)
        };
        let sender_roles = |bi: usize, roles: &[DomainRole]| {
            let id = engine.brand(bi).map(|b| b.id.as_str()).unwrap_or("");
            owners
                .iter()
                .any(|o| o.brand == id && roles.contains(&o.role))
        };
        let freemail = !from_domain.is_empty() && self.is_freemail(&from_domain);
        // A From domain that is some brand's mail/web domain: which brand. A personal mailbox
        // domain (`gmail.com`, `yahoo.com`, `qq.com`) is the brand's web host but anybody's
        // address: it names no brand.
        let from_brand: Option<usize> = owners
            .iter()
            .find(|o| o.role == DomainRole::Mail || (o.role == DomainRole::Web && !freemail))
            .and_then(|o| engine.brands().iter().position(|b| b.id == o.brand));
        let relay_brand: Option<usize> = owners
            .iter()
            .find(|o| o.role == DomainRole::Relay)
            .and_then(|o| engine.brands().iter().position(|b| b.id == o.brand));
        let mut brand_sender = false;
        let mut claimed_profile: Option<usize> = None;

        if let Some(bi) = from_brand {
            brand_sender = true;
            if let Some(bp) = engine.brand(bi) {
                b.brand(&bp.id);
                b.push(find(
                    "email.sender_brand_domain",
                    Severity::Info,
                    format!("The From address is at {from_domain}, one of {}'s own sender domains (only the authentication results below can prove it was not forged).", bp.name),
                    format!("发件地址位于 {from_domain}，这是 {} 自己的发件域名（只有下面的认证结果能证明它不是伪造的）。", bp.name),
                    from_address.clone(),
                ));
            }
        }
        if let Some(bi) = relay_brand
            && let Some(bp) = engine.brand(bi)
        {
            b.brand(&bp.id);
            b.push(find(
                    "email.brand_relay",
                    Severity::Info,
                    format!("Sent through {}'s buyer-seller messaging relay: the text was written by a buyer or seller, not by {}. Links and requests in it are still checked.", bp.name, bp.name),
                    format!("经由 {} 的买家-卖家消息中转发送：内容由买家或卖家撰写，而不是 {} 本身。其中的链接和请求仍会被检查。", bp.name_zh_or(&bp.name), bp.name_zh_or(&bp.name)),
                    from_address.clone(),
                ));
        }

        // Fake senders any brand names.
        for bp in engine.brands().iter() {
            for fsx in &bp.fake_sender {
                let hit = if fsx.address.contains('@') {
                    from_address.eq_ignore_ascii_case(&fsx.address)
                        || reply_addr.eq_ignore_ascii_case(&fsx.address)
                } else {
                    from_domain == fsx.address
                        || from_domain.ends_with(&format!(".{}", fsx.address))
                };
                if hit && !from_address.is_empty() {
                    b.brand(&bp.id);
                    b.push(find(
                        "email.brand_fake_sender",
                        Severity::Critical,
                        format!(
                            "{} itself lists this sender address as fraudulent.",
                            bp.name
                        ),
                        format!("{} 官方明确将此发件地址列为欺诈地址。", bp.name),
                        from_address.clone(),
                    ));
                    brand_sender = false;
                }
            }
        }

        let quoted_only = quoted_only_address(&raw_from);
        // Lures in the subject and text, found once and used by several weighings.
        let mut cue_text = String::with_capacity(subject_f.text.len() + body_f.text.len() + 1);
        cue_text.push_str(&subject_f.text);
        cue_text.push('\n');
        cue_text.push_str(&body_f.text);
        for t in g
            .pages
            .iter()
            .map(|(_, p)| p.text.as_str())
            .chain(g.doc_texts.iter().map(|(_, t)| t.as_str()))
        {
            cue_text.push('\n');
            cue_text.push_str(&fold(cut(t, PAGE_TEXT_MAX)).text);
        }
        let hits = self.lures.find(&cue_text);
        // The same text through the core text module (links masked: they are weighed below
        // with their context). Its findings are weighed once the links are known.
        // The visible text with its links masked: its length tells a short message (where a
        // request is the point) from a long newsletter.
        let mut masked_body = String::with_capacity(body.len() + 64);
        bodytext::mask_urls(&body, &mut masked_body);
        let text_chars = masked_body.chars().count();
        let text_analysis = self.text_rules.as_ref().map(|rules| {
            let mut masked = String::with_capacity(subject.len() + bodytext::MAX_TEXT + 64);
            masked.push_str(&subject);
            masked.push('\n');
            masked.push_str(cut(&masked_body, bodytext::MAX_TEXT));
            for t in g
                .pages
                .iter()
                .map(|(_, p)| p.text.as_str())
                .chain(g.doc_texts.iter().map(|(_, t)| t.as_str()))
            {
                if masked.len() > 2 * bodytext::MAX_TEXT {
                    break;
                }
                masked.push('\n');
                bodytext::mask_urls(cut(t, 4 * 1024), &mut masked);
            }
            bodytext::analyze(engine, rules, &bodytext::thin_phone_numbers(&masked))
        });
        // Purposes before the link context is known (forwarding already applied).
        let pre_signals = match (&self.text_rules, &text_analysis) {
            (Some(rules), Some(a)) => {
                bodytext::findings(
                    rules,
                    a,
                    &bodytext::Context {
                        forward,
                        text_chars,
                        ..Default::default()
                    },
                )
                .1
            }
            _ => Signals::default(),
        };
        let subject_lure = !forward
            && (hits.has(Lure::Prize)
                || hits.has(Lure::Threat)
                || hits.has(Lure::Credential)
                || pre_signals.prize
                || pre_signals.threat
                || pre_signals.credential);
        let mut brand_domain_claimed = false;
        for (k, &ci) in to_check.iter().enumerate() {
            let Some(claim) = claims.get(ci) else {
                continue;
            };
            let (r, strength) = (claim.brand, claim.strength);
            let bname = self.brand_name(r);
            let bid = self.brand_id(r);
            let place = claim.place;
            let ev = claim.evidence.clone();
            let genuine_domain = !quoted_only
                && match r {
                    BrandRef::Profile(bi) => {
                        if claimed_profile.is_none() {
                            claimed_profile = Some(bi);
                        }
                        sender_roles(bi, &[DomainRole::Mail, DomainRole::Web, DomainRole::Relay])
                    }
                    BrandRef::Extra(i) => self.extra_domain(i, &from_domain),
                };
            brand_domain_claimed |= genuine_domain;
            if k == 0 || Some(ci) == primary {
                b.brand(&bid);
            }
            if claim.disguised {
                b.push(find(
                    "email.brand_disguised",
                    Severity::High,
                    format!("The brand name \"{bname}\" is written with look-alike or invisible characters, a trick to slip past filters that genuine senders never use."),
                    format!("品牌名“{bname}”使用了形近字符或不可见字符书写，这是绕过过滤的手法，真正的发件方从不这样做。"),
                    ev.clone(),
                ));
            }
            if genuine_domain {
                continue;
            }
            let shown = if from_address.is_empty() {
                "(no address)".to_string()
            } else {
                from_address.clone()
            };
            if freemail && strength >= Strength::Subject {
                b.push(find(
                    "email.freemail_brand",
                    Severity::High,
                    format!("The message presents itself as {bname} but comes from a free-mail address ({from_domain}) that anyone can open; {bname} never writes from one."),
                    format!("这封邮件自称来自 {bname}，却是从任何人都能注册的免费邮箱（{from_domain}）发出的；{bname} 从不使用免费邮箱。"),
                    shown.clone(),
                ));
            } else if strength == Strength::Identity {
                b.push(find(
                    "email.sender_not_brand",
                    Severity::High,
                    format!("The sender calls itself {bname}, but the address {shown} is not one of {bname}'s sender domains."),
                    format!("发件人自称 {bname}，但地址 {shown} 不属于 {bname} 的发件域名。"),
                    format!("{place}: {ev} <{shown}>"),
                ));
            } else if strength == Strength::Presents && matches!(r, BrandRef::Profile(_)) {
                b.push(find(
                    "email.brand_presented_offdomain",
                    Severity::Medium,
                    format!("The message is dressed up as {bname} (page title, logo text or attachment), but it comes from {shown}, which is not {bname}'s."),
                    format!("这封邮件装扮成 {bname}（页面标题、标志文字或附件），但发件地址 {shown} 并不属于 {bname}。"),
                    format!("{place}: {ev}"),
                ));
            } else if strength == Strength::Subject && matches!(r, BrandRef::Profile(_)) {
                b.push(find(
                    "email.brand_subject_offdomain",
                    if subject_lure {
                        Severity::Medium
                    } else {
                        Severity::Low
                    },
                    format!(
                        "The subject names {bname}, but the message does not come from {bname}."
                    ),
                    format!("主题提到了 {bname}，但邮件并非来自 {bname}。"),
                    ev.clone(),
                ));
            }
        }
        if quoted_only {
            b.push(find(
                "email.sender_address_fake",
                Severity::High,
                "The sender \"address\" is only quoted text that looks like an address; the real address has no domain at all. Mail programs show the fake text.",
                "发件人“地址”只是看起来像地址的引号文字；真正的地址根本没有域名。邮件程序会显示这段假文字。",
                cut(&raw_from, 160).to_string(),
            ));
        }
        // Amazon-style order numbers from a sender that is not Amazon's.
        if let (Some(ai), Some(on)) = (amazon, order_nums.first()) {
            let amazon_sender =
                sender_roles(ai, &[DomainRole::Mail, DomainRole::Web, DomainRole::Relay]);
            if !amazon_sender {
                if let Some(bp) = engine.brand(ai) {
                    b.brand(&bp.id);
                    if claimed_profile.is_none() {
                        claimed_profile = Some(ai);
                    }
                }
                let sev = if brand_domain_claimed || from_brand.is_some() {
                    Severity::Info
                } else if forward {
                    Severity::Low
                } else {
                    Severity::Medium
                };
                b.push(find(
                    "email.order_number_not_amazon",
                    sev,
                    "The message quotes an Amazon-style order number, but it was not sent by Amazon.",
                    "邮件引用了亚马逊格式的订单号，但并非由亚马逊发送。",
                    on.clone(),
                ));
            }
        }
        // Free-mail sender using an organisation-like display name naming a domain, or a
        // display name carrying a different address.
        self.display_name_address(&mut b, &from_name, &from_domain);
        if !quoted_only
            && !from_address.is_empty()
            && !from_domain.is_empty()
            && !domain_plausible(&from_domain)
        {
            b.push(find(
                "email.sender_domain_invalid",
                Severity::Medium,
                format!("The sender's domain \"{from_domain}\" cannot exist on the Internet: nobody can reply, a sign of a forged sender."),
                format!("发件人的域名“{from_domain}”在互联网上不可能存在：无法回复，这是伪造发件人的迹象。"),
                from_address.clone(),
            ));
        } else if from_address.is_empty() && !raw_from.is_empty() && raw_from.len() > 2 {
            b.push(find(
                "email.sender_missing_address",
                Severity::Low,
                "The From line has a name but no usable address.",
                "发件人一栏只有名字，没有可用的地址。",
                cut(&raw_from, 120).to_string(),
            ));
        }
        // Mailboxes in From that have a name but no address: "Brand, Brand, <x@y>" makes mail
        // programs show the first name only. No mail program writes such a line; forging
        // tools do, to put a name in front of an address that has nothing to do with it.
        let from_bare = m
            .from()
            .map(|a| {
                a.iter()
                    .filter(|x| !x.address().is_some_and(|ad| ad.contains('@')))
                    .count()
            })
            .unwrap_or(0);
        // A display name padded with a long run of filler pushes the real address out of
        // sight in narrow mail views (phones).
        if let Some(n) = [&from_name, &sender_name]
            .into_iter()
            .find(|n| padded_name(n))
        {
            b.push(find(
                "email.display_name_padding",
                Severity::Medium,
                "The sender's name is padded with a long run of filler characters, which pushes the real address out of view on a phone.",
                "发件人名称后面填充了一长串无意义字符，在手机上会把真实地址挤出屏幕。",
                cut(n, 160).to_string(),
            ));
        }
        if from_count > 1 && from_bare > 0 {
            b.push(find(
                "email.from_names_without_address",
                Severity::Medium,
                "The From line strings together names without addresses in front of the real one, so mail programs show a name that is not the sender's.",
                "发件人一栏在真实地址前面串接了几个没有地址的名字，使邮件程序显示的名字并不是真正的发件人。",
                cut(&raw_from, 160).to_string(),
            ));
        } else if from_count > 1 {
            b.push(find(
                "email.multiple_from",
                Severity::Low,
                "The From line lists several senders, which mail programs show confusingly.",
                "发件人一栏列出了多个发件人，邮件程序会显示得令人困惑。",
                cut(&raw_from, 160).to_string(),
            ));
        }
        if (from_name_f.tricks() || subject_f.tricks()) && !claims.iter().any(|c| c.disguised) {
            b.push(find(
                "email.disguised_header",
                Severity::Medium,
                "The sender name or subject hides invisible or look-alike characters inside words, a filter-evasion trick.",
                "发件人名称或主题的词语中藏有不可见或形近字符，这是规避过滤的手法。",
                mark_non_ascii(&format!("{from_name} | {subject}")).unwrap_or_default(),
            ));
        }
        if body_f.hidden_in_word + body_f.lookalikes_in_word >= 4 {
            b.push(find(
                "email.disguised_body",
                Severity::Medium,
                "The text hides invisible or look-alike characters inside words, a filter-evasion trick.",
                "正文的词语中藏有不可见或形近字符，这是规避过滤的手法。",
                format!("{} hidden, {} look-alike", body_f.hidden_in_word, body_f.lookalikes_in_word),
            ));
        }
        // Sender domain analysis (look-alikes, free hosting) when it is no brand's own.
        if !from_domain.is_empty()
            && from_brand.is_none()
            && relay_brand.is_none()
            && !freemail
            && domain_plausible(&from_domain)
        {
            let hr = engine.check_host(&from_domain);
            if hr.brand.is_some() && hr.verdict < Verdict::Suspicious {
                let bid = hr.brand.clone().unwrap_or_default();
                b.brand(&bid);
                b.push(find(
                    "email.sender_domain_brand",
                    Severity::Medium,
                    format!("The sender's domain {from_domain} carries the name {bid} but is not one of {bid}'s own domains."),
                    format!("发件人的域名 {from_domain} 带有 {bid} 的名字，但并不是 {bid} 自己的域名。"),
                    from_address.clone(),
                ));
            } else if hr.brand.is_some() && hr.verdict >= Verdict::Suspicious {
                let bid = hr.brand.clone().unwrap_or_default();
                let reason = hr
                    .findings
                    .first()
                    .map(|f| f.message.en.clone())
                    .unwrap_or_default();
                b.brand(&bid);
                b.push(find(
                    "email.sender_lookalike",
                    if hr.verdict == Verdict::Phishing {
                        Severity::Critical
                    } else {
                        Severity::High
                    },
                    format!("The sender's domain {from_domain} imitates {bid}: {reason}"),
                    format!(
                        "发件人的域名 {from_domain} 模仿了 {bid}：{}",
                        hr.findings
                            .first()
                            .map(|f| f.message.zh.clone())
                            .unwrap_or_default()
                    ),
                    from_address.clone(),
                ));
            } else if let Some(fh) = engine.free_hosting(&from_domain) {
                b.push(find(
                    "email.sender_free_hosting",
                    Severity::Medium,
                    format!("The sender's domain is a free site on {} that anyone can create in minutes.", fh.suffix),
                    format!("发件人的域名是 {} 上任何人几分钟就能建立的免费站点。", fh.suffix),
                    from_address.clone(),
                ));
            }
        }
        // Reply-To going to free mail while From does not.
        let reply_domain = domain_of(&reply_addr);
        if !reply_domain.is_empty()
            && reply_domain != from_domain
            && self.is_freemail(&reply_domain)
            && !freemail
        {
            b.push(find(
                "email.reply_to_freemail",
                if brand_sender || primary.is_some() {
                    Severity::High
                } else {
                    Severity::Medium
                },
                format!(
                    "Replies go to a free-mail address ({reply_addr}), not to the sender's domain."
                ),
                format!("回复会发送到免费邮箱（{reply_addr}），而不是发件人的域名。"),
                reply_addr.clone(),
            ));
        }

        // ---- 3. Authentication, aligned with the brand ----
        let ar: Vec<&str> = m
            .headers_raw()
            .filter(|(n, _)| n.eq_ignore_ascii_case("Authentication-Results"))
            .map(|(_, v)| v)
            .collect();
        let mut summary = match g.verified.take() {
            Some(v) => {
                g.notes.push("authentication verified by phishprobe (--verify-auth): DKIM signatures, SPF for the client address in the trace headers, DMARC and ARC; the message's own Authentication-Results headers were not used".into());
                Some(v)
            }
            None => auth::summarize(ar.iter().copied(), self.opts.authserv_id.as_deref()),
        };
        let brand_for_auth = claimed_profile.or(from_brand);
        if let Some(s) = summary.as_mut() {
            self.weigh_auth(
                &mut b,
                s,
                brand_for_auth,
                brand_sender,
                brand_domain_claimed,
                &from_domain,
            );
        }
        details.authentication = summary;

        // ---- 4. Links ----
        let mut raw_links: Vec<(String, &'static str, String)> = Vec::new();
        for h in g.htmls.iter().chain(g.pages.iter().map(|(_, p)| p)) {
            for l in &h.links {
                raw_links.push((l.href.clone(), "href", l.text.clone()));
            }
            for f in &h.forms {
                raw_links.push((f.action.clone(), "form", String::new()));
            }
            for s in &h.iframes {
                raw_links.push((s.clone(), "iframe", String::new()));
            }
            for r in &h.redirects {
                raw_links.push((r.clone(), "redirect", String::new()));
            }
            for (src, _) in h.images.iter().take(30) {
                raw_links.push((src.clone(), "img", String::new()));
            }
        }
        let mut tu = Vec::new();
        for t in g.texts.iter().chain(g.attachment_texts.iter()) {
            text_urls(cut(t, BODY_MAX * 4), self.opts.max_urls, &mut tu);
        }
        raw_links.extend(tu.into_iter().map(|u| (u, "text", String::new())));
        raw_links.append(&mut g.links);
        if !b
            .findings()
            .iter()
            .any(|f| f.code == "email.unfilled_template")
            && let Some(t) = raw_links
                .iter()
                .take(200)
                .find_map(|(u, _, _)| unfilled_template(u))
        {
            b.push(find(
                "email.unfilled_template",
                Severity::Low,
                "The message shows the raw placeholders of a bulk-mailing tool (the sender's software failed to fill them in), a mark of mass spam runs.",
                "邮件中出现了群发工具未被填充的原始占位符，这是批量垃圾邮件的特征。",
                t,
            ));
        }
        // Bare names the core found in the text (`amazon-verify.top/reset`), already checked.
        let mut known: Vec<(String, phishprobe_core::Report)> = Vec::new();
        if let Some(a) = &text_analysis {
            for (u, r) in a.urls.iter().zip(a.url_reports.iter()) {
                raw_links.push((u.clone(), "text", String::new()));
                known.push((u.clone(), r.clone()));
            }
        }
        let claimed = primary.is_some() || b.current_brand().is_some();
        let ctx = LinkContext {
            claimed,
            brand_sender,
            from_reg: if from_domain.is_empty() {
                String::new()
            } else {
                reg(&from_domain)
            },
        };
        let link_summary = self.weigh_links(&mut b, &mut details, raw_links, &known, &ctx);

        // HTML bodies with forms; HTML attachments analysed like pages.
        for h in &g.htmls {
            if h.password_fields > 0 {
                b.push(find(
                    "email.password_form",
                    Severity::Critical,
                    "The email itself contains a password field: genuine services never ask for a password inside an email.",
                    "邮件本身包含密码输入框：正规服务从不在邮件里索取密码。",
                    h.forms.first().map(|f| f.action.clone()).unwrap_or_default(),
                ));
            } else if !h.forms.is_empty() {
                b.push(find(
                    "email.form_in_body",
                    if primary.is_some() {
                        Severity::Low
                    } else {
                        Severity::Info
                    },
                    "The email contains a form that sends what you type to a web server.",
                    "邮件中包含一个表单，会把你输入的内容发送到网络服务器。",
                    h.forms
                        .first()
                        .map(|f| f.action.clone())
                        .unwrap_or_default(),
                ));
            }
        }
        for (name, p) in &g.pages {
            let action = p
                .forms
                .iter()
                .map(|f| f.action.as_str())
                .find(|a| !a.is_empty())
                .unwrap_or("");
            if p.password_fields > 0 {
                b.push(find(
                    "email.attachment_credential_form",
                    Severity::Critical,
                    format!("The attachment {name} is a web page asking for a password; what you type goes to {}.", if action.is_empty() { "a script" } else { action }),
                    format!("附件 {name} 是一个索要密码的网页；你输入的内容会发送到 {}。", if action.is_empty() { "一段脚本" } else { action }),
                    format!("{name} → {action}"),
                ));
            } else if !p.redirects.is_empty() {
                b.push(find(
                    "email.attachment_redirect",
                    Severity::High,
                    format!("The attachment {name} is a web page that immediately sends you to another site."),
                    format!("附件 {name} 是一个会立即把你转到其他网站的网页。"),
                    format!("{name} → {}", p.redirects.first().map(String::as_str).unwrap_or("")),
                ));
            } else {
                b.push(find(
                    "email.attachment_html",
                    Severity::Medium,
                    format!("The attachment {name} opens as a web page on your computer, a common way to deliver fake sign-in pages."),
                    format!("附件 {name} 会在你的电脑上作为网页打开，这是投递假登录页面的常见方式。"),
                    name.clone(),
                ));
            }
        }

        // ---- 5. Attachments ----
        if !g.dangerous.is_empty() {
            b.push(find(
                "email.dangerous_attachment",
                Severity::High,
                "The message carries a file that runs code or opens a local web page when opened (program, script, disk image, shortcut).",
                "邮件携带的文件一打开就会运行代码或打开本地网页（程序、脚本、磁盘映像、快捷方式）。",
                g.dangerous.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
            ));
        }
        // Nothing to read but an attached document: the lure sits where filters do not look.
        let documents: Vec<&AttachmentInfo> = g
            .attachments
            .iter()
            .filter(|a| {
                matches!(
                    a.kind.as_str(),
                    "pdf" | "page" | "document" | "archive" | "otherarchive" | "executable"
                )
            })
            .collect();
        if text_chars < ATTACHMENT_ONLY_TEXT
            && !forward
            && !brand_sender
            && let Some(a) = documents.first()
        {
            b.push(find(
                "email.attachment_only",
                Severity::Medium,
                "The message says next to nothing and hands you an attached document to open: the real content is kept where mail filters do not look.",
                "邮件几乎没有正文，只让你打开附件里的文档：真正的内容被藏在邮件过滤器看不到的地方。",
                a.name.clone(),
            ));
        }
        // Invisible or direction-changing characters in a file name hide its real type
        // ("invoice\u{202E}fdp.exe" shows as "invoiceexe.pdf").
        if let Some(a) = g.attachments.iter().find(|a| {
            a.name.chars().any(|c| {
                is_invisible(c) || (is_combining_mark(c) && !('\u{0300}'..='\u{036F}').contains(&c))
            }) || a.name.contains('\u{034F}')
        }) {
            b.push(find(
                "email.attachment_name_disguised",
                Severity::Medium,
                "An attachment's name hides invisible or direction-changing characters, a trick to disguise what the file really is.",
                "附件名称中藏有不可见或改变方向的字符，这是掩盖文件真实类型的手法。",
                mark_non_ascii(&a.name).unwrap_or_else(|| a.name.clone()),
            ));
        }
        if let Some(p) = g.pdf_active.first() {
            b.push(find(
                "email.pdf_launch",
                Severity::High,
                "An attached PDF tries to start a program when opened.",
                "附带的 PDF 试图在打开时启动程序。",
                p.clone(),
            ));
        }

        // ---- 6. Body text ----
        let mut sig = Signals::default();
        if let (Some(rules), Some(a)) = (&self.text_rules, &text_analysis) {
            let (fs, s) = bodytext::findings(
                rules,
                a,
                &bodytext::Context {
                    forward,
                    brand_sender,
                    links: link_summary,
                    text_chars,
                },
            );
            b.extend(fs);
            sig = s;
        }
        self.weigh_text(&mut b, &hits, forward, &sig);
        let prize = hits.has(Lure::Prize) || sig.prize;
        let cred = hits.has(Lure::Credential) || sig.credential;
        let threat = hits.has(Lure::Threat) || sig.threat;
        if freemail && !forward && (prize || cred && threat) {
            b.push(find(
                "email.freemail_lure",
                Severity::Medium,
                format!("A free-mail address ({from_domain}) promises money or a prize, or asks you to verify an account: organisations that do this never write from free mail."),
                format!("一个免费邮箱（{from_domain}）承诺钱财或奖品，或要求验证账户：做这些事的机构从不使用免费邮箱。"),
                from_address.clone(),
            ));
        }
        // A flagged message with no brand claim in its headers: report the brand its text is
        // most about (a phish that names Amazon only in the body still imitates Amazon).
        let risky = b
            .findings()
            .iter()
            .map(|f| f.severity.weight())
            .sum::<u32>()
            >= phishprobe_core::model::SUSPICIOUS_SCORE;
        if risky
            && b.current_brand().is_none()
            && let Some(c) = claims
                .iter()
                .find(|c| matches!(c.brand, BrandRef::Profile(_)))
        {
            let id = self.brand_id(c.brand);
            b.brand(&id);
        }

        details.attachments = g.attachments;
        details.notes = g.notes;
        details.text_chars = text_chars;
        // Genuine only with an aligned authentication pass on a brand sender address and
        // nothing against it (the builder keeps risk findings above vouching).
        let report = b.build();
        EmailReport { report, details }
    }

    /// A display name that carries an address or domain other than the real sender's.
    fn display_name_address(&self, b: &mut ReportBuilder, name: &str, from_domain: &str) {
        if from_domain.is_empty() {
            return;
        }
        let f = fold(name).text;
        let elsewhere = |shown: &String| reg(shown) != reg(from_domain);
        // A display name that is nothing but a domain ("proton.me") names a sender too; else
        // an address inside it. Only a full address counts among the words: brand names like
        // "Booking.com" are not addresses.
        let whole = f.trim().trim_matches(['"', '\'', ' ']);
        let shown = shown_host(whole).filter(elsewhere).or_else(|| {
            f.split(|c: char| {
                c.is_whitespace()
                    || matches!(
                        c,
                        '"' | '\'' | '<' | '>' | '(' | ')' | ',' | '[' | ']' | '|'
                    )
            })
            .map(|tok| tok.trim_matches(|c: char| !c.is_alphanumeric()))
            .filter(|tok| tok.contains('.') && tok.contains('@'))
            .filter_map(|tok| shown_host(&domain_of(tok)))
            .find(elsewhere)
        });
        let Some(shown) = shown else {
            return;
        };
        let owned = !self.engine.owners_of_domain(&shown).is_empty();
        b.push(find(
            "email.display_name_other_domain",
            if owned { Severity::High } else { Severity::Low },
            format!("The sender's name shows the address or site \"{shown}\", but the message really comes from {from_domain}."),
            format!("发件人名称显示的是地址或网站“{shown}”，但邮件实际来自 {from_domain}。"),
            format!("{name} <…@{from_domain}>"),
        ));
    }

    fn brand_domain(&self, bi: usize, domain: &str) -> bool {
        let Some(id) = self.engine.brand(bi).map(|b| b.id.clone()) else {
            return false;
        };
        !domain.is_empty()
            && self
                .engine
                .owners_of_domain(domain)
                .iter()
                .any(|o| o.brand == id && matches!(o.role, DomainRole::Mail | DomainRole::Web))
    }

    /// Whether a link goes to the brand's own site: its host is the brand's (customer content
    /// excepted), or the brand's web domain is where it redirects (`?url=https://amazon.com/…`,
    /// also percent-encoded), as newsletters' redirectors do.
    fn brand_owns_link(&self, bi: usize, url: &str, host: &str) -> bool {
        let Some(p) = self.engine.brand(bi) else {
            return false;
        };
        if self
            .engine
            .owners_of_domain(host)
            .iter()
            .any(|o| o.brand == p.id && o.role != DomainRole::CustomerContent)
        {
            return true;
        }
        let decoded = decode_url_punctuation(&cut(url, 4096).to_ascii_lowercase());
        let rest = decoded
            .split_once(host)
            .map_or(decoded.as_str(), |(_, r)| r);
        p.web.iter().any(|w| {
            rest.match_indices(w.domain.as_str()).any(|(i, m)| {
                let before = rest[..i].chars().next_back();
                let after = rest[i + m.len()..].chars().next();
                before.is_none_or(|c| matches!(c, '/' | '.' | '=' | '@'))
                    && after.is_none_or(|c| matches!(c, '/' | '?' | '&' | '#' | ':'))
            })
        })
    }

    fn weigh_auth(
        &self,
        b: &mut ReportBuilder,
        s: &mut AuthSummary,
        brand: Option<usize>,
        brand_sender: bool,
        brand_domain_claimed: bool,
        from_domain: &str,
    ) {
        if let Some(bi) = brand {
            for r in s.results.iter_mut() {
                r.brand_aligned = self.brand_domain(bi, &r.domain);
            }
        }
        let bname = brand
            .and_then(|bi| self.engine.brand(bi))
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let dmarc_brand_fail = s
            .get("dmarc")
            .any(|r| r.brand_aligned && r.result == "fail");
        let dmarc_pass_brand = s
            .get("dmarc")
            .any(|r| r.brand_aligned && r.result == "pass");
        let from_reg = reg(from_domain);
        let dkim_pass_brand = s
            .get("dkim")
            .any(|r| r.brand_aligned && r.result == "pass" && (reg(&r.domain) == from_reg));
        let ctx = auth::AuthContext {
            brand_name: &bname,
            from_domain,
            brand_from: brand_sender || brand_domain_claimed,
        };
        b.extend(auth::word_results(s, &ctx).findings);
        if brand_sender && !dmarc_brand_fail && (dmarc_pass_brand || dkim_pass_brand) {
            b.push(find(
                "auth.brand_aligned",
                Severity::Info,
                format!("The receiving server confirmed the message was signed by {bname}'s own mail domain."),
                format!("收件服务器确认邮件由 {bname} 自己的邮件域名签署。"),
                from_domain.to_string(),
            ));
            b.vouch_genuine();
        } else if brand.is_some() && !brand_sender {
            let passed: Vec<String> = s
                .results
                .iter()
                .filter(|r| {
                    r.result == "pass"
                        && !r.domain.is_empty()
                        && matches!(r.method.as_str(), "spf" | "dkim" | "dmarc")
                })
                .map(|r| format!("{}={}", r.method, r.domain))
                .take(3)
                .collect();
            if !passed.is_empty() {
                b.push(find(
                    "auth.pass_not_brand",
                    Severity::Info,
                    format!("Authentication passed only for a domain that is not {bname}'s: that proves who sent it, not that {bname} did."),
                    format!("认证只对一个不属于 {bname} 的域名通过：这只能证明是谁发的，不能证明是 {bname} 发的。"),
                    passed.join(", "),
                ));
            }
        }
    }

    fn weigh_links(
        &self,
        b: &mut ReportBuilder,
        details: &mut Details,
        raw: Vec<(String, &'static str, String)>,
        known: &[(String, phishprobe_core::Report)],
        ctx: &LinkContext,
    ) -> LinkSummary {
        let mut summary = LinkSummary::default();
        let brand_sender = ctx.brand_sender;
        let engine = self.engine;
        let mut seen: HashSet<String> = HashSet::new();
        let mut phishing: Vec<String> = Vec::new();
        let mut suspicious: Vec<String> = Vec::new();
        let mut mismatch_brand: Vec<String> = Vec::new();
        let mut mismatch_other: Vec<String> = Vec::new();
        let mut name_elsewhere: Vec<String> = Vec::new();
        let mut js_links = 0usize;
        let mut checked = 0usize;
        for (url, source, shown) in raw {
            let u = url.trim();
            let lower = u.get(..11).unwrap_or(u).to_ascii_lowercase();
            if lower.starts_with("javascript:") {
                js_links += 1;
                continue;
            }
            if u.is_empty()
                || u.starts_with('#')
                || lower.starts_with("mailto:")
                || lower.starts_with("tel:")
                || lower.starts_with("cid:")
                || lower.starts_with("sms:")
                || (lower.starts_with("data:") && source == "img")
                || (!u.contains('.') && !lower.starts_with("data:"))
                || u.starts_with('/') && !u.starts_with("//")
            {
                continue;
            }
            if !lower.starts_with("http")
                && !lower.starts_with("www.")
                && !lower.starts_with("//")
                && !lower.starts_with("data:")
                && source != "text"
            {
                // Relative links and odd schemes in HTML: nothing to resolve offline.
                if !u.contains("://") {
                    continue;
                }
            }
            let target_host = host_of(u);
            // Links to the sender's own registered domain say nothing new about the sender.
            let own = !ctx.from_reg.is_empty()
                && !target_host.is_empty()
                && reg(&target_host) == ctx.from_reg;
            // Shown text naming another host than the target.
            let shown_h = shown_host(&shown);
            // Shown text that is a brand's name ("Amazon®") on a link the brand does not own.
            // A brand sender's own links, links to the sender's own domain and click trackers
            // (whose target cannot be seen offline) are left alone, as for shown hosts.
            if shown_h.is_none()
                && !brand_sender
                && !own
                && !target_host.is_empty()
                && engine.click_tracker(&target_host).is_none()
                && let Some(bi) = self.brand_names.named_by(&shown)
                && !self.brand_owns_link(bi, u, &target_host)
            {
                name_elsewhere.push(format!("\"{}\" → {target_host}", cut(shown.trim(), 60)));
            }
            if let Some(sh) = shown_h
                && !target_host.is_empty()
                && reg(&sh) != reg(&target_host)
            {
                let tracker = engine.click_tracker(&target_host).is_some();
                let shown_brand = engine
                    .owners_of_domain(&sh)
                    .iter()
                    .find(|o| matches!(o.role, DomainRole::Web | DomainRole::Mail))
                    .map(|o| o.brand.clone());
                let target_same_brand = shown_brand.as_ref().is_some_and(|sb| {
                    engine
                        .owners_of_domain(&target_host)
                        .iter()
                        .any(|o| &o.brand == sb && o.role != DomainRole::CustomerContent)
                });
                if !target_same_brand {
                    if shown_brand.is_some() && !(tracker && brand_sender) && !own {
                        mismatch_brand.push(format!("{sh} → {target_host}"));
                    } else if !tracker {
                        mismatch_other.push(format!("{sh} → {target_host}"));
                    }
                }
            }
            if !seen.insert(u.to_string()) {
                continue;
            }
            if checked >= self.opts.max_urls {
                continue;
            }
            checked += 1;
            let r = match known.iter().find(|(k, _)| k == u) {
                Some((_, r)) => r.clone(),
                None => engine.check_url(cut(u, 4096)),
            };
            if source != "img" {
                summary.checked += 1;
                if own || r.verdict == Verdict::Genuine {
                    summary.genuine_or_own += 1;
                }
            }
            let reason = r
                .findings
                .iter()
                .find(|f| f.severity > Severity::Info)
                .or(r.findings.first())
                .map(|f| f.message.en.clone())
                .unwrap_or_default();
            match r.verdict {
                _ if own => {}
                Verdict::Phishing => {
                    phishing.push(format!("{} ({})", cut(u, 200), cut(&reason, 200)))
                }
                Verdict::Suspicious if source != "img" => {
                    suspicious.push(format!("{} ({})", cut(u, 200), cut(&reason, 200)))
                }
                _ => {}
            }
            if details.links.len() < 200 {
                details.links.push(LinkInfo {
                    url: cut(u, 500).to_string(),
                    source: source.to_string(),
                    shown: cut(&shown, 120).to_string(),
                    verdict: r.verdict.as_str().to_string(),
                    brand: r.brand.clone(),
                    reason: cut(&reason, 300).to_string(),
                });
            }
            if source == "qr" {
                b.push(find(
                    "email.qr_link",
                    Severity::Low,
                    "An image in the message is a QR code with a link: scanning it on a phone skips the checks your computer would do.",
                    "邮件中的图片是带链接的二维码：用手机扫描会绕过电脑上的安全检查。",
                    cut(u, 200).to_string(),
                ));
            }
        }
        // Link verdicts weigh most when the message claims a brand: that is the lure they serve.
        let (ph_sev, su_sev, mm_sev) = if ctx.claimed && !brand_sender {
            (Severity::High, Severity::Medium, Severity::High)
        } else if brand_sender {
            // From is the brand's own domain (a forged one fails DMARC at the receiver): its
            // own trackers and redirectors are its business.
            (Severity::Low, Severity::Info, Severity::Medium)
        } else {
            (Severity::Medium, Severity::Low, Severity::Medium)
        };
        if let Some(first) = phishing.first() {
            b.push(find(
                "email.link_phishing",
                ph_sev,
                format!(
                    "{} link(s) in the message lead to a phishing or look-alike site.",
                    phishing.len()
                ),
                format!("邮件中有 {} 个链接指向钓鱼或仿冒网站。", phishing.len()),
                first.clone(),
            ));
        }
        if let Some(first) = suspicious.first() {
            b.push(find(
                "email.link_suspicious",
                su_sev,
                format!(
                    "{} link(s) in the message look suspicious.",
                    suspicious.len()
                ),
                format!("邮件中有 {} 个链接看起来可疑。", suspicious.len()),
                first.clone(),
            ));
        }
        if let Some(first) = mismatch_brand.first() {
            b.push(find(
                "email.link_text_brand_mismatch",
                mm_sev,
                "A link shows a brand's own web address but really goes somewhere else.",
                "一个链接显示的是品牌自己的网址，实际却指向别处。",
                first.clone(),
            ));
        }
        if let Some(first) = name_elsewhere.first() {
            // Weighed below a shown web address (a brand's name is also the ordinary text of
            // a reseller's or affiliate's link): Medium when the message claims a brand, Low
            // when it only mentions one.
            b.push(find(
                "email.link_text_brand_name_elsewhere",
                if ctx.claimed {
                    Severity::Medium
                } else {
                    Severity::Low
                },
                format!(
                    "{} link(s) read as a brand's name but go to a site that brand does not own.",
                    name_elsewhere.len()
                ),
                format!(
                    "{} 个链接的文字是品牌名称，实际却指向不属于该品牌的网站。",
                    name_elsewhere.len()
                ),
                first.clone(),
            ));
        }
        if let Some(first) = mismatch_other.first() {
            b.push(find(
                "email.link_text_mismatch",
                Severity::Low,
                "A link shows one web address but goes to another.",
                "一个链接显示的是一个网址，实际却指向另一个。",
                first.clone(),
            ));
        }
        if js_links > 0 {
            b.push(find(
                "email.javascript_link",
                Severity::Low,
                "A link runs a script instead of opening a page.",
                "一个链接会运行脚本，而不是打开网页。",
                format!("{js_links} javascript: link(s)"),
            ));
        }
        summary
    }

    /// The email's own phrase lists (`data/lures.toml`, eight languages) for what the core
    /// text patterns (English and Chinese, weighed before this) did not report: a purpose the
    /// core already found is not counted twice, but a credential request and an account
    /// threat found by either together make the classic "verify or lose it" script.
    fn weigh_text(
        &self,
        b: &mut ReportBuilder,
        hits: &cues::LureHits,
        forward: bool,
        core: &Signals,
    ) {
        let cred = hits.has(Lure::Credential) && !core.credential;
        let threat = hits.has(Lure::Threat) && !core.threat;
        let prize = hits.has(Lure::Prize) && !core.prize;
        let urgent = hits.has(Lure::Urgency) && !core.urgency;
        let low = if forward {
            Severity::Info
        } else {
            Severity::Low
        };
        let any_cred = cred || core.credential;
        let any_threat = threat || core.threat;
        if any_cred && any_threat && !core.disclosure {
            b.push(find(
                "email.text_verify_or_lose",
                if forward { Severity::Low } else { Severity::Medium },
                "The text says your account or payment is in trouble and asks you to verify or update your details: the classic phishing script.",
                "正文声称你的账户或付款出了问题，并要求你验证或更新资料：这是典型的钓鱼话术。",
                [hits.phrases(Lure::Threat), hits.phrases(Lure::Credential)].concat().join(" | "),
            ));
        } else if cred {
            b.push(find(
                "email.text_asks_credentials",
                low,
                "The text asks you to sign in, verify or hand over account or card details.",
                "正文要求你登录、验证或提供账户或银行卡资料。",
                hits.phrases(Lure::Credential).join(" | "),
            ));
        } else if threat {
            b.push(find(
                "email.text_account_threat",
                low,
                "The text says your account, payment, parcel or device is in trouble.",
                "正文声称你的账户、付款、包裹或设备出了问题。",
                hits.phrases(Lure::Threat).join(" | "),
            ));
        }
        if prize {
            b.push(find(
                "email.text_prize",
                low,
                "The text promises a prize, gift or money.",
                "正文承诺奖品、礼物或金钱。",
                hits.phrases(Lure::Prize).join(" | "),
            ));
        }
        if urgent && (any_cred || any_threat || prize || core.prize) {
            b.push(find(
                "email.text_urgency",
                low,
                "The text pushes you to act at once.",
                "正文催促你立即行动。",
                hits.phrases(Lure::Urgency).join(" | "),
            ));
        }
    }
}

/// Chinese display name with an English fallback.
trait NameZh {
    fn name_zh_or<'a>(&'a self, fallback: &'a str) -> &'a str;
}
impl NameZh for phishprobe_core::BrandProfile {
    fn name_zh_or<'a>(&'a self, fallback: &'a str) -> &'a str {
        if self.name_zh.is_empty() {
            fallback
        } else {
            &self.name_zh
        }
    }
}

/// Header value as text, when it is text.
#[allow(dead_code)]
fn header_text(v: &HeaderValue<'_>) -> Option<String> {
    v.as_text().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_domains() {
        assert_eq!(domain_of("<Bob@Example.COM.>"), "example.com");
        assert_eq!(
            host_of("https://user@www.Amazon.com:443/x?y"),
            "www.amazon.com"
        );
        assert_eq!(shown_host("www.amazon.com"), Some("www.amazon.com".into()));
        assert_eq!(shown_host("Click here"), None);
        assert!(domain_plausible("example.co.uk"));
        assert!(!domain_plausible("correios"));
        assert!(!domain_plausible("bonus%.net-3-5"));
        assert!(!domain_plausible("shein-survey-free,net"));
    }

    #[test]
    fn padded_names() {
        assert!(padded_name(&format!("Promo {}", "_".repeat(40))));
        assert!(padded_name(&format!("Bank{}x", "\u{2800}".repeat(20))));
        assert!(!padded_name("Dr. J. R. R. Tolkien -- Author"));
    }

    #[test]
    fn template_placeholders() {
        assert_eq!(
            unfilled_template("Hi *|FNAME|*, news").as_deref(),
            Some("*|FNAME|*")
        );
        assert_eq!(
            unfilled_template("go https://[%%ORandStr,1-100%%]/x").as_deref(),
            Some("[%%ORandStr,1-100%%]")
        );
        assert!(unfilled_template("a *| b |* c, 50%% off [%% ").is_none());
    }

    #[test]
    fn plain_text_urls() {
        let mut v = Vec::new();
        text_urls(
            "See https://a.example/x, and www.b.example. Also (http://c.example/y).",
            10,
            &mut v,
        );
        assert_eq!(
            v,
            ["https://a.example/x", "www.b.example", "http://c.example/y"]
        );
    }
}
