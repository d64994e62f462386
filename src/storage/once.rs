//! Small files written once and then only read, by whichever of several processes gets
//! there first: a drive's id, the generated JWT secret and root credentials. Nodes that
//! share a directory may start at the same moment; each must end up with the same file,
//! whole, never a half-written one and never two different ones.
//!
//! The content goes to a temp file of its own (unique name, synced, mode as asked), which
//! is then hard-linked to the final name (or, where the filesystem has no hard links,
//! renamed with `RENAME_NOREPLACE`): both fail when the name exists, so exactly one
//! process publishes, and readers only ever see a complete file. A crash between the two
//! steps can leave a `.<name>.<uuid>.tmp` beside the file; nothing reads it. It knows
//! nothing of what the files mean.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Who wrote the file that is now at the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// This call wrote it.
    Here,
    /// It was there already (from an earlier start, or another process just now).
    Existing,
}

/// Publishes `content` at `path` (file mode `mode`) unless a file is already there;
/// either way the file at `path` is complete when this returns. The temp file lives
/// beside the final name, so the link stays on one filesystem.
pub fn publish_once(path: &Path, content: &[u8], mode: u32) -> io::Result<Published> {
    let dir = path.parent().ok_or_else(|| io::Error::other(format!("{} has no parent directory", path.display())))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let written = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).mode(mode).open(&temp)?;
        file.write_all(content)?;
        file.sync_all()
    })();
    let outcome = written.and_then(|()| link_new(&temp, path));
    if let Err(e) = fs::remove_file(&temp) {
        if e.kind() != io::ErrorKind::NotFound {
            tracing::warn!(path = %temp.display(), error = %e, "could not remove a temp file");
        }
    }
    let published = outcome?;
    // Either way the name must survive a crash before anyone relies on it: the process
    // that linked it may have died before its own directory fsync.
    File::open(dir)?.sync_all()?;
    Ok(published)
}

/// Gives `temp` the name `path` unless that name exists: a hard link, or on a
/// filesystem without hard links a rename that refuses to replace.
fn link_new(temp: &Path, path: &Path) -> io::Result<Published> {
    let exists = |e: &io::Error| e.kind() == io::ErrorKind::AlreadyExists;
    match fs::hard_link(temp, path) {
        Ok(()) => Ok(Published::Here),
        Err(e) if exists(&e) => Ok(Published::Existing),
        Err(e) if matches!(e.raw_os_error(), Some(code) if code == rustix::io::Errno::PERM.raw_os_error() || code == rustix::io::Errno::OPNOTSUPP.raw_os_error()) => {
            match rustix::fs::renameat_with(rustix::fs::CWD, temp, rustix::fs::CWD, path, rustix::fs::RenameFlags::NOREPLACE) {
                Ok(()) => Ok(Published::Here),
                Err(e) => {
                    let e = io::Error::from(e);
                    if exists(&e) {
                        Ok(Published::Existing)
                    } else {
                        Err(e)
                    }
                }
            }
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_writer_wins_and_every_caller_sees_its_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("drive-id");
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || publish_once(&path, format!("writer-{i}").as_bytes(), 0o600).unwrap())
            })
            .collect();
        let outcomes: Vec<Published> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(outcomes.iter().filter(|o| **o == Published::Here).count(), 1);
        let content = fs::read_to_string(&path).unwrap();
        assert!(content.starts_with("writer-"), "{content}");
        assert_eq!(publish_once(&path, b"later", 0o600).unwrap(), Published::Existing);
        assert_eq!(fs::read_to_string(&path).unwrap(), content, "an existing file is never replaced");
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["drive-id"], "no temp file is left behind");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
