//! The lifecycle worker: applies each bucket's lifecycle rules in the background.
//!
//! Owns the passes and where each bucket's scan resumes. What a rule means is
//! `s3api::lifecycle` (pure: when a version or an upload is due); what a deletion does is
//! `object::delete`, the code path of DeleteObject, so a lifecycle deletion writes the
//! same `ObjectRemoved:Delete` / `ObjectRemoved:DeleteMarkerCreated` events, under the
//! principal [`PRINCIPAL`].
//!
//! Work per pass is bounded: each bucket with rules gets at most [`VERSIONS_PER_PASS`]
//! versions and [`UPLOADS_PER_PASS`] uploads looked at, read in pages along the
//! catalog's (bucket, key) index; the next pass goes on where this one stopped and
//! starts over once the bucket was seen whole. Each action is its own short transaction
//! that takes the key's lock, reads the key's versions again and decides again with the
//! same rules (the bucket's stored rules must be unchanged), and acts only on the very
//! row the scan saw: a write between the scan and the action is never deleted, and
//! nodes sharing a catalog may run passes at once without deleting twice.
//! Must not hold a transaction across versions, and must not decide what a rule means.
//!
//! Layer 13 of `crate::LAYERS`: may import `multipart`, `object` and what is below them.

mod scan;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use s3api::lifecycle::{Action, LifecycleConfiguration};
use tokio::sync::watch;
use tracing::Instrument;

use crate::catalog::{now_ms, Bucket, Catalog, Tx, Versioning};
use crate::error::Error;
use crate::events::EventContext;
use crate::http::metrics::BackgroundCounters;
use crate::object::delete::delete_one;
use crate::object::lock;
use crate::storage::gc::GcTrigger;
use scan::{KeyScan, VersionFacts};

/// The principal lifecycle deletions are recorded under.
pub const PRINCIPAL: &str = "lifecycle";
/// The most versions looked at in one bucket per pass.
pub const VERSIONS_PER_PASS: usize = 10_000;
/// The most multipart uploads looked at in one bucket per pass.
pub const UPLOADS_PER_PASS: usize = 1_000;
/// Versions read per catalog page.
const PAGE: usize = 1_000;

/// What a pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    pub versions_seen: usize,
    pub expired: usize,
    pub noncurrent_deleted: usize,
    pub markers_deleted: usize,
    pub uploads_aborted: usize,
    /// Actions that no longer applied when their transaction looked again.
    pub skipped: usize,
    /// Buckets, actions or uploads that failed (logged; the next pass retries).
    pub failed: usize,
}

impl PassReport {
    fn acted(&self) -> usize {
        self.expired + self.noncurrent_deleted + self.markers_deleted + self.uploads_aborted
    }
}

/// Where a bucket's scan resumes.
#[derive(Debug, Default)]
struct Cursor {
    /// The versions scan: after this (key, row id), with the state of that key.
    versions: Option<(String, i64, KeyScan)>,
    /// The uploads scan: after this (key, upload id).
    uploads: Option<(String, String)>,
}

/// One due action, found by a scan and applied in its own transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Due {
    action: Action,
    key: String,
    version_id: String,
    /// The catalog row the scan saw: an overwrite of a `null` version is a new row.
    row_id: i64,
}

/// The background worker; [`Worker::run`] until shutdown, or [`Worker::pass`] once.
pub struct Worker {
    catalog: Catalog,
    gc: GcTrigger,
    region: String,
    day: Duration,
    interval: Duration,
    versions_per_pass: usize,
    page: usize,
    uploads_per_pass: usize,
    cursors: HashMap<i64, Cursor>,
    counters: Arc<BackgroundCounters>,
}

impl Worker {
    pub fn new(catalog: Catalog, gc: GcTrigger, region: String, day: Duration, interval: Duration) -> Worker {
        Worker {
            catalog,
            gc,
            region,
            day,
            interval,
            versions_per_pass: VERSIONS_PER_PASS,
            page: PAGE,
            uploads_per_pass: UPLOADS_PER_PASS,
            cursors: HashMap::new(),
            counters: Arc::default(),
        }
    }

    /// Counts actions and failures in `counters` (the server's, for its metrics).
    pub fn with_counters(mut self, counters: Arc<BackgroundCounters>) -> Worker {
        self.counters = counters;
        self
    }

    /// Smaller bounds per pass (versions, page size, uploads), for tests of a scan that
    /// spans passes.
    pub fn with_limits(mut self, versions_per_pass: usize, page: usize, uploads_per_pass: usize) -> Worker {
        self.versions_per_pass = versions_per_pass.max(1);
        self.page = page.max(1);
        self.uploads_per_pass = uploads_per_pass.max(1);
        self
    }

    /// Runs a pass every `interval` until `shutdown`; a pass in progress is abandoned at
    /// shutdown (each action is its own transaction). A failed pass is logged and the
    /// next one tries again.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = shutdown.changed() => return,
            }
            let span = tracing::info_span!("lifecycle_pass");
            let report = tokio::select! {
                report = self.pass().instrument(span.clone()) => report,
                _ = shutdown.changed() => return,
            };
            // A locked version that is due is skipped at every pass: not worth a line.
            if report.acted() > 0 || report.failed > 0 {
                tracing::info!(parent: &span, ?report, "lifecycle pass");
            } else if report.skipped > 0 {
                tracing::debug!(parent: &span, ?report, "lifecycle pass");
            }
        }
    }

    /// One pass over every bucket that has lifecycle rules, now.
    pub async fn pass(&mut self) -> PassReport {
        self.pass_at(now_ms()).await
    }

    /// One pass as if the time were `now` (milliseconds since the Unix epoch). A bucket
    /// whose scan fails is logged, counted in `failed` and retried at the next pass from
    /// where it stood; the other buckets go on.
    pub async fn pass_at(&mut self, now: i64) -> PassReport {
        let mut report = PassReport::default();
        let buckets: Vec<Bucket> = match self.catalog.buckets(None).await {
            Ok(all) => all.into_iter().filter(|b| b.lifecycle.is_some()).collect(),
            Err(e) => {
                tracing::warn!(error = %e, "listing the buckets for a lifecycle pass failed; the next pass retries");
                report.failed += 1;
                return report;
            }
        };
        self.cursors.retain(|id, _| buckets.iter().any(|b| b.id == *id));
        for bucket in buckets {
            if let Err(e) = self.bucket_pass(&bucket, now, &mut report).await {
                tracing::warn!(bucket = %bucket.name, error = %e, "a lifecycle pass over the bucket failed; the next pass retries");
                report.failed += 1;
            }
        }
        if report.acted() > 0 {
            self.gc.poke();
        }
        self.counters.lifecycle_actions.fetch_add(report.acted() as u64, Ordering::Relaxed);
        self.counters.lifecycle_failures.fetch_add(report.failed as u64, Ordering::Relaxed);
        report
    }

    async fn bucket_pass(&mut self, bucket: &Bucket, now: i64, report: &mut PassReport) -> Result<(), Error> {
        let Some(stored) = bucket.lifecycle.as_deref() else { return Ok(()) };
        let rules = LifecycleConfiguration::from_json(stored)?;
        let ctx = EventContext {
            principal: PRINCIPAL.to_owned(),
            request_id: uuid::Uuid::new_v4().simple().to_string(),
            source_ip: String::new(),
            region: self.region.clone(),
        };
        for due in self.scan_versions(bucket, &rules, now, report).await? {
            match self.apply(&ctx, bucket, stored, &rules, now, &due).await {
                Ok(true) => match due.action {
                    Action::ExpireCurrent => report.expired += 1,
                    Action::DeleteNoncurrent => report.noncurrent_deleted += 1,
                    Action::DeleteExpiredDeleteMarker => report.markers_deleted += 1,
                },
                Ok(false) => report.skipped += 1,
                Err(e) => {
                    tracing::warn!(bucket = %bucket.name, key = %due.key, version_id = %due.version_id, error = %e, "a lifecycle action failed; the next pass retries");
                    report.failed += 1;
                }
            }
        }
        self.abort_uploads(bucket, stored, &rules, now, report).await
    }

    /// Reads up to `versions_per_pass` versions of `bucket` from where its scan stopped,
    /// and returns what is due. The cursor moves only past what was read.
    async fn scan_versions(&mut self, bucket: &Bucket, rules: &LifecycleConfiguration, now: i64, report: &mut PassReport) -> Result<Vec<Due>, Error> {
        let cursor = self.cursors.entry(bucket.id).or_default();
        let (mut after, mut key_scan) = match &cursor.versions {
            Some((key, id, scan)) => (Some((key.clone(), *id)), scan.clone()),
            None => (None, KeyScan::default()),
        };
        let mut due = Vec::new();
        let mut seen = 0;
        let mut finished = false;
        while seen < self.versions_per_pass {
            let max = self.page.min(self.versions_per_pass - seen);
            let page = self.catalog.list_versions(bucket.id, "", None, after.as_ref().map(|(k, _)| k.as_str()), after.as_ref().map(|(_, id)| *id), max).await?;
            for version in &page.versions {
                due.extend(key_scan.next(&VersionFacts::of(version), rules, now, self.day));
                after = Some((version.key.clone(), version.id));
            }
            seen += page.versions.len();
            if !page.is_truncated || page.versions.is_empty() {
                finished = true;
                break;
            }
        }
        if finished {
            // The bucket was seen whole: the last key has no older version to come, and
            // the next pass starts over.
            due.extend(key_scan.finish(rules, now, self.day));
            cursor.versions = None;
        } else if let Some((key, id)) = after {
            cursor.versions = Some((key, id, key_scan));
        }
        report.versions_seen += seen;
        Ok(due)
    }

    /// Applies one action in its own transaction: under the key's lock it reads the key's
    /// versions again and decides again with the same rules, and acts only when the very
    /// row the scan saw is still due for the same action. `Ok(false)`: it no longer was.
    async fn apply(&self, ctx: &EventContext, bucket: &Bucket, stored: &str, rules: &LifecycleConfiguration, now: i64, due: &Due) -> Result<bool, Error> {
        let mut tx = self.catalog.begin().await?;
        tx.lock_key(bucket.id, &due.key).await?;
        let Some(current) = same_rules(&mut tx, bucket, stored).await? else { return Ok(false) };
        let rows = tx.key_versions(current.id, &due.key).await?;
        let versions: Vec<VersionFacts> = rows.iter().map(VersionFacts::of).collect();
        if !KeyScan::whole_key(&versions, rules, now, self.day).contains(due) {
            return Ok(false);
        }
        // Lifecycle never removes a locked version (expiring a current one only adds a
        // delete marker, which object lock allows).
        let removes = matches!(due.action, Action::DeleteNoncurrent | Action::DeleteExpiredDeleteMarker) || current.versioning != Versioning::Enabled;
        if removes && rows.iter().any(|r| r.id == due.row_id && !lock::removable(r)) {
            return Ok(false);
        }
        let version_id = match due.action {
            Action::ExpireCurrent => None,
            Action::DeleteNoncurrent | Action::DeleteExpiredDeleteMarker => Some(due.version_id.as_str()),
        };
        let removal = delete_one(&mut tx, ctx, &current, &due.key, version_id, &current.owner_id, false).await?;
        tx.commit().await?;
        if removal.changed {
            tracing::debug!(bucket = %current.name, key = %due.key, version_id = %due.version_id, action = ?due.action, "lifecycle action");
        }
        Ok(removal.changed)
    }

    /// Aborts the incomplete multipart uploads of `bucket` whose time has come, looking at
    /// up to `uploads_per_pass` of them from where the last pass stopped.
    async fn abort_uploads(&mut self, bucket: &Bucket, stored: &str, rules: &LifecycleConfiguration, now: i64, report: &mut PassReport) -> Result<(), Error> {
        if !rules.rules.iter().any(|r| r.is_enabled() && r.abort_incomplete_multipart_upload_days.is_some()) {
            return Ok(());
        }
        let cursor = self.cursors.entry(bucket.id).or_default();
        let after = cursor.uploads.clone();
        let page = self
            .catalog
            .list_uploads(bucket.id, "", None, after.as_ref().map(|(k, _)| k.as_str()), after.as_ref().map(|(_, u)| u.as_str()), self.uploads_per_pass)
            .await?;
        cursor.uploads = if page.is_truncated { page.uploads.last().map(|u| (u.key.clone(), u.upload_id.clone())) } else { None };
        for upload in page.uploads {
            if rules.abort_upload_due(&upload.key, upload.initiated, now, self.day).is_none() {
                continue;
            }
            match self.abort_one(bucket, stored, &upload.key, &upload.upload_id).await {
                Ok(true) => {
                    tracing::debug!(bucket = %bucket.name, key = %upload.key, upload_id = %upload.upload_id, "lifecycle aborted an incomplete upload");
                    report.uploads_aborted += 1;
                }
                Ok(false) => report.skipped += 1,
                Err(e) => {
                    tracing::warn!(bucket = %bucket.name, key = %upload.key, upload_id = %upload.upload_id, error = %e, "aborting an incomplete upload failed; the next pass retries");
                    report.failed += 1;
                }
            }
        }
        Ok(())
    }

    /// Aborts one upload in its own transaction, when the rules are still those of the pass.
    async fn abort_one(&self, bucket: &Bucket, stored: &str, key: &str, upload_id: &str) -> Result<bool, Error> {
        let mut tx = self.catalog.begin().await?;
        tx.lock_key(bucket.id, key).await?;
        if same_rules(&mut tx, bucket, stored).await?.is_none() {
            return Ok(false);
        }
        let aborted = tx.delete_upload(upload_id).await?;
        tx.commit().await?;
        Ok(aborted)
    }
}

/// The bucket, read again inside `tx`, when it still exists with the rules the pass
/// read (`stored`); `None` when it was deleted, replaced or its rules changed.
async fn same_rules(tx: &mut Tx, bucket: &Bucket, stored: &str) -> Result<Option<Bucket>, Error> {
    Ok(tx.bucket(&bucket.name).await?.filter(|b| b.id == bucket.id && b.lifecycle.as_deref() == Some(stored)))
}
