//! Routing tests: which operation a method, target and query name.

use http::Method;

use super::*;
use crate::error::{S3ErrorCode, S3Result};
use crate::route::{Query, Target};

fn op(method: Method, bucket: Option<&str>, key: Option<&str>, query: &str) -> S3Result<Operation> {
    let target = Target { bucket: bucket.map(Into::into), key: key.map(Into::into), virtual_host: false };
    Operation::parse(&method, &target, &Query::parse(Some(query)), false)
}

#[test]
fn bucket_routes() {
    assert_eq!(op(Method::PUT, Some("b"), None, "").unwrap(), Operation::CreateBucket { bucket: "b".into() });
    assert_eq!(op(Method::PUT, Some("b"), None, "versioning").unwrap().name(), "PutBucketVersioning");
    assert_eq!(op(Method::GET, Some("b"), None, "list-type=2&prefix=a").unwrap().name(), "ListObjectsV2");
    assert_eq!(op(Method::GET, Some("b"), None, "").unwrap().name(), "ListObjects");
    assert_eq!(op(Method::POST, Some("b"), None, "delete").unwrap().name(), "DeleteObjects");
    assert_eq!(op(Method::GET, Some("b"), None, "versions").unwrap().name(), "ListObjectVersions");
}

#[test]
fn unimplemented_subresources_never_fall_through() {
    let put = op(Method::PUT, Some("b"), None, "website").unwrap();
    assert!(matches!(put, Operation::NotImplemented { name: "BucketWebsite", .. }));
    let get = op(Method::GET, Some("b"), None, "website").unwrap();
    assert!(matches!(get, Operation::GetBucketUnsetConfig { config: UnsetConfig::Website, .. }));
    let lifecycle = op(Method::PUT, Some("b"), None, "lifecycle").unwrap();
    assert_eq!(lifecycle, Operation::PutBucketSetting { bucket: "b".into(), setting: BucketSetting::Lifecycle });
    assert_eq!(lifecycle.name(), "PutBucketLifecycleConfiguration");
    assert_eq!(op(Method::GET, Some("b"), None, "lifecycle").unwrap().name(), "GetBucketLifecycleConfiguration");
    assert_eq!(op(Method::DELETE, Some("b"), None, "lifecycle").unwrap().name(), "DeleteBucketLifecycle");
    let policy = op(Method::GET, Some("b"), None, "policy").unwrap();
    assert_eq!(policy, Operation::GetBucketSetting { bucket: "b".into(), setting: BucketSetting::Policy });
    assert_eq!(op(Method::PUT, Some("b"), None, "cors").unwrap().name(), "PutBucketCors");
    assert_eq!(op(Method::DELETE, Some("b"), None, "publicAccessBlock").unwrap().name(), "DeletePublicAccessBlock");
    assert_eq!(op(Method::GET, Some("b"), None, "policyStatus").unwrap().name(), "GetBucketPolicyStatus");
    assert_eq!(op(Method::POST, Some("b"), None, "").unwrap().name(), "PostObject");
    assert_eq!(op(Method::OPTIONS, Some("b"), Some("k"), "").unwrap(), Operation::Preflight { bucket: "b".into(), key: Some("k".into()) });
    let obj = op(Method::POST, Some("b"), Some("k"), "restore").unwrap();
    assert!(matches!(obj, Operation::NotImplemented { .. }));
    assert_eq!(op(Method::PUT, Some("b"), Some("k"), "retention").unwrap().name(), "PutObjectRetention");
    assert_eq!(op(Method::GET, Some("b"), Some("k"), "legal-hold&versionId=v1").unwrap().name(), "GetObjectLegalHold");
    assert_eq!(op(Method::PUT, Some("b"), None, "object-lock").unwrap().name(), "PutObjectLockConfiguration");
    assert!(op(Method::DELETE, Some("b"), None, "object-lock").is_err(), "S3 has no DeleteObjectLockConfiguration");
}

#[test]
fn bucket_encryption_is_a_setting() {
    let cases = [
        (Method::PUT, "PutBucketEncryption", "s3:PutEncryptionConfiguration"),
        (Method::GET, "GetBucketEncryption", "s3:GetEncryptionConfiguration"),
        (Method::DELETE, "DeleteBucketEncryption", "s3:PutEncryptionConfiguration"),
    ];
    for (method, name, action) in cases {
        let o = op(method.clone(), Some("b"), None, "encryption").unwrap();
        let setting = BucketSetting::Encryption;
        let bucket = "b".to_owned();
        let expected = match method {
            Method::PUT => Operation::PutBucketSetting { bucket, setting },
            Method::GET => Operation::GetBucketSetting { bucket, setting },
            _ => Operation::DeleteBucketSetting { bucket, setting },
        };
        assert_eq!(o, expected);
        assert_eq!(o.name(), name);
        assert_eq!(o.iam_action(), action);
        assert_eq!(o.access(), Access::Bucket(BucketAccess::Owner));
    }
    assert_eq!(op(Method::POST, Some("b"), None, "encryption").unwrap_err().code, S3ErrorCode::MethodNotAllowed);
    // On an object, `?encryption` is UpdateObjectEncryption, which Depot does not implement.
    let update = op(Method::PUT, Some("b"), Some("k"), "encryption").unwrap();
    assert_eq!(update, Operation::NotImplemented { name: "UpdateObjectEncryption", bucket: Some("b".into()) });
    assert_eq!(op(Method::DELETE, Some("b"), Some("k"), "encryption").unwrap_err().code, S3ErrorCode::MethodNotAllowed);
}

#[test]
fn parameters_s3_does_not_define_are_ignored() {
    assert_eq!(op(Method::PUT, Some("b"), Some("k"), "frobnicate").unwrap().name(), "PutObject");
    assert_eq!(op(Method::GET, Some("b"), None, "foo=1").unwrap().name(), "ListObjects");
    assert_eq!(op(Method::GET, Some("b"), None, "foo=1&list-type=2").unwrap().name(), "ListObjectsV2");
    assert_eq!(op(Method::GET, Some("b"), Some("k"), "utm_source=mail").unwrap().name(), "GetObject");
}

#[test]
fn headers_hoisted_by_presigners_are_parameters() {
    // botocore's SigV2 presigned PUT with a ContentType, and a SigV2 URL with a session token.
    let put = op(Method::PUT, Some("b"), Some("k"), "AWSAccessKeyId=A&Signature=s&content-type=text%2Fplain&Expires=1");
    assert_eq!(put.unwrap().name(), "PutObject");
    let get = op(Method::GET, Some("b"), Some("k"), "AWSAccessKeyId=A&Signature=s&Expires=1&x-amz-security-token=t");
    assert_eq!(get.unwrap().name(), "GetObject");
    assert_eq!(op(Method::PUT, Some("b"), Some("k"), "content-md5=x&x-amz-meta-a=1&X-Amz-Acl=private").unwrap().name(), "PutObject");
    assert_eq!(op(Method::PUT, Some("b"), Some("k"), "x-am").unwrap().name(), "PutObject");
}

#[test]
fn object_routes() {
    assert_eq!(op(Method::PUT, Some("b"), Some("k"), "x-id=PutObject").unwrap().name(), "PutObject");
    assert_eq!(op(Method::POST, Some("b"), Some("k"), "uploads").unwrap().name(), "CreateMultipartUpload");
    assert_eq!(
        op(Method::PUT, Some("b"), Some("k"), "partNumber=3&uploadId=u").unwrap(),
        Operation::UploadPart { bucket: "b".into(), key: "k".into(), upload_id: "u".into(), part_number: 3 }
    );
    assert_eq!(op(Method::DELETE, Some("b"), Some("k"), "uploadId=u").unwrap().name(), "AbortMultipartUpload");
    assert_eq!(
        op(Method::GET, Some("b"), Some("k"), "versionId=v1").unwrap(),
        Operation::GetObject { bucket: "b".into(), key: "k".into(), version_id: Some("v1".into()), part_number: None }
    );
}

#[test]
fn bad_parameters() {
    assert_eq!(op(Method::GET, Some("b"), None, "max-keys=x").unwrap_err().code, S3ErrorCode::InvalidArgument);
    assert_eq!(op(Method::GET, Some("b"), None, "max-keys=-1").unwrap_err().code, S3ErrorCode::InvalidArgument);
    assert_eq!(op(Method::PUT, Some("b"), Some("k"), "partNumber=0&uploadId=u").unwrap_err().code, S3ErrorCode::InvalidArgument);
    assert_eq!(op(Method::GET, Some("b"), None, "encoding-type=zip").unwrap_err().code, S3ErrorCode::InvalidArgument);
    let long = "k".repeat(1025);
    assert_eq!(op(Method::PUT, Some("b"), Some(&long), "").unwrap_err().code, S3ErrorCode::KeyTooLongError);
}

#[test]
fn max_keys_is_capped_at_1000() {
    match op(Method::GET, Some("b"), None, "max-keys=5000").unwrap() {
        Operation::ListObjects { params, .. } => assert_eq!(params.max_keys, 1000),
        other => panic!("{other:?}"),
    }
}
