//! Diagnostics: every failure names the file and the JSON pointer, and nothing panics.

use std::fs;
use std::path::PathBuf;

use evgen::{Config, Error};

/// A fresh folder under the target dir with the given files.
fn folder(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = fs::remove_dir_all(&dir);
    for (path, text) in files {
        let p = dir.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    dir
}

fn generate(dir: &PathBuf) -> Result<String, Error> {
    Config::new().catalog(dir).generate()
}

const MONEY: &str = r#"{"type":"record","name":"Money","namespace":"shop.common",
    "fields":[{"name":"cents","type":"long"}]}"#;

#[test]
fn cross_file_references_resolve_in_dependency_order() {
    // `a.avsc` sorts before the file defining what it uses.
    let dir = folder(
        "cross_file",
        &[
            (
                "a.avsc",
                r#"{"type":"record","name":"Order","namespace":"shop.order",
                "fields":[{"name":"total","type":"shop.common.Money"}]}"#,
            ),
            ("z/money.avsc", MONEY),
        ],
    );
    let rust = generate(&dir).unwrap();
    assert!(rust.contains("pub total: super::common::Money"), "{rust}");
}

#[test]
fn two_different_types_with_one_name_fail_loudly() {
    let dir = folder(
        "conflict",
        &[
            ("a.avsc", MONEY),
            (
                "b.avsc",
                r#"{"type":"record","name":"Money","namespace":"shop.common",
                "fields":[{"name":"cents","type":"int"}]}"#,
            ),
        ],
    );
    let err = generate(&dir).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Conflict { .. }), "{msg}");
    assert!(
        msg.contains("shop.common.Money") && msg.contains("a.avsc") && msg.contains("b.avsc"),
        "{msg}"
    );
}

#[test]
fn the_same_type_in_two_files_is_one_type() {
    let dir = folder("duplicate", &[("a.avsc", MONEY), ("b.avsc", MONEY)]);
    let rust = generate(&dir).unwrap();
    assert_eq!(rust.matches("pub struct Money").count(), 1);
}

#[test]
fn files_using_each_other_are_a_cycle() {
    let dir = folder(
        "cycle",
        &[
            (
                "a.avsc",
                r#"{"type":"record","name":"A","fields":[{"name":"b","type":["null","B"]}]}"#,
            ),
            (
                "b.avsc",
                r#"{"type":"record","name":"B","fields":[{"name":"a","type":["null","A"]}]}"#,
            ),
        ],
    );
    let msg = generate(&dir).unwrap_err().to_string();
    assert!(msg.contains("cycle"), "{msg}");
}

#[test]
fn errors_name_file_and_pointer() {
    let dir = folder(
        "unknown_type",
        &[(
            "bad.avsc",
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},
            {"name":"b","type":{"type":"array","items":"Nope"}}]}"#,
        )],
    );
    let msg = generate(&dir).unwrap_err().to_string();
    assert!(msg.contains("bad.avsc at /fields/1/type/items"), "{msg}");
    assert!(msg.contains("Nope"), "{msg}");

    let dir = folder("malformed", &[("m.avsc", "{\"type\": ")]);
    let msg = generate(&dir).unwrap_err().to_string();
    assert!(msg.contains("m.avsc") && msg.contains("line 1"), "{msg}");

    let dir = folder(
        "bad_default",
        &[(
            "d.avsc",
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}"#,
        )],
    );
    let msg = generate(&dir).unwrap_err().to_string();
    assert!(msg.contains("d.avsc at /fields/0/default"), "{msg}");
}

#[test]
fn unsupported_constructs_are_diagnosed_or_fall_back_to_json() {
    let schema = r#"{"type":"record","name":"R","fields":[
        {"name":"d","type":{"type":"fixed","name":"D","size":8,"logicalType":"duration"}}]}"#;
    let dir = folder("unsupported", &[("u.avsc", schema)]);
    let err = generate(&dir).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    assert!(
        err.to_string().contains("u.avsc at /fields/0/type"),
        "{err}"
    );

    let rust = Config::new()
        .catalog(&dir)
        .json_fallback(true)
        .generate()
        .unwrap();
    assert!(
        rust.contains("pub struct D(pub ::serde_json::Value)"),
        "{rust}"
    );
}

#[test]
fn catalogue_mistakes_name_the_key() {
    let dir = folder(
        "catalog",
        &[
            ("money.avsc", MONEY),
            (
                "catalog.toml",
                "[topics.t]\n[events.\"x.y\"]\nschema = \"money.avsc\"\nsource = \"s\"\ntopic = \"t\"\nkey = \"nope\"\n",
            ),
        ],
    );
    let msg = generate(&dir).unwrap_err().to_string();
    assert!(msg.contains("catalog.toml at /events/x.y/key"), "{msg}");
    assert!(msg.contains("no field 'nope'"), "{msg}");

    let dir = folder(
        "catalog_topic",
        &[
            ("money.avsc", MONEY),
            (
                "catalog.toml",
                "[events.\"x.y\"]\nschema = \"money.avsc\"\nsource = \"s\"\ntopic = \"missing\"\n",
            ),
        ],
    );
    let msg = generate(&dir).unwrap_err().to_string();
    assert!(
        msg.contains("/events/x.y/topic") && msg.contains("missing"),
        "{msg}"
    );
}

#[test]
fn compile_writes_only_when_changed() {
    let dir = folder("compile", &[("money.avsc", MONEY)]);
    let out = dir.join("out");
    let path = Config::new().catalog(&dir).out_dir(&out).compile().unwrap();
    let first = fs::metadata(&path).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    Config::new().catalog(&dir).out_dir(&out).compile().unwrap();
    assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), first);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("// @generated by evgen "), "{text}");
}
