//! Avro binary read straight into generated types and written straight from
//! them, without serde.
//!
//! evgen writes [`ReadDatum`] and [`WriteDatum`] impls for every generated
//! Avro type whose parts it can read and write this way: fields in schema
//! order, each with the field's own codec ([`ReadAs`], [`WriteAs`]), so a
//! record is a run of direct calls instead of serde's visitor round trips.
//! The deserializer reads this way only when the writer's schema is the
//! type's own (the check that admits the serde-driven fast path), getting the
//! values that path gives; the serializer writes the bytes its plan writes,
//! and on any error writes again through the plan, whose errors name the field.
//!
//! Hand-written types may implement both too, and say so with
//! `#[event(datum)]`; the derive then lets the serializers use them.

use std::collections::BTreeMap;

use super::decode::{block_len, bytes, int, long, take, text, truncated, uuid_text};
use super::logical::push_varint;
use super::{Decimal, DecimalFixed, DecimalValue, DecodeError, EncodeError};
use crate::codec::{Boxed, Map, Opt, OptLast, Same, Seq};

/// A type that reads one datum of its own Avro schema from the front of `input`.
pub trait ReadDatum: Sized {
    /// Reads one datum and advances `input` past it.
    fn read_datum(input: &mut &[u8]) -> Result<Self, DecodeError>;
}

/// A codec that reads a `T` from Avro binary (the fast path of the codec's
/// serde impls, which say how the value is written).
pub trait ReadAs<T> {
    /// Reads one datum and advances `input` past it.
    fn read_as(input: &mut &[u8]) -> Result<T, DecodeError>;
}

impl ReadDatum for () {
    fn read_datum(_: &mut &[u8]) -> Result<(), DecodeError> {
        Ok(())
    }
}

impl ReadDatum for bool {
    fn read_datum(input: &mut &[u8]) -> Result<bool, DecodeError> {
        match take(input, 1)?[0] {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(DecodeError(format!("{b} is not a boolean"))),
        }
    }
}

impl ReadDatum for i32 {
    fn read_datum(input: &mut &[u8]) -> Result<i32, DecodeError> {
        int(input)
    }
}

impl ReadDatum for i64 {
    fn read_datum(input: &mut &[u8]) -> Result<i64, DecodeError> {
        long(input)
    }
}

impl ReadDatum for f32 {
    fn read_datum(input: &mut &[u8]) -> Result<f32, DecodeError> {
        let b: [u8; 4] = take(input, 4)?.try_into().map_err(|_| truncated())?;
        Ok(f32::from_le_bytes(b))
    }
}

impl ReadDatum for f64 {
    fn read_datum(input: &mut &[u8]) -> Result<f64, DecodeError> {
        let b: [u8; 8] = take(input, 8)?.try_into().map_err(|_| truncated())?;
        Ok(f64::from_le_bytes(b))
    }
}

impl ReadDatum for String {
    fn read_datum(input: &mut &[u8]) -> Result<String, DecodeError> {
        text(input).map(str::to_owned)
    }
}

impl<T: ReadDatum> ReadDatum for Box<T> {
    fn read_datum(input: &mut &[u8]) -> Result<Box<T>, DecodeError> {
        T::read_datum(input).map(Box::new)
    }
}

/// A union's branch index, checked against its number of branches.
pub fn branch(input: &mut &[u8], branches: usize) -> Result<usize, DecodeError> {
    let i = long(input)?;
    usize::try_from(i)
        .ok()
        .filter(|i| *i < branches)
        .ok_or_else(|| DecodeError(format!("union branch {i} of a union of {branches}")))
}

/// An enum symbol's index, checked against the enum `name`'s symbol count.
pub fn symbol(input: &mut &[u8], name: &str, symbols: usize) -> Result<usize, DecodeError> {
    let i = int(input)?;
    usize::try_from(i)
        .ok()
        .filter(|i| *i < symbols)
        .ok_or_else(|| DecodeError(format!("symbol {i} of enum {name}")))
}

/// An array's items, block by block, each read by `item`.
pub fn array<T>(
    input: &mut &[u8],
    mut item: impl FnMut(&mut &[u8]) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    let mut out = Vec::new();
    loop {
        let n = block_len(input)?;
        if n == 0 {
            return Ok(out);
        }
        out.reserve(n.min(input.len()));
        for _ in 0..n {
            out.push(item(input)?);
        }
    }
}

/// A map's entries, block by block, each value read by `value`.
pub fn map<T>(
    input: &mut &[u8],
    mut value: impl FnMut(&mut &[u8]) -> Result<T, DecodeError>,
) -> Result<BTreeMap<String, T>, DecodeError> {
    let mut out = BTreeMap::new();
    loop {
        let n = block_len(input)?;
        if n == 0 {
            return Ok(out);
        }
        for _ in 0..n {
            let key = text(input)?.to_owned();
            let v = value(input)?;
            out.insert(key, v);
        }
    }
}

impl<T: ReadDatum> ReadDatum for Vec<T> {
    fn read_datum(input: &mut &[u8]) -> Result<Vec<T>, DecodeError> {
        array(input, T::read_datum)
    }
}

impl<T: ReadDatum> ReadDatum for BTreeMap<String, T> {
    fn read_datum(input: &mut &[u8]) -> Result<BTreeMap<String, T>, DecodeError> {
        map(input, T::read_datum)
    }
}

/// `["null", T]`.
impl<T: ReadDatum> ReadDatum for Option<T> {
    fn read_datum(input: &mut &[u8]) -> Result<Option<T>, DecodeError> {
        Opt::<Same>::read_as(input)
    }
}

impl<T: ReadDatum> ReadAs<T> for Same {
    fn read_as(input: &mut &[u8]) -> Result<T, DecodeError> {
        T::read_datum(input)
    }
}

impl<T, C: ReadAs<T>> ReadAs<Vec<T>> for Seq<C> {
    fn read_as(input: &mut &[u8]) -> Result<Vec<T>, DecodeError> {
        array(input, C::read_as)
    }
}

impl<T, C: ReadAs<T>> ReadAs<BTreeMap<String, T>> for Map<C> {
    fn read_as(input: &mut &[u8]) -> Result<BTreeMap<String, T>, DecodeError> {
        map(input, C::read_as)
    }
}

impl<T, C: ReadAs<T>> ReadAs<Box<T>> for Boxed<C> {
    fn read_as(input: &mut &[u8]) -> Result<Box<T>, DecodeError> {
        C::read_as(input).map(Box::new)
    }
}

/// `["null", T]`.
impl<T, C: ReadAs<T>> ReadAs<Option<T>> for Opt<C> {
    fn read_as(input: &mut &[u8]) -> Result<Option<T>, DecodeError> {
        match branch(input, 2)? {
            0 => Ok(None),
            _ => C::read_as(input).map(Some),
        }
    }
}

/// `[T, "null"]`.
impl<T, C: ReadAs<T>> ReadAs<Option<T>> for OptLast<C> {
    fn read_as(input: &mut &[u8]) -> Result<Option<T>, DecodeError> {
        match branch(input, 2)? {
            0 => C::read_as(input).map(Some),
            _ => Ok(None),
        }
    }
}

impl ReadAs<Vec<u8>> for super::Bytes {
    fn read_as(input: &mut &[u8]) -> Result<Vec<u8>, DecodeError> {
        bytes(input).map(<[u8]>::to_vec)
    }
}

impl<const N: usize> ReadAs<[u8; N]> for super::Fixed {
    fn read_as(input: &mut &[u8]) -> Result<[u8; N], DecodeError> {
        take(input, N)?.try_into().map_err(|_| truncated())
    }
}

impl ReadAs<uuid::Uuid> for super::Uuid {
    fn read_as(input: &mut &[u8]) -> Result<uuid::Uuid, DecodeError> {
        uuid_text(input)
    }
}

impl<T: DecimalValue, const SCALE: u32> ReadAs<T> for Decimal<SCALE> {
    fn read_as(input: &mut &[u8]) -> Result<T, DecodeError> {
        T::from_unscaled(bytes(input)?, SCALE).map_err(DecodeError)
    }
}

impl<T: DecimalValue, const SCALE: u32, const SIZE: usize> ReadAs<T> for DecimalFixed<SCALE, SIZE> {
    fn read_as(input: &mut &[u8]) -> Result<T, DecodeError> {
        T::from_unscaled(take(input, SIZE)?, SCALE).map_err(DecodeError)
    }
}

/// A type that writes itself as one datum of its own Avro schema: the bytes
/// the serializer's plan writes for it.
pub trait WriteDatum {
    /// Appends the datum to `out`.
    fn write_datum(&self, out: &mut Vec<u8>) -> Result<(), EncodeError>;
}

/// A codec that writes a `T` as Avro binary (as its serde impls do).
pub trait WriteAs<T: ?Sized> {
    /// Appends the datum to `out`.
    fn write_as(source: &T, out: &mut Vec<u8>) -> Result<(), EncodeError>;
}

/// Appends a long (also an int, a length, a count, a branch or symbol index).
pub fn push_long(out: &mut Vec<u8>, n: i64) {
    push_varint(out, n);
}

/// Appends an array: one block of `items` (none when empty), then the end.
pub fn push_array<T>(
    out: &mut Vec<u8>,
    items: &[T],
    mut item: impl FnMut(&T, &mut Vec<u8>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    if !items.is_empty() {
        push_varint(out, items.len() as i64);
        for i in items {
            item(i, out)?;
        }
    }
    out.push(0);
    Ok(())
}

/// Appends a map: one block of `entries` in key order (none when empty), then the end.
pub fn push_map<T>(
    out: &mut Vec<u8>,
    entries: &BTreeMap<String, T>,
    mut value: impl FnMut(&T, &mut Vec<u8>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    if !entries.is_empty() {
        push_varint(out, entries.len() as i64);
        for (k, v) in entries {
            push_bytes(out, k.as_bytes());
            value(v, out)?;
        }
    }
    out.push(0);
    Ok(())
}

fn push_bytes(out: &mut Vec<u8>, b: &[u8]) {
    push_varint(out, b.len() as i64);
    out.extend_from_slice(b);
}

impl WriteDatum for () {
    fn write_datum(&self, _: &mut Vec<u8>) -> Result<(), EncodeError> {
        Ok(())
    }
}

impl WriteDatum for bool {
    fn write_datum(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(u8::from(*self));
        Ok(())
    }
}

impl WriteDatum for i32 {
    fn write_datum(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        push_varint(out, i64::from(*self));
        Ok(())
    }
}

impl WriteDatum for i64 {
    fn write_datum(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        push_varint(out, *self);
        Ok(())
    }
}

impl WriteDatum for f32 {
    fn write_datum(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.extend_from_slice(&self.to_le_bytes());
        Ok(())
    }
}

impl WriteDatum for f64 {
    fn write_datum(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.extend_from_slice(&self.to_le_bytes());
        Ok(())
    }
}

impl WriteDatum for String {
    fn write_datum(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        push_bytes(out, self.as_bytes());
        Ok(())
    }
}

impl<T: WriteDatum> WriteDatum for Box<T> {
    fn write_datum(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        (**self).write_datum(out)
    }
}

impl<T: WriteDatum> WriteDatum for Vec<T> {
    fn write_datum(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        push_array(out, self, T::write_datum)
    }
}

impl<T: WriteDatum> WriteDatum for BTreeMap<String, T> {
    fn write_datum(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        push_map(out, self, T::write_datum)
    }
}

/// `["null", T]`.
impl<T: WriteDatum> WriteDatum for Option<T> {
    fn write_datum(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        Opt::<Same>::write_as(self, out)
    }
}

impl<T: WriteDatum> WriteAs<T> for Same {
    fn write_as(source: &T, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        source.write_datum(out)
    }
}

impl<T, C: WriteAs<T>> WriteAs<Vec<T>> for Seq<C> {
    fn write_as(source: &Vec<T>, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        push_array(out, source, C::write_as)
    }
}

impl<T, C: WriteAs<T>> WriteAs<BTreeMap<String, T>> for Map<C> {
    fn write_as(source: &BTreeMap<String, T>, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        push_map(out, source, C::write_as)
    }
}

impl<T, C: WriteAs<T>> WriteAs<Box<T>> for Boxed<C> {
    fn write_as(source: &Box<T>, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        C::write_as(source, out)
    }
}

/// `["null", T]`.
impl<T, C: WriteAs<T>> WriteAs<Option<T>> for Opt<C> {
    fn write_as(source: &Option<T>, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match source {
            None => {
                out.push(0);
                Ok(())
            }
            Some(v) => {
                push_varint(out, 1);
                C::write_as(v, out)
            }
        }
    }
}

/// `[T, "null"]`.
impl<T, C: WriteAs<T>> WriteAs<Option<T>> for OptLast<C> {
    fn write_as(source: &Option<T>, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match source {
            Some(v) => {
                out.push(0);
                C::write_as(v, out)
            }
            None => {
                push_varint(out, 1);
                Ok(())
            }
        }
    }
}

impl WriteAs<Vec<u8>> for super::Bytes {
    fn write_as(source: &Vec<u8>, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        push_bytes(out, source);
        Ok(())
    }
}

impl<const N: usize> WriteAs<[u8; N]> for super::Fixed {
    fn write_as(source: &[u8; N], out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.extend_from_slice(source);
        Ok(())
    }
}

impl WriteAs<uuid::Uuid> for super::Uuid {
    fn write_as(source: &uuid::Uuid, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let mut text = uuid::Uuid::encode_buffer();
        push_bytes(out, source.hyphenated().encode_lower(&mut text).as_bytes());
        Ok(())
    }
}

impl<T: DecimalValue, const SCALE: u32> WriteAs<T> for Decimal<SCALE> {
    fn write_as(source: &T, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        super::logical::push_decimal(source, SCALE, out).map_err(EncodeError::new)
    }
}

impl<T: DecimalValue, const SCALE: u32, const SIZE: usize> WriteAs<T>
    for DecimalFixed<SCALE, SIZE>
{
    fn write_as(source: &T, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let fixed = super::logical::fixed_decimal(source, SCALE, SIZE).map_err(EncodeError::new)?;
        out.extend_from_slice(&fixed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varints(ns: &[i64]) -> Vec<u8> {
        let mut out = Vec::new();
        for n in ns {
            push_varint(&mut out, *n);
        }
        out
    }

    #[test]
    fn longs_of_every_length() {
        let mut ns: Vec<i64> = (-130..130).collect();
        for shift in 0..63 {
            ns.extend([1i64 << shift, -(1i64 << shift), (1i64 << shift) - 1]);
        }
        ns.extend([i64::MIN, i64::MAX]);
        let bytes = varints(&ns);
        let mut input = &bytes[..];
        for n in &ns {
            assert_eq!(i64::read_datum(&mut input).expect("reads"), *n);
        }
        assert!(input.is_empty());
        assert!(i64::read_datum(&mut &[0x80u8][..]).is_err(), "cut short");
    }

    #[test]
    fn unions_check_their_branch() {
        let mut input = &varints(&[1, 7])[..];
        assert_eq!(
            <Opt<Same> as ReadAs<Option<i32>>>::read_as(&mut input).expect("reads"),
            Some(7)
        );
        let mut input = &varints(&[1])[..];
        assert_eq!(
            <OptLast<Same> as ReadAs<Option<i32>>>::read_as(&mut input).expect("reads"),
            None
        );
        let mut input = &varints(&[2, 7])[..];
        let e = Option::<i32>::read_datum(&mut input).expect_err("no branch 2");
        assert!(e.to_string().contains("union branch 2"), "{e}");
    }

    #[test]
    fn blocks_with_sizes_and_corrupt_counts() {
        // Two blocks, the second with a negative count and its byte size.
        let mut input = &varints(&[2, 1, 2, -1, 1, 3, 0])[..];
        assert_eq!(
            Vec::<i32>::read_datum(&mut input).expect("reads"),
            [1, 2, 3]
        );
        assert!(input.is_empty());
        let mut input = &varints(&[1 << 40])[..];
        assert!(Vec::<i64>::read_datum(&mut input).is_err());
        let mut input = &varints(&[3, 1])[..];
        assert!(Vec::<i64>::read_datum(&mut input).is_err(), "ends early");
    }

    #[test]
    fn logical_types() {
        let mut input = &[4u8, 0xff, 0x38][..];
        let d = <Decimal<2> as ReadAs<bigdecimal::BigDecimal>>::read_as(&mut input).expect("reads");
        assert_eq!(d.to_string(), "-2.00");
        let mut input = &[4u8, 0xff, 0x38][..];
        let d = <Decimal<2> as ReadAs<rust_decimal::Decimal>>::read_as(&mut input).expect("reads");
        assert_eq!(d.to_string(), "-2.00");
        let mut out = Vec::new();
        <Decimal<2> as WriteAs<rust_decimal::Decimal>>::write_as(&d, &mut out).expect("writes");
        assert_eq!(out, [4u8, 0xff, 0x38]);
        let mut input = &varints(&[1_700_000_000_123])[..];
        let t = <super::super::TimestampMillis as ReadAs<chrono::DateTime<chrono::Utc>>>::read_as(
            &mut input,
        )
        .expect("reads");
        assert_eq!(t.timestamp_millis(), 1_700_000_000_123);
        let mut input = &varints(&[i64::from(i32::MAX) + 1])[..];
        assert!(
            <super::super::Date as ReadAs<chrono::NaiveDate>>::read_as(&mut input).is_err(),
            "a date is an int"
        );
    }
}
