//! Counters of the event flow, and the handle the server keeps for health and metrics
//! (the Kafka connectivity probe). Counting only: nothing here moves events.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::producer::FutureProducer;

use crate::config::EventsConfig;

/// Monotonic counters, exported by `/_depot/metrics`.
#[derive(Debug, Default)]
pub struct EventMetrics {
    pub published: AtomicU64,
    pub publish_failures: AtomicU64,
    pub indexed: AtomicU64,
    pub duplicates: AtomicU64,
    pub rejected: AtomicU64,
    pub relay_errors: AtomicU64,
    pub indexer_errors: AtomicU64,
    /// Events the indexer applied straight from the outbox (Kafka mode's catch-up).
    pub caught_up: AtomicU64,
}

impl EventMetrics {
    pub fn published(&self, n: u64) {
        self.published.fetch_add(n, Ordering::Relaxed);
    }

    pub fn publish_failed(&self, n: u64) {
        self.publish_failures.fetch_add(n, Ordering::Relaxed);
    }

    pub fn indexed(&self, applied: u64, duplicates: u64) {
        self.indexed.fetch_add(applied, Ordering::Relaxed);
        self.duplicates.fetch_add(duplicates, Ordering::Relaxed);
    }

    pub fn rejected(&self) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
    }

    pub fn relay_error(&self) {
        self.relay_errors.fetch_add(1, Ordering::Relaxed);
    }

    pub fn indexer_error(&self) {
        self.indexer_errors.fetch_add(1, Ordering::Relaxed);
    }

    pub fn caught_up(&self, n: u64) {
        self.caught_up.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// What the Kafka probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaStatus {
    pub brokers: usize,
    pub topic_exists: bool,
}

/// The event flow as the rest of the server sees it.
#[derive(Clone)]
pub struct EventsHandle {
    pub config: EventsConfig,
    pub metrics: Arc<EventMetrics>,
    producer: Option<Arc<FutureProducer>>,
}

impl std::fmt::Debug for EventsHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventsHandle").field("mode", &self.mode()).field("config", &self.config).field("metrics", &self.metrics).finish()
    }
}

impl EventsHandle {
    /// The handle of an event flow relaying in-process (`producer: None`) or to Kafka.
    pub fn new(config: EventsConfig, metrics: Arc<EventMetrics>, producer: Option<Arc<FutureProducer>>) -> EventsHandle {
        EventsHandle { config, metrics, producer }
    }

    /// `kafka` or `embedded`.
    pub fn mode(&self) -> &'static str {
        if self.producer.is_some() {
            "kafka"
        } else {
            "embedded"
        }
    }

    /// Asks the brokers for the topic's metadata (at most `timeout`). `None` in
    /// embedded mode.
    pub async fn probe_kafka(&self, timeout: Duration) -> Option<Result<KafkaStatus, String>> {
        let producer = self.producer.clone()?;
        let topic = self.config.kafka_topic.clone();
        let probe = tokio::task::spawn_blocking(move || {
            use rdkafka::producer::Producer;
            let metadata = producer.client().fetch_metadata(Some(&topic), timeout).map_err(|e| e.to_string())?;
            let topic_exists = metadata.topics().iter().any(|t| t.name() == topic && t.error().is_none() && !t.partitions().is_empty());
            Ok(KafkaStatus { brokers: metadata.brokers().len(), topic_exists })
        });
        Some(probe.await.unwrap_or_else(|e| Err(e.to_string())))
    }
}
