//! Plumbing shared by the JSON endpoints: bounded bodies, JSON parsing, and who is
//! calling — a login token (`Authorization: Bearer <JWT>`), or for keys, `me` and the
//! admin endpoints also a SigV4 signature checked by the same gate as S3 requests.
//!
//! Handlers get a typed [`JsonRequest`]; none of them reads headers or bodies itself.

use std::net::SocketAddr;

use bytes::Bytes;
use http::request::Parts;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::auth::{self, accounts, Principal};
use crate::catalog::User;
use crate::http::body::RequestBody;
use crate::http::response::{json, Body};
use crate::http::AppState;

/// The largest JSON request body read.
pub const MAX_JSON_BODY: usize = 64 * 1024;

/// A JSON request with its body read.
pub struct JsonRequest {
    pub parts: Parts,
    pub body: Bytes,
    pub remote: SocketAddr,
}

impl JsonRequest {
    /// Reads the body (at most [`MAX_JSON_BODY`]) of an unsigned request.
    pub async fn read(state: &AppState, req: Request<Incoming>, remote: SocketAddr) -> Result<JsonRequest, ApiError> {
        let (parts, incoming) = req.into_parts();
        let body = read_limited(state, incoming).await?;
        Ok(JsonRequest { parts, body, remote })
    }

    /// The body as `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        if self.body.is_empty() {
            return Err(ApiError::MalformedJson("the request needs a JSON body".into()));
        }
        serde_json::from_slice(&self.body).map_err(|e| ApiError::MalformedJson(format!("the body is not the expected JSON: {e}")))
    }

    /// The login token of `Authorization: Bearer …`, if any.
    pub fn bearer_token(&self) -> Option<&str> {
        bearer_token(&self.parts)
    }

    /// The enabled user whose login token the request carries.
    pub async fn bearer_user(&self, state: &AppState) -> Result<User, ApiError> {
        let token = self.bearer_token().ok_or(ApiError::MissingToken)?;
        Ok(accounts::user_from_token(&state.catalog, &state.jwt, token).await?)
    }
}

fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// Reads a small body whole; it has the body idle timeout to arrive, all of it.
async fn read_limited(state: &AppState, incoming: Incoming) -> Result<Bytes, ApiError> {
    let read = tokio::time::timeout(state.body_limits().idle_timeout, Limited::new(incoming, MAX_JSON_BODY).collect());
    match read.await.map_err(|_| ApiError::RequestTimeout)? {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(ApiError::PayloadTooLarge),
        Err(_) => Err(ApiError::MalformedJson("the request body could not be read".into())),
    }
}

/// The user a keys, `me` or admin request acts as: a login token's user, or the owner of the
/// long-term key that signed its Authorization header (SigV4 or V2, the payload hash
/// checked). `None` for an anonymous request.
pub async fn signed_or_bearer(state: &AppState, req: Request<Incoming>, remote: SocketAddr) -> Result<(Option<User>, JsonRequest), ApiError> {
    let (parts, incoming) = req.into_parts();
    if bearer_token(&parts).is_some() {
        let req = JsonRequest { body: read_limited(state, incoming).await?, parts, remote };
        let user = req.bearer_user(state).await?;
        return Ok((Some(user), req));
    }
    let claim = auth::Claim::of(&parts)?;
    if let auth::Claim::Signed(signed) = &claim {
        // Keys, `me` and the admin endpoints change or reveal credentials: a presigned URL
        // (which anyone holding it could open) or temporary credentials (which could
        // otherwise mint a permanent key) are not enough.
        if parts.headers.get(http::header::AUTHORIZATION).is_none() {
            return Err(ApiError::AccessDenied("presigned URLs are not accepted here: sign the Authorization header".into()));
        }
        if signed.session_token().is_some() {
            return Err(ApiError::AccessDenied("temporary credentials are not accepted here: use a login token or a long-term access key".into()));
        }
    }
    let authenticated = auth::authenticate(&state.catalog, &parts, claim, None, &state.config.region, chrono::Utc::now()).await?;
    let mut body =
        RequestBody::new(incoming, &parts.headers, &authenticated.payload, authenticated.chunk_signer, state.body_limits()).map_err(ApiError::Signature)?;
    let bytes = body.read_to_end(MAX_JSON_BODY).await.map_err(|e| match e.code {
        s3api::S3ErrorCode::MaxMessageLengthExceeded | s3api::S3ErrorCode::EntityTooLarge => ApiError::PayloadTooLarge,
        s3api::S3ErrorCode::RequestTimeout => ApiError::RequestTimeout,
        _ => ApiError::Signature(e),
    })?;
    let user = match authenticated.principal {
        Principal::Anonymous => None,
        Principal::User(p) => Some(state.catalog.user_by_id(&p.user_id).await?.ok_or(ApiError::InvalidToken)?),
    };
    Ok((user, JsonRequest { parts, body: bytes, remote }))
}

/// A 200 JSON answer.
pub fn ok(value: &serde_json::Value) -> Response<Body> {
    json(StatusCode::OK, value)
}

/// Milliseconds since the epoch as RFC 3339.
pub fn rfc3339(ms: i64) -> String {
    crate::catalog::ms_to_datetime(ms).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
