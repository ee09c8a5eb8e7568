//! Golden snapshots of the JSON Schema front end: each `fixtures/json/*.json`
//! generates `fixtures/json/*.rs`, byte for byte (with the `serde_json::Value`
//! fallback on). The snapshots are compiled and exercised with sample documents
//! by the evgen-json-ladder crate (`tests/fixtures.rs`).
//!
//! After an intended change, re-bless with
//! `EVGEN_BLESS=1 cargo test -p evgen --test json_golden` and review the diff like
//! hand-written code.

use std::fs;
use std::path::{Path, PathBuf};

use evgen::json::{JsonFile, JsonSettings};

fn fixtures() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir("tests/fixtures/json")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    out.sort();
    out
}

fn generate(path: &Path) -> String {
    let label = format!(
        "fixtures/json/{}",
        path.file_name().unwrap().to_string_lossy()
    );
    let file = JsonFile {
        label: label.clone(),
        stem: path.file_stem().unwrap().to_string_lossy().into_owned(),
        names: Vec::new(),
        text: fs::read_to_string(path).unwrap(),
        root: true,
        root_name: None,
    };
    let settings = JsonSettings {
        json_fallback: true,
        ..JsonSettings::default()
    };
    let out = evgen::json::lower(&[file], &settings).unwrap_or_else(|e| panic!("{label}: {e}"));
    evgen::emit::to_file(&out.space, &label).unwrap_or_else(|e| panic!("{label}: {e}"))
}

#[test]
fn snapshots_match() {
    let bless = std::env::var_os("EVGEN_BLESS").is_some();
    let mut stale = Vec::new();
    for json in fixtures() {
        let text = generate(&json);
        let snapshot = json.with_extension("rs");
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
        "stale snapshots (re-bless with `EVGEN_BLESS=1 cargo test -p evgen --test json_golden`): {stale:?}"
    );
}

#[test]
fn output_is_deterministic() {
    for json in fixtures() {
        assert_eq!(generate(&json), generate(&json), "{}", json.display());
    }
}
