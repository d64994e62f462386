//! Root-only administration over JSON:
//!
//! - `GET /_depot/admin/users` → `{"users":[{"id","username","is_root","disabled","created_at","access_keys"}]}`
//! - `POST /_depot/admin/users/{username}/disable` and `…/enable` → the user
//! - `GET /_depot/admin/buckets` → `{"buckets":[{"name","owner_id","owner","region","created_at"}]}`
//! - `GET /_depot/admin/gc`, `POST /_depot/admin/gc/pause?for_secs=N`, `POST
//!   /_depot/admin/gc/resume`: the pause of blob collection (documents in [`super::gc`])
//!
//! Callers authenticate with a SigV4 signature by the root access key (as for S3, the
//! payload hash checked), or a login token of a root user. Everyone else gets 403. The
//! documents are built by [`users_report`] and [`buckets_report`], which `depot admin`
//! also prints when it works on the catalog directly.

use std::collections::HashMap;
use std::net::SocketAddr;

use http::{Method, Request, Response};
use hyper::body::Incoming;
use serde_json::{json, Value};

use super::error::ApiError;
use super::gc;
use super::json::{ok, rfc3339, signed_or_bearer};
use crate::auth::accounts;
use crate::catalog::{Catalog, CatalogResult, User};
use crate::http::response::Body;
use crate::http::AppState;

/// Routes `/_depot/admin/…`.
pub async fn handle(state: &AppState, remote: SocketAddr, req: Request<Incoming>) -> Response<Body> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = s3api::route::Query::parse(req.uri().query());
    let result = async {
        let (caller, _req) = signed_or_bearer(state, req, remote).await?;
        match caller {
            Some(user) if user.is_root => {}
            Some(_) => return Err(ApiError::AccessDenied("only root may use the admin API".into())),
            None => return Err(ApiError::MissingToken),
        }
        let segments: Vec<&str> = path.trim_start_matches("/_depot/admin/").split('/').collect();
        match (method, segments.as_slice()) {
            (Method::GET, ["users"]) => Ok(ok(&users_report(&state.catalog).await?)),
            (Method::POST, ["users", name, action @ ("disable" | "enable")]) => {
                let name = percent_encoding::percent_decode_str(name).decode_utf8_lossy().into_owned();
                let user = accounts::set_disabled(&state.catalog, &name, *action == "disable").await?;
                Ok(ok(&user_json(&user, None)))
            }
            (Method::GET, ["buckets"]) => Ok(ok(&buckets_report(&state.catalog).await?)),
            (Method::GET, ["gc"]) => Ok(ok(&gc::gc_report(&state.catalog).await?)),
            (Method::POST, ["gc", "pause"]) => {
                let for_secs = query
                    .get("for_secs")
                    .map(|v| v.parse::<u64>().map_err(|_| ApiError::InvalidArgument("for_secs must be a whole number of seconds".into())))
                    .transpose()?;
                let length = gc::pause_length(for_secs).map_err(ApiError::InvalidArgument)?;
                Ok(ok(&gc::pause(&state.catalog, length).await?))
            }
            (Method::POST, ["gc", "resume"]) => Ok(ok(&gc::resume(&state.catalog).await?)),
            (_, ["users"] | ["buckets"] | ["gc"]) => Err(ApiError::MethodNotAllowed("GET")),
            (_, ["users", _, "disable" | "enable"] | ["gc", "pause" | "resume"]) => Err(ApiError::MethodNotAllowed("POST")),
            _ => Err(ApiError::NotFound("no such endpoint".into())),
        }
    }
    .await;
    result.unwrap_or_else(ApiError::into_response)
}

/// One user as the admin API shows it.
pub fn user_json(user: &User, access_keys: Option<i64>) -> Value {
    let mut v = json!({
        "id": user.id,
        "username": user.username,
        "is_root": user.is_root,
        "disabled": user.disabled,
        "created_at": rfc3339(user.created_at),
    });
    if let Some(n) = access_keys {
        v["access_keys"] = json!(n);
    }
    v
}

/// `{"users":[…]}`: every user with its count of active long-term keys.
pub async fn users_report(catalog: &Catalog) -> CatalogResult<Value> {
    let users = catalog.users().await?;
    let counts: HashMap<String, i64> = catalog.active_key_counts().await?.into_iter().collect();
    let users: Vec<Value> = users.iter().map(|u| user_json(u, Some(counts.get(&u.id).copied().unwrap_or(0)))).collect();
    Ok(json!({ "users": users }))
}

/// `{"buckets":[…]}`: every bucket with its owner.
pub async fn buckets_report(catalog: &Catalog) -> CatalogResult<Value> {
    let names: HashMap<String, String> = catalog.users().await?.into_iter().map(|u| (u.id, u.username)).collect();
    let buckets: Vec<Value> = catalog
        .buckets(None)
        .await?
        .into_iter()
        .map(|b| {
            json!({
                "name": b.name,
                "owner": names.get(&b.owner_id).cloned().unwrap_or_else(|| b.owner_id.clone()),
                "owner_id": b.owner_id,
                "region": b.region,
                "created_at": rfc3339(b.created_at),
            })
        })
        .collect();
    Ok(json!({ "buckets": buckets }))
}
