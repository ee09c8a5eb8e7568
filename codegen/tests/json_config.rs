//! JSON Schema files through the build.rs door ([`evgen::Config`]): folders and
//! files, `$ref`s between files (inputs or not), roots named from `title`, the file
//! name or [`evgen::Config::root_name`].
//!
//! `fixtures/json_folder` is generated into the golden snapshot
//! `fixtures/json_folder.rs` (re-bless with
//! `EVGEN_BLESS=1 cargo test -p evgen --test json_config`); the evgen CLI test
//! generates the same folder and must produce the same bytes, and
//! `tests/json-ladder/tests/fixtures.rs` compiles the snapshot and round-trips
//! documents through it.

use std::fs;
use std::path::PathBuf;

use evgen::Config;

const FOLDER: &str = "tests/fixtures/json_folder";
const SNAPSHOT: &str = "tests/fixtures/json_folder.rs";

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_folder_of_json_schemas_matches_its_snapshot() {
    let text = Config::new().input(FOLDER).generate().unwrap();
    if std::env::var_os("EVGEN_BLESS").is_some() {
        fs::write(SNAPSHOT, &text).unwrap();
    }
    assert_eq!(
        text,
        fs::read_to_string(SNAPSHOT).unwrap_or_default(),
        "stale snapshot: re-bless with `EVGEN_BLESS=1 cargo test -p evgen --test json_config`"
    );
    assert_eq!(text, Config::new().input(FOLDER).generate().unwrap());
}

#[test]
fn load_names_every_root_and_reads_referenced_files() {
    let loaded = Config::new().catalog(FOLDER).load().unwrap();
    let roots: Vec<(String, String)> = loaded
        .roots
        .iter()
        .map(|(label, path)| (label.clone(), path.as_ref().unwrap().to_string()))
        .collect();
    assert_eq!(
        roots,
        [
            (format!("{FOLDER}/common/money.json"), "Money".to_owned()),
            // The title, not the file name (`order.schema.json`).
            (format!("{FOLDER}/order.schema.json"), "Order".to_owned()),
        ]
    );
    // The file outside the folder was read (for rerun-if-changed) and got a module.
    assert!(
        loaded
            .read
            .iter()
            .any(|p| p.ends_with("json_shared/customer.json")),
        "{:?}",
        loaded.read
    );
    let customer = loaded
        .space
        .types
        .keys()
        .find(|p| p.name == "Customer")
        .unwrap();
    assert_eq!(customer.module, ["customer"]);
}

#[test]
fn a_single_file_is_named_by_title_file_name_or_root_name() {
    let dir = tmp("json-root-names");
    let titled = dir.join("a.schema.json");
    fs::write(
        &titled,
        r#"{"title": "Shipment", "type": "object", "properties": {"id": {"type": "string"}}}"#,
    )
    .unwrap();
    let untitled = dir.join("parcel-label.schema.json");
    fs::write(
        &untitled,
        r#"{"type": "object", "properties": {"id": {"type": "string"}}}"#,
    )
    .unwrap();

    let rust = Config::new().input(&titled).generate().unwrap();
    assert!(rust.contains("pub struct Shipment {"), "{rust}");
    let rust = Config::new().schema(&untitled).generate().unwrap();
    assert!(rust.contains("pub struct ParcelLabel {"), "{rust}");
    let rust = Config::new()
        .input(&titled)
        .root_name("Consignment")
        .generate()
        .unwrap();
    assert!(rust.contains("pub struct Consignment {"), "{rust}");
    assert!(!rust.contains("struct Shipment"), "{rust}");

    // A root name for two schemas is a mistake, said as such.
    let err = Config::new()
        .input(&titled)
        .input(&untitled)
        .root_name("Consignment")
        .generate()
        .unwrap_err()
        .to_string();
    assert!(err.contains("2 schema files"), "{err}");
}

#[test]
fn json_and_avro_share_one_file_and_clash_loudly() {
    let dir = tmp("json-and-avro");
    fs::write(
        dir.join("ping.avsc"),
        r#"{"type":"record","name":"Ping","fields":[{"name":"at","type":"long"}]}"#,
    )
    .unwrap();
    fs::write(
        dir.join("pong.json"),
        r#"{"title":"Pong","type":"object","properties":{"at":{"type":"integer"}}}"#,
    )
    .unwrap();
    let rust = Config::new().input(&dir).generate().unwrap();
    assert!(rust.contains("pub struct Ping {"), "{rust}");
    assert!(rust.contains("pub struct Pong {"), "{rust}");

    // Two different types, one Rust name: an error naming both files.
    fs::write(
        dir.join("pong.json"),
        r#"{"title":"Ping","type":"object","properties":{"at":{"type":"integer"}}}"#,
    )
    .unwrap();
    let err = Config::new()
        .input(&dir)
        .generate()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ping.avsc") && err.contains("pong.json"),
        "{err}"
    );
}

#[test]
fn in_memory_json_schemas_refer_to_each_other_by_label() {
    let rust = Config::new()
        .source(
            "money.json",
            r#"{"title":"Money","type":"object","properties":{"cents":{"type":"integer"}}}"#,
        )
        .source(
            "invoice.json",
            r#"{"title":"Invoice","type":"object","properties":{"due":{"$ref":"money.json"}}}"#,
        )
        .generate()
        .unwrap();
    assert!(
        rust.contains("pub due: ::std::option::Option<Money>"),
        "{rust}"
    );
}

#[test]
fn a_reference_to_a_missing_file_names_the_file_and_pointer() {
    let dir = tmp("json-missing-ref");
    let file = dir.join("a.json");
    fs::write(
        &file,
        r#"{"type":"object","properties":{"b":{"$ref":"nowhere.json#/$defs/B"}}}"#,
    )
    .unwrap();
    let err = Config::new()
        .input(&file)
        .generate()
        .unwrap_err()
        .to_string();
    assert!(err.contains("a.json"), "{err}");
    assert!(err.contains("/properties/b"), "{err}");
    assert!(err.contains("nowhere.json"), "{err}");
}

#[test]
fn compile_reruns_on_referenced_files_and_writes_once() {
    let out = tmp("json-compile");
    let path = Config::new().input(FOLDER).out_dir(&out).compile().unwrap();
    let first = fs::metadata(&path).unwrap().modified().unwrap();
    let again = Config::new().input(FOLDER).out_dir(&out).compile().unwrap();
    assert_eq!(path, again);
    assert_eq!(first, fs::metadata(&path).unwrap().modified().unwrap());
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        fs::read_to_string(SNAPSHOT).unwrap()
    );
}
