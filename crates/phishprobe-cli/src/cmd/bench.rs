//! `phishprobe bench`: throughput of the analysis pipelines on one core, on a file of inputs
//! (for example the shared corpus) or on generated hostnames. Speed is measured here, never in
//! timed unit tests.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use super::Context;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to measure: `hosts` (hostname verdicts), `urls` (URL verdicts), `case` (a whole
    /// case without the probe: email, link, number and call words, checked, combined and, with
    /// --db, saved; the data files are loaded once, as in `serve`) or `milter` (messages per
    /// second through a throwaway Postfix with and without the milter; needs root and Debian's
    /// postfix; --file is a folder of .eml files, default ../shared/corpus/email) or `feed`
    /// (names per second through NATS JetStream and `screen` workers into the store, broker
    /// and worker CPU, publish → stored latency, a worker killed midway, bytes per name;
    /// starts a throwaway nats-server unless --nats is given) or `audio` (speech to text per
    /// model: real-time factor on one thread and all cores, peak memory, word errors and
    /// verdicts on espeak-ng calls, clean and through a phone line; needs the cargo feature
    /// `audio`, the models installed, espeak-ng and sox).
    #[arg(value_parser = ["hosts", "urls", "case", "milter", "feed", "audio"], default_value = "hosts")]
    pub pipeline: String,
    /// `audio` only: models to measure, comma-separated (installed names or paths).
    #[arg(long, value_name = "NAME,NAME", value_delimiter = ',', default_values_t = ["base".to_string(), "tiny.en".to_string()])]
    pub models: Vec<String>,
    /// `feed` only: names published per measured phase (unique per run).
    #[arg(long, value_name = "N", default_value_t = 50_000)]
    pub names: usize,
    /// `feed` only: worker process counts to measure, comma-separated.
    #[arg(long, value_name = "N,N", value_delimiter = ',', default_values_t = [1usize, 2])]
    pub workers: Vec<usize>,
    /// `feed` only: use this running NATS server instead of starting one (the bench drains
    /// its phishprobe streams: use a server nothing else works on).
    #[arg(long, value_name = "URL")]
    pub nats: Option<String>,
    /// `feed` only: seconds before a name a worker holds is delivered again (the consumer's
    /// ack wait when the bench creates it; `screen` uses 30).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub ack_wait: u64,
    /// `feed` only: names per second in the latency phase (keep it below capacity).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub latency_rate: u32,
    /// `feed` only: seconds the latency phase publishes for.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub latency_seconds: f64,
    /// `feed` only: also measure recovery after the stream leader of a throwaway three-node
    /// cluster is killed midway (adds up to a minute: names held by the dead leader come back
    /// after the ack wait).
    #[arg(long)]
    pub cluster: bool,
    /// `feed` only: print one JSON object instead of the table.
    #[arg(long, help_heading = super::GLOBAL)]
    pub json: bool,
    /// `milter` only: messages sent per measured run.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub messages: usize,
    /// `milter` only: SMTP connections sending at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub connections: usize,
    /// `milter` only: also measure this already running milter through the same Postfix
    /// (Postfix notation, for example inet:127.0.0.1:11332 for rspamd's proxy).
    #[arg(long, value_name = "SPEC")]
    pub compare_milter: Option<String>,
    /// `milter` only: an extra main.cf setting for the throwaway Postfix (`name = value`);
    /// repeatable.
    #[arg(long, value_name = "SETTING")]
    pub postfix_setting: Vec<String>,
    /// Inputs, one per line (default: generated hostnames mixing brands, look-alikes and noise).
    #[arg(long, short = 'f', value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// How long to run.
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
    /// `case`: also save every case to this history; `feed`: the workers' store instead of a
    /// SQLite file per phase in a temporary folder (SQLite file or postgres:// URL).
    #[arg(long, value_name = "PATH|URL")]
    pub db: Option<String>,
    #[command(flatten)]
    pub brands: super::BrandsOpt,
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
    if args.pipeline == "case" {
        return bench_case(&args, ctx);
    }
    if args.pipeline == "audio" {
        return super::bench_audio::run(&args.models, ctx);
    }
    if args.pipeline == "feed" {
        return super::bench_feed::run(
            &super::bench_feed::Settings {
                nats: args.nats.clone(),
                db: args.db.clone(),
                names: args.names,
                workers: args.workers.clone(),
                ack_wait: args.ack_wait,
                latency_rate: args.latency_rate,
                latency_seconds: args.latency_seconds,
                brands: args.brands.brands.clone(),
                json: ctx.json,
                cluster: args.cluster,
            },
            ctx,
            super::rules_version(args.brands.brands.as_deref())?,
        );
    }
    if args.pipeline == "milter" {
        if !(1..=1_000_000).contains(&args.messages) || !(1..=64).contains(&args.connections) {
            bail!("--messages must be 1..1000000 and --connections 1..64");
        }
        return super::bench_milter::run(&super::bench_milter::Settings {
            folder: args
                .file
                .clone()
                .unwrap_or_else(|| PathBuf::from("../shared/corpus/email")),
            messages: args.messages,
            connections: args.connections,
            compare: args.compare_milter.clone(),
            postfix_settings: args.postfix_setting.clone(),
        });
    }
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

/// The built-in case: what a seller gets in one incident. A look-alike "Seller Support" email
/// with its link, the link itself, the number that called and the call notes.
const CASE_EMAIL: &str = "Return-Path: <bounce@mailer-notice.top>\r\n\
From: \"Amazon Seller Support\" <support@amazon-seller-notice.top>\r\n\
To: seller@example.org\r\nSubject: Action required: your seller account is on hold\r\n\
Date: Thu, 19 Nov 2026 08:00:00 +0000\r\nMessage-ID: <1@mailer-notice.top>\r\n\
MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
<html><head><title>Amazon Seller Central</title></head><body><p>Dear seller,</p>\
<p>We detected unusual activity and placed your account on hold. Verify your identity within \
24 hours or your funds will be withheld.</p><p><a href=\"https://sellercentral-amazon.account-reset.top/ap/signin\">\
https://sellercentral.amazon.com/verify</a></p><p>Amazon Seller Support</p></body></html>\r\n";
const CASE_URL: &str = "https://sellercentral-amazon.account-reset.top/ap/signin";
const CASE_PHONE: &str = "+1 (888) 555-0142";
const CASE_TEXT: &str = "Caller said he is from Amazon Prime Security. My account was hacked and \
an iPhone was bought for $999. He told me to download AnyDesk and read him the code, and not to \
tell anyone. Then he sent an SMS: reset your store password at \
https://sellercentral-amazon.account-reset.top/ap/signin within 24 hours.";

/// Time whole cases (no probe), after loading the case rules once.
fn bench_case(args: &Args, ctx: &Context) -> Result<u8> {
    if args.file.is_some() {
        bail!("bench case uses its built-in case; --file is for hosts and urls");
    }
    let load = Instant::now();
    let checker = phishprobe_case::CaseChecker::embedded()
        .context("loading the case rules")?
        .with_email_data(ctx.email_data.clone());
    let email = checker.email_checker(&ctx.engine);
    let load = load.elapsed();
    let mut db = match &args.db {
        Some(d) => Some(super::case::open_db(Some(d))?),
        None => None,
    };
    let inputs = phishprobe_case::CaseInputs {
        email: Some(("bench.eml".into(), CASE_EMAIL.as_bytes().to_vec())),
        urls: vec![CASE_URL.into()],
        phones: vec![CASE_PHONE.into()],
        texts: vec![("call-notes".into(), CASE_TEXT.into())],
        keep_inputs: true,
        ..phishprobe_case::CaseInputs::default()
    };
    let budget = Duration::from_secs_f64(args.seconds.clamp(0.1, 600.0));
    let mut times: Vec<Duration> = Vec::new();
    let start = Instant::now();
    let mut verdict = phishprobe_core::Verdict::Unknown;
    while start.elapsed() < budget && times.len() < 1_000_000 {
        let t = Instant::now();
        let parts = checker
            .check_parts_with(&ctx.engine, &email, &inputs, &|_| None)
            .map_err(|e| anyhow::anyhow!(e))?;
        let report = checker.finish(
            &ctx.engine,
            &parts,
            phishprobe_core::combine::ProbeStatus::NotRequested,
        );
        let row = phishprobe_case::new_case(&inputs, &report, Vec::new())?;
        if let Some(d) = db.as_mut() {
            d.save_case(&row)?;
        }
        verdict = report.verdict;
        times.push(t.elapsed());
    }
    times.sort_unstable();
    let pick = |q: f64| {
        let i = ((times.len() as f64 - 1.0) * q).round() as usize;
        times.get(i).copied().unwrap_or_default()
    };
    println!(
        "case{}: {} cases in {:.2} s on one thread; per case p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (verdict {}); rules loaded in {:.0} ms; peak RSS {}",
        if db.is_some() { " + save" } else { "" },
        times.len(),
        start.elapsed().as_secs_f64(),
        pick(0.5).as_secs_f64() * 1e3,
        pick(0.99).as_secs_f64() * 1e3,
        pick(1.0).as_secs_f64() * 1e3,
        verdict.as_str(),
        load.as_secs_f64() * 1e3,
        peak_rss().unwrap_or_else(|| "n/a".into())
    );
    Ok(0)
}
