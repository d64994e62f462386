//! Browser POST uploads: a `multipart/form-data` POST to the bucket URL whose policy is
//! signed with SigV4 or SigV2 (or an anonymous form the bucket's ACL allows). The file is
//! stored as PutObject stores a body, with the form's fields as its headers; the policy's
//! expiration, conditions, coverage and `content-length-range` are enforced, and a refused
//! form stores nothing.

use aws_sdk_s3::types::BucketCannedAcl;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha1::Sha1;
use sha2::Sha256;

use crate::common::{etag_of, xml_value, RawRequest, RawResponse, TcpClient, TestApp, REGION};
use crate::cors::decoded_message;

/// A file part: its `filename`, its own `Content-Type` and its bytes.
struct File<'a> {
    name: &'a str,
    content_type: &'a str,
    bytes: &'a [u8],
}

fn file<'a>(name: &'a str, bytes: &'a [u8]) -> File<'a> {
    File { name, content_type: "application/octet-stream", bytes }
}

/// A `multipart/form-data` body: `fields` in order, then the `file` part (when there is
/// one), then `after` (parts S3 never reads), then the closing boundary.
fn form_body(boundary: &str, fields: &[(String, String)], file: Option<&File<'_>>, after: &[(&str, &str)]) -> Vec<u8> {
    let field = |body: &mut Vec<u8>, name: &str, value: &str| {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    };
    let mut body = Vec::new();
    for (name, value) in fields {
        field(&mut body, name, value);
    }
    if let Some(file) = file {
        let head =
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n", file.name, file.content_type);
        body.extend_from_slice(head.as_bytes());
        body.extend_from_slice(file.bytes);
        body.extend_from_slice(b"\r\n");
    }
    for (name, value) in after {
        field(&mut body, name, value);
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

/// A form POST to `/bucket`, unsigned (the signature is in the form).
fn form_request(app: &TestApp, bucket: &str, fields: &[(String, String)], file: Option<&File<'_>>, after: &[(&str, &str)]) -> RawRequest {
    let boundary = format!("----DepotFormBoundary{}", uuid::Uuid::new_v4().simple());
    let content_type = format!("multipart/form-data; boundary={boundary}");
    app.raw("POST", &format!("/{bucket}")).header("content-type", &content_type).body(form_body(&boundary, fields, file, after))
}

async fn post(app: &TestApp, bucket: &str, fields: &[(String, String)], file: Option<&File<'_>>, after: &[(&str, &str)]) -> RawResponse {
    form_request(app, bucket, fields, file, after).send().await
}

/// Sends a request on a connection of its own, so that a redirect is read, not followed.
async fn send_without_following(app: &TestApp, request: RawRequest) -> RawResponse {
    let mut tcp = TcpClient::connect(app).await;
    tcp.send(&request.to_http1_bytes()).await;
    tcp.read_response().await.expect("a response")
}

fn owned(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
}

fn hmac_sha256(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The base64 policy document.
fn encode_policy(expiration: DateTime<Utc>, conditions: Vec<Value>) -> String {
    let document = json!({ "expiration": expiration.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(), "conditions": conditions });
    base64::engine::general_purpose::STANDARD.encode(document.to_string())
}

fn in_an_hour() -> DateTime<Utc> {
    Utc::now() + Duration::hours(1)
}

/// A SigV4 form for `bucket` signed with `access_key`/`secret`: `fields`, then `policy` and
/// the four `x-amz-*` signature fields. The policy holds `{"bucket": bucket}`,
/// `conditions`, and the conditions on `x-amz-algorithm`, `x-amz-credential` and
/// `x-amz-date` a browser form needs.
fn v4_form_as(
    access_key: &str,
    secret: &str,
    bucket: &str,
    expiration: DateTime<Utc>,
    conditions: Vec<Value>,
    fields: &[(&str, &str)],
) -> Vec<(String, String)> {
    let now = Utc::now();
    let (date, amz_date) = (now.format("%Y%m%d").to_string(), now.format("%Y%m%dT%H%M%SZ").to_string());
    let credential = format!("{access_key}/{date}/{REGION}/s3/aws4_request");
    let mut all = vec![json!({ "bucket": bucket })];
    all.extend(conditions);
    all.extend([json!({ "x-amz-algorithm": "AWS4-HMAC-SHA256" }), json!({ "x-amz-credential": credential }), json!({ "x-amz-date": amz_date })]);
    let policy = encode_policy(expiration, all);
    let mut key = hmac_sha256(format!("AWS4{secret}").as_bytes(), &date);
    for part in [REGION, "s3", "aws4_request"] {
        key = hmac_sha256(&key, part);
    }
    let signature = hex::encode(hmac_sha256(&key, &policy));
    let mut out = owned(fields);
    out.extend(owned(&[
        ("policy", policy.as_str()),
        ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
        ("x-amz-credential", credential.as_str()),
        ("x-amz-date", amz_date.as_str()),
        ("x-amz-signature", signature.as_str()),
    ]));
    out
}

/// [`v4_form_as`] as root, valid for an hour.
fn v4_form(app: &TestApp, bucket: &str, conditions: Vec<Value>, fields: &[(&str, &str)]) -> Vec<(String, String)> {
    v4_form_as(&app.root.access_key_id, &app.root.secret_access_key, bucket, in_an_hour(), conditions, fields)
}

/// A SigV2 form as root: `fields`, then `AWSAccessKeyId`, `policy` (with
/// `{"bucket": bucket}` and `conditions`) and `signature`, signed with `secret`.
fn v2_form(app: &TestApp, secret: &str, bucket: &str, conditions: Vec<Value>, fields: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut all = vec![json!({ "bucket": bucket })];
    all.extend(conditions);
    let policy = encode_policy(in_an_hour(), all);
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(policy.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let mut out = owned(fields);
    out.extend(owned(&[("AWSAccessKeyId", app.root.access_key_id.as_str()), ("policy", policy.as_str()), ("signature", signature.as_str())]));
    out
}

/// `"etag"` as S3's XML documents write it.
fn xml_etag(etag: &str) -> String {
    etag.replace('"', "&quot;")
}

fn assert_refused(resp: &RawResponse, status: u16, code: &str, what: &str) {
    assert_eq!((resp.status, resp.error_code().as_deref()), (status, Some(code)), "{what}: {}", resp.text());
}

#[tokio::test]
async fn v4_form_stores_the_file_with_its_fields_and_answers_201() {
    let app = TestApp::start().await;
    app.bucket("posts").await;
    let fields = v4_form(
        &app,
        "posts",
        vec![
            json!(["starts-with", "$key", "uploads/"]),
            json!({ "Content-Type": "text/plain" }),
            json!({ "x-amz-meta-note": "from a browser" }),
            json!({ "success_action_status": "201" }),
            json!({ "acl": "public-read" }),
        ],
        &[
            ("key", "uploads/${filename}"),
            ("Content-Type", "text/plain"),
            ("x-amz-meta-note", "from a browser"),
            ("success_action_status", "201"),
            ("acl", "public-read"),
        ],
    );
    let bytes = b"hello from a browser form".as_slice();
    let resp = post(&app, "posts", &fields, Some(&file("docs/report.txt", bytes)), &[]).await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    let etag = etag_of(bytes);
    let location = format!("{}/posts/uploads%2Freport.txt", app.endpoint);
    let doc = resp.text();
    assert!(doc.contains("<PostResponse>"), "{doc}");
    assert_eq!(xml_value(&doc, "Bucket").as_deref(), Some("posts"));
    assert_eq!(xml_value(&doc, "Key").as_deref(), Some("uploads/report.txt"), "${{filename}} is the file name after its last separator");
    assert_eq!(xml_value(&doc, "ETag"), Some(xml_etag(&etag)));
    assert_eq!(xml_value(&doc, "Location").as_deref(), Some(location.as_str()));
    assert_eq!(resp.header("etag"), Some(etag.as_str()));
    assert_eq!(resp.header("location"), Some(location.as_str()));

    let head = app.client.head_object().bucket("posts").key("uploads/report.txt").send().await.expect("the upload is stored");
    assert_eq!(head.content_type(), Some("text/plain"), "the Content-Type field wins over the file part's type");
    assert_eq!(head.metadata().and_then(|m| m.get("note")).map(String::as_str), Some("from a browser"));
    assert_eq!(head.e_tag(), Some(etag.as_str()));
    assert_eq!(head.content_length(), Some(bytes.len() as i64));
    assert_eq!(app.get("posts", "uploads/report.txt").await, bytes);
    let anonymous = app.raw("GET", "/posts/uploads/report.txt").send().await;
    assert_eq!((anonymous.status, anonymous.body.as_slice()), (200, bytes), "the acl field applies as x-amz-acl");
    app.shutdown().await;
}

#[tokio::test]
async fn success_answers_redirect_or_default_to_204() {
    let app = TestApp::start().await;
    app.bucket("posts").await;
    let redirect = "https://app.example.com/done?from=form";
    let fields = v4_form(
        &app,
        "posts",
        vec![json!(["starts-with", "$key", "uploads/"]), json!(["eq", "$success_action_redirect", redirect])],
        &[("key", "uploads/${filename}"), ("success_action_redirect", redirect)],
    );
    let bytes = b"redirected".as_slice();
    let resp = send_without_following(&app, form_request(&app, "posts", &fields, Some(&file("a b.txt", bytes)), &[])).await;
    assert_eq!(resp.status, 303, "{}", resp.text());
    let md5 = etag_of(bytes).trim_matches('"').to_owned();
    assert_eq!(resp.header("location"), Some(format!("{redirect}&bucket=posts&key=uploads%2Fa+b.txt&etag=%22{md5}%22").as_str()));
    assert_eq!(resp.header("etag"), Some(etag_of(bytes).as_str()));
    assert_eq!(app.get("posts", "uploads/a b.txt").await, bytes);

    let fields = v4_form(&app, "posts", vec![json!({ "key": "plain.txt" })], &[("key", "plain.txt")]);
    let resp = post(&app, "posts", &fields, Some(&file("ignored-name.bin", b"no status asked")), &[]).await;
    assert_eq!(resp.status, 204, "{}", resp.text());
    assert!(resp.body.is_empty());
    assert_eq!(resp.header("etag"), Some(etag_of(b"no status asked").as_str()));
    assert_eq!(resp.header("location"), Some(format!("{}/posts/plain.txt", app.endpoint).as_str()));
    let head = app.client.head_object().bucket("posts").key("plain.txt").send().await.unwrap();
    assert_eq!(head.content_type(), Some("application/octet-stream"), "the file part's own type, without a Content-Type field");

    let fields = v4_form(
        &app,
        "posts",
        vec![json!({ "key": "ok.txt" }), json!({ "success_action_status": "200" })],
        &[("key", "ok.txt"), ("success_action_status", "200")],
    );
    let resp = post(&app, "posts", &fields, Some(&file("ok.txt", b"200 please")), &[]).await;
    assert_eq!((resp.status, resp.body.is_empty()), (200, true), "{}", resp.text());
    assert_eq!(app.keys("posts").await, ["ok.txt", "plain.txt", "uploads/a b.txt"]);
    app.shutdown().await;
}

#[tokio::test]
async fn v2_signed_form_is_accepted() {
    let app = TestApp::start().await;
    app.bucket("posts").await;
    let secret = app.root.secret_access_key.clone();
    let fields = v2_form(
        &app,
        &secret,
        "posts",
        vec![json!(["starts-with", "$key", "legacy/"]), json!({ "x-amz-meta-signed": "v2" })],
        &[("key", "legacy/${filename}"), ("x-amz-meta-signed", "v2")],
    );
    let resp = post(&app, "posts", &fields, Some(&file("old.txt", b"signed with SigV2")), &[]).await;
    assert_eq!(resp.status, 204, "{}", resp.text());
    let head = app.client.head_object().bucket("posts").key("legacy/old.txt").send().await.unwrap();
    assert_eq!(head.metadata().and_then(|m| m.get("signed")).map(String::as_str), Some("v2"));
    assert_eq!(app.get("posts", "legacy/old.txt").await, b"signed with SigV2");

    let fields = v2_form(&app, "not-the-secret", "posts", vec![json!({ "key": "legacy/bad.txt" })], &[("key", "legacy/bad.txt")]);
    let resp = post(&app, "posts", &fields, Some(&file("bad.txt", b"forged")), &[]).await;
    assert_refused(&resp, 403, "SignatureDoesNotMatch", "a V2 signature with the wrong secret");
    assert_eq!(app.keys("posts").await, ["legacy/old.txt"]);
    app.shutdown().await;
}

#[tokio::test]
async fn content_length_range_bounds_the_file() {
    let app = TestApp::start().await;
    app.bucket("posts").await;
    let range = |min: u64, max: u64| v4_form(&app, "posts", vec![json!({ "key": "sized" }), json!(["content-length-range", min, max])], &[("key", "sized")]);
    let before = app.snapshot("posts").await;

    let resp = post(&app, "posts", &range(1, 10), Some(&file("f", b"eleven byte")), &[]).await;
    assert_refused(&resp, 400, "EntityTooLarge", "a file over the maximum");
    assert_eq!(xml_value(&resp.text(), "MaxSizeAllowed").as_deref(), Some("10"));
    assert_eq!(app.snapshot("posts").await, before, "a file over the maximum is not stored");

    let resp = post(&app, "posts", &range(100, 1000), Some(&file("f", b"small")), &[]).await;
    assert_refused(&resp, 400, "EntityTooSmall", "a file under the minimum");
    assert_eq!(decoded_message(&resp).as_deref(), Some("Your proposed upload is smaller than the minimum allowed size"));
    assert_eq!(xml_value(&resp.text(), "MinSizeAllowed").as_deref(), Some("100"));
    assert_eq!(app.snapshot("posts").await, before, "a file under the minimum is not stored");

    let resp = post(&app, "posts", &range(10, 10), Some(&file("f", b"ten bytes!")), &[]).await;
    assert_eq!(resp.status, 204, "the bounds are inclusive: {}", resp.text());
    assert_eq!(app.get("posts", "sized").await, b"ten bytes!");
    app.shutdown().await;
}

#[tokio::test]
async fn policy_violations_are_access_denied_and_store_nothing() {
    let app = TestApp::start().await;
    app.bucket("posts").await;
    let (ak, sk) = (app.root.access_key_id.clone(), app.root.secret_access_key.clone());
    let before = app.snapshot("posts").await;
    let upload = file("x", b"should not land");

    let expired = v4_form_as(&ak, &sk, "posts", Utc::now() - Duration::minutes(1), vec![json!({ "key": "late.txt" })], &[("key", "late.txt")]);
    let failing = v4_form(&app, "posts", vec![json!(["starts-with", "$key", "uploads/"])], &[("key", "other/x")]);
    let uncovered = v4_form(&app, "posts", vec![json!({ "key": "uploads/x" })], &[("key", "uploads/x"), ("x-amz-meta-extra", "sneaked in")]);
    let wrong_bucket = v4_form(&app, "other-bucket", vec![json!({ "key": "uploads/x" })], &[("key", "uploads/x")]);
    let cases = [
        (expired, "Invalid according to Policy: Policy expired."),
        (failing, "Invalid according to Policy: Policy Condition failed: [\"starts-with\", \"$key\", \"uploads/\"]"),
        (uncovered, "Invalid according to Policy: Extra input fields: x-amz-meta-extra"),
        (wrong_bucket, "Invalid according to Policy: Policy Condition failed: [\"eq\", \"$bucket\", \"other-bucket\"]"),
    ];
    for (fields, message) in cases {
        let resp = post(&app, "posts", &fields, Some(&upload), &[]).await;
        assert_refused(&resp, 403, "AccessDenied", message);
        assert_eq!(decoded_message(&resp).as_deref(), Some(message));
        assert_eq!(app.snapshot("posts").await, before, "{message}: stored something");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn bad_signatures_and_unknown_keys_are_refused() {
    let app = TestApp::start().await;
    app.bucket("posts").await;
    let before = app.snapshot("posts").await;
    let upload = file("x", b"should not land");
    let conditions = || vec![json!({ "key": "k" })];

    let mut wrong_signature = v4_form(&app, "posts", conditions(), &[("key", "k")]);
    let last = wrong_signature.len() - 1;
    assert_eq!(wrong_signature[last].0, "x-amz-signature");
    wrong_signature[last].1 = "0".repeat(64);
    let resp = post(&app, "posts", &wrong_signature, Some(&upload), &[]).await;
    assert_refused(&resp, 403, "SignatureDoesNotMatch", "a wrong V4 signature");

    // The signature covers the policy as sent: a widened policy no longer matches it.
    let mut tampered = v4_form(&app, "posts", conditions(), &[("key", "k")]);
    let wider = encode_policy(in_an_hour(), vec![json!(["starts-with", "$key", ""])]);
    tampered.iter_mut().find(|(n, _)| n == "policy").unwrap().1 = wider;
    let resp = post(&app, "posts", &tampered, Some(&upload), &[]).await;
    assert_refused(&resp, 403, "SignatureDoesNotMatch", "a policy changed after signing");

    let unknown = v4_form_as("DPUNKNOWNKEY00000000", "whatever-secret", "posts", in_an_hour(), conditions(), &[("key", "k")]);
    let resp = post(&app, "posts", &unknown, Some(&upload), &[]).await;
    assert_refused(&resp, 403, "InvalidAccessKeyId", "an access key that does not exist");

    let (user_key, _) = app.create_user("mallory").await;
    let forged = v4_form_as(&user_key, "not-mallorys-secret", "posts", in_an_hour(), conditions(), &[("key", "k")]);
    let resp = post(&app, "posts", &forged, Some(&upload), &[]).await;
    assert_refused(&resp, 403, "SignatureDoesNotMatch", "a real key with the wrong secret");
    assert_eq!(app.snapshot("posts").await, before);
    app.shutdown().await;
}

#[tokio::test]
async fn malformed_forms_are_refused() {
    let app = TestApp::start().await;
    app.bucket("posts").await;
    let before = app.snapshot("posts").await;

    let fields = v4_form(&app, "posts", vec![json!({ "key": "k" })], &[("key", "k")]);
    let resp = post(&app, "posts", &fields, None, &[]).await;
    assert_refused(&resp, 400, "InvalidArgument", "a form without a file");
    assert_eq!(decoded_message(&resp).as_deref(), Some("POST requires exactly one file upload per request."));
    assert_eq!(xml_value(&resp.text(), "ArgumentName").as_deref(), Some("file"));
    assert_eq!(xml_value(&resp.text(), "ArgumentValue").as_deref(), Some("0"));

    let resp = post(&app, "posts", &owned(&[("acl", "private")]), Some(&file("x", b"no key")), &[]).await;
    assert_refused(&resp, 400, "InvalidArgument", "a form without a key");
    assert_eq!(xml_value(&resp.text(), "ArgumentName").as_deref(), Some("key"));

    let fields = v4_form(&app, "no-such-bucket", vec![json!({ "key": "k" })], &[("key", "k")]);
    let resp = post(&app, "no-such-bucket", &fields, Some(&file("x", b"nowhere")), &[]).await;
    assert_refused(&resp, 404, "NoSuchBucket", "a form to a bucket that does not exist");

    let resp = app.raw("POST", "/posts").header("content-type", "application/x-www-form-urlencoded").body("key=k&file=x").send().await;
    assert_refused(&resp, 412, "PreconditionFailed", "a form that is not multipart/form-data");

    // Nothing before the file is authenticated, so nothing there may grow without bound:
    // fields past 20 KB, or one huge field, or a flood of nameless parts.
    let big = "x".repeat(21 * 1024);
    let resp = post(&app, "posts", &owned(&[("key", "k"), ("x-amz-meta-big", big.as_str())]), Some(&file("x", b"data")), &[]).await;
    assert_refused(&resp, 400, "MaxPostPreDataLengthExceeded", "fields past 20 KB");
    let huge = "y".repeat(3 * 1024 * 1024);
    let resp = post(&app, "posts", &owned(&[("key", "k"), ("x-amz-meta-huge", huge.as_str())]), Some(&file("x", b"data")), &[]).await;
    assert_refused(&resp, 400, "MaxPostPreDataLengthExceeded", "a field of 3 MiB");
    let nameless = "--XX\r\nContent-Disposition: form-data\r\n\r\n\r\n".repeat(1000) + "--XX--\r\n";
    let resp = app.raw("POST", "/posts").header("content-type", "multipart/form-data; boundary=XX").body(nameless).send().await;
    assert_refused(&resp, 400, "MalformedPOSTRequest", "parts without a name");
    assert_eq!(app.snapshot("posts").await, before);
    app.shutdown().await;
}

#[tokio::test]
async fn fields_after_the_file_are_ignored() {
    let app = TestApp::start().await;
    app.bucket("posts").await;
    let fields = v4_form(
        &app,
        "posts",
        vec![json!({ "key": "ordered.txt" }), json!({ "x-amz-meta-early": "yes" })],
        &[("key", "ordered.txt"), ("x-amz-meta-early", "yes")],
    );
    let after = [("x-amz-meta-late", "yes"), ("key", "elsewhere.txt"), ("Content-Type", "text/html")];
    let resp = post(&app, "posts", &fields, Some(&file("ordered.txt", b"fields first")), &after).await;
    assert_eq!(resp.status, 204, "parts after the file are neither checked against the policy nor stored: {}", resp.text());
    let head = app.client.head_object().bucket("posts").key("ordered.txt").send().await.unwrap();
    let metadata = head.metadata().cloned().unwrap_or_default();
    assert_eq!(metadata.get("early").map(String::as_str), Some("yes"));
    assert_eq!(metadata.get("late"), None, "a field after the file is ignored");
    assert_eq!(head.content_type(), Some("application/octet-stream"));
    assert_eq!(app.keys("posts").await, ["ordered.txt"]);
    app.shutdown().await;
}

#[tokio::test]
async fn anonymous_forms_follow_the_bucket_acl() {
    let app = TestApp::start().await;
    app.client.create_bucket().bucket("drop-box").acl(BucketCannedAcl::PublicReadWrite).send().await.unwrap();
    app.bucket("private").await;

    let fields = owned(&[("key", "inbox/${filename}"), ("x-amz-meta-from", "anonymous")]);
    let resp = post(&app, "drop-box", &fields, Some(&file("hello.txt", b"dropped off")), &[]).await;
    assert_eq!(resp.status, 204, "{}", resp.text());
    assert_eq!(app.get("drop-box", "inbox/hello.txt").await, b"dropped off");

    let before = app.snapshot("private").await;
    let resp = post(&app, "private", &fields, Some(&file("hello.txt", b"not welcome")), &[]).await;
    assert_refused(&resp, 403, "AccessDenied", "an anonymous form to a private bucket");
    assert_eq!(app.snapshot("private").await, before);
    app.shutdown().await;
}

#[tokio::test]
async fn tagging_field_sets_the_objects_tags() {
    let app = TestApp::start().await;
    app.bucket("posts").await;
    let tagging = "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag><Tag><Key>team</Key><Value>web ui</Value></Tag></TagSet></Tagging>";
    let fields = v4_form(&app, "posts", vec![json!({ "key": "tagged.txt" }), json!({ "tagging": tagging })], &[("key", "tagged.txt"), ("tagging", tagging)]);
    let resp = post(&app, "posts", &fields, Some(&file("tagged.txt", b"with tags")), &[]).await;
    assert_eq!(resp.status, 204, "{}", resp.text());
    let tags = app.client.get_object_tagging().bucket("posts").key("tagged.txt").send().await.unwrap();
    let mut pairs: Vec<(&str, &str)> = tags.tag_set().iter().map(|t| (t.key(), t.value())).collect();
    pairs.sort();
    assert_eq!(pairs, [("k", "v"), ("team", "web ui")]);
    app.shutdown().await;
}

#[tokio::test]
async fn a_large_file_streams_through_unchanged() {
    let app = TestApp::start().await;
    app.bucket("posts").await;
    // 20 MiB of noise with the boundary's own prefix sprinkled in, so a parser that
    // mistook part of the file for a delimiter would show.
    let mut bytes = Vec::with_capacity(20 << 20);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    while bytes.len() < 20 << 20 {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        if (state >> 33) % 97 == 0 {
            bytes.extend_from_slice(b"\r\n------DepotFormBoundary\r\n\r\n--");
        } else {
            bytes.extend_from_slice(&state.to_le_bytes());
        }
    }
    bytes.truncate(20 << 20);
    let fields = v4_form(&app, "posts", vec![json!({ "key": "big.bin" }), json!(["content-length-range", 0, 32 << 20])], &[("key", "big.bin")]);
    let resp = post(&app, "posts", &fields, Some(&file("big.bin", &bytes)), &[]).await;
    assert_eq!(resp.status, 204, "{}", resp.text());
    assert_eq!(resp.header("etag"), Some(etag_of(&bytes).as_str()));
    let stored = app.get("posts", "big.bin").await;
    assert_eq!(stored.len(), bytes.len());
    assert!(stored == bytes, "the stored file differs from the one sent");
    app.shutdown().await;
}

#[tokio::test]
async fn uploads_from_a_browser_get_the_buckets_cors_headers() {
    use aws_sdk_s3::types::{CorsConfiguration, CorsRule};
    let app = TestApp::start().await;
    app.bucket("posts").await;
    let rule = CorsRule::builder().allowed_origins("https://app.example.com").allowed_methods("POST").expose_headers("ETag").build().unwrap();
    let config = CorsConfiguration::builder().cors_rules(rule).build().unwrap();
    app.client.put_bucket_cors().bucket("posts").cors_configuration(config).send().await.unwrap();
    let origin = "https://app.example.com";

    let fields = v4_form(&app, "posts", vec![json!({ "key": "cors.txt" })], &[("key", "cors.txt")]);
    let resp = form_request(&app, "posts", &fields, Some(&file("cors.txt", b"cross-origin")), &[]).header("origin", origin).send().await;
    assert_eq!(resp.status, 204, "{}", resp.text());
    assert_eq!(resp.header("access-control-allow-origin"), Some("https://app.example.com"));
    assert_eq!(resp.header("access-control-expose-headers"), Some("ETag"));

    let expired = v4_form_as(
        &app.root.access_key_id,
        &app.root.secret_access_key,
        "posts",
        Utc::now() - Duration::minutes(1),
        vec![json!({ "key": "cors.txt" })],
        &[("key", "cors.txt")],
    );
    let resp = form_request(&app, "posts", &expired, Some(&file("cors.txt", b"too late")), &[]).header("origin", origin).send().await;
    assert_refused(&resp, 403, "AccessDenied", "an expired policy from a browser");
    assert_eq!(resp.header("access-control-allow-origin"), Some("https://app.example.com"), "the browser may read the refusal");
    assert_eq!(app.get("posts", "cors.txt").await, b"cross-origin");
    app.shutdown().await;
}
