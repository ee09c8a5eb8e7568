//! The arena an Avro schema is parsed into (see `parse.rs` for how): named
//! types defined once and referenced by id, so recursive types are cycles in
//! the arena; logical types and custom attributes kept as properties.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::error::SchemaError;

/// Index of a node in [`Model::nodes`].
pub type NodeId = usize;

/// The primitive types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Primitive {
    /// `null`
    Null,
    /// `boolean`
    Boolean,
    /// `int`
    Int,
    /// `long`
    Long,
    /// `float`
    Float,
    /// `double`
    Double,
    /// `bytes`
    Bytes,
    /// `string`
    String,
}

impl Primitive {
    pub(super) fn from_name(name: &str) -> Option<Primitive> {
        Some(match name {
            "null" => Primitive::Null,
            "boolean" => Primitive::Boolean,
            "int" => Primitive::Int,
            "long" => Primitive::Long,
            "float" => Primitive::Float,
            "double" => Primitive::Double,
            "bytes" => Primitive::Bytes,
            "string" => Primitive::String,
            _ => return None,
        })
    }

    /// The schema name, e.g. `long`.
    pub fn name(self) -> &'static str {
        match self {
            Primitive::Null => "null",
            Primitive::Boolean => "boolean",
            Primitive::Int => "int",
            Primitive::Long => "long",
            Primitive::Float => "float",
            Primitive::Double => "double",
            Primitive::Bytes => "bytes",
            Primitive::String => "string",
        }
    }
}

/// A named type's name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name {
    /// The last component.
    pub name: String,
    /// The namespace; `None` for the null namespace.
    pub namespace: Option<String>,
}

impl Name {
    /// Resolves `raw` (short or full) against the enclosing `namespace`.
    pub(super) fn resolve(raw: &str, namespace: Option<&str>) -> Name {
        match raw.rfind('.') {
            Some(dot) => Name {
                name: raw[dot + 1..].to_owned(),
                namespace: Some(raw[..dot].to_owned()).filter(|n| !n.is_empty()),
            },
            None => Name {
                name: raw.to_owned(),
                namespace: namespace.filter(|n| !n.is_empty()).map(str::to_owned),
            },
        }
    }

    /// `namespace.name`, or `name` in the null namespace.
    pub fn fullname(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Ordered extra attributes (`logicalType`, `precision`, custom keys).
pub type Props = Vec<(String, Value)>;

/// A record field.
#[derive(Debug, Clone)]
pub struct Field {
    /// The field name.
    pub name: String,
    /// Documentation.
    pub doc: Option<String>,
    /// Alternate names a reader matches writer fields by.
    pub aliases: Vec<String>,
    /// The field's type.
    pub ty: NodeId,
    /// The default value, as JSON.
    pub default: Option<Value>,
    /// `ascending` (omitted), `descending` or `ignore`.
    pub order: Option<String>,
    /// Other attributes.
    pub props: Props,
}

/// One schema node.
#[derive(Debug, Clone)]
pub enum Node {
    /// A primitive, possibly with a logical type in `props`.
    Primitive {
        /// Which primitive.
        kind: Primitive,
        /// Attributes such as `logicalType`.
        props: Props,
    },
    /// A record (`record` or `error`).
    Record {
        /// Its name.
        name: Name,
        /// Documentation.
        doc: Option<String>,
        /// Full names of its aliases.
        aliases: Vec<String>,
        /// The fields, in order.
        fields: Vec<Field>,
        /// Field name to index.
        by_name: HashMap<String, usize>,
        /// Declared as `error`.
        is_error: bool,
        /// Other attributes.
        props: Props,
    },
    /// An enum.
    Enum {
        /// Its name.
        name: Name,
        /// Documentation.
        doc: Option<String>,
        /// Full names of its aliases.
        aliases: Vec<String>,
        /// The symbols, in order.
        symbols: Vec<String>,
        /// The symbol a reader uses for unknown writer symbols.
        default: Option<String>,
        /// Other attributes.
        props: Props,
    },
    /// A fixed-size byte string.
    Fixed {
        /// Its name.
        name: Name,
        /// Documentation.
        doc: Option<String>,
        /// Full names of its aliases.
        aliases: Vec<String>,
        /// Size in bytes.
        size: u64,
        /// Other attributes (`logicalType`, …).
        props: Props,
    },
    /// An array.
    Array {
        /// Element type.
        items: NodeId,
        /// Other attributes.
        props: Props,
    },
    /// A map with string keys.
    Map {
        /// Value type.
        values: NodeId,
        /// Other attributes.
        props: Props,
    },
    /// A union.
    Union {
        /// The branches, in order.
        branches: Vec<NodeId>,
    },
}

impl Node {
    /// Java's `Schema.Type` name, as compatibility messages print it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Node::Primitive { kind, .. } => match kind {
                Primitive::Null => "NULL",
                Primitive::Boolean => "BOOLEAN",
                Primitive::Int => "INT",
                Primitive::Long => "LONG",
                Primitive::Float => "FLOAT",
                Primitive::Double => "DOUBLE",
                Primitive::Bytes => "BYTES",
                Primitive::String => "STRING",
            },
            Node::Record { .. } => "RECORD",
            Node::Enum { .. } => "ENUM",
            Node::Fixed { .. } => "FIXED",
            Node::Array { .. } => "ARRAY",
            Node::Map { .. } => "MAP",
            Node::Union { .. } => "UNION",
        }
    }

    /// The name of a named type.
    pub fn name(&self) -> Option<&Name> {
        match self {
            Node::Record { name, .. } | Node::Enum { name, .. } | Node::Fixed { name, .. } => {
                Some(name)
            }
            _ => None,
        }
    }

    /// Aliases of a named type (full names).
    pub fn aliases(&self) -> &[String] {
        match self {
            Node::Record { aliases, .. }
            | Node::Enum { aliases, .. }
            | Node::Fixed { aliases, .. } => aliases,
            _ => &[],
        }
    }
}

/// A parsed Avro schema: its root, and every named type it can see.
#[derive(Debug, Clone)]
pub struct Model {
    /// All nodes; named types appear once.
    pub nodes: Vec<Node>,
    /// The root node.
    pub root: NodeId,
    /// Full name to node, for every named type (including those of references).
    pub named: HashMap<String, NodeId>,
    /// Named types that came from references, printed by name only.
    pub external: HashSet<NodeId>,
}

impl Model {
    /// Parses `value` (the schema document) after the referenced schemas `deps`.
    pub fn parse(value: &Value, deps: &[Value]) -> Result<Model, SchemaError> {
        super::parse::parse_model(value, deps)
    }

    /// The node behind `id`.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }
}

/// A type as people name it in messages: `long`, `record 'shop.Order'`, `union [null, string]`.
pub fn describe(nodes: &[Node], id: NodeId) -> String {
    match &nodes[id] {
        Node::Primitive { kind, .. } => kind.name().to_owned(),
        Node::Record { name, .. } => format!("record '{}'", name.fullname()),
        Node::Enum { name, .. } => format!("enum '{}'", name.fullname()),
        Node::Fixed { name, .. } => format!("fixed '{}'", name.fullname()),
        Node::Array { .. } => "array".to_owned(),
        Node::Map { .. } => "map".to_owned(),
        Node::Union { branches } => {
            let names: Vec<String> = branches.iter().map(|b| describe(nodes, *b)).collect();
            format!("union [{}]", names.join(", "))
        }
    }
}
