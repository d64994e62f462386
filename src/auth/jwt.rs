//! Login tokens: HS256 JWTs with an expiry, issued at login and accepted as
//! `Authorization: Bearer` on the JSON API and as the web identity token of STS.
//!
//! Owns the signing secret (`DEPOT_JWT_SECRET`, or generated on first start and kept in
//! the data dir as `jwt-secret`, mode 0600), the claims, and verification: only HS256
//! with this secret, an expiry that has not passed, and Depot as issuer. Whether the
//! token's user still exists and is enabled is the caller's check, on every use.

use std::path::Path;

use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::Secret;
use crate::error::Error;
use crate::storage::once::{publish_once, Published};

/// The `iss` of every token Depot issues.
pub const ISSUER: &str = "depot";
const SECRET_FILE: &str = "jwt-secret";
/// The shortest configured secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;
/// The longest token lifetime accepted from configuration (a year).
const MAX_TTL_SECS: u64 = 365 * 24 * 3600;
/// Clock leeway when checking `exp`, in seconds.
const LEEWAY_SECS: u64 = 5;

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The username when the token was issued.
    pub name: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    /// A unique token id.
    pub jti: String,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid")]
    Invalid,
}

/// The signing secret and the rules tokens are checked by.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: u64,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys").field("ttl_secs", &self.ttl_secs).finish_non_exhaustive()
    }
}

impl JwtKeys {
    /// Keys for `secret`, issuing tokens valid for `ttl_secs`.
    pub fn new(secret: &[u8], ttl_secs: u64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = LEEWAY_SECS;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_secs: ttl_secs.clamp(1, MAX_TTL_SECS),
        }
    }

    /// The configured secret, or the one kept in the data dir (created on first start).
    pub fn load_or_create(data_dir: &Path, configured: Option<&Secret>, ttl_secs: u64) -> Result<JwtKeys, Error> {
        let secret = match configured {
            Some(s) if s.expose().len() < MIN_SECRET_BYTES => {
                return Err(Error::Config(format!("DEPOT_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long")))
            }
            Some(s) => s.expose().as_bytes().to_vec(),
            None => stored_secret(data_dir)?,
        };
        Ok(JwtKeys::new(&secret, ttl_secs))
    }

    /// How long issued tokens are valid, in seconds.
    pub fn ttl_secs(&self) -> u64 {
        self.ttl_secs
    }

    /// A token for `user_id` / `username`, and when it expires.
    pub fn issue(&self, user_id: &str, username: &str, now: DateTime<Utc>) -> Result<(String, DateTime<Utc>), jsonwebtoken::errors::Error> {
        let expires_at = now + chrono::Duration::seconds(i64::try_from(self.ttl_secs).unwrap_or(3600));
        let claims = Claims {
            sub: user_id.to_owned(),
            name: username.to_owned(),
            iss: ISSUER.to_owned(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            jti: uuid::Uuid::new_v4().simple().to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, expires_at))
    }

    /// Verifies signature, algorithm, issuer and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        match jsonwebtoken::decode::<Claims>(token.trim(), &self.decoding, &self.validation) {
            Ok(data) => Ok(data.claims),
            Err(e) if matches!(e.kind(), ErrorKind::ExpiredSignature) => Err(TokenError::Expired),
            Err(e) => {
                tracing::debug!(error = %e, "token refused");
                Err(TokenError::Invalid)
            }
        }
    }
}

/// Reads `<data_dir>/jwt-secret`, creating it (64 random bytes, hex, mode 0600) if absent.
fn stored_secret(data_dir: &Path) -> Result<Vec<u8>, Error> {
    let path = data_dir.join(SECRET_FILE);
    let read = |path: &Path| -> Result<Vec<u8>, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(format!("cannot read {SECRET_FILE}"), e))?;
        let secret = hex::decode(text.trim()).map_err(|_| Error::Corrupt(format!("{SECRET_FILE} is not hex")))?;
        if secret.len() < MIN_SECRET_BYTES {
            return Err(Error::Corrupt(format!("{SECRET_FILE} is shorter than {MIN_SECRET_BYTES} bytes")));
        }
        Ok(secret)
    };
    if path.exists() {
        return read(&path);
    }
    let secret: [u8; 64] = std::array::from_fn(|_| rand::random::<u8>());
    // Nodes sharing a data dir may start together: every one ends up with the first
    // secret published.
    match publish_once(&path, hex::encode(secret).as_bytes(), 0o600).map_err(|e| Error::io(format!("cannot write {SECRET_FILE}"), e))? {
        Published::Here => Ok(secret.to_vec()),
        Published::Existing => read(&path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    #[test]
    fn issued_tokens_verify_and_others_do_not() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef", 60);
        let (token, _) = keys.issue("u1", "alice", Utc::now()).unwrap();
        assert_eq!(keys.verify(&token).unwrap().sub, "u1");
        let other = JwtKeys::new(b"another secret of thirty-two bytes!", 60);
        assert_eq!(other.verify(&token), Err(TokenError::Invalid));
        assert_eq!(keys.verify("garbage"), Err(TokenError::Invalid));
        // A payload swapped under the old signature.
        let parts: Vec<&str> = token.split('.').collect();
        let forged_payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"u2","name":"mallory","iss":"depot","iat":0,"exp":99999999999,"jti":"x"}"#);
        assert_eq!(keys.verify(&format!("{}.{}.{}", parts[0], forged_payload, parts[2])), Err(TokenError::Invalid));
        // alg: none, unsigned.
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert_eq!(keys.verify(&format!("{none_header}.{forged_payload}.")), Err(TokenError::Invalid));
        // Expired.
        let (old, _) = keys.issue("u1", "alice", Utc::now() - chrono::Duration::hours(2)).unwrap();
        assert_eq!(keys.verify(&old), Err(TokenError::Expired));
    }

    #[test]
    fn the_secret_is_kept_in_the_data_dir() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let first = stored_secret(dir.path()).unwrap();
        assert_eq!(stored_secret(dir.path()).unwrap(), first);
        let mode = std::fs::metadata(dir.path().join(SECRET_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(JwtKeys::load_or_create(dir.path(), Some(&Secret::new("short")), 60).is_err());
    }
}
