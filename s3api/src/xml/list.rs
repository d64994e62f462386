//! Listing documents: ListBucketResult (v1 and v2), ListVersionsResult,
//! ListMultipartUploadsResult and ListPartsResult.
//!
//! The caller computes the page (entries, common prefixes, truncation, markers); this
//! module only writes it, applying `encoding-type=url` to every field S3 encodes.

use chrono::{DateTime, Utc};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::{Owner, XmlWriter};
use crate::headers::format_iso8601;
use crate::operation::{ListObjectsParams, ListUploadsParams, ListVersionsParams};

/// Everything but unreserved characters and `/` is encoded, a space as `%20`.
const KEY_ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

fn encode(value: &str, url: bool) -> String {
    if url {
        utf8_percent_encode(value, KEY_ENCODE).to_string()
    } else {
        value.to_owned()
    }
}

/// One object in a listing.
#[derive(Debug, Clone)]
pub struct ObjectEntry {
    pub key: String,
    pub last_modified: DateTime<Utc>,
    /// Quoted.
    pub etag: String,
    pub size: u64,
    pub storage_class: String,
    pub owner: Option<Owner>,
    pub checksum_algorithm: Option<String>,
    pub checksum_type: Option<String>,
}

/// A page of objects and common prefixes.
#[derive(Debug, Clone, Default)]
pub struct ObjectPage {
    pub objects: Vec<ObjectEntry>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    /// The last key or common prefix of the page: the marker of the next page.
    pub next_marker: Option<String>,
}

fn write_common_head(w: &mut XmlWriter, bucket: &str, prefix: &str, delimiter: Option<&str>, max_keys: usize, url: bool) {
    w.elem("Name", bucket);
    w.elem("Prefix", &encode(prefix, url));
    if let Some(d) = delimiter {
        w.elem("Delimiter", &encode(d, url));
    }
    w.num_elem("MaxKeys", max_keys);
    if url {
        w.elem("EncodingType", "url");
    }
}

/// About the size of a listing document of `entries` entries (an entry with its element
/// names, a date and an ETag takes about 250 bytes besides its key), so that the
/// writer's buffer rarely grows.
fn page_bytes(entries: usize) -> usize {
    1024 + entries * 320
}

fn write_object(w: &mut XmlWriter, o: &ObjectEntry, url: bool, with_owner: bool) {
    w.open("Contents");
    w.elem("Key", &encode(&o.key, url));
    w.elem("LastModified", &format_iso8601(o.last_modified));
    w.elem("ETag", &o.etag);
    if let Some(alg) = &o.checksum_algorithm {
        w.elem("ChecksumAlgorithm", alg);
    }
    if let Some(t) = &o.checksum_type {
        w.elem("ChecksumType", t);
    }
    w.num_elem("Size", o.size);
    if with_owner {
        if let Some(owner) = &o.owner {
            owner.write(w, "Owner");
        }
    }
    w.elem("StorageClass", &o.storage_class);
    w.close("Contents");
}

fn write_prefixes(w: &mut XmlWriter, prefixes: &[String], url: bool) {
    for p in prefixes {
        w.open("CommonPrefixes");
        w.elem("Prefix", &encode(p, url));
        w.close("CommonPrefixes");
    }
}

/// ListObjects (v1).
pub fn list_objects_v1(bucket: &str, params: &ListObjectsParams, page: &ObjectPage) -> String {
    let url = params.encoding_url;
    let mut w = XmlWriter::with_capacity(page_bytes(page.objects.len() + page.common_prefixes.len()));
    w.open_root("ListBucketResult");
    write_common_head(&mut w, bucket, &params.prefix, params.delimiter.as_deref(), params.max_keys, url);
    w.elem("Marker", &encode(params.marker.as_deref().unwrap_or(""), url));
    w.bool_elem("IsTruncated", page.is_truncated);
    if page.is_truncated {
        if let Some(next) = &page.next_marker {
            w.elem("NextMarker", &encode(next, url));
        }
    }
    for o in &page.objects {
        write_object(&mut w, o, url, true);
    }
    write_prefixes(&mut w, &page.common_prefixes, url);
    w.close("ListBucketResult");
    w.finish()
}

/// ListObjectsV2. `next_token` is the opaque continuation token of the next page.
pub fn list_objects_v2(bucket: &str, params: &ListObjectsParams, page: &ObjectPage, next_token: Option<&str>) -> String {
    let url = params.encoding_url;
    let mut w = XmlWriter::with_capacity(page_bytes(page.objects.len() + page.common_prefixes.len()));
    w.open_root("ListBucketResult");
    write_common_head(&mut w, bucket, &params.prefix, params.delimiter.as_deref(), params.max_keys, url);
    w.num_elem("KeyCount", page.objects.len() + page.common_prefixes.len());
    w.bool_elem("IsTruncated", page.is_truncated);
    if let Some(token) = &params.continuation_token {
        w.elem("ContinuationToken", token);
    }
    if let Some(token) = next_token {
        w.elem("NextContinuationToken", token);
    }
    if let Some(start_after) = &params.start_after {
        w.elem("StartAfter", &encode(start_after, url));
    }
    for o in &page.objects {
        write_object(&mut w, o, url, params.fetch_owner);
    }
    write_prefixes(&mut w, &page.common_prefixes, url);
    w.close("ListBucketResult");
    w.finish()
}

/// One version or delete marker in ListObjectVersions.
#[derive(Debug, Clone)]
pub struct VersionEntry {
    pub key: String,
    pub version_id: String,
    pub is_latest: bool,
    pub is_delete_marker: bool,
    pub last_modified: DateTime<Utc>,
    /// Quoted; unused for delete markers.
    pub etag: String,
    pub size: u64,
    pub storage_class: String,
    pub owner: Option<Owner>,
    pub checksum_algorithm: Option<String>,
    pub checksum_type: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct VersionPage {
    pub versions: Vec<VersionEntry>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    pub next_key_marker: Option<String>,
    pub next_version_id_marker: Option<String>,
}

/// ListObjectVersions.
pub fn list_versions(bucket: &str, params: &ListVersionsParams, page: &VersionPage) -> String {
    let url = params.encoding_url;
    let mut w = XmlWriter::with_capacity(page_bytes(page.versions.len() + page.common_prefixes.len()));
    w.open_root("ListVersionsResult");
    write_common_head(&mut w, bucket, &params.prefix, params.delimiter.as_deref(), params.max_keys, url);
    w.elem("KeyMarker", &encode(params.key_marker.as_deref().unwrap_or(""), url));
    w.elem("VersionIdMarker", params.version_id_marker.as_deref().unwrap_or(""));
    w.bool_elem("IsTruncated", page.is_truncated);
    if page.is_truncated {
        if let Some(k) = &page.next_key_marker {
            w.elem("NextKeyMarker", &encode(k, url));
        }
        if let Some(v) = &page.next_version_id_marker {
            w.elem("NextVersionIdMarker", v);
        }
    }
    for v in &page.versions {
        let tag = if v.is_delete_marker { "DeleteMarker" } else { "Version" };
        w.open(tag);
        w.elem("Key", &encode(&v.key, url));
        w.elem("VersionId", &v.version_id);
        w.bool_elem("IsLatest", v.is_latest);
        w.elem("LastModified", &format_iso8601(v.last_modified));
        if !v.is_delete_marker {
            w.elem("ETag", &v.etag);
            if let Some(alg) = &v.checksum_algorithm {
                w.elem("ChecksumAlgorithm", alg);
            }
            if let Some(t) = &v.checksum_type {
                w.elem("ChecksumType", t);
            }
            w.num_elem("Size", v.size);
            w.elem("StorageClass", &v.storage_class);
        }
        if let Some(owner) = &v.owner {
            owner.write(&mut w, "Owner");
        }
        w.close(tag);
    }
    write_prefixes(&mut w, &page.common_prefixes, url);
    w.close("ListVersionsResult");
    w.finish()
}

/// One in-progress multipart upload.
#[derive(Debug, Clone)]
pub struct UploadEntry {
    pub key: String,
    pub upload_id: String,
    pub initiated: DateTime<Utc>,
    pub owner: Owner,
    pub storage_class: String,
    pub checksum_algorithm: Option<String>,
    pub checksum_type: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct UploadPage {
    pub uploads: Vec<UploadEntry>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    pub next_key_marker: Option<String>,
    pub next_upload_id_marker: Option<String>,
}

/// ListMultipartUploads.
pub fn list_uploads(bucket: &str, params: &ListUploadsParams, page: &UploadPage) -> String {
    let url = params.encoding_url;
    let mut w = XmlWriter::new();
    w.open_root("ListMultipartUploadsResult");
    w.elem("Bucket", bucket);
    w.elem("KeyMarker", &encode(params.key_marker.as_deref().unwrap_or(""), url));
    w.elem("UploadIdMarker", params.upload_id_marker.as_deref().unwrap_or(""));
    if page.is_truncated {
        w.elem("NextKeyMarker", &encode(page.next_key_marker.as_deref().unwrap_or(""), url));
        w.elem("NextUploadIdMarker", page.next_upload_id_marker.as_deref().unwrap_or(""));
    }
    w.elem("Prefix", &encode(&params.prefix, url));
    if let Some(d) = &params.delimiter {
        w.elem("Delimiter", &encode(d, url));
    }
    w.num_elem("MaxUploads", params.max_uploads);
    if url {
        w.elem("EncodingType", "url");
    }
    w.bool_elem("IsTruncated", page.is_truncated);
    for u in &page.uploads {
        w.open("Upload");
        w.elem("Key", &encode(&u.key, url));
        w.elem("UploadId", &u.upload_id);
        u.owner.write(&mut w, "Initiator");
        u.owner.write(&mut w, "Owner");
        w.elem("StorageClass", &u.storage_class);
        w.elem("Initiated", &format_iso8601(u.initiated));
        if let Some(alg) = &u.checksum_algorithm {
            w.elem("ChecksumAlgorithm", alg);
        }
        if let Some(t) = &u.checksum_type {
            w.elem("ChecksumType", t);
        }
        w.close("Upload");
    }
    write_prefixes(&mut w, &page.common_prefixes, url);
    w.close("ListMultipartUploadsResult");
    w.finish()
}

/// One uploaded part.
#[derive(Debug, Clone)]
pub struct PartEntry {
    pub part_number: u32,
    pub last_modified: DateTime<Utc>,
    /// Quoted.
    pub etag: String,
    pub size: u64,
    /// (element name such as `ChecksumCRC32`, base64 value)
    pub checksum: Option<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct PartPage {
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
    pub owner: Owner,
    pub storage_class: String,
    pub part_number_marker: u32,
    pub next_part_number_marker: u32,
    pub max_parts: usize,
    pub is_truncated: bool,
    pub checksum_algorithm: Option<String>,
    pub checksum_type: Option<String>,
    pub parts: Vec<PartEntry>,
}

/// ListParts.
pub fn list_parts(page: &PartPage) -> String {
    let mut w = XmlWriter::new();
    w.open_root("ListPartsResult");
    w.elem("Bucket", &page.bucket);
    w.elem("Key", &page.key);
    w.elem("UploadId", &page.upload_id);
    page.owner.write(&mut w, "Initiator");
    page.owner.write(&mut w, "Owner");
    w.elem("StorageClass", &page.storage_class);
    w.num_elem("PartNumberMarker", page.part_number_marker);
    w.num_elem("NextPartNumberMarker", page.next_part_number_marker);
    w.num_elem("MaxParts", page.max_parts);
    w.bool_elem("IsTruncated", page.is_truncated);
    if let Some(alg) = &page.checksum_algorithm {
        w.elem("ChecksumAlgorithm", alg);
    }
    if let Some(t) = &page.checksum_type {
        w.elem("ChecksumType", t);
    }
    for p in &page.parts {
        w.open("Part");
        w.num_elem("PartNumber", p.part_number);
        w.elem("LastModified", &format_iso8601(p.last_modified));
        w.elem("ETag", &p.etag);
        w.num_elem("Size", p.size);
        if let Some((name, value)) = &p.checksum {
            w.elem(name, value);
        }
        w.close("Part");
    }
    w.close("ListPartsResult");
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn v2_with_url_encoding() {
        let params = ListObjectsParams { prefix: "a b/".into(), delimiter: Some("/".into()), max_keys: 2, encoding_url: true, ..Default::default() };
        let page = ObjectPage {
            objects: vec![ObjectEntry {
                key: "a b/c+d".into(),
                last_modified: Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap(),
                etag: "\"e\"".into(),
                size: 3,
                storage_class: "STANDARD".into(),
                owner: None,
                checksum_algorithm: None,
                checksum_type: None,
            }],
            common_prefixes: vec!["a b/sub/".into()],
            is_truncated: true,
            next_marker: Some("a b/sub/".into()),
        };
        let xml = list_objects_v2("bkt", &params, &page, Some("tok"));
        assert!(xml.contains("<Prefix>a%20b/</Prefix>"), "{xml}");
        assert!(xml.contains("<Key>a%20b/c%2Bd</Key>"), "{xml}");
        assert!(xml.contains("<KeyCount>2</KeyCount>"));
        assert!(xml.contains("<NextContinuationToken>tok</NextContinuationToken>"));
        assert!(xml.contains("<ETag>&quot;e&quot;</ETag>"));
        assert!(xml.contains("<LastModified>2024-01-02T03:04:05.000Z</LastModified>"));
        assert!(xml.contains("<CommonPrefixes><Prefix>a%20b/sub/</Prefix></CommonPrefixes>"));
        assert!(xml.contains("<EncodingType>url</EncodingType>"));
    }
}
