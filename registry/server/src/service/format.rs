//! The `format` and `referenceFormat` query parameters: other renderings of a
//! stored schema. Confluent defines `format` per schema type:
//! - Avro: `default` (the stored text) and `resolved` (a self-contained schema,
//!   each referenced named type defined inline at its first use, as Avro's
//!   `Schema.toString()` writes a schema parsed together with its references);
//! - JSON Schema: `default` only;
//! - Protobuf: `serialized` and `ignore_extensions`, which do not apply to the
//!   formats this registry stores, so for them they are the stored text.
//!
//! Any other value is refused rather than ignored, so a client that relies on a
//! rendering this registry lacks finds out.

use std::collections::{HashMap, HashSet};

use evreg_core::{SchemaReference, SchemaType};
use serde_json::{Map, Value};

use super::tags::find_tags;
use super::{Error, SchemaView};
use crate::state::{SchemaEntry, State};
use crate::subject::QualifiedSubject;

/// The rendering query parameters of a schema response.
#[derive(Debug, Clone, Default)]
pub struct Render {
    /// `format`.
    pub format: Option<String>,
    /// `referenceFormat`.
    pub reference_format: Option<String>,
    /// `findTags` (comma-separated values and repeats, flattened).
    pub find_tags: Vec<String>,
}

impl Render {
    /// Whether every parameter is at its default (nothing to do).
    pub fn is_default(&self) -> bool {
        self.format.as_deref().is_none_or(str::is_empty)
            && self.reference_format.as_deref().is_none_or(str::is_empty)
            && self.find_tags.is_empty()
    }

    /// Rewrites `view` (built from `entry`) as the parameters ask.
    pub fn apply(
        &self,
        st: &State,
        entry: &SchemaEntry,
        view: &mut SchemaView,
    ) -> Result<(), Error> {
        if self.is_default() {
            return Ok(());
        }
        let format = Format::parse(self.format.as_deref(), entry.schema_type)?;
        let references = ReferenceFormat::parse(self.reference_format.as_deref())?;
        if format != Format::Default {
            view.schema = render(st, entry, format)?;
        }
        if references != ReferenceFormat::AsRegistered {
            view.references = references.apply(&entry.context, &entry.references);
        }
        view.schema_tags = find_tags(entry, &self.find_tags);
        Ok(())
    }
}

/// A `format` value, validated for a schema type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The stored text.
    Default,
    /// Avro with referenced types inlined.
    Resolved,
}

impl Format {
    /// Parses `format` for a schema of `schema_type`.
    pub fn parse(raw: Option<&str>, schema_type: SchemaType) -> Result<Format, Error> {
        let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
            return Ok(Format::Default);
        };
        let lower = raw.to_ascii_lowercase();
        match (lower.as_str(), schema_type) {
            ("default", _) => Ok(Format::Default),
            ("resolved", SchemaType::Avro) => Ok(Format::Resolved),
            // Protobuf renderings: an Avro or JSON text has no descriptor to
            // serialize and no extensions to drop.
            ("serialized" | "ignore_extensions", SchemaType::Avro | SchemaType::Json) => {
                Ok(Format::Default)
            }
            _ => Err(Error::MalformedRequest(format!(
                "unsupported format '{raw}' for {} schemas (supported: {})",
                schema_type.as_str(),
                match schema_type {
                    SchemaType::Avro => "default, resolved",
                    _ => "default",
                }
            ))),
        }
    }
}

/// `referenceFormat`: how references are written in a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReferenceFormat {
    /// As registered.
    #[default]
    AsRegistered,
    /// Every referenced subject context-qualified (`:.ctx:name`, `:.:name` in
    /// the default context), so the references resolve from any context.
    Qualified,
}

impl ReferenceFormat {
    /// Parses `referenceFormat`.
    pub fn parse(raw: Option<&str>) -> Result<ReferenceFormat, Error> {
        match raw.map(|r| r.trim().to_ascii_lowercase()).as_deref() {
            None | Some("" | "default") => Ok(ReferenceFormat::AsRegistered),
            Some("qualified") => Ok(ReferenceFormat::Qualified),
            Some(_) => Err(Error::MalformedRequest(format!(
                "unsupported referenceFormat '{}' (supported: default, qualified)",
                raw.unwrap_or_default()
            ))),
        }
    }

    /// The references of a schema stored in `context`, written this way.
    pub fn apply(self, context: &str, references: &[SchemaReference]) -> Vec<SchemaReference> {
        match self {
            ReferenceFormat::AsRegistered => references.to_vec(),
            ReferenceFormat::Qualified => {
                let owner = QualifiedSubject {
                    context: context.to_owned(),
                    name: String::new(),
                };
                references
                    .iter()
                    .map(|r| {
                        let mut r = r.clone();
                        if let Ok(q) = owner.relative(&r.subject) {
                            r.subject = format!(":{}:{}", q.context, q.name);
                        }
                        r
                    })
                    .collect()
            }
        }
    }
}

/// The text of `entry` in `format`.
pub fn render(st: &State, entry: &SchemaEntry, format: Format) -> Result<String, Error> {
    match format {
        Format::Resolved if !entry.references.is_empty() => resolved_avro(st, entry),
        _ => Ok(entry.text.clone()),
    }
}

const PRIMITIVES: [&str; 8] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

/// The full name of `name` written where the namespace is `namespace`.
fn full_name(name: &str, namespace: &str) -> String {
    if name.contains('.') || namespace.is_empty() {
        name.to_owned()
    } else {
        format!("{namespace}.{name}")
    }
}

/// The namespace a full name sets for what is nested in its definition.
fn namespace_of(full: &str) -> &str {
    full.rsplit_once('.').map_or("", |(ns, _)| ns)
}

/// The full name a definition object declares, if it is a named type.
fn defined_name(map: &Map<String, Value>, namespace: &str) -> Option<String> {
    let kind = map.get("type")?.as_str()?;
    if !matches!(kind, "record" | "error" | "enum" | "fixed") {
        return None;
    }
    let name = map.get("name")?.as_str()?;
    let ns = match map.get("namespace").and_then(Value::as_str) {
        Some(ns) if !name.contains('.') => ns,
        _ => namespace,
    };
    Some(full_name(name, ns))
}

/// Calls `visit` on every named-type definition in `v`, with its full name.
fn each_definition(v: &Value, namespace: &str, visit: &mut dyn FnMut(String, &Map<String, Value>)) {
    match v {
        Value::Array(items) => {
            for item in items {
                each_definition(item, namespace, visit);
            }
        }
        Value::Object(map) => {
            let own = defined_name(map, namespace);
            let inner = own.as_deref().map_or(namespace, namespace_of).to_owned();
            if let Some(full) = own {
                visit(full, map);
            }
            if let Some(fields) = map.get("fields").and_then(Value::as_array) {
                for f in fields {
                    if let Some(t) = f.get("type") {
                        each_definition(t, &inner, visit);
                    }
                }
            }
            for key in ["items", "values"] {
                if let Some(t) = map.get(key) {
                    each_definition(t, &inner, visit);
                }
            }
            if let Some(t @ (Value::Object(_) | Value::Array(_))) = map.get("type") {
                each_definition(t, &inner, visit);
            }
        }
        _ => {}
    }
}

/// Inlines, at its first use, each named type `v` uses but does not define.
fn inline(
    v: &mut Value,
    namespace: &str,
    defs: &HashMap<String, Value>,
    defined: &mut HashSet<String>,
) {
    match v {
        Value::String(name) => {
            if PRIMITIVES.contains(&name.as_str()) {
                return;
            }
            let full = full_name(name, namespace);
            if defined.contains(&full) {
                return;
            }
            if let Some(def) = defs.get(&full) {
                *v = def.clone();
                inline(v, namespace, defs, defined);
            }
        }
        Value::Array(items) => {
            for item in items {
                inline(item, namespace, defs, defined);
            }
        }
        Value::Object(map) => {
            let own = defined_name(map, namespace);
            let inner = own.as_deref().map_or(namespace, namespace_of).to_owned();
            if let Some(full) = own {
                defined.insert(full);
            }
            if let Some(fields) = map.get_mut("fields").and_then(Value::as_array_mut) {
                for f in fields {
                    if let Some(t) = f.get_mut("type") {
                        inline(t, &inner, defs, defined);
                    }
                }
            }
            for key in ["items", "values"] {
                if let Some(t) = map.get_mut(key) {
                    inline(t, &inner, defs, defined);
                }
            }
            if let Some(t) = map.get_mut("type")
                && !matches!(
                    t.as_str(),
                    Some("record" | "error" | "enum" | "fixed" | "array" | "map")
                )
            {
                inline(t, &inner, defs, defined);
            }
        }
        _ => {}
    }
}

/// The Avro schema of `entry` with every referenced named type defined inline.
fn resolved_avro(st: &State, entry: &SchemaEntry) -> Result<String, Error> {
    let bad = |what: &str, e: serde_json::Error| {
        Error::Internal(format!(
            "schema {} in context {}: {what} is not JSON: {e}",
            entry.id, entry.context
        ))
    };
    // Every schema the entry depends on, transitively, each once.
    let mut texts = Vec::new();
    let mut seen = HashSet::new();
    let mut stack: Vec<SchemaReference> = entry.references.clone();
    while let Some(r) = stack.pop() {
        if !seen.insert((r.subject.clone(), r.version)) {
            continue;
        }
        let dep = st.resolve(&entry.context, &r).ok_or_else(|| {
            Error::Internal(format!(
                "schema {} in context {}: reference '{}' (subject '{}' version {}) no longer resolves",
                entry.id, entry.context, r.name, r.subject, r.version
            ))
        })?;
        stack.extend(dep.references.iter().cloned());
        texts.push(dep.schema);
    }
    // Each named type the dependencies define, under its full name, written so
    // that it means the same wherever it is inlined.
    let mut defs: HashMap<String, Value> = HashMap::new();
    for text in &texts {
        let v: Value = serde_json::from_str(text).map_err(|e| bad("a referenced schema", e))?;
        each_definition(&v, "", &mut |full, map| {
            let mut def = map.clone();
            def.insert("name".into(), Value::String(full.clone()));
            if full.contains('.') {
                def.remove("namespace");
            } else {
                // The null namespace, explicitly: inlined under a namespaced
                // record, a bare name would otherwise take that namespace.
                def.insert("namespace".into(), Value::String(String::new()));
            }
            defs.entry(full).or_insert(Value::Object(def));
        });
    }
    let mut v: Value = serde_json::from_str(&entry.text).map_err(|e| bad("the stored text", e))?;
    inline(&mut v, "", &defs, &mut HashSet::new());
    serde_json::to_string(&v).map_err(|e| bad("the resolved text", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defs_of(v: &Value) -> HashMap<String, Value> {
        let mut defs = HashMap::new();
        each_definition(v, "", &mut |full, map| {
            let mut def = map.clone();
            def.insert("name".into(), Value::String(full.clone()));
            def.remove("namespace");
            defs.insert(full, Value::Object(def));
        });
        defs
    }

    #[test]
    fn inlines_first_use_only() {
        let dep = json!({"type": "record", "name": "Address", "namespace": "a",
            "fields": [{"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["X"]}}]});
        let defs = defs_of(&dep);
        assert!(defs.contains_key("a.Address") && defs.contains_key("a.Kind"));
        let mut main = json!({"type": "record", "name": "Customer", "namespace": "c", "fields": [
            {"name": "home", "type": "a.Address"},
            {"name": "work", "type": ["null", "a.Address"]},
            {"name": "k", "type": "a.Kind"}
        ]});
        inline(&mut main, "", &defs, &mut HashSet::new());
        assert_eq!(main["fields"][0]["type"]["name"], "a.Address");
        assert_eq!(main["fields"][1]["type"][1], "a.Address");
        // Kind was defined inside Address's inlined definition.
        assert_eq!(main["fields"][2]["type"], "a.Kind");
    }

    #[test]
    fn formats_are_checked_per_type() {
        assert_eq!(
            Format::parse(None, SchemaType::Avro).unwrap(),
            Format::Default
        );
        assert_eq!(
            Format::parse(Some("RESOLVED"), SchemaType::Avro).unwrap(),
            Format::Resolved
        );
        assert!(Format::parse(Some("resolved"), SchemaType::Json).is_err());
        assert!(Format::parse(Some("bogus"), SchemaType::Avro).is_err());
        assert_eq!(
            Format::parse(Some("serialized"), SchemaType::Json).unwrap(),
            Format::Default
        );
        assert!(ReferenceFormat::parse(Some("x")).is_err());
    }

    #[test]
    fn qualified_references() {
        let r = |s: &str| SchemaReference {
            name: "n".into(),
            subject: s.into(),
            version: 1,
        };
        let out = ReferenceFormat::Qualified.apply(".", &[r("a"), r(":.x:b")]);
        assert_eq!(out[0].subject, ":.:a");
        assert_eq!(out[1].subject, ":.x:b");
        let out = ReferenceFormat::Qualified.apply(".x", &[r("a")]);
        assert_eq!(out[0].subject, ":.x:a");
    }
}
