//! Verified reads: every block a read touches is checked against its checksum before
//! its bytes are handed on. A copy that is missing, the wrong length, or has a bad
//! block is left for the next copy in the blob's preference order, from the same
//! block on, and the healer is asked to repair the blob. When no copy is good the
//! stream ends with an error: the response is cut (or, before its headers, a 500), so
//! a client never takes damaged bytes for the object.
//!
//! The network side stays async: one blocking task per chunk read, the response waits
//! for the client on the async side, and the read queue bounds memory. Reads pin their
//! blobs (see [`super::BlobPin`]) so the collector leaves them alone.

use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::blocks::{self, check_blocks, check_footer, Damage, Layout, BLOCK_SIZE, FOOTER_LEN};
use super::drives::Drive;
use super::fs::count;
use super::BlobStore;

/// Chunks in flight between a reader and a response.
const READ_QUEUE: usize = 4;
/// Size of one read from disk (a whole number of blocks).
pub(super) const READ_CHUNK: u64 = 4 * BLOCK_SIZE;
/// Chunks of one blob being read (and checked) at once.
const READ_AHEAD: usize = 3;

/// What a read met on its way besides good copies.
#[derive(Debug, Default)]
struct Seen {
    /// A copy missing from a healthy drive the blob prefers.
    missing: bool,
    /// A damaged or unreadable copy.
    damage: bool,
}

/// A chunk being read and checked on the blocking pool.
type ChunkRead = JoinHandle<Result<Bytes, Damage>>;

/// A piece of an object to read: a range of a blob, or of a part kept inline in the
/// catalog.
#[derive(Debug, Clone)]
pub enum ReadSegment {
    /// `len` bytes from `offset` of a blob whose data is `blob_len` bytes long.
    Blob { blob_id: String, blob_len: u64, offset: u64, len: u64 },
    /// `len` bytes from `offset` of a whole inline part, checked against its MD5 (hex)
    /// before any of it is sent.
    Inline { data: Bytes, md5_hex: String, offset: u64, len: u64 },
}

/// Whether inline bytes match their MD5 (hex).
pub fn inline_intact(data: &[u8], md5_hex: &str) -> bool {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(data)) == md5_hex
}

/// One copy of a blob, opened and judged by its length and footer.
pub(super) struct Copy {
    pub drive: Arc<Drive>,
    file: File,
    layout: Layout,
    blob_len: u64,
}

impl Copy {
    /// Opens the drive's copy of a blob of `blob_len` bytes of data.
    pub(super) fn open(drive: &Arc<Drive>, blob_id: &str, blob_len: u64) -> Result<Copy, Damage> {
        let unreadable = |e: io::Error| {
            if e.kind() == io::ErrorKind::NotFound {
                Damage::Missing
            } else {
                drive.failed("opening a blob", &e, false);
                Damage::Unreadable(e.to_string())
            }
        };
        let file = File::open(drive.blob_path(blob_id)).map_err(unreadable)?;
        let actual = file.metadata().map_err(unreadable)?.len();
        let layout = blocks::layout(actual, blob_len)?;
        if layout == Layout::Checked {
            let mut footer = [0u8; FOOTER_LEN as usize];
            file.read_exact_at(&mut footer, actual - FOOTER_LEN).map_err(unreadable)?;
            check_footer(&footer, blob_id, blob_len)?;
        }
        Ok(Copy { drive: drive.clone(), file, layout, blob_len })
    }

    /// How many bytes [`Copy::read`] reads from disk for data `[from, to)`: whole
    /// blocks, unless the copy has none.
    pub(super) fn span(&self, from: u64, to: u64) -> usize {
        match self.layout {
            Layout::Legacy => (to - from) as usize,
            Layout::Checked => ((to.div_ceil(BLOCK_SIZE) * BLOCK_SIZE).min(self.blob_len) - (from / BLOCK_SIZE) * BLOCK_SIZE) as usize,
        }
    }

    /// Reads data `[from, to)` into `buf` (emptied first; give it [`Copy::span`] bytes
    /// of capacity and nothing is allocated here), checking every block it touches.
    pub(super) fn read(&self, buf: Vec<u8>, from: u64, to: u64) -> Result<Bytes, Damage> {
        let unreadable = |e: io::Error| {
            self.drive.failed("reading a blob", &e, false);
            Damage::Unreadable(e.to_string())
        };
        if self.layout == Layout::Legacy {
            return read_fresh_at(&self.file, buf, (to - from) as usize, from).map(Bytes::from).map_err(unreadable);
        }
        let first = from / BLOCK_SIZE;
        let last = to.div_ceil(BLOCK_SIZE);
        let start = first * BLOCK_SIZE;
        let mut sums = [0u8; 4 * (READ_CHUNK / BLOCK_SIZE) as usize];
        let sums =
            sums.get_mut(..((last - first) * 4) as usize).ok_or_else(|| Damage::Unreadable(format!("a read of {from}..{to} spans more than one chunk")))?;
        self.file.read_exact_at(sums, self.blob_len + first * 4).map_err(unreadable)?;
        let data = read_fresh_at(&self.file, buf, self.span(from, to), start).map_err(unreadable)?;
        check_blocks(&data, first, sums)?;
        // A range that starts or ends inside a block: the checked blocks, sliced.
        Ok(Bytes::from(data).slice((from - start) as usize..(to - start) as usize))
    }

    /// Reads and checks the whole blob, block by block, passing each piece to `each`.
    pub(super) fn verify_all(&self, mut each: impl FnMut(&[u8])) -> Result<(), Damage> {
        let mut pos = 0;
        while pos < self.blob_len {
            let to = (pos + READ_CHUNK).min(self.blob_len);
            each(&self.read(Vec::new(), pos, to)?);
            pos = to;
        }
        Ok(())
    }

    /// The length of the blob's data.
    pub(super) fn len(&self) -> u64 {
        self.blob_len
    }

    pub(super) fn layout(&self) -> Layout {
        self.layout
    }
}

impl BlobStore {
    /// Streams the given segments in order, verified. Errors arrive in the stream;
    /// dropping the receiver stops the reader. The segments' blobs are pinned before
    /// this returns, and stay pinned until the last byte was read or the receiver is
    /// dropped, so a reader that already found a blob gets all of it however slowly it
    /// reads. The reading task carries the caller's tracing span.
    pub fn read(&self, segments: Vec<ReadSegment>) -> mpsc::Receiver<io::Result<Bytes>> {
        let (tx, rx) = mpsc::channel(READ_QUEUE);
        let pin = self.pin(segments.iter().filter_map(|s| match s {
            ReadSegment::Blob { blob_id, .. } => Some(blob_id.clone()),
            ReadSegment::Inline { .. } => None,
        }));
        let store = self.clone();
        tokio::spawn(
            async move {
                let _pin = pin;
                for segment in segments {
                    let sent = match segment {
                        ReadSegment::Inline { data, md5_hex, offset, len } => store.send_inline(&tx, data, &md5_hex, offset, len).await,
                        ReadSegment::Blob { blob_id, blob_len, offset, len } => store.read_blob(&tx, &blob_id, blob_len, offset, len).await,
                    };
                    if !sent {
                        return;
                    }
                }
            }
            .instrument(tracing::Span::current()),
        );
        rx
    }

    /// Sends `len` bytes of a blob from `offset`, one blocking read per chunk with up to
    /// [`READ_AHEAD`] chunks in flight (so that checking one chunk's blocks overlaps
    /// reading the next), in order, moving to the next copy from the failed chunk on
    /// when one fails; false once the stream ended (an error sent, or the receiver gone).
    async fn read_blob(&self, tx: &mpsc::Sender<io::Result<Bytes>>, blob_id: &str, blob_len: u64, offset: u64, len: u64) -> bool {
        let mut candidates = self.drives.preference(blob_id).into_iter().enumerate();
        let mut seen = Seen::default();
        let (mut pos, end) = (offset, offset + len);
        'copies: while pos < end {
            let Some(copy) = self.next_copy(&mut candidates, blob_id, blob_len, &mut seen).await else {
                count(&self.integrity.unrecoverable);
                tracing::error!(blob_id, offset = pos, "no good copy of the blob is left: the read fails");
                self.request_repair(blob_id, blob_len, false);
                let _ = tx.send(Err(io::Error::other(format!("no good copy of blob {blob_id} at offset {pos}")))).await;
                return false;
            };
            let copy = Arc::new(copy);
            let mut in_flight: VecDeque<(u64, ChunkRead)> = VecDeque::with_capacity(READ_AHEAD);
            let mut next = pos;
            loop {
                while in_flight.len() < READ_AHEAD && next < end {
                    let (from, to) = (next, ((next / BLOCK_SIZE) * BLOCK_SIZE + READ_CHUNK).min(end));
                    let reader = copy.clone();
                    // Allocated here, on a runtime worker, not on a blocking thread: glibc
                    // gives each thread that allocates an arena of its own (up to 8 per
                    // core), and chunks freed into many arenas stay resident.
                    let buf = Vec::with_capacity(copy.span(from, to));
                    in_flight.push_back((to, tokio::task::spawn_blocking(move || reader.read(buf, from, to))));
                    next = to;
                }
                let Some((to, task)) = in_flight.pop_front() else { break 'copies };
                match task.await {
                    Ok(Ok(buf)) => {
                        pos = to;
                        if tx.send(Ok(buf)).await.is_err() {
                            return false;
                        }
                    }
                    Ok(Err(damage)) => {
                        // Chunks read ahead from this copy are dropped; the next copy
                        // starts at the failed one.
                        self.found_damage(&copy.drive, blob_id, &damage);
                        seen.damage = true;
                        continue 'copies;
                    }
                    Err(join) => {
                        let _ = tx.send(Err(io::Error::other(join))).await;
                        return false;
                    }
                }
            }
        }
        if seen.damage || seen.missing {
            self.request_repair(blob_id, blob_len, !seen.damage);
        }
        true
    }

    /// Sends a range of an inline part once the whole part matches its MD5; damaged
    /// bytes (there is no other copy) end the stream with an error instead.
    async fn send_inline(&self, tx: &mpsc::Sender<io::Result<Bytes>>, data: Bytes, md5_hex: &str, offset: u64, len: u64) -> bool {
        let range = usize::try_from(offset).ok().zip(usize::try_from(offset + len).ok()).filter(|(_, end)| *end <= data.len());
        match range {
            Some((from, to)) if inline_intact(&data, md5_hex) => tx.send(Ok(data.slice(from..to))).await.is_ok(),
            Some(_) => {
                count(&self.integrity.errors);
                count(&self.integrity.unrecoverable);
                tracing::error!("inline object bytes do not match their MD5: the read fails");
                let _ = tx.send(Err(io::Error::other("inline object bytes do not match their MD5"))).await;
                false
            }
            None => {
                let _ = tx.send(Err(io::Error::other(format!("a read of {len} bytes from {offset} is outside an inline part of {} bytes", data.len())))).await;
                false
            }
        }
    }

    /// Opens the next usable copy, counting and reporting the damaged ones on the way.
    /// A copy missing from a drive that the blob does not prefer is no damage: the
    /// blob was never placed there; nor is one missing from a degraded drive, which the
    /// healer cannot write to now and restores once the drive is back.
    async fn next_copy(&self, candidates: &mut impl Iterator<Item = (usize, Arc<Drive>)>, blob_id: &str, blob_len: u64, seen: &mut Seen) -> Option<Copy> {
        for (rank, drive) in candidates.by_ref() {
            let (id, d) = (blob_id.to_owned(), drive.clone());
            let opened = tokio::task::spawn_blocking(move || Copy::open(&d, &id, blob_len)).await;
            match opened {
                Ok(Ok(copy)) => return Some(copy),
                Ok(Err(Damage::Missing)) if rank >= self.copies || drive.health.is_degraded() => {}
                Ok(Err(Damage::Missing)) => seen.missing = true,
                Ok(Err(damage)) => {
                    self.found_damage(&drive, blob_id, &damage);
                    seen.damage = true;
                }
                Err(_) => return None,
            }
        }
        None
    }

    /// Logs and counts a damaged copy.
    pub(super) fn found_damage(&self, drive: &Drive, blob_id: &str, damage: &Damage) {
        count(&self.integrity.errors);
        count(&drive.health.integrity_errors);
        tracing::error!(drive = %drive.id, blob_id, error = %damage, "a copy of a blob is damaged; reading another copy");
    }
}

/// `len` bytes of `file` from `offset`, read into a buffer that is not zeroed first:
/// filling 256 KiB with zeros before `pread` overwrites them was 9% of the server's CPU
/// in a profile of large GETs. A file shorter than that is an `UnexpectedEof`.
fn read_fresh_at(file: &File, mut buf: Vec<u8>, len: usize, offset: u64) -> io::Result<Vec<u8>> {
    buf.clear();
    buf.reserve_exact(len);
    while buf.len() < len {
        let at = offset + buf.len() as u64;
        match rustix::io::pread(file, rustix::buffer::spare_capacity(&mut buf), at) {
            Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, format!("the file ends before byte {}", offset + len as u64))),
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    buf.truncate(len);
    Ok(buf)
}
