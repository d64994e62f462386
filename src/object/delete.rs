//! DeleteObject and DeleteObjects, with S3's versioning rules: a delete without a
//! version id removes the null version (versioning off) or writes a delete marker
//! (enabled, or suspended with a `null` marker); a delete with a version id removes that
//! version for good. Each removal writes its `OBJECT_DELETED` event in the same
//! transaction. DeleteObjects authorizes each key on its own (a bucket policy may allow
//! deleting some keys and not others): a key the caller may not delete is an
//! `AccessDenied` entry in the result, as S3 reports it.

use http::{Response, StatusCode};
use s3api::headers::ObjectMetadata;
use s3api::route::check_key;
use s3api::xml::{self, request::DeleteRequest, response::DeleteOutcome};
use s3api::{S3Error, S3ErrorCode};

use super::{check_version_id, version_write};
use crate::auth::access::{self, Ask};
use crate::auth::acl_rules::Action;
use crate::catalog::{now_ms, Bucket, NewVersion, Tx, Versioning, NULL_VERSION};
use crate::error::Error;
use crate::events::{Event, EventContext, EventType};
use crate::http::response::{self, empty, set_header, Body};
use crate::http::{AppState, S3Request};

/// The most keys one DeleteObjects request may name.
pub const MAX_DELETE_KEYS: usize = 1000;

/// What one delete did.
#[derive(Debug)]
pub struct Removal {
    /// The version id to report (the removed version's, or the new marker's).
    pub version_id: Option<String>,
    /// A delete marker was created, or the removed version was one.
    pub delete_marker: bool,
    /// Whether any stored version changed.
    pub changed: bool,
}

/// Why removing the version a delete of `key` (and `version_id`) would remove is refused
/// by object lock, if it is: a delete with a version id, or of the null version of an
/// unversioned or suspended bucket. A delete that adds a marker in a versioned bucket
/// removes nothing and is never refused. Call with the key's lock held.
pub async fn lock_refusal(tx: &mut Tx, bucket: &Bucket, key: &str, version_id: Option<&str>, bypass: bool) -> Result<Option<S3Error>, Error> {
    let removed = match (version_id, bucket.versioning) {
        (Some(v), _) => v,
        // Unversioned: the null version goes; suspended: a null marker replaces it.
        (None, Versioning::Unversioned | Versioning::Suspended) => NULL_VERSION,
        (None, Versioning::Enabled) => return Ok(None),
    };
    let Some(version) = tx.version(bucket.id, key, removed).await? else { return Ok(None) };
    Ok(super::lock::check_removal(&version, bypass).err().map(Error::into_s3))
}

/// Deletes inside `tx` as a DeleteObject of `key` (and `version_id`) does, recording the
/// event; a new delete marker belongs to `owner_id`. A locked version is refused (see
/// `object::lock`; `bypass`: GOVERNANCE retention may be bypassed). The lifecycle worker
/// deletes through here too.
pub async fn delete_one(
    tx: &mut Tx,
    ctx: &EventContext,
    bucket: &Bucket,
    key: &str,
    version_id: Option<&str>,
    owner_id: &str,
    bypass: bool,
) -> Result<Removal, Error> {
    tx.lock_key(bucket.id, key).await?;
    if let Some(refusal) = lock_refusal(tx, bucket, key, version_id, bypass).await? {
        return Err(refusal.into());
    }
    let shown = |v: &str| (bucket.versioning != Versioning::Unversioned || v != NULL_VERSION).then(|| v.to_owned());
    let removal = match (version_id, bucket.versioning) {
        (Some(v), _) => match tx.delete_version(bucket.id, key, v).await? {
            Some(removed) => {
                Event::for_object(ctx, EventType::ObjectDeleted, "ObjectRemoved:Delete", bucket, &removed).record(tx).await?;
                Removal { version_id: Some(v.to_owned()), delete_marker: removed.is_delete_marker, changed: true }
            }
            None => Removal { version_id: Some(v.to_owned()), delete_marker: false, changed: false },
        },
        (None, Versioning::Unversioned) => match tx.delete_version(bucket.id, key, NULL_VERSION).await? {
            Some(removed) => {
                Event::for_object(ctx, EventType::ObjectDeleted, "ObjectRemoved:Delete", bucket, &removed).record(tx).await?;
                Removal { version_id: None, delete_marker: false, changed: true }
            }
            None => Removal { version_id: None, delete_marker: false, changed: false },
        },
        (None, versioning) => {
            let marker = NewVersion {
                key: key.to_owned(),
                is_delete_marker: true,
                size: 0,
                etag: String::new(),
                last_modified: now_ms(),
                owner_id: owner_id.to_owned(),
                metadata: ObjectMetadata::default(),
                storage_class: "STANDARD".to_owned(),
                checksum: None,
                tags: Vec::new(),
                acl: None,
                parts_count: None,
                upload_id: None,
                lock: Default::default(),
                sse: None,
                parts: Vec::new(),
            };
            let (created, _) = tx.put_version(bucket.id, &marker, &version_write(versioning)).await?;
            Event::for_object(ctx, EventType::ObjectDeleted, "ObjectRemoved:DeleteMarkerCreated", bucket, &created).record(tx).await?;
            Removal { version_id: shown(&created.version_id), delete_marker: true, changed: true }
        }
    };
    Ok(removal)
}

pub async fn delete_object(state: &AppState, req: S3Request, bucket: Bucket, key: &str, version_id: Option<&str>) -> Result<Response<Body>, Error> {
    if let Some(v) = version_id {
        check_version_id(v)?;
    }
    let owner = req.caller.principal.user_id().unwrap_or("anonymous").to_owned();
    let ctx = req.event_context(state);
    let mut tx = state.catalog.begin().await?;
    let bucket = tx.bucket(&bucket.name).await?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket))?;
    let bypass = super::lock::bypass_allowed(&req.caller, &bucket, key, req.headers());
    let removal = delete_one(&mut tx, &ctx, &bucket, key, version_id, &owner, bypass).await?;
    tx.commit().await?;
    if removal.changed {
        state.gc.poke();
    }
    let mut resp = empty(StatusCode::NO_CONTENT);
    if let Some(v) = &removal.version_id {
        set_header(&mut resp, "x-amz-version-id", v);
    }
    if removal.delete_marker {
        set_header(&mut resp, "x-amz-delete-marker", "true");
    }
    Ok(resp)
}

pub async fn delete_objects(state: &AppState, mut req: S3Request, bucket: Bucket) -> Result<Response<Body>, Error> {
    // AWS requires Content-MD5 (or a checksum) on DeleteObjects; Depot asks it of a bucket
    // with object lock, where a corrupted key list could remove the wrong versions.
    let body = req.read_verified(xml::request::MAX_XML_BODY, bucket.object_lock.is_some()).await?;
    let request: DeleteRequest = xml::request::parse(&body)?;
    if request.objects.is_empty() || request.objects.len() > MAX_DELETE_KEYS {
        return Err(S3Error::with_message(S3ErrorCode::MalformedXML, "A DeleteObjects request names 1 to 1000 keys").into());
    }

    let owner = req.caller.principal.user_id().unwrap_or("anonymous").to_owned();
    let ctx = req.event_context(state);
    let mut outcomes = Vec::with_capacity(request.objects.len());
    let mut changed = false;
    let mut tx = state.catalog.begin().await?;
    let bucket = tx.bucket(&bucket.name).await?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket))?;
    for object in request.objects {
        let action = if object.version_id.is_some() { "s3:DeleteObjectVersion" } else { "s3:DeleteObject" };
        let checked = check_key(&object.key)
            .map_err(Error::from)
            .and_then(|_| match &object.version_id {
                Some(v) => check_version_id(v),
                None => Ok(()),
            })
            .and_then(|_| Ok(access::check(&req.caller, &bucket, Ask { action, acl_action: Action::WriteObjects, key: Some(&object.key), object: None })?));
        if let Err(e) = checked {
            let e = e.into_s3();
            outcomes.push(DeleteOutcome::Error { key: object.key, version_id: object.version_id, code: e.code.to_string(), message: e.message.into_owned() });
            continue;
        }
        let bypass = super::lock::bypass_allowed(&req.caller, &bucket, &object.key, req.headers());
        // The key's lock first, then its rows, as every writer of the key does.
        tx.lock_key(bucket.id, &object.key).await?;
        if let Some(e) = lock_refusal(&mut tx, &bucket, &object.key, object.version_id.as_deref(), bypass).await? {
            outcomes.push(DeleteOutcome::Error { key: object.key, version_id: object.version_id, code: e.code.to_string(), message: e.message.into_owned() });
            continue;
        }
        let removal = delete_one(&mut tx, &ctx, &bucket, &object.key, object.version_id.as_deref(), &owner, bypass).await?;
        changed |= removal.changed;
        let (version_id, marker_version_id) = match (&object.version_id, removal.delete_marker) {
            (Some(v), _) => (Some(v.clone()), None),
            (None, true) => (None, removal.version_id.clone()),
            (None, false) => (None, None),
        };
        outcomes.push(DeleteOutcome::Deleted {
            key: object.key,
            version_id,
            delete_marker: removal.delete_marker,
            delete_marker_version_id: if removal.delete_marker { marker_version_id.or(removal.version_id) } else { None },
        });
    }
    tx.commit().await?;
    if changed {
        state.gc.poke();
    }
    Ok(response::xml(xml::response::delete_result(&outcomes, request.quiet)))
}
