//! The check that keeps [`crate::LAYERS`] true: reads every source file under `src/`,
//! finds each `crate::<module>` path outside comments, and fails on an import of a
//! module that is not below the importing one (which also rules out cycles).

use std::path::{Path, PathBuf};

use crate::LAYERS;

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ is readable") {
            let path = entry.expect("src/ entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

/// The top-level modules a line of code names as `crate::<module>`.
fn named_modules(line: &str) -> Vec<&str> {
    let code = line.split("//").next().unwrap_or("");
    code.match_indices("crate::")
        .map(|(i, _)| {
            let rest = &code[i + "crate::".len()..];
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

/// `(file:line, from, to)` for every import against the order.
fn violations(src: &Path) -> Vec<String> {
    let rank = |m: &str| LAYERS.iter().position(|l| *l == m);
    let mut found = Vec::new();
    for file in sources(src) {
        let relative = file.strip_prefix(src).expect("under src/");
        let top = relative.components().next().and_then(|c| c.as_os_str().to_str()).unwrap_or("").trim_end_matches(".rs");
        let Some(own) = rank(top) else { continue };
        let text = std::fs::read_to_string(&file).expect("source is readable");
        for (n, line) in text.lines().enumerate() {
            for module in named_modules(line) {
                if let Some(target) = rank(module) {
                    if target > own {
                        found.push(format!("{}:{}: {top} imports {module}, which is above it", relative.display(), n + 1));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn every_module_is_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in std::fs::read_dir(&src).expect("src/") {
        let name = entry.expect("entry").file_name().into_string().expect("utf-8 name");
        let module = name.trim_end_matches(".rs");
        if ["lib", "main", "layering"].contains(&module) {
            continue;
        }
        assert!(LAYERS.contains(&module), "src/{name} is not in crate::LAYERS: give it its place in the order");
    }
}

#[test]
fn imports_point_down_the_layers() {
    let found = violations(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(found.is_empty(), "imports against the layer order of crate::LAYERS:\n{}", found.join("\n"));
}

#[test]
fn the_check_sees_an_upward_import() {
    let dir = tempfile_dir();
    std::fs::create_dir_all(dir.join("catalog")).expect("mkdir");
    std::fs::write(dir.join("catalog/mod.rs"), "use crate::config::ServeConfig;\nuse crate::server::AppState; // up\n// crate::admin in a comment\n")
        .expect("write");
    std::fs::write(dir.join("config.rs"), "//! leaf\n").expect("write");
    let found = violations(&dir);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("catalog imports server"), "{found:?}");
}

fn tempfile_dir() -> PathBuf {
    std::env::temp_dir().join(format!("depot-layering-{}", uuid::Uuid::new_v4().simple()))
}
