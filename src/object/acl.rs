//! Object ACLs: GetObjectAcl and PutObjectAcl (with `?versionId`). What bucket and object
//! ACL handling share is `http::acl`; parsing is `s3api::acl`; what a grant allows is
//! `auth::access`. A change writes its
//! `OBJECT_UPDATED` event (`ObjectAcl:Put`) in the same transaction.

use http::{Response, StatusCode};
use s3api::operation::ObjectAccess;
use s3api::{S3Error, S3ErrorCode};

use super::readable_version;
use crate::auth::acl::Acl;
use crate::catalog::{Bucket, ObjectVersion};
use crate::error::Error;
use crate::events::{Event, EventType};
use crate::http::acl::{acl_from_request, policy_document};
use crate::http::response::{self, empty, set_header, Body};
use crate::http::{AppState, S3Request};

pub async fn get_object_acl(state: &AppState, req: S3Request, bucket: Bucket, key: &str, version_id: Option<&str>) -> Result<Response<Body>, Error> {
    let version = readable_version(state, &req.caller, &bucket, key, version_id, ObjectAccess::AclRead, req.action).await?;
    let acl = version.acl.as_deref().map(Acl::from_json).unwrap_or_default();
    let mut resp = response::xml(policy_document(state, super::effective_owner(&bucket, &version), &acl).await?);
    if let Some(v) = version.shown_version_id(bucket.versioning) {
        set_header(&mut resp, "x-amz-version-id", v);
    }
    Ok(resp)
}

pub async fn put_object_acl(state: &AppState, mut req: S3Request, bucket: Bucket, key: &str, version_id: Option<&str>) -> Result<Response<Body>, Error> {
    let bucket_name = bucket.name.as_str();
    let version = readable_version(state, &req.caller, &bucket, key, version_id, ObjectAccess::AclWrite, req.action).await?;
    let body = req.body.read_to_end(s3api::xml::request::MAX_XML_BODY).await?;
    let acl = acl_from_request(state, req.headers(), &body, &bucket, super::effective_owner(&bucket, &version), true).await?.to_json();
    let ctx = req.event_context(state);

    let mut tx = state.catalog.begin().await?;
    tx.lock_key(bucket.id, key).await?;
    let bucket_now = tx.bucket(bucket_name).await?.filter(|b| b.id == bucket.id).ok_or_else(|| no_such_bucket(bucket_name))?;
    let current = tx
        .version(bucket.id, key, &version.version_id)
        .await?
        .filter(|v| v.id == version.id)
        .ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchKey).resource(format!("/{bucket_name}/{key}")).extra("Key", key))?;
    tx.set_object_acl(current.id, &acl).await?;
    let updated = ObjectVersion { acl: Some(acl), ..current };
    Event::for_object(&ctx, EventType::ObjectUpdated, "ObjectAcl:Put", &bucket_now, &updated).record(&mut tx).await?;
    tx.commit().await?;

    let mut resp = empty(StatusCode::OK);
    if let Some(v) = updated.shown_version_id(bucket_now.versioning) {
        set_header(&mut resp, "x-amz-version-id", v);
    }
    Ok(resp)
}

fn no_such_bucket(name: &str) -> S3Error {
    S3Error::new(S3ErrorCode::NoSuchBucket).resource(format!("/{name}")).extra("BucketName", name)
}
