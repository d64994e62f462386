//! The indexer: the idempotent consumer of Depot's events, and the queries over what
//! it builds (search, statistics).
//!
//! Every transport hands events to [`Indexer`] — the Kafka consumer
//! (`events::kafka`) and the in-process relay (`events::embedded`) alike — so there is
//! one indexing code path. Per event, in one catalog transaction: check and record the
//! event id in `processed_events`, apply the event to the index and statistics tables
//! (see [`apply`] for the ordering rules), and mark its outbox row indexed. The
//! transport acknowledges (commits the Kafka offset, marks the outbox row sent) only
//! after that transaction committed.
//!
//! This module never reads the catalog's object tables except to rebuild the index
//! ([`rebuild`]), and never talks to Kafka or HTTP.

pub mod apply;
pub mod rebuild;
pub mod search;
pub mod stats;

use crate::catalog::{Catalog, CatalogError, Tx};
use crate::events::schema::{Event, SCHEMA_VERSION};
use crate::events::EventMetrics;
use std::sync::Arc;

pub use apply::Outcome;

/// Failures of the indexer.
#[derive(Debug, thiserror::Error)]
pub enum IndexerError {
    #[error("catalog: {0}")]
    Catalog(#[from] CatalogError),
    #[error("index database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Why an event cannot be indexed at all (it is skipped and counted, never retried).
#[derive(Debug, thiserror::Error)]
pub enum RejectedEvent {
    #[error("not an event document: {0}")]
    Unreadable(String),
    #[error("schema version {0} is newer than this indexer understands ({SCHEMA_VERSION})")]
    UnknownSchema(u32),
    #[error("object event without a version position")]
    MissingVersion,
}

/// Parses and checks a published event document (or an outbox payload).
pub fn parse_event(payload: &[u8]) -> Result<Event, RejectedEvent> {
    let event: Event = serde_json::from_slice(payload).map_err(|e| RejectedEvent::Unreadable(e.to_string()))?;
    if event.schema_version > SCHEMA_VERSION {
        return Err(RejectedEvent::UnknownSchema(event.schema_version));
    }
    if event.object.as_ref().is_some_and(|o| o.version_seq <= 0) {
        return Err(RejectedEvent::MissingVersion);
    }
    Ok(event)
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
        let mut deltas = apply::StatsDelta::default();
        let mut report = BatchReport::default();
        for event in events {
            match apply::apply_event(tx, event, &mut deltas).await? {
                Outcome::Applied => report.applied += 1,
                Outcome::Duplicate => report.duplicates += 1,
            }
        }
        deltas.write(tx).await?;
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
