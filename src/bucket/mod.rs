//! Bucket operations: create, head, delete, list, location, and the configurations
//! Depot never sets. Bucket ACLs are in `acl.rs`. Every handler receives the bucket the
//! pipeline found and authorized (`auth::access`).
//!
//! Layer 10 of `crate::LAYERS` (the first handler layer): may import `http` and what is
//! below it, never another handler module.

pub mod acl;
pub mod cors;
pub mod settings;
pub mod tagging;
pub mod versioning;

use http::{Response, StatusCode};
use s3api::bucket_config::ObjectOwnership;
use s3api::object_lock::ObjectLockConfiguration;
use s3api::operation::{BucketSetting, ListBucketsParams, UnsetConfig};
use s3api::route::validate_bucket_name;
use s3api::xml::{self, request::CreateBucketConfiguration, response::BucketEntry, Owner};
use s3api::{S3Error, S3ErrorCode};

use crate::auth::acl::Grantee;
use crate::auth::Principal;
use crate::catalog::{ms_to_datetime, now_ms, Bucket, CatalogError, Versioning};
use crate::error::Error;
use crate::events::{Event, EventType};
use crate::http::acl::requested_acl;
use crate::http::response::{self, empty, set_header, Body};
use crate::http::{AppState, S3Request};

pub async fn list_buckets(state: &AppState, req: S3Request, params: ListBucketsParams) -> Result<Response<Body>, Error> {
    let Principal::User(user) = &req.caller.principal else {
        return Err(S3ErrorCode::AccessDenied.into());
    };
    let owner_filter = (!user.is_root).then_some(user.user_id.as_str());
    let buckets = state.catalog.buckets(owner_filter).await?;
    let prefix = params.prefix.as_deref().unwrap_or("");
    let after = params.continuation_token.as_deref().unwrap_or("");
    let mut page: Vec<BucketEntry> = buckets
        .into_iter()
        .filter(|b| b.name.starts_with(prefix) && b.name.as_str() > after)
        .map(|b| BucketEntry { name: b.name, creation_date: ms_to_datetime(b.created_at), region: b.region })
        .collect();
    let mut next_token = None;
    if let Some(max) = params.max_buckets {
        if page.len() > max {
            page.truncate(max);
            next_token = page.last().map(|b| b.name.clone());
        }
    }
    let owner = Owner { id: user.user_id.clone(), display_name: user.username.clone() };
    Ok(response::xml(xml::response::list_buckets(&owner, &page, params.prefix.as_deref(), next_token.as_deref())))
}

pub async fn create(state: &AppState, mut req: S3Request, name: &str) -> Result<Response<Body>, Error> {
    let Some(user_id) = req.caller.principal.user_id().map(String::from) else {
        return Err(S3ErrorCode::AccessDenied.into());
    };
    validate_bucket_name(name)?;
    // Object lock turns versioning on for good (see `object::lock`).
    let object_lock = req.headers().get("x-amz-bucket-object-lock-enabled").and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let acl = requested_acl(state, req.headers(), None).await?.unwrap_or_default();
    let ownership = match req.headers().get("x-amz-object-ownership") {
        Some(v) => Some(ObjectOwnership::parse(v.to_str().unwrap_or_default())?),
        None => None,
    };
    if ownership == Some(ObjectOwnership::BucketOwnerEnforced) && acl.grants.iter().any(|g| g.grantee != Grantee::User(user_id.clone())) {
        return Err(S3Error::new(S3ErrorCode::InvalidBucketAclWithObjectOwnership).into());
    }
    let body = req.body.read_to_end(xml::request::MAX_XML_BODY).await?;
    if !body.is_empty() {
        let config: CreateBucketConfiguration = xml::request::parse(&body)?;
        if let Some(location) = config.location_constraint.filter(|l| !l.is_empty()) {
            if location != state.config.region && !(location == "US" && state.config.region == "us-east-1") {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidLocationConstraint,
                    format!("The specified location-constraint is not valid: this server is in '{}'", state.config.region),
                )
                .extra("LocationConstraint", location)
                .into());
            }
        }
    }

    let mut tx = state.catalog.begin().await?;
    let mut bucket = match tx.create_bucket(name, &user_id, &state.config.region, &acl.to_json(), now_ms()).await {
        Ok(b) => b,
        Err(CatalogError::Conflict) => {
            drop(tx);
            let existing = state.catalog.bucket(name).await?;
            let code = match existing {
                // For legacy compatibility AWS answers 200 in us-east-1 when the caller
                // re-creates a bucket it owns (the bucket stays as it is); elsewhere 409.
                Some(b) if b.owner_id == user_id && recreating_own_bucket_succeeds(&state.config.region) => {
                    let mut resp = empty(StatusCode::OK);
                    set_header(&mut resp, "location", &format!("/{name}"));
                    return Ok(resp);
                }
                Some(b) if b.owner_id == user_id => S3ErrorCode::BucketAlreadyOwnedByYou,
                _ => S3ErrorCode::BucketAlreadyExists,
            };
            return Err(S3Error::new(code).resource(format!("/{name}")).extra("BucketName", name).into());
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(ownership) = ownership {
        tx.set_bucket_setting(bucket.id, BucketSetting::OwnershipControls, Some(ownership.as_str())).await?;
        bucket.object_ownership = Some(ownership.as_str().to_owned());
    }
    if object_lock {
        let config = ObjectLockConfiguration { default_retention: None }.to_json();
        tx.set_bucket_setting(bucket.id, BucketSetting::ObjectLock, Some(&config)).await?;
        tx.set_bucket_versioning(bucket.id, Versioning::Enabled).await?;
        bucket.object_lock = Some(config);
        bucket.versioning = Versioning::Enabled;
    }
    Event::for_bucket(&req.event_context(state), EventType::BucketCreated, "BucketCreated", &bucket).record(&mut tx).await?;
    tx.commit().await?;
    let mut resp = empty(StatusCode::OK);
    set_header(&mut resp, "location", &format!("/{name}"));
    Ok(resp)
}

/// Whether CreateBucket of a bucket the caller already owns succeeds in `region`: only
/// in us-east-1, as AWS keeps it there for legacy clients.
fn recreating_own_bucket_succeeds(region: &str) -> bool {
    region == "us-east-1"
}

pub async fn head(bucket: Bucket) -> Result<Response<Body>, Error> {
    let mut resp = empty(StatusCode::OK);
    set_header(&mut resp, "x-amz-bucket-region", &bucket.region);
    Ok(resp)
}

pub async fn delete(state: &AppState, req: S3Request, bucket: Bucket) -> Result<Response<Body>, Error> {
    let name = bucket.name.as_str();
    let mut tx = state.catalog.begin().await?;
    let Some(bucket) = tx.bucket(&bucket.name).await? else {
        return Err(S3Error::new(S3ErrorCode::NoSuchBucket).into());
    };
    let (has_objects, _) = tx.bucket_has_content(bucket.id).await?;
    if has_objects {
        return Err(S3Error::new(S3ErrorCode::BucketNotEmpty).resource(format!("/{name}")).extra("BucketName", name).into());
    }
    // Incomplete multipart uploads go with the bucket; their parts are freed.
    for upload_id in tx.bucket_upload_ids(bucket.id).await? {
        tx.delete_upload(&upload_id).await?;
    }
    tx.delete_bucket(bucket.id).await?;
    Event::for_bucket(&req.event_context(state), EventType::BucketDeleted, "BucketRemoved", &bucket).record(&mut tx).await?;
    tx.commit().await?;
    state.gc.poke();
    Ok(empty(StatusCode::NO_CONTENT))
}

pub async fn location(bucket: Bucket) -> Result<Response<Body>, Error> {
    Ok(response::xml(xml::response::location_constraint(&bucket.region)))
}

pub async fn unset_config(bucket: Bucket, config: UnsetConfig) -> Result<Response<Body>, Error> {
    let name = bucket.name.as_str();
    let doc = xml::response::unset_config(config).map_err(|e| e.resource(format!("/{name}")).extra("BucketName", name))?;
    Ok(response::xml(doc))
}
