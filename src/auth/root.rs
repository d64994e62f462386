//! The root identity: its user row and its access key, from `DEPOT_ROOT_ACCESS_KEY` /
//! `DEPOT_ROOT_SECRET_KEY`, or generated on first start and kept in the data dir
//! (`root-credentials.json`, mode 0600). Also the random-credential helpers the
//! account API uses.

use std::path::Path;

use rand::distributions::{Alphanumeric, DistString};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::catalog::{now_ms, Catalog, CatalogError, User};
use crate::error::Error;
use crate::storage::once::{publish_once, Published};

const CREDENTIALS_FILE: &str = "root-credentials.json";
pub const ROOT_USERNAME: &str = "root";

#[derive(Clone, Serialize, Deserialize)]
pub struct RootCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for RootCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RootCredentials").field("access_key_id", &self.access_key_id).finish_non_exhaustive()
    }
}

/// Where the root credentials came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootSource {
    Environment,
    Stored,
    Generated,
}

/// A new access key id: 20 upper-case letters and digits, like AWS's.
pub fn new_access_key_id(prefix: &str) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::thread_rng();
    let tail: String = (0..20 - prefix.len()).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect();
    format!("{prefix}{tail}")
}

/// A new secret access key: 40 random alphanumerics.
pub fn new_secret() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 40)
}

/// A new user id: 32 hex digits.
pub fn new_user_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Hex SHA-256 of a session token, as stored.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether a presented session token matches the stored hash (constant time).
pub fn token_matches(token: &str, stored_hash: Option<&str>) -> bool {
    stored_hash.is_some_and(|h| {
        let given = hash_token(token);
        given.len() == h.len() && bool::from(given.as_bytes().ct_eq(h.as_bytes()))
    })
}

/// Makes sure the root user and its key exist; returns the credentials in force.
pub async fn ensure_root(catalog: &Catalog, data_dir: &Path, from_env: Option<RootCredentials>) -> Result<(RootCredentials, RootSource), Error> {
    let (creds, source) = match from_env {
        Some(c) => (c, RootSource::Environment),
        None => match read_stored(data_dir)? {
            Some(c) => (c, RootSource::Stored),
            None => {
                let c = RootCredentials { access_key_id: new_access_key_id("DPRT"), secret_access_key: new_secret() };
                if write_stored(data_dir, &c)? {
                    (c, RootSource::Generated)
                } else {
                    // Another process sharing the data dir generated them just now.
                    (read_stored(data_dir)?.ok_or_else(|| Error::Corrupt(format!("{CREDENTIALS_FILE} vanished")))?, RootSource::Stored)
                }
            }
        },
    };
    let root = match catalog.user_by_name(ROOT_USERNAME).await? {
        Some(u) => u,
        None => {
            let user =
                User { id: new_user_id(), username: ROOT_USERNAME.to_owned(), password_hash: None, is_root: true, disabled: false, created_at: now_ms() };
            let mut tx = catalog.begin().await?;
            match tx.create_user(&user).await {
                Ok(()) => tx.commit().await?,
                // Another process created it first.
                Err(CatalogError::Conflict) => {}
                Err(e) => return Err(e.into()),
            }
            catalog.user_by_name(ROOT_USERNAME).await?.ok_or_else(|| Error::Corrupt("the root user is missing from the catalog".into()))?
        }
    };
    let mut tx = catalog.begin().await?;
    tx.set_root_key(&root.id, &creds.access_key_id, &creds.secret_access_key, now_ms()).await?;
    tx.commit().await?;
    Ok((creds, source))
}

fn read_stored(data_dir: &Path) -> Result<Option<RootCredentials>, Error> {
    match std::fs::read(data_dir.join(CREDENTIALS_FILE)) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| Error::Json { what: format!("{CREDENTIALS_FILE} is unreadable"), source: e }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("cannot read {CREDENTIALS_FILE}"), e)),
    }
}

/// Writes the generated credentials unless another process did first; `true` when
/// these were written.
fn write_stored(data_dir: &Path, creds: &RootCredentials) -> Result<bool, Error> {
    let json = serde_json::to_vec_pretty(creds).map_err(|e| Error::Json { what: format!("cannot encode {CREDENTIALS_FILE}"), source: e })?;
    let published = publish_once(&data_dir.join(CREDENTIALS_FILE), &json, 0o600).map_err(|e| Error::io(format!("cannot write {CREDENTIALS_FILE}"), e))?;
    Ok(published == Published::Here)
}
