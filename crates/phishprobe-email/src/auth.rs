//! Authentication-Results (RFC 8601): what the receiving server found for SPF, DKIM and DMARC.
//!
//! Only headers written by the receiving server count: anyone can put an
//! Authentication-Results header into a message before sending it. By default the topmost
//! header's authserv-id is trusted (the last server to handle the message adds its header on
//! top); `--authserv-id` names the receiving server explicitly.

use phishprobe_core::{Finding, Severity};
use serde::Serialize;

use crate::finding;

/// One method result (`dkim=pass header.d=example.com`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuthResult {
    /// Method: `spf`, `dkim`, `dmarc`, `arc`, `compauth`, ...
    pub method: String,
    /// Result keyword, lowercase: `pass`, `fail`, `softfail`, `none`, ...
    pub result: String,
    /// The domain the result is about: `smtp.mailfrom` (SPF), `header.d`/`header.i` (DKIM),
    /// `header.from` (DMARC). Lowercase; empty when the header gave none.
    pub domain: String,
    /// Whether that domain belongs to the brand the message claims (filled by the analysis).
    pub brand_aligned: bool,
    /// DMARC: the policy the From domain publishes (`none`, `quarantine`, `reject`), when the
    /// header says so (`policy.published-domain-policy=`, a `(p=REJECT ...)` comment, or
    /// Microsoft's `action=`). Empty when unknown.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub policy: String,
    /// Microsoft `compauth`: the reason code (`reason=001`). Empty otherwise.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// The trusted results of one message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuthSummary {
    /// The receiving server that wrote the results (or `phishprobe-verify`).
    pub authserv_id: String,
    /// One row per method result.
    pub results: Vec<AuthResult>,
}

impl AuthSummary {
    /// The results of one method.
    pub fn get(&self, method: &str) -> impl Iterator<Item = &AuthResult> {
        self.results.iter().filter(move |r| r.method == method)
    }

    /// Whether `method` passed for a domain `pred` accepts.
    pub fn passed_for(&self, method: &str, pred: impl Fn(&str) -> bool) -> bool {
        self.get(method)
            .any(|r| r.result == "pass" && pred(&r.domain))
    }
}

/// Remove RFC 5322 comments `( ... )`, nested, honouring quoted strings and backslashes.
/// The comments are returned too, each with the offset in the cleaned text where it stood:
/// receivers write the DMARC policy there (`dmarc=fail (p=REJECT sp=REJECT dis=NONE)`).
fn strip_comments(s: &str) -> (String, Vec<(usize, String)>) {
    let mut out = String::with_capacity(s.len());
    let mut comments: Vec<(usize, String)> = Vec::new();
    let mut depth = 0usize;
    let mut in_quote = false;
    let mut esc = false;
    for c in s.chars() {
        if esc {
            esc = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' => {
                esc = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            '"' if depth == 0 => {
                in_quote = !in_quote;
                out.push(c);
            }
            '(' if !in_quote => {
                if depth == 0 && comments.len() < 64 {
                    comments.push((out.len(), String::new()));
                }
                depth = depth.saturating_add(1);
            }
            ')' if !in_quote && depth > 0 => {
                depth -= 1;
                out.push(' ');
            }
            _ if depth == 0 => out.push(c),
            _ => {
                if let Some((_, text)) = comments.last_mut()
                    && text.len() < 512
                {
                    text.push(c);
                }
            }
        }
    }
    (out, comments)
}

/// The DMARC policy a result names: `policy.published-domain-policy=` / `policy.dmarc=`
/// (RFC 7489 section 11.2 and common receivers), `p=` in a comment (Google, OpenDMARC), or
/// Microsoft's `action=` (the action taken, which follows the policy: `oreject` is "reject,
/// overridden to junk").
fn dmarc_policy(prop: impl Fn(&str) -> Option<String>, comments: &str) -> String {
    let named = prop("policy.published-domain-policy").or_else(|| prop("policy.dmarc"));
    let from_comment = || {
        comments.split_whitespace().find_map(|t| {
            t.to_ascii_lowercase()
                .strip_prefix("p=")
                .map(str::to_string)
        })
    };
    let from_action = || {
        prop("action").map(|a| match a.to_ascii_lowercase().as_str() {
            "reject" | "oreject" | "pct.reject" => "reject".to_string(),
            "quarantine" | "pct.quarantine" => "quarantine".to_string(),
            "none" => "none".to_string(),
            _ => String::new(),
        })
    };
    let p = named
        .or_else(from_comment)
        .or_else(from_action)
        .unwrap_or_default()
        .to_ascii_lowercase();
    match p.as_str() {
        "none" | "quarantine" | "reject" => p,
        _ => String::new(),
    }
}

/// Parse one Authentication-Results value into its authserv-id and results.
pub fn parse(value: &str) -> (String, Vec<AuthResult>) {
    let value: String = value.chars().take(16 * 1024).collect();
    let (clean, comments) = strip_comments(&value);
    // Each part with its start offset in `clean`, so its comments can be found.
    let mut offset = 0usize;
    let mut parts = clean
        .split(';')
        .map(|p| {
            let start = offset;
            offset += p.len() + 1;
            (start, p)
        })
        .peekable();
    // RFC 8601 puts the authserv-id first; Microsoft's servers leave it out and start with a
    // result (`spf=pass ...`): then the id is empty and the first part is a result too.
    let first = parts.peek().map_or("", |(_, p)| *p);
    let first_tok = first.split_whitespace().next().unwrap_or("");
    let authserv = if first_tok.contains('=') {
        String::new()
    } else {
        parts.next();
        first_tok.trim_matches('"').to_ascii_lowercase()
    };
    let mut out = Vec::new();
    for (start, resinfo) in parts.take(64) {
        let end = start + resinfo.len();
        let comment_text: String = comments
            .iter()
            .filter(|(at, _)| *at >= start && *at <= end)
            .map(|(_, c)| c.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let mut tokens = resinfo.split_whitespace();
        let Some(first) = tokens.next() else { continue };
        let Some((method, result)) = first.split_once('=') else {
            continue;
        };
        let method = method.split('/').next().unwrap_or("").to_ascii_lowercase();
        let result = result.trim_matches('"').to_ascii_lowercase();
        let mut props: Vec<(String, String)> = Vec::new();
        for t in tokens {
            if let Some((k, v)) = t.split_once('=') {
                props.push((k.to_ascii_lowercase(), v.trim_matches('"').to_string()));
            }
        }
        let prop = |k: &str| props.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let domain = match method.as_str() {
            "spf" => prop("smtp.mailfrom").or(prop("smtp.helo")),
            "dkim" => prop("header.d").or(prop("header.i")),
            "dmarc" => prop("header.from"),
            _ => None,
        }
        .map(|d| {
            let d = d.rsplit('@').next().unwrap_or(d);
            d.trim_end_matches('.').to_ascii_lowercase()
        })
        .filter(|d| d != "none")
        .unwrap_or_default();
        let owned = |k: &str| prop(k).map(str::to_string);
        let policy = if method == "dmarc" {
            dmarc_policy(owned, &comment_text)
        } else {
            String::new()
        };
        let reason = if method == "compauth" {
            prop("reason")
                .unwrap_or("")
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(8)
                .collect()
        } else {
            String::new()
        };
        if matches!(
            method.as_str(),
            "spf" | "dkim" | "dmarc" | "arc" | "iprev" | "compauth"
        ) {
            out.push(AuthResult {
                method,
                result,
                domain,
                brand_aligned: false,
                policy,
                reason,
            });
        }
    }
    (authserv, out)
}

/// The trusted results among a message's Authentication-Results headers (topmost first).
pub fn summarize<'a>(
    headers: impl IntoIterator<Item = &'a str>,
    trusted: Option<&str>,
) -> Option<AuthSummary> {
    let mut chosen: Option<String> = trusted.map(|t| t.to_ascii_lowercase());
    let mut summary: Option<AuthSummary> = None;
    for h in headers.into_iter().take(32) {
        let (id, results) = parse(h);
        let want = chosen.get_or_insert_with(|| id.clone());
        if id != *want {
            continue;
        }
        let s = summary.get_or_insert_with(|| AuthSummary {
            authserv_id: id.clone(),
            results: Vec::new(),
        });
        s.results.extend(results);
    }
    summary
}

// ---------------------------------------------------------------- what each result means

/// What the analysis knows when it words the results of one message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AuthContext<'a> {
    /// The claimed brand's name; empty when the message claims none.
    pub brand_name: &'a str,
    /// The From address's domain (lowercase).
    pub from_domain: &'a str,
    /// The From domain is one of the claimed brand's own (mail, web or relay) domains.
    pub brand_from: bool,
}

/// What came of wording the results: the findings, and whether a DMARC failure was reported
/// (then Microsoft's composite result only repeats it).
#[derive(Debug, Default)]
pub(crate) struct Worded {
    pub findings: Vec<Finding>,
    pub dmarc_failed: bool,
}

/// One line per result for the readable table: what the result means in a few words
/// (RFC 8601 section 2.7, RFC 7208 for SPF, RFC 7489 for DMARC, Microsoft's compauth).
pub fn short_meaning(r: &AuthResult) -> &'static str {
    match (r.method.as_str(), r.result.as_str()) {
        (_, "pass") => "passed for this domain",
        ("spf", "fail") => "server not allowed by the domain",
        ("spf", "softfail") => "server probably not the domain's",
        ("spf", "neutral") => "domain says nothing about server",
        ("dkim", "fail") => "signature does not verify",
        ("dkim", "neutral") => "signature could not be processed",
        ("dmarc", "fail") => match r.policy.as_str() {
            "none" => "failed; owner only monitors (p=none)",
            "quarantine" => "failed; owner says quarantine",
            "reject" => "failed; owner says reject",
            _ => "failed: From domain not proven",
        },
        ("compauth", "fail") => "Microsoft: sender not confirmed",
        ("compauth", "softpass") => "Microsoft: weakly confirmed",
        ("compauth", "none") => "Microsoft: not checked",
        ("arc", "fail") => "forwarding chain broken",
        (_, "fail") => "failed",
        (_, "none") => "no record / not signed",
        (_, "permerror") => "broken or invalid record",
        (_, "temperror") => "temporary lookup failure",
        (_, "policy") => "rejected by receiver's policy",
        (_, "softfail") => "weak failure",
        (_, "neutral") => "no statement",
        _ => "",
    }
}

/// The DMARC result about the From domain, worded by what it means. DMARC (RFC 7489) is the
/// one result tied to the From address: `fail` means neither SPF nor DKIM passed *for that
/// domain*; `permerror` is a broken record (the owner's mistake, not forgery); `temperror` a
/// DNS lookup that failed for now; `none` no policy published. None of the last three proves
/// anything either way.
fn word_dmarc(r: &AuthResult, c: &AuthContext<'_>, out: &mut Worded) {
    let d = if r.domain.is_empty() {
        c.from_domain
    } else {
        r.domain.as_str()
    };
    let brand_own = c.brand_from || r.brand_aligned;
    let bname = if c.brand_name.is_empty() {
        "the brand"
    } else {
        c.brand_name
    };
    let (pol_en, pol_zh) = match r.policy.as_str() {
        "reject" => (
            format!(" {d} asks receivers to reject such mail (p=reject)."),
            format!("{d} 要求收件方拒收此类邮件（p=reject）。"),
        ),
        "quarantine" => (
            format!(" {d} asks receivers to treat such mail as suspect (p=quarantine)."),
            format!("{d} 要求收件方将此类邮件隔离（p=quarantine）。"),
        ),
        _ => (String::new(), String::new()),
    };
    let f = match r.result.as_str() {
        "fail" if brand_own => {
            out.dmarc_failed = true;
            finding(
                "auth.brand_dmarc_fail",
                Severity::High,
                format!(
                    "The From address uses {bname}'s domain ({d}), but DMARC failed: the message was neither sent by a server {bname} allows nor signed by {bname}, so the sender is forged.{pol_en}"
                ),
                format!(
                    "发件地址使用了 {bname} 的域名（{d}），但 DMARC 未通过：邮件既不是从 {bname} 允许的服务器发出，也没有 {bname} 的签名，发件人是伪造的。{pol_zh}"
                ),
                d,
            )
        }
        "fail" if r.policy == "none" => {
            out.dmarc_failed = true;
            finding(
                "auth.dmarc_fail_monitor",
                // The policy says what the owner asks receivers to do, not whether this
                // message is forged: the From address is as unproven as under p=reject.
                Severity::Medium,
                format!(
                    "DMARC failed for the From domain {d}: neither SPF nor DKIM passed for it, so the From address is unproven. Its owner only monitors (p=none), and such failures also happen to genuine mail passed on by mailing lists or forwarding."
                ),
                format!(
                    "发件域名 {d} 的 DMARC 未通过：SPF 和 DKIM 都没有为它通过，发件地址未得到证实。该域名所有者只做监测（p=none），经邮件列表或转发的正常邮件也会出现这种失败。"
                ),
                d,
            )
        }
        "fail" => {
            out.dmarc_failed = true;
            finding(
                "auth.dmarc_fail",
                Severity::Medium,
                format!(
                    "DMARC failed for the From domain {d}: the message was neither sent by a server {d} allows nor signed by {d}, so the From address may be forged.{pol_en}"
                ),
                format!(
                    "发件域名 {d} 的 DMARC 未通过：邮件既不是从 {d} 允许的服务器发出，也没有 {d} 的签名，发件地址可能是伪造的。{pol_zh}"
                ),
                d,
            )
        }
        "permerror" => finding(
            "auth.dmarc_permerror",
            if brand_own {
                Severity::Low
            } else {
                Severity::Info
            },
            format!(
                "The DMARC record of {d} is broken or invalid (permerror): a setup mistake by the domain's owner, not a sign of forgery. The From address is simply unproven."
            ),
            format!(
                "{d} 的 DMARC 记录有误或无效（permerror）：这是域名所有者的配置错误，不是伪造的迹象，只是发件地址无法得到证实。"
            ),
            d,
        ),
        "temperror" => finding(
            "auth.dmarc_temperror",
            Severity::Info,
            format!(
                "The receiving server could not look up the DMARC record of {d} at the time (temperror, a temporary DNS failure): nothing is proven either way."
            ),
            format!(
                "收件服务器当时无法查询 {d} 的 DMARC 记录（temperror，临时的 DNS 故障）：既不能证明真，也不能证明假。"
            ),
            d,
        ),
        "none" => finding(
            "auth.dmarc_none",
            Severity::Info,
            format!(
                "{d} publishes no DMARC policy, so the receiving server could not tie the From address to its owner: unproven, not a sign of forgery by itself."
            ),
            format!(
                "{d} 没有发布 DMARC 策略，收件服务器无法把发件地址与其所有者对应起来：未得到证实，但本身并不是伪造的迹象。"
            ),
            d,
        ),
        _ => return,
    };
    out.findings.push(f);
}

/// SPF and DKIM speak about their own domains (the envelope sender, the signer), not about
/// the From address: each non-pass result is explained at Info, DMARC weighs.
fn word_spf_dkim(r: &AuthResult) -> Option<Finding> {
    let d = if r.domain.is_empty() {
        "the domain"
    } else {
        r.domain.as_str()
    };
    let (code, en, zh) = match (r.method.as_str(), r.result.as_str()) {
        ("spf", "fail") => (
            "auth.spf_fail",
            format!(
                "SPF failed for {d}: the server that handed over the message is not one {d} allows to send its mail."
            ),
            format!("{d} 的 SPF 未通过：递交这封邮件的服务器不在 {d} 允许的发件服务器之列。"),
        ),
        ("spf", "softfail") => (
            "auth.spf_softfail",
            format!(
                "SPF soft-failed for {d}: {d} says the sending server is probably not one of its own, but does not ask receivers to refuse it."
            ),
            format!(
                "{d} 的 SPF 软失败：{d} 表示发件服务器很可能不是它自己的，但没有要求收件方拒收。"
            ),
        ),
        ("spf", "neutral") => (
            "auth.spf_neutral",
            format!("SPF neutral for {d}: {d} makes no statement about the sending server."),
            format!("{d} 的 SPF 为中性：{d} 没有说明发件服务器是否可信。"),
        ),
        ("dkim", "fail") => (
            "auth.dkim_fail",
            format!(
                "The DKIM signature of {d} does not verify: the message was changed after it was signed, or the signature is not genuine."
            ),
            format!("{d} 的 DKIM 签名验证失败：邮件在签名后被改动过，或者签名不是真的。"),
        ),
        ("dkim", "neutral") => (
            "auth.dkim_neutral",
            format!(
                "The DKIM signature of {d} could not be processed (neutral): nothing is proven by it."
            ),
            format!("{d} 的 DKIM 签名无法处理（neutral）：它什么也证明不了。"),
        ),
        (m, "policy") => (
            "auth.policy_rejected",
            format!(
                "The receiving server did not accept the {} result for {d} under its own policy (policy): nothing is proven by it.",
                m.to_ascii_uppercase()
            ),
            format!(
                "收件服务器按自己的策略不接受 {d} 的 {} 结果（policy）：它什么也证明不了。",
                m.to_ascii_uppercase()
            ),
        ),
        (m, "permerror") => (
            "auth.record_permerror",
            format!(
                "The {} record or signature for {d} is broken or invalid (permerror): a setup mistake, not a sign of forgery; nothing is proven by it.",
                m.to_ascii_uppercase()
            ),
            format!(
                "{d} 的 {} 记录或签名有误或无效（permerror）：这是配置错误，不是伪造的迹象；它什么也证明不了。",
                m.to_ascii_uppercase()
            ),
        ),
        (m, "temperror") => (
            "auth.lookup_temperror",
            format!(
                "The {} check for {d} hit a temporary lookup failure (temperror): nothing is proven either way.",
                m.to_ascii_uppercase()
            ),
            format!(
                "{d} 的 {} 检查遇到临时的查询故障（temperror）：既不能证明真，也不能证明假。",
                m.to_ascii_uppercase()
            ),
        ),
        _ => return None,
    };
    Some(finding(
        code,
        Severity::Info,
        en,
        zh,
        format!("{}={} {}", r.method, r.result, r.domain),
    ))
}

/// Microsoft's composite authentication (`compauth=`), with its reason code: 000 explicit
/// failure (DMARC failed under a quarantine/reject policy), 001 implicit failure (no or weak
/// records and Microsoft's own checks could not confirm the sender), 002 the recipient
/// organisation forbids this sender/domain pair, 010 DMARC failed for one of the recipient
/// organisation's own domains, 1xx/7xx pass, 2xx soft pass, 3xx/4xx/9xx not checked or
/// bypassed (Microsoft 365 "anti-spam message headers").
fn word_compauth(r: &AuthResult, c: &AuthContext<'_>, dmarc_spoke: bool) -> Option<Finding> {
    let reason = r.reason.as_str();
    let d = c.from_domain;
    let (why_en, why_zh) = match reason {
        "000" => (
            "its DMARC check failed under a policy that asks for quarantine or rejection",
            "其 DMARC 检查在要求隔离或拒收的策略下未通过",
        ),
        "001" => (
            "the domain publishes no or only weak authentication records, and Microsoft's own checks could not confirm the sender",
            "该域名没有发布或只发布了较弱的认证记录，微软自己的检查也无法确认发件人",
        ),
        "002" => (
            "the recipient's organisation forbids this sender and domain pair",
            "收件人所在组织禁止这一发件人与域名组合",
        ),
        "010" => (
            "it claims one of the recipient organisation's own domains and failed DMARC",
            "它冒用收件人所在组织自己的域名且 DMARC 未通过",
        ),
        r if r.starts_with('6') => (
            "it claims one of the recipient organisation's own domains and could not be confirmed",
            "它冒用收件人所在组织自己的域名且无法得到确认",
        ),
        _ => ("", ""),
    };
    let ev = if reason.is_empty() {
        format!("compauth={}", r.result)
    } else {
        format!("compauth={} reason={reason}", r.result)
    };
    let (code, sev, en, zh) = match r.result.as_str() {
        "fail" => {
            let (en_tail, zh_tail) = if why_en.is_empty() {
                (String::new(), String::new())
            } else {
                (format!(": {why_en}"), format!("：{why_zh}"))
            };
            (
                "auth.compauth_fail",
                if dmarc_spoke {
                    Severity::Info
                } else {
                    Severity::Low
                },
                format!(
                    "Microsoft's receiving server could not confirm that the message comes from {d} (composite authentication failed{en_tail})."
                ),
                format!("微软收件服务器无法确认邮件来自 {d}（综合认证未通过{zh_tail}）。"),
            )
        }
        "pass" if c.brand_from => return None,
        "pass" => (
            "auth.compauth_pass",
            Severity::Info,
            format!(
                "Microsoft's receiving server confirmed that the message comes from {d} (composite authentication passed): that proves who sent it, not that the sender is who the message claims."
            ),
            format!(
                "微软收件服务器确认邮件来自 {d}（综合认证通过）：这只证明是谁发的，不能证明发件人就是邮件所声称的那一方。"
            ),
        ),
        "softpass" => (
            "auth.compauth_softpass",
            Severity::Info,
            format!(
                "Microsoft's receiving server found only weak evidence that the message comes from {d} (composite authentication soft pass)."
            ),
            format!("微软收件服务器只找到邮件来自 {d} 的较弱证据（综合认证弱通过）。"),
        ),
        _ => return None,
    };
    Some(finding(code, sev, en, zh, &ev))
}

/// Every result of the trusted header worded by what it means, with severities by meaning.
/// The vouching (an aligned pass on a brand sender) is decided by the caller.
pub(crate) fn word_results(s: &AuthSummary, c: &AuthContext<'_>) -> Worded {
    let mut out = Worded::default();
    // The DMARC result about the From domain (the first one; receivers write one).
    if let Some(r) = s
        .get("dmarc")
        .find(|r| r.domain.is_empty() || r.domain == c.from_domain || r.brand_aligned)
    {
        word_dmarc(r, c, &mut out);
    }
    for method in ["spf", "dkim"] {
        if let Some(f) = s.get(method).find_map(word_spf_dkim) {
            out.findings.push(f);
        }
    }
    let dmarc_spoke = out.dmarc_failed;
    if let Some(f) = s
        .get("compauth")
        .find_map(|r| word_compauth(r, c, dmarc_spoke))
    {
        out.findings.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_microsoft_style() {
        let v = "spf=pass (sender IP is 1.2.3.4) smtp.mailfrom=evil.example; dkim=pass (signature was verified)\r\n header.d=evil.example;dmarc=pass action=none\r\n header.from=evil.example;compauth=pass reason=100";
        let (id, r) = parse(v);
        assert_eq!(id, "");
        assert!(
            r.iter()
                .any(|x| x.method == "spf" && x.result == "pass" && x.domain == "evil.example")
        );
        assert!(
            r.iter()
                .any(|x| x.method == "dkim" && x.domain == "evil.example")
        );
        assert!(
            r.iter()
                .any(|x| x.method == "compauth" && x.result == "pass")
        );
        let v2 = "mx.google.com; dkim=pass header.i=@amazon.com header.s=x; spf=softfail (google.com: domain of x) smtp.mailfrom=bounce@e.example; dmarc=fail (p=QUARANTINE) header.from=amazon.com";
        let (id, r) = parse(v2);
        assert_eq!(id, "mx.google.com");
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].domain, "amazon.com");
        assert_eq!(r[1].result, "softfail");
        assert_eq!(r[1].domain, "e.example");
        assert_eq!(r[2].result, "fail");
    }

    #[test]
    fn reads_the_dmarc_policy_and_the_compauth_reason() {
        let (_, r) = parse(
            "mx.google.com; dmarc=fail (p=REJECT sp=NONE dis=QUARANTINE) header.from=a.example; spf=fail (p=none is not a policy here) smtp.mailfrom=a.example",
        );
        assert_eq!(r[0].policy, "reject");
        assert_eq!(r[1].policy, "", "only DMARC carries a policy");
        let (_, r) = parse(
            "mx.x; dmarc=fail policy.published-domain-policy=quarantine header.from=a.example",
        );
        assert_eq!(r[0].policy, "quarantine");
        let (_, r) = parse(
            "spf=fail smtp.mailfrom=a.example;dmarc=fail action=oreject header.from=a.example;compauth=fail reason=001",
        );
        assert_eq!(r[1].policy, "reject");
        assert_eq!(r[2].reason, "001");
        // A comment in the next result does not leak into this one.
        let (_, r) =
            parse("mx.x; dmarc=fail header.from=a.example; dkim=pass (p=none) header.d=a.example");
        assert_eq!(r[0].policy, "");
        // Garbage policies are not policies.
        let (_, r) = parse("mx.x; dmarc=fail (p=<script>) header.from=a.example");
        assert_eq!(r[0].policy, "");
    }

    #[test]
    fn short_meanings_follow_the_result() {
        let r = |m: &str, res: &str, p: &str| AuthResult {
            method: m.into(),
            result: res.into(),
            policy: p.into(),
            ..Default::default()
        };
        assert_eq!(
            short_meaning(&r("dmarc", "permerror", "")),
            "broken or invalid record"
        );
        assert_eq!(
            short_meaning(&r("spf", "temperror", "")),
            "temporary lookup failure"
        );
        assert!(short_meaning(&r("dmarc", "fail", "none")).contains("p=none"));
        assert!(short_meaning(&r("dmarc", "fail", "reject")).contains("reject"));
        assert_eq!(
            short_meaning(&r("dkim", "none", "")),
            "no record / not signed"
        );
    }

    #[test]
    fn trusts_topmost_or_named() {
        let hs = [
            "mx.receiver.example; dmarc=fail header.from=amazon.com",
            "forged.example; dmarc=pass header.from=amazon.com",
        ];
        let s = summarize(hs, None).unwrap();
        assert_eq!(s.authserv_id, "mx.receiver.example");
        assert_eq!(s.results.len(), 1);
        assert_eq!(s.results[0].result, "fail");
        let s = summarize(hs, Some("forged.example")).unwrap();
        assert_eq!(s.results[0].result, "pass");
        assert!(summarize(std::iter::empty::<&str>(), None).is_none());
    }

    #[test]
    fn garbage() {
        for v in [
            "",
            ";;;",
            "(((",
            "a; =",
            "x; dkim=",
            "\"unterminated; spf=pass",
        ] {
            let _ = parse(v);
        }
    }
}
