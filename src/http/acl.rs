//! ACLs as requests carry them and responses show them, shared by bucket and object
//! handlers: the ACL a request asks for (canned header, grant headers or
//! `AccessControlPolicy` document, grantee ids checked against the users), the policy
//! document GetAcl answers with (the owner's FULL_CONTROL first, as S3 lists it), and
//! the `Owner` element of a user id.
//!
//! Parsing the wire forms is `s3api::acl`; what a grant allows is `auth::acl_rules`.

use http::HeaderMap;
use s3api::xml::response::{self as xml_response, Grantee as XmlGrantee};
use s3api::xml::Owner;
use s3api::{S3Error, S3ErrorCode};

use s3api::bucket_config::ObjectOwnership;

use super::AppState;
use crate::auth::access;
use crate::auth::acl::{Acl, Grantee, Permission, ALL_USERS_URI, AUTHENTICATED_USERS_URI};
use crate::catalog::Bucket;
use crate::error::Error;

/// The ACL a write asks for with `x-amz-acl` or the `x-amz-grant-*` headers. `None`
/// when the request names none. Grantee ids are not checked here: writes use
/// [`requested_acl`], which does.
pub fn acl_from_headers(headers: &HeaderMap, bucket_owner: Option<&str>) -> Result<Option<Acl>, Error> {
    match s3api::acl::from_headers(headers)? {
        None => Ok(None),
        Some(requested) => Ok(Some(Acl::from_headers(requested, "", bucket_owner)?)),
    }
}

/// The ACL a write's headers ask for (`x-amz-acl` or `x-amz-grant-*`), its grantee ids
/// checked. `None` when the request names none. For a write into `bucket` (an object),
/// the bucket's settings must allow the ACL ([`check_bucket_allows`]).
pub async fn requested_acl(state: &AppState, headers: &HeaderMap, bucket: Option<&Bucket>) -> Result<Option<Acl>, Error> {
    let acl = acl_from_headers(headers, bucket.map(|b| b.owner_id.as_str()))?;
    if let Some(acl) = &acl {
        if let Some(bucket) = bucket {
            check_bucket_allows(bucket, acl, bucket.owner_id.as_str())?;
        }
        check_grantees(state, acl).await?;
    }
    Ok(acl)
}

/// Refuses an ACL the bucket's settings forbid: under `BucketOwnerEnforced` any grant
/// to someone other than `owner` (the resource's owner) is `400
/// AccessControlListNotSupported`, as AWS answers; under `BlockPublicAcls` a grant to
/// everyone or to every authenticated user is `403 AccessDenied`.
pub fn check_bucket_allows(bucket: &Bucket, acl: &Acl, owner: &str) -> Result<(), Error> {
    if access::object_ownership(bucket) == Some(ObjectOwnership::BucketOwnerEnforced) && acl.grants.iter().any(|g| g.grantee != Grantee::User(owner.to_owned()))
    {
        return Err(S3Error::new(S3ErrorCode::AccessControlListNotSupported).into());
    }
    if access::public_access_block(bucket).block_public_acls && acl.grants.iter().any(|g| matches!(g.grantee, Grantee::AllUsers | Grantee::AuthenticatedUsers))
    {
        return Err(S3Error::new(S3ErrorCode::AccessDenied).into());
    }
    Ok(())
}

/// The ACL a Put{Bucket,Object}Acl request sets on a resource of `bucket` owned by
/// `owner` (`object` is true for an object's ACL): from its headers or from its
/// `AccessControlPolicy` body (one of the two), grants to `owner` dropped, grantee ids
/// checked, allowed by the bucket's settings.
pub async fn acl_from_request(state: &AppState, headers: &HeaderMap, body: &[u8], bucket: &Bucket, owner: &str, object: bool) -> Result<Acl, Error> {
    let bucket_owner = object.then_some(bucket.owner_id.as_str());
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
        (None, false) => Acl::from_document(&s3api::acl::from_xml(body)?.grants)?,
        (None, true) => {
            return Err(S3Error::with_message(
                S3ErrorCode::MissingSecurityHeader,
                "Your request was missing a required header: x-amz-acl, an x-amz-grant-* header, or an AccessControlPolicy body",
            )
            .into())
        }
    };
    check_bucket_allows(bucket, &acl, owner)?;
    check_grantees(state, &acl).await?;
    Ok(acl)
}

/// `InvalidArgument` for a grant to a user id that does not exist.
pub async fn check_grantees(state: &AppState, acl: &Acl) -> Result<(), Error> {
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
/// FULL_CONTROL grant first, then the ACL's grants; or exactly the grants of an ACL that
/// was put as a whole document.
pub async fn policy_document(state: &AppState, owner_id: &str, acl: &Acl) -> Result<String, Error> {
    let owner = owner_of(state, owner_id).await?;
    let mut grants = Vec::with_capacity(acl.grants.len() + 1);
    if !acl.complete {
        grants.push((XmlGrantee::User(owner.clone()), Permission::FullControl.as_str().to_owned()));
    }
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

/// The `Owner` element for a user id.
pub async fn owner_of(state: &AppState, user_id: &str) -> Result<Owner, Error> {
    let display_name = state.catalog.user_by_id(user_id).await?.map(|u| u.username).unwrap_or_else(|| user_id.to_owned());
    Ok(Owner { id: user_id.to_owned(), display_name })
}
