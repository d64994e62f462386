//! The stored format of an encrypted part: a 12-byte header (`DSE1` and a random 8-byte
//! nonce prefix), then the plaintext in chunks of [`CHUNK`] bytes, each sealed with
//! AES-256-GCM and followed by its 16-byte tag. The nonce is the prefix and the chunk's
//! index; the associated data binds the blob's id, the chunk's index and whether it is
//! the last chunk. A chunk that was altered, moved (within a part or to another blob),
//! a blob put in another's place, or a part cut short or lengthened, fails to decrypt. An empty part still has
//! one (empty, last) chunk, so even a part truncated to its header is detected.
//!
//! A ranged read needs only the header and the chunks its range touches ([`span`]).
//! It knows nothing of keys' origins, blobs or objects: it turns bytes into bytes.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce};
use bytes::{Bytes, BytesMut};

use super::{cipher, DataKey, EncryptionError};

/// Plaintext bytes per chunk.
pub const CHUNK: u64 = 64 * 1024;
/// The authentication tag after each chunk.
pub const TAG: u64 = 16;
/// The header: magic and nonce prefix.
pub const HEADER: u64 = 12;
const MAGIC: &[u8; 4] = b"DSE1";

/// Chunks of a part of `plain_len` bytes (at least one).
pub fn chunk_count(plain_len: u64) -> u64 {
    plain_len.div_ceil(CHUNK).max(1)
}

/// Stored length of a part of `plain_len` bytes.
pub fn sealed_len(plain_len: u64) -> u64 {
    HEADER + plain_len + TAG * chunk_count(plain_len)
}

/// The stored bytes a read of plaintext `[start, start + len)` of a part of `plain_len`
/// bytes needs, besides the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The first chunk read.
    pub first_chunk: u64,
    /// Where that chunk starts in the stored part.
    pub offset: u64,
    /// Stored bytes from `offset` to the end of the last chunk read.
    pub len: u64,
    /// Plaintext bytes of the first chunk before `start`.
    pub skip: u64,
    /// Plaintext bytes wanted.
    pub take: u64,
}

/// The chunks that hold plaintext `[start, start + len)` (`len` 0 reads the chunk at
/// `start`, which checks the part's last chunk for an empty part).
pub fn span(plain_len: u64, start: u64, len: u64) -> Span {
    let count = chunk_count(plain_len);
    let first = (start / CHUNK).min(count - 1);
    let last = if len == 0 { first } else { ((start + len - 1) / CHUNK).min(count - 1) };
    let end_plain = ((last + 1) * CHUNK).min(plain_len);
    let offset = HEADER + first * (CHUNK + TAG);
    let end = HEADER + end_plain + (last + 1) * TAG;
    Span { first_chunk: first, offset, len: end - offset, skip: start - first * CHUNK, take: len }
}

fn nonce(prefix: &[u8; 8], index: u64) -> Result<Nonce, EncryptionError> {
    let index = u32::try_from(index).map_err(|_| EncryptionError::TooLarge)?;
    let mut n = [0u8; 12];
    n[..8].copy_from_slice(prefix);
    n[8..].copy_from_slice(&index.to_be_bytes());
    Ok(Nonce::assume_unique_for_key(n))
}

fn aad(blob_id: &str, index: u64, last: bool) -> Vec<u8> {
    let mut a = Vec::with_capacity(4 + blob_id.len() + 9);
    a.extend_from_slice(MAGIC);
    a.extend_from_slice(blob_id.as_bytes());
    a.extend_from_slice(&index.to_be_bytes());
    a.push(u8::from(last));
    a
}

/// Encrypts one part as it streams in.
pub struct Encryptor {
    cipher: LessSafeKey,
    prefix: [u8; 8],
    blob_id: String,
    index: u64,
    /// Plaintext of a chunk not sealed yet: less than a chunk, or the last whole chunk
    /// seen, held until more follows (or [`Encryptor::finish`]) tells whether it is last.
    pending: Vec<u8>,
    header_sent: bool,
}

impl Encryptor {
    /// An encryptor for the blob `blob_id` under `key`, with a fresh random nonce
    /// prefix: a part written again never reuses a nonce.
    pub fn new(key: &DataKey, blob_id: &str) -> Result<Self, EncryptionError> {
        Self::with_prefix(key, blob_id, rand::random())
    }

    fn with_prefix(key: &DataKey, blob_id: &str, prefix: [u8; 8]) -> Result<Self, EncryptionError> {
        Ok(Encryptor { cipher: cipher(&key.0)?, prefix, blob_id: blob_id.to_owned(), index: 0, pending: Vec::new(), header_sent: false })
    }

    fn header(&mut self, out: &mut BytesMut) {
        if !self.header_sent {
            out.extend_from_slice(MAGIC);
            out.extend_from_slice(&self.prefix);
            self.header_sent = true;
        }
    }

    /// Appends `plain` sealed, and its tag, to `out` (one copy: the cipher works in place).
    fn seal(&mut self, plain: &[u8], last: bool, out: &mut BytesMut) -> Result<(), EncryptionError> {
        let start = out.len();
        out.extend_from_slice(plain);
        let tag = self
            .cipher
            .seal_in_place_separate_tag(nonce(&self.prefix, self.index)?, Aad::from(aad(&self.blob_id, self.index, last)), &mut out[start..])
            .map_err(|_| EncryptionError::Cipher)?;
        out.extend_from_slice(tag.as_ref());
        self.index += 1;
        Ok(())
    }

    /// Takes plaintext; returns the stored bytes that are ready (the header first). The
    /// last chunk is held back until [`Encryptor::finish`] marks it. Whole chunks are
    /// sealed straight from `plain`; only a chunk's unfinished end is kept.
    pub fn update(&mut self, mut plain: &[u8]) -> Result<Bytes, EncryptionError> {
        let chunk = CHUNK as usize;
        let mut out = BytesMut::with_capacity(HEADER as usize + plain.len() + (plain.len() / chunk + 2) * TAG as usize);
        self.header(&mut out);
        if !self.pending.is_empty() {
            let take = (chunk - self.pending.len()).min(plain.len());
            self.pending.extend_from_slice(&plain[..take]);
            plain = &plain[take..];
            if plain.is_empty() {
                return Ok(out.freeze());
            }
            let held = std::mem::take(&mut self.pending);
            self.seal(&held, false, &mut out)?;
        }
        while plain.len() > chunk {
            let (whole, rest) = plain.split_at(chunk);
            self.seal(whole, false, &mut out)?;
            plain = rest;
        }
        self.pending.extend_from_slice(plain);
        Ok(out.freeze())
    }

    /// The last chunk (and the header, for an empty part).
    pub fn finish(mut self) -> Result<Bytes, EncryptionError> {
        let mut out = BytesMut::with_capacity(HEADER as usize + self.pending.len() + TAG as usize);
        self.header(&mut out);
        let rest = std::mem::take(&mut self.pending);
        self.seal(&rest, true, &mut out)?;
        Ok(out.freeze())
    }
}

/// Decrypts one part's header and the chunks of a [`Span`], handing on only the
/// plaintext the span asks for.
pub struct Decryptor {
    cipher: LessSafeKey,
    blob_id: String,
    plain_len: u64,
    prefix: Option<[u8; 8]>,
    /// A header or chunk whose bytes came split over two inputs, and stored bytes past
    /// the span (which [`Decryptor::finish`] reports).
    buf: BytesMut,
    index: u64,
    last_index: u64,
    skip: u64,
    remaining: u64,
    /// A chunk must still be checked although no plaintext is wanted (an empty part).
    needs_one: bool,
}

impl Decryptor {
    pub fn new(key: &DataKey, blob_id: &str, plain_len: u64, span: &Span) -> Result<Self, EncryptionError> {
        Ok(Decryptor {
            cipher: cipher(&key.0)?,
            blob_id: blob_id.to_owned(),
            plain_len,
            prefix: None,
            buf: BytesMut::new(),
            index: span.first_chunk,
            last_index: chunk_count(plain_len) - 1,
            skip: span.skip,
            remaining: span.take,
            needs_one: span.take == 0,
        })
    }

    /// Stored bytes of the chunk being read (its plaintext and tag).
    fn chunk_len(&self) -> u64 {
        let plain = if self.index == self.last_index { self.plain_len - self.index * CHUNK } else { CHUNK };
        plain + TAG
    }

    /// `want` bytes: straight from `stored` when nothing is held over (no copy), else
    /// completed from it in `buf`; None while they are not all there.
    fn next_piece(&mut self, stored: &mut BytesMut, want: usize) -> Option<BytesMut> {
        if self.buf.is_empty() && stored.len() >= want {
            return Some(stored.split_to(want));
        }
        // One allocation of the whole piece, not one grown as its halves arrive.
        self.buf.reserve(want - self.buf.len());
        let take = (want - self.buf.len()).min(stored.len());
        self.buf.extend_from_slice(&stored.split_to(take));
        (self.buf.len() == want).then(|| self.buf.split())
    }

    /// Takes stored bytes (the header, then the span's chunks); returns the plaintext
    /// they complete, chunk by chunk. Each chunk is decrypted where it lies: the
    /// plaintext shares `stored`'s buffer, and only a chunk split between two inputs
    /// is copied.
    pub fn update(&mut self, mut stored: BytesMut) -> Result<Vec<Bytes>, EncryptionError> {
        let mut out = Vec::new();
        if self.prefix.is_none() {
            let Some(header) = self.next_piece(&mut stored, HEADER as usize) else { return Ok(out) };
            if &header[..4] != MAGIC {
                return Err(EncryptionError::Damaged { chunk: None });
            }
            let mut prefix = [0u8; 8];
            prefix.copy_from_slice(&header[4..]);
            self.prefix = Some(prefix);
        }
        while self.remaining > 0 || self.needs_one {
            let len = self.chunk_len() as usize;
            let Some(mut chunk) = self.next_piece(&mut stored, len) else { break };
            let tag: [u8; TAG as usize] = chunk[len - TAG as usize..].try_into().map_err(|_| EncryptionError::Damaged { chunk: Some(self.index) })?;
            chunk.truncate(len - TAG as usize);
            let prefix = self.prefix.as_ref().ok_or(EncryptionError::Damaged { chunk: None })?;
            let last = self.index == self.last_index;
            self.cipher
                .open_in_place_separate_tag(nonce(prefix, self.index)?, Aad::from(aad(&self.blob_id, self.index, last)), &tag, &mut chunk)
                .map_err(|_| EncryptionError::Damaged { chunk: Some(self.index) })?;
            self.index += 1;
            let from = self.skip.min(chunk.len() as u64) as usize;
            self.skip = 0;
            let to = (from as u64 + self.remaining).min(chunk.len() as u64) as usize;
            self.remaining -= (to - from) as u64;
            if to > from {
                out.push(chunk.freeze().slice(from..to));
            }
            self.needs_one = false;
        }
        self.buf.extend_from_slice(&stored);
        Ok(out)
    }

    /// Whether everything asked for has been handed on.
    pub fn done(&self) -> bool {
        self.prefix.is_some() && self.remaining == 0 && !self.needs_one
    }

    /// Ends the part: an error if bytes are missing or left over.
    pub fn finish(&self) -> Result<(), EncryptionError> {
        if self.done() && self.buf.is_empty() {
            Ok(())
        } else {
            Err(EncryptionError::Damaged { chunk: Some(self.index) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> DataKey {
        DataKey([7u8; 32])
    }

    fn seal(plain: &[u8], part: &str, piece: usize) -> Vec<u8> {
        let mut e = Encryptor::new(&key(), part).unwrap();
        let mut out = Vec::new();
        for p in plain.chunks(piece.max(1)) {
            out.extend_from_slice(&e.update(p).unwrap());
        }
        out.extend_from_slice(&e.finish().unwrap());
        out
    }

    /// Reads `[start, start+len)` the way a ranged GET does: the header, then the span.
    fn open(stored: &[u8], part: &str, plain_len: u64, start: u64, len: u64, piece: usize) -> Result<Vec<u8>, EncryptionError> {
        let s = span(plain_len, start, len);
        let mut d = Decryptor::new(&key(), part, plain_len, &s).unwrap();
        let mut input = stored[..HEADER as usize].to_vec();
        input.extend_from_slice(&stored[s.offset as usize..(s.offset + s.len) as usize]);
        let mut out = Vec::new();
        for p in input.chunks(piece.max(1)) {
            for b in d.update(BytesMut::from(p))? {
                out.extend_from_slice(&b);
            }
        }
        d.finish()?;
        Ok(out)
    }

    fn data(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn round_trips_at_every_boundary() {
        let c = CHUNK as usize;
        for n in [0, 1, c - 1, c, c + 1, 2 * c, 3 * c + 5] {
            let plain = data(n);
            let stored = seal(&plain, "b3", 10_000);
            assert_eq!(stored.len() as u64, sealed_len(n as u64), "length of {n}");
            assert_eq!(open(&stored, "b3", n as u64, 0, n as u64, 7_000).unwrap(), plain, "whole {n}");
            for (start, len) in [(0usize, 1usize), (c - 1, 2), (c, 1), (n / 2, n / 3), (n.saturating_sub(1), 1)] {
                if n == 0 || start >= n {
                    continue;
                }
                let len = len.min(n - start).max(1);
                assert_eq!(open(&stored, "b3", n as u64, start as u64, len as u64, 999).unwrap(), &plain[start..start + len], "{n}: {start}+{len}");
            }
        }
    }

    #[test]
    fn the_plaintext_is_not_in_the_stored_bytes() {
        let plain = b"a marker that must not be stored in the clear".repeat(100);
        let stored = seal(&plain, "b1", 100);
        assert!(!stored.windows(20).any(|w| w == &plain[..20]));
    }

    #[test]
    fn tampering_is_detected() {
        let n = 3 * CHUNK as usize + 10;
        let plain = data(n);
        let stored = seal(&plain, "b1", 50_000);
        // A flipped bit in a chunk, in a tag, in the header's magic.
        for at in [HEADER as usize + 5, HEADER as usize + CHUNK as usize + 3, 2] {
            let mut bad = stored.clone();
            bad[at] ^= 1;
            assert!(open(&bad, "b1", n as u64, 0, n as u64, 4096).is_err(), "flip at {at}");
        }
        // Two chunks swapped.
        let (h, cl) = (HEADER as usize, (CHUNK + TAG) as usize);
        let mut swapped = stored[..h].to_vec();
        swapped.extend_from_slice(&stored[h + cl..h + 2 * cl]);
        swapped.extend_from_slice(&stored[h..h + cl]);
        swapped.extend_from_slice(&stored[h + 2 * cl..]);
        assert!(open(&swapped, "b1", n as u64, 0, n as u64, 4096).is_err());
        // Another blob's id (a blob put in its place), another key.
        assert!(open(&stored, "b2", n as u64, 0, n as u64, 4096).is_err());
        let s = span(n as u64, 0, n as u64);
        let mut other = Decryptor::new(&DataKey([8u8; 32]), "b1", n as u64, &s).unwrap();
        assert!(other.update(BytesMut::from(&stored[..])).is_err());
        // Cut after a whole chunk: the chunk now read as last fails.
        let cut = &stored[..h + cl];
        let short = CHUNK;
        let s = span(short, 0, short);
        let mut d = Decryptor::new(&key(), "b1", short, &s).unwrap();
        assert!(d.update(BytesMut::from(cut)).is_err());
        // An empty part cut to its header.
        let empty = seal(&[], "b1", 1);
        assert!(open(&empty, "b1", 0, 0, 0, 1).is_ok());
        let s = span(0, 0, 0);
        let mut d = Decryptor::new(&key(), "b1", 0, &s).unwrap();
        assert!(d.update(BytesMut::from(&empty[..HEADER as usize])).unwrap().is_empty());
        assert!(d.finish().is_err());
    }

    /// The stored format is AES-256-GCM as written since the first encrypted blob: a
    /// part sealed with a fixed nonce prefix has these exact bytes, and they open.
    #[test]
    fn the_stored_format_does_not_change() {
        use sha2::{Digest, Sha256};
        let n = 2 * CHUNK as usize + 100;
        let plain = data(n);
        let mut e = Encryptor::with_prefix(&key(), "fixture", [1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
        let mut stored = e.update(&plain).unwrap().to_vec();
        stored.extend_from_slice(&e.finish().unwrap());
        let digest: String = Sha256::digest(&stored).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(digest, "3e5dd7ca1dcd13694c9783dc75039172cf9e41087080169a63c7128b0324a6ba");
        assert_eq!(open(&stored, "fixture", n as u64, 0, n as u64, 5000).unwrap(), plain);
    }

    #[test]
    fn two_encryptions_of_one_part_use_different_nonces() {
        let plain = data(1000);
        let (a, b) = (seal(&plain, "b1", 1000), seal(&plain, "b1", 1000));
        assert_ne!(a[4..12], b[4..12]);
        assert_ne!(a[12..], b[12..]);
    }

    #[test]
    fn spans_cover_only_the_chunks_asked_for() {
        let n = 4 * CHUNK + 100;
        let s = span(n, CHUNK + 10, 20);
        assert_eq!(s.first_chunk, 1);
        assert_eq!(s.offset, HEADER + CHUNK + TAG);
        assert_eq!(s.len, CHUNK + TAG);
        assert_eq!(s.skip, 10);
        let tail = span(n, 4 * CHUNK + 99, 1);
        assert_eq!(tail.offset + tail.len, sealed_len(n));
    }
}
