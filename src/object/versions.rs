//! ListObjectVersions: every version and delete marker, keys ascending and versions
//! newest first, with key and version-id markers.

use std::collections::HashMap;

use http::Response;
use s3api::operation::ListVersionsParams;
use s3api::xml::list::{VersionEntry, VersionPage};
use s3api::xml::{self, Owner};
use s3api::{S3Error, S3ErrorCode};

use super::check_version_id;
use crate::catalog::{ms_to_datetime, Bucket, Versioning, NULL_VERSION};
use crate::error::Error;
use crate::http::acl::owner_of;
use crate::http::response::{self, Body};
use crate::http::AppState;

pub async fn list_versions(state: &AppState, bucket: Bucket, params: ListVersionsParams) -> Result<Response<Body>, Error> {
    // A version-id marker names a version of the key marker: resume with its older versions.
    let after_version = match (&params.key_marker, &params.version_id_marker) {
        (Some(key), Some(version_id)) => {
            check_version_id(version_id)?;
            let marker = state.catalog.version(bucket.id, key, version_id).await?;
            Some(marker.map(|v| v.id).ok_or_else(|| {
                S3Error::with_message(S3ErrorCode::InvalidArgument, "Invalid version id specified")
                    .extra("ArgumentName", "version-id-marker")
                    .extra("ArgumentValue", version_id.as_str())
            })?)
        }
        (None, Some(_)) => {
            return Err(S3Error::with_message(S3ErrorCode::InvalidArgument, "A version-id marker cannot be specified without a key marker.")
                .extra("ArgumentName", "version-id-marker")
                .into())
        }
        _ => None,
    };
    let listing = state
        .catalog
        .list_versions(bucket.id, &params.prefix, params.delimiter.as_deref(), params.key_marker.as_deref(), after_version, params.max_keys)
        .await?;

    let mut owners: HashMap<String, Owner> = HashMap::new();
    let mut versions = Vec::with_capacity(listing.versions.len());
    for v in listing.versions {
        if !owners.contains_key(&v.owner_id) {
            owners.insert(v.owner_id.clone(), owner_of(state, &v.owner_id).await?);
        }
        versions.push(VersionEntry {
            version_id: if bucket.versioning == Versioning::Unversioned { NULL_VERSION.to_owned() } else { v.version_id.clone() },
            is_latest: v.is_latest,
            is_delete_marker: v.is_delete_marker,
            last_modified: ms_to_datetime(v.last_modified),
            etag: v.etag,
            size: v.size as u64,
            storage_class: v.storage_class,
            owner: owners.get(&v.owner_id).cloned(),
            checksum_algorithm: v.checksum.as_ref().map(|c| c.algorithm.clone()),
            checksum_type: v.checksum.as_ref().map(|c| c.kind.clone()),
            key: v.key,
        });
    }
    let page = VersionPage {
        versions,
        common_prefixes: listing.common_prefixes,
        is_truncated: listing.is_truncated,
        next_key_marker: listing.next_key_marker,
        next_version_id_marker: listing.next_version_id_marker,
    };
    Ok(response::xml(xml::list::list_versions(&bucket.name, &params, &page)))
}
