//! The transactional outbox: event rows written in the same transaction as the change
//! they describe. Publishing them is the relay's job (`events::relay`).

use super::{now_ms, CatalogResult, Tx};

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
        Ok(())
    }
}
