//! The Depot server under test, run as a child process of the load benchmark so that
//! /proc shows its CPU time and memory apart from the client's: `<bin> serve --addr
//! 127.0.0.1:<free port> --data-dir <dir> --log-level warn [extra args]`, with generated
//! root credentials in `DEPOT_ROOT_ACCESS_KEY` / `DEPOT_ROOT_SECRET_KEY`, its output in
//! a log file beside the data dir. Killed and reaped when dropped: at the end, on an
//! error and on a panic.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long the server may take to answer `GET /_depot/health`.
const START_TIMEOUT: Duration = Duration::from_secs(30);

pub struct ChildServer {
    child: Child,
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
    log: PathBuf,
}

impl ChildServer {
    /// Starts `bin` on a fresh data dir `<work_dir>/server` and waits until it answers.
    pub async fn start(bin: &Path, work_dir: &Path, extra_args: &[String]) -> Result<ChildServer, String> {
        if !bin.is_file() {
            return Err(format!(
                "no server binary at {}: run `cargo build --release --bin depot` first, or pass --server-bin PATH (or --endpoint URL to measure a running server)",
                bin.display()
            ));
        }
        let data_dir = work_dir.join("server");
        std::fs::create_dir_all(&data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        let log = work_dir.join("server.log");
        let log_file = File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let log_file_too = log_file.try_clone().map_err(|e| e.to_string())?;
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| format!("no free port: {e}"))?.port();
        let addr = format!("127.0.0.1:{port}");
        let access_key = format!("DPBN{}", uuid::Uuid::new_v4().simple().to_string()[..16].to_uppercase());
        let secret_key = format!("{}{}", uuid::Uuid::new_v4().simple(), &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let child = Command::new(bin)
            .arg("serve")
            .args(["--addr", &addr])
            .arg("--data-dir")
            .arg(&data_dir)
            .args(["--log-level", "warn"])
            .args(extra_args)
            .env("DEPOT_ROOT_ACCESS_KEY", &access_key)
            .env("DEPOT_ROOT_SECRET_KEY", &secret_key)
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_file_too)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        // From here on, dropping `server` kills the child.
        let mut server = ChildServer { child, endpoint: format!("http://{addr}"), access_key, secret_key, log };
        server.wait_until_up(&addr).await?;
        Ok(server)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last `lines` lines of the server's output.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// The server's warnings, errors and panics so far.
    pub fn log_problems(&self) -> Vec<String> {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        log.lines().filter(|l| l.contains(" WARN ") || l.contains(" ERROR ") || l.contains("panicked")).map(str::to_owned).collect()
    }

    async fn wait_until_up(&mut self, addr: &str) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("the server exited ({status}) before answering; its output:\n{}", self.log_tail(30)));
            }
            if answers_health(addr).await {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("the server did not answer on {addr} within {} s; its output:\n{}", START_TIMEOUT.as_secs(), self.log_tail(30)));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether an HTTP server answers `GET /_depot/health` on `addr` (any status: a degraded
/// server still serves).
async fn answers_health(addr: &str) -> bool {
    let attempt = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
        stream.write_all(format!("GET /_depot/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes()).await.ok()?;
        let mut start = [0u8; 7];
        stream.read_exact(&mut start).await.ok()?;
        Some(&start == b"HTTP/1.")
    };
    matches!(tokio::time::timeout(Duration::from_secs(2), attempt).await, Ok(Some(true)))
}
