//! Group commit for SQLite: many commits, one fsync.
//!
//! SQLite runs with `synchronous = NORMAL` in WAL mode: a commit writes its WAL frames
//! but does not fsync them (SQLite still syncs around checkpoints). Before a commit is
//! acknowledged, [`WalSync::wait_durable`] waits for an fsync of the WAL file that
//! started after the commit's frames were written. Commits that arrive while an fsync is
//! running share the next one, and the single writer connection is free for the next
//! transaction meanwhile: durability is unchanged (an acknowledged write is on disk),
//! but a burst of small writes costs a few fsyncs instead of one each. The first time
//! a WAL file is seen (SQLite creates it, and creates it anew should it ever delete it),
//! its directory is synced too, so that the file itself survives a crash.
//!
//! A failed fsync is final: the kernel may have dropped the dirty pages it could not
//! write and report the next fsync as a success, so nothing committed before it can be
//! trusted to be on disk. The flusher then stops syncing, every waiter (now and later)
//! gets the failure, and the catalog refuses writes ([`WalSync::failure`]) until a
//! restart recovers the database from what is on disk.
//!
//! PostgreSQL needs none of this: it groups concurrent commits itself.

use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use super::CatalogMetrics;

/// Why a commit could not be made durable.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WalSyncError {
    /// An fsync of the WAL (or its directory) failed, now or earlier.
    #[error("fsync of the catalog WAL failed: {0}")]
    Failed(#[source] Arc<io::Error>),
    #[error("the WAL flusher stopped")]
    Stopped,
}

type Waiter = oneshot::Sender<Result<(), WalSyncError>>;

/// What the flusher and the catalog share.
#[derive(Debug, Default)]
struct Shared {
    /// The first failed fsync; set once, never cleared.
    failure: OnceLock<Arc<io::Error>>,
    /// Failpoint: the next fsync fails.
    fail_next: AtomicBool,
}

/// A handle to the WAL flusher task.
#[derive(Debug, Clone)]
pub struct WalSync {
    requests: mpsc::UnboundedSender<Waiter>,
    shared: Arc<Shared>,
}

impl WalSync {
    /// Starts the flusher for the WAL of the database at `db_path`.
    pub fn start(db_path: PathBuf, metrics: Arc<CatalogMetrics>) -> WalSync {
        let mut wal = db_path.into_os_string();
        wal.push("-wal");
        let wal = PathBuf::from(wal);
        let shared = Arc::new(Shared::default());
        let (requests, mut incoming) = mpsc::unbounded_channel::<Waiter>();
        let flusher_shared = shared.clone();
        let flusher = async move {
            let shared = flusher_shared;
            // The inode of the WAL file whose directory entry is synced.
            let mut dir_synced_for = None;
            while let Some(first) = incoming.recv().await {
                // Everyone waiting now committed before this fsync starts.
                let mut batch = vec![first];
                while let Ok(more) = incoming.try_recv() {
                    batch.push(more);
                }
                let result = match shared.failure.get() {
                    // Never again after a failure: a later success would prove nothing.
                    Some(failure) => Err(WalSyncError::Failed(failure.clone())),
                    None => {
                        let (path, inject) = (wal.clone(), shared.fail_next.swap(false, Ordering::SeqCst));
                        let synced = tokio::task::spawn_blocking(move || sync_wal(&path, dir_synced_for, inject)).await;
                        match synced {
                            Ok(Ok(inode)) => {
                                // No inode: no WAL yet, so nothing was synced.
                                if inode.is_some() {
                                    metrics.wal_fsyncs.inc();
                                    metrics.group_commit_size.observe(batch.len() as f64);
                                }
                                dir_synced_for = inode.or(dir_synced_for);
                                Ok(())
                            }
                            Ok(Err(e)) => {
                                let failure = shared.failure.get_or_init(|| Arc::new(e)).clone();
                                tracing::error!(
                                    error = %failure,
                                    "fsync of the catalog WAL failed: recent commits may not be durable; \
                                     the catalog is read-only until the server is restarted"
                                );
                                Err(WalSyncError::Failed(failure))
                            }
                            Err(_) => Err(WalSyncError::Stopped),
                        }
                    }
                };
                for waiter in batch {
                    let _ = waiter.send(result.clone());
                }
            }
        };
        tokio::spawn(flusher.instrument(tracing::info_span!("wal_flusher")));
        WalSync { requests, shared }
    }

    /// Returns once everything committed before the call is on disk.
    pub async fn wait_durable(&self) -> Result<(), WalSyncError> {
        let (done, wait) = oneshot::channel();
        self.requests.send(done).map_err(|_| WalSyncError::Stopped)?;
        wait.await.map_err(|_| WalSyncError::Stopped)?
    }

    /// The failed fsync that turned writes off, if one did.
    pub fn failure(&self) -> Option<WalSyncError> {
        self.shared.failure.get().map(|e| WalSyncError::Failed(e.clone()))
    }

    /// Failpoint: the next fsync fails (tests).
    pub fn fail_next(&self) {
        self.shared.fail_next.store(true, Ordering::SeqCst);
    }
}

/// Fsyncs the WAL, and its directory too unless that was done for this very file
/// (`dir_synced_for`, an inode). Returns the inode of the WAL synced, or `None` when
/// there is no WAL: nothing was written through it yet.
fn sync_wal(path: &Path, dir_synced_for: Option<u64>, inject_failure: bool) -> io::Result<Option<u64>> {
    if inject_failure {
        return Err(io::Error::other("injected failure (failpoint fail_next_wal_sync)"));
    }
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    file.sync_data()?;
    let inode = file.metadata()?.ino();
    if dir_synced_for != Some(inode) {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()?;
    }
    Ok(Some(inode))
}
