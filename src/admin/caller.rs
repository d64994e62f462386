//! Who is calling the JSON API's read endpoints (search, statistics), and which buckets
//! they may read. Authentication is the shared gate (`auth::authenticate`, SigV4 or
//! presigned) for now; a Bearer JWT resolves through [`bearer_principal`], the one place
//! the accounts work plugs in. Authorization is `auth::policy`, as for S3 requests.
//! Nothing here reads a request body or decides what a caller may change.

use http::request::Parts;

use super::api_error::ApiError;
use crate::auth::acl::Acl;
use crate::auth::policy::{self, Action, Resource};
use crate::auth::{self, Principal};
use crate::catalog::Bucket;
use crate::server::AppState;

/// Authenticates a JSON API request. Anonymous callers are refused.
pub async fn authenticate(state: &AppState, parts: &Parts) -> Result<Principal, ApiError> {
    let bearer = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
    let principal = match bearer {
        Some(token) => bearer_principal(state, token.trim()).await?,
        None => auth::authenticate(&state.catalog, parts, None, &state.config.region, chrono::Utc::now()).await?.principal,
    };
    match principal {
        Principal::Anonymous => Err(ApiError::Unauthorized {
            code: "Unauthorized".into(),
            message: "Sign the request (SigV4) or send Authorization: Bearer <token>".into(),
        }),
        user => Ok(user),
    }
}

/// Resolves a Bearer JWT to its principal.
async fn bearer_principal(_state: &AppState, _token: &str) -> Result<Principal, ApiError> {
    // Accounts and JWTs arrive with the identity work; until then no token is valid.
    Err(ApiError::Unauthorized { code: "InvalidToken".into(), message: "Bearer tokens are not accepted yet; sign the request with SigV4".into() })
}

/// Whether `principal` may read (list) `bucket`: owner, root, or a READ grant.
pub fn may_read(principal: &Principal, bucket: &Bucket) -> bool {
    let acl = Acl::from_json(&bucket.acl);
    policy::allowed(principal, Action::ListBucket, Resource { bucket_owner: &bucket.owner_id, bucket_acl: &acl, object: None })
}

/// Query parameters, percent-decoded (`+` is a space), in order.
pub fn query_params(query: Option<&str>) -> Vec<(String, String)> {
    let decode = |s: &str| percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}
