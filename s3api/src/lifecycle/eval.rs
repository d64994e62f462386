//! When a lifecycle rule acts: which objects a rule applies to, when a current version
//! expires, when a noncurrent version or a lone delete marker is removed, when an
//! incomplete multipart upload is aborted, and the `x-amz-expiration` header.
//!
//! Pure: the caller passes `now`, the length of a day and the facts of one version or
//! upload; nothing here lists versions, reads a clock or deletes anything. Disabled rules
//! never act. Where several rules apply, the earliest deadline wins ("if two expiration
//! policies overlap, the shorter expiration policy is honored"), the first rule on a tie.
//!
//! Days are counted as S3 counts them: "Amazon S3 calculates the time by adding the number
//! of days specified in the rule to the object creation time and rounding up the resulting
//! time to the next day at midnight UTC". With a day length other than [`super::DAY`], the
//! "midnights" are the multiples of that length since the Unix epoch, so a test with a
//! 1-second day sees the same rounding at second boundaries. A time already on a midnight
//! is its own round-up.

use std::time::Duration;

use super::{Expiration, Filter, FilterTag, LifecycleConfiguration, Rule, RuleFilter};
use crate::headers::format_http_date;
use crate::sigv4::canonical::uri_encode;

/// What the lifecycle worker does to one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The current version's expiration is due: in a versioned bucket add a delete marker
    /// (the version becomes noncurrent), in an unversioned one delete the object, as a
    /// DeleteObject without a version ID does. The server decides which.
    ExpireCurrent,
    /// A noncurrent version (object or delete marker) is due: delete it for good.
    DeleteNoncurrent,
    /// A delete marker that is the current version and the only version left of its key
    /// (an "expired object delete marker"): delete it.
    DeleteExpiredDeleteMarker,
}

/// The facts of one object version the worker looks at.
#[derive(Debug, Clone, Copy)]
pub struct ObjectVersion<'a> {
    pub key: &'a str,
    /// Bytes; ignored for a delete marker.
    pub size: u64,
    /// The version's tags; a delete marker has none.
    pub tags: &'a [(String, String)],
    /// When the version was written, in milliseconds since the Unix epoch.
    pub last_modified_ms: i64,
    /// Whether it is the current version of its key.
    pub is_latest: bool,
    pub is_delete_marker: bool,
    /// For a noncurrent version: when it became noncurrent, that is when its successor was
    /// written, in milliseconds since the Unix epoch. Ignored for the current version.
    pub noncurrent_since_ms: i64,
    /// For a noncurrent version: how many noncurrent versions of its key are newer than it
    /// (delete markers among them). Ignored for the current version.
    pub newer_noncurrent_versions: u32,
    /// For a current delete marker: whether any noncurrent version of its key remains.
    /// Ignored otherwise.
    pub has_noncurrent_versions: bool,
}

/// A day as milliseconds, at least 1.
fn day_ms(day: Duration) -> i64 {
    i64::try_from(day.as_millis()).unwrap_or(i64::MAX).max(1)
}

/// `t` rounded up to the next multiple of `day` (a "midnight"); saturates at `i64::MAX`,
/// a time no clock reaches.
fn round_up(t: i64, day: i64) -> i64 {
    match t.rem_euclid(day) {
        0 => t,
        into => t.saturating_add(day - into),
    }
}

/// `days` days after `from`, rounded up to the next midnight.
fn after_days(from: i64, days: u32, day: i64) -> i64 {
    round_up(from.saturating_add(i64::from(days).saturating_mul(day)), day)
}

/// The earliest of `(deadline, rule)` pairs, the first given on a tie.
fn earliest<'a>(candidates: impl Iterator<Item = (i64, &'a Rule)>) -> Option<(i64, &'a Rule)> {
    candidates.fold(None, |best, (at, rule)| match best {
        Some((best_at, _)) if best_at <= at => best,
        _ => Some((at, rule)),
    })
}

fn has_tag(tags: &[(String, String)], want: &FilterTag) -> bool {
    tags.iter().any(|(k, v)| *k == want.key && *v == want.value)
}

impl Rule {
    /// Whether an object (a version that is not a delete marker) is one the rule applies
    /// to: its key starts with the prefix, it carries every tag named (key and value exactly;
    /// other tags do not matter), and its size is strictly within the bounds. The rule's
    /// status is not looked at.
    pub fn matches(&self, key: &str, size: u64, tags: &[(String, String)]) -> bool {
        let filter = match &self.filter {
            RuleFilter::LegacyPrefix(prefix) => return key.starts_with(prefix.as_str()),
            RuleFilter::Filter(filter) => filter,
        };
        match filter {
            Filter::All => true,
            Filter::Prefix(prefix) => key.starts_with(prefix.as_str()),
            Filter::Tag(tag) => has_tag(tags, tag),
            Filter::ObjectSizeGreaterThan(bound) => size > *bound,
            Filter::ObjectSizeLessThan(bound) => size < *bound,
            Filter::And(and) => {
                and.prefix.as_deref().is_none_or(|prefix| key.starts_with(prefix))
                    && and.tags.iter().all(|tag| has_tag(tags, tag))
                    && and.object_size_greater_than.is_none_or(|bound| size > bound)
                    && and.object_size_less_than.is_none_or(|bound| size < bound)
            }
        }
    }

    /// Whether a delete marker of `key` is one the rule applies to. A marker has no tags,
    /// so a rule naming a tag never applies; it has no size either, and Depot lets size
    /// bounds pass it (S3's object size filters are about objects' data, and S3 refuses
    /// `ExpiredObjectDeleteMarker` beside them, so a size-filtered rule reaches a marker
    /// only through `Days`, or `NoncurrentDays` for a noncurrent marker): the prefix alone
    /// decides.
    pub fn matches_delete_marker(&self, key: &str) -> bool {
        match &self.filter {
            RuleFilter::LegacyPrefix(prefix) => key.starts_with(prefix.as_str()),
            RuleFilter::Filter(Filter::All | Filter::ObjectSizeGreaterThan(_) | Filter::ObjectSizeLessThan(_)) => true,
            RuleFilter::Filter(Filter::Prefix(prefix)) => key.starts_with(prefix.as_str()),
            RuleFilter::Filter(Filter::Tag(_)) => false,
            RuleFilter::Filter(Filter::And(and)) => and.tags.is_empty() && and.prefix.as_deref().is_none_or(|prefix| key.starts_with(prefix)),
        }
    }

    /// When this rule expires a current object written at `last_modified_ms`, if it expires
    /// current versions at all.
    fn current_deadline(&self, last_modified_ms: i64, day: i64) -> Option<i64> {
        match self.expiration? {
            Expiration::Days(days) => Some(after_days(last_modified_ms, days, day)),
            Expiration::Date(ms) => Some(ms),
            Expiration::ExpiredObjectDeleteMarker(_) => None,
        }
    }
}

impl LifecycleConfiguration {
    /// When the current version of an object (not a delete marker) expires, and the ID of
    /// the rule that says so (the empty string for a rule without ID): the earliest
    /// deadline of the enabled rules that match it and carry `Expiration` `Days` or `Date`.
    ///
    /// `Days` N gives `last_modified_ms` + N days, rounded up to the next midnight UTC (the
    /// next multiple of `day` since the Unix epoch); `Date` gives that date, even for an
    /// object written after it (it is then due at once). In milliseconds since the Unix
    /// epoch, for [`expiration_header`]. `None` when no rule expires it.
    pub fn expiry_of_current(&self, key: &str, size: u64, tags: &[(String, String)], last_modified_ms: i64, day: Duration) -> Option<(i64, &str)> {
        self.current_expiry(key, size, tags, last_modified_ms, day_ms(day)).map(|(at, rule)| (at, rule.id_str()))
    }

    fn current_expiry(&self, key: &str, size: u64, tags: &[(String, String)], last_modified_ms: i64, day: i64) -> Option<(i64, &Rule)> {
        let candidates =
            self.rules.iter().filter(|r| r.is_enabled() && r.matches(key, size, tags)).filter_map(|r| Some((r.current_deadline(last_modified_ms, day)?, r)));
        earliest(candidates)
    }

    /// What to do with one version at `now_ms`, and the ID of the rule that says so:
    /// - a current object whose [`expiry_of_current`](Self::expiry_of_current) has come:
    ///   [`Action::ExpireCurrent`];
    /// - a current delete marker with no noncurrent version left: removed at once under
    ///   `ExpiredObjectDeleteMarker` `true`, and under `Expiration` `Days` once the marker
    ///   is that old, rounded up as for objects ("When you specify the Days tag, Amazon S3
    ///   automatically performs ExpiredObjectDeleteMarker cleanup when the delete markers are
    ///   old enough to satisfy the age criteria"): [`Action::DeleteExpiredDeleteMarker`];
    /// - a noncurrent version (object or delete marker) under `NoncurrentVersionExpiration`:
    ///   due `NoncurrentDays` after it became noncurrent, rounded up, unless the rule has
    ///   `NewerNoncurrentVersions` N and fewer than N noncurrent versions are newer than it
    ///   (the N newest are kept whatever their age): [`Action::DeleteNoncurrent`].
    ///
    /// `None` when nothing is due yet. Disabled rules never act.
    pub fn action_for_version(&self, version: &ObjectVersion<'_>, now_ms: i64, day: Duration) -> Option<(Action, &str)> {
        let day_len = day_ms(day);
        let (action, due) = if version.is_latest && version.is_delete_marker {
            if version.has_noncurrent_versions {
                return None;
            }
            let candidates = self.rules.iter().filter(|r| r.is_enabled() && r.matches_delete_marker(version.key)).filter_map(|r| {
                let at = match r.expiration? {
                    Expiration::ExpiredObjectDeleteMarker(true) => version.last_modified_ms,
                    Expiration::Days(days) => after_days(version.last_modified_ms, days, day_len),
                    Expiration::ExpiredObjectDeleteMarker(false) | Expiration::Date(_) => return None,
                };
                Some((at, r))
            });
            (Action::DeleteExpiredDeleteMarker, earliest(candidates))
        } else if version.is_latest {
            (Action::ExpireCurrent, self.current_expiry(version.key, version.size, version.tags, version.last_modified_ms, day_len))
        } else {
            let candidates = self
                .rules
                .iter()
                .filter(|r| {
                    r.is_enabled()
                        && if version.is_delete_marker { r.matches_delete_marker(version.key) } else { r.matches(version.key, version.size, version.tags) }
                })
                .filter_map(|r| {
                    let rule = r.noncurrent_version_expiration?;
                    let kept = rule.newer_noncurrent_versions.is_some_and(|keep| version.newer_noncurrent_versions < keep);
                    (!kept).then(|| (after_days(version.noncurrent_since_ms, rule.noncurrent_days, day_len), r))
                });
            (Action::DeleteNoncurrent, earliest(candidates))
        };
        due.filter(|(at, _)| *at <= now_ms).map(|(_, rule)| (action, rule.id_str()))
    }

    /// When an incomplete multipart upload of `key` initiated at `initiated_ms` is aborted,
    /// and by which rule: the earliest `DaysAfterInitiation` deadline, rounded up, of the
    /// enabled rules whose prefix the key starts with (S3 refuses tag and size filters
    /// beside this action, so the prefix is all such a rule filters by). For the
    /// `x-amz-abort-date` and `x-amz-abort-rule-id` headers of CreateMultipartUpload and
    /// ListParts.
    pub fn abort_deadline(&self, key: &str, initiated_ms: i64, day: Duration) -> Option<(i64, &str)> {
        let day = day_ms(day);
        let candidates = self
            .rules
            .iter()
            .filter(|r| r.is_enabled() && r.matches(key, 0, &[]))
            .filter_map(|r| Some((after_days(initiated_ms, r.abort_incomplete_multipart_upload_days?, day), r)));
        earliest(candidates).map(|(at, rule)| (at, rule.id_str()))
    }

    /// The ID of the rule under which an upload initiated at `initiated_ms` is to be
    /// aborted at `now_ms`, when its [`abort_deadline`](Self::abort_deadline) has come.
    pub fn abort_upload_due(&self, key: &str, initiated_ms: i64, now_ms: i64, day: Duration) -> Option<&str> {
        self.abort_deadline(key, initiated_ms, day).filter(|(at, _)| *at <= now_ms).map(|(_, id)| id)
    }
}

/// The `x-amz-expiration` header's value: `expiry-date="Fri, 21 Dec 2012 00:00:00 GMT",
/// rule-id="picture-deletion-rule"`, the date an RFC 1123 HTTP date in GMT and the rule ID
/// URL-encoded ("The value of the rule-id is URL-encoded"): every byte but the RFC 3986
/// unreserved `A-Za-z0-9-._~` as `%XX`, so a space is `%20` and a `"` never ends the value
/// early. `None` for a time outside the years 0 to 9999, which an HTTP date cannot carry
/// (a rule of millions of days): send no header then.
pub fn expiration_header(expiry_ms: i64, rule_id: &str) -> Option<String> {
    if !(-62_167_219_200_000..=253_402_300_799_999).contains(&expiry_ms) {
        return None;
    }
    let date = chrono::DateTime::from_timestamp_millis(expiry_ms)?;
    Some(format!("expiry-date=\"{}\", rule-id=\"{}\"", format_http_date(date), uri_encode(rule_id.as_bytes(), false)))
}
