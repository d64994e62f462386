//! The outbox relay: a background loop that drains the outbox through a [`Transport`]
//! (Kafka, or the in-process indexer), in position order, batch by batch.
//!
//! It wakes when a transaction that appended events commits (or every
//! [`POLL_INTERVAL`], for rows written by other processes), drains until the outbox is
//! empty, and on failure retries with exponential backoff ([`Backoff`]) while the S3
//! API keeps writing to the outbox. Rows are marked sent only after the transport
//! confirmed them, so delivery is at least once. It also prunes rows that were sent and
//! indexed long ago. It stops on the server's shutdown signal, abandoning (not marking)
//! a batch in flight. It never interprets events.

use std::time::Duration;

use tokio::sync::watch;
use tracing::{field, Instrument};

use super::EventMetrics;
use crate::catalog::{now_ms, Catalog, CatalogError};

/// How often the relay looks at the outbox when nothing woke it.
pub const POLL_INTERVAL: Duration = Duration::from_millis(1000);
/// How often sent and indexed rows are pruned.
const PRUNE_INTERVAL: Duration = Duration::from_secs(300);

/// Failures of a relay round.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("catalog: {0}")]
    Catalog(#[from] CatalogError),
    /// The transport's own failure (the in-process indexer's, for example).
    #[error("delivery: {0}")]
    Deliver(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("{failed} of {total} events were not acknowledged: {first_error}")]
    Undelivered { failed: usize, total: usize, first_error: String },
}

/// Where the relay delivers outbox rows.
pub trait Transport: Send {
    /// A name for logs and spans.
    const NAME: &'static str;

    /// Delivers up to `limit` unsent rows and marks them sent once confirmed. Returns
    /// how many rows it found (0: the outbox is drained).
    fn deliver_batch(&mut self, catalog: &Catalog, limit: usize) -> impl std::future::Future<Output = Result<usize, RelayError>> + Send;
}

/// Exponential backoff from 100 ms to 30 s.
#[derive(Debug, Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// The wait before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        let delay = Duration::from_millis(100u64.saturating_mul(1u64 << self.failures.min(9))).min(Duration::from_secs(30));
        self.failures = self.failures.saturating_add(1);
        delay
    }
}

/// What the relay loop needs besides its transport.
pub struct RelayLoop {
    pub catalog: Catalog,
    pub metrics: std::sync::Arc<EventMetrics>,
    pub batch: usize,
    pub retention: Duration,
}

impl RelayLoop {
    /// Runs until `shutdown` turns true (or its sender goes away).
    pub async fn run<T: Transport>(self, mut transport: T, mut shutdown: watch::Receiver<bool>) {
        let signal = self.catalog.outbox_signal();
        let mut backoff = Backoff::default();
        let mut next_prune = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if *shutdown.borrow() {
                break;
            }
            let span = tracing::info_span!("outbox_relay", transport = T::NAME, delivered = field::Empty, error = field::Empty);
            let round = self.drain(&mut transport).instrument(span.clone());
            let result = tokio::select! {
                r = round => r,
                _ = shutdown.changed() => break,
            };
            let healthy = match result {
                Ok(delivered) => {
                    span.record("delivered", delivered);
                    backoff.reset();
                    true
                }
                Err(e) => {
                    span.record("error", tracing::field::display(&e));
                    self.metrics.relay_error();
                    tracing::warn!(parent: &span, error = %e, "relaying the outbox failed; will retry");
                    false
                }
            };
            if tokio::time::Instant::now() >= next_prune {
                self.prune().instrument(tracing::info_span!("outbox_prune")).await;
                next_prune = tokio::time::Instant::now() + PRUNE_INTERVAL;
            }
            let wait = if healthy { POLL_INTERVAL } else { backoff.next_delay() };
            tokio::select! {
                // After a failure only the backoff ends the wait: new writes must not
                // turn into a retry storm against an unreachable broker.
                _ = signal.notified(), if healthy => {}
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => break,
            }
        }
        tracing::debug!(transport = T::NAME, "outbox relay stopped");
    }

    /// Delivers batches until the outbox is drained.
    async fn drain<T: Transport>(&self, transport: &mut T) -> Result<usize, RelayError> {
        let mut total = 0;
        loop {
            let n = transport.deliver_batch(&self.catalog, self.batch).await?;
            total += n;
            if n < self.batch {
                return Ok(total);
            }
        }
    }

    async fn prune(&self) {
        let cutoff = now_ms() - self.retention.as_millis() as i64;
        let mut pruned = 0;
        loop {
            match self.catalog.prune_outbox(cutoff, 1000).await {
                Ok(0) => break,
                Ok(n) => pruned += n,
                Err(e) => {
                    tracing::warn!(error = %e, "pruning the outbox failed; will retry");
                    break;
                }
            }
        }
        if pruned > 0 {
            tracing::info!(rows = pruned, "pruned sent and indexed outbox rows");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_ceiling_and_resets() {
        let mut b = Backoff::default();
        assert_eq!(b.next_delay(), Duration::from_millis(100));
        assert_eq!(b.next_delay(), Duration::from_millis(200));
        for _ in 0..20 {
            b.next_delay();
        }
        assert_eq!(b.next_delay(), Duration::from_secs(30));
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_millis(100));
    }
}
