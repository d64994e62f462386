//! Typed configuration from command-line flags and `DEPOT_*` environment variables.
//!
//! Owns names, defaults and validation of every setting. Secrets (root secret key,
//! database password, JWT secret) are wrapped so that printing the configuration never
//! shows them. Nothing here opens files or sockets.
//!
//! Layer 1 of `crate::LAYERS`: a leaf, it imports nothing of the crate.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

mod events;
mod rate;

pub use events::EventsConfig;
pub use rate::{RateLimitSetting, RateSpec};

/// Everything the server needs to run.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "DEPOT_ADDR", default_value = "127.0.0.1:9000", global = true)]
    pub addr: SocketAddr,

    /// Directory for blobs, the SQLite catalog and generated secrets.
    #[arg(long, env = "DEPOT_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,

    /// Catalog database: unset for SQLite in the data dir, or `postgres://…`.
    #[arg(long, env = "DEPOT_DATABASE_URL", global = true)]
    pub database_url: Option<Secret>,

    /// The region Depot answers as, and expects in signatures.
    #[arg(long, env = "DEPOT_REGION", default_value = "us-east-1", global = true)]
    pub region: String,

    /// Serve HTTPS with this certificate chain (PEM); with `--tls-key`. Reloaded on SIGHUP
    /// and when the file changes.
    #[arg(long, env = "DEPOT_TLS_CERT", global = true, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The private key of `--tls-cert` (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "DEPOT_TLS_KEY", global = true, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Seconds between checks of the TLS files for changes (0: reload on SIGHUP only).
    #[arg(long, env = "DEPOT_TLS_RELOAD_POLL_SECS", default_value_t = 2, global = true)]
    pub tls_reload_poll_secs: u64,

    /// Domain for virtual-host-style addressing (`bucket.<domain>`). `localhost` always works.
    #[arg(long, env = "DEPOT_DOMAIN", global = true)]
    pub domain: Option<String>,

    /// Log filter (`info`, `depot=debug`, …).
    #[arg(long, env = "DEPOT_LOG_LEVEL", default_value = "info", global = true)]
    pub log_level: String,

    /// Log lines as `text` (the default) or `json` (one object per line, with the
    /// request's id, operation, bucket, key, principal, status and error code).
    #[arg(long, env = "DEPOT_LOG_FORMAT", default_value = "text", value_parser = parse_log_format, global = true)]
    pub log_format: LogFormat,

    /// Root access key id (with DEPOT_ROOT_SECRET_KEY); generated on first start when unset.
    #[arg(long, env = "DEPOT_ROOT_ACCESS_KEY", hide_env_values = true, global = true)]
    pub root_access_key: Option<String>,

    /// Root secret key; only from the environment, never a flag.
    #[arg(skip = std::env::var("DEPOT_ROOT_SECRET_KEY").ok().map(Secret::new))]
    pub root_secret_key: Option<Secret>,

    /// Seconds a blob that lost its last reference waits before it is freed: covers a
    /// read between finding the blob in the catalog and pinning it, and reads by other
    /// processes sharing the data dir (a pinned blob waits longer).
    #[arg(long, env = "DEPOT_GC_DELAY_SECS", default_value_t = 60, global = true)]
    pub gc_delay_secs: u64,

    /// Seconds an unreferenced blob (or temp file) must age before the sweeper removes it.
    #[arg(long, env = "DEPOT_ORPHAN_GRACE_SECS", default_value_t = 3600, global = true)]
    pub orphan_grace_secs: u64,

    /// Seconds after which an incomplete multipart upload is aborted and its parts freed.
    #[arg(long, env = "DEPOT_MULTIPART_MAX_AGE_SECS", default_value_t = 7 * 24 * 3600, global = true)]
    pub multipart_max_age_secs: u64,

    /// Seconds between two orphan sweeps.
    #[arg(long, env = "DEPOT_SWEEP_INTERVAL_SECS", default_value_t = 900, global = true)]
    pub sweep_interval_secs: u64,

    /// Secret for signing login tokens (JWT HS256), at least 32 bytes; only from the
    /// environment. Unset: generated on first start and kept in `<data-dir>/jwt-secret`.
    /// Nodes sharing a database need the same secret.
    #[arg(skip = std::env::var("DEPOT_JWT_SECRET").ok().filter(|s| !s.is_empty()).map(Secret::new))]
    pub jwt_secret: Option<Secret>,

    /// Seconds a login token stays valid.
    #[arg(long, env = "DEPOT_JWT_TTL_SECS", default_value_t = 3600, global = true)]
    pub jwt_ttl_secs: u64,

    /// Request rate limit per access key (anonymous and JSON requests: per client IP),
    /// e.g. `100/minute`, `20/second`; `off` (the default) disables it.
    #[arg(long, env = "DEPOT_RATE_LIMIT", default_value = "off", global = true)]
    pub rate_limit: RateLimitSetting,

    /// Requests a client may make at once before the rate applies (default: the rate's count).
    #[arg(long, env = "DEPOT_RATE_BURST", global = true)]
    pub rate_burst: Option<u32>,

    /// Login and registration attempts per client IP.
    #[arg(long, env = "DEPOT_LOGIN_RATE_LIMIT", default_value = "10/minute", global = true)]
    pub login_rate_limit: RateSpec,

    /// Login attempts a client IP may make at once (default: the login rate's count).
    #[arg(long, env = "DEPOT_LOGIN_RATE_BURST", global = true)]
    pub login_rate_burst: Option<u32>,

    /// The largest object or part body accepted, in bytes (S3: 5 GiB). A body is cut off
    /// with `EntityTooLarge` as soon as it passes this, whether or not it declared a length.
    #[arg(long, env = "DEPOT_MAX_OBJECT_SIZE", default_value_t = 5 * 1024 * 1024 * 1024, global = true)]
    pub max_object_size: u64,

    /// Seconds a request body may go without delivering a byte before the request is
    /// aborted (`RequestTimeout`) and its temp file removed.
    #[arg(long, env = "DEPOT_BODY_TIMEOUT_SECS", default_value_t = 60, global = true)]
    pub body_timeout_secs: u64,

    /// Uploads (PutObject, UploadPart) receiving at once; more get `503 SlowDown`.
    #[arg(long, env = "DEPOT_MAX_CONCURRENT_UPLOADS", default_value_t = 256, global = true)]
    pub max_concurrent_uploads: usize,

    /// Free bytes kept on the data dir's filesystem for deletes and the catalog: writes
    /// that would go below it (counting the length they declare) get `507
    /// InsufficientStorage`, and health reports `degraded`. 0 turns the check off.
    #[arg(long, env = "DEPOT_MIN_FREE_BYTES", default_value_t = 64 * 1024 * 1024, global = true)]
    pub min_free_bytes: u64,

    /// A directory that holds blobs; repeat for several drives (`DEPOT_DRIVES`: a
    /// comma-separated list). Unset: blobs live under the data dir, as one drive.
    #[arg(long = "drive", env = "DEPOT_DRIVES", value_delimiter = ',', global = true)]
    pub drives: Vec<PathBuf>,

    /// How many drives hold each blob (default: 3 with 3 or more drives, otherwise the
    /// number of drives).
    #[arg(long, env = "DEPOT_COPIES", global = true)]
    pub copies: Option<usize>,

    /// Copies that must be durable before a write is acknowledged (default: all of
    /// them; at least 1). Copies a write could not make are made by the healer later.
    #[arg(long, env = "DEPOT_WRITE_QUORUM", global = true)]
    pub write_quorum: Option<usize>,

    /// Bytes per second the background scrubber reads to verify blobs; 0 turns the
    /// background scrub off (`depot scrub` still works).
    #[arg(long, env = "DEPOT_SCRUB_BYTES_PER_SEC", default_value_t = 16 * 1024 * 1024, global = true)]
    pub scrub_bytes_per_sec: u64,

    /// Seconds from the start of one background scrub pass to the start of the next.
    #[arg(long, env = "DEPOT_SCRUB_INTERVAL_SECS", default_value_t = 7 * 24 * 3600, global = true)]
    pub scrub_interval_secs: u64,

    /// The length of a lifecycle "day" in seconds: rule ages (`Days`, `NoncurrentDays`,
    /// `DaysAfterInitiation`) count in it and round up to its multiples. A test aid: keep
    /// the default (86400) in production.
    #[arg(long, env = "DEPOT_LIFECYCLE_DAY_SECS", default_value_t = 86_400, global = true)]
    pub lifecycle_day_secs: u64,

    /// Seconds between two passes of the lifecycle worker (each pass does a bounded
    /// amount of work and goes on where the last one stopped).
    #[arg(long, env = "DEPOT_LIFECYCLE_INTERVAL_SECS", default_value_t = 60, global = true)]
    pub lifecycle_interval_secs: u64,

    /// Seconds between two deliveries of server access log objects (also when the
    /// buffer fills, and at shutdown).
    #[arg(long, env = "DEPOT_ACCESS_LOG_FLUSH_SECS", default_value_t = 300, global = true)]
    pub access_log_flush_secs: u64,

    /// The key ring of server-side encryption (JSON: `{"default": id, "keys": {id:
    /// base64 of 32 bytes}}`); unset: `kms-keys.json` in the data dir, generated at the
    /// first start. Nodes sharing a catalog must share the ring.
    #[arg(long, env = "DEPOT_KMS_KEYS", global = true)]
    pub kms_keys: Option<PathBuf>,

    /// Take SSE-C (customer-provided keys) over plain HTTP. AWS refuses it, since the key
    /// travels in the request; for tests and trusted networks only.
    #[arg(long, env = "DEPOT_ALLOW_INSECURE_SSE_C", global = true)]
    pub allow_insecure_sse_c: bool,

    /// The web console at `/_depot/console/`: `on` (the default) or `off`.
    #[arg(long, env = "DEPOT_CONSOLE", default_value = "on", value_parser = parse_switch, global = true)]
    pub console: bool,

    /// For working on the console: serve its files from this directory (the repository's
    /// `console/`) as they are on disk, uncached, instead of the copies compiled in.
    #[arg(long, env = "DEPOT_CONSOLE_DIR", global = true)]
    pub console_dir: Option<PathBuf>,

    /// Events: Kafka, batching, outbox retention, indexer lag thresholds.
    #[command(flatten)]
    pub events: EventsConfig,
}

impl ServeConfig {
    /// How long a request body may go without progress.
    pub fn body_timeout(&self) -> Duration {
        Duration::from_secs(self.body_timeout_secs)
    }

    pub fn orphan_grace(&self) -> Duration {
        Duration::from_secs(self.orphan_grace_secs)
    }

    pub fn gc_delay(&self) -> Duration {
        Duration::from_secs(self.gc_delay_secs)
    }

    pub fn multipart_max_age(&self) -> Duration {
        Duration::from_secs(self.multipart_max_age_secs)
    }

    pub fn sweep_interval(&self) -> Duration {
        Duration::from_secs(self.sweep_interval_secs.max(1))
    }

    /// The directories that hold blobs: the drives given, or the data dir alone.
    pub fn drive_dirs(&self) -> Vec<PathBuf> {
        if self.drives.is_empty() {
            vec![self.data_dir.clone()]
        } else {
            self.drives.clone()
        }
    }

    /// How many drives hold each blob.
    pub fn copies(&self) -> usize {
        self.copies.unwrap_or_else(|| self.drive_dirs().len().min(3))
    }

    /// Copies a write waits for.
    pub fn write_quorum(&self) -> usize {
        self.write_quorum.unwrap_or_else(|| self.copies())
    }

    pub fn scrub_interval(&self) -> Duration {
        Duration::from_secs(self.scrub_interval_secs.max(1))
    }

    /// The length of a lifecycle day (at least a second).
    pub fn lifecycle_day(&self) -> Duration {
        Duration::from_secs(self.lifecycle_day_secs.max(1))
    }

    /// The pause between access log deliveries (at least a second).
    pub fn access_log_flush(&self) -> Duration {
        Duration::from_secs(self.access_log_flush_secs.max(1))
    }

    /// The pause between lifecycle passes (at least a second).
    pub fn lifecycle_interval(&self) -> Duration {
        Duration::from_secs(self.lifecycle_interval_secs.max(1))
    }

    /// Domains used for virtual-host-style addressing.
    pub fn vhost_domains(&self) -> Vec<String> {
        let mut domains: Vec<String> = self.domain.iter().map(|d| d.trim_matches('.').to_ascii_lowercase()).collect();
        if !domains.iter().any(|d| d == "localhost") {
            domains.push("localhost".to_owned());
        }
        domains
    }

    /// A configuration for tests and tools: defaults, with the given data dir.
    pub fn with_data_dir(data_dir: PathBuf) -> Self {
        ServeConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 9000)),
            data_dir,
            database_url: None,
            region: "us-east-1".to_owned(),
            domain: None,
            tls_cert: None,
            tls_key: None,
            tls_reload_poll_secs: 2,
            log_level: "info".to_owned(),
            log_format: LogFormat::Text,
            root_access_key: None,
            root_secret_key: None,
            gc_delay_secs: 60,
            multipart_max_age_secs: 7 * 24 * 3600,
            orphan_grace_secs: 3600,
            sweep_interval_secs: 900,
            jwt_secret: None,
            jwt_ttl_secs: 3600,
            rate_limit: RateLimitSetting(None),
            rate_burst: None,
            login_rate_limit: RateSpec { count: 10, per: Duration::from_secs(60) },
            login_rate_burst: None,
            max_object_size: 5 * 1024 * 1024 * 1024,
            body_timeout_secs: 60,
            max_concurrent_uploads: 256,
            min_free_bytes: 64 * 1024 * 1024,
            drives: Vec::new(),
            copies: None,
            write_quorum: None,
            scrub_bytes_per_sec: 16 * 1024 * 1024,
            scrub_interval_secs: 7 * 24 * 3600,
            lifecycle_day_secs: 86_400,
            lifecycle_interval_secs: 60,
            access_log_flush_secs: 300,
            kms_keys: None,
            allow_insecure_sse_c: false,
            console: true,
            console_dir: None,
            events: EventsConfig::default(),
        }
    }
}

/// `on`/`off` (also `true`/`false`, `1`/`0`, `yes`/`no`).
/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

fn parse_log_format(value: &str) -> Result<LogFormat, String> {
    match value.to_ascii_lowercase().as_str() {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        other => Err(format!("expected text or json, not {other:?}")),
    }
}

fn parse_switch(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        other => Err(format!("expected on or off, not {other:?}")),
    }
}

/// A string that is never printed: `Debug` and `Display` show it redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_url(&self.0))
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Shows a URL without its password (`postgres://u:***@h/db`); anything that is not a
/// URL with credentials is fully hidden.
fn redact_url(value: &str) -> String {
    if let Some((scheme, rest)) = value.split_once("://") {
        match rest.split_once('@') {
            Some((userinfo, host)) => {
                let user = userinfo.split(':').next().unwrap_or("");
                format!("{scheme}://{user}:***@{host}")
            }
            None => value.to_owned(),
        }
    } else {
        "***".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        assert_eq!(format!("{:?}", Secret::new("postgres://depot:hunter2@db:5432/depot")), "postgres://depot:***@db:5432/depot");
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "***");
        assert_eq!(format!("{:?}", Secret::new("sqlite://data/depot.db")), "sqlite://data/depot.db");
    }

    #[test]
    fn localhost_is_always_a_vhost_domain() {
        let mut c = ServeConfig::with_data_dir("d".into());
        assert_eq!(c.vhost_domains(), vec!["localhost"]);
        c.domain = Some("s3.example.com".into());
        assert_eq!(c.vhost_domains(), vec!["s3.example.com", "localhost"]);
    }
}
