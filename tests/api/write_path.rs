//! The write path behind PutObject and what keeps blobs and catalog in step: a failed
//! catalog transaction removes the blob it wrote and answers 500 (503 only when retrying can help); the blob is in place
//! before its row commits; the sweeper removes orphan blobs (and stale temp files) past
//! the grace period and nothing else; blobs of overwritten and deleted objects are freed;
//! an interrupted upload stores nothing; a graceful shutdown lets an upload in progress
//! finish.
//!
//! Failures are real ones, made in the database by the test (a trigger), never hooks in
//! the server.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use sqlx::Row;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::blob_body;
use crate::common::{s3_error, wait_until, TestApp};

/// Makes every insert of an object version for `keys` fail inside the catalog
/// transaction, as a database error would.
async fn fail_inserts_of(app: &TestApp, keys: &[&str]) {
    let list = keys.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(", ");
    let mut db = app.db().await;
    let statements = if app.is_postgres() {
        vec![
            "CREATE FUNCTION inject_failure() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$".to_owned(),
            format!("CREATE TRIGGER inject_failure BEFORE INSERT ON objects FOR EACH ROW WHEN (NEW.key IN ({list})) EXECUTE FUNCTION inject_failure()"),
        ]
    } else {
        vec![format!("CREATE TRIGGER inject_failure BEFORE INSERT ON objects WHEN NEW.key IN ({list}) BEGIN SELECT RAISE(ABORT, 'injected failure'); END")]
    };
    for sql in statements {
        sqlx::raw_sql(&sql).execute(&mut db).await.expect("install the failing trigger");
    }
}

async fn stop_failing(app: &TestApp) {
    let sql = if app.is_postgres() { "DROP TRIGGER inject_failure ON objects" } else { "DROP TRIGGER inject_failure" };
    sqlx::raw_sql(sql).execute(&mut app.db().await).await.expect("drop the trigger");
}

async fn outbox_events_for(app: &TestApp, key: &str) -> i64 {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE key = $1").bind(key).fetch_one(&mut app.db().await).await.unwrap();
    row.get::<i64, _>("n")
}

#[tokio::test]
async fn a_commit_refused_by_the_database_removes_its_blob_and_answers_500() {
    let app = TestApp::start().await;
    app.bucket("wpath").await;
    app.put("wpath", "boom", blob_body(b"version one")).await;
    app.put("wpath", "other", blob_body(b"bystander")).await;
    fail_inserts_of(&app, &["boom", "boom-new"]).await;
    let before = app.snapshot("wpath").await;
    let events_before = outbox_events_for(&app, "boom").await;

    for key in ["boom", "boom-new"] {
        let result = app.client.put_object().bucket("wpath").key(key).body(blob_body(b"version two").into()).send().await;
        // A statement the database refuses is not "retry later": 500, cause logged.
        assert_eq!(s3_error(result), (500, "InternalError".to_owned()), "{key}");
    }
    // The blob written for each failed write is gone again, the old version is intact
    // (bytes and blob), and no event was recorded for a write that did not happen.
    assert_eq!(app.snapshot("wpath").await, before);
    assert!(app.temp_files().is_empty());
    assert_eq!(outbox_events_for(&app, "boom").await, events_before);
    assert_eq!(outbox_events_for(&app, "boom-new").await, 0);

    // With the fault gone, the same writes succeed.
    stop_failing(&app).await;
    app.put("wpath", "boom", b"version two".to_vec()).await;
    assert_eq!(app.get("wpath", "boom").await, b"version two");
    app.shutdown().await;
}

#[tokio::test]
async fn the_blob_is_in_place_before_its_row_commits() {
    let app = TestApp::start().await;
    if !app.is_postgres() {
        // SQLite cannot hold a transaction open from outside (a second writer gets
        // SQLITE_BUSY at once); the failure test above covers the compensation there.
        eprintln!("the_blob_is_in_place_before_its_row_commits: PostgreSQL only");
        return app.shutdown().await;
    }
    app.bucket("wpath").await;
    // The insert of key "slow" waits for a lock this test holds.
    const LOCK: i64 = 7_700_123;
    let mut holder = app.db().await;
    sqlx::query("SELECT pg_advisory_lock($1)").bind(LOCK).execute(&mut holder).await.unwrap();
    sqlx::raw_sql(&format!(
        "CREATE FUNCTION wait_for_test() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock({LOCK}); RETURN NEW; END $$; \
         CREATE TRIGGER wait_for_test BEFORE INSERT ON objects FOR EACH ROW WHEN (NEW.key = 'slow') EXECUTE FUNCTION wait_for_test();"
    ))
    .execute(&mut holder)
    .await
    .unwrap();

    let client = app.client.clone();
    let put = tokio::spawn(async move { client.put_object().bucket("wpath").key("slow").body(blob_body(b"patience").into()).send().await });
    wait_until("the blob is in its final place", || async { app.blob_files().len() == 1 }).await;
    let blob = app.blob_files();
    // The blob is durable and in place, while its row is not committed yet.
    assert_eq!(s3_error(app.client.get_object().bucket("wpath").key("slow").send().await).1, "NoSuchKey");
    assert!(app.keys("wpath").await.is_empty());
    assert!(!put.is_finished());

    sqlx::query("SELECT pg_advisory_unlock($1)").bind(LOCK).execute(&mut holder).await.unwrap();
    put.await.unwrap().expect("the write completes once the catalog proceeds");
    assert!(app.get("wpath", "slow").await == blob_body(b"patience"));
    assert_eq!(app.blob_files(), blob);
    app.shutdown().await;
}

/// Writes a file under the data dir with the given age.
fn file_aged(path: PathBuf, age: Duration) -> PathBuf {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut file = File::create(&path).unwrap();
    file.write_all(b"left behind").unwrap();
    file.set_modified(SystemTime::now() - age).unwrap();
    path
}

/// Temp files a crash left behind go at the next start, without waiting for the orphan
/// grace period; a temp file written to recently (another process's upload on a shared
/// data dir) stays.
#[tokio::test]
async fn stale_temp_files_are_removed_at_start_up() {
    let mut app = TestApp::start_with(|c| c.body_timeout_secs = 5).await;
    let tmp = app.data_dir.path().join("tmp");
    let stale = tmp.join("0123456789abcdef0123456789abcdef.tmp");
    let live = tmp.join("fedcba9876543210fedcba9876543210.tmp");
    std::fs::write(&stale, b"half an upload").unwrap();
    std::fs::write(&live, b"an upload in progress").unwrap();
    let old = SystemTime::now() - Duration::from_secs(60);
    std::fs::File::options().write(true).open(&stale).unwrap().set_modified(old).unwrap();
    app.restart().await;
    assert!(!stale.exists(), "a temp file idle for longer than twice the body timeout is removed at start-up");
    assert!(live.exists(), "a recently written temp file may belong to a live upload");
    app.shutdown().await;
}

#[tokio::test]
async fn the_sweeper_removes_orphans_past_the_grace_period_only() {
    const GRACE: Duration = Duration::from_secs(3600);
    let app = TestApp::start_with(|c| {
        c.orphan_grace_secs = GRACE.as_secs();
        c.sweep_interval_secs = 1;
    })
    .await;
    app.bucket("wpath").await;
    app.put("wpath", "kept", blob_body(b"referenced")).await;
    let referenced = app.blob_files().pop().expect("the object's blob");

    // Files a second short of the grace period: past it at the next sweep. (The sweeper
    // looks at each file once, when it comes of age; this is how a crash's orphan ages.)
    let nearly = GRACE - Duration::from_secs(1);
    // The referenced blob first: any sweep that finds the orphan old enough looks at it too.
    File::options().write(true).open(&referenced).unwrap().set_modified(SystemTime::now() - nearly).unwrap();
    let blobs = app.data_dir.path().join("blobs");
    let orphan = file_aged(blobs.join("0b/ad/0bad0000000000000000000000000001"), nearly);
    let young = file_aged(blobs.join("0b/ad/0bad0000000000000000000000000002"), Duration::ZERO);
    let stale_temp = file_aged(app.data_dir.path().join("tmp/0bad0000000000000000000000000003.tmp"), 2 * GRACE);
    let young_temp = file_aged(app.data_dir.path().join("tmp/0bad0000000000000000000000000004.tmp"), Duration::ZERO);

    wait_until("the orphan and the stale temp file are swept", || async { !orphan.exists() && !stale_temp.exists() }).await;
    assert!(young.exists(), "an orphan younger than the grace period is kept");
    assert!(young_temp.exists(), "a young temp file may be a write in progress");
    assert!(referenced.exists(), "a referenced blob is never swept, however old");
    assert_eq!(app.get("wpath", "kept").await, blob_body(b"referenced"));
    app.shutdown().await;
}

#[tokio::test]
async fn blobs_of_overwritten_and_deleted_objects_are_freed() {
    let app = TestApp::start().await;
    app.bucket("wpath").await;
    let blob_set = || app.blob_files().into_iter().collect::<BTreeSet<_>>();

    app.put("wpath", "k", blob_body(b"first")).await;
    let first = blob_set();
    app.put("wpath", "k", blob_body(b"second")).await;
    wait_until("the overwritten version's blob is freed", || async { blob_set().len() == 1 && blob_set() != first }).await;
    assert_eq!(app.get("wpath", "k").await, blob_body(b"second"));

    app.client.delete_object().bucket("wpath").key("k").send().await.unwrap();
    wait_until("the deleted object's blob is freed", || async { app.blob_files().is_empty() }).await;

    for key in ["a", "b", "c"] {
        app.put("wpath", key, blob_body(key.as_bytes())).await;
    }
    let delete = aws_sdk_s3::types::Delete::builder()
        .objects(aws_sdk_s3::types::ObjectIdentifier::builder().key("a").build().unwrap())
        .objects(aws_sdk_s3::types::ObjectIdentifier::builder().key("b").build().unwrap())
        .build()
        .unwrap();
    app.client.delete_objects().bucket("wpath").delete(delete).send().await.unwrap();
    wait_until("DeleteObjects frees its blobs", || async { app.blob_files().len() == 1 }).await;
    assert!(app.get("wpath", "c").await == blob_body(b"c"), "c is intact");
    app.shutdown().await;
}

#[tokio::test]
async fn an_interrupted_upload_stores_nothing() {
    let app = TestApp::start().await;
    app.bucket("wpath").await;
    app.put("wpath", "k", b"complete".to_vec()).await;
    let before = app.snapshot("wpath").await;
    let request = app.raw("PUT", "/wpath/k").body(vec![7u8; 1024 * 1024]).sign(&app.root.access_key_id, &app.root.secret_access_key);
    let (head, body) = request.to_http1();

    // The client stops sending and says so (half-close): 400 IncompleteBody.
    let mut socket = TcpStream::connect(app.addr).await.unwrap();
    socket.write_all(&head).await.unwrap();
    socket.write_all(&body[..body.len() / 2]).await.unwrap();
    socket.shutdown().await.unwrap();
    let mut response = Vec::new();
    socket.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 400") && response.contains("<Code>IncompleteBody</Code>"), "{response}");

    // The client vanishes mid-body.
    let mut socket = TcpStream::connect(app.addr).await.unwrap();
    socket.write_all(&head).await.unwrap();
    socket.write_all(&body[..body.len() / 2]).await.unwrap();
    wait_until("the upload is being received", || async { !app.temp_files().is_empty() }).await;
    drop(socket);

    wait_until("the abandoned upload's temp file is removed", || async { app.temp_files().is_empty() }).await;
    assert_eq!(app.snapshot("wpath").await, before);
    app.shutdown().await;
}

#[tokio::test]
async fn graceful_shutdown_finishes_an_upload_in_progress() {
    let mut app = TestApp::start().await;
    app.bucket("wpath").await;
    let body: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    let request = app.raw("PUT", "/wpath/in-flight").body(body.clone()).sign(&app.root.access_key_id, &app.root.secret_access_key);
    let (head, body_bytes) = request.to_http1();
    let (first_half, second_half) = body_bytes.split_at(body_bytes.len() / 2);

    let addr = app.addr;
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket.write_all(&head).await.unwrap();
    socket.write_all(first_half).await.unwrap();
    wait_until("the upload is being received", || async { !app.temp_files().is_empty() }).await;

    let client_side = async move {
        // Shutdown has begun once new connections are refused...
        wait_until("the server stops accepting", || async { TcpStream::connect(addr).await.is_err() }).await;
        // ...and the upload in progress still completes.
        socket.write_all(second_half).await.unwrap();
        let mut response = Vec::new();
        socket.read_to_end(&mut response).await.unwrap();
        String::from_utf8_lossy(&response).into_owned()
    };
    let ((), response) = tokio::join!(app.stop_server(), client_side);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    app.restart().await;
    assert_eq!(app.get("wpath", "in-flight").await, body, "the upload was committed before the server stopped");
    app.shutdown().await;
}
