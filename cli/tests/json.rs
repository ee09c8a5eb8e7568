//! `evgen generate` over JSON Schema files: a folder with `$ref`s between files
//! (and to a file outside it) gives exactly the golden snapshot evgen's own tests
//! keep, `codegen/tests/fixtures/json_folder.rs`, which the JSON ladder's fixture
//! test compiles and round-trips documents through.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The codegen crate, so labels (and the snapshot's header) match its tests'.
fn codegen_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../codegen")
}

fn evgen_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_evgen"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("evgen runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_json_schema_folder_generates_the_golden_snapshot() {
    let out_dir = tmp("json-folder");
    let out = out_dir.join("types.rs");
    let run = evgen_in(
        &codegen_dir(),
        &[
            "generate",
            "tests/fixtures/json_folder",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let generated = std::fs::read_to_string(&out).unwrap();
    let golden =
        std::fs::read_to_string(codegen_dir().join("tests/fixtures/json_folder.rs")).unwrap();
    assert_eq!(
        generated, golden,
        "re-bless with `EVGEN_BLESS=1 cargo test -p evgen --test json_config`"
    );
    // --check agrees that the output is current.
    let check = evgen_in(
        &codegen_dir(),
        &[
            "generate",
            "tests/fixtures/json_folder",
            "--out",
            out.to_str().unwrap(),
            "--check",
        ],
    );
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
}

#[test]
fn one_json_schema_file_with_a_root_name_and_its_warnings() {
    let dir = tmp("json-file");
    let file = dir.join("reading.schema.json");
    std::fs::write(
        &file,
        r#"{"type":"object","properties":{"celsius":{"type":"number"}},
            "required":["celsius"],"not":{"required":["kelvin"]}}"#,
    )
    .unwrap();
    let run = evgen_in(&dir, &["generate", "reading.schema.json"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let rust = text(&run.stdout);
    assert!(rust.contains("pub struct Reading {"), "{rust}");
    // The unenforced `not` is reported, with the file and pointer.
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("warning: reading.schema.json at /not"),
        "{stderr}"
    );

    let run = evgen_in(
        &dir,
        &["generate", "reading.schema.json", "--root-name", "Sample"],
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert!(text(&run.stdout).contains("pub struct Sample {"));
}

#[test]
fn an_unresolvable_json_reference_is_an_error_with_file_and_pointer() {
    let dir = tmp("json-bad-ref");
    std::fs::write(
        dir.join("a.json"),
        r##"{"type":"object","properties":{"b":{"$ref":"#/$defs/missing"}}}"##,
    )
    .unwrap();
    let run = evgen_in(&dir, &["generate", "a.json"]);
    assert_eq!(run.status.code(), Some(2));
    let stderr = text(&run.stderr);
    assert!(stderr.contains("a.json"), "{stderr}");
    assert!(stderr.contains("#/$defs/missing"), "{stderr}");
}
