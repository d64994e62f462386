//! Multipart uploads and their parts: create, find, add or replace a part, list, and
//! remove (abort, completion, expiry). Completion itself moves the parts' blobs into a
//! new object version without copying data (see `Tx::finish_upload`).

use s3api::headers::ObjectMetadata;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::model::{decode_tags, encode_tags};
use super::paging::{Next, Pager};
use super::{Catalog, CatalogError, CatalogResult, Tx, VersionLock};

/// An in-progress multipart upload.
#[derive(Debug, Clone)]
pub struct Upload {
    pub upload_id: String,
    pub bucket_id: i64,
    pub key: String,
    pub owner_id: String,
    pub initiated: i64,
    pub metadata: ObjectMetadata,
    pub storage_class: String,
    pub checksum_algorithm: Option<String>,
    pub checksum_type: Option<String>,
    pub tags: Vec<(String, String)>,
    pub acl: Option<String>,
    /// The object lock the completed version gets.
    pub lock: VersionLock,
    /// Encryption at rest of its parts and of the completed version
    /// (`encryption::Sealed`, JSON); `None`: in the clear.
    pub sse: Option<String>,
}

impl Upload {
    const COLUMNS: &'static str = "upload_id, bucket_id, key, owner_id, initiated, metadata, storage_class, checksum_algorithm, checksum_type, tags, acl, lock_mode, lock_until, legal_hold, sse";

    fn from_row(row: &AnyRow) -> CatalogResult<Self> {
        let metadata: String = row.try_get("metadata")?;
        Ok(Upload {
            upload_id: row.try_get("upload_id")?,
            bucket_id: row.try_get("bucket_id")?,
            key: row.try_get("key")?,
            owner_id: row.try_get("owner_id")?,
            initiated: row.try_get("initiated")?,
            metadata: serde_json::from_str(&metadata).map_err(|e| CatalogError::Corrupt(format!("upload metadata: {e}")))?,
            storage_class: row.try_get("storage_class")?,
            checksum_algorithm: row.try_get("checksum_algorithm")?,
            checksum_type: row.try_get("checksum_type")?,
            tags: decode_tags(row.try_get("tags")?)?.unwrap_or_default(),
            acl: row.try_get("acl")?,
            lock: VersionLock::from_row(row)?,
            sse: row.try_get("sse")?,
        })
    }
}

/// One uploaded part.
#[derive(Debug, Clone)]
pub struct UploadPart {
    pub part_number: i64,
    pub blob_id: String,
    pub size: i64,
    /// Unquoted hex MD5.
    pub etag: String,
    /// Base64 checksum in the upload's algorithm.
    pub checksum: Option<String>,
    pub last_modified: i64,
    /// The blob's stored length when it differs from `size` (an encrypted part).
    pub blob_size: Option<i64>,
    /// The drives holding the part's blob when it was written (recorded with it; not
    /// read back: see `blob_copies`).
    pub copies: Vec<String>,
}

impl UploadPart {
    const COLUMNS: &'static str = "part_number, blob_id, size, etag, checksum, last_modified, blob_size";

    fn from_row(row: &AnyRow) -> CatalogResult<Self> {
        Ok(UploadPart {
            part_number: row.try_get("part_number")?,
            blob_id: row.try_get("blob_id")?,
            size: row.try_get("size")?,
            etag: row.try_get("etag")?,
            checksum: row.try_get("checksum")?,
            last_modified: row.try_get("last_modified")?,
            blob_size: row.try_get("blob_size")?,
            copies: Vec::new(),
        })
    }
}

/// A page of uploads and common prefixes.
#[derive(Debug, Clone, Default)]
pub struct UploadListing {
    pub uploads: Vec<Upload>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    pub next_key_marker: Option<String>,
    pub next_upload_id_marker: Option<String>,
}

impl Catalog {
    pub async fn upload(&self, upload_id: &str) -> CatalogResult<Option<Upload>> {
        let sql = format!("SELECT {} FROM uploads WHERE upload_id = $1", Upload::COLUMNS);
        let row = sqlx::query(&sql).bind(upload_id).fetch_optional(self.reader()).await?;
        row.as_ref().map(Upload::from_row).transpose()
    }

    /// Parts after `after` in part-number order, at most `limit`.
    pub async fn upload_parts(&self, upload_id: &str, after: i64, limit: i64) -> CatalogResult<Vec<UploadPart>> {
        let sql = format!("SELECT {} FROM upload_parts WHERE upload_id = $1 AND part_number > $2 ORDER BY part_number LIMIT $3", UploadPart::COLUMNS);
        let rows = sqlx::query(&sql).bind(upload_id).bind(after).bind(limit).fetch_all(self.reader()).await?;
        rows.iter().map(UploadPart::from_row).collect()
    }

    /// Uploads started before `before_ms`: candidates for expiry.
    pub async fn uploads_started_before(&self, before_ms: i64, limit: i64) -> CatalogResult<Vec<String>> {
        let rows = sqlx::query("SELECT upload_id FROM uploads WHERE initiated < $1 ORDER BY initiated LIMIT $2")
            .bind(before_ms)
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| r.try_get("upload_id").map_err(Into::into)).collect()
    }

    /// Lists a bucket's uploads in (key, upload id) order, S3-style: after
    /// (`key_marker`, `upload_id_marker`), under `prefix`, rolled up at `delimiter`.
    /// Without an upload-id marker, listing resumes after every upload of `key_marker`.
    pub async fn list_uploads(
        &self,
        bucket_id: i64,
        prefix: &str,
        delimiter: Option<&str>,
        key_marker: Option<&str>,
        upload_id_marker: Option<&str>,
        max: usize,
    ) -> CatalogResult<UploadListing> {
        let mut page = UploadListing::default();
        if max == 0 {
            return Ok(page);
        }
        // The scan resumes at uploads with (key, upload_id) > (key_bound, id_bound); upload
        // ids are ASCII, so "" sorts before every id and char::MAX after every id.
        let (mut key_bound, mut id_bound) = match key_marker {
            Some(k) if k >= prefix => (k.to_owned(), upload_id_marker.map_or_else(|| char::MAX.to_string(), str::to_owned)),
            _ => (prefix.to_owned(), String::new()),
        };
        let mut pager = Pager::new(prefix, delimiter, key_marker, max);
        let sql = format!(
            "SELECT {} FROM uploads WHERE bucket_id = $1 AND (key > $2 OR (key = $2 AND upload_id > $3)) ORDER BY key, upload_id LIMIT $4",
            Upload::COLUMNS
        );
        'scan: loop {
            let batch = (pager.room() + 1) as i64;
            let rows = sqlx::query(&sql).bind(bucket_id).bind(&key_bound).bind(&id_bound).bind(batch).fetch_all(self.reader()).await?;
            let exhausted = (rows.len() as i64) < batch;
            for row in &rows {
                let upload = Upload::from_row(row)?;
                match pager.next(&upload.key) {
                    Next::Stop => break 'scan,
                    Next::Skip(common) => {
                        (key_bound, id_bound) = (super::listing::successor(&common), String::new());
                        continue 'scan;
                    }
                    Next::Prefix(common) => {
                        (key_bound, id_bound) = (super::listing::successor(&common), String::new());
                        page.next_key_marker = Some(common.clone());
                        page.next_upload_id_marker = None;
                        page.common_prefixes.push(common);
                        continue 'scan;
                    }
                    Next::Entry => {}
                }
                (key_bound, id_bound) = (upload.key.clone(), upload.upload_id.clone());
                page.next_key_marker = Some(upload.key.clone());
                page.next_upload_id_marker = Some(upload.upload_id.clone());
                page.uploads.push(upload);
            }
            if exhausted {
                break;
            }
        }
        page.is_truncated = pager.truncated();
        Ok(page)
    }
}

impl Tx {
    pub async fn create_upload(&mut self, upload: &Upload) -> CatalogResult<()> {
        let metadata = serde_json::to_string(&upload.metadata).map_err(|e| CatalogError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO uploads (upload_id, bucket_id, key, owner_id, initiated, metadata, storage_class, checksum_algorithm, checksum_type, tags, acl, \
             lock_mode, lock_until, legal_hold, sse) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(&upload.upload_id)
        .bind(upload.bucket_id)
        .bind(&upload.key)
        .bind(&upload.owner_id)
        .bind(upload.initiated)
        .bind(metadata)
        .bind(&upload.storage_class)
        .bind(upload.checksum_algorithm.clone())
        .bind(upload.checksum_type.clone())
        .bind(encode_tags(&upload.tags))
        .bind(upload.acl.clone())
        .bind(upload.lock.mode.clone())
        .bind(upload.lock.until)
        .bind(upload.lock.legal_hold_column())
        .bind(upload.sse.clone())
        .execute(&mut *self.inner)
        .await
        .map_err(CatalogError::from_sqlx)?;
        Ok(())
    }

    /// The upload, read inside this transaction.
    pub async fn upload(&mut self, upload_id: &str) -> CatalogResult<Option<Upload>> {
        let sql = format!("SELECT {} FROM uploads WHERE upload_id = $1", Upload::COLUMNS);
        let row = sqlx::query(&sql).bind(upload_id).fetch_optional(&mut *self.inner).await?;
        row.as_ref().map(Upload::from_row).transpose()
    }

    /// All parts of an upload, read inside this transaction.
    pub async fn all_upload_parts(&mut self, upload_id: &str) -> CatalogResult<Vec<UploadPart>> {
        let sql = format!("SELECT {} FROM upload_parts WHERE upload_id = $1 ORDER BY part_number", UploadPart::COLUMNS);
        let rows = sqlx::query(&sql).bind(upload_id).fetch_all(&mut *self.inner).await?;
        rows.iter().map(UploadPart::from_row).collect()
    }

    /// Adds a part, replacing (and queueing for GC) an earlier part with its number.
    pub async fn put_upload_part(&mut self, upload_id: &str, part: &UploadPart) -> CatalogResult<()> {
        let replaced = sqlx::query("DELETE FROM upload_parts WHERE upload_id = $1 AND part_number = $2 RETURNING blob_id")
            .bind(upload_id)
            .bind(part.part_number)
            .fetch_optional(&mut *self.inner)
            .await?;
        if let Some(row) = replaced {
            let blob_id: String = row.try_get("blob_id")?;
            self.queue_blob_gc(&blob_id).await?;
        }
        sqlx::query(
            "INSERT INTO upload_parts (upload_id, part_number, blob_id, size, etag, checksum, last_modified, blob_size) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
            .bind(upload_id)
            .bind(part.part_number)
            .bind(&part.blob_id)
            .bind(part.size)
            .bind(&part.etag)
            .bind(part.checksum.clone())
            .bind(part.last_modified)
            .bind(part.blob_size)
            .execute(&mut *self.inner)
            .await?;
        self.record_blob_copies(&part.blob_id, &part.copies).await?;
        Ok(())
    }

    /// Removes an upload and its parts, queueing the parts' blobs for GC.
    pub async fn delete_upload(&mut self, upload_id: &str) -> CatalogResult<bool> {
        self.finish_upload(upload_id, &[]).await
    }

    /// Removes an upload whose parts `kept` now belong to an object version: their blobs
    /// stay, every other part's blob is queued for GC.
    pub async fn finish_upload(&mut self, upload_id: &str, kept: &[String]) -> CatalogResult<bool> {
        let blobs = sqlx::query("DELETE FROM upload_parts WHERE upload_id = $1 RETURNING blob_id").bind(upload_id).fetch_all(&mut *self.inner).await?;
        for row in blobs {
            let blob_id: String = row.try_get("blob_id")?;
            if !kept.contains(&blob_id) {
                self.queue_blob_gc(&blob_id).await?;
            }
        }
        let deleted = sqlx::query("DELETE FROM uploads WHERE upload_id = $1").bind(upload_id).execute(&mut *self.inner).await?;
        Ok(deleted.rows_affected() > 0)
    }
}
