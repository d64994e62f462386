//! The S3 request path: resolve the target, parse the [`Operation`], authenticate, then
//! match the operation exhaustively onto its handler.
//!
//! Authentication happens here and only here, before any handler runs and before the
//! body is read (so `Expect: 100-continue` is answered only for authenticated requests).

use std::net::SocketAddr;

use http::request::Parts;
use http::{Method, Request, Response};
use hyper::body::Incoming;
use s3api::route::{self, Query};
use s3api::Operation;

use super::body::RequestBody;
use super::response::{s3_error, Body};
use super::AppState;
use crate::auth::{self, Principal};
use crate::error::Error;
use crate::events::EventContext;
use crate::{bucket, multipart, object};

/// A parsed, authenticated S3 request, as handlers receive it.
pub struct S3Request {
    pub parts: Parts,
    pub query: Query,
    pub body: RequestBody,
    pub principal: Principal,
    pub request_id: String,
    pub remote: SocketAddr,
}

impl S3Request {
    pub fn headers(&self) -> &http::HeaderMap {
        &self.parts.headers
    }

    /// Who and where, for the events this request writes.
    pub fn event_context(&self, state: &AppState) -> EventContext {
        EventContext {
            principal: self.principal.id_for_events(),
            request_id: self.request_id.clone(),
            source_ip: self.remote.ip().to_string(),
            region: state.config.region.clone(),
        }
    }
}

pub async fn handle(state: &AppState, remote: SocketAddr, req: Request<Incoming>, request_id: &str) -> Response<Body> {
    let is_head = req.method() == Method::HEAD;
    match handle_inner(state, remote, req, request_id).await {
        Ok(resp) => resp,
        Err(e) => {
            let err = e.into_s3();
            tracing::debug!(code = %err.code, message = %err.message, "request failed");
            s3_error(&err, request_id, is_head)
        }
    }
}

async fn handle_inner(state: &AppState, remote: SocketAddr, req: Request<Incoming>, request_id: &str) -> Result<Response<Body>, Error> {
    let (mut parts, incoming) = req.into_parts();
    s3api::sigv4::promote_query_headers(&mut parts);
    let host = parts.headers.get(http::header::HOST).and_then(|h| h.to_str().ok());
    let target = route::resolve(&parts.uri, host, &state.domains)?;
    let query = Query::parse(parts.uri.query());
    let op = Operation::parse(&parts.method, &target, &query, parts.headers.contains_key("x-amz-copy-source"))?;
    let span = tracing::Span::current();
    span.record("operation", op.name());
    if let Some(bucket) = op.bucket() {
        span.record("bucket", bucket);
    }
    if let Some(key) = op.key() {
        span.record("key", key);
    }

    let vhost_bucket = if target.virtual_host { target.bucket.as_deref() } else { None };
    let auth = auth::authenticate(&state.catalog, &parts, vhost_bucket, &state.config.region, chrono::Utc::now()).await;
    // Rate limit: per verified access key; anonymous and failed requests per client IP.
    auth::rate_limit::admit_s3(&state.limits, auth.as_ref().ok(), remote.ip())?;
    let auth = auth?;
    let body = RequestBody::new(incoming, &parts.headers, &auth.payload, auth.chunk_signer)?;
    let req = S3Request { parts, query, body, principal: auth.principal, request_id: request_id.to_owned(), remote };
    dispatch(state, op, req).await
}

async fn dispatch(state: &AppState, op: Operation, req: S3Request) -> Result<Response<Body>, Error> {
    use s3api::S3ErrorCode::NotImplemented;
    match op {
        Operation::ListBuckets(params) => bucket::list_buckets(state, req, params).await,
        Operation::StsAction => auth::sts::handle(state, req).await,
        Operation::CreateBucket { bucket } => bucket::create(state, req, &bucket).await,
        Operation::HeadBucket { bucket } => bucket::head(state, req, &bucket).await,
        Operation::DeleteBucket { bucket } => bucket::delete(state, req, &bucket).await,
        Operation::GetBucketLocation { bucket } => bucket::location(state, req, &bucket).await,
        Operation::GetBucketUnsetConfig { bucket, config } => bucket::unset_config(state, req, &bucket, config).await,
        Operation::ListObjects { bucket, params } => object::list::list_objects(state, req, &bucket, params, false).await,
        Operation::ListObjectsV2 { bucket, params } => object::list::list_objects(state, req, &bucket, params, true).await,
        Operation::DeleteObjects { bucket } => object::delete::delete_objects(state, req, &bucket).await,
        Operation::PutObject { bucket, key } => object::put::put_object(state, req, &bucket, &key).await,
        Operation::GetObject { bucket, key, version_id, part_number } => {
            object::get::get_object(state, req, &bucket, &key, version_id.as_deref(), part_number, false).await
        }
        Operation::HeadObject { bucket, key, version_id, part_number } => {
            object::get::get_object(state, req, &bucket, &key, version_id.as_deref(), part_number, true).await
        }
        Operation::DeleteObject { bucket, key, version_id } => object::delete::delete_object(state, req, &bucket, &key, version_id.as_deref()).await,
        Operation::CopyObject { bucket, key } => object::copy::copy_object(state, req, &bucket, &key).await,
        Operation::GetObjectAttributes { bucket, key, version_id } => {
            object::attributes::get_object_attributes(state, req, &bucket, &key, version_id.as_deref()).await
        }
        Operation::CreateMultipartUpload { bucket, key } => multipart::create(state, req, &bucket, &key).await,
        Operation::UploadPart { bucket, key, upload_id, part_number } => multipart::upload_part(state, req, &bucket, &key, &upload_id, part_number).await,
        Operation::UploadPartCopy { bucket, key, upload_id, part_number } => {
            multipart::upload_part_copy(state, req, &bucket, &key, &upload_id, part_number).await
        }
        Operation::CompleteMultipartUpload { bucket, key, upload_id } => multipart::complete(state, req, &bucket, &key, &upload_id).await,
        Operation::AbortMultipartUpload { bucket, key, upload_id } => multipart::abort(state, req, &bucket, &key, &upload_id).await,
        Operation::ListParts { bucket, key, upload_id, params } => multipart::list_parts(state, req, &bucket, &key, &upload_id, params).await,
        Operation::ListMultipartUploads { bucket, params } => multipart::list_uploads(state, req, &bucket, params).await,
        Operation::GetBucketVersioning { bucket } => bucket::versioning::get(state, req, &bucket).await,
        Operation::PutBucketVersioning { bucket } => bucket::versioning::put(state, req, &bucket).await,
        Operation::GetBucketTagging { bucket } => bucket::tagging::get(state, req, &bucket).await,
        Operation::PutBucketTagging { bucket } => bucket::tagging::put(state, req, &bucket).await,
        Operation::DeleteBucketTagging { bucket } => bucket::tagging::delete(state, req, &bucket).await,
        Operation::ListObjectVersions { bucket, params } => object::versions::list_versions(state, req, &bucket, params).await,
        Operation::GetObjectTagging { bucket, key, version_id } => object::tagging::get(state, req, &bucket, &key, version_id.as_deref()).await,
        Operation::PutObjectTagging { bucket, key, version_id } => object::tagging::put(state, req, &bucket, &key, version_id.as_deref()).await,
        Operation::DeleteObjectTagging { bucket, key, version_id } => object::tagging::delete(state, req, &bucket, &key, version_id.as_deref()).await,
        Operation::GetBucketAcl { bucket } => bucket::acl::get_bucket_acl(state, req, &bucket).await,
        Operation::PutBucketAcl { bucket } => bucket::acl::put_bucket_acl(state, req, &bucket).await,
        Operation::GetObjectAcl { bucket, key, version_id } => object::acl::get_object_acl(state, req, &bucket, &key, version_id.as_deref()).await,
        Operation::PutObjectAcl { bucket, key, version_id } => object::acl::put_object_acl(state, req, &bucket, &key, version_id.as_deref()).await,
        Operation::NotImplemented { name, .. } => Err(s3api::S3Error::with_message(NotImplemented, format!("{name} is not implemented")).into()),
    }
}
