//! A bucket's lifecycle configuration (Put/Get/DeleteBucketLifecycleConfiguration), the
//! protocol half: the `<LifecycleConfiguration>` body parsed and validated as S3 validates
//! it, the GetBucketLifecycleConfiguration document, a stored JSON form, and the pure rules
//! that say when an object version expires or an incomplete multipart upload is aborted.
//!
//! Owns the document's shape and S3's error codes and messages for it (`parse.rs`), which
//! objects a rule applies to and when its actions fall due (`eval.rs`), and the
//! `x-amz-expiration` header's value. It must not load or store anything, list versions,
//! delete objects or read a clock: the server stores the configuration, runs the worker,
//! passes `now` and the facts of each version in, and acts on what comes back.
//!
//! Depot keeps every object in STANDARD, so `Transition` and `NoncurrentVersionTransition`
//! are refused (`InvalidStorageClass`, see `parse.rs`); the actions kept are S3's
//! expirations: of current versions, of noncurrent versions, of delete markers left alone,
//! and of incomplete multipart uploads.

use serde::{Deserialize, Serialize};
use std::time::Duration;

use crate::error::S3Result;
use crate::headers::format_iso8601;
use crate::xml::XmlWriter;

mod eval;
mod parse;
#[cfg(test)]
mod tests;

pub use eval::{expiration_header, Action, ObjectVersion};

/// "An S3 Lifecycle configuration can have up to 1,000 rules."
pub const MAX_RULES: usize = 1000;
/// The longest rule `ID`, in characters.
pub const MAX_ID_CHARS: usize = 255;
/// The most noncurrent versions `NewerNoncurrentVersions` may keep ("up to 100").
pub const MAX_NEWER_NONCURRENT_VERSIONS: u32 = 100;
/// A lifecycle day. Tests pass a shorter one; every count of days and every rounding to
/// "midnight" is then in that unit (see [`LifecycleConfiguration::expiry_of_current`]).
pub const DAY: Duration = Duration::from_secs(86_400);
/// The message of the error a transition gets.
pub const TRANSITIONS_NOT_SUPPORTED: &str = "Depot stores every object in STANDARD; transitions are not supported";

/// A bucket's lifecycle rules, in the order the client sent them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleConfiguration {
    pub rules: Vec<Rule>,
}

/// One `Rule`, validated. It holds at least one action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// `ID`, at most 255 characters, unique among the rules. An empty `<ID/>` is no ID.
    pub id: Option<String>,
    pub status: Status,
    /// The objects the rule applies to, in the form the client gave it.
    pub filter: RuleFilter,
    pub expiration: Option<Expiration>,
    pub noncurrent_version_expiration: Option<NoncurrentVersionExpiration>,
    /// `AbortIncompleteMultipartUpload`'s `DaysAfterInitiation`, at least 1.
    pub abort_incomplete_multipart_upload_days: Option<u32>,
}

/// `Status`. A disabled rule never acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Enabled,
    Disabled,
}

impl Status {
    /// The name as S3 writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Enabled => "Enabled",
            Status::Disabled => "Disabled",
        }
    }
}

/// How a rule names its objects: S3's deprecated rule-level `<Prefix>` (a "Lifecycle V1"
/// configuration), or a `<Filter>` (V2). GetBucketLifecycleConfiguration gives back the
/// form that was sent, so both are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleFilter {
    /// `<Rule><Prefix>…</Prefix>`: keys starting with it; the empty prefix is every key.
    LegacyPrefix(String),
    Filter(Filter),
}

/// A `<Filter>`: empty, or exactly one predicate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Filter {
    /// `<Filter/>`: every object.
    All,
    /// `<Prefix>`: keys starting with it (`<Prefix></Prefix>`, every key, is kept as sent).
    Prefix(String),
    /// `<Tag>`: objects carrying this tag, key and value matched exactly.
    Tag(FilterTag),
    /// `<ObjectSizeGreaterThan>`, in bytes: objects strictly larger.
    ObjectSizeGreaterThan(u64),
    /// `<ObjectSizeLessThan>`, in bytes: objects strictly smaller.
    ObjectSizeLessThan(u64),
    /// `<And>`: every predicate in it.
    And(AndOperator),
}

/// A tag a filter names. A `<Tag>` without `<Value>` has the empty value: "the rule will
/// apply only to objects that match the tag key and that do not have a value specified".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterTag {
    pub key: String,
    pub value: String,
}

/// `<And>`: at least one predicate; tag keys are unique; when both sizes are given,
/// `ObjectSizeGreaterThan` < `ObjectSizeLessThan`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AndOperator {
    pub prefix: Option<String>,
    pub tags: Vec<FilterTag>,
    pub object_size_greater_than: Option<u64>,
    pub object_size_less_than: Option<u64>,
}

/// `<Expiration>`: exactly one of its three forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expiration {
    /// `Days`, at least 1: a current version expires this many days after it was written,
    /// rounded up to the next midnight UTC.
    Days(u32),
    /// `Date`, a midnight UTC, in milliseconds since the Unix epoch: current versions
    /// expire from then on.
    Date(i64),
    /// `ExpiredObjectDeleteMarker`: `true` removes a delete marker that is the only version
    /// left of its key; `false` takes no action.
    ExpiredObjectDeleteMarker(bool),
}

/// `<NoncurrentVersionExpiration>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoncurrentVersionExpiration {
    /// `NoncurrentDays`, at least 1: days from when the version became noncurrent.
    pub noncurrent_days: u32,
    /// `NewerNoncurrentVersions`, 1 to 100: that many of the newest noncurrent versions
    /// are kept whatever their age.
    pub newer_noncurrent_versions: Option<u32>,
}

impl Rule {
    /// Whether the rule is enabled; a disabled one never acts.
    pub fn is_enabled(&self) -> bool {
        self.status == Status::Enabled
    }

    /// The rule's ID, or the empty string for a rule sent without one.
    pub fn id_str(&self) -> &str {
        self.id.as_deref().unwrap_or("")
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("Rule");
        w.opt_elem("ID", self.id.as_deref());
        match &self.filter {
            RuleFilter::LegacyPrefix(prefix) => w.elem("Prefix", prefix),
            RuleFilter::Filter(filter) => write_filter(w, filter),
        }
        w.elem("Status", self.status.as_str());
        if let Some(expiration) = &self.expiration {
            w.open("Expiration");
            match *expiration {
                Expiration::Days(days) => w.num_elem("Days", days),
                Expiration::Date(ms) => w.elem("Date", &date_text(ms)),
                Expiration::ExpiredObjectDeleteMarker(on) => w.bool_elem("ExpiredObjectDeleteMarker", on),
            }
            w.close("Expiration");
        }
        if let Some(noncurrent) = &self.noncurrent_version_expiration {
            w.open("NoncurrentVersionExpiration");
            w.num_elem("NoncurrentDays", noncurrent.noncurrent_days);
            if let Some(newer) = noncurrent.newer_noncurrent_versions {
                w.num_elem("NewerNoncurrentVersions", newer);
            }
            w.close("NoncurrentVersionExpiration");
        }
        if let Some(days) = self.abort_incomplete_multipart_upload_days {
            w.open("AbortIncompleteMultipartUpload");
            w.num_elem("DaysAfterInitiation", days);
            w.close("AbortIncompleteMultipartUpload");
        }
        w.close("Rule");
    }
}

fn write_tag(w: &mut XmlWriter, tag: &FilterTag) {
    w.open("Tag");
    w.elem("Key", &tag.key);
    w.elem("Value", &tag.value);
    w.close("Tag");
}

fn write_filter(w: &mut XmlWriter, filter: &Filter) {
    w.open("Filter");
    match filter {
        Filter::All => {}
        Filter::Prefix(prefix) => w.elem("Prefix", prefix),
        Filter::Tag(tag) => write_tag(w, tag),
        Filter::ObjectSizeGreaterThan(size) => w.num_elem("ObjectSizeGreaterThan", size),
        Filter::ObjectSizeLessThan(size) => w.num_elem("ObjectSizeLessThan", size),
        Filter::And(and) => {
            w.open("And");
            w.opt_elem("Prefix", and.prefix.as_deref());
            for tag in &and.tags {
                write_tag(w, tag);
            }
            if let Some(size) = and.object_size_greater_than {
                w.num_elem("ObjectSizeGreaterThan", size);
            }
            if let Some(size) = and.object_size_less_than {
                w.num_elem("ObjectSizeLessThan", size);
            }
            w.close("And");
        }
    }
    w.close("Filter");
}

/// A `Date` as S3's XML writes times: `2027-01-01T00:00:00.000Z`. Parsing bounds the date
/// to what chrono holds, so the fallback (the epoch) is never reached.
fn date_text(ms: i64) -> String {
    format_iso8601(chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default())
}

impl LifecycleConfiguration {
    /// Parses and validates a PutBucketLifecycleConfiguration body, as S3 does. The checks,
    /// their order, codes and messages are listed at the top of `parse.rs`; in short, a
    /// body that does not fit S3's schema is `MalformedXML`, a value out of range
    /// `InvalidArgument`, a combination S3 refuses `InvalidRequest`, and a transition
    /// `InvalidStorageClass`.
    pub fn from_xml(body: &[u8]) -> S3Result<LifecycleConfiguration> {
        parse::parse(body)
    }

    /// The GetBucketLifecycleConfiguration document: `<LifecycleConfiguration xmlns="…">`
    /// with one `<Rule>` per rule, members in the order ID, Filter (or the legacy Prefix),
    /// Status, Expiration, NoncurrentVersionExpiration, AbortIncompleteMultipartUpload; only
    /// those set. A `Date` is written `2027-01-01T00:00:00.000Z`, a `<Tag>` always with its
    /// `<Value>`.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open_root("LifecycleConfiguration");
        for rule in &self.rules {
            rule.write(&mut w);
        }
        w.close("LifecycleConfiguration");
        w.finish()
    }

    /// The stored form (JSON), should the server keep this rather than the XML.
    pub fn to_json(&self) -> String {
        // Only strings, integers, booleans and lists: serde_json always writes them.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads the stored form back; text that does not parse is the server's fault, a
    /// plain `InternalError`.
    pub fn from_json(s: &str) -> S3Result<LifecycleConfiguration> {
        serde_json::from_str(s).map_err(|_| crate::error::S3Error::new(crate::error::S3ErrorCode::InternalError))
    }
}
