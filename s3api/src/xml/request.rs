//! Request bodies S3 sends as XML, parsed into plain structs.
//!
//! Bodies are capped by the caller; here a DTD is refused outright (no entity tricks)
//! and anything that does not fit the schema is `MalformedXML`.

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::{S3Error, S3ErrorCode, S3Result};

/// The largest XML request body Depot reads (a 1000-key DeleteObjects with long keys
/// fits; S3's own limit for most configuration bodies is far lower).
pub const MAX_XML_BODY: usize = 2 * 1024 * 1024;

/// Parses an XML request body into `T`.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> S3Result<T> {
    parse_as(body, S3ErrorCode::MalformedXML)
}

/// Like [`parse`], with the error code a malformed body gets (e.g. `MalformedACLError`).
pub fn parse_as<T: DeserializeOwned>(body: &[u8], malformed: S3ErrorCode) -> S3Result<T> {
    if body.len() > MAX_XML_BODY {
        return Err(S3Error::new(S3ErrorCode::MaxMessageLengthExceeded));
    }
    let text = std::str::from_utf8(body).map_err(|_| S3Error::new(malformed))?;
    if text.contains("<!DOCTYPE") || text.contains("<!ENTITY") {
        return Err(S3Error::with_message(malformed, "XML document type declarations are not allowed"));
    }
    if text.trim().is_empty() {
        return Err(S3Error::new(malformed));
    }
    quick_xml::de::from_str(text).map_err(|e| S3Error::with_message(malformed, format!("{}: {e}", malformed.default_message())))
}

/// `<CreateBucketConfiguration>`.
#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
pub struct CreateBucketConfiguration {
    #[serde(rename = "LocationConstraint", default)]
    pub location_constraint: Option<String>,
}

/// `<Delete>` of DeleteObjects.
#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct DeleteRequest {
    #[serde(rename = "Quiet", default)]
    pub quiet: bool,
    #[serde(rename = "Object", default)]
    pub objects: Vec<DeleteRequestObject>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct DeleteRequestObject {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "VersionId", default)]
    pub version_id: Option<String>,
}

/// `<CompleteMultipartUpload>`.
#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct CompleteMultipartUploadRequest {
    #[serde(rename = "Part", default)]
    pub parts: Vec<CompletedPart>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct CompletedPart {
    #[serde(rename = "PartNumber")]
    pub part_number: u32,
    #[serde(rename = "ETag")]
    pub etag: String,
    #[serde(rename = "ChecksumCRC32", default)]
    pub checksum_crc32: Option<String>,
    #[serde(rename = "ChecksumCRC32C", default)]
    pub checksum_crc32c: Option<String>,
    #[serde(rename = "ChecksumCRC64NVME", default)]
    pub checksum_crc64nvme: Option<String>,
    #[serde(rename = "ChecksumSHA1", default)]
    pub checksum_sha1: Option<String>,
    #[serde(rename = "ChecksumSHA256", default)]
    pub checksum_sha256: Option<String>,
}

/// `<Tagging>` of Put{Object,Bucket}Tagging.
#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct TaggingRequest {
    #[serde(rename = "TagSet")]
    pub tag_set: TagSet,
}

#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
pub struct TagSet {
    #[serde(rename = "Tag", default)]
    pub tags: Vec<TagEntry>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct TagEntry {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value", default)]
    pub value: String,
}

/// `<VersioningConfiguration>`.
#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct VersioningConfiguration {
    #[serde(rename = "Status", default)]
    pub status: Option<String>,
    #[serde(rename = "MfaDelete", default)]
    pub mfa_delete: Option<String>,
}

/// `<AccessControlPolicy>` of Put{Bucket,Object}Acl.
#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct AccessControlPolicyRequest {
    #[serde(rename = "Owner", default)]
    pub owner: Option<OwnerEntry>,
    #[serde(rename = "AccessControlList", default)]
    pub access_control_list: AccessControlListEntry,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct OwnerEntry {
    #[serde(rename = "ID", default)]
    pub id: Option<String>,
    #[serde(rename = "DisplayName", default)]
    pub display_name: Option<String>,
}

#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
pub struct AccessControlListEntry {
    #[serde(rename = "Grant", default)]
    pub grants: Vec<GrantEntry>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct GrantEntry {
    #[serde(rename = "Grantee")]
    pub grantee: GranteeEntry,
    #[serde(rename = "Permission")]
    pub permission: String,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct GranteeEntry {
    #[serde(rename = "@type", alias = "@xsi:type", default)]
    pub xsi_type: Option<String>,
    #[serde(rename = "ID", default)]
    pub id: Option<String>,
    #[serde(rename = "DisplayName", default)]
    pub display_name: Option<String>,
    #[serde(rename = "URI", default)]
    pub uri: Option<String>,
    #[serde(rename = "EmailAddress", default)]
    pub email_address: Option<String>,
}

/// Checks that a document's root element is `root` (`MalformedXML` otherwise): serde does
/// not look at the root element's name; S3's schema does.
pub fn check_root(body: &[u8], root: &str) -> S3Result<()> {
    let malformed = || S3Error::new(S3ErrorCode::MalformedXML);
    let text = std::str::from_utf8(body).map_err(|_| malformed())?;
    let mut reader = quick_xml::Reader::from_str(text);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) => {
                return if e.local_name().into_inner() == root { Ok(()) } else { Err(malformed()) };
            }
            Ok(quick_xml::events::Event::Eof) | Err(_) => return Err(malformed()),
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_request_keeps_key_text_exactly() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
            <Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Quiet>true</Quiet>
              <Object><Key> spaced key </Key></Object>
              <Object><Key>a&amp;b&lt;c</Key><VersionId>v1</VersionId></Object>
            </Delete>"#;
        let d: DeleteRequest = parse(xml.as_bytes()).unwrap();
        assert!(d.quiet);
        assert_eq!(d.objects[0].key, " spaced key ");
        assert_eq!(d.objects[1].key, "a&b<c");
        assert_eq!(d.objects[1].version_id.as_deref(), Some("v1"));
    }

    #[test]
    fn refuses_dtd_and_garbage() {
        let evil = r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><Delete><Object><Key>&e;</Key></Object></Delete>"#;
        assert_eq!(parse::<DeleteRequest>(evil.as_bytes()).unwrap_err().code, S3ErrorCode::MalformedXML);
        assert_eq!(parse::<DeleteRequest>(b"<Delete><Object>").unwrap_err().code, S3ErrorCode::MalformedXML);
        assert_eq!(parse::<DeleteRequest>(b"").unwrap_err().code, S3ErrorCode::MalformedXML);
        assert_eq!(
            parse::<CompleteMultipartUploadRequest>(
                b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>"
            )
            .unwrap_err()
            .code,
            S3ErrorCode::MalformedXML
        );
    }

    #[test]
    fn create_bucket_configuration() {
        let c: CreateBucketConfiguration = parse(
            b"<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>",
        )
        .unwrap();
        assert_eq!(c.location_constraint.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn tagging_and_acl() {
        let t: TaggingRequest =
            parse(b"<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value></Value></Tag></TagSet></Tagging>").unwrap();
        assert_eq!(t.tag_set.tags.len(), 2);
        assert_eq!(t.tag_set.tags[1].value, "");
        let acl: AccessControlPolicyRequest = parse(br#"<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList>
            <Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>
            </AccessControlList></AccessControlPolicy>"#).unwrap();
        assert_eq!(acl.access_control_list.grants[0].grantee.xsi_type.as_deref(), Some("Group"));
        assert_eq!(acl.access_control_list.grants[0].permission, "READ");
    }
}
