//! Flexible checksums on PutObject: every algorithm through the SDK, verification of
//! wrong or malformed values, the CRC64NVME default, checksum mode on GET and HEAD, and
//! DeleteObjects bodies checked by Content-MD5 or CRC.

use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode};
use base64::Engine;
use s3api::checksum::{self, Checksum};

use crate::common::TestApp;

#[tokio::test]
async fn every_algorithm_is_verified_stored_and_returned() {
    let app = TestApp::start().await;
    app.bucket("algs").await;
    let body = b"the quick brown fox".to_vec();
    let cases = [
        (ChecksumAlgorithm::Crc32, checksum::ChecksumAlgorithm::Crc32),
        (ChecksumAlgorithm::Crc32C, checksum::ChecksumAlgorithm::Crc32c),
        (ChecksumAlgorithm::Crc64Nvme, checksum::ChecksumAlgorithm::Crc64Nvme),
        (ChecksumAlgorithm::Sha1, checksum::ChecksumAlgorithm::Sha1),
        (ChecksumAlgorithm::Sha256, checksum::ChecksumAlgorithm::Sha256),
    ];
    for (sdk, ours) in cases {
        let key = ours.as_str();
        let expected = Checksum::compute(ours, &body).to_base64();
        app.client.put_object().bucket("algs").key(key).checksum_algorithm(sdk).body(body.clone().into()).send().await.unwrap();
        let got = app.client.get_object().bucket("algs").key(key).checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
        let returned = match ours {
            checksum::ChecksumAlgorithm::Crc32 => got.checksum_crc32(),
            checksum::ChecksumAlgorithm::Crc32c => got.checksum_crc32_c(),
            checksum::ChecksumAlgorithm::Crc64Nvme => got.checksum_crc64_nvme(),
            checksum::ChecksumAlgorithm::Sha1 => got.checksum_sha1(),
            checksum::ChecksumAlgorithm::Sha256 => got.checksum_sha256(),
        };
        assert_eq!(returned, Some(expected.as_str()), "{key}");
        assert_eq!(got.body.collect().await.unwrap().into_bytes().to_vec(), body);
        let head = app.client.head_object().bucket("algs").key(key).checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
        assert!(head.checksum_type().is_some());
    }
    app.shutdown().await;
}

#[tokio::test]
async fn without_a_checksum_crc64nvme_is_computed() {
    let app = TestApp::start().await;
    app.bucket("dflt").await;
    let resp = app.raw("PUT", "/dflt/k").body("plain").sign(&app.root.access_key_id, &app.root.secret_access_key).send().await;
    assert_eq!(resp.status, 200);
    let got = app.client.head_object().bucket("dflt").key("k").checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
    let expected = Checksum::compute(checksum::ChecksumAlgorithm::Crc64Nvme, b"plain").to_base64();
    assert_eq!(got.checksum_crc64_nvme(), Some(expected.as_str()));
    // Without checksum mode, no checksum header.
    let plain = app.client.head_object().bucket("dflt").key("k").send().await.unwrap();
    assert_eq!(plain.checksum_crc64_nvme(), None);
    app.shutdown().await;
}

#[tokio::test]
async fn wrong_and_malformed_checksums_are_refused() {
    let app = TestApp::start().await;
    app.bucket("wrong").await;
    let signed = |key: &str, headers: &[(&str, String)]| {
        let mut req = app.raw("PUT", &format!("/wrong/{key}")).body("payload");
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.sign(&app.root.access_key_id, &app.root.secret_access_key)
    };
    let other = Checksum::compute(checksum::ChecksumAlgorithm::Crc32, b"other").to_base64();
    let resp = signed("a", &[("x-amz-checksum-crc32", other)]).send().await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("BadDigest")));
    let resp = signed("b", &[("x-amz-checksum-sha256", "not base64!".into())]).send().await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("InvalidRequest")));
    let good = Checksum::compute(checksum::ChecksumAlgorithm::Crc32, b"payload").to_base64();
    let sha = Checksum::compute(checksum::ChecksumAlgorithm::Sha1, b"payload").to_base64();
    let resp = signed("c", &[("x-amz-checksum-crc32", good.clone()), ("x-amz-checksum-sha1", sha)]).send().await;
    assert_eq!(resp.error_code().as_deref(), Some("InvalidRequest"));
    let resp = signed("d", &[("x-amz-checksum-crc32", good.clone()), ("x-amz-sdk-checksum-algorithm", "SHA256".into())]).send().await;
    assert_eq!(resp.error_code().as_deref(), Some("InvalidRequest"));
    let bad_md5 = base64::engine::general_purpose::STANDARD.encode([0u8; 16]);
    let resp = signed("e", &[("content-md5", bad_md5)]).send().await;
    assert_eq!(resp.error_code().as_deref(), Some("BadDigest"));
    let listed = app.client.list_objects_v2().bucket("wrong").send().await.unwrap();
    assert_eq!(listed.key_count(), Some(0));
    assert!(app.blob_files().is_empty());
    let resp = signed("ok", &[("x-amz-checksum-crc32", good)]).send().await;
    assert_eq!(resp.status, 200);
    app.shutdown().await;
}

#[tokio::test]
async fn delete_objects_bodies_are_checked() {
    let app = TestApp::start().await;
    app.bucket("delchk").await;
    app.put("delchk", "k", b"x".to_vec()).await;
    let body = "<Delete><Object><Key>k</Key></Object></Delete>";
    let wrong_crc = Checksum::compute(checksum::ChecksumAlgorithm::Crc32, b"other").to_base64();
    let resp = app
        .raw("POST", "/delchk?delete")
        .header("x-amz-checksum-crc32", &wrong_crc)
        .body(body)
        .sign(&app.root.access_key_id, &app.root.secret_access_key)
        .send()
        .await;
    assert_eq!(resp.error_code().as_deref(), Some("BadDigest"));
    let wrong_md5 = base64::engine::general_purpose::STANDARD.encode([1u8; 16]);
    let resp =
        app.raw("POST", "/delchk?delete").header("content-md5", &wrong_md5).body(body).sign(&app.root.access_key_id, &app.root.secret_access_key).send().await;
    assert_eq!(resp.error_code().as_deref(), Some("BadDigest"));
    assert_eq!(app.get("delchk", "k").await, b"x");
    let crc = Checksum::compute(checksum::ChecksumAlgorithm::Crc32, body.as_bytes()).to_base64();
    let resp = app
        .raw("POST", "/delchk?delete")
        .header("x-amz-checksum-crc32", &crc)
        .body(body)
        .sign(&app.root.access_key_id, &app.root.secret_access_key)
        .send()
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(resp.text().contains("<Deleted><Key>k</Key></Deleted>"));
    app.shutdown().await;
}
