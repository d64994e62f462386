//! What the fault tests look at and do on disk, beside the server: a tmpfs to fill
//! (mounted for a test, unmounted when dropped), blob and temp files on drive
//! directories, drive ids, the on-disk length of a blob, ballast to fill a disk.
//! `harness` re-exports it all.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted at a temp dir, unmounted when dropped (drop servers using it first).
pub struct Tmpfs {
    dir: Option<tempfile::TempDir>,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`64m`); `Err` says why it cannot (not root, no mount).
    pub fn mount(size: &str) -> Result<Tmpfs, String> {
        let dir = tempfile::Builder::new().prefix("depot-faults-tmpfs").tempdir().map_err(|e| e.to_string())?;
        let out =
            Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(dir.path()).output().map_err(|e| format!("mount: {e}"))?;
        if !out.status.success() {
            return Err(format!("mount exited with {}: {}", out.status, String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(Tmpfs { dir: Some(dir) })
    }

    pub fn path(&self) -> &Path {
        self.dir.as_ref().expect("mounted").path()
    }

    /// Bytes available to unprivileged writers, as `df` reports them.
    pub fn available(&self) -> u64 {
        let out = Command::new("df").args(["--output=avail", "-B1"]).arg(self.path()).output().expect("run df");
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines().nth(1).and_then(|l| l.trim().parse().ok()).unwrap_or_else(|| panic!("unexpected df output: {text}"))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let Some(dir) = self.dir.take() else { return };
        let unmounted = Command::new("umount").arg(dir.path()).status().is_ok_and(|s| s.success())
            || Command::new("umount").arg("-l").arg(dir.path()).status().is_ok_and(|s| s.success());
        if unmounted {
            drop(dir);
        } else {
            eprintln!("warning: could not unmount {}", dir.path().display());
            // Left in place: removing a mounted directory's contents would hit the mount.
            let _ = dir.keep();
        }
    }
}

pub fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(entry.path()),
                Ok(_) => out.push(entry.path()),
                Err(_) => {}
            }
        }
    }
    out.sort();
    out
}

/// Blob files on several drive dirs (`<drive>/blobs/ab/cd/<id>`): blob id → the index
/// in `drives` and the file length of each copy.
pub fn blob_copies_on_drives(drives: &[PathBuf]) -> BTreeMap<String, Vec<(usize, u64)>> {
    let mut out: BTreeMap<String, Vec<(usize, u64)>> = BTreeMap::new();
    for (index, drive) in drives.iter().enumerate() {
        for path in files_under(&drive.join("blobs")) {
            let Some(id) = path.file_name().and_then(|n| n.to_str()) else { continue };
            let len = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            out.entry(id.to_owned()).or_default().push((index, len));
        }
    }
    out
}

/// Files in a drive dir's temp dir.
pub fn drive_temp_files(drive: &Path) -> Vec<PathBuf> {
    files_under(&drive.join("tmp"))
}

/// The id a drive dir was given on first use (its `drive-id` file).
pub fn drive_id(drive: &Path) -> String {
    fs::read_to_string(drive.join("drive-id")).unwrap_or_else(|e| panic!("read the drive id of {}: {e}", drive.display())).trim().to_owned()
}

/// The length of a blob file holding `size` bytes of data: the data, a CRC32C per
/// 64 KiB block and a 24-byte footer.
pub fn blob_file_len(size: u64) -> u64 {
    size + 4 * size.div_ceil(64 * 1024) + 24
}

/// Writes `len` bytes of ballast into `path` (fsynced), to fill a disk.
pub fn write_ballast(path: &Path, len: usize) {
    let mut f = File::create(path).expect("create ballast");
    f.write_all(&vec![0xA5; len]).expect("write ballast");
    f.sync_all().expect("sync ballast");
}
