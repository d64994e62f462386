//! The POST policy document: base64 JSON with `expiration` and `conditions`, and the rules
//! a form must meet under it (every condition holds, every field is covered, the file's
//! size is in `content-length-range`).
//!
//! Pure: the caller gives the form, the bucket, the time and the file's size. It does not
//! check the signature over the policy (`signature` does, over the text as received).

use base64::Engine;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

use super::PostForm;
use crate::error::{S3Error, S3ErrorCode, S3Result};

/// Fields no condition has to cover: the signature, the policy and the file (SigV4), the
/// SigV2 pair, and `x-ignore-*`.
const EXEMPT: &[&str] = &["policy", "x-amz-signature", "signature", "awsaccesskeyid", "file"];

/// The decoded policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostPolicy {
    expiration: DateTime<Utc>,
    conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Condition {
    /// `{"field": "value"}` (as `eq`), `["eq", "$field", "value"]` or
    /// `["starts-with", "$field", "prefix"]`. `op` and `target` are kept as written.
    Match { starts_with: bool, op: String, target: String, value: String },
    /// `["content-length-range", min, max]`. Bounds are JSON integers or text; text that is
    /// not a number fails the condition when the form is checked, as S3 answers.
    Range { op: String, min: Bound, max: Bound },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Bound {
    Number(u64),
    Text(String),
}

impl Bound {
    fn value(&self) -> Option<u64> {
        match self {
            Bound::Number(n) => Some(*n),
            Bound::Text(t) => t.trim().parse().ok(),
        }
    }

    fn show(&self) -> String {
        match self {
            Bound::Number(n) => n.to_string(),
            Bound::Text(t) => quote(t),
        }
    }
}

/// A JSON string literal, as S3 prints the parts of a failed condition.
fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

impl Condition {
    /// The condition as S3 prints it: `["eq", "$key", "x"]`.
    fn show(&self) -> String {
        match self {
            Condition::Match { op, target, value, .. } => format!("[{}, {}, {}]", quote(op), quote(target), quote(value)),
            Condition::Range { op, min, max } => format!("[{}, {}, {}]", quote(op), min.show(), max.show()),
        }
    }

    /// The field a match condition names, lower-case; `None` without the `$`.
    fn field(&self) -> Option<String> {
        match self {
            Condition::Match { target, .. } => target.strip_prefix('$').map(str::to_ascii_lowercase),
            Condition::Range { .. } => None,
        }
    }
}

fn invalid(detail: impl std::fmt::Display) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidPolicyDocument, format!("Invalid Policy: {detail}"))
}

fn invalid_json() -> S3Error {
    invalid("Invalid JSON.")
}

fn violation(detail: impl std::fmt::Display) -> S3Error {
    S3Error::with_message(S3ErrorCode::AccessDenied, format!("Invalid according to Policy: {detail}"))
}

impl PostPolicy {
    /// Decodes the `policy` field: base64 (ASCII whitespace ignored) of a UTF-8 JSON object
    /// with exactly `expiration` (`YYYY-MM-DDTHH:MM:SS[.fff]Z`) and `conditions` (a list).
    /// Anything else -> `InvalidPolicyDocument` "Invalid Policy: ..." with S3's wording
    /// where it is known (`Invalid JSON.`, `Invalid 'expiration' value: '...'`,
    /// `Invalid Simple-Condition: ...`, `Unexpected: '...'`).
    pub fn parse(policy_b64: &str) -> S3Result<PostPolicy> {
        let compact: String = policy_b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()).map_err(|_| invalid_json())?;
        let Ok(Value::Object(document)) = serde_json::from_slice::<Value>(&bytes) else {
            return Err(invalid_json());
        };
        if let Some(name) = document.keys().find(|k| !matches!(k.as_str(), "expiration" | "conditions")) {
            return Err(invalid(format!("Unexpected: '{}'", name.to_lowercase())));
        }
        let expiration = match document.get("expiration") {
            None => return Err(invalid("Policy missing expiration.")),
            Some(Value::String(text)) => parse_expiration(text).ok_or_else(|| invalid(format!("Invalid 'expiration' value: '{text}'")))?,
            Some(other) => return Err(invalid(format!("Invalid 'expiration' value: '{other}'"))),
        };
        let conditions = match document.get("conditions") {
            None => return Err(invalid("Policy missing conditions.")),
            Some(Value::Array(list)) => list.iter().map(parse_condition).collect::<S3Result<Vec<_>>>()?,
            Some(_) => return Err(invalid("Invalid 'conditions' value: must be a List.")),
        };
        Ok(PostPolicy { expiration, conditions })
    }

    /// When the policy stops being valid.
    pub fn expiration(&self) -> DateTime<Utc> {
        self.expiration
    }

    /// Checks the form (after [`PostForm::expand_filename`]) against the policy, as S3 does:
    /// expired (`expiration <= now`) -> `AccessDenied` "Invalid according to Policy: Policy
    /// expired."; then each condition in order (`bucket` is the bucket addressed, a field
    /// the form lacks is empty) -> "... Policy Condition failed: [\"eq\", \"$key\", \"x\"]";
    /// then coverage: every field but `policy`, `x-amz-signature`, `signature`,
    /// `AWSAccessKeyId`, `file` and `x-ignore-*`, and `bucket`, must be named by some
    /// condition -> "... Extra input fields: name" (lower-case). Field and condition names
    /// are case-insensitive, values are not. `starts-with` on `Content-Type` treats a
    /// comma-separated value as a list whose every item must match.
    pub fn check(&self, form: &PostForm, bucket: &str, now: DateTime<Utc>) -> S3Result<()> {
        if self.expiration <= now {
            return Err(violation("Policy expired."));
        }
        for condition in &self.conditions {
            if !holds(condition, form, bucket) {
                return Err(violation(format!("Policy Condition failed: {}", condition.show())));
            }
        }
        let covered: Vec<String> = self.conditions.iter().filter_map(Condition::field).collect();
        let is_covered = |name: &str| covered.iter().any(|c| c == name);
        let extra: Vec<&str> = std::iter::once("bucket")
            .chain(form.iter().map(|(name, _)| name).filter(|name| *name != "bucket"))
            .filter(|name| !EXEMPT.contains(name) && !name.starts_with("x-ignore-") && !is_covered(name))
            .collect();
        if !extra.is_empty() {
            return Err(violation(format!("Extra input fields: {}", extra.join(", "))));
        }
        Ok(())
    }

    /// The inclusive size bounds of the `content-length-range` conditions (several narrow
    /// each other); `None` without one.
    pub fn content_length_range(&self) -> Option<(u64, u64)> {
        self.conditions
            .iter()
            .filter_map(|c| match c {
                Condition::Range { min, max, .. } => Some((min.value()?, max.value()?)),
                Condition::Match { .. } => None,
            })
            .reduce(|(min_a, max_a), (min_b, max_b)| (min_a.max(min_b), max_a.min(max_b)))
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` with optional fractional seconds; S3 refuses offsets, a space for
/// the `T`, and dates that do not exist.
fn parse_expiration(text: &str) -> Option<DateTime<Utc>> {
    let naive = text.strip_suffix('Z')?;
    if naive.len() < 19 || naive.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    NaiveDateTime::parse_from_str(naive, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|t| Utc.from_utc_datetime(&t))
}

fn parse_condition(value: &Value) -> S3Result<Condition> {
    match value {
        Value::Object(map) => {
            let mut entries = map.iter();
            let (Some((name, value)), None) = (entries.next(), entries.next()) else {
                return Err(invalid("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."));
            };
            match value {
                Value::String(value) => Ok(Condition::Match { starts_with: false, op: "eq".to_owned(), target: format!("${name}"), value: value.clone() }),
                Value::Null => Err(invalid_json()),
                _ => Err(invalid("Invalid Simple-Condition: value must be a string.")),
            }
        }
        Value::Array(items) => {
            let Some(Value::String(op)) = items.first() else {
                return Err(invalid("Invalid Condition: missing operation identifier."));
            };
            let lower = op.to_ascii_lowercase();
            if !matches!(lower.as_str(), "eq" | "starts-with" | "content-length-range") {
                return Err(invalid(format!("Invalid Condition: unknown operation '{op}'.")));
            }
            if items.len() != 3 {
                return Err(invalid(format!("Invalid {op}: wrong number of arguments.")));
            }
            if lower == "content-length-range" {
                return Ok(Condition::Range { op: op.clone(), min: bound(&items[1])?, max: bound(&items[2])? });
            }
            let (Value::String(target), Value::String(value)) = (&items[1], &items[2]) else {
                return Err(invalid_json());
            };
            Ok(Condition::Match { starts_with: lower == "starts-with", op: op.clone(), target: target.clone(), value: value.clone() })
        }
        _ => Err(invalid("Invalid condition test: must be a List or Object.")),
    }
}

/// A `content-length-range` bound: a non-negative JSON integer, or text (checked later).
/// A fraction or another JSON type -> "Invalid JSON." (S3's answer to `512.0`).
fn bound(value: &Value) -> S3Result<Bound> {
    match value {
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(n), _) => Ok(Bound::Number(n)),
            (None, Some(_)) => Err(invalid("Invalid content-length-range: a size must not be negative.")),
            (None, None) => Err(invalid_json()),
        },
        Value::String(text) => Ok(Bound::Text(text.clone())),
        _ => Err(invalid_json()),
    }
}

fn holds(condition: &Condition, form: &PostForm, bucket: &str) -> bool {
    match condition {
        Condition::Range { min, max, .. } => min.value().is_some() && max.value().is_some(),
        Condition::Match { starts_with, value: expected, .. } => {
            let Some(field) = condition.field() else { return false };
            let actual = if field == "bucket" { bucket } else { form.get(&field).unwrap_or_default() };
            match (*starts_with, field.as_str()) {
                (false, _) => actual == expected,
                (true, _) if expected.is_empty() => true,
                (true, "content-type") => actual.split(',').all(|item| item.trim_start().starts_with(expected.as_str())),
                (true, _) => actual.starts_with(expected.as_str()),
            }
        }
    }
}

/// The file's size against the policy's bounds: over the maximum -> `EntityTooLarge`
/// "Your proposed upload exceeds the maximum allowed size" with `ProposedSize` and
/// `MaxSizeAllowed`; under the minimum -> `EntityTooSmall` "... smaller than the minimum
/// allowed size" with `ProposedSize` and `MinSizeAllowed` (S3's recorded answers).
pub fn check_length(range: Option<(u64, u64)>, len: u64) -> S3Result<()> {
    let Some((min, max)) = range else { return Ok(()) };
    if len > max {
        return Err(S3Error::with_message(S3ErrorCode::EntityTooLarge, "Your proposed upload exceeds the maximum allowed size")
            .extra("ProposedSize", len.to_string())
            .extra("MaxSizeAllowed", max.to_string()));
    }
    if len < min {
        return Err(S3Error::with_message(S3ErrorCode::EntityTooSmall, "Your proposed upload is smaller than the minimum allowed size")
            .extra("ProposedSize", len.to_string())
            .extra("MinSizeAllowed", min.to_string()));
    }
    Ok(())
}
