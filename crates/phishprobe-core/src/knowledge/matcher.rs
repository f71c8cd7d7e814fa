//! Finding brand tokens and their look-alikes inside one hostname token.
//!
//! The phishing hosts we see carry the brand anywhere: a whole label (`amazon.co.jp.x.buzz`),
//! a hyphen token (`account-update-amazon.x.top`), glued to a keyword (`amazonsupport`), with a
//! typo (`amazom`, `arnazon`) or in another script. So every token of every label is searched,
//! against every brand at once:
//!
//! - exact brand tokens anywhere in the token, by one Aho-Corasick automaton;
//! - one-edit variants (omission, insertion, substitution, transposition: which covers keyboard
//!   neighbours, repetition, vowel swaps and bit flips) of tokens of six letters or more, by hash
//!   lookups of the whole token or of its prefix/suffix of the right length;
//! - two-edit variants of long tokens (nine letters or more), whole tokens only.
//!
//! False positives are controlled by reasoning, not by samples: short brand tokens must stand
//! alone, glued typos only count next to a credential word or digits, and real words that
//! contain a brand token (`amazonas`, `pineapple`) are listed exceptions.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use aho_corasick::{AhoCorasick, MatchKind as AcKind};

use crate::brand::BrandSet;

/// Brand tokens shorter than this must match a whole token (or beside digits/keywords).
pub const SHORT_TOKEN: usize = 5;
/// Brand tokens at least this long are also matched with one edit.
pub const TYPO_MIN: usize = 6;
/// Brand tokens at least this long are also matched with two edits (whole tokens only, weak).
pub const TWO_EDIT_MIN: usize = 8;

/// How a brand token was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// The brand token as written.
    Exact,
    /// One edit (or two for long tokens) away from the brand token.
    Typo,
}

/// Where in the host token the brand token sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Position {
    /// The brand token is the whole host token.
    Whole,
    /// The host token starts with the brand token.
    Prefix,
    /// The host token ends with the brand token.
    Suffix,
    /// The brand token sits inside the host token.
    Inside,
}

/// One brand token found in a host token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenMatch {
    /// Index of the brand in the profile set.
    pub brand: usize,
    /// The brand's own token (`amazon`).
    pub brand_token: String,
    /// What stood in the host token (`amazom`).
    pub found: String,
    /// Exactly or as a typo.
    pub kind: Kind,
    /// Where in the host token.
    pub position: Position,
    /// The rest of the host token around the match (`support` in `amazonsupport`).
    pub rest: String,
    /// Strong matches count anywhere; weak ones (a typo glued to an arbitrary word, a brand
    /// inside a one-letter-longer real word, two edits) only where the host is risky already
    /// (free hosting, an abused ending, a subdomain of someone else's name, credential words).
    pub strong: bool,
    /// Found through a context token (an ordinary word too): counts only on a risky host.
    pub context: bool,
}

/// Finds brand tokens, exactly or one edit away, inside host tokens: the look-alike search every
/// hostname goes through, built once from the profiles and the lists' exceptions.
#[derive(Debug)]
pub struct TokenMatcher {
    exact: Option<AhoCorasick>,
    exact_owner: Vec<(usize, String)>,
    /// Per `exact_owner` entry: a context token (an ordinary word too), never a strong match.
    exact_weak: Vec<bool>,
    /// The one-edit variant table: the hash of a variant -> the `exact_owner` entry it is a
    /// variant of (the first token that has it). Hashes, not strings: a few hundred thousand
    /// variant strings took most of the engine's start-up, which the browser extension pays on
    /// every service-worker start. A hit is confirmed with [`is_one_edit_variant`].
    typos: HashMap<u64, u32>,
    typo_lengths: Vec<usize>,
    /// Prefilter for `typos`: bit `n` of `typo_first[prefilter_key(v)]` is set when some
    /// one-edit variant `v` of length `n` has that first, second and last byte (lengths of 31
    /// and more share bit 31). Most substrings of a hostname fail it, which saves hashing them;
    /// with many brands the first byte alone no longer did.
    typo_first: Vec<u32>,
    long_tokens: Vec<(usize, String)>,
    exceptions: Vec<String>,
    /// All exceptions in one automaton: "does this token contain a real word?" in one pass.
    exception_ac: Option<AhoCorasick>,
    login_words: HashSet<String>,
}

impl TokenMatcher {
    /// Index the profiles' tokens; `exceptions` are real words that contain a brand token
    /// (`amazonia`), `login_words` the account words that make a glued typo strong.
    pub fn new(brands: &BrandSet, exceptions: &[String], login_words: &[String]) -> Self {
        let mut exact_owner: Vec<(usize, String)> = Vec::new();
        let mut exact_weak: Vec<bool> = Vec::new();
        // Exact tokens (never typos) are skipped when the one-edit table is built below.
        let mut no_typo: HashSet<String> = HashSet::default();
        for (bi, b) in brands.iter().enumerate() {
            for t in &b.host_tokens {
                if !exact_owner.iter().any(|(_, x)| x == t) {
                    exact_owner.push((bi, t.clone()));
                    exact_weak.push(false);
                }
            }
            for t in &b.exact_tokens {
                if !exact_owner.iter().any(|(_, x)| x == t) {
                    exact_owner.push((bi, t.clone()));
                    exact_weak.push(false);
                    no_typo.insert(t.clone());
                }
            }
        }
        // Context tokens after all host tokens: a word that is one brand's token and another's
        // context token stays the strong token.
        for (bi, b) in brands.iter().enumerate() {
            for t in &b.context_tokens {
                if !exact_owner.iter().any(|(_, x)| x == t) {
                    exact_owner.push((bi, t.clone()));
                    exact_weak.push(true);
                }
            }
        }
        let exceptions: Vec<String> = exceptions.to_vec();
        // Sized for every variant at once: growing a map of a few hundred thousand entries
        // step by step was a good part of the engine's start-up.
        let variants: usize = exact_owner
            .iter()
            .map(|(_, t)| t.len())
            .filter(|&n| n >= TYPO_MIN)
            .map(|n| ALPHABET.len() * (2 * n + 1) + n)
            .sum();
        let mut typos: HashMap<u64, u32> =
            HashMap::with_capacity_and_hasher(variants, Default::default());
        let mut typo_lengths: Vec<usize> = Vec::new();
        let mut typo_first = vec![0u32; PREFILTER_SIZE];
        let mut long_tokens = Vec::new();
        let mut buf = Vec::new();
        for (index, ((bi, t), weak)) in exact_owner.iter().zip(&exact_weak).enumerate() {
            if *weak || no_typo.contains(t) {
                continue;
            }
            if t.len() >= TYPO_MIN {
                let Ok(index) = u32::try_from(index) else {
                    continue;
                };
                let ascii = t.is_ascii();
                for_each_one_edit_variant(t.as_bytes(), &mut buf, |v| {
                    // Edits of an ASCII token with ASCII letters stay text; others may not.
                    if !ascii && std::str::from_utf8(v).is_err() {
                        return;
                    }
                    typos.entry(variant_hash_bytes(v)).or_insert(index);
                    if !typo_lengths.contains(&v.len()) {
                        typo_lengths.push(v.len());
                    }
                    if let Some(key) = prefilter_key(v)
                        && let Some(m) = typo_first.get_mut(key)
                    {
                        *m |= len_bit(v.len());
                    }
                });
            }
            if t.len() >= TWO_EDIT_MIN {
                long_tokens.push((*bi, t.clone()));
            }
        }
        // Brand tokens and listed real words are never typos of anything: out of the table
        // (once here rather than asked about for every variant). The prefilter may keep their
        // bits, which only lets a lookup through to miss.
        for word in exact_owner.iter().map(|(_, t)| t).chain(&exceptions) {
            typos.remove(&variant_hash(word));
        }
        typo_lengths.sort_unstable();
        let exact = AhoCorasick::builder()
            .match_kind(AcKind::Standard)
            .build(exact_owner.iter().map(|(_, t)| t.as_str()))
            .ok();
        let exception_ac = AhoCorasick::new(exceptions.iter().filter(|e| !e.is_empty())).ok();
        TokenMatcher {
            exact,
            exact_owner,
            exact_weak,
            typos,
            typo_lengths,
            typo_first,
            long_tokens,
            exceptions,
            exception_ac,
            login_words: login_words.iter().cloned().collect(),
        }
    }

    /// The one-edit variant table entry for `s`, if any (prefiltered by its first, second and
    /// last byte and its length).
    fn typo_of(&self, s: &str) -> Option<(usize, &str)> {
        let key = prefilter_key(s.as_bytes())?;
        let mask = self.typo_first.get(key).copied().unwrap_or(0);
        if mask & len_bit(s.len()) == 0 {
            return None;
        }
        let index = *self.typos.get(&variant_hash(s))?;
        let (bi, t) = self.exact_owner.get(usize::try_from(index).ok()?)?;
        is_one_edit_variant(s.as_bytes(), t.as_bytes()).then_some((*bi, t.as_str()))
    }

    fn is_exception(&self, token: &str) -> bool {
        self.exception_ac
            .as_ref()
            .is_some_and(|ac| ac.is_match(token))
    }

    /// The longest listed real word inside `token` that covers the match `start..end`.
    fn covering_exception(&self, token: &str, start: usize, end: usize) -> Option<usize> {
        // One automaton pass first: most tokens hold no listed word at all.
        if !self.is_exception(token) {
            return None;
        }
        self.exceptions
            .iter()
            .filter_map(|e| {
                token
                    .match_indices(e.as_str())
                    .find_map(|(i, _)| (i <= start && i + e.len() >= end).then_some(e.len()))
            })
            .max()
    }

    /// A neighbour that makes a glued brand token believable: a credential word or digits.
    fn is_keyword_rest(&self, rest: &str) -> bool {
        rest.is_empty()
            || rest.bytes().all(|b| b.is_ascii_digit())
            || self.login_words.contains(rest)
    }

    /// All brand matches in `token` (lowercase; ASCII or skeletonised), best first.
    pub fn find(&self, token: &str) -> Vec<TokenMatch> {
        let mut out: Vec<TokenMatch> = Vec::new();
        if token.len() < 3 {
            return out;
        }
        self.exact_matches(token, &mut out);
        if out.is_empty() {
            // The exception automaton only matters when a typo turned up (rarely): ask it then.
            self.find_typos(token, &mut out);
            if !out.is_empty() && self.is_exception(token) {
                out.clear();
            }
        }
        sort_best_first(&mut out);
        out
    }

    /// The brand tokens written out in `token` (no typos), best first: what [`find`] gives
    /// when the token holds a brand token, without the one-edit search a caller that only
    /// wants exact words (the words of a URL's path) would throw away.
    ///
    /// [`find`]: TokenMatcher::find
    pub fn find_exact(&self, token: &str) -> Vec<TokenMatch> {
        let mut out: Vec<TokenMatch> = Vec::new();
        if token.len() < 3 {
            return out;
        }
        self.exact_matches(token, &mut out);
        sort_best_first(&mut out);
        out
    }

    /// The exact brand-token matches in `token`, in the automaton's order.
    fn exact_matches(&self, token: &str, out: &mut Vec<TokenMatch>) {
        if let Some(ac) = &self.exact {
            for m in ac.find_overlapping_iter(token) {
                let Some((bi, bt)) = self.exact_owner.get(m.pattern().as_usize()) else {
                    continue;
                };
                let context_only = self
                    .exact_weak
                    .get(m.pattern().as_usize())
                    .copied()
                    .unwrap_or(false);
                let position = position_of(m.start(), m.end(), token.len());
                // What can never count, decided before any work (three-letter tokens turn up
                // inside most words): a short token inside a word, a three-letter one at its
                // end, a context token anywhere but alone.
                if (bt.len() < SHORT_TOKEN && position == Position::Inside)
                    || (bt.len() <= 3 && position == Position::Suffix)
                    || (context_only && position != Position::Whole)
                {
                    continue;
                }
                let rest = rest_of(token, m.start(), m.end());
                // A real word that contains the brand (`amazonas`, `pineapple`) is no claim;
                // one only a letter longer (`amazone`) is a weak one.
                let strength = match self.covering_exception(token, m.start(), m.end()) {
                    Some(len) if len >= bt.len() + 2 => None,
                    Some(_) => Some(false),
                    None => match position {
                        Position::Whole => Some(true),
                        // Short tokens: a claim beside a keyword, a weak one at the start of a
                        // longer word (`amznmshs`), nothing inside one (`webay`).
                        _ if bt.len() < SHORT_TOKEN => match position {
                            Position::Inside => None,
                            // Three letters start and end too many words (`ing` in
                            // `tracking`, `att` in `attorney`): whole, or first beside a keyword.
                            Position::Suffix if bt.len() <= 3 => None,
                            _ if self.is_keyword_rest(&rest) => Some(true),
                            Position::Prefix if bt.len() > 3 => Some(false),
                            _ => None,
                        },
                        _ => Some(true),
                    },
                };
                // A context token is an ordinary word too: never a claim on its own, and not
                // even a weak one inside a longer word (`squarespace`, `metaphor`).
                let strength = if context_only {
                    match position {
                        Position::Whole => strength.map(|_| false),
                        _ => None,
                    }
                } else {
                    strength
                };
                if let Some(strong) = strength {
                    out.push(TokenMatch {
                        brand: *bi,
                        brand_token: bt.clone(),
                        found: bt.clone(),
                        kind: Kind::Exact,
                        position,
                        rest,
                        strong,
                        context: context_only,
                    });
                }
            }
        }
    }

    fn find_typos(&self, token: &str, out: &mut Vec<TokenMatch>) {
        // Whole token, then a prefix or suffix of each variant length next to a keyword.
        if let Some((bi, bt)) = self.typo_of(token) {
            out.push(typo(bi, bt, token, Position::Whole, String::new(), true));
            return;
        }
        for &len in &self.typo_lengths {
            if len >= token.len() {
                break;
            }
            for (pos, (found, rest)) in [
                (Position::Prefix, (token.get(..len), token.get(len..))),
                (
                    Position::Suffix,
                    (
                        token.get(token.len() - len..),
                        token.get(..token.len() - len),
                    ),
                ),
            ] {
                let (Some(found), Some(rest)) = (found, rest) else {
                    continue;
                };
                if let Some((bi, bt)) = self.typo_of(found) {
                    // A typo glued to a keyword is a claim; glued to a longer word or digits a
                    // weak one; glued to one or two letters usually just another word.
                    // Two-letter keywords (`ap`, `id`) glued to a typo are too often just
                    // letters of another word (`apipost`).
                    let strong = self.is_keyword_rest(rest)
                        && (rest.is_empty()
                            || rest.len() >= 3
                            || rest.bytes().all(|b| b.is_ascii_digit()));
                    // Letters in front make another word (`tamadon`); trailing ones are a
                    // common padding of impostor names (`amazood`).
                    let weak_ok = rest.len() >= 3
                        || rest.bytes().any(|b| b.is_ascii_digit())
                        || pos == Position::Prefix;
                    if strong || weak_ok {
                        out.push(typo(bi, bt, found, pos, rest.to_string(), strong));
                    }
                }
            }
        }
        if !out.is_empty() {
            return;
        }
        // A misspelt brand buried in a long run of words (`verifyouramzonpayment`).
        if token.len() >= 8 {
            // Not five-letter variants: buried in a run of letters they turn up inside
            // ordinary words (`inost` in `bankinostore` for `inpost`).
            for &len in self.typo_lengths.iter().filter(|&&l| (6..=8).contains(&l)) {
                for start in 1..token.len().saturating_sub(len) {
                    let Some(found) = token.get(start..start + len) else {
                        continue;
                    };
                    if let Some((bi, bt)) = self.typo_of(found) {
                        let rest = rest_of(token, start, start + len);
                        out.push(typo(bi, bt, found, Position::Inside, rest, false));
                        return;
                    }
                }
            }
        }
        for (bi, bt) in &self.long_tokens {
            if token.len().abs_diff(bt.len()) <= 1
                && token.as_bytes().first() == bt.as_bytes().first()
                && letters_within(token, bt, 4)
                && osa_within(token, bt, 2)
            {
                out.push(typo(*bi, bt, token, Position::Whole, String::new(), false));
            }
        }
    }
}

/// A cheap necessary condition for an edit distance of at most `max_l1 / 2`: one edit changes
/// the letter counts by at most two (a substitution takes one letter away and adds another; an
/// insertion or deletion changes one count; a swap none), so two strings within `d` edits differ
/// in their letter counts by at most `2 d`. Bytes share 64 buckets, which can only make the
/// difference smaller, so the test never rejects a real match.
fn letters_within(a: &str, b: &str, max_l1: u32) -> bool {
    let mut h = [0i32; 64];
    for &c in a.as_bytes() {
        if let Some(x) = h.get_mut(usize::from(c & 63)) {
            *x += 1;
        }
    }
    for &c in b.as_bytes() {
        if let Some(x) = h.get_mut(usize::from(c & 63)) {
            *x -= 1;
        }
    }
    h.iter().map(|x| x.unsigned_abs()).sum::<u32>() <= max_l1
}

/// Entries of the `typo_first` prefilter: five bits each of three bytes.
const PREFILTER_SIZE: usize = 1 << 15;

/// Prefilter slot of a variant: the low five bits of its first, second and last byte (ASCII
/// letters are distinct there; digits share slots with letters, which only lets more through).
fn prefilter_key(b: &[u8]) -> Option<usize> {
    let first = usize::from(*b.first()? & 31);
    let second = usize::from(*b.get(1)? & 31);
    let last = usize::from(*b.last()? & 31);
    Some((first << 10) | (second << 5) | last)
}

/// Bit for a string length in the `typo_first` masks (31 stands for "31 or longer").
fn len_bit(len: usize) -> u32 {
    1u32 << len.min(31)
}

fn typo(
    bi: usize,
    bt: &str,
    found: &str,
    position: Position,
    rest: String,
    strong: bool,
) -> TokenMatch {
    TokenMatch {
        brand: bi,
        brand_token: bt.to_string(),
        found: found.to_string(),
        kind: Kind::Typo,
        position,
        rest,
        strong,
        context: false,
    }
}

/// Strong claims first, then exact before typo, whole before prefix before suffix, then the
/// longer brand token: the order every caller of [`TokenMatcher::find`] relies on.
fn sort_best_first(out: &mut [TokenMatch]) {
    out.sort_by(|a, b| {
        (
            !a.strong,
            a.kind,
            a.position,
            std::cmp::Reverse(a.brand_token.len()),
        )
            .cmp(&(
                !b.strong,
                b.kind,
                b.position,
                std::cmp::Reverse(b.brand_token.len()),
            ))
    });
}

fn position_of(start: usize, end: usize, len: usize) -> Position {
    match (start == 0, end == len) {
        (true, true) => Position::Whole,
        (true, false) => Position::Prefix,
        (false, true) => Position::Suffix,
        (false, false) => Position::Inside,
    }
}

fn rest_of(token: &str, start: usize, end: usize) -> String {
    let mut s = token.get(..start).unwrap_or("").to_string();
    s.push_str(token.get(end..).unwrap_or(""));
    s
}

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Every string one edit (Damerau: omission, insertion, substitution, adjacent swap) away,
/// except edits of the first letter: like Chromium's look-alike filter we skip those, since a
/// different first letter makes a different word far more often than a typo (`zaobao`/`taobao`,
/// `cloud`/`icloud`).
pub fn one_edit_variants(t: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut buf = Vec::new();
    for_each_one_edit_variant(t.as_bytes(), &mut buf, |v| {
        if let Ok(v) = std::str::from_utf8(v) {
            out.push(v.to_string());
        }
    });
    out.sort();
    out.dedup();
    out
}

/// Call `f` with every [`one_edit_variant`](one_edit_variants) of `t` (repeats included,
/// `t` itself never), built in `buf` so nothing is allocated per variant.
fn for_each_one_edit_variant(t: &[u8], buf: &mut Vec<u8>, mut f: impl FnMut(&[u8])) {
    let mut emit = |buf: &Vec<u8>| {
        if buf.as_slice() != t {
            f(buf);
        }
    };
    let n = t.len();
    for i in 0..n {
        if i + 1 < n && t[i] != t[i + 1] {
            buf.clear();
            buf.extend_from_slice(t);
            buf.swap(i, i + 1);
            emit(buf);
        }
        if i == 0 {
            continue;
        }
        buf.clear();
        buf.extend_from_slice(&t[..i]);
        buf.extend_from_slice(&t[i + 1..]);
        emit(buf);
        for &c in ALPHABET {
            if c != t[i] {
                buf.clear();
                buf.extend_from_slice(t);
                buf[i] = c;
                emit(buf);
            }
        }
    }
    for i in 1..=n {
        for &c in ALPHABET {
            buf.clear();
            buf.extend_from_slice(&t[..i]);
            buf.push(c);
            buf.extend_from_slice(&t[i..]);
            emit(buf);
        }
    }
}

/// Whether `s` is one of [`one_edit_variants`] of `t`, without building them: the check that
/// confirms a hit in the hashed variant table.
fn is_one_edit_variant(s: &[u8], t: &[u8]) -> bool {
    if s == t || s.is_empty() || t.is_empty() {
        return false;
    }
    // Same first byte, unless the edit is the swap of the first two.
    let prefix = s.iter().zip(t).take_while(|(a, b)| a == b).count();
    match s.len() as isize - t.len() as isize {
        // Omission at i >= 1: the rest after the common prefix is t's rest minus one byte.
        -1 => (1..t.len()).any(|i| i <= prefix && s[..i] == t[..i] && s[i..] == t[i + 1..]),
        // Insertion at i >= 1 of an alphabet byte.
        1 => (1..=t.len()).any(|i| {
            i <= prefix && s[..i] == t[..i] && ALPHABET.contains(&s[i]) && s[i + 1..] == t[i..]
        }),
        0 => {
            let i = prefix;
            // Adjacent swap at i (any i, also 0) of two different bytes.
            let swap = i + 1 < t.len()
                && t[i] != t[i + 1]
                && s[i] == t[i + 1]
                && s[i + 1] == t[i]
                && s[i + 2..] == t[i + 2..];
            // Substitution at i >= 1 by an alphabet byte.
            let sub = i >= 1 && ALPHABET.contains(&s[i]) && s[i + 1..] == t[i + 1..];
            swap || sub
        }
        _ => false,
    }
}

/// The key of a variant in the hashed table.
fn variant_hash(v: &str) -> u64 {
    variant_hash_bytes(v.as_bytes())
}

fn variant_hash_bytes(v: &[u8]) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = rustc_hash::FxBuildHasher.build_hasher();
    h.write(v);
    h.finish()
}

/// Optimal string alignment distance (Damerau-Levenshtein without repeated edits of a substring).
///
/// Three rolling rows instead of the whole table: hostname tokens are short, so the rows live
/// on the stack and nothing is cleared or allocated per call.
pub fn osa_distance(a: &str, b: &str) -> usize {
    const STACK: usize = 3 * 64;
    let a = a.as_bytes();
    let b = b.as_bytes();
    let w = b.len() + 1;
    let mut stack = [0u32; STACK];
    let mut heap: Vec<u32> = Vec::new();
    let buf: &mut [u32] = match stack.get_mut(..3 * w) {
        Some(s) => s,
        None => {
            heap.resize(3 * w, 0);
            &mut heap
        }
    };
    let (mut prev2, rest) = buf.split_at_mut(w);
    let (mut prev, mut cur) = rest.split_at_mut(w);
    for (j, cell) in prev.iter_mut().enumerate() {
        *cell = j as u32;
    }
    for i in 1..=a.len() {
        cur[0] = i as u32;
        let ai = a[i - 1];
        for j in 1..w {
            let bj = b[j - 1];
            let cost = u32::from(ai != bj);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && ai == b[j - 2] && a[i - 2] == bj {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[w - 1] as usize
}

/// `osa_distance(a, b) <= k`, without computing the whole table: cells more than `k` off the
/// diagonal can never lead back to a distance of `k` or less, so only the band is filled, and
/// the walk stops as soon as two consecutive rows are all above `k` (an alignment path visits
/// at least one of any two consecutive rows: a transposition skips one row, never two).
pub fn osa_within(a: &str, b: &str, k: usize) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > k {
        return false;
    }
    const STACK: usize = 3 * 64;
    let w = b.len() + 1;
    // Values are capped at k + 1 ("too far"), so they fit in a byte for any sensible k.
    let cap = u32::try_from(k.saturating_add(1)).unwrap_or(u32::MAX);
    let mut stack = [cap; STACK];
    let mut heap: Vec<u32> = Vec::new();
    let buf: &mut [u32] = match stack.get_mut(..3 * w) {
        Some(s) => s,
        None => {
            heap.resize(3 * w, cap);
            &mut heap
        }
    };
    let (mut prev2, rest) = buf.split_at_mut(w);
    let (mut prev, mut cur) = rest.split_at_mut(w);
    for (j, cell) in prev.iter_mut().enumerate() {
        *cell = u32::try_from(j).unwrap_or(u32::MAX).min(cap);
    }
    let mut prev_min = 0u32;
    for i in 1..=a.len() {
        let lo = i.saturating_sub(k).max(1);
        let hi = (i + k).min(w - 1);
        // Outside the band every cell counts as "too far".
        cur.fill(cap);
        cur[0] = u32::try_from(i).unwrap_or(u32::MAX).min(cap);
        let mut row_min = if lo == 1 { cur[0] } else { cap };
        let ai = a[i - 1];
        for j in lo..=hi {
            let bj = b[j - 1];
            let cost = u32::from(ai != bj);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && ai == b[j - 2] && a[i - 2] == bj {
                v = v.min(prev2[j - 2] + 1);
            }
            let v = v.min(cap);
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min >= cap && prev_min >= cap {
            return false;
        }
        prev_min = row_min;
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[w - 1] < cap
}

const KEYBOARD: [&str; 3] = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];

fn key_pos(c: u8) -> Option<(i32, i32)> {
    KEYBOARD.iter().enumerate().find_map(|(r, row)| {
        row.bytes()
            .position(|k| k == c)
            .map(|p| (r as i32, p as i32))
    })
}

fn keyboard_neighbours(a: u8, b: u8) -> bool {
    match (key_pos(a), key_pos(b)) {
        (Some((ra, ca)), Some((rb, cb))) => (ra - rb).abs() <= 1 && (ca - cb).abs() <= 1,
        _ => false,
    }
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
}

/// Plain words for how `found` differs from `brand` (for the evidence line).
pub fn describe_edit(brand: &str, found: &str) -> String {
    let (a, b) = (brand.as_bytes(), found.as_bytes());
    let ch = |c: u8| (c as char).to_string();
    if a.len() == b.len() {
        let diffs: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
        if let [i] = diffs[..] {
            let (x, y) = (a[i], b[i]);
            let why = if keyboard_neighbours(x, y) {
                " (keyboard neighbour)"
            } else if is_vowel(x) && is_vowel(y) {
                " (vowel swap)"
            } else if (x ^ y).count_ones() == 1 {
                " (bit flip)"
            } else {
                ""
            };
            return format!("'{}' replaced by '{}'{}", ch(x), ch(y), why);
        }
        if let [i, j] = diffs[..]
            && j == i + 1
            && a[i] == b[j]
            && a[j] == b[i]
        {
            return format!("'{}' and '{}' swapped", ch(a[i]), ch(a[j]));
        }
    } else if b.len() + 1 == a.len() {
        if let Some(i) = (0..a.len()).find(|&i| {
            let mut v = a.to_vec();
            v.remove(i);
            v == b
        }) {
            return format!("'{}' left out", ch(a[i]));
        }
    } else if b.len() == a.len() + 1
        && let Some(i) = (0..b.len()).find(|&i| {
            let mut v = b.to_vec();
            v.remove(i);
            v == a
        })
    {
        let repeated = (i > 0 && b[i - 1] == b[i]) || b.get(i + 1) == Some(&b[i]);
        return if repeated {
            format!("'{}' repeated", ch(b[i]))
        } else {
            format!("extra '{}'", ch(b[i]))
        };
    }
    format!("{} edits away from \"{brand}\"", osa_distance(brand, found))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hashed table is confirmed by `is_one_edit_variant`: it must agree with the
    /// generator exactly, for every token of every profile and for strings two edits away.
    #[test]
    fn variant_check_agrees_with_the_generator() {
        let knowledge = crate::knowledge::Knowledge::embedded().expect("embedded data");
        let m = &knowledge.matcher;
        let mut checked = 0usize;
        for (_, t) in &m.exact_owner {
            if t.len() < TYPO_MIN {
                continue;
            }
            let variants = one_edit_variants(t);
            for v in &variants {
                assert!(
                    is_one_edit_variant(v.as_bytes(), t.as_bytes()),
                    "{v} of {t}"
                );
            }
            for v2 in one_edit_variants(&variants[variants.len() / 2])
                .iter()
                .chain([t])
            {
                let expected = variants.binary_search(v2).is_ok();
                assert_eq!(
                    is_one_edit_variant(v2.as_bytes(), t.as_bytes()),
                    expected,
                    "{v2} of {t}"
                );
                checked += 1;
            }
        }
        assert!(checked > 10_000, "{checked}");
        assert!(
            !is_one_edit_variant(b"mazon", b"amazon"),
            "no edit of the first letter"
        );
        assert!(
            is_one_edit_variant(b"maazon", b"amazon"),
            "the first two swapped"
        );
    }

    #[test]
    fn variants_cover_every_edit_kind() {
        let v = one_edit_variants("amazon");
        for s in [
            "amazom", "amzon", "amaazon", "amzaon", "amazonx", "maazon", "amaz0n",
        ] {
            assert!(v.contains(&s.to_string()), "{s}");
        }
        for s in ["amazon", "qmazon", "mazon", "xamazon"] {
            assert!(!v.contains(&s.to_string()), "{s}");
        }
    }

    #[test]
    fn osa_band_agrees_with_full_table() {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "amazon",
            "amzaon",
            "amaz0n",
            "maazon",
            "microsoft",
            "micrsoftt",
            "mircosoft",
            "sellercentral",
            "selelrcentral",
            "sellerc",
            "abcdef",
            "badcfe",
            "onedrive",
            "onedirve",
            "oneddrive",
        ];
        for x in words {
            for y in words {
                for k in 0..4 {
                    assert_eq!(osa_within(x, y, k), osa_distance(x, y) <= k, "{x} {y} {k}");
                }
            }
        }
    }

    #[test]
    fn osa() {
        assert_eq!(osa_distance("amazon", "amazon"), 0);
        assert_eq!(osa_distance("amazon", "amzaon"), 1);
        assert_eq!(osa_distance("microsoft", "micrsoftt"), 2);
    }

    #[test]
    fn describe() {
        assert_eq!(
            describe_edit("amazon", "amazom"),
            "'n' replaced by 'm' (keyboard neighbour)"
        );
        assert_eq!(describe_edit("amazon", "amzon"), "'a' left out");
        assert_eq!(describe_edit("amazon", "amaazon"), "'a' repeated");
        assert_eq!(describe_edit("amazon", "amzaon"), "'a' and 'z' swapped");
        assert_eq!(
            describe_edit("amazon", "amazan"),
            "'o' replaced by 'a' (vowel swap)"
        );
    }
}
