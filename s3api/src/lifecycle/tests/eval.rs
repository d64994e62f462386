//! Evaluation: which versions a rule matches, when they expire, what a version's
//! action is, when an upload is aborted, and the `x-amz-expiration` header.

use super::*;

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
