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

use phishprobe_core::text::fold;

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

/// The brand names of all profiles, as word sequences, indexed once per checker.
#[derive(Debug, Default)]
pub(crate) struct BrandNames {
    /// (profile index, the words of one of its names)
    names: Vec<(usize, Vec<String>)>,
    /// Indexes into `names` by the name's first word: a link text can only be a brand's name
    /// when one of that brand's names starts it.
    by_first: HashMap<String, Vec<usize>>,
    /// Indexes into `names` per profile index.
    by_brand: HashMap<usize, Vec<usize>>,
}

impl BrandNames {
    /// `names`: (profile index, one name or word of the profile) pairs.
    pub(crate) fn new<'a>(names: impl IntoIterator<Item = (usize, &'a str)>) -> BrandNames {
        let mut out: Vec<(usize, Vec<String>)> = Vec::new();
        for (bi, n) in names {
            let w = name_words(n);
            if w.is_empty() || w.len() > MAX_WORDS || out.iter().any(|(b, x)| *b == bi && *x == w) {
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
        BrandNames {
            names: out,
            by_first,
            by_brand,
        }
    }

    /// The profile whose name the whole link text is, if any.
    pub(crate) fn named_by(&self, text: &str) -> Option<usize> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> BrandNames {
        BrandNames::new([
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
}
