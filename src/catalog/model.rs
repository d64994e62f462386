//! Rows of the catalog as Rust values, and their decoding from `Any` rows.

use s3api::headers::ObjectMetadata;
use serde::Deserialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{CatalogError, CatalogResult};

/// The version id S3 gives objects written while versioning is off or suspended.
pub const NULL_VERSION: &str = "null";

/// A bucket's versioning state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versioning {
    /// Never enabled: GetBucketVersioning answers with no status.
    Unversioned,
    Enabled,
    Suspended,
}

impl Versioning {
    pub fn from_db(v: i64) -> Self {
        match v {
            1 => Versioning::Enabled,
            2 => Versioning::Suspended,
            _ => Versioning::Unversioned,
        }
    }

    pub fn to_db(self) -> i64 {
        match self {
            Versioning::Unversioned => 0,
            Versioning::Enabled => 1,
            Versioning::Suspended => 2,
        }
    }
}

/// A bucket row.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub id: i64,
    pub name: String,
    pub owner_id: String,
    pub region: String,
    pub created_at: i64,
    pub versioning: Versioning,
    /// JSON of the bucket's ACL (see `auth::acl`).
    pub acl: String,
    pub tags: Option<Vec<(String, String)>>,
    /// The bucket policy, the JSON document as its owner sent it.
    pub policy: Option<String>,
    /// The CORS rules, stored form (`s3api::bucket_config::CorsConfiguration`).
    pub cors: Option<String>,
    /// The public access block, stored form (`s3api::bucket_config::PublicAccessBlock`).
    pub public_access_block: Option<String>,
    /// The object ownership setting (`BucketOwnerEnforced`, …).
    pub object_ownership: Option<String>,
    /// The lifecycle rules, stored form (`s3api::lifecycle::LifecycleConfiguration`).
    pub lifecycle: Option<String>,
    /// The object lock configuration, stored form
    /// (`s3api::object_lock::ObjectLockConfiguration`); `None`: object lock is off.
    pub object_lock: Option<String>,
    /// Server access logging, stored form (`s3api::access_log::LoggingConfiguration`);
    /// `None`: off.
    pub logging: Option<String>,
    /// Default encryption, stored form (`s3api::sse::EncryptionConfig`); `None`: none.
    pub encryption: Option<String>,
}

impl Bucket {
    pub(super) const COLUMNS: &'static str =
        "id, name, owner_id, region, created_at, versioning, acl, tags, policy, cors, public_access_block, object_ownership, lifecycle, object_lock, logging, encryption";

    pub(super) fn from_row(row: &AnyRow) -> CatalogResult<Self> {
        Ok(Bucket {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            owner_id: row.try_get("owner_id")?,
            region: row.try_get("region")?,
            created_at: row.try_get("created_at")?,
            versioning: Versioning::from_db(row.try_get("versioning")?),
            acl: row.try_get("acl")?,
            tags: decode_tags(row.try_get("tags")?)?,
            policy: row.try_get("policy")?,
            cors: row.try_get("cors")?,
            public_access_block: row.try_get("public_access_block")?,
            object_ownership: row.try_get("object_ownership")?,
            lifecycle: row.try_get("lifecycle")?,
            object_lock: row.try_get("object_lock")?,
            logging: row.try_get("logging")?,
            encryption: row.try_get("encryption")?,
        })
    }
}

/// A stored checksum of an object or part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChecksum {
    /// `CRC32`, `CRC32C`, `CRC64NVME`, `SHA1` or `SHA256`.
    pub algorithm: String,
    /// `FULL_OBJECT` or `COMPOSITE`.
    pub kind: String,
    /// Base64, with `-N` for composite multipart checksums.
    pub value: String,
}

/// One version of an object, or a delete marker.
#[derive(Debug, Clone)]
pub struct ObjectVersion {
    pub id: i64,
    pub bucket_id: i64,
    pub key: String,
    pub version_id: String,
    pub is_latest: bool,
    pub is_delete_marker: bool,
    pub size: i64,
    /// Quoted, as S3 returns it.
    pub etag: String,
    pub last_modified: i64,
    pub owner_id: String,
    pub metadata: ObjectMetadata,
    pub storage_class: String,
    pub checksum: Option<StoredChecksum>,
    pub tags: Vec<(String, String)>,
    /// JSON of the object's ACL, when one was set.
    pub acl: Option<String>,
    /// Set for objects completed from a multipart upload.
    pub parts_count: Option<i64>,
    /// Object lock: retention and legal hold.
    pub lock: VersionLock,
    /// Encryption at rest (`encryption::Sealed`, JSON); `None`: stored in the clear.
    pub sse: Option<String>,
}

/// A version's object lock (or what an upload asked for): retention mode
/// (`GOVERNANCE`, `COMPLIANCE`) with its retain-until time, and the legal hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionLock {
    pub mode: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub until: Option<i64>,
    /// `None` while no legal hold was ever set on the version: S3 then answers no
    /// legal-hold header, and GetObjectLegalHold `NoSuchObjectLockConfiguration`.
    pub legal_hold: Option<bool>,
}

impl VersionLock {
    pub(super) fn from_row(row: &AnyRow) -> CatalogResult<Self> {
        Ok(Self::from_columns(row.try_get("lock_mode")?, row.try_get("lock_until")?, row.try_get("legal_hold")?))
    }

    fn from_columns(mode: Option<String>, until: Option<i64>, legal_hold: i64) -> Self {
        // Stored as 0 (never set), 1 (on) or 2 (off). Any other value counts as on: a
        // lock fails closed.
        let legal_hold = match legal_hold {
            0 => None,
            2 => Some(false),
            _ => Some(true),
        };
        VersionLock { mode, until, legal_hold }
    }

    /// The stored form of the legal hold (see [`VersionLock::from_row`]).
    pub(super) fn legal_hold_column(&self) -> i64 {
        match self.legal_hold {
            None => 0,
            Some(true) => 1,
            Some(false) => 2,
        }
    }

    /// Whether a legal hold is on.
    pub fn held(&self) -> bool {
        self.legal_hold == Some(true)
    }
}

/// A version's row as stored, in [`ObjectVersion::COLUMNS`]' order: read from a row by
/// name, or from the JSON array a listing's statement returns per row (serde reads a
/// struct from an array by field order).
#[derive(Debug, Deserialize)]
pub(super) struct VersionColumns {
    id: i64,
    bucket_id: i64,
    key: String,
    version_id: String,
    is_latest: i64,
    is_delete_marker: i64,
    size: i64,
    etag: String,
    last_modified: i64,
    owner_id: String,
    metadata: String,
    storage_class: String,
    checksum_algorithm: Option<String>,
    checksum_type: Option<String>,
    checksum_value: Option<String>,
    tags: Option<String>,
    acl: Option<String>,
    parts_count: Option<i64>,
    lock_mode: Option<String>,
    lock_until: Option<i64>,
    legal_hold: i64,
    sse: Option<String>,
}

impl VersionColumns {
    fn from_row(row: &AnyRow) -> CatalogResult<Self> {
        Ok(VersionColumns {
            id: row.try_get("id")?,
            bucket_id: row.try_get("bucket_id")?,
            key: row.try_get("key")?,
            version_id: row.try_get("version_id")?,
            is_latest: row.try_get("is_latest")?,
            is_delete_marker: row.try_get("is_delete_marker")?,
            size: row.try_get("size")?,
            etag: row.try_get("etag")?,
            last_modified: row.try_get("last_modified")?,
            owner_id: row.try_get("owner_id")?,
            metadata: row.try_get("metadata")?,
            storage_class: row.try_get("storage_class")?,
            checksum_algorithm: row.try_get("checksum_algorithm")?,
            checksum_type: row.try_get("checksum_type")?,
            checksum_value: row.try_get("checksum_value")?,
            tags: row.try_get("tags")?,
            acl: row.try_get("acl")?,
            parts_count: row.try_get("parts_count")?,
            lock_mode: row.try_get("lock_mode")?,
            lock_until: row.try_get("lock_until")?,
            legal_hold: row.try_get("legal_hold")?,
            sse: row.try_get("sse")?,
        })
    }
}

impl TryFrom<VersionColumns> for ObjectVersion {
    type Error = CatalogError;

    fn try_from(c: VersionColumns) -> CatalogResult<Self> {
        let checksum = match (c.checksum_algorithm, c.checksum_type, c.checksum_value) {
            (Some(algorithm), Some(kind), Some(value)) => Some(StoredChecksum { algorithm, kind, value }),
            _ => None,
        };
        Ok(ObjectVersion {
            id: c.id,
            bucket_id: c.bucket_id,
            key: c.key,
            version_id: c.version_id,
            is_latest: c.is_latest != 0,
            is_delete_marker: c.is_delete_marker != 0,
            size: c.size,
            etag: c.etag,
            last_modified: c.last_modified,
            owner_id: c.owner_id,
            metadata: serde_json::from_str(&c.metadata).map_err(|e| CatalogError::Corrupt(format!("object metadata: {e}")))?,
            storage_class: c.storage_class,
            checksum,
            tags: decode_tags(c.tags)?.unwrap_or_default(),
            acl: c.acl,
            parts_count: c.parts_count,
            lock: VersionLock::from_columns(c.lock_mode, c.lock_until, c.legal_hold),
            sse: c.sse,
        })
    }
}

impl ObjectVersion {
    /// The columns of [`VersionColumns`], in its order.
    pub(super) const COLUMNS: &'static str = "id, bucket_id, key, version_id, is_latest, is_delete_marker, size, etag, \
        last_modified, owner_id, metadata, storage_class, checksum_algorithm, checksum_type, checksum_value, tags, acl, parts_count, lock_mode, lock_until, legal_hold, sse";

    pub(super) fn from_row(row: &AnyRow) -> CatalogResult<Self> {
        VersionColumns::from_row(row)?.try_into()
    }

    /// The version id to show clients: none for the null version of a bucket that was
    /// never versioned.
    pub fn shown_version_id(&self, versioning: Versioning) -> Option<&str> {
        match versioning {
            Versioning::Unversioned => None,
            _ => Some(&self.version_id),
        }
    }
}

/// The data of one part of a version (or the whole of a single-part object).
#[derive(Debug, Clone)]
pub struct Part {
    pub part_number: i64,
    pub blob_id: Option<String>,
    pub data: Option<Vec<u8>>,
    pub size: i64,
    /// Unquoted hex MD5 of the part.
    pub etag: String,
    pub checksum: Option<String>,
    /// The blob's stored length when it differs from `size` (an encrypted part).
    pub blob_size: Option<i64>,
}

impl Part {
    pub(super) fn from_row(row: &AnyRow) -> CatalogResult<Self> {
        Ok(Part {
            part_number: row.try_get("part_number")?,
            blob_id: row.try_get("blob_id")?,
            data: row.try_get("data")?,
            size: row.try_get("size")?,
            etag: row.try_get("etag")?,
            checksum: row.try_get("checksum")?,
            blob_size: row.try_get("blob_size")?,
        })
    }
}

/// A user account.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub username: String,
    pub password_hash: Option<String>,
    pub is_root: bool,
    pub disabled: bool,
    pub created_at: i64,
}

impl User {
    pub(super) const COLUMNS: &'static str = "id, username, password_hash, is_root, disabled, created_at";

    pub(super) fn from_row(row: &AnyRow) -> CatalogResult<Self> {
        Ok(User {
            id: row.try_get("id")?,
            username: row.try_get("username")?,
            password_hash: row.try_get("password_hash")?,
            is_root: row.try_get::<i64, _>("is_root")? != 0,
            disabled: row.try_get::<i64, _>("disabled")? != 0,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// An access key with the state of its user.
#[derive(Debug, Clone)]
pub struct AccessKey {
    pub access_key_id: String,
    pub secret_key: String,
    pub user_id: String,
    /// `root`, `user` or `session`.
    pub kind: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub session_token_hash: Option<String>,
    pub username: String,
    pub user_is_root: bool,
    pub user_disabled: bool,
}

impl AccessKey {
    pub(super) fn from_row(row: &AnyRow) -> CatalogResult<Self> {
        Ok(AccessKey {
            access_key_id: row.try_get("access_key_id")?,
            secret_key: row.try_get("secret_key")?,
            user_id: row.try_get("user_id")?,
            kind: row.try_get("kind")?,
            created_at: row.try_get("created_at")?,
            revoked_at: row.try_get("revoked_at")?,
            expires_at: row.try_get("expires_at")?,
            session_token_hash: row.try_get("session_token_hash")?,
            username: row.try_get("username")?,
            user_is_root: row.try_get::<i64, _>("is_root")? != 0,
            user_disabled: row.try_get::<i64, _>("disabled")? != 0,
        })
    }
}

pub(super) fn encode_tags(tags: &[(String, String)]) -> Option<String> {
    (!tags.is_empty()).then(|| serde_json::to_string(tags).unwrap_or_default())
}

pub(super) fn decode_tags(raw: Option<String>) -> CatalogResult<Option<Vec<(String, String)>>> {
    raw.map(|t| serde_json::from_str(&t).map_err(|e| CatalogError::Corrupt(format!("tags: {e}")))).transpose()
}
