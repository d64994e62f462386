//! Group commit for SQLite: many commits, one fsync.
//!
//! SQLite runs with `synchronous = NORMAL` in WAL mode: a commit writes its WAL frames
//! but does not fsync them (SQLite still syncs around checkpoints). Before a commit is
//! acknowledged, [`WalSync::wait_durable`] waits for an fsync of the WAL file that
//! started after the commit's frames were written. Commits that arrive while an fsync is
//! running share the next one, and the single writer connection is free for the next
//! transaction meanwhile: durability is unchanged (an acknowledged write is on disk),
//! but a burst of small writes costs a few fsyncs instead of one each.
//!
//! PostgreSQL needs none of this: it groups concurrent commits itself.

use std::fs::File;
use std::io;
use std::path::PathBuf;

use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

type Waiter = oneshot::Sender<Result<(), String>>;

/// A handle to the WAL flusher task.
#[derive(Debug, Clone)]
pub struct WalSync {
    requests: mpsc::UnboundedSender<Waiter>,
}

impl WalSync {
    /// Starts the flusher for the WAL of the database at `db_path`.
    pub fn start(db_path: PathBuf) -> WalSync {
        let mut wal = db_path.into_os_string();
        wal.push("-wal");
        let wal = PathBuf::from(wal);
        let (requests, mut incoming) = mpsc::unbounded_channel::<Waiter>();
        let flusher = async move {
            while let Some(first) = incoming.recv().await {
                // Everyone waiting now committed before this fsync starts.
                let mut batch = vec![first];
                while let Ok(more) = incoming.try_recv() {
                    batch.push(more);
                }
                let path = wal.clone();
                let result = match tokio::task::spawn_blocking(move || sync_file(&path)).await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                if let Err(e) = &result {
                    tracing::error!(error = %e, "fsync of the catalog WAL failed");
                }
                for waiter in batch {
                    let _ = waiter.send(result.clone());
                }
            }
        };
        tokio::spawn(flusher.instrument(tracing::info_span!("wal_flusher")));
        WalSync { requests }
    }

    /// Returns once everything committed before the call is on disk.
    pub async fn wait_durable(&self) -> Result<(), String> {
        let (done, wait) = oneshot::channel();
        self.requests.send(done).map_err(|_| "the WAL flusher stopped".to_owned())?;
        wait.await.map_err(|_| "the WAL flusher stopped".to_owned())?
    }
}

fn sync_file(path: &PathBuf) -> io::Result<()> {
    match File::open(path) {
        Ok(file) => file.sync_data(),
        // No WAL yet means nothing was written through it.
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}
