//! The request body, as handlers read it: plain or aws-chunked, with its signature
//! coverage enforced.
//!
//! Whatever the encoding, handlers see the decoded object bytes through
//! [`RequestBody::next`]. Chunk and trailer signatures are checked by the decoder, a
//! signed payload hash is checked at the end, and a body shorter or longer than it
//! claimed is an error. The last call to `next` reports any of these failures, before
//! the handler commits anything.
//!
//! Every body is bounded while it streams ([`BodyLimits`]): past its declared length
//! (Content-Length, or the decoded length of aws-chunked) or the largest body the
//! server accepts, `next` fails with `EntityTooLarge` at once; and a body that delivers
//! nothing for the idle timeout fails with `RequestTimeout`. Either way the handler
//! drops what it was writing, and the connection is closed after the answer.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use http::HeaderMap;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use s3api::chunked::{ChunkedDecoder, ChunkedMode, Decoded, Limits};
use s3api::headers;
use s3api::sigv4::{ChunkSigner, PayloadMode};
use s3api::{S3Error, S3ErrorCode};
use sha2::{Digest, Sha256};

/// Upper bound for aws-chunked framing: chunk headers and trailers.
const MAX_CHUNK_HEADER: usize = 4096;
const MAX_CHUNK_SIZE: u64 = 64 * 1024 * 1024;
const MAX_TRAILER: usize = 16 * 1024;

/// Bounds on a request body while it streams.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// The largest decoded body accepted: more is `EntityTooLarge`.
    pub max_len: u64,
    /// How long the connection may deliver nothing before the body is given up with
    /// `RequestTimeout`.
    pub idle_timeout: Duration,
}

/// Bytes from somewhere other than the connection: the file part of a POST upload.
pub type ByteStream = BoxStream<'static, Result<Bytes, S3Error>>;

pub struct RequestBody {
    incoming: Option<Incoming>,
    /// Read instead of `incoming` when set ([`RequestBody::from_stream`]). In a mutex
    /// only so the body is `Sync` like the connection's (it is only reached through
    /// `&mut self`, which needs no lock).
    stream: Option<std::sync::Mutex<ByteStream>>,
    limits: BodyLimits,
    decoder: Option<ChunkedDecoder>,
    buf: BytesMut,
    sha256: Option<(Sha256, [u8; 32])>,
    /// Decoded length the client announced, if any.
    expected_len: Option<u64>,
    received: u64,
    trailers: Vec<(String, String)>,
    /// The connection delivered its last byte.
    input_ended: bool,
    finished: bool,
    /// The error `next` returned, returned again by any later call: a failed body never
    /// looks complete.
    failed: Option<S3Error>,
}

impl RequestBody {
    /// Wraps a request body according to how its signature covers it.
    pub fn new(incoming: Incoming, headers: &HeaderMap, payload: &PayloadMode, chunk_signer: Option<ChunkSigner>, limits: BodyLimits) -> Result<Self, S3Error> {
        let mode = match payload {
            PayloadMode::StreamingSigned => Some(ChunkedMode::Signed(signer(chunk_signer)?)),
            PayloadMode::StreamingSignedTrailer => Some(ChunkedMode::SignedTrailer(signer(chunk_signer)?)),
            PayloadMode::StreamingUnsignedTrailer => Some(ChunkedMode::UnsignedTrailer),
            PayloadMode::Unsigned | PayloadMode::Sha256(_) => None,
        };
        let expected_len = match mode {
            Some(_) => headers::decoded_content_length(headers)?,
            None => headers::content_length(headers)?,
        };
        // A chunk that would pass the limit is refused at its header, before its data.
        let max_decoded_length = Some(expected_len.map_or(limits.max_len, |l| l.min(limits.max_len)));
        let decoder = mode.map(|mode| {
            ChunkedDecoder::new(
                mode,
                Limits { max_chunk_header: MAX_CHUNK_HEADER, max_chunk_size: MAX_CHUNK_SIZE, max_trailer_size: MAX_TRAILER, max_decoded_length },
            )
        });
        let sha256 = match payload {
            PayloadMode::Sha256(expected) => Some((Sha256::new(), *expected)),
            _ => None,
        };
        Ok(RequestBody {
            incoming: Some(incoming),
            stream: None,
            limits,
            decoder,
            buf: BytesMut::new(),
            sha256,
            expected_len,
            received: 0,
            trailers: Vec::new(),
            input_ended: false,
            finished: false,
            failed: None,
        })
    }

    /// A body read from `stream` (already decoded; its length is unknown until it
    /// ends), bounded like any other.
    pub fn from_stream(stream: ByteStream, limits: BodyLimits) -> Self {
        RequestBody {
            incoming: None,
            stream: Some(std::sync::Mutex::new(stream)),
            limits,
            decoder: None,
            buf: BytesMut::new(),
            sha256: None,
            expected_len: None,
            received: 0,
            trailers: Vec::new(),
            input_ended: false,
            finished: false,
            failed: None,
        }
    }

    /// The body's bytes as a stream that ends after the first error.
    pub fn into_stream(self) -> ByteStream {
        futures_util::stream::unfold(Some(self), |body| async move {
            let mut body = body?;
            match body.next().await {
                Ok(Some(chunk)) => Some((Ok(chunk), Some(body))),
                Ok(None) => None,
                Err(e) => Some((Err(e), None)),
            }
        })
        .boxed()
    }

    /// Whether the body comes from a stream that announces no length (a POST upload's
    /// file), which is cut off at its limit instead.
    pub fn is_stream(&self) -> bool {
        self.stream.is_some()
    }

    /// The decoded length the client announced (Content-Length or
    /// x-amz-decoded-content-length).
    pub fn expected_len(&self) -> Option<u64> {
        self.expected_len
    }

    /// Trailers of an aws-chunked body (lower-case names), once the body is read.
    pub fn trailers(&self) -> &[(String, String)] {
        &self.trailers
    }

    /// The next piece of decoded body, `None` at the (verified) end.
    pub async fn next(&mut self) -> Result<Option<Bytes>, S3Error> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let next = self.decode_next().await;
        if let Err(e) = &next {
            // Nothing more is read: the connection closes after the answer.
            self.incoming = None;
            self.failed = Some(e.clone());
        }
        next
    }

    async fn decode_next(&mut self) -> Result<Option<Bytes>, S3Error> {
        loop {
            if self.finished {
                return Ok(None);
            }
            if let Some(decoder) = self.decoder.as_mut() {
                let decoded = if self.input_ended { decoder.decode_eof(&mut self.buf)? } else { decoder.decode(&mut self.buf)? };
                let done = decoder.is_done();
                match decoded {
                    Some(Decoded::Data(data)) => return Ok(Some(self.account(data)?)),
                    Some(Decoded::Trailers(trailers)) => self.trailers = trailers,
                    None if done => {
                        // Nothing may follow the final chunk and its trailers.
                        let mut extra = !self.buf.is_empty();
                        while !extra {
                            match self.read_frame().await? {
                                Some(bytes) => extra = !bytes.is_empty(),
                                None => break,
                            }
                        }
                        if extra {
                            return Err(S3Error::with_message(S3ErrorCode::InvalidRequest, "Unexpected data after the final chunk"));
                        }
                        return self.end();
                    }
                    None if self.input_ended => {
                        if let Some(decoder) = self.decoder.as_ref() {
                            decoder.finish()?;
                        }
                        return self.end();
                    }
                    None => match self.read_frame().await? {
                        Some(bytes) => self.buf.extend_from_slice(&bytes),
                        None => self.input_ended = true,
                    },
                }
            } else {
                match self.read_frame().await? {
                    Some(bytes) if bytes.is_empty() => continue,
                    Some(bytes) => return Ok(Some(self.account(bytes)?)),
                    None => return self.end(),
                }
            }
        }
    }

    /// Reads the whole (small) body, e.g. an XML document, refusing more than `limit` bytes.
    pub async fn read_to_end(&mut self, limit: usize) -> Result<Bytes, S3Error> {
        if self.expected_len.is_some_and(|l| l > limit as u64) {
            return Err(S3Error::new(S3ErrorCode::MaxMessageLengthExceeded));
        }
        let mut out = BytesMut::new();
        while let Some(chunk) = self.next().await? {
            if out.len() + chunk.len() > limit {
                return Err(S3Error::new(S3ErrorCode::MaxMessageLengthExceeded));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out.freeze())
    }

    fn account(&mut self, data: Bytes) -> Result<Bytes, S3Error> {
        self.received += data.len() as u64;
        if self.received > self.limits.max_len {
            return Err(S3Error::new(S3ErrorCode::EntityTooLarge).extra("MaxSizeAllowed", self.limits.max_len.to_string()));
        }
        if self.expected_len.is_some_and(|l| self.received > l) {
            return Err(S3Error::with_message(S3ErrorCode::EntityTooLarge, "The body is longer than its declared length"));
        }
        if let Some((hasher, _)) = self.sha256.as_mut() {
            hasher.update(&data);
        }
        Ok(data)
    }

    fn end(&mut self) -> Result<Option<Bytes>, S3Error> {
        self.finished = true;
        if let Some(expected) = self.expected_len {
            if self.received != expected {
                return Err(S3Error::new(S3ErrorCode::IncompleteBody));
            }
        }
        if let Some((hasher, expected)) = self.sha256.take() {
            let actual: [u8; 32] = hasher.finalize().into();
            if actual != expected {
                return Err(S3Error::new(S3ErrorCode::XAmzContentSHA256Mismatch)
                    .extra("ClientComputedContentSHA256", hex::encode(expected))
                    .extra("S3ComputedContentSHA256", hex::encode(actual)));
            }
        }
        Ok(None)
    }

    /// The next data frame from the connection; `None` at its end. HTTP trailers of a
    /// `Transfer-Encoding: chunked` body are kept as trailers.
    async fn read_frame(&mut self) -> Result<Option<Bytes>, S3Error> {
        let idle_timeout = self.limits.idle_timeout;
        if let Some(stream) = self.stream.as_mut() {
            let stream = stream.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
            let Ok(next) = tokio::time::timeout(idle_timeout, stream.next()).await else {
                return Err(S3Error::new(S3ErrorCode::RequestTimeout));
            };
            if next.is_none() {
                self.stream = None;
            }
            return next.transpose();
        }
        let Some(incoming) = self.incoming.as_mut() else { return Ok(None) };
        loop {
            let Ok(frame) = tokio::time::timeout(idle_timeout, incoming.frame()).await else {
                return Err(S3Error::new(S3ErrorCode::RequestTimeout));
            };
            match frame {
                None => {
                    self.incoming = None;
                    return Ok(None);
                }
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "request body read failed");
                    self.incoming = None;
                    return Err(S3Error::with_message(S3ErrorCode::IncompleteBody, "The request body ended before it was complete"));
                }
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => return Ok(Some(data)),
                    Err(frame) => {
                        if let Ok(map) = frame.into_trailers() {
                            for (name, value) in &map {
                                if let Ok(v) = value.to_str() {
                                    self.trailers.push((name.as_str().to_owned(), v.trim().to_owned()));
                                }
                            }
                        }
                    }
                },
            }
        }
    }
}

fn signer(signer: Option<ChunkSigner>) -> Result<ChunkSigner, S3Error> {
    signer.ok_or_else(|| S3Error::with_message(S3ErrorCode::AccessDenied, "Signed streaming payloads require a signed request"))
}
