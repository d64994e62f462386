//! Tests of Object Lock's protocol half: every validation error of the three documents and
//! of the request headers with its code and message, each document written and read back,
//! the namespace accepted, the response headers, the retain-until of a default retention,
//! and the truth tables of `may_delete` and `may_replace_retention`.

use http::{HeaderMap, HeaderValue};

use super::*;

const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
const DAY: i64 = 86_400_000;

/// Milliseconds since the epoch of an RFC 3339 time.
fn ms(t: &str) -> i64 {
    DateTime::parse_from_rfc3339(t).unwrap().timestamp_millis()
}

/// The code and message; a schema fault's message (S3's, then serde's detail) cut to S3's.
fn code_message(e: S3Error) -> (S3ErrorCode, String) {
    let schema = S3ErrorCode::MalformedXML.default_message();
    match e.code {
        S3ErrorCode::MalformedXML if e.message.starts_with(schema) => (e.code, schema.to_owned()),
        _ => (e.code, e.message.into_owned()),
    }
}

fn config_body(inner: &str) -> Vec<u8> {
    format!(r#"<ObjectLockConfiguration xmlns="{NS}">{inner}</ObjectLockConfiguration>"#).into_bytes()
}

fn config_err(inner: &str) -> (S3ErrorCode, String) {
    code_message(ObjectLockConfiguration::from_xml(&config_body(inner)).unwrap_err())
}

/// `<ObjectLockEnabled>Enabled</ObjectLockEnabled>` and a rule with this default retention.
fn with_rule(retention: &str) -> String {
    format!("<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>{retention}</DefaultRetention></Rule>")
}

fn malformed_xml() -> (S3ErrorCode, String) {
    (S3ErrorCode::MalformedXML, S3ErrorCode::MalformedXML.default_message().to_owned())
}

fn invalid(message: &str) -> (S3ErrorCode, String) {
    (S3ErrorCode::InvalidArgument, message.to_owned())
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (name, value) in pairs {
        h.insert(*name, HeaderValue::from_str(value).unwrap());
    }
    h
}

fn gov(until: i64) -> Retention {
    Retention { mode: RetentionMode::Governance, retain_until_ms: until }
}

fn comp(until: i64) -> Retention {
    Retention { mode: RetentionMode::Compliance, retain_until_ms: until }
}

#[test]
fn modes_are_exact_uppercase() {
    for mode in [RetentionMode::Governance, RetentionMode::Compliance] {
        assert_eq!(RetentionMode::parse(mode.as_str()), Some(mode));
    }
    assert_eq!(RetentionMode::Governance.as_str(), "GOVERNANCE");
    assert_eq!(RetentionMode::Compliance.as_str(), "COMPLIANCE");
    for bad in ["governance", "Compliance", " GOVERNANCE", "", "LEGAL"] {
        assert_eq!(RetentionMode::parse(bad), None, "{bad}");
    }
}

#[test]
fn retain_until_counts_days_and_365_day_years() {
    let written = ms("2024-02-28T12:34:56.789Z");
    let days = DefaultRetention { mode: RetentionMode::Governance, period: RetentionPeriod::Days(1) };
    assert_eq!(days.retain_until(written), ms("2024-02-29T12:34:56.789Z"));
    let days = DefaultRetention { mode: RetentionMode::Governance, period: RetentionPeriod::Days(30) };
    assert_eq!(days.retain_until(written), written + 30 * DAY);
    // 2024 is a leap year: 365 days from 2024-02-28 is 2025-02-27, not 2025-02-28.
    let year = DefaultRetention { mode: RetentionMode::Compliance, period: RetentionPeriod::Years(1) };
    assert_eq!(year.retain_until(written), ms("2025-02-27T12:34:56.789Z"));
    let years = DefaultRetention { mode: RetentionMode::Compliance, period: RetentionPeriod::Years(100) };
    assert_eq!(years.retain_until(0), 36_500 * DAY);
    assert_eq!(years.retention(5), comp(5 + 36_500 * DAY));
    // Out-of-range periods (never parsed, but constructible) saturate.
    let huge = DefaultRetention { mode: RetentionMode::Compliance, period: RetentionPeriod::Years(u32::MAX) };
    assert_eq!(huge.retain_until(1), i64::MAX);
}

#[test]
fn configuration_documents_parse() {
    // AWS's example, pretty-printed, with the namespace.
    let aws = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ObjectLockConfiguration xmlns=\"{NS}\">\n  <ObjectLockEnabled>Enabled</ObjectLockEnabled>\n  <Rule>\n    <DefaultRetention>\n      <Mode>GOVERNANCE</Mode>\n      <Days>1</Days>\n    </DefaultRetention>\n  </Rule>\n</ObjectLockConfiguration>"
    );
    let c = ObjectLockConfiguration::from_xml(aws.as_bytes()).unwrap();
    let expected = DefaultRetention { mode: RetentionMode::Governance, period: RetentionPeriod::Days(1) };
    assert_eq!(c.default_retention, Some(expected));
    // No namespace; years; compliance.
    let c = ObjectLockConfiguration::from_xml(
        b"<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Years> 3 </Years></DefaultRetention></Rule></ObjectLockConfiguration>",
    )
    .unwrap();
    assert_eq!(c.default_retention, Some(DefaultRetention { mode: RetentionMode::Compliance, period: RetentionPeriod::Years(3) }));
    // No rule: Object Lock enabled without a default.
    let c = ObjectLockConfiguration::from_xml(&config_body("<ObjectLockEnabled>Enabled</ObjectLockEnabled>")).unwrap();
    assert_eq!(c.default_retention, None);
    // The limits themselves are accepted.
    for (retention, period) in [("<Days>36500</Days>", RetentionPeriod::Days(36_500)), ("<Years>100</Years>", RetentionPeriod::Years(100))] {
        let c = ObjectLockConfiguration::from_xml(&config_body(&with_rule(&format!("<Mode>GOVERNANCE</Mode>{retention}")))).unwrap();
        assert_eq!(c.default_retention.unwrap().period, period);
    }
}

#[test]
fn configuration_errors() {
    let cases: Vec<(String, (S3ErrorCode, String))> = vec![
        // The Enabled flag.
        ("".into(), malformed_xml()),
        ("<ObjectLockEnabled>Disabled</ObjectLockEnabled>".into(), malformed_xml()),
        ("<ObjectLockEnabled>enabled</ObjectLockEnabled>".into(), malformed_xml()),
        ("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule>".into(), malformed_xml()),
        // The schema.
        ("<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule></Rule>".into(), malformed_xml()),
        ("<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule/>".into(), malformed_xml()),
        ("<ObjectLockEnabled>Enabled</ObjectLockEnabled><Unknown/>".into(), malformed_xml()),
        ("<ObjectLockEnabled>Enabled</ObjectLockEnabled><ObjectLockEnabled>Enabled</ObjectLockEnabled>".into(), malformed_xml()),
        (with_rule("<Mode>GOVERNANCE</Mode><Days>1</Days><Extra>1</Extra>"), malformed_xml()),
        (with_rule("<Days>1</Days>"), malformed_xml()),
        (with_rule("<Mode>GOVERNANCE</Mode>"), malformed_xml()),
        (with_rule("<Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>"), malformed_xml()),
        (with_rule("<Mode>GOVERNANCE</Mode><Days>1</Days><Days>2</Days>"), malformed_xml()),
        (with_rule("<Mode>governance</Mode><Days>1</Days>"), malformed_xml()),
        (with_rule("<Mode>LEGAL_HOLD</Mode><Days>1</Days>"), malformed_xml()),
        (with_rule("<Mode>GOVERNANCE</Mode><Days>abc</Days>"), malformed_xml()),
        (with_rule("<Mode>GOVERNANCE</Mode><Days></Days>"), malformed_xml()),
        (with_rule("<Mode>GOVERNANCE</Mode><Days>1.5</Days>"), malformed_xml()),
        (with_rule("<Mode>GOVERNANCE</Mode><Days>99999999999999999999</Days>"), malformed_xml()),
        // Schema faults come before range faults.
        (with_rule("<Mode>BAD</Mode><Days>0</Days>"), malformed_xml()),
        // The range.
        (with_rule("<Mode>GOVERNANCE</Mode><Days>0</Days>"), invalid("Default retention period must be a positive integer value.")),
        (with_rule("<Mode>GOVERNANCE</Mode><Days>-1</Days>"), invalid("Default retention period must be a positive integer value.")),
        (with_rule("<Mode>COMPLIANCE</Mode><Years>0</Years>"), invalid("Default retention period must be a positive integer value.")),
        (with_rule("<Mode>COMPLIANCE</Mode><Years>-5</Years>"), invalid("Default retention period must be a positive integer value.")),
        (with_rule("<Mode>GOVERNANCE</Mode><Days>36501</Days>"), invalid("Default retention period is too large.")),
        (with_rule("<Mode>COMPLIANCE</Mode><Years>101</Years>"), invalid("Default retention period is too large.")),
        (with_rule("<Mode>COMPLIANCE</Mode><Years>4294967296</Years>"), invalid("Default retention period is too large.")),
    ];
    for (inner, expected) in cases {
        assert_eq!(config_err(&inner), expected, "{inner}");
    }
    // Not XML, the wrong root, not UTF-8, empty.
    let bad: [&[u8]; 5] = [
        b"not xml",
        b"",
        b"<Retention><ObjectLockEnabled>Enabled</ObjectLockEnabled></Retention>",
        b"<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>",
        b"\xff\xfe",
    ];
    for body in bad {
        assert_eq!(ObjectLockConfiguration::from_xml(body).unwrap_err().code, S3ErrorCode::MalformedXML, "{body:?}");
    }
}

#[test]
fn configuration_round_trips() {
    let configs = [
        ObjectLockConfiguration { default_retention: None },
        ObjectLockConfiguration { default_retention: Some(DefaultRetention { mode: RetentionMode::Governance, period: RetentionPeriod::Days(7) }) },
        ObjectLockConfiguration { default_retention: Some(DefaultRetention { mode: RetentionMode::Compliance, period: RetentionPeriod::Years(2) }) },
    ];
    for c in configs {
        assert_eq!(ObjectLockConfiguration::from_xml(c.to_xml().as_bytes()).unwrap(), c);
        assert_eq!(ObjectLockConfiguration::from_json(&c.to_json()).unwrap(), c);
    }
    let c = ObjectLockConfiguration { default_retention: Some(DefaultRetention { mode: RetentionMode::Governance, period: RetentionPeriod::Days(7) }) };
    assert_eq!(
        c.to_xml(),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ObjectLockConfiguration xmlns=\"{NS}\"><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>7</Days></DefaultRetention></Rule></ObjectLockConfiguration>"
        )
    );
    assert_eq!(
        ObjectLockConfiguration { default_retention: None }.to_xml(),
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ObjectLockConfiguration xmlns=\"{NS}\"><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>")
    );
    for garbage in ["", "{", "{\"default_retention\":{\"mode\":\"Nope\"}}"] {
        assert_eq!(ObjectLockConfiguration::from_json(garbage).unwrap_err().code, S3ErrorCode::InternalError);
    }
}

#[test]
fn retention_documents() {
    let body = format!(r#"<Retention xmlns="{NS}"><Mode>GOVERNANCE</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>"#);
    assert_eq!(Retention::from_xml(body.as_bytes()).unwrap(), Some(gov(ms("2030-01-01T00:00:00Z"))));
    // Date forms: milliseconds, microseconds (truncated), offsets with and without a colon.
    for (date, expected) in [
        ("2030-01-01T00:00:00.123Z", "2030-01-01T00:00:00.123Z"),
        ("2030-01-01T00:00:00.123456Z", "2030-01-01T00:00:00.123Z"),
        ("2030-01-01T02:00:00+02:00", "2030-01-01T00:00:00Z"),
        ("2030-01-01T02:00:00.5+0200", "2030-01-01T00:00:00.5Z"),
        (" 2029-12-31T19:00:00-05:00 ", "2030-01-01T00:00:00Z"),
    ] {
        let body = format!("<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>{date}</RetainUntilDate></Retention>");
        assert_eq!(Retention::from_xml(body.as_bytes()).unwrap(), Some(comp(ms(expected))), "{date}");
    }
    // A date in the past parses: the caller compares it with now.
    let past = b"<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2000-01-01T00:00:00Z</RetainUntilDate></Retention>";
    assert_eq!(Retention::from_xml(past).unwrap(), Some(gov(ms("2000-01-01T00:00:00Z"))));
    // Empty: removal.
    for empty in [format!(r#"<Retention xmlns="{NS}"/>"#), "<Retention/>".into(), "<Retention></Retention>".into()] {
        assert_eq!(Retention::from_xml(empty.as_bytes()).unwrap(), None, "{empty}");
    }
}

#[test]
fn retention_errors_are_malformed_xml() {
    let bad = [
        "<Retention><Mode>GOVERNANCE</Mode></Retention>",
        "<Retention><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>",
        "<Retention><Mode>governance</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>",
        "<Retention><Mode>FOREVER</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>",
        "<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2030-01-01</RetainUntilDate></Retention>",
        "<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2030-01-01T00:00:00</RetainUntilDate></Retention>",
        "<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>Wed, 01 Jan 2030 00:00:00 GMT</RetainUntilDate></Retention>",
        "<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>tomorrow</RetainUntilDate></Retention>",
        "<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>+10000-01-01T00:00:00Z</RetainUntilDate></Retention>",
        "<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate><Extra/></Retention>",
        "<ObjectRetention><Mode>GOVERNANCE</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></ObjectRetention>",
        "<Retention><Mode></Mode><RetainUntilDate></RetainUntilDate></Retention>",
        "<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate></RetainUntilDate></Retention>",
        "<Retention>",
        "not xml",
        "",
    ];
    for body in bad {
        assert_eq!(code_message(Retention::from_xml(body.as_bytes()).unwrap_err()), malformed_xml(), "{body}");
    }
}

#[test]
fn retention_round_trips_and_future_check() {
    for r in [gov(ms("2030-01-01T00:00:00Z")), comp(ms("2031-06-15T08:09:10.011Z")), gov(ms("9999-12-31T23:59:59.999Z"))] {
        assert_eq!(Retention::from_xml(r.to_xml().as_bytes()).unwrap(), Some(r));
    }
    assert_eq!(
        comp(ms("2030-01-01T00:00:00Z")).to_xml(),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Retention xmlns=\"{NS}\"><Mode>COMPLIANCE</Mode><RetainUntilDate>2030-01-01T00:00:00.000Z</RetainUntilDate></Retention>"
        )
    );
    let r = gov(1_000);
    r.check_future(999).unwrap();
    let future = invalid("The retain until date must be in the future!");
    assert_eq!(code_message(r.check_future(1_000).unwrap_err()), future);
    assert_eq!(code_message(r.check_future(5_000).unwrap_err()), future);
    assert!(r.is_active(999));
    assert!(!r.is_active(1_000));
}

#[test]
fn legal_hold_documents() {
    for on in [true, false] {
        assert_eq!(legal_hold_from_xml(legal_hold_xml(on).as_bytes()).unwrap(), on);
    }
    assert_eq!(legal_hold_xml(true), format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LegalHold xmlns=\"{NS}\"><Status>ON</Status></LegalHold>"));
    assert!(legal_hold_xml(false).ends_with("<Status>OFF</Status></LegalHold>"));
    assert!(legal_hold_from_xml(format!(r#"<LegalHold xmlns="{NS}"><Status>ON</Status></LegalHold>"#).as_bytes()).unwrap());
    assert!(!legal_hold_from_xml(b"<LegalHold>\n  <Status>OFF</Status>\n</LegalHold>").unwrap());
    let bad = [
        "<LegalHold><Status>on</Status></LegalHold>",
        "<LegalHold><Status>TRUE</Status></LegalHold>",
        "<LegalHold><Status></Status></LegalHold>",
        "<LegalHold></LegalHold>",
        "<LegalHold/>",
        "<LegalHold><Status>ON</Status><Status>OFF</Status></LegalHold>",
        "<LegalHold><Status>ON</Status><Mode>GOVERNANCE</Mode></LegalHold>",
        "<Hold><Status>ON</Status></Hold>",
        "not xml",
    ];
    for body in bad {
        assert_eq!(code_message(legal_hold_from_xml(body.as_bytes()).unwrap_err()), malformed_xml(), "{body}");
    }
}

#[test]
fn lock_headers_parse() {
    let now = ms("2025-01-01T00:00:00Z");
    let none = LockHeaders::from_headers(&HeaderMap::new(), now).unwrap();
    assert_eq!(none, LockHeaders::default());
    assert!(none.is_empty());
    let h = headers(&[(MODE_HEADER, "COMPLIANCE"), (RETAIN_UNTIL_DATE_HEADER, "2030-01-01T00:00:00.000Z"), (LEGAL_HOLD_HEADER, "ON")]);
    let got = LockHeaders::from_headers(&h, now).unwrap();
    assert_eq!(got, LockHeaders { retention: Some(comp(ms("2030-01-01T00:00:00Z"))), legal_hold: Some(true) });
    assert!(!got.is_empty());
    let h = headers(&[(MODE_HEADER, "GOVERNANCE"), (RETAIN_UNTIL_DATE_HEADER, "2030-01-01T01:00:00+01:00")]);
    assert_eq!(LockHeaders::from_headers(&h, now).unwrap(), LockHeaders { retention: Some(gov(ms("2030-01-01T00:00:00Z"))), legal_hold: None });
    let h = headers(&[(LEGAL_HOLD_HEADER, "OFF")]);
    let got = LockHeaders::from_headers(&h, now).unwrap();
    assert_eq!(got, LockHeaders { retention: None, legal_hold: Some(false) });
    assert!(!got.is_empty());
}

#[test]
fn lock_header_errors() {
    let now = ms("2025-01-01T00:00:00Z");
    let both = invalid("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied");
    let mode = invalid("Unknown wormMode directive.");
    let date = invalid("The retain until date must be provided in ISO 8601 format");
    let future = invalid("The retain until date must be in the future!");
    let hold = invalid("Legal Hold must be either of 'ON' or 'OFF'");
    type Case<'a> = (Vec<(&'static str, &'a str)>, (S3ErrorCode, String));
    let cases: Vec<Case> = vec![
        (vec![(MODE_HEADER, "GOVERNANCE")], both.clone()),
        (vec![(RETAIN_UNTIL_DATE_HEADER, "2030-01-01T00:00:00Z")], both.clone()),
        (vec![(MODE_HEADER, "BAD"), (LEGAL_HOLD_HEADER, "ON")], both),
        (vec![(MODE_HEADER, "governance"), (RETAIN_UNTIL_DATE_HEADER, "2030-01-01T00:00:00Z")], mode.clone()),
        (vec![(MODE_HEADER, ""), (RETAIN_UNTIL_DATE_HEADER, "2030-01-01T00:00:00Z")], mode.clone()),
        // The mode is checked before the date.
        (vec![(MODE_HEADER, "NONE"), (RETAIN_UNTIL_DATE_HEADER, "garbage")], mode),
        (vec![(MODE_HEADER, "GOVERNANCE"), (RETAIN_UNTIL_DATE_HEADER, "garbage")], date.clone()),
        (vec![(MODE_HEADER, "GOVERNANCE"), (RETAIN_UNTIL_DATE_HEADER, "Wed, 01 Jan 2030 00:00:00 GMT")], date.clone()),
        (vec![(MODE_HEADER, "GOVERNANCE"), (RETAIN_UNTIL_DATE_HEADER, "2030-01-01")], date),
        (vec![(MODE_HEADER, "GOVERNANCE"), (RETAIN_UNTIL_DATE_HEADER, "2020-01-01T00:00:00Z")], future.clone()),
        (vec![(MODE_HEADER, "COMPLIANCE"), (RETAIN_UNTIL_DATE_HEADER, "2025-01-01T00:00:00Z")], future.clone()),
        // The retention is checked before the legal hold.
        (vec![(MODE_HEADER, "COMPLIANCE"), (RETAIN_UNTIL_DATE_HEADER, "2020-01-01T00:00:00Z"), (LEGAL_HOLD_HEADER, "MAYBE")], future),
        (vec![(LEGAL_HOLD_HEADER, "on")], hold.clone()),
        (vec![(LEGAL_HOLD_HEADER, "true")], hold.clone()),
        (vec![(LEGAL_HOLD_HEADER, "")], hold),
    ];
    for (pairs, expected) in cases {
        assert_eq!(code_message(LockHeaders::from_headers(&headers(&pairs), now).unwrap_err()), expected, "{pairs:?}");
    }
    // A value that is not visible ASCII is sent, and wrong.
    let mut h = HeaderMap::new();
    h.insert(LEGAL_HOLD_HEADER, HeaderValue::from_bytes(b"\xc3\xa9").unwrap());
    assert_eq!(LockHeaders::from_headers(&h, now).unwrap_err().code, S3ErrorCode::InvalidArgument);
}

#[test]
fn bypass_header() {
    assert!(!bypass_governance(&HeaderMap::new()));
    for yes in ["true", "TRUE", "True", " true "] {
        assert!(bypass_governance(&headers(&[(BYPASS_GOVERNANCE_HEADER, yes)])), "{yes}");
    }
    for no in ["false", "1", "yes", ""] {
        assert!(!bypass_governance(&headers(&[(BYPASS_GOVERNANCE_HEADER, no)])), "{no}");
    }
}

#[test]
fn response_headers_of_a_version() {
    assert!(response_headers(None, None).is_empty());
    let r = comp(ms("2030-01-01T00:00:00Z"));
    assert_eq!(
        response_headers(Some(&r), Some(true)),
        vec![
            ("x-amz-object-lock-mode", "COMPLIANCE".to_owned()),
            ("x-amz-object-lock-retain-until-date", "2030-01-01T00:00:00.000Z".to_owned()),
            ("x-amz-object-lock-legal-hold", "ON".to_owned()),
        ]
    );
    assert_eq!(response_headers(None, Some(false)), vec![("x-amz-object-lock-legal-hold", "OFF".to_owned())]);
    assert_eq!(response_headers(Some(&gov(ms("2030-01-01T00:00:00.5Z"))), None).len(), 2);
    assert_eq!(response_headers(Some(&gov(ms("2030-01-01T00:00:00.5Z"))), None)[1].1, "2030-01-01T00:00:00.500Z");
}

#[test]
fn may_delete_truth_table() {
    let (now, later, earlier) = (1_000, 2_000, 500);
    // (retention, legal hold, bypass, expected)
    let table: [(Option<Retention>, bool, bool, bool); 16] = [
        (None, false, false, true),
        (None, false, true, true),
        (None, true, false, false),
        (None, true, true, false),
        (Some(gov(later)), false, false, false),
        (Some(gov(later)), false, true, true),
        (Some(gov(later)), true, true, false),
        (Some(comp(later)), false, false, false),
        (Some(comp(later)), false, true, false),
        (Some(comp(later)), true, true, false),
        (Some(gov(earlier)), false, false, true),
        (Some(comp(earlier)), false, false, true),
        (Some(comp(earlier)), true, true, false),
        // At the retain-until instant the retention has expired.
        (Some(comp(now)), false, false, true),
        (Some(gov(now)), false, false, true),
        (Some(comp(now + 1)), false, true, false),
    ];
    for (retention, hold, bypass, expected) in table {
        assert_eq!(may_delete(retention.as_ref(), hold, now, bypass), expected, "{retention:?} hold={hold} bypass={bypass}");
    }
}

#[test]
fn may_replace_retention_truth_table() {
    let (now, t) = (1_000, 5_000);
    // (current, new, bypass, expected)
    let table: [(Option<Retention>, Option<Retention>, bool, bool); 25] = [
        // Nothing to protect: anything goes.
        (None, None, false, true),
        (None, Some(gov(t)), false, true),
        (None, Some(comp(t)), false, true),
        // Expired (also exactly at the date): anything goes.
        (Some(comp(now)), None, false, true),
        (Some(comp(500)), Some(gov(600)), false, true),
        (Some(gov(500)), None, false, true),
        // COMPLIANCE: only extending (or keeping), in COMPLIANCE; bypass changes nothing.
        (Some(comp(t)), Some(comp(t)), false, true),
        (Some(comp(t)), Some(comp(t + 1)), false, true),
        (Some(comp(t)), Some(comp(t - 1)), false, false),
        (Some(comp(t)), Some(comp(t - 1)), true, false),
        (Some(comp(t)), Some(gov(t + 1)), false, false),
        (Some(comp(t)), Some(gov(t + 1)), true, false),
        (Some(comp(t)), None, false, false),
        (Some(comp(t)), None, true, false),
        // GOVERNANCE: extending, or moving to COMPLIANCE no earlier, needs no bypass.
        (Some(gov(t)), Some(gov(t)), false, true),
        (Some(gov(t)), Some(gov(t + 1)), false, true),
        (Some(gov(t)), Some(comp(t)), false, true),
        (Some(gov(t)), Some(comp(t + 1)), false, true),
        // Shortening, removing, or COMPLIANCE earlier: bypass only.
        (Some(gov(t)), Some(gov(t - 1)), false, false),
        (Some(gov(t)), Some(gov(t - 1)), true, true),
        (Some(gov(t)), Some(comp(t - 1)), false, false),
        (Some(gov(t)), Some(comp(t - 1)), true, true),
        (Some(gov(t)), None, false, false),
        (Some(gov(t)), None, true, true),
        (Some(gov(now + 1)), None, false, false),
    ];
    for (current, new, bypass, expected) in table {
        assert_eq!(may_replace_retention(current.as_ref(), new.as_ref(), now, bypass), expected, "{current:?} -> {new:?} bypass={bypass}");
    }
}
