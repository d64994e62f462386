//! GetObjectAttributes: ETag, checksum, parts, storage class and size of a version,
//! without its body.

use http::Response;
use s3api::checksum::ChecksumAlgorithm;
use s3api::headers::{self, checksum_element, format_http_date, header_str};
use s3api::operation::ObjectAccess;
use s3api::xml::{self, response::ObjectAttributes, response::ObjectPartsAttribute, response::PartAttribute};
use s3api::{S3Error, S3ErrorCode};

use super::readable_version;
use crate::catalog::{ms_to_datetime, Bucket};
use crate::error::Error;
use crate::http::response::{self, set_header, Body};
use crate::http::{AppState, S3Request};

pub async fn get_object_attributes(state: &AppState, req: S3Request, bucket: Bucket, key: &str, version_id: Option<&str>) -> Result<Response<Body>, Error> {
    let version = readable_version(state, &req.caller, &bucket, key, version_id, ObjectAccess::Read, req.action).await?;
    // An SSE-C object's attributes are read with its key, as its HEAD is.
    super::sse::open(state, super::sse::sealed_of(version.sse.as_deref())?.as_ref(), super::sse::request_customer_key(state, &req)?.as_ref())?;
    let wanted = headers::object_attributes(req.headers())?;
    let wants = |name: &str| wanted.iter().any(|w| w == name);
    let number = |name: &str, default: u32| -> Result<u32, Error> {
        match header_str(req.headers(), name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| S3Error::with_message(S3ErrorCode::InvalidArgument, format!("Invalid {name}")).into()),
        }
    };
    let max_parts = number("x-amz-max-parts", 1000)?.min(1000) as usize;
    let marker = number("x-amz-part-number-marker", 0)?;

    let algorithm = version.checksum.as_ref().and_then(|c| ChecksumAlgorithm::parse(&c.algorithm));
    let mut attrs = ObjectAttributes {
        etag: wants("ETag").then(|| version.etag.trim_matches('"').to_owned()),
        checksum: match (&version.checksum, algorithm) {
            (Some(c), Some(alg)) if wants("Checksum") => Some((checksum_element(alg).to_owned(), c.value.clone(), c.kind.clone())),
            _ => None,
        },
        storage_class: wants("StorageClass").then(|| version.storage_class.clone()),
        object_size: wants("ObjectSize").then_some(version.size as u64),
        parts: None,
    };
    if let (true, Some(total)) = (wants("ObjectParts"), version.parts_count) {
        let parts = state.catalog.parts(version.id).await?;
        let after: Vec<_> = parts.iter().filter(|p| p.part_number > i64::from(marker)).collect();
        let page: Vec<_> = after.iter().take(max_parts).collect();
        let composite = version.checksum.as_ref().is_some_and(|c| c.kind == "COMPOSITE");
        attrs.parts = Some(ObjectPartsAttribute {
            total_parts_count: total as u32,
            part_number_marker: marker,
            next_part_number_marker: page.last().map_or(marker, |p| p.part_number as u32),
            max_parts,
            is_truncated: after.len() > page.len(),
            parts: page
                .iter()
                .map(|p| {
                    let checksum = algorithm.filter(|_| composite).zip(p.checksum.clone()).map(|(a, c)| (checksum_element(a).to_owned(), c));
                    PartAttribute { number: p.part_number as u32, size: p.size as u64, checksum }
                })
                .collect(),
        });
    }
    let mut resp = response::xml(xml::response::object_attributes(&attrs));
    set_header(&mut resp, "last-modified", &format_http_date(ms_to_datetime(version.last_modified)));
    if let Some(v) = version.shown_version_id(bucket.versioning) {
        set_header(&mut resp, "x-amz-version-id", v);
    }
    Ok(resp)
}
