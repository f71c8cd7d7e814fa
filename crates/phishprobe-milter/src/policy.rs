//! From a verdict (or the lack of one) to what the MTA is told: headers to remove and add, a
//! subject tag, quarantine, reject, tempfail. Pure: no protocol, no I/O, so each rule is
//! tested on its own and the protocol layer only translates.

use phishprobe_core::{Report, Verdict};

use crate::config::{Action, Config, OnFailure};

/// The result of looking at one message.
#[derive(Debug)]
pub enum Outcome<'r> {
    /// The email check answered.
    Checked(&'r Report),
    /// The message was deliberately not checked (delivered, headers say why).
    Skipped(SkipReason),
    /// No verdict could be made; the failure policy decides.
    Failed(FailReason),
}

/// Why a message was deliberately not checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Larger than the configured size limit.
    Size,
    /// Matched an `[exclude]` rule.
    Excluded,
    /// The email check found no message structure to judge (no header it can read). Retrying
    /// would give the same answer, so a tempfail would only delay a bounce; it is delivered
    /// marked instead, as the MTA accepted it.
    NotEmail,
}

/// Why no verdict could be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailReason {
    /// The check did not finish before `failure.deadline_ms`.
    Deadline,
    /// Too many messages at once (memory budget or worker queue full).
    Busy,
    /// The email check failed on this message (an internal error, caught).
    Error,
    /// More distinct inbound `X-Phishprobe-*` names than can be tracked: they could not all be
    /// removed, so the message cannot carry a trustworthy verdict header.
    OwnHeaders,
}

impl SkipReason {
    /// The name used in headers, logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Size => "size",
            SkipReason::Excluded => "excluded",
            SkipReason::NotEmail => "not-email",
        }
    }
}

impl FailReason {
    /// The name used in headers, logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            FailReason::Deadline => "deadline",
            FailReason::Busy => "busy",
            FailReason::Error => "error",
            FailReason::OwnHeaders => "own-headers",
        }
    }
}

/// The end-of-message answer to the MTA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinalAnswer {
    /// Deliver (after the modifications).
    Accept,
    /// `550 5.7.1` with this text.
    Reject(String),
    /// `451 4.3.0` with this text: the sender keeps the message and retries.
    Tempfail(String),
    /// Accept and throw away.
    Discard,
}

/// Everything the MTA is asked to do with one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Inbound `X-Phishprobe-*` headers to delete: name and 1-based index per name.
    pub remove: Vec<(String, u32)>,
    /// Headers to add (name, value without leading space).
    pub add: Vec<(String, String)>,
    /// A tag to put in front of the subject (or the whole subject when there was none).
    pub tag_subject: Option<String>,
    /// Hold the message with this reason.
    pub quarantine: Option<String>,
    /// The final answer.
    pub answer: FinalAnswer,
    /// For logs and metrics: the verdict (`unchecked` when none), and the action taken.
    pub verdict: &'static str,
    /// The action's name in logs and metrics (`header`, `tag`, `quarantine`, `reject`,
    /// `discard`, `tempfail`, `accept`).
    pub action: &'static str,
    /// Why there is no verdict (`size`, `excluded`, `not-email`, `deadline`, `busy`, `error`,
    /// `own-headers`), if so.
    pub unchecked: Option<&'static str>,
}

/// The verdict header's name.
pub const VERDICT_HEADER: &str = "X-Phishprobe-Verdict";
/// The findings header's name.
pub const FINDINGS_HEADER: &str = "X-Phishprobe-Findings";
/// Longest findings header value; further codes are left out (`, ...`).
const FINDINGS_MAX: usize = 900;

/// Decide what to do with a message. `remove` lists the inbound own headers (always removed,
/// whatever the outcome); `subject` is the message's current subject, if any.
pub fn decide(
    config: &Config,
    outcome: &Outcome<'_>,
    remove: Vec<(String, u32)>,
    subject: Option<&str>,
) -> Decision {
    let mut d = Decision {
        remove,
        add: Vec::new(),
        tag_subject: None,
        quarantine: None,
        answer: FinalAnswer::Accept,
        verdict: "unchecked",
        action: "header",
        unchecked: None,
    };
    match outcome {
        Outcome::Skipped(why) => {
            d.add.push(unchecked_header(why.as_str()));
            d.unchecked = Some(why.as_str());
        }
        Outcome::Failed(why) => {
            d.unchecked = Some(why.as_str());
            fail(config, *why, &mut d);
        }
        Outcome::Checked(report) => apply_verdict(config, report, subject, &mut d),
    }
    d
}

fn fail(config: &Config, why: FailReason, d: &mut Decision) {
    match config.failure.on_failure {
        OnFailure::Tempfail => {
            d.answer = FinalAnswer::Tempfail(format!(
                "phishprobe could not check this message ({}); try again later",
                why.as_str()
            ));
            d.action = "tempfail";
        }
        OnFailure::Accept => {
            d.add.push(unchecked_header(why.as_str()));
            d.action = "accept";
        }
    }
}

fn apply_verdict(config: &Config, report: &Report, subject: Option<&str>, d: &mut Decision) {
    d.verdict = report.verdict.as_str();
    d.add.push((
        VERDICT_HEADER.to_string(),
        format!(
            "{}; brand={}; score={}",
            report.verdict.as_str(),
            report.brand.as_deref().unwrap_or("none"),
            report.score
        ),
    ));
    d.add
        .push((FINDINGS_HEADER.to_string(), findings_value(report)));
    let action = match report.verdict {
        Verdict::Phishing => config.actions.phishing,
        Verdict::Suspicious => config.actions.suspicious,
        Verdict::Genuine | Verdict::Unknown => Action::Header,
    };
    d.action = action.as_str();
    match action {
        Action::Header => {}
        Action::Tag => {
            let tag = &config.actions.subject_tag;
            let tagged = subject.is_some_and(|s| s.trim_start().starts_with(tag.as_str()));
            if !tagged {
                d.tag_subject = Some(tag.clone());
            }
        }
        Action::Quarantine => {
            d.quarantine = Some(format!(
                "phishprobe: {} (brand {}, score {})",
                report.verdict.as_str(),
                report.brand.as_deref().unwrap_or("none"),
                report.score
            ));
        }
        Action::Reject => d.answer = FinalAnswer::Reject(config.actions.reject_text.clone()),
        Action::Discard => d.answer = FinalAnswer::Discard,
    }
}

fn unchecked_header(reason: &str) -> (String, String) {
    (
        VERDICT_HEADER.to_string(),
        format!("unchecked; reason={reason}"),
    )
}

/// The finding codes, distinct, in report order, cut to fit one header line.
fn findings_value(report: &Report) -> String {
    let mut out = String::new();
    let mut seen: Vec<&str> = Vec::new();
    for f in &report.findings {
        let code = f.code.as_str();
        if seen.contains(&code) {
            continue;
        }
        if out.len() + code.len() + 2 > FINDINGS_MAX {
            out.push_str(", ...");
            break;
        }
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(code);
        seen.push(code);
    }
    if out.is_empty() {
        out.push_str("none");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use phishprobe_core::{Finding, Message, Severity};

    fn report(verdict: Verdict, codes: &[&str]) -> Report {
        Report {
            input: "m".into(),
            verdict,
            brand: Some("amazon".into()),
            score: 80,
            findings: codes
                .iter()
                .map(|c| {
                    Finding::new(
                        *c,
                        Severity::High,
                        Message {
                            en: "x".into(),
                            zh: "x".into(),
                        },
                        "",
                    )
                })
                .collect(),
        }
    }

    fn config(text: &str) -> Config {
        Config::parse(text, "t").unwrap()
    }

    #[test]
    fn phishing_is_held_by_default_and_headed() {
        let r = report(Verdict::Phishing, &["email.a", "email.b", "email.a"]);
        let d = decide(&config(""), &Outcome::Checked(&r), vec![], Some("Hi"));
        assert_eq!(d.answer, FinalAnswer::Accept);
        assert!(d.quarantine.as_deref().unwrap().contains("phishing"));
        assert_eq!(
            d.add,
            vec![
                (
                    VERDICT_HEADER.into(),
                    "phishing; brand=amazon; score=80".into()
                ),
                (FINDINGS_HEADER.into(), "email.a, email.b".into()),
            ]
        );
        assert_eq!(d.action, "quarantine");
    }

    #[test]
    fn reject_and_tag_only_when_configured() {
        let c = config("[actions]\nphishing = \"reject\"\nsuspicious = \"tag\"\n");
        let p = report(Verdict::Phishing, &[]);
        let d = decide(&c, &Outcome::Checked(&p), vec![], None);
        assert!(matches!(d.answer, FinalAnswer::Reject(ref t) if t.contains("phishing")));
        assert!(d.quarantine.is_none());
        let s = report(Verdict::Suspicious, &[]);
        let d = decide(&c, &Outcome::Checked(&s), vec![], Some(" Your order"));
        assert_eq!(d.tag_subject.as_deref(), Some("[SUSPICIOUS]"));
        let d = decide(
            &c,
            &Outcome::Checked(&s),
            vec![],
            Some(" [SUSPICIOUS] again"),
        );
        assert_eq!(d.tag_subject, None, "never tagged twice");
        let d = decide(&config(""), &Outcome::Checked(&s), vec![], Some("x"));
        assert_eq!(
            (d.tag_subject, d.answer, d.action),
            (None, FinalAnswer::Accept, "header")
        );
    }

    #[test]
    fn genuine_and_unknown_are_never_acted_on() {
        let c = config("[actions]\nphishing = \"reject\"\nsuspicious = \"reject\"\n");
        for v in [Verdict::Genuine, Verdict::Unknown] {
            let r = report(v, &[]);
            let d = decide(&c, &Outcome::Checked(&r), vec![], None);
            assert_eq!(d.answer, FinalAnswer::Accept);
            assert_eq!(d.add[1].1, "none");
        }
    }

    #[test]
    fn failures_follow_the_policy_and_skips_are_delivered() {
        let d = decide(
            &config(""),
            &Outcome::Failed(FailReason::Deadline),
            vec![],
            None,
        );
        assert!(matches!(d.answer, FinalAnswer::Tempfail(ref t) if t.contains("deadline")));
        assert!(d.add.is_empty());
        let c = config("[failure]\non_failure = \"accept\"\n");
        let d = decide(&c, &Outcome::Failed(FailReason::Busy), vec![], None);
        assert_eq!(d.answer, FinalAnswer::Accept);
        assert_eq!(d.add[0].1, "unchecked; reason=busy");
        let d = decide(
            &config(""),
            &Outcome::Skipped(SkipReason::Size),
            vec![],
            None,
        );
        assert_eq!(
            (d.answer, d.add[0].1.as_str()),
            (FinalAnswer::Accept, "unchecked; reason=size")
        );
    }

    #[test]
    fn inbound_own_headers_are_removed_whatever_the_outcome() {
        let remove = vec![("X-Phishprobe-Verdict".to_string(), 1)];
        let d = decide(
            &config(""),
            &Outcome::Failed(FailReason::Error),
            remove.clone(),
            None,
        );
        assert_eq!(d.remove, remove);
    }

    #[test]
    fn a_long_findings_list_stays_one_header_line() {
        let codes: Vec<String> = (0..200).map(|i| format!("email.code_{i}")).collect();
        let refs: Vec<&str> = codes.iter().map(String::as_str).collect();
        let r = report(Verdict::Suspicious, &refs);
        let d = decide(&config(""), &Outcome::Checked(&r), vec![], None);
        let v = &d.add[1].1;
        assert!(
            v.len() <= FINDINGS_MAX + 5 && v.ends_with(", ..."),
            "{}",
            v.len()
        );
    }
}
