//! The names a phase sends and how they reach the queue: made up per phase (so a run's rows
//! are found by their tag), published in batches or at a steady rate, and waited for until the
//! workers have acknowledged every one. Kept apart from the phases so each one sends and waits
//! the same way.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use phishprobe_feed::broker::nats::NatsQueue;
use phishprobe_feed::broker::{NameQueue, Queue};
use tokio::task::JoinHandle;

/// Names are published in batches of this size (what `feed --to` does per batch too).
const PUBLISH_BATCH: usize = 512;

/// How often the queue depth is polled: the resolution of the end-to-end times.
pub(super) const POLL: Duration = Duration::from_millis(25);

/// `count` unique names: look-alikes of brands among ordinary names, as a CT feed brings them.
pub(super) fn generate(count: usize, tag: &str) -> Vec<String> {
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

/// What [`wait_drained`] saw.
pub(super) struct Drained {
    /// When the queue was first seen empty with everything published.
    pub(super) at: Instant,
    /// How long publishing took.
    pub(super) publish: Duration,
}

/// Publish `names` in batches on their own task; `sent` counts the names the broker confirmed.
pub(super) fn publish(
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
pub(super) async fn wait_drained(
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
pub(super) async fn wait_empty(queue: &NatsQueue, limit: Duration) -> Result<Instant> {
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

/// Publish `names` at a steady `rate` (a batch every 10 ms), recording when each was sent.
pub(super) fn publish_steady(
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
