//! Tests of the lifecycle configuration: every validation error with its code and message,
//! AWS's examples parsed and written back, the legacy rule-level Prefix, and the evaluation
//! rules (matching, rounding to midnight, noncurrent versions, delete markers, uploads,
//! the `x-amz-expiration` header).

use std::time::Duration;

use super::*;
use crate::error::S3ErrorCode;

const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

fn body(rules: &str) -> Vec<u8> {
    format!(r#"<LifecycleConfiguration xmlns="{NS}">{rules}</LifecycleConfiguration>"#).into_bytes()
}

fn config(rules: &str) -> LifecycleConfiguration {
    LifecycleConfiguration::from_xml(&body(rules)).unwrap()
}

fn err_of(b: &[u8]) -> (S3ErrorCode, String) {
    let e = LifecycleConfiguration::from_xml(b).unwrap_err();
    (e.code, e.message.into_owned())
}

/// Milliseconds since the epoch of an RFC 3339 time.
fn ms(t: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp_millis()
}

fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A rule with a prefix filter, enabled, and `actions`.
fn rule(id: &str, prefix: &str, actions: &str) -> String {
    format!("<Rule><ID>{id}</ID><Filter><Prefix>{prefix}</Prefix></Filter><Status>Enabled</Status>{actions}</Rule>")
}

const DAYS_30: &str = "<Expiration><Days>30</Days></Expiration>";

/// The user guide's examples, V2 and V1.
const AWS_EXAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Rule>
    <ID>Rule 1</ID>
    <Filter>
    </Filter>
    <Status>Enabled</Status>
    <Expiration>
      <Days>365</Days>
    </Expiration>
  </Rule>
  <Rule>
    <ID>example-id</ID>
    <Filter>
       <And>
          <Prefix>tax/</Prefix>
          <Tag>
             <Key>key1</Key>
             <Value>value1</Value>
          </Tag>
          <Tag>
             <Key>key2</Key>
             <Value>value2</Value>
          </Tag>
          <ObjectSizeGreaterThan>500</ObjectSizeGreaterThan>
          <ObjectSizeLessThan>64000</ObjectSizeLessThan>
        </And>
    </Filter>
    <Status>Disabled</Status>
    <Expiration>
      <Date>2027-01-01T00:00:00.000Z</Date>
    </Expiration>
    <NoncurrentVersionExpiration>
      <NoncurrentDays>30</NoncurrentDays>
      <NewerNoncurrentVersions>2</NewerNoncurrentVersions>
    </NoncurrentVersionExpiration>
  </Rule>
  <Rule>
    <ID>cleanup</ID>
    <Filter><Prefix></Prefix></Filter>
    <Status>Enabled</Status>
    <Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>
    <AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload>
  </Rule>
  <Rule>
    <Filter><Tag><Key>flag</Key></Tag></Filter>
    <Status>Enabled</Status>
    <Expiration><Days>1</Days></Expiration>
  </Rule>
  <Rule>
    <ID>big</ID>
    <Filter><ObjectSizeGreaterThan>1048576</ObjectSizeGreaterThan></Filter>
    <Status>Enabled</Status>
    <Expiration><Days>90</Days></Expiration>
  </Rule>
</LifecycleConfiguration>"#;

const AWS_V1_EXAMPLE: &str = r#"<LifecycleConfiguration>
  <Rule>
    <ID>Archive and then delete rule</ID>
    <Prefix>projectdocs/</Prefix>
    <Status>Enabled</Status>
    <Expiration><Days>3650</Days></Expiration>
  </Rule>
  <Rule>
    <ID>everything else</ID>
    <Prefix>logs/</Prefix>
    <Status>Enabled</Status>
    <Expiration><Days>10</Days></Expiration>
    <AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload>
  </Rule>
</LifecycleConfiguration>"#;

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

#[test]
fn prefix_tag_and_size_matching() {
    let c = LifecycleConfiguration::from_xml(AWS_EXAMPLE.as_bytes()).unwrap();
    let (all, and, prefix_empty, flag, big) = (&c.rules[0], &c.rules[1], &c.rules[2], &c.rules[3], &c.rules[4]);
    assert!(all.matches("", 0, &[]));
    assert!(prefix_empty.matches("x/y", 5, &[]));
    // And: prefix, every tag (extra tags do not matter), strict size bounds.
    let both = tags(&[("key1", "value1"), ("key2", "value2"), ("other", "x")]);
    assert!(and.matches("tax/2024.pdf", 501, &both));
    assert!(and.matches("tax/2024.pdf", 63_999, &both));
    assert!(!and.matches("tax/2024.pdf", 500, &both));
    assert!(!and.matches("tax/2024.pdf", 64_000, &both));
    assert!(!and.matches("Tax/2024.pdf", 1000, &both));
    assert!(!and.matches("tax/2024.pdf", 1000, &tags(&[("key1", "value1")])));
    assert!(!and.matches("tax/2024.pdf", 1000, &tags(&[("key1", "value1"), ("key2", "VALUE2")])));
    // A Tag without Value matches the tag with the empty value only.
    assert!(flag.matches("a", 1, &tags(&[("flag", "")])));
    assert!(!flag.matches("a", 1, &tags(&[("flag", "up")])));
    assert!(!flag.matches("a", 1, &tags(&[("FLAG", "")])));
    assert!(!flag.matches("a", 1, &[]));
    assert!(big.matches("a", 1_048_577, &[]));
    assert!(!big.matches("a", 1_048_576, &[]));
    let small =
        config("<Rule><Filter><ObjectSizeLessThan>100</ObjectSizeLessThan></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>");
    assert!(small.rules[0].matches("a", 99, &[]));
    assert!(!small.rules[0].matches("a", 100, &[]));
}

#[test]
fn delete_markers_match_on_prefix_alone_and_never_a_tag() {
    let c = LifecycleConfiguration::from_xml(AWS_EXAMPLE.as_bytes()).unwrap();
    assert!(c.rules[0].matches_delete_marker("k"));
    // And with tags: a marker has none.
    assert!(!c.rules[1].matches_delete_marker("tax/k"));
    assert!(c.rules[2].matches_delete_marker("k"));
    assert!(!c.rules[3].matches_delete_marker("k"));
    // Size bounds do not apply to a marker.
    assert!(c.rules[4].matches_delete_marker("k"));
    let c = config("<Rule><Filter><And><Prefix>p/</Prefix><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>");
    assert!(c.rules[0].matches_delete_marker("p/k"));
    assert!(!c.rules[0].matches_delete_marker("q/k"));
    let c = LifecycleConfiguration::from_xml(AWS_V1_EXAMPLE.as_bytes()).unwrap();
    assert!(c.rules[1].matches_delete_marker("logs/x"));
    assert!(!c.rules[1].matches_delete_marker("log"));
}

#[test]
fn days_are_rounded_up_to_the_next_midnight_utc() {
    let c = config(&rule("three", "", "<Expiration><Days>3</Days></Expiration>"));
    // The user guide: an object created 1/15/2014 10:30 AM UTC with 3 days expires 1/19/2014 00:00 UTC.
    assert_eq!(c.expiry_of_current("k", 1, &[], ms("2014-01-15T10:30:00Z"), DAY), Some((ms("2014-01-19T00:00:00Z"), "three")));
    // One millisecond past midnight still rounds up a whole day; midnight itself does not.
    assert_eq!(c.expiry_of_current("k", 1, &[], ms("2014-01-15T00:00:00.001Z"), DAY).unwrap().0, ms("2014-01-19T00:00:00Z"));
    assert_eq!(c.expiry_of_current("k", 1, &[], ms("2014-01-15T00:00:00Z"), DAY).unwrap().0, ms("2014-01-18T00:00:00Z"));
    assert_eq!(c.expiry_of_current("k", 1, &[], ms("2014-01-15T23:59:59.999Z"), DAY).unwrap().0, ms("2014-01-19T00:00:00Z"));
    // A 1-second day: 1.5 s + 3 s = 4.5 s, rounded up to 5 s.
    assert_eq!(c.expiry_of_current("k", 1, &[], 1_500, Duration::from_secs(1)).unwrap().0, 5_000);
    assert_eq!(c.expiry_of_current("k", 1, &[], 2_000, Duration::from_secs(1)).unwrap().0, 5_000);
    // Before the epoch, and at the edge of time.
    assert_eq!(c.expiry_of_current("k", 1, &[], -1_500, Duration::from_secs(1)).unwrap().0, 2_000);
    assert_eq!(c.expiry_of_current("k", 1, &[], i64::MAX - 5, DAY).unwrap().0, i64::MAX);
    let far = config(&rule("far", "", &format!("<Expiration><Days>{}</Days></Expiration>", i32::MAX)));
    assert_eq!(far.expiry_of_current("k", 1, &[], i64::MAX - 100 * 86_400_000, DAY).unwrap().0, i64::MAX);
    // A day of zero length is treated as a millisecond, not a division by zero.
    assert_eq!(c.expiry_of_current("k", 1, &[], 10, Duration::ZERO).unwrap().0, 13);
}

#[test]
fn expiry_of_current_takes_the_earliest_enabled_matching_rule() {
    let c = config(&format!(
        "{}{}{}{}{}{}",
        rule("year", "", "<Expiration><Days>365</Days></Expiration>"),
        rule("month", "logs/", DAYS_30),
        rule("dated", "old/", "<Expiration><Date>2015-01-01T00:00:00Z</Date></Expiration>"),
        rule("off", "logs/", "<Expiration><Days>1</Days></Expiration>").replace("Enabled", "Disabled"),
        rule("marker", "", "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"),
        rule("noncurrent", "", "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>"),
    ));
    let written = ms("2026-01-01T12:00:00Z");
    assert_eq!(c.expiry_of_current("logs/a", 1, &[], written, DAY), Some((ms("2026-02-01T00:00:00Z"), "month")));
    assert_eq!(c.expiry_of_current("docs/a", 1, &[], written, DAY), Some((ms("2027-01-02T00:00:00Z"), "year")));
    // A Date applies to objects written after it too: they are due at once.
    assert_eq!(c.expiry_of_current("old/a", 1, &[], written, DAY), Some((ms("2015-01-01T00:00:00Z"), "dated")));
    // Ties go to the first rule; rules without an ID give the empty string.
    let tie = config(&format!("{}{}", rule("first", "", DAYS_30), rule("second", "", DAYS_30)));
    assert_eq!(tie.expiry_of_current("a", 1, &[], written, DAY).unwrap().1, "first");
    let anonymous = config("<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>");
    assert_eq!(anonymous.expiry_of_current("a", 1, &[], written, DAY).unwrap().1, "");
    // Only marker and noncurrent rules, or only disabled ones: no expiry.
    let none = config(&format!(
        "{}{}",
        rule("marker", "", "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"),
        rule("off", "", DAYS_30).replace("Enabled", "Disabled")
    ));
    assert_eq!(none.expiry_of_current("a", 1, &[], written, DAY), None);
}

#[test]
fn expiration_header_is_in_aws_format() {
    // AWS's sample: expiry-date="Fri, 21 Dec 2012 00:00:00 GMT", rule-id="picture-deletion-rule".
    assert_eq!(
        expiration_header(ms("2012-12-21T00:00:00Z"), "picture-deletion-rule").unwrap(),
        "expiry-date=\"Fri, 21 Dec 2012 00:00:00 GMT\", rule-id=\"picture-deletion-rule\""
    );
    // The other sample's "Fri, 23 Dec 2012" names a Sunday: the weekday is computed.
    assert_eq!(expiration_header(ms("2012-12-23T00:00:00Z"), "r").unwrap(), "expiry-date=\"Sun, 23 Dec 2012 00:00:00 GMT\", rule-id=\"r\"");
    // The rule ID is URL-encoded: RFC 3986 unreserved characters kept, the rest %XX.
    for (id, sent) in
        [("Rule for testfile.txt", "Rule%20for%20testfile.txt"), ("a\"b", "a%22b"), ("naïve/50%", "na%C3%AFve%2F50%25"), ("a-b_c.d~e", "a-b_c.d~e"), ("", "")]
    {
        assert_eq!(expiration_header(0, id).unwrap(), format!("expiry-date=\"Thu, 01 Jan 1970 00:00:00 GMT\", rule-id=\"{sent}\""), "{id}");
    }
    assert_eq!(expiration_header(ms("9999-12-31T00:00:00Z"), "r").unwrap(), "expiry-date=\"Fri, 31 Dec 9999 00:00:00 GMT\", rule-id=\"r\"");
    assert_eq!(expiration_header(i64::MAX, "r"), None);
    assert_eq!(expiration_header(ms("9999-12-31T00:00:00Z") + 86_400_000, "r"), None);
    // Fed from expiry_of_current.
    let c = config(&rule("picture-deletion-rule", "", "<Expiration><Days>2</Days></Expiration>"));
    let (at, id) = c.expiry_of_current("p.jpg", 1, &[], ms("2012-12-19T08:00:00Z"), DAY).unwrap();
    assert_eq!(expiration_header(at, id).unwrap(), "expiry-date=\"Sat, 22 Dec 2012 00:00:00 GMT\", rule-id=\"picture-deletion-rule\"");
}

/// A current object version.
fn current<'a>(key: &'a str, size: u64, tags: &'a [(String, String)], last_modified_ms: i64) -> ObjectVersion<'a> {
    ObjectVersion {
        key,
        size,
        tags,
        last_modified_ms,
        is_latest: true,
        is_delete_marker: false,
        noncurrent_since_ms: 0,
        newer_noncurrent_versions: 0,
        has_noncurrent_versions: false,
    }
}

/// A noncurrent object version that became noncurrent at `since`, with `newer` noncurrent
/// versions newer than it.
fn noncurrent(key: &str, since: i64, newer: u32) -> ObjectVersion<'_> {
    ObjectVersion { is_latest: false, noncurrent_since_ms: since, newer_noncurrent_versions: newer, ..current(key, 1, &[], since - 1000) }
}

/// A current delete marker written at `at`.
fn marker(key: &str, at: i64, has_noncurrent_versions: bool) -> ObjectVersion<'_> {
    ObjectVersion { is_delete_marker: true, has_noncurrent_versions, size: 0, ..current(key, 0, &[], at) }
}

const SEC: Duration = Duration::from_secs(1);

#[test]
fn current_versions_expire_once_due() {
    let c = config(&format!("{}{}", rule("r", "logs/", "<Expiration><Days>2</Days></Expiration>"), rule("off", "", DAYS_30).replace("Enabled", "Disabled")));
    // Written at 1.5 s with a 1-second day: due at 4 s.
    let v = current("logs/a", 10, &[], 1_500);
    assert_eq!(c.action_for_version(&v, 3_999, SEC), None);
    assert_eq!(c.action_for_version(&v, 4_000, SEC), Some((Action::ExpireCurrent, "r")));
    assert_eq!(c.action_for_version(&current("docs/a", 10, &[], 1_500), 1_000_000, SEC), None);
    // A tag-filtered rule acts only on tagged objects.
    let c = config(
        "<Rule><ID>t</ID><Filter><Tag><Key>tmp</Key><Value>yes</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>",
    );
    let tagged = tags(&[("tmp", "yes")]);
    assert_eq!(c.action_for_version(&current("a", 1, &tagged, 0), 1_000, SEC), Some((Action::ExpireCurrent, "t")));
    assert_eq!(c.action_for_version(&current("a", 1, &[], 0), 1_000, SEC), None);
    // An expiration rule does not touch noncurrent versions.
    assert_eq!(c.action_for_version(&noncurrent("a", 0, 0), 1_000_000, SEC), None);
}

#[test]
fn noncurrent_days_count_from_when_the_version_became_noncurrent() {
    let c = config(&rule("nc", "", "<NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays></NoncurrentVersionExpiration>"));
    // The user guide: noncurrent since 1/15/2014 10:30 AM UTC, 3 days: due 1/19/2014 00:00 UTC.
    let v = noncurrent("k", ms("2014-01-15T10:30:00Z"), 0);
    assert_eq!(c.action_for_version(&v, ms("2014-01-18T23:59:59.999Z"), DAY), None);
    assert_eq!(c.action_for_version(&v, ms("2014-01-19T00:00:00Z"), DAY), Some((Action::DeleteNoncurrent, "nc")));
    // A noncurrent delete marker goes the same way.
    let m = ObjectVersion { is_delete_marker: true, ..noncurrent("k", ms("2014-01-15T10:30:00Z"), 5) };
    assert_eq!(c.action_for_version(&m, ms("2014-01-19T00:00:00Z"), DAY), Some((Action::DeleteNoncurrent, "nc")));
    // The current version is not noncurrent.
    assert_eq!(c.action_for_version(&current("k", 1, &[], 0), ms("2030-01-01T00:00:00Z"), DAY), None);
}

#[test]
fn newer_noncurrent_versions_keeps_the_newest() {
    let c = config(&rule(
        "keep2",
        "",
        "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>",
    ));
    // All noncurrent for ten days; the two newest are kept whatever their age.
    let due: Vec<u32> = (0..6).filter(|&newer| c.action_for_version(&noncurrent("k", 0, newer), 10_000, SEC).is_some()).collect();
    assert_eq!(due, [2, 3, 4, 5]);
    // Past the count but not yet past the days: kept.
    assert_eq!(c.action_for_version(&noncurrent("k", 0, 5), 999, SEC), None);
    assert_eq!(c.action_for_version(&noncurrent("k", 0, 5), 1_000, SEC), Some((Action::DeleteNoncurrent, "keep2")));
    // Without NewerNoncurrentVersions, even the newest goes.
    let c = config(&rule("all", "", "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>"));
    assert_eq!(c.action_for_version(&noncurrent("k", 0, 0), 1_000, SEC), Some((Action::DeleteNoncurrent, "all")));
}

#[test]
fn expired_object_delete_markers() {
    let c = config(&format!(
        "{}{}{}",
        rule("eodm", "m/", "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"),
        rule("days", "d/", "<Expiration><Days>5</Days></Expiration>"),
        rule("kept", "k/", "<Expiration><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration>"),
    ));
    // The only version left: removed at once.
    assert_eq!(c.action_for_version(&marker("m/a", 7_300, false), 7_300, SEC), Some((Action::DeleteExpiredDeleteMarker, "eodm")));
    // Noncurrent versions remain beneath it: kept.
    assert_eq!(c.action_for_version(&marker("m/a", 7_300, true), 1_000_000, SEC), None);
    // Under Days, once the marker is that old (rounded up): 7.3 s + 5 s → 13 s.
    assert_eq!(c.action_for_version(&marker("d/a", 7_300, false), 12_999, SEC), None);
    assert_eq!(c.action_for_version(&marker("d/a", 7_300, false), 13_000, SEC), Some((Action::DeleteExpiredDeleteMarker, "days")));
    // ExpiredObjectDeleteMarker false takes no action; other prefixes are not touched.
    assert_eq!(c.action_for_version(&marker("k/a", 0, false), 1_000_000, SEC), None);
    assert_eq!(c.action_for_version(&marker("x/a", 0, false), 1_000_000, SEC), None);
    // A rule with a tag never reaches a marker; a size-filtered Days rule does.
    let c = config(&format!(
        "{}{}",
        "<Rule><ID>t</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>",
        "<Rule><ID>s</ID><Filter><ObjectSizeGreaterThan>100</ObjectSizeGreaterThan></Filter><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>",
    ));
    assert_eq!(c.action_for_version(&marker("a", 0, false), 1_999, SEC), None);
    assert_eq!(c.action_for_version(&marker("a", 0, false), 2_000, SEC), Some((Action::DeleteExpiredDeleteMarker, "s")));
    // A Date rule does not remove markers.
    let c = config(&rule("dated", "", "<Expiration><Date>2015-01-01T00:00:00Z</Date></Expiration>"));
    assert_eq!(c.action_for_version(&marker("a", 0, false), i64::MAX, DAY), None);
}

#[test]
fn disabled_rules_never_act() {
    let c = config(
        &format!(
            "{}{}{}",
            rule("a", "", DAYS_30),
            rule("b", "", "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"),
            rule("c", "", "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>"),
        )
        .replace("Enabled", "Disabled"),
    );
    let later = i64::MAX;
    assert_eq!(c.expiry_of_current("k", 1, &[], 0, SEC), None);
    assert_eq!(c.action_for_version(&current("k", 1, &[], 0), later, SEC), None);
    assert_eq!(c.action_for_version(&noncurrent("k", 0, 10), later, SEC), None);
    assert_eq!(c.action_for_version(&marker("k", 0, false), later, SEC), None);
    assert_eq!(c.abort_deadline("k", 0, SEC), None);
    assert_eq!(c.abort_upload_due("k", 0, later, SEC), None);
}

#[test]
fn incomplete_uploads_are_aborted_by_prefix() {
    let abort = |days: u32| format!("<AbortIncompleteMultipartUpload><DaysAfterInitiation>{days}</DaysAfterInitiation></AbortIncompleteMultipartUpload>");
    let c = config(&format!("{}{}{}", rule("slow", "", &abort(7)), rule("fast", "tmp/", &abort(2)), rule("off", "", &abort(1)).replace("Enabled", "Disabled")));
    let started = ms("2026-09-29T10:15:00Z");
    assert_eq!(c.abort_deadline("tmp/a", started, DAY), Some((ms("2026-10-02T00:00:00Z"), "fast")));
    assert_eq!(c.abort_deadline("docs/a", started, DAY), Some((ms("2026-10-07T00:00:00Z"), "slow")));
    assert_eq!(c.abort_upload_due("tmp/a", started, ms("2026-10-01T23:59:59Z"), DAY), None);
    assert_eq!(c.abort_upload_due("tmp/a", started, ms("2026-10-02T00:00:00Z"), DAY), Some("fast"));
    // With a 1-second day: 0.5 s + 2 s → 3 s.
    assert_eq!(c.abort_upload_due("tmp/a", 500, 2_999, SEC), None);
    assert_eq!(c.abort_upload_due("tmp/a", 500, 3_000, SEC), Some("fast"));
    // Rules without the action do not abort.
    let c = config(&rule("exp", "", DAYS_30));
    assert_eq!(c.abort_upload_due("a", 0, i64::MAX, SEC), None);
    // The legacy form.
    let c = LifecycleConfiguration::from_xml(AWS_V1_EXAMPLE.as_bytes()).unwrap();
    assert_eq!(c.abort_upload_due("logs/x", 0, 2_000, SEC), Some("everything else"));
    assert_eq!(c.abort_upload_due("projectdocs/x", 0, i64::MAX, SEC), None);
}
