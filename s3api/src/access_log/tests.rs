//! Tests of access logging's protocol half: each form of `<BucketLoggingStatus>` read,
//! written and read back, every `MalformedXML` case, the stored JSON form, log lines
//! against exact expected text, the operation names and the keys of log objects.

use super::*;

const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
const OWNER: &str = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";

/// Milliseconds since the epoch of an RFC 3339 time.
fn ms(t: &str) -> i64 {
    DateTime::parse_from_rfc3339(t).unwrap().timestamp_millis()
}

fn status(inner: &str) -> Vec<u8> {
    format!(r#"<BucketLoggingStatus xmlns="{NS}">{inner}</BucketLoggingStatus>"#).into_bytes()
}

fn enabled(inner: &str) -> Vec<u8> {
    status(&format!("<LoggingEnabled>{inner}</LoggingEnabled>"))
}

fn parse(body: &[u8]) -> LoggingConfiguration {
    LoggingConfiguration::from_xml(body).unwrap().unwrap()
}

/// Parses, writes with `logging_status_xml`, parses again: the same configuration.
fn round_trip(body: &[u8]) -> LoggingConfiguration {
    let config = parse(body);
    let xml = logging_status_xml(Some(&config));
    assert_eq!(parse(xml.as_bytes()), config, "{xml}");
    assert_eq!(LoggingConfiguration::from_json(&config.to_json()).unwrap(), config);
    config
}

fn grantee(kind: &str, inner: &str) -> String {
    format!(r#"<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="{kind}">{inner}</Grantee>"#)
}

fn grant_body(grantee: &str, permission: &str) -> Vec<u8> {
    enabled(&format!("<TargetBucket>logs</TargetBucket><TargetGrants><Grant>{grantee}<Permission>{permission}</Permission></Grant></TargetGrants>"))
}

#[test]
fn simple_configuration_is_read_and_written() {
    let body = enabled("<TargetBucket>logs</TargetBucket><TargetPrefix>src/</TargetPrefix><TargetObjectKeyFormat><SimplePrefix/></TargetObjectKeyFormat>");
    let config = round_trip(&body);
    let expected = LoggingConfiguration { target_bucket: "logs".into(), target_prefix: "src/".into(), target_grants: vec![], key_format: KeyFormat::Simple };
    assert_eq!(config, expected);
    assert_eq!(
        logging_status_xml(Some(&config)),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BucketLoggingStatus xmlns=\"{NS}\"><LoggingEnabled><TargetBucket>logs</TargetBucket>\
             <TargetPrefix>src/</TargetPrefix><TargetObjectKeyFormat><SimplePrefix></SimplePrefix></TargetObjectKeyFormat>\
             </LoggingEnabled></BucketLoggingStatus>"
        )
    );
}

#[test]
fn prefix_and_key_format_may_be_left_out() {
    for inner in [
        "<TargetBucket>logs</TargetBucket>",
        "<TargetBucket>logs</TargetBucket><TargetPrefix></TargetPrefix>",
        "<TargetBucket>logs</TargetBucket><TargetPrefix/><TargetObjectKeyFormat/>",
    ] {
        let config = round_trip(&enabled(inner));
        assert_eq!((config.target_prefix.as_str(), config.key_format), ("", KeyFormat::Simple), "{inner}");
    }
    // No namespace, a declaration, whitespace between elements, a padded bucket name.
    let body = "<?xml version=\"1.0\"?>\n<BucketLoggingStatus>\n  <LoggingEnabled>\n    <TargetBucket> logs </TargetBucket>\n  </LoggingEnabled>\n</BucketLoggingStatus>";
    assert_eq!(parse(body.as_bytes()).target_bucket, "logs");
}

#[test]
fn partitioned_configuration_with_each_date_source() {
    let cases = [
        ("<PartitionDateSource>EventTime</PartitionDateSource>", PartitionDateSource::EventTime),
        ("<PartitionDateSource>DeliveryTime</PartitionDateSource>", PartitionDateSource::DeliveryTime),
        ("", PartitionDateSource::EventTime),
    ];
    for (source, expected) in cases {
        let body = enabled(&format!(
            "<TargetBucket>logs</TargetBucket><TargetPrefix>p/</TargetPrefix><TargetObjectKeyFormat><PartitionedPrefix>{source}</PartitionedPrefix></TargetObjectKeyFormat>"
        ));
        let config = round_trip(&body);
        assert_eq!(config.key_format, KeyFormat::Partitioned(expected), "{source}");
        let xml = logging_status_xml(Some(&config));
        let written = format!("<PartitionedPrefix><PartitionDateSource>{}</PartitionDateSource></PartitionedPrefix>", expected.as_str());
        assert!(xml.contains(&written), "{xml}");
    }
}

#[test]
fn grants_of_each_grantee_type() {
    let body = enabled(&format!(
        "<TargetBucket>logs</TargetBucket><TargetPrefix>p/</TargetPrefix><TargetGrants>\
         <Grant>{}<Permission>READ</Permission></Grant>\
         <Grant>{}<Permission>WRITE</Permission></Grant>\
         <Grant>{}<Permission>FULL_CONTROL</Permission></Grant>\
         <Grant><Grantee><ID>untyped</ID></Grantee><Permission> READ </Permission></Grant>\
         </TargetGrants>",
        grantee("CanonicalUser", "<ID>abc</ID><DisplayName>someone</DisplayName>"),
        grantee("Group", "<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>"),
        grantee("AmazonCustomerByEmail", "<EmailAddress>a@example.com</EmailAddress>"),
    ));
    let config = round_trip(&body);
    let g = |id: Option<&str>, uri: Option<&str>, email: Option<&str>, permission: &str| TargetGrant {
        grantee_id: id.map(str::to_owned),
        grantee_uri: uri.map(str::to_owned),
        grantee_email: email.map(str::to_owned),
        permission: permission.to_owned(),
    };
    assert_eq!(
        config.target_grants,
        vec![
            g(Some("abc"), None, None, "READ"),
            g(None, Some("http://acs.amazonaws.com/groups/global/AllUsers"), None, "WRITE"),
            g(None, None, Some("a@example.com"), "FULL_CONTROL"),
            g(Some("untyped"), None, None, "READ"),
        ]
    );
    let xml = logging_status_xml(Some(&config));
    let expected = format!(
        "<TargetPrefix>p/</TargetPrefix><TargetGrants><Grant>{}<Permission>READ</Permission></Grant><Grant>{}<Permission>WRITE</Permission></Grant>",
        grantee("CanonicalUser", "<ID>abc</ID>"),
        grantee("Group", "<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>"),
    );
    assert!(xml.contains(&expected), "{xml}");
    assert!(xml.contains(&grantee("AmazonCustomerByEmail", "<EmailAddress>a@example.com</EmailAddress>")), "{xml}");
    assert!(xml.contains("</TargetGrants><TargetObjectKeyFormat>"), "{xml}");

    // As the log objects' ACL grants.
    let acl = config.acl_grants().unwrap();
    assert_eq!(acl[0], AclGrant { grantee: AclGrantee::Id("abc".into()), permission: AclPermission::Read });
    assert_eq!(acl[1], AclGrant { grantee: AclGrantee::Group(AclGroup::AllUsers), permission: AclPermission::Write });
    assert_eq!(acl[2], AclGrant { grantee: AclGrantee::Email("a@example.com".into()), permission: AclPermission::FullControl });
    // A group an ACL cannot name (S3's LogDelivery) is refused there.
    let log_delivery = grantee("Group", "<URI>http://acs.amazonaws.com/groups/s3/LogDelivery</URI>");
    let refused = parse(&grant_body(&log_delivery, "WRITE")).acl_grants().unwrap_err();
    assert_eq!(refused.code, S3ErrorCode::InvalidArgument);
}

#[test]
fn empty_status_is_logging_off() {
    let empty = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BucketLoggingStatus xmlns=\"{NS}\"/>");
    assert_eq!(logging_status_xml(None), empty);
    for body in [
        empty.as_str(),
        "<BucketLoggingStatus/>",
        "<BucketLoggingStatus></BucketLoggingStatus>",
        &format!("<BucketLoggingStatus xmlns=\"{NS}\">\n</BucketLoggingStatus>"),
    ] {
        assert_eq!(LoggingConfiguration::from_xml(body.as_bytes()).unwrap(), None, "{body}");
    }
}

#[test]
fn every_malformed_document() {
    let simple = "<TargetObjectKeyFormat><SimplePrefix/></TargetObjectKeyFormat>";
    let mut bodies: Vec<Vec<u8>> = [
        "",
        "not xml",
        "<BucketLoggingStatus>",
        "<BucketLoggingStatus><LoggingEnabled></BucketLoggingStatus>",
        "<LoggingStatus/>",
        "<LoggingEnabled><TargetBucket>logs</TargetBucket></LoggingEnabled>",
        "<BucketLoggingStatus><Unknown/></BucketLoggingStatus>",
    ]
    .iter()
    .map(|b| b.as_bytes().to_vec())
    .collect();
    bodies.push(status("<LoggingEnabled><TargetBucket>a</TargetBucket></LoggingEnabled><LoggingEnabled><TargetBucket>b</TargetBucket></LoggingEnabled>"));
    bodies.push(vec![0xff, 0xfe]);
    for inner in [
        // TargetBucket missing, empty, blank, twice; an unknown element.
        "",
        "<TargetPrefix>p/</TargetPrefix>",
        "<TargetBucket></TargetBucket>",
        "<TargetBucket/>",
        "<TargetBucket>  </TargetBucket>",
        "<TargetBucket>a</TargetBucket><TargetBucket>b</TargetBucket>",
        "<TargetBucket>a</TargetBucket><Bucket>b</Bucket>",
        // Key formats.
        "<TargetBucket>a</TargetBucket><TargetObjectKeyFormat><SimplePrefix/><PartitionedPrefix/></TargetObjectKeyFormat>",
        "<TargetBucket>a</TargetBucket><TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>Yesterday</PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat>",
        "<TargetBucket>a</TargetBucket><TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>eventtime</PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat>",
        "<TargetBucket>a</TargetBucket><TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource/></PartitionedPrefix></TargetObjectKeyFormat>",
        "<TargetBucket>a</TargetBucket><TargetObjectKeyFormat><SimplePrefix>x</SimplePrefix></TargetObjectKeyFormat>",
        "<TargetBucket>a</TargetBucket><TargetObjectKeyFormat><OtherPrefix/></TargetObjectKeyFormat>",
        "<TargetBucket>a</TargetBucket><TargetObjectKeyFormat><SimplePrefix/></TargetObjectKeyFormat><TargetObjectKeyFormat><SimplePrefix/></TargetObjectKeyFormat>",
        // A grant without a grantee or a permission.
        "<TargetBucket>a</TargetBucket><TargetGrants><Grant><Permission>READ</Permission></Grant></TargetGrants>",
        "<TargetBucket>a</TargetBucket><TargetGrants><Grant><Grantee><ID>x</ID></Grantee></Grant></TargetGrants>",
        "<TargetBucket>a</TargetBucket><TargetGrants><Grantee><ID>x</ID></Grantee></TargetGrants>",
    ] {
        bodies.push(enabled(inner));
    }
    assert!(LoggingConfiguration::from_xml(&enabled(&format!("<TargetBucket>a</TargetBucket>{simple}"))).is_ok());
    let canonical = grantee("CanonicalUser", "<ID>x</ID>");
    for permission in ["READ_ACP", "WRITE_ACP", "read", "", "FULL CONTROL"] {
        bodies.push(grant_body(&canonical, permission));
    }
    for g in [
        grantee("CanonicalUser", ""),
        grantee("CanonicalUser", "<ID> </ID>"),
        grantee("CanonicalUser", "<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>"),
        grantee("CanonicalUser", "<ID>x</ID><EmailAddress>a@example.com</EmailAddress>"),
        grantee("Group", "<ID>x</ID>"),
        grantee("AmazonCustomerByEmail", "<ID>x</ID>"),
        grantee("Robot", "<ID>x</ID>"),
        "<Grantee><ID>x</ID><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee>".to_owned(),
        "<Grantee></Grantee>".to_owned(),
        grantee("CanonicalUser", "<ID>x</ID><Name>y</Name>"),
    ] {
        bodies.push(grant_body(&g, "READ"));
    }
    for body in bodies {
        let err = LoggingConfiguration::from_xml(&body).unwrap_err();
        assert_eq!(err.code, S3ErrorCode::MalformedXML, "{}", String::from_utf8_lossy(&body));
    }
}

#[test]
fn stored_form_round_trips_and_bad_json_is_internal() {
    let config = LoggingConfiguration {
        target_bucket: "logs".into(),
        target_prefix: "a \"b\"/".into(),
        target_grants: vec![TargetGrant { grantee_id: None, grantee_uri: Some("u".into()), grantee_email: None, permission: "READ".into() }],
        key_format: KeyFormat::Partitioned(PartitionDateSource::DeliveryTime),
    };
    assert_eq!(LoggingConfiguration::from_json(&config.to_json()).unwrap(), config);
    for bad in ["", "{}", "not json", r#"{"target_bucket":"b"}"#] {
        assert_eq!(LoggingConfiguration::from_json(bad).unwrap_err().code, S3ErrorCode::InternalError, "{bad}");
    }
}

/// AWS's own example line, with the access point ARN and `aclRequired` Depot leaves out.
#[test]
fn line_matches_aws_example() {
    let record = LogRecord {
        bucket_owner: OWNER.into(),
        bucket: "awsexamplebucket1".into(),
        time_ms: ms("2019-02-06T00:00:38Z"),
        remote_ip: "192.0.2.3".into(),
        requester: Some(OWNER.into()),
        request_id: "3E57427F3EXAMPLE".into(),
        operation: rest_operation("GET", "GetBucketVersioning"),
        key: None,
        request_uri: "GET /awsexamplebucket1?versioning HTTP/1.1".into(),
        http_status: 200,
        error_code: None,
        bytes_sent: Some(113),
        object_size: None,
        total_time_ms: 7,
        turn_around_time_ms: None,
        referer: None,
        user_agent: Some("S3Console/0.4".into()),
        version_id: None,
        host_id: "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234=".into(),
        signature_version: Some("SigV4".into()),
        cipher_suite: Some("ECDHE-RSA-AES128-GCM-SHA256".into()),
        authentication_type: Some("AuthHeader".into()),
        host_header: Some("awsexamplebucket1.s3.us-west-1.amazonaws.com".into()),
        tls_version: Some("TLSv1.2".into()),
    };
    let expected = format!(
        "{OWNER} awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 {OWNER} 3E57427F3EXAMPLE REST.GET.VERSIONING - \
         \"GET /awsexamplebucket1?versioning HTTP/1.1\" 200 - 113 - 7 - \"-\" \"S3Console/0.4\" - \
         s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader \
         awsexamplebucket1.s3.us-west-1.amazonaws.com TLSv1.2 - -\n"
    );
    assert_eq!(record.to_line(), expected);
}

#[test]
fn line_of_an_anonymous_object_read_with_awkward_text() {
    let record = LogRecord {
        bucket_owner: OWNER.into(),
        bucket: "photos".into(),
        time_ms: ms("2024-12-31T23:59:59.999Z"),
        remote_ip: "2001:db8::1".into(),
        requester: None,
        request_id: "R1".into(),
        operation: rest_operation("GET", "GetObject"),
        key: Some("albums/my cat é+1.jpg".into()),
        request_uri: "GET /photos/albums/my%20cat%20%C3%A9%2B1.jpg?x=\"y\" HTTP/1.1".into(),
        http_status: 404,
        error_code: Some("NoSuchKey".into()),
        bytes_sent: Some(0),
        object_size: Some(0),
        total_time_ms: 12,
        turn_around_time_ms: Some(3),
        referer: Some("https://example.com/a b".into()),
        user_agent: Some("curl/8.0 \"quoted\" and\\slash\ttab\nnewline".into()),
        version_id: Some("3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo".into()),
        host_id: "H".into(),
        signature_version: None,
        cipher_suite: None,
        authentication_type: None,
        host_header: Some("localhost:9000".into()),
        tls_version: None,
    };
    let expected = format!(
        "{OWNER} photos [31/Dec/2024:23:59:59 +0000] 2001:db8::1 - R1 REST.GET.OBJECT albums/my%20cat%20%C3%A9%2B1.jpg \
         \"GET /photos/albums/my%20cat%20%C3%A9%2B1.jpg?x=\\\"y\\\" HTTP/1.1\" 404 NoSuchKey - 0 12 3 \"https://example.com/a b\" \
         \"curl/8.0 \\\"quoted\\\" and\\\\slash\\x09tab\\x0Anewline\" 3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo H \
         - - - localhost:9000 - - -\n"
    );
    assert_eq!(record.to_line(), expected);
    assert_eq!(record.to_line().matches('\n').count(), 1);
}

#[test]
fn line_of_an_empty_record_and_bare_fields_never_split() {
    let expected = "- - [01/Jan/1970:00:00:00 +0000] - - - - - \"-\" 0 - - - 0 - \"-\" \"-\" - - - - - - - - -\n";
    assert_eq!(LogRecord::default().to_line(), expected);
    let record = LogRecord {
        requester: Some("arn:aws:iam::1:user/a b".into()),
        error_code: Some("Bad\"Code%\n".into()),
        host_header: Some("hôte".into()),
        bytes_sent: Some(5),
        time_ms: i64::MAX,
        ..LogRecord::default()
    };
    let line = record.to_line();
    let fields: Vec<&str> = line.trim_end_matches('\n').split(' ').collect();
    // The time is two space-separated words; the quoted fields here hold no space.
    assert_eq!(fields.len(), 27, "{line}");
    assert_eq!(fields[2], "[01/Jan/1970:00:00:00", "an unrepresentable time is the epoch");
    assert_eq!(fields[5], "arn:aws:iam::1:user/a%20b");
    assert_eq!(fields[11], "Bad%22Code%25%0A");
    assert_eq!(fields[12], "5");
    assert_eq!(fields[23], "h%C3%B4te");
}

#[test]
fn operation_names() {
    let cases = [
        ("GET", "GetObject", "REST.GET.OBJECT"),
        ("PUT", "PutObject", "REST.PUT.OBJECT"),
        ("HEAD", "HeadObject", "REST.HEAD.OBJECT"),
        ("DELETE", "DeleteObject", "REST.DELETE.OBJECT"),
        ("PUT", "CopyObject", "REST.COPY.OBJECT"),
        ("GET", "ListObjectsV2", "REST.GET.BUCKET"),
        ("GET", "ListObjects", "REST.GET.BUCKET"),
        ("GET", "ListObjectVersions", "REST.GET.BUCKETVERSIONS"),
        ("POST", "CreateMultipartUpload", "REST.POST.UPLOADS"),
        ("PUT", "UploadPart", "REST.PUT.PART"),
        ("PUT", "UploadPartCopy", "REST.COPY.PART"),
        ("POST", "CompleteMultipartUpload", "REST.POST.UPLOAD"),
        ("DELETE", "AbortMultipartUpload", "REST.DELETE.UPLOAD"),
        ("GET", "ListParts", "REST.GET.UPLOAD"),
        ("GET", "ListMultipartUploads", "REST.GET.UPLOADS"),
        ("DELETE", "DeleteObjectTagging", "REST.DELETE.OBJECT_TAGGING"),
        ("PUT", "PutObjectAcl", "REST.PUT.ACL"),
        ("GET", "GetBucketAcl", "REST.GET.ACL"),
        ("DELETE", "DeleteBucketPolicy", "REST.DELETE.BUCKETPOLICY"),
        ("PUT", "PutBucketCors", "REST.PUT.CORS"),
        ("DELETE", "DeleteBucketLifecycle", "REST.DELETE.LIFECYCLE"),
        ("GET", "GetBucketLogging", "REST.GET.LOGGING_STATUS"),
        ("put", "PutBucketLogging", "REST.PUT.LOGGING_STATUS"),
        ("HEAD", "HeadBucket", "REST.HEAD.BUCKET"),
        ("PUT", "CreateBucket", "REST.PUT.BUCKET"),
        ("DELETE", "DeleteBucket", "REST.DELETE.BUCKET"),
        ("POST", "DeleteObjects", "REST.POST.MULTI_OBJECT_DELETE"),
        ("GET", "GetBucketLocation", "REST.GET.LOCATION"),
        ("PUT", "PutBucketTagging", "REST.PUT.TAGGING"),
        ("GET", "GetObjectRetention", "REST.GET.RETENTION"),
        ("PUT", "PutObjectLegalHold", "REST.PUT.LEGAL_HOLD"),
        ("GET", "GetObjectLockConfiguration", "REST.GET.OBJECT_LOCK_CONFIGURATION"),
        ("POST", "PostObject", "REST.POST.OBJECT"),
        ("GET", "ListBuckets", "REST.GET.SERVICE"),
        ("GET", "GetObjectAttributes", "REST.GET.GETOBJECTATTRIBUTES"),
        ("PUT", "PutBucketEncryption", "REST.PUT.ENCRYPTION"),
    ];
    for (method, name, expected) in cases {
        assert_eq!(rest_operation(method, name), expected, "{method} {name}");
    }
}

#[test]
fn log_object_keys() {
    let mut config = LoggingConfiguration { target_bucket: "logs".into(), target_prefix: "src/".into(), target_grants: vec![], key_format: KeyFormat::Simple };
    let event = ms("2024-02-29T23:59:58.500Z");
    let delivery = ms("2024-03-01T00:05:07.999Z");
    let key = |config: &LoggingConfiguration| log_object_key(config, "123456789012", "us-east-1", "photos", event, delivery, "0123456789ABCDEF");
    assert_eq!(key(&config), "src/2024-03-01-00-05-07-0123456789ABCDEF");
    config.key_format = KeyFormat::Partitioned(PartitionDateSource::EventTime);
    assert_eq!(key(&config), "src/123456789012/us-east-1/photos/2024/02/29/2024-03-01-00-05-07-0123456789ABCDEF");
    config.key_format = KeyFormat::Partitioned(PartitionDateSource::DeliveryTime);
    assert_eq!(key(&config), "src/123456789012/us-east-1/photos/2024/03/01/2024-03-01-00-05-07-0123456789ABCDEF");
    config.target_prefix.clear();
    config.key_format = KeyFormat::Simple;
    assert_eq!(key(&config), "2024-03-01-00-05-07-0123456789ABCDEF");
}
