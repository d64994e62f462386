//! What each operation needs of its caller, in one exhaustive table.
//!
//! The server checks the bucket-level part of an operation's [`Access`] before any
//! handler runs; object-level needs are checked where the object's version is known.
//! A new [`Operation`] variant does not compile until it has an entry here.

use super::Operation;

/// What a caller must be allowed to do for an operation to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Nothing checked here: the operation authenticates by other means (STS reads a
    /// login token from its body).
    None,
    /// Any signed caller (not anonymous).
    Signed,
    /// The bucket must exist; the request carries no signature the pipeline reads: a
    /// CORS preflight (never signed), or a POST upload (signed by its form fields, which
    /// the pipeline authenticates and authorizes as a PutObject once it has read them).
    Form,
    /// The bucket must exist, and the caller hold the bucket-level permission.
    Bucket(BucketAccess),
    /// The bucket must exist; the caller's permission is checked on the object version
    /// the request addresses (object ACLs, object owner).
    Object(ObjectAccess),
}

/// Bucket-level permissions, as S3's bucket ACL grants them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketAccess {
    /// List objects, versions and uploads; HeadBucket; the bucket's location (READ).
    Read,
    /// Create, overwrite and delete objects; multipart uploads (WRITE).
    Write,
    /// Read the bucket ACL (READ_ACP).
    AclRead,
    /// Change the bucket ACL (WRITE_ACP).
    AclWrite,
    /// Settings only the owner may read or change: versioning, tagging, deletion.
    Owner,
}

/// Object-level permissions, as S3's object ACL grants them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectAccess {
    /// Read the object's bytes, metadata, attributes or tags (READ).
    Read,
    /// Read the object ACL (READ_ACP).
    AclRead,
    /// Change the object ACL (WRITE_ACP).
    AclWrite,
    /// Change the object's tags (owners only).
    Tag,
    /// Delete each of several keys (DeleteObjects): bucket WRITE, or a policy that
    /// allows deleting that key, checked per key by the handler.
    Delete,
}

impl Operation {
    /// What the caller needs for this operation. Copies also need read access to their
    /// source object, which the copy checks when it finds the source version.
    pub fn access(&self) -> Access {
        use Access::{Bucket, Object};
        use BucketAccess as B;
        use ObjectAccess as O;
        match self {
            Operation::StsAction => Access::None,
            Operation::ListBuckets(_) | Operation::CreateBucket { .. } => Access::Signed,
            Operation::HeadBucket { .. }
            | Operation::GetBucketLocation { .. }
            | Operation::ListObjects { .. }
            | Operation::ListObjectsV2 { .. }
            | Operation::ListObjectVersions { .. }
            | Operation::ListMultipartUploads { .. } => Bucket(B::Read),
            Operation::DeleteBucket { .. }
            | Operation::GetBucketVersioning { .. }
            | Operation::PutBucketVersioning { .. }
            | Operation::GetBucketTagging { .. }
            | Operation::PutBucketTagging { .. }
            | Operation::DeleteBucketTagging { .. }
            | Operation::GetBucketSetting { .. }
            | Operation::PutBucketSetting { .. }
            | Operation::DeleteBucketSetting { .. }
            | Operation::GetBucketPolicyStatus { .. }
            | Operation::GetBucketUnsetConfig { .. } => Bucket(B::Owner),
            Operation::PostObject { .. } | Operation::Preflight { .. } => Access::Form,
            Operation::GetBucketAcl { .. } => Bucket(B::AclRead),
            Operation::PutBucketAcl { .. } => Bucket(B::AclWrite),
            Operation::DeleteObjects { .. } => Object(O::Delete),
            Operation::PutObject { .. }
            | Operation::CopyObject { .. }
            | Operation::DeleteObject { .. }
            | Operation::CreateMultipartUpload { .. }
            | Operation::UploadPart { .. }
            | Operation::UploadPartCopy { .. }
            | Operation::CompleteMultipartUpload { .. }
            | Operation::AbortMultipartUpload { .. }
            | Operation::ListParts { .. } => Bucket(B::Write),
            Operation::GetObject { .. } | Operation::HeadObject { .. } | Operation::GetObjectTagging { .. } | Operation::GetObjectAttributes { .. } => {
                Object(O::Read)
            }
            Operation::PutObjectTagging { .. } | Operation::DeleteObjectTagging { .. } => Object(O::Tag),
            // Object lock is the bucket owner's (and whom a bucket policy allows).
            Operation::GetObjectLock { .. } | Operation::PutObjectLock { .. } => Bucket(B::Owner),
            Operation::GetObjectAcl { .. } => Object(O::AclRead),
            Operation::PutObjectAcl { .. } => Object(O::AclWrite),
            // Only a bucket's owner learns that a configuration is not implemented;
            // everyone else is refused as for any owner-only setting.
            Operation::NotImplemented { bucket: Some(_), .. } => Bucket(B::Owner),
            Operation::NotImplemented { bucket: None, .. } => Access::Signed,
        }
    }
}

impl Operation {
    /// The IAM action a bucket policy names this operation by (`s3:GetObject`, …), as
    /// AWS's "Actions, resources, and condition keys for Amazon S3" lists it. Operations
    /// on a version by id use the `…Version` actions.
    pub fn iam_action(&self) -> &'static str {
        use super::BucketSetting as S;
        let versioned = |v: &Option<String>, plain: &'static str, version: &'static str| if v.is_some() { version } else { plain };
        match self {
            Operation::StsAction => "sts:AssumeRoleWithWebIdentity",
            Operation::ListBuckets(_) => "s3:ListAllMyBuckets",
            Operation::CreateBucket { .. } => "s3:CreateBucket",
            Operation::DeleteBucket { .. } => "s3:DeleteBucket",
            Operation::HeadBucket { .. } | Operation::ListObjects { .. } | Operation::ListObjectsV2 { .. } => "s3:ListBucket",
            Operation::GetBucketLocation { .. } => "s3:GetBucketLocation",
            Operation::ListObjectVersions { .. } => "s3:ListBucketVersions",
            Operation::ListMultipartUploads { .. } => "s3:ListBucketMultipartUploads",
            Operation::GetBucketVersioning { .. } => "s3:GetBucketVersioning",
            Operation::PutBucketVersioning { .. } => "s3:PutBucketVersioning",
            Operation::GetBucketTagging { .. } => "s3:GetBucketTagging",
            Operation::PutBucketTagging { .. } | Operation::DeleteBucketTagging { .. } => "s3:PutBucketTagging",
            Operation::GetBucketAcl { .. } => "s3:GetBucketAcl",
            Operation::PutBucketAcl { .. } => "s3:PutBucketAcl",
            Operation::GetBucketSetting { setting, .. } => match setting {
                S::Policy => "s3:GetBucketPolicy",
                S::Cors => "s3:GetBucketCORS",
                S::PublicAccessBlock => "s3:GetBucketPublicAccessBlock",
                S::OwnershipControls => "s3:GetBucketOwnershipControls",
                S::Lifecycle => "s3:GetLifecycleConfiguration",
                S::ObjectLock => "s3:GetBucketObjectLockConfiguration",
                S::Logging => "s3:GetBucketLogging",
                S::Encryption => "s3:GetEncryptionConfiguration",
            },
            Operation::PutBucketSetting { setting, .. } => match setting {
                S::Policy => "s3:PutBucketPolicy",
                S::Cors => "s3:PutBucketCORS",
                S::PublicAccessBlock => "s3:PutBucketPublicAccessBlock",
                S::OwnershipControls => "s3:PutBucketOwnershipControls",
                S::Lifecycle => "s3:PutLifecycleConfiguration",
                S::ObjectLock => "s3:PutBucketObjectLockConfiguration",
                S::Logging => "s3:PutBucketLogging",
                S::Encryption => "s3:PutEncryptionConfiguration",
            },
            Operation::DeleteBucketSetting { setting, .. } => match setting {
                S::Policy => "s3:DeleteBucketPolicy",
                S::Cors => "s3:PutBucketCORS",
                S::PublicAccessBlock => "s3:PutBucketPublicAccessBlock",
                S::OwnershipControls => "s3:PutBucketOwnershipControls",
                S::Lifecycle => "s3:PutLifecycleConfiguration",
                S::ObjectLock => "s3:PutBucketObjectLockConfiguration",
                S::Logging => "s3:PutBucketLogging",
                S::Encryption => "s3:PutEncryptionConfiguration",
            },
            Operation::GetBucketPolicyStatus { .. } => "s3:GetBucketPolicyStatus",
            Operation::GetBucketUnsetConfig { config, .. } => match config {
                super::UnsetConfig::Encryption => "s3:GetEncryptionConfiguration",
                super::UnsetConfig::Website => "s3:GetBucketWebsite",
                super::UnsetConfig::Replication => "s3:GetReplicationConfiguration",
                super::UnsetConfig::Notification => "s3:GetBucketNotification",
                super::UnsetConfig::Accelerate => "s3:GetAccelerateConfiguration",
                super::UnsetConfig::RequestPayment => "s3:GetBucketRequestPayment",
            },
            Operation::PutObject { .. }
            | Operation::PostObject { .. }
            | Operation::CopyObject { .. }
            | Operation::CreateMultipartUpload { .. }
            | Operation::UploadPart { .. }
            | Operation::UploadPartCopy { .. }
            | Operation::CompleteMultipartUpload { .. } => "s3:PutObject",
            Operation::Preflight { .. } => "s3:GetObject",
            Operation::GetObject { version_id, .. } | Operation::HeadObject { version_id, .. } => versioned(version_id, "s3:GetObject", "s3:GetObjectVersion"),
            Operation::DeleteObject { version_id, .. } => versioned(version_id, "s3:DeleteObject", "s3:DeleteObjectVersion"),
            Operation::DeleteObjects { .. } => "s3:DeleteObject",
            Operation::GetObjectTagging { version_id, .. } => versioned(version_id, "s3:GetObjectTagging", "s3:GetObjectVersionTagging"),
            Operation::PutObjectTagging { version_id, .. } => versioned(version_id, "s3:PutObjectTagging", "s3:PutObjectVersionTagging"),
            Operation::GetObjectLock { setting: super::ObjectLockSetting::Retention, .. } => "s3:GetObjectRetention",
            Operation::GetObjectLock { setting: super::ObjectLockSetting::LegalHold, .. } => "s3:GetObjectLegalHold",
            Operation::PutObjectLock { setting: super::ObjectLockSetting::Retention, .. } => "s3:PutObjectRetention",
            Operation::PutObjectLock { setting: super::ObjectLockSetting::LegalHold, .. } => "s3:PutObjectLegalHold",
            Operation::DeleteObjectTagging { version_id, .. } => versioned(version_id, "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"),
            Operation::GetObjectAcl { version_id, .. } => versioned(version_id, "s3:GetObjectAcl", "s3:GetObjectVersionAcl"),
            Operation::PutObjectAcl { version_id, .. } => versioned(version_id, "s3:PutObjectAcl", "s3:PutObjectVersionAcl"),
            Operation::GetObjectAttributes { version_id, .. } => versioned(version_id, "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"),
            Operation::AbortMultipartUpload { .. } => "s3:AbortMultipartUpload",
            Operation::ListParts { .. } => "s3:ListMultipartUploadParts",
            Operation::NotImplemented { .. } => "s3:*",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bucket_addressing_operation_checks_the_bucket() {
        let ops = [
            Operation::HeadBucket { bucket: "b".into() },
            Operation::PutObject { bucket: "b".into(), key: "k".into() },
            Operation::GetObject { bucket: "b".into(), key: "k".into(), version_id: None, part_number: None },
            Operation::NotImplemented { name: "PutBucketPolicy", bucket: Some("b".into()) },
        ];
        for op in ops {
            assert!(matches!(op.access(), Access::Bucket(_) | Access::Object(_)), "{op:?}");
        }
        assert_eq!(Operation::CreateBucket { bucket: "b".into() }.access(), Access::Signed);
        assert_eq!(Operation::StsAction.access(), Access::None);
    }
}
