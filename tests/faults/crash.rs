//! A crash: 100 concurrent uploads of mixed sizes (4 KiB inline to 64 MiB; PutObject and
//! multipart with 5 MiB parts), the server SIGKILLed in the middle (three rounds, at
//! different moments), restarted on the same data dir. What a user relies on: every
//! upload that was acknowledged reads back byte-exact; no object is visible with other
//! bytes than were sent for its key; and the crash leaves no garbage for good: with a
//! short orphan grace, blob files nothing refers to and temp files are swept, while
//! every blob the catalog refers to is still on disk.
//!
//! On SQLite, and on PostgreSQL when `DEPOT_TEST_DATABASE_URL` is set (a fresh database
//! for the test, which survives the kills: every restart and the catalog checks use it).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;

use crate::harness::{body, get, list_keys, md5_hex, Depot, Outcome};

const BUCKET: &str = "crash";
const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;
const PART: usize = 5 * MIB;
/// When each round's server is killed, after its uploads started.
const KILL_AFTER: [Duration; 3] = [Duration::from_millis(200), Duration::from_secs(1), Duration::from_secs(3)];

/// One upload: its key, the seed and size of its body, and how it is sent.
#[derive(Debug, Clone)]
struct Upload {
    key: String,
    seed: u64,
    len: usize,
    multipart: bool,
}

/// A round's 100 uploads: (count, size, multipart).
fn plan(round: usize) -> Vec<Upload> {
    let mix: [(usize, usize, bool); 8] = [
        (44, 4 * KIB, false),
        (30, 100 * KIB, false),
        (10, MIB, false),
        (4, MIB, true),
        (6, 8 * MIB, false),
        (4, 8 * MIB, true),
        (1, 64 * MIB, false),
        (1, 64 * MIB, true),
    ];
    let mut uploads = Vec::new();
    for (count, len, multipart) in mix {
        for _ in 0..count {
            let i = uploads.len();
            let kind = if multipart { "mp" } else { "put" };
            uploads.push(Upload { key: format!("r{round}/{kind}-{len}-{i:03}"), seed: (round * 1000 + i) as u64 + 1, len, multipart });
        }
    }
    assert_eq!(uploads.len(), 100);
    uploads
}

/// Sends one upload; `Acked` only when the object is complete (PutObject or
/// CompleteMultipartUpload answered 200).
async fn send(client: &Client, upload: &Upload) -> Outcome {
    let data = body(upload.seed, upload.len);
    if !upload.multipart {
        return Outcome::of(&client.put_object().bucket(BUCKET).key(&upload.key).body(ByteStream::from(data)).send().await);
    }
    let created = client.create_multipart_upload().bucket(BUCKET).key(&upload.key).send().await;
    let upload_id = match &created {
        Ok(out) => out.upload_id().expect("upload id").to_owned(),
        Err(_) => return Outcome::of(&created),
    };
    let mut parts = Vec::new();
    for (n, chunk) in data.chunks(PART).enumerate() {
        let number = n as i32 + 1;
        let result =
            client.upload_part().bucket(BUCKET).key(&upload.key).upload_id(&upload_id).part_number(number).body(ByteStream::from(chunk.to_vec())).send().await;
        match &result {
            Ok(out) => parts.push(CompletedPart::builder().part_number(number).set_e_tag(out.e_tag().map(str::to_owned)).build()),
            Err(_) => return Outcome::of(&result),
        }
    }
    let completed = CompletedMultipartUpload::builder().set_parts(Some(parts)).build();
    Outcome::of(&client.complete_multipart_upload().bucket(BUCKET).key(&upload.key).upload_id(&upload_id).multipart_upload(completed).send().await)
}

/// Checks what a client sees after a restart; returns the problems found.
async fn check_visible(depot: &Depot, intended: &BTreeMap<String, Upload>, acked: &BTreeMap<String, String>) -> Vec<String> {
    let mut problems = Vec::new();
    for (key, md5) in acked {
        match get(&depot.client, BUCKET, key).await {
            Ok(bytes) if md5_hex(&bytes) == *md5 => {}
            Ok(bytes) => problems.push(format!("acknowledged {key} reads back as {} other bytes", bytes.len())),
            Err(s) => problems.push(format!("acknowledged {key} is lost (GET answered {s})")),
        }
    }
    for key in list_keys(&depot.client, BUCKET).await {
        if acked.contains_key(&key) {
            continue;
        }
        let Some(upload) = intended.get(&key) else {
            problems.push(format!("{key} is listed but was never uploaded"));
            continue;
        };
        match get(&depot.client, BUCKET, &key).await {
            Ok(bytes) if bytes.len() == upload.len && bytes == body(upload.seed, upload.len) => {}
            Ok(bytes) => problems.push(format!("{key} (not acknowledged) is visible with {} wrong bytes of {}", bytes.len(), upload.len)),
            Err(s) => problems.push(format!("{key} is listed but GET answered {s}")),
        }
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_during_uploads_loses_no_acknowledged_object() {
    let _serial = crate::harness::one_at_a_time().await;
    let started = Instant::now();
    let data_dir = tempfile::tempdir().expect("data dir");
    let mut depot = Depot::start(data_dir.path(), &[("DEPOT_GC_DELAY_SECS", "0")]).await;
    depot.client.create_bucket().bucket(BUCKET).send().await.expect("create bucket");
    let mut intended: BTreeMap<String, Upload> = BTreeMap::new();
    // key → md5 of every upload that was acknowledged.
    let mut acked: BTreeMap<String, String> = BTreeMap::new();
    let mut problems = Vec::new();

    for (round, kill_after) in KILL_AFTER.into_iter().enumerate() {
        let client = Arc::new(depot.client.clone());
        let mut tasks = Vec::new();
        for upload in plan(round) {
            intended.insert(upload.key.clone(), upload.clone());
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                let outcome = send(&client, &upload).await;
                (upload, outcome)
            }));
        }
        tokio::time::sleep(kill_after).await;
        depot.kill();
        let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
        for task in tasks {
            let (upload, outcome) = task.await.expect("upload task");
            *outcomes.entry(format!("{outcome:?}")).or_default() += 1;
            if outcome.is_acked() {
                acked.insert(upload.key.clone(), md5_hex(&body(upload.seed, upload.len)));
            }
        }
        println!("round {round}: killed after {kill_after:?}; outcomes {outcomes:?}");
        depot.start_again().await;
        for p in check_visible(&depot, &intended, &acked).await {
            problems.push(format!("round {round}: {p}"));
        }
    }
    println!("{} of {} uploads acknowledged in all", acked.len(), intended.len());

    // A restart with a short orphan grace: the crashes' leftovers must be swept.
    depot.terminate();
    depot.set("DEPOT_ORPHAN_GRACE_SECS", "1");
    depot.set("DEPOT_SWEEP_INTERVAL_SECS", "1");
    let leftovers = depot.blob_ids_on_disk().difference(&depot.referenced_blob_ids().await).count();
    println!("after the crashes: {leftovers} unreferenced blob files, {} temp files", depot.temp_files().len());
    depot.start_again().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let (unreferenced, missing, temps) = loop {
        let on_disk = depot.blob_ids_on_disk();
        let referenced = depot.referenced_blob_ids().await;
        let unreferenced: Vec<String> = on_disk.difference(&referenced).cloned().collect();
        let missing: Vec<String> = referenced.difference(&on_disk).cloned().collect();
        let temps = depot.temp_files();
        if (unreferenced.is_empty() && missing.is_empty() && temps.is_empty()) || Instant::now() > deadline {
            break (unreferenced, missing, temps);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    if !unreferenced.is_empty() {
        problems.push(format!("{} blob files no catalog row refers to are still on disk 20 s after a restart with a 1 s orphan grace", unreferenced.len()));
    }
    if !missing.is_empty() {
        problems.push(format!("{} blobs the catalog refers to are missing on disk: {:?}", missing.len(), &missing[..missing.len().min(5)]));
    }
    if !temps.is_empty() {
        problems.push(format!("{} temp files are left: {:?}", temps.len(), &temps[..temps.len().min(5)]));
    }
    for p in check_visible(&depot, &intended, &acked).await {
        problems.push(format!("after the sweep: {p}"));
    }
    println!("crash test took {:?}", started.elapsed());
    assert!(problems.is_empty(), "a crash broke promises:\n- {}", problems.join("\n- "));
}
