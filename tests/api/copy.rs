//! CopyObject: within and across buckets, from a version, metadata and tagging
//! directives, copy-source conditions, URL-encoded sources, and shared blobs.

use aws_sdk_s3::primitives::DateTime;
use aws_sdk_s3::types::{BucketVersioningStatus, MetadataDirective, VersioningConfiguration};

use crate::common::{outbox_events, wait_until, TestApp};

#[tokio::test]
async fn copy_within_and_across_buckets_keeps_bytes_etag_and_metadata() {
    let app = TestApp::start().await;
    app.bucket("src-b").await;
    app.bucket("dst-b").await;
    let put = app
        .client
        .put_object()
        .bucket("src-b")
        .key("k")
        .content_type("text/csv")
        .metadata("owner", "ann")
        .body(b"a,b\n1,2\n".to_vec().into())
        .send()
        .await
        .unwrap();
    let out = app.client.copy_object().bucket("src-b").key("k2").copy_source("src-b/k").send().await.unwrap();
    assert_eq!(out.copy_object_result().unwrap().e_tag(), put.e_tag());
    assert!(out.copy_object_result().unwrap().last_modified().is_some());
    app.client.copy_object().bucket("dst-b").key("far").copy_source("src-b/k").send().await.unwrap();
    for (bucket, key) in [("src-b", "k2"), ("dst-b", "far")] {
        assert_eq!(app.get(bucket, key).await, b"a,b\n1,2\n");
        let head = app.client.head_object().bucket(bucket).key(key).send().await.unwrap();
        assert_eq!(head.content_type(), Some("text/csv"));
        assert_eq!(head.metadata().unwrap().get("owner").map(String::as_str), Some("ann"));
        assert_eq!(head.e_tag(), put.e_tag());
    }
    // REPLACE takes the request's metadata instead.
    app.client
        .copy_object()
        .bucket("dst-b")
        .key("replaced")
        .copy_source("src-b/k")
        .metadata_directive(MetadataDirective::Replace)
        .content_type("text/plain")
        .metadata("owner", "bob")
        .send()
        .await
        .unwrap();
    let head = app.client.head_object().bucket("dst-b").key("replaced").send().await.unwrap();
    assert_eq!(head.content_type(), Some("text/plain"));
    assert_eq!(head.metadata().unwrap().get("owner").map(String::as_str), Some("bob"));
    app.shutdown().await;
}

#[tokio::test]
async fn copy_onto_itself_needs_a_change() {
    let app = TestApp::start().await;
    app.bucket("self").await;
    let body = vec![b'b'; 100_000];
    app.client.put_object().bucket("self").key("k").metadata("v", "1").body(body.clone().into()).send().await.unwrap();
    let err = app.client.copy_object().bucket("self").key("k").copy_source("self/k").send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("InvalidRequest"));
    app.client
        .copy_object()
        .bucket("self")
        .key("k")
        .copy_source("self/k")
        .metadata_directive(MetadataDirective::Replace)
        .metadata("v", "2")
        .send()
        .await
        .unwrap();
    let head = app.client.head_object().bucket("self").key("k").send().await.unwrap();
    assert_eq!(head.metadata().unwrap().get("v").map(String::as_str), Some("2"));
    assert_eq!(app.get("self", "k").await, body);
    // The data was not copied, and the replaced version's blob is still in use.
    assert_eq!(app.blob_files().len(), 1);
    let events = outbox_events(&app).await;
    let last = events.last().unwrap();
    assert_eq!((last["type"].as_str(), last["eventName"].as_str()), (Some("OBJECT_UPDATED"), Some("ObjectCreated:Copy")));
    app.shutdown().await;
}

#[tokio::test]
async fn copying_an_older_version_onto_its_key_restores_it() {
    let app = TestApp::start().await;
    app.bucket("restore").await;
    let enabled = VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
    app.client.put_bucket_versioning().bucket("restore").versioning_configuration(enabled).send().await.unwrap();
    let old =
        app.client.put_object().bucket("restore").key("k").content_type("text/plain").metadata("v", "1").body(b"old".to_vec().into()).send().await.unwrap();
    app.client.put_object().bucket("restore").key("k").metadata("v", "2").body(b"new".to_vec().into()).send().await.unwrap();
    let old_id = old.version_id().unwrap();
    // No directive needed: naming the version is the change (AWS's documented restore).
    let out = app.client.copy_object().bucket("restore").key("k").copy_source(format!("restore/k?versionId={old_id}")).send().await.unwrap();
    assert_eq!(out.copy_source_version_id(), Some(old_id));
    assert_eq!(app.get("restore", "k").await, b"old");
    let head = app.client.head_object().bucket("restore").key("k").send().await.unwrap();
    assert_eq!(head.metadata().unwrap().get("v").map(String::as_str), Some("1"));
    assert_eq!(head.content_type(), Some("text/plain"));
    assert_ne!(head.version_id(), Some(old_id));
    let versions = app.client.list_object_versions().bucket("restore").send().await.unwrap();
    assert_eq!(versions.versions().len(), 3);
    // The current object onto itself, unchanged, is still refused.
    let err = app.client.copy_object().bucket("restore").key("k").copy_source("restore/k").send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("InvalidRequest"));
    app.shutdown().await;
}

#[tokio::test]
async fn copies_share_blobs_until_the_last_reference_goes() {
    let app = TestApp::start().await;
    app.bucket("share").await;
    app.put("share", "a", vec![7u8; 100_000]).await;
    app.client.copy_object().bucket("share").key("b").copy_source("share/a").send().await.unwrap();
    assert_eq!(app.blob_files().len(), 1);
    app.client.delete_object().bucket("share").key("a").send().await.unwrap();
    assert_eq!(app.get("share", "b").await, vec![7u8; 100_000]);
    assert_eq!(app.blob_files().len(), 1);
    app.client.delete_object().bucket("share").key("b").send().await.unwrap();
    wait_until("every blob is freed", || async { app.blob_files().is_empty() }).await;
    app.shutdown().await;
}

#[tokio::test]
async fn copy_from_a_version_and_encoded_sources() {
    let app = TestApp::start().await;
    app.bucket("vsrc").await;
    let config = VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
    app.client.put_bucket_versioning().bucket("vsrc").versioning_configuration(config).send().await.unwrap();
    let key = "dir/a b+c%d ü?.txt";
    let v1 = app.client.put_object().bucket("vsrc").key(key).body(b"first".to_vec().into()).send().await.unwrap().version_id().unwrap().to_owned();
    app.client.put_object().bucket("vsrc").key(key).body(b"second".to_vec().into()).send().await.unwrap();
    let encoded: String = url_encode(key);
    let out = app.client.copy_object().bucket("vsrc").key("from-v1").copy_source(format!("vsrc/{encoded}?versionId={v1}")).send().await.unwrap();
    assert_eq!(out.copy_source_version_id(), Some(v1.as_str()));
    assert!(out.version_id().is_some());
    assert_eq!(app.get("vsrc", "from-v1").await, b"first");
    app.client.copy_object().bucket("vsrc").key("latest").copy_source(format!("/vsrc/{encoded}")).send().await.unwrap();
    assert_eq!(app.get("vsrc", "latest").await, b"second");
    app.shutdown().await;
}

fn url_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string().replace("%2F", "/")
}

#[tokio::test]
async fn copy_source_conditions_and_errors() {
    let app = TestApp::start().await;
    app.bucket("cond").await;
    let etag = app.put("cond", "k", b"data".to_vec()).await;
    let now = DateTime::from(std::time::SystemTime::now());
    let past = DateTime::from_secs(now.secs() - 3600);
    let future = DateTime::from_secs(now.secs() + 3600);
    let code = |r: Result<_, aws_sdk_s3::error::SdkError<aws_sdk_s3::operation::copy_object::CopyObjectError, aws_sdk_s3::config::http::HttpResponse>>| match r
    {
        Ok(_) => "OK".to_owned(),
        Err(e) => e.raw_response().map(|r| r.status().as_u16().to_string()).unwrap_or_default(),
    };
    let copy = || app.client.copy_object().bucket("cond").key("dst").copy_source("cond/k");
    assert_eq!(code(copy().copy_source_if_match(&etag).send().await), "OK");
    assert_eq!(code(copy().copy_source_if_match("\"nope\"").send().await), "412");
    assert_eq!(code(copy().copy_source_if_none_match(&etag).send().await), "412");
    assert_eq!(code(copy().copy_source_if_modified_since(future).send().await), "412");
    assert_eq!(code(copy().copy_source_if_modified_since(past).send().await), "OK");
    assert_eq!(code(copy().copy_source_if_unmodified_since(past).send().await), "412");
    assert_eq!(code(copy().copy_source_if_unmodified_since(future).send().await), "OK");

    let err = app.client.copy_object().bucket("cond").key("dst").copy_source("cond/missing").send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("NoSuchKey"));
    let err = app.client.copy_object().bucket("cond").key("dst").copy_source("no-such-bucket/k").send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("NoSuchBucket"));
    let bad = app.raw("PUT", "/cond/dst").header("x-amz-copy-source", "justabucket").sign(&app.root.access_key_id, &app.root.secret_access_key).send().await;
    assert_eq!(bad.error_code().as_deref(), Some("InvalidArgument"));
    let bad = app
        .raw("PUT", "/cond/dst")
        .header("x-amz-copy-source", "cond/k")
        .header("x-amz-metadata-directive", "MERGE")
        .sign(&app.root.access_key_id, &app.root.secret_access_key)
        .send()
        .await;
    assert_eq!(bad.error_code().as_deref(), Some("InvalidArgument"));
    app.shutdown().await;
}
