//! Drives: the directories blobs live on, their identity and health, and placement.
//!
//! Each drive is a directory holding `blobs/ab/cd/<uuid>`, `tmp/` and a `drive-id` file
//! written on first use; the catalog records copies by that id, so a drive may be
//! mounted elsewhere later. Without `--drive` the data dir is the only drive, laid out
//! as before drives existed.
//!
//! Placement is weighted rendezvous hashing: every (blob, drive) pair gets a stable
//! score, weighted by the drive's capacity; a blob's copies go to the best-scoring
//! drives that are healthy and have room. That spreads blobs evenly, fills drives of
//! different sizes in proportion, never puts two copies on one drive, and gives readers
//! the order in which to look for a blob without asking the catalog.
//!
//! A drive that fails an I/O (other than running out of space) is marked degraded:
//! new blobs avoid it and reads try it last. The healer probes degraded drives and
//! clears the mark once one writes and reads again. This module owns the per-drive
//! state and counters; it never reads a blob.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use md5::{Digest, Md5};

use super::space::{free_bytes, Space};

const ID_FILE: &str = "drive-id";

/// One drive.
#[derive(Debug)]
pub struct Drive {
    pub id: String,
    pub root: PathBuf,
    blobs: PathBuf,
    tmp: PathBuf,
    /// Placement weight: the filesystem's size in bytes (at least 1).
    weight: f64,
    /// Whether this start gave the drive its id (it held none: new, or not mounted).
    pub new: bool,
    pub health: DriveHealth,
}

/// What is known about a drive's state, and what was counted on it.
#[derive(Debug, Default)]
pub struct DriveHealth {
    degraded: AtomicBool,
    reason: Mutex<Option<String>>,
    pub write_errors: AtomicU64,
    pub read_errors: AtomicU64,
    /// Copies found damaged or missing (by reads and scrubs).
    pub integrity_errors: AtomicU64,
    /// Copies written by the healer.
    pub repaired: AtomicU64,
    /// Blob copies placed on the drive (new writes, stand-ins and repairs), and their
    /// bytes (block tables included).
    pub blob_writes: AtomicU64,
    pub bytes_written: AtomicU64,
    /// fsyncs of blob files and of the directories that hold them.
    pub fsyncs: AtomicU64,
}

impl DriveHealth {
    pub fn is_degraded(&self) -> bool {
        self.degraded.load(Ordering::SeqCst)
    }

    pub fn reason(&self) -> Option<String> {
        self.reason.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub(super) fn set_degraded(&self, reason: String) {
        *self.reason.lock().unwrap_or_else(PoisonError::into_inner) = Some(reason);
        self.degraded.store(true, Ordering::SeqCst);
    }

    pub(super) fn clear_degraded(&self) -> bool {
        *self.reason.lock().unwrap_or_else(PoisonError::into_inner) = None;
        self.degraded.swap(false, Ordering::SeqCst)
    }
}

/// Whether an I/O error means the drive is out of space (not broken).
pub fn is_full(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded)
}

/// Whether an I/O error is the process running short (of file descriptors or memory),
/// which says nothing about the drive.
fn is_process_limit(e: &io::Error) -> bool {
    use rustix::io::Errno;
    [Errno::MFILE, Errno::NFILE, Errno::NOMEM].iter().any(|errno| e.raw_os_error() == Some(errno.raw_os_error()))
}

impl Drive {
    /// Opens (creating if needed) a drive directory and reads or writes its id.
    pub fn open(root: &Path) -> io::Result<Drive> {
        let blobs = root.join("blobs");
        let tmp = root.join("tmp");
        fs::create_dir_all(&blobs)?;
        fs::create_dir_all(&tmp)?;
        let id_path = root.join(ID_FILE);
        let mut new = false;
        let id = match fs::read_to_string(&id_path) {
            Ok(id) => id.trim().to_owned(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Nodes sharing the drive may start together: the first id published wins.
                let id = uuid::Uuid::new_v4().simple().to_string();
                match super::once::publish_once(&id_path, id.as_bytes(), 0o644)? {
                    super::once::Published::Here => {
                        new = true;
                        id
                    }
                    super::once::Published::Existing => fs::read_to_string(&id_path)?.trim().to_owned(),
                }
            }
            Err(e) => return Err(e),
        };
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(io::Error::other(format!("{} does not hold a drive id", id_path.display())));
        }
        let stat = rustix::fs::statvfs(root)?;
        let weight = (stat.f_blocks.saturating_mul(stat.f_frsize) as f64).max(1.0);
        Ok(Drive { id, root: root.to_path_buf(), blobs, tmp, weight, new, health: DriveHealth::default() })
    }

    /// The final path of a blob on this drive: `blobs/ab/cd/<id>`.
    pub fn blob_path(&self, blob_id: &str) -> PathBuf {
        let (a, b) = (blob_id.get(0..2).unwrap_or("00"), blob_id.get(2..4).unwrap_or("00"));
        self.blobs.join(a).join(b).join(blob_id)
    }

    pub fn blobs_dir(&self) -> &Path {
        &self.blobs
    }

    pub fn tmp_dir(&self) -> &Path {
        &self.tmp
    }

    /// The drive's free space against `min_free_bytes`.
    pub fn space(&self, min_free_bytes: u64) -> io::Result<Space> {
        Ok(Space { free_bytes: free_bytes(&self.blobs)?, min_free_bytes })
    }

    /// Counts a failed I/O: out of space, and the process out of file descriptors or
    /// memory, are no fault of the drive; anything else (a missing directory included)
    /// marks it degraded. A missing blob file is not an I/O failure: readers tell it
    /// apart before they get here.
    pub fn failed(&self, what: &str, e: &io::Error, writing: bool) {
        let counter = if writing { &self.health.write_errors } else { &self.health.read_errors };
        counter.fetch_add(1, Ordering::Relaxed);
        if is_process_limit(e) {
            tracing::error!(drive = %self.id, error = %e, "{what} failed: the process is out of file descriptors or memory");
        } else if !is_full(e) {
            if !self.health.is_degraded() {
                tracing::error!(drive = %self.id, path = %self.root.display(), error = %e, "{what} failed; the drive is marked degraded");
            }
            self.health.set_degraded(format!("{what}: {e}"));
        }
    }

    /// The rendezvous score of a blob on this drive (higher is preferred).
    fn score(&self, blob_id: &str) -> f64 {
        let digest = Md5::new().chain_update(blob_id.as_bytes()).chain_update(b"\0").chain_update(self.id.as_bytes()).finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        // Uniform in (0, 1]; -ln of it is exponential, and dividing the weight by it
        // picks each drive in proportion to its weight.
        let u = (u64::from_le_bytes(first) >> 11) as f64 / (1u64 << 53) as f64;
        let u = u.max(f64::MIN_POSITIVE);
        self.weight / -u.ln().min(-f64::MIN_POSITIVE)
    }
}

/// The drives of a store.
#[derive(Debug, Clone)]
pub struct Drives {
    all: Arc<Vec<Arc<Drive>>>,
}

impl Drives {
    /// Opens the given directories as drives. The same directory (or drive id) twice is
    /// an error: two copies on one drive would not be two copies.
    pub fn open(roots: &[PathBuf]) -> io::Result<Drives> {
        let mut all: Vec<Arc<Drive>> = Vec::with_capacity(roots.len());
        for root in roots {
            let drive = Drive::open(root).map_err(|e| io::Error::new(e.kind(), format!("drive {}: {e}", root.display())))?;
            if let Some(other) = all.iter().find(|d| d.id == drive.id) {
                return Err(io::Error::other(format!("{} and {} are the same drive (id {})", other.root.display(), root.display(), drive.id)));
            }
            all.push(Arc::new(drive));
        }
        if all.is_empty() {
            return Err(io::Error::other("no drives"));
        }
        Ok(Drives { all: Arc::new(all) })
    }

    pub fn all(&self) -> &[Arc<Drive>] {
        &self.all
    }

    /// Every drive in the blob's preference order: healthy drives by score, then
    /// degraded ones. Readers look for a blob in this order; writers place its copies
    /// on the first drives that have room.
    pub fn preference(&self, blob_id: &str) -> Vec<Arc<Drive>> {
        let mut ranked: Vec<(bool, f64, Arc<Drive>)> = self.all.iter().map(|d| (d.health.is_degraded(), d.score(blob_id), d.clone())).collect();
        ranked.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        ranked.into_iter().map(|(_, _, d)| d).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drives(n: usize) -> (Vec<tempfile::TempDir>, Drives) {
        let dirs: Vec<tempfile::TempDir> = (0..n).map(|_| tempfile::tempdir().unwrap()).collect();
        let roots: Vec<PathBuf> = dirs.iter().map(|d| d.path().to_path_buf()).collect();
        let drives = Drives::open(&roots).unwrap();
        (dirs, drives)
    }

    #[test]
    fn a_drive_keeps_its_id_and_one_directory_cannot_be_two_drives() {
        let dir = tempfile::tempdir().unwrap();
        let first = Drive::open(dir.path()).unwrap().id;
        assert_eq!(Drive::open(dir.path()).unwrap().id, first);
        let twice = Drives::open(&[dir.path().to_path_buf(), dir.path().to_path_buf()]);
        assert!(twice.unwrap_err().to_string().contains("same drive"));
    }

    #[test]
    fn placement_spreads_blobs_evenly_and_is_stable() {
        let (_dirs, drives) = drives(4);
        let mut firsts = std::collections::HashMap::new();
        for i in 0..4000 {
            let id = format!("{i:032x}");
            let order = drives.preference(&id);
            assert_eq!(order.len(), 4);
            assert_eq!(order.iter().map(|d| &d.id).collect::<std::collections::HashSet<_>>().len(), 4, "each drive once");
            assert_eq!(order[0].id, drives.preference(&id)[0].id, "stable");
            *firsts.entry(order[0].id.clone()).or_insert(0) += 1;
        }
        // Same-sized drives (one filesystem): about 1000 each.
        for (id, n) in firsts {
            assert!((800..1200).contains(&n), "drive {id} first for {n} of 4000 blobs");
        }
    }

    #[test]
    fn drives_take_blobs_in_proportion_to_their_size() {
        let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
        // One drive twice the size of each of the others.
        let all: Vec<Arc<Drive>> =
            dirs.iter().zip([2.0, 1.0, 1.0]).map(|(dir, weight)| Arc::new(Drive { weight, ..Drive::open(dir.path()).unwrap() })).collect();
        let drives = Drives { all: Arc::new(all) };
        let big = drives.all()[0].id.clone();
        let n = 8000;
        let firsts = (0..n).filter(|i| drives.preference(&format!("{i:032x}"))[0].id == big).count();
        // Half the blobs put their first copy on the drive holding half the space.
        assert!((3600..4400).contains(&firsts), "the big drive is first for {firsts} of {n} blobs");
    }

    #[test]
    fn degraded_drives_come_last() {
        let (_dirs, drives) = drives(3);
        let id = "0123456789abcdef0123456789abcdef";
        let first = drives.preference(id)[0].clone();
        first.failed("test write", &io::Error::other("boom"), true);
        assert!(first.health.is_degraded());
        assert_eq!(drives.preference(id)[2].id, first.id);
        first.failed("test write", &io::Error::from(io::ErrorKind::StorageFull), true);
        assert!(first.health.clear_degraded());
        assert_eq!(drives.preference(id)[0].id, first.id);
        // A full disk is not a broken one.
        first.failed("test write", &io::Error::from(io::ErrorKind::StorageFull), true);
        assert!(!first.health.is_degraded());
    }
}
