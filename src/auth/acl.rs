//! Access control lists: who besides the owner may read or write a bucket or object.
//!
//! Stored as JSON beside the bucket or object. Canned ACLs (`x-amz-acl`), grant headers
//! and `AccessControlPolicy` documents (parsed in `s3api::acl`) become grants here. The
//! owner always has full control and is not listed in `grants`. No I/O: whether a
//! grantee id names a user is checked by the caller ([`Acl::user_ids`]).

use s3api::acl::{AclGrant, AclGrantee, AclGroup, AclHeaders, AclPermission};
use s3api::{S3Error, S3ErrorCode};
use serde::{Deserialize, Serialize};

/// The S3 group URIs.
pub use s3api::acl::{ALL_USERS_URI, AUTHENTICATED_USERS_URI};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Permission {
    Read,
    Write,
    ReadAcp,
    WriteAcp,
    FullControl,
}

impl From<AclPermission> for Permission {
    fn from(p: AclPermission) -> Self {
        match p {
            AclPermission::Read => Permission::Read,
            AclPermission::Write => Permission::Write,
            AclPermission::ReadAcp => Permission::ReadAcp,
            AclPermission::WriteAcp => Permission::WriteAcp,
            AclPermission::FullControl => Permission::FullControl,
        }
    }
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

/// Grants beyond the owner's full control, or, for an ACL set from an
/// `AccessControlPolicy` document, exactly the document's grants.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acl {
    #[serde(default)]
    pub grants: Vec<Grant>,
    /// The grants are the whole list, the owner's own included (a document was put):
    /// the owner's FULL_CONTROL is not implied, so a document with no grants reads back
    /// as an empty list, as S3 keeps it. The owner may still do anything.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub complete: bool,
}

pub use s3api::acl::CannedAcl;

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
            CannedAcl::BucketOwnerFullControl => bucket_owner.map(|o| grant(Grantee::User(o.to_owned()), Permission::FullControl)).into_iter().collect(),
        };
        Acl { grants, complete: false }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{\"grants\":[]}".to_owned())
    }

    /// Parses stored JSON; an unreadable ACL grants nothing beyond the owner.
    pub fn from_json(s: &str) -> Self {
        serde_json::from_str(s).unwrap_or_default()
    }

    /// The ACL that `x-amz-acl` or the `x-amz-grant-*` headers ask for.
    pub fn from_headers(headers: AclHeaders, owner: &str, bucket_owner: Option<&str>) -> Result<Acl, S3Error> {
        match headers {
            AclHeaders::Canned(canned) => Ok(Acl::canned(canned, bucket_owner)),
            AclHeaders::Grants(grants) => Acl::from_grants(&grants, owner),
        }
    }

    /// The ACL of explicit grants. Grants to `owner` are implied and dropped; e-mail
    /// grantees cannot be resolved (Depot accounts have no e-mail address), which S3
    /// answers with `UnresolvableGrantByEmailAddress`.
    pub fn from_grants(grants: &[AclGrant], owner: &str) -> Result<Acl, S3Error> {
        let others: Vec<AclGrant> = grants.iter().filter(|g| !matches!(&g.grantee, AclGrantee::Id(id) if id == owner)).cloned().collect();
        Ok(Acl { complete: false, ..Acl::from_document(&others)? })
    }

    /// The ACL of an `AccessControlPolicy` document: exactly its grants, the owner's
    /// included ([`Acl::complete`]).
    pub fn from_document(grants: &[AclGrant]) -> Result<Acl, S3Error> {
        let mut out: Vec<Grant> = Vec::with_capacity(grants.len());
        for g in grants {
            let grantee = match &g.grantee {
                AclGrantee::Id(id) => Grantee::User(id.clone()),
                AclGrantee::Group(AclGroup::AllUsers) => Grantee::AllUsers,
                AclGrantee::Group(AclGroup::AuthenticatedUsers) => Grantee::AuthenticatedUsers,
                AclGrantee::Email(_) => return Err(S3Error::new(S3ErrorCode::UnresolvableGrantByEmailAddress)),
            };
            let grant = Grant { grantee, permission: g.permission.into() };
            if !out.contains(&grant) {
                out.push(grant);
            }
        }
        Ok(Acl { grants: out, complete: true })
    }

    /// The user ids this ACL grants to, each once.
    pub fn user_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for g in &self.grants {
            if let Grantee::User(id) = &g.grantee {
                if !ids.contains(&id.as_str()) {
                    ids.push(id);
                }
            }
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_drop_the_owner_and_duplicates() {
        let g = |grantee, permission| AclGrant { grantee, permission };
        let acl = Acl::from_grants(
            &[
                g(AclGrantee::Id("owner".into()), AclPermission::Read),
                g(AclGrantee::Id("bob".into()), AclPermission::Read),
                g(AclGrantee::Id("bob".into()), AclPermission::Read),
                g(AclGrantee::Group(AclGroup::AllUsers), AclPermission::Read),
            ],
            "owner",
        )
        .unwrap();
        assert_eq!(acl.grants.len(), 2);
        assert_eq!(acl.user_ids(), vec!["bob"]);
        assert!(Acl::from_grants(&[g(AclGrantee::Email("a@b".into()), AclPermission::Read)], "o").is_err());
    }

    #[test]
    fn json_round_trip() {
        let acl = Acl::canned(CannedAcl::PublicReadWrite, None);
        assert_eq!(Acl::from_json(&acl.to_json()), acl);
        assert_eq!(Acl::from_json("garbage"), Acl::private());
    }
}
