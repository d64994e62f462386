//! The catalog's error type, and how callers tell its failures apart: transient ones
//! (retry later), a full disk, a commit of unknown outcome, a catalog gone read-only.

use super::WalSyncError;

/// Failures of the catalog.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("a row with the same unique key exists")]
    Conflict,
    /// A write would have removed a version under object lock (a legal hold, or a
    /// retention not yet over): the last guard, below every handler's own check.
    #[error("the version is protected by object lock")]
    Locked,
    #[error("corrupt catalog row: {0}")]
    Corrupt(String),
    #[error("unsupported database url: {0}")]
    UnsupportedUrl(String),
    /// COMMIT was sent and failed in a way that does not tell whether the database
    /// committed (PostgreSQL: the error or a lost connection came at COMMIT). The
    /// transaction's rows may exist.
    #[error("the outcome of the commit is unknown: {0}")]
    CommitOutcomeUnknown(#[source] sqlx::Error),
    /// SQLite committed, but the fsync of its WAL that makes the commit durable failed:
    /// the rows are visible now and may be lost in a crash. The catalog is read-only
    /// from then on ([`CatalogError::ReadOnly`]).
    #[error("the commit may not be durable: {0}")]
    Durability(#[source] WalSyncError),
    /// Writes are off: an fsync of the catalog failed earlier, and what it should have
    /// made durable may not be (retrying the fsync could report success for lost
    /// data). Only a restart, which recovers the database from what is on disk, turns
    /// writes back on.
    #[error("the catalog is read-only: writes are off after a failed fsync of the catalog ({0})")]
    ReadOnly(#[source] WalSyncError),
}

impl CatalogError {
    /// Whether the same request may succeed later unchanged: the database was busy,
    /// unreachable or out of resources. Everything else (a corrupt row, a constraint the
    /// code should have prevented, a bad statement, a commit of unknown outcome, a
    /// catalog gone read-only) is a bug, damage or a state that needs an operator, not a
    /// reason to retry.
    pub fn is_transient(&self) -> bool {
        match self {
            CatalogError::Database(e) => match e {
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => true,
                sqlx::Error::Database(db) => db.code().is_some_and(|code| transient_code(&code)),
                _ => false,
            },
            CatalogError::Migrate(_)
            | CatalogError::Conflict
            | CatalogError::Locked
            | CatalogError::Corrupt(_)
            | CatalogError::UnsupportedUrl(_)
            | CatalogError::CommitOutcomeUnknown(_)
            | CatalogError::Durability(_)
            | CatalogError::ReadOnly(_) => false,
        }
    }

    /// Whether the database's disk is full: SQLite's `SQLITE_FULL` (primary or extended
    /// code 13), PostgreSQL's `53100 disk_full`, or `ENOSPC`/`EDQUOT` from the driver's
    /// own I/O.
    pub fn is_disk_full(&self) -> bool {
        let e = match self {
            CatalogError::Database(e) | CatalogError::CommitOutcomeUnknown(e) => e,
            _ => return false,
        };
        match e {
            sqlx::Error::Database(db) => db.code().is_some_and(|code| match code.parse::<i32>() {
                Ok(n) => n & 0xff == 13,
                Err(_) => code == "53100",
            }),
            sqlx::Error::Io(io) => matches!(io.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded),
            _ => false,
        }
    }

    /// Whether a commit was attempted and may have taken effect although it failed: its
    /// rows may exist (and must not lose what they refer to, like a blob file).
    pub fn commit_outcome_unknown(&self) -> bool {
        matches!(self, CatalogError::CommitOutcomeUnknown(_) | CatalogError::Durability(_))
    }

    /// Whether writes are off after a failed fsync of the catalog (this failure, or an
    /// earlier one).
    pub fn is_read_only(&self) -> bool {
        matches!(self, CatalogError::Durability(_) | CatalogError::ReadOnly(_))
    }

    /// Maps unique-constraint violations to [`CatalogError::Conflict`].
    pub(super) fn from_sqlx(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => CatalogError::Conflict,
            _ => CatalogError::Database(e),
        }
    }
}

/// SQLite's busy, locked, I/O, full and cannot-open codes (primary and extended), and
/// PostgreSQL's serialization failure, deadlock, connection, resource and shutdown
/// classes.
fn transient_code(code: &str) -> bool {
    if let Ok(n) = code.parse::<i32>() {
        return matches!(n & 0xff, 5 | 6 | 10 | 13 | 14);
    }
    matches!(code, "40001" | "40P01") || ["08", "53", "57P"].iter().any(|class| code.starts_with(class))
}

pub type CatalogResult<T> = Result<T, CatalogError>;
