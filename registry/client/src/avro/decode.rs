//! A serde deserializer that reads Avro binary straight into a Rust value,
//! driven by the writer's schema compiled once (the deserializer's hot path
//! when the reader's schema is the writer's).
//!
//! The general path decodes a whole `Value` tree and hands it to apache-avro's
//! serde deserializer. This one reads each datum as the type asks for it, and
//! presents it as apache-avro's deserializer presents the decoded `Value` (the
//! generated types and the logical-type codecs are written against that):
//! records as maps keyed by field name, unions through `Option` or as the enum
//! variant at the branch's index, enum symbols as strings, decimals, fixed and
//! durations as bytes, uuids as their 16 bytes or their text.

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::encode::{Node, Plan};

/// Why a datum could not be read.
#[derive(Debug)]
pub struct DecodeError(pub(super) String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DecodeError(msg.to_string())
    }
}

/// The most items of a block that may take no bytes each.
const MAX_EMPTY_ITEMS: usize = 1 << 20;

pub(super) fn truncated() -> DecodeError {
    DecodeError("the datum ends early".into())
}

impl Plan {
    /// Reads one datum of this (writer's) schema from the front of `input` as a `T`.
    pub(crate) fn decode<T: de::DeserializeOwned>(
        &self,
        input: &mut &[u8],
    ) -> Result<T, DecodeError> {
        T::deserialize(Dec {
            plan: self,
            node: self.root(),
            input,
        })
    }
}

/// Reads the value of `node` from `input`.
struct Dec<'p, 'i, 'de> {
    plan: &'p Plan,
    node: usize,
    input: &'i mut &'de [u8],
}

pub(super) fn long(input: &mut &[u8]) -> Result<i64, DecodeError> {
    // Most longs on the wire (lengths, indexes, small counts) are one byte.
    if let Some((&b, rest)) = input.split_first()
        && b & 0x80 == 0
    {
        *input = rest;
        return Ok(i64::from(b >> 1) ^ -i64::from(b & 1));
    }
    let mut z: u64 = 0;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = input.split_first().ok_or_else(truncated)?;
        *input = rest;
        z |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(((z >> 1) as i64) ^ -((z & 1) as i64));
        }
    }
    Err(DecodeError("a varint runs past 10 bytes".into()))
}

pub(super) fn int(input: &mut &[u8]) -> Result<i32, DecodeError> {
    let v = long(input)?;
    i32::try_from(v).map_err(|_| DecodeError(format!("{v} is out of range for an int")))
}

pub(super) fn take<'de>(input: &mut &'de [u8], n: usize) -> Result<&'de [u8], DecodeError> {
    if input.len() < n {
        return Err(truncated());
    }
    let (head, rest) = input.split_at(n);
    *input = rest;
    Ok(head)
}

pub(super) fn bytes<'de>(input: &mut &'de [u8]) -> Result<&'de [u8], DecodeError> {
    let n = long(input)?;
    let n = usize::try_from(n).map_err(|_| DecodeError(format!("negative length {n}")))?;
    take(input, n)
}

pub(super) fn text<'de>(input: &mut &'de [u8]) -> Result<&'de str, DecodeError> {
    std::str::from_utf8(bytes(input)?)
        .map_err(|e| DecodeError(format!("a string is not UTF-8: {e}")))
}

/// A block's item count (a negative count is followed by the block's size in bytes).
pub(super) fn block_len(input: &mut &[u8]) -> Result<usize, DecodeError> {
    let n = long(input)?;
    if n < 0 {
        long(input)?;
    }
    // Items take a byte or more, except nulls and empty records: a count
    // beyond what is left (and beyond reason for those) is corrupt data, not
    // a reason to loop for ages.
    match usize::try_from(n.unsigned_abs()) {
        Ok(count) if count <= input.len().max(MAX_EMPTY_ITEMS) => Ok(count),
        _ => Err(DecodeError(format!(
            "a block claims {n} items with {} bytes left",
            input.len()
        ))),
    }
}

impl<'p, 'i, 'de> Dec<'p, 'i, 'de> {
    fn node(&self) -> &'p Node {
        self.plan.node(self.node)
    }

    /// Under a union, reads the branch index and moves to the branch.
    fn branch(&mut self) -> Result<(), DecodeError> {
        if let Node::Union(branches) = self.node() {
            let i = long(self.input)?;
            self.node = usize::try_from(i)
                .ok()
                .and_then(|i| branches.get(i).copied())
                .ok_or_else(|| {
                    DecodeError(format!("union branch {i} of a union of {}", branches.len()))
                })?;
        }
        Ok(())
    }

    fn symbol(&mut self) -> Result<&'p str, DecodeError> {
        let Node::Enum { name, symbols } = self.node() else {
            return Err(DecodeError("not an enum".into()));
        };
        let i = int(self.input)?;
        usize::try_from(i)
            .ok()
            .and_then(|i| symbols.get(i))
            .map(String::as_str)
            .ok_or_else(|| DecodeError(format!("symbol {i} of enum {name}")))
    }

    fn expected(&self, what: &str) -> DecodeError {
        DecodeError(format!(
            "expected {what}, the schema has {}",
            self.plan.describe(self.node)
        ))
    }
}

impl<'de> de::Deserializer<'de> for Dec<'_, '_, 'de> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, DecodeError> {
        self.branch()?;
        match self.node() {
            Node::Null => visitor.visit_unit(),
            Node::Boolean => match take(self.input, 1)?[0] {
                0 => visitor.visit_bool(false),
                1 => visitor.visit_bool(true),
                b => Err(DecodeError(format!("{b} is not a boolean"))),
            },
            Node::Int { .. } => visitor.visit_i32(int(self.input)?),
            Node::Long { .. } => visitor.visit_i64(long(self.input)?),
            Node::Float => {
                let b = take(self.input, 4)?;
                visitor.visit_f32(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
            Node::Double => {
                let b: [u8; 8] = take(self.input, 8)?.try_into().map_err(|_| truncated())?;
                visitor.visit_f64(f64::from_le_bytes(b))
            }
            Node::Bytes { .. } => visitor.visit_bytes(bytes(self.input)?),
            Node::Fixed { size, .. } => visitor.visit_bytes(take(self.input, *size)?),
            Node::String => visitor.visit_borrowed_str(text(self.input)?),
            Node::Uuid => visitor.visit_str(&uuid_text(self.input)?.to_string()),
            Node::Enum { .. } => visitor.visit_str(self.symbol()?),
            Node::Array(item) => {
                let item = *item;
                visitor.visit_seq(Block::new(self.plan, item, self.input))
            }
            Node::Map(values) => {
                let values = *values;
                visitor.visit_map(Block::new(self.plan, values, self.input))
            }
            Node::Record(_) => visitor.visit_map(Fields::new(self.plan, self.node, self.input)),
            Node::Union(_) => Err(DecodeError("a union directly inside a union".into())),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 char
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, DecodeError> {
        self.branch()?;
        match self.node() {
            Node::String => visitor.visit_borrowed_str(text(self.input)?),
            Node::Enum { .. } => visitor.visit_str(self.symbol()?),
            Node::Uuid => visitor.visit_str(&uuid_text(self.input)?.to_string()),
            Node::Bytes { .. } => visitor.visit_borrowed_str(
                std::str::from_utf8(bytes(self.input)?).map_err(de::Error::custom)?,
            ),
            Node::Fixed { size, .. } => visitor.visit_borrowed_str(
                std::str::from_utf8(take(self.input, *size)?).map_err(de::Error::custom)?,
            ),
            _ => Err(self.expected("a string")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, DecodeError> {
        self.branch()?;
        match self.node() {
            Node::Bytes { .. } => visitor.visit_bytes(bytes(self.input)?),
            Node::Fixed { size, .. } => visitor.visit_bytes(take(self.input, *size)?),
            Node::String => visitor.visit_bytes(bytes(self.input)?),
            // apache-avro decodes a uuid to `Value::Uuid`, which gives its 16 bytes.
            Node::Uuid => visitor.visit_bytes(uuid_text(self.input)?.as_bytes()),
            _ => Err(self.expected("bytes")),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, DecodeError> {
        if !matches!(self.node(), Node::Union(_)) {
            return Err(self.expected("a union for an Option"));
        }
        self.branch()?;
        match self.node() {
            Node::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, DecodeError> {
        self.branch()?;
        match self.node() {
            Node::Null => visitor.visit_unit(),
            _ => Err(self.expected("null")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, DecodeError> {
        self.branch()?;
        match self.node() {
            Node::Array(item) => {
                let item = *item;
                visitor.visit_seq(Block::new(self.plan, item, self.input))
            }
            Node::Null => visitor.visit_seq(Block::empty(self.plan, self.node, self.input)),
            _ => Err(self.expected("an array")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, DecodeError> {
        self.branch()?;
        match self.node() {
            Node::Map(values) => {
                let values = *values;
                visitor.visit_map(Block::new(self.plan, values, self.input))
            }
            Node::Record(_) => visitor.visit_map(Fields::new(self.plan, self.node, self.input)),
            _ => Err(self.expected("a map or a record")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        mut self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.branch()?;
        match self.node() {
            // When the type's fields are the record's, in order, serde reads
            // them by position: no field-name matching.
            Node::Record(record) if record.in_order(fields) => {
                let mut fields = Fields::new(self.plan, self.node, self.input);
                let value = visitor.visit_seq(&mut fields)?;
                // A type that read fewer fields than it named (serde lists
                // aliases too) is not positional: the caller reads it again.
                if fields.next == fields.fields.len() {
                    Ok(value)
                } else {
                    Err(DecodeError(format!(
                        "the type read {} of the record's {} fields by position",
                        fields.next,
                        fields.fields.len()
                    )))
                }
            }
            Node::Record(_) => visitor.visit_map(Fields::new(self.plan, self.node, self.input)),
            Node::Null => visitor.visit_map(Fields::none(self.plan, self.input)),
            _ => Err(self.expected("a record")),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        mut self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        match self.node() {
            // The variant at the branch's index (evgen's tagged unions).
            Node::Union(branches) => {
                let i = long(self.input)?;
                let (variant, branch) = usize::try_from(i)
                    .ok()
                    .and_then(|i| Some((*variants.get(i)?, *branches.get(i)?)))
                    .ok_or_else(|| {
                        DecodeError(format!(
                            "union branch {i}: the type has {} variants, the union {} branches",
                            variants.len(),
                            branches.len()
                        ))
                    })?;
                self.node = branch;
                visitor.visit_enum(Branch { variant, dec: self })
            }
            Node::Enum { .. } => visitor.visit_enum(Symbol(self.symbol()?)),
            Node::String => visitor.visit_enum(Symbol(text(self.input)?)),
            _ => Err(self.expected("an enum or a union")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_any(visitor)
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

/// A uuid's text, checked (apache-avro refuses a malformed one too).
pub(super) fn uuid_text(input: &mut &[u8]) -> Result<uuid::Uuid, DecodeError> {
    // Parsing checks the text is ASCII hex and hyphens: no UTF-8 pass first.
    let b = bytes(input)?;
    uuid::Uuid::try_parse_ascii(b).map_err(|e| {
        DecodeError(format!(
            "`{}` is not a uuid: {e}",
            String::from_utf8_lossy(b)
        ))
    })
}

/// An array's items or a map's entries, block by block.
struct Block<'p, 'i, 'de> {
    plan: &'p Plan,
    item: usize,
    input: &'i mut &'de [u8],
    /// Items left in the current block; `None` once the end marker is read.
    left: Option<usize>,
}

impl<'p, 'i, 'de> Block<'p, 'i, 'de> {
    fn new(plan: &'p Plan, item: usize, input: &'i mut &'de [u8]) -> Self {
        Block {
            plan,
            item,
            input,
            left: Some(0),
        }
    }

    fn empty(plan: &'p Plan, item: usize, input: &'i mut &'de [u8]) -> Self {
        Block {
            plan,
            item,
            input,
            left: None,
        }
    }

    /// Whether another item follows (reading the next block's count if needed).
    fn more(&mut self) -> Result<bool, DecodeError> {
        loop {
            match self.left {
                None => return Ok(false),
                Some(0) => {
                    let n = block_len(self.input)?;
                    self.left = (n > 0).then_some(n);
                }
                Some(n) => {
                    self.left = Some(n - 1);
                    return Ok(true);
                }
            }
        }
    }

    fn value(&mut self) -> Dec<'p, '_, 'de> {
        Dec {
            plan: self.plan,
            node: self.item,
            input: self.input,
        }
    }
}

impl<'de> de::SeqAccess<'de> for Block<'_, '_, 'de> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        if !self.more()? {
            return Ok(None);
        }
        seed.deserialize(self.value()).map(Some)
    }
}

impl<'de> de::MapAccess<'de> for Block<'_, '_, 'de> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        if !self.more()? {
            return Ok(None);
        }
        let key = text(self.input)?;
        seed.deserialize(key.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        seed.deserialize(self.value())
    }
}

/// A record's fields in schema order, keyed by name.
struct Fields<'p, 'i, 'de> {
    plan: &'p Plan,
    fields: &'p [(String, usize)],
    next: usize,
    input: &'i mut &'de [u8],
}

impl<'p, 'i, 'de> Fields<'p, 'i, 'de> {
    fn new(plan: &'p Plan, record: usize, input: &'i mut &'de [u8]) -> Self {
        let fields = match plan.node(record) {
            Node::Record(r) => r.fields.as_slice(),
            _ => &[],
        };
        Fields {
            plan,
            fields,
            next: 0,
            input,
        }
    }

    fn none(plan: &'p Plan, input: &'i mut &'de [u8]) -> Self {
        Fields {
            plan,
            fields: &[],
            next: 0,
            input,
        }
    }
}

impl<'de> de::MapAccess<'de> for Fields<'_, '_, 'de> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        match self.fields.get(self.next) {
            Some((name, _)) => seed
                .deserialize(name.as_str().into_deserializer())
                .map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        self.next_field(seed)?
            .ok_or_else(|| DecodeError("a record value without its field".into()))
    }
}

impl<'de> Fields<'_, '_, 'de> {
    /// Reads the next field's value; `None` past the last field.
    fn next_field<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<Option<V::Value>, DecodeError> {
        let Some((name, node)) = self.fields.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        seed.deserialize(Dec {
            plan: self.plan,
            node: *node,
            input: self.input,
        })
        .map(Some)
        .map_err(|e| DecodeError(format!("field `{name}`: {e}")))
    }
}

/// The fields in schema order, by position.
impl<'de> de::SeqAccess<'de> for Fields<'_, '_, 'de> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        self.next_field(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len() - self.next)
    }
}

/// An enum symbol as a unit variant.
struct Symbol<'a>(&'a str);

impl<'de> de::EnumAccess<'de> for Symbol<'_> {
    type Error = DecodeError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self), DecodeError> {
        let v = seed.deserialize(self.0.into_deserializer())?;
        Ok((v, self))
    }
}

impl<'de> de::VariantAccess<'de> for Symbol<'_> {
    type Error = DecodeError;

    fn unit_variant(self) -> Result<(), DecodeError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _: T) -> Result<T::Value, DecodeError> {
        Err(DecodeError(format!("symbol `{}` carries no value", self.0)))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, DecodeError> {
        Err(DecodeError(format!("symbol `{}` carries no value", self.0)))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, DecodeError> {
        Err(DecodeError(format!("symbol `{}` carries no value", self.0)))
    }
}

/// A union branch as the enum variant at its index.
struct Branch<'p, 'i, 'de> {
    variant: &'static str,
    dec: Dec<'p, 'i, 'de>,
}

impl<'p, 'i, 'de> de::EnumAccess<'de> for Branch<'p, 'i, 'de> {
    type Error = DecodeError;
    type Variant = Dec<'p, 'i, 'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), DecodeError> {
        let v = seed.deserialize(self.variant.into_deserializer())?;
        Ok((v, self.dec))
    }
}

impl<'de> de::VariantAccess<'de> for Dec<'_, '_, 'de> {
    type Error = DecodeError;

    fn unit_variant(self) -> Result<(), DecodeError> {
        match self.node() {
            Node::Null => Ok(()),
            _ => Err(self.expected("null for a unit variant")),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, DecodeError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        de::Deserializer::deserialize_tuple(self, len, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        de::Deserializer::deserialize_struct(self, "", fields, visitor)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use apache_avro::Schema;
    use serde::Deserialize;

    use super::super::{decode_plan, from_owned};

    const SCHEMA: &str = r#"{"type":"record","name":"R","namespace":"t","fields":[
        {"name":"a","type":"long"},
        {"name":"skip","type":{"type":"record","name":"S","fields":[
            {"name":"m","type":{"type":"map","values":{"type":"array","items":"string"}}},
            {"name":"u","type":["null","int","E2"]}]}},
        {"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"]}},
        {"name":"f","type":["null","E"]},
        {"name":"id","type":{"type":"string","logicalType":"uuid"}},
        {"name":"tail","type":["string","null"]}
    ]}"#;

    #[derive(Deserialize, Debug, PartialEq)]
    enum E {
        Y,
        X,
    }

    /// Leaves out `skip` (read and ignored) and adds a defaulted field.
    #[derive(Deserialize, Debug, PartialEq)]
    struct R {
        a: i64,
        e: E,
        f: Option<E>,
        #[serde(with = "crate::codec::As::<crate::avro::Uuid>")]
        id: uuid::Uuid,
        tail: Option<String>,
        #[serde(default)]
        extra: i32,
    }

    fn datum() -> (Schema, Vec<u8>) {
        let schema = Schema::parse_str(
            &SCHEMA.replace("\"E2\"", r#"{"type":"enum","name":"E2","symbols":["Q"]}"#),
        )
        .expect("parses");
        use apache_avro::types::Value as V;
        let text = |s: &str| V::String(s.to_owned());
        let value = V::Record(vec![
            ("a".into(), V::Long(-7)),
            (
                "skip".into(),
                V::Record(vec![
                    (
                        "m".into(),
                        V::Map(
                            [
                                ("k".to_owned(), V::Array(vec![text("x"), text("yy")])),
                                ("l".to_owned(), V::Array(vec![])),
                            ]
                            .into(),
                        ),
                    ),
                    ("u".into(), V::Union(1, Box::new(V::Int(5)))),
                ]),
            ),
            ("e".into(), V::Enum(1, "Y".into())),
            ("f".into(), V::Union(1, Box::new(V::Enum(0, "X".into())))),
            ("id".into(), text("6f1c2b9e-3a47-4d8e-9b0a-1c2d3e4f5a6b")),
            ("tail".into(), V::Union(0, Box::new(text("end")))),
        ]);
        let bytes = apache_avro::to_avro_datum(&schema, value).expect("encodes");
        (schema, bytes)
    }

    #[test]
    fn reads_what_the_general_path_reads() {
        let (schema, bytes) = datum();
        let plan = decode_plan(&schema, &[]).expect("compiles");
        let direct: R = plan.decode(&mut &bytes[..]).expect("direct decode");
        let value =
            apache_avro::from_avro_datum(&schema, &mut &bytes[..], None).expect("general decode");
        let general: R = from_owned(value).expect("general path reads it");
        assert_eq!(direct, general);
        assert_eq!(direct.e, E::Y);
        assert_eq!(direct.f, Some(E::X));
        assert_eq!(direct.tail.as_deref(), Some("end"));
        assert_eq!(direct.extra, 0);
    }

    #[test]
    fn maps_arrays_and_unions_as_values() {
        let (schema, bytes) = datum();
        #[derive(Deserialize, Debug, PartialEq)]
        struct S {
            m: BTreeMap<String, Vec<String>>,
            u: serde_json::Value,
        }
        #[derive(Deserialize, Debug)]
        struct Only {
            skip: S,
        }
        let plan = decode_plan(&schema, &[]).expect("compiles");
        let only: Only = plan.decode(&mut &bytes[..]).expect("decodes");
        assert_eq!(only.skip.m["k"], vec!["x".to_owned(), "yy".to_owned()]);
        assert!(only.skip.m["l"].is_empty());
        assert_eq!(only.skip.u, serde_json::json!(5));
    }

    #[test]
    fn corrupt_data_is_an_error_not_a_panic_or_a_hang() {
        let (schema, bytes) = datum();
        let plan = decode_plan(&schema, &[]).expect("compiles");
        for cut in 0..bytes.len() {
            assert!(
                plan.decode::<R>(&mut &bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        // An array of nulls claiming 2^62 items.
        let nulls = decode_plan(
            &Schema::parse_str(r#"{"type":"array","items":"null"}"#).expect("parses"),
            &[],
        )
        .expect("compiles");
        let mut huge = Vec::new();
        crate::avro::logical::push_varint(&mut huge, 1 << 62);
        let e = nulls
            .decode::<Vec<()>>(&mut &huge[..])
            .expect_err("refused");
        assert!(e.to_string().contains("claims"), "{e}");
        // A union branch and an enum symbol out of range.
        let mut bad = bytes.clone();
        // From the end: `tail` (branch, length, 3 bytes), `id` (length, 36), `f`.
        let f_at = bytes.len() - 5 - 37 - 2;
        assert_eq!(&bad[f_at..f_at + 2], &[2, 0]);
        bad[f_at] = 8;
        let e = plan.decode::<R>(&mut &bad[..]).expect_err("no branch 4");
        assert!(e.to_string().contains("union branch 4"), "{e}");
        bad[f_at] = 2;
        bad[f_at + 1] = 6;
        let e = plan.decode::<R>(&mut &bad[..]).expect_err("no symbol 3");
        assert!(e.to_string().contains("symbol 3 of enum t.E"), "{e}");
    }
}
