//! Canonical text of an Avro schema: what decides that two texts are one schema.
//!
//! The rule (Confluent's: it stores Apache Avro Java's `Schema.toString()`):
//! - whitespace and layout never matter, and neither does the order of the
//!   reserved keys in the text;
//! - keys are written in Java's order: `type`, `name`, `namespace`, `doc`, then
//!   `fields` / `symbols` / `size` / `items` / `values`, then custom properties
//!   in their original order, then `aliases` (records put properties first);
//! - a primitive without properties is written as its bare name (`"int"`, never
//!   `{"type":"int"}`);
//! - a named type is defined at its first occurrence and referred to by name
//!   afterwards; `namespace` is written only where it differs from the
//!   enclosing one, and a reference is qualified only when its namespace differs;
//! - field `order` is omitted when `ascending`; `doc`, defaults, aliases and
//!   custom properties are kept (they are part of the schema Confluent stores).
//!
//! With `normalize` (Confluent's `normalize=true`) these go further: every
//! name, reference and alias is written fully qualified with no `namespace`
//! key, aliases are sorted, and custom properties are sorted by key, so texts
//! that differ only in how they spell names or order attributes are one schema.

use std::collections::HashSet;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::model::{Model, Name, Node, NodeId, Props};

/// Writes the canonical (or normalized) text of `model`.
pub fn canonical(model: &Model, normalize: bool) -> String {
    let mut writer = Writer {
        model,
        normalize,
        defined: HashSet::new(),
        external: false,
    };
    let value = writer.node(model.root, None);
    value.to_string()
}

/// A 128-bit digest of each composite node's normalized subtree, with every
/// named type it uses written out in full. Equal shapes mean identical types,
/// which always resolve, so the checker can skip them; a schema's unchanged
/// fields then cost one comparison per version. Nodes that use types of a
/// referenced schema, primitives, and nodes past `budget` bytes of text in
/// total get no shape (the cost stays linear in the schema's size).
pub fn shapes(model: &Model, budget: usize) -> Vec<Option<u128>> {
    let mut spent = 0usize;
    let mut out = vec![None; model.nodes.len()];
    for (id, node) in model.nodes.iter().enumerate() {
        if matches!(node, Node::Primitive { .. }) || model.external.contains(&id) {
            continue;
        }
        let mut writer = Writer {
            model,
            normalize: true,
            defined: HashSet::new(),
            external: false,
        };
        let text = writer.node(id, None).to_string();
        spent += text.len();
        if spent > budget {
            break;
        }
        if !writer.external {
            let digest = Sha256::digest(text.as_bytes());
            let mut first = [0u8; 16];
            first.copy_from_slice(&digest[..16]);
            out[id] = Some(u128::from_be_bytes(first));
        }
    }
    out
}

struct Writer<'a> {
    model: &'a Model,
    normalize: bool,
    defined: HashSet<NodeId>,
    /// Set when a type of a referenced schema was written by name only.
    external: bool,
}

impl Writer<'_> {
    fn props(&self, out: &mut Map<String, Value>, props: &Props) {
        if self.normalize {
            let mut sorted: Vec<&(String, Value)> = props.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, v) in sorted {
                out.insert(k.clone(), v.clone());
            }
        } else {
            for (k, v) in props {
                out.insert(k.clone(), v.clone());
            }
        }
    }

    fn reference(&self, name: &Name, space: Option<&str>) -> String {
        if self.normalize {
            return name.fullname();
        }
        // Java's Name.getQualified: short when the namespace is absent or equal.
        match &name.namespace {
            Some(ns) if Some(ns.as_str()) != space => name.fullname(),
            _ => name.name.clone(),
        }
    }

    fn name_keys(&self, out: &mut Map<String, Value>, name: &Name, space: Option<&str>) {
        if self.normalize {
            out.insert("name".into(), Value::String(name.fullname()));
            return;
        }
        out.insert("name".into(), Value::String(name.name.clone()));
        match (&name.namespace, space) {
            (Some(ns), s) if Some(ns.as_str()) != s => {
                out.insert("namespace".into(), Value::String(ns.clone()));
            }
            (None, Some(_)) => {
                out.insert("namespace".into(), Value::String(String::new()));
            }
            _ => {}
        }
    }

    fn aliases(&self, out: &mut Map<String, Value>, aliases: &[String], name: &Name) {
        if aliases.is_empty() {
            return;
        }
        let mut list: Vec<String> = aliases
            .iter()
            .map(|a| {
                if self.normalize {
                    a.clone()
                } else {
                    let alias = match a.rfind('.') {
                        Some(d) => Name {
                            name: a[d + 1..].to_owned(),
                            namespace: Some(a[..d].to_owned()),
                        },
                        None => Name {
                            name: a.clone(),
                            namespace: None,
                        },
                    };
                    self.reference(&alias, name.namespace.as_deref())
                }
            })
            .collect();
        if self.normalize {
            list.sort();
        }
        out.insert(
            "aliases".into(),
            Value::Array(list.into_iter().map(Value::String).collect()),
        );
    }

    fn doc(out: &mut Map<String, Value>, doc: &Option<String>) {
        if let Some(d) = doc {
            out.insert("doc".into(), Value::String(d.clone()));
        }
    }

    fn node(&mut self, id: NodeId, space: Option<&str>) -> Value {
        let model = self.model;
        let node = model.node(id);
        if let Some(name) = node.name() {
            if model.external.contains(&id) {
                self.external = true;
                return Value::String(self.reference(name, space));
            }
            if !self.defined.insert(id) {
                return Value::String(self.reference(name, space));
            }
        }
        match node {
            Node::Primitive { kind, props } => {
                if props.is_empty() {
                    return Value::String(kind.name().to_owned());
                }
                let mut out = Map::new();
                out.insert("type".into(), Value::String(kind.name().to_owned()));
                self.props(&mut out, props);
                Value::Object(out)
            }
            Node::Record {
                name,
                doc,
                aliases,
                fields,
                is_error,
                props,
                ..
            } => {
                let mut out = Map::new();
                out.insert(
                    "type".into(),
                    Value::String(if *is_error { "error" } else { "record" }.into()),
                );
                self.name_keys(&mut out, name, space);
                Self::doc(&mut out, doc);
                let inner = name.namespace.as_deref();
                let mut list = Vec::with_capacity(fields.len());
                for f in fields {
                    let mut fo = Map::new();
                    fo.insert("name".into(), Value::String(f.name.clone()));
                    fo.insert("type".into(), self.node(f.ty, inner));
                    Self::doc(&mut fo, &f.doc);
                    if let Some(d) = &f.default {
                        fo.insert("default".into(), d.clone());
                    }
                    if let Some(o) = &f.order {
                        fo.insert("order".into(), Value::String(o.clone()));
                    }
                    if !f.aliases.is_empty() {
                        let mut a = f.aliases.clone();
                        if self.normalize {
                            a.sort();
                        }
                        fo.insert(
                            "aliases".into(),
                            Value::Array(a.into_iter().map(Value::String).collect()),
                        );
                    }
                    self.props(&mut fo, &f.props);
                    list.push(Value::Object(fo));
                }
                out.insert("fields".into(), Value::Array(list));
                self.props(&mut out, props);
                self.aliases(&mut out, aliases, name);
                Value::Object(out)
            }
            Node::Enum {
                name,
                doc,
                aliases,
                symbols,
                default,
                props,
            } => {
                let mut out = Map::new();
                out.insert("type".into(), Value::String("enum".into()));
                self.name_keys(&mut out, name, space);
                Self::doc(&mut out, doc);
                out.insert(
                    "symbols".into(),
                    Value::Array(symbols.iter().cloned().map(Value::String).collect()),
                );
                if let Some(d) = default {
                    out.insert("default".into(), Value::String(d.clone()));
                }
                self.props(&mut out, props);
                self.aliases(&mut out, aliases, name);
                Value::Object(out)
            }
            Node::Fixed {
                name,
                doc,
                aliases,
                size,
                props,
            } => {
                let mut out = Map::new();
                out.insert("type".into(), Value::String("fixed".into()));
                self.name_keys(&mut out, name, space);
                Self::doc(&mut out, doc);
                out.insert("size".into(), Value::from(*size));
                self.props(&mut out, props);
                self.aliases(&mut out, aliases, name);
                Value::Object(out)
            }
            Node::Array { items, props } => {
                let mut out = Map::new();
                out.insert("type".into(), Value::String("array".into()));
                out.insert("items".into(), self.node(*items, space));
                self.props(&mut out, props);
                Value::Object(out)
            }
            Node::Map { values, props } => {
                let mut out = Map::new();
                out.insert("type".into(), Value::String("map".into()));
                out.insert("values".into(), self.node(*values, space));
                self.props(&mut out, props);
                Value::Object(out)
            }
            Node::Union { branches } => {
                Value::Array(branches.iter().map(|b| self.node(*b, space)).collect())
            }
        }
    }
}
