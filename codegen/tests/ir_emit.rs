//! Emission of the IR shapes the Avro front end does not produce but a JSON Schema
//! front end will: tagged data-carrying enums, struct variants, validated newtypes,
//! aliases, optional and flattened fields. The snapshot `ir/constructs.rs` is
//! compiled and exercised by evreg-tests (`tests/ir_constructs.rs`).
//!
//! Re-bless with `EVGEN_BLESS=1 cargo test -p evgen --test ir_emit`.

use std::collections::BTreeMap;

use evgen::ir::*;

fn path(name: &str) -> TypePath {
    TypePath {
        module: vec!["json".into()],
        name: name.into(),
    }
}

fn field(name: &str, wire: &str, ty: TypeRef) -> Field {
    Field {
        name: name.into(),
        wire_name: wire.into(),
        aliases: Vec::new(),
        doc: None,
        ty,
        default: None,
        skip_if_none: false,
        flatten: false,
        origin: Origin::default(),
    }
}

fn def(name: &str, kind: TypeKind) -> TypeDef {
    TypeDef {
        path: path(name),
        schema_name: format!("#/$defs/{name}"),
        doc: Some(format!("`{name}` from a JSON Schema.")),
        origin: Origin::default(),
        kind,
    }
}

fn variant(name: &str, wire: &str, payload: Payload) -> Variant {
    Variant {
        name: name.into(),
        wire_name: wire.into(),
        aliases: Vec::new(),
        doc: None,
        payload,
    }
}

fn space() -> TypeSpace {
    let mut s = TypeSpace::default();
    let string = || TypeRef::Scalar(Scalar::String);
    s.insert(def(
        "Sku",
        TypeKind::Newtype(NewtypeDef {
            inner: string(),
            constraints: Constraints {
                min_length: Some(3),
                max_length: Some(12),
                pattern: Some("^[A-Z]{3}-[0-9]+$".into()),
                ..Default::default()
            },
        }),
    ))
    .unwrap();
    s.insert(def(
        "Quantity",
        TypeKind::Newtype(NewtypeDef {
            inner: TypeRef::Scalar(Scalar::I64),
            constraints: Constraints {
                minimum: Some(1.0),
                maximum: Some(1000.0),
                ..Default::default()
            },
        }),
    ))
    .unwrap();
    s.insert(def(
        "Skus",
        TypeKind::Alias(TypeRef::List(Box::new(TypeRef::Named(path("Sku"))))),
    ))
    .unwrap();
    let mut qty = field("quantity", "quantity", TypeRef::Named(path("Quantity")));
    qty.default = Some(Const::Int(1));
    let mut note = field(
        "note",
        "note",
        TypeRef::Option {
            inner: Box::new(string()),
            null_index: None,
        },
    );
    note.skip_if_none = true;
    let mut extra = field(
        "extra",
        "extra",
        TypeRef::Map(Box::new(TypeRef::Scalar(Scalar::Json))),
    );
    extra.flatten = true;
    let mut when = field(
        "at",
        "at",
        TypeRef::Scalar(Scalar::Timestamp(TimeWire::Iso8601)),
    );
    when.default = Some(Const::String("2024-05-01T12:00:00Z".into()));
    let mut price = field(
        "price",
        "price",
        TypeRef::Scalar(Scalar::Decimal(DecimalWire::String)),
    );
    price.default = Some(Const::String("9.99".into()));
    s.insert(def(
        "Line",
        TypeKind::Struct(StructDef {
            fields: vec![
                field("sku", "sku", TypeRef::Named(path("Sku"))),
                qty,
                note,
                when,
                price,
                extra,
            ],
            deny_unknown_fields: false,
        }),
    ))
    .unwrap();
    let shapes = |repr: EnumRepr, name: &str| {
        def(
            name,
            TypeKind::Enum(EnumDef {
                variants: vec![
                    variant(
                        "Circle",
                        "circle",
                        Payload::Struct(vec![field(
                            "radius",
                            "radius",
                            TypeRef::Scalar(Scalar::F64),
                        )]),
                    ),
                    variant("Label", "label", Payload::Newtype(string())),
                    variant("Empty", "empty", Payload::Unit),
                ],
                repr,
                default_variant: None,
            }),
        )
    };
    s.insert(shapes(
        EnumRepr::Internal { tag: "kind".into() },
        "Internal",
    ))
    .unwrap();
    s.insert(shapes(
        EnumRepr::Adjacent {
            tag: "t".into(),
            content: "c".into(),
        },
        "Adjacent",
    ))
    .unwrap();
    s.insert(shapes(EnumRepr::External, "External")).unwrap();
    s.insert(def(
        "Untagged",
        TypeKind::Enum(EnumDef {
            variants: vec![
                variant(
                    "Number",
                    "number",
                    Payload::Newtype(TypeRef::Scalar(Scalar::F64)),
                ),
                variant("Text", "text", Payload::Newtype(string())),
            ],
            repr: EnumRepr::Untagged,
            default_variant: None,
        }),
    ))
    .unwrap();
    s.insert(def(
        "Strict",
        TypeKind::Struct(StructDef {
            fields: vec![field(
                "lines",
                "lines",
                TypeRef::List(Box::new(TypeRef::Named(path("Line")))),
            )],
            deny_unknown_fields: true,
        }),
    ))
    .unwrap();
    s.module_docs = BTreeMap::from([(
        vec!["json".to_owned()],
        "Types from a JSON Schema.".to_owned(),
    )]);
    s
}

#[test]
fn constructs_snapshot() {
    let text = evgen::emit::to_file(&space(), "tests/ir_emit.rs").unwrap();
    let snapshot = "tests/ir/constructs.rs";
    if std::env::var_os("EVGEN_BLESS").is_some() {
        std::fs::write(snapshot, &text).unwrap();
    }
    let current = std::fs::read_to_string(snapshot).unwrap_or_default();
    assert!(
        current == text,
        "stale {snapshot}: re-bless with `EVGEN_BLESS=1 cargo test -p evgen --test ir_emit`"
    );
}

#[test]
fn conflicting_definitions_at_one_path_are_refused() {
    let mut s = space();
    let err = s
        .insert(def("Sku", TypeKind::Alias(TypeRef::Scalar(Scalar::Bool))))
        .unwrap_err();
    assert!(err.to_string().contains("#/$defs/Sku"), "{err}");
}
