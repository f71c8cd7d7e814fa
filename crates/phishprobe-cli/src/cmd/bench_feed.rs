//! `phishprobe bench feed`: the domain feed over NATS JetStream as a user runs it. A real
//! `nats-server` (started here on a free loopback port with a throwaway store, or `--nats`),
//! real `phishprobe screen` processes and a real history store (SQLite in a temporary folder,
//! or `--db`). Measures names per second end to end (published → verdict stored and
//! acknowledged) per worker count, the CPU the broker and the workers spend, the
//! publish → stored latency at a steady rate, what a worker killed midway costs (rows written
//! twice, time to drain) and the bytes stored per name.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};
use futures::FutureExt;
use phishprobe_feed::broker::nats::{NatsOptions, NatsQueue};
use phishprobe_feed::broker::{NameQueue, Queue};
use phishprobe_feed::screen::{Screened, VerdictSink, WorkerOptions, run_worker};
use phishprobe_store::{DomainQuery, HistoryStore};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::Context;
use super::screen::StoreSink;

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

/// Names are published in batches of this size (what `feed --to` does per batch too).
const PUBLISH_BATCH: usize = 512;
/// Names drained before each measured phase, so the workers are connected and warm.
const WARM_UP: usize = 512;
/// How often the queue depth is polled: the resolution of the end-to-end times.
const POLL: Duration = Duration::from_millis(25);

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

/// `count` unique names: look-alikes of brands among ordinary names, as a CT feed brings them.
fn generate(count: usize, tag: &str) -> Vec<String> {
    let words = ["shop", "cloud", "mail", "media", "blog", "store", "data"];
    let tlds = ["com", "net", "org", "de", "co.uk", "top", "xyz", "shop"];
    (0..count)
        .map(|i| {
            let w = words[i % words.len()];
            let t = tlds[(i / 7) % tlds.len()];
            match i % 8 {
                0 => format!("amazon-seller-verify-{tag}-{i}.top"),
                1 => format!("paypa1-login-{tag}-{i}.com"),
                2 => format!("secure-apple-id-{i}-{tag}.xyz"),
                3 => format!("www.{w}{i}-{tag}.{t}"),
                _ => format!("{w}-{tag}-{i}.{t}"),
            }
        })
        .collect()
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

    /// Start `count` `phishprobe screen` processes, as a user would.
    fn spawn_workers(
        &self,
        count: usize,
        (url, extra): (&str, &[&str]),
        db: &str,
        phase: &str,
    ) -> Result<Vec<Worker>> {
        let mut workers = Vec::new();
        for i in 0..count {
            let log = self.dir.join(format!("{phase}-worker{i}.log"));
            let stderr = std::fs::File::create(&log).context("creating a worker log")?;
            let mut command = Command::new(&self.exe);
            command
                .args(["screen", "--nats", url, "--db", db])
                .args(extra)
                .args(["--until-idle", "2", "--ack-wait"])
                .arg(self.s.ack_wait.max(1).to_string());
            if let Some(brands) = &self.s.brands {
                command.arg("--brands").arg(brands);
            }
            let child = command
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .context("starting a screen worker")?;
            workers.push(Worker { child, log });
        }
        Ok(workers)
    }

    /// Publish a few names and wait until the workers have stored them: they are connected,
    /// their data loaded and the store created before the clock starts.
    /// A worker that exits at once (a bad option, an unreadable store) shows here, with its
    /// messages, rather than as a queue that never drains.
    async fn warm_up(
        &self,
        queue: &Arc<NatsQueue>,
        workers: &mut [Worker],
        phase: &str,
    ) -> Result<()> {
        // "w" first: the measured tag must not be a substring of the warm-up one.
        let names = generate(WARM_UP, &self.tag(&format!("w{phase}")));
        let publisher = publish(Arc::clone(queue), names, Arc::default());
        let drained = wait_drained(queue, publisher, Duration::from_secs(120)).await;
        for w in workers.iter_mut() {
            if let Ok(Some(status)) = w.child.try_wait() {
                let log = std::fs::read_to_string(&w.log).unwrap_or_default();
                bail!("a screen worker stopped during the warm-up ({status}): {log}");
            }
        }
        drained.map(|_| ())
    }

    /// CPU seconds so far of the broker (when started here) and of `workers` together.
    fn cpu(&self, workers: &[Worker]) -> (Option<f64>, f64) {
        let broker = self.broker.pid().and_then(|p| cpu_seconds(p, self.ticks));
        let workers = workers
            .iter()
            .filter_map(|w| cpu_seconds(w.child.id(), self.ticks))
            .sum();
        (broker, workers)
    }

    /// Names per second end to end with `workers` screen processes.
    async fn throughput(&self, workers: usize) -> Result<Value> {
        let phase = format!("t{workers}");
        let db = self.db_for(&phase);
        let mut procs = self.spawn_workers(workers, (&self.broker.url, &[]), &db, &phase)?;
        self.warm_up(&self.queue, &mut procs, &phase).await?;
        let names = generate(self.s.names, &self.tag(&phase));
        let (broker0, workers0) = self.cpu(&procs);
        let own0 = cpu_seconds(std::process::id(), self.ticks).unwrap_or(0.0);
        let started = Instant::now();
        let publisher = publish(Arc::clone(&self.queue), names, Arc::default());
        let drained = wait_drained(&self.queue, publisher, phase_limit(self.s)).await?;
        let (broker1, workers1) = self.cpu(&procs);
        let own = cpu_seconds(std::process::id(), self.ticks).unwrap_or(0.0) - own0;
        let seconds = drained.at.duration_since(started).as_secs_f64();
        finish(&mut procs)?;
        let rows = rows_of(&db, &self.tag(&phase)).await?;
        let n = self.s.names as f64;
        let per_1000 = |cpu: f64| cpu * 1e3 * 1000.0 / n;
        let broker_cpu = broker0.zip(broker1).map(|(a, b)| b - a);
        Ok(json!({
            "workers": workers,
            "names": self.s.names,
            "stored": rows.rows,
            "seconds": round(seconds, 3),
            "names_per_second": (n / seconds).round() as u64,
            "publish_seconds": round(drained.publish.as_secs_f64(), 3),
            "broker_cpu_percent": broker_cpu.map(|c| round(100.0 * c / seconds, 1)),
            "broker_cpu_ms_per_1000": broker_cpu.map(|c| round(per_1000(c), 1)),
            "workers_cpu_percent": round(100.0 * (workers1 - workers0) / seconds, 1),
            "workers_cpu_ms_per_1000": round(per_1000(workers1 - workers0), 1),
            "publisher_cpu_percent": round(100.0 * own / seconds, 1),
        }))
    }
}

/// How long a phase may take before the bench gives up (a stuck worker, a lost broker).
fn phase_limit(s: &Settings) -> Duration {
    Duration::from_secs(120 + s.names as u64 / 100 + 4 * s.ack_wait)
}

/// One `phishprobe screen` process and its stderr file (its tally is the last line).
struct Worker {
    child: Child,
    log: PathBuf,
}

impl Drop for Worker {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Wait for the workers to exit on their own (they stop 2 s after the queue is drained).
fn finish(workers: &mut [Worker]) -> Result<()> {
    let started = Instant::now();
    for w in workers.iter_mut() {
        loop {
            if let Some(status) = w.child.try_wait()? {
                if !status.success() {
                    bail!(
                        "a screen worker failed ({status}): {}",
                        std::fs::read_to_string(&w.log).unwrap_or_default()
                    );
                }
                break;
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!("a screen worker did not stop after the queue was drained");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Ok(())
}

/// What [`wait_drained`] saw.
struct Drained {
    /// When the queue was first seen empty with everything published.
    at: Instant,
    /// How long publishing took.
    publish: Duration,
}

/// Publish `names` in batches on their own task; `sent` counts the names the broker confirmed.
fn publish(
    queue: Arc<NatsQueue>,
    names: Vec<String>,
    sent: Arc<AtomicU64>,
) -> JoinHandle<Result<Duration>> {
    tokio::spawn(async move {
        let started = Instant::now();
        for batch in names.chunks(PUBLISH_BATCH) {
            let published = queue
                .publish(Queue::Names, batch, "bench")
                .await
                .map_err(|e| anyhow!(e))?;
            if published.duplicates > 0 {
                bail!(
                    "the broker dropped {} names as duplicates",
                    published.duplicates
                );
            }
            sent.fetch_add(batch.len() as u64, Ordering::Relaxed);
        }
        Ok(started.elapsed())
    })
}

/// Wait until the publisher is done and every name is acknowledged (stored by a worker).
async fn wait_drained(
    queue: &NatsQueue,
    mut publisher: JoinHandle<Result<Duration>>,
    limit: Duration,
) -> Result<Drained> {
    let publish = (&mut publisher)
        .await
        .map_err(|e| anyhow!("publisher: {e}"))??;
    Ok(Drained {
        at: wait_empty(queue, limit).await?,
        publish,
    })
}

/// Poll until nothing is pending or unacknowledged; broker errors (a cluster electing a
/// leader) are waited out.
async fn wait_empty(queue: &NatsQueue, limit: Duration) -> Result<Instant> {
    let started = Instant::now();
    loop {
        if let Ok(status) = queue.status().await
            && status.names_pending == 0
            && status.names_unacked == 0
        {
            return Ok(Instant::now());
        }
        if started.elapsed() > limit {
            bail!("the queue was not drained within {limit:?}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Rows of one phase and how many of them were written more than once.
struct Rows {
    rows: u64,
    rewritten: u64,
}

/// Count the rows whose name holds `tag`, paging through them (at most 10,000 a page).
async fn rows_of(db: &str, tag: &str) -> Result<Rows> {
    let (db, tag) = (db.to_string(), tag.to_string());
    tokio::task::spawn_blocking(move || {
        let mut store = HistoryStore::open(&db).context("opening the history store")?;
        let mut rows = Rows {
            rows: 0,
            rewritten: 0,
        };
        loop {
            let query = DomainQuery {
                verdicts: Vec::new(),
                name_contains: Some(tag.clone()),
                limit: 10_000,
                offset: u32::try_from(rows.rows).context("too many rows")?,
            };
            let page = store.list_domain_verdicts(&query)?;
            if page.is_empty() {
                return Ok(rows);
            }
            rows.rows += page.len() as u64;
            rows.rewritten += page.iter().filter(|r| r.writes > 1).count() as u64;
        }
    })
    .await
    .map_err(|e| anyhow!("counting rows: {e}"))?
}

/// User + system CPU seconds of process `pid` so far (Linux /proc), `None` once it is gone.
fn cpu_seconds(pid: u32, ticks: f64) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (in parentheses, may hold spaces): utime and stime are
    // fields 14 and 15 of the line, 12 and 13 after the name.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / ticks)
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The machine state next to the figures: they mean little without it.
fn machine(load_before: String, broker: &Broker) -> Value {
    json!({
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "nats_server": broker.version,
        "broker_started_here": broker.pid().is_some(),
    })
}

/// The NATS server: started here (its pid gives its CPU) or the one `--nats` names.
struct Broker {
    url: String,
    child: Option<Child>,
    version: String,
}

impl Broker {
    fn start(external: Option<&str>, dir: &Path) -> Result<Broker> {
        if let Some(url) = external {
            return Ok(Broker {
                url: url.to_string(),
                child: None,
                version: "external".into(),
            });
        }
        let binary = nats_binary()
            .context("nats-server not found (apt install nats-server, or give --nats URL)")?;
        let port = phishprobe_milter::testing::free_port();
        let store = dir.join("nats");
        let log = std::fs::File::create(dir.join("nats.log")).context("creating the log")?;
        let child = Command::new(&binary)
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(&store)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(30) {
                bail!("nats-server did not listen on port {port}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let version = Command::new(&binary)
            .arg("--version")
            .output()
            .map(|o| {
                let text = String::from_utf8_lossy(&o.stdout);
                text.trim()
                    .trim_start_matches("nats-server:")
                    .trim()
                    .to_string()
            })
            .unwrap_or_default();
        Ok(Broker {
            url: format!("nats://127.0.0.1:{port}"),
            child: Some(child),
            version,
        })
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Debian's `nats-server` (or `PHISHPROBE_NATS_SERVER`), as the tests find it.
fn nats_binary() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("PHISHPROBE_NATS_SERVER") {
        return Some(PathBuf::from(path));
    }
    [
        "/usr/sbin/nats-server",
        "/usr/bin/nats-server",
        "/usr/local/bin/nats-server",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// Records when each name's verdict was stored, around the same store writes as `screen`.
struct TimedSink {
    inner: StoreSink,
    stored: Arc<Mutex<Vec<(String, Instant)>>>,
}

impl VerdictSink for TimedSink {
    fn store(&mut self, batch: &[Screened]) -> Result<(), String> {
        self.inner.store(batch)?;
        let now = Instant::now();
        let mut stored = self
            .stored
            .lock()
            .map_err(|_| "latency record poisoned".to_string())?;
        stored.extend(batch.iter().map(|s| (s.name.clone(), now)));
        Ok(())
    }

    fn dead_letter(&mut self, name: &str, reason: &str, deliveries: u64) -> Result<(), String> {
        self.inner.dead_letter(name, reason, deliveries)
    }
}

/// Publish `names` at a steady `rate` (a batch every 10 ms), recording when each was sent.
fn publish_steady(
    queue: Arc<NatsQueue>,
    names: Vec<String>,
    rate: u32,
) -> JoinHandle<Result<Vec<(String, Instant)>>> {
    tokio::spawn(async move {
        let per_tick = (rate as usize / 100).max(1);
        let mut ticker = tokio::time::interval(Duration::from_millis(10));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut sent = Vec::with_capacity(names.len());
        for batch in names.chunks(per_tick) {
            ticker.tick().await;
            let at = Instant::now();
            queue
                .publish(Queue::Names, batch, "bench")
                .await
                .map_err(|e| anyhow!(e))?;
            sent.extend(batch.iter().map(|n| (n.clone(), at)));
        }
        Ok(sent)
    })
}

impl Bench<'_> {
    /// Publish → stored latency at a steady rate below capacity, through one in-process
    /// worker (the same loop and store writes as `screen`, with a clock on each stored batch).
    async fn latency(&self, ctx: &Context, rules_version: String) -> Result<Value> {
        let tag = self.tag("l");
        let db = self.db_for("l");
        let rate = self.s.latency_rate.clamp(1, 1_000_000);
        let count = ((f64::from(rate) * self.s.latency_seconds.clamp(0.1, 600.0)) as usize).max(1);
        let open = db.clone();
        let store = tokio::task::spawn_blocking(move || HistoryStore::open(&open))
            .await
            .map_err(|e| anyhow!("opening the store: {e}"))??;
        let stored = Arc::new(Mutex::new(Vec::new()));
        let sink = TimedSink {
            inner: StoreSink {
                store,
                rules_version,
            },
            stored: Arc::clone(&stored),
        };
        let publisher = publish_steady(Arc::clone(&self.queue), generate(count, &tag), rate);
        let engine = &ctx.engine;
        let judge = |name: String| {
            let report = engine.check_host(&name);
            async move { report }.boxed()
        };
        let options = WorkerOptions {
            until_idle: Some(Duration::from_secs(2)),
            ..WorkerOptions::default()
        };
        run_worker(&*self.queue, sink, judge, &options, |_| {})
            .await
            .map_err(|e| anyhow!(e))?;
        self.queue.flush().await.map_err(|e| anyhow!(e))?;
        let sent = publisher.await.map_err(|e| anyhow!("publisher: {e}"))??;
        let stored = stored
            .lock()
            .map_err(|_| anyhow!("latency record poisoned"))?
            .clone();
        Ok(latency_figures(&sent, &stored, rate))
    }
}

/// p50, p99 and max of stored − published per name (the first time each name was stored).
fn latency_figures(sent: &[(String, Instant)], stored: &[(String, Instant)], rate: u32) -> Value {
    let mut first: std::collections::HashMap<&str, Instant> = std::collections::HashMap::new();
    for (name, at) in stored {
        first.entry(name.as_str()).or_insert(*at);
    }
    let mut times: Vec<Duration> = sent
        .iter()
        .filter_map(|(name, at)| first.get(name.as_str()).map(|s| s.duration_since(*at)))
        .collect();
    times.sort_unstable();
    let pick = |q: f64| {
        let i = ((times.len() as f64 - 1.0) * q).round() as usize;
        times
            .get(i)
            .map_or(0.0, |d| round(d.as_secs_f64() * 1e3, 1))
    };
    json!({
        "rate_per_second": rate,
        "names": sent.len(),
        "stored": times.len(),
        "p50_ms": pick(0.5),
        "p99_ms": pick(0.99),
        "max_ms": pick(1.0),
    })
}

impl Bench<'_> {
    /// Two screen processes; one is killed (SIGKILL) when half the names are stored, the
    /// other finishes. The names the dead one held come back after the ack wait.
    async fn kill(&self) -> Result<Value> {
        let tag = self.tag("k");
        let db = self.db_for("k");
        let mut procs = self.spawn_workers(2, (&self.broker.url, &[]), &db, "k")?;
        self.warm_up(&self.queue, &mut procs, "k").await?;
        let sent = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let names = generate(self.s.names, &tag);
        let publisher = publish(Arc::clone(&self.queue), names, Arc::clone(&sent));
        let victim = &mut procs[0].child;
        let kill = || {
            victim.kill().context("killing a worker")?;
            let _ = victim.wait();
            Ok(())
        };
        let (killed_at, acked) = self.kill_midway(&self.queue, &sent, kill).await?;
        let drained = wait_drained(&self.queue, publisher, phase_limit(self.s)).await?;
        finish(&mut procs[1..])?;
        let rows = rows_of(&db, &tag).await?;
        let before = killed_at.duration_since(started).as_secs_f64();
        let remaining = self.s.names as u64 - acked.min(self.s.names as u64);
        // Without the kill, the rest would have gone at the rate seen before it.
        let expected = if acked > 0 {
            remaining as f64 * before / acked as f64
        } else {
            f64::NAN
        };
        Ok(json!({
            "names": self.s.names,
            "stored": rows.rows,
            "killed_after_seconds": round(before, 3),
            "names_left_at_kill": remaining,
            "rows_written_more_than_once": rows.rewritten,
            "redelivered_to_survivor": tally_of(&procs[1].log, "redelivered"),
            "drained_after_kill_seconds": round(drained.at.duration_since(killed_at).as_secs_f64(), 3),
            "expected_without_kill_seconds": if expected.is_finite() { json!(round(expected, 3)) } else { Value::Null },
            "ack_wait_seconds": self.s.ack_wait.max(1),
        }))
    }

    /// Poll until half the names are acknowledged, then `kill` (a worker or a broker node);
    /// returns when it was killed and how many names were acknowledged then.
    async fn kill_midway(
        &self,
        queue: &NatsQueue,
        sent: &AtomicU64,
        kill: impl FnOnce() -> Result<()>,
    ) -> Result<(Instant, u64)> {
        let half = (self.s.names as u64).div_ceil(2);
        let started = Instant::now();
        loop {
            if let Ok(status) = queue.status().await {
                let acked = sent
                    .load(Ordering::Relaxed)
                    .saturating_sub(status.names_waiting);
                if acked >= half {
                    let at = Instant::now();
                    kill()?;
                    return Ok((at, acked));
                }
            }
            if started.elapsed() > phase_limit(self.s) {
                bail!(
                    "half the names were not stored within {:?}",
                    phase_limit(self.s)
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Bytes per stored name in the SQLite file of the first throughput phase (database plus
    /// write-ahead log: the workers closed it, so the log is normally checkpointed away).
    async fn storage(&self, throughput: &[Value]) -> Result<Value> {
        if self.s.db.is_some() {
            return Ok(json!({"note": "not measured with --db"}));
        }
        let workers = throughput
            .first()
            .and_then(|t| t["workers"].as_u64())
            .unwrap_or(1);
        let db = self.db_for(&format!("t{workers}"));
        let rows = rows_of(&db, "").await?.rows;
        let size = |p: String| std::fs::metadata(p).map_or(0, |m| m.len());
        let bytes = size(db.clone()) + size(format!("{db}-wal"));
        Ok(json!({
            "rows": rows,
            "sqlite_bytes": bytes,
            "bytes_per_name": bytes.checked_div(rows).unwrap_or(0),
        }))
    }
}

/// A number from the tally a screen worker prints as its last stderr line.
fn tally_of(log: &Path, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(log).ok()?;
    let line = text.lines().rev().find(|l| l.starts_with("{\"screen\""))?;
    let value: Value = serde_json::from_str(line).ok()?;
    value["screen"][key].as_u64()
}

/// The readable report.
fn print_table(r: &Value) {
    let m = &r["machine"];
    println!(
        "bench feed: {} names per phase; {} CPUs, load {} before, {} after; nats-server {}",
        show(&r["names"]),
        show(&m["cpus"]),
        show(&m["load_average_before"]),
        show(&m["load_average_after"]),
        show(&m["nats_server"])
    );
    println!(
        "  workers   names/s   seconds  publish s  broker CPU %  ms/1000  workers CPU %  ms/1000  publisher CPU %  stored"
    );
    for t in r["throughput"].as_array().into_iter().flatten() {
        println!(
            "  {:>7} {:>9} {:>9} {:>10} {:>13} {:>8} {:>14} {:>8} {:>16} {:>7}",
            show(&t["workers"]),
            show(&t["names_per_second"]),
            show(&t["seconds"]),
            show(&t["publish_seconds"]),
            show(&t["broker_cpu_percent"]),
            show(&t["broker_cpu_ms_per_1000"]),
            show(&t["workers_cpu_percent"]),
            show(&t["workers_cpu_ms_per_1000"]),
            show(&t["publisher_cpu_percent"]),
            show(&t["stored"])
        );
    }
    let l = &r["latency"];
    println!(
        "  latency publish → stored at {}/s ({} names, 1 in-process worker): p50 {} ms, p99 {} ms, max {} ms",
        show(&l["rate_per_second"]),
        show(&l["names"]),
        show(&l["p50_ms"]),
        show(&l["p99_ms"]),
        show(&l["max_ms"])
    );
    let k = &r["worker_kill"];
    println!(
        "  worker killed midway (2 workers, ack wait {} s): {} of {} stored; {} rows written twice; {} redelivered; drained {} s after the kill (expected {} s without it)",
        show(&k["ack_wait_seconds"]),
        show(&k["stored"]),
        show(&k["names"]),
        show(&k["rows_written_more_than_once"]),
        show(&k["redelivered_to_survivor"]),
        show(&k["drained_after_kill_seconds"]),
        show(&k["expected_without_kill_seconds"])
    );
    let s = &r["storage"];
    println!(
        "  storage: {} bytes per name (SQLite, {} rows, {} bytes)",
        show(&s["bytes_per_name"]),
        show(&s["rows"]),
        show(&s["sqlite_bytes"])
    );
    print_leader_kill(&r["leader_kill"]);
}

/// The cluster line, when `--cluster` was given.
fn print_leader_kill(c: &Value) {
    if c.is_null() {
        return;
    }
    println!(
        "  stream leader killed midway (3-node cluster, 2 workers): {} of {} stored; {} rows written twice; drained {} s after the kill",
        show(&c["stored"]),
        show(&c["names"]),
        show(&c["rows_written_more_than_once"]),
        show(&c["drained_after_kill_seconds"])
    );
}

/// A figure for the table: strings without quotes, missing ones as n/a.
fn show(v: &Value) -> String {
    match v {
        Value::Null => "n/a".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A three-node JetStream cluster on loopback (`--cluster`): each node with its own client,
/// cluster and monitoring port and store folder.
struct Cluster {
    nodes: Vec<ClusterNode>,
}

struct ClusterNode {
    child: Option<Child>,
    port: u16,
    monitor: u16,
}

impl Cluster {
    fn start(dir: &Path) -> Result<Cluster> {
        let binary = nats_binary().context("nats-server not found (apt install nats-server)")?;
        let free = phishprobe_milter::testing::free_port;
        let routes: Vec<u16> = (0..3).map(|_| free()).collect();
        let route_list: Vec<String> = routes
            .iter()
            .map(|p| format!("nats://127.0.0.1:{p}"))
            .collect();
        let mut nodes = Vec::new();
        for (i, route) in routes.iter().enumerate() {
            let (port, monitor) = (free(), free());
            let log = std::fs::File::create(dir.join(format!("n{i}.log")))?;
            let child = Command::new(&binary)
                .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string()])
                .args([
                    "-m",
                    &monitor.to_string(),
                    "--server_name",
                    &format!("n{i}"),
                ])
                .arg("-sd")
                .arg(dir.join(format!("n{i}")))
                .args(["--cluster_name", "phishprobe-bench", "--cluster"])
                .arg(format!("nats://127.0.0.1:{route}"))
                .args(["--routes", &route_list.join(",")])
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .with_context(|| format!("starting {}", binary.display()))?;
            nodes.push(ClusterNode {
                child: Some(child),
                port,
                monitor,
            });
        }
        let cluster = Cluster { nodes };
        let started = Instant::now();
        while !cluster
            .nodes
            .iter()
            .all(|n| http_get(n.monitor, "/healthz").is_some_and(|b| b.contains("ok")))
        {
            if started.elapsed() > Duration::from_secs(60) {
                bail!("the nats-server cluster was not healthy within 60 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(cluster)
    }

    fn urls(&self) -> String {
        let urls: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("nats://127.0.0.1:{}", n.port))
            .collect();
        urls.join(",")
    }

    /// Which node leads `stream`, from the nodes' `/jsz` (server names are `n0`, `n1`, `n2`).
    fn stream_leader(&self, stream: &str) -> Option<usize> {
        self.nodes.iter().find_map(|node| {
            let body = http_get(node.monitor, "/jsz?streams=true&raft=true")?;
            let at = body
                .find(&format!("\"name\": \"{stream}\""))
                .or_else(|| body.find(&format!("\"name\":\"{stream}\"")))?;
            let rest = body.get(at..)?;
            let after = rest.get(rest.find("\"leader\"")? + 8..)?;
            let value: String = after
                .chars()
                .skip_while(|c| *c != '"')
                .skip(1)
                .take_while(|c| *c != '"')
                .collect();
            value.strip_prefix('n').and_then(|i| i.parse().ok())
        })
    }

    /// SIGKILL node `index`, leaving its store as a crash would.
    fn kill(&mut self, index: usize) {
        if let Some(mut child) = self.nodes.get_mut(index).and_then(|n| n.child.take()) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}

/// A plain HTTP/1.0 GET on loopback (the monitoring endpoints), `None` on any failure.
fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut body = String::new();
    stream.read_to_string(&mut body).ok()?;
    body.starts_with("HTTP/1.").then_some(body)
}

impl Bench<'_> {
    /// Two workers on a three-node cluster (streams with three copies); the names stream's
    /// leader is killed when half the names are stored. Measures the time until the queue is
    /// drained again and what was written twice.
    async fn leader_kill(&self) -> Result<Value> {
        let dir = self.dir.join("cluster");
        std::fs::create_dir_all(&dir).context("creating the cluster folder")?;
        let mut cluster = Cluster::start(&dir)?;
        let urls = cluster.urls();
        let options = NatsOptions {
            replicas: 3,
            ack_wait: Duration::from_secs(self.s.ack_wait.max(1)),
            ..NatsOptions::default()
        };
        let queue = Arc::new(
            NatsQueue::connect(&urls, options)
                .await
                .map_err(|e| anyhow!(e))?,
        );
        let (tag, db) = (self.tag("c"), self.db_for("c"));
        let extra = ["--replicas", "3"];
        let mut procs = self.spawn_workers(2, (&urls, &extra), &db, "c")?;
        self.warm_up(&queue, &mut procs, "c").await?;
        let sent = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let names = generate(self.s.names, &tag);
        // Everything is published before the kill: the bench's publisher does not retry.
        let published = publish(Arc::clone(&queue), names, Arc::clone(&sent))
            .await
            .map_err(|e| anyhow!("publisher: {e}"))??;
        let leader = cluster
            .stream_leader("PHISHPROBE_NAMES")
            .context("no stream leader found in /jsz")?;
        let kill = || {
            cluster.kill(leader);
            Ok(())
        };
        let (killed_at, acked) = self.kill_midway(&queue, &sent, kill).await?;
        let drained = wait_empty(&queue, phase_limit(self.s)).await?;
        finish(&mut procs)?;
        let rows = rows_of(&db, &tag).await?;
        Ok(json!({
            "names": self.s.names,
            "stored": rows.rows,
            "publish_seconds": round(published.as_secs_f64(), 3),
            "killed_after_seconds": round(killed_at.duration_since(started).as_secs_f64(), 3),
            "names_left_at_kill": (self.s.names as u64).saturating_sub(acked),
            "rows_written_more_than_once": rows.rewritten,
            "drained_after_kill_seconds": round(drained.duration_since(killed_at).as_secs_f64(), 3),
        }))
    }
}
