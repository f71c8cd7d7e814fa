//! Reading the raw name before any brand data is consulted: the checks every input gets
//! (empty, too long, hidden or control characters), an IP literal in any notation, and the
//! punycode (UTS #46) decoding that gives the ASCII and Unicode forms. Also the small label
//! helpers the other steps share. Kept apart so the brand steps start from a clean name.

use std::ops::ControlFlow;

use super::{Analysis, MAX_HOST_LEN, msg, unicode};
use crate::model::{Finding, ReportBuilder, Severity};

/// The checks that need no brand data, in order: empty or absurdly long input, hidden
/// characters, cleaning, an IP literal, IDNA decoding, the length limit. `Break` is an answer
/// already (nothing further to check): empty, too long, or an IP.
pub(super) fn read_name(raw: &str, b: &mut ReportBuilder) -> ControlFlow<Analysis, Analysis> {
    let mut info = Analysis::default();
    if raw.trim().is_empty() {
        b.push(Finding::new(
            "input.empty",
            Severity::Info,
            msg(
                "Nothing to check: the input is empty.",
                "没有可检查的内容：输入为空。",
            ),
            "",
        ));
        return ControlFlow::Break(info);
    }
    if raw.len() > 4 * MAX_HOST_LEN {
        b.push(Finding::new(
            "host.too_long",
            Severity::Medium,
            msg(
                "The name is far longer than any real web address allows.",
                "该名称远超真实网址允许的长度。",
            ),
            format!("{} bytes", raw.len()),
        ));
        return ControlFlow::Break(info);
    }
    let hidden = unicode::hidden_chars(raw);
    if !hidden.is_empty() {
        let ev: Vec<String> = hidden
            .iter()
            .take(6)
            .map(|&c| unicode::describe_char(c))
            .collect();
        b.push(Finding::new(
            "host.hidden_chars",
            Severity::High,
            msg(
                "The name hides invisible or combining characters, a trick to look like another name.",
                "该名称藏有不可见字符或组合字符，这是伪装成其他名称的手法。",
            ),
            ev.join(", "),
        ));
    }
    let s = clean(raw, b);
    if let Some(ip) = parse_ip(&s) {
        info.ascii = s;
        info.is_ip = true;
        b.push(Finding::new(
            "host.ip_literal",
            Severity::Medium,
            msg(
                "The address is a bare IP number, not a name: genuine shops and banks never send you to one.",
                "该地址是裸 IP 数字而不是域名：正规商店和银行从不让您访问这种地址。",
            ),
            ip,
        ));
        return ControlFlow::Break(info);
    }
    let (ascii, unicode_form) = decode(s, b);
    if ascii.len() > MAX_HOST_LEN {
        b.push(Finding::new(
            "host.too_long",
            Severity::Medium,
            msg(
                "The name is longer than any real web address allows.",
                "该名称超出真实网址允许的长度。",
            ),
            format!("{} characters", ascii.len()),
        ));
    }
    info.ascii = ascii;
    info.unicode = unicode_form;
    ControlFlow::Continue(info)
}

/// Clean the raw text: trim, lowercase, drop a trailing dot and IPv6 brackets; report control
/// characters (they are never part of a real hostname).
fn clean(raw: &str, b: &mut ReportBuilder) -> String {
    let t = raw.trim();
    if t.is_ascii() && !t.bytes().any(|c| c.is_ascii_control()) {
        // The common case: plain ASCII (`to_lowercase` equals the ASCII mapping there).
        let mut s = t.to_ascii_lowercase();
        while s.ends_with('.') {
            s.pop();
        }
        if s.starts_with('[') && s.ends_with(']') && s.len() >= 2 {
            s = s[1..s.len() - 1].to_string();
        }
        return s;
    }
    let controls: Vec<char> = t.chars().filter(|c| c.is_control()).collect();
    if !controls.is_empty() {
        let ev: Vec<String> = controls
            .iter()
            .take(4)
            .map(|c| format!("U+{:04X}", *c as u32))
            .collect();
        b.push(Finding::new(
            "host.control_chars",
            Severity::Medium,
            msg(
                "The name contains control characters that never appear in a real web address.",
                "该名称含有真实网址中不会出现的控制字符。",
            ),
            ev.join(" "),
        ));
    }
    let mut s: String = if controls.is_empty() {
        t.to_lowercase()
    } else {
        t.chars()
            .filter(|c| !c.is_control())
            .collect::<String>()
            .to_lowercase()
    };
    while s.ends_with('.') {
        s.pop();
    }
    if s.starts_with('[') && s.ends_with(']') && s.len() >= 2 {
        s = s[1..s.len() - 1].to_string();
    }
    s
}

/// IPv4 in any notation (dotted, decimal, hex, octal) or IPv6, normalised by the WHATWG rules.
fn parse_ip(s: &str) -> Option<String> {
    if s.is_empty()
        || !s
            .bytes()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, b'.' | b':' | b'x' | b'X'))
    {
        return None;
    }
    match ::url::Host::parse(s) {
        Ok(::url::Host::Ipv4(ip)) => Some(if ip.to_string() == s {
            s.to_string()
        } else {
            format!("{s} = {ip}")
        }),
        Ok(::url::Host::Ipv6(ip)) => Some(ip.to_string()),
        _ if s.contains(':') => s
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|ip| ip.to_string()),
        _ => None,
    }
}

/// Whether the ACE prefix `xn--` appears (the answer of `contains("xn--")`, without the
/// substring searcher's set-up, which costs more than the search on names this short).
fn has_punycode_label(s: &str) -> bool {
    s.as_bytes().windows(4).any(|w| w == b"xn--")
}

/// ASCII and Unicode forms; broken punycode and disallowed characters become a finding.
fn decode(s: String, b: &mut ReportBuilder) -> (String, Option<String>) {
    let plain = s.bytes().all(|c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.' || c == b'_'
    });
    if plain && !has_punycode_label(&s) {
        return (s, None);
    }
    let ascii = match idna::domain_to_ascii(&s) {
        Ok(a) => a,
        Err(_) => {
            b.push(Finding::new(
                "host.idna_invalid",
                Severity::Medium,
                msg(
                    "The name is not a valid internationalised address (broken punycode or forbidden characters); browsers refuse or rewrite it.",
                    "该名称不是有效的国际化地址（punycode 损坏或含禁用字符）；浏览器会拒绝或改写它。",
                ),
                s.chars().take(120).collect::<String>(),
            ));
            return (s, None);
        }
    };
    let (unicode_form, _) = idna::domain_to_unicode(&ascii);
    if unicode_form != ascii {
        b.push(Finding::new(
            "host.idn",
            Severity::Info,
            msg(
                "The name is written with non-Latin characters (punycode); check what it really shows.",
                "该名称使用了非拉丁字符（punycode）；请核对它实际显示的内容。",
            ),
            format!("{ascii} shows as {unicode_form}"),
        ));
    }
    let unicode_form = (unicode_form != ascii).then_some(unicode_form);
    (ascii, unicode_form)
}

/// `a.b.c` -> `["a", "b", "c"]`, sized in one pass (a plain byte scan is faster than
/// `split('.')` on strings this short).
pub(super) fn labels_of(s: &str) -> Vec<&str> {
    let mut out = Vec::with_capacity(label_count(s));
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        if b == b'.' {
            out.push(s.get(start..i).unwrap_or(""));
            start = i + 1;
        }
    }
    out.push(s.get(start..).unwrap_or(""));
    out
}

/// Number of dot-separated labels (`split('.').count()`).
pub(super) fn label_count(s: &str) -> usize {
    1 + s.bytes().filter(|&b| b == b'.').count()
}
