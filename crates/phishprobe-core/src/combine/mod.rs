//! Combining the parts of a case into one verdict and advice: the reports of everything a
//! person received (an email, links, the number that called, what was said, the
//! wrong-password probe) taken in the order of the field rule:
//!
//! 1. **ask** — does anything ask for a password, a code, remote control or a payment? Then
//!    assume phishing;
//! 2. **phone**, **website**, **sender** — check each one by one;
//! 3. **wrong_password** — if no fault shows and a sign-in page is involved, the probe;
//!
//! then advice that fits the verdict. Pure: the caller runs the checks (and the probe) and hands
//! the reports over; which finding codes mean "asks for a secret", which step a finding belongs
//! to and the advice texts are data (`data/case.toml`), not code.
//!
//! The verdicts follow the one rule set of [`crate::model`]: verdicts are ordered (genuine <
//! unknown < suspicious < phishing) and the worst part wins; a step's own findings are judged
//! by [`crate::model::verdict_of`].
//!
//! - `rules`: the parsed `data/case.toml`;
//! - `steps`: each step of the field rule with its own verdict;
//! - `advice`: the advice that fits, filled in for the brand.

mod advice;
mod rules;
mod steps;

use serde::{Deserialize, Serialize};

use crate::knowledge::Knowledge;
use crate::model::{Finding, Message, Report, Severity, Verdict, score_of};

pub use rules::CaseRules;

/// What kind of thing a part of the case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartKind {
    /// An email message.
    Email,
    /// A link or page given as an input.
    Url,
    /// A link found inside an email or text, checked on its own for the website step (not
    /// an input of its own, so not named in the case's `input`).
    Link,
    /// The phone number that called or was given.
    Phone,
    /// What was said or written (a call script, an SMS, a chat).
    Text,
    /// A recorded call, judged from its machine transcript.
    Audio,
    /// The wrong-password probe's report.
    Probe,
}

impl PartKind {
    /// The kind as written in JSON and in the case's `input` (`email`).
    pub fn as_str(self) -> &'static str {
        match self {
            PartKind::Email => "email",
            PartKind::Url => "url",
            PartKind::Link => "link",
            PartKind::Phone => "phone",
            PartKind::Text => "text",
            PartKind::Audio => "audio",
            PartKind::Probe => "probe",
        }
    }

    /// The step that owns a whole report of this kind.
    fn home(self) -> StepId {
        match self {
            PartKind::Email => StepId::Sender,
            PartKind::Url | PartKind::Link => StepId::Website,
            PartKind::Phone => StepId::Phone,
            PartKind::Text | PartKind::Audio => StepId::Ask,
            PartKind::Probe => StepId::WrongPassword,
        }
    }
}

/// The steps, in the order the field rule takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepId {
    /// 1: does anything ask for a password, a code, remote control or a payment?
    Ask,
    /// 2a: the phone number.
    Phone,
    /// 2b: the website and links.
    Website,
    /// 2c: the email sender.
    Sender,
    /// 3: the wrong-password test.
    WrongPassword,
}

impl StepId {
    /// Every step, in the field rule's order (the order of a report's `steps`).
    pub const ALL: [StepId; 5] = [
        StepId::Ask,
        StepId::Phone,
        StepId::Website,
        StepId::Sender,
        StepId::WrongPassword,
    ];

    /// The step id as written in JSON and in `data/case.toml` (`wrong_password`).
    pub fn as_str(self) -> &'static str {
        match self {
            StepId::Ask => "ask",
            StepId::Phone => "phone",
            StepId::Website => "website",
            StepId::Sender => "sender",
            StepId::WrongPassword => "wrong_password",
        }
    }

    fn parse(s: &str) -> Option<StepId> {
        StepId::ALL.into_iter().find(|id| id.as_str() == s)
    }

    /// The question the step answers, for people.
    pub fn title(self) -> Message {
        match self {
            StepId::Ask => Message::new(
                "1. Does anything ask for a password, a code, remote control or a payment?",
                "1. 是否有人索要密码、验证码、远程控制或付款？",
            ),
            StepId::Phone => Message::new("2a. The phone number", "2a. 电话号码"),
            StepId::Website => Message::new("2b. The website and links", "2b. 网站和链接"),
            StepId::Sender => Message::new("2c. The email sender", "2c. 邮件发件人"),
            StepId::WrongPassword => Message::new("3. The wrong-password test", "3. 错误密码测试"),
        }
    }
}

/// Whether a step could be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// The step was checked; see its verdict and findings.
    Done,
    /// The case holds nothing this step looks at (no number, no email, ...).
    NothingToCheck,
    /// The step applies but was not run (the probe not asked for, or it failed); the summary
    /// says why. Never reported as passed.
    NotRun,
}

/// One step of the procedure with its own verdict and the findings behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Which step.
    pub id: StepId,
    /// The question the step answers.
    pub title: Message,
    /// Whether it could be taken.
    pub status: StepStatus,
    /// `None` when the step was not done.
    pub verdict: Option<Verdict>,
    /// The answer in a sentence.
    pub summary: Message,
    /// The findings of every part that belong to this step, most serious first.
    pub findings: Vec<Finding>,
    /// Full reports of the parts this step checked (the email for `sender`, each link for
    /// `website`, ...).
    pub reports: Vec<Report>,
}

/// One piece of advice, already filled in for the case's brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advice {
    /// Stable advice code from `data/case.toml`.
    pub code: String,
    /// The advice, filled in for the case's brand.
    pub message: Message,
}

/// The combined answer: the verdict model (`input`, `verdict`, `brand`, `score`, `findings`)
/// plus the `steps` in field-rule order, the `advice`, and the `sources` each finding came
/// from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseReport {
    /// What the case held, one `kind: input` per part.
    pub input: String,
    /// The combined answer.
    pub verdict: Verdict,
    /// The brand the case claims: the email's, else the link's, the probe's, the text's...
    pub brand: Option<String>,
    /// The worst part's score, or the case's own findings' if higher (at most 100).
    pub score: u32,
    /// Every finding of every part (each once), most serious first.
    pub findings: Vec<Finding>,
    /// The steps of the field rule, in order.
    pub steps: Vec<Step>,
    /// What to do now.
    pub advice: Vec<Advice>,
    /// Every part of the case (the email, each text, link, number, the probe) with the
    /// findings it gave, so a report can say which input a finding came from. Empty in cases
    /// saved before it existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
}

/// One part of a case, named for people, with the findings it gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// What kind of part it is.
    pub kind: PartKind,
    /// "the email", "text 2", "the link", "a link in the email", "phone number 1", ...
    pub label: Message,
    /// What it was: the file name, the link, the number (at most 80 characters).
    pub input: String,
    /// `(code, evidence)` of each finding of this part.
    pub findings: Vec<(String, String)>,
}

impl CaseReport {
    /// The parts a finding came from (several when the same finding was found in more than
    /// one); empty for the case's own findings (`case.asks_secret`) and old saved cases.
    pub fn sources_of(&self, f: &Finding) -> Vec<&Source> {
        self.sources
            .iter()
            .filter(|s| {
                s.findings
                    .iter()
                    .any(|(c, e)| *c == f.code && *e == f.evidence)
            })
            .collect()
    }
}

/// The name of the `index`-th (from 0) of `count` parts of `kind`: "the email" when there is
/// one, "text 2" when there are several. Shared with the callers that name links found
/// inside a text ("a link in text 2"), so both count the same way.
pub fn part_label(kind: PartKind, index: usize, count: usize) -> Message {
    let (one_en, many_en, one_zh, many_zh) = match kind {
        PartKind::Email => ("the email", "email", "邮件", "邮件"),
        PartKind::Url => ("the link", "link", "链接", "链接"),
        PartKind::Link => (
            "a link inside the case",
            "link inside",
            "其中的链接",
            "其中的链接",
        ),
        PartKind::Phone => ("the phone number", "phone number", "电话号码", "电话号码"),
        PartKind::Text => ("the text", "text", "文字", "文字"),
        PartKind::Audio => ("the recorded call", "recorded call", "通话录音", "通话录音"),
        PartKind::Probe => (
            "the wrong-password test",
            "wrong-password test",
            "错误密码测试",
            "错误密码测试",
        ),
    };
    if count <= 1 {
        Message::new(one_en, one_zh)
    } else {
        Message::new(
            format!("{many_en} {}", index + 1),
            format!("{many_zh} {}", index + 1),
        )
    }
}

/// The name of a link found inside other parts: "a link in the email", "a link in the email
/// and text 2".
pub fn link_in(origins: &[&Message]) -> Message {
    let en: Vec<&str> = origins.iter().map(|o| o.en.as_str()).collect();
    let zh: Vec<&str> = origins.iter().map(|o| o.zh.as_str()).collect();
    Message::new(
        format!("a link in {}", en.join(" and ")),
        format!("{}中的链接", zh.join("和")),
    )
}

/// What happened to the wrong-password probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeStatus {
    /// Not asked for (`--probe` not given).
    NotRequested,
    /// Asked for, but there was no link or page to test.
    NoTarget,
    /// Asked for and could not run (no browser, refused target, ...): the reason, in both
    /// languages.
    Failed(Message),
    /// Ran on this URL.
    Ran {
        /// The page tested.
        url: String,
        /// The probe's report on it.
        report: Report,
    },
}

/// Collects the reports of a case and combines them.
#[derive(Debug)]
pub struct CaseBuilder<'a> {
    knowledge: &'a Knowledge,
    rules: &'a CaseRules,
    parts: Vec<(PartKind, Report)>,
    /// Names given by the caller for some parts (index into `parts`), see [`CaseBuilder::add_named`].
    names: Vec<(usize, Message)>,
    probe: ProbeStatus,
    /// A sign-in page or link is part of the case (so the wrong-password test applies).
    login_involved: bool,
}

impl<'a> CaseBuilder<'a> {
    /// An empty case over this knowledge and these rules.
    pub fn new(knowledge: &'a Knowledge, rules: &'a CaseRules) -> Self {
        CaseBuilder {
            knowledge,
            rules,
            parts: Vec::new(),
            names: Vec::new(),
            probe: ProbeStatus::NotRequested,
            login_involved: false,
        }
    }

    /// Add the report of one part (not the probe: see [`CaseBuilder::probe`]).
    pub fn add(&mut self, kind: PartKind, report: Report) -> &mut Self {
        if matches!(kind, PartKind::Url) {
            self.login_involved = true;
        }
        self.parts.push((kind, report));
        self
    }

    /// [`CaseBuilder::add`] with the name the part is shown under (a link found inside the
    /// email is "a link in the email"); other parts are named by [`part_label`].
    pub fn add_named(&mut self, kind: PartKind, name: Message, report: Report) -> &mut Self {
        self.names.push((self.parts.len(), name));
        self.add(kind, report)
    }

    /// Who each part is, for [`CaseReport::sources`].
    fn sources(&self) -> Vec<Source> {
        let probe = match &self.probe {
            ProbeStatus::Ran { report, .. } => Some((PartKind::Probe, report)),
            _ => None,
        };
        let all: Vec<(PartKind, &Report)> = self
            .parts
            .iter()
            .map(|(k, r)| (*k, r))
            .chain(probe)
            .collect();
        let mut seen: Vec<(PartKind, usize)> = Vec::new();
        all.iter()
            .enumerate()
            .map(|(i, (kind, r))| {
                let count = all.iter().filter(|(k, _)| k == kind).count();
                let index = match seen.iter_mut().find(|(k, _)| k == kind) {
                    Some((_, n)) => {
                        *n += 1;
                        *n
                    }
                    None => {
                        seen.push((*kind, 0));
                        0
                    }
                };
                let label = self
                    .names
                    .iter()
                    .find(|(at, _)| *at == i)
                    .map(|(_, m)| m.clone())
                    .unwrap_or_else(|| part_label(*kind, index, count));
                Source {
                    kind: *kind,
                    label,
                    input: short(&r.input, 80),
                    findings: r
                        .findings
                        .iter()
                        .map(|f| (f.code.clone(), f.evidence.clone()))
                        .collect(),
                }
            })
            .collect()
    }

    /// Tell the case that a link or sign-in page is involved (links found inside an email or
    /// text), so the wrong-password step applies.
    pub fn login_involved(&mut self) -> &mut Self {
        self.login_involved = true;
        self
    }

    /// What happened to the wrong-password probe (not requested by default).
    pub fn probe(&mut self, status: ProbeStatus) -> &mut Self {
        if matches!(status, ProbeStatus::Ran { .. }) {
            self.login_involved = true;
        }
        self.probe = status;
        self
    }

    fn all_reports(&self) -> impl Iterator<Item = (PartKind, &Report)> {
        let probe = match &self.probe {
            ProbeStatus::Ran { report, .. } => Some((PartKind::Probe, report)),
            _ => None,
        };
        self.parts.iter().map(|(k, r)| (*k, r)).chain(probe)
    }

    /// Combine the parts: the steps, the verdict (the worst part, at least suspicious when a
    /// secret is asked for outside a vouched channel), the score, the advice and the sources.
    pub fn build(self) -> CaseReport {
        let reports: Vec<(PartKind, &Report)> = self.all_reports().collect();
        let brand = [
            PartKind::Email,
            PartKind::Url,
            PartKind::Probe,
            PartKind::Text,
            PartKind::Link,
            PartKind::Phone,
        ]
        .iter()
        .find_map(|k| {
            reports
                .iter()
                .filter(|(kind, _)| kind == k)
                .find_map(|(_, r)| r.brand.clone())
        });

        // Step 1: requests for a secret, from any part. A request inside a part that a brand
        // profile vouched for (an official sender or site) is the brand's own sign-in, not a
        // reason to assume phishing.
        let mut asks: Vec<(&str, &Finding, Verdict)> = Vec::new();
        for (_, r) in &reports {
            for f in &r.findings {
                if let Some(cat) = self.rules.ask_category(&f.code) {
                    asks.push((cat, f, r.verdict));
                }
            }
        }
        let unvouched_ask = asks.iter().any(|(_, _, v)| *v != Verdict::Genuine);
        let mut categories: Vec<&str> = asks.iter().map(|(c, _, _)| *c).collect();
        categories.dedup();
        categories.sort_unstable();
        categories.dedup();

        let steps: Vec<Step> = StepId::ALL
            .into_iter()
            .map(|id| self.step(id, &reports, &asks))
            .collect();

        // The combined verdict: the worst part; a request for a secret outside a vouched
        // channel is at least suspicious; genuine only when every email and link part is.
        let mut case_findings: Vec<Finding> = Vec::new();
        let mut verdict = reports
            .iter()
            .map(|(_, r)| r.verdict)
            .max()
            .unwrap_or(Verdict::Unknown);
        if unvouched_ask && verdict < Verdict::Suspicious {
            verdict = Verdict::Suspicious;
        }
        if unvouched_ask {
            let labels: Vec<(&str, &str)> = categories
                .iter()
                .filter_map(|c| self.rules.ask_label(c))
                .collect();
            let en = labels.iter().map(|l| l.0).collect::<Vec<_>>().join(", ");
            let zh = labels.iter().map(|l| l.1).collect::<Vec<_>>().join("、");
            case_findings.push(Finding::new(
                "case.asks_secret",
                Severity::Medium,
                Message::new(
                    format!("Something in this case asks for {en}. Field rule: whoever asks for that, assume phishing until every check says otherwise."),
                    format!("本案例中有内容索要{zh}。基本原则：凡是索要这些的，在所有检查都证明无误之前，一律按钓鱼处理。"),
                ),
                en,
            ));
        }
        if verdict == Verdict::Genuine
            && reports.iter().any(|(k, r)| {
                matches!(k, PartKind::Email | PartKind::Url | PartKind::Link)
                    && r.verdict != Verdict::Genuine
            })
        {
            verdict = Verdict::Unknown;
        }
        if verdict == Verdict::Genuine
            && !reports.iter().any(|(_, r)| r.verdict == Verdict::Genuine)
        {
            verdict = Verdict::Unknown;
        }

        let mut findings: Vec<Finding> = Vec::new();
        for f in &case_findings {
            push_unique(&mut findings, f);
        }
        for (_, r) in &reports {
            for f in &r.findings {
                push_unique(&mut findings, f);
            }
        }
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let part_score = reports.iter().map(|(_, r)| r.score).max().unwrap_or(0);
        let case_score = score_of(&case_findings);
        let score = part_score.max(case_score).min(100);

        let input = reports
            .iter()
            .filter(|(k, _)| *k != PartKind::Link)
            .map(|(k, r)| format!("{}: {}", k.as_str(), short(&r.input, 80)))
            .collect::<Vec<_>>()
            .join("; ");
        let advice = self.advice(verdict, brand.as_deref(), &categories, &reports);
        let sources = self.sources();
        CaseReport {
            input: if input.is_empty() {
                "(empty case)".into()
            } else {
                input
            },
            verdict,
            brand,
            score,
            findings,
            steps,
            advice,
            sources,
        }
    }
}

fn push_unique(into: &mut Vec<Finding>, f: &Finding) {
    if !into
        .iter()
        .any(|g| g.code == f.code && g.evidence == f.evidence)
    {
        into.push(f.clone());
    }
}

/// At most `max` characters, with an ellipsis when cut (never splits a character).
fn short(s: &str, max: usize) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match one_line.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests;
