//! The phases that kill something midway and measure what it costs: a screen worker
//! (SIGKILL, its names come back after the ack wait) and, with `--cluster`, the names
//! stream's leader in a three-node cluster. Both wait for half the names, kill, then time the
//! drain and count the rows written twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};
use phishprobe_feed::broker::NameQueue;
use phishprobe_feed::broker::nats::{NatsOptions, NatsQueue};
use serde_json::{Value, json};

use super::cluster::Cluster;
use super::readings::{round, rows_of, tally_of};
use super::traffic::{POLL, generate, publish, wait_drained, wait_empty};
use super::workers::finish;
use super::{Bench, phase_limit};

impl Bench<'_> {
    /// Two screen processes; one is killed (SIGKILL) when half the names are stored, the
    /// other finishes. The names the dead one held come back after the ack wait.
    pub(super) async fn kill(&self) -> Result<Value> {
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
}

impl Bench<'_> {
    /// Two workers on a three-node cluster (streams with three copies); the names stream's
    /// leader is killed when half the names are stored. Measures the time until the queue is
    /// drained again and what was written twice.
    pub(super) async fn leader_kill(&self) -> Result<Value> {
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
