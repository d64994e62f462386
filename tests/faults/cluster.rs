//! Three `depot` processes run as an operator runs a cluster (README, "Known limits"):
//! one PostgreSQL catalog, one Kafka-protocol broker (tansu) with one topic and one
//! consumer group, one blob filesystem (`DEPOT_DRIVES`, the same directory for every
//! node; each node has a data dir of its own), the same JWT secret and root
//! credentials. No load balancer: the test talks to each node on its own port. What a
//! user relies on, whichever node answers:
//!
//! 1. read-after-write: an object written, overwritten or deleted through one node, and
//!    a bucket created through one, is seen so by the others at once;
//! 2. a multipart upload whose parts go through different nodes completes to the exact
//!    bytes and the multipart ETag;
//! 3. search and statistics converge on every node, deletes included;
//! 4. a node SIGKILLed under load loses no acknowledged write, and the other nodes keep
//!    acknowledging theirs while it is down and while it starts again; every
//!    acknowledged object reads back byte-exact through every node, the restarted one
//!    included, and a write that failed is absent or whole; the blobs are on the shared
//!    drive, and every write (the killed node's too) reaches search and statistics;
//! 5. login tokens, access keys, their revocation, STS credentials and disabling a user
//!    take effect on every node at once;
//! 6. after a rolling restart with `DEPOT_RATE_LIMIT`, every node enforces the limit
//!    (per process, as documented).
//!
//! Runs only with `DEPOT_TEST_DATABASE_URL` naming a PostgreSQL server (SQLite is one
//! process's catalog), and needs `tansu` (on PATH or in ~/.cargo/bin).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use serde_json::{json, Value};

use crate::broker::Broker;
use crate::harness::{
    api, blob_copies_on_drives, body, http_client, list_keys, md5_hex, one_at_a_time, sdk_client_as, signed_api, skip_unless_postgres, Depot, Outcome,
    TestDatabase,
};
use crate::harness::{ACCESS_KEY, SECRET_KEY};

/// Shared by every node, as login tokens must verify on each (at least 32 bytes).
const JWT_SECRET: &str = "faults-cluster-jwt-secret-0123456789abcdef";
const PASSWORD: &str = "correct horse battery";
/// How long search and statistics may take to converge on a node. After a SIGKILL the
/// broker keeps the dead node's consumer in the group until its session times out
/// (10 s), then rebalances twice (it left, its successor joined); on a loaded machine
/// that has taken over 30 s. Only a bound: a passing run is not slower.
const CONVERGE: Duration = Duration::from_secs(90);
const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

/// Three nodes on one catalog, one broker and one blob directory. Fields drop in order:
/// the servers are killed (the last one drops the database), then the broker, then the
/// directories.
struct Cluster {
    nodes: Vec<Depot>,
    _broker: Broker,
    shared: tempfile::TempDir,
    _data_dirs: Vec<tempfile::TempDir>,
}

impl Cluster {
    /// Starts the broker and three nodes at once (as a deployment does: migrations and
    /// the shared drive's first use race).
    async fn start(admin_url: &str) -> Cluster {
        let database = Arc::new(TestDatabase::create(admin_url).await);
        let broker = Broker::start().await;
        let shared = tempfile::Builder::new().prefix("depot-cluster-drive").tempdir().expect("shared drive dir");
        let data_dirs: Vec<tempfile::TempDir> =
            (1..=3).map(|n| tempfile::Builder::new().prefix(&format!("depot-cluster-node{n}-")).tempdir().expect("data dir")).collect();
        let mut settings = broker.settings();
        settings.push(("DEPOT_DRIVES".to_owned(), shared.path().display().to_string()));
        settings.push(("DEPOT_JWT_SECRET".to_owned(), JWT_SECRET.to_owned()));
        let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let start = |n: usize| Depot::start_on(data_dirs[n].path(), Some(database.clone()), &settings);
        let (a, b, c) = tokio::join!(start(0), start(1), start(2));
        Cluster { nodes: vec![a, b, c], _broker: broker, shared, _data_dirs: data_dirs }
    }

    /// Node `n` (1, 2 or 3).
    fn node(&self, n: usize) -> &Depot {
        &self.nodes[n - 1]
    }

    /// The root user's SDK client of node `n`.
    fn root(&self, n: usize) -> &Client {
        &self.node(n).client
    }

    /// A client of node `n` with other credentials.
    fn client_as(&self, n: usize, access_key: &str, secret_key: &str, session_token: Option<&str>) -> Client {
        sdk_client_as(&self.node(n).endpoint, access_key, secret_key, session_token)
    }

    /// A JSON API request to node `n` signed as root.
    async fn root_api(&self, n: usize, method: &str, path_and_query: &str) -> crate::harness::ApiResponse {
        signed_api(&self.node(n).endpoint, method, path_and_query, ACCESS_KEY, SECRET_KEY).await
    }

    /// The last log lines of every node, for failure messages.
    fn logs(&self) -> String {
        (1..=3).map(|n| format!("---- node {n} ----\n{}", self.node(n).log_tail(15))).collect::<Vec<_>>().join("\n")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_on_one_catalog_broker_and_drive_behave_as_one_store() {
    let Some(admin_url) = skip_unless_postgres("three nodes share one catalog, which SQLite cannot be") else { return };
    let _turn = one_at_a_time().await;
    let started = Instant::now();
    let mut cluster = Cluster::start(&admin_url).await;
    println!(
        "cluster: 3 nodes on {}, drive {} ({:?})",
        cluster.nodes.iter().map(|d| d.endpoint.as_str()).collect::<Vec<_>>().join(", "),
        cluster.shared.path().display(),
        started.elapsed()
    );
    let mut phase = Instant::now();
    read_after_write(&cluster).await;
    lap("1, read-after-write", &mut phase);
    multipart_across_nodes(&cluster).await;
    lap("2, multipart across nodes", &mut phase);
    search_and_stats_converge(&cluster).await;
    lap("3, search and statistics", &mut phase);
    kill_a_node_under_load(&mut cluster).await;
    lap("4, a node killed under load", &mut phase);
    sessions_and_keys(&cluster).await;
    lap("5, sessions and keys", &mut phase);
    rate_limits_on_every_node(&mut cluster).await;
    lap("6, rate limits", &mut phase);
    println!("cluster test: {:?} in all", started.elapsed());
}

/// Prints how long a phase took, and starts the next.
fn lap(name: &str, phase: &mut Instant) {
    println!("phase {name}: {:?}", phase.elapsed());
    *phase = Instant::now();
}

// ---- 1. Read-after-write --------------------------------------------------------------

const BUCKET: &str = "cluster";

/// The status and S3 error code of a refused request (0 and "": no answer).
fn refusal<E: ProvideErrorMetadata, T>(result: &Result<T, SdkError<E, HttpResponse>>) -> (u16, String) {
    match result {
        Ok(_) => (200, String::new()),
        Err(e) => {
            let status = e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
            let code = e.as_service_error().and_then(|s| s.code()).unwrap_or("").to_owned();
            (status, code)
        }
    }
}

/// GetObject: the bytes and the ETag, or the status and error code.
async fn fetch(client: &Client, bucket: &str, key: &str) -> Result<(Vec<u8>, String), (u16, String)> {
    let result = client.get_object().bucket(bucket).key(key).send().await;
    if result.is_err() {
        return Err(refusal(&result));
    }
    let out = result.expect("checked");
    let etag = out.e_tag().unwrap_or_default().to_owned();
    let bytes = out.body.collect().await.map_err(|e| (0, format!("body: {e}")))?.into_bytes().to_vec();
    Ok((bytes, etag))
}

/// `key` reads as `expected` (bytes and ETag) through node `n`: GetObject, HeadObject and
/// ListObjectsV2.
async fn assert_reads(cluster: &Cluster, n: usize, key: &str, expected: &[u8], etag: &str) {
    let client = cluster.root(n);
    let (bytes, got_etag) = fetch(client, BUCKET, key).await.unwrap_or_else(|e| panic!("GET {key} through node {n}: {e:?}\n{}", cluster.logs()));
    assert!(
        bytes == expected,
        "GET {key} through node {n}: {} bytes, md5 {}; expected {} bytes, md5 {}",
        bytes.len(),
        md5_hex(&bytes),
        expected.len(),
        md5_hex(expected)
    );
    assert_eq!(got_etag, etag, "GET {key} through node {n}: ETag");
    let head = client.head_object().bucket(BUCKET).key(key).send().await.unwrap_or_else(|e| panic!("HEAD {key} through node {n}: {e:?}"));
    assert_eq!((head.e_tag(), head.content_length()), (Some(etag), Some(expected.len() as i64)), "HEAD {key} through node {n}");
    let listed = client.list_objects_v2().bucket(BUCKET).send().await.unwrap_or_else(|e| panic!("LIST through node {n}: {e:?}"));
    let entry = listed.contents().iter().find(|o| o.key() == Some(key)).unwrap_or_else(|| panic!("ListObjectsV2 through node {n} lacks {key}"));
    assert_eq!((entry.e_tag(), entry.size()), (Some(etag), Some(expected.len() as i64)), "ListObjectsV2 through node {n}: {key}");
}

async fn read_after_write(cluster: &Cluster) {
    // A bucket created through node 1 exists for node 2 at once.
    cluster.root(1).create_bucket().bucket(BUCKET).send().await.expect("CreateBucket through node 1");
    cluster.root(2).head_bucket().bucket(BUCKET).send().await.expect("HeadBucket through node 2 right after CreateBucket through node 1");
    let buckets = cluster.root(2).list_buckets().send().await.expect("ListBuckets through node 2");
    assert!(buckets.buckets().iter().any(|b| b.name() == Some(BUCKET)), "ListBuckets through node 2 lacks {BUCKET}: {buckets:?}");
    // Root creating it again through node 3: us-east-1 answers 200 for one's own bucket
    // (AWS's legacy behaviour), and the bucket stays as it is; another user's attempt is
    // refused in phase 5.
    let again = cluster.root(3).create_bucket().bucket(BUCKET).send().await;
    assert_eq!(refusal(&again), (200, String::new()), "CreateBucket of its own bucket again through node 3: {again:?}");

    // PutObject through node 1, read through 2 and 3 at once.
    let key = "docs/readme.txt";
    let first = body(1, 300 * KIB);
    let put = cluster.root(1).put_object().bucket(BUCKET).key(key).body(ByteStream::from(first.clone())).send().await.expect("PUT through node 1");
    let etag = format!("\"{}\"", md5_hex(&first));
    assert_eq!(put.e_tag(), Some(etag.as_str()));
    for n in [2, 3] {
        assert_reads(cluster, n, key, &first, &etag).await;
    }

    // Overwritten through node 2: nodes 3 and 1 read the new bytes at once.
    let second = body(2, 200 * KIB + 7);
    let put = cluster.root(2).put_object().bucket(BUCKET).key(key).body(ByteStream::from(second.clone())).send().await.expect("overwrite through node 2");
    let etag = format!("\"{}\"", md5_hex(&second));
    assert_eq!(put.e_tag(), Some(etag.as_str()));
    for n in [3, 1] {
        assert_reads(cluster, n, key, &second, &etag).await;
    }

    // Deleted through node 3: gone for node 1 and 2 at once.
    cluster.root(3).delete_object().bucket(BUCKET).key(key).send().await.expect("DELETE through node 3");
    assert_eq!(
        fetch(cluster.root(1), BUCKET, key).await.map(|(b, e)| (b.len(), e)),
        Err((404, "NoSuchKey".to_owned())),
        "GET through node 1 after DELETE through node 3"
    );
    let head = cluster.root(2).head_object().bucket(BUCKET).key(key).send().await;
    assert_eq!(refusal(&head).0, 404, "HEAD through node 2 after DELETE through node 3: {head:?}");
    assert!(!list_keys(cluster.root(1), BUCKET).await.contains(&key.to_owned()), "node 1 still lists {key}");
}

// ---- 2. Multipart across nodes --------------------------------------------------------

const MULTIPART_KEY: &str = "big/assembled.bin";

async fn multipart_across_nodes(cluster: &Cluster) {
    let parts = [body(21, 5 * MIB), body(22, MIB + 333)];
    let created = cluster.root(1).create_multipart_upload().bucket(BUCKET).key(MULTIPART_KEY).send().await.expect("CreateMultipartUpload through node 1");
    let upload_id = created.upload_id().expect("upload id").to_owned();
    let mut etags = Vec::new();
    for (i, (n, data)) in [(2, &parts[0]), (3, &parts[1])].into_iter().enumerate() {
        let number = i as i32 + 1;
        let out = cluster
            .root(n)
            .upload_part()
            .bucket(BUCKET)
            .key(MULTIPART_KEY)
            .upload_id(&upload_id)
            .part_number(number)
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("UploadPart {number} through node {n}: {e:?}\n{}", cluster.logs()));
        assert_eq!(out.e_tag(), Some(format!("\"{}\"", md5_hex(data)).as_str()), "part {number}'s ETag");
        etags.push(out.e_tag().expect("part ETag").to_owned());
    }

    let listed = cluster.root(1).list_parts().bucket(BUCKET).key(MULTIPART_KEY).upload_id(&upload_id).send().await.expect("ListParts through node 1");
    let seen: Vec<(Option<i32>, Option<i64>, Option<&str>)> = listed.parts().iter().map(|p| (p.part_number(), p.size(), p.e_tag())).collect();
    let expected: Vec<(Option<i32>, Option<i64>, Option<&str>)> =
        parts.iter().zip(&etags).enumerate().map(|(i, (data, etag))| (Some(i as i32 + 1), Some(data.len() as i64), Some(etag.as_str()))).collect();
    assert_eq!(seen, expected, "ListParts through node 1 shows the parts uploaded through nodes 2 and 3");

    let completed = CompletedMultipartUpload::builder()
        .set_parts(Some(etags.iter().enumerate().map(|(i, etag)| CompletedPart::builder().part_number(i as i32 + 1).e_tag(etag).build()).collect()))
        .build();
    let done = cluster
        .root(2)
        .complete_multipart_upload()
        .bucket(BUCKET)
        .key(MULTIPART_KEY)
        .upload_id(&upload_id)
        .multipart_upload(completed)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CompleteMultipartUpload through node 2: {e:?}\n{}", cluster.logs()));
    let digests: Vec<u8> = parts.iter().flat_map(|p| hex::decode(md5_hex(p)).expect("hex")).collect();
    let multipart_etag = format!("\"{}-2\"", md5_hex(&digests));
    assert_eq!(done.e_tag(), Some(multipart_etag.as_str()), "the multipart ETag");

    let whole = parts.concat();
    let (bytes, etag) = fetch(cluster.root(3), BUCKET, MULTIPART_KEY).await.unwrap_or_else(|e| panic!("GET the completed upload through node 3: {e:?}"));
    assert_eq!((bytes.len(), md5_hex(&bytes)), (whole.len(), md5_hex(&whole)), "the completed upload read through node 3");
    assert_eq!(etag, multipart_etag, "GET through node 3: ETag");
    // The upload is over for every node.
    let after = cluster.root(1).list_parts().bucket(BUCKET).key(MULTIPART_KEY).upload_id(&upload_id).send().await;
    assert_eq!(refusal(&after), (404, "NoSuchUpload".to_owned()), "ListParts through node 1 after completion through node 2");
}

// ---- 3. Search and statistics ---------------------------------------------------------

const SEARCH_BUCKET: &str = "cluster-search";

/// Polls `check` until it gives a value; panics after `deadline` with what it last saw.
async fn eventually<T, F, Fut>(what: &str, deadline: Duration, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    within(deadline, check).await.unwrap_or_else(|last| panic!("timed out after {deadline:?} waiting for {what}; last seen: {last}"))
}

/// Polls `check` every 100 ms until it gives a value, or until `deadline` has passed;
/// then `Err` with what it last saw.
async fn within<T, F, Fut>(deadline: Duration, mut check: F) -> Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let end = Instant::now() + deadline;
    loop {
        match check().await {
            Ok(value) => return Ok(value),
            Err(last) if Instant::now() > end => return Err(last),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// `(key, size, etag)` of each search result.
fn hits(results: &Value) -> Vec<(String, u64, String)> {
    results["results"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| (r["key"].as_str().unwrap_or("").to_owned(), r["size"].as_u64().unwrap_or(0), r["etag"].as_str().unwrap_or("").to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until a search on node `n` gives exactly `want`; if it never does, the panic
/// names the missing and unexpected results, the indexer's health on every node and
/// the nodes' last log lines (a lagging partition and a lost event look alike in a
/// bare listing).
async fn search_until(cluster: &Cluster, n: usize, query: &str, want: &[(String, u64, String)]) {
    let path = format!("/_depot/search?{query}");
    let differs = within(CONVERGE, || async {
        let resp = cluster.root_api(n, "GET", &path).await;
        if resp.status != 200 {
            panic!("search on node {n}: {} {}", resp.status, resp.text);
        }
        let got = hits(&resp.body);
        if got == want {
            return Ok(());
        }
        let missing: Vec<_> = want.iter().filter(|w| !got.contains(w)).collect();
        let unexpected: Vec<_> = got.iter().filter(|g| !want.contains(g)).collect();
        Err(format!("{} of {} results missing {missing:?}, unexpected {unexpected:?}", missing.len(), want.len()))
    })
    .await;
    if let Err(diff) = differs {
        let mut health = String::new();
        for m in 1..=3 {
            let (_, h) = cluster.node(m).health().await;
            health.push_str(&format!("node {m}: {}\n", h["checks"]["indexer"]));
        }
        panic!("search {query} on node {n} still differs after {CONVERGE:?}: {diff}\nindexer health:\n{health}{}", cluster.logs());
    }
}

/// Waits until the statistics on node `n` give `bucket` `objects` objects of `bytes`.
async fn stats_until(cluster: &Cluster, n: usize, bucket: &str, objects: u64, bytes: u64) {
    eventually(&format!("stats on node {n} to count {objects} objects, {bytes} bytes in {bucket}"), CONVERGE, || async {
        let resp = cluster.root_api(n, "GET", "/_depot/stats").await;
        if resp.status != 200 {
            panic!("stats on node {n}: {} {}", resp.status, resp.text);
        }
        let entry = resp.body["buckets"].as_array().and_then(|b| b.iter().find(|b| b["name"] == bucket)).cloned().unwrap_or(Value::Null);
        if entry["objects"].as_u64() == Some(objects) && entry["bytes"].as_u64() == Some(bytes) {
            Ok(())
        } else {
            Err(entry.to_string())
        }
    })
    .await
}

async fn search_and_stats_converge(cluster: &Cluster) {
    // Every node runs in Kafka mode, on the shared broker.
    for n in 1..=3 {
        let (status, health) = cluster.node(n).health().await;
        assert_eq!(status, 200, "health of node {n}: {health}");
        assert_eq!(health["checks"]["indexer"]["mode"], "kafka", "node {n} indexes through Kafka: {health}");
        assert_eq!(health["checks"]["kafka"]["status"], "ok", "node {n} reaches the broker: {health}");
    }

    cluster.root(3).create_bucket().bucket(SEARCH_BUCKET).send().await.expect("CreateBucket through node 3");
    let objects =
        [(1, "docs/alpha.txt", 1000, "Quarterly report"), (2, "docs/beta.txt", 2000, "Meeting notes"), (3, "images/gamma.png", 3000, "A report chart")];
    let mut expected = Vec::new();
    for (i, (n, key, len, description)) in objects.into_iter().enumerate() {
        let data = body(30 + i as u64, len);
        cluster
            .root(n)
            .put_object()
            .bucket(SEARCH_BUCKET)
            .key(key)
            .metadata("description", description)
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("PUT {key} through node {n}: {e:?}"));
        expected.push((key.to_owned(), len as u64, md5_hex(&data)));
    }
    let total: u64 = expected.iter().map(|e| e.1).sum();
    let multipart_len = (6 * MIB + 333) as u64;
    let query = format!("bucket={SEARCH_BUCKET}");
    for n in 1..=3 {
        search_until(cluster, n, &query, &expected).await;
        let reports: Vec<_> = expected.iter().filter(|e| e.0 != "docs/beta.txt").cloned().collect();
        search_until(cluster, n, &format!("{query}&description=report"), &reports).await;
        stats_until(cluster, n, SEARCH_BUCKET, 3, total).await;
        // Phases 1 and 2, through every node: one object left, the multipart one.
        stats_until(cluster, n, BUCKET, 1, multipart_len).await;
    }

    // A delete through node 2 disappears from search and statistics on every node.
    cluster.root(2).delete_object().bucket(SEARCH_BUCKET).key("docs/beta.txt").send().await.expect("DELETE through node 2");
    let left: Vec<_> = expected.iter().filter(|e| e.0 != "docs/beta.txt").cloned().collect();
    for n in [3, 1, 2] {
        search_until(cluster, n, &query, &left).await;
        stats_until(cluster, n, SEARCH_BUCKET, 2, total - 2000).await;
    }
    wait_caught_up(cluster).await;
}

/// Waits until every node's health reports the outbox published and indexed.
async fn wait_caught_up(cluster: &Cluster) {
    for n in 1..=3 {
        eventually(&format!("node {n}'s health to report no indexer lag"), CONVERGE, || async {
            let (_, health) = cluster.node(n).health().await;
            let indexer = &health["checks"]["indexer"];
            if indexer["lag_events"] == 0 && indexer["outbox_backlog"] == 0 {
                Ok(())
            } else {
                Err(indexer.to_string())
            }
        })
        .await;
    }
}

// ---- 4. A node killed under load ------------------------------------------------------

const LOAD_BUCKET: &str = "cluster-load";
/// Body sizes the writers cycle through: inline-small to a few blocks.
const LOAD_SIZES: [usize; 4] = [3 * KIB, 64 * KIB, 300 * KIB, MIB + 17];

/// One PUT of the load: through which node, its key, seed and size, and how it ended.
#[derive(Debug, Clone)]
struct LoadPut {
    node: usize,
    key: String,
    seed: u64,
    len: usize,
    outcome: Outcome,
}

/// The most PUTs one writer tries: three writers' keys then fit one listing page and
/// one search page (1,000) however fast the machine.
const MAX_PUTS_PER_WRITER: usize = 300;

/// PUTs distinct keys through node `node` until `stop` (or [`MAX_PUTS_PER_WRITER`]),
/// counting acknowledgements in `acked`, which is set to `usize::MAX` when the writer
/// stops at its limit (so that no wait for more acknowledgements hangs). `client` may be
/// replaced while it runs (a restarted node has a new port).
async fn writer(node: usize, client: Arc<Mutex<Client>>, stop: Arc<AtomicBool>, acked: Arc<AtomicUsize>) -> Vec<LoadPut> {
    let mut puts = Vec::new();
    for i in 0.. {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if i == MAX_PUTS_PER_WRITER {
            acked.store(usize::MAX, Ordering::SeqCst);
            break;
        }
        let (key, seed, len) = (format!("n{node}/{i:05}"), (node * 100_000 + i) as u64, LOAD_SIZES[i % LOAD_SIZES.len()]);
        let current = client.lock().expect("client").clone();
        let outcome = crate::harness::put(&current, LOAD_BUCKET, &key, body(seed, len)).await;
        if outcome.is_acked() {
            acked.fetch_add(1, Ordering::SeqCst);
        } else {
            // A dead node refuses at once: no busy loop.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        puts.push(LoadPut { node, key, seed, len, outcome });
    }
    puts
}

async fn kill_a_node_under_load(cluster: &mut Cluster) {
    cluster.root(1).create_bucket().bucket(LOAD_BUCKET).send().await.expect("CreateBucket");
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Vec<Arc<AtomicUsize>> = (0..3).map(|_| Arc::new(AtomicUsize::new(0))).collect();
    let clients: Vec<Arc<Mutex<Client>>> = (1..=3).map(|n| Arc::new(Mutex::new(cluster.root(n).clone()))).collect();
    let writers: Vec<_> = (1..=3).map(|n| tokio::spawn(writer(n, clients[n - 1].clone(), stop.clone(), acked[n - 1].clone()))).collect();
    let count = |n: usize| acked[n - 1].load(Ordering::SeqCst);
    let wait_for = |what: String, want: [usize; 3]| {
        let acked = acked.clone();
        async move {
            eventually(&what, Duration::from_secs(60), || {
                let now: Vec<usize> = acked.iter().map(|a| a.load(Ordering::SeqCst)).collect();
                async move {
                    if now.iter().zip(want).all(|(have, want)| *have >= want) {
                        Ok(())
                    } else {
                        Err(format!("acknowledged per node: {now:?}"))
                    }
                }
            })
            .await
        }
    };

    wait_for("every node to acknowledge 8 writes".into(), [8, 8, 8]).await;
    cluster.nodes[1].kill();
    let at_kill = [count(1), count(2), count(3)];
    println!("node 2 SIGKILLed after {at_kill:?} acknowledged writes per node");
    wait_for("nodes 1 and 3 to acknowledge 8 more writes while node 2 is down".into(), [at_kill[0].saturating_add(8), 0, at_kill[2].saturating_add(8)]).await;
    let health = cluster.nodes[1].start_again().await;
    assert_eq!(health, 200, "node 2's health after its restart:\n{}", cluster.node(2).log_tail(30));
    *clients[1].lock().expect("client") = cluster.root(2).clone();
    let restarted = [count(1), count(2), count(3)];
    wait_for(
        "every node to acknowledge 5 more writes after node 2's restart".into(),
        [restarted[0].saturating_add(5), restarted[1].saturating_add(5), restarted[2].saturating_add(5)],
    )
    .await;
    stop.store(true, Ordering::SeqCst);
    let mut puts = Vec::new();
    for w in writers {
        puts.extend(w.await.expect("writer"));
    }
    let acked_puts: Vec<&LoadPut> = puts.iter().filter(|p| p.outcome.is_acked()).collect();
    println!(
        "load: {} PUTs, {} acknowledged ({} through node 2), {} failed",
        puts.len(),
        acked_puts.len(),
        acked_puts.iter().filter(|p| p.node == 2).count(),
        puts.len() - acked_puts.len()
    );

    // The healthy nodes kept acknowledging: none of their writes failed.
    let failed_elsewhere: Vec<&LoadPut> = puts.iter().filter(|p| p.node != 2 && !p.outcome.is_acked()).collect();
    assert!(failed_elsewhere.is_empty(), "writes through nodes 1 and 3 failed while node 2 died and restarted: {failed_elsewhere:?}\n{}", cluster.logs());

    // Every acknowledged write reads back byte-exact through every node.
    for n in 1..=3 {
        let client = cluster.root(n);
        for p in &acked_puts {
            let want = md5_hex(&body(p.seed, p.len));
            match fetch(client, LOAD_BUCKET, &p.key).await {
                Ok((bytes, etag)) => {
                    assert_eq!(md5_hex(&bytes), want, "{} (acknowledged by node {}) read through node {n}", p.key, p.node);
                    assert_eq!(etag, format!("\"{want}\""), "{} read through node {n}: ETag", p.key);
                }
                Err(e) => panic!("{} was acknowledged by node {} but GET through node {n} answers {e:?}\n{}", p.key, p.node, cluster.logs()),
            }
        }
        // Whatever else is listed (a write that failed when its node died) is whole.
        let listed: BTreeSet<String> = list_keys(client, LOAD_BUCKET).await.into_iter().collect();
        let by_key: BTreeMap<&str, &LoadPut> = puts.iter().map(|p| (p.key.as_str(), p)).collect();
        for p in &acked_puts {
            assert!(listed.contains(&p.key), "node {n} does not list {} (acknowledged by node {})", p.key, p.node);
        }
        for key in &listed {
            let p = by_key.get(key.as_str()).unwrap_or_else(|| panic!("node {n} lists {key}, which was never written"));
            if p.outcome.is_acked() {
                continue;
            }
            if let Ok((bytes, _)) = fetch(client, LOAD_BUCKET, key).await {
                assert_eq!(md5_hex(&bytes), md5_hex(&body(p.seed, p.len)), "{key} (its write failed: {:?}) is damaged, read through node {n}", p.outcome);
            }
        }
    }

    // The blobs are on the shared drive, none in a node's data dir: every blob the
    // catalog refers to is there.
    let on_drive = blob_copies_on_drives(&[cluster.shared.path().to_path_buf()]);
    let missing: Vec<String> = cluster.node(1).referenced_blob_ids().await.into_iter().filter(|id| !on_drive.contains_key(id)).collect();
    assert!(missing.is_empty(), "blobs the catalog refers to are not on the shared drive: {missing:?}");
    for n in 1..=3 {
        assert!(cluster.node(n).blob_ids_on_disk().is_empty(), "node {n} keeps blobs in its own data dir");
    }

    // Events of the writes (the killed node's included) reach the index: search and
    // statistics on every node show what the listing shows.
    let listed = cluster.root(1).list_objects_v2().bucket(LOAD_BUCKET).max_keys(1000).send().await.expect("list the load");
    assert!(!listed.is_truncated().unwrap_or(false), "the load fits one page");
    let expected: Vec<(String, u64, String)> = listed
        .contents()
        .iter()
        .map(|o| (o.key().unwrap_or("").to_owned(), o.size().unwrap_or(0) as u64, o.e_tag().unwrap_or("").trim_matches('"').to_owned()))
        .collect();
    let bytes: u64 = expected.iter().map(|e| e.1).sum();
    for n in 1..=3 {
        search_until(cluster, n, &format!("bucket={LOAD_BUCKET}&limit=1000"), &expected).await;
        stats_until(cluster, n, LOAD_BUCKET, expected.len() as u64, bytes).await;
    }
    wait_caught_up(cluster).await;
}

// ---- 5. Sessions and keys -------------------------------------------------------------

/// `AssumeRoleWithWebIdentity` through node `n`: (access key, secret, session token).
async fn assume_role(cluster: &Cluster, n: usize, token: &str) -> (String, String, String) {
    let form = format!("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fdepot&RoleSessionName=cluster&WebIdentityToken={token}&DurationSeconds=900");
    let resp = http_client()
        .post(format!("{}/", cluster.node(n).endpoint))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .expect("STS request");
    let status = resp.status().as_u16();
    let xml = resp.text().await.expect("STS answer");
    assert_eq!(status, 200, "AssumeRoleWithWebIdentity through node {n}: {xml}");
    (element(&xml, "AccessKeyId"), element(&xml, "SecretAccessKey"), element(&xml, "SessionToken"))
}

/// The text of the first `<name>` element of `xml`.
fn element(xml: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let start = xml.find(&open).map(|i| i + open.len()).unwrap_or_else(|| panic!("no <{name}> in {xml}"));
    let end = xml[start..].find(&format!("</{name}>")).map(|i| i + start).unwrap_or_else(|| panic!("no </{name}> in {xml}"));
    xml[start..end].to_owned()
}

/// A new access key for the user of `token`, through node `n`: (id, secret).
async fn create_key(cluster: &Cluster, n: usize, token: &str) -> (String, String) {
    let resp = api(&cluster.node(n).endpoint, "POST", "/_depot/auth/keys", Some(token), None).await;
    assert_eq!(resp.status, 201, "create an access key through node {n}: {}", resp.text);
    (resp.body["access_key_id"].as_str().expect("access_key_id").to_owned(), resp.body["secret_access_key"].as_str().expect("secret").to_owned())
}

async fn sessions_and_keys(cluster: &Cluster) {
    let endpoint = |n: usize| cluster.node(n).endpoint.clone();
    let credentials = json!({ "username": "alice", "password": PASSWORD });

    // (a) Registered and logged in through node 1; the token works on 2 and 3.
    let registered = api(&endpoint(1), "POST", "/_depot/auth/register", None, Some(credentials.clone())).await;
    assert_eq!(registered.status, 201, "register through node 1: {}", registered.text);
    let user_id = registered.body["id"].as_str().expect("user id").to_owned();
    let login = api(&endpoint(1), "POST", "/_depot/auth/login", None, Some(credentials.clone())).await;
    assert_eq!(login.status, 200, "login through node 1: {}", login.text);
    let token = login.body["token"].as_str().expect("token").to_owned();
    for n in [2, 3] {
        let me = api(&endpoint(n), "GET", "/_depot/auth/me", Some(&token), None).await;
        assert_eq!(me.status, 200, "GET /_depot/auth/me through node {n} with node 1's login token: {}", me.text);
        assert_eq!((me.body["id"].as_str(), me.body["username"].as_str(), me.body["is_root"].as_bool()), (Some(user_id.as_str()), Some("alice"), Some(false)));
    }

    // (b) A key created through node 1 works through node 2; revoked through node 3, it
    // is refused through nodes 1 and 2 at once.
    let (key, secret) = create_key(cluster, 1, &token).await;
    let alice2 = cluster.client_as(2, &key, &secret, None);
    alice2.create_bucket().bucket("alice-cluster").send().await.expect("CreateBucket with node 1's key through node 2");
    alice2
        .put_object()
        .bucket("alice-cluster")
        .key("note")
        .body(ByteStream::from(b"from node 2".to_vec()))
        .send()
        .await
        .expect("PUT with the key through node 2");
    // Another user cannot take root's bucket, through any node.
    let taken = cluster.client_as(3, &key, &secret, None).create_bucket().bucket(BUCKET).send().await;
    assert_eq!(refusal(&taken), (409, "BucketAlreadyExists".to_owned()), "alice creating root's bucket through node 3");
    let listed = api(&endpoint(2), "GET", "/_depot/auth/keys", Some(&token), None).await;
    assert_eq!(listed.body["keys"].as_array().map(Vec::len), Some(1), "keys listed through node 2: {}", listed.text);
    let revoked = api(&endpoint(3), "DELETE", &format!("/_depot/auth/keys/{key}"), Some(&token), None).await;
    assert_eq!(revoked.status, 204, "revoke through node 3: {}", revoked.text);
    for n in [1, 2] {
        let refused = cluster.client_as(n, &key, &secret, None).list_buckets().send().await;
        assert_eq!(refusal(&refused), (403, "InvalidAccessKeyId".to_owned()), "the key revoked through node 3, used through node {n}");
    }

    // (c) STS credentials issued by node 2 work on node 3 (and node 1).
    let (session_key, session_secret, session_token) = assume_role(cluster, 2, &token).await;
    let session3 = cluster.client_as(3, &session_key, &session_secret, Some(&session_token));
    session3
        .put_object()
        .bucket("alice-cluster")
        .key("session")
        .body(ByteStream::from(b"from a session".to_vec()))
        .send()
        .await
        .expect("PUT with node 2's STS credentials through node 3");
    let session1 = cluster.client_as(1, &session_key, &session_secret, Some(&session_token));
    let (bytes, _) = fetch(&session1, "alice-cluster", "note").await.expect("GET with node 2's STS credentials through node 1");
    assert_eq!(bytes, b"from node 2");

    // (d) Disabled by root through node 1: refused through node 3 at once, whatever the
    // credential.
    let (key2, secret2) = create_key(cluster, 2, &token).await;
    let alice3 = cluster.client_as(3, &key2, &secret2, None);
    alice3.list_objects_v2().bucket("alice-cluster").send().await.expect("a second key works through node 3");
    let disabled = cluster.root_api(1, "POST", "/_depot/admin/users/alice/disable").await;
    assert_eq!(disabled.status, 200, "disable alice through node 1: {}", disabled.text);
    assert_eq!(disabled.body["disabled"], true, "{}", disabled.text);
    let refused = alice3.list_objects_v2().bucket("alice-cluster").send().await;
    assert_eq!(refusal(&refused), (403, "InvalidAccessKeyId".to_owned()), "a disabled user's key through node 3");
    let refused = session3.list_objects_v2().bucket("alice-cluster").send().await;
    assert_eq!(refusal(&refused), (403, "InvalidAccessKeyId".to_owned()), "a disabled user's STS credentials through node 3");
    let me = api(&endpoint(3), "GET", "/_depot/auth/me", Some(&token), None).await;
    assert_eq!((me.status, me.error_code()), (403, "AccountDisabled"), "a disabled user's login token through node 3: {}", me.text);
    let login = api(&endpoint(3), "POST", "/_depot/auth/login", None, Some(credentials)).await;
    assert_eq!((login.status, login.error_code()), (403, "AccountDisabled"), "a disabled user logging in through node 3: {}", login.text);
}

// ---- 6. Rate limits -------------------------------------------------------------------

/// Requests per access key each node admits at once, and the rate that refills them
/// (slow enough that none comes back while the test runs).
const RATE_LIMIT: &str = "5/minute";
const RATE_BURST: usize = 5;

async fn rate_limits_on_every_node(cluster: &mut Cluster) {
    // A rolling restart with the limit (the same on every node).
    for n in 1..=3 {
        let node = &mut cluster.nodes[n - 1];
        node.terminate();
        node.set("DEPOT_RATE_LIMIT", RATE_LIMIT);
        node.set("DEPOT_RATE_BURST", &RATE_BURST.to_string());
        assert_eq!(node.start_again().await, 200, "node {n}'s health after its restart with a rate limit");
    }
    // Root's key through each node: the burst passes, then SlowDown with Retry-After.
    for n in 1..=3 {
        for i in 0..RATE_BURST {
            let resp = cluster.root(n).list_buckets().send().await;
            assert_eq!(refusal(&resp), (200, String::new()), "request {i} through node {n}, within the burst");
        }
        for i in 0..3 {
            let resp = cluster.root(n).list_buckets().send().await;
            assert_eq!(refusal(&resp), (503, "SlowDown".to_owned()), "request {} through node {n}, past the burst", RATE_BURST + i);
            let retry_after = resp.as_ref().err().and_then(|e| e.raw_response()).and_then(|r| r.headers().get("retry-after")).map(str::to_owned);
            assert!(retry_after.as_deref().and_then(|s| s.parse::<u64>().ok()).is_some_and(|s| s >= 1), "Retry-After through node {n}: {retry_after:?}");
        }
    }
}
