//! Object operations, one family per file, and what they share: finding the version a
//! request means (with S3's delete-marker answers), committing a new version with its
//! event, and writing an object's headers into a response.
//!
//! Layer 11 of `crate::LAYERS`: may import `bucket`, `http` and what is below them.

pub mod acl;
pub mod attributes;
pub mod copy;
pub mod delete;
pub mod get;
pub mod list;
pub mod lock;
pub mod post;
pub mod put;
pub mod sse;
pub mod tagging;
pub mod versions;

use http::Response;
use s3api::bucket_config::ObjectOwnership;
use s3api::headers::{format_http_date, Conditions};
use s3api::lifecycle::{expiration_header, LifecycleConfiguration};
use s3api::operation::ObjectAccess;
use s3api::{S3Error, S3ErrorCode};

use crate::auth::access::{self, object_action, Ask, Caller, ObjectFacts};
use crate::auth::acl::Acl;
use crate::auth::acl_rules::Action;
use crate::auth::Principal;
use crate::catalog::{ms_to_datetime, Bucket, NewVersion, ObjectVersion, Part, VersionWrite, Versioning, NULL_VERSION};
use crate::error::Error;
use crate::events::{Event, EventContext, EventType};
use crate::http::response::{set_header, Body};
use crate::http::AppState;
use crate::storage::ReadSegment;

/// A fresh version id: 32 hex digits.
pub fn new_version_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Rejects version ids Depot could never have issued, as S3 does.
pub fn check_version_id(version_id: &str) -> Result<(), Error> {
    let well_formed = version_id == NULL_VERSION || (version_id.len() == 32 && version_id.bytes().all(|b| b.is_ascii_hexdigit()));
    if well_formed {
        Ok(())
    } else {
        Err(S3Error::with_message(S3ErrorCode::InvalidArgument, "Invalid version id specified")
            .extra("ArgumentName", "versionId")
            .extra("ArgumentValue", version_id)
            .into())
    }
}

/// How a write on a bucket in this state names its version.
pub fn version_write(versioning: Versioning) -> VersionWrite {
    match versioning {
        Versioning::Enabled => VersionWrite::New(new_version_id()),
        Versioning::Unversioned | Versioning::Suspended => VersionWrite::Null,
    }
}

/// Finds the version a request means and checks the object-level part of its access
/// (the bucket-level part was checked in the pipeline). Every handler that addresses an
/// existing object version goes through here.
///
/// A missing key is `NoSuchKey` only for callers allowed to list the bucket, and
/// `AccessDenied` otherwise, as S3 answers. A latest version that is a delete marker is
/// a 404 with `x-amz-delete-marker`; asking for a delete marker by id is a 405.
#[allow(clippy::too_many_arguments)]
pub async fn readable_version(
    state: &AppState,
    caller: &Caller,
    bucket: &Bucket,
    key: &str,
    version_id: Option<&str>,
    access: ObjectAccess,
    action: &str,
) -> Result<ObjectVersion, Error> {
    if let Some(v) = version_id {
        check_version_id(v)?;
    }
    let found = match version_id {
        Some(v) => state.catalog.version(bucket.id, key, v).await?,
        None => state.catalog.latest_version(bucket.id, key).await?,
    };
    let resource_name = format!("/{}/{}", bucket.name, key);
    let Some(version) = found else {
        let list = Ask { action: "s3:ListBucket", acl_action: Action::ListBucket, key: None, object: None };
        if access::check(caller, bucket, list).is_err() {
            return Err(S3Error::new(S3ErrorCode::AccessDenied).resource(resource_name).into());
        }
        let err = match version_id {
            Some(v) => S3Error::new(S3ErrorCode::NoSuchVersion).extra("Key", key).extra("VersionId", v),
            None => S3Error::new(S3ErrorCode::NoSuchKey).extra("Key", key),
        };
        return Err(err.resource(resource_name).into());
    };
    let object_acl = version.acl.as_deref().map(Acl::from_json).unwrap_or_default();
    let object = ObjectFacts { owner: effective_owner(bucket, &version), acl: &object_acl, tags: &version.tags };
    access::check(caller, bucket, Ask { action, acl_action: object_action(access), key: Some(key), object: Some(object) })?;
    if version.is_delete_marker {
        let shown = version.shown_version_id(bucket.versioning).unwrap_or(NULL_VERSION).to_owned();
        let err = match version_id {
            Some(_) => S3Error::new(S3ErrorCode::MethodNotAllowed).header("allow", "DELETE"),
            None => S3Error::new(S3ErrorCode::NoSuchKey).extra("Key", key),
        };
        return Err(err.resource(resource_name).header("x-amz-delete-marker", "true").header("x-amz-version-id", shown).into());
    }
    Ok(version)
}

/// Who owns an object version: its writer, or the bucket's owner when the bucket's
/// ownership controls say `BucketOwnerEnforced` (which makes the bucket owner own every
/// object, those written before included).
pub fn effective_owner<'a>(bucket: &'a Bucket, version: &'a ObjectVersion) -> &'a str {
    match access::object_ownership(bucket) {
        Some(ObjectOwnership::BucketOwnerEnforced) => &bucket.owner_id,
        _ => &version.owner_id,
    }
}

/// The owner a new object written by `principal` into `bucket` gets: the writer, or the
/// bucket owner under `BucketOwnerEnforced`, or under `BucketOwnerPreferred` when the
/// write says `x-amz-acl: bucket-owner-full-control`.
pub fn new_object_owner(principal: &Principal, bucket: &Bucket, headers: &http::HeaderMap) -> String {
    let writer = principal.user_id().unwrap_or("anonymous");
    let owner = match access::object_ownership(bucket) {
        Some(ObjectOwnership::BucketOwnerEnforced) => &bucket.owner_id,
        Some(ObjectOwnership::BucketOwnerPreferred) if headers.get("x-amz-acl").is_some_and(|v| v.as_bytes() == b"bucket-owner-full-control") => {
            &bucket.owner_id
        }
        _ => writer,
    };
    owner.to_owned()
}

/// Commits a new version of `new.key` as the key's latest, with its event, in one
/// transaction. Conditional-write headers are checked inside it, against the current
/// version, so the check and the write are one atomic step. The caller frees any blob
/// it wrote when this fails.
pub async fn commit_version(
    state: &AppState,
    ctx: &EventContext,
    bucket_name: &str,
    new: NewVersion,
    conditions: &Conditions,
    event_name: &str,
) -> Result<(Bucket, ObjectVersion), Error> {
    let mut tx = state.catalog.begin().await?;
    let bucket = tx.bucket(bucket_name).await?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket))?;
    tx.lock_key(bucket.id, &new.key).await?;
    if !conditions.is_empty() {
        let current = tx.latest_version(bucket.id, &new.key).await?.filter(|v| !v.is_delete_marker);
        conditions.check_write(current.as_ref().map(|v| v.etag.as_str()))?;
    }
    let write = version_write(bucket.versioning);
    let (version, replaced) = tx.put_version(bucket.id, &new, &write).await?;
    Event::for_object(ctx, EventType::ObjectCreated, event_name, &bucket, &version).record(&mut tx).await?;
    tx.commit().await?;
    if replaced.is_some() {
        state.gc.poke();
    }
    Ok((bucket, version))
}

/// The bucket's lifecycle rules, for the headers that announce them; `None` when it has
/// none or they cannot be read (logged: the answer goes out without the header).
pub fn lifecycle_rules(bucket: &Bucket) -> Option<LifecycleConfiguration> {
    let stored = bucket.lifecycle.as_deref()?;
    LifecycleConfiguration::from_json(stored)
        .inspect_err(|e| tracing::warn!(bucket = %bucket.name, error = %e, "the stored lifecycle configuration is unreadable"))
        .ok()
}

/// Sets `x-amz-expiration` (when the object expires, and under which rule) for a
/// current object version under its bucket's lifecycle rules; nothing when no enabled
/// rule expires it, or for a noncurrent version or a delete marker.
pub fn set_expiration(resp: &mut Response<Body>, bucket: &Bucket, version: &ObjectVersion, day: std::time::Duration) {
    if !version.is_latest || version.is_delete_marker {
        return;
    }
    let Some(rules) = lifecycle_rules(bucket) else { return };
    let expiry = rules.expiry_of_current(&version.key, version.size.max(0) as u64, &version.tags, version.last_modified, day);
    if let Some(value) = expiry.and_then(|(at, rule)| expiration_header(at, rule)) {
        set_header(resp, "x-amz-expiration", &value);
    }
}

/// Writes an object's stored headers into a GET or HEAD response.
pub fn write_object_headers(resp: &mut Response<Body>, bucket: &Bucket, version: &ObjectVersion) {
    let meta = &version.metadata;
    set_header(resp, "etag", &version.etag);
    set_header(resp, "last-modified", &format_http_date(ms_to_datetime(version.last_modified)));
    set_header(resp, "content-type", meta.content_type_or_default());
    for (name, value) in [
        ("cache-control", &meta.cache_control),
        ("content-disposition", &meta.content_disposition),
        ("content-encoding", &meta.content_encoding),
        ("content-language", &meta.content_language),
        ("expires", &meta.expires),
    ] {
        if let Some(value) = value {
            set_header(resp, name, value);
        }
    }
    for (name, value) in &meta.user {
        if let Ok(header) = http::HeaderName::from_bytes(format!("x-amz-meta-{name}").as_bytes()) {
            if let Ok(value) = http::HeaderValue::from_str(value) {
                resp.headers_mut().insert(header, value);
            }
        }
    }
    if version.storage_class != "STANDARD" {
        set_header(resp, "x-amz-storage-class", &version.storage_class);
    }
    if let Some(v) = version.shown_version_id(bucket.versioning) {
        set_header(resp, "x-amz-version-id", v);
    }
    if let Some(parts) = version.parts_count {
        set_header(resp, "x-amz-mp-parts-count", &parts.to_string());
    }
    if !version.tags.is_empty() {
        set_header(resp, "x-amz-tagging-count", &version.tags.len().to_string());
    }
    set_header(resp, "accept-ranges", "bytes");
}

/// The parts that hold `len` bytes from `start` of an object, each with the range
/// `[from, to)` of its own bytes the read takes.
pub fn part_ranges(parts: &[Part], start: u64, len: u64) -> impl Iterator<Item = (&Part, u64, u64)> {
    let end = start + len;
    parts
        .iter()
        .scan(0u64, |offset, part| {
            let part_start = *offset;
            *offset += part.size as u64;
            Some((part, part_start, *offset))
        })
        .filter(move |(_, part_start, part_end)| *part_end > start && *part_start < end)
        .map(move |(part, part_start, part_end)| (part, start.max(part_start) - part_start, end.min(part_end) - part_start))
}

/// The pieces of `parts` covering `len` bytes from `start`.
pub fn read_segments(parts: &[Part], start: u64, len: u64) -> Vec<ReadSegment> {
    let mut out = Vec::new();
    for (part, from, to) in part_ranges(parts, start, len) {
        let size = part.size as u64;
        match (&part.blob_id, &part.data) {
            (Some(blob_id), _) => out.push(ReadSegment::Blob { blob_id: blob_id.clone(), blob_len: size, offset: from, len: to - from }),
            (None, Some(data)) => {
                out.push(ReadSegment::Inline { data: bytes::Bytes::copy_from_slice(data), md5_hex: part.etag.clone(), offset: from, len: to - from })
            }
            (None, None) => {}
        }
    }
    out
}
