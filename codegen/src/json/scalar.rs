//! Strings, numbers and integers: formats, widths and checking newtypes.

use serde_json::{Map, Value};

use super::lower::{Lowerer, Slot, docs_of};
use super::resolve::Loc;
use crate::ir::{Constraints, NewtypeDef, Scalar, TimeWire, TypeKind, TypeRef};

impl Lowerer<'_> {
    /// A string: a typed format, or `String` in a checking newtype when it has
    /// `minLength`, `maxLength` or `pattern`.
    pub(crate) fn lower_string(
        &mut self,
        at: &Loc,
        map: &Map<String, Value>,
        slot: &Slot,
    ) -> TypeRef {
        let format = map.get("format").and_then(Value::as_str);
        let typed = match format {
            Some("date-time") => Some(Scalar::Timestamp(TimeWire::Iso8601)),
            Some("date") => Some(Scalar::Date(TimeWire::Iso8601)),
            Some("uuid") => Some(Scalar::Uuid),
            // `uri-reference` and `iri` stay strings: relative references and
            // non-ASCII text are not URIs, and no small well-kept crate types them.
            Some("uri") => Some(Scalar::Uri),
            Some("email") => Some(Scalar::Email),
            Some("ipv4") => Some(Scalar::Ipv4),
            Some("ipv6") => Some(Scalar::Ipv6),
            _ => None,
        };
        if let Some(s) = typed {
            // The format is stricter than any length or pattern a schema would add.
            return TypeRef::Scalar(s);
        }
        let pattern = match map.get("pattern").and_then(Value::as_str) {
            Some(p) => match regex::Regex::new(p) {
                Ok(_) => Some(p.to_owned()),
                Err(e) => {
                    let reason = e.to_string();
                    let reason = reason.lines().last().unwrap_or_default().trim().to_owned();
                    self.unenforced(
                        &at.push("pattern"),
                        format!("pattern {p:?} is not supported by the regex crate ({reason})"),
                    );
                    None
                }
            },
            None => None,
        };
        let constraints = Constraints {
            min_length: map
                .get("minLength")
                .and_then(Value::as_u64)
                .filter(|n| *n > 0),
            max_length: map.get("maxLength").and_then(Value::as_u64),
            pattern,
            ..Constraints::default()
        };
        self.checked(at, map, slot, Scalar::String, constraints)
    }

    /// An integer: the narrowest type that holds its bounds, checked further by a
    /// newtype when the bounds are not the type's own.
    pub(crate) fn lower_integer(
        &mut self,
        at: &Loc,
        map: &Map<String, Value>,
        slot: &Slot,
    ) -> TypeRef {
        let b = bounds(map);
        // The smallest and largest integers the bounds allow.
        let lo = [b.minimum, b.exclusive_minimum.map(|m| m.floor() + 1.0)]
            .into_iter()
            .flatten()
            .fold(None, |acc: Option<f64>, v| {
                Some(acc.map_or(v, |a| a.max(v)))
            });
        let hi = [b.maximum, b.exclusive_maximum.map(|m| m.ceil() - 1.0)]
            .into_iter()
            .flatten()
            .fold(None, |acc: Option<f64>, v| {
                Some(acc.map_or(v, |a| a.min(v)))
            });
        let (scalar, range) = int_type(lo, hi, map.get("format").and_then(Value::as_str));
        // Bounds the type itself enforces need no newtype.
        let implied = |v: Option<f64>, edge: f64| v.is_none_or(|v| v == edge);
        let constraints = if implied(lo, range.0) && implied(hi, range.1) && b.multiple_of.is_none()
        {
            Constraints::default()
        } else {
            b
        };
        self.checked(at, map, slot, scalar, constraints)
    }

    /// A number: `f64`, checked by a newtype when it has bounds.
    pub(crate) fn lower_number(
        &mut self,
        at: &Loc,
        map: &Map<String, Value>,
        slot: &Slot,
    ) -> TypeRef {
        let b = bounds(map);
        self.checked(at, map, slot, Scalar::F64, b)
    }

    /// `scalar`, or a newtype checking `constraints` when there are any.
    fn checked(
        &mut self,
        at: &Loc,
        map: &Map<String, Value>,
        slot: &Slot,
        scalar: Scalar,
        constraints: Constraints,
    ) -> TypeRef {
        if constraints.is_empty() {
            return TypeRef::Scalar(scalar);
        }
        let path = self.claim(slot);
        self.define(
            path.clone(),
            at,
            docs_of(map),
            TypeKind::Newtype(NewtypeDef {
                inner: TypeRef::Scalar(scalar),
                constraints,
            }),
        );
        TypeRef::Named(path)
    }
}

/// The numeric keywords of a schema, draft 4's boolean `exclusiveMinimum`/
/// `exclusiveMaximum` included.
fn bounds(map: &Map<String, Value>) -> Constraints {
    let num = |k: &str| map.get(k).and_then(Value::as_f64);
    let flag = |k: &str| map.get(k) == Some(&Value::Bool(true));
    let (mut minimum, mut maximum) = (num("minimum"), num("maximum"));
    let mut exclusive_minimum = num("exclusiveMinimum");
    let mut exclusive_maximum = num("exclusiveMaximum");
    if flag("exclusiveMinimum") {
        exclusive_minimum = minimum.take();
    }
    if flag("exclusiveMaximum") {
        exclusive_maximum = maximum.take();
    }
    Constraints {
        minimum,
        maximum,
        exclusive_minimum,
        exclusive_maximum,
        multiple_of: num("multipleOf").filter(|m| *m > 0.0),
        ..Constraints::default()
    }
}

/// The integer type for bounds `lo..=hi` (either open), and the range it holds:
/// the narrowest of `u8`..`u64` (non-negative) or `i8`..`i64` that holds both
/// bounds; `u64` with only a non-negative lower bound; `i64` otherwise (or `i32`
/// for `format: int32`).
fn int_type(lo: Option<f64>, hi: Option<f64>, format: Option<&str>) -> (Scalar, (f64, f64)) {
    const UNSIGNED: [(Scalar, f64, f64); 4] = [
        (Scalar::U8, 0.0, u8::MAX as f64),
        (Scalar::U16, 0.0, u16::MAX as f64),
        (Scalar::U32, 0.0, u32::MAX as f64),
        (Scalar::U64, 0.0, u64::MAX as f64),
    ];
    const SIGNED: [(Scalar, f64, f64); 4] = [
        (Scalar::I8, i8::MIN as f64, i8::MAX as f64),
        (Scalar::I16, i16::MIN as f64, i16::MAX as f64),
        (Scalar::I32, i32::MIN as f64, i32::MAX as f64),
        (Scalar::I64, i64::MIN as f64, i64::MAX as f64),
    ];
    let pick = |(s, a, b): (Scalar, f64, f64)| (s, (a, b));
    let non_negative = lo.is_some_and(|l| l >= 0.0);
    let table = if non_negative { UNSIGNED } else { SIGNED };
    if let (Some(l), Some(h)) = (lo, hi)
        && let Some(t) = table.into_iter().find(|(_, a, b)| l >= *a && h <= *b)
    {
        return pick(t);
    }
    match (non_negative, format) {
        (true, _) => pick(UNSIGNED[3]),
        (false, Some("int32")) if lo.is_none() && hi.is_none() => pick(SIGNED[2]),
        (false, _) => pick(SIGNED[3]),
    }
}
