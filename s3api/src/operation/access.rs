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
            | Operation::GetBucketUnsetConfig { .. } => Bucket(B::Owner),
            Operation::GetBucketAcl { .. } => Bucket(B::AclRead),
            Operation::PutBucketAcl { .. } => Bucket(B::AclWrite),
            Operation::DeleteObjects { .. }
            | Operation::PutObject { .. }
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
            Operation::GetObjectAcl { .. } => Object(O::AclRead),
            Operation::PutObjectAcl { .. } => Object(O::AclWrite),
            // Only a bucket's owner learns that a configuration is not implemented;
            // everyone else is refused as for any owner-only setting.
            Operation::NotImplemented { bucket: Some(_), .. } => Bucket(B::Owner),
            Operation::NotImplemented { bucket: None, .. } => Access::Signed,
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
