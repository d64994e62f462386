//! `depot index rebuild`: rebuilds the index from the catalog, in one transaction.
//!
//! Live index rows are replaced by the catalog's versions, written with the weakest
//! position (0), so that any event still on its way overwrites them with its (newer)
//! state. Tombstones of removed versions are kept, so that a late event for a version
//! removed before the rebuild still cannot bring it back. `processed_events` is kept:
//! replays stay no-ops. Statistics are recomputed from the rebuilt rows. It only reads
//! the catalog's own tables, and writes nothing but the index's.

use std::collections::HashMap;

use super::apply::{write_state, write_tags};
use super::IndexerError;
use crate::catalog::Catalog;
use crate::events::{Event, EventContext, EventType};

/// Rows read from the catalog per query.
const PAGE: i64 = 1000;

/// What a rebuild wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RebuildReport {
    pub buckets: usize,
    pub versions: usize,
}

pub async fn rebuild(catalog: &Catalog) -> Result<RebuildReport, IndexerError> {
    let buckets = catalog.buckets(None).await?;
    let by_id: HashMap<i64, &crate::catalog::Bucket> = buckets.iter().map(|b| (b.id, b)).collect();
    let ctx = EventContext { principal: "depot-rebuild".into(), request_id: String::new(), source_ip: String::new(), region: String::new() };
    let mut report = RebuildReport { buckets: buckets.len(), versions: 0 };
    let mut tx = catalog.begin().await?;
    for sql in [
        "DELETE FROM index_tags WHERE version_seq IN (SELECT version_seq FROM index_versions WHERE removed = 0)",
        "DELETE FROM index_versions WHERE removed = 0",
        "DELETE FROM index_buckets",
        "DELETE FROM index_bucket_stats",
    ] {
        sqlx::query(sql).execute(tx.connection()).await?;
    }
    for bucket in &buckets {
        let event = Event::for_bucket(&ctx, EventType::BucketCreated, "BucketCreated", bucket);
        sqlx::query("INSERT INTO index_buckets (name, owner_id, versioning, created_at, tags, deleted, seq) VALUES ($1, $2, $3, $4, $5, 0, 0)")
            .bind(&bucket.name)
            .bind(&bucket.owner_id)
            .bind(event.bucket_state.as_ref().and_then(|s| s.get("versioning")).and_then(|v| v.as_str()).map(str::to_owned))
            .bind(bucket.created_at)
            .bind(serde_json::Value::Object(event.tags.clone()).to_string())
            .execute(tx.connection())
            .await?;
    }
    let mut after = 0;
    loop {
        let page = tx.versions_after(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for version in &page {
            // A version of a bucket created after the bucket list was read: its events index it.
            let Some(bucket) = by_id.get(&version.bucket_id) else { continue };
            let event = Event::for_object(&ctx, EventType::ObjectCreated, "ObjectCreated:Put", bucket, version);
            let Some(object) = event.object.as_ref() else { continue };
            if write_state(tx.connection(), &event, object).await? {
                write_tags(tx.connection(), object).await?;
                report.versions += 1;
            }
        }
    }
    for sql in [
        "UPDATE index_versions SET is_latest = 0 WHERE is_latest = 1",
        "UPDATE index_versions SET is_latest = 1 WHERE version_seq IN \
         (SELECT MAX(version_seq) FROM index_versions WHERE removed = 0 GROUP BY bucket, key)",
        "INSERT INTO index_bucket_stats (bucket, objects, bytes, versions, version_bytes) \
         SELECT bucket, CAST(SUM(CASE WHEN is_latest = 1 AND is_delete_marker = 0 THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN is_latest = 1 AND is_delete_marker = 0 THEN size ELSE 0 END) AS BIGINT), \
         COUNT(*), CAST(SUM(size) AS BIGINT) FROM index_versions WHERE removed = 0 GROUP BY bucket",
    ] {
        sqlx::query(sql).execute(tx.connection()).await?;
    }
    tx.commit().await?;
    Ok(report)
}
