//! Object Ownership of a bucket: the `x-amz-object-ownership` header of CreateBucket and
//! the `OwnershipControls` document of Put/GetBucketOwnershipControls.
//!
//! Owns the three settings' names and their wire forms. It must not apply them: whether an
//! ACL is refused under `BucketOwnerEnforced` (`AccessControlListNotSupported`,
//! `InvalidBucketAclWithObjectOwnership`) and who owns a new object are the server's rules.

use serde::Deserialize;

use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::xml::request::parse;
use crate::xml::XmlWriter;

/// Who owns the objects written to a bucket, and whether ACLs apply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ObjectOwnership {
    /// ACLs are disabled; the bucket owner owns every object. S3's default for new buckets.
    #[default]
    BucketOwnerEnforced,
    /// The bucket owner owns objects written with `bucket-owner-full-control`.
    BucketOwnerPreferred,
    /// The writer owns the object; ACLs apply.
    ObjectWriter,
}

/// `<OwnershipControls>` as sent.
#[derive(Debug, Deserialize)]
struct OwnershipControlsXml {
    #[serde(rename = "Rule", default)]
    rules: Vec<OwnershipRuleXml>,
}

#[derive(Debug, Deserialize)]
struct OwnershipRuleXml {
    #[serde(rename = "ObjectOwnership", default)]
    object_ownership: Option<String>,
}

impl ObjectOwnership {
    /// The name as S3 writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectOwnership::BucketOwnerEnforced => "BucketOwnerEnforced",
            ObjectOwnership::BucketOwnerPreferred => "BucketOwnerPreferred",
            ObjectOwnership::ObjectWriter => "ObjectWriter",
        }
    }

    fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "BucketOwnerEnforced" => ObjectOwnership::BucketOwnerEnforced,
            "BucketOwnerPreferred" => ObjectOwnership::BucketOwnerPreferred,
            "ObjectWriter" => ObjectOwnership::ObjectWriter,
            _ => return None,
        })
    }

    /// The `x-amz-object-ownership` header of CreateBucket, names matched exactly. Another
    /// value is 400 `InvalidArgument` "Invalid x-amz-object-ownership header: X" with an
    /// `ArgumentName` element, as S3 answers.
    pub fn parse(s: &str) -> S3Result<Self> {
        Self::from_name(s).ok_or_else(|| {
            S3Error::with_message(S3ErrorCode::InvalidArgument, format!("Invalid x-amz-object-ownership header: {s}"))
                .extra("ArgumentName", "x-amz-object-ownership")
        })
    }

    /// Parses a PutBucketOwnershipControls body:
    /// `<OwnershipControls><Rule><ObjectOwnership>X</ObjectOwnership></Rule></OwnershipControls>`.
    /// Anything but exactly one rule naming a known setting is `MalformedXML`.
    pub fn from_xml(body: &[u8]) -> S3Result<Self> {
        let doc: OwnershipControlsXml = parse(body)?;
        match doc.rules.as_slice() {
            [rule] => rule.object_ownership.as_deref().and_then(Self::from_name).ok_or_else(|| S3Error::new(S3ErrorCode::MalformedXML)),
            _ => Err(S3Error::new(S3ErrorCode::MalformedXML)),
        }
    }

    /// The GetBucketOwnershipControls document.
    pub fn to_xml(self) -> String {
        let mut w = XmlWriter::new();
        w.open_root("OwnershipControls");
        w.open("Rule");
        w.elem("ObjectOwnership", self.as_str());
        w.close("Rule");
        w.close("OwnershipControls");
        w.finish()
    }

    /// Whether ACLs apply under this setting (all but `BucketOwnerEnforced`).
    pub fn acls_enabled(self) -> bool {
        self != ObjectOwnership::BucketOwnerEnforced
    }
}
