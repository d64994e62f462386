//! Accounts as a service: register, log in, resolve a login token to its user, issue,
//! list and revoke access keys, issue session (temporary) keys, and enable or disable
//! users.
//!
//! Used by the JSON API (`admin/`), STS (`sts.rs`) and the `depot admin` command. It
//! knows the catalog and the token keys, and nothing of HTTP or of the documents the
//! callers answer with.

use chrono::{DateTime, Utc};

use super::jwt::{JwtKeys, TokenError};
use super::password::{self, CredentialRuleError};
use super::root::{hash_token, new_access_key_id, new_secret, new_user_id};
use crate::catalog::{now_ms, AccessKey, Catalog, CatalogError, NewAccessKey, User};

/// The most active long-term keys one user may hold.
pub const MAX_KEYS_PER_USER: i64 = 100;
/// How long expired session keys are kept (for "expired" rather than "unknown" answers).
const EXPIRED_SESSION_RETENTION_MS: i64 = 24 * 3600 * 1000;

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Rule(#[from] CredentialRuleError),
    #[error("username is taken")]
    UsernameTaken,
    #[error("invalid username or password")]
    InvalidCredentials,
    #[error("the account is disabled")]
    UserDisabled,
    #[error("no such user: {0}")]
    NoSuchUser(String),
    #[error("no such access key: {0}")]
    NoSuchKey(String),
    #[error("a user may hold at most {MAX_KEYS_PER_USER} access keys; revoke one first")]
    TooManyKeys,
    #[error("the root user cannot be disabled")]
    RootImmutable,
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("catalog: {0}")]
    Catalog(#[from] CatalogError),
    #[error("password hashing: {0}")]
    Hash(#[from] password::HashError),
    #[error("signing a login token: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
    /// A failure of the S3 side (a signature check through the JSON API, say).
    #[error(transparent)]
    Server(#[from] Box<crate::error::Error>),
}

/// A new long-term key; the secret is shown this once.
#[derive(Debug, Clone)]
pub struct IssuedKey {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub created_at: i64,
}

/// New temporary credentials.
#[derive(Debug, Clone)]
pub struct SessionKey {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expires_at: DateTime<Utc>,
}

/// Creates an account after checking the username and password rules.
#[tracing::instrument(skip_all, fields(username = %username))]
pub async fn register(catalog: &Catalog, username: &str, password: &str) -> Result<User, AccountError> {
    password::check_username(username)?;
    password::check_password(password)?;
    let hash = password::hash_blocking(password.to_owned()).await?;
    let user = User { id: new_user_id(), username: username.to_owned(), password_hash: Some(hash), is_root: false, disabled: false, created_at: now_ms() };
    let mut tx = catalog.begin().await?;
    match tx.create_user(&user).await {
        Ok(()) => {}
        Err(CatalogError::Conflict) => return Err(AccountError::UsernameTaken),
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    tracing::info!(user_id = %user.id, "account registered");
    Ok(user)
}

/// Checks a password and issues a login token. Unknown users and wrong passwords get
/// the same answer, after the same work.
#[tracing::instrument(skip_all, fields(username = %username))]
pub async fn login(
    catalog: &Catalog,
    jwt: &JwtKeys,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>, User), AccountError> {
    let user = catalog.user_by_name(username).await?;
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let matches = password::verify_blocking(password.to_owned(), stored).await;
    let user = match user {
        Some(user) if matches => user,
        _ => return Err(AccountError::InvalidCredentials),
    };
    if user.disabled {
        return Err(AccountError::UserDisabled);
    }
    let (token, expires_at) = jwt.issue(&user.id, &user.username, now)?;
    Ok((token, expires_at, user))
}

/// The enabled user a login token names.
pub async fn user_from_token(catalog: &Catalog, jwt: &JwtKeys, token: &str) -> Result<User, AccountError> {
    let claims = jwt.verify(token)?;
    let user = catalog.user_by_id(&claims.sub).await?.ok_or(AccountError::Token(TokenError::Invalid))?;
    if user.disabled {
        return Err(AccountError::UserDisabled);
    }
    Ok(user)
}

/// Issues a long-term access key to `user`.
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn create_key(catalog: &Catalog, user: &User) -> Result<IssuedKey, AccountError> {
    let key = IssuedKey { access_key_id: new_access_key_id("DPAK"), secret_access_key: new_secret(), created_at: now_ms() };
    let mut tx = catalog.begin().await?;
    if tx.count_active_keys(&user.id).await? >= MAX_KEYS_PER_USER {
        return Err(AccountError::TooManyKeys);
    }
    tx.create_access_key(&NewAccessKey {
        access_key_id: &key.access_key_id,
        secret_key: &key.secret_access_key,
        user_id: &user.id,
        kind: "user",
        created_at: key.created_at,
        expires_at: None,
        session_token_hash: None,
    })
    .await?;
    tx.commit().await?;
    tracing::info!(access_key_id = %key.access_key_id, "access key created");
    Ok(key)
}

/// `user`'s active long-term keys (secrets included: callers must not show them).
pub async fn list_keys(catalog: &Catalog, user: &User) -> Result<Vec<AccessKey>, AccountError> {
    Ok(catalog.user_access_keys(&user.id).await?)
}

/// Revokes one of `user`'s keys; it stops working with the next request.
#[tracing::instrument(skip_all, fields(user_id = %user.id, access_key_id = %access_key_id))]
pub async fn revoke_key(catalog: &Catalog, user: &User, access_key_id: &str) -> Result<(), AccountError> {
    let mut tx = catalog.begin().await?;
    if !tx.revoke_access_key(&user.id, access_key_id, now_ms()).await? {
        return Err(AccountError::NoSuchKey(access_key_id.to_owned()));
    }
    tx.commit().await?;
    tracing::info!("access key revoked");
    Ok(())
}

/// Issues temporary credentials to `user`, valid for `duration_secs`. Session keys
/// that expired long ago are forgotten on the way.
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn issue_session(catalog: &Catalog, user: &User, duration_secs: u32, now: DateTime<Utc>) -> Result<SessionKey, AccountError> {
    let expires_at = now + chrono::Duration::seconds(i64::from(duration_secs));
    let session = SessionKey { access_key_id: new_access_key_id("ASIA"), secret_access_key: new_secret(), session_token: new_session_token(), expires_at };
    let token_hash = hash_token(&session.session_token);
    let mut tx = catalog.begin().await?;
    tx.delete_expired_sessions(now.timestamp_millis() - EXPIRED_SESSION_RETENTION_MS).await?;
    tx.create_access_key(&NewAccessKey {
        access_key_id: &session.access_key_id,
        secret_key: &session.secret_access_key,
        user_id: &user.id,
        kind: "session",
        created_at: now.timestamp_millis(),
        expires_at: Some(expires_at.timestamp_millis()),
        session_token_hash: Some(&token_hash),
    })
    .await?;
    tx.commit().await?;
    tracing::info!(access_key_id = %session.access_key_id, expires_at = %expires_at, "session credentials issued");
    Ok(session)
}

/// Enables or disables a user (root cannot be disabled). A disabled user's keys,
/// sessions and login tokens stop working with the next request.
#[tracing::instrument(skip(catalog))]
pub async fn set_disabled(catalog: &Catalog, username: &str, disabled: bool) -> Result<User, AccountError> {
    let user = catalog.user_by_name(username).await?.ok_or_else(|| AccountError::NoSuchUser(username.to_owned()))?;
    if user.is_root {
        return Err(AccountError::RootImmutable);
    }
    let mut tx = catalog.begin().await?;
    let user = tx.set_user_disabled(username, disabled).await?.ok_or_else(|| AccountError::NoSuchUser(username.to_owned()))?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, disabled, "user state changed");
    Ok(user)
}

/// A session token: 48 random bytes, base64 (URL-safe, unpadded).
fn new_session_token() -> String {
    use base64::Engine;
    let bytes: [u8; 48] = std::array::from_fn(|_| rand::random::<u8>());
    format!("DPST{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}
