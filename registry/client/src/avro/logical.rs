//! Codecs for Avro's byte-ish and logical types.
//!
//! Each writes the Avro form when the serializer is not human-readable (apache-avro's
//! default, see `apache_avro::util::set_serde_human_readable`) and a readable form
//! otherwise, so the same generated type prints RFC 3339 timestamps and decimal
//! strings through serde_json and the exact Avro encoding through apache-avro.

use std::fmt;
use std::str::FromStr;

use bigdecimal::num_bigint::BigInt;
use bigdecimal::{BigDecimal, ToPrimitive};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, Timelike, Utc};
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserializer, Serializer};

use crate::codec::{DeserializeAs, SerializeAs};

/// Anything a byte-ish Avro value can arrive as: bytes, a string, or a sequence.
struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Vec<u8>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bytes")
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
        Ok(v.as_bytes().to_vec())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(b) = seq.next_element::<u8>()? {
            out.push(b);
        }
        Ok(out)
    }
}

/// Avro `bytes` as `Vec<u8>` (serde would otherwise write a sequence of numbers).
pub struct Bytes;

impl SerializeAs<Vec<u8>> for Bytes {
    fn serialize_as<S: Serializer>(source: &Vec<u8>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(source)
    }
}

impl<'de> DeserializeAs<'de, Vec<u8>> for Bytes {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        deserializer.deserialize_byte_buf(BytesVisitor)
    }
}

/// Avro `fixed` as `[u8; N]`.
pub struct Fixed;

impl<const N: usize> SerializeAs<[u8; N]> for Fixed {
    fn serialize_as<S: Serializer>(source: &[u8; N], serializer: S) -> Result<S::Ok, S::Error> {
        // apache-avro's helper makes its serializer produce a `fixed` value rather
        // than `bytes`, which matters when a union holds both.
        apache_avro::serde_avro_fixed::serialize(source, serializer)
    }
}

impl<'de, const N: usize> DeserializeAs<'de, [u8; N]> for Fixed {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<[u8; N], D::Error> {
        let v = deserializer.deserialize_bytes(BytesVisitor)?;
        let len = v.len();
        <[u8; N]>::try_from(v)
            .map_err(|_| de::Error::custom(format!("expected {N} bytes for a fixed, got {len}")))
    }
}

/// `uuid::Uuid` as its hyphenated string (Avro `uuid` on `string`).
pub struct Uuid;

impl SerializeAs<uuid::Uuid> for Uuid {
    fn serialize_as<S: Serializer>(source: &uuid::Uuid, serializer: S) -> Result<S::Ok, S::Error> {
        // uuid's own impl writes 16 raw bytes to a non-human-readable serializer,
        // which apache-avro then refuses for a string-based uuid. The text is
        // formatted on the stack: this runs for every id of every event.
        let mut text = uuid::Uuid::encode_buffer();
        serializer.serialize_str(source.hyphenated().encode_lower(&mut text))
    }
}

impl<'de> DeserializeAs<'de, uuid::Uuid> for Uuid {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<uuid::Uuid, D::Error> {
        deserializer.deserialize_bytes(UuidVisitor)
    }
}

/// A uuid from its 16 bytes or its text, whichever the format hands over.
struct UuidVisitor;

impl UuidVisitor {
    fn parse<E: de::Error>(v: &[u8]) -> Result<uuid::Uuid, E> {
        if v.len() == 16 {
            return uuid::Uuid::from_slice(v).map_err(E::custom);
        }
        let s = std::str::from_utf8(v).map_err(E::custom)?;
        uuid::Uuid::parse_str(s).map_err(E::custom)
    }
}

impl<'de> Visitor<'de> for UuidVisitor {
    type Value = uuid::Uuid;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a uuid (16 bytes or its text)")
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<uuid::Uuid, E> {
        UuidVisitor::parse(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<uuid::Uuid, E> {
        UuidVisitor::parse(v.as_bytes())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<uuid::Uuid, A::Error> {
        UuidVisitor::parse(&BytesVisitor.visit_seq(seq)?)
    }
}

/// The unscaled two's complement bytes of `value` at `scale`; refuses values that
/// would lose digits, because silently rounding money is worse than failing.
fn unscaled_bytes<E: serde::ser::Error>(value: &BigDecimal, scale: u32) -> Result<Vec<u8>, E> {
    let (digits, own_scale) = value.as_bigint_and_scale();
    if own_scale == i64::from(scale) {
        // The usual case, and the hot one: no rescaling, no comparison.
        return Ok(digits.to_signed_bytes_be());
    }
    let rescaled = value.with_scale(i64::from(scale));
    if &rescaled != value {
        return Err(E::custom(format!(
            "decimal {value} has more than {scale} digits after the point"
        )));
    }
    let (digits, _) = rescaled.into_bigint_and_exponent();
    Ok(digits.to_signed_bytes_be())
}

/// The decimal whose unscaled value is big-endian two's complement `v`.
pub(super) fn decimal_from_bytes(v: &[u8], scale: u32) -> BigDecimal {
    let digits = if !v.is_empty() && v.len() <= 16 {
        // Sign-extend into an i128: cheaper than num-bigint's general path.
        let mut buffer = if v[0] & 0x80 != 0 {
            [0xff; 16]
        } else {
            [0; 16]
        };
        buffer[16 - v.len()..].copy_from_slice(v);
        BigInt::from(i128::from_be_bytes(buffer))
    } else {
        BigInt::from_signed_bytes_be(v)
    };
    BigDecimal::new(digits, i64::from(scale))
}

struct DecimalVisitor {
    scale: u32,
}

impl<'de> Visitor<'de> for DecimalVisitor {
    type Value = BigDecimal;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal (two's complement bytes or a decimal string)")
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<BigDecimal, E> {
        Ok(decimal_from_bytes(v, self.scale))
    }
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<BigDecimal, E> {
        self.visit_bytes(&v)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<BigDecimal, A::Error> {
        let bytes = BytesVisitor.visit_seq(seq)?;
        self.visit_bytes(&bytes)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<BigDecimal, E> {
        BigDecimal::from_str(v).map_err(E::custom)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<BigDecimal, E> {
        Ok(BigDecimal::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<BigDecimal, E> {
        Ok(BigDecimal::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<BigDecimal, E> {
        BigDecimal::from_str(&v.to_string()).map_err(E::custom)
    }
}

fn deserialize_decimal<'de, D: Deserializer<'de>>(
    deserializer: D,
    scale: u32,
) -> Result<BigDecimal, D::Error> {
    if deserializer.is_human_readable() {
        deserializer.deserialize_any(DecimalVisitor { scale })
    } else {
        deserializer.deserialize_bytes(DecimalVisitor { scale })
    }
}

/// Avro `decimal` on `bytes` as `BigDecimal`, at scale `SCALE`.
pub struct Decimal<const SCALE: u32>;

impl<const SCALE: u32> SerializeAs<BigDecimal> for Decimal<SCALE> {
    fn serialize_as<S: Serializer>(source: &BigDecimal, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return serializer.collect_str(&source.with_scale(i64::from(SCALE)));
        }
        with_unscaled::<S::Error, _>(source, SCALE, |b| serializer.serialize_bytes(b))?
    }
}

/// Hands `f` the unscaled two's complement bytes of `value` at `scale`.
/// Amounts that fit 128 bits (every money amount) skip num-bigint's
/// allocating conversion.
fn with_unscaled<E: serde::ser::Error, R>(
    value: &BigDecimal,
    scale: u32,
    f: impl FnOnce(&[u8]) -> R,
) -> Result<R, E> {
    let (digits, own_scale) = value.as_bigint_and_scale();
    if own_scale == i64::from(scale)
        && let Some(small) = digits.to_i128()
    {
        let (buffer, start) = minimal_twos_complement(small);
        return Ok(f(&buffer[start..]));
    }
    Ok(f(&unscaled_bytes::<E>(value, scale)?))
}

/// Appends `value` at `scale` as Avro decimal bytes (length, then the
/// unscaled two's complement), as `Decimal<SCALE>` serializes it.
pub(super) fn push_decimal<E: serde::ser::Error>(
    value: &BigDecimal,
    scale: u32,
    out: &mut Vec<u8>,
) -> Result<(), E> {
    with_unscaled(value, scale, |b| {
        push_varint(out, b.len() as i64);
        out.extend_from_slice(b);
    })
}

/// `value` at `scale` sign-extended to `size` bytes, as `DecimalFixed` writes it.
pub(super) fn fixed_decimal<E: serde::ser::Error>(
    value: &BigDecimal,
    scale: u32,
    size: usize,
) -> Result<Vec<u8>, E> {
    let minimal = unscaled_bytes::<E>(value, scale)?;
    if minimal.len() > size {
        return Err(E::custom(format!(
            "decimal {value} does not fit in {size} bytes"
        )));
    }
    let fill = if minimal.first().is_some_and(|b| b & 0x80 != 0) {
        0xff
    } else {
        0
    };
    let mut out = vec![fill; size - minimal.len()];
    out.extend_from_slice(&minimal);
    Ok(out)
}

/// `value`'s big-endian two's complement bytes, shortest form (as
/// `BigInt::to_signed_bytes_be` writes them): `buffer[start..]`.
fn minimal_twos_complement(value: i128) -> ([u8; 16], usize) {
    let buffer = value.to_be_bytes();
    let fill = if value < 0 { 0xff } else { 0 };
    let mut start = 0;
    // A leading byte may go while it only repeats the sign of the next one.
    while start < 15 && buffer[start] == fill && (buffer[start + 1] & 0x80) == (fill & 0x80) {
        start += 1;
    }
    (buffer, start)
}

impl<'de, const SCALE: u32> DeserializeAs<'de, BigDecimal> for Decimal<SCALE> {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<BigDecimal, D::Error> {
        deserialize_decimal(deserializer, SCALE)
    }
}

/// Avro `decimal` on a `fixed` of `SIZE` bytes as `BigDecimal`, at scale `SCALE`.
pub struct DecimalFixed<const SCALE: u32, const SIZE: usize>;

impl<const SCALE: u32, const SIZE: usize> SerializeAs<BigDecimal> for DecimalFixed<SCALE, SIZE> {
    fn serialize_as<S: Serializer>(source: &BigDecimal, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return serializer.collect_str(&source.with_scale(i64::from(SCALE)));
        }
        let out = fixed_decimal::<S::Error>(source, SCALE, SIZE)?;
        apache_avro::serde_avro_fixed::serialize(&out, serializer)
    }
}

impl<'de, const SCALE: u32, const SIZE: usize> DeserializeAs<'de, BigDecimal>
    for DecimalFixed<SCALE, SIZE>
{
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<BigDecimal, D::Error> {
        deserialize_decimal(deserializer, SCALE)
    }
}

/// A decimal as a string in every format (JSON Schema's way of carrying money).
pub struct DecimalString;

impl SerializeAs<BigDecimal> for DecimalString {
    fn serialize_as<S: Serializer>(source: &BigDecimal, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(source)
    }
}

impl<'de> DeserializeAs<'de, BigDecimal> for DecimalString {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<BigDecimal, D::Error> {
        deserializer.deserialize_any(DecimalVisitor { scale: 0 })
    }
}

/// Integers or strings; which one a codec gets depends on the format.
enum IntOrStr {
    Int(i64),
    Str(String),
}

struct IntOrStrVisitor;

impl Visitor<'_> for IntOrStrVisitor {
    type Value = IntOrStr;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or a string")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<IntOrStr, E> {
        Ok(IntOrStr::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<IntOrStr, E> {
        i64::try_from(v).map(IntOrStr::Int).map_err(E::custom)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<IntOrStr, E> {
        Ok(IntOrStr::Str(v.to_owned()))
    }
}

fn int_or_str<'de, D: Deserializer<'de>>(deserializer: D) -> Result<IntOrStr, D::Error> {
    deserializer.deserialize_any(IntOrStrVisitor)
}

fn out_of_range<E: de::Error>(what: &str, v: i64) -> E {
    E::custom(format!("{what} {v} is outside the supported range"))
}

/// Generates a codec for a chrono type written as an integer count in Avro and as
/// ISO 8601 text in human-readable formats.
macro_rules! time_codec {
    ($(#[$doc:meta])* $name:ident, $ty:ty, $int:ty,
     to_int: |$v:ident| $to:expr,
     from_int: |$n:ident| $from:expr,
     to_text: |$t:ident| $text:expr,
     from_text: |$s:ident| $parse:expr $(,)?) => {
        $(#[$doc])*
        pub struct $name;

        impl SerializeAs<$ty> for $name {
            fn serialize_as<S: Serializer>(source: &$ty, serializer: S) -> Result<S::Ok, S::Error> {
                if serializer.is_human_readable() {
                    let $t = source;
                    return serializer.collect_str(&$text);
                }
                let $v = source;
                let n: i64 = $to.ok_or_else(|| {
                    <S::Error as serde::ser::Error>::custom(format!(
                        "{} cannot be written as {}", $v, stringify!($name)
                    ))
                })?;
                let n = <$int>::try_from(n).map_err(<S::Error as serde::ser::Error>::custom)?;
                serde::Serialize::serialize(&n, serializer)
            }
        }

        impl super::datum::WriteAs<$ty> for $name {
            fn write_as(source: &$ty, out: &mut Vec<u8>) -> Result<(), super::EncodeError> {
                let $v = source;
                let n: Option<i64> = $to;
                let n = n.and_then(|n| <$int>::try_from(n).ok()).ok_or_else(|| {
                    super::EncodeError::new(format!(
                        "{} cannot be written as {}", $v, stringify!($name)
                    ))
                })?;
                super::datum::WriteDatum::write_datum(&n, out)
            }
        }

        impl super::datum::ReadAs<$ty> for $name {
            fn read_as(input: &mut &[u8]) -> Result<$ty, super::DecodeError> {
                let $n = i64::from(<$int as super::datum::ReadDatum>::read_datum(input)?);
                let parsed: Option<$ty> = $from;
                parsed.ok_or_else(|| out_of_range(stringify!($name), $n))
            }
        }

        impl<'de> DeserializeAs<'de, $ty> for $name {
            fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<$ty, D::Error> {
                match int_or_str(deserializer)? {
                    IntOrStr::Int($n) => {
                        let parsed: Option<$ty> = $from;
                        parsed.ok_or_else(|| out_of_range(stringify!($name), $n))
                    }
                    IntOrStr::Str($s) => $parse.map_err(de::Error::custom),
                }
            }
        }
    };
}

fn epoch_date() -> NaiveDate {
    NaiveDate::default()
}

time_codec!(
    /// Avro `date` (days since 1970-01-01) as `chrono::NaiveDate`.
    Date, NaiveDate, i32,
    to_int: |v| Some(v.signed_duration_since(epoch_date()).num_days()),
    from_int: |n| chrono::TimeDelta::try_days(n).and_then(|d| epoch_date().checked_add_signed(d)),
    to_text: |t| t.format("%Y-%m-%d"),
    from_text: |s| NaiveDate::from_str(&s),
);

fn time_from_micros(n: i64) -> Option<NaiveTime> {
    if !(0..86_400_000_000).contains(&n) {
        return None;
    }
    let secs = u32::try_from(n / 1_000_000).ok()?;
    let nanos = u32::try_from(n % 1_000_000).ok()? * 1_000;
    NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos)
}

fn time_micros(t: &NaiveTime) -> i64 {
    i64::from(t.num_seconds_from_midnight()) * 1_000_000 + i64::from(t.nanosecond() / 1_000)
}

time_codec!(
    /// Avro `time-millis` (milliseconds after midnight, an `int`) as `chrono::NaiveTime`.
    TimeMillis, NaiveTime, i32,
    to_int: |v| Some(time_micros(v) / 1_000),
    from_int: |n| n.checked_mul(1_000).and_then(time_from_micros),
    to_text: |t| t.format("%H:%M:%S%.3f"),
    from_text: |s| NaiveTime::from_str(&s),
);

time_codec!(
    /// Avro `time-micros` (microseconds after midnight, a `long`) as `chrono::NaiveTime`.
    TimeMicros, NaiveTime, i64,
    to_int: |v| Some(time_micros(v)),
    from_int: |n| time_from_micros(n),
    to_text: |t| t.format("%H:%M:%S%.6f"),
    from_text: |s| NaiveTime::from_str(&s),
);

fn parse_rfc3339(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc))
}

time_codec!(
    /// Avro `timestamp-millis` as `DateTime<Utc>`; RFC 3339 (`2024-05-01T12:00:00.000Z`)
    /// in human-readable formats.
    TimestampMillis, DateTime<Utc>, i64,
    to_int: |v| Some(v.timestamp_millis()),
    from_int: |n| DateTime::from_timestamp_millis(n),
    to_text: |t| t.to_rfc3339_opts(SecondsFormat::Millis, true),
    from_text: |s| parse_rfc3339(&s),
);

time_codec!(
    /// Avro `timestamp-micros` as `DateTime<Utc>`.
    TimestampMicros, DateTime<Utc>, i64,
    to_int: |v| Some(v.timestamp_micros()),
    from_int: |n| DateTime::from_timestamp_micros(n),
    to_text: |t| t.to_rfc3339_opts(SecondsFormat::Micros, true),
    from_text: |s| parse_rfc3339(&s),
);

time_codec!(
    /// Avro `timestamp-nanos` as `DateTime<Utc>`.
    TimestampNanos, DateTime<Utc>, i64,
    to_int: |v| v.timestamp_nanos_opt(),
    from_int: |n| Some(DateTime::from_timestamp_nanos(n)),
    to_text: |t| t.to_rfc3339_opts(SecondsFormat::Nanos, true),
    from_text: |s| parse_rfc3339(&s),
);

time_codec!(
    /// Avro `local-timestamp-millis` as `chrono::NaiveDateTime`.
    LocalTimestampMillis, NaiveDateTime, i64,
    to_int: |v| Some(v.and_utc().timestamp_millis()),
    from_int: |n| DateTime::from_timestamp_millis(n).map(|t| t.naive_utc()),
    to_text: |t| t.format("%Y-%m-%dT%H:%M:%S%.3f"),
    from_text: |s| NaiveDateTime::from_str(&s),
);

time_codec!(
    /// Avro `local-timestamp-micros` as `chrono::NaiveDateTime`.
    LocalTimestampMicros, NaiveDateTime, i64,
    to_int: |v| Some(v.and_utc().timestamp_micros()),
    from_int: |n| DateTime::from_timestamp_micros(n).map(|t| t.naive_utc()),
    to_text: |t| t.format("%Y-%m-%dT%H:%M:%S%.6f"),
    from_text: |s| NaiveDateTime::from_str(&s),
);

time_codec!(
    /// Avro `local-timestamp-nanos` as `chrono::NaiveDateTime`.
    LocalTimestampNanos, NaiveDateTime, i64,
    to_int: |v| v.and_utc().timestamp_nanos_opt(),
    from_int: |n| Some(DateTime::from_timestamp_nanos(n).naive_utc()),
    to_text: |t| t.format("%Y-%m-%dT%H:%M:%S%.9f"),
    from_text: |s| NaiveDateTime::from_str(&s),
);

pub(super) fn push_varint(out: &mut Vec<u8>, n: i64) {
    // Avro longs: zigzag, then base-128 little-endian groups.
    let mut z = ((n << 1) ^ (n >> 63)) as u64;
    loop {
        let byte = (z & 0x7f) as u8;
        z >>= 7;
        if z == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn read_varint(bytes: &mut &[u8]) -> Option<i64> {
    let mut z: u64 = 0;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = bytes.split_first()?;
        *bytes = rest;
        z |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(((z >> 1) as i64) ^ -((z & 1) as i64));
        }
    }
    None
}

/// The content of an Avro `big-decimal` value: the unscaled bytes (length-prefixed)
/// followed by the scale, both as Avro encodes them.
pub(crate) fn big_decimal_content(value: &BigDecimal) -> Vec<u8> {
    let (digits, scale) = value.as_bigint_and_exponent();
    let unscaled = digits.to_signed_bytes_be();
    let mut out = Vec::with_capacity(unscaled.len() + 4);
    push_varint(&mut out, unscaled.len() as i64);
    out.extend_from_slice(&unscaled);
    push_varint(&mut out, scale);
    out
}

/// Reads what [`big_decimal_content`] writes.
pub(crate) fn parse_big_decimal(mut content: &[u8]) -> Option<BigDecimal> {
    let len = usize::try_from(read_varint(&mut content)?).ok()?;
    let unscaled = content.get(..len)?;
    content = &content[len..];
    let scale = read_varint(&mut content)?;
    Some(BigDecimal::new(
        BigInt::from_signed_bytes_be(unscaled),
        scale,
    ))
}

/// Avro `big-decimal` (bytes carrying their own scale) as `BigDecimal`.
///
/// apache-avro decodes these to `Value::BigDecimal`, which its serde deserializer
/// cannot read; `evreg_client::avro::from_value` turns them into bytes first.
pub struct BigDecimalBytes;

impl SerializeAs<BigDecimal> for BigDecimalBytes {
    fn serialize_as<S: Serializer>(source: &BigDecimal, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return serializer.collect_str(source);
        }
        serializer.serialize_bytes(&big_decimal_content(source))
    }
}

impl<'de> DeserializeAs<'de, BigDecimal> for BigDecimalBytes {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<BigDecimal, D::Error> {
        if deserializer.is_human_readable() {
            return deserializer.deserialize_any(DecimalVisitor { scale: 0 });
        }
        let bytes = deserializer.deserialize_byte_buf(BytesVisitor)?;
        parse_big_decimal(&bytes).ok_or_else(|| de::Error::custom("malformed Avro big-decimal"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Edges of every byte width, both signs.
    fn samples() -> Vec<i128> {
        let mut out = vec![0, 1, -1, i128::MAX, i128::MIN, i128::MAX - 1, i128::MIN + 1];
        for bits in 1..127 {
            let p = 1i128 << bits;
            out.extend([p, p - 1, p + 1, -p, -p - 1, -p + 1]);
        }
        out
    }

    #[test]
    fn short_twos_complement_matches_num_bigint() {
        for v in samples() {
            let (buffer, start) = minimal_twos_complement(v);
            assert_eq!(
                &buffer[start..],
                BigInt::from(v).to_signed_bytes_be().as_slice(),
                "{v}"
            );
        }
    }

    #[test]
    fn decimal_bytes_read_back_at_every_width() {
        let wide = BigInt::from(i128::MAX) * BigInt::from(1_000_000);
        let mut values: Vec<BigInt> = samples().into_iter().map(BigInt::from).collect();
        values.extend([wide.clone(), -wide]);
        for v in values {
            let bytes = v.to_signed_bytes_be();
            let read: BigDecimal = DecimalVisitor { scale: 4 }
                .visit_bytes::<de::value::Error>(&bytes)
                .unwrap();
            assert_eq!(read, BigDecimal::new(v.clone(), 4), "{v}");
        }
        let empty: BigDecimal = DecimalVisitor { scale: 2 }
            .visit_bytes::<de::value::Error>(&[])
            .unwrap();
        assert_eq!(empty, BigDecimal::new(BigInt::from(0), 2));
    }
}
