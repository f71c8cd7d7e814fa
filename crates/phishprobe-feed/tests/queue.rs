//! The JetStream work queue on a real nats-server: duplicates dropped by message id, both
//! queues delivering to their own consumer, redelivery after a lost acknowledgement.

use std::time::Duration;

use phishprobe_feed::broker::nats::{NatsOptions, NatsQueue};
use phishprobe_feed::broker::{NameQueue, Queue};
use phishprobe_testkit::nats::NatsSetup;

fn names(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}{i}.example")).collect()
}

#[tokio::test]
async fn both_queues_deliver_once_drop_duplicates_and_redeliver_what_was_not_acked() {
    let Some(nats) = NatsSetup::single() else {
        return;
    };
    let options = NatsOptions {
        ack_wait: Duration::from_secs(1),
        deep_ack_wait: Duration::from_secs(1),
        ..NatsOptions::default()
    };
    let queue = NatsQueue::connect(&nats.urls(), options).await.unwrap();
    for which in [Queue::Names, Queue::Deep] {
        let batch = names(&format!("{which:?}-"), 10);
        let first = queue.publish(which, &batch, "test").await.unwrap();
        assert_eq!((first.stored, first.duplicates), (10, 0));
        let again = queue.publish(which, &batch[..4], "test").await.unwrap();
        assert_eq!(
            (again.stored, again.duplicates),
            (0, 4),
            "same names within the window"
        );
        let jobs = queue
            .next_jobs(which, 6, Duration::from_secs(2))
            .await
            .unwrap();
        assert_eq!(jobs.len(), 6, "{which:?}");
        assert!(
            jobs.iter()
                .all(|j| j.delivered == 1 && j.source.as_deref() == Some("test"))
        );
        for job in &jobs[..3] {
            job.settle.ack().await.unwrap();
        }
        // Three were acknowledged; three were not and come back after the ack wait.
        let mut rest = Vec::new();
        let started = std::time::Instant::now();
        while rest.len() < 7 && started.elapsed() < Duration::from_secs(10) {
            for job in queue
                .next_jobs(which, 10, Duration::from_millis(500))
                .await
                .unwrap()
            {
                job.settle.ack().await.unwrap();
                rest.push(job);
            }
        }
        assert_eq!(
            rest.len(),
            7,
            "{which:?}: 4 never delivered + 3 redelivered"
        );
        let mut seen: Vec<String> = jobs[..3]
            .iter()
            .chain(&rest)
            .map(|j| String::from_utf8_lossy(&j.payload).into_owned())
            .collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 10, "every name delivered, none lost");
        let counts: Vec<(String, u64)> = rest
            .iter()
            .map(|j| {
                (
                    String::from_utf8_lossy(&j.payload).into_owned(),
                    j.delivered,
                )
            })
            .collect();
        assert_eq!(
            rest.iter().filter(|j| j.delivered >= 2).count(),
            3,
            "{counts:?}"
        );
        queue.flush().await.unwrap();
        let status = queue.status().await.unwrap();
        assert!(status.drained(which), "{status:?}");
    }
}
