//! Parsing and validating a bucket policy document: JSON in, [`BucketPolicy`] or a
//! `MalformedPolicy` error naming the problem (AWS's wording where known) out.
//!
//! Owns the document's shape (fields, types, limits), principals, actions and resources.
//! Condition blocks are handed to `condition.rs`. It must not evaluate anything or know
//! whether a named principal exists (the caller checks [`BucketPolicy::named_principals`]).

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::condition::{parse_conditions, Condition};
use super::{action_is_object_level, action_is_service_level, glob, glob_prefix, BucketPolicy, Effect, Pattern, Principal, Statement, ACCOUNT_ID};
use crate::error::{S3Error, S3ErrorCode};

/// The largest policy document S3 accepts, in bytes.
pub const MAX_POLICY_BYTES: usize = 20 * 1024;
const VERSIONS: &[&str] = &["2012-10-17", "2008-10-17"];
const S3_ARN_PREFIX: &str = "arn:aws:s3:::";

pub(super) const INVALID_PRINCIPAL: &str = "Invalid principal in policy";
pub(super) const INVALID_ACTION: &str = "Policy has invalid action";
pub(super) const INVALID_RESOURCE: &str = "Policy has invalid resource";
pub(super) const ACTION_DOES_NOT_APPLY: &str = "Action does not apply to any resource(s) in statement";

/// A `MalformedPolicy` error with `message`.
pub(super) fn malformed(message: impl Into<String>) -> S3Error {
    S3Error::with_message(S3ErrorCode::MalformedPolicy, message.into())
}

pub(super) fn parse(json: &[u8], bucket: &str) -> Result<BucketPolicy, S3Error> {
    if json.len() > MAX_POLICY_BYTES {
        return Err(malformed("Policy exceeds the maximum allowed document size."));
    }
    if json.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(S3Error::new(S3ErrorCode::MalformedPolicy));
    }
    let doc: Value = serde_json::from_slice(json).map_err(|_| malformed("This policy contains invalid Json"))?;
    let Value::Object(doc) = doc else { return Err(S3Error::new(S3ErrorCode::MalformedPolicy)) };
    only_fields(&doc, &["Version", "Id", "Statement"])?;
    match doc.get("Version") {
        None => {}
        Some(Value::String(v)) if VERSIONS.contains(&v.as_str()) => {}
        Some(_) => return Err(malformed("The policy must contain a valid version string")),
    }
    if doc.get("Id").is_some_and(|id| !id.is_string()) {
        return Err(malformed("Policy Id must be a string"));
    }
    let raw_statements = match doc.get("Statement") {
        None => return Err(malformed("Missing required field Statement")),
        Some(Value::Array(list)) if !list.is_empty() => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        Some(_) => return Err(malformed("Could not parse the policy: Statement is not well formatted.")),
    };
    let mut sids = HashSet::new();
    let mut statements = Vec::with_capacity(raw_statements.len());
    for raw in raw_statements {
        let Value::Object(fields) = raw else {
            return Err(malformed("Could not parse the policy: Statement is not well formatted."));
        };
        match fields.get("Sid") {
            None => {}
            Some(Value::String(sid)) if !sids.insert(sid.clone()) => {
                return Err(malformed("Statement IDs (SID) in a single policy must be unique."));
            }
            Some(Value::String(_)) => {}
            Some(_) => return Err(malformed("Statement ID (Sid) must be a string")),
        }
        statements.push(parse_statement(fields, bucket)?);
    }
    Ok(BucketPolicy { statements })
}

fn only_fields(fields: &Map<String, Value>, known: &[&str]) -> Result<(), S3Error> {
    match fields.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(malformed(format!("Unknown field {unknown}"))),
        None => Ok(()),
    }
}

/// The value of exactly one of `name`/`not_name`: `(negated, value)`.
fn one_of<'v>(fields: &'v Map<String, Value>, name: &str, not_name: &str) -> Result<(bool, &'v Value), S3Error> {
    match (fields.get(name), fields.get(not_name)) {
        (Some(v), None) => Ok((false, v)),
        (None, Some(v)) => Ok((true, v)),
        (None, None) => Err(malformed(format!("Missing required field {name}"))),
        (Some(_), Some(_)) => Err(malformed(format!("Statement cannot contain both {name} and {not_name}"))),
    }
}

/// A string, or a non-empty array of strings; else `invalid`.
fn strings<'v>(value: &'v Value, invalid: &str) -> Result<Vec<&'v str>, S3Error> {
    match value {
        Value::String(s) => Ok(vec![s.as_str()]),
        Value::Array(list) if !list.is_empty() => list.iter().map(|v| v.as_str().ok_or_else(|| malformed(invalid))).collect(),
        _ => Err(malformed(invalid)),
    }
}

fn parse_statement(fields: &Map<String, Value>, bucket: &str) -> Result<Statement, S3Error> {
    only_fields(fields, &["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"])?;
    let effect = match fields.get("Effect") {
        None => return Err(malformed("Missing required field Effect")),
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(other) => return Err(malformed(format!("Invalid effect: {}", other.as_str().unwrap_or("(not a string)")))),
    };
    let (not_principal, principal) = one_of(fields, "Principal", "NotPrincipal")?;
    let principals = parse_principals(principal)?;
    let (not_action, action) = one_of(fields, "Action", "NotAction")?;
    let actions = strings(action, INVALID_ACTION)?.into_iter().map(parse_action).collect::<Result<Vec<_>, _>>()?;
    let (not_resource, resource) = one_of(fields, "Resource", "NotResource")?;
    let resources = strings(resource, INVALID_RESOURCE)?.into_iter().map(|r| parse_resource(r, bucket)).collect::<Result<Vec<_>, _>>()?;
    let conditions: Vec<Condition> = match fields.get("Condition") {
        None => Vec::new(),
        Some(block) => parse_conditions(block)?,
    };
    let statement = Statement { effect, not_principal, principals, not_action, actions, not_resource, resources, conditions };
    check_actions_apply(&statement, bucket)?;
    Ok(statement)
}

/// `"*"`, or an object of `AWS` and/or `CanonicalUser` principals.
fn parse_principals(value: &Value) -> Result<Vec<Principal>, S3Error> {
    let invalid = || malformed(INVALID_PRINCIPAL);
    match value {
        Value::String(s) if s == "*" => Ok(vec![Principal::Any]),
        Value::Object(kinds) if !kinds.is_empty() => {
            let mut out = Vec::new();
            for (kind, ids) in kinds {
                for id in strings(ids, INVALID_PRINCIPAL)? {
                    out.push(match kind.as_str() {
                        "AWS" => parse_aws_principal(id).ok_or_else(invalid)?,
                        "CanonicalUser" if is_user_id(id) => Principal::UserId(id.to_owned()),
                        _ => return Err(invalid()),
                    });
                }
            }
            Ok(out)
        }
        _ => Err(invalid()),
    }
}

/// One `AWS` principal: `*`, the account (id or root ARN), a user ARN or a user id.
fn parse_aws_principal(id: &str) -> Option<Principal> {
    if id == "*" {
        return Some(Principal::Any);
    }
    if id == ACCOUNT_ID {
        return Some(Principal::Account);
    }
    if let Some(rest) = id.strip_prefix("arn:aws:iam::") {
        let resource = rest.strip_prefix(ACCOUNT_ID)?.strip_prefix(':')?;
        if resource == "root" {
            return Some(Principal::Account);
        }
        // user/<path/>name: the name is the last segment.
        let path = resource.strip_prefix("user/")?;
        let name = path.rsplit('/').next()?;
        let valid = !name.is_empty() && !name.contains(['*', '?']) && !name.chars().any(char::is_whitespace);
        return valid.then(|| Principal::Username(name.to_owned()));
    }
    let other_account = id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit());
    (!other_account && is_user_id(id)).then(|| Principal::UserId(id.to_owned()))
}

/// Whether `id` looks like a user id: no wildcards, separators or spaces.
fn is_user_id(id: &str) -> bool {
    !id.is_empty() && !id.starts_with("arn:") && id.chars().all(|c| c.is_ascii_alphanumeric() || "_-+=,.@".contains(c))
}

/// `*`, `s3:*` or `s3:<Name>` with wildcards; at least one known action must match.
fn parse_action(raw: &str) -> Result<Pattern, S3Error> {
    let lower = raw.to_ascii_lowercase();
    if lower != "*" && !lower.starts_with("s3:") {
        return Err(malformed(INVALID_ACTION));
    }
    let pattern = Pattern::parse(&lower, false);
    if !super::actions().any(|a| glob(&pattern.pieces, &a.to_ascii_lowercase())) {
        return Err(malformed(INVALID_ACTION));
    }
    Ok(pattern)
}

/// `arn:aws:s3:::<bucket>[/<key pattern>]` (or `*`) that can match this bucket or one of
/// its objects.
fn parse_resource(raw: &str, bucket: &str) -> Result<Pattern, S3Error> {
    if raw != "*" && !raw.starts_with(S3_ARN_PREFIX) {
        return Err(malformed(INVALID_RESOURCE));
    }
    let pattern = Pattern::parse(raw, true);
    let (bucket_arn, object_prefix) = arns(bucket);
    if !glob(&pattern.pieces, &bucket_arn) && !glob_prefix(&pattern.pieces, &object_prefix) {
        return Err(malformed(INVALID_RESOURCE));
    }
    Ok(pattern)
}

/// The bucket's ARN, and the prefix of its objects' ARNs.
fn arns(bucket: &str) -> (String, String) {
    (format!("{S3_ARN_PREFIX}{bucket}"), format!("{S3_ARN_PREFIX}{bucket}/"))
}

/// AWS's check that some action of the statement applies to some of its resources:
/// a bucket-level action to the bucket's ARN, an object-level one to an object's.
fn check_actions_apply(statement: &Statement, bucket: &str) -> Result<(), S3Error> {
    if statement.not_resource {
        return Ok(());
    }
    let (bucket_arn, object_prefix) = arns(bucket);
    let bucket_ok = statement.resources.iter().any(|r| glob(&r.pieces, &bucket_arn));
    let object_ok = statement.resources.iter().any(|r| glob_prefix(&r.pieces, &object_prefix));
    let applies = super::actions().any(|action| {
        let lower = action.to_ascii_lowercase();
        let named = statement.actions.iter().any(|p| p.matches_plain(&lower));
        if named == statement.not_action || action_is_service_level(action) {
            return false;
        }
        if action_is_object_level(action) {
            object_ok
        } else {
            bucket_ok
        }
    });
    if applies {
        Ok(())
    } else {
        Err(malformed(ACTION_DOES_NOT_APPLY))
    }
}
