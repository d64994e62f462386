//! Access keys over JSON, for the user of a login token: `POST /_depot/auth/keys`
//! (create; the only time the secret is shown), `GET /_depot/auth/keys` (list, no
//! secrets), `DELETE /_depot/auth/keys/{access_key_id}` (revoke, effective at once).
//! The caller is a login token's user, or the owner of the key that signed the request
//! (SigV4, as the console does when signed in with an access key).

use std::net::SocketAddr;

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::json;

use super::error::ApiError;
use super::json::{ok, rfc3339, signed_or_bearer};
use crate::auth::accounts;
use crate::catalog::User;
use crate::http::response::{empty, json, Body};
use crate::http::AppState;

const PREFIX: &str = "/_depot/auth/keys";

/// Routes `/_depot/auth/keys` and `/_depot/auth/keys/{id}`.
pub async fn handle(state: &AppState, remote: SocketAddr, req: Request<Incoming>) -> Response<Body> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let key_id = path.strip_prefix(PREFIX).and_then(|rest| rest.strip_prefix('/')).map(str::to_owned);
    let result = async {
        let (user, _req) = signed_or_bearer(state, req, remote).await?;
        let user = user.ok_or(ApiError::MissingToken)?;
        match (method, key_id.as_deref()) {
            (Method::POST, None) => create(state, &user).await,
            (Method::GET, None) => list(state, &user).await,
            (Method::DELETE, Some(id)) if !id.is_empty() && !id.contains('/') => revoke(state, &user, id).await,
            (_, None) => Err(ApiError::MethodNotAllowed("GET or POST")),
            (_, Some(id)) if !id.is_empty() && !id.contains('/') => Err(ApiError::MethodNotAllowed("DELETE")),
            _ => Err(ApiError::NotFound("no such endpoint".into())),
        }
    }
    .await;
    result.unwrap_or_else(ApiError::into_response)
}

async fn create(state: &AppState, user: &User) -> Result<Response<Body>, ApiError> {
    let key = accounts::create_key(&state.catalog, user).await?;
    Ok(json(
        StatusCode::CREATED,
        &json!({
            "access_key_id": key.access_key_id,
            "secret_access_key": key.secret_access_key,
            "created_at": rfc3339(key.created_at),
        }),
    ))
}

async fn list(state: &AppState, user: &User) -> Result<Response<Body>, ApiError> {
    let keys = accounts::list_keys(&state.catalog, user).await?;
    let keys: Vec<_> = keys.iter().map(|k| json!({ "access_key_id": k.access_key_id, "created_at": rfc3339(k.created_at), "status": "active" })).collect();
    Ok(ok(&json!({ "keys": keys })))
}

async fn revoke(state: &AppState, user: &User, access_key_id: &str) -> Result<Response<Body>, ApiError> {
    accounts::revoke_key(&state.catalog, user, access_key_id).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}
