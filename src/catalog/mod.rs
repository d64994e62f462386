//! The catalog: the single source of truth for users, keys, buckets, object versions,
//! multipart uploads, the blob GC queue (and its pause, for backups) and the event
//! outbox. It measures its own transactions and group commit (`metrics.rs`).
//!
//! One implementation serves SQLite and PostgreSQL through sqlx's `Any` driver: the SQL
//! is written once, in the common dialect (`$1` placeholders, `ON CONFLICT`, `RETURNING`),
//! and the few places where the engines differ are methods on [`Dialect`]. Every change
//! and the outbox event describing it are written in one [`Tx`]. This module knows
//! nothing of HTTP, XML or files.
//!
//! SQLite gets one writer connection (SQLite serialises writers anyway) beside a pool of
//! readers in WAL mode, and group commit (`durability.rs`): commits are made durable by
//! a shared fsync of the WAL. Write transactions start with `BEGIN IMMEDIATE`, so that
//! another process holding the write lock is waited for (`busy_timeout`), and never on
//! a writer connection a failed write left in an unknown state ([`Catalog::begin`]).
//!
//! Failures a caller must tell apart: a commit whose outcome is unknown
//! ([`CatalogError::commit_outcome_unknown`]: its rows may exist), a full disk
//! ([`CatalogError::is_disk_full`]), and a catalog gone read-only after a failed fsync
//! ([`CatalogError::is_read_only`]; until a restart).
//!
//! Layer 2 of `crate::LAYERS`: may import only `config`.

mod accounts;
mod blobs;
mod buckets;
mod durability;
mod error;
mod keys;
mod listing;
mod metrics;
mod model;
mod objects;
mod outbox;
mod paging;
mod scan;
mod uploads;
mod usage;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Transaction};
use tokio::sync::Notify;

pub use accounts::NewAccessKey;
pub use blobs::{BlobRef, InlinePart};
pub use durability::WalSyncError;
pub use error::{CatalogError, CatalogResult};
pub use listing::{older_versions_query, page_query, successor, versions_query, ListedObject, ObjectListing, VersionListing};
pub use metrics::{CatalogMetrics, PoolUsage};
pub use model::*;
pub use objects::{NewVersion, PartData, VersionWrite};
pub use outbox::{OutboxLag, OutboxRow};
pub use uploads::{Upload, UploadListing, UploadPart};

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

    /// A statement returning `query`'s rows as one row: a JSON array (as text) of one
    /// array per row holding `columns`, in the order the engine aggregates them in
    /// (unspecified by SQL; in practice `query`'s). An empty result gives `[]`.
    fn rows_as_json(self, columns: &str, query: &str) -> String {
        match self {
            Dialect::Sqlite => format!("SELECT json_group_array(json_array({columns})) FROM ({query})"),
            Dialect::Postgres => format!("SELECT COALESCE(json_agg(json_build_array({columns})), '[]')::text FROM ({query}) AS page"),
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
    /// Set when a commit on SQLite's single writer connection failed: the connection is
    /// replaced before its next use (see [`Catalog::writer`]).
    writer_suspect: Arc<AtomicBool>,
    failpoints: Arc<Failpoints>,
    metrics: Arc<CatalogMetrics>,
}

/// Faults tests can inject (the `#[doc(hidden)]` methods of [`Catalog`]).
#[derive(Debug, Default)]
struct Failpoints {
    /// The next commit of a transaction that records an event loses its answer:
    /// [`LOST_ACK_COMMITTED`] or [`LOST_ACK_ROLLED_BACK`]; 0 when not armed.
    lose_commit_ack: AtomicU8,
}

const LOST_ACK_COMMITTED: u8 = 1;
const LOST_ACK_ROLLED_BACK: u8 = 2;

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
                    // sqlx pings a connection at every acquire by default: for SQLite a
                    // round trip to the connection's worker thread per statement run
                    // outside a transaction and per transaction, for nothing (a local
                    // file has no peer to lose; a failed statement still marks the
                    // writer for replacement, see `writer_suspect`).
                    .test_before_acquire(false)
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
            let metrics = Arc::new(CatalogMetrics::default());
            let wal_sync = sqlite_file(url).map(|path| durability::WalSync::start(path, metrics.clone()));
            Catalog {
                read,
                write,
                dialect: Dialect::Sqlite,
                wal_sync,
                outbox_signal: Arc::default(),
                writer_suspect: Arc::default(),
                failpoints: Arc::default(),
                metrics,
            }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = AnyPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(30)).connect_with(options).await?;
            Catalog {
                read: pool.clone(),
                write: pool,
                dialect: Dialect::Postgres,
                wal_sync: None,
                outbox_signal: Arc::default(),
                writer_suspect: Arc::default(),
                failpoints: Arc::default(),
                metrics: Arc::default(),
            }
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

    /// Starts a write transaction, or fails at once with [`CatalogError::ReadOnly`]
    /// after a failed fsync of the catalog.
    ///
    /// SQLite: `BEGIN IMMEDIATE`, so the write lock is taken here, waiting up to the busy
    /// timeout for another process that holds it. (A deferred `BEGIN` takes it at the
    /// first write, where SQLite answers `SQLITE_BUSY` at once instead of waiting: a
    /// reader cannot wait for the lock without risking a deadlock.) PostgreSQL: `BEGIN`.
    pub async fn begin(&self) -> CatalogResult<Tx> {
        self.check_writable()?;
        let started = Instant::now();
        let conn = self.writer().await?;
        let statement = match self.dialect {
            Dialect::Sqlite => Some("BEGIN IMMEDIATE".into()),
            Dialect::Postgres => None,
        };
        // On the connection `writer` checked: `Pool::begin_with` would take whichever
        // connection is free.
        let inner = Transaction::begin(conn, statement).await?;
        let begun = Instant::now();
        self.metrics.begin_wait_seconds.observe((begun - started).as_secs_f64());
        Ok(Tx {
            inner,
            write: self.write.clone(),
            dialect: self.dialect,
            wal_sync: self.wal_sync.clone(),
            outbox_signal: self.outbox_signal.clone(),
            writer_suspect: self.writer_suspect.clone(),
            failpoints: self.failpoints.clone(),
            metrics: self.metrics.clone(),
            begun,
            appended_events: false,
        })
    }

    /// A connection of the write pool, never one left inside a transaction or one whose
    /// commit failed. After `SQLITE_FULL` or an I/O error SQLite may roll a transaction
    /// back on its own; sqlx does not notice, its `ROLLBACK` then fails, and the
    /// connection stays marked as inside a transaction. A plain `BEGIN` there becomes a
    /// savepoint, which can nest in a transaction that never commits (writes then are
    /// acknowledged but never visible to other connections, nor durable, and the write
    /// lock is held for good); `BEGIN IMMEDIATE` is refused. Such a connection, and the
    /// one a commit failed on, is closed, and a fresh one opened.
    async fn writer(&self) -> CatalogResult<PoolConnection<Any>> {
        checked_writer(&self.write, self.dialect, &self.writer_suspect).await
    }

    /// Fails with [`CatalogError::ReadOnly`] once an fsync of the catalog failed.
    pub fn check_writable(&self) -> CatalogResult<()> {
        match self.wal_sync.as_ref().and_then(durability::WalSync::failure) {
            Some(failure) => Err(CatalogError::ReadOnly(failure)),
            None => Ok(()),
        }
    }

    /// Why writes are off (a failed fsync of the catalog), if they are: for health.
    pub fn read_only_reason(&self) -> Option<String> {
        self.check_writable().err().map(|e| e.to_string())
    }

    /// Failpoint for tests: the next fsync of the SQLite WAL fails as if the disk had
    /// reported an I/O error. Returns false where there is no WAL to sync (PostgreSQL,
    /// in-memory SQLite).
    #[doc(hidden)]
    pub fn fail_next_wal_sync(&self) -> bool {
        self.wal_sync.as_ref().map(durability::WalSync::fail_next).is_some()
    }

    /// Failpoint for tests: the next commit of a transaction that records an event (an
    /// object or bucket write; not the relay's or the indexer's bookkeeping) fails with
    /// [`CatalogError::CommitOutcomeUnknown`], as when PostgreSQL's answer to COMMIT is
    /// lost, after really committing (`committed`) or after rolling back.
    #[doc(hidden)]
    pub fn lose_next_commit_ack(&self, committed: bool) {
        let outcome = if committed { LOST_ACK_COMMITTED } else { LOST_ACK_ROLLED_BACK };
        self.failpoints.lose_commit_ack.store(outcome, Ordering::SeqCst);
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

/// What [`Catalog::writer`] does: a connection of the write pool, after closing any that a
/// failed write left in an unknown state (`suspect`: a commit failed on SQLite).
async fn checked_writer(write: &AnyPool, dialect: Dialect, suspect: &AtomicBool) -> CatalogResult<PoolConnection<Any>> {
    loop {
        let mut conn = write.acquire().await?;
        let in_transaction = conn.is_in_transaction();
        let failed_commit = dialect == Dialect::Sqlite && suspect.swap(false, Ordering::SeqCst);
        if !in_transaction && !failed_commit {
            return Ok(conn);
        }
        tracing::error!(in_transaction, failed_commit, "closing a catalog writer connection left in an unknown state by a failed write; opening a new one");
        conn.close_on_drop();
    }
}

/// A write transaction. Dropping it without [`commit`](Self::commit) rolls back.
pub struct Tx {
    inner: Transaction<'static, Any>,
    /// The pool `inner`'s connection came from (to replace it after a failed commit).
    write: AnyPool,
    dialect: Dialect,
    wal_sync: Option<durability::WalSync>,
    outbox_signal: Arc<Notify>,
    writer_suspect: Arc<AtomicBool>,
    failpoints: Arc<Failpoints>,
    metrics: Arc<CatalogMetrics>,
    /// When `BEGIN` returned.
    begun: Instant,
    appended_events: bool,
}

impl Tx {
    /// Commits; returns once the commit is durable.
    ///
    /// An error from COMMIT itself is [`CatalogError::CommitOutcomeUnknown`] (the
    /// database may have committed before the error reached us), and a failed fsync of
    /// SQLite's WAL after COMMIT is [`CatalogError::Durability`] (committed, maybe not
    /// durable; writes are off from then on). Every other error of a transaction comes
    /// before its commit: nothing of it was written.
    pub async fn commit(self) -> CatalogResult<()> {
        let Tx { inner, write, dialect, wal_sync, outbox_signal, writer_suspect, failpoints, metrics, begun, appended_events } = self;
        let committing = Instant::now();
        if let Some(failure) = wal_sync.as_ref().and_then(durability::WalSync::failure) {
            // An fsync failed since this transaction began: roll it back (on drop).
            return Err(CatalogError::ReadOnly(failure));
        }
        let lost_ack = if appended_events { failpoints.lose_commit_ack.swap(0, Ordering::SeqCst) } else { 0 };
        let lost = || CatalogError::CommitOutcomeUnknown(sqlx::Error::Protocol("the answer to COMMIT was lost (failpoint)".into()));
        if lost_ack == LOST_ACK_ROLLED_BACK {
            return Err(lost());
        }
        if let Err(e) = inner.commit().await {
            if dialect == Dialect::Sqlite {
                writer_suspect.store(true, Ordering::SeqCst);
                // The connection may still sit in its transaction, holding SQLite's write
                // lock: replace it now, not when the next write comes (an idle server,
                // or one whose writes all back off, must not keep other processes out).
                if let Err(replace) = checked_writer(&write, dialect, &writer_suspect).await {
                    tracing::warn!(error = %replace, "could not replace the catalog writer connection after a failed commit; the next write will");
                }
            }
            return Err(CatalogError::CommitOutcomeUnknown(e));
        }
        if let Some(sync) = &wal_sync {
            sync.wait_durable().await.map_err(CatalogError::Durability)?;
        }
        metrics.commit_seconds.observe(committing.elapsed().as_secs_f64());
        metrics.transaction_seconds.observe(begun.elapsed().as_secs_f64());
        if appended_events {
            outbox_signal.notify_one();
        }
        if lost_ack == LOST_ACK_COMMITTED {
            return Err(lost());
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

#[cfg(test)]
mod tests {
    use sqlx::Connection;

    use super::*;

    async fn sqlite_catalog(dir: &Path) -> Catalog {
        Catalog::open(None, dir).await.expect("open the catalog")
    }

    /// A write through the catalog, and whether a reader connection sees it.
    async fn write_is_visible(catalog: &Catalog, blob_id: &str) -> bool {
        let mut tx = catalog.begin().await.expect("begin");
        tx.queue_blob_gc(blob_id).await.expect("write");
        tx.commit().await.expect("commit");
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM blob_gc WHERE blob_id = $1").bind(blob_id).fetch_one(catalog.reader()).await.expect("read");
        n == 1
    }

    #[tokio::test]
    async fn a_writer_left_inside_a_transaction_is_replaced() {
        let dir = tempfile::tempdir().expect("temp dir");
        let catalog = sqlite_catalog(dir.path()).await;
        {
            // What SQLITE_FULL can leave behind: SQLite rolled the transaction back on its
            // own, sqlx still counts it open (its ROLLBACK on drop then fails).
            let conn = catalog.write.acquire().await.expect("writer");
            let mut tx = Transaction::begin(conn, None).await.expect("begin");
            sqlx::query("ROLLBACK").execute(&mut *tx).await.expect("rollback behind sqlx's back");
        }
        // The pool's test on release ran the failing rollback; the connection is back.
        let conn = catalog.write.acquire().await.expect("writer");
        assert!(conn.is_in_transaction(), "the simulated state: sqlx believes a transaction is open");
        drop(conn);
        assert!(write_is_visible(&catalog, "after-stale").await, "a write after the stale connection commits for everyone");
        let conn = catalog.write.acquire().await.expect("writer");
        assert!(!conn.is_in_transaction());
        drop(conn);
        catalog.close().await;
    }

    /// Whether the writer connection is the one [`mark_writer`] marked (temp tables
    /// belong to their connection).
    async fn writer_is_marked(catalog: &Catalog) -> bool {
        let mut conn = catalog.write.acquire().await.expect("writer");
        sqlx::query("SELECT 1 AS one FROM temp.sqlite_master WHERE name = 'marker'").fetch_optional(&mut *conn).await.expect("look for the marker").is_some()
    }

    async fn mark_writer(catalog: &Catalog) {
        let mut conn = catalog.write.acquire().await.expect("writer");
        sqlx::query("CREATE TEMP TABLE marker (x)").execute(&mut *conn).await.expect("mark the connection");
    }

    #[tokio::test]
    async fn a_failed_commit_replaces_the_writer() {
        let dir = tempfile::tempdir().expect("temp dir");
        let catalog = sqlite_catalog(dir.path()).await;
        mark_writer(&catalog).await;
        assert!(write_is_visible(&catalog, "healthy").await);
        assert!(writer_is_marked(&catalog).await, "a healthy writer is kept");
        catalog.writer_suspect.store(true, Ordering::SeqCst);
        assert!(write_is_visible(&catalog, "after-failed-commit").await);
        assert!(!writer_is_marked(&catalog).await, "the writer of a failed commit was replaced");
        catalog.close().await;
    }

    #[tokio::test]
    async fn a_failed_wal_fsync_turns_writes_off() {
        let dir = tempfile::tempdir().expect("temp dir");
        let catalog = sqlite_catalog(dir.path()).await;
        assert!(write_is_visible(&catalog, "before").await);
        assert!(catalog.check_writable().is_ok() && catalog.read_only_reason().is_none());
        assert!(catalog.fail_next_wal_sync());
        let mut tx = catalog.begin().await.expect("begin");
        tx.queue_blob_gc("during").await.expect("write");
        let err = tx.commit().await.expect_err("the fsync fails");
        assert!(matches!(err, CatalogError::Durability(_)) && err.commit_outcome_unknown() && err.is_read_only(), "{err:?}");
        // Committed (visible), maybe not durable; from now on every write fails at once.
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM blob_gc WHERE blob_id = 'during'").fetch_one(catalog.reader()).await.expect("read");
        assert_eq!(n, 1);
        let err = catalog.begin().await.err().expect("writes are off");
        assert!(matches!(err, CatalogError::ReadOnly(_)) && err.is_read_only() && !err.is_transient(), "{err:?}");
        assert!(err.to_string().contains("writes are off after a failed fsync of the catalog"), "{err}");
        assert!(catalog.read_only_reason().is_some_and(|r| r.contains("injected failure")));
        assert!(matches!(catalog.forget_blob_gc("before", 0).await, Err(CatalogError::ReadOnly(_))));
        catalog.ping().await.expect("reads still work");
        catalog.close().await;
        // A restart recovers from what is on disk, with writes on.
        let catalog = sqlite_catalog(dir.path()).await;
        assert!(write_is_visible(&catalog, "after-restart").await);
        catalog.close().await;
    }

    #[tokio::test]
    async fn a_lost_commit_answer_is_an_unknown_outcome() {
        let dir = tempfile::tempdir().expect("temp dir");
        let catalog = sqlite_catalog(dir.path()).await;
        for committed in [true, false] {
            catalog.lose_next_commit_ack(committed);
            let mut tx = catalog.begin().await.expect("begin");
            tx.queue_blob_gc(&format!("lost-{committed}")).await.expect("write");
            tx.append_event(&format!("event-{committed}"), "bucket", None, "{}").await.expect("event");
            let err = tx.commit().await.expect_err("the answer is lost");
            assert!(err.commit_outcome_unknown() && !err.is_read_only(), "{err:?}");
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM blob_gc WHERE blob_id = $1")
                .bind(format!("lost-{committed}"))
                .fetch_one(catalog.reader())
                .await
                .expect("read");
            assert_eq!(n == 1, committed);
        }
        assert!(write_is_visible(&catalog, "after").await, "the failpoint fires once");
        catalog.close().await;
    }

    #[tokio::test]
    async fn sqlite_full_is_a_full_disk() {
        let mut db = sqlx::SqliteConnection::connect("sqlite::memory:").await.expect("in-memory SQLite");
        sqlx::query("CREATE TABLE t (b BLOB)").execute(&mut db).await.expect("create");
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count").fetch_one(&mut db).await.expect("page count");
        sqlx::query(&format!("PRAGMA max_page_count = {pages}")).execute(&mut db).await.expect("limit");
        let full = sqlx::query("INSERT INTO t VALUES (zeroblob(1000000))").execute(&mut db).await.expect_err("the database is full");
        let err = CatalogError::from(full);
        assert!(err.is_disk_full() && err.is_transient(), "{err:?}");
        assert!(!CatalogError::Database(sqlx::Error::PoolTimedOut).is_disk_full());
        let enospc = CatalogError::Database(sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::StorageFull)));
        assert!(enospc.is_disk_full());
    }
}
