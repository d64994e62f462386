//! The server access log writer: takes the records S3 requests left in
//! `http::access_log`, groups them by source bucket and logging configuration, and stores
//! each group as one log object in its target bucket (AWS's line format and key names,
//! `s3api::access_log`), every `--access-log-flush-secs`, when the buffer fills, and once
//! more when the server stops.
//!
//! Owns delivery: a target bucket that no longer exists, no longer belongs to the source
//! bucket's owner (AWS requires one account for both) or has a default object lock
//! retention since (AWS refuses such a target) gets nothing (the records are dropped,
//! logged and counted); a failed write is logged and its records dropped, never retried
//! forever. Log objects are written outside the request path, so they are not logged
//! themselves, even when a bucket logs to itself.
//! Writes go through `object::put::store_bytes`, the path of a PutObject, with an
//! `ObjectCreated:Put` event of the principal [`PRINCIPAL`]. Must not decide which
//! requests are logged (that is `server::access`).
//!
//! Layer 14 of `crate::LAYERS`: may import `object` and what is below it.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use s3api::access_log::{log_object_key, LoggingConfiguration};
use tokio::sync::watch;
use tracing::Instrument;

use crate::auth::acl::Acl;
use crate::catalog::now_ms;
use crate::events::EventContext;
use crate::http::access_log::PendingRecord;
use crate::http::AppState;
use crate::object::put::store_bytes;

/// The principal log objects are written by.
pub const PRINCIPAL: &str = "logging";
/// The account id in partitioned log keys (Depot is one account).
const ACCOUNT_ID: &str = "000000000000";

/// What one flush did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FlushReport {
    pub objects: usize,
    pub records: usize,
    /// Records dropped: the buffer was full, the target is gone or refused, or the
    /// write failed.
    pub dropped: u64,
}

/// Writes log objects every `interval` until `shutdown`, then once more.
pub async fn run(state: Arc<AppState>, interval: Duration, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = state.access_log.full.notified() => {}
            _ = shutdown.changed() => return,
        }
        flush(&state).instrument(tracing::info_span!("access_log_delivery")).await;
    }
}

/// Writes every waiting record now.
pub async fn flush(state: &AppState) -> FlushReport {
    let (records, dropped) = state.access_log.take();
    let mut report = FlushReport { dropped, ..FlushReport::default() };
    if dropped > 0 {
        tracing::warn!(dropped, "access log records were dropped: the buffer was full");
    }
    let mut groups: BTreeMap<(String, Arc<str>), Vec<PendingRecord>> = BTreeMap::new();
    for record in records {
        groups.entry((record.record.bucket.clone(), Arc::clone(&record.config))).or_default().push(record);
    }
    for ((source, stored), group) in groups {
        let count = group.len();
        match deliver(state, &source, &stored, group).await {
            Ok(()) => {
                report.objects += 1;
                report.records += count;
            }
            Err(reason) => {
                tracing::warn!(bucket = %source, records = count, reason = %reason, "access log records could not be delivered and were dropped");
                report.dropped += count as u64;
            }
        }
    }
    let counters = &state.background;
    counters.access_log_objects.fetch_add(report.objects as u64, Ordering::Relaxed);
    counters.access_log_records.fetch_add(report.records as u64, Ordering::Relaxed);
    counters.access_log_dropped.fetch_add(report.dropped, Ordering::Relaxed);
    report
}

/// Stores one group as one log object.
async fn deliver(state: &AppState, source: &str, stored: &str, group: Vec<PendingRecord>) -> Result<(), String> {
    let config = LoggingConfiguration::from_json(stored).map_err(|e| format!("unreadable logging configuration: {e}"))?;
    let target = state.catalog.bucket(&config.target_bucket).await.map_err(|e| format!("looking up the target bucket: {e}"))?;
    let Some(target) = target else { return Err(format!("the target bucket {} does not exist", config.target_bucket)) };
    let Some(first) = group.first() else { return Ok(()) };
    // PutBucketLogging required one owner for both; a target recreated by someone else
    // since gets nothing.
    if target.owner_id != first.record.bucket_owner {
        return Err(format!("the target bucket {} no longer belongs to the source bucket's owner", target.name));
    }
    // AWS refuses a target with a default retention: every log object would be locked.
    if crate::bucket::settings::locks_by_default(&target) {
        return Err(format!("the target bucket {} has a default object lock retention", target.name));
    }
    let earliest = group.iter().map(|r| r.record.time_ms).min().unwrap_or_else(now_ms);
    let body: String = group.iter().map(|r| r.record.to_line()).collect();
    let unique = format!("{:016X}", rand::random::<u64>());
    let key = log_object_key(&config, ACCOUNT_ID, &state.config.region, source, earliest, now_ms(), &unique);
    let ctx = EventContext { principal: PRINCIPAL.to_owned(), request_id: unique, source_ip: String::new(), region: state.config.region.clone() };
    // `TargetGrants`: who else may read (or manage) the log objects.
    let acl = config
        .acl_grants()
        .and_then(|grants| Acl::from_grants(&grants, &target.owner_id))
        .map_err(|e| format!("the logging configuration's target grants: {e}"))?;
    store_bytes(state, &ctx, &target, &key, bytes::Bytes::from(body), "text/plain", &acl).await.map_err(|e| format!("writing {key}: {e}"))?;
    Ok(())
}
