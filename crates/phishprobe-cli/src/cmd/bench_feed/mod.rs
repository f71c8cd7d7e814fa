//! `phishprobe bench feed`: the domain feed over NATS JetStream as a user runs it. A real
//! `nats-server` (started here on a free loopback port with a throwaway store, or `--nats`),
//! real `phishprobe screen` processes and a real history store (SQLite in a temporary folder,
//! or `--db`). Measures names per second end to end (published → verdict stored and
//! acknowledged) per worker count, the CPU the broker and the workers spend, the
//! publish → stored latency at a steady rate, what a worker killed midway costs (rows written
//! twice, time to drain) and the bytes stored per name.
//!
//! This file holds the options, the order of the phases and what every phase shares
//! ([`Bench`]). The rest is split by the part of the work it does: [`broker`] and [`cluster`]
//! start the NATS servers, [`workers`] the `phishprobe screen` processes, [`traffic`] makes
//! the names and puts them on the queue, [`readings`] reads the figures off the store, the
//! processes and the machine, [`measure`] runs the steady phases (throughput, latency,
//! storage), [`faults`] the ones that kill something midway, and [`report`] prints the table.

mod broker;
mod cluster;
mod faults;
mod measure;
mod readings;
mod report;
mod traffic;
mod workers;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use phishprobe_feed::broker::nats::{NatsOptions, NatsQueue};
use serde_json::{Value, json};

use self::broker::Broker;
use self::readings::{load_average, machine};
use self::report::print_table;
use super::Context;

/// What `bench feed` measures with.
pub struct Settings {
    /// An already running NATS server to use instead of starting one (its streams are shared:
    /// use a server nothing else works on).
    pub nats: Option<String>,
    /// The history store for the workers (default: a SQLite file per phase in a temp folder).
    pub db: Option<String>,
    /// Names published per measured phase.
    pub names: usize,
    /// Worker counts to measure throughput with.
    pub workers: Vec<usize>,
    /// Seconds before an unacknowledged name is delivered again (the consumer's ack wait).
    pub ack_wait: u64,
    /// Names per second in the latency phase (below capacity).
    pub latency_rate: u32,
    /// Length of the latency phase.
    pub latency_seconds: f64,
    /// `--brands DIR`, passed on to the workers.
    pub brands: Option<PathBuf>,
    /// One JSON object instead of the table.
    pub json: bool,
    /// Also kill the stream leader of a three-node cluster midway.
    pub cluster: bool,
}

pub fn run(s: &Settings, ctx: &Context, rules_version: String) -> Result<u8> {
    if s.names == 0 || s.names > 10_000_000 {
        bail!("--names must be 1..10000000");
    }
    if s.workers.is_empty() || s.workers.iter().any(|w| !(1..=64).contains(w)) {
        bail!("--workers takes counts from 1 to 64, for example 1,2");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let report = runtime.block_on(bench(s, ctx, rules_version))?;
    if s.json {
        println!("{report}");
    } else {
        print_table(&report);
    }
    Ok(0)
}

async fn bench(s: &Settings, ctx: &Context, rules_version: String) -> Result<Value> {
    let dir = tempfile::Builder::new()
        .prefix("phishprobe-bench-feed-")
        .tempdir()
        .context("creating a temporary folder")?;
    let load_before = load_average();
    let broker = Broker::start(s.nats.as_deref(), dir.path())?;
    let options = NatsOptions {
        ack_wait: Duration::from_secs(s.ack_wait.max(1)),
        ..NatsOptions::default()
    };
    let queue = NatsQueue::connect(&broker.url, options)
        .await
        .map_err(|e| anyhow!(e))?;
    let b = Bench {
        s,
        queue: Arc::new(queue),
        broker,
        dir: dir.path().to_path_buf(),
        run: run_id(),
        ticks: super::bench_milter::clock_ticks(),
        exe: std::env::current_exe().context("finding this program")?,
    };
    let mut throughput = Vec::new();
    for &workers in &s.workers {
        throughput.push(b.throughput(workers).await?);
    }
    let latency = b.latency(ctx, rules_version).await?;
    let kill = b.kill().await?;
    let storage = b.storage(&throughput).await?;
    let leader_kill = if s.cluster {
        b.leader_kill().await?
    } else {
        Value::Null
    };
    Ok(json!({
        "names": s.names,
        "machine": machine(load_before, &b.broker),
        "throughput": throughput,
        "latency": latency,
        "worker_kill": kill,
        "storage": storage,
        "leader_kill": leader_kill,
    }))
}

/// What every phase shares.
struct Bench<'a> {
    s: &'a Settings,
    queue: Arc<NatsQueue>,
    broker: Broker,
    dir: PathBuf,
    run: String,
    ticks: f64,
    exe: PathBuf,
}

/// A tag unique to this run, put into every name: the broker drops a message id it saw within
/// its duplicate window, and the tag finds this run's rows in a shared database.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{:x}",
        (nanos ^ u128::from(std::process::id())) & 0xffff_ffff_ffff
    )
}

impl Bench<'_> {
    fn tag(&self, phase: &str) -> String {
        format!("b{}{phase}", self.run)
    }

    /// The workers' store for a phase: `--db`, or a fresh SQLite file.
    fn db_for(&self, phase: &str) -> String {
        match &self.s.db {
            Some(db) => db.clone(),
            None => self.dir.join(format!("{phase}.db")).display().to_string(),
        }
    }
}

/// How long a phase may take before the bench gives up (a stuck worker, a lost broker).
fn phase_limit(s: &Settings) -> Duration {
    Duration::from_secs(120 + s.names as u64 / 100 + 4 * s.ack_wait)
}
