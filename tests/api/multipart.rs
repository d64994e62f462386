//! Multipart uploads: the whole flow with the SDK's default checksums, the multipart
//! ETag, part validation errors, listing parts and uploads, UploadPartCopy with ranges,
//! abort and expiry freeing parts, and completion without copying data.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, ChecksumType, CompletedMultipartUpload, CompletedPart};
use md5::{Digest, Md5};

use crate::common::{wait_until, TestApp};

const MIB: usize = 1024 * 1024;

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

fn multipart_etag(parts: &[&[u8]]) -> String {
    let mut all = Vec::new();
    for p in parts {
        all.extend_from_slice(&Md5::digest(p));
    }
    format!("\"{}-{}\"", hex::encode(Md5::digest(&all)), parts.len())
}

/// Uploads `parts` as parts 1, 2, … of `upload_id`; the list CompleteMultipartUpload takes.
pub async fn upload_parts(app: &TestApp, bucket: &str, key: &str, upload_id: &str, parts: &[&[u8]]) -> Vec<CompletedPart> {
    let mut done = Vec::new();
    for (i, data) in parts.iter().enumerate() {
        let n = i as i32 + 1;
        let out = app
            .client
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(n)
            .body(ByteStream::from(data.to_vec()))
            .send()
            .await
            .expect("upload part");
        done.push(CompletedPart::builder().part_number(n).e_tag(out.e_tag().unwrap()).set_checksum_crc32(out.checksum_crc32().map(str::to_owned)).build());
    }
    done
}

async fn complete(
    app: &TestApp,
    bucket: &str,
    key: &str,
    upload_id: &str,
    parts: Vec<CompletedPart>,
) -> Result<aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput, String> {
    app.client
        .complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .map_err(|e| e.into_service_error().meta().code().unwrap_or("?").to_owned())
}

#[tokio::test]
async fn upload_complete_and_read_back() {
    let app = TestApp::start().await;
    app.bucket("mpu").await;
    let (p1, p2, p3) = (pattern(5 * MIB, 1), pattern(5 * MIB, 2), pattern(1234, 3));
    let upload = app.client.create_multipart_upload().bucket("mpu").key("big").content_type("text/plain").metadata("k", "v").send().await.unwrap();
    let upload_id = upload.upload_id().unwrap();
    let parts = upload_parts(&app, "mpu", "big", upload_id, &[&p1, &p2, &p3]).await;
    let blobs_before = app.blob_files().len();
    let done = complete(&app, "mpu", "big", upload_id, parts).await.unwrap();
    assert_eq!(done.e_tag(), Some(multipart_etag(&[&p1, &p2, &p3]).as_str()));
    assert_eq!(app.blob_files().len(), blobs_before, "completion copies no data");

    let got = app.get("mpu", "big").await;
    assert_eq!(got, [p1.as_slice(), &p2, &p3].concat());
    let head = app.client.head_object().bucket("mpu").key("big").send().await.unwrap();
    assert_eq!(head.content_type(), Some("text/plain"));
    assert_eq!(head.metadata().unwrap().get("k").map(String::as_str), Some("v"));
    assert_eq!(head.parts_count(), Some(3));
    // A part by number, and a range across a part boundary.
    let part2 = app.client.get_object().bucket("mpu").key("big").part_number(2).send().await.unwrap();
    assert_eq!(part2.content_length(), Some(5 * MIB as i64));
    assert_eq!(part2.body.collect().await.unwrap().into_bytes().to_vec(), p2);
    let range = app.client.get_object().bucket("mpu").key("big").range(format!("bytes={}-{}", 5 * MIB - 2, 5 * MIB + 1)).send().await.unwrap();
    assert_eq!(range.body.collect().await.unwrap().into_bytes().to_vec(), [&p1[5 * MIB - 2..], &p2[..2]].concat());
    // The upload is gone.
    let err = app.client.list_parts().bucket("mpu").key("big").upload_id(upload_id).send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("NoSuchUpload"));
    app.shutdown().await;
}

#[tokio::test]
async fn reading_a_part_number_past_the_last_part_is_invalid_part() {
    let app = TestApp::start().await;
    app.bucket("pnum").await;
    let (p1, p2) = (pattern(5 * MIB, 1), pattern(100, 2));
    let upload = app.client.create_multipart_upload().bucket("pnum").key("multi").send().await.unwrap();
    let upload_id = upload.upload_id().unwrap();
    let parts = upload_parts(&app, "pnum", "multi", upload_id, &[&p1, &p2]).await;
    complete(&app, "pnum", "multi", upload_id, parts).await.unwrap();
    app.put("pnum", "single", b"just one part".to_vec()).await;

    for (key, last) in [("multi", 2), ("single", 1)] {
        for method in ["GET", "HEAD"] {
            let ok = app.send_signed(app.raw(method, &format!("/pnum/{key}?partNumber={last}"))).await;
            assert!(ok.status == 200 || ok.status == 206, "{method} {key} part {last}: {}", ok.status);
            let past = app.send_signed(app.raw(method, &format!("/pnum/{key}?partNumber={}", last + 1))).await;
            assert_eq!(past.status, 400, "{method} {key} part {}", last + 1);
            if method == "GET" {
                assert_eq!(past.error_code().as_deref(), Some("InvalidPart"), "{key}");
            }
        }
    }
    app.shutdown().await;
}

#[tokio::test]
async fn part_validation_errors_leave_the_upload_intact() {
    let app = TestApp::start().await;
    app.bucket("bad").await;
    let upload = app.client.create_multipart_upload().bucket("bad").key("k").send().await.unwrap();
    let upload_id = upload.upload_id().unwrap();
    let (small, big) = (pattern(1000, 1), pattern(5 * MIB, 2));
    let parts = upload_parts(&app, "bad", "k", upload_id, &[&small, &big]).await;

    // Out of order.
    let reversed = vec![parts[1].clone(), parts[0].clone()];
    assert_eq!(complete(&app, "bad", "k", upload_id, reversed).await.unwrap_err(), "InvalidPartOrder");
    // Unknown part and wrong ETag.
    let unknown = vec![CompletedPart::builder().part_number(7).e_tag(parts[0].e_tag().unwrap()).build()];
    assert_eq!(complete(&app, "bad", "k", upload_id, unknown).await.unwrap_err(), "InvalidPart");
    let wrong_etag = vec![CompletedPart::builder().part_number(1).e_tag("\"00000000000000000000000000000000\"").build()];
    assert_eq!(complete(&app, "bad", "k", upload_id, wrong_etag).await.unwrap_err(), "InvalidPart");
    // A small part that is not the last.
    assert_eq!(complete(&app, "bad", "k", upload_id, parts.clone()).await.unwrap_err(), "EntityTooSmall");
    // Malformed and empty bodies.
    let signed =
        |body: &str| app.raw("POST", &format!("/bad/k?uploadId={upload_id}")).body(body.to_owned()).sign(&app.root.access_key_id, &app.root.secret_access_key);
    assert_eq!(signed("<CompleteMultipartUpload><Part>").send().await.error_code().as_deref(), Some("MalformedXML"));
    assert_eq!(signed("<CompleteMultipartUpload></CompleteMultipartUpload>").send().await.error_code().as_deref(), Some("MalformedXML"));
    // Unknown upload.
    assert_eq!(complete(&app, "bad", "k", "nope", parts.clone()).await.unwrap_err(), "NoSuchUpload");
    let err = app.client.upload_part().bucket("bad").key("k").upload_id("nope").part_number(1).body(ByteStream::from(vec![1])).send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("NoSuchUpload"));
    let err = app.client.upload_part().bucket("bad").key("other").upload_id(upload_id).part_number(1).body(ByteStream::from(vec![1])).send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("NoSuchUpload"), "an upload belongs to its key");
    // Bad part numbers.
    for n in ["0", "10001", "x"] {
        let resp = app
            .raw("PUT", &format!("/bad/k?partNumber={n}&uploadId={upload_id}"))
            .body("x")
            .sign(&app.root.access_key_id, &app.root.secret_access_key)
            .send()
            .await;
        assert_eq!(resp.error_code().as_deref(), Some("InvalidArgument"), "part number {n}");
    }

    // Nothing was stored, the upload still works: finish it with the big part only.
    assert!(app.client.head_object().bucket("bad").key("k").send().await.is_err());
    let listed = app.client.list_parts().bucket("bad").key("k").upload_id(upload_id).send().await.unwrap();
    assert_eq!(listed.parts().len(), 2);
    let only_last = vec![parts[1].clone()];
    complete(&app, "bad", "k", upload_id, only_last).await.unwrap();
    assert_eq!(app.get("bad", "k").await, big);
    // The unused part's blob is freed.
    wait_until("1 blob files remain", || async { app.blob_files().len() == 1 }).await;
    app.shutdown().await;
}

#[tokio::test]
async fn replacing_a_part_and_listing_parts_in_pages() {
    let app = TestApp::start().await;
    app.bucket("lsp").await;
    let upload = app.client.create_multipart_upload().bucket("lsp").key("k").send().await.unwrap();
    let upload_id = upload.upload_id().unwrap();
    for n in 1..=5 {
        app.client.upload_part().bucket("lsp").key("k").upload_id(upload_id).part_number(n).body(ByteStream::from(vec![n as u8; 100])).send().await.unwrap();
    }
    // Uploading part 3 again replaces it.
    let again = app.client.upload_part().bucket("lsp").key("k").upload_id(upload_id).part_number(3).body(ByteStream::from(vec![9u8; 50])).send().await.unwrap();
    wait_until("5 blob files remain", || async { app.blob_files().len() == 5 }).await;
    let page1 = app.client.list_parts().bucket("lsp").key("k").upload_id(upload_id).max_parts(2).send().await.unwrap();
    assert_eq!(page1.parts().iter().map(|p| p.part_number().unwrap()).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(page1.is_truncated(), Some(true));
    let page2 = app
        .client
        .list_parts()
        .bucket("lsp")
        .key("k")
        .upload_id(upload_id)
        .max_parts(2)
        .part_number_marker(page1.next_part_number_marker().unwrap())
        .send()
        .await
        .unwrap();
    let third = &page2.parts()[0];
    assert_eq!((third.part_number(), third.size(), third.e_tag()), (Some(3), Some(50), again.e_tag()));
    app.shutdown().await;
}

#[tokio::test]
async fn list_multipart_uploads_with_prefix_delimiter_and_markers() {
    let app = TestApp::start().await;
    app.bucket("lsu").await;
    let mut ids = Vec::new();
    for key in ["a/1", "a/2", "b", "b", "c"] {
        let out = app.client.create_multipart_upload().bucket("lsu").key(key).send().await.unwrap();
        ids.push((key.to_owned(), out.upload_id().unwrap().to_owned()));
    }
    let all = app.client.list_multipart_uploads().bucket("lsu").send().await.unwrap();
    let listed: Vec<(String, String)> = all.uploads().iter().map(|u| (u.key().unwrap().to_owned(), u.upload_id().unwrap().to_owned())).collect();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(listed, expected);

    let rolled = app.client.list_multipart_uploads().bucket("lsu").delimiter("/").send().await.unwrap();
    assert_eq!(rolled.common_prefixes().iter().map(|p| p.prefix().unwrap()).collect::<Vec<_>>(), vec!["a/"]);
    assert_eq!(rolled.uploads().len(), 3);

    let page = app.client.list_multipart_uploads().bucket("lsu").max_uploads(3).send().await.unwrap();
    assert_eq!(page.is_truncated(), Some(true));
    let rest = app
        .client
        .list_multipart_uploads()
        .bucket("lsu")
        .key_marker(page.next_key_marker().unwrap())
        .upload_id_marker(page.next_upload_id_marker().unwrap())
        .send()
        .await
        .unwrap();
    let mut walked: Vec<(String, String)> =
        page.uploads().iter().chain(rest.uploads()).map(|u| (u.key().unwrap().to_owned(), u.upload_id().unwrap().to_owned())).collect();
    walked.dedup();
    assert_eq!(walked, expected);
    let prefixed = app.client.list_multipart_uploads().bucket("lsu").prefix("b").send().await.unwrap();
    assert_eq!(prefixed.uploads().len(), 2);
    app.shutdown().await;
}

/// A client that lost the answer to its CompleteMultipartUpload retries it: AWS answers
/// 200 with the same result again. Another part list, or an aborted upload, is still
/// `NoSuchUpload`.
#[tokio::test]
async fn a_retried_complete_gets_the_same_answer() {
    let app = TestApp::start().await;
    app.bucket("retry").await;
    let (one, two) = (pattern(5 * 1024 * 1024, 1), pattern(1000, 2));
    let upload = app.client.create_multipart_upload().bucket("retry").key("k").checksum_algorithm(ChecksumAlgorithm::Crc32).send().await.unwrap();
    let upload_id = upload.upload_id().unwrap();
    let parts = upload_parts(&app, "retry", "k", upload_id, &[&one, &two]).await;
    let first = complete(&app, "retry", "k", upload_id, parts.clone()).await.expect("complete");
    let again = complete(&app, "retry", "k", upload_id, parts.clone()).await.expect("a retried complete succeeds");
    assert_eq!(again.e_tag(), first.e_tag());
    assert_eq!(again.e_tag(), Some(multipart_etag(&[&one, &two]).as_str()));
    assert_eq!((again.checksum_crc32(), again.checksum_type()), (first.checksum_crc32(), first.checksum_type()));
    assert!(again.checksum_crc32().is_some());
    assert_eq!(app.keys("retry").await, ["k"]);
    // A different list for the same (finished) upload: it no longer exists.
    assert_eq!(complete(&app, "retry", "k", upload_id, parts[..1].to_vec()).await.unwrap_err(), "NoSuchUpload");
    // An aborted upload never completes.
    let aborted = app.client.create_multipart_upload().bucket("retry").key("k").send().await.unwrap();
    let aborted_id = aborted.upload_id().unwrap();
    let aborted_parts = upload_parts(&app, "retry", "k", aborted_id, &[&pattern(1000, 3)]).await;
    app.client.abort_multipart_upload().bucket("retry").key("k").upload_id(aborted_id).send().await.unwrap();
    assert_eq!(complete(&app, "retry", "k", aborted_id, aborted_parts).await.unwrap_err(), "NoSuchUpload");
    assert_eq!(app.get("retry", "k").await.len(), one.len() + two.len(), "the completed object is untouched");
    app.shutdown().await;
}

#[tokio::test]
async fn abort_frees_parts() {
    let app = TestApp::start().await;
    app.bucket("abort").await;
    let upload = app.client.create_multipart_upload().bucket("abort").key("k").send().await.unwrap();
    let upload_id = upload.upload_id().unwrap();
    upload_parts(&app, "abort", "k", upload_id, &[&pattern(1000, 1), &pattern(1000, 2)]).await;
    assert_eq!(app.blob_files().len(), 2);
    app.client.abort_multipart_upload().bucket("abort").key("k").upload_id(upload_id).send().await.unwrap();
    wait_until("every blob is freed", || async { app.blob_files().is_empty() }).await;
    let err = app.client.abort_multipart_upload().bucket("abort").key("k").upload_id(upload_id).send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("NoSuchUpload"));
    app.shutdown().await;
}

#[tokio::test]
async fn abandoned_uploads_expire() {
    let app = TestApp::start_with(|c| {
        c.multipart_max_age_secs = 0;
        c.sweep_interval_secs = 1;
    })
    .await;
    app.bucket("old").await;
    let upload = app.client.create_multipart_upload().bucket("old").key("k").send().await.unwrap();
    let upload_id = upload.upload_id().unwrap();
    upload_parts(&app, "old", "k", upload_id, &[&pattern(1000, 1)]).await;
    // Within its first sweeps the collector aborts the upload and frees its part.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let uploads = app.client.list_multipart_uploads().bucket("old").send().await.unwrap();
        if uploads.uploads().is_empty() && app.blob_files().is_empty() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "upload did not expire");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    app.shutdown().await;
}

#[tokio::test]
async fn upload_part_copy_with_ranges() {
    let app = TestApp::start().await;
    app.bucket("upc").await;
    let source = pattern(6 * MIB, 7);
    app.put("upc", "src", source.clone()).await;
    let upload = app.client.create_multipart_upload().bucket("upc").key("dst").send().await.unwrap();
    let upload_id = upload.upload_id().unwrap();
    let first = app
        .client
        .upload_part_copy()
        .bucket("upc")
        .key("dst")
        .upload_id(upload_id)
        .part_number(1)
        .copy_source("upc/src")
        .copy_source_range(format!("bytes=0-{}", 5 * MIB - 1))
        .send()
        .await
        .unwrap();
    let second = app
        .client
        .upload_part_copy()
        .bucket("upc")
        .key("dst")
        .upload_id(upload_id)
        .part_number(2)
        .copy_source("upc/src")
        .copy_source_range("bytes=100-199")
        .send()
        .await
        .unwrap();
    let err = app
        .client
        .upload_part_copy()
        .bucket("upc")
        .key("dst")
        .upload_id(upload_id)
        .part_number(3)
        .copy_source("upc/src")
        .copy_source_range(format!("bytes=0-{}", 6 * MIB))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("InvalidRange"));
    let err = app.client.upload_part_copy().bucket("upc").key("dst").upload_id(upload_id).part_number(3).copy_source("upc/missing").send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("NoSuchKey"));
    let parts = vec![
        CompletedPart::builder().part_number(1).e_tag(first.copy_part_result().unwrap().e_tag().unwrap()).build(),
        CompletedPart::builder().part_number(2).e_tag(second.copy_part_result().unwrap().e_tag().unwrap()).build(),
    ];
    complete(&app, "upc", "dst", upload_id, parts).await.unwrap();
    assert_eq!(app.get("upc", "dst").await, [&source[..5 * MIB], &source[100..200]].concat());
    app.shutdown().await;
}

#[tokio::test]
async fn multipart_checksums_composite_and_full_object() {
    let app = TestApp::start().await;
    app.bucket("cksum").await;
    let (p1, p2) = (pattern(5 * MIB, 1), pattern(777, 2));
    let whole = [p1.as_slice(), &p2].concat();

    // COMPOSITE CRC32: checksum of the part checksums, "-2".
    let upload = app.client.create_multipart_upload().bucket("cksum").key("composite").checksum_algorithm(ChecksumAlgorithm::Crc32).send().await.unwrap();
    let upload_id = upload.upload_id().unwrap();
    let mut parts = Vec::new();
    for (i, data) in [&p1, &p2].iter().enumerate() {
        let out = app
            .client
            .upload_part()
            .bucket("cksum")
            .key("composite")
            .upload_id(upload_id)
            .part_number(i as i32 + 1)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from(data.to_vec()))
            .send()
            .await
            .unwrap();
        parts.push(CompletedPart::builder().part_number(i as i32 + 1).e_tag(out.e_tag().unwrap()).checksum_crc32(out.checksum_crc32().unwrap()).build());
    }
    let done = complete(&app, "cksum", "composite", upload_id, parts).await.unwrap();
    let composite = done.checksum_crc32().unwrap().to_owned();
    assert!(composite.ends_with("-2"), "{composite}");
    let got = app.client.get_object().bucket("cksum").key("composite").checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
    assert_eq!(got.checksum_crc32(), Some(composite.as_str()));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().to_vec(), whole);

    // FULL_OBJECT CRC64NVME: the CRC of the whole object, combined from the parts.
    let upload = app
        .client
        .create_multipart_upload()
        .bucket("cksum")
        .key("full")
        .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
        .checksum_type(ChecksumType::FullObject)
        .send()
        .await
        .unwrap();
    let upload_id = upload.upload_id().unwrap();
    let mut parts = Vec::new();
    for (i, data) in [&p1, &p2].iter().enumerate() {
        let out = app
            .client
            .upload_part()
            .bucket("cksum")
            .key("full")
            .upload_id(upload_id)
            .part_number(i as i32 + 1)
            .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
            .body(ByteStream::from(data.to_vec()))
            .send()
            .await
            .unwrap();
        parts.push(CompletedPart::builder().part_number(i as i32 + 1).e_tag(out.e_tag().unwrap()).build());
    }
    let done = complete(&app, "cksum", "full", upload_id, parts).await.unwrap();
    let expected = s3api::checksum::Checksum::compute(s3api::checksum::ChecksumAlgorithm::Crc64Nvme, &whole).to_base64();
    assert_eq!(done.checksum_crc64_nvme(), Some(expected.as_str()));
    assert_eq!(done.checksum_type(), Some(&ChecksumType::FullObject));
    let attrs = app
        .client
        .get_object_attributes()
        .bucket("cksum")
        .key("full")
        .object_attributes(aws_sdk_s3::types::ObjectAttributes::Checksum)
        .object_attributes(aws_sdk_s3::types::ObjectAttributes::ObjectParts)
        .object_attributes(aws_sdk_s3::types::ObjectAttributes::ObjectSize)
        .object_attributes(aws_sdk_s3::types::ObjectAttributes::Etag)
        .send()
        .await
        .unwrap();
    assert_eq!(attrs.checksum().and_then(|c| c.checksum_crc64_nvme()), Some(expected.as_str()));
    assert_eq!(attrs.object_size(), Some(whole.len() as i64));
    assert_eq!(attrs.object_parts().and_then(|p| p.total_parts_count()), Some(2));
    assert!(attrs.e_tag().unwrap().ends_with("-2"));
    // SHA256 cannot be FULL_OBJECT.
    let err = app
        .client
        .create_multipart_upload()
        .bucket("cksum")
        .key("x")
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .checksum_type(ChecksumType::FullObject)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("InvalidRequest"));
    app.shutdown().await;
}

#[tokio::test]
async fn conditional_complete() {
    let app = TestApp::start().await;
    app.bucket("cond").await;
    app.put("cond", "exists", b"old".to_vec()).await;
    let upload = app.client.create_multipart_upload().bucket("cond").key("exists").send().await.unwrap();
    let upload_id = upload.upload_id().unwrap();
    let parts = upload_parts(&app, "cond", "exists", upload_id, &[b"new"]).await;
    let err = app
        .client
        .complete_multipart_upload()
        .bucket("cond")
        .key("exists")
        .upload_id(upload_id)
        .if_none_match("*")
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts.clone())).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(412));
    assert_eq!(app.get("cond", "exists").await, b"old");
    complete(&app, "cond", "exists", upload_id, parts).await.unwrap();
    assert_eq!(app.get("cond", "exists").await, b"new");
    app.shutdown().await;
}
