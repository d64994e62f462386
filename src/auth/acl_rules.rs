//! The ACL rules: whether ownership and ACL grants let a principal perform an action, a
//! pure function of principal, action and resource. Bucket policies are evaluated before
//! these, in [`access`](super::access).
//!
//! The rules: root may do anything; a bucket's owner may do anything to the bucket and
//! to every object in it; an object's owner may do anything to the object; anyone else
//! needs a grant in the bucket's ACL (listing, writing objects) or the object's ACL
//! (reading it). Anonymous principals match only `AllUsers` grants. Nothing here does
//! I/O.

use super::acl::{Acl, Grantee, Permission};
use super::Principal;

/// What a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// List objects, versions, uploads; HeadBucket.
    ListBucket,
    /// Create, overwrite or delete objects; multipart uploads.
    WriteObjects,
    ReadBucketAcl,
    WriteBucketAcl,
    /// Bucket settings only its owner may change or read: versioning, tagging, deletion.
    ManageBucket,
    ReadObject,
    ReadObjectAcl,
    WriteObjectAcl,
    /// Object tagging.
    TagObject,
}

/// The owner and ACL of the bucket a request addresses, and of the object, if any.
#[derive(Debug, Clone, Copy)]
pub struct Resource<'a> {
    pub bucket_owner: &'a str,
    pub bucket_acl: &'a Acl,
    pub object: Option<(&'a str, &'a Acl)>,
}

/// Whether `principal` may perform `action` on `resource`.
pub fn allowed(principal: &Principal, action: Action, resource: Resource<'_>) -> bool {
    if principal.is_root() || principal.user_id() == Some(resource.bucket_owner) {
        return true;
    }
    let object_owner = resource.object.map(|(owner, _)| owner);
    if object_owner.is_some() && principal.user_id() == object_owner {
        return action != Action::ManageBucket;
    }
    let granted = |acl: &Acl, wanted: Permission| {
        acl.grants.iter().any(|g| {
            g.permission.covers(wanted)
                && match &g.grantee {
                    Grantee::AllUsers => true,
                    Grantee::AuthenticatedUsers => principal.user_id().is_some(),
                    Grantee::User(id) => principal.user_id() == Some(id.as_str()),
                }
        })
    };
    let object_acl = resource.object.map(|(_, acl)| acl);
    match action {
        Action::ListBucket => granted(resource.bucket_acl, Permission::Read),
        Action::WriteObjects => granted(resource.bucket_acl, Permission::Write),
        Action::ReadBucketAcl => granted(resource.bucket_acl, Permission::ReadAcp),
        Action::WriteBucketAcl => granted(resource.bucket_acl, Permission::WriteAcp),
        Action::ManageBucket => false,
        Action::ReadObject => object_acl.is_some_and(|acl| granted(acl, Permission::Read)),
        Action::ReadObjectAcl => object_acl.is_some_and(|acl| granted(acl, Permission::ReadAcp)),
        Action::WriteObjectAcl => object_acl.is_some_and(|acl| granted(acl, Permission::WriteAcp)),
        Action::TagObject => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::acl::CannedAcl;
    use crate::auth::UserPrincipal;

    fn user(id: &str) -> Principal {
        Principal::User(UserPrincipal { user_id: id.into(), username: id.into(), is_root: false, access_key_id: "AK".into() })
    }

    #[test]
    fn owner_and_root_may_do_anything() {
        let acl = Acl::private();
        let r = Resource { bucket_owner: "alice", bucket_acl: &acl, object: None };
        assert!(allowed(&user("alice"), Action::ManageBucket, r));
        let root = Principal::User(UserPrincipal { user_id: "r".into(), username: "root".into(), is_root: true, access_key_id: "AK".into() });
        assert!(allowed(&root, Action::WriteObjects, r));
        assert!(!allowed(&user("bob"), Action::ListBucket, r));
        assert!(!allowed(&Principal::Anonymous, Action::ListBucket, r));
    }

    #[test]
    fn public_read_opens_reads_only() {
        let bucket_acl = Acl::canned(CannedAcl::PublicRead, None);
        let object_acl = Acl::canned(CannedAcl::PublicRead, None);
        let r = Resource { bucket_owner: "alice", bucket_acl: &bucket_acl, object: Some(("alice", &object_acl)) };
        assert!(allowed(&Principal::Anonymous, Action::ListBucket, r));
        assert!(allowed(&Principal::Anonymous, Action::ReadObject, r));
        assert!(!allowed(&Principal::Anonymous, Action::WriteObjects, r));
        assert!(!allowed(&user("bob"), Action::WriteObjectAcl, r));
    }

    #[test]
    fn authenticated_read_excludes_anonymous() {
        let acl = Acl::canned(CannedAcl::AuthenticatedRead, None);
        let r = Resource { bucket_owner: "alice", bucket_acl: &acl, object: Some(("alice", &acl)) };
        assert!(allowed(&user("bob"), Action::ReadObject, r));
        assert!(!allowed(&Principal::Anonymous, Action::ReadObject, r));
    }
}
