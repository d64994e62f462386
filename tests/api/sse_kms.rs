//! SSE-KMS and the key ring through the SDK: the ring's default key, a named key by id,
//! alias or ARN, the bucket-key flag, an unknown key refused with nothing stored, a
//! bucket default naming a key; a ring generated when none is given (mode 0600, kept
//! across restarts); a rotated ring that still reads old objects, and one that lost a
//! key answering 500 for the objects that key wrapped; the encryption context answered
//! on the writes that set it and not on reads.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ServerSideEncryption, ServerSideEncryptionByDefault};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::common::{etag_of, s3_error, TestApp};
use crate::sse::{body_of, default_config, head_sse, pattern, put_sse_s3, ring_file, KIB};

#[tokio::test]
async fn sse_kms_uses_the_default_or_the_named_key_of_the_ring() {
    let rings = tempfile::tempdir().unwrap();
    let ring = ring_file(rings.path(), "ring.json", "k1", &["k1", "k2"]);
    let app = TestApp::start_with(|c| c.kms_keys = Some(ring.clone())).await;
    app.bucket("kms").await;
    let body = pattern(40 * KIB, 6);

    // No key id: the ring's default.
    let out = app
        .client
        .put_object()
        .bucket("kms")
        .key("default-key")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .expect("PUT with SSE-KMS");
    assert_eq!(out.server_side_encryption(), Some(&ServerSideEncryption::AwsKms));
    assert_eq!(out.ssekms_key_id(), Some("k1"));
    assert_eq!(out.e_tag(), Some(etag_of(&body).as_str()), "the ETag is the plaintext's MD5");
    assert_eq!(head_sse(&app, "kms", "default-key").await, (Some(ServerSideEncryption::AwsKms), Some("k1".to_owned())));

    // A key by id, alias or ARN.
    for (key, id) in [("by-id", "k2"), ("by-alias", "alias/k2"), ("by-arn", "arn:aws:kms:us-east-1:123456789012:key/k2")] {
        let out = app
            .client
            .put_object()
            .bucket("kms")
            .key(key)
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .ssekms_key_id(id)
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("PUT with SSE-KMS key {id}: {e:?}"));
        assert_eq!(out.server_side_encryption(), Some(&ServerSideEncryption::AwsKms), "{id}");
        assert_eq!(head_sse(&app, "kms", key).await, (Some(ServerSideEncryption::AwsKms), Some("k2".to_owned())), "{id}");
        let got = app.client.get_object().bucket("kms").key(key).send().await.expect("GET");
        assert_eq!((got.server_side_encryption(), got.ssekms_key_id()), (Some(&ServerSideEncryption::AwsKms), Some("k2")), "{id}");
        assert_eq!(got.e_tag(), Some(etag_of(&body).as_str()), "{id}");
        assert!(body_of(got).await == body, "{id}: the bytes differ");
    }
    assert!(app.get("kms", "default-key").await == body);

    // The bucket-key flag is kept and answered.
    let out = app
        .client
        .put_object()
        .bucket("kms")
        .key("bucket-key")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .bucket_key_enabled(true)
        .body(ByteStream::from_static(b"with a bucket key"))
        .send()
        .await
        .expect("PUT with a bucket key");
    assert_eq!(out.bucket_key_enabled(), Some(true));
    let head = app.client.head_object().bucket("kms").key("bucket-key").send().await.expect("HEAD");
    assert_eq!(head.server_side_encryption(), Some(&ServerSideEncryption::AwsKms));
    assert_eq!(head.bucket_key_enabled(), Some(true));
    assert_eq!(app.get("kms", "bucket-key").await, b"with a bucket key");

    // An unknown key: KMS.NotFoundException, and nothing is stored.
    let before = app.snapshot("kms").await;
    for id in ["nope", "alias/nope", "arn:aws:kms:us-east-1:123456789012:key/nope"] {
        let refused = app
            .client
            .put_object()
            .bucket("kms")
            .key("unknown-key")
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .ssekms_key_id(id)
            .body(ByteStream::from(body.clone()))
            .send()
            .await;
        assert_eq!(s3_error(refused), (400, "KMS.NotFoundException".to_owned()), "{id}");
    }
    assert_eq!(s3_error(app.client.head_object().bucket("kms").key("unknown-key").send().await).0, 404);
    assert_eq!(app.snapshot("kms").await, before);

    // A bucket default of SSE-KMS with a key.
    app.bucket("kms-default").await;
    let by_default = ServerSideEncryptionByDefault::builder().sse_algorithm(ServerSideEncryption::AwsKms).kms_master_key_id("k2").build().unwrap();
    app.client
        .put_bucket_encryption()
        .bucket("kms-default")
        .server_side_encryption_configuration(default_config(by_default))
        .send()
        .await
        .expect("PutBucketEncryption");
    let got = app.client.get_bucket_encryption().bucket("kms-default").send().await.expect("GetBucketEncryption");
    let rule = &got.server_side_encryption_configuration().expect("a configuration").rules()[0];
    let stored = rule.apply_server_side_encryption_by_default().expect("a default");
    assert_eq!((stored.sse_algorithm(), stored.kms_master_key_id()), (&ServerSideEncryption::AwsKms, Some("k2")));
    app.put("kms-default", "obj", b"defaulted to k2".to_vec()).await;
    assert_eq!(head_sse(&app, "kms-default", "obj").await, (Some(ServerSideEncryption::AwsKms), Some("k2".to_owned())));
    assert_eq!(app.get("kms-default", "obj").await, b"defaulted to k2");
    app.shutdown().await;
}

#[tokio::test]
async fn the_encryption_context_is_answered_on_writes_not_reads() {
    let rings = tempfile::tempdir().unwrap();
    let ring = ring_file(rings.path(), "ring.json", "k1", &["k1"]);
    let app = TestApp::start_with(|c| c.kms_keys = Some(ring.clone())).await;
    app.bucket("ctx").await;
    let context = STANDARD.encode(r#"{"project":"depot","team":"storage"}"#);
    let put = app
        .client
        .put_object()
        .bucket("ctx")
        .key("with-context")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_encryption_context(&context)
        .body(ByteStream::from_static(b"bound to a context"))
        .send()
        .await
        .expect("PUT with a context");
    assert_eq!(put.ssekms_encryption_context(), Some(context.as_str()));
    let head = app.client.head_object().bucket("ctx").key("with-context").send().await.expect("HEAD");
    assert_eq!((head.server_side_encryption(), head.ssekms_key_id()), (Some(&ServerSideEncryption::AwsKms), Some("k1")));
    assert_eq!(app.get("ctx", "with-context").await, b"bound to a context");

    // Without a context, none is answered.
    let plain = app
        .client
        .put_object()
        .bucket("ctx")
        .key("without")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .body(ByteStream::from_static(b"no context"))
        .send()
        .await
        .expect("PUT without a context");
    assert_eq!(plain.ssekms_encryption_context(), None);

    // CopyObject and CreateMultipartUpload answer the context they were given.
    let copy = app
        .client
        .copy_object()
        .bucket("ctx")
        .key("copied")
        .copy_source("ctx/without")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_encryption_context(&context)
        .send()
        .await
        .expect("CopyObject with a context");
    assert_eq!(copy.ssekms_encryption_context(), Some(context.as_str()));
    assert_eq!(app.get("ctx", "copied").await, b"no context");
    let upload = app
        .client
        .create_multipart_upload()
        .bucket("ctx")
        .key("multipart")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_encryption_context(&context)
        .send()
        .await
        .expect("CreateMultipartUpload with a context");
    assert_eq!(upload.ssekms_encryption_context(), Some(context.as_str()));
    assert_eq!(upload.server_side_encryption(), Some(&ServerSideEncryption::AwsKms));
    app.shutdown().await;
}

#[tokio::test]
async fn without_a_ring_file_the_server_generates_a_private_one() {
    let app = TestApp::start().await;
    app.bucket("generated").await;
    let path = app.data_dir.path().join("kms-keys.json");
    let ring: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).expect("kms-keys.json in the data dir")).expect("a JSON ring");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the generated ring is readable by its owner only");
    }
    let default = ring["default"].as_str().expect("a default id").to_owned();
    let key = ring["keys"][&default].as_str().expect("the default key");
    assert_eq!(STANDARD.decode(key).expect("base64").len(), 32);

    let out = app
        .client
        .put_object()
        .bucket("generated")
        .key("k")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .body(ByteStream::from_static(b"under the generated key"))
        .send()
        .await
        .expect("PUT with SSE-KMS");
    assert_eq!(out.ssekms_key_id(), Some(default.as_str()));
    assert_eq!(head_sse(&app, "generated", "k").await, (Some(ServerSideEncryption::AwsKms), Some(default.clone())));
    put_sse_s3(&app, "generated", "s3", b"sse-s3 under the generated key").await;

    // A restart keeps the ring: the objects still read.
    let mut app = app;
    app.restart().await;
    let again: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(again, ring, "the ring is generated once");
    assert_eq!(app.get("generated", "k").await, b"under the generated key");
    assert_eq!(app.get("generated", "s3").await, b"sse-s3 under the generated key");
    app.shutdown().await;
}

#[tokio::test]
async fn rotating_the_key_ring_keeps_old_objects_readable() {
    let rings = tempfile::tempdir().unwrap();
    let first = ring_file(rings.path(), "first.json", "k1", &["k1", "k2"]);
    let mut app = TestApp::start_with(|c| c.kms_keys = Some(first)).await;
    app.bucket("rotate").await;
    put_sse_s3(&app, "rotate", "s3-under-k1", b"sse-s3 under k1").await;
    app.client
        .put_object()
        .bucket("rotate")
        .key("kms-under-k2")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id("k2")
        .body(ByteStream::from_static(b"sse-kms under k2"))
        .send()
        .await
        .expect("PUT with k2");

    // k3 becomes the default; k1 and k2 stay.
    let rotated = ring_file(rings.path(), "rotated.json", "k3", &["k1", "k2", "k3"]);
    app.restart_with(|c| c.kms_keys = Some(rotated)).await;
    assert_eq!(app.get("rotate", "s3-under-k1").await, b"sse-s3 under k1");
    assert_eq!(app.get("rotate", "kms-under-k2").await, b"sse-kms under k2");
    assert_eq!(head_sse(&app, "rotate", "kms-under-k2").await.1.as_deref(), Some("k2"));
    let out = app
        .client
        .put_object()
        .bucket("rotate")
        .key("kms-under-k3")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .body(ByteStream::from_static(b"sse-kms under k3"))
        .send()
        .await
        .expect("PUT with the new default");
    assert_eq!(out.ssekms_key_id(), Some("k3"));
    put_sse_s3(&app, "rotate", "s3-under-k3", b"sse-s3 under k3").await;

    // A ring without k1: objects under k1 no longer read (500), the others do.
    let without_k1 = ring_file(rings.path(), "without-k1.json", "k3", &["k2", "k3"]);
    app.restart_with(|c| c.kms_keys = Some(without_k1)).await;
    let (status, code) = s3_error(app.client.get_object().bucket("rotate").key("s3-under-k1").send().await);
    assert_eq!((status, code.as_str()), (500, "InternalError"), "an object whose key left the ring is not readable");
    assert_eq!(app.get("rotate", "kms-under-k2").await, b"sse-kms under k2");
    assert_eq!(app.get("rotate", "kms-under-k3").await, b"sse-kms under k3");
    assert_eq!(app.get("rotate", "s3-under-k3").await, b"sse-s3 under k3");
    app.shutdown().await;
}
