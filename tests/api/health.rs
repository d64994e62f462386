//! The health endpoint, the JSON API's error shape, and the request id every response
//! carries (successes, S3 errors, HEAD errors, refusals, the JSON API).

use std::collections::HashSet;

use crate::common::TestApp;

#[tokio::test]
async fn health_reports_catalog_and_storage() {
    let app = TestApp::start().await;
    let resp = app.raw("GET", "/_depot/health").send().await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&resp.body).expect("JSON");
    assert_eq!(body["status"], "ok", "{body}");
    assert_eq!(body["checks"]["catalog"]["status"], "ok", "{body}");
    assert_eq!(body["checks"]["storage"]["status"], "ok", "{body}");
    assert!(app.temp_files().is_empty(), "the storage probe cleans up");
    app.shutdown().await;
}

#[tokio::test]
async fn the_json_api_answers_errors_in_json() {
    let app = TestApp::start().await;
    for (method, path, status) in [("POST", "/_depot/health", 405), ("GET", "/_depot/nothing-here", 404)] {
        let resp = app.raw(method, path).send().await;
        assert_eq!(resp.status, status, "{method} {path}");
        let body: serde_json::Value = serde_json::from_slice(&resp.body).expect("JSON");
        assert!(body["error"]["code"].is_string() && body["error"]["message"].is_string(), "{body}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::start().await;
    app.bucket("ids").await;
    let etag = app.put("ids", "k", b"0123456789".to_vec()).await;
    let requests = vec![
        app.raw("GET", "/_depot/health"),
        app.raw("GET", "/_depot/nothing-here"),
        app.raw("GET", "/ids/k"),
        app.raw("GET", "/ids/k").header("range", "bytes=0-1"),
        app.raw("GET", "/ids/k").header("range", "bytes=50-"),
        app.raw("GET", "/ids/k").header("if-none-match", &etag),
        app.raw("HEAD", "/ids/missing"),
        app.raw("GET", "/no-such-bucket"),
        app.raw("PUT", "/ids?encryption"),
        app.raw("GET", "/"),
    ];
    let mut ids = HashSet::new();
    for (i, request) in requests.into_iter().enumerate() {
        // Half signed, half anonymous.
        let resp = if i % 2 == 0 { app.send_signed(request).await } else { request.send().await };
        let id = resp.header("x-amz-request-id").unwrap_or_else(|| panic!("request {i} ({}) has no request id", resp.status)).to_owned();
        assert!(id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        if let Some(in_body) = resp.error_code().and(crate::common::xml_value(&resp.text(), "RequestId")) {
            assert_eq!(in_body, id, "the error document names the same request");
        }
        assert!(ids.insert(id), "request ids are unique");
    }
    let out = app.client.list_buckets().send().await.unwrap();
    use aws_sdk_s3::operation::RequestId;
    assert!(out.request_id().is_some());
    app.shutdown().await;
}
