//! Avro support for generated types: codecs for logical types, Avro's `duration`,
//! and the encode/decode helpers that paper over apache-avro's serde gaps.
//!
//! Generated types work with plain `apache_avro::to_value` / `from_value` for
//! everything except two things apache-avro 0.21 cannot do through serde:
//!
//! - encode a `bytes`-based decimal: its serde serializer can only produce
//!   `Value::Bytes`, which its encoder refuses for a decimal schema until
//!   `Value::resolve` turns it into `Value::Decimal`;
//! - decode a `duration` or `big-decimal`: its deserializer has no case for
//!   `Value::Duration` or `Value::BigDecimal`.
//!
//! [`to_datum`] and [`from_datum`] (and [`from_value`]) handle both, and pick union
//! branches by the value rather than by serde's guess; use them.

mod conform;
pub mod datum;
mod decode;
mod encode;
mod logical;

use std::fmt;

use apache_avro::Schema;
use apache_avro::types::Value;
use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use decode::DecodeError;
pub use encode::EncodeError;
pub(crate) use encode::Plan;
pub use logical::{
    BigDecimalBytes, Bytes, Date, Decimal, DecimalFixed, DecimalString, DecimalValue, Fixed,
    LocalTimestampMicros, LocalTimestampMillis, LocalTimestampNanos, TimeMicros, TimeMillis,
    TimestampMicros, TimestampMillis, TimestampNanos, Uuid,
};

/// Avro's `duration`: months, days and milliseconds, each an unsigned 32-bit count
/// (they do not convert into each other: a month is not a fixed number of days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Duration {
    /// Months.
    pub months: u32,
    /// Days.
    pub days: u32,
    /// Milliseconds.
    pub millis: u32,
}

impl Duration {
    /// The 12-byte Avro form: three little-endian `u32`s.
    pub fn to_bytes(self) -> [u8; 12] {
        let mut out = [0u8; 12];
        out[..4].copy_from_slice(&self.months.to_le_bytes());
        out[4..8].copy_from_slice(&self.days.to_le_bytes());
        out[8..].copy_from_slice(&self.millis.to_le_bytes());
        out
    }

    /// Reads the 12-byte Avro form.
    pub fn from_bytes(b: [u8; 12]) -> Duration {
        let word = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        Duration {
            months: word(0),
            days: word(4),
            millis: word(8),
        }
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            let mut s = serializer.serialize_struct("Duration", 3)?;
            s.serialize_field("months", &self.months)?;
            s.serialize_field("days", &self.days)?;
            s.serialize_field("millis", &self.millis)?;
            s.end()
        } else {
            apache_avro::serde_avro_fixed::serialize(&self.to_bytes(), serializer)
        }
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an Avro duration (12 bytes, or months/days/millis)")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Duration, E> {
                <[u8; 12]>::try_from(v)
                    .map(Duration::from_bytes)
                    .map_err(|_| E::custom(format!("a duration is 12 bytes, not {}", v.len())))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Duration, A::Error> {
                let mut d = Duration::default();
                while let Some(key) = map.next_key::<String>()? {
                    let v = map.next_value::<u32>()?;
                    match key.as_str() {
                        "months" => d.months = v,
                        "days" => d.days = v,
                        "millis" => d.millis = v,
                        other => return Err(de::Error::unknown_field(other, FIELDS)),
                    }
                }
                Ok(d)
            }
        }
        const FIELDS: &[&str] = &["months", "days", "millis"];
        if deserializer.is_human_readable() {
            deserializer.deserialize_struct("Duration", FIELDS, V)
        } else {
            deserializer.deserialize_bytes(V)
        }
    }
}

/// Rewrites values apache-avro's deserializer has no case for into ones it has.
fn normalize(value: &mut Value) {
    match value {
        Value::Duration(d) => {
            let bytes: [u8; 12] = (*d).into();
            *value = Value::Fixed(12, bytes.to_vec());
        }
        Value::BigDecimal(d) => *value = Value::Bytes(logical::big_decimal_content(d)),
        Value::Union(_, inner) => normalize(inner),
        Value::Array(items) => items.iter_mut().for_each(normalize),
        Value::Map(items) => items.values_mut().for_each(normalize),
        Value::Record(fields) => fields.iter_mut().for_each(|(_, v)| normalize(v)),
        _ => {}
    }
}

/// `apache_avro::from_value`, plus the cases it lacks (`duration`).
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, apache_avro::Error> {
    from_owned(value.clone())
}

/// [`from_value`] of a value the caller no longer needs (no copy).
pub(crate) fn from_owned<T: DeserializeOwned>(mut value: Value) -> Result<T, apache_avro::Error> {
    normalize(&mut value);
    apache_avro::from_value(&value)
}

/// Encodes `value` as an Avro datum of `schema` (no header, no schema id).
///
/// Straight from serde to bytes for schemas where the serde calls name every
/// union branch (see `encode.rs`); otherwise `to_value`, then a pass that sets
/// every union branch and decimal explicitly (see `conform.rs`: apache-avro's own
/// `resolve` refuses minimal decimal encodings and can pick the wrong record of a
/// union), then `to_avro_datum`. Both write the same bytes.
pub fn to_datum<T: Serialize + ?Sized>(
    schema: &Schema,
    value: &T,
) -> Result<Vec<u8>, apache_avro::Error> {
    let mut out = Vec::new();
    Prepared::new(schema.clone())?
        .encode(value, &mut out)
        .map_err(|e| {
            apache_avro::Error::new(apache_avro::error::Details::SerializeValue(e.to_string()))
        })?;
    Ok(out)
}

/// `apache_avro::to_value` conformed to `schema`, ready for `to_avro_datum` or a writer.
pub fn to_value<T: Serialize + ?Sized>(
    schema: &Schema,
    value: &T,
) -> Result<Value, apache_avro::Error> {
    let resolved = apache_avro::schema::ResolvedSchema::try_from(schema)?;
    let value = apache_avro::to_value(value)?;
    Ok(conform::conform(value, schema, resolved.get_names()))
}

/// A schema prepared once for encoding many values: compiled for the direct
/// serde-to-bytes encoder when its unions allow, else with its named types
/// looked up once for the general path.
pub(crate) struct Prepared {
    schema: Schema,
    names: std::collections::HashMap<apache_avro::schema::Name, Schema>,
    plan: Option<encode::Plan>,
}

impl Prepared {
    /// Looks up `schema`'s named types and compiles it.
    pub(crate) fn new(schema: Schema) -> Result<Prepared, apache_avro::Error> {
        let names = names_of(&schema, &[])?;
        let plan = encode::Plan::compile(&schema, &names).ok();
        Ok(Prepared {
            schema,
            names,
            plan,
        })
    }

    /// The schema.
    pub(crate) fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Appends `value`'s datum to `out`: the bytes [`to_datum`] writes.
    pub(crate) fn encode<T: Serialize + ?Sized>(
        &self,
        value: &T,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        if let Some(plan) = &self.plan {
            let start = out.len();
            return plan.encode(value, out).inspect_err(|_| out.truncate(start));
        }
        let value = apache_avro::to_value(value).map_err(EncodeError::from_avro)?;
        let value = conform::conform(value, &self.schema, &self.names);
        // One name lookup for validation and encoding (`to_avro_datum` makes two).
        let datum = apache_avro::to_avro_datum_schemata(&self.schema, vec![&self.schema], value)
            .map_err(EncodeError::from_avro)?;
        out.extend_from_slice(&datum);
        Ok(())
    }
}

/// `schema`'s named types by full name, with those of the schemas it references.
fn names_of(
    schema: &Schema,
    references: &[Schema],
) -> Result<std::collections::HashMap<apache_avro::schema::Name, Schema>, apache_avro::Error> {
    let mut all: Vec<&Schema> = references.iter().collect();
    all.push(schema);
    Ok(apache_avro::schema::ResolvedSchema::try_from(all)?
        .get_names()
        .iter()
        .map(|(name, s)| (name.clone(), (*s).clone()))
        .collect())
}

/// `schema` (which may name types of `references`) compiled for reading its
/// data straight into Rust types (`None` for a schema the compiler cannot take;
/// the general path reads those).
pub(crate) fn decode_plan(schema: &Schema, references: &[Schema]) -> Option<Plan> {
    let names = names_of(schema, references).ok()?;
    Plan::compile_for_decode(schema, &names).ok()
}

/// Decodes an Avro datum written with `schema` into a `T`: straight from the
/// bytes (see `decode.rs`), or through a `Value` for a schema that path cannot take.
pub fn from_datum<T: DeserializeOwned>(
    schema: &Schema,
    mut datum: &[u8],
) -> Result<T, apache_avro::Error> {
    match decode_plan(schema, &[]) {
        Some(plan) => plan.decode(&mut datum).map_err(|e| {
            apache_avro::Error::new(apache_avro::error::Details::DeserializeValue(e.to_string()))
        }),
        None => {
            let value = apache_avro::from_avro_datum(schema, &mut datum, None)?;
            from_owned(value)
        }
    }
}
