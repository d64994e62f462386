//! A full disk: a 64 MiB tmpfs as the data dir (SQLite catalog), filled with 1 MiB blobs
//! and then 4 KiB inline objects until writes fail. Needs root (it mounts a tmpfs);
//! skipped otherwise. Two servers meet it:
//!
//! - with a free-space reserve (`DEPOT_MIN_FREE_BYTES`, 4 MiB here): writes are refused
//!   with `507 InsufficientStorage` once they would go below it, health says why, deletes
//!   still work and free space, and writes work again once space is back;
//! - without one (0): the disk really fills, blob writes meet `ENOSPC` and the catalog
//!   `SQLITE_FULL`; both answer 507, nothing acknowledged is lost, and once space is back
//!   the next writes work without a restart.
//!
//! Either way, after the ballast is removed and the server restarted, every write that
//! was acknowledged is there, every acknowledged delete stays done, and new writes work.
//!
//! SQLite only (skipped when `DEPOT_TEST_DATABASE_URL` is set): the catalog shares the
//! full disk, and the test checks SQLite's `SQLITE_FULL` and write lock.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::harness::{body, get, md5_hex, put, skip_unless_sqlite, write_ballast, Depot, Outcome, Tmpfs};

const BUCKET: &str = "full";
/// Why these tests skip on PostgreSQL.
const SQLITE_ONLY: &str = "the catalog must live on the full disk (SQLite), and the test checks SQLITE_FULL and SQLite's write lock";
const MIB: usize = 1024 * 1024;
const SMALL: usize = 4 * 1024;
/// What a refused write on a full disk answers: `InsufficientStorage`.
const INSUFFICIENT_STORAGE: Outcome = Outcome::Status(507);

/// What the server acknowledged, to be checked later.
#[derive(Default)]
struct Acknowledged {
    /// key → md5 of the body.
    puts: BTreeMap<String, String>,
    deletes: Vec<String>,
    buckets: Vec<String>,
}

impl Acknowledged {
    async fn put(&mut self, depot: &Depot, key: String, seed: u64, len: usize) -> Outcome {
        let data = body(seed, len);
        let md5 = md5_hex(&data);
        let outcome = put(&depot.client, BUCKET, &key, data).await;
        if outcome.is_acked() {
            self.deletes.retain(|k| *k != key);
            self.puts.insert(key, md5);
        }
        outcome
    }

    async fn delete(&mut self, depot: &Depot, key: &str) -> Outcome {
        let outcome = Outcome::of(&depot.client.delete_object().bucket(BUCKET).key(key).send().await);
        if outcome.is_acked() {
            self.puts.remove(key);
            self.deletes.push(key.to_owned());
        }
        outcome
    }

    /// PUTs of `len` bytes under `prefix` until one is not acknowledged (at most `limit`):
    /// how many were, and the outcome of the one that was not.
    async fn fill(&mut self, depot: &Depot, prefix: &str, len: usize, limit: usize, seed: &mut u64) -> (usize, Outcome) {
        for i in 0..limit {
            *seed += 1;
            let outcome = self.put(depot, format!("{prefix}/{i:05}"), *seed, len).await;
            if !outcome.is_acked() {
                return (i, outcome);
            }
        }
        panic!("{limit} PUTs of {len} bytes never filled the disk");
    }

    /// Whatever a full disk acknowledges must read back at once.
    async fn check_readable(&self, depot: &Depot, key: &str, problems: &mut Vec<String>) {
        let Some(md5) = self.puts.get(key) else { return };
        match get(&depot.client, BUCKET, key).await {
            Ok(bytes) if md5_hex(&bytes) == *md5 => {}
            Ok(_) => problems.push(format!("PUT {key} answered 200 on the full disk; GET right after returned other bytes")),
            Err(s) => problems.push(format!("PUT {key} answered 200 on the full disk; GET right after answered {s}")),
        }
    }

    /// After a restart: every acknowledged PUT reads back, every acknowledged DELETE and
    /// CreateBucket still holds.
    async fn check_after_restart(&self, depot: &Depot, problems: &mut Vec<String>) {
        let mut lost = Vec::new();
        for (key, md5) in &self.puts {
            match get(&depot.client, BUCKET, key).await {
                Ok(bytes) if md5_hex(&bytes) == *md5 => {}
                Ok(_) => lost.push(format!("{key} (other bytes)")),
                Err(s) => lost.push(format!("{key} ({s})")),
            }
        }
        if !lost.is_empty() {
            problems.push(format!("{} of {} acknowledged PUTs are lost after the restart: {}", lost.len(), self.puts.len(), summarize(&lost)));
        }
        for key in &self.deletes {
            if get(&depot.client, BUCKET, key).await.is_ok() {
                problems.push(format!("DELETE {key} was acknowledged, yet GET returns it after the restart"));
            }
        }
        for bucket in &self.buckets {
            if depot.client.head_bucket().bucket(bucket).send().await.is_err() {
                problems.push(format!("bucket {bucket} (CreateBucket answered 200) is gone after the restart"));
            }
        }
    }
}

/// Mounts the 64 MiB tmpfs, or says why the test is skipped.
fn mount() -> Option<Tmpfs> {
    match Tmpfs::mount("64m") {
        Ok(disk) => Some(disk),
        Err(e) => {
            println!("SKIP: cannot mount tmpfs: {e}");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn disk_full_refuses_writes_at_the_reserve_and_deletes_free_space() {
    if skip_unless_sqlite(SQLITE_ONLY) {
        return;
    }
    let _serial = crate::harness::one_at_a_time().await;
    let Some(disk) = mount() else { return };
    const RESERVE: u64 = 4 * MIB as u64;
    // Declared after the mount: dropped (killed) before it is unmounted.
    let mut depot = Depot::start(disk.path(), &[("DEPOT_GC_DELAY_SECS", "0"), ("DEPOT_MIN_FREE_BYTES", &RESERVE.to_string())]).await;
    depot.client.create_bucket().bucket(BUCKET).send().await.expect("create bucket");
    write_ballast(&disk.path().join("ballast"), 8 * MIB);
    let mut acked = Acknowledged::default();
    let mut problems: Vec<String> = Vec::new();
    let mut seed = 0u64;

    let (big_count, big_outcome) = acked.fill(&depot, "big", MIB, 100, &mut seed).await;
    let free_at_refusal = disk.available();
    println!("1 MiB PUTs: {big_count} acknowledged, then {big_outcome:?}; {free_at_refusal} bytes free");
    if big_outcome != INSUFFICIENT_STORAGE {
        problems.push(format!("a 1 MiB PUT at the reserve answered {big_outcome:?}, not 507 InsufficientStorage"));
    }
    if free_at_refusal < RESERVE / 2 {
        problems.push(format!("the reserve was not kept: {free_at_refusal} bytes free when the first PUT was refused"));
    }
    let (small_count, small_outcome) = acked.fill(&depot, "small", SMALL, 20_000, &mut seed).await;
    println!("4 KiB PUTs: {small_count} acknowledged, then {small_outcome:?}; {} bytes free", disk.available());
    if small_outcome != INSUFFICIENT_STORAGE {
        problems.push(format!("a 4 KiB PUT at the reserve answered {small_outcome:?}, not 507 InsufficientStorage"));
    }

    // More writes at the reserve: refused the same way, or acknowledged and readable.
    let mut while_full = Vec::new();
    for i in 0..30 {
        seed += 1;
        let key = format!("while-full/{i:02}");
        let outcome = acked.put(&depot, key.clone(), seed, SMALL).await;
        while_full.push(outcome);
        if !outcome.is_acked() && outcome != INSUFFICIENT_STORAGE {
            problems.push(format!("PUT {key} at the reserve answered {outcome:?}, not 507"));
        }
        acked.check_readable(&depot, &key, &mut problems).await;
    }
    println!("PUTs while full: {while_full:?}");
    let created = Outcome::of(&depot.client.create_bucket().bucket("created-while-full").send().await);
    println!("CreateBucket while full: {created:?}");
    if created.is_acked() {
        acked.buckets.push("created-while-full".to_owned());
    } else if created != INSUFFICIENT_STORAGE {
        problems.push(format!("CreateBucket at the reserve answered {created:?}, not 507"));
    }

    // Health says why.
    let (status, health) = depot.health().await;
    println!("health while full: {status} {health}");
    let storage = &health["checks"]["storage"];
    if status != 200 || health["status"] != "degraded" || storage["status"] != "degraded" || !storage["reason"].is_string() {
        problems.push(format!("health at the reserve is not 200 with status and storage 'degraded' and a reason: {status} {health}"));
    }
    if storage["min_free_bytes"] != RESERVE || storage["free_bytes"].as_u64().is_none_or(|free| free >= RESERVE) {
        problems.push(format!("health does not report free bytes below the reserve: {storage}"));
    }
    if !depot.catalog_write_lock_is_free().await {
        problems.push("the idle server holds the catalog's write lock after refused writes".into());
    }

    // Deletes work at the reserve and give space back.
    let victim = "small/00000";
    let deleted = acked.delete(&depot, victim).await;
    println!("DELETE {victim} while full: {deleted:?}");
    if !deleted.is_acked() {
        problems.push(format!("DELETE {victim} at the reserve was refused: {deleted:?}"));
    } else if get(&depot.client, BUCKET, victim).await.is_ok() {
        problems.push(format!("DELETE {victim} answered 204 at the reserve; GET right after still returned it"));
    }
    let free_before = disk.available();
    let mut freed_outcomes = Vec::new();
    for i in 0..8.min(big_count) {
        freed_outcomes.push(acked.delete(&depot, &format!("big/{i:05}")).await);
    }
    println!("DELETEs of 1 MiB objects while full: {freed_outcomes:?}");
    if let Some(refused) = freed_outcomes.iter().find(|o| !o.is_acked()) {
        problems.push(format!("a DELETE at the reserve was refused: {refused:?}"));
    }
    let expected_gain = (freed_outcomes.iter().filter(|o| o.is_acked()).count() * MIB / 2) as u64;
    let deadline = Instant::now() + Duration::from_secs(15);
    while disk.available() < free_before + expected_gain && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let free_after = disk.available();
    println!("free space: {free_before} bytes before the deletes, {free_after} after");
    if free_after < free_before + expected_gain {
        problems.push(format!("deleting {} MiB of blobs freed {} bytes within 15 s", freed_outcomes.len(), free_after.saturating_sub(free_before)));
    }
    for key in acked.deletes.clone() {
        if get(&depot.client, BUCKET, &key).await.is_ok() {
            problems.push(format!("DELETE {key} was acknowledged, yet GET still returns it"));
        }
    }

    // Space is back above the reserve: writes work again, health is ok.
    seed += 1;
    let after_free = acked.put(&depot, "after-free/0".into(), seed, MIB).await;
    println!("PUT after the deletes: {after_free:?}");
    if !after_free.is_acked() {
        problems.push(format!("a 1 MiB PUT after deleting 8 MiB answered {after_free:?}"));
    }
    acked.check_readable(&depot, "after-free/0", &mut problems).await;
    let (status, health) = depot.health().await;
    if status != 200 || health["status"] != "ok" {
        problems.push(format!("health after the deletes is not ok: {status} {health}"));
    }

    std::fs::remove_file(disk.path().join("ballast")).expect("remove ballast");
    depot.terminate();
    depot.start_again().await;
    acked.check_after_restart(&depot, &mut problems).await;
    check_new_writes(&depot, &mut problems).await;
    print_log_summary(&depot);
    drop(depot);
    assert!(problems.is_empty(), "the full disk broke promises:\n- {}", problems.join("\n- "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn disk_full_without_a_reserve_fails_with_507_and_recovers() {
    if skip_unless_sqlite(SQLITE_ONLY) {
        return;
    }
    let _serial = crate::harness::one_at_a_time().await;
    let Some(disk) = mount() else { return };
    let mut depot = Depot::start(disk.path(), &[("DEPOT_GC_DELAY_SECS", "0"), ("DEPOT_MIN_FREE_BYTES", "0")]).await;
    depot.client.create_bucket().bucket(BUCKET).send().await.expect("create bucket");
    write_ballast(&disk.path().join("ballast"), 8 * MIB);
    let mut acked = Acknowledged::default();
    let mut problems: Vec<String> = Vec::new();
    let mut seed = 0u64;

    // Blob writes meet ENOSPC.
    let (big_count, big_outcome) = acked.fill(&depot, "big", MIB, 100, &mut seed).await;
    println!("1 MiB PUTs: {big_count} acknowledged, then {big_outcome:?}; {} bytes free", disk.available());
    if big_outcome != INSUFFICIENT_STORAGE {
        problems.push(format!("a blob write on a full disk answered {big_outcome:?}, not 507 InsufficientStorage"));
    }
    // Inline objects fill what is left, until the catalog meets SQLITE_FULL.
    let (small_count, small_outcome) = acked.fill(&depot, "small", SMALL, 20_000, &mut seed).await;
    println!("4 KiB PUTs: {small_count} acknowledged, then {small_outcome:?}; {} bytes free", disk.available());
    if small_outcome != INSUFFICIENT_STORAGE {
        problems.push(format!("a catalog write on a full disk answered {small_outcome:?}, not 507 InsufficientStorage"));
    }
    // More writes while full: each fails the same way, or is acknowledged and readable
    // at once (never acknowledged into a transaction that is not committed).
    let mut while_full = Vec::new();
    for i in 0..30 {
        seed += 1;
        let key = format!("while-full/{i:02}");
        let outcome = acked.put(&depot, key.clone(), seed, SMALL).await;
        while_full.push(outcome);
        if !outcome.is_acked() && outcome != INSUFFICIENT_STORAGE {
            problems.push(format!("PUT {key} on the full disk answered {outcome:?}, not 507"));
        }
        acked.check_readable(&depot, &key, &mut problems).await;
    }
    println!("PUTs while full: {while_full:?}");
    let created = Outcome::of(&depot.client.create_bucket().bucket("created-while-full").send().await);
    println!("CreateBucket while full: {created:?}");
    if created.is_acked() {
        acked.buckets.push("created-while-full".to_owned());
        if depot.client.head_bucket().bucket("created-while-full").send().await.is_err() {
            problems.push("CreateBucket answered 200 on the full disk; HeadBucket right after did not find it".into());
        }
    }
    if !depot.catalog_write_lock_is_free().await {
        problems.push("the idle server holds the catalog's write lock after failed writes: it sits in a transaction it never commits".into());
    }

    // Space back, same server: the next writes work, and deletes too.
    std::fs::remove_file(disk.path().join("ballast")).expect("remove ballast");
    for i in 0..5 {
        seed += 1;
        let key = format!("space-back/{i}");
        let outcome = acked.put(&depot, key.clone(), seed, if i % 2 == 0 { SMALL } else { MIB }).await;
        if !outcome.is_acked() {
            problems.push(format!("PUT {key} after space came back answered {outcome:?}"));
        }
        acked.check_readable(&depot, &key, &mut problems).await;
    }
    for key in ["small/00000", "big/00000"] {
        let deleted = acked.delete(&depot, key).await;
        if !deleted.is_acked() {
            problems.push(format!("DELETE {key} after space came back answered {deleted:?}"));
        }
    }

    depot.terminate();
    depot.start_again().await;
    acked.check_after_restart(&depot, &mut problems).await;
    check_new_writes(&depot, &mut problems).await;
    print_log_summary(&depot);
    drop(depot);
    assert!(problems.is_empty(), "the full disk broke promises:\n- {}", problems.join("\n- "));
}

/// After the restart with space back: a new blob PUT reads back, CreateBucket works.
async fn check_new_writes(depot: &Depot, problems: &mut Vec<String>) {
    let data = body(u64::MAX, MIB);
    match put(&depot.client, BUCKET, "after-restart/big", data.clone()).await {
        Outcome::Acked => match get(&depot.client, BUCKET, "after-restart/big").await {
            Ok(bytes) if bytes == data => {}
            other => problems.push(format!("a new PUT after the restart does not read back: {:?}", other.map(|b| b.len()))),
        },
        other => problems.push(format!("a new PUT after the restart failed: {other:?}")),
    }
    if !Outcome::of(&depot.client.create_bucket().bucket("after-restart").send().await).is_acked() {
        problems.push("CreateBucket after the restart failed".into());
    }
}

fn print_log_summary(depot: &Depot) {
    let log = depot.log_lines();
    let errors: Vec<&String> = log.iter().filter(|l| l.contains(" ERROR ") || l.contains(" WARN ")).collect();
    let disk_full = log.iter().filter(|l| l.contains("database or disk is full")).count();
    println!("server log: {} ERROR/WARN lines, {disk_full} with 'database or disk is full'", errors.len());
    for line in errors.iter().take(6) {
        println!("  {line}");
    }
}

/// The first few entries of a long list, and how many there are.
fn summarize(items: &[String]) -> String {
    let shown: Vec<&str> = items.iter().take(8).map(String::as_str).collect();
    if items.len() > shown.len() {
        format!("{}, … ({} in all)", shown.join(", "), items.len())
    } else {
        shown.join(", ")
    }
}
