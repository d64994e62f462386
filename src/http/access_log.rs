//! The buffer of server access log records: each S3 request to a bucket with logging on
//! leaves one record here (`server::s3`), and the `access_log` writer takes them out in
//! batches and stores them as log objects in the target buckets.
//!
//! Owns the bound on what waits in memory: at most [`MAX_PENDING`] records; past it a
//! record is dropped, counted and logged once per batch, never blocking a request. Must
//! not write anything anywhere.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use s3api::access_log::LogRecord;
use tokio::sync::Notify;

/// The most records waiting for the writer; the writer is woken at half of it.
pub const MAX_PENDING: usize = 100_000;

/// A record and where it goes: the source bucket and its logging configuration (stored
/// form) as they were when the request ran.
#[derive(Debug, Clone)]
pub struct PendingRecord {
    pub source_bucket: String,
    pub config: String,
    pub record: LogRecord,
}

/// Records waiting to be written.
#[derive(Debug, Default)]
pub struct AccessLogBuffer {
    pending: Mutex<Vec<PendingRecord>>,
    dropped: AtomicU64,
    /// Wakes the writer early when the buffer fills.
    pub full: Notify,
}

impl AccessLogBuffer {
    /// Adds a record; drops it (counted) when [`MAX_PENDING`] wait already.
    pub fn push(&self, record: PendingRecord) {
        let Ok(mut pending) = self.pending.lock() else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        };
        if pending.len() >= MAX_PENDING {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        pending.push(record);
        if pending.len() == MAX_PENDING / 2 {
            self.full.notify_one();
        }
    }

    /// Takes every waiting record, and how many were dropped since the last take.
    pub fn take(&self) -> (Vec<PendingRecord>, u64) {
        let records = match self.pending.lock() {
            Ok(mut pending) => std::mem::take(&mut *pending),
            Err(_) => Vec::new(),
        };
        (records, self.dropped.swap(0, Ordering::Relaxed))
    }
}
