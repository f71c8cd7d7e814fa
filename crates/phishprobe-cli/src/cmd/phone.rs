//! `phishprobe phone NUMBER... [--region CC]`: parse, normalise and explain phone numbers.
//!
//! The verdict is unknown unless the user's own list (`phishprobe numbers`) marks the number
//! as scam (suspicious) or it is premium-rate (suspicious); a number marked trusted stays
//! unknown because caller ID can be spoofed. Every answer explains what to do instead of
//! trusting a number. The list is only read when its file exists (or `--db` is given), so
//! checking a number never creates a database.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use phishprobe_core::phone::{self, UserMark};
use phishprobe_store::{Mark, SqliteStore};
use serde_json::{Map, Value, json};

use super::Context;
use crate::output;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Phone numbers, in any usual format (+1 888-280-4331, (010) 1234 5678, full-width digits).
    #[arg(required = true, value_name = "NUMBER")]
    pub numbers: Vec<String>,
    /// Your region (ISO code such as US, CN, GB) for numbers written without a country code.
    /// Default: try US, then CN, then GB.
    #[arg(long, value_name = "CC")]
    pub region: Option<String>,
    /// Your local numbers list (default: $PHISHPROBE_DB or the user data folder).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    #[command(flatten)]
    pub output_opts: super::OutputOpts,
    #[command(flatten)]
    pub brands: super::BrandsOpt,
}

/// Open the user's list if it exists (or was named explicitly).
pub fn open_list(db: Option<&std::path::Path>) -> Result<Option<SqliteStore>> {
    let path = phishprobe_store::resolve_path(db)?;
    if db.is_none() && !path.exists() {
        return Ok(None);
    }
    Ok(Some(SqliteStore::open(&path).with_context(|| {
        format!("opening the numbers list {}", path.display())
    })?))
}

pub fn check_region(region: Option<&str>) -> Result<()> {
    if let Some(r) = region
        && phone::parse_region(r).is_none()
    {
        bail!("--region {r:?} is not a known region code (use ISO codes such as US, CN, GB)");
    }
    Ok(())
}

pub fn run(args: Args, ctx: &Context) -> Result<u8> {
    if args.numbers.iter().any(|n| n.trim().is_empty()) {
        return Err(super::usage(
            "phone: an empty phone number; give the number that called or texted, in any usual format",
        ));
    }
    check_region(args.region.as_deref())?;
    let list = open_list(args.db.as_deref())?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut worst = 0u8;
    for n in &args.numbers {
        let info = phone::analyze(n, args.region.as_deref());
        let key = info
            .e164
            .clone()
            .or_else(|| (!info.normalized.is_empty()).then(|| info.normalized.clone()));
        let mark = match (&list, &key) {
            (Some(s), Some(k)) => s.get_number(k)?.map(|e| match e.mark {
                Mark::Trusted => UserMark::Trusted,
                Mark::Scam => UserMark::Scam,
            }),
            _ => None,
        };
        let report = phone::check_info(&ctx.engine, &info, mark);
        let mut extra = Map::new();
        extra.insert(
            "class".into(),
            serde_json::to_value(info.class).unwrap_or(Value::Null),
        );
        extra.insert("e164".into(), json!(info.e164));
        extra.insert("country".into(), json!(info.country));
        extra.insert("number_type".into(), json!(info.number_type));
        extra.insert(
            "user_mark".into(),
            json!(mark.map(|m| match m {
                UserMark::Trusted => "trusted",
                UserMark::Scam => "scam",
            })),
        );
        output::emit_extended(ctx, &mut out, &report, extra, "")?;
        worst = worst.max(report.verdict.exit_code() as u8);
    }
    out.flush()?;
    Ok(worst)
}
