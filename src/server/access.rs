//! Server access log records of S3 requests: the facts of a request gathered while the
//! pipeline handles it (who asked, how it was signed, which bucket, key and version),
//! turned into one record in AWS's format when the bucket has logging on, and left in
//! the `http::access_log` buffer for the writer.
//!
//! Owns which requests are logged: every request the bucket's authorization let through
//! (whatever its outcome), and requests refused for their credentials or permissions
//! (401/403), for which the bucket is looked up by name. Must not write log objects
//! (that is `access_log`) and must never fail or delay a request.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use http::{HeaderMap, HeaderValue, Method, Request, Response, Uri};
use s3api::access_log::{rest_operation, LogRecord};
use s3api::sigv4::AuthKind;

use crate::auth::access::AuthMethod;
use crate::catalog::{now_ms, Bucket};
use crate::http::access_log::{PendingRecord, MAX_FIELD};
use crate::http::response::Body;
use crate::http::AppState;

/// What is known of a request, for its access log record.
#[derive(Debug)]
pub struct LogFacts {
    started: Instant,
    time_ms: i64,
    method: Method,
    uri: Uri,
    user_agent: Option<HeaderValue>,
    referer: Option<HeaderValue>,
    host: Option<HeaderValue>,
    request_len: Option<u64>,
    remote: IpAddr,
    pub operation: &'static str,
    pub key: Option<String>,
    pub version_id: Option<String>,
    /// The authorized bucket, when its logging is on.
    source: Option<LogSource>,
    /// Whether authorization read the bucket (then `source` says all: no second look).
    checked: bool,
    /// The bucket the request names, for a refused request's record.
    pub bucket_name: Option<String>,
    pub requester: Option<String>,
    pub auth: Option<AuthMethod>,
}

impl LogFacts {
    pub fn of<B>(req: &Request<B>, remote: IpAddr) -> LogFacts {
        let header = |name: http::header::HeaderName| req.headers().get(name).cloned();
        LogFacts {
            started: Instant::now(),
            time_ms: now_ms(),
            method: req.method().clone(),
            uri: req.uri().clone(),
            user_agent: header(http::header::USER_AGENT),
            referer: header(http::header::REFERER),
            host: header(http::header::HOST),
            request_len: req
                .headers()
                .get("x-amz-decoded-content-length")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .or_else(|| content_length(req.headers())),
            remote,
            operation: "Unparsed",
            key: None,
            version_id: None,
            source: None,
            checked: false,
            bucket_name: None,
            requester: None,
            auth: None,
        }
    }

    /// Keeps what the record needs of the authorized bucket, when its logging is on.
    pub fn authorized(&mut self, bucket: Option<&Bucket>) {
        self.checked = bucket.is_some();
        self.source = bucket.and_then(LogSource::of);
    }

    /// Leaves the request's record in the buffer when its bucket has logging on. A request
    /// refused before authorization read its bucket (401/403) costs one bucket lookup.
    pub async fn finish(self, state: &AppState, request_id: &str, resp: &Response<Body>, error_code: Option<&str>) {
        let status = resp.status();
        let refused = status == http::StatusCode::FORBIDDEN || status == http::StatusCode::UNAUTHORIZED;
        let source = match (self.source.clone(), &self.bucket_name) {
            (Some(source), _) => source,
            (None, Some(name)) if refused && !self.checked => match state.catalog.bucket(name).await {
                Ok(Some(bucket)) => match LogSource::of(&bucket) {
                    Some(source) => source,
                    None => return,
                },
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(bucket = %name, error = %e, "looking up a bucket for its access log failed; the record is lost");
                    state.background.access_log_dropped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return;
                }
            },
            _ => return,
        };
        let total = self.started.elapsed().as_millis() as u64;
        let bytes_sent = http_body::Body::size_hint(resp.body()).exact();
        let object_size = match self.operation {
            _ if !status.is_success() => None,
            "GetObject" | "HeadObject" => object_size_of(resp.headers()),
            "PutObject" | "UploadPart" => self.request_len,
            _ => None,
        };
        let text = |v: &Option<HeaderValue>| v.as_ref().and_then(|v| v.to_str().ok()).map(|t| cut(t).to_owned());
        let request_line = format!("{} {} HTTP/1.1", self.method, redacted(&self.uri));
        let record = LogRecord {
            bucket_owner: source.owner_id,
            bucket: source.name,
            time_ms: self.time_ms,
            remote_ip: self.remote.to_string(),
            requester: self.requester.clone(),
            request_id: request_id.to_owned(),
            operation: rest_operation(self.method.as_str(), self.operation),
            key: self.key.clone(),
            request_uri: cut(&request_line).to_owned(),
            http_status: status.as_u16(),
            error_code: error_code.map(str::to_owned),
            bytes_sent: bytes_sent.filter(|_| self.method != Method::HEAD),
            object_size,
            total_time_ms: total,
            // Depot does not time the gap between the request's last byte and the
            // answer's first apart from the whole.
            turn_around_time_ms: None,
            referer: text(&self.referer),
            user_agent: text(&self.user_agent),
            version_id: self.version_id.clone(),
            host_id: request_id.to_owned(),
            signature_version: self.auth.and_then(signature_version).map(str::to_owned),
            cipher_suite: None,
            authentication_type: self.auth.and_then(authentication_type).map(str::to_owned),
            host_header: text(&self.host),
            tls_version: None,
        };
        state.access_log.push(PendingRecord { config: source.config, record });
    }
}

/// What a record needs of its bucket.
#[derive(Debug, Clone)]
struct LogSource {
    name: String,
    owner_id: String,
    config: Arc<str>,
}

impl LogSource {
    fn of(bucket: &Bucket) -> Option<LogSource> {
        let config = bucket.logging.as_deref()?;
        Some(LogSource { name: bucket.name.clone(), owner_id: bucket.owner_id.clone(), config: Arc::from(config) })
    }
}

/// Query parameters whose values are credentials: never written into a log object.
const SECRET_PARAMETERS: &[&str] = &["X-Amz-Signature", "X-Amz-Security-Token", "Signature", "x-amz-security-token"];

/// The request's path and query, with the values of [`SECRET_PARAMETERS`] replaced by
/// `REDACTED` (a presigned URL's signature and session token).
fn redacted(uri: &Uri) -> String {
    let path = uri.path();
    let Some(query) = uri.query() else { return path.to_owned() };
    let parts: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if SECRET_PARAMETERS.contains(&name) => format!("{name}=REDACTED"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{path}?{}", parts.join("&"))
}

/// `text` cut to [`MAX_FIELD`] bytes, at a character boundary.
fn cut(text: &str) -> &str {
    if text.len() <= MAX_FIELD {
        return text;
    }
    let mut end = MAX_FIELD;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The object's whole size from a GET or HEAD answer: the total of a `Content-Range`, else
/// the `Content-Length`.
fn object_size_of(headers: &HeaderMap) -> Option<u64> {
    let total = headers.get(http::header::CONTENT_RANGE).and_then(|v| v.to_str().ok()).and_then(|v| v.rsplit('/').next()).and_then(|t| t.parse().ok());
    total.or_else(|| content_length(headers))
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok())
}

fn signature_version(method: AuthMethod) -> Option<&'static str> {
    match method {
        AuthMethod::Anonymous => None,
        AuthMethod::Signed(AuthKind::V4Header | AuthKind::V4Presigned) | AuthMethod::PostForm { v4: true } => Some("SigV4"),
        AuthMethod::Signed(AuthKind::V2Header | AuthKind::V2Query) | AuthMethod::PostForm { v4: false } => Some("SigV2"),
    }
}

fn authentication_type(method: AuthMethod) -> Option<&'static str> {
    match method {
        AuthMethod::Anonymous => None,
        AuthMethod::Signed(AuthKind::V4Header | AuthKind::V2Header) => Some("AuthHeader"),
        AuthMethod::Signed(AuthKind::V4Presigned | AuthKind::V2Query) => Some("QueryString"),
        AuthMethod::PostForm { .. } => Some("AuthHeader"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_the_query_are_redacted() {
        let uri: Uri = "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261127&X-Amz-Signature=abc123&X-Amz-Security-Token=tok&versionId=v1"
            .parse()
            .unwrap();
        assert_eq!(
            redacted(&uri),
            "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261127&X-Amz-Signature=REDACTED&X-Amz-Security-Token=REDACTED&versionId=v1"
        );
        let v2: Uri = "/b/k?AWSAccessKeyId=AKID&Expires=1&Signature=sig%3D".parse().unwrap();
        assert_eq!(redacted(&v2), "/b/k?AWSAccessKeyId=AKID&Expires=1&Signature=REDACTED");
        assert_eq!(redacted(&"/b/k".parse().unwrap()), "/b/k");
        assert_eq!(cut(&"é".repeat(MAX_FIELD)).len(), MAX_FIELD);
    }
}
