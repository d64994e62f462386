//! The console's files: compiled in (the table `build.rs` writes from `console/`), or
//! read from a directory on each request while working on the console. Owns lookup,
//! content types and the content hash that names the cacheable asset URLs; knows
//! nothing of HTTP.

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

/// Every file of `console/`, by its path relative to that directory.
const EMBEDDED: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/console_assets.rs"));

/// Where the files come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// The copies compiled into the binary.
    Embedded,
    /// A directory read on every request (nothing is cached).
    Dir(PathBuf),
}

impl Source {
    /// The file at `path` (relative, `/`-separated), if there is one. Paths with empty,
    /// `.` or `..` segments name nothing.
    pub fn file(&self, path: &str) -> std::io::Result<Option<Cow<'static, [u8]>>> {
        if path.is_empty() || path.split('/').any(|s| s.is_empty() || s == "." || s == ".." || s.contains('\\')) {
            return Ok(None);
        }
        match self {
            Source::Embedded => Ok(EMBEDDED.iter().find(|(p, _)| *p == path).map(|(_, bytes)| Cow::Borrowed(*bytes))),
            // Every component a plain name: no root, prefix (`C:`) or climbing.
            Source::Dir(_) if !Path::new(path).components().all(|c| matches!(c, Component::Normal(_))) => Ok(None),
            Source::Dir(dir) => match std::fs::read(dir.join(Path::new(path))) {
                Ok(bytes) => Ok(Some(Cow::Owned(bytes))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound || e.kind() == std::io::ErrorKind::IsADirectory => Ok(None),
                Err(e) => Err(e),
            },
        }
    }

    /// The version segment of asset URLs: 16 hex digits of a SHA-256 over every
    /// compiled-in file, so a changed file gets a new URL and old ones can be cached
    /// for good. `dev` for a directory, whose files are never cached.
    pub fn version(&self) -> &'static str {
        static HASH: OnceLock<String> = OnceLock::new();
        match self {
            Source::Embedded => HASH.get_or_init(|| {
                let mut hasher = Sha256::new();
                for (path, bytes) in EMBEDDED {
                    hasher.update(path.as_bytes());
                    hasher.update((bytes.len() as u64).to_le_bytes());
                    hasher.update(bytes);
                }
                hex::encode(&hasher.finalize()[..8])
            }),
            Source::Dir(_) => "dev",
        }
    }
}

/// The `Content-Type` of a file, by its extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        Some("txt") | None => "text/plain; charset=utf-8",
        Some(_) => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_its_script_are_compiled_in() {
        let source = Source::Embedded;
        assert!(source.file("index.html").unwrap().is_some());
        assert!(source.file("js/app.js").unwrap().is_some());
        assert_eq!(source.version().len(), 16);
    }

    #[test]
    fn paths_that_climb_or_are_empty_name_nothing() {
        let source = Source::Embedded;
        for path in ["", "/index.html", "../Cargo.toml", "js/../index.html", "js//app.js", "./index.html", "js\\app.js"] {
            assert!(source.file(path).unwrap().is_none(), "{path}");
        }
        let dir = Source::Dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("console"));
        assert!(dir.file("../Cargo.toml").unwrap().is_none());
        assert!(dir.file("index.html").unwrap().is_some());
    }
}
