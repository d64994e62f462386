//! Blob storage: object bytes as immutable files on one or more drives.
//!
//! Owns the on-disk layout (`<drive>/blobs/ab/cd/<uuid>`, `<drive>/tmp/`), placement of
//! a blob's copies across drives (`drives.rs`), the block checksums every blob carries
//! (`blocks.rs`), crash-safe writes to all copies (`write.rs`), reads that verify every
//! block and fall back to another copy (`read.rs`), repairing and scrubbing (`heal.rs`,
//! `scrub.rs`) and freeing (`gc.rs`). A blob is named by a random UUID, never by an
//! object key, so no key can reach the filesystem. It knows nothing of buckets or keys;
//! which blobs are referenced, and by which drives they are held, is the catalog's
//! record. `space.rs` measures free space against the reserve writes must leave;
//! `once.rs` writes the small files several nodes may create at once (a drive's id, and
//! for `auth` the generated secrets).
//!
//! Layer 3 of `crate::LAYERS`: may import only `config` and `catalog` (the GC, the
//! healer and the scrubber ask it what is referenced).

pub mod blocks;
pub mod drives;
mod fs;
pub mod gc;
pub mod heal;
pub mod once;
mod read;
pub mod scrub;
pub mod space;
mod write;

pub use fs::{delete_copy, probe, BlobPin, BlobStore, IntegrityCounters, Redundancy, Repair, RepairQueue};
pub use read::{inline_intact, ReadSegment};
pub use write::{BlobWriter, Digests, Hashes, Persisted, StagedBlob};

/// Failures of the blob store.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("blob i/o failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("drive {drive}: {source}")]
    Drive {
        drive: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the blob writer stopped unexpectedly")]
    WriterGone,
    #[error("storage configuration: {0}")]
    Config(String),
}

impl StorageError {
    /// The I/O error underneath, if there is one.
    pub fn io(&self) -> Option<&std::io::Error> {
        match self {
            StorageError::Io(e) | StorageError::Drive { source: e, .. } => Some(e),
            _ => None,
        }
    }
}
