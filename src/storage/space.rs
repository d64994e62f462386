//! Free space on the data dir's filesystem, and the reserve kept there.
//!
//! Writes that grow storage are refused while the free space, less what the write
//! declares it will bring, is below a reserve (`DEPOT_MIN_FREE_BYTES`). The reserve is
//! what deletes need (the catalog grows a little with each: a delete marker or a GC
//! queue row, and an event), so that an operator can still free space through the API
//! on a disk that is "full", and what the catalog needs to keep committing. Reads and
//! deletes are never refused here.

use std::io;
use std::path::Path;

use super::{BlobStore, StorageError};

/// The free space of the data dir's filesystem against the reserve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Space {
    /// Bytes available to the server (`f_bavail`, not counting blocks kept for root).
    pub free_bytes: u64,
    /// The reserve writes must leave free.
    pub min_free_bytes: u64,
}

impl Space {
    /// Whether a write bringing `incoming` bytes (0 when not known) keeps the reserve.
    /// A reserve of 0 turns the check off.
    pub fn admits(&self, incoming: u64) -> bool {
        self.min_free_bytes == 0 || self.free_bytes.saturating_sub(incoming) >= self.min_free_bytes
    }

    /// Whether the reserve is reached already: every write that grows storage is refused.
    pub fn is_low(&self) -> bool {
        !self.admits(0)
    }
}

impl BlobStore {
    /// The free space of the filesystem the blobs are on, against `min_free_bytes`.
    pub async fn space(&self, min_free_bytes: u64) -> Result<Space, StorageError> {
        let dir = self.blobs_dir().to_path_buf();
        let free_bytes = tokio::task::spawn_blocking(move || free_bytes(&dir)).await.map_err(|_| StorageError::WriterGone)??;
        Ok(Space { free_bytes, min_free_bytes })
    }
}

/// Bytes available to unprivileged writers on the filesystem of `path` (as `df` shows).
pub fn free_bytes(path: &Path) -> io::Result<u64> {
    let stat = rustix::fs::statvfs(path)?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserve_counts_what_a_write_declares() {
        let space = Space { free_bytes: 10 << 20, min_free_bytes: 4 << 20 };
        assert!(space.admits(0) && space.admits(6 << 20));
        assert!(!space.admits((6 << 20) + 1));
        assert!(!space.is_low());
        let full = Space { free_bytes: 3 << 20, min_free_bytes: 4 << 20 };
        assert!(full.is_low() && !full.admits(0));
        let off = Space { free_bytes: 0, min_free_bytes: 0 };
        assert!(off.admits(u64::MAX) && !off.is_low());
    }

    #[test]
    fn free_bytes_of_a_real_directory() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(free_bytes(dir.path()).expect("statvfs") > 0);
        assert!(free_bytes(&dir.path().join("missing")).is_err());
    }
}
