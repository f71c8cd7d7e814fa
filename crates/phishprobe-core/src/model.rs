//! The one verdict model shared by every check (link, email, text, phone, probe, case).
//!
//! A [`Report`] is what every command prints with `--json` and what the server returns:
//! `input`, `verdict`, `brand`, `score`, `findings[]`. Checks add [`Finding`]s to a
//! [`ReportBuilder`]; the builder turns them into a score and a verdict in one place so that
//! every check is judged by the same rules.

use serde::{Deserialize, Serialize};

/// The answer a person acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Positively matched a brand's own, brand-controlled name or sender, with nothing against it.
    Genuine,
    /// Nothing either way: no brand claim, no risk found. Not a clean bill of health.
    Unknown,
    /// Some faults; do not enter a password until checked another way.
    Suspicious,
    /// Clear impersonation or a decisive request (password, code, remote access, payment).
    Phishing,
}

impl Verdict {
    /// Process exit code documented in the README: 0 genuine/unknown, 1 suspicious, 2 phishing.
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Genuine | Verdict::Unknown => 0,
            Verdict::Suspicious => 1,
            Verdict::Phishing => 2,
        }
    }

    /// The verdict as written in JSON and on the command line (`phishing`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Genuine => "genuine",
            Verdict::Unknown => "unknown",
            Verdict::Suspicious => "suspicious",
            Verdict::Phishing => "phishing",
        }
    }

    /// The verdict in Chinese, for readable output.
    pub fn as_zh(self) -> &'static str {
        match self {
            Verdict::Genuine => "真实",
            Verdict::Unknown => "未知",
            Verdict::Suspicious => "可疑",
            Verdict::Phishing => "钓鱼",
        }
    }
}

/// How much a finding weighs. `Info` findings explain without moving the score
/// (for example "this is an official Amazon domain").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Explains; moves nothing (an official domain, a number found).
    Info,
    /// A weak sign alone; counts beside others.
    Low,
    /// A real fault: alone, suspicious.
    Medium,
    /// A strong sign: alone, phishing.
    High,
    /// Decisive whatever else is found (a request for a password or code).
    Critical,
}

impl Severity {
    /// Score points a finding of this severity adds (the report score is capped at 100).
    pub fn weight(self) -> u32 {
        match self {
            Severity::Info => 0,
            Severity::Low => 10,
            Severity::Medium => 25,
            Severity::High => 60,
            Severity::Critical => 100,
        }
    }

    /// The severity as written in JSON (`medium`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// A message a non-expert understands, in English and Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// English.
    pub en: String,
    /// Chinese (simplified).
    pub zh: String,
}

impl Message {
    /// A message from its two languages.
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Self {
        Message {
            en: en.into(),
            zh: zh.into(),
        }
    }

    /// The message in the requested language (`zh` for Chinese, anything else English).
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// Output language for readable text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English (the default).
    #[default]
    En,
    /// Chinese (simplified).
    Zh,
}

/// One reason behind a verdict, with the evidence a person can check themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable machine code, `area.what` (for example `host.typosquat`). Never renamed.
    pub code: String,
    /// How much it weighs in the score.
    pub severity: Severity,
    /// What it means for the person, in both languages.
    pub message: Message,
    /// The exact labels, characters or text that triggered the finding.
    pub evidence: String,
}

impl Finding {
    /// A finding from its parts; the code is a stable `area.what` name.
    pub fn new(
        code: impl Into<String>,
        severity: Severity,
        message: Message,
        evidence: impl Into<String>,
    ) -> Self {
        Finding {
            code: code.into(),
            severity,
            message,
            evidence: evidence.into(),
        }
    }
}

/// The verdict model. Field order is the JSON order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// What was checked, as given (a URL, a file name, a number).
    pub input: String,
    /// The answer.
    pub verdict: Verdict,
    /// Brand id (`amazon`, `paypal`, ...) the input claims or imitates.
    pub brand: Option<String>,
    /// 0..=100: the sum of the finding weights, capped.
    pub score: u32,
    /// The reasons, most serious first.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Highest severity among the findings, if any.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Whether a finding with this code is in the report.
    pub fn has(&self, code: &str) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }
}

/// Score at or above which a report is phishing.
pub const PHISHING_SCORE: u32 = 60;
/// Score at or above which a report is suspicious.
pub const SUSPICIOUS_SCORE: u32 = 25;

/// The score of a set of findings: their severity weights added up, at most 100.
pub fn score_of(findings: &[Finding]) -> u32 {
    findings
        .iter()
        .map(|f| f.severity.weight())
        .sum::<u32>()
        .min(100)
}

/// The one rule set every verdict is decided by: a `Critical` finding, or a score of at least
/// [`PHISHING_SCORE`], is phishing; a score of at least [`SUSPICIOUS_SCORE`] is suspicious;
/// otherwise genuine when a check `vouched` for the input, else unknown. The report builder
/// and the combination of a case's parts both use it, so they cannot drift apart.
pub fn verdict_of(findings: &[Finding], vouched: bool) -> Verdict {
    let score = score_of(findings);
    let critical = findings.iter().any(|f| f.severity == Severity::Critical);
    if critical || score >= PHISHING_SCORE {
        Verdict::Phishing
    } else if score >= SUSPICIOUS_SCORE {
        Verdict::Suspicious
    } else if vouched {
        Verdict::Genuine
    } else {
        Verdict::Unknown
    }
}

/// Collects findings and decides the verdict by one rule set:
/// - a `Critical` finding, or a score of at least [`PHISHING_SCORE`], is phishing;
/// - a score of at least [`SUSPICIOUS_SCORE`] is suspicious;
/// - otherwise genuine if a check vouched for the input ([`ReportBuilder::vouch_genuine`]),
///   else unknown.
#[derive(Debug, Clone, Default)]
pub struct ReportBuilder {
    input: String,
    brand: Option<String>,
    findings: Vec<Finding>,
    genuine: bool,
}

impl ReportBuilder {
    /// An empty report about `input` (unknown until findings or a vouch say otherwise).
    pub fn new(input: impl Into<String>) -> Self {
        ReportBuilder {
            input: input.into(),
            ..Default::default()
        }
    }

    /// Set the brand unless one is already set (the first, strongest claim wins).
    pub fn brand(&mut self, brand: &str) -> &mut Self {
        if self.brand.is_none() {
            self.brand = Some(brand.to_string());
        }
        self
    }

    /// The brand set so far, if any.
    pub fn current_brand(&self) -> Option<&str> {
        self.brand.as_deref()
    }

    /// Add a finding; the same code with the same evidence again adds nothing.
    pub fn push(&mut self, finding: Finding) -> &mut Self {
        // The same code with the same evidence says nothing new.
        if !self
            .findings
            .iter()
            .any(|f| f.code == finding.code && f.evidence == finding.evidence)
        {
            self.findings.push(finding);
        }
        self
    }

    /// Add several findings, as [`ReportBuilder::push`] does one by one.
    pub fn extend(&mut self, findings: impl IntoIterator<Item = Finding>) -> &mut Self {
        for f in findings {
            self.push(f);
        }
        self
    }

    /// A check positively matched a brand-controlled name or sender.
    pub fn vouch_genuine(&mut self) -> &mut Self {
        self.genuine = true;
        self
    }

    /// The findings so far, in the order pushed.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// The report: findings sorted most serious first, the score and the verdict by the one rule set.
    pub fn build(mut self) -> Report {
        // Most serious first: that is the order a person should read them in.
        self.findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let score = score_of(&self.findings);
        let verdict = verdict_of(&self.findings, self.genuine);
        Report {
            input: self.input,
            verdict,
            brand: self.brand,
            score,
            findings: self.findings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(sev: Severity) -> Finding {
        Finding::new("t.x", sev, Message::new("x", "x"), format!("{sev:?}"))
    }

    #[test]
    fn empty_is_unknown_and_vouched_is_genuine() {
        assert_eq!(ReportBuilder::new("a").build().verdict, Verdict::Unknown);
        let mut b = ReportBuilder::new("a");
        b.vouch_genuine();
        assert_eq!(b.build().verdict, Verdict::Genuine);
    }

    #[test]
    fn risk_overrides_vouching() {
        let mut b = ReportBuilder::new("a");
        b.vouch_genuine().push(f(Severity::Medium));
        assert_eq!(b.build().verdict, Verdict::Suspicious);
        let mut b = ReportBuilder::new("a");
        b.vouch_genuine().push(f(Severity::Critical));
        let r = b.build();
        assert_eq!(r.verdict, Verdict::Phishing);
        assert_eq!(r.score, 100);
    }

    #[test]
    fn scores_add_up_and_sort() {
        let mut b = ReportBuilder::new("a");
        let mut second = f(Severity::Medium);
        second.evidence = "another".into();
        b.push(f(Severity::Low))
            .push(f(Severity::Medium))
            .push(second)
            .push(f(Severity::Medium));
        let r = b.build();
        // The repeated finding (same code and evidence) counts once.
        assert_eq!(r.findings.len(), 3);
        assert_eq!(r.score, 60);
        assert_eq!(r.verdict, Verdict::Phishing);
        assert_eq!(r.findings[0].severity, Severity::Medium);
    }

    #[test]
    fn json_shape_is_the_documented_one() {
        let mut b = ReportBuilder::new("in");
        b.brand("amazon").push(f(Severity::High));
        let v = serde_json::to_value(b.build()).unwrap();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys.len(), 5);
        for k in ["input", "verdict", "brand", "score", "findings"] {
            assert!(v.get(k).is_some(), "{k}");
        }
        assert_eq!(v["verdict"], "phishing");
        assert_eq!(v["findings"][0]["message"]["zh"], "x");
        assert_eq!(v["findings"][0]["severity"], "high");
    }
}
