//! Object ACLs: GetObjectAcl and PutObjectAcl (with `?versionId`), and what bucket and
//! object ACL handling share — the ACL a request asks for (canned header, grant headers
//! or `AccessControlPolicy` document, grantee ids checked against the users) and the
//! policy document GetAcl answers with (the owner's FULL_CONTROL first, as S3 lists it).
//!
//! Parsing is `s3api::acl`; what a grant allows is `auth::policy`. A change writes its
//! `OBJECT_UPDATED` event (`ObjectAcl:Put`) in the same transaction.

use http::{HeaderMap, Response, StatusCode};
use s3api::xml::response::{self as xml_response, Grantee as XmlGrantee};
use s3api::{S3Error, S3ErrorCode};

use super::{acl_from_headers, readable_version};
use crate::auth::acl::{Acl, Grantee, Permission, ALL_USERS_URI, AUTHENTICATED_USERS_URI};
use crate::auth::policy::Action;
use crate::bucket::owner_of;
use crate::catalog::ObjectVersion;
use crate::error::Error;
use crate::events::{Event, EventType};
use crate::server::response::{self, empty, set_header, Body};
use crate::server::{s3::S3Request, AppState};

/// The ACL a write's headers ask for (`x-amz-acl` or `x-amz-grant-*`), its grantee ids
/// checked. `None` when the request names none.
pub async fn requested_acl(state: &AppState, headers: &HeaderMap, bucket_owner: Option<&str>) -> Result<Option<Acl>, Error> {
    let acl = acl_from_headers(headers, bucket_owner)?;
    if let Some(acl) = &acl {
        check_grantees(state, acl).await?;
    }
    Ok(acl)
}

/// The ACL a Put{Bucket,Object}Acl request sets: from its headers or from its
/// `AccessControlPolicy` body (one of the two), grants to `owner` dropped, grantee ids
/// checked.
pub async fn acl_from_request(state: &AppState, headers: &HeaderMap, body: &[u8], owner: &str, bucket_owner: Option<&str>) -> Result<Acl, Error> {
    let from_headers = s3api::acl::from_headers(headers)?;
    let acl = match (from_headers, body.iter().all(u8::is_ascii_whitespace)) {
        (Some(_), false) => {
            return Err(S3Error::with_message(
                S3ErrorCode::UnexpectedContent,
                "This request does not support content with ACL headers; send either the headers or an AccessControlPolicy document",
            )
            .into())
        }
        (Some(h), true) => Acl::from_headers(h, owner, bucket_owner)?,
        (None, false) => Acl::from_grants(&s3api::acl::from_xml(body)?.grants, owner)?,
        (None, true) => {
            return Err(S3Error::with_message(
                S3ErrorCode::MissingSecurityHeader,
                "Your request was missing a required header: x-amz-acl, an x-amz-grant-* header, or an AccessControlPolicy body",
            )
            .into())
        }
    };
    check_grantees(state, &acl).await?;
    Ok(acl)
}

/// `InvalidArgument` for a grant to a user id that does not exist.
async fn check_grantees(state: &AppState, acl: &Acl) -> Result<(), Error> {
    for id in acl.user_ids() {
        if state.catalog.user_by_id(id).await?.is_none() {
            return Err(S3Error::with_message(S3ErrorCode::InvalidArgument, "Invalid id")
                .extra("ArgumentName", "CanonicalUser/ID")
                .extra("ArgumentValue", id)
                .into());
        }
    }
    Ok(())
}

/// The `AccessControlPolicy` document of a resource owned by `owner_id`: the owner's
/// FULL_CONTROL grant first, then the ACL's grants.
pub async fn policy_document(state: &AppState, owner_id: &str, acl: &Acl) -> Result<String, Error> {
    let owner = owner_of(state, owner_id).await?;
    let mut grants = vec![(XmlGrantee::User(owner.clone()), Permission::FullControl.as_str().to_owned())];
    for grant in &acl.grants {
        let grantee = match &grant.grantee {
            Grantee::User(id) => XmlGrantee::User(owner_of(state, id).await?),
            Grantee::AllUsers => XmlGrantee::Group(ALL_USERS_URI.to_owned()),
            Grantee::AuthenticatedUsers => XmlGrantee::Group(AUTHENTICATED_USERS_URI.to_owned()),
        };
        grants.push((grantee, grant.permission.as_str().to_owned()));
    }
    Ok(xml_response::access_control_policy(&owner, &grants))
}

pub async fn get_object_acl(state: &AppState, req: S3Request, bucket_name: &str, key: &str, version_id: Option<&str>) -> Result<Response<Body>, Error> {
    let bucket = state.catalog.bucket(bucket_name).await?.ok_or_else(|| no_such_bucket(bucket_name))?;
    let version = readable_version(state, &req.principal, &bucket, key, version_id, Action::ReadObjectAcl).await?;
    let acl = version.acl.as_deref().map(Acl::from_json).unwrap_or_default();
    let mut resp = response::xml(policy_document(state, &version.owner_id, &acl).await?);
    if let Some(v) = version.shown_version_id(bucket.versioning) {
        set_header(&mut resp, "x-amz-version-id", v);
    }
    Ok(resp)
}

pub async fn put_object_acl(state: &AppState, mut req: S3Request, bucket_name: &str, key: &str, version_id: Option<&str>) -> Result<Response<Body>, Error> {
    let bucket = state.catalog.bucket(bucket_name).await?.ok_or_else(|| no_such_bucket(bucket_name))?;
    let version = readable_version(state, &req.principal, &bucket, key, version_id, Action::WriteObjectAcl).await?;
    let body = req.body.read_to_end(s3api::xml::request::MAX_XML_BODY).await?;
    let acl = acl_from_request(state, req.headers(), &body, &version.owner_id, Some(&bucket.owner_id)).await?.to_json();
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
