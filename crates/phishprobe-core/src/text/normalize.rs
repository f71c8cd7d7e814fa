//! Text normalisation before pattern matching.
//!
//! Scam texts dodge keyword filters with full-width letters (`ｐａｓｓｗｏｒｄ`), look-alike
//! Cyrillic/Greek letters (`pаsswоrd` with Cyrillic а/о), zero-width characters
//! (`pass\u{200b}word`), emoji between words, combining marks (`Aܿmܿaܿzܿoܿn`) and spaced-out or
//! dotted words (`p a s s w o r d`, `p.a.s.s.w.o.r.d`). [`normalize`] undoes all of these and
//! lowercases, so the patterns (written in lowercase) see one plain form.
//!
//! Normalisation is for matching only. Everything reported — links, phone numbers, evidence
//! snippets — is cut from the characters the person actually received: the normaliser keeps
//! maps from normalised byte offsets back to the original ([`Normalized::original_range`]),
//! through both passes (characters, then spaced-out letters joined). The maps only hold the
//! places where the texts differ, so plain ASCII text costs nothing.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

use crate::unicode::is_invisible;

/// One place where a text was rewritten: source bytes `src_start..src_end` became
/// `out_start..out_end` of the result (empty when a character was dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    out_start: usize,
    out_end: usize,
    src_start: usize,
    src_end: usize,
}

/// The way back from a rewritten text to its source. Between the pieces the two texts advance
/// together byte for byte (ASCII lowercased or `0` read as `o` keeps its length), so an offset
/// there moves by the piece before it.
#[derive(Debug, Clone, Default)]
struct OffsetMap {
    /// In order of `out_start` (and of `src_start`).
    pieces: Vec<Piece>,
}

impl OffsetMap {
    fn push(&mut self, out_start: usize, out_end: usize, src_start: usize, src_end: usize) {
        self.pieces.push(Piece {
            out_start,
            out_end,
            src_start,
            src_end,
        });
    }

    /// Source offset where the text starting at `pos` comes from: the start of a rewritten
    /// piece that `pos` falls in, and past dropped characters at `pos` (a quote does not
    /// begin with an invisible character).
    fn start(&self, pos: usize) -> usize {
        let idx = self.pieces.partition_point(|p| p.out_start <= pos);
        match idx.checked_sub(1).and_then(|i| self.pieces.get(i)) {
            None => pos,
            Some(p) if pos < p.out_end => p.src_start,
            Some(p) => p.src_end + (pos - p.out_end),
        }
    }

    /// Source offset where the text ending at `pos` ends: the end of a rewritten piece that
    /// `pos` falls in, and before dropped characters at `pos`.
    fn end(&self, pos: usize) -> usize {
        let idx = self.pieces.partition_point(|p| p.out_start < pos);
        match idx.checked_sub(1).and_then(|i| self.pieces.get(i)) {
            None => pos,
            Some(p) if pos <= p.out_end => p.src_end,
            Some(p) => p.src_end + (pos - p.out_end),
        }
    }
}

/// The normalised text plus the way back to the original.
#[derive(Debug, Clone)]
pub struct Normalized<'a> {
    /// The text as given; evidence is cut from it.
    pub original: &'a str,
    /// What the patterns, link and number finders match against. Never shown to anyone.
    pub text: String,
    /// First pass (characters): its output -> `original`.
    chars: OffsetMap,
    /// Second pass (spaced-out letters joined), when it changed anything: `text` -> the first
    /// pass's output.
    joined: Option<OffsetMap>,
}

/// CJK Unified Ideographs (U+4E00..U+9FFF), the bulk of Chinese text.
fn is_cjk_ideograph(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Emoji and pictographs: replaced by a space so `click👉here` stays two words.
fn is_emoji(c: char) -> bool {
    matches!(c,
        '\u{2190}'..='\u{21ff}' | '\u{2300}'..='\u{23ff}' | '\u{2460}'..='\u{24ff}'
        | '\u{25a0}'..='\u{27bf}' | '\u{2900}'..='\u{297f}' | '\u{2b00}'..='\u{2bff}'
        | '\u{1f000}'..='\u{1faff}' | '\u{20e3}')
}

/// Cyrillic and Greek letters that look like Latin ones. Mapped everywhere: the pattern files
/// are English and Chinese, so a Russian word turning into Latin gibberish costs nothing.
fn latin_lookalike(c: char) -> Option<char> {
    Some(match c {
        'а' | 'α' => 'a',
        'в' | 'β' => 'b',
        'с' | 'ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'ё' | 'ε' => 'e',
        'һ' => 'h',
        'і' | 'ї' | 'ι' | 'ı' => 'i',
        'ј' => 'j',
        'к' | 'κ' => 'k',
        'м' => 'm',
        'η' | 'п' => 'n',
        'о' | 'ο' | 'σ' => 'o',
        'р' | 'ρ' => 'p',
        'ԛ' => 'q',
        'г' => 'r',
        'ѕ' => 's',
        'т' | 'τ' => 't',
        'υ' | 'μ' => 'u',
        'ν' | 'ѵ' => 'v',
        'ω' | 'ш' => 'w',
        'х' | 'χ' => 'x',
        'у' | 'γ' => 'y',
        'ᴢ' => 'z',
        _ => return None,
    })
}

fn push_lower(out: &mut String, c: char) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else if let Some(l) = latin_lookalike(c) {
        out.push(l);
    } else if c.is_uppercase() {
        for l in c.to_lowercase() {
            out.push(latin_lookalike(l).unwrap_or(l));
        }
    } else {
        out.push(c);
    }
}

/// Normalise `text`: compatibility decomposition (full-width, ligatures), combining marks,
/// zero-width characters and emoji removed, look-alikes mapped to Latin, lowercase, then
/// spaced-out words joined.
pub fn normalize(text: &str) -> Normalized<'_> {
    let mut out = String::with_capacity(text.len());
    let mut chars = OffsetMap::default();
    let mut buf = String::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // A run of ASCII: copied and lowercased in one go (same length: no map entry).
        let ascii_len = bytes.get(i..).map_or(0, |r| {
            r.iter().position(|b| !b.is_ascii()).unwrap_or(r.len())
        });
        if ascii_len > 0 {
            let base = out.len();
            out.push_str(text.get(i..i + ascii_len).unwrap_or(""));
            if let Some(run) = out.get_mut(base..) {
                run.make_ascii_lowercase();
            }
            // `bl0cked`, `acc0unt`: a zero between letters is the letter o. (The byte before a
            // zero is never an `o` made here: that one is followed by a letter, not a zero.)
            for k in 0..ascii_len {
                if bytes.get(i + k) == Some(&b'0')
                    && (base + k)
                        .checked_sub(1)
                        .and_then(|p| out.as_bytes().get(p))
                        .is_some_and(u8::is_ascii_alphabetic)
                    && bytes.get(i + k + 1).is_some_and(u8::is_ascii_alphabetic)
                {
                    out.replace_range(base + k..base + k + 1, "o");
                }
            }
            i += ascii_len;
            continue;
        }
        let Some(c) = text.get(i..).and_then(|r| r.chars().next()) else {
            break;
        };
        if is_cjk_ideograph(c) {
            // CJK Unified Ideographs: no decomposition, no case, no look-alike mapping; the
            // bulk of Chinese text takes this short path (same output as the long one), a run
            // at a time.
            let run_len = text.get(i..).map_or(0, |r| {
                r.char_indices()
                    .find(|&(_, d)| !is_cjk_ideograph(d))
                    .map_or(r.len(), |(k, _)| k)
            });
            out.push_str(text.get(i..i + run_len).unwrap_or(""));
            i += run_len.max(c.len_utf8());
            continue; // same length: no map entry
        }
        let before = out.len();
        if is_invisible(c) {
            // nothing
        } else if is_emoji(c) {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            buf.clear();
            decompose_compatible(c, |d| {
                if !is_combining_mark(d) {
                    buf.push(d);
                }
            });
            for d in buf.chars() {
                if d == '\u{3000}' {
                    out.push(' ');
                } else {
                    push_lower(&mut out, d);
                }
            }
        }
        let end = i + c.len_utf8();
        // Anything but an unchanged copy is a piece of the map, so that offsets inside a
        // rewritten character never land inside the original one.
        if out.get(before..) != text.get(i..end) {
            chars.push(before, out.len(), i, end);
        }
        i = end;
    }
    let mut n = Normalized {
        original: text,
        text: out,
        chars,
        joined: None,
    };
    if let Some((joined, map)) = join_spaced_letters(&n.text) {
        n.text = joined;
        n.joined = Some(map);
    }
    n
}

fn is_sep(b: u8) -> bool {
    matches!(b, b' ' | b'.' | b'-' | b'_' | b'*' | b'/' | b'|')
}

/// Join runs of at least four single ASCII letters or digits separated by one separator
/// (`p a s s w o r d`, `c.o.d.e`), with the map back to `s` (each dropped separator is a
/// piece). Returns `None` when there is nothing to join (the common case: one quick scan, no
/// allocation).
fn join_spaced_letters(s: &str) -> Option<(String, OffsetMap)> {
    const MIN_RUN: usize = 4;
    let b = s.as_bytes();
    let single = |i: usize| -> bool {
        b.get(i).is_some_and(|c| c.is_ascii_alphanumeric())
            && (i == 0 || !b.get(i - 1).is_some_and(|c| c.is_ascii_alphanumeric()))
            && !b.get(i + 1).is_some_and(|c| c.is_ascii_alphanumeric())
    };
    // Find runs: positions of single letters each followed by exactly one separator.
    let mut runs: Vec<(usize, usize)> = Vec::new(); // (start, end) byte ranges in s
    let alnum = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_alphanumeric());
    let mut i = 0;
    while i < b.len() {
        // Most bytes are in longer words or are spaces: skip them without the full test.
        if !alnum(i) || alnum(i + 1) {
            i += 1;
            continue;
        }
        if single(i) {
            let start = i;
            let mut count = 1;
            let mut j = i;
            while b.get(j + 1).is_some_and(|&c| is_sep(c)) && single(j + 2) {
                j += 2;
                count += 1;
            }
            if count >= MIN_RUN {
                runs.push((start, j + 1));
            }
            i = j + 1;
        } else {
            i += 1;
        }
    }
    if runs.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let mut map = OffsetMap::default();
    let mut last = 0;
    for (start, end) in runs {
        out.push_str(s.get(last..start)?);
        for (k, &c) in b.get(start..end)?.iter().enumerate() {
            if is_sep(c) {
                map.push(out.len(), out.len(), start + k, start + k + 1);
            } else {
                out.push(c as char);
            }
        }
        last = end;
    }
    out.push_str(s.get(last..)?);
    Some((out, map))
}

impl<'a> Normalized<'a> {
    /// The original byte range behind the normalised range `start..end`: on character
    /// boundaries of the original, never outside it, never reversed.
    pub fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        let (s1, e1) = match &self.joined {
            Some(j) => (j.start(start), j.end(end)),
            None => (start, end),
        };
        let len = self.original.len();
        let mut a = self.chars.start(s1).min(len);
        let mut z = self.chars.end(e1).clamp(a, len);
        while a > 0 && !self.original.is_char_boundary(a) {
            a -= 1;
        }
        while z < len && !self.original.is_char_boundary(z) {
            z += 1;
        }
        (a, z)
    }

    /// The original characters behind the normalised range `start..end`: what links, numbers
    /// and evidence are cut from.
    pub fn original_slice(&self, start: usize, end: usize) -> &'a str {
        let (a, z) = self.original_range(start, end);
        self.original.get(a..z).unwrap_or("")
    }

    /// Evidence for the normalised range `start..end`: the original text behind it, trimmed
    /// and cut to 160 characters.
    pub fn evidence(&self, start: usize, end: usize) -> String {
        let s = self.original_slice(start, end).trim();
        if s.chars().count() > 160 {
            let mut t: String = s.chars().take(157).collect();
            t.push_str("...");
            t
        } else {
            s.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_tricks() {
        assert_eq!(normalize("ＰＡＳＳＷＯＲＤ").text, "password");
        assert_eq!(normalize("pаsswоrd").text, "password"); // Cyrillic а, о
        assert_eq!(normalize("pass\u{200b}word").text, "password");
        assert_eq!(normalize("p a s s w o r d please").text, "password please");
        assert_eq!(normalize("p.a.s.s.w.o.r.d").text, "password");
        assert_eq!(normalize("click👉here").text, "click here");
        assert_eq!(
            normalize("A\u{73f}m\u{73f}a\u{73f}z\u{73f}o\u{73f}n").text,
            "amazon"
        );
        assert_eq!(normalize("验证码，请勿泄露").text, "验证码,请勿泄露");
        // The CJK short path gives what the full path (decomposition, case, look-alikes) does.
        for c in '\u{4e00}'..='\u{9fff}' {
            assert!(!is_invisible(c) && !is_emoji(c));
            let mut full = String::new();
            decompose_compatible(c, |d| {
                if !is_combining_mark(d) {
                    push_lower(&mut full, d);
                }
            });
            assert_eq!(normalize(&c.to_string()).text, full);
        }
        // Ordinary short words are not joined.
        assert_eq!(normalize("i am a cat").text, "i am a cat");
        assert_eq!(normalize("BL0CKED 2024 a0").text, "blocked 2024 a0");
    }

    #[test]
    fn evidence_quotes_the_original() {
        let n = normalize("请提供您的ＰＡＳＳＷＯＲＤ，谢谢");
        let s = n.text.find("password").unwrap();
        assert_eq!(n.evidence(s, s + 8), "ＰＡＳＳＷＯＲＤ");
        let n = normalize("Hello WORLD");
        assert_eq!(n.evidence(6, 11), "WORLD");
        // Each trick: the normalised word quotes the characters as received. Invisible
        // characters inside the word are part of it; at its ends they are left out.
        for (text, word, quoted) in [
            ("your passw0rd now", "password", "passw0rd"),
            ("your pаsswоrd now", "password", "pаsswоrd"),
            ("your ραssword now", "password", "ραssword"),
            ("your ｐａｓｓｗｏｒｄ now", "password", "ｐａｓｓｗｏｒｄ"),
            ("your 𝗽𝗮𝘀𝘀𝘄𝗼𝗿𝗱 now", "password", "𝗽𝗮𝘀𝘀𝘄𝗼𝗿𝗱"),
            (
                "\u{200b}pass\u{200b}word\u{200b}",
                "password",
                "pass\u{200b}word",
            ),
            (
                "pa\u{301}ss\u{301}word!",
                "password",
                "pa\u{301}ss\u{301}word",
            ),
            ("your p a s s w o r d please", "password", "p a s s w o r d"),
            ("your p.a.s.s.w.o.r.d please", "password", "p.a.s.s.w.o.r.d"),
            ("then 1 8 0 0 5 5 5 and", "1800555", "1 8 0 0 5 5 5"),
            (
                "ｐ ａ ｓ ｓ ｗ ｏ ｒ ｄ",
                "password",
                "ｐ ａ ｓ ｓ ｗ ｏ ｒ ｄ",
            ),
        ] {
            let n = normalize(text);
            let s = n
                .text
                .find(word)
                .unwrap_or_else(|| panic!("{text:?}: {:?}", n.text));
            assert_eq!(n.evidence(s, s + word.len()), quoted, "{text:?}");
        }
        // A piece of an expanded character (㎏ -> "kg") quotes the whole character.
        let n = normalize("5㎏ bag");
        let g = n.text.find('g').unwrap();
        assert_eq!(n.original_slice(g, g + 1), "㎏");
    }

    /// Every range of the normalised text maps inside the original, on its character
    /// boundaries, in order: no panic and no reversed range whatever is asked.
    #[test]
    fn every_range_maps_into_the_original() {
        for text in [
            "ｐ ａ ｓ ｓ 👉 A\u{73f}m\u{73f}a ㎏ ﷺ \u{200b}\u{200b}x y z w 验证码 ﬁle",
            "a.b.c.d \u{3000}Ｔ Ｅ Ｓ Ｔ é\u{301}\u{302} 0o0 a0b",
        ] {
            let n = normalize(text);
            let bounds: Vec<usize> = (0..=n.text.len())
                .filter(|&i| n.text.is_char_boundary(i))
                .collect();
            let mut last = (0, 0);
            for &a in &bounds {
                for &z in bounds.iter().filter(|&&z| z >= a) {
                    let (oa, oz) = n.original_range(a, z);
                    assert!(oa <= oz && oz <= text.len(), "{text:?} {a}..{z}");
                    assert!(text.is_char_boundary(oa) && text.is_char_boundary(oz));
                    if z == a {
                        assert!(oa >= last.0, "{text:?}: starts go back at {a}");
                        last = (oa, oz);
                    }
                }
            }
            // Both texts start and end with characters that are kept.
            assert_eq!(n.original_range(0, n.text.len()), (0, text.len()));
        }
    }
}
