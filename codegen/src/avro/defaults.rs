//! Avro field defaults (JSON, in the Avro JSON encoding) to IR constants.
//!
//! The translation is by schema node: `bytes` and `fixed` defaults are strings whose
//! code points are byte values, a union default belongs to the first branch it is
//! valid for (evreg-core accepts any branch, as Avro 1.12 and Confluent do), and an
//! enum default names a symbol.

use std::collections::BTreeMap;

use evreg_core::avro::Model;
use evreg_core::avro::model::{Node, NodeId, Primitive};
use serde_json::Value;

use super::lower::{enum_variant_names, show, union_variant_names};
use crate::ir::Const;

/// The constant for `default` at node `id`, or why there is none.
pub(crate) fn to_const(model: &Model, id: NodeId, default: &Value) -> Result<Const, String> {
    convert(model, id, default, 0)
}

fn convert(model: &Model, id: NodeId, v: &Value, depth: usize) -> Result<Const, String> {
    if depth > 128 {
        return Err("default nests too deeply".into());
    }
    let bad = |what: &str| Err(format!("default {} is not a valid {what}", show(v)));
    match model.node(id) {
        Node::Primitive { kind, .. } => match (kind, v) {
            (Primitive::Null, Value::Null) => Ok(Const::Null),
            (Primitive::Boolean, Value::Bool(b)) => Ok(Const::Bool(*b)),
            (Primitive::Int | Primitive::Long, Value::Number(n)) => match n.as_i64() {
                Some(i) => Ok(Const::Int(i128::from(i))),
                None => bad(kind.name()),
            },
            (Primitive::Float | Primitive::Double, Value::Number(n)) => match n.as_f64() {
                Some(f) => Ok(Const::Float(f)),
                None => bad(kind.name()),
            },
            (Primitive::Float | Primitive::Double, Value::String(s)) => match s.as_str() {
                "NaN" => Ok(Const::Float(f64::NAN)),
                "Infinity" => Ok(Const::Float(f64::INFINITY)),
                "-Infinity" => Ok(Const::Float(f64::NEG_INFINITY)),
                _ => bad(kind.name()),
            },
            (Primitive::Bytes, Value::String(s)) => latin1(s).map(Const::Bytes),
            (Primitive::String, Value::String(s)) => Ok(Const::String(s.clone())),
            _ => bad(kind.name()),
        },
        Node::Fixed { size, .. } => match v {
            Value::String(s) => {
                let bytes = latin1(s)?;
                if bytes.len() as u64 != *size {
                    return Err(format!(
                        "default {} has {} bytes, the fixed has {size}",
                        show(v),
                        bytes.len()
                    ));
                }
                Ok(Const::Bytes(bytes))
            }
            _ => bad("fixed"),
        },
        Node::Enum { symbols, .. } => {
            let names = enum_variant_names(symbols);
            match v
                .as_str()
                .and_then(|s| symbols.iter().position(|x| x == s))
                .and_then(|i| names.get(i))
            {
                Some(name) => Ok(Const::Variant(name.clone(), None)),
                None => bad("symbol of the enum"),
            }
        }
        Node::Array { items, .. } => match v {
            Value::Array(a) => a
                .iter()
                .map(|e| convert(model, *items, e, depth + 1))
                .collect::<Result<_, _>>()
                .map(Const::List),
            _ => bad("array"),
        },
        Node::Map { values, .. } => match v {
            Value::Object(m) => m
                .iter()
                .map(|(k, e)| Ok((k.clone(), convert(model, *values, e, depth + 1)?)))
                .collect::<Result<BTreeMap<_, _>, String>>()
                .map(Const::Map),
            _ => bad("map"),
        },
        Node::Record { fields, .. } => match v {
            Value::Object(m) => {
                let mut out = BTreeMap::new();
                for f in fields {
                    if let Some(fv) = m.get(&f.name) {
                        out.insert(f.name.clone(), convert(model, f.ty, fv, depth + 1)?);
                    }
                }
                Ok(Const::Map(out))
            }
            _ => bad("record"),
        },
        Node::Union { branches } => {
            let names = union_variant_names(model, branches);
            let non_null: Vec<&NodeId> = branches.iter().filter(|b| !is_null(model, **b)).collect();
            let has_null = non_null.len() < branches.len();
            for (i, b) in branches.iter().enumerate() {
                let Ok(c) = convert(model, *b, v, depth + 1) else {
                    continue;
                };
                // Mirror the lowering in `lower.rs`: unit, Option, or enum.
                return Ok(match (has_null, non_null.len()) {
                    (_, 0) | (true, 1) => c,
                    _ => {
                        let payload = if is_null(model, *b) {
                            None
                        } else {
                            Some(Box::new(c))
                        };
                        Const::Variant(names[i].0.clone(), payload)
                    }
                });
            }
            bad("value of any branch of the union")
        }
    }
}

fn is_null(model: &Model, id: NodeId) -> bool {
    matches!(
        model.node(id),
        Node::Primitive {
            kind: Primitive::Null,
            ..
        }
    )
}

/// Avro's JSON encoding of bytes: each code point (0–255) is one byte.
fn latin1(s: &str) -> Result<Vec<u8>, String> {
    s.chars()
        .map(|c| {
            u8::try_from(u32::from(c))
                .map_err(|_| format!("bytes default has character {c:?} above U+00FF"))
        })
        .collect()
}
