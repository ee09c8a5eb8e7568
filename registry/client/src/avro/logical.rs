//! Codecs for Avro's byte-ish and logical types.
//!
//! Each writes the Avro form when the serializer is not human-readable (apache-avro's
//! default, see `apache_avro::util::set_serde_human_readable`) and a readable form
//! otherwise, so the same generated type prints RFC 3339 timestamps and decimal
//! strings through serde_json and the exact Avro encoding through apache-avro.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use bigdecimal::num_bigint::BigInt;
use bigdecimal::{BigDecimal, ToPrimitive};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, Timelike, Utc};
use serde::de::{self, SeqAccess, Visitor};
use serde::ser::Error as _;
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

/// A Rust type the decimal codecs read and write.
///
/// evgen gives a decimal of precision up to 28 a [`rust_decimal::Decimal`]:
/// every such value fits its 96 bits, and it is `Copy`, with no heap
/// allocation per amount. Wider decimals, and JSON Schema's decimal strings,
/// get a [`BigDecimal`], which holds any precision.
pub trait DecimalValue: Sized + fmt::Display {
    /// The value whose unscaled digits are the big-endian two's complement
    /// `bytes`, with `scale` digits after the point.
    fn from_unscaled(bytes: &[u8], scale: u32) -> Result<Self, String>;

    /// Hands `f` the shortest big-endian two's complement of this value's
    /// unscaled digits at `scale`. Refuses a value with more digits after the
    /// point, because silently rounding money is worse than failing.
    fn with_unscaled<R>(&self, scale: u32, f: impl FnOnce(&[u8]) -> R) -> Result<R, String>;

    /// The value written with `scale` digits after the point, for
    /// human-readable formats.
    fn text_at(&self, scale: u32) -> Result<String, String>;

    /// Parses decimal text: `12.50`, `-3`, `1.5e3`.
    fn parse_text(text: &str) -> Result<Self, String>;
}

impl DecimalValue for BigDecimal {
    fn from_unscaled(v: &[u8], scale: u32) -> Result<BigDecimal, String> {
        Ok(decimal_from_bytes(v, scale))
    }

    fn with_unscaled<R>(&self, scale: u32, f: impl FnOnce(&[u8]) -> R) -> Result<R, String> {
        let (digits, own_scale) = self.as_bigint_and_scale();
        if own_scale == i64::from(scale) {
            // The usual case, and the hot one: no rescaling, no comparison.
            // Amounts that fit 128 bits skip num-bigint's allocating conversion.
            if let Some(small) = digits.to_i128() {
                let (buffer, start) = minimal_twos_complement(small);
                return Ok(f(&buffer[start..]));
            }
            return Ok(f(&digits.to_signed_bytes_be()));
        }
        let rescaled = self.with_scale(i64::from(scale));
        if &rescaled != self {
            return Err(more_digits(self, scale));
        }
        let (digits, _) = rescaled.into_bigint_and_exponent();
        Ok(f(&digits.to_signed_bytes_be()))
    }

    fn text_at(&self, scale: u32) -> Result<String, String> {
        Ok(self.with_scale(i64::from(scale)).to_string())
    }

    fn parse_text(text: &str) -> Result<BigDecimal, String> {
        BigDecimal::from_str(text).map_err(|e| format!("{text:?} is not a decimal: {e}"))
    }
}

impl DecimalValue for rust_decimal::Decimal {
    fn from_unscaled(v: &[u8], scale: u32) -> Result<rust_decimal::Decimal, String> {
        let unscaled = i128_from_twos_complement(v).ok_or_else(|| {
            format!(
                "a decimal of {} bytes does not fit 96 bits (28 digits)",
                v.len()
            )
        })?;
        rust_decimal::Decimal::try_from_i128_with_scale(unscaled, scale).map_err(|_| {
            format!("decimal {unscaled}e-{scale} does not fit 96 bits and scale 28 (28 digits)")
        })
    }

    fn with_unscaled<R>(&self, scale: u32, f: impl FnOnce(&[u8]) -> R) -> Result<R, String> {
        let (buffer, start) = minimal_twos_complement(unscaled_at(self, scale)?);
        Ok(f(&buffer[start..]))
    }

    fn text_at(&self, scale: u32) -> Result<String, String> {
        let at = rust_decimal::Decimal::try_from_i128_with_scale(unscaled_at(self, scale)?, scale)
            .map_err(|_| format!("decimal {self} does not fit 28 digits at scale {scale}"))?;
        Ok(at.to_string())
    }

    fn parse_text(text: &str) -> Result<rust_decimal::Decimal, String> {
        rust_decimal::Decimal::from_str_exact(text)
            .or_else(|_| rust_decimal::Decimal::from_scientific(text))
            .map_err(|e| format!("{text:?} is not a decimal of at most 28 digits: {e}"))
    }
}

fn more_digits(value: &impl fmt::Display, scale: u32) -> String {
    format!("decimal {value} has more than {scale} digits after the point")
}

/// `value`'s unscaled digits at `scale`: exact, or an error.
fn unscaled_at(value: &rust_decimal::Decimal, scale: u32) -> Result<i128, String> {
    let (digits, own) = (value.mantissa(), value.scale());
    if own <= scale {
        // A hand-written type may pair a codec of any scale with it: checked.
        10i128
            .checked_pow(scale - own)
            .and_then(|p| digits.checked_mul(p))
            .ok_or_else(|| format!("decimal {value} does not fit 128 bits at scale {scale}"))
    } else {
        let p = 10i128.pow(own - scale);
        if digits % p == 0 {
            Ok(digits / p)
        } else {
            Err(more_digits(value, scale))
        }
    }
}

/// The integer whose big-endian two's complement is `v`, if it fits 128 bits
/// (leading bytes that only repeat the sign may be any in number, as in a
/// wide `fixed`).
fn i128_from_twos_complement(v: &[u8]) -> Option<i128> {
    let Some(&first) = v.first() else {
        return Some(0);
    };
    let fill = if first & 0x80 != 0 { 0xff } else { 0 };
    let mut v = v;
    while v.len() > 16 && v[0] == fill && v[1] & 0x80 == fill & 0x80 {
        v = &v[1..];
    }
    if v.len() > 16 {
        return None;
    }
    let mut buffer = [fill; 16];
    buffer[16 - v.len()..].copy_from_slice(v);
    Some(i128::from_be_bytes(buffer))
}

/// The decimal whose unscaled value is big-endian two's complement `v`.
pub(super) fn decimal_from_bytes(v: &[u8], scale: u32) -> BigDecimal {
    let digits = match i128_from_twos_complement(v) {
        // Cheaper than num-bigint's general path.
        Some(small) => BigInt::from(small),
        None => BigInt::from_signed_bytes_be(v),
    };
    BigDecimal::new(digits, i64::from(scale))
}

/// Reads a decimal of type `T` at `scale` from bytes, or from text or a
/// number in human-readable formats.
struct DecimalVisitor<T> {
    scale: u32,
    value: PhantomData<T>,
}

impl<T> DecimalVisitor<T> {
    fn new(scale: u32) -> DecimalVisitor<T> {
        DecimalVisitor {
            scale,
            value: PhantomData,
        }
    }
}

impl<'de, T: DecimalValue> Visitor<'de> for DecimalVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal (two's complement bytes or a decimal string)")
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<T, E> {
        T::from_unscaled(v, self.scale).map_err(E::custom)
    }
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<T, E> {
        self.visit_bytes(&v)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        let bytes = BytesVisitor.visit_seq(seq)?;
        self.visit_bytes(&bytes)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        T::parse_text(v).map_err(E::custom)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::from_unscaled(&v.to_be_bytes(), 0).map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::from_unscaled(&i128::from(v).to_be_bytes(), 0).map_err(E::custom)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        T::parse_text(&v.to_string()).map_err(E::custom)
    }
}

fn deserialize_decimal<'de, D: Deserializer<'de>, T: DecimalValue>(
    deserializer: D,
    scale: u32,
) -> Result<T, D::Error> {
    if deserializer.is_human_readable() {
        deserializer.deserialize_any(DecimalVisitor::new(scale))
    } else {
        deserializer.deserialize_bytes(DecimalVisitor::new(scale))
    }
}

/// Avro `decimal` on `bytes`, at scale `SCALE`, as a [`DecimalValue`].
pub struct Decimal<const SCALE: u32>;

impl<T: DecimalValue, const SCALE: u32> SerializeAs<T> for Decimal<SCALE> {
    fn serialize_as<S: Serializer>(source: &T, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return serializer.serialize_str(&source.text_at(SCALE).map_err(S::Error::custom)?);
        }
        source
            .with_unscaled(SCALE, |b| serializer.serialize_bytes(b))
            .map_err(S::Error::custom)?
    }
}

impl<'de, T: DecimalValue, const SCALE: u32> DeserializeAs<'de, T> for Decimal<SCALE> {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
        deserialize_decimal(deserializer, SCALE)
    }
}

/// Appends `value` at `scale` as Avro decimal bytes (length, then the
/// unscaled two's complement), as `Decimal<SCALE>` serializes it.
pub(super) fn push_decimal(
    value: &impl DecimalValue,
    scale: u32,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    value.with_unscaled(scale, |b| {
        push_varint(out, b.len() as i64);
        out.extend_from_slice(b);
    })
}

/// `value` at `scale` sign-extended to `size` bytes, as `DecimalFixed` writes it.
pub(super) fn fixed_decimal(
    value: &impl DecimalValue,
    scale: u32,
    size: usize,
) -> Result<Vec<u8>, String> {
    value.with_unscaled(scale, |minimal| {
        if minimal.len() > size {
            return Err(format!("decimal {value} does not fit in {size} bytes"));
        }
        let fill = if minimal.first().is_some_and(|b| b & 0x80 != 0) {
            0xff
        } else {
            0
        };
        let mut out = vec![fill; size - minimal.len()];
        out.extend_from_slice(minimal);
        Ok(out)
    })?
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

/// Avro `decimal` on a `fixed` of `SIZE` bytes, at scale `SCALE`, as a
/// [`DecimalValue`].
pub struct DecimalFixed<const SCALE: u32, const SIZE: usize>;

impl<T: DecimalValue, const SCALE: u32, const SIZE: usize> SerializeAs<T>
    for DecimalFixed<SCALE, SIZE>
{
    fn serialize_as<S: Serializer>(source: &T, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return serializer.serialize_str(&source.text_at(SCALE).map_err(S::Error::custom)?);
        }
        let out = fixed_decimal(source, SCALE, SIZE).map_err(S::Error::custom)?;
        apache_avro::serde_avro_fixed::serialize(&out, serializer)
    }
}

impl<'de, T: DecimalValue, const SCALE: u32, const SIZE: usize> DeserializeAs<'de, T>
    for DecimalFixed<SCALE, SIZE>
{
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
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
        deserializer.deserialize_any(DecimalVisitor::<BigDecimal>::new(0))
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
            return deserializer.deserialize_any(DecimalVisitor::<BigDecimal>::new(0));
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
            let read: BigDecimal = DecimalVisitor::<BigDecimal>::new(4)
                .visit_bytes::<de::value::Error>(&bytes)
                .unwrap();
            assert_eq!(read, BigDecimal::new(v.clone(), 4), "{v}");
        }
        let empty: BigDecimal = DecimalVisitor::<BigDecimal>::new(2)
            .visit_bytes::<de::value::Error>(&[])
            .unwrap();
        assert_eq!(empty, BigDecimal::new(BigInt::from(0), 2));
    }

    fn small(text: &str) -> rust_decimal::Decimal {
        rust_decimal::Decimal::from_str_exact(text).unwrap()
    }

    fn unscaled_of(value: &impl DecimalValue, scale: u32) -> Result<Vec<u8>, String> {
        value.with_unscaled(scale, <[u8]>::to_vec)
    }

    #[test]
    fn small_decimals_read_what_fits_96_bits() {
        let limit = i128::from(u64::MAX) << 32 | i128::from(u32::MAX); // 2^96 - 1
        for v in samples() {
            let bytes = BigInt::from(v).to_signed_bytes_be();
            let read = rust_decimal::Decimal::from_unscaled(&bytes, 4);
            if v.unsigned_abs() <= limit.unsigned_abs() {
                let d = read.unwrap_or_else(|e| panic!("{v}: {e}"));
                assert_eq!((d.mantissa(), d.scale()), (v, 4), "{v}");
            } else {
                let e = read.expect_err("past 96 bits");
                assert!(e.contains("does not fit"), "{e}");
            }
        }
        // Sign bytes in front (a wide fixed) are only sign.
        let mut wide = vec![0xff; 8];
        wide.extend_from_slice(&(-12_345i128).to_be_bytes());
        let d = rust_decimal::Decimal::from_unscaled(&wide, 2).unwrap();
        assert_eq!(d, small("-123.45"));
        assert!(rust_decimal::Decimal::from_unscaled(&[1; 17], 0).is_err());
        // A scale past rust_decimal's 28 is refused, not panicked on.
        assert!(rust_decimal::Decimal::from_unscaled(&[1], 29).is_err());
        assert_eq!(
            rust_decimal::Decimal::from_unscaled(&[], 2).unwrap(),
            small("0.00")
        );
    }

    #[test]
    fn small_decimals_are_written_at_the_codec_scale_or_refused() {
        // Its own scale, a smaller one (padded) and a larger one with zeros: the same bytes.
        for text in ["12.5000", "12.5", "12.500000"] {
            assert_eq!(
                unscaled_of(&small(text), 4).unwrap(),
                BigInt::from(125_000).to_signed_bytes_be(),
                "{text}"
            );
        }
        assert_eq!(
            unscaled_of(&small("-0.01"), 2).unwrap(),
            BigInt::from(-1).to_signed_bytes_be()
        );
        let e = unscaled_of(&small("7.96001"), 4).expect_err("5 digits after the point");
        assert!(e.contains("more than 4 digits"), "{e}");
        // BigDecimal gives the same bytes for the same values.
        for text in ["12.5", "-3.0001", "0", "79228162514264.3375"] {
            let big = BigDecimal::from_str(text).unwrap();
            assert_eq!(unscaled_of(&small(text), 4), unscaled_of(&big, 4), "{text}");
        }
        assert_eq!(
            fixed_decimal(&small("-1.5"), 1, 4).unwrap(),
            [0xff, 0xff, 0xff, 0xf1]
        );
        assert!(fixed_decimal(&small("100000"), 0, 2).is_err());
    }

    #[test]
    fn small_decimals_as_text() {
        assert_eq!(small("12.5").text_at(4).unwrap(), "12.5000");
        assert!(small("12.50001").text_at(4).is_err());
        assert_eq!(
            rust_decimal::Decimal::parse_text("1.5e3").unwrap(),
            small("1500")
        );
        assert!(rust_decimal::Decimal::parse_text("twelve").is_err());
        let v: rust_decimal::Decimal = DecimalVisitor::new(2)
            .visit_u64::<de::value::Error>(7)
            .unwrap();
        assert_eq!(v, small("7"));
    }
}
