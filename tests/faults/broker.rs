//! A Kafka-protocol broker for the fault tests: tansu, keeping topics in memory, started
//! on a free 127.0.0.1 port and killed (and reaped) when dropped, on panic too. The api
//! tests have their own copy (`tests/api/events_support.rs`): test binaries share no
//! modules.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running tansu broker.
pub struct Broker {
    child: Option<Child>,
    pub port: u16,
}

/// `tansu` on PATH or in ~/.cargo/bin; `./scripts/test.sh --only setup` installs it.
fn tansu_binary() -> PathBuf {
    let on_path =
        std::env::var_os("PATH").into_iter().flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).map(|d| d.join("tansu")).find(|p| p.is_file());
    let in_cargo = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin/tansu")).filter(|p| p.is_file());
    on_path.or(in_cargo).unwrap_or_else(|| {
        panic!("this test needs the tansu broker: `cargo install tansu --locked --features dynostore,postgres` (not found on PATH or in ~/.cargo/bin)")
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

impl Broker {
    /// Starts a broker and waits until it accepts connections.
    pub async fn start() -> Broker {
        let port = free_port();
        let url = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(tansu_binary())
            .args(["broker", "--listener-url", &url, "--advertised-listener-url", &url, "--storage-engine", "memory://tansu/"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tansu");
        let mut broker = Broker { child: Some(child), port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            if let Some(status) = broker.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                broker.child = None;
                panic!("tansu exited before listening on {port}: {status}");
            }
            assert!(Instant::now() < deadline, "tansu did not listen on 127.0.0.1:{port} within 20 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        broker
    }

    /// `127.0.0.1:PORT`, for `DEPOT_KAFKA_BROKERS`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The `DEPOT_*` settings that make a server publish to and index from this broker,
    /// on a topic and consumer group unique to the caller: give the same settings to
    /// every node of a cluster.
    pub fn settings(&self) -> Vec<(String, String)> {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        vec![
            ("DEPOT_KAFKA_BROKERS".to_owned(), self.addr()),
            ("DEPOT_KAFKA_TOPIC".to_owned(), format!("depot.events.{unique}")),
            ("DEPOT_KAFKA_GROUP".to_owned(), format!("depot-indexer-{unique}")),
            ("DEPOT_KAFKA_MESSAGE_TIMEOUT_MS".to_owned(), "3000".to_owned()),
        ]
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
