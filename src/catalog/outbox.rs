//! The transactional outbox: event rows written in the same transaction as the change
//! they describe, then claimed, marked sent and marked indexed by the event flow, and
//! pruned once both are done. Publishing them is the relay's job (`events::relay`); this
//! file only reads and writes rows.

use sqlx::Row;

use super::{now_ms, Catalog, CatalogResult, Tx};

/// One outbox row, as the relay reads it.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    /// The outbox position: the event's sequencer.
    pub id: i64,
    pub event_id: String,
    pub payload: String,
}

impl OutboxRow {
    fn from_row(row: &sqlx::any::AnyRow) -> CatalogResult<Self> {
        Ok(OutboxRow { id: row.try_get("id")?, event_id: row.try_get("event_id")?, payload: row.try_get("payload")? })
    }
}

/// How far the event flow is behind the catalog.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxLag {
    /// Events not yet published (handed to Kafka or to the in-process indexer).
    pub unsent: i64,
    /// Events not yet applied to the index.
    pub unindexed: i64,
    /// When the oldest unindexed event was written (Unix ms).
    pub oldest_unindexed_ms: Option<i64>,
}

/// Rows published before `$1` and still not indexed, in position order (the indexer's
/// catch-up; served by the `outbox_unindexed` partial index).
fn stale_sql(suffix: &str) -> String {
    format!("SELECT id, event_id, payload FROM outbox WHERE indexed_at IS NULL AND sent_at IS NOT NULL AND sent_at < $1 ORDER BY id LIMIT $2{suffix}")
}

/// The pending rows in position order: one query for both engines (the suffix locks
/// the claimed rows on PostgreSQL so that concurrent relays skip them).
fn pending_sql(suffix: &str) -> String {
    format!("SELECT id, event_id, payload FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1{suffix}")
}

impl Tx {
    /// Appends an event to the outbox.
    pub async fn append_event(&mut self, event_id: &str, bucket: &str, key: Option<&str>, payload: &str) -> CatalogResult<()> {
        sqlx::query("INSERT INTO outbox (event_id, bucket, key, payload, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(event_id)
            .bind(bucket)
            .bind(key)
            .bind(payload)
            .bind(now_ms())
            .execute(&mut *self.inner)
            .await?;
        self.appended_events = true;
        Ok(())
    }

    /// Claims up to `limit` unsent rows in position order until this transaction ends:
    /// on PostgreSQL they are locked and other relays skip them.
    pub async fn claim_events(&mut self, limit: i64) -> CatalogResult<Vec<OutboxRow>> {
        let rows = sqlx::query(&pending_sql(self.dialect.skip_locked())).bind(limit).fetch_all(&mut *self.inner).await?;
        rows.iter().map(OutboxRow::from_row).collect()
    }

    /// Claims up to `limit` rows published before `sent_before_ms` and still not
    /// indexed, until this transaction ends (skipped by other claimers on PostgreSQL).
    pub async fn claim_stale_events(&mut self, sent_before_ms: i64, limit: i64) -> CatalogResult<Vec<OutboxRow>> {
        let rows = sqlx::query(&stale_sql(self.dialect.skip_locked())).bind(sent_before_ms).bind(limit).fetch_all(&mut *self.inner).await?;
        rows.iter().map(OutboxRow::from_row).collect()
    }

    /// Marks rows as published.
    pub async fn mark_sent(&mut self, ids: &[i64]) -> CatalogResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let placeholders: Vec<String> = (2..ids.len() + 2).map(|i| format!("${i}")).collect();
        let sql = format!("UPDATE outbox SET sent_at = $1 WHERE id IN ({})", placeholders.join(", "));
        let mut query = sqlx::query(&sql).bind(now_ms());
        for id in ids {
            query = query.bind(*id);
        }
        query.execute(&mut *self.inner).await?;
        Ok(())
    }

    /// Marks events as applied to the index (a no-op for events no longer, or never,
    /// in this outbox).
    pub async fn mark_indexed(&mut self, event_ids: &[impl AsRef<str>]) -> CatalogResult<()> {
        // Well under every engine's limit of bound values per statement.
        for ids in event_ids.chunks(1000) {
            let placeholders: Vec<String> = (2..ids.len() + 2).map(|i| format!("${i}")).collect();
            let sql = format!("UPDATE outbox SET indexed_at = $1 WHERE indexed_at IS NULL AND event_id IN ({})", placeholders.join(", "));
            let mut query = sqlx::query(&sql).bind(now_ms());
            for id in ids {
                query = query.bind(id.as_ref());
            }
            query.execute(&mut *self.inner).await?;
        }
        Ok(())
    }
}

impl Catalog {
    /// Up to `limit` unsent rows in position order, read without claiming them (for the
    /// SQLite relay, which must not hold the single writer while it waits on Kafka).
    pub async fn pending_events(&self, limit: i64) -> CatalogResult<Vec<OutboxRow>> {
        let rows = sqlx::query(&pending_sql("")).bind(limit).fetch_all(self.reader()).await?;
        rows.iter().map(OutboxRow::from_row).collect()
    }

    /// Whether any row was published before `sent_before_ms` and is still not indexed
    /// (read without claiming, so that an idle check never takes the writer).
    pub async fn has_stale_events(&self, sent_before_ms: i64) -> CatalogResult<bool> {
        let rows = sqlx::query(&stale_sql("")).bind(sent_before_ms).bind(1i64).fetch_all(self.reader()).await?;
        Ok(!rows.is_empty())
    }

    /// The outbox backlog and the indexer's lag behind it.
    pub async fn outbox_lag(&self) -> CatalogResult<OutboxLag> {
        let unsent: i64 = sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL").fetch_one(self.reader()).await?.try_get("n")?;
        let row = sqlx::query("SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE indexed_at IS NULL").fetch_one(self.reader()).await?;
        Ok(OutboxLag { unsent, unindexed: row.try_get("n")?, oldest_unindexed_ms: row.try_get("oldest")? })
    }

    /// Deletes up to `limit` rows that were sent and indexed before `cutoff_ms`.
    pub async fn prune_outbox(&self, cutoff_ms: i64, limit: i64) -> CatalogResult<u64> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NOT NULL AND sent_at < $1 \
             AND indexed_at IS NOT NULL ORDER BY id LIMIT $2)",
        )
        .bind(cutoff_ms)
        .bind(limit)
        .execute(&mut *tx.inner)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(done)
    }
}
