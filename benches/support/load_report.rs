//! The load benchmark's report: one [`Row`] per scenario and concurrency level (ops/s,
//! MB/s, nearest-rank p50/p99 latencies, the server's CPU ms/op and peak MiB, errors),
//! its header and formatting, and the closing "% of disk" lines that set `put-large`
//! and `multipart` against the `disk` rows.

use std::io::Write;
use std::time::Duration;

use crate::load_proc::Usage;
use crate::load_target::Timed;
use crate::{KIB, MIB};

/// One printed row: a scenario at one concurrency level.
pub struct Row {
    pub scenario: &'static str,
    pub size: String,
    pub concurrency: usize,
    pub ops: usize,
    /// Bytes moved, for MB/s; `None` prints `-`.
    pub bytes: Option<u64>,
    pub elapsed: Duration,
    /// Sorted.
    pub latencies: Vec<Duration>,
    /// `None`: the server is not measured.
    pub usage: Option<Usage>,
    pub errors: usize,
    pub first_error: Option<String>,
}

impl Row {
    /// A row of `timed`, whose every operation moved `size` bytes.
    pub fn new<T>(scenario: &'static str, size: usize, concurrency: usize, timed: &Timed<T>, usage: Option<Usage>) -> Row {
        let ops = timed.samples.len() + timed.errors;
        Row {
            scenario,
            size: size_label(size),
            concurrency,
            ops,
            bytes: Some((ops * size) as u64),
            elapsed: timed.elapsed,
            latencies: sorted(timed.samples.iter().map(|(latency, _)| *latency).collect()),
            usage,
            errors: timed.errors,
            first_error: timed.first_error.clone(),
        }
    }

    pub fn print_header() {
        println!(
            "{:<16} {:>7} {:>5} {:>7} {:>8} {:>10} {:>9} {:>8} {:>8} {:>10} {:>9} {:>6}",
            "scenario", "size", "conc", "ops", "seconds", "ops/s", "MB/s", "p50 ms", "p99 ms", "cpu ms/op", "peak MiB", "errors"
        );
    }

    pub fn print(&self) {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let dash = || "-".to_owned();
        let mb_per_sec = self.bytes.map_or_else(dash, |bytes| format!("{:.1}", bytes as f64 / secs / 1e6));
        let cpu = self.usage.and_then(|u| u.cpu_ms).filter(|_| self.ops > 0).map_or_else(dash, |ms| format!("{:.3}", ms / self.ops as f64));
        let rss = self.usage.and_then(|u| u.peak_rss_mib).map_or_else(dash, |mib| format!("{mib:.1}"));
        println!(
            "{:<16} {:>7} {:>5} {:>7} {:>8.2} {:>10.1} {:>9} {:>8.2} {:>8.2} {:>10} {:>9} {:>6}",
            self.scenario,
            self.size,
            self.concurrency,
            self.ops,
            secs,
            self.ops as f64 / secs,
            mb_per_sec,
            percentile_ms(&self.latencies, 0.50),
            percentile_ms(&self.latencies, 0.99),
            cpu,
            rss,
            self.errors,
        );
        // Rows come slowly; show each as soon as it is there, even through a pipe.
        let _ = std::io::stdout().flush();
    }

    fn mb_per_sec(&self) -> Option<f64> {
        self.bytes.map(|bytes| bytes as f64 / self.elapsed.as_secs_f64().max(1e-9) / 1e6)
    }
}

pub fn sorted(mut latencies: Vec<Duration>) -> Vec<Duration> {
    latencies.sort_unstable();
    latencies
}

/// The nearest-rank percentile `p` (0..1) of sorted latencies, in ms.
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1000.0
}

pub fn size_label(size: usize) -> String {
    if size >= MIB && size % MIB == 0 {
        format!("{} MiB", size / MIB)
    } else if size >= KIB && size % KIB == 0 {
        format!("{} KiB", size / KIB)
    } else {
        format!("{size} B")
    }
}

/// put-large and multipart against disk at the same concurrency.
pub fn print_disk_ratios(rows: &[Row]) {
    for row in rows.iter().filter(|row| row.scenario == "put-large" || row.scenario == "multipart") {
        let disk = rows.iter().find(|disk| disk.scenario == "disk" && disk.concurrency == row.concurrency);
        if let (Some(mb), Some(disk_mb)) = (row.mb_per_sec(), disk.and_then(Row::mb_per_sec)) {
            println!("{} c={}: {:.0}% of disk ({mb:.1} MB/s against {disk_mb:.1})", row.scenario, row.concurrency, mb / disk_mb * 100.0);
        }
    }
}
