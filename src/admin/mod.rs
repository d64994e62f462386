//! The JSON API under `/_depot/`: health; accounts (`accounts.rs`), access keys
//! (`keys.rs`) and root administration (`users.rs`); search and statistics as they
//! arrive. Every error is `{"error":{"code","message"}}`.

pub mod accounts;
pub mod error;
pub mod json;
pub mod keys;
pub mod users;

use std::net::SocketAddr;
use std::time::Instant;

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::json;

use crate::server::response::{json, Body};
use crate::server::AppState;

pub async fn handle(state: &AppState, remote: SocketAddr, req: Request<Incoming>, _request_id: &str) -> Response<Body> {
    let path = req.uri().path();
    // Health checks and metric scrapes are never limited.
    if path != "/_depot/health" && path != "/_depot/metrics" {
        if let Err(limited) = state.limits.admit_json(remote.ip()) {
            return error::ApiError::TooManyRequests { retry_after_secs: limited.retry_after_secs() }.into_response();
        }
    }
    if path == "/_depot/auth/keys" || path.starts_with("/_depot/auth/keys/") {
        return keys::handle(state, remote, req).await;
    }
    if path.starts_with("/_depot/auth/") {
        return accounts::handle(state, remote, req).await;
    }
    if path.starts_with("/_depot/admin/") {
        return users::handle(state, remote, req).await;
    }
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/_depot/health") => health(state).await,
        (_, "/_depot/health") => error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "Use GET"),
        _ => error(StatusCode::NOT_FOUND, "NotFound", "No such endpoint"),
    }
}

/// A JSON error document.
pub fn error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    json(status, &json!({ "error": { "code": code, "message": message } }))
}

/// `{"status":"ok","checks":{…}}`, 503 when a check fails.
async fn health(state: &AppState) -> Response<Body> {
    let started = Instant::now();
    let catalog = match state.catalog.ping().await {
        Ok(()) => json!({ "status": "ok", "latency_ms": started.elapsed().as_secs_f64() * 1000.0 }),
        Err(e) => json!({ "status": "error", "error": e.to_string() }),
    };
    let started = Instant::now();
    let storage = match state.blobs.check().await {
        Ok(()) => json!({ "status": "ok", "latency_ms": started.elapsed().as_secs_f64() * 1000.0 }),
        Err(e) => json!({ "status": "error", "error": e.to_string() }),
    };
    let healthy = catalog["status"] == "ok" && storage["status"] == "ok";
    let body = json!({
        "status": if healthy { "ok" } else { "error" },
        "checks": { "catalog": catalog, "storage": storage },
    });
    json(if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, &body)
}
