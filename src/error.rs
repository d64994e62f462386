//! The server's error type, and the one place internal failures become S3 errors.
//!
//! Handlers return [`Error`]. Protocol answers (`NoSuchKey`, `AccessDenied`, …) travel as
//! [`Error::S3`] unchanged; catalog and storage failures become `ServiceUnavailable` /
//! `InternalError`, with their cause logged and never sent to the client.

use s3api::{S3Error, S3ErrorCode};

use crate::catalog::CatalogError;
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
    #[error("internal: {0}")]
    Internal(String),
}

impl From<S3ErrorCode> for Error {
    fn from(code: S3ErrorCode) -> Self {
        Error::S3(S3Error::new(code))
    }
}

impl Error {
    /// The S3 error the client receives. Causes of server-side failures are logged here.
    pub fn into_s3(self) -> S3Error {
        match self {
            Error::S3(e) => e,
            Error::Catalog(CatalogError::Conflict) => S3Error::new(S3ErrorCode::ConditionalRequestConflict),
            Error::Catalog(e) => {
                tracing::error!(error = %e, "catalog failure");
                S3Error::with_message(S3ErrorCode::ServiceUnavailable, "The catalog is unavailable. Please retry.")
            }
            Error::Storage(e) => {
                tracing::error!(error = %e, "storage failure");
                S3Error::new(S3ErrorCode::InternalError)
            }
            Error::Internal(e) => {
                tracing::error!(error = %e, "internal failure");
                S3Error::new(S3ErrorCode::InternalError)
            }
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
