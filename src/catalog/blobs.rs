//! Blob references: the GC queue of blobs that lost a reference, and the reference
//! checks that decide whether a blob file may be removed.

use sqlx::Row;

use super::{now_ms, Catalog, CatalogResult, Tx};

impl Tx {
    /// Queues a blob whose reference was just removed.
    pub async fn queue_blob_gc(&mut self, blob_id: &str) -> CatalogResult<()> {
        sqlx::query(
            "INSERT INTO blob_gc (blob_id, queued_at) VALUES ($1, $2) \
             ON CONFLICT (blob_id) DO UPDATE SET queued_at = excluded.queued_at, generation = blob_gc.generation + 1",
        )
        .bind(blob_id)
        .bind(now_ms())
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }
}

impl Catalog {
    /// Queued blobs (with their queue generation) older than `before_ms`, oldest first.
    pub async fn blob_gc_batch(&self, before_ms: i64, limit: i64) -> CatalogResult<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT blob_id, generation FROM blob_gc WHERE queued_at <= $1 ORDER BY queued_at LIMIT $2")
            .bind(before_ms)
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| Ok((r.try_get("blob_id")?, r.try_get("generation")?))).collect()
    }

    /// Whether any object version or multipart part refers to the blob.
    pub async fn blob_is_referenced(&self, blob_id: &str) -> CatalogResult<bool> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM object_parts WHERE blob_id = $1 \
             UNION ALL SELECT 1 AS one FROM upload_parts WHERE blob_id = $1 LIMIT 1",
        )
        .bind(blob_id)
        .fetch_optional(&self.write)
        .await?;
        Ok(row.is_some())
    }

    /// Drops a blob from the GC queue, unless it was queued again since `generation`
    /// was read (then the next pass looks at it again).
    pub async fn forget_blob_gc(&self, blob_id: &str, generation: i64) -> CatalogResult<()> {
        sqlx::query("DELETE FROM blob_gc WHERE blob_id = $1 AND generation = $2").bind(blob_id).bind(generation).execute(&self.write).await?;
        Ok(())
    }
}
