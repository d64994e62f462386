//! The HTTP server: start-up, the accept loop (plain HTTP, or TLS through `tls.rs`),
//! graceful shutdown, and the per-request pipeline (`service.rs`: request id, span,
//! panic guard, access log and request metrics; `s3.rs`: route → rate limit →
//! authenticate → authorize at bucket level → dispatch to a handler).
//!
//! Layer 18 of `crate::LAYERS`: the top of the library; may import whatever it dispatches
//! to, and nothing imports it but `cli` and `main`.

mod access;
pub mod s3;
mod service;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::auth::jwt::JwtKeys;
use crate::auth::rate_limit::RateLimits;
use crate::auth::root::{ensure_root, RootCredentials, RootSource};
use crate::catalog::Catalog;
use crate::config::ServeConfig;
use crate::error::Error;
use crate::http::AppState;
use crate::storage::heal::{restore_rate, Healer};
use crate::storage::scrub::Scrubber;
use crate::storage::{gc, BlobStore, Redundancy, RepairQueue};

/// How long in-flight requests may take to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// A server accepting connections until [`RunningServer::shutdown`].
pub struct RunningServer {
    addr: SocketAddr,
    root: RootCredentials,
    root_source: RootSource,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    state: Arc<AppState>,
    secure: bool,
}

impl RunningServer {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether the server serves HTTPS.
    pub fn is_tls(&self) -> bool {
        self.secure
    }

    pub fn root_credentials(&self) -> (&RootCredentials, RootSource) {
        (&self.root, self.root_source)
    }

    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Stops accepting, lets in-flight requests finish, stops background work.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        // Requests have finished (or were cut off after the grace period): what they left
        // for the access log goes out now, unless the catalog is too slow to take it.
        match tokio::time::timeout(SHUTDOWN_GRACE, crate::access_log::flush(&self.state)).await {
            Ok(report) if report.objects > 0 || report.dropped > 0 => tracing::info!(?report, "access log delivered at shutdown"),
            Ok(_) => {}
            Err(_) => tracing::warn!("delivering the access log at shutdown took too long; its records are lost"),
        }
        self.state.catalog.close().await;
    }
}

/// Opens storage and catalog, makes sure the root identity exists, binds the listener
/// and starts serving.
pub async fn start(config: ServeConfig, root_from_env: Option<RootCredentials>) -> Result<RunningServer, Error> {
    check_limits(&config)?;
    // From here on SIGHUP never ends the process (its default action): tokio keeps the
    // handler for the process's life, and a reload during start-up (migrations can take
    // a while) must not stop it. The tasks below listen to it.
    if let Err(e) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        tracing::warn!(error = %e, "cannot take SIGHUP; it would stop the server");
    }
    std::fs::create_dir_all(&config.data_dir).map_err(|e| Error::io(format!("cannot create data dir {}", config.data_dir.display()), e))?;
    let (blobs, repairs) = open_blobs(&config)?;
    let catalog = Catalog::open(config.database_url.as_ref().map(|s| s.expose()), &config.data_dir).await?;
    warn_of_new_drives(&blobs, &catalog).await;
    let (root, root_source) = ensure_root(&catalog, &config.data_dir, root_from_env).await?;
    let keys = crate::encryption::KeyRing::load(config.kms_keys.as_deref(), &config.data_dir)?;
    let jwt = JwtKeys::load_or_create(&config.data_dir, config.jwt_secret.as_ref(), config.jwt_ttl_secs)?;
    let limits = RateLimits::new(config.rate_limit.0, config.rate_burst, config.login_rate_limit, config.login_rate_burst);
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(tls::Tls::load(cert, key)?),
        _ => None,
    };
    let listener = TcpListener::bind(config.addr).await.map_err(|e| Error::io(format!("cannot listen on {}", config.addr), e))?;
    let addr = listener.local_addr().map_err(|e| Error::io("cannot read the listener's address", e))?;

    // Temp files of uploads a crash interrupted: nothing can still be writing them.
    match gc::remove_stale_temps(&blobs, config.body_timeout() * 2).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(files = n, "removed temp files left by an earlier run"),
        Err(e) => tracing::warn!(error = %e, "removing stale temp files failed; the orphan sweeper will retry"),
    }
    let (shutdown, shutdown_rx) = watch::channel(false);
    let (gc_trigger, gc_worker) = gc::Collector::new(
        catalog.clone(),
        blobs.clone(),
        gc::Timings {
            free_delay: config.gc_delay(),
            orphan_grace: config.orphan_grace(),
            upload_max_age: config.multipart_max_age(),
            sweep_interval: config.sweep_interval(),
        },
    );
    let (events, event_tasks) = crate::indexer::start(&config.events, &catalog, &shutdown_rx)?;
    let uploads = Semaphore::new(config.max_concurrent_uploads);
    let state = Arc::new(AppState {
        domains: config.vhost_domains(),
        config,
        catalog,
        blobs,
        gc: gc_trigger,
        jwt,
        keys,
        limits,
        events,
        uploads,
        metrics: Default::default(),
        access_log: Default::default(),
        background: Default::default(),
    });

    let healer = Healer {
        store: state.blobs.clone(),
        catalog: state.catalog.clone(),
        queue: repairs,
        restore_bytes_per_sec: restore_rate(state.config.scrub_bytes_per_sec),
    };
    let scrubber = Scrubber {
        store: state.blobs.clone(),
        catalog: state.catalog.clone(),
        bytes_per_sec: state.config.scrub_bytes_per_sec,
        interval: state.config.scrub_interval(),
    };
    let lifecycle = crate::lifecycle::Worker::new(
        state.catalog.clone(),
        state.gc.clone(),
        state.config.region.clone(),
        state.config.lifecycle_day(),
        state.config.lifecycle_interval(),
    )
    .with_counters(state.background.clone());
    let mut tasks = vec![
        tokio::spawn(accept_loop(listener, state.clone(), tls.clone(), shutdown_rx.clone())),
        tokio::spawn(lifecycle.run(shutdown_rx.clone())),
        tokio::spawn(crate::access_log::run(state.clone(), state.config.access_log_flush(), shutdown_rx.clone())),
        tokio::spawn(healer.run(shutdown_rx.clone())),
        tokio::spawn(scrubber.run(shutdown_rx.clone())),
        tokio::spawn(gc_worker.run(shutdown_rx)),
    ];
    tasks.extend(event_tasks);
    let secure = tls.is_some();
    match tls {
        Some(tls) => tasks.push(tokio::spawn(tls.watch(Duration::from_secs(state.config.tls_reload_poll_secs), shutdown.subscribe()))),
        // SIGHUP's default action ends the process: a `kill -HUP` or a service manager's
        // reload must not stop a server that has nothing to reload.
        None => tasks.push(tokio::spawn(ignore_hangups(shutdown.subscribe()))),
    }
    Ok(RunningServer { addr, root, root_source, shutdown, tasks, state, secure })
}

/// Takes SIGHUP without TLS: logs that there is nothing to reload.
async fn ignore_hangups(mut shutdown: watch::Receiver<bool>) {
    let mut hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(signal) => signal,
        Err(e) => return tracing::warn!(error = %e, "cannot listen for SIGHUP; it would stop the server"),
    };
    loop {
        tokio::select! {
            _ = hangup.recv() => tracing::info!("SIGHUP: nothing to reload (no TLS certificate is served)"),
            _ = shutdown.changed() => return,
        }
    }
}

/// Opens the drives. A data dir that holds blobs of its own must be one of the drives
/// when drives are given, or those blobs would be out of reach.
pub fn open_blobs(config: &ServeConfig) -> Result<(BlobStore, RepairQueue), Error> {
    let dirs = config.drive_dirs();
    if !config.drives.is_empty() && !dirs.contains(&config.data_dir) {
        let own = config.data_dir.join("blobs");
        let holds_blobs = std::fs::read_dir(&own).map(|mut d| d.next().is_some()).unwrap_or(false);
        if holds_blobs {
            return Err(Error::Config(format!(
                "{} holds blobs: list the data dir as one of the drives (--drive {}) to keep them",
                own.display(),
                config.data_dir.display()
            )));
        }
    }
    let redundancy = Redundancy { copies: config.copies(), write_quorum: config.write_quorum(), min_free_bytes: config.min_free_bytes };
    Ok(BlobStore::open(&dirs, redundancy)?)
}

/// A drive that got its id at this start, in a store that already holds blobs, is either
/// a disk added on purpose or one that is not mounted (its mount point became an empty
/// drive on the filesystem below): say so loudly, the operator is the one who knows.
async fn warn_of_new_drives(blobs: &BlobStore, catalog: &Catalog) {
    let new: Vec<String> = blobs.drives().all().iter().filter(|d| d.new).map(|d| d.root.display().to_string()).collect();
    if new.is_empty() {
        return;
    }
    match catalog.has_blob_copies().await {
        Ok(true) => tracing::warn!(
            drives = ?new,
            "new drives in a store that already holds blobs: if one of them is a disk that failed to mount, stop the server and mount it; copies are being made on them now"
        ),
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "cannot tell whether the new drives join a store that holds blobs"),
    }
}

/// Refuses request limits that cannot work, before anything is opened.
fn check_limits(config: &ServeConfig) -> Result<(), Error> {
    if config.body_timeout_secs == 0 {
        return Err(Error::Config("the body timeout must be at least 1 second".into()));
    }
    if config.max_concurrent_uploads == 0 || config.max_concurrent_uploads > Semaphore::MAX_PERMITS {
        return Err(Error::Config(format!("the upload concurrency limit must be between 1 and {}", Semaphore::MAX_PERMITS)));
    }
    Ok(())
}

async fn accept_loop(listener: TcpListener, state: Arc<AppState>, tls: Option<Arc<tls::Tls>>, mut shutdown: watch::Receiver<bool>) {
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(Duration::from_secs(60)).keep_alive(true);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        // Without it, Nagle's algorithm meets delayed ACKs and small responses stall.
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let secure = tls.is_some();
        let service = hyper::service::service_fn(move |req| service::handle(state.clone(), remote, secure, req));
        let Some(tls) = &tls else {
            let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
            tokio::spawn(
                async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                }
                .instrument(tracing::debug_span!("connection", %remote)),
            );
            continue;
        };
        // The handshake runs in the connection's own task: a slow client never holds up
        // the accept loop.
        let acceptor = tls.acceptor();
        let watcher = graceful.watcher();
        let http = http.clone();
        tokio::spawn(
            async move {
                let stream = match tokio::time::timeout(tls::HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => stream,
                    Ok(Err(e)) => return tracing::debug!(error = %e, "TLS handshake failed"),
                    Err(_) => return tracing::debug!("TLS handshake timed out"),
                };
                if let Err(e) = watcher.watch(http.serve_connection(TokioIo::new(stream), service)).await {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            }
            .instrument(tracing::debug_span!("connection", %remote)),
        );
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => tracing::info!("all connections finished"),
        _ = tokio::time::sleep(SHUTDOWN_GRACE) => tracing::warn!("shutdown grace period over; closing remaining connections"),
    }
}
