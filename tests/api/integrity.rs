//! Data integrity across drives: every blob is written as checked copies on several
//! drives, and damage to them (flipped bytes, truncated or deleted files) is read around,
//! counted and healed; when no good copy is left a read fails rather than return wrong
//! bytes. Inline objects are checked against their MD5. `depot scrub` and `depot fsck`
//! report (and repair) the same damage from the command line, beside a running server.
//!
//! The damage is done on disk (and in the catalog for inline data), behind the server's
//! back, as bit rot or an operator's mistake would.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use depot::storage::blocks::{file_len, BLOCK_SIZE};
use sqlx::Row;

use crate::common::{etag_of, get_until_closed, s3_error, wait_until, TestApp};

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;
const BLOCK: usize = BLOCK_SIZE as usize;

/// A server with three drives (temp dirs, kept alive with it), three copies of every
/// blob, and no background scrub.
struct Cluster {
    app: TestApp,
    drives: Vec<tempfile::TempDir>,
}

impl Cluster {
    async fn start() -> Cluster {
        let drives: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().expect("drive dir")).collect();
        let dirs: Vec<PathBuf> = drives.iter().map(|d| d.path().to_path_buf()).collect();
        let app = TestApp::start_with(|c| {
            c.drives = dirs;
            c.copies = Some(3);
            c.scrub_bytes_per_sec = 0;
        })
        .await;
        Cluster { app, drives }
    }

    fn dirs(&self) -> Vec<PathBuf> {
        self.drives.iter().map(|d| d.path().to_path_buf()).collect()
    }

    async fn shutdown(self) {
        self.app.shutdown().await;
        drop(self.drives);
    }
}

/// Bytes that differ from block to block and from seed to seed.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| ((i / 7) as u8).wrapping_mul(31).wrapping_add(seed) ^ (i as u8) ^ ((i / BLOCK) as u8)).collect()
}

/// The blob holding the (single-part) latest version of `bucket/key`.
async fn blob_id(app: &TestApp, bucket: &str, key: &str) -> String {
    let mut db = app.db().await;
    let row = sqlx::query(
        "SELECT p.blob_id FROM object_parts p JOIN objects o ON o.id = p.object_id JOIN buckets b ON b.id = o.bucket_id \
         WHERE b.name = $1 AND o.key = $2 AND o.is_latest = 1 AND p.blob_id IS NOT NULL",
    )
    .bind(bucket)
    .bind(key)
    .fetch_one(&mut db)
    .await
    .expect("the object's blob");
    row.get::<String, _>("blob_id")
}

/// The drives `blob_copies` records for a blob, sorted.
async fn recorded_copies(app: &TestApp, blob_id: &str) -> Vec<String> {
    let mut db = app.db().await;
    let rows = sqlx::query("SELECT drive_id FROM blob_copies WHERE blob_id = $1").bind(blob_id).fetch_all(&mut db).await.expect("blob copies");
    let mut ids: Vec<String> = rows.iter().map(|r| r.get::<String, _>("drive_id")).collect();
    ids.sort();
    ids
}

/// The blob's file on every drive, in the order a reader looks for it.
fn copy_paths(app: &TestApp, blob_id: &str) -> Vec<PathBuf> {
    app.state().blobs.drives().preference(blob_id).iter().map(|d| d.blob_path(blob_id)).collect()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Inverts one byte of a file in place.
fn flip_byte(path: &Path, offset: usize) {
    let mut bytes = read(path);
    bytes[offset] ^= 0xff;
    std::fs::write(path, bytes).unwrap();
}

/// Whether every path holds exactly `expected`.
fn all_equal(paths: &[PathBuf], expected: &[u8]) -> bool {
    paths.iter().all(|p| std::fs::read(p).is_ok_and(|b| b == expected))
}

/// A counter of `/_depot/metrics` (0 when absent).
async fn metric(app: &TestApp, name: &str) -> u64 {
    let resp = app.raw("GET", "/_depot/metrics").send().await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    resp.text().lines().find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(' ')).map(|v| v.trim().parse().expect("a number"))).unwrap_or(0)
}

async fn health(app: &TestApp) -> serde_json::Value {
    let resp = app.raw("GET", "/_depot/health").send().await;
    serde_json::from_slice(&resp.body).unwrap_or_else(|e| panic!("health is JSON ({e}): {}", resp.text()))
}

/// The sum of one counter over the drives of `/_depot/health`.
fn drive_total(health: &serde_json::Value, field: &str) -> u64 {
    health["checks"]["storage"]["drives"].as_array().expect("drives").iter().map(|d| d[field].as_u64().expect(field)).sum()
}

/// A signed ranged GET: (status, body).
async fn get_range(app: &TestApp, bucket: &str, key: &str, range: &str) -> (u16, Vec<u8>) {
    let resp = app.send_signed(app.raw("GET", &format!("/{bucket}/{key}")).header("range", range)).await;
    (resp.status, resp.body)
}

/// Runs the `depot` binary on the app's data dir, drives and catalog: (exit code,
/// stdout).
async fn depot_cli(app: &TestApp, drives: &[PathBuf], copies: Option<usize>, args: &[&str]) -> (i32, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_depot"));
    command.args(args).arg("--data-dir").arg(app.data_dir.path()).args(["--log-level", "off"]);
    for drive in drives {
        command.arg("--drive").arg(drive);
    }
    if let Some(copies) = copies {
        command.arg("--copies").arg(copies.to_string());
    }
    for var in ["DEPOT_DATABASE_URL", "DEPOT_DRIVES", "DEPOT_COPIES", "DEPOT_WRITE_QUORUM", "DEPOT_DATA_DIR"] {
        command.env_remove(var);
    }
    if let Some(url) = &app.state().config.database_url {
        command.env("DEPOT_DATABASE_URL", url.expose());
    }
    let out = tokio::task::spawn_blocking(move || command.output()).await.unwrap().expect("run depot");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let code = out.status.code().unwrap_or_else(|| panic!("depot {args:?} was killed: {stdout} {}", String::from_utf8_lossy(&out.stderr)));
    (code, stdout)
}

#[tokio::test]
async fn a_put_writes_one_checked_copy_to_every_drive() {
    let cluster = Cluster::start().await;
    let app = &cluster.app;
    app.bucket("spread").await;
    let body = pattern(300 * KIB + 17, 1);
    assert_eq!(app.put("spread", "obj", body.clone()).await, etag_of(&body));

    let blob = blob_id(app, "spread", "obj").await;
    assert_eq!(blob.len(), 32, "{blob}");
    let drives = app.state().blobs.drives().all().to_vec();
    assert_eq!(drives.len(), 3);
    for (drive, dir) in drives.iter().zip(cluster.dirs()) {
        assert_eq!(drive.root, dir);
        let path = drive.blob_path(&blob);
        assert_eq!(path, dir.join("blobs").join(&blob[0..2]).join(&blob[2..4]).join(&blob));
        let file = read(&path);
        assert_eq!(file.len() as u64, file_len(body.len() as u64), "{}", path.display());
        assert_eq!(&file[..body.len()], &body[..], "the data comes first in the file");
        assert_eq!(std::fs::read_to_string(dir.join("drive-id")).unwrap().trim(), drive.id);
        assert!(std::fs::read_dir(dir.join("tmp")).unwrap().next().is_none(), "no temp file left on {}", dir.display());
    }
    let files: BTreeSet<Vec<u8>> = copy_paths(app, &blob).iter().map(|p| read(p)).collect();
    assert_eq!(files.len(), 1, "the three copies are identical");
    let mut ids: Vec<String> = drives.iter().map(|d| d.id.clone()).collect();
    ids.sort();
    assert_eq!(recorded_copies(app, &blob).await, ids, "blob_copies lists the three drives");
    assert!(app.data_dir.path().join("blobs").read_dir().map_or(true, |mut d| d.next().is_none()), "no blob in the data dir when drives are given");

    let health = health(app).await;
    let storage = &health["checks"]["storage"];
    assert_eq!((storage["status"].as_str(), storage["copies"].as_u64(), storage["write_quorum"].as_u64()), (Some("ok"), Some(3), Some(3)), "{health}");
    let listed: Vec<&str> = storage["drives"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(listed.len(), 3);
    assert!(drives.iter().all(|d| listed.contains(&d.id.as_str())), "{health}");
    assert_eq!(app.get("spread", "obj").await, body);
    cluster.shutdown().await;
}

#[tokio::test]
async fn damaged_copies_are_read_around_and_healed() {
    let cluster = Cluster::start().await;
    let app = &cluster.app;
    app.bucket("rot").await;
    let body = pattern(MIB + 1000, 2);
    app.put("rot", "obj", body.clone()).await;
    let blob = blob_id(app, "rot", "obj").await;
    let paths = copy_paths(app, &blob);
    let good = read(&paths[0]);
    let errors_before = metric(app, "depot_integrity_errors_total").await;

    // One copy, the one a reader tries first, has a flipped byte in block 3.
    flip_byte(&paths[0], 3 * BLOCK + 100);
    assert_eq!(app.get("rot", "obj").await, body, "the whole object, read around the damage");
    assert!(metric(app, "depot_integrity_errors_total").await > errors_before);
    wait_until("the damaged copy is rewritten", || async { all_equal(&paths, &good) }).await;
    wait_until("the repair is counted", || async { metric(app, "depot_integrity_repaired_total").await >= 1 }).await;

    // Two copies damaged in block 5, one of them also in block 9: a ranged GET over
    // block 5 and a whole GET still return the exact bytes.
    let errors_before = metric(app, "depot_integrity_errors_total").await;
    flip_byte(&paths[0], 5 * BLOCK + 7);
    flip_byte(&paths[1], 5 * BLOCK + 7);
    flip_byte(&paths[1], 9 * BLOCK);
    let (from, to) = (5 * BLOCK - 10, 6 * BLOCK + 10);
    let (status, bytes) = get_range(app, "rot", "obj", &format!("bytes={from}-{to}")).await;
    assert_eq!(status, 206);
    assert!(bytes == body[from..=to], "the range returns the exact bytes");
    assert!(metric(app, "depot_integrity_errors_total").await >= errors_before + 2, "both damaged copies counted");
    assert_eq!(app.get("rot", "obj").await, body);
    wait_until("both damaged copies are rewritten", || async { all_equal(&paths, &good) }).await;
    wait_until("the repair is counted", || async { metric(app, "depot_integrity_repaired_total").await >= 3 }).await;
    assert_eq!(recorded_copies(app, &blob).await.len(), 3);

    let health = health(app).await;
    assert!(drive_total(&health, "errors_found") >= 3, "{health}");
    assert!(drive_total(&health, "repaired") >= 3, "{health}");
    assert_eq!(health["checks"]["storage"]["status"], "ok", "damage found is no drive failure: {health}");
    cluster.shutdown().await;
}

#[tokio::test]
async fn truncated_and_deleted_copies_are_restored() {
    let mut cluster = Cluster::start().await;
    let app = &cluster.app;
    app.bucket("gone").await;
    let body = pattern(700 * KIB + 3, 3);
    app.put("gone", "obj", body.clone()).await;
    let blob = blob_id(app, "gone", "obj").await;
    let paths = copy_paths(app, &blob);
    let good = read(&paths[0]);
    let repaired_before = metric(app, "depot_integrity_repaired_total").await;

    std::fs::write(&paths[0], &good[..good.len() / 2]).unwrap();
    std::fs::remove_file(&paths[1]).unwrap();
    assert_eq!(app.get("gone", "obj").await, body);
    wait_until("both copies are back", || async { all_equal(&paths, &good) }).await;
    wait_until("the repair is counted", || async { metric(app, "depot_integrity_repaired_total").await >= repaired_before + 2 }).await;
    assert_eq!(recorded_copies(app, &blob).await.len(), 3, "the catalog records three copies");
    let (status, bytes) = get_range(app, "gone", "obj", "bytes=-70000").await;
    assert_eq!((status, bytes.as_slice()), (206, &body[body.len() - 70000..]));

    // A damaged footer on one copy and a damaged block checksum on another.
    flip_byte(&paths[0], good.len() - 1);
    flip_byte(&paths[1], body.len() + 2 * 4);
    assert_eq!(app.get("gone", "obj").await, body);
    wait_until("the footer and the checksum table are rewritten", || async { all_equal(&paths, &good) }).await;

    // A copy lost together with its record is found by the healer's search for blobs
    // short of copies (at start-up), without any read.
    let lost_drive = app.state().blobs.drives().preference(&blob)[2].id.clone();
    std::fs::remove_file(&paths[2]).unwrap();
    let mut db = app.db().await;
    sqlx::query("DELETE FROM blob_copies WHERE blob_id = $1 AND drive_id = $2").bind(&blob).bind(&lost_drive).execute(&mut db).await.unwrap();
    drop(db);
    cluster.app.restart().await;
    let app = &cluster.app;
    wait_until("the lost copy is written again", || async { all_equal(&paths, &good) }).await;
    wait_until("the catalog records it", || async { recorded_copies(app, &blob).await.len() == 3 }).await;
    assert_eq!(app.get("gone", "obj").await, body);
    cluster.shutdown().await;
}

#[tokio::test]
async fn reads_fail_rather_than_return_damaged_bytes_when_no_copy_is_good() {
    let cluster = Cluster::start().await;
    let app = &cluster.app;
    app.bucket("lost").await;
    let small = pattern(200 * KIB, 4);
    let large = pattern(2 * MIB, 5);
    app.put("lost", "first-block", small.clone()).await;
    app.put("lost", "late-block", large.clone()).await;
    let small_paths = copy_paths(app, &blob_id(app, "lost", "first-block").await);
    let large_paths = copy_paths(app, &blob_id(app, "lost", "late-block").await);
    for path in &small_paths {
        flip_byte(path, 1000);
    }
    for path in &large_paths {
        flip_byte(path, 10 * BLOCK + 5);
    }
    let damaged: Vec<Vec<u8>> = small_paths.iter().chain(&large_paths).map(|p| read(p)).collect();
    let (unrecoverable_before, repaired_before) =
        (metric(app, "depot_integrity_unrecoverable_total").await, metric(app, "depot_integrity_repaired_total").await);

    // The first block is bad everywhere: an error before any header.
    let (status, code) = s3_error(app.client.get_object().bucket("lost").key("first-block").send().await);
    assert_eq!((status, code.as_str()), (500, "InternalError"));
    let (status, _) = get_range(app, "lost", "first-block", "bytes=0-99").await;
    assert_eq!(status, 500);

    // Block 10 is bad everywhere: the response starts, then is cut short; what arrived
    // is the object's own bytes.
    let (status, len, arrived) = get_until_closed(app, "/lost/late-block", None).await;
    let len = len.unwrap_or(0);
    assert_eq!((status, len), (200, large.len()));
    assert!(arrived.len() < len && arrived.len() <= 10 * BLOCK, "the body stops at the damaged block, got {} bytes", arrived.len());
    assert!(arrived[..] == large[..arrived.len()], "only correct bytes arrive");
    let (status, len, arrived) = get_until_closed(app, "/lost/late-block", Some("bytes=0-")).await;
    let len = len.unwrap_or(0);
    assert_eq!((status, len), (206, large.len()));
    assert!(arrived.len() < len && arrived[..] == large[..arrived.len()], "a ranged GET from 0 is cut too ({} bytes)", arrived.len());
    let out = app.client.get_object().bucket("lost").key("late-block").send().await.expect("the response starts");
    // The body fails (or at least comes up short): the client knows the read failed.
    if let Ok(bytes) = out.body.collect().await {
        assert!(bytes.into_bytes().len() < large.len(), "the SDK never gets the whole body");
    }
    // A range that ends before the damage is served in full.
    let (status, bytes) = get_range(app, "lost", "late-block", &format!("bytes=0-{}", 8 * BLOCK - 1)).await;
    assert_eq!((status, bytes.as_slice()), (206, &large[..8 * BLOCK]));
    assert!(metric(app, "depot_integrity_unrecoverable_total").await >= unrecoverable_before + 4);

    // The healer looked at both blobs (it works in order: once a later request is
    // handled, these were) and rewrote nothing.
    app.put("lost", "witness", pattern(300 * KIB, 6)).await;
    let witness = copy_paths(app, &blob_id(app, "lost", "witness").await);
    let witness_good = read(&witness[0]);
    flip_byte(&witness[0], 10);
    assert_eq!(app.get("lost", "witness").await, pattern(300 * KIB, 6));
    wait_until("the witness is healed", || async { all_equal(&witness, &witness_good) }).await;
    // The healer counts a repair just after the copy is in place.
    wait_until("the repair is counted", || async { metric(app, "depot_integrity_repaired_total").await > repaired_before }).await;
    let now: Vec<Vec<u8>> = small_paths.iter().chain(&large_paths).map(|p| read(p)).collect();
    assert!(now == damaged, "copies with no good source are left as they are");
    assert_eq!(metric(app, "depot_integrity_repaired_total").await, repaired_before + 1, "only the witness was repaired");
    assert_eq!(app.keys("lost").await, ["first-block", "late-block", "witness"], "lost objects are still listed");
    let head = app.client.head_object().bucket("lost").key("late-block").send().await.expect("head");
    assert_eq!(head.content_length(), Some(large.len() as i64));
    cluster.shutdown().await;
}

#[tokio::test]
async fn damaged_inline_data_fails_reads_and_is_reported_by_scrub() {
    let cluster = Cluster::start().await;
    let app = &cluster.app;
    app.bucket("tiny").await;
    app.bucket("other").await;
    let body = pattern(1000, 7);
    app.put("tiny", "small", body.clone()).await;
    app.put("tiny", "fine", pattern(900, 8)).await;
    app.put("other", "big", pattern(300 * KIB, 9)).await;
    let mut db = app.db().await;
    let changed = sqlx::query(
        "UPDATE object_parts SET data = $1 WHERE blob_id IS NULL AND object_id IN \
         (SELECT o.id FROM objects o JOIN buckets b ON b.id = o.bucket_id WHERE b.name = $2 AND o.key = $3)",
    )
    .bind(pattern(1000, 70))
    .bind("tiny")
    .bind("small")
    .execute(&mut db)
    .await
    .expect("damage the inline bytes")
    .rows_affected();
    assert_eq!(changed, 1, "the object is stored inline");
    drop(db);

    let (status, code) = s3_error(app.client.get_object().bucket("tiny").key("small").send().await);
    assert_eq!((status, code.as_str()), (500, "InternalError"));
    assert_eq!(app.get("tiny", "fine").await, pattern(900, 8));

    let (code, report) = depot_cli(app, &cluster.dirs(), Some(3), &["scrub"]).await;
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("Scrub: 1 blobs and 2 inline objects checked"), "{report}");
    assert!(report.contains("errors found: 1\n") && report.contains("unrecoverable: 1\n"), "{report}");
    assert!(report.lines().any(|l| l.starts_with("    tiny/small version ")), "{report}");
    assert!(!report.contains("tiny/fine"), "{report}");
    let (code, report) = depot_cli(app, &cluster.dirs(), Some(3), &["scrub", "--bucket", "other"]).await;
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("Scrub: 1 blobs and 0 inline objects checked") && report.contains("unrecoverable: 0\n"), "{report}");
    cluster.shutdown().await;
}

#[tokio::test]
async fn scrub_and_fsck_report_and_repair_from_the_command_line() {
    let cluster = Cluster::start().await;
    let app = &cluster.app;
    let dirs = cluster.dirs();
    app.bucket("alpha").await;
    app.bucket("beta").await;
    let body = pattern(500 * KIB, 10);
    app.put("alpha", "a", body.clone()).await;
    app.put("beta", "b", pattern(200 * KIB, 11)).await;
    let paths = copy_paths(app, &blob_id(app, "alpha", "a").await);
    let good = read(&paths[0]);

    let (code, report) = depot_cli(app, &dirs, Some(3), &["fsck"]).await;
    assert_eq!(code, 0, "{report}");
    assert!(report.trim_end().ends_with("clean"), "{report}");
    let (code, report) = depot_cli(app, &dirs, Some(3), &["scrub"]).await;
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("Scrub: 2 blobs and 0 inline objects checked") && report.contains("errors found: 0\n"), "{report}");

    flip_byte(&paths[2], 4 * BLOCK + 1);
    let damaged = read(&paths[2]);
    // Another bucket's scrub does not look at it.
    let (code, report) = depot_cli(app, &dirs, Some(3), &["scrub", "--bucket", "beta"]).await;
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("Scrub: 1 blobs and 0 inline objects checked") && report.contains("errors found: 0\n"), "{report}");
    // A scrub without --repair reports the damage and leaves the file as it is.
    let (code, report) = depot_cli(app, &dirs, Some(3), &["scrub"]).await;
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("errors found: 1\n") && report.contains("copies repaired: 0\n") && report.contains("unrecoverable: 0\n"), "{report}");
    assert!(read(&paths[2]) == damaged, "scrub without --repair changes nothing");
    let (code, report) = depot_cli(app, &dirs, Some(3), &["scrub", "--bucket", "alpha"]).await;
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("Scrub: 1 blobs") && report.contains("errors found: 1\n"), "{report}");
    // With --repair it rewrites the copy.
    let (code, report) = depot_cli(app, &dirs, Some(3), &["scrub", "--repair", "--rate", "100000000"]).await;
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("errors found: 1\n") && report.contains("copies repaired: 1\n") && report.contains("blobs short of copies: 0\n"), "{report}");
    assert!(all_equal(&paths, &good), "every copy is good again");
    let (code, report) = depot_cli(app, &dirs, Some(3), &["scrub"]).await;
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("errors found: 0\n"), "{report}");
    assert_eq!(app.get("alpha", "a").await, body);

    // Every copy of beta/b deleted: fsck reports the object missing.
    for path in copy_paths(app, &blob_id(app, "beta", "b").await) {
        std::fs::remove_file(path).unwrap();
    }
    let (code, report) = depot_cli(app, &dirs, Some(3), &["fsck"]).await;
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("missing (no usable copy): 1\n") && report.contains("    missing: beta/b version "), "{report}");
    assert!(report.trim_end().ends_with("problems found"), "{report}");
    let (code, report) = depot_cli(app, &dirs, Some(3), &["scrub", "--repair"]).await;
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("unrecoverable: 1\n") && report.lines().any(|l| l.starts_with("    beta/b version ")), "{report}");
    cluster.shutdown().await;
}

#[tokio::test]
async fn a_single_drive_store_fails_reads_of_its_damaged_only_copy() {
    let app = TestApp::start_with(|c| c.scrub_bytes_per_sec = 0).await;
    app.bucket("solo").await;
    let body = pattern(400 * KIB, 12);
    app.put("solo", "obj", body.clone()).await;
    let blob = blob_id(&app, "solo", "obj").await;
    let files = app.blob_files();
    assert_eq!(files.len(), 1, "one copy, in the data dir: {files:?}");
    assert_eq!(files[0], app.data_dir.path().join("blobs").join(&blob[0..2]).join(&blob[2..4]).join(&blob));
    assert_eq!(std::fs::metadata(&files[0]).unwrap().len(), file_len(body.len() as u64));
    assert_eq!(recorded_copies(&app, &blob).await.len(), 1);
    let (code, report) = depot_cli(&app, &[], None, &["fsck"]).await;
    assert_eq!(code, 0, "{report}");

    flip_byte(&files[0], BLOCK + 3);
    let damaged = read(&files[0]);
    let unrecoverable_before = metric(&app, "depot_integrity_unrecoverable_total").await;
    let (status, code) = s3_error(app.client.get_object().bucket("solo").key("obj").send().await);
    assert_eq!((status, code.as_str()), (500, "InternalError"));
    assert!(metric(&app, "depot_integrity_unrecoverable_total").await > unrecoverable_before);
    // A range that misses the damaged block is still served.
    let (status, bytes) = get_range(&app, "solo", "obj", &format!("bytes={}-{}", 5 * BLOCK, 6 * BLOCK - 1)).await;
    assert_eq!((status, bytes.as_slice()), (206, &body[5 * BLOCK..6 * BLOCK]));

    for args in [&["scrub"][..], &["scrub", "--repair"][..]] {
        let (code, report) = depot_cli(&app, &[], None, args).await;
        assert_eq!(code, 1, "{args:?}: {report}");
        assert!(report.contains("unrecoverable: 1\n") && report.lines().any(|l| l.starts_with("    solo/obj version ")), "{report}");
    }
    assert!(read(&files[0]) == damaged, "nothing to repair from: the file is left as it is");
    app.shutdown().await;
}

#[tokio::test]
async fn adding_drives_to_a_single_drive_store_makes_the_missing_copies() {
    let mut app = TestApp::start_with(|c| c.scrub_bytes_per_sec = 0).await;
    app.bucket("old").await;
    let bodies: Vec<Vec<u8>> = (0..3).map(|i| pattern(300 * KIB + i * 1000, 40 + i as u8)).collect();
    let mut blobs = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        app.put("old", &format!("k{i}"), body.clone()).await;
        blobs.push(blob_id(&app, "old", &format!("k{i}")).await);
    }
    // k0 as a store from before block checksums and copy records holds it: the data
    // alone, and no record of where it is.
    let legacy = app.data_dir.path().join("blobs").join(&blobs[0][0..2]).join(&blobs[0][2..4]).join(&blobs[0]);
    std::fs::OpenOptions::new().write(true).open(&legacy).unwrap().set_len(bodies[0].len() as u64).unwrap();
    sqlx::query("DELETE FROM blob_copies WHERE blob_id = $1").bind(&blobs[0]).execute(&mut app.db().await).await.unwrap();
    assert_eq!(app.get("old", "k0").await, bodies[0], "a blob without a block table still reads");

    // Drives that leave out the data dir, which holds blobs, are refused.
    let extra: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut without = app.state().config.clone();
    without.drives = extra.iter().map(|d| d.path().to_path_buf()).collect();
    let refused = depot::server::open_blobs(&without).err().expect("drives without the data dir are refused");
    assert!(refused.to_string().contains("list the data dir as one of the drives"), "{refused}");

    // The data dir and two new drives, three copies: the healer makes the rest.
    let mut drives = vec![app.data_dir.path().to_path_buf()];
    drives.extend(extra.iter().map(|d| d.path().to_path_buf()));
    let dirs = drives.clone();
    app.restart_with(|c| {
        c.drives = dirs;
        c.copies = Some(3);
    })
    .await;
    for (blob, body) in blobs.iter().zip(&bodies) {
        let paths = copy_paths(&app, blob);
        let expected_len = file_len(body.len() as u64);
        wait_until("three checked copies of every blob, on disk and recorded", || async {
            let on_disk = paths.iter().all(|p| std::fs::metadata(p).is_ok_and(|m| m.len() == expected_len));
            on_disk && recorded_copies(&app, blob).await.len() == 3
        })
        .await;
        assert!(read(&paths[0])[..body.len()] == body[..]);
    }
    for (i, body) in bodies.iter().enumerate() {
        assert_eq!(&app.get("old", &format!("k{i}")).await, body);
    }
    let (code, report) = depot_cli(&app, &drives, Some(3), &["fsck"]).await;
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("copies without block checksums: 0"), "the legacy copy was rewritten with a block table: {report}");
    app.shutdown().await;
    drop(extra);
}

#[tokio::test]
async fn the_background_scrubber_repairs_damage_nobody_reads() {
    let drives: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let dirs: Vec<PathBuf> = drives.iter().map(|d| d.path().to_path_buf()).collect();
    let app = TestApp::start_with(|c| {
        c.drives = dirs;
        c.copies = Some(3);
        c.scrub_bytes_per_sec = 64 * MIB as u64;
        c.scrub_interval_secs = 1;
    })
    .await;
    app.bucket("cold").await;
    let body = pattern(200 * KIB, 77);
    app.put("cold", "archive", body.clone()).await;
    let blob = blob_id(&app, "cold", "archive").await;
    let paths = copy_paths(&app, &blob);
    let good = read(&paths[2]);
    // The copy a reader would try last: no GET would notice it.
    flip_byte(&paths[2], BLOCK + 1);
    wait_until("the scrubber rewrites the damaged copy", || async { all_equal(&paths, &good) }).await;
    wait_until("a scrub pass is reported", || async {
        let health = health(&app).await;
        let scrub = &health["checks"]["storage"]["scrub"];
        scrub["passes"].as_u64().is_some_and(|n| n >= 1)
            && scrub["last_pass_ms"].is_i64()
            && health["checks"]["storage"]["drives"].as_array().is_some_and(|d| d.iter().all(|d| d["last_scrub_ms"].is_i64()))
    })
    .await;
    assert!(metric(&app, "depot_scrub_bytes_total").await >= 2 * body.len() as u64, "the good copies were read whole");
    wait_until("the repair is counted", || async { metric(&app, "depot_integrity_repaired_total").await >= 1 }).await;
    assert_eq!(app.get("cold", "archive").await, body);
    app.shutdown().await;
    drop(drives);
}

#[tokio::test]
async fn too_few_working_drives_refuse_writes_with_503_and_reads_go_on() {
    let cluster = Cluster::start().await;
    let app = &cluster.app;
    app.bucket("quorum").await;
    let body = pattern(300 * KIB, 90);
    app.put("quorum", "before", body.clone()).await;

    // One of three drives goes away; every write needs all three (the default quorum).
    let gone = cluster.dirs()[0].clone();
    let aside = gone.with_extension("away");
    std::fs::rename(&gone, &aside).unwrap();
    let (status, code) = s3_error(app.client.put_object().bucket("quorum").key("during").body(pattern(200 * KIB, 91).into()).send().await);
    assert_eq!((status, code.as_str()), (503, "ServiceUnavailable"), "too few drives work: retry later, not a full disk");
    assert_eq!(app.get("quorum", "before").await, body, "reads use the other copies");
    let resp = app.raw("GET", "/_depot/health").send().await;
    let health: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!((resp.status, health["checks"]["storage"]["status"].as_str()), (503, Some("error")), "{health}");
    let keys = app.keys("quorum").await;
    assert_eq!(keys, vec!["before"], "the refused write stored nothing");

    // Back again: writes work.
    std::fs::rename(&aside, &gone).unwrap();
    wait_until("writes work again", || async {
        app.client.put_object().bucket("quorum").key("after").body(pattern(200 * KIB, 92).into()).send().await.is_ok()
    })
    .await;
    assert_eq!(app.get("quorum", "after").await, pattern(200 * KIB, 92));
    cluster.shutdown().await;
}
