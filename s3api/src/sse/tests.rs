//! Tests of SSE's protocol half: every rule of the request headers (SSE-S3, SSE-KMS, SSE-C
//! and the copy source's SSE-C) with its code, message and named argument, the headers
//! reads and parts refuse, the key's redaction, the response headers, the bucket default
//! applied to a write, and the bucket's document parsed, refused, written and read back.

use base64::Engine;
use http::{HeaderMap, HeaderValue, StatusCode};

use super::*;

const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
/// botocore's key `b'a' * 32`, base64, and its MD5 as botocore computes it.
const KEY_A: &str = "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=";
const KEY_A_MD5: &str = "Xsqb0+sHwAbNQ65I395/0w==";
/// ceph s3-tests' key A and its MD5.
const CEPH_KEY: &str = "pO3upElrwuEXSoFwCfnZPdSsmt/xWeFa0N9KgDijwVs=";
const CEPH_KEY_MD5: &str = "DWygnHRtgiJ77HCm+1rvHw==";

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (name, value) in pairs {
        h.insert(*name, HeaderValue::from_str(value).unwrap());
    }
    h
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn md5_b64(bytes: &[u8]) -> String {
    b64(&Md5::digest(bytes))
}

/// The code, message, and the `ArgumentName`/`ArgumentValue` extras when present.
fn parts(e: S3Error) -> (S3ErrorCode, String, Option<String>, Option<String>) {
    let extra = |name: &str| e.extra.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone());
    let (argument_name, argument_value) = (extra("ArgumentName"), extra("ArgumentValue"));
    (e.code, e.message.into_owned(), argument_name, argument_value)
}

fn request_err(pairs: &[(&'static str, &str)]) -> (S3ErrorCode, String, Option<String>, Option<String>) {
    parts(SseRequest::from_headers(&headers(pairs)).unwrap_err())
}

fn customer_err(pairs: &[(&'static str, &str)]) -> (S3ErrorCode, String, Option<String>) {
    let (code, message, name, _) = parts(customer_key(&headers(pairs)).unwrap_err());
    (code, message, name)
}

fn kms(key_id: Option<&str>, context: Option<&str>, bucket_key: Option<bool>) -> SseRequest {
    SseRequest::Kms { key_id: key_id.map(str::to_owned), context: context.map(str::to_owned), bucket_key }
}

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

// ---- x-amz-server-side-encryption and SSE-KMS ----

#[test]
fn no_header_is_no_request() {
    assert_eq!(SseRequest::from_headers(&HeaderMap::new()).unwrap(), SseRequest::None);
    assert_eq!(SseRequest::default(), SseRequest::None);
    let unrelated = headers(&[("content-type", "text/plain"), ("x-amz-meta-a", "1")]);
    assert_eq!(SseRequest::from_headers(&unrelated).unwrap(), SseRequest::None);
}

#[test]
fn aes256_is_sse_s3_and_aws_kms_is_sse_kms() {
    assert_eq!(SseRequest::from_headers(&headers(&[(SSE_HEADER, "AES256")])).unwrap(), SseRequest::S3);
    assert_eq!(SseRequest::from_headers(&headers(&[(SSE_HEADER, " AES256 ")])).unwrap(), SseRequest::S3);
    assert_eq!(SseRequest::from_headers(&headers(&[(SSE_HEADER, "aws:kms")])).unwrap(), kms(None, None, None));
    let context = b64(br#"{"department":"finance","project":"q3"}"#);
    let all = headers(&[
        (SSE_HEADER, "aws:kms"),
        (KMS_KEY_ID_HEADER, "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
        (CONTEXT_HEADER, &context),
        (BUCKET_KEY_HEADER, "TRUE"),
    ]);
    let expected = kms(Some("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"), Some(&context), Some(true));
    assert_eq!(SseRequest::from_headers(&all).unwrap(), expected);
    let off = headers(&[(SSE_HEADER, "aws:kms"), (KMS_KEY_ID_HEADER, "alias/mine"), (BUCKET_KEY_HEADER, "false")]);
    assert_eq!(SseRequest::from_headers(&off).unwrap(), kms(Some("alias/mine"), None, Some(false)));
    // An empty context object is a context.
    let empty = b64(b"{}");
    assert_eq!(SseRequest::from_headers(&headers(&[(SSE_HEADER, "aws:kms"), (CONTEXT_HEADER, &empty)])).unwrap(), kms(None, Some(&empty), None));
}

#[test]
fn dsse_is_not_implemented() {
    let (code, message, _, _) = request_err(&[(SSE_HEADER, "aws:kms:dsse")]);
    assert_eq!(code, S3ErrorCode::NotImplemented);
    assert_eq!(code.status(), StatusCode::NOT_IMPLEMENTED);
    assert!(message.contains("aws:kms:dsse"), "{message}");
    let (code, _, _, _) = request_err(&[(SSE_HEADER, "aws:kms:dsse"), (KMS_KEY_ID_HEADER, "k")]);
    assert_eq!(code, S3ErrorCode::NotImplemented);
}

#[test]
fn other_algorithms_are_invalid_arguments() {
    for bad in ["aes256", "AES512", "aes:kms", "AWS:KMS", "aws:fsx", "aws:backup", "", "AES256,aws:kms"] {
        let (code, message, name, value) = request_err(&[(SSE_HEADER, bad)]);
        assert_eq!(code, S3ErrorCode::InvalidArgument, "{bad}");
        assert_eq!(message, "The encryption method specified is not supported", "{bad}");
        assert_eq!(name.as_deref(), Some(SSE_HEADER));
        assert_eq!(value.as_deref(), Some(bad));
    }
    // Not visible ASCII reads as empty, which is refused too.
    let mut h = HeaderMap::new();
    h.insert(SSE_HEADER, HeaderValue::from_bytes(b"AES\xff").unwrap());
    assert_eq!(SseRequest::from_headers(&h).unwrap_err().code, S3ErrorCode::InvalidArgument);
}

#[test]
fn kms_headers_need_aws_kms() {
    let message = "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms";
    let context = b64(br#"{"a":"b"}"#);
    for header in [(KMS_KEY_ID_HEADER, "alias/k"), (CONTEXT_HEADER, context.as_str()), (BUCKET_KEY_HEADER, "true"), (BUCKET_KEY_HEADER, "false")] {
        let (code, m, name, value) = request_err(&[header]);
        assert_eq!((code, m.as_str()), (S3ErrorCode::InvalidArgument, message), "{header:?}");
        assert_eq!((name.as_deref(), value.as_deref()), (Some(SSE_HEADER), Some("null")));
        let (code, m, _, value) = request_err(&[(SSE_HEADER, "AES256"), header]);
        assert_eq!((code, m.as_str()), (S3ErrorCode::InvalidArgument, message), "AES256 with {header:?}");
        assert_eq!(value.as_deref(), Some("AES256"));
    }
    // With SSE-C headers and no x-amz-server-side-encryption, the KMS header is the fault.
    let (code, m, _, _) =
        request_err(&[(KMS_KEY_ID_HEADER, "k"), (CUSTOMER_ALGORITHM_HEADER, "AES256"), (CUSTOMER_KEY_HEADER, KEY_A), (CUSTOMER_KEY_MD5_HEADER, KEY_A_MD5)]);
    assert_eq!((code, m.as_str()), (S3ErrorCode::InvalidArgument, message));
}

#[test]
fn bucket_key_is_true_or_false() {
    for (value, expected) in [("true", true), ("True", true), ("false", false), ("FALSE", false)] {
        let h = headers(&[(SSE_HEADER, "aws:kms"), (BUCKET_KEY_HEADER, value)]);
        assert_eq!(SseRequest::from_headers(&h).unwrap(), kms(None, None, Some(expected)), "{value}");
    }
    for bad in ["yes", "1", "0", "", "truee"] {
        let (code, _, name, value) = request_err(&[(SSE_HEADER, "aws:kms"), (BUCKET_KEY_HEADER, bad)]);
        assert_eq!(code, S3ErrorCode::InvalidArgument, "{bad}");
        assert_eq!((name.as_deref(), value.as_deref()), (Some(BUCKET_KEY_HEADER), Some(bad)));
    }
}

#[test]
fn context_is_base64_of_a_string_to_string_json_object() {
    let bad = [
        "not base64!".to_owned(),
        b64(b"not json"),
        b64(br#"["a","b"]"#),
        b64(br#""text""#),
        b64(br#"{"a":1}"#),
        b64(br#"{"a":{"b":"c"}}"#),
        b64(br#"{"a":null}"#),
        b64(br#"{"a":"b""#),
        b64(b"{\"a\":\"\xff\"}"),
        String::new(),
    ];
    for context in &bad {
        let (code, message, name, _) = request_err(&[(SSE_HEADER, "aws:kms"), (CONTEXT_HEADER, context)]);
        assert_eq!(code, S3ErrorCode::InvalidArgument, "{context}");
        assert!(message.contains("x-amz-server-side-encryption-context"), "{message}");
        assert_eq!(name.as_deref(), Some(CONTEXT_HEADER));
    }
    let unicode = b64("{\"région\":\"Zürich\"}".as_bytes());
    assert!(SseRequest::from_headers(&headers(&[(SSE_HEADER, "aws:kms"), (CONTEXT_HEADER, &unicode)])).is_ok());
}

#[test]
fn kms_key_id_is_1_to_2048_characters() {
    let (code, _, name, _) = request_err(&[(SSE_HEADER, "aws:kms"), (KMS_KEY_ID_HEADER, "")]);
    assert_eq!((code, name.as_deref()), (S3ErrorCode::InvalidArgument, Some(KMS_KEY_ID_HEADER)));
    let longest = "k".repeat(MAX_KMS_KEY_ID_CHARS);
    let h = headers(&[(SSE_HEADER, "aws:kms"), (KMS_KEY_ID_HEADER, &longest)]);
    assert_eq!(SseRequest::from_headers(&h).unwrap(), kms(Some(&longest), None, None));
    let too_long = "k".repeat(MAX_KMS_KEY_ID_CHARS + 1);
    assert_eq!(request_err(&[(SSE_HEADER, "aws:kms"), (KMS_KEY_ID_HEADER, &too_long)]).0, S3ErrorCode::InvalidArgument);
}

// ---- SSE-C ----

fn trio(algorithm: &str, key: &str, md5: &str) -> HeaderMap {
    headers(&[(CUSTOMER_ALGORITHM_HEADER, algorithm), (CUSTOMER_KEY_HEADER, key), (CUSTOMER_KEY_MD5_HEADER, md5)])
}

#[test]
fn a_valid_customer_key() {
    let key = customer_key(&trio("AES256", KEY_A, KEY_A_MD5)).unwrap().unwrap();
    assert_eq!(key.key, [b'a'; 32]);
    assert_eq!(key.key_md5, KEY_A_MD5);
    assert_eq!(key, CustomerKey::new([b'a'; 32]));
    let ceph = customer_key(&trio("AES256", CEPH_KEY, CEPH_KEY_MD5)).unwrap().unwrap();
    assert_eq!(ceph.key_md5, CEPH_KEY_MD5);
    assert_eq!(b64(&ceph.key), CEPH_KEY);
    // A write with the trio asks for SSE-C.
    assert_eq!(SseRequest::from_headers(&trio("AES256", KEY_A, KEY_A_MD5)).unwrap(), SseRequest::Customer(key));
    assert_eq!(customer_key(&HeaderMap::new()).unwrap(), None);
}

#[test]
fn the_key_is_never_printed() {
    let key = CustomerKey::new([7; 32]);
    let text = format!("{key:?}");
    assert!(text.contains(&key.key_md5), "{text}");
    assert!(!text.contains("[7, 7"), "{text}");
    assert!(!text.contains(&b64(&[7; 32])), "{text}");
    let request = format!("{:?}", SseRequest::Customer(key.clone()));
    assert!(!request.contains("7, 7") && request.contains(&key.key_md5), "{request}");
    assert_eq!(text, format!("CustomerKey {{ key_md5: {:?}, .. }}", key.key_md5));
}

#[test]
fn customer_algorithm_must_be_aes256() {
    for bad in ["AES128", "aes256", "aws:kms", ""] {
        let (code, message, name, value) = parts(customer_key(&trio(bad, KEY_A, KEY_A_MD5)).unwrap_err());
        assert_eq!(code, S3ErrorCode::InvalidEncryptionAlgorithmError, "{bad}");
        assert_eq!(code.status(), StatusCode::BAD_REQUEST);
        assert_eq!(message, "The Encryption request you specified is not valid. Supported value: AES256.");
        assert_eq!((name.as_deref(), value.as_deref()), (Some(SSE_HEADER), Some(bad)));
    }
    // Even without a key, a wrong algorithm is the first fault.
    let (code, _, _) = customer_err(&[(CUSTOMER_ALGORITHM_HEADER, "AES128")]);
    assert_eq!(code, S3ErrorCode::InvalidEncryptionAlgorithmError);
}

#[test]
fn customer_key_errors_in_aws_order() {
    let invalid = |message: &str| (S3ErrorCode::InvalidArgument, message.to_owned(), Some(SSE_HEADER.to_owned()));
    let no_algorithm = invalid("Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.");
    let no_key = invalid("Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.");
    let no_md5 = invalid("Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.");
    let bad_key = invalid("The secret key was invalid for the specified algorithm.");
    let mismatch = invalid("The calculated MD5 hash of the key did not match the hash that was provided.");

    assert_eq!(customer_err(&[(CUSTOMER_KEY_HEADER, KEY_A), (CUSTOMER_KEY_MD5_HEADER, KEY_A_MD5)]), no_algorithm);
    assert_eq!(customer_err(&[(CUSTOMER_KEY_HEADER, KEY_A)]), no_algorithm);
    assert_eq!(customer_err(&[(CUSTOMER_KEY_MD5_HEADER, KEY_A_MD5)]), no_algorithm);
    assert_eq!(customer_err(&[(CUSTOMER_ALGORITHM_HEADER, "AES256")]), no_key);
    assert_eq!(customer_err(&[(CUSTOMER_ALGORITHM_HEADER, "AES256"), (CUSTOMER_KEY_MD5_HEADER, KEY_A_MD5)]), no_key);
    assert_eq!(customer_err(&[(CUSTOMER_ALGORITHM_HEADER, "AES256"), (CUSTOMER_KEY_HEADER, ""), (CUSTOMER_KEY_MD5_HEADER, KEY_A_MD5)]), no_key);
    assert_eq!(customer_err(&[(CUSTOMER_ALGORITHM_HEADER, "AES256"), (CUSTOMER_KEY_HEADER, KEY_A)]), no_md5);
    assert_eq!(customer_err(&[(CUSTOMER_ALGORITHM_HEADER, "AES256"), (CUSTOMER_KEY_HEADER, KEY_A), (CUSTOMER_KEY_MD5_HEADER, "")]), no_md5);
    // A key that is not base64.
    assert_eq!(customer_err(&[(CUSTOMER_ALGORITHM_HEADER, "AES256"), (CUSTOMER_KEY_HEADER, "not base64!"), (CUSTOMER_KEY_MD5_HEADER, KEY_A_MD5)]), bad_key);
    // An MD5 of another key, or one that is not base64.
    assert_eq!(customer_err(&[(CUSTOMER_ALGORITHM_HEADER, "AES256"), (CUSTOMER_KEY_HEADER, KEY_A), (CUSTOMER_KEY_MD5_HEADER, CEPH_KEY_MD5)]), mismatch);
    assert_eq!(
        customer_err(&[(CUSTOMER_ALGORITHM_HEADER, "AES256"), (CUSTOMER_KEY_HEADER, KEY_A), (CUSTOMER_KEY_MD5_HEADER, "AAAAAAAAAAAAAAAAAAAAAA==")]),
        mismatch
    );
    assert_eq!(customer_err(&[(CUSTOMER_ALGORITHM_HEADER, "AES256"), (CUSTOMER_KEY_HEADER, KEY_A), (CUSTOMER_KEY_MD5_HEADER, "zz")]), mismatch);
    // botocore's double encoding: the base64 text's MD5 is not the key's.
    assert_eq!(
        customer_err(&[(CUSTOMER_ALGORITHM_HEADER, "AES256"), (CUSTOMER_KEY_HEADER, KEY_A), (CUSTOMER_KEY_MD5_HEADER, &md5_b64(KEY_A.as_bytes()))]),
        mismatch
    );
    // A key of the wrong length: with its own MD5, the length is the fault; with another MD5,
    // the MD5 is checked first, as AWS's recorded answers show.
    for len in [1usize, 10, 16, 24, 31, 33, 64] {
        let key = vec![b'k'; len];
        let (code, message, _, _) = parts(customer_key(&trio("AES256", &b64(&key), &md5_b64(&key))).unwrap_err());
        assert_eq!((code, message.as_str()), (bad_key.0, bad_key.1.as_str()), "{len} bytes");
        let (_, message, _, _) = parts(customer_key(&trio("AES256", &b64(&key), KEY_A_MD5)).unwrap_err());
        assert_eq!(message, mismatch.1, "{len} bytes, another key's MD5");
    }
    // Every SSE-C fault names the argument AWS names, with a null value.
    let (_, _, _, value) = parts(customer_key(&headers(&[(CUSTOMER_ALGORITHM_HEADER, "AES256")])).unwrap_err());
    assert_eq!(value.as_deref(), Some("null"));
}

#[test]
fn copy_source_customer_key_reads_its_own_headers() {
    let source = headers(&[
        (COPY_SOURCE_CUSTOMER_ALGORITHM_HEADER, "AES256"),
        (COPY_SOURCE_CUSTOMER_KEY_HEADER, CEPH_KEY),
        (COPY_SOURCE_CUSTOMER_KEY_MD5_HEADER, CEPH_KEY_MD5),
    ]);
    let key = copy_source_customer_key(&source).unwrap().unwrap();
    assert_eq!(key.key_md5, CEPH_KEY_MD5);
    // The source's headers are not the destination's, and the reverse.
    assert_eq!(customer_key(&source).unwrap(), None);
    assert_eq!(SseRequest::from_headers(&source).unwrap(), SseRequest::None);
    assert_eq!(copy_source_customer_key(&trio("AES256", KEY_A, KEY_A_MD5)).unwrap(), None);
    // Both at once: a copy from one SSE-C key to another.
    let mut both = trio("AES256", KEY_A, KEY_A_MD5);
    both.extend(source);
    assert_eq!(customer_key(&both).unwrap().unwrap().key_md5, KEY_A_MD5);
    assert_eq!(copy_source_customer_key(&both).unwrap().unwrap().key_md5, CEPH_KEY_MD5);
    // The same rules, and the same answers.
    let bad = headers(&[(COPY_SOURCE_CUSTOMER_ALGORITHM_HEADER, "AES128"), (COPY_SOURCE_CUSTOMER_KEY_HEADER, KEY_A)]);
    let (code, _, name, _) = parts(copy_source_customer_key(&bad).unwrap_err());
    assert_eq!((code, name.as_deref()), (S3ErrorCode::InvalidEncryptionAlgorithmError, Some(SSE_HEADER)));
    let mismatch = headers(&[
        (COPY_SOURCE_CUSTOMER_ALGORITHM_HEADER, "AES256"),
        (COPY_SOURCE_CUSTOMER_KEY_HEADER, KEY_A),
        (COPY_SOURCE_CUSTOMER_KEY_MD5_HEADER, CEPH_KEY_MD5),
    ]);
    assert_eq!(parts(copy_source_customer_key(&mismatch).unwrap_err()).1, "The calculated MD5 hash of the key did not match the hash that was provided.");
    let no_algorithm = headers(&[(COPY_SOURCE_CUSTOMER_KEY_HEADER, KEY_A)]);
    assert_eq!(copy_source_customer_key(&no_algorithm).unwrap_err().code, S3ErrorCode::InvalidArgument);
}

#[test]
fn sse_with_customer_headers_is_incompatible() {
    let message = "Server Side Encryption with Customer provided key is incompatible with the encryption method specified";
    for sse in ["AES256", "aws:kms", "aws:kms:dsse", "bogus"] {
        let mut h = trio("AES256", KEY_A, KEY_A_MD5);
        h.insert(SSE_HEADER, HeaderValue::from_str(sse).unwrap());
        let (code, m, name, value) = parts(SseRequest::from_headers(&h).unwrap_err());
        assert_eq!((code, m.as_str()), (S3ErrorCode::InvalidArgument, message), "{sse}");
        assert_eq!((name.as_deref(), value.as_deref()), (Some(SSE_HEADER), Some(sse)));
        // Any one SSE-C header is enough, even an invalid one: this is checked first.
        for one in [CUSTOMER_ALGORITHM_HEADER, CUSTOMER_KEY_HEADER, CUSTOMER_KEY_MD5_HEADER] {
            let h = headers(&[(SSE_HEADER, sse), (one, "x")]);
            assert_eq!(parts(SseRequest::from_headers(&h).unwrap_err()).1, message, "{sse} with {one}");
        }
    }
}

#[test]
fn a_write_validates_its_customer_key() {
    let h = trio("AES256", KEY_A, CEPH_KEY_MD5);
    assert_eq!(SseRequest::from_headers(&h).unwrap_err().code, S3ErrorCode::InvalidArgument);
    let h = trio("AES128", KEY_A, KEY_A_MD5);
    assert_eq!(SseRequest::from_headers(&h).unwrap_err().code, S3ErrorCode::InvalidEncryptionAlgorithmError);
}

// ---- Reads and parts ----

#[test]
fn reads_and_parts_refuse_write_only_headers() {
    assert!(reject_write_only_headers(&HeaderMap::new()).is_ok());
    assert!(reject_write_only_headers(&trio("AES256", KEY_A, KEY_A_MD5)).is_ok());
    let (code, message, name, value) = parts(reject_write_only_headers(&headers(&[(SSE_HEADER, "AES256")])).unwrap_err());
    assert_eq!((code, message.as_str()), (S3ErrorCode::InvalidArgument, "x-amz-server-side-encryption header is not supported for this operation."));
    assert_eq!((name.as_deref(), value.as_deref()), (Some(SSE_HEADER), Some("AES256")));
    for header in [KMS_KEY_ID_HEADER, CONTEXT_HEADER, BUCKET_KEY_HEADER] {
        let (code, message, name, _) = parts(reject_write_only_headers(&headers(&[(header, "x")])).unwrap_err());
        assert_eq!(code, S3ErrorCode::InvalidArgument, "{header}");
        assert!(message.starts_with("Server Side Encryption with AWS KMS managed key requires"), "{message}");
        assert_eq!(name.as_deref(), Some(SSE_HEADER));
    }
}

// ---- Response headers and the bucket's default ----

#[test]
fn response_headers_never_carry_the_key_or_context() {
    assert_eq!(StoredSse::S3.response_headers(), vec![(SSE_HEADER, "AES256".to_owned())]);
    assert_eq!(
        StoredSse::Kms { key_id: Some("arn:k"), bucket_key: true }.response_headers(),
        vec![(SSE_HEADER, "aws:kms".to_owned()), (KMS_KEY_ID_HEADER, "arn:k".to_owned()), (BUCKET_KEY_HEADER, "true".to_owned())]
    );
    assert_eq!(StoredSse::Kms { key_id: None, bucket_key: false }.response_headers(), vec![(SSE_HEADER, "aws:kms".to_owned())]);
    let key = CustomerKey::new([b'a'; 32]);
    assert_eq!(
        StoredSse::Customer { key_md5: Some(&key.key_md5) }.response_headers(),
        vec![(CUSTOMER_ALGORITHM_HEADER, "AES256".to_owned()), (CUSTOMER_KEY_MD5_HEADER, KEY_A_MD5.to_owned())]
    );
    // A CompleteMultipartUpload of an SSE-C upload sends no key: the algorithm only.
    assert_eq!(StoredSse::Customer { key_md5: None }.response_headers(), vec![(CUSTOMER_ALGORITHM_HEADER, "AES256".to_owned())]);
}

#[test]
fn the_bucket_default_applies_to_writes_that_name_none() {
    let s3 = EncryptionConfig { algorithm: DefaultAlgorithm::S3, kms_key_id: None, bucket_key_enabled: false };
    let kms_default = EncryptionConfig { algorithm: DefaultAlgorithm::Kms, kms_key_id: some("alias/bucket"), bucket_key_enabled: true };
    assert_eq!(SseRequest::None.or_default(None), SseRequest::None);
    assert_eq!(SseRequest::None.or_default(Some(&s3)), SseRequest::S3);
    assert_eq!(SseRequest::None.or_default(Some(&kms_default)), kms(Some("alias/bucket"), None, Some(true)));
    // A request's own choice wins; a KMS request without the bucket-key header takes the bucket's.
    assert_eq!(SseRequest::S3.or_default(Some(&kms_default)), SseRequest::S3);
    assert_eq!(kms(Some("alias/mine"), None, None).or_default(Some(&kms_default)), kms(Some("alias/mine"), None, Some(true)));
    assert_eq!(kms(None, None, Some(false)).or_default(Some(&kms_default)), kms(None, None, Some(false)));
    assert_eq!(kms(None, None, None).or_default(Some(&s3)), kms(None, None, Some(false)));
    assert_eq!(kms(None, None, None).or_default(None), kms(None, None, None));
    let customer = SseRequest::Customer(CustomerKey::new([1; 32]));
    assert_eq!(customer.clone().or_default(Some(&kms_default)), customer);
}

#[test]
fn errors_for_the_server() {
    let e = customer_key_required();
    assert_eq!((e.code, e.status()), (S3ErrorCode::InvalidRequest, StatusCode::BAD_REQUEST));
    assert!(e.message.starts_with("The object was stored using a form of Server Side Encryption."));
    let e = wrong_customer_key();
    assert_eq!((e.code, e.status()), (S3ErrorCode::AccessDenied, StatusCode::FORBIDDEN));
    assert!(e.message.ends_with("must provide the correct secret key."));
    assert_eq!(customer_key_not_applicable().code, S3ErrorCode::InvalidRequest);
    assert_eq!(customer_key_needs_tls().code, S3ErrorCode::InvalidRequest);
    assert_eq!(upload_encryption_mismatch().code, S3ErrorCode::InvalidRequest);
    assert_eq!(upload_key_mismatch().code, S3ErrorCode::InvalidRequest);
    let e = kms_key_not_found("fake-key-id");
    assert_eq!((e.code.as_str(), e.status()), ("KMS.NotFoundException", StatusCode::BAD_REQUEST));
    assert_eq!(e.message, "Invalid keyId 'fake-key-id'");
}

// ---- The bucket's document ----

fn body(rules: &str) -> Vec<u8> {
    format!(r#"<ServerSideEncryptionConfiguration xmlns="{NS}">{rules}</ServerSideEncryptionConfiguration>"#).into_bytes()
}

fn rule(apply: &str, rest: &str) -> String {
    format!("<Rule><ApplyServerSideEncryptionByDefault>{apply}</ApplyServerSideEncryptionByDefault>{rest}</Rule>")
}

fn config_err(rules: &str) -> S3Error {
    parse_config(&body(rules)).unwrap_err()
}

#[test]
fn configuration_documents_parse() {
    // AWS's SSE-KMS example, pretty-printed, with the namespace.
    let aws = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ServerSideEncryptionConfiguration xmlns=\"{NS}\">\n  <Rule>\n    <ApplyServerSideEncryptionByDefault>\n      <SSEAlgorithm>aws:kms</SSEAlgorithm>\n      <KMSMasterKeyID>arn:aws:kms:us-east-1:1234/5678example</KMSMasterKeyID>\n    </ApplyServerSideEncryptionByDefault>\n    <BucketKeyEnabled>true</BucketKeyEnabled>\n  </Rule>\n</ServerSideEncryptionConfiguration>\n"
    );
    let c = parse_config(aws.as_bytes()).unwrap();
    assert_eq!(c, EncryptionConfig { algorithm: DefaultAlgorithm::Kms, kms_key_id: some("arn:aws:kms:us-east-1:1234/5678example"), bucket_key_enabled: true });
    // No namespace; SSE-S3; BucketKeyEnabled absent.
    let c = parse_config(b"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>").unwrap();
    assert_eq!(c, EncryptionConfig { algorithm: DefaultAlgorithm::S3, kms_key_id: None, bucket_key_enabled: false });
    // KMS without a key; an empty key is none; the key before the algorithm.
    let c = parse_config(&body(&rule("<SSEAlgorithm>aws:kms</SSEAlgorithm>", "<BucketKeyEnabled>false</BucketKeyEnabled>"))).unwrap();
    assert_eq!(c, EncryptionConfig { algorithm: DefaultAlgorithm::Kms, kms_key_id: None, bucket_key_enabled: false });
    let c = parse_config(&body(&rule("<SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID></KMSMasterKeyID>", ""))).unwrap();
    assert_eq!(c.kms_key_id, None);
    let c = parse_config(&body(&rule("<KMSMasterKeyID>alias/k</KMSMasterKeyID><SSEAlgorithm>aws:kms</SSEAlgorithm>", ""))).unwrap();
    assert_eq!(c.kms_key_id, some("alias/k"));
    // SSE-S3 with a bucket key is accepted, as S3 accepts it.
    let c = parse_config(&body(&rule("<SSEAlgorithm>AES256</SSEAlgorithm>", "<BucketKeyEnabled>true</BucketKeyEnabled>"))).unwrap();
    assert_eq!(c, EncryptionConfig { algorithm: DefaultAlgorithm::S3, kms_key_id: None, bucket_key_enabled: true });
    // BlockedEncryptionTypes NONE (nothing blocked, as in Depot) is accepted and not kept.
    let c = parse_config(&body(&rule(
        "<SSEAlgorithm>AES256</SSEAlgorithm>",
        "<BlockedEncryptionTypes><EncryptionType>NONE</EncryptionType></BlockedEncryptionTypes>",
    )))
    .unwrap();
    assert_eq!(c, EncryptionConfig { algorithm: DefaultAlgorithm::S3, kms_key_id: None, bucket_key_enabled: false });
}

#[test]
fn configuration_schema_faults_are_malformed_xml() {
    let aes = "<SSEAlgorithm>AES256</SSEAlgorithm>";
    let cases = [
        String::new(),
        format!("{}{}", rule(aes, ""), rule(aes, "")),
        "<Rule></Rule>".to_owned(),
        "<Rule><BucketKeyEnabled>true</BucketKeyEnabled></Rule>".to_owned(),
        rule("", ""),
        rule("<KMSMasterKeyID>k</KMSMasterKeyID>", ""),
        rule("<SSEAlgorithm>aes256</SSEAlgorithm>", ""),
        rule("<SSEAlgorithm>AES512</SSEAlgorithm>", ""),
        rule("<SSEAlgorithm>aws:fsx</SSEAlgorithm>", ""),
        rule("<SSEAlgorithm></SSEAlgorithm>", ""),
        rule(aes, "<BucketKeyEnabled>yes</BucketKeyEnabled>"),
        rule(aes, "<BucketKeyEnabled>true</BucketKeyEnabled><BucketKeyEnabled>true</BucketKeyEnabled>"),
        rule(&format!("{aes}{aes}"), ""),
        rule(aes, "<Unknown>1</Unknown>"),
        rule(&format!("{aes}<Unknown/>"), ""),
        format!("{}<Other/>", rule(aes, "")),
        rule(aes, "<BlockedEncryptionTypes><EncryptionType>SSE-KMS</EncryptionType></BlockedEncryptionTypes>"),
    ];
    for rules in &cases {
        assert_eq!(config_err(rules).code, S3ErrorCode::MalformedXML, "{rules}");
    }
    for bad in [&b""[..], b"not xml", b"<ServerSideEncryptionConfiguration><Rule>", b"<Other><Rule/></Other>"] {
        assert_eq!(parse_config(bad).unwrap_err().code, S3ErrorCode::MalformedXML, "{}", String::from_utf8_lossy(bad));
    }
    let wrong_root = format!("<LifecycleConfiguration>{}</LifecycleConfiguration>", rule(aes, ""));
    assert_eq!(parse_config(wrong_root.as_bytes()).unwrap_err().code, S3ErrorCode::MalformedXML);
}

#[test]
fn configuration_value_faults() {
    let e = config_err(&rule("<SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>alias/k</KMSMasterKeyID>", ""));
    let (code, message, name, _) = parts(e);
    assert_eq!(code, S3ErrorCode::InvalidArgument);
    assert_eq!(message, "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse");
    assert_eq!(name.as_deref(), Some("ApplyServerSideEncryptionByDefault"));
    let e = config_err(&rule("<SSEAlgorithm>aws:kms:dsse</SSEAlgorithm><KMSMasterKeyID>alias/k</KMSMasterKeyID>", ""));
    assert_eq!((e.code, e.status()), (S3ErrorCode::NotImplemented, StatusCode::NOT_IMPLEMENTED));
    let e = config_err(&rule("<SSEAlgorithm>AES256</SSEAlgorithm>", "<BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes>"));
    assert_eq!(e.code, S3ErrorCode::NotImplemented);
}

#[test]
fn configuration_round_trips() {
    let configs = [
        EncryptionConfig { algorithm: DefaultAlgorithm::S3, kms_key_id: None, bucket_key_enabled: false },
        EncryptionConfig { algorithm: DefaultAlgorithm::S3, kms_key_id: None, bucket_key_enabled: true },
        EncryptionConfig { algorithm: DefaultAlgorithm::Kms, kms_key_id: None, bucket_key_enabled: false },
        EncryptionConfig { algorithm: DefaultAlgorithm::Kms, kms_key_id: some("arn:aws:kms:us-east-1:111122223333:key/a&b<c"), bucket_key_enabled: true },
    ];
    for c in &configs {
        assert_eq!(&parse_config(config_xml(c).as_bytes()).unwrap(), c);
        assert_eq!(&EncryptionConfig::from_json(&c.to_json()).unwrap(), c);
    }
    assert_eq!(
        config_xml(&configs[3]),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ServerSideEncryptionConfiguration xmlns=\"{NS}\"><Rule><ApplyServerSideEncryptionByDefault>\
             <SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>arn:aws:kms:us-east-1:111122223333:key/a&amp;b&lt;c</KMSMasterKeyID>\
             </ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>"
        )
    );
    assert_eq!(EncryptionConfig::from_json("{").unwrap_err().code, S3ErrorCode::InternalError);
}
