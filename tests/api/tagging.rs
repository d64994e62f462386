//! Object and bucket tagging: per-version tag sets, the x-amz-tagging header on writes
//! and copies, x-amz-tagging-count, S3's limits, and the events tag changes write.

use aws_sdk_s3::types::{BucketVersioningStatus, Tag, Tagging, TaggingDirective, VersioningConfiguration};

use crate::common::{outbox_events, TestApp};

fn tag_set(pairs: &[(&str, &str)]) -> Tagging {
    let tags = pairs.iter().map(|(k, v)| Tag::builder().key(*k).value(*v).build().unwrap()).collect();
    Tagging::builder().set_tag_set(Some(tags)).build().unwrap()
}

async fn tags_of(app: &TestApp, bucket: &str, key: &str, version: Option<&str>) -> Vec<(String, String)> {
    let out = app.client.get_object_tagging().bucket(bucket).key(key).set_version_id(version.map(str::to_owned)).send().await.unwrap();
    out.tag_set().iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect()
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[tokio::test]
async fn put_get_delete_object_tags_per_version() {
    let app = TestApp::start().await;
    app.bucket("tags").await;
    let config = VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
    app.client.put_bucket_versioning().bucket("tags").versioning_configuration(config).send().await.unwrap();
    let v1 = app
        .client
        .put_object()
        .bucket("tags")
        .key("k")
        .tagging("color=blue&size=small")
        .body(b"1".to_vec().into())
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_owned();
    let v2 = app.client.put_object().bucket("tags").key("k").body(b"2".to_vec().into()).send().await.unwrap().version_id().unwrap().to_owned();
    assert_eq!(tags_of(&app, "tags", "k", Some(&v1)).await, pairs(&[("color", "blue"), ("size", "small")]));
    assert!(tags_of(&app, "tags", "k", None).await.is_empty());

    let out = app.client.put_object_tagging().bucket("tags").key("k").version_id(&v2).tagging(tag_set(&[("stage", "final")])).send().await.unwrap();
    assert_eq!(out.version_id(), Some(v2.as_str()));
    assert_eq!(tags_of(&app, "tags", "k", None).await, pairs(&[("stage", "final")]));
    let head = app.client.get_object().bucket("tags").key("k").send().await.unwrap();
    assert_eq!(head.tag_count(), Some(1));
    let old = app.client.get_object().bucket("tags").key("k").version_id(&v1).send().await.unwrap();
    assert_eq!(old.tag_count(), Some(2));

    app.client.delete_object_tagging().bucket("tags").key("k").version_id(&v1).send().await.unwrap();
    assert!(tags_of(&app, "tags", "k", Some(&v1)).await.is_empty());
    assert_eq!(tags_of(&app, "tags", "k", Some(&v2)).await, pairs(&[("stage", "final")]));

    let events = outbox_events(&app).await;
    let updates: Vec<&str> = events.iter().filter(|e| e["type"] == "OBJECT_UPDATED").map(|e| e["eventName"].as_str().unwrap()).collect();
    assert_eq!(updates, vec!["ObjectTagging:Put", "ObjectTagging:Delete"]);
    app.shutdown().await;
}

#[tokio::test]
async fn tagging_limits_give_invalid_tag_and_change_nothing() {
    let app = TestApp::start().await;
    app.bucket("limits").await;
    app.client.put_object().bucket("limits").key("k").tagging("keep=me").body(b"x".to_vec().into()).send().await.unwrap();
    let eleven: Vec<(String, String)> = (0..11).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    let eleven_refs: Vec<(&str, &str)> = eleven.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let long_key = "k".repeat(129);
    let long_value = "v".repeat(257);
    let cases: Vec<Tagging> = vec![
        tag_set(&eleven_refs),
        tag_set(&[(long_key.as_str(), "v")]),
        tag_set(&[("k", long_value.as_str())]),
        tag_set(&[("dup", "1"), ("dup", "2")]),
        tag_set(&[("aws:reserved", "1")]),
    ];
    for tagging in cases {
        let err = app.client.put_object_tagging().bucket("limits").key("k").tagging(tagging).send().await.unwrap_err();
        assert_eq!(err.into_service_error().meta().code(), Some("InvalidTag"));
    }
    // At the limits exactly, it works.
    let ten: Vec<(String, String)> = (0..10).map(|i| (format!("k{i}"), "v".repeat(256))).collect();
    let ten_refs: Vec<(&str, &str)> = ten.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(tags_of(&app, "limits", "k", None).await, pairs(&[("keep", "me")]));
    app.client.put_object_tagging().bucket("limits").key("k").tagging(tag_set(&ten_refs)).send().await.unwrap();
    assert_eq!(tags_of(&app, "limits", "k", None).await.len(), 10);
    // The header form is checked too, and a rejected PUT stores nothing.
    let header = (0..11).map(|i| format!("k{i}=v")).collect::<Vec<_>>().join("&");
    let err = app.client.put_object().bucket("limits").key("new").tagging(header).body(b"x".to_vec().into()).send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("InvalidTag"));
    let err = app.client.head_object().bucket("limits").key("new").send().await.unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
    let malformed = app.raw("PUT", "/limits/k?tagging").body("<Tagging><TagSet><Tag>").sign(&app.root.access_key_id, &app.root.secret_access_key).send().await;
    assert_eq!(malformed.error_code().as_deref(), Some("MalformedXML"));
    app.shutdown().await;
}

#[tokio::test]
async fn copy_and_multipart_carry_tags() {
    let app = TestApp::start().await;
    app.bucket("carry").await;
    app.client.put_object().bucket("carry").key("src").tagging("a=1").body(b"data".to_vec().into()).send().await.unwrap();
    app.client.copy_object().bucket("carry").key("copied").copy_source("carry/src").send().await.unwrap();
    assert_eq!(tags_of(&app, "carry", "copied", None).await, pairs(&[("a", "1")]));
    app.client
        .copy_object()
        .bucket("carry")
        .key("replaced")
        .copy_source("carry/src")
        .tagging_directive(TaggingDirective::Replace)
        .tagging("b=2")
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&app, "carry", "replaced", None).await, pairs(&[("b", "2")]));
    let upload = app.client.create_multipart_upload().bucket("carry").key("mp").tagging("c=3").send().await.unwrap();
    let upload_id = upload.upload_id().unwrap();
    let part = app.client.upload_part().bucket("carry").key("mp").upload_id(upload_id).part_number(1).body(b"tail".to_vec().into()).send().await.unwrap();
    let done = aws_sdk_s3::types::CompletedMultipartUpload::builder()
        .parts(aws_sdk_s3::types::CompletedPart::builder().part_number(1).e_tag(part.e_tag().unwrap()).build())
        .build();
    app.client.complete_multipart_upload().bucket("carry").key("mp").upload_id(upload_id).multipart_upload(done).send().await.unwrap();
    assert_eq!(tags_of(&app, "carry", "mp", None).await, pairs(&[("c", "3")]));
    app.shutdown().await;
}

#[tokio::test]
async fn bucket_tagging() {
    let app = TestApp::start().await;
    app.bucket("btags").await;
    let err = app.client.get_bucket_tagging().bucket("btags").send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("NoSuchTagSet"));
    app.client.put_bucket_tagging().bucket("btags").tagging(tag_set(&[("team", "data"), ("env", "prod")])).send().await.unwrap();
    let out = app.client.get_bucket_tagging().bucket("btags").send().await.unwrap();
    let got: Vec<(String, String)> = out.tag_set().iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect();
    assert_eq!(got, pairs(&[("team", "data"), ("env", "prod")]));
    let err = app.client.put_bucket_tagging().bucket("btags").tagging(tag_set(&[("x", "1"), ("x", "2")])).send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("InvalidTag"));
    assert_eq!(app.client.get_bucket_tagging().bucket("btags").send().await.unwrap().tag_set().len(), 2);
    app.client.delete_bucket_tagging().bucket("btags").send().await.unwrap();
    let err = app.client.get_bucket_tagging().bucket("btags").send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("NoSuchTagSet"));
    let events = outbox_events(&app).await;
    assert_eq!(events.iter().filter(|e| e["type"] == "BUCKET_UPDATED").count(), 2);
    app.shutdown().await;
}
