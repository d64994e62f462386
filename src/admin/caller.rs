//! Who is calling the JSON API's read endpoints (search, statistics), and which buckets
//! they may read. A caller authenticates with a login token (`Authorization: Bearer`) or
//! a SigV4 signature through the shared gate (`auth::authenticate`); authorization is
//! `auth::access`, as for S3 requests, with the same request facts (source address,
//! time, headers) for a bucket policy's conditions. Nothing here reads a request body or decides
//! what a caller may change.

use http::request::Parts;

use super::error::ApiError;
use s3api::route::Query;

use crate::auth::access::{self, Ask, AuthMethod, Caller, RequestFacts};
use crate::auth::acl_rules::Action;
use crate::auth::{self, Principal, UserPrincipal};
use crate::catalog::Bucket;
use crate::http::{AppState, Connection};

/// Authenticates a JSON API request. Anonymous callers are refused.
pub async fn authenticate(state: &AppState, parts: &Parts) -> Result<Principal, ApiError> {
    let bearer = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
    let principal = match bearer {
        Some(token) => bearer_principal(state, token.trim()).await?,
        None => auth::authenticate(&state.catalog, parts, auth::Claim::of(parts)?, None, &state.config.region, chrono::Utc::now()).await?.principal,
    };
    match principal {
        Principal::Anonymous => Err(ApiError::MissingToken),
        user => Ok(user),
    }
}

/// Resolves a login token to the principal of its (enabled) user.
async fn bearer_principal(state: &AppState, token: &str) -> Result<Principal, ApiError> {
    let user = crate::auth::accounts::user_from_token(&state.catalog, &state.jwt, token).await?;
    Ok(Principal::User(UserPrincipal { user_id: user.id, username: user.username, is_root: user.is_root, access_key_id: String::new() }))
}

/// The caller of a JSON API request as a bucket policy sees it: who, from where and
/// when, so conditional statements (an IP allow-list, a deny by date) apply here as
/// they do to S3 requests.
pub fn policy_caller(principal: Principal, parts: &Parts, query: &Query, conn: Connection) -> Caller {
    let facts =
        RequestFacts { headers: &parts.headers, query, remote: conn.remote.ip(), secure: conn.secure, method: AuthMethod::Anonymous, now: chrono::Utc::now() };
    Caller::new(principal, facts)
}

/// Whether `caller` may read (list) `bucket`: owner, root, a READ grant, or the
/// bucket's policy.
pub fn may_read(caller: &Caller, bucket: &Bucket) -> bool {
    let ask = Ask { action: "s3:ListBucket", acl_action: Action::ListBucket, key: None, object: None };
    access::check(caller, bucket, ask).is_ok()
}
