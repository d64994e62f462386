//! Multipart uploads: create, upload a part (from the body or copied from an object),
//! list parts and uploads, abort, and complete. Parts are blobs of their own; completing
//! an upload makes them the parts of a new object version without copying data.
//!
//! Checksums: an upload uses the algorithm and type (COMPOSITE or FULL_OBJECT) the
//! client asked for at creation, or CRC64NVME full-object when it asked for none, as S3
//! does for new objects. Each part's checksum in that algorithm is kept with the part.
//!
//! Layer 12 of `crate::LAYERS`: may import `object`, `bucket`, `http` and what is below
//! them.

mod complete;
mod list;
mod part;

pub use complete::complete;
pub use list::{list_parts, list_uploads};
pub use part::{upload_part, upload_part_copy};

use http::{Response, StatusCode};
use s3api::checksum::{ChecksumAlgorithm, ChecksumType};
use s3api::headers::{format_http_date, multipart_checksum, ObjectMetadata};
use s3api::xml;
use s3api::{tagging, S3Error, S3ErrorCode};

use crate::catalog::{now_ms, Bucket, Upload};
use crate::error::Error;
use crate::http::acl::requested_acl;
use crate::http::response::{self, empty, set_header, Body};
use crate::http::{AppState, S3Request};

/// The smallest size of every part but the last.
pub const MIN_PART_SIZE: i64 = 5 * 1024 * 1024;

/// The checksum an upload keeps for its parts.
#[derive(Debug, Clone, Copy)]
pub struct UploadChecksum {
    pub algorithm: ChecksumAlgorithm,
    pub kind: ChecksumType,
    /// Whether the client chose it (else it is the server's default).
    pub requested: bool,
}

impl UploadChecksum {
    pub fn of(upload: &Upload) -> Self {
        let algorithm = upload.checksum_algorithm.as_deref().and_then(ChecksumAlgorithm::parse);
        let kind = upload.checksum_type.as_deref().and_then(ChecksumType::parse);
        match (algorithm, kind) {
            (Some(algorithm), Some(kind)) => UploadChecksum { algorithm, kind, requested: true },
            _ => UploadChecksum { algorithm: ChecksumAlgorithm::Crc64Nvme, kind: ChecksumType::FullObject, requested: false },
        }
    }
}

/// The upload `upload_id` of `bucket`/`key`, or `NoSuchUpload`.
pub async fn find_upload(state: &AppState, bucket: &Bucket, key: &str, upload_id: &str) -> Result<Upload, Error> {
    match state.catalog.upload(upload_id).await? {
        Some(u) if u.bucket_id == bucket.id && u.key == key => Ok(u),
        _ => Err(no_such_upload(upload_id)),
    }
}

pub fn no_such_upload(upload_id: &str) -> Error {
    S3Error::new(S3ErrorCode::NoSuchUpload).extra("UploadId", upload_id).into()
}

/// Upload ids sort by creation time: a hex millisecond timestamp, then randomness.
fn new_upload_id() -> String {
    format!("{:012x}{}", now_ms(), uuid::Uuid::new_v4().simple())
}

pub async fn create(state: &AppState, req: S3Request, bucket: Bucket, key: &str) -> Result<Response<Body>, Error> {
    let setting = crate::object::sse::write_setting(state, &req, &bucket)?;
    // One data key for the whole upload: each part is a blob of its own, with its own
    // nonces, bound to its blob id.
    let sealed = setting.as_ref().map(|s| state.keys.seal(s)).transpose()?.map(|(_, sealed)| sealed);
    let h = req.headers();
    let metadata = ObjectMetadata::from_headers(h)?;
    let checksum = multipart_checksum(h)?;
    let upload = Upload {
        upload_id: new_upload_id(),
        bucket_id: bucket.id,
        key: key.to_owned(),
        owner_id: crate::object::new_object_owner(&req.caller.principal, &bucket, h),
        initiated: now_ms(),
        storage_class: metadata.storage_class.clone().unwrap_or_else(|| "STANDARD".to_owned()),
        metadata,
        checksum_algorithm: checksum.map(|(a, _)| a.as_str().to_owned()),
        checksum_type: checksum.map(|(_, t)| t.as_str().to_owned()),
        tags: tagging::from_header(h)?.unwrap_or_default(),
        acl: requested_acl(state, h, Some(&bucket)).await?.map(|a| a.to_json()),
        lock: crate::object::lock::lock_for_upload(&req.caller, &bucket, key, h)?,
        sse: sealed.as_ref().map(crate::encryption::Sealed::to_json),
    };
    let mut tx = state.catalog.begin().await?;
    tx.create_upload(&upload).await?;
    tx.commit().await?;
    let mut resp = response::xml(xml::response::initiate_multipart_upload(&bucket.name, key, &upload.upload_id));
    set_abort_date(&mut resp, &bucket, key, upload.initiated, state.config.lifecycle_day());
    crate::object::sse::write_headers(&mut resp, sealed.as_ref(), crate::object::sse::sent_customer_key(&req).as_ref());
    crate::object::sse::write_context(&mut resp, sealed.as_ref());
    if let Some((alg, kind)) = checksum {
        set_header(&mut resp, "x-amz-checksum-algorithm", alg.as_str());
        set_header(&mut resp, "x-amz-checksum-type", kind.as_str());
    }
    Ok(resp)
}

/// `x-amz-abort-date` and `x-amz-abort-rule-id` (CreateMultipartUpload, ListParts): when
/// a lifecycle rule of the bucket aborts the upload if it is still incomplete, and which
/// rule.
fn set_abort_date(resp: &mut Response<Body>, bucket: &Bucket, key: &str, initiated_ms: i64, day: std::time::Duration) {
    let Some(rules) = crate::object::lifecycle_rules(bucket) else { return };
    let Some((at, rule)) = rules.abort_deadline(key, initiated_ms, day) else { return };
    // An HTTP date has four digits of year: a rule of millions of days gets no header.
    if let Some(date) = chrono::DateTime::from_timestamp_millis(at).filter(|d| (0..=9999).contains(&chrono::Datelike::year(d))) {
        set_header(resp, "x-amz-abort-date", &format_http_date(date));
        set_header(resp, "x-amz-abort-rule-id", rule);
    }
}

pub async fn abort(state: &AppState, bucket: Bucket, key: &str, upload_id: &str) -> Result<Response<Body>, Error> {
    let mut tx = state.catalog.begin().await?;
    tx.lock_key(bucket.id, key).await?;
    match tx.upload(upload_id).await? {
        Some(u) if u.bucket_id == bucket.id && u.key == key => {}
        _ => return Err(no_such_upload(upload_id)),
    }
    tx.delete_upload(upload_id).await?;
    tx.commit().await?;
    state.gc.poke();
    Ok(empty(StatusCode::NO_CONTENT))
}
