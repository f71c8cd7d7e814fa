//! Authentication-Results (RFC 8601): what the receiving server found for SPF, DKIM and DMARC.
//!
//! Only headers written by the receiving server count: anyone can put an
//! Authentication-Results header into a message before sending it. By default the topmost
//! header's authserv-id is trusted (the last server to handle the message adds its header on
//! top); `--authserv-id` names the receiving server explicitly.

use serde::Serialize;

/// One method result (`dkim=pass header.d=example.com`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuthResult {
    pub method: String,
    pub result: String,
    /// The domain the result is about: `smtp.mailfrom` (SPF), `header.d`/`header.i` (DKIM),
    /// `header.from` (DMARC). Lowercase; empty when the header gave none.
    pub domain: String,
    /// Whether that domain belongs to the brand the message claims (filled by the analysis).
    pub brand_aligned: bool,
}

/// The trusted results of one message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuthSummary {
    pub authserv_id: String,
    pub results: Vec<AuthResult>,
}

impl AuthSummary {
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
fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
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
            '(' if !in_quote => depth = depth.saturating_add(1),
            ')' if !in_quote && depth > 0 => {
                depth -= 1;
                out.push(' ');
            }
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Parse one Authentication-Results value into its authserv-id and results.
pub fn parse(value: &str) -> (String, Vec<AuthResult>) {
    let value: String = value.chars().take(16 * 1024).collect();
    let clean = strip_comments(&value);
    let mut parts = clean.split(';').peekable();
    // RFC 8601 puts the authserv-id first; Microsoft's servers leave it out and start with a
    // result (`spf=pass ...`): then the id is empty and the first part is a result too.
    let first = parts.peek().copied().unwrap_or("");
    let first_tok = first.split_whitespace().next().unwrap_or("");
    let authserv = if first_tok.contains('=') {
        String::new()
    } else {
        parts.next();
        first_tok.trim_matches('"').to_ascii_lowercase()
    };
    let mut out = Vec::new();
    for resinfo in parts.take(64) {
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
        if matches!(
            method.as_str(),
            "spf" | "dkim" | "dmarc" | "arc" | "iprev" | "compauth"
        ) {
            out.push(AuthResult {
                method,
                result,
                domain,
                brand_aligned: false,
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
