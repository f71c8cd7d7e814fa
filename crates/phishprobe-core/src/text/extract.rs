//! Links and language in free text.

use std::sync::OnceLock;

use regex::Regex;

use super::normalize::Normalized;

/// Most links looked at per text: a 50 MB paste must not turn into a million URL checks.
pub const MAX_URLS: usize = 20;

fn url_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(concat!(
            r"(?:https?://|hxxps?://|www\.)[^\s<>'`{}|\\^\x22]+",
            r"|(?-u:\b)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}(?-u:\b)(?::[0-9]{1,5})?(?:/[^\s<>'`{}|\\^\x22]*)?"
        ))
        .unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|_| unreachable!()))
    })
}

/// Punctuation of Chinese text that survives normalisation (the full-width comma, brackets
/// and marks fold to ASCII) and never belongs to a link.
const CJK_PUNCTUATION: [char; 10] = ['。', '、', '「', '」', '『', '』', '《', '》', '【', '】'];

/// Top-level domains that are also words or chat shorthand (see [`urls`]).
const WORDLIKE_TLDS: &[&str] = &[
    "a", "am", "an", "as", "at", "be", "by", "da", "do", "go", "he", "hi", "id", "if", "in", "is",
    "it", "la", "lo", "ma", "me", "mo", "my", "no", "nu", "ok", "on", "or", "pa", "so", "to", "tv",
    "up", "us", "we", "ye", "ya", "ur", "now", "how", "new", "one", "win", "fun", "run", "day",
    "today", "lol", "xxx", "sun", "you", "got", "are", "can", "here", "there", "love", "life",
    "live", "what", "now", "soon", "care", "hot", "kim", "sex", "work", "yoga", "ltd", "bar",
    "pub", "red", "wed", "cool", "men", "moe", "mom", "dad", "baby", "kids", "boo", "fyi", "ooo",
    "bye", "tips", "best", "fit", "free", "game", "ing", "off", "pics", "pink", "fan", "foo",
    "hsbc", "next", "page", "world", "plus", "place", "read", "rest", "sale", "show", "talk",
    "team", "bet", "bid", "cab", "car", "cat", "dog", "eat", "fly", "gay", "guru", "ink",
];

/// Host part of a URL-ish string (no scheme, no path, no port).
pub fn host_of(u: &str) -> &str {
    let rest = u.split_once("://").map_or(u, |(_, r)| r);
    let end = rest.find(['/', '?', '#', ':']).unwrap_or(rest.len());
    let host = rest.get(..end).unwrap_or(rest);
    host.rsplit('@').next().unwrap_or(host)
}

/// Links in a text: full URLs and bare hosts like `amazon-verify.top/reset`, found in the
/// normalised text (so look-alike letters, full-width forms and split words don't hide them)
/// but cut from the original characters: each link is exactly as the person received it —
/// `amaz0n-seller.cn`, not the de-confused `amazon-seller.cn`, which would name (and be
/// judged as) another host — and `check_url` on it is the link's own verdict. A defanged
/// `hxxp://` stays as written (the URL check reads its host all the same); a scheme written in
/// full-width letters is left out, since no browser reads it as one, and the link starts at
/// its host.
///
/// A bare name counts only when its last label is a real public suffix (so `e.g`, `file.pdf`
/// and `mr.smith` are not links) and it isn't the domain half of an email address. A match
/// whose original spans whitespace (spaced-out letters joined into `amazon.com`) is no link
/// anyone can open, and is dropped.
pub fn urls(norm: &Normalized<'_>) -> Vec<String> {
    let text = norm.text.as_str();
    let mut out: Vec<String> = Vec::new();
    for m in url_re().find_iter(text) {
        if out.len() >= MAX_URLS {
            break;
        }
        let before = text.get(..m.start()).and_then(|b| b.chars().next_back());
        if matches!(before, Some('@' | '.' | '-' | '_')) {
            continue;
        }
        // Chinese sentence punctuation ends a link (`…/reset。请`): no URL is written with it.
        let s = m.as_str();
        let s = s
            .find(CJK_PUNCTUATION)
            .and_then(|end| s.get(..end))
            .unwrap_or(s);
        let s = s.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '>', '\'', '"']);
        let has_scheme = s.contains("://") || s.starts_with("www.");
        if !has_scheme && !is_bare_link(s) {
            continue;
        }
        let written = written_link(norm, m.start(), s);
        if written.is_empty() || written.chars().any(char::is_whitespace) {
            continue;
        }
        if !out.iter().any(|o| o == written) {
            out.push(written.to_string());
        }
    }
    out
}

/// Whether a (normalised) match without a scheme reads as a link rather than words.
fn is_bare_link(s: &str) -> bool {
    let host = host_of(s);
    let tld = host.rsplit('.').next().unwrap_or("");
    let known = psl::suffix(host.as_bytes()).is_some_and(|x| x.is_known());
    // Two-letter "words" such as "no.1" or "u.s" fall through here: require a known
    // suffix and a first label longer than one letter.
    let first = host.split('.').next().unwrap_or("");
    if !known || tld.len() < 2 || first.len() < 2 || tld.bytes().any(|b| b.is_ascii_digit()) {
        return false;
    }
    // Chat text skips the space after a full stop ("nice.now", "title.so"): without a
    // path, a top-level name that is also a common word or chat abbreviation is
    // read as two words, not a link.
    s.contains('/') || !WORDLIKE_TLDS.contains(&tld)
}

/// The original characters of the link `link` found at `start` of the normalised text, from
/// its host on when its scheme is not written in plain ASCII (`ｈｔｔｐｓ://`).
fn written_link<'a>(norm: &Normalized<'a>, start: usize, link: &str) -> &'a str {
    let end = start + link.len();
    let whole = norm.original_slice(start, end);
    match link.find("://") {
        Some(i) if !norm.original_slice(start, start + i + 3).is_ascii() => {
            norm.original_slice(start + i + 3, end)
        }
        _ => whole,
    }
}

/// Rough language of a text: `zh` (mostly Han), `en` (Latin letters), `mixed`, or `unknown`
/// when there are no letters at all. Only reported; pattern choice is `--text-lang`.
pub fn detect_lang(text: &str) -> &'static str {
    let (mut han, mut latin) = (0usize, 0usize);
    for c in text.chars().take(20_000) {
        if c.is_ascii_alphabetic() {
            latin += 1;
        } else if ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c) {
            han += 1;
        }
    }
    // A Han character carries about as much as a short English word.
    let han_w = han * 4;
    match (han_w, latin) {
        (0, 0) => "unknown",
        (h, l) if h >= l * 4 => "zh",
        (h, l) if l >= h * 4 => "en",
        _ => "mixed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::text::normalize;

    #[test]
    fn finds_links_and_bare_hosts() {
        let v = urls(&normalize(
            "go to amazon-verify.top/reset now, or https://x.example.com/a?b=1. e.g. file.pdf mail me@amazon.com",
        ));
        assert_eq!(
            v,
            vec!["amazon-verify.top/reset", "https://x.example.com/a?b=1"]
        );
        assert_eq!(host_of("https://user@a.b.com:8080/x"), "a.b.com");
        // Cut from the original at Chinese punctuation; look-alike digits kept as written.
        let v = urls(&normalize(
            "点击https://amaz0n.example.com/Reset。请在24小时内完成",
        ));
        assert_eq!(v, vec!["https://amaz0n.example.com/Reset"]);
        let v = urls(&normalize(
            "hxxps://amaz0n-seller.cn/a, HXXP://B.example.com/x",
        ));
        assert_eq!(
            v,
            vec!["hxxps://amaz0n-seller.cn/a", "HXXP://B.example.com/x"]
        );
        let v = urls(&normalize("ｈｔｔｐｓ：／／ａｍａｚｏｎ.example.com/ｘ。"));
        assert_eq!(v, vec!["ａｍａｚｏｎ.example.com/ｘ"]);
    }

    #[test]
    fn language() {
        assert_eq!(detect_lang("您的账户已被冻结"), "zh");
        assert_eq!(detect_lang("your account is locked"), "en");
        assert_eq!(detect_lang("12345"), "unknown");
    }
}
