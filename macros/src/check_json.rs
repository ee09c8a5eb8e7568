//! Does a Rust type match a JSON Schema? Compared against the schema document
//! itself, like the Avro check.
//!
//! Objects: every property (from `properties`, merged through `allOf` and local
//! `$ref`s) present as a field; `Option` (or `#[serde(default)]`) where the
//! property may be absent or null, and only there; each field's type able to
//! hold the property's `type`; no Rust field the schema lacks. A root `enum` of
//! strings is checked like an Avro enum. What JSON Schema cannot name (a
//! `oneOf` of objects, a nested object) must be a Rust type of the user's, and
//! is not checked deeper here.

use std::collections::BTreeSet;

use serde_json::Value;
use syn::{GenericArgument, PathArguments, Type};

/// How many `$ref` hops and nested schemas the check follows before it stops
/// looking (a recursive schema would otherwise never end).
const MAX_DEPTH: usize = 32;

/// Whether a field's type fits a property, or what it should be.
pub(crate) enum Verdict {
    Fits,
    /// The Rust type expected, for the message.
    Mismatch(String),
}

/// A property of the root object.
pub(crate) struct Property<'a> {
    pub name: String,
    pub schema: &'a Value,
    /// JSON pointer, for messages.
    pub at: String,
}

/// The root object's properties and which of them are required.
pub(crate) struct Object<'a> {
    pub properties: Vec<Property<'a>>,
    pub required: BTreeSet<String>,
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Follows local `$ref`s (`#/definitions/x`, `#/$defs/x`, `#`) from `node`;
/// a reference elsewhere is returned unresolved.
pub(crate) fn resolve<'a>(
    root: &'a Value,
    mut node: &'a Value,
    mut at: String,
) -> (&'a Value, String) {
    for _ in 0..MAX_DEPTH {
        let Some(target) = node.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let Some(pointer) = target.strip_prefix('#') else {
            break;
        };
        let Some(next) = root.pointer(pointer) else {
            break;
        };
        node = next;
        at = pointer.to_owned();
    }
    (node, at)
}

/// `type` as a list of names (`"string"` → `[string]`).
fn types(node: &Value) -> Vec<&str> {
    match node.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether the schema describes an object: the root a struct must match.
pub(crate) fn is_object(node: &Value) -> bool {
    types(node).contains(&"object")
        || node.get("properties").is_some()
        || node.get("allOf").is_some()
}

/// The string symbols of a root `enum`, if the schema is one.
pub(crate) fn enum_symbols(node: &Value) -> Option<Vec<String>> {
    node.get("enum")?
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// Collects the properties of the object at `node`, through `allOf` and `$ref`.
pub(crate) fn object<'a>(root: &'a Value, node: &'a Value, at: &str) -> Object<'a> {
    let mut out = Object {
        properties: Vec::new(),
        required: BTreeSet::new(),
    };
    collect(root, node, at.to_owned(), &mut out, 0);
    out
}

fn collect<'a>(root: &'a Value, node: &'a Value, at: String, out: &mut Object<'a>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let (node, at) = resolve(root, node, at);
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        for (name, schema) in props {
            if !out.properties.iter().any(|p| &p.name == name) {
                out.properties.push(Property {
                    name: name.clone(),
                    schema,
                    at: format!("{at}/properties/{}", escape(name)),
                });
            }
        }
    }
    if let Some(required) = node.get("required").and_then(Value::as_array) {
        out.required
            .extend(required.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    if let Some(all) = node.get("allOf").and_then(Value::as_array) {
        for (i, sub) in all.iter().enumerate() {
            collect(root, sub, format!("{at}/allOf/{i}"), out, depth + 1);
        }
    }
}

/// Splits off `null`: `(nullable, the schema without null)`. `type: [T, "null"]`
/// keeps the node (the check ignores the null); `oneOf`/`anyOf` of a schema and
/// `{"type": "null"}` yields the other branch.
pub(crate) fn split_null<'a>(root: &'a Value, node: &'a Value) -> (bool, &'a Value) {
    let (node, _) = resolve(root, node, String::new());
    let ts = types(node);
    if ts.len() > 1 && ts.contains(&"null") {
        return (true, node);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(branches) = node.get(key).and_then(Value::as_array)
            && branches.len() == 2
        {
            let is_null = |b: &Value| types(resolve(root, b, String::new()).0) == ["null"];
            match (is_null(&branches[0]), is_null(&branches[1])) {
                (true, false) => return (true, resolve(root, &branches[1], String::new()).0),
                (false, true) => return (true, resolve(root, &branches[0], String::new()).0),
                _ => {}
            }
        }
    }
    (false, node)
}

/// The schema's type as people read it: `integer`, `[string, null]`, `oneOf`.
pub(crate) fn describe(root: &Value, node: &Value) -> String {
    let (node, _) = resolve(root, node, String::new());
    let ts = types(node);
    match ts.as_slice() {
        [] if node.get("enum").is_some() => "enum".to_owned(),
        [] if node.get("properties").is_some() => "object".to_owned(),
        [] => ["oneOf", "anyOf", "allOf", "const"]
            .into_iter()
            .find(|k| node.get(*k).is_some())
            .unwrap_or("any")
            .to_owned(),
        [one] => match node.get("format").and_then(Value::as_str) {
            Some(f) => format!("{one} ({f})"),
            None => (*one).to_owned(),
        },
        many => format!("[{}]", many.join(", ")),
    }
}

/// The last path segment of `ty` with its generic type arguments.
pub(crate) fn segment(ty: &Type) -> Option<(String, Vec<&Type>)> {
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

/// `Option<T>`'s `T`.
pub(crate) fn option_inner(ty: &Type) -> Option<&Type> {
    match segment(ty) {
        Some((name, args)) if name == "Option" && args.len() == 1 => Some(args[0]),
        _ => None,
    }
}

fn unbox(ty: &Type) -> &Type {
    match segment(ty) {
        Some((name, args))
            if (name == "Box" || name == "Arc" || name == "Rc") && args.len() == 1 =>
        {
            unbox(args[0])
        }
        _ => ty,
    }
}

/// Type names a JSON scalar cannot be held by a struct or enum of the user's.
const SCALARS: &[&str] = &[
    "String",
    "str",
    "bool",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "f32",
    "f64",
    "Vec",
    "HashMap",
    "BTreeMap",
    "HashSet",
    "BTreeSet",
    "Option",
    "Uuid",
    "DateTime",
    "NaiveDate",
    "NaiveTime",
    "NaiveDateTime",
    "BigDecimal",
    "Uri",
    "Email",
    "Ipv4Addr",
    "Ipv6Addr",
];

/// `ty` is a type of the user's (a struct or enum), or something unknown.
fn is_user_type(ty: &Type) -> bool {
    matches!(segment(ty), Some((name, _)) if !SCALARS.contains(&name.as_str()))
}

fn name_of(ty: &Type) -> String {
    match ty {
        Type::Tuple(t) if t.elems.is_empty() => "()".to_owned(),
        _ => match segment(ty) {
            Some((name, args)) if !args.is_empty() => {
                let inner: Vec<String> = args.iter().map(|a| name_of(a)).collect();
                format!("{name}<{}>", inner.join(", "))
            }
            Some((name, _)) => name,
            None => quote::ToTokens::to_token_stream(ty)
                .to_string()
                .replace(' ', ""),
        },
    }
}

/// Checks `ty` against the non-null part of a property's schema.
pub(crate) fn check_type(root: &Value, node: &Value, ty: &Type, depth: usize) -> Verdict {
    let ty = unbox(ty);
    if depth > MAX_DEPTH || matches!(segment(ty), Some((n, _)) if n == "Value") {
        return Verdict::Fits;
    }
    let (node, _) = resolve(root, node, String::new());
    let have = name_of(ty);
    let one_of = |accepted: &[&str]| {
        if accepted.contains(&have.as_str())
            || (have == "DateTime" && accepted[0] == "DateTime<Utc>")
        {
            Verdict::Fits
        } else {
            Verdict::Mismatch(accepted[0].to_owned())
        }
    };
    let ts: Vec<&str> = types(node).into_iter().filter(|t| *t != "null").collect();
    match ts.as_slice() {
        [] if node.get("properties").is_some() => object_type(root, node, ty, depth),
        // An enum, a const, a oneOf: only a type of the user's can hold it (or a
        // String, for an enum of strings).
        [] => {
            let strings = enum_symbols(node).is_some();
            if is_user_type(ty) || (strings && have == "String") {
                Verdict::Fits
            } else {
                Verdict::Mismatch(
                    if strings {
                        "String or an enum of the symbols"
                    } else {
                        "an enum or struct of yours (or serde_json::Value)"
                    }
                    .to_owned(),
                )
            }
        }
        ["string"] => match node.get("format").and_then(Value::as_str) {
            Some("uuid") => one_of(&["Uuid", "String"]),
            Some("date-time") => one_of(&["DateTime<Utc>", "String"]),
            Some("date") => one_of(&["NaiveDate", "String"]),
            Some("time") => one_of(&["NaiveTime", "String"]),
            // The types evgen maps these formats to (evreg_client's checking newtypes, std's
            // addresses), or a plain String.
            Some("uri") => one_of(&["Uri", "String"]),
            Some("email") => one_of(&["Email", "String"]),
            Some("ipv4") => one_of(&["Ipv4Addr", "String"]),
            Some("ipv6") => one_of(&["Ipv6Addr", "String"]),
            _ if node.get("enum").is_some() && is_user_type(ty) => Verdict::Fits,
            _ => one_of(&["String"]),
        },
        ["integer"] => one_of(&[
            "i64", "i32", "i16", "i8", "i128", "isize", "u64", "u32", "u16", "u8", "u128", "usize",
        ]),
        ["number"] => one_of(&["f64", "f32", "BigDecimal"]),
        ["boolean"] => one_of(&["bool"]),
        ["array"] => match segment(ty) {
            Some((name, args))
                if ["Vec", "VecDeque", "HashSet", "BTreeSet"].contains(&name.as_str())
                    && args.len() == 1 =>
            {
                match node.get("items").filter(|i| i.is_object()) {
                    Some(items) => {
                        let (nullable, inner) = split_null(root, items);
                        let item_ty = match (nullable, option_inner(args[0])) {
                            (true, Some(t)) => t,
                            (true, None) => {
                                return Verdict::Mismatch(format!("{name}<Option<_>>"));
                            }
                            (false, _) => args[0],
                        };
                        match check_type(root, inner, item_ty, depth + 1) {
                            Verdict::Mismatch(e) if nullable => {
                                Verdict::Mismatch(format!("{name}<Option<{e}>>"))
                            }
                            Verdict::Mismatch(e) => Verdict::Mismatch(format!("{name}<{e}>")),
                            Verdict::Fits => Verdict::Fits,
                        }
                    }
                    None => Verdict::Fits,
                }
            }
            _ if matches!(ty, Type::Tuple(_) | Type::Array(_)) => Verdict::Fits,
            _ => Verdict::Mismatch("Vec<_>".to_owned()),
        },
        ["object"] => object_type(root, node, ty, depth),
        ["null"] => one_of(&["()"]),
        // Several types: an untagged enum of the user's.
        _ if is_user_type(ty) => Verdict::Fits,
        many => Verdict::Mismatch(format!("an untagged enum over {}", many.join(", "))),
    }
}

fn object_type(root: &Value, node: &Value, ty: &Type, depth: usize) -> Verdict {
    match segment(ty) {
        Some((name, args))
            if (name == "HashMap" || name == "BTreeMap")
                && args.len() == 2
                && name_of(args[0]) == "String" =>
        {
            match node.get("additionalProperties").filter(|v| v.is_object()) {
                Some(values) => match check_type(root, values, args[1], depth + 1) {
                    Verdict::Mismatch(e) => Verdict::Mismatch(format!("{name}<String, {e}>")),
                    Verdict::Fits => Verdict::Fits,
                },
                None => Verdict::Fits,
            }
        }
        Some((name, _)) if name == "Map" => Verdict::Fits,
        _ if is_user_type(ty) => Verdict::Fits,
        _ => Verdict::Mismatch("a struct of yours, or HashMap<String, _>".to_owned()),
    }
}
