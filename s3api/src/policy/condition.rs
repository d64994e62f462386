//! The `Condition` element: operators, their typed values, the known condition keys, and
//! how a condition holds against a request's values.
//!
//! Owns parsing a condition block (unknown operators and keys, badly typed values are
//! `MalformedPolicy` at parse time) and AWS's semantics: values of one key ORed, keys and
//! operators ANDed, negated operators, `…IfExists`, `Null`, `ForAnyValue:`/`ForAllValues:`
//! and absent keys. It must not read anything but the values it is handed.

use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde_json::Value;

use super::parse::malformed;
use super::{glob, literal, Env, Pattern, Piece};
use crate::error::S3Error;

/// The condition keys a bucket policy may name, lowercased.
const KEYS: &[&str] = &[
    "aws:sourceip",
    "aws:securetransport",
    "aws:referer",
    "aws:useragent",
    "aws:currenttime",
    "aws:epochtime",
    "aws:principalarn",
    "aws:principaltype",
    "aws:userid",
    "aws:username",
    "aws:principalaccount",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceaccount",
    "s3:prefix",
    "s3:delimiter",
    "s3:max-keys",
    "s3:x-amz-acl",
    "s3:x-amz-server-side-encryption",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "s3:x-amz-copy-source",
    "s3:x-amz-metadata-directive",
    "s3:x-amz-storage-class",
    "s3:requestobjecttagkeys",
    "s3:versionid",
    "s3:x-amz-content-sha256",
    "s3:signatureversion",
    "s3:authtype",
    "s3:signatureage",
    "s3:tlsversion",
    "s3:object-lock-mode",
    "s3:object-lock-retain-until-date",
    "s3:object-lock-legal-hold",
];

/// Keys followed by a tag key of the caller's choosing.
const KEY_PREFIXES: &[&str] = &["s3:existingobjecttag/", "s3:requestobjecttag/"];

/// The keys that, fixed to known values, make a statement open to `*` not public.
const CALLER_KEYS: &[&str] =
    &["aws:principalarn", "aws:userid", "aws:username", "aws:principalaccount", "aws:sourcearn", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceaccount"];

/// An operator without its negation, `IfExists` and set qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Cmp),
    Date(Cmp),
    Bool,
    IpAddress,
    ArnEquals,
    ArnLike,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds(self, request: f64, policy: f64) -> bool {
        match self {
            Cmp::Eq => request == policy,
            Cmp::Lt => request < policy,
            Cmp::Le => request <= policy,
            Cmp::Gt => request > policy,
            Cmp::Ge => request >= policy,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Qualifier {
    None,
    ForAnyValue,
    ForAllValues,
}

/// The policy's values, typed by the operator.
#[derive(Debug, Clone)]
enum Values {
    Strings(Vec<Pattern>),
    /// Numbers, and dates as seconds since the epoch.
    Numbers(Vec<f64>),
    /// `Bool` and `Null`.
    Bools(Vec<bool>),
    Cidrs(Vec<Cidr>),
}

/// One key tested by one operator.
#[derive(Debug, Clone)]
pub(super) struct Condition {
    op: Op,
    negated: bool,
    if_exists: bool,
    qualifier: Qualifier,
    /// Lowercased.
    key: String,
    values: Values,
}

/// Parses a `Condition` element: `{"<Operator>": {"<key>": value-or-array, …}, …}`.
pub(super) fn parse_conditions(block: &Value) -> Result<Vec<Condition>, S3Error> {
    let Value::Object(operators) = block else { return Err(malformed("Condition block must be a JSON object")) };
    let mut out = Vec::new();
    for (name, keys) in operators {
        let (op, negated, if_exists, qualifier) = parse_operator(name).ok_or_else(|| malformed(format!("Invalid Condition type : {name}")))?;
        let Value::Object(keys) = keys else { return Err(malformed(format!("Condition operator {name} must map condition keys to values"))) };
        for (key, raw) in keys {
            let key = super::normalize_key(key);
            if !known_key(&key) {
                return Err(malformed("Policy has an invalid condition key"));
            }
            let raw = condition_strings(raw).ok_or_else(|| malformed(format!("Invalid Condition value for {name} on {key}")))?;
            let values = parse_values(op, &raw).ok_or_else(|| malformed(format!("Invalid Condition value for {name} on {key}: {}", raw.join(", "))))?;
            out.push(Condition { op, negated, if_exists, qualifier, key, values });
        }
    }
    Ok(out)
}

fn known_key(key: &str) -> bool {
    KEYS.contains(&key) || KEY_PREFIXES.iter().any(|p| key.strip_prefix(p).is_some_and(|tag| !tag.is_empty()))
}

/// `[ForAnyValue:|ForAllValues:]<Name>[IfExists]`, case-insensitive.
fn parse_operator(name: &str) -> Option<(Op, bool, bool, Qualifier)> {
    let lower = name.to_ascii_lowercase();
    let (qualifier, rest) = if let Some(rest) = lower.strip_prefix("foranyvalue:") {
        (Qualifier::ForAnyValue, rest)
    } else if let Some(rest) = lower.strip_prefix("forallvalues:") {
        (Qualifier::ForAllValues, rest)
    } else {
        (Qualifier::None, lower.as_str())
    };
    let (if_exists, base) = match rest.strip_suffix("ifexists") {
        Some(base) => (true, base),
        None => (false, rest),
    };
    let (op, negated) = match base {
        "stringequals" => (Op::StringEquals, false),
        "stringnotequals" => (Op::StringEquals, true),
        "stringequalsignorecase" => (Op::StringEqualsIgnoreCase, false),
        "stringnotequalsignorecase" => (Op::StringEqualsIgnoreCase, true),
        "stringlike" => (Op::StringLike, false),
        "stringnotlike" => (Op::StringLike, true),
        "numericequals" => (Op::Numeric(Cmp::Eq), false),
        "numericnotequals" => (Op::Numeric(Cmp::Eq), true),
        "numericlessthan" => (Op::Numeric(Cmp::Lt), false),
        "numericlessthanequals" => (Op::Numeric(Cmp::Le), false),
        "numericgreaterthan" => (Op::Numeric(Cmp::Gt), false),
        "numericgreaterthanequals" => (Op::Numeric(Cmp::Ge), false),
        "dateequals" => (Op::Date(Cmp::Eq), false),
        "datenotequals" => (Op::Date(Cmp::Eq), true),
        "datelessthan" => (Op::Date(Cmp::Lt), false),
        "datelessthanequals" => (Op::Date(Cmp::Le), false),
        "dategreaterthan" => (Op::Date(Cmp::Gt), false),
        "dategreaterthanequals" => (Op::Date(Cmp::Ge), false),
        "bool" => (Op::Bool, false),
        "ipaddress" => (Op::IpAddress, false),
        "notipaddress" => (Op::IpAddress, true),
        "arnequals" => (Op::ArnEquals, false),
        "arnnotequals" => (Op::ArnEquals, true),
        "arnlike" => (Op::ArnLike, false),
        "arnnotlike" => (Op::ArnLike, true),
        "null" if !if_exists => (Op::Null, false),
        _ => return None,
    };
    Some((op, negated, if_exists, qualifier))
}

/// A condition value: a string, number or boolean, or a non-empty array of them.
fn condition_strings(raw: &Value) -> Option<Vec<String>> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match raw {
        Value::Array(list) if !list.is_empty() => list.iter().map(one).collect(),
        Value::Array(_) => None,
        other => one(other).map(|s| vec![s]),
    }
}

/// The policy's values typed for `op`; `None` when one does not parse.
fn parse_values(op: Op, raw: &[String]) -> Option<Values> {
    Some(match op {
        Op::StringEquals | Op::StringEqualsIgnoreCase | Op::StringLike | Op::ArnEquals | Op::ArnLike => {
            Values::Strings(raw.iter().map(|s| Pattern::parse(s, true)).collect())
        }
        Op::Numeric(_) => Values::Numbers(raw.iter().map(|s| parse_number(s)).collect::<Option<_>>()?),
        Op::Date(_) => Values::Numbers(raw.iter().map(|s| parse_date(s)).collect::<Option<_>>()?),
        Op::Bool | Op::Null => Values::Bools(raw.iter().map(|s| parse_bool(s)).collect::<Option<_>>()?),
        Op::IpAddress => Values::Cidrs(raw.iter().map(|s| Cidr::parse(s)).collect::<Option<_>>()?),
    })
}

fn parse_number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// ISO 8601 (with or without a zone; date only) or epoch seconds, as epoch seconds.
fn parse_date(s: &str) -> Option<f64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().ok().map(|n| n as f64);
    }
    let seconds = |t: NaiveDateTime| {
        let utc = t.and_utc();
        utc.timestamp() as f64 + f64::from(utc.timestamp_subsec_millis()) / 1000.0
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(seconds(t.naive_utc()));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Some(seconds(t));
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(seconds)
}

/// An address range: `addr/prefix`, or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr.parse::<IpAddr>().ok()?, Some(prefix.parse::<u8>().ok()?)),
            None => (s.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    /// Whether the range is the whole address space (`0.0.0.0/0`, `::/0`).
    fn is_everything(self) -> bool {
        self.prefix == 0
    }

    fn contains(self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => prefix_eq(u128::from(u32::from(net)) << 96, u128::from(u32::from(ip)) << 96, self.prefix),
            (IpAddr::V6(net), IpAddr::V6(ip)) => prefix_eq(u128::from(net), u128::from(ip), self.prefix),
            _ => false,
        }
    }
}

/// Whether the first `prefix` bits of `a` and `b` agree.
fn prefix_eq(a: u128, b: u128, prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    a & mask == b & mask
}

impl Condition {
    /// Whether the condition holds for the request.
    pub(super) fn holds(&self, env: &Env<'_, '_>) -> bool {
        let values = env.values(&self.key);
        let request: &[String] = values.as_deref().unwrap_or(&[]);
        if self.op == Op::Null {
            let Values::Bools(wanted) = &self.values else { return false };
            return wanted.contains(&request.is_empty());
        }
        if request.is_empty() {
            return match self.qualifier {
                _ if self.if_exists => true,
                Qualifier::ForAllValues => true,
                Qualifier::ForAnyValue => false,
                Qualifier::None => self.negated,
            };
        }
        let ok = |v: &String| self.matches_any(v, env) != self.negated;
        match self.qualifier {
            Qualifier::ForAllValues => request.iter().all(ok),
            Qualifier::ForAnyValue => request.iter().any(ok),
            // A negated operator holds when no value matches; a plain one when any does.
            Qualifier::None if self.negated => request.iter().all(ok),
            Qualifier::None => request.iter().any(ok),
        }
    }

    /// Whether one request value matches any of the policy's values (before negation).
    fn matches_any(&self, value: &str, env: &Env<'_, '_>) -> bool {
        match &self.values {
            Values::Strings(patterns) => patterns.iter().any(|p| p.resolve(env).is_some_and(|pieces| self.string_match(&pieces, value))),
            Values::Numbers(numbers) => {
                let (Op::Numeric(cmp) | Op::Date(cmp)) = self.op else { return false };
                let parsed = if matches!(self.op, Op::Date(_)) { parse_date(value) } else { parse_number(value) };
                parsed.is_some_and(|v| numbers.iter().any(|p| cmp.holds(v, *p)))
            }
            Values::Bools(bools) => parse_bool(value).is_some_and(|v| bools.contains(&v)),
            Values::Cidrs(cidrs) => value.trim().parse::<IpAddr>().is_ok_and(|ip| cidrs.iter().any(|c| c.contains(ip))),
        }
    }

    fn string_match(&self, pieces: &[Piece], value: &str) -> bool {
        match self.op {
            Op::StringEquals => literal(pieces) == value,
            Op::StringEqualsIgnoreCase => literal(pieces).to_lowercase() == value.to_lowercase(),
            Op::StringLike => glob(pieces, value),
            Op::ArnEquals | Op::ArnLike => arn_match(pieces, value),
            _ => false,
        }
    }

    /// Whether this condition fixes the caller to known values (AWS's "not public" test):
    /// `aws:SourceIp` limited to ranges other than everything, or an identity key
    /// (`aws:PrincipalArn`, `aws:userid`, …) equal to values without wildcards.
    pub(super) fn fixes_caller(&self) -> bool {
        // A condition that holds when the key is absent fixes nothing.
        if self.negated || self.if_exists || self.qualifier == Qualifier::ForAllValues {
            return false;
        }
        match (&self.values, self.op) {
            (Values::Cidrs(cidrs), Op::IpAddress) => self.key == "aws:sourceip" && !cidrs.iter().any(|c| c.is_everything()),
            (Values::Strings(patterns), Op::StringEquals | Op::StringEqualsIgnoreCase | Op::ArnEquals | Op::ArnLike | Op::StringLike) => {
                CALLER_KEYS.contains(&self.key.as_str()) && patterns.iter().all(|p| !p.has_wildcards())
            }
            _ => false,
        }
    }
}

/// ARN matching: the six colon-separated parts compared one by one, each with wildcards.
fn arn_match(pieces: &[Piece], value: &str) -> bool {
    let mut parts: Vec<&[Piece]> = Vec::with_capacity(6);
    let mut rest = pieces;
    while parts.len() < 5 {
        let Some(i) = rest.iter().position(|p| *p == Piece::Char(':')) else { break };
        parts.push(&rest[..i]);
        rest = &rest[i + 1..];
    }
    parts.push(rest);
    let values: Vec<&str> = value.splitn(6, ':').collect();
    if parts.len() != 6 || values.len() != 6 {
        // Not an ARN on one side: compare whole.
        return parts.len() == 1 && glob(pieces, value);
    }
    parts.iter().zip(&values).all(|(p, v)| glob(p, v))
}
