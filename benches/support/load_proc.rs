//! The server's CPU time and peak memory during one row of the load benchmark, read
//! from Linux's /proc (no other platform).
//!
//! - CPU: `utime + stime` of `/proc/PID/stat` (all threads of the process, those that
//!   ended included) at the start and at the end of the row. The kernel counts them in
//!   clock ticks of `USER_HZ`, taken here as 100 per second: the kernel's ABI fixes it at
//!   100 on x86 and arm64 (reading `sysconf(_SC_CLK_TCK)` would need `libc` and unsafe
//!   code). Resolution: 10 ms per row, so rows should last well over a second.
//! - Peak RSS: writing `5` to `/proc/PID/clear_refs` at the start of a row resets the
//!   process's high-water mark (`VmHWM` of `/proc/PID/status`) to its current RSS; it
//!   is read again at the end. Meanwhile a thread samples `VmRSS` every 20 ms. The row
//!   reports the larger of the two. Writing `clear_refs` needs the right to trace the
//!   process (its owner, as for a child process); where it fails, the peak is the sampled
//!   maximum only, and a note says so once.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// `USER_HZ`: the unit of utime and stime in `/proc/PID/stat`.
const CLOCK_TICKS_PER_SEC: u64 = 100;
/// How often the sampler reads `VmRSS`.
const SAMPLE_EVERY: Duration = Duration::from_millis(20);

/// What the server used during one row.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// CPU time (user + system) in milliseconds; `None` if /proc could not be read.
    pub cpu_ms: Option<f64>,
    /// Peak resident memory in MiB; `None` if /proc could not be read.
    pub peak_rss_mib: Option<f64>,
}

/// The measured process.
pub struct ProcWatch {
    pid: u32,
    said_no_reset: bool,
}

impl ProcWatch {
    /// Watches `pid`; fails if /proc has no such process.
    pub fn new(pid: u32) -> Result<ProcWatch, String> {
        cpu_ticks(pid).ok_or_else(|| format!("cannot read /proc/{pid}/stat: no such process, or not Linux"))?;
        Ok(ProcWatch { pid, said_no_reset: false })
    }

    /// Starts measuring a row: resets the high-water mark and starts the sampler.
    pub fn start(&mut self) -> Probe {
        let pid = self.pid;
        let hwm_reset = match reset_hwm(pid) {
            Ok(()) => true,
            Err(e) => {
                if !self.said_no_reset {
                    eprintln!("note: cannot write /proc/{pid}/clear_refs ({e}): server peak RSS is the largest VmRSS sampled every 20 ms");
                    self.said_no_reset = true;
                }
                false
            }
        };
        let stop = Arc::new(AtomicBool::new(false));
        let sampler = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut max_kib = None;
                loop {
                    // Read once more after the stop flag, so a short row still has a sample.
                    let stopping = stop.load(Ordering::Relaxed);
                    max_kib = max_kib.max(status_kib(pid, "VmRSS:"));
                    if stopping {
                        return max_kib;
                    }
                    std::thread::sleep(SAMPLE_EVERY);
                }
            })
        };
        Probe { pid, hwm_reset, cpu_start: cpu_ticks(pid), stop, sampler: Some(sampler) }
    }
}

/// A row being measured; [`Probe::finish`] gives its [`Usage`]. Dropping it unfinished
/// stops the sampler.
pub struct Probe {
    pid: u32,
    hwm_reset: bool,
    cpu_start: Option<u64>,
    stop: Arc<AtomicBool>,
    sampler: Option<JoinHandle<Option<u64>>>,
}

impl Probe {
    pub fn finish(mut self) -> Usage {
        let cpu_end = cpu_ticks(self.pid);
        let hwm_kib = if self.hwm_reset { status_kib(self.pid, "VmHWM:") } else { None };
        self.stop.store(true, Ordering::Relaxed);
        let sampled_kib = self.sampler.take().and_then(|sampler| sampler.join().ok()).flatten();
        let cpu_ms = match (self.cpu_start, cpu_end) {
            (Some(start), Some(end)) => Some(end.saturating_sub(start) as f64 * 1000.0 / CLOCK_TICKS_PER_SEC as f64),
            _ => None,
        };
        Usage { cpu_ms, peak_rss_mib: hwm_kib.max(sampled_kib).map(|kib| kib as f64 / 1024.0) }
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// utime + stime of the process, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces; fields from the
    // state (3) on follow the last ')'. utime and stime are fields 14 and 15.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 1..)?.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// A `kB` line of `/proc/PID/status` (`VmRSS:`, `VmHWM:`), in KiB.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| line.strip_prefix(field)).and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Resets the process's `VmHWM` to its current RSS.
fn reset_hwm(pid: u32) -> std::io::Result<()> {
    std::fs::OpenOptions::new().write(true).open(format!("/proc/{pid}/clear_refs"))?.write_all(b"5")
}
