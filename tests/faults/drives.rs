//! Drives: blobs on three drive dirs with several copies each, and what happens to them.
//!
//! - A drive is lost (its directory renamed away) in the middle of a burst of uploads,
//!   with copies 3 and write quorum 2: every upload is acknowledged and reads back
//!   byte-exact while the drive is gone, objects from before the loss too, and health
//!   says which drive is missing. Once the drive is back the healer brings every blob
//!   back to three copies, on disk and in the catalog, health is ok and `depot fsck` is
//!   clean.
//! - A SIGKILL in the middle of uploads to three drives: after a restart every
//!   acknowledged object reads back and has its three complete copies; fsck is clean.
//! - A full drive (three small tmpfs, needs root; skipped otherwise): while two drives
//!   have room, writes go on and avoid the full one, and health calls it `full`; once
//!   every drive is full, a blob write gets `507 InsufficientStorage`, what was stored
//!   reads back, and deletes still work.
//!
//! On SQLite, and on PostgreSQL when `DEPOT_TEST_DATABASE_URL` is set (a fresh database
//! per test; the catalog checks read it there).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::harness::{
    blob_copies_on_drives, blob_file_len, body, drive_id, drive_temp_files, get, list_keys, md5_hex, put, write_ballast, Depot, Outcome, Tmpfs,
};

const BUCKET: &str = "drives";
const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

/// One object to upload: key, body seed and length.
#[derive(Debug, Clone)]
struct Upload {
    key: String,
    seed: u64,
    len: usize,
}

impl Upload {
    fn body(&self) -> Vec<u8> {
        body(self.seed, self.len)
    }

    fn md5(&self) -> String {
        md5_hex(&self.body())
    }
}

/// `count` uploads under `prefix`, of lengths spread over `min..max`.
fn uploads(prefix: &str, count: usize, min: usize, max: usize, first_seed: u64) -> Vec<Upload> {
    (0..count)
        .map(|i| {
            let len = min + (i * 7919 * KIB + i * 131) % (max - min);
            Upload { key: format!("{prefix}/{i:03}-{len}"), seed: first_seed + i as u64, len }
        })
        .collect()
}

/// The `DEPOT_DRIVES` value for some drive dirs.
fn drive_list(drives: &[PathBuf]) -> String {
    drives.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(",")
}

/// Three drive dirs and a data dir (not one of the drives) under one temp dir.
fn layout(root: &Path) -> (PathBuf, Vec<PathBuf>) {
    let data = root.join("data");
    let drives: Vec<PathBuf> = (0..3).map(|i| root.join(format!("drive{i}"))).collect();
    std::fs::create_dir_all(&data).expect("data dir");
    for d in &drives {
        std::fs::create_dir_all(d).expect("drive dir");
    }
    (data, drives)
}

/// Starts a server on the drives; `extra` settings on top of drives and no background scrub.
async fn start(data: &Path, drives: &[PathBuf], extra: &[(&str, &str)]) -> Depot {
    let list = drive_list(drives);
    let mut settings: Vec<(&str, &str)> = vec![("DEPOT_DRIVES", &list), ("DEPOT_SCRUB_BYTES_PER_SEC", "0")];
    settings.extend_from_slice(extra);
    let depot = Depot::start(data, &settings).await;
    depot.client.create_bucket().bucket(BUCKET).send().await.expect("create bucket");
    depot
}

/// Sends `uploads` with at most `parallel` in flight; counts acknowledgements in `acks`
/// as they come. Returns the tasks: each gives its upload and outcome.
fn burst(depot: &Depot, uploads: Vec<Upload>, parallel: usize, acks: Arc<AtomicUsize>) -> Vec<tokio::task::JoinHandle<(Upload, Outcome)>> {
    let gate = Arc::new(Semaphore::new(parallel));
    uploads
        .into_iter()
        .map(|upload| {
            let (client, gate, acks) = (depot.client.clone(), gate.clone(), acks.clone());
            tokio::spawn(async move {
                let _permit = gate.acquire_owned().await.expect("semaphore");
                let outcome = put(&client, BUCKET, &upload.key, upload.body()).await;
                if outcome.is_acked() {
                    acks.fetch_add(1, Ordering::SeqCst);
                }
                (upload, outcome)
            })
        })
        .collect()
}

/// Waits until `acks` reaches `count` (or `limit` passes).
async fn wait_for_acks(acks: &AtomicUsize, count: usize, limit: Duration) {
    let deadline = Instant::now() + limit;
    while acks.load(Ordering::SeqCst) < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Reads back every acknowledged object (key → md5); a problem for each that does not
/// come back byte-exact.
async fn check_readable(depot: &Depot, acked: &BTreeMap<String, String>, when: &str, problems: &mut Vec<String>) {
    for (key, md5) in acked {
        match get(&depot.client, BUCKET, key).await {
            Ok(bytes) if md5_hex(&bytes) == *md5 => {}
            Ok(bytes) => problems.push(format!("{when}: acknowledged {key} reads back as {} other bytes", bytes.len())),
            Err(s) => problems.push(format!("{when}: acknowledged {key} does not read back (GET answered {s})")),
        }
    }
}

/// What is wrong with the copies of the acknowledged objects' blobs: each must be on
/// every drive in `want` with the full file length, and the catalog must record exactly
/// those drives. Empty when all is well.
async fn copy_problems(depot: &Depot, drives: &[PathBuf], want: &[usize], acked: &BTreeMap<String, String>) -> Vec<String> {
    let ids: Vec<String> = drives.iter().map(|d| drive_id(d)).collect();
    let want_ids: BTreeSet<String> = want.iter().map(|&i| ids[i].clone()).collect();
    let blobs = depot.object_blobs(BUCKET).await;
    let on_disk = blob_copies_on_drives(drives);
    let recorded = depot.recorded_blob_copies().await;
    let mut problems = Vec::new();
    for key in acked.keys() {
        let Some((blob_id, size)) = blobs.get(key) else {
            problems.push(format!("{key}: the catalog has no blob for it"));
            continue;
        };
        let expected_len = blob_file_len(*size);
        let copies = on_disk.get(blob_id).cloned().unwrap_or_default();
        let mut held = Vec::new();
        for (drive, len) in &copies {
            if *len != expected_len {
                problems.push(format!("{key}: the copy on drive{drive} is {len} bytes, not {expected_len}"));
            }
            held.push(*drive);
        }
        held.sort();
        if held != want {
            problems.push(format!("{key}: blob {blob_id} is on drives {held:?}, not {want:?}"));
        }
        let rec = recorded.get(blob_id).cloned().unwrap_or_default();
        if rec != want_ids {
            let names: Vec<String> = rec.iter().map(|id| ids.iter().position(|x| x == id).map_or(format!("unknown {id}"), |i| format!("drive{i}"))).collect();
            problems.push(format!("{key}: the catalog records blob {blob_id} on {names:?}, not on drives {want:?}"));
        }
    }
    problems
}

/// Every file and directory under `dir`, relative to it.
fn entries_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            out.push(path.strip_prefix(dir).unwrap_or(&path).display().to_string());
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The storage check of the health document, and the entry of each drive (by path).
async fn storage_health(depot: &Depot, drives: &[PathBuf]) -> (u16, serde_json::Value, Vec<serde_json::Value>) {
    let (status, health) = depot.health().await;
    let storage = health["checks"]["storage"].clone();
    let entries = drives
        .iter()
        .map(|d| {
            let path = d.display().to_string();
            storage["drives"].as_array().and_then(|all| all.iter().find(|e| e["path"] == path.as_str()).cloned()).unwrap_or(serde_json::Value::Null)
        })
        .collect();
    (status, storage, entries)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lost_drive_loses_no_write_and_is_healed_when_it_returns() {
    let _serial = crate::harness::one_at_a_time().await;
    let started = Instant::now();
    let root = tempfile::tempdir().expect("temp dir");
    let (data, drives) = layout(root.path());
    let depot = start(&data, &drives, &[("DEPOT_COPIES", "3"), ("DEPOT_WRITE_QUORUM", "2")]).await;
    let mut problems: Vec<String> = Vec::new();
    // key → md5 of every acknowledged upload.
    let mut acked: BTreeMap<String, String> = BTreeMap::new();

    // Objects from before the loss: three copies each.
    for upload in uploads("before", 8, 100 * KIB, 400 * KIB, 1) {
        let outcome = put(&depot.client, BUCKET, &upload.key, upload.body()).await;
        assert!(outcome.is_acked(), "PUT {} with three drives answered {outcome:?}", upload.key);
        acked.insert(upload.key.clone(), upload.md5());
    }
    let before = copy_problems(&depot, &drives, &[0, 1, 2], &acked).await;
    assert!(before.is_empty(), "before the loss, blobs are not on all three drives:\n- {}", before.join("\n- "));

    // The burst; drive 1 is renamed away once a few uploads are acknowledged.
    let lost = &drives[1];
    let away = root.path().join("drive1.away");
    let acks = Arc::new(AtomicUsize::new(0));
    let tasks = burst(&depot, uploads("burst", 40, 100 * KIB, MIB, 100), 6, acks.clone());
    wait_for_acks(&acks, 8, Duration::from_secs(30)).await;
    std::fs::rename(lost, &away).expect("rename the drive away");
    let acked_before_loss = acks.load(Ordering::SeqCst);
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for task in tasks {
        let (upload, outcome) = task.await.expect("upload task");
        *outcomes.entry(format!("{outcome:?}")).or_default() += 1;
        if outcome.is_acked() {
            acked.insert(upload.key.clone(), upload.md5());
        } else {
            problems.push(format!("PUT {} answered {outcome:?} with one drive of three gone and a write quorum of 2", upload.key));
        }
    }
    println!("burst: drive1 renamed away after {acked_before_loss} acknowledgements; outcomes {outcomes:?}");

    // While the drive is gone: everything reads back, health names the drive.
    check_readable(&depot, &acked, "drive1 gone", &mut problems).await;
    let (status, storage, entries) = storage_health(&depot, &drives).await;
    println!("health with drive1 gone: {status} {storage}");
    if entries[1].is_null() || entries[1]["status"] == "ok" {
        problems.push(format!("health with drive1 gone does not show it failing: {}", entries[1]));
    }
    if entries[0]["status"] != "ok" || entries[2]["status"] != "ok" {
        problems.push(format!("health with drive1 gone does not show the two others ok: {} / {}", entries[0], entries[2]));
    }
    if status != 200 || storage["status"] != "degraded" {
        problems.push(format!("health with one of three drives gone (quorum 2) is not 200 with storage 'degraded': {status} {}", storage["status"]));
    }

    // The drive comes back. The server must not have made a new directory in its place.
    if lost.exists() {
        let left = blob_copies_on_drives(std::slice::from_ref(lost));
        let tree = entries_under(lost);
        problems.push(format!(
            "while drive1 was gone the server created a directory at its path, so the drive cannot be put back there \
             ({} blob files; entries: {:?}{})",
            left.len(),
            &tree[..tree.len().min(6)],
            if tree.len() > 6 { format!(" … {} in all", tree.len()) } else { String::new() }
        ));
        std::fs::rename(lost, root.path().join("drive1.recreated")).expect("move the recreated dir aside");
    }
    std::fs::rename(&away, lost).expect("rename the drive back");
    let returned = Instant::now();
    let deadline = returned + Duration::from_secs(60);
    let remaining = loop {
        let remaining = copy_problems(&depot, &drives, &[0, 1, 2], &acked).await;
        if remaining.is_empty() || Instant::now() > deadline {
            break remaining;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    println!("copies restored {:?} after drive1 returned ({} left wrong)", returned.elapsed(), remaining.len());
    if !remaining.is_empty() {
        problems.push(format!(
            "60 s after drive1 returned, {} blob copies are still wrong:\n    {}",
            remaining.len(),
            remaining.iter().take(8).cloned().collect::<Vec<_>>().join("\n    ")
        ));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let (status, storage) = loop {
        let (status, storage, _) = storage_health(&depot, &drives).await;
        if (status == 200 && storage["status"] == "ok") || Instant::now() > deadline {
            break (status, storage);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    if status != 200 || storage["status"] != "ok" {
        problems.push(format!("health after drive1 returned is not ok: {status} {storage}"));
    }
    check_readable(&depot, &acked, "drive1 back", &mut problems).await;
    let (code, report) = depot.fsck();
    println!("fsck after drive1 returned: exit {code}\n{report}");
    if code != 0 {
        problems.push(format!("depot fsck after drive1 returned exits {code}:\n{report}"));
    }
    drop(depot);
    println!("drive loss test took {:?}", started.elapsed());
    assert!(problems.is_empty(), "a lost drive broke promises:\n- {}", problems.join("\n- "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_during_uploads_to_three_drives_leaves_complete_copies() {
    let _serial = crate::harness::one_at_a_time().await;
    let started = Instant::now();
    let root = tempfile::tempdir().expect("temp dir");
    let (data, drives) = layout(root.path());
    let mut depot = start(&data, &drives, &[]).await;
    let mut problems: Vec<String> = Vec::new();
    let mut intended: BTreeMap<String, Upload> = BTreeMap::new();
    let mut acked: BTreeMap<String, String> = BTreeMap::new();

    for (round, kill_after) in [3usize, 10].into_iter().enumerate() {
        let plan = uploads(&format!("r{round}"), 20, MIB, 4 * MIB, 1000 * (round as u64 + 1));
        for u in &plan {
            intended.insert(u.key.clone(), u.clone());
        }
        let acks = Arc::new(AtomicUsize::new(0));
        let tasks = burst(&depot, plan, 6, acks.clone());
        wait_for_acks(&acks, kill_after, Duration::from_secs(60)).await;
        depot.kill();
        let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
        for task in tasks {
            let (upload, outcome) = task.await.expect("upload task");
            *outcomes.entry(format!("{outcome:?}")).or_default() += 1;
            if outcome.is_acked() {
                acked.insert(upload.key.clone(), upload.md5());
            }
        }
        println!("round {round}: killed after {kill_after} acknowledgements; outcomes {outcomes:?}");
        depot.start_again().await;
        check_readable(&depot, &acked, &format!("after restart {round}"), &mut problems).await;
        for key in list_keys(&depot.client, BUCKET).await {
            if acked.contains_key(&key) {
                continue;
            }
            match (intended.get(&key), get(&depot.client, BUCKET, &key).await) {
                (Some(upload), Ok(bytes)) if bytes == upload.body() => {}
                (Some(_), Ok(bytes)) => problems.push(format!("{key} (not acknowledged) is visible with {} wrong bytes", bytes.len())),
                (Some(_), Err(s)) => problems.push(format!("{key} is listed but GET answered {s}")),
                (None, _) => problems.push(format!("{key} is listed but was never uploaded")),
            }
        }
        for p in copy_problems(&depot, &drives, &[0, 1, 2], &acked).await {
            problems.push(format!("after restart {round}: {p}"));
        }
    }
    println!("{} of {} uploads acknowledged", acked.len(), intended.len());
    assert!(!acked.is_empty(), "no upload was acknowledged before the kills: the test proves nothing");

    // fsck: clean once the healer had a moment (leftovers of unacknowledged writes are
    // younger than the orphan grace and do not count).
    let deadline = Instant::now() + Duration::from_secs(15);
    let (code, report) = loop {
        let (code, report) = depot.fsck();
        if code == 0 || Instant::now() > deadline {
            break (code, report);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    println!("fsck after the crashes: exit {code}\n{report}");
    if code != 0 {
        problems.push(format!("depot fsck after the crashes exits {code}:\n{report}"));
    }
    drop(depot);
    println!("crash test took {:?}", started.elapsed());
    assert!(problems.is_empty(), "a crash with three drives broke promises:\n- {}", problems.join("\n- "));
}

/// Mounts three small tmpfs drives, or says why the test is skipped.
fn mount_three(size: &str) -> Option<Vec<Tmpfs>> {
    let mut disks = Vec::new();
    for _ in 0..3 {
        match Tmpfs::mount(size) {
            Ok(disk) => disks.push(disk),
            Err(e) => {
                println!("SKIP: cannot mount tmpfs: {e}");
                return None;
            }
        }
    }
    Some(disks)
}

/// Fills a tmpfs with ballast until `left` bytes are free.
fn fill(disk: &Tmpfs, name: &str, left: u64) {
    let avail = disk.available();
    assert!(avail > left, "{} has only {avail} bytes free", disk.path().display());
    write_ballast(&disk.path().join(name), (avail - left) as usize);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_drive_is_skipped_and_all_full_refuses_with_507() {
    let _serial = crate::harness::one_at_a_time().await;
    let Some(disks) = mount_three("16m") else { return };
    const RESERVE: u64 = 4 * MIB as u64;
    let root = tempfile::tempdir().expect("data dir");
    let drives: Vec<PathBuf> = disks.iter().map(|d| d.path().to_path_buf()).collect();
    // Declared after the mounts: dropped (killed) before they are unmounted.
    let depot = start(root.path(), &drives, &[("DEPOT_COPIES", "2"), ("DEPOT_MIN_FREE_BYTES", &RESERVE.to_string()), ("DEPOT_GC_DELAY_SECS", "0")]).await;
    let mut problems: Vec<String> = Vec::new();
    let mut acked: BTreeMap<String, String> = BTreeMap::new();

    // Some objects while every drive has room.
    for upload in uploads("early", 6, 100 * KIB, 300 * KIB, 1) {
        let outcome = put(&depot.client, BUCKET, &upload.key, upload.body()).await;
        assert!(outcome.is_acked(), "PUT {} with room on every drive answered {outcome:?}", upload.key);
        acked.insert(upload.key.clone(), upload.md5());
    }

    // Drive 0 is full: below the reserve.
    fill(&disks[0], "ballast", 2 * MIB as u64);
    let on_full_before: BTreeSet<String> = blob_copies_on_drives(&drives[..1]).into_keys().collect();
    let mut one_full: BTreeMap<String, String> = BTreeMap::new();
    for upload in uploads("one-full", 12, 100 * KIB, 400 * KIB, 100) {
        let outcome = put(&depot.client, BUCKET, &upload.key, upload.body()).await;
        if outcome.is_acked() {
            one_full.insert(upload.key.clone(), upload.md5());
        } else {
            problems.push(format!("PUT {} with one full drive and two with room (copies 2) answered {outcome:?}", upload.key));
        }
    }
    check_readable(&depot, &one_full, "one drive full", &mut problems).await;
    for p in copy_problems(&depot, &drives, &[1, 2], &one_full).await {
        problems.push(format!("one drive full: {p}"));
    }
    let on_full_after: BTreeSet<String> = blob_copies_on_drives(&drives[..1]).into_keys().collect();
    if on_full_after != on_full_before {
        problems.push(format!("blob files appeared on the full drive: {:?}", on_full_after.difference(&on_full_before).collect::<Vec<_>>()));
    }
    if !drive_temp_files(&drives[0]).is_empty() {
        problems.push(format!("temp files are left on the full drive: {:?}", drive_temp_files(&drives[0])));
    }
    let (status, storage, entries) = storage_health(&depot, &drives).await;
    println!("health with drive0 full: {status} {storage}");
    if entries[0]["status"] != "full" {
        problems.push(format!("health does not call the drive below the reserve 'full': {}", entries[0]));
    }
    if entries[1]["status"] != "ok" || entries[2]["status"] != "ok" {
        problems.push(format!("health does not show the drives with room ok: {} / {}", entries[1], entries[2]));
    }
    if status != 200 || storage["status"] != "degraded" {
        problems.push(format!("health with one full drive of three (copies 2) is not 200 with storage 'degraded': {status} {}", storage["status"]));
    }
    acked.extend(one_full);

    // Every drive is full.
    fill(&disks[1], "ballast", 2 * MIB as u64);
    fill(&disks[2], "ballast", 2 * MIB as u64);
    let mut refused = Vec::new();
    for upload in uploads("all-full", 3, 100 * KIB, 200 * KIB, 200) {
        let outcome = put(&depot.client, BUCKET, &upload.key, upload.body()).await;
        refused.push(outcome);
        if outcome != Outcome::Status(507) {
            problems.push(format!("PUT {} ({} bytes) with every drive full answered {outcome:?}, not 507 InsufficientStorage", upload.key, upload.len));
        }
        if outcome.is_acked() {
            acked.insert(upload.key.clone(), upload.md5());
        }
    }
    println!("PUTs with every drive full: {refused:?}");
    let (status, storage, entries) = storage_health(&depot, &drives).await;
    println!("health with every drive full: {status} {storage}");
    if entries.iter().any(|e| e["status"] != "full") {
        problems.push(format!("health does not call every drive 'full': {entries:?}"));
    }
    if storage["status"] == "ok" || !storage["reason"].is_string() {
        problems.push(format!("health with every drive full is not degraded with a reason: {storage}"));
    }
    check_readable(&depot, &acked, "every drive full", &mut problems).await;
    for key in ["early/000", "one-full/000"] {
        let Some(full_key) = acked.keys().find(|k| k.starts_with(&format!("{key}-"))).cloned() else {
            problems.push(format!("no acknowledged object {key}-* to delete"));
            continue;
        };
        let deleted = Outcome::of(&depot.client.delete_object().bucket(BUCKET).key(&full_key).send().await);
        if !deleted.is_acked() {
            problems.push(format!("DELETE {full_key} with every drive full answered {deleted:?}"));
            continue;
        }
        acked.remove(&full_key);
        match get(&depot.client, BUCKET, &full_key).await {
            Err(404) => {}
            other => problems.push(format!("DELETE {full_key} answered 204 with every drive full; GET right after gave {:?}", other.map(|b| b.len()))),
        }
    }
    check_readable(&depot, &acked, "after the deletes", &mut problems).await;
    drop(depot);
    drop(disks);
    assert!(problems.is_empty(), "full drives broke promises:\n- {}", problems.join("\n- "));
}
