//! GetBucketAcl and PutBucketAcl. Reading needs READ_ACP, writing WRITE_ACP (the owner
//! and root always may); a change writes its `BUCKET_UPDATED` event in the same
//! transaction. Request parsing and the answer's document are shared with object ACLs
//! (`object::acl`).

use http::{Response, StatusCode};
use s3api::{S3Error, S3ErrorCode};

use super::resolve;
use crate::auth::acl::Acl;
use crate::auth::policy::Action;
use crate::catalog::Bucket;
use crate::error::Error;
use crate::events::{Event, EventType};
use crate::object::acl::{acl_from_request, policy_document};
use crate::server::response::{self, empty, Body};
use crate::server::{s3::S3Request, AppState};

pub async fn get_bucket_acl(state: &AppState, req: S3Request, name: &str) -> Result<Response<Body>, Error> {
    let bucket = resolve(state, &req.principal, name, Action::ReadBucketAcl).await?;
    let acl = Acl::from_json(&bucket.acl);
    Ok(response::xml(policy_document(state, &bucket.owner_id, &acl).await?))
}

pub async fn put_bucket_acl(state: &AppState, mut req: S3Request, name: &str) -> Result<Response<Body>, Error> {
    let bucket = resolve(state, &req.principal, name, Action::WriteBucketAcl).await?;
    let body = req.body.read_to_end(s3api::xml::request::MAX_XML_BODY).await?;
    let acl = acl_from_request(state, req.headers(), &body, &bucket.owner_id, None).await?.to_json();
    let ctx = req.event_context(state);

    let mut tx = state.catalog.begin().await?;
    let current = tx
        .bucket(name)
        .await?
        .filter(|b| b.id == bucket.id)
        .ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket).resource(format!("/{name}")).extra("BucketName", name))?;
    tx.set_bucket_acl(current.id, &acl).await?;
    let updated = Bucket { acl, ..current };
    Event::for_bucket(&ctx, EventType::BucketUpdated, "BucketAcl:Put", &updated).record(&mut tx).await?;
    tx.commit().await?;
    Ok(empty(StatusCode::OK))
}
