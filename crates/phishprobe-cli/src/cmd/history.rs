//! `phishprobe history list|show ID|export ID --format json|html|delete ID`: the cases saved
//! by `phishprobe case` (and the server), with a self-contained report to forward.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Subcommand, ValueEnum};
use phishprobe_case::{export, labels};
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
    #[command(flatten)]
    pub output_opts: super::OutputOpts,
}

#[derive(Subcommand, Debug)]
pub enum Action {
    /// Saved cases, newest first.
    List {
        /// How many cases to show (1 to 10000).
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Skip this many of the newest cases first (for paging).
        #[arg(long, default_value_t = 0)]
        offset: u32,
    },
    /// One case in full: steps, reasons, advice, what was kept.
    Show {
        /// The case id `history list` shows (12 characters; a unique prefix of 4 or more is enough).
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Write a case as one self-contained HTML file (to forward when reporting) or JSON.
    Export {
        /// The case id `history list` shows (12 characters; a unique prefix of 4 or more is enough).
        #[arg(value_name = "ID")]
        id: String,
        #[arg(long, value_enum, default_value_t = Format::Html)]
        format: Format,
        /// Output file (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Delete a case with its inputs and evidence.
    Delete {
        /// The case id `history list` shows (12 characters; a unique prefix of 4 or more is enough).
        #[arg(value_name = "ID")]
        id: String,
    },
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Html,
}

/// What a case id looks like, from the store's own id alphabet.
fn id_shape() -> String {
    use phishprobe_store::cases::{ID_ALPHABET, ID_LEN};
    format!(
        "a case id is {ID_LEN} characters of {ID_ALPHABET} (Crockford base32: no i, l, o or u), \
and a unique prefix of 4 or more is enough"
    )
}

fn not_found(id: &str) -> anyhow::Error {
    anyhow!(
        "no case {id:?} in the history; {}; `phishprobe history list` shows the saved cases",
        id_shape()
    )
}

/// Refuse an id that cannot be one (a usage error) before asking the store, with the shape.
fn checked_id(id: &str) -> Result<String> {
    phishprobe_store::cases::check_id(id).map_err(|_| {
        let what = if id.trim().is_empty() {
            "the case id is empty".to_string()
        } else {
            format!("{id:?} is not a case id")
        };
        super::usage(format!(
            "{what}; {}; `phishprobe history list` shows the saved cases",
            id_shape()
        ))
    })
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
                        labels::stored_verdict_word(&c.verdict, ctx.lang),
                        c.brand.as_deref().unwrap_or("-"),
                        export::translate_title(&c.title, ctx.lang)
                    )?;
                }
            }
        }
        Action::Show { id } => {
            let id = checked_id(&id)?;
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
                let zh = ctx.lang == Lang::Zh;
                writeln!(
                    out,
                    "{} {}  {}",
                    if zh { "案例" } else { "case" },
                    case.summary.id,
                    export::utc_time(case.summary.created_at)
                )?;
                out.write_all(
                    output::render_case(&report, ctx.lang, output::use_color(ctx)).as_bytes(),
                )?;
                writeln!(out)?;
                let (input_w, kept_w, hash_w, evidence_w) = if zh {
                    ("输入", "已保存", "仅哈希", "证据")
                } else {
                    ("input", "kept", "hash only", "evidence")
                };
                for i in &case.inputs {
                    let kept = if i.content.is_some() { kept_w } else { hash_w };
                    writeln!(
                        out,
                        "  {input_w} {:<6} {}  {} B  sha256 {}  ({kept})",
                        export::kind_word(&i.kind, ctx.lang),
                        export::shown_name(&i.kind, &i.name),
                        i.size,
                        i.sha256
                    )?;
                }
                for e in &case.evidence {
                    writeln!(
                        out,
                        "  {evidence_w} {}  {}  {} B",
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
            let id = checked_id(&id)?;
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
            let id = checked_id(&id)?;
            if !db.delete_case(&id)? {
                return Err(not_found(&id));
            }
            if ctx.json {
                serde_json::to_writer(&mut out, &json!({ "deleted": id }))?;
                out.write_all(b"\n")?;
            } else if ctx.lang == Lang::Zh {
                writeln!(out, "已删除 {id}")?;
            } else {
                writeln!(out, "deleted {id}")?;
            }
        }
    }
    out.flush()?;
    Ok(0)
}
