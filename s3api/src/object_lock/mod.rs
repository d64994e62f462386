//! S3 Object Lock, the protocol half: the documents of Put/GetObjectLockConfiguration,
//! Put/GetObjectRetention and Put/GetObjectLegalHold parsed and validated as S3 does, the
//! `x-amz-object-lock-*` request and response headers, a stored JSON form of the bucket's
//! configuration, and the pure rules that say whether a locked version may be deleted or
//! its retention replaced.
//!
//! Owns the documents' shapes, S3's error codes and messages for them, how a default
//! retention turns into a retain-until time, and the WORM rules of the two modes and the
//! legal hold. It must not load or store anything, read a clock or know which bucket or
//! version it is asked about: the server stores the configuration and each version's
//! retention and legal hold, passes `now` in, and answers with what comes back.
//!
//! Left to the server (S3's behaviour, so a caller knows): lock headers, a retention or a
//! legal hold on a bucket without Object Lock are `InvalidRequest` "Bucket is missing
//! Object Lock Configuration"; a bucket's default retention applies to a new version only
//! when its request names no retention of its own; a delete or retention change these rules
//! refuse is `AccessDenied`; honouring `x-amz-bypass-governance-retention` needs the
//! `s3:BypassGovernanceRetention` permission.
//!
//! Choices where AWS's documentation leaves room, each tested in `tests.rs`:
//! - a year of default retention is 365 days (as Ceph RGW counts it), not a calendar year;
//! - `<Rule>` without `<DefaultRetention>` is `MalformedXML` (the schema's rule holds one);
//! - `Days`/`Years` that is not an integer (`1.5`, `abc`, past `i64`) is `MalformedXML`;
//!   the range checks (positive, at most 36,500 days or 100 years) are `InvalidArgument`;
//! - modes and legal-hold statuses are matched exactly, uppercase, in bodies and headers,
//!   as S3's enums spell them;
//! - a date is RFC 3339 (`Z` or `±hh:mm`, fractional seconds allowed) or ISO 8601 with a
//!   `±hhmm` offset; it is kept in milliseconds (finer digits truncated) and must fall in
//!   the years 0000 to 9999, so that it can always be written back;
//! - a retention holds while `now < retain_until`: at the retain-until instant it has
//!   expired, which is why a new one must be strictly in the future.

use chrono::DateTime;
use http::HeaderMap;
use serde::{Deserialize, Serialize};

use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::headers::{format_iso8601, header_str};
use crate::xml::request::{check_root, parse as parse_xml};
use crate::xml::XmlWriter;

#[cfg(test)]
mod tests;

/// The longest default retention in days, and in years.
pub const MAX_DAYS: i64 = 36_500;
pub const MAX_YEARS: i64 = 100;
/// The request and response headers.
pub const MODE_HEADER: &str = "x-amz-object-lock-mode";
pub const RETAIN_UNTIL_DATE_HEADER: &str = "x-amz-object-lock-retain-until-date";
pub const LEGAL_HOLD_HEADER: &str = "x-amz-object-lock-legal-hold";
pub const BYPASS_GOVERNANCE_HEADER: &str = "x-amz-bypass-governance-retention";

const PERIOD_NOT_POSITIVE: &str = "Default retention period must be a positive integer value.";
const PERIOD_TOO_LARGE: &str = "Default retention period is too large.";
const NOT_IN_FUTURE: &str = "The retain until date must be in the future!";
const BOTH_REQUIRED: &str = "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied";
const UNKNOWN_MODE: &str = "Unknown wormMode directive.";
const DATE_NOT_ISO8601: &str = "The retain until date must be provided in ISO 8601 format";
const BAD_LEGAL_HOLD: &str = "Legal Hold must be either of 'ON' or 'OFF'";

const MS_PER_DAY: i64 = 86_400_000;
/// "A year is 365 days" when a default retention is counted in years.
const DAYS_PER_YEAR: i64 = 365;
/// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the times `format_iso8601` writes
/// in four-digit years.
const MIN_MS: i64 = -62_167_219_200_000;
const MAX_MS: i64 = 253_402_300_799_999;

/// A retention mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RetentionMode {
    /// Deletable, or shortened, by a user allowed to bypass governance who asks to.
    Governance,
    /// No one may delete the version or shorten its retention until it expires.
    Compliance,
}

impl RetentionMode {
    /// The name as S3 writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            RetentionMode::Governance => "GOVERNANCE",
            RetentionMode::Compliance => "COMPLIANCE",
        }
    }

    /// `GOVERNANCE` or `COMPLIANCE`, exactly.
    pub fn parse(s: &str) -> Option<RetentionMode> {
        match s {
            "GOVERNANCE" => Some(RetentionMode::Governance),
            "COMPLIANCE" => Some(RetentionMode::Compliance),
            _ => None,
        }
    }
}

/// A default retention's length: `Days` (1 to 36,500) or `Years` (1 to 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RetentionPeriod {
    Days(u32),
    Years(u32),
}

/// A bucket's `<DefaultRetention>`: what a new version gets when its request names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultRetention {
    pub mode: RetentionMode,
    pub period: RetentionPeriod,
}

impl DefaultRetention {
    /// The retain-until time (ms since the Unix epoch) of a version written at
    /// `written_ms`: that plus the days, a year counted as 365 days. Saturates rather than
    /// overflows.
    pub fn retain_until(&self, written_ms: i64) -> i64 {
        let days = match self.period {
            RetentionPeriod::Days(days) => i64::from(days),
            RetentionPeriod::Years(years) => i64::from(years).saturating_mul(DAYS_PER_YEAR),
        };
        written_ms.saturating_add(days.saturating_mul(MS_PER_DAY))
    }

    /// The retention a version written at `written_ms` gets.
    pub fn retention(&self, written_ms: i64) -> Retention {
        Retention { mode: self.mode, retain_until_ms: self.retain_until(written_ms) }
    }
}

/// A bucket's Object Lock configuration. Object Lock itself is always enabled in it (S3 has
/// no way to disable it); the default retention is optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectLockConfiguration {
    pub default_retention: Option<DefaultRetention>,
}

/// A version's retention: its mode and the time (ms since the Unix epoch) it holds until.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    pub mode: RetentionMode,
    pub retain_until_ms: i64,
}

impl Retention {
    /// Whether it still protects its version at `now_ms`.
    pub fn is_active(&self, now_ms: i64) -> bool {
        now_ms < self.retain_until_ms
    }
}

/// `<ObjectLockConfiguration>` as sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ObjectLockConfigurationXml {
    #[serde(rename = "@xmlns", default)]
    _xmlns: Option<String>,
    #[serde(rename = "ObjectLockEnabled", default)]
    object_lock_enabled: Option<String>,
    #[serde(rename = "Rule", default)]
    rule: Option<RuleXml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleXml {
    #[serde(rename = "DefaultRetention", default)]
    default_retention: Option<DefaultRetentionXml>,
}

/// Numbers are read as text so that a value out of range gets S3's own answer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultRetentionXml {
    #[serde(rename = "Mode", default)]
    mode: Option<String>,
    #[serde(rename = "Days", default)]
    days: Option<String>,
    #[serde(rename = "Years", default)]
    years: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetentionXml {
    #[serde(rename = "@xmlns", default)]
    _xmlns: Option<String>,
    #[serde(rename = "Mode", default)]
    mode: Option<String>,
    #[serde(rename = "RetainUntilDate", default)]
    retain_until_date: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LegalHoldXml {
    #[serde(rename = "@xmlns", default)]
    _xmlns: Option<String>,
    #[serde(rename = "Status", default)]
    status: Option<String>,
}

fn malformed() -> S3Error {
    S3Error::new(S3ErrorCode::MalformedXML)
}

fn invalid_argument(message: &'static str) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, message)
}

/// A time as S3 writes it: `2030-01-01T00:00:00.000Z`. Parsing bounds times to what chrono
/// holds, so the fallback (the epoch) is never reached.
fn date_text(ms: i64) -> String {
    format_iso8601(DateTime::from_timestamp_millis(ms).unwrap_or_default())
}

/// An ISO 8601 time with a zone (see the module's comment), in ms since the Unix epoch.
fn parse_date(text: &str) -> Option<i64> {
    let text = text.trim();
    let t = DateTime::parse_from_rfc3339(text).or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z")).ok()?;
    let ms = t.timestamp_millis();
    (MIN_MS..=MAX_MS).contains(&ms).then_some(ms)
}

fn on_off(on: bool) -> &'static str {
    if on {
        "ON"
    } else {
        "OFF"
    }
}

impl ObjectLockConfiguration {
    /// Parses a PutObjectLockConfiguration body. In order: not XML, another root, an element
    /// the schema lacks or given twice, `ObjectLockEnabled` absent or not `Enabled`, a `Rule`
    /// without `DefaultRetention`, a `DefaultRetention` without `Mode` or without exactly
    /// one of `Days`/`Years`, an unknown `Mode`, a period that is not an integer:
    /// `MalformedXML`; a period below 1: `InvalidArgument` "Default retention period must
    /// be a positive integer value."; over 36,500 days or 100 years: `InvalidArgument`
    /// "Default retention period is too large.".
    pub fn from_xml(body: &[u8]) -> S3Result<ObjectLockConfiguration> {
        let doc: ObjectLockConfigurationXml = parse_xml(body)?;
        check_root(body, "ObjectLockConfiguration")?;
        if doc.object_lock_enabled.as_deref() != Some("Enabled") {
            return Err(malformed());
        }
        let default_retention = match doc.rule {
            None => None,
            Some(RuleXml { default_retention: None }) => return Err(malformed()),
            Some(RuleXml { default_retention: Some(raw) }) => Some(default_retention(&raw)?),
        };
        Ok(ObjectLockConfiguration { default_retention })
    }

    /// The GetObjectLockConfiguration document: `ObjectLockEnabled` `Enabled`, then the
    /// `Rule` with its `DefaultRetention` (`Mode`, then `Days` or `Years`) when set.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open_root("ObjectLockConfiguration");
        w.elem("ObjectLockEnabled", "Enabled");
        if let Some(default) = &self.default_retention {
            w.open("Rule");
            w.open("DefaultRetention");
            w.elem("Mode", default.mode.as_str());
            match default.period {
                RetentionPeriod::Days(days) => w.num_elem("Days", days),
                RetentionPeriod::Years(years) => w.num_elem("Years", years),
            }
            w.close("DefaultRetention");
            w.close("Rule");
        }
        w.close("ObjectLockConfiguration");
        w.finish()
    }

    /// The stored form (JSON).
    pub fn to_json(&self) -> String {
        // Only enums, integers and options: serde_json always writes them.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads the stored form back; text that does not parse is the server's fault, a plain
    /// `InternalError`.
    pub fn from_json(s: &str) -> S3Result<ObjectLockConfiguration> {
        serde_json::from_str(s).map_err(|_| S3Error::new(S3ErrorCode::InternalError))
    }
}

fn default_retention(raw: &DefaultRetentionXml) -> S3Result<DefaultRetention> {
    let mode = raw.mode.as_deref().ok_or_else(malformed)?;
    let (text, max, period): (&str, i64, fn(u32) -> RetentionPeriod) = match (&raw.days, &raw.years) {
        (Some(days), None) => (days, MAX_DAYS, RetentionPeriod::Days),
        (None, Some(years)) => (years, MAX_YEARS, RetentionPeriod::Years),
        _ => return Err(malformed()),
    };
    let mode = RetentionMode::parse(mode).ok_or_else(malformed)?;
    let n: i64 = text.trim().parse().map_err(|_| malformed())?;
    if n < 1 {
        return Err(invalid_argument(PERIOD_NOT_POSITIVE));
    }
    if n > max {
        return Err(invalid_argument(PERIOD_TOO_LARGE));
    }
    let n = u32::try_from(n).map_err(|_| invalid_argument(PERIOD_TOO_LARGE))?;
    Ok(DefaultRetention { mode, period: period(n) })
}

impl Retention {
    /// Parses a PutObjectRetention body. An empty `<Retention/>` is `None`: the retention is
    /// to be removed (S3 allows that only of a GOVERNANCE retention, with bypass: see
    /// [`may_replace_retention`]). Not XML, another root, an unknown element, `Mode` without
    /// `RetainUntilDate` or the reverse, an unknown mode, a date that is not ISO 8601:
    /// `MalformedXML`. The date is not compared with now here: see [`Retention::check_future`].
    pub fn from_xml(body: &[u8]) -> S3Result<Option<Retention>> {
        let doc: RetentionXml = parse_xml(body)?;
        check_root(body, "Retention")?;
        match (doc.mode, doc.retain_until_date) {
            (None, None) => Ok(None),
            (Some(mode), Some(date)) => {
                let mode = RetentionMode::parse(&mode).ok_or_else(malformed)?;
                let retain_until_ms = parse_date(&date).ok_or_else(malformed)?;
                Ok(Some(Retention { mode, retain_until_ms }))
            }
            _ => Err(malformed()),
        }
    }

    /// The GetObjectRetention document: `Mode`, then `RetainUntilDate` as
    /// `2030-01-01T00:00:00.000Z`.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open_root("Retention");
        w.elem("Mode", self.mode.as_str());
        w.elem("RetainUntilDate", &date_text(self.retain_until_ms));
        w.close("Retention");
        w.finish()
    }

    /// `InvalidArgument` "The retain until date must be in the future!" unless the date is
    /// after `now_ms`.
    pub fn check_future(&self, now_ms: i64) -> S3Result<()> {
        if self.retain_until_ms > now_ms {
            Ok(())
        } else {
            Err(invalid_argument(NOT_IN_FUTURE))
        }
    }
}

/// Parses a PutObjectLegalHold body: `<LegalHold><Status>ON|OFF</Status></LegalHold>`, true
/// for `ON`. Anything else (no `Status`, another value, another root, not XML):
/// `MalformedXML`.
pub fn legal_hold_from_xml(body: &[u8]) -> S3Result<bool> {
    let doc: LegalHoldXml = parse_xml(body)?;
    check_root(body, "LegalHold")?;
    match doc.status.as_deref() {
        Some("ON") => Ok(true),
        Some("OFF") => Ok(false),
        _ => Err(malformed()),
    }
}

/// The GetObjectLegalHold document.
pub fn legal_hold_xml(on: bool) -> String {
    let mut w = XmlWriter::new();
    w.open_root("LegalHold");
    w.elem("Status", on_off(on));
    w.close("LegalHold");
    w.finish()
}

/// The Object Lock request headers of PutObject, CopyObject and CreateMultipartUpload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LockHeaders {
    pub retention: Option<Retention>,
    pub legal_hold: Option<bool>,
}

/// A header's trimmed value when it was sent; one that is not visible ASCII reads as "",
/// which no check accepts.
fn sent<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|_| header_str(headers, name).unwrap_or(""))
}

impl LockHeaders {
    /// Reads `x-amz-object-lock-mode`, `x-amz-object-lock-retain-until-date` (ISO 8601) and
    /// `x-amz-object-lock-legal-hold` (`ON`|`OFF`). Every fault is `InvalidArgument`, the
    /// first found in this order: mode without date or the reverse, "x-amz-object-lock-
    /// retain-until-date and x-amz-object-lock-mode must both be supplied"; an unknown mode,
    /// "Unknown wormMode directive."; a date that is not ISO 8601, "The retain until date
    /// must be provided in ISO 8601 format"; a date not after `now_ms`, "The retain until
    /// date must be in the future!"; another legal hold, "Legal Hold must be either of 'ON'
    /// or 'OFF'".
    pub fn from_headers(headers: &HeaderMap, now_ms: i64) -> S3Result<LockHeaders> {
        let retention = match (sent(headers, MODE_HEADER), sent(headers, RETAIN_UNTIL_DATE_HEADER)) {
            (None, None) => None,
            (Some(mode), Some(date)) => {
                let mode = RetentionMode::parse(mode).ok_or_else(|| invalid_argument(UNKNOWN_MODE))?;
                let retain_until_ms = parse_date(date).ok_or_else(|| invalid_argument(DATE_NOT_ISO8601))?;
                let retention = Retention { mode, retain_until_ms };
                retention.check_future(now_ms)?;
                Some(retention)
            }
            _ => return Err(invalid_argument(BOTH_REQUIRED)),
        };
        let legal_hold = match sent(headers, LEGAL_HOLD_HEADER) {
            None => None,
            Some("ON") => Some(true),
            Some("OFF") => Some(false),
            Some(_) => return Err(invalid_argument(BAD_LEGAL_HOLD)),
        };
        Ok(LockHeaders { retention, legal_hold })
    }

    /// Whether the request named neither a retention nor a legal hold.
    pub fn is_empty(&self) -> bool {
        self.retention.is_none() && self.legal_hold.is_none()
    }
}

/// Whether `x-amz-bypass-governance-retention: true` (any case) was sent.
pub fn bypass_governance(headers: &HeaderMap) -> bool {
    header_str(headers, BYPASS_GOVERNANCE_HEADER).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// The headers GetObject and HeadObject answer for a version: its mode and retain-until
/// date (`2030-01-01T00:00:00.000Z`) when it has a retention, and its legal hold (`ON` or
/// `OFF`) when one was ever set.
pub fn response_headers(retention: Option<&Retention>, legal_hold: Option<bool>) -> Vec<(&'static str, String)> {
    let mut out = Vec::with_capacity(3);
    if let Some(retention) = retention {
        out.push((MODE_HEADER, retention.mode.as_str().to_owned()));
        out.push((RETAIN_UNTIL_DATE_HEADER, date_text(retention.retain_until_ms)));
    }
    if let Some(on) = legal_hold {
        out.push((LEGAL_HOLD_HEADER, on_off(on).to_owned()));
    }
    out
}

/// Whether a version with this retention and legal hold may be deleted (or overwritten in
/// place) at `now_ms`: never under a legal hold; never under an active COMPLIANCE retention;
/// under an active GOVERNANCE retention only with `bypass`; otherwise yes.
pub fn may_delete(retention: Option<&Retention>, legal_hold: bool, now_ms: i64, bypass: bool) -> bool {
    if legal_hold {
        return false;
    }
    match retention {
        Some(r) if r.is_active(now_ms) => match r.mode {
            RetentionMode::Compliance => false,
            RetentionMode::Governance => bypass,
        },
        _ => true,
    }
}

/// Whether `new` may replace `current` as a version's retention at `now_ms`
/// (PutObjectRetention; `new` None removes it). Without a current retention, or once it has
/// expired: anything. Under an active COMPLIANCE retention: only COMPLIANCE again with the
/// same or a later date, whatever `bypass` says. Under an active GOVERNANCE retention: a
/// retention of either mode with the same or a later date; shortening it, removing it, or
/// any other change needs `bypass`. The legal hold is independent and not asked.
pub fn may_replace_retention(current: Option<&Retention>, new: Option<&Retention>, now_ms: i64, bypass: bool) -> bool {
    let Some(current) = current.filter(|c| c.is_active(now_ms)) else {
        return true;
    };
    let keeps_or_extends = new.is_some_and(|n| n.retain_until_ms >= current.retain_until_ms);
    match current.mode {
        RetentionMode::Compliance => keeps_or_extends && new.is_some_and(|n| n.mode == RetentionMode::Compliance),
        RetentionMode::Governance => keeps_or_extends || bypass,
    }
}
