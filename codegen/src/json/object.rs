//! Objects (structs and maps) and arrays.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::lower::{Lowerer, Slot, docs_of, optional};
use super::resolve::Loc;
use crate::ir::{Const, Constraints, Field, NewtypeDef, Scalar, StructDef, TypeKind, TypeRef};
use crate::naming;

impl Lowerer<'_> {
    /// An object schema: a struct when it names properties, otherwise a map.
    pub(crate) fn lower_object(
        &mut self,
        at: &Loc,
        map: &Map<String, Value>,
        slot: &Slot,
    ) -> TypeRef {
        let empty = Map::new();
        let properties = map
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let patterns = map
            .get("patternProperties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        // 2019-09's `unevaluatedProperties` means the same here, as evgen merges
        // `allOf` branches before it looks at an object.
        let additional = map
            .get("additionalProperties")
            .or_else(|| map.get("unevaluatedProperties"));
        let base = self.slot_hint(slot);
        let keys = self.key_pattern(at, map, patterns, additional);
        if properties.is_empty() {
            let ty = match self.rest_type(at, map, patterns, additional, &base) {
                Rest::Map(ty) => ty,
                Rest::None => TypeRef::Scalar(Scalar::Json),
                Rest::Closed => {
                    let path = self.claim(slot);
                    self.define(
                        path.clone(),
                        at,
                        docs_of(map),
                        TypeKind::Struct(StructDef {
                            fields: Vec::new(),
                            deny_unknown_fields: true,
                        }),
                    );
                    return TypeRef::Named(path);
                }
            };
            let constraints = Constraints {
                min_length: map
                    .get("minProperties")
                    .and_then(Value::as_u64)
                    .filter(|n| *n > 0),
                max_length: map.get("maxProperties").and_then(Value::as_u64),
                pattern: keys,
                ..Constraints::default()
            };
            return self.checked_map(at, map, slot, ty, constraints);
        }
        for key in ["minProperties", "maxProperties"] {
            if map.contains_key(key) {
                self.unenforced(&at.push(key), format!("'{key}' is not checked on a struct"));
            }
        }
        // Claim the name before the fields, so a field that refers back to this
        // object (recursion) sees the same name.
        let path = self.claim(slot);
        let required: BTreeSet<&str> = map
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut taken = BTreeSet::new();
        let mut fields = Vec::with_capacity(properties.len() + 1);
        for (wire, schema) in properties {
            let loc = at.push("properties").push(wire);
            if schema == &Value::Bool(false) {
                self.unenforced(
                    &loc,
                    format!("property '{wire}' is forbidden but not rejected"),
                );
                continue;
            }
            let hint = format!("{}{}", path.name, naming::type_name(wire));
            let ty = self.lower(&loc, &hint);
            let is_required = required.contains(wire.as_str());
            // An optional property that may be null is written as `null` when absent
            // (the schema allows it), so an explicit `null` survives a round trip.
            let admits_null = matches!(
                ty,
                TypeRef::Option { .. } | TypeRef::Scalar(Scalar::Json | Scalar::Unit)
            );
            let (ty, skip_if_none) = if is_required {
                (ty, false)
            } else {
                (optional(ty), !admits_null)
            };
            let doc = schema.as_object().and_then(docs_of).or_else(|| {
                // A bare `$ref` property is documented by what it points to.
                schema
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| self.docs.resolve(loc.doc, r))
                    .and_then(|t| self.doc_at(&t))
            });
            // A field read through a codec (`uuid`) loses serde's "missing `Option`
            // is `None`" rule, so it needs an explicit default.
            let default = (!is_required && has_codec(&ty)).then_some(Const::Null);
            fields.push(Field {
                name: naming::unique(naming::field_name(wire), &mut taken),
                wire_name: wire.clone(),
                aliases: Vec::new(),
                doc,
                ty,
                default,
                skip_if_none,
                flatten: false,
                origin: self.docs.origin(&loc),
            });
        }
        let mut deny_unknown_fields = false;
        match self.rest_type(at, map, patterns, additional, &path.name) {
            Rest::Map(ty) => {
                let ty = match keys {
                    Some(pattern) => {
                        let constraints = Constraints {
                            pattern: Some(pattern),
                            ..Constraints::default()
                        };
                        let slot = Slot::Fresh(format!("{}Extra", path.name));
                        self.checked_map(at, map, &slot, ty, constraints)
                    }
                    None => TypeRef::Map(Box::new(ty)),
                };
                let name = naming::unique("extra".to_owned(), &mut taken);
                fields.push(Field {
                    wire_name: name.clone(),
                    name,
                    aliases: Vec::new(),
                    doc: Some("Properties the schema does not name.".to_owned()),
                    ty,
                    default: None,
                    skip_if_none: false,
                    flatten: true,
                    origin: self.docs.origin(at),
                });
            }
            Rest::Closed => deny_unknown_fields = true,
            Rest::None => {}
        }
        self.define(
            path.clone(),
            at,
            docs_of(map),
            TypeKind::Struct(StructDef {
                fields,
                deny_unknown_fields,
            }),
        );
        TypeRef::Named(path)
    }

    /// What becomes of the properties an object does not name.
    fn rest_type(
        &mut self,
        at: &Loc,
        map: &Map<String, Value>,
        patterns: &Map<String, Value>,
        additional: Option<&Value>,
        base: &str,
    ) -> Rest {
        let additional_loc = if map.contains_key("additionalProperties") {
            at.push("additionalProperties")
        } else {
            at.push("unevaluatedProperties")
        };
        let closed = additional == Some(&Value::Bool(false));
        if !patterns.is_empty() {
            let mut types = Vec::new();
            for (pattern, _) in patterns {
                let loc = at.push("patternProperties").push(pattern);
                types.push(self.lower(&loc, &format!("{base}Value")));
            }
            if let Some(extra @ Value::Object(_)) = additional {
                let _ = extra;
                types.push(self.lower(&additional_loc, &format!("{base}Value")));
            }
            types.dedup();
            return match types.as_slice() {
                // Only when nothing else is allowed can every value have one type.
                [one] if closed || matches!(additional, Some(Value::Object(_))) => {
                    Rest::Map(one.clone())
                }
                _ => Rest::Map(TypeRef::Scalar(Scalar::Json)),
            };
        }
        match additional {
            Some(Value::Bool(false)) => Rest::Closed,
            Some(Value::Object(_)) => {
                Rest::Map(self.lower(&additional_loc, &format!("{base}Value")))
            }
            _ if self.settings.keep_unknown_properties => Rest::Map(TypeRef::Scalar(Scalar::Json)),
            _ => Rest::None,
        }
    }

    /// An array: `Vec<T>`, in a checking newtype when it has `minItems`/`maxItems`.
    pub(crate) fn lower_array(
        &mut self,
        at: &Loc,
        map: &Map<String, Value>,
        slot: &Slot,
    ) -> TypeRef {
        let base = self.slot_hint(slot);
        let items = match (map.get("prefixItems"), map.get("items")) {
            (Some(_), _) | (None, Some(Value::Array(_))) => self.fallback(
                at,
                "tuple arrays ('prefixItems', 'items' as an array) are not typed",
            ),
            (None, Some(Value::Object(_) | Value::Bool(_))) => {
                self.lower(&at.push("items"), &format!("{base}Item"))
            }
            _ => TypeRef::Scalar(Scalar::Json),
        };
        let list = TypeRef::List(Box::new(items));
        let constraints = Constraints {
            min_length: map
                .get("minItems")
                .and_then(Value::as_u64)
                .filter(|n| *n > 0),
            max_length: map.get("maxItems").and_then(Value::as_u64),
            unique_items: map.get("uniqueItems") == Some(&Value::Bool(true)),
            ..Constraints::default()
        };
        if constraints.is_empty() {
            return list;
        }
        let path = self.claim(slot);
        self.define(
            path.clone(),
            at,
            docs_of(map),
            TypeKind::Newtype(NewtypeDef {
                inner: list,
                constraints,
            }),
        );
        TypeRef::Named(path)
    }
}

impl Lowerer<'_> {
    /// The pattern every key outside `properties` must match: one of the
    /// `patternProperties` when nothing else is allowed, else `propertyNames`'
    /// `pattern`. Patterns the regex crate cannot compile are reported and dropped.
    fn key_pattern(
        &mut self,
        at: &Loc,
        map: &Map<String, Value>,
        patterns: &Map<String, Value>,
        additional: Option<&Value>,
    ) -> Option<String> {
        let names = map.get("propertyNames");
        if let Some(Value::Object(rules)) = names
            && rules
                .keys()
                .any(|k| !matches!(k.as_str(), "pattern" | "type" | "description" | "$comment"))
        {
            self.unenforced(
                &at.push("propertyNames"),
                "only 'propertyNames.pattern' is checked",
            );
        }
        let compiles = |lowerer: &mut Self, loc: Loc, p: &str| match regex::Regex::new(p) {
            Ok(_) => true,
            Err(e) => {
                let reason = e.to_string();
                let reason = reason.lines().last().unwrap_or_default().trim().to_owned();
                lowerer.unenforced(
                    &loc,
                    format!("key pattern {p:?} is not supported by the regex crate ({reason})"),
                );
                false
            }
        };
        if additional == Some(&Value::Bool(false)) && !patterns.is_empty() {
            let mut all = Vec::with_capacity(patterns.len());
            for p in patterns.keys() {
                if !compiles(self, at.push("patternProperties").push(p), p) {
                    return None;
                }
                all.push(format!("(?:{p})"));
            }
            if names.is_some() {
                self.unenforced(
                    &at.push("propertyNames"),
                    "'propertyNames' next to closed 'patternProperties' is not checked",
                );
            }
            return Some(all.join("|"));
        }
        let pattern = names?.get("pattern")?.as_str()?;
        compiles(self, at.push("propertyNames").push("pattern"), pattern)
            .then(|| pattern.to_owned())
    }

    /// `BTreeMap<String, ty>`, in a checking newtype when `constraints` say anything.
    fn checked_map(
        &mut self,
        at: &Loc,
        map: &Map<String, Value>,
        slot: &Slot,
        ty: TypeRef,
        constraints: Constraints,
    ) -> TypeRef {
        let inner = TypeRef::Map(Box::new(ty));
        if constraints.is_empty() {
            return inner;
        }
        let path = self.claim(slot);
        self.define(
            path.clone(),
            at,
            docs_of(map),
            TypeKind::Newtype(NewtypeDef { inner, constraints }),
        );
        TypeRef::Named(path)
    }
}

/// Whether the emitter reads `ty` through a codec (scalars without a serde form of
/// their own, outside named types).
fn has_codec(ty: &TypeRef) -> bool {
    match ty {
        TypeRef::Scalar(s) => matches!(s, Scalar::Uuid | Scalar::Decimal(_)),
        TypeRef::Option { inner, .. }
        | TypeRef::List(inner)
        | TypeRef::Map(inner)
        | TypeRef::Boxed(inner) => has_codec(inner),
        TypeRef::Named(_) => false,
    }
}

/// The properties an object does not name.
enum Rest {
    /// Kept in a flattened map of this value type.
    Map(TypeRef),
    /// Refused (`deny_unknown_fields`).
    Closed,
    /// Dropped (open object, [`super::JsonSettings::keep_unknown_properties`] off).
    None,
}
