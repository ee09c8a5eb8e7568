//! The JSON front end's golden snapshots (`codegen/tests/fixtures/json/*.rs`),
//! compiled and exercised: documents the schema accepts round-trip, documents it
//! refuses are rejected (by serde or by a checking newtype).

use evgen_json_ladder::{Failure, equivalent, round_trip};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

#[allow(dead_code, clippy::all)]
mod objects {
    include!("../../../codegen/tests/fixtures/json/objects.rs");
}
#[allow(dead_code, clippy::all)]
mod enums {
    include!("../../../codegen/tests/fixtures/json/enums.rs");
}
#[allow(dead_code, clippy::all)]
mod tagged {
    include!("../../../codegen/tests/fixtures/json/tagged.rs");
}
#[allow(dead_code, clippy::all)]
mod untagged {
    include!("../../../codegen/tests/fixtures/json/untagged.rs");
}
#[allow(dead_code, clippy::all)]
mod all_of {
    include!("../../../codegen/tests/fixtures/json/all_of.rs");
}
#[allow(dead_code, clippy::all)]
mod refs {
    include!("../../../codegen/tests/fixtures/json/refs.rs");
}
#[allow(dead_code, clippy::all)]
mod scalars {
    include!("../../../codegen/tests/fixtures/json/scalars.rs");
}
/// A folder of files with `$ref`s between them, through `evgen::Config`.
#[allow(dead_code, clippy::all)]
mod json_folder {
    include!("../../../codegen/tests/fixtures/json_folder.rs");
}

/// Every `valid` document round-trips to an equivalent one; every `invalid` one
/// fails to deserialize.
fn check<T: DeserializeOwned + Serialize>(valid: &[Value], invalid: &[Value]) {
    for v in valid {
        let back = round_trip::<T>(v).unwrap_or_else(|e| panic!("{v}: {e:?}"));
        if let Err(diff) = equivalent(v, &back) {
            panic!("{v} came back as {back}: {diff}");
        }
    }
    for v in invalid {
        match round_trip::<T>(v) {
            Err(Failure::Deserialize(_)) => {}
            other => panic!("{v} was not rejected: {other:?}"),
        }
    }
}

#[test]
fn objects() {
    check::<objects::Profile>(
        &[
            json!({"name": "Ann", "address": {"city": "Oslo"}}),
            json!({"name": "Ann", "nickname": "A", "middle": null, "type": "admin",
                   "address": {"city": "Oslo", "zip": "0150"},
                   "scores": {"math": 1.5}, "labels": {"team": "blue"},
                   "unknown": {"kept": [1, 2]}}),
        ],
        &[
            json!({"address": {"city": "Oslo"}}),
            json!({"name": "Ann", "address": {"city": "Oslo", "street": "x"}}),
            json!({"name": "Ann", "address": {"city": "Oslo"}, "labels": {"Team": "blue"}}),
            json!({"name": 5, "address": {"city": "Oslo"}}),
        ],
    );
    // Absent and nullable comes back as null (the schema allows it).
    let back = round_trip::<objects::Profile>(&json!({"name": "Ann", "address": {"city": "Oslo"}}))
        .unwrap();
    assert_eq!(back["middle"], Value::Null);
    assert!(back.get("nickname").is_none());
}

#[test]
fn enums() {
    check::<enums::Settings>(
        &[
            json!({"level": "very-high"}),
            json!({"level": "low", "mode": null, "kind": "settings", "theme": "dark", "flag": true}),
        ],
        &[
            json!({"level": "medium"}),
            json!({"level": "low", "kind": "other"}),
            json!({"level": "low", "theme": "grey"}),
        ],
    );
    assert_eq!(
        serde_json::to_value(enums::SettingsLevel::VeryHigh).unwrap(),
        json!("very-high")
    );
}

#[test]
fn tagged_unions() {
    check::<tagged::Shape>(
        &[
            json!({"kind": "circle", "radius": 1.5}),
            json!({"kind": "rectangle", "width": 2, "height": 3, "note": "kept"}),
            json!({"kind": "point"}),
        ],
        &[
            json!({"kind": "circle", "radius": 0}),
            json!({"kind": "circle", "radius": 1, "extra": true}),
            json!({"kind": "triangle"}),
            json!({"radius": 1}),
        ],
    );
}

#[test]
fn untagged_unions() {
    check::<untagged::NullableCell>(
        &[
            json!(null),
            json!(true),
            json!(7),
            json!(7.5),
            json!("text"),
            json!(["a", "b"]),
            json!({"id": 3}),
            json!({"id": "not a number", "name": "n"}),
            json!({}),
        ],
        &[json!([1, 2])],
    );
    let id: untagged::NullableCell = serde_json::from_value(json!({"id": 3})).unwrap();
    assert!(matches!(id, Some(untagged::Cell::Object2(_))));
    let seven: untagged::NullableCell = serde_json::from_value(json!(7)).unwrap();
    assert_eq!(seven, Some(untagged::Cell::Integer(7)));
}

#[test]
fn all_of_merges() {
    check::<all_of::Employee>(
        &[json!({"name": "Bo", "employee_id": 4, "email": "bo@example.com"})],
        &[
            json!({"name": "Bo"}),
            json!({"name": "Bo", "employee_id": 0}),
        ],
    );
}

#[test]
fn recursive_refs() {
    check::<refs::Tree>(
        &[json!({"root": {"value": "a", "parent": {"value": "p"},
                          "children": [{"value": "b", "children": []}]}})],
        &[json!({"root": {"value": "a", "children": [{"parent": {}}]}})],
    );
}

#[test]
fn scalars() {
    let valid = json!({
        "id": "6f1c0f2a-2b6e-4c44-9d2a-0a3e5f1b7c9d", "at": "2024-05-01T10:00:00Z",
        "on": "2024-05-01", "sensor": 255, "percent": 100, "offset": -40, "count": 0,
        "code": "AB", "tags": ["x"], "ratio": 0.5, "value": 3, "url": "https://example.com",
        "mail": "ops@example.com", "v4": "192.0.2.1", "v6": "2001:db8::1"
    });
    let with = |key: &str, value: Value| {
        let mut v = valid.clone();
        v[key] = value;
        v
    };
    check::<scalars::Reading>(
        &[
            valid.clone(),
            with("value", json!("three")),
            with("url", json!("urn:isbn:0451450523")),
            with("v6", json!("::ffff:192.0.2.1")),
        ],
        &[
            with("id", json!("not-a-uuid")),
            with("url", json!("/relative/path")),
            with("url", json!("https://exa mple.com")),
            with("mail", json!("ops.example.com")),
            with("v4", json!("192.0.2.256")),
            with("v4", json!("2001:db8::1")),
            with("v6", json!("2001:db8:::1")),
            with("at", json!("yesterday")),
            with("on", json!("2024-13-01")),
            with("sensor", json!(256)),
            with("percent", json!(101)),
            with("offset", json!(40)),
            with("count", json!(-1)),
            with("code", json!("abc")),
            with("code", json!("ABCDE")),
            with("tags", json!([])),
            with("tags", json!(["x", "x"])),
            with("ratio", json!(1.5)),
        ],
    );
    assert!(scalars::ReadingPercent::new(101).is_err());
    assert_eq!(scalars::ReadingPercent::new(42).map(|p| *p.get()), Ok(42));
}

#[test]
fn a_folder_with_references_between_files() {
    let money = json!({"amount": "12.50", "currency": "EUR"});
    let valid = json!({
        "id": "5f0c6a4e-8d1b-4a53-9a8c-2b1e3f4d5c6b",
        "total": money,
        "lines": [{"sku": "ABC-1", "quantity": 2, "price": {"amount": "6.25", "currency": "EUR"}}],
        "customer": {"name": "Ann", "email": "ann@example.com", "money": "NOK"},
        "note": "leave at the door"
    });
    let with = |pointer: &str, value: Value| {
        let mut v = valid.clone();
        *v.pointer_mut(pointer).unwrap() = value;
        v
    };
    check::<json_folder::Order>(
        std::slice::from_ref(&valid),
        &[
            with("/total/currency", json!("GBP")),
            with("/total/amount", json!("12,50")),
            with("/lines/0/quantity", json!(0)),
            with("/lines/0/sku", json!("abc-1")),
            with("/customer/name", json!("")),
            with("/customer/money", json!("SEK")),
            with("/note", json!("x".repeat(201))),
            with("/id", json!("not-a-uuid")),
        ],
    );
    // The file outside the folder has a module of its own.
    let _: Option<json_folder::customer::Customer> = None;
}
