//! Text normalisation before pattern matching.
//!
//! Scam texts dodge keyword filters with full-width letters (`ｐａｓｓｗｏｒｄ`), look-alike
//! Cyrillic/Greek letters (`pаsswоrd` with Cyrillic а/о), zero-width characters
//! (`pass\u{200b}word`), emoji between words, combining marks (`Aܿmܿaܿzܿoܿn`) and spaced-out or
//! dotted words (`p a s s w o r d`, `p.a.s.s.w.o.r.d`). [`normalize`] undoes all of these and
//! lowercases, so the patterns (written in lowercase) see one plain form.
//!
//! Evidence should quote what the person actually received, so the normaliser keeps a sparse
//! map from normalised byte offsets back to the original ([`Normalized::original`]). The map
//! only has an entry where the lengths diverge, so plain ASCII text costs nothing.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// The normalised text plus the way back to the original.
#[derive(Debug, Clone)]
pub struct Normalized<'a> {
    pub original: &'a str,
    pub text: String,
    /// `(normalised offset, original offset)` at every point where the two stop advancing in
    /// step; between entries they advance together.
    map: Vec<(usize, usize)>,
    /// False when a second pass (joining spaced-out letters) rewrote the text: then evidence
    /// quotes the normalised text instead.
    exact: bool,
}

/// Characters that carry nothing and are used to split words invisibly.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00ad}' | '\u{034f}' | '\u{061c}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
        | '\u{180b}'..='\u{180f}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}' | '\u{3164}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}'
        | '\u{ffa0}' | '\u{e0000}'..='\u{e0fff}')
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
    let mut map: Vec<(usize, usize)> = Vec::new();
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
        if out.len() - before != c.len_utf8() {
            map.push((out.len(), end));
        }
        i = end;
    }
    let mut n = Normalized {
        original: text,
        text: out,
        map,
        exact: true,
    };
    if let Some(joined) = join_spaced_letters(&n.text) {
        n.text = joined;
        n.exact = false;
    }
    n
}

fn is_sep(b: u8) -> bool {
    matches!(b, b' ' | b'.' | b'-' | b'_' | b'*' | b'/' | b'|')
}

/// Join runs of at least four single ASCII letters or digits separated by one separator
/// (`p a s s w o r d`, `c.o.d.e`). Returns `None` when there is nothing to join (the common
/// case: one quick scan, no allocation).
fn join_spaced_letters(s: &str) -> Option<String> {
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
    let mut last = 0;
    for (start, end) in runs {
        out.push_str(s.get(last..start)?);
        for &c in b.get(start..end)? {
            if !is_sep(c) {
                out.push(c as char);
            }
        }
        last = end;
    }
    out.push_str(s.get(last..)?);
    Some(out)
}

impl<'a> Normalized<'a> {
    /// Original offset of a normalised offset (exact mode only).
    fn to_original(&self, pos: usize) -> usize {
        let idx = self.map.partition_point(|&(n, _)| n <= pos);
        let (n0, o0) = if idx == 0 {
            (0, 0)
        } else {
            self.map.get(idx - 1).copied().unwrap_or((0, 0))
        };
        (o0 + (pos - n0)).min(self.original.len())
    }

    /// The original text behind a normalised range (trimmed to 160 characters), or the
    /// normalised text when an exact mapping isn't available.
    pub fn evidence(&self, start: usize, end: usize) -> String {
        let quote = |s: &str| -> String {
            let s = s.trim();
            if s.chars().count() > 160 {
                let mut t: String = s.chars().take(157).collect();
                t.push_str("...");
                t
            } else {
                s.to_string()
            }
        };
        if self.exact {
            let mut a = self.to_original(start);
            let mut z = self.to_original(end).max(a);
            while a > 0 && !self.original.is_char_boundary(a) {
                a -= 1;
            }
            while z < self.original.len() && !self.original.is_char_boundary(z) {
                z += 1;
            }
            if let Some(s) = self.original.get(a..z) {
                return quote(s);
            }
        }
        quote(self.text.get(start..end).unwrap_or(""))
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
    }
}
