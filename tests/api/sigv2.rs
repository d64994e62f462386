//! Legacy Signature Version 2, as s3cmd and older tools can still use it: header and
//! query authentication, a wrong V2 signature refused, and the request-time rules (a
//! missing date, more than 15 minutes of skew).

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::common::{xml_value, TestApp};

fn sign_v2(secret: &str, string_to_sign: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn header_and_query_authentication() {
    let app = TestApp::start().await;
    app.bucket("legacy").await;
    let (ak, sk) = (app.root.access_key_id.clone(), app.root.secret_access_key.clone());
    let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();

    let sts = format!("PUT\n\ntext/plain\n{date}\n/legacy/v2.txt");
    let resp = app
        .raw("PUT", "/legacy/v2.txt")
        .header("date", &date)
        .header("content-type", "text/plain")
        .header("authorization", &format!("AWS {ak}:{}", sign_v2(&sk, &sts)))
        .body("signed the old way")
        .send()
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());

    let sts = format!("GET\n\n\n{date}\n/legacy/v2.txt");
    let resp = app.raw("GET", "/legacy/v2.txt").header("date", &date).header("authorization", &format!("AWS {ak}:{}", sign_v2(&sk, &sts))).send().await;
    assert_eq!((resp.status, resp.text().as_str()), (200, "signed the old way"));

    let expires = chrono::Utc::now().timestamp() + 300;
    let sig = sign_v2(&sk, &format!("GET\n\n\n{expires}\n/legacy/v2.txt"));
    let encoded: String = percent_encoding::utf8_percent_encode(&sig, percent_encoding::NON_ALPHANUMERIC).to_string();
    let resp = app.raw("GET", &format!("/legacy/v2.txt?AWSAccessKeyId={ak}&Expires={expires}&Signature={encoded}")).send().await;
    assert_eq!(resp.status, 200);

    let expired = chrono::Utc::now().timestamp() - 10;
    let sig = sign_v2(&sk, &format!("GET\n\n\n{expired}\n/legacy/v2.txt"));
    let encoded: String = percent_encoding::utf8_percent_encode(&sig, percent_encoding::NON_ALPHANUMERIC).to_string();
    let resp = app.raw("GET", &format!("/legacy/v2.txt?AWSAccessKeyId={ak}&Expires={expired}&Signature={encoded}")).send().await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (403, Some("AccessDenied")));

    let sts = format!("DELETE\n\n\n{date}\n/legacy/v2.txt");
    let resp =
        app.raw("DELETE", "/legacy/v2.txt").header("date", &date).header("authorization", &format!("AWS {ak}:{}", sign_v2("wrong-secret", &sts))).send().await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (403, Some("SignatureDoesNotMatch")));
    assert_eq!(app.get("legacy", "v2.txt").await, b"signed the old way");
    app.shutdown().await;
}

#[tokio::test]
async fn presigned_v2_urls_carry_headers_in_the_query() {
    // botocore's V2 presigned URLs move Content-Type and x-amz-* headers into the query
    // string, so that the URL alone works: they are signed and they take effect.
    let app = TestApp::start().await;
    app.bucket("legacy-q").await;
    let (ak, sk) = (app.root.access_key_id.clone(), app.root.secret_access_key.clone());
    let expires = chrono::Utc::now().timestamp() + 300;
    let sts = format!("PUT\n\ntext/plain\n{expires}\nx-amz-meta-colour:blue\n/legacy-q/k");
    let sig: String = percent_encoding::utf8_percent_encode(&sign_v2(&sk, &sts), percent_encoding::NON_ALPHANUMERIC).to_string();
    let url = format!("/legacy-q/k?AWSAccessKeyId={ak}&Expires={expires}&Signature={sig}&content-type=text%2Fplain&x-amz-meta-colour=blue");
    let resp = app.raw("PUT", &url).body("hello").send().await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let head = app.client.head_object().bucket("legacy-q").key("k").send().await.unwrap();
    assert_eq!(head.content_type(), Some("text/plain"));
    assert_eq!(head.metadata().unwrap().get("colour").map(String::as_str), Some("blue"));
    // The query's headers are signed: changing one breaks the signature.
    let tampered = url.replace("colour=blue", "colour=red");
    let resp = app.raw("PUT", &tampered).body("hello").send().await;
    assert_eq!(resp.error_code().as_deref(), Some("SignatureDoesNotMatch"));
    app.shutdown().await;
}

#[tokio::test]
async fn header_dates_must_be_present_and_within_fifteen_minutes() {
    let app = TestApp::start().await;
    app.bucket("legacy").await;
    let (ak, sk) = (app.root.access_key_id.clone(), app.root.secret_access_key.clone());
    let http_date = |t: chrono::DateTime<chrono::Utc>| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let skewed = [chrono::Utc::now() - chrono::Duration::minutes(20), chrono::Utc::now() + chrono::Duration::minutes(20)];

    for at in skewed {
        // In the Date header, correctly signed.
        let date = http_date(at);
        let sts = format!("PUT\n\n\n{date}\n/legacy/skewed");
        let resp =
            app.raw("PUT", "/legacy/skewed").header("date", &date).header("authorization", &format!("AWS {ak}:{}", sign_v2(&sk, &sts))).body("x").send().await;
        assert_eq!((resp.status, resp.error_code().as_deref()), (403, Some("RequestTimeTooSkewed")), "Date {date}: {}", resp.text());
        assert_eq!(xml_value(&resp.text(), "RequestTime").as_deref(), Some(date.as_str()));
        assert!(xml_value(&resp.text(), "ServerTime").is_some());
        assert_eq!(xml_value(&resp.text(), "MaxAllowedSkewMilliseconds").as_deref(), Some("900000"));

        // In x-amz-date, with a current Date beside it: x-amz-date is the request's time.
        let now = http_date(chrono::Utc::now());
        let sts = format!("PUT\n\n\n\nx-amz-date:{date}\n/legacy/skewed");
        let resp = app
            .raw("PUT", "/legacy/skewed")
            .header("date", &now)
            .header("x-amz-date", &date)
            .header("authorization", &format!("AWS {ak}:{}", sign_v2(&sk, &sts)))
            .body("x")
            .send()
            .await;
        assert_eq!((resp.status, resp.error_code().as_deref()), (403, Some("RequestTimeTooSkewed")), "x-amz-date {date}: {}", resp.text());
    }

    // No date at all.
    let sts = "PUT\n\n\n\n/legacy/skewed";
    let resp = app.raw("PUT", "/legacy/skewed").header("authorization", &format!("AWS {ak}:{}", sign_v2(&sk, sts))).body("x").send().await;
    assert_eq!(
        (resp.status, resp.error_code().as_deref(), resp.error_message().as_deref()),
        (403, Some("AccessDenied"), Some("AWS authentication requires a valid Date or x-amz-date header"))
    );
    // A date that is not one.
    let sts = "PUT\n\n\nyesterday\n/legacy/skewed";
    let resp =
        app.raw("PUT", "/legacy/skewed").header("date", "yesterday").header("authorization", &format!("AWS {ak}:{}", sign_v2(&sk, sts))).body("x").send().await;
    assert_eq!(
        (resp.status, resp.error_code().as_deref(), resp.error_message().as_deref()),
        (403, Some("AccessDenied"), Some("AWS authentication requires a valid Date or x-amz-date header"))
    );

    // Ten minutes off is within the limit.
    let date = http_date(chrono::Utc::now() - chrono::Duration::minutes(10));
    let sts = format!("PUT\n\n\n{date}\n/legacy/skewed");
    let resp =
        app.raw("PUT", "/legacy/skewed").header("date", &date).header("authorization", &format!("AWS {ak}:{}", sign_v2(&sk, &sts))).body("x").send().await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    app.shutdown().await;
}
