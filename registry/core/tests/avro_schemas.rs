//! Avro parsing, identity and references: the whole specification, bad input,
//! and the real-world corpus when `EVGEN_CORPORA` names it.

use evreg_core::{
    NoReferences, ReferencedSchema, SchemaErrorKind, SchemaReference, SchemaType, parse,
    parse_standalone,
};

fn avro(text: &str) -> evreg_core::ParsedSchema {
    parse_standalone(SchemaType::Avro, text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn avro_err(text: &str) -> evreg_core::SchemaError {
    match parse_standalone(SchemaType::Avro, text) {
        Ok(_) => panic!("expected an error for {text}"),
        Err(e) => e,
    }
}

#[test]
fn every_construct_of_the_specification_parses() {
    let all = r#"{
      "type": "record", "name": "Everything", "namespace": "shop.test", "doc": "all of Avro",
      "aliases": ["OldEverything"],
      "fields": [
        {"name": "n", "type": "null"},
        {"name": "b", "type": "boolean", "default": true},
        {"name": "i", "type": "int", "default": 1},
        {"name": "l", "type": "long", "default": 2},
        {"name": "f", "type": "float", "default": 1.5},
        {"name": "d", "type": "double", "default": "NaN"},
        {"name": "by", "type": "bytes", "default": "\u00ff"},
        {"name": "s", "type": "string", "default": "x", "aliases": ["str"], "order": "descending"},
        {"name": "e", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID", "UNKNOWN"], "default": "UNKNOWN"}, "default": "NEW"},
        {"name": "fx", "type": {"type": "fixed", "name": "Md5", "size": 16}},
        {"name": "arr", "type": {"type": "array", "items": "Status"}, "default": []},
        {"name": "m", "type": {"type": "map", "values": ["null", "long"]}, "default": {}},
        {"name": "u", "type": ["null", "string", "Md5"], "default": null},
        {"name": "next", "type": ["null", "Everything"], "default": null},
        {"name": "uuid", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "dec", "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}},
        {"name": "decf", "type": {"type": "fixed", "name": "Dec", "size": 8, "logicalType": "decimal", "precision": 10, "scale": 2}},
        {"name": "date", "type": {"type": "int", "logicalType": "date"}},
        {"name": "tms", "type": {"type": "int", "logicalType": "time-millis"}},
        {"name": "tus", "type": {"type": "long", "logicalType": "time-micros"}},
        {"name": "tsms", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "tsus", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "tsns", "type": {"type": "long", "logicalType": "timestamp-nanos"}},
        {"name": "ltms", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
        {"name": "ltus", "type": {"type": "long", "logicalType": "local-timestamp-micros"}},
        {"name": "dur", "type": {"type": "fixed", "name": "Duration", "size": 12, "logicalType": "duration"}},
        {"name": "other", "type": {"type": "record", "name": "other.ns.Inner", "fields": [{"name": "x", "type": "int"}]}},
        {"name": "custom", "type": "int", "x-owner": "payments"}
      ]
    }"#;
    let parsed = avro(all);
    // Canonical text parses to itself: it is a fixed point.
    let again = avro(parsed.canonical());
    assert_eq!(again.canonical(), parsed.canonical());
    assert_eq!(again.fingerprint(), parsed.fingerprint());
    let normalized = avro(parsed.normalized());
    assert_eq!(normalized.normalized(), parsed.normalized());
    assert!(parsed.canonical().contains(r#""logicalType":"decimal""#));
    assert!(parsed.canonical().contains(r#""x-owner":"payments""#));
    assert!(parsed.canonical().contains(r#""namespace":"other.ns""#));
}

#[test]
fn layout_does_not_change_identity() {
    let a = avro(
        r#"{"type":"record","name":"A","namespace":"n","fields":[{"name":"x","type":"int"}]}"#,
    );
    let b = avro(
        r#"{
            "fields": [ { "type": {"type": "int"}, "name": "x" } ],
            "namespace": "n",
            "name": "A",
            "type": "record"
        }"#,
    );
    assert_eq!(a.canonical(), b.canonical());
    assert_eq!(a.fingerprint(), b.fingerprint());
    // A full name and a name plus namespace are one name (Java prints both alike).
    let c = avro(r#"{"type":"record","name":"n.A","fields":[{"name":"x","type":"int"}]}"#);
    assert_eq!(a.fingerprint(), c.fingerprint());
}

#[test]
fn meaning_changes_identity() {
    let a = avro(r#"{"type":"record","name":"A","fields":[{"name":"x","type":"int"}]}"#);
    for other in [
        r#"{"type":"record","name":"A","fields":[{"name":"x","type":"long"}]}"#,
        r#"{"type":"record","name":"A","fields":[{"name":"x","type":"int","default":0}]}"#,
        r#"{"type":"record","name":"A","doc":"d","fields":[{"name":"x","type":"int"}]}"#,
        r#"{"type":"record","name":"B","fields":[{"name":"x","type":"int"}]}"#,
    ] {
        assert_ne!(a.fingerprint(), avro(other).fingerprint(), "{other}");
    }
}

#[test]
fn normalize_erases_spelling_and_attribute_order() {
    let a = avro(
        r#"{"type":"record","name":"A","namespace":"n","fields":[{"name":"x","type":"int","a":1,"b":2}]}"#,
    );
    let b =
        avro(r#"{"type":"record","name":"n.A","fields":[{"name":"x","type":"int","b":2,"a":1}]}"#);
    assert_ne!(
        a.canonical(),
        b.canonical(),
        "custom property order is kept by the canonical form"
    );
    assert_eq!(a.normalized(), b.normalized());
    assert_eq!(a.normalized_fingerprint(), b.normalized_fingerprint());
    assert!(a.normalized().contains(r#""name":"n.A""#));
}

#[test]
fn bad_input_is_a_typed_error_that_says_where() {
    let cases: &[(&str, SchemaErrorKind, &str)] = &[
        (
            r#"{"type":"record","name":"A","fields":["#,
            SchemaErrorKind::MalformedJson,
            "",
        ),
        (r#""decimal128""#, SchemaErrorKind::Invalid, ""),
        (
            r#"{"type":"record","name":"A","fields":[{"name":"x","type":"Money"}]}"#,
            SchemaErrorKind::Invalid,
            "/fields/0/type",
        ),
        (
            r#"{"type":"record","name":"A","fields":[{"name":"x","type":"int"},{"name":"x","type":"long"}]}"#,
            SchemaErrorKind::Invalid,
            "/fields/1/name",
        ),
        (
            r#"{"type":"record","name":"A","fields":[{"name":"x","type":"int","default":"zero"}]}"#,
            SchemaErrorKind::InvalidDefault,
            "/fields/0/default",
        ),
        (
            r#"{"type":"record","name":"A","fields":[{"name":"x","type":"int","default":3000000000}]}"#,
            SchemaErrorKind::InvalidDefault,
            "/fields/0/default",
        ),
        (
            r#"{"type":"enum","name":"E","symbols":["A","A"]}"#,
            SchemaErrorKind::Invalid,
            "/symbols/1",
        ),
        (
            r#"{"type":"enum","name":"E","symbols":["A"],"default":"B"}"#,
            SchemaErrorKind::InvalidDefault,
            "/default",
        ),
        (
            r#"{"type":"fixed","name":"F","size":-1}"#,
            SchemaErrorKind::Invalid,
            "/size",
        ),
        (
            r#"{"type":"record","name":"1A","fields":[]}"#,
            SchemaErrorKind::Invalid,
            "/name",
        ),
        (r#"["int","int"]"#, SchemaErrorKind::Invalid, "/1"),
        (r#"["null",["int"]]"#, SchemaErrorKind::Invalid, "/1"),
        (r#"{"type":"array"}"#, SchemaErrorKind::Invalid, ""),
        (
            r#"{"type":"record","name":"A","fields":[{"name":"a","type":{"type":"fixed","name":"A","size":1}}]}"#,
            SchemaErrorKind::Invalid,
            "/fields/0/type/name",
        ),
        (r#"42"#, SchemaErrorKind::Invalid, ""),
    ];
    for (text, kind, location) in cases {
        let e = avro_err(text);
        assert_eq!(e.kind, *kind, "{text}: {e}");
        assert_eq!(e.location, *location, "{text}: {e}");
        assert!(!e.message.is_empty());
    }
    let e = avro_err(
        r#"{"type":"record","name":"Order","fields":[{"name":"amount","type":"int","default":"x"}]}"#,
    );
    assert!(
        e.to_string().contains("field 'amount' of record 'Order'"),
        "{e}"
    );
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let deep = format!("{}\"int\"{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(avro_err(&deep).kind, SchemaErrorKind::MalformedJson);
    let mut nested = String::from("\"int\"");
    for _ in 0..10_000 {
        nested = format!(r#"{{"type":"array","items":{nested}}}"#);
    }
    let e = avro_err(&nested);
    assert_eq!(e.kind, SchemaErrorKind::MalformedJson);
    assert!(e.message.contains("128"), "{e}");
}

#[test]
fn a_ten_megabyte_schema_parses() {
    let fields: Vec<String> = (0..120_000)
        .map(|i| format!(r#"{{"name":"field_{i}","type":"long","doc":"the {i}th field"}}"#))
        .collect();
    let text = format!(
        r#"{{"type":"record","name":"Huge","fields":[{}]}}"#,
        fields.join(",")
    );
    assert!(text.len() > 10_000_000 / 2);
    let parsed = avro(&text);
    assert!(parsed.canonical().len() > 1_000_000);
}

/// `(name, subject, version)` of one reference.
type Ref = (&'static str, &'static str, i32);
/// `(subject, version, schema text, references)` of one registered schema.
type Registered = (&'static str, i32, &'static str, &'static [Ref]);

fn lookup_in(
    registry: &'static [Registered],
) -> impl Fn(&SchemaReference) -> Option<ReferencedSchema> {
    move |r: &SchemaReference| {
        registry
            .iter()
            .find(|(s, v, _, _)| *s == r.subject && *v == r.version)
            .map(|(_, _, text, refs)| ReferencedSchema {
                schema_type: SchemaType::Avro,
                schema: (*text).to_owned(),
                references: refs
                    .iter()
                    .map(|(n, s, v)| SchemaReference {
                        name: (*n).into(),
                        subject: (*s).into(),
                        version: *v,
                    })
                    .collect(),
            })
    }
}

#[test]
fn references_resolve_through_the_callers_lookup() {
    static REGISTRY: &[Registered] = &[
        (
            "money",
            1,
            r#"{"type":"record","name":"shop.Money","fields":[{"name":"units","type":"long"},{"name":"currency","type":"string"}]}"#,
            &[],
        ),
        (
            "line",
            1,
            r#"{"type":"record","name":"shop.Line","fields":[{"name":"sku","type":"string"},{"name":"price","type":"shop.Money"}]}"#,
            &[("shop.Money", "money", 1)],
        ),
    ];
    let lookup = lookup_in(REGISTRY);
    let refs = vec![SchemaReference {
        name: "shop.Line".into(),
        subject: "line".into(),
        version: 1,
    }];
    let order = parse(
        SchemaType::Avro,
        r#"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"lines","type":{"type":"array","items":"Line"}},{"name":"total","type":"Money"}]}"#,
        &refs,
        &lookup,
    )
    .unwrap();
    // Referenced types stay references in the canonical text.
    assert!(
        order.canonical().contains(r#""items":"Line""#),
        "{}",
        order.canonical()
    );
    assert!(!order.canonical().contains("units"));
    assert_eq!(order.references(), refs.as_slice());

    let missing = vec![SchemaReference {
        name: "shop.Line".into(),
        subject: "line".into(),
        version: 9,
    }];
    let e = parse(SchemaType::Avro, r#""string""#, &missing, &lookup).unwrap_err();
    assert_eq!(e.kind, SchemaErrorKind::UnresolvedReference);
    assert!(e.message.contains("subject 'line' version 9"), "{e}");

    let e = parse(
        SchemaType::Avro,
        r#"{"type":"record","name":"X","fields":[{"name":"m","type":"shop.Money"}]}"#,
        &[],
        &NoReferences,
    )
    .unwrap_err();
    assert_eq!(e.location, "/fields/0/type");
}

#[test]
fn a_schema_referencing_itself_through_references_is_refused() {
    static CYCLE: &[Registered] = &[
        (
            "a",
            1,
            r#"{"type":"record","name":"A","fields":[{"name":"b","type":"B"}]}"#,
            &[("B", "b", 1)],
        ),
        (
            "b",
            1,
            r#"{"type":"record","name":"B","fields":[{"name":"a","type":"A"}]}"#,
            &[("A", "a", 1)],
        ),
    ];
    let refs = vec![SchemaReference {
        name: "A".into(),
        subject: "a".into(),
        version: 1,
    }];
    let e = parse(SchemaType::Avro, r#""string""#, &refs, &lookup_in(CYCLE)).unwrap_err();
    assert_eq!(e.kind, SchemaErrorKind::ReferenceCycle, "{e}");
}

#[test]
fn protobuf_and_unknown_types_are_refused_by_name() {
    assert_eq!(
        "PROTOBUF".parse::<SchemaType>().unwrap(),
        SchemaType::Protobuf
    );
    assert_eq!(
        parse_standalone(SchemaType::Protobuf, "syntax = \"proto3\";")
            .unwrap_err()
            .kind,
        SchemaErrorKind::UnsupportedType
    );
    assert_eq!(
        "XML".parse::<SchemaType>().unwrap_err().kind,
        SchemaErrorKind::UnsupportedType
    );
    assert_eq!("avro".parse::<SchemaType>().unwrap(), SchemaType::Avro);
}

/// Every schema of Apache Avro's own test corpus parses, and its canonical and
/// normalized texts are fixed points.
#[test]
fn avro_corpus() {
    let Ok(dir) = std::env::var("EVGEN_CORPORA") else {
        eprintln!("SKIPPED avro_corpus: EVGEN_CORPORA not set (CI sets it to ../shared/corpora)");
        return;
    };
    let dir = std::path::Path::new(&dir).join("avro");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("MANIFEST.json")).unwrap()).unwrap();
    let mut parsed = 0;
    for entry in manifest["schemas"].as_array().unwrap() {
        let file = entry["file"].as_str().unwrap();
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        match parse_standalone(SchemaType::Avro, &text) {
            Ok(schema) => {
                let again = avro(schema.canonical());
                assert_eq!(
                    again.canonical(),
                    schema.canonical(),
                    "{file}: canonical form is not a fixed point"
                );
                assert_eq!(
                    avro(schema.normalized()).normalized(),
                    schema.normalized(),
                    "{file}"
                );
                parsed += 1;
            }
            // Files that use types defined elsewhere must fail by naming the type.
            Err(e) if entry.get("external_types").is_some() => {
                let missing = entry["external_types"][0].as_str().unwrap();
                assert!(e.message.contains(missing), "{file}: {e}");
            }
            Err(e) => panic!("{file}: {e}"),
        }
    }
    println!(
        "avro corpus: {parsed} of {} schemas parsed standalone",
        manifest["schemas"].as_array().unwrap().len()
    );
    assert!(parsed > 0);
}
