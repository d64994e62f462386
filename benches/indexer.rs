//! Indexer benchmark (`cargo bench --bench indexer`): for SQLite with the in-process
//! transport, and for PostgreSQL with Kafka when `DEPOT_BENCH_DATABASE_URL` (or
//! `DEPOT_TEST_DATABASE_URL`) names a PostgreSQL server and `tansu` is installed:
//!
//! - throughput: events written to the outbox in one transaction, timed until all are
//!   indexed (relay → [Kafka →] indexer), in events per second;
//! - end-to-end lag: PutObject through the SDK, timed until the object is searchable.
//!
//! Everything runs on 127.0.0.1 and stops by itself; the broker and the database it
//! creates are removed at the end.

// Test and benchmark code may unwrap: a failure there is the report.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_sdk_s3::config::Region;
use depot::auth::root::RootCredentials;
use depot::config::{Secret, ServeConfig};
use depot::events::Event;
use depot::indexer::search::{search, SearchQuery};
use depot::server::RunningServer;
use serde_json::json;
use sqlx::Connection;

const EVENTS: usize = 20_000;
const KEYS: usize = 5_000;
const PUTS: usize = 100;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        println!("indexer benchmark: {EVENTS} events over {KEYS} keys; lag over {PUTS} PutObjects");
        let dir = tempfile::tempdir().expect("temp dir");
        let config = ServeConfig::with_data_dir(dir.path().to_path_buf());
        bench("sqlite/in-process", config).await;

        let pg = std::env::var("DEPOT_BENCH_DATABASE_URL").or_else(|_| std::env::var("DEPOT_TEST_DATABASE_URL")).ok().filter(|u| u.starts_with("postgres"));
        let Some(admin_url) = pg else {
            println!("postgres/kafka: skipped (set DEPOT_BENCH_DATABASE_URL=postgres://…)");
            return;
        };
        let Some(tansu) = tansu() else {
            println!("postgres/kafka: skipped (tansu not installed)");
            return;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let broker = Broker::start(&tansu, port).await;
        let name = format!("depot_bench_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url).await.expect("connect to PostgreSQL");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create database");
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = ServeConfig::with_data_dir(dir.path().to_path_buf());
        let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(b, _)| b);
        config.database_url = Some(Secret::new(format!("{base}/{name}")));
        config.events.kafka_brokers = Some(format!("127.0.0.1:{port}"));
        bench("postgres/kafka", config).await;
        drop(broker);
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await;
    });
}

async fn bench(label: &str, mut config: ServeConfig) {
    config.addr = "127.0.0.1:0".parse().expect("addr");
    config.log_level = "warn".into();
    let root = RootCredentials { access_key_id: "DPRTBENCHROOTKEY0001".into(), secret_access_key: "bench-root-secret-key-000000000000000000".into() };
    let server = depot::server::start(config, Some(root.clone())).await.expect("server starts");
    let rate = throughput(&server).await;
    println!("{label}: indexer throughput {rate:.0} events/s");
    let mut lags = lag(&server, &root).await;
    lags.sort();
    let pct = |p: f64| lags[((lags.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0;
    println!("{label}: PutObject → searchable lag p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms", pct(0.5), pct(0.95), pct(1.0));
    server.shutdown().await;
}

/// Writes `EVENTS` object events into the outbox at once and times until all are indexed.
async fn throughput(server: &RunningServer) -> f64 {
    let catalog = &server.state().catalog;
    let mut tx = catalog.begin().await.expect("begin");
    for i in 0..EVENTS {
        let key = format!("bench/{:05}", i % KEYS);
        let doc = json!({
            "eventId": uuid::Uuid::new_v4().to_string(), "schemaVersion": 1, "type": "OBJECT_CREATED", "eventName": "ObjectCreated:Put",
            "time": "2024-05-01T00:00:00Z", "principal": "bench", "bucket": "bench-synthetic", "bucketOwner": "bench",
            "region": "us-east-1", "requestId": "r", "sourceIp": "127.0.0.1", "key": key,
            "object": {
                "key": key, "versionId": null, "versionSeq": 1_000_000_000 + i as i64, "isLatest": true, "isDeleteMarker": false,
                "size": i as i64, "eTag": "e", "contentType": "application/octet-stream", "lastModified": 1, "owner": "bench",
                "userMetadata": {"description": format!("object number {i}")}, "tags": {"n": (i % 10).to_string()}, "acl": null
            },
            "sequencer": "",
        });
        let event: Event = serde_json::from_value(doc).expect("event");
        event.record(&mut tx).await.expect("append");
    }
    let started = Instant::now();
    tx.commit().await.expect("commit");
    loop {
        let lag = catalog.outbox_lag().await.expect("lag");
        if lag.unindexed == 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "indexing did not finish");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    EVENTS as f64 / started.elapsed().as_secs_f64()
}

/// PutObject, then poll the index until the key is found.
async fn lag(server: &RunningServer, root: &RootCredentials) -> Vec<Duration> {
    let endpoint = format!("http://{}", server.local_addr());
    let credentials = Credentials::new(&root.access_key_id, &root.secret_access_key, None, None, "bench");
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .region(Region::new("us-east-1"))
        .endpoint_url(&endpoint)
        .credentials_provider(credentials)
        .force_path_style(true)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    let client = aws_sdk_s3::Client::from_conf(conf);
    client.create_bucket().bucket("bench-lag").send().await.expect("bucket");
    let catalog = &server.state().catalog;
    let mut lags = Vec::with_capacity(PUTS);
    for i in 0..PUTS {
        let key = format!("lag/{i:04}");
        let started = Instant::now();
        client.put_object().bucket("bench-lag").key(&key).body(b"lag probe".to_vec().into()).send().await.expect("put");
        let query = SearchQuery { bucket: Some("bench-lag".into()), prefix: Some(key.clone()), limit: 1, ..SearchQuery::default() };
        loop {
            if !search(catalog, &query).await.expect("search").hits.is_empty() {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "object never became searchable");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        lags.push(started.elapsed());
    }
    lags
}

fn tansu() -> Option<PathBuf> {
    let on_path =
        std::env::var_os("PATH").into_iter().flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).map(|d| d.join("tansu")).find(|p| p.is_file());
    on_path.or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin/tansu")).filter(|p| p.is_file()))
}

/// A tansu broker, killed on drop.
struct Broker(Child);

impl Broker {
    async fn start(tansu: &PathBuf, port: u16) -> Broker {
        let url = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(tansu)
            .args(["broker", "--listener-url", &url, "--advertised-listener-url", &url, "--storage-engine", "memory://tansu/"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tansu");
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "tansu did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Broker(child)
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
