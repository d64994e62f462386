//! Parsing and validating a PutBucketLifecycleConfiguration body: XML in, a
//! [`LifecycleConfiguration`] or S3's error out.
//!
//! Owns the document's schema (which elements, which may repeat, which are required), and
//! S3's checks with their codes and messages. It must not evaluate rules against objects
//! (`eval.rs`) or know anything of the bucket the configuration is for.
//!
//! The checks, in the order they are made (the first fault is the answer):
//! - the XML: not well-formed, another root than `LifecycleConfiguration`, an element S3's
//!   schema does not define, one given twice, a value of the wrong type (`Days` not an
//!   integer, a negative size), no `Rule`: `MalformedXML`;
//! - more than 1,000 rules: `InvalidRequest`;
//! - each rule's `ID` over 255 characters: `InvalidArgument` "ID length should not exceed
//!   allowed limit of 255"; an ID given to two rules: `InvalidArgument` "Rule ID must be
//!   unique. Found same ID for more than one rule";
//! - then each rule in order:
//!   - no `Status`, or one other than `Enabled`/`Disabled`; both a `Filter` and a
//!     rule-level `Prefix`, or neither; a `Filter` with more than one predicate; an empty
//!     `And`; a `Tag` without `Key`: `MalformedXML`;
//!   - a `Filter` when the first rule used the rule-level `Prefix`: `InvalidRequest`
//!     "Filter element can only be used in Lifecycle V2."; a rule-level `Prefix` when the
//!     first rule used a `Filter`: `InvalidRequest` "Base level prefix cannot be used in
//!     Lifecycle V2, prefixes are only supported in the Filter.";
//!   - two tags with one key in an `And`: `InvalidRequest` "Duplicate Tag Keys are not
//!     allowed."; a tag key empty or over 128 characters, a value over 256: `InvalidTag`;
//!   - `ObjectSizeGreaterThan` not below `ObjectSizeLessThan`: `InvalidRequest`
//!     "'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'.";
//!   - no action at all: `InvalidRequest` "At least one action needs to be specified in a
//!     rule";
//!   - an `Expiration` with none or more than one of `Days`, `Date`,
//!     `ExpiredObjectDeleteMarker`: `MalformedXML`; `Days` below 1: `InvalidArgument`
//!     "'Days' for Expiration action must be a positive integer"; a `Date` that is not ISO
//!     8601: `MalformedXML`; one not at midnight UTC: `InvalidArgument` "'Date' must be at
//!     midnight GMT";
//!   - a `NoncurrentVersionExpiration` without `NoncurrentDays`: `MalformedXML`; below 1:
//!     `InvalidArgument` "'NoncurrentDays' for NoncurrentVersionExpiration action must be a
//!     positive integer"; `NewerNoncurrentVersions` in a V1 configuration: `InvalidRequest`
//!     "NewerNoncurrentVersions element can only be used in Lifecycle V2."; outside 1..=100:
//!     `InvalidArgument`;
//!   - an `AbortIncompleteMultipartUpload` without `DaysAfterInitiation`: `MalformedXML`;
//!     below 1: `InvalidArgument` "'DaysAfterInitiation' for AbortIncompleteMultipartUpload
//!     action must be a positive integer";
//!   - `ExpiredObjectDeleteMarker` or `AbortIncompleteMultipartUpload` in a rule filtering
//!     by tag: `InvalidRequest` "X cannot be specified with Tags."; by object size:
//!     `InvalidRequest` "X cannot be specified with Object Size.";
//!   - a transition without `StorageClass`, or naming a class S3's transitions do not
//!     know: `MalformedXML`;
//! - in a V1 configuration, two rules taking the same kind of action whose prefixes
//!   overlap (one starts with the other): `InvalidRequest` "Found overlapping prefixes 'a'
//!   and 'ab' for same action type 'Expiration'";
//! - last, a valid configuration holding a `Transition` or `NoncurrentVersionTransition`:
//!   `InvalidStorageClass` (why that code: [`refuse_transitions`]).

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate};
use serde::Deserialize;

use super::{
    AndOperator, Expiration, Filter, FilterTag, LifecycleConfiguration, NoncurrentVersionExpiration, Rule, RuleFilter, Status, MAX_ID_CHARS,
    MAX_NEWER_NONCURRENT_VERSIONS, MAX_RULES, TRANSITIONS_NOT_SUPPORTED,
};
use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::xml::request::{check_root, parse as parse_xml};

/// The classes S3's `Transition` and `NoncurrentVersionTransition` may name (its
/// `TransitionStorageClass`). Any other value does not validate against the schema.
const TRANSITION_CLASSES: [&str; 6] = ["GLACIER", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "DEEP_ARCHIVE", "GLACIER_IR"];
/// The longest tag key and value a filter may name, in characters, as for object tags.
const MAX_TAG_KEY_CHARS: usize = 128;
const MAX_TAG_VALUE_CHARS: usize = 256;
const MS_PER_DAY: i64 = 86_400_000;

/// `<LifecycleConfiguration>` as sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LifecycleConfigurationXml {
    #[serde(rename = "@xmlns", default)]
    _xmlns: Option<String>,
    #[serde(rename = "Rule", default)]
    rules: Vec<RuleXml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleXml {
    #[serde(rename = "ID", default)]
    id: Option<String>,
    #[serde(rename = "Prefix", default)]
    prefix: Option<String>,
    #[serde(rename = "Filter", default)]
    filter: Option<FilterXml>,
    #[serde(rename = "Status", default)]
    status: Option<String>,
    #[serde(rename = "Expiration", default)]
    expiration: Option<ExpirationXml>,
    #[serde(rename = "NoncurrentVersionExpiration", default)]
    noncurrent_version_expiration: Option<NoncurrentVersionExpirationXml>,
    #[serde(rename = "AbortIncompleteMultipartUpload", default)]
    abort_incomplete_multipart_upload: Option<AbortXml>,
    #[serde(rename = "Transition", default)]
    transitions: Vec<TransitionXml>,
    #[serde(rename = "NoncurrentVersionTransition", default)]
    noncurrent_version_transitions: Vec<NoncurrentVersionTransitionXml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilterXml {
    #[serde(rename = "Prefix", default)]
    prefix: Option<String>,
    #[serde(rename = "Tag", default)]
    tag: Option<TagXml>,
    #[serde(rename = "ObjectSizeGreaterThan", default)]
    object_size_greater_than: Option<u64>,
    #[serde(rename = "ObjectSizeLessThan", default)]
    object_size_less_than: Option<u64>,
    #[serde(rename = "And", default)]
    and: Option<AndXml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AndXml {
    #[serde(rename = "Prefix", default)]
    prefix: Option<String>,
    #[serde(rename = "Tag", default)]
    tags: Vec<TagXml>,
    #[serde(rename = "ObjectSizeGreaterThan", default)]
    object_size_greater_than: Option<u64>,
    #[serde(rename = "ObjectSizeLessThan", default)]
    object_size_less_than: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TagXml {
    #[serde(rename = "Key", default)]
    key: Option<String>,
    #[serde(rename = "Value", default)]
    value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpirationXml {
    #[serde(rename = "Days", default)]
    days: Option<i32>,
    #[serde(rename = "Date", default)]
    date: Option<String>,
    #[serde(rename = "ExpiredObjectDeleteMarker", default)]
    expired_object_delete_marker: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoncurrentVersionExpirationXml {
    #[serde(rename = "NoncurrentDays", default)]
    noncurrent_days: Option<i32>,
    #[serde(rename = "NewerNoncurrentVersions", default)]
    newer_noncurrent_versions: Option<i32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AbortXml {
    #[serde(rename = "DaysAfterInitiation", default)]
    days_after_initiation: Option<i32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransitionXml {
    #[serde(rename = "Days", default)]
    _days: Option<i32>,
    #[serde(rename = "Date", default)]
    _date: Option<String>,
    #[serde(rename = "StorageClass", default)]
    storage_class: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoncurrentVersionTransitionXml {
    #[serde(rename = "NoncurrentDays", default)]
    _noncurrent_days: Option<i32>,
    #[serde(rename = "NewerNoncurrentVersions", default)]
    _newer_noncurrent_versions: Option<i32>,
    #[serde(rename = "StorageClass", default)]
    storage_class: Option<String>,
}

fn malformed() -> S3Error {
    S3Error::new(S3ErrorCode::MalformedXML)
}

fn invalid_argument(message: impl Into<String>) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, message.into())
}

fn invalid_request(message: impl Into<String>) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidRequest, message.into())
}

/// See the module's comment for every check.
pub(super) fn parse(body: &[u8]) -> S3Result<LifecycleConfiguration> {
    let doc: LifecycleConfigurationXml = parse_xml(body)?;
    check_root(body, "LifecycleConfiguration")?;
    if doc.rules.is_empty() {
        return Err(malformed());
    }
    if doc.rules.len() > MAX_RULES {
        return Err(invalid_request(format!("The number of lifecycle rules must not exceed the allowed limit of {MAX_RULES} rules")));
    }
    check_ids(&doc.rules)?;
    // The first rule's form decides the configuration's: a rule-level Prefix is V1.
    let v1 = doc.rules.first().is_some_and(|r| r.filter.is_none() && r.prefix.is_some());
    let mut rules = Vec::with_capacity(doc.rules.len());
    for raw in &doc.rules {
        rules.push(rule(raw, v1)?);
    }
    if v1 {
        check_overlapping_prefixes(&doc.rules)?;
    }
    refuse_transitions(&doc.rules)?;
    Ok(LifecycleConfiguration { rules })
}

/// IDs: at most 255 characters, and no two rules with the same one. An empty `<ID/>` is
/// no ID, and is not compared.
fn check_ids(rules: &[RuleXml]) -> S3Result<()> {
    let mut seen = HashSet::new();
    for id in rules.iter().filter_map(|r| r.id.as_deref()).filter(|id| !id.is_empty()) {
        if id.chars().count() > MAX_ID_CHARS {
            return Err(invalid_argument(format!("ID length should not exceed allowed limit of {MAX_ID_CHARS}")));
        }
        if !seen.insert(id) {
            return Err(invalid_argument("Rule ID must be unique. Found same ID for more than one rule"));
        }
    }
    Ok(())
}

fn rule(raw: &RuleXml, v1: bool) -> S3Result<Rule> {
    let status = match raw.status.as_deref() {
        Some("Enabled") => Status::Enabled,
        Some("Disabled") => Status::Disabled,
        _ => return Err(malformed()),
    };
    let filter = match (&raw.prefix, &raw.filter) {
        (Some(_), Some(_)) | (None, None) => return Err(malformed()),
        (Some(prefix), None) => RuleFilter::LegacyPrefix(prefix.clone()),
        (None, Some(filter)) => RuleFilter::Filter(filter_of(filter)?),
    };
    match (&filter, v1) {
        (RuleFilter::Filter(_), true) => return Err(invalid_request("Filter element can only be used in Lifecycle V2.")),
        (RuleFilter::LegacyPrefix(_), false) => {
            return Err(invalid_request("Base level prefix cannot be used in Lifecycle V2, prefixes are only supported in the Filter."))
        }
        _ => {}
    }
    check_filter(&filter)?;
    let has_action = raw.expiration.is_some()
        || raw.noncurrent_version_expiration.is_some()
        || raw.abort_incomplete_multipart_upload.is_some()
        || !raw.transitions.is_empty()
        || !raw.noncurrent_version_transitions.is_empty();
    if !has_action {
        return Err(invalid_request("At least one action needs to be specified in a rule"));
    }
    let expiration = raw.expiration.as_ref().map(expiration).transpose()?;
    let noncurrent_version_expiration = raw.noncurrent_version_expiration.as_ref().map(|n| noncurrent(n, v1)).transpose()?;
    let abort_days = match &raw.abort_incomplete_multipart_upload {
        None => None,
        Some(AbortXml { days_after_initiation: None }) => return Err(malformed()),
        Some(AbortXml { days_after_initiation: Some(days) }) => Some(
            positive(*days).ok_or_else(|| invalid_argument("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer"))?,
        ),
    };
    let (tags, sizes) = (filter_uses_tags(&filter), filter_uses_sizes(&filter));
    let actions_filtered_by_prefix_only = [
        ("ExpiredObjectDeleteMarker", matches!(expiration, Some(Expiration::ExpiredObjectDeleteMarker(_)))),
        ("AbortIncompleteMultipartUpload", abort_days.is_some()),
    ];
    for (action, present) in actions_filtered_by_prefix_only {
        if present && tags {
            return Err(invalid_request(format!("{action} cannot be specified with Tags.")));
        }
        if present && sizes {
            return Err(invalid_request(format!("{action} cannot be specified with Object Size.")));
        }
    }
    let classes = raw.transitions.iter().map(|t| &t.storage_class).chain(raw.noncurrent_version_transitions.iter().map(|t| &t.storage_class));
    for class in classes {
        if !class.as_deref().is_some_and(|c| TRANSITION_CLASSES.contains(&c)) {
            return Err(malformed());
        }
    }
    let id = raw.id.clone().filter(|id| !id.is_empty());
    Ok(Rule { id, status, filter, expiration, noncurrent_version_expiration, abort_incomplete_multipart_upload_days: abort_days })
}

fn tag_of(raw: &TagXml) -> S3Result<FilterTag> {
    let key = raw.key.clone().ok_or_else(malformed)?;
    Ok(FilterTag { key, value: raw.value.clone().unwrap_or_default() })
}

/// A `<Filter>`'s form: empty, or exactly one predicate; an `And` with at least one.
fn filter_of(raw: &FilterXml) -> S3Result<Filter> {
    let given = [raw.prefix.is_some(), raw.tag.is_some(), raw.object_size_greater_than.is_some(), raw.object_size_less_than.is_some(), raw.and.is_some()];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(malformed());
    }
    if let Some(prefix) = &raw.prefix {
        return Ok(Filter::Prefix(prefix.clone()));
    }
    if let Some(tag) = &raw.tag {
        return Ok(Filter::Tag(tag_of(tag)?));
    }
    if let Some(size) = raw.object_size_greater_than {
        return Ok(Filter::ObjectSizeGreaterThan(size));
    }
    if let Some(size) = raw.object_size_less_than {
        return Ok(Filter::ObjectSizeLessThan(size));
    }
    let Some(and) = &raw.and else { return Ok(Filter::All) };
    if and.prefix.is_none() && and.tags.is_empty() && and.object_size_greater_than.is_none() && and.object_size_less_than.is_none() {
        return Err(malformed());
    }
    Ok(Filter::And(AndOperator {
        prefix: and.prefix.clone(),
        tags: and.tags.iter().map(tag_of).collect::<S3Result<_>>()?,
        object_size_greater_than: and.object_size_greater_than,
        object_size_less_than: and.object_size_less_than,
    }))
}

/// Tags and sizes: unique keys ("if you specify multiple tags each tag key must be
/// unique"), object tags' length limits, and a size range that holds some size.
fn check_filter(filter: &RuleFilter) -> S3Result<()> {
    let tags: &[FilterTag] = match filter {
        RuleFilter::Filter(Filter::Tag(tag)) => std::slice::from_ref(tag),
        RuleFilter::Filter(Filter::And(and)) => &and.tags,
        _ => &[],
    };
    for (i, tag) in tags.iter().enumerate() {
        if tags[..i].iter().any(|t| t.key == tag.key) {
            return Err(invalid_request("Duplicate Tag Keys are not allowed."));
        }
    }
    for tag in tags {
        let key_chars = tag.key.chars().count();
        if key_chars == 0 || key_chars > MAX_TAG_KEY_CHARS {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidTag,
                format!("The TagKey you have provided is invalid: it must be 1 to {MAX_TAG_KEY_CHARS} characters"),
            ));
        }
        if tag.value.chars().count() > MAX_TAG_VALUE_CHARS {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidTag,
                format!("The TagValue you have provided is invalid: it must be at most {MAX_TAG_VALUE_CHARS} characters"),
            ));
        }
    }
    if let RuleFilter::Filter(Filter::And(AndOperator { object_size_greater_than: Some(gt), object_size_less_than: Some(lt), .. })) = filter {
        if gt >= lt {
            return Err(invalid_request("'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'."));
        }
    }
    Ok(())
}

fn filter_uses_tags(filter: &RuleFilter) -> bool {
    match filter {
        RuleFilter::Filter(Filter::Tag(_)) => true,
        RuleFilter::Filter(Filter::And(and)) => !and.tags.is_empty(),
        _ => false,
    }
}

fn filter_uses_sizes(filter: &RuleFilter) -> bool {
    match filter {
        RuleFilter::Filter(Filter::ObjectSizeGreaterThan(_) | Filter::ObjectSizeLessThan(_)) => true,
        RuleFilter::Filter(Filter::And(and)) => and.object_size_greater_than.is_some() || and.object_size_less_than.is_some(),
        _ => false,
    }
}

/// A day count S3 wants "a non-zero positive integer".
fn positive(n: i32) -> Option<u32> {
    u32::try_from(n).ok().filter(|n| *n > 0)
}

/// An `<Expiration>`: exactly one of its three forms. `Days` together with
/// `ExpiredObjectDeleteMarker` is `MalformedXML`, as S3 answers it.
fn expiration(raw: &ExpirationXml) -> S3Result<Expiration> {
    match (raw.days, &raw.date, raw.expired_object_delete_marker) {
        (Some(days), None, None) => {
            positive(days).map(Expiration::Days).ok_or_else(|| invalid_argument("'Days' for Expiration action must be a positive integer"))
        }
        (None, Some(date), None) => Ok(Expiration::Date(midnight(date)?)),
        (None, None, Some(on)) => Ok(Expiration::ExpiredObjectDeleteMarker(on)),
        _ => Err(malformed()),
    }
}

/// A `Date`: ISO 8601 (`2027-01-01T00:00:00Z`, `…00.000Z`, an offset, or a bare
/// `2027-01-01`), which must fall on a midnight UTC ("The time is always midnight UTC").
/// Anything else that is not such a time is `MalformedXML`, as a timestamp that does not
/// parse is for S3. Gives milliseconds since the Unix epoch.
fn midnight(text: &str) -> S3Result<i64> {
    let text = text.trim();
    let ms = match DateTime::parse_from_rfc3339(text) {
        Ok(t) => t.timestamp_millis(),
        Err(_) => {
            let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| malformed())?;
            day.and_hms_opt(0, 0, 0).ok_or_else(malformed)?.and_utc().timestamp_millis()
        }
    };
    // Times chrono cannot write back (years past 9999 or before 0) are refused here, so
    // GetBucketLifecycleConfiguration can always write the Date.
    if !(-62_167_219_200_000..=253_402_300_799_999).contains(&ms) {
        return Err(malformed());
    }
    if ms.rem_euclid(MS_PER_DAY) != 0 {
        return Err(invalid_argument("'Date' must be at midnight GMT"));
    }
    Ok(ms)
}

fn noncurrent(raw: &NoncurrentVersionExpirationXml, v1: bool) -> S3Result<NoncurrentVersionExpiration> {
    let days = raw.noncurrent_days.ok_or_else(malformed)?;
    let noncurrent_days =
        positive(days).ok_or_else(|| invalid_argument("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"))?;
    let newer_noncurrent_versions = match raw.newer_noncurrent_versions {
        None => None,
        Some(_) if v1 => return Err(invalid_request("NewerNoncurrentVersions element can only be used in Lifecycle V2.")),
        Some(n) => Some(positive(n).filter(|n| *n <= MAX_NEWER_NONCURRENT_VERSIONS).ok_or_else(|| {
            invalid_argument(format!(
                "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be an integer between 1 and {MAX_NEWER_NONCURRENT_VERSIONS}"
            ))
        })?),
    };
    Ok(NoncurrentVersionExpiration { noncurrent_days, newer_noncurrent_versions })
}

/// In a V1 configuration (rule-level prefixes), S3 refuses two rules taking the same kind
/// of action when one's prefix starts with the other's: "Found overlapping prefixes
/// 'logs' and '' for same action type 'Expiration'", the later rule's prefix named first.
/// A V2 configuration may overlap ("the shorter expiration policy is honored").
fn check_overlapping_prefixes(rules: &[RuleXml]) -> S3Result<()> {
    type Takes = fn(&RuleXml) -> bool;
    let kinds: [(&str, Takes); 5] = [
        ("Expiration", |r| r.expiration.is_some()),
        ("NoncurrentVersionExpiration", |r| r.noncurrent_version_expiration.is_some()),
        ("AbortIncompleteMultipartUpload", |r| r.abort_incomplete_multipart_upload.is_some()),
        ("Transition", |r| !r.transitions.is_empty()),
        ("NoncurrentVersionTransition", |r| !r.noncurrent_version_transitions.is_empty()),
    ];
    for (kind, takes) in kinds {
        let prefixes: Vec<&str> = rules.iter().filter(|r| takes(r)).filter_map(|r| r.prefix.as_deref()).collect();
        for (i, later) in prefixes.iter().enumerate() {
            if let Some(earlier) = prefixes[..i].iter().find(|earlier| later.starts_with(**earlier) || earlier.starts_with(*later)) {
                return Err(invalid_request(format!("Found overlapping prefixes '{later}' and '{earlier}' for same action type '{kind}'")));
            }
        }
    }
    Ok(())
}

/// Depot has one storage class, so a transition, however valid for S3, cannot be taken.
///
/// The code: S3 never refuses a transition to a class it lists (every listed class exists
/// there), so it has no answer to copy; for a class outside its list it answers
/// `MalformedXML`, which Depot keeps for that case (see [`rule`]). Of the codes S3
/// documents, `InvalidStorageClass` ("The storage class you specified is not valid.", 400)
/// is the one that says what is wrong: the class named does not exist here. It is the code
/// a client gets from S3 for a storage class the endpoint does not offer (PutObject with
/// `x-amz-storage-class`), and SDKs surface it as such. `InvalidRequest` and
/// `InvalidArgument` would read as a malformed rule, which it is not. The message names the
/// action and the class.
fn refuse_transitions(rules: &[RuleXml]) -> S3Result<()> {
    for raw in rules {
        let transition = raw.transitions.iter().map(|t| ("Transition", &t.storage_class));
        let noncurrent = raw.noncurrent_version_transitions.iter().map(|t| ("NoncurrentVersionTransition", &t.storage_class));
        if let Some((action, class)) = transition.chain(noncurrent).next() {
            let class = class.as_deref().unwrap_or_default();
            return Err(S3Error::with_message(S3ErrorCode::InvalidStorageClass, format!("{TRANSITIONS_NOT_SUPPORTED} ({action} to {class})")));
        }
    }
    Ok(())
}
