//! The bucket settings kept as one document each: the bucket policy, CORS rules, public
//! access block, ownership controls, lifecycle rules, object lock, access logging and
//! default encryption.
//! Get, Put and Delete of each (S3 has no Delete for object lock and logging), and
//! GetBucketPolicyStatus. Every change writes `BUCKET_UPDATED`.
//!
//! The documents and their validation are `s3api` (`policy`, `bucket_config`,
//! `lifecycle`, `object_lock`, `access_log`, `sse`); how the settings take effect is
//! `auth::access` (authorization), `http::acl` (ACLs a bucket refuses), `object`
//! (ownership of new objects, the `x-amz-expiration` header, object lock, default
//! encryption),
//! `bucket::cors`, and the `lifecycle` and `access_log` workers.

use http::{Response, StatusCode};
use s3api::access_log::{logging_status_xml, LoggingConfiguration};
use s3api::bucket_config::{policy_status_xml, CorsConfiguration, ObjectOwnership, PublicAccessBlock};
use s3api::lifecycle::LifecycleConfiguration;
use s3api::object_lock::ObjectLockConfiguration;
use s3api::operation::BucketSetting;
use s3api::policy::{BucketPolicy, NamedPrincipal};
use s3api::sse::{config_xml, parse_config, EncryptionConfig};
use s3api::{S3Error, S3ErrorCode};

use crate::auth::access;
use crate::auth::acl::{Acl, Grantee};
use crate::catalog::{Bucket, Versioning};
use crate::error::Error;
use crate::events::{Event, EventType};
use crate::http::acl::{check_bucket_allows, check_grantees};
use crate::http::response::{self, empty, Body};
use crate::http::{AppState, S3Request};

/// The largest bucket policy S3 accepts: 20 KB.
const MAX_POLICY: usize = 20 * 1024;
/// The largest CORS, public access block or ownership document read.
const MAX_DOCUMENT: usize = 64 * 1024;
/// The largest lifecycle configuration read (up to 1,000 rules).
const MAX_LIFECYCLE: usize = 1024 * 1024;

pub async fn get(bucket: Bucket, setting: BucketSetting) -> Result<Response<Body>, Error> {
    let not_found = |code| Error::from(S3Error::new(code).resource(format!("/{}", bucket.name)).extra("BucketName", bucket.name.clone()));
    match setting {
        BucketSetting::Policy => {
            let policy = bucket.policy.clone().ok_or_else(|| not_found(S3ErrorCode::NoSuchBucketPolicy))?;
            Ok(response::json_text(policy))
        }
        BucketSetting::Cors => {
            let stored = bucket.cors.as_deref().ok_or_else(|| not_found(S3ErrorCode::NoSuchCORSConfiguration))?;
            Ok(response::xml(CorsConfiguration::from_json(stored)?.to_xml()))
        }
        BucketSetting::PublicAccessBlock => {
            let stored = bucket.public_access_block.as_deref().ok_or_else(|| not_found(S3ErrorCode::NoSuchPublicAccessBlockConfiguration))?;
            Ok(response::xml(PublicAccessBlock::from_json(stored)?.to_xml()))
        }
        BucketSetting::OwnershipControls => {
            let ownership = access::object_ownership(&bucket).ok_or_else(|| not_found(S3ErrorCode::OwnershipControlsNotFoundError))?;
            Ok(response::xml(ownership.to_xml()))
        }
        BucketSetting::Lifecycle => {
            let stored = bucket.lifecycle.as_deref().ok_or_else(|| not_found(S3ErrorCode::NoSuchLifecycleConfiguration))?;
            Ok(response::xml(LifecycleConfiguration::from_json(stored)?.to_xml()))
        }
        BucketSetting::ObjectLock => {
            let stored = bucket.object_lock.as_deref().ok_or_else(|| not_found(S3ErrorCode::ObjectLockConfigurationNotFoundError))?;
            Ok(response::xml(ObjectLockConfiguration::from_json(stored)?.to_xml()))
        }
        BucketSetting::Encryption => {
            let stored = bucket.encryption.as_deref().ok_or_else(|| not_found(S3ErrorCode::ServerSideEncryptionConfigurationNotFoundError))?;
            Ok(response::xml(config_xml(&EncryptionConfig::from_json(stored)?)))
        }
        // Logging off reads as an empty status, not an error.
        BucketSetting::Logging => {
            let config = bucket.logging.as_deref().map(LoggingConfiguration::from_json).transpose()?;
            Ok(response::xml(logging_status_xml(config.as_ref())))
        }
    }
}

pub async fn put(state: &AppState, mut req: S3Request, bucket: Bucket, setting: BucketSetting) -> Result<Response<Body>, Error> {
    let limit = match setting {
        BucketSetting::Policy => MAX_POLICY,
        BucketSetting::Lifecycle => MAX_LIFECYCLE,
        _ => MAX_DOCUMENT,
    };
    // AWS requires Content-MD5 (or a checksum) on PutBucketLifecycleConfiguration,
    // PutObjectLockConfiguration and PutBucketLogging.
    let required = matches!(setting, BucketSetting::Lifecycle | BucketSetting::ObjectLock | BucketSetting::Logging);
    let body = req.read_verified(limit, required).await.map_err(|e| match (e.code, setting) {
        (S3ErrorCode::MaxMessageLengthExceeded, BucketSetting::Policy) => {
            S3Error::with_message(S3ErrorCode::MalformedPolicy, "Policy exceeds the maximum allowed document size.")
        }
        _ => e,
    })?;
    let stored = match setting {
        BucketSetting::Policy => {
            let policy = BucketPolicy::parse(&body, &bucket.name)?;
            check_principals(state, &policy).await?;
            if access::public_access_block(&bucket).block_public_policy && policy.is_public() {
                return Err(S3Error::new(S3ErrorCode::AccessDenied).resource(format!("/{}", bucket.name)).into());
            }
            Some(String::from_utf8(body.to_vec()).map_err(|_| S3Error::with_message(S3ErrorCode::MalformedPolicy, "This policy contains invalid Json"))?)
        }
        BucketSetting::Cors => Some(CorsConfiguration::from_xml(&body)?.to_json()),
        BucketSetting::PublicAccessBlock => Some(PublicAccessBlock::from_xml(&body)?.to_json()),
        BucketSetting::OwnershipControls => {
            let ownership = ObjectOwnership::from_xml(&body)?;
            if ownership == ObjectOwnership::BucketOwnerEnforced && grants_to_others(&bucket) {
                return Err(S3Error::new(S3ErrorCode::InvalidBucketAclWithObjectOwnership).into());
            }
            Some(ownership.as_str().to_owned())
        }
        BucketSetting::Lifecycle => Some(LifecycleConfiguration::from_xml(&body)?.to_json()),
        BucketSetting::Encryption => {
            let config = parse_config(&body)?;
            if let Some(id) = &config.kms_key_id {
                // A default that names a key the ring lacks would fail every later write.
                state.keys.kms_key(Some(id))?;
            }
            Some(config.to_json())
        }
        BucketSetting::ObjectLock => Some(ObjectLockConfiguration::from_xml(&body)?.to_json()),
        BucketSetting::Logging => match LoggingConfiguration::from_xml(&body)? {
            Some(config) => {
                check_log_target(state, &bucket, &config).await?;
                Some(config.to_json())
            }
            None => None,
        },
    };
    update(state, &req, &bucket, setting, stored.as_deref(), "Put").await?;
    Ok(empty(if setting == BucketSetting::Policy { StatusCode::NO_CONTENT } else { StatusCode::OK }))
}

pub async fn delete(state: &AppState, req: S3Request, bucket: Bucket, setting: BucketSetting) -> Result<Response<Body>, Error> {
    update(state, &req, &bucket, setting, None, "Delete").await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// GetBucketPolicyStatus: whether the bucket's policy makes it public, in AWS's sense.
pub async fn policy_status(bucket: Bucket) -> Result<Response<Body>, Error> {
    let text = bucket
        .policy
        .as_deref()
        .ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucketPolicy).resource(format!("/{}", bucket.name)).extra("BucketName", bucket.name.clone()))?;
    let public = BucketPolicy::parse(text.as_bytes(), &bucket.name).map(|p| p.is_public())?;
    Ok(response::xml(policy_status_xml(public)))
}

/// Whether `bucket` locks new objects by default (object lock with a default retention).
/// An unreadable stored configuration counts as locking: this check fails closed.
pub fn locks_by_default(bucket: &Bucket) -> bool {
    match bucket.object_lock.as_deref().map(ObjectLockConfiguration::from_json) {
        None => false,
        Some(Ok(config)) => config.default_retention.is_some(),
        Some(Err(e)) => {
            tracing::warn!(bucket = %bucket.name, error = %e, "the stored object lock configuration is unreadable");
            true
        }
    }
}

/// The longest `TargetPrefix` taken: a log object's key adds up to about 100 bytes to it,
/// and a key is at most 1,024.
const MAX_TARGET_PREFIX: usize = 512;

/// Refuses a logging target that does not exist or has another owner (AWS requires the
/// source and target buckets to belong to the same account, a Depot user here), or one
/// with a default object lock retention (every log object would be locked), and
/// `TargetGrants` that the log objects' ACL could not hold (as PutObjectAcl refuses them).
async fn check_log_target(state: &AppState, bucket: &Bucket, config: &LoggingConfiguration) -> Result<(), Error> {
    let refused = |message: &str| {
        Error::from(S3Error::with_message(S3ErrorCode::InvalidTargetBucketForLogging, message.to_owned()).extra("TargetBucket", config.target_bucket.clone()))
    };
    if config.target_prefix.len() > MAX_TARGET_PREFIX {
        return Err(S3Error::with_message(S3ErrorCode::InvalidArgument, format!("The target prefix must be at most {MAX_TARGET_PREFIX} bytes long")).into());
    }
    let target = match state.catalog.bucket(&config.target_bucket).await? {
        None => return Err(refused("The target bucket for logging does not exist")),
        Some(target) if target.owner_id != bucket.owner_id => {
            return Err(refused("The owner for the bucket to be logged and the target bucket must be the same."))
        }
        Some(target) if locks_by_default(&target) => return Err(refused("The target bucket for logging must not have a default object lock retention")),
        Some(target) => target,
    };
    // The grants become each log object's ACL: refused now, as that ACL would be.
    let acl = Acl::from_grants(&config.acl_grants()?, &target.owner_id)?;
    check_grantees(state, &acl).await?;
    check_bucket_allows(&target, &acl, &target.owner_id)
}

/// Refuses a policy naming a user that does not exist, as AWS refuses an unknown
/// principal.
async fn check_principals(state: &AppState, policy: &BucketPolicy) -> Result<(), Error> {
    for principal in policy.named_principals() {
        let exists = match &principal {
            NamedPrincipal::UserId(id) => state.catalog.user_by_id(id).await?.is_some(),
            NamedPrincipal::Username(name) => state.catalog.user_by_name(name).await?.is_some(),
            NamedPrincipal::Account => true,
        };
        if !exists {
            return Err(S3Error::with_message(S3ErrorCode::MalformedPolicy, "Invalid principal in policy").into());
        }
    }
    Ok(())
}

/// Whether the bucket's ACL grants anything to someone other than its owner: AWS
/// refuses `BucketOwnerEnforced` until it does not.
fn grants_to_others(bucket: &Bucket) -> bool {
    Acl::from_json(&bucket.acl).grants.iter().any(|g| g.grantee != Grantee::User(bucket.owner_id.clone()))
}

async fn update(state: &AppState, req: &S3Request, bucket: &Bucket, setting: BucketSetting, value: Option<&str>, verb: &str) -> Result<(), Error> {
    let ctx = req.event_context(state);
    let mut tx = state.catalog.begin().await?;
    let mut current = tx.bucket(&bucket.name).await?.filter(|b| b.id == bucket.id).ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket))?;
    tx.set_bucket_setting(current.id, setting, value).await?;
    let value = value.map(str::to_owned);
    let name = match setting {
        BucketSetting::Policy => {
            current.policy = value;
            "BucketPolicy"
        }
        BucketSetting::Cors => {
            current.cors = value;
            "BucketCors"
        }
        BucketSetting::PublicAccessBlock => {
            current.public_access_block = value;
            "PublicAccessBlock"
        }
        BucketSetting::OwnershipControls => {
            current.object_ownership = value;
            "BucketOwnershipControls"
        }
        BucketSetting::Lifecycle => {
            current.lifecycle = value;
            "BucketLifecycle"
        }
        BucketSetting::Logging => {
            current.logging = value;
            "BucketLogging"
        }
        BucketSetting::Encryption => {
            current.encryption = value;
            "BucketEncryption"
        }
        BucketSetting::ObjectLock => {
            // AWS turns object lock on for an existing bucket only when versioning is on.
            if current.versioning != Versioning::Enabled {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidBucketState,
                    "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
                )
                .into());
            }
            current.object_lock = value;
            "ObjectLockConfiguration"
        }
    };
    Event::for_bucket(&ctx, EventType::BucketUpdated, &format!("{name}:{verb}"), &current).record(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}
