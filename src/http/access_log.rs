//! The buffer of server access log records: each S3 request to a bucket with logging on
//! leaves one record here (`server::s3`), and the `access_log` writer takes them out in
//! batches and stores them as log objects in the target buckets.
//!
//! Owns the bound on what waits in memory: at most [`MAX_PENDING`] records and
//! [`MAX_PENDING_BYTES`] of their text (each free-text field is cut to
//! [`MAX_FIELD`] bytes by `server::access`); past it a record is dropped, counted and
//! logged once per batch, never blocking a request. Must not write anything anywhere.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use s3api::access_log::LogRecord;
use tokio::sync::Notify;

/// The most records waiting for the writer; the writer is woken at half of it.
pub const MAX_PENDING: usize = 100_000;
/// The most bytes of records waiting (about their line length); the writer is woken at
/// half of it.
pub const MAX_PENDING_BYTES: usize = 64 * 1024 * 1024;
/// The longest request line, user agent, referer or host kept in a record.
pub const MAX_FIELD: usize = 1024;

/// A record (of its source bucket, `record.bucket`) and where it goes: the bucket's
/// logging configuration (stored form) as it was when the request ran.
#[derive(Debug, Clone)]
pub struct PendingRecord {
    pub config: Arc<str>,
    pub record: LogRecord,
}

impl PendingRecord {
    /// About the length of its line.
    fn weight(&self) -> usize {
        let r = &self.record;
        256 + r.request_uri.len()
            + r.key.as_ref().map_or(0, String::len)
            + r.user_agent.as_ref().map_or(0, String::len)
            + r.referer.as_ref().map_or(0, String::len)
            + r.host_header.as_ref().map_or(0, String::len)
            + r.bucket_owner.len()
            + r.requester.as_ref().map_or(0, String::len)
    }
}

#[derive(Debug, Default)]
struct Pending {
    records: Vec<PendingRecord>,
    bytes: usize,
}

/// Records waiting to be written.
#[derive(Debug, Default)]
pub struct AccessLogBuffer {
    pending: Mutex<Pending>,
    dropped: AtomicU64,
    /// Wakes the writer early when the buffer fills.
    pub full: Notify,
}

impl AccessLogBuffer {
    /// Adds a record; drops it (counted) when the buffer is full.
    pub fn push(&self, record: PendingRecord) {
        let weight = record.weight();
        let Ok(mut pending) = self.pending.lock() else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        };
        if pending.records.len() >= MAX_PENDING || pending.bytes + weight > MAX_PENDING_BYTES {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let before = pending.bytes;
        pending.records.push(record);
        pending.bytes += weight;
        if pending.records.len() == MAX_PENDING / 2 || (before <= MAX_PENDING_BYTES / 2 && pending.bytes > MAX_PENDING_BYTES / 2) {
            self.full.notify_one();
        }
    }

    /// Takes every waiting record, and how many were dropped since the last take.
    pub fn take(&self) -> (Vec<PendingRecord>, u64) {
        let records = match self.pending.lock() {
            Ok(mut pending) => std::mem::take(&mut *pending).records,
            Err(_) => {
                tracing::error!("the access log buffer's lock is poisoned; its records are lost");
                Vec::new()
            }
        };
        (records, self.dropped.swap(0, Ordering::Relaxed))
    }
}
