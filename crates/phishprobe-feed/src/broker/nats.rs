//! The work queue on NATS JetStream.
//!
//! Two work-queue streams on file storage: `PHISHPROBE_NAMES` (subject `phishprobe.names`) for
//! newly seen names and `PHISHPROBE_DEEP` (`phishprobe.deep`) for the names the host check
//! flagged. Each has one durable pull consumer that every worker shares (the consumer group):
//! a message goes to one worker at a time, comes back after `ack_wait` when that worker dies,
//! and is given up after `max_deliver` deliveries.
//!
//! The name travels in the payload and as the message id (`Nats-Msg-Id`), never in the
//! subject: NATS splits subjects on `.`, so a hostname there would become many tokens. The id
//! lets the server drop a name published again within the duplicate window.

use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer, stream};
use futures::StreamExt;
use futures::future::BoxFuture;

use super::{BrokerError, Job, NameQueue, Published, Queue, QueueStatus, Settle};

/// Stream and consumer settings.
#[derive(Debug, Clone)]
pub struct NatsOptions {
    /// Stream copies in a cluster (1 on a single server, 3 on a three-node cluster).
    pub replicas: usize,
    /// How long the server remembers a name to drop it when published again.
    pub duplicate_window: Duration,
    /// How long a worker may hold a name before it is delivered to another.
    pub ack_wait: Duration,
    /// Deliveries before a name is given up (and recorded as a dead letter).
    pub max_deliver: i64,
    /// Deep-check jobs take longer (a page fetch, a browser probe): their own ack wait.
    pub deep_ack_wait: Duration,
}

impl Default for NatsOptions {
    fn default() -> NatsOptions {
        NatsOptions {
            replicas: 1,
            duplicate_window: Duration::from_secs(600),
            ack_wait: Duration::from_secs(30),
            max_deliver: 5,
            deep_ack_wait: Duration::from_secs(120),
        }
    }
}

const NAMES_STREAM: &str = "PHISHPROBE_NAMES";
const NAMES_SUBJECT: &str = "phishprobe.names";
const DEEP_STREAM: &str = "PHISHPROBE_DEEP";
const DEEP_SUBJECT: &str = "phishprobe.deep";
const NAMES_CONSUMER: &str = "screen";
/// The header that names the feed a name came from.
const SOURCE_HEADER: &str = "Phishprobe-Source";
const DEEP_CONSUMER: &str = "deep";

/// A connection to JetStream with both streams and their consumers set up.
pub struct NatsQueue {
    client: async_nats::Client,
    context: jetstream::Context,
    options: NatsOptions,
}

impl NatsQueue {
    /// Connect to `servers` (`nats://HOST:PORT`, several separated by commas for a cluster)
    /// and create the streams and consumers if they do not exist. Reconnects on its own.
    pub async fn connect(servers: &str, options: NatsOptions) -> Result<NatsQueue, BrokerError> {
        let addresses: Vec<&str> = servers
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if addresses.is_empty() {
            return Err(BrokerError("no NATS server given".into()));
        }
        let client = async_nats::ConnectOptions::new()
            .name("phishprobe")
            .connection_timeout(Duration::from_secs(5))
            .retry_on_initial_connect()
            .connect(addresses)
            .await
            .map_err(|e| BrokerError::from_display(&format!("cannot connect to {servers}"), e))?;
        let context = jetstream::new(client.clone());
        let queue = NatsQueue {
            client,
            context,
            options,
        };
        queue.set_up().await?;
        Ok(queue)
    }

    async fn set_up(&self) -> Result<(), BrokerError> {
        for (name, subject, consumer_name, ack_wait) in [
            (
                NAMES_STREAM,
                NAMES_SUBJECT,
                NAMES_CONSUMER,
                self.options.ack_wait,
            ),
            (
                DEEP_STREAM,
                DEEP_SUBJECT,
                DEEP_CONSUMER,
                self.options.deep_ack_wait,
            ),
        ] {
            let stream = with_retries(|| async {
                self.context
                    .get_or_create_stream(stream::Config {
                        name: name.to_string(),
                        subjects: vec![subject.to_string()],
                        retention: stream::RetentionPolicy::WorkQueue,
                        storage: stream::StorageType::File,
                        num_replicas: self.options.replicas,
                        duplicate_window: self.options.duplicate_window,
                        ..Default::default()
                    })
                    .await
                    .map_err(|e| BrokerError::from_display(&format!("stream {name}"), e))
            })
            .await?;
            with_retries(|| async {
                stream
                    .get_or_create_consumer(
                        consumer_name,
                        consumer::pull::Config {
                            durable_name: Some(consumer_name.to_string()),
                            ack_policy: consumer::AckPolicy::Explicit,
                            ack_wait,
                            max_deliver: self.options.max_deliver,
                            max_ack_pending: 20_000,
                            ..Default::default()
                        },
                    )
                    .await
                    .map_err(|e| BrokerError::from_display(&format!("consumer {consumer_name}"), e))
            })
            .await?;
        }
        Ok(())
    }

    async fn consumer(
        &self,
        queue: Queue,
    ) -> Result<consumer::Consumer<consumer::pull::Config>, BrokerError> {
        let (stream, name) = names_of(queue);
        self.context
            .get_consumer_from_stream(name, stream)
            .await
            .map_err(|e| BrokerError::from_display(&format!("consumer {name} of {stream}"), e))
    }

    /// Send whatever acknowledgements are still buffered (call before exiting).
    pub async fn flush(&self) -> Result<(), BrokerError> {
        self.client
            .flush()
            .await
            .map_err(|e| BrokerError::from_display("flush", e))
    }
}

fn names_of(queue: Queue) -> (&'static str, &'static str) {
    match queue {
        Queue::Names => (NAMES_STREAM, NAMES_CONSUMER),
        Queue::Deep => (DEEP_STREAM, DEEP_CONSUMER),
    }
}

/// JetStream calls fail for a few seconds while a cluster elects a new leader: try again.
async fn with_retries<T, F, Fut>(mut call: F) -> Result<T, BrokerError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, BrokerError>>,
{
    let mut delay = Duration::from_millis(100);
    let mut last = None;
    for _ in 0..12 {
        match call().await {
            Ok(value) => return Ok(value),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
    Err(last.unwrap_or_else(|| BrokerError("no attempt made".into())))
}

impl NameQueue for NatsQueue {
    async fn publish(
        &self,
        queue: Queue,
        names: &[String],
        source: &str,
    ) -> Result<Published, BrokerError> {
        let subject = match queue {
            Queue::Names => NAMES_SUBJECT,
            Queue::Deep => DEEP_SUBJECT,
        };
        let mut acks = Vec::with_capacity(names.len());
        for name in names {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(SOURCE_HEADER, source);
            let message = async_nats::jetstream::message::PublishMessage::build()
                .payload(name.clone().into_bytes().into())
                .headers(headers)
                .message_id(name);
            let ack = self
                .context
                .send_publish(subject, message)
                .await
                .map_err(|e| BrokerError::from_display("publish", e))?;
            acks.push(ack);
        }
        let mut published = Published::default();
        for ack in acks {
            let ack = ack
                .await
                .map_err(|e| BrokerError::from_display("publish not confirmed", e))?;
            if ack.duplicate {
                published.duplicates += 1;
            } else {
                published.stored += 1;
            }
        }
        Ok(published)
    }

    async fn next_jobs(
        &self,
        queue: Queue,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Job>, BrokerError> {
        let consumer = self.consumer(queue).await?;
        let mut batch = consumer
            .fetch()
            .max_messages(max.max(1))
            .expires(wait.max(Duration::from_millis(100)))
            .messages()
            .await
            .map_err(|e| BrokerError::from_display("fetch", e))?;
        let mut jobs = Vec::new();
        while let Some(message) = batch.next().await {
            let message = message.map_err(|e| BrokerError::from_display("fetch", e))?;
            let delivered = message
                .info()
                .map(|info| u64::try_from(info.delivered).unwrap_or(1))
                .unwrap_or(1);
            let source = message
                .headers
                .as_ref()
                .and_then(|h| h.get(SOURCE_HEADER))
                .map(|v| v.as_str().chars().take(500).collect());
            jobs.push(Job {
                payload: message.payload.to_vec(),
                delivered,
                source,
                settle: Box::new(NatsJob(message)),
            });
        }
        Ok(jobs)
    }

    async fn status(&self) -> Result<QueueStatus, BrokerError> {
        let info = |e| BrokerError::from_display("status", e);
        let names = self.context.get_stream(NAMES_STREAM).await.map_err(info)?;
        let names_info = names
            .get_info()
            .await
            .map_err(|e| BrokerError::from_display("status", e))?;
        let consumer = self.consumer(Queue::Names).await?;
        let consumer_info = consumer
            .get_info()
            .await
            .map_err(|e| BrokerError::from_display("status", e))?;
        let deep = self.context.get_stream(DEEP_STREAM).await.map_err(info)?;
        let deep_info = deep
            .get_info()
            .await
            .map_err(|e| BrokerError::from_display("status", e))?;
        let deep_consumer_info = self
            .consumer(Queue::Deep)
            .await?
            .get_info()
            .await
            .map_err(|e| BrokerError::from_display("status", e))?;
        Ok(QueueStatus {
            names_waiting: names_info.state.messages,
            names_pending: consumer_info.num_pending,
            names_unacked: consumer_info.num_ack_pending as u64,
            names_redelivered: consumer_info.num_redelivered as u64,
            deep_waiting: deep_info.state.messages,
            deep_pending: deep_consumer_info.num_pending,
            deep_unacked: deep_consumer_info.num_ack_pending as u64,
        })
    }
}

struct NatsJob(jetstream::Message);

impl NatsJob {
    fn send(&self, kind: AckKind) -> BoxFuture<'_, Result<(), BrokerError>> {
        Box::pin(async move {
            self.0
                .ack_with(kind)
                .await
                .map_err(|e| BrokerError::from_display("acknowledge", e))
        })
    }
}

impl Settle for NatsJob {
    fn ack(&self) -> BoxFuture<'_, Result<(), BrokerError>> {
        self.send(AckKind::Ack)
    }

    fn retry_after(&self, delay: Duration) -> BoxFuture<'_, Result<(), BrokerError>> {
        self.send(AckKind::Nak(Some(delay)))
    }

    fn give_up(&self) -> BoxFuture<'_, Result<(), BrokerError>> {
        self.send(AckKind::Term)
    }

    fn in_progress(&self) -> BoxFuture<'_, Result<(), BrokerError>> {
        self.send(AckKind::Progress)
    }
}
