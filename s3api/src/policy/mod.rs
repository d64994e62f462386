//! Bucket policies: the IAM policy language as S3 applies it to one bucket.
//!
//! Owns the public types (a parsed [`BucketPolicy`], the [`PolicyRequest`] it judges, the
//! [`Decision`]), the closed list of S3 [`actions`], wildcard and policy-variable matching,
//! statement evaluation and AWS's "is this policy public" test. Parsing lives in `parse.rs`,
//! condition operators in `condition.rs`.
//!
//! It does no I/O and knows no users: whether a named principal exists is the caller's
//! question ([`BucketPolicy::named_principals`]), and the caller fills the
//! [`ConditionContext`] (source IP, TLS, headers, times) from the request.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::error::S3Error;

mod condition;
mod parse;
#[cfg(test)]
mod parse_tests;
#[cfg(test)]
mod tests;

use condition::Condition;
pub use parse::MAX_POLICY_BYTES;

/// The one account every Depot user belongs to.
pub const ACCOUNT_ID: &str = "000000000000";

/// The ARN of a Depot user: `arn:aws:iam::000000000000:user/<username>`.
pub fn user_arn(username: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT_ID}:user/{username}")
}

/// The actions whose resource is the bucket (`arn:aws:s3:::bucket`).
const BUCKET_ACTIONS: &[&str] = &[
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:ListBucketMultipartUploads",
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:GetBucketLocation",
    "s3:GetBucketVersioning",
    "s3:PutBucketVersioning",
    "s3:GetBucketTagging",
    "s3:PutBucketTagging",
    "s3:GetBucketAcl",
    "s3:PutBucketAcl",
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:GetBucketPolicyStatus",
    "s3:GetBucketCORS",
    "s3:PutBucketCORS",
    "s3:GetBucketPublicAccessBlock",
    "s3:PutBucketPublicAccessBlock",
    "s3:GetBucketOwnershipControls",
    "s3:PutBucketOwnershipControls",
    "s3:GetLifecycleConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:PutEncryptionConfiguration",
    "s3:GetBucketObjectLockConfiguration",
    "s3:PutBucketObjectLockConfiguration",
    "s3:GetBucketLogging",
    "s3:PutBucketLogging",
    "s3:GetBucketNotification",
    "s3:PutBucketNotification",
    "s3:GetBucketWebsite",
    "s3:PutBucketWebsite",
    "s3:DeleteBucketWebsite",
    "s3:GetBucketRequestPayment",
    "s3:PutBucketRequestPayment",
    "s3:GetReplicationConfiguration",
    "s3:PutReplicationConfiguration",
    "s3:GetAccelerateConfiguration",
    "s3:PutAccelerateConfiguration",
];

/// The actions whose resource is an object (`arn:aws:s3:::bucket/key`).
const OBJECT_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:GetObjectAcl",
    "s3:GetObjectVersionAcl",
    "s3:PutObjectAcl",
    "s3:PutObjectVersionAcl",
    "s3:GetObjectTagging",
    "s3:GetObjectVersionTagging",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersionTagging",
    "s3:GetObjectAttributes",
    "s3:GetObjectVersionAttributes",
    "s3:ListMultipartUploadParts",
    "s3:AbortMultipartUpload",
    "s3:GetObjectRetention",
    "s3:PutObjectRetention",
    "s3:GetObjectLegalHold",
    "s3:PutObjectLegalHold",
    "s3:BypassGovernanceRetention",
    "s3:RestoreObject",
    "s3:GetObjectTorrent",
    "s3:ReplicateObject",
    "s3:ReplicateDelete",
    "s3:ReplicateTags",
];

/// The actions whose resource is no bucket at all: they never apply to a bucket policy's
/// resources.
const SERVICE_ACTIONS: &[&str] = &["s3:ListAllMyBuckets"];

/// Every S3 action name the engine knows (for validation and wildcard expansion):
/// service, bucket and object actions.
pub fn actions() -> impl Iterator<Item = &'static str> {
    SERVICE_ACTIONS.iter().chain(BUCKET_ACTIONS).chain(OBJECT_ACTIONS).copied()
}

/// Whether an action is object-level (resource `arn:aws:s3:::bucket/key`) rather than
/// bucket-level (`arn:aws:s3:::bucket`). Case-insensitive; unknown actions are not.
pub fn action_is_object_level(action: &str) -> bool {
    OBJECT_ACTIONS.iter().any(|a| a.eq_ignore_ascii_case(action))
}

fn action_is_service_level(action: &str) -> bool {
    SERVICE_ACTIONS.iter().any(|a| a.eq_ignore_ascii_case(action))
}

/// A parsed, validated bucket policy.
#[derive(Debug, Clone)]
pub struct BucketPolicy {
    statements: Vec<Statement>,
}

/// A principal named in `Principal`/`NotPrincipal`, other than `*`, for the caller to
/// check exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamedPrincipal {
    /// A Depot user id (`{"AWS": "<id>"}` or `{"CanonicalUser": "<id>"}`).
    UserId(String),
    /// A username, from `arn:aws:iam::000000000000:user/<username>`.
    Username(String),
    /// The account itself (`000000000000` or `arn:aws:iam::000000000000:root`): any
    /// authenticated caller.
    Account,
}

/// Who is asking.
#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    Anonymous,
    User { user_id: &'a str, username: &'a str },
}

/// One request to judge. The identity keys (`aws:username`, `aws:userid`,
/// `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalType`) come from `caller`;
/// every other condition key from `context`.
#[derive(Debug, Clone, Copy)]
pub struct PolicyRequest<'a> {
    pub caller: Caller<'a>,
    /// e.g. `s3:GetObject`.
    pub action: &'a str,
    /// `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`.
    pub resource: &'a str,
    pub context: &'a ConditionContext,
}

/// The request's condition keys and their values. Key names are case-insensitive; the
/// part after a `/` (the tag key of `s3:ExistingObjectTag/<key>`) is not, as tag keys
/// are not.
#[derive(Debug, Default, Clone)]
pub struct ConditionContext {
    values: HashMap<String, Vec<String>>,
}

impl ConditionContext {
    pub fn new() -> Self {
        ConditionContext::default()
    }

    /// Sets `key` to the single value `value`, replacing any others.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.values.insert(normalize_key(key), vec![value.into()]);
    }

    /// Adds one more value to a multi-valued key.
    pub fn add(&mut self, key: &str, value: impl Into<String>) {
        self.values.entry(normalize_key(key)).or_default().push(value.into());
    }

    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.values.get(&normalize_key(key)).map(Vec::as_slice)
    }
}

/// A condition key as the context stores it: the name up to its first `/` lower-case,
/// what follows (a tag key) as it is.
pub(crate) fn normalize_key(key: &str) -> String {
    match key.split_once('/') {
        Some((name, rest)) => format!("{}/{rest}", name.to_ascii_lowercase()),
        None => key.to_ascii_lowercase(),
    }
}

/// The outcome of evaluating a policy against one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// An applying statement denies: nothing else can allow.
    Deny,
    /// An applying statement allows and none denies.
    Allow,
    /// No statement applies.
    NotApplicable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

/// One principal of `Principal`/`NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Principal {
    /// `*`: everyone, anonymous included.
    Any,
    /// The account: every authenticated caller.
    Account,
    UserId(String),
    Username(String),
}

impl Principal {
    fn matches(&self, caller: Caller<'_>) -> bool {
        match (self, caller) {
            (Principal::Any, _) => true,
            (_, Caller::Anonymous) => false,
            (Principal::Account, Caller::User { .. }) => true,
            (Principal::UserId(id), Caller::User { user_id, .. }) => id == user_id,
            (Principal::Username(name), Caller::User { username, .. }) => name == username,
        }
    }
}

#[derive(Debug, Clone)]
struct Statement {
    effect: Effect,
    /// `true` for `NotPrincipal`.
    not_principal: bool,
    principals: Vec<Principal>,
    /// `true` for `NotAction`.
    not_action: bool,
    /// Lowercased action patterns.
    actions: Vec<Pattern>,
    /// `true` for `NotResource`.
    not_resource: bool,
    resources: Vec<Pattern>,
    conditions: Vec<Condition>,
}

impl Statement {
    fn applies(&self, req: &PolicyRequest<'_>, env: &Env<'_, '_>) -> bool {
        let action = req.action.to_ascii_lowercase();
        let action_hit = self.actions.iter().any(|p| p.matches_plain(&action));
        if action_hit == self.not_action {
            return false;
        }
        let resource_hit = self.resources.iter().any(|p| p.matches_with(req.resource, env));
        if resource_hit == self.not_resource {
            return false;
        }
        let principal_hit = self.principals.iter().any(|p| p.matches(req.caller));
        if principal_hit == self.not_principal {
            return false;
        }
        self.conditions.iter().all(|c| c.holds(env))
    }

    /// AWS's "public" test for one statement.
    fn is_public(&self) -> bool {
        if self.effect != Effect::Allow {
            return false;
        }
        let open = self.not_principal || self.principals.contains(&Principal::Any);
        open && !self.conditions.iter().any(Condition::fixes_caller)
    }
}

impl BucketPolicy {
    /// Parses and validates a policy document for bucket `bucket`; errors are
    /// `MalformedPolicy` with a message naming the problem (AWS's wording where known).
    pub fn parse(json: &[u8], bucket: &str) -> Result<BucketPolicy, S3Error> {
        parse::parse(json, bucket)
    }

    /// Every principal named in `Principal`/`NotPrincipal` other than `*`, once each, so
    /// the caller can check they exist.
    pub fn named_principals(&self) -> Vec<NamedPrincipal> {
        let mut out: Vec<NamedPrincipal> = Vec::new();
        for p in self.statements.iter().flat_map(|s| &s.principals) {
            let named = match p {
                Principal::Any => continue,
                Principal::Account => NamedPrincipal::Account,
                Principal::UserId(id) => NamedPrincipal::UserId(id.clone()),
                Principal::Username(name) => NamedPrincipal::Username(name.clone()),
            };
            if !out.contains(&named) {
                out.push(named);
            }
        }
        out
    }

    /// Deny if an applying statement denies; else Allow if one allows; else NotApplicable.
    pub fn evaluate(&self, req: &PolicyRequest<'_>) -> Decision {
        let env = Env { req };
        let mut allowed = false;
        for statement in &self.statements {
            if statement.applies(req, &env) {
                match statement.effect {
                    Effect::Deny => return Decision::Deny,
                    Effect::Allow => allowed = true,
                }
            }
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::NotApplicable
        }
    }

    /// AWS's "public" test: some Allow statement names `*` (or uses `NotPrincipal`)
    /// without a condition that fixes the caller to known values.
    pub fn is_public(&self) -> bool {
        self.statements.iter().any(Statement::is_public)
    }
}

/// What a condition or a policy variable reads: identity keys from the caller, every other
/// key from the request's context.
struct Env<'r, 'a> {
    req: &'r PolicyRequest<'a>,
}

impl Env<'_, '_> {
    /// The values of a lowercased condition key; `None` when absent.
    fn values(&self, key: &str) -> Option<Cow<'_, [String]>> {
        if let Some(v) = self.identity(key) {
            return Some(Cow::Owned(vec![v]));
        }
        match self.req.context.get(key) {
            Some(v) if !v.is_empty() => Some(Cow::Borrowed(v)),
            _ => None,
        }
    }

    fn identity(&self, key: &str) -> Option<String> {
        let user = match self.req.caller {
            Caller::Anonymous => return (key == "aws:principaltype").then(|| "Anonymous".to_owned()),
            Caller::User { user_id, username } => (user_id, username),
        };
        match key {
            "aws:username" => Some(user.1.to_owned()),
            "aws:userid" => Some(user.0.to_owned()),
            "aws:principalarn" => Some(user_arn(user.1)),
            "aws:principalaccount" => Some(ACCOUNT_ID.to_owned()),
            "aws:principaltype" => Some("User".to_owned()),
            _ => None,
        }
    }

    /// The value of a policy variable `${name}`; `None` when it has none.
    fn variable(&self, name: &str) -> Option<String> {
        self.values(name).and_then(|v| v.first().cloned())
    }
}

/// One piece of a wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Char(char),
    /// `*`: any run of characters, `/` included.
    Star,
    /// `?`: exactly one character.
    One,
    /// `${name}` (name lowercased), replaced by its value before matching. Matches like
    /// `*` where a pattern is only checked for what it could match.
    Var(String),
}

/// A pattern with `*`/`?` wildcards and, where allowed, policy variables.
#[derive(Debug, Clone)]
struct Pattern {
    pieces: Vec<Piece>,
}

impl Pattern {
    /// `variables`: whether `${…}` is a policy variable here (else literal text).
    fn parse(raw: &str, variables: bool) -> Pattern {
        let mut pieces = Vec::new();
        let mut rest = raw;
        while let Some(c) = rest.chars().next() {
            if variables && rest.starts_with("${") {
                if let Some(end) = rest.find('}') {
                    let name = &rest[2..end];
                    match name {
                        "*" | "?" | "$" => pieces.extend(name.chars().map(Piece::Char)),
                        _ => pieces.push(Piece::Var(name.trim().to_ascii_lowercase())),
                    }
                    rest = &rest[end + 1..];
                    continue;
                }
            }
            pieces.push(match c {
                '*' => Piece::Star,
                '?' => Piece::One,
                c => Piece::Char(c),
            });
            rest = &rest[c.len_utf8()..];
        }
        Pattern { pieces }
    }

    fn has_wildcards(&self) -> bool {
        self.pieces.iter().any(|p| !matches!(p, Piece::Char(_)))
    }

    /// The pattern with its variables replaced by their values; `None` when one has none.
    fn resolve(&self, env: &Env<'_, '_>) -> Option<Cow<'_, [Piece]>> {
        if !self.pieces.iter().any(|p| matches!(p, Piece::Var(_))) {
            return Some(Cow::Borrowed(&self.pieces));
        }
        let mut out = Vec::with_capacity(self.pieces.len());
        for piece in &self.pieces {
            match piece {
                Piece::Var(name) => out.extend(env.variable(name)?.chars().map(Piece::Char)),
                other => out.push(other.clone()),
            }
        }
        Some(Cow::Owned(out))
    }

    /// Matches a pattern without variables (actions).
    fn matches_plain(&self, s: &str) -> bool {
        glob(&self.pieces, s)
    }

    /// Matches after substituting variables; an unresolvable variable matches nothing.
    fn matches_with(&self, s: &str, env: &Env<'_, '_>) -> bool {
        self.resolve(env).is_some_and(|pieces| glob(&pieces, s))
    }
}

/// The text a resolved pattern stands for when wildcards are literal (`StringEquals`).
fn literal(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Char(c) => *c,
            Piece::Star | Piece::Var(_) => '*',
            Piece::One => '?',
        })
        .collect()
}

/// Marks the positions reachable from each marked one without consuming a character.
fn close(states: &mut [bool], pieces: &[Piece]) {
    for (i, piece) in pieces.iter().enumerate() {
        if states[i] && matches!(piece, Piece::Star | Piece::Var(_)) {
            states[i + 1] = true;
        }
    }
}

/// Runs the pattern over `s`: the set of pattern positions it can be at afterwards.
fn run(pieces: &[Piece], s: &str) -> Vec<bool> {
    let mut states = vec![false; pieces.len() + 1];
    states[0] = true;
    close(&mut states, pieces);
    for c in s.chars() {
        let mut next = vec![false; pieces.len() + 1];
        for (i, piece) in pieces.iter().enumerate() {
            if !states[i] {
                continue;
            }
            match piece {
                Piece::Star | Piece::Var(_) => next[i] = true,
                Piece::One => next[i + 1] = true,
                Piece::Char(d) => next[i + 1] |= *d == c,
            }
        }
        close(&mut next, pieces);
        if !next.contains(&true) {
            return next;
        }
        states = next;
    }
    states
}

/// Whether the whole of `s` matches the pattern (case-sensitive).
fn glob(pieces: &[Piece], s: &str) -> bool {
    run(pieces, s).last().copied().unwrap_or(false)
}

/// Whether some string starting with `prefix` can match the pattern.
fn glob_prefix(pieces: &[Piece], prefix: &str) -> bool {
    run(pieces, prefix).contains(&true)
}
