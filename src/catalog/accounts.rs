//! Account administration rows: listing users, enabling and disabling them, issuing,
//! listing and revoking access keys (long-term and session), and forgetting expired
//! session keys. The lookups authentication needs live in `keys.rs`.

use sqlx::Row;

use super::{AccessKey, Catalog, CatalogError, CatalogResult, Tx, User};

/// A new access key row.
#[derive(Debug, Clone)]
pub struct NewAccessKey<'a> {
    pub access_key_id: &'a str,
    pub secret_key: &'a str,
    pub user_id: &'a str,
    /// `user` or `session`.
    pub kind: &'a str,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub session_token_hash: Option<&'a str>,
}

const KEY_COLUMNS: &str = "k.access_key_id, k.secret_key, k.user_id, k.kind, k.created_at, k.revoked_at, k.expires_at, \
     k.session_token_hash, u.username, u.is_root, u.disabled";

impl Catalog {
    /// Every user, by username.
    pub async fn users(&self) -> CatalogResult<Vec<User>> {
        let sql = format!("SELECT {} FROM users ORDER BY username", User::COLUMNS);
        let rows = sqlx::query(&sql).fetch_all(self.reader()).await?;
        rows.iter().map(User::from_row).collect()
    }

    /// Active (not revoked) long-term keys per user id.
    pub async fn active_key_counts(&self) -> CatalogResult<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT user_id, COUNT(*) AS n FROM access_keys WHERE kind = 'user' AND revoked_at IS NULL GROUP BY user_id")
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| -> CatalogResult<(String, i64)> { Ok((r.try_get("user_id")?, r.try_get("n")?)) }).collect()
    }

    /// A user's active long-term keys, oldest first.
    pub async fn user_access_keys(&self, user_id: &str) -> CatalogResult<Vec<AccessKey>> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM access_keys k JOIN users u ON u.id = k.user_id \
             WHERE k.user_id = $1 AND k.kind = 'user' AND k.revoked_at IS NULL ORDER BY k.created_at, k.access_key_id"
        );
        let rows = sqlx::query(&sql).bind(user_id).fetch_all(self.reader()).await?;
        rows.iter().map(AccessKey::from_row).collect()
    }
}

impl Tx {
    /// Inserts an access key; [`CatalogError::Conflict`] if the id exists.
    pub async fn create_access_key(&mut self, key: &NewAccessKey<'_>) -> CatalogResult<()> {
        sqlx::query(
            "INSERT INTO access_keys (access_key_id, secret_key, user_id, kind, created_at, expires_at, session_token_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(key.access_key_id)
        .bind(key.secret_key)
        .bind(key.user_id)
        .bind(key.kind)
        .bind(key.created_at)
        .bind(key.expires_at)
        .bind(key.session_token_hash.map(str::to_owned))
        .execute(&mut *self.inner)
        .await
        .map_err(CatalogError::from_sqlx)?;
        Ok(())
    }

    /// Active long-term keys of a user, counted inside this transaction.
    pub async fn count_active_keys(&mut self, user_id: &str) -> CatalogResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM access_keys WHERE user_id = $1 AND kind = 'user' AND revoked_at IS NULL")
            .bind(user_id)
            .fetch_one(&mut *self.inner)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Revokes one of `user_id`'s own keys (long-term or session). False when the user
    /// has no such active key.
    pub async fn revoke_access_key(&mut self, user_id: &str, access_key_id: &str, now: i64) -> CatalogResult<bool> {
        let done = sqlx::query(
            "UPDATE access_keys SET revoked_at = $1 WHERE access_key_id = $2 AND user_id = $3 \
             AND kind IN ('user', 'session') AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(access_key_id)
        .bind(user_id)
        .execute(&mut *self.inner)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Sets a user's disabled flag; the user after the change, `None` if unknown.
    pub async fn set_user_disabled(&mut self, username: &str, disabled: bool) -> CatalogResult<Option<User>> {
        sqlx::query("UPDATE users SET disabled = $1 WHERE username = $2").bind(i64::from(disabled)).bind(username).execute(&mut *self.inner).await?;
        let sql = format!("SELECT {} FROM users WHERE username = $1", User::COLUMNS);
        let row = sqlx::query(&sql).bind(username).fetch_optional(&mut *self.inner).await?;
        row.as_ref().map(User::from_row).transpose()
    }

    /// Deletes session keys that expired before `before`.
    pub async fn delete_expired_sessions(&mut self, before: i64) -> CatalogResult<u64> {
        let done = sqlx::query("DELETE FROM access_keys WHERE kind = 'session' AND expires_at IS NOT NULL AND expires_at < $1")
            .bind(before)
            .execute(&mut *self.inner)
            .await?;
        Ok(done.rows_affected())
    }
}
