//! Printing reports: one JSON object per line with `--json`, readable (coloured on a terminal)
//! otherwise. Every subcommand prints through here so the output looks the same everywhere.

use std::io::{self, IsTerminal, Write};

use phishprobe_core::{Lang, Report, Severity, Verdict};

use crate::cmd::{ColorArg, Context};

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

/// Readable form of one report.
pub fn render(report: &Report, lang: Lang, color: bool) -> String {
    let verdict = match lang {
        Lang::En => report.verdict.as_str().to_uppercase(),
        Lang::Zh => report.verdict.as_zh().to_string(),
    };
    let brand_label = match lang {
        Lang::En => "brand",
        Lang::Zh => "品牌",
    };
    let mut out = format!(
        "{}  {}  ({}: {}, score {})\n",
        paint(color, verdict_color(report.verdict), &verdict),
        report.input,
        brand_label,
        report.brand.as_deref().unwrap_or("-"),
        report.score
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
                &format!("{:>8}", f.severity.as_str())
            ),
            f.message.get(lang),
            f.code
        ));
        if !f.evidence.is_empty() {
            out.push_str(&format!("{indent}         {}\n", f.evidence));
        }
    }
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

/// Print an error for one input without stopping the batch: a JSON object with `input` and
/// `error {code, message}`, or a readable line.
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
        out.write_all(b"\n")
    } else {
        let label = match ctx.lang {
            Lang::En => "ERROR",
            Lang::Zh => "错误",
        };
        writeln!(
            out,
            "{}  {input}  {message} [{code}]",
            paint(use_color(ctx), "1;35", label)
        )
    }
}

/// Readable form of a case: the combined verdict, each field-rule step with its reasons, then
/// the advice.
pub fn render_case(case: &phishprobe_core::case::CaseReport, lang: Lang, color: bool) -> String {
    use phishprobe_core::case::StepStatus;
    let word = |v: Verdict| match lang {
        Lang::En => v.as_str().to_uppercase(),
        Lang::Zh => v.as_zh().to_string(),
    };
    let (brand_label, advice_label, not_run, nothing) = match lang {
        Lang::En => ("brand", "What to do now:", "NOT RUN", "nothing to check"),
        Lang::Zh => ("品牌", "现在该怎么做：", "未执行", "无可检查内容"),
    };
    let mut out = format!(
        "{}  {}  ({}: {}, score {})\n",
        paint(color, verdict_color(case.verdict), &word(case.verdict)),
        case.input,
        brand_label,
        case.brand.as_deref().unwrap_or("-"),
        case.score
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
