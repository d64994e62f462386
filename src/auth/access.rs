//! Authorization: the one place that decides whether a caller may do what it asks.
//!
//! [`authorize`] runs in the S3 pipeline after authentication and before any handler:
//! it finds the bucket an operation addresses, checks `x-amz-expected-bucket-owner`,
//! and answers the bucket-level part of the operation's access. Object-level questions
//! need the object's version (owner, ACL, tags) and are asked where it is found
//! (`object::readable_version`), through [`check`] as well.
//!
//! [`check`] evaluates as AWS does: an explicit `Deny` in the bucket policy wins (the
//! bucket owner keeps the right to read and change the policy); then the bucket owner
//! and root may do anything; then an `Allow` in the policy; then the ACLs. The bucket's
//! public access block and ownership controls shape the last two steps: a public policy
//! is not honoured for anonymous callers under `RestrictPublicBuckets`, grants to
//! everyone are ignored under `IgnorePublicAcls`, and ACLs do not count at all under
//! `BucketOwnerEnforced`. The policy language is `s3api::policy` (pure); the ACL rules
//! are [`acl_rules`](super::acl_rules) (pure). Nothing here does I/O except finding
//! the bucket.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, SecondsFormat, Utc};
use http::HeaderMap;
use s3api::bucket_config::{ObjectOwnership, PublicAccessBlock};
use s3api::operation::{Access, BucketAccess, ObjectAccess};
use s3api::policy::{self as bucket_policy, BucketPolicy, ConditionContext, Decision, PolicyRequest};
use s3api::route::Query;
use s3api::sigv4::AuthKind;
use s3api::{Operation, S3Error, S3ErrorCode};

use super::acl::{Acl, Grantee};
use super::acl_rules::{self, Action, Resource};
use super::Principal;
use crate::catalog::{Bucket, Catalog};
use crate::error::Error;

/// Who asks, and the request-wide facts a bucket policy's conditions can test.
#[derive(Debug)]
pub struct Caller {
    pub principal: Principal,
    context: ConditionContext,
    /// The bucket policies this request parsed, by bucket id with their text: a
    /// DeleteObjects of a thousand keys parses its bucket's policy once.
    policies: Mutex<Vec<(i64, String, Parsed)>>,
}

/// A stored policy, parsed: `None` when it no longer parses.
type Parsed = Option<Arc<BucketPolicy>>;

/// How a request proved who it is, as the policy keys `s3:authType` and
/// `s3:signatureversion` see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Anonymous,
    Signed(AuthKind),
    /// A browser POST upload, signed by its form (V4 when true, else V2).
    PostForm {
        v4: bool,
    },
}

/// What [`Caller::new`] reads the condition keys from.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    pub headers: &'a HeaderMap,
    pub query: &'a Query,
    pub remote: IpAddr,
    /// The request arrived over TLS.
    pub secure: bool,
    pub method: AuthMethod,
    pub now: DateTime<Utc>,
}

impl Caller {
    /// The caller of a request, with every request-wide condition key set: the caller's
    /// identity, source address, transport, time, signature, and the request headers
    /// and list parameters S3 exposes as `s3:` keys. `s3:ExistingObjectTag/…` is added
    /// per object by [`check`].
    pub fn new(principal: Principal, facts: RequestFacts<'_>) -> Caller {
        let mut c = ConditionContext::new();
        c.set("aws:SourceIp", facts.remote.to_string());
        c.set("aws:SecureTransport", facts.secure.to_string());
        c.set("aws:CurrentTime", facts.now.to_rfc3339_opts(SecondsFormat::Secs, true));
        c.set("aws:EpochTime", facts.now.timestamp().to_string());
        let header = |name: &str| facts.headers.get(name).and_then(|v| v.to_str().ok());
        for (key, name) in [("aws:Referer", "referer"), ("aws:UserAgent", "user-agent")] {
            if let Some(v) = header(name) {
                c.set(key, v);
            }
        }
        match &principal {
            Principal::User(u) => {
                c.set("aws:PrincipalType", "User");
                c.set("aws:PrincipalArn", bucket_policy::user_arn(&u.username));
                c.set("aws:PrincipalAccount", bucket_policy::ACCOUNT_ID);
                c.set("aws:userid", u.user_id.clone());
                c.set("aws:username", u.username.clone());
            }
            Principal::Anonymous => c.set("aws:PrincipalType", "Anonymous"),
        }
        for name in [
            "x-amz-acl",
            "x-amz-server-side-encryption",
            "x-amz-server-side-encryption-aws-kms-key-id",
            "x-amz-copy-source",
            "x-amz-metadata-directive",
            "x-amz-storage-class",
            "x-amz-content-sha256",
        ] {
            if let Some(v) = header(name) {
                c.set(&format!("s3:{name}"), v);
            }
        }
        for (key, name) in [
            ("s3:object-lock-mode", "x-amz-object-lock-mode"),
            ("s3:object-lock-retain-until-date", "x-amz-object-lock-retain-until-date"),
            ("s3:object-lock-legal-hold", "x-amz-object-lock-legal-hold"),
        ] {
            if let Some(v) = header(name) {
                c.set(key, v);
            }
        }
        for (key, param) in [("s3:prefix", "prefix"), ("s3:delimiter", "delimiter"), ("s3:max-keys", "max-keys"), ("s3:VersionId", "versionId")] {
            if let Some(v) = facts.query.get(param) {
                c.set(key, v);
            }
        }
        if let Ok(Some(tags)) = s3api::tagging::from_header(facts.headers) {
            for (k, v) in tags {
                c.add("s3:RequestObjectTagKeys", k.clone());
                c.set(&format!("s3:RequestObjectTag/{k}"), v);
            }
        }
        let (auth_type, version) = match facts.method {
            AuthMethod::Anonymous => (None, None),
            AuthMethod::Signed(kind) => match kind {
                AuthKind::V4Header => (Some("REST-HEADER"), Some("AWS4-HMAC-SHA256")),
                AuthKind::V4Presigned => (Some("REST-QUERY-STRING"), Some("AWS4-HMAC-SHA256")),
                AuthKind::V2Header => (Some("REST-HEADER"), Some("AWS")),
                AuthKind::V2Query => (Some("REST-QUERY-STRING"), Some("AWS")),
            },
            AuthMethod::PostForm { v4 } => (Some("POST"), Some(if v4 { "AWS4-HMAC-SHA256" } else { "AWS" })),
        };
        if let Some(t) = auth_type {
            c.set("s3:authType", t);
        }
        if let Some(v) = version {
            c.set("s3:signatureversion", v);
        }
        Caller { principal, context: c, policies: Mutex::new(Vec::new()) }
    }

    /// `bucket`'s policy, parsed once per request.
    fn policy(&self, bucket: &Bucket) -> Option<Parsed> {
        let text = bucket.policy.as_deref()?;
        let mut cache = self.policies.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, _, parsed)) = cache.iter().find(|(id, cached, _)| *id == bucket.id && cached == text) {
            return Some(parsed.clone());
        }
        let parsed = match BucketPolicy::parse(text.as_bytes(), &bucket.name) {
            Ok(p) => Some(Arc::new(p)),
            Err(e) => {
                tracing::error!(bucket = %bucket.name, error = %e.message, "the stored bucket policy does not parse; everything but the owner's policy changes is denied");
                None
            }
        };
        cache.push((bucket.id, text.to_owned(), parsed.clone()));
        Some(parsed)
    }

    fn is_owner_of(&self, bucket: &Bucket) -> bool {
        self.principal.is_root() || self.principal.user_id() == Some(bucket.owner_id.as_str())
    }
}

/// The object a question is about, when it exists.
#[derive(Debug, Clone, Copy)]
pub struct ObjectFacts<'a> {
    pub owner: &'a str,
    pub acl: &'a Acl,
    pub tags: &'a [(String, String)],
}

/// One authorization question: an action on the bucket, or on one of its keys.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    /// The action as a bucket policy names it (`s3:GetObject`, …).
    pub action: &'a str,
    /// The same action as the ACL rules know it.
    pub acl_action: Action,
    /// The key, for object actions.
    pub key: Option<&'a str>,
    /// The object version, when it exists and its owner, ACL and tags are known.
    pub object: Option<ObjectFacts<'a>>,
}

/// Checks what `op` needs of `caller` at bucket level. Returns the bucket the
/// operation addresses when its access names one (it exists, belongs to the expected
/// owner, and the caller may act on it), `None` for operations on no bucket.
pub async fn authorize(catalog: &Catalog, caller: &Caller, op: &Operation, headers: &HeaderMap) -> Result<Option<Bucket>, Error> {
    let access = op.access();
    match access {
        Access::None => return Ok(None),
        Access::Signed if matches!(caller.principal, Principal::Anonymous) => return Err(S3ErrorCode::AccessDenied.into()),
        Access::Signed => return Ok(None),
        Access::Bucket(_) | Access::Object(_) => {}
        // Answered before authentication; the pipeline authorizes a POST upload as the
        // PutObject it is.
        Access::Form => return Err(S3Error::with_message(S3ErrorCode::InternalError, format!("{} is not authorized here", op.name())).into()),
    }
    let Some(name) = op.bucket() else {
        // The table gives every bucket-level access to operations that name a bucket.
        return Err(S3Error::with_message(S3ErrorCode::InternalError, format!("{} names no bucket", op.name())).into());
    };
    let bucket = catalog.bucket(name).await?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket).resource(format!("/{name}")).extra("BucketName", name))?;
    if let Some(expected) = headers.get("x-amz-expected-bucket-owner") {
        if expected.as_bytes() != bucket.owner_id.as_bytes() {
            return Err(S3Error::new(S3ErrorCode::AccessDenied).resource(format!("/{name}")).into());
        }
    }
    match access {
        Access::Bucket(wanted) => check(caller, &bucket, Ask { action: op.iam_action(), acl_action: bucket_action(wanted), key: op.key(), object: None })?,
        // Without a policy only the bucket's ACL decides, the same for every key: a
        // caller it refuses is refused the whole request. With one, each key is asked.
        Access::Object(ObjectAccess::Delete) if bucket.policy.is_none() => {
            check(caller, &bucket, Ask { action: op.iam_action(), acl_action: Action::WriteObjects, key: None, object: None })?
        }
        _ => {}
    }
    Ok(Some(bucket))
}

/// Whether `caller` may do what `ask` says on `bucket`: `AccessDenied` (naming the
/// bucket or key) when not. The evaluation order is the module's.
pub fn check(caller: &Caller, bucket: &Bucket, ask: Ask<'_>) -> Result<(), S3Error> {
    let allowed = decide(caller, bucket, &ask);
    let resource = match ask.key {
        Some(key) => format!("/{}/{key}", bucket.name),
        None => format!("/{}", bucket.name),
    };
    // Only identities of the owner's account may read or change a policy, whatever it
    // allows: anyone else gets 405, as AWS answers.
    if allowed && is_policy_action(ask.action) && matches!(caller.principal, Principal::Anonymous) {
        return Err(S3Error::new(S3ErrorCode::MethodNotAllowed).resource(resource));
    }
    if allowed {
        Ok(())
    } else {
        Err(S3Error::new(S3ErrorCode::AccessDenied).resource(resource))
    }
}

fn decide(caller: &Caller, bucket: &Bucket, ask: &Ask<'_>) -> bool {
    let owner = caller.is_owner_of(bucket);
    let block = public_access_block(bucket);
    // Stored policies were validated when they were put; one that no longer parses (an
    // older Depot's rules) denies everything but the owner's policy changes, loudly.
    if let Some(parsed) = caller.policy(bucket) {
        let decision = parsed.as_ref().map_or(Decision::Deny, |policy| evaluate(caller, bucket, ask, policy));
        if decision == Decision::Deny && !(owner && is_policy_action(ask.action)) {
            return false;
        }
        if owner {
            return true;
        }
        let restricted = block.restrict_public_buckets && matches!(caller.principal, Principal::Anonymous) && parsed.as_ref().is_some_and(|p| p.is_public());
        if decision == Decision::Allow && !restricted {
            return true;
        }
    } else if owner {
        return true;
    }
    if object_ownership(bucket) == Some(ObjectOwnership::BucketOwnerEnforced) {
        // ACLs are disabled: only the owner and the policy decide.
        return false;
    }
    // Under IgnorePublicAcls, grants to everyone do not count (a copy without them).
    let strip = |acl: &mut Acl| {
        if block.ignore_public_acls {
            acl.grants.retain(|g| !matches!(g.grantee, Grantee::AllUsers | Grantee::AuthenticatedUsers));
        }
    };
    let mut bucket_acl = Acl::from_json(&bucket.acl);
    strip(&mut bucket_acl);
    let object_acl = ask.object.map(|o| match block.ignore_public_acls {
        true => {
            let mut acl = o.acl.clone();
            strip(&mut acl);
            Cow::Owned(acl)
        }
        false => Cow::Borrowed(o.acl),
    });
    let object = ask.object.zip(object_acl.as_deref()).map(|(o, acl)| (o.owner, acl));
    acl_rules::allowed(&caller.principal, ask.acl_action, Resource { bucket_owner: &bucket.owner_id, bucket_acl: &bucket_acl, object })
}

fn evaluate(caller: &Caller, bucket: &Bucket, ask: &Ask<'_>, policy: &BucketPolicy) -> Decision {
    let resource = match ask.key {
        Some(key) if bucket_policy::action_is_object_level(ask.action) => format!("arn:aws:s3:::{}/{key}", bucket.name),
        _ => format!("arn:aws:s3:::{}", bucket.name),
    };
    let mut context;
    let context = match ask.object {
        Some(object) if !object.tags.is_empty() => {
            context = caller.context.clone();
            for (k, v) in object.tags {
                context.set(&format!("s3:ExistingObjectTag/{k}"), v.clone());
            }
            &context
        }
        _ => &caller.context,
    };
    let who = match &caller.principal {
        Principal::User(u) => bucket_policy::Caller::User { user_id: &u.user_id, username: &u.username },
        Principal::Anonymous => bucket_policy::Caller::Anonymous,
    };
    policy.evaluate(&PolicyRequest { caller: who, action: ask.action, resource: &resource, context })
}

/// The actions a bucket owner keeps whatever its policy denies, so a policy can
/// never lock its owner out.
fn is_policy_action(action: &str) -> bool {
    matches!(action, "s3:GetBucketPolicy" | "s3:PutBucketPolicy" | "s3:DeleteBucketPolicy")
}

/// The bucket's public access block; all off when none is set, all on when the stored
/// one does not parse.
pub fn public_access_block(bucket: &Bucket) -> PublicAccessBlock {
    let Some(stored) = bucket.public_access_block.as_deref() else { return PublicAccessBlock::default() };
    PublicAccessBlock::from_json(stored).unwrap_or_else(|e| {
        tracing::error!(bucket = %bucket.name, error = %e.message, "the stored public access block does not parse; every block is applied");
        PublicAccessBlock { block_public_acls: true, ignore_public_acls: true, block_public_policy: true, restrict_public_buckets: true }
    })
}

/// The bucket's object ownership setting, when one is set; `BucketOwnerEnforced` (ACLs
/// off) when the stored one does not parse.
pub fn object_ownership(bucket: &Bucket) -> Option<ObjectOwnership> {
    let stored = bucket.object_ownership.as_deref()?;
    Some(ObjectOwnership::parse(stored).unwrap_or_else(|e| {
        tracing::error!(bucket = %bucket.name, error = %e.message, "the stored object ownership does not parse; ACLs are off");
        ObjectOwnership::BucketOwnerEnforced
    }))
}

/// The ACL-rule action of a bucket-level access.
pub fn bucket_action(access: BucketAccess) -> Action {
    match access {
        BucketAccess::Read => Action::ListBucket,
        BucketAccess::Write => Action::WriteObjects,
        BucketAccess::AclRead => Action::ReadBucketAcl,
        BucketAccess::AclWrite => Action::WriteBucketAcl,
        BucketAccess::Owner => Action::ManageBucket,
    }
}

/// The ACL-rule action of an object-level access.
pub fn object_action(access: ObjectAccess) -> Action {
    match access {
        ObjectAccess::Read => Action::ReadObject,
        ObjectAccess::AclRead => Action::ReadObjectAcl,
        ObjectAccess::AclWrite => Action::WriteObjectAcl,
        ObjectAccess::Tag => Action::TagObject,
        ObjectAccess::Delete => Action::WriteObjects,
    }
}
