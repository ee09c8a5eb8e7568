//! The IR shapes a JSON Schema front end will emit (from codegen's `tests/ir_emit.rs`
//! snapshot) compile and behave: validated newtypes refuse bad values on
//! construction and deserialization, enums follow their serde tagging.

use evreg_tests::cases::ir_constructs::json::{
    Adjacent, External, Internal, Line, Quantity, Sku, Strict, Untagged,
};
use serde_json::json;

#[test]
fn validated_newtypes_check_on_construction_and_deserialization() {
    assert!(Sku::new("ABC-12".into()).is_ok());
    let err = Sku::new("abc-12".into()).unwrap_err();
    assert!(
        err.to_string().contains("does not match the pattern"),
        "{err}"
    );
    assert!(Sku::new("AB".into()).is_err());
    assert!(Quantity::new(0).is_err());
    assert_eq!(Quantity::try_from(5).unwrap().into_inner(), 5);
    assert!(serde_json::from_value::<Sku>(json!("nope")).is_err());
    assert_eq!(
        serde_json::from_value::<Quantity>(json!(7)).unwrap().get(),
        &7
    );
    assert!(serde_json::from_value::<Quantity>(json!(1001)).is_err());
}

#[test]
fn defaults_optional_and_flattened_fields() {
    let line: Line = serde_json::from_value(json!({"sku": "ABC-1", "colour": "red"})).unwrap();
    assert_eq!(line.quantity.get(), &1);
    assert_eq!(line.price.to_string(), "9.99");
    assert_eq!(line.at.to_rfc3339(), "2024-05-01T12:00:00+00:00");
    assert_eq!(line.extra["colour"], "red");
    let back = serde_json::to_value(&line).unwrap();
    assert!(back.get("note").is_none(), "None is skipped: {back}");
    assert_eq!(back["colour"], "red");
    assert!(serde_json::from_value::<Strict>(json!({"lines": [], "x": 1})).is_err());
}

#[test]
fn enum_tagging() {
    let c = |r: f64| json!({"radius": r});
    assert_eq!(
        serde_json::to_value(Internal::Circle { radius: 1.0 }).unwrap(),
        json!({"kind": "circle", "radius": 1.0})
    );
    assert_eq!(
        serde_json::to_value(Adjacent::Label("x".into())).unwrap(),
        json!({"t": "label", "c": "x"})
    );
    assert_eq!(
        serde_json::to_value(External::Circle { radius: 2.0 }).unwrap(),
        json!({"circle": c(2.0)})
    );
    assert_eq!(
        serde_json::to_value(External::Empty).unwrap(),
        json!("empty")
    );
    assert_eq!(
        serde_json::from_value::<Untagged>(json!("hi")).unwrap(),
        Untagged::Text("hi".into())
    );
    assert_eq!(
        serde_json::from_value::<Untagged>(json!(1.5)).unwrap(),
        Untagged::Number(1.5)
    );
}
