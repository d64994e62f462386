//! The authentication gate, through raw and SDK requests: bad signatures, unknown keys,
//! expired presigned URLs, clock skew, anonymous and foreign requests on a private
//! bucket, and presigned GET and PUT that work. No refused request changes anything.

use std::time::{Duration, SystemTime};

use aws_sdk_s3::presigning::PresigningConfig;

use crate::common::{s3_error, xml_value, TestApp};

const HOUR: Duration = Duration::from_secs(3600);

/// Sends an SDK-presigned request with reqwest.
async fn send_presigned(request: aws_sdk_s3::presigning::PresignedRequest, body: Vec<u8>) -> (u16, String) {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let method = reqwest::Method::from_bytes(request.method().as_bytes()).unwrap();
    let mut builder = client.request(method, request.uri());
    for (name, value) in request.headers() {
        builder = builder.header(name, value);
    }
    let resp = builder.body(body).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

#[tokio::test]
async fn wrong_signatures_are_refused() {
    let app = TestApp::start().await;
    app.bucket("auth").await;
    let resp = app.send_signed(app.raw("PUT", "/auth/k").body("original")).await;
    assert_eq!(resp.status, 200, "the raw signer signs correctly");
    let before = app.snapshot("auth").await;

    let resp = app.raw("PUT", "/auth/k").body("forged").sign(&app.root.access_key_id, "not-the-secret").send().await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (403, Some("SignatureDoesNotMatch")));
    let resp = app.raw("GET", "/auth/k").sign(&app.root.access_key_id, "not-the-secret").send().await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (403, Some("SignatureDoesNotMatch")));

    let impostor = app.client_for(&app.root.access_key_id, "not-the-secret", None);
    let result = impostor.put_object().bucket("auth").key("k").body(b"forged".to_vec().into()).send().await;
    assert_eq!(s3_error(result), (403, "SignatureDoesNotMatch".to_owned()));
    let result = impostor.delete_object().bucket("auth").key("k").send().await;
    assert_eq!(s3_error(result), (403, "SignatureDoesNotMatch".to_owned()));

    // A correctly signed request whose signed payload hash does not match its body.
    let tampered = app.raw("PUT", "/auth/k").body("signed body").sign(&app.root.access_key_id, &app.root.secret_access_key).body("swapped body");
    let resp = tampered.send().await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("XAmzContentSHA256Mismatch")));

    assert_eq!(app.snapshot("auth").await, before);
    app.shutdown().await;
}

#[tokio::test]
async fn unknown_access_keys_are_refused() {
    let app = TestApp::start().await;
    app.bucket("auth").await;
    let resp = app.raw("GET", "/auth").sign("AKIDONOTEXIST0000000", "whatever").send().await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (403, Some("InvalidAccessKeyId")));
    let stranger = app.client_for("AKIDONOTEXIST0000000", "whatever", None);
    assert_eq!(s3_error(stranger.list_buckets().send().await), (403, "InvalidAccessKeyId".to_owned()));
    assert_eq!(s3_error(stranger.create_bucket().bucket("stranger").send().await), (403, "InvalidAccessKeyId".to_owned()));
    assert_eq!(s3_error(app.client.head_bucket().bucket("stranger").send().await).0, 404);
    app.shutdown().await;
}

#[tokio::test]
async fn expired_presigned_urls_are_refused() {
    let app = TestApp::start().await;
    app.bucket("auth").await;
    app.put("auth", "k", b"secret data".to_vec()).await;
    let (id, secret) = (&app.root.access_key_id, &app.root.secret_access_key);

    let resp = app.raw("GET", "/auth/k").presign(id, secret, HOUR, SystemTime::now() - 2 * HOUR).send().await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (403, Some("AccessDenied")));
    assert_eq!(resp.error_message().as_deref(), Some("Request has expired"));
    assert!(!resp.text().contains("secret data"));

    let config = PresigningConfig::builder().start_time(SystemTime::now() - 2 * HOUR).expires_in(Duration::from_secs(60)).build().unwrap();
    let request = app.client.get_object().bucket("auth").key("k").presigned(config).await.unwrap();
    let (status, body) = send_presigned(request, Vec::new()).await;
    assert_eq!(status, 403);
    assert_eq!(xml_value(&body, "Message").as_deref(), Some("Request has expired"));

    let config = PresigningConfig::builder().start_time(SystemTime::now() - 2 * HOUR).expires_in(Duration::from_secs(60)).build().unwrap();
    let request = app.client.put_object().bucket("auth").key("k").presigned(config).await.unwrap();
    let (status, _) = send_presigned(request, b"overwritten".to_vec()).await;
    assert_eq!(status, 403);
    assert_eq!(app.get("auth", "k").await, b"secret data");
    app.shutdown().await;
}

#[tokio::test]
async fn presigned_expires_out_of_range_is_refused_as_aws_does() {
    let app = TestApp::start().await;
    app.bucket("auth").await;
    app.put("auth", "k", b"secret data".to_vec()).await;
    let (id, secret) = (&app.root.access_key_id, &app.root.secret_access_key);
    let signed = app.raw("GET", "/auth/k").presign(id, secret, HOUR, SystemTime::now()).path_and_query().to_owned();
    assert!(signed.contains("X-Amz-Expires=3600"), "{signed}");
    let week = "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds";
    for (value, status, code, message) in [
        ("604801", 400, "AuthorizationQueryParametersError", week),
        ("-1", 400, "AuthorizationQueryParametersError", "X-Amz-Expires must be non-negative"),
        ("soon", 400, "AuthorizationQueryParametersError", "X-Amz-Expires should be a number"),
        // Zero is not malformed: it has expired, whatever the signature.
        ("0", 403, "AccessDenied", "Request has expired"),
    ] {
        let resp = app.raw("GET", &signed.replace("X-Amz-Expires=3600", &format!("X-Amz-Expires={value}"))).send().await;
        assert_eq!((resp.status, resp.error_code().as_deref(), resp.error_message().as_deref()), (status, Some(code), Some(message)), "{value}");
        assert!(!resp.text().contains("secret data"));
    }
    // A URL signed for zero seconds is expired at once, and says so.
    let resp = app.raw("GET", "/auth/k").presign(id, secret, Duration::ZERO, SystemTime::now()).send().await;
    assert_eq!((resp.status, resp.error_message().as_deref()), (403, Some("Request has expired")));
    assert_eq!(xml_value(&resp.text(), "X-Amz-Expires").as_deref(), Some("0"));
    assert!(xml_value(&resp.text(), "Expires").is_some() && xml_value(&resp.text(), "ServerTime").is_some(), "{}", resp.text());
    // A week exactly is accepted.
    let resp = app.raw("GET", "/auth/k").presign(id, secret, Duration::from_secs(604_800), SystemTime::now()).send().await;
    assert_eq!((resp.status, resp.body.as_slice()), (200, b"secret data".as_slice()));
    app.shutdown().await;
}

#[tokio::test]
async fn clock_skew_over_15_minutes_is_refused() {
    let app = TestApp::start().await;
    app.bucket("auth").await;
    let (id, secret) = (&app.root.access_key_id, &app.root.secret_access_key);
    for offset in [-20i64, 20] {
        let at = if offset < 0 { SystemTime::now() - Duration::from_secs(20 * 60) } else { SystemTime::now() + Duration::from_secs(20 * 60) };
        let resp = app.raw("PUT", "/auth/skewed").body("x").sign_at(id, secret, at).send().await;
        assert_eq!((resp.status, resp.error_code().as_deref()), (403, Some("RequestTimeTooSkewed")), "{offset} minutes");
        // The answer tells the client the server's time, so it can correct itself.
        assert!(xml_value(&resp.text(), "ServerTime").is_some(), "{}", resp.text());
        assert!(resp.header("date").is_some());
    }
    let resp = app.raw("GET", "/auth").sign_at(id, secret, SystemTime::now() - Duration::from_secs(10 * 60)).send().await;
    assert_eq!(resp.status, 200, "ten minutes of skew is tolerated");
    assert!(app.keys("auth").await.is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn anonymous_requests_on_a_private_bucket_are_denied() {
    let app = TestApp::start().await;
    app.bucket("private").await;
    app.put("private", "k", b"private data".to_vec()).await;
    let before = app.snapshot("private").await;

    for (method, path) in [
        ("GET", "/private/k"),
        ("GET", "/private/missing"),
        ("GET", "/private"),
        ("GET", "/private?list-type=2"),
        ("PUT", "/private/k"),
        ("PUT", "/private/new"),
        ("DELETE", "/private/k"),
        ("DELETE", "/private"),
        ("POST", "/private?delete"),
        ("GET", "/"),
    ] {
        let resp = app.raw(method, path).body(if method == "PUT" { "anonymous" } else { "" }).send().await;
        assert_eq!((resp.status, resp.error_code().as_deref()), (403, Some("AccessDenied")), "{method} {path}");
    }
    let head = app.raw("HEAD", "/private/k").send().await;
    assert_eq!((head.status, head.body.len()), (403, 0));

    // Another user is a stranger too.
    let (key, secret) = app.create_user("mallory").await;
    let mallory = app.client_for(&key, &secret, None);
    assert_eq!(s3_error(mallory.get_object().bucket("private").key("k").send().await), (403, "AccessDenied".to_owned()));
    assert_eq!(s3_error(mallory.list_objects_v2().bucket("private").send().await), (403, "AccessDenied".to_owned()));
    assert_eq!(s3_error(mallory.put_object().bucket("private").key("k").body(b"x".to_vec().into()).send().await), (403, "AccessDenied".to_owned()));
    assert_eq!(s3_error(mallory.delete_object().bucket("private").key("k").send().await), (403, "AccessDenied".to_owned()));
    assert_eq!(s3_error(mallory.delete_bucket().bucket("private").send().await), (403, "AccessDenied".to_owned()));

    assert_eq!(app.snapshot("private").await, before);

    // A public-read object is readable by anyone; the bucket stays private.
    app.client
        .put_object()
        .bucket("private")
        .key("public")
        .acl(aws_sdk_s3::types::ObjectCannedAcl::PublicRead)
        .body(b"for all".to_vec().into())
        .send()
        .await
        .unwrap();
    let resp = app.raw("GET", "/private/public").send().await;
    assert_eq!((resp.status, resp.body.as_slice()), (200, b"for all".as_slice()));
    assert_eq!(app.raw("GET", "/private").send().await.status, 403);
    app.shutdown().await;
}

#[tokio::test]
async fn presigned_get_and_put_work() {
    let app = TestApp::start().await;
    app.bucket("auth").await;
    app.put("auth", "doc.txt", b"shared".to_vec()).await;
    let (id, secret) = (&app.root.access_key_id, &app.root.secret_access_key);

    let resp = app.raw("GET", "/auth/doc.txt").presign(id, secret, HOUR, SystemTime::now()).send().await;
    assert_eq!((resp.status, resp.body.as_slice()), (200, b"shared".as_slice()));

    let config = PresigningConfig::expires_in(HOUR).unwrap();
    let request = app.client.get_object().bucket("auth").key("doc.txt").presigned(config.clone()).await.unwrap();
    assert_eq!(send_presigned(request, Vec::new()).await, (200, "shared".to_owned()));

    let request = app.client.put_object().bucket("auth").key("upload dir/ü+1.txt").presigned(config.clone()).await.unwrap();
    let (status, _) = send_presigned(request, b"uploaded with a presigned URL".to_vec()).await;
    assert_eq!(status, 200);
    assert_eq!(app.get("auth", "upload dir/ü+1.txt").await, b"uploaded with a presigned URL");

    // A presigned URL signs its key: pointing it elsewhere breaks the signature.
    let presigned = app.raw("PUT", "/auth/signed-key").presign(id, secret, HOUR, SystemTime::now());
    let path = presigned.path_and_query().replace("/auth/signed-key", "/auth/other-key");
    let resp = app.raw("PUT", &path).body("x").send().await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (403, Some("SignatureDoesNotMatch")));
    assert_eq!(app.keys("auth").await, ["doc.txt", "upload dir/ü+1.txt"]);
    app.shutdown().await;
}
