//! The documents of one lowering and `$ref` resolution between them.
//!
//! evreg-core checks that every reference resolves when it parses a schema, but keeps
//! its resolver private; this one follows the same rules (see
//! `evreg_core::json`): a `#...` reference stays in its document, anything else
//! names another document by one of the names it was given, by that name resolved
//! against the referring document's `$id`, by the other document's own `$id`, or an
//! embedded resource (a subschema with that `$id`). Fragments are JSON pointers or
//! plain-name anchors.
//!
//! Besides the real documents there are *synthetic* ones: schemas evgen assembles
//! itself (an `allOf` merged into one object, a `oneOf` branch without its tag).
//! Their subschemas come from several documents, so every `$ref` copied into them is
//! first made absolute ([`Docs::absolutize`]): `evgen:<doc>#<pointer>`.

use std::rc::Rc;

use evreg_core::json::Draft;
use serde_json::{Map, Value};

use crate::ir::Origin;

/// Keywords whose values are data, never schemas.
pub(crate) const DATA_KEYWORDS: [&str; 4] = ["enum", "const", "default", "examples"];

/// Keywords whose value maps names to schemas.
pub(crate) const SCHEMA_MAPS: [&str; 6] = [
    "properties",
    "patternProperties",
    "definitions",
    "$defs",
    "dependentSchemas",
    "dependencies",
];

/// The scheme of absolute references in synthetic documents.
const ABSOLUTE: &str = "evgen:";

/// A place in a document: the unit of memoisation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Loc {
    /// Index into [`Docs`].
    pub(crate) doc: usize,
    /// JSON pointer inside that document.
    pub(crate) ptr: String,
}

impl Loc {
    /// The location of `token` under this one.
    pub(crate) fn push(&self, token: &str) -> Loc {
        Loc {
            doc: self.doc,
            ptr: pointer_push(&self.ptr, token),
        }
    }
}

/// One document.
#[derive(Debug)]
pub(crate) struct Doc {
    /// The file label used in messages.
    pub(crate) label: String,
    /// File stem, for naming the root.
    pub(crate) stem: String,
    /// The names references use for it (empty for the main schema).
    pub(crate) names: Vec<String>,
    /// The parsed value.
    pub(crate) value: Value,
    /// Its draft.
    pub(crate) draft: Draft,
    /// For synthetic documents: where the construct they stand for is written.
    pub(crate) synthetic: Option<Origin>,
    /// The module its types are emitted into.
    pub(crate) module: Vec<String>,
}

/// All documents of one lowering; `0` is the main schema.
#[derive(Debug, Default)]
pub(crate) struct Docs {
    docs: Vec<Rc<Doc>>,
}

impl Docs {
    /// Adds a document and returns its index.
    pub(crate) fn push(&mut self, doc: Doc) -> usize {
        self.docs.push(Rc::new(doc));
        self.docs.len() - 1
    }

    /// The document at `index`.
    pub(crate) fn get(&self, index: usize) -> Rc<Doc> {
        // Indices only ever come from `push`, so this never goes out of range; the
        // empty document keeps the function total anyway.
        self.docs.get(index).cloned().unwrap_or_else(|| {
            Rc::new(Doc {
                label: String::new(),
                stem: String::new(),
                names: Vec::new(),
                value: Value::Bool(true),
                draft: Draft::Draft7,
                synthetic: None,
                module: Vec::new(),
            })
        })
    }

    /// Where `loc` is, for messages: synthetic documents report their origin.
    pub(crate) fn origin(&self, loc: &Loc) -> Origin {
        let doc = self.get(loc.doc);
        match &doc.synthetic {
            Some(o) => o.clone(),
            None => Origin {
                file: doc.label.clone(),
                pointer: loc.ptr.clone(),
            },
        }
    }

    /// Resolves `reference`, written in document `from`.
    pub(crate) fn resolve(&self, from: usize, reference: &str) -> Option<Loc> {
        if let Some(rest) = reference.strip_prefix(ABSOLUTE) {
            let (doc, ptr) = rest.split_once('#')?;
            let doc: usize = doc.parse().ok()?;
            self.docs.get(doc)?.value.pointer(ptr)?;
            return Some(Loc {
                doc,
                ptr: ptr.to_owned(),
            });
        }
        let (uri, fragment) = match reference.split_once('#') {
            Some((uri, fragment)) => (uri, Some(fragment)),
            None => (reference, None),
        };
        let base = if uri.is_empty() {
            Loc {
                doc: from,
                ptr: String::new(),
            }
        } else if let Some(doc) = self.by_name(reference) {
            // The whole reference, fragment included, is a registered name.
            return Some(Loc {
                doc,
                ptr: String::new(),
            });
        } else {
            self.locate(from, uri)?
        };
        let doc = self.docs.get(base.doc)?;
        let ptr = match fragment {
            None | Some("") => base.ptr,
            Some(f) if f.starts_with('/') => format!("{}{}", base.ptr, percent_decode(f)?),
            Some(anchor) => find_anchor(&doc.value, &base.ptr, &percent_decode(anchor)?)?,
        };
        doc.value.pointer(&ptr)?;
        Some(Loc { doc: base.doc, ptr })
    }

    fn by_name(&self, name: &str) -> Option<usize> {
        self.docs
            .iter()
            .position(|d| d.synthetic.is_none() && d.names.iter().any(|n| n == name))
    }

    /// Finds the document (or embedded resource) a non-empty URI names.
    fn locate(&self, from: usize, uri: &str) -> Option<Loc> {
        let from_doc = self.docs.get(from)?;
        let resolved = document_id(&from_doc.value).map(|base| join(base, uri));
        let names = [Some(uri), resolved.as_deref()];
        for name in names.into_iter().flatten() {
            if let Some(doc) = self.by_name(name) {
                return Some(Loc {
                    doc,
                    ptr: String::new(),
                });
            }
        }
        for name in names.into_iter().flatten() {
            let found = self.docs.iter().position(|d| {
                d.synthetic.is_none()
                    && document_id(&d.value).is_some_and(|id| id.trim_end_matches('#') == name)
            });
            if let Some(doc) = found {
                return Some(Loc {
                    doc,
                    ptr: String::new(),
                });
            }
        }
        for name in names.into_iter().flatten() {
            if let Some(ptr) = find_id(&from_doc.value, "", name) {
                return Some(Loc { doc: from, ptr });
            }
        }
        None
    }

    /// A copy of `value` (found at `at`) that can be placed in a synthetic document:
    /// its references are absolute, and the schemas of its properties, items and
    /// additional properties are replaced by references to where they are written,
    /// so they are lowered (and named) once however many merges copy them.
    pub(crate) fn absolutize(&self, value: &Value, at: &Loc) -> Value {
        let reference = |loc: &Loc| {
            let mut m = Map::new();
            m.insert("$ref".to_owned(), Value::String(absolute(loc)));
            Value::Object(m)
        };
        match value {
            Value::Object(map) => {
                let mut out = Map::with_capacity(map.len());
                for (key, child) in map {
                    let here = at.push(key);
                    let new = match key.as_str() {
                        "$ref" => match child.as_str().and_then(|r| self.resolve(at.doc, r)) {
                            Some(loc) => Value::String(absolute(&loc)),
                            None => child.clone(),
                        },
                        k if DATA_KEYWORDS.contains(&k) => child.clone(),
                        "additionalProperties"
                        | "unevaluatedProperties"
                        | "items"
                        | "additionalItems"
                            if child.is_object() =>
                        {
                            reference(&here)
                        }
                        k if SCHEMA_MAPS.contains(&k) => match child {
                            Value::Object(members) => Value::Object(
                                members
                                    .iter()
                                    .map(|(n, s)| {
                                        let loc = here.push(n);
                                        let s = if s.is_object() {
                                            reference(&loc)
                                        } else {
                                            s.clone()
                                        };
                                        (n.clone(), s)
                                    })
                                    .collect(),
                            ),
                            other => other.clone(),
                        },
                        _ => self.absolutize(child, &here),
                    };
                    out.insert(key.clone(), new);
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.absolutize(v, &at.push(&i.to_string())))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// The absolute reference to `loc`.
pub(crate) fn absolute(loc: &Loc) -> String {
    format!("{ABSOLUTE}{}#{}", loc.doc, loc.ptr)
}

/// Appends one reference token to a JSON pointer, escaping `~` and `/`.
pub(crate) fn pointer_push(base: &str, token: &str) -> String {
    let mut out = String::with_capacity(base.len() + token.len() + 1);
    out.push_str(base);
    out.push('/');
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

/// The last reference token of a pointer, unescaped, and the one before it.
pub(crate) fn last_tokens(ptr: &str) -> (Option<String>, Option<String>) {
    let unescape = |t: &str| t.replace("~1", "/").replace("~0", "~");
    let mut it = ptr.rsplit('/');
    let last = it.next().filter(|_| !ptr.is_empty()).map(unescape);
    let before = it
        .next()
        .filter(|_| ptr.matches('/').count() >= 2)
        .map(unescape);
    (last, before)
}

/// The root `$id` (`id` in draft 4) of a document.
fn document_id(value: &Value) -> Option<&str> {
    let object = value.as_object()?;
    object
        .get("$id")
        .or_else(|| object.get("id"))
        .and_then(Value::as_str)
}

/// Resolves a relative URI against a base (absolute URIs stand alone, others
/// replace the base's last path segment).
fn join(base: &str, uri: &str) -> String {
    if uri.contains("://") || uri.starts_with("urn:") {
        return uri.to_owned();
    }
    let base = base.split('#').next().unwrap_or(base);
    match base.rfind('/') {
        Some(slash) => format!("{}{}", &base[..=slash], uri),
        None => uri.to_owned(),
    }
}

/// Finds an embedded schema resource by `$id`.
fn find_id(value: &Value, pointer: &str, id: &str) -> Option<String> {
    match value {
        Value::Object(map) => {
            if !pointer.is_empty() && map.get("$id").and_then(Value::as_str) == Some(id) {
                return Some(pointer.to_owned());
            }
            map.iter()
                .filter(|(k, _)| !DATA_KEYWORDS.contains(&k.as_str()))
                .find_map(|(k, v)| find_id(v, &pointer_push(pointer, k), id))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_id(v, &pointer_push(pointer, &i.to_string()), id)),
        _ => None,
    }
}

/// Finds a plain-name fragment: `$anchor: name`, or `$id`/`id` ending in `#name`.
fn find_anchor(root: &Value, start: &str, name: &str) -> Option<String> {
    fn walk(value: &Value, pointer: &str, name: &str) -> Option<String> {
        match value {
            Value::Object(map) => {
                let by_anchor = ["$anchor", "$dynamicAnchor"]
                    .iter()
                    .any(|k| map.get(*k).and_then(Value::as_str) == Some(name));
                let by_id = ["$id", "id"].iter().any(|k| {
                    map.get(*k)
                        .and_then(Value::as_str)
                        .and_then(|id| id.split_once('#'))
                        .is_some_and(|(_, anchor)| anchor == name)
                });
                if by_anchor || by_id {
                    return Some(pointer.to_owned());
                }
                map.iter()
                    .filter(|(k, _)| !DATA_KEYWORDS.contains(&k.as_str()))
                    .find_map(|(k, v)| walk(v, &pointer_push(pointer, k), name))
            }
            Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| walk(v, &pointer_push(pointer, &i.to_string()), name)),
            _ => None,
        }
    }
    walk(root.pointer(start)?, start, name)
}

/// Decodes `%XX` escapes; `None` when malformed.
fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_owned());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
