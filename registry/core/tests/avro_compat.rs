//! Each Avro resolution rule, and how levels combine pairwise checks.

use evreg_core::avro::IncompatibilityType as T;
use evreg_core::{
    CompatibilityLevel as L, Direction, IncompatibilityKind, ParsedSchema, SchemaType, check,
    parse_standalone,
};

fn avro(text: &str) -> ParsedSchema {
    parse_standalone(SchemaType::Avro, text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Kinds found when `reader` reads data of `writer`.
fn kinds(reader: &str, writer: &str) -> Vec<T> {
    evreg_core::check_pair(&avro(reader), &avro(writer), Default::default())
        .into_iter()
        .map(|f| match f.kind {
            IncompatibilityKind::Avro(t) => t,
            other => panic!("not an Avro finding: {other}"),
        })
        .collect()
}

fn rec(fields: &str) -> String {
    format!(r#"{{"type":"record","name":"Order","namespace":"shop","fields":[{fields}]}}"#)
}

#[test]
fn promotions_follow_the_specification() {
    for (reader, writer) in [
        ("long", "int"),
        ("float", "int"),
        ("float", "long"),
        ("double", "int"),
        ("double", "long"),
        ("double", "float"),
        ("string", "bytes"),
        ("bytes", "string"),
    ] {
        assert!(
            kinds(&format!("\"{reader}\""), &format!("\"{writer}\"")).is_empty(),
            "{reader} reads {writer}"
        );
    }
    for (reader, writer) in [
        ("int", "long"),
        ("long", "float"),
        ("float", "double"),
        ("int", "string"),
        ("boolean", "int"),
        ("null", "int"),
    ] {
        assert_eq!(
            kinds(&format!("\"{reader}\""), &format!("\"{writer}\"")),
            vec![T::TypeMismatch],
            "{reader} must not read {writer}"
        );
    }
}

#[test]
fn logical_types_resolve_as_their_underlying_types() {
    let ts = r#"{"type":"long","logicalType":"timestamp-millis"}"#;
    assert!(kinds(ts, "\"long\"").is_empty());
    assert!(kinds(ts, "\"int\"").is_empty());
}

#[test]
fn fields_need_defaults_when_the_writer_lacks_them() {
    let old = rec(r#"{"name":"id","type":"string"}"#);
    let with_default = rec(
        r#"{"name":"id","type":"string"},{"name":"coupon","type":["null","string"],"default":null}"#,
    );
    let without = rec(r#"{"name":"id","type":"string"},{"name":"coupon","type":"string"}"#);
    assert!(kinds(&with_default, &old).is_empty());
    assert_eq!(
        kinds(&without, &old),
        vec![T::ReaderFieldMissingDefaultValue]
    );
    // Removing a field is fine for the reader: the writer's extra data is skipped.
    assert!(kinds(&old, &without).is_empty());
    let findings = evreg_core::check_pair(&avro(&without), &avro(&old), Default::default());
    assert_eq!(
        findings[0].message,
        "field 'coupon': reader has this field but the writer does not, and it has no default"
    );
    assert_eq!(findings[0].location, "/fields/1");
    assert_eq!(findings[0].reader_location, "/fields/1");
}

#[test]
fn field_aliases_match_renamed_fields() {
    let old = rec(r#"{"name":"total","type":"long"}"#);
    let renamed = rec(r#"{"name":"amount","type":"long","aliases":["total"]}"#);
    assert!(kinds(&renamed, &old).is_empty());
    let no_alias = rec(r#"{"name":"amount","type":"long"}"#);
    assert_eq!(
        kinds(&no_alias, &old),
        vec![T::ReaderFieldMissingDefaultValue]
    );
}

#[test]
fn type_changes_name_the_field_and_both_types() {
    let old = rec(r#"{"name":"amount","type":"long"}"#);
    let new = rec(r#"{"name":"amount","type":"string"}"#);
    let f = &evreg_core::check_pair(&avro(&new), &avro(&old), Default::default())[0];
    assert_eq!(
        f.message,
        "field 'amount': reader type string cannot read writer type long"
    );
    assert_eq!(f.location, "/fields/0/type");
    assert_eq!(f.writer_location, "/fields/0/type");
}

#[test]
fn enums_need_every_writer_symbol_or_a_default() {
    let e = |symbols: &str, default: &str| {
        format!(r#"{{"type":"enum","name":"Status","symbols":[{symbols}]{default}}}"#)
    };
    let old = e(r#""NEW","PAID","SHIPPED""#, "");
    let fewer = e(r#""NEW","PAID""#, "");
    assert_eq!(kinds(&fewer, &old), vec![T::MissingEnumSymbols]);
    let f = &evreg_core::check_pair(&avro(&fewer), &avro(&old), Default::default())[0];
    assert!(f.message.contains("[SHIPPED]"), "{}", f.message);
    assert!(
        kinds(
            &e(r#""NEW","PAID","UNKNOWN""#, r#","default":"UNKNOWN""#),
            &old
        )
        .is_empty()
    );
    assert!(kinds(&old, &fewer).is_empty());
}

#[test]
fn named_types_match_by_name_or_alias() {
    let f = |name: &str, size: u32, aliases: &str| {
        format!(r#"{{"type":"fixed","name":"{name}","size":{size}{aliases}}}"#)
    };
    assert_eq!(kinds(&f("A", 4, ""), &f("B", 4, "")), vec![T::NameMismatch]);
    assert!(kinds(&f("A", 4, r#","aliases":["B"]"#), &f("B", 4, "")).is_empty());
    assert_eq!(
        kinds(&f("A", 8, ""), &f("A", 4, "")),
        vec![T::FixedSizeMismatch]
    );
    // Java compares unqualified names: a namespace change alone is compatible.
    assert!(kinds(&f("x.A", 4, ""), &f("y.A", 4, "")).is_empty());
}

#[test]
fn unions_resolve_branch_by_branch() {
    assert!(kinds(r#"["null","string"]"#, r#""string""#).is_empty());
    assert_eq!(
        kinds(r#"["null","int"]"#, r#""string""#),
        vec![T::MissingUnionBranch]
    );
    assert!(kinds(r#"["null","string","long"]"#, r#"["null","string"]"#).is_empty());
    assert_eq!(
        kinds(r#"["null","string"]"#, r#"["null","string","long"]"#),
        vec![T::MissingUnionBranch]
    );
    // A writer union read by a plain type: every branch must resolve.
    assert_eq!(
        kinds(r#""long""#, r#"["null","long"]"#),
        vec![T::TypeMismatch]
    );
    assert!(kinds(r#""long""#, r#"["int","long"]"#).is_empty());
}

#[test]
fn containers_check_their_elements() {
    assert!(
        kinds(
            r#"{"type":"array","items":"long"}"#,
            r#"{"type":"array","items":"int"}"#
        )
        .is_empty()
    );
    assert_eq!(
        kinds(
            r#"{"type":"map","values":"int"}"#,
            r#"{"type":"map","values":"long"}"#
        ),
        vec![T::TypeMismatch]
    );
    assert_eq!(
        kinds(
            r#"{"type":"map","values":"int"}"#,
            r#"{"type":"array","items":"int"}"#
        ),
        vec![T::TypeMismatch]
    );
}

#[test]
fn recursive_types_terminate() {
    let list = |extra: &str| {
        format!(
            r#"{{"type":"record","name":"Node","fields":[{{"name":"value","type":"long"}},{{"name":"next","type":["null","Node"],"default":null}}{extra}]}}"#
        )
    };
    assert!(kinds(&list(""), &list("")).is_empty());
    assert!(
        kinds(
            &list(r#",{"name":"label","type":"string","default":""}"#),
            &list("")
        )
        .is_empty()
    );
    assert_eq!(
        kinds(&list(r#",{"name":"label","type":"string"}"#), &list("")),
        vec![T::ReaderFieldMissingDefaultValue]
    );
}

#[test]
fn levels_choose_direction_and_history() {
    let v1 = avro(&rec(r#"{"name":"a","type":"int"}"#));
    // v2 drops a's default-less sibling... v2 adds b with a default: backward and forward fine.
    let v2 = avro(&rec(
        r#"{"name":"a","type":"int"},{"name":"b","type":"int","default":0}"#,
    ));
    // v3 removes the default of b: still backward with v2 (b exists there), but
    // not with v1 (b is missing and has no default). The classic transitive drift.
    let v3 = avro(&rec(
        r#"{"name":"a","type":"int"},{"name":"b","type":"int"}"#,
    ));
    assert!(check(L::Backward, &v3, &[&v1, &v2]).is_empty());
    let transitive = check(L::BackwardTransitive, &v3, &[&v1, &v2]);
    assert_eq!(transitive.len(), 1);
    assert_eq!(transitive[0].previous, 0);
    assert_eq!(transitive[0].direction, Direction::Backward);
    assert!(check(L::None, &v3, &[&v1, &v2]).is_empty());

    // Adding a field without a default: backward-incompatible, forward-compatible.
    let added = avro(&rec(
        r#"{"name":"a","type":"int"},{"name":"c","type":"string"}"#,
    ));
    assert_eq!(check(L::Backward, &added, &[&v1]).len(), 1);
    assert!(check(L::Forward, &added, &[&v1]).is_empty());
    let full = check(L::Full, &added, &[&v1]);
    assert_eq!(full.len(), 1);
    assert_eq!(full[0].direction, Direction::Backward);

    // Removing a field without a default: forward-incompatible only.
    let removed = avro(&rec(r#"{"name":"z","type":"int","default":1}"#));
    let fwd = check(L::ForwardTransitive, &removed, &[&v1, &v1]);
    assert_eq!(fwd.len(), 2);
    assert!(fwd.iter().all(|i| i.direction == Direction::Forward));
    assert_eq!(check(L::FullTransitive, &removed, &[&v1]).len(), 1);
    assert!(check(L::Backward, &removed, &[]).is_empty());
}

#[test]
fn level_names_round_trip() {
    for level in L::ALL {
        assert_eq!(level.as_str().parse::<L>().unwrap(), level);
    }
    assert_eq!("full_transitive".parse::<L>().unwrap(), L::FullTransitive);
    assert!(
        "SIDEWAYS"
            .parse::<L>()
            .unwrap_err()
            .to_string()
            .contains("SIDEWAYS")
    );
}
