//! Property tests: generated and mutated schemas never make the parser or the
//! checker panic; they parse, or they fail with a typed error.

use evreg_core::{CompatibilityLevel, SchemaType, check, parse_standalone};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Avro-shaped JSON: mostly plausible schemas, sometimes nonsense.
fn avro_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        prop::sample::select(vec![
            "null", "boolean", "int", "long", "float", "double", "bytes", "string", "Rec", "E",
            "nope"
        ])
        .prop_map(|s| json!(s)),
        Just(json!({"type": "enum", "name": "E", "symbols": ["A", "B"], "default": "A"})),
        Just(json!({"type": "fixed", "name": "F", "size": 4})),
        Just(json!({"type": "long", "logicalType": "timestamp-millis"})),
        Just(json!({"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 9})),
        any::<i64>().prop_map(|n| json!(n)),
    ];
    leaf.prop_recursive(5, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            inner.clone().prop_map(|i| json!({"type": "array", "items": i})),
            inner.clone().prop_map(|v| json!({"type": "map", "values": v})),
            (prop::collection::vec((prop::sample::select(vec!["a", "b", "c", "a"]), inner.clone(), any::<Option<i8>>()), 0..4), any::<bool>())
                .prop_map(|(fields, named)| {
                    let fields: Vec<Value> = fields
                        .into_iter()
                        .map(|(n, t, d)| match d {
                            Some(d) => json!({"name": n, "type": t, "default": d}),
                            None => json!({"name": n, "type": t}),
                        })
                        .collect();
                    json!({"type": "record", "name": if named { "Rec" } else { "Other" }, "fields": fields})
                }),
        ]
    })
}

const SEEDS: &[&str] = &[
    r#"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":{"type":"string","logicalType":"uuid"}},{"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[{"name":"sku","type":"string"},{"name":"qty","type":"int","default":1}]}}},{"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"],"default":"NEW"}},{"name":"next","type":["null","Order"],"default":null}]}"#,
    r##"{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"id":{"type":"string","format":"uuid"},"n":{"type":"integer","minimum":0},"tags":{"type":"array","items":{"$ref":"#/definitions/tag"}}},"required":["id"],"additionalProperties":false,"definitions":{"tag":{"type":"string","maxLength":10}}}"##,
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn generated_avro_never_panics(a in avro_value(), b in avro_value()) {
        let pa = parse_standalone(SchemaType::Avro, &a.to_string());
        let pb = parse_standalone(SchemaType::Avro, &b.to_string());
        if let (Ok(pa), Ok(pb)) = (pa, pb) {
            let _ = check(CompatibilityLevel::FullTransitive, &pa, &[&pb, &pa]);
            // Canonical text is a fixed point of parsing.
            let again = parse_standalone(SchemaType::Avro, pa.canonical());
            prop_assert!(again.is_ok(), "canonical text does not parse: {}", pa.canonical());
            prop_assert_eq!(again.unwrap().fingerprint(), pa.fingerprint());
        }
    }

    #[test]
    fn mutated_schemas_never_panic(seed in 0..SEEDS.len(), edits in prop::collection::vec((any::<prop::sample::Index>(), any::<char>(), 0u8..3), 1..8)) {
        let mut text: Vec<char> = SEEDS[seed].chars().collect();
        for (at, c, op) in edits {
            let i = at.index(text.len().max(1)).min(text.len());
            match op {
                0 if i < text.len() => { text.remove(i); }
                1 => text.insert(i, c),
                _ if i < text.len() => text[i] = c,
                _ => {}
            }
        }
        let text: String = text.into_iter().collect();
        let original = parse_standalone(if seed == 0 { SchemaType::Avro } else { SchemaType::Json }, SEEDS[seed]).unwrap();
        for ty in [SchemaType::Avro, SchemaType::Json] {
            if let Ok(p) = parse_standalone(ty, &text) {
                let _ = check(CompatibilityLevel::FullTransitive, &p, &[&original]);
            }
        }
    }
}
