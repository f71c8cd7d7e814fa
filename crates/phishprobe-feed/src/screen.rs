//! A screening worker: take names from the shared consumer, judge them, store every verdict,
//! and only then acknowledge (at-least-once: a worker that dies after storing and before
//! acknowledging makes the name come back, and the store's upsert keeps one row).
//!
//! Run as many workers as you like on as many machines; they share the durable consumer.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use std::time::{Duration, Instant};

use phishprobe_core::{Report, Verdict};
use serde::Serialize;

use crate::broker::{BrokerError, Job, NameQueue, Queue};
use crate::name::canonical;

/// One judged name, ready to store.
#[derive(Debug, Clone, Serialize)]
pub struct Screened {
    /// The canonical name.
    pub name: String,
    /// The verdict model's report.
    pub report: Report,
    /// How many times the broker delivered this name (more than 1 after a worker died).
    pub delivered: u64,
    /// The feed that saw the name (`ct:https://…`), when the publisher said.
    pub source: Option<String>,
}

/// Where verdicts go: the history store (SQLite or PostgreSQL) in the CLI.
///
/// Writes must be idempotent (an upsert keyed by name and rules version): a name delivered
/// twice is written twice and stored once.
pub trait VerdictSink: Send + 'static {
    /// Store these verdicts.
    fn store(&mut self, batch: &[Screened]) -> Result<(), String>;
    /// Record a name that will not be tried again.
    fn dead_letter(&mut self, name: &str, reason: &str, deliveries: u64) -> Result<(), String>;
}

/// Worker settings.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Which queue to work on: newly seen names (host check) or flagged ones (deep checks).
    pub queue: Queue,
    /// Names fetched and stored together.
    pub batch: usize,
    /// Longest wait for new names in one fetch.
    pub fetch_wait: Duration,
    /// Exit after this long with nothing delivered and nothing pending (None: run forever).
    pub until_idle: Option<Duration>,
    /// Deliveries after which a failing name is given up (the stream's `max_deliver`).
    pub max_deliver: u64,
    /// Send the names judged suspicious or phishing on to the deep-check queue.
    pub forward_flagged: bool,
    /// Fault injection for the crash tests: abort the process after this many stored
    /// batches, before acknowledging the last one.
    pub crash_after_batches: Option<u64>,
    /// Set (by a signal handler) to stop after the batch in hand: its verdicts are stored
    /// and acknowledged, nothing new is fetched, so a stopped worker leaves nothing to wait
    /// out the ack wait for.
    pub stop: Arc<AtomicBool>,
}

impl Default for WorkerOptions {
    fn default() -> WorkerOptions {
        WorkerOptions {
            queue: Queue::Names,
            batch: 256,
            fetch_wait: Duration::from_secs(2),
            until_idle: None,
            max_deliver: 5,
            forward_flagged: true,
            crash_after_batches: None,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// What a worker did, printed when it stops.
#[derive(Debug, Default, Clone, Serialize)]
pub struct WorkerTally {
    /// Verdicts stored.
    pub stored: u64,
    /// Of those, names delivered more than once (a worker or an acknowledgement was lost).
    pub redelivered: u64,
    /// Names sent on to the deep checks.
    pub forwarded: u64,
    /// Names given up (dead letters).
    pub dead_letters: u64,
    /// Store or broker errors met (and retried).
    pub errors: u64,
}

/// Judge names from `queue` until idle (or forever), storing each verdict in `sink` before
/// acknowledging it. `judge` is the host check (or, on the deep queue, the page check; a job
/// that takes long keeps telling the broker it is still being worked on); `on_stored` sees
/// every stored verdict (for `--json` output).
pub async fn run_worker<'a, Q, S, J, O>(
    queue: &Q,
    sink: S,
    judge: J,
    options: &WorkerOptions,
    mut on_stored: O,
) -> Result<WorkerTally, BrokerError>
where
    Q: NameQueue,
    S: VerdictSink,
    J: Fn(String) -> BoxFuture<'a, Report>,
    O: FnMut(&Screened),
{
    let sink = Arc::new(Mutex::new(sink));
    let result = work(queue, &sink, judge, options, &mut on_stored).await;
    // A store may hold a blocking client (PostgreSQL's spins its own runtime, which must not
    // be dropped inside this one): let it go on a blocking thread.
    let _ = tokio::task::spawn_blocking(move || drop(sink)).await;
    result
}

async fn work<'a, Q, S, J, O>(
    queue: &Q,
    sink: &Arc<Mutex<S>>,
    judge: J,
    options: &WorkerOptions,
    on_stored: &mut O,
) -> Result<WorkerTally, BrokerError>
where
    Q: NameQueue,
    S: VerdictSink,
    J: Fn(String) -> BoxFuture<'a, Report>,
    O: FnMut(&Screened),
{
    let mut tally = WorkerTally::default();
    let mut last_work = Instant::now();
    let mut batches = 0u64;
    loop {
        if options.stop.load(Ordering::Relaxed) {
            return Ok(tally);
        }
        let jobs = match queue
            .next_jobs(options.queue, options.batch, options.fetch_wait)
            .await
        {
            Ok(jobs) => jobs,
            Err(e) => {
                tally.errors += 1;
                eprintln!("screen: {e}; trying again");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if jobs.is_empty() {
            if let Some(idle) = options.until_idle
                && last_work.elapsed() >= idle
                && queue_is_drained(queue, options.queue).await
            {
                return Ok(tally);
            }
            continue;
        }
        last_work = Instant::now();
        let (judged, refused) = judge_jobs(&jobs, &judge, options.queue).await;
        for (job, reason) in &refused {
            give_up(sink, job, reason, &mut tally).await;
        }
        if judged.is_empty() {
            continue;
        }
        let (stored, failed) = store_isolating_failures(sink, judged).await;
        for (job, item, error) in failed {
            tally.errors += 1;
            eprintln!(
                "screen: cannot store the verdict for {}: {error}",
                item.name
            );
            if job.delivered >= options.max_deliver {
                give_up(sink, job, &format!("store failed: {error}"), &mut tally).await;
            } else {
                let _ = job
                    .settle
                    .retry_after(Duration::from_secs(job.delivered))
                    .await;
            }
        }
        if stored.is_empty() {
            continue;
        }
        batches += 1;
        if options.crash_after_batches == Some(batches) {
            eprintln!("screen: crashing on purpose after storing batch {batches}, before its acks");
            std::process::abort();
        }
        let screened: Vec<Screened> = stored.iter().map(|(_, item)| item.clone()).collect();
        tally.stored += screened.len() as u64;
        tally.redelivered += screened.iter().filter(|s| s.delivered > 1).count() as u64;
        if options.forward_flagged && options.queue == Queue::Names {
            tally.forwarded += forward_flagged(queue, &screened, &mut tally.errors).await;
        }
        for item in &screened {
            on_stored(item);
        }
        for (job, _) in stored {
            if let Err(e) = job.settle.ack().await {
                tally.errors += 1;
                eprintln!("screen: {e} (the name will come back and be stored once more)");
            }
        }
    }
}

/// Store a batch in one call; when that fails, store its verdicts one by one, so one name the
/// store refuses does not hold back (and finally dead-letter) the names beside it.
async fn store_isolating_failures<'j, S: VerdictSink>(
    sink: &Arc<Mutex<S>>,
    judged: Vec<(&'j Job, Screened)>,
) -> (Vec<(&'j Job, Screened)>, Vec<(&'j Job, Screened, String)>) {
    let batch: Vec<Screened> = judged.iter().map(|(_, item)| item.clone()).collect();
    if store_blocking(sink, batch).await.is_ok() {
        return (judged, Vec::new());
    }
    let mut stored = Vec::with_capacity(judged.len());
    let mut failed = Vec::new();
    for (job, item) in judged {
        match store_blocking(sink, vec![item.clone()]).await {
            Ok(()) => stored.push((job, item)),
            Err(error) => failed.push((job, item, error)),
        }
    }
    (stored, failed)
}

/// Judge every job; names that are not hostnames are settled at once (retrying cannot help).
async fn judge_jobs<'j, 'a>(
    jobs: &'j [Job],
    judge: &impl Fn(String) -> BoxFuture<'a, Report>,
    queue: Queue,
) -> (Vec<(&'j Job, Screened)>, Vec<(&'j Job, String)>) {
    let mut accepted: Vec<(&Job, String)> = Vec::with_capacity(jobs.len());
    let mut refused = Vec::new();
    for job in jobs {
        match canonical(&String::from_utf8_lossy(&job.payload)) {
            Ok(name) => accepted.push((job, name)),
            Err(e) => refused.push((job, format!("not a hostname: {e}"))),
        }
    }
    // Host checks are microseconds: one after the other. Deep checks wait on the network:
    // the whole batch at once, each telling the broker it is still being worked on.
    let reports: Vec<Report> = match queue {
        Queue::Names => {
            let mut reports = Vec::with_capacity(accepted.len());
            for (_, name) in &accepted {
                reports.push(judge(name.clone()).await);
            }
            reports
        }
        Queue::Deep => {
            let checks = accepted
                .iter()
                .map(|(job, name)| with_progress(job, PROGRESS_EVERY, judge(name.clone())));
            futures::future::join_all(checks).await
        }
    };
    let judged = accepted
        .into_iter()
        .zip(reports)
        .map(|((job, name), report)| {
            let item = Screened {
                report,
                name,
                delivered: job.delivered,
                source: job.source.clone(),
            };
            (job, item)
        })
        .collect();
    (judged, refused)
}

/// How often a deep-check worker says "still working" (well inside the deep ack wait).
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

async fn store_blocking<S: VerdictSink>(
    sink: &Arc<Mutex<S>>,
    batch: Vec<Screened>,
) -> Result<(), String> {
    let sink = Arc::clone(sink);
    tokio::task::spawn_blocking(move || match sink.lock() {
        Ok(mut sink) => sink.store(&batch),
        Err(_) => Err("the store was poisoned by an earlier panic".into()),
    })
    .await
    .map_err(|e| format!("store task failed: {e}"))?
}

async fn give_up<S: VerdictSink>(
    sink: &Arc<Mutex<S>>,
    job: &Job,
    reason: &str,
    tally: &mut WorkerTally,
) {
    let name = String::from_utf8_lossy(&job.payload)
        .chars()
        .take(300)
        .collect::<String>();
    let (sink, reason_owned, delivered) = (Arc::clone(sink), reason.to_string(), job.delivered);
    let recorded = tokio::task::spawn_blocking(move || match sink.lock() {
        Ok(mut sink) => sink.dead_letter(&name, &reason_owned, delivered),
        Err(_) => Err("the store was poisoned".into()),
    })
    .await;
    match recorded {
        Ok(Ok(())) => {
            tally.dead_letters += 1;
            if let Err(e) = job.settle.give_up().await {
                tally.errors += 1;
                eprintln!("screen: {e}");
            }
        }
        // Not even the dead letter could be written: leave the name to come back later.
        _ => {
            tally.errors += 1;
            let _ = job.settle.retry_after(Duration::from_secs(5)).await;
        }
    }
}

async fn forward_flagged<Q: NameQueue>(queue: &Q, screened: &[Screened], errors: &mut u64) -> u64 {
    let flagged: Vec<String> = screened
        .iter()
        .filter(|s| matches!(s.report.verdict, Verdict::Suspicious | Verdict::Phishing))
        .map(|s| s.name.clone())
        .collect();
    if flagged.is_empty() {
        return 0;
    }
    match queue.publish(Queue::Deep, &flagged, "screen").await {
        Ok(published) => published.stored,
        Err(e) => {
            *errors += 1;
            eprintln!(
                "screen: cannot forward {} flagged names: {e}",
                flagged.len()
            );
            0
        }
    }
}

async fn queue_is_drained<Q: NameQueue>(queue: &Q, which: Queue) -> bool {
    queue
        .status()
        .await
        .is_ok_and(|status| status.drained(which))
}

/// Keep signalling "still working" on a slow job while `work` runs, so the broker does not
/// hand it to another worker.
pub async fn with_progress<T>(job: &Job, every: Duration, work: impl Future<Output = T>) -> T {
    tokio::pin!(work);
    let mut ticker = tokio::time::interval(every);
    ticker.tick().await;
    loop {
        tokio::select! {
            value = &mut work => return value,
            _ = ticker.tick() => {
                let _ = job.settle.in_progress().await;
            }
        }
    }
}
