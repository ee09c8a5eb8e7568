//! Avro: parsing (validated by apache-avro as well as by our own model),
//! canonical form, and reader/writer compatibility.

mod canonical;
pub mod compat;
pub mod model;
mod parse;

pub use compat::{AvroFinding, IncompatibilityType};
pub use model::Model;

use serde_json::Value;

use crate::error::{SchemaError, SchemaErrorKind};
use crate::schema::{Dependency, SchemaType};

/// A parsed, validated Avro schema.
#[derive(Debug, Clone)]
pub struct AvroSchema {
    model: Model,
    shapes: Vec<Option<u128>>,
    apache: apache_avro::Schema,
}

/// Parses JSON text, mapping serde_json's failures (including its nesting
/// limit of 128 levels, our depth limit) to a typed error.
pub(crate) fn parse_json(text: &str) -> Result<Value, SchemaError> {
    serde_json::from_str(text).map_err(|e| {
        let what = if e.to_string().contains("recursion limit") {
            "the schema nests deeper than 128 levels".to_owned()
        } else {
            e.to_string()
        };
        SchemaError::new(
            SchemaErrorKind::MalformedJson,
            "",
            format!("line {} column {}: {what}", e.line(), e.column()),
        )
    })
}

impl AvroSchema {
    /// Parses `text`; `deps` are the referenced schemas in dependency order.
    pub fn parse(text: &str, deps: &[Dependency]) -> Result<AvroSchema, SchemaError> {
        let mut dep_values = Vec::with_capacity(deps.len());
        for d in deps {
            if d.schema_type != SchemaType::Avro {
                return Err(SchemaError::new(
                    SchemaErrorKind::UnresolvedReference,
                    "/references",
                    format!(
                        "reference '{}' is a {} schema; an Avro schema can only reference Avro schemas",
                        d.name, d.schema_type
                    ),
                ));
            }
            dep_values.push(parse_json(&d.schema).map_err(|mut e| {
                e.message = format!("referenced schema '{}': {}", d.name, e.message);
                e
            })?);
        }
        let value = parse_json(text)?;
        let model = Model::parse(&value, &dep_values)?;
        // apache-avro is the second opinion on the specification (and gives
        // callers a schema they can encode with).
        // apache-avro knows no `error` type; on the wire an error is a record.
        let mut for_apache = value.clone();
        errors_as_records(&mut for_apache);
        let apache = if deps.is_empty() {
            apache_avro::Schema::parse(&for_apache)
        } else {
            let dep_texts: Vec<String> = dep_values
                .into_iter()
                .map(|mut v| {
                    errors_as_records(&mut v);
                    v.to_string()
                })
                .collect();
            apache_avro::Schema::parse_str_with_list(&for_apache.to_string(), dep_texts)
                .map(|(s, _)| s)
        }
        .map_err(|e| SchemaError::invalid("", format!("apache-avro rejects the schema: {e}")))?;
        let canonical_len = value.to_string().len();
        let shapes = canonical::shapes(&model, 4 * canonical_len + 65_536);
        Ok(AvroSchema {
            model,
            shapes,
            apache,
        })
    }

    /// The parsed model (nodes, names).
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The shape digest of a composite node (see `canonical::shapes`).
    pub(crate) fn shape(&self, id: model::NodeId) -> Option<u128> {
        self.shapes.get(id).copied().flatten()
    }

    /// The schema as apache-avro sees it, for encoding and decoding.
    pub fn apache(&self) -> &apache_avro::Schema {
        &self.apache
    }

    /// The canonical text, or with `normalize` the normalized text (rule in `canonical.rs`).
    pub fn canonical_form(&self, normalize: bool) -> String {
        canonical::canonical(&self.model, normalize)
    }
}

/// Rewrites `{"type": "error", …}` to `{"type": "record", …}` throughout.
fn errors_as_records(value: &mut Value) {
    match value {
        Value::Object(obj) => {
            if obj.get("type").and_then(Value::as_str) == Some("error") {
                obj.insert("type".into(), Value::String("record".into()));
            }
            obj.values_mut().for_each(errors_as_records);
        }
        Value::Array(items) => items.iter_mut().for_each(errors_as_records),
        _ => {}
    }
}
