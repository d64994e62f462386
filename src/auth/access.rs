//! Authorization in the S3 pipeline: the bucket-level part of an operation's
//! [`Access`], checked after authentication and before any handler runs.
//!
//! [`authorize`] finds the bucket an operation addresses and checks the caller's
//! bucket-level permission on it; handlers receive that bucket and never look it up or
//! check it themselves. Object-level permissions need the object's version and are
//! checked where it is found (`object::readable_version`), with [`object_action`].
//! The rules themselves are the pure [`policy`](super::policy).

use s3api::operation::{Access, BucketAccess, ObjectAccess};
use s3api::{Operation, S3Error, S3ErrorCode};

use super::acl::Acl;
use super::policy::{self, Action, Resource};
use super::Principal;
use crate::catalog::{Bucket, Catalog};
use crate::error::Error;

/// Checks what `op` needs of `principal` at bucket level. Returns the bucket the
/// operation addresses when its access names one (it exists, and the caller may act on
/// it), `None` for operations on no bucket.
pub async fn authorize(catalog: &Catalog, principal: &Principal, op: &Operation) -> Result<Option<Bucket>, Error> {
    let access = op.access();
    match access {
        Access::None => return Ok(None),
        Access::Signed if matches!(principal, Principal::Anonymous) => return Err(S3ErrorCode::AccessDenied.into()),
        Access::Signed => return Ok(None),
        Access::Bucket(_) | Access::Object(_) => {}
    }
    let Some(name) = op.bucket() else {
        // The table gives every bucket-level access to operations that name a bucket.
        return Err(S3Error::with_message(S3ErrorCode::InternalError, format!("{} names no bucket", op.name())).into());
    };
    let bucket = catalog.bucket(name).await?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket).resource(format!("/{name}")).extra("BucketName", name))?;
    if let Access::Bucket(wanted) = access {
        let acl = Acl::from_json(&bucket.acl);
        if !policy::allowed(principal, bucket_action(wanted), Resource { bucket_owner: &bucket.owner_id, bucket_acl: &acl, object: None }) {
            return Err(S3Error::new(S3ErrorCode::AccessDenied).resource(format!("/{name}")).into());
        }
    }
    Ok(Some(bucket))
}

/// The policy action of a bucket-level access.
pub fn bucket_action(access: BucketAccess) -> Action {
    match access {
        BucketAccess::Read => Action::ListBucket,
        BucketAccess::Write => Action::WriteObjects,
        BucketAccess::AclRead => Action::ReadBucketAcl,
        BucketAccess::AclWrite => Action::WriteBucketAcl,
        BucketAccess::Owner => Action::ManageBucket,
    }
}

/// The policy action of an object-level access.
pub fn object_action(access: ObjectAccess) -> Action {
    match access {
        ObjectAccess::Read => Action::ReadObject,
        ObjectAccess::AclRead => Action::ReadObjectAcl,
        ObjectAccess::AclWrite => Action::WriteObjectAcl,
        ObjectAccess::Tag => Action::TagObject,
    }
}
