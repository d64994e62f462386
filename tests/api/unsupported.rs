//! What Depot does not implement is refused with 501 NotImplemented, never answered with
//! a wrong success: a `PUT /bucket?website` creates no bucket, a `DELETE
//! /bucket?replication` deletes nothing. A query parameter S3 does not define is ignored, as
//! AWS ignores it. Reading a configuration that cannot be set answers
//! as S3 does for an unset one (e.g. NoSuchBucketPolicy).

use crate::common::{s3_error, TestApp};

const ENCRYPTION: &str = "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>";

#[tokio::test]
async fn bucket_subresources_are_not_implemented() {
    let app = TestApp::start().await;
    app.bucket("conf").await;
    app.put("conf", "k", b"kept".to_vec()).await;
    let before = app.snapshot("conf").await;

    for (method, path, body) in [
        ("PUT", "/conf?website", "<WebsiteConfiguration/>"),
        ("DELETE", "/conf?website", ""),
        ("DELETE", "/conf?replication", ""),
        ("POST", "/conf/k?restore", "<RestoreRequest/>"),
    ] {
        let resp = app.send_signed(app.raw(method, path).body(body)).await;
        assert_eq!((resp.status, resp.error_code().as_deref()), (501, Some("NotImplemented")), "{method} {path}");
    }
    assert_eq!(app.snapshot("conf").await, before, "nothing changed");
    app.client.head_bucket().bucket("conf").send().await.expect("the bucket is still there");

    // A parameter S3 does not define selects nothing: AWS ignores it, and so does Depot.
    app.bucket("ignored").await;
    let put = app.send_signed(app.raw("PUT", "/ignored/k?frobnicate=1").body("an object body")).await;
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(app.get("ignored", "k").await, b"an object body");
    let listed = app.send_signed(app.raw("GET", "/ignored?foo=1")).await;
    assert_eq!(listed.status, 200);
    assert!(listed.text().contains("<ListBucketResult"), "{}", listed.text());

    // The same through the SDK.
    let result = app.client.delete_bucket_website().bucket("conf").send().await;
    assert_eq!(s3_error(result), (501, "NotImplemented".to_owned()));
    assert_eq!(app.snapshot("conf").await, before);
    app.shutdown().await;
}

#[tokio::test]
async fn a_subresource_never_creates_a_bucket() {
    let app = TestApp::start().await;
    for path in ["/fresh-bucket?encryption", "/fresh-bucket?lifecycle", "/fresh-bucket?cors", "/fresh-bucket?policy"] {
        // A configuration of a bucket that does not exist: NoSuchBucket, as S3 answers.
        let resp = app.send_signed(app.raw("PUT", path).body(ENCRYPTION)).await;
        assert_eq!(resp.status, 404, "{path}");
        assert!(resp.text().contains("<Code>NoSuchBucket</Code>"), "{path}: {}", resp.text());
    }
    assert_eq!(s3_error(app.client.head_bucket().bucket("fresh-bucket").send().await).0, 404);
    let listed = app.client.list_buckets().send().await.unwrap();
    assert!(listed.buckets().is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn unset_configurations_read_as_s3_answers_them() {
    let app = TestApp::start().await;
    app.bucket("conf").await;
    assert_eq!(s3_error(app.client.get_bucket_policy().bucket("conf").send().await), (404, "NoSuchBucketPolicy".to_owned()));
    assert_eq!(s3_error(app.client.get_bucket_lifecycle_configuration().bucket("conf").send().await), (404, "NoSuchLifecycleConfiguration".to_owned()));
    assert_eq!(s3_error(app.client.get_bucket_cors().bucket("conf").send().await), (404, "NoSuchCORSConfiguration".to_owned()));
    let resp = app.send_signed(app.raw("GET", "/conf?policy")).await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (404, Some("NoSuchBucketPolicy")));
    // The bucket must exist, and be the caller's, first.
    assert_eq!(s3_error(app.client.get_bucket_policy().bucket("no-such-bucket").send().await), (404, "NoSuchBucket".to_owned()));
    assert_eq!(app.raw("GET", "/conf?policy").send().await.error_code().as_deref(), Some("AccessDenied"));
    app.shutdown().await;
}

#[tokio::test]
async fn dual_layer_kms_encryption_is_refused_not_ignored() {
    let app = TestApp::start().await;
    app.bucket("conf").await;
    let result = app
        .client
        .put_object()
        .bucket("conf")
        .key("k")
        .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::AwsKmsDsse)
        .body(b"would not be encrypted twice".to_vec().into())
        .send()
        .await;
    assert_eq!(s3_error(result), (501, "NotImplemented".to_owned()));
    assert!(app.keys("conf").await.is_empty());
    app.shutdown().await;
}
