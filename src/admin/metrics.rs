//! The event flow's health checks (Kafka reachability, indexer lag) and
//! `GET /_depot/metrics` in Prometheus text format. Reads counters and the outbox; never
//! changes anything.

use std::fmt::Write;
use std::time::Duration;

use http::{HeaderValue, Response, StatusCode};
use serde_json::{json, Value};

use crate::catalog::{now_ms, OutboxLag};
use crate::events::EventMetrics;
use crate::http::response::{full_body, Body};
use crate::http::AppState;

/// How long the health check waits for the brokers.
const KAFKA_PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The indexer's lag: events written but not yet indexed, and the age of the oldest.
fn lag_seconds(lag: &OutboxLag) -> f64 {
    lag.oldest_unindexed_ms.map_or(0.0, |t| (now_ms() - t).max(0) as f64 / 1000.0)
}

/// `(indexer check, kafka check)`. The indexer check fails when the lag passes its
/// thresholds; an unreachable broker alone does not fail health (the S3 API keeps
/// working and the outbox holds the events) but shows in the Kafka check and, once it
/// lasts, in the lag.
pub async fn event_checks(state: &AppState) -> (Value, Option<Value>) {
    let config = &state.events.config;
    let indexer = match state.catalog.outbox_lag().await {
        Ok(lag) => {
            let seconds = lag_seconds(&lag);
            let ok = seconds <= config.indexer_max_lag_seconds as f64 && lag.unindexed as u64 <= config.indexer_max_lag_events;
            json!({
                "status": if ok { "ok" } else { "error" },
                "mode": state.events.mode(),
                "lag_events": lag.unindexed,
                "lag_seconds": seconds,
                "outbox_backlog": lag.unsent,
                "max_lag_seconds": config.indexer_max_lag_seconds,
                "max_lag_events": config.indexer_max_lag_events,
            })
        }
        Err(e) => json!({ "status": "error", "error": e.to_string() }),
    };
    let kafka = state.events.probe_kafka(KAFKA_PROBE_TIMEOUT).await.map(|probe| match probe {
        Ok(s) => json!({ "status": "ok", "brokers": s.brokers, "topic": config.kafka_topic, "topic_exists": s.topic_exists }),
        Err(e) => json!({ "status": "unreachable", "topic": config.kafka_topic, "error": e }),
    });
    (indexer, kafka)
}

/// Prometheus text exposition.
pub async fn metrics(state: &AppState) -> Response<Body> {
    let m = &state.events.metrics;
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, value: f64| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
    };
    match state.catalog.outbox_lag().await {
        Ok(lag) => {
            metric("depot_outbox_backlog", "gauge", "Events written to the outbox and not yet published.", lag.unsent as f64);
            metric("depot_indexer_lag_events", "gauge", "Events written and not yet applied to the index.", lag.unindexed as f64);
            metric("depot_indexer_lag_seconds", "gauge", "Age of the oldest event not yet applied to the index.", lag_seconds(&lag));
            metric("depot_catalog_up", "gauge", "Whether the catalog answered.", 1.0);
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics: reading the outbox failed");
            metric("depot_catalog_up", "gauge", "Whether the catalog answered.", 0.0);
        }
    }
    for (name, help, counter) in [
        ("depot_events_published_total", "Events delivered by the relay (to Kafka or to the in-process indexer).", &m.published),
        ("depot_events_publish_failures_total", "Events the broker did not acknowledge (retried).", &m.publish_failures),
        ("depot_events_indexed_total", "Events applied to the index.", &m.indexed),
        ("depot_events_duplicate_total", "Events skipped because their id was already applied.", &m.duplicates),
        ("depot_events_rejected_total", "Events skipped because they are not readable events.", &m.rejected),
        ("depot_relay_errors_total", "Relay rounds that failed.", &m.relay_errors),
        ("depot_indexer_errors_total", "Indexing transactions that failed (retried).", &m.indexer_errors),
    ] {
        metric(name, "counter", help, EventMetrics::get(counter) as f64);
    }
    let kafka_mode = if state.events.mode() == "kafka" { 1.0 } else { 0.0 };
    metric("depot_events_kafka_mode", "gauge", "1 when events travel through Kafka, 0 in embedded mode.", kafka_mode);
    super::storage::write_metrics(state, &mut out).await;
    let mut resp = Response::new(full_body(out));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    resp
}
