//! Scam-script patterns loaded from data files (`data/patterns/<lang>.toml`), like brand
//! profiles: a new phrase is a data change, not a code change. Schema: `data/patterns/README.md`.
//!
//! Patterns are regular expressions matched against the normalised, lowercased text
//! (see [`super::normalize`]). To keep English patterns fast and readable the loader expands:
//! - `\b` -> an ASCII word boundary (Unicode boundaries would force the slow regex engine on
//!   text holding any non-ASCII character);
//! - `{_}` -> one run of spaces/punctuation inside a sentence;
//! - `{gapN}` -> up to N further words inside the same sentence, then a separator
//!   (`give{gap3}password` matches "give me your password").

use std::collections::HashMap;

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::Deserialize;

use crate::error::DataError;
use crate::model::{Message, Severity};

/// What a cue means for the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CueKind {
    /// Asks the person to hand over a secret, control or money: decisive on its own.
    Disclosure,
    /// Part of a scam script; these add up to a scam likelihood.
    Scam,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileNegation {
    #[serde(default)]
    words: Vec<String>,
    #[serde(default = "default_window")]
    window: usize,
}

fn default_window() -> usize {
    60
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCue {
    code: String,
    kind: CueKind,
    category: String,
    severity: Severity,
    en: String,
    zh: String,
    #[serde(default)]
    negatable: Option<bool>,
    /// Drop the cue when the text has links and every one is on the claimed brand's own site
    /// (a genuine "reset your password" mail links to the brand; a scam links elsewhere or
    /// reads the link out on the phone).
    #[serde(default)]
    unless_links_genuine: bool,
    patterns: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternFile {
    lang: String,
    #[serde(default)]
    negation: Option<FileNegation>,
    #[serde(default)]
    cue: Vec<FileCue>,
}

/// One compiled cue.
#[derive(Debug, Clone)]
pub struct Cue {
    pub code: String,
    pub kind: CueKind,
    pub category: String,
    pub severity: Severity,
    pub message: Message,
    pub negatable: bool,
    pub unless_links_genuine: bool,
    /// Language of the file it came from (`en`, `zh`).
    pub lang: String,
    /// Index into [`TextRules::negations`].
    pub(crate) negation: usize,
    pub(crate) regex: Regex,
}

/// Negation / advice markers of one file.
#[derive(Debug, Clone)]
pub(crate) struct Negation {
    pub(crate) regex: Option<Regex>,
    pub(crate) window: usize,
}

/// All loaded cues, ready to match. Build once and share (`&TextRules` is `Sync`).
#[derive(Debug, Clone)]
pub struct TextRules {
    pub(crate) cues: Vec<Cue>,
    pub(crate) negations: Vec<Negation>,
    /// Prefilter: which cues can match at all, in one pass over the text.
    pub(crate) set: RegexSet,
}

fn expand(p: &str) -> String {
    let sep = "[^a-z0-9.!?;:\\n]+";
    let mut s = p.replace("\\b", "(?-u:\\b)").replace("{_}", sep);
    for n in (1..=9).rev() {
        s = s.replace(
            &format!("{{gap{n}}}"),
            &format!("(?:{sep}[a-z0-9'$,]+){{0,{n}}}?{sep}"),
        );
    }
    s
}

fn build_regex(src: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(src)
        .size_limit(8 << 20)
        .dfa_size_limit(8 << 20)
        .build()
}

impl TextRules {
    /// The pattern files embedded in the binary (`data/patterns/*.toml`).
    pub fn embedded() -> Result<TextRules, DataError> {
        TextRules::from_sources(crate::embedded::PATTERNS.iter().copied())
    }

    /// Build from `(file name, TOML text)` pairs. Errors name the file and line (syntax) or
    /// the file and cue (bad regex, bad code).
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<TextRules, DataError> {
        let mut cues = Vec::new();
        let mut negations = Vec::new();
        let mut seen: HashMap<(String, String), ()> = HashMap::new();
        for (name, text) in sources {
            let file: PatternFile =
                toml::from_str(text).map_err(|e| DataError::from_toml(name, text, &e))?;
            let bad = |what: String| DataError::Invalid {
                file: name.to_string(),
                what,
            };
            if file.lang.is_empty() || !file.lang.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(bad(format!(
                    "lang {:?} must be lowercase letters",
                    file.lang
                )));
            }
            let neg = match file.negation {
                Some(n) if !n.words.is_empty() => {
                    let alt = n
                        .words
                        .iter()
                        .map(|w| format!("(?:{})", expand(w)))
                        .collect::<Vec<_>>()
                        .join("|");
                    let re = build_regex(&alt).map_err(|e| bad(format!("negation words: {e}")))?;
                    Negation {
                        regex: Some(re),
                        window: n.window.clamp(1, 400),
                    }
                }
                _ => Negation {
                    regex: None,
                    window: default_window(),
                },
            };
            negations.push(neg);
            let neg_idx = negations.len() - 1;
            for c in file.cue {
                let valid_code = c.code.strip_prefix("text.").is_some_and(|r| {
                    !r.is_empty() && r.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                });
                if !valid_code {
                    return Err(bad(format!(
                        "cue code {:?} must look like text.lowercase_words",
                        c.code
                    )));
                }
                if seen
                    .insert((c.code.clone(), file.lang.clone()), ())
                    .is_some()
                {
                    return Err(bad(format!(
                        "cue {} is defined twice for {}",
                        c.code, file.lang
                    )));
                }
                if c.patterns.is_empty() {
                    return Err(bad(format!("cue {} has no patterns", c.code)));
                }
                if c.en.trim().is_empty() || c.zh.trim().is_empty() {
                    return Err(bad(format!("cue {} needs both en and zh messages", c.code)));
                }
                if c.category.trim().is_empty() {
                    return Err(bad(format!("cue {} needs a category", c.code)));
                }
                let alt = c
                    .patterns
                    .iter()
                    .map(|p| format!("(?:{})", expand(p)))
                    .collect::<Vec<_>>()
                    .join("|");
                let regex = build_regex(&alt).map_err(|e| bad(format!("cue {}: {e}", c.code)))?;
                cues.push(Cue {
                    negatable: c.negatable.unwrap_or(c.kind == CueKind::Disclosure),
                    code: c.code,
                    kind: c.kind,
                    category: c.category,
                    severity: c.severity,
                    message: Message::new(c.en, c.zh),
                    unless_links_genuine: c.unless_links_genuine,
                    lang: file.lang.clone(),
                    negation: neg_idx,
                    regex,
                });
            }
        }
        let set = RegexSetBuilder::new(cues.iter().map(|c| c.regex.as_str()))
            .size_limit(64 << 20)
            .dfa_size_limit(64 << 20)
            .build()
            .map_err(|e| DataError::Invalid {
                file: "patterns".into(),
                what: format!("combined pattern set: {e}"),
            })?;
        Ok(TextRules {
            cues,
            negations,
            set,
        })
    }

    /// Only the cues of the given pattern languages (`["en"]`, `["zh"]`); unknown names keep
    /// nothing. Used by `--text-lang`.
    pub fn only_langs(&self, langs: &[&str]) -> TextRules {
        let cues: Vec<Cue> = self
            .cues
            .iter()
            .filter(|c| langs.contains(&c.lang.as_str()))
            .cloned()
            .collect();
        let set = RegexSetBuilder::new(cues.iter().map(|c| c.regex.as_str()))
            .size_limit(64 << 20)
            .dfa_size_limit(64 << 20)
            .build()
            .unwrap_or_else(|_| RegexSet::empty());
        TextRules {
            cues,
            negations: self.negations.clone(),
            set,
        }
    }

    pub fn cues(&self) -> &[Cue] {
        &self.cues
    }

    /// Pattern languages loaded.
    pub fn langs(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.cues.iter().map(|c| c.lang.as_str()).collect();
        v.sort();
        v.dedup();
        v
    }
}
