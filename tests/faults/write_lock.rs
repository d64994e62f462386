//! A busy catalog: another process holds the SQLite write lock (`BEGIN IMMEDIATE`) for
//! 5 s while PUTs arrive. What a user relies on: the PUTs wait for the lock (the server
//! sets a 10 s `busy_timeout`) and then succeed, instead of failing at once with
//! `database is locked`.
//!
//! SQLite only (skipped when `DEPOT_TEST_DATABASE_URL` is set).

use std::time::{Duration, Instant};

use sqlx::Connection;

use crate::harness::{body, get, put, skip_unless_sqlite, Depot, Outcome};

const BUCKET: &str = "locked";
const HOLD: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn put_waits_for_a_held_sqlite_write_lock() {
    if skip_unless_sqlite("it holds SQLite's write lock (BEGIN IMMEDIATE), which PostgreSQL does not have") {
        return;
    }
    let _serial = crate::harness::one_at_a_time().await;
    let data_dir = tempfile::tempdir().expect("data dir");
    let depot = Depot::start(data_dir.path(), &[]).await;
    depot.client.create_bucket().bucket(BUCKET).send().await.expect("create bucket");
    assert!(put(&depot.client, BUCKET, "warm-up", b"warm".to_vec()).await.is_acked());

    let url = format!("sqlite://{}", depot.catalog_path().display());
    let mut holder = sqlx::SqliteConnection::connect(&url).await.expect("open the catalog");
    sqlx::query("BEGIN IMMEDIATE").execute(&mut holder).await.expect("take the write lock");
    let locked_at = Instant::now();

    // Inline bodies (catalog only) and blob bodies (file, then catalog), at once.
    let sizes = [1024, 1024, 1024, 100 * 1024, 100 * 1024, 100 * 1024];
    let mut tasks = Vec::new();
    for (i, len) in sizes.into_iter().enumerate() {
        let client = depot.client.clone();
        tasks.push(tokio::spawn(async move {
            let key = format!("while-locked/{i}");
            let data = body(i as u64 + 7, len);
            let outcome = put(&client, BUCKET, &key, data.clone()).await;
            (key, data, outcome, locked_at.elapsed())
        }));
    }
    tokio::time::sleep(HOLD).await;
    sqlx::query("COMMIT").execute(&mut holder).await.expect("release the write lock");
    let _ = holder.close().await;

    let mut problems = Vec::new();
    for task in tasks {
        let (key, data, outcome, after) = task.await.expect("put task");
        println!("PUT {key}: {outcome:?} after {after:?}");
        match outcome {
            Outcome::Acked => {
                if get(&depot.client, BUCKET, &key).await.ok() != Some(data) {
                    problems.push(format!("PUT {key} was acknowledged but does not read back"));
                }
            }
            other => problems.push(format!("PUT {key} failed with {other:?} after {after:?} instead of waiting for the lock")),
        }
    }
    let locked: Vec<String> = depot.log_lines().into_iter().filter(|l| l.contains("database is locked")).collect();
    if !locked.is_empty() {
        println!("server log: {} lines with 'database is locked', e.g. {}", locked.len(), locked[0]);
    }
    drop(depot);
    assert!(problems.is_empty(), "a held write lock broke PUTs:\n- {}", problems.join("\n- "));
}
