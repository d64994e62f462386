//! Tests of the POST Object protocol half, against AWS's published example and S3's
//! recorded answers.

use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::error::S3ErrorCode;

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// The policy of "Example: Browser-Based Upload using HTTP POST (Using AWS Signature
/// Version 4)" in the S3 documentation (CRLF line ends), and its published signature.
const EXAMPLE_POLICY: &str = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";
const EXAMPLE_SIGNATURE: &str = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e";
const EXAMPLE_REDIRECT: &str = "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html";

fn form(fields: &[(&str, &str)]) -> PostForm {
    let mut form = PostForm::new();
    for (name, value) in fields {
        form.push(name, (*value).to_owned()).unwrap();
    }
    form
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// A policy valid until 2030 with the given conditions (JSON text).
fn policy(conditions: &str) -> PostPolicy {
    PostPolicy::parse(&b64(&format!(r#"{{"expiration": "2030-01-01T00:00:00.000Z", "conditions": [{conditions}]}}"#))).unwrap()
}

fn now() -> DateTime<Utc> {
    at("2024-05-06T07:08:09Z")
}

fn message(err: &S3Error) -> (S3ErrorCode, &str) {
    (err.code, &err.message)
}

fn extra<'a>(err: &'a S3Error, name: &str) -> Option<&'a str> {
    err.extra.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
}

fn example_form() -> PostForm {
    // As the example's HTML form sends them, names in its case; `submit` comes after `file`.
    form(&[
        ("key", "user/user1/${filename}"),
        ("acl", "public-read"),
        ("success_action_redirect", EXAMPLE_REDIRECT),
        ("Content-Type", "image/jpeg"),
        ("x-amz-meta-uuid", "14365123651274"),
        ("x-amz-server-side-encryption", "AES256"),
        ("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"),
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Date", "20151229T000000Z"),
        ("x-amz-meta-tag", ""),
        ("Policy", EXAMPLE_POLICY),
        ("X-Amz-Signature", EXAMPLE_SIGNATURE),
    ])
}

#[test]
fn aws_sigv4_post_example_end_to_end() {
    let mut form = example_form();
    let auth = auth(&form).unwrap();
    assert_eq!(auth.access_key_id(), Some(AKID));
    assert!(matches!(&auth, PostAuth::V4 { date, region, amz_date, .. } if date == "20151229" && region == "us-east-1" && amz_date == "20151229T000000Z"));
    verify(&auth, &form, SECRET, "us-east-1").unwrap();

    form.expand_filename(Some("C:\\Users\\me\\photo.jpg"));
    let policy = PostPolicy::parse(form.get("policy").unwrap()).unwrap();
    assert_eq!(policy.expiration(), at("2015-12-30T12:00:00Z"));
    policy.check(&form, "sigv4examplebucket", at("2015-12-29T12:00:00Z")).unwrap();
    let expired = policy.check(&form, "sigv4examplebucket", at("2015-12-30T12:00:00Z")).unwrap_err();
    assert_eq!(message(&expired), (S3ErrorCode::AccessDenied, "Invalid according to Policy: Policy expired."));
    let other = policy.check(&form, "otherbucket", at("2015-12-29T12:00:00Z")).unwrap_err();
    assert_eq!(
        message(&other),
        (S3ErrorCode::AccessDenied, r#"Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "sigv4examplebucket"]"#)
    );

    let key = object_key(&form, Some("photo.jpg")).unwrap();
    assert_eq!(key, "user/user1/photo.jpg");
    let headers = stored_headers(&form, Some("application/octet-stream")).unwrap();
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["x-amz-acl"], "public-read");
    assert_eq!(headers["x-amz-meta-uuid"], "14365123651274");
    assert_eq!(headers["x-amz-meta-tag"], "");
    assert_eq!(headers["x-amz-server-side-encryption"], "AES256");
    assert_eq!(headers.len(), 5, "{headers:?}");

    let location = object_location("http://sigv4examplebucket.s3.amazonaws.com", &key);
    let answer = success(&form, "sigv4examplebucket", &key, "\"d41d8cd98f00b204e9800998ecf8427e\"", &location);
    let expected = format!("{EXAMPLE_REDIRECT}?bucket=sigv4examplebucket&key=user%2Fuser1%2Fphoto.jpg&etag=%22d41d8cd98f00b204e9800998ecf8427e%22");
    assert_eq!(answer, PostSuccess { status: 303, location_header: Some(expected), body: None });
}

#[test]
fn aws_sigv4_post_example_tampered() {
    let mut tampered = example_form();
    tampered.push("x-ignore-nothing", String::new()).unwrap();
    let auth = auth(&tampered).unwrap();
    let wrong = verify(&auth, &tampered, "another secret", "us-east-1").unwrap_err();
    assert_eq!(wrong.code, S3ErrorCode::SignatureDoesNotMatch);
    assert_eq!(extra(&wrong, "AWSAccessKeyId"), Some(AKID));
    assert_eq!(extra(&wrong, "StringToSign"), Some(EXAMPLE_POLICY));
    assert_eq!(extra(&wrong, "SignatureProvided"), Some(EXAMPLE_SIGNATURE));
    assert!(extra(&wrong, "StringToSignBytes").unwrap().starts_with("65 79 41 69 5a "), "{wrong:?}");
    // A signature of the decoded JSON, or of a policy changed after signing, fails too.
    let truncated = form(&[
        ("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"),
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Date", "20151229T000000Z"),
        ("Policy", &EXAMPLE_POLICY[..EXAMPLE_POLICY.len() - 2]),
        ("X-Amz-Signature", EXAMPLE_SIGNATURE),
    ]);
    let err = verify(&super::auth(&truncated).unwrap(), &truncated, SECRET, "us-east-1").unwrap_err();
    assert_eq!(err.code, S3ErrorCode::SignatureDoesNotMatch);
}

#[test]
fn botocore_generate_presigned_post_vector() {
    // botocore's generate_presigned_post("sigv4examplebucket", "user/user1/photo.jpg") with
    // the clock at 2015-12-29T00:00:00Z, us-east-1.
    let policy_b64 = "eyJleHBpcmF0aW9uIjogIjIwMTUtMTItMjlUMDE6MDA6MDBaIiwgImNvbmRpdGlvbnMiOiBbeyJidWNrZXQiOiAic2lndjRleGFtcGxlYnVja2V0In0sIHsia2V5IjogInVzZXIvdXNlcjEvcGhvdG8uanBnIn0sIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwgeyJ4LWFtei1jcmVkZW50aWFsIjogIkFLSUFJT1NGT0ROTjdFWEFNUExFLzIwMTUxMjI5L3VzLWVhc3QtMS9zMy9hd3M0X3JlcXVlc3QifSwgeyJ4LWFtei1kYXRlIjogIjIwMTUxMjI5VDAwMDAwMFoifV19";
    let mut form = form(&[
        ("key", "user/user1/photo.jpg"),
        ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
        ("x-amz-credential", "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"),
        ("x-amz-date", "20151229T000000Z"),
        ("policy", policy_b64),
        ("x-amz-signature", "3364624b39010d9b06f5d9b8c9a18a6e478d261c048159c92f2fd6fa885f14e6"),
    ]);
    verify(&auth(&form).unwrap(), &form, SECRET, "us-east-1").unwrap();
    form.expand_filename(Some("photo.jpg"));
    let policy = PostPolicy::parse(policy_b64).unwrap();
    policy.check(&form, "sigv4examplebucket", at("2015-12-29T00:30:00Z")).unwrap();
    assert_eq!(policy.content_length_range(), None);
}

#[test]
fn sigv2_signature_of_the_policy() {
    // base64(HMAC-SHA1(secret, policy_b64)), computed with Python's hmac.
    let policy_b64 = "eyJleHBpcmF0aW9uIjogIjIwMzAtMDEtMDFUMDA6MDA6MDBaIiwgImNvbmRpdGlvbnMiOiBbeyJidWNrZXQiOiAiam9obnNtaXRoIn0sIFsic3RhcnRzLXdpdGgiLCAiJGtleSIsICJ1c2VyL2VyaWMvIl0sIHsiYWNsIjogInB1YmxpYy1yZWFkIn0sIFsiY29udGVudC1sZW5ndGgtcmFuZ2UiLCAxLCAxMF1dfQ==";
    let form = form(&[
        ("key", "user/eric/a.txt"),
        ("AWSAccessKeyId", AKID),
        ("acl", "public-read"),
        ("policy", policy_b64),
        ("signature", "mo0kH/EI9P7BrbdZY4M0eYK4iXQ="),
        ("x-amz-security-token", "token"),
    ]);
    let auth = auth(&form).unwrap();
    assert_eq!(auth, PostAuth::V2 { access_key_id: AKID.into(), signature: "mo0kH/EI9P7BrbdZY4M0eYK4iXQ=".into(), session_token: Some("token".into()) });
    assert_eq!(auth.session_token(), Some("token"));
    verify(&auth, &form, SECRET, "eu-west-1").unwrap();
    assert_eq!(verify(&auth, &form, "wrong", "us-east-1").unwrap_err().code, S3ErrorCode::SignatureDoesNotMatch);
    let policy = PostPolicy::parse(policy_b64).unwrap();
    // x-amz-security-token is a field like any other: the policy must name it.
    let err = policy.check(&form, "johnsmith", now()).unwrap_err();
    assert_eq!(message(&err), (S3ErrorCode::AccessDenied, "Invalid according to Policy: Extra input fields: x-amz-security-token"));
    assert_eq!(policy.content_length_range(), Some((1, 10)));
}

#[test]
fn unsigned_forms_are_anonymous() {
    assert_eq!(auth(&form(&[("key", "k")])).unwrap(), PostAuth::Anonymous);
    // A policy without a signature: anonymous, the bucket decides (S3 answered a private
    // bucket's "Access Denied").
    let anonymous = auth(&form(&[("key", "k"), ("policy", "e30=")])).unwrap();
    assert_eq!((anonymous.access_key_id(), anonymous.session_token()), (None, None));
    assert!(verify(&anonymous, &form(&[]), "", "us-east-1").is_ok());
}

#[test]
fn missing_signature_fields_are_named_as_s3_names_them() {
    let complete = [
        ("x-amz-signature", "abc"),
        ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
        ("x-amz-credential", "AK/20240506/us-east-1/s3/aws4_request"),
        ("x-amz-date", "20240506T070809Z"),
        ("policy", "e30="),
    ];
    for (dropped, shown) in [
        ("x-amz-signature", "X-Amz-Signature"),
        ("x-amz-algorithm", "X-Amz-Algorithm"),
        ("x-amz-credential", "X-Amz-Credential"),
        ("x-amz-date", "X-Amz-Date"),
        ("policy", "policy"),
    ] {
        let fields: Vec<_> = complete.iter().copied().filter(|(n, _)| *n != dropped).collect();
        let err = auth(&form(&fields)).unwrap_err();
        let expected = format!("Bucket POST must contain a field named '{shown}'.  If it is specified, please check the order of the fields.");
        assert_eq!(message(&err), (S3ErrorCode::InvalidArgument, expected.as_str()));
        assert_eq!((extra(&err, "ArgumentName"), extra(&err, "ArgumentValue")), (Some(shown), Some("")));
    }
    let err = auth(&form(&[("signature", "c2ln"), ("policy", "e30=")])).unwrap_err();
    assert_eq!(extra(&err, "ArgumentName"), Some("AWSAccessKeyId"));
    let err = auth(&form(&[("AWSAccessKeyId", AKID), ("policy", "e30=")])).unwrap_err();
    assert_eq!(extra(&err, "ArgumentName"), Some("Signature"));
}

#[test]
fn malformed_sigv4_fields() {
    let with = |name: &str, value: &str| {
        let mut fields = vec![
            ("x-amz-signature", "abc"),
            ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
            ("x-amz-credential", "AK/20240506/us-east-1/s3/aws4_request"),
            ("x-amz-date", "20240506T070809Z"),
            ("policy", "e30="),
        ];
        fields.iter_mut().filter(|(n, _)| *n == name).for_each(|f| f.1 = value);
        auth(&form(&fields))
    };
    let check = |name: &str, value: &str, argument: &str, text: &str| {
        let err = with(name, value).unwrap_err();
        assert_eq!(err.code, S3ErrorCode::InvalidArgument, "{value}");
        assert_eq!(extra(&err, "ArgumentName"), Some(argument), "{value}");
        assert!(err.message.contains(text), "{value}: {}", err.message);
    };
    assert!(with("x-amz-date", "20240506T070809Z").is_ok());
    check("x-amz-algorithm", "AWS4-HMAC-SHA1", "X-Amz-Algorithm", "only supports \"AWS4-HMAC-SHA256\"");
    check("x-amz-date", "2024-05-06T07:08:09Z", "X-Amz-Date", "X-Amz-Date must be formated via ISO8601 Long format");
    check("x-amz-credential", "AK/us-east-1/s3/aws4_request", "X-Amz-Credential", "mal-formed");
    check("x-amz-credential", "/20240506/us-east-1/s3/aws4_request", "X-Amz-Credential", "a non-empty Access Key (AKID) must be provided in the credential.");
    check("x-amz-credential", "AK/2024056/us-east-1/s3/aws4_request", "X-Amz-Credential", "incorrect date format \"2024056\"");
    check("x-amz-credential", "AK/20240506/us-east-1/ec2/aws4_request", "X-Amz-Credential", "incorrect service \"ec2\". This endpoint belongs to \"s3\".");
    check("x-amz-credential", "AK/20240506/us-east-1/s3/aws5_request", "X-Amz-Credential", "incorrect terminal \"aws5_request\"");
    check("x-amz-credential", "AK/20240507/us-east-1/s3/aws4_request", "X-Amz-Credential", "This date is not the same as X-Amz-Date: \"20240506\".");
}

#[test]
fn a_credential_for_another_region() {
    let form = form(&[
        ("x-amz-signature", "abc"),
        ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
        ("x-amz-credential", "AK/20240506/us-east-1/s3/aws4_request"),
        ("x-amz-date", "20240506T070809Z"),
        ("x-amz-security-token", "tok"),
        ("policy", "e30="),
    ]);
    let auth = auth(&form).unwrap();
    assert_eq!(auth.session_token(), Some("tok"));
    let err = verify(&auth, &form, SECRET, "eu-west-1").unwrap_err();
    assert_eq!(message(&err), (S3ErrorCode::InvalidArgument, "the region 'us-east-1' is wrong; expecting 'eu-west-1'"));
    assert_eq!(
        err.extra,
        [
            ("ArgumentName", "X-Amz-Credential".to_owned()),
            ("ArgumentValue", "AK/20240506/us-east-1/s3/aws4_request".to_owned()),
            ("Region", "eu-west-1".to_owned())
        ]
    );
}

#[test]
fn fields_are_case_insensitive_repeated_fields_join_and_the_pre_data_is_bounded() {
    let mut form = form(&[("X-Amz-Meta-Tag", "Ninja"), ("x-amz-meta-tag", "Stallman"), ("Key", "K")]);
    assert_eq!(form.get("x-amz-meta-TAG"), Some("Ninja,Stallman"));
    assert_eq!(form.get("key"), Some("K"));
    assert_eq!(form.iter().map(|(n, _)| n).collect::<Vec<_>>(), ["x-amz-meta-tag", "key"]);
    // 48 bytes so far (each field counts one more, its separator): the limit is reached
    // exactly, and anything more is refused.
    form.push("x-ignore-a", "a".repeat(MAX_PRE_DATA_LENGTH - 48 - 10 - 1)).unwrap();
    let err = form.push("x", String::new()).unwrap_err();
    assert_eq!(err.code, S3ErrorCode::MaxPostPreDataLengthExceeded);
    assert_eq!(extra(&err, "MaxPostPreDataLengthBytes"), Some("20480"));
}

#[test]
fn policy_documents_s3_refuses() {
    let refused = |text: &str| PostPolicy::parse(&b64(text)).unwrap_err();
    let expect = |err: S3Error, text: &str| assert_eq!(message(&err), (S3ErrorCode::InvalidPolicyDocument, text));
    expect(PostPolicy::parse("{policy}").unwrap_err(), "Invalid Policy: Invalid JSON.");
    expect(refused("expiration"), "Invalid Policy: Invalid JSON.");
    expect(refused("[]"), "Invalid Policy: Invalid JSON.");
    for bad in ["2999-01-01 00:00:00", "2999-01-01T00:00:00+00:00", "2999-02-30T00:00:00Z", "tomorrow", "2999-01-01 00:00:00Z"] {
        let err = refused(&format!(r#"{{"expiration": "{bad}", "conditions": []}}"#));
        expect(err, &format!("Invalid Policy: Invalid 'expiration' value: '{bad}'"));
    }
    expect(refused(r#"{"conditions": []}"#), "Invalid Policy: Policy missing expiration.");
    expect(refused(r#"{"expiration": "2030-01-01T00:00:00Z"}"#), "Invalid Policy: Policy missing conditions.");
    expect(refused(r#"{"EXPIRATION": "2030-01-01T00:00:00Z", "conditions": []}"#), "Invalid Policy: Unexpected: 'expiration'");
    expect(refused(r#"{"expiration": "2030-01-01T00:00:00Z", "Statement": []}"#), "Invalid Policy: Unexpected: 'statement'");
    assert_eq!(refused(r#"{"expiration": 32503680000, "conditions": []}"#).code, S3ErrorCode::InvalidPolicyDocument);
    expect(refused(r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": {}}"#), "Invalid Policy: Invalid 'conditions' value: must be a List.");
    let condition = |c: &str| refused(&format!(r#"{{"expiration": "2030-01-01T00:00:00Z", "conditions": [{c}]}}"#));
    let one = "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.";
    expect(condition("{}"), one);
    expect(condition(r#"{"acl": "private", "key": "k"}"#), one);
    expect(condition(r#"{"Content-Length": 6199034}"#), "Invalid Policy: Invalid Simple-Condition: value must be a string.");
    expect(condition(r#"{"success_action_redirect": null}"#), "Invalid Policy: Invalid JSON.");
    expect(condition(r#""bucket""#), "Invalid Policy: Invalid condition test: must be a List or Object.");
    expect(condition("[]"), "Invalid Policy: Invalid Condition: missing operation identifier.");
    expect(condition(r#"["eq", "$key"]"#), "Invalid Policy: Invalid eq: wrong number of arguments.");
    expect(condition(r#"["ends-with", "$key", "x"]"#), "Invalid Policy: Invalid Condition: unknown operation 'ends-with'.");
    expect(condition(r#"["eq", "$key", 1]"#), "Invalid Policy: Invalid JSON.");
    expect(condition(r#"["content-length-range", 0]"#), "Invalid Policy: Invalid content-length-range: wrong number of arguments.");
    assert_eq!(condition(r#"["content-length-range", -1, 0]"#).code, S3ErrorCode::InvalidPolicyDocument);
    expect(condition(r#"["content-length-range", 0, 512.0]"#), "Invalid Policy: Invalid JSON.");
    // Fractional seconds are optional; whitespace in the base64 is ignored.
    let wrapped = b64(r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": []}"#);
    let (head, tail) = wrapped.split_at(20);
    assert!(PostPolicy::parse(&format!("{head}\n{tail}")).is_ok());
}

fn failed(condition: &str) -> String {
    format!("Invalid according to Policy: Policy Condition failed: {condition}")
}

fn denied(policy: &PostPolicy, form: &PostForm) -> String {
    let err = policy.check(form, "b", now()).unwrap_err();
    assert_eq!(err.code, S3ErrorCode::AccessDenied);
    err.message.into_owned()
}

#[test]
fn eq_conditions() {
    let p = policy(r#"{"bucket": "b"}, {"acl": "private"}, ["eq", "$key", "a/c"]"#);
    assert!(p.check(&form(&[("acl", "private"), ("key", "a/c")]), "b", now()).is_ok());
    assert_eq!(denied(&p, &form(&[("acl", "private"), ("key", "a/b")])), failed(r#"["eq", "$key", "a/c"]"#));
    assert_eq!(denied(&p, &form(&[("acl", "x"), ("key", "a/c")])), failed(r#"["eq", "$acl", "private"]"#));
    assert_eq!(denied(&p, &form(&[("key", "a/c")])), failed(r#"["eq", "$acl", "private"]"#), "a field the form lacks");
    assert_eq!(denied(&p, &form(&[("ACL", "PRIVATE"), ("key", "a/c")])), failed(r#"["eq", "$acl", "private"]"#), "values keep their case");
    assert_eq!(p.check(&form(&[("acl", "private"), ("key", "a/c")]), "c", now()).unwrap_err().message, failed(r#"["eq", "$bucket", "b"]"#));
    // Names keep the policy's spelling in the message and are matched in any case.
    let p = policy(r#"{"bUcKeT": "b"}, {"Key": "a"}, ["EQ", "$CONTENT-type", "text/css"]"#);
    assert!(p.check(&form(&[("KEY", "a"), ("content-TYPE", "text/css")]), "b", now()).is_ok());
    assert_eq!(denied(&p, &form(&[("key", "A"), ("content-type", "text/css")])), failed(r#"["eq", "$Key", "a"]"#));
    // Without `$` a condition names no field and fails.
    let p = policy(r#"{"bucket": "b"}, ["eq", "key", "k"]"#);
    assert_eq!(denied(&p, &form(&[("key", "k")])), failed(r#"["eq", "key", "k"]"#));
    // Quotes in a value are escaped in the message.
    let p = policy(r#"{"bucket": "b"}, {"Content-Disposition": "filename=\"test.png\""}"#);
    assert_eq!(denied(&p, &form(&[("content-disposition", "x")])), failed(r#"["eq", "$Content-Disposition", "filename=\"test.png\""]"#));
}

#[test]
fn starts_with_conditions() {
    let p = policy(r#"{"bucket": "b"}, ["starts-with", "$key", "user/"], ["StArTs-WiTh", "$Content-Type", "image/"], ["starts-with", "$acl", ""]"#);
    let ok = |fields: &[(&str, &str)]| p.check(&form(fields), "b", now());
    assert!(ok(&[("key", "user/x"), ("content-type", "image/png")]).is_ok(), "an empty prefix accepts a field the form lacks");
    assert!(ok(&[("key", "user/x"), ("content-type", "image/png, image/gif"), ("acl", "anything")]).is_ok());
    let images = failed(r#"["StArTs-WiTh", "$Content-Type", "image/"]"#);
    assert_eq!(denied(&p, &form(&[("key", "user/x"), ("content-type", "image/png,text/html")])), images, "each item of a Content-Type list");
    assert_eq!(denied(&p, &form(&[("key", "user/x"), ("content-type", "text/html")])), images);
    assert_eq!(denied(&p, &form(&[("key", "User/x"), ("content-type", "image/png")])), failed(r#"["starts-with", "$key", "user/"]"#));
    // Commas are a list only in Content-Type.
    let p = policy(r#"{"bucket": "b"}, ["starts-with", "$x-amz-meta-tag", "a"]"#);
    assert!(p.check(&form(&[("x-amz-meta-tag", "a1,b2")]), "b", now()).is_ok());
}

#[test]
fn every_field_and_the_bucket_need_a_condition() {
    let p = policy(r#"["starts-with", "$key", ""]"#);
    assert_eq!(denied(&p, &form(&[("key", "k")])), "Invalid according to Policy: Extra input fields: bucket");
    let p = policy(r#"{"bucket": "b"}, ["starts-with", "$key", ""]"#);
    let exempt = [("key", "k"), ("Policy", "p"), ("X-Amz-Signature", "s"), ("signature", "s"), ("AWSAccessKeyId", "a"), ("X-Ignore-Me", "1"), ("file", "f")];
    assert!(p.check(&form(&exempt), "b", now()).is_ok());
    assert_eq!(denied(&p, &form(&[("key", "k"), ("Expires", "0")])), "Invalid according to Policy: Extra input fields: expires");
    assert_eq!(
        denied(&p, &form(&[("key", "k"), ("X-Amz-Date", "d"), ("tagging", "t")])),
        "Invalid according to Policy: Extra input fields: x-amz-date, tagging"
    );
    let p = policy(r#"{"bucket": "b"}"#);
    assert_eq!(denied(&p, &form(&[("key", "k")])), "Invalid according to Policy: Extra input fields: key");
    // A `bucket` field (aws-sdk-js-v3 sends one) is the bucket: named once, covered by its condition.
    let p = policy(r#"["starts-with", "$key", ""]"#);
    assert_eq!(denied(&p, &form(&[("bucket", "b"), ("key", "k")])), "Invalid according to Policy: Extra input fields: bucket");
    assert!(policy(r#"{"Bucket": "b"}"#).check(&form(&[("Bucket", "b")]), "b", now()).is_ok());
}

#[test]
fn conditions_see_the_expanded_filename() {
    let p = policy(r#"{"bucket": "b"}, {"key": "in/report.pdf"}, {"x-amz-meta-names": "report.pdf,report.pdf"}"#);
    let mut f = form(&[("key", "in/${filename}"), ("x-amz-meta-names", "${filename},${filename}")]);
    assert_eq!(denied(&p, &f), failed(r#"["eq", "$key", "in/report.pdf"]"#));
    f.expand_filename(Some("a/b\\report.pdf"));
    p.check(&f, "b", now()).unwrap();
    f.expand_filename(Some("again.txt"));
    assert_eq!(object_key(&f, Some("again.txt")).unwrap(), "in/report.pdf", "expanded once");
}

#[test]
fn content_length_range() {
    let p = policy(r#"{"bucket": "b"}, ["content-length-range", 5, 10]"#);
    let range = p.content_length_range();
    assert_eq!(range, Some((5, 10)));
    assert!(check_length(range, 5).is_ok() && check_length(range, 10).is_ok());
    let large = check_length(range, 11).unwrap_err();
    assert_eq!(message(&large), (S3ErrorCode::EntityTooLarge, "Your proposed upload exceeds the maximum allowed size"));
    assert_eq!(large.extra, [("ProposedSize", "11".to_owned()), ("MaxSizeAllowed", "10".to_owned())]);
    let small = check_length(range, 4).unwrap_err();
    assert_eq!(message(&small), (S3ErrorCode::EntityTooSmall, "Your proposed upload is smaller than the minimum allowed size"));
    assert_eq!(small.extra, [("ProposedSize", "4".to_owned()), ("MinSizeAllowed", "5".to_owned())]);
    assert!(check_length(None, u64::MAX).is_ok());
    // Sizes as text count; text that is no size fails the condition, as S3 answers.
    assert_eq!(policy(r#"["content-length-range", "5", "10"], ["CONTENT-LENGTH-RANGE", 0, 8]"#).content_length_range(), Some((5, 8)));
    let p = policy(r#"{"bucket": "b"}, ["content-length-range", "test", "10"]"#);
    assert_eq!(denied(&p, &form(&[])), failed(r#"["content-length-range", "test", "10"]"#));
}

#[test]
fn the_object_key() {
    let missing = object_key(&form(&[("acl", "x")]), Some("f")).unwrap_err();
    let text = "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.";
    assert_eq!(message(&missing), (S3ErrorCode::InvalidArgument, text));
    assert_eq!(missing.extra, [("ArgumentName", "key".to_owned()), ("ArgumentValue", String::new())]);
    let f = form(&[("key", "up/${filename}")]);
    assert_eq!(object_key(&f, Some("C:\\Program Files\\directory1\\file.txt")).unwrap(), "up/file.txt");
    assert_eq!(object_key(&f, None).unwrap(), "up/${filename}", "no filename parameter: kept");
    assert_eq!(object_key(&f, Some("")).unwrap(), "up/");
    let empty = object_key(&form(&[("key", "${filename}")]), Some("")).unwrap_err();
    assert_eq!(message(&empty), (S3ErrorCode::InvalidArgument, "User key must have a length greater than 0."));
    assert_eq!(object_key(&form(&[("key", &"k".repeat(1025))]), None).unwrap_err().code, S3ErrorCode::KeyTooLongError);
}

#[test]
fn stored_headers_are_the_put_object_headers() {
    let f = form(&[
        ("key", "k"),
        ("Cache-Control", "max-age=60"),
        ("content-disposition", "attachment"),
        ("Content-Encoding", "identity"),
        ("Expires", "Wed, 21 Oct 2037 07:28:00 GMT"),
        ("Content-Language", "en"),
        ("x-amz-meta-Color", "grün"),
        ("x-amz-storage-class", "STANDARD_IA"),
        ("x-amz-website-redirect-location", "/other"),
        ("x-amz-checksum-algorithm", "SHA256"),
        ("x-amz-checksum-sha256", "abc="),
        ("x-amz-server-side-encryption-aws-kms-key-id", "arn"),
        ("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="),
        ("tagging", "<Tagging><TagSet><Tag><Key>a b</Key><Value>1&amp;2</Value></Tag><Tag><Key>c</Key><Value></Value></Tag></TagSet></Tagging>"),
        ("success_action_status", "201"),
        ("x-amz-credential", "c"),
        ("x-amz-security-token", "t"),
        ("policy", "p"),
        ("x-ignore-x", "1"),
        ("bucket", "b"),
    ]);
    let h = stored_headers(&f, Some("image/png")).unwrap();
    assert_eq!(h["content-type"], "image/png", "the file part's type when the form has none");
    assert_eq!(h["x-amz-tagging"], "a%20b=1%262&c=");
    assert_eq!(crate::tagging::from_header(&h).unwrap().unwrap(), [("a b".to_owned(), "1&2".to_owned()), ("c".to_owned(), String::new())]);
    assert_eq!(h["x-amz-meta-color"].as_bytes(), "grün".as_bytes());
    let names: Vec<&str> = h.keys().map(|n| n.as_str()).collect();
    for name in ["cache-control", "content-disposition", "content-encoding", "expires", "content-language", "x-amz-storage-class"] {
        assert!(names.contains(&name), "{name}: {names:?}");
    }
    for name in
        ["x-amz-website-redirect-location", "x-amz-checksum-algorithm", "x-amz-checksum-sha256", "x-amz-server-side-encryption-aws-kms-key-id", "content-md5"]
    {
        assert!(names.contains(&name), "{name}: {names:?}");
    }
    assert_eq!(h.len(), 14, "{names:?}");
    let metadata = crate::headers::ObjectMetadata::from_headers(&h).unwrap();
    assert_eq!(metadata.user_value("color"), Some("grün"));

    let typed = stored_headers(&form(&[("Content-Type", "text/plain"), ("acl", "public-read")]), Some("image/png")).unwrap();
    assert_eq!((&typed["content-type"], &typed["x-amz-acl"]), (&"text/plain".parse::<HeaderValue>().unwrap(), &"public-read".parse::<HeaderValue>().unwrap()));
    assert!(stored_headers(&form(&[]), None).unwrap().is_empty());
    let empty = stored_headers(&form(&[("Content-Type", "")]), Some("image/png")).unwrap();
    assert_eq!(empty["content-type"], "image/png", "an empty field leaves the file's type");
}

#[test]
fn stored_headers_refusals() {
    let err = stored_headers(&form(&[("x-amz-meta-lines", "one\ntwo")]), None).unwrap_err();
    assert_eq!((err.code, extra(&err, "ArgumentName")), (S3ErrorCode::InvalidArgument, Some("x-amz-meta-lines")));
    assert_eq!(stored_headers(&form(&[("x-amz-meta-a b", "1")]), None).unwrap_err().code, S3ErrorCode::InvalidArgument);
    let err = stored_headers(&form(&[("tagging", "a=1")]), None).unwrap_err();
    assert_eq!(message(&err), (S3ErrorCode::MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema"));
    let aws = "<Tagging><TagSet><Tag><Key>aws:x</Key><Value>1</Value></Tag></TagSet></Tagging>";
    assert_eq!(stored_headers(&form(&[("tagging", aws)]), None).unwrap_err().code, S3ErrorCode::InvalidTag);
    // A well-formed document without a TagSet stores no tags, as S3 did.
    assert!(stored_headers(&form(&[("tagging", "<InvalidXmlTagging></InvalidXmlTagging>")]), None).unwrap().is_empty());
}

#[test]
fn success_answers() {
    let answer = |fields: &[(&str, &str)]| success(&form(fields), "b", "dir/a b", "abc", "http://b.host/dir%2Fa%20b");
    let result = "bucket=b&key=dir%2Fa+b&etag=%22abc%22";
    let redirect = |url: String| PostSuccess { status: 303, location_header: Some(url), body: None };
    let plain = |status| PostSuccess { status, location_header: Some("http://b.host/dir%2Fa%20b".into()), body: None };
    assert_eq!(answer(&[]), plain(204));
    assert_eq!(answer(&[("success_action_status", "200")]), plain(200));
    assert_eq!(answer(&[("success_action_status", "204")]), plain(204));
    assert_eq!(answer(&[("success_action_status", "404")]), plain(204));
    assert_eq!(answer(&[("success_action_redirect", "https://example.com/done")]), redirect(format!("https://example.com/done?{result}")));
    assert_eq!(answer(&[("success_action_redirect", "http://example.com/?a=b c")]), redirect(format!("http://example.com/?a=b c&{result}")));
    assert_eq!(answer(&[("success_action_redirect", "http://example.com/?")]), redirect(format!("http://example.com/?{result}")));
    assert_eq!(answer(&[("success_action_redirect", "http://example.com/p#top")]), redirect(format!("http://example.com/p?{result}#top")));
    assert_eq!(answer(&[("success_action_redirect", "http://example.com/é")]), redirect(format!("http://example.com/%C3%A9?{result}")));
    assert_eq!(answer(&[("redirect", "HTTP://example.com/old"), ("success_action_status", "201")]), redirect(format!("HTTP://example.com/old?{result}")));
    // A redirect S3 cannot use is ignored.
    assert_eq!(answer(&[("success_action_redirect", "ftp://example.com/")]), plain(204));
    assert_eq!(answer(&[("success_action_redirect", "/wrong/redirect/relative")]), plain(204));
    assert_eq!(answer(&[("success_action_redirect", "not a url"), ("redirect", "http://x/")]), redirect(format!("http://x/?{result}")));
    let created = answer(&[("redirect", "not a url"), ("success_action_status", "201")]);
    assert_eq!((created.status, created.location_header.as_deref()), (201, Some("http://b.host/dir%2Fa%20b")));
    assert_eq!(
        created.body.unwrap(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PostResponse><Location>http://b.host/dir%2Fa%20b</Location><Bucket>b</Bucket>\
         <Key>dir/a b</Key><ETag>&quot;abc&quot;</ETag></PostResponse>"
    );
    let quoted = success(&form(&[("success_action_status", "201")]), "b", "k", "\"e\"", "l");
    assert!(quoted.body.unwrap().contains("<ETag>&quot;e&quot;</ETag>"), "not quoted twice");
}

#[test]
fn object_locations_encode_the_key() {
    assert_eq!(object_location("https://foobar.s3.amazonaws.com", "président.jpg"), "https://foobar.s3.amazonaws.com/pr%C3%A9sident.jpg");
    assert_eq!(object_location("http://s3.amazonaws.com/happybucket2/", "prefix/111222"), "http://s3.amazonaws.com/happybucket2/prefix%2F111222");
    assert_eq!(object_location("http://h/b", "{x} y"), "http://h/b/%7Bx%7D%20y");
}

#[test]
fn the_boundary_of_the_content_type() {
    assert_eq!(boundary("multipart/form-data; boundary=9431149156168").unwrap(), "9431149156168");
    assert_eq!(boundary("Multipart/Form-Data;charset=utf-8; BOUNDARY=\"a b\\\"c\"").unwrap(), "a b\"c");
    let not_form = boundary("application/x-www-form-urlencoded").unwrap_err();
    assert_eq!(message(&not_form), (S3ErrorCode::PreconditionFailed, "At least one of the pre-conditions you specified did not hold"));
    assert_eq!(extra(&not_form, "Condition"), Some("Bucket POST must be of the enclosure-type multipart/form-data"));
    assert_eq!(boundary("multipart/mixed; boundary=x").unwrap_err().code, S3ErrorCode::PreconditionFailed);
    assert_eq!(boundary("").unwrap_err().code, S3ErrorCode::PreconditionFailed);
    for bad in ["multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"open"] {
        assert_eq!(
            message(&boundary(bad).unwrap_err()),
            (S3ErrorCode::MalformedPOSTRequest, "The body of your POST request is not well-formed multipart/form-data.")
        );
    }
}

#[test]
fn a_form_without_a_file() {
    let err = no_file();
    assert_eq!(message(&err), (S3ErrorCode::InvalidArgument, "POST requires exactly one file upload per request."));
    assert_eq!(err.extra, [("ArgumentName", "file".to_owned()), ("ArgumentValue", "0".to_owned())]);
    assert_eq!(malformed().status(), http::StatusCode::BAD_REQUEST);
    assert_eq!(Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(), policy("").expiration());
}
