//! Which brand a page presents itself as, from what a person sees: the title, the headings, logo
//! alt texts and the visible text. One implementation for the wrong-password probe (which reads
//! a page it loaded) and the browser extension (which reads the page a person is on).

use serde::{Deserialize, Serialize};

use crate::knowledge::Knowledge;
use crate::text::normalize;
use crate::text::words::count_word;

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

/// Per brand (in profile order): its names and words as a page's claim is matched, normalised
/// once per knowledge.
struct ClaimWords(Vec<Vec<String>>);

/// The brand id the page claims, matched against the brand profiles' names and
/// `words_en`/`words_zh`. Needs a real signal: the title or a logo naming the brand (3 points
/// each), or the brand named twice in the headings and text (1 point per mention, up to 3 per
/// word). The highest score wins; the first profile wins a tie.
pub fn claimed_brand(knowledge: &Knowledge, claims: &PageClaims) -> Option<String> {
    // The text normaliser folds look-alike letters, zero-width characters and spaced-out
    // words, so "Аmazon" with a Cyrillic А still names Amazon.
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
    let ClaimWords(words_of) = knowledge.derived(|k| {
        ClaimWords(
            k.brands()
                .iter()
                .map(|b| {
                    let mut words: Vec<String> = b.words_en.iter().map(|w| fold(w)).collect();
                    words.push(fold(&b.name));
                    words.extend(b.words_zh.iter().map(|w| fold(w)));
                    words.retain(|w| w.chars().count() >= 3);
                    // The name is usually also a word: one mention must count once.
                    words.sort_unstable();
                    words.dedup();
                    words
                })
                .collect(),
        )
    });
    let mut best: Option<(u32, String)> = None;
    for (b, words) in knowledge.brands().iter().zip(words_of) {
        let mut score = 0u32;
        for w in words {
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
        assert_eq!(count_word("amazonia amazon", "amazon"), 1);
        assert_eq!(count_word("亚马逊亚马逊", "亚马逊"), 2);
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
}
