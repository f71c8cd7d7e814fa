//! The rules of `data/case.toml`: which finding codes ask for a secret (and in which words),
//! which step a finding belongs to by its code, and the advice texts with when they apply.

use serde::Deserialize;

use super::StepId;
use crate::error::DataError;
use crate::model::Verdict;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AskRule {
    pub(super) category: String,
    pub(super) en: String,
    pub(super) zh: String,
    pub(super) codes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StepRule {
    pub(super) id: String,
    pub(super) codes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AdviceRule {
    pub(super) code: String,
    pub(super) when: Vec<Verdict>,
    #[serde(default)]
    pub(super) needs: Vec<String>,
    #[serde(default)]
    pub(super) fallback_for: Option<String>,
    #[serde(default)]
    pub(super) phone_only: bool,
    #[serde(default)]
    pub(super) login_only: bool,
    /// Only when a finding with one of these codes (above Info) is part of the case.
    #[serde(default)]
    pub(super) codes: Vec<String>,
    pub(super) en: String,
    pub(super) zh: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RulesFile {
    pub(super) ask: Vec<AskRule>,
    pub(super) step: Vec<StepRule>,
    pub(super) advice: Vec<AdviceRule>,
}

/// The parsed `data/case.toml`.
#[derive(Debug, Clone)]
pub struct CaseRules {
    pub(super) ask: Vec<AskRule>,
    pub(super) steps: Vec<(StepId, Vec<String>)>,
    pub(super) advice: Vec<AdviceRule>,
}

/// A code list entry ending in `.` or `_` is a prefix; anything else must match exactly.
pub(super) fn code_matches(pattern: &str, code: &str) -> bool {
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

    /// Parse `case.toml` text; `file` names the file in errors. Unknown step ids and advice
    /// that needs an unknown ask category are errors, not skipped.
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
    pub(super) fn step_of(&self, code: &str) -> Option<StepId> {
        self.steps
            .iter()
            .find(|(_, codes)| codes.iter().any(|p| code_matches(p, code)))
            .map(|(id, _)| *id)
    }

    pub(super) fn ask_label(&self, category: &str) -> Option<(&str, &str)> {
        self.ask
            .iter()
            .find(|a| a.category == category)
            .map(|a| (a.en.as_str(), a.zh.as_str()))
    }
}
