//! The intermediate representation between schema front ends and Rust emission.
//!
//! A front end (Avro in [`crate::avro`]; JSON Schema later) lowers schemas into a
//! [`TypeSpace`]: Rust-shaped type definitions keyed by their Rust path, plus the
//! catalogue's events and topics. [`crate::emit`] turns a `TypeSpace` into tokens
//! and knows nothing about any schema language.
//!
//! Why Rust-shaped rather than schema-shaped: every schema language disagrees on
//! unions, nullability and formats, but all of them end up as the same few Rust
//! shapes (struct, enum, newtype, alias). Front ends make the language-specific
//! decisions (which union becomes `Option`, which format becomes which type, how a
//! value is encoded on the wire) and record them here explicitly, so the emitter
//! never has to guess.
//!
//! Invariants a front end must keep (checked by [`TypeSpace::insert`] where cheap):
//! - names are already valid Rust identifiers (use [`crate::naming`]), unique within
//!   their module, and a [`TypeRef::Named`] always points at a defined type;
//! - maps are `BTreeMap`s and lists keep schema order, so output is deterministic.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::Error;

/// Where a definition came from: a file (or other source label) and a JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Origin {
    /// The schema file (or `registry:<subject>/<version>`), as given by the caller.
    pub file: String,
    /// A JSON pointer into that file; empty for the document root.
    pub pointer: String,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{} at {at}", self.file)
    }
}

/// A Rust path relative to the root of the generated file: modules, then the item name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TypePath {
    /// Module names from the root (`["shop", "order"]`); empty for the root module.
    pub module: Vec<String>,
    /// The item's identifier (`Created`).
    pub name: String,
}

impl fmt::Display for TypePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for m in &self.module {
            write!(f, "{m}::")?;
        }
        f.write_str(&self.name)
    }
}

/// A use of a type: in a field, a variant, a list element, an alias.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeRef {
    /// A leaf type with a fixed Rust type and wire encoding.
    Scalar(Scalar),
    /// `Option<T>`. `null_index` is the position of `null` in an Avro union when it
    /// is not 0 (apache-avro's serde writes `Some` as branch 1, so `[T, "null"]`
    /// needs a codec); JSON Schema front ends leave it `None`.
    Option {
        /// The non-null type.
        inner: Box<TypeRef>,
        /// Position of the null branch when it is not the first.
        null_index: Option<u32>,
    },
    /// `Vec<T>`.
    List(Box<TypeRef>),
    /// `BTreeMap<String, T>` (sorted, so JSON output is deterministic).
    Map(Box<TypeRef>),
    /// `Box<T>`: breaks a recursive cycle.
    Boxed(Box<TypeRef>),
    /// A type defined in the same [`TypeSpace`].
    Named(TypePath),
}

/// Leaf types. Each says both the Rust type and how it is encoded, because the same
/// Rust type is encoded differently by different schema languages (a timestamp is a
/// `long` of milliseconds in Avro and an RFC 3339 string in JSON Schema).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar {
    /// `()`: Avro `null` on its own (a union branch or a field).
    Unit,
    /// `bool`.
    Bool,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `u64`.
    U64,
    /// `i8` (JSON Schema integers whose bounds fit; also `I16`, `U8`, `U16`, `U32`).
    I8,
    /// `i16`.
    I16,
    /// `u8`.
    U8,
    /// `u16`.
    U16,
    /// `u32`.
    U32,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// `String`.
    String,
    /// `Vec<u8>`, written as bytes (not as a sequence of numbers).
    Bytes,
    /// `[u8; N]`, written as an Avro fixed of that size.
    FixedBytes(u32),
    /// `uuid::Uuid`, written as its hyphenated string.
    Uuid,
    /// `rust_decimal::Decimal` up to 28 digits, `bigdecimal::BigDecimal` beyond
    /// (and for `big-decimal` and decimal strings); see [`DecimalWire`].
    Decimal(DecimalWire),
    /// `chrono::NaiveDate`.
    Date(TimeWire),
    /// `chrono::NaiveTime`.
    Time(TimeWire),
    /// `chrono::DateTime<Utc>`.
    Timestamp(TimeWire),
    /// `chrono::NaiveDateTime` (a wall-clock time with no zone).
    LocalTimestamp(TimeWire),
    /// `evreg_client::avro::Duration`: Avro's months/days/millis triple.
    Duration,
    /// `evreg_client::Uri`: JSON Schema `format: uri`, checked on deserialize.
    Uri,
    /// `evreg_client::Email`: JSON Schema `format: email`, checked on deserialize.
    Email,
    /// `std::net::Ipv4Addr` (JSON Schema `format: ipv4`), written as its dotted string.
    Ipv4,
    /// `std::net::Ipv6Addr` (JSON Schema `format: ipv6`), written in its canonical
    /// form (RFC 5952: `2001:0DB8::1` comes back as `2001:db8::1`).
    Ipv6,
    /// `serde_json::Value`: the opt-in fallback for what cannot be typed.
    Json,
}

/// How a decimal is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalWire {
    /// Avro `bytes` with logical type `decimal`: the unscaled value as big-endian
    /// two's complement.
    AvroBytes {
        /// Total digits.
        precision: u32,
        /// Digits after the point.
        scale: u32,
    },
    /// Avro `fixed` with logical type `decimal`: as above, sign-extended to `size` bytes.
    AvroFixed {
        /// Total digits.
        precision: u32,
        /// Digits after the point.
        scale: u32,
        /// The fixed size in bytes.
        size: u32,
    },
    /// Avro `bytes` with logical type `big-decimal` (Avro 1.12): the unscaled
    /// value and the scale travel together, so each value has its own scale.
    AvroBig,
    /// A decimal string (`"12.50"`), as JSON Schema would carry it.
    String,
}

/// How a date or time value is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeWire {
    /// Avro `int` days since the epoch (`date`).
    AvroDays,
    /// Avro milliseconds (`time-millis` as `int`, timestamps as `long`).
    AvroMillis,
    /// Avro microseconds (`long`).
    AvroMicros,
    /// Avro nanoseconds (`long`).
    AvroNanos,
    /// ISO 8601 / RFC 3339 text, chrono's own serde form.
    Iso8601,
}

/// One named definition.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    /// Where it is emitted.
    pub path: TypePath,
    /// The schema's own name (`shop.order.OrderCreated`, a `$id`, …), used in
    /// messages and to detect two different types claiming one name.
    pub schema_name: String,
    /// Documentation, emitted as `///`.
    pub doc: Option<String>,
    /// Where it was defined.
    pub origin: Origin,
    /// What it is.
    pub kind: TypeKind,
}

/// The shape of a definition.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    /// A struct with named fields.
    Struct(StructDef),
    /// An enum (Avro enum or union, JSON `enum`/`oneOf`).
    Enum(EnumDef),
    /// A single-field tuple struct, optionally validated.
    Newtype(NewtypeDef),
    /// `pub type Name = T;`
    Alias(TypeRef),
}

/// A struct.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StructDef {
    /// Fields in schema order (the Avro encoding order).
    pub fields: Vec<Field>,
    /// Emit `#[serde(deny_unknown_fields)]`.
    pub deny_unknown_fields: bool,
}

/// A struct field or a struct variant's field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Rust identifier (escaped: `r#type`).
    pub name: String,
    /// The name on the wire; `#[serde(rename)]` is emitted when it differs.
    pub wire_name: String,
    /// Other wire names accepted when reading (`#[serde(alias)]`).
    pub aliases: Vec<String>,
    /// Documentation.
    pub doc: Option<String>,
    /// The type.
    pub ty: TypeRef,
    /// What to use when the field is missing; emitted as a `default_*` function.
    pub default: Option<Const>,
    /// Emit `#[serde(skip_serializing_if = "Option::is_none")]` (JSON optional
    /// properties; never for Avro, whose records always carry every field).
    pub skip_if_none: bool,
    /// Emit `#[serde(flatten)]` (JSON `additionalProperties` into a map).
    pub flatten: bool,
    /// Where it was defined.
    pub origin: Origin,
}

/// An enum.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumDef {
    /// Variants in schema order (for Avro unions, the branch order: it is the index
    /// on the wire).
    pub variants: Vec<Variant>,
    /// How serde represents it.
    pub repr: EnumRepr,
    /// The variant used by `Default` and for unknown symbols (`#[serde(other)]`);
    /// only for unit variants.
    pub default_variant: Option<String>,
}

/// Serde representations of an enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnumRepr {
    /// serde's default (`{"Variant": value}`, or `"Variant"` for unit variants);
    /// also what an Avro `enum` of symbols uses.
    External,
    /// `#[serde(tag = "...")]`.
    Internal {
        /// The tag key.
        tag: String,
    },
    /// `#[serde(tag = "...", content = "...")]`.
    Adjacent {
        /// The tag key.
        tag: String,
        /// The content key.
        content: String,
    },
    /// `#[serde(untagged)]`.
    Untagged,
    /// An Avro union. Read by branch index (apache-avro hands serde the branch
    /// index as the variant); human-readable formats see `{"branch": value}`.
    AvroUnion {
        /// Written as a serde newtype variant even to apache-avro, because two
        /// branches cannot be told apart by value (a `string` and an `enum`, two
        /// records one of which reads as the other, two fixed of one size). Such
        /// values need `evreg_client::avro::to_datum`, which reads the tag. When
        /// false the value is written bare and plain `apache_avro::to_value` picks
        /// the branch by kind.
        tagged: bool,
    },
}

/// One enum variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// Rust identifier.
    pub name: String,
    /// The name on the wire (Avro symbol, union branch name, JSON tag value).
    pub wire_name: String,
    /// Other accepted wire names.
    pub aliases: Vec<String>,
    /// Documentation.
    pub doc: Option<String>,
    /// What it carries.
    pub payload: Payload,
}

/// What a variant carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// Nothing.
    Unit,
    /// One value.
    Newtype(TypeRef),
    /// Named fields.
    Struct(Vec<Field>),
}

/// A newtype, with optional checks enforced on construction and deserialization.
#[derive(Debug, Clone, PartialEq)]
pub struct NewtypeDef {
    /// The wrapped type.
    pub inner: TypeRef,
    /// Checks; all `None` means a plain transparent newtype.
    pub constraints: Constraints,
}

/// Value checks for a [`NewtypeDef`] (JSON Schema keywords, mostly).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Constraints {
    /// Minimum length in characters (strings) or elements (lists, maps).
    pub min_length: Option<u64>,
    /// Maximum length in characters (strings) or elements (lists, maps).
    pub max_length: Option<u64>,
    /// A regular expression strings (for maps: every key) must match (searched, not
    /// anchored, as JSON Schema specifies).
    pub pattern: Option<String>,
    /// Inclusive lower bound for numbers.
    pub minimum: Option<f64>,
    /// Inclusive upper bound for numbers.
    pub maximum: Option<f64>,
    /// Exclusive lower bound for numbers.
    pub exclusive_minimum: Option<f64>,
    /// Exclusive upper bound for numbers.
    pub exclusive_maximum: Option<f64>,
    /// Numbers must be a multiple of this.
    pub multiple_of: Option<f64>,
    /// List elements must be pairwise different (JSON Schema `uniqueItems`).
    pub unique_items: bool,
}

impl Constraints {
    /// Whether any check is present.
    pub fn is_empty(&self) -> bool {
        *self == Constraints::default()
    }
}

/// A constant (a default value), interpreted against the [`TypeRef`] it fills.
///
/// Front ends translate their own default syntax into this: for example Avro's
/// bytes defaults (ISO-8859-1 strings) become [`Const::Bytes`], and a union default
/// names its branch with [`Const::Variant`].
#[derive(Debug, Clone, PartialEq)]
pub enum Const {
    /// `None`, `()` or a JSON null.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer; also epoch-based dates and times in the scalar's unit.
    Int(i128),
    /// A float (non-finite values allowed).
    Float(f64),
    /// A string; also uuids, decimals in text form and ISO dates.
    String(String),
    /// Bytes; also fixed values and Avro decimals (unscaled two's complement).
    Bytes(Vec<u8>),
    /// A list.
    List(Vec<Const>),
    /// A map, or a struct's fields by wire name (missing fields use their default).
    Map(BTreeMap<String, Const>),
    /// An enum variant by Rust name, with its payload for newtype variants.
    Variant(String, Option<Box<Const>>),
    /// Anything else, kept as JSON (used with [`Scalar::Json`]).
    Json(serde_json::Value),
}

/// A catalogue event: a type plus the metadata behind `EventMeta`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDef {
    /// The event's type (a struct).
    pub ty: TypePath,
    /// The event type name (`order.created`).
    pub event_type: String,
    /// The schema version.
    pub version: u32,
    /// The producing service.
    pub source: String,
    /// The topic it is published to.
    pub topic: String,
    /// The registry subject.
    pub subject: String,
    /// The field (wire name) the partition key is read from, if any.
    pub partition_key: Option<String>,
    /// `AVRO` or `JSON`.
    pub schema_type: String,
    /// The schema text, self-contained (referenced types inlined).
    pub schema: String,
}

/// A topic: the enum consumers `match` on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicDef {
    /// The topic name (`order-events`).
    pub name: String,
    /// The Rust enum name (`OrderEvents`).
    pub rust_name: String,
    /// Documentation.
    pub doc: Option<String>,
    /// Its events, in catalogue order.
    pub events: Vec<TopicEvent>,
    /// Operational settings from the catalogue, emitted as associated consts.
    pub settings: TopicSettings,
    /// Consumer groups that read it.
    pub consumer_groups: Vec<ConsumerGroup>,
}

/// A topic's settings (all optional: a catalogue may leave them to the cluster).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopicSettings {
    /// Number of partitions.
    pub partitions: Option<u32>,
    /// Replication factor.
    pub replication_factor: Option<u32>,
    /// Retention in milliseconds.
    pub retention_ms: Option<u64>,
    /// Compression codec (`lz4`, `zstd`, …).
    pub compression: Option<String>,
}

/// A consumer group reading a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerGroup {
    /// The group id.
    pub name: String,
    /// The services that are members of the group.
    pub members: Vec<String>,
}

/// One event of a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicEvent {
    /// The variant name (`OrderCreated`).
    pub variant: String,
    /// The event's type.
    pub ty: TypePath,
    /// The event type name, used as the serde tag.
    pub event_type: String,
}

/// Everything to emit: types by path, module docs, events and topics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TypeSpace {
    /// Definitions keyed by path (so emission order is sorted, not insertion order).
    pub types: BTreeMap<TypePath, TypeDef>,
    /// Module docs by module path.
    pub module_docs: BTreeMap<Vec<String>, String>,
    /// Catalogue events by event type.
    pub events: BTreeMap<String, EventDef>,
    /// Topics by name; emitted into module [`TypeSpace::TOPICS_MODULE`].
    pub topics: BTreeMap<String, TopicDef>,
}

impl TypeSpace {
    /// The module that holds topic enums.
    pub const TOPICS_MODULE: &'static str = "topics";

    /// Adds `def`. The same definition twice (one type shared by two files) is
    /// accepted once; two different definitions at one path are an error naming both.
    pub fn insert(&mut self, def: TypeDef) -> Result<(), Error> {
        match self.types.get(&def.path) {
            None => {
                self.types.insert(def.path.clone(), def);
                Ok(())
            }
            Some(old) if old.schema_name == def.schema_name && same_shape(old, &def) => Ok(()),
            Some(old) => Err(Error::Conflict {
                name: def.schema_name.clone(),
                first: Box::new(old.origin.clone()),
                second: Box::new(def.origin.clone()),
                detail: if old.schema_name == def.schema_name {
                    format!("two different definitions of '{}'", def.schema_name)
                } else {
                    format!(
                        "'{}' and '{}' both map to the Rust type {}",
                        old.schema_name, def.schema_name, def.path
                    )
                },
            }),
        }
    }
}

/// Definitions equal up to where they were written down and how they are documented:
/// a doc edit in one copy of a shared type is not a second type.
fn same_shape(a: &TypeDef, b: &TypeDef) -> bool {
    fn strip_fields(fields: &mut [Field]) {
        for f in fields {
            f.origin = Origin::default();
            f.doc = None;
        }
    }
    let strip = |d: &TypeDef| {
        let mut d = d.clone();
        d.origin = Origin::default();
        d.doc = None;
        match &mut d.kind {
            TypeKind::Struct(s) => strip_fields(&mut s.fields),
            TypeKind::Enum(e) => {
                for v in &mut e.variants {
                    v.doc = None;
                    if let Payload::Struct(fields) = &mut v.payload {
                        strip_fields(fields);
                    }
                }
            }
            TypeKind::Newtype(_) | TypeKind::Alias(_) => {}
        }
        d
    };
    strip(a) == strip(b)
}
