//! One case, one verdict: the reports of everything a person received (an email, links, the
//! number that called, what was said, the wrong-password probe) combined in the order of the
//! field rule:
//!
//! 1. **ask** — does anything ask for a password, a code, remote control or a payment? Then
//!    assume phishing;
//! 2. **phone**, **website**, **sender** — check each one by one;
//! 3. **wrong_password** — if no fault shows and a sign-in page is involved, the probe;
//!
//! then advice that fits the verdict. Pure: the caller runs the checks (and the probe) and hands
//! the reports over; which finding codes mean "asks for a secret", which step a finding belongs
//! to and the advice texts are data (`data/case.toml`), not code.

use serde::{Deserialize, Serialize};

use crate::brand::BrandProfile;
use crate::error::DataError;
use crate::knowledge::Knowledge;
use crate::model::{Finding, Message, Report, Severity, Verdict};

/// What kind of thing a part of the case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartKind {
    Email,
    Url,
    /// A link found inside an email or text, checked on its own for the website step (not
    /// an input of its own, so not named in the case's `input`).
    Link,
    Phone,
    Text,
    Probe,
}

impl PartKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PartKind::Email => "email",
            PartKind::Url => "url",
            PartKind::Link => "link",
            PartKind::Phone => "phone",
            PartKind::Text => "text",
            PartKind::Probe => "probe",
        }
    }

    /// The step that owns a whole report of this kind.
    fn home(self) -> StepId {
        match self {
            PartKind::Email => StepId::Sender,
            PartKind::Url | PartKind::Link => StepId::Website,
            PartKind::Phone => StepId::Phone,
            PartKind::Text => StepId::Ask,
            PartKind::Probe => StepId::WrongPassword,
        }
    }
}

/// The steps, in the order the field rule takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepId {
    Ask,
    Phone,
    Website,
    Sender,
    WrongPassword,
}

impl StepId {
    pub const ALL: [StepId; 5] = [
        StepId::Ask,
        StepId::Phone,
        StepId::Website,
        StepId::Sender,
        StepId::WrongPassword,
    ];

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
    pub id: StepId,
    pub title: Message,
    pub status: StepStatus,
    /// `None` when the step was not done.
    pub verdict: Option<Verdict>,
    pub summary: Message,
    pub findings: Vec<Finding>,
    /// Full reports of the parts this step checked (the email for `sender`, each link for
    /// `website`, ...).
    pub reports: Vec<Report>,
}

/// One piece of advice, already filled in for the case's brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advice {
    pub code: String,
    pub message: Message,
}

/// The combined answer: the verdict model (`input`, `verdict`, `brand`, `score`, `findings`)
/// plus the `steps` in field-rule order, the `advice`, and the `sources` each finding came
/// from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseReport {
    pub input: String,
    pub verdict: Verdict,
    pub brand: Option<String>,
    pub score: u32,
    pub findings: Vec<Finding>,
    pub steps: Vec<Step>,
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
    Ran { url: String, report: Report },
}

// ---------------------------------------------------------------- rules (data/case.toml)

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct AskRule {
    category: String,
    en: String,
    zh: String,
    codes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepRule {
    id: String,
    codes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdviceRule {
    code: String,
    when: Vec<Verdict>,
    #[serde(default)]
    needs: Vec<String>,
    #[serde(default)]
    fallback_for: Option<String>,
    #[serde(default)]
    phone_only: bool,
    #[serde(default)]
    login_only: bool,
    /// Only when a finding with one of these codes (above Info) is part of the case.
    #[serde(default)]
    codes: Vec<String>,
    en: String,
    zh: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    ask: Vec<AskRule>,
    step: Vec<StepRule>,
    advice: Vec<AdviceRule>,
}

/// The parsed `data/case.toml`.
#[derive(Debug, Clone)]
pub struct CaseRules {
    ask: Vec<AskRule>,
    steps: Vec<(StepId, Vec<String>)>,
    advice: Vec<AdviceRule>,
}

/// A code list entry ending in `.` or `_` is a prefix; anything else must match exactly.
fn code_matches(pattern: &str, code: &str) -> bool {
    if pattern.ends_with('.') || pattern.ends_with('_') {
        code.starts_with(pattern)
    } else {
        code == pattern
    }
}

impl CaseRules {
    /// The rules compiled into the binary.
    pub fn embedded() -> Result<CaseRules, DataError> {
        CaseRules::from_toml("case.toml", crate::embedded::CASE)
    }

    pub fn from_toml(file: &str, text: &str) -> Result<CaseRules, DataError> {
        let raw: RulesFile =
            toml::from_str(text).map_err(|e| DataError::from_toml(file, text, &e))?;
        let invalid = |what: String| DataError::Invalid {
            file: file.to_string(),
            what,
        };
        let mut steps = Vec::new();
        for s in raw.step {
            let id = StepId::parse(&s.id)
                .ok_or_else(|| invalid(format!("unknown step id {:?}", s.id)))?;
            steps.push((id, s.codes));
        }
        let categories: Vec<&str> = raw.ask.iter().map(|a| a.category.as_str()).collect();
        for a in &raw.advice {
            if let Some(n) = a.needs.iter().find(|n| !categories.contains(&n.as_str())) {
                return Err(invalid(format!(
                    "advice {} needs unknown ask category {n:?}",
                    a.code
                )));
            }
        }
        Ok(CaseRules {
            ask: raw.ask,
            steps,
            advice: raw.advice,
        })
    }

    /// The ask category of a finding code, if it is a request for a secret or for control.
    pub fn ask_category(&self, code: &str) -> Option<&str> {
        self.ask
            .iter()
            .find(|a| a.codes.iter().any(|p| code_matches(p, code)))
            .map(|a| a.category.as_str())
    }

    /// The step a finding belongs to, judged by its code alone.
    fn step_of(&self, code: &str) -> Option<StepId> {
        self.steps
            .iter()
            .find(|(_, codes)| codes.iter().any(|p| code_matches(p, code)))
            .map(|(id, _)| *id)
    }

    fn ask_label(&self, category: &str) -> Option<(&str, &str)> {
        self.ask
            .iter()
            .find(|a| a.category == category)
            .map(|a| (a.en.as_str(), a.zh.as_str()))
    }
}

// ---------------------------------------------------------------- building a case

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

fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Genuine => 0,
        Verdict::Unknown => 1,
        Verdict::Suspicious => 2,
        Verdict::Phishing => 3,
    }
}

fn worst(vs: impl IntoIterator<Item = Verdict>) -> Option<Verdict> {
    vs.into_iter().max_by_key(|v| rank(*v))
}

/// Verdict of a loose set of findings, by the same thresholds as [`crate::ReportBuilder`].
fn verdict_of(findings: &[Finding]) -> Verdict {
    let score: u32 = findings.iter().map(|f| f.severity.weight()).sum();
    if findings.iter().any(|f| f.severity == Severity::Critical)
        || score >= crate::model::PHISHING_SCORE
    {
        Verdict::Phishing
    } else if score >= crate::model::SUSPICIOUS_SCORE {
        Verdict::Suspicious
    } else {
        Verdict::Unknown
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

/// The brand's official addresses a person should type: a Seller Central host and a storefront
/// (the `.com` ones first), else the first listed web domains.
fn official_addresses(b: &BrandProfile) -> Vec<String> {
    let pick = |kind: &str| {
        let mut of_kind: Vec<&str> = b
            .web
            .iter()
            .filter(|w| w.kind == kind && w.domain.contains('.'))
            .map(|w| w.domain.as_str())
            .collect();
        of_kind.sort_by_key(|d| (!d.ends_with(".com"), d.len()));
        of_kind.first().map(|d| d.to_string())
    };
    let mut out: Vec<String> = ["seller_central", "storefront"]
        .iter()
        .filter_map(|k| pick(k))
        .collect();
    if out.is_empty() {
        out.extend(
            b.web
                .iter()
                .filter(|w| w.domain.contains('.'))
                .take(2)
                .map(|w| w.domain.clone()),
        );
    }
    out.iter_mut().for_each(|d| {
        if !d.starts_with("www.") && !d.starts_with("sellercentral.") && d.matches('.').count() == 1
        {
            *d = format!("www.{d}");
        }
        *d = format!("https://{d}");
    });
    out
}

fn report_channels(b: &BrandProfile) -> Vec<String> {
    b.report
        .iter()
        .map(|r| match r.kind.as_str() {
            "email" => format!("forward it to {}", r.value),
            _ => r.value.clone(),
        })
        .collect()
}

fn report_channels_zh(b: &BrandProfile) -> Vec<String> {
    b.report
        .iter()
        .map(|r| match r.kind.as_str() {
            "email" => format!("转发至 {}", r.value),
            _ => r.value.clone(),
        })
        .collect()
}

impl<'a> CaseBuilder<'a> {
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
        let mut verdict = worst(reports.iter().map(|(_, r)| r.verdict)).unwrap_or(Verdict::Unknown);
        if unvouched_ask && rank(verdict) < rank(Verdict::Suspicious) {
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
        let case_score: u32 = case_findings.iter().map(|f| f.severity.weight()).sum();
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

    fn step(
        &self,
        id: StepId,
        reports: &[(PartKind, &Report)],
        asks: &[(&str, &Finding, Verdict)],
    ) -> Step {
        let owned: Vec<&Report> = reports
            .iter()
            .filter(|(k, _)| k.home() == id)
            .map(|(_, r)| *r)
            .collect();
        // Findings of other parts that belong here by their code (a link inside the email
        // goes to `website`, a callback number inside a text to `phone`).
        let mut findings: Vec<Finding> = Vec::new();
        if id == StepId::Ask {
            for (_, f, _) in asks {
                push_unique(&mut findings, f);
            }
        }
        for (kind, r) in reports {
            for f in &r.findings {
                let home = self.rules.step_of(&f.code).unwrap_or(kind.home());
                if home == id && (id != StepId::Ask || self.rules.ask_category(&f.code).is_none()) {
                    push_unique(&mut findings, f);
                }
            }
        }
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let reports_out: Vec<Report> = owned.iter().map(|r| (*r).clone()).collect();

        if id == StepId::WrongPassword {
            return self.probe_step(findings, reports_out);
        }
        if id == StepId::Ask {
            let verdict = if asks.is_empty() {
                worst(owned.iter().map(|r| r.verdict)).unwrap_or(Verdict::Unknown)
            } else if asks
                .iter()
                .any(|(_, f, _)| f.severity == Severity::Critical)
            {
                Verdict::Phishing
            } else if asks.iter().any(|(_, _, v)| *v != Verdict::Genuine) {
                Verdict::Suspicious
            } else {
                Verdict::Genuine
            };
            let summary = if asks.is_empty() {
                Message::new(
                    "Nothing found asking for a password, a code, remote control or a payment.",
                    "未发现索要密码、验证码、远程控制或付款的内容。",
                )
            } else if verdict == Verdict::Genuine {
                Message::new(
                    "A sign-in is asked for, but only on addresses the brand profile vouches for.",
                    "涉及登录，但仅限于品牌资料确认的官方地址。",
                )
            } else {
                Message::new(
                    "Yes: assume phishing. The checks below say where the fault is.",
                    "是：按钓鱼处理。下面的检查说明问题出在哪里。",
                )
            };
            return Step {
                id,
                title: id.title(),
                status: StepStatus::Done,
                verdict: Some(verdict),
                summary,
                findings,
                reports: reports_out,
            };
        }

        if owned.is_empty() && findings.is_empty() {
            let (en, zh) = match id {
                StepId::Phone => ("No phone number in this case.", "本案例中没有电话号码。"),
                StepId::Website => (
                    "No link or website in this case.",
                    "本案例中没有链接或网站。",
                ),
                _ => ("No email in this case.", "本案例中没有邮件。"),
            };
            return Step {
                id,
                title: id.title(),
                status: StepStatus::NothingToCheck,
                verdict: None,
                summary: Message::new(en, zh),
                findings,
                reports: reports_out,
            };
        }
        let mut verdict = worst(
            owned
                .iter()
                .map(|r| r.verdict)
                .chain(std::iter::once(verdict_of(&findings))),
        )
        .unwrap_or(Verdict::Unknown);
        if verdict == Verdict::Unknown
            && !owned.is_empty()
            && owned.iter().all(|r| r.verdict == Verdict::Genuine)
        {
            verdict = Verdict::Genuine;
        }
        let summary = match (id, verdict) {
            (StepId::Phone, _) => Message::new(
                "Checked. Remember: a number proves nothing either way; genuine callbacks come from random numbers and scammers fake real ones.",
                "已检查。请记住：号码既证明不了真也证明不了假；真正的回电可能来自随机号码，骗子也会伪造真实号码。",
            ),
            (_, Verdict::Phishing) => Message::new("Fault found: phishing.", "发现问题：钓鱼。"),
            (_, Verdict::Suspicious) => {
                Message::new("Fault found: suspicious.", "发现问题：可疑。")
            }
            (_, Verdict::Genuine) => Message::new(
                "No fault: it belongs to the brand.",
                "未发现问题：属于该品牌。",
            ),
            (_, Verdict::Unknown) => Message::new(
                "No fault shows, but nothing vouches for it either.",
                "未发现问题，但也无法确认其真实性。",
            ),
        };
        Step {
            id,
            title: id.title(),
            status: StepStatus::Done,
            verdict: Some(verdict),
            summary,
            findings,
            reports: reports_out,
        }
    }

    fn probe_step(&self, findings: Vec<Finding>, reports: Vec<Report>) -> Step {
        let id = StepId::WrongPassword;
        let fault = self
            .parts
            .iter()
            .any(|(_, r)| matches!(r.verdict, Verdict::Phishing | Verdict::Suspicious));
        let (status, verdict, summary) = match &self.probe {
            ProbeStatus::Ran { url, report } => {
                let m = match report.verdict {
                    Verdict::Phishing => Message::new(
                        format!("{url}: the page took a wrong password — phishing."),
                        format!("{url}：该页面接受了错误的密码——钓鱼。"),
                    ),
                    Verdict::Genuine => Message::new(
                        format!(
                            "{url}: the page rejected the wrong password and belongs to the brand."
                        ),
                        format!("{url}：该页面拒绝了错误的密码，且属于该品牌。"),
                    ),
                    Verdict::Suspicious => Message::new(
                        format!("{url}: the test shows faults — suspicious."),
                        format!("{url}：测试发现问题——可疑。"),
                    ),
                    Verdict::Unknown => Message::new(
                        format!("{url}: the test was inconclusive; see the findings."),
                        format!("{url}：测试没有得出结论；请看具体发现。"),
                    ),
                };
                (StepStatus::Done, Some(report.verdict), m)
            }
            ProbeStatus::Failed(why) => (
                StepStatus::NotRun,
                None,
                Message::new(
                    format!("Not run: {}", why.en),
                    format!("未执行：{}", why.zh),
                ),
            ),
            ProbeStatus::NoTarget => (
                StepStatus::NothingToCheck,
                None,
                Message::new(
                    "Not run: the case has no link or page to test.",
                    "未执行：本案例中没有可测试的链接或页面。",
                ),
            ),
            ProbeStatus::NotRequested if !self.login_involved => (
                StepStatus::NothingToCheck,
                None,
                Message::new("No sign-in page in this case.", "本案例中没有登录页面。"),
            ),
            ProbeStatus::NotRequested if fault => (
                StepStatus::NotRun,
                None,
                Message::new(
                    "Not needed: a fault already shows. Do not type anything into that page.",
                    "无需测试：已经发现问题。不要在该页面输入任何内容。",
                ),
            ),
            ProbeStatus::NotRequested => (
                StepStatus::NotRun,
                None,
                Message::new(
                    "Not run: no fault shows, so this is the deciding test. Run the case again with --probe (it visits the page with made-up credentials), or type a wrong password yourself.",
                    "未执行：目前没有发现问题，因此这是决定性的测试。请加上 --probe 重新运行（会用虚构的账号密码访问该页面），或自己输入一个错误的密码。",
                ),
            ),
        };
        Step {
            id,
            title: id.title(),
            status,
            verdict,
            summary,
            findings,
            reports,
        }
    }

    fn advice(
        &self,
        verdict: Verdict,
        brand: Option<&str>,
        categories: &[&str],
        reports: &[(PartKind, &Report)],
    ) -> Vec<Advice> {
        let profile = brand.and_then(|b| self.knowledge.brands().get(b));
        let has_phone = reports.iter().any(|(k, _)| *k == PartKind::Phone)
            || reports
                .iter()
                .any(|(_, r)| r.findings.iter().any(|f| f.code.starts_with("phone.")));
        let mut out: Vec<Advice> = Vec::new();
        for rule in &self.rules.advice {
            if !rule.when.contains(&verdict) {
                continue;
            }
            if !rule.needs.is_empty()
                && !rule.needs.iter().any(|n| categories.contains(&n.as_str()))
            {
                continue;
            }
            if (rule.phone_only && !has_phone) || (rule.login_only && !self.login_involved) {
                continue;
            }
            if !rule.codes.is_empty() && !found_any(reports, &rule.codes) {
                continue;
            }
            if let Some(primary) = &rule.fallback_for
                && out.iter().any(|a| &a.code == primary)
            {
                continue;
            }
            if let Some(message) = fill(rule, profile) {
                out.push(Advice {
                    code: rule.code.clone(),
                    message,
                });
            }
        }
        out
    }
}

/// Whether any report of the case has a finding above Info matching one of `codes`.
fn found_any(reports: &[(PartKind, &Report)], codes: &[String]) -> bool {
    reports.iter().any(|(_, r)| {
        r.findings
            .iter()
            .any(|f| f.severity > Severity::Info && codes.iter().any(|c| code_matches(c, &f.code)))
    })
}

/// Fill the placeholders of an advice text; `None` when one cannot be filled.
fn fill(rule: &AdviceRule, profile: Option<&BrandProfile>) -> Option<Message> {
    let mut en = rule.en.clone();
    let mut zh = rule.zh.clone();
    let needs = |s: &str| rule.en.contains(s) || rule.zh.contains(s);
    if needs("{brand}") {
        let p = profile?;
        en = en.replace("{brand}", &p.name);
        let name_zh = if p.name_zh.is_empty() {
            &p.name
        } else {
            &p.name_zh
        };
        zh = zh.replace("{brand}", name_zh);
    }
    if needs("{addresses}") {
        let a = official_addresses(profile?);
        if a.is_empty() {
            return None;
        }
        en = en.replace("{addresses}", &a.join(", "));
        zh = zh.replace("{addresses}", &a.join("、"));
    }
    if needs("{report}") {
        let p = profile?;
        let (r, rz) = (report_channels(p), report_channels_zh(p));
        if r.is_empty() {
            return None;
        }
        en = en.replace("{report}", &r.join("; or "));
        zh = zh.replace("{report}", &rz.join("；或 "));
    }
    Some(Message::new(en, zh))
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
mod tests {
    use super::*;
    use crate::model::ReportBuilder;

    fn setup() -> (Knowledge, CaseRules) {
        (
            Knowledge::embedded().expect("embedded knowledge"),
            CaseRules::embedded().expect("embedded case rules"),
        )
    }

    fn text_report(knowledge: &Knowledge, s: &str) -> Report {
        let rules = crate::text::TextRules::embedded().expect("text rules");
        crate::text::check(knowledge, &rules, "call", s)
    }

    #[test]
    fn remote_access_call_is_phishing_with_remote_advice() {
        let (e, r) = setup();
        let mut b = CaseBuilder::new(&e, &r);
        b.add(
            PartKind::Text,
            text_report(
                &e,
                "This is Amazon Prime Security. Your account was hacked. Please install AnyDesk so our technician can secure it.",
            ),
        );
        b.add(
            PartKind::Phone,
            crate::phone::check(&e, "+1 206 555 0100", None, None),
        );
        let c = b.build();
        assert_eq!(c.verdict, Verdict::Phishing);
        assert_eq!(c.brand.as_deref(), Some("amazon"));
        let ask = &c.steps[0];
        assert_eq!(ask.id, StepId::Ask);
        assert_eq!(ask.verdict, Some(Verdict::Phishing));
        assert!(ask.findings.iter().any(|f| f.code == "text.remote_access"));
        assert_eq!(c.steps[1].status, StepStatus::Done, "phone checked");
        assert_eq!(c.steps[3].status, StepStatus::NothingToCheck, "no email");
        let codes: Vec<&str> = c.advice.iter().map(|a| a.code.as_str()).collect();
        assert!(codes.contains(&"advice.if_remote_installed"), "{codes:?}");
        assert!(codes.contains(&"advice.caller_id"));
        assert!(codes.contains(&"advice.report"));
        let typed = c.advice.iter().find(|a| a.code == "advice.type_address");
        assert!(typed.is_some_and(|a| a.message.en.contains("https://sellercentral.amazon.com")));
        assert!(!codes.contains(&"advice.type_address_any"));
    }

    #[test]
    fn official_link_alone_is_genuine_but_asks_for_the_probe_only_when_unknown() {
        let (e, r) = setup();
        let mut b = CaseBuilder::new(&e, &r);
        b.add(
            PartKind::Url,
            crate::url::check(&e, "https://sellercentral.amazon.com/"),
        );
        let c = b.build();
        assert_eq!(c.verdict, Verdict::Genuine);
        assert_eq!(c.steps[2].verdict, Some(Verdict::Genuine));
        assert!(
            c.advice
                .iter()
                .any(|a| a.code == "advice.genuine_still_careful")
        );
        assert!(
            !c.advice
                .iter()
                .any(|a| a.code == "advice.do_not_enter_password")
        );

        let mut b = CaseBuilder::new(&e, &r);
        b.add(
            PartKind::Url,
            crate::url::check(&e, "https://login.example-shop.net/"),
        );
        let c = b.build();
        assert_eq!(c.verdict, Verdict::Unknown);
        let probe = &c.steps[4];
        assert_eq!(probe.status, StepStatus::NotRun);
        assert!(probe.summary.en.contains("--probe"));
        assert!(
            c.advice
                .iter()
                .any(|a| a.code == "advice.do_wrong_password_test")
        );
    }

    #[test]
    fn a_genuine_link_does_not_make_an_unknown_link_genuine() {
        let (e, r) = setup();
        let mut b = CaseBuilder::new(&e, &r);
        b.add(
            PartKind::Url,
            crate::url::check(&e, "https://www.amazon.com/"),
        );
        b.add(PartKind::Url, crate::url::check(&e, "https://example.org/"));
        assert_eq!(b.build().verdict, Verdict::Unknown);
    }

    #[test]
    fn links_found_inside_count_for_the_website_step_but_are_not_inputs() {
        let (e, r) = setup();
        let mut b = CaseBuilder::new(&e, &r);
        b.add(
            PartKind::Link,
            crate::url::check(&e, "https://www.amazon.com/gp/css/"),
        );
        b.add(
            PartKind::Link,
            crate::url::check(&e, "https://example.org/track"),
        );
        let c = b.build();
        assert_eq!(c.input, "(empty case)", "links found inside are not inputs");
        let website = &c.steps[2];
        assert_eq!(website.id, StepId::Website);
        assert_eq!(website.status, StepStatus::Done);
        assert_eq!(website.reports.len(), 2);
        // One unknown link keeps the case from being called genuine.
        assert_eq!(c.verdict, Verdict::Unknown);
    }

    #[test]
    fn probe_acceptance_decides_and_failure_is_not_run() {
        let (e, r) = setup();
        let mut accepted = ReportBuilder::new("https://shop-login.example/");
        accepted.push(Finding::new(
            "probe.decoy_accepted",
            Severity::Critical,
            Message::new("took a wrong password", "接受了错误密码"),
            "decoy",
        ));
        let mut b = CaseBuilder::new(&e, &r);
        b.add(
            PartKind::Url,
            crate::url::check(&e, "https://shop-login.example/"),
        );
        b.probe(ProbeStatus::Ran {
            url: "https://shop-login.example/".into(),
            report: accepted.build(),
        });
        let c = b.build();
        assert_eq!(c.verdict, Verdict::Phishing);
        assert_eq!(c.steps[4].status, StepStatus::Done);
        assert_eq!(c.steps[4].verdict, Some(Verdict::Phishing));
        assert!(
            c.steps[0]
                .findings
                .iter()
                .any(|f| f.code == "probe.decoy_accepted")
        );

        let mut b = CaseBuilder::new(&e, &r);
        b.add(
            PartKind::Url,
            crate::url::check(&e, "https://shop-login.example/"),
        );
        b.probe(ProbeStatus::Failed(Message::new(
            "no browser",
            "没有浏览器",
        )));
        let c = b.build();
        assert_eq!(c.steps[4].status, StepStatus::NotRun);
        assert_eq!(c.steps[4].verdict, None);
        assert!(c.steps[4].summary.en.contains("no browser"));
        assert_eq!(c.verdict, Verdict::Unknown, "a failed probe proves nothing");
    }

    #[test]
    fn empty_case_is_unknown_and_every_step_is_listed() {
        let (e, r) = setup();
        let c = CaseBuilder::new(&e, &r).build();
        assert_eq!(c.verdict, Verdict::Unknown);
        assert_eq!(c.steps.len(), 5);
        assert!(c.advice.iter().any(|a| a.code == "advice.type_address_any"));
        let json = serde_json::to_value(&c).expect("serialise");
        for key in [
            "input", "verdict", "brand", "score", "findings", "steps", "advice",
        ] {
            assert!(json.get(key).is_some(), "{key}");
        }
    }

    #[test]
    fn bad_rules_name_the_problem() {
        let err = CaseRules::from_toml(
            "case.toml",
            "[[ask]]\ncategory='x'\nen='a'\nzh='b'\ncodes=[]\n[[step]]\nid='nope'\ncodes=[]\n[[advice]]\ncode='a'\nwhen=['phishing']\nen='x'\nzh='y'\n",
        )
        .expect_err("unknown step");
        assert!(err.to_string().contains("nope"), "{err}");
        let err = CaseRules::from_toml("case.toml", "[[ask]\n").expect_err("syntax");
        assert!(err.to_string().starts_with("case.toml:1"), "{err}");
    }
}
