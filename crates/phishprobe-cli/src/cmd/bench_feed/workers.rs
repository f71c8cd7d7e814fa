//! The `phishprobe screen` processes a phase measures: started as a user would start them,
//! warmed up before the clock starts, and waited for (or killed) at the end. One place for
//! their life cycle, so every phase starts and stops them alike.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use phishprobe_feed::broker::nats::NatsQueue;

use super::Bench;
use super::traffic::{generate, publish, wait_drained};

/// Names drained before each measured phase, so the workers are connected and warm.
const WARM_UP: usize = 512;

impl Bench<'_> {
    /// Start `count` `phishprobe screen` processes, as a user would.
    pub(super) fn spawn_workers(
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
    pub(super) async fn warm_up(
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
}

/// One `phishprobe screen` process and its stderr file (its tally is the last line).
pub(super) struct Worker {
    pub(super) child: Child,
    pub(super) log: PathBuf,
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
pub(super) fn finish(workers: &mut [Worker]) -> Result<()> {
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
