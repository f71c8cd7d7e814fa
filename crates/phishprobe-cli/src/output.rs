//! Printing reports: one JSON object per line with `--json`, readable (coloured on a terminal)
//! otherwise. Every subcommand prints through here so the output looks the same everywhere.

use std::io::{self, IsTerminal, Write};

use phishprobe_case::labels::{self, severity_word, verdict_word};
use phishprobe_core::{Lang, Report, Severity, Verdict};

use crate::context::{ColorArg, Context};

/// Whether to colour stdout.
pub fn use_color(ctx: &Context) -> bool {
    match ctx.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    }
}

fn paint(on: bool, code: &str, s: &str) -> String {
    if on {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn verdict_color(v: Verdict) -> &'static str {
    match v {
        Verdict::Genuine => "1;32",
        Verdict::Unknown => "1;37",
        Verdict::Suspicious => "1;33",
        Verdict::Phishing => "1;31",
    }
}

fn severity_color(s: Severity) -> &'static str {
    match s {
        Severity::Info => "36",
        Severity::Low => "37",
        Severity::Medium => "33",
        Severity::High | Severity::Critical => "31",
    }
}

/// The part of a header line after the verdict and input: `(brand: amazon, risk score 85/100)`.
fn header_tail(brand: Option<&str>, score: u32, lang: Lang) -> String {
    let sep = match lang {
        Lang::En => ", ",
        Lang::Zh => "，",
    };
    format!(
        "({}: {}{sep}{} {score}/100)",
        labels::brand(lang),
        brand.unwrap_or("-"),
        labels::risk_score(lang)
    )
}

/// Readable form of one report.
pub fn render(report: &Report, lang: Lang, color: bool) -> String {
    let verdict = verdict_word(report.verdict, lang);
    let mut out = format!(
        "{}  {}  {}\n",
        paint(color, verdict_color(report.verdict), &verdict),
        report.input,
        header_tail(report.brand.as_deref(), report.score, lang)
    );
    push_findings(&mut out, &report.findings, "  ", lang, color);
    out
}

/// One line per finding (severity, message, code) and its evidence under it, indented.
fn push_findings(
    out: &mut String,
    findings: &[phishprobe_core::Finding],
    indent: &str,
    lang: Lang,
    color: bool,
) {
    for f in findings {
        out.push_str(&format!(
            "{indent}{} {} [{}]\n",
            paint(
                color,
                severity_color(f.severity),
                &pad_left(severity_word(f.severity, lang), 8)
            ),
            f.message.get(lang),
            f.code
        ));
        if !f.evidence.is_empty() {
            out.push_str(&format!("{indent}         {}\n", f.evidence));
        }
    }
}

/// `s` right-aligned in `width` columns, counting a CJK character as two.
fn pad_left(s: &str, width: usize) -> String {
    let cols: usize = s
        .chars()
        .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
        .sum();
    format!("{}{s}", " ".repeat(width.saturating_sub(cols)))
}

/// Print one report in the chosen form.
pub fn emit(ctx: &Context, out: &mut impl Write, report: &Report) -> io::Result<()> {
    if ctx.json {
        serde_json::to_writer(&mut *out, report)?;
        out.write_all(b"\n")
    } else {
        out.write_all(render(report, ctx.lang, use_color(ctx)).as_bytes())
    }
}

/// Print an extended JSON object (the verdict model plus command-specific fields) or, in
/// readable mode, the report part followed by `extra_lines`.
pub fn emit_extended(
    ctx: &Context,
    out: &mut impl Write,
    report: &Report,
    extra: serde_json::Map<String, serde_json::Value>,
    extra_lines: &str,
) -> io::Result<()> {
    if ctx.json {
        let mut v = serde_json::to_value(report).map_err(io::Error::other)?;
        if let Some(obj) = v.as_object_mut() {
            obj.extend(extra);
        }
        serde_json::to_writer(&mut *out, &v)?;
        out.write_all(b"\n")
    } else {
        out.write_all(render(report, ctx.lang, use_color(ctx)).as_bytes())?;
        out.write_all(extra_lines.as_bytes())
    }
}

/// Print an error for one input without stopping the batch. The readable line goes to stderr
/// (errors are never mixed into the results); with `--json` the object with `input` and
/// `error {code, message}` stays on stdout, so the output keeps one object per input, and the
/// line is on stderr too.
pub fn emit_error(
    ctx: &Context,
    out: &mut impl Write,
    input: &str,
    code: &str,
    message: &str,
) -> io::Result<()> {
    if ctx.json {
        let v = serde_json::json!({"input": input, "error": {"code": code, "message": message}});
        serde_json::to_writer(&mut *out, &v)?;
        out.write_all(b"\n")?;
    }
    let label = match ctx.lang {
        Lang::En => "ERROR",
        Lang::Zh => "错误",
    };
    let color = match ctx.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    // Results printed so far come first, so the error line stands after its predecessors.
    out.flush()?;
    eprintln!(
        "{}  {input}  {message} [{code}]",
        paint(color, "1;35", label)
    );
    Ok(())
}

/// Readable form of a case: the combined verdict, each field-rule step with its reasons, then
/// the advice.
pub fn render_case(case: &phishprobe_core::combine::CaseReport, lang: Lang, color: bool) -> String {
    use phishprobe_core::combine::StepStatus;
    let word = |v: Verdict| verdict_word(v, lang);
    let (advice_label, not_run, nothing) = match lang {
        Lang::En => ("What to do now:", "NOT RUN", "nothing to check"),
        Lang::Zh => ("现在该怎么做：", "未执行", "无可检查内容"),
    };
    let mut out = format!(
        "{}  {}  {}\n",
        paint(color, verdict_color(case.verdict), &word(case.verdict)),
        case.input,
        header_tail(case.brand.as_deref(), case.score, lang)
    );
    for s in &case.steps {
        let status = match (s.status, s.verdict) {
            (StepStatus::Done, Some(v)) => paint(color, verdict_color(v), &word(v)),
            (StepStatus::NotRun, _) => paint(color, "1;35", not_run),
            _ => nothing.to_string(),
        };
        out.push_str(&format!("\n{}  {}\n", s.title.get(lang), status));
        out.push_str(&format!("   {}\n", s.summary.get(lang)));
        push_findings(&mut out, &s.findings, "   ", lang, color);
    }
    out.push_str(&format!("\n{advice_label}\n"));
    for a in &case.advice {
        out.push_str(&format!("  • {}\n", a.message.get(lang)));
    }
    out
}
