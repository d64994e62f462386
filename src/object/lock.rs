//! S3 Object Lock on object versions: the lock a new version gets (the request's
//! `x-amz-object-lock-*` headers, else the bucket's default retention), the lock headers
//! of GET and HEAD, the check every deletion of a version passes, and
//! Get/PutObjectRetention and Get/PutObjectLegalHold.
//!
//! The documents, headers and rules (what may be deleted, what retention may replace
//! which) are `s3api::object_lock`; the bucket's configuration is `bucket::settings`.
//! Must not decide what a rule means, and never lets anyone (root included) remove a
//! version under legal hold or COMPLIANCE retention before its date, nor one under
//! GOVERNANCE retention without `x-amz-bypass-governance-retention` and the
//! `s3:BypassGovernanceRetention` permission. A delete without a version id still adds a
//! delete marker, as in S3: the locked version stays.

use http::{HeaderMap, Response, StatusCode};
use s3api::headers::{self as s3headers, ChecksumRequest};
use s3api::object_lock::{self, LockHeaders, ObjectLockConfiguration, Retention, RetentionMode};
use s3api::operation::{ObjectAccess, ObjectLockSetting};
use s3api::xml::request::MAX_XML_BODY;
use s3api::{S3Error, S3ErrorCode};

use super::readable_version;
use crate::auth::access::{self, Ask, Caller};
use crate::auth::acl_rules::Action;
use crate::catalog::{now_ms, Bucket, ObjectVersion, VersionLock};
use crate::error::Error;
use crate::events::{Event, EventType};
use crate::http::response::{self, empty, set_header, Body};
use crate::http::{AppState, S3Request};

/// The bucket's object lock configuration; `None` when object lock is off.
pub fn configuration(bucket: &Bucket) -> Result<Option<ObjectLockConfiguration>, Error> {
    Ok(bucket.object_lock.as_deref().map(ObjectLockConfiguration::from_json).transpose()?)
}

fn missing_configuration() -> Error {
    S3Error::with_message(S3ErrorCode::InvalidRequest, "Bucket is missing Object Lock Configuration").into()
}

/// The lock headers of a request (PutObject, CopyObject, CreateMultipartUpload) and the
/// bucket's configuration. Lock headers on a bucket without object lock are refused, and
/// so are they from a caller without `s3:PutObjectRetention` (a retention) or
/// `s3:PutObjectLegalHold` (a hold), as S3 requires: write access alone must not make
/// versions nobody can delete.
fn asked(caller: &Caller, bucket: &Bucket, key: &str, headers: &HeaderMap) -> Result<(Option<ObjectLockConfiguration>, LockHeaders), Error> {
    let asked = LockHeaders::from_headers(headers, now_ms())?;
    let config = configuration(bucket)?;
    if config.is_none() && !asked.is_empty() {
        return Err(missing_configuration());
    }
    let mut needed = Vec::new();
    if asked.retention.is_some() {
        needed.push("s3:PutObjectRetention");
    }
    if asked.legal_hold.is_some() {
        needed.push("s3:PutObjectLegalHold");
    }
    for action in needed {
        access::check(caller, bucket, Ask { action, acl_action: Action::ManageBucket, key: Some(key), object: None })?;
    }
    Ok((config, asked))
}

/// The lock of a version written now by a request with `headers` (PutObject with
/// `with_body`, CopyObject): the headers' retention and legal hold, else the bucket's
/// default retention. A PutObject asking for a retention or hold must carry Content-MD5
/// or a checksum value, as S3 requires.
pub fn lock_for_new_version(caller: &Caller, bucket: &Bucket, key: &str, headers: &HeaderMap, with_body: bool) -> Result<VersionLock, Error> {
    let (config, asked) = asked(caller, bucket, key, headers)?;
    let Some(config) = config else { return Ok(VersionLock::default()) };
    if with_body && !asked.is_empty() {
        let checksum = ChecksumRequest::from_headers(headers)?;
        let has_value = !matches!(checksum.value, s3api::headers::ChecksumValue::None) && checksum.algorithm.is_some();
        if s3headers::content_md5(headers)?.is_none() && !has_value {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters",
            )
            .into());
        }
    }
    Ok(default_or(&config, asked))
}

fn default_or(config: &ObjectLockConfiguration, asked: LockHeaders) -> VersionLock {
    let now = now_ms();
    let retention = asked.retention.or_else(|| config.default_retention.map(|d| Retention { mode: d.mode, retain_until_ms: d.retain_until(now) }));
    to_version_lock(retention.as_ref(), asked.legal_hold)
}

/// The lock a CreateMultipartUpload asks for, kept with the upload until it completes.
pub fn lock_for_upload(caller: &Caller, bucket: &Bucket, key: &str, headers: &HeaderMap) -> Result<VersionLock, Error> {
    let (_, asked) = asked(caller, bucket, key, headers)?;
    Ok(to_version_lock(asked.retention.as_ref(), asked.legal_hold))
}

/// The lock of a version completed from an upload: what the upload asked for, else the
/// bucket's default retention from now.
pub fn lock_for_completed_upload(bucket: &Bucket, asked: &VersionLock) -> Result<VersionLock, Error> {
    if asked.mode.is_some() {
        return Ok(asked.clone());
    }
    let Some(config) = configuration(bucket)? else { return Ok(asked.clone()) };
    let retention = config.default_retention.map(|d| Retention { mode: d.mode, retain_until_ms: d.retain_until(now_ms()) });
    Ok(to_version_lock(retention.as_ref(), asked.legal_hold))
}

fn to_version_lock(retention: Option<&Retention>, legal_hold: Option<bool>) -> VersionLock {
    VersionLock { mode: retention.map(|r| r.mode.as_str().to_owned()), until: retention.map(|r| r.retain_until_ms), legal_hold }
}

/// A version's retention, when it has one. A mode this code does not know (never
/// written by it) counts as COMPLIANCE: a lock fails closed.
pub fn retention_of(lock: &VersionLock) -> Option<Retention> {
    let until = lock.until?;
    let mode = lock.mode.as_deref()?;
    Some(Retention { mode: RetentionMode::parse(mode).unwrap_or(RetentionMode::Compliance), retain_until_ms: until })
}

/// The object lock headers of a GET or HEAD response, as S3 sends them: the retention
/// only to a caller allowed `s3:GetObjectRetention`, the legal hold only to one allowed
/// `s3:GetObjectLegalHold` (the bucket owner, or whom a bucket policy allows).
pub fn write_headers(resp: &mut Response<Body>, caller: &Caller, bucket: &Bucket, version: &ObjectVersion) {
    if bucket.object_lock.is_none() && version.lock == VersionLock::default() {
        return;
    }
    let may = |action: &str| access::check(caller, bucket, Ask { action, acl_action: Action::ManageBucket, key: Some(&version.key), object: None }).is_ok();
    let retention = retention_of(&version.lock).filter(|_| may("s3:GetObjectRetention"));
    let legal_hold = version.lock.legal_hold.filter(|_| may("s3:GetObjectLegalHold"));
    for (name, value) in object_lock::response_headers(retention.as_ref(), legal_hold) {
        set_header(resp, name, &value);
    }
}

/// Whether the request asks to bypass GOVERNANCE retention and the caller may
/// (`s3:BypassGovernanceRetention`; the bucket owner may).
pub fn bypass_allowed(caller: &Caller, bucket: &Bucket, key: &str, headers: &HeaderMap) -> bool {
    object_lock::bypass_governance(headers)
        && access::check(caller, bucket, Ask { action: "s3:BypassGovernanceRetention", acl_action: Action::ManageBucket, key: Some(key), object: None }).is_ok()
}

/// Refuses the removal of a locked version (`403 AccessDenied`, as S3 answers).
pub fn check_removal(version: &ObjectVersion, bypass: bool) -> Result<(), Error> {
    if object_lock::may_delete(retention_of(&version.lock).as_ref(), version.lock.held(), now_ms(), bypass) {
        Ok(())
    } else {
        Err(S3Error::with_message(S3ErrorCode::AccessDenied, "Access Denied because object protected by object lock.").into())
    }
}

/// Whether a version may be removed now without bypassing anything (the lifecycle).
pub fn removable(version: &ObjectVersion) -> bool {
    object_lock::may_delete(retention_of(&version.lock).as_ref(), version.lock.held(), now_ms(), false)
}

/// The version a retention or legal hold request names, in a bucket with object lock.
async fn version_of(state: &AppState, req: &S3Request, bucket: &Bucket, key: &str, version_id: Option<&str>) -> Result<ObjectVersion, Error> {
    if bucket.object_lock.is_none() {
        return Err(missing_configuration());
    }
    readable_version(state, &req.caller, bucket, key, version_id, ObjectAccess::Read, req.action).await
}

/// The answer to GetObjectRetention or GetObjectLegalHold for a version that has no
/// retention, or never had a legal hold.
fn no_lock_of_its_own() -> S3Error {
    S3Error::with_message(S3ErrorCode::NoSuchObjectLockConfiguration, "The specified object does not have a ObjectLock configuration")
}

/// GetObjectRetention and GetObjectLegalHold.
pub async fn get(
    state: &AppState,
    req: S3Request,
    bucket: Bucket,
    key: &str,
    version_id: Option<&str>,
    setting: ObjectLockSetting,
) -> Result<Response<Body>, Error> {
    let version = version_of(state, &req, &bucket, key, version_id).await?;
    match setting {
        ObjectLockSetting::Retention => {
            let retention = retention_of(&version.lock).ok_or_else(no_lock_of_its_own)?;
            Ok(response::xml(retention.to_xml()))
        }
        // A version whose legal hold was never set has none to answer, as in S3.
        ObjectLockSetting::LegalHold => {
            let on = version.lock.legal_hold.ok_or_else(no_lock_of_its_own)?;
            Ok(response::xml(object_lock::legal_hold_xml(on)))
        }
    }
}

/// PutObjectRetention and PutObjectLegalHold: the version's lock changes in place
/// (extending a retention is always allowed; shortening or removing one only in
/// GOVERNANCE mode with bypass), with an `OBJECT_UPDATED` event.
pub async fn put(
    state: &AppState,
    mut req: S3Request,
    bucket: Bucket,
    key: &str,
    version_id: Option<&str>,
    setting: ObjectLockSetting,
) -> Result<Response<Body>, Error> {
    let found = version_of(state, &req, &bucket, key, version_id).await?;
    let body = req.read_verified(MAX_XML_BODY, true).await?;
    let bypass = bypass_allowed(&req.caller, &bucket, key, req.headers());
    let ctx = req.event_context(state);
    let now = now_ms();
    let mut tx = state.catalog.begin().await?;
    tx.lock_key(bucket.id, key).await?;
    let version = tx
        .version(bucket.id, key, &found.version_id)
        .await?
        .filter(|v| v.id == found.id)
        .ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchVersion).extra("Key", key).extra("VersionId", found.version_id.clone()))?;
    let mut lock = version.lock.clone();
    match setting {
        ObjectLockSetting::Retention => {
            let new = Retention::from_xml(&body)?;
            if let Some(r) = &new {
                r.check_future(now)?;
            }
            if !object_lock::may_replace_retention(retention_of(&lock).as_ref(), new.as_ref(), now, bypass) {
                return Err(S3Error::with_message(S3ErrorCode::AccessDenied, "Access Denied because object protected by object lock.").into());
            }
            lock = to_version_lock(new.as_ref(), lock.legal_hold);
        }
        ObjectLockSetting::LegalHold => lock.legal_hold = Some(object_lock::legal_hold_from_xml(&body)?),
    }
    tx.set_version_lock(version.id, &lock).await?;
    let updated = ObjectVersion { lock, ..version };
    let name = match setting {
        ObjectLockSetting::Retention => "ObjectRetention:Put",
        ObjectLockSetting::LegalHold => "ObjectLegalHold:Put",
    };
    Event::for_object(&ctx, EventType::ObjectUpdated, name, &bucket, &updated).record(&mut tx).await?;
    tx.commit().await?;
    Ok(empty(StatusCode::OK))
}
