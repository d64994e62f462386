//! Freeing blobs: the queue of blobs that lost a reference (freed once nothing refers
//! to them, no read in progress has them pinned, and a short delay has passed), and the
//! orphan sweeper (blob files on any drive with no catalog row at all, left by a crash between
//! writing a blob and committing it, and stale temp files).
//!
//! A read pins its blobs ([`BlobStore::pin`]) right after it found them in the catalog
//! and holds them until its response is sent, however long that takes; the delay only
//! has to cover the moment between the two. A pinned blob stays queued and is looked at
//! again in a later pass. Pins live in this process: nodes sharing a data dir do not
//! see each other's.
//!
//! Neither removes anything while collection is paused (`depot admin gc pause`, a row in
//! the catalog, so it holds for every node): a backup copies the drives after the
//! catalog, and every blob the catalog copy refers to must still be there.
//!
//! Neither removes anything while the catalog is read-only after a failed fsync: what
//! the catalog says then may not be what a restart finds on disk (a delete that freed
//! a blob may be undone), so a blob that looks unreferenced may not stay so.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::{watch, Notify};

use tracing::Instrument;

use super::{BlobStore, StorageError};
use crate::catalog::{now_ms, Catalog, CatalogError};

/// Failures of a collector round (each is logged, and the round retried later).
#[derive(Debug, thiserror::Error)]
pub enum GcError {
    #[error("catalog: {0}")]
    Catalog(#[from] CatalogError),
    #[error("blob store: {0}")]
    Storage(#[from] StorageError),
    #[error("the directory scan stopped: {0}")]
    Scan(#[from] tokio::task::JoinError),
}

/// Wakes the collector after a change freed blobs.
#[derive(Debug, Clone)]
pub struct GcTrigger {
    notify: Arc<Notify>,
}

impl GcTrigger {
    pub fn poke(&self) {
        self.notify.notify_one();
    }
}

/// What a sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub orphan_blobs: usize,
    pub temp_files: usize,
}

/// When the collector acts.
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    /// How long a blob that lost its last reference waits before it is freed.
    pub free_delay: Duration,
    /// How old an unreferenced blob file must be before the sweeper removes it.
    pub orphan_grace: Duration,
    /// How old an incomplete multipart upload may grow before it is aborted.
    pub upload_max_age: Duration,
    pub sweep_interval: Duration,
}

/// The background collector.
pub struct Collector {
    catalog: Catalog,
    blobs: BlobStore,
    free_delay: Duration,
    orphan_grace: Duration,
    upload_max_age: Duration,
    sweep_interval: Duration,
    notify: Arc<Notify>,
    /// Files modified before this were already swept.
    swept_until: Option<SystemTime>,
}

impl Collector {
    pub fn new(catalog: Catalog, blobs: BlobStore, timings: Timings) -> (GcTrigger, Collector) {
        let notify = Arc::new(Notify::new());
        let trigger = GcTrigger { notify: notify.clone() };
        let Timings { free_delay, orphan_grace, upload_max_age, sweep_interval } = timings;
        (trigger, Collector { catalog, blobs, free_delay, orphan_grace, upload_max_age, sweep_interval, notify, swept_until: None })
    }

    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let mut next_sweep = tokio::time::Instant::now() + Duration::from_secs(10).min(self.sweep_interval);
        loop {
            let wake = tokio::time::Instant::now() + self.free_delay.max(Duration::from_millis(200)).min(Duration::from_secs(30));
            tokio::select! {
                _ = self.notify.notified() => {
                    // Give the delay time to pass before looking at the queue.
                    tokio::select! {
                        _ = tokio::time::sleep(self.free_delay) => {},
                        _ = shutdown.changed() => break,
                    }
                }
                _ = tokio::time::sleep_until(wake.min(next_sweep)) => {}
                _ = shutdown.changed() => break,
            }
            if tokio::time::Instant::now() >= next_sweep {
                match self.expire_uploads().instrument(tracing::info_span!("expire_uploads")).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(uploads = n, "aborted expired multipart uploads"),
                    Err(e) => tracing::warn!(error = %e, "expiring multipart uploads failed; will retry"),
                }
            }
            if let Err(e) = self.free_queued().instrument(tracing::info_span!("gc_free")).await {
                tracing::warn!(error = %e, "freeing queued blobs failed; will retry");
            }
            if tokio::time::Instant::now() >= next_sweep {
                match self.sweep_orphans().instrument(tracing::info_span!("orphan_sweep")).await {
                    Ok(report) if report != SweepReport::default() => tracing::info!(?report, "orphan sweep removed files"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "orphan sweep failed; will retry"),
                }
                next_sweep = tokio::time::Instant::now() + self.sweep_interval;
            }
        }
    }

    /// Whether collection is paused now (logged, so an operator sees why nothing is freed).
    ///
    /// Asked again for each blob after its reference check and before its removal: a
    /// blob found unreferenced stays so, so the catalog copy of a backup taken after the
    /// pause cannot refer to it, and a blob still referenced when the pause began is
    /// never removed while it lasts.
    async fn paused(&self) -> Result<bool, GcError> {
        let Some(until) = self.catalog.gc_paused_until().await? else { return Ok(false) };
        tracing::debug!(until_ms = until, "blob collection is paused");
        Ok(true)
    }

    /// Frees every queued blob older than the delay that nothing refers to any more.
    /// Blobs a read has pinned are queued again (behind the delay) for a later pass.
    pub async fn free_queued(&self) -> Result<usize, GcError> {
        self.catalog.check_writable()?;
        if self.paused().await? {
            return Ok(0);
        }
        let mut freed = 0;
        // Fixed for the pass, so that the blobs queued again below wait for the next.
        let cutoff = now_ms() - self.free_delay.as_millis() as i64;
        let mut requeued = HashSet::new();
        loop {
            let batch = self.catalog.blob_gc_batch(cutoff, 256).await?;
            let mut pinned = Vec::new();
            let mut progress = false;
            for (blob_id, generation) in batch {
                if self.blobs.is_pinned(&blob_id) {
                    if !requeued.contains(&blob_id) {
                        pinned.push(blob_id);
                    }
                    continue;
                }
                progress = true;
                if !self.catalog.blob_is_referenced(&blob_id).await? {
                    // After the reference check: see `paused`.
                    if self.paused().await? {
                        return Ok(freed);
                    }
                    self.catalog.check_writable()?;
                    self.blobs.delete(&blob_id).await?;
                    self.catalog.forget_blob_copies(&blob_id).await?;
                    freed += 1;
                }
                self.catalog.forget_blob_gc(&blob_id, generation).await?;
            }
            if !pinned.is_empty() {
                progress = true;
                let mut tx = self.catalog.begin().await?;
                for blob_id in &pinned {
                    tx.queue_blob_gc(blob_id).await?;
                }
                tx.commit().await?;
                requeued.extend(pinned);
            }
            if !progress {
                return Ok(freed);
            }
        }
    }

    /// Aborts multipart uploads older than the age limit; their parts join the GC queue.
    pub async fn expire_uploads(&self) -> Result<usize, GcError> {
        let cutoff = now_ms() - self.upload_max_age.as_millis() as i64;
        let mut expired = 0;
        loop {
            let batch = self.catalog.uploads_started_before(cutoff, 100).await?;
            if batch.is_empty() {
                return Ok(expired);
            }
            for upload_id in batch {
                let mut tx = self.catalog.begin().await?;
                tx.delete_upload(&upload_id).await?;
                tx.commit().await?;
                expired += 1;
            }
        }
    }

    /// Removes blob files older than the grace period that no catalog row refers to,
    /// and temp files older than the grace period.
    pub async fn sweep_orphans(&mut self) -> Result<SweepReport, GcError> {
        self.catalog.check_writable()?;
        if self.paused().await? {
            return Ok(SweepReport::default());
        }
        let started = SystemTime::now();
        let cutoff = started.checked_sub(self.orphan_grace).unwrap_or(SystemTime::UNIX_EPOCH);
        let since = self.swept_until;
        let dirs: Vec<(PathBuf, PathBuf)> = self.blobs.drives().all().iter().map(|d| (d.blobs_dir().to_path_buf(), d.tmp_dir().to_path_buf())).collect();
        let (candidates, stale_temps) = tokio::task::spawn_blocking(move || {
            let (mut blobs, mut temps) = (Vec::new(), Vec::new());
            for (blobs_dir, tmp_dir) in dirs {
                blobs.extend(old_files(&blobs_dir, since, cutoff));
                temps.extend(old_files(&tmp_dir, None, cutoff));
            }
            (blobs, temps)
        })
        .await?;
        let mut report = SweepReport::default();
        for path in candidates {
            let Some(blob_id) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else { continue };
            if !self.blobs.is_pinned(&blob_id) && !self.catalog.blob_is_referenced(&blob_id).await? {
                if self.paused().await? {
                    return Ok(report);
                }
                self.catalog.check_writable()?;
                self.blobs.delete(&blob_id).await?;
                self.catalog.forget_blob_copies(&blob_id).await?;
                report.orphan_blobs += 1;
            }
        }
        for path in stale_temps {
            if tokio::fs::remove_file(&path).await.is_ok() {
                report.temp_files += 1;
            }
        }
        self.swept_until = Some(cutoff);
        Ok(report)
    }
}

/// Removes temp files left by a crash, at start-up: those not written to within
/// `idle`. A live upload (of any process sharing the data dir) writes to its temp file
/// at least once per body timeout or is aborted, so with `idle` past that timeout
/// nothing removed here can belong to a request still running. Returns how many went.
pub async fn remove_stale_temps(blobs: &BlobStore, idle: Duration) -> Result<usize, GcError> {
    let tmp_dirs: Vec<PathBuf> = blobs.drives().all().iter().map(|d| d.tmp_dir().to_path_buf()).collect();
    let cutoff = SystemTime::now().checked_sub(idle).unwrap_or(SystemTime::UNIX_EPOCH);
    let stale = tokio::task::spawn_blocking(move || tmp_dirs.iter().flat_map(|dir| old_files(dir, None, cutoff)).collect::<Vec<_>>()).await?;
    let mut removed = 0;
    for path in stale {
        match tokio::fs::remove_file(&path).await {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StorageError::Io(e).into()),
        }
    }
    Ok(removed)
}

/// Files under `dir` (recursively) last modified in (`since`, `cutoff`].
pub(super) fn old_files(dir: &Path, since: Option<SystemTime>, cutoff: SystemTime) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
                continue;
            }
            let Ok(modified) = meta.modified() else { continue };
            if modified <= cutoff && since.is_none_or(|s| modified > s) {
                out.push(entry.path());
            }
        }
    }
    out
}
