//! The Kafka transport of the relay: the producer (idempotent, `acks=all`, message key
//! `bucket/key`) and creation of the topic when it is missing. The consumer side is the
//! indexer's (`indexer::kafka`).
//!
//! Owns the producer client and its settings; must not interpret events, and must not
//! block the async runtime on librdkafka's blocking calls (those run on the blocking
//! pool).

use std::sync::Arc;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;

use super::relay::{RelayError, Transport};
use super::schema::outbox_event;
use super::EventMetrics;
use crate::catalog::{Catalog, Dialect, OutboxRow};
use crate::config::EventsConfig;

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
    producer: Arc<FutureProducer>,
    config: EventsConfig,
    brokers: String,
    metrics: Arc<EventMetrics>,
    /// Whether the topic is known to exist (checked again after "unknown topic").
    topic_ready: bool,
}

impl KafkaRelay {
    pub fn new(producer: Arc<FutureProducer>, config: EventsConfig, brokers: String, metrics: Arc<EventMetrics>) -> KafkaRelay {
        KafkaRelay { producer, config, brokers, metrics, topic_ready: false }
    }

    /// Publishes rows concurrently (the idempotent producer keeps each partition in
    /// order). Returns the ids the broker acknowledged, the rows that are not readable
    /// events (never published), the number of failures and the first failure.
    async fn publish(&mut self, rows: &[OutboxRow]) -> Published {
        let mut out = Published::default();
        let mut messages: Vec<(i64, String, String)> = Vec::with_capacity(rows.len());
        for row in rows {
            match outbox_event(row) {
                Ok(event) => {
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
        let unreadable: Vec<&str> = published.unreadable.iter().map(|(_, event_id)| event_id.as_str()).collect();
        tx.mark_indexed(&unreadable).await?;
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
