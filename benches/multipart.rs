//! Benchmark: a 1 GiB multipart upload in 8 MiB parts and its download, against the
//! release `depot` binary running as its own process, so that the server's peak memory
//! (VmHWM from /proc) can be reported. Prints MB/s and peak RSS; asserts nothing.
//!
//! Run: `cargo bench --bench multipart` (options: `--size-mib N`, `--part-mib N`,
//! `--concurrency N`).

// Test and benchmark code may unwrap: a failure there is the report.
#![allow(clippy::unwrap_used)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_sdk_s3::config::Region;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use md5::{Digest, Md5};

const ACCESS_KEY: &str = "DPRTBENCHROOTKEY0001";
const SECRET_KEY: &str = "bench-root-secret-key-000000000000000000";

struct Options {
    size_mib: usize,
    part_mib: usize,
    concurrency: usize,
}

fn options() -> Options {
    let mut o = Options { size_mib: 1024, part_mib: 8, concurrency: 4 };
    let args: Vec<String> = std::env::args().collect();
    for pair in args.windows(2) {
        let value = pair[1].parse().ok();
        match (pair[0].as_str(), value) {
            ("--size-mib", Some(v)) => o.size_mib = v,
            ("--part-mib", Some(v)) => o.part_mib = v,
            ("--concurrency", Some(v)) => o.concurrency = v,
            _ => {}
        }
    }
    o
}

/// The server under test, killed when dropped.
struct Server {
    child: Child,
    endpoint: String,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start() -> Server {
        let data = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let child = Command::new(env!("CARGO_BIN_EXE_depot"))
            .env("DEPOT_ADDR", format!("127.0.0.1:{port}"))
            .env("DEPOT_DATA_DIR", data.path())
            .env("DEPOT_ROOT_ACCESS_KEY", ACCESS_KEY)
            .env("DEPOT_ROOT_SECRET_KEY", SECRET_KEY)
            .env("DEPOT_LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start depot");
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server { child, endpoint, _data: data }
    }

    /// Peak resident memory of the server process so far, in MiB.
    fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }
}

fn client(endpoint: &str) -> Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "bench"))
        .force_path_style(true)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    Client::from_conf(config)
}

/// Deterministic part data, generated on demand so the client holds few parts at once.
fn part_data(n: usize, len: usize) -> Vec<u8> {
    let mut state = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

#[tokio::main]
async fn main() {
    let o = options();
    let server = Server::start();
    let client = client(&server.endpoint);
    client.create_bucket().bucket("bench").send().await.expect("bucket");
    let part_len = o.part_mib * 1024 * 1024;
    let parts = o.size_mib / o.part_mib;
    println!("multipart upload: {} MiB in {} parts of {} MiB, {} in flight", o.size_mib, parts, o.part_mib, o.concurrency);
    let rss_idle = server.peak_rss_mib();

    let started = Instant::now();
    let upload = client.create_multipart_upload().bucket("bench").key("big").send().await.expect("create");
    let upload_id = upload.upload_id().expect("upload id").to_owned();
    let semaphore = std::sync::Arc::new(tokio::sync::Semaphore::new(o.concurrency));
    let mut tasks = Vec::new();
    for n in 1..=parts {
        let permit = semaphore.clone().acquire_owned().await.expect("semaphore");
        let (client, upload_id) = (client.clone(), upload_id.clone());
        tasks.push(tokio::spawn(async move {
            let data = part_data(n, part_len);
            let out = client
                .upload_part()
                .bucket("bench")
                .key("big")
                .upload_id(upload_id)
                .part_number(n as i32)
                .body(ByteStream::from(data))
                .send()
                .await
                .expect("part");
            drop(permit);
            CompletedPart::builder().part_number(n as i32).e_tag(out.e_tag().unwrap_or_default()).build()
        }));
    }
    let mut completed = Vec::with_capacity(parts);
    for t in tasks {
        completed.push(t.await.expect("part task"));
    }
    client
        .complete_multipart_upload()
        .bucket("bench")
        .key("big")
        .upload_id(&upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(completed)).build())
        .send()
        .await
        .expect("complete");
    let upload_secs = started.elapsed().as_secs_f64();
    let rss_after_upload = server.peak_rss_mib();

    let started = Instant::now();
    let mut body = client.get_object().bucket("bench").key("big").send().await.expect("get").body;
    let (mut received, mut md5) = (0usize, Md5::new());
    while let Some(chunk) = body.try_next().await.expect("body") {
        received += chunk.len();
        md5.update(&chunk);
    }
    let download_secs = started.elapsed().as_secs_f64();
    let mut expected = Md5::new();
    for n in 1..=parts {
        expected.update(part_data(n, part_len));
    }
    assert_eq!(md5.finalize(), expected.finalize(), "downloaded bytes differ");
    let mib = (parts * part_len) as f64 / (1024.0 * 1024.0);

    println!("{:<28} {:>10} {:>12}", "", "MB/s", "server peak");
    println!("{:<28} {:>10.1} {:>9.1} MiB", "upload (parts + complete)", mib * 1.048_576 / upload_secs, rss_after_upload);
    println!("{:<28} {:>10.1} {:>9.1} MiB", "download (GetObject)", received as f64 / 1e6 / download_secs, server.peak_rss_mib());
    println!("server peak RSS before the upload: {rss_idle:.1} MiB");
}
