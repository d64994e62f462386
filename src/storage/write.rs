//! Writing a blob to its drives: temp file on each, hash and checksum blocks while
//! writing, append the block table, fsync, then rename into `blobs/ab/cd/<uuid>` and
//! fsync the directory on each drive.
//!
//! The network side stays async and no blocking thread ever waits for a client: a
//! writer gathers what the client sent and hands it to a blocking task per batch (write
//! it to every copy, hash it), one batch in flight while the next arrives. A request's
//! memory stays bounded by a batch whatever the object size.
//!
//! A copy whose drive fails is dropped (the drive is marked degraded unless it was only
//! full) and the write goes on with the others; at the end a free drive takes the place
//! of a failed one, and the write is acknowledged only when `write_quorum` copies are
//! durable. Fewer copies than asked for are made up by the healer later.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use md5::{Digest, Md5};
use s3api::checksum::{Checksum, ChecksumAlgorithm, Checksummer};
use tokio::task::JoinHandle;

use super::blocks::BlockSums;
use super::drives::{is_full, Drive};
use super::{BlobStore, StorageError};

/// Bytes a writer gathers before handing them to a blocking write.
pub(super) const WRITE_BATCH: usize = 1024 * 1024;
/// A slow body's bytes are written at least this often, whatever their amount: the temp
/// file of a live upload was written within the last body timeout (start-up removes
/// older ones).
const FLUSH_INTERVAL: Duration = Duration::from_secs(1);

/// Which checksums to compute while writing, beside MD5 (the ETag: always, unless the
/// caller hashes the bytes itself).
#[derive(Debug, Clone, Default)]
pub struct Hashes {
    pub checksums: Vec<ChecksumAlgorithm>,
    /// No MD5: the bytes written are not what the ETag describes (an encrypted blob,
    /// whose plaintext the caller hashes); `Digests::md5` is then all zeros.
    pub skip_md5: bool,
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
        Hashes { checksums, skip_md5: false }
    }

    /// Neither MD5 nor checksums: only the blob's block checksums.
    pub fn none() -> Self {
        Hashes { checksums: Vec::new(), skip_md5: true }
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

/// A durable blob: its id and the drives that hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Persisted {
    pub id: String,
    pub drives: Vec<String>,
}

/// One copy being written: a temp file on a drive.
struct Target {
    drive: Arc<Drive>,
    temp: PathBuf,
    file: Option<File>,
}

impl Target {
    fn create(drive: &Arc<Drive>, blob_id: &str) -> io::Result<Target> {
        let temp = drive.tmp_dir().join(format!("{blob_id}.tmp"));
        let file = OpenOptions::new().write(true).create_new(true).open(&temp)?;
        Ok(Target { drive: drive.clone(), temp, file: Some(file) })
    }
}

/// The copies of a blob being written, and what failed on the way.
struct Copies {
    blob_id: String,
    live: Vec<Target>,
    /// The last failure of a copy, for the answer when too few are left.
    last_error: Option<io::Error>,
    /// Whether every failure so far was a full drive.
    only_full: bool,
}

impl Copies {
    /// Drops a copy whose drive failed.
    fn fail(&mut self, target: Target, what: &str, e: io::Error) {
        target.drive.failed(what, &e, true);
        tracing::warn!(drive = %target.drive.id, blob_id = %self.blob_id, error = %e, "{what} failed; the blob goes on without this copy");
        let _ = fs::remove_file(&target.temp);
        self.only_full &= is_full(&e);
        self.last_error = Some(e);
    }

    /// Runs `op` on every live copy, dropping those that fail.
    fn each(&mut self, what: &str, mut op: impl FnMut(&mut File) -> io::Result<()>) {
        for mut target in std::mem::take(&mut self.live) {
            let result = match target.file.as_mut() {
                Some(file) => op(file),
                None => Err(io::Error::other("the copy's file is closed")),
            };
            match result {
                Ok(()) => self.live.push(target),
                Err(e) => self.fail(target, what, e),
            }
        }
    }

    /// Fsyncs every live copy in parallel, dropping those that fail.
    fn sync_all(&mut self) {
        let results: Vec<io::Result<()>> = std::thread::scope(|s| {
            let handles: Vec<_> = self.live.iter().map(|t| s.spawn(move || t.file.as_ref().map_or(Ok(()), File::sync_all))).collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(io::Error::other("fsync thread panicked")))).collect()
        });
        for (target, result) in std::mem::take(&mut self.live).into_iter().zip(results) {
            match result {
                Ok(()) => {
                    target.drive.health.fsyncs.fetch_add(1, Ordering::Relaxed);
                    self.live.push(target);
                }
                Err(e) => self.fail(target, "blob fsync", e),
            }
        }
    }

    /// The error for a write left with fewer than `needed` copies: a full disk when
    /// only full drives stood in the way (`507`), else the last failure.
    fn too_few(&mut self, needed: usize) -> io::Error {
        let have = self.live.len();
        match self.last_error.take() {
            Some(e) if self.only_full => io::Error::new(e.kind(), format!("only {have} of {needed} copies could be written: no drive has room ({e})")),
            Some(e) => io::Error::new(e.kind(), format!("only {have} of {needed} copies could be written: {e}")),
            None if self.only_full => io::Error::new(io::ErrorKind::StorageFull, format!("only {have} of {needed} drives have room for a new blob")),
            None => io::Error::other(format!("only {have} of {needed} drives work: the others are degraded")),
        }
    }
}

/// The temp files and the hashes of what was written to them.
struct Sink {
    copies: Copies,
    md5: Option<Md5>,
    checksums: Vec<Checksummer>,
    sums: BlockSums,
    size: u64,
    /// The buffer of the last batch written, emptied, for the writer to fill again.
    spare: Vec<u8>,
}

/// Batches at least this large have their MD5 computed on a thread of its own.
const PARALLEL_MD5_MIN: usize = 256 * 1024;

impl Sink {
    fn append(&mut self, batch: &[u8]) -> io::Result<()> {
        let Sink { copies, md5, checksums, sums, .. } = self;
        std::thread::scope(|scope| {
            // MD5 is the slowest digest by far (well under 1 GB/s a core): on a thread
            // of its own it overlaps the checksums and the write instead of adding to
            // them, so one large upload is not bound by one core.
            let md5_thread = match md5.as_mut() {
                Some(md5) if batch.len() >= PARALLEL_MD5_MIN => Some(scope.spawn(move || md5.update(batch))),
                Some(md5) => {
                    md5.update(batch);
                    None
                }
                None => None,
            };
            for c in checksums.iter_mut() {
                c.update(batch);
            }
            sums.update(batch);
            copies.each("blob write", |f| f.write_all(batch));
            match md5_thread.map(|t| t.join()) {
                Some(Err(_)) => Err(io::Error::other("the MD5 thread of a blob write panicked")),
                _ => Ok(()),
            }
        })?;
        self.size += batch.len() as u64;
        if self.copies.live.is_empty() {
            return Err(self.copies.too_few(1));
        }
        Ok(())
    }

    /// Writes a batch and keeps its buffer for the next.
    fn append_batch(mut self, mut batch: Vec<u8>) -> io::Result<Sink> {
        self.append(&batch)?;
        batch.clear();
        self.spare = batch;
        Ok(self)
    }
}

/// Where a writer's copies go and how many must succeed.
struct Plan {
    store: BlobStore,
    blob_id: String,
    /// Temp files made so far, for the guard to remove if the write is given up.
    abandoned: Arc<AtomicBool>,
}

impl BlobStore {
    /// Starts writing a new blob. Its temp files are created at once, in the background,
    /// on the first `copies` drives of the blob's preference that are healthy and have
    /// room.
    pub fn writer(&self, hashes: Hashes) -> BlobWriter {
        let blob_id = uuid::Uuid::new_v4().simple().to_string();
        let abandoned = Arc::new(AtomicBool::new(false));
        let plan = Plan { store: self.clone(), blob_id: blob_id.clone(), abandoned: abandoned.clone() };
        let open = tokio::task::spawn_blocking(move || plan.open(hashes));
        BlobWriter {
            pending: Vec::new(),
            flushed_at: Instant::now(),
            sink: Some(open),
            guard: Some(Guard { store: self.clone(), blob_id, abandoned, temps: Vec::new(), armed: true }),
        }
    }

    /// Drives that may take a new blob now: healthy, with room for `incoming` bytes
    /// above the reserve, in the blob's preference order; and whether any drive was
    /// passed over for want of space alone.
    fn writable_drives(&self, blob_id: &str, incoming: u64) -> (Vec<Arc<Drive>>, bool) {
        let mut any_full = false;
        let drives = self
            .drives
            .preference(blob_id)
            .into_iter()
            .filter(|d| !d.health.is_degraded())
            .filter(|d| match d.space(self.min_free_bytes) {
                Ok(space) if space.admits(incoming) => true,
                Ok(_) => {
                    any_full = true;
                    false
                }
                Err(e) => {
                    d.failed("measuring free space", &e, false);
                    false
                }
            })
            .collect();
        (drives, any_full)
    }
}

impl Plan {
    fn open(self, hashes: Hashes) -> io::Result<Sink> {
        let store = &self.store;
        let (candidates, any_full) = store.writable_drives(&self.blob_id, 0);
        // Without a failed create below, the error (if too few drives take the blob)
        // is a full disk only when a drive was passed over for its space.
        let mut copies = Copies { blob_id: self.blob_id.clone(), live: Vec::new(), last_error: None, only_full: any_full };
        for drive in candidates {
            if copies.live.len() == store.copies {
                break;
            }
            match Target::create(&drive, &self.blob_id) {
                Ok(target) => copies.live.push(target),
                Err(e) => {
                    drive.failed("creating a blob's temp file", &e, true);
                    copies.only_full &= is_full(&e);
                    copies.last_error = Some(e);
                }
            }
        }
        // Given up before the files were made: the guard found nothing to remove.
        if self.abandoned.load(Ordering::SeqCst) {
            for t in &copies.live {
                let _ = fs::remove_file(&t.temp);
            }
            return Err(io::Error::other("the write was abandoned"));
        }
        if copies.live.len() < store.write_quorum {
            let e = copies.too_few(store.write_quorum);
            for t in std::mem::take(&mut copies.live) {
                let _ = fs::remove_file(&t.temp);
            }
            return Err(e);
        }
        Ok(Sink {
            copies,
            md5: (!hashes.skip_md5).then(Md5::new),
            checksums: hashes.checksums.into_iter().map(Checksummer::new).collect(),
            sums: BlockSums::default(),
            size: 0,
            spare: Vec::new(),
        })
    }
}

/// An in-progress blob write. Feed it with [`write`](Self::write), then
/// [`finish`](Self::finish). Dropping it at any point removes the temp files.
pub struct BlobWriter {
    /// Received bytes not yet handed to a blocking write.
    pending: Vec<u8>,
    /// When bytes were last handed to a blocking write.
    flushed_at: Instant,
    /// The blocking task that has the files and hashes: it opens the files, or writes
    /// the previous batch, and hands them back. `None` once it failed.
    sink: Option<JoinHandle<io::Result<Sink>>>,
    guard: Option<Guard>,
}

/// Removes a write's temp files unless they became a blob.
struct Guard {
    store: BlobStore,
    blob_id: String,
    /// Set when the write is given up; the task creating the files then removes them
    /// too, in case it creates them only after this guard was dropped.
    abandoned: Arc<AtomicBool>,
    /// Temp files known to exist (once the sink handed them over).
    temps: Vec<PathBuf>,
    /// False once the temp files became a blob (or were removed): nothing is left.
    armed: bool,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.abandoned.store(true, Ordering::SeqCst);
        if !self.armed {
            return;
        }
        // Best effort: a leftover temp file is also removed by the orphan sweeper.
        for drive in self.store.drives.all() {
            let _ = fs::remove_file(drive.tmp_dir().join(format!("{}.tmp", self.blob_id)));
        }
        for temp in &self.temps {
            let _ = fs::remove_file(temp);
        }
    }
}

impl BlobWriter {
    /// The id the blob will have (what encryption binds its chunks to).
    pub fn blob_id(&self) -> &str {
        self.guard.as_ref().map_or("", |g| g.blob_id.as_str())
    }

    /// Adds bytes to the blob. Once a batch is gathered it is written in the background
    /// while more arrives; a failure of an earlier write is returned here.
    pub async fn write(&mut self, mut data: Bytes) -> Result<(), StorageError> {
        if self.sink.is_none() {
            return Err(StorageError::WriterGone);
        }
        // A batch never grows past `WRITE_BATCH`: a chunk that crosses the mark is split,
        // so the buffer is never reallocated (and doubled) on the way.
        while !data.is_empty() {
            if self.pending.capacity() == 0 {
                self.pending.reserve_exact(WRITE_BATCH);
            }
            let take = data.len().min(WRITE_BATCH.saturating_sub(self.pending.len()));
            self.pending.extend_from_slice(&data.split_to(take));
            if self.pending.len() >= WRITE_BATCH {
                self.hand_off().await?;
            }
        }
        if !self.pending.is_empty() && self.flushed_at.elapsed() >= FLUSH_INTERVAL {
            self.hand_off().await?;
        }
        Ok(())
    }

    /// Hands the gathered batch to a blocking write, once the previous one is done.
    async fn hand_off(&mut self) -> Result<(), StorageError> {
        // Two buffers take turns: this batch's, and the one the last write gave back.
        let mut sink = self.take_sink().await?;
        let next = std::mem::take(&mut sink.spare);
        let batch = std::mem::replace(&mut self.pending, next);
        self.sink = Some(tokio::task::spawn_blocking(move || sink.append_batch(batch)));
        self.flushed_at = Instant::now();
        Ok(())
    }

    /// Ends the body: the temp files are complete with their block table and fsynced,
    /// a free drive stands in for any copy that failed, and the digests are known.
    pub async fn finish(mut self) -> Result<StagedBlob, StorageError> {
        let sink = self.take_sink().await?;
        let batch = std::mem::take(&mut self.pending);
        let guard = self.guard.take().ok_or(StorageError::WriterGone)?;
        let store = guard.store.clone();
        let (copies, digests) = tokio::task::spawn_blocking(move || finish_sink(sink, &batch, &store)).await.map_err(|_| StorageError::WriterGone)??;
        let mut guard = guard;
        guard.temps = copies.live.iter().map(|t| t.temp.clone()).collect();
        Ok(StagedBlob { guard: Some(guard), targets: copies.live, digests })
    }

    /// Waits for the task in flight and takes the files and hashes back.
    async fn take_sink(&mut self) -> Result<Sink, StorageError> {
        let task = self.sink.take().ok_or(StorageError::WriterGone)?;
        Ok(task.await.map_err(|_| StorageError::WriterGone)??)
    }
}

/// Writes the last batch and the block table, fsyncs every copy, and stands a free
/// drive in for each copy that failed.
fn finish_sink(mut sink: Sink, batch: &[u8], store: &BlobStore) -> io::Result<(Copies, Digests)> {
    sink.append(batch)?;
    let trailer = std::mem::take(&mut sink.sums).trailer(&sink.copies.blob_id);
    sink.copies.each("blob write", |f| f.write_all(&trailer));
    sink.copies.sync_all();
    let mut copies = sink.copies;
    if copies.live.len() < store.copies {
        stand_in(&mut copies, store, sink.size + trailer.len() as u64);
    }
    if copies.live.len() < store.write_quorum {
        let e = copies.too_few(store.write_quorum);
        for t in std::mem::take(&mut copies.live) {
            let _ = fs::remove_file(&t.temp);
        }
        return Err(e);
    }
    let digests = Digests {
        size: sink.size,
        md5: sink.md5.map_or([0; 16], |m| m.finalize().into()),
        checksums: sink.checksums.into_iter().map(Checksummer::finalize).collect(),
    };
    Ok((copies, digests))
}

/// Copies a finished temp file to free drives until the blob has its copies or no
/// drive is left.
fn stand_in(copies: &mut Copies, store: &BlobStore, file_len: u64) {
    let Some(source) = copies.live.first().map(|t| t.temp.clone()) else { return };
    let (candidates, _) = store.writable_drives(&copies.blob_id, file_len);
    for drive in candidates {
        if copies.live.len() >= store.copies {
            return;
        }
        if copies.live.iter().any(|t| t.drive.id == drive.id) {
            continue;
        }
        let made = Target::create(&drive, &copies.blob_id).and_then(|mut target| {
            let copied = copy_file(&source, target.file.as_mut());
            match copied {
                Ok(()) => {
                    drive.health.fsyncs.fetch_add(1, Ordering::Relaxed);
                    Ok(target)
                }
                Err(e) => {
                    let _ = fs::remove_file(&target.temp);
                    target.file = None;
                    Err(e)
                }
            }
        });
        match made {
            Ok(target) => {
                tracing::info!(drive = %drive.id, blob_id = %copies.blob_id, "a free drive took the copy of a failed one");
                copies.live.push(target);
            }
            Err(e) => {
                drive.failed("writing a stand-in copy", &e, true);
                copies.last_error = Some(e);
            }
        }
    }
}

fn copy_file(source: &Path, dest: Option<&mut File>) -> io::Result<()> {
    let dest = dest.ok_or_else(|| io::Error::other("no destination file"))?;
    let mut src = File::open(source)?;
    io::copy(&mut src, dest)?;
    dest.sync_all()
}

/// A complete, fsynced blob that is not yet in its final place. Persist it once its
/// digests are verified; drop it to discard.
pub struct StagedBlob {
    guard: Option<Guard>,
    targets: Vec<Target>,
    pub digests: Digests,
}

impl StagedBlob {
    /// Moves every copy into `blobs/ab/cd/<id>` durably, in parallel. Succeeds when at
    /// least the write quorum of copies are in place.
    pub async fn persist(mut self) -> Result<Persisted, StorageError> {
        let mut guard = self.guard.take().ok_or(StorageError::WriterGone)?;
        let targets = std::mem::take(&mut self.targets);
        let blob_id = guard.blob_id.clone();
        let (quorum, wanted, short) = (guard.store.write_quorum, guard.store.copies, guard.store.short_copies.clone());
        let file_len = super::blocks::file_len(self.digests.size);
        let result = tokio::task::spawn_blocking(move || -> io::Result<Persisted> {
            let mut copies = Copies { blob_id: blob_id.clone(), live: Vec::new(), last_error: None, only_full: true };
            let outcomes: Vec<(Target, io::Result<()>)> = std::thread::scope(|s| {
                let handles: Vec<_> = targets
                    .into_iter()
                    .map(|mut t| {
                        let id = blob_id.clone();
                        s.spawn(move || {
                            t.file = None;
                            let result = place(&t.drive, &t.temp, &id, file_len);
                            (t, result)
                        })
                    })
                    .collect();
                handles.into_iter().filter_map(|h| h.join().ok()).collect()
            });
            let mut placed = Vec::new();
            for (target, result) in outcomes {
                match result {
                    Ok(()) => placed.push(target),
                    Err(e) => copies.fail(target, "placing a blob", e),
                }
            }
            if placed.len() < quorum {
                for t in &placed {
                    let _ = fs::remove_file(t.drive.blob_path(&blob_id));
                }
                copies.live = placed;
                return Err(copies.too_few(quorum));
            }
            if placed.len() < wanted {
                short.store(true, Ordering::SeqCst);
            }
            Ok(Persisted { id: blob_id, drives: placed.iter().map(|t| t.drive.id.clone()).collect() })
        })
        .await
        .map_err(|_| StorageError::WriterGone)?;
        // Renamed or removed: nothing is left for the guard.
        guard.armed = false;
        Ok(result?)
    }
}

/// Renames a temp file (`file_len` bytes, block table included: for the drive's
/// counters) into its blob path on its drive and fsyncs the directory.
pub(super) fn place(drive: &Drive, temp: &Path, blob_id: &str, file_len: u64) -> io::Result<()> {
    let final_path = drive.blob_path(blob_id);
    let dir = final_path.parent().ok_or_else(|| io::Error::other("blob path has no parent"))?;
    create_dir_durably(drive, dir)?;
    fs::rename(temp, &final_path)?;
    File::open(dir)?.sync_all()?;
    let health = &drive.health;
    health.fsyncs.fetch_add(1, Ordering::Relaxed);
    health.blob_writes.fetch_add(1, Ordering::Relaxed);
    health.bytes_written.fetch_add(file_len, Ordering::Relaxed);
    Ok(())
}

/// Creates `dir` (and its parents up to `root`) if missing, fsyncing each parent whose
/// entries changed. `root` itself is never created: a drive whose `blobs/` is gone has
/// failed (unmounted, removed), and recreating it would put blobs on whatever
/// filesystem is left under its mount point.
fn create_dir_durably(drive: &Drive, dir: &Path) -> io::Result<()> {
    let root = drive.blobs_dir();
    if dir.is_dir() {
        return Ok(());
    }
    if dir == root {
        return Err(io::Error::new(io::ErrorKind::NotFound, format!("{} is gone", root.display())));
    }
    let parent = dir.parent().filter(|p| p.starts_with(root)).ok_or_else(|| io::Error::other(format!("{} is outside {}", dir.display(), root.display())))?;
    create_dir_durably(drive, parent)?;
    match fs::create_dir(dir) {
        Ok(()) => {
            File::open(parent)?.sync_all()?;
            drive.health.fsyncs.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}
