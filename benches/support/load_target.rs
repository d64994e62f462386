//! What the load benchmark does to the storage it measures, timed: [`run`], which runs
//! `count` operations with a number of them in flight and collects them as [`Timed`];
//! the request bodies ([`Payload`], slices of one shared buffer); the operations on one
//! bucket of the S3 server ([`Target`]: PutObject, GetObject, DeleteObject, a
//! whole-bucket ListObjectsV2, a multipart upload, and filling and emptying the bucket
//! untimed); and [`write_files`], the `disk` scenario's files written straight to the
//! filesystem.

use std::future::Future;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, ServerSideEncryption};
use aws_sdk_s3::Client;
use bytes::Bytes;

use crate::{Error, MIB};

/// Requests in flight while filling or emptying a bucket (not timed).
pub const FILL_CONCURRENCY: usize = 64;
/// Keys per ListObjectsV2 page.
const LIST_PAGE: i32 = 1000;

/// What [`run`] measured.
pub struct Timed<T> {
    pub elapsed: Duration,
    /// Latency and result of each operation that succeeded, in no particular order.
    pub samples: Vec<(Duration, T)>,
    pub errors: usize,
    /// The error of the earliest-started operation that failed.
    pub first_error: Option<String>,
}

impl<T> Timed<T> {
    /// Fails with the first error, if any operation failed.
    pub fn check(&self, what: &str) -> Result<(), String> {
        match &self.first_error {
            Some(e) => Err(format!("{what}: {} operations failed; the first: {e}", self.errors)),
            None => Ok(()),
        }
    }
}

/// Runs `op(0)`…`op(count - 1)` with `concurrency` of them in flight (each worker a
/// tokio task taking the next index when its last operation ends), timing each. A
/// failed operation is counted and the others go on.
pub async fn run<T, F, Fut>(count: usize, concurrency: usize, op: F) -> Timed<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, String>> + Send + 'static,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.clamp(1, count.max(1)) {
        let (op, next) = (op.clone(), next.clone());
        workers.spawn(async move {
            let (mut samples, mut errors, mut first_error) = (Vec::new(), 0, None);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return (samples, errors, first_error);
                }
                let started = Instant::now();
                match op(i).await {
                    Ok(out) => samples.push((started.elapsed(), out)),
                    Err(e) => {
                        errors += 1;
                        first_error = first_error.or(Some((started, e)));
                    }
                }
            }
        });
    }
    let mut timed = Timed { elapsed: Duration::ZERO, samples: Vec::with_capacity(count), errors: 0, first_error: None };
    let mut first: Option<(Instant, String)> = None;
    while let Some(worker) = workers.join_next().await {
        let (samples, errors, first_error) = worker.unwrap_or_else(|e| (Vec::new(), 1, Some((Instant::now(), format!("worker task failed: {e}")))));
        timed.samples.extend(samples);
        timed.errors += errors;
        if let Some((at, e)) = first_error {
            if first.as_ref().is_none_or(|(first_at, _)| at < *first_at) {
                first = Some((at, e));
            }
        }
    }
    timed.elapsed = started.elapsed();
    timed.first_error = first.map(|(_, e)| e);
    timed
}

/// Bodies of one size, all slices of one shared buffer, so that no request allocates
/// its own: the buffer repeats 0..251, and body `i` starts at byte `i % 251`, so that
/// neighbouring bodies differ (nothing for a deduplicating server to share).
#[derive(Clone)]
pub struct Payload {
    base: Bytes,
    size: usize,
}

impl Payload {
    pub fn new(size: usize) -> Payload {
        Payload { base: (0..size + 251).map(|i| (i % 251) as u8).collect::<Vec<u8>>().into(), size }
    }

    pub fn body(&self, i: usize) -> Bytes {
        self.body_of(i, self.size)
    }

    /// The first `len` bytes of body `i`.
    fn body_of(&self, i: usize, len: usize) -> Bytes {
        let start = i % 251;
        self.base.slice(start..start + len.min(self.size))
    }
}

/// A bucket and the client to reach it; methods take it by value so that operations are
/// `'static` futures for [`run`] (cloning it is cheap).
#[derive(Clone)]
pub struct Target {
    pub client: Client,
    pub bucket: Arc<str>,
    pub sse: Option<ServerSideEncryption>,
}

pub fn s3_error<E: std::error::Error + 'static, R>(what: &str, e: aws_sdk_s3::error::SdkError<E, R>) -> String
where
    R: std::fmt::Debug,
{
    format!("{what}: {}", DisplayErrorContext(e))
}

impl Target {
    pub async fn put(self, key: String, body: Bytes) -> Result<(), String> {
        let put = self.client.put_object().bucket(&*self.bucket).key(&key).body(ByteStream::from(body)).set_server_side_encryption(self.sse);
        put.send().await.map(|_| ()).map_err(|e| s3_error(&format!("PutObject {key}"), e))
    }

    /// Reads the object's body as it streams, and checks its length.
    pub async fn get(self, key: String, size: usize) -> Result<(), String> {
        let out = self.client.get_object().bucket(&*self.bucket).key(&key).send().await.map_err(|e| s3_error(&format!("GetObject {key}"), e))?;
        let mut body = out.body;
        let mut read = 0;
        while let Some(chunk) = body.try_next().await.map_err(|e| format!("GetObject {key}: body: {e}"))? {
            read += chunk.len();
        }
        if read == size {
            Ok(())
        } else {
            Err(format!("GetObject {key}: read {read} bytes of {size}"))
        }
    }

    async fn delete(self, key: String) -> Result<(), String> {
        self.client.delete_object().bucket(&*self.bucket).key(&key).send().await.map(|_| ()).map_err(|e| s3_error(&format!("DeleteObject {key}"), e))
    }

    /// Lists the whole bucket, 1,000 keys a page: each page's latency, and the keys.
    pub async fn list_all(self) -> Result<(Vec<Duration>, Vec<String>), String> {
        let (mut pages, mut keys, mut token) = (Vec::new(), Vec::new(), None);
        loop {
            let started = Instant::now();
            let list = self.client.list_objects_v2().bucket(&*self.bucket).max_keys(LIST_PAGE).set_continuation_token(token.take());
            let page = list.send().await.map_err(|e| s3_error("ListObjectsV2", e))?;
            pages.push(started.elapsed());
            keys.extend(page.contents().iter().filter_map(|object| object.key().map(str::to_owned)));
            match page.next_continuation_token() {
                Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_owned()),
                _ => return Ok((pages, keys)),
            }
        }
    }

    /// Lists every version of the bucket with ListObjectVersions, a page at a time: the
    /// time of each page, and the keys of the versions.
    pub async fn list_versions_all(self) -> Result<(Vec<Duration>, Vec<String>), String> {
        let (mut pages, mut keys, mut markers) = (Vec::new(), Vec::new(), (None, None));
        loop {
            let started = Instant::now();
            let list = self
                .client
                .list_object_versions()
                .bucket(&*self.bucket)
                .max_keys(LIST_PAGE)
                .set_key_marker(markers.0.take())
                .set_version_id_marker(markers.1.take());
            let page = list.send().await.map_err(|e| s3_error("ListObjectVersions", e))?;
            pages.push(started.elapsed());
            keys.extend(page.versions().iter().filter_map(|version| version.key().map(str::to_owned)));
            if page.is_truncated() != Some(true) {
                return Ok((pages, keys));
            }
            markers = (page.next_key_marker().map(str::to_owned), page.next_version_id_marker().map(str::to_owned));
        }
    }

    /// One object in parts of `part_size` (the last one shorter), `part_concurrency`
    /// parts in flight, each part a slice of `parts`.
    pub async fn multipart(self, key: String, size: usize, parts: Payload, part_concurrency: usize) -> Result<(), String> {
        let create = self.client.create_multipart_upload().bucket(&*self.bucket).key(&key).set_server_side_encryption(self.sse.clone());
        let created = create.send().await.map_err(|e| s3_error(&format!("CreateMultipartUpload {key}"), e))?;
        let upload_id: Arc<str> = created.upload_id().ok_or("CreateMultipartUpload: no upload id")?.into();
        let part_size = parts.size;
        let count = size.div_ceil(part_size);
        let uploaded = {
            let (target, key, upload_id) = (self.clone(), key.clone(), upload_id.clone());
            run(count, part_concurrency, move |i| {
                let number = i as i32 + 1;
                let body = parts.body_of(i, size - i * part_size);
                let upload = target.client.upload_part().bucket(&*target.bucket).key(&key).upload_id(&*upload_id).part_number(number);
                async move {
                    let out = upload.body(ByteStream::from(body)).send().await.map_err(|e| s3_error(&format!("UploadPart {number}"), e))?;
                    Ok(CompletedPart::builder().part_number(number).set_e_tag(out.e_tag().map(str::to_owned)).build())
                }
            })
            .await
        };
        uploaded.check(&format!("multipart upload of {key}"))?;
        let mut completed: Vec<CompletedPart> = uploaded.samples.into_iter().map(|(_, part)| part).collect();
        completed.sort_by_key(|part| part.part_number());
        let complete = self.client.complete_multipart_upload().bucket(&*self.bucket).key(&key).upload_id(&*upload_id);
        let complete = complete.multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(completed)).build());
        complete.send().await.map(|_| ()).map_err(|e| s3_error(&format!("CompleteMultipartUpload {key}"), e))
    }

    /// Puts `count` objects `key(i)` with `payload.body(i)` (not timed).
    pub async fn fill(&self, count: usize, concurrency: usize, key: fn(usize) -> String, payload: &Payload) -> Result<(), Error> {
        let (target, payload) = (self.clone(), payload.clone());
        run(count, concurrency, move |i| target.clone().put(key(i), payload.body(i))).await.check("filling the bucket")?;
        Ok(())
    }

    /// Deletes every object of the bucket (not timed).
    pub async fn empty(&self) -> Result<(), Error> {
        let (_, keys) = self.clone().list_all().await?;
        let keys = Arc::new(keys);
        let target = self.clone();
        run(keys.len(), FILL_CONCURRENCY, move |i| target.clone().delete(keys[i].clone())).await.check("emptying the bucket")?;
        Ok(())
    }
}

/// Writes `count` files of `size` bytes in `dir` with `threads` threads, 1 MiB per
/// write, each file `sync_all`ed; then deletes them (not timed).
pub fn write_files(dir: &Path, count: usize, size: usize, threads: usize) -> Timed<()> {
    let chunk: Vec<u8> = (0..MIB).map(|i| (i % 251) as u8).collect();
    let write = |i: usize| -> std::io::Result<()> {
        let mut file = std::fs::File::create(dir.join(format!("{i:04}")))?;
        let mut left = size;
        while left > 0 {
            let n = left.min(MIB);
            file.write_all(&chunk[..n])?;
            left -= n;
        }
        file.sync_all()
    };
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    let results: Vec<(Duration, Result<(), String>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.clamp(1, count.max(1)))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count {
                            return done;
                        }
                        let started = Instant::now();
                        let result = write(i).map_err(|e| format!("writing {}: {e}", dir.join(format!("{i:04}")).display()));
                        done.push((started.elapsed(), result));
                    }
                })
            })
            .collect();
        workers.into_iter().flat_map(|worker| worker.join().unwrap()).collect()
    });
    let elapsed = started.elapsed();
    for i in 0..count {
        let _ = std::fs::remove_file(dir.join(format!("{i:04}")));
    }
    let mut timed = Timed { elapsed, samples: Vec::new(), errors: 0, first_error: None };
    for (latency, result) in results {
        match result {
            Ok(()) => timed.samples.push((latency, ())),
            Err(e) => {
                timed.errors += 1;
                timed.first_error.get_or_insert(e);
            }
        }
    }
    timed
}
