//! The work queue between `phishprobe feed` and the `phishprobe screen` workers.
//!
//! A small trait, so the engine underneath can change: NATS JetStream is the one implemented
//! and tested ([`nats`]). Kafka is the other engine users ask for; no Kafka broker installs on
//! the machines this is tested on, so there is no Kafka implementation yet rather than an
//! untested one. What a second engine must give: de-duplication by message id (or an
//! idempotent consumer, which the store's upsert already is), a shared durable consumer
//! group, per-message acknowledgement with redelivery after a timeout, a delivery count, and a
//! "still working" signal for slow jobs.

pub mod nats;

use std::future::Future;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Serialize;
use thiserror::Error;

/// A broker failure (connection, stream setup, publish not acknowledged).
#[derive(Debug, Error)]
#[error("{0}")]
pub struct BrokerError(pub String);

impl BrokerError {
    pub(crate) fn from_display(what: &str, error: impl std::fmt::Display) -> BrokerError {
        BrokerError(format!("{what}: {error}"))
    }
}

/// Which queue a job belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Newly seen names, for the host check.
    Names,
    /// Names the host check flagged, for the slower checks (page fetch, wrong-password probe).
    Deep,
}

/// What one publish call did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Published {
    /// Names the broker stored.
    pub stored: u64,
    /// Names the broker recognised as duplicates (same message id within its window).
    pub duplicates: u64,
}

/// Queue depths, for `screen --status` and the tests.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct QueueStatus {
    /// Messages still in the names stream (work queue: not yet acknowledged).
    pub names_waiting: u64,
    /// Messages the workers' consumer has not delivered yet.
    pub names_pending: u64,
    /// Messages delivered and not acknowledged yet.
    pub names_unacked: u64,
    /// Messages delivered more than once so far.
    pub names_redelivered: u64,
    /// Messages in the deep-check stream.
    pub deep_waiting: u64,
    /// Deep-check messages the deep workers' consumer has not delivered yet.
    pub deep_pending: u64,
    /// Deep-check messages delivered and not acknowledged yet.
    pub deep_unacked: u64,
}

impl QueueStatus {
    /// Nothing left to deliver and nothing held by a worker on `queue`.
    pub fn drained(&self, queue: Queue) -> bool {
        match queue {
            Queue::Names => self.names_pending == 0 && self.names_unacked == 0,
            Queue::Deep => self.deep_pending == 0 && self.deep_unacked == 0,
        }
    }
}

/// How a job ends; implemented by each engine's message handle.
pub trait Settle: Send + Sync {
    /// Done: the result is stored.
    fn ack(&self) -> BoxFuture<'_, Result<(), BrokerError>>;
    /// Failed this time: deliver again after `delay`.
    fn retry_after(&self, delay: Duration) -> BoxFuture<'_, Result<(), BrokerError>>;
    /// Failed for good: never deliver again (the caller has recorded a dead letter).
    fn give_up(&self) -> BoxFuture<'_, Result<(), BrokerError>>;
    /// Still working: extend the acknowledgement deadline.
    fn in_progress(&self) -> BoxFuture<'_, Result<(), BrokerError>>;
}

/// One delivered name.
pub struct Job {
    /// The payload: the canonical name as published.
    pub payload: Vec<u8>,
    /// 1 on the first delivery, more after redeliveries.
    pub delivered: u64,
    /// The feed that published it, when the publisher said.
    pub source: Option<String>,
    /// Acknowledge, retry or give up.
    pub settle: Box<dyn Settle>,
}

/// A work queue of names with at-least-once delivery.
pub trait NameQueue: Send + Sync {
    /// Publish names (each name is its own message id) and wait for the broker to store them.
    /// `source` names the feed, kept with each verdict.
    fn publish(
        &self,
        queue: Queue,
        names: &[String],
        source: &str,
    ) -> impl Future<Output = Result<Published, BrokerError>> + Send;

    /// Up to `max` jobs from the shared consumer of `queue`, waiting at most `wait` for the first.
    fn next_jobs(
        &self,
        queue: Queue,
        max: usize,
        wait: Duration,
    ) -> impl Future<Output = Result<Vec<Job>, BrokerError>> + Send;

    /// Depths of the queues.
    fn status(&self) -> impl Future<Output = Result<QueueStatus, BrokerError>> + Send;
}
