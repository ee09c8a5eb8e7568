//! `oneOf`/`anyOf`, `enum` and `const`.
//!
//! A union becomes, in order of preference:
//!
//! 1. nothing new, when its branches only add constraints (`anyOf: [{required: [a]},
//!    {required: [b]}]`) to the schema around them;
//! 2. a unit enum, when every branch is a string constant (a documented enum);
//! 3. an internally tagged enum, when one property is required in every branch with
//!    a distinct string constant (the discriminator);
//! 4. an untagged enum, variants ordered most specific first, because serde takes
//!    the first variant that fits.
//!
//! `null` branches make the result an `Option`. Properties of the schema around the
//! union are merged into every branch.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::lower::{Lowerer, Slot, clean_doc, docs_of, name_like, optional, type_set};
use super::merge::merge_into;
use super::resolve::{Loc, last_tokens};
use crate::ir::{EnumDef, EnumRepr, Payload, Scalar, TypeKind, TypeRef, Variant};
use crate::naming;

/// One branch of a union.
struct Branch {
    /// The branch as written, when it is used unchanged (so `$ref`s reuse types).
    loc: Option<Loc>,
    /// Its view: references followed, `allOf`s and the surrounding schema merged.
    view: Value,
    /// The variant name it suggests.
    name: String,
    /// Its documentation.
    doc: Option<String>,
}

impl Lowerer<'_> {
    /// A schema with `oneOf` or `anyOf`.
    pub(crate) fn lower_union(
        &mut self,
        at: &Loc,
        map: &Map<String, Value>,
        slot: &Slot,
    ) -> TypeRef {
        let key = if map.contains_key("oneOf") {
            "oneOf"
        } else {
            "anyOf"
        };
        if key == "oneOf" && map.contains_key("anyOf") {
            self.unenforced(&at.push("anyOf"), "'anyOf' next to 'oneOf' is not checked");
        }
        let Some(written) = map.get(key).and_then(Value::as_array) else {
            return self.fallback(&at.push(key), format!("'{key}' is not an array"));
        };
        let mut rest = map.clone();
        rest.remove("oneOf");
        rest.remove("anyOf");
        let rest_abs = self.docs.absolutize(&Value::Object(rest.clone()), at);
        let mut branches = Vec::with_capacity(written.len());
        for (i, b) in written.iter().enumerate() {
            let loc = at.push(key).push(&i.to_string());
            let view = self.view_at(&loc, 0);
            branches.push(Branch {
                name: branch_name(b, &view, i),
                doc: b.as_object().and_then(docs_of),
                loc: Some(loc),
                view,
            });
        }
        if branches.iter().all(|b| constraint_only(&b.view)) {
            self.unenforced(
                &at.push(key),
                format!("the branches of '{key}' only add checks"),
            );
            return self.lower_synthetic(rest_abs, at, slot);
        }
        if has_structure(&rest) {
            for b in &mut branches {
                let mut merged = Map::new();
                let mut conflicts = Vec::new();
                merge_into(&mut merged, &rest_abs, &mut conflicts);
                merge_into(&mut merged, &b.view, &mut conflicts);
                b.view = Value::Object(merged);
                b.loc = None;
            }
        }
        let mut nullable = type_set(&rest).1;
        branches.retain(|b| {
            let null = is_null(&b.view);
            nullable |= null;
            !null
        });
        let doc = docs_of(map);
        let ty = if branches.is_empty() {
            TypeRef::Scalar(Scalar::Unit)
        } else if let [only] = branches.as_slice() {
            let hint = self.slot_hint(slot);
            self.branch_type(only, at, slot, &hint)
        } else if let Some(values) = string_constants(&branches) {
            self.string_enum(at, slot, doc, values)
        } else if let Some((tag, values)) = self.find_tag(&branches, map) {
            self.tagged(at, slot, doc, &tag, &values, &branches)
        } else {
            let base = self.slot_hint(slot);
            let mut variants = Vec::with_capacity(branches.len());
            for b in &branches {
                let hint = format!("{base}{}", b.name);
                let ty = self.branch_type(b, at, &Slot::Fresh(hint.clone()), &hint);
                variants.push((b.name.clone(), b.doc.clone(), ty));
            }
            self.untagged(at, slot, doc, variants)
        };
        if nullable { optional(ty) } else { ty }
    }

    /// The type of one branch.
    fn branch_type(&mut self, b: &Branch, at: &Loc, slot: &Slot, hint: &str) -> TypeRef {
        match &b.loc {
            Some(loc) => self.lower(loc, hint),
            None => self.lower_synthetic(b.view.clone(), at, slot),
        }
    }

    /// The discriminator: a property every branch requires, each with a different
    /// string constant. An OpenAPI `discriminator.propertyName` is tried first.
    fn find_tag(
        &self,
        branches: &[Branch],
        map: &Map<String, Value>,
    ) -> Option<(String, Vec<String>)> {
        let first = branches.first()?.view.get("properties")?.as_object()?;
        let declared = map
            .get("discriminator")
            .and_then(|d| d.get("propertyName"))
            .and_then(Value::as_str);
        let candidates = declared.into_iter().chain(first.keys().map(String::as_str));
        'candidates: for tag in candidates {
            let mut values = Vec::with_capacity(branches.len());
            for b in branches {
                let required = b
                    .view
                    .get("required")
                    .and_then(Value::as_array)
                    .is_some_and(|r| r.iter().any(|v| v.as_str() == Some(tag)));
                let schema = b.view.get("properties").and_then(|p| p.get(tag));
                let value = schema
                    .map(|s| self.view(s, 0))
                    .and_then(|s| single_string(&s));
                match value {
                    Some(v) if required && !values.contains(&v) => values.push(v),
                    _ => continue 'candidates,
                }
            }
            return Some((tag.to_owned(), values));
        }
        None
    }

    /// An internally tagged enum: each branch without its tag property.
    fn tagged(
        &mut self,
        at: &Loc,
        slot: &Slot,
        doc: Option<String>,
        tag: &str,
        values: &[String],
        branches: &[Branch],
    ) -> TypeRef {
        let base = self.slot_hint(slot);
        let mut names = BTreeSet::new();
        let mut variants = Vec::with_capacity(branches.len());
        for (b, value) in branches.iter().zip(values) {
            let name = naming::unique(naming::variant_name(value), &mut names);
            let mut view = b.view.as_object().cloned().unwrap_or_default();
            if let Some(Value::Object(props)) = view.get_mut("properties") {
                props.shift_remove(tag);
            }
            if let Some(Value::Array(req)) = view.get_mut("required") {
                req.retain(|r| r.as_str() != Some(tag));
            }
            let bare = view
                .get("properties")
                .and_then(Value::as_object)
                .is_none_or(Map::is_empty)
                && !view.contains_key("patternProperties")
                && (view.get("additionalProperties") == Some(&Value::Bool(false))
                    || !self.settings.keep_unknown_properties);
            let payload = if bare {
                Payload::Unit
            } else {
                let hint = format!("{base}{}", name.trim_start_matches("r#"));
                let origin = b.loc.as_ref().unwrap_or(at);
                Payload::Newtype(self.lower_synthetic(
                    Value::Object(view),
                    origin,
                    &Slot::Fresh(hint),
                ))
            };
            variants.push(Variant {
                name,
                wire_name: value.clone(),
                aliases: Vec::new(),
                doc: b.doc.clone(),
                payload,
            });
        }
        let path = self.claim(slot);
        self.define(
            path.clone(),
            at,
            doc,
            TypeKind::Enum(EnumDef {
                variants,
                repr: EnumRepr::Internal {
                    tag: tag.to_owned(),
                },
                default_variant: None,
            }),
        );
        TypeRef::Named(path)
    }

    /// `enum` and `const`.
    pub(crate) fn lower_enum(
        &mut self,
        at: &Loc,
        map: &Map<String, Value>,
        values: &[Value],
        slot: &Slot,
    ) -> TypeRef {
        let nullable = values.contains(&Value::Null) || type_set(map).1;
        let rest: Vec<&Value> = values.iter().filter(|v| !v.is_null()).collect();
        let descriptions = [
            "markdownEnumDescriptions",
            "enumDescriptions",
            "x-enumDescriptions",
        ]
        .iter()
        .find_map(|k| map.get(*k).and_then(Value::as_array));
        let ty = if rest.is_empty() {
            TypeRef::Scalar(Scalar::Unit)
        } else if rest.iter().all(|v| v.is_string()) {
            let docs = values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| {
                    let doc = descriptions
                        .and_then(|d| d.get(i))
                        .and_then(Value::as_str)
                        .filter(|d| !d.is_empty())
                        .map(clean_doc);
                    v.as_str().map(|s| (s.to_owned(), doc))
                })
                .collect();
            self.string_enum(at, slot, docs_of(map), docs)
        } else if rest.iter().all(|v| v.is_boolean()) {
            TypeRef::Scalar(Scalar::Bool)
        } else if rest.iter().all(|v| v.is_i64() || v.is_u64()) {
            self.unenforced(at, "the allowed integers are not checked");
            self.lower_integer(at, map, slot)
        } else if rest.iter().all(|v| v.is_number()) {
            self.unenforced(at, "the allowed numbers are not checked");
            self.lower_number(at, map, slot)
        } else {
            self.fallback(at, "an enum of mixed or structured values")
        };
        if nullable { optional(ty) } else { ty }
    }

    /// A unit enum of string values (with their documentation).
    pub(crate) fn string_enum(
        &mut self,
        at: &Loc,
        slot: &Slot,
        doc: Option<String>,
        values: Vec<(String, Option<String>)>,
    ) -> TypeRef {
        let path = self.claim(slot);
        let mut names = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut variants = Vec::with_capacity(values.len());
        for (value, vdoc) in values {
            if !seen.insert(value.clone()) {
                continue;
            }
            variants.push(Variant {
                name: naming::unique(naming::variant_name(&value), &mut names),
                wire_name: value,
                aliases: Vec::new(),
                doc: vdoc,
                payload: Payload::Unit,
            });
        }
        self.define(
            path.clone(),
            at,
            doc,
            TypeKind::Enum(EnumDef {
                variants,
                repr: EnumRepr::External,
                default_variant: None,
            }),
        );
        TypeRef::Named(path)
    }
}

/// The string values of a union whose every branch is string constants.
fn string_constants(branches: &[Branch]) -> Option<Vec<(String, Option<String>)>> {
    let mut out = Vec::new();
    for b in branches {
        let map = b.view.as_object()?;
        let values: Vec<&Value> = match (map.get("const"), map.get("enum")) {
            (Some(c), _) => vec![c],
            (None, Some(Value::Array(items))) => items.iter().collect(),
            _ => return None,
        };
        for v in values {
            out.push((v.as_str()?.to_owned(), b.doc.clone()));
        }
    }
    Some(out)
}

/// The one string a schema allows (`const`, or an `enum` of one).
fn single_string(schema: &Value) -> Option<String> {
    if let Some(c) = schema.get("const") {
        return c.as_str().map(str::to_owned);
    }
    match schema.get("enum")?.as_array()?.as_slice() {
        [Value::String(s)] => Some(s.clone()),
        _ => None,
    }
}

/// Whether a schema allows only `null`.
fn is_null(schema: &Value) -> bool {
    let Some(map) = schema.as_object() else {
        return false;
    };
    match map.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(ts)) => ts.iter().all(|t| t == "null"),
        _ => {
            map.get("const") == Some(&Value::Null)
                || map
                    .get("enum")
                    .and_then(Value::as_array)
                    .is_some_and(|e| e.iter().all(Value::is_null))
        }
    }
}

/// Whether a schema only adds checks and says nothing about the shape of a value.
fn constraint_only(schema: &Value) -> bool {
    const SHAPE: &[&str] = &[
        "type",
        "properties",
        "patternProperties",
        "additionalProperties",
        "items",
        "prefixItems",
        "$ref",
        "enum",
        "const",
        "oneOf",
        "anyOf",
        "allOf",
        "format",
    ];
    match schema {
        Value::Object(map) => !SHAPE.iter().any(|k| map.contains_key(*k)),
        Value::Bool(_) => true,
        _ => false,
    }
}

/// Whether the schema around a union says something about objects, which then
/// applies to every branch.
fn has_structure(map: &Map<String, Value>) -> bool {
    [
        "properties",
        "patternProperties",
        "additionalProperties",
        "required",
    ]
    .iter()
    .any(|k| map.contains_key(*k))
}

/// The variant name a branch suggests: its definition's name, a short title, its
/// constant, or its type.
fn branch_name(written: &Value, view: &Value, index: usize) -> String {
    if let Some(r) = written.get("$ref").and_then(Value::as_str)
        && let Some(fragment) = r.split_once('#').map(|(_, f)| f)
        && let (Some(key), _) = last_tokens(fragment)
        && !key.is_empty()
    {
        return naming::variant_name(&key);
    }
    if let Some(title) = view
        .get("title")
        .and_then(Value::as_str)
        .filter(|t| name_like(t))
    {
        return naming::variant_name(title);
    }
    if let Some(value) = single_string(view) {
        return naming::variant_name(&value);
    }
    let t = match view.get("type") {
        Some(Value::String(t)) => t.as_str(),
        _ if view.get("properties").is_some() => "object",
        _ if view.get("items").is_some() => "array",
        _ => "",
    };
    match t {
        "object" => "Object".to_owned(),
        "array" => "Array".to_owned(),
        "string" => "String".to_owned(),
        "integer" => "Integer".to_owned(),
        "number" => "Number".to_owned(),
        "boolean" => "Bool".to_owned(),
        _ => format!("Variant{}", index + 1),
    }
}

/// An untagged variant's place: a category, then an order within it.
type Rank = (u8, i64);

impl Lowerer<'_> {
    /// `type: ["string", "integer", ...]`: an untagged enum with a variant per type.
    pub(crate) fn lower_multi_type(
        &mut self,
        at: &Loc,
        map: &Map<String, Value>,
        types: &[&str],
        slot: &Slot,
    ) -> TypeRef {
        let base = self.slot_hint(slot);
        let mut payloads = Vec::new();
        for t in types {
            let name = match *t {
                "boolean" => "Bool",
                other => other,
            };
            let ty = self.lower_typed(
                at,
                map,
                t,
                &Slot::Fresh(format!("{base}{}", naming::type_name(name))),
            );
            payloads.push((naming::variant_name(name), None, ty));
        }
        self.untagged(at, slot, docs_of(map), payloads)
    }

    /// An untagged enum of `variants` (name, doc, payload), most specific first.
    pub(crate) fn untagged(
        &mut self,
        at: &Loc,
        slot: &Slot,
        doc: Option<String>,
        variants: Vec<(String, Option<String>, TypeRef)>,
    ) -> TypeRef {
        let mut ranked: Vec<(Rank, usize, String, Option<String>, TypeRef)> = variants
            .into_iter()
            .enumerate()
            .map(|(i, (n, d, t))| (self.rank(&t), i, n, d, t))
            .collect();
        ranked.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        let base = naming::type_name(&self.slot_hint(slot));
        let mut seen: Vec<TypeRef> = Vec::new();
        let mut names = BTreeSet::new();
        let mut out = Vec::new();
        for (_, _, name, d, ty) in ranked {
            // A second variant of the same type could never be chosen.
            if seen.contains(&ty) {
                continue;
            }
            seen.push(ty.clone());
            // A payload type made for this variant (`CellObject2`) names it
            // (`Object2`), so the two stay in step after reordering.
            let name = match &ty {
                TypeRef::Named(p) => p
                    .name
                    .strip_prefix(base.as_str())
                    .filter(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
                    .map_or(name, str::to_owned),
                _ => name,
            };
            let name = naming::unique(name, &mut names);
            out.push(Variant {
                wire_name: name.trim_start_matches("r#").to_owned(),
                name,
                aliases: Vec::new(),
                doc: d,
                payload: Payload::Newtype(ty),
            });
        }
        if out.len() == 1
            && let Some(Variant {
                payload: Payload::Newtype(ty),
                ..
            }) = out.pop()
        {
            return ty;
        }
        let path = self.claim(slot);
        self.define(
            path.clone(),
            at,
            doc,
            TypeKind::Enum(EnumDef {
                variants: out,
                repr: EnumRepr::Untagged,
                default_variant: None,
            }),
        );
        TypeRef::Named(path)
    }

    /// Where a variant goes in an untagged enum: serde tries variants in order and
    /// takes the first that fits, so narrower types come first.
    fn rank(&self, ty: &TypeRef) -> Rank {
        match ty {
            TypeRef::Scalar(s) => match s {
                Scalar::Unit => (0, 0),
                Scalar::Bool => (1, 0),
                Scalar::U8 | Scalar::U16 | Scalar::U32 | Scalar::U64 => (2, 0),
                Scalar::I8 | Scalar::I16 | Scalar::I32 | Scalar::I64 => (2, 1),
                Scalar::F32 | Scalar::F64 => (3, 0),
                Scalar::String => (6, 0),
                Scalar::Json => (20, 0),
                _ => (4, 0),
            },
            TypeRef::Option { inner, .. } | TypeRef::Boxed(inner) => self.rank(inner),
            // Before structs: a derived struct also reads a JSON array (its fields
            // by position), so it would take arrays meant for the list.
            TypeRef::List(inner) => (7, i64::from(self.rank(inner).0)),
            TypeRef::Map(inner) => (15, i64::from(self.rank(inner).0)),
            TypeRef::Named(p) => match self.def(p).map(|d| &d.kind) {
                Some(TypeKind::Enum(e)) => match e.repr {
                    _ if e.variants.iter().all(|v| v.payload == Payload::Unit) => (5, 0),
                    EnumRepr::Untagged => (11, 0),
                    _ => (9, 0),
                },
                Some(TypeKind::Newtype(n)) => {
                    let (r, _) = self.rank(&n.inner);
                    (r, if n.constraints.is_empty() { 0 } else { -1 })
                }
                Some(TypeKind::Alias(t)) => self.rank(t),
                Some(TypeKind::Struct(s)) => {
                    let required = s
                        .fields
                        .iter()
                        .filter(|f| !matches!(f.ty, TypeRef::Option { .. }) && !f.flatten)
                        .count();
                    let required = -i64::try_from(required).unwrap_or(i64::MAX);
                    if s.deny_unknown_fields {
                        (8, required)
                    } else {
                        (10, required)
                    }
                }
                None => (10, 0),
            },
        }
    }
}
