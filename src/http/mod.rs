//! The HTTP types the handlers work with: the shared [`AppState`], the authenticated
//! [`S3Request`], the request body adapter ([`body`]), response builders ([`response`])
//! and the ACL request/response helpers ([`acl`]).
//!
//! This layer sits below the handlers (`bucket`, `object`, `multipart`, `sts`, `admin`)
//! and above the catalog, storage, events and auth; it never dispatches (that is
//! `server`) and never decides what an operation does.

pub mod acl;
pub mod body;
pub mod response;

use std::net::SocketAddr;

use http::request::Parts;
use s3api::route::Query;

use crate::auth::jwt::JwtKeys;
use crate::auth::rate_limit::RateLimits;
use crate::auth::Principal;
use crate::catalog::Catalog;
use crate::config::ServeConfig;
use crate::events::{EventContext, EventsHandle};
use crate::storage::{gc, BlobStore};
use body::RequestBody;

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
    /// Request and login rate limits.
    pub limits: RateLimits,
    pub events: EventsHandle,
}

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
