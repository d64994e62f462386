//! Blob storage: object bytes as immutable files under the data dir.
//!
//! Owns the on-disk layout (`blobs/ab/cd/<uuid>`, `tmp/`), crash-safe writes and ranged
//! reads. A blob is named by a random UUID, never by an object key, so no key can reach
//! the filesystem. It knows nothing of buckets, keys or the catalog; which blobs are still
//! referenced is the catalog's business (see `gc.rs`). `space.rs` measures the free
//! space left on the data dir's filesystem against the reserve writes must leave.
//!
//! Layer 3 of `crate::LAYERS`: may import only `config` and `catalog` (the GC asks it what
//! is referenced).

mod fs;
pub mod gc;
pub mod space;

pub use fs::{BlobPin, BlobStore, BlobWriter, Digests, Hashes, ReadSegment, StagedBlob};

/// Failures of the blob store.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("blob i/o failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the blob writer stopped unexpectedly")]
    WriterGone,
}
