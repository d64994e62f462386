//! The storage part of `/_depot/health` and of `/_depot/metrics`: each drive's status,
//! free space, errors found and repaired, and last scrub; the store's integrity
//! counters. Reads state only; never changes anything.

use std::sync::atomic::Ordering;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::Registry;
use serde_json::{json, Value};

use crate::http::AppState;
use crate::storage::drives::DriveHealth;

/// `{"status", "copies", "write_quorum", "free_bytes", "min_free_bytes", "drives": […],
/// "scrub": {…}}`.
/// `error` when fewer drives work (answer the probe, can be measured, not degraded) than
/// a write needs (the quorum); `degraded` when a drive is degraded, full or failing, or
/// writes are refused for want of space.
pub async fn drive_checks(state: &AppState) -> Value {
    let probes = state.blobs.check().await;
    let spaces = state.blobs.spaces().await;
    let min_free = state.config.min_free_bytes;
    // A scrub pass covers every drive: each shows when the last one finished.
    let last_scrub = match state.blobs.integrity.last_scrub_ms.load(Ordering::Relaxed) {
        0 => Value::Null,
        t => t.into(),
    };
    let mut drives = Vec::new();
    let (mut working, mut with_room, mut free_total, mut trouble) = (0usize, 0usize, 0u64, Vec::new());
    for ((drive, probe), (_, space)) in probes.iter().zip(&spaces) {
        let h = &drive.health;
        let mut entry = json!({
            "id": drive.id,
            "path": drive.root.display().to_string(),
            "write_errors": h.write_errors.load(Ordering::Relaxed),
            "read_errors": h.read_errors.load(Ordering::Relaxed),
            "errors_found": h.integrity_errors.load(Ordering::Relaxed),
            "repaired": h.repaired.load(Ordering::Relaxed),
            "last_scrub_ms": last_scrub,
        });
        let status = match (probe, space) {
            (Err(e), _) => {
                entry["reason"] = e.to_string().into();
                trouble.push(format!("drive {} fails: {e}", drive.id));
                "error"
            }
            (Ok(()), Err(e)) => {
                entry["reason"] = e.to_string().into();
                trouble.push(format!("drive {} cannot be measured: {e}", drive.id));
                "error"
            }
            (Ok(()), Ok(space)) => {
                free_total += space.free_bytes;
                entry["free_bytes"] = space.free_bytes.into();
                if h.is_degraded() {
                    entry["reason"] = h.reason().unwrap_or_default().into();
                    trouble.push(format!("drive {} is degraded", drive.id));
                    "degraded"
                } else if space.is_low() {
                    working += 1;
                    trouble.push(format!("drive {} has {} bytes free, below the reserve of {} bytes", drive.id, space.free_bytes, space.min_free_bytes));
                    "full"
                } else {
                    working += 1;
                    with_room += 1;
                    "ok"
                }
            }
        };
        entry["status"] = status.into();
        drives.push(entry);
    }
    let quorum = state.config.write_quorum();
    let status = if working < quorum {
        "error"
    } else if !trouble.is_empty() {
        "degraded"
    } else {
        "ok"
    };
    let mut out = json!({
        "status": status,
        "copies": state.blobs.copies(),
        "write_quorum": quorum,
        "free_bytes": free_total,
        "min_free_bytes": min_free,
        "drives": drives,
        "scrub": {
            "bytes_per_sec": state.config.scrub_bytes_per_sec,
            "passes": state.blobs.integrity.scrub_passes.load(Ordering::Relaxed),
            "last_pass_ms": last_scrub,
            "blobs_checked": state.blobs.integrity.scrubbed_blobs.load(Ordering::Relaxed),
            "bytes_read": state.blobs.integrity.scrubbed_bytes.load(Ordering::Relaxed),
            "errors_found": state.blobs.integrity.errors.load(Ordering::Relaxed),
            "repaired": state.blobs.integrity.repaired.load(Ordering::Relaxed),
        },
    });
    if with_room < quorum && min_free > 0 {
        trouble.push(format!(
            "{with_room} of the {quorum} drives a write needs have room above the reserve of {min_free} bytes: writes are refused (507 InsufficientStorage) until objects are deleted or space is added"
        ));
    }
    if !trouble.is_empty() {
        out["reason"] = trouble.join("; ").into();
    }
    out
}

/// One counter of a drive's health.
type DriveCounter = fn(&DriveHealth) -> u64;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DriveLabels {
    drive: String,
}

/// Registers the storage metrics, as they are now, for one scrape.
pub async fn register_metrics(state: &AppState, registry: &mut Registry) {
    let integrity = &state.blobs.integrity;
    for (name, help, value) in [
        ("integrity_errors", "Blob copies (and inline objects) found damaged or missing, by reads and scrubs.", &integrity.errors),
        ("integrity_repaired", "Blob copies written again by the healer.", &integrity.repaired),
        ("integrity_unrecoverable", "Reads that found no good copy of a blob (the client got an error).", &integrity.unrecoverable),
        ("scrub_blobs", "Blobs the background scrubber checked (every copy of each).", &integrity.scrubbed_blobs),
        ("scrub_bytes", "Bytes the background scrubber read, over all copies.", &integrity.scrubbed_bytes),
        ("scrub_passes", "Background scrub passes finished.", &integrity.scrub_passes),
    ] {
        registry.register(name, help, ConstCounter::new(value.load(Ordering::Relaxed)));
    }
    let last = integrity.last_scrub_ms.load(Ordering::Relaxed) as f64 / 1000.0;
    registry.register("scrub_last_pass_timestamp_seconds", "When the last background scrub pass finished (0: none yet).", ConstGauge::new(last));
    let spaces = state.blobs.spaces().await;
    let label = |drive: &crate::storage::drives::Drive| DriveLabels { drive: drive.id.clone() };
    let degraded = Family::<DriveLabels, Gauge>::default();
    let free = Family::<DriveLabels, Gauge>::default();
    for (drive, space) in &spaces {
        degraded.get_or_create(&label(drive)).set(i64::from(drive.health.is_degraded()));
        if let Ok(space) = space {
            free.get_or_create(&label(drive)).set(i64::try_from(space.free_bytes).unwrap_or(i64::MAX));
        }
    }
    registry.register("drive_degraded", "Whether the drive is marked degraded (1) after a failed I/O.", degraded);
    registry.register("drive_free_bytes", "Bytes free on the drive's filesystem.", free);
    let counters: [(&str, &str, DriveCounter); 6] = [
        ("drive_integrity_errors", "Copies on the drive found damaged or missing.", |h| h.integrity_errors.load(Ordering::Relaxed)),
        ("drive_repaired", "Copies the healer wrote to the drive.", |h| h.repaired.load(Ordering::Relaxed)),
        ("drive_io_errors", "Failed reads and writes on the drive.", |h| h.read_errors.load(Ordering::Relaxed) + h.write_errors.load(Ordering::Relaxed)),
        ("drive_blob_writes", "Blob copies placed on the drive (writes, stand-ins and repairs).", |h| h.blob_writes.load(Ordering::Relaxed)),
        ("drive_written_bytes", "Bytes of the blob copies placed on the drive, block tables included.", |h| h.bytes_written.load(Ordering::Relaxed)),
        ("drive_fsyncs", "fsyncs of blob files and their directories on the drive.", |h| h.fsyncs.load(Ordering::Relaxed)),
    ];
    for (name, help, value) in counters {
        let family = Family::<DriveLabels, Counter>::default();
        for (drive, _) in &spaces {
            family.get_or_create(&label(drive)).inc_by(value(&drive.health));
        }
        registry.register(name, help, family);
    }
}
