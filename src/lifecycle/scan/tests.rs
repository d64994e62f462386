//! The scan's per-key state: noncurrent ages from the successor's write time, the
//! newest noncurrent versions kept, a lone current delete marker decided only when the
//! next key (or the end) shows it has no older version, state carried across pages.

use std::time::Duration;

use s3api::lifecycle::{Action, LifecycleConfiguration};

use super::{Due, KeyScan, VersionFacts};

/// `(action, key, version id)` of each due item.
fn actions(due: &[Due]) -> Vec<(Action, &str, &str)> {
    due.iter().map(|d| (d.action, d.key.as_str(), d.version_id.as_str())).collect()
}

/// A 1-second day: deadlines are whole seconds.
const DAY: Duration = Duration::from_secs(1);
const SEC: i64 = 1000;

fn rules(body: &str) -> LifecycleConfiguration {
    let xml = format!("<LifecycleConfiguration>{body}</LifecycleConfiguration>");
    LifecycleConfiguration::from_xml(xml.as_bytes()).expect("valid rules")
}

fn v(key: &str, id: &str, at_secs: i64, latest: bool, marker: bool) -> VersionFacts {
    VersionFacts {
        row_id: at_secs,
        key: key.into(),
        version_id: id.into(),
        size: 10,
        tags: Vec::new(),
        last_modified: at_secs * SEC,
        is_latest: latest,
        is_delete_marker: marker,
    }
}

/// Feeds `versions` in order and ends the bucket.
fn walk(rules: &LifecycleConfiguration, now_secs: i64, versions: &[VersionFacts]) -> Vec<(Action, String, String)> {
    let mut scan = KeyScan::default();
    let mut due = Vec::new();
    for version in versions {
        due.extend(scan.next(version, rules, now_secs * SEC, DAY));
    }
    due.extend(scan.finish(rules, now_secs * SEC, DAY));
    actions(&due).into_iter().map(|(a, k, id)| (a, k.to_owned(), id.to_owned())).collect()
}

#[test]
fn a_current_version_expires_days_after_its_write() {
    let r = rules("<Rule><ID>x</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule>");
    let versions = [v("logs/a", "1", 100, true, false), v("logs/b", "2", 198, true, false), v("other", "3", 0, true, false)];
    assert_eq!(walk(&r, 103, &versions), vec![(Action::ExpireCurrent, "logs/a".into(), "1".into())]);
    assert_eq!(walk(&r, 102, &versions), vec![]);
}

#[test]
fn noncurrent_versions_age_from_their_successor_and_the_newest_are_kept() {
    let r = rules(
        "<Rule><ID>nc</ID><Filter/><Status>Enabled</Status>\
         <NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays><NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>",
    );
    // k: current written at 50; noncurrent "b" (written 40, noncurrent since 50),
    // "c" (written 10, noncurrent since 40), "d" (written 5, noncurrent since 10).
    let versions = [v("k", "a", 50, true, false), v("k", "b", 40, false, false), v("k", "c", 10, false, false), v("k", "d", 5, false, false)];
    // At 45: "c" is due (40 + 2 days ≤ 45) but "b" is the one newest noncurrent kept;
    // "d" (since 10) is due.
    assert_eq!(walk(&r, 45, &versions), vec![(Action::DeleteNoncurrent, "k".into(), "c".into()), (Action::DeleteNoncurrent, "k".into(), "d".into())]);
    // At 41: only "d" (since 10); "c" became noncurrent at 40, due at 42.
    assert_eq!(walk(&r, 41, &versions), vec![(Action::DeleteNoncurrent, "k".into(), "d".into())]);
}

#[test]
fn a_current_delete_marker_is_removed_only_when_no_older_version_follows() {
    let r =
        rules("<Rule><ID>m</ID><Filter/><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>");
    let versions = [v("alone", "m1", 10, true, true), v("kept", "m2", 10, true, true), v("kept", "old", 5, false, false), v("last", "m3", 10, true, true)];
    assert_eq!(
        walk(&r, 20, &versions),
        vec![(Action::DeleteExpiredDeleteMarker, "alone".into(), "m1".into()), (Action::DeleteExpiredDeleteMarker, "last".into(), "m3".into())]
    );
}

#[test]
fn state_carries_across_pages() {
    let r = rules(
        "<Rule><ID>both</ID><Filter/><Status>Enabled</Status>\
         <Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>\
         <NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration></Rule>",
    );
    let mut scan = KeyScan::default();
    let now = 100 * SEC;
    // Page 1 ends on a current marker; page 2 begins with its older version.
    assert!(scan.next(&v("k", "m", 90, true, true), &r, now, DAY).is_empty());
    let mut carried = scan.clone();
    let due = carried.next(&v("k", "old", 20, false, false), &r, now, DAY);
    assert_eq!(actions(&due), vec![(Action::DeleteNoncurrent, "k", "old")], "noncurrent since the marker's write at 90: due at 91");
    assert_eq!(carried.finish(&r, now, DAY), None, "the marker had an older version when it was seen");
    // Had the bucket ended after page 1, the marker would have been alone.
    let due: Vec<_> = scan.finish(&r, now, DAY).into_iter().collect();
    assert_eq!(actions(&due), vec![(Action::DeleteExpiredDeleteMarker, "k", "m")]);
}

#[test]
fn disabled_rules_and_unmatched_keys_do_nothing() {
    let r = rules("<Rule><ID>off</ID><Filter><Prefix>a</Prefix></Filter><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>");
    assert_eq!(walk(&r, 1_000, &[v("a1", "1", 0, true, false), v("b", "2", 0, true, false)]), vec![]);
}
