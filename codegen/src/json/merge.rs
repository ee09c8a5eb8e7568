//! `allOf` (and `$ref` with structural siblings): the branches merged into one schema.
//!
//! Merging is structural, not a full intersection algebra: properties and
//! `required` are united (a property defined twice becomes the `allOf` of both),
//! `type`s are intersected, `additionalProperties: false` anywhere wins, and for
//! other keywords the first branch that has one wins. Branches are first resolved
//! into *views*: their `$ref`s followed and their own `allOf`s merged, with every
//! reference made absolute so the merged schema can live in a synthetic document.

use serde_json::{Map, Value};

use super::lower::{Lowerer, Slot};
use super::resolve::Loc;
use crate::ir::TypeRef;

/// How many references and nested `allOf`s a view follows before it stops.
const MAX_VIEW_DEPTH: usize = 32;

impl Lowerer<'_> {
    /// Lowers a schema with `allOf` (or `$ref` plus siblings) as one merged schema.
    pub(crate) fn lower_merged(
        &mut self,
        at: &Loc,
        map: &Map<String, Value>,
        slot: &Slot,
    ) -> TypeRef {
        let (merged, conflicts) = self.merged(at, map, 0);
        for key in conflicts {
            self.unenforced(
                &at.push("allOf"),
                format!("only the first '{key}' of the merged branches is typed"),
            );
        }
        self.lower_synthetic(merged, at, slot)
    }

    /// The merge of a schema object's own keywords with its `$ref` and `allOf`
    /// branches, and the keywords that could not be merged.
    fn merged(&self, at: &Loc, map: &Map<String, Value>, depth: usize) -> (Value, Vec<String>) {
        match self.docs.absolutize(&Value::Object(map.clone()), at) {
            Value::Object(abs) => self.merged_absolute(&abs, depth),
            other => (other, Vec::new()),
        }
    }

    /// [`Self::merged`] for a schema whose references are already absolute.
    fn merged_absolute(&self, map: &Map<String, Value>, depth: usize) -> (Value, Vec<String>) {
        let mut own = map.clone();
        let reference = own.remove("$ref");
        let all_of = own.remove("allOf");
        let mut parts = Vec::new();
        if let Some(target) = reference
            .as_ref()
            .and_then(Value::as_str)
            .and_then(|r| self.docs.resolve(0, r))
        {
            parts.push(self.view_at(&target, depth + 1));
        }
        if let Some(Value::Array(branches)) = &all_of {
            for b in branches {
                parts.push(self.view(b, depth + 1));
            }
        }
        let own = Value::Object(own);
        let mut conflicts = Vec::new();
        let mut acc = Map::new();
        for part in &parts {
            merge_into(&mut acc, part, &mut conflicts);
        }
        // The schema's own keywords come last for structure (base properties first)
        // but first for its documentation.
        merge_into(&mut acc, &own, &mut conflicts);
        if let Value::Object(own) = &own {
            for key in ["title", "description"] {
                if let Some(v) = own.get(key) {
                    acc.insert(key.to_owned(), v.clone());
                }
            }
        }
        (Value::Object(acc), conflicts)
    }

    /// The view of the schema at `loc`.
    pub(crate) fn view_at(&self, loc: &Loc, depth: usize) -> Value {
        let doc = self.docs.get(loc.doc);
        match doc.value.pointer(&loc.ptr) {
            Some(v) => {
                let abs = self.docs.absolutize(v, loc);
                self.view(&abs, depth)
            }
            None => Value::Bool(true),
        }
    }

    /// An absolute schema with its references followed and `allOf`s merged.
    pub(crate) fn view(&self, value: &Value, depth: usize) -> Value {
        let Value::Object(map) = value else {
            return value.clone();
        };
        if depth > MAX_VIEW_DEPTH {
            return value.clone();
        }
        let structural_siblings = map
            .keys()
            .any(|k| !matches!(k.as_str(), "$ref" | "title" | "description" | "$comment"));
        if let Some(r) = map.get("$ref").and_then(Value::as_str)
            && !structural_siblings
        {
            // Absolute references resolve the same from any document.
            return match self.docs.resolve(0, r) {
                Some(target) => self.view_at(&target, depth + 1),
                None => value.clone(),
            };
        }
        if map.contains_key("allOf") || map.contains_key("$ref") {
            return self.merged_absolute(map, depth).0;
        }
        value.clone()
    }
}

/// Merges schema `part` into `acc`; records keywords that clash.
pub(crate) fn merge_into(acc: &mut Map<String, Value>, part: &Value, conflicts: &mut Vec<String>) {
    let Value::Object(part) = part else {
        return;
    };
    for (key, value) in part {
        let Some(old) = acc.get_mut(key) else {
            acc.insert(key.clone(), value.clone());
            continue;
        };
        if old == value {
            continue;
        }
        match key.as_str() {
            "properties" | "patternProperties" | "$defs" | "definitions" => {
                if let (Value::Object(old), Value::Object(new)) = (old, value) {
                    for (name, schema) in new {
                        match old.get_mut(name) {
                            Some(existing) if existing != schema => {
                                let both = both_of(existing.clone(), schema.clone());
                                *existing = both;
                            }
                            Some(_) => {}
                            None => {
                                old.insert(name.clone(), schema.clone());
                            }
                        }
                    }
                }
            }
            "required" => {
                if let (Value::Array(old), Value::Array(new)) = (old, value) {
                    for name in new {
                        if !old.contains(name) {
                            old.push(name.clone());
                        }
                    }
                }
            }
            "type" => match intersect_types(old, value).as_slice() {
                [] => conflicts.push(key.clone()),
                [one] => *old = Value::String(one.clone()),
                many => *old = Value::Array(many.iter().cloned().map(Value::String).collect()),
            },
            "additionalProperties" | "unevaluatedProperties" | "items" => match (&*old, value) {
                (Value::Bool(false), _) | (_, Value::Bool(true)) => {}
                (_, Value::Bool(false)) | (Value::Bool(true), _) => *old = value.clone(),
                _ => *old = both_of(old.clone(), value.clone()),
            },
            "enum" => {
                if let (Value::Array(old), Value::Array(new)) = (old, value) {
                    let kept: Vec<Value> =
                        old.iter().filter(|v| new.contains(v)).cloned().collect();
                    if kept.is_empty() {
                        conflicts.push(key.clone());
                    } else {
                        *old = kept;
                    }
                }
            }
            "oneOf" | "anyOf" | "const" | "format" | "pattern" => conflicts.push(key.clone()),
            _ => {}
        }
    }
}

/// `{"allOf": [a, b]}`, flattening nested ones.
fn both_of(a: Value, b: Value) -> Value {
    let mut items = Vec::new();
    for v in [a, b] {
        match v {
            Value::Object(m) if m.len() == 1 && m.contains_key("allOf") => {
                if let Some(Value::Array(inner)) = m.get("allOf") {
                    items.extend(inner.iter().cloned());
                }
            }
            other => items.push(other),
        }
    }
    let mut m = Map::new();
    m.insert("allOf".to_owned(), Value::Array(items));
    Value::Object(m)
}

/// The JSON types both `type` keywords allow (`integer` is a `number`).
fn intersect_types(a: &Value, b: &Value) -> Vec<String> {
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    };
    let (a, b) = (list(a), list(b));
    let mut out = Vec::new();
    for t in &a {
        if b.contains(t) || (t == "integer" && b.iter().any(|x| x == "number")) {
            out.push(t.clone());
        } else if t == "number" && b.iter().any(|x| x == "integer") {
            out.push("integer".to_owned());
        }
    }
    out.dedup();
    out
}
