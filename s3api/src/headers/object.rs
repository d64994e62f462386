//! Headers that describe an object: the stored system headers, `x-amz-meta-*` user
//! metadata (with S3's 2 KB limit), storage class, and the copy source.

use base64::Engine;
use http::HeaderMap;
use percent_encoding::percent_decode_str;
use serde::{Deserialize, Serialize};

use super::header_str;
use crate::error::{S3Error, S3ErrorCode, S3Result};

/// The user-metadata size limit: names and values of all `x-amz-meta-*` headers.
pub const MAX_USER_METADATA: usize = 2048;

/// The default Content-Type of an object stored without one.
pub const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

const STORAGE_CLASSES: &[&str] = &[
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "OUTPOSTS",
    "GLACIER_IR",
    "SNOW",
    "EXPRESS_ONEZONE",
];

/// What a write says about the object beyond its bytes. Stored with the object and
/// returned on GET and HEAD.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// `x-amz-meta-*` names (lower-case, without the prefix) and values, sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user: Vec<(String, String)>,
}

impl ObjectMetadata {
    /// Reads the metadata headers of a PutObject, CopyObject (REPLACE) or
    /// CreateMultipartUpload. `aws-chunked` is removed from Content-Encoding: it
    /// describes the transfer, not the object.
    pub fn from_headers(headers: &HeaderMap) -> S3Result<Self> {
        let text = |name: &str| header_str(headers, name).map(str::to_owned);
        let content_encoding = header_str(headers, "content-encoding").and_then(|v| {
            let kept: Vec<&str> = v.split(',').map(str::trim).filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("aws-chunked")).collect();
            (!kept.is_empty()).then(|| kept.join(", "))
        });
        let storage_class = match header_str(headers, "x-amz-storage-class") {
            None => None,
            Some(class) if STORAGE_CLASSES.contains(&class) => (class != "STANDARD").then(|| class.to_owned()),
            Some(_) => return Err(S3Error::new(S3ErrorCode::InvalidStorageClass)),
        };
        let mut user = Vec::new();
        let mut size = 0usize;
        for (name, value) in headers {
            let Some(meta) = name.as_str().strip_prefix("x-amz-meta-") else { continue };
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            size += meta.len() + value.len();
            user.push((meta.to_owned(), value));
        }
        if size > MAX_USER_METADATA {
            return Err(S3Error::new(S3ErrorCode::MetadataTooLarge).extra("Size", size.to_string()).extra("MaxSizeAllowed", MAX_USER_METADATA.to_string()));
        }
        user.sort();
        Ok(ObjectMetadata {
            content_type: text("content-type"),
            cache_control: text("cache-control"),
            content_disposition: text("content-disposition"),
            content_encoding,
            content_language: text("content-language"),
            expires: text("expires"),
            storage_class,
            user,
        })
    }

    /// The Content-Type to answer with.
    pub fn content_type_or_default(&self) -> &str {
        self.content_type.as_deref().unwrap_or(DEFAULT_CONTENT_TYPE)
    }

    /// A user-metadata value by (lower-case) name.
    pub fn user_value(&self, name: &str) -> Option<&str> {
        self.user.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// `Content-MD5`: base64 of 16 bytes, else `InvalidDigest`.
pub fn content_md5(headers: &HeaderMap) -> S3Result<Option<[u8; 16]>> {
    let Some(value) = headers.get("content-md5") else { return Ok(None) };
    let bytes = value
        .to_str()
        .ok()
        .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v.trim()).ok())
        .ok_or_else(|| S3Error::new(S3ErrorCode::InvalidDigest))?;
    <[u8; 16]>::try_from(bytes.as_slice()).map(Some).map_err(|_| S3Error::new(S3ErrorCode::InvalidDigest))
}

/// The object a copy reads from (`x-amz-copy-source`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySource {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
}

impl CopySource {
    /// Parses `[/]bucket/key[?versionId=v]`, URL-encoded.
    pub fn parse(value: &str) -> S3Result<CopySource> {
        let invalid = || {
            S3Error::with_message(S3ErrorCode::InvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
                .extra("ArgumentName", "x-amz-copy-source")
                .extra("ArgumentValue", value)
        };
        let (path, query) = match value.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (value, None),
        };
        let version_id = match query {
            None => None,
            Some(q) => match q.strip_prefix("versionId=") {
                Some(v) if !v.is_empty() => Some(percent_decode_str(v).decode_utf8().map_err(|_| invalid())?.into_owned()),
                _ => return Err(invalid()),
            },
        };
        let path = percent_decode_str(path).decode_utf8().map_err(|_| invalid())?;
        let path = path.strip_prefix('/').unwrap_or(&path);
        if path.starts_with("arn:") {
            return Err(S3Error::with_message(S3ErrorCode::NotImplemented, "Access point copy sources are not supported"));
        }
        match path.split_once('/') {
            Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => {
                crate::route::check_key(key)?;
                Ok(CopySource { bucket: bucket.to_owned(), key: key.to_owned(), version_id })
            }
            _ => Err(invalid()),
        }
    }
}

/// `x-amz-metadata-directive` / `x-amz-tagging-directive`: true for REPLACE.
pub fn directive_is_replace(headers: &HeaderMap, name: &str) -> S3Result<bool> {
    match header_str(headers, name) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("COPY") => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("REPLACE") => Ok(true),
        Some(v) => Err(S3Error::with_message(S3ErrorCode::InvalidArgument, format!("Unknown {name}: {v}"))
            .extra("ArgumentName", name.to_owned())
            .extra("ArgumentValue", v.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn reads_system_and_user_metadata() {
        let h = headers(&[
            ("content-type", "text/plain"),
            ("content-encoding", "aws-chunked,gzip"),
            ("x-amz-meta-Color", "blue"),
            ("x-amz-meta-a", "1"),
            ("cache-control", "no-cache"),
        ]);
        let m = ObjectMetadata::from_headers(&h).unwrap();
        assert_eq!(m.content_type.as_deref(), Some("text/plain"));
        assert_eq!(m.content_encoding.as_deref(), Some("gzip"));
        assert_eq!(m.user, vec![("a".into(), "1".into()), ("color".into(), "blue".into())]);
        let only_chunked = ObjectMetadata::from_headers(&headers(&[("content-encoding", "aws-chunked")])).unwrap();
        assert_eq!(only_chunked.content_encoding, None);
    }

    #[test]
    fn user_metadata_limit() {
        let big = "v".repeat(2041);
        let h = headers(&[("x-amz-meta-k1234567", &big)]);
        assert_eq!(ObjectMetadata::from_headers(&h).unwrap_err().code, S3ErrorCode::MetadataTooLarge);
        let ok = "v".repeat(2000);
        assert!(ObjectMetadata::from_headers(&headers(&[("x-amz-meta-k", &ok)])).is_ok());
    }

    #[test]
    fn content_md5_must_be_16_bytes_of_base64() {
        assert_eq!(content_md5(&headers(&[("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")])).unwrap().unwrap()[0], 0xd4);
        assert_eq!(content_md5(&headers(&[("content-md5", "nope!")])).unwrap_err().code, S3ErrorCode::InvalidDigest);
        assert_eq!(content_md5(&headers(&[("content-md5", "AAAA")])).unwrap_err().code, S3ErrorCode::InvalidDigest);
    }

    #[test]
    fn copy_source_forms() {
        let c = CopySource::parse("/src/a%20b%3Fc?versionId=v1").unwrap();
        assert_eq!(c, CopySource { bucket: "src".into(), key: "a b?c".into(), version_id: Some("v1".into()) });
        let c = CopySource::parse("src/dir/k+1").unwrap();
        assert_eq!(c.key, "dir/k+1");
        assert!(CopySource::parse("justbucket").is_err());
        assert!(CopySource::parse("/b/").is_err());
    }
}
