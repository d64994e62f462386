//! Errors of the JSON API and the one place they become responses
//! (`{"error":{"code","message"}}` with a fitting status). Causes of server-side
//! failures are logged here and never sent to the client.

use http::{Response, StatusCode};

use crate::catalog::CatalogError;
use crate::error::Error;
use crate::indexer::IndexerError;
use crate::server::response::Body;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A parameter is missing or malformed.
    #[error("{0}")]
    BadRequest(String),
    /// No credentials, or credentials that do not authenticate.
    #[error("{message}")]
    Unauthorized { code: String, message: String },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("catalog: {0}")]
    Catalog(#[from] CatalogError),
    #[error("index: {0}")]
    Index(#[from] IndexerError),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<Error> for ApiError {
    /// Errors of the shared authentication gate keep their S3 code.
    fn from(e: Error) -> Self {
        match e {
            Error::S3(s3) if s3.status() == StatusCode::FORBIDDEN || s3.status() == StatusCode::BAD_REQUEST => {
                ApiError::Unauthorized { code: s3.code.as_str().to_owned(), message: s3.message.into_owned() }
            }
            Error::S3(s3) => ApiError::Internal(format!("{}: {}", s3.code.as_str(), s3.message)),
            Error::Catalog(c) => ApiError::Catalog(c),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl ApiError {
    pub fn into_response(self) -> Response<Body> {
        let (status, code, message) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "InvalidArgument".to_owned(), m),
            ApiError::Unauthorized { code, message } => (StatusCode::UNAUTHORIZED, code, message),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, "AccessDenied".to_owned(), m),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, "NotFound".to_owned(), m),
            ApiError::Catalog(e) => {
                tracing::error!(error = %e, "catalog failure in the JSON API");
                (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable".to_owned(), "The catalog is unavailable. Please retry.".to_owned())
            }
            ApiError::Index(e) => {
                tracing::error!(error = %e, "index failure in the JSON API");
                (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable".to_owned(), "The index is unavailable. Please retry.".to_owned())
            }
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "internal failure in the JSON API");
                (StatusCode::INTERNAL_SERVER_ERROR, "InternalError".to_owned(), "We encountered an internal error. Please try again.".to_owned())
            }
        };
        super::error(status, &code, &message)
    }
}
