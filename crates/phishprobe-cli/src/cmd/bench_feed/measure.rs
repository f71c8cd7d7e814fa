//! The phases that run the feed undisturbed: names per second with each worker count,
//! publish → stored latency at a steady rate (one in-process worker with a clock on each
//! stored batch), and the bytes the store keeps per name.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use futures::FutureExt;
use phishprobe_feed::screen::{Screened, VerdictSink, WorkerOptions, run_worker};
use phishprobe_store::HistoryStore;
use serde_json::{Value, json};

use super::readings::{cpu_seconds, round, rows_of};
use super::traffic::{generate, publish, publish_steady, wait_drained};
use super::workers::finish;
use super::{Bench, phase_limit};
use crate::cmd::Context;
use crate::cmd::screen::StoreSink;

impl Bench<'_> {
    /// Names per second end to end with `workers` screen processes.
    pub(super) async fn throughput(&self, workers: usize) -> Result<Value> {
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

impl Bench<'_> {
    /// Publish → stored latency at a steady rate below capacity, through one in-process
    /// worker (the same loop and store writes as `screen`, with a clock on each stored batch).
    pub(super) async fn latency(&self, ctx: &Context, rules_version: String) -> Result<Value> {
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
    /// Bytes per stored name in the SQLite file of the first throughput phase (database plus
    /// write-ahead log: the workers closed it, so the log is normally checkpointed away).
    pub(super) async fn storage(&self, throughput: &[Value]) -> Result<Value> {
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
