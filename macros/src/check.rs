//! Does a Rust type match its schema? Compared against the schema text itself
//! (parsed by evreg-core), never against a schema re-derived from the type.
//!
//! Records: every schema field present with a compatible Rust type, `Option`
//! exactly where the schema is nullable, no Rust field the schema lacks. Enums:
//! variants equal to the symbols. Named types used by a field (records, enums,
//! fixed) are checked by their own `#[derive(Event)]`: the field's check is a
//! compile-time assertion that the field's type was derived from a schema type
//! of the same full name.

use evreg_core::avro::model::{Model, Node, NodeId, Primitive};
use syn::{GenericArgument, PathArguments, Type};

/// What a field's Rust type must be for a schema node, or why it is not.
pub(crate) enum Verdict {
    /// The type fits.
    Fits,
    /// The type fits if the named Rust type was derived from this schema name.
    Named(String),
    /// It does not fit: the expected Rust type, for the message.
    Mismatch(String),
}

/// Logical type of a node, if any.
fn logical(props: &[(String, serde_json::Value)]) -> Option<&str> {
    props
        .iter()
        .find(|(k, _)| k == "logicalType")
        .and_then(|(_, v)| v.as_str())
}

/// The last path segment of `ty` with its generic type arguments.
fn segment(ty: &Type) -> Option<(String, Vec<&Type>)> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    let args = match &last.arguments {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|g| match g {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Some((last.ident.to_string(), args))
}

/// Strips `Box<T>` (recursion) wrappers.
fn unbox(ty: &Type) -> &Type {
    match segment(ty) {
        Some((name, args)) if name == "Box" && args.len() == 1 => unbox(args[0]),
        _ => ty,
    }
}

/// The non-null branch of a nullable union (`["null", T]` in any order).
pub(crate) fn nullable(model: &Model, id: NodeId) -> Option<NodeId> {
    match model.node(id) {
        Node::Union { branches } if branches.len() == 2 => {
            let is_null = |b: &NodeId| {
                matches!(
                    model.node(*b),
                    Node::Primitive {
                        kind: Primitive::Null,
                        ..
                    }
                )
            };
            match (is_null(&branches[0]), is_null(&branches[1])) {
                (true, false) => Some(branches[1]),
                (false, true) => Some(branches[0]),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether a `decimal` node fits `rust_decimal::Decimal`, by evgen's own
/// bound; wider ones need a `BigDecimal`.
fn small_decimal(props: &[(String, serde_json::Value)]) -> bool {
    props
        .iter()
        .find(|(k, _)| k == "precision")
        .and_then(|(_, v)| v.as_u64())
        .is_some_and(|p| p <= u64::from(evgen::emit::SMALL_DECIMAL_DIGITS))
}

/// Rust types accepted for a primitive (with its logical type and other
/// properties), the first one being the one named in messages.
fn primitive_types(
    kind: Primitive,
    props: &[(String, serde_json::Value)],
) -> &'static [&'static str] {
    match (kind, logical(props)) {
        (Primitive::String, Some("uuid")) => &["Uuid", "String"],
        (Primitive::Bytes, Some("decimal")) if small_decimal(props) => &["Decimal", "BigDecimal"],
        (Primitive::Bytes, Some("decimal")) => &["BigDecimal"],
        (Primitive::Bytes, Some("big-decimal")) => &["BigDecimal"],
        (Primitive::Int, Some("date")) => &["NaiveDate", "i32"],
        (Primitive::Int, Some("time-millis")) => &["NaiveTime", "i32"],
        (Primitive::Long, Some("time-micros")) => &["NaiveTime", "i64"],
        (Primitive::Long, Some("timestamp-millis" | "timestamp-micros" | "timestamp-nanos")) => {
            &["DateTime<Utc>", "i64"]
        }
        (
            Primitive::Long,
            Some("local-timestamp-millis" | "local-timestamp-micros" | "local-timestamp-nanos"),
        ) => &["NaiveDateTime", "i64"],
        (Primitive::Null, _) => &["()"],
        (Primitive::Boolean, _) => &["bool"],
        (Primitive::Int, _) => &["i32", "i16", "i8", "u16", "u8"],
        (Primitive::Long, _) => &["i64", "i32", "u32", "i16", "u16", "i8", "u8"],
        (Primitive::Float, _) => &["f32"],
        (Primitive::Double, _) => &["f64", "f32"],
        (Primitive::Bytes, _) => &["Vec<u8>"],
        (Primitive::String, _) => &["String"],
    }
}

/// How `ty` would be written in one of the accepted forms above.
fn rust_name(ty: &Type) -> String {
    match ty {
        Type::Tuple(t) if t.elems.is_empty() => "()".to_owned(),
        _ => match segment(ty) {
            Some((name, args)) if !args.is_empty() => {
                let inner: Vec<String> = args.iter().map(|a| rust_name(a)).collect();
                format!("{name}<{}>", inner.join(", "))
            }
            Some((name, _)) => name,
            None => quote::ToTokens::to_token_stream(ty).to_string(),
        },
    }
}

/// Checks `ty` against schema node `id`.
pub(crate) fn check_type(model: &Model, id: NodeId, ty: &Type) -> Verdict {
    let ty = unbox(ty);
    let node = model.node(id);
    if let Some(inner) = nullable(model, id) {
        return match segment(ty) {
            Some((name, args)) if name == "Option" && args.len() == 1 => {
                check_type(model, inner, args[0])
            }
            _ => Verdict::Mismatch(format!("Option<{}>", expected(model, inner))),
        };
    }
    if let Some((name, _)) = segment(ty)
        && name == "Option"
    {
        return Verdict::Mismatch(expected(model, id));
    }
    match node {
        Node::Primitive { kind, props } => {
            let accepted = primitive_types(*kind, props);
            let have = rust_name(ty);
            if accepted.contains(&have.as_str())
                || (have == "DateTime" && accepted[0] == "DateTime<Utc>")
            {
                Verdict::Fits
            } else {
                Verdict::Mismatch(accepted[0].to_owned())
            }
        }
        Node::Array { items, .. } => match segment(ty) {
            Some((name, args)) if name == "Vec" && args.len() == 1 => {
                nested(check_type(model, *items, args[0]), |e| format!("Vec<{e}>"))
            }
            _ => Verdict::Mismatch(expected(model, id)),
        },
        Node::Map { values, .. } => match segment(ty) {
            Some((name, args))
                if (name == "HashMap" || name == "BTreeMap")
                    && args.len() == 2
                    && rust_name(args[0]) == "String" =>
            {
                nested(check_type(model, *values, args[1]), |e| {
                    format!("{name}<String, {e}>")
                })
            }
            _ => Verdict::Mismatch(expected(model, id)),
        },
        Node::Fixed {
            size, props, name, ..
        } => match (logical(props), segment(ty)) {
            (Some("decimal"), Some((n, _)))
                if n == "BigDecimal" || (n == "Decimal" && small_decimal(props)) =>
            {
                Verdict::Fits
            }
            (Some("duration"), Some((n, _))) if n == "Duration" => Verdict::Fits,
            _ => match ty {
                Type::Array(a)
                    if rust_name(&a.elem) == "u8"
                        && quote::ToTokens::to_token_stream(&a.len).to_string()
                            == size.to_string() =>
                {
                    Verdict::Fits
                }
                Type::Path(_) => Verdict::Named(name.fullname()),
                _ => Verdict::Mismatch(expected(model, id)),
            },
        },
        Node::Record { name, .. } | Node::Enum { name, .. } => match ty {
            Type::Path(_) => Verdict::Named(name.fullname()),
            _ => Verdict::Mismatch(expected(model, id)),
        },
        // A union of several types is an enum of the user's, named after nothing
        // in the schema: its branches are checked where that enum is used.
        Node::Union { .. } => match ty {
            Type::Path(_) => Verdict::Fits,
            _ => Verdict::Mismatch(expected(model, id)),
        },
    }
}

fn nested(inner: Verdict, wrap: impl Fn(&str) -> String) -> Verdict {
    match inner {
        Verdict::Mismatch(e) => Verdict::Mismatch(wrap(&e)),
        other => other,
    }
}

/// The Rust type a node is expected to be, for messages.
pub(crate) fn expected(model: &Model, id: NodeId) -> String {
    if let Some(inner) = nullable(model, id) {
        return format!("Option<{}>", expected(model, inner));
    }
    match model.node(id) {
        Node::Primitive { kind, props } => primitive_types(*kind, props)[0].to_owned(),
        Node::Array { items, .. } => format!("Vec<{}>", expected(model, *items)),
        Node::Map { values, .. } => format!("HashMap<String, {}>", expected(model, *values)),
        Node::Fixed { size, name, .. } => format!(
            "[u8; {size}] or a type derived from fixed '{}'",
            name.fullname()
        ),
        Node::Record { name, .. } => format!("a type derived from record '{}'", name.fullname()),
        Node::Enum { name, .. } => format!("a type derived from enum '{}'", name.fullname()),
        Node::Union { .. } => "an enum over the union's branches".to_owned(),
    }
}

/// The schema type as people read it: `union [null, string]`, `long (timestamp-millis)`.
pub(crate) fn schema_type(model: &Model, id: NodeId) -> String {
    match model.node(id) {
        Node::Primitive { kind, props } => match logical(props) {
            Some(l) => format!("{} ({l})", kind.name()),
            None => kind.name().to_owned(),
        },
        _ => evreg_core::avro::model::describe(&model.nodes, id),
    }
}
