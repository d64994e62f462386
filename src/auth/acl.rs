//! Access control lists: who besides the owner may read or write a bucket or object.
//!
//! Stored as JSON beside the bucket or object. Canned ACLs (`x-amz-acl`) expand to
//! grants here. The owner always has full control and is not listed in `grants`.

use serde::{Deserialize, Serialize};

/// The S3 group URIs.
pub const ALL_USERS_URI: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
pub const AUTHENTICATED_USERS_URI: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Permission {
    Read,
    Write,
    ReadAcp,
    WriteAcp,
    FullControl,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "READ",
            Permission::Write => "WRITE",
            Permission::ReadAcp => "READ_ACP",
            Permission::WriteAcp => "WRITE_ACP",
            Permission::FullControl => "FULL_CONTROL",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "READ" => Permission::Read,
            "WRITE" => Permission::Write,
            "READ_ACP" => Permission::ReadAcp,
            "WRITE_ACP" => Permission::WriteAcp,
            "FULL_CONTROL" => Permission::FullControl,
            _ => return None,
        })
    }

    /// Whether holding `self` grants `wanted`.
    pub fn covers(self, wanted: Permission) -> bool {
        self == Permission::FullControl || self == wanted
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Grantee {
    /// A user by id.
    User(String),
    AllUsers,
    AuthenticatedUsers,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub grantee: Grantee,
    pub permission: Permission,
}

/// Grants beyond the owner's full control.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acl {
    #[serde(default)]
    pub grants: Vec<Grant>,
}

/// The canned ACLs S3 defines for `x-amz-acl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CannedAcl {
    Private,
    PublicRead,
    PublicReadWrite,
    AuthenticatedRead,
    BucketOwnerRead,
    BucketOwnerFullControl,
}

impl CannedAcl {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "private" => CannedAcl::Private,
            "public-read" => CannedAcl::PublicRead,
            "public-read-write" => CannedAcl::PublicReadWrite,
            "authenticated-read" => CannedAcl::AuthenticatedRead,
            "bucket-owner-read" => CannedAcl::BucketOwnerRead,
            "bucket-owner-full-control" => CannedAcl::BucketOwnerFullControl,
            _ => return None,
        })
    }
}

impl Acl {
    pub fn private() -> Self {
        Acl::default()
    }

    /// The grants of a canned ACL. `bucket_owner` matters for the bucket-owner-* ACLs
    /// of objects.
    pub fn canned(canned: CannedAcl, bucket_owner: Option<&str>) -> Self {
        let grant = |grantee, permission| Grant { grantee, permission };
        let grants = match canned {
            CannedAcl::Private => vec![],
            CannedAcl::PublicRead => vec![grant(Grantee::AllUsers, Permission::Read)],
            CannedAcl::PublicReadWrite => vec![grant(Grantee::AllUsers, Permission::Read), grant(Grantee::AllUsers, Permission::Write)],
            CannedAcl::AuthenticatedRead => vec![grant(Grantee::AuthenticatedUsers, Permission::Read)],
            CannedAcl::BucketOwnerRead => bucket_owner.map(|o| grant(Grantee::User(o.to_owned()), Permission::Read)).into_iter().collect(),
            CannedAcl::BucketOwnerFullControl => {
                bucket_owner.map(|o| grant(Grantee::User(o.to_owned()), Permission::FullControl)).into_iter().collect()
            }
        };
        Acl { grants }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{\"grants\":[]}".to_owned())
    }

    /// Parses stored JSON; an unreadable ACL grants nothing beyond the owner.
    pub fn from_json(s: &str) -> Self {
        serde_json::from_str(s).unwrap_or_default()
    }
}
