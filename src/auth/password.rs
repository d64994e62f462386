//! Passwords and usernames: the rules a new account must meet, and argon2id hashing
//! and verification.
//!
//! Hashing is deliberately slow, so both functions here are blocking: callers run them
//! on the blocking pool ([`hash_blocking`], [`verify_blocking`]). Nothing here touches
//! the catalog; a password never leaves this module except as a PHC hash string.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Password length bounds, in characters. The upper bound keeps hashing cost bounded.
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Username length bounds.
pub const MIN_USERNAME_CHARS: usize = 3;
pub const MAX_USERNAME_CHARS: usize = 32;
/// Names no account may take: the root identity and the name anonymous requests record.
const RESERVED_USERNAMES: &[&str] = &["root", "anonymous", "admin", "administrator", "depot", "system"];

/// Why an account request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialRuleError {
    #[error("username must be {MIN_USERNAME_CHARS} to {MAX_USERNAME_CHARS} characters long")]
    UsernameLength,
    #[error("username may contain only lower-case letters a-z, digits, '.', '_' and '-', and must start with a letter or digit")]
    UsernameCharacters,
    #[error("username '{0}' is reserved")]
    UsernameReserved(String),
    #[error("password must be at least {MIN_PASSWORD_CHARS} characters long")]
    PasswordTooShort,
    #[error("password must be at most {MAX_PASSWORD_BYTES} bytes long")]
    PasswordTooLong,
}

/// Checks a new username: 3–32 of `a-z 0-9 . _ -`, starting with a letter or digit,
/// not reserved.
pub fn check_username(username: &str) -> Result<(), CredentialRuleError> {
    let len = username.chars().count();
    if !(MIN_USERNAME_CHARS..=MAX_USERNAME_CHARS).contains(&len) {
        return Err(CredentialRuleError::UsernameLength);
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-');
    let starts_well = username.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !starts_well || !username.chars().all(allowed) {
        return Err(CredentialRuleError::UsernameCharacters);
    }
    if RESERVED_USERNAMES.contains(&username) {
        return Err(CredentialRuleError::UsernameReserved(username.to_owned()));
    }
    Ok(())
}

/// Checks a new password's length.
pub fn check_password(password: &str) -> Result<(), CredentialRuleError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(CredentialRuleError::PasswordTooShort);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(CredentialRuleError::PasswordTooLong);
    }
    Ok(())
}

/// Hashing a password failed (never for a valid password: a bug or a dead thread pool).
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("argon2: {0}")]
    Argon2(argon2::password_hash::Error),
    #[error("the hashing task stopped: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// An argon2id PHC string (`$argon2id$v=19$m=…`) of `password` with a random salt.
pub fn hash(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(HashError::Argon2)
}

/// Whether `password` matches a stored PHC string. A hash that does not parse matches
/// nothing.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// [`hash`] on the blocking pool.
pub async fn hash_blocking(password: String) -> Result<String, HashError> {
    tokio::task::spawn_blocking(move || hash(&password)).await?
}

/// [`verify`] on the blocking pool. With no stored hash (unknown user, root) a dummy
/// hash is verified instead, so that the answer takes as long either way.
pub async fn verify_blocking(password: String, stored: Option<String>) -> bool {
    let result = tokio::task::spawn_blocking(move || match stored {
        Some(stored) => verify(&password, &stored),
        None => {
            let _ = verify(&password, dummy_hash());
            false
        }
    })
    .await;
    result.unwrap_or(false)
}

/// A valid hash of a random password, made once.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash(&super::root::new_secret()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_rules() {
        for ok in ["alice", "bob-2", "a.b_c", "123"] {
            assert_eq!(check_username(ok), Ok(()), "{ok}");
        }
        assert_eq!(check_username("al"), Err(CredentialRuleError::UsernameLength));
        assert_eq!(check_username(&"a".repeat(33)), Err(CredentialRuleError::UsernameLength));
        for bad in ["Alice", "-bob", "bob smith", "bob/x", "bøb", "_x_"] {
            assert_eq!(check_username(bad), Err(CredentialRuleError::UsernameCharacters), "{bad}");
        }
        assert!(matches!(check_username("root"), Err(CredentialRuleError::UsernameReserved(_))));
    }

    #[test]
    fn password_rules_and_hashing() {
        assert_eq!(check_password("short"), Err(CredentialRuleError::PasswordTooShort));
        assert_eq!(check_password(&"x".repeat(2000)), Err(CredentialRuleError::PasswordTooLong));
        assert_eq!(check_password("long enough"), Ok(()));
        let h = hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse", &h));
        assert!(!verify("wrong horse", &h));
        assert!(!verify("correct horse", "not a hash"));
    }
}
