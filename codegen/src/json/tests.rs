//! Lowering tests: one schema construct each, checked on the IR.

use serde_json::json;

use super::*;
use crate::ir::{
    Const, EnumDef, EnumRepr, Field, NewtypeDef, Payload, Scalar, StructDef, TimeWire, TypeDef,
    TypeKind, TypeRef,
};

fn file(schema: serde_json::Value) -> JsonFile {
    JsonFile {
        label: "t.json".into(),
        stem: "t".into(),
        names: Vec::new(),
        text: schema.to_string(),
        root: true,
        root_name: Some("Root".into()),
    }
}

fn lower_with(schema: serde_json::Value, settings: &JsonSettings) -> JsonOutput {
    lower(&[file(schema)], settings).unwrap_or_else(|e| panic!("{e}"))
}

fn lower_ok(schema: serde_json::Value) -> JsonOutput {
    lower_with(schema, &JsonSettings::default())
}

fn path(name: &str) -> TypePath {
    TypePath {
        module: Vec::new(),
        name: name.into(),
    }
}

fn named(name: &str) -> TypeRef {
    TypeRef::Named(path(name))
}

fn scalar(s: Scalar) -> TypeRef {
    TypeRef::Scalar(s)
}

fn opt(t: TypeRef) -> TypeRef {
    TypeRef::Option {
        inner: Box::new(t),
        null_index: None,
    }
}

fn def<'a>(out: &'a JsonOutput, name: &str) -> &'a TypeDef {
    out.space.types.get(&path(name)).unwrap_or_else(|| {
        panic!(
            "no type {name} in {:?}",
            out.space.types.keys().collect::<Vec<_>>()
        )
    })
}

fn strukt<'a>(out: &'a JsonOutput, name: &str) -> &'a StructDef {
    match &def(out, name).kind {
        TypeKind::Struct(s) => s,
        other => panic!("{name} is not a struct: {other:?}"),
    }
}

fn enm<'a>(out: &'a JsonOutput, name: &str) -> &'a EnumDef {
    match &def(out, name).kind {
        TypeKind::Enum(e) => e,
        other => panic!("{name} is not an enum: {other:?}"),
    }
}

fn newtype<'a>(out: &'a JsonOutput, name: &str) -> &'a NewtypeDef {
    match &def(out, name).kind {
        TypeKind::Newtype(n) => n,
        other => panic!("{name} is not a newtype: {other:?}"),
    }
}

fn field<'a>(s: &'a StructDef, wire: &str) -> &'a Field {
    s.fields
        .iter()
        .find(|f| f.wire_name == wire)
        .unwrap_or_else(|| panic!("no field {wire}"))
}

fn variant_names(e: &EnumDef) -> Vec<&str> {
    e.variants.iter().map(|v| v.name.as_str()).collect()
}

#[test]
fn required_and_optional_properties() {
    let out = lower_ok(json!({
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "note": {"type": "string"},
            "maybe": {"type": ["string", "null"]},
            "any": {}
        },
        "required": ["id"],
        "additionalProperties": false
    }));
    assert_eq!(out.roots, vec![path("Root")]);
    let s = strukt(&out, "Root");
    assert!(s.deny_unknown_fields);
    let id = field(s, "id");
    assert_eq!(
        (id.ty.clone(), id.skip_if_none),
        (scalar(Scalar::String), false)
    );
    let note = field(s, "note");
    assert_eq!(
        (note.ty.clone(), note.skip_if_none),
        (opt(scalar(Scalar::String)), true)
    );
    // Optional and nullable: written as null when absent, so an explicit null
    // survives a round trip.
    let maybe = field(s, "maybe");
    assert_eq!(
        (maybe.ty.clone(), maybe.skip_if_none),
        (opt(scalar(Scalar::String)), false)
    );
    assert_eq!(field(s, "any").ty, opt(scalar(Scalar::Json)));
}

#[test]
fn open_objects_keep_unknown_properties() {
    let schema = json!({"type": "object", "properties": {"a": {"type": "boolean"}}});
    let out = lower_ok(schema.clone());
    let s = strukt(&out, "Root");
    assert!(!s.deny_unknown_fields);
    let extra = field(s, "extra");
    assert!(extra.flatten);
    assert_eq!(extra.ty, TypeRef::Map(Box::new(scalar(Scalar::Json))));

    let settings = JsonSettings {
        keep_unknown_properties: false,
        ..JsonSettings::default()
    };
    let out = lower_with(schema, &settings);
    assert_eq!(strukt(&out, "Root").fields.len(), 1);
}

#[test]
fn additional_and_pattern_properties_become_maps() {
    let out = lower_ok(json!({
        "type": "object",
        "properties": {
            "extra": {"type": "string"},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "tags": {
                "type": "object",
                "patternProperties": {"^[a-z]+$": {"type": "string"}},
                "additionalProperties": false,
                "maxProperties": 3
            }
        },
        "additionalProperties": {"type": "number"}
    }));
    let s = strukt(&out, "Root");
    // The property named `extra` keeps its name; the flattened map gets another.
    assert_eq!(field(s, "extra").name, "extra");
    let rest = field(s, "extra2");
    assert!(rest.flatten);
    assert_eq!(rest.ty, TypeRef::Map(Box::new(scalar(Scalar::F64))));
    assert_eq!(
        field(s, "counts").ty,
        opt(TypeRef::Map(Box::new(scalar(Scalar::I64))))
    );
    assert_eq!(field(s, "tags").ty, opt(named("RootTags")));
    let tags = newtype(&out, "RootTags");
    assert_eq!(tags.inner, TypeRef::Map(Box::new(scalar(Scalar::String))));
    assert_eq!(tags.constraints.pattern.as_deref(), Some("(?:^[a-z]+$)"));
    assert_eq!(tags.constraints.max_length, Some(3));
}

#[test]
fn property_names_check_the_keys_of_a_struct_s_rest() {
    let out = lower_ok(json!({
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "propertyNames": {"pattern": "^[A-Z_]+$"}
    }));
    let extra = field(strukt(&out, "Root"), "extra");
    assert_eq!(extra.ty, named("RootExtra"));
    assert_eq!(
        newtype(&out, "RootExtra").constraints.pattern.as_deref(),
        Some("^[A-Z_]+$")
    );
}

#[test]
fn string_enums_and_consts() {
    let out = lower_ok(json!({
        "type": "object",
        "properties": {
            "level": {
                "enum": ["low", "HIGH", "very-high", null],
                "enumDescriptions": ["Low.", "High.", "Very high."]
            },
            "kind": {"const": "fixed"}
        }
    }));
    let s = strukt(&out, "Root");
    assert_eq!(field(s, "level").ty, opt(named("RootLevel")));
    let level = enm(&out, "RootLevel");
    assert_eq!(level.repr, EnumRepr::External);
    assert_eq!(variant_names(level), ["Low", "High", "VeryHigh"]);
    assert_eq!(level.variants[2].wire_name, "very-high");
    assert_eq!(level.variants[1].doc.as_deref(), Some("High."));
    let kind = enm(&out, "RootKind");
    assert_eq!(variant_names(kind), ["Fixed"]);
}

#[test]
fn structured_enums_fall_back_only_when_allowed() {
    let schema = json!({"properties": {"v": {"enum": [1, "a", {"b": 2}]}}});
    let err = lower(&[file(schema.clone())], &JsonSettings::default()).unwrap_err();
    assert!(
        matches!(&err, Error::Unsupported { origin, .. } if origin.pointer == "/properties/v"),
        "{err}"
    );
    let settings = JsonSettings {
        json_fallback: true,
        ..JsonSettings::default()
    };
    let out = lower_with(schema, &settings);
    assert_eq!(
        field(strukt(&out, "Root"), "v").ty,
        opt(scalar(Scalar::Json))
    );
    assert_eq!(out.diagnostics[0].kind, DiagnosticKind::Fallback);
    assert_eq!(out.diagnostics[0].origin.pointer, "/properties/v");
}

#[test]
fn one_of_with_a_discriminator_is_internally_tagged() {
    let out = lower_ok(json!({
        "$defs": {
            "circle": {
                "type": "object",
                "properties": {"kind": {"const": "circle"}, "r": {"type": "number"}},
                "required": ["kind", "r"],
                "additionalProperties": false
            },
            "square": {
                "type": "object",
                "properties": {"kind": {"enum": ["square"]}, "side": {"type": "number"}},
                "required": ["kind", "side"]
            },
            "dot": {
                "type": "object",
                "properties": {"kind": {"const": "dot"}},
                "required": ["kind"],
                "additionalProperties": false
            }
        },
        "oneOf": [
            {"$ref": "#/$defs/circle"},
            {"$ref": "#/$defs/square"},
            {"$ref": "#/$defs/dot"}
        ]
    }));
    let shape = enm(&out, "Root");
    assert_eq!(shape.repr, EnumRepr::Internal { tag: "kind".into() });
    assert_eq!(variant_names(shape), ["Circle", "Square", "Dot"]);
    assert_eq!(shape.variants[2].payload, Payload::Unit);
    let Payload::Newtype(TypeRef::Named(circle)) = &shape.variants[0].payload else {
        panic!("{:?}", shape.variants[0].payload);
    };
    // The payload is the branch without its tag.
    let circle = strukt(&out, &circle.name);
    assert!(circle.deny_unknown_fields);
    assert_eq!(circle.fields.len(), 1);
    assert_eq!(field(circle, "r").ty, scalar(Scalar::F64));
}

#[test]
fn untagged_variants_go_most_specific_first() {
    let out = lower_ok(json!({
        "anyOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}},
            {"type": "object", "properties": {"b": {"type": "string"}}, "required": ["b"]},
            {"type": "string"},
            {"type": "array", "items": {"type": "string"}},
            {"type": "number"},
            {"type": "integer"},
            {"type": "string", "format": "date"},
            {"type": "null"}
        ]
    }));
    let root = &out.space.types[&out.roots[0]];
    let TypeKind::Alias(TypeRef::Option { inner, .. }) = &root.kind else {
        panic!("{root:?}");
    };
    let TypeRef::Named(union) = &**inner else {
        panic!()
    };
    let e = enm(&out, &union.name);
    assert_eq!(e.repr, EnumRepr::Untagged);
    let order: Vec<String> = e
        .variants
        .iter()
        .map(|v| match &v.payload {
            Payload::Newtype(TypeRef::Scalar(s)) => format!("{s:?}"),
            Payload::Newtype(TypeRef::List(_)) => "List".into(),
            Payload::Newtype(TypeRef::Named(p)) => {
                let s = strukt(&out, &p.name);
                format!("Struct{}", s.fields.len())
            }
            other => format!("{other:?}"),
        })
        .collect();
    // Integers before floats, dates before strings, lists before structs (a derived
    // struct reads arrays too), the struct with a required field before the open one.
    assert_eq!(
        order,
        [
            "I64",
            "F64",
            "Date(Iso8601)",
            "String",
            "List",
            "Struct2",
            "Struct2"
        ]
    );
    let Payload::Newtype(TypeRef::Named(first)) = &e.variants[5].payload else {
        panic!()
    };
    assert_eq!(
        field(strukt(&out, &first.name), "b").ty,
        scalar(Scalar::String)
    );
}

#[test]
fn documented_string_branches_make_one_enum() {
    let out = lower_ok(json!({
        "oneOf": [
            {"const": "a", "description": "The first."},
            {"const": "b", "description": "The second."}
        ]
    }));
    let e = enm(&out, "Root");
    assert_eq!(variant_names(e), ["A", "B"]);
    assert_eq!(e.variants[1].doc.as_deref(), Some("The second."));
}

#[test]
fn branches_that_only_constrain_are_ignored() {
    let out = lower_ok(json!({
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "anyOf": [{"required": ["a"]}, {"required": ["b"]}]
    }));
    assert_eq!(strukt(&out, "Root").fields.len(), 3);
    assert!(
        out.diagnostics
            .iter()
            .any(|d| d.kind == DiagnosticKind::Unenforced)
    );
}

#[test]
fn all_of_merges_properties_and_required() {
    let out = lower_ok(json!({
        "definitions": {
            "base": {
                "type": "object",
                "properties": {"id": {"type": "string"}},
                "required": ["id"]
            }
        },
        "allOf": [
            {"$ref": "#/definitions/base"},
            {"properties": {"size": {"type": "integer", "minimum": 0}}, "required": ["size"]}
        ],
        "description": "A sized thing."
    }));
    let root = def(&out, "Root");
    assert_eq!(root.doc.as_deref(), Some("A sized thing."));
    let s = strukt(&out, "Root");
    assert_eq!(field(s, "id").ty, scalar(Scalar::String));
    assert_eq!(field(s, "size").ty, scalar(Scalar::U64));
}

#[test]
fn refs_name_types_after_their_definitions_and_recursion_is_boxed() {
    let out = lower_ok(json!({
        "$ref": "#/definitions/node",
        "definitions": {
            "node": {
                "type": "object",
                "properties": {
                    "value": {"type": "string"},
                    "next": {"$ref": "#/definitions/node"},
                    "children": {"type": "array", "items": {"$ref": "#"}}
                },
                "required": ["value"]
            }
        }
    }));
    let node = strukt(&out, "Node");
    assert_eq!(
        field(node, "next").ty,
        opt(TypeRef::Boxed(Box::new(named("Node"))))
    );
    // The root is a reference to `node`, and `children` refers back to the root:
    // a newtype (a type alias cannot be recursive).
    assert!(matches!(&newtype(&out, "Root").inner, TypeRef::Named(p) if p.name == "Node"));
    assert!(matches!(&field(node, "children").ty,
        TypeRef::Option { inner, .. } if matches!(&**inner, TypeRef::List(_))));
}

#[test]
fn refs_across_files_put_the_other_file_in_a_module() {
    let common = JsonFile {
        label: "common.json".into(),
        stem: "common".into(),
        names: vec!["common.json".into()],
        text: json!({"$defs": {"money": {"type": "object", "properties": {
            "amount": {"type": "string"}}, "required": ["amount"]}}})
        .to_string(),
        root: false,
        root_name: None,
    };
    let order = JsonFile {
        root_name: None,
        ..file(json!({"title": "Order", "type": "object",
            "properties": {"total": {"$ref": "common.json#/$defs/money"}}}))
    };
    let out = lower(&[order, common], &JsonSettings::default()).unwrap();
    assert_eq!(out.roots, vec![path("Order")]);
    let money = TypePath {
        module: vec!["common".into()],
        name: "Money".into(),
    };
    assert_eq!(
        field(strukt(&out, "Order"), "total").ty,
        opt(TypeRef::Named(money.clone()))
    );
    assert!(out.space.types.contains_key(&money));
}

#[test]
fn two_roots_claiming_one_name_is_an_error() {
    let a = JsonFile {
        label: "a.json".into(),
        root_name: None,
        ..file(
            json!({"title": "Config", "type": "object", "properties": {"a": {"type": "string"}}}),
        )
    };
    let b = JsonFile {
        label: "b.json".into(),
        root_name: None,
        ..file(
            json!({"title": "Config", "type": "object", "properties": {"b": {"type": "string"}}}),
        )
    };
    let err = lower(&[a.clone(), b], &JsonSettings::default()).unwrap_err();
    assert!(
        matches!(&err, Error::Conflict { name, .. } if name == "Config"),
        "{err}"
    );
    // The same definition twice is one type.
    let same = JsonFile {
        label: "c.json".into(),
        ..a.clone()
    };
    let out = lower(&[a, same], &JsonSettings::default()).unwrap();
    assert_eq!(out.roots, vec![path("Config"), path("Config")]);
}

#[test]
fn formats() {
    let out = lower_ok(json!({
        "type": "object",
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "on": {"type": "string", "format": "date"},
            "id": {"type": "string", "format": "uuid"},
            "mail": {"type": "string", "format": "email"},
            "site": {"type": "string", "format": "uri"},
            "link": {"type": "string", "format": "uri-reference"},
            "v4": {"type": "string", "format": "ipv4"},
            "v6": {"type": "string", "format": "ipv6"},
            // A format is stricter than a length, so the newtype is not needed.
            "short": {"type": "string", "format": "email", "maxLength": 5}
        },
        "required": ["at", "on", "id", "mail", "site", "link", "v4", "v6", "short"]
    }));
    let s = strukt(&out, "Root");
    assert_eq!(
        field(s, "at").ty,
        scalar(Scalar::Timestamp(TimeWire::Iso8601))
    );
    assert_eq!(field(s, "on").ty, scalar(Scalar::Date(TimeWire::Iso8601)));
    assert_eq!(field(s, "id").ty, scalar(Scalar::Uuid));
    assert_eq!(field(s, "mail").ty, scalar(Scalar::Email));
    assert_eq!(field(s, "site").ty, scalar(Scalar::Uri));
    assert_eq!(field(s, "link").ty, scalar(Scalar::String));
    assert_eq!(field(s, "v4").ty, scalar(Scalar::Ipv4));
    assert_eq!(field(s, "v6").ty, scalar(Scalar::Ipv6));
    assert_eq!(field(s, "short").ty, scalar(Scalar::Email));
}

#[test]
fn integer_widths_follow_the_bounds() {
    let out = lower_ok(json!({
        "type": "object",
        "properties": {
            "byte": {"type": "integer", "minimum": 0, "maximum": 255},
            "small": {"type": "integer", "minimum": 1, "maximum": 10},
            "count": {"type": "integer", "minimum": 0},
            "signed": {"type": "integer", "minimum": -5, "exclusiveMaximum": 6},
            "any": {"type": "integer"},
            "port": {"type": "integer", "minimum": 0, "maximum": 65535}
        },
        "required": ["byte", "small", "count", "signed", "any", "port"]
    }));
    let s = strukt(&out, "Root");
    assert_eq!(field(s, "byte").ty, scalar(Scalar::U8));
    assert_eq!(field(s, "count").ty, scalar(Scalar::U64));
    assert_eq!(field(s, "any").ty, scalar(Scalar::I64));
    assert_eq!(field(s, "port").ty, scalar(Scalar::U16));
    let small = newtype(&out, "RootSmall");
    assert_eq!(small.inner, scalar(Scalar::U8));
    assert_eq!(
        (small.constraints.minimum, small.constraints.maximum),
        (Some(1.0), Some(10.0))
    );
    let signed = newtype(&out, "RootSigned");
    assert_eq!(signed.inner, scalar(Scalar::I8));
    assert_eq!(signed.constraints.exclusive_maximum, Some(6.0));
    // Draft 4 spells exclusive bounds as flags.
    let out = lower_ok(json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "integer", "minimum": 0, "maximum": 100, "exclusiveMaximum": true
    }));
    let root = newtype(&out, "Root");
    assert_eq!(root.inner, scalar(Scalar::U8));
    assert_eq!(
        (root.constraints.maximum, root.constraints.exclusive_maximum),
        (None, Some(100.0))
    );
}

#[test]
fn string_and_array_constraints_become_checking_newtypes() {
    let out = lower_ok(json!({
        "type": "object",
        "properties": {
            "code": {"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^[A-Z]+$"},
            "lookahead": {"type": "string", "pattern": "^(?!x)"},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": true}
        }
    }));
    let code = newtype(&out, "RootCode");
    assert_eq!(code.inner, scalar(Scalar::String));
    assert_eq!(code.constraints.min_length, Some(2));
    assert_eq!(code.constraints.max_length, Some(3));
    assert_eq!(code.constraints.pattern.as_deref(), Some("^[A-Z]+$"));
    // The regex crate has no look-around: the pattern is reported and dropped.
    assert_eq!(
        field(strukt(&out, "Root"), "lookahead").ty,
        opt(scalar(Scalar::String))
    );
    assert!(
        out.diagnostics
            .iter()
            .any(|d| d.origin.pointer == "/properties/lookahead/pattern")
    );
    let tags = newtype(&out, "RootTags");
    assert_eq!(tags.constraints.min_length, Some(1));
    assert!(tags.constraints.unique_items);
}

#[test]
fn nullable_forms() {
    let out = lower_ok(json!({
        "type": "object",
        "properties": {
            "a": {"type": ["integer", "null"]},
            "b": {"type": "string", "nullable": true},
            "c": {"oneOf": [{"type": "null"}, {"type": "boolean"}]}
        },
        "required": ["a", "b", "c"]
    }));
    let s = strukt(&out, "Root");
    assert_eq!(field(s, "a").ty, opt(scalar(Scalar::I64)));
    assert_eq!(field(s, "b").ty, opt(scalar(Scalar::String)));
    assert_eq!(field(s, "c").ty, opt(scalar(Scalar::Bool)));
}

#[test]
fn several_types_make_an_untagged_enum() {
    let out = lower_ok(json!({"type": ["string", "integer", "boolean"]}));
    let e = enm(&out, "Root");
    assert_eq!(e.repr, EnumRepr::Untagged);
    assert_eq!(variant_names(e), ["Bool", "Integer", "String"]);
}

#[test]
fn docs_and_keyword_escaping() {
    let out = lower_ok(json!({
        "title": "Root",
        "description": "All of it.\r\nTwo lines.",
        "type": "object",
        "properties": {
            "type": {"type": "string", "description": "The type."},
            "self": {"type": "string"},
            "$schema": {"type": "string"},
            "a-b": {"type": "string"},
            "a_b": {"type": "string"},
            "2fa": {"type": "boolean"}
        }
    }));
    assert_eq!(
        def(&out, "Root").doc.as_deref(),
        Some("Root\n\nAll of it.\nTwo lines.")
    );
    let s = strukt(&out, "Root");
    let names: Vec<&str> = s.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["r#type", "self_", "schema", "a_b", "a_b2", "_2fa", "extra"]
    );
    assert_eq!(field(s, "type").doc.as_deref(), Some("The type."));
}

#[test]
fn names_are_deterministic_and_unique() {
    let schema = json!({
        "type": "object",
        "properties": {
            "a": {"type": "object", "properties": {"x": {"type": "string", "minLength": 1}}},
            "b": {"type": "object", "properties": {"x": {"type": "string", "minLength": 2}}},
            "ax": {"type": "string", "minLength": 3}
        }
    });
    let first = lower_ok(schema.clone());
    assert_eq!(first.space, lower_ok(schema).space);
    // `a.x` and `ax` both suggest `RootAx`: the second gets a suffix, never the
    // first's type.
    assert_eq!(newtype(&first, "RootAx").constraints.min_length, Some(1));
    assert_eq!(newtype(&first, "RootAx2").constraints.min_length, Some(3));
    assert_eq!(newtype(&first, "RootBx").constraints.min_length, Some(2));
}

#[test]
fn optional_uuid_fields_get_a_default() {
    let out = lower_ok(json!({"properties": {"id": {"type": "string", "format": "uuid"}}}));
    assert_eq!(field(strukt(&out, "Root"), "id").default, Some(Const::Null));
}

#[test]
fn tuples_and_dynamic_refs_are_unsupported_without_the_fallback() {
    let err = lower(
        &[file(
            json!({"type": "array", "items": [{"type": "string"}]}),
        )],
        &JsonSettings::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("t.json"), "{err}");
}

#[test]
fn drafts_four_to_2020_12_parse() {
    for uri in [
        "http://json-schema.org/draft-04/schema#",
        "http://json-schema.org/draft-06/schema#",
        "http://json-schema.org/draft-07/schema#",
        "https://json-schema.org/draft/2019-09/schema",
        "https://json-schema.org/draft/2020-12/schema",
    ] {
        let out = lower_ok(json!({"$schema": uri, "type": "object",
            "properties": {"a": {"type": "string"}}, "required": ["a"]}));
        assert_eq!(
            field(strukt(&out, "Root"), "a").ty,
            scalar(Scalar::String),
            "{uri}"
        );
    }
}

#[test]
fn invalid_schemas_are_schema_errors() {
    let err = lower(&[file(json!({"type": 5}))], &JsonSettings::default()).unwrap_err();
    assert!(
        matches!(&err, Error::Schema { origin, .. } if origin.pointer == "/type"),
        "{err}"
    );
    let err = lower(&[file(json!({"$ref": "#/nope"}))], &JsonSettings::default()).unwrap_err();
    assert!(err.to_string().contains("#/nope"), "{err}");
}
