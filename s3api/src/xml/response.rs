//! Response documents other than listings: buckets, locations, deletes, copies,
//! multipart, versioning, tagging and ACLs.

use chrono::{DateTime, Utc};

use super::XmlWriter;
use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::headers::format_iso8601;
use crate::operation::UnsetConfig;

/// An owner or grantee by canonical id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub id: String,
    pub display_name: String,
}

impl Owner {
    pub(crate) fn write(&self, w: &mut XmlWriter, element: &str) {
        w.open(element);
        w.elem("ID", &self.id);
        w.elem("DisplayName", &self.display_name);
        w.close(element);
    }
}

/// One bucket in ListBuckets.
#[derive(Debug, Clone)]
pub struct BucketEntry {
    pub name: String,
    pub creation_date: DateTime<Utc>,
    pub region: String,
}

/// ListAllMyBucketsResult.
pub fn list_buckets(owner: &Owner, buckets: &[BucketEntry], prefix: Option<&str>, continuation_token: Option<&str>) -> String {
    let mut w = XmlWriter::new();
    w.open_root("ListAllMyBucketsResult");
    owner.write(&mut w, "Owner");
    w.open("Buckets");
    for b in buckets {
        w.open("Bucket");
        w.elem("Name", &b.name);
        w.elem("CreationDate", &format_iso8601(b.creation_date));
        w.elem("BucketRegion", &b.region);
        w.close("Bucket");
    }
    w.close("Buckets");
    w.opt_elem("Prefix", prefix);
    w.opt_elem("ContinuationToken", continuation_token);
    w.close("ListAllMyBucketsResult");
    w.finish()
}

/// GetBucketLocation: empty for us-east-1, as S3 answers.
pub fn location_constraint(region: &str) -> String {
    let mut w = XmlWriter::new();
    w.open_root("LocationConstraint");
    if region != "us-east-1" {
        // Written inline: the root element's text is the region.
        let mut doc = w.finish();
        doc.push_str(&quick_xml::escape::escape(region));
        doc.push_str("</LocationConstraint>");
        return doc;
    }
    w.close("LocationConstraint");
    w.finish()
}

/// The outcome of one key in DeleteObjects.
#[derive(Debug, Clone)]
pub enum DeleteOutcome {
    Deleted { key: String, version_id: Option<String>, delete_marker: bool, delete_marker_version_id: Option<String> },
    Error { key: String, version_id: Option<String>, code: String, message: String },
}

/// DeleteResult. In quiet mode only errors are listed.
pub fn delete_result(outcomes: &[DeleteOutcome], quiet: bool) -> String {
    let mut w = XmlWriter::new();
    w.open_root("DeleteResult");
    for o in outcomes {
        match o {
            DeleteOutcome::Deleted { .. } if quiet => {}
            DeleteOutcome::Deleted { key, version_id, delete_marker, delete_marker_version_id } => {
                w.open("Deleted");
                w.elem("Key", key);
                w.opt_elem("VersionId", version_id.as_deref());
                if *delete_marker {
                    w.bool_elem("DeleteMarker", true);
                    w.opt_elem("DeleteMarkerVersionId", delete_marker_version_id.as_deref());
                }
                w.close("Deleted");
            }
            DeleteOutcome::Error { key, version_id, code, message } => {
                w.open("Error");
                w.elem("Key", key);
                w.opt_elem("VersionId", version_id.as_deref());
                w.elem("Code", code);
                w.elem("Message", message);
                w.close("Error");
            }
        }
    }
    w.close("DeleteResult");
    w.finish()
}

/// CopyObjectResult / CopyPartResult. `checksum` is (element name, base64 value).
pub fn copy_result(root: &str, etag: &str, last_modified: DateTime<Utc>, checksum: Option<(&str, &str)>) -> String {
    let mut w = XmlWriter::new();
    w.open_root(root);
    w.elem("ETag", etag);
    w.elem("LastModified", &format_iso8601(last_modified));
    if let Some((name, value)) = checksum {
        w.elem(name, value);
    }
    w.close(root);
    w.finish()
}

/// InitiateMultipartUploadResult.
pub fn initiate_multipart_upload(bucket: &str, key: &str, upload_id: &str) -> String {
    let mut w = XmlWriter::new();
    w.open_root("InitiateMultipartUploadResult");
    w.elem("Bucket", bucket);
    w.elem("Key", key);
    w.elem("UploadId", upload_id);
    w.close("InitiateMultipartUploadResult");
    w.finish()
}

/// CompleteMultipartUploadResult. `checksum` is (element name, value) and `checksum_type`
/// the multipart checksum type.
pub fn complete_multipart_upload(location: &str, bucket: &str, key: &str, etag: &str, checksum: Option<(&str, &str)>, checksum_type: Option<&str>) -> String {
    let mut w = XmlWriter::new();
    w.open_root("CompleteMultipartUploadResult");
    w.elem("Location", location);
    w.elem("Bucket", bucket);
    w.elem("Key", key);
    w.elem("ETag", etag);
    if let Some((name, value)) = checksum {
        w.elem(name, value);
    }
    w.opt_elem("ChecksumType", checksum_type);
    w.close("CompleteMultipartUploadResult");
    w.finish()
}

/// What GetObjectAttributes reports; `None` fields were not asked for.
#[derive(Debug, Clone, Default)]
pub struct ObjectAttributes {
    /// Unquoted, as GetObjectAttributes returns it.
    pub etag: Option<String>,
    /// (element name, value, checksum type)
    pub checksum: Option<(String, String, String)>,
    pub parts: Option<ObjectPartsAttribute>,
    pub storage_class: Option<String>,
    pub object_size: Option<u64>,
}

#[derive(Debug, Clone, Default)]
pub struct ObjectPartsAttribute {
    pub total_parts_count: u32,
    pub part_number_marker: u32,
    pub next_part_number_marker: u32,
    pub max_parts: usize,
    pub is_truncated: bool,
    pub parts: Vec<PartAttribute>,
}

/// One part in GetObjectAttributes.
#[derive(Debug, Clone, Default)]
pub struct PartAttribute {
    pub number: u32,
    pub size: u64,
    /// (element name such as `ChecksumCRC32`, value)
    pub checksum: Option<(String, String)>,
}

/// GetObjectAttributesResponse.
pub fn object_attributes(attrs: &ObjectAttributes) -> String {
    let mut w = XmlWriter::new();
    w.open_root("GetObjectAttributesResponse");
    w.opt_elem("ETag", attrs.etag.as_deref());
    if let Some((name, value, kind)) = &attrs.checksum {
        w.open("Checksum");
        w.elem(name, value);
        w.elem("ChecksumType", kind);
        w.close("Checksum");
    }
    if let Some(parts) = &attrs.parts {
        w.open("ObjectParts");
        w.num_elem("PartsCount", parts.total_parts_count);
        w.num_elem("PartNumberMarker", parts.part_number_marker);
        w.num_elem("NextPartNumberMarker", parts.next_part_number_marker);
        w.num_elem("MaxParts", parts.max_parts);
        w.bool_elem("IsTruncated", parts.is_truncated);
        for part in &parts.parts {
            w.open("Part");
            w.num_elem("PartNumber", part.number);
            w.num_elem("Size", part.size);
            if let Some((name, value)) = &part.checksum {
                w.elem(name, value);
            }
            w.close("Part");
        }
        w.close("ObjectParts");
    }
    w.opt_elem("StorageClass", attrs.storage_class.as_deref());
    if let Some(size) = attrs.object_size {
        w.num_elem("ObjectSize", size);
    }
    w.close("GetObjectAttributesResponse");
    w.finish()
}

/// VersioningConfiguration; `status` None for a bucket that was never versioned.
pub fn versioning_configuration(status: Option<&str>) -> String {
    let mut w = XmlWriter::new();
    w.open_root("VersioningConfiguration");
    w.opt_elem("Status", status);
    w.close("VersioningConfiguration");
    w.finish()
}

/// Tagging.
pub fn tagging(tags: &[(String, String)]) -> String {
    let mut w = XmlWriter::new();
    w.open_root("Tagging");
    w.open("TagSet");
    for (k, v) in tags {
        w.open("Tag");
        w.elem("Key", k);
        w.elem("Value", v);
        w.close("Tag");
    }
    w.close("TagSet");
    w.close("Tagging");
    w.finish()
}

/// A grantee in an ACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grantee {
    User(Owner),
    Group(String),
}

/// AccessControlPolicy.
pub fn access_control_policy(owner: &Owner, grants: &[(Grantee, String)]) -> String {
    let mut w = XmlWriter::new();
    w.open_root("AccessControlPolicy");
    owner.write(&mut w, "Owner");
    w.open("AccessControlList");
    for (grantee, permission) in grants {
        w.open("Grant");
        match grantee {
            Grantee::User(user) => {
                w.open_with_attrs("Grantee", &[("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"), ("xsi:type", "CanonicalUser")]);
                w.elem("ID", &user.id);
                w.elem("DisplayName", &user.display_name);
            }
            Grantee::Group(uri) => {
                w.open_with_attrs("Grantee", &[("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"), ("xsi:type", "Group")]);
                w.elem("URI", uri);
            }
        }
        w.close("Grantee");
        w.elem("Permission", permission);
        w.close("Grant");
    }
    w.close("AccessControlList");
    w.close("AccessControlPolicy");
    w.finish()
}

/// S3's answer for a bucket configuration that is not set: a "not found" error for most,
/// an empty document for the few S3 always answers.
pub fn unset_config(config: UnsetConfig) -> S3Result<String> {
    let code = match config {
        UnsetConfig::Encryption => S3ErrorCode::ServerSideEncryptionConfigurationNotFoundError,
        UnsetConfig::Website => S3ErrorCode::NoSuchWebsiteConfiguration,
        UnsetConfig::Replication => S3ErrorCode::ReplicationConfigurationNotFoundError,
        UnsetConfig::Notification => return Ok(empty_root("NotificationConfiguration")),
        UnsetConfig::Accelerate => return Ok(empty_root("AccelerateConfiguration")),
        UnsetConfig::RequestPayment => {
            let mut w = XmlWriter::new();
            w.open_root("RequestPaymentConfiguration");
            w.elem("Payer", "BucketOwner");
            w.close("RequestPaymentConfiguration");
            return Ok(w.finish());
        }
    };
    Err(S3Error::new(code))
}

fn empty_root(name: &str) -> String {
    let mut w = XmlWriter::new();
    w.open_root(name);
    w.close(name);
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_is_empty_for_us_east_1() {
        assert!(location_constraint("us-east-1").ends_with("<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></LocationConstraint>"));
        assert!(location_constraint("eu-west-1").ends_with(">eu-west-1</LocationConstraint>"));
    }

    #[test]
    fn quiet_delete_lists_only_errors() {
        let outcomes = vec![
            DeleteOutcome::Deleted { key: "a".into(), version_id: None, delete_marker: false, delete_marker_version_id: None },
            DeleteOutcome::Error { key: "b".into(), version_id: None, code: "AccessDenied".into(), message: "Access Denied".into() },
        ];
        let xml = delete_result(&outcomes, true);
        assert!(!xml.contains("<Deleted>"));
        assert!(xml.contains("<Error><Key>b</Key><Code>AccessDenied</Code>"));
        assert!(delete_result(&outcomes, false).contains("<Deleted><Key>a</Key></Deleted>"));
    }
}
