//! GetObject and HeadObject: conditional headers, byte ranges, `partNumber`,
//! `response-*` overrides and checksum mode, with the body streamed from the blob store.

use http::{Response, StatusCode};
use s3api::checksum::ChecksumAlgorithm;
use s3api::headers::{self, format_http_date, header_str, Conditions};
use s3api::operation::ObjectAccess;
use s3api::{S3Error, S3ErrorCode};

use super::{read_segments, readable_version, set_expiration, sse, write_object_headers};
use crate::catalog::{ms_to_datetime, Bucket, ObjectVersion, Part};
use crate::error::Error;
use crate::http::response::{channel_body_after, empty, set_header, Body};
use crate::http::{AppState, S3Request};

/// `response-*` query parameters and the headers they override.
const OVERRIDES: &[(&str, &str)] = &[
    ("response-content-type", "content-type"),
    ("response-content-language", "content-language"),
    ("response-expires", "expires"),
    ("response-cache-control", "cache-control"),
    ("response-content-disposition", "content-disposition"),
    ("response-content-encoding", "content-encoding"),
];

/// How often a read looks the version up again when its parts went away in between.
const READ_ATTEMPTS: u32 = 3;

/// The version a GET or HEAD reads, and its parts. The two are separate catalog reads:
/// when the version was replaced or deleted between them (its parts are gone), the
/// version is looked up again, so that a read racing an overwrite gets the new object,
/// never a 404, and one racing a delete gets the delete's answer.
async fn version_and_parts(
    state: &AppState,
    req: &S3Request,
    bucket: &Bucket,
    key: &str,
    version_id: Option<&str>,
) -> Result<(ObjectVersion, Vec<Part>), Error> {
    let mut attempt = 1;
    loop {
        let version = readable_version(state, &req.caller, bucket, key, version_id, ObjectAccess::Read, req.action).await?;
        let parts = state.catalog.parts(version.id).await?;
        if !parts.is_empty() || version.size == 0 {
            return Ok((version, parts));
        }
        if attempt >= READ_ATTEMPTS {
            // Replaced again and again while we looked: answered as a missing key.
            return Err(S3Error::new(S3ErrorCode::NoSuchKey).into());
        }
        attempt += 1;
    }
}

pub async fn get_object(
    state: &AppState,
    req: S3Request,
    bucket: Bucket,
    key: &str,
    version_id: Option<&str>,
    part_number: Option<u32>,
    head: bool,
) -> Result<Response<Body>, Error> {
    let (version, parts) = version_and_parts(state, &req, &bucket, key, version_id).await?;
    // An SSE-C object answers nothing, not even a HEAD, without its key.
    let sealed = sse::sealed_of(version.sse.as_deref())?;
    let customer = sse::request_customer_key(state, &req)?;
    let data_key = sse::open(state, sealed.as_ref(), customer.as_ref())?;

    let last_modified = ms_to_datetime(version.last_modified);
    if let Err(e) = Conditions::from_headers(req.headers()).check_read(&version.etag, last_modified) {
        // A 304 still names the representation.
        return Err(e.header("etag", version.etag.clone()).header("last-modified", format_http_date(last_modified)).into());
    }

    let size = version.size as u64;
    let (start, end, partial) = match (part_number, headers::range(req.headers())) {
        (Some(_), Some(_)) => {
            return Err(S3Error::with_message(S3ErrorCode::InvalidRequest, "Cannot specify both Range header and partNumber query parameter").into())
        }
        (Some(n), None) => {
            let (start, len) = part_span(&parts, n, version.parts_count.is_some())?;
            (start, start + len.saturating_sub(1), version.parts_count.is_some())
        }
        (None, Some(range)) => {
            let (start, end) = range.resolve(size)?;
            (start, end, true)
        }
        (None, None) => (0, size.saturating_sub(1), false),
    };
    let len = if size == 0 { 0 } else { end - start + 1 };

    let mut resp = empty(if partial { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK });
    write_object_headers(&mut resp, &bucket, &version);
    set_expiration(&mut resp, &bucket, &version, state.config.lifecycle_day());
    super::lock::write_headers(&mut resp, &req.caller, &bucket, &version);
    sse::write_headers(&mut resp, sealed.as_ref(), customer.as_ref());
    if partial {
        set_header(&mut resp, "content-range", &format!("bytes {start}-{end}/{size}"));
    }
    let checksum_mode = header_str(req.headers(), "x-amz-checksum-mode").is_some_and(|m| m.eq_ignore_ascii_case("ENABLED"));
    if checksum_mode && !partial {
        if let Some(c) = &version.checksum {
            if let Some(alg) = ChecksumAlgorithm::parse(&c.algorithm) {
                set_header(&mut resp, alg.header_name(), &c.value);
                set_header(&mut resp, "x-amz-checksum-type", &c.kind);
            }
        }
    }
    for (param, header) in OVERRIDES {
        if let Some(value) = req.query.get(param) {
            set_header(&mut resp, header, value);
        }
    }
    if state.config.console {
        // The console shares this origin and keeps its credentials there: an HTML or SVG
        // object opened in a browser must not run as that origin (no scripts, an opaque
        // origin), nor be sniffed into something that runs.
        set_header(&mut resp, "content-security-policy", "sandbox");
        set_header(&mut resp, "x-content-type-options", "nosniff");
    }
    set_header(&mut resp, "content-length", &len.to_string());
    if !head && len > 0 {
        // The reader logs damage it meets with the request's bucket and key and this version.
        let span = tracing::info_span!("read", version_id = %version.version_id);
        let mut rx = span.in_scope(|| match &data_key {
            Some(data_key) => sse::read_decrypted(state, &parts, data_key, start, len),
            None => sse::ObjectRead::Plain(state.blobs.read(read_segments(&parts, start, len))),
        });
        // The first chunk is read before the headers go out: when no copy of it is
        // good the client gets a 500, not a 200 with a body cut short.
        match rx.recv().await {
            Some(Ok(first)) => *resp.body_mut() = channel_body_after(first, rx, len),
            Some(Err(e)) => return Err(Error::io(format!("reading {}/{} version {}", bucket.name, key, version.version_id), e)),
            None => return Err(Error::io("reading the object", std::io::Error::from(std::io::ErrorKind::UnexpectedEof))),
        }
    }
    Ok(resp)
}

/// Offset and length of part `n`. A single-part object has exactly part 1. A part the
/// object lacks is 400 `InvalidPart`, as AWS answers.
fn part_span(parts: &[Part], n: u32, multipart: bool) -> Result<(u64, u64), Error> {
    let invalid = || S3Error::new(S3ErrorCode::InvalidPart);
    if !multipart {
        return if n == 1 { Ok((0, parts.iter().map(|p| p.size as u64).sum())) } else { Err(invalid().into()) };
    }
    let mut offset = 0u64;
    for part in parts {
        if part.part_number == i64::from(n) {
            return Ok((offset, part.size as u64));
        }
        offset += part.size as u64;
    }
    Err(invalid().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::ReadSegment;

    fn part(n: i64, size: i64) -> Part {
        Part { part_number: n, blob_id: Some(format!("b{n}")), data: None, size, etag: String::new(), checksum: None, blob_size: None }
    }

    #[test]
    fn segments_span_parts() {
        let parts = vec![part(1, 10), part(2, 10), part(3, 5)];
        let segs = read_segments(&parts, 8, 10);
        let spans: Vec<(String, u64, u64)> = segs
            .into_iter()
            .map(|s| match s {
                ReadSegment::Blob { blob_id, offset, len, .. } => (blob_id, offset, len),
                ReadSegment::Inline { .. } => unreachable!(),
            })
            .collect();
        assert_eq!(spans, vec![("b1".into(), 8, 2), ("b2".into(), 0, 8)]);
        assert_eq!(part_span(&parts, 2, true).unwrap(), (10, 10));
        assert!(part_span(&parts, 4, true).is_err());
        assert_eq!(part_span(&parts[..1], 1, false).unwrap(), (0, 10));
    }
}
