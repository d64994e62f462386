//! PutObject / GetObject throughput through aws-sdk-s3 (default settings, so uploads
//! carry the SDK's CRC checksum): ops/s for 4 KiB objects and MB/s for 64 MiB objects,
//! with a configurable number of requests in flight.
//!
//! By default it starts its own Depot in this process on a temp dir (SQLite catalog);
//! `--endpoint http://host:port` with `--access-key`/`--secret-key` (or
//! `DEPOT_BENCH_ENDPOINT`, `DEPOT_BENCH_ACCESS_KEY`, `DEPOT_BENCH_SECRET_KEY`) measures a
//! running server instead. The client shares the machine with an in-process server.
//!
//! ```text
//! cargo bench --bench s3
//! cargo bench --bench s3 -- --concurrency 32 --small-count 5000
//! cargo bench --bench s3 -- --small-count 0 --large-count 8 --sse      # SSE-S3 uploads
//! cargo bench --bench s3 -- --endpoint http://127.0.0.1:9000 --access-key … --secret-key …
//! ```

// Test and benchmark code may unwrap: a failure there is the report.
#![allow(clippy::unwrap_used)]

#[path = "support/client.rs"]
mod client;

use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use clap::Parser;
use client::client;
use futures_util::StreamExt;

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

#[derive(Debug, Parser)]
#[command(about = "PutObject/GetObject throughput of a Depot server")]
struct Args {
    /// A running server (http://host:port); unset: start one in this process.
    #[arg(long, env = "DEPOT_BENCH_ENDPOINT")]
    endpoint: Option<String>,
    #[arg(long, env = "DEPOT_BENCH_ACCESS_KEY", requires = "endpoint")]
    access_key: Option<String>,
    #[arg(long, env = "DEPOT_BENCH_SECRET_KEY", hide_env_values = true, requires = "endpoint")]
    secret_key: Option<String>,
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Data dir of the in-process server (default: a temp dir, removed afterwards).
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    /// Requests in flight.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Number of 4 KiB objects.
    #[arg(long, default_value_t = 2000)]
    small_count: usize,
    /// Number of 64 MiB objects.
    #[arg(long, default_value_t = 8)]
    large_count: usize,
    /// Upload with SSE-S3 (`x-amz-server-side-encryption: AES256`); reads then decrypt.
    #[arg(long)]
    sse: bool,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// One measured phase.
struct Row {
    operation: &'static str,
    size: usize,
    count: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Row {
    fn print(&self) {
        let secs = self.elapsed.as_secs_f64();
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let pct = |p: f64| sorted.get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1))).map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        let size = if self.size >= MIB { format!("{} MiB", self.size / MIB) } else { format!("{} KiB", self.size / KIB) };
        println!(
            "{:<10} {:>7} {:>6} {:>9.2} {:>9.0} {:>9.1} {:>9.1} {:>9.1}",
            self.operation,
            size,
            self.count,
            secs,
            self.count as f64 / secs,
            (self.count * self.size) as f64 / secs / 1e6,
            pct(0.5),
            pct(0.99),
        );
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let concurrency = args.concurrency.max(1);

    // The server: the given endpoint, or our own.
    let mut temp_dir = None;
    let (server, endpoint, access_key, secret_key) = match &args.endpoint {
        Some(endpoint) => {
            let (Some(key), Some(secret)) = (args.access_key.clone(), args.secret_key.clone()) else {
                return Err("--endpoint needs --access-key and --secret-key".into());
            };
            (None, endpoint.clone(), key, secret)
        }
        None => {
            let data_dir = match &args.data_dir {
                Some(dir) => dir.clone(),
                None => temp_dir.insert(tempfile::tempdir()?).path().to_path_buf(),
            };
            let mut config = depot::config::ServeConfig::with_data_dir(data_dir);
            config.addr = "127.0.0.1:0".parse()?;
            config.region = args.region.clone();
            let root = depot::auth::root::RootCredentials {
                access_key_id: depot::auth::root::new_access_key_id("DPBN"),
                secret_access_key: depot::auth::root::new_secret(),
            };
            let server = depot::server::start(config, Some(root.clone())).await?;
            let endpoint = format!("http://{}", server.local_addr());
            (Some(server), endpoint, root.access_key_id, root.secret_access_key)
        }
    };
    let client = client(&endpoint, &args.region, &access_key, &secret_key);
    let bucket = format!("depot-bench-{}", uuid::Uuid::new_v4().simple());
    client.create_bucket().bucket(&bucket).send().await?;

    println!(
        "endpoint {endpoint}{}, {concurrency} requests in flight{}",
        if server.is_some() { " (in-process, SQLite)" } else { "" },
        if args.sse { ", SSE-S3" } else { "" }
    );
    let sse = args.sse.then_some(aws_sdk_s3::types::ServerSideEncryption::Aes256);
    println!("{:<10} {:>7} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9}", "operation", "size", "count", "seconds", "ops/s", "MB/s", "p50 ms", "p99 ms");
    let small = Bytes::from(vec![b's'; 4 * KIB]);
    let large = Bytes::from((0..64 * MIB).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
    for (size, count, body) in [(4 * KIB, args.small_count, small), (64 * MIB, args.large_count, large)] {
        let keys: Vec<String> = (0..count).map(|i| format!("{size}/{i:06}")).collect();
        let put = run("PutObject", size, &keys, concurrency, |key| {
            let (client, bucket, body, sse) = (client.clone(), bucket.clone(), body.clone(), sse.clone());
            async move {
                let put = client.put_object().bucket(bucket).key(key).body(ByteStream::from(body)).set_server_side_encryption(sse);
                put.send().await.map(|_| ()).map_err(|e| format!("{e:?}"))
            }
        })
        .await?;
        put.print();
        let get = run("GetObject", size, &keys, concurrency, |key| {
            let (client, bucket) = (client.clone(), bucket.clone());
            async move {
                let out = client.get_object().bucket(bucket).key(key).send().await.map_err(|e| format!("{e:?}"))?;
                // Read and drop the body as it streams.
                let mut body = out.body;
                let mut read = 0;
                while let Some(chunk) = body.next().await {
                    read += chunk.map_err(|e| e.to_string())?.len();
                }
                if read == size {
                    Ok(())
                } else {
                    Err(format!("read {read} bytes of {size}"))
                }
            }
        })
        .await?;
        get.print();
        for key in &keys {
            client.delete_object().bucket(&bucket).key(key).send().await?;
        }
    }
    client.delete_bucket().bucket(&bucket).send().await?;
    if let Some(server) = server {
        server.shutdown().await;
    }
    drop(temp_dir);
    Ok(())
}

/// Runs `op` once per key, `concurrency` at a time; fails on the first error.
async fn run<F, Fut>(operation: &'static str, size: usize, keys: &[String], concurrency: usize, op: F) -> Result<Row, String>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let started = Instant::now();
    let results: Vec<Result<Duration, String>> = futures_util::stream::iter(keys.iter().cloned())
        .map(|key| {
            let request = op(key);
            async move {
                let t = Instant::now();
                request.await.map(|()| t.elapsed())
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let latencies = results.into_iter().collect::<Result<Vec<_>, _>>().map_err(|e| format!("{operation} failed: {e}"))?;
    Ok(Row { operation, size, count: keys.len(), elapsed, latencies })
}
