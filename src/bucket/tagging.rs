//! Get, Put and DeleteBucketTagging. A change writes `BUCKET_UPDATED`.

use http::{Response, StatusCode};
use s3api::tagging::{self, MAX_BUCKET_TAGS};
use s3api::xml::{self, request::TaggingRequest};
use s3api::{S3Error, S3ErrorCode};

use crate::catalog::Bucket;
use crate::error::Error;
use crate::events::{Event, EventType};
use crate::http::response::{self, empty, Body};
use crate::http::{AppState, S3Request};

pub async fn get(bucket: Bucket) -> Result<Response<Body>, Error> {
    let name = bucket.name.as_str();
    match &bucket.tags {
        Some(tags) => Ok(response::xml(xml::response::tagging(tags))),
        None => Err(S3Error::new(S3ErrorCode::NoSuchTagSet).resource(format!("/{name}")).extra("BucketName", name).into()),
    }
}

pub async fn put(state: &AppState, mut req: S3Request, bucket: Bucket) -> Result<Response<Body>, Error> {
    let name = bucket.name.as_str();
    let body = req.body.read_to_end(xml::request::MAX_XML_BODY).await?;
    let tags = tagging::from_request(xml::request::parse::<TaggingRequest>(&body)?, MAX_BUCKET_TAGS)?;
    update(state, &req, name, Some(tags), "BucketTagging:Put").await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

pub async fn delete(state: &AppState, req: S3Request, bucket: Bucket) -> Result<Response<Body>, Error> {
    let name = bucket.name.as_str();
    update(state, &req, name, None, "BucketTagging:Delete").await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

async fn update(state: &AppState, req: &S3Request, name: &str, tags: Option<Vec<(String, String)>>, event_name: &str) -> Result<(), Error> {
    let ctx = req.event_context(state);
    let mut tx = state.catalog.begin().await?;
    let mut bucket = tx.bucket(name).await?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket))?;
    tx.set_bucket_tags(bucket.id, tags.as_deref()).await?;
    bucket.tags = tags;
    Event::for_bucket(&ctx, EventType::BucketUpdated, event_name, &bucket).record(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}
