//! Settings of the event flow: Kafka (unset brokers mean the in-process transport),
//! batching, outbox retention and the indexer-lag thresholds of the health check.
//! Only names, defaults and derived values; nothing here connects anywhere.

use std::time::Duration;

use clap::Args;

/// The event flow's settings (flattened into the server's configuration).
#[derive(Debug, Clone, Args)]
pub struct EventsConfig {
    /// Kafka bootstrap servers (`host:port,…`); unset: events are relayed in-process.
    #[arg(long, env = "DEPOT_KAFKA_BROKERS", global = true)]
    pub kafka_brokers: Option<String>,

    /// The topic events are published to (created when missing).
    #[arg(long, env = "DEPOT_KAFKA_TOPIC", default_value = "depot.events", global = true)]
    pub kafka_topic: String,

    /// The indexer's consumer group.
    #[arg(long, env = "DEPOT_KAFKA_GROUP", default_value = "depot-indexer", global = true)]
    pub kafka_group: String,

    /// Partitions of the topic when Depot creates it.
    #[arg(long, env = "DEPOT_KAFKA_PARTITIONS", default_value_t = 3, global = true)]
    pub kafka_partitions: i32,

    /// Replication factor of the topic when Depot creates it.
    #[arg(long, env = "DEPOT_KAFKA_REPLICATION_FACTOR", default_value_t = 1, global = true)]
    pub kafka_replication_factor: i32,

    /// How long the producer tries to deliver a message before the relay retries it.
    #[arg(long, env = "DEPOT_KAFKA_MESSAGE_TIMEOUT_MS", default_value_t = 30_000, global = true)]
    pub kafka_message_timeout_ms: u64,

    /// Outbox rows (or Kafka messages) handled per transaction.
    #[arg(long, env = "DEPOT_EVENTS_BATCH", default_value_t = 256, global = true)]
    pub events_batch: usize,

    /// Seconds sent and indexed outbox rows are kept before they are pruned.
    #[arg(long, env = "DEPOT_OUTBOX_RETENTION_SECS", default_value_t = 24 * 3600, global = true)]
    pub outbox_retention_secs: u64,

    /// Health fails when the oldest event not yet indexed is older than this.
    #[arg(long, env = "DEPOT_INDEXER_MAX_LAG_SECONDS", default_value_t = 300, global = true)]
    pub indexer_max_lag_seconds: u64,

    /// Health fails when more events than this wait to be indexed.
    #[arg(long, env = "DEPOT_INDEXER_MAX_LAG_EVENTS", default_value_t = 100_000, global = true)]
    pub indexer_max_lag_events: u64,

    /// With Kafka: events published this many seconds ago and still not indexed by the
    /// consumer group are indexed straight from the outbox.
    #[arg(long, env = "DEPOT_INDEXER_CATCHUP_SECS", default_value_t = 30, global = true)]
    pub indexer_catchup_secs: u64,
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            kafka_brokers: None,
            kafka_topic: "depot.events".to_owned(),
            kafka_group: "depot-indexer".to_owned(),
            kafka_partitions: 3,
            kafka_replication_factor: 1,
            kafka_message_timeout_ms: 30_000,
            events_batch: 256,
            outbox_retention_secs: 24 * 3600,
            indexer_max_lag_seconds: 300,
            indexer_max_lag_events: 100_000,
            indexer_catchup_secs: 30,
        }
    }
}

impl EventsConfig {
    /// The brokers, when Kafka is configured.
    pub fn brokers(&self) -> Option<&str> {
        self.kafka_brokers.as_deref().map(str::trim).filter(|b| !b.is_empty())
    }

    pub fn batch(&self) -> usize {
        self.events_batch.clamp(1, 10_000)
    }

    pub fn message_timeout(&self) -> Duration {
        Duration::from_millis(self.kafka_message_timeout_ms.max(1000))
    }

    pub fn outbox_retention(&self) -> Duration {
        Duration::from_secs(self.outbox_retention_secs)
    }

    pub fn indexer_catchup(&self) -> Duration {
        Duration::from_secs(self.indexer_catchup_secs)
    }
}
