//! The in-process transport (no Kafka configured): outbox rows go straight to the
//! indexer. Claiming the rows, indexing them and marking them sent happen in one
//! catalog transaction, so in this mode every event is indexed exactly once, and several
//! Depot processes sharing a PostgreSQL catalog never claim the same row (`FOR UPDATE
//! SKIP LOCKED`). Owns nothing but that transaction; the indexing rules are the
//! indexer's.

use std::sync::Arc;

use super::Indexer;
use crate::catalog::Catalog;
use crate::events::relay::{RelayError, Transport};
use crate::events::schema::outbox_event;
use crate::events::{Event, EventMetrics};

/// Delivers outbox rows to the in-process indexer.
pub struct Embedded {
    pub indexer: Indexer,
    pub metrics: Arc<EventMetrics>,
}

impl Transport for Embedded {
    const NAME: &'static str = "embedded";

    async fn deliver_batch(&mut self, catalog: &Catalog, limit: usize) -> Result<usize, RelayError> {
        let mut tx = catalog.begin().await?;
        let rows = tx.claim_events(limit as i64).await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut events: Vec<Event> = Vec::with_capacity(rows.len());
        for row in &rows {
            match outbox_event(row) {
                Ok(event) => events.push(event),
                Err(reason) => {
                    // Never indexable: count it as handled so that it neither blocks
                    // the outbox nor counts as lag.
                    self.indexer.rejected(&reason);
                    tx.mark_indexed(&[&row.event_id]).await?;
                }
            }
        }
        let report = self.indexer.apply_in(&mut tx, &events).await.map_err(|e| RelayError::Deliver(Box::new(e)))?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        tx.mark_sent(&ids).await?;
        tx.commit().await?;
        self.indexer.committed(report);
        self.metrics.published(rows.len() as u64);
        Ok(rows.len())
    }
}
