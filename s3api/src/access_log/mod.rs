//! S3 server access logging, the protocol half: PutBucketLogging's `<BucketLoggingStatus>`
//! parsed and validated as S3 does, the GetBucketLogging document, a stored JSON form of a
//! bucket's logging configuration, one access written as a line of AWS's server access log
//! format, that format's `operation` names, and the key of a log object in the target bucket.
//!
//! Owns the document's shape and its errors, the log line's fields, their order, quoting and
//! escaping, and the layout of log object keys. It must not load or store anything, read a
//! clock, collect records or write log objects: the server stores the configuration, fills
//! one [`LogRecord`] per request, batches the lines, passes the times in and writes each
//! batch under [`log_object_key`].
//!
//! Left to the server (S3's behaviour, so a caller knows): a target bucket that does not
//! exist or is owned by another account is `InvalidTargetBucketForLogging`; S3 also wants
//! the target in the source's region and without a default Object Lock retention; a bucket
//! may log to itself (on AWS each delivery is then logged again; Depot writes log objects
//! outside the request path, so they are not).
//!
//! Choices where AWS's documentation leaves room, each tested in `tests.rs`:
//! - a `<Grantee>` without `xsi:type` is taken by its one field (`ID`, `URI` or
//!   `EmailAddress`), as Depot's ACLs read it; with a type, exactly the field of that type
//!   must be there (`DisplayName` is allowed and not kept); a group URI is kept as sent;
//! - `TargetBucket`, permissions and grantee fields are trimmed of whitespace;
//!   `TargetPrefix` is kept as sent;
//! - an empty `<TargetObjectKeyFormat/>` is the simple format (both of its members are
//!   optional in S3's model);
//! - in a log line, a field written bare is percent-encoded where it holds a space, a
//!   control character, `"`, `%` or anything outside ASCII, so it never splits; a field in
//!   double quotes keeps its text, with `\` and `"` escaped as `\\` and `\"` and each control
//!   character written `\xNN` (two hex digits), so a line never breaks;
//! - the access point ARN and `aclRequired` fields, which Depot has no use for, are `-`.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};

use crate::acl::{AclGrant, AclGrantee, AclGroup, AclPermission};
use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::xml::request::{check_root, parse as parse_xml};
use crate::xml::{XmlWriter, S3_NS};

#[cfg(test)]
mod tests;

/// The namespace of `xsi:type` on a `<Grantee>`.
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// The permissions a target grant may give.
const PERMISSIONS: [&str; 3] = ["FULL_CONTROL", "READ", "WRITE"];
/// A log object's time, in its name.
const KEY_TIME: &str = "%Y-%m-%d-%H-%M-%S";
/// A bare field: what must be percent-encoded for it to hold no space (non-ASCII always is).
const TOKEN_ENCODE: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'%');
/// The `key` field: percent-encoded as a URL path, `/` kept.
const KEY_ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');
/// An absent value.
const DASH: &str = "-";

/// Which date the partition of a partitioned log object key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartitionDateSource {
    /// The time of the earliest record in the log object.
    EventTime,
    /// The time the log object is written.
    DeliveryTime,
}

impl PartitionDateSource {
    /// The name as S3 writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            PartitionDateSource::EventTime => "EventTime",
            PartitionDateSource::DeliveryTime => "DeliveryTime",
        }
    }
}

/// `TargetObjectKeyFormat`: how log objects are named (see [`log_object_key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyFormat {
    /// `<SimplePrefix/>`, or no format given.
    Simple,
    /// `<PartitionedPrefix>`.
    Partitioned(PartitionDateSource),
}

/// One `<Grant>` of `TargetGrants`: who else may read the log objects. Parsing sets exactly
/// one grantee field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetGrant {
    /// `CanonicalUser`'s `ID`.
    pub grantee_id: Option<String>,
    /// `Group`'s `URI`.
    pub grantee_uri: Option<String>,
    /// `AmazonCustomerByEmail`'s `EmailAddress`.
    pub grantee_email: Option<String>,
    /// `FULL_CONTROL`, `READ` or `WRITE`.
    pub permission: String,
}

/// A bucket's `<LoggingEnabled>`: logging is on, its records delivered to `target_bucket`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggingConfiguration {
    pub target_bucket: String,
    /// Put before every log object's key; may be empty.
    pub target_prefix: String,
    pub target_grants: Vec<TargetGrant>,
    pub key_format: KeyFormat,
}

// The document as sent. Every element is optional to serde, so that a missing one gets
// S3's answer here rather than serde's.

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", deny_unknown_fields)]
struct BucketLoggingStatusXml {
    #[serde(rename = "@xmlns")]
    _xmlns: Option<String>,
    logging_enabled: Option<LoggingEnabledXml>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", deny_unknown_fields)]
struct LoggingEnabledXml {
    target_bucket: Option<String>,
    target_prefix: Option<String>,
    target_grants: Option<TargetGrantsXml>,
    target_object_key_format: Option<KeyFormatXml>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct TargetGrantsXml {
    #[serde(rename = "Grant")]
    grants: Vec<GrantXml>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", deny_unknown_fields)]
struct GrantXml {
    grantee: Option<GranteeXml>,
    permission: Option<String>,
}

/// quick-xml names an attribute by its local name (`xsi:type` is `@type`, the alias is
/// for safety) but a namespace declaration by its full name (`@xmlns:xsi`).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", deny_unknown_fields)]
struct GranteeXml {
    #[serde(rename = "@xmlns:xsi")]
    _xmlns_xsi: Option<String>,
    #[serde(rename = "@type", alias = "@xsi:type")]
    xsi_type: Option<String>,
    #[serde(rename = "ID")]
    id: Option<String>,
    #[serde(rename = "DisplayName")]
    _display_name: Option<String>,
    #[serde(rename = "URI")]
    uri: Option<String>,
    email_address: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", deny_unknown_fields)]
struct KeyFormatXml {
    simple_prefix: Option<EmptyXml>,
    partitioned_prefix: Option<PartitionedPrefixXml>,
}

/// An element that must hold nothing.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmptyXml {}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", deny_unknown_fields)]
struct PartitionedPrefixXml {
    partition_date_source: Option<String>,
}

fn malformed() -> S3Error {
    S3Error::new(S3ErrorCode::MalformedXML)
}

/// Text with its whitespace trimmed; `None` when nothing is left.
fn text(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// A `<Grant>`: a grantee of a known type with its one field, and a known permission.
fn grant(raw: &GrantXml) -> S3Result<TargetGrant> {
    let g = raw.grantee.as_ref().ok_or_else(malformed)?;
    let permission = raw.permission.as_deref().map(str::trim).filter(|p| PERMISSIONS.contains(p)).ok_or_else(malformed)?.to_owned();
    let (id, uri, email) = (text(&g.id), text(&g.uri), text(&g.email_address));
    let kind = g.xsi_type.as_deref().map(|t| t.rsplit(':').next().unwrap_or(t).trim());
    let fits = match kind {
        Some("CanonicalUser") => id.is_some() && uri.is_none() && email.is_none(),
        Some("Group") => id.is_none() && uri.is_some() && email.is_none(),
        Some("AmazonCustomerByEmail") => id.is_none() && uri.is_none() && email.is_some(),
        Some(_) => false,
        None => [id.is_some(), uri.is_some(), email.is_some()].iter().filter(|given| **given).count() == 1,
    };
    if !fits {
        return Err(malformed());
    }
    Ok(TargetGrant { grantee_id: id, grantee_uri: uri, grantee_email: email, permission })
}

/// `<TargetObjectKeyFormat>`: at most one of its two forms.
fn key_format(raw: Option<&KeyFormatXml>) -> S3Result<KeyFormat> {
    let Some(raw) = raw else { return Ok(KeyFormat::Simple) };
    match (&raw.simple_prefix, &raw.partitioned_prefix) {
        (Some(_), Some(_)) => Err(malformed()),
        (_, None) => Ok(KeyFormat::Simple),
        (None, Some(partitioned)) => match partitioned.partition_date_source.as_deref().map(str::trim) {
            None | Some("EventTime") => Ok(KeyFormat::Partitioned(PartitionDateSource::EventTime)),
            Some("DeliveryTime") => Ok(KeyFormat::Partitioned(PartitionDateSource::DeliveryTime)),
            Some(_) => Err(malformed()),
        },
    }
}

impl TargetGrant {
    /// The grant as an ACL grant of a log object. A group other than `AllUsers` and
    /// `AuthenticatedUsers` is `InvalidArgument`, as in an ACL; an e-mail grantee is
    /// left to the caller to resolve.
    pub fn to_acl_grant(&self) -> S3Result<AclGrant> {
        let grantee = match (&self.grantee_id, &self.grantee_uri, &self.grantee_email) {
            (Some(id), _, _) => AclGrantee::Id(id.clone()),
            (None, Some(uri), _) => AclGrantee::Group(AclGroup::from_uri(uri)?),
            (None, None, Some(email)) => AclGrantee::Email(email.clone()),
            (None, None, None) => return Err(malformed()),
        };
        let permission = AclPermission::parse(&self.permission).ok_or_else(malformed)?;
        Ok(AclGrant { grantee, permission })
    }

    /// `<Grant>` with its `<Grantee>` typed by the field set; a grant with none is not
    /// written.
    fn write(&self, w: &mut XmlWriter) {
        let (kind, field, value) = match (&self.grantee_id, &self.grantee_uri, &self.grantee_email) {
            (Some(id), _, _) => ("CanonicalUser", "ID", id),
            (None, Some(uri), _) => ("Group", "URI", uri),
            (None, None, Some(email)) => ("AmazonCustomerByEmail", "EmailAddress", email),
            (None, None, None) => return,
        };
        w.open("Grant");
        w.open_with_attrs("Grantee", &[("xmlns:xsi", XSI_NS), ("xsi:type", kind)]);
        w.elem(field, value);
        w.close("Grantee");
        w.elem("Permission", &self.permission);
        w.close("Grant");
    }
}

impl LoggingConfiguration {
    /// `TargetGrants` as ACL grants of the log objects.
    pub fn acl_grants(&self) -> S3Result<Vec<AclGrant>> {
        self.target_grants.iter().map(TargetGrant::to_acl_grant).collect()
    }

    /// Parses a PutBucketLogging body. `<BucketLoggingStatus/>` without `LoggingEnabled` is
    /// `Ok(None)`: logging turned off. Every fault is `MalformedXML`: not XML, another root,
    /// an element S3's schema does not define or one given twice, no or an empty
    /// `TargetBucket`, both `SimplePrefix` and `PartitionedPrefix`, a `PartitionDateSource`
    /// other than `EventTime`/`DeliveryTime` (absent is `EventTime`), a grant without
    /// `Grantee` or with a permission other than `FULL_CONTROL`, `READ`, `WRITE`, a grantee
    /// whose fields do not match its `xsi:type` (see the module's comment).
    pub fn from_xml(body: &[u8]) -> S3Result<Option<LoggingConfiguration>> {
        let doc: BucketLoggingStatusXml = parse_xml(body)?;
        check_root(body, "BucketLoggingStatus")?;
        let Some(enabled) = doc.logging_enabled else { return Ok(None) };
        let target_bucket = text(&enabled.target_bucket).ok_or_else(malformed)?;
        let target_grants = match &enabled.target_grants {
            Some(grants) => grants.grants.iter().map(grant).collect::<S3Result<_>>()?,
            None => Vec::new(),
        };
        Ok(Some(LoggingConfiguration {
            target_bucket,
            target_prefix: enabled.target_prefix.unwrap_or_default(),
            target_grants,
            key_format: key_format(enabled.target_object_key_format.as_ref())?,
        }))
    }

    /// The stored form (JSON).
    pub fn to_json(&self) -> String {
        // Only strings, enums and lists: serde_json always writes them.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads the stored form back; text that does not parse is the server's fault, a plain
    /// `InternalError`.
    pub fn from_json(s: &str) -> S3Result<LoggingConfiguration> {
        serde_json::from_str(s).map_err(|_| S3Error::new(S3ErrorCode::InternalError))
    }
}

/// The GetBucketLogging document: `<BucketLoggingStatus xmlns="…">` holding `LoggingEnabled`
/// with `TargetBucket`, `TargetPrefix`, `TargetGrants` (when there are any) and
/// `TargetObjectKeyFormat`, in that order; for `None` (logging off) the empty
/// `<BucketLoggingStatus xmlns="…"/>`.
pub fn logging_status_xml(config: Option<&LoggingConfiguration>) -> String {
    let Some(config) = config else {
        let mut out = XmlWriter::new().finish();
        out.push_str(&format!("<BucketLoggingStatus xmlns=\"{S3_NS}\"/>"));
        return out;
    };
    let mut w = XmlWriter::new();
    w.open_root("BucketLoggingStatus");
    w.open("LoggingEnabled");
    w.elem("TargetBucket", &config.target_bucket);
    w.elem("TargetPrefix", &config.target_prefix);
    if !config.target_grants.is_empty() {
        w.open("TargetGrants");
        for grant in &config.target_grants {
            grant.write(&mut w);
        }
        w.close("TargetGrants");
    }
    w.open("TargetObjectKeyFormat");
    match config.key_format {
        KeyFormat::Simple => {
            w.open("SimplePrefix");
            w.close("SimplePrefix");
        }
        KeyFormat::Partitioned(source) => {
            w.open("PartitionedPrefix");
            w.elem("PartitionDateSource", source.as_str());
            w.close("PartitionedPrefix");
        }
    }
    w.close("TargetObjectKeyFormat");
    w.close("LoggingEnabled");
    w.close("BucketLoggingStatus");
    w.finish()
}

/// One access, as a line of AWS's server access log format
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html>). Every field is
/// written, `-` when it has no value; [`LogRecord::to_line`] gives the order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogRecord {
    /// The canonical ID of the source bucket's owner.
    pub bucket_owner: String,
    pub bucket: String,
    /// When the request was received, ms since the Unix epoch; written
    /// `[06/Feb/2019:00:00:38 +0000]`, in UTC.
    pub time_ms: i64,
    pub remote_ip: String,
    /// The requester's canonical ID or ARN; `None` for an anonymous request.
    pub requester: Option<String>,
    pub request_id: String,
    /// `REST.GET.OBJECT` and the like: see [`rest_operation`].
    pub operation: String,
    /// The object key, written URL-encoded (`/` kept).
    pub key: Option<String>,
    /// The request line, `GET /bucket/key?x HTTP/1.1`, written in double quotes.
    pub request_uri: String,
    pub http_status: u16,
    /// The S3 error code, for an error.
    pub error_code: Option<String>,
    /// Response bytes sent, not counting headers; `-` for none, as AWS writes zero.
    pub bytes_sent: Option<u64>,
    pub object_size: Option<u64>,
    /// From the request received to the last response byte sent, in ms.
    pub total_time_ms: u64,
    /// From the last request byte received to the first response byte sent, in ms.
    pub turn_around_time_ms: Option<u64>,
    /// The `Referer` header, written in double quotes.
    pub referer: Option<String>,
    /// The `User-Agent` header, written in double quotes.
    pub user_agent: Option<String>,
    pub version_id: Option<String>,
    /// `x-amz-id-2`.
    pub host_id: String,
    /// `SigV2` or `SigV4`; `None` for an unauthenticated request.
    pub signature_version: Option<String>,
    /// The TLS cipher suite, for HTTPS.
    pub cipher_suite: Option<String>,
    /// `AuthHeader` or `QueryString`.
    pub authentication_type: Option<String>,
    /// The `Host` header.
    pub host_header: Option<String>,
    /// `TLSv1.2` or `TLSv1.3`, for HTTPS.
    pub tls_version: Option<String>,
}

/// A bare field: `-` when absent or empty, else percent-encoded so that it holds no space.
fn token(value: Option<&str>) -> Cow<'_, str> {
    match value {
        None | Some("") => Cow::Borrowed(DASH),
        Some(v) => utf8_percent_encode(v, TOKEN_ENCODE).into(),
    }
}

/// A field in double quotes, `"-"` when absent or empty; see the module's comment for the
/// escapes.
fn quoted(value: Option<&str>) -> Cow<'static, str> {
    let value = value.filter(|v| !v.is_empty()).unwrap_or(DASH);
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\x{:02X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    Cow::Owned(out)
}

fn number(value: Option<u64>) -> Cow<'static, str> {
    value.map_or(Cow::Borrowed(DASH), |n| Cow::Owned(n.to_string()))
}

/// A time in UTC; one outside what chrono holds is the epoch.
fn utc(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

impl LogRecord {
    /// The record as one line, ending in `\n`: bucket_owner bucket [time] remote_ip
    /// requester request_id operation key "request_uri" http_status error_code bytes_sent
    /// object_size total_time turn_around_time "referer" "user_agent" version_id host_id
    /// signature_version cipher_suite authentication_type host_header tls_version
    /// access_point_arn acl_required, separated by one space. Quoting and escaping: see the
    /// module's comment.
    pub fn to_line(&self) -> String {
        let time = utc(self.time_ms).format("[%d/%b/%Y:%H:%M:%S +0000]").to_string();
        let key = match self.key.as_deref() {
            None | Some("") => Cow::Borrowed(DASH),
            Some(key) => utf8_percent_encode(key, KEY_ENCODE).into(),
        };
        let fields: [Cow<'_, str>; 26] = [
            token(Some(&self.bucket_owner)),
            token(Some(&self.bucket)),
            Cow::Owned(time),
            token(Some(&self.remote_ip)),
            token(self.requester.as_deref()),
            token(Some(&self.request_id)),
            token(Some(&self.operation)),
            key,
            quoted(Some(&self.request_uri)),
            Cow::Owned(self.http_status.to_string()),
            token(self.error_code.as_deref()),
            number(self.bytes_sent.filter(|n| *n > 0)),
            number(self.object_size),
            Cow::Owned(self.total_time_ms.to_string()),
            number(self.turn_around_time_ms),
            quoted(self.referer.as_deref()),
            quoted(self.user_agent.as_deref()),
            token(self.version_id.as_deref()),
            token(Some(&self.host_id)),
            token(self.signature_version.as_deref()),
            token(self.cipher_suite.as_deref()),
            token(self.authentication_type.as_deref()),
            token(self.host_header.as_deref()),
            token(self.tls_version.as_deref()),
            Cow::Borrowed(DASH),
            Cow::Borrowed(DASH),
        ];
        let mut line = fields.join(" ");
        line.push('\n');
        line
    }
}

/// The resource part of AWS's operation names, for the S3 operations named; the method is
/// the request's.
const RESOURCES: [(&str, &[&str]); 25] = [
    ("OBJECT", &["GetObject", "PutObject", "HeadObject", "DeleteObject", "PostObject"]),
    ("BUCKET", &["ListObjects", "ListObjectsV2", "HeadBucket", "CreateBucket", "DeleteBucket"]),
    ("BUCKETVERSIONS", &["ListObjectVersions"]),
    ("SERVICE", &["ListBuckets"]),
    ("UPLOADS", &["CreateMultipartUpload", "ListMultipartUploads"]),
    ("UPLOAD", &["CompleteMultipartUpload", "AbortMultipartUpload", "ListParts"]),
    ("PART", &["UploadPart"]),
    ("OBJECT_TAGGING", &["GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging"]),
    ("ACL", &["GetObjectAcl", "PutObjectAcl", "GetBucketAcl", "PutBucketAcl"]),
    ("VERSIONING", &["GetBucketVersioning", "PutBucketVersioning"]),
    ("BUCKETPOLICY", &["GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"]),
    ("POLICY_STATUS", &["GetBucketPolicyStatus"]),
    ("CORS", &["GetBucketCors", "PutBucketCors", "DeleteBucketCors"]),
    ("PREFLIGHT", &["Preflight"]),
    ("LIFECYCLE", &["GetBucketLifecycleConfiguration", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle"]),
    ("ENCRYPTION", &["GetBucketEncryption", "PutBucketEncryption", "DeleteBucketEncryption"]),
    ("LOGGING_STATUS", &["GetBucketLogging", "PutBucketLogging", "DeleteBucketLogging"]),
    ("MULTI_OBJECT_DELETE", &["DeleteObjects"]),
    ("LOCATION", &["GetBucketLocation"]),
    ("TAGGING", &["GetBucketTagging", "PutBucketTagging", "DeleteBucketTagging"]),
    ("RETENTION", &["GetObjectRetention", "PutObjectRetention"]),
    ("LEGAL_HOLD", &["GetObjectLegalHold", "PutObjectLegalHold"]),
    ("OBJECT_LOCK_CONFIGURATION", &["GetObjectLockConfiguration", "PutObjectLockConfiguration", "DeleteObjectLockConfiguration"]),
    ("PUBLIC_ACCESS_BLOCK", &["GetPublicAccessBlock", "PutPublicAccessBlock", "DeletePublicAccessBlock"]),
    ("OWNERSHIP_CONTROLS", &["GetBucketOwnershipControls", "PutBucketOwnershipControls", "DeleteBucketOwnershipControls"]),
];

/// AWS's `operation` field, `REST.{method}.{resource}`, from the request's HTTP method and
/// the S3 operation's name as `Operation::name()` gives it: `REST.GET.OBJECT`,
/// `REST.POST.UPLOADS`, `REST.GET.LOGGING_STATUS`… A copy is `REST.COPY.OBJECT` or
/// `REST.COPY.PART` whatever the method (AWS also logs `REST.COPY.OBJECT_GET` for the
/// source; Depot does not). A name not in the table is `REST.{METHOD}.{NAME uppercased}`.
pub fn rest_operation(method: &str, operation_name: &str) -> String {
    let method = method.to_ascii_uppercase();
    match operation_name {
        "CopyObject" => "REST.COPY.OBJECT".to_owned(),
        "UploadPartCopy" => "REST.COPY.PART".to_owned(),
        name => match RESOURCES.iter().find(|(_, names)| names.contains(&name)) {
            Some((resource, _)) => format!("REST.{method}.{resource}"),
            None => format!("REST.{method}.{}", name.to_ascii_uppercase()),
        },
    }
}

/// The key of a log object in the target bucket
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html#server-log-keyname-format>),
/// in UTC:
/// - simple: `{TargetPrefix}YYYY-mm-DD-HH-MM-SS-{unique}`;
/// - partitioned: `{TargetPrefix}{account_id}/{region}/{source_bucket}/YYYY/MM/DD/YYYY-mm-DD-HH-MM-SS-{unique}`,
///   the partition's date from `event_time_ms` (the earliest record in the object) for
///   `EventTime`, from `delivery_time_ms` for `DeliveryTime`.
///
/// The time in the name is always the delivery time. `unique` is the caller's (AWS's is 16
/// hex digits) and makes names written in one second differ.
pub fn log_object_key(
    config: &LoggingConfiguration,
    account_id: &str,
    region: &str,
    source_bucket: &str,
    event_time_ms: i64,
    delivery_time_ms: i64,
    unique: &str,
) -> String {
    let prefix = &config.target_prefix;
    let delivered = utc(delivery_time_ms).format(KEY_TIME);
    match config.key_format {
        KeyFormat::Simple => format!("{prefix}{delivered}-{unique}"),
        KeyFormat::Partitioned(source) => {
            let partition_ms = match source {
                PartitionDateSource::EventTime => event_time_ms,
                PartitionDateSource::DeliveryTime => delivery_time_ms,
            };
            let day = utc(partition_ms).format("%Y/%m/%d");
            format!("{prefix}{account_id}/{region}/{source_bucket}/{day}/{delivered}-{unique}")
        }
    }
}
