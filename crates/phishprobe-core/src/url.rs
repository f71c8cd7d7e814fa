//! URL analysis: the host (see [`crate::host`]) plus what URLs add — userinfo tricks, IP
//! notations, ports, shorteners, redirect parameters followed offline, brand and login words in
//! the path, `data:`/`javascript:` schemes, overlong and heavily encoded URLs.

use percent_encoding::percent_decode_str;

use crate::host::{self, HostInfo, HostMemo};
use crate::knowledge::Knowledge;
use crate::model::{Finding, Message, Report, ReportBuilder, Severity, Verdict};

/// URLs longer than this are reported and only their first part is analysed.
pub const MAX_URL_LEN: usize = 16 * 1024;
/// How deep redirect parameters are followed (`?url=...?next=...`).
pub const MAX_REDIRECT_DEPTH: usize = 4;

fn msg(en: impl Into<String>, zh: impl Into<String>) -> Message {
    Message::new(en, zh)
}

/// Verdict for a URL or a bare hostname.
pub fn check(knowledge: &Knowledge, input: &str) -> Report {
    check_with(knowledge, input, &mut HostMemo::forgetful())
}

/// [`check`] for one of a batch of links (a message's), with the host analyses of the batch
/// so far: the same report, and a host the links share is analysed once.
pub fn check_with(knowledge: &Knowledge, input: &str, hosts: &mut HostMemo) -> Report {
    let mut b = ReportBuilder::new(truncate_chars(input.trim(), 2048));
    let info = analyze_with(knowledge, input, &mut b, 0, hosts);
    if info.as_ref().is_some_and(HostInfo::is_official)
        && b.findings().iter().all(|f| f.severity == Severity::Info)
    {
        b.vouch_genuine();
    }
    b.build()
}

fn truncate_chars(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Analyse a URL, pushing findings into `b`; returns the host facts when there is a host.
pub fn analyze(
    knowledge: &Knowledge,
    raw: &str,
    b: &mut ReportBuilder,
    depth: usize,
) -> Option<HostInfo> {
    analyze_with(knowledge, raw, b, depth, &mut HostMemo::forgetful())
}

fn analyze_with(
    knowledge: &Knowledge,
    raw: &str,
    b: &mut ReportBuilder,
    depth: usize,
    hosts: &mut HostMemo,
) -> Option<HostInfo> {
    let s = raw.trim();
    if s.is_empty() {
        return Some(hosts.analyze(knowledge, s, b));
    }
    let s = cut_overlong(s, b);
    if inline_scheme(s, b) {
        return None;
    }
    let has_scheme = s.find("://").is_some_and(|i| {
        s[..i]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
    });
    let owned;
    let text = if has_scheme {
        s
    } else if let Some(rest) = s.strip_prefix("//") {
        owned = format!("http://{rest}");
        &owned
    } else {
        owned = format!("http://{s}");
        &owned
    };
    let parsed = match ::url::Url::parse(text) {
        Ok(u) => u,
        Err(e) => {
            // Not a URL: maybe still a hostname with odd characters; analyse what we can.
            let host_part = authority_host(text).unwrap_or(text);
            b.push(Finding::new(
                "url.unparsable",
                Severity::Low,
                msg(
                    "This is not a valid web address; a browser would refuse or change it.",
                    "这不是有效的网址；浏览器会拒绝或改写它。",
                ),
                format!("{e}"),
            ));
            return Some(hosts.analyze(knowledge, host_part, b));
        }
    };
    match parsed.scheme() {
        "http" | "https" => {}
        other => {
            b.push(Finding::new(
                "url.unusual_scheme",
                Severity::Low,
                msg(
                    format!("The link uses \"{other}:\", not an ordinary web address."),
                    format!("该链接使用“{other}:”，不是普通网址。"),
                ),
                other.to_string(),
            ));
        }
    }
    let raw_host = authority_host(text).unwrap_or("");
    let Some(host_str) = parsed.host_str() else {
        b.push(Finding::new(
            "url.no_host",
            Severity::Info,
            msg("The link names no website.", "该链接没有指明网站。"),
            truncate_chars(s, 120),
        ));
        return None;
    };
    let info = link_host(knowledge, &parsed, raw_host, host_str, b, hosts);
    userinfo(knowledge, &parsed, b, hosts);
    if let Some(port) = parsed.port() {
        b.push(Finding::new(
            "url.port",
            Severity::Low,
            msg(
                format!("The link goes to an unusual port ({port}); big brands' sites never do."),
                format!("该链接指向不常见的端口（{port}）；大品牌网站从不这样做。"),
            ),
            port.to_string(),
        ));
    }
    if let Some(r) = knowledge.shortener(&info.ascii) {
        b.push(Finding::new(
            "url.shortener",
            Severity::Low,
            msg(
                "This is a short link: where it really leads is hidden until you open it.",
                "这是短链接：打开之前无法看到它真正的去向。",
            ),
            r.domain.clone(),
        ));
    }
    redirects(knowledge, &parsed, &info, b, depth, hosts);
    path_words(knowledge, &parsed, &info, b);
    encoding(s, b);
    Some(info)
}

/// A link longer than [`MAX_URL_LEN`] is reported and cut there (on a character boundary).
fn cut_overlong<'a>(s: &'a str, b: &mut ReportBuilder) -> &'a str {
    let mut s = s;
    if s.len() > MAX_URL_LEN {
        b.push(Finding::new(
            "url.overlong",
            Severity::Low,
            msg(
                "The link is extremely long, a way to hide where it really goes.",
                "该链接极长，这是隐藏真实去向的手法。",
            ),
            format!("{} bytes", s.len()),
        ));
        let mut end = MAX_URL_LEN;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s = &s[..end];
    }
    s
}

/// A `javascript:`, `vbscript:` or `data:` link: reported, and nothing further to check.
fn inline_scheme(s: &str, b: &mut ReportBuilder) -> bool {
    let lower_head: String = s.chars().take(16).collect::<String>().to_ascii_lowercase();
    let lower_head = lower_head.trim_start();
    if lower_head.starts_with("javascript:") || lower_head.starts_with("vbscript:") {
        b.push(Finding::new(
            "url.script_scheme",
            Severity::High,
            msg(
                "The link runs a script instead of opening a web page.",
                "该链接会运行脚本，而不是打开网页。",
            ),
            truncate_chars(s, 120),
        ));
        return true;
    }
    if lower_head.starts_with("data:") {
        let html = s
            .get(..64)
            .unwrap_or(s)
            .to_ascii_lowercase()
            .contains("html");
        b.push(Finding::new(
            "url.data_scheme",
            if html { Severity::High } else { Severity::Medium },
            msg(
                "The link carries a whole page inside itself (data: URL), so no real website stands behind it.",
                "该链接自身携带整个页面（data: 网址），背后没有真实网站。",
            ),
            truncate_chars(s, 120),
        ));
        return true;
    }
    false
}

/// The host analysis of a parsed link: an IP literal as the parser normalised it (and whether
/// the text hid it in an odd number format), a name as written when that is close to what the
/// parser kept.
fn link_host(
    knowledge: &Knowledge,
    parsed: &::url::Url,
    raw_host: &str,
    host_str: &str,
    b: &mut ReportBuilder,
    hosts: &mut HostMemo,
) -> HostInfo {
    // The WHATWG parser normalises hex/octal/decimal IPv4; say what the text really was.
    if matches!(
        parsed.host(),
        Some(::url::Host::Ipv4(_)) | Some(::url::Host::Ipv6(_))
    ) {
        let obfuscated = !raw_host.eq_ignore_ascii_case(host_str)
            && !raw_host
                .trim_matches(|c| c == '[' || c == ']')
                .eq_ignore_ascii_case(host_str.trim_matches(|c| c == '[' || c == ']'));
        if obfuscated {
            b.push(Finding::new(
                "url.ip_obfuscated",
                Severity::High,
                msg(
                    "The link hides a bare IP address in an unusual number format.",
                    "该链接用不常见的数字格式隐藏了一个裸 IP 地址。",
                ),
                format!("{raw_host} = {host_str}"),
            ));
        }
        hosts.analyze(knowledge, host_str, b)
    } else {
        // Analyse the host as written (Unicode, hidden characters) when it is close to what
        // the parser kept; the parser's ASCII form otherwise.
        let as_written = if raw_host.len() <= host::MAX_HOST_LEN * 4 && !raw_host.is_empty() {
            raw_host
        } else {
            host_str
        };
        hosts.analyze(knowledge, as_written, b)
    }
}

/// The host part of `scheme://user@host:port/...` exactly as written.
fn authority_host(text: &str) -> Option<&str> {
    let after = text.split_once("://").map(|(_, r)| r).unwrap_or(text);
    let end = after.find(['/', '?', '#', '\\']).unwrap_or(after.len());
    let authority = after.get(..end)?;
    let hostport = authority
        .rsplit_once('@')
        .map(|(_, h)| h)
        .unwrap_or(authority);
    if hostport.starts_with('[') {
        return hostport.find(']').and_then(|i| hostport.get(..=i));
    }
    Some(
        hostport
            .rsplit_once(':')
            .map(|(h, _)| h)
            .unwrap_or(hostport),
    )
}

fn userinfo(knowledge: &Knowledge, u: &::url::Url, b: &mut ReportBuilder, hosts: &mut HostMemo) {
    let user = u.username();
    if user.is_empty() && u.password().is_none() {
        return;
    }
    let decoded = percent_decode_str(user).decode_utf8_lossy().to_lowercase();
    let mut probe = ReportBuilder::new("");
    let userinfo_host = hosts.analyze(knowledge, &decoded, &mut probe);
    let brand = userinfo_host
        .brand
        .and_then(|i| knowledge.brand(i))
        .map(|p| p.name.clone());
    match brand {
        Some(name) => {
            if let Some(p) = userinfo_host.brand.and_then(|i| knowledge.brand(i)) {
                b.brand(&p.id);
            }
            b.push(Finding::new(
                "url.userinfo_brand",
                Severity::High,
                msg(
                    format!("The link shows \"{decoded}\" before an @ sign: browsers ignore that part, so this is not {name}."),
                    format!("该链接在 @ 符号前显示“{decoded}”：浏览器会忽略这部分，所以这不是 {name}。"),
                ),
                format!("{decoded}@{}", u.host_str().unwrap_or("")),
            ));
        }
        None => {
            b.push(Finding::new(
                "url.userinfo",
                Severity::Medium,
                msg(
                    "The link has text before an @ sign in the address, a trick to disguise the real site.",
                    "该链接地址中 @ 符号前有文字，这是伪装真实网站的手法。",
                ),
                format!("{decoded}@"),
            ));
        }
    }
}

/// Follow redirect parameters offline: `?url=`, `?redirect=`, `?z=`... and any parameter
/// whose value is itself a URL, nested and percent-encoded.
fn redirects(
    knowledge: &Knowledge,
    u: &::url::Url,
    outer: &HostInfo,
    b: &mut ReportBuilder,
    depth: usize,
    hosts: &mut HostMemo,
) {
    if depth >= MAX_REDIRECT_DEPTH {
        return;
    }
    let mut seen = 0;
    let fragment_pairs = u
        .fragment()
        .map(|f| ::url::form_urlencoded::parse(f.trim_start_matches(['!', '/', '?']).as_bytes()))
        .into_iter()
        .flatten();
    let candidates = u
        .query_pairs()
        .chain(fragment_pairs)
        .map(|(_, v)| v.into_owned())
        .chain(path_embedded_url(u));
    for value in candidates {
        if seen >= 8 {
            break;
        }
        let Some(target) = as_url(&value) else {
            continue;
        };
        seen += 1;
        let mut inner = ReportBuilder::new(target.clone());
        let inner_info = analyze_with(knowledge, &target, &mut inner, depth + 1, hosts);
        let inner_official = inner_info.as_ref().is_some_and(HostInfo::is_official);
        if let Some(br) = inner.current_brand() {
            let br = br.to_string();
            b.brand(&br);
        }
        let inner_report = inner.build();
        let inner_host = inner_info.map(|i| i.ascii).unwrap_or_default();
        if inner_host.is_empty() || inner_host == outer.ascii {
            continue;
        }
        match inner_report.verdict {
            Verdict::Phishing | Verdict::Suspicious => {
                let sev = if inner_report.verdict == Verdict::Phishing {
                    Severity::High
                } else {
                    Severity::Medium
                };
                b.push(Finding::new(
                    "url.redirect_to_bad",
                    sev,
                    msg(
                        format!("The link passes you on to another site, {inner_host}, which is itself {}.", inner_report.verdict.as_str()),
                        format!("该链接会把您转到另一个网站 {inner_host}，该网站本身被判定为{}。", inner_report.verdict.as_zh()),
                    ),
                    truncate_chars(&target, 200),
                ));
                for f in inner_report
                    .findings
                    .into_iter()
                    .filter(|f| f.severity > Severity::Info)
                {
                    let mut f = f;
                    f.evidence = format!("[redirect target {inner_host}] {}", f.evidence);
                    b.push(f);
                }
            }
            _ if !inner_official && outer.is_official() => {
                b.push(Finding::new(
                    "url.redirect_off_brand",
                    Severity::Low,
                    msg(
                        format!(
                            "The link starts on a genuine site but passes you on to {inner_host}."
                        ),
                        format!("该链接从正规网站开始，却把您转到 {inner_host}。"),
                    ),
                    truncate_chars(&target, 200),
                ));
            }
            _ => {
                b.push(Finding::new(
                    "url.redirect",
                    Severity::Info,
                    msg(
                        format!("The link passes you on to {inner_host}."),
                        format!("该链接会把您转到 {inner_host}。"),
                    ),
                    truncate_chars(&target, 200),
                ));
            }
        }
    }
}

/// A URL hidden in the path: `/redirect/https://x` or `/r/https%3A%2F%2Fx`.
fn path_embedded_url(u: &::url::Url) -> Option<String> {
    let path = percent_decode_str(u.path()).decode_utf8_lossy();
    let i = path.find("http://").or_else(|| path.find("https://"))?;
    (i > 0).then(|| path[i..].to_string())
}

/// A parameter value that is a URL (after up to three rounds of percent-decoding).
fn as_url(v: &str) -> Option<String> {
    let mut cur = v.trim().to_string();
    for _ in 0..3 {
        let lower = cur
            .get(..8.min(cur.len()))
            .unwrap_or("")
            .to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Some(cur);
        }
        if lower.starts_with("//") && cur.len() > 3 {
            return Some(format!("http:{cur}"));
        }
        if lower.starts_with("www.") && cur.contains('.') {
            return Some(format!("http://{cur}"));
        }
        if !cur.contains('%') {
            return None;
        }
        cur = percent_decode_str(&cur).decode_utf8_lossy().into_owned();
    }
    None
}

/// Brand and credential words in the path or query of a host that is not the brand's.
fn path_words(knowledge: &Knowledge, u: &::url::Url, info: &HostInfo, b: &mut ReportBuilder) {
    if info.is_official() {
        return;
    }
    let mut text = percent_decode_str(u.path())
        .decode_utf8_lossy()
        .to_lowercase();
    // Redirect targets are judged on their own (see `redirects`), not as words of this URL.
    for (k, v) in u.query_pairs().take(64) {
        text.push('/');
        text.push_str(&k.to_lowercase());
        if as_url(&v).is_none() {
            text.push('=');
            text.push_str(&v.to_lowercase());
        }
    }
    if text.len() > 4096 {
        let mut end = 4096;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    let words: Vec<&str> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let login: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| {
            knowledge.is_login_word(w)
                || matches!(*w, "signin" | "login" | "logon" | "ap" | "webscr")
        })
        .collect();
    let brand = if info.brand.is_some() {
        None
    } else {
        words.iter().find_map(|w| {
            knowledge
                .matcher()
                .find_exact(w)
                .into_iter()
                .find(|m| {
                    m.kind == crate::host::matcher::Kind::Exact
                        && m.position == crate::host::matcher::Position::Whole
                })
                .map(|m| (m.brand, w.to_string()))
        })
    };
    if let Some((bi, word)) = brand {
        let Some(p) = knowledge.brand(bi) else { return };
        b.brand(&p.id);
        let sev = if login.is_empty() {
            Severity::Medium
        } else {
            Severity::High
        };
        let host = &info.ascii;
        b.push(Finding::new(
            "url.brand_in_path",
            sev,
            msg(
                format!(
                    "The page's address names {} in its path, but the site {host} is not {}.",
                    p.name, p.name
                ),
                format!(
                    "该页面地址的路径中出现 {}，但网站 {host} 并不属于 {}。",
                    p.display_name(crate::Lang::Zh),
                    p.display_name(crate::Lang::Zh)
                ),
            ),
            if login.is_empty() {
                format!("path word \"{word}\"")
            } else {
                format!("path word \"{word}\" with {}", login.join(", "))
            },
        ));
    }
}

fn encoding(s: &str, b: &mut ReportBuilder) {
    let escapes = s.matches('%').count();
    if escapes > 60 || (s.len() > 40 && escapes * 3 * 100 / s.len() > 40) {
        b.push(Finding::new(
            "url.heavily_encoded",
            Severity::Low,
            msg(
                "Much of the link is percent-encoded, which hides what it says.",
                "该链接大量使用百分号编码，掩盖了其真实内容。",
            ),
            format!("{escapes} encoded characters"),
        ));
    }
}
