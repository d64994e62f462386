//! The per-request pipeline around every handler: request id, tracing span, panic
//! guard, common response headers and the access log line (the request span's id,
//! operation, bucket, key, principal, status and error code, with the path, duration and
//! bytes in and out). Credentials never enter a span or a log line.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use futures_util::FutureExt;
use http::{HeaderValue, Method, Request, Response};
use hyper::body::Incoming;
use s3api::{S3Error, S3ErrorCode};
use tracing::{field, Instrument};

use crate::http::metrics::RequestRecord;
use crate::http::response::{s3_error, Body};
use crate::http::{AppState, Connection};

/// Handles one request; never fails and never panics outward.
/// `secure`: the connection is TLS.
pub async fn handle(state: Arc<AppState>, remote: SocketAddr, secure: bool, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let request_id = new_request_id();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        operation = field::Empty,
        bucket = field::Empty,
        key = field::Empty,
        principal = field::Empty,
        status = field::Empty,
        error_code = field::Empty,
    );
    let is_head = req.method() == Method::HEAD;
    let started = Instant::now();
    let path = req.uri().path().to_owned();
    // As announced (bounded by the largest body the server takes, so a made-up length
    // cannot run the counter over).
    let bytes_in = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        .min(state.config.max_object_size);
    let mut record = RequestRecord::for_path(&path, state.config.console && crate::console::owns(&path));
    let running = state.metrics.in_flight(record.api);
    let result = AssertUnwindSafe(route(&state, remote, secure, req, request_id.clone(), &mut record).instrument(span.clone())).catch_unwind().await;
    drop(running);
    let mut resp = result.unwrap_or_else(|_| {
        tracing::error!(parent: &span, "handler panicked");
        s3_error(&S3Error::new(S3ErrorCode::InternalError), &request_id, is_head)
    });
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-amz-request-id", v.clone());
        resp.headers_mut().insert("x-amz-id-2", v);
    }
    resp.headers_mut().insert("server", HeaderValue::from_static("Depot"));
    span.record("status", resp.status().as_u16());
    // The body's length when it is known up front (every answer but a chunked one).
    let bytes_out = http_body::Body::size_hint(resp.body()).exact().unwrap_or(0);
    let elapsed = started.elapsed();
    state.metrics.record(&record, resp.status().as_u16(), elapsed, bytes_in, bytes_out);
    tracing::info!(parent: &span, path = %path, elapsed_ms = elapsed.as_secs_f64() * 1000.0, bytes_in, bytes_out, "done");
    Ok(resp)
}

/// Hands the request to the console, the JSON API or S3 (as `record.api` says, which
/// S3 completes with its operation and error code).
async fn route(state: &AppState, remote: SocketAddr, secure: bool, req: Request<Incoming>, request_id: String, record: &mut RequestRecord) -> Response<Body> {
    let conn = Connection { remote, secure };
    match record.api {
        "console" => crate::console::handle(state, req.method(), req.uri().path()),
        "json" => crate::admin::handle(state, conn, req, &request_id).await,
        _ => super::s3::handle(state, conn, req, &request_id, record).await,
    }
}

/// 16 upper-case hex digits, like S3's request ids.
fn new_request_id() -> String {
    format!("{:016X}", rand::random::<u64>())
}
