//! # phishprobe-case
//!
//! Runs one case — everything a person received at once: an email, links, the number that
//! called, the words of the call or SMS — through the matching checks, lets the caller run the
//! wrong-password probe on the one page worth probing, combines it all with
//! [`phishprobe_core::combine`] (field-rule steps and advice), and turns the result into a row for
//! the history store.
//!
//! Shared by `phishprobe case` and `phishprobe serve`, so both answer the same way. The probe is
//! split out ([`probe`]) because the CLI and the server own their browsers differently.
#![warn(missing_docs)]

use phishprobe_core::combine::{
    CaseBuilder, CaseReport, CaseRules, PartKind, ProbeStatus, link_in, part_label,
};
use phishprobe_core::phone::{self, UserMark};
use phishprobe_core::text::{self, TextRules};
use phishprobe_core::{DataError, Engine, Message, Report, Verdict};
use phishprobe_email::{EmailChecker, EmailData, LinkSource, Options as EmailOptions};
use phishprobe_store::{CaseInput, EvidenceFile, NewCase};

pub mod export;
pub mod labels;
pub mod probe;

/// Most links in one case.
pub const MAX_URLS: usize = 32;
/// Most phone numbers in one case.
pub const MAX_PHONES: usize = 16;
/// Most texts (call notes, SMS) in one case.
pub const MAX_TEXTS: usize = 16;
/// Most recordings in one case.
pub const MAX_RECORDINGS: usize = 4;
/// Largest recording kept with a case (a two-hour call as 8 kHz μ-law is about 58 MB).
pub const MAX_RECORDING_BYTES: usize = 128 << 20;
/// Longest text analysed.
pub const MAX_TEXT_BYTES: usize = 1 << 20;
/// Largest email analysed.
pub const MAX_EMAIL_BYTES: usize = 32 << 20;
/// Longest link or number accepted.
pub const MAX_VALUE_BYTES: usize = 8 * 1024;
/// Links found inside the email and texts that get a report of their own in the website step.
pub const MAX_LINK_PARTS: usize = 8;

/// What the person handed in.
#[derive(Debug, Clone, Default)]
pub struct CaseInputs {
    /// File name (or `-`) and the raw message.
    pub email: Option<(String, Vec<u8>)>,
    /// Links the person was given, as written (each gets its own URL check).
    pub urls: Vec<String>,
    /// Phone numbers the person was given or called from, as written.
    pub phones: Vec<String>,
    /// Name (file name, `-` or `text`) and the words.
    pub texts: Vec<(String, String)>,
    /// Recorded calls, already transcribed and judged by the caller (speech recognition is
    /// an optional engine this crate does not depend on).
    pub recordings: Vec<RecordingPart>,
    /// Run the wrong-password probe (it visits a page).
    pub probe: bool,
    /// Region for numbers written without a country code (`US`, `CN`, ...).
    pub region: Option<String>,
    /// Keep the inputs in the history (`true`) or only their SHA-256 and size.
    pub keep_inputs: bool,
}

/// A recorded call in a case: its report (from the transcript), the transcript, and the
/// recording as received (kept in the history like an email, or only hashed).
#[derive(Debug, Clone)]
pub struct RecordingPart {
    /// File name, shown in the report.
    pub name: String,
    /// The audio check's report (`phishprobe audio`).
    pub report: Report,
    /// The machine transcript as JSON (segments with times and reliability).
    pub transcript_json: String,
    /// The file's bytes.
    pub audio: Vec<u8>,
}

/// Why a case could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// Nothing to check: a case needs at least one part.
    #[error(
        "the case is empty: give at least one of an email, a link, a phone number, a text or a recording"
    )]
    Empty,
    /// An input over its limit; the message names the input and the limit.
    #[error("{0}")]
    TooBig(String),
    /// The email could not be read as a message at all (no verdict is better than a wrong one).
    #[error("{name}: {message}")]
    Email {
        /// The file name (or `-`) the message came from.
        name: String,
        /// Why it was refused.
        message: String,
    },
}

/// Reports of the parts, before the probe.
#[derive(Debug, Clone)]
pub struct PartReports {
    /// Each part, with the name it is shown under when it is not the default one.
    reports: Vec<(PartKind, Report, Option<Message>)>,
    /// Links seen inside the email and texts, in order (http and https only), with the name
    /// of the part they were found in, and the URL report already made for them.
    found_links: Vec<(String, Verdict, Message, Option<Report>)>,
    explicit_urls: Vec<String>,
}

impl PartReports {
    /// Each part's kind and report, in the order the parts were given.
    pub fn reports(&self) -> impl Iterator<Item = (PartKind, &Report)> {
        self.reports.iter().map(|(k, r, _)| (*k, r))
    }

    /// The page the wrong-password test should visit: the first link the person gave, else
    /// the first link inside the email or text that no brand profile vouches for (the one a
    /// victim would click), else the first link at all.
    pub fn probe_target(&self) -> Option<String> {
        self.explicit_urls
            .first()
            .cloned()
            .or_else(|| {
                self.found_links
                    .iter()
                    .find(|(_, v, _, _)| *v != Verdict::Genuine)
                    .map(|(u, _, _, _)| u.clone())
            })
            .or_else(|| self.found_links.first().map(|(u, _, _, _)| u.clone()))
    }

    /// Whether a link or page is part of the case.
    pub fn has_links(&self) -> bool {
        !self.explicit_urls.is_empty() || !self.found_links.is_empty()
    }
}

/// The case rules and text patterns, loaded once.
#[derive(Debug, Clone)]
pub struct CaseChecker {
    rules: CaseRules,
    text_rules: TextRules,
    /// The email checker's data files (embedded unless the caller gives others).
    email_data: EmailData,
}

fn web_link(u: &str) -> bool {
    let l = u.trim_start().to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://")
}

impl CaseChecker {
    /// With the embedded data files.
    pub fn embedded() -> Result<CaseChecker, DataError> {
        Self::with_text_rules(TextRules::embedded()?)
    }

    /// The embedded case rules with text patterns the caller already built (a server holds
    /// them for its text endpoint: compiling them twice would double the start-up cost).
    pub fn with_text_rules(text_rules: TextRules) -> Result<CaseChecker, DataError> {
        Ok(CaseChecker {
            rules: CaseRules::embedded()?,
            text_rules,
            email_data: EmailData::embedded(),
        })
    }

    /// With the email checker's data files replaced (`--brands DIR` with an `email/` folder).
    pub fn with_email_data(mut self, email_data: EmailData) -> CaseChecker {
        self.email_data = email_data;
        self
    }

    /// The case rules in use (`data/case.toml`): which findings mean a request for a password,
    /// code or payment, and the advice texts.
    pub fn rules(&self) -> &CaseRules {
        &self.rules
    }

    /// Check every part. `mark` looks a number up in the user's own list (key:
    /// [`phone::list_key`]); pass `|_| None` when there is no list.
    pub fn check_parts(
        &self,
        engine: &Engine,
        inputs: &CaseInputs,
        mark: &dyn Fn(&str) -> Option<UserMark>,
    ) -> Result<PartReports, CaseError> {
        // Building an email checker compiles its phrase automata: only when there is an email.
        match &inputs.email {
            Some(_) => {
                let email = self.email_checker(engine);
                self.check_parts_with(engine, &email, inputs, mark)
            }
            None => self.check_parts_inner(engine, None, inputs, mark),
        }
    }

    /// An email checker that shares this checker's text patterns (built once, not twice).
    pub fn email_checker<'e>(&self, engine: &'e Engine) -> EmailChecker<'e> {
        EmailChecker::with_data(
            engine,
            EmailOptions::default(),
            Some(self.text_rules.clone()),
            self.email_data.clone(),
        )
    }

    /// [`CaseChecker::check_parts`] with an email checker built once and reused (servers, mail
    /// flows, benchmarks): building one costs far more than checking a message.
    /// `email` must have been built on the same `engine`.
    pub fn check_parts_with(
        &self,
        engine: &Engine,
        email: &EmailChecker<'_>,
        inputs: &CaseInputs,
        mark: &dyn Fn(&str) -> Option<UserMark>,
    ) -> Result<PartReports, CaseError> {
        self.check_parts_inner(engine, Some(email), inputs, mark)
    }

    fn check_parts_inner(
        &self,
        engine: &Engine,
        email: Option<&EmailChecker<'_>>,
        inputs: &CaseInputs,
        mark: &dyn Fn(&str) -> Option<UserMark>,
    ) -> Result<PartReports, CaseError> {
        check_limits(inputs)?;
        let mut parts = PartReports {
            reports: Vec::new(),
            found_links: Vec::new(),
            explicit_urls: Vec::new(),
        };
        if let Some((name, raw)) = &inputs.email {
            let checked = match email {
                Some(c) => c.check(name, raw),
                None => phishprobe_email::check_message(engine, name, raw),
            }
            .map_err(|e| CaseError::Email {
                name: name.clone(),
                message: e.to_string(),
            })?;
            // Images load by themselves; only what a person can click or scan is a link they
            // were sent.
            // The email check already analysed each link: its report is used as made, never
            // checked again (a link over 500 bytes is listed cut, and its report is of the
            // link as sent, up to 4 KiB).
            for l in &checked.details.links {
                if web_link(&l.url) && l.source != LinkSource::Img {
                    let report = Some(l.report.clone());
                    parts.found_links.push((
                        l.url.clone(),
                        l.verdict,
                        part_label(PartKind::Email, 0, 1),
                        report,
                    ));
                }
            }
            parts.reports.push((PartKind::Email, checked.report, None));
        }
        let texts = inputs.texts.len();
        for (i, (name, words)) in inputs.texts.iter().enumerate() {
            let a = text::analyze(engine, &self.text_rules, words);
            let origin = part_label(PartKind::Text, i, texts);
            for (u, r) in a.urls.iter().zip(&a.url_reports) {
                if web_link(u) {
                    let report = (r.input == *u).then(|| r.clone());
                    parts
                        .found_links
                        .push((u.clone(), r.verdict, origin.clone(), report));
                }
            }
            parts
                .reports
                .push((PartKind::Text, text::report_from(name, &a), None));
        }
        for r in &inputs.recordings {
            parts
                .reports
                .push((PartKind::Audio, r.report.clone(), None));
        }
        for u in &inputs.urls {
            let u = u.trim();
            if u.is_empty() {
                continue;
            }
            parts.explicit_urls.push(u.to_string());
            parts
                .reports
                .push((PartKind::Url, engine.check_url(u), None));
        }
        // Links inside the email and texts are checked on their own for the website step, so
        // it reports on them even when they are fine (the first few distinct ones: a newsletter
        // may carry hundreds, and the email check already looked at all of them).
        // A link found in several parts is checked once and named after all of them.
        // The report the email or text check made for a link is used, not made again.
        let mut linked: Vec<(&str, Vec<&Message>, Option<&Report>)> = Vec::new();
        for (u, _, origin, report) in &parts.found_links {
            if parts.explicit_urls.contains(u) {
                continue;
            }
            let room = linked.len() < MAX_LINK_PARTS;
            match linked.iter_mut().find(|(l, _, _)| l == u) {
                Some((_, origins, known)) => {
                    if !origins.contains(&origin) {
                        origins.push(origin);
                    }
                    if known.is_none() {
                        *known = report.as_ref();
                    }
                }
                None if room => linked.push((u, vec![origin], report.as_ref())),
                None => {}
            }
        }
        let link_reports: Vec<(Report, Message)> = linked
            .iter()
            .map(|(u, origins, known)| {
                let r = known.cloned().unwrap_or_else(|| engine.check_url(u));
                (r, link_in(origins))
            })
            .collect();
        for (r, name) in link_reports {
            parts.reports.push((PartKind::Link, r, Some(name)));
        }
        let region = inputs.region.as_deref();
        for n in &inputs.phones {
            let m = phone::list_key(n, region).and_then(|k| mark(&k));
            parts
                .reports
                .push((PartKind::Phone, phone::check(engine, n, region, m), None));
        }
        if parts.reports.is_empty() {
            return Err(CaseError::Empty);
        }
        Ok(parts)
    }

    /// Combine the parts and the probe's outcome into the case report.
    pub fn finish(&self, engine: &Engine, parts: &PartReports, probe: ProbeStatus) -> CaseReport {
        let mut b = CaseBuilder::new(engine, &self.rules);
        for (k, r, name) in &parts.reports {
            match name {
                Some(n) => b.add_named(*k, n.clone(), r.clone()),
                None => b.add(*k, r.clone()),
            };
        }
        if parts.has_links() {
            b.login_involved();
        }
        b.probe(probe);
        b.build()
    }
}

fn check_limits(inputs: &CaseInputs) -> Result<(), CaseError> {
    let too = |what: String| Err(CaseError::TooBig(what));
    if inputs.urls.len() > MAX_URLS {
        return too(format!("at most {MAX_URLS} links per case"));
    }
    if inputs.phones.len() > MAX_PHONES {
        return too(format!("at most {MAX_PHONES} phone numbers per case"));
    }
    if inputs.texts.len() > MAX_TEXTS {
        return too(format!("at most {MAX_TEXTS} texts per case"));
    }
    if inputs.recordings.len() > MAX_RECORDINGS {
        return too(format!("at most {MAX_RECORDINGS} recordings per case"));
    }
    if let Some(r) = inputs
        .recordings
        .iter()
        .find(|r| r.audio.len() > MAX_RECORDING_BYTES)
    {
        return too(format!(
            "recording {} is larger than {} MB",
            r.name,
            MAX_RECORDING_BYTES >> 20
        ));
    }
    if let Some(v) = inputs
        .urls
        .iter()
        .chain(&inputs.phones)
        .find(|v| v.len() > MAX_VALUE_BYTES)
    {
        return too(format!(
            "a link or number of {} bytes is longer than the {MAX_VALUE_BYTES}-byte limit",
            v.len()
        ));
    }
    if let Some((name, _)) = inputs.texts.iter().find(|(_, t)| t.len() > MAX_TEXT_BYTES) {
        return too(format!(
            "text {name} is longer than {} KB",
            MAX_TEXT_BYTES >> 10
        ));
    }
    if let Some((name, raw)) = &inputs.email
        && raw.len() > MAX_EMAIL_BYTES
    {
        return too(format!(
            "email {name} is larger than {} MB",
            MAX_EMAIL_BYTES >> 20
        ));
    }
    Ok(())
}

/// The history row for a finished case. The title is the first input, for lists.
pub fn new_case(
    inputs: &CaseInputs,
    report: &CaseReport,
    evidence: Vec<EvidenceFile>,
) -> Result<NewCase, serde_json::Error> {
    let mut stored: Vec<CaseInput> = Vec::new();
    if let Some((name, raw)) = &inputs.email {
        stored.push(CaseInput {
            kind: "email".into(),
            name: name.clone(),
            content: raw.clone(),
        });
    }
    for u in &inputs.urls {
        stored.push(CaseInput {
            kind: "url".into(),
            name: u.clone(),
            content: u.as_bytes().to_vec(),
        });
    }
    for p in &inputs.phones {
        stored.push(CaseInput {
            kind: "phone".into(),
            name: p.clone(),
            content: p.as_bytes().to_vec(),
        });
    }
    for (name, t) in &inputs.texts {
        stored.push(CaseInput {
            kind: "text".into(),
            name: name.clone(),
            content: t.as_bytes().to_vec(),
        });
    }
    for r in &inputs.recordings {
        stored.push(CaseInput {
            kind: "audio".into(),
            name: r.name.clone(),
            content: r.audio.clone(),
        });
        stored.push(CaseInput {
            kind: "transcript".into(),
            name: format!("{}.transcript.json", r.name),
            content: r.transcript_json.as_bytes().to_vec(),
        });
    }
    let title = title_of(inputs, report);
    Ok(NewCase {
        verdict: report.verdict.as_str().to_string(),
        brand: report.brand.clone(),
        score: i64::from(report.score),
        title,
        report_json: serde_json::to_string(report)?,
        inputs: stored,
        keep_inputs: inputs.keep_inputs,
        evidence,
    })
}

/// A list line that says what the case was about without revealing hashed-only contents: the
/// email's subject or file name, a link, a number, or the first words of a text (only when
/// inputs are kept).
fn title_of(inputs: &CaseInputs, report: &CaseReport) -> String {
    let first_words = |t: &str| t.split_whitespace().take(12).collect::<Vec<_>>().join(" ");
    let mut parts: Vec<String> = Vec::new();
    if let Some((name, _)) = &inputs.email {
        parts.push(format!("email {}", export::shown_name("email", name)));
    }
    if let Some(u) = inputs.urls.first() {
        parts.push(u.clone());
    }
    if let Some(p) = inputs.phones.first() {
        parts.push(p.clone());
    }
    if let Some((name, t)) = inputs.texts.first() {
        if inputs.keep_inputs {
            parts.push(format!("\u{201c}{}\u{201d}", first_words(t)));
        } else {
            parts.push(format!("text {}", export::shown_name("text", name)));
        }
    }
    if let Some(r) = inputs.recordings.first() {
        parts.push(format!("audio {}", export::shown_name("audio", &r.name)));
    }
    if parts.is_empty() {
        report.input.clone()
    } else {
        parts.join(" · ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (Engine, CaseChecker) {
        (
            Engine::embedded().unwrap(),
            CaseChecker::embedded().unwrap(),
        )
    }

    #[test]
    fn empty_and_oversized_cases_are_errors() {
        let (e, c) = setup();
        assert!(matches!(
            c.check_parts(&e, &CaseInputs::default(), &|_| None),
            Err(CaseError::Empty)
        ));
        let big = CaseInputs {
            urls: vec!["https://x.example/".into(); MAX_URLS + 1],
            ..Default::default()
        };
        assert!(matches!(
            c.check_parts(&e, &big, &|_| None),
            Err(CaseError::TooBig(_))
        ));
        let huge_text = CaseInputs {
            texts: vec![("-".into(), "a".repeat(MAX_TEXT_BYTES + 1))],
            ..Default::default()
        };
        assert!(c.check_parts(&e, &huge_text, &|_| None).is_err());
    }

    #[test]
    fn links_inside_texts_become_the_probe_target_and_marks_are_used() {
        let (e, c) = setup();
        let inputs = CaseInputs {
            texts: vec![(
                "sms".into(),
                "Amazon Seller: your store is suspended. Reset your store password at https://sellercentral-amazon.account-reset.top/login within 24h".into(),
            )],
            phones: vec!["+1 206 555 0100".into()],
            ..Default::default()
        };
        let parts = c
            .check_parts(&e, &inputs, &|k| {
                (k == "+12065550100").then_some(UserMark::Scam)
            })
            .unwrap();
        assert!(
            parts
                .probe_target()
                .is_some_and(|u| u.contains("account-reset.top")),
            "{:?}",
            parts.probe_target()
        );
        let phone = parts
            .reports()
            .find(|(k, _)| *k == PartKind::Phone)
            .map(|(_, r)| r.clone())
            .unwrap();
        assert!(phone.has("phone.user_marked_scam"), "{:?}", phone.findings);
        let report = c.finish(&e, &parts, ProbeStatus::NotRequested);
        assert_eq!(report.verdict, Verdict::Phishing);
        let row = new_case(&inputs, &report, Vec::new()).unwrap();
        assert_eq!(row.verdict, "phishing");
        assert_eq!(row.inputs.len(), 2);
        assert!(row.title.contains("+1 206 555 0100"));
    }

    /// Issue 17: a link found in a text is the link as received, in the website step, in
    /// the probe target and everywhere in the case report, never its de-confused form.
    #[test]
    fn links_in_texts_are_the_links_as_written() {
        let (e, c) = setup();
        let link = "http://amaz0n-seller.cn/verify";
        let inputs = CaseInputs {
            texts: vec![(
                "sms".into(),
                format!("Amazon: your seller account is on hold. Verify at {link}"),
            )],
            ..Default::default()
        };
        let parts = c.check_parts(&e, &inputs, &|_| None).unwrap();
        assert_eq!(parts.probe_target().as_deref(), Some(link));
        let linked = parts
            .reports()
            .find(|(k, _)| *k == PartKind::Link)
            .map(|(_, r)| r.clone())
            .unwrap();
        assert_eq!(linked, e.check_url(link));
        assert!(linked.has("host.homoglyph"), "{:?}", linked.findings);
        let report = c.finish(&e, &parts, ProbeStatus::NotRequested);
        let json = serde_json::to_string(&report).unwrap();
        assert!(!json.contains("amazon-seller.cn"), "{json}");
        assert!(json.contains("amaz0n-seller.cn"));
    }

    #[test]
    fn hashed_cases_do_not_put_text_in_the_title() {
        let (e, c) = setup();
        let inputs = CaseInputs {
            texts: vec![("call.txt".into(), "my secret words".into())],
            keep_inputs: false,
            ..Default::default()
        };
        let parts = c.check_parts(&e, &inputs, &|_| None).unwrap();
        let report = c.finish(&e, &parts, ProbeStatus::NotRequested);
        let row = new_case(&inputs, &report, Vec::new()).unwrap();
        assert!(!row.title.contains("secret"), "{}", row.title);
        assert!(!row.keep_inputs);
    }
}
