//! Compiles the web console's files (`console/`) into the binary: writes a table of
//! `(path, bytes)` pairs, each an `include_bytes!` of one file, to `$OUT_DIR`, where
//! `src/console/assets.rs` includes it. No front-end build step: the files are served
//! as they are in the repository.

use std::path::{Path, PathBuf};
use std::{env, fs, io};

fn main() -> io::Result<()> {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(io::Error::other)?).join("console");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &root, &mut files)?;
    files.sort();
    let mut table = String::from("&[\n");
    for (rel, abs) in &files {
        println!("cargo:rerun-if-changed={}", abs.display());
        table.push_str(&format!("    ({rel:?}, include_bytes!({:?}).as_slice()),\n", abs.display().to_string()));
    }
    table.push(']');
    let out = PathBuf::from(env::var("OUT_DIR").map_err(io::Error::other)?).join("console_assets.rs");
    fs::write(out, table)
}

/// Every file under `dir`, with its path relative to `root` (`/`-separated).
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(root, &path, files)?;
        } else {
            let rel = path.strip_prefix(root).map_err(io::Error::other)?;
            let rel: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            files.push((rel.join("/"), path));
        }
    }
    Ok(())
}
