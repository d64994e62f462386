//! Server-side encryption through the SDK: SSE-S3, SSE-KMS (the key ring's default, a
//! named key by id, alias or ARN, the bucket-key flag, key rotation across restarts),
//! SSE-C (the customer's key needed for every read, a wrong key refused, the key-MD5
//! checked, plain HTTP refused unless allowed) and a bucket's default encryption; each
//! read back as the exact plaintext with the encryption headers, whole, by ranges that
//! cross the 64 KiB chunks and by part. Multipart uploads and copies (CopyObject and
//! UploadPartCopy) decrypt their source and encrypt as the destination asks.
//!
//! Behind the API: the plaintext never reaches a blob file, the catalog database or any
//! other file of the data dir; a flipped byte in an encrypted blob fails the read rather
//! than return other bytes; the server's logs never carry a key. The ETag of an SSE-S3
//! or SSE-KMS object is its plaintext's MD5 (Depot's choice); that of an SSE-C object is
//! a digest of it keyed by the object's data key, so that nobody without the key can
//! confirm a guessed content by its ETag.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, MetadataDirective, ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use md5::{Digest, Md5};
use sqlx::Row;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{content_md5, etag_of, parse_response_head, s3_error, TestApp};

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;
/// The plaintext bytes of one encrypted chunk.
const CHUNK: usize = 64 * KIB;

/// Bytes that differ from position to position and from seed to seed.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| ((i / 7) as u8).wrapping_mul(31).wrapping_add(seed) ^ (i as u8) ^ ((i / CHUNK) as u8)).collect()
}

/// A server that takes SSE-C keys over plain HTTP (the test server has no TLS).
async fn start_sse_c() -> TestApp {
    TestApp::start_with(|c| c.allow_insecure_sse_c = true).await
}

async fn body_of(out: GetObjectOutput) -> Vec<u8> {
    out.body.collect().await.expect("body").into_bytes().to_vec()
}

/// PUTs `body` with SSE-S3.
async fn put_sse_s3(app: &TestApp, bucket: &str, key: &str, body: &[u8]) {
    let out = app
        .client
        .put_object()
        .bucket(bucket)
        .key(key)
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .expect("PUT with SSE-S3");
    assert_eq!(out.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
}

/// The encryption headers of a HEAD: (x-amz-server-side-encryption, KMS key id).
async fn head_sse(app: &TestApp, bucket: &str, key: &str) -> (Option<ServerSideEncryption>, Option<String>) {
    let head = app.client.head_object().bucket(bucket).key(key).send().await.expect("HEAD");
    (head.server_side_encryption().cloned(), head.ssekms_key_id().map(str::to_owned))
}

/// A customer's key for SSE-C, as the headers carry it.
struct CustomerKey {
    raw: [u8; 32],
    /// base64 of the key.
    key: String,
    /// base64 of the key's MD5.
    md5: String,
}

impl CustomerKey {
    fn random() -> CustomerKey {
        let raw: [u8; 32] = rand::random();
        CustomerKey { raw, key: STANDARD.encode(raw), md5: STANDARD.encode(Md5::digest(raw)) }
    }
}

/// Adds the three SSE-C headers of `$k` to an SDK request builder.
macro_rules! with_key {
    ($builder:expr, $k:expr) => {
        $builder.sse_customer_algorithm("AES256").sse_customer_key(&$k.key).sse_customer_key_md5(&$k.md5)
    };
}

/// Adds the three copy-source SSE-C headers of `$k` to an SDK request builder.
macro_rules! with_source_key {
    ($builder:expr, $k:expr) => {
        $builder.copy_source_sse_customer_algorithm("AES256").copy_source_sse_customer_key(&$k.key).copy_source_sse_customer_key_md5(&$k.md5)
    };
}

async fn put_sse_c(app: &TestApp, bucket: &str, key: &str, body: &[u8], customer: &CustomerKey) {
    let out = with_key!(app.client.put_object().bucket(bucket).key(key), customer).body(ByteStream::from(body.to_vec())).send().await.expect("PUT with SSE-C");
    assert_eq!(out.sse_customer_algorithm(), Some("AES256"));
    assert_eq!(out.sse_customer_key_md5(), Some(customer.md5.as_str()));
}

async fn get_sse_c(app: &TestApp, bucket: &str, key: &str, customer: &CustomerKey) -> Vec<u8> {
    let out = with_key!(app.client.get_object().bucket(bucket).key(key), customer).send().await.expect("GET with the customer's key");
    assert_eq!(out.sse_customer_algorithm(), Some("AES256"));
    assert_eq!(out.sse_customer_key_md5(), Some(customer.md5.as_str()));
    body_of(out).await
}

/// A KMS key of the tests' rings: the same bytes for an id in every ring.
fn ring_key(id: &str) -> [u8; 32] {
    use sha2::Sha256;
    Sha256::digest(format!("depot-test-kms-key-{id}")).into()
}

/// Writes a key ring file of `ids` (keys from [`ring_key`]) with `default`.
fn ring_file(dir: &Path, name: &str, default: &str, ids: &[&str]) -> PathBuf {
    let keys: serde_json::Map<String, serde_json::Value> = ids.iter().map(|id| ((*id).to_owned(), STANDARD.encode(ring_key(id)).into())).collect();
    let path = dir.join(name);
    std::fs::write(&path, serde_json::json!({ "default": default, "keys": keys }).to_string()).expect("write the key ring");
    path
}

/// Every file under `root`, recursively.
fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The files of the data dir (blobs, temp files, the SQLite catalog and its WAL, …)
/// that contain `marker`.
fn files_with(app: &TestApp, marker: &[u8]) -> Vec<PathBuf> {
    let mut files = files_under(app.data_dir.path());
    files.extend(app.blob_files());
    files.sort();
    files.dedup();
    files.into_iter().filter(|f| std::fs::read(f).is_ok_and(|bytes| contains(&bytes, marker))).collect()
}

/// Whether any inline part in the catalog (SQLite or PostgreSQL) contains `marker`.
async fn catalog_holds(app: &TestApp, marker: &[u8]) -> bool {
    let mut db = app.db().await;
    let rows = sqlx::query("SELECT data FROM object_parts WHERE data IS NOT NULL").fetch_all(&mut db).await.expect("inline parts");
    rows.iter().any(|r| r.try_get::<Vec<u8>, _>("data").is_ok_and(|data| contains(&data, marker)))
}

fn sse_s3_default() -> ServerSideEncryptionConfiguration {
    default_config(ServerSideEncryptionByDefault::builder().sse_algorithm(ServerSideEncryption::Aes256).build().unwrap())
}

fn default_config(by_default: ServerSideEncryptionByDefault) -> ServerSideEncryptionConfiguration {
    ServerSideEncryptionConfiguration::builder()
        .rules(ServerSideEncryptionRule::builder().apply_server_side_encryption_by_default(by_default).build())
        .build()
        .unwrap()
}

/// Whether `etag` is a quoted 32-digit hex digest, and not the MD5 of `plain`: the ETag
/// of an SSE-C object or part.
fn is_keyed_etag(etag: Option<&str>, plain: &[u8]) -> bool {
    etag.is_some_and(|e| e.len() == 34 && e.starts_with('"') && e.ends_with('"') && e[1..33].bytes().all(|b| b.is_ascii_hexdigit()) && e != etag_of(plain))
}

fn multipart_etag(parts: &[&[u8]]) -> String {
    let mut all = Vec::new();
    for p in parts {
        all.extend_from_slice(&Md5::digest(p));
    }
    format!("\"{}-{}\"", hex::encode(Md5::digest(&all)), parts.len())
}

/// A signed GET on a raw socket, read until the server closes it: (status,
/// Content-Length if any, the body bytes that arrived).
async fn get_until_closed(app: &TestApp, path: &str, range: Option<&str>) -> (u16, Option<usize>, Vec<u8>) {
    let mut request = app.raw("GET", path);
    if let Some(range) = range {
        request = request.header("range", range);
    }
    let bytes = request.sign(&app.root.access_key_id, &app.root.secret_access_key).to_http1_bytes();
    let mut socket = tokio::net::TcpStream::connect(app.addr).await.expect("connect");
    socket.write_all(&bytes).await.expect("send the request");
    let mut received = Vec::new();
    loop {
        let mut chunk = [0u8; 64 * KIB];
        match tokio::time::timeout(Duration::from_secs(10), socket.read(&mut chunk)).await.expect("the server ends the response") {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&chunk[..n]),
        }
    }
    let head_end = received.windows(4).position(|w| w == b"\r\n\r\n").expect("a response head") + 4;
    let (status, headers, _) = parse_response_head(&received[..head_end]).expect("a parsable head");
    let len = headers.get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    (status, len, received[head_end..].to_vec())
}

#[tokio::test]
async fn sse_s3_objects_read_back_with_their_header_and_the_plaintext_etag() {
    let app = TestApp::start().await;
    app.bucket("sse-s3").await;
    let body = pattern(100 * KIB + 3, 1);
    let out = app
        .client
        .put_object()
        .bucket("sse-s3")
        .key("doc.bin")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .expect("PUT with SSE-S3");
    assert_eq!(out.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(out.e_tag(), Some(etag_of(&body).as_str()), "the ETag is the plaintext's MD5");

    let got = app.client.get_object().bucket("sse-s3").key("doc.bin").send().await.expect("GET");
    assert_eq!(got.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(got.e_tag(), Some(etag_of(&body).as_str()));
    assert_eq!(got.content_length(), Some(body.len() as i64));
    assert!(body_of(got).await == body, "GET returns the plaintext");

    let head = app.client.head_object().bucket("sse-s3").key("doc.bin").send().await.expect("HEAD");
    assert_eq!(head.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(head.e_tag(), Some(etag_of(&body).as_str()));
    assert_eq!(head.content_length(), Some(body.len() as i64), "the plaintext's length, not the stored one");
    assert_eq!(head.ssekms_key_id(), None);
    assert_eq!(head.sse_customer_algorithm(), None);

    // A small object (inline for a plain one) and an empty one.
    for (key, small) in [("small", b"tiny encrypted object".to_vec()), ("empty", Vec::new())] {
        put_sse_s3(&app, "sse-s3", key, &small).await;
        let got = app.client.get_object().bucket("sse-s3").key(key).send().await.expect("GET");
        assert_eq!(got.server_side_encryption(), Some(&ServerSideEncryption::Aes256), "{key}");
        assert_eq!(got.e_tag(), Some(etag_of(&small).as_str()), "{key}");
        assert_eq!(body_of(got).await, small, "{key}");
    }

    // A plain object in the same bucket has no encryption header.
    app.put("sse-s3", "plain", b"in the clear".to_vec()).await;
    assert_eq!(head_sse(&app, "sse-s3", "plain").await, (None, None));
    app.shutdown().await;
}

#[tokio::test]
async fn a_bucket_default_encrypts_writes_without_headers_until_deleted() {
    let app = TestApp::start().await;
    app.bucket("defaulted").await;
    app.put("defaulted", "before", b"written before the default".to_vec()).await;
    assert_eq!(
        s3_error(app.client.get_bucket_encryption().bucket("defaulted").send().await),
        (404, "ServerSideEncryptionConfigurationNotFoundError".to_owned())
    );

    app.client.put_bucket_encryption().bucket("defaulted").server_side_encryption_configuration(sse_s3_default()).send().await.expect("PutBucketEncryption");
    let got = app.client.get_bucket_encryption().bucket("defaulted").send().await.expect("GetBucketEncryption");
    let rules = got.server_side_encryption_configuration().expect("a configuration").rules();
    assert_eq!(rules.len(), 1);
    let by_default = rules[0].apply_server_side_encryption_by_default().expect("a default");
    assert_eq!(by_default.sse_algorithm(), &ServerSideEncryption::Aes256);
    assert_eq!(by_default.kms_master_key_id(), None);

    // A PUT without headers is encrypted; the object written before is not rewritten.
    let out = app.client.put_object().bucket("defaulted").key("after").body(ByteStream::from_static(b"written after")).send().await.expect("PUT");
    assert_eq!(out.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(head_sse(&app, "defaulted", "after").await.0, Some(ServerSideEncryption::Aes256));
    assert_eq!(app.get("defaulted", "after").await, b"written after");
    assert_eq!(head_sse(&app, "defaulted", "before").await.0, None);
    assert_eq!(app.get("defaulted", "before").await, b"written before the default");

    // Bad documents: MalformedXML, and the configuration stays.
    let before = app.snapshot("defaulted").await;
    let bad_docs = [
        "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm></Rule></ServerSideEncryptionConfiguration>",
        "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES128</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>",
        "<ServerSideEncryptionConfiguration></ServerSideEncryptionConfiguration>",
    ];
    for bad in bad_docs {
        let resp = app.send_signed(app.raw("PUT", "/defaulted?encryption").header("content-md5", &content_md5(bad.as_bytes())).body(bad)).await;
        assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("MalformedXML")), "{bad}: {}", resp.text());
        let got = app.client.get_bucket_encryption().bucket("defaulted").send().await.expect("GetBucketEncryption");
        let rule = &got.server_side_encryption_configuration().expect("a configuration").rules()[0];
        assert_eq!(rule.apply_server_side_encryption_by_default().map(|d| d.sse_algorithm()), Some(&ServerSideEncryption::Aes256), "{bad}");
    }
    assert_eq!(app.snapshot("defaulted").await, before);
    let out = app.client.put_object().bucket("defaulted").key("still").body(ByteStream::from_static(b"x")).send().await.expect("PUT");
    assert_eq!(out.server_side_encryption(), Some(&ServerSideEncryption::Aes256), "the default survived the refused documents");

    // Deleted: GetBucketEncryption is 404 again, new writes are in the clear, and the
    // encrypted objects stay encrypted and readable.
    app.client.delete_bucket_encryption().bucket("defaulted").send().await.expect("DeleteBucketEncryption");
    assert_eq!(
        s3_error(app.client.get_bucket_encryption().bucket("defaulted").send().await),
        (404, "ServerSideEncryptionConfigurationNotFoundError".to_owned())
    );
    let out = app.client.put_object().bucket("defaulted").key("later").body(ByteStream::from_static(b"clear again")).send().await.expect("PUT");
    assert_eq!(out.server_side_encryption(), None);
    assert_eq!(head_sse(&app, "defaulted", "later").await, (None, None));
    assert_eq!(head_sse(&app, "defaulted", "after").await.0, Some(ServerSideEncryption::Aes256));
    assert_eq!(app.get("defaulted", "after").await, b"written after");

    // A bad document on a bucket without a configuration stores none.
    let bad = bad_docs[0];
    let resp = app.send_signed(app.raw("PUT", "/defaulted?encryption").header("content-md5", &content_md5(bad.as_bytes())).body(bad)).await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("MalformedXML")), "{}", resp.text());
    assert_eq!(s3_error(app.client.get_bucket_encryption().bucket("defaulted").send().await).0, 404);
    app.shutdown().await;
}

#[tokio::test]
async fn encrypted_bytes_never_reach_the_disk_in_the_clear() {
    let app = TestApp::start().await;
    app.bucket("secrets").await;
    let marker = b"depot-sse-marker-0123456789";
    let large: Vec<u8> = marker.iter().copied().cycle().take(200 * KIB).collect();
    let mut small = marker.to_vec();
    small.resize(100, b'.');
    put_sse_s3(&app, "secrets", "large", &large).await;
    put_sse_s3(&app, "secrets", "small", &small).await;
    assert_eq!(app.get("secrets", "large").await, large);
    assert_eq!(app.get("secrets", "small").await, small);
    assert!(!app.blob_files().is_empty(), "the large object is in a blob file");

    let found = files_with(&app, marker);
    assert!(found.is_empty(), "the plaintext of an encrypted object is on disk in {found:?}");
    assert!(!catalog_holds(&app, marker).await, "the plaintext of an encrypted object is in the catalog");

    // The same bytes put in the clear are found (the search works), in a blob and
    // inline in the catalog.
    app.bucket("clear").await;
    app.put("clear", "large", large.clone()).await;
    app.put("clear", "small", small.clone()).await;
    let found = files_with(&app, marker);
    assert!(found.iter().any(|f| app.blob_files().contains(f)), "a plain blob holds the marker: {found:?}");
    assert!(catalog_holds(&app, marker).await, "the plain small object is inline in the catalog");
    if !app.is_postgres() {
        assert!(
            found.iter().any(|f| f.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("depot.db"))),
            "the SQLite catalog holds the plain small object: {found:?}"
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn ranged_reads_of_an_encrypted_object_cross_chunk_boundaries() {
    let app = TestApp::start().await;
    app.bucket("ranges").await;
    let body = pattern(3 * CHUNK + 123, 2);
    let len = body.len();
    put_sse_s3(&app, "ranges", "obj", &body).await;

    let cases: Vec<(String, usize, usize)> = vec![
        ("bytes=65535-65536".into(), 65535, 65536),
        ("bytes=65536-131071".into(), 65536, 131071),
        ("bytes=0-65535".into(), 0, 65535),
        ("bytes=131071-196608".into(), 131071, 196608),
        ("bytes=100-200".into(), 100, 200),
        (format!("bytes={}-{}", len - 1, len - 1), len - 1, len - 1),
        (format!("bytes={}-", 3 * CHUNK), 3 * CHUNK, len - 1),
        ("bytes=-10".into(), len - 10, len - 1),
        ("bytes=-124".into(), len - 124, len - 1),
        (format!("bytes=-{}", len + 50), 0, len - 1),
        (format!("bytes=0-{}", len + 1000), 0, len - 1),
        ("bytes=1-".into(), 1, len - 1),
    ];
    for (range, first, last) in cases {
        let got = app.client.get_object().bucket("ranges").key("obj").range(&range).send().await.unwrap_or_else(|e| panic!("{range}: {e:?}"));
        assert_eq!(got.content_range(), Some(format!("bytes {first}-{last}/{len}").as_str()), "{range}");
        assert_eq!(got.content_length(), Some((last - first + 1) as i64), "{range}");
        assert_eq!(got.server_side_encryption(), Some(&ServerSideEncryption::Aes256), "{range}");
        assert!(body_of(got).await == body[first..=last], "{range}: the bytes differ");
    }
    let (status, code) = s3_error(app.client.get_object().bucket("ranges").key("obj").range(format!("bytes={len}-")).send().await);
    assert_eq!((status, code.as_str()), (416, "InvalidRange"));
    app.shutdown().await;
}

#[tokio::test]
async fn multipart_uploads_with_sse_s3_encrypt_every_part() {
    let app = TestApp::start().await;
    app.bucket("mpu-sse").await;
    let parts = [pattern(5 * MIB, 3), pattern(5 * MIB, 4), pattern(KIB, 5)];
    let created = app
        .client
        .create_multipart_upload()
        .bucket("mpu-sse")
        .key("big")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .expect("CreateMultipartUpload");
    assert_eq!(created.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    let upload_id = created.upload_id().expect("an upload id").to_owned();
    let mut completed = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let n = i as i32 + 1;
        let out = app
            .client
            .upload_part()
            .bucket("mpu-sse")
            .key("big")
            .upload_id(&upload_id)
            .part_number(n)
            .body(ByteStream::from(part.clone()))
            .send()
            .await
            .expect("UploadPart");
        assert_eq!(out.server_side_encryption(), Some(&ServerSideEncryption::Aes256), "part {n}");
        assert_eq!(out.e_tag(), Some(etag_of(part).as_str()), "part {n}: the plaintext's MD5");
        completed.push(CompletedPart::builder().part_number(n).e_tag(out.e_tag().unwrap()).set_checksum_crc32(out.checksum_crc32().map(str::to_owned)).build());
    }
    let done = app
        .client
        .complete_multipart_upload()
        .bucket("mpu-sse")
        .key("big")
        .upload_id(&upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(completed)).build())
        .send()
        .await
        .expect("CompleteMultipartUpload");
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    assert_eq!(done.e_tag(), Some(multipart_etag(&refs).as_str()));
    assert_eq!(done.server_side_encryption(), Some(&ServerSideEncryption::Aes256));

    let whole = parts.concat();
    assert!(app.get("mpu-sse", "big").await == whole, "the whole object reads back");
    let head = app.client.head_object().bucket("mpu-sse").key("big").send().await.expect("HEAD");
    assert_eq!(head.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(head.content_length(), Some(whole.len() as i64));

    // Ranges across the part boundaries, and a part by number.
    for (first, last) in [(5 * MIB - 10, 5 * MIB + 10), (10 * MIB - 1, 10 * MIB), (5 * MIB - CHUNK - 1, 5 * MIB), (0, whole.len() - 1)] {
        let range = format!("bytes={first}-{last}");
        let got = app.client.get_object().bucket("mpu-sse").key("big").range(&range).send().await.unwrap_or_else(|e| panic!("{range}: {e:?}"));
        assert_eq!(got.content_range(), Some(format!("bytes {first}-{last}/{}", whole.len()).as_str()), "{range}");
        assert!(body_of(got).await == whole[first..=last], "{range}: the bytes differ");
    }
    let part2 = app.client.get_object().bucket("mpu-sse").key("big").part_number(2).send().await.expect("GET partNumber=2");
    assert_eq!(part2.parts_count(), Some(3));
    assert_eq!(part2.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert!(body_of(part2).await == parts[1], "part 2 reads back");
    app.shutdown().await;
}

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

#[tokio::test]
async fn a_damaged_encrypted_blob_fails_the_read() {
    let app = TestApp::start().await;
    app.bucket("damaged").await;
    let body = pattern(300 * KIB, 17);
    put_sse_s3(&app, "damaged", "obj", &body).await;
    let blobs = app.blob_files();
    assert_eq!(blobs.len(), 1, "{blobs:?}");
    let mut stored = std::fs::read(&blobs[0]).unwrap();
    assert!(stored.len() > body.len(), "the stored blob holds more than the plaintext");
    // A byte in the ciphertext of the third chunk (plaintext 131072..196607).
    let at = 150_000;
    stored[at] ^= 0x5a;
    std::fs::write(&blobs[0], &stored).unwrap();

    for range in [None, Some("bytes=140000-160000")] {
        let (status, len, received) = get_until_closed(&app, "/damaged/obj", range).await;
        let (first, expected) = match range {
            None => (0, body.len()),
            Some(_) => (140_000, 20_001),
        };
        if status / 100 == 2 {
            assert!(
                received.len() <= expected && received == body[first..first + received.len()],
                "{range:?}: the bytes that arrived are not the object's ({} bytes, status {status})",
                received.len()
            );
        }
        let failed = status >= 500 || (status / 100 == 2 && (len != Some(expected) || received.len() < expected));
        assert!(failed, "{range:?}: a damaged blob was read as if whole (status {status}, content-length {len:?}, {} bytes)", received.len());
    }
    // Another object is unaffected.
    put_sse_s3(&app, "damaged", "fine", &body).await;
    assert!(app.get("damaged", "fine").await == body);
    app.shutdown().await;
}

/// A writer into a shared buffer, for capturing logs.
#[derive(Clone)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The server's logs, at every level, while it serves encrypted writes and reads (good
/// and refused) with customer keys and ring keys, never carry a key.
///
/// The harness has no log capture, so this test sets a subscriber for its own thread:
/// the test runtime is single-threaded, so the server's tasks log there (what runs on
/// blocking threads is not seen). The client's crates are filtered out: they are not
/// the server.
#[tokio::test]
async fn logs_never_contain_key_material() {
    let logs = Captured(Arc::new(Mutex::new(Vec::new())));
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "trace,aws_smithy_runtime=off,aws_smithy_runtime_api=off,aws_sdk_s3=off,aws_sigv4=off,aws_runtime=off,aws_smithy_checksums=off,aws_smithy_http_client=off,aws_smithy_types=off,aws_config=off,reqwest=off",
        ))
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let rings = tempfile::tempdir().unwrap();
    let ring = ring_file(rings.path(), "ring.json", "k1", &["k1", "k2"]);
    let app = TestApp::start_with(|c| {
        c.allow_insecure_sse_c = true;
        c.kms_keys = Some(ring);
        c.log_level = "trace".into();
    })
    .await;
    app.bucket("logged").await;
    let customer = CustomerKey::random();
    let other = CustomerKey::random();
    let body = pattern(70 * KIB, 18);
    put_sse_c(&app, "logged", "c", &body, &customer).await;
    assert!(get_sse_c(&app, "logged", "c", &customer).await == body);
    let _ = s3_error(with_key!(app.client.get_object().bucket("logged").key("c"), other).send().await);
    let _ = s3_error(app.client.get_object().bucket("logged").key("c").send().await);
    let mismatch =
        app.client.put_object().bucket("logged").key("m").sse_customer_algorithm("AES256").sse_customer_key(&customer.key).sse_customer_key_md5(&other.md5);
    let _ = s3_error(mismatch.body(ByteStream::from_static(b"x")).send().await);
    let copy = with_source_key!(app.client.copy_object().bucket("logged").key("copied").copy_source("logged/c"), customer);
    copy.server_side_encryption(ServerSideEncryption::AwsKms).ssekms_key_id("k2").send().await.expect("CopyObject");
    put_sse_s3(&app, "logged", "s3", &body).await;
    assert!(app.get("logged", "s3").await == body);
    assert!(app.get("logged", "copied").await == body);
    app.shutdown().await;

    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(text.contains("depot::server"), "no log of the server was captured: the test would prove nothing");
    let mut secrets: Vec<(String, String)> = Vec::new();
    for (name, raw) in [("customer key", customer.raw), ("other customer key", other.raw), ("k1", ring_key("k1")), ("k2", ring_key("k2"))] {
        secrets.push((format!("{name} (base64)"), STANDARD.encode(raw)));
        secrets.push((format!("{name} (hex)"), hex::encode(raw)));
        secrets.push((format!("{name} (bytes)"), format!("{:?}", raw)));
    }
    for (what, secret) in secrets {
        assert!(!text.contains(&secret), "the logs contain the {what}");
    }
}

#[tokio::test]
async fn reads_refuse_the_write_only_encryption_header() {
    let app = TestApp::start().await;
    app.bucket("read-hdr").await;
    put_sse_s3(&app, "read-hdr", "enc", b"encrypted").await;
    app.put("read-hdr", "plain", b"plain".to_vec()).await;
    for key in ["enc", "plain"] {
        let path = format!("/read-hdr/{key}");
        let resp = app.send_signed(app.raw("GET", &path).header("x-amz-server-side-encryption", "AES256")).await;
        assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("InvalidArgument")), "{key}: {}", resp.text());
        let resp = app.send_signed(app.raw("HEAD", &path).header("x-amz-server-side-encryption", "AES256")).await;
        assert_eq!(resp.status, 400, "{key}: HEAD");
        let resp = app.send_signed(app.raw("GET", &path).header("x-amz-server-side-encryption", "aws:kms")).await;
        assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("InvalidArgument")), "{key}: {}", resp.text());
    }
    assert_eq!(app.get("read-hdr", "enc").await, b"encrypted");
    assert_eq!(app.get("read-hdr", "plain").await, b"plain");
    app.shutdown().await;
}
