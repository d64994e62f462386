//! The event flow's health checks (Kafka reachability, indexer lag) and
//! `GET /_depot/metrics`: the request metrics (`http::metrics`) and, read at each
//! scrape, the event flow's and the storage's, in the OpenMetrics text format through
//! `prometheus-client`. Reads counters and the outbox; never changes anything.

use std::time::Duration;

use http::{HeaderValue, Response, StatusCode};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::Registry;
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

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BucketLabels {
    bucket: String,
}

/// Objects and bytes per bucket, from the statistics the indexer keeps (as eventually
/// consistent as they are). A bucket name is a label: their number is bounded by the
/// buckets that exist.
async fn register_bucket_metrics(state: &AppState, registry: &mut Registry) {
    let stats = match state.catalog.buckets(None).await {
        Ok(buckets) => crate::indexer::stats::stats(&state.catalog, &buckets).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let stats = match stats {
        Ok(stats) => stats,
        Err(e) => return tracing::warn!(error = %e, "metrics: reading the bucket statistics failed"),
    };
    let objects = Family::<BucketLabels, Gauge>::default();
    let bytes = Family::<BucketLabels, Gauge>::default();
    let versions = Family::<BucketLabels, Gauge>::default();
    for b in &stats.buckets {
        let label = BucketLabels { bucket: b.name.clone() };
        objects.get_or_create(&label).set(b.objects);
        bytes.get_or_create(&label).set(b.bytes);
        versions.get_or_create(&label).set(b.versions);
    }
    registry.register("bucket_objects", "Objects in the bucket (latest versions that are not delete markers), per the statistics.", objects);
    registry.register("bucket_bytes", "Bytes of those objects, per the statistics.", bytes);
    registry.register("bucket_versions", "Stored versions and delete markers in the bucket, per the statistics.", versions);
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
}

/// The catalog's transaction timings, group commit and connection pools.
fn register_catalog_metrics(state: &AppState, registry: &mut Registry) {
    let m = state.catalog.metrics();
    registry.register(
        "catalog_begin_wait_seconds",
        "Time a write transaction waited for the writer connection (and SQLite's write lock) before it began.",
        m.begin_wait_seconds.clone(),
    );
    registry.register("catalog_transaction_seconds", "Committed write transactions, from BEGIN to a durable commit.", m.transaction_seconds.clone());
    registry.register("catalog_commit_seconds", "COMMIT, with SQLite's wait for the WAL fsync that makes it durable.", m.commit_seconds.clone());
    registry.register("catalog_wal_fsyncs", "fsyncs of SQLite's WAL by the group commit (none on PostgreSQL).", m.wal_fsyncs.clone());
    registry.register("catalog_group_commit_size", "Commits made durable by one WAL fsync (SQLite).", m.group_commit_size.clone());
    let (in_use, open, max) = (Family::<PoolLabels, Gauge>::default(), Family::<PoolLabels, Gauge>::default(), Family::<PoolLabels, Gauge>::default());
    for usage in state.catalog.pool_usage() {
        let label = PoolLabels { pool: usage.pool };
        in_use.get_or_create(&label).set(i64::from(usage.in_use));
        open.get_or_create(&label).set(i64::from(usage.open));
        max.get_or_create(&label).set(i64::from(usage.max));
    }
    registry.register("catalog_pool_in_use", "Catalog connections in use now, per pool.", in_use);
    registry.register("catalog_pool_open", "Catalog connections open now, per pool.", open);
    registry.register("catalog_pool_max", "The most connections the pool opens.", max);
}

/// `GET /_depot/metrics`: the request metrics and, read at this scrape, the event flow's
/// and the storage's, in the OpenMetrics text format.
pub async fn metrics(state: &AppState) -> Response<Body> {
    let m = &state.events.metrics;
    let mut registry = Registry::with_prefix("depot");
    match state.catalog.outbox_lag().await {
        Ok(lag) => {
            registry.register("outbox_backlog", "Events written to the outbox and not yet published.", ConstGauge::new(lag.unsent));
            registry.register("indexer_lag_events", "Events written and not yet applied to the index.", ConstGauge::new(lag.unindexed));
            registry.register("indexer_lag_seconds", "Age of the oldest event not yet applied to the index.", ConstGauge::new(lag_seconds(&lag)));
            registry.register("catalog_up", "Whether the catalog answered.", ConstGauge::new(1));
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics: reading the outbox failed");
            registry.register("catalog_up", "Whether the catalog answered.", ConstGauge::new(0));
        }
    }
    for (name, help, counter) in [
        ("events_published", "Events delivered by the relay (to Kafka or to the in-process indexer).", &m.published),
        ("events_publish_failures", "Events the broker did not acknowledge (retried).", &m.publish_failures),
        ("events_indexed", "Events applied to the index.", &m.indexed),
        ("events_duplicate", "Events skipped because their id was already applied.", &m.duplicates),
        ("events_rejected", "Events skipped because they are not readable events.", &m.rejected),
        ("relay_errors", "Relay rounds that failed.", &m.relay_errors),
        ("indexer_errors", "Indexing transactions that failed (retried).", &m.indexer_errors),
        ("indexer_catchup_events", "Events published to Kafka that the consumer group left unindexed, applied straight from the outbox.", &m.caught_up),
    ] {
        registry.register(name, help, ConstCounter::new(EventMetrics::get(counter)));
    }
    let b = &state.background;
    for (name, help, counter) in [
        ("lifecycle_actions", "Versions expired or removed and uploads aborted by lifecycle rules.", &b.lifecycle_actions),
        ("lifecycle_failures", "Lifecycle actions or bucket passes that failed (retried at the next pass).", &b.lifecycle_failures),
        ("access_log_objects", "Server access log objects delivered.", &b.access_log_objects),
        ("access_log_records", "Server access log records delivered.", &b.access_log_records),
        ("access_log_dropped", "Server access log records dropped (buffer full, target gone or refused, write failed).", &b.access_log_dropped),
        ("sse_decrypt_failures", "Reads of encrypted objects cut short because a chunk failed to decrypt (damaged or altered).", &b.sse_decrypt_failures),
    ] {
        registry.register(name, help, ConstCounter::new(counter.load(std::sync::atomic::Ordering::Relaxed)));
    }
    let kafka_mode = i64::from(state.events.mode() == "kafka");
    registry.register("events_kafka_mode", "1 when events travel through Kafka, 0 in embedded mode.", ConstGauge::new(kafka_mode));
    register_catalog_metrics(state, &mut registry);
    super::storage::register_metrics(state, &mut registry).await;
    register_bucket_metrics(state, &mut registry).await;
    let mut out = String::new();
    let encoded = state.metrics.encode(&mut out).and_then(|()| prometheus_client::encoding::text::encode(&mut out, &registry));
    if let Err(e) = encoded {
        tracing::error!(error = %e, "metrics: encoding failed");
        return super::error(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", "The metrics could not be encoded");
    }
    let mut resp = Response::new(full_body(out));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"));
    resp
}
