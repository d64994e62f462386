//! The indexer: the idempotent consumer of Depot's events, and the queries over what
//! it builds (search, statistics).
//!
//! Every transport hands events to [`Indexer`] — the Kafka consumer ([`kafka`]) and the
//! in-process relay transport ([`embedded`]) alike — so there is
//! one indexing code path. Per event, in one catalog transaction: check and record the
//! event id in `processed_events`, apply the event to the index and statistics tables
//! (see [`apply`] for the ordering rules), and mark its outbox row indexed. The
//! transport acknowledges (commits the Kafka offset, marks the outbox row sent) only
//! after that transaction committed.
//!
//! This module never reads the catalog's object tables except to rebuild the index
//! ([`rebuild`]), never publishes events (that is `events`), and never talks HTTP.
//! [`start`] starts the event flow: the outbox relay with its transport, and with Kafka
//! the consumer.
//!
//! Layer 6 of `crate::LAYERS`: may import only the layers below it (`config`, `catalog`,
//! `storage`, `events`).

pub mod apply;
pub mod catchup;
pub mod embedded;
pub mod kafka;
pub mod rebuild;
pub mod search;
pub mod stats;

use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::catalog::{Catalog, CatalogError, Tx};
use crate::config::EventsConfig;
use crate::events::relay::RelayLoop;
use crate::events::schema::Event;
pub use crate::events::schema::{parse_event, RejectedEvent};
use crate::events::{EventMetrics, EventsHandle};

pub use apply::Outcome;

/// Failures of the indexer.
#[derive(Debug, thiserror::Error)]
pub enum IndexerError {
    #[error("catalog: {0}")]
    Catalog(#[from] CatalogError),
    #[error("index database: {0}")]
    Database(#[from] sqlx::Error),
}

/// What a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchReport {
    pub applied: u64,
    pub duplicates: u64,
}

/// Applies events to the index.
#[derive(Debug, Clone)]
pub struct Indexer {
    catalog: Catalog,
    metrics: Arc<EventMetrics>,
}

impl Indexer {
    pub fn new(catalog: Catalog, metrics: Arc<EventMetrics>) -> Self {
        Indexer { catalog, metrics }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Applies `events` in one transaction of their own and commits it.
    pub async fn apply(&self, events: &[Event]) -> Result<BatchReport, IndexerError> {
        let mut tx = self.catalog.begin().await?;
        let report = self.apply_in(&mut tx, events).await?;
        tx.commit().await?;
        self.committed(report);
        Ok(report)
    }

    /// Applies `events` inside a transaction the caller commits (the in-process relay
    /// marks the outbox rows sent in the same one). Call [`Indexer::committed`] after
    /// the commit.
    pub async fn apply_in(&self, tx: &mut Tx, events: &[Event]) -> Result<BatchReport, IndexerError> {
        let mut batch = apply::Batch::default();
        let mut report = BatchReport::default();
        for event in events {
            match apply::apply_event(tx, event, &mut batch).await? {
                Outcome::Applied => report.applied += 1,
                Outcome::Duplicate => report.duplicates += 1,
            }
        }
        batch.finish(tx).await?;
        Ok(report)
    }

    /// Counts a committed batch in the metrics.
    pub fn committed(&self, report: BatchReport) {
        self.metrics.indexed(report.applied, report.duplicates);
    }

    /// Counts an event that could not be indexed.
    pub fn rejected(&self, reason: &RejectedEvent) {
        tracing::warn!(error = %reason, "skipping an event the indexer cannot read");
        self.metrics.rejected();
    }
}

/// Starts the event flow as background tasks that stop on `shutdown`: the outbox relay
/// (in-process into the indexer, or publishing to Kafka) and, with Kafka, the indexer's
/// consumer and its catch-up from the outbox ([`catchup`]). Nothing here waits for
/// Kafka: an unreachable broker only delays delivery.
pub fn start(
    config: &EventsConfig,
    catalog: &Catalog,
    shutdown: &watch::Receiver<bool>,
) -> Result<(EventsHandle, Vec<JoinHandle<()>>), rdkafka::error::KafkaError> {
    let metrics = Arc::new(EventMetrics::default());
    let indexer = Indexer::new(catalog.clone(), metrics.clone());
    let relay = RelayLoop { catalog: catalog.clone(), metrics: metrics.clone(), batch: config.batch(), retention: config.outbox_retention() };
    let Some(brokers) = config.brokers() else {
        let transport = embedded::Embedded { indexer, metrics: metrics.clone() };
        let handle = EventsHandle::new(config.clone(), metrics, None);
        return Ok((handle, vec![tokio::spawn(relay.run(transport, shutdown.clone()))]));
    };
    let producer = Arc::new(crate::events::kafka::producer(config, brokers)?);
    let consumer = kafka::consumer(config, brokers)?;
    let transport = crate::events::kafka::KafkaRelay::new(producer.clone(), config.clone(), brokers.to_owned(), metrics.clone());
    let catch_up = catchup::CatchUp { indexer: indexer.clone(), metrics: metrics.clone(), after: config.indexer_catchup(), batch: config.batch() };
    let tasks = vec![
        tokio::spawn(relay.run(transport, shutdown.clone())),
        tokio::spawn(kafka::run_consumer(consumer, indexer, config.kafka_topic.clone(), config.batch(), metrics.clone(), shutdown.clone())),
        tokio::spawn(catch_up.run(shutdown.clone())),
    ];
    Ok((EventsHandle::new(config.clone(), metrics, Some(producer)), tasks))
}
