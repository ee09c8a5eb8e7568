//! One test per rule of the difference engine, on small hand-written schemas.

use super::*;
use crate::schema::{Dependency, SchemaType};

fn schema(text: &str) -> JsonSchema {
    JsonSchema::parse(text, &[]).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Confluent's difference list from `old` to `new`, sorted, as `TYPE path`.
fn diffs(old: &str, new: &str) -> Vec<String> {
    let mut out: Vec<String> = differences(&schema(old), &schema(new), JsonPolicy::Strict)
        .iter()
        .map(ToString::to_string)
        .collect();
    out.sort();
    out
}

/// Whether `new` may follow `old` (new reads what old wrote) under `policy`.
fn ok_under(old: &str, new: &str, policy: JsonPolicy) -> bool {
    check(&schema(new), &schema(old), policy).is_empty()
}

fn ok(old: &str, new: &str) -> bool {
    ok_under(old, new, JsonPolicy::Strict)
}

#[test]
fn names_round_trip() {
    for d in DifferenceType::ALL {
        assert_eq!(d.as_str().parse::<DifferenceType>(), Ok(*d));
        assert_eq!(d.to_string(), d.as_str());
    }
    assert!("NOT_A_TYPE".parse::<DifferenceType>().is_err());
    assert_eq!(DifferenceType::ALL.len(), 132);
}

#[test]
fn identical_schemas_have_no_incompatibility() {
    let text =
        r#"{"type":"object","properties":{"a":{"type":"string","maxLength":3}},"required":["a"]}"#;
    assert!(diffs(text, text).is_empty());
}

#[test]
fn type_changes() {
    assert_eq!(
        diffs(r#"{"type":"string"}"#, r#"{"type":"number"}"#),
        ["TYPE_CHANGED #/"]
    );
    assert!(!ok(r#"{"type":"string"}"#, r#"{"type":"number"}"#));
    // integer to number widens; number to integer narrows.
    assert_eq!(
        diffs(r#"{"type":"integer"}"#, r#"{"type":"number"}"#),
        ["TYPE_EXTENDED #/"]
    );
    assert!(ok(r#"{"type":"integer"}"#, r#"{"type":"number"}"#));
    assert_eq!(
        diffs(r#"{"type":"number"}"#, r#"{"type":"integer"}"#),
        ["TYPE_NARROWED #/"]
    );
    assert!(!ok(r#"{"type":"number"}"#, r#"{"type":"integer"}"#));
}

#[test]
fn type_arrays_are_sums() {
    assert_eq!(
        diffs(r#"{"type":["string"]}"#, r#"{"type":["string","null"]}"#),
        ["SUM_TYPE_EXTENDED #/"]
    );
    assert!(ok(r#"{"type":"string"}"#, r#"{"type":["null","string"]}"#));
    assert!(!ok(
        r#"{"type":["string","null"]}"#,
        r#"{"type":["string"]}"#
    ));
}

#[test]
fn true_false_and_empty_schemas() {
    // Anything may become a schema that accepts everything.
    assert!(ok(r#"{"type":"string","maxLength":2}"#, "{}"));
    assert!(ok(r#"{"type":"string"}"#, "true"));
    // Nothing was written under `false`, so anything may follow it.
    assert!(ok("false", r#"{"type":"string"}"#));
    // But `{}` becoming a typed schema narrows it.
    assert!(!ok("{}", r#"{"properties":{}}"#));
    assert!(!ok("true", "false"));
}

#[test]
fn property_added_to_open_model() {
    let old = r#"{"type":"object","properties":{"a":{"type":"string"}}}"#;
    let new =
        r#"{"type":"object","properties":{"a":{"type":"string"},"coupon":{"type":"string"}}}"#;
    assert_eq!(
        diffs(old, new),
        ["OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/coupon"]
    );
    assert!(!ok(old, new));
    assert!(ok_under(old, new, JsonPolicy::Lenient));
    let findings = check(&schema(new), &schema(old), JsonPolicy::Strict);
    assert_eq!(
        findings[0].message,
        "property 'coupon' was added to an open content model; old data may carry it with any value"
    );
    assert_eq!(findings[0].location, "#/properties/coupon");
    assert_eq!(findings[0].reader_location, "/properties/coupon");
    assert_eq!(findings[0].writer_location, "/properties/coupon");
    // A property that accepts anything is fine even there.
    assert!(ok(
        old,
        r#"{"type":"object","properties":{"a":{"type":"string"},"b":{}}}"#
    ));
    // Required additions stay incompatible under the lenient policy.
    let required = r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}},"required":["b"]}"#;
    assert_eq!(
        diffs(old, required),
        ["REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/b"]
    );
    assert!(!ok_under(old, required, JsonPolicy::Lenient));
}

#[test]
fn property_added_to_closed_model() {
    let old = r#"{"properties":{"a":{"type":"string"}},"additionalProperties":false}"#;
    let optional = r#"{"properties":{"a":{"type":"string"},"b":{"type":"string"}},"additionalProperties":false}"#;
    assert_eq!(
        diffs(old, optional),
        ["OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/b"]
    );
    assert!(ok(old, optional));
    let required = r#"{"properties":{"a":{"type":"string"},"b":{"type":"string"}},"required":["b"],"additionalProperties":false}"#;
    assert!(!ok(old, required));
    let finding = &check(&schema(required), &schema(old), JsonPolicy::Strict)[0];
    assert_eq!(
        finding.kind,
        IncompatibilityKind::Json(D::RequiredPropertyAddedToUnopenContentModel)
    );
    assert!(finding.message.contains("'b'"), "{}", finding.message);
    let with_default = r#"{"properties":{"a":{"type":"string"},"b":{"type":"string","default":"x"}},
                           "required":["b"],"additionalProperties":false}"#;
    assert!(ok(old, with_default));
}

#[test]
fn property_removed() {
    let open = r#"{"properties":{"a":{"type":"string"},"b":{"type":"string"}}}"#;
    assert_eq!(
        diffs(open, r#"{"properties":{"a":{"type":"string"}}}"#),
        ["PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL #/properties/b"]
    );
    assert!(ok(open, r#"{"properties":{"a":{"type":"string"}}}"#));
    let closed = r#"{"properties":{"a":{"type":"string"},"b":{"type":"string"}},"additionalProperties":false}"#;
    let smaller = r#"{"properties":{"a":{"type":"string"}},"additionalProperties":false}"#;
    assert_eq!(
        diffs(closed, smaller),
        ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/b"]
    );
    assert!(!ok(closed, smaller));
    assert!(ok_under(closed, smaller, JsonPolicy::Lenient));
    // Removing a property that could never be present is fine.
    let with_false =
        r#"{"properties":{"a":{"type":"string"},"b":false},"additionalProperties":false}"#;
    assert!(ok(with_false, smaller));
}

#[test]
fn partially_open_models() {
    let old = r#"{"properties":{"a":{"type":"string"}},"additionalProperties":{"type":"string"}}"#;
    let covered = r#"{"properties":{"a":{"type":"string"},"b":{"type":"string"}},"additionalProperties":{"type":"string"}}"#;
    assert!(ok(old, covered));
    let not_covered = r#"{"properties":{"a":{"type":"string"},"b":{"type":"number"}},"additionalProperties":{"type":"string"}}"#;
    assert_eq!(
        diffs(old, not_covered),
        [
            "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/b",
            "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/b",
            "TYPE_CHANGED #/properties/b",
        ]
    );
    // patternProperties decide first.
    let patterned =
        r#"{"properties":{"a":{"type":"string"}},"patternProperties":{"^n_":{"type":"number"}}}"#;
    assert!(ok(
        patterned,
        r#"{"properties":{"a":{"type":"string"},"n_x":{"type":"number"}},"patternProperties":{"^n_":{"type":"number"}}}"#
    ));
    assert!(!ok(
        patterned,
        r#"{"properties":{"a":{"type":"string"},"n_x":{"type":"string"}},"patternProperties":{"^n_":{"type":"number"}}}"#
    ));
}

#[test]
fn additional_properties() {
    assert!(ok(
        r#"{"additionalProperties":false}"#,
        r#"{"additionalProperties":true}"#
    ));
    assert_eq!(
        diffs(
            r#"{"additionalProperties":true}"#,
            r#"{"additionalProperties":false}"#
        ),
        ["ADDITIONAL_PROPERTIES_REMOVED #/additionalProperties"]
    );
    assert!(!ok(
        r#"{"additionalProperties":true}"#,
        r#"{"additionalProperties":{"type":"string"}}"#
    ));
    assert!(ok(
        r#"{"additionalProperties":{"type":"string"}}"#,
        r#"{"additionalProperties":true}"#
    ));
    assert!(!ok(
        r#"{"additionalProperties":{"type":"string"}}"#,
        r#"{"additionalProperties":{"type":"number"}}"#
    ));
}

#[test]
fn unevaluated_properties_close_a_2020_12_model() {
    let head = r#""$schema":"https://json-schema.org/draft/2020-12/schema""#;
    let old = format!(
        r#"{{{head},"properties":{{"a":{{"type":"string"}}}},"unevaluatedProperties":false}}"#
    );
    let new = format!(
        r#"{{{head},"properties":{{"a":{{"type":"string"}},"b":{{"type":"string"}}}},"unevaluatedProperties":false}}"#
    );
    assert!(ok(&old, &new));
    let opened = format!(r#"{{{head},"properties":{{"a":{{"type":"string"}}}}}}"#);
    assert!(ok(&old, &opened));
    assert!(!ok(&opened, &old));
}

#[test]
fn required() {
    let old = r#"{"properties":{"a":{"type":"string"}}}"#;
    let new = r#"{"properties":{"a":{"type":"string"}},"required":["a"]}"#;
    assert_eq!(diffs(old, new), ["REQUIRED_ATTRIBUTE_ADDED #/required/a"]);
    assert!(!ok(old, new));
    assert_eq!(diffs(new, old), ["REQUIRED_ATTRIBUTE_REMOVED #/required/a"]);
    assert!(ok(new, old));
    let with_default = r#"{"properties":{"a":{"type":"string","default":""}},"required":["a"]}"#;
    assert!(ok(
        r#"{"properties":{"a":{"type":"string","default":""}}}"#,
        with_default
    ));
}

#[test]
fn enums_and_const() {
    assert_eq!(
        diffs(r#"{"enum":["a"]}"#, r#"{"enum":["a","b"]}"#),
        ["ENUM_ARRAY_EXTENDED #/enum"]
    );
    assert!(ok(r#"{"enum":["a"]}"#, r#"{"enum":["b","a"]}"#));
    assert_eq!(
        diffs(r#"{"enum":["a","b"]}"#, r#"{"enum":["a"]}"#),
        ["ENUM_ARRAY_NARROWED #/enum"]
    );
    assert!(!ok(r#"{"enum":["a","b"]}"#, r#"{"enum":["a"]}"#));
    assert!(!ok(r#"{"enum":["a","b"]}"#, r#"{"enum":["a","c"]}"#));
    assert!(diffs(r#"{"enum":["a","b"]}"#, r#"{"enum":["b","a"]}"#).is_empty());
    assert_eq!(
        diffs(r#"{"const":1}"#, r#"{"const":2}"#),
        ["ENUM_ARRAY_CHANGED #/const"]
    );
    // Dropping an enum next to a type keeps the type.
    assert!(ok(
        r#"{"type":"string","enum":["a"]}"#,
        r#"{"type":"string"}"#
    ));
}

#[test]
fn numeric_bounds() {
    let n = |keyword: &str, value: &str| format!(r#"{{"type":"number","{keyword}":{value}}}"#);
    for (keyword, old, new, expected, compatible) in [
        ("maximum", "5", "6", "MAXIMUM_INCREASED", true),
        ("maximum", "5", "4", "MAXIMUM_DECREASED", false),
        ("minimum", "5", "4", "MINIMUM_DECREASED", true),
        ("minimum", "5", "6", "MINIMUM_INCREASED", false),
        (
            "exclusiveMaximum",
            "5",
            "6",
            "EXCLUSIVE_MAXIMUM_INCREASED",
            true,
        ),
        (
            "exclusiveMaximum",
            "5",
            "4",
            "EXCLUSIVE_MAXIMUM_DECREASED",
            false,
        ),
        (
            "exclusiveMinimum",
            "5",
            "4",
            "EXCLUSIVE_MINIMUM_DECREASED",
            true,
        ),
        (
            "exclusiveMinimum",
            "5",
            "6",
            "EXCLUSIVE_MINIMUM_INCREASED",
            false,
        ),
        ("multipleOf", "4", "2", "MULTIPLE_OF_REDUCED", true),
        ("multipleOf", "2", "4", "MULTIPLE_OF_EXPANDED", false),
        ("multipleOf", "0.5", "10", "MULTIPLE_OF_EXPANDED", false),
        ("multipleOf", "2", "3", "MULTIPLE_OF_CHANGED", false),
    ] {
        let (old, new) = (n(keyword, old), n(keyword, new));
        assert_eq!(
            diffs(&old, &new),
            [format!("{expected} #/{keyword}")],
            "{old} -> {new}"
        );
        assert_eq!(ok(&old, &new), compatible, "{old} -> {new}");
    }
    assert_eq!(
        diffs(r#"{"type":"number"}"#, r#"{"type":"number","maximum":1}"#),
        ["MAXIMUM_ADDED #/maximum"]
    );
    assert!(ok(
        r#"{"type":"number","minimum":1}"#,
        r#"{"type":"number"}"#
    ));
    assert!(diffs(r#"{"multipleOf":0.5}"#, r#"{"multipleOf":0.50}"#).is_empty());
}

#[test]
fn string_bounds() {
    assert!(ok(
        r#"{"type":"string","maxLength":3}"#,
        r#"{"type":"string","maxLength":4}"#
    ));
    assert!(!ok(
        r#"{"type":"string","maxLength":3}"#,
        r#"{"type":"string","maxLength":2}"#
    ));
    assert!(!ok(
        r#"{"type":"string"}"#,
        r#"{"type":"string","maxLength":2}"#
    ));
    assert!(ok(
        r#"{"type":"string","minLength":3}"#,
        r#"{"type":"string","minLength":2}"#
    ));
    assert!(!ok(
        r#"{"type":"string","minLength":3}"#,
        r#"{"type":"string","minLength":4}"#
    ));
    assert_eq!(
        diffs(
            r#"{"type":"string"}"#,
            r#"{"type":"string","pattern":"^a"}"#
        ),
        ["PATTERN_ADDED #/pattern"]
    );
    assert!(!ok(
        r#"{"type":"string","pattern":"^a"}"#,
        r#"{"type":"string","pattern":"^b"}"#
    ));
    assert!(ok(
        r#"{"type":"string","pattern":"^a"}"#,
        r#"{"type":"string"}"#
    ));
    // Like Confluent, `format` is not compared.
    assert!(
        diffs(
            r#"{"type":"string"}"#,
            r#"{"type":"string","format":"email"}"#
        )
        .is_empty()
    );
}

#[test]
fn arrays() {
    assert_eq!(
        diffs(
            r#"{"type":"array"}"#,
            r#"{"type":"array","items":{"type":"string"}}"#
        ),
        ["SCHEMA_ADDED #/items"]
    );
    assert!(!ok(
        r#"{"type":"array"}"#,
        r#"{"type":"array","items":{"type":"string"}}"#
    ));
    assert!(ok(
        r#"{"type":"array","items":{"type":"string"}}"#,
        r#"{"type":"array"}"#
    ));
    assert!(!ok(
        r#"{"type":"array","items":{"type":"string"}}"#,
        r#"{"type":"array","items":{"type":"number"}}"#
    ));
    assert!(ok(
        r#"{"type":"array","minItems":2}"#,
        r#"{"type":"array","minItems":1}"#
    ));
    assert!(!ok(
        r#"{"type":"array","maxItems":2}"#,
        r#"{"type":"array","maxItems":1}"#
    ));
    assert_eq!(
        diffs(
            r#"{"type":"array"}"#,
            r#"{"type":"array","uniqueItems":true}"#
        ),
        ["UNIQUE_ITEMS_ADDED #/uniqueItems"]
    );
    assert!(!ok(
        r#"{"type":"array"}"#,
        r#"{"type":"array","uniqueItems":true}"#
    ));
    assert!(ok(
        r#"{"type":"array","uniqueItems":true}"#,
        r#"{"type":"array"}"#
    ));
}

#[test]
fn tuples() {
    let open = r#"{"type":"array","items":[{"type":"string"}]}"#;
    let open2 = r#"{"type":"array","items":[{"type":"string"},{"type":"number"}]}"#;
    assert_eq!(
        diffs(open, open2),
        ["ITEM_ADDED_TO_OPEN_CONTENT_MODEL #/items/1"]
    );
    assert!(!ok(open, open2));
    assert!(ok(open2, open));
    let closed = r#"{"type":"array","items":[{"type":"string"}],"additionalItems":false}"#;
    let closed2 =
        r#"{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":false}"#;
    assert!(ok(closed, closed2));
    assert_eq!(
        diffs(closed2, closed),
        ["ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL #/items/1"]
    );
    assert!(!ok(closed2, closed));
    let partial =
        r#"{"type":"array","items":[{"type":"string"}],"additionalItems":{"type":"number"}}"#;
    assert!(ok(
        partial,
        r#"{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":{"type":"number"}}"#
    ));
    assert!(!ok(
        partial,
        r#"{"type":"array","items":[{"type":"string"},{"type":"string"}],"additionalItems":{"type":"number"}}"#
    ));
    assert!(!ok(
        r#"{"additionalItems":true}"#,
        r#"{"additionalItems":false}"#
    ));
    assert!(!ok(
        r#"{"additionalItems":true}"#,
        r#"{"additionalItems":{"type":"string"}}"#
    ));
}

#[test]
fn prefix_items_in_2020_12() {
    let head = r#""$schema":"https://json-schema.org/draft/2020-12/schema","type":"array""#;
    let old = format!(r#"{{{head},"prefixItems":[{{"type":"string"}}],"items":false}}"#);
    let new = format!(
        r#"{{{head},"prefixItems":[{{"type":"string"}},{{"type":"number"}}],"items":false}}"#
    );
    assert_eq!(
        diffs(&old, &new),
        ["ITEM_ADDED_TO_CLOSED_CONTENT_MODEL #/items/1"]
    );
    assert!(ok(&old, &new));
    assert!(!ok(&new, &old));
    let contains =
        |n: u32| format!(r#"{{{head},"contains":{{"type":"number"}},"minContains":{n}}}"#);
    assert!(!ok(&contains(1), &contains(2)));
    assert!(ok(&contains(2), &contains(1)));
}

#[test]
fn object_sizes() {
    assert!(ok(r#"{"maxProperties":1}"#, r#"{"maxProperties":2}"#));
    assert!(!ok(r#"{"maxProperties":2}"#, r#"{"maxProperties":1}"#));
    assert!(ok(r#"{"minProperties":2}"#, r#"{"minProperties":1}"#));
    assert!(!ok(r#"{"minProperties":1}"#, r#"{"minProperties":2}"#));
}

#[test]
fn dependencies() {
    let deps =
        |d: &str| format!(r#"{{"properties":{{"a":{{}},"b":{{}},"c":{{}}}},"dependencies":{d}}}"#);
    assert_eq!(
        diffs(&deps(r#"{"a":["b"]}"#), &deps(r#"{"a":["b","c"]}"#)),
        ["DEPENDENCY_ARRAY_EXTENDED #/dependencies/a"]
    );
    assert!(!ok(&deps(r#"{"a":["b"]}"#), &deps(r#"{"a":["b","c"]}"#)));
    assert!(ok(&deps(r#"{"a":["b","c"]}"#), &deps(r#"{"a":["b"]}"#)));
    assert!(ok(&deps(r#"{"a":["b"]}"#), &deps("{}")));
    assert!(!ok(&deps("{}"), &deps(r#"{"a":["b"]}"#)));
    assert!(!ok(
        &deps(r#"{"a":{"maxProperties":3}}"#),
        &deps(r#"{"a":{"maxProperties":2}}"#)
    ));
    assert!(!ok(&deps("{}"), &deps(r#"{"a":{"maxProperties":3}}"#)));
    assert!(ok(&deps(r#"{"a":{"maxProperties":3}}"#), &deps("{}")));
    let head = r#""$schema":"https://json-schema.org/draft/2020-12/schema""#;
    let old = format!(r#"{{{head},"dependentRequired":{{"a":["b"]}}}}"#);
    let new = format!(r#"{{{head},"dependentRequired":{{"a":["b","c"]}}}}"#);
    assert_eq!(
        diffs(&old, &new),
        ["DEPENDENCY_ARRAY_EXTENDED #/dependencies/a"]
    );
}

#[test]
fn combined_schemas() {
    let one = r#"{"oneOf":[{"type":"string"}]}"#;
    let two = r#"{"oneOf":[{"type":"string"},{"type":"number"}]}"#;
    assert_eq!(diffs(one, two), ["SUM_TYPE_EXTENDED #/"]);
    assert!(ok(one, two));
    assert_eq!(diffs(two, one), ["SUM_TYPE_NARROWED #/"]);
    assert!(!ok(two, one));
    // A plain schema may become a sum that contains it.
    assert!(ok(r#"{"type":"string","maxLength":3}"#, two));
    assert!(!ok(r#"{"type":"boolean"}"#, two));
    // allOf gaining members constrains more.
    assert!(!ok(
        r#"{"allOf":[{"type":"string"}]}"#,
        r#"{"allOf":[{"type":"string"},{"maxLength":3}]}"#
    ));
    assert!(ok(
        r#"{"allOf":[{"type":"string"},{"maxLength":3}]}"#,
        r#"{"allOf":[{"maxLength":3},{"type":"string"}]}"#
    ));
    // Criterion changes.
    assert_eq!(
        diffs(one, r#"{"anyOf":[{"type":"string"}]}"#),
        ["COMBINED_TYPE_EXTENDED #/"]
    );
    assert!(!ok(
        r#"{"anyOf":[{"type":"string"},{"type":"number"}]}"#,
        r#"{"allOf":[{"type":"string"},{"type":"number"}]}"#
    ));
    // Members are matched, not compared by position.
    assert!(ok(
        r#"{"oneOf":[{"type":"string"},{"type":"number","maximum":3}]}"#,
        r#"{"oneOf":[{"type":"number","maximum":5},{"type":"string"}]}"#
    ));
    assert_eq!(
        diffs(
            r#"{"oneOf":[{"type":"string"},{"type":"number"}]}"#,
            r#"{"oneOf":[{"type":"string"},{"type":"boolean"}]}"#
        ),
        ["COMBINED_TYPE_SUBSCHEMAS_CHANGED #/"]
    );
}

#[test]
fn not() {
    assert_eq!(
        diffs(
            r#"{"not":{"type":"integer"}}"#,
            r#"{"not":{"type":"number"}}"#
        ),
        ["NOT_TYPE_EXTENDED #/not"]
    );
    assert!(!ok(
        r#"{"not":{"type":"integer"}}"#,
        r#"{"not":{"type":"number"}}"#
    ));
    assert!(ok(
        r#"{"not":{"type":"number"}}"#,
        r#"{"not":{"type":"integer"}}"#
    ));
}

#[test]
fn local_references() {
    let old = r##"{"properties":{"a":{"$ref":"#/definitions/t"}},"definitions":{"t":{"type":"string"}}}"##;
    let new = r##"{"properties":{"a":{"$ref":"#/definitions/t"}},"definitions":{"t":{"type":"number"}}}"##;
    assert_eq!(diffs(old, new), ["TYPE_CHANGED #/properties/a"]);
    let finding = &check(&schema(new), &schema(old), JsonPolicy::Strict)[0];
    assert_eq!(finding.reader_location, "/definitions/t");
    assert_eq!(
        finding.message,
        "type of property 'a' changed from string to number"
    );
    // Moving into a definition changes nothing.
    assert!(diffs(r#"{"properties":{"a":{"type":"string"}}}"#, old).is_empty());
}

#[test]
fn references_to_other_schemas() {
    let dep = |schema: &str| Dependency {
        name: "t.json".into(),
        schema_type: SchemaType::Json,
        schema: schema.into(),
    };
    let text = r#"{"properties":{"a":{"$ref":"t.json"}}}"#;
    let old = JsonSchema::parse(text, &[dep(r#"{"type":"string"}"#)]).unwrap();
    let new = JsonSchema::parse(text, &[dep(r#"{"type":"number"}"#)]).unwrap();
    let findings = check(&new, &old, JsonPolicy::Strict);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].location, "#/properties/a");
    assert_eq!(findings[0].reader_location, "t.json#");
    let widened = JsonSchema::parse(text, &[dep(r#"{"type":["string","null"]}"#)]).unwrap();
    assert!(check(&widened, &old, JsonPolicy::Strict).is_empty());
}

const TREE: &str = r##"{"$ref":"#/definitions/node","definitions":{"node":{"type":"object","properties":{
    "value":{"type":"VALUE"},"children":{"type":"array","items":{"$ref":"#/definitions/node"}}}}}}"##;

#[test]
fn recursive_schemas_terminate_and_still_see_changes() {
    let string = TREE.replace("VALUE", "string");
    assert!(diffs(&string, &string).is_empty());
    assert!(ok(
        &TREE.replace("VALUE", "integer"),
        &TREE.replace("VALUE", "number")
    ));
    assert_eq!(
        diffs(&string, &TREE.replace("VALUE", "number")),
        ["TYPE_CHANGED #/properties/value"]
    );
}

/// `root` is `oneOf[T0, T1]`; each `Ti` has an `id` and a `ref` to a singleton
/// `oneOf` of another type, with `T0 -> T2 -> T0` a cycle. The change to `T0.id`
/// sits behind the cycle; a memoized round that assumed the cycle compatible must
/// not hide it.
fn cyclic(t0_id: &str, t1_id: &str) -> String {
    let object = |id: &str, target: &str| {
        format!(
            r##"{{"type":"object","additionalProperties":true,"properties":{{"id":{{"type":"{id}"}},
                 "ref":{{"oneOf":[{{"$ref":"#/definitions/{target}"}}]}}}}}}"##
        )
    };
    format!(
        r##"{{"type":"object","additionalProperties":true,
             "definitions":{{"T0":{},"T1":{},"T2":{}}},
             "properties":{{"root":{{"oneOf":[{{"$ref":"#/definitions/T0"}},{{"$ref":"#/definitions/T1"}}]}}}}}}"##,
        object(t0_id, "T2"),
        object(t1_id, "T2"),
        object("integer", "T0")
    )
}

#[test]
fn recursion_does_not_mask_incompatibility() {
    assert!(ok(
        &cyclic("integer", "boolean"),
        &cyclic("integer", "boolean")
    ));
    assert!(!ok(
        &cyclic("integer", "boolean"),
        &cyclic("boolean", "number")
    ));
}

#[test]
fn long_reference_chains_do_not_overflow() {
    let chain = |last: &str| {
        let mut defs = Vec::new();
        for i in 0..2_000 {
            defs.push(format!(
                r##""d{i}":{{"properties":{{"n":{{"$ref":"#/definitions/d{}"}}}}}}"##,
                i + 1
            ));
        }
        defs.push(format!(r#""d2000":{{"type":"{last}"}}"#));
        format!(
            r##"{{"$ref":"#/definitions/d0","definitions":{{{}}}}}"##,
            defs.join(",")
        )
    };
    let string = chain("string");
    assert!(ok(&string, &string));
    // Too deep to follow: a change is reported rather than missed.
    assert!(!ok(&string, &chain("number")));
}

#[test]
fn connect_bytes_decimals_may_change_json_type() {
    let s = |t: &str| {
        format!(
            r#"{{"type":"{t}","connect.type":"bytes","title":"org.apache.kafka.connect.data.Decimal"}}"#
        )
    };
    assert!(diffs(&s("string"), &s("number")).is_empty());
    assert!(!ok(r#"{"type":"string"}"#, r#"{"type":"number"}"#));
}

#[test]
fn annotations_are_compatible() {
    assert_eq!(
        diffs(r#"{"title":"a"}"#, r#"{"title":"b"}"#),
        ["TITLE_CHANGED #/"]
    );
    assert!(ok(
        r#"{"description":"a","default":1}"#,
        r#"{"description":"b","default":2}"#
    ));
}
