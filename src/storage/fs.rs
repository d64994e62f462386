//! The blob store: where blobs live (drives and copies), who is reading them (pins),
//! and removing them. Writing is in `write.rs`, verified reading in `read.rs`.
//!
//! A blob is written to `copies` drives at once (see [`super::drives`] for placement)
//! and acknowledged once `write_quorum` of them are durable. Damage a reader or the
//! scrubber finds goes to the healer's queue ([`RepairQueue`]); this module never
//! repairs anything itself.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::mpsc;

use super::drives::{Drive, Drives};
use super::{ReadSegment, StorageError};

/// How many repair requests may wait for the healer; more are dropped (the scrubber
/// finds what they were about).
const REPAIR_QUEUE: usize = 1024;

/// Where blobs live.
#[derive(Debug, Clone)]
pub struct BlobStore {
    pub(super) drives: Drives,
    pub(super) copies: usize,
    pub(super) write_quorum: usize,
    pub(super) min_free_bytes: u64,
    pins: Arc<Pins>,
    repairs: mpsc::Sender<Repair>,
    pub integrity: Arc<IntegrityCounters>,
    /// Set when a blob was left with fewer copies than asked for (a write that lost a
    /// drive, a repair with no room): the healer's periodic restore pass runs only then.
    pub(super) short_copies: Arc<std::sync::atomic::AtomicBool>,
}

/// How a store places and acknowledges blobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redundancy {
    /// Drives that hold each blob.
    pub copies: usize,
    /// Copies that must be durable before a write is acknowledged.
    pub write_quorum: usize,
    /// Free bytes a drive keeps: a drive below it takes no new blobs.
    pub min_free_bytes: u64,
}

/// A blob to check and bring back to its number of good copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    pub blob_id: String,
    /// The length of the blob's data.
    pub len: u64,
    /// When the damage was seen.
    pub at: std::time::Instant,
    /// Only copies missing from preferred drives were met, no damage: a blob the healer
    /// recently found whole is left alone.
    pub missing_only: bool,
}

/// The healer's end of the repair queue.
pub struct RepairQueue(pub mpsc::Receiver<Repair>);

/// Integrity findings of this process, for metrics.
#[derive(Debug, Default)]
pub struct IntegrityCounters {
    /// Copies found damaged or missing where they were expected.
    pub errors: AtomicU64,
    /// Copies the healer wrote again.
    pub repaired: AtomicU64,
    /// Reads that found no good copy (the client got an error, never wrong bytes).
    pub unrecoverable: AtomicU64,
    /// Blobs and bytes (every copy) the scrubber has checked.
    pub scrubbed_blobs: AtomicU64,
    pub scrubbed_bytes: AtomicU64,
    /// Scrub passes finished, and when the last one did (Unix ms; 0: none yet).
    pub scrub_passes: AtomicU64,
    pub last_scrub_ms: std::sync::atomic::AtomicI64,
}

/// How many readers hold each blob, by blob id.
#[derive(Debug, Default)]
struct Pins(Mutex<HashMap<String, usize>>);

impl Pins {
    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        // The map stays consistent whatever panicked while it was held: each update is
        // a single insert or remove.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Blobs a response (or a copy) is still reading: while this is held, the collector
/// neither frees them from its queue nor sweeps them as orphans. Dropping it lets go.
#[must_use = "the blobs are pinned only while this is held"]
#[derive(Debug)]
pub struct BlobPin {
    pins: Arc<Pins>,
    blob_ids: Vec<String>,
}

impl Drop for BlobPin {
    fn drop(&mut self) {
        let mut counts = self.pins.counts();
        for id in &self.blob_ids {
            if let Some(n) = counts.get_mut(id) {
                *n -= 1;
                if *n == 0 {
                    counts.remove(id);
                }
            }
        }
    }
}

impl BlobStore {
    /// Opens (creating if needed) the given drive directories.
    pub fn open(roots: &[PathBuf], redundancy: Redundancy) -> Result<(Self, RepairQueue), StorageError> {
        let drives = Drives::open(roots)?;
        let n = drives.all().len();
        let Redundancy { copies, write_quorum, min_free_bytes } = redundancy;
        if copies == 0 || copies > n {
            return Err(StorageError::Config(format!("{copies} copies need as many drives, and there are {n}")));
        }
        if write_quorum == 0 || write_quorum > copies {
            return Err(StorageError::Config(format!("the write quorum must be between 1 and the number of copies ({copies}), not {write_quorum}")));
        }
        let (tx, rx) = mpsc::channel(REPAIR_QUEUE);
        let store = BlobStore {
            drives,
            copies,
            write_quorum,
            min_free_bytes,
            pins: Arc::default(),
            repairs: tx,
            integrity: Arc::default(),
            short_copies: Arc::default(),
        };
        Ok((store, RepairQueue(rx)))
    }

    /// One drive, one copy, no reserve: for tests and tools.
    pub fn single(dir: &std::path::Path) -> Result<Self, StorageError> {
        Ok(Self::open(&[dir.to_path_buf()], Redundancy { copies: 1, write_quorum: 1, min_free_bytes: 0 })?.0)
    }

    pub fn drives(&self) -> &Drives {
        &self.drives
    }

    /// Drives that hold each blob.
    pub fn copies(&self) -> usize {
        self.copies
    }

    /// The copies a write waits for.
    pub fn write_quorum(&self) -> usize {
        self.write_quorum
    }

    /// Asks the healer to look at a blob; dropped when the queue is full.
    pub fn request_repair(&self, blob_id: &str, len: u64, missing_only: bool) {
        let _ = self.repairs.try_send(Repair { blob_id: blob_id.to_owned(), len, at: std::time::Instant::now(), missing_only });
    }

    /// Pins blobs until the returned guard is dropped (see [`BlobPin`]).
    pub fn pin(&self, blob_ids: impl IntoIterator<Item = String>) -> BlobPin {
        let blob_ids: Vec<String> = blob_ids.into_iter().collect();
        let mut counts = self.pins.counts();
        for id in &blob_ids {
            *counts.entry(id.clone()).or_insert(0) += 1;
        }
        drop(counts);
        BlobPin { pins: self.pins.clone(), blob_ids }
    }

    /// Whether a read in progress holds the blob.
    pub fn is_pinned(&self, blob_id: &str) -> bool {
        self.pins.counts().contains_key(blob_id)
    }

    /// Writes the bytes of `segments` into a new staged blob (server-side copies).
    pub async fn copy(&self, segments: Vec<ReadSegment>, hashes: super::Hashes) -> Result<super::StagedBlob, StorageError> {
        let mut source = self.read(segments);
        let mut writer = self.writer(hashes);
        while let Some(chunk) = source.recv().await {
            writer.write(chunk?).await?;
        }
        writer.finish().await
    }

    /// Removes a blob's copies from every drive; a missing file is not an error. A drive
    /// that cannot remove its copy (broken, read-only) is counted, logged and marked
    /// degraded, and the others go on: one bad drive must not stop freeing space on the
    /// rest. What it still holds is unreferenced and goes with the orphan sweep once it
    /// works again.
    pub async fn delete(&self, blob_id: &str) -> Result<(), StorageError> {
        for drive in self.drives.all() {
            if let Err(e) = delete_copy(drive, blob_id).await {
                if let Some(io) = e.io() {
                    drive.failed("removing a blob", io, true);
                }
                tracing::warn!(drive = %drive.id, blob_id, error = %e, "could not remove a copy of a freed blob; the orphan sweeper will");
            }
        }
        Ok(())
    }

    /// Health check: a probe file can be written, synced and removed on each drive.
    /// Returns each drive's outcome, by drive id.
    pub async fn check(&self) -> Vec<(Arc<Drive>, Result<(), StorageError>)> {
        let mut out = Vec::with_capacity(self.drives.all().len());
        for drive in self.drives.all() {
            let result = probe(drive.clone()).await;
            out.push((drive.clone(), result));
        }
        out
    }
}

/// Removes one drive's copy of a blob; a missing file is not an error.
pub async fn delete_copy(drive: &Drive, blob_id: &str) -> Result<(), StorageError> {
    match tokio::fs::remove_file(drive.blob_path(blob_id)).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StorageError::Drive { drive: drive.id.clone(), source: e }),
    }
}

/// Writes, syncs and removes a probe file on a drive.
pub async fn probe(drive: Arc<Drive>) -> Result<(), StorageError> {
    let path = drive.tmp_dir().join(format!("health-{}.tmp", uuid::Uuid::new_v4().simple()));
    let id = drive.id.clone();
    tokio::task::spawn_blocking(move || -> io::Result<()> {
        let mut f = File::create(&path)?;
        f.write_all(b"ok")?;
        f.sync_all()?;
        std::fs::remove_file(&path)?;
        std::fs::read_dir(drive.blobs_dir())?.next().transpose()?;
        Ok(())
    })
    .await
    .map_err(|_| StorageError::WriterGone)?
    .map_err(|source| StorageError::Drive { drive: id, source })
}

pub(super) fn count(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::time::{Duration, Instant};

    use bytes::Bytes;
    use s3api::checksum::ChecksumAlgorithm;

    use super::*;
    use crate::storage::blocks;
    use crate::storage::read::READ_CHUNK;
    use crate::storage::write::WRITE_BATCH;
    use crate::storage::{Digests, Hashes, Persisted};

    fn only_drive(store: &BlobStore) -> &Arc<Drive> {
        &store.drives().all()[0]
    }

    #[tokio::test]
    async fn an_abandoned_write_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::single(dir.path()).unwrap();
        // Dropped at once, most writers are given up before their thread created the file.
        for _ in 0..50 {
            let mut writer = store.writer(Hashes::default());
            let _ = writer.write(Bytes::from_static(b"partial")).await;
            drop(writer);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while fs::read_dir(only_drive(&store).tmp_dir()).unwrap().count() > 0 {
            assert!(Instant::now() < deadline, "temp files left behind");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn a_blob_of_many_batches_is_written_whole_with_its_digests_and_block_table() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::single(dir.path()).unwrap();
        let data: Vec<u8> = (0..3 * WRITE_BATCH + 12345).map(|i| (i % 251) as u8).collect();
        let hashes = Hashes::of([ChecksumAlgorithm::Crc32]);
        let mut writer = store.writer(hashes.clone());
        for piece in data.chunks(100_000) {
            writer.write(Bytes::copy_from_slice(piece)).await.unwrap();
        }
        let staged = writer.finish().await.unwrap();
        let expected = Digests::of(&data, &hashes);
        assert_eq!((staged.digests.size, staged.digests.md5), (expected.size, expected.md5));
        assert_eq!(staged.digests.checksums, expected.checksums);
        let persisted = staged.persist().await.unwrap();
        assert_eq!(persisted.drives, vec![only_drive(&store).id.clone()]);
        let file = fs::read(only_drive(&store).blob_path(&persisted.id)).unwrap();
        assert_eq!(file.len() as u64, blocks::file_len(data.len() as u64));
        assert_eq!(&file[..data.len()], &data[..]);
    }

    async fn put(store: &BlobStore, data: &[u8]) -> Persisted {
        let mut writer = store.writer(Hashes::default());
        writer.write(Bytes::copy_from_slice(data)).await.unwrap();
        writer.finish().await.unwrap().persist().await.unwrap()
    }

    async fn read_all(store: &BlobStore, id: &str, len: u64, offset: u64, n: u64) -> std::io::Result<Vec<u8>> {
        let mut rx = store.read(vec![ReadSegment::Blob { blob_id: id.to_owned(), blob_len: len, offset, len: n }]);
        let mut out = Vec::new();
        while let Some(chunk) = rx.recv().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn a_read_pins_its_blobs_until_it_ends() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::single(dir.path()).unwrap();
        let len = 3 * READ_CHUNK;
        let id = put(&store, &vec![7u8; len as usize]).await.id;
        let segment = ReadSegment::Blob { blob_id: id.clone(), blob_len: len, offset: 0, len };

        let mut rx = store.read(vec![segment.clone(), segment]);
        assert!(store.is_pinned(&id), "pinned as soon as the read is set up");
        let mut total = rx.recv().await.unwrap().unwrap().len() as u64;
        assert!(store.is_pinned(&id), "pinned while the reader is slow");
        while let Some(chunk) = rx.recv().await {
            total += chunk.unwrap().len() as u64;
        }
        assert_eq!(total, 2 * len);
        assert!(!store.is_pinned(&id), "let go once read");

        // A reader that goes away lets go too.
        let pin = store.pin([id.clone()]);
        let rx = store.read(vec![ReadSegment::Blob { blob_id: id.clone(), blob_len: len, offset: 0, len }]);
        drop(rx);
        drop(pin);
        let deadline = Instant::now() + Duration::from_secs(10);
        while store.is_pinned(&id) {
            assert!(Instant::now() < deadline, "an abandoned read keeps its pin");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn three_copies_on_three_drives_and_reads_survive_damage_to_two() {
        let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
        let roots: Vec<std::path::PathBuf> = dirs.iter().map(|d| d.path().to_path_buf()).collect();
        let (store, mut queue) = BlobStore::open(&roots, Redundancy { copies: 3, write_quorum: 3, min_free_bytes: 0 }).unwrap();
        let data: Vec<u8> = (0..5 * blocks::BLOCK_SIZE as usize + 99).map(|i| (i % 241) as u8).collect();
        let len = data.len() as u64;
        let blob = put(&store, &data).await;
        assert_eq!(blob.drives.len(), 3);
        let order = store.drives().preference(&blob.id);
        // The preferred copy has a flipped bit in block 2, the second is truncated.
        let first = order[0].blob_path(&blob.id);
        let mut bytes = fs::read(&first).unwrap();
        bytes[2 * blocks::BLOCK_SIZE as usize + 5] ^= 1;
        fs::write(&first, bytes).unwrap();
        let second = fs::OpenOptions::new().write(true).open(order[1].blob_path(&blob.id)).unwrap();
        second.set_len(len / 2).unwrap();

        assert_eq!(read_all(&store, &blob.id, len, 0, len).await.unwrap(), data);
        let (from, n) = (2 * blocks::BLOCK_SIZE + 3, 1000);
        assert_eq!(read_all(&store, &blob.id, len, from, n).await.unwrap(), &data[from as usize..(from + n) as usize]);
        assert!(store.integrity.errors.load(Ordering::Relaxed) >= 2);
        let repair = queue.0.try_recv().unwrap();
        assert_eq!((repair.blob_id, repair.len), (blob.id.clone(), len));

        // With the last copy gone too, the read fails rather than return wrong bytes.
        fs::remove_file(order[2].blob_path(&blob.id)).unwrap();
        assert!(read_all(&store, &blob.id, len, 0, len).await.is_err());
        assert!(read_all(&store, &blob.id, len, from, n).await.is_err());
        assert_eq!(store.integrity.unrecoverable.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn a_legacy_blob_without_a_block_table_still_reads() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::single(dir.path()).unwrap();
        let id = "00112233445566778899aabbccddeeff";
        let path = only_drive(&store).blob_path(id);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, b"written before block checksums").unwrap();
        assert_eq!(read_all(&store, id, 30, 8, 6).await.unwrap(), b"before");
    }

    #[tokio::test]
    async fn a_persisted_blob_is_in_place_and_its_temp_file_gone() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::single(dir.path()).unwrap();
        let blob = put(&store, b"whole").await;
        assert_eq!(&fs::read(only_drive(&store).blob_path(&blob.id)).unwrap()[..5], b"whole");
        assert_eq!(fs::read_dir(only_drive(&store).tmp_dir()).unwrap().count(), 0);
    }
}
