//! JSON Schema: parsing, validation against the draft's meta-schema, and the
//! canonical and normalized texts.
//!
//! A schema is accepted when
//!
//! 1. it is JSON that nests at most 128 levels deep (serde_json's recursion limit,
//!    which is also what keeps every later walk over the document off the stack's edge);
//! 2. its `$schema` names draft 4, 6, 7, 2019-09 or 2020-12 (draft 7 when absent);
//! 3. it is valid under that draft's meta-schema;
//! 4. every `$ref` resolves: a local one to a location inside the document, any
//!    other one to a referenced schema, by the reference name the client registered
//!    it under (optionally followed by a `#/fragment`).
//!
//! Compatibility lives in [`compat`]; it follows Confluent's JSON Schema
//! difference engine.

pub mod compat;
mod diff;
mod model;
pub mod refs;

pub use compat::DifferenceType;

use std::fmt;

use serde_json::{Map, Value};

use crate::error::{SchemaError, SchemaErrorKind};
use crate::schema::{Dependency, SchemaType};

/// The JSON Schema drafts this registry understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Draft {
    /// Draft 4 (`http://json-schema.org/draft-04/schema#`).
    Draft4,
    /// Draft 6 (`http://json-schema.org/draft-06/schema#`).
    Draft6,
    /// Draft 7 (`http://json-schema.org/draft-07/schema#`); the default.
    Draft7,
    /// Draft 2019-09 (`https://json-schema.org/draft/2019-09/schema`).
    Draft201909,
    /// Draft 2020-12 (`https://json-schema.org/draft/2020-12/schema`).
    Draft202012,
}

impl Draft {
    /// Recognises a `$schema` URI. Scheme (`http`/`https`) and a trailing `#`
    /// do not matter.
    pub fn from_uri(uri: &str) -> Option<Draft> {
        let rest = uri
            .strip_prefix("https://")
            .or_else(|| uri.strip_prefix("http://"))?;
        let rest = rest.trim_end_matches('#');
        match rest {
            "json-schema.org/draft-04/schema" => Some(Draft::Draft4),
            "json-schema.org/draft-06/schema" => Some(Draft::Draft6),
            "json-schema.org/draft-07/schema" => Some(Draft::Draft7),
            "json-schema.org/draft/2019-09/schema" => Some(Draft::Draft201909),
            "json-schema.org/draft/2020-12/schema" => Some(Draft::Draft202012),
            _ => None,
        }
    }

    /// The draft a document declares through its root `$schema`; draft 7 when
    /// absent (also for the boolean schemas `true` and `false`).
    fn of_document(doc: &Value) -> Result<Draft, SchemaError> {
        let Some(declared) = doc.as_object().and_then(|o| o.get("$schema")) else {
            return Ok(Draft::Draft7);
        };
        let Some(uri) = declared.as_str() else {
            return Err(SchemaError::invalid(
                "/$schema",
                "'$schema' must be a string naming a JSON Schema draft",
            ));
        };
        Draft::from_uri(uri).ok_or_else(|| {
            SchemaError::invalid(
                "/$schema",
                format!(
                    "unknown '$schema' '{uri}' (supported: draft-04, draft-06, draft-07, 2019-09 and 2020-12)"
                ),
            )
        })
    }

    /// Whether this draft is one of the newer vocabularies-based ones (2019-09 or later).
    pub(crate) fn is_modern(self) -> bool {
        self >= Draft::Draft201909
    }

    fn label(self) -> &'static str {
        match self {
            Draft::Draft4 => "draft-04",
            Draft::Draft6 => "draft-06",
            Draft::Draft7 => "draft-07",
            Draft::Draft201909 => "draft 2019-09",
            Draft::Draft202012 => "draft 2020-12",
        }
    }
}

impl fmt::Display for Draft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One parsed JSON document: the schema itself or one it references.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Document {
    /// The reference name (`""` for the schema itself).
    pub(crate) name: String,
    /// The parsed text.
    pub(crate) value: Value,
    /// Its draft.
    pub(crate) draft: Draft,
}

/// A parsed, validated JSON Schema with the documents it references.
#[derive(Debug, Clone)]
pub struct JsonSchema {
    /// `docs[0]` is the schema itself; the rest are its dependencies in the order given.
    docs: Vec<Document>,
}

impl JsonSchema {
    /// Parses and validates `text`; `deps` are referenced schemas in dependency order.
    ///
    /// Errors carry a JSON pointer to the offending keyword.
    pub fn parse(text: &str, deps: &[Dependency]) -> Result<JsonSchema, SchemaError> {
        let value = parse_json(text, "")?;
        let draft = Draft::of_document(&value)?;
        check_shape(&value)?;
        validate_meta(&value, draft)?;
        let mut docs = vec![Document {
            name: String::new(),
            value,
            draft,
        }];
        for dep in deps {
            if dep.schema_type != SchemaType::Json {
                // Not a JSON document: a `$ref` naming it will fail to resolve below.
                continue;
            }
            let value = parse_json(&dep.schema, &dep.name)?;
            let draft = Draft::of_document(&value).map_err(|e| in_dependency(e, &dep.name))?;
            docs.push(Document {
                name: dep.name.clone(),
                value,
                draft,
            });
        }
        refs::check_all(&docs)?;
        Ok(JsonSchema { docs })
    }

    /// The draft the schema is written in.
    pub fn draft(&self) -> Draft {
        self.docs[0].draft
    }

    /// The parsed schema document.
    pub fn value(&self) -> &Value {
        &self.docs[0].value
    }

    pub(crate) fn documents(&self) -> &[Document] {
        &self.docs
    }

    /// The canonical text; with `normalize`, the normalized text.
    ///
    /// **Canonical** (Confluent's `canonicalString`, Jackson's `toString()` of the
    /// parsed tree): the document re-serialized compactly, with all whitespace and
    /// layout removed and object keys kept in the order written.
    ///
    /// **Normalized** additionally removes differences that cannot change which
    /// documents the schema accepts:
    ///
    /// - keys of every object are sorted (byte order), recursively, including the
    ///   keys of `properties`, `definitions`/`$defs` and of objects inside `enum`,
    ///   `const` and `default` values: JSON objects are unordered, and no keyword
    ///   gives member order a meaning;
    /// - arrays that are sets by definition are sorted: `required`, a `type` array,
    ///   and the arrays of `dependencies`/`dependentRequired`;
    /// - every other array keeps its order. `enum` is a set for validation, but its
    ///   order is what code generators turn into symbol order, so it is kept; `items`,
    ///   `prefixItems`, `allOf`/`anyOf`/`oneOf` keep order because position matters
    ///   (tuples) or because reordering is a visible edit to users.
    ///
    /// Arrays inside `enum`, `const`, `default` and `examples` are data, never sorted.
    pub fn canonical_form(&self, normalize: bool) -> String {
        let value = &self.docs[0].value;
        if normalize {
            normalized(value, false).to_string()
        } else {
            value.to_string()
        }
    }
}

/// Parses JSON text, typing the failures. `name` is the dependency name, empty for
/// the schema itself.
fn parse_json(text: &str, name: &str) -> Result<Value, SchemaError> {
    serde_json::from_str::<Value>(text).map_err(|e| {
        let error = if e.to_string().contains("recursion limit") {
            SchemaError::new(
                SchemaErrorKind::TooLarge,
                "",
                format!(
                    "schema nests deeper than 128 levels (near line {} column {})",
                    e.line(),
                    e.column()
                ),
            )
        } else {
            SchemaError::new(
                SchemaErrorKind::MalformedJson,
                "",
                format!("not valid JSON: {e}"),
            )
        };
        in_dependency(error, name)
    })
}

/// Names the referenced schema an error came from.
fn in_dependency(mut error: SchemaError, name: &str) -> SchemaError {
    if !name.is_empty() {
        error.message = format!("referenced schema '{name}': {}", error.message);
    }
    error
}

/// A schema is an object or a boolean.
fn check_shape(value: &Value) -> Result<(), SchemaError> {
    match value {
        Value::Object(_) | Value::Bool(_) => Ok(()),
        other => Err(SchemaError::invalid(
            "",
            format!(
                "a JSON Schema must be an object or a boolean, not {}",
                json_kind(other)
            ),
        )),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Validates a document against its draft's meta-schema.
fn validate_meta(value: &Value, draft: Draft) -> Result<(), SchemaError> {
    let validator = match draft {
        Draft::Draft4 => jsonschema::draft4::meta::validator(),
        Draft::Draft6 => jsonschema::draft6::meta::validator(),
        Draft::Draft7 => jsonschema::draft7::meta::validator(),
        Draft::Draft201909 => jsonschema::draft201909::meta::validator(),
        Draft::Draft202012 => jsonschema::draft202012::meta::validator(),
    };
    match validator.validate(value) {
        Ok(()) => Ok(()),
        Err(error) => {
            let location = error.instance_path().as_str().to_owned();
            let at = if location.is_empty() {
                "the root".to_owned()
            } else {
                format!("'{location}'")
            };
            Err(SchemaError::invalid(
                location,
                format!("{at} does not conform to the {draft} meta-schema: {error}"),
            ))
        }
    }
}

/// Keywords whose values are data (instances), never schemas: walks over a schema
/// do not descend into them.
pub const DATA_KEYWORDS: [&str; 4] = ["enum", "const", "default", "examples"];

/// The normalized copy of `value` (see [`JsonSchema::canonical_form`]).
fn normalized(value: &Value, in_data: bool) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::with_capacity(map.len());
            for key in keys {
                let child = &map[key.as_str()];
                let child_in_data = in_data || DATA_KEYWORDS.contains(&key.as_str());
                let mut normal = normalized(child, child_in_data);
                if !in_data {
                    match key.as_str() {
                        "required" | "type" => sort_strings(&mut normal),
                        "dependencies" | "dependentRequired" => {
                            if let Value::Object(deps) = &mut normal {
                                deps.values_mut().for_each(sort_strings);
                            }
                        }
                        _ => {}
                    }
                }
                out.insert(key.clone(), normal);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| normalized(v, in_data)).collect()),
        other => other.clone(),
    }
}

/// Sorts an array made only of strings; leaves anything else alone.
fn sort_strings(value: &mut Value) {
    if let Value::Array(items) = value
        && items.iter().all(Value::is_string)
    {
        items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<JsonSchema, SchemaError> {
        JsonSchema::parse(text, &[])
    }

    fn dep(name: &str, schema: &str) -> Dependency {
        Dependency {
            name: name.to_owned(),
            schema_type: SchemaType::Json,
            schema: schema.to_owned(),
        }
    }

    #[test]
    fn detects_drafts() {
        assert_eq!(parse("{}").unwrap().draft(), Draft::Draft7);
        assert_eq!(parse("true").unwrap().draft(), Draft::Draft7);
        let cases = [
            ("http://json-schema.org/draft-04/schema#", Draft::Draft4),
            ("http://json-schema.org/draft-06/schema#", Draft::Draft6),
            ("http://json-schema.org/draft-07/schema", Draft::Draft7),
            (
                "https://json-schema.org/draft/2019-09/schema",
                Draft::Draft201909,
            ),
            (
                "https://json-schema.org/draft/2020-12/schema",
                Draft::Draft202012,
            ),
        ];
        for (uri, draft) in cases {
            let text = format!(r#"{{"$schema":"{uri}","type":"string"}}"#);
            assert_eq!(parse(&text).unwrap().draft(), draft, "{uri}");
        }
    }

    #[test]
    fn unknown_schema_uri_is_an_error() {
        let e = parse(r#"{"$schema":"https://example.com/my-draft","type":"string"}"#).unwrap_err();
        assert_eq!(e.kind, SchemaErrorKind::Invalid);
        assert_eq!(e.location, "/$schema");
        assert!(e.message.contains("https://example.com/my-draft"), "{e}");
    }

    #[test]
    fn malformed_json_is_typed() {
        let e = parse(r#"{"type": "string""#).unwrap_err();
        assert_eq!(e.kind, SchemaErrorKind::MalformedJson);
        let e = parse("").unwrap_err();
        assert_eq!(e.kind, SchemaErrorKind::MalformedJson);
    }

    #[test]
    fn non_schema_json_is_invalid() {
        for text in ["5", "\"string\"", "[]", "null"] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.kind, SchemaErrorKind::Invalid, "{text}");
        }
    }

    #[test]
    fn meta_schema_violations_point_at_the_keyword() {
        let e = parse(r#"{"type": 5}"#).unwrap_err();
        assert_eq!(e.kind, SchemaErrorKind::Invalid);
        assert_eq!(e.location, "/type");
        let e = parse(r#"{"properties": {"a": {"minLength": -1}}}"#).unwrap_err();
        assert_eq!(e.location, "/properties/a/minLength");
        assert!(e.message.contains("draft-07"), "{e}");
    }

    #[test]
    fn boolean_schemas_are_valid() {
        assert!(parse("true").is_ok());
        assert!(parse("false").is_ok());
        assert!(parse(r#"{"properties": {"a": false}}"#).is_ok());
    }

    #[test]
    fn deep_nesting_is_a_typed_error() {
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let e = parse(&text).unwrap_err();
        assert_eq!(e.kind, SchemaErrorKind::TooLarge);
        let text = format!("{}{}", r#"{"not":"#.repeat(10_000), "}".repeat(10_000));
        let e = parse(&text).unwrap_err();
        assert_eq!(e.kind, SchemaErrorKind::TooLarge);
    }

    #[test]
    fn canonical_form_removes_layout_and_keeps_order() {
        let s = parse("{ \"type\" : \"object\",\n  \"properties\": { \"b\": {}, \"a\": {} } }")
            .unwrap();
        assert_eq!(
            s.canonical_form(false),
            r#"{"type":"object","properties":{"b":{},"a":{}}}"#
        );
    }

    #[test]
    fn normalized_form_sorts_keys_and_sets_only() {
        let s = parse(
            r#"{"type":["string","null"],"required":["b","a"],"properties":{"b":{},"a":{}},
                "enum":["z","a",{"y":1,"x":2}],"default":{"required":["q","p"]}}"#,
        )
        .unwrap();
        assert_eq!(
            s.canonical_form(true),
            r#"{"default":{"required":["q","p"]},"enum":["z","a",{"x":2,"y":1}],"properties":{"a":{},"b":{}},"required":["a","b"],"type":["null","string"]}"#
        );
    }

    #[test]
    fn local_refs_must_resolve() {
        assert!(
            parse(r##"{"$ref":"#/definitions/a","definitions":{"a":{"type":"string"}}}"##).is_ok()
        );
        assert!(parse(r##"{"$ref":"#/$defs/a","$defs":{"a":{"type":"string"}}}"##).is_ok());
        let e = parse(r##"{"properties":{"x":{"$ref":"#/definitions/missing"}}}"##).unwrap_err();
        assert_eq!(e.kind, SchemaErrorKind::UnresolvedReference);
        assert_eq!(e.location, "/properties/x/$ref");
        assert!(e.message.contains("#/definitions/missing"), "{e}");
    }

    #[test]
    fn remote_refs_must_be_dependencies() {
        let e = parse(r#"{"$ref":"customer.json"}"#).unwrap_err();
        assert_eq!(e.kind, SchemaErrorKind::UnresolvedReference);
        assert!(e.message.contains("customer.json"), "{e}");
        let deps = [dep(
            "customer.json",
            r#"{"type":"object","definitions":{"id":{"type":"string"}}}"#,
        )];
        assert!(JsonSchema::parse(r#"{"$ref":"customer.json"}"#, &deps).is_ok());
        assert!(JsonSchema::parse(r##"{"$ref":"customer.json#/definitions/id"}"##, &deps).is_ok());
        let e = JsonSchema::parse(r##"{"$ref":"customer.json#/definitions/nope"}"##, &deps)
            .unwrap_err();
        assert_eq!(e.kind, SchemaErrorKind::UnresolvedReference);
    }

    #[test]
    fn refs_by_absolute_url() {
        let deps = [dep(
            "https://example.com/address.schema.json",
            r#"{"type":"object"}"#,
        )];
        let text = r#"{"properties":{"a":{"$ref":"https://example.com/address.schema.json"}}}"#;
        assert!(JsonSchema::parse(text, &deps).is_ok());
        // Relative to the schema's own $id.
        let text = r#"{"$id":"https://example.com/order.json","properties":{"a":{"$ref":"address.schema.json"}}}"#;
        assert!(JsonSchema::parse(text, &deps).is_ok());
    }

    #[test]
    fn a_large_schema_parses_quickly() {
        let mut text = String::from(r#"{"type":"object","properties":{"#);
        let mut i = 0;
        while text.len() < 10 * 1024 * 1024 {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&format!(
                r#""field_{i}":{{"type":"string","maxLength":{i},"description":"a field"}}"#
            ));
            i += 1;
        }
        text.push_str("}}");
        let started = std::time::Instant::now();
        let parsed = parse(&text);
        assert!(
            parsed.is_ok()
                || parsed
                    .as_ref()
                    .is_err_and(|e| e.kind == SchemaErrorKind::TooLarge)
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "{:?}",
            started.elapsed()
        );
    }
}
