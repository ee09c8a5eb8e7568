//! The register-schema request and the schema response, as Confluent shapes them.

use evreg_core::{SchemaReference, SchemaType};
use serde::Serialize;
use serde_json::{Map, Value};

use super::Error;
use crate::state::SchemaEntry;
use crate::store::VersionRow;

/// Fields of a request or response this registry interprets; anything else is
/// kept and echoed.
const KNOWN: &[&str] = &[
    "schema",
    "schemaType",
    "references",
    "metadata",
    "ruleSet",
    "id",
    "version",
    "subject",
    "guid",
    "deleted",
    "ts",
    "maxId",
    "schemaTags",
];

/// Confluent's RegisterSchemaRequest, validated.
#[derive(Debug, Clone, Default)]
pub struct RegisterSchema {
    /// The schema text.
    pub schema: String,
    /// The format (`AVRO` when absent).
    pub schema_type: SchemaType,
    /// References to other subjects' versions.
    pub references: Vec<SchemaReference>,
    /// `metadata`, kept as sent.
    pub metadata: Option<Value>,
    /// `ruleSet`, kept as sent.
    pub rule_set: Option<Value>,
    /// Explicit id (IMPORT only).
    pub id: Option<i64>,
    /// Explicit version; `-1` means "the latest".
    pub version: Option<i32>,
    /// Fields not interpreted.
    pub extra: Map<String, Value>,
    /// `schemaTagsToAdd`: tags to put in the schema text before registering.
    pub tags_to_add: Vec<super::tags::SchemaTags>,
    /// `schemaTagsToRemove`: tags to take out of it.
    pub tags_to_remove: Vec<super::tags::SchemaTags>,
    /// `propagateSchemaTags`: carry over the tags of the latest version.
    pub propagate_tags: bool,
}

impl RegisterSchema {
    /// Validates a JSON body. Shape errors (not an object, a field of the wrong
    /// type) are [`Error::MalformedRequest`]; a missing schema or unknown type is
    /// [`Error::InvalidSchema`].
    pub fn from_json(body: Value) -> Result<RegisterSchema, Error> {
        let Value::Object(mut map) = body else {
            return Err(Error::MalformedRequest(
                "request body must be a JSON object".into(),
            ));
        };
        let schema = match map.remove("schema") {
            Some(Value::String(s)) if !s.is_empty() => s,
            None | Some(Value::Null) => return Err(Error::InvalidSchema("Empty schema".into())),
            Some(Value::String(_)) => return Err(Error::InvalidSchema("Empty schema".into())),
            Some(_) => return Err(wrong_type("schema", "a string")),
        };
        let schema_type = match map.remove("schemaType") {
            None | Some(Value::Null) => SchemaType::Avro,
            Some(Value::String(s)) => s
                .parse()
                .map_err(|_| Error::InvalidSchema(format!("Invalid schema type {s}")))?,
            Some(_) => return Err(wrong_type("schemaType", "a string")),
        };
        let references = match map.remove("references") {
            None | Some(Value::Null) => Vec::new(),
            Some(v @ Value::Array(_)) => serde_json::from_value(v).map_err(|e| {
                Error::MalformedRequest(format!(
                    "field 'references' must be an array of {{name, subject, version}}: {e}"
                ))
            })?,
            Some(_) => return Err(wrong_type("references", "an array")),
        };
        let metadata = object_field(&mut map, "metadata")?;
        let rule_set = match map.remove("ruleSet") {
            None | Some(Value::Null) => None,
            Some(v @ Value::Object(_)) => {
                validate_rule_set(&v)?;
                Some(v)
            }
            Some(_) => return Err(Error::InvalidRuleSet("ruleSet must be an object".into())),
        };
        let id = int_field(&mut map, "id")?.filter(|id| *id > 0);
        let version = int_field(&mut map, "version")?
            .map(|v| i32::try_from(v).map_err(|_| Error::InvalidVersion(v.to_string())))
            .transpose()?
            .filter(|v| *v != 0);
        let tags = |map: &mut Map<String, Value>, field: &str| match map.remove(field) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(v) => serde_json::from_value(v).map_err(|e| {
                Error::MalformedRequest(format!(
                    "field '{field}' must be an array of {{schemaEntity, tags}}: {e}"
                ))
            }),
        };
        let tags_to_add = tags(&mut map, "schemaTagsToAdd")?;
        let tags_to_remove = tags(&mut map, "schemaTagsToRemove")?;
        let propagate_tags = match map.remove("propagateSchemaTags") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => b,
            Some(_) => return Err(wrong_type("propagateSchemaTags", "a boolean")),
        };
        map.retain(|k, _| !KNOWN.contains(&k.as_str()));
        Ok(RegisterSchema {
            schema,
            schema_type,
            references,
            metadata,
            rule_set,
            id,
            version,
            extra: map,
            tags_to_add,
            tags_to_remove,
            propagate_tags,
        })
    }
}

/// Rule modes a migration rule may have; the others are for domain and
/// encoding rules.
const MIGRATION_MODES: [&str; 3] = ["UPGRADE", "DOWNGRADE", "UPDOWN"];
const DATA_MODES: [&str; 3] = ["WRITE", "READ", "WRITEREAD"];

/// Checks a rule set's shape as Confluent's clients read it: each rule list an
/// array of rules, each rule with a non-empty `name` unique in its list, and
/// `type`, `kind` and `mode` (when given) of the right kind, the mode fitting
/// its list. Other fields are kept as sent: clients add fields over time.
pub fn validate_rule_set(rule_set: &Value) -> Result<(), Error> {
    let bad = |m: String| Err(Error::InvalidRuleSet(format!("Invalid rule set: {m}")));
    let Value::Object(map) = rule_set else {
        return bad("ruleSet must be an object".into());
    };
    for list in ["migrationRules", "domainRules", "encodingRules"] {
        let mut names = std::collections::HashSet::new();
        let rules = match map.get(list) {
            None | Some(Value::Null) => continue,
            Some(Value::Array(rules)) => rules,
            Some(_) => return bad(format!("'{list}' must be an array of rules")),
        };
        for (i, rule) in rules.iter().enumerate() {
            let at = format!("{list}[{i}]");
            let Value::Object(rule) = rule else {
                return bad(format!("{at} must be an object"));
            };
            let name = match rule.get("name") {
                Some(Value::String(n)) if !n.trim().is_empty() => n,
                _ => return bad(format!("{at} needs a non-empty string 'name'")),
            };
            if !names.insert(name.clone()) {
                return bad(format!("duplicate rule name '{name}' in {list}"));
            }
            match rule.get("type") {
                None | Some(Value::Null | Value::String(_)) => {}
                Some(_) => return bad(format!("rule '{name}' has a 'type' that is not a string")),
            }
            match rule.get("kind") {
                None | Some(Value::Null) => {}
                Some(Value::String(k)) if matches!(k.as_str(), "TRANSFORM" | "CONDITION") => {}
                Some(k) => {
                    return bad(format!(
                        "rule '{name}' has kind {k}; expected TRANSFORM or CONDITION"
                    ));
                }
            }
            let allowed: &[&str] = if list == "migrationRules" {
                &MIGRATION_MODES
            } else {
                &DATA_MODES
            };
            match rule.get("mode") {
                None | Some(Value::Null) => {}
                Some(Value::String(m)) if allowed.contains(&m.as_str()) => {}
                Some(m) => {
                    return bad(format!(
                        "rule '{name}' in {list} has mode {m}; expected one of {}",
                        allowed.join(", ")
                    ));
                }
            }
        }
    }
    Ok(())
}

fn wrong_type(field: &str, expected: &str) -> Error {
    Error::MalformedRequest(format!("field '{field}' must be {expected}"))
}

fn object_field(map: &mut Map<String, Value>, field: &str) -> Result<Option<Value>, Error> {
    match map.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v)),
        Some(_) => Err(wrong_type(field, "an object")),
    }
}

fn int_field(map: &mut Map<String, Value>, field: &str) -> Result<Option<i64>, Error> {
    match map.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| wrong_type(field, "an integer")),
        Some(_) => Err(wrong_type(field, "an integer")),
    }
}

/// Confluent's `Schema` response object. Empty fields are omitted, like
/// Jackson's NON_EMPTY, and `schemaType` is omitted for Avro.
#[derive(Debug, Clone, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SchemaView {
    /// The subject, qualified when outside the default context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    /// The id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// The content GUID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// The format, unless Avro.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<SchemaType>,
    /// References.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<SchemaReference>,
    /// Metadata, as registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    /// Rule set, as registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<Value>,
    /// The schema text.
    pub schema: String,
    /// When the version was registered, in unix milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
    /// Present (true) only for soft-deleted versions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    /// Tagged entities (`findTags`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schema_tags: Vec<super::tags::SchemaTags>,
    /// The highest id in the context (`fetchMaxId=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_id: Option<i64>,
    /// Fields the registry does not interpret, echoed as registered.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SchemaView {
    /// The content of a schema, without subject or version.
    pub fn content(entry: &SchemaEntry) -> SchemaView {
        SchemaView {
            schema_type: (entry.schema_type != SchemaType::Avro).then_some(entry.schema_type),
            references: entry.references.clone(),
            metadata: entry.metadata.clone(),
            rule_set: entry.rule_set.clone(),
            schema: entry.text.clone(),
            extra: entry.extra.clone(),
            ..SchemaView::default()
        }
    }

    /// A subject-version.
    pub fn version(subject: String, row: &VersionRow, entry: &SchemaEntry) -> SchemaView {
        SchemaView {
            subject: Some(subject),
            version: Some(row.version),
            id: Some(entry.id),
            guid: Some(entry.guid.clone()),
            ts: Some(row.ts),
            deleted: row.deleted.then_some(true),
            ..SchemaView::content(entry)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_unknown_fields() {
        let r = RegisterSchema::from_json(json!({
            "schema": "\"string\"", "metadata": {"properties": {"a": "b"}}, "x-extra": [1]
        }))
        .unwrap();
        assert_eq!(r.schema_type, SchemaType::Avro);
        assert!(r.metadata.is_some());
        assert_eq!(r.extra.get("x-extra"), Some(&json!([1])));
    }

    #[test]
    fn classifies_bad_bodies() {
        let bad = |v| RegisterSchema::from_json(v).unwrap_err();
        assert!(matches!(bad(json!([])), Error::MalformedRequest(_)));
        assert!(matches!(
            bad(json!({"schema": 1})),
            Error::MalformedRequest(_)
        ));
        assert!(matches!(bad(json!({})), Error::InvalidSchema(_)));
        assert!(matches!(
            bad(json!({"schema": "{}", "schemaType": "XML"})),
            Error::InvalidSchema(_)
        ));
        assert!(matches!(
            bad(json!({"schema": "{}", "references": [{"name": 1}]})),
            Error::MalformedRequest(_)
        ));
    }

    #[test]
    fn rule_sets_are_checked() {
        let ok = json!({"domainRules": [{"name": "a", "type": "CEL", "kind": "CONDITION", "mode": "WRITE"}],
                        "migrationRules": [{"name": "m", "type": "JSONATA", "mode": "UPGRADE"}],
                        "enableAt": "ALL"});
        assert!(validate_rule_set(&ok).is_ok());
        for bad in [
            json!({"domainRules": "x"}),
            json!({"domainRules": [1]}),
            json!({"domainRules": [{"type": "CEL"}]}),
            json!({"domainRules": [{"name": "a", "type": 5}]}),
            json!({"domainRules": [{"name": "a", "type": "CEL", "kind": "MAYBE"}]}),
            json!({"domainRules": [{"name": "a", "type": "CEL", "mode": "UPGRADE"}]}),
            json!({"migrationRules": [{"name": "a", "type": "CEL", "mode": "WRITE"}]}),
            json!({"domainRules": [{"name": "a", "type": "CEL"}, {"name": "a", "type": "CEL"}]}),
        ] {
            assert!(
                matches!(validate_rule_set(&bad), Err(Error::InvalidRuleSet(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn avro_type_is_omitted() {
        let v = serde_json::to_value(SchemaView {
            schema: "x".into(),
            schema_type: Some(SchemaType::Json),
            ..SchemaView::default()
        })
        .unwrap();
        assert_eq!(v, json!({"schema": "x", "schemaType": "JSON"}));
    }
}
