//! CopyObject: a new version whose parts are the source's parts. Blobs are immutable and
//! shared by reference, so a copy, and a metadata replacement of an object onto itself,
//! costs no data copy. The source is re-read inside the copy's transaction (and locked
//! against deletion on PostgreSQL) so that its blobs cannot be freed under the copy.
//!
//! Encryption: a copy whose encryption is the source's (none, or the same mode and key)
//! shares the source's blobs and record; any other copy re-reads the source's plaintext
//! part by part and writes new blobs under the destination's setting (a new data key).

use http::Response;
use s3api::checksum::{Checksum, ChecksumAlgorithm, Checksummer};
use s3api::headers::{self, directive_is_replace, format_http_date, header_str, Conditions, CopySource, ObjectMetadata};
use s3api::operation::ObjectAccess;
use s3api::{tagging, xml, S3Error, S3ErrorCode};

use super::{read_segments, readable_version, sse, version_write};
use crate::catalog::{ms_to_datetime, now_ms, Bucket, NewVersion, ObjectVersion, PartData, StoredChecksum};
use crate::encryption::{DataKey, Sealed, Setting};
use crate::error::Error;
use crate::events::{Event, EventType};
use crate::http::acl::requested_acl;
use crate::http::response::{self, set_header, Body};
use crate::http::{AppState, S3Request};
use crate::storage::Hashes;

/// The largest object CopyObject copies, as in S3 (larger ones need UploadPartCopy).
pub const MAX_COPY_SIZE: i64 = 5 * 1024 * 1024 * 1024;

/// The source of a copy (`x-amz-copy-source`), readable by the caller (the source
/// bucket's policy and ACLs decide), of the owner `x-amz-source-expected-bucket-owner`
/// names if it names one, with the `x-amz-copy-source-if-*` conditions checked.
pub async fn copy_source(state: &AppState, req: &S3Request) -> Result<(Bucket, ObjectVersion), Error> {
    let raw = header_str(req.headers(), "x-amz-copy-source").unwrap_or_default();
    let source = CopySource::parse(raw)?;
    let bucket = state.catalog.bucket(&source.bucket).await?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket).resource(format!("/{}", source.bucket)))?;
    if header_str(req.headers(), "x-amz-source-expected-bucket-owner").is_some_and(|owner| owner != bucket.owner_id) {
        return Err(S3Error::new(S3ErrorCode::AccessDenied).resource(format!("/{}", source.bucket)).into());
    }
    let version = readable_version(
        state,
        &req.caller,
        &bucket,
        &source.key,
        source.version_id.as_deref(),
        ObjectAccess::Read,
        if source.version_id.is_some() { "s3:GetObjectVersion" } else { "s3:GetObject" },
    )
    .await?;
    Conditions::copy_source_from_headers(req.headers()).check_copy_source(&version.etag, ms_to_datetime(version.last_modified))?;
    Ok((bucket, version))
}

/// How often a copy starts over when its source changed while it was being prepared.
const COPY_ATTEMPTS: u32 = 3;

pub async fn copy_object(state: &AppState, req: S3Request, dest: Bucket, key: &str) -> Result<Response<Body>, Error> {
    let mut attempt = 1;
    loop {
        match try_copy(state, &req, &dest, key).await? {
            Some(resp) => return Ok(resp),
            None if attempt < COPY_ATTEMPTS => attempt += 1,
            None => return Err(S3Error::with_message(S3ErrorCode::SlowDown, "The copy source kept changing while it was being copied. Please retry.").into()),
        }
    }
}

/// One attempt at a copy: everything the new version takes from its source (bytes,
/// ETag, metadata, tags, checksum) comes from one version of it. `None` when the source
/// was replaced between reading it and the commit: nothing was written, try again.
async fn try_copy(state: &AppState, req: &S3Request, dest: &Bucket, key: &str) -> Result<Option<Response<Body>>, Error> {
    let h = req.headers();
    let (source_bucket, source) = copy_source(state, req).await?;
    if source.size > MAX_COPY_SIZE {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            format!("The specified copy source is larger than the maximum allowable size for a copy source: {MAX_COPY_SIZE}"),
        )
        .into());
    }
    let replace_metadata = directive_is_replace(h, "x-amz-metadata-directive")?;
    let replace_tags = directive_is_replace(h, "x-amz-tagging-directive")?;
    let requested = ObjectMetadata::from_headers(h)?;
    let storage_class = requested.storage_class.clone().unwrap_or_else(|| if replace_metadata { "STANDARD".to_owned() } else { source.storage_class.clone() });
    let metadata =
        if replace_metadata { requested } else { ObjectMetadata { storage_class: source.metadata.storage_class.clone(), ..source.metadata.clone() } };
    let checksum_algorithm = match header_str(h, "x-amz-checksum-algorithm") {
        None => None,
        Some(v) => Some(
            ChecksumAlgorithm::parse(v)
                .ok_or_else(|| S3Error::with_message(S3ErrorCode::InvalidRequest, format!("Checksum algorithm provided is unsupported: {v}")))?,
        ),
    };
    let source_sealed = sse::sealed_of(source.sse.as_deref())?;
    let source_key = sse::open(state, source_sealed.as_ref(), sse::copy_source_customer_key(state, req)?.as_ref())?;
    let setting = sse::write_setting(state, req, dest)?;
    let same_encryption = match (&source_sealed, &setting) {
        (None, None) => true,
        (Some(sealed), Some(setting)) => sealed.same_setting(setting),
        _ => false,
    };
    let names_encryption = s3api::sse::SseRequest::from_headers(h)? != s3api::sse::SseRequest::None;
    let onto_itself = source_bucket.id == dest.id && source.key == key;
    let changes_checksum = checksum_algorithm.is_some_and(|a| source.checksum.as_ref().is_none_or(|c| c.algorithm != a.as_str()));
    // A copy of a named version onto its own key is how S3 restores an older version:
    // only an unchanged copy of the current object onto itself is refused.
    let names_version = CopySource::parse(header_str(h, "x-amz-copy-source").unwrap_or_default())?.version_id.is_some();
    if onto_itself && !names_version && !replace_metadata && storage_class == source.storage_class && !changes_checksum && !names_encryption && same_encryption
    {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        )
        .into());
    }
    let tags = if replace_tags { tagging::from_header(h)?.unwrap_or_default() } else { source.tags.clone() };
    let acl = requested_acl(state, h, Some(dest)).await?.map(|a| a.to_json());
    let lock = super::lock::lock_for_new_version(&req.caller, dest, key, h, false)?;
    let checksum = match checksum_algorithm {
        Some(alg) if changes_checksum => Some(StoredChecksum {
            algorithm: alg.as_str().to_owned(),
            kind: "FULL_OBJECT".to_owned(),
            value: compute_checksum(state, &source, source_key.as_ref(), alg).await?.to_base64(),
        }),
        _ => source.checksum.clone(),
    };
    let ctx = req.event_context(state);
    // Another encryption: new blobs, written before the transaction like a PutObject's.
    // The same: the source's blobs and record (with the bucket-key flag asked for now).
    let data = match same_encryption {
        true => {
            let mut sealed = source_sealed;
            if let (Some(sealed), Some(Setting::Kms { bucket_key, .. })) = (sealed.as_mut(), &setting) {
                sealed.bucket_key = *bucket_key;
            }
            CopyData::Shared(sealed)
        }
        false => rewrite(state, &source, source_key.as_ref(), setting.as_ref()).await?,
    };
    let new_blobs: Vec<String> = match &data {
        CopyData::Rewritten { parts, .. } => parts.iter().filter_map(|p| p.blob_id.clone()).collect(),
        CopyData::Shared(_) => Vec::new(),
    };
    let committed =
        commit_copy(state, req, &ctx, dest, key, &source_bucket, &source, onto_itself, data, metadata, storage_class, checksum, tags, acl, lock).await;
    // New blobs nothing refers to (the source changed, or the commit failed) go again.
    let not_written = Error::from(S3ErrorCode::SlowDown);
    let failure = match &committed {
        Ok(Some(_)) => None,
        Ok(None) => Some(&not_written),
        Err(e) => Some(e),
    };
    if let Some(failure) = failure {
        for blob_id in &new_blobs {
            super::put::abandon_blob(state, blob_id, failure).await;
        }
    }
    let Some((version, dest, sealed)) = committed? else { return Ok(None) };

    let shown_checksum = version
        .checksum
        .as_ref()
        .filter(|_| checksum_algorithm.is_some())
        .and_then(|c| ChecksumAlgorithm::parse(&c.algorithm).map(|a| (headers::checksum_element(a), c.value.as_str())));
    let mut resp = response::xml(xml::response::copy_result("CopyObjectResult", &version.etag, ms_to_datetime(version.last_modified), shown_checksum));
    super::set_expiration(&mut resp, &dest, &version, state.config.lifecycle_day());
    sse::write_headers(&mut resp, sealed.as_ref(), sse::sent_customer_key(req).as_ref());
    sse::write_context(&mut resp, sealed.as_ref());
    if let Some(v) = version.shown_version_id(dest.versioning) {
        set_header(&mut resp, "x-amz-version-id", v);
    }
    if let Some(v) = source.shown_version_id(source_bucket.versioning) {
        set_header(&mut resp, "x-amz-copy-source-version-id", v);
    }
    set_header(&mut resp, "last-modified", &format_http_date(ms_to_datetime(version.last_modified)));
    Ok(Some(resp))
}

/// The bytes of a copy: the source's blobs, or new ones.
enum CopyData {
    /// The source's parts, read in the copy's transaction, with this record.
    Shared(Option<Sealed>),
    /// Parts written again under another encryption, with the ETag (an SSE-C ETag is
    /// keyed by its data key) and the record they have now.
    Rewritten { parts: Vec<PartData>, etag: String, sealed: Option<Sealed> },
}

/// The source's parts written again under `setting` (`source_key`: the source's data
/// key, when it is encrypted), each a new blob, with the new version's ETag and record.
async fn rewrite(state: &AppState, source: &ObjectVersion, source_key: Option<&DataKey>, setting: Option<&Setting>) -> Result<CopyData, Error> {
    let sealing = setting.map(|s| state.keys.seal(s)).transpose()?;
    let mut out: Vec<PartData> = Vec::new();
    let mut md5s: Vec<[u8; 16]> = Vec::new();
    for part in state.catalog.parts(source.id).await? {
        let size = part.size as u64;
        let mut bytes = match source_key {
            Some(key) => sse::read_decrypted(state, std::slice::from_ref(&part), key, 0, size),
            None => sse::ObjectRead::Plain(state.blobs.read(read_segments(std::slice::from_ref(&part), 0, size))),
        };
        let written = async {
            Ok::<_, Error>(match &sealing {
                Some((data_key, sealed)) => {
                    let (staged, digests) = sse::store_encrypted(state, &mut bytes, &Hashes::default(), data_key).await?;
                    let stored = staged.digests.size as i64;
                    (staged.persist().await?, Some(stored), crate::encryption::shown_md5(digests.md5, data_key, sealed))
                }
                None => {
                    let mut writer = state.blobs.writer(Hashes::default());
                    while let Some(chunk) = bytes.recv().await {
                        writer.write(chunk.map_err(|e| Error::io("reading the copy source", e))?).await?;
                    }
                    let staged = writer.finish().await?;
                    let md5 = staged.digests.md5;
                    (staged.persist().await?, None, md5)
                }
            })
        }
        .await;
        let (blob, blob_size, md5) = match written {
            Ok(w) => w,
            Err(e) => {
                for done in out.iter().filter_map(|p| p.blob_id.as_deref()) {
                    super::put::abandon_blob(state, done, &e).await;
                }
                return Err(e);
            }
        };
        out.push(PartData {
            part_number: part.part_number,
            blob_id: Some(blob.id),
            data: None,
            size: part.size,
            etag: hex::encode(md5),
            checksum: part.checksum,
            blob_size,
            copies: blob.drives,
        });
        md5s.push(md5);
    }
    // The ETag a PutObject or CompleteMultipartUpload of these bytes would have had.
    let etag = match (source.parts_count, md5s.as_slice()) {
        (None, [md5]) => format!("\"{}\"", hex::encode(md5)),
        (None, []) => format!("\"{}\"", hex::encode(<md5::Md5 as md5::Digest>::digest(b""))),
        _ => format!("\"{}\"", s3api::checksum::multipart_etag(&md5s)),
    };
    Ok(CopyData::Rewritten { parts: out, etag, sealed: sealing.map(|(_, sealed)| sealed) })
}

/// The copy's transaction: `None` when the source changed since it was read.
#[allow(clippy::too_many_arguments)]
async fn commit_copy(
    state: &AppState,
    req: &S3Request,
    ctx: &crate::events::EventContext,
    dest: &Bucket,
    key: &str,
    source_bucket: &Bucket,
    source: &ObjectVersion,
    onto_itself: bool,
    data: CopyData,
    metadata: ObjectMetadata,
    storage_class: String,
    checksum: Option<StoredChecksum>,
    tags: Vec<(String, String)>,
    acl: Option<String>,
    lock: crate::catalog::VersionLock,
) -> Result<Option<(ObjectVersion, Bucket, Option<Sealed>)>, Error> {
    let mut tx = state.catalog.begin().await?;
    tx.lock_key(dest.id, key).await?;
    let dest = tx.bucket(&dest.name).await?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket))?;
    let Some(current) = tx.version(source_bucket.id, &source.key, &source.version_id).await? else {
        return Ok(None);
    };
    if current.id != source.id || current.etag != source.etag || current.last_modified != source.last_modified {
        // Overwritten since it was read: what was prepared may belong to the old version.
        return Ok(None);
    }
    let (parts, etag, sealed) = match data {
        CopyData::Rewritten { parts, etag, sealed } => (parts, etag, sealed),
        CopyData::Shared(sealed) => (tx.parts(source.id).await?.into_iter().map(PartData::from).collect(), source.etag.clone(), sealed),
    };
    let new = NewVersion {
        key: key.to_owned(),
        is_delete_marker: false,
        size: source.size,
        etag,
        last_modified: now_ms(),
        owner_id: super::new_object_owner(&req.caller.principal, &dest, req.headers()),
        metadata,
        storage_class,
        checksum,
        tags,
        acl,
        parts_count: source.parts_count,
        upload_id: None,
        lock,
        sse: sealed.as_ref().map(Sealed::to_json),
        parts,
    };
    let (version, _) = tx.put_version(dest.id, &new, &version_write(dest.versioning)).await?;
    let event_type = if onto_itself { EventType::ObjectUpdated } else { EventType::ObjectCreated };
    Event::for_object(ctx, event_type, "ObjectCreated:Copy", &dest, &version).record(&mut tx).await?;
    tx.commit().await?;
    state.gc.poke();
    Ok(Some((version, dest, sealed)))
}

/// Reads an object's bytes to compute a checksum it was not stored with.
async fn compute_checksum(state: &AppState, version: &ObjectVersion, key: Option<&DataKey>, algorithm: ChecksumAlgorithm) -> Result<Checksum, Error> {
    let parts = state.catalog.parts(version.id).await?;
    let mut rx = match key {
        Some(key) => sse::read_decrypted(state, &parts, key, 0, version.size as u64),
        None => sse::ObjectRead::Plain(state.blobs.read(read_segments(&parts, 0, version.size as u64))),
    };
    let mut hasher = Checksummer::new(algorithm);
    while let Some(chunk) = rx.recv().await {
        let chunk = chunk.map_err(crate::storage::StorageError::from)?;
        hasher.update(&chunk);
    }
    Ok(hasher.finalize())
}
