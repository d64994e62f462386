//! Starting tansu, the Kafka-protocol broker the tests run (topics in memory, on
//! 127.0.0.1), shared by the test binaries that need one (`#[path]` in their `main.rs`:
//! test binaries share no modules otherwise). Each binary wraps it in its own `Broker`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// `tansu` on PATH or in ~/.cargo/bin; `./scripts/test.sh --only setup` installs it.
pub fn binary() -> PathBuf {
    let on_path =
        std::env::var_os("PATH").into_iter().flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).map(|d| d.join("tansu")).find(|p| p.is_file());
    let in_cargo = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin/tansu")).filter(|p| p.is_file());
    on_path.or(in_cargo).unwrap_or_else(|| {
        panic!("the Kafka tests need the tansu broker: `cargo install tansu --locked --features dynostore,postgres` (not found on PATH or in ~/.cargo/bin)")
    })
}

/// A port free on 127.0.0.1 now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// Starts a broker listening (soon) on 127.0.0.1:`port`, its output discarded.
pub fn spawn(port: u16) -> Child {
    let url = format!("tcp://127.0.0.1:{port}");
    Command::new(binary())
        .args(["broker", "--listener-url", &url, "--advertised-listener-url", &url, "--storage-engine", "memory://tansu/"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tansu")
}
