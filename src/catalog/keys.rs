//! Users and access keys: the lookups authentication needs and the writes of the
//! account API.

use super::{AccessKey, Catalog, CatalogError, CatalogResult, Tx, User};

impl Catalog {
    /// An access key with its user's state, whatever the key's own state.
    pub async fn access_key(&self, access_key_id: &str) -> CatalogResult<Option<AccessKey>> {
        let row = sqlx::query(
            "SELECT k.access_key_id, k.secret_key, k.user_id, k.kind, k.created_at, k.revoked_at, k.expires_at, \
             k.session_token_hash, u.username, u.is_root, u.disabled \
             FROM access_keys k JOIN users u ON u.id = k.user_id WHERE k.access_key_id = $1",
        )
        .bind(access_key_id)
        .fetch_optional(self.reader())
        .await?;
        row.as_ref().map(AccessKey::from_row).transpose()
    }

    pub async fn user_by_id(&self, id: &str) -> CatalogResult<Option<User>> {
        let sql = format!("SELECT {} FROM users WHERE id = $1", User::COLUMNS);
        let row = sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?;
        row.as_ref().map(User::from_row).transpose()
    }

    pub async fn user_by_name(&self, username: &str) -> CatalogResult<Option<User>> {
        let sql = format!("SELECT {} FROM users WHERE username = $1", User::COLUMNS);
        let row = sqlx::query(&sql).bind(username).fetch_optional(self.reader()).await?;
        row.as_ref().map(User::from_row).transpose()
    }
}

impl Tx {
    /// Inserts a user; [`CatalogError::Conflict`] when the username is taken.
    pub async fn create_user(&mut self, user: &User) -> CatalogResult<()> {
        sqlx::query("INSERT INTO users (id, username, password_hash, is_root, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&user.id)
            .bind(&user.username)
            .bind(user.password_hash.clone())
            .bind(i64::from(user.is_root))
            .bind(i64::from(user.disabled))
            .bind(user.created_at)
            .execute(&mut *self.inner)
            .await
            .map_err(CatalogError::from_sqlx)?;
        Ok(())
    }

    /// Makes `access_key_id` the one valid root key: other root keys are revoked.
    pub async fn set_root_key(&mut self, user_id: &str, access_key_id: &str, secret_key: &str, now: i64) -> CatalogResult<()> {
        sqlx::query("UPDATE access_keys SET revoked_at = $1 WHERE kind = 'root' AND access_key_id <> $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(access_key_id)
            .execute(&mut *self.inner)
            .await?;
        sqlx::query(
            "INSERT INTO access_keys (access_key_id, secret_key, user_id, kind, created_at) VALUES ($1, $2, $3, 'root', $4) \
             ON CONFLICT (access_key_id) DO UPDATE SET secret_key = excluded.secret_key, user_id = excluded.user_id, \
             kind = 'root', revoked_at = NULL",
        )
        .bind(access_key_id)
        .bind(secret_key)
        .bind(user_id)
        .bind(now)
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }
}
