//! CORS as browsers meet it: the answer to an `OPTIONS` preflight ([`preflight`]) and
//! the `Access-Control-*` headers on every other response to a request that carries
//! `Origin` ([`decorate`]), errors included, both from the bucket's stored rules.
//!
//! The rules and their matching are `s3api::bucket_config` (pure); storing them is
//! `settings`. CORS never decides whether a request is allowed: that stays with
//! authentication and `auth::access`.

use http::{HeaderMap, Response, StatusCode};
use s3api::bucket_config::{answer_preflight, CorsConfiguration};
use s3api::{S3Error, S3ErrorCode};

use crate::catalog::Bucket;
use crate::error::Error;
use crate::http::response::{empty, set_header, Body};
use crate::http::AppState;

/// What a request tells CORS: its `Origin`, and the method a rule must allow.
#[derive(Debug, Clone)]
pub struct Asked {
    origin: String,
    method: String,
}

impl Asked {
    /// The CORS question of a request, when it carries `Origin`. An actual request is
    /// matched by `Access-Control-Request-Method` if it sends one, else by its own
    /// method, as S3 matches it.
    pub fn of(headers: &HeaderMap, method: &http::Method) -> Option<Asked> {
        let origin = headers.get(http::header::ORIGIN)?.to_str().ok()?.to_owned();
        let method = headers.get(http::header::ACCESS_CONTROL_REQUEST_METHOD).and_then(|v| v.to_str().ok()).unwrap_or(method.as_str()).to_owned();
        Some(Asked { origin, method })
    }
}

/// Answers an `OPTIONS` preflight for a bucket or one of its objects from the bucket's
/// rules: 200 with the `Access-Control-*` headers of the first rule that matches, 403
/// `CORSResponse` when none does or the bucket has none, 400 without `Origin` or
/// `Access-Control-Request-Method`. Preflights are never signed.
pub async fn preflight(state: &AppState, headers: &HeaderMap, bucket_name: &str, object: bool) -> Result<Response<Body>, Error> {
    let resource_type = if object { "OBJECT" } else { "BUCKET" };
    let header = |name: http::header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(bucket) = state.catalog.bucket(bucket_name).await? else {
        return Err(S3Error::with_message(S3ErrorCode::CORSResponse, "Bucket not found").extra("BucketName", bucket_name).into());
    };
    let config = rules(&bucket)?;
    let answer = answer_preflight(
        config.as_ref(),
        header(http::header::ORIGIN),
        header(http::header::ACCESS_CONTROL_REQUEST_METHOD),
        header(http::header::ACCESS_CONTROL_REQUEST_HEADERS),
    )
    .map_err(|e| if e.code == S3ErrorCode::CORSResponse { e.extra("ResourceType", resource_type) } else { e })?;
    let mut resp = empty(StatusCode::OK);
    for (name, value) in answer {
        set_header(&mut resp, name, &value);
    }
    Ok(resp)
}

/// Adds the CORS headers of `bucket_name`'s first matching rule to a response (any
/// status) to a request that asked. Failing to read the rules only leaves them off.
pub async fn decorate(state: &AppState, resp: &mut Response<Body>, asked: &Asked, bucket_name: &str) {
    let bucket = match state.catalog.bucket(bucket_name).await {
        Ok(Some(bucket)) => bucket,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, bucket = bucket_name, "cannot read the bucket's CORS rules; the response goes without CORS headers");
            return;
        }
    };
    let Ok(Some(config)) = rules(&bucket) else { return };
    match config.actual(&asked.origin, &asked.method) {
        Some(headers) => {
            for (name, value) in headers {
                set_header(resp, name, &value);
            }
        }
        // The answer depends on the origin all the same: a cache must not give it to
        // an origin a rule allows.
        None => set_header(resp, "vary", "Origin"),
    }
}

/// The bucket's CORS rules, when it has any.
fn rules(bucket: &Bucket) -> Result<Option<CorsConfiguration>, Error> {
    Ok(bucket.cors.as_deref().map(CorsConfiguration::from_json).transpose()?)
}
