//! The indexer's safety net in Kafka mode: events the relay published but nobody has
//! indexed after a while are applied straight from the outbox.
//!
//! A consumer group can leave a partition without a live reader: a member killed
//! without leaving, a broker whose group coordination stalls or keeps a dead member.
//! The events are then in Kafka and in the outbox, and the index never sees them. Every
//! [`CHECK_INTERVAL`], this loop claims outbox rows published more than
//! `indexer_catchup_secs` ago and still unindexed, and applies them through the same
//! [`Indexer`], in one transaction per batch that also marks them indexed. The indexer
//! is idempotent and order-insensitive, so a later delivery from Kafka is a duplicate.
//! A healthy group never leaves rows that old: every event applied here is counted
//! (`depot_indexer_catchup_events_total`) and logged.
//!
//! Owns that loop only; must not publish, mark rows sent, or talk to Kafka.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::{Indexer, IndexerError};
use crate::catalog::now_ms;
use crate::events::schema::outbox_event;
use crate::events::EventMetrics;

/// How often the outbox is looked at for rows the consumer group left behind.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(5);

/// The catch-up loop's settings.
pub struct CatchUp {
    pub indexer: Indexer,
    pub metrics: Arc<EventMetrics>,
    /// How long a published event may wait for the consumer group.
    pub after: Duration,
    pub batch: usize,
}

impl CatchUp {
    /// Runs until `shutdown` turns true (or its sender goes away).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let interval = CHECK_INTERVAL.min(self.after.max(Duration::from_millis(200)));
        loop {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.changed() => break,
            }
            if *shutdown.borrow() {
                break;
            }
            match self.pass().await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(
                    events = n,
                    after_secs = self.after.as_secs_f64(),
                    "indexed events straight from the outbox: the Kafka consumer group had not indexed them (a partition without a live member?)"
                ),
                Err(e) => {
                    self.metrics.indexer_error();
                    tracing::warn!(error = %e, "indexing events left behind by the consumer group failed; will retry");
                }
            }
        }
        tracing::debug!("indexer catch-up stopped");
    }

    /// Applies every row published before the cut-off and still unindexed, a batch per
    /// transaction. Returns how many events it applied (duplicates not counted).
    async fn pass(&self) -> Result<u64, IndexerError> {
        let cutoff = now_ms().saturating_sub(i64::try_from(self.after.as_millis()).unwrap_or(i64::MAX));
        let catalog = self.indexer.catalog();
        let mut applied = 0;
        // Checked on a reader first: an idle pass never takes the writer.
        while catalog.has_stale_events(cutoff).await? {
            let mut tx = catalog.begin().await?;
            let rows = tx.claim_stale_events(cutoff, self.batch as i64).await?;
            if rows.is_empty() {
                break; // claimed by another node meanwhile
            }
            let mut events = Vec::with_capacity(rows.len());
            for row in &rows {
                match outbox_event(row) {
                    Ok(event) => events.push(event),
                    Err(reason) => self.indexer.rejected(&reason),
                }
            }
            let report = self.indexer.apply_in(&mut tx, &events).await?;
            // Applied or already applied, every claimed row is now indexed.
            let ids: Vec<&str> = rows.iter().map(|r| r.event_id.as_str()).collect();
            tx.mark_indexed(&ids).await?;
            tx.commit().await?;
            self.indexer.committed(report);
            self.metrics.caught_up(report.applied);
            applied += report.applied;
            if rows.len() < self.batch {
                break;
            }
        }
        Ok(applied)
    }
}
