//! The JSON API under `/_depot/`: health and metrics (`metrics.rs`); accounts
//! (`accounts.rs`), access keys (`keys.rs`) and root administration (`users.rs`, with the
//! pause of blob collection in `gc.rs`); search (`search.rs`) and statistics
//! (`stats.rs`); drives and integrity in health and metrics (`storage.rs`). Every error
//! is `{"error":{"code","message"}}` (`error.rs`).
//!
//! Layer 16 of `crate::LAYERS`: the JSON handlers; may import every layer below it, never
//! `server` or `cli`.

pub mod accounts;
pub mod caller;
pub mod error;
pub mod gc;
pub mod json;
pub mod keys;
pub mod metrics;
pub mod search;
pub mod stats;
pub mod storage;
pub mod users;

use std::time::Instant;

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::json;

use crate::http::response::{json, Body};
use crate::http::{AppState, Connection};

/// `conn`: the peer, and whether the connection is TLS.
pub async fn handle(state: &AppState, conn: Connection, req: Request<Incoming>, _request_id: &str) -> Response<Body> {
    let remote = conn.remote;
    let path = req.uri().path();
    // Health checks and metric scrapes are never limited.
    if path != "/_depot/health" && path != "/_depot/metrics" {
        if let Err(limited) = state.limits.admit_json(remote.ip()) {
            state.metrics.rate_limited("json");
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
        (&Method::GET, "/_depot/metrics") => metrics::metrics(state).await,
        (&Method::GET, "/_depot/search") => search::handle(state, conn, req).await,
        (&Method::GET, "/_depot/stats") => stats::handle(state, req).await,
        (_, "/_depot/health" | "/_depot/metrics" | "/_depot/search" | "/_depot/stats") => error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "Use GET"),
        _ => error(StatusCode::NOT_FOUND, "NotFound", "No such endpoint"),
    }
}

/// A JSON error document.
pub fn error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    json(status, &json!({ "error": { "code": code, "message": message } }))
}

/// `{"status":"ok","checks":{…}}`, 503 when a check fails. An unreachable Kafka alone,
/// or free space below the reserve (writes get `507 InsufficientStorage`), makes the
/// status `degraded` (still 200): see `metrics::event_checks`. A catalog gone read-only
/// after a failed fsync fails the catalog check: only a restart turns writes back on.
async fn health(state: &AppState) -> Response<Body> {
    let started = Instant::now();
    let catalog = match (state.catalog.ping().await, state.catalog.read_only_reason()) {
        (Ok(()), None) => json!({ "status": "ok", "latency_ms": started.elapsed().as_secs_f64() * 1000.0 }),
        (Ok(()), Some(reason)) => json!({ "status": "error", "writable": false, "reason": reason }),
        (Err(e), _) => json!({ "status": "error", "error": e.to_string() }),
    };
    let started = Instant::now();
    let mut storage = storage::drive_checks(state).await;
    storage["latency_ms"] = (started.elapsed().as_secs_f64() * 1000.0).into();
    let (indexer, kafka) = metrics::event_checks(state).await;
    let storage_usable = storage["status"] == "ok" || storage["status"] == "degraded";
    let healthy = catalog["status"] == "ok" && storage_usable && indexer["status"] == "ok";
    let degraded = kafka.as_ref().is_some_and(|k| k["status"] != "ok") || storage["status"] == "degraded";
    let mut checks = json!({ "catalog": catalog, "storage": storage, "indexer": indexer });
    if let Some(kafka) = kafka {
        checks["kafka"] = kafka;
    }
    let status = match (healthy, degraded) {
        (false, _) => "error",
        (true, true) => "degraded",
        (true, false) => "ok",
    };
    let body = json!({ "status": status, "checks": checks });
    json(if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, &body)
}
