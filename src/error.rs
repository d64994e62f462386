//! The server's error type, and the one place internal failures become S3 errors.
//!
//! Handlers return [`Error`]. Protocol answers (`NoSuchKey`, `AccessDenied`, …) travel as
//! [`Error::S3`] unchanged. Server-side failures:
//!
//! - a full disk (`ENOSPC` or `EDQUOT` writing a blob, `SQLITE_FULL`, PostgreSQL's
//!   `53100 disk_full`): `507 InsufficientStorage`, as the free-space reserve answers
//!   (`storage::space`); deletes free space;
//! - a catalog gone read-only after a failed fsync ([`CatalogError::is_read_only`]):
//!   `503 ServiceUnavailable`, "writes are off after a failed fsync of the catalog",
//!   until a restart;
//! - a commit whose outcome is unknown (PostgreSQL failed at COMMIT): `503
//!   ServiceUnavailable`, saying the write may or may not be stored;
//! - a catalog failure that may pass ([`CatalogError::is_transient`]): `503
//!   ServiceUnavailable` ("retry");
//! - everything else: `500 InternalError`.
//!
//! Causes are logged here, with their source chain, and never sent to the client.
//!
//! Sits above the catalog, storage, events and indexer (whose errors it wraps) and
//! below auth, the HTTP types and the handlers.
//!
//! Layer 7 of `crate::LAYERS`.

use s3api::{S3Error, S3ErrorCode};

use crate::catalog::CatalogError;
use crate::encryption::EncryptionError;
use crate::indexer::IndexerError;
use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An answer the client should see as is.
    #[error(transparent)]
    S3(#[from] S3Error),
    #[error("catalog: {0}")]
    Catalog(#[from] CatalogError),
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    /// A check or repair of blob copies (scrub, fsck) failed to run.
    #[error("integrity check: {0}")]
    Heal(#[from] crate::storage::heal::HealError),
    #[error("indexer: {0}")]
    Indexer(#[from] IndexerError),
    #[error("encryption: {0}")]
    Encryption(#[from] crate::encryption::EncryptionError),
    /// A file or socket of the server's own (data dir, listener, secrets) failed.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// A document of the server's own (stored credentials) cannot be read or written.
    #[error("{what}: {source}")]
    Json {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("login token: {0}")]
    Token(#[from] jsonwebtoken::errors::Error),
    #[error("kafka client: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    /// Stored state the code cannot have written: damage, or a bug.
    #[error("corrupt state: {0}")]
    Corrupt(String),
    /// A setting that cannot work; only at start-up.
    #[error("configuration: {0}")]
    Config(String),
}

impl From<S3ErrorCode> for Error {
    fn from(code: S3ErrorCode) -> Self {
        Error::S3(S3Error::new(code))
    }
}

impl Error {
    /// An I/O failure of the server's own file or socket, with what it was doing.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io { what: what.into(), source }
    }

    /// Whether this failure came from a commit that may have taken effect anyway (see
    /// [`CatalogError::commit_outcome_unknown`]): what the transaction refers to must
    /// not be removed as if it had not.
    pub fn commit_outcome_unknown(&self) -> bool {
        matches!(self, Error::Catalog(e) if e.commit_outcome_unknown())
    }

    /// Whether the failure is a full disk, of the catalog or of the blob store.
    pub fn is_disk_full(&self) -> bool {
        let full = |e: &std::io::Error| matches!(e.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded);
        match self {
            Error::Catalog(e) => e.is_disk_full(),
            Error::Storage(e) => e.io().is_some_and(full),
            Error::Io { source: e, .. } => full(e),
            _ => false,
        }
    }

    /// The S3 error the client receives. Causes of server-side failures are logged here.
    pub fn into_s3(self) -> S3Error {
        match self {
            Error::S3(e) => e,
            Error::Catalog(CatalogError::Conflict) => S3Error::new(S3ErrorCode::ConditionalRequestConflict),
            Error::Encryption(EncryptionError::NoSuchKey(id)) => s3api::sse::kms_key_not_found(&id),
            Error::Encryption(EncryptionError::CustomerKeyRequired) => s3api::sse::customer_key_required(),
            Error::Encryption(EncryptionError::WrongCustomerKey) => s3api::sse::wrong_customer_key(),
            Error::Encryption(EncryptionError::CustomerKeyNotApplicable) => s3api::sse::customer_key_not_applicable(),
            Error::Catalog(CatalogError::Locked) => S3Error::with_message(S3ErrorCode::AccessDenied, "Access Denied because object protected by object lock."),
            full if full.is_disk_full() => {
                tracing::error!(error = %full, "disk full");
                S3Error::new(S3ErrorCode::InsufficientStorage)
            }
            Error::Catalog(e) if e.is_read_only() => {
                tracing::error!(error = %e, "write refused: the catalog is read-only");
                S3Error::with_message(S3ErrorCode::ServiceUnavailable, READ_ONLY_MESSAGE)
            }
            Error::Catalog(e @ CatalogError::CommitOutcomeUnknown(_)) => {
                tracing::error!(error = %e, source = ?std::error::Error::source(&e), "commit outcome unknown");
                S3Error::with_message(S3ErrorCode::ServiceUnavailable, "The catalog did not confirm the write: it may or may not be stored. Please retry.")
            }
            Error::Catalog(e) if e.is_transient() => {
                tracing::error!(error = %e, "catalog unavailable");
                S3Error::with_message(S3ErrorCode::ServiceUnavailable, "The catalog is unavailable. Please retry.")
            }
            other => {
                tracing::error!(error = %other, source = ?std::error::Error::source(&other), "internal failure");
                S3Error::new(S3ErrorCode::InternalError)
            }
        }
    }
}

/// The message of every write refused after a failed fsync of the catalog.
pub const READ_ONLY_MESSAGE: &str = "Writes are off after a failed fsync of the catalog; the server must be restarted.";

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::Arc;

    use super::*;
    use crate::catalog::WalSyncError;

    fn answer(e: impl Into<Error>) -> (u16, S3ErrorCode, String) {
        let s3 = e.into().into_s3();
        (s3.code.status().as_u16(), s3.code, s3.message.into_owned())
    }

    #[test]
    fn a_full_disk_is_insufficient_storage() {
        let enospc = || io::Error::from(io::ErrorKind::StorageFull);
        for e in [
            Error::Storage(StorageError::Io(enospc())),
            Error::Storage(StorageError::Io(io::Error::from(io::ErrorKind::QuotaExceeded))),
            Error::Catalog(CatalogError::Database(sqlx::Error::Io(enospc()))),
            Error::Catalog(CatalogError::CommitOutcomeUnknown(sqlx::Error::Io(enospc()))),
        ] {
            assert_eq!(answer(e).1, S3ErrorCode::InsufficientStorage);
        }
        assert_eq!(S3ErrorCode::InsufficientStorage.status().as_u16(), 507);
        assert_eq!(answer(Error::Storage(StorageError::Io(io::Error::other("bad sector")))).1, S3ErrorCode::InternalError);
    }

    #[test]
    fn writes_after_a_failed_fsync_are_unavailable_with_the_reason() {
        let failure = WalSyncError::Failed(Arc::new(io::Error::other("EIO")));
        for e in [CatalogError::Durability(failure.clone()), CatalogError::ReadOnly(failure)] {
            let (status, code, message) = answer(e);
            assert_eq!((status, code), (503, S3ErrorCode::ServiceUnavailable));
            assert!(message.contains("Writes are off after a failed fsync of the catalog"), "{message}");
        }
    }

    #[test]
    fn a_commit_of_unknown_outcome_is_unavailable() {
        let (status, code, message) = answer(CatalogError::CommitOutcomeUnknown(sqlx::Error::PoolClosed));
        assert_eq!((status, code), (503, S3ErrorCode::ServiceUnavailable));
        assert!(message.contains("may or may not be stored"), "{message}");
        assert!(Error::from(CatalogError::CommitOutcomeUnknown(sqlx::Error::PoolClosed)).commit_outcome_unknown());
        assert!(!Error::from(CatalogError::Database(sqlx::Error::PoolClosed)).commit_outcome_unknown());
    }
}
