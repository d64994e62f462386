//! Full scans of object versions, in row order, for rebuilding data derived from the
//! catalog (the search index). Read-only; a page at a time.

use super::{CatalogResult, ObjectVersion, Tx};

impl Tx {
    /// Up to `limit` version rows (delete markers included) with ids above `after_id`,
    /// in id order, read inside this transaction.
    pub async fn versions_after(&mut self, after_id: i64, limit: i64) -> CatalogResult<Vec<ObjectVersion>> {
        let sql = format!("SELECT {} FROM objects WHERE id > $1 ORDER BY id LIMIT $2", ObjectVersion::COLUMNS);
        let rows = sqlx::query(&sql).bind(after_id).bind(limit).fetch_all(&mut *self.inner).await?;
        rows.iter().map(ObjectVersion::from_row).collect()
    }
}
