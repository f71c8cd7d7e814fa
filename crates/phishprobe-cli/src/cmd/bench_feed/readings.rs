//! Figures read from outside the bench: rows in the history store, CPU seconds from
//! `/proc`, the load average, the broker's version and a worker's closing tally. The phases
//! turn these into their results; keeping the reading here keeps the phases about what they
//! measure.

use std::path::Path;

use anyhow::{Context as _, Result, anyhow};
use phishprobe_store::{DomainQuery, HistoryStore};
use serde_json::{Value, json};

use super::Bench;
use super::broker::Broker;
use super::workers::Worker;

impl Bench<'_> {
    /// CPU seconds so far of the broker (when started here) and of `workers` together.
    pub(super) fn cpu(&self, workers: &[Worker]) -> (Option<f64>, f64) {
        let broker = self.broker.pid().and_then(|p| cpu_seconds(p, self.ticks));
        let workers = workers
            .iter()
            .filter_map(|w| cpu_seconds(w.child.id(), self.ticks))
            .sum();
        (broker, workers)
    }
}

/// Rows of one phase and how many of them were written more than once.
pub(super) struct Rows {
    pub(super) rows: u64,
    pub(super) rewritten: u64,
}

/// Count the rows whose name holds `tag`, paging through them (at most 10,000 a page).
pub(super) async fn rows_of(db: &str, tag: &str) -> Result<Rows> {
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
pub(super) fn cpu_seconds(pid: u32, ticks: f64) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (in parentheses, may hold spaces): utime and stime are
    // fields 14 and 15 of the line, 12 and 13 after the name.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / ticks)
}

pub(super) fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

pub(super) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The machine state next to the figures: they mean little without it.
pub(super) fn machine(load_before: String, broker: &Broker) -> Value {
    json!({
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "nats_server": broker.version,
        "broker_started_here": broker.pid().is_some(),
    })
}

/// A number from the tally a screen worker prints as its last stderr line.
pub(super) fn tally_of(log: &Path, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(log).ok()?;
    let line = text.lines().rev().find(|l| l.starts_with("{\"screen\""))?;
    let value: Value = serde_json::from_str(line).ok()?;
    value["screen"][key].as_u64()
}
