//! The screening worker on a real nats-server with a store that refuses one name: the names
//! beside it are stored, the refused one comes back until `max_deliver` and then becomes a
//! dead letter; a payload that is not a hostname is a dead letter at once (retrying cannot
//! help); and the queue ends drained.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use phishprobe_core::Engine;
use phishprobe_feed::broker::nats::{NatsOptions, NatsQueue};
use phishprobe_feed::broker::{NameQueue, Queue};
use phishprobe_feed::screen::{Screened, VerdictSink, WorkerOptions, run_worker};
use phishprobe_testkit::nats::NatsSetup;

#[derive(Default)]
struct Memory {
    stored: HashMap<String, (String, u32)>,
    dead: Vec<(String, String, u64)>,
}

/// A store that refuses every batch holding a name with "poison" in it.
#[derive(Clone, Default)]
struct PickySink(Arc<Mutex<Memory>>);

impl VerdictSink for PickySink {
    fn store(&mut self, batch: &[Screened]) -> Result<(), String> {
        if batch.iter().any(|s| s.name.contains("poison")) {
            return Err("the store refuses this name".into());
        }
        let mut memory = self.0.lock().map_err(|e| e.to_string())?;
        for item in batch {
            let entry = memory
                .stored
                .entry(item.name.clone())
                .or_insert((item.report.verdict.as_str().to_string(), 0));
            entry.1 += 1;
        }
        Ok(())
    }

    fn dead_letter(&mut self, name: &str, reason: &str, deliveries: u64) -> Result<(), String> {
        let mut memory = self.0.lock().map_err(|e| e.to_string())?;
        memory
            .dead
            .push((name.to_string(), reason.to_string(), deliveries));
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_name_becomes_a_dead_letter_without_holding_back_its_batch() {
    let Some(nats) = NatsSetup::single() else {
        return;
    };
    let options = NatsOptions {
        ack_wait: Duration::from_secs(2),
        max_deliver: 3,
        ..NatsOptions::default()
    };
    let queue = NatsQueue::connect(&nats.urls(), options).await.unwrap();
    let mut names: Vec<String> = (0..30).map(|i| format!("shop{i}.example.org")).collect();
    names.insert(10, "poison-shop.example.org".into());
    names.insert(20, "not a hostname!".into());
    queue.publish(Queue::Names, &names, "test").await.unwrap();

    let engine = Engine::embedded().unwrap();
    let sink = PickySink::default();
    let worker = WorkerOptions {
        batch: 8,
        fetch_wait: Duration::from_millis(500),
        until_idle: Some(Duration::from_secs(2)),
        max_deliver: 3,
        ..WorkerOptions::default()
    };
    let judge = |name: String| {
        let report = engine.check_host(&name);
        async move { report }.boxed()
    };
    let tally = run_worker(&queue, sink.clone(), judge, &worker, |_| {})
        .await
        .unwrap();

    assert!(queue.status().await.unwrap().drained(Queue::Names));
    let memory = sink.0.lock().unwrap();
    assert_eq!(memory.stored.len(), 30, "every good name stored");
    assert!(memory.stored.values().all(|(_, writes)| *writes == 1));
    let mut dead: Vec<(&str, u64)> = memory
        .dead
        .iter()
        .map(|(n, _, d)| (n.as_str(), *d))
        .collect();
    dead.sort_unstable();
    assert_eq!(
        dead,
        [("not a hostname!", 1), ("poison-shop.example.org", 3)]
    );
    assert_eq!(tally.dead_letters, 2);
}
