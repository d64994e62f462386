//! Request metrics: what every request was (API, operation), how it ended (status
//! class, S3 error code), how long it took and how many bytes it moved, how many run at
//! once, and the requests turned away before any work (authentication failures by
//! reason, rate limits). Kept in a `prometheus-client` registry that
//! `GET /_depot/metrics` encodes.
//!
//! Labels are bounded by construction: operation names are the closed set of S3
//! operations and JSON API routes, error codes the closed set of S3 error codes; keys,
//! buckets and user ids never become labels. Nothing here does I/O.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The latency buckets, in seconds: 1 ms to 60 s.
const LATENCY_BUCKETS: [f64; 15] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// What a request turned out to be, filled in while it is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestRecord {
    /// `s3`, `json` (the API under `/_depot/`) or `console`.
    pub api: &'static str,
    /// The S3 operation (`GetObject`, …) or the JSON API route (`search`, …).
    pub operation: &'static str,
    /// The S3 error code of a failed S3 request.
    pub error_code: Option<&'static str>,
}

impl RequestRecord {
    /// The record of a request to `path` before it is handled (`console`: the console
    /// serves it): the JSON API and console routes are known from the path; an S3
    /// request names its operation once parsed.
    pub fn for_path(path: &str, console: bool) -> RequestRecord {
        let (api, operation) = if console {
            ("console", "asset")
        } else if path == "/_depot" || path.starts_with("/_depot/") {
            ("json", json_route(path))
        } else {
            ("s3", "Unparsed")
        };
        RequestRecord { api, operation, error_code: None }
    }
}

/// The JSON API route of a path, one of a fixed few.
fn json_route(path: &str) -> &'static str {
    match path {
        "/_depot/health" => "health",
        "/_depot/metrics" => "metrics",
        "/_depot/search" => "search",
        "/_depot/stats" => "stats",
        p if p == "/_depot/auth/keys" || p.starts_with("/_depot/auth/keys/") => "keys",
        p if p.starts_with("/_depot/auth/") => "auth",
        p if p.starts_with("/_depot/admin/") => "admin",
        _ => "other",
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    api: &'static str,
    operation: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    api: &'static str,
    operation: &'static str,
    status_class: &'static str,
    error_code: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ApiLabels {
    api: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

/// The request metrics and the registry that exposes them.
#[derive(Debug)]
pub struct RequestMetrics {
    registry: Registry,
    requests: Family<OutcomeLabels, Counter>,
    duration: Family<OperationLabels, Histogram, fn() -> Histogram>,
    received: Family<OperationLabels, Counter>,
    sent: Family<OperationLabels, Counter>,
    in_flight: Family<ApiLabels, Gauge>,
    auth_failures: Family<ReasonLabels, Counter>,
    rate_limited: Family<ApiLabels, Counter>,
}

impl Default for RequestMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestMetrics {
    pub fn new() -> RequestMetrics {
        let mut registry = Registry::with_prefix("depot");
        let requests = Family::<OutcomeLabels, Counter>::default();
        let duration = Family::<OperationLabels, Histogram, fn() -> Histogram>::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS));
        let received = Family::<OperationLabels, Counter>::default();
        let sent = Family::<OperationLabels, Counter>::default();
        let in_flight = Family::<ApiLabels, Gauge>::default();
        let auth_failures = Family::<ReasonLabels, Counter>::default();
        let rate_limited = Family::<ApiLabels, Counter>::default();
        registry.register("requests", "Requests answered, by API, operation, status class and S3 error code.", requests.clone());
        registry.register(
            "request_duration_seconds",
            "Time from a request's arrival to its answer's head (a streamed body is not included).",
            duration.clone(),
        );
        registry.register(
            "request_received_bytes",
            "Request body bytes, as announced by Content-Length (at most the largest body accepted).",
            received.clone(),
        );
        registry.register("request_sent_bytes", "Response body bytes of answers whose length is known up front.", sent.clone());
        registry.register("requests_in_flight", "Requests being handled now (until their answer's head is sent).", in_flight.clone());
        registry.register("auth_failures", "S3 requests whose credentials were refused, by error code.", auth_failures.clone());
        registry.register("rate_limited", "Requests refused by the rate limits.", rate_limited.clone());
        RequestMetrics { registry, requests, duration, received, sent, in_flight, auth_failures, rate_limited }
    }

    /// Counts a request as running until the guard is dropped.
    pub fn in_flight(&self, api: &'static str) -> InFlight {
        let gauge = self.in_flight.get_or_create(&ApiLabels { api }).clone();
        gauge.inc();
        InFlight { gauge }
    }

    /// Records a finished request.
    pub fn record(&self, record: &RequestRecord, status: u16, elapsed: Duration, bytes_in: u64, bytes_out: u64) {
        let status_class = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        let outcome = OutcomeLabels { api: record.api, operation: record.operation, status_class, error_code: record.error_code.unwrap_or("") };
        self.requests.get_or_create(&outcome).inc();
        let labels = OperationLabels { api: record.api, operation: record.operation };
        self.duration.get_or_create(&labels).observe(elapsed.as_secs_f64());
        self.received.get_or_create(&labels).inc_by(bytes_in);
        self.sent.get_or_create(&labels).inc_by(bytes_out);
    }

    /// An S3 request whose credentials were refused with `code`.
    pub fn auth_failure(&self, code: &'static str) {
        self.auth_failures.get_or_create(&ReasonLabels { reason: code }).inc();
    }

    /// A request the rate limits refused.
    pub fn rate_limited(&self, api: &'static str) {
        self.rate_limited.get_or_create(&ApiLabels { api }).inc();
    }

    /// The metrics in the OpenMetrics text format (without its final `# EOF`, which the
    /// caller writes after the metrics it adds).
    pub fn encode(&self, out: &mut String) -> std::fmt::Result {
        prometheus_client::encoding::text::encode_registry(out, &self.registry)
    }
}

/// A running request, counted in `depot_requests_in_flight` until dropped.
#[derive(Debug)]
pub struct InFlight {
    gauge: Gauge,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_encode_with_bounded_labels() {
        let m = RequestMetrics::new();
        {
            let _running = m.in_flight("s3");
            let record = RequestRecord { api: "s3", operation: "GetObject", error_code: Some("NoSuchKey") };
            m.record(&record, 404, Duration::from_millis(3), 0, 120);
        }
        m.auth_failure("SignatureDoesNotMatch");
        m.rate_limited("json");
        let mut out = String::new();
        m.encode(&mut out).unwrap();
        assert!(out.contains(r#"depot_requests_total{api="s3",operation="GetObject",status_class="4xx",error_code="NoSuchKey"} 1"#), "{out}");
        assert!(out.contains(r#"depot_request_duration_seconds_bucket{le="0.005",api="s3",operation="GetObject"} 1"#), "{out}");
        assert!(out.contains(r#"depot_request_sent_bytes_total{api="s3",operation="GetObject"} 120"#), "{out}");
        assert!(out.contains(r#"depot_requests_in_flight{api="s3"} 0"#), "{out}");
        assert!(out.contains(r#"depot_auth_failures_total{reason="SignatureDoesNotMatch"} 1"#), "{out}");
        assert!(out.contains(r#"depot_rate_limited_total{api="json"} 1"#), "{out}");
    }

    #[test]
    fn routes_are_named_from_the_path() {
        assert_eq!(RequestRecord::for_path("/_depot/search", false).operation, "search");
        assert_eq!(RequestRecord::for_path("/_depot/auth/keys/DPAK1", false).operation, "keys");
        assert_eq!(RequestRecord::for_path("/_depot/auth/login", false).operation, "auth");
        assert_eq!(RequestRecord::for_path("/_depot/console/", true).api, "console");
        assert_eq!(RequestRecord::for_path("/bucket/key", false).api, "s3");
        assert_eq!(RequestRecord::for_path("/_depot/anything", false).operation, "other");
    }
}

/// Counters of the background workers, read at each scrape: lifecycle actions taken and
/// failed, and access log objects delivered, records delivered and records dropped;
/// and reads of encrypted objects that failed to decrypt (damaged or altered ciphertext).
#[derive(Debug, Default)]
pub struct BackgroundCounters {
    pub lifecycle_actions: AtomicU64,
    pub lifecycle_failures: AtomicU64,
    pub access_log_objects: AtomicU64,
    pub access_log_records: AtomicU64,
    pub access_log_dropped: AtomicU64,
    pub sse_decrypt_failures: AtomicU64,
}
