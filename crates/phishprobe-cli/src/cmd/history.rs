//! `phishprobe history list|show ID|export ID --format json|html|delete ID`: the cases saved
//! by `phishprobe case` (and the server), with a self-contained report to forward.
//! `phishprobe history domains`: what the domain feed's workers judged (module [`domains`]).

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
    /// Verdicts of the domain feed's workers, newest first (or the names that kept failing).
    Domains(domains::DomainArgs),
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
        Action::Domains(d) => domains::run(&mut db, &d, ctx, &mut out)?,
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

/// `history domains`: the verdicts `phishprobe screen` workers wrote for names from the
/// Certificate Transparency feed, or the names that kept failing (`--dead-letters`). Kept in
/// this file beside the other `history` actions; a module of its own so it reads apart.
mod domains {
    use std::io::Write;

    use anyhow::{Result, bail};
    use phishprobe_case::{export, labels};
    use phishprobe_core::Lang;
    use phishprobe_store::domains::VERDICTS;
    use phishprobe_store::{DomainQuery, HistoryStore, StoredDomainVerdict};
    use serde_json::{Value, json};

    use super::Context;

    #[derive(clap::Args, Debug)]
    pub struct DomainArgs {
        /// Only this verdict (repeat for several).
        #[arg(long = "verdict", value_name = "VERDICT",
              value_parser = clap::builder::PossibleValuesParser::new(VERDICTS))]
        verdicts: Vec<String>,
        /// Only names containing this text.
        #[arg(long, value_name = "TEXT")]
        contains: Option<String>,
        /// How many rows to show (1 to 10000).
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Skip this many of the newest rows first (for paging).
        #[arg(long, default_value_t = 0)]
        offset: u32,
        /// Show the names that kept failing (dead letters) instead of verdicts.
        #[arg(long, conflicts_with_all = ["verdicts", "contains", "offset"])]
        dead_letters: bool,
    }

    pub fn run(
        db: &mut HistoryStore,
        args: &DomainArgs,
        ctx: &Context,
        out: &mut impl Write,
    ) -> Result<()> {
        if args.limit == 0 || args.limit > 10_000 {
            bail!("--limit must be between 1 and 10000");
        }
        if args.dead_letters {
            return dead_letters(db, args.limit, ctx, out);
        }
        let query = DomainQuery {
            verdicts: args.verdicts.clone(),
            name_contains: args.contains.clone(),
            limit: args.limit,
            offset: args.offset,
        };
        let rows = db.list_domain_verdicts(&query)?;
        if ctx.json {
            for r in &rows {
                serde_json::to_writer(&mut *out, &json_line(r))?;
                out.write_all(b"\n")?;
            }
            return Ok(());
        }
        let zh = ctx.lang == Lang::Zh;
        if rows.is_empty() {
            let none = if zh {
                "没有域名判定。"
            } else {
                "No domain verdicts."
            };
            writeln!(out, "{none}")?;
            return Ok(());
        }
        table(&rows, ctx.lang, out)?;
        let total = db.count_domain_verdicts(&query)?;
        let first = u64::from(args.offset) + 1;
        let last = u64::from(args.offset) + rows.len() as u64;
        if zh {
            writeln!(out, "第 {first}–{last} 条，共 {total} 条")?;
        } else {
            writeln!(out, "{first}–{last} of {total}")?;
        }
        Ok(())
    }

    /// The stored report with the row's own columns added: one self-describing object per
    /// line. A report that is not a JSON object (never written so, but the row says so
    /// rather than failing the listing) is kept as a string under `report`.
    fn json_line(r: &StoredDomainVerdict) -> Value {
        let mut v = match serde_json::from_str::<Value>(&r.report_json) {
            Ok(Value::Object(m)) => Value::Object(m),
            _ => json!({ "report": r.report_json }),
        };
        if let Some(m) = v.as_object_mut() {
            m.insert("name".into(), json!(r.name));
            m.insert("rules_version".into(), json!(r.rules_version));
            m.insert("writes".into(), json!(r.writes));
            m.insert("first_seen".into(), json!(r.first_seen));
            m.insert("last_written".into(), json!(r.last_written));
            m.insert("source".into(), json!(r.source));
            // The report carries these already; the columns fill in for one that does not.
            m.entry("verdict").or_insert_with(|| json!(r.verdict));
            m.entry("score").or_insert_with(|| json!(r.score));
            m.entry("brand").or_insert_with(|| json!(r.brand));
        }
        v
    }

    /// Verdict, score, brand, name, writes (and the rules version, so two rows of one name
    /// under different rules tell apart), columns padded to the widest cell.
    fn table(rows: &[StoredDomainVerdict], lang: Lang, out: &mut impl Write) -> Result<()> {
        let head = match lang {
            Lang::En => ["VERDICT", "SCORE", "BRAND", "NAME", "WRITES", "RULES"],
            Lang::Zh => ["判定", "分数", "品牌", "域名", "写入", "规则"],
        };
        let cells: Vec<[String; 6]> = rows
            .iter()
            .map(|r| {
                [
                    labels::stored_verdict_word(&r.verdict, lang),
                    r.score.to_string(),
                    r.brand.clone().unwrap_or_else(|| "-".into()),
                    r.name.clone(),
                    r.writes.to_string(),
                    r.rules_version.clone(),
                ]
            })
            .collect();
        let mut width = head.map(|h| h.chars().count());
        for c in &cells {
            for (w, cell) in width.iter_mut().zip(c) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |c: &[&str; 6]| {
            format!(
                "{:<w0$}  {:>w1$}  {:<w2$}  {:<w3$}  {:>w4$}  {}",
                c[0],
                c[1],
                c[2],
                c[3],
                c[4],
                c[5],
                w0 = width[0],
                w1 = width[1],
                w2 = width[2],
                w3 = width[3],
                w4 = width[4],
            )
        };
        writeln!(out, "{}", line(&head).trim_end())?;
        for c in &cells {
            let refs = [
                c[0].as_str(),
                c[1].as_str(),
                c[2].as_str(),
                c[3].as_str(),
                c[4].as_str(),
                c[5].as_str(),
            ];
            writeln!(out, "{}", line(&refs).trim_end())?;
        }
        Ok(())
    }

    fn dead_letters(
        db: &mut HistoryStore,
        limit: u32,
        ctx: &Context,
        out: &mut impl Write,
    ) -> Result<()> {
        let dead = db.list_dead_letters(limit)?;
        if ctx.json {
            for d in &dead {
                serde_json::to_writer(
                    &mut *out,
                    &json!({
                        "name": d.name, "reason": d.reason, "deliveries": d.deliveries,
                        "at": d.at, "at_utc": export::utc_time(d.at.saturating_mul(1000)),
                    }),
                )?;
                out.write_all(b"\n")?;
            }
        } else if dead.is_empty() {
            let none = match ctx.lang {
                Lang::En => "No dead letters.",
                Lang::Zh => "没有死信。",
            };
            writeln!(out, "{none}")?;
        } else {
            let tries = match ctx.lang {
                Lang::En => "deliveries",
                Lang::Zh => "次投递",
            };
            for d in &dead {
                // The reason is an error message: one line of it, so one name is one line.
                let reason: String = d
                    .reason
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect();
                writeln!(
                    out,
                    "{}  {}  {} {tries}  {}",
                    export::utc_time(d.at.saturating_mul(1000)),
                    d.name,
                    d.deliveries,
                    reason
                )?;
            }
        }
        Ok(())
    }
}
