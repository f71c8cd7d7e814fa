//! Link text that *is* a brand's name ("Amazon®", "Amazon Seller Central", "PayPal"): a
//! reader takes such a link for the brand's own, just as with a shown web address, so a
//! target the brand does not own is the same deception (the displayed-text check covers
//! brand names, not only host names).
//!
//! The names are the brand profiles' own words (`data/brands/*.toml`: `name`, `words_en`,
//! `words_zh`), never a list in code. A link text is a brand's name when every word of it is
//! covered by that brand's words ("amazon" + "seller central"), after folding (look-alikes,
//! invisible characters) and with trademark signs and punctuation dropped. A sentence that
//! merely mentions the brand ("Shop Amazon deals") is not a name and is left alone.

use std::collections::HashMap;

use phishprobe_core::text::{Boundary, WordMatcher, fold};

/// Link texts longer than this are sentences, not names.
const MAX_TEXT_CHARS: usize = 80;
/// Names have few words ("amazon seller central" is three).
const MAX_WORDS: usize = 6;

/// Lowercase words of a folded text: runs of letters and digits (CJK runs stay whole, as in
/// the profiles' `words_zh`). `®`, `©`, `™`, quotes and punctuation separate words.
pub(crate) fn name_words(text: &str) -> Vec<String> {
    fold(text)
        .text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The brand names of all profiles, indexed once per checker: each distinct name as its words
/// joined by one space, in core's word matcher, which finds every name at once in a link text
/// written the same way.
#[derive(Debug)]
pub(crate) struct BrandNames {
    matcher: WordMatcher,
    /// Per name (the matcher's word index): the profile indexes that have it, lowest first.
    owners: Vec<Vec<usize>>,
}

impl Default for BrandNames {
    fn default() -> BrandNames {
        BrandNames::new([])
    }
}

impl BrandNames {
    /// `names`: (profile index, one name or word of the profile) pairs.
    pub(crate) fn new<'a>(names: impl IntoIterator<Item = (usize, &'a str)>) -> BrandNames {
        let mut joined: Vec<String> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        for (bi, n) in names {
            let w = name_words(n);
            if w.is_empty() || w.len() > MAX_WORDS {
                continue;
            }
            let i = *index.entry(w.join(" ")).or_insert_with_key(|name| {
                joined.push(name.clone());
                owners.push(Vec::new());
                joined.len() - 1
            });
            if let Some(own) = owners.get_mut(i)
                && !own.contains(&bi)
            {
                own.push(bi);
                own.sort_unstable();
            }
        }
        BrandNames {
            matcher: WordMatcher::counting(&joined, Boundary::Alphanumeric),
            owners,
        }
    }

    /// The profile whose name the whole link text is, if any: its words are a sequence of that
    /// profile's names, end to end; the lowest profile index wins, as in profile order.
    pub(crate) fn named_by(&self, text: &str) -> Option<usize> {
        if text.chars().count() > MAX_TEXT_CHARS {
            return None;
        }
        let words = name_words(text);
        if words.is_empty() || words.len() > MAX_WORDS {
            return None;
        }
        let joined = words.join(" ");
        // Each word's byte range in `joined` (at most MAX_WORDS of them).
        let mut bounds = Vec::with_capacity(words.len());
        let mut at = 0;
        for w in &words {
            bounds.push((at, at + w.len()));
            at += w.len() + 1;
        }
        // Every name that covers whole words: (brand, first word, word after the last).
        let mut spans: Vec<(usize, usize, usize)> = Vec::new();
        for m in self.matcher.find_all(&joined) {
            let from = bounds.iter().position(|&(s, _)| s == m.start);
            let to = bounds.iter().position(|&(_, e)| e == m.end);
            let (Some(from), Some(last)) = (from, to) else {
                continue;
            };
            for &bi in self.owners.get(m.word).into_iter().flatten() {
                spans.push((bi, from, last + 1));
            }
        }
        let mut brands: Vec<usize> = spans
            .iter()
            .filter(|(_, from, _)| *from == 0)
            .map(|(bi, _, _)| *bi)
            .collect();
        brands.sort_unstable();
        brands.dedup();
        brands
            .into_iter()
            .find(|&bi| covers(&spans, bi, words.len()))
    }
}

/// Whether the brand's spans reach from the first word to the last, end to end (a small
/// dynamic programme over at most [`MAX_WORDS`] positions).
fn covers(spans: &[(usize, usize, usize)], bi: usize, words: usize) -> bool {
    let mut reach = vec![false; words + 1];
    reach[0] = true;
    for i in 0..words {
        if !reach[i] {
            continue;
        }
        for &(_, _, to) in spans.iter().filter(|(b, from, _)| *b == bi && *from == i) {
            if let Some(r) = reach.get_mut(to) {
                *r = true;
            }
        }
    }
    reach[words]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index as it was before core's word matcher: names as word lists, looked up by their
    /// first word. The reference [`BrandNames`] is tested against.
    #[derive(Debug, Default)]
    struct NamesOneByOne {
        /// (profile index, the words of one of its names)
        names: Vec<(usize, Vec<String>)>,
        /// Indexes into `names` by the name's first word: a link text can only be a brand's name
        /// when one of that brand's names starts it.
        by_first: HashMap<String, Vec<usize>>,
        /// Indexes into `names` per profile index.
        by_brand: HashMap<usize, Vec<usize>>,
    }

    impl NamesOneByOne {
        /// `names`: (profile index, one name or word of the profile) pairs.
        fn new<'a>(names: impl IntoIterator<Item = (usize, &'a str)>) -> NamesOneByOne {
            let mut out: Vec<(usize, Vec<String>)> = Vec::new();
            for (bi, n) in names {
                let w = name_words(n);
                if w.is_empty()
                    || w.len() > MAX_WORDS
                    || out.iter().any(|(b, x)| *b == bi && *x == w)
                {
                    continue;
                }
                out.push((bi, w));
            }
            let mut by_first: HashMap<String, Vec<usize>> = HashMap::new();
            let mut by_brand: HashMap<usize, Vec<usize>> = HashMap::new();
            for (i, (bi, w)) in out.iter().enumerate() {
                if let Some(first) = w.first() {
                    by_first.entry(first.clone()).or_default().push(i);
                }
                by_brand.entry(*bi).or_default().push(i);
            }
            NamesOneByOne {
                names: out,
                by_first,
                by_brand,
            }
        }

        /// The profile whose name the whole link text is, if any.
        fn named_by(&self, text: &str) -> Option<usize> {
            if text.chars().count() > MAX_TEXT_CHARS {
                return None;
            }
            let words = name_words(text);
            if words.is_empty() || words.len() > MAX_WORDS {
                return None;
            }
            // Only brands with a name that starts the text can cover it; the lowest profile index
            // wins, as in profile order.
            let mut brands: Vec<usize> = self
                .by_first
                .get(&words[0])
                .into_iter()
                .flatten()
                .filter_map(|&i| self.names.get(i).map(|(b, _)| *b))
                .collect();
            brands.sort_unstable();
            brands.dedup();
            brands.into_iter().find(|&bi| self.covers(bi, &words))
        }

        /// Whether `words` is a sequence of the brand's names, end to end (a small dynamic
        /// programme over word positions: at most [`MAX_WORDS`] of them).
        fn covers(&self, bi: usize, words: &[String]) -> bool {
            let mut reach = vec![false; words.len() + 1];
            reach[0] = true;
            for i in 0..words.len() {
                if !reach[i] {
                    continue;
                }
                let own = self.by_brand.get(&bi).into_iter().flatten();
                for (_, name) in own.filter_map(|&n| self.names.get(n)) {
                    let end = i + name.len();
                    if end <= words.len() && words[i..end] == name[..] {
                        reach[end] = true;
                    }
                }
            }
            reach[words.len()]
        }
    }

    fn names() -> BrandNames {
        BrandNames::new([
            // A name two profiles share: the first profile's.
            (2, "amazon"),
            (0, "Amazon"),
            (0, "seller central"),
            (0, "amazon seller"),
            (0, "亚马逊"),
            (1, "PayPal"),
            (1, "paypal invoice"),
        ])
    }

    #[test]
    fn whole_text_must_be_a_name() {
        let n = names();
        assert_eq!(n.named_by("Amazon®"), Some(0));
        assert_eq!(n.named_by("  AMAZON  "), Some(0));
        assert_eq!(n.named_by("Amazon Seller Central"), Some(0));
        assert_eq!(n.named_by("Amazon™"), Some(0));
        assert_eq!(n.named_by("Αmazon"), Some(0), "Greek capital alpha folded");
        assert_eq!(n.named_by("亚马逊"), Some(0));
        assert_eq!(n.named_by("PayPal"), Some(1));
        assert_eq!(n.named_by("Shop Amazon deals"), None);
        assert_eq!(n.named_by("Amazonas"), None);
        assert_eq!(n.named_by("Sign in"), None);
        assert_eq!(n.named_by(""), None);
        assert_eq!(n.named_by("®"), None);
    }

    /// Link texts made of pieces of every profile's names (whole, cut, in capitals, with
    /// trademark signs and other words) are names of the same brand as before.
    #[test]
    fn core_matcher_finds_the_names_the_word_lists_did() {
        let k = phishprobe_core::Knowledge::embedded().expect("embedded data loads");
        let mut pairs: Vec<(usize, String)> = Vec::new();
        for (bi, b) in k.brands().iter().enumerate() {
            for w in [&b.name].into_iter().chain(&b.words_en).chain(&b.words_zh) {
                pairs.push((bi, w.clone()));
            }
        }
        let new = BrandNames::new(pairs.iter().map(|(b, w)| (*b, w.as_str())));
        let old = NamesOneByOne::new(pairs.iter().map(|(b, w)| (*b, w.as_str())));
        let mut pieces: Vec<String> = Vec::new();
        for (_, w) in &pairs {
            pieces.push(w.clone());
            pieces.push(w.to_uppercase());
            pieces.extend(w.split(' ').map(str::to_string));
        }
        for glue in [" ", "®", "™", "-", "deals", "亚马逊", "x"] {
            pieces.extend(std::iter::repeat_n(glue.to_string(), 200));
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut below = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut named = 0;
        for _ in 0..20_000 {
            let n = below(4);
            let text: String = (0..n)
                .map(|_| pieces[below(pieces.len())].as_str())
                .collect();
            let want = old.named_by(&text);
            assert_eq!(new.named_by(&text), want, "{text:?}");
            named += usize::from(want.is_some());
        }
        assert!(named > 2_000, "{named} of 20,000 texts are names");
    }
}
