//! Server-side encryption of object bytes, as the object and multipart handlers use it:
//! which setting a write gets (its headers, else the bucket's default), encrypting a
//! body while it streams into a blob (hashing the plaintext for the ETag and checksums),
//! reading ranges of an encrypted object back as plaintext, and the encryption headers
//! of responses. The cryptography and the key ring are `crate::encryption`; the header
//! rules are `s3api::sse`.
//!
//! It never logs, stores or answers a data key or a customer key.

use std::collections::VecDeque;
use std::task::{ready, Context, Poll};

use bytes::{Bytes, BytesMut};
use http::Response;
use md5::{Digest, Md5};
use s3api::checksum::Checksummer;
use s3api::sse::{self as proto, CustomerKey, EncryptionConfig, SseRequest, StoredSse};
use tokio::sync::mpsc;

use crate::catalog::{Bucket, Part};
use crate::encryption::chunks::{self, Decryptor, Encryptor};
use crate::encryption::{DataKey, Mode, Sealed, Setting};
use crate::error::Error;
use crate::http::body::RequestBody;
use crate::http::response::{set_header, Body, PieceSource};
use crate::http::{AppState, S3Request};
use crate::storage::{BlobWriter, Digests, Hashes, ReadSegment, StagedBlob};

/// An object's encryption as the catalog keeps it, read back.
pub fn sealed_of(stored: Option<&str>) -> Result<Option<Sealed>, Error> {
    Ok(stored.map(Sealed::from_json).transpose()?)
}

/// Refuses SSE-C keys over plain HTTP unless the server was told to take them.
fn check_transport(state: &AppState, secure: bool) -> Result<(), Error> {
    if secure || state.config.allow_insecure_sse_c {
        Ok(())
    } else {
        Err(proto::customer_key_needs_tls().into())
    }
}

/// The setting of a new object or upload: its headers', else the bucket's default;
/// `None`: stored in the clear.
pub fn write_setting(state: &AppState, req: &S3Request, bucket: &Bucket) -> Result<Option<Setting>, Error> {
    let request = SseRequest::from_headers(req.headers())?;
    setting_of(state, with_default(request, bucket)?, req.secure)
}

/// The setting of an object the server writes itself (access logs): the bucket's default.
pub fn default_setting(state: &AppState, bucket: &Bucket) -> Result<Option<Setting>, Error> {
    setting_of(state, with_default(SseRequest::None, bucket)?, true)
}

fn with_default(request: SseRequest, bucket: &Bucket) -> Result<SseRequest, Error> {
    let default = bucket.encryption.as_deref().map(EncryptionConfig::from_json).transpose()?;
    Ok(request.or_default(default.as_ref()))
}

/// The SSE-C key a write sent, for the response to echo its MD5.
pub fn sent_customer_key(req: &S3Request) -> Option<CustomerKey> {
    proto::customer_key(req.headers()).ok().flatten()
}

/// The setting a parsed request names (`secure`: it came over TLS).
fn setting_of(state: &AppState, request: SseRequest, secure: bool) -> Result<Option<Setting>, Error> {
    Ok(match request {
        SseRequest::None => None,
        SseRequest::S3 => Some(Setting::S3),
        SseRequest::Kms { key_id, context, bucket_key } => {
            Some(Setting::Kms { key_id: state.keys.kms_key(key_id.as_deref())?, context, bucket_key: bucket_key.unwrap_or(false) })
        }
        SseRequest::Customer(key) => {
            check_transport(state, secure)?;
            Some(Setting::Customer { key: key.key.into() })
        }
    })
}

/// The SSE-C key a read (or UploadPart) sends, checked for transport; S3 takes no other
/// encryption header there.
pub fn request_customer_key(state: &AppState, req: &S3Request) -> Result<Option<CustomerKey>, Error> {
    proto::reject_write_only_headers(req.headers())?;
    let key = proto::customer_key(req.headers())?;
    if key.is_some() {
        check_transport(state, req.secure)?;
    }
    Ok(key)
}

/// The SSE-C key of a copy's source (`x-amz-copy-source-server-side-encryption-customer-*`).
pub fn copy_source_customer_key(state: &AppState, req: &S3Request) -> Result<Option<CustomerKey>, Error> {
    let key = proto::copy_source_customer_key(req.headers())?;
    if key.is_some() {
        check_transport(state, req.secure)?;
    }
    Ok(key)
}

/// The data key of a stored object (`None` when it is in the clear), given the
/// customer's key where it is SSE-C; a customer key for an object without SSE-C is
/// refused, as S3 refuses it.
pub fn open(state: &AppState, sealed: Option<&Sealed>, customer: Option<&CustomerKey>) -> Result<Option<DataKey>, Error> {
    match sealed {
        Some(sealed) => Ok(Some(state.keys.open(sealed, customer.map(|c| &c.key))?)),
        None if customer.is_some() => Err(proto::customer_key_not_applicable().into()),
        None => Ok(None),
    }
}

/// The data key of a multipart upload for an UploadPart or UploadPartCopy, which must
/// send the upload's SSE-C key if it has one, and none otherwise.
pub fn open_upload(state: &AppState, sealed: Option<&Sealed>, customer: Option<&CustomerKey>) -> Result<Option<DataKey>, Error> {
    use crate::encryption::EncryptionError as E;
    open(state, sealed, customer).map_err(|e| match e {
        Error::Encryption(E::CustomerKeyRequired | E::CustomerKeyNotApplicable) => proto::upload_encryption_mismatch().into(),
        Error::S3(s) if s.code == s3api::S3ErrorCode::InvalidRequest => proto::upload_encryption_mismatch().into(),
        Error::Encryption(E::WrongCustomerKey) => proto::upload_key_mismatch().into(),
        other => other,
    })
}

/// Writes the encryption headers of an object stored with `sealed`; `customer` is the
/// request's SSE-C key (its MD5 is echoed, as S3 does).
pub fn write_headers(resp: &mut Response<Body>, sealed: Option<&Sealed>, customer: Option<&CustomerKey>) {
    let Some(sealed) = sealed else { return };
    let stored = match sealed.mode {
        Mode::S3 => StoredSse::S3,
        Mode::Kms => StoredSse::Kms { key_id: sealed.key_id.as_deref(), bucket_key: sealed.bucket_key },
        Mode::Customer => StoredSse::Customer { key_md5: customer.map(|k| k.key_md5.as_str()) },
    };
    for (name, value) in stored.response_headers() {
        set_header(resp, name, &value);
    }
}

/// The encryption context of an SSE-KMS object, which AWS answers on the writes that
/// set it (PutObject, CopyObject, CreateMultipartUpload), never on reads.
pub fn write_context(resp: &mut Response<Body>, sealed: Option<&Sealed>) {
    if let Some(context) = sealed.filter(|s| s.mode == Mode::Kms).and_then(|s| s.context.as_deref()) {
        set_header(resp, proto::CONTEXT_HEADER, context);
    }
}

/// A blob being written encrypted under a data key, with the plaintext's digests.
struct SealingWriter {
    plain: PlainDigests,
    writer: BlobWriter,
    encryptor: Encryptor,
}

impl SealingWriter {
    fn new(state: &AppState, hashes: &Hashes, key: &DataKey) -> Result<Self, Error> {
        let writer = state.blobs.writer(Hashes::none());
        let encryptor = Encryptor::new(key, writer.blob_id())?;
        Ok(SealingWriter { plain: PlainDigests::new(hashes), writer, encryptor })
    }

    async fn write(&mut self, plain: &[u8]) -> Result<(), Error> {
        self.plain.update(plain);
        let stored = self.encryptor.update(plain)?;
        if !stored.is_empty() {
            self.writer.write(stored).await?;
        }
        Ok(())
    }

    async fn finish(mut self) -> Result<(StagedBlob, Digests), Error> {
        self.writer.write(self.encryptor.finish()?).await?;
        Ok((self.writer.finish().await?, self.plain.finish()))
    }
}

/// Streams a request body into a staged blob encrypted under `key`, returning the
/// plaintext's digests (size, MD5, checksums).
pub async fn receive_encrypted(state: &AppState, body: &mut RequestBody, hashes: &Hashes, key: &DataKey) -> Result<(StagedBlob, Digests), Error> {
    let mut sealing = SealingWriter::new(state, hashes, key)?;
    while let Some(chunk) = body.next().await? {
        sealing.write(&chunk).await?;
    }
    sealing.finish().await
}

/// Encrypts bytes already read (a copy's source) into a staged blob.
pub async fn store_encrypted(state: &AppState, source: &mut ObjectRead, hashes: &Hashes, key: &DataKey) -> Result<(StagedBlob, Digests), Error> {
    let mut sealing = SealingWriter::new(state, hashes, key)?;
    while let Some(chunk) = source.recv().await {
        sealing.write(&chunk.map_err(|e| Error::io("reading the copy source", e))?).await?;
    }
    sealing.finish().await
}

/// MD5 and checksums of plaintext as it passes.
struct PlainDigests {
    size: u64,
    md5: Md5,
    sums: Vec<Checksummer>,
}

impl PlainDigests {
    fn new(hashes: &Hashes) -> Self {
        PlainDigests { size: 0, md5: Md5::new(), sums: hashes.checksums.iter().map(|a| Checksummer::new(*a)).collect() }
    }

    fn update(&mut self, data: &[u8]) {
        self.size += data.len() as u64;
        self.md5.update(data);
        for s in &mut self.sums {
            s.update(data);
        }
    }

    fn finish(self) -> Digests {
        Digests { size: self.size, md5: self.md5.finalize().into(), checksums: self.sums.into_iter().map(Checksummer::finalize).collect() }
    }
}

/// One part's share of an encrypted read: how many stored bytes it takes from the
/// stream, and how to decrypt them.
struct PartRead {
    stored: u64,
    decryptor: Decryptor,
}

/// An object's bytes as a read hands them on: straight from the blob reader, or
/// decrypted on the way. A GET's body polls it; copies receive from it.
pub enum ObjectRead {
    Plain(mpsc::Receiver<std::io::Result<Bytes>>),
    Decrypted(Box<DecryptedRead>),
}

impl ObjectRead {
    /// The next piece; `None` once everything was handed on, or after an error.
    pub async fn recv(&mut self) -> Option<std::io::Result<Bytes>> {
        std::future::poll_fn(|cx| self.poll_piece(cx)).await
    }
}

impl PieceSource for ObjectRead {
    fn poll_piece(&mut self, cx: &mut Context<'_>) -> Poll<Option<std::io::Result<Bytes>>> {
        match self {
            ObjectRead::Plain(rx) => rx.poll_recv(cx),
            ObjectRead::Decrypted(read) => read.poll_piece(cx),
        }
    }
}

/// Plaintext `[start, start + len)` of an object whose parts are encrypted under `key`:
/// reads each touched part's header and the chunks the range needs, checks and
/// decrypts them. A chunk that fails authentication ends the stream with an error (the
/// response is cut, or is a 500 before its headers), never with wrong bytes.
pub fn read_decrypted(state: &AppState, parts: &[Part], key: &DataKey, start: u64, len: u64) -> ObjectRead {
    let (mut segments, mut plan, mut unreadable) = (Vec::new(), Vec::new(), None);
    for (part, from, to) in super::part_ranges(parts, start, len) {
        let size = part.size as u64;
        let span = chunks::span(size, from, to - from);
        let Some(blob_id) = &part.blob_id else {
            // Encrypted parts are always blobs.
            unreadable = Some("an encrypted object has a part without a blob".to_owned());
            continue;
        };
        let blob_len = part.blob_size.map_or_else(|| chunks::sealed_len(size), |b| b as u64);
        segments.push(ReadSegment::Blob { blob_id: blob_id.clone(), blob_len, offset: 0, len: chunks::HEADER });
        segments.push(ReadSegment::Blob { blob_id: blob_id.clone(), blob_len, offset: span.offset, len: span.len });
        match Decryptor::new(key, blob_id, size, &span) {
            Ok(decryptor) => plan.push(PartRead { stored: chunks::HEADER + span.len, decryptor }),
            Err(e) => unreadable = Some(e.to_string()),
        }
    }
    let mut parts = plan.into_iter();
    let current = parts.next();
    ObjectRead::Decrypted(Box::new(DecryptedRead {
        source: state.blobs.read(segments),
        left: current.as_ref().map_or(0, |p| p.stored),
        current,
        parts,
        ready: VecDeque::new(),
        unreadable,
        ended: false,
        counters: state.background.clone(),
        span: tracing::Span::current(),
    }))
}

/// The decryption of a read, done where the bytes are consumed (a GET's body, a copy),
/// without a task or a channel of its own: each buffer the blob reader hands on is
/// opened chunk by chunk in place, and its plaintext pieces are handed on in order.
pub struct DecryptedRead {
    source: mpsc::Receiver<std::io::Result<Bytes>>,
    /// The part being read and the stored bytes it still takes.
    current: Option<PartRead>,
    left: u64,
    parts: std::vec::IntoIter<PartRead>,
    /// Plaintext decrypted and not yet handed on.
    ready: VecDeque<Bytes>,
    /// Why the read cannot start (sent as its only item).
    unreadable: Option<String>,
    /// Everything was handed on, or an error was.
    ended: bool,
    counters: std::sync::Arc<crate::http::metrics::BackgroundCounters>,
    /// The request's span, for the log line of a failure.
    span: tracing::Span,
}

impl DecryptedRead {
    fn poll_piece(&mut self, cx: &mut Context<'_>) -> Poll<Option<std::io::Result<Bytes>>> {
        loop {
            if let Some(plain) = self.ready.pop_front() {
                return Poll::Ready(Some(Ok(plain)));
            }
            if self.ended {
                return Poll::Ready(None);
            }
            let step = if let Some(why) = self.unreadable.take() {
                Err(std::io::Error::new(std::io::ErrorKind::InvalidData, why))
            } else {
                match ready!(self.source.poll_recv(cx)) {
                    Some(Ok(stored)) => self.take(stored),
                    Some(Err(e)) => Err(e),
                    None if self.current.is_none() => {
                        self.ended = true;
                        Ok(())
                    }
                    None => Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "an encrypted part ended early")),
                }
            };
            if let Err(e) = step {
                self.fail(&e);
                self.ended = true;
                self.ready.clear();
                return Poll::Ready(Some(Err(e)));
            }
        }
    }

    /// Decrypts a buffer of stored bytes into `ready`, moving to the next part where
    /// one ends.
    fn take(&mut self, stored: Bytes) -> std::io::Result<()> {
        let damaged = |e: crate::encryption::EncryptionError| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        // The blob reader's buffers are its own: decrypted where they lie, not copied.
        let mut stored = BytesMut::from(stored);
        while !stored.is_empty() {
            let Some(current) = self.current.as_mut() else {
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "more stored bytes than the read asked for"));
            };
            let take = self.left.min(stored.len() as u64) as usize;
            let piece = stored.split_to(take);
            self.left -= take as u64;
            self.ready.extend(current.decryptor.update(piece).map_err(damaged)?);
            if self.left == 0 {
                current.decryptor.finish().map_err(damaged)?;
                self.current = self.parts.next();
                self.left = self.current.as_ref().map_or(0, |p| p.stored);
            }
        }
        Ok(())
    }

    fn fail(&self, e: &std::io::Error) {
        let _entered = self.span.enter();
        if e.kind() == std::io::ErrorKind::InvalidData {
            self.counters.sse_decrypt_failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::error!(error = %e, "an encrypted object failed to decrypt: damaged or altered ciphertext");
        } else {
            tracing::error!(error = %e, "reading an encrypted object failed");
        }
    }
}
