//! Text normalisation that undoes what real phishing does to hide a brand name from filters:
//! compatibility forms (NFKC: full-width and mathematical letters such as `𝗔𝗺𝗮𝘇𝗼𝗻`),
//! invisible format characters (zero-width space/joiner, soft hyphen, bidi controls, tag and
//! variation-selector characters) and combining marks between letters (`Aܿmܿaܿzܿoܿn`, U+073F),
//! and Greek/Cyrillic letters that look like Latin ones (`Αmazon` with a Greek capital Alpha).
//!
//! [`fold`] gives the text used for brand matching; [`Folded::tricks`] says whether anything
//! had to be undone *inside a word*, which genuine senders never need to do.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Result of folding: matching text plus what was undone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Folded {
    /// Lowercase, look-alikes mapped to Latin, invisible characters and marks removed.
    pub text: String,
    /// Invisible or combining characters found between two letters.
    pub hidden_in_word: usize,
    /// Greek/Cyrillic look-alikes found next to Latin letters (a mixed-script word).
    pub lookalikes_in_word: usize,
}

impl Folded {
    /// Whether the text used a trick to hide words (invisible characters or look-alikes inside a word).
    pub fn tricks(&self) -> bool {
        self.hidden_in_word > 0 || self.lookalikes_in_word > 0
    }
}

/// Invisible characters that only serve to split or disguise words.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// Greek and Cyrillic letters that render like a Latin letter (lower- or upper-case).
pub fn lookalike(c: char) -> Option<char> {
    Some(match c {
        // Greek
        'Α' | 'α' => 'a',
        'Β' | 'β' => 'b',
        'Ε' | 'ε' => 'e',
        'Ζ' => 'z',
        'Η' => 'h',
        'Ι' | 'ι' | 'ί' => 'i',
        'Κ' | 'κ' => 'k',
        'Μ' => 'm',
        'Ν' | 'ν' => 'v',
        'Ο' | 'ο' | 'ό' => 'o',
        'Ρ' | 'ρ' => 'p',
        'Τ' | 'τ' => 't',
        'Υ' | 'υ' => 'u',
        'Χ' | 'χ' => 'x',
        'ς' => 'c',
        // Cyrillic
        'А' | 'а' => 'a',
        'В' | 'в' => 'b',
        'Е' | 'е' | 'ҽ' | 'ё' => 'e',
        'К' | 'к' => 'k',
        'М' | 'м' => 'm',
        'Н' | 'н' => 'h',
        'О' | 'о' => 'o',
        'Р' | 'р' => 'p',
        'С' | 'с' => 'c',
        'Т' | 'т' => 't',
        'Х' | 'х' => 'x',
        'У' | 'у' => 'y',
        'І' | 'і' | 'Ӏ' | 'ӏ' => 'i',
        'Ј' | 'ј' => 'j',
        'Ѕ' | 'ѕ' => 's',
        'ԁ' => 'd',
        'ԛ' => 'q',
        'ԝ' => 'w',
        'Ү' | 'ү' => 'y',
        'һ' => 'h',
        'ɡ' => 'g',
        'ı' => 'i',
        'ℓ' => 'l',
        _ => return None,
    })
}

fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || ('\u{00C0}'..='\u{024F}').contains(&c)
}

/// Fold `s` for matching. Linear in the input; allocation bounded by the input size.
pub fn fold(s: &str) -> Folded {
    let mut out = Folded {
        text: String::with_capacity(s.len()),
        ..Default::default()
    };
    // Track the last visible char class so marks/invisibles between letters can be counted.
    let mut prev_letter = false;
    let mut pending_hidden = 0usize;
    // Whether the current word has Latin letters and/or look-alikes.
    let mut word_latin = false;
    let mut word_lookalike = 0usize;
    let flush_word = |out: &mut Folded, latin: &mut bool, look: &mut usize| {
        if *latin && *look > 0 {
            out.lookalikes_in_word += *look;
        }
        *latin = false;
        *look = 0;
    };
    for c in s.nfkc() {
        if is_invisible(c) || (is_combining_mark(c) && prev_letter && !is_latin_diacritic(c)) {
            if prev_letter {
                pending_hidden += 1;
            }
            continue;
        }
        if is_combining_mark(c) {
            // Ordinary accent on a Latin letter (NFKC left it decomposed): keep nothing of it.
            continue;
        }
        let letter = c.is_alphabetic();
        if letter && pending_hidden > 0 {
            out.hidden_in_word += pending_hidden;
        }
        pending_hidden = 0;
        if let Some(l) = lookalike(c) {
            word_lookalike += 1;
            out.text.push(l);
        } else {
            if is_latin_letter(c) {
                word_latin = true;
            }
            if !letter && !c.is_numeric() {
                flush_word(&mut out, &mut word_latin, &mut word_lookalike);
            }
            for l in c.to_lowercase() {
                out.text.push(l);
            }
        }
        prev_letter = letter;
    }
    flush_word(&mut out, &mut word_latin, &mut word_lookalike);
    out
}

/// Combining accents in the Latin "combining diacritical marks" block that ordinary
/// languages use (é written as e + U+0301); NFKC composes most of them already.
fn is_latin_diacritic(c: char) -> bool {
    ('\u{0300}'..='\u{036F}').contains(&c) && c != '\u{034F}'
}

/// The characters of `s` that are not plain ASCII, with their code points, for a person to
/// see what a sender line really contains (`A\u{0391}` -> `Αmazon [U+0391 GREEK CAPITAL ...]`).
pub fn mark_non_ascii(s: &str) -> Option<String> {
    let odd: Vec<String> = s
        .chars()
        .filter(|c| !c.is_ascii())
        .filter(|&c| is_invisible(c) || is_combining_mark(c) || lookalike(c).is_some())
        .take(12)
        .map(|c| format!("U+{:04X}{}", c as u32, describe(c)))
        .collect();
    if odd.is_empty() {
        return None;
    }
    let shown: String = s
        .chars()
        .take(200)
        .map(|c| {
            if is_invisible(c) || is_combining_mark(c) {
                format!("[U+{:04X}]", c as u32)
            } else if lookalike(c).is_some() {
                format!("[{c} U+{:04X}]", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect();
    Some(format!("{shown}  ({})", odd.join(", ")))
}

fn describe(c: char) -> &'static str {
    match c as u32 {
        0x0370..=0x03FF => " Greek",
        0x0400..=0x052F => " Cyrillic",
        0x200B..=0x200D | 0x2060 | 0xFEFF => " zero-width",
        0x0300..=0x036F | 0x0700..=0x074F => " combining mark",
        0xFE00..=0xFE0F | 0xE0100..=0xE01EF => " variation selector",
        0xE0000..=0xE007F => " tag character",
        0x202A..=0x202E | 0x200E | 0x200F => " bidi control",
        _ => "",
    }
}

/// Whether `hay` (folded) contains `word` (folded) at word boundaries. ASCII letters/digits on
/// either side break the match, so `amazon` is found in `amazon.com` and `amazon-gutschein`
/// but not in `amazonas`.
pub fn contains_word(hay: &str, word: &str) -> bool {
    if word.is_empty() {
        return false;
    }
    let wb = word.as_bytes();
    let ascii_word = wb.iter().all(|b| b.is_ascii());
    let mut start = 0;
    while let Some(pos) = hay.get(start..).and_then(|h| h.find(word)) {
        let at = start + pos;
        let end = at + word.len();
        if !ascii_word {
            return true;
        }
        let before = hay[..at].chars().next_back();
        let after = hay[end..].chars().next();
        let is_wordish = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
        if !is_wordish(before) && !is_wordish(after) {
            return true;
        }
        start = at + hay[at..].chars().next().map_or(1, |c| c.len_utf8());
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undoes_combining_marks_and_lookalikes() {
        let f = fold("Aܿmܿaܿzܿoܿn");
        assert_eq!(f.text, "amazon");
        assert!(f.hidden_in_word >= 5);
        let g = fold("\u{0391}mazon Support");
        assert_eq!(g.text, "amazon support");
        assert_eq!(g.lookalikes_in_word, 1);
        let z = fold("Ama\u{200B}zon");
        assert_eq!(z.text, "amazon");
        assert!(z.tricks());
        assert_eq!(fold("𝗔𝗺𝗮𝘇𝗼𝗻").text, "amazon");
    }

    #[test]
    fn plain_text_and_accents_are_not_tricks() {
        let f = fold("Café Müller – Sicherheitsprüfung ❗️");
        assert!(!f.tricks(), "{f:?}");
        let r = fold("Привет мир");
        assert!(!r.tricks(), "all-Cyrillic words are not look-alikes: {r:?}");
    }

    #[test]
    fn word_boundaries() {
        assert!(contains_word("visit amazon.com now", "amazon"));
        assert!(contains_word("amazon-gutschein", "amazon"));
        assert!(!contains_word("the amazonas river", "amazon"));
        assert!(contains_word("亚马逊客服", "亚马逊"));
    }

    #[test]
    fn marks_hidden_characters() {
        let m = mark_non_ascii("\u{0391}mazon").unwrap_or_default();
        assert!(m.contains("U+0391"), "{m}");
        assert!(mark_non_ascii("Amazon").is_none());
    }
}
