//! Walking a bucket's versions in listing order (keys ascending, each key's versions
//! newest first) and deciding, version by version, what the rules make due.
//!
//! Owns the per-key state the rules need and a listing row does not carry: when a
//! noncurrent version became noncurrent (its successor's write time), how many
//! noncurrent versions are newer than it, and whether a current delete marker has
//! older versions (known only once the next row, or the end of the bucket, is seen).
//! Pure: reads nothing and deletes nothing.

use std::time::Duration;

use s3api::lifecycle::{LifecycleConfiguration, ObjectVersion};

use super::Due;
use crate::catalog;

/// The facts of one listed version the scan needs.
#[derive(Debug, Clone)]
pub struct VersionFacts {
    /// The catalog row: a version id (`null`) may name successive rows.
    pub row_id: i64,
    pub key: String,
    pub version_id: String,
    pub size: u64,
    pub tags: Vec<(String, String)>,
    pub last_modified: i64,
    pub is_latest: bool,
    pub is_delete_marker: bool,
}

impl VersionFacts {
    pub fn of(v: &catalog::ObjectVersion) -> VersionFacts {
        VersionFacts {
            row_id: v.id,
            key: v.key.clone(),
            version_id: v.version_id.clone(),
            size: v.size.max(0) as u64,
            tags: v.tags.clone(),
            last_modified: v.last_modified,
            is_latest: v.is_latest,
            is_delete_marker: v.is_delete_marker,
        }
    }
}

/// The state of the key being walked.
#[derive(Debug, Default, Clone)]
pub struct KeyScan {
    key: Option<String>,
    /// The write time of the version seen just before (the next newer one).
    newer_modified: Option<i64>,
    /// How many noncurrent versions of the key were seen so far.
    noncurrent_seen: u32,
    /// The key's current version when it is a delete marker, until it is known whether
    /// older versions follow.
    pending_marker: Option<VersionFacts>,
}

impl KeyScan {
    /// Everything due among one key's versions, given all of them newest first.
    pub fn whole_key(versions: &[VersionFacts], rules: &LifecycleConfiguration, now: i64, day: Duration) -> Vec<Due> {
        let mut scan = KeyScan::default();
        let mut due: Vec<Due> = versions.iter().flat_map(|v| scan.next(v, rules, now, day)).collect();
        due.extend(scan.finish(rules, now, day));
        due
    }

    /// Takes the next version in listing order; returns what is due, if anything.
    pub fn next(&mut self, v: &VersionFacts, rules: &LifecycleConfiguration, now: i64, day: Duration) -> Vec<Due> {
        let mut due = Vec::new();
        if self.key.as_deref() != Some(v.key.as_str()) {
            due.extend(self.finish(rules, now, day));
            self.key = Some(v.key.clone());
        }
        if v.is_latest {
            if v.is_delete_marker {
                self.pending_marker = Some(v.clone());
            } else {
                due.extend(decide(rules, v, now, day, 0, 0, false));
            }
        } else {
            // An older version follows the current marker: the marker is not alone.
            self.pending_marker = None;
            // Without the newer version's write time (never, as scans resume with this
            // state) nothing is known of its age: decide nothing rather than too early.
            if let Some(since) = self.newer_modified {
                due.extend(decide(rules, v, now, day, since, self.noncurrent_seen, false));
            }
            self.noncurrent_seen = self.noncurrent_seen.saturating_add(1);
        }
        self.newer_modified = Some(v.last_modified);
        due
    }

    /// Ends the current key (the next row is another key, or the bucket ended): a current
    /// delete marker with no older version is decided now.
    pub fn finish(&mut self, rules: &LifecycleConfiguration, now: i64, day: Duration) -> Option<Due> {
        let marker = self.pending_marker.take();
        *self = KeyScan::default();
        marker.and_then(|m| decide(rules, &m, now, day, 0, 0, false))
    }
}

/// What the rules make due for one version now.
fn decide(
    rules: &LifecycleConfiguration,
    v: &VersionFacts,
    now: i64,
    day: Duration,
    noncurrent_since: i64,
    newer_noncurrent: u32,
    has_noncurrent: bool,
) -> Option<Due> {
    let facts = ObjectVersion {
        key: &v.key,
        size: v.size,
        tags: &v.tags,
        last_modified_ms: v.last_modified,
        is_latest: v.is_latest,
        is_delete_marker: v.is_delete_marker,
        noncurrent_since_ms: noncurrent_since,
        newer_noncurrent_versions: newer_noncurrent,
        has_noncurrent_versions: has_noncurrent,
    };
    rules.action_for_version(&facts, now, day).map(|(action, _rule)| Due { action, key: v.key.clone(), version_id: v.version_id.clone(), row_id: v.row_id })
}

#[cfg(test)]
mod tests;
