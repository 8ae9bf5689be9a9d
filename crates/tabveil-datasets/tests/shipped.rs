//! The demo data shipped in this crate (`data/adult/`) is the repository's canonical
//! `data/adult/`: byte for byte once decompressed. Regenerate with
//! `bash scripts/data/pack_demo_data.sh`.
//!
//! This test reads the repository outside the crate, so the published package leaves it out
//! (`include` in Cargo.toml).

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions"
)]

use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/adult")
}

fn canonical() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/adult")
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn assert_same(name: &str, shipped: &[u8], canonical: &[u8]) {
    assert!(
        shipped == canonical,
        "crates/tabveil-datasets/data/adult/{name} differs from data/adult/{name} \
         ({} vs {} bytes): run `bash scripts/data/pack_demo_data.sh`",
        shipped.len(),
        canonical.len()
    );
}

#[test]
fn shipped_demo_data_is_the_repository_copy() {
    for name in ["schema.json", "LICENSE.md"] {
        assert_same(
            name,
            &read(&shipped().join(name)),
            &read(&canonical().join(name)),
        );
    }
    for name in ["train.csv", "holdout.csv"] {
        let mut csv = Vec::new();
        GzDecoder::new(read(&shipped().join(format!("{name}.gz"))).as_slice())
            .read_to_end(&mut csv)
            .unwrap_or_else(|e| panic!("decompressing {name}.gz: {e}"));
        assert_same(name, &csv, &read(&canonical().join(name)));
    }
}

#[test]
fn shipped_directory_holds_only_the_demo_files() {
    let mut names: Vec<String> = std::fs::read_dir(shipped())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "LICENSE.md",
            "holdout.csv.gz",
            "schema.json",
            "train.csv.gz"
        ]
    );
}
