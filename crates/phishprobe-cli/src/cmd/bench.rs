//! `phishprobe bench`: throughput of the analysis pipelines on one core, on a file of inputs
//! (for example the shared corpus) or on generated hostnames. Speed is measured here, never in
//! timed unit tests.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use super::Context;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to measure: `hosts` (hostname verdicts) or `urls` (URL verdicts).
    #[arg(value_parser = ["hosts", "urls"], default_value = "hosts")]
    pub pipeline: String,
    /// Inputs, one per line (default: generated hostnames mixing brands, look-alikes and noise).
    #[arg(long, short = 'f', value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// How long to run.
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
}

/// Generated hostnames: a fixed, varied mix so runs are comparable without the corpus.
fn generated() -> Vec<String> {
    let words = [
        "shop",
        "news",
        "mail",
        "cloud",
        "secure",
        "login",
        "data",
        "blog",
        "store",
        "media",
        "amazon",
        "amaz0n",
        "paypal",
        "ebay",
        "apple",
        "sellercentral",
        "support",
        "verify",
    ];
    let tlds = [
        "com",
        "net",
        "org",
        "co.uk",
        "top",
        "xyz",
        "vercel.app",
        "co.jp",
        "de",
        "shop",
    ];
    let mut out = Vec::new();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..20_000u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let w1 = words[(x % words.len() as u64) as usize];
        let w2 = words[((x >> 8) % words.len() as u64) as usize];
        let t = tlds[((x >> 16) % tlds.len() as u64) as usize];
        out.push(match i % 4 {
            0 => format!("{w1}{}.{t}", i % 97),
            1 => format!("{w1}-{w2}.{t}"),
            2 => format!("www.{w2}.{t}"),
            _ => format!("{w1}.{w2}-{}.{t}", x % 1000),
        });
    }
    out
}

pub fn run(args: Args, ctx: &Context) -> Result<u8> {
    let inputs = match &args.file {
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("cannot read {}", p.display()))?
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| l.split('\t').next().unwrap_or(l).to_string())
            .collect(),
        None => generated(),
    };
    if inputs.is_empty() {
        bail!("no inputs to measure");
    }
    let budget = Duration::from_secs_f64(args.seconds.clamp(0.1, 600.0));
    let start = Instant::now();
    let mut n: u64 = 0;
    let mut flagged: u64 = 0;
    while start.elapsed() < budget {
        for s in &inputs {
            let r = match args.pipeline.as_str() {
                "urls" => ctx.engine.check_url(s),
                _ => ctx.engine.check_host(s),
            };
            flagged += u64::from(r.verdict.exit_code() > 0);
            n += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let rate = n as f64 / secs;
    println!(
        "{}: {n} checks in {secs:.2} s on one thread = {rate:.0} per second ({:.2} µs each); {:.1}% flagged; peak RSS {}",
        args.pipeline,
        1e6 / rate,
        100.0 * flagged as f64 / n as f64,
        peak_rss().unwrap_or_else(|| "n/a".into())
    );
    Ok(0)
}

/// Peak resident memory of this process (Linux), for the README figures.
pub fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
}
