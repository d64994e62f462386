//! The catalog's measurements: how long write transactions take (from `BEGIN` to a
//! durable commit), how long a transaction waits for the writer before it begins, how
//! long `COMMIT` itself takes (SQLite: with the wait for the WAL fsync), and for
//! SQLite's group commit how many WAL fsyncs ran and how many commits each covered. The
//! pools' connections in use are read from sqlx at each scrape ([`Catalog::pool_usage`]).
//!
//! Counters and histograms only (`prometheus-client` types, cheap to update from any
//! task); `admin::metrics` registers them for `/_depot/metrics`. Nothing here does I/O.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::Histogram;

use super::Catalog;

/// Seconds, 100 µs to 30 s.
const SECONDS_BUCKETS: [f64; 14] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0, 30.0];
/// Commits per WAL fsync.
const BATCH_BUCKETS: [f64; 10] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// What the catalog measures about itself.
#[derive(Debug, Clone)]
pub struct CatalogMetrics {
    /// Wait for the writer connection (and SQLite's write lock) before `BEGIN` returned.
    pub begin_wait_seconds: Histogram,
    /// A committed transaction, from `BEGIN` to its durable commit.
    pub transaction_seconds: Histogram,
    /// `COMMIT`, and on SQLite the wait for the WAL fsync that makes it durable.
    pub commit_seconds: Histogram,
    /// WAL fsyncs of SQLite's group commit (none on PostgreSQL, which groups its own).
    pub wal_fsyncs: Counter,
    /// Commits each WAL fsync made durable.
    pub group_commit_size: Histogram,
}

impl Default for CatalogMetrics {
    fn default() -> Self {
        let seconds = || Histogram::new(SECONDS_BUCKETS);
        CatalogMetrics {
            begin_wait_seconds: seconds(),
            transaction_seconds: seconds(),
            commit_seconds: seconds(),
            wal_fsyncs: Counter::default(),
            group_commit_size: Histogram::new(BATCH_BUCKETS),
        }
    }
}

/// One connection pool's state now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    /// `read` or `write` (PostgreSQL has one pool for both: `shared`).
    pub pool: &'static str,
    pub open: u32,
    pub in_use: u32,
    pub max: u32,
}

impl Catalog {
    /// The catalog's measurements.
    pub fn metrics(&self) -> &CatalogMetrics {
        &self.metrics
    }

    /// The connection pools' state now.
    pub fn pool_usage(&self) -> Vec<PoolUsage> {
        let usage = |pool: &'static str, p: &sqlx::AnyPool| {
            let open = p.size();
            PoolUsage { pool, open, in_use: open.saturating_sub(p.num_idle() as u32), max: p.options().get_max_connections() }
        };
        match self.dialect {
            super::Dialect::Sqlite => vec![usage("read", &self.read), usage("write", &self.write)],
            super::Dialect::Postgres => vec![usage("shared", &self.write)],
        }
    }
}
