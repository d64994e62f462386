//! Bucket CORS as browsers meet it: Put/Get/DeleteBucketCors with S3's validation, the
//! unsigned `OPTIONS` preflight on a bucket or an object, and the `Access-Control-*`
//! headers on actual responses to a request carrying `Origin`, errors included.

use std::time::{Duration, SystemTime};

use aws_sdk_s3::types::{BucketCannedAcl, CorsConfiguration, CorsRule, ObjectCannedAcl};

use crate::common::{content_md5, s3_error, xml_value, RawResponse, TestApp};

/// S3's `Vary` on every answer a rule matched.
const VARY: &str = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

/// S3's message when no rule matches a preflight (its spelling kept).
const NOT_ALLOWED: &str = "This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";

/// Every `Access-Control-*` header a response may carry.
const CORS_HEADERS: [&str; 7] = [
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-expose-headers",
    "access-control-max-age",
    "access-control-allow-credentials",
    "vary",
];

/// The app's own origins (one exact, one wildcard) for writes and reads, with every
/// field set.
fn app_rule() -> CorsRule {
    CorsRule::builder()
        .id("browser-uploads")
        .allowed_origins("https://app.example.com")
        .allowed_origins("http://*.example.com")
        .allowed_methods("PUT")
        .allowed_methods("POST")
        .allowed_methods("GET")
        .allowed_headers("x-amz-*")
        .allowed_headers("Content-Type")
        .expose_headers("ETag")
        .expose_headers("x-amz-version-id")
        .max_age_seconds(3000)
        .build()
        .unwrap()
}

/// Anyone may read: `*` origin, GET and HEAD, nothing else set.
fn public_read_rule() -> CorsRule {
    CorsRule::builder().allowed_origins("*").allowed_methods("GET").allowed_methods("HEAD").build().unwrap()
}

async fn put_rules(app: &TestApp, bucket: &str, rules: Vec<CorsRule>) {
    let config = CorsConfiguration::builder().set_cors_rules(Some(rules)).build().unwrap();
    app.client.put_bucket_cors().bucket(bucket).cors_configuration(config).send().await.expect("put bucket cors");
}

async fn stored_rules(app: &TestApp, bucket: &str) -> Vec<CorsRule> {
    app.client.get_bucket_cors().bucket(bucket).send().await.expect("get bucket cors").cors_rules().to_vec()
}

/// An unsigned `OPTIONS` preflight with the given `Origin`, `Access-Control-Request-Method`
/// and `Access-Control-Request-Headers` (each left out when `None`).
async fn preflight(app: &TestApp, path: &str, origin: Option<&str>, method: Option<&str>, headers: Option<&str>) -> RawResponse {
    let mut req = app.raw("OPTIONS", path);
    for (name, value) in [("origin", origin), ("access-control-request-method", method), ("access-control-request-headers", headers)] {
        if let Some(value) = value {
            req = req.header(name, value);
        }
    }
    req.send().await
}

/// The error document's `<Message>`, its XML escapes decoded.
pub fn decoded_message(resp: &RawResponse) -> Option<String> {
    resp.error_message().map(|m| m.replace("&quot;", "\"").replace("&apos;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
}

fn assert_no_cors_headers(resp: &RawResponse, what: &str) {
    for name in CORS_HEADERS {
        assert_eq!(resp.header(name), None, "{what}: {name} should be absent");
    }
}

/// An actual request from an origin no rule allows, to a bucket with rules: no
/// `Access-Control-*` header, and `Vary: Origin`, so a cache never hands this answer to
/// an origin a rule allows.
fn assert_refused_origin(resp: &RawResponse, what: &str) {
    for name in CORS_HEADERS.iter().filter(|n| **n != "vary") {
        assert_eq!(resp.header(name), None, "{what}: {name} should be absent");
    }
    assert_eq!(resp.header("vary"), Some("Origin"), "{what}");
}

/// The headers of a response that `app_rule` matched for `origin` (an actual request:
/// no `Access-Control-Allow-Headers`).
fn assert_app_rule_headers(resp: &RawResponse, origin: &str, what: &str) {
    assert_eq!(resp.header("access-control-allow-origin"), Some(origin), "{what}");
    assert_eq!(resp.header("access-control-allow-methods"), Some("PUT, POST, GET"), "{what}");
    assert_eq!(resp.header("access-control-expose-headers"), Some("ETag, x-amz-version-id"), "{what}");
    assert_eq!(resp.header("access-control-max-age"), Some("3000"), "{what}");
    assert_eq!(resp.header("access-control-allow-credentials"), Some("true"), "{what}");
    assert_eq!(resp.header("vary"), Some(VARY), "{what}");
    assert_eq!(resp.header("access-control-allow-headers"), None, "{what}: only a preflight names allowed headers");
}

#[tokio::test]
async fn put_get_delete_round_trip_keeps_rules_in_order() {
    let app = TestApp::start().await;
    app.bucket("cors-rt").await;
    let (status, code) = s3_error(app.client.get_bucket_cors().bucket("cors-rt").send().await);
    assert_eq!((status, code.as_str()), (404, "NoSuchCORSConfiguration"), "a new bucket has no CORS");

    put_rules(&app, "cors-rt", vec![app_rule(), public_read_rule()]).await;
    let rules = stored_rules(&app, "cors-rt").await;
    assert_eq!(rules, vec![app_rule(), public_read_rule()], "rules come back in order, every field as sent");
    let first = &rules[0];
    assert_eq!(first.id(), Some("browser-uploads"));
    assert_eq!(first.allowed_origins(), ["https://app.example.com", "http://*.example.com"]);
    assert_eq!(first.allowed_methods(), ["PUT", "POST", "GET"]);
    assert_eq!(first.allowed_headers(), ["x-amz-*", "Content-Type"]);
    assert_eq!(first.expose_headers(), ["ETag", "x-amz-version-id"]);
    assert_eq!(first.max_age_seconds(), Some(3000));
    let second = &rules[1];
    assert_eq!((second.id(), second.max_age_seconds()), (None, None));
    assert!(second.allowed_headers().is_empty() && second.expose_headers().is_empty());

    // A second put replaces the whole configuration.
    put_rules(&app, "cors-rt", vec![public_read_rule()]).await;
    assert_eq!(stored_rules(&app, "cors-rt").await, vec![public_read_rule()]);

    app.client.delete_bucket_cors().bucket("cors-rt").send().await.expect("delete bucket cors");
    let (status, code) = s3_error(app.client.get_bucket_cors().bucket("cors-rt").send().await);
    assert_eq!((status, code.as_str()), (404, "NoSuchCORSConfiguration"));
    let resp = preflight(&app, "/cors-rt", Some("https://anyone.test"), Some("GET"), None).await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (403, Some("CORSResponse")), "a deleted configuration allows nothing");
    app.shutdown().await;
}

#[tokio::test]
async fn invalid_configurations_are_refused_and_change_nothing() {
    let app = TestApp::start().await;
    app.bucket("cors-bad").await;
    put_rules(&app, "cors-bad", vec![app_rule()]).await;
    let rule = |origin: &str, method: &str| {
        format!("<CORSRule><AllowedOrigin>{origin}</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>{method}</AllowedMethod></CORSRule>")
    };
    let cases = [
        (rule("https://a.test", "PATCH"), 400, "InvalidRequest", Some("Found unsupported HTTP method in CORS config. Unsupported method is PATCH")),
        (rule("https://a.test", "get"), 400, "InvalidRequest", Some("Found unsupported HTTP method in CORS config. Unsupported method is get")),
        (rule("http://*.*.example.com", "PUT"), 400, "InvalidRequest", Some("AllowedOrigin \"http://*.*.example.com\" can not have more than one wildcard.")),
        (String::new(), 400, "MalformedXML", None),
        ("<CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule>".to_owned(), 400, "MalformedXML", None),
    ];
    for (rules, status, code, message) in cases {
        let body = format!("<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{rules}</CORSConfiguration>");
        let resp = app.send_signed(app.raw("PUT", "/cors-bad?cors").header("content-md5", &content_md5(body.as_bytes())).body(body.clone())).await;
        assert_eq!((resp.status, resp.error_code().as_deref()), (status, Some(code)), "{body}: {}", resp.text());
        if let Some(message) = message {
            assert_eq!(decoded_message(&resp).as_deref(), Some(message), "{body}");
        }
        assert_eq!(stored_rules(&app, "cors-bad").await, vec![app_rule()], "{body} changed the stored configuration");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn preflight_answers_from_the_first_matching_rule() {
    let app = TestApp::start().await;
    app.bucket("cors-pre").await;
    put_rules(&app, "cors-pre", vec![app_rule(), public_read_rule()]).await;

    for path in ["/cors-pre", "/cors-pre/some/object.txt"] {
        let resp = preflight(&app, path, Some("https://app.example.com"), Some("PUT"), Some("Content-Type, X-Amz-Date")).await;
        assert_eq!(resp.status, 200, "{path}: {}", resp.text());
        assert_eq!(resp.header("access-control-allow-origin"), Some("https://app.example.com"), "{path}");
        assert_eq!(resp.header("access-control-allow-methods"), Some("PUT, POST, GET"), "{path}");
        assert_eq!(resp.header("access-control-allow-headers"), Some("content-type, x-amz-date"), "{path}: requested names, lowercased");
        assert_eq!(resp.header("access-control-expose-headers"), Some("ETag, x-amz-version-id"), "{path}");
        assert_eq!(resp.header("access-control-max-age"), Some("3000"), "{path}");
        assert_eq!(resp.header("access-control-allow-credentials"), Some("true"), "{path}");
        assert_eq!(resp.header("vary"), Some(VARY), "{path}");
    }

    // The wildcard origin matches any subdomain over http, and only that.
    let resp = preflight(&app, "/cors-pre/k", Some("http://www.example.com"), Some("POST"), None).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.header("access-control-allow-origin"), Some("http://www.example.com"));
    assert_eq!(resp.header("access-control-allow-headers"), None, "no headers requested, none allowed");

    // `*` allows every origin and answers `*`, without credentials.
    let resp = preflight(&app, "/cors-pre", Some("https://anyone.test"), Some("HEAD"), None).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.header("access-control-allow-origin"), Some("*"));
    assert_eq!(resp.header("access-control-allow-methods"), Some("GET, HEAD"));
    assert_eq!(resp.header("access-control-allow-credentials"), None, "browsers refuse credentials beside `*`");
    assert_eq!(resp.header("access-control-expose-headers"), None);
    assert_eq!(resp.header("access-control-max-age"), None);
    assert_eq!(resp.header("vary"), Some(VARY));
    app.shutdown().await;
}

#[tokio::test]
async fn preflight_refusals_name_s3s_reasons() {
    let app = TestApp::start().await;
    app.bucket("cors-deny").await;
    app.bucket("cors-none").await;
    put_rules(&app, "cors-deny", vec![app_rule(), public_read_rule()]).await;

    let refused = [
        ("/cors-deny", "https://www.example.com", "POST", None, "BUCKET", "the wildcard origin is http only"),
        ("/cors-deny", "https://evil.test", "PUT", None, "BUCKET", "an origin no rule allows for the method"),
        ("/cors-deny/k", "https://app.example.com", "DELETE", None, "OBJECT", "a method no rule allows"),
        ("/cors-deny/k", "https://app.example.com", "PUT", Some("Authorization"), "OBJECT", "a header no rule allows"),
        ("/cors-deny", "https://anyone.test", "GET", Some("x-amz-date"), "BUCKET", "a rule without AllowedHeader allows none"),
    ];
    for (path, origin, method, headers, resource_type, what) in refused {
        let resp = preflight(&app, path, Some(origin), Some(method), headers).await;
        assert_eq!((resp.status, resp.error_code().as_deref()), (403, Some("CORSResponse")), "{what}: {}", resp.text());
        assert_eq!(decoded_message(&resp).as_deref(), Some(NOT_ALLOWED), "{what}");
        assert_eq!(xml_value(&resp.text(), "Method").as_deref(), Some(method), "{what}");
        assert_eq!(xml_value(&resp.text(), "ResourceType").as_deref(), Some(resource_type), "{what}");
        assert_no_cors_headers(&resp, what);
    }

    let resp = preflight(&app, "/cors-none", Some("https://app.example.com"), Some("GET"), None).await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (403, Some("CORSResponse")), "{}", resp.text());
    assert_eq!(decoded_message(&resp).as_deref(), Some("CORS is not enabled for this bucket."));
    assert_no_cors_headers(&resp, "a bucket without CORS");

    let resp = preflight(&app, "/cors-missing-bucket", Some("https://app.example.com"), Some("GET"), None).await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (403, Some("CORSResponse")), "{}", resp.text());
    assert_eq!(decoded_message(&resp).as_deref(), Some("Bucket not found"));

    let resp = preflight(&app, "/cors-deny", None, Some("GET"), None).await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("BadRequest")), "{}", resp.text());
    assert_eq!(decoded_message(&resp).as_deref(), Some("Insufficient information. Origin request header needed."));

    let resp = preflight(&app, "/cors-deny", Some("https://app.example.com"), None, None).await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("BadRequest")), "{}", resp.text());
    assert_eq!(decoded_message(&resp).as_deref(), Some("Invalid Access-Control-Request-Method: null"));
    app.shutdown().await;
}

#[tokio::test]
async fn actual_responses_carry_the_matching_rules_headers() {
    let app = TestApp::start().await;
    app.client.create_bucket().bucket("cors-get").acl(BucketCannedAcl::PublicRead).send().await.unwrap();
    put_rules(&app, "cors-get", vec![app_rule(), public_read_rule()]).await;
    app.client.put_object().bucket("cors-get").key("public.txt").acl(ObjectCannedAcl::PublicRead).body(b"for everyone".to_vec().into()).send().await.unwrap();
    app.put("cors-get", "private.txt", b"for root".to_vec()).await;

    // Anonymous GET of a public object from the app's origin.
    let resp = app.raw("GET", "/cors-get/public.txt").header("origin", "https://app.example.com").send().await;
    assert_eq!((resp.status, resp.body.as_slice()), (200, b"for everyone".as_slice()));
    assert_app_rule_headers(&resp, "https://app.example.com", "anonymous GET");

    // Any other origin meets the `*` rule; HEAD is its own method (the first rule lacks it).
    let resp = app.raw("GET", "/cors-get/public.txt").header("origin", "https://anyone.test").send().await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("access-control-allow-origin"), Some("*"));
    assert_eq!(resp.header("access-control-allow-credentials"), None);
    let resp = app.raw("HEAD", "/cors-get/public.txt").header("origin", "https://app.example.com").send().await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("access-control-allow-origin"), Some("*"), "HEAD matches only the second rule");
    assert_eq!(resp.header("access-control-allow-methods"), Some("GET, HEAD"));

    // A presigned URL, as a browser follows it.
    let (ak, sk) = (app.root.access_key_id.clone(), app.root.secret_access_key.clone());
    let resp = app
        .raw("GET", "/cors-get/private.txt")
        .presign(&ak, &sk, Duration::from_secs(300), SystemTime::now())
        .header("origin", "http://cdn.example.com")
        .send()
        .await;
    assert_eq!((resp.status, resp.body.as_slice()), (200, b"for root".as_slice()), "{}", resp.text());
    assert_app_rule_headers(&resp, "http://cdn.example.com", "presigned GET");

    // Without Origin, no CORS headers.
    let resp = app.raw("GET", "/cors-get/public.txt").send().await;
    assert_eq!(resp.status, 200);
    assert_no_cors_headers(&resp, "a request without Origin");
    app.shutdown().await;
}

#[tokio::test]
async fn error_responses_carry_cors_headers_too() {
    let app = TestApp::start().await;
    app.bucket("cors-err").await;
    app.bucket("cors-strict").await;
    put_rules(&app, "cors-err", vec![app_rule(), public_read_rule()]).await;
    put_rules(&app, "cors-strict", vec![app_rule()]).await;
    app.put("cors-err", "private.txt", b"secret".to_vec()).await;
    app.put("cors-strict", "private.txt", b"secret".to_vec()).await;
    let (ak, sk) = (app.root.access_key_id.clone(), app.root.secret_access_key.clone());

    // 404 to a signed request: the browser may read the error.
    let resp = app.raw("GET", "/cors-err/missing.txt").header("origin", "https://app.example.com").sign(&ak, &sk).send().await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (404, Some("NoSuchKey")), "{}", resp.text());
    assert_app_rule_headers(&resp, "https://app.example.com", "404 NoSuchKey");

    // 403 to an anonymous request.
    let resp = app.raw("GET", "/cors-err/private.txt").header("origin", "https://app.example.com").send().await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (403, Some("AccessDenied")), "{}", resp.text());
    assert_app_rule_headers(&resp, "https://app.example.com", "403 AccessDenied");
    let resp = app.raw("GET", "/cors-err/private.txt").header("origin", "https://anyone.test").send().await;
    assert_eq!(resp.status, 403);
    assert_eq!(resp.header("access-control-allow-origin"), Some("*"), "the `*` rule answers errors too");

    // A wrong signature is still answered with the bucket's headers.
    let resp = app.raw("GET", "/cors-err/private.txt").header("origin", "https://app.example.com").sign(&ak, "not-the-secret").send().await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (403, Some("SignatureDoesNotMatch")));
    assert_eq!(resp.header("access-control-allow-origin"), Some("https://app.example.com"));

    // An origin no rule allows (or a method no rule allows) gets none, success or error.
    for (method, path, signed, status) in
        [("GET", "/cors-strict/private.txt", true, 200), ("GET", "/cors-strict/private.txt", false, 403), ("GET", "/cors-strict/missing.txt", true, 404)]
    {
        let req = app.raw(method, path).header("origin", "https://evil.test");
        let resp = if signed { req.sign(&ak, &sk).send().await } else { req.send().await };
        assert_eq!(resp.status, status, "{method} {path}: {}", resp.text());
        assert_refused_origin(&resp, &format!("{method} {path} from an origin no rule allows"));
    }
    let resp = app.raw("DELETE", "/cors-err/private.txt").header("origin", "https://app.example.com").send().await;
    assert_eq!(resp.status, 403);
    assert_refused_origin(&resp, "DELETE, which no rule allows");
    assert_eq!(app.get("cors-err", "private.txt").await, b"secret");
    app.shutdown().await;
}
