//! Typed readers for the request headers S3 defines. Handlers use these instead of
//! looking at raw headers.

mod checksum;
mod conditional;
mod http_date;
mod object;
mod range;
mod rfc2047;

pub use checksum::{checksum_element, completed_part_checksum, multipart_checksum, ChecksumRequest, ChecksumValue};
pub use conditional::{etag_list_matches, Conditions};
pub use http_date::{format_http_date, format_iso8601, parse_http_date};
pub use object::{content_md5, directive_is_replace, CopySource, ObjectMetadata, DEFAULT_CONTENT_TYPE, MAX_USER_METADATA};
pub use range::{parse_copy_source_range, RangeSpec};
pub use rfc2047::decode_rfc2047;

use http::HeaderMap;

use crate::error::{S3Error, S3ErrorCode, S3Result};

/// A header's value as trimmed text; `None` when absent or not visible ASCII.
pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// `Content-Length`, when sent.
pub fn content_length(headers: &HeaderMap) -> S3Result<Option<u64>> {
    parse_length(headers, "content-length")
}

/// `x-amz-decoded-content-length` of an aws-chunked body, when sent.
pub fn decoded_content_length(headers: &HeaderMap) -> S3Result<Option<u64>> {
    parse_length(headers, "x-amz-decoded-content-length")
}

fn parse_length(headers: &HeaderMap, name: &'static str) -> S3Result<Option<u64>> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .map(Some)
            .ok_or_else(|| S3Error::with_message(S3ErrorCode::InvalidArgument, format!("Invalid {name}")).extra("ArgumentName", name)),
    }
}

/// `x-amz-object-attributes` of GetObjectAttributes: the attribute names asked for.
pub fn object_attributes(headers: &HeaderMap) -> S3Result<Vec<String>> {
    const KNOWN: &[&str] = &["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"];
    let mut wanted = Vec::new();
    for value in headers.get_all("x-amz-object-attributes") {
        let text = value.to_str().map_err(|_| S3Error::new(S3ErrorCode::InvalidArgument))?;
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if !KNOWN.contains(&name) {
                return Err(S3Error::with_message(S3ErrorCode::InvalidArgument, format!("Invalid attribute name specified: {name}")));
            }
            wanted.push(name.to_owned());
        }
    }
    if wanted.is_empty() {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty",
        ));
    }
    Ok(wanted)
}

/// The `Range` header, if present and well-formed.
pub fn range(headers: &HeaderMap) -> Option<RangeSpec> {
    header_str(headers, "range").and_then(RangeSpec::parse)
}
