//! DeleteObject (idempotent 204) and DeleteObjects (up to 1000 keys, quiet mode,
//! per-key results, and the refusals that leave every object in place).

use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use crate::common::{content_md5, s3_error, TestApp};

fn delete_of<'a>(keys: impl IntoIterator<Item = &'a str>, quiet: bool) -> Delete {
    let objects = keys.into_iter().map(|k| ObjectIdentifier::builder().key(k).build().unwrap()).collect();
    Delete::builder().set_objects(Some(objects)).quiet(quiet).build().unwrap()
}

#[tokio::test]
async fn delete_object_is_idempotent() {
    let app = TestApp::start().await;
    app.bucket("del").await;
    app.put("del", "k", b"v".to_vec()).await;
    app.put("del", "other", b"w".to_vec()).await;
    for _ in 0..2 {
        let resp = app.send_signed(app.raw("DELETE", "/del/k")).await;
        assert_eq!(resp.status, 204);
        assert!(resp.body.is_empty());
    }
    app.client.delete_object().bucket("del").key("never-there").send().await.expect("deleting a missing key succeeds");
    assert_eq!(s3_error(app.client.get_object().bucket("del").key("k").send().await).1, "NoSuchKey");
    assert_eq!(app.keys("del").await, ["other"]);

    let (status, code) = s3_error(app.client.delete_object().bucket("no-such-bucket").key("k").send().await);
    assert_eq!((status, code.as_str()), (404, "NoSuchBucket"));
    app.shutdown().await;
}

#[tokio::test]
async fn delete_objects_reports_each_key() {
    let app = TestApp::start().await;
    app.bucket("del").await;
    for key in ["a", "b", "dir/c", "ü 日本"] {
        app.put("del", key, key.as_bytes().to_vec()).await;
    }
    let too_long = "k".repeat(1025);
    let out = app
        .client
        .delete_objects()
        .bucket("del")
        .delete(delete_of(["a", "dir/c", "ü 日本", "missing", too_long.as_str()], false))
        .send()
        .await
        .expect("delete objects");
    let mut deleted: Vec<&str> = out.deleted().iter().filter_map(|d| d.key()).collect();
    deleted.sort();
    // A key that did not exist is reported deleted, as S3 does.
    assert_eq!(deleted, ["a", "dir/c", "missing", "ü 日本"]);
    assert_eq!(out.errors().len(), 1);
    assert_eq!(out.errors()[0].key(), Some(too_long.as_str()));
    assert_eq!(out.errors()[0].code(), Some("KeyTooLongError"));
    assert_eq!(app.keys("del").await, ["b"]);
    app.shutdown().await;
}

#[tokio::test]
async fn quiet_mode_lists_only_errors() {
    let app = TestApp::start().await;
    app.bucket("del").await;
    app.put("del", "a", b"1".to_vec()).await;
    app.put("del", "b", b"2".to_vec()).await;
    let out = app.client.delete_objects().bucket("del").delete(delete_of(["a", "b"], true)).send().await.unwrap();
    assert!(out.deleted().is_empty());
    assert!(out.errors().is_empty());
    assert!(app.keys("del").await.is_empty());

    let too_long = "k".repeat(1025);
    let out = app.client.delete_objects().bucket("del").delete(delete_of(["x", too_long.as_str()], true)).send().await.unwrap();
    assert!(out.deleted().is_empty());
    assert_eq!(out.errors().len(), 1);
    app.shutdown().await;
}

#[tokio::test]
async fn a_thousand_keys_at_once() {
    let app = TestApp::start().await;
    app.bucket("del").await;
    let keys: Vec<String> = (0..1000).map(|i| format!("key-{i:04}")).collect();
    // Some of them exist; all thousand are named.
    for key in keys.iter().step_by(100) {
        app.put("del", key, b"x".to_vec()).await;
    }
    app.put("del", "survivor", b"x".to_vec()).await;
    let out = app.client.delete_objects().bucket("del").delete(delete_of(keys.iter().map(String::as_str), false)).send().await.expect("1000 keys are allowed");
    assert_eq!(out.deleted().len(), 1000);
    assert!(out.errors().is_empty());
    assert_eq!(app.keys("del").await, ["survivor"]);
    app.shutdown().await;
}

#[tokio::test]
async fn refused_delete_requests_delete_nothing() {
    let app = TestApp::start().await;
    app.bucket("del").await;
    for key in ["key-0000", "key-0500", "key-1000"] {
        app.put("del", key, key.as_bytes().to_vec()).await;
    }
    let before = app.snapshot("del").await;

    let keys: Vec<String> = (0..1001).map(|i| format!("key-{i:04}")).collect();
    let result = app.client.delete_objects().bucket("del").delete(delete_of(keys.iter().map(String::as_str), false)).send().await;
    assert_eq!(s3_error(result), (400, "MalformedXML".to_owned()), "more than 1000 keys");

    let valid = "<Delete><Object><Key>key-0000</Key></Object></Delete>";
    let bad_bodies = [
        ("<Delete><Object><Key>key-0000</Key></Object>", "MalformedXML"),
        ("<Delete></Delete>", "MalformedXML"),
        ("key-0000", "MalformedXML"),
        ("<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY k \"key-0000\">]><Delete><Object><Key>&k;</Key></Object></Delete>", "MalformedXML"),
    ];
    for (body, code) in bad_bodies {
        let resp = app.send_signed(app.raw("POST", "/del?delete").header("content-md5", &content_md5(body.as_bytes())).body(body)).await;
        assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some(code)), "{body}");
    }
    let resp = app.send_signed(app.raw("POST", "/del?delete").header("content-md5", &content_md5(b"something else")).body(valid)).await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("BadDigest")));

    let (status, code) = s3_error(app.client.delete_objects().bucket("no-such-bucket").delete(delete_of(["key-0000"], false)).send().await);
    assert_eq!((status, code.as_str()), (404, "NoSuchBucket"));

    assert_eq!(app.snapshot("del").await, before);
    app.shutdown().await;
}
