//! PutObject: stream the body into a blob while hashing, verify what the client claimed
//! (Content-MD5, flexible checksum, signed payload), persist the blob, then commit the
//! version and its event in one transaction. If the transaction fails before its commit,
//! the blob is removed again (compensation); if the commit itself failed in a way that
//! leaves its outcome unknown, a row may refer to the blob, which then goes to the
//! reference-checking collector instead ([`abandon_blob`]). Either way the client gets
//! the error (see `error.rs`).
//!
//! Bodies of at most [`INLINE_LIMIT`] bytes are kept in the catalog row instead of a blob
//! file: the catalog commit is then the write's only fsync, where a blob costs a file
//! fsync, a rename and a directory fsync before it.

use http::{Response, StatusCode};
use s3api::checksum::ChecksumAlgorithm;
use s3api::headers::{self, ChecksumRequest, Conditions, ObjectMetadata};
use s3api::{tagging, S3Error, S3ErrorCode};

use super::commit_version;
use crate::auth::acl::Acl;
use crate::catalog::{now_ms, Bucket, NewVersion, ObjectVersion, PartData, StoredChecksum};
use crate::error::Error;
use crate::events::EventContext;
use crate::http::acl::requested_acl;
use crate::http::body::RequestBody;
use crate::http::response::{empty, set_header, Body};
use crate::http::{AppState, S3Request};
use crate::storage::{Digests, Hashes, Persisted, StagedBlob};

/// Bodies up to this size are stored inline in the catalog.
pub const INLINE_LIMIT: usize = 16 * 1024;

/// Checksum computed when the client asks for none: S3's default for new objects.
pub const DEFAULT_CHECKSUM: ChecksumAlgorithm = ChecksumAlgorithm::Crc64Nvme;

/// Streams a request body into a staged (not yet persisted) blob.
pub async fn receive(state: &AppState, body: &mut RequestBody, hashes: Hashes) -> Result<StagedBlob, Error> {
    let mut writer = state.blobs.writer(hashes);
    while let Some(chunk) = body.next().await? {
        writer.write(chunk).await?;
    }
    Ok(writer.finish().await?)
}

/// A received PutObject body: in memory when small, else in a staged blob.
pub enum Received {
    Inline {
        data: bytes::Bytes,
        digests: Digests,
    },
    Blob(StagedBlob),
    /// Encrypted into a staged blob; `digests` are the plaintext's, `etag_md5` what its
    /// ETag shows (`encryption::shown_md5`).
    Sealed {
        staged: StagedBlob,
        digests: Digests,
        etag_md5: [u8; 16],
    },
}

impl Received {
    pub fn digests(&self) -> &Digests {
        match self {
            Received::Inline { digests, .. } => digests,
            Received::Blob(staged) => &staged.digests,
            Received::Sealed { digests, .. } => digests,
        }
    }

    /// Makes the body durable: persists a blob, or hands over the inline bytes. Also
    /// the stored length of an encrypted blob.
    async fn store(self) -> Result<(Option<Persisted>, Option<Vec<u8>>, Option<i64>), Error> {
        match self {
            Received::Inline { data, .. } => Ok((None, Some(data.to_vec()), None)),
            Received::Blob(staged) => Ok((Some(staged.persist().await?), None, None)),
            Received::Sealed { staged, .. } => {
                let stored = staged.digests.size as i64;
                Ok((Some(staged.persist().await?), None, Some(stored)))
            }
        }
    }
}

/// Receives a body encrypted with `setting` when it has one (always into a blob), else
/// as [`receive_small_or_blob`] does; with the encryption record of the new version.
pub async fn receive_body(
    state: &AppState,
    body: &mut RequestBody,
    hashes: Hashes,
    setting: Option<&crate::encryption::Setting>,
) -> Result<(Received, Option<crate::encryption::Sealed>), Error> {
    let Some(setting) = setting else { return Ok((receive_small_or_blob(state, body, hashes).await?, None)) };
    let (data_key, sealed) = state.keys.seal(setting)?;
    let (staged, digests) = super::sse::receive_encrypted(state, body, &hashes, &data_key).await?;
    let etag_md5 = crate::encryption::shown_md5(digests.md5, &data_key, &sealed);
    Ok((Received::Sealed { staged, digests, etag_md5 }, Some(sealed)))
}

/// Receives a body, keeping it in memory while it fits [`INLINE_LIMIT`] and spilling to a
/// blob once it does not (a body announced as larger goes to a blob at once).
pub async fn receive_small_or_blob(state: &AppState, body: &mut RequestBody, hashes: Hashes) -> Result<Received, Error> {
    if body.expected_len().is_some_and(|l| l > INLINE_LIMIT as u64) {
        return Ok(Received::Blob(receive(state, body, hashes).await?));
    }
    let mut head = bytes::BytesMut::new();
    while let Some(chunk) = body.next().await? {
        if head.len() + chunk.len() <= INLINE_LIMIT {
            head.extend_from_slice(&chunk);
            continue;
        }
        let mut writer = state.blobs.writer(hashes);
        writer.write(head.split().freeze()).await?;
        writer.write(chunk).await?;
        while let Some(chunk) = body.next().await? {
            writer.write(chunk).await?;
        }
        return Ok(Received::Blob(writer.finish().await?));
    }
    let data = head.freeze();
    let digests = Digests::of(&data, &hashes);
    Ok(Received::Inline { data, digests })
}

/// Gives up the blob of a write that failed with `failure`. Before a commit nothing
/// refers to the blob, and it is removed at once. After a commit of unknown outcome (see
/// [`Error::commit_outcome_unknown`]) a row may refer to it: it is queued for the
/// collector, which frees it only if no row does; should even that fail (the catalog
/// is read-only or unreachable), the orphan sweeper makes the same check later.
pub async fn abandon_blob(state: &AppState, blob_id: &str, failure: &Error) {
    if failure.commit_outcome_unknown() {
        match state.catalog.queue_blob_gc(blob_id).await {
            Ok(()) => state.gc.poke(),
            Err(e) => tracing::warn!(error = %e, blob_id, "cannot queue the blob of a write of unknown outcome; the orphan sweeper will look at it"),
        }
        return;
    }
    if let Err(cleanup) = state.blobs.delete(blob_id).await {
        tracing::warn!(error = %cleanup, blob_id, "could not remove the blob of a failed write; the sweeper will");
    }
}

/// Checks that a write states its length (or sends a chunked body, which is cut off at
/// the largest object size while it streams), within `max`.
pub fn check_length(req: &S3Request, max: u64) -> Result<(), Error> {
    let chunked_transfer = req.headers().get(http::header::TRANSFER_ENCODING).is_some();
    match req.body.expected_len() {
        Some(len) if len > max => {
            Err(S3Error::new(S3ErrorCode::EntityTooLarge).extra("ProposedSize", len.to_string()).extra("MaxSizeAllowed", max.to_string()).into())
        }
        Some(_) => Ok(()),
        None if chunked_transfer || req.body.is_stream() => Ok(()),
        None => Err(S3ErrorCode::MissingContentLength.into()),
    }
}

/// Verifies the digests a client sent against those computed while writing.
pub fn verify_digests(digests: &Digests, content_md5: Option<[u8; 16]>, checksum: &ChecksumRequest, body: &RequestBody) -> Result<(), Error> {
    if content_md5.is_some_and(|md5| md5 != digests.md5) {
        return Err(S3Error::new(S3ErrorCode::BadDigest).into());
    }
    checksum.verify(checksum.algorithm.and_then(|a| digests.checksum(a)), body.trailers())?;
    Ok(())
}

pub async fn put_object(state: &AppState, mut req: S3Request, bucket: Bucket, key: &str) -> Result<Response<Body>, Error> {
    let bucket_name = bucket.name.as_str();
    let owner_id = super::new_object_owner(&req.caller.principal, &bucket, req.headers());
    let setting = super::sse::write_setting(state, &req, &bucket)?;
    let h = req.headers();
    let metadata = ObjectMetadata::from_headers(h)?;
    let content_md5 = headers::content_md5(h)?;
    let checksum = ChecksumRequest::from_headers(h)?;
    let tags = tagging::from_header(h)?.unwrap_or_default();
    let acl = requested_acl(state, h, Some(&bucket)).await?;
    let conditions = Conditions::from_headers(h);
    let lock = super::lock::lock_for_new_version(&req.caller, &bucket, key, h, true)?;
    check_length(&req, state.config.max_object_size)?;
    let _slot = state.upload_slot()?;

    let algorithm = checksum.algorithm.unwrap_or(DEFAULT_CHECKSUM);
    let (received, sealed) = receive_body(state, &mut req.body, Hashes::of([algorithm]), setting.as_ref()).await?;
    let digests = received.digests();
    verify_digests(digests, content_md5, &checksum, &req.body)?;
    let mut new = single_part_version(key, received, algorithm).await?;
    new.sse = sealed.as_ref().map(crate::encryption::Sealed::to_json);
    let checksum_value = new.checksum.as_ref().map(|c| c.value.clone());
    new.owner_id = owner_id;
    new.storage_class = metadata.storage_class.clone().unwrap_or_else(|| "STANDARD".to_owned());
    new.metadata = metadata;
    new.tags = tags;
    new.acl = acl.map(|a| a.to_json());
    new.lock = lock;
    let ctx = req.event_context(state);
    // A browser POST upload comes here with its own method (see `post`).
    let event_name = if req.parts.method == http::Method::POST { "ObjectCreated:Post" } else { "ObjectCreated:Put" };
    let (bucket, version) = commit_or_abandon(state, &ctx, bucket_name, new, &conditions, event_name).await?;
    let mut resp = empty(StatusCode::OK);
    set_header(&mut resp, "etag", &version.etag);
    super::set_expiration(&mut resp, &bucket, &version, state.config.lifecycle_day());
    super::sse::write_headers(&mut resp, sealed.as_ref(), super::sse::sent_customer_key(&req).as_ref());
    super::sse::write_context(&mut resp, sealed.as_ref());
    if let Some(v) = version.shown_version_id(bucket.versioning) {
        set_header(&mut resp, "x-amz-version-id", v);
    }
    if let Some(value) = checksum_value {
        set_header(&mut resp, algorithm.header_name(), &value);
        set_header(&mut resp, "x-amz-checksum-type", "FULL_OBJECT");
    }
    Ok(resp)
}

/// Stores `data` as a new version of `key` in `bucket` for the server itself (access
/// log objects): the same path as a PutObject, with the default checksum, no object lock
/// (the caller refuses buckets with a default retention), `acl` (the bucket owner's
/// full control beside) and an `ObjectCreated:Put` event of `ctx`.
pub async fn store_bytes(
    state: &AppState,
    ctx: &EventContext,
    bucket: &Bucket,
    key: &str,
    data: bytes::Bytes,
    content_type: &str,
    acl: &Acl,
) -> Result<ObjectVersion, Error> {
    s3api::route::check_key(key)?;
    let chunk: crate::http::body::ByteStream = Box::pin(futures_util::stream::once(async move { Ok(data) }));
    let mut body = RequestBody::from_stream(chunk, state.body_limits());
    let setting = super::sse::default_setting(state, bucket)?;
    let (received, sealed) = receive_body(state, &mut body, Hashes::of([DEFAULT_CHECKSUM]), setting.as_ref()).await?;
    let mut new = single_part_version(key, received, DEFAULT_CHECKSUM).await?;
    new.sse = sealed.as_ref().map(crate::encryption::Sealed::to_json);
    new.owner_id = bucket.owner_id.clone();
    new.acl = Some(acl.to_json());
    new.metadata = ObjectMetadata { content_type: Some(content_type.to_owned()), ..ObjectMetadata::default() };
    Ok(commit_or_abandon(state, ctx, &bucket.name, new, &Conditions::default(), "ObjectCreated:Put").await?.1)
}

/// Makes a received body durable and describes it as a single-part version of `key`
/// (ETag, `algorithm`'s full-object checksum, its one part); owner, metadata, tags, ACL
/// and lock are left for the caller to set.
async fn single_part_version(key: &str, received: Received, algorithm: ChecksumAlgorithm) -> Result<NewVersion, Error> {
    let digests = received.digests();
    let size = digests.size as i64;
    let md5_hex = hex::encode(match &received {
        Received::Sealed { etag_md5, .. } => *etag_md5,
        _ => digests.md5,
    });
    let checksum = digests.checksum(algorithm).map(|c| c.to_base64());
    let (blob, data, blob_size) = received.store().await?;
    let (blob_id, copies) = blob.map_or((None, Vec::new()), |b| (Some(b.id), b.drives));
    Ok(NewVersion {
        key: key.to_owned(),
        is_delete_marker: false,
        size,
        etag: format!("\"{md5_hex}\""),
        last_modified: now_ms(),
        owner_id: String::new(),
        storage_class: "STANDARD".to_owned(),
        metadata: ObjectMetadata::default(),
        checksum: checksum.clone().map(|value| StoredChecksum { algorithm: algorithm.as_str().to_owned(), kind: "FULL_OBJECT".to_owned(), value }),
        tags: Vec::new(),
        acl: None,
        parts_count: None,
        upload_id: None,
        lock: Default::default(),
        sse: None,
        parts: vec![PartData { part_number: 1, blob_id, data, size, etag: md5_hex, checksum, blob_size, copies }],
    })
}

/// [`commit_version`], and the version's blob handed back when the commit fails.
async fn commit_or_abandon(
    state: &AppState,
    ctx: &EventContext,
    bucket_name: &str,
    new: NewVersion,
    conditions: &Conditions,
    event_name: &str,
) -> Result<(Bucket, ObjectVersion), Error> {
    let blob_id = new.parts.first().and_then(|p| p.blob_id.clone());
    let committed = commit_version(state, ctx, bucket_name, new, conditions, event_name).await;
    if let (Err(e), Some(blob_id)) = (&committed, &blob_id) {
        abandon_blob(state, blob_id, e).await;
    }
    committed
}
