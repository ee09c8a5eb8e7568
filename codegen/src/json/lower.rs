//! The walk: one memoised lowering per schema location, names, diagnostics, and the
//! dispatch from a schema object to the builder for its shape.
//!
//! Every location (document + JSON pointer) is lowered once; a `$ref` to it reuses
//! the result. A location reached again while it is still being lowered is a
//! recursive type: it gets its name on the spot, and the location is then always
//! emitted as a named type ([`crate::recursion::box_cycles`] adds the boxes).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::resolve::{Doc, Docs, Loc, last_tokens};
use super::{Diagnostic, DiagnosticKind, JsonSettings};
use crate::error::Error;
use crate::ir::{Constraints, NewtypeDef, Scalar, TypeDef, TypeKind, TypePath, TypeRef};
use crate::naming;

/// How deep lowering may nest (through properties and references) before giving up.
const MAX_DEPTH: usize = 160;

/// Names generated types must not take: they would shadow what a reader expects
/// (generated code itself uses absolute paths, so this is about readability).
const RESERVED: &[&str] = &[
    "Option", "Result", "Box", "Vec", "String", "Value", "Some", "None", "Ok", "Err",
];

/// Where the type being built gets its name.
#[derive(Debug, Clone)]
pub(crate) enum Slot {
    /// The name reserved for a location (its `$defs` key, title or path).
    At(Loc),
    /// A fresh name made from this hint.
    Fresh(String),
}

enum Memo {
    InProgress {
        hint: String,
        path: Option<TypePath>,
        defined: bool,
    },
    Done(TypeRef),
}

/// The state of one lowering.
pub(crate) struct Lowerer<'s> {
    pub(crate) docs: Docs,
    pub(crate) settings: &'s JsonSettings,
    memo: BTreeMap<Loc, Memo>,
    defs: BTreeMap<TypePath, TypeDef>,
    /// Type names in use, per module.
    taken: BTreeMap<Vec<String>, BTreeSet<String>>,
    /// The module of the location being lowered.
    module: Vec<String>,
    /// Names schema authors chose (roots, `$defs` keys), and where.
    primary: BTreeMap<TypePath, Loc>,
    /// Two different types claiming one chosen name in different files.
    conflicts: Vec<Error>,
    diagnostics: Vec<Diagnostic>,
    depth: usize,
    root_name: Option<String>,
}

impl<'s> Lowerer<'s> {
    pub(crate) fn new(docs: Docs, settings: &'s JsonSettings) -> Self {
        Lowerer {
            docs,
            settings,
            memo: BTreeMap::new(),
            defs: BTreeMap::new(),
            taken: BTreeMap::new(),
            module: settings.module.clone(),
            primary: BTreeMap::new(),
            conflicts: Vec::new(),
            diagnostics: Vec::new(),
            depth: 0,
            root_name: None,
        }
    }

    /// Lowers the root of document `doc` into a named type and returns its path.
    pub(crate) fn lower_root(&mut self, doc: usize, name: Option<&str>) -> TypePath {
        self.root_name = name.map(str::to_owned);
        let loc = Loc {
            doc,
            ptr: String::new(),
        };
        let ty = self.lower(&loc, "Root");
        self.root_name = None;
        self.module = self.docs.get(doc).module.clone();
        let requested = name.map(naming::type_name);
        match ty {
            TypeRef::Named(p)
                if self.defs.contains_key(&p)
                    && requested.as_ref().is_none_or(|r| *r == p.name) =>
            {
                p
            }
            other => {
                // A root that is not a definition of its own (a string, a list, a
                // reference to a definition, a nullable type) gets an alias, so every
                // file has a root type by a predictable name.
                let hint = match (&other, name) {
                    (TypeRef::Option { inner, .. }, _) if matches!(&**inner, TypeRef::Named(_)) => {
                        match &**inner {
                            TypeRef::Named(p) => format!("Nullable{}", p.name),
                            _ => String::new(),
                        }
                    }
                    (_, Some(n)) => n.to_owned(),
                    (_, None) => self.root_hint(&self.docs.get(doc)),
                };
                let path = self.alloc(&hint);
                let origin = self.docs.origin(&loc);
                self.defs.insert(
                    path.clone(),
                    TypeDef {
                        path: path.clone(),
                        schema_name: origin.file.clone(),
                        doc: Some(format!("The root type of `{}`.", origin.file)),
                        origin,
                        kind: TypeKind::Alias(other),
                    },
                );
                path
            }
        }
    }

    /// The definitions and diagnostics; the first fallback is an error unless the
    /// fallback is enabled.
    pub(crate) fn finish(mut self) -> Result<(Vec<TypeDef>, Vec<Diagnostic>), Error> {
        if !self.conflicts.is_empty() {
            return Err(self.conflicts.swap_remove(0));
        }
        if !self.settings.json_fallback
            && let Some(d) = self
                .diagnostics
                .iter()
                .find(|d| d.kind == DiagnosticKind::Fallback)
        {
            return Err(Error::Unsupported {
                origin: d.origin.clone(),
                message: d.message.clone(),
            });
        }
        Ok((self.defs.into_values().collect(), self.diagnostics))
    }

    // ----- diagnostics -----------------------------------------------------------

    /// Records that the schema at `loc` became `serde_json::Value`.
    pub(crate) fn fallback(&mut self, loc: &Loc, message: impl Into<String>) -> TypeRef {
        self.diagnostics.push(Diagnostic {
            origin: self.docs.origin(loc),
            kind: DiagnosticKind::Fallback,
            message: message.into(),
        });
        TypeRef::Scalar(Scalar::Json)
    }

    /// Records a check the types do not make.
    pub(crate) fn unenforced(&mut self, loc: &Loc, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            origin: self.docs.origin(loc),
            kind: DiagnosticKind::Unenforced,
            message: message.into(),
        });
    }

    // ----- names -----------------------------------------------------------------

    /// A fresh, unique type path from `hint`.
    pub(crate) fn alloc(&mut self, hint: &str) -> TypePath {
        let taken = self
            .taken
            .entry(self.module.clone())
            .or_insert_with(|| RESERVED.iter().map(|s| (*s).to_owned()).collect());
        let name = naming::unique(naming::type_name(hint), taken);
        TypePath {
            module: self.module.clone(),
            name,
        }
    }

    /// The path for the type being built in `slot`; marks a location's name used.
    pub(crate) fn claim(&mut self, slot: &Slot) -> TypePath {
        let hint = match slot {
            Slot::Fresh(hint) => return self.alloc(hint),
            Slot::At(loc) => match self.memo.get(loc) {
                Some(Memo::InProgress {
                    path: Some(p),
                    defined: false,
                    ..
                }) => {
                    let p = p.clone();
                    if let Some(Memo::InProgress { defined, .. }) = self.memo.get_mut(loc) {
                        *defined = true;
                    }
                    return p;
                }
                Some(Memo::InProgress {
                    path: None, hint, ..
                }) => hint.clone(),
                Some(Memo::InProgress {
                    path: Some(p),
                    defined: true,
                    ..
                }) => format!("{}Inner", p.name),
                _ => "Type".to_owned(),
            },
        };
        let path = self.alloc(&hint);
        if let Slot::At(loc) = slot
            && let Some(Memo::InProgress {
                path: slot_path @ None,
                defined,
                ..
            }) = self.memo.get_mut(loc)
        {
            *slot_path = Some(path.clone());
            *defined = true;
        }
        path
    }

    /// The name a slot's type has or would get, as a prefix for its parts' names.
    pub(crate) fn slot_hint(&self, slot: &Slot) -> String {
        match slot {
            Slot::Fresh(h) => h.clone(),
            Slot::At(loc) => match self.memo.get(loc) {
                Some(Memo::InProgress { path: Some(p), .. }) => p.name.clone(),
                Some(Memo::InProgress { hint, .. }) => naming::type_name(hint),
                _ => "Type".to_owned(),
            },
        }
    }

    /// How a location wants to be named: the key under `$defs`/`definitions`, the
    /// root's title or file name, else what the caller suggests.
    /// Whether the name is one the schema's author chose (then it must not be
    /// taken by a different type from another file).
    fn location_hint(&self, loc: &Loc, caller: &str) -> (String, bool) {
        let doc = self.docs.get(loc.doc);
        if doc.synthetic.is_some() {
            return (caller.to_owned(), false);
        }
        if loc.ptr.is_empty() {
            return match &self.root_name {
                Some(name) if loc.doc == 0 || self.docs.get(loc.doc).names.is_empty() => {
                    (name.clone(), true)
                }
                _ => (self.root_hint(&doc), true),
            };
        }
        match last_tokens(&loc.ptr) {
            (Some(key), Some(parent)) if parent == "definitions" || parent == "$defs" => {
                (key, true)
            }
            _ => (caller.to_owned(), false),
        }
    }

    /// For a location with a chosen name: the type of an identical definition under
    /// that name in another file (reused), or `None`. A *different* definition
    /// under that name in another file is a conflict, reported by [`Self::finish`].
    fn same_named(&mut self, loc: &Loc, hint: &str) -> Option<TypeRef> {
        let path = TypePath {
            module: self.module.clone(),
            name: naming::type_name(hint),
        };
        let Some(first) = self.primary.get(&path).cloned() else {
            self.primary.insert(path, loc.clone());
            return None;
        };
        let (a, b) = (self.docs.get(first.doc), self.docs.get(loc.doc));
        if a.label == b.label {
            return None;
        }
        if a.value.pointer(&first.ptr) == b.value.pointer(&loc.ptr) {
            return Some(self.lower(&first, hint));
        }
        self.conflicts.push(Error::Conflict {
            name: path.to_string(),
            first: Box::new(self.docs.origin(&first)),
            second: Box::new(self.docs.origin(loc)),
            detail: "two different schemas claim one type name (name one of the roots \
                     explicitly, or rename a definition)"
                .to_owned(),
        });
        None
    }

    fn root_hint(&self, doc: &Doc) -> String {
        doc.value
            .get("title")
            .and_then(Value::as_str)
            .filter(|t| name_like(t))
            .map_or_else(|| doc.stem.clone(), str::to_owned)
    }

    /// Adds a definition.
    pub(crate) fn define(&mut self, path: TypePath, at: &Loc, doc: Option<String>, kind: TypeKind) {
        let origin = self.docs.origin(at);
        let schema_name = if origin.pointer.is_empty() {
            origin.file.clone()
        } else {
            format!("{}#{}", origin.file, origin.pointer)
        };
        self.defs.insert(
            path.clone(),
            TypeDef {
                path,
                schema_name,
                doc,
                origin,
                kind,
            },
        );
    }

    /// A finished definition (for ordering untagged variants).
    pub(crate) fn def(&self, path: &TypePath) -> Option<&TypeDef> {
        self.defs.get(path)
    }

    // ----- the walk --------------------------------------------------------------

    /// Lowers the schema at `loc`, once; `hint` names it unless the location has a
    /// better name of its own.
    pub(crate) fn lower(&mut self, loc: &Loc, hint: &str) -> TypeRef {
        match self.memo.get(loc) {
            Some(Memo::Done(t)) => return t.clone(),
            Some(Memo::InProgress { path: Some(p), .. }) => return TypeRef::Named(p.clone()),
            Some(Memo::InProgress { hint, .. }) => {
                let hint = hint.clone();
                let outer =
                    std::mem::replace(&mut self.module, self.docs.get(loc.doc).module.clone());
                let p = self.alloc(&hint);
                self.module = outer;
                if let Some(Memo::InProgress { path, .. }) = self.memo.get_mut(loc) {
                    *path = Some(p.clone());
                }
                return TypeRef::Named(p);
            }
            None => {}
        }
        if self.depth >= MAX_DEPTH {
            return self.fallback(loc, "the schema nests too deeply to type");
        }
        let outer = std::mem::replace(&mut self.module, self.docs.get(loc.doc).module.clone());
        let ty = self.lower_new(loc, hint);
        self.module = outer;
        ty
    }

    /// [`Self::lower`] for a location not seen before, in its document's module.
    fn lower_new(&mut self, loc: &Loc, hint: &str) -> TypeRef {
        let (hint, chosen) = self.location_hint(loc, hint);
        if chosen && let Some(ty) = self.same_named(loc, &hint) {
            self.memo.insert(loc.clone(), Memo::Done(ty.clone()));
            return ty;
        }
        self.memo.insert(
            loc.clone(),
            Memo::InProgress {
                hint,
                path: None,
                defined: false,
            },
        );
        self.depth += 1;
        let ty = self.lower_at(loc, &Slot::At(loc.clone()));
        self.depth -= 1;
        let ty = match self.memo.remove(loc) {
            Some(Memo::InProgress {
                path: Some(p),
                defined: false,
                ..
            }) => {
                // Used recursively but lowered to something unnamed (a list of
                // itself, a reference): a newtype gives the cycle a name. An alias
                // would not do, as type aliases cannot be recursive.
                let doc = self.doc_at(loc);
                self.define(
                    p.clone(),
                    loc,
                    doc,
                    TypeKind::Newtype(NewtypeDef {
                        inner: ty,
                        constraints: Constraints::default(),
                    }),
                );
                TypeRef::Named(p)
            }
            _ => ty,
        };
        self.memo.insert(loc.clone(), Memo::Done(ty.clone()));
        ty
    }

    /// The documentation of the schema at `loc`.
    pub(crate) fn doc_at(&self, loc: &Loc) -> Option<String> {
        let doc = self.docs.get(loc.doc);
        doc.value
            .pointer(&loc.ptr)
            .and_then(Value::as_object)
            .and_then(docs_of)
    }

    /// Lowers the schema at `at` (no memo), naming what it defines by `slot`.
    pub(crate) fn lower_at(&mut self, at: &Loc, slot: &Slot) -> TypeRef {
        let doc = self.docs.get(at.doc);
        match doc.value.pointer(&at.ptr) {
            Some(Value::Object(map)) => self.lower_object_schema(at, map, slot),
            Some(Value::Bool(true)) => TypeRef::Scalar(Scalar::Json),
            Some(Value::Bool(false)) => {
                self.unenforced(at, "the schema `false` accepts nothing; typed as any value");
                TypeRef::Scalar(Scalar::Json)
            }
            _ => self.fallback(at, "not a schema"),
        }
    }

    /// Puts `value` into a new synthetic document standing for `origin_at` and
    /// lowers it.
    pub(crate) fn lower_synthetic(
        &mut self,
        value: Value,
        origin_at: &Loc,
        slot: &Slot,
    ) -> TypeRef {
        let at = self.synthetic(value, origin_at);
        self.lower_at(&at, slot)
    }

    /// Puts `value` into a new synthetic document standing for `origin_at`.
    pub(crate) fn synthetic(&mut self, value: Value, origin_at: &Loc) -> Loc {
        let from = self.docs.get(origin_at.doc);
        let origin = self.docs.origin(origin_at);
        let doc = self.docs.push(Doc {
            label: from.label.clone(),
            stem: from.stem.clone(),
            names: Vec::new(),
            value,
            draft: from.draft,
            synthetic: Some(origin),
            module: from.module.clone(),
        });
        Loc {
            doc,
            ptr: String::new(),
        }
    }

    fn lower_object_schema(&mut self, at: &Loc, map: &Map<String, Value>, slot: &Slot) -> TypeRef {
        self.note_unenforced(at, map);
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            if has_structure_besides_ref(map) {
                return self.lower_merged(at, map, slot);
            }
            let Some(target) = self.docs.resolve(at.doc, reference) else {
                return self.fallback(at, format!("'$ref' '{reference}' does not resolve"));
            };
            let hint = self.slot_hint(slot);
            let ty = self.lower(&target, &hint);
            return if map.get("nullable") == Some(&Value::Bool(true)) {
                optional(ty)
            } else {
                ty
            };
        }
        for dynamic in ["$recursiveRef", "$dynamicRef"] {
            if let Some(reference) = map.get(dynamic).and_then(Value::as_str) {
                let target = match reference.split_once('#') {
                    Some((_, "")) | None => self.docs.resolve(at.doc, "#"),
                    Some(_) => self.docs.resolve(at.doc, reference),
                };
                let Some(target) = target else {
                    return self
                        .fallback(at, format!("'{dynamic}' '{reference}' does not resolve"));
                };
                self.unenforced(at, format!("'{dynamic}' is resolved statically"));
                let hint = self.slot_hint(slot);
                return self.lower(&target, &hint);
            }
        }
        if map
            .get("allOf")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
        {
            return self.lower_merged(at, map, slot);
        }
        let (types, nullable) = type_set(map);
        let ty = if map.contains_key("oneOf") || map.contains_key("anyOf") {
            self.lower_union(at, map, slot)
        } else if let Some(values) = map.get("enum").and_then(Value::as_array) {
            self.lower_enum(at, map, values, slot)
        } else if let Some(value) = map.get("const") {
            self.lower_enum(at, map, std::slice::from_ref(value), slot)
        } else {
            match types.as_slice() {
                [] if nullable => TypeRef::Scalar(Scalar::Unit),
                [] => match infer_type(map) {
                    Some(t) => self.lower_typed(at, map, t, slot),
                    None => TypeRef::Scalar(Scalar::Json),
                },
                [t] => self.lower_typed(at, map, t, slot),
                many => self.lower_multi_type(at, map, many, slot),
            }
        };
        if nullable { optional(ty) } else { ty }
    }

    /// Lowers the schema as one JSON type (`type` may list several).
    pub(crate) fn lower_typed(
        &mut self,
        at: &Loc,
        map: &Map<String, Value>,
        t: &str,
        slot: &Slot,
    ) -> TypeRef {
        match t {
            "object" => self.lower_object(at, map, slot),
            "array" => self.lower_array(at, map, slot),
            "string" => self.lower_string(at, map, slot),
            "integer" => self.lower_integer(at, map, slot),
            "number" => self.lower_number(at, map, slot),
            "boolean" => TypeRef::Scalar(Scalar::Bool),
            "null" => TypeRef::Scalar(Scalar::Unit),
            _ => TypeRef::Scalar(Scalar::Json),
        }
    }

    /// Reports validation keywords that have no counterpart in the types.
    fn note_unenforced(&mut self, at: &Loc, map: &Map<String, Value>) {
        const IGNORED: &[&str] = &[
            "not",
            "if",
            "dependencies",
            "dependentRequired",
            "dependentSchemas",
            "contains",
            "unevaluatedItems",
            "minContains",
            "maxContains",
        ];
        for key in IGNORED {
            if map.contains_key(*key) {
                self.unenforced(&at.push(key), format!("'{key}' is not checked"));
            }
        }
    }
}

/// `Option<ty>`, without doubling an `Option`.
pub(crate) fn optional(ty: TypeRef) -> TypeRef {
    match ty {
        TypeRef::Option { .. } => ty,
        other => TypeRef::Option {
            inner: Box::new(other),
            null_index: None,
        },
    }
}

/// The non-null `type`s of a schema and whether `null` is allowed.
pub(crate) fn type_set(map: &Map<String, Value>) -> (Vec<&str>, bool) {
    let mut types: Vec<&str> = match map.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let mut nullable = map.get("nullable") == Some(&Value::Bool(true));
    if types.contains(&"null") {
        nullable = true;
        types.retain(|t| *t != "null");
    }
    types.dedup();
    (types, nullable)
}

/// The JSON type a schema without `type` is about, from its keywords.
fn infer_type(map: &Map<String, Value>) -> Option<&'static str> {
    let has = |keys: &[&str]| keys.iter().any(|k| map.contains_key(*k));
    if has(&[
        "properties",
        "patternProperties",
        "additionalProperties",
        "required",
        "unevaluatedProperties",
    ]) {
        Some("object")
    } else if has(&["items", "prefixItems", "minItems", "maxItems"]) {
        Some("array")
    } else {
        None
    }
}

/// Whether a schema with `$ref` has siblings that say more than annotations (then
/// the reference and the siblings are merged, as 2019-09 specifies and as authors of
/// older drafts usually mean).
fn has_structure_besides_ref(map: &Map<String, Value>) -> bool {
    const STRUCTURAL: &[&str] = &[
        "properties",
        "patternProperties",
        "additionalProperties",
        "required",
        "allOf",
        "oneOf",
        "anyOf",
        "items",
        "type",
        "enum",
        "const",
    ];
    STRUCTURAL.iter().any(|k| map.contains_key(*k))
}

/// A title short enough to be a type name (SchemaStore titles are often sentences).
pub(crate) fn name_like(title: &str) -> bool {
    let words = title.split_whitespace().count();
    (1..=4).contains(&words)
        && title.len() <= 48
        && title
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'))
}

/// `title` and `description` as documentation.
pub(crate) fn docs_of(map: &Map<String, Value>) -> Option<String> {
    let title = map.get("title").and_then(Value::as_str).map(str::trim);
    let description = map
        .get("description")
        .or_else(|| map.get("markdownDescription"))
        .and_then(Value::as_str)
        .map(str::trim);
    let doc = match (
        title.filter(|t| !t.is_empty()),
        description.filter(|d| !d.is_empty()),
    ) {
        (Some(t), Some(d)) if t != d => format!("{t}\n\n{d}"),
        (Some(t), _) => t.to_owned(),
        (None, Some(d)) => d.to_owned(),
        (None, None) => return None,
    };
    Some(clean_doc(&doc))
}

/// Documentation text without carriage returns (a bare one is not allowed in a doc
/// comment).
pub(crate) fn clean_doc(doc: &str) -> String {
    doc.replace("\r\n", "\n").replace('\r', "\n")
}
