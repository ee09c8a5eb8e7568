//! A light pass over Avro JSON before the real parse: which named types a file
//! defines and which it uses from elsewhere, so a catalogue of files can be parsed
//! in dependency order; and inlining, so each event carries a self-contained schema.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

const PRIMITIVES: &[&str] = &[
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];
const NAMED: &[&str] = &["record", "error", "enum", "fixed"];

/// Resolves `raw` against the enclosing namespace, as the Avro spec says.
pub(crate) fn full_name(raw: &str, namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) if !raw.contains('.') && !ns.is_empty() => format!("{ns}.{raw}"),
        _ => raw.trim_start_matches('.').to_owned(),
    }
}

/// The namespace of a full name (`None` for the null namespace).
pub(crate) fn namespace_of(full: &str) -> Option<&str> {
    full.rfind('.').map(|i| &full[..i])
}

/// What one file defines and uses.
#[derive(Debug, Default)]
pub(crate) struct Names {
    /// Full names of the named types it defines, with their JSON definitions.
    pub defined: BTreeMap<String, Value>,
    /// Full names it refers to; each with the null-namespace fallback name, which
    /// Avro implementations also try for an unqualified name.
    pub used: BTreeSet<(String, String)>,
}

impl Names {
    /// Names used but not defined here: what other files must provide.
    pub(crate) fn external(&self) -> impl Iterator<Item = &(String, String)> {
        self.used
            .iter()
            .filter(|(full, _)| !self.defined.contains_key(full))
    }
}

/// Scans one document.
pub(crate) fn scan(doc: &Value) -> Names {
    let mut names = Names::default();
    walk(doc, None, &mut names, 0);
    names
}

fn walk(v: &Value, ns: Option<&str>, out: &mut Names, depth: usize) {
    // The real parser enforces depth limits and reports; the scan just stops.
    if depth > 200 {
        return;
    }
    match v {
        Value::String(s) => use_name(s, ns, out),
        Value::Array(items) => items.iter().for_each(|i| walk(i, ns, out, depth + 1)),
        Value::Object(obj) => walk_object(obj, ns, out, depth),
        _ => {}
    }
}

fn use_name(s: &str, ns: Option<&str>, out: &mut Names) {
    if PRIMITIVES.contains(&s) || NAMED.contains(&s) || s == "array" || s == "map" {
        return;
    }
    out.used.insert((full_name(s, ns), s.to_owned()));
}

fn walk_object(obj: &Map<String, Value>, ns: Option<&str>, out: &mut Names, depth: usize) {
    let Some(ty) = obj.get("type") else { return };
    let Value::String(t) = ty else {
        return walk(ty, ns, out, depth + 1);
    };
    if NAMED.contains(&t.as_str()) {
        let Some(raw) = obj.get("name").and_then(Value::as_str) else {
            return;
        };
        let own_ns = obj.get("namespace").and_then(Value::as_str);
        let full = if raw.contains('.') {
            full_name(raw, None)
        } else {
            full_name(raw, own_ns.or(ns))
        };
        let inner_ns = namespace_of(&full).map(str::to_owned);
        out.defined
            .entry(full)
            .or_insert_with(|| Value::Object(obj.clone()));
        if let Some(Value::Array(fields)) = obj.get("fields") {
            for f in fields {
                if let Some(fty) = f.get("type") {
                    walk(fty, inner_ns.as_deref(), out, depth + 1);
                }
            }
        }
        return;
    }
    match t.as_str() {
        "array" => {
            if let Some(items) = obj.get("items") {
                walk(items, ns, out, depth + 1);
            }
        }
        "map" => {
            if let Some(values) = obj.get("values") {
                walk(values, ns, out, depth + 1);
            }
        }
        other => use_name(other, ns, out),
    }
}

/// Returns `doc` with every named type it uses from `library` (full name to JSON
/// definition) written inline at its first use, so the result parses on its own.
/// Inlined definitions get their full name, so namespaces resolve as before.
pub(crate) fn inline(doc: &Value, library: &BTreeMap<String, Value>) -> Value {
    let mut defined = BTreeSet::new();
    inline_walk(doc, None, library, &mut defined, 0)
}

fn inline_walk(
    v: &Value,
    ns: Option<&str>,
    library: &BTreeMap<String, Value>,
    defined: &mut BTreeSet<String>,
    depth: usize,
) -> Value {
    if depth > 200 {
        return v.clone();
    }
    match v {
        Value::String(s) if !PRIMITIVES.contains(&s.as_str()) => {
            let full = full_name(s, ns);
            let found = library
                .get_key_value(&full)
                .or_else(|| library.get_key_value(s.as_str()));
            match found {
                Some((full, def)) if !defined.contains(full) => {
                    let mut def = def.clone();
                    if let Value::Object(obj) = &mut def {
                        obj.insert("name".into(), Value::String(full.clone()));
                        obj.remove("namespace");
                    }
                    inline_walk(&def, None, library, defined, depth + 1)
                }
                _ => v.clone(),
            }
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| inline_walk(i, ns, library, defined, depth + 1))
                .collect(),
        ),
        Value::Object(obj) => {
            let mut obj = obj.clone();
            let ty = obj.get("type").cloned();
            match ty {
                Some(Value::String(t)) if NAMED.contains(&t.as_str()) => {
                    let raw = obj.get("name").and_then(Value::as_str).unwrap_or("");
                    let own_ns = obj.get("namespace").and_then(Value::as_str);
                    let full = if raw.contains('.') {
                        full_name(raw, None)
                    } else {
                        full_name(raw, own_ns.or(ns))
                    };
                    let inner_ns = namespace_of(&full).map(str::to_owned);
                    defined.insert(full);
                    if let Some(Value::Array(fields)) = obj.get_mut("fields") {
                        for f in fields.iter_mut() {
                            if let Some(fobj) = f.as_object_mut()
                                && let Some(fty) = fobj.get("type")
                            {
                                let new = inline_walk(
                                    fty,
                                    inner_ns.as_deref(),
                                    library,
                                    defined,
                                    depth + 1,
                                );
                                fobj.insert("type".into(), new);
                            }
                        }
                    }
                }
                Some(Value::String(t)) if t == "array" || t == "map" => {
                    let key = if t == "array" { "items" } else { "values" };
                    if let Some(inner) = obj.get(key) {
                        let new = inline_walk(inner, ns, library, defined, depth + 1);
                        obj.insert(key.into(), new);
                    }
                }
                Some(other) => {
                    let new = inline_walk(&other, ns, library, defined, depth + 1);
                    obj.insert("type".into(), new);
                }
                None => {}
            }
            Value::Object(obj)
        }
        _ => v.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scan_and_inline() {
        let money = json!({"type":"record","name":"Money","namespace":"shop.common",
            "fields":[{"name":"amount","type":"long"}]});
        let order = json!({"type":"record","name":"Created","namespace":"shop.order",
            "fields":[{"name":"total","type":"shop.common.Money"},
                      {"name":"tax","type":"shop.common.Money"},
                      {"name":"items","type":{"type":"array","items":"Line"}}]});
        let names = scan(&order);
        assert!(names.defined.contains_key("shop.order.Created"));
        let ext: Vec<_> = names.external().map(|(f, _)| f.clone()).collect();
        assert_eq!(ext, ["shop.common.Money", "shop.order.Line"]);
        let lib = scan(&money).defined;
        let inlined = inline(&order, &lib);
        assert_eq!(inlined["fields"][0]["type"]["name"], "shop.common.Money");
        assert_eq!(inlined["fields"][1]["type"], "shop.common.Money");
    }
}
