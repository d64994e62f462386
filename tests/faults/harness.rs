//! The harness of the fault tests: the real `depot` binary as a child process on
//! 127.0.0.1 (it binds port 0 and its start-up line tells the port), readiness by polling
//! `GET /_depot/health` (which tests read too: [`Depot::health`]), AWS SDK clients, and
//! guards that kill every server process (and unmount what a test mounted) when a test
//! ends, on panic too. Helpers look behind the API: blob and temp files on disk, the
//! catalog opened on its own connection.
//!
//! The catalog is SQLite (`<data dir>/depot.db`) unless `DEPOT_TEST_DATABASE_URL` names a
//! PostgreSQL server (`postgres://user@host:port/db`): then each [`Depot`] gets a fresh
//! database of its own there ([`TestDatabase`]), created before its first start and
//! dropped with it, on panic too. Tests of SQLite-specific behaviour skip on PostgreSQL
//! ([`skip_unless_sqlite`]); tests that need PostgreSQL skip without it
//! ([`skip_unless_postgres`]). Several servers may share one database (a cluster:
//! [`Depot::start_on`]); it is dropped with the last of them.
//!
//! The JSON API is called with `api` (a login token or none) and `signed_api`
//! (SigV4-signed, as the root-only routes, search and statistics take it), from
//! `json_api.rs`; what the tests do on disk is in `disk.rs`. Both are re-exported here.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::Region;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use md5::{Digest, Md5};
use sqlx::{AnyConnection, Connection, Row};

pub use crate::disk::*;
pub use crate::json_api::*;

pub const REGION: &str = "us-east-1";
pub const ACCESS_KEY: &str = "DPRTFAULTSROOTKEY001";
pub const SECRET_KEY: &str = "faults-root-secret-key-00000000000000000";

/// How long a server may take from spawn to answering its health check.
const START_LIMIT: Duration = Duration::from_secs(60);
/// How long a SIGTERMed server may take to stop (its own grace period is 30 s).
const STOP_LIMIT: Duration = Duration::from_secs(40);
/// The prefix of the line `depot serve` prints once it listens.
const LISTENING: &str = "Depot listening on http://";

/// The address of the line `depot serve` writes once it listens: `Depot listening on
/// http://ADDR` in text, a JSON line with `"listening":"http://ADDR"` in JSON.
fn listening_addr(line: &str) -> Option<String> {
    if let Some(addr) = line.strip_prefix(LISTENING) {
        return Some(addr.trim().to_owned());
    }
    let entry: serde_json::Value = serde_json::from_str(line).ok()?;
    entry["listening"].as_str()?.strip_prefix("http://").map(str::to_owned)
}

/// The PostgreSQL server the tests run against (`DEPOT_TEST_DATABASE_URL`, a
/// `postgres://` URL whose database the test user may connect to and create databases
/// from), or `None` for SQLite.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("DEPOT_TEST_DATABASE_URL").ok().filter(|url| url.starts_with("postgres"))
}

/// For tests of SQLite-specific behaviour: `true` (after printing why the test is
/// skipped) when the tests run against PostgreSQL; the test then returns.
pub fn skip_unless_sqlite(why: &str) -> bool {
    if postgres_admin_url().is_some() {
        println!("SKIP: DEPOT_TEST_DATABASE_URL is set (PostgreSQL) and this test is SQLite-only: {why}");
        return true;
    }
    false
}

/// For tests that need PostgreSQL (several servers on one catalog): the admin URL, or
/// `None` (after printing why the test is skipped) when `DEPOT_TEST_DATABASE_URL` does
/// not name a PostgreSQL server; the test then returns.
pub fn skip_unless_postgres(why: &str) -> Option<String> {
    let url = postgres_admin_url();
    if url.is_none() {
        println!("SKIP: DEPOT_TEST_DATABASE_URL is not set to a PostgreSQL URL and this test needs PostgreSQL: {why}");
    }
    url
}

/// A PostgreSQL database created for one test, dropped (with `FORCE`: connections a
/// killed server left behind do not stop it) when this is dropped, on panic too.
pub struct TestDatabase {
    admin_url: String,
    name: String,
}

impl TestDatabase {
    /// Creates a database with a unique name on the server of `admin_url`.
    pub async fn create(admin_url: &str) -> TestDatabase {
        let name = format!("depot_faults_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(admin_url).await.unwrap_or_else(|e| panic!("connect to PostgreSQL at {admin_url}: {e}"));
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create the test database");
        let _ = conn.close().await;
        TestDatabase { admin_url: admin_url.to_owned(), name }
    }

    /// The URL of the database: the admin URL with its database name replaced.
    pub fn url(&self) -> String {
        let (base, query) = self.admin_url.split_once('?').map_or((self.admin_url.as_str(), String::new()), |(b, q)| (b, format!("?{q}")));
        let (scheme, rest) = base.split_once("://").unwrap_or(("postgres", base));
        let authority = rest.split('/').next().unwrap_or_default();
        format!("{scheme}://{authority}/{}{query}", self.name)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on: a thread with
        // a runtime of its own does the work.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin_url).await.map_err(|e| e.to_string())?;
                let result = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await.map_err(|e| e.to_string());
                let _ = conn.close().await;
                result.map(|_| ())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: could not drop the test database {}: {e}", self.name),
            Err(_) => eprintln!("warning: dropping the test database {} panicked", self.name),
        }
    }
}

/// Fault tests fill disks, kill servers and time things: one runs at a time, whatever
/// `--test-threads` says. Each test holds this for its whole run.
pub async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

/// A `depot serve` process. Killed (SIGKILL) when dropped, unless already stopped; its
/// PostgreSQL database, if it has one, is dropped after that.
pub struct Depot {
    data_dir: PathBuf,
    settings: Vec<(String, String)>,
    /// The catalog database on PostgreSQL (every start and `fsck` use it); `None`: the
    /// SQLite catalog in the data dir. Shared by the servers of a cluster; dropped
    /// after the process is killed (fields drop after [`Drop::drop`]), by the last
    /// server that holds it.
    database: Option<Arc<TestDatabase>>,
    /// Server output of every start, kept outside the data dir (which may be full).
    logs: tempfile::TempDir,
    starts: u32,
    process: Option<Child>,
    pub endpoint: String,
    /// The root user's SDK client, path-style, without retries.
    pub client: Client,
}

impl Depot {
    /// Starts a server on `data_dir` with extra `DEPOT_*` settings, and waits until its
    /// health check answers. With `DEPOT_TEST_DATABASE_URL` set to a PostgreSQL URL, the
    /// server's catalog is a fresh database there, dropped with the returned `Depot`.
    pub async fn start(data_dir: &Path, settings: &[(&str, &str)]) -> Depot {
        let database = match postgres_admin_url() {
            Some(admin_url) => {
                let db = TestDatabase::create(&admin_url).await;
                println!("catalog: PostgreSQL database {}", db.name);
                Some(Arc::new(db))
            }
            None => None,
        };
        Depot::start_on(data_dir, database, settings).await
    }

    /// Starts a server on `data_dir` whose catalog is `database` (`None`: SQLite in the
    /// data dir), which other servers may share: a node of a cluster. The database is
    /// dropped when the last `Depot` holding it is.
    pub async fn start_on(data_dir: &Path, database: Option<Arc<TestDatabase>>, settings: &[(&str, &str)]) -> Depot {
        let mut depot = Depot {
            data_dir: data_dir.to_path_buf(),
            settings: settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            database,
            logs: tempfile::Builder::new().prefix("depot-faults-logs").tempdir().expect("log dir"),
            starts: 0,
            process: None,
            endpoint: String::new(),
            client: sdk_client("http://127.0.0.1:1"),
        };
        depot.start_again().await;
        depot
    }

    /// Changes a `DEPOT_*` setting for the next start.
    pub fn set(&mut self, name: &str, value: &str) {
        self.settings.retain(|(k, _)| k != name);
        self.settings.push((name.to_owned(), value.to_owned()));
    }

    /// Starts the server again on the same data dir (a new port; the client follows).
    /// Returns the status its health check first answered with.
    pub async fn start_again(&mut self) -> u16 {
        assert!(self.process.is_none(), "the server is still running");
        self.starts += 1;
        let log_path = self.log_path();
        let mut log = OpenOptions::new().create(true).append(true).open(&log_path).expect("log file");
        writeln!(log, "===== start {} =====", self.starts).expect("log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_depot"));
        command
            .arg("serve")
            .arg("--addr")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(&self.data_dir)
            .env("DEPOT_ROOT_ACCESS_KEY", ACCESS_KEY)
            .env("DEPOT_ROOT_SECRET_KEY", SECRET_KEY)
            .env("DEPOT_LOG_LEVEL", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log.try_clone().expect("log file"));
        self.set_database(&mut command);
        for (name, value) in &self.settings {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("spawn depot");
        let stdout = child.stdout.take().expect("stdout");
        self.process = Some(child);
        // Copies the server's output into the log, and reports the address it listens on.
        let (addr_tx, addr_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = listening_addr(&line) {
                    let _ = addr_tx.send(addr);
                }
                let _ = writeln!(log, "{line}");
            }
        });
        let deadline = Instant::now() + START_LIMIT;
        let addr = loop {
            match addr_rx.recv_timeout(Duration::from_millis(100)) {
                Ok(addr) => break addr,
                Err(_) => {
                    if let Some(status) = self.process.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                        self.process = None;
                        panic!("depot exited before listening ({status}):\n{}", self.log_tail(40));
                    }
                    assert!(Instant::now() < deadline, "depot did not start listening:\n{}", self.log_tail(40));
                }
            }
        };
        self.endpoint = format!("http://{addr}");
        self.client = sdk_client(&self.endpoint);
        self.wait_for_health(deadline).await
    }

    /// Polls `/_depot/health` until it answers at all (a full disk answers 503 there,
    /// and the tests still want that server).
    async fn wait_for_health(&mut self, deadline: Instant) -> u16 {
        let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(5)).build().expect("http client");
        let url = format!("{}/_depot/health", self.endpoint);
        loop {
            if let Ok(resp) = http.get(&url).send().await {
                let status = resp.status().as_u16();
                if status != 200 {
                    eprintln!("note: depot is up but unhealthy ({status}): {}", resp.text().await.unwrap_or_default());
                }
                return status;
            }
            assert!(Instant::now() < deadline, "depot never answered {url}:\n{}", self.log_tail(40));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `GET /_depot/health`: the status and the JSON document.
    pub async fn health(&self) -> (u16, serde_json::Value) {
        let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().expect("http client");
        let resp = http.get(format!("{}/_depot/health", self.endpoint)).send().await.expect("health answers");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("health body");
        (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("health is not JSON ({e}): {text}")))
    }

    /// Sends a signal (`HUP`, `TERM`, …) to the running server, and returns at once.
    pub fn signal(&self, name: &str) {
        let child = self.process.as_ref().expect("the server runs");
        let sent = Command::new("kill").arg(format!("-{name}")).arg(child.id().to_string()).status();
        assert!(sent.is_ok_and(|s| s.success()), "could not send SIG{name}");
    }

    /// SIGKILL: the process dies wherever it is.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then waits for the graceful shutdown; SIGKILL after a deadline (and the
    /// test fails: a server that does not stop is a fault too).
    pub fn terminate(&mut self) {
        let Some(mut child) = self.process.take() else { return };
        let sent = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        assert!(sent.is_ok_and(|s| s.success()), "could not send SIGTERM");
        let deadline = Instant::now() + STOP_LIMIT;
        loop {
            if child.try_wait().expect("wait for depot").is_some() {
                return;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("depot did not stop within {STOP_LIMIT:?} of SIGTERM:\n{}", self.log_tail(40));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Points a `depot` command at this server's catalog: its PostgreSQL database, or
    /// (no `DEPOT_DATABASE_URL`) the SQLite catalog in the data dir.
    fn set_database(&self, command: &mut Command) {
        command.env_remove("DEPOT_DATABASE_URL").env_remove("DEPOT_TEST_DATABASE_URL");
        if let Some(db) = &self.database {
            command.env("DEPOT_DATABASE_URL", db.url());
        }
    }

    /// Whether the catalog is on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.database.is_some()
    }

    /// A connection of its own to the catalog, for reading: read-only on SQLite (`mode=ro`),
    /// a plain connection on PostgreSQL (the helpers only read).
    async fn catalog_reader(&self) -> AnyConnection {
        open_catalog(self.database.as_ref().map(|db| db.url()), &self.data_dir).await
    }

    fn log_path(&self) -> PathBuf {
        self.logs.path().join("depot.log")
    }

    /// The last `lines` lines the server wrote, over all its starts.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = fs::read_to_string(self.log_path()).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Every line the server wrote, over all its starts.
    pub fn log_lines(&self) -> Vec<String> {
        fs::read_to_string(self.log_path()).unwrap_or_default().lines().map(str::to_owned).collect()
    }

    /// Whether another process can take the catalog's write lock right now (no wait).
    /// An idle server must not hold it: if it does, it sits in a transaction it never
    /// commits. SQLite only.
    pub async fn catalog_write_lock_is_free(&self) -> bool {
        assert!(!self.is_postgres(), "the catalog write lock is SQLite's");
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(self.catalog_path()).busy_timeout(Duration::ZERO);
        let mut db = sqlx::SqliteConnection::connect_with(&options).await.expect("open the catalog");
        let free = sqlx::query("BEGIN IMMEDIATE").execute(&mut db).await.is_ok();
        if free {
            sqlx::query("ROLLBACK").execute(&mut db).await.expect("rollback");
        }
        let _ = db.close().await;
        free
    }

    /// Blob files on disk, by blob id.
    pub fn blob_ids_on_disk(&self) -> BTreeSet<String> {
        files_under(&self.data_dir.join("blobs")).iter().filter_map(|p| p.file_name()?.to_str().map(str::to_owned)).collect()
    }

    /// Files in the temp dir (writes in progress or abandoned).
    pub fn temp_files(&self) -> Vec<PathBuf> {
        files_under(&self.data_dir.join("tmp"))
    }

    /// The SQLite catalog file (unused when the catalog is on PostgreSQL).
    pub fn catalog_path(&self) -> PathBuf {
        self.data_dir.join("depot.db")
    }

    /// Blob ids the catalog refers to (object versions and multipart parts), read on a
    /// connection of its own.
    pub async fn referenced_blob_ids(&self) -> BTreeSet<String> {
        referenced_blob_ids(self.catalog_reader().await).await
    }

    /// The drives the catalog records as holding each blob (`blob_copies`), read on a
    /// connection of its own: blob id → drive ids.
    pub async fn recorded_blob_copies(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut db = self.catalog_reader().await;
        let rows = sqlx::query("SELECT blob_id, drive_id FROM blob_copies").fetch_all(&mut db).await.expect("read blob copies");
        let _ = db.close().await;
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for row in rows {
            out.entry(row.get("blob_id")).or_default().insert(row.get("drive_id"));
        }
        out
    }

    /// The blob of each live object of `bucket` whose data is one blob (inline and
    /// multipart objects left out): key → (blob id, size), read on a connection of its own.
    pub async fn object_blobs(&self, bucket: &str) -> BTreeMap<String, (String, u64)> {
        let mut db = self.catalog_reader().await;
        let rows = sqlx::query(
            "SELECT o.key AS key, p.blob_id AS blob_id, p.size AS size FROM objects o JOIN buckets b ON b.id = o.bucket_id \
             JOIN object_parts p ON p.object_id = o.id \
             WHERE b.name = $1 AND o.is_latest = 1 AND o.is_delete_marker = 0 AND p.blob_id IS NOT NULL \
             AND (SELECT COUNT(*) FROM object_parts q WHERE q.object_id = o.id) = 1",
        )
        .bind(bucket)
        .fetch_all(&mut db)
        .await
        .expect("read object blobs");
        let _ = db.close().await;
        rows.iter().map(|r| (r.get::<String, _>("key"), (r.get::<String, _>("blob_id"), r.get::<i64, _>("size") as u64))).collect()
    }

    /// Runs `depot fsck` on this server's data dir and catalog database with its
    /// settings: the exit code and what it printed.
    pub fn fsck(&self) -> (i32, String) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_depot"));
        command.arg("fsck").arg("--data-dir").arg(&self.data_dir).env("DEPOT_LOG_LEVEL", "warn").stdin(Stdio::null());
        self.set_database(&mut command);
        for (name, value) in &self.settings {
            command.env(name, value);
        }
        let out = command.output().expect("run depot fsck");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.code().unwrap_or(-1), text)
    }
}

impl Drop for Depot {
    fn drop(&mut self) {
        let running = self.process.is_some();
        self.kill();
        if running && std::thread::panicking() {
            eprintln!("---- last lines of the depot log ----\n{}\n----", self.log_tail(30));
        }
    }
}

/// An SDK client for the root user: path-style, no retries (every answer counts), and
/// an operation timeout so that a hung server fails the test instead of stalling it.
pub fn sdk_client(endpoint: &str) -> Client {
    sdk_client_as(endpoint, ACCESS_KEY, SECRET_KEY, None)
}

/// [`sdk_client`] with other credentials (a user's key, a session's key and token).
pub fn sdk_client_as(endpoint: &str, access_key: &str, secret_key: &str, session_token: Option<&str>) -> Client {
    let credentials = Credentials::new(access_key, secret_key, session_token.map(str::to_owned), None, "depot-faults");
    let config = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
        .force_path_style(true)
        .retry_config(RetryConfig::disabled())
        .timeout_config(TimeoutConfig::builder().operation_timeout(Duration::from_secs(120)).build())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    Client::from_conf(config)
}

/// How a request ended: acknowledged (2xx), refused with a status, or without an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Acked,
    Status(u16),
    NoAnswer,
}

impl Outcome {
    pub fn of<T, E>(result: &Result<T, SdkError<E, HttpResponse>>) -> Outcome {
        match result {
            Ok(_) => Outcome::Acked,
            Err(e) => e.raw_response().map(|r| Outcome::Status(r.status().as_u16())).unwrap_or(Outcome::NoAnswer),
        }
    }

    pub fn is_acked(self) -> bool {
        self == Outcome::Acked
    }
}

/// PutObject; the outcome.
pub async fn put(client: &Client, bucket: &str, key: &str, body: Vec<u8>) -> Outcome {
    Outcome::of(&client.put_object().bucket(bucket).key(key).body(ByteStream::from(body)).send().await)
}

/// GetObject; the body, or the status it was refused with (0: no answer).
pub async fn get(client: &Client, bucket: &str, key: &str) -> Result<Vec<u8>, u16> {
    match client.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => out.body.collect().await.map(|b| b.into_bytes().to_vec()).map_err(|_| 0),
        Err(e) => Err(e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0)),
    }
}

/// Every key of a bucket (ListObjectsV2, all pages).
pub async fn list_keys(client: &Client, bucket: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut pages = client.list_objects_v2().bucket(bucket).into_paginator().send();
    while let Some(page) = pages.next().await {
        keys.extend(page.expect("list objects").contents().iter().filter_map(|o| o.key().map(str::to_owned)));
    }
    keys
}

/// Deterministic, incompressible bytes: the same `seed` and `len` give the same body.
pub fn body(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// A connection of its own to a catalog: the PostgreSQL database at `database_url`, or
/// read-only the SQLite catalog in `data_dir`.
pub async fn open_catalog(database_url: Option<String>, data_dir: &Path) -> AnyConnection {
    sqlx::any::install_default_drivers();
    let url = database_url.unwrap_or_else(|| format!("sqlite://{}?mode=ro", data_dir.join("depot.db").display()));
    AnyConnection::connect(&url).await.unwrap_or_else(|e| panic!("open the catalog {url} for reading: {e}"))
}

/// Blob ids the catalog on `db` refers to (object versions and multipart parts); closes
/// the connection.
pub async fn referenced_blob_ids(mut db: AnyConnection) -> BTreeSet<String> {
    let rows = sqlx::query("SELECT blob_id FROM object_parts WHERE blob_id IS NOT NULL UNION SELECT blob_id FROM upload_parts")
        .fetch_all(&mut db)
        .await
        .expect("read blob references");
    let _ = db.close().await;
    rows.iter().map(|r| r.get::<String, _>("blob_id")).collect()
}
