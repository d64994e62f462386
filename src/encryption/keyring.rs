//! The key ring: named 256-bit key-encryption keys that wrap objects' data keys, one
//! of them the default for SSE-S3 and for SSE-KMS without a key id. Read from
//! `--kms-keys FILE` when given, else from `kms-keys.json` in the data dir, which the
//! first start generates (one random key, mode 0600).
//!
//! The file is JSON: `{"default": "<id>", "keys": {"<id>": "<base64 of 32 bytes>", …}}`.
//! Rotation is adding a key and making it the default: objects keep the id of the key
//! that wrapped their data key, so old keys must stay in the ring to decrypt them.
//! Losing the ring loses every encrypted object. It never logs key material, and wipes
//! the keys (and the file's text it read them from) from memory when dropped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use super::EncryptionError;
use crate::storage::once::{publish_once, Published};

/// The generated key ring's file in the data dir.
pub const GENERATED_FILE: &str = "kms-keys.json";

#[derive(Serialize, Deserialize)]
struct RingFile {
    default: String,
    keys: BTreeMap<String, String>,
}

impl Drop for RingFile {
    fn drop(&mut self) {
        for key in self.keys.values_mut() {
            key.zeroize();
        }
    }
}

/// Key-encryption keys by id, wiped from memory when the ring is dropped.
pub struct KeyRing {
    keys: BTreeMap<String, [u8; 32]>,
    default: String,
}

impl Drop for KeyRing {
    fn drop(&mut self) {
        for key in self.keys.values_mut() {
            key.zeroize();
        }
    }
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing").field("ids", &self.keys.keys().collect::<Vec<_>>()).field("default", &self.default).finish()
    }
}

impl KeyRing {
    /// A ring of the given keys; `default` must be one of them.
    pub fn new(keys: BTreeMap<String, [u8; 32]>, default: &str) -> Result<KeyRing, EncryptionError> {
        if !keys.contains_key(default) {
            return Err(EncryptionError::KeyRing(format!("the default key {default:?} is not in the ring")));
        }
        Ok(KeyRing { keys, default: default.to_owned() })
    }

    /// Loads `file`, or the data dir's generated ring, creating it if absent.
    pub fn load(file: Option<&Path>, data_dir: &Path) -> Result<KeyRing, EncryptionError> {
        if let Some(path) = file {
            return Self::read(path);
        }
        let path = data_dir.join(GENERATED_FILE);
        if path.exists() {
            return Self::read(&path);
        }
        let id = uuid::Uuid::new_v4().to_string();
        let key = Zeroizing::new(rand::random::<[u8; 32]>());
        let ring = RingFile { default: id.clone(), keys: BTreeMap::from([(id.clone(), STANDARD.encode(*key))]) };
        let json = Zeroizing::new(serde_json::to_vec_pretty(&ring).map_err(|e| EncryptionError::KeyRing(e.to_string()))?);
        // Nodes sharing a data dir may start together: all end up with the first ring.
        match publish_once(&path, &json, 0o600).map_err(|source| EncryptionError::KeyRingIo { path: path.clone(), source })? {
            Published::Here => {
                tracing::info!(path = %path.display(), key_id = %id, "generated the key ring for server-side encryption; back it up: encrypted objects cannot be read without it");
                Self::new(BTreeMap::from([(id.clone(), *key)]), &id)
            }
            Published::Existing => Self::read(&path),
        }
    }

    fn read(path: &Path) -> Result<KeyRing, EncryptionError> {
        let invalid = |why: String| EncryptionError::KeyRing(format!("{}: {why}", path.display()));
        let text = Zeroizing::new(std::fs::read(path).map_err(|source| EncryptionError::KeyRingIo { path: PathBuf::from(path), source })?);
        // serde_json's messages quote the values they trip on, which may be keys: only
        // where, and what kind of fault.
        let mut file: RingFile = serde_json::from_slice(&text)
            .map_err(|e| invalid(format!("not a key ring document ({:?} at line {}, column {})", e.classify(), e.line(), e.column())))?;
        let mut keys = BTreeMap::new();
        for (id, b64) in std::mem::take(&mut file.keys) {
            let b64 = Zeroizing::new(b64);
            let bytes = Zeroizing::new(STANDARD.decode(b64.trim()).map_err(|_| invalid(format!("key {id:?} is not base64")))?);
            let key = <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| invalid(format!("key {id:?} is not 32 bytes")))?;
            keys.insert(id, key);
        }
        Self::new(keys, &file.default).map_err(|e| invalid(e.to_string()))
    }

    /// The default key's id.
    pub fn default_id(&self) -> &str {
        &self.default
    }

    /// The id a request names (`id`, `alias/id`, or a KMS key or alias ARN ending in
    /// `key/id` or `alias/id`), if the ring has it. `alias/aws/s3`, AWS's managed key for
    /// S3, is the default key.
    pub fn resolve(&self, requested: &str) -> Option<&str> {
        let id = match requested.rsplit_once(":key/").or_else(|| requested.rsplit_once(":alias/")) {
            Some((_, id)) => id,
            None => requested.strip_prefix("alias/").unwrap_or(requested),
        };
        if id == "aws/s3" {
            return Some(self.default.as_str());
        }
        self.keys.get_key_value(id).map(|(k, _)| k.as_str())
    }

    pub(super) fn key(&self, id: &str) -> Result<&[u8; 32], EncryptionError> {
        self.keys.get(id).ok_or_else(|| EncryptionError::MissingKey(id.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let a = KeyRing::load(None, dir.path()).unwrap();
        let b = KeyRing::load(None, dir.path()).unwrap();
        assert_eq!(a.default_id(), b.default_id());
        assert_eq!(a.key(a.default_id()).unwrap(), b.key(b.default_id()).unwrap());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(GENERATED_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(!format!("{a:?}").contains(&STANDARD.encode(a.key(a.default_id()).unwrap())));
    }

    #[test]
    fn resolves_ids_aliases_and_arns_and_refuses_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ring.json");
        let k = STANDARD.encode([1u8; 32]);
        std::fs::write(&path, format!(r#"{{"default":"new","keys":{{"old":"{k}","new":"{k}"}}}}"#)).unwrap();
        let ring = KeyRing::load(Some(&path), dir.path()).unwrap();
        assert_eq!(ring.default_id(), "new");
        assert_eq!(ring.resolve("old"), Some("old"));
        assert_eq!(ring.resolve("alias/old"), Some("old"));
        assert_eq!(ring.resolve("arn:aws:kms:us-east-1:123:key/old"), Some("old"));
        assert_eq!(ring.resolve("arn:aws:kms:us-east-1:123:alias/old"), Some("old"));
        assert_eq!(ring.resolve("alias/aws/s3"), Some("new"));
        // A malformed ring's error quotes no key.
        std::fs::write(&path, format!(r#"{{"default":"x","keys":"{k}"}}"#)).unwrap();
        assert!(!KeyRing::load(Some(&path), dir.path()).unwrap_err().to_string().contains(&k));
        assert_eq!(ring.resolve("nope"), None);
        std::fs::write(&path, r#"{"default":"x","keys":{"y":"AAAA"}}"#).unwrap();
        assert!(KeyRing::load(Some(&path), dir.path()).is_err());
        std::fs::write(&path, format!(r#"{{"default":"x","keys":{{"y":"{k}"}}}}"#)).unwrap();
        assert!(KeyRing::load(Some(&path), dir.path()).is_err());
        assert!(KeyRing::load(Some(&dir.path().join("absent")), dir.path()).is_err());
    }
}
