//! Events end to end: what lands on the Kafka topic (the documented schema, one JSON
//! document per message, keyed by bucket/key), redelivery and replay changing nothing,
//! a broker stopped during a write burst, and a consumer-group member that never indexes
//! what it reads.

use std::sync::Arc;
use std::time::Duration;

use depot::events::Event;
use depot::indexer::parse_event;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::Value;

use crate::common::TestApp;
use crate::events_support::{api_get, app_in, consume, enable_versioning, eventually, index_snapshot, keys, wait_indexed, Broker, Mode};

fn record(doc: &Value) -> &Value {
    let records = doc["Records"].as_array().expect("Records array");
    assert_eq!(records.len(), 1, "one record per message");
    &records[0]
}

fn by_name<'a>(docs: &'a [(Option<String>, Value)], event_name: &str) -> &'a (Option<String>, Value) {
    docs.iter()
        .find(|(_, d)| d["eventName"] == event_name)
        .unwrap_or_else(|| panic!("no {event_name} event among {:?}", docs.iter().map(|(_, d)| &d["eventName"]).collect::<Vec<_>>()))
}

/// The `event_name` event of `key`: events of different keys may sit on different
/// partitions, which a consumer reads in no particular order between them.
fn by_name_and_key<'a>(docs: &'a [(Option<String>, Value)], event_name: &str, key: &str) -> &'a (Option<String>, Value) {
    docs.iter()
        .find(|(_, d)| d["eventName"] == event_name && d["key"] == key)
        .unwrap_or_else(|| panic!("no {event_name} event of {key} among {:?}", docs.iter().map(|(_, d)| (&d["eventName"], &d["key"])).collect::<Vec<_>>()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_on_the_topic_follow_the_documented_schema() {
    let broker = Broker::start().await;
    let mut topic = String::new();
    let app = TestApp::start_with(|c| {
        broker.configure(c);
        topic = c.events.kafka_topic.clone();
    })
    .await;
    app.bucket("evt").await;
    app.client
        .put_object()
        .bucket("evt")
        .key("docs/a b+c.txt")
        .content_type("text/plain")
        .metadata("description", "Quarterly report")
        .tagging("team=blue&draft=yes")
        .body(b"hello events".to_vec().into())
        .send()
        .await
        .unwrap();
    app.client
        .copy_object()
        .bucket("evt")
        .key("docs/a b+c.txt")
        .copy_source("evt/docs/a%20b%2Bc.txt")
        .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
        .metadata("description", "Final report")
        .send()
        .await
        .unwrap();
    app.client.delete_object().bucket("evt").key("docs/a b+c.txt").send().await.unwrap();
    enable_versioning(&app, "evt").await;
    app.put("evt", "v.txt", b"v1".to_vec()).await;
    let marker = app.client.delete_object().bucket("evt").key("v.txt").send().await.unwrap();
    let marker_id = marker.version_id().expect("marker version").to_owned();
    // Remove every version so that the bucket can go: the marker, then the object.
    app.client.delete_object().bucket("evt").key("v.txt").version_id(&marker_id).send().await.unwrap();
    let latest = app.state().catalog.latest_version(app.state().catalog.bucket("evt").await.unwrap().unwrap().id, "v.txt").await.unwrap().unwrap();
    app.client.delete_object().bucket("evt").key("v.txt").version_id(&latest.version_id).send().await.unwrap();
    app.client.delete_bucket().bucket("evt").send().await.unwrap();

    let docs = consume(&broker.addr(), &topic, 10, Duration::from_secs(60)).await;
    assert_eq!(docs.len(), 10, "one message per change: {:?}", docs.iter().map(|(_, d)| &d["eventName"]).collect::<Vec<_>>());

    // Every message: Depot's fields beside one AWS record.
    for (key, doc) in &docs {
        assert!(uuid::Uuid::parse_str(doc["eventId"].as_str().unwrap()).is_ok(), "eventId is a UUID");
        assert_eq!(doc["schemaVersion"], 1);
        assert!(chrono::DateTime::parse_from_rfc3339(doc["time"].as_str().unwrap()).is_ok());
        assert_eq!(doc["bucket"], "evt");
        assert!(doc["principal"].as_str().is_some_and(|p| !p.is_empty()));
        let r = record(doc);
        assert_eq!(r["eventVersion"], "2.1");
        assert_eq!(r["eventSource"], "aws:s3");
        assert_eq!(r["awsRegion"], "us-east-1");
        assert_eq!(r["eventName"], doc["eventName"]);
        assert!(r["eventTime"].as_str().unwrap().ends_with('Z'));
        assert_eq!(r["s3"]["s3SchemaVersion"], "1.0");
        assert_eq!(r["s3"]["bucket"]["name"], "evt");
        assert_eq!(r["s3"]["bucket"]["arn"], "arn:aws:s3:::evt");
        let sequencer = r["s3"]["object"]["sequencer"].as_str().unwrap();
        assert!(sequencer.len() == 16 && sequencer.chars().all(|c| c.is_ascii_hexdigit()), "{sequencer}");
        assert_eq!(doc["sequencer"].as_str(), Some(sequencer));
        let expected_key = match doc["key"].as_str() {
            Some(k) => format!("evt/{k}"),
            None => "evt".to_owned(),
        };
        assert_eq!(key.as_deref(), Some(expected_key.as_str()), "message key");
        parse_event(serde_json::to_string(doc).unwrap().as_bytes()).expect("the indexer reads every message");
    }

    let (_, created) = by_name(&docs, "BucketCreated");
    assert_eq!(created["type"], "BUCKET_CREATED");
    assert_eq!(created["key"], Value::Null);
    let (_, updated) = by_name(&docs, "BucketVersioning:Put");
    assert_eq!(updated["type"], "BUCKET_UPDATED");
    assert_eq!(updated["bucketState"]["versioning"], "Enabled");
    let (_, removed_bucket) = by_name(&docs, "BucketRemoved");
    assert_eq!(removed_bucket["type"], "BUCKET_DELETED");

    let (_, put) = by_name_and_key(&docs, "ObjectCreated:Put", "docs/a b+c.txt");
    assert_eq!(put["type"], "OBJECT_CREATED");
    assert_eq!(put["key"], "docs/a b+c.txt");
    assert_eq!(put["size"], 12);
    let md5 = <md5::Md5 as md5::Digest>::digest(b"hello events");
    assert_eq!(put["eTag"], hex::encode(md5), "eTag without quotes");
    assert_eq!(put["contentType"], "text/plain");
    assert_eq!(put["userMetadata"]["description"], "Quarterly report");
    assert_eq!(put["tags"]["team"], "blue");
    assert_eq!(put["versionId"], Value::Null, "no version id before versioning");
    assert!(put["object"]["versionSeq"].as_i64().unwrap() > 0);
    let r = record(put);
    assert_eq!(r["s3"]["object"]["key"], "docs/a+b%2Bc.txt", "form-URL-encoded key");
    assert_eq!(r["s3"]["object"]["size"], 12);
    assert_eq!(r["s3"]["object"]["eTag"], put["eTag"]);

    let (_, copy) = by_name(&docs, "ObjectCreated:Copy");
    assert_eq!(copy["type"], "OBJECT_UPDATED");
    assert_eq!(copy["userMetadata"]["description"], "Final report");
    let (_, delete) = by_name(&docs, "ObjectRemoved:Delete");
    assert_eq!(delete["type"], "OBJECT_DELETED");
    let (_, marker_doc) = by_name(&docs, "ObjectRemoved:DeleteMarkerCreated");
    assert_eq!(marker_doc["type"], "OBJECT_DELETED");
    assert_eq!(marker_doc["versionId"], marker_id.as_str());
    assert_eq!(record(marker_doc)["s3"]["object"]["versionId"], marker_id.as_str());

    // Sequencers grow along one key's events.
    let seqs: Vec<&str> = docs.iter().filter(|(_, d)| d["key"] == "docs/a b+c.txt").map(|(_, d)| d["sequencer"].as_str().unwrap()).collect();
    let mut sorted = seqs.clone();
    sorted.sort();
    assert_eq!(seqs, sorted, "one key's events arrive in order");
    app.shutdown().await;
}

/// Re-delivers every event of the outbox (embedded) or the topic (Kafka) and checks that
/// index and statistics do not change.
async fn duplicates_change_nothing(mode: Mode) {
    let kafka = matches!(mode, Mode::Kafka);
    let (app, broker) = app_in(mode).await;
    app.bucket("dup").await;
    for i in 0..5 {
        app.put("dup", &format!("k{i}"), vec![b'x'; i * 10]).await;
    }
    app.put("dup", "k1", b"overwritten".to_vec()).await;
    app.client.delete_object().bucket("dup").key("k2").send().await.unwrap();
    wait_indexed(&app).await;
    let before = index_snapshot(&app).await;
    let (_, stats_before) = api_get(&app, "/_depot/stats").await;
    let metrics = &app.state().events.metrics;
    let duplicates_before = depot::events::EventMetrics::get(&metrics.duplicates);

    let payloads: Vec<String> =
        sqlx::query_scalar::<_, String>("SELECT payload FROM outbox ORDER BY id").fetch_all(app.state().catalog.reader()).await.unwrap();
    let ids: Vec<i64> = sqlx::query_scalar::<_, i64>("SELECT id FROM outbox ORDER BY id").fetch_all(app.state().catalog.reader()).await.unwrap();
    let events: Vec<Event> = payloads
        .iter()
        .zip(&ids)
        .map(|(p, id)| {
            let mut e = parse_event(p.as_bytes()).unwrap();
            e.sequencer = Event::sequencer_for(*id);
            e
        })
        .collect();
    assert_eq!(events.len(), 8);
    if let Some(broker) = &broker {
        // Publish every event a second time, as a relay retrying after a lost ack would.
        let producer: FutureProducer = ClientConfig::new().set("bootstrap.servers", broker.addr()).create().unwrap();
        for e in &events {
            let doc = e.to_document().to_string();
            producer.send(FutureRecord::to(&app.state().events.config.kafka_topic).key(&e.message_key()).payload(&doc), Duration::from_secs(5)).await.unwrap();
        }
    } else {
        // In-process: the same events through the same indexer, twice more.
        let indexer = depot::indexer::Indexer::new(app.state().catalog.clone(), metrics.clone());
        indexer.apply(&events).await.unwrap();
        indexer.apply(&events[3..]).await.unwrap();
    }
    let expected = if kafka { 8 } else { 13 };
    eventually("the duplicates to be seen", Duration::from_secs(30), || async {
        (depot::events::EventMetrics::get(&metrics.duplicates) >= duplicates_before + expected).then_some(())
    })
    .await;
    assert_eq!(index_snapshot(&app).await, before, "redelivered events left the index unchanged");
    assert_eq!(api_get(&app, "/_depot/stats").await.1, stats_before);

    if let Some(broker) = &broker {
        // A second consumer group reads the whole topic from offset 0 into the same index.
        let mut config = app.state().events.config.clone();
        config.kafka_group = format!("{}-replay", config.kafka_group);
        let consumer = depot::indexer::kafka::consumer(&config, &broker.addr()).unwrap();
        let indexer = depot::indexer::Indexer::new(app.state().catalog.clone(), metrics.clone());
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let replay = tokio::spawn(depot::indexer::kafka::run_consumer(consumer, indexer, config.kafka_topic.clone(), 64, metrics.clone(), stopped));
        let seen = depot::events::EventMetrics::get(&metrics.duplicates);
        eventually("the replay from offset 0", Duration::from_secs(60), || async {
            (depot::events::EventMetrics::get(&metrics.duplicates) >= seen + 16).then_some(())
        })
        .await;
        stop.send(true).unwrap();
        replay.await.unwrap();
        assert_eq!(index_snapshot(&app).await, before, "a replay from offset 0 left the index unchanged");
    }

    // Even without the processed-events check, replaying old states changes nothing:
    // every row already holds a newer (or equal) state.
    sqlx::query("DELETE FROM processed_events").execute(app.state().catalog.reader()).await.unwrap();
    depot::indexer::Indexer::new(app.state().catalog.clone(), metrics.clone()).apply(&events).await.unwrap();
    assert_eq!(index_snapshot(&app).await, before, "replayed events left the index unchanged");
    app.shutdown().await;
    drop(broker);
}

#[tokio::test]
async fn duplicate_events_change_nothing_embedded() {
    duplicates_change_nothing(Mode::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_events_change_nothing_kafka() {
    duplicates_change_nothing(Mode::Kafka).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_broker_loses_no_write_and_the_index_converges() {
    let broker = Broker::start().await;
    let app = TestApp::start_with(|c| broker.configure(c)).await;
    app.bucket("burst").await;
    app.put("burst", "before", b"x".to_vec()).await;
    wait_indexed(&app).await;

    broker.pause();
    let mut writes = Vec::new();
    for i in 0..40 {
        let client = app.client.clone();
        writes.push(tokio::spawn(async move { client.put_object().bucket("burst").key(format!("during/{i:02}")).body(vec![b'y'; i].into()).send().await }));
    }
    for w in writes {
        w.await.unwrap().expect("every write is acknowledged while the broker is stopped");
    }
    let (status, health) = api_get(&app, "/_depot/health").await;
    assert_eq!(status, 200, "{health}");
    assert!(health["checks"]["indexer"]["lag_events"].as_i64().unwrap() >= 40, "{health}");
    assert_eq!(health["checks"]["kafka"]["status"], "unreachable", "{health}");
    assert_eq!(health["status"], "degraded");
    assert_eq!(app.client.list_objects_v2().bucket("burst").send().await.unwrap().key_count(), Some(41), "reads do not depend on events");

    broker.resume();
    wait_indexed(&app).await;
    let found = eventually("every write to be searchable", Duration::from_secs(60), || async {
        let (_, page) = api_get(&app, "/_depot/search?bucket=burst&prefix=during/&limit=1000").await;
        (keys(&page).len() == 40).then_some(page)
    })
    .await;
    assert_eq!(keys(&found)[0], "during/00");
    let (_, stats) = api_get(&app, "/_depot/stats").await;
    assert_eq!(stats["total_objects"], 41);
    let (status, health) = api_get(&app, "/_depot/health").await;
    assert_eq!((status, health["checks"]["kafka"]["status"].as_str()), (200, Some("ok")), "{health}");
    app.shutdown().await;
}

/// A member of the indexer's consumer group that takes partitions and never indexes
/// what it reads (a node killed without leaving the group, a broker that keeps a dead
/// member): the events on its partitions are in Kafka but not in the index until the
/// catch-up applies them from the outbox, and nothing is indexed twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_member_that_never_indexes_strands_no_event() {
    let broker = Broker::start().await;
    let app = TestApp::start_with(|c| {
        broker.configure(c);
        c.events.indexer_catchup_secs = 2;
    })
    .await;
    app.bucket("stranded").await;
    app.put("stranded", "first", b"1".to_vec()).await;
    wait_indexed(&app).await;
    let before = index_snapshot(&app).await;

    // The idle member joins the group, takes its share of the partitions, reads their
    // messages and drops them, committing nothing.
    let config = app.state().events.config.clone();
    let idle: Arc<StreamConsumer> = Arc::new(
        ClientConfig::new()
            .set("bootstrap.servers", broker.addr())
            .set("group.id", &config.kafka_group)
            .set("enable.auto.commit", "false")
            .set("session.timeout.ms", "30000")
            .create()
            .expect("idle group member"),
    );
    idle.subscribe(&[config.kafka_topic.as_str()]).expect("subscribe");
    let reader = idle.clone();
    let dropping = tokio::spawn(async move {
        loop {
            let _ = reader.recv().await;
        }
    });
    eventually("the idle member to hold a partition", Duration::from_secs(60), || async { idle.assignment().ok().filter(|a| a.count() > 0).map(|_| ()) }).await;

    // Rounds of writes, until some went to the idle member's partitions: just after it
    // joined, the server's own consumer may still read them until it has rejoined.
    let metrics = &app.state().events.metrics;
    let mut written = 0;
    for _round in 0..6 {
        for i in written..written + 10 {
            app.put("stranded", &format!("k{i:02}"), vec![b'z'; i + 1]).await;
        }
        written += 10;
        wait_indexed(&app).await;
        if depot::events::EventMetrics::get(&metrics.caught_up) > 0 {
            break;
        }
    }
    let page = eventually("every write to be searchable", Duration::from_secs(30), || async {
        let (_, page) = api_get(&app, "/_depot/search?bucket=stranded&limit=1000").await;
        (keys(&page).len() == written + 1).then_some(page)
    })
    .await;
    assert_eq!(keys(&page)[1..], (0..written).map(|i| format!("k{i:02}")).collect::<Vec<_>>()[..]);
    let (_, stats) = api_get(&app, "/_depot/stats").await;
    let bytes = 1 + written * (written + 1) / 2;
    assert_eq!((&stats["total_objects"], &stats["total_bytes"]), (&Value::from(written + 1), &Value::from(bytes)), "{stats}");

    // Some events went to the idle member's partitions: the catch-up indexed them, each
    // once, and says so in the metrics.
    let caught_up = depot::events::EventMetrics::get(&metrics.caught_up);
    assert!(caught_up > 0, "no event was indexed from the outbox, so the idle member read none");
    let text = app.raw("GET", "/_depot/metrics").send().await.text();
    let exported = text.lines().find_map(|l| l.strip_prefix("depot_indexer_catchup_events_total ")).and_then(|v| v.parse::<u64>().ok());
    assert!(exported >= Some(caught_up), "{text}");
    let indexed = depot::events::EventMetrics::get(&metrics.indexed);
    assert_eq!(indexed, 2 + written as u64, "the bucket, the first object and every write, each applied once");
    assert!(before.len() < index_snapshot(&app).await.len());

    dropping.abort();
    tokio::task::spawn_blocking(move || drop(idle)).await.expect("drop the idle member");
    app.shutdown().await;
}

#[tokio::test]
async fn metrics_expose_backlog_lag_and_counters() {
    let app = TestApp::start().await;
    app.bucket("metered").await;
    app.put("metered", "a", b"1".to_vec()).await;
    wait_indexed(&app).await;
    assert_eq!(app.raw("GET", "/metered/missing").send().await.status, 403);
    let resp = app.raw("GET", "/_depot/metrics").send().await;
    assert_eq!(resp.status, 200);
    assert!(resp.header("content-type").unwrap().starts_with("application/openmetrics-text"));
    let text = resp.text();
    for line in [
        "depot_outbox_backlog 0",
        "depot_indexer_lag_events 0",
        "depot_events_published_total 2",
        "depot_events_indexed_total 2",
        // The request metrics: by operation, status class and error code; bounded labels.
        r#"depot_requests_total{api="s3",operation="CreateBucket",status_class="2xx",error_code=""} 1"#,
        r#"depot_requests_total{api="s3",operation="PutObject",status_class="2xx",error_code=""} 1"#,
        r#"depot_requests_total{api="s3",operation="GetObject",status_class="4xx",error_code="AccessDenied"} 1"#,
        r#"depot_request_received_bytes_total{api="s3",operation="PutObject"} 1"#,
        r#"depot_requests_in_flight{api="json"} 1"#,
        r#"depot_bucket_objects{bucket="metered"} 1"#,
        r#"depot_bucket_bytes{bucket="metered"} 1"#,
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
    }
    assert!(text.contains("# TYPE depot_events_indexed counter"));
    assert!(text.contains("# TYPE depot_request_duration_seconds histogram"));
    assert!(text.lines().any(|l| l.starts_with(r#"depot_request_duration_seconds_bucket{le="60.0",api="s3",operation="PutObject"} "#)), "{text}");
    assert!(text.ends_with("# EOF\n"));
    let (status, health) = api_get(&app, "/_depot/health").await;
    assert_eq!(status, 200);
    assert_eq!(health["checks"]["indexer"]["status"], "ok");
    assert_eq!(health["checks"]["indexer"]["mode"], "embedded");
    assert!(health["checks"].get("kafka").is_none());
    app.shutdown().await;
}

#[tokio::test]
async fn health_fails_when_the_indexer_lags_past_the_threshold() {
    let app = TestApp::start_with(|c| c.events.indexer_max_lag_seconds = 0).await;
    // An event the indexer has not seen, written an hour ago.
    sqlx::query("INSERT INTO outbox (event_id, bucket, key, payload, created_at, sent_at) VALUES ('lagging', 'b', NULL, '{}', $1, $1)")
        .bind(depot::catalog::now_ms() - 3_600_000)
        .execute(app.state().catalog.reader())
        .await
        .unwrap();
    let (status, health) = api_get(&app, "/_depot/health").await;
    assert_eq!(status, 503, "{health}");
    assert_eq!(health["checks"]["indexer"]["status"], "error");
    assert!(health["checks"]["indexer"]["lag_seconds"].as_f64().unwrap() >= 3599.0);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_relay_one_outbox_without_double_claiming() {
    if std::env::var("DEPOT_TEST_DATABASE_URL").map_or(true, |u| !u.starts_with("postgres")) {
        return; // several processes share a catalog only on PostgreSQL
    }
    let first = TestApp::start().await;
    let url = first.state().config.database_url.clone();
    let second = TestApp::start_with(|c| c.database_url = url).await;
    first.bucket("shared").await;
    let mut writes = Vec::new();
    for i in 0..60 {
        let client = if i % 2 == 0 { first.client.clone() } else { second.client.clone() };
        writes.push(tokio::spawn(async move { client.put_object().bucket("shared").key(format!("k{i:02}")).body(vec![b'x'; i].into()).send().await }));
    }
    for w in writes {
        w.await.unwrap().expect("put");
    }
    wait_indexed(&first).await;
    let count =
        |app: &TestApp, f: fn(&depot::events::EventMetrics) -> &std::sync::atomic::AtomicU64| depot::events::EventMetrics::get(f(&app.state().events.metrics));
    let indexed = count(&first, |m| &m.indexed) + count(&second, |m| &m.indexed);
    let duplicates = count(&first, |m| &m.duplicates) + count(&second, |m| &m.duplicates);
    assert_eq!((indexed, duplicates), (61, 0), "every event indexed once, by one of the two relays");
    let (_, stats) = api_get(&second, "/_depot/stats").await;
    assert_eq!(stats["total_objects"], 60);
    second.shutdown().await;
    first.shutdown().await;
}

/// `docs/grafana/depot.json` is a valid dashboard whose every query names metrics Depot
/// exports (a renamed metric would leave its panel empty without this).
#[tokio::test]
async fn the_grafana_dashboard_queries_only_exported_metrics() {
    let app = TestApp::start_with(|c| {
        c.rate_limit = depot::config::RateLimitSetting(Some("3/minute".parse().unwrap()));
        c.rate_burst = Some(3);
    })
    .await;
    // Traffic of every kind, so that every family has samples: a write, a refused key,
    // anonymous requests past the rate limit.
    app.bucket("dash").await;
    app.put("dash", "k", b"v".to_vec()).await;
    app.put("dash", "blob", vec![7u8; 256 * 1024]).await;
    let forged =
        format!("AWS4-HMAC-SHA256 Credential=DPAKNOSUCHKEY0000000/20200101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature={}", "0".repeat(64));
    assert_eq!(app.raw("GET", "/dash/k").header("authorization", &forged).send().await.status, 403);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(app.raw("GET", "/dash/k").send().await.status);
    }
    assert!(statuses.contains(&503), "the rate limit refuses some: {statuses:?}");
    let text = app.raw("GET", "/_depot/metrics").send().await.text();
    assert!(text.contains(r#"depot_auth_failures_total{reason="InvalidAccessKeyId"} 1"#), "{text}");
    assert!(text.contains(r#"depot_rate_limited_total{api="s3"}"#), "{text}");
    // Storage and catalog: the blob of the 256 KiB object was placed and fsynced (file and
    // directory), and its transaction timed; SQLite's group commit synced the WAL.
    let total = |prefix: &str| -> f64 { text.lines().filter(|l| l.starts_with(prefix)).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum() };
    assert!(total("depot_drive_blob_writes_total{") >= 1.0, "{text}");
    assert!(total("depot_drive_written_bytes_total{") >= 256.0 * 1024.0, "{text}");
    assert!(total("depot_drive_fsyncs_total{") >= 2.0, "{text}");
    assert!(total("depot_catalog_transaction_seconds_count") >= 2.0, "{text}");
    assert!(total("depot_catalog_commit_seconds_count") >= 2.0, "{text}");
    if app.is_postgres() {
        assert!(total("depot_catalog_pool_open{") >= 1.0, "{text}");
        assert_eq!(total("depot_catalog_wal_fsyncs_total"), 0.0, "PostgreSQL groups its own commits");
    } else {
        assert!(text.contains(r#"depot_catalog_pool_max{pool="write"} 1"#), "SQLite has one writer connection: {text}");
        assert!(total("depot_catalog_wal_fsyncs_total") >= 1.0, "{text}");
        // One batch per WAL fsync (the two are counted one after the other, and a
        // background commit may fall between them while the scrape reads).
        let (batches, fsyncs) = (total("depot_catalog_group_commit_size_count"), total("depot_catalog_wal_fsyncs_total"));
        assert!((batches - fsyncs).abs() <= 1.0, "{batches} batches for {fsyncs} WAL fsyncs");
    }
    let families: Vec<(&str, &str)> = text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).filter_map(|l| l.split_once(' ')).collect();
    let dashboard: serde_json::Value = serde_json::from_str(include_str!("../../docs/grafana/depot.json")).expect("the dashboard is JSON");
    let panels = dashboard["panels"].as_array().expect("panels");
    assert!(panels.len() >= 8, "a dashboard of requests, errors, latency, throughput, storage and events");
    let mut named = 0;
    for panel in panels {
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"].as_str().expect("a PromQL expression");
            for token in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|t| t.starts_with("depot_")) {
                let known = families.iter().any(|(family, kind)| match *kind {
                    "counter" => token == format!("{family}_total"),
                    "histogram" => ["_bucket", "_sum", "_count"].iter().any(|s| token == format!("{family}{s}")),
                    _ => token == *family,
                });
                assert!(known, "panel {:?} queries {token}, which /_depot/metrics does not export", panel["title"]);
                named += 1;
            }
        }
    }
    assert!(named >= 20, "only {named} metric references");
    app.shutdown().await;
}
