//! STS `AssumeRoleWithWebIdentity` at `POST /`: a login token (JWT) in, temporary
//! credentials (access key, secret, session token, expiration) out, as AWS STS answers,
//! so that `aws sts assume-role-with-web-identity --endpoint-url …` works.
//!
//! The request is unsigned (the JWT is the credential), so it arrives here as
//! anonymous; nothing else is allowed to an anonymous caller. Failures are answered in
//! the STS error document, not S3's; the mapping from account failures to STS codes is
//! [`sts_error`]. Credentials are made by `accounts::issue_session`; the document
//! shapes live in `s3api::sts`.
//!
//! Layer 15 of `crate::LAYERS`: a handler; may import `http`, `auth` and what is below
//! them.

use chrono::Utc;
use http::Response;
use s3api::sts::{self, IssuedCredentials, StsError, StsErrorCode, StsRequest};
use s3api::S3ErrorCode;

use crate::auth::accounts::{self, AccountError};
use crate::auth::jwt::TokenError;
use crate::error::Error;
use crate::http::response::{self, Body};
use crate::http::{AppState, S3Request};

/// The account id shown in the ARNs of assumed roles.
const ACCOUNT_ID: &str = "000000000000";
/// The role name when the request's `RoleArn` names none.
const DEFAULT_ROLE: &str = "depot-user";

/// Answers an STS call; every failure becomes an STS error document.
pub async fn handle(state: &AppState, mut req: S3Request) -> Result<Response<Body>, Error> {
    match assume_role_with_web_identity(state, &mut req).await {
        Ok(doc) => Ok(response::xml(doc)),
        Err(e) => {
            tracing::debug!(code = e.code.as_str(), message = %e.message, "STS call refused");
            Ok(response::xml_with_status(e.code.status(), e.to_xml(&req.request_id)))
        }
    }
}

async fn assume_role_with_web_identity(state: &AppState, req: &mut S3Request) -> Result<String, StsError> {
    let body = req.body.read_to_end(sts::MAX_FORM_BODY).await.map_err(|e| match e.code {
        S3ErrorCode::MaxMessageLengthExceeded => StsError::new(StsErrorCode::ValidationError, "The request is too large"),
        _ => StsError::new(StsErrorCode::InvalidParameterValue, e.message.into_owned()),
    })?;
    let StsRequest::AssumeRoleWithWebIdentity(call) = sts::parse_request(&body, None)?;
    let user = accounts::user_from_token(&state.catalog, &state.jwt, &call.web_identity_token).await.map_err(sts_error)?;
    let session = accounts::issue_session(&state.catalog, &user, call.duration_seconds, Utc::now()).await.map_err(sts_error)?;
    let session_name = call.role_session_name.unwrap_or_else(|| user.username.clone());
    let role = call.role_arn.as_deref().and_then(|arn| arn.rsplit('/').next()).filter(|r| !r.is_empty() && !r.contains(':')).unwrap_or(DEFAULT_ROLE);
    let issued = IssuedCredentials {
        assumed_role_arn: format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/{session_name}"),
        assumed_role_id: format!("{}:{session_name}", session.access_key_id),
        access_key_id: session.access_key_id,
        secret_access_key: session.secret_access_key,
        session_token: session.session_token,
        expiration: session.expires_at,
        subject: user.id,
        audience: crate::auth::jwt::ISSUER.to_owned(),
        provider: crate::auth::jwt::ISSUER.to_owned(),
    };
    Ok(sts::assume_role_with_web_identity_response(&issued, &req.request_id))
}

/// The STS answer to an account failure. Server-side causes are logged, never sent.
pub fn sts_error(e: AccountError) -> StsError {
    match e {
        AccountError::Token(TokenError::Expired) => {
            StsError::new(StsErrorCode::ExpiredTokenException, "Token expired: the web identity token is past its expiration time")
        }
        AccountError::Token(TokenError::Invalid) => {
            StsError::new(StsErrorCode::InvalidIdentityToken, "The web identity token that was passed could not be validated")
        }
        AccountError::UserDisabled => StsError::new(StsErrorCode::AccessDenied, "The user of the web identity token is disabled"),
        AccountError::Catalog(e) if e.is_transient() || e.is_read_only() || e.commit_outcome_unknown() => {
            tracing::error!(error = %e, "catalog unavailable in STS");
            StsError::new(StsErrorCode::ServiceUnavailable, "The service is unavailable. Please retry.")
        }
        other => {
            tracing::error!(error = %other, "STS failure");
            StsError::new(StsErrorCode::InternalFailure, "An internal error occurred")
        }
    }
}
