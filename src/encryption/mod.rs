//! Encryption at rest (SSE-S3, SSE-KMS, SSE-C): envelope encryption with a random
//! 256-bit data key per object (per multipart upload), which encrypts the object's parts
//! in authenticated chunks (`chunks`) and is kept only wrapped: by a key of the server's
//! key ring (`keyring`) for SSE-S3 and SSE-KMS, by the customer's own key for SSE-C. A
//! [`Sealed`] record (the mode, the wrapping key's id, the wrapped data key and, for
//! SSE-C, a salted HMAC that recognises the customer's key) goes into the catalog with
//! the version; neither a data key nor a customer key is ever stored in the clear,
//! logged, or put into an event. Data keys, customer keys and the ring's keys are wiped
//! from memory when dropped; the AES key schedules the cipher library expands from them
//! for the length of a request are left to that library.
//!
//! It knows nothing of requests, buckets or blobs: the object layer decides the setting
//! of a write and carries the bytes; block checksums (`storage`) cover what is stored,
//! the ciphertext. Layer 4 of `crate::LAYERS`: may import `config`, `catalog` and
//! `storage` (for the generated key ring's file).

pub mod chunks;
pub mod keyring;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

pub use keyring::KeyRing;

/// Failures of encryption and decryption.
#[derive(Debug, thiserror::Error)]
pub enum EncryptionError {
    #[error("key ring: {0}")]
    KeyRing(String),
    #[error("key ring {path}: {source}")]
    KeyRingIo {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A KMS key id a request named is not in the ring.
    #[error("no KMS key {0:?} in the key ring")]
    NoSuchKey(String),
    /// A stored object names a key the ring no longer has.
    #[error("the key ring has no key {0:?}, which encrypted this object")]
    MissingKey(String),
    /// An SSE-C object read without its key.
    #[error("the object is encrypted with a customer key, and none was given")]
    CustomerKeyRequired,
    /// A customer key given for an object that is not SSE-C.
    #[error("a customer key was given for an object not encrypted with one")]
    CustomerKeyNotApplicable,
    #[error("the customer key is not the object's")]
    WrongCustomerKey,
    /// The wrapped data key failed to unwrap under the right key: damage.
    #[error("the object's data key does not unwrap")]
    Unwrap,
    /// A chunk (or the header, `chunk` None) failed authentication, or the part is short.
    #[error("an encrypted part is damaged at chunk {chunk:?}")]
    Damaged { chunk: Option<u64> },
    #[error("a part is too large to encrypt")]
    TooLarge,
    /// The cipher refused a key or an input (it does not for the 256-bit keys and the
    /// chunk sizes used here).
    #[error("the cipher refused its input")]
    Cipher,
    #[error("the stored encryption record is unreadable: {0}")]
    Record(#[from] serde_json::Error),
}

/// An object's data key. Never printed; wiped from memory when dropped.
#[derive(Clone)]
pub struct DataKey(pub(crate) [u8; 32]);

impl Drop for DataKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

/// How a new object is encrypted: the request's headers, else the bucket's default.
#[derive(Clone, PartialEq, Eq)]
pub enum Setting {
    /// SSE-S3: the ring's default key.
    S3,
    /// SSE-KMS with a key of the ring (resolved), the encryption context (base64 JSON as
    /// sent) and the bucket-key flag (recorded and returned; every object has its own
    /// data key either way).
    Kms { key_id: String, context: Option<String>, bucket_key: bool },
    /// SSE-C with the customer's key (wiped when dropped).
    Customer { key: Zeroizing<[u8; 32]> },
}

impl std::fmt::Debug for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Setting::S3 => f.write_str("S3"),
            Setting::Kms { key_id, bucket_key, .. } => write!(f, "Kms({key_id}, bucket_key: {bucket_key})"),
            Setting::Customer { .. } => f.write_str("Customer(..)"),
        }
    }
}

/// The encryption mode as S3 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    #[serde(rename = "AES256")]
    S3,
    #[serde(rename = "aws:kms")]
    Kms,
    #[serde(rename = "SSE-C")]
    Customer,
}

/// What the catalog keeps of an encrypted object: enough to unwrap its data key with
/// the ring (or the customer's key), and what the response headers show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    pub mode: Mode,
    /// The ring key that wrapped the data key (SSE-S3, SSE-KMS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    #[serde(default)]
    pub bucket_key: bool,
    /// base64 of nonce, wrapped data key and tag.
    pub wrapped: String,
    /// SSE-C: base64 salt and HMAC-SHA256(salt, key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_salt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_hmac: Option<String>,
}

impl Sealed {
    pub fn to_json(&self) -> String {
        // A struct of strings and a bool always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(json: &str) -> Result<Sealed, EncryptionError> {
        Ok(serde_json::from_str(json)?)
    }

    /// Whether a new object with `setting` may share this one's bytes: the same mode and
    /// key (for SSE-C, the same customer key), so that nothing a reader needs changes.
    pub fn same_setting(&self, setting: &Setting) -> bool {
        match (self.mode, setting) {
            (Mode::S3, Setting::S3) => true,
            (Mode::Kms, Setting::Kms { key_id, context, .. }) => self.key_id.as_ref() == Some(key_id) && &self.context == context,
            (Mode::Customer, Setting::Customer { key }) => self.recognises(key),
            _ => false,
        }
    }

    fn recognises(&self, customer_key: &[u8; 32]) -> bool {
        let (Some(salt), Some(expected)) = (&self.customer_salt, &self.customer_hmac) else { return false };
        let (Ok(salt), Ok(expected)) = (STANDARD.decode(salt), STANDARD.decode(expected)) else { return false };
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&salt) else { return false };
        mac.update(customer_key);
        mac.verify_slice(&expected).is_ok()
    }
}

/// What binds a wrapped data key to its record: the mode and the encryption context.
fn wrap_aad(mode: Mode, context: Option<&str>) -> Vec<u8> {
    let mode = match mode {
        Mode::S3 => "AES256",
        Mode::Kms => "aws:kms",
        Mode::Customer => "SSE-C",
    };
    format!("depot-sse-v1|{mode}|{}", context.unwrap_or("")).into_bytes()
}

/// AES-256-GCM under a 256-bit key (AWS-LC's, which uses AES-NI, CLMUL and, where the
/// CPU has them, VAES with AVX2 or AVX-512).
fn cipher(key: &[u8; 32]) -> Result<LessSafeKey, EncryptionError> {
    UnboundKey::new(&AES_256_GCM, key).map(LessSafeKey::new).map_err(|_| EncryptionError::Cipher)
}

/// The wrapped form: a random 96-bit nonce, the sealed data key and its tag, in base64.
fn wrap(kek: &[u8; 32], data_key: &DataKey, aad: &[u8]) -> Result<String, EncryptionError> {
    let nonce: [u8; 12] = rand::random();
    // Holds the data key in the clear until sealed in place (or if sealing fails).
    let mut out = Zeroizing::new(Vec::with_capacity(nonce.len() + 32 + AES_256_GCM.tag_len()));
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&data_key.0);
    let tag =
        cipher(kek)?.seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut out[12..]).map_err(|_| EncryptionError::Cipher)?;
    out.extend_from_slice(tag.as_ref());
    Ok(STANDARD.encode(&*out))
}

fn unwrap_key(kek: &[u8; 32], wrapped: &str, aad: &[u8]) -> Result<DataKey, EncryptionError> {
    // Holds the data key in the clear once opened: wiped when dropped.
    let mut bytes = Zeroizing::new(STANDARD.decode(wrapped).map_err(|_| EncryptionError::Unwrap)?);
    if bytes.len() < 12 {
        return Err(EncryptionError::Unwrap);
    }
    let (nonce, sealed) = bytes.split_at_mut(12);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| EncryptionError::Unwrap)?;
    let plain = cipher(kek)?.open_in_place(nonce, Aad::from(aad), sealed).map_err(|_| EncryptionError::Unwrap)?;
    <[u8; 32]>::try_from(&*plain).map(DataKey).map_err(|_| EncryptionError::Unwrap)
}

/// The MD5 an encrypted object's (or part's) ETag shows: the plaintext's, except for
/// SSE-C, whose ETag is a digest of it keyed by the data key. AWS's SSE-C ETags are no
/// MD5 of the plaintext either; this way someone without the key (a lister, an event
/// consumer) cannot confirm a guessed plaintext by its ETag.
pub fn shown_md5(plain_md5: [u8; 16], data_key: &DataKey, sealed: &Sealed) -> [u8; 16] {
    if sealed.mode != Mode::Customer {
        return plain_md5;
    }
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&data_key.0) else { return plain_md5 };
    mac.update(b"depot-sse-etag-v1");
    mac.update(&plain_md5);
    let mut out = [0u8; 16];
    out.copy_from_slice(&mac.finalize().into_bytes()[..16]);
    out
}

impl KeyRing {
    /// A fresh data key for a new object, and its record.
    pub fn seal(&self, setting: &Setting) -> Result<(DataKey, Sealed), EncryptionError> {
        let data_key = DataKey(rand::random());
        let sealed = match setting {
            Setting::S3 => {
                let id = self.default_id().to_owned();
                let wrapped = wrap(self.key(&id)?, &data_key, &wrap_aad(Mode::S3, None))?;
                Sealed { mode: Mode::S3, key_id: Some(id), context: None, bucket_key: false, wrapped, customer_salt: None, customer_hmac: None }
            }
            Setting::Kms { key_id, context, bucket_key } => {
                let wrapped = wrap(self.key(key_id)?, &data_key, &wrap_aad(Mode::Kms, context.as_deref()))?;
                Sealed {
                    mode: Mode::Kms,
                    key_id: Some(key_id.clone()),
                    context: context.clone(),
                    bucket_key: *bucket_key,
                    wrapped,
                    customer_salt: None,
                    customer_hmac: None,
                }
            }
            Setting::Customer { key } => {
                let salt: [u8; 16] = rand::random();
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&salt).map_err(|_| EncryptionError::TooLarge)?;
                mac.update(&key[..]);
                let hmac = mac.finalize().into_bytes();
                let wrapped = wrap(key, &data_key, &wrap_aad(Mode::Customer, None))?;
                Sealed {
                    mode: Mode::Customer,
                    key_id: None,
                    context: None,
                    bucket_key: false,
                    wrapped,
                    customer_salt: Some(STANDARD.encode(salt)),
                    customer_hmac: Some(STANDARD.encode(hmac)),
                }
            }
        };
        Ok((data_key, sealed))
    }

    /// The data key of a stored object, given the customer's key for SSE-C (and only
    /// then, as S3 insists).
    pub fn open(&self, sealed: &Sealed, customer_key: Option<&[u8; 32]>) -> Result<DataKey, EncryptionError> {
        match (sealed.mode, customer_key) {
            (Mode::Customer, None) => Err(EncryptionError::CustomerKeyRequired),
            (Mode::Customer, Some(key)) => {
                if !sealed.recognises(key) {
                    return Err(EncryptionError::WrongCustomerKey);
                }
                unwrap_key(key, &sealed.wrapped, &wrap_aad(Mode::Customer, None))
            }
            (_, Some(_)) => Err(EncryptionError::CustomerKeyNotApplicable),
            (mode, None) => {
                let id = sealed.key_id.as_deref().ok_or(EncryptionError::Unwrap)?;
                unwrap_key(self.key(id)?, &sealed.wrapped, &wrap_aad(mode, sealed.context.as_deref()))
            }
        }
    }

    /// The ring key a request's KMS key id names, or the default.
    pub fn kms_key(&self, requested: Option<&str>) -> Result<String, EncryptionError> {
        match requested {
            None => Ok(self.default_id().to_owned()),
            Some(r) => self.resolve(r).map(str::to_owned).ok_or_else(|| EncryptionError::NoSuchKey(r.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn ring() -> KeyRing {
        KeyRing::new(BTreeMap::from([("a".to_owned(), [1u8; 32]), ("b".to_owned(), [2u8; 32])]), "a").unwrap()
    }

    /// A data key wrapped when encryption was first written still unwraps.
    #[test]
    fn wrapped_keys_of_the_first_format_unwrap() {
        let aad = wrap_aad(Mode::S3, None);
        let fresh = wrap(&[9u8; 32], &DataKey([3u8; 32]), &aad).unwrap();
        for wrapped in [fresh.as_str(), "iTZnScmJ6by9XHUxirDiE2loOIwayg59gIBzHkfz56vx3o9NfVdbQdYTLSDmy64bjtclf5kGP+mepzAo"] {
            assert_eq!(unwrap_key(&[9u8; 32], wrapped, &aad).unwrap().0, [3u8; 32]);
            assert!(unwrap_key(&[9u8; 32], wrapped, &wrap_aad(Mode::Kms, None)).is_err());
        }
    }

    #[test]
    fn data_keys_unwrap_only_as_sealed() {
        let ring = ring();
        let (key, sealed) = ring.seal(&Setting::S3).unwrap();
        assert_eq!(sealed.key_id.as_deref(), Some("a"));
        assert_eq!(ring.open(&sealed, None).unwrap().0, key.0);
        let back = Sealed::from_json(&sealed.to_json()).unwrap();
        assert_eq!(back, sealed);
        assert!(matches!(ring.open(&sealed, Some(&[9; 32])), Err(EncryptionError::CustomerKeyNotApplicable)));
        // A record altered to claim another mode or context no longer unwraps.
        let kms = Setting::Kms { key_id: "b".into(), context: Some("e30=".into()), bucket_key: true };
        let (key, sealed) = ring.seal(&kms).unwrap();
        assert_eq!(ring.open(&sealed, None).unwrap().0, key.0);
        let mut other = sealed.clone();
        other.context = None;
        assert!(matches!(ring.open(&other, None), Err(EncryptionError::Unwrap)));
        let mut gone = sealed.clone();
        gone.key_id = Some("c".into());
        assert!(matches!(ring.open(&gone, None), Err(EncryptionError::MissingKey(_))));
        assert!(matches!(ring.kms_key(Some("zz")), Err(EncryptionError::NoSuchKey(_))));
        assert_eq!(ring.kms_key(None).unwrap(), "a");
    }

    #[test]
    fn customer_keys_are_recognised_never_stored() {
        let ring = ring();
        let customer = [5u8; 32];
        let (key, sealed) = ring.seal(&Setting::Customer { key: customer.into() }).unwrap();
        let json = sealed.to_json();
        assert!(!json.contains(&STANDARD.encode(customer)));
        assert!(!format!("{:?}", Setting::Customer { key: customer.into() }).contains('5'));
        assert_eq!(ring.open(&sealed, Some(&customer)).unwrap().0, key.0);
        assert!(matches!(ring.open(&sealed, Some(&[6; 32])), Err(EncryptionError::WrongCustomerKey)));
        assert!(matches!(ring.open(&sealed, None), Err(EncryptionError::CustomerKeyRequired)));
        assert!(sealed.same_setting(&Setting::Customer { key: customer.into() }));
        let md5 = [3u8; 16];
        assert_ne!(shown_md5(md5, &key, &sealed), md5, "an SSE-C ETag is keyed");
        assert_eq!(shown_md5(md5, &key, &sealed), shown_md5(md5, &key, &sealed));
        let (s3_key, s3_sealed) = ring.seal(&Setting::S3).unwrap();
        assert_eq!(shown_md5(md5, &s3_key, &s3_sealed), md5, "other ETags are the plaintext's MD5");
        assert!(!sealed.same_setting(&Setting::Customer { key: [6; 32].into() }));
        assert!(!sealed.same_setting(&Setting::S3));
    }
}
