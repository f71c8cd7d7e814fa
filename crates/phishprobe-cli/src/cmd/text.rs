//! `phishprobe text`: the words of an SMS, a chat, call notes or a call transcript.
//!
//! Input: the arguments (joined with spaces into ONE text), `--file F`, or stdin. Batch:
//! `--jsonl F` with one `{"id": ..., "text": "..."}` object per line; the output is always one
//! JSON object per line carrying the `id`, and a bad line gives an error object for that line
//! without stopping the batch.
//!
//! `--text-lang en|zh|auto` picks the pattern set (auto, the default, uses every set, so mixed
//! English/Chinese text is covered). It is not the global `--lang`, which picks the language of
//! the readable output.
//!
//! With `--json` the verdict model gets two more fields: `disclosure` (bool: the text asks for
//! a password, code, PIN, card/bank details, identity numbers, remote control or payment) and
//! `scam_likelihood` (0-100 from the other cues), plus `lang`, `urls` and `phones`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use clap::ValueEnum;
use phishprobe_core::text::{self, TextAnalysis, TextRules};
use rayon::prelude::*;
use serde_json::{Map, Value, json};

use super::Context;
use crate::output;
use phishprobe_case::labels;

/// Largest single text accepted (file or stdin): 64 MiB. Bigger is an input error, not a
/// silent cut.
pub const MAX_TEXT: usize = 64 << 20;
/// Largest JSON Lines record; a longer line becomes an error object for that line.
pub const MAX_JSONL_LINE: usize = 4 << 20;
/// Records analysed in parallel before their results are written (in input order).
const CHUNK: usize = 1024;

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextLang {
    /// Use every pattern set (English and Chinese).
    Auto,
    En,
    Zh,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The text itself (all words joined with spaces). Without it, --file, --jsonl or stdin.
    pub text: Vec<String>,
    /// Read one text from this file (`-` for stdin).
    #[arg(long, short = 'f', value_name = "FILE", conflicts_with = "jsonl")]
    pub file: Option<PathBuf>,
    /// Batch: one JSON object `{"id": ..., "text": "..."}` per line (`-` for stdin). Output is
    /// one JSON object per line with the same `id`.
    #[arg(long, value_name = "FILE")]
    pub jsonl: Option<PathBuf>,
    /// Pattern language: auto (every set, the default), en or zh. The global --lang only
    /// changes the language of the readable output.
    #[arg(long, value_enum, default_value_t = TextLang::Auto)]
    pub text_lang: TextLang,
    #[command(flatten)]
    pub output_opts: super::OutputOpts,
    #[command(flatten)]
    pub brands: super::BrandsOpt,
}

/// The rules for the chosen pattern language.
pub fn load_rules(lang: TextLang) -> Result<TextRules> {
    let all = TextRules::embedded().context("loading the embedded text patterns")?;
    Ok(match lang {
        TextLang::Auto => all,
        TextLang::En => all.only_langs(&["en"]),
        TextLang::Zh => all.only_langs(&["zh"]),
    })
}

/// Read a whole text, refusing more than [`MAX_TEXT`] bytes and invalid UTF-8 with a clear
/// message.
fn read_text(r: impl Read, what: &str) -> Result<String> {
    let mut buf = Vec::new();
    r.take(MAX_TEXT as u64 + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("reading {what}"))?;
    if buf.len() > MAX_TEXT {
        bail!("{what} is larger than {} MB; split it up", MAX_TEXT >> 20);
    }
    String::from_utf8(buf).map_err(|e| {
        anyhow::anyhow!(
            "{what} is not valid UTF-8 text (bad byte at offset {}); save it as UTF-8",
            e.utf8_error().valid_up_to()
        )
    })
}

/// The extra JSON fields and readable lines for one analysis.
pub fn extras(a: &TextAnalysis, ctx: &Context) -> (Map<String, Value>, String) {
    let m = a.json_fields();
    let zh = ctx.lang == phishprobe_core::Lang::Zh;
    let mut lines = String::new();
    if a.has_disclosure() {
        lines.push_str(if zh {
            "  ⚠ 敏感信息警告：它在索要密码、验证码、远程控制或付款。不论对方是谁，都按钓鱼处理。\n"
        } else {
            "  ⚠ DISCLOSURE WARNING: it asks for a password, code, remote control or payment. Whoever asks, assume phishing.\n"
        });
    }
    // Not the report's risk score (the header): that one also counts the requests for
    // secrets; this one is the scam-script wording alone (JSON `scam_likelihood`).
    lines.push_str(&if zh {
        format!(
            "  {}：{}/100（仅按诈骗话术计算，不含索要敏感信息的请求；上方的风险分包含全部发现）\n",
            labels::scam_wording_score(ctx.lang),
            a.scam_score
        )
    } else {
        format!(
            "  {}: {}/100 (the scam-script wording alone, without the requests for secrets; the risk score above counts every finding)\n",
            capitalised(labels::scam_wording_score(ctx.lang)),
            a.scam_score
        )
    });
    (m, lines)
}

fn emit_one(
    ctx: &Context,
    rules: &TextRules,
    input: &str,
    t: &str,
    out: &mut impl Write,
) -> Result<u8> {
    let a = text::analyze(&ctx.engine, rules, t);
    let report = text::report_from(input, &a);
    let (extra, lines) = extras(&a, ctx);
    output::emit_extended(ctx, out, &report, extra, &lines)?;
    Ok(report.verdict.exit_code() as u8)
}

/// What the report's `input` shows: the start of the text on one line.
fn label(t: &str) -> String {
    let one: String = t.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 80 {
        let mut s: String = one.chars().take(77).collect();
        s.push_str("...");
        s
    } else {
        one
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The one usage error for a text with no words in it.
fn empty_text(from: &str) -> anyhow::Error {
    super::usage(format!(
        "text: {from} is empty; give the words of the call or SMS as arguments, --file FILE, --jsonl FILE, or on standard input"
    ))
}

pub fn run(args: Args, ctx: &Context) -> Result<u8> {
    let rules = load_rules(args.text_lang)?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let code = if let Some(path) = &args.jsonl {
        if !args.text.is_empty() {
            bail!("give either TEXT arguments or --jsonl, not both");
        }
        if path.as_os_str() == "-" {
            jsonl(ctx, &rules, io::stdin().lock(), &mut out)?
        } else {
            let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
            jsonl(ctx, &rules, BufReader::new(f), &mut out)?
        }
        .ok_or_else(|| empty_text("the --jsonl input"))?
    } else if !args.text.is_empty() {
        if args.file.is_some() {
            bail!("give either TEXT arguments or --file, not both");
        }
        let t = args.text.join(" ");
        if t.trim().is_empty() {
            return Err(empty_text("the text"));
        }
        emit_one(ctx, &rules, &label(&t), &t, &mut out)?
    } else {
        let (t, name) = match &args.file {
            Some(p) if p.as_os_str() != "-" => {
                let f = File::open(p).with_context(|| format!("cannot open {}", p.display()))?;
                (
                    read_text(f, &p.display().to_string())?,
                    p.display().to_string(),
                )
            }
            _ => (
                read_text(io::stdin().lock(), "standard input")?,
                String::new(),
            ),
        };
        if t.trim().is_empty() {
            return Err(empty_text(if name.is_empty() {
                "standard input"
            } else {
                &name
            }));
        }
        let shown = if name.is_empty() { label(&t) } else { name };
        emit_one(ctx, &rules, &shown, &t, &mut out)?
    };
    out.flush()?;
    Ok(code)
}

/// One parsed JSON Lines record, or why it couldn't be used.
enum JsonlRecord {
    Ok {
        id: Value,
        text: String,
    },
    Bad {
        id: Value,
        line: usize,
        error: String,
    },
    Blank,
}

fn parse_line(n: usize, raw: Result<Vec<u8>, String>) -> JsonlRecord {
    let bytes = match raw {
        Ok(b) => b,
        Err(e) => {
            return JsonlRecord::Bad {
                id: Value::Null,
                line: n,
                error: e,
            };
        }
    };
    let s = match std::str::from_utf8(&bytes) {
        Ok(s) => s.trim(),
        Err(e) => {
            return JsonlRecord::Bad {
                id: Value::Null,
                line: n,
                error: format!("not valid UTF-8 (bad byte at offset {})", e.valid_up_to()),
            };
        }
    };
    if s.is_empty() {
        return JsonlRecord::Blank;
    }
    let v: Value = match serde_json::from_str(s) {
        Ok(v) => v,
        Err(e) => {
            return JsonlRecord::Bad {
                id: Value::Null,
                line: n,
                error: format!("not a JSON object: {e}"),
            };
        }
    };
    let id = v.get("id").cloned().unwrap_or(Value::Null);
    match v.get("text") {
        Some(Value::String(t)) if t.trim().is_empty() => JsonlRecord::Bad {
            id,
            line: n,
            error: "\"text\" is empty".into(),
        },
        Some(Value::String(t)) => JsonlRecord::Ok {
            id,
            text: t.clone(),
        },
        Some(_) => JsonlRecord::Bad {
            id,
            line: n,
            error: "\"text\" must be a string".into(),
        },
        None => JsonlRecord::Bad {
            id,
            line: n,
            error: "missing \"text\"".into(),
        },
    }
}

/// Read one line of at most [`MAX_JSONL_LINE`] bytes; longer lines are skipped to their end
/// and reported. `None` at end of input.
fn next_line(r: &mut impl BufRead) -> io::Result<Option<Result<Vec<u8>, String>>> {
    let Some((buf, total)) = super::input::read_capped(r, MAX_JSONL_LINE)? else {
        return Ok(None);
    };
    if total > MAX_JSONL_LINE {
        return Ok(Some(Err(format!(
            "line is {total} bytes, more than the {} MB limit per record",
            MAX_JSONL_LINE >> 20
        ))));
    }
    Ok(Some(Ok(buf)))
}

/// The batch; `None` when the input held no record at all (only blank lines).
fn jsonl(
    ctx: &Context,
    rules: &TextRules,
    mut r: impl BufRead,
    out: &mut impl Write,
) -> Result<Option<u8>> {
    let mut worst = 0u8;
    let mut n = 0usize;
    let mut records = 0usize;
    loop {
        let mut chunk = Vec::with_capacity(CHUNK);
        while chunk.len() < CHUNK {
            match next_line(&mut r).context("reading --jsonl input")? {
                Some(l) => {
                    n += 1;
                    chunk.push((n, l));
                }
                None => break,
            }
        }
        if chunk.is_empty() {
            break;
        }
        let last = chunk.len() < CHUNK;
        let results: Vec<Option<Value>> = chunk
            .into_par_iter()
            .map(|(n, l)| match parse_line(n, l) {
                JsonlRecord::Blank => None,
                JsonlRecord::Bad { id, line, error } => Some(json!({
                    "id": id,
                    "line": line,
                    "error": {"code": "input.bad_jsonl", "message": error},
                })),
                JsonlRecord::Ok { id, text } => {
                    let a = text::analyze(&ctx.engine, rules, &text);
                    let report = text::report_from(&label(&text), &a);
                    let (extra, _) = extras(&a, ctx);
                    let mut v = serde_json::to_value(&report).unwrap_or(Value::Null);
                    if let Some(o) = v.as_object_mut() {
                        o.insert("id".into(), id);
                        o.extend(extra);
                    }
                    Some(v)
                }
            })
            .collect();
        for v in results.into_iter().flatten() {
            records += 1;
            if let Some(e) = v.get("error") {
                eprintln!(
                    "phishprobe: text --jsonl line {}: {}",
                    v.get("line").unwrap_or(&Value::Null),
                    e.get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("bad record")
                );
            }
            let code = if v.get("error").is_some() {
                crate::EXIT_INPUT
            } else {
                match v.get("verdict").and_then(Value::as_str) {
                    Some("phishing") => 2,
                    Some("suspicious") => 1,
                    _ => 0,
                }
            };
            worst = worst.max(code);
            serde_json::to_writer(&mut *out, &v)?;
            out.write_all(b"\n")?;
        }
        if last {
            break;
        }
    }
    Ok((records > 0).then_some(worst))
}
