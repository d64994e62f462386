//! Errors of the JSON API, and their one mapping to a status and a
//! `{"error":{"code","message"}}` document.
//!
//! Account failures and server failures arrive here; causes of server-side failures are
//! logged and never sent.

use http::{Response, StatusCode};
use s3api::S3Error;

use crate::auth::accounts::AccountError;
use crate::auth::jwt::TokenError;
use crate::auth::password::CredentialRuleError;
use crate::http::response::{set_header, Body};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    InvalidUsername(String),
    #[error("{0}")]
    InvalidPassword(String),
    #[error("{0}")]
    MalformedJson(String),
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("the request body stopped arriving before it was complete")]
    RequestTimeout,
    #[error("the username is already taken")]
    UsernameTaken,
    #[error("invalid username or password")]
    InvalidCredentials,
    #[error("this endpoint needs 'Authorization: Bearer <token>' (a token from POST /_depot/auth/login) or a request signed by an access key")]
    MissingToken,
    #[error("the token is not valid")]
    InvalidToken,
    #[error("the token has expired; log in again")]
    ExpiredToken,
    #[error("the account is disabled")]
    AccountDisabled,
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    NotFound(String),
    #[error("use {0}")]
    MethodNotAllowed(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    InvalidRequest(String),
    /// A query parameter is missing or malformed.
    #[error("{0}")]
    InvalidArgument(String),
    #[error("too many requests; retry after {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// A SigV4-signed request failed authentication.
    #[error("{0}")]
    Signature(S3Error),
    #[error("the service is unavailable; retry")]
    Unavailable,
    #[error("internal error")]
    Internal,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidUsername(_)
            | ApiError::InvalidPassword(_)
            | ApiError::MalformedJson(_)
            | ApiError::InvalidRequest(_)
            | ApiError::InvalidArgument(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::UsernameTaken | ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::InvalidCredentials | ApiError::MissingToken | ApiError::InvalidToken | ApiError::ExpiredToken => StatusCode::UNAUTHORIZED,
            ApiError::AccountDisabled | ApiError::AccessDenied(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            // A signature the gate refused means the caller is not authenticated.
            ApiError::Signature(e) if e.status().is_client_error() => StatusCode::UNAUTHORIZED,
            ApiError::Signature(e) => e.status(),
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidUsername(_) => "InvalidUsername",
            ApiError::InvalidPassword(_) => "InvalidPassword",
            ApiError::MalformedJson(_) => "MalformedJSON",
            ApiError::PayloadTooLarge => "PayloadTooLarge",
            ApiError::RequestTimeout => "RequestTimeout",
            ApiError::UsernameTaken => "UsernameTaken",
            ApiError::InvalidCredentials => "InvalidCredentials",
            ApiError::MissingToken => "Unauthorized",
            ApiError::InvalidToken => "InvalidToken",
            ApiError::ExpiredToken => "ExpiredToken",
            ApiError::AccountDisabled => "AccountDisabled",
            ApiError::AccessDenied(_) => "AccessDenied",
            ApiError::NotFound(_) => "NotFound",
            ApiError::MethodNotAllowed(_) => "MethodNotAllowed",
            ApiError::Conflict(_) => "Conflict",
            ApiError::InvalidRequest(_) => "InvalidRequest",
            ApiError::InvalidArgument(_) => "InvalidArgument",
            ApiError::TooManyRequests { .. } => "TooManyRequests",
            ApiError::Signature(e) => e.code.as_str(),
            ApiError::Unavailable => "ServiceUnavailable",
            ApiError::Internal => "InternalError",
        }
    }

    /// The JSON error response.
    pub fn into_response(self) -> Response<Body> {
        let message = match &self {
            ApiError::Signature(e) => e.message.to_string(),
            other => other.to_string(),
        };
        let mut resp = super::error(self.status(), self.code(), &message);
        match &self {
            ApiError::TooManyRequests { retry_after_secs } => set_header(&mut resp, "retry-after", &retry_after_secs.to_string()),
            ApiError::MissingToken | ApiError::InvalidToken | ApiError::ExpiredToken => set_header(&mut resp, "www-authenticate", "Bearer realm=\"depot\""),
            _ => {}
        }
        resp
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Rule(rule @ (CredentialRuleError::PasswordTooShort | CredentialRuleError::PasswordTooLong)) => {
                ApiError::InvalidPassword(rule.to_string())
            }
            AccountError::Rule(rule) => ApiError::InvalidUsername(rule.to_string()),
            AccountError::UsernameTaken => ApiError::UsernameTaken,
            AccountError::InvalidCredentials => ApiError::InvalidCredentials,
            AccountError::UserDisabled => ApiError::AccountDisabled,
            AccountError::NoSuchUser(name) => ApiError::NotFound(format!("no such user: {name}")),
            AccountError::NoSuchKey(id) => ApiError::NotFound(format!("no such access key: {id}")),
            e @ AccountError::TooManyKeys => ApiError::Conflict(e.to_string()),
            e @ AccountError::RootImmutable => ApiError::InvalidRequest(e.to_string()),
            AccountError::Token(TokenError::Expired) => ApiError::ExpiredToken,
            AccountError::Token(TokenError::Invalid) => ApiError::InvalidToken,
            AccountError::Catalog(e) if e.is_transient() || e.is_read_only() || e.commit_outcome_unknown() => {
                tracing::error!(error = %e, "catalog unavailable");
                ApiError::Unavailable
            }
            e @ (AccountError::Catalog(_) | AccountError::Hash(_) | AccountError::Sign(_) | AccountError::Server(_)) => {
                tracing::error!(error = %e, "internal failure");
                ApiError::Internal
            }
        }
    }
}

impl From<crate::error::Error> for ApiError {
    fn from(e: crate::error::Error) -> Self {
        match e {
            crate::error::Error::S3(e) => ApiError::Signature(e),
            crate::error::Error::Catalog(e) => AccountError::Catalog(e).into(),
            other => AccountError::Server(Box::new(other)).into(),
        }
    }
}

impl From<crate::indexer::IndexerError> for ApiError {
    fn from(e: crate::indexer::IndexerError) -> Self {
        match e {
            crate::indexer::IndexerError::Catalog(e) => AccountError::Catalog(e).into(),
            crate::indexer::IndexerError::Database(e) => AccountError::Catalog(crate::catalog::CatalogError::Database(e)).into(),
        }
    }
}

impl From<crate::catalog::CatalogError> for ApiError {
    fn from(e: crate::catalog::CatalogError) -> Self {
        AccountError::Catalog(e).into()
    }
}
