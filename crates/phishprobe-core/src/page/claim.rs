//! Which brand a page presents itself as, from what a person sees: the title, the headings, logo
//! alt texts and the visible text. One implementation for the wrong-password probe (which reads
//! a page it loaded) and the browser extension (which reads the page a person is on).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::knowledge::Knowledge;
use crate::text::normalize;
use crate::text::words::{Boundary, WordMatcher};

/// Characters of visible text that are read; the claim is made at the top of a page.
pub const MAX_TEXT_CHARS: usize = 5000;
/// Headings and logo texts that are read, and the characters kept of each.
pub const MAX_ITEMS: usize = 32;
/// Characters kept of a title, a heading or a logo text.
pub const MAX_ITEM_CHARS: usize = 300;

/// What a page shows that can name a brand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PageClaims {
    /// The document title.
    pub title: String,
    /// Visible headings (`h1`–`h3`, `role=heading`), top first.
    pub headings: Vec<String>,
    /// Alt texts and labels of logo images.
    pub logos: Vec<String>,
    /// Visible text (button and label texts included), top first.
    pub text: String,
}

impl PageClaims {
    /// The same claims with every part cut to the limits above, so a hostile page cannot make
    /// the matcher read megabytes.
    pub fn bounded(&self) -> PageClaims {
        let items = |v: &[String]| -> Vec<String> {
            v.iter()
                .take(MAX_ITEMS)
                .map(|s| take_chars(s, MAX_ITEM_CHARS))
                .collect()
        };
        PageClaims {
            title: take_chars(&self.title, MAX_ITEM_CHARS),
            headings: items(&self.headings),
            logos: items(&self.logos),
            text: take_chars(&self.text, MAX_TEXT_CHARS),
        }
    }

    /// Both pages' claims as one: a login frame's own and those of the page around it.
    pub fn merged(&self, outer: &PageClaims) -> PageClaims {
        let join = |a: &str, b: &str| match (a.is_empty(), b.is_empty()) {
            (true, _) => b.to_string(),
            (_, true) => a.to_string(),
            _ => format!("{a}\n{b}"),
        };
        let mut headings = self.headings.clone();
        headings.extend(outer.headings.iter().cloned());
        let mut logos = self.logos.clone();
        logos.extend(outer.logos.iter().cloned());
        PageClaims {
            title: join(&self.title, &outer.title),
            headings,
            logos,
            text: join(&self.text, &outer.text),
        }
        .bounded()
    }
}

fn take_chars(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The words a page's claim is matched against, normalised and indexed once per knowledge:
/// one counting matcher over every distinct word, and per brand (in profile order) the
/// indexes of its own words.
struct ClaimWords {
    matcher: WordMatcher,
    of_brand: Vec<Vec<usize>>,
}

fn build_claim_words(knowledge: &Knowledge) -> ClaimWords {
    let fold = |s: &str| normalize(s).text;
    let mut words: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut of_brand = Vec::new();
    for b in knowledge.brands().iter() {
        let mut own: Vec<String> = b.words_en.iter().map(|w| fold(w)).collect();
        own.push(fold(&b.name));
        own.extend(b.words_zh.iter().map(|w| fold(w)));
        own.retain(|w| w.chars().count() >= 3);
        // The name is usually also a word: one mention must count once.
        own.sort_unstable();
        own.dedup();
        let ids = own
            .into_iter()
            .map(|w| {
                *index.entry(w.clone()).or_insert_with(|| {
                    words.push(w);
                    words.len() - 1
                })
            })
            .collect();
        of_brand.push(ids);
    }
    ClaimWords {
        matcher: WordMatcher::counting(&words, Boundary::Alphanumeric),
        of_brand,
    }
}

/// The brand id the page claims, matched against the brand profiles' names and
/// `words_en`/`words_zh`. Needs a real signal: the title or a logo naming the brand (3 points
/// each), or the brand named twice in the headings and text (1 point per mention, up to 3 per
/// word). The highest score wins; the first profile wins a tie.
///
/// A word counts where no letter or digit of any script is glued to it (`amazon` is not in
/// `amazonite`); a Chinese word anywhere.
pub fn claimed_brand(knowledge: &Knowledge, claims: &PageClaims) -> Option<String> {
    // The text normaliser folds look-alike letters, zero-width characters and spaced-out
    // words, so "Аmazon" with a Cyrillic А still names Amazon.
    let fold = |s: &str| normalize(s).text;
    let ClaimWords { matcher, of_brand } = knowledge.derived(build_claim_words);
    let in_title = matcher.count_each(&fold(&claims.title), 1);
    let mut in_logos = vec![0u32; in_title.len()];
    for logo in &claims.logos {
        for (seen, n) in in_logos.iter_mut().zip(matcher.count_each(&fold(logo), 1)) {
            *seen = (*seen).max(n);
        }
    }
    let mut text = String::new();
    for h in &claims.headings {
        text.push_str(h);
        text.push('\n');
    }
    text.push_str(&claims.text);
    let text = fold(&text.chars().take(MAX_TEXT_CHARS).collect::<String>());
    let in_text = matcher.count_each(&text, 3);
    let points = |w: usize| -> u32 {
        let named = |counts: &[u32]| counts.get(w).is_some_and(|&n| n > 0);
        3 * u32::from(named(&in_title))
            + 3 * u32::from(named(&in_logos))
            + in_text.get(w).copied().unwrap_or(0)
    };
    let mut best: Option<(u32, String)> = None;
    for (b, words) in knowledge.brands().iter().zip(of_brand) {
        let score: u32 = words.iter().map(|&w| points(w)).sum();
        if score >= 2 && best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, b.id.clone()));
        }
    }
    best.map(|(_, id)| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knowledge() -> Knowledge {
        Knowledge::embedded().expect("embedded data loads")
    }

    #[test]
    fn title_or_logo_is_enough_one_mention_in_text_is_not() {
        let e = knowledge();
        let page = PageClaims {
            title: "Amazon Sign-In".into(),
            ..Default::default()
        };
        assert_eq!(claimed_brand(&e, &page).as_deref(), Some("amazon"));
        let page = PageClaims {
            logos: vec!["PayPal".into()],
            ..Default::default()
        };
        assert_eq!(claimed_brand(&e, &page).as_deref(), Some("paypal"));
        let page = PageClaims {
            text: "We also sell on Amazon.".into(),
            ..Default::default()
        };
        assert_eq!(claimed_brand(&e, &page), None);
        let page = PageClaims {
            headings: vec!["Sign in to your Amazon account".into()],
            text: "Amazon will never ask for your password by phone.".into(),
            ..Default::default()
        };
        assert_eq!(claimed_brand(&e, &page).as_deref(), Some("amazon"));
    }

    #[test]
    fn words_inside_other_words_do_not_count() {
        let e = knowledge();
        let page = PageClaims {
            title: "Amazonite jewellery shop".into(),
            text: "amazonite amazonite amazonite".into(),
            ..Default::default()
        };
        assert_eq!(claimed_brand(&e, &page), None);
        let m = WordMatcher::counting(["amazon", "亚马逊"], Boundary::Alphanumeric);
        assert_eq!(m.count_each("amazonia amazon", 3), [1, 0]);
        assert_eq!(m.count_each("amazonía 亚马逊亚马逊", 3), [0, 2]);
    }

    #[test]
    fn look_alike_letters_and_invisible_characters_still_name_the_brand() {
        let e = knowledge();
        for title in [
            "\u{410}mazon Sign-In",
            "Am\u{200b}azon Sign-In",
            "A m a z o n Sign-In",
        ] {
            let page = PageClaims {
                title: title.into(),
                ..Default::default()
            };
            assert_eq!(
                claimed_brand(&e, &page).as_deref(),
                Some("amazon"),
                "{title:?}"
            );
        }
    }

    #[test]
    fn chinese_words_match_without_spaces() {
        let e = knowledge();
        let page = PageClaims {
            title: "登录亚马逊卖家平台".into(),
            ..Default::default()
        };
        assert_eq!(claimed_brand(&e, &page).as_deref(), Some("amazon"));
    }

    #[test]
    fn bounded_cuts_hostile_sizes() {
        let page = PageClaims {
            title: "x".repeat(100_000),
            headings: vec!["h".repeat(10_000); 10_000],
            logos: vec![],
            text: "é".repeat(1_000_000),
        }
        .bounded();
        assert_eq!(page.title.chars().count(), MAX_ITEM_CHARS);
        assert_eq!(page.headings.len(), MAX_ITEMS);
        assert_eq!(page.text.chars().count(), MAX_TEXT_CHARS);
    }

    /// The claim as it was made before one counting matcher: each brand's words counted one
    /// at a time. The reference the matcher-based claim must agree with.
    fn claimed_brand_word_by_word(knowledge: &Knowledge, claims: &PageClaims) -> Option<String> {
        use crate::text::words::count_word_one_by_one as count_word;
        let fold = |s: &str| normalize(s).text;
        let title = fold(&claims.title);
        let logos: Vec<String> = claims.logos.iter().map(|l| fold(l)).collect();
        let mut text = String::new();
        for h in &claims.headings {
            text.push_str(h);
            text.push('\n');
        }
        text.push_str(&claims.text);
        let text = fold(&text.chars().take(MAX_TEXT_CHARS).collect::<String>());
        let mut best: Option<(u32, String)> = None;
        for b in knowledge.brands().iter() {
            let mut words: Vec<String> = b.words_en.iter().map(|w| fold(w)).collect();
            words.push(fold(&b.name));
            words.extend(b.words_zh.iter().map(|w| fold(w)));
            words.retain(|w| w.chars().count() >= 3);
            words.sort_unstable();
            words.dedup();
            let mut score = 0u32;
            for w in &words {
                if count_word(&title, w) > 0 {
                    score += 3;
                }
                if logos.iter().any(|l| count_word(l, w) > 0) {
                    score += 3;
                }
                score += count_word(&text, w).min(3);
            }
            if score >= 2 && best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((score, b.id.clone()));
            }
        }
        best.map(|(_, id)| id)
    }

    /// Pages built from pieces of every profile's words (whole, cut, glued to letters of
    /// other scripts, in look-alike letters) are claimed exactly as word-by-word counting
    /// claims them.
    #[test]
    fn one_counting_matcher_claims_as_word_by_word_counting_did() {
        let e = knowledge();
        // Per brand: its words whole, in capitals and cut in half.
        let brand_pieces: Vec<Vec<String>> = e
            .brands()
            .iter()
            .map(|b| {
                let mut pieces = Vec::new();
                for w in b.words_en.iter().chain(&b.words_zh).chain([&b.name]) {
                    let chars: Vec<char> = w.chars().collect();
                    let half = chars.len() / 2;
                    pieces.push(w.clone());
                    pieces.push(w.to_uppercase());
                    pieces.push(chars[..half].iter().collect());
                    pieces.push(chars[half..].iter().collect());
                }
                pieces
            })
            .collect();
        let glue = [
            " ", " ", "\n", "-", ".", "x", "é", "1", "亚", "\u{200b}", "\u{430}",
        ];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut claimed, mut unclaimed) = (0, 0);
        for _ in 0..3_000 {
            // Two brands per page, so words repeat and brands compete.
            let mut pieces: Vec<&str> = glue.to_vec();
            for _ in 0..2 {
                let own = &brand_pieces[rng.below(brand_pieces.len())];
                pieces.extend(own.iter().map(String::as_str));
            }
            let mut phrase = |max: usize| -> String {
                (0..rng.below(max + 1))
                    .map(|_| pieces[rng.below(pieces.len())])
                    .collect()
            };
            let title = phrase(3);
            let text = phrase(40);
            let headings = (0..phrase(2).len() % 3).map(|_| phrase(4)).collect();
            let logos = (0..phrase(2).len() % 3).map(|_| phrase(2)).collect();
            let page = PageClaims {
                title,
                headings,
                logos,
                text,
            };
            let want = claimed_brand_word_by_word(&e, &page);
            assert_eq!(claimed_brand(&e, &page), want, "{page:?}");
            match want {
                Some(_) => claimed += 1,
                None => unclaimed += 1,
            }
        }
        eprintln!("{claimed} claimed, {unclaimed} not");
        assert!(
            claimed > 300 && unclaimed > 300,
            "{claimed} claimed, {unclaimed} not"
        );
    }

    /// Xorshift: the same pages on every run, without a random-number crate.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n.max(1) as u64) as usize
        }
    }
}
