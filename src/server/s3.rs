//! The S3 request path: resolve the target, parse the [`Operation`], rate-limit,
//! authenticate, authorize the bucket-level part of the operation's access (the table
//! in `s3api`), then match the operation exhaustively onto its handler, which receives
//! the authorized bucket.
//!
//! Authentication and bucket-level authorization happen here and only here, before any
//! handler runs and before the body is read (so `Expect: 100-continue` is answered only
//! for authorized requests). Two requests differ: a browser POST upload is signed in its
//! body, so its form fields (at most about 20 KB) are read first, then authenticated and
//! authorized as PutObject here, before its file; and a DeleteObjects on a bucket with a
//! policy is authorized key by key in its handler, through the same `auth::access`.
//! A CORS preflight is answered from the bucket's rules before authentication (it is
//! never signed), and every answer to a request with `Origin` gets the CORS headers.
//!
//! The free-space reserve is checked here too: a write that grows storage is refused
//! with `507 InsufficientStorage` before its body is read when the data dir's filesystem
//! would be left with less than `DEPOT_MIN_FREE_BYTES` (see `storage::space`).

use http::request::Parts;
use http::{Method, Request, Response};
use hyper::body::Incoming;
use s3api::route::{self, Query};
use s3api::sigv4::PayloadMode;
use s3api::{Operation, S3Error, S3ErrorCode};

use super::access::LogFacts;
use crate::auth::access::{Caller, RequestFacts};
use crate::auth::{self, rate_limit};
use crate::catalog::Bucket;
use crate::error::Error;
use crate::http::body::RequestBody;
use crate::http::metrics::RequestRecord;
use crate::http::response::{s3_error, Body};
use crate::http::{AppState, Connection, S3Request};
use crate::storage::space::{Room, Space};
use crate::storage::{self};
use crate::{bucket, multipart, object, sts};

/// Answers an S3 request; `record` gets its operation and, when it fails, its error
/// code (for the request metrics).
pub async fn handle(state: &AppState, conn: Connection, req: Request<Incoming>, request_id: &str, record: &mut RequestRecord) -> Response<Body> {
    let is_head = req.method() == Method::HEAD;
    let cors = bucket::cors::Asked::of(req.headers(), req.method());
    let mut addressed = None;
    let mut facts = LogFacts::of(&req, conn.remote.ip());
    let mut resp = match handle_inner(state, conn, req, request_id, &mut addressed, record, &mut facts).await {
        Ok(resp) => resp,
        Err(e) => {
            let err = e.into_s3();
            record.error_code = Some(err.code.as_str());
            tracing::Span::current().record("error_code", err.code.as_str());
            tracing::debug!(code = %err.code, message = %err.message, "request failed");
            s3_error(&err, request_id, is_head)
        }
    };
    // A browser's request gets the bucket's CORS headers whatever the answer, except a
    // request turned away for load, which must not cost a catalog lookup.
    let overloaded = resp.status() == http::StatusCode::SERVICE_UNAVAILABLE;
    if let (Some(asked), Some(bucket), false) = (cors, addressed, overloaded) {
        bucket::cors::decorate(state, &mut resp, &asked, &bucket).await;
    }
    facts.finish(state, request_id, &resp, record.error_code).await;
    resp
}

/// Answers one request. `addressed` is set to the bucket it names, once that is known,
/// for the CORS headers of the answer (left unset for a preflight, which makes its own).
async fn handle_inner(
    state: &AppState,
    conn: Connection,
    req: Request<Incoming>,
    request_id: &str,
    addressed: &mut Option<String>,
    record: &mut RequestRecord,
    facts: &mut LogFacts,
) -> Result<Response<Body>, Error> {
    let remote = conn.remote;
    let (mut parts, incoming) = req.into_parts();
    s3api::sigv4::promote_query_headers(&mut parts);
    let host = parts.headers.get(http::header::HOST).and_then(|h| h.to_str().ok());
    let target = route::resolve(&parts.uri, host, &state.domains)?;
    let query = Query::parse(parts.uri.query());
    let op = Operation::parse(&parts.method, &target, &query, parts.headers.contains_key("x-amz-copy-source"))?;
    let span = tracing::Span::current();
    span.record("operation", op.name());
    record.operation = op.name();
    if let Some(bucket) = op.bucket() {
        span.record("bucket", bucket);
    }
    if let Some(key) = op.key() {
        span.record("key", key);
    }
    facts.operation = op.name();
    facts.key = op.key().map(str::to_owned);
    facts.bucket_name = op.bucket().map(str::to_owned);
    facts.version_id = query.get("versionId").map(str::to_owned);
    if let Operation::Preflight { bucket, key } = &op {
        return bucket::cors::preflight(state, &parts.headers, bucket, key.is_some()).await;
    }
    *addressed = op.bucket().map(str::to_owned);
    if let Operation::PostObject { bucket } = op {
        return post_object(state, conn, parts, incoming, &bucket, request_id, facts).await;
    }

    let vhost_bucket = if target.virtual_host { target.bucket.as_deref() } else { None };
    // Rate limit: anonymous and failed requests per client IP, checked before any
    // lookup or HMAC; verified ones per access key.
    let claim = match auth::Claim::of(&parts) {
        Ok(claim) => claim,
        Err(e) => {
            rate_limit::admit_s3_verified(&state.limits, Err(()), remote.ip()).map_err(|e| rate_limited(state, e))?;
            count_auth_failure(state, &e);
            return Err(e);
        }
    };
    rate_limit::admit_s3_claim(&state.limits, &claim, remote.ip()).map_err(|e| rate_limited(state, e))?;
    let auth = auth::authenticate(&state.catalog, &parts, claim, vhost_bucket, &state.config.region, chrono::Utc::now()).await;
    rate_limit::admit_s3_verified(&state.limits, auth.as_ref().map(|a| &a.principal).map_err(|_| ()), remote.ip()).map_err(|e| rate_limited(state, e))?;
    let auth = auth.inspect_err(|e| count_auth_failure(state, e))?;
    span.record("principal", auth.principal.id_for_events());
    facts.requester = auth.principal.user_id().map(str::to_owned);
    facts.auth = Some(auth.method);
    let request_facts =
        RequestFacts { headers: &parts.headers, query: &query, remote: remote.ip(), secure: conn.secure, method: auth.method, now: chrono::Utc::now() };
    let caller = Caller::new(auth.principal, request_facts);
    // Authorization: the bucket-level part of the operation's access, before the
    // handler runs and before the body is read.
    let bucket = auth::access::authorize(&state.catalog, &caller, &op, &parts.headers).await?;
    facts.authorized(bucket.as_ref());
    let body = RequestBody::new(incoming, &parts.headers, &auth.payload, auth.chunk_signer, state.body_limits())?;
    if grows_storage(&op) {
        check_free_space(state, body.expected_len().unwrap_or(0)).await?;
    }
    let req = S3Request { parts, query, body, caller, action: op.iam_action(), request_id: request_id.to_owned(), remote, secure: conn.secure };
    dispatch(state, op, bucket, req).await
}

/// A browser POST upload: its form is signed in its body, so the fields before the file
/// are read first, then authenticated (`auth::authenticate_form`) and authorized as
/// PutObject of the key they name, before the file is stored.
async fn post_object(
    state: &AppState,
    conn: Connection,
    parts: Parts,
    incoming: Incoming,
    bucket_name: &str,
    request_id: &str,
    log: &mut LogFacts,
) -> Result<Response<Body>, Error> {
    rate_limit::admit_s3_claim(&state.limits, &auth::Claim::Anonymous, conn.remote.ip()).map_err(|e| rate_limited(state, e))?;
    if state.catalog.bucket(bucket_name).await?.is_none() {
        return Err(S3Error::new(S3ErrorCode::NoSuchBucket).resource(format!("/{bucket_name}")).extra("BucketName", bucket_name).into());
    }
    let body = RequestBody::new(incoming, &parts.headers, &PayloadMode::Unsigned, None, state.body_limits())?;
    let upload = object::post::read_form(&parts.headers, body).await?;
    let now = chrono::Utc::now();
    let form = auth::authenticate_form(&state.catalog, &upload.form, bucket_name, &state.config.region, now).await;
    rate_limit::admit_s3_verified(&state.limits, form.as_ref().map(|f| &f.principal).map_err(|_| ()), conn.remote.ip()).map_err(|e| rate_limited(state, e))?;
    let form = form.inspect_err(|e| count_auth_failure(state, e))?;
    tracing::Span::current().record("principal", form.principal.id_for_events());
    log.requester = form.principal.user_id().map(str::to_owned);
    log.auth = Some(form.method);
    let query = Query::parse(parts.uri.query());
    // The form's fields stand in for a PutObject's headers, for the policy's `s3:` keys
    // too; `aws:Referer` and `aws:UserAgent` are the browser's own.
    let mut headers = upload.headers.clone();
    for name in [http::header::REFERER, http::header::USER_AGENT] {
        if let Some(v) = parts.headers.get(&name) {
            headers.insert(name, v.clone());
        }
    }
    let facts = RequestFacts { headers: &headers, query: &query, remote: conn.remote.ip(), secure: conn.secure, method: form.method, now };
    let caller = Caller::new(form.principal, facts);
    let put = Operation::PutObject { bucket: bucket_name.to_owned(), key: upload.key.clone() };
    let bucket = auth::access::authorize(&state.catalog, &caller, &put, &parts.headers).await?.ok_or_else(|| Error::from(S3ErrorCode::InternalError))?;
    log.authorized(Some(&bucket));
    log.key = Some(upload.key.clone());
    check_free_space(state, 0).await?;
    let origin = object::post::Origin { request_id, remote: conn.remote, secure: conn.secure };
    object::post::store(state, &parts, caller, bucket, upload, form.length_range, origin).await
}

/// Counts a request the rate limits refused, and passes their answer on.
fn rate_limited(state: &AppState, refusal: S3Error) -> S3Error {
    state.metrics.rate_limited("s3");
    refusal
}

/// Counts refused credentials by their S3 error code; a failure to check them (the
/// catalog down) is not a refusal and is not counted.
fn count_auth_failure(state: &AppState, e: &Error) {
    if let Error::S3(e) = e {
        state.metrics.auth_failure(e.code.as_str());
    }
}

/// Whether `op` writes something new (a blob, a catalog row): what the free-space
/// reserve refuses once it is reached. Reads and deletes never are.
fn grows_storage(op: &Operation) -> bool {
    match op {
        Operation::CreateBucket { .. }
        | Operation::PutBucketSetting { .. }
        | Operation::PostObject { .. }
        | Operation::PutBucketVersioning { .. }
        | Operation::PutBucketTagging { .. }
        | Operation::PutBucketAcl { .. }
        | Operation::PutObject { .. }
        | Operation::CopyObject { .. }
        | Operation::PutObjectTagging { .. }
        | Operation::PutObjectLock { .. }
        | Operation::PutObjectAcl { .. }
        | Operation::CreateMultipartUpload { .. }
        | Operation::UploadPart { .. }
        | Operation::UploadPartCopy { .. }
        | Operation::CompleteMultipartUpload { .. } => true,
        Operation::ListBuckets(_)
        | Operation::StsAction
        | Operation::HeadBucket { .. }
        | Operation::DeleteBucket { .. }
        | Operation::GetBucketLocation { .. }
        | Operation::GetBucketUnsetConfig { .. }
        | Operation::GetBucketSetting { .. }
        | Operation::DeleteBucketSetting { .. }
        | Operation::GetBucketPolicyStatus { .. }
        | Operation::Preflight { .. }
        | Operation::ListObjects { .. }
        | Operation::ListObjectsV2 { .. }
        | Operation::DeleteObjects { .. }
        | Operation::GetObject { .. }
        | Operation::HeadObject { .. }
        | Operation::DeleteObject { .. }
        | Operation::GetObjectAttributes { .. }
        | Operation::AbortMultipartUpload { .. }
        | Operation::ListParts { .. }
        | Operation::ListMultipartUploads { .. }
        | Operation::GetBucketVersioning { .. }
        | Operation::GetBucketTagging { .. }
        | Operation::DeleteBucketTagging { .. }
        | Operation::ListObjectVersions { .. }
        | Operation::GetObjectTagging { .. }
        | Operation::GetObjectLock { .. }
        | Operation::DeleteObjectTagging { .. }
        | Operation::GetBucketAcl { .. }
        | Operation::GetObjectAcl { .. }
        | Operation::NotImplemented { .. } => false,
    }
}

/// Refuses a write of `incoming` bytes with `507 InsufficientStorage` when fewer drives
/// than the write quorum keep their reserve after it, or when the data dir (the
/// catalog's home) is below its reserve. A data dir that cannot be measured does not
/// stop the write (the write itself then meets whatever is wrong).
async fn check_free_space(state: &AppState, incoming: u64) -> Result<(), Error> {
    if state.config.min_free_bytes == 0 {
        return Ok(());
    }
    match state.blobs.room_for(incoming).await {
        Room::Enough => {}
        Room::Full => {
            tracing::warn!(incoming, min_free_bytes = state.config.min_free_bytes, "write refused: too few drives have room above the reserve");
            return Err(S3Error::new(S3ErrorCode::InsufficientStorage).into());
        }
        Room::TooFewDrives => {
            tracing::warn!(write_quorum = state.blobs.write_quorum(), "write refused: fewer drives work than the write quorum");
            return Err(S3Error::with_message(S3ErrorCode::ServiceUnavailable, "Too few drives work to store the object. Please retry.").into());
        }
    }
    // The catalog's home, unless it is a drive (measured above).
    if state.config.drive_dirs().contains(&state.config.data_dir) {
        return Ok(());
    }
    let data_dir = state.config.data_dir.clone();
    let measured = tokio::task::spawn_blocking(move || storage::space::free_bytes(&data_dir)).await.map_err(std::io::Error::other).and_then(|r| r);
    match measured {
        Ok(free_bytes) if (Space { free_bytes, min_free_bytes: state.config.min_free_bytes }).is_low() => {
            tracing::warn!(free_bytes, min_free_bytes = state.config.min_free_bytes, "write refused: the data dir is below the free-space reserve");
            Err(S3Error::new(S3ErrorCode::InsufficientStorage).into())
        }
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::warn!(error = %e, "cannot measure the free space of the data dir");
            Ok(())
        }
    }
}

/// Runs the handler of `op`. `authorized` is the bucket [`auth::access::authorize`]
/// found and checked for operations on a bucket.
async fn dispatch(state: &AppState, op: Operation, authorized: Option<Bucket>, req: S3Request) -> Result<Response<Body>, Error> {
    // Every operation whose access names a bucket got one; the others never use it.
    let b = authorized.ok_or_else(|| Error::from(s3api::S3ErrorCode::InternalError));
    use s3api::S3ErrorCode::NotImplemented;
    match op {
        Operation::ListBuckets(params) => bucket::list_buckets(state, req, params).await,
        Operation::StsAction => sts::handle(state, req).await,
        Operation::CreateBucket { bucket } => bucket::create(state, req, &bucket).await,
        Operation::HeadBucket { .. } => bucket::head(b?).await,
        Operation::DeleteBucket { .. } => bucket::delete(state, req, b?).await,
        Operation::GetBucketLocation { .. } => bucket::location(b?).await,
        Operation::GetBucketUnsetConfig { config, .. } => bucket::unset_config(b?, config).await,
        Operation::GetBucketSetting { setting, .. } => bucket::settings::get(b?, setting).await,
        Operation::PutBucketSetting { setting, .. } => bucket::settings::put(state, req, b?, setting).await,
        Operation::DeleteBucketSetting { setting, .. } => bucket::settings::delete(state, req, b?, setting).await,
        Operation::GetBucketPolicyStatus { .. } => bucket::settings::policy_status(b?).await,
        // Both are answered before authentication (`handle_inner`).
        Operation::PostObject { .. } | Operation::Preflight { .. } => Err(S3ErrorCode::InternalError.into()),
        Operation::ListObjects { params, .. } => object::list::list_objects(state, b?, params, false).await,
        Operation::ListObjectsV2 { params, .. } => object::list::list_objects(state, b?, params, true).await,
        Operation::DeleteObjects { .. } => object::delete::delete_objects(state, req, b?).await,
        Operation::PutObject { key, .. } => object::put::put_object(state, req, b?, &key).await,
        Operation::GetObject { key, version_id, part_number, .. } => {
            object::get::get_object(state, req, b?, &key, version_id.as_deref(), part_number, false).await
        }
        Operation::HeadObject { key, version_id, part_number, .. } => {
            object::get::get_object(state, req, b?, &key, version_id.as_deref(), part_number, true).await
        }
        Operation::DeleteObject { key, version_id, .. } => object::delete::delete_object(state, req, b?, &key, version_id.as_deref()).await,
        Operation::CopyObject { key, .. } => object::copy::copy_object(state, req, b?, &key).await,
        Operation::GetObjectAttributes { key, version_id, .. } => object::attributes::get_object_attributes(state, req, b?, &key, version_id.as_deref()).await,
        Operation::CreateMultipartUpload { key, .. } => multipart::create(state, req, b?, &key).await,
        Operation::UploadPart { key, upload_id, part_number, .. } => multipart::upload_part(state, req, b?, &key, &upload_id, part_number).await,
        Operation::UploadPartCopy { key, upload_id, part_number, .. } => multipart::upload_part_copy(state, req, b?, &key, &upload_id, part_number).await,
        Operation::CompleteMultipartUpload { key, upload_id, .. } => multipart::complete(state, req, b?, &key, &upload_id).await,
        Operation::AbortMultipartUpload { key, upload_id, .. } => multipart::abort(state, b?, &key, &upload_id).await,
        Operation::ListParts { key, upload_id, params, .. } => multipart::list_parts(state, b?, &key, &upload_id, params).await,
        Operation::ListMultipartUploads { params, .. } => multipart::list_uploads(state, b?, params).await,
        Operation::GetBucketVersioning { .. } => bucket::versioning::get(b?).await,
        Operation::PutBucketVersioning { .. } => bucket::versioning::put(state, req, b?).await,
        Operation::GetBucketTagging { .. } => bucket::tagging::get(b?).await,
        Operation::PutBucketTagging { .. } => bucket::tagging::put(state, req, b?).await,
        Operation::DeleteBucketTagging { .. } => bucket::tagging::delete(state, req, b?).await,
        Operation::ListObjectVersions { params, .. } => object::versions::list_versions(state, b?, params).await,
        Operation::GetObjectTagging { key, version_id, .. } => object::tagging::get(state, req, b?, &key, version_id.as_deref()).await,
        Operation::PutObjectTagging { key, version_id, .. } => object::tagging::put(state, req, b?, &key, version_id.as_deref()).await,
        Operation::GetObjectLock { key, version_id, setting, .. } => object::lock::get(state, req, b?, &key, version_id.as_deref(), setting).await,
        Operation::PutObjectLock { key, version_id, setting, .. } => object::lock::put(state, req, b?, &key, version_id.as_deref(), setting).await,
        Operation::DeleteObjectTagging { key, version_id, .. } => object::tagging::delete(state, req, b?, &key, version_id.as_deref()).await,
        Operation::GetBucketAcl { .. } => bucket::acl::get_bucket_acl(state, b?).await,
        Operation::PutBucketAcl { .. } => bucket::acl::put_bucket_acl(state, req, b?).await,
        Operation::GetObjectAcl { key, version_id, .. } => object::acl::get_object_acl(state, req, b?, &key, version_id.as_deref()).await,
        Operation::PutObjectAcl { key, version_id, .. } => object::acl::put_object_acl(state, req, b?, &key, version_id.as_deref()).await,
        Operation::NotImplemented { name, .. } => Err(s3api::S3Error::with_message(NotImplemented, format!("{name} is not implemented")).into()),
    }
}
