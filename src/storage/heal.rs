//! Healing: checking every copy of a blob and bringing it back to its number of good
//! copies.
//!
//! [`check_blob`] is the one routine behind the healer, the scrubber and `depot scrub`:
//! it reads every drive's copy whole, verifying each block and the blob's MD5, then
//! (when asked to repair) rewrites damaged copies from a good one, adds copies on the
//! drives the blob prefers until it has `copies` good ones, rewrites a copy from before
//! block checksums with its table, and records in the catalog which drives now hold
//! it. A new copy is written like any blob: temp file, fsync, rename, directory fsync.
//!
//! The [`Healer`] task works through repair requests from readers, probes degraded
//! drives until they answer again, and then (and at start-up, and every few minutes)
//! looks for blobs the catalog records on fewer drives than they should be.

use std::collections::{HashMap, HashSet};
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use md5::{Digest, Md5};
use tokio::sync::{watch, Notify};

use super::blocks::{BlockSums, Damage, Layout};
use super::drives::Drive;
use super::fs::count;
use super::read::Copy;
use super::write::place;
use super::{probe, BlobStore, RepairQueue, StorageError};
use crate::catalog::{BlobRef, Catalog, CatalogError};

/// How often degraded drives are probed.
const PROBE_INTERVAL: Duration = Duration::from_secs(2);
/// How often the catalog is searched for blobs with too few copies.
const RESTORE_INTERVAL: Duration = Duration::from_secs(300);
/// A restore pass reads this many times faster than the background scrub, and at this
/// rate when the background scrub is off.
pub const RESTORE_SPEEDUP: u64 = 4;
pub const RESTORE_RATE_WITHOUT_SCRUB: u64 = 64 * 1024 * 1024;

/// The rate of restore passes for a background scrub rate (0: scrub off).
pub fn restore_rate(scrub_bytes_per_sec: u64) -> u64 {
    match scrub_bytes_per_sec {
        0 => RESTORE_RATE_WITHOUT_SCRUB,
        rate => rate.saturating_mul(RESTORE_SPEEDUP),
    }
}

/// Failures of a heal (logged; the blob is looked at again later).
#[derive(Debug, thiserror::Error)]
pub enum HealError {
    #[error("catalog: {0}")]
    Catalog(#[from] CatalogError),
    #[error("blob store: {0}")]
    Storage(#[from] StorageError),
    #[error("the check stopped: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// What checking one blob found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlobCheck {
    /// Drives holding a good copy after the check (and repair).
    pub good: Vec<String>,
    /// Drives whose copy was damaged, with what was wrong.
    pub damaged: Vec<(String, String)>,
    /// Drives the catalog records as holding a copy that is not there.
    pub missing: Vec<String>,
    /// Drives a copy was written to.
    pub repaired: Vec<String>,
    /// No good copy was found: the blob is lost.
    pub unrecoverable: bool,
    /// Bytes of data read.
    pub bytes_read: u64,
    /// No row refers to the blob any more: it was not checked.
    pub gone: bool,
}

impl BlobCheck {
    /// Copies found wrong: damaged, or missing where they were recorded.
    pub fn errors(&self) -> usize {
        self.damaged.len() + self.missing.len()
    }
}

/// Checks every copy of a blob and, with `repair`, brings it back to the store's number
/// of good copies. `recorded` are the drives the catalog lists for it.
pub fn check_blob(store: &BlobStore, blob: &BlobRef, recorded: &[String], repair: bool) -> BlobCheck {
    let mut check = BlobCheck::default();
    let expected_md5 = hex::decode(&blob.md5_hex).ok().filter(|m| m.len() == 16);
    let len = blob.size.max(0) as u64;
    let mut good: Vec<(Arc<Drive>, Copy)> = Vec::new();
    let mut bad: Vec<Arc<Drive>> = Vec::new();
    for drive in store.drives.preference(&blob.blob_id) {
        let verdict = Copy::open(&drive, &blob.blob_id, len).and_then(|copy| {
            let mut md5 = Md5::new();
            copy.verify_all(|piece| {
                check.bytes_read += piece.len() as u64;
                md5.update(piece);
            })?;
            match &expected_md5 {
                Some(expected) if md5.finalize().as_slice() != expected.as_slice() => Err(Damage::Md5),
                _ => Ok(copy),
            }
        });
        match verdict {
            Ok(copy) => good.push((drive, copy)),
            Err(Damage::Missing) => {
                if recorded.contains(&drive.id) {
                    store.found_damage(&drive, &blob.blob_id, &Damage::Missing);
                    check.missing.push(drive.id.clone());
                }
            }
            Err(damage) => {
                store.found_damage(&drive, &blob.blob_id, &damage);
                check.damaged.push((drive.id.clone(), damage.to_string()));
                bad.push(drive);
            }
        }
    }
    if good.is_empty() {
        // A referenced blob exists from before its row was committed: with no good copy
        // anywhere (damaged, or gone from every drive) the object's data is lost.
        check.unrecoverable = true;
        tracing::error!(bucket = %blob.bucket, key = %blob.key, version_id = %blob.version_id, blob_id = %blob.blob_id, "no good copy of the blob is left");
        return check;
    }
    if repair {
        repair_copies(store, blob, &mut good, &bad, &mut check);
    }
    check.good = good.iter().map(|(d, _)| d.id.clone()).collect();
    check
}

/// Rewrites damaged and legacy copies and adds copies until the blob has its count.
fn repair_copies(store: &BlobStore, blob: &BlobRef, good: &mut Vec<(Arc<Drive>, Copy)>, bad: &[Arc<Drive>], check: &mut BlobCheck) {
    // A copy without a block table is rewritten with one (its MD5 was just verified).
    let legacy: Vec<Arc<Drive>> = good.iter().filter(|(_, c)| c.layout() == Layout::Legacy).map(|(d, _)| d.clone()).collect();
    // The source: a copy with a block table where there is one (a legacy copy's bytes are
    // checked against the MD5 again as they are copied).
    let mut source_drive = good.iter().find(|(_, c)| c.layout() == Layout::Checked).unwrap_or(&good[0]).0.id.clone();
    let expected_md5 = hex::decode(&blob.md5_hex).ok().filter(|m| m.len() == 16);
    let mut targets: Vec<Arc<Drive>> = legacy;
    // Damaged copies are rewritten in place while their drive works; others go to the
    // blob's preferred healthy drives with room.
    let mut want = store.copies.saturating_sub(good.len());
    for drive in bad {
        if want > 0 && !drive.health.is_degraded() {
            targets.push(drive.clone());
            want -= 1;
        }
    }
    if want > 0 {
        let holding: HashSet<String> = good.iter().map(|(d, _)| d.id.clone()).chain(targets.iter().map(|d| d.id.clone())).collect();
        let free = store
            .drives
            .preference(&blob.blob_id)
            .into_iter()
            .filter(|d| !holding.contains(&d.id) && !d.health.is_degraded())
            .filter(|d| d.space(store.min_free_bytes).is_ok_and(|s| s.admits(super::blocks::file_len(blob.size.max(0) as u64))));
        targets.extend(free.take(want));
    }
    for drive in targets {
        let Some((_, source)) = good.iter().find(|(d, _)| d.id == source_drive) else { return };
        let written = write_copy(source, &drive, &blob.blob_id, expected_md5.as_deref());
        match written {
            Ok(copy) => {
                count(&store.integrity.repaired);
                count(&drive.health.repaired);
                tracing::info!(drive = %drive.id, bucket = %blob.bucket, key = %blob.key, blob_id = %blob.blob_id, "wrote a good copy of the blob");
                check.repaired.push(drive.id.clone());
                good.retain(|(d, _)| d.id != drive.id);
                // A rewritten legacy source is now a checked copy: the better source.
                source_drive = drive.id.clone();
                good.push((drive, copy));
            }
            Err(e) => {
                drive.failed("writing a repaired copy", &e, true);
                tracing::warn!(drive = %drive.id, blob_id = %blob.blob_id, error = %e, "could not write a copy of the blob");
            }
        }
    }
}

/// Writes a copy of the blob `source` holds onto `drive`, with a fresh block table, and
/// puts it in place durably. A source without a block table must match `md5` as it is
/// read, or nothing is written.
fn write_copy(source: &Copy, drive: &Arc<Drive>, blob_id: &str, md5: Option<&[u8]>) -> io::Result<Copy> {
    let temp = drive.tmp_dir().join(format!("{blob_id}.{}.heal.tmp", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&temp)?;
        let mut sums = BlockSums::default();
        let mut hasher = Md5::new();
        let mut failed = None;
        source
            .verify_all(|piece| {
                sums.update(piece);
                hasher.update(piece);
                if failed.is_none() {
                    failed = file.write_all(piece).err();
                }
            })
            .map_err(|d| io::Error::other(format!("the source copy went bad: {d}")))?;
        if let Some(e) = failed {
            return Err(e);
        }
        if source.layout() == Layout::Legacy && md5.is_some_and(|m| hasher.finalize().as_slice() != m) {
            return Err(io::Error::other("the source copy changed while it was copied: its MD5 no longer matches"));
        }
        file.write_all(&sums.trailer(blob_id))?;
        file.sync_all()?;
        drive.health.fsyncs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        drop(file);
        place(drive, &temp, blob_id, super::blocks::file_len(source.len()))?;
        Copy::open(drive, blob_id, source.len()).map_err(|d| io::Error::other(format!("the new copy does not check out: {d}")))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Checks (and repairs) one blob on the blocking pool and records its copies. A blob
/// no row refers to any more (deleted since the caller found it) is left alone: `gone`.
pub async fn heal(store: &BlobStore, catalog: &Catalog, blob_id: &str, repair: bool) -> Result<BlobCheck, HealError> {
    let _pin = store.pin([blob_id.to_owned()]);
    // Pinned first, then looked up: the collector frees no pinned blob, so one still
    // referenced now stays on disk while it is checked.
    let Some(blob) = catalog.referenced_blob(blob_id).await? else {
        return Ok(BlobCheck { gone: true, ..BlobCheck::default() });
    };
    let recorded = catalog.blob_copies(&blob.blob_id).await?;
    let (s, r) = (store.clone(), recorded.clone());
    let check = tokio::task::spawn_blocking(move || check_blob(&s, &blob, &r, repair)).await?;
    if repair && !check.unrecoverable {
        if check.good.len() < store.copies {
            store.short_copies.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        let mut now = check.good.clone();
        now.sort();
        if now != recorded {
            catalog.set_blob_copies(blob_id, &now).await?;
        }
    }
    Ok(check)
}

/// How long a blob found whole is left alone by requests about copies merely missing
/// from drives it prefers (after drives were added, or while a stand-in holds a copy).
const CLEAN_QUIET: Duration = Duration::from_secs(600);

/// The background healer.
pub struct Healer {
    pub store: BlobStore,
    pub catalog: Catalog,
    pub queue: RepairQueue,
    /// Bytes per second a restore pass reads at most (never unlimited): adding copies
    /// after a drive returned, or to blobs from before drives and block checksums, must
    /// not starve client reads.
    pub restore_bytes_per_sec: u64,
}

/// When a blob was last checked, and whether it was found whole.
struct Checked {
    at: Instant,
    whole: bool,
}

impl Healer {
    /// Serves repair requests and probes degraded drives; restore passes run beside it,
    /// in a task of their own, so that a long pass never holds up either.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let restore_now = Arc::new(Notify::new());
        let restorer =
            tokio::spawn(restore_loop(self.store.clone(), self.catalog.clone(), self.restore_bytes_per_sec.max(1), restore_now.clone(), shutdown.clone()));
        let mut checked: HashMap<String, Checked> = HashMap::new();
        let mut probe_tick = tokio::time::interval(PROBE_INTERVAL);
        loop {
            tokio::select! {
                request = self.queue.0.recv() => {
                    let Some(request) = request else { break };
                    if let Some(last) = checked.get(&request.blob_id) {
                        // Many readers of one damaged blob ask many times: a request made
                        // before the blob's last check started was answered by it.
                        let answered = last.at > request.at;
                        let quiet = request.missing_only && last.whole && last.at.elapsed() < CLEAN_QUIET;
                        if answered || quiet {
                            continue;
                        }
                    }
                    if checked.len() >= 4096 {
                        checked.retain(|_, c| c.at.elapsed() < CLEAN_QUIET);
                        if checked.len() >= 4096 {
                            checked.clear();
                        }
                    }
                    let at = Instant::now();
                    let whole = self.repair_one(&request.blob_id).await;
                    checked.insert(request.blob_id, Checked { at, whole });
                }
                _ = probe_tick.tick() => {
                    if self.probe_degraded().await {
                        restore_now.notify_one();
                    }
                }
                _ = shutdown.changed() => break,
            }
        }
        let _ = restorer.await;
    }

    /// Checks and repairs one blob; true when it was found whole (nothing to do).
    async fn repair_one(&self, blob_id: &str) -> bool {
        if self.catalog.read_only_reason().is_some() {
            return false;
        }
        match heal(&self.store, &self.catalog, blob_id, true).await {
            Ok(check) => !check.gone && check.errors() == 0 && check.repaired.is_empty() && check.good.len() >= self.store.copies,
            Err(e) => {
                tracing::warn!(blob_id, error = %e, "repairing a blob failed; the scrubber will look at it again");
                false
            }
        }
    }

    /// Probes the degraded drives; true when one came back.
    async fn probe_degraded(&self) -> bool {
        let mut back = false;
        for drive in self.store.drives.all() {
            if drive.health.is_degraded() && probe(drive.clone()).await.is_ok() && drive.health.clear_degraded() {
                tracing::info!(drive = %drive.id, path = %drive.root.display(), "the drive answers again; restoring copies");
                back = true;
            }
        }
        back
    }
}

/// Runs a restore pass at start-up, whenever a drive comes back, and every few minutes
/// while some blob is known to have been left short of copies (the pass reads every
/// referenced row of the catalog, so it does not run for nothing).
async fn restore_loop(store: BlobStore, catalog: Catalog, bytes_per_sec: u64, now: Arc<Notify>, mut shutdown: watch::Receiver<bool>) {
    use std::sync::atomic::Ordering;
    let mut due = tokio::time::Instant::now() + Duration::from_secs(1);
    let mut first = true;
    loop {
        let asked = tokio::select! {
            _ = tokio::time::sleep_until(due) => false,
            _ = now.notified() => true,
            _ = shutdown.changed() => return,
        };
        due = tokio::time::Instant::now() + RESTORE_INTERVAL;
        let short = store.short_copies.swap(false, Ordering::SeqCst);
        if !(first || asked || short) {
            continue;
        }
        first = false;
        match restore(&store, &catalog, bytes_per_sec, &shutdown).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(copies = n, "restored copies of blobs that had too few"),
            Err(e) => {
                store.short_copies.store(true, Ordering::SeqCst);
                tracing::warn!(error = %e, "looking for blobs with too few copies failed; will retry");
            }
        }
    }
}

/// Brings every blob the catalog records on too few of the configured drives back to its
/// count, at `bytes_per_sec`; stops early on shutdown. Returns the copies written.
pub async fn restore(store: &BlobStore, catalog: &Catalog, bytes_per_sec: u64, shutdown: &watch::Receiver<bool>) -> Result<usize, HealError> {
    if catalog.read_only_reason().is_some() {
        return Ok(0);
    }
    let drives: Vec<String> = store.drives.all().iter().map(|d| d.id.clone()).collect();
    let mut after = String::new();
    let mut restored = 0;
    let mut pace = super::scrub::Pace::new(bytes_per_sec);
    loop {
        let page = catalog.under_replicated_blobs(store.copies, &drives, &after, 256).await?;
        let Some(last) = page.last() else { return Ok(restored) };
        after = last.blob_id.clone();
        for blob in page {
            if *shutdown.borrow() {
                return Ok(restored);
            }
            let check = heal(store, catalog, &blob.blob_id, true).await?;
            restored += check.repaired.len();
            pace.spent(check.bytes_read).await;
        }
    }
}
