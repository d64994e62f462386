//! The filesystem blob store: temp file, hash while writing, fsync, rename into
//! `blobs/ab/cd/<uuid>`, fsync the directory. Writing and reading run on blocking
//! threads fed through bounded channels, so a request's memory stays bounded by the
//! channel depth whatever the object size, and hashing runs beside the network reads.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use md5::{Digest, Md5};
use s3api::checksum::{Checksum, ChecksumAlgorithm, Checksummer};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::StorageError;

/// Chunks in flight between a request and its writer thread.
const WRITE_QUEUE: usize = 16;
/// Chunks in flight between a reader thread and a response.
const READ_QUEUE: usize = 4;
/// Size of one read from disk.
const READ_CHUNK: usize = 256 * 1024;

/// Where blobs live.
#[derive(Debug, Clone)]
pub struct BlobStore {
    inner: Arc<Dirs>,
}

#[derive(Debug)]
struct Dirs {
    blobs: PathBuf,
    tmp: PathBuf,
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
        Ok(BlobStore { inner: Arc::new(Dirs { blobs, tmp }) })
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

    /// Starts writing a new blob.
    pub fn writer(&self, hashes: Hashes) -> BlobWriter {
        let blob_id = uuid::Uuid::new_v4().simple().to_string();
        let temp_path = self.inner.tmp.join(format!("{blob_id}.tmp"));
        let (tx, rx) = mpsc::channel::<Bytes>(WRITE_QUEUE);
        let abandoned = Arc::new(AtomicBool::new(false));
        let (path, flag) = (temp_path.clone(), abandoned.clone());
        let task = tokio::task::spawn_blocking(move || {
            let result = write_temp(&path, rx, hashes);
            // Abandoned before this thread even created the file: the guard found nothing
            // to remove, so the file is removed here.
            if flag.load(Ordering::SeqCst) {
                let _ = fs::remove_file(&path);
            }
            result
        });
        BlobWriter { tx: Some(tx), task, staged: Some(Staged { store: self.clone(), blob_id, temp_path, abandoned, armed: true }) }
    }

    /// Streams the given segments in order. Errors arrive in the stream; dropping the
    /// receiver stops the reader.
    pub fn read(&self, segments: Vec<ReadSegment>) -> mpsc::Receiver<io::Result<Bytes>> {
        let (tx, rx) = mpsc::channel(READ_QUEUE);
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            for segment in segments {
                let result = match segment {
                    ReadSegment::Inline(bytes) => tx.blocking_send(Ok(bytes)).map_err(|_| ()),
                    ReadSegment::Blob { blob_id, offset, len } => store.read_blob(&tx, &blob_id, offset, len),
                };
                if result.is_err() {
                    return;
                }
            }
        });
        rx
    }

    fn read_blob(&self, tx: &mpsc::Sender<io::Result<Bytes>>, blob_id: &str, offset: u64, len: u64) -> Result<(), ()> {
        let open = || -> io::Result<File> {
            let mut file = File::open(self.path(blob_id))?;
            file.seek(SeekFrom::Start(offset))?;
            Ok(file)
        };
        let mut file = match open() {
            Ok(f) => f,
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return Err(());
            }
        };
        let mut remaining = len;
        while remaining > 0 {
            let want = remaining.min(READ_CHUNK as u64) as usize;
            let mut buf = vec![0u8; want];
            if let Err(e) = file.read_exact(&mut buf) {
                let _ = tx.blocking_send(Err(e));
                return Err(());
            }
            remaining -= want as u64;
            tx.blocking_send(Ok(Bytes::from(buf))).map_err(|_| ())?;
        }
        Ok(())
    }

    /// Writes the bytes of `segments` into a new staged blob (server-side copies).
    pub async fn copy(&self, segments: Vec<ReadSegment>, hashes: Hashes) -> Result<StagedBlob, StorageError> {
        let mut source = self.read(segments);
        let mut writer = self.writer(hashes);
        while let Some(chunk) = source.recv().await {
            if writer.write(chunk?).await.is_err() {
                return Err(writer.failure().await);
            }
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
    tx: Option<mpsc::Sender<Bytes>>,
    task: JoinHandle<io::Result<Digests>>,
    staged: Option<Staged>,
}

struct Staged {
    store: BlobStore,
    blob_id: String,
    temp_path: PathBuf,
    /// Set when the write is given up; the writer thread then removes the temp file too,
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
    pub async fn write(&mut self, data: Bytes) -> Result<(), StorageError> {
        let tx = self.tx.as_ref().ok_or(StorageError::WriterGone)?;
        if tx.send(data).await.is_err() {
            // The thread stopped: its result says why.
            self.tx = None;
            return Err(StorageError::WriterGone);
        }
        Ok(())
    }

    /// Ends the body: the temp file is complete and fsynced, and its digests known.
    pub async fn finish(mut self) -> Result<StagedBlob, StorageError> {
        self.tx = None;
        let digests = (&mut self.task).await.map_err(|_| StorageError::WriterGone)??;
        let staged = self.staged.take().ok_or(StorageError::WriterGone)?;
        Ok(StagedBlob { staged: Some(staged), digests })
    }

    /// The writer thread's own error, if it failed (call after `write` failed).
    pub async fn failure(mut self) -> StorageError {
        self.tx = None;
        match (&mut self.task).await {
            Ok(Err(e)) => StorageError::Io(e),
            _ => StorageError::WriterGone,
        }
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

fn write_temp(path: &Path, mut rx: mpsc::Receiver<Bytes>, hashes: Hashes) -> io::Result<Digests> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    let mut md5 = Md5::new();
    let mut checksums: Vec<Checksummer> = hashes.checksums.into_iter().map(Checksummer::new).collect();
    let mut size = 0u64;
    while let Some(chunk) = rx.blocking_recv() {
        md5.update(&chunk);
        for c in checksums.iter_mut() {
            c.update(&chunk);
        }
        file.write_all(&chunk)?;
        size += chunk.len() as u64;
    }
    file.sync_all()?;
    Ok(Digests { size, md5: md5.finalize().into(), checksums: checksums.into_iter().map(Checksummer::finalize).collect() })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

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
