//! ListObjects (v1) and ListObjectsV2 over the live objects of a bucket.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http::Response;
use s3api::operation::ListObjectsParams;
use s3api::xml::list::{ObjectEntry, ObjectPage};
use s3api::xml::{self, Owner};
use s3api::{S3Error, S3ErrorCode};

use crate::catalog::{ms_to_datetime, Bucket};
use crate::error::Error;
use crate::http::acl::owner_of;
use crate::http::response::{self, Body};
use crate::http::AppState;

/// Continuation tokens are the last key or prefix of the previous page, opaque to
/// clients.
fn encode_token(marker: &str) -> String {
    URL_SAFE_NO_PAD.encode(marker.as_bytes())
}

fn decode_token(token: &str) -> Result<String, Error> {
    URL_SAFE_NO_PAD.decode(token.as_bytes()).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(|| {
        S3Error::with_message(S3ErrorCode::InvalidArgument, "The continuation token provided is incorrect").extra("ArgumentName", "continuation-token").into()
    })
}

pub async fn list_objects(state: &AppState, bucket: Bucket, params: ListObjectsParams, v2: bool) -> Result<Response<Body>, Error> {
    let after = match (&params.continuation_token, &params.start_after, &params.marker) {
        (Some(token), _, _) => Some(decode_token(token)?),
        (None, Some(start_after), _) => Some(start_after.clone()),
        (None, None, marker) => marker.clone(),
    };
    let listing = state.catalog.list_objects(bucket.id, &params.prefix, params.delimiter.as_deref(), after.as_deref(), params.max_keys).await?;
    tracing::debug!(rows_read = listing.rows_read, "listing page read");

    let mut owners: HashMap<String, Owner> = HashMap::new();
    let mut objects = Vec::with_capacity(listing.objects.len());
    for o in listing.objects {
        let owner = if params.fetch_owner {
            if !owners.contains_key(&o.owner_id) {
                let owner = owner_of(state, &o.owner_id).await?;
                owners.insert(o.owner_id.clone(), owner);
            }
            owners.get(&o.owner_id).cloned()
        } else {
            None
        };
        objects.push(ObjectEntry {
            key: o.key,
            last_modified: ms_to_datetime(o.last_modified),
            etag: o.etag,
            size: o.size as u64,
            storage_class: o.storage_class,
            owner,
            checksum_algorithm: o.checksum_algorithm,
            checksum_type: o.checksum_type,
        });
    }
    let page = ObjectPage { objects, common_prefixes: listing.common_prefixes, is_truncated: listing.is_truncated, next_marker: listing.next_marker };
    let doc = if v2 {
        let next_token = page.is_truncated.then(|| page.next_marker.as_deref().map(encode_token)).flatten();
        xml::list::list_objects_v2(&bucket.name, &params, &page, next_token.as_deref())
    } else {
        xml::list::list_objects_v1(&bucket.name, &params, &page)
    };
    Ok(response::xml(doc))
}
