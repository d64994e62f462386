//! The server's error type, and the one place internal failures become S3 errors.
//!
//! Handlers return [`Error`]. Protocol answers (`NoSuchKey`, `AccessDenied`, …) travel as
//! [`Error::S3`] unchanged. A catalog failure that may pass ([`CatalogError::is_transient`])
//! becomes `503 ServiceUnavailable` ("retry"); every other server-side failure is
//! `500 InternalError`. Causes are logged here, with their source chain, and never sent
//! to the client.
//!
//! Sits above the catalog, storage, events and indexer (whose errors it wraps) and
//! below auth, the HTTP types and the handlers.

use s3api::{S3Error, S3ErrorCode};

use crate::catalog::CatalogError;
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
    #[error("indexer: {0}")]
    Indexer(#[from] IndexerError),
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

    /// The S3 error the client receives. Causes of server-side failures are logged here.
    pub fn into_s3(self) -> S3Error {
        match self {
            Error::S3(e) => e,
            Error::Catalog(CatalogError::Conflict) => S3Error::new(S3ErrorCode::ConditionalRequestConflict),
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

pub type Result<T, E = Error> = std::result::Result<T, E>;
