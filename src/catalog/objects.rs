//! Object versions: reading the latest or a given version, writing a new version (with
//! S3's null-version rules), and deleting a version. Blobs that lose their last
//! reference are queued in `blob_gc` in the same transaction.

use s3api::headers::ObjectMetadata;
use sqlx::Row;

use super::model::encode_tags;
use super::{now_ms, Catalog, CatalogError, CatalogResult, ObjectVersion, Part, StoredChecksum, Tx, VersionLock, NULL_VERSION};

/// The data of one part of a new version.
#[derive(Debug, Clone)]
pub struct PartData {
    pub part_number: i64,
    pub blob_id: Option<String>,
    pub data: Option<Vec<u8>>,
    pub size: i64,
    /// Unquoted hex MD5.
    pub etag: String,
    pub checksum: Option<String>,
    /// The blob's stored length when it differs from `size` (an encrypted part).
    pub blob_size: Option<i64>,
    /// The drives holding a blob written for this version (recorded with it); empty
    /// for inline data and for blobs recorded before (an upload's parts, a copy's).
    pub copies: Vec<String>,
}

impl From<Part> for PartData {
    fn from(p: Part) -> Self {
        PartData {
            part_number: p.part_number,
            blob_id: p.blob_id,
            data: p.data,
            size: p.size,
            etag: p.etag,
            checksum: p.checksum,
            blob_size: p.blob_size,
            copies: Vec::new(),
        }
    }
}

/// A version (or delete marker) to write.
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub key: String,
    pub is_delete_marker: bool,
    pub size: i64,
    /// Quoted.
    pub etag: String,
    pub last_modified: i64,
    pub owner_id: String,
    pub metadata: ObjectMetadata,
    pub storage_class: String,
    pub checksum: Option<StoredChecksum>,
    pub tags: Vec<(String, String)>,
    pub acl: Option<String>,
    pub parts_count: Option<i64>,
    pub parts: Vec<PartData>,
    /// The multipart upload that made this version, when one did.
    pub upload_id: Option<String>,
    /// Object lock: retention and legal hold.
    pub lock: VersionLock,
    /// Encryption at rest (`encryption::Sealed`, JSON); `None`: stored in the clear.
    pub sse: Option<String>,
}

/// Which version id a write takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionWrite {
    /// The `null` version, replacing an existing one (versioning off or suspended).
    Null,
    /// A fresh version id (versioning enabled).
    New(String),
}

impl VersionWrite {
    pub fn version_id(&self) -> &str {
        match self {
            VersionWrite::Null => NULL_VERSION,
            VersionWrite::New(id) => id,
        }
    }
}

impl Catalog {
    /// The latest version of a key (possibly a delete marker).
    pub async fn latest_version(&self, bucket_id: i64, key: &str) -> CatalogResult<Option<ObjectVersion>> {
        let sql = format!("SELECT {} FROM objects WHERE bucket_id = $1 AND key = $2 AND is_latest = 1", ObjectVersion::COLUMNS);
        let row = sqlx::query(&sql).bind(bucket_id).bind(key).fetch_optional(self.reader()).await?;
        row.as_ref().map(ObjectVersion::from_row).transpose()
    }

    /// A specific version of a key.
    pub async fn version(&self, bucket_id: i64, key: &str, version_id: &str) -> CatalogResult<Option<ObjectVersion>> {
        let sql = format!("SELECT {} FROM objects WHERE bucket_id = $1 AND key = $2 AND version_id = $3", ObjectVersion::COLUMNS);
        let row = sqlx::query(&sql).bind(bucket_id).bind(key).bind(version_id).fetch_optional(self.reader()).await?;
        row.as_ref().map(ObjectVersion::from_row).transpose()
    }

    /// The parts of a version, in order. Empty if the version was deleted meanwhile.
    /// The multipart upload that made an object version, if one did.
    pub async fn version_upload_id(&self, object_id: i64) -> CatalogResult<Option<String>> {
        let row = sqlx::query("SELECT upload_id FROM objects WHERE id = $1").bind(object_id).fetch_optional(self.reader()).await?;
        Ok(row.map(|r| r.try_get::<Option<String>, _>("upload_id")).transpose()?.flatten())
    }

    pub async fn parts(&self, object_id: i64) -> CatalogResult<Vec<Part>> {
        let rows =
            sqlx::query("SELECT part_number, blob_id, data, size, etag, checksum, blob_size FROM object_parts WHERE object_id = $1 ORDER BY part_number")
                .bind(object_id)
                .fetch_all(self.reader())
                .await?;
        rows.iter().map(Part::from_row).collect()
    }
}

impl Tx {
    /// The latest version of a key, read inside this transaction.
    pub async fn latest_version(&mut self, bucket_id: i64, key: &str) -> CatalogResult<Option<ObjectVersion>> {
        let sql = format!("SELECT {} FROM objects WHERE bucket_id = $1 AND key = $2 AND is_latest = 1{}", ObjectVersion::COLUMNS, self.dialect.for_share());
        let row = sqlx::query(&sql).bind(bucket_id).bind(key).fetch_optional(&mut *self.inner).await?;
        row.as_ref().map(ObjectVersion::from_row).transpose()
    }

    /// Sets a version's object lock (retention and legal hold).
    pub async fn set_version_lock(&mut self, object_id: i64, lock: &VersionLock) -> CatalogResult<()> {
        sqlx::query("UPDATE objects SET lock_mode = $1, lock_until = $2, legal_hold = $3 WHERE id = $4")
            .bind(lock.mode.clone())
            .bind(lock.until)
            .bind(lock.legal_hold_column())
            .bind(object_id)
            .execute(&mut *self.inner)
            .await?;
        Ok(())
    }

    /// Every version of `key` (delete markers included), newest first, read inside this
    /// transaction: what the lifecycle worker decides on again under the key's lock.
    pub async fn key_versions(&mut self, bucket_id: i64, key: &str) -> CatalogResult<Vec<ObjectVersion>> {
        let sql = format!("SELECT {} FROM objects WHERE bucket_id = $1 AND key = $2 ORDER BY id DESC", ObjectVersion::COLUMNS);
        let rows = sqlx::query(&sql).bind(bucket_id).bind(key).fetch_all(&mut *self.inner).await?;
        rows.iter().map(ObjectVersion::from_row).collect()
    }

    /// A specific version, read inside this transaction and locked against deletion
    /// until it ends (a copy's source).
    pub async fn version(&mut self, bucket_id: i64, key: &str, version_id: &str) -> CatalogResult<Option<ObjectVersion>> {
        let sql = format!("SELECT {} FROM objects WHERE bucket_id = $1 AND key = $2 AND version_id = $3{}", ObjectVersion::COLUMNS, self.dialect.for_share());
        let row = sqlx::query(&sql).bind(bucket_id).bind(key).bind(version_id).fetch_optional(&mut *self.inner).await?;
        row.as_ref().map(ObjectVersion::from_row).transpose()
    }

    /// The parts of a version, read inside this transaction.
    pub async fn parts(&mut self, object_id: i64) -> CatalogResult<Vec<Part>> {
        let rows =
            sqlx::query("SELECT part_number, blob_id, data, size, etag, checksum, blob_size FROM object_parts WHERE object_id = $1 ORDER BY part_number")
                .bind(object_id)
                .fetch_all(&mut *self.inner)
                .await?;
        rows.iter().map(Part::from_row).collect()
    }

    /// Writes a new version as the latest of its key. A `Null` write first removes the
    /// existing null version. Returns the new row and the version it replaced, if any.
    pub async fn put_version(&mut self, bucket_id: i64, new: &NewVersion, write: &VersionWrite) -> CatalogResult<(ObjectVersion, Option<ObjectVersion>)> {
        let replaced = match write {
            VersionWrite::Null => {
                // Overwriting the null version removes it: never one under object lock
                // (handlers keep lock buckets versioned; this is the last guard).
                match self.version(bucket_id, &new.key, NULL_VERSION).await? {
                    Some(current) if current.lock.held() || current.lock.until.is_some_and(|until| until > now_ms()) => {
                        return Err(CatalogError::Locked);
                    }
                    Some(_) => self.remove_version_row(bucket_id, &new.key, NULL_VERSION).await?,
                    // No null version: nothing to remove (the usual first write of a key).
                    None => None,
                }
            }
            VersionWrite::New(_) => None,
        };
        sqlx::query("UPDATE objects SET is_latest = 0 WHERE bucket_id = $1 AND key = $2 AND is_latest = 1")
            .bind(bucket_id)
            .bind(&new.key)
            .execute(&mut *self.inner)
            .await?;
        let metadata = serde_json::to_string(&new.metadata).map_err(|e| CatalogError::Corrupt(e.to_string()))?;
        let checksum = new.checksum.as_ref();
        let sql = format!(
            "INSERT INTO objects (bucket_id, key, version_id, is_latest, is_delete_marker, size, etag, last_modified, owner_id, \
             metadata, storage_class, checksum_algorithm, checksum_type, checksum_value, tags, acl, parts_count, upload_id, \
             lock_mode, lock_until, legal_hold, sse) \
             VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) RETURNING {}",
            ObjectVersion::COLUMNS
        );
        let row = sqlx::query(&sql)
            .bind(bucket_id)
            .bind(&new.key)
            .bind(write.version_id())
            .bind(i64::from(new.is_delete_marker))
            .bind(new.size)
            .bind(&new.etag)
            .bind(new.last_modified)
            .bind(&new.owner_id)
            .bind(metadata)
            .bind(&new.storage_class)
            .bind(checksum.map(|c| c.algorithm.clone()))
            .bind(checksum.map(|c| c.kind.clone()))
            .bind(checksum.map(|c| c.value.clone()))
            .bind(encode_tags(&new.tags))
            .bind(new.acl.clone())
            .bind(new.parts_count)
            .bind(new.upload_id.clone())
            .bind(new.lock.mode.clone())
            .bind(new.lock.until)
            .bind(new.lock.legal_hold_column())
            .bind(new.sse.clone())
            .fetch_one(&mut *self.inner)
            .await
            .map_err(CatalogError::from_sqlx)?;
        let version = ObjectVersion::from_row(&row)?;
        for part in &new.parts {
            sqlx::query(
                "INSERT INTO object_parts (object_id, part_number, blob_id, data, size, etag, checksum, blob_size) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(version.id)
            .bind(part.part_number)
            .bind(part.blob_id.clone())
            .bind(part.data.clone())
            .bind(part.size)
            .bind(&part.etag)
            .bind(part.checksum.clone())
            .bind(part.blob_size)
            .execute(&mut *self.inner)
            .await?;
            if let Some(blob_id) = &part.blob_id {
                self.record_blob_copies(blob_id, &part.copies).await?;
            }
        }
        Ok((version, replaced))
    }

    /// Deletes one version. If it was the latest, the newest remaining version of the key
    /// becomes the latest. Returns the deleted row, if it existed.
    pub async fn delete_version(&mut self, bucket_id: i64, key: &str, version_id: &str) -> CatalogResult<Option<ObjectVersion>> {
        let removed = self.remove_version_row(bucket_id, key, version_id).await?;
        if removed.as_ref().is_some_and(|v| v.is_latest) {
            sqlx::query("UPDATE objects SET is_latest = 1 WHERE id = (SELECT MAX(id) FROM objects WHERE bucket_id = $1 AND key = $2)")
                .bind(bucket_id)
                .bind(key)
                .execute(&mut *self.inner)
                .await?;
        }
        Ok(removed)
    }

    /// Removes a version row and its parts, queueing its blobs for GC.
    async fn remove_version_row(&mut self, bucket_id: i64, key: &str, version_id: &str) -> CatalogResult<Option<ObjectVersion>> {
        let sql = format!("DELETE FROM objects WHERE bucket_id = $1 AND key = $2 AND version_id = $3 RETURNING {}", ObjectVersion::COLUMNS);
        let row = sqlx::query(&sql).bind(bucket_id).bind(key).bind(version_id).fetch_optional(&mut *self.inner).await?;
        let Some(version) = row.as_ref().map(ObjectVersion::from_row).transpose()? else {
            return Ok(None);
        };
        let blobs = sqlx::query("DELETE FROM object_parts WHERE object_id = $1 RETURNING blob_id").bind(version.id).fetch_all(&mut *self.inner).await?;
        for row in blobs {
            if let Some(blob_id) = row.try_get::<Option<String>, _>("blob_id")? {
                self.queue_blob_gc(&blob_id).await?;
            }
        }
        Ok(Some(version))
    }

    /// Replaces the tag set of a version.
    pub async fn set_object_tags(&mut self, object_id: i64, tags: &[(String, String)]) -> CatalogResult<()> {
        sqlx::query("UPDATE objects SET tags = $1 WHERE id = $2").bind(encode_tags(tags)).bind(object_id).execute(&mut *self.inner).await?;
        Ok(())
    }

    /// Replaces the ACL of a version.
    pub async fn set_object_acl(&mut self, object_id: i64, acl: &str) -> CatalogResult<()> {
        sqlx::query("UPDATE objects SET acl = $1 WHERE id = $2").bind(acl).bind(object_id).execute(&mut *self.inner).await?;
        Ok(())
    }
}
