//! Multipart uploads and their parts.

use sqlx::Row;

use super::{CatalogResult, Tx};

impl Tx {
    /// Removes an upload and its parts, queueing the parts' blobs for GC.
    pub async fn delete_upload(&mut self, upload_id: &str) -> CatalogResult<bool> {
        let blobs = sqlx::query("DELETE FROM upload_parts WHERE upload_id = $1 RETURNING blob_id")
            .bind(upload_id)
            .fetch_all(&mut *self.inner)
            .await?;
        for row in blobs {
            let blob_id: String = row.try_get("blob_id")?;
            self.queue_blob_gc(&blob_id).await?;
        }
        let deleted = sqlx::query("DELETE FROM uploads WHERE upload_id = $1").bind(upload_id).execute(&mut *self.inner).await?;
        Ok(deleted.rows_affected() > 0)
    }
}
