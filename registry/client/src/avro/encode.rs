//! A serde serializer that writes Avro binary straight from a Rust value,
//! driven by a schema compiled once per event type (the serializer's hot path).
//!
//! The general path (`to_value`, `conform`, `to_avro_datum`) builds a whole
//! `Value` tree, validates it and walks it again to encode. Here each serde call
//! writes its bytes at once. The rules are `conform.rs`'s, so both paths write
//! the same bytes:
//!
//! - records are written in schema order whatever order the Rust fields come in
//!   (fields that arrive early wait in a buffer), by name or alias;
//! - enums are written by symbol name, not by the Rust variant's index;
//! - a union branch is picked by the kind of the serde call (exact kind first,
//!   then an acceptable one, as `conform::fit` scores them); a serde newtype
//!   variant names its branch by index (evgen's form for ambiguous unions).
//!
//! Schemas where the serde call alone cannot pick a branch (a union of two
//! records, or of `bytes`-like and `fixed`-like branches, which serde presents
//! alike) do not compile here; [`Prepared`](super::Prepared) then keeps the
//! general path for them.

use std::collections::HashMap;
use std::fmt;

use apache_avro::Schema;
use apache_avro::schema::{Name, Namespace, RecordSchema};
use serde::ser::{self, Serialize};

use super::logical::push_varint;

/// A schema compiled for encoding: nodes in an arena, named types shared (so
/// recursive types are cycles of indices). Two plans are equal when their
/// schemas are the same once named references are inlined.
#[derive(Debug, PartialEq)]
pub(crate) struct Plan {
    nodes: Vec<Node>,
    root: usize,
}

#[derive(Debug, PartialEq)]
pub(super) enum Node {
    Null,
    Boolean,
    /// `logical`: date or time-millis (an int value fits, not exactly).
    Int {
        logical: bool,
    },
    /// `logical`: a timestamp or time-micros.
    Long {
        logical: bool,
    },
    Float,
    Double,
    /// `logical`: a decimal or big-decimal carried as bytes.
    Bytes {
        logical: bool,
    },
    Fixed {
        size: usize,
        kind: FixedKind,
    },
    String,
    /// A uuid on a string: takes its text, or its 16 bytes (written as text).
    Uuid,
    Enum {
        name: String,
        symbols: Vec<String>,
    },
    Array(usize),
    Map(usize),
    Record(Record),
    Union(Vec<usize>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FixedKind {
    Plain,
    Decimal,
    Duration,
}

#[derive(Debug, PartialEq)]
pub(super) struct Record {
    name: String,
    pub(super) fields: Vec<(String, usize)>,
    /// Field names and aliases to positions.
    index: HashMap<String, usize>,
    /// The field list of the last Rust type found to name this record's
    /// fields in order (decode's positional shortcut).
    pub(super) in_order: InOrder,
}

/// The address of a serde `FIELDS` list known to equal a record's field
/// names. Not part of a plan's identity: two plans compare equal whatever
/// either has cached.
#[derive(Debug, Default)]
pub(super) struct InOrder(std::sync::atomic::AtomicPtr<&'static str>);

impl PartialEq for InOrder {
    fn eq(&self, _: &InOrder) -> bool {
        true
    }
}

impl Record {
    /// Whether `fields` (a serde-derived struct's field names, in declaration
    /// order) are exactly this record's fields in schema order.
    pub(super) fn in_order(&self, fields: &'static [&'static str]) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        if fields.len() != self.fields.len() {
            return false;
        }
        let at = fields.as_ptr().cast_mut();
        if self.in_order.0.load(Relaxed) == at {
            return true;
        }
        let same = fields
            .iter()
            .zip(&self.fields)
            .all(|(a, (b, _))| *a == b.as_str());
        if same {
            self.in_order.0.store(at, Relaxed);
        }
        same
    }
}

/// Why a value could not be encoded, with the field path where it happened.
#[derive(Debug)]
pub struct EncodeError {
    /// Innermost first.
    path: Vec<String>,
    message: String,
}

impl EncodeError {
    pub(super) fn new(message: impl Into<String>) -> EncodeError {
        EncodeError {
            path: Vec::new(),
            message: message.into(),
        }
    }

    /// apache-avro's error, for schemas on the general path.
    pub(crate) fn from_avro(e: apache_avro::Error) -> EncodeError {
        EncodeError::new(e.to_string())
    }

    fn at(mut self, field: &str) -> EncodeError {
        self.path.push(field.to_owned());
        self
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            return f.write_str(&self.message);
        }
        f.write_str("field `")?;
        for (i, p) in self.path.iter().rev().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(p)?;
        }
        write!(f, "`: {}", self.message)
    }
}

impl std::error::Error for EncodeError {}

impl ser::Error for EncodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        EncodeError::new(msg.to_string())
    }
}

/// Deep enough for any sane schema.
const MAX_DEPTH: usize = 512;

impl Plan {
    /// Compiles `schema` (its named types in `names`) for encoding; `Err`
    /// says why this schema needs the general path.
    pub(crate) fn compile(schema: &Schema, names: &HashMap<Name, Schema>) -> Result<Plan, String> {
        Plan::build(schema, names, true)
    }

    /// Compiles a writer's `schema` for decoding, where the data names each
    /// union branch (so every union will do).
    pub(crate) fn compile_for_decode(
        schema: &Schema,
        names: &HashMap<Name, Schema>,
    ) -> Result<Plan, String> {
        Plan::build(schema, names, false)
    }

    fn build(
        schema: &Schema,
        names: &HashMap<Name, Schema>,
        encoding: bool,
    ) -> Result<Plan, String> {
        let mut c = Compiler {
            names,
            nodes: Vec::new(),
            named: HashMap::new(),
            encoding,
        };
        let root = c.node(schema, &schema.namespace(), 0)?;
        Ok(Plan {
            nodes: c.nodes,
            root,
        })
    }

    pub(super) fn root(&self) -> usize {
        self.root
    }

    pub(super) fn node(&self, i: usize) -> &Node {
        &self.nodes[i]
    }

    /// The schema type of node `i`, for messages.
    pub(super) fn describe(&self, i: usize) -> String {
        match &self.nodes[i] {
            Node::Null => "null".to_owned(),
            Node::Boolean => "boolean".to_owned(),
            Node::Int { .. } => "int".to_owned(),
            Node::Long { .. } => "long".to_owned(),
            Node::Float => "float".to_owned(),
            Node::Double => "double".to_owned(),
            Node::Bytes { .. } => "bytes".to_owned(),
            Node::Fixed { size, .. } => format!("fixed of {size} bytes"),
            Node::String => "string".to_owned(),
            Node::Uuid => "uuid".to_owned(),
            Node::Enum { name, .. } => format!("enum {name}"),
            Node::Array(_) => "array".to_owned(),
            Node::Map(_) => "map".to_owned(),
            Node::Record(r) => format!("record {}", r.name),
            Node::Union(_) => "union".to_owned(),
        }
    }

    /// Appends `value`'s Avro datum to `out`. On error `out` may hold part of it.
    pub(crate) fn encode<T: Serialize + ?Sized>(
        &self,
        value: &T,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        value.serialize(Enc {
            plan: self,
            node: self.root,
            out,
        })
    }
}

struct Compiler<'s> {
    names: &'s HashMap<Name, Schema>,
    nodes: Vec<Node>,
    named: HashMap<Name, usize>,
    /// Refuse unions serde cannot pick a branch of (decoding reads the branch).
    encoding: bool,
}

impl Compiler<'_> {
    fn push(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn node(&mut self, schema: &Schema, ns: &Namespace, depth: usize) -> Result<usize, String> {
        if depth > MAX_DEPTH {
            return Err("the schema nests too deeply".into());
        }
        let depth = depth + 1;
        let node = match schema {
            Schema::Ref { name } => {
                let full = name.fully_qualified_name(ns);
                if let Some(&i) = self.named.get(&full) {
                    return Ok(i);
                }
                let names = self.names;
                let target = names
                    .get(&full)
                    .ok_or_else(|| format!("unknown type {}", full.fullname(None)))?;
                return self.node(target, &full.namespace, depth);
            }
            Schema::Null => Node::Null,
            Schema::Boolean => Node::Boolean,
            Schema::Int => Node::Int { logical: false },
            Schema::Date | Schema::TimeMillis => Node::Int { logical: true },
            Schema::Long => Node::Long { logical: false },
            Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => Node::Long { logical: true },
            Schema::Float => Node::Float,
            Schema::Double => Node::Double,
            Schema::Bytes => Node::Bytes { logical: false },
            Schema::BigDecimal => Node::Bytes { logical: true },
            Schema::String => Node::String,
            Schema::Uuid => Node::Uuid,
            Schema::Duration => Node::Fixed {
                size: 12,
                kind: FixedKind::Duration,
            },
            Schema::Decimal(d) => match d.inner.as_ref() {
                Schema::Fixed(f) => {
                    let i = self.push(Node::Fixed {
                        size: f.size,
                        kind: FixedKind::Decimal,
                    });
                    self.named.insert(f.name.fully_qualified_name(ns), i);
                    return Ok(i);
                }
                _ => Node::Bytes { logical: true },
            },
            Schema::Fixed(f) => {
                let i = self.push(Node::Fixed {
                    size: f.size,
                    kind: FixedKind::Plain,
                });
                self.named.insert(f.name.fully_qualified_name(ns), i);
                return Ok(i);
            }
            Schema::Enum(e) => {
                let full = e.name.fully_qualified_name(ns);
                let i = self.push(Node::Enum {
                    name: full.fullname(None),
                    symbols: e.symbols.clone(),
                });
                self.named.insert(full, i);
                return Ok(i);
            }
            Schema::Array(a) => {
                let items = self.node(&a.items, ns, depth)?;
                Node::Array(items)
            }
            Schema::Map(m) => {
                let values = self.node(&m.types, ns, depth)?;
                Node::Map(values)
            }
            Schema::Union(u) => {
                let mut branches = Vec::with_capacity(u.variants().len());
                for b in u.variants() {
                    branches.push(self.node(b, ns, depth)?);
                }
                if self.encoding {
                    self.check_union(&branches)?;
                }
                Node::Union(branches)
            }
            Schema::Record(RecordSchema {
                name,
                fields: schema_fields,
                ..
            }) => {
                let full = name.fully_qualified_name(ns);
                // Registered before its fields so a recursive field finds it.
                let i = self.push(Node::Null);
                self.named.insert(full.clone(), i);
                let mut fields = Vec::with_capacity(schema_fields.len());
                let mut index = HashMap::new();
                for (pos, f) in schema_fields.iter().enumerate() {
                    let node = self.node(&f.schema, &full.namespace, depth)?;
                    fields.push((f.name.clone(), node));
                    index.insert(f.name.clone(), pos);
                    for alias in f.aliases.iter().flatten() {
                        index.entry(alias.clone()).or_insert(pos);
                    }
                }
                self.nodes[i] = Node::Record(Record {
                    name: full.fullname(None),
                    fields,
                    index,
                    in_order: InOrder::default(),
                });
                return Ok(i);
            }
        };
        Ok(self.push(node))
    }

    /// Refuses unions where serde's calls cannot pick the branch.
    fn check_union(&self, branches: &[usize]) -> Result<(), String> {
        let count = |f: fn(&Node) -> bool| branches.iter().filter(|&&b| f(&self.nodes[b])).count();
        if count(|n| matches!(n, Node::Record(_))) > 1 {
            return Err("a union of several records".into());
        }
        if count(|n| matches!(n, Node::Bytes { .. })) > 0
            && count(|n| matches!(n, Node::Fixed { .. })) > 0
        {
            return Err("a union of bytes-like and fixed-like branches".into());
        }
        Ok(())
    }
}

/// What a serde call presents, for picking a union branch.
#[derive(Clone, Copy)]
enum Kind<'v> {
    Null,
    Bool,
    Int,
    Long,
    Float,
    Double,
    Str(&'v str),
    Bytes(usize),
    Seq,
    Map,
    Struct,
    Symbol(&'v str),
}

impl Kind<'_> {
    fn describe(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "a boolean",
            Kind::Int => "an int",
            Kind::Long => "a long",
            Kind::Float => "a float",
            Kind::Double => "a double",
            Kind::Str(_) => "a string",
            Kind::Bytes(_) => "bytes",
            Kind::Seq => "a sequence",
            Kind::Map => "a map",
            Kind::Struct => "a struct",
            Kind::Symbol(_) => "an enum variant",
        }
    }
}

/// How well a branch takes a kind: 2 exactly, 1 acceptably, 0 not
/// (`conform::fit`'s scores, so both paths pick the same branch).
fn fit(kind: Kind<'_>, node: &Node) -> u8 {
    match (kind, node) {
        (Kind::Null, Node::Null) | (Kind::Bool, Node::Boolean) => 2,
        (Kind::Int, Node::Int { logical }) => 2 - u8::from(*logical),
        (Kind::Int, Node::Long { logical: false }) => 1,
        (Kind::Long, Node::Long { logical }) => 2 - u8::from(*logical),
        (Kind::Float, Node::Float) | (Kind::Double, Node::Double) => 2,
        (Kind::Float, Node::Double) => 1,
        (Kind::Str(_), Node::String) => 2,
        (Kind::Str(s), Node::Uuid) => u8::from(uuid::Uuid::parse_str(s).is_ok()),
        (Kind::Symbol(s), Node::Enum { symbols, .. }) if symbols.iter().any(|x| x == s) => 2,
        (Kind::Str(s), Node::Enum { symbols, .. }) if symbols.iter().any(|x| x == s) => 1,
        (Kind::Bytes(_), Node::Bytes { logical }) => 2 - u8::from(*logical),
        (Kind::Bytes(n), Node::Fixed { size, kind }) if n == *size => match kind {
            FixedKind::Plain => 2,
            FixedKind::Decimal | FixedKind::Duration => 1,
        },
        (Kind::Seq, Node::Array(_)) | (Kind::Map, Node::Map(_)) => 2,
        (Kind::Struct, Node::Record(_)) => 2,
        _ => 0,
    }
}

/// Serializes one value as `node`.
struct Enc<'a> {
    plan: &'a Plan,
    node: usize,
    out: &'a mut Vec<u8>,
}

impl<'a> Enc<'a> {
    fn at(&self, node: usize) -> &'a Node {
        &self.plan.nodes[node]
    }

    /// The node the value is written as: under a union, the branch `kind`
    /// picks, whose index is written first.
    fn resolve(&mut self, kind: Kind<'_>) -> Result<&'a Node, EncodeError> {
        let node = self.at(self.node);
        let Node::Union(branches) = node else {
            return Ok(node);
        };
        let mut best: Option<(u8, usize)> = None;
        for (i, &b) in branches.iter().enumerate() {
            let score = fit(kind, self.at(b));
            if score == 2 {
                best = Some((2, i));
                break;
            }
            if score > 0 && best.is_none_or(|(s, _)| score > s) {
                best = Some((score, i));
            }
        }
        let Some((_, i)) = best else {
            return Err(EncodeError::new(format!(
                "no branch of the union takes {}",
                kind.describe()
            )));
        };
        push_varint(self.out, i as i64);
        self.node = branches[i];
        Ok(self.at(self.node))
    }

    /// The current node does not take `kind`.
    fn mismatch(&self, kind: Kind<'_>) -> EncodeError {
        EncodeError::new(format!(
            "the schema has {} here, the value is {}",
            self.plan.describe(self.node),
            kind.describe()
        ))
    }

    fn int(mut self, v: i64, kind: Kind<'_>) -> Result<(), EncodeError> {
        match self.resolve(kind)? {
            Node::Int { .. } => {
                let v = i32::try_from(v)
                    .map_err(|_| EncodeError::new(format!("{v} does not fit an Avro int")))?;
                push_varint(self.out, i64::from(v));
                Ok(())
            }
            Node::Long { .. } => {
                push_varint(self.out, v);
                Ok(())
            }
            _ => Err(self.mismatch(kind)),
        }
    }

    fn text(mut self, v: &str) -> Result<(), EncodeError> {
        let kind = Kind::Str(v);
        match self.resolve(kind)? {
            Node::String | Node::Uuid => {
                write_bytes(self.out, v.as_bytes());
                Ok(())
            }
            Node::Enum { .. } => self.symbol(v, None, kind),
            _ => Err(self.mismatch(kind)),
        }
    }

    /// Writes `name`'s position in the current enum node; `hint` is where the
    /// Rust variant sits, which is the symbol's position for generated enums.
    fn symbol(self, name: &str, hint: Option<u32>, kind: Kind<'_>) -> Result<(), EncodeError> {
        match self.at(self.node) {
            Node::Enum {
                name: enum_name,
                symbols,
            } => {
                let hinted = hint
                    .map(|h| h as usize)
                    .filter(|&h| symbols.get(h).is_some_and(|s| s == name));
                let i = hinted
                    .or_else(|| symbols.iter().position(|s| s == name))
                    .ok_or_else(|| {
                        EncodeError::new(format!("`{name}` is not a symbol of enum {enum_name}"))
                    })?;
                push_varint(self.out, i as i64);
                Ok(())
            }
            _ => Err(self.mismatch(kind)),
        }
    }

    fn null(mut self) -> Result<(), EncodeError> {
        match self.resolve(Kind::Null)? {
            Node::Null => Ok(()),
            _ => Err(self.mismatch(Kind::Null)),
        }
    }
}

fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    push_varint(out, b.len() as i64);
    out.extend_from_slice(b);
}

fn unsupported(what: &str) -> EncodeError {
    EncodeError::new(format!("{what} has no Avro form"))
}

impl<'a> ser::Serializer for Enc<'a> {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = Block<'a>;
    type SerializeTuple = Block<'a>;
    type SerializeTupleStruct = Block<'a>;
    type SerializeTupleVariant = ser::Impossible<(), EncodeError>;
    type SerializeMap = MapEnc<'a>;
    type SerializeStruct = RecordEnc<'a>;
    type SerializeStructVariant = ser::Impossible<(), EncodeError>;

    fn is_human_readable(&self) -> bool {
        // As apache-avro's own serializer: logical-type codecs pick their binary form.
        false
    }

    fn serialize_bool(mut self, v: bool) -> Result<(), EncodeError> {
        match self.resolve(Kind::Bool)? {
            Node::Boolean => {
                self.out.push(u8::from(v));
                Ok(())
            }
            _ => Err(self.mismatch(Kind::Bool)),
        }
    }

    fn serialize_i8(self, v: i8) -> Result<(), EncodeError> {
        self.int(i64::from(v), Kind::Int)
    }

    fn serialize_i16(self, v: i16) -> Result<(), EncodeError> {
        self.int(i64::from(v), Kind::Int)
    }

    fn serialize_i32(self, v: i32) -> Result<(), EncodeError> {
        self.int(i64::from(v), Kind::Int)
    }

    fn serialize_i64(self, v: i64) -> Result<(), EncodeError> {
        self.int(v, Kind::Long)
    }

    fn serialize_u8(self, v: u8) -> Result<(), EncodeError> {
        self.int(i64::from(v), Kind::Int)
    }

    fn serialize_u16(self, v: u16) -> Result<(), EncodeError> {
        self.int(i64::from(v), Kind::Int)
    }

    fn serialize_u32(self, v: u32) -> Result<(), EncodeError> {
        self.int(i64::from(v), Kind::Long)
    }

    fn serialize_u64(self, v: u64) -> Result<(), EncodeError> {
        let v = i64::try_from(v)
            .map_err(|_| EncodeError::new(format!("{v} does not fit an Avro long")))?;
        self.int(v, Kind::Long)
    }

    fn serialize_f32(mut self, v: f32) -> Result<(), EncodeError> {
        match self.resolve(Kind::Float)? {
            Node::Float => self.out.extend_from_slice(&v.to_le_bytes()),
            Node::Double => self.out.extend_from_slice(&f64::from(v).to_le_bytes()),
            _ => return Err(self.mismatch(Kind::Float)),
        }
        Ok(())
    }

    fn serialize_f64(mut self, v: f64) -> Result<(), EncodeError> {
        match self.resolve(Kind::Double)? {
            Node::Double => {
                self.out.extend_from_slice(&v.to_le_bytes());
                Ok(())
            }
            _ => Err(self.mismatch(Kind::Double)),
        }
    }

    fn serialize_char(self, v: char) -> Result<(), EncodeError> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), EncodeError> {
        self.text(v)
    }

    fn serialize_bytes(mut self, v: &[u8]) -> Result<(), EncodeError> {
        let kind = Kind::Bytes(v.len());
        match self.resolve(kind)? {
            Node::Bytes { .. } => write_bytes(self.out, v),
            Node::Fixed { size, .. } if *size == v.len() => self.out.extend_from_slice(v),
            Node::Fixed { size, .. } => {
                return Err(EncodeError::new(format!(
                    "a fixed of {size} bytes, the value has {}",
                    v.len()
                )));
            }
            Node::Uuid => {
                let u = uuid::Uuid::from_slice(v)
                    .map_err(|_| EncodeError::new("a uuid is 16 bytes or its text"))?;
                write_bytes(self.out, u.hyphenated().to_string().as_bytes());
            }
            _ => return Err(self.mismatch(kind)),
        }
        Ok(())
    }

    fn serialize_none(self) -> Result<(), EncodeError> {
        self.null()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), EncodeError> {
        // Under a union the inner value picks its branch; elsewhere `Some` is
        // the value itself.
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), EncodeError> {
        self.null()
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), EncodeError> {
        self.null()
    }

    fn serialize_unit_variant(
        mut self,
        _name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<(), EncodeError> {
        let kind = Kind::Symbol(variant);
        match self.resolve(kind)? {
            Node::Enum { .. } => self.symbol(variant, Some(index), kind),
            Node::String => {
                write_bytes(self.out, variant.as_bytes());
                Ok(())
            }
            _ => Err(self.mismatch(kind)),
        }
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        // evgen's form for a union whose branches serde cannot tell apart: the
        // variant's index is the branch's.
        let Node::Union(branches) = self.at(self.node) else {
            return Err(unsupported(&format!(
                "variant {name}::{variant} outside a union"
            )));
        };
        let branch = *branches.get(index as usize).ok_or_else(|| {
            EncodeError::new(format!(
                "variant {name}::{variant} is branch {index}, the union has {}",
                branches.len()
            ))
        })?;
        push_varint(self.out, i64::from(index));
        value.serialize(Enc {
            plan: self.plan,
            node: branch,
            out: self.out,
        })
    }

    fn serialize_seq(mut self, len: Option<usize>) -> Result<Block<'a>, EncodeError> {
        match self.resolve(Kind::Seq)? {
            Node::Array(items) => Ok(Block::new(self.plan, *items, self.out, len)),
            _ => Err(self.mismatch(Kind::Seq)),
        }
    }

    fn serialize_tuple(self, len: usize) -> Result<Block<'a>, EncodeError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Block<'a>, EncodeError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, EncodeError> {
        Err(unsupported(&format!("tuple variant {name}::{variant}")))
    }

    fn serialize_map(mut self, len: Option<usize>) -> Result<MapEnc<'a>, EncodeError> {
        match self.resolve(Kind::Map)? {
            Node::Map(values) => Ok(MapEnc::Map {
                block: Block::new(self.plan, *values, self.out, len),
            }),
            // A struct with flattened fields serializes as a map.
            Node::Record(record) => Ok(MapEnc::Record {
                record: RecordEnc::new(self.plan, record, self.out),
                key: None,
            }),
            _ => Err(self.mismatch(Kind::Map)),
        }
    }

    fn serialize_struct(
        mut self,
        _name: &'static str,
        _len: usize,
    ) -> Result<RecordEnc<'a>, EncodeError> {
        match self.resolve(Kind::Struct)? {
            Node::Record(record) => Ok(RecordEnc::new(self.plan, record, self.out)),
            _ => Err(self.mismatch(Kind::Struct)),
        }
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, EncodeError> {
        Err(unsupported(&format!("struct variant {name}::{variant}")))
    }
}

/// An Avro array or map: one block with its count first, then the end marker.
/// With the length unknown up front, items wait in a buffer to be counted.
pub(crate) struct Block<'a> {
    plan: &'a Plan,
    item: usize,
    out: &'a mut Vec<u8>,
    /// `None`: items go straight to `out` (the count is written).
    buffer: Option<Vec<u8>>,
    count: usize,
}

impl<'a> Block<'a> {
    fn new(plan: &'a Plan, item: usize, out: &'a mut Vec<u8>, len: Option<usize>) -> Block<'a> {
        let buffer = match len {
            Some(0) => None,
            Some(n) => {
                push_varint(out, n as i64);
                None
            }
            None => Some(Vec::new()),
        };
        Block {
            plan,
            item,
            out,
            buffer,
            count: 0,
        }
    }

    fn sink(&mut self) -> &mut Vec<u8> {
        match &mut self.buffer {
            Some(b) => b,
            None => self.out,
        }
    }

    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.count += 1;
        let (plan, node) = (self.plan, self.item);
        value.serialize(Enc {
            plan,
            node,
            out: self.sink(),
        })
    }

    fn end(self) -> Result<(), EncodeError> {
        if let Some(buffer) = self.buffer
            && self.count > 0
        {
            push_varint(self.out, self.count as i64);
            self.out.extend_from_slice(&buffer);
        }
        self.out.push(0);
        Ok(())
    }
}

impl ser::SerializeSeq for Block<'_> {
    type Ok = ();
    type Error = EncodeError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.item(value)
    }

    fn end(self) -> Result<(), EncodeError> {
        Block::end(self)
    }
}

impl ser::SerializeTuple for Block<'_> {
    type Ok = ();
    type Error = EncodeError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.item(value)
    }

    fn end(self) -> Result<(), EncodeError> {
        Block::end(self)
    }
}

impl ser::SerializeTupleStruct for Block<'_> {
    type Ok = ();
    type Error = EncodeError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.item(value)
    }

    fn end(self) -> Result<(), EncodeError> {
        Block::end(self)
    }
}

/// A record: fields are written in schema order; one that arrives before its
/// turn is encoded aside and written when its turn comes.
pub(crate) struct RecordEnc<'a> {
    plan: &'a Plan,
    record: &'a Record,
    out: &'a mut Vec<u8>,
    /// The position of the next field to write.
    next: usize,
    /// Fields encoded ahead of their turn, by position (allocated on first use).
    early: Vec<Option<Vec<u8>>>,
}

impl<'a> RecordEnc<'a> {
    fn new(plan: &'a Plan, record: &'a Record, out: &'a mut Vec<u8>) -> RecordEnc<'a> {
        RecordEnc {
            plan,
            record,
            out,
            next: 0,
            early: Vec::new(),
        }
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), EncodeError> {
        // Types generated from the schema give their fields in schema order, so
        // the field due next is the usual answer; the index covers the rest.
        let due = self
            .record
            .fields
            .get(self.next)
            .is_some_and(|(name, _)| name == key);
        let pos = if due {
            self.next
        } else {
            *self.record.index.get(key).ok_or_else(|| {
                EncodeError::new(format!("record {} has no field `{key}`", self.record.name))
            })?
        };
        let (name, node) = &self.record.fields[pos];
        let already = pos < self.next || self.early.get(pos).is_some_and(Option::is_some);
        if already {
            return Err(EncodeError::new(format!(
                "field `{name}` of record {} given twice",
                self.record.name
            )));
        }
        let plan = self.plan;
        if pos == self.next {
            value
                .serialize(Enc {
                    plan,
                    node: *node,
                    out: self.out,
                })
                .map_err(|e| e.at(name))?;
            self.next += 1;
            // Fields that came early and are now due.
            while let Some(buffer) = self.early.get_mut(self.next).and_then(Option::take) {
                self.out.extend_from_slice(&buffer);
                self.next += 1;
            }
        } else {
            let mut buffer = Vec::new();
            value
                .serialize(Enc {
                    plan,
                    node: *node,
                    out: &mut buffer,
                })
                .map_err(|e| e.at(name))?;
            if self.early.is_empty() {
                self.early.resize_with(self.record.fields.len(), || None);
            }
            self.early[pos] = Some(buffer);
        }
        Ok(())
    }

    fn end(self) -> Result<(), EncodeError> {
        match self.record.fields.get(self.next) {
            None => Ok(()),
            Some((name, _)) => Err(EncodeError::new(format!(
                "record {} needs field `{name}`, the value has none",
                self.record.name
            ))),
        }
    }
}

impl ser::SerializeStruct for RecordEnc<'_> {
    type Ok = ();
    type Error = EncodeError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        self.field(key, value)
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), EncodeError> {
        Err(EncodeError::new(format!(
            "field `{key}` of record {} was skipped; Avro needs every field",
            self.record.name
        )))
    }

    fn end(self) -> Result<(), EncodeError> {
        RecordEnc::end(self)
    }
}

/// `serialize_map` under an Avro map (string keys) or a record (a struct with
/// flattened fields).
pub(crate) enum MapEnc<'a> {
    Map {
        block: Block<'a>,
    },
    Record {
        record: RecordEnc<'a>,
        key: Option<String>,
    },
}

impl ser::SerializeMap for MapEnc<'_> {
    type Ok = ();
    type Error = EncodeError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), EncodeError> {
        let text = key.serialize(KeyText)?;
        match self {
            MapEnc::Map { block } => {
                block.count += 1;
                write_bytes(block.sink(), text.as_bytes());
            }
            MapEnc::Record { key, .. } => *key = Some(text),
        }
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        match self {
            MapEnc::Map { block } => {
                let (plan, node) = (block.plan, block.item);
                value.serialize(Enc {
                    plan,
                    node,
                    out: block.sink(),
                })
            }
            MapEnc::Record { record, key } => {
                let k = key
                    .take()
                    .ok_or_else(|| EncodeError::new("a map value without its key"))?;
                record.field(&k, value)
            }
        }
    }

    fn end(self) -> Result<(), EncodeError> {
        match self {
            MapEnc::Map { block } => block.end(),
            MapEnc::Record { record, .. } => record.end(),
        }
    }
}

/// Map keys: Avro's are strings.
struct KeyText;

impl ser::Serializer for KeyText {
    type Ok = String;
    type Error = EncodeError;
    type SerializeSeq = ser::Impossible<String, EncodeError>;
    type SerializeTuple = ser::Impossible<String, EncodeError>;
    type SerializeTupleStruct = ser::Impossible<String, EncodeError>;
    type SerializeTupleVariant = ser::Impossible<String, EncodeError>;
    type SerializeMap = ser::Impossible<String, EncodeError>;
    type SerializeStruct = ser::Impossible<String, EncodeError>;
    type SerializeStructVariant = ser::Impossible<String, EncodeError>;

    fn serialize_str(self, v: &str) -> Result<String, EncodeError> {
        Ok(v.to_owned())
    }

    fn serialize_char(self, v: char) -> Result<String, EncodeError> {
        Ok(v.to_string())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, EncodeError> {
        Ok(variant.to_owned())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, EncodeError> {
        value.serialize(self)
    }

    fn serialize_bool(self, _: bool) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_i8(self, _: i8) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_i16(self, _: i16) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_i32(self, _: i32) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_i64(self, _: i64) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_u8(self, _: u8) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_u16(self, _: u16) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_u32(self, _: u32) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_u64(self, _: u64) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_f32(self, _: f32) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_f64(self, _: f64) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_none(self) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_unit(self) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, EncodeError> {
        Err(key_error())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, EncodeError> {
        Err(key_error())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, EncodeError> {
        Err(key_error())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, EncodeError> {
        Err(key_error())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, EncodeError> {
        Err(key_error())
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, EncodeError> {
        Err(key_error())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, EncodeError> {
        Err(key_error())
    }
}

fn key_error() -> EncodeError {
    EncodeError::new("an Avro map key must be a string")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use apache_avro::types::Value;
    use serde::Serialize;
    use serde::ser::{SerializeSeq, SerializeStruct};

    use super::super::Prepared;
    use super::*;

    fn prepared(schema: &str) -> Prepared {
        Prepared::new(Schema::parse_str(schema).expect("schema parses")).expect("prepares")
    }

    fn direct<T: Serialize>(p: &Prepared, value: &T) -> Result<Vec<u8>, EncodeError> {
        assert!(p.plan.is_some(), "the schema compiles for the direct path");
        let mut out = Vec::new();
        p.encode(value, &mut out).map(|()| out)
    }

    /// What the general path (`to_value`, conform, `to_avro_datum`) writes.
    fn general<T: Serialize>(p: &Prepared, value: &T) -> Vec<u8> {
        let value = super::super::to_value(p.schema(), value).expect("to_value");
        apache_avro::to_avro_datum(p.schema(), value).expect("general path encodes")
    }

    fn decode(p: &Prepared, bytes: &[u8]) -> Value {
        apache_avro::from_avro_datum(p.schema(), &mut &bytes[..], None).expect("decodes")
    }

    const REC: &str = r#"{"type":"record","name":"R","namespace":"t","fields":[
        {"name":"a","type":"long"},
        {"name":"b","type":["string","null"]},
        {"name":"c","type":{"type":"array","items":{"type":"record","name":"I","fields":[
            {"name":"x","type":"int"},{"name":"y","type":["null","double"]}]}}},
        {"name":"d","type":{"type":"map","values":"long"}},
        {"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y","Z"]}},
        {"name":"f","type":["null","E"]},
        {"name":"g","type":["long",{"type":"long","logicalType":"timestamp-millis"}]},
        {"name":"h","type":{"type":"fixed","name":"H","size":2}}
    ]}"#;

    #[derive(Serialize, Clone, Copy)]
    #[allow(dead_code)] // X is never built: its place in the order is the point.
    enum E {
        Z,
        X,
        Y,
    }

    #[derive(Serialize)]
    struct I {
        y: Option<f64>,
        x: i32,
    }

    /// Fields in another order than the schema's, an enum whose variants are
    /// in another order than its symbols.
    #[derive(Serialize)]
    struct R {
        #[serde(with = "crate::codec::As::<crate::avro::Fixed>")]
        h: [u8; 2],
        e: E,
        c: Vec<I>,
        a: i64,
        d: BTreeMap<String, i64>,
        f: Option<E>,
        b: Option<String>,
        g: i64,
    }

    fn sample() -> R {
        R {
            h: [7, 9],
            e: E::Y,
            c: vec![
                I {
                    y: Some(0.5),
                    x: -3,
                },
                I { y: None, x: 40 },
            ],
            a: 1 << 40,
            d: BTreeMap::from([("k".into(), 1), ("l".into(), -2)]),
            f: Some(E::Z),
            b: Some("text".into()),
            g: 77,
        }
    }

    #[test]
    fn writes_schema_order_symbols_by_name_and_branches_as_conform_picks() {
        let p = prepared(REC);
        let bytes = direct(&p, &sample()).expect("encodes");
        let Value::Record(fields) = decode(&p, &bytes) else {
            panic!("a record");
        };
        let get = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        assert_eq!(get("a"), Some(Value::Long(1 << 40)));
        assert_eq!(
            get("b"),
            Some(Value::Union(0, Box::new(Value::String("text".into()))))
        );
        assert_eq!(get("e"), Some(Value::Enum(1, "Y".into())));
        assert_eq!(
            get("f"),
            Some(Value::Union(1, Box::new(Value::Enum(2, "Z".into()))))
        );
        // `long` fits an i64 exactly, the timestamp only acceptably.
        assert_eq!(get("g"), Some(Value::Union(0, Box::new(Value::Long(77)))));
        assert_eq!(get("h"), Some(Value::Fixed(2, vec![7, 9])));
        let Some(Value::Array(items)) = get("c") else {
            panic!("an array");
        };
        assert_eq!(
            items[0],
            Value::Record(vec![
                ("x".into(), Value::Int(-3)),
                ("y".into(), Value::Union(1, Box::new(Value::Double(0.5)))),
            ])
        );
    }

    #[test]
    fn same_bytes_as_the_general_path() {
        let p = prepared(REC);
        // Variants in symbol order, so apache-avro's index-based enum encoding agrees.
        #[derive(Serialize)]
        enum Ordered {
            X,
            Y,
        }
        #[derive(Serialize)]
        struct Same {
            a: i64,
            b: Option<String>,
            c: Vec<I>,
            d: BTreeMap<String, i64>,
            e: Ordered,
            f: Option<Ordered>,
            g: i64,
            #[serde(with = "crate::codec::As::<crate::avro::Fixed>")]
            h: [u8; 2],
        }
        for (b, f) in [(None, None), (Some("s".to_owned()), Some(Ordered::X))] {
            let v = Same {
                a: -5,
                b,
                c: vec![I { y: None, x: 1 }],
                d: BTreeMap::from([("only".into(), 3)]),
                e: Ordered::Y,
                f,
                g: 0,
                h: [1, 2],
            };
            assert_eq!(direct(&p, &v).expect("encodes"), general(&p, &v));
        }
    }

    /// A sequence and a map whose length serde does not know up front.
    struct Unsized(Vec<i64>);

    impl Serialize for Unsized {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(None)?;
            for v in &self.0 {
                seq.serialize_element(v)?;
            }
            seq.end()
        }
    }

    #[test]
    fn blocks_of_unknown_length() {
        let p = prepared(r#"{"type":"array","items":"long"}"#);
        for items in [vec![], vec![1, -1, 300]] {
            let bytes = direct(&p, &Unsized(items.clone())).expect("encodes");
            assert_eq!(bytes, general(&p, &items));
        }
        let m = prepared(r#"{"type":"map","values":"string"}"#);
        let entries = BTreeMap::from([("a".to_owned(), "x".to_owned())]);
        let iter = entries.iter().filter(|_| true);
        struct Lazy<'a, I>(
            std::cell::RefCell<Option<I>>,
            std::marker::PhantomData<&'a ()>,
        );
        impl<'a, I: Iterator<Item = (&'a String, &'a String)>> Serialize for Lazy<'a, I> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let iter = self.0.borrow_mut().take().expect("serialized once");
                s.collect_map(iter)
            }
        }
        let lazy = Lazy(
            std::cell::RefCell::new(Some(iter)),
            std::marker::PhantomData,
        );
        assert_eq!(direct(&m, &lazy).expect("encodes"), general(&m, &entries));
    }

    #[test]
    fn recursive_types() {
        let p = prepared(
            r#"{"type":"record","name":"Node","fields":[
                {"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}"#,
        );
        #[derive(Serialize)]
        struct Node {
            v: i32,
            next: Option<Box<Node>>,
        }
        let list = Node {
            v: 1,
            next: Some(Box::new(Node { v: 2, next: None })),
        };
        assert_eq!(direct(&p, &list).expect("encodes"), general(&p, &list));
    }

    #[test]
    fn errors_name_the_field() {
        let p = prepared(REC);
        struct Partial;
        impl Serialize for Partial {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut r = s.serialize_struct("R", 1)?;
                r.serialize_field("a", &1i64)?;
                r.end()
            }
        }
        let e = direct(&p, &Partial).expect_err("a field is missing");
        assert_eq!(
            e.to_string(),
            "record t.R needs field `b`, the value has none"
        );

        let mut bad = sample();
        bad.c[1].x = 0;
        #[derive(Serialize)]
        struct WrongInner {
            x: &'static str,
            y: Option<f64>,
        }
        #[derive(Serialize)]
        struct Wrong {
            a: i64,
            b: Option<String>,
            c: Vec<WrongInner>,
        }
        let wrong = Wrong {
            a: 1,
            b: None,
            c: vec![WrongInner { x: "no", y: None }],
        };
        let e = direct(&p, &wrong).expect_err("a string where an int goes");
        assert_eq!(
            e.to_string(),
            "field `c.x`: the schema has int here, the value is a string"
        );

        #[derive(Serialize)]
        struct Extra {
            zzz: i64,
        }
        let e = direct(&p, &Extra { zzz: 1 }).expect_err("no such field");
        assert_eq!(e.to_string(), "record t.R has no field `zzz`");

        let s = prepared(r#"{"type":"enum","name":"S","symbols":["A"]}"#);
        let e = direct(&s, &"B").expect_err("not a symbol");
        assert_eq!(e.to_string(), "`B` is not a symbol of enum S");
    }

    #[test]
    fn failed_encode_leaves_the_buffer_as_it_was() {
        let p = prepared(REC);
        let mut out = vec![0xAA];
        #[derive(Serialize)]
        struct Short {
            a: i64,
        }
        assert!(p.encode(&Short { a: 1 }, &mut out).is_err());
        assert_eq!(out, vec![0xAA]);
    }

    #[test]
    fn ambiguous_unions_take_the_general_path() {
        let schema = r#"{"type":"record","name":"W","fields":[{"name":"u","type":[
            {"type":"record","name":"A","fields":[{"name":"a","type":"int"}]},
            {"type":"record","name":"B","fields":[{"name":"b","type":"int"}]}]}]}"#;
        let p = prepared(schema);
        assert!(p.plan.is_none());
        #[derive(Serialize)]
        struct B {
            b: i32,
        }
        #[derive(Serialize)]
        struct W {
            u: B,
        }
        let mut out = Vec::new();
        p.encode(&W { u: B { b: 4 } }, &mut out).expect("encodes");
        assert_eq!(out, vec![2, 8], "branch 1, then 4");
        assert!(
            Plan::compile(
                &Schema::parse_str(r#"["bytes",{"type":"fixed","name":"F","size":4}]"#)
                    .expect("parses"),
                &HashMap::new()
            )
            .is_err()
        );
    }
}
