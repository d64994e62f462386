//! UploadPart and UploadPartCopy: one part into a blob of its own, verified, then
//! recorded against its upload (replacing an earlier part with the same number).

use http::Response;
use s3api::headers::{self, header_str, parse_copy_source_range, ChecksumRequest};
use s3api::xml;
use s3api::{S3Error, S3ErrorCode};

use super::{find_upload, no_such_upload, UploadChecksum};
use crate::catalog::{ms_to_datetime, now_ms, Bucket, UploadPart};
use crate::error::Error;
use crate::http::response::{self, empty, set_header, Body};
use crate::http::{AppState, S3Request};
use crate::object::copy::copy_source;
use crate::object::put::{abandon_blob, check_length, receive, verify_digests};
use crate::object::read_segments;
use crate::object::sse;
use crate::storage::{Digests, Hashes, StagedBlob};

pub async fn upload_part(state: &AppState, mut req: S3Request, bucket: Bucket, key: &str, upload_id: &str, part_number: u32) -> Result<Response<Body>, Error> {
    let upload = find_upload(state, &bucket, key, upload_id).await?;
    let content_md5 = headers::content_md5(req.headers())?;
    let checksum = ChecksumRequest::from_headers(req.headers())?;
    let upload_checksum = UploadChecksum::of(&upload);
    if let Some(alg) = checksum.algorithm.filter(|a| upload_checksum.requested && *a != upload_checksum.algorithm) {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            format!(
                "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}",
                upload_checksum.algorithm.as_str().to_lowercase(),
                alg.as_str().to_lowercase()
            ),
        )
        .into());
    }
    let sealed = sse::sealed_of(upload.sse.as_deref())?;
    let customer = sse::request_customer_key(state, &req)?;
    let data_key = sse::open_upload(state, sealed.as_ref(), customer.as_ref())?;
    check_length(&req, state.config.max_object_size)?;
    let _slot = state.upload_slot()?;
    let hashes = Hashes::of([upload_checksum.algorithm].into_iter().chain(checksum.algorithm));
    let (staged, digests) = match &data_key {
        Some(data_key) => sse::receive_encrypted(state, &mut req.body, &hashes, data_key).await?,
        None => {
            let staged = receive(state, &mut req.body, hashes).await?;
            let digests = staged.digests.clone();
            (staged, digests)
        }
    };
    verify_digests(&digests, content_md5, &checksum, &req.body)?;
    let client_checksum = checksum.algorithm.and_then(|a| digests.checksum(a)).map(|c| (c.algorithm, c.to_base64()));
    let etag_md5 = etag_md5(&digests, data_key.as_ref(), sealed.as_ref());
    let part = record_part(state, &bucket, key, upload_id, part_number, staged, &digests, etag_md5, data_key.is_some(), upload_checksum).await?;

    let mut resp = empty(http::StatusCode::OK);
    set_header(&mut resp, "etag", &format!("\"{}\"", part.etag));
    sse::write_headers(&mut resp, sealed.as_ref(), customer.as_ref());
    if let Some((alg, value)) = client_checksum {
        set_header(&mut resp, alg.header_name(), &value);
    }
    Ok(resp)
}

pub async fn upload_part_copy(state: &AppState, req: S3Request, bucket: Bucket, key: &str, upload_id: &str, part_number: u32) -> Result<Response<Body>, Error> {
    let upload = find_upload(state, &bucket, key, upload_id).await?;
    let (source_bucket, source) = copy_source(state, &req).await?;
    let source_key = sse::open(state, sse::sealed_of(source.sse.as_deref())?.as_ref(), sse::copy_source_customer_key(state, &req)?.as_ref())?;
    let sealed = sse::sealed_of(upload.sse.as_deref())?;
    let customer = sse::request_customer_key(state, &req)?;
    let data_key = sse::open_upload(state, sealed.as_ref(), customer.as_ref())?;
    let size = source.size as u64;
    let (start, len) = match header_str(req.headers(), "x-amz-copy-source-range") {
        Some(range) => {
            let (a, b) = parse_copy_source_range(range, size)?;
            (a, b - a + 1)
        }
        None => (0, size),
    };
    if len > state.config.max_object_size {
        return Err(S3Error::with_message(S3ErrorCode::InvalidRequest, "The specified copy range is larger than the maximum part size").into());
    }
    let parts = state.catalog.parts(source.id).await?;
    if parts.is_empty() && source.size > 0 {
        return Err(S3Error::new(S3ErrorCode::NoSuchKey).into());
    }
    let upload_checksum = UploadChecksum::of(&upload);
    let hashes = Hashes::of([upload_checksum.algorithm]);
    let mut source_bytes = match &source_key {
        Some(source_key) => sse::read_decrypted(state, &parts, source_key, start, len),
        None => sse::ObjectRead::Plain(state.blobs.read(read_segments(&parts, start, len))),
    };
    let (staged, digests) = match &data_key {
        Some(data_key) => sse::store_encrypted(state, &mut source_bytes, &hashes, data_key).await?,
        None => {
            let mut writer = state.blobs.writer(hashes);
            while let Some(chunk) = source_bytes.recv().await {
                writer.write(chunk.map_err(|e| Error::io("reading the copy source", e))?).await?;
            }
            let staged = writer.finish().await?;
            let digests = staged.digests.clone();
            (staged, digests)
        }
    };
    let checksum = digests.checksum(upload_checksum.algorithm).map(|c| c.to_base64());
    let etag_md5 = etag_md5(&digests, data_key.as_ref(), sealed.as_ref());
    let part = record_part(state, &bucket, key, upload_id, part_number, staged, &digests, etag_md5, data_key.is_some(), upload_checksum).await?;

    let element = upload_checksum.requested.then(|| headers::checksum_element(upload_checksum.algorithm));
    let doc = xml::response::copy_result("CopyPartResult", &format!("\"{}\"", part.etag), ms_to_datetime(part.last_modified), element.zip(checksum.as_deref()));
    let mut resp = response::xml(doc);
    if let Some(v) = source.shown_version_id(source_bucket.versioning) {
        set_header(&mut resp, "x-amz-copy-source-version-id", v);
    }
    sse::write_headers(&mut resp, sealed.as_ref(), customer.as_ref());
    Ok(resp)
}

/// The MD5 a part's ETag shows: its plaintext's, keyed for SSE-C.
fn etag_md5(digests: &Digests, data_key: Option<&crate::encryption::DataKey>, sealed: Option<&crate::encryption::Sealed>) -> [u8; 16] {
    match (data_key, sealed) {
        (Some(key), Some(sealed)) => crate::encryption::shown_md5(digests.md5, key, sealed),
        _ => digests.md5,
    }
}

/// Persists a staged part (`digests` of its plaintext, `etag_md5` what its ETag shows;
/// `encrypted`: the blob holds ciphertext) and records it, unless the upload is gone by then (the blob
/// is removed again and the client gets `NoSuchUpload`). A failed commit of unknown
/// outcome leaves the blob to the collector ([`abandon_blob`]).
#[allow(clippy::too_many_arguments)]
async fn record_part(
    state: &AppState,
    bucket: &Bucket,
    key: &str,
    upload_id: &str,
    part_number: u32,
    staged: StagedBlob,
    digests: &Digests,
    etag_md5: [u8; 16],
    encrypted: bool,
    checksum: UploadChecksum,
) -> Result<UploadPart, Error> {
    let part_checksum = digests.checksum(checksum.algorithm).map(|c| c.to_base64());
    let (size, etag) = (digests.size as i64, hex::encode(etag_md5));
    let blob_size = encrypted.then_some(staged.digests.size as i64);
    let blob = staged.persist().await?;
    let blob_id = blob.id.clone();
    let part = UploadPart {
        part_number: i64::from(part_number),
        blob_id: blob.id,
        size,
        etag,
        checksum: part_checksum,
        last_modified: now_ms(),
        blob_size,
        copies: blob.drives,
    };
    let recorded = async {
        let mut tx = state.catalog.begin().await?;
        tx.lock_key(bucket.id, key).await?;
        match tx.upload(upload_id).await? {
            Some(u) if u.bucket_id == bucket.id && u.key == key => {}
            _ => return Err(no_such_upload(upload_id)),
        }
        tx.put_upload_part(upload_id, &part).await?;
        tx.commit().await?;
        Ok::<_, Error>(())
    }
    .await;
    if let Err(e) = recorded {
        abandon_blob(state, &blob_id, &e).await;
        return Err(e);
    }
    state.gc.poke();
    Ok(part)
}
