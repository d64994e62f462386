//! End-to-end tests of `parse` + `verify`: AWS's published examples, and requests signed by
//! `aws_sigv4`'s own signer configured as the S3 SDK configures it. Fixed clocks only; no
//! network, no files.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings, UriPathNormalizationMode,
};
use chrono::{DateTime, Utc};
use http::request::Parts;
use sha2::{Digest, Sha256};

use super::time::parse_amz_date;
use super::*;

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const REGION: &str = "us-east-1";

fn at(amz_date: &str) -> DateTime<Utc> {
    parse_amz_date(amz_date).unwrap()
}

fn parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> Parts {
    let mut builder = http::Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(()).unwrap().into_parts().0
}

fn verify_at(p: &Parts, now: DateTime<Utc>) -> S3Result<Verified> {
    let signed = parse(p)?.expect("a signed request");
    assert_eq!(signed.access_key_id(), AKID);
    signed.verify(p, None, REGION, SECRET, now)
}

fn code(result: S3Result<Verified>) -> S3ErrorCode {
    result.unwrap_err().code
}

fn doc_authorization(signed_headers: &str, signature: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={AKID}/20130524/us-east-1/s3/aws4_request,\
         SignedHeaders={signed_headers},Signature={signature}"
    )
}

/// "GET Object" of "Signature Calculations for the Authorization Header: Transferring
/// Payload in a Single Chunk".
fn doc_get_object(range: &str) -> Parts {
    let auth = doc_authorization("host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    parts(
        "GET",
        "/test.txt",
        &[
            ("host", "examplebucket.s3.amazonaws.com"),
            ("range", range),
            ("x-amz-content-sha256", EMPTY),
            ("x-amz-date", "20130524T000000Z"),
            ("authorization", &auth),
        ],
    )
}

#[test]
fn aws_example_single_chunk_get_object_verifies() {
    let verified = verify_at(&doc_get_object("bytes=0-9"), at("20130524T000000Z")).unwrap();
    let mut digest = [0u8; 32];
    hex::decode_to_slice(EMPTY, &mut digest).unwrap();
    assert_eq!(verified.payload, PayloadMode::Sha256(digest));
    assert!(verified.chunk_signer.is_none());
}

#[test]
fn aws_example_single_chunk_put_object_verifies() {
    let payload = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
    assert_eq!(hex::encode(Sha256::digest(b"Welcome to Amazon S3.")), payload);
    let auth =
        doc_authorization("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class", "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    let p = parts(
        "PUT",
        "/test$file.text",
        &[
            ("host", "examplebucket.s3.amazonaws.com"),
            ("date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-content-sha256", payload),
            ("authorization", &auth),
        ],
    );
    assert!(verify_at(&p, at("20130524T000000Z")).is_ok());
}

#[test]
fn aws_example_single_chunk_get_bucket_lifecycle_and_list_objects_verify() {
    for (uri, signature) in [
        ("/?lifecycle", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
        ("/?max-keys=2&prefix=J", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
    ] {
        let auth = doc_authorization("host;x-amz-content-sha256;x-amz-date", signature);
        let p = parts(
            "GET",
            uri,
            &[("host", "examplebucket.s3.amazonaws.com"), ("x-amz-date", "20130524T000000Z"), ("x-amz-content-sha256", EMPTY), ("authorization", &auth)],
        );
        assert!(verify_at(&p, at("20130524T000000Z")).is_ok(), "{uri}");
    }
}

const DOC_PRESIGNED: &str = "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256\
    &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
    &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
    &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

#[test]
fn aws_example_query_parameters_presigned_url_verifies_until_it_expires() {
    let p = parts("GET", DOC_PRESIGNED, &[("host", "examplebucket.s3.amazonaws.com")]);
    let signed = parse(&p).unwrap().unwrap();
    assert_eq!(signed.kind(), AuthKind::V4Presigned);
    let verified = signed.verify(&p, None, REGION, SECRET, at("20130524T120000Z")).unwrap();
    assert_eq!(verified.payload, PayloadMode::Unsigned);
    assert!(signed.verify(&p, None, REGION, SECRET, at("20130525T000000Z")).is_ok());
    let err = signed.verify(&p, None, REGION, SECRET, at("20130525T000001Z")).unwrap_err();
    assert_eq!((err.code, &*err.message), (S3ErrorCode::AccessDenied, "Request has expired"));
    let err = signed.verify(&p, None, REGION, SECRET, at("20130523T234459Z")).unwrap_err();
    assert_eq!((err.code, &*err.message), (S3ErrorCode::AccessDenied, "Request is not valid yet"));
    // Tampering with a signed parameter.
    let tampered = parts("GET", &DOC_PRESIGNED.replace("86400", "86401"), &[("host", "examplebucket.s3.amazonaws.com")]);
    assert_eq!(code(verify_at(&tampered, at("20130524T000000Z"))), S3ErrorCode::SignatureDoesNotMatch);
    let err = parse(&parts("GET", &DOC_PRESIGNED.replace("86400", "604801"), &[])).unwrap_err();
    assert_eq!(err.message, "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds");
}

/// "Signature Calculations for the Authorization Header: Transferring Payload in Multiple
/// Chunks (Chunked Upload)".
#[test]
fn aws_example_multiple_chunks_seed_and_chunk_signatures() {
    let auth = doc_authorization(
        "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
    );
    let p = parts(
        "PUT",
        "/examplebucket/chunkObject.txt",
        &[
            ("host", "s3.amazonaws.com"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("authorization", &auth),
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
            ("content-length", "66824"),
        ],
    );
    let verified = verify_at(&p, at("20130524T000000Z")).unwrap();
    assert_eq!(verified.payload, PayloadMode::StreamingSigned);
    let signer = verified.chunk_signer.unwrap();
    assert_eq!(signer.seed_signature(), "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
    let first = signer.chunk_signature(signer.seed_signature(), &Sha256::digest([b'a'; 65536]));
    assert_eq!(first, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
    let second = signer.chunk_signature(&first, &Sha256::digest([b'a'; 1024]));
    assert_eq!(second, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
    let last = signer.chunk_signature(&second, &Sha256::digest([]));
    assert_eq!(last, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9");
}

#[test]
fn tampered_header_path_query_or_method_fails() {
    let now = at("20130524T000000Z");
    assert_eq!(code(verify_at(&doc_get_object("bytes=0-10"), now)), S3ErrorCode::SignatureDoesNotMatch);
    let good = doc_get_object("bytes=0-9");
    for (method, uri) in [("GET", "/test.txt2"), ("GET", "/test.txt?acl"), ("HEAD", "/test.txt"), ("GET", "/Test.txt")] {
        let mut p = parts(method, uri, &[]);
        p.headers = good.headers.clone();
        let err = verify_at(&p, now).unwrap_err();
        assert_eq!(err.code, S3ErrorCode::SignatureDoesNotMatch, "{method} {uri}");
        assert!(err.extra.iter().any(|(name, _)| *name == "StringToSign"));
        assert!(err.extra.iter().any(|(name, _)| *name == "CanonicalRequest"));
    }
    let signed = parse(&good).unwrap().unwrap();
    let err = signed.verify(&good, None, REGION, "wrong-secret", now).unwrap_err();
    assert_eq!(err.code, S3ErrorCode::SignatureDoesNotMatch);
}

#[test]
fn signatures_are_compared_in_constant_time_over_the_whole_value() {
    // `verify` compares with `signatures_equal` (subtle's ConstantTimeEq): every prefix and
    // length mismatch is rejected, not only the first differing byte.
    let sig = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
    assert!(signatures_equal(sig, sig));
    assert!(!signatures_equal(sig, &sig[..63]));
    assert!(!signatures_equal(sig, &format!("{}0", &sig[..63])));
    assert!(!signatures_equal(sig, ""));
    let auth = doc_authorization("host;range;x-amz-content-sha256;x-amz-date", &sig[..63]);
    let mut p = doc_get_object("bytes=0-9");
    p.headers.insert("authorization", auth.parse().unwrap());
    assert_eq!(code(verify_at(&p, at("20130524T000000Z"))), S3ErrorCode::SignatureDoesNotMatch);
}

#[test]
fn header_time_skew_is_limited_to_fifteen_minutes() {
    let p = doc_get_object("bytes=0-9");
    assert!(verify_at(&p, at("20130524T001500Z")).is_ok());
    let err = verify_at(&p, at("20130524T001501Z")).unwrap_err();
    assert_eq!(err.code, S3ErrorCode::RequestTimeTooSkewed);
    assert!(err.extra.contains(&("RequestTime", "20130524T000000Z".to_owned())));
    assert!(err.extra.contains(&("ServerTime", "2013-05-24T00:15:01Z".to_owned())));
    assert_eq!(code(verify_at(&p, at("20130523T234459Z"))), S3ErrorCode::RequestTimeTooSkewed);
}

#[test]
fn wrong_region_names_the_expected_one() {
    let p = doc_get_object("bytes=0-9");
    let err = parse(&p).unwrap().unwrap().verify(&p, None, "eu-west-1", SECRET, at("20130524T000000Z")).unwrap_err();
    assert_eq!(err.code, S3ErrorCode::AuthorizationHeaderMalformed);
    assert!(err.message.contains("the region 'us-east-1' is wrong; expecting 'eu-west-1'"), "{}", err.message);
    assert!(err.extra.contains(&("Region", "eu-west-1".to_owned())));
    let q = parts("GET", DOC_PRESIGNED, &[("host", "examplebucket.s3.amazonaws.com")]);
    let err = parse(&q).unwrap().unwrap().verify(&q, None, "eu-west-1", SECRET, at("20130524T000000Z")).unwrap_err();
    assert_eq!(err.code, S3ErrorCode::AuthorizationQueryParametersError);
}

#[test]
fn header_rules() {
    let now = at("20130524T000000Z");
    // x-amz-content-sha256 is required for header-signed V4.
    let mut p = doc_get_object("bytes=0-9");
    p.headers.remove("x-amz-content-sha256");
    let err = verify_at(&p, now).unwrap_err();
    assert_eq!((err.code, &*err.message), (S3ErrorCode::InvalidRequest, "Missing required header for this request: x-amz-content-sha256"));
    // A signed header missing from the request.
    let mut p = doc_get_object("bytes=0-9");
    p.headers.remove("range");
    assert_eq!(code(verify_at(&p, now)), S3ErrorCode::AccessDenied);
    // An x-amz-* header that is not signed.
    let mut p = doc_get_object("bytes=0-9");
    p.headers.insert("x-amz-acl", "public-read".parse().unwrap());
    let err = verify_at(&p, now).unwrap_err();
    assert_eq!(err.code, S3ErrorCode::AccessDenied);
    assert!(err.extra.contains(&("HeadersNotSigned", "x-amz-acl".to_owned())));
    // host must be signed.
    let mut p = doc_get_object("bytes=0-9");
    let auth = doc_authorization("range;x-amz-content-sha256;x-amz-date", "00");
    p.headers.insert("authorization", auth.parse().unwrap());
    assert_eq!(code(verify_at(&p, now)), S3ErrorCode::AuthorizationHeaderMalformed);
    // No usable date.
    let mut p = doc_get_object("bytes=0-9");
    p.headers.insert("x-amz-date", "yesterday".parse().unwrap());
    assert_eq!(code(verify_at(&p, now)), S3ErrorCode::AccessDenied);
    // Scope date other than the request date.
    let mut p = doc_get_object("bytes=0-9");
    p.headers.insert("x-amz-date", "20130523T235959Z".parse().unwrap());
    let err = verify_at(&p, now).unwrap_err();
    assert_eq!(err.code, S3ErrorCode::AuthorizationHeaderMalformed);
    assert!(err.message.contains("Invalid credential date"), "{}", err.message);
    // Garbage and SigV4a payload modes.
    let mut p = doc_get_object("bytes=0-9");
    p.headers.insert("x-amz-content-sha256", "garbage".parse().unwrap());
    assert_eq!(code(verify_at(&p, now)), S3ErrorCode::InvalidArgument);
    p.headers.insert("x-amz-content-sha256", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD".parse().unwrap());
    assert_eq!(code(verify_at(&p, now)), S3ErrorCode::NotImplemented);
}

#[test]
fn date_header_stands_in_for_x_amz_date() {
    let date = "Fri, 24 May 2013 00:00:00 GMT";
    let signed = "date;host;x-amz-content-sha256";
    let headers = [("host", "examplebucket.s3.amazonaws.com"), ("date", date), ("x-amz-content-sha256", EMPTY)];
    let p = parts("GET", "/test.txt", &headers);
    let names: Vec<String> = signed.split(';').map(str::to_owned).collect();
    let creq = canonical::canonical_request("GET", "/test.txt", "", &canonical::canonical_headers(&p.headers, None, &names).unwrap(), signed, EMPTY);
    let day = at("20130524T000000Z").date_naive();
    let sts = canonical::string_to_sign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", &creq);
    let sig = canonical::signature(&canonical::signing_key(SECRET, day, REGION, "s3"), &sts);
    let auth = doc_authorization(signed, &sig);
    let mut with_auth = headers.to_vec();
    with_auth.push(("authorization", &auth));
    let p = parts("GET", "/test.txt", &with_auth);
    assert!(verify_at(&p, at("20130524T000500Z")).is_ok());
    assert_eq!(code(verify_at(&p, at("20130524T002000Z"))), S3ErrorCode::RequestTimeTooSkewed);
}

#[test]
fn mechanisms_detection() {
    assert_eq!(parse(&parts("GET", "/b/k?prefix=x", &[])).unwrap(), None);
    let mut both = parts("GET", DOC_PRESIGNED, &[]);
    both.headers = doc_get_object("bytes=0-9").headers;
    assert_eq!(parse(&both).unwrap_err().code, S3ErrorCode::InvalidArgument);
    let mixed = parts("GET", &format!("{DOC_PRESIGNED}&AWSAccessKeyId=a&Expires=1&Signature=b"), &[]);
    assert_eq!(parse(&mixed).unwrap_err().code, S3ErrorCode::InvalidArgument);
    let v2 = parts("GET", "/b/k?AWSAccessKeyId=AK&Expires=1&Signature=s", &[]);
    assert_eq!(parse(&v2).unwrap().unwrap().kind(), AuthKind::V2Query);
    let v2 = parts("GET", "/b/k", &[("authorization", "AWS AK:sig"), ("x-amz-security-token", "tok")]);
    let signed = parse(&v2).unwrap().unwrap();
    assert_eq!((signed.kind(), signed.access_key_id(), signed.session_token()), (AuthKind::V2Header, "AK", Some("tok")));
    let bearer = parts("GET", "/", &[("authorization", "Bearer x")]);
    assert_eq!(parse(&bearer).unwrap_err().code, S3ErrorCode::InvalidArgument);
    let bad_query = parts("GET", "/?X-Amz-Credential=x", &[]);
    assert_eq!(parse(&bad_query).unwrap_err().code, S3ErrorCode::AuthorizationQueryParametersError);
}

// ---- requests signed by aws_sigv4, configured as the S3 SDK configures it ----

struct AwsSigned<'a> {
    method: &'a str,
    /// Origin-form, already percent-encoded the way the SDK encodes keys.
    uri: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    body: SignableBody<'a>,
    presign: Option<Duration>,
    session_token: Option<&'a str>,
    time: DateTime<Utc>,
}

impl<'a> AwsSigned<'a> {
    fn get(uri: &'a str) -> Self {
        AwsSigned {
            method: "GET",
            uri,
            headers: vec![("host", "localhost:9000")],
            body: SignableBody::Bytes(b""),
            presign: None,
            session_token: None,
            time: at("20240102T030405Z"),
        }
    }

    fn sign(self) -> Parts {
        let identity = Credentials::new(AKID, SECRET, self.session_token.map(str::to_owned), None, "test").into();
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        if let Some(expires) = self.presign {
            settings.signature_location = SignatureLocation::QueryParams;
            settings.expires_in = Some(expires);
        }
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(REGION)
            .name("s3")
            .time(SystemTime::from(self.time))
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let signable = SignableRequest::new(self.method, self.uri, self.headers.iter().copied(), self.body).unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let mut builder = http::Request::builder().method(self.method).uri(self.uri);
        for (name, value) in &self.headers {
            builder = builder.header(*name, *value);
        }
        let mut request = builder.body(()).unwrap();
        instructions.apply_to_request_http1x(&mut request);
        request.into_parts().0
    }
}

const SPECIAL_KEYS: &[&str] = &[
    "a b.txt",
    "a+b",
    "100%",
    "100%25",
    "what?",
    "hash#tag",
    "tilde~x",
    "ünïcødé/文件 😀",
    "dir//double",
    "./dot/../x",
    "trailing/",
    "semi;colon=eq&amp",
    "*star'quote(paren)!$,@",
    "  two  spaces  ",
];

#[test]
fn keys_with_special_characters_signed_by_aws_sigv4_verify() {
    for key in SPECIAL_KEYS {
        let uri = format!("/bucket/{}", canonical::uri_encode(key.as_bytes(), true));
        let mut req = AwsSigned::get(&uri);
        req.method = "PUT";
        req.body = SignableBody::Bytes(b"hello");
        let p = req.sign();
        let verified = verify_at(&p, at("20240102T030405Z")).unwrap_or_else(|e| panic!("{key:?}: {e:?}"));
        let expected: [u8; 32] = Sha256::digest(b"hello").into();
        assert_eq!(verified.payload, PayloadMode::Sha256(expected));
        // The same key, tampered with, fails.
        let mut tampered = p.clone();
        tampered.uri = format!("{uri}x").parse().unwrap();
        assert_eq!(code(verify_at(&tampered, at("20240102T030405Z"))), S3ErrorCode::SignatureDoesNotMatch);
    }
}

#[test]
fn query_with_special_characters_signed_by_aws_sigv4_verifies() {
    let uri = "/bucket?list-type=2&prefix=a%20b%2Bc%2F%E2%82%AC&delimiter=%2F&start-after=%7E&uploads";
    let p = AwsSigned::get(uri).sign();
    assert!(verify_at(&p, at("20240102T030405Z")).is_ok());
    let tampered_uri = uri.replace("delimiter=%2F", "delimiter=%2C");
    let mut tampered = p.clone();
    tampered.uri = tampered_uri.parse().unwrap();
    assert_eq!(code(verify_at(&tampered, at("20240102T030405Z"))), S3ErrorCode::SignatureDoesNotMatch);
}

#[test]
fn extra_signed_headers_and_session_token_signed_by_aws_sigv4_verify() {
    let mut req = AwsSigned::get("/bucket/k");
    req.method = "PUT";
    req.headers.extend([("x-amz-meta-a", "  spaced   out  "), ("x-amz-meta-b", "1"), ("content-type", "text/plain"), ("x-amz-storage-class", "STANDARD")]);
    req.body = SignableBody::UnsignedPayload;
    req.session_token = Some("SESSION/TOKEN+=");
    let p = req.sign();
    let signed = parse(&p).unwrap().unwrap();
    assert_eq!(signed.session_token(), Some("SESSION/TOKEN+="));
    let verified = signed.verify(&p, None, REGION, SECRET, at("20240102T030405Z")).unwrap();
    assert_eq!(verified.payload, PayloadMode::Unsigned);
    let mut tampered = p.clone();
    tampered.headers.insert("x-amz-meta-b", "2".parse().unwrap());
    assert_eq!(code(verify_at(&tampered, at("20240102T030405Z"))), S3ErrorCode::SignatureDoesNotMatch);
}

#[test]
fn presigned_urls_signed_by_aws_sigv4_verify() {
    for key in SPECIAL_KEYS {
        let uri = format!("/bucket/{}?versionId=a%2Bb", canonical::uri_encode(key.as_bytes(), true));
        let mut req = AwsSigned::get(&uri);
        req.body = SignableBody::UnsignedPayload;
        req.presign = Some(Duration::from_secs(3600));
        req.session_token = Some("tok");
        let p = req.sign();
        let signed = parse(&p).unwrap().unwrap();
        assert_eq!(signed.kind(), AuthKind::V4Presigned);
        assert_eq!(signed.session_token(), Some("tok"));
        let verified = signed.verify(&p, None, REGION, SECRET, at("20240102T040405Z"));
        assert_eq!(verified.unwrap_or_else(|e| panic!("{key:?}: {e:?}")).payload, PayloadMode::Unsigned);
        let err = signed.verify(&p, None, REGION, SECRET, at("20240102T040406Z")).unwrap_err();
        assert_eq!(&*err.message, "Request has expired");
    }
}

#[test]
fn streaming_uploads_signed_by_aws_sigv4_hand_back_a_matching_chunk_signer() {
    for mode in [STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER] {
        let mut req = AwsSigned::get("/bucket/big");
        req.method = "PUT";
        req.headers.extend([("content-encoding", "aws-chunked"), ("x-amz-decoded-content-length", "5")]);
        req.body = SignableBody::Precomputed(mode.to_owned());
        let time = req.time;
        let p = req.sign();
        let verified = verify_at(&p, at("20240102T030405Z")).unwrap();
        assert_eq!(verified.payload, PayloadMode::parse(mode).unwrap());
        let Some(signer) = verified.chunk_signer else {
            assert_eq!(mode, STREAMING_UNSIGNED_TRAILER);
            continue;
        };
        // aws_sigv4's own chunk signature, chained from the request signature.
        let identity = Credentials::new(AKID, SECRET, None, None, "test").into();
        let params = aws_sigv4::sign::v4::SigningParams::<()>::builder()
            .identity(&identity)
            .region(REGION)
            .name("s3")
            .time(SystemTime::from(time))
            .settings(())
            .build()
            .unwrap();
        let chunk = bytes::Bytes::from_static(b"hello");
        let expected = aws_sigv4::sign::v4::sign_chunk(&chunk, signer.seed_signature(), &params).unwrap();
        assert_eq!(signer.chunk_signature(signer.seed_signature(), &Sha256::digest(&chunk)), expected.signature());
    }
}

#[test]
fn anonymous_requests_cannot_claim_signed_chunks() {
    let p = parts("PUT", "/b/k", &[("x-amz-content-sha256", STREAMING_SIGNED)]);
    assert_eq!(parse(&p).unwrap(), None);
    assert_eq!(anonymous_payload_mode(&p.headers).unwrap_err().code, S3ErrorCode::InvalidRequest);
}

#[test]
fn hostile_inputs_never_panic() {
    let now = at("20130524T000000Z");
    let authorizations = [
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 ",
        "AWS4-HMAC-SHA256 ,,,",
        "AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;, Signature=",
        "AWS4-HMAC-SHA256 Credential=a/99999999/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x",
        "AWS4-HMAC-SHA256 Credential=a/20130524/us-east-1/s3/aws4_request, SignedHeaders=HOST;x-amz-date;x-amz-content-sha256, Signature=zz",
        "AWS4-HMAC-SHA256 Credential=ü/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=é",
        "AWS ::::",
        "AWS",
        "AWS a:b",
    ];
    let uris = [
        "/",
        "/%",
        "/%%%?%=%&=&&==",
        "/a?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%FF&X-Amz-Date=%FF&X-Amz-Expires=99999999999999999999&X-Amz-SignedHeaders=&X-Amz-Signature=",
        "/a?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=99991231T235959Z&X-Amz-Expires=604800&X-Amz-SignedHeaders=host&X-Amz-Signature=0",
        "/a?AWSAccessKeyId=a&Expires=-9223372036854775808&Signature=%20",
        "/a?AWSAccessKeyId=a&Expires=9223372036854775807&Signature=x",
    ];
    let mut attempts = 0;
    for uri in uris {
        for authorization in authorizations.iter().map(Some).chain([None]) {
            for date in ["20130524T000000Z", "", "Tue, 27 Mar 2007 19:36:42 +0000", "99991231T235959Z"] {
                let mut headers = vec![("host", "h"), ("x-amz-date", date), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD")];
                if let Some(value) = authorization {
                    headers.push(("authorization", value));
                }
                let p = parts("PUT", uri, &headers);
                if let Ok(Some(signed)) = parse(&p) {
                    let _ = signed.verify(&p, Some("b"), REGION, SECRET, now);
                    let _ = signed.verify(&p, None, REGION, "", DateTime::<Utc>::MAX_UTC);
                    let _ = signed.verify(&p, None, REGION, "", DateTime::<Utc>::MIN_UTC);
                }
                attempts += 1;
            }
        }
    }
    assert_eq!(attempts, uris.len() * (authorizations.len() + 1) * 4);
}
