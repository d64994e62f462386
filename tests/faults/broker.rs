//! A Kafka-protocol broker for the fault tests: tansu (started by `tests/shared/tansu.rs`,
//! which the api tests use too), keeping topics in memory, on a free 127.0.0.1 port,
//! killed (and reaped) when dropped, on panic too.

use std::process::Child;
use std::time::{Duration, Instant};

/// A running tansu broker.
pub struct Broker {
    child: Option<Child>,
    pub port: u16,
}

impl Broker {
    /// Starts a broker and waits until it accepts connections.
    pub async fn start() -> Broker {
        let port = crate::tansu::free_port();
        let child = crate::tansu::spawn(port);
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
