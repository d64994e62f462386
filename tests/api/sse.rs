//! Server-side encryption through the SDK, without a customer's key: SSE-S3, SSE-KMS (the
//! key ring's default, a named key by id, alias or ARN, the bucket-key flag, an unknown
//! key refused), the key ring (generated when none is given, rotated across restarts)
//! and a bucket's default encryption; each read back as the exact plaintext with the
//! encryption headers, whole, by ranges that cross the 64 KiB chunks and by part of a
//! multipart upload. Reads refuse the write-only encryption header.
//!
//! Behind the API: the plaintext never reaches a blob file, the catalog database or any
//! other file of the data dir; a flipped byte in an encrypted blob fails the read rather
//! than return other bytes; the server's logs never carry a key (a customer's or the
//! ring's). The ETag of an SSE-S3 or SSE-KMS object is its plaintext's MD5 (Depot's
//! choice).
//!
//! SSE-C and the copies between encryption settings are in `sse_customer`, SSE-KMS and
//! the key ring in `sse_kms`; both share this module's helpers.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use md5::{Digest, Md5};
use sqlx::Row;

use crate::common::{content_md5, etag_of, get_until_closed, s3_error, TestApp};

pub(crate) const KIB: usize = 1024;
pub(crate) const MIB: usize = 1024 * KIB;
/// The plaintext bytes of one encrypted chunk.
pub(crate) const CHUNK: usize = 64 * KIB;

/// Bytes that differ from position to position and from seed to seed.
pub(crate) fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| ((i / 7) as u8).wrapping_mul(31).wrapping_add(seed) ^ (i as u8) ^ ((i / CHUNK) as u8)).collect()
}

pub(crate) async fn body_of(out: GetObjectOutput) -> Vec<u8> {
    out.body.collect().await.expect("body").into_bytes().to_vec()
}

/// PUTs `body` with SSE-S3.
pub(crate) async fn put_sse_s3(app: &TestApp, bucket: &str, key: &str, body: &[u8]) {
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
pub(crate) async fn head_sse(app: &TestApp, bucket: &str, key: &str) -> (Option<ServerSideEncryption>, Option<String>) {
    let head = app.client.head_object().bucket(bucket).key(key).send().await.expect("HEAD");
    (head.server_side_encryption().cloned(), head.ssekms_key_id().map(str::to_owned))
}

/// A customer's key for SSE-C, as the headers carry it.
pub(crate) struct CustomerKey {
    raw: [u8; 32],
    /// base64 of the key.
    pub(crate) key: String,
    /// base64 of the key's MD5.
    pub(crate) md5: String,
}

impl CustomerKey {
    pub(crate) fn random() -> CustomerKey {
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

// For `sse_customer`: a `macro_rules!` macro is imported by path only once re-exported.
pub(crate) use {with_key, with_source_key};

pub(crate) async fn put_sse_c(app: &TestApp, bucket: &str, key: &str, body: &[u8], customer: &CustomerKey) {
    let out = with_key!(app.client.put_object().bucket(bucket).key(key), customer).body(ByteStream::from(body.to_vec())).send().await.expect("PUT with SSE-C");
    assert_eq!(out.sse_customer_algorithm(), Some("AES256"));
    assert_eq!(out.sse_customer_key_md5(), Some(customer.md5.as_str()));
}

pub(crate) async fn get_sse_c(app: &TestApp, bucket: &str, key: &str, customer: &CustomerKey) -> Vec<u8> {
    let out = with_key!(app.client.get_object().bucket(bucket).key(key), customer).send().await.expect("GET with the customer's key");
    assert_eq!(out.sse_customer_algorithm(), Some("AES256"));
    assert_eq!(out.sse_customer_key_md5(), Some(customer.md5.as_str()));
    body_of(out).await
}

/// A KMS key of the tests' rings: the same bytes for an id in every ring.
pub(crate) fn ring_key(id: &str) -> [u8; 32] {
    use sha2::Sha256;
    Sha256::digest(format!("depot-test-kms-key-{id}")).into()
}

/// Writes a key ring file of `ids` (keys from [`ring_key`]) with `default`.
pub(crate) fn ring_file(dir: &Path, name: &str, default: &str, ids: &[&str]) -> PathBuf {
    let keys: serde_json::Map<String, serde_json::Value> = ids.iter().map(|id| ((*id).to_owned(), STANDARD.encode(ring_key(id)).into())).collect();
    let path = dir.join(name);
    std::fs::write(&path, serde_json::json!({ "default": default, "keys": keys }).to_string()).expect("write the key ring");
    path
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The files of the data dir (blobs, temp files, the SQLite catalog and its WAL, …)
/// that contain `marker`.
fn files_with(app: &TestApp, marker: &[u8]) -> Vec<PathBuf> {
    let mut files = crate::common::files_under(app.data_dir.path());
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

pub(crate) fn sse_s3_default() -> ServerSideEncryptionConfiguration {
    default_config(ServerSideEncryptionByDefault::builder().sse_algorithm(ServerSideEncryption::Aes256).build().unwrap())
}

pub(crate) fn default_config(by_default: ServerSideEncryptionByDefault) -> ServerSideEncryptionConfiguration {
    ServerSideEncryptionConfiguration::builder()
        .rules(ServerSideEncryptionRule::builder().apply_server_side_encryption_by_default(by_default).build())
        .build()
        .unwrap()
}

pub(crate) fn multipart_etag(parts: &[&[u8]]) -> String {
    let mut all = Vec::new();
    for p in parts {
        all.extend_from_slice(&Md5::digest(p));
    }
    format!("\"{}-{}\"", hex::encode(Md5::digest(&all)), parts.len())
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
