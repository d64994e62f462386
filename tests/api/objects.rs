//! PutObject, GetObject and HeadObject: ETags, Content-MD5, stored headers and user
//! metadata (non-ASCII bytes included, byte for byte), key rules and unusual keys, a
//! large streamed body, reads racing overwrites, and the read errors.
//! Every refused write leaves the stored objects as they were.

use aws_sdk_s3::primitives::{ByteStream, DateTime};

use crate::common::blob_body;
use crate::common::{content_md5, etag_of, s3_error, TestApp};

#[tokio::test]
async fn etag_is_the_quoted_md5_everywhere() {
    let app = TestApp::start().await;
    app.bucket("bkt").await;
    let etag = app.put("bkt", "hello.txt", b"hello world".to_vec()).await;
    assert_eq!(etag, "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");

    let got = app.client.get_object().bucket("bkt").key("hello.txt").send().await.unwrap();
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    assert_eq!(got.content_length(), Some(11));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"hello world");

    let head = app.client.head_object().bucket("bkt").key("hello.txt").send().await.unwrap();
    assert_eq!(head.e_tag(), Some(etag.as_str()));
    assert_eq!(head.content_length(), Some(11));

    let listed = app.client.list_objects_v2().bucket("bkt").send().await.unwrap();
    assert_eq!(listed.contents()[0].e_tag(), Some(etag.as_str()));
    assert_eq!(listed.contents()[0].size(), Some(11));

    // An empty object is an object too.
    assert_eq!(app.put("bkt", "empty", Vec::new()).await, etag_of(b""));
    assert_eq!(app.get("bkt", "empty").await, b"");
    app.shutdown().await;
}

#[tokio::test]
async fn overwriting_replaces_the_object() {
    let app = TestApp::start().await;
    app.bucket("bkt").await;
    app.put("bkt", "k", b"first".to_vec()).await;
    let etag = app.put("bkt", "k", b"second version".to_vec()).await;
    assert_eq!(etag, etag_of(b"second version"));
    assert_eq!(app.get("bkt", "k").await, b"second version");
    assert_eq!(app.keys("bkt").await, ["k"]);
    app.shutdown().await;
}

/// S3 reads are strongly consistent: a GET racing overwrites of its key gets one of
/// the written objects, whole, never a 404 (the version it found being replaced before
/// its parts were read).
#[tokio::test]
async fn reads_racing_overwrites_always_find_the_object() {
    let app = TestApp::start().await;
    app.bucket("bkt").await;
    let body = |i: usize| format!("version {i:05} ").repeat(64).into_bytes();
    app.put("bkt", "hot", body(0)).await;
    let writer = {
        let client = app.client.clone();
        tokio::spawn(async move {
            for i in 1..=300 {
                client.put_object().bucket("bkt").key("hot").body(ByteStream::from(body(i))).send().await.unwrap();
            }
        })
    };
    let readers: Vec<_> = (0..6)
        .map(|_| {
            let client = app.client.clone();
            tokio::spawn(async move {
                let mut reads = 0;
                while reads < 150 {
                    let got = client.get_object().bucket("bkt").key("hot").send().await.map_err(|e| format!("{:?}", e.into_service_error()));
                    let bytes = got.unwrap().body.collect().await.unwrap().into_bytes();
                    let text = String::from_utf8(bytes.to_vec()).unwrap();
                    assert_eq!(bytes.len(), 14 * 64, "a whole object");
                    assert_eq!(text, text[..14].repeat(64), "one version's bytes only");
                    reads += 1;
                }
            })
        })
        .collect();
    for reader in readers {
        reader.await.unwrap();
    }
    writer.await.unwrap();
    assert_eq!(app.get("bkt", "hot").await, body(300));
    app.shutdown().await;
}

#[tokio::test]
async fn digests_are_verified() {
    let app = TestApp::start().await;
    app.bucket("bkt").await;
    let body = b"checked bytes".to_vec();
    app.client
        .put_object()
        .bucket("bkt")
        .key("k")
        .content_md5(content_md5(&body))
        .body(body.clone().into())
        .send()
        .await
        .expect("a matching Content-MD5 is accepted");
    let before = app.snapshot("bkt").await;

    let wrong = app.client.put_object().bucket("bkt").key("k").content_md5(content_md5(b"other bytes")).body(b"new bytes".to_vec().into()).send().await;
    assert_eq!(s3_error(wrong), (400, "BadDigest".to_owned()));
    for malformed in ["not base64!", "AAAA", ""] {
        let result = app.client.put_object().bucket("bkt").key("k").content_md5(malformed).body(b"new bytes".to_vec().into()).send().await;
        assert_eq!(s3_error(result), (400, "InvalidDigest".to_owned()), "{malformed:?}");
    }
    // A flexible checksum that does not match is a 400 too, never a 500.
    let result = app.client.put_object().bucket("bkt").key("k").checksum_crc32("AAAAAA==").body(b"new bytes".to_vec().into()).send().await;
    assert_eq!(s3_error(result), (400, "BadDigest".to_owned()));
    // A new key with a bad digest is not created either.
    let wrong = app.client.put_object().bucket("bkt").key("new").content_md5(content_md5(b"x")).body(b"y".to_vec().into()).send().await;
    assert_eq!(s3_error(wrong).1, "BadDigest");

    assert_eq!(app.snapshot("bkt").await, before);
    assert!(app.temp_files().is_empty(), "refused bodies leave no temp files: {:?}", app.temp_files());
    app.shutdown().await;
}

#[tokio::test]
async fn stored_headers_and_user_metadata_round_trip() {
    let app = TestApp::start().await;
    app.bucket("bkt").await;
    let expires = DateTime::from_secs(1_900_000_000);
    app.client
        .put_object()
        .bucket("bkt")
        .key("page.html")
        .body(b"<p>hi</p>".to_vec().into())
        .content_type("text/html; charset=utf-8")
        .cache_control("max-age=60, public")
        .content_disposition("attachment; filename=\"page.html\"")
        .content_encoding("gzip")
        .content_language("de-CH")
        .expires(expires)
        .metadata("color", "blue")
        .metadata("Mixed-Case", "Value With Spaces")
        .send()
        .await
        .expect("put with headers");

    let got = app.client.get_object().bucket("bkt").key("page.html").send().await.unwrap();
    let head = app.client.head_object().bucket("bkt").key("page.html").send().await.unwrap();
    for (what, content_type, cache, disposition, encoding, language, expires_string, metadata) in [
        (
            "GET",
            got.content_type(),
            got.cache_control(),
            got.content_disposition(),
            got.content_encoding(),
            got.content_language(),
            got.expires_string(),
            got.metadata(),
        ),
        (
            "HEAD",
            head.content_type(),
            head.cache_control(),
            head.content_disposition(),
            head.content_encoding(),
            head.content_language(),
            head.expires_string(),
            head.metadata(),
        ),
    ] {
        assert_eq!(content_type, Some("text/html; charset=utf-8"), "{what}");
        assert_eq!(cache, Some("max-age=60, public"), "{what}");
        assert_eq!(disposition, Some("attachment; filename=\"page.html\""), "{what}");
        // The transfer encoding (aws-chunked) of the SDK's upload is never stored.
        assert_eq!(encoding, Some("gzip"), "{what}");
        assert_eq!(language, Some("de-CH"), "{what}");
        assert_eq!(expires_string, Some("Sun, 17 Mar 2030 17:46:40 GMT"), "{what}");
        let metadata = metadata.expect("user metadata");
        assert_eq!(metadata.get("color").map(String::as_str), Some("blue"), "{what}");
        assert_eq!(metadata.get("mixed-case").map(String::as_str), Some("Value With Spaces"), "{what}");
        assert_eq!(metadata.len(), 2, "{what}");
    }

    // Without a Content-Type (the SDK always sends one), S3's default.
    let put = app.send_signed(app.raw("PUT", "/bkt/plain").body("x")).await;
    assert_eq!(put.status, 200);
    let head = app.client.head_object().bucket("bkt").key("plain").send().await.unwrap();
    assert_eq!(head.content_type(), Some("binary/octet-stream"));
    app.shutdown().await;
}

#[tokio::test]
async fn user_metadata_is_limited_to_2_kb() {
    let app = TestApp::start().await;
    app.bucket("bkt").await;
    // Names and values count: "k" + 2047 bytes is exactly the limit.
    let fits = "v".repeat(2047);
    app.client.put_object().bucket("bkt").key("k").metadata("k", &fits).body(b"old".to_vec().into()).send().await.expect("2 KB of metadata fits");
    let before = app.snapshot("bkt").await;

    let too_much = "v".repeat(2048);
    let result = app.client.put_object().bucket("bkt").key("k").metadata("k", &too_much).body(b"new".to_vec().into()).send().await;
    assert_eq!(s3_error(result), (400, "MetadataTooLarge".to_owned()));
    let result = app
        .client
        .put_object()
        .bucket("bkt")
        .key("k2")
        .metadata("a", "x".repeat(1100))
        .metadata("b", "y".repeat(1100))
        .body(b"new".to_vec().into())
        .send()
        .await;
    assert_eq!(s3_error(result), (400, "MetadataTooLarge".to_owned()));

    assert_eq!(app.snapshot("bkt").await, before);
    let head = app.client.head_object().bucket("bkt").key("k").send().await.unwrap();
    assert_eq!(head.metadata().and_then(|m| m.get("k")), Some(&fits));
    app.shutdown().await;
}

#[tokio::test]
async fn keys_are_at_most_1024_bytes() {
    let app = TestApp::start().await;
    app.bucket("bkt").await;
    let longest = "k".repeat(1024);
    app.put("bkt", &longest, b"fits".to_vec()).await;
    // 1024 bytes of two-byte characters is 512 characters.
    let longest_unicode = "é".repeat(512);
    app.put("bkt", &longest_unicode, b"fits".to_vec()).await;
    let before = app.snapshot("bkt").await;

    for key in ["k".repeat(1025), format!("{longest_unicode}x"), "é".repeat(513)] {
        let result = app.client.put_object().bucket("bkt").key(&key).body(b"too long".to_vec().into()).send().await;
        assert_eq!(s3_error(result), (400, "KeyTooLongError".to_owned()), "{} bytes", key.len());
        let result = app.client.get_object().bucket("bkt").key(&key).send().await;
        assert_eq!(s3_error(result), (400, "KeyTooLongError".to_owned()));
    }
    assert_eq!(app.snapshot("bkt").await, before);
    app.shutdown().await;
}

#[tokio::test]
async fn unusual_keys_round_trip_as_plain_keys() {
    let app = TestApp::start().await;
    app.bucket("bkt").await;
    let escape = format!("depot-escape-{}", uuid::Uuid::new_v4().simple());
    let keys = [
        "with space".to_owned(),
        "plus+sign".to_owned(),
        "percent%".to_owned(),
        "percent%41encoded-looking".to_owned(),
        "question?mark".to_owned(),
        "hash#tag".to_owned(),
        "tilde~".to_owned(),
        "unicode/ü日本🎉".to_owned(),
        "double//slash".to_owned(),
        "/leading-slash".to_owned(),
        "trailing-slash/".to_owned(),
        "amp&eq=semi;comma,colon:at@dollar$".to_owned(),
        "quotes'\"star*brackets[]".to_owned(),
        "./dot".to_owned(),
        "../x".to_owned(),
        format!("../{escape}"),
        format!("../../{escape}"),
        format!("blobs/../../{escape}"),
    ];
    // Blob-sized bodies, so that every object has a blob file the keys could leak into.
    for key in &keys {
        let etag = app.put("bkt", key, blob_body(key.as_bytes())).await;
        assert_eq!(etag, etag_of(&blob_body(key.as_bytes())), "{key}");
    }
    for key in &keys {
        assert_eq!(app.get("bkt", key).await, blob_body(key.as_bytes()), "{key}");
        let head = app.client.head_object().bucket("bkt").key(key).send().await.unwrap_or_else(|e| panic!("{key}: {e:?}"));
        assert_eq!(head.content_length(), Some(blob_body(key.as_bytes()).len() as i64), "{key}");
    }
    let mut expected: Vec<String> = keys.to_vec();
    expected.sort();
    assert_eq!(app.keys("bkt").await, expected);

    // Keys never became paths: the data dir holds only its own files, one blob per
    // object, and nothing appeared next to it.
    let data_dir = app.data_dir.path();
    for path in walk(data_dir) {
        let rel = path.strip_prefix(data_dir).unwrap().to_string_lossy().into_owned();
        let known = rel.starts_with("depot.db")
            || rel.starts_with("tmp/")
            || rel == "root-credentials.json"
            || rel == "jwt-secret"
            || rel == "kms-keys.json"
            || rel == "drive-id"
            || is_blob_path(&rel);
        assert!(known, "unexpected file in the data dir: {rel}");
    }
    assert_eq!(app.blob_files().len(), keys.len());
    for dir in [data_dir.to_path_buf(), data_dir.join("blobs"), data_dir.parent().unwrap().to_path_buf()] {
        assert!(!dir.join(&escape).exists(), "a key escaped into {}", dir.display());
    }

    for key in &keys {
        app.client.delete_object().bucket("bkt").key(key).send().await.unwrap();
    }
    assert!(app.keys("bkt").await.is_empty());
    app.shutdown().await;
}

/// `blobs/ab/cd/<32 hex digits>`, the only shape a blob file has.
fn is_blob_path(rel: &str) -> bool {
    let parts: Vec<&str> = rel.split('/').collect();
    matches!(parts.as_slice(), ["blobs", a, b, id]
        if a.len() == 2 && b.len() == 2 && id.len() == 32 && id.bytes().all(|c| c.is_ascii_hexdigit()) && id.starts_with(&format!("{a}{b}")))
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.path().is_dir() {
            out.extend(walk(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out
}

#[tokio::test]
async fn a_large_body_streams_through() {
    let app = TestApp::start().await;
    app.bucket("big").await;
    // 20 MiB of a cheap pseudo-random sequence, so that no two blocks are alike.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let body: Vec<u8> = (0..20 * 1024 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let out = app.client.put_object().bucket("big").key("blob.bin").body(ByteStream::from(body.clone())).send().await.expect("put 20 MiB");
    assert_eq!(out.e_tag(), Some(etag_of(&body).as_str()));
    let got = app.client.get_object().bucket("big").key("blob.bin").send().await.unwrap();
    assert_eq!(got.content_length(), Some(body.len() as i64));
    let bytes = got.body.collect().await.unwrap().into_bytes();
    assert!(bytes.as_ref() == body.as_slice(), "the 20 MiB came back unchanged");
    app.shutdown().await;
}

#[tokio::test]
async fn reading_what_is_not_there() {
    let app = TestApp::start().await;
    app.bucket("bkt").await;
    let (status, code) = s3_error(app.client.get_object().bucket("bkt").key("nope").send().await);
    assert_eq!((status, code.as_str()), (404, "NoSuchKey"));
    let (status, code) = s3_error(app.client.get_object().bucket("no-such-bucket").key("k").send().await);
    assert_eq!((status, code.as_str()), (404, "NoSuchBucket"));
    let (status, _) = s3_error(app.client.head_object().bucket("bkt").key("nope").send().await);
    assert_eq!(status, 404);
    let (status, _) = s3_error(app.client.head_object().bucket("no-such-bucket").key("k").send().await);
    assert_eq!(status, 404);
    let (status, code) = s3_error(app.client.put_object().bucket("no-such-bucket").key("k").body(b"x".to_vec().into()).send().await);
    assert_eq!((status, code.as_str()), (404, "NoSuchBucket"));

    // HEAD errors carry no body, but still the request id.
    let head = app.send_signed(app.raw("HEAD", "/bkt/nope")).await;
    assert_eq!(head.status, 404);
    assert!(head.body.is_empty());
    assert!(head.header("x-amz-request-id").is_some());
    let get = app.send_signed(app.raw("GET", "/bkt/nope")).await;
    assert_eq!(get.error_code().as_deref(), Some("NoSuchKey"));
    assert!(get.text().contains("<Resource>/bkt/nope</Resource>"), "{}", get.text());
    app.shutdown().await;
}

#[tokio::test]
async fn objects_opened_in_a_browser_cannot_run_as_the_console_origin() {
    // The console (on by default) shares this origin: an HTML object must not run there.
    let app = TestApp::start().await;
    app.bucket("pages").await;
    let page = b"<html><script>sessionStorage.getItem('depot.session')</script></html>".to_vec();
    app.client.put_object().bucket("pages").key("evil.html").content_type("text/html").body(page.clone().into()).send().await.unwrap();
    for method in ["GET", "HEAD"] {
        let resp = app.send_signed(app.raw(method, "/pages/evil.html")).await;
        assert_eq!(resp.status, 200);
        assert_eq!(resp.header("content-security-policy"), Some("sandbox"), "{method}");
        assert_eq!(resp.header("x-content-type-options"), Some("nosniff"), "{method}");
        assert_eq!(resp.header("content-type"), Some("text/html"), "{method}: the stored type is kept");
    }
    assert_eq!(app.get("pages", "evil.html").await, page);
    app.shutdown().await;
}

/// Sends `request` on its own connection (closed after the answer) and returns the
/// answer's raw bytes: header values exactly as the server wrote them.
async fn raw_exchange(app: &TestApp, request: crate::common::RawRequest) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.expect("connect");
    stream.write_all(&request.to_http1_bytes()).await.expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut answer)).await.expect("answer in time").expect("read");
    answer
}

/// The raw bytes of header `name` in an HTTP/1.1 answer.
fn raw_header<'a>(answer: &'a [u8], name: &str) -> Option<&'a [u8]> {
    let head_end = answer.windows(4).position(|w| w == b"\r\n\r\n")?;
    answer[..head_end].split(|&b| b == b'\n').find_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let colon = line.iter().position(|&b| b == b':')?;
        line[..colon].eq_ignore_ascii_case(name.as_bytes()).then(|| line[colon + 1..].trim_ascii())
    })
}

#[tokio::test]
async fn non_ascii_user_metadata_round_trips_byte_for_byte() {
    let app = TestApp::start().await;
    app.bucket("meta").await;
    let (id, secret) = (app.root.access_key_id.clone(), app.root.secret_access_key.clone());
    // Raw UTF-8 header bytes, as curl or a browser sends them, and an RFC 2047 value as
    // boto3 users write non-ASCII text: stored and answered as sent.
    let encoded = "=?UTF-8?B?WsO8cmljaA==?=";
    let put =
        app.raw("PUT", "/meta/city").header("x-amz-meta-city", "Zürich").header("x-amz-meta-name", "Café Noël").header("x-amz-meta-encoded", encoded).body("x");
    let answer = raw_exchange(&app, put.sign(&id, &secret)).await;
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer));

    for method in ["GET", "HEAD"] {
        let answer = raw_exchange(&app, app.raw(method, "/meta/city").sign(&id, &secret)).await;
        assert!(answer.starts_with(b"HTTP/1.1 200"), "{method}: {}", String::from_utf8_lossy(&answer));
        assert_eq!(raw_header(&answer, "x-amz-meta-city"), Some("Zürich".as_bytes()), "{method}");
        assert_eq!(raw_header(&answer, "x-amz-meta-name"), Some("Café Noël".as_bytes()), "{method}");
        assert_eq!(raw_header(&answer, "x-amz-meta-encoded"), Some(encoded.as_bytes()), "{method}");
    }
    // A copy keeps them, and a multipart upload stores them the same way.
    app.client.copy_object().bucket("meta").key("copy").copy_source("meta/city").send().await.expect("copy");
    let mp = app.raw("POST", "/meta/parts?uploads").header("x-amz-meta-city", "Zürich").header("x-amz-meta-encoded", encoded);
    let answer = raw_exchange(&app, mp.sign(&id, &secret)).await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let upload_id = crate::common::xml_value(&text, "UploadId").expect("upload id");
    let part = app.client.upload_part().bucket("meta").key("parts").upload_id(&upload_id).part_number(1).body(b"p".to_vec().into()).send().await.unwrap();
    let done = aws_sdk_s3::types::CompletedMultipartUpload::builder()
        .parts(aws_sdk_s3::types::CompletedPart::builder().part_number(1).e_tag(part.e_tag().unwrap()).build())
        .build();
    app.client.complete_multipart_upload().bucket("meta").key("parts").upload_id(&upload_id).multipart_upload(done).send().await.unwrap();
    for key in ["copy", "parts"] {
        let answer = raw_exchange(&app, app.raw("HEAD", &format!("/meta/{key}")).sign(&id, &secret)).await;
        assert_eq!(raw_header(&answer, "x-amz-meta-city"), Some("Zürich".as_bytes()), "{key}");
        assert_eq!(raw_header(&answer, "x-amz-meta-encoded"), Some(encoded.as_bytes()), "{key}");
    }
    // The SDK reads the UTF-8 value back as text.
    let head = app.client.head_object().bucket("meta").key("city").send().await.unwrap();
    assert_eq!(head.metadata().and_then(|m| m.get("city")).map(String::as_str), Some("Zürich"));
    app.shutdown().await;
}
