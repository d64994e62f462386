//! Parsing a request into its [`Operation`]: method, target (bucket, key) and query,
//! with the subresources Depot does not implement recognised first; query parameters
//! S3 does not define are ignored.

use http::Method;

use super::*;
use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::route::{check_key, Query, Target};

/// Bucket subresources that Depot does not implement for writes.
const UNIMPLEMENTED_SUBRESOURCES: &[(&str, &str)] = &[
    ("website", "BucketWebsite"),
    ("replication", "BucketReplication"),
    ("notification", "BucketNotification"),
    ("accelerate", "BucketAccelerate"),
    ("requestPayment", "BucketRequestPayment"),
    ("analytics", "BucketAnalytics"),
    ("metrics", "BucketMetrics"),
    ("inventory", "BucketInventory"),
    ("intelligent-tiering", "BucketIntelligentTiering"),
    ("metadataTable", "BucketMetadataTable"),
    ("torrent", "ObjectTorrent"),
    ("restore", "RestoreObject"),
    ("select", "SelectObjectContent"),
    ("renameObject", "RenameObject"),
    ("session", "CreateSession"),
];

/// Subresources Depot implements.
const KNOWN_SUBRESOURCES: &[&str] = &[
    "location",
    "versioning",
    "versions",
    "uploads",
    "tagging",
    "acl",
    "delete",
    "attributes",
    "policy",
    "policyStatus",
    "cors",
    "publicAccessBlock",
    "ownershipControls",
    "lifecycle",
    "object-lock",
    "retention",
    "legal-hold",
    "logging",
    "encryption",
];

/// The bucket settings and the subresource that names each.
const SETTINGS: &[(&str, BucketSetting)] = &[
    ("policy", BucketSetting::Policy),
    ("cors", BucketSetting::Cors),
    ("publicAccessBlock", BucketSetting::PublicAccessBlock),
    ("ownershipControls", BucketSetting::OwnershipControls),
    ("lifecycle", BucketSetting::Lifecycle),
    ("object-lock", BucketSetting::ObjectLock),
    ("logging", BucketSetting::Logging),
    ("encryption", BucketSetting::Encryption),
];

impl Operation {
    /// Parses the operation a request names. `has_copy_source` tells whether the request
    /// carries `x-amz-copy-source`.
    pub fn parse(method: &Method, target: &Target, query: &Query, has_copy_source: bool) -> S3Result<Operation> {
        // Only the subresources S3 defines select an operation: any other parameter
        // (`?foo=1`, a header a presigner hoisted into the query) is ignored, as AWS does.
        for name in query.names() {
            if let Some((_, op)) = UNIMPLEMENTED_SUBRESOURCES.iter().find(|(sub, _)| *sub == name) {
                if let Some(config) = unset_config(name).filter(|_| method == Method::GET && target.key.is_none()) {
                    let bucket = target.bucket.clone().ok_or_else(|| S3Error::new(S3ErrorCode::MethodNotAllowed))?;
                    return Ok(Operation::GetBucketUnsetConfig { bucket, config });
                }
                return Ok(Operation::NotImplemented { name: op, bucket: target.bucket.clone() });
            }
        }

        if method == Method::OPTIONS {
            let bucket = target.bucket.clone().ok_or_else(method_not_allowed)?;
            return Ok(Operation::Preflight { bucket, key: target.key.clone() });
        }
        match (&target.bucket, &target.key) {
            (None, _) => service_operation(method, query),
            (Some(bucket), None) => bucket_operation(method, bucket.clone(), query),
            (Some(bucket), Some(key)) => {
                check_key(key)?;
                object_operation(method, bucket.clone(), key.clone(), query, has_copy_source)
            }
        }
    }
}

fn unset_config(subresource: &str) -> Option<UnsetConfig> {
    Some(match subresource {
        "website" => UnsetConfig::Website,
        "replication" => UnsetConfig::Replication,
        "notification" => UnsetConfig::Notification,
        "accelerate" => UnsetConfig::Accelerate,
        "requestPayment" => UnsetConfig::RequestPayment,
        _ => return None,
    })
}

fn method_not_allowed() -> S3Error {
    S3Error::new(S3ErrorCode::MethodNotAllowed)
}

fn service_operation(method: &Method, query: &Query) -> S3Result<Operation> {
    match *method {
        Method::GET => Ok(Operation::ListBuckets(ListBucketsParams {
            prefix: query.get("prefix").map(str::to_owned),
            max_buckets: opt_number(query, "max-buckets", 1, 10_000)?,
            continuation_token: query.get("continuation-token").map(str::to_owned),
        })),
        Method::POST => Ok(Operation::StsAction),
        _ => Err(method_not_allowed()),
    }
}

fn bucket_operation(method: &Method, bucket: String, query: &Query) -> S3Result<Operation> {
    if let Some(&(_, setting)) = SETTINGS.iter().find(|(name, _)| query.has(name)) {
        return match *method {
            Method::GET => Ok(Operation::GetBucketSetting { bucket, setting }),
            Method::PUT => Ok(Operation::PutBucketSetting { bucket, setting }),
            // S3 has no DeleteObjectLockConfiguration (once on, object lock stays on) and
            // no DeleteBucketLogging (a PutBucketLogging without LoggingEnabled stops it).
            Method::DELETE if matches!(setting, BucketSetting::ObjectLock | BucketSetting::Logging) => Err(method_not_allowed()),
            Method::DELETE => Ok(Operation::DeleteBucketSetting { bucket, setting }),
            _ => Err(method_not_allowed()),
        };
    }
    let op = match *method {
        Method::GET if query.has("policyStatus") => Operation::GetBucketPolicyStatus { bucket },
        Method::GET if query.has("location") => Operation::GetBucketLocation { bucket },
        Method::GET if query.has("versioning") => Operation::GetBucketVersioning { bucket },
        Method::GET if query.has("tagging") => Operation::GetBucketTagging { bucket },
        Method::GET if query.has("acl") => Operation::GetBucketAcl { bucket },
        Method::GET if query.has("uploads") => Operation::ListMultipartUploads {
            bucket,
            params: ListUploadsParams {
                prefix: query.get("prefix").unwrap_or_default().to_owned(),
                delimiter: non_empty(query.get("delimiter")),
                max_uploads: max_keys(query, "max-uploads")?,
                encoding_url: encoding_url(query)?,
                key_marker: non_empty(query.get("key-marker")),
                upload_id_marker: non_empty(query.get("upload-id-marker")),
            },
        },
        Method::GET if query.has("versions") => Operation::ListObjectVersions {
            bucket,
            params: ListVersionsParams {
                prefix: query.get("prefix").unwrap_or_default().to_owned(),
                delimiter: non_empty(query.get("delimiter")),
                max_keys: max_keys(query, "max-keys")?,
                encoding_url: encoding_url(query)?,
                key_marker: non_empty(query.get("key-marker")),
                version_id_marker: non_empty(query.get("version-id-marker")),
            },
        },
        Method::GET => {
            let v2 = match query.get("list-type") {
                None => false,
                Some("2") => true,
                Some(_) => return Err(invalid_argument("list-type must be 2")),
            };
            let params = ListObjectsParams {
                prefix: query.get("prefix").unwrap_or_default().to_owned(),
                delimiter: non_empty(query.get("delimiter")),
                max_keys: max_keys(query, "max-keys")?,
                encoding_url: encoding_url(query)?,
                marker: if v2 { None } else { non_empty(query.get("marker")) },
                continuation_token: if v2 { query.get("continuation-token").map(str::to_owned) } else { None },
                start_after: if v2 { non_empty(query.get("start-after")) } else { None },
                fetch_owner: !v2 || query.get("fetch-owner") == Some("true"),
            };
            if v2 {
                if params.continuation_token.as_deref() == Some("") {
                    // As AWS answers it: an empty token is not read as no token.
                    return Err(invalid_argument("The continuation token provided is incorrect").extra("ArgumentName", "continuation-token"));
                }
                Operation::ListObjectsV2 { bucket, params }
            } else {
                Operation::ListObjects { bucket, params }
            }
        }
        Method::HEAD => Operation::HeadBucket { bucket },
        Method::PUT if query.has("versioning") => Operation::PutBucketVersioning { bucket },
        Method::PUT if query.has("tagging") => Operation::PutBucketTagging { bucket },
        Method::PUT if query.has("acl") => Operation::PutBucketAcl { bucket },
        Method::PUT if has_any(query, &["location", "versions", "uploads", "delete", "attributes", "policyStatus"]) => return Err(method_not_allowed()),
        Method::PUT => Operation::CreateBucket { bucket },
        Method::DELETE if query.has("tagging") => Operation::DeleteBucketTagging { bucket },
        Method::DELETE if has_any(query, KNOWN_SUBRESOURCES) => return Err(method_not_allowed()),
        Method::DELETE => Operation::DeleteBucket { bucket },
        Method::POST if query.has("delete") => Operation::DeleteObjects { bucket },
        Method::POST => Operation::PostObject { bucket },
        _ => return Err(method_not_allowed()),
    };
    Ok(op)
}

fn object_operation(method: &Method, bucket: String, key: String, query: &Query, has_copy_source: bool) -> S3Result<Operation> {
    let version_id = version_id(query)?;
    let upload_id = query.get("uploadId").map(str::to_owned);
    let op = match *method {
        Method::GET if query.has("tagging") => Operation::GetObjectTagging { bucket, key, version_id },
        Method::GET if query.has("acl") => Operation::GetObjectAcl { bucket, key, version_id },
        Method::GET if query.has("attributes") => Operation::GetObjectAttributes { bucket, key, version_id },
        Method::GET if query.has("retention") => Operation::GetObjectLock { bucket, key, version_id, setting: ObjectLockSetting::Retention },
        Method::GET if query.has("legal-hold") => Operation::GetObjectLock { bucket, key, version_id, setting: ObjectLockSetting::LegalHold },
        Method::GET if upload_id.is_some() => Operation::ListParts {
            bucket,
            key,
            upload_id: required_upload_id(upload_id)?,
            params: ListPartsParams {
                max_parts: max_keys(query, "max-parts")?,
                part_number_marker: opt_number(query, "part-number-marker", 0, MAX_PART_NUMBER as usize)?.unwrap_or(0) as u32,
            },
        },
        Method::GET => Operation::GetObject { bucket, key, version_id, part_number: part_number(query, false)? },
        Method::HEAD => Operation::HeadObject { bucket, key, version_id, part_number: part_number(query, false)? },
        Method::PUT if query.has("tagging") => Operation::PutObjectTagging { bucket, key, version_id },
        Method::PUT if query.has("acl") => Operation::PutObjectAcl { bucket, key, version_id },
        Method::PUT if query.has("retention") => Operation::PutObjectLock { bucket, key, version_id, setting: ObjectLockSetting::Retention },
        Method::PUT if query.has("legal-hold") => Operation::PutObjectLock { bucket, key, version_id, setting: ObjectLockSetting::LegalHold },
        Method::PUT if upload_id.is_some() || query.has("partNumber") => {
            let upload_id = required_upload_id(upload_id)?;
            let part_number = part_number(query, true)?.unwrap_or(0);
            if has_copy_source {
                Operation::UploadPartCopy { bucket, key, upload_id, part_number }
            } else {
                Operation::UploadPart { bucket, key, upload_id, part_number }
            }
        }
        // `?encryption` on an object is UpdateObjectEncryption (re-keying to SSE-KMS).
        Method::PUT if query.has("encryption") => Operation::NotImplemented { name: "UpdateObjectEncryption", bucket: Some(bucket) },
        Method::PUT if has_any(query, KNOWN_SUBRESOURCES) => return Err(method_not_allowed()),
        Method::PUT if has_copy_source => Operation::CopyObject { bucket, key },
        Method::PUT => Operation::PutObject { bucket, key },
        Method::DELETE if query.has("tagging") => Operation::DeleteObjectTagging { bucket, key, version_id },
        Method::DELETE if upload_id.is_some() => Operation::AbortMultipartUpload { bucket, key, upload_id: required_upload_id(upload_id)? },
        Method::DELETE if has_any(query, KNOWN_SUBRESOURCES) => return Err(method_not_allowed()),
        Method::DELETE => Operation::DeleteObject { bucket, key, version_id },
        Method::POST if query.has("uploads") => Operation::CreateMultipartUpload { bucket, key },
        Method::POST if upload_id.is_some() => Operation::CompleteMultipartUpload { bucket, key, upload_id: required_upload_id(upload_id)? },
        _ => return Err(method_not_allowed()),
    };
    Ok(op)
}

fn has_any(query: &Query, names: &[&str]) -> bool {
    names.iter().any(|n| query.has(n))
}

fn invalid_argument(message: &str) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, message.to_owned())
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value.filter(|v| !v.is_empty()).map(str::to_owned)
}

fn encoding_url(query: &Query) -> S3Result<bool> {
    match query.get("encoding-type") {
        None | Some("") => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("url") => Ok(true),
        Some(_) => Err(invalid_argument("Invalid Encoding Method specified in Request")),
    }
}

fn max_keys(query: &Query, name: &str) -> S3Result<usize> {
    Ok(opt_number(query, name, 0, usize::MAX)?.unwrap_or(MAX_LIST_KEYS).min(MAX_LIST_KEYS))
}

fn opt_number(query: &Query, name: &str, min: usize, max: usize) -> S3Result<Option<usize>> {
    match query.get(name) {
        None => Ok(None),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(S3Error::with_message(S3ErrorCode::InvalidArgument, format!("Provided {name} not an integer or within integer range"))
                .extra("ArgumentName", name)
                .extra("ArgumentValue", v)),
        },
    }
}

fn part_number(query: &Query, required: bool) -> S3Result<Option<u32>> {
    match query.get("partNumber") {
        None if required => Err(invalid_argument("partNumber is required")),
        None => Ok(None),
        Some(v) => match v.parse::<u32>() {
            Ok(n) if (1..=MAX_PART_NUMBER).contains(&n) => Ok(Some(n)),
            _ => Err(S3Error::with_message(S3ErrorCode::InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive")
                .extra("ArgumentName", "partNumber")
                .extra("ArgumentValue", v)),
        },
    }
}

fn version_id(query: &Query) -> S3Result<Option<String>> {
    match query.get("versionId") {
        None => Ok(None),
        Some("") => Err(invalid_argument("Version id cannot be the empty string")),
        Some(v) => Ok(Some(v.to_owned())),
    }
}

fn required_upload_id(upload_id: Option<String>) -> S3Result<String> {
    match upload_id {
        Some(id) if !id.is_empty() => Ok(id),
        _ => Err(S3Error::new(S3ErrorCode::NoSuchUpload)),
    }
}
