//! GetBucketVersioning and PutBucketVersioning. A change writes `BUCKET_UPDATED`. A
//! bucket with object lock stays `Enabled`.

use http::{Response, StatusCode};
use s3api::xml::{self, request::VersioningConfiguration};
use s3api::{S3Error, S3ErrorCode};

use crate::catalog::{Bucket, Versioning};
use crate::error::Error;
use crate::events::{Event, EventType};
use crate::http::response::{self, empty, Body};
use crate::http::{AppState, S3Request};

pub async fn get(bucket: Bucket) -> Result<Response<Body>, Error> {
    let status = match bucket.versioning {
        Versioning::Unversioned => None,
        Versioning::Enabled => Some("Enabled"),
        Versioning::Suspended => Some("Suspended"),
    };
    Ok(response::xml(xml::response::versioning_configuration(status)))
}

pub async fn put(state: &AppState, mut req: S3Request, bucket: Bucket) -> Result<Response<Body>, Error> {
    let body = req.body.read_to_end(xml::request::MAX_XML_BODY).await?;
    let config: VersioningConfiguration = xml::request::parse(&body)?;
    if config.mfa_delete.as_deref().is_some_and(|m| m != "Disabled") {
        return Err(S3Error::with_message(S3ErrorCode::NotImplemented, "MFA Delete is not supported: MfaDelete must be absent or Disabled").into());
    }
    let versioning = match config.status.as_deref() {
        Some("Enabled") => Versioning::Enabled,
        Some("Suspended") => Versioning::Suspended,
        _ => {
            return Err(S3Error::with_message(
                S3ErrorCode::IllegalVersioningConfigurationException,
                "The Versioning element must be specified as Enabled or Suspended",
            )
            .into())
        }
    };
    let ctx = req.event_context(state);
    let mut tx = state.catalog.begin().await?;
    let mut bucket = tx.bucket(&bucket.name).await?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket))?;
    if bucket.object_lock.is_some() && versioning != Versioning::Enabled {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidBucketState,
            "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.",
        )
        .into());
    }
    if bucket.versioning != versioning {
        tx.set_bucket_versioning(bucket.id, versioning).await?;
        bucket.versioning = versioning;
        Event::for_bucket(&ctx, EventType::BucketUpdated, "BucketVersioning:Put", &bucket).record(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(empty(StatusCode::OK))
}
