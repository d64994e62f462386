//! The storage part of `/_depot/health` and of `/_depot/metrics`: each drive's status,
//! free space, errors found and repaired, and last scrub; the store's integrity
//! counters. Reads state only; never changes anything.

use std::fmt::Write;
use std::sync::atomic::Ordering;

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

/// Storage metrics in Prometheus text format.
pub async fn write_metrics(state: &AppState, out: &mut String) {
    let integrity = &state.blobs.integrity;
    for (name, help, value) in [
        ("depot_integrity_errors_total", "Blob copies (and inline objects) found damaged or missing, by reads and scrubs.", &integrity.errors),
        ("depot_integrity_repaired_total", "Blob copies written again by the healer.", &integrity.repaired),
        ("depot_integrity_unrecoverable_total", "Reads that found no good copy of a blob (the client got an error).", &integrity.unrecoverable),
        ("depot_scrub_blobs_total", "Blobs the background scrubber checked (every copy of each).", &integrity.scrubbed_blobs),
        ("depot_scrub_bytes_total", "Bytes the background scrubber read, over all copies.", &integrity.scrubbed_bytes),
        ("depot_scrub_passes_total", "Background scrub passes finished.", &integrity.scrub_passes),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", value.load(Ordering::Relaxed));
    }
    let last = integrity.last_scrub_ms.load(Ordering::Relaxed) as f64 / 1000.0;
    let _ = writeln!(
        out,
        "# HELP depot_scrub_last_pass_timestamp_seconds When the last background scrub pass finished (0: none yet).\n# TYPE depot_scrub_last_pass_timestamp_seconds gauge\ndepot_scrub_last_pass_timestamp_seconds {last}"
    );
    let spaces = state.blobs.spaces().await;
    let _ = writeln!(out, "# HELP depot_drive_degraded Whether the drive is marked degraded (1) after a failed I/O.\n# TYPE depot_drive_degraded gauge");
    for (drive, _) in &spaces {
        let _ = writeln!(out, "depot_drive_degraded{{drive=\"{}\"}} {}", drive.id, u8::from(drive.health.is_degraded()));
    }
    let _ = writeln!(out, "# HELP depot_drive_free_bytes Bytes free on the drive's filesystem.\n# TYPE depot_drive_free_bytes gauge");
    for (drive, space) in &spaces {
        if let Ok(space) = space {
            let _ = writeln!(out, "depot_drive_free_bytes{{drive=\"{}\"}} {}", drive.id, space.free_bytes);
        }
    }
    let counters: [(&str, &str, DriveCounter); 3] = [
        ("depot_drive_integrity_errors_total", "Copies on the drive found damaged or missing.", |h| h.integrity_errors.load(Ordering::Relaxed)),
        ("depot_drive_repaired_total", "Copies the healer wrote to the drive.", |h| h.repaired.load(Ordering::Relaxed)),
        ("depot_drive_io_errors_total", "Failed reads and writes on the drive.", |h| {
            h.read_errors.load(Ordering::Relaxed) + h.write_errors.load(Ordering::Relaxed)
        }),
    ];
    for (name, help, value) in counters {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for (drive, _) in &spaces {
            let _ = writeln!(out, "{name}{{drive=\"{}\"}} {}", drive.id, value(&drive.health));
        }
    }
}
