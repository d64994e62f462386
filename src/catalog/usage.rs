//! Usage the statistics API reads straight from the catalog because no event describes
//! it: bytes held by multipart uploads in progress. Read-only.

use std::collections::HashMap;

use sqlx::Row;

use super::{Catalog, CatalogResult};

impl Catalog {
    /// Bytes of uploaded parts of incomplete multipart uploads, by bucket id.
    pub async fn multipart_bytes_by_bucket(&self) -> CatalogResult<HashMap<i64, i64>> {
        let rows = sqlx::query(
            "SELECT u.bucket_id AS bucket_id, CAST(COALESCE(SUM(p.size), 0) AS BIGINT) AS bytes \
             FROM uploads u JOIN upload_parts p ON p.upload_id = u.upload_id GROUP BY u.bucket_id",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| Ok((r.try_get("bucket_id")?, r.try_get("bytes")?))).collect()
    }
}
