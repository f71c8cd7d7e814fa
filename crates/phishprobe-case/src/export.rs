//! Exports of a saved case: one self-contained HTML file a seller can forward when reporting to
//! the platform, a bank or the police (screenshots embedded as `data:` URIs, inline CSS, a
//! Content-Security-Policy that forbids loading anything, links shown as text — never
//! clickable), and JSON for tools.
//!
//! The report is evidence, so it shows what was received as it was received: the raw email
//! with its line breaks (not `\u{d}` escapes) and the SHA-256 of its bytes beside it, each
//! finding with the input it came from, inputs named by file name only (no local paths).

use std::fmt::Write as _;

use base64::Engine as _;
use phishprobe_core::combine::{CaseReport, Source, StepStatus};
use phishprobe_core::{Lang, Severity, Verdict};

use crate::labels::{severity_word, verdict_word};
use phishprobe_store::StoredCase;
use serde_json::json;

/// Longest input shown in the HTML report (a raw email can be megabytes).
const MAX_SHOWN_INPUT: usize = 256 * 1024;

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Escape text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// What a person sees of an input's name: for files (email, text) only the file name, never
/// the folder it was in on the checking computer; links and numbers as they are.
pub fn shown_name<'a>(kind: &str, name: &'a str) -> &'a str {
    if matches!(kind, "email" | "text" | "audio" | "transcript") {
        name.rsplit(['/', '\\']).next().unwrap_or(name)
    } else {
        name
    }
}

/// The kind of an input (`email`, `text`, `url`, `phone`) for people.
pub fn kind_word(kind: &str, lang: Lang) -> &str {
    match (lang, kind) {
        (Lang::Zh, "email") => "邮件",
        (Lang::Zh, "text") => "文字",
        (Lang::Zh, "url") => "链接",
        (Lang::Zh, "phone") => "电话",
        (Lang::Zh, "audio") => "通话录音",
        (Lang::Zh, "transcript") => "机器转写",
        (_, "url") => "link",
        (_, "audio") => "recording",
        (_, "transcript") => "machine transcript",
        (_, k) => k,
    }
}

/// A history title (`email mail.eml · https://… · “first words”`, see `title_of`) for people:
/// file names without their folder, the kind words in the output language.
pub fn translate_title(title: &str, lang: Lang) -> String {
    title
        .split(" · ")
        .map(|piece| {
            for kind in ["email", "text", "audio"] {
                if let Some(name) = piece.strip_prefix(kind).and_then(|r| r.strip_prefix(' ')) {
                    return format!("{} {}", kind_word(kind, lang), shown_name(kind, name));
                }
            }
            piece.to_string()
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// A message as received, for reading: CRLF and lone CR become line breaks (an email's lines
/// end in CRLF on the wire); every other control character stays visible through [`escape`].
fn as_received(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// The stored report, parsed back.
pub fn report_of(case: &StoredCase) -> Result<CaseReport, serde_json::Error> {
    serde_json::from_str(&case.report_json)
}

/// Date and time in UTC, `YYYY-MM-DD HH:MM UTC`, from unix milliseconds (no time-zone database
/// needed, so the report says the same wherever it is opened).
pub fn utc_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// JSON for tools: the case report plus the stored inputs (contents as text when they are
/// UTF-8, else base64, or only the hash when not kept) and the evidence files (base64).
pub fn json(case: &StoredCase) -> Result<serde_json::Value, serde_json::Error> {
    let report: serde_json::Value = serde_json::from_str(&case.report_json)?;
    let inputs: Vec<serde_json::Value> = case
        .inputs
        .iter()
        .map(|i| {
            let mut v = json!({
                "kind": i.kind, "name": i.name, "sha256": i.sha256, "size": i.size,
            });
            if let (Some(c), Some(o)) = (&i.content, v.as_object_mut()) {
                match std::str::from_utf8(c) {
                    Ok(t) => o.insert("text".into(), t.into()),
                    Err(_) => o.insert("base64".into(), b64(c).into()),
                };
            }
            v
        })
        .collect();
    let evidence: Vec<serde_json::Value> = case
        .evidence
        .iter()
        .map(|e| {
            json!({
                "name": e.name, "media_type": e.media_type, "size": e.content.len(),
                "base64": b64(&e.content),
            })
        })
        .collect();
    Ok(json!({
        "id": case.summary.id,
        "created_at": utc_time(case.summary.created_at),
        "created_at_ms": case.summary.created_at,
        "report": report,
        "inputs": inputs,
        "inputs_kept": case.summary.inputs_kept,
        "evidence": evidence,
    }))
}

struct Words {
    title: &'static str,
    verdict: &'static str,
    brand: &'static str,
    score: &'static str,
    case_id: &'static str,
    saved: &'static str,
    steps: &'static str,
    advice: &'static str,
    findings: &'static str,
    findings_note: &'static str,
    from: &'static str,
    score_note: &'static str,
    sha_note: &'static str,
    inputs: &'static str,
    evidence: &'static str,
    hashed: &'static str,
    not_run: &'static str,
    nothing: &'static str,
    generated: &'static str,
}

const EN: Words = Words {
    title: "Phishing check report",
    verdict: "Verdict",
    brand: "Brand claimed",
    score: "Risk score",
    case_id: "Case",
    saved: "Checked",
    steps: "The checks, in order",
    advice: "What to do now",
    findings: "All findings",
    findings_note: "the same findings as under the steps above, in one list by severity",
    from: "from: ",
    score_note: "the weight of every finding, capped at 100; the verdict is what to act on",
    sha_note: "SHA-256 of the bytes as received (CRLF line ends), to check a forwarded copy against",
    inputs: "What was checked",
    evidence: "Evidence from the wrong-password test",
    hashed: "content not kept (only its SHA-256)",
    not_run: "not run",
    nothing: "nothing to check",
    generated: "Made by phishprobe. Links are shown as text on purpose: do not open them.",
};

const ZH: Words = Words {
    title: "钓鱼检测报告",
    verdict: "结论",
    brand: "冒充的品牌",
    score: "风险分",
    case_id: "案例",
    saved: "检查时间",
    steps: "依次检查",
    advice: "现在该怎么做",
    findings: "全部发现",
    findings_note: "与上面各步骤中的发现相同，按严重程度排成一个列表",
    from: "来自：",
    score_note: "所有发现的权重之和，最高 100；请以结论为准",
    sha_note: "按收到时的原始字节（CRLF 换行）计算的 SHA-256，可用来核对转发的副本",
    inputs: "检查的内容",
    evidence: "错误密码测试的证据",
    hashed: "未保存内容（仅保存 SHA-256）",
    not_run: "未执行",
    nothing: "无可检查内容",
    generated: "由 phishprobe 生成。链接特意以文本显示：请勿打开。",
};

fn verdict_class(v: Option<Verdict>) -> &'static str {
    match v {
        Some(Verdict::Phishing) => "v-phishing",
        Some(Verdict::Suspicious) => "v-suspicious",
        Some(Verdict::Genuine) => "v-genuine",
        _ => "v-unknown",
    }
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "s-high",
        Severity::Medium => "s-medium",
        _ => "s-low",
    }
}

const STYLE: &str = "body{font:15px/1.5 system-ui,'Noto Sans CJK SC','Noto Sans',sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;color:#111;background:#fff}\
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}\
.badge{display:inline-block;padding:.15rem .6rem;border-radius:.3rem;font-weight:700;color:#fff}\
.v-phishing{background:#b00020}.v-suspicious{background:#8a5a00}.v-genuine{background:#1b6e2a}.v-unknown{background:#444}\
table{border-collapse:collapse}td,th{padding:.2rem .6rem;border:1px solid #ddd;text-align:left;vertical-align:top}\
.step{border:1px solid #ccc;border-radius:.4rem;padding:.5rem 1rem;margin:.7rem 0}\
.f{margin:.3rem 0}.sev{font-weight:700;font-size:.8rem;text-transform:uppercase}\
.s-high{color:#b00020}.s-medium{color:#8a5a00}.s-low{color:#444}\
code,pre{font-family:ui-monospace,'Noto Sans Mono',monospace;word-break:break-all;white-space:pre-wrap}\
pre{background:#f4f4f4;padding:.5rem;max-height:30rem;overflow:auto}img{max-width:100%;border:1px solid #ccc}\
.ev{color:#333;font-size:.9rem}.src,.note{color:#555;font-size:.85rem}.sha{word-break:break-all}footer{margin-top:2rem;color:#555;font-size:.85rem}";

/// The self-contained HTML report in `lang`.
pub fn html(case: &StoredCase, lang: Lang) -> Result<String, serde_json::Error> {
    let report = report_of(case)?;
    let w = match lang {
        Lang::En => &EN,
        Lang::Zh => &ZH,
    };
    let lang_attr = match lang {
        Lang::En => "en",
        Lang::Zh => "zh-Hans",
    };
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{lang_attr}\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{} {}</title><style>{STYLE}</style></head><body>\n",
        escape(w.title),
        escape(&case.summary.id)
    );
    let _ = write!(
        h,
        "<h1>{}</h1>\n<table>\
<tr><th>{}</th><td><span class=\"badge {}\">{}</span></td></tr>\
<tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td>{}/100 <span class=\"note\">({})</span></td></tr>\
<tr><th>{}</th><td><code>{}</code></td></tr><tr><th>{}</th><td>{}</td></tr></table>\n",
        escape(w.title),
        w.verdict,
        verdict_class(Some(report.verdict)),
        escape(&verdict_word(report.verdict, lang)),
        w.brand,
        escape(report.brand.as_deref().unwrap_or("-")),
        w.score,
        report.score,
        w.score_note,
        w.case_id,
        escape(&case.summary.id),
        w.saved,
        escape(&utc_time(case.summary.created_at)),
    );

    let _ = write!(h, "<h2>{}</h2>\n<ul>\n", w.advice);
    for a in &report.advice {
        let _ = writeln!(h, "<li>{}</li>", escape(a.message.get(lang)));
    }
    h.push_str("</ul>\n");
    steps_html(&mut h, &report, w, lang);
    inputs_html(&mut h, case, w, lang);
    evidence_html(&mut h, case, w);

    // Every finding is already shown in full under its step: the list by severity is there
    // for reference, closed.
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<details id=\"all-findings\"><summary>{} ({})</summary>",
        w.findings,
        w.findings_note,
        report.findings.len()
    );
    for f in &report.findings {
        finding_html(&mut h, f, &report, w, lang);
    }
    h.push_str("</details>\n");
    let _ = write!(
        h,
        "<footer>{}</footer>\n</body></html>\n",
        escape(w.generated)
    );
    Ok(h)
}

/// The field-rule steps, each with its status, summary and findings.
fn steps_html(h: &mut String, report: &CaseReport, w: &Words, lang: Lang) {
    let _ = writeln!(h, "<h2>{}</h2>", w.steps);
    for s in &report.steps {
        let status = match s.status {
            StepStatus::Done => s.verdict.map(|v| verdict_word(v, lang)).unwrap_or_default(),
            StepStatus::NotRun => w.not_run.to_string(),
            StepStatus::NothingToCheck => w.nothing.to_string(),
        };
        let _ = writeln!(
            h,
            "<section class=\"step\"><h3>{} <span class=\"badge {}\">{}</span></h3><p>{}</p>",
            escape(s.title.get(lang)),
            verdict_class(s.verdict),
            escape(&status),
            escape(s.summary.get(lang)),
        );
        for f in &s.findings {
            finding_html(h, f, report, w, lang);
        }
        h.push_str("</section>\n");
    }
}

/// The inputs (file names only), their sizes and SHA-256, and the kept email and texts as
/// received.
fn inputs_html(h: &mut String, case: &StoredCase, w: &Words, lang: Lang) {
    let _ = writeln!(h, "<h2>{}</h2>", w.inputs);
    h.push_str("<table>\n");
    for i in &case.inputs {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td><code>{}</code></td><td>{} B</td><td><code>sha256 {}</code></td></tr>",
            escape(kind_word(&i.kind, lang)),
            escape(shown_name(&i.kind, &i.name)),
            i.size,
            escape(&i.sha256)
        );
    }
    h.push_str("</table>\n");
    for i in &case.inputs {
        let name = shown_name(&i.kind, &i.name);
        match &i.content {
            Some(c) if matches!(i.kind.as_str(), "email" | "text" | "transcript") => {
                let text = as_received(&String::from_utf8_lossy(c));
                let shown = match text.char_indices().nth(MAX_SHOWN_INPUT) {
                    Some((cut, _)) => format!("{}\n[…]", &text[..cut]),
                    None => text,
                };
                let _ = writeln!(
                    h,
                    "<details class=\"input\"><summary>{} <code>{}</code> · {} B · SHA-256 <code class=\"sha\">{}</code></summary>\
<p class=\"note\">{}</p><pre>{}</pre></details>",
                    escape(kind_word(&i.kind, lang)),
                    escape(name),
                    i.size,
                    escape(&i.sha256),
                    w.sha_note,
                    escape(&shown)
                );
            }
            None => {
                let _ = writeln!(
                    h,
                    "<p>{} <code>{}</code>: {}</p>",
                    escape(kind_word(&i.kind, lang)),
                    escape(name),
                    w.hashed
                );
            }
            _ => {}
        }
    }
}

/// The probe's screenshots (embedded) and other evidence files.
fn evidence_html(h: &mut String, case: &StoredCase, w: &Words) {
    if case.evidence.is_empty() {
        return;
    }
    let _ = writeln!(h, "<h2>{}</h2>", w.evidence);
    for e in &case.evidence {
        if e.media_type == "image/png" && e.content.starts_with(b"\x89PNG") {
            let _ = writeln!(
                h,
                "<figure><img alt=\"{}\" src=\"data:image/png;base64,{}\"><figcaption><code>{}</code></figcaption></figure>",
                escape(&e.name),
                b64(&e.content),
                escape(&e.name)
            );
        } else {
            let text = String::from_utf8_lossy(&e.content);
            let _ = writeln!(
                h,
                "<details><summary><code>{}</code></summary><pre>{}</pre></details>",
                escape(&e.name),
                escape(&text)
            );
        }
    }
}

/// Where a finding came from: "from the email (mail.eml)", "from text 2 (sms.txt)".
fn source_text(sources: &[&Source], lang: Lang) -> String {
    sources
        .iter()
        .map(|s| {
            let kind = s.kind.as_str();
            format!("{} ({})", s.label.get(lang), shown_name(kind, &s.input))
        })
        .collect::<Vec<_>>()
        .join(match lang {
            Lang::En => "; ",
            Lang::Zh => "；",
        })
}

fn finding_html(
    h: &mut String,
    f: &phishprobe_core::Finding,
    report: &CaseReport,
    w: &Words,
    lang: Lang,
) {
    let _ = write!(
        h,
        "<div class=\"f\"><span class=\"sev {}\">{}</span> {} <code>{}</code>",
        severity_class(f.severity),
        severity_word(f.severity, lang),
        escape(f.message.get(lang)),
        escape(&f.code)
    );
    let sources = report.sources_of(f);
    if !sources.is_empty() {
        let _ = write!(
            h,
            "<div class=\"src\">{}{}</div>",
            w.from,
            escape(&source_text(&sources, lang))
        );
    }
    if !f.evidence.is_empty() {
        let _ = write!(
            h,
            "<div class=\"ev\"><code>{}</code></div>",
            escape(&f.evidence)
        );
    }
    h.push_str("</div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates_are_right() {
        assert_eq!(utc_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_time(1_795_651_200_000), "2026-11-26 00:00 UTC");
        assert_eq!(utc_time(1_795_651_199_999), "2026-11-25 23:59 UTC");
        assert_eq!(utc_time(951_782_400_000), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn escaping_covers_markup_and_controls() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("a\u{0}b"), "a\\u{0}b");
    }

    #[test]
    fn inputs_are_shown_as_received_and_by_file_name() {
        let shown = escape(&as_received("From: a\r\nSubject: b\r\n\r\nbody\rend\u{7}"));
        assert_eq!(shown, "From: a\nSubject: b\n\nbody\nend\\u{7}");
        assert_eq!(shown_name("email", "/home/me/Mail/x.eml"), "x.eml");
        assert_eq!(shown_name("text", "C:\\Users\\me\\sms.txt"), "sms.txt");
        assert_eq!(
            shown_name("url", "https://a.example/b/c"),
            "https://a.example/b/c"
        );
        assert_eq!(
            translate_title(
                "email /tmp/q/x.eml · https://a.example/p · text /tmp/n.txt",
                Lang::Zh
            ),
            "邮件 x.eml · https://a.example/p · 文字 n.txt"
        );
        assert_eq!(translate_title("“email me”", Lang::En), "“email me”");
    }
}
