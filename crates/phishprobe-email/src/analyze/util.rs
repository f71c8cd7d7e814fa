//! Small helpers over addresses, hosts and text shared by the weighing steps.

use mail_parser::Address;
use phishprobe_core::host::psl::registrable;

use phishprobe_core::unicode::is_invisible;

/// `s` cut to at most `max` bytes, at a character boundary.
pub(crate) fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut e = max;
    while !s.is_char_boundary(e) {
        e -= 1;
    }
    &s[..e]
}

/// The URL punctuation a redirect parameter percent-encodes (`%3a%2f%2f`, twice encoded
/// `%253a`), decoded: enough to see which host a lowercase redirector URL hands over to.
pub(crate) fn decode_url_punctuation(lower: &str) -> String {
    let mut s = lower.replace("%25", "%");
    for (enc, c) in [
        ("%3a", ":"),
        ("%2f", "/"),
        ("%3f", "?"),
        ("%3d", "="),
        ("%26", "&"),
        ("%40", "@"),
        ("%23", "#"),
        ("%2e", "."),
    ] {
        s = s.replace(enc, c);
    }
    s
}

/// Domain part of an address, lowercase, without trailing dot or brackets.
pub fn domain_of(addr: &str) -> String {
    let a = addr.trim().trim_matches(['<', '>', '"', '\'', ' ']);
    match a.rsplit_once('@') {
        Some((_, d)) => d
            .trim()
            .trim_end_matches('.')
            .trim_matches(['>', '"', '\''])
            .to_lowercase(),
        None => String::new(),
    }
}

/// Display name, address and mailbox count of an address header.
pub(crate) fn first_addr(a: Option<&Address<'_>>) -> (String, String, usize) {
    let Some(a) = a else {
        return (String::new(), String::new(), 0);
    };
    let count = a.iter().count();
    // "Brand, Brand, <x@y>" parses as several mailboxes, only the last with an address: the
    // name is the first one given, the address the first one that exists.
    let name = a
        .iter()
        .find_map(|x| x.name().filter(|n| !n.trim().is_empty()))
        .unwrap_or("")
        .trim()
        .to_string();
    let addr = a
        .iter()
        .find_map(|x| x.address().filter(|n| n.contains('@')))
        .or_else(|| a.first().and_then(|x| x.address()))
        .unwrap_or("")
        .trim()
        .to_string();
    (name, addr, count)
}

/// Whether a domain could exist on the Internet: ASCII or IDN labels, a dot, a real suffix.
pub(crate) fn domain_plausible(d: &str) -> bool {
    if d.is_empty() || d.len() > 253 || !d.contains('.') {
        return false;
    }
    if d.split('.')
        .any(|l| l.is_empty() || l.len() > 63 || l.starts_with('-') || l.ends_with('-'))
    {
        return false;
    }
    if !d
        .chars()
        .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
    {
        return false;
    }
    let tld = d.rsplit('.').next().unwrap_or("");
    if tld.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    !d.is_ascii() || registrable(d).icann.is_some()
}

/// The registrable (ICANN) domain of a host, or the host itself.
pub(crate) fn reg(host: &str) -> String {
    registrable(host)
        .icann
        .map(str::to_string)
        .unwrap_or_else(|| host.to_string())
}

/// Host of a URL-ish string (`https://a.b/x`, `www.a.b`, `a.b`), lowercase; empty if none.
pub fn host_of(u: &str) -> String {
    let s = u.trim();
    let s = match s.find("://") {
        Some(p) => &s[p + 3..],
        None => s,
    };
    let end = s.find(['/', '?', '#', ' ', '\\']).unwrap_or(s.len());
    let hostport = &s[..end];
    let host = hostport.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("");
    host.trim_end_matches('.').to_lowercase()
}

/// A host named in link text (`www.amazon.com`, `https://amazon.com/...`, `amazon.com`).
pub(crate) fn shown_host(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() || t.len() > 200 || t.contains(char::is_whitespace) {
        return None;
    }
    let h = host_of(t);
    let looks = h.contains('.')
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && h.rsplit('.')
            .next()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
        && registrable(&h).icann.is_some();
    looks.then_some(h)
}

/// Plain-text URLs: `http(s)://...` and `www....`, cleaned of trailing punctuation.
pub fn text_urls(text: &str, max: usize, out: &mut Vec<String>) {
    let lower = text.to_ascii_lowercase();
    let mut starts: Vec<usize> = Vec::new();
    for pat in ["http://", "https://", "www."] {
        let f = memchr::memmem::Finder::new(pat.as_bytes());
        for p in f.find_iter(lower.as_bytes()) {
            if pat == "www."
                && p > 0
                && !matches!(
                    lower.as_bytes()[p - 1],
                    b' ' | b'\n' | b'\t' | b'(' | b'<' | b'"' | b'\'' | b'['
                )
            {
                continue;
            }
            starts.push(p);
            if starts.len() > max * 4 {
                break;
            }
        }
    }
    starts.sort_unstable();
    starts.dedup();
    let mut last_end = 0;
    for s in starts {
        if s < last_end || out.len() >= max {
            continue;
        }
        let rest = &text[s..];
        let end = rest
            .find(|c: char| {
                c.is_whitespace()
                    || matches!(c, '<' | '>' | '"' | '\'' | '`' | '|' | '{' | '}' | '^')
            })
            .unwrap_or(rest.len());
        let u = rest[..end].trim_end_matches(['.', ',', ';', ':', ')', ']', '!', '?', '*']);
        last_end = s + end;
        if u.len() > 8 {
            out.push(u.to_string());
        }
    }
}

/// Words that go with a brand name in a service or logo name ("Amazon Sign-In", "Amazon logo").
const SERVICE_WORDS: &[&str] = &[
    "account",
    "sign",
    "in",
    "signin",
    "login",
    "log",
    "security",
    "order",
    "orders",
    "notification",
    "notifications",
    "notice",
    "service",
    "services",
    "support",
    "customer",
    "help",
    "update",
    "confirmation",
    "verification",
    "verify",
    "your",
    "my",
    "the",
    "logo",
    "team",
    "center",
    "centre",
    "alert",
    "payment",
    "payments",
    "billing",
    "membership",
    "prime",
    "delivery",
    "shipping",
    "status",
    "com",
    "inc",
    "store",
    "seller",
    "central",
    "official",
    "de",
    "uk",
    "co",
    "jp",
    "fr",
    "it",
    "es",
    "ca",
    "-",
    "|",
    ":",
    "&",
    "®",
    "™",
    "©",
];

/// Whether `text` (folded) is the brand word plus service words only.
pub(crate) fn names_only_brand(text: &str, brand_word: &str) -> bool {
    let rest = text.replacen(brand_word, " ", 1);
    rest.split(|c: char| {
        c.is_whitespace() || matches!(c, '.' | ',' | '-' | '|' | ':' | '!' | '(' | ')')
    })
    .filter(|w| !w.is_empty() && !SERVICE_WORDS.contains(w))
    .count()
        == 0
}

/// `<"no-reply@brand.example">`: the angle address is one quoted string with no domain after it.
pub(crate) fn quoted_only_address(raw_from: &str) -> bool {
    let Some(lt) = raw_from.rfind('<') else {
        return false;
    };
    let inner = raw_from[lt + 1..].trim_end().trim_end_matches('>').trim();
    inner.len() >= 2 && inner.starts_with('"') && inner.ends_with('"') && inner.contains('@')
}

/// Whether a display name carries a run of 12 or more filler characters (underscores, dots,
/// dashes, spaces of any width, invisible characters).
pub(crate) fn padded_name(name: &str) -> bool {
    let mut run = 0;
    for c in name.chars() {
        if matches!(
            c,
            '_' | '.' | '-' | '=' | '*' | '~' | '\u{3000}' | '\u{2800}'
        ) || c.is_whitespace()
            || is_invisible(c)
        {
            run += 1;
            if run >= 12 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// A bulk-mailer placeholder left in the text: Mailchimp-style `*|FNAME|*` or the
/// `[%%RndString%%]` macros of spam senders. Genuine senders' tools fill them in.
pub(crate) fn unfilled_template(text: &str) -> Option<String> {
    let b = text.as_bytes();
    for p in memchr::memmem::find_iter(b, b"*|") {
        let rest = b.get(p + 2..).unwrap_or(&[]);
        let n = rest
            .iter()
            .take(40)
            .take_while(|c| {
                c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, b'_' | b':')
            })
            .count();
        if n >= 2 && rest.get(n..n + 2) == Some(b"|*") {
            return text.get(p..p + n + 4).map(str::to_string);
        }
    }
    let p = memchr::memmem::find(b, b"[%%")?;
    let e = memchr::memmem::find(b.get(p..)?, b"%%]").filter(|e| *e < 120)?;
    text.get(p..p + e + 3).map(str::to_string)
}

/// Whether the subject and text say the message forwards another one.
pub(crate) fn is_forward(subject: &str, body: &str) -> bool {
    let s = subject.trim_start().to_lowercase();
    let subj = [
        "fwd:", "fw:", "wg:", "tr:", "enc:", "rv:", "doorst:", "转发",
    ]
    .iter()
    .any(|p| s.starts_with(p));
    let b = body.to_lowercase();
    subj && [
        "forwarded message",
        "begin forwarded message",
        "original message",
        "weitergeleitete nachricht",
        "mensagem encaminhada",
        "message transféré",
        "mensaje reenviado",
        "转发的邮件",
    ]
    .iter()
    .any(|m| b.contains(m))
}
/// Chinese display name with an English fallback.
pub(crate) trait NameZh {
    fn name_zh_or<'a>(&'a self, fallback: &'a str) -> &'a str;
}
impl NameZh for phishprobe_core::BrandProfile {
    fn name_zh_or<'a>(&'a self, fallback: &'a str) -> &'a str {
        if self.name_zh.is_empty() {
            fallback
        } else {
            &self.name_zh
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_domains() {
        assert_eq!(domain_of("<Bob@Example.COM.>"), "example.com");
        assert_eq!(
            host_of("https://user@www.Amazon.com:443/x?y"),
            "www.amazon.com"
        );
        assert_eq!(shown_host("www.amazon.com"), Some("www.amazon.com".into()));
        assert_eq!(shown_host("Click here"), None);
        assert!(domain_plausible("example.co.uk"));
        assert!(!domain_plausible("correios"));
        assert!(!domain_plausible("bonus%.net-3-5"));
        assert!(!domain_plausible("shein-survey-free,net"));
    }

    #[test]
    fn padded_names() {
        assert!(padded_name(&format!("Promo {}", "_".repeat(40))));
        assert!(padded_name(&format!("Bank{}x", "\u{2800}".repeat(20))));
        assert!(!padded_name("Dr. J. R. R. Tolkien -- Author"));
    }

    #[test]
    fn template_placeholders() {
        assert_eq!(
            unfilled_template("Hi *|FNAME|*, news").as_deref(),
            Some("*|FNAME|*")
        );
        assert_eq!(
            unfilled_template("go https://[%%ORandStr,1-100%%]/x").as_deref(),
            Some("[%%ORandStr,1-100%%]")
        );
        assert!(unfilled_template("a *| b |* c, 50%% off [%% ").is_none());
    }

    #[test]
    fn plain_text_urls() {
        let mut v = Vec::new();
        text_urls(
            "See https://a.example/x, and www.b.example. Also (http://c.example/y).",
            10,
            &mut v,
        );
        assert_eq!(
            v,
            ["https://a.example/x", "www.b.example", "http://c.example/y"]
        );
    }
}
