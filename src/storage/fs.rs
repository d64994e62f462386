//! The filesystem blob store: temp file, hash while writing, fsync, rename into
//! `blobs/ab/cd/<uuid>`, fsync the directory.
//!
//! The network side stays async and no blocking thread ever waits for a client: a
//! writer gathers what the client sent and hands it to a blocking task per batch (write
//! and hash it, the last one also fsyncs), one batch in flight while the next arrives; a
//! reader reads one chunk per blocking task and waits for the client on the async side.
//! A request's memory stays bounded by a batch or the read queue whatever the object
//! size. Reads pin their blobs (see [`BlobPin`]) so the collector leaves them alone.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use md5::{Digest, Md5};
use s3api::checksum::{Checksum, ChecksumAlgorithm, Checksummer};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::StorageError;

/// Bytes a writer gathers before handing them to a blocking write.
const WRITE_BATCH: usize = 1024 * 1024;
/// A slow body's bytes are written at least this often, whatever their amount: the temp
/// file of a live upload was written within the last body timeout (start-up removes
/// older ones).
const FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// Chunks in flight between a reader and a response.
const READ_QUEUE: usize = 4;
/// Size of one read from disk.
const READ_CHUNK: usize = 256 * 1024;

/// Where blobs live.
#[derive(Debug, Clone)]
pub struct BlobStore {
    inner: Arc<Dirs>,
    pins: Arc<Pins>,
}

#[derive(Debug)]
struct Dirs {
    blobs: PathBuf,
    tmp: PathBuf,
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

/// Which checksums to compute while writing, beside MD5 (always: it is the ETag).
#[derive(Debug, Clone, Default)]
pub struct Hashes {
    pub checksums: Vec<ChecksumAlgorithm>,
}

impl Hashes {
    /// The given algorithms, each once.
    pub fn of(algorithms: impl IntoIterator<Item = ChecksumAlgorithm>) -> Self {
        let mut checksums = Vec::new();
        for alg in algorithms {
            if !checksums.contains(&alg) {
                checksums.push(alg);
            }
        }
        Hashes { checksums }
    }
}

/// A piece of an object to read: a range of a blob file, or inline bytes.
#[derive(Debug, Clone)]
pub enum ReadSegment {
    Blob { blob_id: String, offset: u64, len: u64 },
    Inline(Bytes),
}

impl BlobStore {
    /// Opens (creating if needed) the store under `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, StorageError> {
        let blobs = data_dir.join("blobs");
        let tmp = data_dir.join("tmp");
        fs::create_dir_all(&blobs)?;
        fs::create_dir_all(&tmp)?;
        Ok(BlobStore { inner: Arc::new(Dirs { blobs, tmp }), pins: Arc::default() })
    }

    pub fn blobs_dir(&self) -> &Path {
        &self.inner.blobs
    }

    pub fn tmp_dir(&self) -> &Path {
        &self.inner.tmp
    }

    /// The final path of a blob: `blobs/ab/cd/<id>`.
    pub fn path(&self, blob_id: &str) -> PathBuf {
        let (a, b) = (blob_id.get(0..2).unwrap_or("00"), blob_id.get(2..4).unwrap_or("00"));
        self.inner.blobs.join(a).join(b).join(blob_id)
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

    /// Starts writing a new blob. Its temp file is created at once, in the background.
    pub fn writer(&self, hashes: Hashes) -> BlobWriter {
        let blob_id = uuid::Uuid::new_v4().simple().to_string();
        let temp_path = self.inner.tmp.join(format!("{blob_id}.tmp"));
        let abandoned = Arc::new(AtomicBool::new(false));
        let (path, flag) = (temp_path.clone(), abandoned.clone());
        let open = tokio::task::spawn_blocking(move || {
            let file = OpenOptions::new().write(true).create_new(true).open(&path);
            // Abandoned before this task created the file: the guard found nothing to
            // remove, so the file is removed here.
            if flag.load(Ordering::SeqCst) {
                let _ = fs::remove_file(&path);
            }
            Ok(Sink::new(file?, hashes))
        });
        BlobWriter {
            pending: Vec::new(),
            flushed_at: Instant::now(),
            sink: Some(open),
            staged: Some(Staged { store: self.clone(), blob_id, temp_path, abandoned, armed: true }),
        }
    }

    /// Streams the given segments in order. Errors arrive in the stream; dropping the
    /// receiver stops the reader. The segments' blobs are pinned before this returns,
    /// and stay pinned until the last byte was read or the receiver is dropped, so a
    /// reader that already found a blob gets all of it however slowly it reads.
    pub fn read(&self, segments: Vec<ReadSegment>) -> mpsc::Receiver<io::Result<Bytes>> {
        let (tx, rx) = mpsc::channel(READ_QUEUE);
        let pin = self.pin(segments.iter().filter_map(|s| match s {
            ReadSegment::Blob { blob_id, .. } => Some(blob_id.clone()),
            ReadSegment::Inline(_) => None,
        }));
        let store = self.clone();
        tokio::spawn(async move {
            let _pin = pin;
            for segment in segments {
                let sent = match segment {
                    ReadSegment::Inline(bytes) => tx.send(Ok(bytes)).await.is_ok(),
                    ReadSegment::Blob { blob_id, offset, len } => store.read_blob(&tx, &blob_id, offset, len).await,
                };
                if !sent {
                    return;
                }
            }
        });
        rx
    }

    /// Sends `len` bytes of a blob from `offset`, one blocking read per chunk; false
    /// once the stream ended (an error sent, or the receiver gone).
    async fn read_blob(&self, tx: &mpsc::Sender<io::Result<Bytes>>, blob_id: &str, offset: u64, len: u64) -> bool {
        let path = self.path(blob_id);
        let opened = tokio::task::spawn_blocking(move || -> io::Result<File> {
            let mut file = File::open(path)?;
            file.seek(SeekFrom::Start(offset))?;
            Ok(file)
        })
        .await;
        let mut file = match opened.map_err(io::Error::other).and_then(|r| r) {
            Ok(file) => file,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return false;
            }
        };
        let mut remaining = len;
        while remaining > 0 {
            let want = remaining.min(READ_CHUNK as u64) as usize;
            let read = tokio::task::spawn_blocking(move || -> io::Result<(File, Vec<u8>)> {
                let mut buf = vec![0u8; want];
                file.read_exact(&mut buf)?;
                Ok((file, buf))
            })
            .await;
            match read.map_err(io::Error::other).and_then(|r| r) {
                Ok((f, buf)) => {
                    file = f;
                    remaining -= want as u64;
                    if tx.send(Ok(Bytes::from(buf))).await.is_err() {
                        return false;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return false;
                }
            }
        }
        true
    }

    /// Writes the bytes of `segments` into a new staged blob (server-side copies).
    pub async fn copy(&self, segments: Vec<ReadSegment>, hashes: Hashes) -> Result<StagedBlob, StorageError> {
        let mut source = self.read(segments);
        let mut writer = self.writer(hashes);
        while let Some(chunk) = source.recv().await {
            writer.write(chunk?).await?;
        }
        writer.finish().await
    }

    /// Removes a blob file; a missing file is not an error.
    pub async fn delete(&self, blob_id: &str) -> Result<(), StorageError> {
        match tokio::fs::remove_file(self.path(blob_id)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Health check: a probe file can be written, synced and removed.
    pub async fn check(&self) -> Result<(), StorageError> {
        let probe = self.inner.tmp.join(format!("health-{}.tmp", uuid::Uuid::new_v4().simple()));
        tokio::task::spawn_blocking(move || -> io::Result<()> {
            let mut f = File::create(&probe)?;
            f.write_all(b"ok")?;
            f.sync_all()?;
            fs::remove_file(&probe)
        })
        .await
        .map_err(|_| StorageError::WriterGone)??;
        Ok(())
    }
}

/// An in-progress blob write. Feed it with [`write`](Self::write), then
/// [`finish`](Self::finish). Dropping it at any point removes the temp file.
pub struct BlobWriter {
    /// Received bytes not yet handed to a blocking write.
    pending: Vec<u8>,
    /// When bytes were last handed to a blocking write.
    flushed_at: Instant,
    /// The blocking task that has the file and hashes: it opens the file, or writes the
    /// previous batch, and hands them back. `None` once it failed.
    sink: Option<JoinHandle<io::Result<Sink>>>,
    staged: Option<Staged>,
}

/// The temp file and the hashes of what was written to it.
struct Sink {
    file: File,
    md5: Md5,
    checksums: Vec<Checksummer>,
    size: u64,
    /// The buffer of the last batch written, emptied, for the writer to fill again.
    spare: Vec<u8>,
}

impl Sink {
    fn new(file: File, hashes: Hashes) -> Self {
        Sink { file, md5: Md5::new(), checksums: hashes.checksums.into_iter().map(Checksummer::new).collect(), size: 0, spare: Vec::new() }
    }

    fn append(&mut self, batch: &[u8]) -> io::Result<()> {
        self.md5.update(batch);
        for c in self.checksums.iter_mut() {
            c.update(batch);
        }
        self.file.write_all(batch)?;
        self.size += batch.len() as u64;
        Ok(())
    }

    /// Writes a batch and keeps its buffer for the next.
    fn append_batch(mut self, mut batch: Vec<u8>) -> io::Result<Sink> {
        self.append(&batch)?;
        batch.clear();
        self.spare = batch;
        Ok(self)
    }

    /// Writes the last batch and fsyncs the file.
    fn finish(mut self, batch: &[u8]) -> io::Result<Digests> {
        self.append(batch)?;
        self.file.sync_all()?;
        Ok(Digests { size: self.size, md5: self.md5.finalize().into(), checksums: self.checksums.into_iter().map(Checksummer::finalize).collect() })
    }
}

struct Staged {
    store: BlobStore,
    blob_id: String,
    temp_path: PathBuf,
    /// Set when the write is given up; the task opening the file then removes it too,
    /// in case it creates it only after this guard was dropped.
    abandoned: Arc<AtomicBool>,
    /// False once the temp file became a blob: nothing is left to remove.
    armed: bool,
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        self.abandoned.store(true, Ordering::SeqCst);
        // Best effort: a leftover temp file is also removed by the orphan sweeper.
        let _ = fs::remove_file(&self.temp_path);
    }
}

/// What was learned about a body while it was stored: its size, MD5 (the ETag) and the
/// checksums asked for.
#[derive(Debug, Clone)]
pub struct Digests {
    pub size: u64,
    pub md5: [u8; 16],
    pub checksums: Vec<Checksum>,
}

impl Digests {
    /// The digests of bytes held in memory.
    pub fn of(data: &[u8], hashes: &Hashes) -> Self {
        Digests { size: data.len() as u64, md5: Md5::digest(data).into(), checksums: hashes.checksums.iter().map(|a| Checksum::compute(*a, data)).collect() }
    }

    /// The checksum in `algorithm`, if it was asked for.
    pub fn checksum(&self, algorithm: ChecksumAlgorithm) -> Option<&Checksum> {
        self.checksums.iter().find(|c| c.algorithm == algorithm)
    }
}

impl BlobWriter {
    /// Adds bytes to the blob. Once a batch is gathered it is written in the background
    /// while more arrives; a failure of an earlier write is returned here.
    pub async fn write(&mut self, data: Bytes) -> Result<(), StorageError> {
        if self.sink.is_none() {
            return Err(StorageError::WriterGone);
        }
        if self.pending.capacity() == 0 {
            self.pending.reserve(WRITE_BATCH);
        }
        self.pending.extend_from_slice(&data);
        if self.pending.len() >= WRITE_BATCH || self.flushed_at.elapsed() >= FLUSH_INTERVAL {
            // Two buffers take turns: this batch's, and the one the last write gave back.
            let mut sink = self.take_sink().await?;
            let next = std::mem::take(&mut sink.spare);
            let batch = std::mem::replace(&mut self.pending, next);
            self.sink = Some(tokio::task::spawn_blocking(move || sink.append_batch(batch)));
            self.flushed_at = Instant::now();
        }
        Ok(())
    }

    /// Ends the body: the temp file is complete and fsynced, and its digests known.
    pub async fn finish(mut self) -> Result<StagedBlob, StorageError> {
        let sink = self.take_sink().await?;
        let batch = std::mem::take(&mut self.pending);
        let digests = tokio::task::spawn_blocking(move || sink.finish(&batch)).await.map_err(|_| StorageError::WriterGone)??;
        let staged = self.staged.take().ok_or(StorageError::WriterGone)?;
        Ok(StagedBlob { staged: Some(staged), digests })
    }

    /// Waits for the task in flight and takes the file and hashes back.
    async fn take_sink(&mut self) -> Result<Sink, StorageError> {
        let task = self.sink.take().ok_or(StorageError::WriterGone)?;
        Ok(task.await.map_err(|_| StorageError::WriterGone)??)
    }
}

/// A complete, fsynced blob that is not yet in its final place. Persist it once its
/// digests are verified; drop it to discard.
pub struct StagedBlob {
    staged: Option<Staged>,
    pub digests: Digests,
}

impl StagedBlob {
    /// Moves the blob into `blobs/ab/cd/<id>` durably and returns its id.
    pub async fn persist(mut self) -> Result<String, StorageError> {
        let mut staged = self.staged.take().ok_or(StorageError::WriterGone)?;
        tokio::task::spawn_blocking(move || -> io::Result<String> {
            let final_path = staged.store.path(&staged.blob_id);
            let dir = final_path.parent().ok_or_else(|| io::Error::other("blob path has no parent"))?;
            create_dir_durably(dir)?;
            fs::rename(&staged.temp_path, &final_path)?;
            staged.armed = false;
            File::open(dir)?.sync_all()?;
            Ok(staged.blob_id.clone())
        })
        .await
        .map_err(|_| StorageError::WriterGone)?
        .map_err(StorageError::from)
    }
}

/// Creates `dir` (and its parent) if missing, fsyncing each parent whose entries changed.
fn create_dir_durably(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dir_durably(parent)?;
        match fs::create_dir(dir) {
            Ok(()) => File::open(parent)?.sync_all()?,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_abandoned_write_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        // Dropped at once, most writers are given up before their thread created the file.
        for _ in 0..50 {
            let mut writer = store.writer(Hashes::default());
            let _ = writer.write(Bytes::from_static(b"partial")).await;
            drop(writer);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while fs::read_dir(store.tmp_dir()).unwrap().count() > 0 {
            assert!(Instant::now() < deadline, "temp files left behind");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn a_blob_of_many_batches_is_written_whole_with_its_digests() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
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
        let id = staged.persist().await.unwrap();
        assert_eq!(fs::read(store.path(&id)).unwrap(), data);
    }

    #[tokio::test]
    async fn a_read_pins_its_blobs_until_it_ends() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let mut writer = store.writer(Hashes::default());
        writer.write(Bytes::from(vec![7u8; 3 * READ_CHUNK])).await.unwrap();
        let id = writer.finish().await.unwrap().persist().await.unwrap();
        let segment = ReadSegment::Blob { blob_id: id.clone(), offset: 0, len: 3 * READ_CHUNK as u64 };

        let mut rx = store.read(vec![segment.clone(), segment]);
        assert!(store.is_pinned(&id), "pinned as soon as the read is set up");
        let mut total = rx.recv().await.unwrap().unwrap().len();
        assert!(store.is_pinned(&id), "pinned while the reader is slow");
        while let Some(chunk) = rx.recv().await {
            total += chunk.unwrap().len();
        }
        assert_eq!(total, 6 * READ_CHUNK);
        assert!(!store.is_pinned(&id), "let go once read");

        // A reader that goes away lets go too.
        let pin = store.pin([id.clone()]);
        let rx = store.read(vec![ReadSegment::Blob { blob_id: id.clone(), offset: 0, len: 3 * READ_CHUNK as u64 }]);
        drop(rx);
        drop(pin);
        let deadline = Instant::now() + Duration::from_secs(10);
        while store.is_pinned(&id) {
            assert!(Instant::now() < deadline, "an abandoned read keeps its pin");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn a_persisted_blob_is_in_place_and_its_temp_file_gone() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let mut writer = store.writer(Hashes::default());
        writer.write(Bytes::from_static(b"whole")).await.unwrap();
        let id = writer.finish().await.unwrap().persist().await.unwrap();
        assert_eq!(fs::read(store.path(&id)).unwrap(), b"whole");
        assert_eq!(fs::read_dir(store.tmp_dir()).unwrap().count(), 0);
    }
}
