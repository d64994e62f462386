//! Bucket rows: create, find, list, update and delete.

use s3api::operation::BucketSetting;
use sqlx::Row;

use super::model::encode_tags;
use super::{Bucket, Catalog, CatalogError, CatalogResult, Tx, Versioning};

/// The column that keeps a bucket setting.
fn setting_column(setting: BucketSetting) -> &'static str {
    match setting {
        BucketSetting::Policy => "policy",
        BucketSetting::Cors => "cors",
        BucketSetting::PublicAccessBlock => "public_access_block",
        BucketSetting::OwnershipControls => "object_ownership",
        BucketSetting::Lifecycle => "lifecycle",
        BucketSetting::ObjectLock => "object_lock",
        BucketSetting::Logging => "logging",
        BucketSetting::Encryption => "encryption",
    }
}

impl Catalog {
    /// The bucket named `name`.
    pub async fn bucket(&self, name: &str) -> CatalogResult<Option<Bucket>> {
        let sql = format!("SELECT {} FROM buckets WHERE name = $1", Bucket::COLUMNS);
        let row = sqlx::query(&sql).bind(name).fetch_optional(self.reader()).await?;
        row.as_ref().map(Bucket::from_row).transpose()
    }

    /// Buckets in name order; only `owner_id`'s when given.
    pub async fn buckets(&self, owner_id: Option<&str>) -> CatalogResult<Vec<Bucket>> {
        let rows = match owner_id {
            Some(owner) => {
                let sql = format!("SELECT {} FROM buckets WHERE owner_id = $1 ORDER BY name", Bucket::COLUMNS);
                sqlx::query(&sql).bind(owner).fetch_all(self.reader()).await?
            }
            None => {
                let sql = format!("SELECT {} FROM buckets ORDER BY name", Bucket::COLUMNS);
                sqlx::query(&sql).fetch_all(self.reader()).await?
            }
        };
        rows.iter().map(Bucket::from_row).collect()
    }
}

impl Tx {
    /// Inserts a bucket; [`CatalogError::Conflict`] when the name is taken.
    pub async fn create_bucket(&mut self, name: &str, owner_id: &str, region: &str, acl: &str, created_at: i64) -> CatalogResult<Bucket> {
        let sql =
            format!("INSERT INTO buckets (name, owner_id, region, created_at, versioning, acl) VALUES ($1, $2, $3, $4, 0, $5) RETURNING {}", Bucket::COLUMNS);
        let row = sqlx::query(&sql)
            .bind(name)
            .bind(owner_id)
            .bind(region)
            .bind(created_at)
            .bind(acl)
            .fetch_one(&mut *self.inner)
            .await
            .map_err(CatalogError::from_sqlx)?;
        Bucket::from_row(&row)
    }

    /// The bucket named `name`, read inside this transaction.
    pub async fn bucket(&mut self, name: &str) -> CatalogResult<Option<Bucket>> {
        let sql = format!("SELECT {} FROM buckets WHERE name = $1{}", Bucket::COLUMNS, self.dialect.for_share());
        let row = sqlx::query(&sql).bind(name).fetch_optional(&mut *self.inner).await?;
        row.as_ref().map(Bucket::from_row).transpose()
    }

    /// Whether any version, delete marker or multipart upload remains in the bucket.
    pub async fn bucket_has_content(&mut self, bucket_id: i64) -> CatalogResult<(bool, bool)> {
        let objects =
            sqlx::query("SELECT 1 AS one FROM objects WHERE bucket_id = $1 LIMIT 1").bind(bucket_id).fetch_optional(&mut *self.inner).await?.is_some();
        let uploads =
            sqlx::query("SELECT 1 AS one FROM uploads WHERE bucket_id = $1 LIMIT 1").bind(bucket_id).fetch_optional(&mut *self.inner).await?.is_some();
        Ok((objects, uploads))
    }

    /// Deletes a bucket row.
    pub async fn delete_bucket(&mut self, bucket_id: i64) -> CatalogResult<()> {
        sqlx::query("DELETE FROM buckets WHERE id = $1").bind(bucket_id).execute(&mut *self.inner).await?;
        Ok(())
    }

    pub async fn set_bucket_versioning(&mut self, bucket_id: i64, versioning: Versioning) -> CatalogResult<()> {
        sqlx::query("UPDATE buckets SET versioning = $1 WHERE id = $2").bind(versioning.to_db()).bind(bucket_id).execute(&mut *self.inner).await?;
        Ok(())
    }

    /// Sets (Some) or removes (None) the bucket's tag set.
    pub async fn set_bucket_tags(&mut self, bucket_id: i64, tags: Option<&[(String, String)]>) -> CatalogResult<()> {
        let encoded = tags.map(|t| encode_tags(t).unwrap_or_else(|| "[]".to_owned()));
        sqlx::query("UPDATE buckets SET tags = $1 WHERE id = $2").bind(encoded).bind(bucket_id).execute(&mut *self.inner).await?;
        Ok(())
    }

    pub async fn set_bucket_acl(&mut self, bucket_id: i64, acl: &str) -> CatalogResult<()> {
        sqlx::query("UPDATE buckets SET acl = $1 WHERE id = $2").bind(acl).bind(bucket_id).execute(&mut *self.inner).await?;
        Ok(())
    }

    /// Sets (Some) or removes (None) one of the bucket's access settings.
    pub async fn set_bucket_setting(&mut self, bucket_id: i64, setting: BucketSetting, value: Option<&str>) -> CatalogResult<()> {
        let sql = format!("UPDATE buckets SET {} = $1 WHERE id = $2", setting_column(setting));
        sqlx::query(&sql).bind(value).bind(bucket_id).execute(&mut *self.inner).await?;
        Ok(())
    }

    /// Uploads of a bucket being deleted: their ids, so their parts can be freed.
    pub async fn bucket_upload_ids(&mut self, bucket_id: i64) -> CatalogResult<Vec<String>> {
        let rows = sqlx::query("SELECT upload_id FROM uploads WHERE bucket_id = $1").bind(bucket_id).fetch_all(&mut *self.inner).await?;
        rows.iter().map(|r| r.try_get("upload_id").map_err(Into::into)).collect()
    }
}
