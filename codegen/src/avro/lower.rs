//! One parsed Avro file (evreg-core's arena [`Model`]) to IR definitions.
//!
//! The walk follows the parser's order, so the first visit of a named node is its
//! definition and the JSON pointer built on the way is where it is written. Named
//! types that came from other files (`model.external`) are only referred to: their
//! own file defines them.

use std::collections::{BTreeSet, HashMap, HashSet};

use evreg_core::avro::Model;
use evreg_core::avro::model::{Name, Node, NodeId, Primitive, Props};
use serde_json::Value;

use super::defaults;
use crate::error::Error;
use crate::ir::{
    DecimalWire, EnumDef, EnumRepr, Field, NewtypeDef, Origin, Payload, Scalar, StructDef,
    TimeWire, TypeDef, TypeKind, TypePath, TypeRef, Variant,
};
use crate::naming;

/// Where a type use sits, for naming the enums that unions become.
#[derive(Clone)]
struct Site {
    /// Module of the enclosing named type.
    module: Vec<String>,
    /// Rust name prefix (`OrderCreated` + `Payment`).
    base: String,
    /// Schema-level name (`shop.order.OrderCreated.payment`), which identifies the
    /// union across files that define the same record.
    schema: String,
}

impl Site {
    fn child(&self, rust: &str, schema: &str) -> Site {
        Site {
            module: self.module.clone(),
            base: format!("{}{rust}", self.base),
            schema: format!("{}{schema}", self.schema),
        }
    }
}

/// The Rust path of a named Avro type (namespace components become modules).
pub(crate) fn path_of(name: &Name) -> TypePath {
    TypePath {
        module: name
            .namespace
            .as_deref()
            .map(|ns| ns.split('.').map(naming::module_name).collect())
            .unwrap_or_default(),
        name: naming::type_name(&name.name),
    }
}

/// Lowers one file.
pub(crate) struct Lower<'a> {
    pub model: &'a Model,
    pub file: &'a str,
    pub json_fallback: bool,
    /// Paths of every named type in the whole input, so that enum names made up
    /// for unions avoid them.
    pub taken: &'a BTreeSet<TypePath>,
    /// Renames the file's root type (`--root-name`).
    pub root_name: Option<&'a str>,
    pub defs: Vec<TypeDef>,
    done: HashSet<NodeId>,
    paths: HashMap<NodeId, TypePath>,
}

impl<'a> Lower<'a> {
    pub(crate) fn new(
        model: &'a Model,
        file: &'a str,
        json_fallback: bool,
        taken: &'a BTreeSet<TypePath>,
        root_name: Option<&'a str>,
    ) -> Self {
        Lower {
            model,
            file,
            json_fallback,
            taken,
            root_name,
            defs: Vec::new(),
            done: HashSet::new(),
            paths: HashMap::new(),
        }
    }

    fn origin(&self, pointer: &str) -> Origin {
        Origin {
            file: self.file.to_owned(),
            pointer: pointer.to_owned(),
        }
    }

    /// The path of named node `id`.
    fn named_path(&mut self, id: NodeId) -> TypePath {
        if let Some(p) = self.paths.get(&id) {
            return p.clone();
        }
        let node = self.model.node(id);
        let mut path = node.name().map(path_of).unwrap_or_else(|| TypePath {
            module: Vec::new(),
            name: "Unnamed".into(),
        });
        if id == self.model.root
            && let Some(r) = self.root_name
        {
            path.name = naming::type_name(r);
        }
        self.paths.insert(id, path.clone());
        path
    }

    /// Lowers the file. `stem` names a root that is not a named type.
    pub(crate) fn run(&mut self, stem: &str) -> Result<(), Error> {
        let root = self.model.root;
        let site = Site {
            module: Vec::new(),
            base: naming::type_name(self.root_name.unwrap_or(stem)),
            schema: stem.to_owned(),
        };
        match self.model.node(root) {
            Node::Record { .. } | Node::Enum { .. } | Node::Fixed { .. } => {
                self.lower(root, "", &site)?;
            }
            // A file that lists named types (`[A, B]`) defines them and nothing else,
            // unless the caller asked for a root type by name.
            Node::Union { branches }
                if self.root_name.is_none()
                    && branches
                        .iter()
                        .all(|b| self.model.node(*b).name().is_some()) =>
            {
                for (i, b) in branches.clone().into_iter().enumerate() {
                    self.lower(b, &format!("/{i}"), &site)?;
                }
            }
            _ => {
                let ty = self.lower(root, "", &site)?;
                let path = TypePath {
                    module: Vec::new(),
                    name: site.base.clone(),
                };
                // A root union already became an enum of that name.
                if ty != TypeRef::Named(path.clone()) {
                    self.defs.push(TypeDef {
                        path,
                        schema_name: stem.to_owned(),
                        doc: Some(format!("The root type of `{}`.", self.file)),
                        origin: self.origin(""),
                        kind: TypeKind::Alias(ty),
                    });
                }
            }
        }
        Ok(())
    }

    fn lower(&mut self, id: NodeId, ptr: &str, site: &Site) -> Result<TypeRef, Error> {
        let node = self.model.node(id);
        match node {
            Node::Primitive { kind, props } => self.primitive(*kind, props),
            Node::Array { items, .. } => {
                let inner =
                    self.lower(*items, &format!("{ptr}/items"), &site.child("Item", "[]"))?;
                Ok(TypeRef::List(Box::new(inner)))
            }
            Node::Map { values, .. } => {
                let inner = self.lower(
                    *values,
                    &format!("{ptr}/values"),
                    &site.child("Value", "{}"),
                )?;
                Ok(TypeRef::Map(Box::new(inner)))
            }
            Node::Union { branches } => self.union(branches, ptr, site),
            Node::Record { .. } | Node::Enum { .. } | Node::Fixed { .. } => {
                let path = self.named_path(id);
                if !self.model.external.contains(&id) && self.done.insert(id) {
                    self.define(id, ptr, &path)?;
                }
                Ok(TypeRef::Named(path))
            }
        }
    }

    fn primitive(&mut self, kind: Primitive, props: &Props) -> Result<TypeRef, Error> {
        let logical = logical_type(props);
        let scalar = match (kind, logical) {
            (Primitive::Null, _) => Scalar::Unit,
            (Primitive::Boolean, _) => Scalar::Bool,
            (Primitive::Int, Some("date")) => Scalar::Date(TimeWire::AvroDays),
            (Primitive::Int, Some("time-millis")) => Scalar::Time(TimeWire::AvroMillis),
            (Primitive::Int, _) => Scalar::I32,
            (Primitive::Long, Some(l)) => match l {
                "time-micros" => Scalar::Time(TimeWire::AvroMicros),
                "timestamp-millis" => Scalar::Timestamp(TimeWire::AvroMillis),
                "timestamp-micros" => Scalar::Timestamp(TimeWire::AvroMicros),
                "timestamp-nanos" => Scalar::Timestamp(TimeWire::AvroNanos),
                "local-timestamp-millis" => Scalar::LocalTimestamp(TimeWire::AvroMillis),
                "local-timestamp-micros" => Scalar::LocalTimestamp(TimeWire::AvroMicros),
                "local-timestamp-nanos" => Scalar::LocalTimestamp(TimeWire::AvroNanos),
                _ => Scalar::I64,
            },
            (Primitive::Long, None) => Scalar::I64,
            (Primitive::Float, _) => Scalar::F32,
            (Primitive::Double, _) => Scalar::F64,
            (Primitive::Bytes, Some("decimal")) => match decimal_params(props) {
                Some((precision, scale)) => {
                    Scalar::Decimal(DecimalWire::AvroBytes { precision, scale })
                }
                // The spec: an invalid logical type is ignored (apache-avro agrees).
                None => Scalar::Bytes,
            },
            (Primitive::Bytes, Some("big-decimal")) => Scalar::Decimal(DecimalWire::AvroBig),
            (Primitive::Bytes, _) => Scalar::Bytes,
            (Primitive::String, Some("uuid")) => Scalar::Uuid,
            (Primitive::String, _) => Scalar::String,
        };
        Ok(TypeRef::Scalar(scalar))
    }

    fn unsupported(&self, ptr: &str, message: &str) -> Result<TypeRef, Error> {
        if self.json_fallback {
            Ok(TypeRef::Scalar(Scalar::Json))
        } else {
            Err(Error::Unsupported {
                origin: self.origin(ptr),
                message: message.to_owned(),
            })
        }
    }

    fn union(&mut self, branches: &[NodeId], ptr: &str, site: &Site) -> Result<TypeRef, Error> {
        let is_null = |id: &NodeId| {
            matches!(
                self.model.node(*id),
                Node::Primitive {
                    kind: Primitive::Null,
                    ..
                }
            )
        };
        let null_at = branches.iter().position(is_null);
        let others: Vec<(usize, NodeId)> = branches
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, b)| !is_null(b))
            .collect();
        match (null_at, others.as_slice()) {
            (_, []) => Ok(TypeRef::Scalar(Scalar::Unit)),
            (Some(n), [(i, only)]) => {
                let inner = self.lower(*only, &format!("{ptr}/{i}"), site)?;
                Ok(TypeRef::Option {
                    inner: Box::new(inner),
                    null_index: (n != 0).then_some(n as u32),
                })
            }
            // A union of one branch is still an enum: apache-avro's deserializer
            // reads a union as an enum by branch index, and a bare enum or map would
            // be misread.
            _ => self.union_enum(branches, ptr, site),
        }
    }

    fn union_enum(
        &mut self,
        branches: &[NodeId],
        ptr: &str,
        site: &Site,
    ) -> Result<TypeRef, Error> {
        let mut name = site.base.clone();
        let clashes = |n: &str| {
            self.taken.contains(&TypePath {
                module: site.module.clone(),
                name: n.to_owned(),
            })
        };
        if clashes(&name) {
            name.push_str("Union");
        }
        let path = TypePath {
            module: site.module.clone(),
            name,
        };
        let names = union_variant_names(self.model, branches);
        let mut variants = Vec::with_capacity(branches.len());
        for (i, (&b, (vname, wire))) in branches.iter().zip(names).enumerate() {
            let payload = match self.model.node(b) {
                Node::Primitive {
                    kind: Primitive::Null,
                    ..
                } => Payload::Unit,
                _ => {
                    let inner_site = Site {
                        module: site.module.clone(),
                        base: format!("{}{vname}", path.name),
                        schema: format!("{}|{i}", site.schema),
                    };
                    Payload::Newtype(self.lower(b, &format!("{ptr}/{i}"), &inner_site)?)
                }
            };
            variants.push(Variant {
                name: vname,
                wire_name: wire,
                aliases: Vec::new(),
                doc: None,
                payload,
            });
        }
        let listed: Vec<String> = variants
            .iter()
            .map(|v| format!("`{}`", v.wire_name))
            .collect();
        self.defs.push(TypeDef {
            path: path.clone(),
            schema_name: format!("union {}", site.schema),
            doc: Some(format!(
                "One of the branches of the union at `{}`: {}.",
                site.schema,
                listed.join(", ")
            )),
            origin: self.origin(ptr),
            kind: TypeKind::Enum(EnumDef {
                variants,
                repr: EnumRepr::AvroUnion {
                    tagged: ambiguous(self.model, branches),
                },
                default_variant: None,
            }),
        });
        Ok(TypeRef::Named(path))
    }

    fn define(&mut self, id: NodeId, ptr: &str, path: &TypePath) -> Result<(), Error> {
        let node = self.model.node(id);
        let (schema_name, kind_word) = match node {
            Node::Record { name, is_error, .. } => {
                (name.fullname(), if *is_error { "error" } else { "record" })
            }
            Node::Enum { name, .. } => (name.fullname(), "enum"),
            Node::Fixed { name, .. } => (name.fullname(), "fixed"),
            _ => return Ok(()),
        };
        let doc = match node {
            Node::Record { doc, .. } | Node::Enum { doc, .. } | Node::Fixed { doc, .. } => {
                doc.clone()
            }
            _ => None,
        };
        let kind = match node {
            Node::Record { fields, .. } => {
                let site = Site {
                    module: path.module.clone(),
                    base: path.name.clone(),
                    schema: schema_name.clone(),
                };
                let mut taken = BTreeSet::new();
                let mut out = Vec::with_capacity(fields.len());
                for (i, f) in fields.iter().enumerate() {
                    let fptr = format!("{ptr}/fields/{i}");
                    let fsite = site.child(&naming::type_name(&f.name), &format!(".{}", f.name));
                    let ty = self.lower(f.ty, &format!("{fptr}/type"), &fsite)?;
                    let default = match &f.default {
                        Some(d) => Some(defaults::to_const(self.model, f.ty, d).map_err(|m| {
                            Error::schema(self.origin(&format!("{fptr}/default")), m)
                        })?),
                        None => None,
                    };
                    out.push(Field {
                        name: naming::unique(naming::field_name(&f.name), &mut taken),
                        wire_name: f.name.clone(),
                        aliases: f.aliases.clone(),
                        doc: f.doc.clone(),
                        ty,
                        default,
                        skip_if_none: false,
                        flatten: false,
                        origin: self.origin(&fptr),
                    });
                }
                TypeKind::Struct(StructDef {
                    fields: out,
                    deny_unknown_fields: false,
                })
            }
            Node::Enum {
                symbols, default, ..
            } => {
                let names = enum_variant_names(symbols);
                let default_variant = default
                    .as_ref()
                    .and_then(|d| symbols.iter().position(|s| s == d))
                    .and_then(|i| names.get(i).cloned());
                TypeKind::Enum(EnumDef {
                    variants: symbols
                        .iter()
                        .zip(names)
                        .map(|(s, n)| Variant {
                            name: n,
                            wire_name: s.clone(),
                            aliases: Vec::new(),
                            doc: None,
                            payload: Payload::Unit,
                        })
                        .collect(),
                    repr: EnumRepr::External,
                    default_variant,
                })
            }
            Node::Fixed { size, props, .. } => {
                let size = u32::try_from(*size).unwrap_or(u32::MAX);
                let inner = match fixed_logical(props, size) {
                    FixedKind::Unsupported(m) => self.unsupported(ptr, &m)?,
                    FixedKind::Scalar(s) => TypeRef::Scalar(s),
                };
                TypeKind::Newtype(NewtypeDef {
                    inner,
                    constraints: Default::default(),
                })
            }
            _ => return Ok(()),
        };
        let mut doc = doc.unwrap_or_else(|| format!("Avro {kind_word} `{schema_name}`."));
        let aliases = node.aliases();
        if aliases.iter().any(|a| *a != schema_name) {
            let listed: Vec<String> = aliases
                .iter()
                .filter(|a| **a != schema_name)
                .map(|a| format!("`{a}`"))
                .collect();
            doc.push_str(&format!(
                "\n\nAvro aliases (older names readers accept): {}.",
                listed.join(", ")
            ));
        }
        self.defs.push(TypeDef {
            path: path.clone(),
            schema_name: schema_name.clone(),
            doc: Some(doc),
            origin: self.origin(ptr),
            kind,
        });
        self.alias_types(aliases, path, &schema_name, ptr);
        Ok(())
    }

    /// A `pub type Old = New;` in the alias's namespace module for each alias of a
    /// named type, so code written against the old name keeps compiling after a
    /// rename. An alias whose path another named type (or the type itself) has is
    /// only listed in the type's docs.
    fn alias_types(&mut self, aliases: &[String], path: &TypePath, schema_name: &str, ptr: &str) {
        for (i, alias) in aliases.iter().enumerate() {
            let name = match alias.rfind('.') {
                Some(dot) => Name {
                    name: alias[dot + 1..].to_owned(),
                    namespace: Some(alias[..dot].to_owned()),
                },
                None => Name {
                    name: alias.clone(),
                    namespace: None,
                },
            };
            let alias_path = path_of(&name);
            if alias_path == *path || self.taken.contains(&alias_path) {
                continue;
            }
            self.defs.push(TypeDef {
                path: alias_path,
                schema_name: alias.clone(),
                doc: Some(format!(
                    "`{alias}`: an Avro alias (an older name) of `{schema_name}`."
                )),
                origin: self.origin(&format!("{ptr}/aliases/{i}")),
                kind: TypeKind::Alias(TypeRef::Named(path.clone())),
            });
        }
    }
}

/// `logicalType`, if present and a string.
pub(crate) fn logical_type(props: &Props) -> Option<&str> {
    props
        .iter()
        .find(|(k, _)| k == "logicalType")
        .and_then(|(_, v)| v.as_str())
}

fn prop_u32(props: &Props, key: &str) -> Option<Option<u32>> {
    match props.iter().find(|(k, _)| k == key) {
        None => Some(None),
        Some((_, v)) => v.as_u64().and_then(|n| u32::try_from(n).ok()).map(Some),
    }
}

/// Valid decimal parameters as apache-avro judges them: precision ≥ 1, scale
/// (default 0) ≤ precision.
fn decimal_params(props: &Props) -> Option<(u32, u32)> {
    let precision = prop_u32(props, "precision")??;
    let scale = prop_u32(props, "scale")?.unwrap_or(0);
    (precision >= 1 && scale <= precision).then_some((precision, scale))
}

enum FixedKind {
    Scalar(Scalar),
    Unsupported(String),
}

fn fixed_logical(props: &Props, size: u32) -> FixedKind {
    match logical_type(props) {
        Some("decimal") => match decimal_params(props) {
            Some((precision, scale)) => {
                FixedKind::Scalar(Scalar::Decimal(DecimalWire::AvroFixed {
                    precision,
                    scale,
                    size,
                }))
            }
            None => FixedKind::Scalar(Scalar::FixedBytes(size)),
        },
        Some("duration") if size == 12 => FixedKind::Scalar(Scalar::Duration),
        Some("duration") => FixedKind::Unsupported(format!(
            "logical type 'duration' needs a fixed of 12 bytes, not {size}"
        )),
        Some("uuid") if size == 16 => FixedKind::Scalar(Scalar::Uuid),
        _ => FixedKind::Scalar(Scalar::FixedBytes(size)),
    }
}

/// Variant names for an Avro enum's symbols (deduplicated after case conversion).
pub(crate) fn enum_variant_names(symbols: &[String]) -> Vec<String> {
    let mut taken = BTreeSet::new();
    symbols
        .iter()
        .map(|s| naming::unique(naming::variant_name(s), &mut taken))
        .collect()
}

/// Variant names and wire names (the Avro JSON encoding's branch names) of a union.
pub(crate) fn union_variant_names(model: &Model, branches: &[NodeId]) -> Vec<(String, String)> {
    let mut taken = BTreeSet::new();
    branches
        .iter()
        .map(|&b| {
            let (rust, wire) = match model.node(b) {
                Node::Primitive { kind, props } => {
                    let rust = match (kind, logical_type(props)) {
                        (Primitive::Bytes, Some("decimal")) if decimal_params(props).is_some() => {
                            "Decimal".to_owned()
                        }
                        (Primitive::Bytes, Some("big-decimal")) => "BigDecimal".to_owned(),
                        (Primitive::String, Some("uuid")) => "Uuid".to_owned(),
                        (Primitive::Int, Some(l @ ("date" | "time-millis")))
                        | (
                            Primitive::Long,
                            Some(
                                l @ ("time-micros"
                                | "timestamp-millis"
                                | "timestamp-micros"
                                | "timestamp-nanos"
                                | "local-timestamp-millis"
                                | "local-timestamp-micros"
                                | "local-timestamp-nanos"),
                            ),
                        ) => naming::variant_name(l),
                        _ => naming::variant_name(kind.name()),
                    };
                    (rust, kind.name().to_owned())
                }
                Node::Array { .. } => ("Array".to_owned(), "array".to_owned()),
                Node::Map { .. } => ("Map".to_owned(), "map".to_owned()),
                Node::Union { .. } => ("Union".to_owned(), "union".to_owned()),
                named => match named.name() {
                    Some(n) => (naming::variant_name(&n.name), n.fullname()),
                    None => ("Branch".to_owned(), "branch".to_owned()),
                },
            };
            (naming::unique(rust, &mut taken), wire)
        })
        .collect()
}

/// What a branch's value looks like after `apache_avro::to_value`, for deciding
/// whether plain apache-avro can find the branch from the value alone.
#[derive(PartialEq)]
enum ValueKind {
    Plain(&'static str),
    Enum(Vec<String>, bool),
    Record(Vec<(String, bool)>),
    Fixedish,
}

fn value_kind(model: &Model, id: NodeId) -> ValueKind {
    match model.node(id) {
        Node::Primitive { kind, props } => match (kind, logical_type(props)) {
            (Primitive::String, _) => ValueKind::Plain("string"),
            (k, _) => ValueKind::Plain(k.name()),
        },
        Node::Enum {
            symbols, default, ..
        } => ValueKind::Enum(symbols.clone(), default.is_some()),
        Node::Record { fields, .. } => ValueKind::Record(
            fields
                .iter()
                .map(|f| (f.name.clone(), f.default.is_some()))
                .collect(),
        ),
        Node::Fixed { size, props, .. } => match logical_type(props) {
            // apache-avro reads a 16-byte uuid fixed as a string-based uuid.
            Some("uuid") if *size == 16 => ValueKind::Plain("string"),
            _ => ValueKind::Fixedish,
        },
        Node::Array { .. } => ValueKind::Plain("array"),
        Node::Map { .. } => ValueKind::Plain("map"),
        Node::Union { .. } => ValueKind::Plain("union"),
    }
}

/// Whether some branch's bare value could be taken for an earlier branch's by
/// apache-avro (which tries a string as an enum symbol, a record as any record
/// whose required fields it has, a fixed as any fixed-based type).
fn ambiguous(model: &Model, branches: &[NodeId]) -> bool {
    let kinds: Vec<ValueKind> = branches.iter().map(|b| value_kind(model, *b)).collect();
    for (i, a) in kinds.iter().enumerate() {
        for b in &kinds[i + 1..] {
            let clash = match (a, b) {
                (ValueKind::Plain(x), ValueKind::Plain(y)) => x == y,
                (ValueKind::Plain("string"), ValueKind::Enum(..))
                | (ValueKind::Enum(..), ValueKind::Plain("string")) => true,
                (ValueKind::Enum(sa, da), ValueKind::Enum(sb, db)) => {
                    *da || *db || sa.iter().any(|s| sb.contains(s))
                }
                (ValueKind::Record(fa), ValueKind::Record(fb)) => {
                    let has = |fs: &Vec<(String, bool)>, n: &str| fs.iter().any(|(f, _)| f == n);
                    fa.iter().all(|(n, d)| *d || has(fb, n))
                        || fb.iter().all(|(n, d)| *d || has(fa, n))
                }
                (ValueKind::Fixedish, ValueKind::Fixedish) => true,
                _ => false,
            };
            if clash {
                return true;
            }
        }
    }
    false
}

/// The JSON value of `default`, for messages.
pub(crate) fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(57).map_or(s.len(), |(i, _)| i)]
        )
    } else {
        s
    }
}
