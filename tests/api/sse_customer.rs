//! Server-side encryption with a customer's key (SSE-C) through the SDK: the key needed
//! for every read (none refused, another key refused, whole, ranged and HEAD), the
//! key-MD5 checked, a key for an object not stored under one refused, plain HTTP refused
//! unless allowed, and multipart uploads that need the key for every part. Copies
//! (CopyObject, onto itself included, and UploadPartCopy) decrypt their source, with the
//! source's key where it has one, and encrypt as the destination asks.
//!
//! The ETag of an SSE-C object or part is a digest of its plaintext keyed by the object's
//! data key, so that nobody without the key can confirm a guessed content by its ETag.
//! The helpers shared with the other encryption tests are in `sse`.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, MetadataDirective, ServerSideEncryption};
use md5::{Digest, Md5};

use crate::common::{etag_of, s3_error, TestApp};
use crate::sse::{
    body_of, get_sse_c, head_sse, multipart_etag, pattern, put_sse_c, put_sse_s3, sse_s3_default, with_key, with_source_key, CustomerKey, CHUNK, KIB, MIB,
};

/// A server that takes SSE-C keys over plain HTTP (the test server has no TLS).
async fn start_sse_c() -> TestApp {
    TestApp::start_with(|c| c.allow_insecure_sse_c = true).await
}

/// Whether `etag` is a quoted 32-digit hex digest, and not the MD5 of `plain`: the ETag
/// of an SSE-C object or part.
fn is_keyed_etag(etag: Option<&str>, plain: &[u8]) -> bool {
    etag.is_some_and(|e| e.len() == 34 && e.starts_with('"') && e.ends_with('"') && e[1..33].bytes().all(|b| b.is_ascii_hexdigit()) && e != etag_of(plain))
}

#[tokio::test]
async fn sse_c_objects_are_read_only_with_their_key() {
    let app = start_sse_c().await;
    app.bucket("sse-c").await;
    let customer = CustomerKey::random();
    let other = CustomerKey::random();
    let body = pattern(150 * KIB + 9, 7);
    let out =
        with_key!(app.client.put_object().bucket("sse-c").key("secret"), customer).body(ByteStream::from(body.clone())).send().await.expect("PUT with SSE-C");
    assert_eq!(out.sse_customer_algorithm(), Some("AES256"));
    assert_eq!(out.sse_customer_key_md5(), Some(customer.md5.as_str()));
    assert_eq!(out.server_side_encryption(), None);
    assert!(is_keyed_etag(out.e_tag(), &body), "an SSE-C ETag is no MD5 of the plaintext: {:?}", out.e_tag());
    let etag = out.e_tag().unwrap().to_owned();
    // The same bytes under the same key get another data key, so another ETag.
    let again = with_key!(app.client.put_object().bucket("sse-c").key("again"), customer).body(ByteStream::from(body.clone())).send().await.expect("PUT again");
    assert!(is_keyed_etag(again.e_tag(), &body));
    assert_ne!(again.e_tag(), Some(etag.as_str()), "ETags of SSE-C objects do not reveal equal contents");
    app.client.delete_object().bucket("sse-c").key("again").send().await.expect("DELETE");

    // Without the key: InvalidRequest; with another key: AccessDenied.
    let (status, code) = s3_error(app.client.get_object().bucket("sse-c").key("secret").send().await);
    assert_eq!((status, code.as_str()), (400, "InvalidRequest"));
    assert_eq!(s3_error(app.client.head_object().bucket("sse-c").key("secret").send().await).0, 400);
    let (status, code) = s3_error(with_key!(app.client.get_object().bucket("sse-c").key("secret"), other).send().await);
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(s3_error(with_key!(app.client.head_object().bucket("sse-c").key("secret"), other).send().await).0, 403);
    let (status, code) = s3_error(with_key!(app.client.get_object().bucket("sse-c").key("secret"), other).range("bytes=0-9").send().await);
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));

    // With the key: the bytes, and the headers echoed.
    let got = with_key!(app.client.get_object().bucket("sse-c").key("secret"), customer).send().await.expect("GET with the key");
    assert_eq!(got.sse_customer_algorithm(), Some("AES256"));
    assert_eq!(got.sse_customer_key_md5(), Some(customer.md5.as_str()));
    assert_eq!(got.e_tag(), Some(etag.as_str()), "GET answers the ETag PUT did");
    assert!(body_of(got).await == body, "GET with the key returns the plaintext");
    let head = with_key!(app.client.head_object().bucket("sse-c").key("secret"), customer).send().await.expect("HEAD with the key");
    assert_eq!(head.sse_customer_algorithm(), Some("AES256"));
    assert_eq!(head.sse_customer_key_md5(), Some(customer.md5.as_str()));
    assert_eq!(head.content_length(), Some(body.len() as i64));
    assert_eq!(head.e_tag(), Some(etag.as_str()), "HEAD answers the ETag PUT did");
    let range = format!("bytes={}-{}", CHUNK - 5, 2 * CHUNK + 5);
    let got = with_key!(app.client.get_object().bucket("sse-c").key("secret"), customer).range(&range).send().await.expect("a range with the key");
    assert!(body_of(got).await == body[CHUNK - 5..=2 * CHUNK + 5], "the range reads back");

    // The refused reads changed nothing: a listing still shows it, the key still reads it.
    assert_eq!(app.keys("sse-c").await, ["secret"]);
    let listed = app.client.list_objects_v2().bucket("sse-c").send().await.expect("ListObjectsV2");
    assert_eq!(listed.contents()[0].e_tag(), Some(etag.as_str()), "a listing shows the keyed ETag");
    assert!(get_sse_c(&app, "sse-c", "secret", &customer).await == body);
    app.shutdown().await;
}

#[tokio::test]
async fn sse_c_refuses_a_wrong_key_md5_and_keys_for_plain_objects() {
    let app = start_sse_c().await;
    app.bucket("sse-c-bad").await;
    let customer = CustomerKey::random();
    let other = CustomerKey::random();

    // A key-MD5 that is not the key's: InvalidArgument, nothing stored.
    let refused = app
        .client
        .put_object()
        .bucket("sse-c-bad")
        .key("mismatch")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&customer.key)
        .sse_customer_key_md5(&other.md5)
        .body(ByteStream::from(pattern(40 * KIB, 8)))
        .send()
        .await;
    assert_eq!(s3_error(refused), (400, "InvalidArgument".to_owned()));
    assert_eq!(s3_error(app.client.head_object().bucket("sse-c-bad").key("mismatch").send().await).0, 404);
    assert!(app.keys("sse-c-bad").await.is_empty());
    assert!(app.blob_files().is_empty(), "no blob was kept: {:?}", app.blob_files());

    // A customer key for an object stored in the clear: InvalidRequest.
    app.put("sse-c-bad", "plain", b"in the clear".to_vec()).await;
    let (status, code) = s3_error(with_key!(app.client.get_object().bucket("sse-c-bad").key("plain"), customer).send().await);
    assert_eq!((status, code.as_str()), (400, "InvalidRequest"));
    assert_eq!(s3_error(with_key!(app.client.head_object().bucket("sse-c-bad").key("plain"), customer).send().await).0, 400);
    // …and for an SSE-S3 object.
    put_sse_s3(&app, "sse-c-bad", "sse-s3", b"sse-s3").await;
    let (status, code) = s3_error(with_key!(app.client.get_object().bucket("sse-c-bad").key("sse-s3"), customer).send().await);
    assert_eq!((status, code.as_str()), (400, "InvalidRequest"));
    assert_eq!(app.get("sse-c-bad", "plain").await, b"in the clear");
    assert_eq!(app.get("sse-c-bad", "sse-s3").await, b"sse-s3");
    app.shutdown().await;
}

#[tokio::test]
async fn sse_c_over_plain_http_is_refused_unless_allowed() {
    let app = TestApp::start().await;
    app.bucket("no-tls").await;
    let customer = CustomerKey::random();
    let refused = with_key!(app.client.put_object().bucket("no-tls").key("k"), customer).body(ByteStream::from(pattern(40 * KIB, 9))).send().await;
    assert_eq!(s3_error(refused), (400, "InvalidRequest".to_owned()));
    assert_eq!(s3_error(app.client.head_object().bucket("no-tls").key("k").send().await).0, 404);
    assert!(app.keys("no-tls").await.is_empty());
    assert!(app.blob_files().is_empty(), "no blob was kept: {:?}", app.blob_files());
    // A read with a key is refused the same way.
    app.put("no-tls", "plain", b"plain".to_vec()).await;
    let (status, code) = s3_error(with_key!(app.client.get_object().bucket("no-tls").key("plain"), customer).send().await);
    assert_eq!((status, code.as_str()), (400, "InvalidRequest"));
    let refused = app.client.create_multipart_upload().bucket("no-tls").key("mpu").sse_customer_algorithm("AES256");
    let refused = refused.sse_customer_key(&customer.key).sse_customer_key_md5(&customer.md5).send().await;
    assert_eq!(s3_error(refused), (400, "InvalidRequest".to_owned()));
    let uploads = app.client.list_multipart_uploads().bucket("no-tls").send().await.expect("ListMultipartUploads");
    assert!(uploads.uploads().is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn multipart_uploads_with_sse_c_need_the_key_for_every_part() {
    let app = start_sse_c().await;
    app.bucket("mpu-c").await;
    let customer = CustomerKey::random();
    let created = with_key!(app.client.create_multipart_upload().bucket("mpu-c").key("big"), customer).send().await.expect("CreateMultipartUpload with SSE-C");
    assert_eq!(created.sse_customer_algorithm(), Some("AES256"));
    assert_eq!(created.sse_customer_key_md5(), Some(customer.md5.as_str()));
    let upload_id = created.upload_id().expect("an upload id").to_owned();
    let parts = [pattern(5 * MIB, 10), pattern(3 * KIB, 11)];
    let mut part_etags = Vec::new();

    // A part without the key: InvalidRequest, and no part is recorded.
    let refused =
        app.client.upload_part().bucket("mpu-c").key("big").upload_id(&upload_id).part_number(1).body(ByteStream::from(parts[0].clone())).send().await;
    assert_eq!(s3_error(refused), (400, "InvalidRequest".to_owned()));
    let listed = app.client.list_parts().bucket("mpu-c").key("big").upload_id(&upload_id).send().await.expect("ListParts");
    assert!(listed.parts().is_empty(), "{:?}", listed.parts());

    let mut completed = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let n = i as i32 + 1;
        let out = with_key!(app.client.upload_part().bucket("mpu-c").key("big").upload_id(&upload_id).part_number(n), customer)
            .body(ByteStream::from(part.clone()))
            .send()
            .await
            .expect("UploadPart with the key");
        assert_eq!(out.sse_customer_algorithm(), Some("AES256"), "part {n}");
        assert_eq!(out.sse_customer_key_md5(), Some(customer.md5.as_str()), "part {n}");
        assert!(is_keyed_etag(out.e_tag(), part), "part {n}: an SSE-C part's ETag is no MD5 of its plaintext: {:?}", out.e_tag());
        part_etags.push(out.e_tag().unwrap().to_owned());
        completed.push(CompletedPart::builder().part_number(n).e_tag(out.e_tag().unwrap()).set_checksum_crc32(out.checksum_crc32().map(str::to_owned)).build());
    }
    let done = app
        .client
        .complete_multipart_upload()
        .bucket("mpu-c")
        .key("big")
        .upload_id(&upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(completed)).build())
        .send()
        .await
        .expect("CompleteMultipartUpload");
    // The multipart ETag: the MD5 of the parts' (keyed) digests, and their count.
    let mut digests = Vec::new();
    for etag in &part_etags {
        digests.extend(hex::decode(etag.trim_matches('"')).expect("hex"));
    }
    let expected = format!("\"{}-2\"", hex::encode(Md5::digest(&digests)));
    assert_eq!(done.e_tag(), Some(expected.as_str()));
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    assert_ne!(done.e_tag(), Some(multipart_etag(&refs).as_str()), "the multipart ETag reveals no plaintext MD5");

    let whole = parts.concat();
    assert!(get_sse_c(&app, "mpu-c", "big", &customer).await == whole, "the object reads back with the key");
    let (status, code) = s3_error(app.client.get_object().bucket("mpu-c").key("big").send().await);
    assert_eq!((status, code.as_str()), (400, "InvalidRequest"));
    let range = format!("bytes={}-{}", 5 * MIB - 10, 5 * MIB + 10);
    let got = with_key!(app.client.get_object().bucket("mpu-c").key("big"), customer).range(&range).send().await.expect("a range with the key");
    assert!(body_of(got).await == whole[5 * MIB - 10..=5 * MIB + 10], "the range across the parts reads back");
    app.shutdown().await;
}

#[tokio::test]
async fn copies_decrypt_the_source_and_encrypt_as_the_destination_asks() {
    let app = TestApp::start().await;
    app.bucket("copy-src").await;
    app.bucket("copy-dst").await;
    let body = pattern(70 * KIB, 12);
    put_sse_s3(&app, "copy-src", "encrypted", &body).await;
    app.put("copy-src", "plain", body.clone()).await;

    // SSE-S3 source, no encryption asked, no bucket default: a plain destination.
    let out = app.client.copy_object().bucket("copy-dst").key("decrypted").copy_source("copy-src/encrypted").send().await.expect("CopyObject");
    assert_eq!(out.server_side_encryption(), None);
    assert_eq!(out.copy_object_result().and_then(|r| r.e_tag()), Some(etag_of(&body).as_str()));
    assert_eq!(head_sse(&app, "copy-dst", "decrypted").await, (None, None));
    assert!(app.get("copy-dst", "decrypted").await == body);

    // Plain source, SSE-S3 asked: an encrypted destination.
    let out = app
        .client
        .copy_object()
        .bucket("copy-dst")
        .key("encrypted")
        .copy_source("copy-src/plain")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .expect("CopyObject with SSE-S3");
    assert_eq!(out.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(head_sse(&app, "copy-dst", "encrypted").await.0, Some(ServerSideEncryption::Aes256));
    assert!(app.get("copy-dst", "encrypted").await == body);

    // Into a bucket with an SSE-S3 default: encrypted without headers.
    app.bucket("copy-defaulted").await;
    app.client
        .put_bucket_encryption()
        .bucket("copy-defaulted")
        .server_side_encryption_configuration(sse_s3_default())
        .send()
        .await
        .expect("PutBucketEncryption");
    app.client.copy_object().bucket("copy-defaulted").key("k").copy_source("copy-src/plain").send().await.expect("CopyObject");
    assert_eq!(head_sse(&app, "copy-defaulted", "k").await.0, Some(ServerSideEncryption::Aes256));
    assert!(app.get("copy-defaulted", "k").await == body);
    // The sources are unchanged.
    assert_eq!(head_sse(&app, "copy-src", "encrypted").await.0, Some(ServerSideEncryption::Aes256));
    assert_eq!(head_sse(&app, "copy-src", "plain").await.0, None);
    app.shutdown().await;
}

#[tokio::test]
async fn copying_an_sse_c_source_needs_its_key() {
    let app = start_sse_c().await;
    app.bucket("copy-c").await;
    let customer = CustomerKey::random();
    let body = pattern(90 * KIB, 13);
    put_sse_c(&app, "copy-c", "source", &body, &customer).await;

    // Without the copy-source key: InvalidRequest, no destination.
    let refused =
        app.client.copy_object().bucket("copy-c").key("dest").copy_source("copy-c/source").server_side_encryption(ServerSideEncryption::Aes256).send().await;
    assert_eq!(s3_error(refused), (400, "InvalidRequest".to_owned()));
    assert_eq!(s3_error(app.client.head_object().bucket("copy-c").key("dest").send().await).0, 404);
    assert_eq!(app.keys("copy-c").await, ["source"]);

    // With it, to SSE-S3: readable without any key.
    let out = with_source_key!(app.client.copy_object().bucket("copy-c").key("dest").copy_source("copy-c/source"), customer)
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .expect("CopyObject with the source's key");
    assert_eq!(out.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(out.copy_object_result().and_then(|r| r.e_tag()), Some(etag_of(&body).as_str()), "an SSE-S3 copy's ETag is the plaintext's MD5");
    assert_eq!(head_sse(&app, "copy-c", "dest").await.0, Some(ServerSideEncryption::Aes256));
    assert!(app.get("copy-c", "dest").await == body, "the copy reads back without a key");
    // The source still needs its key.
    assert_eq!(s3_error(app.client.get_object().bucket("copy-c").key("source").send().await).0, 400);
    assert!(get_sse_c(&app, "copy-c", "source", &customer).await == body);

    // With it, to another customer key.
    let second = CustomerKey::random();
    let out = with_key!(with_source_key!(app.client.copy_object().bucket("copy-c").key("rekeyed").copy_source("copy-c/source"), customer), second)
        .send()
        .await
        .expect("CopyObject to a new customer key");
    assert_eq!(out.sse_customer_key_md5(), Some(second.md5.as_str()));
    let rekeyed_etag = out.copy_object_result().and_then(|r| r.e_tag()).map(str::to_owned);
    assert!(is_keyed_etag(rekeyed_etag.as_deref(), &body), "{rekeyed_etag:?}");
    let source_etag = with_key!(app.client.head_object().bucket("copy-c").key("source"), customer).send().await.expect("HEAD").e_tag().map(str::to_owned);
    assert_ne!(rekeyed_etag, source_etag, "the copy has its own data key, so its own ETag");
    assert!(get_sse_c(&app, "copy-c", "rekeyed", &second).await == body);
    let (status, code) = s3_error(with_key!(app.client.get_object().bucket("copy-c").key("rekeyed"), customer).send().await);
    assert_eq!((status, code.as_str()), (403, "AccessDenied"), "the old key does not open the new copy");
    app.shutdown().await;
}

#[tokio::test]
async fn an_object_copied_onto_itself_can_change_its_encryption() {
    let app = TestApp::start().await;
    app.bucket("self-copy").await;
    let body = pattern(33 * KIB, 14);
    app.client
        .put_object()
        .bucket("self-copy")
        .key("k")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .content_type("application/x-test")
        .metadata("owner", "ann")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .expect("PUT with SSE-S3");
    let out = app
        .client
        .copy_object()
        .bucket("self-copy")
        .key("k")
        .copy_source("self-copy/k")
        .metadata_directive(MetadataDirective::Copy)
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .send()
        .await
        .expect("a copy onto itself that changes the encryption");
    assert_eq!(out.server_side_encryption(), Some(&ServerSideEncryption::AwsKms));
    let head = app.client.head_object().bucket("self-copy").key("k").send().await.expect("HEAD");
    assert_eq!(head.server_side_encryption(), Some(&ServerSideEncryption::AwsKms));
    assert!(head.ssekms_key_id().is_some());
    assert_eq!(head.content_type(), Some("application/x-test"));
    assert_eq!(head.metadata().and_then(|m| m.get("owner")).map(String::as_str), Some("ann"));
    assert_eq!(head.e_tag(), Some(etag_of(&body).as_str()));
    assert!(app.get("self-copy", "k").await == body);
    app.shutdown().await;
}

#[tokio::test]
async fn upload_part_copy_decrypts_an_sse_c_source_into_an_sse_s3_upload() {
    let app = start_sse_c().await;
    app.bucket("part-copy").await;
    let customer = CustomerKey::random();
    let source = pattern(5 * MIB + 17, 15);
    put_sse_c(&app, "part-copy", "source", &source, &customer).await;
    let tail = pattern(2 * KIB, 16);

    let created = app
        .client
        .create_multipart_upload()
        .bucket("part-copy")
        .key("assembled")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .expect("CreateMultipartUpload");
    let upload_id = created.upload_id().unwrap().to_owned();

    // Without the source's key: InvalidRequest, no part.
    let refused =
        app.client.upload_part_copy().bucket("part-copy").key("assembled").upload_id(&upload_id).part_number(1).copy_source("part-copy/source").send().await;
    assert_eq!(s3_error(refused), (400, "InvalidRequest".to_owned()));
    let listed = app.client.list_parts().bucket("part-copy").key("assembled").upload_id(&upload_id).send().await.expect("ListParts");
    assert!(listed.parts().is_empty(), "{:?}", listed.parts());

    let copied = with_source_key!(
        app.client.upload_part_copy().bucket("part-copy").key("assembled").upload_id(&upload_id).part_number(1).copy_source("part-copy/source"),
        customer
    )
    .send()
    .await
    .expect("UploadPartCopy with the source's key");
    assert_eq!(copied.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    let part1 = copied.copy_part_result().and_then(|r| r.e_tag()).expect("the part's ETag").to_owned();
    assert_eq!(part1, etag_of(&source));
    let part2 = app
        .client
        .upload_part()
        .bucket("part-copy")
        .key("assembled")
        .upload_id(&upload_id)
        .part_number(2)
        .body(ByteStream::from(tail.clone()))
        .send()
        .await
        .expect("UploadPart");
    let completed = vec![
        CompletedPart::builder().part_number(1).e_tag(part1).build(),
        CompletedPart::builder().part_number(2).e_tag(part2.e_tag().unwrap()).set_checksum_crc32(part2.checksum_crc32().map(str::to_owned)).build(),
    ];
    app.client
        .complete_multipart_upload()
        .bucket("part-copy")
        .key("assembled")
        .upload_id(&upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(completed)).build())
        .send()
        .await
        .expect("CompleteMultipartUpload");
    assert_eq!(head_sse(&app, "part-copy", "assembled").await.0, Some(ServerSideEncryption::Aes256));
    assert!(app.get("part-copy", "assembled").await == [source.as_slice(), tail.as_slice()].concat(), "the assembled object reads back without a key");
    app.shutdown().await;
}
