//! ListParts and ListMultipartUploads.

use std::collections::HashMap;

use http::Response;
use s3api::checksum::ChecksumAlgorithm;
use s3api::headers::checksum_element;
use s3api::operation::{ListPartsParams, ListUploadsParams};
use s3api::xml::list::{PartEntry, PartPage, UploadEntry, UploadPage};
use s3api::xml::{self, Owner};

use super::{find_upload, UploadChecksum};
use crate::catalog::{ms_to_datetime, Bucket};
use crate::error::Error;
use crate::http::acl::owner_of;
use crate::http::response::{self, Body};
use crate::http::AppState;

pub async fn list_parts(state: &AppState, bucket: Bucket, key: &str, upload_id: &str, params: ListPartsParams) -> Result<Response<Body>, Error> {
    let upload = find_upload(state, &bucket, key, upload_id).await?;
    let checksum = UploadChecksum::of(&upload);
    let mut parts = state.catalog.upload_parts(upload_id, i64::from(params.part_number_marker), params.max_parts as i64 + 1).await?;
    let is_truncated = parts.len() > params.max_parts;
    parts.truncate(params.max_parts);
    let element = checksum.requested.then(|| checksum_element(checksum.algorithm));
    let page = PartPage {
        bucket: bucket.name.clone(),
        key: key.to_owned(),
        upload_id: upload_id.to_owned(),
        owner: owner_of(state, &upload.owner_id).await?,
        storage_class: upload.storage_class.clone(),
        part_number_marker: params.part_number_marker,
        next_part_number_marker: parts.last().map_or(0, |p| p.part_number as u32),
        max_parts: params.max_parts,
        is_truncated,
        checksum_algorithm: checksum.requested.then(|| checksum.algorithm.as_str().to_owned()),
        checksum_type: checksum.requested.then(|| checksum.kind.as_str().to_owned()),
        parts: parts
            .into_iter()
            .map(|p| PartEntry {
                part_number: p.part_number as u32,
                last_modified: ms_to_datetime(p.last_modified),
                etag: format!("\"{}\"", p.etag),
                size: p.size as u64,
                checksum: element.zip(p.checksum).map(|(e, c)| (e.to_owned(), c)),
            })
            .collect(),
    };
    let mut resp = response::xml(xml::list::list_parts(&page));
    super::set_abort_date(&mut resp, &bucket, key, upload.initiated, state.config.lifecycle_day());
    Ok(resp)
}

pub async fn list_uploads(state: &AppState, bucket: Bucket, params: ListUploadsParams) -> Result<Response<Body>, Error> {
    let listing = state
        .catalog
        .list_uploads(
            bucket.id,
            &params.prefix,
            params.delimiter.as_deref(),
            params.key_marker.as_deref(),
            params.upload_id_marker.as_deref(),
            params.max_uploads,
        )
        .await?;
    let mut owners: HashMap<String, Owner> = HashMap::new();
    let mut uploads = Vec::with_capacity(listing.uploads.len());
    for u in listing.uploads {
        if !owners.contains_key(&u.owner_id) {
            owners.insert(u.owner_id.clone(), owner_of(state, &u.owner_id).await?);
        }
        let owner = owners.get(&u.owner_id).cloned().unwrap_or(Owner { id: u.owner_id.clone(), display_name: u.owner_id.clone() });
        let algorithm = u.checksum_algorithm.as_deref().and_then(ChecksumAlgorithm::parse);
        uploads.push(UploadEntry {
            key: u.key,
            upload_id: u.upload_id,
            initiated: ms_to_datetime(u.initiated),
            owner,
            storage_class: u.storage_class,
            checksum_algorithm: algorithm.map(|a| a.as_str().to_owned()),
            checksum_type: u.checksum_type,
        });
    }
    let page = UploadPage {
        uploads,
        common_prefixes: listing.common_prefixes,
        is_truncated: listing.is_truncated,
        next_key_marker: listing.next_key_marker,
        next_upload_id_marker: listing.next_upload_id_marker,
    };
    Ok(response::xml(xml::list::list_uploads(&bucket.name, &params, &page)))
}
