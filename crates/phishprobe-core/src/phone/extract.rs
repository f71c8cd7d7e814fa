//! Finding numbers in free text: digit runs with ordinary separators and SMS short codes
//! ("text STOP to 87066", "回复TD到10086"), skipping money, dates and order numbers.

use std::sync::OnceLock;

use regex::Regex;

use super::MAX_DIGITS;

pub(super) fn number_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        // A run of digits with single separators, optionally led by + or an opening bracket.
        Regex::new(r"(?:\+|＋)?[\(（]?[0-9０-９](?:[0-9０-９]|[ \-\.\)\(（）/－]{1,2}[0-9０-９])+")
            .unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|_| unreachable!()))
    })
}

/// The English half of the short-code pattern ("text STOP to 87066").
pub(super) const SHORT_CODE_EN: &str =
    r"(?i)\b(?:text|txt|sms|send|reply|call|dial)\b[^0-9\n]{0,24}?\b([0-9]{3,6})\b";

/// The Chinese half ("回复TD到10086").
pub(super) const SHORT_CODE_ZH: &str =
    r"(?:发送|回复|拨打|致电|发短信)[^0-9\n]{0,8}?([0-9]{3,6})(?:[^0-9]|$)";

pub(super) fn short_code_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(&format!("{SHORT_CODE_EN}|{SHORT_CODE_ZH}"))
            .unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|_| unreachable!()))
    })
}

pub(super) fn short_code_zh_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(SHORT_CODE_ZH)
            .unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|_| unreachable!()))
    })
}

/// The English half anchored at a word already found (see [`short_codes`]).
pub(super) fn short_code_en_anchored_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)\A(?:text|txt|sms|send|reply|call|dial)\b[^0-9\n]{0,24}?\b([0-9]{3,6})\b")
            .unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|_| unreachable!()))
    })
}

/// A Unicode word character, as the regex engine's `\b` sees it.
pub(super) fn is_word_char(c: char) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"\A\w\z")
            .unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|_| unreachable!()))
    });
    let mut buf = [0u8; 4];
    re.is_match(c.encode_utf8(&mut buf))
}

/// Where the English short-code words start in `text` (any ASCII case), in order.
///
/// A plain (non-overlapping) search is enough: a word it skips starts strictly inside one it
/// reported, right after an ASCII letter, where the regex's leading `\b` cannot hold.
pub(super) fn english_short_code_words(text: &str) -> Vec<usize> {
    static AC: OnceLock<Option<aho_corasick::AhoCorasick>> = OnceLock::new();
    let ac = AC.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(["text", "txt", "sms", "send", "reply", "call", "dial"])
            .ok()
    });
    let Some(ac) = ac else {
        return Vec::new();
    };
    ac.find_iter(text).map(|m| m.start()).collect()
}

/// Longest span the English half can match from its first letter: a word (5 bytes), up to 24
/// characters of gap (4 bytes each), 6 digits; plus the character after it, which its final
/// `\b` looks at.
pub(super) const SHORT_CODE_EN_SPAN: usize = 5 + 24 * 4 + 6 + 4;

/// The English half's match starting exactly at `at` (a found word), with its digits.
pub(super) fn english_short_code_at(text: &str, at: usize) -> Option<(usize, &str)> {
    // The leading `\b`: the word's first letter is a word character, so the one before it
    // must not be.
    let before = text.get(..at).and_then(|b| b.chars().next_back());
    if before.is_some_and(is_word_char) {
        return None;
    }
    let mut end = (at + SHORT_CODE_EN_SPAN).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let window = text.get(at..end)?;
    let c = short_code_en_anchored_re().captures(window)?;
    let whole = c.get(0)?;
    let digits = c.get(1)?;
    Some((at + whole.end(), digits.as_str()))
}

/// Short codes in `text`, in order: the captures of [`short_code_re`], found faster.
///
/// That regex's English half uses Unicode word boundaries, which send the regex engine to its
/// slow fallback (a PikeVM over the whole text) on any text with a non-ASCII character: every
/// Chinese message, and it cost 80 % of a mixed English/Chinese stream. So on such text:
/// - the Chinese half runs alone (it has no word boundary: plain lazy DFA);
/// - the English half is tried only where one of its words starts (one Aho-Corasick pass),
///   anchored there, on a window as long as its longest match;
/// - the two are merged as the combined regex's iterator does: leftmost match first (the two
///   halves can never start at the same place: one starts with a Latin letter, the other with
///   a Chinese character), the next search starting where the last match ended.
///
/// Under Unicode case folding the English words have one non-ASCII spelling, with U+017F `ſ`
/// for `s`; a text holding it goes to the combined regex, as does plain ASCII text (where the
/// combined regex is fast).
pub(super) fn short_codes(text: &str) -> Vec<&str> {
    // Both halves end in three to six ASCII digits: without such a run there is nothing to
    // find (the common case, checked in one cheap pass).
    if !text
        .as_bytes()
        .windows(3)
        .any(|w| w.iter().all(u8::is_ascii_digit))
    {
        return Vec::new();
    }
    if text.is_ascii() || text.contains('\u{17f}') {
        return short_code_re()
            .captures_iter(text)
            .filter_map(|c| c.get(1).or_else(|| c.get(2)).map(|m| m.as_str()))
            .collect();
    }
    let words = english_short_code_words(text);
    let zh = short_code_zh_re();
    if words.is_empty() {
        return zh
            .captures_iter(text)
            .filter_map(|c| c.get(1).map(|m| m.as_str()))
            .collect();
    }
    let mut out = Vec::new();
    let mut pos = 0;
    let mut next_word = 0;
    // The next Chinese match at or after `pos` (kept while still ahead of `pos`).
    let mut zh_next: Option<(usize, usize, &str)> = None;
    let mut zh_done = false;
    loop {
        if !zh_done && zh_next.is_none_or(|(start, _, _)| start < pos) {
            zh_next = zh.captures_at(text, pos).and_then(|c| {
                let all = c.get(0)?;
                let d = c.get(1)?;
                Some((all.start(), all.end(), d.as_str()))
            });
            zh_done = zh_next.is_none();
        }
        // The first English match starting at or after `pos`, before the Chinese one.
        let limit = zh_next.map_or(usize::MAX, |(start, _, _)| start);
        let mut en = None;
        while let Some(&at) = words.get(next_word) {
            if at < pos {
                next_word += 1;
                continue;
            }
            if at > limit {
                break;
            }
            next_word += 1;
            if let Some((end, d)) = english_short_code_at(text, at) {
                en = Some((end, d));
                break;
            }
        }
        match (en, zh_next) {
            (Some((end, d)), _) => {
                out.push(d);
                pos = end;
            }
            (None, Some((_, end, d))) => {
                out.push(d);
                pos = end;
                zh_next = None;
            }
            (None, None) => break,
        }
    }
    out
}

/// Phone-number-like strings in free text, in order, without duplicates: 7-17 digit runs with
/// ordinary separators, plus short codes after "text/call/reply ... to". Money (`$1,537.35`),
/// dates (`2024-05-21`), order numbers (`#219-6044388-8470`) and long digit runs are skipped.
pub fn find_in_text(text: &str) -> Vec<String> {
    find_spans_in_text(text)
        .into_iter()
        .filter_map(|r| text.get(r).map(str::to_string))
        .collect()
}

/// Where [`find_in_text`]'s numbers are in `text` (byte ranges, same order): the text check
/// finds numbers in normalised text and cuts what it reports from the original at these places.
pub fn find_spans_in_text(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    let push = |s: &str, out: &mut Vec<std::ops::Range<usize>>| {
        let s = s.trim_end_matches(['-', '.', ' ', '(', '/']).trim();
        let Some(start) = offset_in(text, s) else {
            return;
        };
        if !s.is_empty() && !out.iter().any(|o| text.get(o.clone()) == Some(s)) && out.len() < 50 {
            out.push(start..start + s.len());
        }
    };
    for m in number_re().find_iter(text) {
        let s = m.as_str();
        let before = text.get(..m.start()).and_then(|b| b.chars().next_back());
        let after = text.get(m.end()..).and_then(|a| a.chars().next());
        if matches!(before, Some('$' | '£' | '€' | '¥' | '#' | '￥' | '№'))
            || before.is_some_and(|c| c.is_alphanumeric() && c.is_ascii())
            || matches!(after, Some('%' | '元' | '块' | '万'))
            || after.is_some_and(|c| c.is_ascii_alphanumeric())
        {
            continue;
        }
        let digits = s.chars().filter(|c| c.is_numeric()).count();
        let plus = s.starts_with(['+', '＋']);
        if digits > MAX_DIGITS + 2 {
            // Report absurdly long runs only when they look written as a phone number.
            if plus {
                push(s, &mut out);
            }
            continue;
        }
        if digits < 7 {
            continue;
        }
        if is_date_or_order(s) {
            continue;
        }
        push(s, &mut out);
    }
    for m in short_codes(text) {
        push(m, &mut out);
    }
    out
}

/// Byte offset of `part` in `text`, when `part` is a slice of `text` (every match and trim
/// above is one).
pub(super) fn offset_in(text: &str, part: &str) -> Option<usize> {
    let start = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    (start + part.len() <= text.len()).then_some(start)
}

/// `2024-05-21`, `21.05.2024`, `219-6044388-8470` (Amazon order ids): not phone numbers.
pub(super) fn is_date_or_order(s: &str) -> bool {
    let groups: Vec<usize> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .map(str::len)
        .collect();
    matches!(groups.as_slice(), [4, 2, 2] | [2, 2, 4] | [3, 7, 7])
}
