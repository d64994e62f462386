//! GetBucketAcl and PutBucketAcl. Reading needs READ_ACP, writing WRITE_ACP (the owner
//! and root always may); a change writes its `BUCKET_UPDATED` event in the same
//! transaction. Request parsing and the answer's document are shared with object ACLs
//! (`object::acl`).

use http::{Response, StatusCode};
use s3api::{S3Error, S3ErrorCode};

use crate::auth::acl::Acl;
use crate::catalog::Bucket;
use crate::error::Error;
use crate::events::{Event, EventType};
use crate::http::acl::{acl_from_request, policy_document};
use crate::http::response::{self, empty, Body};
use crate::http::{AppState, S3Request};

pub async fn get_bucket_acl(state: &AppState, bucket: Bucket) -> Result<Response<Body>, Error> {
    let acl = Acl::from_json(&bucket.acl);
    Ok(response::xml(policy_document(state, &bucket.owner_id, &acl).await?))
}

pub async fn put_bucket_acl(state: &AppState, mut req: S3Request, bucket: Bucket) -> Result<Response<Body>, Error> {
    let name = bucket.name.as_str();
    let body = req.body.read_to_end(s3api::xml::request::MAX_XML_BODY).await?;
    let acl = acl_from_request(state, req.headers(), &body, &bucket, &bucket.owner_id, false).await?.to_json();
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
