//! Makes a `Value` from `apache_avro::to_value` match its schema exactly before
//! encoding.
//!
//! serde cannot tell apache-avro which union branch a value belongs to, nor that a
//! byte string is a decimal. `to_value` therefore yields `Union(1, v)` for every
//! `Some(v)` (wrong when `null` is not the first branch), bare values for union
//! enums, and `Bytes` for decimals. `Value::resolve` would repair some of that, but
//! it refuses minimal decimal encodings ("precision too small to hold") and picks
//! the first record branch a value can be read as. This pass walks schema and value
//! together and fixes each case on purpose:
//!
//! - a union gets an explicit branch index. A union enum that evgen found ambiguous
//!   (say a `string` and an `enum` branch) serializes as a serde newtype variant,
//!   which `to_value` turns into `Record[("type", Enum(i, _)), ("value", Union(i, v))]`:
//!   that carries the branch index, and becomes `Union(i, v)`. Otherwise `null` goes
//!   to the null branch and anything else to the first branch of the same kind,
//!   where records must have exactly the value's field names;
//! - `Bytes` under a `bytes` decimal becomes a `Decimal` with the same bytes;
//! - plain integers under timestamp and time schemas get their logical variant
//!   (apache-avro's validator has no case for some of them).

use std::borrow::Borrow;
use std::collections::HashMap;

use apache_avro::Schema;
use apache_avro::schema::{Name, Namespace, RecordSchema};
use apache_avro::types::Value;

/// Named types by full name: borrowed from a `ResolvedSchema`, or owned by a
/// schema prepared once for many values.
type Names<S> = HashMap<Name, S>;

/// Conforms `value` to `schema` (see the module docs).
pub(super) fn conform<S: Borrow<Schema>>(value: Value, schema: &Schema, names: &Names<S>) -> Value {
    walk(value, schema, names, &schema.namespace(), 0)
}

/// Deep enough for any sane schema; past it the value is left to apache-avro.
const MAX_DEPTH: usize = 512;

fn walk<S: Borrow<Schema>>(
    value: Value,
    schema: &Schema,
    names: &Names<S>,
    ns: &Namespace,
    depth: usize,
) -> Value {
    if depth > MAX_DEPTH {
        return value;
    }
    let depth = depth + 1;
    match schema {
        Schema::Ref { name } => {
            let full = name.fully_qualified_name(ns);
            match names.get(&full) {
                Some(s) => walk(value, s.borrow(), names, &full.namespace, depth),
                None => value,
            }
        }
        Schema::Union(union) => {
            let branches = union.variants();
            let inner = match value {
                Value::Union(_, inner) => *inner,
                Value::Record(items) => match tagged_branch(items) {
                    Ok((i, v)) if i < branches.len() => {
                        let conformed = walk(v, &branches[i], names, ns, depth);
                        return Value::Union(i as u32, Box::new(conformed));
                    }
                    Ok((i, v)) => Value::Union(i as u32, Box::new(v)),
                    Err(items) => Value::Record(items),
                },
                other => other,
            };
            match pick_branch(&inner, branches, names, ns) {
                Some(i) => {
                    let conformed = walk(inner, &branches[i], names, ns, depth);
                    Value::Union(i as u32, Box::new(conformed))
                }
                None => inner,
            }
        }
        Schema::Record(RecordSchema {
            name,
            fields,
            lookup,
            ..
        }) => {
            let ns = name.namespace.clone().or_else(|| ns.clone());
            match value {
                Value::Record(items) => Value::Record(
                    items
                        .into_iter()
                        .map(|(k, v)| match lookup.get(&k).and_then(|&i| fields.get(i)) {
                            Some(f) => {
                                let v = walk(v, &f.schema, names, &ns, depth);
                                (k, v)
                            }
                            None => (k, v),
                        })
                        .collect(),
                ),
                other => other,
            }
        }
        Schema::Array(a) => match value {
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|v| walk(v, &a.items, names, ns, depth))
                    .collect(),
            ),
            other => other,
        },
        Schema::Map(m) => match value {
            Value::Map(items) => Value::Map(
                items
                    .into_iter()
                    .map(|(k, v)| (k, walk(v, &m.types, names, ns, depth)))
                    .collect(),
            ),
            other => other,
        },
        Schema::BigDecimal => match value {
            Value::Bytes(b) => match super::logical::parse_big_decimal(&b) {
                Some(d) => Value::BigDecimal(d),
                None => Value::Bytes(b),
            },
            other => other,
        },
        Schema::Decimal(d) => match (value, d.inner.as_ref()) {
            (Value::Bytes(b), Schema::Bytes) => Value::Decimal(apache_avro::Decimal::from(b)),
            (other, _) => other,
        },
        Schema::TimestampMillis => retag_long(value, Value::TimestampMillis),
        Schema::TimestampMicros => retag_long(value, Value::TimestampMicros),
        Schema::TimestampNanos => retag_long(value, Value::TimestampNanos),
        Schema::LocalTimestampMillis => retag_long(value, Value::LocalTimestampMillis),
        Schema::LocalTimestampMicros => retag_long(value, Value::LocalTimestampMicros),
        Schema::LocalTimestampNanos => retag_long(value, Value::LocalTimestampNanos),
        Schema::TimeMicros => retag_long(value, Value::TimeMicros),
        Schema::Date => retag_int(value, Value::Date),
        Schema::TimeMillis => retag_int(value, Value::TimeMillis),
        _ => value,
    }
}

/// Recognises what `to_value` makes of a serde newtype variant (see the module docs).
fn tagged_branch(items: Vec<(String, Value)>) -> Result<(usize, Value), Vec<(String, Value)>> {
    let is_tagged = matches!(
        items.as_slice(),
        [(t, Value::Enum(i, _)), (v, Value::Union(j, _))] if t == "type" && v == "value" && i == j
    );
    if !is_tagged {
        return Err(items);
    }
    match items.into_iter().nth(1) {
        Some((_, Value::Union(i, v))) => Ok((i as usize, *v)),
        // Unreachable after the check above; keep the value rather than lose it.
        Some((k, v)) => Err(vec![(k, v)]),
        None => Err(Vec::new()),
    }
}

fn retag_long(value: Value, tag: fn(i64) -> Value) -> Value {
    match value {
        Value::Long(n) => tag(n),
        Value::Int(n) => tag(i64::from(n)),
        other => other,
    }
}

fn retag_int(value: Value, tag: fn(i32) -> Value) -> Value {
    match value {
        Value::Int(n) => tag(n),
        other => other,
    }
}

fn deref<'a, S: Borrow<Schema>>(
    schema: &'a Schema,
    names: &'a Names<S>,
    ns: &Namespace,
) -> &'a Schema {
    match schema {
        Schema::Ref { name } => names
            .get(&name.fully_qualified_name(ns))
            .map_or(schema, Borrow::borrow),
        other => other,
    }
}

/// How well a branch fits a value: 2 exact, 1 acceptable, 0 not at all.
fn fit(value: &Value, branch: &Schema) -> u8 {
    use Schema as S;
    use Value as V;
    match (value, branch) {
        (V::Null, S::Null) | (V::Boolean(_), S::Boolean) => 2,
        (V::Int(_), S::Int) => 2,
        (V::Int(_), S::Date | S::TimeMillis | S::Long) => 1,
        (V::Long(_), S::Long) => 2,
        (
            V::Long(_),
            S::TimeMicros
            | S::TimestampMillis
            | S::TimestampMicros
            | S::TimestampNanos
            | S::LocalTimestampMillis
            | S::LocalTimestampMicros
            | S::LocalTimestampNanos,
        ) => 1,
        (V::Float(_), S::Float) | (V::Double(_), S::Double) => 2,
        (V::Float(_), S::Double) => 1,
        (V::String(_), S::String) => 2,
        (V::String(s), S::Uuid) => u8::from(uuid::Uuid::parse_str(s).is_ok()),
        (V::String(s), S::Enum(e)) => u8::from(e.symbols.contains(s)),
        (V::Bytes(_), S::Bytes) => 2,
        (V::Bytes(_), S::Decimal(d)) if matches!(d.inner.as_ref(), S::Bytes) => 1,
        (V::Bytes(_), S::BigDecimal) => 1,
        (V::Fixed(n, _), S::Fixed(f)) if *n == f.size => 2,
        (V::Fixed(n, _), S::Decimal(d)) => match d.inner.as_ref() {
            S::Fixed(f) if f.size == *n => 1,
            _ => 0,
        },
        (V::Fixed(12, _), S::Duration) => 1,
        (V::Array(_), S::Array(_)) | (V::Map(_), S::Map(_)) => 2,
        (V::Record(items), S::Record(r)) => {
            let same_names = items.len() == r.fields.len()
                && items.iter().zip(&r.fields).all(|((k, _), f)| *k == f.name);
            if same_names { 2 } else { 0 }
        }
        _ => 0,
    }
}

fn pick_branch<S: Borrow<Schema>>(
    value: &Value,
    branches: &[Schema],
    names: &Names<S>,
    ns: &Namespace,
) -> Option<usize> {
    let mut best: Option<(u8, usize)> = None;
    for (i, b) in branches.iter().enumerate() {
        let score = fit(value, deref(b, names, ns));
        if score == 2 {
            return Some(i);
        }
        if score > 0 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, i));
        }
    }
    best.map(|(_, i)| i)
}
