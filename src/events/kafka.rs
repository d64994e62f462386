//! The Kafka transport: the relay's producer (idempotent, `acks=all`, message key
//! `bucket/key`), creation of the topic when it is missing, and the indexer's consumer
//! group, which hands every message to the same [`Indexer`] the in-process transport
//! uses and stores its offset only after the indexing transaction committed.
//!
//! Owns the rdkafka clients and their settings; must not interpret events beyond
//! parsing them for the indexer, and must not block the async runtime on librdkafka's
//! blocking calls (those run on the blocking pool).

use std::sync::Arc;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use tokio::sync::watch;
use tracing::{field, Instrument};

use super::relay::{Backoff, RelayError, Transport};
use super::schema::Event;
use super::{EventMetrics, EventsConfig};
use crate::catalog::{Catalog, Dialect, OutboxRow};
use crate::indexer::{parse_event, Indexer};

/// The producer the relay publishes with.
pub fn producer(config: &EventsConfig, brokers: &str) -> Result<FutureProducer, KafkaError> {
    ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("client.id", "depot-relay")
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        .set("message.timeout.ms", config.message_timeout().as_millis().to_string())
        .set("reconnect.backoff.max.ms", "5000")
        .create()
}

/// The indexer's consumer: offsets are stored by hand after indexing and committed in
/// the background.
pub fn consumer(config: &EventsConfig, brokers: &str) -> Result<StreamConsumer, KafkaError> {
    ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("client.id", "depot-indexer")
        .set("group.id", &config.kafka_group)
        .set("enable.auto.commit", "true")
        .set("auto.commit.interval.ms", "1000")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("allow.auto.create.topics", "false")
        .set("topic.metadata.refresh.interval.ms", "5000")
        .set("session.timeout.ms", "10000")
        .set("fetch.wait.max.ms", "100")
        .set("reconnect.backoff.max.ms", "5000")
        .create()
}

/// Creates the topic unless it exists.
pub async fn ensure_topic(config: &EventsConfig, brokers: &str) -> Result<(), KafkaError> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new().set("bootstrap.servers", brokers).create()?;
    let topic = NewTopic::new(&config.kafka_topic, config.kafka_partitions.max(1), TopicReplication::Fixed(config.kafka_replication_factor.max(1)));
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))).request_timeout(Some(Duration::from_secs(10)));
    let results = admin.create_topics([&topic], &options).await?;
    for result in results {
        match result {
            Ok(name) => tracing::info!(topic = %name, partitions = config.kafka_partitions, "created the events topic"),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => {
                return Err(KafkaError::AdminOp(code)).inspect_err(|_| tracing::warn!(topic = %name, %code, "creating the events topic failed"))
            }
        }
    }
    Ok(())
}

/// Publishes outbox rows to Kafka.
pub struct KafkaRelay {
    pub producer: Arc<FutureProducer>,
    pub config: EventsConfig,
    pub brokers: String,
    pub metrics: Arc<EventMetrics>,
    /// Whether the topic is known to exist (checked again after "unknown topic").
    pub topic_ready: bool,
}

impl KafkaRelay {
    /// Publishes rows concurrently (the idempotent producer keeps each partition in
    /// order). Returns the ids the broker acknowledged, the rows that are not readable
    /// events (never published), the number of failures and the first failure.
    async fn publish(&mut self, rows: &[OutboxRow]) -> Published {
        let mut out = Published::default();
        let mut messages: Vec<(i64, String, String)> = Vec::with_capacity(rows.len());
        for row in rows {
            match parse_event(row.payload.as_bytes()) {
                Ok(mut event) => {
                    event.sequencer = Event::sequencer_for(row.id);
                    messages.push((row.id, event.message_key(), event.to_document().to_string()));
                }
                Err(reason) => {
                    tracing::warn!(event_id = %row.event_id, error = %reason, "skipping an outbox row that is not a readable event");
                    self.metrics.rejected();
                    out.unreadable.push((row.id, row.event_id.clone()));
                }
            }
        }
        let topic = self.config.kafka_topic.clone();
        let sends = messages.iter().map(|(id, key, payload)| {
            let record = FutureRecord::to(&topic).key(key.as_str()).payload(payload.as_str());
            let producer = self.producer.clone();
            async move { (*id, producer.send(record, Timeout::After(Duration::from_secs(5))).await) }
        });
        for (id, result) in futures_util::future::join_all(sends).await {
            match result {
                Ok(_) => out.acked.push(id),
                Err((e, _)) => {
                    out.failed += 1;
                    if matches!(e, KafkaError::MessageProduction(RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic)) {
                        self.topic_ready = false;
                    }
                    out.first_error.get_or_insert(e);
                }
            }
        }
        out
    }
}

/// The outcome of publishing a batch.
#[derive(Debug, Default)]
struct Published {
    acked: Vec<i64>,
    unreadable: Vec<(i64, String)>,
    failed: usize,
    first_error: Option<KafkaError>,
}

impl Transport for KafkaRelay {
    const NAME: &'static str = "kafka";

    async fn deliver_batch(&mut self, catalog: &Catalog, limit: usize) -> Result<usize, RelayError> {
        if !self.topic_ready {
            ensure_topic(&self.config, &self.brokers).await?;
            self.topic_ready = true;
        }
        // PostgreSQL: claim the rows in a transaction held until they are marked, so
        // that other relays skip them. SQLite (one process, one writer): read them
        // without a transaction, so that S3 writes never wait on the broker.
        let (tx, rows) = match catalog.dialect() {
            Dialect::Postgres => {
                let mut tx = catalog.begin().await?;
                let rows = tx.claim_events(limit as i64).await?;
                (Some(tx), rows)
            }
            Dialect::Sqlite => (None, catalog.pending_events(limit as i64).await?),
        };
        if rows.is_empty() {
            return Ok(0);
        }
        let published = self.publish(&rows).await;
        let mut tx = match tx {
            Some(tx) => tx,
            None => catalog.begin().await?,
        };
        let mut done = published.acked.clone();
        done.extend(published.unreadable.iter().map(|(id, _)| *id));
        tx.mark_sent(&done).await?;
        for (_, event_id) in &published.unreadable {
            tx.mark_indexed(event_id).await?;
        }
        tx.commit().await?;
        self.metrics.published(published.acked.len() as u64);
        match published.first_error {
            None => Ok(rows.len()),
            Some(e) => {
                self.metrics.publish_failed(published.failed as u64);
                Err(RelayError::Undelivered { failed: published.failed, total: rows.len(), first_error: e.to_string() })
            }
        }
    }
}

/// A consumed message, detached from the consumer.
struct Received {
    topic: String,
    partition: i32,
    offset: i64,
    payload: Vec<u8>,
}

/// The indexer's consumer loop: receive a batch, index it (one transaction), then store
/// the offsets for the background commit. Runs until `shutdown`; commits what it
/// stored before it returns.
pub async fn run_consumer(
    consumer: StreamConsumer,
    indexer: Indexer,
    topic: String,
    batch: usize,
    metrics: Arc<EventMetrics>,
    mut shutdown: watch::Receiver<bool>,
) {
    let consumer = Arc::new(consumer);
    let mut backoff = Backoff::default();
    let mut subscribed = false;
    while !*shutdown.borrow() {
        if !subscribed {
            match consumer.subscribe(&[topic.as_str()]) {
                Ok(()) => subscribed = true,
                Err(e) => {
                    tracing::warn!(error = %e, "subscribing to the events topic failed; will retry");
                    if sleep_or_shutdown(backoff.next_delay(), &mut shutdown).await {
                        break;
                    }
                    continue;
                }
            }
        }
        let first = tokio::select! {
            m = consumer.recv() => m.map(|m| received(&m)),
            _ = shutdown.changed() => break,
        };
        let span = tracing::info_span!("indexer_batch", messages = field::Empty, applied = field::Empty, duplicates = field::Empty);
        let mut messages = match first {
            Ok(m) => vec![m],
            Err(e) => {
                // Unknown topic (not created yet), broker down: librdkafka reconnects.
                tracing::debug!(parent: &span, error = %e, "consumer error");
                if sleep_or_shutdown(backoff.next_delay(), &mut shutdown).await {
                    break;
                }
                continue;
            }
        };
        backoff.reset();
        while messages.len() < batch {
            match tokio::time::timeout(Duration::from_millis(2), consumer.recv()).await {
                Ok(Ok(m)) => messages.push(received(&m)),
                _ => break,
            }
        }
        span.record("messages", messages.len());
        if index_batch(&indexer, &messages, &metrics, &mut shutdown).instrument(span.clone()).await.is_err() {
            break; // shut down before the batch was indexed: it is redelivered later
        }
        for m in &messages {
            if let Err(e) = consumer.store_offset(&m.topic, m.partition, m.offset) {
                tracing::debug!(parent: &span, error = %e, partition = m.partition, "storing an offset failed (partition revoked?)");
            }
        }
    }
    let committing = consumer.clone();
    let _ = tokio::task::spawn_blocking(move || {
        if let Err(e) = committing.commit_consumer_state(CommitMode::Sync) {
            tracing::debug!(error = %e, "final offset commit");
        }
    })
    .await;
    // Leaving the group blocks until the broker answers: do it off the runtime.
    let _ = tokio::task::spawn_blocking(move || drop(consumer)).await;
    tracing::debug!("kafka indexer stopped");
}

fn received(m: &rdkafka::message::BorrowedMessage<'_>) -> Received {
    Received { topic: m.topic().to_owned(), partition: m.partition(), offset: m.offset(), payload: m.payload().unwrap_or_default().to_vec() }
}

/// Indexes a batch, retrying with backoff until it commits. `Err` only on shutdown.
async fn index_batch(indexer: &Indexer, messages: &[Received], metrics: &EventMetrics, shutdown: &mut watch::Receiver<bool>) -> Result<(), ()> {
    let mut events = Vec::with_capacity(messages.len());
    for m in messages {
        match parse_event(&m.payload) {
            Ok(event) => events.push(event),
            Err(reason) => indexer.rejected(&reason),
        }
    }
    let mut backoff = Backoff::default();
    loop {
        match indexer.apply(&events).await {
            Ok(report) => {
                let span = tracing::Span::current();
                span.record("applied", report.applied);
                span.record("duplicates", report.duplicates);
                return Ok(());
            }
            Err(e) => {
                metrics.indexer_error();
                tracing::error!(error = %e, events = events.len(), "indexing a batch failed; will retry");
                if sleep_or_shutdown(backoff.next_delay(), shutdown).await {
                    return Err(());
                }
            }
        }
    }
}

/// Sleeps; returns true when shutdown came first.
async fn sleep_or_shutdown(delay: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(delay) => *shutdown.borrow(),
        _ = shutdown.changed() => true,
    }
}
