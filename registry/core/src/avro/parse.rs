//! Parsing JSON into the [`Model`] arena, the way Apache Avro Java's
//! `Schema.Parser` reads a schema: names resolved against the enclosing
//! namespace, each named type defined once, names, symbols and defaults
//! validated.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::model::{Field, Model, Name, Node, NodeId, Primitive, Props, describe};
use crate::error::{SchemaError, SchemaErrorKind, pointer_push};

/// Parses `value` after the referenced schemas `deps`.
pub(super) fn parse_model(value: &Value, deps: &[Value]) -> Result<Model, SchemaError> {
    let mut parser = Parser {
        nodes: Vec::new(),
        named: HashMap::new(),
    };
    for (i, dep) in deps.iter().enumerate() {
        parser
            .parse(dep, None, &format!("references[{i}]"))
            .map_err(|mut e| {
                e.message = format!("in referenced schema: {}", e.message);
                e
            })?;
    }
    let external: HashSet<NodeId> = parser.named.values().copied().collect();
    let root = parser.parse(value, None, "")?;
    Ok(Model {
        nodes: parser.nodes,
        root,
        named: parser.named,
        external,
    })
}

struct Parser {
    nodes: Vec<Node>,
    named: HashMap<String, NodeId>,
}

fn invalid(at: &str, message: impl Into<String>) -> SchemaError {
    SchemaError::invalid(at, message)
}

/// Java's rule for names: a letter or `_`, then letters, digits and `_`.
fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn check_fullname(name: &Name, at: &str) -> Result<(), SchemaError> {
    if !valid_name(&name.name) {
        return Err(invalid(
            at,
            format!(
                "invalid name '{}': names start with a letter or _ and contain only letters, digits and _",
                name.name
            ),
        ));
    }
    if let Some(ns) = &name.namespace
        && !ns.split('.').all(valid_name)
    {
        return Err(invalid(at, format!("invalid namespace '{ns}'")));
    }
    Ok(())
}

const RECORD_KEYS: &[&str] = &["type", "name", "namespace", "doc", "fields", "aliases"];
const ENUM_KEYS: &[&str] = &[
    "type",
    "name",
    "namespace",
    "doc",
    "symbols",
    "aliases",
    "default",
];
const FIXED_KEYS: &[&str] = &["type", "name", "namespace", "doc", "size", "aliases"];
const FIELD_KEYS: &[&str] = &["name", "type", "doc", "default", "order", "aliases"];

fn props_except(obj: &Map<String, Value>, reserved: &[&str]) -> Props {
    obj.iter()
        .filter(|(k, _)| !reserved.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn opt_string(
    obj: &Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<Option<String>, SchemaError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(invalid(
            &pointer_push(at, key),
            format!("'{key}' must be a string, found {other}"),
        )),
    }
}

impl Parser {
    fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn parse(
        &mut self,
        value: &Value,
        namespace: Option<&str>,
        at: &str,
    ) -> Result<NodeId, SchemaError> {
        match value {
            Value::String(s) => self.named_or_primitive(s, namespace, at),
            Value::Array(branches) => self.union(branches, namespace, at),
            Value::Object(obj) => self.complex(obj, namespace, at),
            other => Err(invalid(
                at,
                format!("a schema is a string, object or array, not {other}"),
            )),
        }
    }

    fn named_or_primitive(
        &mut self,
        s: &str,
        namespace: Option<&str>,
        at: &str,
    ) -> Result<NodeId, SchemaError> {
        if let Some(kind) = Primitive::from_name(s) {
            return Ok(self.push(Node::Primitive {
                kind,
                props: Vec::new(),
            }));
        }
        let full = Name::resolve(s, namespace).fullname();
        // Java resolves a short name in the enclosing namespace only; fall back to
        // the null namespace as Avro 1.12 and apache-avro do.
        self.named
            .get(&full)
            .or_else(|| self.named.get(s))
            .copied()
            .ok_or_else(|| invalid(at, format!("unknown type '{s}': not a primitive and no named type '{full}' is defined before this point")))
    }

    fn union(
        &mut self,
        branches: &[Value],
        namespace: Option<&str>,
        at: &str,
    ) -> Result<NodeId, SchemaError> {
        let mut ids = Vec::with_capacity(branches.len());
        let mut seen: HashSet<String> = HashSet::new();
        for (i, b) in branches.iter().enumerate() {
            let here = pointer_push(at, i);
            let id = self.parse(b, namespace, &here)?;
            let key = match &self.nodes[id] {
                Node::Union { .. } => {
                    return Err(invalid(
                        &here,
                        "a union may not directly contain another union",
                    ));
                }
                Node::Record { name, .. } | Node::Enum { name, .. } | Node::Fixed { name, .. } => {
                    name.fullname()
                }
                other => other.type_name().to_owned(),
            };
            if !seen.insert(key.clone()) {
                return Err(invalid(
                    &here,
                    format!("union contains {} more than once", key.to_lowercase()),
                ));
            }
            ids.push(id);
        }
        Ok(self.push(Node::Union { branches: ids }))
    }

    fn complex(
        &mut self,
        obj: &Map<String, Value>,
        namespace: Option<&str>,
        at: &str,
    ) -> Result<NodeId, SchemaError> {
        let ty = obj
            .get("type")
            .ok_or_else(|| invalid(at, "schema object has no 'type'"))?;
        let ty = match ty {
            Value::String(s) => s.as_str(),
            // `{"type": {...}}` and `{"type": [...]}` wrap another schema.
            Value::Object(_) | Value::Array(_) => {
                return self.parse(ty, namespace, &pointer_push(at, "type"));
            }
            other => {
                return Err(invalid(
                    &pointer_push(at, "type"),
                    format!("'type' must be a string, object or array, not {other}"),
                ));
            }
        };
        match ty {
            "record" | "error" => self.record(obj, ty == "error", namespace, at),
            "enum" => self.enumeration(obj, namespace, at),
            "fixed" => self.fixed(obj, namespace, at),
            "array" => {
                let items = obj
                    .get("items")
                    .ok_or_else(|| invalid(at, "array schema has no 'items'"))?;
                let items = self.parse(items, namespace, &pointer_push(at, "items"))?;
                Ok(self.push(Node::Array {
                    items,
                    props: props_except(obj, &["type", "items"]),
                }))
            }
            "map" => {
                let values = obj
                    .get("values")
                    .ok_or_else(|| invalid(at, "map schema has no 'values'"))?;
                let values = self.parse(values, namespace, &pointer_push(at, "values"))?;
                Ok(self.push(Node::Map {
                    values,
                    props: props_except(obj, &["type", "values"]),
                }))
            }
            other => match Primitive::from_name(other) {
                Some(kind) => Ok(self.push(Node::Primitive {
                    kind,
                    props: props_except(obj, &["type"]),
                })),
                // `{"type": "com.example.Named"}` refers to a named type.
                None => self.named_or_primitive(other, namespace, &pointer_push(at, "type")),
            },
        }
    }

    /// Reads name, namespace and aliases; registers the name so later (and
    /// recursive) references resolve.
    fn declare(
        &mut self,
        obj: &Map<String, Value>,
        namespace: Option<&str>,
        at: &str,
    ) -> Result<(Name, Vec<String>, NodeId), SchemaError> {
        let raw = match obj.get("name") {
            Some(Value::String(s)) => s.as_str(),
            Some(other) => {
                return Err(invalid(
                    &pointer_push(at, "name"),
                    format!("'name' must be a string, found {other}"),
                ));
            }
            None => return Err(invalid(at, "named type has no 'name'")),
        };
        let own_ns = opt_string(obj, "namespace", at)?;
        let ns = if raw.contains('.') {
            None
        } else {
            own_ns.as_deref().or(namespace)
        };
        let name = Name::resolve(raw, ns);
        check_fullname(&name, &pointer_push(at, "name"))?;
        let aliases = match obj.get("aliases") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::String(s) => {
                        let alias = Name::resolve(s, name.namespace.as_deref());
                        check_fullname(&alias, &pointer_push(&pointer_push(at, "aliases"), i))?;
                        Ok(alias.fullname())
                    }
                    other => Err(invalid(
                        &pointer_push(&pointer_push(at, "aliases"), i),
                        format!("alias must be a string, found {other}"),
                    )),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(invalid(
                    &pointer_push(at, "aliases"),
                    format!("'aliases' must be an array of strings, found {other}"),
                ));
            }
        };
        let full = name.fullname();
        if self.named.contains_key(&full) {
            return Err(invalid(
                &pointer_push(at, "name"),
                format!("type '{full}' is defined more than once"),
            ));
        }
        // Placeholder until the definition is complete: recursive references need
        // the id, and unions need the name.
        let id = self.push(Node::Record {
            name: name.clone(),
            doc: None,
            aliases: Vec::new(),
            fields: Vec::new(),
            by_name: HashMap::new(),
            is_error: false,
            props: Vec::new(),
        });
        self.named.insert(full, id);
        Ok((name, aliases, id))
    }

    fn record(
        &mut self,
        obj: &Map<String, Value>,
        is_error: bool,
        namespace: Option<&str>,
        at: &str,
    ) -> Result<NodeId, SchemaError> {
        let (name, aliases, id) = self.declare(obj, namespace, at)?;
        let doc = opt_string(obj, "doc", at)?;
        let raw_fields = match obj.get("fields") {
            Some(Value::Array(f)) => f,
            Some(other) => {
                return Err(invalid(
                    &pointer_push(at, "fields"),
                    format!("'fields' must be an array, found {other}"),
                ));
            }
            None => {
                return Err(invalid(
                    at,
                    format!("record '{}' has no 'fields'", name.fullname()),
                ));
            }
        };
        let inner_ns = name.namespace.clone();
        let mut fields = Vec::with_capacity(raw_fields.len());
        let mut by_name = HashMap::with_capacity(raw_fields.len());
        for (i, f) in raw_fields.iter().enumerate() {
            let here = pointer_push(&pointer_push(at, "fields"), i);
            let field = self.field(f, inner_ns.as_deref(), &here, &name)?;
            if by_name.insert(field.name.clone(), i).is_some() {
                return Err(invalid(
                    &pointer_push(&here, "name"),
                    format!(
                        "record '{}' has two fields named '{}'",
                        name.fullname(),
                        field.name
                    ),
                ));
            }
            fields.push(field);
        }
        self.nodes[id] = Node::Record {
            name,
            doc,
            aliases,
            fields,
            by_name,
            is_error,
            props: props_except(obj, RECORD_KEYS),
        };
        Ok(id)
    }

    fn field(
        &mut self,
        value: &Value,
        namespace: Option<&str>,
        at: &str,
        record: &Name,
    ) -> Result<Field, SchemaError> {
        let obj = value
            .as_object()
            .ok_or_else(|| invalid(at, format!("a field is an object, not {value}")))?;
        let name = match obj.get("name") {
            Some(Value::String(s)) if valid_name(s) => s.clone(),
            Some(Value::String(s)) => {
                return Err(invalid(
                    &pointer_push(at, "name"),
                    format!("invalid field name '{s}' in record '{}'", record.fullname()),
                ));
            }
            _ => {
                return Err(invalid(
                    at,
                    format!(
                        "a field of record '{}' has no string 'name'",
                        record.fullname()
                    ),
                ));
            }
        };
        let ty = obj.get("type").ok_or_else(|| {
            invalid(
                at,
                format!(
                    "field '{name}' of record '{}' has no 'type'",
                    record.fullname()
                ),
            )
        })?;
        let ty = self.parse(ty, namespace, &pointer_push(at, "type"))?;
        let default = obj.get("default").cloned();
        if let Some(d) = &default
            && !self.valid_default(ty, d, 0)
        {
            return Err(SchemaError::new(
                SchemaErrorKind::InvalidDefault,
                pointer_push(at, "default"),
                format!(
                    "field '{name}' of record '{}': default {d} is not a valid {}",
                    record.fullname(),
                    self.describe(ty)
                ),
            ));
        }
        let order = match obj.get("order") {
            None => None,
            Some(Value::String(s)) if s == "ascending" => None,
            Some(Value::String(s)) if s == "descending" || s == "ignore" => Some(s.clone()),
            Some(other) => {
                return Err(invalid(
                    &pointer_push(at, "order"),
                    format!(
                        "field '{name}': order must be ascending, descending or ignore, not {other}"
                    ),
                ));
            }
        };
        let aliases = match obj.get("aliases") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str().map(str::to_owned).ok_or_else(|| {
                        invalid(
                            &pointer_push(at, "aliases"),
                            format!("field '{name}': aliases must be strings"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(invalid(
                    &pointer_push(at, "aliases"),
                    format!("field '{name}': 'aliases' must be an array, found {other}"),
                ));
            }
        };
        Ok(Field {
            name,
            doc: opt_string(obj, "doc", at)?,
            aliases,
            ty,
            default,
            order,
            props: props_except(obj, FIELD_KEYS),
        })
    }

    fn enumeration(
        &mut self,
        obj: &Map<String, Value>,
        namespace: Option<&str>,
        at: &str,
    ) -> Result<NodeId, SchemaError> {
        let (name, aliases, id) = self.declare(obj, namespace, at)?;
        let raw = match obj.get("symbols") {
            Some(Value::Array(s)) => s,
            _ => {
                return Err(invalid(
                    at,
                    format!(
                        "enum '{}' needs 'symbols', an array of names",
                        name.fullname()
                    ),
                ));
            }
        };
        let mut symbols = Vec::with_capacity(raw.len());
        let mut seen = HashSet::with_capacity(raw.len());
        for (i, s) in raw.iter().enumerate() {
            let here = pointer_push(&pointer_push(at, "symbols"), i);
            let s = s.as_str().ok_or_else(|| {
                invalid(
                    &here,
                    format!("enum '{}': symbols must be strings", name.fullname()),
                )
            })?;
            if !valid_name(s) {
                return Err(invalid(
                    &here,
                    format!("enum '{}': invalid symbol '{s}'", name.fullname()),
                ));
            }
            if !seen.insert(s) {
                return Err(invalid(
                    &here,
                    format!("enum '{}': duplicate symbol '{s}'", name.fullname()),
                ));
            }
            symbols.push(s.to_owned());
        }
        let default = match obj.get("default") {
            None | Some(Value::Null) => None,
            Some(Value::String(d)) if symbols.contains(d) => Some(d.clone()),
            Some(other) => {
                return Err(SchemaError::new(
                    SchemaErrorKind::InvalidDefault,
                    pointer_push(at, "default"),
                    format!(
                        "enum '{}': default {other} is not one of its symbols",
                        name.fullname()
                    ),
                ));
            }
        };
        let doc = opt_string(obj, "doc", at)?;
        self.nodes[id] = Node::Enum {
            name,
            doc,
            aliases,
            symbols,
            default,
            props: props_except(obj, ENUM_KEYS),
        };
        Ok(id)
    }

    fn fixed(
        &mut self,
        obj: &Map<String, Value>,
        namespace: Option<&str>,
        at: &str,
    ) -> Result<NodeId, SchemaError> {
        let (name, aliases, id) = self.declare(obj, namespace, at)?;
        let size = obj
            .get("size")
            .and_then(Value::as_u64)
            .filter(|s| *s <= i32::MAX as u64)
            .ok_or_else(|| {
                invalid(
                    &pointer_push(at, "size"),
                    format!(
                        "fixed '{}' needs 'size', a non-negative integer",
                        name.fullname()
                    ),
                )
            })?;
        let doc = opt_string(obj, "doc", at)?;
        self.nodes[id] = Node::Fixed {
            name,
            doc,
            aliases,
            size,
            props: props_except(obj, FIXED_KEYS),
        };
        Ok(id)
    }

    fn describe(&self, id: NodeId) -> String {
        describe(&self.nodes, id)
    }

    /// Java's `Schema.isValidDefault`, except that a union default may match any
    /// branch (Avro 1.12 and Confluent accept that; the spec asks for the first).
    fn valid_default(&self, id: NodeId, v: &Value, depth: usize) -> bool {
        if depth > 256 {
            return false;
        }
        match &self.nodes[id] {
            Node::Primitive { kind, .. } => match kind {
                Primitive::Null => v.is_null(),
                Primitive::Boolean => v.is_boolean(),
                Primitive::Int => v.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
                Primitive::Long => {
                    v.is_i64() || v.is_u64() && v.as_u64().is_some_and(|n| i64::try_from(n).is_ok())
                }
                Primitive::Float | Primitive::Double => {
                    v.is_number()
                        || v.as_str()
                            .is_some_and(|s| matches!(s, "NaN" | "Infinity" | "-Infinity"))
                }
                Primitive::Bytes | Primitive::String => v.is_string(),
            },
            Node::Fixed { .. } => v.is_string(),
            Node::Enum { symbols, .. } => {
                v.as_str().is_some_and(|s| symbols.iter().any(|x| x == s))
            }
            Node::Array { items, .. } => v
                .as_array()
                .is_some_and(|a| a.iter().all(|e| self.valid_default(*items, e, depth + 1))),
            Node::Map { values, .. } => v.as_object().is_some_and(|m| {
                m.values()
                    .all(|e| self.valid_default(*values, e, depth + 1))
            }),
            Node::Union { branches } => branches
                .iter()
                .any(|b| self.valid_default(*b, v, depth + 1)),
            Node::Record { fields, .. } => v.as_object().is_some_and(|m| {
                fields.iter().all(|f| match m.get(&f.name) {
                    Some(fv) => self.valid_default(f.ty, fv, depth + 1),
                    None => f.default.is_some(),
                })
            }),
        }
    }
}
