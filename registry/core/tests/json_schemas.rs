//! JSON Schema through the crate's public entry points: parse, identity, check.

use evreg_core::{
    CompatibilityLevel, ReferencedSchema, SchemaErrorKind, SchemaReference, SchemaType, check,
    parse, parse_standalone,
};

#[test]
fn layout_does_not_change_identity_but_key_order_does_until_normalized() {
    let a = parse_standalone(
        SchemaType::Json,
        r#"{"type": "object", "properties": {"a": {}, "b": {}}}"#,
    )
    .unwrap();
    let b = parse_standalone(
        SchemaType::Json,
        "{\n  \"type\":\"object\",\"properties\":{\"a\":{},\"b\":{}}\n}",
    )
    .unwrap();
    let c = parse_standalone(
        SchemaType::Json,
        r#"{"properties": {"b": {}, "a": {}}, "type": "object"}"#,
    )
    .unwrap();
    assert_eq!(
        a.canonical(),
        r#"{"type":"object","properties":{"a":{},"b":{}}}"#
    );
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert_ne!(a.fingerprint(), c.fingerprint());
    assert_eq!(a.normalized_fingerprint(), c.normalized_fingerprint());
}

#[test]
fn errors_are_typed_with_pointers() {
    let e = parse_standalone(SchemaType::Json, r#"{"type": 5}"#).unwrap_err();
    assert_eq!(
        (e.kind, e.location.as_str()),
        (SchemaErrorKind::Invalid, "/type")
    );
    let e =
        parse_standalone(SchemaType::Json, r##"{"items": {"$ref": "#/$defs/x"}}"##).unwrap_err();
    assert_eq!(
        (e.kind, e.location.as_str()),
        (SchemaErrorKind::UnresolvedReference, "/items/$ref")
    );
    let e = parse_standalone(SchemaType::Json, "{").unwrap_err();
    assert_eq!(e.kind, SchemaErrorKind::MalformedJson);
}

#[test]
fn references_resolve_through_the_lookup() {
    let lookup = |r: &SchemaReference| {
        (r.subject == "address" && r.version == 1).then(|| ReferencedSchema {
            schema_type: SchemaType::Json,
            schema: r#"{"type":"object","properties":{"street":{"type":"string"}}}"#.to_owned(),
            references: Vec::new(),
        })
    };
    let reference = SchemaReference {
        name: "address.json".into(),
        subject: "address".into(),
        version: 1,
    };
    let text = r#"{"type":"object","properties":{"home":{"$ref":"address.json"}}}"#;
    assert!(
        parse(
            SchemaType::Json,
            text,
            std::slice::from_ref(&reference),
            &lookup
        )
        .is_ok()
    );
    let e = parse_standalone(SchemaType::Json, text).unwrap_err();
    assert_eq!(e.kind, SchemaErrorKind::UnresolvedReference);
}

#[test]
fn backward_check_reports_an_added_open_property() {
    let v1 = parse_standalone(
        SchemaType::Json,
        r#"{"type":"object","properties":{"id":{"type":"string"}}}"#,
    )
    .unwrap();
    let v2 = parse_standalone(
        SchemaType::Json,
        r#"{"type":"object","properties":{"id":{"type":"string"},"coupon":{"type":"string"}}}"#,
    )
    .unwrap();
    let problems = check(CompatibilityLevel::Backward, &v2, &[&v1]);
    assert_eq!(problems.len(), 1);
    assert_eq!(
        problems[0].kind.to_string(),
        "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
    );
    assert_eq!(problems[0].location, "#/properties/coupon");
    assert!(problems[0].message.contains("'coupon'"));
    // Closing the model makes the same addition safe.
    let closed = |extra: &str| {
        format!(
            r#"{{"type":"object","additionalProperties":false,"properties":{{"id":{{"type":"string"}}{extra}}}}}"#
        )
    };
    let c1 = parse_standalone(SchemaType::Json, &closed("")).unwrap();
    let c2 = parse_standalone(SchemaType::Json, &closed(r#","coupon":{"type":"string"}"#)).unwrap();
    assert!(check(CompatibilityLevel::Backward, &c2, &[&c1]).is_empty());
    // Forward: the old closed schema cannot read data carrying the new property.
    assert!(!check(CompatibilityLevel::Forward, &c2, &[&c1]).is_empty());
}
