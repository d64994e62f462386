//! Request bodies as real clients send them: aws-chunked with chunk signatures, with
//! signed and unsigned checksum trailers, `Transfer-Encoding: chunked`, and
//! `Expect: 100-continue`; and the errors a truncated, tampered or mislabelled body gets.
//! No failed upload leaves an object or a blob behind.

use std::time::SystemTime;

use s3api::checksum::{Checksum, ChecksumAlgorithm};
use s3api::sigv4::ChunkSigner;
use sha2::{Digest, Sha256};

use crate::common::{wait_until, RawRequest, TcpClient, TestApp, REGION};

const SIGNED: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
const SIGNED_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
const UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Signs the head of a streaming upload and returns the request and its chunk signer.
fn streaming_head(app: &TestApp, path: &str, mode: &str, decoded_len: usize, trailer: Option<&str>) -> (RawRequest, ChunkSigner) {
    let time = SystemTime::now();
    let mut req = app.raw("PUT", path).header("content-encoding", "aws-chunked").header("x-amz-decoded-content-length", &decoded_len.to_string());
    if let Some(t) = trailer {
        req = req.header("x-amz-trailer", t);
    }
    let req = req.sign_payload(&app.root.access_key_id, &app.root.secret_access_key, time, mode);
    let auth = req.header_value("authorization").expect("signed");
    let seed = auth.rsplit("Signature=").next().unwrap().to_owned();
    let amz_date = req.header_value("x-amz-date").unwrap();
    let scope = format!("{}/{REGION}/s3/aws4_request", &amz_date[..8]);
    let key = aws_sigv4::sign::v4::generate_signing_key(&app.root.secret_access_key, time, REGION, "s3");
    (req, ChunkSigner::new(key.as_ref().to_vec(), amz_date, scope, seed))
}

/// aws-chunked framing of `payload` in chunks of `chunk`, signed with `signer` when given,
/// with an optional checksum trailer.
fn frame(payload: &[u8], chunk: usize, signer: Option<&ChunkSigner>, trailer: Option<(&str, String)>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut previous = signer.map(|s| s.seed_signature().to_owned());
    for piece in payload.chunks(chunk).chain(std::iter::once(&[][..])) {
        match (signer, previous.as_mut()) {
            (Some(s), Some(prev)) => {
                let sig = s.chunk_signature(prev, &Sha256::digest(piece));
                out.extend_from_slice(format!("{:x};chunk-signature={sig}\r\n", piece.len()).as_bytes());
                *prev = sig;
            }
            _ => out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes()),
        }
        if !piece.is_empty() {
            out.extend_from_slice(piece);
            out.extend_from_slice(b"\r\n");
        }
    }
    if let Some((name, value)) = trailer {
        out.extend_from_slice(format!("{name}:{value}\r\n").as_bytes());
        if let (Some(s), Some(prev)) = (signer, previous.as_ref()) {
            let sig = s.trailer_signature(prev, &format!("{name}:{value}\n"));
            out.extend_from_slice(format!("x-amz-trailer-signature:{sig}\r\n").as_bytes());
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

async fn assert_absent(app: &TestApp, bucket: &str, key: &str) {
    let err = app.client.head_object().bucket(bucket).key(key).send().await.unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404), "{key} must not exist");
}

/// Only the blobs of stored objects remain: failed uploads left none.
async fn assert_blobs(app: &TestApp, count: usize) {
    wait_until("count blob files remain", || async { app.blob_files().len() == count }).await;
}

#[tokio::test]
async fn signed_chunks_store_only_the_payload() {
    let app = TestApp::start().await;
    app.bucket("chunks").await;
    let payload = data(200_000);
    let (req, signer) = streaming_head(&app, "/chunks/k", SIGNED, payload.len(), None);
    let resp = req.body(frame(&payload, 65536, Some(&signer), None)).send().await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(app.get("chunks", "k").await, payload);
    let head = app.client.head_object().bucket("chunks").key("k").send().await.unwrap();
    assert_eq!(head.content_length(), Some(200_000));
    assert_eq!(head.content_encoding(), None, "aws-chunked describes the transfer, not the object");
    app.shutdown().await;
}

#[tokio::test]
async fn tampered_chunks_are_refused() {
    let app = TestApp::start().await;
    app.bucket("tamper").await;
    let payload = data(100_000);
    // A changed byte of data.
    let (req, signer) = streaming_head(&app, "/tamper/data", SIGNED, payload.len(), None);
    let mut body = frame(&payload, 65536, Some(&signer), None);
    let pos = body.len() / 2;
    body[pos] ^= 1;
    let resp = req.body(body).send().await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (403, Some("SignatureDoesNotMatch")));
    // A chunk signed with another key.
    let (req, _) = streaming_head(&app, "/tamper/sig", SIGNED, payload.len(), None);
    let (_, other) = streaming_head(&app, "/tamper/other", SIGNED, payload.len(), None);
    let resp = req.body(frame(&payload, 65536, Some(&other), None)).send().await;
    assert_eq!(resp.error_code().as_deref(), Some("SignatureDoesNotMatch"));
    assert_absent(&app, "tamper", "data").await;
    assert_absent(&app, "tamper", "sig").await;
    assert_blobs(&app, 0).await;
    app.shutdown().await;
}

#[tokio::test]
async fn unsigned_trailer_checksum_is_verified_and_stored() {
    let app = TestApp::start().await;
    app.bucket("trail").await;
    let payload = data(70_000);
    let crc = Checksum::compute(ChecksumAlgorithm::Crc32, &payload).to_base64();
    let (req, _) = streaming_head(&app, "/trail/good", UNSIGNED_TRAILER, payload.len(), Some("x-amz-checksum-crc32"));
    let resp = req.body(frame(&payload, 8192, None, Some(("x-amz-checksum-crc32", crc.clone())))).send().await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let got = app.client.get_object().bucket("trail").key("good").checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled).send().await.unwrap();
    assert_eq!(got.checksum_crc32(), Some(crc.as_str()));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().to_vec(), payload);

    let wrong = Checksum::compute(ChecksumAlgorithm::Crc32, b"something else").to_base64();
    let (req, _) = streaming_head(&app, "/trail/bad", UNSIGNED_TRAILER, payload.len(), Some("x-amz-checksum-crc32"));
    let resp = req.body(frame(&payload, 8192, None, Some(("x-amz-checksum-crc32", wrong)))).send().await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("BadDigest")));
    // The announced trailer must arrive.
    let (req, _) = streaming_head(&app, "/trail/missing", UNSIGNED_TRAILER, payload.len(), Some("x-amz-checksum-crc32"));
    let resp = req.body(frame(&payload, 8192, None, None)).send().await;
    assert_eq!(resp.status, 400);
    assert_absent(&app, "trail", "bad").await;
    assert_absent(&app, "trail", "missing").await;
    assert_blobs(&app, 1).await;
    app.shutdown().await;
}

#[tokio::test]
async fn signed_trailer_signature_is_verified() {
    let app = TestApp::start().await;
    app.bucket("strail").await;
    let payload = data(30_000);
    let crc = Checksum::compute(ChecksumAlgorithm::Crc32c, &payload).to_base64();
    let (req, signer) = streaming_head(&app, "/strail/good", SIGNED_TRAILER, payload.len(), Some("x-amz-checksum-crc32c"));
    let resp = req.body(frame(&payload, 10_000, Some(&signer), Some(("x-amz-checksum-crc32c", crc.clone())))).send().await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(app.get("strail", "good").await, payload);

    let (req, signer) = streaming_head(&app, "/strail/bad", SIGNED_TRAILER, payload.len(), Some("x-amz-checksum-crc32c"));
    let mut body = frame(&payload, 10_000, Some(&signer), Some(("x-amz-checksum-crc32c", crc)));
    let at = body.windows(24).position(|w| w == b"x-amz-trailer-signature:").unwrap() + 24;
    body[at] = if body[at] == b'0' { b'1' } else { b'0' };
    let resp = req.body(body).send().await;
    assert_eq!(resp.error_code().as_deref(), Some("SignatureDoesNotMatch"));
    assert_absent(&app, "strail", "bad").await;
    assert_blobs(&app, 1).await;
    app.shutdown().await;
}

#[tokio::test]
async fn declared_lengths_must_match() {
    let app = TestApp::start().await;
    app.bucket("lens").await;
    let payload = data(5000);
    let (req, signer) = streaming_head(&app, "/lens/k", SIGNED, payload.len() + 10, None);
    let resp = req.body(frame(&payload, 4096, Some(&signer), None)).send().await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("IncompleteBody")));
    assert_absent(&app, "lens", "k").await;
    assert_blobs(&app, 0).await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_body_longer_than_its_decoded_length_is_too_large() {
    let app = TestApp::start().await;
    app.bucket("longer").await;
    let payload = data(50_000);
    let (req, signer) = streaming_head(&app, "/longer/k", SIGNED, payload.len() - 10, None);
    let resp = req.body(frame(&payload, 4096, Some(&signer), None)).send().await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("EntityTooLarge")), "{}", resp.text());
    assert_absent(&app, "longer", "k").await;
    assert_blobs(&app, 0).await;
    assert!(app.temp_files().is_empty(), "temp files left: {:?}", app.temp_files());
    app.shutdown().await;
}

/// A body that declares more than the largest object the server accepts (its
/// Content-Length, or the decoded length of aws-chunked, signed or not) is refused with
/// `EntityTooLarge`, and nothing is stored.
#[tokio::test]
async fn a_declared_length_over_the_maximum_is_too_large() {
    const MAX: u64 = 64 * 1024;
    let app = TestApp::start_with(|c| c.max_object_size = MAX).await;
    app.bucket("declared").await;
    let payload = data(MAX as usize + 1);
    let plain = app.raw("PUT", "/declared/plain").body(payload.clone()).sign(&app.root.access_key_id, &app.root.secret_access_key);
    let (signed, signer) = streaming_head(&app, "/declared/signed", SIGNED, payload.len(), None);
    let (unsigned, _) = streaming_head(&app, "/declared/unsigned", UNSIGNED_TRAILER, payload.len(), None);
    for (key, resp) in [
        ("plain", plain.send().await),
        ("signed", signed.body(frame(&payload, 8192, Some(&signer), None)).send().await),
        ("unsigned", unsigned.body(frame(&payload, 8192, None, None)).send().await),
    ] {
        assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("EntityTooLarge")), "{key}: {}", resp.text());
        assert_absent(&app, "declared", key).await;
    }
    assert_blobs(&app, 0).await;
    assert!(app.temp_files().is_empty(), "temp files left: {:?}", app.temp_files());
    app.shutdown().await;
}

#[tokio::test]
async fn truncated_bodies_store_nothing() {
    let app = TestApp::start().await;
    app.bucket("cut").await;
    let payload = data(50_000);
    // aws-chunked, cut in the middle of a chunk.
    let (req, signer) = streaming_head(&app, "/cut/chunked", SIGNED, payload.len(), None);
    let body = frame(&payload, 16_384, Some(&signer), None);
    let mut bytes = req.body(body).to_http1_bytes();
    bytes.truncate(bytes.len() - 20_000);
    let mut tcp = TcpClient::connect(&app).await;
    tcp.send(&bytes).await;
    tcp.finish_sending().await;
    if let Some(resp) = tcp.read_response().await {
        assert!(resp.status >= 400, "a truncated body is an error, got {}", resp.status);
    }
    // A plain body shorter than its Content-Length.
    let req = app.raw("PUT", "/cut/plain").body(payload.clone()).sign(&app.root.access_key_id, &app.root.secret_access_key);
    let mut bytes = req.to_http1_bytes();
    bytes.truncate(bytes.len() - 1000);
    let mut tcp = TcpClient::connect(&app).await;
    tcp.send(&bytes).await;
    tcp.finish_sending().await;
    if let Some(resp) = tcp.read_response().await {
        assert!(resp.status >= 400);
    }
    assert_absent(&app, "cut", "chunked").await;
    assert_absent(&app, "cut", "plain").await;
    assert_blobs(&app, 0).await;
    app.shutdown().await;
}

#[tokio::test]
async fn http_chunked_transfer_encoding() {
    let app = TestApp::start().await;
    app.bucket("te-bucket").await;
    let req = app.raw("PUT", "/te-bucket/k").header("transfer-encoding", "chunked").sign_payload(
        &app.root.access_key_id,
        &app.root.secret_access_key,
        SystemTime::now(),
        "UNSIGNED-PAYLOAD",
    );
    let mut bytes = req.to_http1_bytes();
    bytes.extend_from_slice(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    let mut tcp = TcpClient::connect(&app).await;
    tcp.send(&bytes).await;
    let resp = tcp.read_response().await.expect("a response");
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(app.get("te-bucket", "k").await, b"hello world");
    // Without Content-Length or chunked framing, a PUT is refused.
    let resp = app.raw("PUT", "/te-bucket/nolen").sign(&app.root.access_key_id, &app.root.secret_access_key);
    let mut bytes = resp.to_http1_bytes();
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&bytes[..head_end]).replace("\r\ncontent-length: 0", "");
    bytes = format!("{head}\r\n\r\n").into_bytes();
    let mut tcp = TcpClient::connect(&app).await;
    tcp.send(&bytes).await;
    let resp = tcp.read_response().await.expect("a response");
    assert_eq!(resp.status, 411);
    app.shutdown().await;
}

#[tokio::test]
async fn expect_continue_only_after_authentication() {
    let app = TestApp::start().await;
    app.bucket("cont").await;
    let body = b"continued body".to_vec();
    let req = app.raw("PUT", "/cont/k").header("expect", "100-continue").body(body.clone()).sign(&app.root.access_key_id, &app.root.secret_access_key);
    let bytes = req.to_http1_bytes();
    let split = bytes.len() - body.len();
    let mut tcp = TcpClient::connect(&app).await;
    tcp.send(&bytes[..split]).await;
    let interim = tcp.read_response().await.expect("interim response");
    assert_eq!(interim.status, 100);
    tcp.send(&bytes[split..]).await;
    let done = tcp.read_response().await.expect("final response");
    assert_eq!(done.status, 200);
    assert_eq!(app.get("cont", "k").await, body);

    // A bad signature is refused before the body is asked for.
    let req = app.raw("PUT", "/cont/denied").header("expect", "100-continue").body(body.clone()).sign(&app.root.access_key_id, "not-the-secret");
    let bytes = req.to_http1_bytes();
    let mut tcp = TcpClient::connect(&app).await;
    tcp.send(&bytes[..bytes.len() - body.len()]).await;
    let resp = tcp.read_response().await.expect("a response");
    assert_eq!(resp.status, 403);
    assert_eq!(resp.error_code().as_deref(), Some("SignatureDoesNotMatch"));
    app.shutdown().await;
}

#[tokio::test]
async fn payload_hash_modes() {
    let app = TestApp::start().await;
    app.bucket("hashes").await;
    let time = SystemTime::now();
    let wrong = hex::encode(Sha256::digest(b"another body"));
    let resp = app.raw("PUT", "/hashes/k").body("the body").sign_payload(&app.root.access_key_id, &app.root.secret_access_key, time, &wrong).send().await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("XAmzContentSHA256Mismatch")));
    let resp = app.raw("PUT", "/hashes/k").body("the body").sign_payload(&app.root.access_key_id, &app.root.secret_access_key, time, "garbage").send().await;
    assert_eq!(resp.error_code().as_deref(), Some("InvalidArgument"));
    let resp = app
        .raw("PUT", "/hashes/k")
        .body("the body")
        .sign_payload(&app.root.access_key_id, &app.root.secret_access_key, time, "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD")
        .send()
        .await;
    assert_eq!(resp.error_code().as_deref(), Some("NotImplemented"));
    assert_absent(&app, "hashes", "k").await;
    assert_blobs(&app, 0).await;
    let resp =
        app.raw("PUT", "/hashes/ok").body("the body").sign_payload(&app.root.access_key_id, &app.root.secret_access_key, time, "UNSIGNED-PAYLOAD").send().await;
    assert_eq!(resp.status, 200);
    app.shutdown().await;
}
