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

    /// Queues a blob in a transaction of its own: a write whose commit has an unknown
    /// outcome hands its blob to the collector this way, which frees it only if no row
    /// refers to it.
    pub async fn queue_blob_gc(&self, blob_id: &str) -> CatalogResult<()> {
        let mut tx = self.begin().await?;
        tx.queue_blob_gc(blob_id).await?;
        tx.commit().await
    }

    /// Whether any object version or multipart part refers to the blob (asked on the
    /// writer connection, which sees every commit).
    pub async fn blob_is_referenced(&self, blob_id: &str) -> CatalogResult<bool> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM object_parts WHERE blob_id = $1 \
             UNION ALL SELECT 1 AS one FROM upload_parts WHERE blob_id = $1 LIMIT 1",
        )
        .bind(blob_id)
        .fetch_optional(&mut *self.writer().await?)
        .await?;
        Ok(row.is_some())
    }

    /// Drops a blob from the GC queue, unless it was queued again since `generation`
    /// was read (then the next pass looks at it again).
    pub async fn forget_blob_gc(&self, blob_id: &str, generation: i64) -> CatalogResult<()> {
        self.check_writable()?;
        let mut conn = self.writer().await?;
        sqlx::query("DELETE FROM blob_gc WHERE blob_id = $1 AND generation = $2").bind(blob_id).bind(generation).execute(&mut *conn).await?;
        Ok(())
    }
}
