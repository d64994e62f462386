//! Load benchmark of an S3 server through aws-sdk-s3 (default settings, so uploads carry
//! the SDK's CRC checksum): throughput, latency, and what each request costs the server
//! in CPU time and memory, at several numbers of requests in flight.
//!
//! Scenarios (`--scenario a,b,…`, default all), one row per concurrency level:
//!
//! - `put-small`, `get-small`: PutObject / GetObject of 4 KiB objects, `--small-count`
//!   per level at each `--concurrency` (distinct keys; GETs read and check the body).
//! - `mixed`: 70% GetObject, 30% PutObject (overwrites) of 4 KiB on `--small-count`
//!   pre-filled keys, chosen by a seeded PRNG; the GET and PUT latencies follow as rows
//!   of their own.
//! - `put-large`, `get-large`: `--large-count` objects of `--large-size-mib` at each
//!   `--large-concurrency`; every body is a slice of one shared buffer.
//! - `multipart`: `--multipart-count` objects of `--multipart-size-mib`, one after
//!   another, each in `--part-size-mib` parts with `--part-concurrency` in flight
//!   (CreateMultipartUpload, UploadPart, CompleteMultipartUpload); MB/s is the figure.
//! - `list`: ListObjectsV2 of a bucket of `--list-keys` keys, 1,000 per page, the whole
//!   bucket `--list-rounds` times; ops/s counts keys, p50/p99 are per page. A second row
//!   (`versions`) lists the same bucket as often with ListObjectVersions.
//! - `disk`: no server: `--large-count` files of the large size written by
//!   `--large-concurrency` threads in 1 MiB writes, each then `sync_all`ed, on the data
//!   dir's filesystem; the reference for `put-large` and `multipart` (printed as "% of
//!   disk" at the end: what `dd conv=fsync` would give).
//!
//! `--small-count 0` skips the 4 KiB scenarios, `--large-count 0` the large ones and
//! `disk`, `--multipart-count 0` and `--list-keys 0` the others. Each scenario works in a
//! fresh bucket and empties and deletes it afterwards (not timed). Any failed request
//! fails the run (exit status 1), after its row, with the first error.
//!
//! The server: by default the release binary (`--server-bin`, default
//! `target/release/depot`) as a child process, `serve --addr 127.0.0.1:<free port>
//! --data-dir <dir> --log-level warn` plus any `--server-arg`, on a temp dir (or a fresh
//! directory inside `--data-dir`), killed at the end. `--endpoint` with `--access-key`
//! and `--secret-key` (or `DEPOT_BENCH_ENDPOINT`, `DEPOT_BENCH_ACCESS_KEY`,
//! `DEPOT_BENCH_SECRET_KEY`) measures a running S3 server instead (Depot, Garage, MinIO
//! …); `--server-pid` names its process for the CPU and memory columns.
//!
//! Server CPU and memory (Linux only, see `support/load_proc.rs`): CPU ms/op is the
//! growth of the server process's utime + stime (`/proc/PID/stat`, 100 ticks a second)
//! over the row, divided by its operations; peak MiB is the larger of its `VmHWM`, reset
//! at the start of the row through `/proc/PID/clear_refs`, and its `VmRSS` sampled every
//! 20 ms. Background work of the server during a row (event indexing, GC) counts too.
//! The client runs on the same machine and competes for its cores.
//!
//! ```text
//! cargo build --release --bin depot && cargo bench --bench s3
//! cargo bench --bench s3 -- --scenario put-small,get-small --concurrency 32,128
//! cargo bench --bench s3 -- --small-count 0 --large-count 8 --concurrency 4 --sse    # SSE-S3 uploads
//! cargo bench --bench s3 -- --server-arg=--database-url=postgres://depot:…@localhost/depot
//! cargo bench --bench s3 -- --scenario put-large,multipart,disk --data-dir DIR      # DIR: on the drive to measure
//! cargo bench --bench s3 -- --endpoint http://127.0.0.1:3900 --access-key … --secret-key … --server-pid 1234
//! ```

// Test and benchmark code may unwrap: a failure there is the report.
#![allow(clippy::unwrap_used)]

#[path = "support/client.rs"]
mod client;
#[path = "support/load_proc.rs"]
mod load_proc;
#[path = "support/load_report.rs"]
mod load_report;
#[path = "support/load_server.rs"]
mod load_server;
#[path = "support/load_target.rs"]
mod load_target;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aws_sdk_s3::types::ServerSideEncryption;
use aws_sdk_s3::Client;
use bytes::Bytes;
use clap::{Parser, ValueEnum};
use client::client;
use load_proc::{ProcWatch, Usage};
use load_report::{size_label, sorted, Row};
use load_server::ChildServer;
use load_target::{run, s3_error, write_files, Payload, Target, Timed, FILL_CONCURRENCY};

type Error = Box<dyn std::error::Error + Send + Sync>;

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;
/// Size of the objects of the small scenarios.
const SMALL: usize = 4 * KIB;
/// Large objects in flight while filling a bucket for `get-large`.
const FILL_LARGE_CONCURRENCY: usize = 4;

#[derive(Debug, Parser)]
#[command(about = "Load benchmark of an S3 server: throughput, latency, server CPU and memory per scenario")]
struct Args {
    /// Scenarios to run (in the order of the default list, whatever the order given).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "put-small,get-small,mixed,put-large,get-large,multipart,list,disk")]
    scenario: Vec<Scenario>,
    /// Requests in flight for the 4 KiB scenarios; a comma list gives one row each.
    #[arg(long, value_delimiter = ',', default_value = "1,4,32,128,256")]
    concurrency: Vec<usize>,
    /// Requests in flight for put-large, get-large and disk (threads).
    #[arg(long, value_delimiter = ',', default_value = "4,16")]
    large_concurrency: Vec<usize>,
    /// 4 KiB operations per level (put-small, get-small, mixed); 0 skips those.
    #[arg(long, default_value_t = 4000)]
    small_count: usize,
    /// Large objects per level (put-large, get-large; files for disk); 0 skips those.
    #[arg(long, default_value_t = 16)]
    large_count: usize,
    /// Size of the large objects, MiB.
    #[arg(long, default_value_t = 64)]
    large_size_mib: usize,
    /// Multipart objects, uploaded one after another; 0 skips multipart.
    #[arg(long, default_value_t = 2)]
    multipart_count: usize,
    /// Size of a multipart object, MiB.
    #[arg(long, default_value_t = 256)]
    multipart_size_mib: usize,
    /// Size of a part, MiB.
    #[arg(long, default_value_t = 8)]
    part_size_mib: usize,
    /// Parts in flight.
    #[arg(long, default_value_t = 4)]
    part_concurrency: usize,
    /// Keys in the list scenario's bucket; 0 skips it.
    #[arg(long, default_value_t = 5000)]
    list_keys: usize,
    /// Times the whole bucket is listed.
    #[arg(long, default_value_t = 10)]
    list_rounds: usize,
    /// The server binary to start as a child process (relative to the current directory).
    #[arg(long, env = "DEPOT_BENCH_SERVER_BIN", default_value = "target/release/depot")]
    server_bin: PathBuf,
    /// An extra argument for `depot serve` (repeatable), e.g. `--server-arg=--database-url=postgres://…`.
    #[arg(long, allow_hyphen_values = true)]
    server_arg: Vec<String>,
    /// A running server (http://host:port) instead of a child process.
    #[arg(long, env = "DEPOT_BENCH_ENDPOINT")]
    endpoint: Option<String>,
    #[arg(long, env = "DEPOT_BENCH_ACCESS_KEY", requires = "endpoint")]
    access_key: Option<String>,
    #[arg(long, env = "DEPOT_BENCH_SECRET_KEY", hide_env_values = true, requires = "endpoint")]
    secret_key: Option<String>,
    /// The process of the server at --endpoint, for the CPU and RSS columns.
    #[arg(long, requires = "endpoint")]
    server_pid: Option<u32>,
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Where to put the child server's data dir and the disk scenario's files: a fresh
    /// directory inside it, removed afterwards (default: a temp dir).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Upload with SSE-S3 (`x-amz-server-side-encryption: AES256`); reads then decrypt.
    #[arg(long)]
    sse: bool,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    PutSmall,
    GetSmall,
    Mixed,
    PutLarge,
    GetLarge,
    Multipart,
    List,
    Disk,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::PutSmall => "put-small",
            Scenario::GetSmall => "get-small",
            Scenario::Mixed => "mixed",
            Scenario::PutLarge => "put-large",
            Scenario::GetLarge => "get-large",
            Scenario::Multipart => "multipart",
            Scenario::List => "list",
            Scenario::Disk => "disk",
        }
    }

    /// Why the arguments skip this scenario, if they do.
    fn skipped(self, args: &Args) -> Option<&'static str> {
        match self {
            Scenario::PutSmall | Scenario::GetSmall | Scenario::Mixed if args.small_count == 0 => Some("--small-count 0"),
            Scenario::PutLarge | Scenario::GetLarge | Scenario::Disk if args.large_count == 0 => Some("--large-count 0"),
            Scenario::Multipart if args.multipart_count == 0 => Some("--multipart-count 0"),
            Scenario::List if args.list_keys == 0 || args.list_rounds == 0 => Some("--list-keys 0 or --list-rounds 0"),
            _ => None,
        }
    }
}

/// The operation a `mixed` request made.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Get,
    Put,
}

/// A well-mixed random number from a seed (splitmix64): the same choices on every run.
fn random(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn small_key(i: usize) -> String {
    format!("small/{i:07}")
}

fn large_key(i: usize) -> String {
    format!("large/{i:04}")
}

/// The run: arguments, client (none when only `disk` runs), the measured server
/// process, and the rows so far.
struct Bench {
    args: Args,
    client: Option<Client>,
    watch: Option<ProcWatch>,
    work_dir: PathBuf,
    rows: Vec<Row>,
}

impl Bench {
    /// A fresh bucket for `scenario`.
    async fn bucket(&self, scenario: Scenario) -> Result<Target, Error> {
        let bucket = format!("depot-bench-{}-{}", scenario.name(), &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let client = self.client.clone().ok_or("no server")?;
        client.create_bucket().bucket(&bucket).send().await.map_err(|e| s3_error(&format!("CreateBucket {bucket}"), e))?;
        Ok(Target { client, bucket: bucket.into(), sse: self.args.sse.then_some(ServerSideEncryption::Aes256) })
    }

    /// Runs `count` operations with `concurrency` in flight, measuring the server meanwhile.
    async fn measure<T, F, Fut>(&mut self, count: usize, concurrency: usize, op: F) -> (Timed<T>, Option<Usage>)
    where
        T: Send + 'static,
        F: Fn(usize) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, String>> + Send + 'static,
    {
        let probe = self.watch.as_mut().map(ProcWatch::start);
        let timed = run(count, concurrency, op).await;
        (timed, probe.map(load_proc::Probe::finish))
    }

    /// Prints and keeps a row; fails if any of its operations failed.
    fn report(&mut self, row: Row) -> Result<(), Error> {
        row.print();
        let failed = row.first_error.as_ref().map(|e| format!("c={}: {} of {} operations failed; the first: {e}", row.concurrency, row.errors, row.ops));
        self.rows.push(row);
        failed.map_or(Ok(()), |e| Err(e.into()))
    }

    /// PutObject of `count` objects of `size` bytes at each of `levels`, the bucket
    /// emptied after each level.
    async fn put_rows(
        &mut self,
        target: &Target,
        scenario: &'static str,
        (count, size): (usize, usize),
        levels: Vec<usize>,
        key: fn(usize) -> String,
    ) -> Result<(), Error> {
        let payload = Payload::new(size);
        for concurrency in levels {
            let (t, p) = (target.clone(), payload.clone());
            let (timed, usage) = self.measure(count, concurrency, move |i| t.clone().put(key(i), p.body(i))).await;
            self.report(Row::new(scenario, size, concurrency, &timed, usage))?;
            target.empty().await?;
        }
        Ok(())
    }

    /// GetObject of `count` objects of `size` bytes, written once (`fill` in flight),
    /// at each of `levels`.
    async fn get_rows(
        &mut self,
        target: &Target,
        scenario: &'static str,
        (count, size): (usize, usize),
        (levels, fill): (Vec<usize>, usize),
        key: fn(usize) -> String,
    ) -> Result<(), Error> {
        target.fill(count, fill, key, &Payload::new(size)).await?;
        for concurrency in levels {
            let t = target.clone();
            let (timed, usage) = self.measure(count, concurrency, move |i| t.clone().get(key(i), size)).await;
            self.report(Row::new(scenario, size, concurrency, &timed, usage))?;
        }
        Ok(())
    }

    async fn mixed(&mut self, target: &Target) -> Result<(), Error> {
        let (count, payload) = (self.args.small_count, Payload::new(SMALL));
        target.fill(count, FILL_CONCURRENCY, small_key, &payload).await?;
        for concurrency in self.args.concurrency.clone() {
            let (t, p) = (target.clone(), payload.clone());
            let op = move |i: usize| {
                let r = random(((concurrency as u64) << 32) ^ i as u64);
                let (target, key, body) = (t.clone(), small_key(r as usize % count), p.body(i));
                async move {
                    if (r >> 40) % 10 < 7 {
                        target.get(key, SMALL).await.map(|()| Kind::Get)
                    } else {
                        target.put(key, body).await.map(|()| Kind::Put)
                    }
                }
            };
            let (timed, usage) = self.measure(count, concurrency, op).await;
            let row = Row::new("mixed", SMALL, concurrency, &timed, usage);
            // The GETs and PUTs apart (all succeeded, or `report` failed): their share of
            // the throughput, and their latencies.
            let elapsed = row.elapsed;
            self.report(row)?;
            for (kind, name) in [(Kind::Get, "  mixed: get"), (Kind::Put, "  mixed: put")] {
                let latencies = sorted(timed.samples.iter().filter(|(_, k)| *k == kind).map(|(latency, _)| *latency).collect());
                let ops = latencies.len();
                let part = Row {
                    scenario: name,
                    size: size_label(SMALL),
                    concurrency,
                    ops,
                    bytes: Some((ops * SMALL) as u64),
                    elapsed,
                    latencies,
                    usage: None,
                    errors: 0,
                    first_error: None,
                };
                part.print();
            }
        }
        Ok(())
    }

    async fn multipart(&mut self, target: &Target) -> Result<(), Error> {
        let (count, size, part_concurrency) = (self.args.multipart_count, self.args.multipart_size_mib * MIB, self.args.part_concurrency);
        let parts = Payload::new(self.args.part_size_mib * MIB);
        let t = target.clone();
        let (timed, usage) = self.measure(count, 1, move |i| t.clone().multipart(format!("multipart/{i:04}"), size, parts.clone(), part_concurrency)).await;
        self.report(Row::new("multipart", size, part_concurrency, &timed, usage))
    }

    async fn list(&mut self, target: &Target) -> Result<(), Error> {
        let (keys, rounds) = (self.args.list_keys, self.args.list_rounds);
        // Objects of 0 and 1 bytes, alternately.
        let (t, one_byte) = (target.clone(), Bytes::from_static(b"x"));
        let filled = run(keys, FILL_CONCURRENCY, move |i| t.clone().put(format!("list/{i:07}"), one_byte.slice(..i % 2))).await;
        filled.check("filling the bucket")?;
        for versions in [false, true] {
            let t = target.clone();
            let (timed, usage) = self
                .measure(rounds, 1, move |_| {
                    let t = t.clone();
                    async move {
                        let (pages, listed) = if versions { t.list_versions_all().await? } else { t.list_all().await? };
                        if listed.len() == keys {
                            Ok(pages)
                        } else {
                            Err(format!("the listing gave {} keys of {keys}", listed.len()))
                        }
                    }
                })
                .await;
            let listed = timed.samples.len() * keys;
            let row = Row {
                scenario: if versions { "versions (keys/s)" } else { "list (keys/s)" },
                size: "0-1 B".to_owned(),
                concurrency: 1,
                ops: listed,
                bytes: None,
                elapsed: timed.elapsed,
                latencies: sorted(timed.samples.iter().flat_map(|(_, pages)| pages.iter().copied()).collect()),
                usage,
                errors: timed.errors,
                first_error: timed.first_error,
            };
            self.report(row)?;
        }
        Ok(())
    }

    async fn disk(&mut self) -> Result<(), Error> {
        let (count, size) = (self.args.large_count, self.args.large_size_mib * MIB);
        let dir = self.work_dir.join("disk");
        std::fs::create_dir_all(&dir)?;
        for concurrency in self.args.large_concurrency.clone() {
            let dir = dir.clone();
            let timed = tokio::task::spawn_blocking(move || write_files(&dir, count, size, concurrency)).await?;
            self.report(Row::new("disk", size, concurrency, &timed, None))?;
        }
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }

    /// Runs one scenario in its own bucket, then empties and deletes the bucket.
    async fn scenario(&mut self, scenario: Scenario) -> Result<(), Error> {
        if scenario == Scenario::Disk {
            return self.disk().await;
        }
        let target = self.bucket(scenario).await?;
        let name = scenario.name();
        let (small, large) = ((self.args.small_count, SMALL), (self.args.large_count, self.args.large_size_mib * MIB));
        let (small_levels, large_levels) = (self.args.concurrency.clone(), self.args.large_concurrency.clone());
        let result = match scenario {
            Scenario::PutSmall => self.put_rows(&target, name, small, small_levels, small_key).await,
            Scenario::GetSmall => self.get_rows(&target, name, small, (small_levels, FILL_CONCURRENCY), small_key).await,
            Scenario::Mixed => self.mixed(&target).await,
            Scenario::PutLarge => self.put_rows(&target, name, large, large_levels, large_key).await,
            Scenario::GetLarge => self.get_rows(&target, name, large, (large_levels, FILL_LARGE_CONCURRENCY), large_key).await,
            Scenario::Multipart => self.multipart(&target).await,
            Scenario::List => self.list(&target).await,
            Scenario::Disk => unreachable!(),
        };
        result?;
        target.empty().await?;
        let bucket = &*target.bucket;
        target.client.delete_bucket().bucket(bucket).send().await.map_err(|e| s3_error(&format!("DeleteBucket {bucket}"), e))?;
        Ok(())
    }
}

/// The server this run measures: a child process, or one running at `--endpoint`.
struct Server {
    endpoint: String,
    access_key: String,
    secret_key: String,
    child: Option<ChildServer>,
    description: String,
}

async fn server(args: &Args, work_dir: &Path) -> Result<Server, Error> {
    if let Some(endpoint) = &args.endpoint {
        let (Some(access_key), Some(secret_key)) = (args.access_key.clone(), args.secret_key.clone()) else {
            return Err("--endpoint needs --access-key and --secret-key".into());
        };
        let measured = match args.server_pid {
            Some(pid) => format!("pid {pid} measured"),
            None => "not measured: no --server-pid".to_owned(),
        };
        let description = format!("external server ({measured}), catalog unknown");
        return Ok(Server { endpoint: endpoint.clone(), access_key, secret_key, child: None, description });
    }
    let child = ChildServer::start(&args.server_bin, work_dir, &args.server_arg).await?;
    let postgres = args.server_arg.iter().any(|arg| arg.contains("database-url")) || std::env::var_os("DEPOT_DATABASE_URL").is_some_and(|url| !url.is_empty());
    let description = format!(
        "child process {} (pid {}), catalog {}, data dir {}",
        args.server_bin.display(),
        child.pid(),
        if postgres { "PostgreSQL (--database-url)" } else { "SQLite" },
        work_dir.join("server").display()
    );
    Ok(Server { endpoint: child.endpoint.clone(), access_key: child.access_key.clone(), secret_key: child.secret_key.clone(), child: Some(child), description })
}

/// Whether any scenario to run needs a server (all but `disk` do).
fn needs_server(args: &Args) -> bool {
    Scenario::value_variants().iter().any(|s| *s != Scenario::Disk && args.scenario.contains(s) && s.skipped(args).is_none())
}

async fn bench(args: Args, server: Option<&Server>, work_dir: &Path) -> Result<(), Error> {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let machine = format!("{cpus} CPUs, kernel {}; SSE-S3 {}", kernel.trim(), if args.sse { "on" } else { "off" });
    let (s3, watch) = match server {
        Some(server) => {
            let s3 = client(&server.endpoint, &args.region, &server.access_key, &server.secret_key);
            // Check the endpoint and the credentials before anything is timed.
            s3.list_buckets().send().await.map_err(|e| s3_error(&format!("ListBuckets on {}", server.endpoint), e))?;
            let pid = server.child.as_ref().map(ChildServer::pid).or(args.server_pid);
            println!("endpoint {}: {}; {machine}", server.endpoint, server.description);
            (Some(s3), pid.map(ProcWatch::new).transpose()?)
        }
        None => {
            println!("no server (only disk runs), files in {}; {machine}", work_dir.display());
            (None, None)
        }
    };
    println!("cpu ms/op, peak MiB: the server process's CPU time (user + system) per operation, and its peak RSS, during the row");
    Row::print_header();
    let scenarios: Vec<Scenario> = Scenario::value_variants().iter().copied().filter(|s| args.scenario.contains(s)).collect();
    let mut bench = Bench { args, client: s3, watch, work_dir: work_dir.to_owned(), rows: Vec::new() };
    for scenario in scenarios {
        match scenario.skipped(&bench.args) {
            Some(why) => println!("{:<16} skipped: {why}", scenario.name()),
            None => bench.scenario(scenario).await.map_err(|e| format!("{}: {e}", scenario.name()))?,
        }
    }
    load_report::print_disk_ratios(&bench.rows);
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if args.concurrency.contains(&0) || args.large_concurrency.contains(&0) || args.part_concurrency == 0 || args.part_size_mib == 0 {
        eprintln!("error: concurrency levels and --part-size-mib must be at least 1");
        return ExitCode::FAILURE;
    }
    let work_dir = match &args.data_dir {
        Some(dir) => tempfile::Builder::new().prefix("depot-bench-").tempdir_in(dir),
        None => tempfile::Builder::new().prefix("depot-bench-").tempdir(),
    };
    let work_dir = match work_dir {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("error: cannot create a work directory: {e}");
            return ExitCode::FAILURE;
        }
    };
    let server = match needs_server(&args).then(|| server(&args, work_dir.path())) {
        Some(starting) => match starting.await {
            Ok(server) => Some(server),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => None,
    };
    // Ctrl-C ends the run through the same clean-up as an error.
    let result = tokio::select! {
        result = bench(args, server.as_ref(), work_dir.path()) => result,
        _ = tokio::signal::ctrl_c() => Err("interrupted".into()),
    };
    if let Some(child) = server.as_ref().and_then(|server| server.child.as_ref()) {
        let problems = child.log_problems();
        if result.is_err() {
            eprintln!("the server's last output:\n{}", child.log_tail(20));
        } else if !problems.is_empty() {
            eprintln!("the server logged {} warnings or errors; the last ones:\n{}", problems.len(), problems[problems.len().saturating_sub(10)..].join("\n"));
        }
    }
    // The server goes before its data dir.
    drop(server);
    drop(work_dir);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
