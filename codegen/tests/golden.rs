//! Golden snapshots: each `fixtures/*.avsc` generates `fixtures/*.rs`, byte for byte.
//! The snapshots are also compiled and round-tripped by the evreg-tests crate.
//!
//! After an intended change, re-bless with `EVGEN_BLESS=1 cargo test -p evgen --test golden`
//! and review the diff like hand-written code.

use std::fs;
use std::path::{Path, PathBuf};

fn fixtures() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir("tests/fixtures")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "avsc"))
        .collect();
    out.sort();
    out
}

fn generate(path: &Path) -> String {
    evgen::Config::new()
        .input(path)
        .generate()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn snapshots_match() {
    let bless = std::env::var_os("EVGEN_BLESS").is_some();
    let mut stale = Vec::new();
    for avsc in fixtures() {
        let text = generate(&avsc);
        let snapshot = avsc.with_extension("rs");
        let current = fs::read_to_string(&snapshot).unwrap_or_default();
        if current == text {
            continue;
        }
        if bless {
            fs::write(&snapshot, &text).unwrap();
        } else {
            stale.push(snapshot.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale snapshots (re-bless with `EVGEN_BLESS=1 cargo test -p evgen --test golden`): {stale:?}"
    );
}

#[test]
fn output_is_deterministic() {
    for avsc in fixtures() {
        assert_eq!(generate(&avsc), generate(&avsc), "{}", avsc.display());
    }
    let catalog = || {
        evgen::Config::new()
            .catalog("../schemas")
            .generate()
            .unwrap()
    };
    assert_eq!(catalog(), catalog());
}
