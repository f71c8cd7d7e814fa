//! Text normalisation that undoes what real phishing does to hide a brand name from filters:
//! compatibility forms (NFKC: full-width and mathematical letters such as `𝗔𝗺𝗮𝘇𝗼𝗻`),
//! invisible format characters (zero-width space/joiner, soft hyphen, bidi controls, tag and
//! variation-selector characters) and combining marks between letters (`Aܿmܿaܿzܿoܿn`, U+073F),
//! and Greek/Cyrillic letters that look like Latin ones (`Αmazon` with a Greek capital Alpha).
//!
//! [`fold`] gives the text used for brand matching; [`Folded::tricks`] says whether anything
//! had to be undone *inside a word*, which genuine senders never need to do.
//!
//! The invisible-character table is core's ([`phishprobe_core::unicode::is_invisible`]), and
//! the brand words are found with core's matcher ([`phishprobe_core::text::WordMatcher`],
//! [`phishprobe_core::text::contains_word`]). The folding itself is not core's normaliser
//! ([`phishprobe_core::text::normalize()`]): the two give different text, and the mail
//! verdicts are made on this one:
//! - accents: NFKC keeps composed letters (`Müller` -> `müller`), core decomposes and drops
//!   the marks (`muller`);
//! - look-alikes: the tables differ (Greek `Μ` and `Η` are `m` and `h` here, `u` and `n` in
//!   core, which maps lower-case `μ` and `η`; Cyrillic `п` and `г` are only mapped in core);
//! - core also reads `0` between letters as `o` (`bl0cked`), joins spaced-out letters
//!   (`p a y p a l`) and turns emoji into spaces; fold does none of these;
//! - `™` and `℠` become a space here (`mcafee™` -> `mcafee `), core spells them out
//!   (`mcafeetm`);
//! - fold counts what it undid inside words ([`Folded::tricks`]), which core does not.

use phishprobe_core::unicode::is_invisible;
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
///
/// Most mail text is already in NFKC form (plain ASCII, ordinary accented letters): a quick
/// check (no allocation, no reordering buffer) skips the normaliser for it, which is most of
/// the cost of folding a long body.
pub fn fold(s: &str) -> Folded {
    use unicode_normalization::{IsNormalized, is_nfkc_quick};
    // NFKC spells ™ and ℠ as letters ("Mcafee™" would become "mcafeetm" and hide the brand
    // word): they are marks, not letters, so they become a space first.
    if s.contains(['\u{2122}', '\u{2120}']) {
        return fold(&s.replace(['\u{2122}', '\u{2120}'], " "));
    }
    if s.is_ascii() || is_nfkc_quick(s.chars()) == IsNormalized::Yes {
        fold_chars(s.len(), s.chars())
    } else {
        fold_chars(s.len(), s.nfkc())
    }
}

fn fold_chars(len: usize, chars: impl Iterator<Item = char>) -> Folded {
    let mut out = Folded {
        text: String::with_capacity(len),
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
    for c in chars {
        if c.is_ascii() {
            // The common case, without table look-ups (same logic as below).
            let letter = c.is_ascii_alphabetic();
            if letter && pending_hidden > 0 {
                out.hidden_in_word += pending_hidden;
            }
            pending_hidden = 0;
            if letter {
                word_latin = true;
            } else if !c.is_ascii_digit() {
                flush_word(&mut out, &mut word_latin, &mut word_lookalike);
            }
            out.text.push(c.to_ascii_lowercase());
            prev_letter = letter;
            continue;
        }
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

/// Random code strings injected inside words ("AX34QDJLJ89mazon Prime MemX34QDJLJ89bership")
/// so that filters cannot read the words while mail programs can be told (by the sender's
/// markup) to hide or shrink them. Found as upper-case/digit chunks glued to a lower-case
/// letter that repeat (4 times, twice with lower-case letters on both sides, where no product
/// code or abbreviation ever stands): the first must be at least 6 characters; once one
/// is found, shorter leftovers (`P08` of `P08X34QDJLJ89`) count too. Returns the chunks, most
/// frequent first (at most 4).
pub fn injected_junk(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut work = std::borrow::Cow::Borrowed(text);
    for round in 0..4 {
        let min_len = if round == 0 { 6 } else { 3 };
        let Some(chunk) = most_glued_chunk(&work, min_len) else {
            break;
        };
        let tok = common_core(&work, &chunk, min_len);
        work = std::borrow::Cow::Owned(work.replace(tok.as_str(), ""));
        found.push(tok);
    }
    found
}

/// The part of `chunk` that repeats most in `text` (longest on ties): a chunk seen glued to a
/// capital (`P08X34QDJLJ89`, `AX34QDJLJ89` of "Amazon") shrinks to the injected string
/// itself (`X34QDJLJ89`). Trims the end first, then the start: at most 80 searches, run only
/// when junk was found.
fn common_core(text: &str, chunk: &str, min_len: usize) -> String {
    let count = |s: &str| memchr::memmem::find_iter(text.as_bytes(), s.as_bytes()).count();
    let pick = |cands: &mut dyn Iterator<Item = &str>| -> Option<(usize, String)> {
        let mut best: Option<(usize, String)> = None;
        for c in cands {
            let n = count(c);
            if best
                .as_ref()
                .is_none_or(|(bn, bs)| n > *bn || n == *bn && c.len() > bs.len())
            {
                best = Some((n, c.to_string()));
            }
        }
        best
    };
    // ASCII only (upper-case letters and digits), so every index is a char boundary.
    let n = chunk.len();
    let Some((_, end_trimmed)) = pick(&mut (min_len..=n).filter_map(|e| chunk.get(..e))) else {
        return chunk.to_string();
    };
    let m = end_trimmed.len();
    pick(&mut (0..=m.saturating_sub(min_len)).filter_map(|s| end_trimmed.get(s..)))
        .map_or(end_trimmed, |(_, s)| s)
}

/// The most frequent upper-case/digit chunk (with at least one digit and one letter, at
/// least `min_len` long) that sits against a lower-case ASCII letter at least 4 times, twice
/// of them inside a word.
fn most_glued_chunk(text: &str, min_len: usize) -> Option<String> {
    let b = text.as_bytes();
    // (chunk, glued occurrences, occurrences inside a word: lower-case on both sides)
    let mut counts: Vec<(&str, usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if !(c.is_ascii_uppercase() || c.is_ascii_digit()) {
            i += 1;
            continue;
        }
        let s = i;
        while i < b.len() && (b[i].is_ascii_uppercase() || b[i].is_ascii_digit()) {
            i += 1;
        }
        let chunk = &b[s..i];
        let before = s > 0 && b[s - 1].is_ascii_lowercase();
        let after = b.get(i).is_some_and(|x| x.is_ascii_lowercase());
        let glued = before || after;
        if glued
            && chunk.len() >= min_len
            && chunk.len() <= 40
            && chunk.iter().any(u8::is_ascii_digit)
            && chunk.iter().any(u8::is_ascii_uppercase)
        {
            // ASCII bytes only, so this is a char boundary range.
            let t = text.get(s..i).unwrap_or("");
            let inside = usize::from(before && after);
            if let Some(e) = counts.iter_mut().find(|(k, _, _)| *k == t) {
                e.1 += 1;
                e.2 += inside;
            } else if counts.len() < 256 {
                counts.push((t, 1, inside));
            }
        }
    }
    counts
        .into_iter()
        .filter(|(_, n, inside)| *n >= 4 && *inside >= 2)
        .max_by_key(|(k, n, _)| (*n, k.len()))
        .map(|(k, _, _)| k.to_string())
}

/// `text` without the junk chunks found by [`injected_junk`].
pub fn strip_junk(text: &str, junk: &[String]) -> String {
    let mut t = text.to_string();
    for j in junk {
        t = t.replace(j.as_str(), "");
    }
    t
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
        assert_eq!(fold("Mcafee™ Support").text, "mcafee  support");
    }

    #[test]
    fn differs_from_core_normalize() {
        // Why mail keeps its own fold (the module notes): each input folds differently.
        use phishprobe_core::text::normalize;
        for (text, here, core) in [
            ("Müller", "müller", "muller"),
            ("\u{039C}icrosoft", "microsoft", "uicrosoft"),
            ("\u{0397}ello", "hello", "nello"),
            ("bl0cked", "bl0cked", "blocked"),
            ("p a y p a l", "p a y p a l", "paypal"),
            ("click👉here", "click👉here", "click here"),
            ("mcafee™", "mcafee ", "mcafeetm"),
        ] {
            assert_eq!(fold(text).text, here, "{text}");
            assert_eq!(normalize(text).text, core, "{text}");
        }
    }

    #[test]
    fn plain_text_and_accents_are_not_tricks() {
        let f = fold("Café Müller – Sicherheitsprüfung ❗️");
        assert!(!f.tricks(), "{f:?}");
        let r = fold("Привет мир");
        assert!(!r.tricks(), "all-Cyrillic words are not look-alikes: {r:?}");
    }

    #[test]
    fn finds_injected_junk() {
        let t = "Your AX34QDJLJ89mazon Prime MemX34QDJLJ89bership card caP08X34QDJLJ89rd is no longer vX34QDJLJ89alid. Your AmP08X34QDJLJ89aP08X34QDJLJ89zoP08X34QDJLJ89n Prime";
        let j = injected_junk(t);
        assert!(!j.is_empty(), "{j:?}");
        let clean = strip_junk(t, &j);
        assert!(clean.contains("Amazon Prime Membership"), "{clean}");
        assert!(clean.contains("no longer valid"), "{clean}");
        // Product names and codes are not junk.
        for ok in [
            "MP3s MP3s MP3s MP3s and more MP3s",
            "Order 123-ABC456 shipped. Ref ABC456, ABC456, ABC456 and ABC456.",
            "The RTX4090s and RTX4090s, RTX4090s, RTX4090s are here",
        ] {
            assert!(injected_junk(ok).is_empty(), "{ok}");
        }
    }

    #[test]
    fn marks_hidden_characters() {
        let m = mark_non_ascii("\u{0391}mazon").unwrap_or_default();
        assert!(m.contains("U+0391"), "{m}");
        assert!(mark_non_ascii("Amazon").is_none());
    }
}
