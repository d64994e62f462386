//! TLS termination: the certificate chain and key from PEM files, served with rustls
//! (TLS 1.3 and 1.2, rustls' modern cipher suites only, ALPN `http/1.1`), and reloaded
//! without a restart: on SIGHUP, and when either file changes. A reload only affects
//! new connections; open ones (a download in progress) keep their session. A reload
//! that fails (a half-written file, a key that does not match) is logged and the
//! previous certificate stays in use.
//!
//! This module owns the files and the rustls configuration; it never sees a request.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::error::Error;

/// The certificate in use, and the files it comes from.
#[derive(Debug)]
pub struct Tls {
    cert: PathBuf,
    key: PathBuf,
    config: RwLock<Arc<ServerConfig>>,
}

impl Tls {
    /// Loads the certificate chain and key; an error says which file is wrong and how.
    pub fn load(cert: &Path, key: &Path) -> Result<Arc<Tls>, Error> {
        let config = server_config(cert, key)?;
        Ok(Arc::new(Tls { cert: cert.to_path_buf(), key: key.to_path_buf(), config: RwLock::new(Arc::new(config)) }))
    }

    /// An acceptor with the certificate in use now.
    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.config.read().unwrap_or_else(PoisonError::into_inner).clone())
    }

    /// Loads the files again; on failure the certificate in use stays.
    pub fn reload(&self) -> Result<(), Error> {
        let config = server_config(&self.cert, &self.key)?;
        *self.config.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(config);
        tracing::info!(cert = %self.cert.display(), "TLS certificate reloaded");
        Ok(())
    }

    /// Reloads on SIGHUP and, every `poll` (unless zero), when a file changed (its
    /// inode, change time, modification time or length), until `shutdown`.
    pub async fn watch(self: Arc<Self>, poll: Duration, mut shutdown: watch::Receiver<bool>) {
        let mut hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(signal) => Some(signal),
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGHUP; the certificate is reloaded when its files change");
                None
            }
        };
        let mut seen = self.stamp();
        loop {
            let signalled = async {
                match hangup.as_mut() {
                    Some(signal) => signal.recv().await,
                    None => std::future::pending().await,
                }
            };
            let polled = async {
                if poll.is_zero() {
                    std::future::pending::<()>().await;
                }
                tokio::time::sleep(poll).await;
            };
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = signalled => {}
                _ = polled => {
                    let now = self.stamp();
                    if now == seen {
                        continue;
                    }
                    seen = now;
                }
            }
            if let Err(e) = self.reload() {
                tracing::error!(error = %e, "TLS certificate not reloaded; the previous one stays in use");
            }
        }
    }

    /// What identifies the files' current contents cheaply: a file copied over with its
    /// old modification time still gets a new change time (or inode, when renamed in).
    fn stamp(&self) -> [(u64, i64, Option<SystemTime>, u64); 2] {
        let of = |path: &Path| {
            std::fs::metadata(path).map_or((0, 0, None, 0), |m| (m.ino(), m.ctime_nsec() + m.ctime() * 1_000_000_000, m.modified().ok(), m.len()))
        };
        [of(&self.cert), of(&self.key)]
    }
}

fn server_config(cert: &Path, key: &Path) -> Result<ServerConfig, Error> {
    let bad = |path: &Path, e: &dyn std::fmt::Display| Error::Config(format!("TLS: {}: {e}", path.display()));
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert).and_then(|certs| certs.collect()).map_err(|e| bad(cert, &e))?;
    if chain.is_empty() {
        return Err(bad(cert, &"no certificate in the file"));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Error::Config(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| bad(key, &e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// How long a client may take to finish the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
