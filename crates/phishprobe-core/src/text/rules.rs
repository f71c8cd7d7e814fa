//! Scam-script patterns loaded from data files (`data/patterns/<lang>.toml`), like brand
//! profiles: a new phrase is a data change, not a code change. Schema: `data/patterns/README.md`.
//!
//! Patterns are regular expressions matched against the normalised, lowercased text
//! (see [`super::normalize()`]). To keep English patterns fast and readable the loader expands:
//! - `\b` -> an ASCII word boundary (Unicode boundaries would force the slow regex engine on
//!   text holding any non-ASCII character);
//! - `{_}` -> one run of spaces/punctuation inside a sentence;
//! - `{gapN}` -> up to N further words inside the same sentence, then a separator
//!   (`give{gap3}password` matches "give me your password").

use std::collections::HashMap;
use std::ops::Range;

use aho_corasick::AhoCorasick;
use regex::{Regex, RegexBuilder};
use regex_automata::meta;
use regex_automata::util::syntax;
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use serde::Deserialize;

use crate::error::DataError;
use crate::model::{Finding, Message, Severity};

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
    /// Fire only when a cue of one of these categories also fired in the same text (a
    /// callback number counts only next to a claimed transaction).
    #[serde(default)]
    requires: Vec<String>,
    /// Step back to an Info note when every phone number in the text is one a brand
    /// publishes (calling a brand's own published number is what it asks for).
    #[serde(default)]
    unless_number_published: bool,
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
    /// Stable finding code (`text.asks_password`).
    pub code: String,
    /// Disclosure request or scam cue.
    pub kind: CueKind,
    /// The category other cues can require (`callback_transaction`, `account_hacked`).
    pub category: String,
    /// Its weight when it fires.
    pub severity: Severity,
    /// What it means, in both languages.
    pub message: Message,
    /// Advice ("never share your code") written before the match stops it from firing.
    pub negatable: bool,
    /// Dropped when every link in the text is the claimed brand's own site.
    pub unless_links_genuine: bool,
    /// Categories of which one must also have fired (empty: none needed).
    pub requires: Vec<String>,
    /// Back to an Info note when every number in the text is one a brand publishes.
    pub unless_number_published: bool,
    /// Language of the file it came from (`en`, `zh`).
    pub lang: String,
    /// Index into [`TextRules::negations`].
    pub(crate) negation: usize,
    /// The cue's patterns as one alternation, matched through `regex-automata`'s meta engine
    /// (the engine behind `regex::Regex`) because it can search part of a text while still
    /// seeing the rest for look-arounds: see [`CuePrefilter::candidates`].
    pub(crate) regex: meta::Regex,
    /// The alternation's source, for the prefilter's literal extraction.
    pub(crate) pattern: String,
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
    pub(crate) prefilter: CuePrefilter,
}

/// Which cues can match a text, and from where, from one Aho-Corasick pass over it.
///
/// Every match of a cue starts with one of the cue's prefix literals and ends with one of its
/// suffix literals (both taken from the parsed regex by `regex-syntax`'s extractor:
/// `(?:提供|告诉|...)[^。]{0,8}密码` starts with 提供, 告诉, ... and ends with 密码). So a cue
/// can only match when one of its prefix literals occurs, and one of its suffix literals ends
/// after the first such occurrence; and no match starts before that first occurrence, so its
/// regex need not look earlier. Cues without a finite set of non-empty prefix literals always
/// run from the start (a missing suffix set just skips that half of the test).
///
/// The regexes decide, so the findings are the same as asking every regex over the whole text.
/// This replaced a `RegexSet` over all cues: its lazy DFA, searching for ~60 alternations with
/// Unicode gaps at once, kept rebuilding its state cache on Chinese text (0.2 MB/s).
#[derive(Debug, Clone)]
pub(crate) struct CuePrefilter {
    ac: Option<AhoCorasick>,
    /// Literal (automaton pattern) index -> the cues it is a prefix literal of.
    prefix_of: Vec<Vec<usize>>,
    /// Literal index -> the cues it is a suffix literal of.
    suffix_of: Vec<Vec<usize>>,
    /// Per cue: filtered by prefix literals (else it always runs from 0).
    by_prefix: Vec<bool>,
    /// Per cue: filtered by suffix literals too.
    by_suffix: Vec<bool>,
}

/// Finite, non-empty literals of `kind` that every match of `re` starts (ends) with.
fn literals_of(pattern: &str, kind: ExtractKind) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .ok()?;
    let mut extractor = Extractor::new();
    // Generous limits keep the literals specific (a larger set of longer literals).
    extractor.kind(kind).limit_total(4096).limit_class(16);
    let seq = extractor.extract(&hir);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    Some(lits.iter().map(|l| l.as_bytes().to_vec()).collect())
}

impl CuePrefilter {
    fn new(cues: &[Cue]) -> CuePrefilter {
        let mut lits: Vec<Vec<u8>> = Vec::new();
        let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut prefix_of: Vec<Vec<usize>> = Vec::new();
        let mut suffix_of: Vec<Vec<usize>> = Vec::new();
        let mut by_prefix = vec![false; cues.len()];
        let mut by_suffix = vec![false; cues.len()];
        let mut add = |b: Vec<u8>, ci: usize, suffix: bool| {
            let li = *index.entry(b.clone()).or_insert_with(|| {
                lits.push(b);
                prefix_of.push(Vec::new());
                suffix_of.push(Vec::new());
                lits.len() - 1
            });
            let owners = if suffix {
                suffix_of.get_mut(li)
            } else {
                prefix_of.get_mut(li)
            };
            if let Some(o) = owners
                && !o.contains(&ci)
            {
                o.push(ci);
            }
        };
        for (ci, cue) in cues.iter().enumerate() {
            let Some(prefixes) = literals_of(&cue.pattern, ExtractKind::Prefix) else {
                continue;
            };
            for l in prefixes {
                add(l, ci, false);
            }
            if let Some(f) = by_prefix.get_mut(ci) {
                *f = true;
            }
            if let Some(suffixes) = literals_of(&cue.pattern, ExtractKind::Suffix) {
                for l in suffixes {
                    add(l, ci, true);
                }
                if let Some(f) = by_suffix.get_mut(ci) {
                    *f = true;
                }
            }
        }
        let ac = if lits.is_empty() {
            None
        } else {
            // A contiguous NFA, not a full DFA: with ~16,000 literals the DFA took 71 MB and
            // 0.2 s to build (paid by every CLI run, even on a one-line text), and its
            // transitions, spread over all that memory, missed the CPU caches so often that it
            // searched no faster than this 1.5 MB automaton. The matches are the same.
            match AhoCorasick::builder()
                .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                .build(&lits)
                .or_else(|_| AhoCorasick::new(&lits))
            {
                Ok(ac) => Some(ac),
                Err(_) => {
                    // Cannot happen with these sizes; stay correct by running every cue.
                    by_prefix = vec![false; cues.len()];
                    None
                }
            }
        };
        CuePrefilter {
            ac,
            prefix_of,
            suffix_of,
            by_prefix,
            by_suffix,
        }
    }

    /// Per cue: `Some(start..end)` when it may match `text`, with every match inside that
    /// range; `None` when it cannot match. No match starts before the first occurrence of one
    /// of the cue's prefix literals, and none ends after the last end of one of its suffix
    /// literals, so the regex need search only between the two (the text around stays visible
    /// to its look-arounds): on a long mail, a cue whose first word turns up early no longer
    /// scans the whole rest of the text.
    pub(crate) fn candidates(&self, text: &str) -> Vec<Option<Range<usize>>> {
        let n = self.by_prefix.len();
        let mut first_start = vec![usize::MAX; n];
        let mut last_end = vec![0usize; n];
        if let Some(ac) = &self.ac {
            // Overlapping: a literal hidden inside another one's match still counts.
            for m in ac.find_overlapping_iter(text) {
                let li = m.pattern().as_usize();
                for &ci in self.prefix_of.get(li).map_or(&[][..], Vec::as_slice) {
                    if let Some(x) = first_start.get_mut(ci) {
                        *x = (*x).min(m.start());
                    }
                }
                for &ci in self.suffix_of.get(li).map_or(&[][..], Vec::as_slice) {
                    if let Some(x) = last_end.get_mut(ci) {
                        *x = (*x).max(m.end());
                    }
                }
            }
        }
        (0..n)
            .map(|ci| {
                if !self.by_prefix.get(ci).copied().unwrap_or(false) {
                    return Some(0..text.len());
                }
                let start = first_start.get(ci).copied().unwrap_or(usize::MAX);
                if start == usize::MAX {
                    return None;
                }
                if !self.by_suffix.get(ci).copied().unwrap_or(false) {
                    return Some(start..text.len());
                }
                let end = last_end.get(ci).copied().unwrap_or(0);
                (end > start).then_some(start..end)
            })
            .collect()
    }
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

/// A cue's alternation as a meta regex, configured as [`build_regex`] configures
/// `regex::Regex` (same limits, leftmost-first, UTF-8 and its empty-match rule), so it
/// matches exactly as that would. A pattern that does not build is reported in the `regex`
/// crate's words, as every other pattern error is.
fn build_cue_regex(src: &str) -> Result<meta::Regex, String> {
    let config = meta::Config::new()
        .nfa_size_limit(Some(8 << 20))
        .hybrid_cache_capacity(8 << 20)
        .match_kind(regex_automata::MatchKind::LeftmostFirst)
        .utf8_empty(true);
    meta::Builder::new()
        .configure(config)
        .syntax(syntax::Config::new().utf8(true))
        .build(src)
        .map_err(|meta_error| match build_regex(src) {
            Err(e) => e.to_string(),
            Ok(_) => meta_error.to_string(),
        })
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
                let regex =
                    build_cue_regex(&alt).map_err(|e| bad(format!("cue {}: {e}", c.code)))?;
                cues.push(Cue {
                    negatable: c.negatable.unwrap_or(c.kind == CueKind::Disclosure),
                    code: c.code,
                    kind: c.kind,
                    category: c.category,
                    severity: c.severity,
                    message: Message::new(c.en, c.zh),
                    unless_links_genuine: c.unless_links_genuine,
                    requires: c.requires,
                    unless_number_published: c.unless_number_published,
                    lang: file.lang.clone(),
                    negation: neg_idx,
                    regex,
                    pattern: alt,
                });
            }
        }
        if let Some((c, r)) = cues.iter().find_map(|c| {
            c.requires
                .iter()
                .find(|r| !cues.iter().any(|o| &o.category == *r))
                .map(|r| (c, r))
        }) {
            return Err(DataError::Invalid {
                file: "patterns".to_string(),
                what: format!("cue {} requires unknown category {r:?}", c.code),
            });
        }
        let prefilter = CuePrefilter::new(&cues);
        Ok(TextRules {
            cues,
            negations,
            prefilter,
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
        let prefilter = CuePrefilter::new(&cues);
        TextRules {
            cues,
            negations: self.negations.clone(),
            prefilter,
        }
    }

    /// Every cue, in file order (the order findings are reported in).
    pub fn cues(&self) -> &[Cue] {
        &self.cues
    }

    /// The cue conditions that depend on the whole analysis, applied once every cue, link and
    /// number is in: a cue whose `requires` categories did not fire is dropped; one marked
    /// `unless_number_published` becomes an Info note when every number found is one a
    /// brand publishes.
    pub(crate) fn settle(
        &self,
        knowledge: &crate::knowledge::Knowledge,
        a: &mut super::TextAnalysis,
    ) {
        let category = |code: &str| {
            self.cues
                .iter()
                .find(|c| c.code == code)
                .map(|c| c.category.as_str())
        };
        let fired: Vec<&str> = a
            .disclosure
            .iter()
            .chain(a.cues.iter())
            .filter_map(|f| category(&f.code))
            .collect();
        let unmet = |code: &str| {
            self.cues.iter().find(|c| c.code == code).is_some_and(|c| {
                !c.requires.is_empty() && !c.requires.iter().any(|r| fired.contains(&r.as_str()))
            })
        };
        let dropped: Vec<String> = a
            .cues
            .iter()
            .map(|f| f.code.clone())
            .filter(|c| unmet(c))
            .collect();
        a.cues.retain(|f| !dropped.contains(&f.code));
        a.disclosure.retain(|f| !dropped.contains(&f.code));
        let all_published = !a.phones.is_empty()
            && a.phones.iter().all(|p| {
                p.e164
                    .as_deref()
                    .is_some_and(|e| !crate::phone::published_matches(knowledge, e).is_empty())
            });
        if !all_published {
            return;
        }
        let stepping_back = |code: &str| {
            self.cues
                .iter()
                .any(|c| c.code == code && c.unless_number_published)
        };
        let (back, kept): (Vec<Finding>, Vec<Finding>) = std::mem::take(&mut a.cues)
            .into_iter()
            .partition(|f| stepping_back(&f.code));
        a.cues = kept;
        for f in back {
            a.info.push(Finding::new(
                "text.callback_number_published",
                Severity::Info,
                Message::new(
                    "The number it gives is one the brand publishes. Even so, look the number up yourself on the brand's official site or app and call that, rather than trusting the message.",
                    "它给出的号码是该品牌公布的号码。即便如此，也请自己在品牌官网或官方应用里查到号码再拨打，而不是相信消息。",
                ),
                f.evidence,
            ));
        }
    }

    /// Pattern languages loaded.
    pub fn langs(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.cues.iter().map(|c| c.lang.as_str()).collect();
        v.sort();
        v.dedup();
        v
    }
}
