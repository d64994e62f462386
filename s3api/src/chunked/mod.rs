//! The aws-chunked body decoder (`Content-Encoding: aws-chunked`, `x-amz-content-sha256:
//! STREAMING-…`): de-frames chunks, verifies chunk and trailer signatures, and parses
//! trailers.
//!
//! Sans-IO: callers feed bytes and get decoded data back as it arrives; memory stays
//! bounded by [`Limits`] whatever the input (the caller's buffer never needs more than
//! one read plus the longest allowed header or trailer section). It does no I/O, keeps
//! no chunk in memory (chunk data is hashed as it passes), and does not check trailer
//! checksums against the data: the caller does. Lines must end with CRLF; a bare LF is
//! an error.

mod error;
#[cfg(test)]
mod tests;

use bytes::{Buf, Bytes, BytesMut};
use sha2::{Digest, Sha256};

use crate::sigv4::{signatures_equal, ChunkSigner};

pub use error::ChunkedError;

/// Bounds on what one body may make the decoder hold or accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest chunk header line, excluding its CRLF.
    pub max_chunk_header: usize,
    /// Largest declared size of one chunk.
    pub max_chunk_size: u64,
    /// Largest trailer section (everything after the final chunk's header line,
    /// line endings included).
    pub max_trailer_size: usize,
    /// Most decoded bytes the whole body may carry (e.g. `x-amz-decoded-content-length`).
    pub max_decoded_length: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_chunk_header: 4096, max_chunk_size: 64 * 1024 * 1024, max_trailer_size: 16 * 1024, max_decoded_length: None }
    }
}

/// Which aws-chunked variant the body uses, from `x-amz-content-sha256`.
#[derive(Debug, Clone)]
pub enum ChunkedMode {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: signed chunks, no trailers.
    Signed(ChunkSigner),
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks, signed trailers.
    SignedTrailer(ChunkSigner),
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: plain chunks, unsigned trailers.
    UnsignedTrailer,
}

/// One item of decoded output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// Body bytes, never empty, released before their chunk's signature is checked.
    Data(Bytes),
    /// The trailers (names lower-case, values trimmed, in the order sent, without
    /// `x-amz-trailer-signature`), once, after all data; empty if none.
    Trailers(Vec<(String, String)>),
}

/// Where the decoder is in the body.
#[derive(Debug)]
enum State {
    /// At the start of a chunk header line.
    Header,
    /// Inside a chunk's data, `remaining` bytes to go.
    Data { remaining: u64 },
    /// After a chunk's data, expecting its CRLF.
    DataEnd,
    /// After the final (zero-size) chunk's header line: trailer lines, then an empty line.
    Trailer,
    /// Body complete; only end of input may follow.
    Done,
    /// A previous call failed; the error repeats.
    Failed(ChunkedError),
}

/// Decoder of one aws-chunked body. Feed it with [`ChunkedDecoder::decode`] as bytes
/// arrive and with [`ChunkedDecoder::decode_eof`] once input has ended.
///
/// ```
/// use bytes::BytesMut;
/// use s3api::chunked::{ChunkedDecoder, ChunkedMode, Decoded, Limits};
///
/// let mut decoder = ChunkedDecoder::new(ChunkedMode::UnsignedTrailer, Limits::default());
/// let (mut data, mut trailers) = (Vec::new(), Vec::new());
/// let mut buf = BytesMut::new();
/// for read in [&b"5\r\nhel"[..], b"lo\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"] {
///     buf.extend_from_slice(read);
///     while let Some(item) = decoder.decode(&mut buf)? {
///         match item {
///             Decoded::Data(bytes) => data.extend_from_slice(&bytes),
///             Decoded::Trailers(t) => trailers = t,
///         }
///     }
/// }
/// // End of input: drain what is left, then check the body was complete.
/// while let Some(item) = decoder.decode_eof(&mut buf)? {
///     if let Decoded::Trailers(t) = item {
///         trailers = t;
///     }
/// }
/// decoder.finish()?;
/// assert_eq!(data, b"hello");
/// assert_eq!(trailers, [("x-amz-checksum-crc32".to_owned(), "NhCmhg==".to_owned())]);
/// # Ok::<(), s3api::chunked::ChunkedError>(())
/// ```
#[derive(Debug)]
pub struct ChunkedDecoder {
    limits: Limits,
    /// Signer of signed modes.
    signer: Option<ChunkSigner>,
    /// Whether trailers (other than nothing) may follow the final chunk.
    trailers_allowed: bool,
    state: State,
    /// Bytes of the current line already searched for `\n`.
    scanned: usize,
    /// The previous chunk's signature (the seed before the first chunk).
    previous_signature: String,
    /// Signature the current chunk claims, checked when its data ends.
    claimed_signature: String,
    /// Hash of the current chunk's data so far (signed modes).
    chunk_hash: Sha256,
    decoded_len: u64,
    trailers: Vec<(String, String)>,
    /// `name:value\n` of each trailer, for the trailer signature.
    canonical_trailers: String,
    trailer_bytes: usize,
    trailer_signature_seen: bool,
}

/// Which kind of line [`ChunkedDecoder::take_line`] looks for.
#[derive(Clone, Copy)]
enum LineKind {
    ChunkHeader,
    Trailer,
}

impl ChunkedDecoder {
    pub fn new(mode: ChunkedMode, limits: Limits) -> Self {
        let (signer, trailers_allowed) = match mode {
            ChunkedMode::Signed(signer) => (Some(signer), false),
            ChunkedMode::SignedTrailer(signer) => (Some(signer), true),
            ChunkedMode::UnsignedTrailer => (None, true),
        };
        let previous_signature = signer.as_ref().map(|s| s.seed_signature().to_owned()).unwrap_or_default();
        ChunkedDecoder {
            limits,
            signer,
            trailers_allowed,
            state: State::Header,
            scanned: 0,
            previous_signature,
            claimed_signature: String::new(),
            chunk_hash: Sha256::new(),
            decoded_len: 0,
            trailers: Vec::new(),
            canonical_trailers: String::new(),
            trailer_bytes: 0,
            trailer_signature_seen: false,
        }
    }

    /// Consumes as much of `buf` as it can; returns the next decoded item, or `Ok(None)`
    /// when it needs more input (or, once done, when `buf` is empty). Data is released
    /// as soon as it arrives; a chunk's signature is checked when its data ends, so on
    /// error the caller must discard everything already received. After an error, every
    /// call returns the same error.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Decoded>, ChunkedError> {
        self.step(buf, false)
    }

    /// Like [`decode`](Self::decode), for when input has ended and `buf` holds all that
    /// is left. Never asks for more: a body ending early is [`ChunkedError::Truncated`].
    /// Tolerates a body that ends right after its last trailer line (after the
    /// `x-amz-trailer-signature` line in signed mode) without the final empty line,
    /// which `decode` alone cannot tell from a truncated body. Call until it returns
    /// `Ok(None)`; the decoder is then done.
    pub fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Decoded>, ChunkedError> {
        self.step(buf, true)
    }

    /// Whether the whole body, trailers included, has been decoded.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Call at end of input: an error if the body ended before the final chunk and
    /// its trailers (or if decoding failed). Leftover bytes after the body are reported
    /// by `decode`, which the caller must call until it returns `Ok(None)`.
    pub fn finish(&self) -> Result<(), ChunkedError> {
        match &self.state {
            State::Done => Ok(()),
            State::Failed(err) => Err(err.clone()),
            State::Header | State::Data { .. } | State::DataEnd => Err(ChunkedError::Truncated { expected: "the final zero-size chunk" }),
            State::Trailer => Err(ChunkedError::Truncated { expected: "the end of the trailers" }),
        }
    }

    /// Bytes of data decoded so far.
    pub fn decoded_len(&self) -> u64 {
        self.decoded_len
    }

    fn step(&mut self, buf: &mut BytesMut, eof: bool) -> Result<Option<Decoded>, ChunkedError> {
        let result = self.run(buf, eof);
        if let Err(err) = &result {
            self.state = State::Failed(err.clone());
        }
        result
    }

    fn run(&mut self, buf: &mut BytesMut, eof: bool) -> Result<Option<Decoded>, ChunkedError> {
        loop {
            match &mut self.state {
                State::Failed(err) => return Err(err.clone()),
                State::Done => {
                    return if buf.is_empty() { Ok(None) } else { Err(ChunkedError::TrailingData) };
                }
                State::Header => {
                    let max = self.limits.max_chunk_header.saturating_add(2);
                    let Some(header) = self.take_line(buf, max, LineKind::ChunkHeader)? else {
                        return truncated_or_none(eof, "a complete chunk header");
                    };
                    self.start_chunk(&header)?;
                }
                State::Data { remaining } => {
                    if *remaining == 0 {
                        self.verify_chunk()?;
                        self.state = State::DataEnd;
                        continue;
                    }
                    if buf.is_empty() {
                        return truncated_or_none(eof, "the end of the chunk data");
                    }
                    let take = usize::try_from(*remaining).unwrap_or(usize::MAX).min(buf.len());
                    *remaining = remaining.saturating_sub(take as u64);
                    let data = buf.split_to(take).freeze();
                    if self.signer.is_some() {
                        self.chunk_hash.update(&data);
                    }
                    self.decoded_len = self.decoded_len.saturating_add(take as u64);
                    return Ok(Some(Decoded::Data(data)));
                }
                State::DataEnd => {
                    match buf.first() {
                        None => return truncated_or_none(eof, "the CRLF after the chunk data"),
                        Some(b'\r') => {}
                        Some(_) => return Err(ChunkedError::MissingDataCrlf),
                    }
                    match buf.get(1) {
                        None => return truncated_or_none(eof, "the CRLF after the chunk data"),
                        Some(b'\n') => {}
                        Some(_) => return Err(ChunkedError::MissingDataCrlf),
                    }
                    buf.advance(2.min(buf.len()));
                    self.state = State::Header;
                }
                State::Trailer => {
                    if eof && buf.is_empty() && self.may_end_without_empty_line() {
                        // Lenient: the body ended right after its last trailer line,
                        // without the final empty line.
                        return self.end_trailers(buf).map(Some);
                    }
                    let max = self.limits.max_trailer_size.saturating_sub(self.trailer_bytes);
                    let Some(raw) = self.take_line(buf, max, LineKind::Trailer)? else {
                        return truncated_or_none(eof, "the end of the trailers");
                    };
                    self.trailer_bytes = self.trailer_bytes.saturating_add(raw.len().saturating_add(2));
                    if raw.is_empty() {
                        return self.end_trailers(buf).map(Some);
                    }
                    self.trailer_line(&raw)?;
                }
            }
        }
    }

    /// Takes the CRLF-terminated line at the front of `buf`, at most `max` bytes long
    /// including the CRLF, and returns it without the CRLF. `Ok(None)`: no complete line
    /// yet (what was searched is remembered, so feeding a byte at a time stays linear).
    fn take_line(&mut self, buf: &mut BytesMut, max: usize, kind: LineKind) -> Result<Option<BytesMut>, ChunkedError> {
        let window = buf.get(..buf.len().min(max)).unwrap_or_default();
        let from = self.scanned.min(window.len());
        match window.get(from..).and_then(|rest| rest.iter().position(|&b| b == b'\n')) {
            Some(offset) => {
                let newline = from.saturating_add(offset);
                self.scanned = 0;
                match newline.checked_sub(1).and_then(|cr| buf.get(cr)) {
                    Some(b'\r') => {
                        let mut line = buf.split_to(newline.saturating_add(1));
                        line.truncate(newline.saturating_sub(1));
                        Ok(Some(line))
                    }
                    _ => Err(ChunkedError::BareLineFeed {
                        what: match kind {
                            LineKind::ChunkHeader => "chunk header",
                            LineKind::Trailer => "trailer",
                        },
                    }),
                }
            }
            None if buf.len() >= max => Err(match kind {
                LineKind::ChunkHeader => ChunkedError::ChunkHeaderTooLong { limit: self.limits.max_chunk_header },
                LineKind::Trailer => ChunkedError::TrailerTooLarge { limit: self.limits.max_trailer_size },
            }),
            None => {
                self.scanned = window.len();
                Ok(None)
            }
        }
    }

    /// Parses a chunk header line and enters the chunk.
    fn start_chunk(&mut self, header: &[u8]) -> Result<(), ChunkedError> {
        let (size_part, extension) = match header.iter().position(|&b| b == b';') {
            Some(at) => (header.get(..at).unwrap_or_default(), header.get(at.saturating_add(1)..)),
            None => (header, None),
        };
        let size = if self.signer.is_some() {
            let signature = extension
                .and_then(|ext| ext.strip_prefix(b"chunk-signature="))
                .filter(|sig| sig.len() == 64 && sig.iter().all(u8::is_ascii_hexdigit))
                .ok_or(ChunkedError::MalformedChunkHeader)?;
            self.claimed_signature = String::from_utf8_lossy(signature).into_owned();
            parse_hex_size(size_part)?
        } else {
            // Unsigned: any chunk extension is ignored; tolerate blanks around the size.
            parse_hex_size(size_part.trim_ascii())?
        };
        if size > self.limits.max_chunk_size {
            return Err(ChunkedError::ChunkTooLarge { size, limit: self.limits.max_chunk_size });
        }
        let total = self.decoded_len.checked_add(size).ok_or(ChunkedError::ChunkSizeOverflow)?;
        if let Some(limit) = self.limits.max_decoded_length {
            if total > limit {
                return Err(ChunkedError::DecodedLengthExceeded { limit });
            }
        }
        if size == 0 {
            self.verify_chunk()?;
            self.state = State::Trailer;
        } else {
            self.state = State::Data { remaining: size };
        }
        Ok(())
    }

    /// Checks the signature of the chunk whose data just ended (signed modes).
    fn verify_chunk(&mut self) -> Result<(), ChunkedError> {
        let Some(signer) = &self.signer else { return Ok(()) };
        let hash = self.chunk_hash.finalize_reset();
        let expected = signer.chunk_signature(&self.previous_signature, &hash);
        if !signatures_equal(&expected, &self.claimed_signature) {
            return Err(ChunkedError::ChunkSignatureMismatch);
        }
        self.previous_signature = expected;
        Ok(())
    }

    /// Handles one non-empty trailer line.
    fn trailer_line(&mut self, raw: &[u8]) -> Result<(), ChunkedError> {
        if !self.trailers_allowed {
            return Err(ChunkedError::UnexpectedTrailer);
        }
        if self.trailer_signature_seen {
            return Err(ChunkedError::MalformedTrailer("a trailer follows x-amz-trailer-signature"));
        }
        let line = std::str::from_utf8(raw).map_err(|_| ChunkedError::MalformedTrailer("not UTF-8"))?;
        let (name, value) = line.split_once(':').ok_or(ChunkedError::MalformedTrailer("no ':' in a trailer line"))?;
        let name = name.trim_matches([' ', '\t']).to_ascii_lowercase();
        let value = value.trim_matches([' ', '\t']);
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(ChunkedError::MalformedTrailer("invalid trailer name"));
        }
        if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return Err(ChunkedError::MalformedTrailer("control character in a trailer value"));
        }
        if name == "x-amz-trailer-signature" {
            let Some(signer) = &self.signer else {
                return Err(ChunkedError::MalformedTrailer("x-amz-trailer-signature in an unsigned body"));
            };
            let expected = signer.trailer_signature(&self.previous_signature, &self.canonical_trailers);
            if !signatures_equal(&expected, value) {
                return Err(ChunkedError::TrailerSignatureMismatch);
            }
            self.trailer_signature_seen = true;
            return Ok(());
        }
        if self.trailers.iter().any(|(seen, _)| *seen == name) {
            return Err(ChunkedError::DuplicateTrailer(name));
        }
        self.canonical_trailers.push_str(&name);
        self.canonical_trailers.push(':');
        self.canonical_trailers.push_str(value);
        self.canonical_trailers.push('\n');
        self.trailers.push((name, value.to_owned()));
        Ok(())
    }

    /// Whether input may end here, at a line boundary in the trailers, without the
    /// final empty line: only once a trailer (and, in signed mode, its signature) came.
    fn may_end_without_empty_line(&self) -> bool {
        match self.signer {
            _ if !self.trailers_allowed => false,
            Some(_) => self.trailer_signature_seen,
            None => !self.trailers.is_empty(),
        }
    }

    /// The empty line (or end of input) after the trailers: the body is complete.
    fn end_trailers(&mut self, buf: &BytesMut) -> Result<Decoded, ChunkedError> {
        if self.signer.is_some() && self.trailers_allowed && !self.trailer_signature_seen {
            return Err(ChunkedError::MissingTrailerSignature);
        }
        if !buf.is_empty() {
            return Err(ChunkedError::TrailingData);
        }
        self.state = State::Done;
        self.canonical_trailers = String::new();
        Ok(Decoded::Trailers(std::mem::take(&mut self.trailers)))
    }
}

/// `Ok(None)` while more input may come; the truncation error once it cannot.
fn truncated_or_none(eof: bool, expected: &'static str) -> Result<Option<Decoded>, ChunkedError> {
    if eof {
        Err(ChunkedError::Truncated { expected })
    } else {
        Ok(None)
    }
}

/// A chunk size: one or more hex digits, checked against overflow.
fn parse_hex_size(digits: &[u8]) -> Result<u64, ChunkedError> {
    if digits.is_empty() {
        return Err(ChunkedError::InvalidChunkSize);
    }
    digits.iter().try_fold(0u64, |size, &b| {
        let digit = char::from(b).to_digit(16).ok_or(ChunkedError::InvalidChunkSize)?;
        size.checked_mul(16).and_then(|s| s.checked_add(u64::from(digit))).ok_or(ChunkedError::ChunkSizeOverflow)
    })
}

/// An HTTP token character (RFC 9110 `tchar`).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}
