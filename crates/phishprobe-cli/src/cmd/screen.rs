//! `phishprobe screen --nats URL`: one screening worker. Run as many as you like on as many
//! machines: they share one durable JetStream consumer, store every verdict in the history
//! store (SQLite here, PostgreSQL when machines share it) and only then acknowledge it.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use futures::FutureExt;
use phishprobe_core::{Engine, Report};
use phishprobe_feed::broker::nats::{NatsOptions, NatsQueue};
use phishprobe_feed::broker::{NameQueue, Queue};
use phishprobe_feed::screen::{Screened, VerdictSink, WorkerOptions, run_worker};
use phishprobe_store::{DomainVerdict, HistoryStore};
use serde_json::json;

use super::Context;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The NATS server(s): nats://HOST:PORT, several separated by commas for a cluster.
    #[arg(long, value_name = "URL")]
    pub nats: String,
    /// History database: a SQLite file or a postgres:// URL (default: $PHISHPROBE_DB or the
    /// user data folder).
    #[arg(long, visible_alias = "database", value_name = "PATH|URL")]
    pub db: Option<String>,
    /// Work on the deep-check queue (the names the host check flagged): fetch each page and
    /// run the wrong-password test over plain HTTP, storing that verdict too.
    #[arg(long)]
    pub deep: bool,
    /// Deep checks: allow loopback and private addresses (test sites only).
    #[arg(long)]
    pub allow_private: bool,
    /// Deep checks: the scheme used to reach a name (https by default).
    #[arg(long, value_name = "SCHEME", default_value = "https")]
    pub deep_scheme: String,
    /// Deep checks run at once by one worker (each is a page fetch and a decoy submission).
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub deep_batch: usize,
    /// Print the queue depths as JSON and exit.
    #[arg(long)]
    pub status: bool,
    /// Stop after this many seconds with nothing delivered and nothing pending (default: run
    /// until stopped).
    #[arg(long, value_name = "SECS")]
    pub until_idle: Option<u64>,
    /// Names fetched, judged and stored together.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub batch: usize,
    /// Seconds a worker may hold a name before the broker gives it to another.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub ack_wait: u64,
    /// Deliveries before a failing name is given up and recorded as a dead letter.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub max_deliver: u32,
    /// Stream copies when the streams are created (3 on a three-node cluster).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub replicas: usize,
    /// Fault injection for the crash tests: abort after storing this many batches, before
    /// acknowledging the last one.
    #[arg(long, value_name = "N", hide = true)]
    pub crash_after_batches: Option<u64>,
    #[command(flatten)]
    pub output_opts: super::OutputOpts,
    #[command(flatten)]
    pub brands: super::BrandsOpt,
}

pub fn run(args: Args, ctx: &Context, rules_version: String) -> Result<u8> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(screen(args, ctx, rules_version))
}

async fn screen(args: Args, ctx: &Context, rules_version: String) -> Result<u8> {
    let options = NatsOptions {
        replicas: args.replicas.clamp(1, 5),
        ack_wait: Duration::from_secs(args.ack_wait.max(1)),
        max_deliver: i64::from(args.max_deliver.max(1)),
        ..NatsOptions::default()
    };
    let queue = NatsQueue::connect(&args.nats, options)
        .await
        .map_err(|e| anyhow!(e))?;
    if args.status {
        let status = queue.status().await.map_err(|e| anyhow!(e))?;
        println!("{}", serde_json::to_string(&status)?);
        return Ok(0);
    }
    let db = args
        .db
        .clone()
        .or_else(|| std::env::var("PHISHPROBE_DB").ok());
    let location = match db {
        Some(location) => location,
        None => phishprobe_store::resolve_path(None)?.display().to_string(),
    };
    let store = tokio::task::spawn_blocking(move || HistoryStore::open(&location))
        .await
        .map_err(|e| anyhow!("opening the store: {e}"))?
        .context("opening the history store")?;
    let rules_version = if args.deep {
        format!("{rules_version}+deep")
    } else {
        rules_version
    };
    let sink = StoreSink {
        store,
        rules_version,
    };
    let worker = WorkerOptions {
        queue: if args.deep { Queue::Deep } else { Queue::Names },
        batch: if args.deep {
            1
        } else {
            args.batch.clamp(1, 10_000)
        },
        until_idle: args.until_idle.map(Duration::from_secs),
        max_deliver: u64::from(args.max_deliver.max(1)),
        crash_after_batches: args.crash_after_batches,
        ..WorkerOptions::default()
    };
    stop_on_signals(&worker.stop);
    let stdout = io::stdout();
    let json_out = ctx.json;
    let print = |item: &Screened| {
        if json_out {
            let mut out = stdout.lock();
            let _ = writeln!(
                out,
                "{}",
                json!({"name": item.name, "delivered": item.delivered, "report": item.report})
            );
        }
    };
    let engine: &Engine = &ctx.engine;
    let tally = if args.deep {
        let probe = Arc::new(deep_options(&args));
        let scheme = args.deep_scheme.clone();
        let judge = move |name: String| {
            let probe = Arc::clone(&probe);
            let url = format!("{scheme}://{name}/");
            async move { deep_check(engine, &url, &probe).await }.boxed()
        };
        run_worker(&queue, sink, judge, &worker, print).await
    } else {
        let judge = |name: String| {
            let report = engine.check_host(&name);
            async move { report }.boxed()
        };
        run_worker(&queue, sink, judge, &worker, print).await
    }
    .map_err(|e| anyhow!(e))?;
    queue.flush().await.map_err(|e| anyhow!(e))?;
    eprintln!("{}", json!({"screen": tally}));
    Ok(0)
}

/// SIGINT or SIGTERM: finish the batch in hand (store, acknowledge), then exit 0.
fn stop_on_signals(stop: &std::sync::Arc<std::sync::atomic::AtomicBool>) {
    let stop = std::sync::Arc::clone(stop);
    tokio::spawn(async move {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        eprintln!("screen: stopping after the batch in hand");
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
}

fn deep_options(args: &Args) -> phishprobe_probe::ProbeOptions {
    phishprobe_probe::ProbeOptions {
        allow_private: args.allow_private,
        timeout: Duration::from_secs(60),
        ..phishprobe_probe::ProbeOptions::default()
    }
}

/// The slower check of a flagged name: its page, probed over plain HTTP with decoy
/// credentials, turned into the verdict model.
async fn deep_check(
    engine: &Engine,
    url: &str,
    options: &phishprobe_probe::ProbeOptions,
) -> Report {
    let mut result = phishprobe_probe::http::probe(url, options).await;
    phishprobe_probe::verdict::claim_brand(engine, &mut result);
    phishprobe_probe::verdict::verdict(engine, url, &result)
}

/// The history store as the workers' sink (also used by `bench feed`'s in-process worker, so
/// its latency figure includes the same writes).
pub(crate) struct StoreSink {
    pub(crate) store: HistoryStore,
    pub(crate) rules_version: String,
}

impl VerdictSink for StoreSink {
    fn store(&mut self, batch: &[Screened]) -> Result<(), String> {
        let mut verdicts = Vec::with_capacity(batch.len());
        for item in batch {
            verdicts.push(DomainVerdict {
                name: item.name.clone(),
                rules_version: self.rules_version.clone(),
                verdict: item.report.verdict.as_str().to_string(),
                score: item.report.score,
                brand: item.report.brand.clone(),
                report_json: serde_json::to_string(&item.report).map_err(|e| e.to_string())?,
                source: item.source.clone().unwrap_or_else(|| "feed".into()),
            });
        }
        // One transaction per batch: all or nothing, one commit.
        self.store
            .upsert_domain_verdicts(&verdicts)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn dead_letter(&mut self, name: &str, reason: &str, deliveries: u64) -> Result<(), String> {
        self.store
            .record_dead_letter(name, reason, u32::try_from(deliveries).unwrap_or(u32::MAX))
            .map_err(|e| e.to_string())
    }
}
