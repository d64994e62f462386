//! The HTTP types the handlers work with: the shared [`AppState`], the [`Connection`] a
//! request came on, the authenticated [`S3Request`], the request body adapter
//! ([`body`]), response builders ([`response`]), the ACL request/response helpers
//! ([`acl`]), the request metrics ([`metrics`]) and the access log buffer
//! ([`access_log`]).
//!
//! This layer sits below the handlers (`bucket`, `object`, `multipart`, `sts`, `admin`)
//! and above the catalog, storage, events and auth; it never dispatches (that is
//! `server`) and never decides what an operation does.
//!
//! Layer 9 of `crate::LAYERS`.

pub mod access_log;
pub mod acl;
pub mod body;
pub mod metrics;
pub mod response;

use std::net::SocketAddr;

use bytes::Bytes;
use http::request::Parts;
use md5::{Digest, Md5};
use s3api::checksum::Checksum;
use s3api::headers::{self, ChecksumRequest, ChecksumValue};
use s3api::route::Query;
use s3api::{S3Error, S3ErrorCode};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::auth::access::Caller;
use crate::auth::jwt::JwtKeys;
use crate::auth::rate_limit::RateLimits;
use crate::catalog::Catalog;
use crate::config::ServeConfig;
use crate::events::{EventContext, EventsHandle};
use crate::storage::{gc, BlobStore};
use body::{BodyLimits, RequestBody};

/// What every request handler can reach.
#[derive(Debug)]
pub struct AppState {
    pub config: ServeConfig,
    pub catalog: Catalog,
    pub blobs: BlobStore,
    pub domains: Vec<String>,
    pub gc: gc::GcTrigger,
    /// Login-token keys (accounts, STS).
    pub jwt: JwtKeys,
    /// The key ring of server-side encryption.
    pub keys: crate::encryption::KeyRing,
    /// Request and login rate limits.
    pub limits: RateLimits,
    pub events: EventsHandle,
    /// One permit per upload (PutObject, UploadPart) receiving a body at once:
    /// `config.max_concurrent_uploads`.
    pub uploads: Semaphore,
    /// Request counts, latencies and bytes (`GET /_depot/metrics`).
    pub metrics: metrics::RequestMetrics,
    /// Server access log records waiting for the `access_log` writer.
    pub access_log: access_log::AccessLogBuffer,
    /// The lifecycle and access log workers' counters.
    pub background: std::sync::Arc<metrics::BackgroundCounters>,
}

impl AppState {
    /// The bounds on every request body: the largest object, and the idle timeout.
    pub fn body_limits(&self) -> BodyLimits {
        BodyLimits { max_len: self.config.max_object_size, idle_timeout: self.config.body_timeout() }
    }

    /// A place for one more upload receiving its body, held until the upload ends; when
    /// `max_concurrent_uploads` are already receiving, `503 SlowDown` (before any of the
    /// body is read).
    pub fn upload_slot(&self) -> Result<SemaphorePermit<'_>, S3Error> {
        self.uploads.try_acquire().map_err(|_| S3Error::with_message(S3ErrorCode::SlowDown, "Too many uploads are in progress. Please retry."))
    }
}

/// Where a request came from: the peer, and whether the connection is TLS (what a
/// bucket policy's `aws:SourceIp` and `aws:SecureTransport` see).
#[derive(Debug, Clone, Copy)]
pub struct Connection {
    pub remote: SocketAddr,
    pub secure: bool,
}

/// A parsed, authenticated S3 request, as handlers receive it.
pub struct S3Request {
    pub parts: Parts,
    pub query: Query,
    pub body: RequestBody,
    /// Who asks, with the facts a bucket policy can test.
    pub caller: Caller,
    /// The operation's action as bucket policies name it (`s3:GetObject`, …).
    pub action: &'static str,
    pub request_id: String,
    pub remote: SocketAddr,
    /// The request arrived over TLS (SSE-C keys need it).
    pub secure: bool,
}

impl S3Request {
    pub fn headers(&self) -> &http::HeaderMap {
        &self.parts.headers
    }

    /// Reads a small request document (at most `limit` bytes), verifying its
    /// `Content-MD5` and its `x-amz-checksum-*` header when sent (new SDKs send a CRC
    /// instead of `Content-MD5`). With `required`, a request carrying neither is refused
    /// as AWS refuses it (PutBucketLifecycleConfiguration, for example).
    pub async fn read_verified(&mut self, limit: usize, required: bool) -> Result<Bytes, S3Error> {
        let content_md5 = headers::content_md5(self.headers())?;
        let checksum = ChecksumRequest::from_headers(self.headers())?;
        let header_checksum = matches!((checksum.algorithm, &checksum.value), (Some(_), ChecksumValue::Header(_)));
        if required && content_md5.is_none() && !header_checksum {
            return Err(S3Error::with_message(S3ErrorCode::InvalidRequest, "Missing required header for this request: Content-MD5"));
        }
        let body = self.body.read_to_end(limit).await?;
        if content_md5.is_some_and(|md5| md5 != <[u8; 16]>::from(Md5::digest(&body))) {
            return Err(S3Error::new(S3ErrorCode::BadDigest));
        }
        if let (Some(alg), ChecksumValue::Header(_)) = (checksum.algorithm, &checksum.value) {
            checksum.verify(Some(&Checksum::compute(alg, &body)), &[])?;
        }
        Ok(body)
    }

    /// Who and where, for the events this request writes.
    pub fn event_context(&self, state: &AppState) -> EventContext {
        EventContext {
            principal: self.caller.principal.id_for_events(),
            request_id: self.request_id.clone(),
            source_ip: self.remote.ip().to_string(),
            region: state.config.region.clone(),
        }
    }
}
