//! Property tests: generated JSON Schemas never make the parser or the checker
//! panic, a schema is always compatible with itself, and the check terminates on
//! recursive references.

use evreg_core::json::JsonSchema;
use evreg_core::json::compat::check;
use evreg_core::{JsonPolicy, SchemaType, parse_standalone};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// JSON Schema-shaped values: mostly plausible, sometimes nonsense, with local
/// references that may be recursive.
fn schema_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        prop::sample::select(vec![
            "string", "integer", "number", "boolean", "null", "object", "array"
        ])
        .prop_map(|t| json!({ "type": t })),
        Just(json!(true)),
        Just(json!(false)),
        Just(json!({})),
        Just(json!({"$ref": "#"})),
        Just(json!({"$ref": "#/definitions/d"})),
        Just(json!({"enum": ["a", "b", 1]})),
        Just(json!({"const": "a"})),
        (0u32..5).prop_map(|n| json!({"type": "string", "maxLength": n})),
        (-3i32..3).prop_map(|n| json!({"type": "number", "minimum": n, "multipleOf": 0.5})),
        Just(json!({"type": ["string", "null"]})),
    ];
    leaf.prop_recursive(4, 48, 4, |inner| {
        prop_oneof![
            (
                prop::collection::vec(
                    (prop::sample::select(vec!["a", "b", "c"]), inner.clone()),
                    0..4
                ),
                prop::option::of(prop_oneof![
                    Just(json!(false)),
                    Just(json!(true)),
                    inner.clone()
                ]),
                prop::collection::vec(prop::sample::select(vec!["a", "b", "c"]), 0..3),
            )
                .prop_map(|(props, additional, required)| {
                    let mut o = Map::new();
                    o.insert("type".into(), json!("object"));
                    o.insert(
                        "properties".into(),
                        Value::Object(props.into_iter().map(|(k, v)| (k.into(), v)).collect()),
                    );
                    if let Some(a) = additional {
                        o.insert("additionalProperties".into(), a);
                    }
                    let mut required: Vec<&str> = required;
                    required.sort_unstable();
                    required.dedup();
                    o.insert("required".into(), json!(required));
                    Value::Object(o)
                }),
            inner
                .clone()
                .prop_map(|i| json!({"type": "array", "items": i})),
            (prop::collection::vec(inner.clone(), 1..3), any::<bool>())
                .prop_map(|(items, closed)| json!({"items": items, "additionalItems": !closed})),
            (
                prop::sample::select(vec!["oneOf", "anyOf", "allOf"]),
                prop::collection::vec(inner.clone(), 1..4)
            )
                .prop_map(|(k, v)| json!({ k: v })),
            inner.clone().prop_map(|i| json!({"not": i})),
        ]
    })
}

/// A document: a root with a definition `d` its references may use.
fn document() -> impl Strategy<Value = Value> {
    (schema_value(), schema_value()).prop_map(|(root, d)| match root {
        Value::Object(mut o) if !o.contains_key("$ref") => {
            o.insert("definitions".into(), json!({ "d": d }));
            Value::Object(o)
        }
        other => json!({"allOf": [other], "definitions": {"d": d}}),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn checks_never_panic_and_are_reflexive(a in document(), b in document()) {
        let (a, b) = (a.to_string(), b.to_string());
        let (Ok(sa), Ok(sb)) = (JsonSchema::parse(&a, &[]), JsonSchema::parse(&b, &[])) else {
            return Ok(());
        };
        for policy in [JsonPolicy::Strict, JsonPolicy::Lenient] {
            let _ = check(&sa, &sb, policy);
            let _ = check(&sb, &sa, policy);
            prop_assert!(check(&sa, &sa, policy).is_empty(), "{a} is not compatible with itself");
        }
    }

    #[test]
    fn arbitrary_text_parses_or_fails_typed(text in ".{0,64}") {
        let _ = parse_standalone(SchemaType::Json, &text);
    }
}
