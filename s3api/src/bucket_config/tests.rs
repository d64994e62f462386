//! Tests of the bucket configuration documents: AWS's examples parsed and written back,
//! every validation error with S3's message, and CORS matching tables.

use super::*;
use crate::acl::{AclGrant, AclGrantee, AclGroup, AclHeaders, AclPermission, CannedAcl};
use crate::error::S3ErrorCode;

fn err_of<T: std::fmt::Debug>(r: S3Result<T>) -> (S3ErrorCode, String) {
    let e = r.unwrap_err();
    (e.code, e.message.into_owned())
}

fn header<'a>(headers: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
}

fn rule(origins: &[&str], methods: &[&str]) -> CorsRule {
    CorsRule {
        id: None,
        allowed_origins: origins.iter().map(|s| s.to_string()).collect(),
        allowed_methods: methods.iter().map(|s| s.to_string()).collect(),
        allowed_headers: Vec::new(),
        expose_headers: Vec::new(),
        max_age_seconds: None,
    }
}

fn cors_body(rules: &str) -> Vec<u8> {
    format!(r#"<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{rules}</CORSConfiguration>"#).into_bytes()
}

/// The user guide's example: two rules for specific origins, one for every origin.
const AWS_CORS_EXAMPLE: &str = r#"<CORSConfiguration>
 <CORSRule>
   <AllowedOrigin>http://www.example1.com</AllowedOrigin>
   <AllowedMethod>PUT</AllowedMethod>
   <AllowedMethod>POST</AllowedMethod>
   <AllowedMethod>DELETE</AllowedMethod>
   <AllowedHeader>*</AllowedHeader>
 </CORSRule>
 <CORSRule>
   <AllowedOrigin>http://www.example2.com</AllowedOrigin>
   <AllowedMethod>PUT</AllowedMethod>
   <AllowedMethod>POST</AllowedMethod>
   <AllowedMethod>DELETE</AllowedMethod>
   <AllowedHeader>*</AllowedHeader>
 </CORSRule>
 <CORSRule>
   <AllowedOrigin>*</AllowedOrigin>
   <AllowedMethod>GET</AllowedMethod>
 </CORSRule>
</CORSConfiguration>"#;

/// The user guide's example with an ID, exposed headers and a max age.
const AWS_CORS_EXAMPLE_2: &str = r#"<CORSConfiguration>
 <CORSRule>
   <ID>Rule 1</ID>
   <AllowedOrigin>http://www.example.com</AllowedOrigin>
   <AllowedMethod>PUT</AllowedMethod>
   <AllowedMethod>POST</AllowedMethod>
   <AllowedMethod>DELETE</AllowedMethod>
   <AllowedHeader>*</AllowedHeader>
  <MaxAgeSeconds>3000</MaxAgeSeconds>
  <ExposeHeader>x-amz-server-side-encryption</ExposeHeader>
  <ExposeHeader>x-amz-request-id</ExposeHeader>
  <ExposeHeader>x-amz-id-2</ExposeHeader>
 </CORSRule>
</CORSConfiguration>"#;

#[test]
fn cors_aws_examples_parse() {
    let config = CorsConfiguration::from_xml(AWS_CORS_EXAMPLE.as_bytes()).unwrap();
    assert_eq!(config.rules.len(), 3);
    assert_eq!(config.rules[0].allowed_origins, vec!["http://www.example1.com"]);
    assert_eq!(config.rules[0].allowed_methods, vec!["PUT", "POST", "DELETE"]);
    assert_eq!(config.rules[0].allowed_headers, vec!["*"]);
    assert_eq!(config.rules[2], rule(&["*"], &["GET"]));

    let config = CorsConfiguration::from_xml(AWS_CORS_EXAMPLE_2.as_bytes()).unwrap();
    let r = &config.rules[0];
    assert_eq!(r.id.as_deref(), Some("Rule 1"));
    assert_eq!(r.max_age_seconds, Some(3000));
    assert_eq!(r.expose_headers, vec!["x-amz-server-side-encryption", "x-amz-request-id", "x-amz-id-2"]);
}

#[test]
fn cors_xml_is_written_in_aws_order_and_round_trips() {
    let config = CorsConfiguration::from_xml(AWS_CORS_EXAMPLE_2.as_bytes()).unwrap();
    let xml = config.to_xml();
    assert_eq!(
        xml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><CORSRule><ID>Rule 1</ID>\
         <AllowedHeader>*</AllowedHeader><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod><AllowedMethod>DELETE</AllowedMethod>\
         <AllowedOrigin>http://www.example.com</AllowedOrigin><ExposeHeader>x-amz-server-side-encryption</ExposeHeader>\
         <ExposeHeader>x-amz-request-id</ExposeHeader><ExposeHeader>x-amz-id-2</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>"
    );
    assert_eq!(CorsConfiguration::from_xml(xml.as_bytes()).unwrap(), config);

    // Only the members set are written; values are kept as sent, escaped.
    let config = CorsConfiguration { rules: vec![rule(&["http://a.com?x=1&y=2", ""], &["GET"])] };
    let xml = config.to_xml();
    assert!(xml.contains(
        "<CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>http://a.com?x=1&amp;y=2</AllowedOrigin><AllowedOrigin></AllowedOrigin></CORSRule>"
    ));
    assert_eq!(CorsConfiguration::from_xml(xml.as_bytes()).unwrap(), config);
}

#[test]
fn cors_json_round_trips() {
    let config = CorsConfiguration::from_xml(AWS_CORS_EXAMPLE.as_bytes()).unwrap();
    assert_eq!(CorsConfiguration::from_json(&config.to_json()).unwrap(), config);
    let config = CorsConfiguration::from_xml(AWS_CORS_EXAMPLE_2.as_bytes()).unwrap();
    assert_eq!(CorsConfiguration::from_json(&config.to_json()).unwrap(), config);
    assert_eq!(CorsConfiguration::from_json("{not json").unwrap_err().code, S3ErrorCode::InternalError);
}

#[test]
fn cors_malformed_documents() {
    let malformed =
        |body: &[u8]| assert_eq!(CorsConfiguration::from_xml(body).unwrap_err().code, S3ErrorCode::MalformedXML, "{}", String::from_utf8_lossy(body));
    malformed(b"");
    malformed(b"<CORSConfiguration><CORSRule>");
    malformed(b"<CORSConfiguration/>");
    malformed(&cors_body(""));
    malformed(&cors_body("<CORSRule/>"));
    malformed(&cors_body("<CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule>"));
    malformed(&cors_body("<CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>"));
    malformed(&cors_body("<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>soon</MaxAgeSeconds></CORSRule>"));
    let one = "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>";
    assert_eq!(CorsConfiguration::from_xml(&cors_body(&one.repeat(100))).unwrap().rules.len(), 100);
    malformed(&cors_body(&one.repeat(101)));
}

#[test]
fn cors_body_over_64_kb_is_refused() {
    let padding = " ".repeat(cors::MAX_BODY);
    let body = cors_body(&format!("<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>{padding}"));
    assert_eq!(CorsConfiguration::from_xml(&body).unwrap_err().code, S3ErrorCode::MaxMessageLengthExceeded);
}

#[test]
fn cors_validation_errors_carry_aws_messages() {
    let with = |inner: &str| CorsConfiguration::from_xml(&cors_body(&format!("<CORSRule>{inner}</CORSRule>")));
    assert_eq!(
        err_of(with("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>MYMETHOD</AllowedMethod>")),
        (S3ErrorCode::InvalidRequest, "Found unsupported HTTP method in CORS config. Unsupported method is MYMETHOD".to_owned())
    );
    assert_eq!(
        err_of(with("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>OPTIONS</AllowedMethod>")),
        (S3ErrorCode::InvalidRequest, "Found unsupported HTTP method in CORS config. Unsupported method is OPTIONS".to_owned())
    );
    assert_eq!(
        err_of(with("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod>")),
        (S3ErrorCode::InvalidRequest, "Found unsupported HTTP method in CORS config. Unsupported method is get".to_owned())
    );
    assert_eq!(
        err_of(with("<AllowedOrigin>*</AllowedOrigin><AllowedMethod></AllowedMethod>")),
        (S3ErrorCode::InvalidRequest, "Found unsupported HTTP method in CORS config. Unsupported method is ".to_owned())
    );
    assert_eq!(
        err_of(with("<AllowedOrigin>*example*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>")),
        (S3ErrorCode::InvalidRequest, "AllowedOrigin \"*example*.com\" can not have more than one wildcard.".to_owned())
    );
    assert_eq!(
        err_of(with("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-*-*</AllowedHeader>")),
        (S3ErrorCode::InvalidRequest, "AllowedHeader \"x-*-*\" can not have more than one wildcard.".to_owned())
    );
    let id = "i".repeat(256);
    assert_eq!(
        err_of(with(&format!("<ID>{id}</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"))),
        (S3ErrorCode::InvalidArgument, "ID length should not exceed allowed limit of 255".to_owned())
    );
    // The limits' edges are accepted: 255 characters (not bytes), one wildcard, an empty origin.
    let id = "é".repeat(255);
    let ok = with(&format!("<ID>{id}</ID><AllowedOrigin>http://*.a.com</AllowedOrigin><AllowedOrigin></AllowedOrigin><AllowedMethod>HEAD</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader>")).unwrap();
    assert_eq!(ok.rules[0].allowed_origins, vec!["http://*.a.com", ""]);
}

fn cors(rules: Vec<CorsRule>) -> CorsConfiguration {
    CorsConfiguration { rules }
}

#[test]
fn preflight_answers_with_the_matching_rules_headers() {
    // LocalStack's recording of S3: origins [https://localhost:4200], methods [GET, PUT],
    // MaxAgeSeconds 3000, AllowedHeaders [*].
    let mut r = rule(&["https://localhost:4200"], &["GET", "PUT"]);
    r.max_age_seconds = Some(3000);
    r.allowed_headers = vec!["*".to_owned()];
    let config = cors(vec![r]);
    let headers = config.preflight("https://localhost:4200", "PUT", "").unwrap();
    assert_eq!(
        headers,
        vec![
            ("access-control-allow-origin", "https://localhost:4200".to_owned()),
            ("access-control-allow-methods", "GET, PUT".to_owned()),
            ("access-control-max-age", "3000".to_owned()),
            ("access-control-allow-credentials", "true".to_owned()),
            ("vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method".to_owned()),
        ]
    );
    let headers = config.preflight("https://localhost:4200", "GET", "X-Amz-Request-Payer,x-amz-date").unwrap();
    assert_eq!(header(&headers, "access-control-allow-headers"), Some("x-amz-request-payer, x-amz-date"));
    // Another scheme is another origin.
    let err = config.preflight("http://localhost:4200", "PUT", "").unwrap_err();
    assert_eq!((err.code, err.message.as_ref(), err.status().as_u16()), (S3ErrorCode::CORSResponse, cors::NOT_ALLOWED_MESSAGE, 403));
    assert_eq!(err.extra, vec![("Method", "PUT".to_owned())]);
}

#[test]
fn preflight_with_star_origin_answers_star_without_credentials() {
    let mut r = rule(&["*"], &["GET"]);
    r.expose_headers = vec!["x-amz-id-2".to_owned(), "x-amz-request-id".to_owned()];
    let config = cors(vec![r]);
    let headers = config.preflight("http://random:1234", "GET", "").unwrap();
    assert_eq!(
        headers,
        vec![
            ("access-control-allow-origin", "*".to_owned()),
            ("access-control-allow-methods", "GET".to_owned()),
            ("access-control-expose-headers", "x-amz-id-2, x-amz-request-id".to_owned()),
            ("vary", cors::VARY.to_owned()),
        ]
    );
    // A rule listing `*` beside a named origin answers `*` to that origin too.
    let config = cors(vec![rule(&["http://a.com", "*"], &["GET"])]);
    let headers = config.preflight("http://a.com", "GET", "").unwrap();
    assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&headers, "access-control-allow-credentials"), None);
    // A wildcard that is not the whole origin echoes the origin, with credentials.
    let config = cors(vec![rule(&["http://*.origin.com"], &["GET"])]);
    let headers = config.preflight("http://test.origin.com", "GET", "").unwrap();
    assert_eq!(header(&headers, "access-control-allow-origin"), Some("http://test.origin.com"));
    assert_eq!(header(&headers, "access-control-allow-credentials"), Some("true"));
    assert!(config.preflight("http://test.origin.com/", "GET", "").is_err());
}

#[test]
fn preflight_matching_table() {
    // s3-tests' test_cors_origin_response rules, plus header rules.
    let mut headers_rule = rule(&["http://h.com"], &["GET"]);
    headers_rule.allowed_headers = vec!["x-amz-*".to_owned(), "Content-Type".to_owned(), "*-trace".to_owned()];
    let config = cors(vec![
        rule(&["*suffix"], &["GET"]),
        rule(&["start*end"], &["GET"]),
        rule(&["prefix*"], &["GET"]),
        rule(&["*.put"], &["PUT"]),
        rule(&["http://head.com"], &["HEAD"]),
        headers_rule,
    ]);
    let table: &[(&str, &str, &str, bool)] = &[
        ("foo.suffix", "GET", "", true),
        ("startend", "GET", "", true),
        ("start1end", "GET", "", true),
        ("prefix", "GET", "", true),
        ("prefix.suffix", "GET", "", true),
        ("foo.bar", "GET", "", false),
        ("foo.suffix.get", "GET", "", false),
        ("0start12end", "GET", "", false),
        ("bla.prefix", "GET", "", false),
        ("foo.put", "GET", "", false),
        ("foo.put", "PUT", "", true),
        ("foo.suffix", "PUT", "", false),
        // HEAD is its own method: GET does not allow it, nor HEAD GET.
        ("http://head.com", "HEAD", "", true),
        ("http://head.com", "GET", "", false),
        ("foo.suffix", "HEAD", "", false),
        // A rule without AllowedHeader allows no requested header.
        ("foo.suffix", "GET", "x-amz-meta-header2", false),
        // Header names match without regard to case, around one wildcard.
        ("http://h.com", "GET", "X-AMZ-Date, content-type", true),
        ("http://h.com", "GET", "x-amz-", true),
        ("http://h.com", "GET", "x-b3-trace", true),
        ("http://h.com", "GET", "x-amz-date,authorization", false),
        ("http://h.com", "GET", "content-type-x", false),
        // Origins match case-sensitively.
        ("http://H.com", "GET", "", false),
    ];
    for &(origin, method, request_headers, allowed) in table {
        assert_eq!(config.preflight(origin, method, request_headers).is_ok(), allowed, "{origin} {method} [{request_headers}]");
    }
    let headers = config.preflight("http://h.com", "GET", "X-AMZ-Date, content-type").unwrap();
    assert_eq!(header(&headers, "access-control-allow-headers"), Some("x-amz-date, content-type"));
}

#[test]
fn the_first_matching_rule_wins() {
    let mut first = rule(&["http://a.com"], &["GET"]);
    first.max_age_seconds = Some(10);
    let mut second = rule(&["*"], &["GET", "PUT"]);
    second.max_age_seconds = Some(20);
    let config = cors(vec![first, second]);
    let headers = config.preflight("http://a.com", "GET", "").unwrap();
    assert_eq!(header(&headers, "access-control-max-age"), Some("10"));
    assert_eq!(header(&headers, "access-control-allow-origin"), Some("http://a.com"));
    // A rule matching the origin but not the method is passed over, not final.
    let headers = config.preflight("http://a.com", "PUT", "").unwrap();
    assert_eq!(header(&headers, "access-control-max-age"), Some("20"));
    assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
    // Likewise a rule whose headers do not match.
    let mut strict = rule(&["*"], &["GET"]);
    strict.allowed_headers = vec!["x-one".to_owned()];
    let mut loose = rule(&["*"], &["GET"]);
    loose.allowed_headers = vec!["*".to_owned()];
    loose.id = Some("loose".to_owned());
    loose.max_age_seconds = Some(5);
    let config = cors(vec![strict, loose]);
    assert_eq!(header(&config.preflight("o", "GET", "x-two").unwrap(), "access-control-max-age"), Some("5"));
    assert_eq!(header(&config.preflight("o", "GET", "x-one").unwrap(), "access-control-max-age"), None);
}

#[test]
fn actual_requests_match_origin_and_method_only() {
    let mut r = rule(&["https://localhost:4200"], &["GET", "PUT"]);
    r.max_age_seconds = Some(3000);
    let config = cors(vec![r, rule(&["*"], &["DELETE"])]);
    let headers = config.actual("https://localhost:4200", "GET").unwrap();
    assert_eq!(
        headers,
        vec![
            ("access-control-allow-origin", "https://localhost:4200".to_owned()),
            ("access-control-allow-methods", "GET, PUT".to_owned()),
            ("access-control-max-age", "3000".to_owned()),
            ("access-control-allow-credentials", "true".to_owned()),
            ("vary", cors::VARY.to_owned()),
        ]
    );
    assert_eq!(config.actual("http://localhost:4200", "GET"), None);
    assert_eq!(config.actual("https://localhost:4200", "POST"), None);
    assert_eq!(config.actual("https://localhost:4200", "HEAD"), None);
    let headers = config.actual("http://anyone", "DELETE").unwrap();
    assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&headers, "access-control-allow-credentials"), None);
    assert_eq!(header(&headers, "access-control-allow-headers"), None);
}

#[test]
fn preflight_request_headers_are_checked_first() {
    assert_eq!(preflight_request(Some("http://a.com"), Some("PUT")).unwrap(), ("http://a.com".to_owned(), "PUT".to_owned()));
    let no_origin = (S3ErrorCode::BadRequest, "Insufficient information. Origin request header needed.".to_owned());
    assert_eq!(err_of(preflight_request(None, Some("GET"))), no_origin);
    assert_eq!(err_of(preflight_request(Some(""), Some("GET"))), no_origin);
    assert_eq!(err_of(preflight_request(None, None)), no_origin);
    assert_eq!(err_of(preflight_request(Some("o"), None)), (S3ErrorCode::BadRequest, "Invalid Access-Control-Request-Method: null".to_owned()));
    assert_eq!(err_of(preflight_request(Some("o"), Some("PATCH"))), (S3ErrorCode::BadRequest, "Invalid Access-Control-Request-Method: PATCH".to_owned()));
    assert_eq!(err_of(preflight_request(Some("o"), Some("get"))), (S3ErrorCode::BadRequest, "Invalid Access-Control-Request-Method: get".to_owned()));
    assert_eq!(preflight_request(None, None).unwrap_err().status().as_u16(), 400);
}

#[test]
fn answer_preflight_keeps_s3s_order() {
    let config = cors(vec![rule(&["*"], &["GET"])]);
    // No origin: 400 whether or not the bucket has a configuration.
    assert_eq!(answer_preflight(None, None, Some("GET"), None).unwrap_err().code, S3ErrorCode::BadRequest);
    assert_eq!(answer_preflight(Some(&config), None, Some("GET"), None).unwrap_err().code, S3ErrorCode::BadRequest);
    // No configuration: 403 before the method is looked at.
    let err = answer_preflight(None, Some("o"), None, None).unwrap_err();
    assert_eq!((err.code, err.message.as_ref()), (S3ErrorCode::CORSResponse, "CORS is not enabled for this bucket."));
    assert_eq!(err.extra, vec![("Method", "OPTIONS".to_owned())]);
    let err = answer_preflight(None, Some("o"), Some("PUT"), None).unwrap_err();
    assert_eq!(err.extra, vec![("Method", "PUT".to_owned())]);
    // Then the method, then the rules.
    assert_eq!(err_of(answer_preflight(Some(&config), Some("o"), None, None)).1, "Invalid Access-Control-Request-Method: null");
    assert_eq!(answer_preflight(Some(&config), Some("o"), Some("PUT"), None).unwrap_err().message, cors::NOT_ALLOWED_MESSAGE);
    assert_eq!(answer_preflight(Some(&config), Some("o"), Some("GET"), Some("x-a")).unwrap_err().code, S3ErrorCode::CORSResponse);
    let headers = answer_preflight(Some(&config), Some("o"), Some("GET"), Some(" ")).unwrap();
    assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&headers, "access-control-allow-headers"), None);
}

#[test]
fn public_access_block_parses_the_aws_example() {
    let body = br#"<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
        <BlockPublicAcls>true</BlockPublicAcls>
        <IgnorePublicAcls>false</IgnorePublicAcls>
        <BlockPublicPolicy>true</BlockPublicPolicy>
        <RestrictPublicBuckets>false</RestrictPublicBuckets>
    </PublicAccessBlockConfiguration>"#;
    let pab = PublicAccessBlock::from_xml(body).unwrap();
    assert_eq!(pab, PublicAccessBlock { block_public_acls: true, ignore_public_acls: false, block_public_policy: true, restrict_public_buckets: false });
    assert_eq!(
        pab.to_xml(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
         <BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy>\
         <RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>"
    );
    assert_eq!(PublicAccessBlock::from_xml(pab.to_xml().as_bytes()).unwrap(), pab);
    assert_eq!(PublicAccessBlock::from_json(&pab.to_json()).unwrap(), pab);
    assert_eq!(PublicAccessBlock::from_json("[]").unwrap_err().code, S3ErrorCode::InternalError);
}

#[test]
fn public_access_block_missing_settings_are_false() {
    let pab =
        PublicAccessBlock::from_xml(b"<PublicAccessBlockConfiguration><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>")
            .unwrap();
    assert_eq!(pab, PublicAccessBlock { restrict_public_buckets: true, ..PublicAccessBlock::default() });
    let pab =
        PublicAccessBlock::from_xml(b"<PublicAccessBlockConfiguration><BlockPublicAcls>false</BlockPublicAcls></PublicAccessBlockConfiguration>").unwrap();
    assert_eq!(pab, PublicAccessBlock::default());
}

#[test]
fn public_access_block_errors() {
    assert_eq!(
        err_of(PublicAccessBlock::from_xml(b"<PublicAccessBlockConfiguration/>")),
        (S3ErrorCode::InvalidRequest, "Must specify at least one configuration.".to_owned())
    );
    for body in [
        &b""[..],
        b"<PublicAccessBlockConfiguration>",
        b"<PublicAccessBlockConfiguration><BlockPublicAcls>maybe</BlockPublicAcls></PublicAccessBlockConfiguration>",
    ] {
        assert_eq!(PublicAccessBlock::from_xml(body).unwrap_err().code, S3ErrorCode::MalformedXML, "{}", String::from_utf8_lossy(body));
    }
}

#[test]
fn public_acls() {
    for acl in ["public-read", "public-read-write", "authenticated-read"] {
        assert!(canned_acl_is_public(acl), "{acl}");
    }
    for acl in ["private", "bucket-owner-read", "bucket-owner-full-control", "aws-exec-read", "log-delivery-write", "Public-Read", ""] {
        assert!(!canned_acl_is_public(acl), "{acl}");
    }
    let grant = |grantee, permission| AclGrant { grantee, permission };
    let owner = grant(AclGrantee::Id("owner".to_owned()), AclPermission::FullControl);
    assert!(!grants_are_public(&[]));
    assert!(!grants_are_public(std::slice::from_ref(&owner)));
    assert!(grants_are_public(&[owner.clone(), grant(AclGrantee::Group(AclGroup::AllUsers), AclPermission::ReadAcp)]));
    assert!(grants_are_public(&[grant(AclGrantee::Group(AclGroup::AuthenticatedUsers), AclPermission::Read)]));
    assert!(acl_headers_are_public(&AclHeaders::Canned(CannedAcl::PublicRead)));
    assert!(acl_headers_are_public(&AclHeaders::Canned(CannedAcl::AuthenticatedRead)));
    assert!(!acl_headers_are_public(&AclHeaders::Canned(CannedAcl::BucketOwnerFullControl)));
    assert!(!acl_headers_are_public(&AclHeaders::Grants(vec![owner])));
}

#[test]
fn ownership_header() {
    for o in [ObjectOwnership::BucketOwnerEnforced, ObjectOwnership::BucketOwnerPreferred, ObjectOwnership::ObjectWriter] {
        assert_eq!(ObjectOwnership::parse(o.as_str()).unwrap(), o);
    }
    let err = ObjectOwnership::parse("bucketownerenforced").unwrap_err();
    assert_eq!((err.code, err.message.as_ref()), (S3ErrorCode::InvalidArgument, "Invalid x-amz-object-ownership header: bucketownerenforced"));
    assert_eq!(err.extra, vec![("ArgumentName", "x-amz-object-ownership".to_owned())]);
    assert_eq!(ObjectOwnership::default(), ObjectOwnership::BucketOwnerEnforced);
    assert!(!ObjectOwnership::BucketOwnerEnforced.acls_enabled());
    assert!(ObjectOwnership::ObjectWriter.acls_enabled());
}

#[test]
fn ownership_controls_document() {
    let body = br#"<OwnershipControls xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
        <Rule><ObjectOwnership>BucketOwnerPreferred</ObjectOwnership></Rule>
    </OwnershipControls>"#;
    assert_eq!(ObjectOwnership::from_xml(body).unwrap(), ObjectOwnership::BucketOwnerPreferred);
    let xml = ObjectOwnership::ObjectWriter.to_xml();
    assert_eq!(
        xml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OwnershipControls xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
         <Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>"
    );
    assert_eq!(ObjectOwnership::from_xml(xml.as_bytes()).unwrap(), ObjectOwnership::ObjectWriter);
    for body in [
        &b""[..],
        b"<OwnershipControls/>",
        b"<OwnershipControls><Rule/></OwnershipControls>",
        b"<OwnershipControls><Rule><ObjectOwnership>Nobody</ObjectOwnership></Rule></OwnershipControls>",
        b"<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>",
    ] {
        assert_eq!(ObjectOwnership::from_xml(body).unwrap_err().code, S3ErrorCode::MalformedXML, "{}", String::from_utf8_lossy(body));
    }
}

#[test]
fn policy_status() {
    assert_eq!(
        policy_status_xml(true),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PolicyStatus xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><IsPublic>true</IsPublic></PolicyStatus>"
    );
    assert!(policy_status_xml(false).contains("<IsPublic>false</IsPublic>"));
}
