//! Accounts over JSON: `POST /_depot/auth/register`, `POST /_depot/auth/login` and
//! `GET /_depot/auth/me`.
//!
//! Registration and login are limited per client IP (a stricter limit than other
//! requests, against password guessing). The work itself is `auth::accounts`.

use std::net::SocketAddr;

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::json::{ok, rfc3339, signed_or_bearer, JsonRequest};
use crate::auth::accounts;
use crate::http::response::{json, Body};
use crate::http::AppState;

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

/// Routes `/_depot/auth/{register,login,me}`.
pub async fn handle(state: &AppState, remote: SocketAddr, req: Request<Incoming>) -> Response<Body> {
    let path = req.uri().path().to_owned();
    let result = match (req.method().clone(), path.as_str()) {
        (Method::POST, "/_depot/auth/register") => register(state, remote, req).await,
        (Method::POST, "/_depot/auth/login") => login(state, remote, req).await,
        (Method::GET, "/_depot/auth/me") => me(state, remote, req).await,
        (_, "/_depot/auth/register" | "/_depot/auth/login") => Err(ApiError::MethodNotAllowed("POST")),
        (_, "/_depot/auth/me") => Err(ApiError::MethodNotAllowed("GET")),
        _ => Err(ApiError::NotFound("no such endpoint".into())),
    };
    result.unwrap_or_else(ApiError::into_response)
}

fn admit_login(state: &AppState, remote: SocketAddr) -> Result<(), ApiError> {
    state.limits.admit_login(remote.ip()).map_err(|l| {
        state.metrics.rate_limited("login");
        ApiError::TooManyRequests { retry_after_secs: l.retry_after_secs() }
    })
}

async fn register(state: &AppState, remote: SocketAddr, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    admit_login(state, remote)?;
    let req = JsonRequest::read(state, req, remote).await?;
    let creds: Credentials = req.json()?;
    let user = accounts::register(&state.catalog, &creds.username, &creds.password).await?;
    Ok(json(StatusCode::CREATED, &json!({ "id": user.id, "username": user.username, "created_at": rfc3339(user.created_at) })))
}

async fn login(state: &AppState, remote: SocketAddr, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    admit_login(state, remote)?;
    let req = JsonRequest::read(state, req, remote).await?;
    let creds: Credentials = req.json()?;
    let (token, expires_at, user) = accounts::login(&state.catalog, &state.jwt, &creds.username, &creds.password, chrono::Utc::now()).await?;
    Ok(ok(&json!({
        "token": token,
        "token_type": "Bearer",
        "expires_at": expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "user": { "id": user.id, "username": user.username },
    })))
}

/// The caller: a login token's user, or the owner of the key that signed the request.
async fn me(state: &AppState, remote: SocketAddr, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let (user, _req) = signed_or_bearer(state, req, remote).await?;
    let user = user.ok_or(ApiError::MissingToken)?;
    let keys = accounts::list_keys(&state.catalog, &user).await?;
    Ok(ok(&json!({
        "id": user.id,
        "username": user.username,
        "is_root": user.is_root,
        "created_at": rfc3339(user.created_at),
        "access_keys": keys.len(),
    })))
}
