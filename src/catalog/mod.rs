//! The catalog: the single source of truth for users, keys, buckets, object versions,
//! multipart uploads, the blob GC queue and the event outbox.
//!
//! One implementation serves SQLite and PostgreSQL through sqlx's `Any` driver: the SQL
//! is written once, in the common dialect (`$1` placeholders, `ON CONFLICT`, `RETURNING`),
//! and the few places where the engines differ are methods on [`Dialect`]. Every change
//! and the outbox event describing it are written in one [`Tx`]. This module knows
//! nothing of HTTP, XML or files.
//!
//! SQLite gets one writer connection (SQLite serialises writers anyway, and a single
//! connection never meets `SQLITE_BUSY`) beside a pool of readers in WAL mode, and group
//! commit (`durability.rs`): commits are made durable by a shared fsync of the WAL.

mod accounts;
mod blobs;
mod buckets;
mod durability;
mod keys;
mod listing;
mod model;
mod objects;
mod outbox;
mod paging;
mod scan;
mod uploads;
mod usage;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, Executor, Transaction};
use tokio::sync::Notify;

pub use accounts::NewAccessKey;
pub use listing::{older_versions_query, page_query, successor, versions_query, ListedObject, ObjectListing, VersionListing};
pub use model::*;
pub use objects::{NewVersion, PartData, VersionWrite};
pub use outbox::{OutboxLag, OutboxRow};
pub use uploads::{Upload, UploadListing, UploadPart};

/// Failures of the catalog.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("a row with the same unique key exists")]
    Conflict,
    #[error("corrupt catalog row: {0}")]
    Corrupt(String),
    #[error("unsupported database url: {0}")]
    UnsupportedUrl(String),
    #[error("the commit may not be durable: {0}")]
    Durability(String),
}

impl CatalogError {
    /// Whether the same request may succeed later unchanged: the database was busy,
    /// unreachable or out of resources, or a commit's durability could not be
    /// confirmed. Everything else (a corrupt row, a constraint the code should have
    /// prevented, a bad statement) is a bug or damage, not a reason to retry.
    pub fn is_transient(&self) -> bool {
        match self {
            CatalogError::Durability(_) => true,
            CatalogError::Database(e) => match e {
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => true,
                sqlx::Error::Database(db) => db.code().is_some_and(|code| transient_code(&code)),
                _ => false,
            },
            CatalogError::Migrate(_) | CatalogError::Conflict | CatalogError::Corrupt(_) | CatalogError::UnsupportedUrl(_) => false,
        }
    }

    /// Maps unique-constraint violations to [`CatalogError::Conflict`].
    fn from_sqlx(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => CatalogError::Conflict,
            _ => CatalogError::Database(e),
        }
    }
}

/// SQLite's busy, locked, I/O, full and cannot-open codes (primary and extended), and
/// PostgreSQL's serialization failure, deadlock, connection, resource and shutdown
/// classes.
fn transient_code(code: &str) -> bool {
    if let Ok(n) = code.parse::<i32>() {
        return matches!(n & 0xff, 5 | 6 | 10 | 13 | 14);
    }
    matches!(code, "40001" | "40P01") || ["08", "53", "57P"].iter().any(|class| code.starts_with(class))
}

pub type CatalogResult<T> = Result<T, CatalogError>;

/// Which engine is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// A statement that serialises writers of one key until the transaction ends.
    /// SQLite has a single writer already.
    fn key_lock_sql(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some("SELECT pg_advisory_xact_lock($1)"),
        }
    }

    /// The suffix that locks rows read inside a write transaction against concurrent
    /// deletion. SQLite's single writer makes it unnecessary.
    fn for_share(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR SHARE",
        }
    }

    /// Row-claiming suffix for queue readers (outbox relay).
    pub fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}

/// The catalog handle; cheap to clone.
#[derive(Debug, Clone)]
pub struct Catalog {
    read: AnyPool,
    write: AnyPool,
    dialect: Dialect,
    /// SQLite's group commit; `None` for PostgreSQL (and in-memory SQLite).
    wal_sync: Option<durability::WalSync>,
    /// Woken when a transaction that appended outbox events commits.
    outbox_signal: Arc<Notify>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Catalog {
    /// Connects to `url` (or SQLite at `<data_dir>/depot.db` when `None`) and applies
    /// pending migrations.
    pub async fn open(url: Option<&str>, data_dir: &Path) -> CatalogResult<Catalog> {
        sqlx::any::install_default_drivers();
        let sqlite_url;
        let url = match url {
            Some(url) => url,
            None => {
                sqlite_url = format!("sqlite://{}?mode=rwc", data_dir.join("depot.db").display());
                &sqlite_url
            }
        };
        let options: AnyConnectOptions = url.parse().map_err(|_| CatalogError::UnsupportedUrl(redact(url)))?;
        let catalog = if url.starts_with("sqlite:") {
            let pool = |max: u32| {
                AnyPoolOptions::new()
                    .max_connections(max)
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = OFF;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options.clone())
            };
            let write = pool(1).await?;
            let read = pool(8).await?;
            let wal_sync = sqlite_file(url).map(durability::WalSync::start);
            Catalog { read, write, dialect: Dialect::Sqlite, wal_sync, outbox_signal: Arc::default() }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = AnyPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(30)).connect_with(options).await?;
            Catalog { read: pool.clone(), write: pool, dialect: Dialect::Postgres, wal_sync: None, outbox_signal: Arc::default() }
        } else {
            return Err(CatalogError::UnsupportedUrl(redact(url)));
        };
        let migrator = match catalog.dialect {
            Dialect::Sqlite => &SQLITE_MIGRATIONS,
            Dialect::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&catalog.write).await?;
        Ok(catalog)
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The pool for reads outside a transaction.
    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> CatalogResult<Tx> {
        Ok(Tx {
            inner: self.write.begin().await?,
            dialect: self.dialect,
            wal_sync: self.wal_sync.clone(),
            outbox_signal: self.outbox_signal.clone(),
            appended_events: false,
        })
    }

    /// Notified after every commit that appended outbox events (the relay waits on it).
    pub fn outbox_signal(&self) -> Arc<Notify> {
        self.outbox_signal.clone()
    }

    /// Health check: a trivial query answers.
    pub async fn ping(&self) -> CatalogResult<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

/// A write transaction. Dropping it without [`commit`](Self::commit) rolls back.
pub struct Tx {
    inner: Transaction<'static, Any>,
    dialect: Dialect,
    wal_sync: Option<durability::WalSync>,
    outbox_signal: Arc<Notify>,
    appended_events: bool,
}

impl Tx {
    /// Commits; returns once the commit is durable.
    pub async fn commit(self) -> CatalogResult<()> {
        self.inner.commit().await?;
        if let Some(sync) = &self.wal_sync {
            sync.wait_durable().await.map_err(CatalogError::Durability)?;
        }
        if self.appended_events {
            self.outbox_signal.notify_one();
        }
        Ok(())
    }

    /// The transaction's connection, for modules that own tables of their own in the
    /// catalog database (the indexer) and write them in a catalog transaction.
    pub fn connection(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }

    /// Serialises holders of the same lock id until this transaction ends (PostgreSQL;
    /// SQLite's single writer serialises already). See [`lock_id`].
    pub async fn lock(&mut self, id: i64) -> CatalogResult<()> {
        if let Some(sql) = self.dialect.key_lock_sql() {
            sqlx::query(sql).bind(id).execute(&mut *self.inner).await?;
        }
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Serialises writers of one object key until this transaction ends, so that a
    /// conditional write's check and write are one atomic step.
    pub async fn lock_key(&mut self, bucket_id: i64, key: &str) -> CatalogResult<()> {
        self.lock(key_lock_id(bucket_id, key)).await
    }
}

/// A stable 64-bit lock id for (bucket, key): FNV-1a, so every process agrees.
fn key_lock_id(bucket_id: i64, key: &str) -> i64 {
    lock_id(&[&bucket_id.to_le_bytes(), key.as_bytes()])
}

/// A stable 64-bit lock id (FNV-1a) for the concatenation of `parts`, for [`Tx::lock`].
pub fn lock_id(parts: &[&[u8]]) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in parts.iter().flat_map(|p| p.iter()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

/// The file of a SQLite URL (`sqlite://path?…`, `sqlite:path`), unless it is in memory.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:") && !url.contains("mode=memory")).then(|| std::path::PathBuf::from(path))
}

fn redact(url: &str) -> String {
    format!("{:?}", crate::config::Secret::new(url))
}

/// Milliseconds since the Unix epoch: the catalog's time unit.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A catalog time as a `DateTime`.
pub fn ms_to_datetime(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
