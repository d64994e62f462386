//! Get, Put and DeleteObjectTagging, per version. A change writes `OBJECT_UPDATED` in
//! the same transaction; tags change in place (S3 does not make a new version for them).

use http::{Response, StatusCode};
use s3api::operation::ObjectAccess;
use s3api::tagging::{self, MAX_OBJECT_TAGS};
use s3api::xml::{self, request::TaggingRequest};
use s3api::{S3Error, S3ErrorCode};

use super::readable_version;
use crate::catalog::{Bucket, NULL_VERSION};
use crate::error::Error;
use crate::events::{Event, EventType};
use crate::http::response::{self, empty, set_header, Body};
use crate::http::{AppState, S3Request};

pub async fn get(state: &AppState, req: S3Request, bucket: Bucket, key: &str, version_id: Option<&str>) -> Result<Response<Body>, Error> {
    let version = readable_version(state, &req.caller, &bucket, key, version_id, ObjectAccess::Read, req.action).await?;
    let mut resp = response::xml(xml::response::tagging(&version.tags));
    if let Some(v) = version.shown_version_id(bucket.versioning) {
        set_header(&mut resp, "x-amz-version-id", v);
    }
    Ok(resp)
}

pub async fn put(state: &AppState, mut req: S3Request, bucket: Bucket, key: &str, version_id: Option<&str>) -> Result<Response<Body>, Error> {
    let bucket_name = bucket.name.as_str();
    readable_version(state, &req.caller, &bucket, key, version_id, ObjectAccess::Tag, req.action).await?;
    let body = req.body.read_to_end(xml::request::MAX_XML_BODY).await?;
    let tags = tagging::from_request(xml::request::parse::<TaggingRequest>(&body)?, MAX_OBJECT_TAGS)?;
    let shown = update(state, &req, bucket_name, key, version_id, tags, "ObjectTagging:Put").await?;
    let mut resp = empty(StatusCode::OK);
    if let Some(v) = shown {
        set_header(&mut resp, "x-amz-version-id", &v);
    }
    Ok(resp)
}

pub async fn delete(state: &AppState, req: S3Request, bucket: Bucket, key: &str, version_id: Option<&str>) -> Result<Response<Body>, Error> {
    let bucket_name = bucket.name.as_str();
    readable_version(state, &req.caller, &bucket, key, version_id, ObjectAccess::Tag, req.action).await?;
    let shown = update(state, &req, bucket_name, key, version_id, Vec::new(), "ObjectTagging:Delete").await?;
    let mut resp = empty(StatusCode::NO_CONTENT);
    if let Some(v) = shown {
        set_header(&mut resp, "x-amz-version-id", &v);
    }
    Ok(resp)
}

/// Replaces the tags of the version inside one transaction with its event. Returns the
/// version id to report.
async fn update(
    state: &AppState,
    req: &S3Request,
    bucket_name: &str,
    key: &str,
    version_id: Option<&str>,
    tags: Vec<(String, String)>,
    event_name: &str,
) -> Result<Option<String>, Error> {
    let ctx = req.event_context(state);
    let mut tx = state.catalog.begin().await?;
    let bucket = tx.bucket(bucket_name).await?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket))?;
    tx.lock_key(bucket.id, key).await?;
    let found = match version_id {
        Some(v) => tx.version(bucket.id, key, v).await?,
        None => tx.latest_version(bucket.id, key).await?,
    };
    let mut version = match found {
        Some(v) if !v.is_delete_marker => v,
        Some(v) => {
            return Err(S3Error::new(S3ErrorCode::MethodNotAllowed)
                .header("x-amz-delete-marker", "true")
                .header("x-amz-version-id", v.shown_version_id(bucket.versioning).unwrap_or(NULL_VERSION).to_owned())
                .into())
        }
        None if version_id.is_some() => return Err(S3Error::new(S3ErrorCode::NoSuchVersion).extra("Key", key).into()),
        None => return Err(S3Error::new(S3ErrorCode::NoSuchKey).extra("Key", key).into()),
    };
    tx.set_object_tags(version.id, &tags).await?;
    version.tags = tags;
    Event::for_object(&ctx, EventType::ObjectUpdated, event_name, &bucket, &version).record(&mut tx).await?;
    tx.commit().await?;
    Ok(version.shown_version_id(bucket.versioning).map(str::to_owned))
}
