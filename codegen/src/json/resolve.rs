//! The documents of one lowering and `$ref` resolution between them.
//!
//! Resolution is evreg-core's ([`evreg_core::json::refs::resolve`]), the same the
//! registry applies: a `#...` reference stays in its document, anything else names
//! another document by one of the names it was given, by that name resolved against
//! the referring document's `$id`, by the other document's own `$id`, or an embedded
//! resource (a subschema with that `$id`). Fragments are JSON pointers or plain-name
//! anchors.
//!
//! Besides the real documents there are *synthetic* ones: schemas evgen assembles
//! itself (an `allOf` merged into one object, a `oneOf` branch without its tag).
//! Their subschemas come from several documents, so every `$ref` copied into them is
//! first made absolute ([`Docs::absolutize`]): `evgen:<doc>#<pointer>`. Synthetic
//! documents have no names and no `$id` of their own as far as resolution goes.

use std::rc::Rc;

use evreg_core::error::pointer_push;
use evreg_core::json::Draft;
use evreg_core::json::refs::{self, Resources};
pub(crate) use evreg_core::json::refs::{DATA_KEYWORDS, SCHEMA_MAPS};
use serde_json::{Map, Value};

use crate::ir::Origin;

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
        let target = refs::resolve(self, from, reference)?;
        Some(Loc {
            doc: target.doc,
            ptr: target.pointer,
        })
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

impl Resources for Docs {
    fn document(&self, doc: usize) -> Option<&Value> {
        self.docs.get(doc).map(|d| &d.value)
    }

    fn count(&self) -> usize {
        self.docs.len()
    }

    fn has_name(&self, doc: usize, name: &str) -> bool {
        self.docs
            .get(doc)
            .is_some_and(|d| d.names.iter().any(|n| n == name))
    }

    fn addressable(&self, doc: usize) -> bool {
        self.docs.get(doc).is_some_and(|d| d.synthetic.is_none())
    }
}
