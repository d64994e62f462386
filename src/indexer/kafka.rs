//! The indexer's Kafka consumer: a consumer group that hands every message to the same
//! [`Indexer`] the in-process transport uses, and stores its offset only after the
//! indexing transaction committed.
//!
//! Owns the consumer client and its settings; the producer side is `events::kafka`.
//! Must not block the async runtime on librdkafka's blocking calls (those run on the
//! blocking pool).

use std::sync::Arc;
use std::time::Duration;

use rdkafka::client::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use tokio::sync::watch;
use tracing::{field, Instrument};

use super::{parse_event, Indexer};
use crate::config::EventsConfig;
use crate::events::relay::Backoff;
use crate::events::EventMetrics;

/// The indexer's consumer client context: logs the partitions the group gives this
/// node (the first thing to look at when one partition's events are not indexed).
pub struct GroupLog;

impl ClientContext for GroupLog {}

impl ConsumerContext for GroupLog {
    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let partitions = |list: &rdkafka::TopicPartitionList| list.elements().iter().map(|e| e.partition()).collect::<Vec<_>>();
        match rebalance {
            Rebalance::Assign(list) => tracing::info!(partitions = ?partitions(list), "the consumer group assigned partitions to this indexer"),
            Rebalance::Revoke(list) => tracing::info!(partitions = ?partitions(list), "the consumer group revoked partitions from this indexer"),
            Rebalance::Error(e) => tracing::warn!(error = %e, "the consumer group's rebalance failed"),
        }
    }
}

/// The indexer's consumer.
pub type IndexerConsumer = StreamConsumer<GroupLog>;

/// The indexer's consumer: offsets are stored by hand after indexing and committed in
/// the background.
pub fn consumer(config: &EventsConfig, brokers: &str) -> Result<IndexerConsumer, KafkaError> {
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
        .create_with_context(GroupLog)
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
    consumer: IndexerConsumer,
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
