//! Support for the event, search and statistics tests: a real Kafka-protocol broker
//! (tansu) started on a free port per test and killed when dropped, a consumer reading
//! the topic, signed calls to the JSON API, waiting with a deadline, and snapshots of
//! the index and of the catalog's own counts.

use std::future::Future;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use depot::config::ServeConfig;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;
use serde_json::Value;
use sqlx::Row;

use crate::common::TestApp;

/// A tansu broker keeping topics in memory. Killed (and reaped) on drop.
pub struct Broker {
    child: Option<Child>,
    pub port: u16,
}

impl Broker {
    pub async fn start() -> Broker {
        let mut broker = Broker { child: None, port: crate::tansu::free_port() };
        broker.spawn().await;
        broker
    }

    async fn spawn(&mut self) {
        let child = crate::tansu::spawn(self.port);
        self.child = Some(child);
        let port = self.port;
        eventually(
            "the broker to listen",
            Duration::from_secs(20),
            || async move { tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok().map(|_| ()) },
        )
        .await;
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running broker").id().to_string();
        let status = Command::new("kill").args([signal, &pid]).status().expect("kill");
        assert!(status.success(), "kill {signal} {pid}");
    }

    /// Stops the broker process (SIGSTOP): connections hang, nothing is answered, and
    /// its state survives for [`Broker::resume`].
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    pub fn resume(&self) {
        self.signal("-CONT");
    }

    /// Configures a server to publish to this broker, on a topic and group of its own.
    pub fn configure(&self, config: &mut ServeConfig) {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        config.events.kafka_brokers = Some(self.addr());
        config.events.kafka_topic = format!("depot.events.{unique}");
        config.events.kafka_group = format!("depot-indexer-{unique}");
        config.events.kafka_message_timeout_ms = 3000;
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // A stopped process must be continued to die promptly on some systems.
            let _ = Command::new("kill").args(["-CONT", &child.id().to_string()]).status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Polls `check` every 50 ms until it yields a value; panics after `deadline`.
pub async fn eventually<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let end = Instant::now() + deadline;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < end, "timed out after {deadline:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Reads messages of `topic` from the beginning until `count` arrived (or `deadline`).
pub async fn consume(brokers: &str, topic: &str, count: usize, deadline: Duration) -> Vec<(Option<String>, Value)> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("depot-test-{}", uuid::Uuid::new_v4().simple()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("test consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let mut out = Vec::new();
    let end = Instant::now() + deadline;
    while out.len() < count && Instant::now() < end {
        if let Ok(Ok(m)) = tokio::time::timeout(Duration::from_millis(500), consumer.recv()).await {
            let key = m.key().map(|k| String::from_utf8_lossy(k).into_owned());
            let doc: Value = serde_json::from_slice(m.payload().unwrap_or_default()).expect("every message is one JSON document");
            out.push((key, doc));
        }
    }
    tokio::task::spawn_blocking(move || drop(consumer)).await.expect("drop consumer");
    out
}

/// Runs a test body against a server in embedded mode and, with a broker, in Kafka mode.
pub enum Mode {
    Embedded,
    Kafka,
}

/// A server in `mode`, with the broker it uses (kept alive by the caller).
pub async fn app_in(mode: Mode) -> (TestApp, Option<Broker>) {
    match mode {
        Mode::Embedded => (TestApp::start().await, None),
        Mode::Kafka => {
            let broker = Broker::start().await;
            let app = TestApp::start_with(|c| broker.configure(c)).await;
            (app, Some(broker))
        }
    }
}

/// A signed GET of the JSON API as `(access key, secret)`; returns status and JSON.
pub async fn api_get_as(app: &TestApp, path_and_query: &str, key: &str, secret: &str) -> (u16, Value) {
    let resp = app.raw("GET", path_and_query).sign(key, secret).send().await;
    let body = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
    (resp.status, body)
}

/// A signed GET of the JSON API as root.
pub async fn api_get(app: &TestApp, path_and_query: &str) -> (u16, Value) {
    api_get_as(app, path_and_query, &app.root.access_key_id.clone(), &app.root.secret_access_key.clone()).await
}

/// Waits until every event written so far is indexed (health reports no lag).
pub async fn wait_indexed(app: &TestApp) {
    eventually("the indexer to catch up", Duration::from_secs(60), || async {
        let lag = app.state().catalog.outbox_lag().await.ok()?;
        (lag.unindexed == 0 && lag.unsent == 0).then_some(())
    })
    .await;
}

/// Keys of a search's results, in order.
pub fn keys(results: &Value) -> Vec<String> {
    results["results"].as_array().map(|a| a.iter().filter_map(|r| r["key"].as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

/// Every row of the index tables, as text, in a stable order.
pub async fn index_snapshot(app: &TestApp) -> Vec<String> {
    let pool = app.state().catalog.reader();
    let mut out = Vec::new();
    for sql in [
        "SELECT version_seq, bucket, key, version_id, is_latest, is_delete_marker, removed, size, etag, content_type, description, tags, state_seq FROM index_versions ORDER BY version_seq",
        "SELECT version_seq, tag_key, tag_value FROM index_tags ORDER BY version_seq, tag_key",
        "SELECT bucket, objects, bytes, versions, version_bytes FROM index_bucket_stats ORDER BY bucket",
        "SELECT name, owner_id, versioning, deleted, seq FROM index_buckets ORDER BY name",
    ] {
        for row in sqlx::query(sql).fetch_all(pool).await.expect("snapshot query") {
            let cells: Vec<String> = (0..row.len())
                .map(|i| {
                    row.try_get::<Option<i64>, _>(i)
                        .map(|v| format!("{v:?}"))
                        .or_else(|_| row.try_get::<Option<String>, _>(i).map(|v| format!("{v:?}")))
                        .unwrap_or_else(|_| "?".into())
                })
                .collect();
            out.push(cells.join("|"));
        }
    }
    out
}

/// The catalog's own counts per bucket: (objects, bytes, versions, version_bytes, multipart bytes).
pub async fn catalog_counts(app: &TestApp) -> std::collections::BTreeMap<String, (i64, i64, i64, i64, i64)> {
    let pool = app.state().catalog.reader();
    let mut out = std::collections::BTreeMap::new();
    let rows = sqlx::query(
        "SELECT b.name AS name, \
         CAST(COALESCE(SUM(CASE WHEN o.is_latest = 1 AND o.is_delete_marker = 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS objects, \
         CAST(COALESCE(SUM(CASE WHEN o.is_latest = 1 AND o.is_delete_marker = 0 THEN o.size ELSE 0 END), 0) AS BIGINT) AS bytes, \
         COUNT(o.id) AS versions, CAST(COALESCE(SUM(o.size), 0) AS BIGINT) AS version_bytes \
         FROM buckets b LEFT JOIN objects o ON o.bucket_id = b.id GROUP BY b.name",
    )
    .fetch_all(pool)
    .await
    .expect("catalog counts");
    for row in rows {
        let name: String = row.get("name");
        out.insert(name, (row.get("objects"), row.get("bytes"), row.get("versions"), row.get("version_bytes"), 0));
    }
    let rows = sqlx::query(
        "SELECT b.name AS name, CAST(COALESCE(SUM(p.size), 0) AS BIGINT) AS bytes FROM uploads u \
         JOIN buckets b ON b.id = u.bucket_id JOIN upload_parts p ON p.upload_id = u.upload_id GROUP BY b.name",
    )
    .fetch_all(pool)
    .await
    .expect("multipart counts");
    for row in rows {
        let name: String = row.get("name");
        if let Some(entry) = out.get_mut(&name) {
            entry.4 = row.get("bytes");
        }
    }
    out
}

/// The same counts as `/_depot/stats` reports them.
pub fn stats_counts(stats: &Value) -> std::collections::BTreeMap<String, (i64, i64, i64, i64, i64)> {
    stats["buckets"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|b| {
                    let n = |f: &str| b[f].as_i64().unwrap_or(-1);
                    (b["name"].as_str().unwrap_or("").to_owned(), (n("objects"), n("bytes"), n("versions"), n("version_bytes"), n("multipart_bytes")))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Turns versioning on for a bucket: through S3 when the server implements
/// PutBucketVersioning, else as its handler does (catalog change plus BUCKET_UPDATED).
pub async fn enable_versioning(app: &TestApp, bucket: &str) {
    use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
    let config = VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
    if app.client.put_bucket_versioning().bucket(bucket).versioning_configuration(config).send().await.is_ok() {
        return;
    }
    let catalog = &app.state().catalog;
    let mut tx = catalog.begin().await.expect("begin");
    let mut b = tx.bucket(bucket).await.expect("bucket").expect("bucket exists");
    tx.set_bucket_versioning(b.id, depot::catalog::Versioning::Enabled).await.expect("set versioning");
    b.versioning = depot::catalog::Versioning::Enabled;
    let ctx = depot::events::EventContext { principal: "test".into(), request_id: "test".into(), source_ip: "127.0.0.1".into(), region: "us-east-1".into() };
    depot::events::Event::for_bucket(&ctx, depot::events::EventType::BucketUpdated, "BucketVersioning:Put", &b).record(&mut tx).await.expect("record");
    tx.commit().await.expect("commit");
}
