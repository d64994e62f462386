//! Blob references: the GC queue of blobs that lost a reference, the reference checks
//! that decide whether a blob file may be removed, and the pause of collection that a
//! backup takes (`gc_pause`).

use sqlx::Row;

use super::{now_ms, Catalog, CatalogResult, Tx};

/// One row (or none) when an object version's part or an upload's part refers to blob `$1`.
const REFERENCED_BY_ANY_ROW: &str =
    "SELECT 1 AS one FROM object_parts WHERE blob_id = $1 UNION ALL SELECT 1 AS one FROM upload_parts WHERE blob_id = $1 LIMIT 1";

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
        let row = sqlx::query(REFERENCED_BY_ANY_ROW).bind(blob_id).fetch_optional(&mut *self.writer().await?).await?;
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

/// A blob some row refers to, with what the scrubber checks it against and whom to
/// name when it is lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRef {
    pub blob_id: String,
    /// The length of the blob's data (an encrypted part's stored length).
    pub size: i64,
    /// The MD5 (hex) of the blob's data: the part's ETag; empty for an encrypted part,
    /// whose ETag is its plaintext's.
    pub md5_hex: String,
    pub bucket: String,
    pub key: String,
    /// The version id, or "" for a part of a multipart upload in progress.
    pub version_id: String,
}

impl BlobRef {
    fn from_row(row: &sqlx::any::AnyRow) -> CatalogResult<Self> {
        Ok(BlobRef {
            blob_id: row.try_get("blob_id")?,
            size: row.try_get("size")?,
            md5_hex: row.try_get("etag")?,
            bucket: row.try_get("bucket")?,
            key: row.try_get("key")?,
            version_id: row.try_get("version_id")?,
        })
    }
}

/// An object part kept inline in its catalog row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlinePart {
    pub object_id: i64,
    pub part_number: i64,
    pub data: Vec<u8>,
    pub md5_hex: String,
    pub bucket: String,
    pub key: String,
    pub version_id: String,
}

/// Referenced blobs (a blob shared by copies of an object appears once per row) after
/// `$1` in id order, at most `$2`; `bucket_filter` adds `b.name = $3`, `extra` a
/// condition on the blob id `r.blob_id`.
fn referenced_sql(bucket_filter: bool, extra: &str) -> String {
    let filter = if bucket_filter { " AND b.name = $3" } else { "" };
    format!(
        "SELECT blob_id, size, etag, bucket, key, version_id FROM ( \
         SELECT p.blob_id AS blob_id, COALESCE(p.blob_size, p.size) AS size, CASE WHEN p.blob_size IS NULL THEN p.etag ELSE '' END AS etag, b.name AS bucket, o.key AS key, o.version_id AS version_id \
         FROM object_parts p JOIN objects o ON o.id = p.object_id JOIN buckets b ON b.id = o.bucket_id \
         WHERE p.blob_id IS NOT NULL AND p.blob_id > $1{filter} \
         UNION ALL \
         SELECT u.blob_id AS blob_id, COALESCE(u.blob_size, u.size) AS size, CASE WHEN u.blob_size IS NULL THEN u.etag ELSE '' END AS etag, b.name AS bucket, up.key AS key, '' AS version_id \
         FROM upload_parts u JOIN uploads up ON up.upload_id = u.upload_id JOIN buckets b ON b.id = up.bucket_id \
         WHERE u.blob_id > $1{filter}) r WHERE 1 = 1{extra} ORDER BY blob_id LIMIT $2"
    )
}

/// Rows to blobs, each blob once.
fn distinct_blobs(rows: &[sqlx::any::AnyRow]) -> CatalogResult<Vec<BlobRef>> {
    let mut out: Vec<BlobRef> = Vec::with_capacity(rows.len());
    for row in rows {
        let blob = BlobRef::from_row(row)?;
        if out.last().is_none_or(|last| last.blob_id != blob.blob_id) {
            out.push(blob);
        }
    }
    Ok(out)
}

impl Tx {
    /// Records the drives that hold a new blob (in the transaction that refers to it).
    pub async fn record_blob_copies(&mut self, blob_id: &str, drives: &[String]) -> CatalogResult<()> {
        for drive in drives {
            sqlx::query("INSERT INTO blob_copies (blob_id, drive_id) VALUES ($1, $2) ON CONFLICT (blob_id, drive_id) DO NOTHING")
                .bind(blob_id)
                .bind(drive)
                .execute(&mut *self.inner)
                .await?;
        }
        Ok(())
    }
}

impl Catalog {
    /// The drives recorded as holding a blob.
    pub async fn blob_copies(&self, blob_id: &str) -> CatalogResult<Vec<String>> {
        let rows = sqlx::query("SELECT drive_id FROM blob_copies WHERE blob_id = $1 ORDER BY drive_id").bind(blob_id).fetch_all(self.reader()).await?;
        rows.iter().map(|r| Ok(r.try_get("drive_id")?)).collect()
    }

    /// Replaces the record of the drives that hold a blob (after a repair), unless no
    /// row refers to the blob any more.
    pub async fn set_blob_copies(&self, blob_id: &str, drives: &[String]) -> CatalogResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM blob_copies WHERE blob_id = $1").bind(blob_id).execute(&mut *tx.inner).await?;
        let referenced = sqlx::query(REFERENCED_BY_ANY_ROW).bind(blob_id).fetch_optional(&mut *tx.inner).await?;
        if referenced.is_some() {
            tx.record_blob_copies(blob_id, drives).await?;
        }
        tx.commit().await
    }

    /// Whether any blob copy is recorded at all (a store that has held blobs).
    pub async fn has_blob_copies(&self) -> CatalogResult<bool> {
        Ok(sqlx::query("SELECT 1 AS one FROM blob_copies LIMIT 1").fetch_optional(self.reader()).await?.is_some())
    }

    /// Forgets the copies of a freed blob.
    pub async fn forget_blob_copies(&self, blob_id: &str) -> CatalogResult<()> {
        self.check_writable()?;
        let mut conn = self.writer().await?;
        sqlx::query("DELETE FROM blob_copies WHERE blob_id = $1").bind(blob_id).execute(&mut *conn).await?;
        Ok(())
    }

    /// Up to `limit` referenced blobs after `after` in id order, optionally only those
    /// of one bucket.
    pub async fn referenced_blobs(&self, after: &str, limit: i64, bucket: Option<&str>) -> CatalogResult<Vec<BlobRef>> {
        let sql = referenced_sql(bucket.is_some(), "");
        let mut query = sqlx::query(&sql).bind(after).bind(limit);
        if let Some(b) = bucket {
            query = query.bind(b);
        }
        distinct_blobs(&query.fetch_all(self.reader()).await?)
    }

    /// A referenced blob by id, if any row refers to it.
    pub async fn referenced_blob(&self, blob_id: &str) -> CatalogResult<Option<BlobRef>> {
        let sql = referenced_sql(false, " AND r.blob_id = $3");
        let rows = sqlx::query(&sql).bind("").bind(1i64).bind(blob_id).fetch_all(self.reader()).await?;
        Ok(distinct_blobs(&rows)?.into_iter().next())
    }

    /// Up to `limit` referenced blobs after `after` that the catalog records on fewer
    /// than `copies` of `drives` (copies on drives no longer configured do not count).
    pub async fn under_replicated_blobs(&self, copies: usize, drives: &[String], after: &str, limit: i64) -> CatalogResult<Vec<BlobRef>> {
        let placeholders: Vec<String> = (4..4 + drives.len()).map(|i| format!("${i}")).collect();
        let on_drives = if drives.is_empty() { "1 = 0".to_owned() } else { format!("c.drive_id IN ({})", placeholders.join(", ")) };
        let sql = referenced_sql(false, &format!(" AND (SELECT COUNT(*) FROM blob_copies c WHERE c.blob_id = r.blob_id AND {on_drives}) < $3"));
        let mut query = sqlx::query(&sql).bind(after).bind(limit).bind(copies as i64);
        for drive in drives {
            query = query.bind(drive);
        }
        distinct_blobs(&query.fetch_all(self.reader()).await?)
    }

    /// Up to `limit` inline object parts after (`object_id`, `part_number`).
    pub async fn inline_parts(&self, after: (i64, i64), limit: i64, bucket: Option<&str>) -> CatalogResult<Vec<InlinePart>> {
        let filter = if bucket.is_some() { " AND b.name = $4" } else { "" };
        let sql = format!(
            "SELECT p.object_id AS object_id, p.part_number AS part_number, p.data AS data, p.etag AS etag, b.name AS bucket, o.key AS key, \
             o.version_id AS version_id FROM object_parts p JOIN objects o ON o.id = p.object_id JOIN buckets b ON b.id = o.bucket_id \
             WHERE p.data IS NOT NULL AND (p.object_id > $1 OR (p.object_id = $1 AND p.part_number > $2)){filter} \
             ORDER BY p.object_id, p.part_number LIMIT $3"
        );
        let mut query = sqlx::query(&sql).bind(after.0).bind(after.1).bind(limit);
        if let Some(b) = bucket {
            query = query.bind(b);
        }
        let rows = query.fetch_all(self.reader()).await?;
        rows.iter()
            .map(|row| {
                Ok(InlinePart {
                    object_id: row.try_get("object_id")?,
                    part_number: row.try_get("part_number")?,
                    data: row.try_get("data")?,
                    md5_hex: row.try_get("etag")?,
                    bucket: row.try_get("bucket")?,
                    key: row.try_get("key")?,
                    version_id: row.try_get("version_id")?,
                })
            })
            .collect()
    }
}

impl Catalog {
    /// Pauses blob collection on every node until `until_ms`, or later if a pause in
    /// force already lasts longer: two backups that overlap never shorten each other's.
    pub async fn pause_gc(&self, until_ms: i64) -> CatalogResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO gc_pause (id, until_ms, set_at_ms) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET set_at_ms = excluded.set_at_ms, \
             until_ms = CASE WHEN excluded.until_ms > gc_pause.until_ms THEN excluded.until_ms ELSE gc_pause.until_ms END",
        )
        .bind(until_ms)
        .bind(now_ms())
        .execute(&mut *tx.inner)
        .await?;
        tx.commit().await
    }

    /// Ends a pause of blob collection (none is fine).
    pub async fn resume_gc(&self) -> CatalogResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM gc_pause").execute(&mut *tx.inner).await?;
        tx.commit().await
    }

    /// When the pause of blob collection ends, if one is in force now. Asked on the
    /// writer connection, which sees every commit.
    pub async fn gc_paused_until(&self) -> CatalogResult<Option<i64>> {
        let row = sqlx::query("SELECT until_ms FROM gc_pause WHERE until_ms > $1").bind(now_ms()).fetch_optional(&mut *self.writer().await?).await?;
        row.map(|r| r.try_get("until_ms")).transpose().map_err(Into::into)
    }
}
