//! The closed set of operations Depot understands, parsed once from method, target and
//! query.
//!
//! Every request becomes exactly one [`Operation`]; handlers match on it exhaustively.
//! Subresources Depot does not implement become [`Operation::NotImplemented`], so a
//! `PUT /bucket?lifecycle` can never be mistaken for a `CreateBucket`. Query parameters
//! that carry data (list options, version ids, part numbers) are validated there
//! (`parse.rs`). What each operation needs of its caller is `access.rs`.

mod access;
mod parse;

pub use access::{Access, BucketAccess, ObjectAccess};

/// One S3 (or STS) operation with the parameters its URL carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    ListBuckets(ListBucketsParams),
    /// `POST /` with a form body: STS actions (`AssumeRoleWithWebIdentity`).
    StsAction,

    CreateBucket {
        bucket: String,
    },
    HeadBucket {
        bucket: String,
    },
    DeleteBucket {
        bucket: String,
    },
    GetBucketLocation {
        bucket: String,
    },
    GetBucketVersioning {
        bucket: String,
    },
    PutBucketVersioning {
        bucket: String,
    },
    GetBucketTagging {
        bucket: String,
    },
    PutBucketTagging {
        bucket: String,
    },
    DeleteBucketTagging {
        bucket: String,
    },
    GetBucketAcl {
        bucket: String,
    },
    PutBucketAcl {
        bucket: String,
    },
    /// A bucket's policy, CORS rules, public access block, ownership controls, lifecycle,
    /// object lock, logging or default encryption.
    GetBucketSetting {
        bucket: String,
        setting: BucketSetting,
    },
    PutBucketSetting {
        bucket: String,
        setting: BucketSetting,
    },
    DeleteBucketSetting {
        bucket: String,
        setting: BucketSetting,
    },
    GetBucketPolicyStatus {
        bucket: String,
    },
    /// A configuration Depot never holds (website, replication, …): the answer is S3's
    /// "not configured" response once the bucket is found and readable.
    GetBucketUnsetConfig {
        bucket: String,
        config: UnsetConfig,
    },
    ListObjects {
        bucket: String,
        params: ListObjectsParams,
    },
    ListObjectsV2 {
        bucket: String,
        params: ListObjectsParams,
    },
    ListObjectVersions {
        bucket: String,
        params: ListVersionsParams,
    },
    ListMultipartUploads {
        bucket: String,
        params: ListUploadsParams,
    },
    DeleteObjects {
        bucket: String,
    },

    PutObject {
        bucket: String,
        key: String,
    },
    /// `POST /bucket` with a `multipart/form-data` body: a browser upload, signed by
    /// its form fields.
    PostObject {
        bucket: String,
    },
    /// `OPTIONS` on a bucket or object: a CORS preflight, answered from the bucket's
    /// CORS rules without a signature.
    Preflight {
        bucket: String,
        key: Option<String>,
    },
    CopyObject {
        bucket: String,
        key: String,
    },
    GetObject {
        bucket: String,
        key: String,
        version_id: Option<String>,
        part_number: Option<u32>,
    },
    HeadObject {
        bucket: String,
        key: String,
        version_id: Option<String>,
        part_number: Option<u32>,
    },
    DeleteObject {
        bucket: String,
        key: String,
        version_id: Option<String>,
    },
    GetObjectTagging {
        bucket: String,
        key: String,
        version_id: Option<String>,
    },
    PutObjectTagging {
        bucket: String,
        key: String,
        version_id: Option<String>,
    },
    /// GetObjectRetention, GetObjectLegalHold.
    GetObjectLock {
        bucket: String,
        key: String,
        version_id: Option<String>,
        setting: ObjectLockSetting,
    },
    /// PutObjectRetention, PutObjectLegalHold.
    PutObjectLock {
        bucket: String,
        key: String,
        version_id: Option<String>,
        setting: ObjectLockSetting,
    },
    DeleteObjectTagging {
        bucket: String,
        key: String,
        version_id: Option<String>,
    },
    GetObjectAcl {
        bucket: String,
        key: String,
        version_id: Option<String>,
    },
    PutObjectAcl {
        bucket: String,
        key: String,
        version_id: Option<String>,
    },
    GetObjectAttributes {
        bucket: String,
        key: String,
        version_id: Option<String>,
    },

    CreateMultipartUpload {
        bucket: String,
        key: String,
    },
    UploadPart {
        bucket: String,
        key: String,
        upload_id: String,
        part_number: u32,
    },
    UploadPartCopy {
        bucket: String,
        key: String,
        upload_id: String,
        part_number: u32,
    },
    CompleteMultipartUpload {
        bucket: String,
        key: String,
        upload_id: String,
    },
    AbortMultipartUpload {
        bucket: String,
        key: String,
        upload_id: String,
    },
    ListParts {
        bucket: String,
        key: String,
        upload_id: String,
        params: ListPartsParams,
    },

    /// Recognised, but not implemented: answered 501 `NotImplemented`.
    NotImplemented {
        name: &'static str,
        bucket: Option<String>,
    },
}

/// The bucket settings that decide who may do what, each kept as one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketSetting {
    Policy,
    Cors,
    PublicAccessBlock,
    OwnershipControls,
    /// The lifecycle rules (`?lifecycle`).
    Lifecycle,
    /// The object lock configuration (`?object-lock`; never deleted).
    ObjectLock,
    /// Server access logging (`?logging`; turned off by a Put without `LoggingEnabled`).
    Logging,
    /// The default server-side encryption (`?encryption`).
    Encryption,
}

/// An object version's lock settings, each its own subresource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectLockSetting {
    /// `?retention`: mode and retain-until date.
    Retention,
    /// `?legal-hold`.
    LegalHold,
}

/// Bucket configurations that are never set on a Depot bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsetConfig {
    /// No longer parsed (`?encryption` is [`BucketSetting::Encryption`]); kept while
    /// `xml::response::unset_config` still answers it.
    Encryption,
    Website,
    Replication,
    Notification,
    Accelerate,
    RequestPayment,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListBucketsParams {
    pub prefix: Option<String>,
    pub max_buckets: Option<usize>,
    pub continuation_token: Option<String>,
}

/// Parameters of ListObjects (v1) and ListObjectsV2. `marker` is v1's `marker`;
/// v2 has `continuation_token` and `start_after` instead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListObjectsParams {
    pub prefix: String,
    pub delimiter: Option<String>,
    pub max_keys: usize,
    pub encoding_url: bool,
    pub marker: Option<String>,
    pub continuation_token: Option<String>,
    pub start_after: Option<String>,
    pub fetch_owner: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListVersionsParams {
    pub prefix: String,
    pub delimiter: Option<String>,
    pub max_keys: usize,
    pub encoding_url: bool,
    pub key_marker: Option<String>,
    pub version_id_marker: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListUploadsParams {
    pub prefix: String,
    pub delimiter: Option<String>,
    pub max_uploads: usize,
    pub encoding_url: bool,
    pub key_marker: Option<String>,
    pub upload_id_marker: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPartsParams {
    pub max_parts: usize,
    pub part_number_marker: u32,
}

/// The default and largest page size of every S3 listing.
pub const MAX_LIST_KEYS: usize = 1000;
/// The largest part number S3 allows.
pub const MAX_PART_NUMBER: u32 = 10_000;

impl Operation {
    /// The operation's name, as AWS documents it; used in logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::ListBuckets(_) => "ListBuckets",
            Operation::StsAction => "STS",
            Operation::CreateBucket { .. } => "CreateBucket",
            Operation::HeadBucket { .. } => "HeadBucket",
            Operation::DeleteBucket { .. } => "DeleteBucket",
            Operation::GetBucketLocation { .. } => "GetBucketLocation",
            Operation::GetBucketVersioning { .. } => "GetBucketVersioning",
            Operation::PutBucketVersioning { .. } => "PutBucketVersioning",
            Operation::GetBucketTagging { .. } => "GetBucketTagging",
            Operation::PutBucketTagging { .. } => "PutBucketTagging",
            Operation::DeleteBucketTagging { .. } => "DeleteBucketTagging",
            Operation::GetBucketAcl { .. } => "GetBucketAcl",
            Operation::PutBucketAcl { .. } => "PutBucketAcl",
            Operation::GetBucketSetting { setting, .. } => get_name(*setting),
            Operation::PutBucketSetting { setting, .. } => put_name(*setting),
            Operation::DeleteBucketSetting { setting, .. } => delete_name(*setting),
            Operation::GetBucketPolicyStatus { .. } => "GetBucketPolicyStatus",
            Operation::PostObject { .. } => "PostObject",
            Operation::Preflight { .. } => "Preflight",
            Operation::GetBucketUnsetConfig { .. } => "GetBucketConfiguration",
            Operation::ListObjects { .. } => "ListObjects",
            Operation::ListObjectsV2 { .. } => "ListObjectsV2",
            Operation::ListObjectVersions { .. } => "ListObjectVersions",
            Operation::ListMultipartUploads { .. } => "ListMultipartUploads",
            Operation::DeleteObjects { .. } => "DeleteObjects",
            Operation::PutObject { .. } => "PutObject",
            Operation::CopyObject { .. } => "CopyObject",
            Operation::GetObject { .. } => "GetObject",
            Operation::HeadObject { .. } => "HeadObject",
            Operation::DeleteObject { .. } => "DeleteObject",
            Operation::GetObjectTagging { .. } => "GetObjectTagging",
            Operation::PutObjectTagging { .. } => "PutObjectTagging",
            Operation::GetObjectLock { setting: ObjectLockSetting::Retention, .. } => "GetObjectRetention",
            Operation::GetObjectLock { setting: ObjectLockSetting::LegalHold, .. } => "GetObjectLegalHold",
            Operation::PutObjectLock { setting: ObjectLockSetting::Retention, .. } => "PutObjectRetention",
            Operation::PutObjectLock { setting: ObjectLockSetting::LegalHold, .. } => "PutObjectLegalHold",
            Operation::DeleteObjectTagging { .. } => "DeleteObjectTagging",
            Operation::GetObjectAcl { .. } => "GetObjectAcl",
            Operation::PutObjectAcl { .. } => "PutObjectAcl",
            Operation::GetObjectAttributes { .. } => "GetObjectAttributes",
            Operation::CreateMultipartUpload { .. } => "CreateMultipartUpload",
            Operation::UploadPart { .. } => "UploadPart",
            Operation::UploadPartCopy { .. } => "UploadPartCopy",
            Operation::CompleteMultipartUpload { .. } => "CompleteMultipartUpload",
            Operation::AbortMultipartUpload { .. } => "AbortMultipartUpload",
            Operation::ListParts { .. } => "ListParts",
            Operation::NotImplemented { name, .. } => name,
        }
    }

    /// The bucket the operation addresses, if any.
    pub fn bucket(&self) -> Option<&str> {
        match self {
            Operation::ListBuckets(_) | Operation::StsAction => None,
            Operation::NotImplemented { bucket, .. } => bucket.as_deref(),
            Operation::CreateBucket { bucket }
            | Operation::HeadBucket { bucket }
            | Operation::DeleteBucket { bucket }
            | Operation::GetBucketLocation { bucket }
            | Operation::GetBucketVersioning { bucket }
            | Operation::PutBucketVersioning { bucket }
            | Operation::GetBucketTagging { bucket }
            | Operation::PutBucketTagging { bucket }
            | Operation::DeleteBucketTagging { bucket }
            | Operation::GetBucketAcl { bucket }
            | Operation::PutBucketAcl { bucket }
            | Operation::GetBucketUnsetConfig { bucket, .. }
            | Operation::GetBucketSetting { bucket, .. }
            | Operation::PutBucketSetting { bucket, .. }
            | Operation::DeleteBucketSetting { bucket, .. }
            | Operation::GetBucketPolicyStatus { bucket }
            | Operation::PostObject { bucket }
            | Operation::Preflight { bucket, .. }
            | Operation::ListObjects { bucket, .. }
            | Operation::ListObjectsV2 { bucket, .. }
            | Operation::ListObjectVersions { bucket, .. }
            | Operation::ListMultipartUploads { bucket, .. }
            | Operation::DeleteObjects { bucket }
            | Operation::PutObject { bucket, .. }
            | Operation::CopyObject { bucket, .. }
            | Operation::GetObject { bucket, .. }
            | Operation::HeadObject { bucket, .. }
            | Operation::DeleteObject { bucket, .. }
            | Operation::GetObjectTagging { bucket, .. }
            | Operation::PutObjectTagging { bucket, .. }
            | Operation::GetObjectLock { bucket, .. }
            | Operation::PutObjectLock { bucket, .. }
            | Operation::DeleteObjectTagging { bucket, .. }
            | Operation::GetObjectAcl { bucket, .. }
            | Operation::PutObjectAcl { bucket, .. }
            | Operation::GetObjectAttributes { bucket, .. }
            | Operation::CreateMultipartUpload { bucket, .. }
            | Operation::UploadPart { bucket, .. }
            | Operation::UploadPartCopy { bucket, .. }
            | Operation::CompleteMultipartUpload { bucket, .. }
            | Operation::AbortMultipartUpload { bucket, .. }
            | Operation::ListParts { bucket, .. } => Some(bucket),
        }
    }

    /// The key the operation addresses, if any.
    pub fn key(&self) -> Option<&str> {
        match self {
            Operation::PutObject { key, .. }
            | Operation::CopyObject { key, .. }
            | Operation::GetObject { key, .. }
            | Operation::HeadObject { key, .. }
            | Operation::DeleteObject { key, .. }
            | Operation::GetObjectTagging { key, .. }
            | Operation::PutObjectTagging { key, .. }
            | Operation::GetObjectLock { key, .. }
            | Operation::PutObjectLock { key, .. }
            | Operation::DeleteObjectTagging { key, .. }
            | Operation::GetObjectAcl { key, .. }
            | Operation::PutObjectAcl { key, .. }
            | Operation::GetObjectAttributes { key, .. }
            | Operation::CreateMultipartUpload { key, .. }
            | Operation::UploadPart { key, .. }
            | Operation::UploadPartCopy { key, .. }
            | Operation::CompleteMultipartUpload { key, .. }
            | Operation::AbortMultipartUpload { key, .. }
            | Operation::ListParts { key, .. } => Some(key),
            Operation::Preflight { key, .. } => key.as_deref(),
            _ => None,
        }
    }
}

fn get_name(setting: BucketSetting) -> &'static str {
    match setting {
        BucketSetting::Policy => "GetBucketPolicy",
        BucketSetting::Cors => "GetBucketCors",
        BucketSetting::PublicAccessBlock => "GetPublicAccessBlock",
        BucketSetting::OwnershipControls => "GetBucketOwnershipControls",
        BucketSetting::Lifecycle => "GetBucketLifecycleConfiguration",
        BucketSetting::ObjectLock => "GetObjectLockConfiguration",
        BucketSetting::Logging => "GetBucketLogging",
        BucketSetting::Encryption => "GetBucketEncryption",
    }
}

fn put_name(setting: BucketSetting) -> &'static str {
    match setting {
        BucketSetting::Policy => "PutBucketPolicy",
        BucketSetting::Cors => "PutBucketCors",
        BucketSetting::PublicAccessBlock => "PutPublicAccessBlock",
        BucketSetting::OwnershipControls => "PutBucketOwnershipControls",
        BucketSetting::Lifecycle => "PutBucketLifecycleConfiguration",
        BucketSetting::ObjectLock => "PutObjectLockConfiguration",
        BucketSetting::Logging => "PutBucketLogging",
        BucketSetting::Encryption => "PutBucketEncryption",
    }
}

fn delete_name(setting: BucketSetting) -> &'static str {
    match setting {
        BucketSetting::Policy => "DeleteBucketPolicy",
        BucketSetting::Cors => "DeleteBucketCors",
        BucketSetting::PublicAccessBlock => "DeletePublicAccessBlock",
        BucketSetting::OwnershipControls => "DeleteBucketOwnershipControls",
        BucketSetting::Lifecycle => "DeleteBucketLifecycle",
        BucketSetting::ObjectLock => "DeleteObjectLockConfiguration",
        BucketSetting::Logging => "DeleteBucketLogging",
        BucketSetting::Encryption => "DeleteBucketEncryption",
    }
}

#[cfg(test)]
mod tests;
