//! `phishprobe history list|show ID|export ID --format json|html|delete ID`: the cases saved
//! by `phishprobe case` (and the server), with a self-contained report to forward.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Subcommand, ValueEnum};
use phishprobe_case::export;
use phishprobe_core::Lang;
use serde_json::json;

use super::Context;
use crate::output;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
    /// History database: a SQLite file or a postgres:// URL (default: $PHISHPROBE_DB or the
    /// user data folder).
    #[arg(long, global = true, value_name = "PATH|URL")]
    pub db: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Action {
    /// Saved cases, newest first.
    List {
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, default_value_t = 0)]
        offset: u32,
    },
    /// One case in full: steps, reasons, advice, what was kept.
    Show { id: String },
    /// Write a case as one self-contained HTML file (to attach when reporting) or JSON.
    Export {
        id: String,
        #[arg(long, value_enum, default_value_t = Format::Html)]
        format: Format,
        /// Output file (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Delete a case with its inputs and evidence.
    Delete { id: String },
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Html,
}

fn not_found(id: &str) -> anyhow::Error {
    anyhow!("no case {id} in the history (phishprobe history list shows them)")
}

pub fn run(args: Args, ctx: &Context) -> Result<u8> {
    let mut db = super::case::open_db(args.db.as_deref())?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match args.action {
        Action::List { limit, offset } => {
            if limit == 0 || limit > 10_000 {
                bail!("--limit must be between 1 and 10000");
            }
            let cases = db.list_cases(limit, offset)?;
            if ctx.json {
                for c in &cases {
                    serde_json::to_writer(
                        &mut out,
                        &json!({
                            "id": c.id, "created_at": export::utc_time(c.created_at),
                            "created_at_ms": c.created_at, "verdict": c.verdict,
                            "brand": c.brand, "score": c.score, "title": c.title,
                            "inputs_kept": c.inputs_kept,
                        }),
                    )?;
                    out.write_all(b"\n")?;
                }
            } else if cases.is_empty() {
                writeln!(
                    out,
                    "{}",
                    match ctx.lang {
                        Lang::En => "No saved cases.",
                        Lang::Zh => "没有已保存的案例。",
                    }
                )?;
            } else {
                for c in &cases {
                    writeln!(
                        out,
                        "{}  {}  {:<10}  {:<8}  {}",
                        c.id,
                        export::utc_time(c.created_at),
                        c.verdict,
                        c.brand.as_deref().unwrap_or("-"),
                        c.title
                    )?;
                }
            }
        }
        Action::Show { id } => {
            let case = db.get_case(&id)?.ok_or_else(|| not_found(&id))?;
            let report = export::report_of(&case).context("reading the saved report")?;
            if ctx.json {
                let mut v = export::json(&case)?;
                // `show` lists the evidence; `export --format json` carries its bytes.
                if let Some(ev) = v.get_mut("evidence").and_then(|e| e.as_array_mut()) {
                    ev.iter_mut()
                        .filter_map(|e| e.as_object_mut())
                        .for_each(|e| {
                            e.remove("base64");
                        });
                }
                serde_json::to_writer(&mut out, &v)?;
                out.write_all(b"\n")?;
            } else {
                writeln!(
                    out,
                    "case {}  {}",
                    case.summary.id,
                    export::utc_time(case.summary.created_at)
                )?;
                out.write_all(
                    output::render_case(&report, ctx.lang, output::use_color(ctx)).as_bytes(),
                )?;
                writeln!(out)?;
                for i in &case.inputs {
                    let kept = if i.content.is_some() {
                        "kept"
                    } else {
                        "hash only"
                    };
                    writeln!(
                        out,
                        "  input {:<6} {}  {} B  sha256 {}  ({kept})",
                        i.kind, i.name, i.size, i.sha256
                    )?;
                }
                for e in &case.evidence {
                    writeln!(
                        out,
                        "  evidence {}  {}  {} B",
                        e.name,
                        e.media_type,
                        e.content.len()
                    )?;
                }
            }
        }
        Action::Export {
            id,
            format,
            out: file,
        } => {
            let case = db.get_case(&id)?.ok_or_else(|| not_found(&id))?;
            let body = match format {
                Format::Html => {
                    export::html(&case, ctx.lang).context("reading the saved report")?
                }
                Format::Json => {
                    let mut s = serde_json::to_string_pretty(&export::json(&case)?)?;
                    s.push('\n');
                    s
                }
            };
            match file {
                Some(p) => {
                    std::fs::write(&p, body).with_context(|| format!("writing {}", p.display()))?
                }
                None => out.write_all(body.as_bytes())?,
            }
        }
        Action::Delete { id } => {
            if !db.delete_case(&id)? {
                return Err(not_found(&id));
            }
            if ctx.json {
                serde_json::to_writer(&mut out, &json!({ "deleted": id }))?;
                out.write_all(b"\n")?;
            } else {
                writeln!(out, "deleted {id}")?;
            }
        }
    }
    out.flush()?;
    Ok(0)
}
