//! Applying one event to the index tables, inside the caller's catalog transaction.
//!
//! Owns the rules that make the consumer idempotent and order-insensitive; must not
//! commit, retry, or know where the event came from.
//!
//! - The event id goes into `processed_events` first: a redelivered event stops there.
//! - A version row (keyed by the catalog row id, `versionSeq`) takes an event's state
//!   only when the event's outbox position is newer than the state it holds, so an
//!   older event arriving late never overwrites a newer state.
//! - Removal is final: a removed version stays as a tombstone that later (older)
//!   events cannot revive.
//! - A key has at most one null version: writing one removes the older ones (S3's
//!   null-version overwrite), and a null version older than one already known arrives
//!   removed.
//! - The key's latest version is its newest row that is not removed, as in the catalog.
//! - Statistics change by the difference of the key's counts before and after, so they
//!   follow from the rows and cannot drift by replays.

use std::collections::{BTreeMap, HashMap};

use sqlx::{AnyConnection, Row};

use super::IndexerError;
use crate::catalog::{lock_id, now_ms, Tx};
use crate::events::schema::{Event, ObjectState};

/// What applying an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// The event id was already applied.
    Duplicate,
}

/// The counts a key (or a bucket) contributes to statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub objects: i64,
    pub bytes: i64,
    pub versions: i64,
    pub version_bytes: i64,
}

impl Counts {
    fn minus(self, other: Counts) -> Counts {
        Counts {
            objects: self.objects - other.objects,
            bytes: self.bytes - other.bytes,
            versions: self.versions - other.versions,
            version_bytes: self.version_bytes - other.version_bytes,
        }
    }

    fn add(&mut self, other: Counts) {
        self.objects += other.objects;
        self.bytes += other.bytes;
        self.versions += other.versions;
        self.version_bytes += other.version_bytes;
    }
}

/// Statistics changes of a batch, by bucket; written once per bucket at the end, in
/// name order, so that concurrent indexers lock statistics rows in the same order.
#[derive(Debug, Default)]
pub struct StatsDelta(BTreeMap<String, Counts>);

impl StatsDelta {
    fn add(&mut self, bucket: &str, delta: Counts) {
        self.0.entry(bucket.to_owned()).or_default().add(delta);
    }

    /// Writes the accumulated changes (a zero change still creates the bucket's row).
    pub async fn write(self, tx: &mut Tx) -> Result<(), IndexerError> {
        for (bucket, d) in self.0 {
            sqlx::query(
                "INSERT INTO index_bucket_stats (bucket, objects, bytes, versions, version_bytes) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (bucket) DO UPDATE SET objects = index_bucket_stats.objects + excluded.objects, \
                 bytes = index_bucket_stats.bytes + excluded.bytes, versions = index_bucket_stats.versions + excluded.versions, \
                 version_bytes = index_bucket_stats.version_bytes + excluded.version_bytes",
            )
            .bind(bucket)
            .bind(d.objects)
            .bind(d.bytes)
            .bind(d.versions)
            .bind(d.version_bytes)
            .execute(tx.connection())
            .await?;
        }
        Ok(())
    }
}

/// What a batch of events carries from one event to the next inside its transaction:
/// the statistics changes, what it learnt of buckets' versioning, and the events to
/// mark indexed in the outbox (one statement at the end instead of one per event).
#[derive(Debug, Default)]
pub struct Batch {
    deltas: StatsDelta,
    /// Whether the index knows a bucket as versioned, read once per batch; forgotten
    /// when an event of the bucket itself is applied.
    versioned: HashMap<String, bool>,
    applied: Vec<String>,
}

impl Batch {
    /// Writes the statistics changes and marks the applied events indexed.
    pub async fn finish(self, tx: &mut Tx) -> Result<(), IndexerError> {
        self.deltas.write(tx).await?;
        tx.mark_indexed(&self.applied).await?;
        Ok(())
    }

    async fn bucket_was_versioned(&mut self, conn: &mut AnyConnection, bucket: &str) -> Result<bool, IndexerError> {
        if let Some(known) = self.versioned.get(bucket) {
            return Ok(*known);
        }
        let versioned = bucket_was_versioned(conn, bucket).await?;
        self.versioned.insert(bucket.to_owned(), versioned);
        Ok(versioned)
    }
}

/// Applies one (validated) event.
pub async fn apply_event(tx: &mut Tx, event: &Event, batch: &mut Batch) -> Result<Outcome, IndexerError> {
    let recorded = sqlx::query("INSERT INTO processed_events (event_id, sequencer, processed_at) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING")
        .bind(&event.event_id)
        .bind(&event.sequencer)
        .bind(now_ms())
        .execute(tx.connection())
        .await?
        .rows_affected();
    if recorded == 0 {
        return Ok(Outcome::Duplicate);
    }
    match &event.object {
        Some(object) => apply_object(tx, event, object, batch).await?,
        None => {
            batch.versioned.remove(&event.bucket);
            apply_bucket(tx, event, &mut batch.deltas).await?
        }
    }
    batch.applied.push(event.event_id.clone());
    Ok(Outcome::Applied)
}

async fn apply_bucket(tx: &mut Tx, event: &Event, deltas: &mut StatsDelta) -> Result<(), IndexerError> {
    let state = event.bucket_state.as_ref();
    let versioning = state.and_then(|s| s.get("versioning")).and_then(|v| v.as_str()).map(str::to_owned);
    let versioning = versioning.as_deref();
    let created_at = state.and_then(|s| s.get("createdAt")).and_then(|v| v.as_i64()).unwrap_or_else(|| event.time.timestamp_millis());
    let deleted = event.event_type == crate::events::EventType::BucketDeleted;
    sqlx::query(
        "INSERT INTO index_buckets (name, owner_id, versioning, created_at, tags, deleted, seq) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (name) DO UPDATE SET owner_id = excluded.owner_id, versioning = excluded.versioning, \
         created_at = excluded.created_at, tags = excluded.tags, deleted = excluded.deleted, seq = excluded.seq \
         WHERE index_buckets.seq < excluded.seq",
    )
    .bind(&event.bucket)
    .bind(&event.bucket_owner)
    .bind(versioning)
    .bind(created_at)
    .bind(serde_json::Value::Object(event.tags.clone()).to_string())
    .bind(i64::from(deleted))
    .bind(event.position())
    .execute(tx.connection())
    .await?;
    if versioning.is_some() && !deleted {
        // Once versioned, a bucket shows its unversioned objects' version id as "null".
        sqlx::query("UPDATE index_versions SET version_id = 'null' WHERE bucket = $1 AND version_id IS NULL AND removed = 0")
            .bind(&event.bucket)
            .execute(tx.connection())
            .await?;
    }
    deltas.add(&event.bucket, Counts::default());
    Ok(())
}

async fn apply_object(tx: &mut Tx, event: &Event, object: &ObjectState, batch: &mut Batch) -> Result<(), IndexerError> {
    let (bucket, key) = (event.bucket.as_str(), object.key.as_str());
    // Indexers working on the same key take turns, so that each sees the other's rows
    // when it counts before and after.
    tx.lock(lock_id(&[b"index\0", bucket.as_bytes(), b"\0", key.as_bytes()])).await?;
    let before = key_rows(tx.connection(), bucket, key, object.version_seq).await?;
    let shown_null;
    let object = if object.version_id.is_none() && batch.bucket_was_versioned(tx.connection(), bucket).await? {
        // Written before versioning was turned on, applied after: shown as "null" now.
        shown_null = ObjectState { version_id: Some(crate::catalog::NULL_VERSION.to_owned()), ..object.clone() };
        &shown_null
    } else {
        object
    };
    let is_null = object.version_id.as_deref().is_none_or(|v| v == crate::catalog::NULL_VERSION);
    if event.removes_version() {
        write_tombstone(tx.connection(), event, object, before.known).await?;
    } else {
        let superseded = is_null && before.newer_nulls;
        if is_null && before.older_live_nulls {
            remove_older_nulls(tx.connection(), bucket, key, object.version_seq).await?;
        }
        if superseded {
            write_tombstone(tx.connection(), event, object, before.known).await?;
        } else if write_state(tx.connection(), event, object).await? {
            // A version the index did not know has no tags yet.
            if before.known {
                delete_tags(tx.connection(), object.version_seq).await?;
            }
            insert_tags(tx.connection(), object).await?;
        }
    }
    refresh_latest(tx.connection(), bucket, key).await?;
    let after = key_counts(tx.connection(), bucket, key).await?;
    batch.deltas.add(bucket, after.minus(before.counts));
    Ok(())
}

/// Whether the index knows the bucket as versioned (now or before: it never goes back).
async fn bucket_was_versioned(conn: &mut AnyConnection, bucket: &str) -> Result<bool, IndexerError> {
    let row = sqlx::query("SELECT versioning FROM index_buckets WHERE name = $1 AND deleted = 0").bind(bucket).fetch_optional(conn).await?;
    Ok(match row {
        Some(row) => row.try_get::<Option<String>, _>("versioning")?.is_some(),
        None => false,
    })
}

const NULL_LIKE: &str = "(version_id IS NULL OR version_id = 'null')";

async fn remove_older_nulls(conn: &mut AnyConnection, bucket: &str, key: &str, version_seq: i64) -> Result<(), IndexerError> {
    let matching = format!("bucket = $1 AND key = $2 AND version_seq < $3 AND removed = 0 AND {NULL_LIKE}");
    let sql = format!("DELETE FROM index_tags WHERE version_seq IN (SELECT version_seq FROM index_versions WHERE {matching})");
    sqlx::query(&sql).bind(bucket).bind(key).bind(version_seq).execute(&mut *conn).await?;
    let sql = format!("UPDATE index_versions SET removed = 1, is_latest = 0 WHERE {matching}");
    sqlx::query(&sql).bind(bucket).bind(key).bind(version_seq).execute(conn).await?;
    Ok(())
}

const VERSION_COLUMNS: &str = "version_seq, bucket, key, version_id, is_latest, is_delete_marker, removed, size, etag, content_type, \
     last_modified, owner_id, description, key_lower, description_lower, user_metadata, tags, state_seq";

/// Binds the state an event reports for its version, `removed` as given.
fn insert_version<'q>(
    sql: &'q str,
    event: &'q Event,
    object: &'q ObjectState,
    removed: bool,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    // Browsers send non-ASCII text RFC 2047-encoded: the index holds the text itself.
    let description = object.user_metadata.get("description").and_then(|v| v.as_str()).map(|d| s3api::headers::decode_rfc2047(d).into_owned());
    sqlx::query(sql)
        .bind(object.version_seq)
        .bind(&event.bucket)
        .bind(&object.key)
        .bind(object.version_id.clone())
        .bind(i64::from(object.is_delete_marker))
        .bind(i64::from(removed))
        .bind(object.size)
        .bind(&object.e_tag)
        .bind(object.content_type.clone())
        .bind(object.last_modified)
        .bind(&object.owner)
        .bind(description.clone())
        .bind(object.key.to_lowercase())
        .bind(description.map(|d| d.to_lowercase()))
        .bind(serde_json::Value::Object(object.user_metadata.clone()).to_string())
        .bind(serde_json::Value::Object(object.tags.clone()).to_string())
        .bind(event.position())
}

/// Marks the event's version removed for good, whether or not it was known (`known`:
/// the index has a row for it, whose tags go).
async fn write_tombstone(conn: &mut AnyConnection, event: &Event, object: &ObjectState, known: bool) -> Result<(), IndexerError> {
    let sql = format!(
        "INSERT INTO index_versions ({VERSION_COLUMNS}) VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         ON CONFLICT (version_seq) DO UPDATE SET removed = 1, is_latest = 0"
    );
    insert_version(&sql, event, object, true).execute(&mut *conn).await?;
    if known {
        delete_tags(conn, object.version_seq).await?;
    }
    Ok(())
}

/// Writes the event's state of its version unless the row is removed or holds a newer
/// state. Returns whether it was written.
pub(super) async fn write_state(conn: &mut AnyConnection, event: &Event, object: &ObjectState) -> Result<bool, IndexerError> {
    let sql = format!(
        "INSERT INTO index_versions ({VERSION_COLUMNS}) VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         ON CONFLICT (version_seq) DO UPDATE SET version_id = excluded.version_id, is_delete_marker = excluded.is_delete_marker, \
         size = excluded.size, etag = excluded.etag, content_type = excluded.content_type, last_modified = excluded.last_modified, \
         owner_id = excluded.owner_id, description = excluded.description, description_lower = excluded.description_lower, \
         user_metadata = excluded.user_metadata, tags = excluded.tags, state_seq = excluded.state_seq \
         WHERE index_versions.removed = 0 AND index_versions.state_seq < excluded.state_seq"
    );
    let written = insert_version(&sql, event, object, false).execute(conn).await?.rows_affected();
    Ok(written > 0)
}

/// Replaces the tags of the event's version.
pub(super) async fn write_tags(conn: &mut AnyConnection, object: &ObjectState) -> Result<(), IndexerError> {
    delete_tags(conn, object.version_seq).await?;
    insert_tags(conn, object).await
}

async fn delete_tags(conn: &mut AnyConnection, version_seq: i64) -> Result<(), IndexerError> {
    sqlx::query("DELETE FROM index_tags WHERE version_seq = $1").bind(version_seq).execute(conn).await?;
    Ok(())
}

async fn insert_tags(conn: &mut AnyConnection, object: &ObjectState) -> Result<(), IndexerError> {
    for (tag_key, value) in &object.tags {
        let value = value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string());
        sqlx::query("INSERT INTO index_tags (version_seq, tag_key, tag_value) VALUES ($1, $2, $3)")
            .bind(object.version_seq)
            .bind(tag_key)
            .bind(value)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Makes the newest row of the key that is not removed its only latest row, in one
/// statement: it touches the rows marked latest and the newest one.
pub(super) async fn refresh_latest(conn: &mut AnyConnection, bucket: &str, key: &str) -> Result<(), IndexerError> {
    let newest = "(SELECT MAX(version_seq) FROM index_versions WHERE bucket = $1 AND key = $2 AND removed = 0)";
    let sql = format!(
        "UPDATE index_versions SET is_latest = CASE WHEN version_seq = {newest} THEN 1 ELSE 0 END \
         WHERE bucket = $1 AND key = $2 AND (is_latest = 1 OR version_seq = {newest})"
    );
    sqlx::query(&sql).bind(bucket).bind(key).execute(conn).await?;
    Ok(())
}

/// What the index holds for a key before an event of its version `version_seq` is
/// applied, read in one statement.
struct KeyRows {
    counts: Counts,
    /// A null version newer than this one exists (removed or not): this one arrives
    /// superseded.
    newer_nulls: bool,
    /// Null versions older than this one are still live: they are removed.
    older_live_nulls: bool,
    /// The index has a row for this very version.
    known: bool,
}

async fn key_rows(conn: &mut AnyConnection, bucket: &str, key: &str, version_seq: i64) -> Result<KeyRows, IndexerError> {
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(CASE WHEN removed = 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS versions, \
         CAST(COALESCE(SUM(CASE WHEN removed = 0 THEN size ELSE 0 END), 0) AS BIGINT) AS version_bytes, \
         CAST(COALESCE(SUM(CASE WHEN removed = 0 AND is_latest = 1 AND is_delete_marker = 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS objects, \
         CAST(COALESCE(SUM(CASE WHEN removed = 0 AND is_latest = 1 AND is_delete_marker = 0 THEN size ELSE 0 END), 0) AS BIGINT) AS bytes, \
         CAST(COALESCE(SUM(CASE WHEN version_seq > $3 AND {NULL_LIKE} THEN 1 ELSE 0 END), 0) AS BIGINT) AS newer_nulls, \
         CAST(COALESCE(SUM(CASE WHEN version_seq < $3 AND removed = 0 AND {NULL_LIKE} THEN 1 ELSE 0 END), 0) AS BIGINT) AS older_live_nulls, \
         CAST(COALESCE(SUM(CASE WHEN version_seq = $3 THEN 1 ELSE 0 END), 0) AS BIGINT) AS known \
         FROM index_versions WHERE bucket = $1 AND key = $2"
    );
    let row = sqlx::query(&sql).bind(bucket).bind(key).bind(version_seq).fetch_one(conn).await?;
    Ok(KeyRows {
        counts: Counts {
            objects: row.try_get("objects")?,
            bytes: row.try_get("bytes")?,
            versions: row.try_get("versions")?,
            version_bytes: row.try_get("version_bytes")?,
        },
        newer_nulls: row.try_get::<i64, _>("newer_nulls")? > 0,
        older_live_nulls: row.try_get::<i64, _>("older_live_nulls")? > 0,
        known: row.try_get::<i64, _>("known")? > 0,
    })
}

/// What one key contributes to its bucket's statistics.
async fn key_counts(conn: &mut AnyConnection, bucket: &str, key: &str) -> Result<Counts, IndexerError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS versions, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS version_bytes, \
         CAST(COALESCE(SUM(CASE WHEN is_latest = 1 AND is_delete_marker = 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS objects, \
         CAST(COALESCE(SUM(CASE WHEN is_latest = 1 AND is_delete_marker = 0 THEN size ELSE 0 END), 0) AS BIGINT) AS bytes \
         FROM index_versions WHERE bucket = $1 AND key = $2 AND removed = 0",
    )
    .bind(bucket)
    .bind(key)
    .fetch_one(conn)
    .await?;
    Ok(Counts {
        objects: row.try_get("objects")?,
        bytes: row.try_get("bytes")?,
        versions: row.try_get("versions")?,
        version_bytes: row.try_get("version_bytes")?,
    })
}
