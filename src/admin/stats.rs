//! `GET /_depot/stats`: usage statistics from the index — for root over every bucket,
//! for a user over the buckets they own. Owns the response shape only.

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::{json, Value};

use super::caller;
use super::error::ApiError;
use crate::http::response::{json, Body};
use crate::http::AppState;
use crate::indexer::stats::{self, BucketStats};

pub async fn handle(state: &AppState, req: Request<Incoming>) -> Response<Body> {
    match statistics(state, req).await {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    }
}

async fn statistics(state: &AppState, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let (parts, _body) = req.into_parts();
    let principal = caller::authenticate(state, &parts).await?;
    let owner = if principal.is_root() { None } else { principal.user_id() };
    let buckets = state.catalog.buckets(owner).await?;
    let s = stats::stats(&state.catalog, &buckets).await?;
    let brief = |b: &BucketStats| json!({ "name": b.name, "objects": b.objects, "bytes": b.bytes });
    let body = json!({
        "total_objects": s.total_objects,
        "total_bytes": s.total_bytes,
        "bucket_count": s.bucket_count,
        "buckets": s.buckets.iter().map(|b| json!({
            "name": b.name,
            "objects": b.objects,
            "bytes": b.bytes,
            "versions": b.versions,
            "version_bytes": b.version_bytes,
            "multipart_bytes": b.multipart_bytes,
        })).collect::<Vec<Value>>(),
        "top_buckets": s.top_by_objects.iter().map(brief).collect::<Vec<Value>>(),
        "top_buckets_by_bytes": s.top_by_bytes.iter().map(brief).collect::<Vec<Value>>(),
    });
    Ok(json(StatusCode::OK, &body))
}
