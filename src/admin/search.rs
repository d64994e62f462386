//! `GET /_depot/search`: parameters → a validated [`SearchQuery`] over the buckets the
//! caller may read → `{"results":[…],"next_cursor"}`. Owns parameter parsing and the
//! cursor format; the SQL is the indexer's.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::{json, Value};

use super::caller;
use super::error::ApiError;
use crate::catalog::ms_to_datetime;
use crate::http::response::{json, Body};
use crate::http::{AppState, Connection};
use crate::indexer::search::{self, Cursor, Scope, SearchHit, SearchQuery, SortField};

/// The most results `limit` may ask for.
pub const MAX_LIMIT: usize = 1000;

pub async fn handle(state: &AppState, conn: Connection, req: Request<Incoming>) -> Response<Body> {
    match search(state, conn, req).await {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    }
}

async fn search(state: &AppState, conn: Connection, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let (parts, _body) = req.into_parts();
    let principal = caller::authenticate(state, &parts).await?;
    let query_string = s3api::route::Query::parse(parts.uri.query());
    let params: Vec<(String, String)> = query_string.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let mut query = parse(&params)?;
    if !principal.is_root() {
        let caller = caller::policy_caller(principal, &parts, &query_string, conn);
        let readable: Vec<String> = state.catalog.buckets(None).await?.into_iter().filter(|b| caller::may_read(&caller, b)).map(|b| b.name).collect();
        if let Some(b) = &query.bucket {
            if !readable.contains(b) {
                return Err(ApiError::AccessDenied(format!("You may not read bucket {b}")));
            }
        }
        query.scope = Scope::Only(readable);
    } else if let Some(b) = &query.bucket {
        if state.catalog.bucket(b).await?.is_none() {
            return Err(ApiError::NotFound(format!("No bucket named {b}")));
        }
    }
    let page = search::search(&state.catalog, &query).await?;
    let results: Vec<Value> = page.hits.iter().map(hit_json).collect();
    let next = page.next.map(|c| encode_cursor(&query, &c));
    Ok(json(StatusCode::OK, &json!({ "results": results, "next_cursor": next })))
}

fn hit_json(h: &SearchHit) -> Value {
    json!({
        "bucket": h.bucket,
        "key": h.key,
        "version_id": h.version_id,
        "size": h.size,
        "etag": h.etag,
        "content_type": h.content_type,
        "last_modified": ms_to_datetime(h.last_modified).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "description": h.description,
        "tags": h.tags,
    })
}

/// Validates the parameters. Unknown ones (e.g. presigning's `X-Amz-*`) are ignored.
pub fn parse(params: &[(String, String)]) -> Result<SearchQuery, ApiError> {
    let mut q = SearchQuery::default();
    let mut cursor = None;
    let non_empty = |v: &str| (!v.is_empty()).then(|| v.to_owned());
    for (name, value) in params {
        match name.as_str() {
            "bucket" => q.bucket = non_empty(value),
            "prefix" => q.prefix = non_empty(value),
            "name" => q.name = non_empty(value),
            "description" => q.description = non_empty(value),
            "content_type" => q.content_type = non_empty(value),
            "tag" => match value.split_once('=') {
                Some((k, v)) if !k.is_empty() => q.tags.push((k.to_owned(), Some(v.to_owned()))),
                None if !value.is_empty() => q.tags.push((value.clone(), None)),
                _ => return Err(ApiError::InvalidArgument("tag takes key=value (or a key alone)".into())),
            },
            "min_size" => q.min_size = Some(integer(name, value)?),
            "max_size" => q.max_size = Some(integer(name, value)?),
            "modified_after" => q.modified_after = Some(time(name, value)?),
            "modified_before" => q.modified_before = Some(time(name, value)?),
            "limit" => {
                let limit = integer(name, value)?;
                if !(1..=MAX_LIMIT as i64).contains(&limit) {
                    return Err(ApiError::InvalidArgument(format!("limit must be between 1 and {MAX_LIMIT}")));
                }
                q.limit = limit as usize;
            }
            "sort" => q.sort = SortField::parse(value).ok_or_else(|| ApiError::InvalidArgument("sort must be key, size or last_modified".into()))?,
            "order" => {
                q.descending = match value.as_str() {
                    "asc" => false,
                    "desc" => true,
                    _ => return Err(ApiError::InvalidArgument("order must be asc or desc".into())),
                }
            }
            "cursor" => cursor = non_empty(value),
            _ => {}
        }
    }
    if let Some(c) = cursor {
        q.after = Some(decode_cursor(&q, &c)?);
    }
    Ok(q)
}

fn integer(name: &str, value: &str) -> Result<i64, ApiError> {
    value.trim().parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| ApiError::InvalidArgument(format!("{name} must be a non-negative integer")))
}

/// RFC 3339, a date (`2024-05-01`, midnight UTC), or Unix milliseconds.
fn time(name: &str, value: &str) -> Result<i64, ApiError> {
    let value = value.trim();
    if let Ok(ms) = value.parse::<i64>() {
        return Ok(ms);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(value) {
        return Ok(t.timestamp_millis());
    }
    if let Some(t) = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)) {
        return Ok(t.and_utc().timestamp_millis());
    }
    Err(ApiError::InvalidArgument(format!("{name} must be an RFC 3339 time, a date (YYYY-MM-DD) or Unix milliseconds")))
}

/// The cursor names the sort it belongs to, so that it cannot be replayed under another.
fn encode_cursor(q: &SearchQuery, c: &Cursor) -> String {
    let doc = json!({ "s": q.sort.as_str(), "d": q.descending, "v": c.value, "k": c.key, "b": c.bucket });
    URL_SAFE_NO_PAD.encode(doc.to_string())
}

fn decode_cursor(q: &SearchQuery, raw: &str) -> Result<Cursor, ApiError> {
    let invalid = || ApiError::InvalidArgument("cursor is not valid for this search".into());
    let bytes = URL_SAFE_NO_PAD.decode(raw.trim_end_matches('=')).map_err(|_| invalid())?;
    let doc: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if doc["s"].as_str() != Some(q.sort.as_str()) || doc["d"].as_bool() != Some(q.descending) {
        return Err(invalid());
    }
    Ok(Cursor {
        value: doc["v"].as_i64().ok_or_else(invalid)?,
        key: doc["k"].as_str().ok_or_else(invalid)?.to_owned(),
        bucket: doc["b"].as_str().ok_or_else(invalid)?.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn parses_filters_and_several_tags() {
        let q = parse(&params(&[
            ("tag", "team=blue"),
            ("tag", "draft"),
            ("min_size", "10"),
            ("modified_after", "2024-05-01"),
            ("sort", "size"),
            ("order", "desc"),
        ]))
        .unwrap();
        assert_eq!(q.tags, vec![("team".to_owned(), Some("blue".to_owned())), ("draft".to_owned(), None)]);
        assert_eq!(q.min_size, Some(10));
        assert_eq!(q.modified_after, Some(1_714_521_600_000));
        assert!(q.descending);
    }

    #[test]
    fn rejects_bad_values() {
        for bad in [("limit", "0"), ("limit", "5000"), ("min_size", "-1"), ("sort", "owner"), ("modified_before", "yesterday"), ("tag", "=v")] {
            assert!(parse(&params(&[bad])).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn cursors_round_trip_and_are_bound_to_their_sort() {
        let q = parse(&params(&[("sort", "size")])).unwrap();
        let c = Cursor { value: 42, key: "a/b c".into(), bucket: "bkt".into() };
        let raw = encode_cursor(&q, &c);
        assert_eq!(parse(&params(&[("sort", "size"), ("cursor", &raw)])).unwrap().after, Some(c));
        assert!(parse(&params(&[("sort", "key"), ("cursor", &raw)])).is_err());
        assert!(parse(&params(&[("cursor", "garbage!")])).is_err());
    }
}
