//! The configuration documents: parsing, validation with S3's codes and messages, and
//! the documents written back.

use super::*;

#[test]
fn aws_example_parses_into_the_typed_rules() {
    let c = LifecycleConfiguration::from_xml(AWS_EXAMPLE.as_bytes()).unwrap();
    assert_eq!(c.rules.len(), 5);
    assert_eq!(c.rules[0].id.as_deref(), Some("Rule 1"));
    assert_eq!(c.rules[0].filter, RuleFilter::Filter(Filter::All));
    assert_eq!(c.rules[0].expiration, Some(Expiration::Days(365)));
    let r = &c.rules[1];
    assert_eq!(r.status, Status::Disabled);
    assert_eq!(
        r.filter,
        RuleFilter::Filter(Filter::And(AndOperator {
            prefix: Some("tax/".into()),
            tags: vec![FilterTag { key: "key1".into(), value: "value1".into() }, FilterTag { key: "key2".into(), value: "value2".into() }],
            object_size_greater_than: Some(500),
            object_size_less_than: Some(64000),
        }))
    );
    assert_eq!(r.expiration, Some(Expiration::Date(ms("2027-01-01T00:00:00Z"))));
    assert_eq!(r.noncurrent_version_expiration, Some(NoncurrentVersionExpiration { noncurrent_days: 30, newer_noncurrent_versions: Some(2) }));
    let r = &c.rules[2];
    assert_eq!(r.filter, RuleFilter::Filter(Filter::Prefix(String::new())));
    assert_eq!(r.expiration, Some(Expiration::ExpiredObjectDeleteMarker(true)));
    assert_eq!(r.abort_incomplete_multipart_upload_days, Some(7));
    // No ID, and a Tag without Value: the empty value.
    let r = &c.rules[3];
    assert_eq!(r.id, None);
    assert_eq!(r.id_str(), "");
    assert_eq!(r.filter, RuleFilter::Filter(Filter::Tag(FilterTag { key: "flag".into(), value: String::new() })));
    assert_eq!(c.rules[4].filter, RuleFilter::Filter(Filter::ObjectSizeGreaterThan(1_048_576)));
}

#[test]
fn round_trip_parse_serialise_parse() {
    for doc in [AWS_EXAMPLE, AWS_V1_EXAMPLE] {
        let c = LifecycleConfiguration::from_xml(doc.as_bytes()).unwrap();
        let xml = c.to_xml();
        assert_eq!(LifecycleConfiguration::from_xml(xml.as_bytes()).unwrap(), c, "{xml}");
        assert_eq!(LifecycleConfiguration::from_json(&c.to_json()).unwrap(), c);
    }
    assert_eq!(LifecycleConfiguration::from_json("{nope").unwrap_err().code, S3ErrorCode::InternalError);
}

#[test]
fn get_document_is_written_in_aws_shape() {
    let c = LifecycleConfiguration::from_xml(AWS_EXAMPLE.as_bytes()).unwrap();
    assert_eq!(
        c.to_xml(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
         <Rule><ID>Rule 1</ID><Filter></Filter><Status>Enabled</Status><Expiration><Days>365</Days></Expiration></Rule>\
         <Rule><ID>example-id</ID><Filter><And><Prefix>tax/</Prefix><Tag><Key>key1</Key><Value>value1</Value></Tag>\
         <Tag><Key>key2</Key><Value>value2</Value></Tag><ObjectSizeGreaterThan>500</ObjectSizeGreaterThan>\
         <ObjectSizeLessThan>64000</ObjectSizeLessThan></And></Filter><Status>Disabled</Status>\
         <Expiration><Date>2027-01-01T00:00:00.000Z</Date></Expiration>\
         <NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>\
         <Rule><ID>cleanup</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status>\
         <Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>\
         <AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>\
         <Rule><Filter><Tag><Key>flag</Key><Value></Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>\
         <Rule><ID>big</ID><Filter><ObjectSizeGreaterThan>1048576</ObjectSizeGreaterThan></Filter><Status>Enabled</Status>\
         <Expiration><Days>90</Days></Expiration></Rule></LifecycleConfiguration>"
    );
    // Values are escaped.
    let c = config(&rule("a&amp;b", "&lt;x&gt;", DAYS_30));
    assert_eq!(c.rules[0].id.as_deref(), Some("a&b"));
    assert!(c.to_xml().contains("<ID>a&amp;b</ID><Filter><Prefix>&lt;x&gt;</Prefix></Filter>"));
    assert_eq!(LifecycleConfiguration::from_xml(c.to_xml().as_bytes()).unwrap(), c);
}

#[test]
fn legacy_rule_level_prefix_is_accepted_and_given_back() {
    let c = LifecycleConfiguration::from_xml(AWS_V1_EXAMPLE.as_bytes()).unwrap();
    assert_eq!(c.rules[0].filter, RuleFilter::LegacyPrefix("projectdocs/".into()));
    assert!(c.rules[0].matches("projectdocs/a.txt", 1, &[]));
    assert!(!c.rules[0].matches("logs/a", 1, &[]));
    let xml = c.to_xml();
    assert!(xml.contains("<Rule><ID>Archive and then delete rule</ID><Prefix>projectdocs/</Prefix><Status>Enabled</Status>"), "{xml}");
    assert!(!xml.contains("<Filter>"));
    // The empty legacy prefix applies to every key.
    let c = config("<Rule><Prefix></Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>");
    assert_eq!(c.rules[0].filter, RuleFilter::LegacyPrefix(String::new()));
    assert!(c.rules[0].matches("anything", 0, &[]));
    assert!(c.to_xml().contains("<Rule><Prefix></Prefix><Status>"));
}

#[test]
fn malformed_documents() {
    let malformed: &[(&str, Vec<u8>)] = &[
        ("empty body", Vec::new()),
        ("not XML", b"<LifecycleConfiguration><Rule>".to_vec()),
        ("another root", b"<CORSConfiguration><Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></CORSConfiguration>".to_vec()),
        ("no rule", b"<LifecycleConfiguration/>".to_vec()),
        ("no rule, namespaced", body("")),
        ("unknown root child", body(&format!("{}<Foo/>", rule("a", "", DAYS_30)))),
        ("unknown rule child", body(&rule("a", "", "<Expiration><Days>1</Days></Expiration><Bogus>1</Bogus>"))),
        ("unknown filter child", body("<Rule><Filter><Suffix>x</Suffix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>")),
        ("unknown expiration child", body(&rule("a", "", "<Expiration><Days>1</Days><Hours>1</Hours></Expiration>"))),
        ("ExpiredObjectAllVersions is MinIO's", body(&rule("a", "", "<Expiration><Days>1</Days><ExpiredObjectAllVersions>true</ExpiredObjectAllVersions></Expiration>"))),
        ("no Status", body("<Rule><Filter/><Expiration><Days>1</Days></Expiration></Rule>")),
        ("lowercase Status", body("<Rule><Filter/><Status>enabled</Status><Expiration><Days>1</Days></Expiration></Rule>")),
        ("Filter and rule-level Prefix", body("<Rule><Prefix>a</Prefix><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>")),
        ("neither Filter nor Prefix", body("<Rule><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>")),
        ("two predicates", body("<Rule><Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>")),
        ("two sizes outside And", body("<Rule><Filter><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan><ObjectSizeLessThan>9</ObjectSizeLessThan></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>")),
        ("empty And", body("<Rule><Filter><And></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>")),
        ("Tag without Key", body("<Rule><Filter><Tag><Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>")),
        ("two Prefix in Filter", body("<Rule><Filter><Prefix>a</Prefix><Prefix>b</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>")),
        ("negative size", body("<Rule><Filter><ObjectSizeGreaterThan>-1</ObjectSizeGreaterThan></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>")),
        ("empty Expiration", body(&rule("a", "", "<Expiration></Expiration>"))),
        ("Days and Date", body(&rule("a", "", "<Expiration><Days>1</Days><Date>2027-01-01T00:00:00Z</Date></Expiration>"))),
        ("Days and ExpiredObjectDeleteMarker", body(&rule("a", "", "<Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"))),
        ("Date and ExpiredObjectDeleteMarker", body(&rule("a", "", "<Expiration><Date>2027-01-01T00:00:00Z</Date><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"))),
        ("two Expiration", body(&rule("a", "", "<Expiration><Days>1</Days></Expiration><Expiration><Days>2</Days></Expiration>"))),
        ("Days not a number", body(&rule("a", "", "<Expiration><Days>ten</Days></Expiration>"))),
        ("Days past an Integer", body(&rule("a", "", "<Expiration><Days>2147483648</Days></Expiration>"))),
        ("Date not ISO 8601", body(&rule("a", "", "<Expiration><Date>tomorrow</Date></Expiration>"))),
        ("Date past year 9999", body(&rule("a", "", "<Expiration><Date>+10000-01-01T00:00:00Z</Date></Expiration>"))),
        ("ExpiredObjectDeleteMarker not a boolean", body(&rule("a", "", "<Expiration><ExpiredObjectDeleteMarker>yes</ExpiredObjectDeleteMarker></Expiration>"))),
        ("NoncurrentVersionExpiration without NoncurrentDays", body(&rule("a", "", "<NoncurrentVersionExpiration><NewerNoncurrentVersions>3</NewerNoncurrentVersions></NoncurrentVersionExpiration>"))),
        ("Abort without DaysAfterInitiation", body(&rule("a", "", "<AbortIncompleteMultipartUpload/>"))),
        ("Transition without StorageClass", body(&rule("a", "", "<Transition><Days>30</Days></Transition>"))),
        ("Transition to STANDARD", body(&rule("a", "", "<Transition><Days>30</Days><StorageClass>STANDARD</StorageClass></Transition>"))),
        ("Transition to an unknown class", body(&rule("a", "", "<Transition><Days>30</Days><StorageClass>COLD</StorageClass></Transition>"))),
        ("NoncurrentVersionTransition to an unknown class", body(&rule("a", "", "<NoncurrentVersionTransition><NoncurrentDays>30</NoncurrentDays><StorageClass>glacier</StorageClass></NoncurrentVersionTransition>"))),
        ("a DTD", br#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><LifecycleConfiguration/>"#.to_vec()),
    ];
    for (name, b) in malformed {
        let (code, message) = err_of(b);
        assert_eq!(code, S3ErrorCode::MalformedXML, "{name}: {message}");
        assert!(message.starts_with(S3ErrorCode::MalformedXML.default_message()) || message.contains("document type"), "{name}: {message}");
    }
}

#[test]
fn validation_errors_carry_aws_codes_and_messages() {
    use S3ErrorCode::{InvalidArgument, InvalidRequest, InvalidStorageClass, InvalidTag};
    let filtered = |filter: &str, actions: &str| format!("<Rule><ID>r</ID><Filter>{filter}</Filter><Status>Enabled</Status>{actions}</Rule>");
    let tag = "<Tag><Key>k</Key><Value>v</Value></Tag>";
    let and_tags = "<And><Prefix>p/</Prefix><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>2</Value></Tag></And>";
    let size = "<ObjectSizeGreaterThan>10</ObjectSizeGreaterThan>";
    let and_size = "<And><Prefix>p/</Prefix><ObjectSizeLessThan>10</ObjectSizeLessThan></And>";
    let marker = "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>";
    let abort = "<AbortIncompleteMultipartUpload><DaysAfterInitiation>3</DaysAfterInitiation></AbortIncompleteMultipartUpload>";
    let v1 = |id: &str, prefix: &str, actions: &str| format!("<Rule><ID>{id}</ID><Prefix>{prefix}</Prefix><Status>Enabled</Status>{actions}</Rule>");
    let too_many = rule("x", "", DAYS_30).replace("<ID>x</ID>", "").repeat(MAX_RULES + 1);
    let days_msg = "'Days' for Expiration action must be a positive integer";
    let noncurrent_msg = "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer";
    let newer_msg = "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be an integer between 1 and 100";
    let abort_msg = "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer";
    let size_msg = "'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'.";
    let table: Vec<(&str, String, S3ErrorCode, &str)> = vec![
        ("more than 1000 rules", too_many, InvalidRequest, "The number of lifecycle rules must not exceed the allowed limit of 1000 rules"),
        ("ID over 255 characters", rule(&"i".repeat(256), "", DAYS_30), InvalidArgument, "ID length should not exceed allowed limit of 255"),
        ("duplicate ID", format!("{}{}", rule("same", "a/", DAYS_30), rule("same", "b/", DAYS_30)), InvalidArgument, "Rule ID must be unique. Found same ID for more than one rule"),
        ("no action", rule("r", "", ""), InvalidRequest, "At least one action needs to be specified in a rule"),
        ("Days 0", rule("r", "", "<Expiration><Days>0</Days></Expiration>"), InvalidArgument, days_msg),
        ("Days -1", rule("r", "", "<Expiration><Days>-1</Days></Expiration>"), InvalidArgument, days_msg),
        ("Date at noon", rule("r", "", "<Expiration><Date>2027-01-01T12:00:00Z</Date></Expiration>"), InvalidArgument, "'Date' must be at midnight GMT"),
        ("Date at a local midnight", rule("r", "", "<Expiration><Date>2027-01-01T00:00:00+01:00</Date></Expiration>"), InvalidArgument, "'Date' must be at midnight GMT"),
        ("Date a millisecond past", rule("r", "", "<Expiration><Date>2027-01-01T00:00:00.001Z</Date></Expiration>"), InvalidArgument, "'Date' must be at midnight GMT"),
        ("NoncurrentDays 0", rule("r", "", "<NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays></NoncurrentVersionExpiration>"), InvalidArgument, noncurrent_msg),
        ("NewerNoncurrentVersions 0", rule("r", "", "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>0</NewerNoncurrentVersions></NoncurrentVersionExpiration>"), InvalidArgument, newer_msg),
        ("NewerNoncurrentVersions 101", rule("r", "", "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>101</NewerNoncurrentVersions></NoncurrentVersionExpiration>"), InvalidArgument, newer_msg),
        ("DaysAfterInitiation 0", rule("r", "", "<AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation></AbortIncompleteMultipartUpload>"), InvalidArgument, abort_msg),
        ("ExpiredObjectDeleteMarker with a Tag", filtered(tag, marker), InvalidRequest, "ExpiredObjectDeleteMarker cannot be specified with Tags."),
        ("ExpiredObjectDeleteMarker false with a Tag", filtered(tag, "<Expiration><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration>"), InvalidRequest, "ExpiredObjectDeleteMarker cannot be specified with Tags."),
        ("ExpiredObjectDeleteMarker with And tags", filtered(and_tags, marker), InvalidRequest, "ExpiredObjectDeleteMarker cannot be specified with Tags."),
        ("ExpiredObjectDeleteMarker with a size", filtered(size, marker), InvalidRequest, "ExpiredObjectDeleteMarker cannot be specified with Object Size."),
        ("Abort with a Tag", filtered(tag, abort), InvalidRequest, "AbortIncompleteMultipartUpload cannot be specified with Tags."),
        ("Abort with And tags", filtered(and_tags, abort), InvalidRequest, "AbortIncompleteMultipartUpload cannot be specified with Tags."),
        ("Abort with a size", filtered(size, abort), InvalidRequest, "AbortIncompleteMultipartUpload cannot be specified with Object Size."),
        ("Abort with And size", filtered(and_size, abort), InvalidRequest, "AbortIncompleteMultipartUpload cannot be specified with Object Size."),
        ("duplicate tag keys", filtered("<And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag></And>", DAYS_30), InvalidRequest, "Duplicate Tag Keys are not allowed."),
        ("empty tag key", filtered("<Tag><Key></Key><Value>v</Value></Tag>", DAYS_30), InvalidTag, "The TagKey you have provided is invalid: it must be 1 to 128 characters"),
        ("long tag key", filtered(&format!("<Tag><Key>{}</Key></Tag>", "k".repeat(129)), DAYS_30), InvalidTag, "The TagKey you have provided is invalid: it must be 1 to 128 characters"),
        ("long tag value", filtered(&format!("<Tag><Key>k</Key><Value>{}</Value></Tag>", "v".repeat(257)), DAYS_30), InvalidTag, "The TagValue you have provided is invalid: it must be at most 256 characters"),
        ("sizes equal", filtered("<And><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>10</ObjectSizeLessThan></And>", DAYS_30), InvalidRequest, size_msg),
        ("sizes reversed", filtered("<And><ObjectSizeGreaterThan>11</ObjectSizeGreaterThan><ObjectSizeLessThan>10</ObjectSizeLessThan></And>", DAYS_30), InvalidRequest, size_msg),
        ("Filter after a V1 rule", format!("{}{}", v1("a", "a/", DAYS_30), rule("b", "b/", DAYS_30)), InvalidRequest, "Filter element can only be used in Lifecycle V2."),
        ("Prefix after a V2 rule", format!("{}{}", rule("b", "b/", DAYS_30), v1("a", "a/", DAYS_30)), InvalidRequest, "Base level prefix cannot be used in Lifecycle V2, prefixes are only supported in the Filter."),
        ("NewerNoncurrentVersions in V1", v1("a", "a/", "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>"), InvalidRequest, "NewerNoncurrentVersions element can only be used in Lifecycle V2."),
        ("overlapping V1 prefixes", format!("{}{}", v1("all", "", DAYS_30), v1("logs", "logs", DAYS_30)), InvalidRequest, "Found overlapping prefixes 'logs' and '' for same action type 'Expiration'"),
        ("overlapping V1 aborts", format!("{}{}", v1("a", "dir/", abort), v1("b", "di", abort)), InvalidRequest, "Found overlapping prefixes 'di' and 'dir/' for same action type 'AbortIncompleteMultipartUpload'"),
        ("a Transition", rule("r", "", "<Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>"), InvalidStorageClass, "Depot stores every object in STANDARD; transitions are not supported (Transition to GLACIER)"),
        ("a dated Transition beside an Expiration", rule("r", "", "<Transition><Date>2027-01-01T00:00:00Z</Date><StorageClass>DEEP_ARCHIVE</StorageClass></Transition><Expiration><Days>400</Days></Expiration>"), InvalidStorageClass, "Depot stores every object in STANDARD; transitions are not supported (Transition to DEEP_ARCHIVE)"),
        ("a NoncurrentVersionTransition", rule("r", "", "<NoncurrentVersionTransition><NoncurrentDays>30</NoncurrentDays><StorageClass>STANDARD_IA</StorageClass></NoncurrentVersionTransition>"), InvalidStorageClass, "Depot stores every object in STANDARD; transitions are not supported (NoncurrentVersionTransition to STANDARD_IA)"),
    ];
    for (name, rules, code, message) in table {
        assert_eq!(err_of(&body(&rules)), (code, message.to_owned()), "{name}");
        assert_eq!(code.status(), http::StatusCode::BAD_REQUEST);
    }
}

#[test]
fn the_first_fault_is_the_answer() {
    // A transition is refused only once the rest is found valid.
    let both = rule("r", "", "<Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition><Expiration><Days>0</Days></Expiration>");
    assert_eq!(err_of(&body(&both)).0, S3ErrorCode::InvalidArgument);
    // IDs are checked before the rules themselves.
    let twice = format!("{}{}", rule("same", "", ""), rule("same", "", ""));
    assert_eq!(err_of(&body(&twice)).0, S3ErrorCode::InvalidArgument);
}

#[test]
fn limits_edges_are_accepted() {
    let exactly_max = rule("x", "", DAYS_30).replace("<ID>x</ID>", "").repeat(MAX_RULES);
    assert_eq!(config(&exactly_max).rules.len(), MAX_RULES);
    // 255 characters, not bytes.
    let id = "é".repeat(255);
    assert_eq!(config(&rule(&id, "", DAYS_30)).rules[0].id.as_deref(), Some(id.as_str()));
    // Empty IDs are no IDs, and are not duplicates of each other.
    let c = config(&format!("{}{}", rule("", "a/", DAYS_30), rule("", "b/", DAYS_30)));
    assert_eq!(c.rules[0].id, None);
    assert!(c.to_xml().contains("<Rule><Filter><Prefix>a/</Prefix>"));
    let c = config(&rule(
        "r",
        "",
        "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>100</NewerNoncurrentVersions></NoncurrentVersionExpiration>",
    ));
    assert_eq!(c.rules[0].noncurrent_version_expiration.unwrap().newer_noncurrent_versions, Some(100));
    // Date forms: Z, milliseconds, a zero offset, a bare date.
    for date in ["2027-01-01T00:00:00Z", "2027-01-01T00:00:00.000Z", "2027-01-01T00:00:00+00:00", "2027-01-01", " 2027-01-01T00:00:00Z "] {
        let c = config(&rule("r", "", &format!("<Expiration><Date>{date}</Date></Expiration>")));
        assert_eq!(c.rules[0].expiration, Some(Expiration::Date(ms("2027-01-01T00:00:00Z"))), "{date}");
    }
    // A local time that is midnight UTC.
    let c = config(&rule("r", "", "<Expiration><Date>2027-01-01T01:00:00+01:00</Date></Expiration>"));
    assert_eq!(c.rules[0].expiration, Some(Expiration::Date(ms("2027-01-01T00:00:00Z"))));
    // ExpiredObjectDeleteMarker alone, with a prefix; Abort with a prefix in And.
    config(&rule("r", "logs/", "<Expiration><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration>"));
    config("<Rule><Filter><And><Prefix>p/</Prefix></And></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>");
    // V1 rules whose prefixes overlap but take different actions; V2 rules may overlap.
    config(
        "<Rule><Prefix></Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>\
         <Rule><Prefix>logs/</Prefix><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>",
    );
    config(&format!("{}{}", rule("all", "", DAYS_30), rule("logs", "logs/", DAYS_30)));
    // Whitespace and comments between elements, no namespace.
    config("<Rule>\n  <!-- c -->\n  <Filter>\n  </Filter>\n  <Status>Enabled</Status>\n  <Expiration><Days> 3 </Days></Expiration>\n</Rule>");
    LifecycleConfiguration::from_xml(
        b"<LifecycleConfiguration><Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>",
    )
    .unwrap();
}
