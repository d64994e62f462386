//! What copies and verification cost, measured on the blob store itself (no HTTP, so the
//! numbers are the storage path's own):
//!
//! - writing a 64 MiB blob (MD5, CRC32C per block, write, fsync, rename, directory
//!   fsync) with one copy on one directory against three copies on three directories of
//!   the same disk;
//! - reading it back through the verified reader against the same bytes stored without a
//!   block table (the reader's unverified path for blobs from before block checksums),
//!   from the page cache, so that only the verification differs;
//! - scrubbing (every block of every copy and each blob's MD5) unthrottled and at the
//!   default rate;
//! - end to end, GetObject of 64 MiB objects through the S3 API (an in-process server
//!   and the AWS SDK, 4 in flight), with the blobs as written and then with their block
//!   tables cut off, which makes the same server read them unverified.
//!
//! ```text
//! cargo bench --bench integrity
//! cargo bench --bench integrity -- --dir /mnt/disk/bench --rounds 9
//! ```

// Benchmark code may unwrap: a failure there is the report.
#![allow(clippy::unwrap_used)]

#[path = "support/client.rs"]
mod client;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use clap::Parser;
use client::client;
use depot::catalog::BlobRef;
use depot::storage::heal::check_blob;
use depot::storage::scrub::Pace;
use depot::storage::{BlobStore, Hashes, ReadSegment, Redundancy};

const MIB: usize = 1024 * 1024;

#[derive(Debug, Parser)]
#[command(about = "Cost of copies and verified reads in Depot's blob store")]
struct Args {
    /// Where to put the drives (default: a temp dir on the default temp filesystem).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Blob size in MiB.
    #[arg(long, default_value_t = 64)]
    size_mib: usize,
    /// Measurements per case (the median is printed).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// The background scrub rate to measure against, bytes per second.
    #[arg(long, default_value_t = 16 * MIB as u64)]
    scrub_rate: u64,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn store(dirs: &[PathBuf], copies: usize) -> BlobStore {
    BlobStore::open(dirs, Redundancy { copies, write_quorum: copies, min_free_bytes: 0 }).unwrap().0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn mbps(bytes: usize, elapsed: Duration) -> f64 {
    bytes as f64 / MIB as f64 / elapsed.as_secs_f64()
}

async fn write(store: &BlobStore, data: &Bytes) -> (String, Duration) {
    let started = Instant::now();
    let mut writer = store.writer(Hashes::default());
    for piece in data.chunks(MIB) {
        writer.write(data.slice_ref(piece)).await.unwrap();
    }
    let blob = writer.finish().await.unwrap().persist().await.unwrap();
    (blob.id, started.elapsed())
}

async fn read(store: &BlobStore, blob_id: &str, len: u64) -> Duration {
    let started = Instant::now();
    let mut rx = store.read(vec![ReadSegment::Blob { blob_id: blob_id.to_owned(), blob_len: len, offset: 0, len }]);
    let mut got = 0u64;
    while let Some(chunk) = rx.recv().await {
        got += chunk.unwrap().len() as u64;
    }
    assert_eq!(got, len);
    started.elapsed()
}

fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(data))
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let base = tempfile::tempdir_in(args.dir.clone().unwrap_or_else(std::env::temp_dir)).unwrap();
    let dirs: Vec<PathBuf> = (0..3).map(|i| base.path().join(format!("drive{i}"))).collect();
    let data = Bytes::from((0..args.size_mib * MIB).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect::<Vec<u8>>());
    let len = data.len() as u64;
    println!("blob store on {} ({} MiB blobs, median of {})", base.path().display(), args.size_mib, args.rounds);

    let one = store(&dirs[..1], 1);
    let three = store(&dirs, 3);
    let (mut put1, mut put3) = (Vec::new(), Vec::new());
    let mut ids = Vec::new();
    for _ in 0..args.rounds {
        let (id, t) = write(&one, &data).await;
        put1.push(mbps(data.len(), t));
        ids.push(id);
        let (_, t) = write(&three, &data).await;
        put3.push(mbps(data.len(), t));
    }
    println!("PUT  copies=1 (1 dir)           {:>8.0} MB/s", median(put1.clone()));
    println!("PUT  copies=3 (3 dirs, 1 disk)  {:>8.0} MB/s  ({:.2}x the time)", median(put3.clone()), median(put1) / median(put3));

    // The same bytes without a block table: read by the same reader, unverified.
    let legacy_id = "ffffffffffffffffffffffffffffffff";
    let legacy_path = one.drives().all()[0].blob_path(legacy_id);
    std::fs::create_dir_all(legacy_path.parent().unwrap()).unwrap();
    std::fs::write(&legacy_path, &data).unwrap();
    let verified_id = ids[0].clone();
    read(&one, &verified_id, len).await;
    read(&one, legacy_id, len).await;
    let (mut on, mut off) = (Vec::new(), Vec::new());
    for _ in 0..args.rounds {
        on.push(mbps(data.len(), read(&one, &verified_id, len).await));
        off.push(mbps(data.len(), read(&one, legacy_id, len).await));
    }
    let (on, off) = (median(on), median(off));
    println!("GET  verified                   {on:>8.0} MB/s");
    println!("GET  unverified                 {off:>8.0} MB/s  (verification costs {:.1}%)", (1.0 - on / off) * 100.0);

    let blob = BlobRef { blob_id: verified_id, size: len as i64, md5_hex: md5_hex(&data), bucket: "bench".into(), key: "k".into(), version_id: String::new() };
    let scrub = |pace: u64, blobs: usize| {
        let (store, blob) = (one.clone(), blob.clone());
        async move {
            let started = Instant::now();
            let mut pace = Pace::new(pace);
            let mut bytes = 0;
            for _ in 0..blobs {
                let (s, b) = (store.clone(), blob.clone());
                let check = tokio::task::spawn_blocking(move || check_blob(&s, &b, &[], false)).await.unwrap();
                assert!(check.errors() == 0 && check.good.len() == 1);
                bytes += check.bytes_read;
                pace.spent(check.bytes_read).await;
            }
            mbps(bytes as usize, started.elapsed())
        }
    };
    let mut unthrottled = Vec::new();
    for _ in 0..args.rounds {
        unthrottled.push(scrub(0, 1).await);
    }
    println!("SCRUB unthrottled (page cache)  {:>8.0} MB/s", median(unthrottled));
    // Enough blobs for the pace to show: at least 4 s of reading at the rate.
    let blobs = ((4 * args.scrub_rate) / len).max(2) as usize;
    println!("SCRUB at {:.0} MiB/s (default)   {:>8.1} MB/s", args.scrub_rate as f64 / MIB as f64, scrub(args.scrub_rate, blobs).await);

    let (on, off) = end_to_end(base.path(), &data, args.rounds).await;
    println!("GetObject verified (S3 API)     {on:>8.0} MB/s");
    println!("GetObject unverified (S3 API)   {off:>8.0} MB/s  (verification costs {:.1}%)", (1.0 - on / off) * 100.0);
}

/// MB/s of GetObject through the S3 API with verified blobs, then with the same blobs
/// stripped of their block tables.
async fn end_to_end(dir: &std::path::Path, data: &Bytes, rounds: usize) -> (f64, f64) {
    let data_dir = dir.join("server");
    let mut config = depot::config::ServeConfig::with_data_dir(data_dir.clone());
    config.addr = "127.0.0.1:0".parse().unwrap();
    config.scrub_bytes_per_sec = 0;
    config.log_level = "warn".into();
    let root = depot::auth::root::RootCredentials {
        access_key_id: "DPBNINTEGRITY0000001".into(),
        secret_access_key: "integrity-bench-secret-000000000000000000".into(),
    };
    let server = depot::server::start(config, Some(root.clone())).await.unwrap();
    let client = client(&format!("http://{}", server.local_addr()), "us-east-1", &root.access_key_id, &root.secret_access_key);
    client.create_bucket().bucket("bench").send().await.unwrap();
    // Two sets of objects, the second with its block tables cut off; rounds alternate
    // between them so that both meet the same machine.
    let put_set = |prefix: &'static str| {
        let client = client.clone();
        let data = data.clone();
        async move {
            let keys: Vec<String> = (0..4).map(|i| format!("{prefix}{i}")).collect();
            for key in &keys {
                client.put_object().bucket("bench").key(key).body(ByteStream::from(data.clone())).send().await.unwrap();
            }
            keys
        }
    };
    let verified_keys = put_set("verified").await;
    let before: std::collections::HashSet<PathBuf> = walk(&data_dir.join("blobs")).into_iter().collect();
    let unverified_keys = put_set("unverified").await;
    for path in walk(&data_dir.join("blobs")).into_iter().filter(|p| !before.contains(p)) {
        std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(data.len() as u64).unwrap();
    }
    let get_all = |keys: Vec<String>| {
        let client = client.clone();
        async move {
            let started = Instant::now();
            let gets: Vec<_> = keys
                .into_iter()
                .map(|key| {
                    let client = client.clone();
                    tokio::spawn(async move {
                        let out = client.get_object().bucket("bench").key(key).send().await.unwrap();
                        out.body.collect().await.unwrap().into_bytes().len()
                    })
                })
                .collect();
            let mut bytes = 0;
            for get in gets {
                bytes += get.await.unwrap();
            }
            mbps(bytes, started.elapsed())
        }
    };
    get_all(verified_keys.clone()).await;
    get_all(unverified_keys.clone()).await;
    let (mut on, mut off) = (Vec::new(), Vec::new());
    for _ in 0..rounds * 2 {
        on.push(get_all(verified_keys.clone()).await);
        off.push(get_all(unverified_keys.clone()).await);
    }
    server.shutdown().await;
    (median(on), median(off))
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
