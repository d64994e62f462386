//! Free space on the drives' (and the data dir's) filesystems, and the reserve kept there.
//!
//! Writes that grow storage are refused while the free space, less what the write
//! declares it will bring, is below a reserve (`DEPOT_MIN_FREE_BYTES`). The reserve is
//! what deletes need (the catalog grows a little with each: a delete marker or a GC
//! queue row, and an event), so that an operator can still free space through the API
//! on a disk that is "full", and what the catalog needs to keep committing. Reads and
//! deletes are never refused here.

use std::io;
use std::path::Path;

use std::sync::Arc;

use super::drives::Drive;
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
    /// The free space of each drive against the reserve (an error for a drive that
    /// cannot be measured), in the order the drives were given.
    pub async fn spaces(&self) -> Vec<(Arc<Drive>, Result<Space, StorageError>)> {
        let drives = self.drives().all().to_vec();
        let min_free_bytes = self.min_free_bytes;
        let measured = tokio::task::spawn_blocking(move || {
            drives
                .into_iter()
                .map(|d| {
                    let space = d.space(min_free_bytes).map_err(|source| StorageError::Drive { drive: d.id.clone(), source });
                    (d, space)
                })
                .collect::<Vec<_>>()
        })
        .await;
        measured.unwrap_or_default()
    }

    /// Whether a write of `incoming` bytes (0 when not known) finds room: at least the
    /// write quorum of healthy drives keep their reserve after it.
    pub async fn room_for(&self, incoming: u64) -> Room {
        let spaces = self.spaces().await;
        let healthy: Vec<Space> = spaces.into_iter().filter(|(d, _)| !d.health.is_degraded()).filter_map(|(_, s)| s.ok()).collect();
        if healthy.iter().filter(|s| s.admits(incoming)).count() >= self.write_quorum {
            Room::Enough
        } else if healthy.len() >= self.write_quorum {
            Room::Full
        } else {
            Room::TooFewDrives
        }
    }
}

/// Whether a write can go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Room {
    Enough,
    /// Enough drives work, but too few of them have room above the reserve.
    Full,
    /// Fewer drives work (healthy, measurable) than the write quorum.
    TooFewDrives,
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
