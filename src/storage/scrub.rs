//! Scrubbing: walking every referenced blob (and every inline object) at a set rate,
//! checking each copy block by block and against its MD5, the number of copies, and
//! (with repair) fixing what it finds through [`heal`]. The background scrubber runs a
//! pass per interval; `depot scrub` runs one on demand, and `depot fsck` asks the
//! lighter question of whether every referenced blob has its copies in place and no
//! unreferenced blob has outstayed the grace period.

use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use super::read::inline_intact;
use tokio::sync::watch;

use super::blocks::{Damage, Layout};
use super::fs::count;
use super::heal::{heal, HealError};
use super::read::Copy;
use super::BlobStore;
use crate::catalog::{now_ms, Catalog};

/// Blobs read from the catalog at a time.
const PAGE: i64 = 256;

/// What to scrub and how.
#[derive(Debug, Clone, Default)]
pub struct ScrubOptions {
    /// Rewrite damaged copies and add missing ones.
    pub repair: bool,
    /// Only this bucket's objects.
    pub bucket: Option<String>,
    /// Bytes per second to read at most; 0: as fast as the drives go.
    pub bytes_per_sec: u64,
}

/// An object that lost data: no good copy of one of its blobs, or its inline bytes
/// damaged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lost {
    pub bucket: String,
    pub key: String,
    pub version_id: String,
}

/// What a scrub found and did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScrubReport {
    pub blobs_checked: u64,
    pub inline_checked: u64,
    pub bytes_read: u64,
    /// Copies found damaged or missing (and inline parts found damaged).
    pub errors: u64,
    /// Copies written.
    pub repaired: u64,
    /// Blobs with fewer good copies than asked for, after the scrub.
    pub under_replicated: u64,
    pub unrecoverable: Vec<Lost>,
    pub seconds: f64,
}

impl ScrubReport {
    /// A report for people.
    pub fn render(&self) -> String {
        let mut out = format!(
            "Scrub: {} blobs and {} inline objects checked, {} bytes read in {:.1}s\n  errors found: {}\n  copies repaired: {}\n  blobs short of copies: {}\n  unrecoverable: {}\n",
            self.blobs_checked,
            self.inline_checked,
            self.bytes_read,
            self.seconds,
            self.errors,
            self.repaired,
            self.under_replicated,
            self.unrecoverable.len()
        );
        for lost in &self.unrecoverable {
            let version = if lost.version_id.is_empty() { "(multipart upload in progress)" } else { lost.version_id.as_str() };
            out.push_str(&format!("    {}/{} version {}\n", lost.bucket, lost.key, version));
        }
        out
    }
}

/// Holds a scrub to its rate: after each blob it sleeps until the bytes read so far fit
/// the rate since the start.
pub struct Pace {
    bytes_per_sec: u64,
    started: tokio::time::Instant,
    bytes: u64,
}

impl Pace {
    /// A pace of `bytes_per_sec` (0: no limit) from now.
    pub fn new(bytes_per_sec: u64) -> Self {
        Pace { bytes_per_sec, started: tokio::time::Instant::now(), bytes: 0 }
    }

    /// Counts `bytes` read and waits as long as the rate asks.
    pub async fn spent(&mut self, bytes: u64) {
        self.bytes += bytes;
        if self.bytes_per_sec == 0 {
            return;
        }
        let due = self.started + Duration::from_secs_f64(self.bytes as f64 / self.bytes_per_sec as f64);
        tokio::time::sleep_until(due).await;
    }
}

/// Runs one scrub pass over the catalog's blobs and inline objects.
pub async fn scrub(store: &BlobStore, catalog: &Catalog, options: &ScrubOptions) -> Result<ScrubReport, HealError> {
    let started = std::time::Instant::now();
    let mut report = ScrubReport::default();
    let mut pace = Pace::new(options.bytes_per_sec);
    let mut after = String::new();
    loop {
        let page = catalog.referenced_blobs(&after, PAGE, options.bucket.as_deref()).await?;
        let Some(last) = page.last() else { break };
        after = last.blob_id.clone();
        for blob in page {
            let lost = Lost { bucket: blob.bucket.clone(), key: blob.key.clone(), version_id: blob.version_id.clone() };
            let check = heal(store, catalog, &blob.blob_id, options.repair).await?;
            if check.gone {
                continue;
            }
            report.blobs_checked += 1;
            report.bytes_read += check.bytes_read;
            count(&store.integrity.scrubbed_blobs);
            store.integrity.scrubbed_bytes.fetch_add(check.bytes_read, Ordering::Relaxed);
            report.errors += check.errors() as u64;
            report.repaired += check.repaired.len() as u64;
            if check.unrecoverable {
                report.unrecoverable.push(lost);
            } else if check.good.len() < store.copies() {
                report.under_replicated += 1;
            }
            pace.spent(check.bytes_read).await;
        }
    }
    let mut after = (0i64, 0i64);
    loop {
        let page = catalog.inline_parts(after, PAGE, options.bucket.as_deref()).await?;
        let Some(last) = page.last() else { break };
        after = (last.object_id, last.part_number);
        for part in page {
            report.inline_checked += 1;
            report.bytes_read += part.data.len() as u64;
            if !inline_intact(&part.data, &part.md5_hex) {
                report.errors += 1;
                count(&store.integrity.errors);
                tracing::error!(bucket = %part.bucket, key = %part.key, version_id = %part.version_id, "an inline object's bytes do not match their MD5");
                report.unrecoverable.push(Lost { bucket: part.bucket, key: part.key, version_id: part.version_id });
            }
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The background scrubber: a pass per interval at the configured rate, with repair.
pub struct Scrubber {
    pub store: BlobStore,
    pub catalog: Catalog,
    pub bytes_per_sec: u64,
    pub interval: Duration,
}

impl Scrubber {
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        if self.bytes_per_sec == 0 {
            return;
        }
        let options = ScrubOptions { repair: true, bucket: None, bytes_per_sec: self.bytes_per_sec };
        let mut next = tokio::time::Instant::now() + Duration::from_secs(60).min(self.interval);
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(next) => {}
                _ = shutdown.changed() => return,
            }
            next = tokio::time::Instant::now() + self.interval;
            let pass = tokio::select! {
                pass = scrub(&self.store, &self.catalog, &options) => pass,
                _ = shutdown.changed() => return,
            };
            match pass {
                Ok(report) => {
                    let finished = now_ms();
                    count(&self.store.integrity.scrub_passes);
                    self.store.integrity.last_scrub_ms.store(finished, Ordering::Relaxed);
                    if report.errors > 0 || !report.unrecoverable.is_empty() {
                        tracing::warn!(errors = report.errors, repaired = report.repaired, unrecoverable = report.unrecoverable.len(), "scrub found damage");
                    } else {
                        tracing::info!(blobs = report.blobs_checked, bytes = report.bytes_read, "scrub pass found nothing wrong");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "scrub pass failed; the next one starts on schedule"),
            }
        }
    }
}

/// What `depot fsck` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FsckReport {
    pub blobs_referenced: u64,
    /// Referenced blobs with no usable copy (object: bucket, key, version).
    pub missing: Vec<Lost>,
    /// Referenced blobs with fewer copies in place than asked for.
    pub under_replicated: u64,
    /// Referenced blobs whose copies in place differ from the catalog's record.
    pub record_differs: u64,
    /// Copies from before block checksums.
    pub legacy_copies: u64,
    /// Copies in place but the wrong length or with a damaged footer (counted apart from
    /// the copies in place).
    pub damaged_copies: u64,
    /// Blob files no row refers to that are older than the grace period.
    pub unreferenced: Vec<String>,
}

impl FsckReport {
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.under_replicated == 0 && self.record_differs == 0 && self.damaged_copies == 0 && self.unreferenced.is_empty()
    }

    pub fn render(&self) -> String {
        let mut out = format!(
            "Fsck: {} blobs referenced\n  missing (no usable copy): {}\n  short of copies: {}\n  damaged copies (length or footer): {}\n  copies differing from the catalog's record: {}\n  copies without block checksums: {}\n  unreferenced blob files past the grace period: {}\n",
            self.blobs_referenced,
            self.missing.len(),
            self.under_replicated,
            self.damaged_copies,
            self.record_differs,
            self.legacy_copies,
            self.unreferenced.len()
        );
        for lost in &self.missing {
            out.push_str(&format!("    missing: {}/{} version {}\n", lost.bucket, lost.key, lost.version_id));
        }
        for path in &self.unreferenced {
            out.push_str(&format!("    unreferenced: {path}\n"));
        }
        out.push_str(if self.is_clean() { "clean\n" } else { "problems found\n" });
        out
    }
}

/// Checks the catalog against the drives: each referenced blob's copies are in place
/// (right length, footer intact; blocks are the scrubber's business) on as many drives
/// as asked and as recorded, and no blob file older than `grace` is unreferenced.
pub async fn fsck(store: &BlobStore, catalog: &Catalog, grace: Duration) -> Result<FsckReport, HealError> {
    let mut report = FsckReport::default();
    let mut after = String::new();
    loop {
        let page = catalog.referenced_blobs(&after, PAGE, None).await?;
        let Some(last) = page.last() else { break };
        after = last.blob_id.clone();
        for blob in page {
            report.blobs_referenced += 1;
            let mut recorded = catalog.blob_copies(&blob.blob_id).await?;
            recorded.sort();
            let (s, id, len) = (store.clone(), blob.blob_id.clone(), blob.size.max(0) as u64);
            let opened =
                tokio::task::spawn_blocking(move || s.drives().all().iter().map(|d| (d.id.clone(), Copy::open(d, &id, len))).collect::<Vec<_>>()).await?;
            let mut present = Vec::new();
            for (drive, copy) in opened {
                match copy {
                    Ok(copy) => present.push((drive, copy.layout() == Layout::Legacy)),
                    Err(Damage::Missing) => {}
                    Err(damage) => {
                        tracing::warn!(drive = %drive, blob_id = %blob.blob_id, error = %damage, "fsck: a damaged copy");
                        report.damaged_copies += 1;
                    }
                }
            }
            let mut found: Vec<String> = present.iter().map(|(id, _)| id.clone()).collect();
            found.sort();
            report.legacy_copies += present.iter().filter(|(_, legacy)| *legacy).count() as u64;
            if found.is_empty() {
                report.missing.push(Lost { bucket: blob.bucket, key: blob.key, version_id: blob.version_id });
                continue;
            }
            if found.len() < store.copies() {
                report.under_replicated += 1;
            }
            if !recorded.is_empty() && found != recorded {
                report.record_differs += 1;
            }
        }
    }
    let cutoff = SystemTime::now().checked_sub(grace).unwrap_or(SystemTime::UNIX_EPOCH);
    for drive in store.drives().all() {
        let dir = drive.blobs_dir().to_path_buf();
        let files = tokio::task::spawn_blocking(move || super::gc::old_files(&dir, None, cutoff)).await?;
        for path in files {
            let Some(blob_id) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else { continue };
            if !catalog.blob_is_referenced(&blob_id).await? {
                report.unreferenced.push(path.display().to_string());
            }
        }
    }
    Ok(report)
}
