//! CompleteMultipartUpload: check the part list against what was uploaded, compute the
//! multipart ETag and checksum, and turn the upload into an object version whose parts
//! are the uploaded blobs, all in one transaction with the object's event. A retried
//! Complete of an upload that already completed gets the same answer again.

use std::collections::HashMap;

use http::Response;
use s3api::checksum::{combine_full_object, composite_checksum, multipart_etag, Checksum, ChecksumAlgorithm, ChecksumType};
use s3api::headers::{checksum_element, completed_part_checksum, etag_list_matches, ChecksumRequest, ChecksumValue, Conditions};
use s3api::xml::{self, request::CompleteMultipartUploadRequest};
use s3api::{S3Error, S3ErrorCode};

use super::{no_such_upload, UploadChecksum, MIN_PART_SIZE};
use crate::catalog::{now_ms, Bucket, NewVersion, PartData, StoredChecksum, UploadPart};
use crate::error::Error;
use crate::events::{Event, EventType};
use crate::http::response::{self, set_header, Body};
use crate::http::{AppState, S3Request};
use crate::object::version_write;

pub async fn complete(state: &AppState, mut req: S3Request, bucket: Bucket, key: &str, upload_id: &str) -> Result<Response<Body>, Error> {
    let conditions = Conditions::from_headers(req.headers());
    let full_checksum = ChecksumRequest::from_headers(req.headers())?;
    let body = req.body.read_to_end(xml::request::MAX_XML_BODY).await?;
    let request: CompleteMultipartUploadRequest = xml::request::parse(&body)?;
    if request.parts.is_empty() {
        return Err(S3Error::with_message(S3ErrorCode::MalformedXML, "You must specify at least one part").into());
    }
    if request.parts.len() > 10_000 {
        return Err(S3ErrorCode::TooManyParts.into());
    }
    let ctx = req.event_context(state);

    let mut tx = state.catalog.begin().await?;
    tx.lock_key(bucket.id, key).await?;
    let bucket = tx.bucket(&bucket.name).await?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket))?;
    let upload = match tx.upload(upload_id).await? {
        Some(u) if u.bucket_id == bucket.id && u.key == key => u,
        Some(_) => return Err(no_such_upload(upload_id)),
        None => {
            drop(tx);
            return completed_before(state, &bucket, key, upload_id, &request).await;
        }
    };
    let uploaded: HashMap<i64, UploadPart> = tx.all_upload_parts(upload_id).await?.into_iter().map(|p| (p.part_number, p)).collect();
    let checksum = UploadChecksum::of(&upload);

    // The parts named, in order, each uploaded with the given ETag; all but the last
    // at least 5 MiB.
    let mut chosen: Vec<&UploadPart> = Vec::with_capacity(request.parts.len());
    for (i, named) in request.parts.iter().enumerate() {
        if i > 0 && named.part_number <= request.parts[i - 1].part_number {
            return Err(S3ErrorCode::InvalidPartOrder.into());
        }
        let part = uploaded
            .get(&i64::from(named.part_number))
            .filter(|p| etag_list_matches(&named.etag, &p.etag))
            .ok_or_else(|| S3Error::new(S3ErrorCode::InvalidPart).extra("PartNumber", named.part_number.to_string()).extra("ETag", named.etag.clone()))?;
        if let Some(given) = completed_part_checksum(named, checksum.algorithm) {
            if part.checksum.as_deref() != Some(given) {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidPart,
                    format!("The checksum of part {} does not match the uploaded part", named.part_number),
                )
                .into());
            }
        }
        chosen.push(part);
    }
    if let Some(small) = chosen[..chosen.len() - 1].iter().find(|p| p.size < MIN_PART_SIZE) {
        return Err(S3Error::new(S3ErrorCode::EntityTooSmall)
            .extra("ProposedSize", small.size.to_string())
            .extra("MinSizeAllowed", MIN_PART_SIZE.to_string())
            .extra("PartNumber", small.part_number.to_string())
            .into());
    }

    let md5s: Vec<[u8; 16]> = chosen.iter().map(|p| part_md5(&p.etag)).collect::<Result<_, _>>()?;
    let etag = format!("\"{}\"", multipart_etag(&md5s));
    let part_checksums: Vec<Checksum> = chosen
        .iter()
        .map(|p| p.checksum.as_deref().ok_or(()).and_then(|c| Checksum::from_base64(checksum.algorithm, c).map_err(|_| ())))
        .collect::<Result<_, _>>()
        .map_err(|_| Error::Corrupt(format!("upload {upload_id} has a part without its checksum")))?;
    let object_checksum = match checksum.kind {
        ChecksumType::Composite => composite_checksum(checksum.algorithm, &part_checksums)?,
        ChecksumType::FullObject => {
            let with_sizes: Vec<(Checksum, u64)> = part_checksums.into_iter().zip(chosen.iter().map(|p| p.size as u64)).collect();
            combine_full_object(checksum.algorithm, &with_sizes)?.to_base64()
        }
    };
    if let ChecksumValue::Header(expected) = &full_checksum.value {
        if checksum.kind != ChecksumType::FullObject || expected.algorithm != checksum.algorithm || expected.to_base64() != object_checksum {
            return Err(S3Error::with_message(S3ErrorCode::BadDigest, "The full-object checksum you specified did not match the calculated checksum.").into());
        }
    }
    if !conditions.is_empty() {
        let current = tx.latest_version(bucket.id, key).await?.filter(|v| !v.is_delete_marker);
        conditions.check_write(current.as_ref().map(|v| v.etag.as_str()))?;
    }

    let kept: Vec<String> = chosen.iter().map(|p| p.blob_id.clone()).collect();
    let new = NewVersion {
        key: key.to_owned(),
        is_delete_marker: false,
        size: chosen.iter().map(|p| p.size).sum(),
        etag,
        last_modified: now_ms(),
        owner_id: upload.owner_id.clone(),
        storage_class: upload.storage_class.clone(),
        metadata: upload.metadata.clone(),
        checksum: Some(StoredChecksum {
            algorithm: checksum.algorithm.as_str().to_owned(),
            kind: checksum.kind.as_str().to_owned(),
            value: object_checksum.clone(),
        }),
        tags: upload.tags.clone(),
        acl: upload.acl.clone(),
        parts_count: Some(chosen.len() as i64),
        upload_id: Some(upload_id.to_owned()),
        lock: crate::object::lock::lock_for_completed_upload(&bucket, &upload.lock)?,
        sse: upload.sse.clone(),
        parts: chosen
            .iter()
            .enumerate()
            .map(|(i, p)| PartData {
                part_number: i as i64 + 1,
                blob_id: Some(p.blob_id.clone()),
                data: None,
                size: p.size,
                etag: p.etag.clone(),
                checksum: p.checksum.clone(),
                blob_size: p.blob_size,
                copies: Vec::new(),
            })
            .collect(),
    };
    let (version, _) = tx.put_version(bucket.id, &new, &version_write(bucket.versioning)).await?;
    tx.finish_upload(upload_id, &kept).await?;
    Event::for_object(&ctx, EventType::ObjectCreated, "ObjectCreated:CompleteMultipartUpload", &bucket, &version).record(&mut tx).await?;
    tx.commit().await?;
    state.gc.poke();

    let location = format!("/{}/{}", bucket.name, key);
    let shown_checksum = (checksum_element(checksum.algorithm), object_checksum.as_str());
    let doc = xml::response::complete_multipart_upload(&location, &bucket.name, key, &version.etag, Some(shown_checksum), Some(checksum.kind.as_str()));
    let mut resp = response::xml(doc);
    crate::object::set_expiration(&mut resp, &bucket, &version, state.config.lifecycle_day());
    crate::object::sse::write_headers(&mut resp, crate::object::sse::sealed_of(version.sse.as_deref())?.as_ref(), None);
    if let Some(v) = version.shown_version_id(bucket.versioning) {
        set_header(&mut resp, "x-amz-version-id", v);
    }
    Ok(resp)
}

/// A Complete for an upload that is no longer open. When the key's latest version is
/// the object this upload made with this very part list (a client retrying after its answer was lost),
/// the answer is the same 200 again, as AWS gives it; otherwise `NoSuchUpload`.
async fn completed_before(
    state: &AppState,
    bucket: &Bucket,
    key: &str,
    upload_id: &str,
    request: &CompleteMultipartUploadRequest,
) -> Result<Response<Body>, Error> {
    let latest = state.catalog.latest_version(bucket.id, key).await?;
    let Some(version) = latest.filter(|v| !v.is_delete_marker && v.parts_count == Some(request.parts.len() as i64)) else {
        return Err(no_such_upload(upload_id));
    };
    if state.catalog.version_upload_id(version.id).await?.as_deref() != Some(upload_id) {
        return Err(no_such_upload(upload_id));
    }
    let parts = state.catalog.parts(version.id).await?;
    let same = parts.len() == request.parts.len() && parts.iter().zip(&request.parts).all(|(part, named)| etag_list_matches(&named.etag, &part.etag));
    if !same {
        return Err(no_such_upload(upload_id));
    }
    let checksum =
        version.checksum.as_ref().and_then(|c| ChecksumAlgorithm::parse(&c.algorithm).map(|alg| (checksum_element(alg), c.value.as_str(), c.kind.as_str())));
    let location = format!("/{}/{}", bucket.name, key);
    let doc =
        xml::response::complete_multipart_upload(&location, &bucket.name, key, &version.etag, checksum.map(|(e, v, _)| (e, v)), checksum.map(|(_, _, k)| k));
    let mut resp = response::xml(doc);
    crate::object::set_expiration(&mut resp, bucket, &version, state.config.lifecycle_day());
    crate::object::sse::write_headers(&mut resp, crate::object::sse::sealed_of(version.sse.as_deref())?.as_ref(), None);
    if let Some(v) = version.shown_version_id(bucket.versioning) {
        set_header(&mut resp, "x-amz-version-id", v);
    }
    Ok(resp)
}

fn part_md5(etag: &str) -> Result<[u8; 16], Error> {
    hex::decode(etag).ok().and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok()).ok_or_else(|| Error::Corrupt(format!("stored part ETag {etag} is not an MD5")))
}
