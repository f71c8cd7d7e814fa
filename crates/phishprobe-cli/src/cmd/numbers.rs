//! `phishprobe numbers add|list|remove`: the user's own list of numbers marked trusted or
//! scam, kept in a local SQLite file (`--db PATH`, `$PHISHPROBE_DB`, or the user data folder).
//! Numbers are stored in E.164 form when they parse, so any way of writing one finds it.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use clap::Subcommand;
use phishprobe_core::phone;
use phishprobe_store::{Mark, SqliteStore};
use serde_json::json;

use super::Context;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The numbers list file (default: $PHISHPROBE_DB or the user data folder).
    #[arg(long, value_name = "PATH", global = true)]
    pub db: Option<PathBuf>,
    #[command(subcommand)]
    pub action: Action,
    #[command(flatten)]
    pub output_opts: super::JsonLangOpts,
}

#[derive(Subcommand, Debug)]
pub enum Action {
    /// Mark a number as trusted or scam (marking again replaces the old mark).
    Add {
        /// The phone number, in any usual format (+1 888-280-4331, (010) 1234 5678).
        #[arg(value_name = "NUMBER")]
        number: String,
        /// You know this number is genuine (it still can't vouch for a call: caller ID can be faked).
        #[arg(long, conflicts_with = "scam", required_unless_present = "scam")]
        trusted: bool,
        /// This number called or texted you with a scam.
        #[arg(long)]
        scam: bool,
        /// A note for yourself (what happened, when).
        #[arg(long, default_value = "")]
        note: String,
        /// Region for a number written without a country code (US, CN, GB...).
        #[arg(long, value_name = "CC")]
        region: Option<String>,
    },
    /// Show every marked number.
    List,
    /// Remove a number from the list.
    Remove {
        /// The phone number, written any usual way (it is found by its E.164 form).
        #[arg(value_name = "NUMBER")]
        number: String,
        /// Region for a number written without a country code (US, CN, GB...).
        #[arg(long, value_name = "CC")]
        region: Option<String>,
    },
}

fn open(db: Option<&std::path::Path>) -> Result<SqliteStore> {
    let path = phishprobe_store::resolve_path(db)?;
    SqliteStore::open(&path).with_context(|| format!("opening the numbers list {}", path.display()))
}

fn key(number: &str, region: Option<&str>) -> Result<String> {
    if number.trim().is_empty() {
        return Err(super::usage(
            "numbers: an empty phone number; give the number to mark, in any usual format",
        ));
    }
    super::phone::check_region(region)?;
    match phone::list_key(number, region) {
        Some(k) => Ok(k),
        None => bail!("{number:?} is not a phone number"),
    }
}

pub fn run(args: Args, ctx: &Context) -> Result<u8> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let zh = ctx.lang == phishprobe_core::Lang::Zh;
    match args.action {
        Action::Add {
            number,
            trusted,
            scam,
            note,
            region,
        } => {
            let k = key(&number, region.as_deref())?;
            let mark = if scam && !trusted {
                Mark::Scam
            } else {
                Mark::Trusted
            };
            let store = open(args.db.as_deref())?;
            store.add_number(&k, mark, &note)?;
            if ctx.json {
                writeln!(
                    out,
                    "{}",
                    json!({"added": k, "mark": mark.as_str(), "note": note, "db": store.path()})
                )?;
            } else if zh {
                writeln!(
                    out,
                    "已添加 {k}：{}（{}）",
                    if mark == Mark::Scam {
                        "诈骗"
                    } else {
                        "可信"
                    },
                    store.path()
                )?;
            } else {
                writeln!(out, "added {k} as {} ({})", mark.as_str(), store.path())?;
            }
        }
        Action::List => {
            let store = open(args.db.as_deref())?;
            for e in store.list_numbers()? {
                if ctx.json {
                    writeln!(
                        out,
                        "{}",
                        json!({"number": e.number, "mark": e.mark.as_str(), "note": e.note,
                               "added_at": e.added_at, "updated_at": e.updated_at})
                    )?;
                } else {
                    writeln!(out, "{:<18} {:<8} {}", e.number, e.mark.as_str(), e.note)?;
                }
            }
        }
        Action::Remove { number, region } => {
            let k = key(&number, region.as_deref())?;
            let store = open(args.db.as_deref())?;
            let removed = store.remove_number(&k)?;
            if ctx.json {
                writeln!(out, "{}", json!({"removed": k, "found": removed}))?;
            } else if removed {
                writeln!(
                    out,
                    "{}",
                    if zh {
                        format!("已删除 {k}")
                    } else {
                        format!("removed {k}")
                    }
                )?;
            } else {
                // Not found is an error (exit 4): said on stderr, like every error.
                eprintln!(
                    "phishprobe: {}",
                    if zh {
                        format!("{k} 不在列表中")
                    } else {
                        format!("{k} was not on the list")
                    }
                );
            }
            if !removed {
                out.flush()?;
                return Ok(crate::EXIT_INPUT);
            }
        }
    }
    out.flush()?;
    Ok(0)
}
