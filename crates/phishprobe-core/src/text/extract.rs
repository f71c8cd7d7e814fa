//! Links and language in free text.

use std::sync::OnceLock;

use regex::Regex;

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

/// Links in (normalised) text: full URLs and bare hosts like `amazon-verify.top/reset`.
/// A bare name counts only when its last label is a real public suffix (so `e.g`, `file.pdf`
/// and `mr.smith` are not links) and it isn't the domain half of an email address.
pub fn urls(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in url_re().find_iter(text) {
        if out.len() >= MAX_URLS {
            break;
        }
        let before = text.get(..m.start()).and_then(|b| b.chars().next_back());
        if matches!(before, Some('@' | '.' | '-' | '_')) {
            continue;
        }
        let s = m
            .as_str()
            .trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '>', '\'', '"']);
        let has_scheme = s.contains("://") || s.starts_with("www.");
        let s = s.replacen("hxxp", "http", 1);
        if !has_scheme {
            let host = host_of(&s);
            let tld = host.rsplit('.').next().unwrap_or("");
            let known = psl::suffix(host.as_bytes()).is_some_and(|x| x.is_known());
            // Two-letter "words" such as "no.1" or "u.s" fall through here: require a known
            // suffix and a first label longer than one letter.
            let first = host.split('.').next().unwrap_or("");
            if !known || tld.len() < 2 || first.len() < 2 || tld.bytes().any(|b| b.is_ascii_digit())
            {
                continue;
            }
            // Chat text skips the space after a full stop ("nice.now", "title.so"): without a
            // path, a top-level name that is also a common word or chat abbreviation is
            // read as two words, not a link.
            let has_path = s.contains('/');
            if !has_path && WORDLIKE_TLDS.contains(&tld) {
                continue;
            }
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
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

    #[test]
    fn finds_links_and_bare_hosts() {
        let v = urls(
            "go to amazon-verify.top/reset now, or https://x.example.com/a?b=1. e.g. file.pdf mail me@amazon.com",
        );
        assert_eq!(
            v,
            vec!["amazon-verify.top/reset", "https://x.example.com/a?b=1"]
        );
        assert_eq!(host_of("https://user@a.b.com:8080/x"), "a.b.com");
    }

    #[test]
    fn language() {
        assert_eq!(detect_lang("您的账户已被冻结"), "zh");
        assert_eq!(detect_lang("your account is locked"), "en");
        assert_eq!(detect_lang("12345"), "unknown");
    }
}
