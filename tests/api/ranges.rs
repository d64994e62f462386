//! GetObject and HeadObject beyond the plain read: byte ranges (206, Content-Range, 416),
//! `response-*` overrides, conditional reads, and the Last-Modified and ETag headers.

use aws_sdk_s3::primitives::DateTime;
use chrono::NaiveDateTime;

use crate::common::{s3_error, TestApp};

/// 100 bytes: 0, 1, …, 99.
fn hundred() -> Vec<u8> {
    (0u8..100).collect()
}

#[tokio::test]
async fn byte_ranges() {
    let app = TestApp::start().await;
    app.bucket("rng").await;
    let etag = app.put("rng", "k", hundred()).await;

    for (range, first, last) in
        [("bytes=10-19", 10, 19), ("bytes=90-", 90, 99), ("bytes=-5", 95, 99), ("bytes=95-200", 95, 99), ("bytes=0-0", 0, 0), ("bytes=-500", 0, 99)]
    {
        let resp = app.send_signed(app.raw("GET", "/rng/k").header("range", range)).await;
        assert_eq!(resp.status, 206, "{range}");
        assert_eq!(resp.header("content-range"), Some(format!("bytes {first}-{last}/100").as_str()), "{range}");
        assert_eq!(resp.header("content-length"), Some((last - first + 1).to_string().as_str()), "{range}");
        assert_eq!(resp.header("etag"), Some(etag.as_str()), "{range}");
        assert_eq!(resp.body, hundred()[first..=last], "{range}");
    }

    let got = app.client.get_object().bucket("rng").key("k").range("bytes=10-19").send().await.unwrap();
    assert_eq!(got.content_range(), Some("bytes 10-19/100"));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), &hundred()[10..20]);

    let head = app.send_signed(app.raw("HEAD", "/rng/k").header("range", "bytes=-10")).await;
    assert_eq!((head.status, head.header("content-range"), head.header("content-length")), (206, Some("bytes 90-99/100"), Some("10")));

    // Malformed or multi-range values are ignored, as HTTP says: the whole object.
    for range in ["bytes=abc", "items=0-1", "bytes=5-1", "bytes=0-1,5-6"] {
        let resp = app.send_signed(app.raw("GET", "/rng/k").header("range", range)).await;
        assert_eq!((resp.status, resp.body.len()), (200, 100), "{range}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn unsatisfiable_ranges_are_416() {
    let app = TestApp::start().await;
    app.bucket("rng").await;
    app.put("rng", "k", hundred()).await;
    for range in ["bytes=100-", "bytes=100-200", "bytes=500-600"] {
        let resp = app.send_signed(app.raw("GET", "/rng/k").header("range", range)).await;
        assert_eq!((resp.status, resp.error_code().as_deref()), (416, Some("InvalidRange")), "{range}");
        assert_eq!(resp.header("content-range"), Some("bytes */100"), "{range}");
    }
    let (status, code) = s3_error(app.client.get_object().bucket("rng").key("k").range("bytes=100-").send().await);
    assert_eq!((status, code.as_str()), (416, "InvalidRange"));
    app.shutdown().await;
}

#[tokio::test]
async fn response_overrides() {
    let app = TestApp::start().await;
    app.bucket("rng").await;
    app.client.put_object().bucket("rng").key("k").content_type("text/plain").body(b"data".to_vec().into()).send().await.unwrap();

    let got = app
        .client
        .get_object()
        .bucket("rng")
        .key("k")
        .response_content_type("application/json")
        .response_content_disposition("attachment; filename=\"x.json\"")
        .response_cache_control("no-store")
        .response_content_language("fr")
        .response_content_encoding("identity")
        .response_expires(DateTime::from_secs(1_900_000_000))
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("application/json"));
    assert_eq!(got.content_disposition(), Some("attachment; filename=\"x.json\""));
    assert_eq!(got.cache_control(), Some("no-store"));
    assert_eq!(got.content_language(), Some("fr"));
    assert_eq!(got.content_encoding(), Some("identity"));
    assert_eq!(got.expires_string(), Some("Sun, 17 Mar 2030 17:46:40 GMT"));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"data");

    // Overrides change the response only: the stored headers are as written.
    let head = app.client.head_object().bucket("rng").key("k").send().await.unwrap();
    assert_eq!(head.content_type(), Some("text/plain"));
    assert_eq!(head.content_disposition(), None);
    app.shutdown().await;
}

#[tokio::test]
async fn last_modified_is_an_http_date_and_etag_is_stable() {
    let app = TestApp::start().await;
    app.bucket("rng").await;
    let before = chrono::Utc::now();
    let etag = app.put("rng", "k", b"dated".to_vec()).await;

    let get = app.send_signed(app.raw("GET", "/rng/k")).await;
    let head = app.send_signed(app.raw("HEAD", "/rng/k")).await;
    let last_modified = get.header("last-modified").expect("Last-Modified").to_owned();
    assert_eq!(head.header("last-modified"), Some(last_modified.as_str()));
    let parsed = NaiveDateTime::parse_from_str(&last_modified, "%a, %d %b %Y %H:%M:%S GMT").unwrap_or_else(|e| panic!("{last_modified}: {e}")).and_utc();
    assert!((parsed - before).num_seconds().abs() < 300, "Last-Modified {last_modified} is the time of the write");
    assert_eq!(get.header("etag"), Some(etag.as_str()));
    assert_eq!(head.header("etag"), Some(etag.as_str()));
    assert!(get.header("date").is_some(), "every response has a Date");

    // The listing shows the same moment, to the second.
    let listed = app.client.list_objects_v2().bucket("rng").send().await.unwrap();
    let listed_at = listed.contents()[0].last_modified().expect("LastModified");
    assert_eq!(listed_at.secs(), parsed.timestamp());
    app.shutdown().await;
}

#[tokio::test]
async fn conditional_reads() {
    let app = TestApp::start().await;
    app.bucket("rng").await;
    let etag = app.put("rng", "k", b"cond".to_vec()).await;
    let last_modified = app.send_signed(app.raw("HEAD", "/rng/k")).await.header("last-modified").unwrap().to_owned();

    let not_modified = app.send_signed(app.raw("GET", "/rng/k").header("if-none-match", &etag)).await;
    assert_eq!(not_modified.status, 304);
    assert_eq!(not_modified.header("etag"), Some(etag.as_str()));
    assert_eq!(app.send_signed(app.raw("GET", "/rng/k").header("if-modified-since", &last_modified)).await.status, 304);
    assert_eq!(app.send_signed(app.raw("GET", "/rng/k").header("if-match", "\"0000\"")).await.status, 412);
    assert_eq!(app.send_signed(app.raw("GET", "/rng/k").header("if-match", &etag)).await.status, 200);
    assert_eq!(app.send_signed(app.raw("GET", "/rng/k").header("if-unmodified-since", "Mon, 01 Jan 2001 00:00:00 GMT")).await.status, 412);
    app.shutdown().await;
}
