//! Backup and restore, done exactly as README's "Backup and restore" says, with the real
//! tools: `depot admin gc pause`, the catalog backed up with `sqlite3 .backup` (SQLite)
//! or `pg_dump --format=custom` (PostgreSQL), the drive directories copied with `rsync -a`,
//! `depot admin gc resume`; then the backup restored into a fresh data dir, new drive
//! paths (and a fresh PostgreSQL database, `pg_restore --no-owner`), `depot fsck`, and
//! every version read back.
//!
//! What it shows:
//! - The pause is what makes the online backup consistent: objects deleted and
//!   overwritten after the catalog backup (and an orphan file planted then) keep their
//!   blob files on every drive while paused, for longer than the GC delay and the orphan
//!   grace; once collection resumes the live server frees them (the control).
//! - The restore has every bucket, version, delete marker, ETag, MD5, metadata and tag
//!   the catalog backup had, the objects deleted after it included; ListObjectVersions
//!   matches. The backup carries the pause (it was taken while paused), so the restore
//!   resumes collection on the restored catalog.
//! - `depot fsck` on the restore finds every referenced blob with its copies; the blob
//!   files written after the catalog backup are its only unreferenced files (listed once
//!   past the grace), and the restored server's orphan sweeper removes them.
//!
//! On SQLite, and on PostgreSQL when `DEPOT_TEST_DATABASE_URL` is set. Skipped (a SKIP
//! line) when the `sqlite3` CLI, or `pg_dump` / `pg_restore` on PostgreSQL, is missing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, CompletedMultipartUpload, CompletedPart, VersioningConfiguration};
use aws_sdk_s3::Client;

use crate::harness::{
    blob_copies_on_drives, body, md5_hex, open_catalog, postgres_admin_url, referenced_blob_ids, Depot, TestDatabase, ACCESS_KEY, SECRET_KEY,
};

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;
const DOCS: &str = "docs";
const HISTORY: &str = "history";
const EMPTY: &str = "empty";
/// Drives per site; every blob has a copy on each.
const COPIES: usize = 2;
/// The live server's GC delay and orphan grace while the backup runs (seconds).
const GC_DELAY: u64 = 1;
const ORPHAN_GRACE: u64 = 2;
/// How long the test waits, paused, after the deletes: past the GC delay, the orphan
/// grace and a sweep interval, with room for a loaded machine.
const HELD_FOR: Duration = Duration::from_secs(4);

/// One stored version as a client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stored {
    bucket: String,
    key: String,
    version_id: String,
    md5: String,
    etag: String,
    size: usize,
    content_type: Option<String>,
    metadata: BTreeMap<String, String>,
    tags: BTreeMap<String, String>,
}

/// One ListObjectVersions entry: key, version id, latest, delete marker, ETag, size,
/// last modified (ms).
type Listed = (String, String, bool, bool, Option<String>, Option<i64>, Option<i64>);

/// A data dir, its drives and its catalog (the SQLite file in the data dir, or a
/// PostgreSQL database of its own), under one temp dir.
struct Site {
    root: tempfile::TempDir,
    data: PathBuf,
    drives: Vec<PathBuf>,
    database: Option<TestDatabase>,
}

impl Site {
    async fn new(prefix: &str, drive_names: [&str; COPIES]) -> Site {
        let root = tempfile::Builder::new().prefix(prefix).tempdir().expect("temp dir");
        let data = root.path().join("data");
        std::fs::create_dir_all(&data).expect("data dir");
        let drives: Vec<PathBuf> = drive_names.iter().map(|name| root.path().join(name)).collect();
        let database = match postgres_admin_url() {
            Some(admin_url) => Some(TestDatabase::create(&admin_url).await),
            None => None,
        };
        Site { root, data, drives, database }
    }

    fn database_url(&self) -> Option<String> {
        self.database.as_ref().map(TestDatabase::url)
    }

    /// The settings every `depot` command and server of this site gets.
    fn env(&self) -> Vec<(String, String)> {
        let drives = self.drives.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(",");
        let mut env = vec![
            ("DEPOT_DATA_DIR".to_owned(), self.data.display().to_string()),
            ("DEPOT_DRIVES".to_owned(), drives),
            ("DEPOT_COPIES".to_owned(), COPIES.to_string()),
        ];
        // Set after the harness's own database for the server, so it wins.
        if let Some(url) = self.database_url() {
            env.push(("DEPOT_DATABASE_URL".to_owned(), url));
        }
        env
    }

    /// Starts a server on this site with its settings and `extra` on top.
    async fn start(&self, extra: &[(&str, String)]) -> Depot {
        let mut settings = self.env();
        settings.push(("DEPOT_SCRUB_BYTES_PER_SEC".to_owned(), "0".to_owned()));
        settings.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        let refs: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Depot::start(&self.data, &refs).await
    }

    /// Runs `depot ARGS` on this site's catalog and drives (and, with `endpoint`,
    /// through that server as root); the exit code, stdout and stderr.
    fn depot(&self, args: &[&str], extra: &[(&str, &str)]) -> (i32, String, String) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_depot"));
        command
            .args(args)
            .env_remove("DEPOT_DATABASE_URL")
            .env_remove("DEPOT_TEST_DATABASE_URL")
            .env_remove("DEPOT_ENDPOINT")
            .env("DEPOT_ROOT_ACCESS_KEY", ACCESS_KEY)
            .env("DEPOT_ROOT_SECRET_KEY", SECRET_KEY)
            .env("DEPOT_LOG_LEVEL", "warn")
            .stdin(Stdio::null());
        for (name, value) in self.env() {
            command.env(name, value);
        }
        for (name, value) in extra {
            command.env(name, value);
        }
        let out = command.output().expect("run depot");
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    }

    /// `depot admin gc ARGS` (through `endpoint`, or on the catalog directly); stdout.
    fn gc(&self, endpoint: Option<&str>, args: &[&str]) -> String {
        let mut all = vec!["admin"];
        if let Some(endpoint) = endpoint {
            all.extend(["--endpoint", endpoint]);
        }
        all.push("gc");
        all.extend(args);
        let (code, out, err) = self.depot(&all, &[]);
        assert_eq!(code, 0, "depot {} failed:\n{out}{err}", all.join(" "));
        out
    }

    /// `paused_until` of `depot admin gc status --json`.
    fn paused_until(&self, endpoint: Option<&str>) -> Option<String> {
        let out = self.gc(endpoint, &["status", "--json"]);
        let status: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("gc status --json is not JSON ({e}): {out}"));
        assert!(status.get("paused_until").is_some(), "gc status --json has no paused_until: {out}");
        status["paused_until"].as_str().map(str::to_owned)
    }

    /// `depot fsck` with an orphan grace of `grace` seconds: exit code and report.
    fn fsck(&self, grace: u64) -> (i32, String) {
        let grace = grace.to_string();
        let (code, out, err) = self.depot(&["fsck"], &[("DEPOT_ORPHAN_GRACE_SECS", &grace)]);
        (code, format!("{out}{err}"))
    }

    /// Blob ids the catalog refers to (object versions and multipart parts), read on a
    /// connection of its own.
    async fn referenced_blob_ids(&self) -> BTreeSet<String> {
        referenced_blob_ids(open_catalog(self.database_url(), &self.data).await).await
    }

    /// Blob files on this site's drives: blob id → number of copies.
    fn blob_files(&self) -> BTreeMap<String, usize> {
        blob_copies_on_drives(&self.drives).into_iter().map(|(id, copies)| (id, copies.len())).collect()
    }
}

/// Runs a tool; panics with its output when it fails.
fn run_tool(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {} failed ({}):\n{}{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether `program` runs at all (`--version`).
fn installed(program: &str) -> bool {
    Command::new(program).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

/// Every version and delete marker of `bucket`, in listing order.
async fn list_versions(client: &Client, bucket: &str) -> Vec<Listed> {
    let out = client.list_object_versions().bucket(bucket).send().await.expect("list object versions");
    assert_ne!(out.is_truncated(), Some(true), "one page holds every version of {bucket}");
    let mut listed: Vec<Listed> = out
        .versions()
        .iter()
        .map(|v| {
            (
                v.key().unwrap_or_default().to_owned(),
                v.version_id().unwrap_or_default().to_owned(),
                v.is_latest().unwrap_or(false),
                false,
                v.e_tag().map(str::to_owned),
                v.size(),
                v.last_modified().and_then(|t| t.to_millis().ok()),
            )
        })
        .collect();
    listed.extend(out.delete_markers().iter().map(|m| {
        (
            m.key().unwrap_or_default().to_owned(),
            m.version_id().unwrap_or_default().to_owned(),
            m.is_latest().unwrap_or(false),
            true,
            None,
            None,
            m.last_modified().and_then(|t| t.to_millis().ok()),
        )
    }));
    listed.sort();
    listed
}

/// Reads one version as a client sees it: body MD5, ETag, size, type, metadata, tags.
async fn read_version(client: &Client, bucket: &str, key: &str, version_id: &str) -> Stored {
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .version_id(version_id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {bucket}/{key} version {version_id}: {e:?}"));
    let etag = out.e_tag().unwrap_or_default().to_owned();
    let content_type = out.content_type().map(str::to_owned);
    let metadata: BTreeMap<String, String> = out.metadata().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
    let bytes = out.body.collect().await.expect("read the body").into_bytes();
    let tagging = client
        .get_object_tagging()
        .bucket(bucket)
        .key(key)
        .version_id(version_id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get tagging of {bucket}/{key} version {version_id}: {e:?}"));
    let tags = tagging.tag_set().iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect();
    Stored {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        version_id: version_id.to_owned(),
        md5: md5_hex(&bytes),
        etag,
        size: bytes.len(),
        content_type,
        metadata,
        tags,
    }
}

/// Every version of every bucket as a client sees it, and each bucket's listing.
async fn snapshot(client: &Client) -> (Vec<Stored>, BTreeMap<String, Vec<Listed>>) {
    let mut stored = Vec::new();
    let mut listings = BTreeMap::new();
    for bucket in [DOCS, HISTORY, EMPTY] {
        let listed = list_versions(client, bucket).await;
        for (key, version_id, _, delete_marker, _, _, _) in &listed {
            if !delete_marker {
                stored.push(read_version(client, bucket, key, version_id).await);
            }
        }
        listings.insert(bucket.to_owned(), listed);
    }
    (stored, listings)
}

/// PutObject with optional metadata and tagging; the version id.
async fn put_object(client: &Client, bucket: &str, key: &str, seed: u64, len: usize, meta: &[(&str, &str)], tagging: Option<&str>) -> Option<String> {
    let mut request = client.put_object().bucket(bucket).key(key).body(ByteStream::from(body(seed, len)));
    for (name, value) in meta {
        request = request.metadata(*name, *value);
    }
    if let Some(tagging) = tagging {
        request = request.tagging(tagging);
    }
    request.send().await.unwrap_or_else(|e| panic!("put {bucket}/{key}: {e:?}")).version_id().map(str::to_owned)
}

/// The data of step 1: small (inline) objects, a multi-MiB one, a multipart one, a
/// versioned bucket with several versions and a delete marker, metadata and tags, and
/// an empty bucket. Returns the version id of `history/doc`'s second version (a blob).
async fn load(client: &Client) -> String {
    for bucket in [DOCS, HISTORY, EMPTY] {
        client.create_bucket().bucket(bucket).send().await.unwrap_or_else(|e| panic!("create bucket {bucket}: {e:?}"));
    }
    client
        .put_bucket_versioning()
        .bucket(HISTORY)
        .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
        .send()
        .await
        .expect("enable versioning");

    client
        .put_object()
        .bucket(DOCS)
        .key("notes/a.txt")
        .content_type("text/plain")
        .metadata("author", "alice")
        .tagging("team=red&kind=note")
        .body(ByteStream::from(body(1, 300)))
        .send()
        .await
        .expect("put notes/a.txt");
    put_object(client, DOCS, "notes/b.bin", 2, 16 * KIB, &[], None).await;
    put_object(client, DOCS, "big.bin", 3, 3 * MIB, &[("origin", "camera")], Some("keep=yes")).await;

    let upload = client
        .create_multipart_upload()
        .bucket(DOCS)
        .key("parts.bin")
        .content_type("application/x-parts")
        .metadata("pieces", "2")
        .tagging("kind=multipart")
        .send()
        .await
        .expect("create multipart upload");
    let upload_id = upload.upload_id().expect("upload id");
    let mut parts = Vec::new();
    for (number, (seed, len)) in [(4, 5 * MIB), (5, 700 * KIB)].into_iter().enumerate() {
        let number = number as i32 + 1;
        let part = client
            .upload_part()
            .bucket(DOCS)
            .key("parts.bin")
            .upload_id(upload_id)
            .part_number(number)
            .body(ByteStream::from(body(seed, len)))
            .send()
            .await
            .expect("upload part");
        parts.push(CompletedPart::builder().part_number(number).e_tag(part.e_tag().expect("part etag")).build());
    }
    client
        .complete_multipart_upload()
        .bucket(DOCS)
        .key("parts.bin")
        .upload_id(upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .expect("complete multipart upload");

    put_object(client, HISTORY, "doc", 6, 4 * KIB, &[("rev", "1")], None).await;
    let second = put_object(client, HISTORY, "doc", 7, 300 * KIB, &[("rev", "2")], Some("state=draft")).await.expect("a version id");
    put_object(client, HISTORY, "doc", 8, 9 * KIB, &[("rev", "3")], Some("state=final")).await;
    put_object(client, HISTORY, "gone", 9, 80 * KIB, &[], Some("doomed=yes")).await;
    client.delete_object().bucket(HISTORY).key("gone").send().await.expect("delete gone (a delete marker)");
    second
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn online_backup_with_gc_paused_restores_every_version() {
    let _turn = crate::harness::one_at_a_time().await;
    if !installed("sqlite3") && postgres_admin_url().is_none() {
        println!("SKIP: the sqlite3 CLI is not installed (apt-get install sqlite3); the backup test needs it");
        return;
    }
    if postgres_admin_url().is_some() && !(installed("pg_dump") && installed("pg_restore")) {
        println!("SKIP: pg_dump / pg_restore are not installed (apt-get install postgresql-client); the backup test needs them");
        return;
    }
    let started = Instant::now();
    let live = Site::new("depot-backup-live", ["drive0", "drive1"]).await;
    let backup = tempfile::Builder::new().prefix("depot-backup-copy").tempdir().expect("backup dir");
    let restored = Site::new("depot-backup-restored", ["disk-a", "disk-b"]).await;

    // 1. The data, and what a client sees of it.
    let mut server = live.start(&[("DEPOT_GC_DELAY_SECS", GC_DELAY.to_string())]).await;
    let second_doc = load(&server.client).await;
    let (before, listings_before) = snapshot(&server.client).await;
    assert_eq!(before.len(), 8, "versions stored: {before:#?}");
    // A short orphan grace and sweep interval from here on (not while loading: a blob
    // waits between its rename and its commit, and a loaded machine can stretch that).
    server.terminate();
    server.set("DEPOT_ORPHAN_GRACE_SECS", &ORPHAN_GRACE.to_string());
    server.set("DEPOT_SWEEP_INTERVAL_SECS", "1");
    server.start_again().await;
    let endpoint = server.endpoint.clone();
    let client = server.client.clone();
    let referenced_before = live.referenced_blob_ids().await;

    // 2. Pause, back up the catalog, change things, copy the drives, resume.
    live.gc(Some(&endpoint), &["pause", "--for-secs", "600"]);
    let paused_until = live.paused_until(Some(&endpoint)).expect("paused after gc pause");
    match live.database_url() {
        Some(url) => run_tool("pg_dump", &["--format=custom", "--file", path_str(&backup.path().join("depot.dump")), &url]),
        None => run_tool("sqlite3", &[path_str(&live.data.join("depot.db")), &format!(".backup '{}'", path_str(&backup.path().join("depot.db")))]),
    }
    client.delete_object().bucket(DOCS).key("big.bin").send().await.expect("delete big.bin");
    put_object(&client, DOCS, "parts.bin", 10, 120 * KIB, &[], None).await;
    put_object(&client, DOCS, "late.bin", 11, 50 * KIB, &[], None).await;
    client.delete_object().bucket(HISTORY).key("doc").version_id(&second_doc).send().await.expect("delete doc's second version");
    client.delete_object().bucket(HISTORY).key("gone").send().await.expect("a second delete marker");
    // An orphan blob file (as a crash between a blob write and its commit leaves).
    let orphan = uuid::Uuid::new_v4().simple().to_string();
    let orphan_path = live.drives[0].join("blobs").join(&orphan[0..2]).join(&orphan[2..4]).join(&orphan);
    std::fs::create_dir_all(orphan_path.parent().expect("parent")).expect("orphan dir");
    std::fs::write(&orphan_path, body(12, 1000)).expect("plant an orphan");

    let referenced_after = live.referenced_blob_ids().await;
    let freed: BTreeSet<String> = referenced_before.difference(&referenced_after).cloned().collect();
    let written_late: BTreeSet<String> = referenced_after.difference(&referenced_before).cloned().collect();
    assert_eq!(freed.len(), 4, "big.bin, parts.bin's two parts and doc's second version lost their blobs: {freed:?}");
    assert_eq!(written_late.len(), 2, "parts.bin's new body and late.bin: {written_late:?}");
    tokio::time::sleep(HELD_FOR).await;
    let files = live.blob_files();
    for id in &freed {
        assert_eq!(files.get(id), Some(&COPIES), "blob {id} was freed while GC was paused");
    }
    assert!(orphan_path.exists(), "the orphan sweeper removed a file while GC was paused");

    for (from, name) in live.drives.iter().zip(["drive0", "drive1"]) {
        let to = backup.path().join(name);
        std::fs::create_dir_all(&to).expect("backup drive dir");
        run_tool("rsync", &["-a", "--ignore-missing-args", path_str(&from.join("drive-id")), path_str(&from.join("blobs")), path_str(&to)]);
    }
    for secret in ["jwt-secret", "root-credentials.json"] {
        if live.data.join(secret).exists() {
            run_tool("cp", &["-a", path_str(&live.data.join(secret)), path_str(backup.path())]);
        }
    }
    live.gc(Some(&endpoint), &["resume"]);
    assert_eq!(live.paused_until(Some(&endpoint)), None, "resumed");

    // The control: resumed, the live server frees what the pause held.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let files = live.blob_files();
        let held: Vec<&String> = freed.iter().filter(|id| files.contains_key(*id)).collect();
        if held.is_empty() && !orphan_path.exists() {
            break;
        }
        assert!(Instant::now() < deadline, "after gc resume the live server still holds {held:?} (orphan there: {})", orphan_path.exists());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let files = live.blob_files();
    for id in &referenced_after {
        assert_eq!(files.get(id), Some(&COPIES), "a referenced blob {id} went");
    }
    server.terminate();
    drop(server);

    // 3. Restore into a fresh data dir, new drive paths and a fresh database.
    match restored.database_url() {
        Some(url) => run_tool("pg_restore", &["--no-owner", "--exit-on-error", "-d", &url, path_str(&backup.path().join("depot.dump"))]),
        None => {
            std::fs::copy(backup.path().join("depot.db"), restored.data.join("depot.db")).expect("restore the SQLite catalog");
        }
    }
    for secret in ["jwt-secret", "root-credentials.json"] {
        if backup.path().join(secret).exists() {
            run_tool("cp", &["-a", path_str(&backup.path().join(secret)), path_str(&restored.data)]);
        }
    }
    for (name, to) in ["drive0", "drive1"].iter().zip(&restored.drives) {
        run_tool("cp", &["-a", &format!("{}/.", path_str(&backup.path().join(name))), &format!("{}/", path_str(to))]);
    }
    // The catalog backup was taken while paused, and says so.
    assert_eq!(restored.paused_until(None), Some(paused_until), "the restored catalog carries the backup's pause");
    restored.gc(None, &["resume"]);
    assert_eq!(restored.paused_until(None), None, "resumed on the restored catalog");

    // fsck before the start: every referenced blob is there with its copies; the files
    // written after the catalog backup are the only unreferenced ones.
    let late_files: BTreeSet<String> = written_late.iter().cloned().chain([orphan.clone()]).collect();
    let (code, report) = restored.fsck(3600);
    assert_eq!(code, 0, "fsck with the default grace (the extra files are young):\n{report}");
    let (code, report) = restored.fsck(0);
    assert_eq!(code, 1, "fsck with no grace lists the extra files:\n{report}");
    assert!(report.contains("missing (no usable copy): 0\n") && report.contains("short of copies: 0\n"), "{report}");
    let unreferenced: Vec<String> = report
        .lines()
        .filter_map(|l| l.trim().strip_prefix("unreferenced: "))
        .map(|p| Path::new(p).file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(unreferenced.len(), COPIES * written_late.len() + 1, "{report}");
    assert_eq!(unreferenced.iter().cloned().collect::<BTreeSet<_>>(), late_files, "{report}");

    let restored_server = restored
        .start(&[
            ("DEPOT_GC_DELAY_SECS", GC_DELAY.to_string()),
            ("DEPOT_ORPHAN_GRACE_SECS", ORPHAN_GRACE.to_string()),
            ("DEPOT_SWEEP_INTERVAL_SECS", "1".to_owned()),
        ])
        .await;
    let client = &restored_server.client;
    let (after, listings_after) = snapshot(client).await;
    assert_eq!(listings_after, listings_before, "ListObjectVersions after the restore");
    assert_eq!(after, before, "every version as a client reads it");
    let buckets: BTreeSet<String> =
        client.list_buckets().send().await.expect("list buckets").buckets().iter().filter_map(|b| b.name().map(str::to_owned)).collect();
    assert_eq!(buckets, [DOCS, EMPTY, HISTORY].map(str::to_owned).into(), "buckets");
    let versioning = client.get_bucket_versioning().bucket(HISTORY).send().await.expect("get versioning");
    assert_eq!(versioning.status(), Some(&BucketVersioningStatus::Enabled));
    let late = client.head_object().bucket(DOCS).key("late.bin").send().await;
    assert_eq!(late.err().and_then(|e| e.raw_response().map(|r| r.status().as_u16())), Some(404), "late.bin came after the backup");

    // The restored server's orphan sweeper removes the extra files; fsck is then clean
    // with no grace at all.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left: Vec<String> = restored.blob_files().into_keys().filter(|id| late_files.contains(id)).collect();
        if left.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "the restored server's sweeper left {left:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let referenced = restored.referenced_blob_ids().await;
    assert_eq!(referenced, referenced_before, "the restored catalog refers to the backed-up blobs");
    assert_eq!(restored.blob_files(), referenced.iter().map(|id| (id.clone(), COPIES)).collect(), "blob files on the restored drives");
    let (code, report) = restored.fsck(0);
    assert_eq!(code, 0, "fsck after the sweep:\n{report}");
    drop(restored_server);
    println!(
        "backup and restore ({}) took {:.1} s (temp dirs {} and {})",
        if restored.database.is_some() { "PostgreSQL" } else { "SQLite" },
        started.elapsed().as_secs_f64(),
        live.root.path().display(),
        restored.root.path().display()
    );
}
