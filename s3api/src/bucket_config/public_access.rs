//! The public access block of a bucket (Put/Get/DeletePublicAccessBlock) and which ACLs
//! count as public under it.
//!
//! Owns the `PublicAccessBlockConfiguration` document, its stored JSON form, and the rule
//! S3 applies to ACLs: an ACL is public when it grants anything to the AllUsers or
//! AuthenticatedUsers group. It must not decide what to refuse: the server combines the
//! block with the request (BlockPublicAcls refuses a public ACL, IgnorePublicAcls skips
//! public grants, and so on), and whether a bucket policy is public is the policy
//! module's question.

use serde::{Deserialize, Serialize};

use crate::acl::{AclGrant, AclGrantee, AclHeaders, CannedAcl};
use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::xml::request::parse;
use crate::xml::XmlWriter;

/// The four settings of a public access block; an absent one is `false`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

/// `<PublicAccessBlockConfiguration>` as sent.
#[derive(Debug, Deserialize)]
struct PublicAccessBlockXml {
    #[serde(rename = "BlockPublicAcls", default)]
    block_public_acls: Option<bool>,
    #[serde(rename = "IgnorePublicAcls", default)]
    ignore_public_acls: Option<bool>,
    #[serde(rename = "BlockPublicPolicy", default)]
    block_public_policy: Option<bool>,
    #[serde(rename = "RestrictPublicBuckets", default)]
    restrict_public_buckets: Option<bool>,
}

impl PublicAccessBlock {
    /// Parses a PutPublicAccessBlock body: any of the four booleans, an absent one `false`.
    /// XML that does not parse, or a value that is not a boolean, is `MalformedXML`; a
    /// document with none of the four is `InvalidRequest` "Must specify at least one
    /// configuration.", as S3 answers an empty configuration.
    pub fn from_xml(body: &[u8]) -> S3Result<Self> {
        let doc: PublicAccessBlockXml = parse(body)?;
        let fields = [doc.block_public_acls, doc.ignore_public_acls, doc.block_public_policy, doc.restrict_public_buckets];
        if fields.iter().all(Option::is_none) {
            return Err(S3Error::with_message(S3ErrorCode::InvalidRequest, "Must specify at least one configuration."));
        }
        Ok(PublicAccessBlock {
            block_public_acls: doc.block_public_acls.unwrap_or(false),
            ignore_public_acls: doc.ignore_public_acls.unwrap_or(false),
            block_public_policy: doc.block_public_policy.unwrap_or(false),
            restrict_public_buckets: doc.restrict_public_buckets.unwrap_or(false),
        })
    }

    /// The GetPublicAccessBlock document, all four settings written in S3's order.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open_root("PublicAccessBlockConfiguration");
        w.bool_elem("BlockPublicAcls", self.block_public_acls);
        w.bool_elem("IgnorePublicAcls", self.ignore_public_acls);
        w.bool_elem("BlockPublicPolicy", self.block_public_policy);
        w.bool_elem("RestrictPublicBuckets", self.restrict_public_buckets);
        w.close("PublicAccessBlockConfiguration");
        w.finish()
    }

    /// The stored form.
    pub fn to_json(&self) -> String {
        super::to_stored_json(self)
    }

    /// Reads the stored form back; text that does not parse is `InternalError`.
    pub fn from_json(s: &str) -> S3Result<Self> {
        super::from_stored_json(s)
    }
}

/// Whether a canned ACL (`x-amz-acl`) is public: `public-read`, `public-read-write` and
/// `authenticated-read` grant to AllUsers or AuthenticatedUsers. `private`,
/// `bucket-owner-read`, `bucket-owner-full-control`, `aws-exec-read` and
/// `log-delivery-write` grant only to the owners, EC2 or the LogDelivery group, which S3
/// does not count as public; so is any unknown name (the ACL parser refuses those).
pub fn canned_acl_is_public(acl: &str) -> bool {
    matches!(acl.trim(), "public-read" | "public-read-write" | "authenticated-read")
}

/// Whether explicit grants (`x-amz-grant-*` headers or an `AccessControlPolicy` body) are
/// public: any grant, of any permission, to the AllUsers or AuthenticatedUsers group.
pub fn grants_are_public(grants: &[AclGrant]) -> bool {
    grants.iter().any(|g| matches!(g.grantee, AclGrantee::Group(_)))
}

/// Whether a request's ACL headers ask for a public ACL.
pub fn acl_headers_are_public(headers: &AclHeaders) -> bool {
    match headers {
        AclHeaders::Canned(canned) => matches!(canned, CannedAcl::PublicRead | CannedAcl::PublicReadWrite | CannedAcl::AuthenticatedRead),
        AclHeaders::Grants(grants) => grants_are_public(grants),
    }
}
