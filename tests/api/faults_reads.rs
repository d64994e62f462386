//! Fault tests for reads that overlap writes:
//!
//! - a slow GET of an object that is overwritten or deleted while it is read, with GC
//!   running meanwhile (`gc_delay_secs` = 1), still delivers the whole original body,
//!   byte-exact — for a single-part and a multipart object — and the blobs are freed
//!   afterwards;
//! - CopyObject racing with overwrites of its source copies exactly one version of the
//!   source: its bytes, its metadata and its checksum, never a mix.

use std::time::{Duration, Instant};

use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, CompletedMultipartUpload};
use md5::{Digest, Md5};
use s3api::checksum::{Checksum, ChecksumAlgorithm as Alg};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{blob_body, etag_of, wait_until, TestApp};

const MIB: usize = 1024 * 1024;

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| ((i / 7) as u8).wrapping_mul(31).wrapping_add(seed) ^ (i as u8)).collect()
}

/// How the object changes while it is read.
#[derive(Debug, Clone, Copy)]
enum Change {
    Overwrite,
    Delete,
}

/// Stores `bucket/key` as a multipart object of `parts` parts of `part_size` bytes.
async fn put_multipart(app: &TestApp, bucket: &str, key: &str, body: &[u8], part_size: usize) {
    let upload = app.client.create_multipart_upload().bucket(bucket).key(key).send().await.expect("create upload");
    let upload_id = upload.upload_id().unwrap();
    let parts: Vec<&[u8]> = body.chunks(part_size).collect();
    let done = crate::multipart::upload_parts(app, bucket, key, upload_id, &parts).await;
    app.client
        .complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(done)).build())
        .send()
        .await
        .expect("complete upload");
}

/// What a slow reader got.
struct SlowRead {
    status: u16,
    content_length: Option<usize>,
    body: Vec<u8>,
    /// Why reading stopped before Content-Length bytes, if it did.
    ended: Option<String>,
}

/// GETs `bucket/key` on a raw socket and reads the body slowly (one read of at most
/// `len / 400` bytes every 15 ms: about 10 s in all), calling
/// `change` once a tenth of it has arrived.
async fn slow_get(app: &TestApp, bucket: &str, key: &str, len: usize, change: impl std::future::Future<Output = ()>) -> SlowRead {
    let request = app.raw("GET", &format!("/{bucket}/{key}")).sign(&app.root.access_key_id, &app.root.secret_access_key).to_http1_bytes();
    let mut socket = TcpStream::connect(app.addr).await.expect("connect");
    socket.write_all(&request).await.expect("send the request");
    let per_tick = (len / 400).max(4096);
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut chunk)).await.expect("a response head").expect("read");
        assert!(n > 0, "closed before a response head");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let status: u16 = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status");
    let content_length =
        head.lines().find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-length")).map(|(_, v)| v.trim().parse().expect("length")));
    let mut body = buf[head_end..].to_vec();
    let want = content_length.unwrap_or(usize::MAX);
    let mut change = Some(Box::pin(change));
    let mut ended = None;
    let mut chunk = vec![0u8; per_tick];
    while body.len() < want {
        if body.len() >= len / 10 {
            if let Some(change) = change.take() {
                change.await;
            }
        }
        match tokio::time::timeout(Duration::from_secs(10), socket.read(&mut chunk)).await {
            Ok(Ok(0)) => {
                ended = Some(format!("the server closed the connection after {} of {want} body bytes", body.len()));
                break;
            }
            Ok(Ok(n)) => body.extend_from_slice(&chunk[..n]),
            Ok(Err(e)) => {
                ended = Some(format!("read failed after {} of {want} body bytes: {e}", body.len()));
                break;
            }
            Err(_) => {
                ended = Some(format!("no data for 10 s after {} of {want} body bytes", body.len()));
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    if let Some(change) = change.take() {
        change.await;
    }
    SlowRead { status, content_length, body, ended }
}

async fn slow_read_survives(multipart: bool, change: Change) {
    let app = TestApp::start_with(|c| c.gc_delay_secs = 1).await;
    app.bucket("slow").await;
    let (len, seed) = if multipart { (50 * MIB, 1) } else { (20 * MIB, 2) };
    let original = pattern(len, seed);
    if multipart {
        put_multipart(&app, "slow", "k", &original, 5 * MIB).await;
    } else {
        app.put("slow", "k", original.clone()).await;
    }
    let blobs_of_original = app.blob_files();
    assert_eq!(blobs_of_original.len(), if multipart { 10 } else { 1 });

    let started = Instant::now();
    let changed_at = std::cell::Cell::new(None);
    let mutate = async {
        match change {
            // The new version is small (inline): no blob of its own.
            Change::Overwrite => {
                app.put("slow", "k", b"the new version".to_vec()).await;
            }
            Change::Delete => {
                app.client.delete_object().bucket("slow").key("k").send().await.expect("delete");
            }
        }
        changed_at.set(Some(started.elapsed()));
    };
    let read = slow_get(&app, "slow", "k", len, mutate).await;
    let took = started.elapsed();
    let changed_at = changed_at.get().expect("the object was changed during the read");
    let gc_ran = blobs_of_original.iter().filter(|b| !b.exists()).count();
    eprintln!(
        "{} object, {change:?} at {changed_at:?}, read took {took:?}; {gc_ran} of {} original blob files were gone by the end of the read",
        if multipart { "multipart" } else { "single-part" },
        blobs_of_original.len()
    );
    // The read outlasted the change by more than the GC delay: GC had its chance.
    assert!(took > changed_at + Duration::from_secs(2), "the read was too fast to overlap GC ({took:?})");

    assert_eq!(read.status, 200);
    assert_eq!(read.content_length, Some(len), "Content-Length of the original");
    let what = format!(
        "{} object {} during a slow read",
        if multipart { "multipart" } else { "single-part" },
        match change {
            Change::Overwrite => "overwritten",
            Change::Delete => "deleted",
        }
    );
    assert!(read.ended.is_none(), "{what}: the body was cut short: {}", read.ended.as_deref().unwrap_or_default());
    assert_eq!(read.body.len(), len, "{what}: body length");
    assert!(Md5::digest(&read.body) == Md5::digest(&original), "{what}: the body is not the original's bytes");

    // Afterwards, the original's blobs are freed (no leak from whatever kept them).
    wait_until("the original's blobs are freed", || async { app.blob_files().is_empty() }).await;
    match change {
        Change::Overwrite => assert_eq!(app.get("slow", "k").await, b"the new version"),
        Change::Delete => assert!(app.keys("slow").await.is_empty()),
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_slow_read_of_a_single_part_object_survives_an_overwrite_and_gc() {
    slow_read_survives(false, Change::Overwrite).await;
}

#[tokio::test]
async fn a_slow_read_of_a_single_part_object_survives_a_delete_and_gc() {
    slow_read_survives(false, Change::Delete).await;
}

#[tokio::test]
async fn a_slow_read_of_a_multipart_object_survives_an_overwrite_and_gc() {
    slow_read_survives(true, Change::Overwrite).await;
}

#[tokio::test]
async fn a_slow_read_of_a_multipart_object_survives_a_delete_and_gc() {
    slow_read_survives(true, Change::Delete).await;
}

/// One version of the copy source: everything a copy must take from the same version.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Version {
    name: &'static str,
    bytes: Vec<u8>,
    etag: String,
    sha256: String,
}

impl Version {
    fn new(name: &'static str, bytes: Vec<u8>) -> Version {
        let sha256 = Checksum::compute(Alg::Sha256, &bytes).to_base64();
        Version { name, etag: etag_of(&bytes), sha256, bytes }
    }
}

/// What a client sees of a copy's destination.
#[derive(Debug)]
struct Seen {
    len: usize,
    etag: Option<String>,
    meta_v: Option<String>,
    sha256: Option<String>,
    crc32: Option<String>,
    /// Which version the bytes are.
    bytes_of: Option<&'static str>,
}

async fn put_version(app: &TestApp, v: &Version) {
    app.client
        .put_object()
        .bucket("race")
        .key("src")
        .metadata("v", v.name)
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .body(v.bytes.clone().into())
        .send()
        .await
        .expect("overwrite the source");
}

/// The copy as HeadObject (checksum mode) describes it and as a raw GET reads it. (The
/// SDK validates a GET body against the stored checksum by default, and would refuse a
/// mixed copy with `ChecksumMismatch` instead of showing what was stored.)
async fn seen(app: &TestApp, key: &str, versions: &[Version]) -> Seen {
    let head = app.client.head_object().bucket("race").key(key).checksum_mode(ChecksumMode::Enabled).send().await.expect("head the copy");
    let etag = head.e_tag().map(str::to_owned);
    let meta_v = head.metadata().and_then(|m| m.get("v")).cloned();
    let sha256 = head.checksum_sha256().map(str::to_owned);
    let crc32 = head.checksum_crc32().map(str::to_owned);
    let resp = app.send_signed(app.raw("GET", &format!("/race/{key}"))).await;
    assert_eq!(resp.status, 200, "GET the copy: {}", resp.text());
    let bytes = resp.body;
    let bytes_of = versions.iter().find(|v| v.bytes == bytes).map(|v| v.name);
    Seen { len: bytes.len(), etag, meta_v, sha256, crc32, bytes_of }
}

/// Overwrites the source with versions A and B in turn, each time racing `COPIES`
/// CopyObjects of it (with `copy_checksum`, if any, requested on the copy); every copy
/// must succeed and be one version whole. Returns the failures.
async fn copy_races(copy_checksum: Option<ChecksumAlgorithm>) -> Vec<String> {
    const ROUNDS: usize = 50;
    const COPIES: usize = 8;
    let app = TestApp::start_with(|c| c.gc_delay_secs = 1).await;
    app.bucket("race").await;
    // Different lengths and bytes, both above the inline limit (blobs).
    let versions = [Version::new("A", blob_body(b"version A ")), Version::new("B", pattern(48 * 1024, 7))];
    put_version(&app, &versions[0]).await;

    let mut failures = Vec::new();
    let mut mixed = 0;
    for round in 0..ROUNDS {
        let next = &versions[(round + 1) % 2];
        let copies = (0..COPIES).map(|i| {
            let mut copy = app.client.copy_object().bucket("race").key(format!("dst-{i}")).copy_source("race/src");
            if let Some(alg) = copy_checksum.clone() {
                copy = copy.checksum_algorithm(alg);
            }
            copy.send()
        });
        let (_, results) = tokio::join!(put_version(&app, next), futures_util::future::join_all(copies));
        for (i, result) in results.into_iter().enumerate() {
            if let Err(e) = result {
                failures.push(format!("round {round}: copy {i} failed: {:?}", e.into_service_error()));
                continue;
            }
            let got = seen(&app, &format!("dst-{i}"), &versions).await;
            let Some(v) = versions.iter().find(|v| Some(v.name) == got.bytes_of) else {
                failures.push(format!("round {round}: copy {i} has bytes of neither version ({} bytes)", got.len));
                continue;
            };
            let checksum_ok = match &copy_checksum {
                None => got.sha256.as_deref() == Some(v.sha256.as_str()),
                Some(ChecksumAlgorithm::Crc32) => got.crc32.as_deref() == Some(Checksum::compute(Alg::Crc32, &v.bytes).to_base64().as_str()),
                Some(other) => panic!("unexpected algorithm {other:?}"),
            };
            if got.etag.as_deref() != Some(v.etag.as_str()) || got.meta_v.as_deref() != Some(v.name) || !checksum_ok {
                mixed += 1;
                failures.push(format!("round {round}: copy {i} mixes versions: bytes of {}, {got:?}", v.name));
            }
        }
    }
    eprintln!("{} copies, {mixed} mixed, {} failures in all", ROUNDS * COPIES, failures.len());
    app.shutdown().await;
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_racing_overwrites_of_its_source_copies_one_version() {
    let failures = copy_races(None).await;
    assert!(failures.is_empty(), "{} bad copies:\n{}", failures.len(), failures.iter().take(10).cloned().collect::<Vec<_>>().join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_with_a_new_checksum_racing_overwrites_copies_one_version() {
    let failures = copy_races(Some(ChecksumAlgorithm::Crc32)).await;
    assert!(failures.is_empty(), "{} bad copies:\n{}", failures.len(), failures.iter().take(10).cloned().collect::<Vec<_>>().join("\n"));
}
