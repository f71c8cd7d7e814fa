//! Mail-only text helpers: the random code strings some phishing injects inside words
//! ([`injected_junk`], [`strip_junk`]) and the sender line with its hidden and look-alike
//! characters pointed out ([`mark_non_ascii`]).
//!
//! The folding the mail matches brand words and lure phrases against is core's one text
//! normaliser in its mail form ([`phishprobe_core::text::fold`]: the module notes there say
//! what the mail form changes); the invisible-character, combining-mark and look-alike tests
//! here are core's too ([`phishprobe_core::unicode`]), so a sender line points out exactly the
//! letters the fold maps.

use phishprobe_core::unicode::{describe_char, is_combining_mark, is_invisible, lookalike};

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

/// The hidden and look-alike characters of `s` marked with their code points, then described
/// ([`describe_char`]), for a person to see what a sender line really contains
/// (`\u{0391}mazon` -> `[Α U+0391]mazon  (U+0391 (Greek))`).
pub fn mark_non_ascii(s: &str) -> Option<String> {
    let odd: Vec<String> = s
        .chars()
        .filter(|c| !c.is_ascii())
        .filter(|&c| is_invisible(c) || is_combining_mark(c) || lookalike(c).is_some())
        .take(12)
        .map(describe_char)
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(m, "[\u{0391} U+0391]mazon  (U+0391 (Greek))");
        let m = mark_non_ascii("Ama\u{200B}zon").unwrap_or_default();
        assert_eq!(m, "Ama[U+200B]zon  (U+200B (zero-width))");
        assert!(mark_non_ascii("Amazon").is_none());
    }
}
