//! Words in normalised text: the one brand-word matcher of the workspace.
//!
//! Both sides are normalised with [`normalize`](super::normalize()) first, so a brand written
//! with look-alike letters, invisible characters or spaced-out letters is still its word. The
//! text check, the page-claim check and (through them) the mail and probe checks ask here
//! whether a text names a brand, rather than each keeping a matcher of its own.
//!
//! [`WordMatcher`] is the automaton under all of them: [`brands_named`] runs it over the
//! profiles' words; the mail check runs one over its own brand words (names, imitated brands)
//! on its folded text, with the stricter [`Boundary::Alphanumeric`]; the page claim
//! ([`claimed_brand`](crate::page::claimed_brand)) counts each word with
//! [`WordMatcher::count_each`]; the mail's link-text check finds brand names in a link text
//! with [`WordMatcher::find_all`]. [`contains_word`] asks the same boundary question of one
//! word.

use aho_corasick::{AhoCorasick, MatchKind};

use super::normalize;
use crate::knowledge::Knowledge;

/// A brand named in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrandMention {
    /// The brand's id.
    pub brand: String,
    /// Where its first mention starts in the normalised text (bytes).
    pub start: usize,
    /// Where its first mention ends in the normalised text (bytes).
    pub end: usize,
    /// How many times it is named.
    pub count: usize,
}

/// Which characters beside a matched ASCII word make it part of a longer word (a word that is
/// not ASCII, such as a Chinese one, matches anywhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundary {
    /// An ASCII letter or digit glued to it (`amazon` is not in `amazonia`, but is in
    /// `amazonía`): the text check's rule.
    AsciiAlphanumeric,
    /// A letter or digit of any script glued to it (`amazon` is in neither): the mail
    /// check's rule.
    Alphanumeric,
}

/// One match of a [`WordMatcher`]: which word, where (bytes of the searched text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WordMatch {
    /// Index of the word in the order the matcher was given them.
    pub word: usize,
    /// Start of the match.
    pub start: usize,
    /// End of the match.
    pub end: usize,
}

/// A set of words searched in one pass (Aho-Corasick): the automaton of every brand-word
/// search in the workspace. The words and the text must be normalised the same way; the caller
/// keeps what each word stands for by its index.
///
/// Built with [`WordMatcher::new`] or [`WordMatcher::with_dfa`] it reports leftmost-longest
/// matches ([`WordMatcher::find_iter`]); built with [`WordMatcher::counting`] it counts every
/// word on its own ([`WordMatcher::count_each`]), so a word inside a longer one is still seen.
#[derive(Debug)]
pub struct WordMatcher {
    ac: Option<AhoCorasick>,
    /// Whether `ac` reports every match, overlapping ones included (built by
    /// [`WordMatcher::counting`]); only then can [`WordMatcher::count_each`] read it.
    overlapping: bool,
    /// Per word: whether it is ASCII (and so needs word boundaries).
    ascii: Vec<bool>,
    boundary: Boundary,
}

impl WordMatcher {
    /// A matcher over `words`, judging the boundaries of ASCII words by `boundary`; the
    /// automaton kind is the one Aho-Corasick picks for the number of words (a compact NFA for
    /// hundreds of them).
    pub fn new<I, S>(words: I, boundary: Boundary) -> WordMatcher
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::build(words, boundary, None, MatchKind::LeftmostLongest)
    }

    /// A matcher for [`WordMatcher::count_each`]: every occurrence of every word is seen, also
    /// one that overlaps or lies inside another word's (its [`WordMatcher::find_iter`] then
    /// reports the earliest-ending matches instead of the leftmost-longest).
    pub fn counting<I, S>(words: I, boundary: Boundary) -> WordMatcher
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::build(words, boundary, None, MatchKind::Standard)
    }

    /// Like [`WordMatcher::new`], but a full DFA when one can be built: a faster search for
    /// more memory (the profiles' words of [`brands_named`]).
    pub fn with_dfa<I, S>(words: I, boundary: Boundary) -> WordMatcher
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::build(
            words,
            boundary,
            Some(aho_corasick::AhoCorasickKind::DFA),
            MatchKind::LeftmostLongest,
        )
    }

    fn build<I, S>(
        words: I,
        boundary: Boundary,
        kind: Option<aho_corasick::AhoCorasickKind>,
        match_kind: MatchKind,
    ) -> WordMatcher
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let pats: Vec<String> = words.into_iter().map(|w| w.as_ref().to_string()).collect();
        let ascii = pats.iter().map(|w| w.is_ascii()).collect();
        let ac = AhoCorasick::builder()
            .match_kind(match_kind)
            .kind(kind)
            .build(&pats)
            .or_else(|_| AhoCorasick::builder().match_kind(match_kind).build(&pats))
            .ok();
        WordMatcher {
            ac,
            overlapping: match_kind == MatchKind::Standard,
            ascii,
            boundary,
        }
    }

    /// Every leftmost-longest occurrence of a word in `text`, at word boundaries or not
    /// (see [`WordMatcher::at_boundary`]).
    #[inline]
    pub fn find_iter<'a>(&'a self, text: &'a str) -> impl Iterator<Item = WordMatch> + 'a {
        self.ac
            .as_ref()
            .into_iter()
            .flat_map(move |ac| ac.find_iter(text))
            .map(|m| WordMatch {
                word: m.pattern().as_usize(),
                start: m.start(),
                end: m.end(),
            })
    }

    /// Every occurrence of every word in `text`, overlapping ones included, in order of their
    /// end, at word boundaries or not. Needs a matcher built by [`WordMatcher::counting`]; any
    /// other finds nothing.
    pub fn find_all<'a>(&'a self, text: &'a str) -> impl Iterator<Item = WordMatch> + 'a {
        self.ac
            .as_ref()
            .filter(|_| self.overlapping)
            .and_then(|ac| ac.try_find_overlapping_iter(text).ok())
            .into_iter()
            .flatten()
            .map(|m| WordMatch {
                word: m.pattern().as_usize(),
                start: m.start(),
                end: m.end(),
            })
    }

    /// Per word (in the order given): how often it stands in `text` as a word of its own (see
    /// [`WordMatcher::at_boundary`]), counting up to `cap`. Each word is read on its own from
    /// left to right, an occurrence starting inside the word's previous occurrence skipped
    /// (whether that one stood at a boundary or not): `amazon` is once in `amazonia amazon`,
    /// `亚马逊` twice in `亚马逊亚马逊`. Needs a matcher built by [`WordMatcher::counting`];
    /// any other counts nothing.
    pub fn count_each(&self, text: &str, cap: u32) -> Vec<u32> {
        let mut counts = vec![0u32; self.ascii.len()];
        // Where each word's next occurrence may start. Matches come in order of their end, so
        // one word's come in order of their start.
        let mut next_start = vec![0usize; self.ascii.len()];
        for m in self.find_all(text) {
            let (Some(next), Some(count)) = (next_start.get_mut(m.word), counts.get_mut(m.word))
            else {
                continue;
            };
            if m.start < *next {
                continue;
            }
            *next = m.end;
            if *count < cap && self.at_boundary(text, &m) {
                *count += 1;
            }
        }
        counts
    }

    /// Whether the match `m` in `text` stands as a word of its own: nothing glued to an ASCII
    /// word by the matcher's [`Boundary`]; a word that is not ASCII always.
    #[inline]
    pub fn at_boundary(&self, text: &str, m: &WordMatch) -> bool {
        if !self.ascii.get(m.word).copied().unwrap_or(false) {
            return true;
        }
        match self.boundary {
            Boundary::AsciiAlphanumeric => {
                let bytes = text.as_bytes();
                let word = |i: usize| bytes.get(i).is_some_and(|c| c.is_ascii_alphanumeric());
                !((m.start > 0 && word(m.start - 1)) || word(m.end))
            }
            Boundary::Alphanumeric => stands_alone(text, m.start, m.end),
        }
    }
}

/// Brand words of the profiles, indexed once per knowledge (not per text).
#[derive(Debug)]
struct BrandIndex {
    matcher: WordMatcher,
    /// Word index -> brand id.
    owners: Vec<String>,
}

fn build_brand_index(knowledge: &Knowledge) -> BrandIndex {
    let mut pats = Vec::new();
    let mut owners = Vec::new();
    for b in knowledge.brands().iter() {
        for w in b.words_en.iter().chain(b.words_zh.iter()) {
            let w = normalize(w).text;
            let w = w.trim().to_string();
            if w.chars().count() < 2 {
                continue;
            }
            pats.push(w);
            owners.push(b.id.clone());
        }
    }
    BrandIndex {
        matcher: WordMatcher::with_dfa(&pats, Boundary::AsciiAlphanumeric),
        owners,
    }
}

fn brand_index(knowledge: &Knowledge) -> &BrandIndex {
    knowledge.derived(build_brand_index)
}

/// The brands named in a text, most mentioned first (the first named first on a tie): the
/// brand-word matcher of the text check, over the profiles' `words_en` and `words_zh`.
///
/// `text` must be normalised with [`normalize`](super::normalize()) (look-alike letters,
/// invisible characters and spacing undone), as the words are: `start..end` are offsets in it.
/// ASCII words match only where no ASCII letter or digit is glued to them (`amazon` is not in
/// `amazonia`); Chinese words match anywhere. Reading stops after 10,000 matches.
pub fn brands_named(knowledge: &Knowledge, text: &str) -> Vec<BrandMention> {
    let idx = brand_index(knowledge);
    let mut found: Vec<BrandMention> = Vec::new();
    for m in idx.matcher.find_iter(text).take(10_000) {
        let Some(id) = idx.owners.get(m.word) else {
            continue;
        };
        if !idx.matcher.at_boundary(text, &m) {
            continue;
        }
        match found.iter_mut().find(|f| &f.brand == id) {
            Some(f) => f.count += 1,
            None => found.push(BrandMention {
                brand: id.clone(),
                start: m.start,
                end: m.end,
                count: 1,
            }),
        }
    }
    found.sort_by_key(|f| std::cmp::Reverse(f.count));
    found
}

/// Whether `text[start..end]` has no letter or digit of any script glued to it: the
/// [`Boundary::Alphanumeric`] rule, which [`contains_word`] applies too.
#[inline]
fn stands_alone(text: &str, start: usize, end: usize) -> bool {
    let glued = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    !glued(text.get(..start).and_then(|t| t.chars().next_back()))
        && !glued(text.get(end..).and_then(|t| t.chars().next()))
}

/// Whether the word `w` is in `hay` at word boundaries: an ASCII word only where no letter or
/// digit is glued to it (`amazon` is in `amazon.com` and `amazon-gutschein`, not in
/// `amazonas`), a Chinese word anywhere. Every occurrence is tried, including one that starts
/// inside a rejected one (`a a` is in `xa a a`), which [`WordMatcher::count_each`] steps
/// over.
pub fn contains_word(hay: &str, w: &str) -> bool {
    if w.is_empty() {
        return false;
    }
    let ascii_word = w.is_ascii();
    let mut start = 0;
    while let Some(pos) = hay.get(start..).and_then(|h| h.find(w)) {
        let at = start + pos;
        if !ascii_word {
            return true;
        }
        if stands_alone(hay, at, at + w.len()) {
            return true;
        }
        start = at + hay[at..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

#[cfg(test)]
/// The page claim's count before [`WordMatcher::count_each`]: one word at a time, stepping past
/// each occurrence, up to 10. Kept as the reference the counting matcher is tested against.
pub(crate) fn count_word_one_by_one(hay: &str, w: &str) -> u32 {
    if w.is_empty() {
        return 0;
    }
    let cjk = !w.is_ascii();
    let mut n = 0;
    let mut start = 0;
    while let Some(pos) = hay.get(start..).and_then(|h| h.find(w)) {
        let at = start + pos;
        let end = at + w.len();
        let before_ok = cjk
            || hay[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
        let after_ok = cjk
            || hay[end..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            n += 1;
            if n >= 10 {
                break;
            }
        }
        start = end;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_boundaries() {
        assert!(contains_word("visit amazon.com now", "amazon"));
        assert!(contains_word("amazon-gutschein", "amazon"));
        assert!(!contains_word("the amazonas river", "amazon"));
        assert!(contains_word("亚马逊客服", "亚马逊"));
        assert!(!contains_word("anything", ""));
        // An occurrence starting inside a rejected one is still found; counting steps over it.
        assert!(contains_word("xa a a", "a a"));
        let m = WordMatcher::counting(["a a"], Boundary::Alphanumeric);
        assert_eq!(m.count_each("xa a a", 10), [0]);
    }

    #[test]
    fn word_matcher_boundaries() {
        let text = "amazonía amazon 亚马逊x";
        for (boundary, hits) in [
            (Boundary::AsciiAlphanumeric, 3),
            (Boundary::Alphanumeric, 2),
        ] {
            let m = WordMatcher::new(["amazon", "亚马逊"], boundary);
            let found = m.find_iter(text).filter(|x| m.at_boundary(text, x));
            assert_eq!(found.count(), hits, "{boundary:?}");
        }
    }

    #[test]
    fn counting_matcher_counts_each_word_as_one_at_a_time() {
        // Words that overlap themselves ("a a" in "a a a", "亚亚" in "亚亚亚") and each other.
        let words = [
            "a a",
            "aa",
            "aaa",
            "a",
            "ab",
            "ba",
            "亚马逊",
            "马逊亚",
            "é a",
            "亚亚",
        ];
        let m = WordMatcher::counting(words, Boundary::Alphanumeric);
        let pieces = ["a", " ", "a a", "aa", "b", "亚", "马逊", "é", "x", "-", "1"];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut counted = 0;
        for _ in 0..20_000 {
            let len = next() % 24;
            let text: String = (0..len)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect();
            let got = m.count_each(&text, 10);
            for (i, w) in words.iter().enumerate() {
                let want = count_word_one_by_one(&text, w);
                assert_eq!(got[i], want, "{w:?} in {text:?}");
                counted += want;
            }
        }
        assert!(counted > 5_000, "the texts hold the words often: {counted}");
        // A matcher of the other kind counts nothing rather than a wrong count.
        let leftmost = WordMatcher::new(words, Boundary::Alphanumeric);
        assert_eq!(leftmost.count_each("a a", 10), [0; 10]);
    }
}
