//! `$ref` resolution across the schema and the schemas it references.
//!
//! A reference resolves in this order:
//!
//! 1. `#...` stays inside the current document;
//! 2. otherwise the part before `#` names a referenced schema: by the exact name the
//!    client registered the reference under, by that name resolved against the
//!    current document's `$id`, or by a document's own `$id` (an empty fragment on
//!    that `$id`, as in `"$id": "https://x.org/a.json#"`, does not count);
//! 3. a schema resource embedded in the current document (a subschema with that `$id`).
//!
//! The fragment is a JSON pointer (`#/definitions/a`, percent-decoded) or a plain
//! name (`#address`) matching an `$anchor`, a `$dynamicAnchor` or a draft-4..7
//! `$id: "#address"`.
//!
//! The registry resolves within one schema and its references; evgen resolves
//! within a set of files (and documents it assembles itself) through the same
//! [`resolve`], by implementing [`Resources`].

use serde_json::Value;

use super::Document;
use crate::error::{SchemaError, SchemaErrorKind, pointer_push};

/// The documents a reference may point into, by index.
pub trait Resources {
    /// The document at `doc`, if there is one.
    fn document(&self, doc: usize) -> Option<&Value>;

    /// How many documents there are (indices are `0..count()`).
    fn count(&self) -> usize;

    /// Whether `name` is one of the names `doc` was registered under (a reference
    /// name, a file name). Names are matched exactly.
    fn has_name(&self, doc: usize, name: &str) -> bool;

    /// Whether `doc` can be found by its names and its root `$id` (the default).
    /// Documents that only exist to be pointed into directly answer `false`.
    fn addressable(&self, doc: usize) -> bool {
        let _ = doc;
        true
    }
}

impl Resources for [Document] {
    fn document(&self, doc: usize) -> Option<&Value> {
        self.get(doc).map(|d| &d.value)
    }

    fn count(&self) -> usize {
        self.len()
    }

    fn has_name(&self, doc: usize, name: &str) -> bool {
        // The schema itself (`""`) has no name.
        self.get(doc)
            .is_some_and(|d| !d.name.is_empty() && d.name == name)
    }
}

pub use super::DATA_KEYWORDS;

/// Keywords whose value maps names to schemas.
pub const SCHEMA_MAPS: [&str; 6] = [
    "properties",
    "patternProperties",
    "definitions",
    "$defs",
    "dependentSchemas",
    "dependencies",
];

/// Where a reference points: a document and a JSON pointer into it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// The document's index.
    pub doc: usize,
    /// The JSON pointer inside it (`""` for its root).
    pub pointer: String,
}

/// Checks that every `$ref` of every document resolves.
pub(crate) fn check_all(docs: &[Document]) -> Result<(), SchemaError> {
    for (index, doc) in docs.iter().enumerate() {
        walk_schema(docs, index, &doc.value, "").map_err(|mut e| {
            if !doc.name.is_empty() {
                e.message = format!("referenced schema '{}': {}", doc.name, e.message);
            }
            e
        })?;
    }
    Ok(())
}

fn walk_schema(
    docs: &[Document],
    doc: usize,
    value: &Value,
    pointer: &str,
) -> Result<(), SchemaError> {
    let Value::Object(map) = value else {
        return walk_any(docs, doc, value, pointer);
    };
    for (key, child) in map {
        let here = pointer_push(pointer, key);
        match key.as_str() {
            "$ref" => {
                if let Value::String(reference) = child
                    && resolve(docs, doc, reference).is_none()
                {
                    return Err(SchemaError::new(
                        SchemaErrorKind::UnresolvedReference,
                        here,
                        format!(
                            "'$ref' '{reference}' at '{}' does not resolve: it is neither a location in \
                             this schema nor a referenced schema",
                            if pointer.is_empty() { "/" } else { pointer }
                        ),
                    ));
                }
            }
            k if DATA_KEYWORDS.contains(&k) => {}
            k if SCHEMA_MAPS.contains(&k) => {
                if let Value::Object(members) = child {
                    for (name, sub) in members {
                        walk_schema(docs, doc, sub, &pointer_push(&here, name))?;
                    }
                }
            }
            _ => walk_any(docs, doc, child, &here)?,
        }
    }
    Ok(())
}

fn walk_any(
    docs: &[Document],
    doc: usize,
    value: &Value,
    pointer: &str,
) -> Result<(), SchemaError> {
    match value {
        Value::Object(_) => walk_schema(docs, doc, value, pointer),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_any(docs, doc, item, &pointer_push(pointer, i))?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Resolves `reference`, written in document `from`; `None` when it names nothing
/// (or a location that does not exist).
pub fn resolve<R: Resources + ?Sized>(docs: &R, from: usize, reference: &str) -> Option<Target> {
    let (uri, fragment) = match reference.split_once('#') {
        Some((uri, fragment)) => (uri, Some(fragment)),
        None => (reference, None),
    };
    let base = if uri.is_empty() {
        Target {
            doc: from,
            pointer: String::new(),
        }
    } else if let Some(doc) = by_name(docs, reference) {
        // The whole reference, fragment included, is a registered name.
        return Some(Target {
            doc,
            pointer: String::new(),
        });
    } else {
        locate_resource(docs, from, uri)?
    };
    let value = docs.document(base.doc)?;
    let pointer = match fragment {
        None | Some("") => base.pointer,
        Some(f) if f.starts_with('/') => format!("{}{}", base.pointer, percent_decode(f)?),
        Some(anchor) => find_anchor(value, &base.pointer, &percent_decode(anchor)?)?,
    };
    value.pointer(&pointer)?;
    Some(Target {
        doc: base.doc,
        pointer,
    })
}

/// The first addressable document registered under `name`.
fn by_name<R: Resources + ?Sized>(docs: &R, name: &str) -> Option<usize> {
    (0..docs.count()).find(|&d| docs.addressable(d) && docs.has_name(d, name))
}

/// Finds the document (or embedded resource) a non-empty URI names.
fn locate_resource<R: Resources + ?Sized>(docs: &R, from: usize, uri: &str) -> Option<Target> {
    let from_value = docs.document(from)?;
    let resolved = document_id(from_value).map(|base| join(base, uri));
    let names = [Some(uri), resolved.as_deref()];
    for name in names.into_iter().flatten() {
        if let Some(doc) = by_name(docs, name) {
            return Some(Target {
                doc,
                pointer: String::new(),
            });
        }
    }
    for name in names.into_iter().flatten() {
        let found = (0..docs.count()).find(|&d| {
            docs.addressable(d)
                && docs
                    .document(d)
                    .and_then(document_id)
                    .is_some_and(|id| without_empty_fragment(id) == name)
        });
        if let Some(doc) = found {
            return Some(Target {
                doc,
                pointer: String::new(),
            });
        }
    }
    for name in names.into_iter().flatten() {
        if let Some(pointer) = find_id(from_value, "", name) {
            return Some(Target { doc: from, pointer });
        }
    }
    None
}

/// `id` without a trailing empty fragment: `a.json#` names the document `a.json`.
fn without_empty_fragment(id: &str) -> &str {
    id.strip_suffix('#').unwrap_or(id)
}

/// The root `$id` (`id` in draft 4) of a document.
fn document_id(value: &Value) -> Option<&str> {
    let object = value.as_object()?;
    object
        .get("$id")
        .or_else(|| object.get("id"))
        .and_then(Value::as_str)
}

/// Resolves a relative URI against a base (enough of RFC 3986 for schema ids:
/// absolute URIs stand alone, others replace the base's last path segment).
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
            if !pointer.is_empty()
                && map
                    .get("$id")
                    .and_then(Value::as_str)
                    .is_some_and(|own| without_empty_fragment(own) == id)
            {
                return Some(pointer.to_owned());
            }
            map.iter()
                .filter(|(k, _)| !DATA_KEYWORDS.contains(&k.as_str()))
                .find_map(|(k, v)| find_id(v, &pointer_push(pointer, k), id))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_id(v, &pointer_push(pointer, i), id)),
        _ => None,
    }
}

/// Finds a plain-name fragment: `$anchor: name`, or `$id`/`id` ending in `#name`.
fn find_anchor(root: &Value, start: &str, name: &str) -> Option<String> {
    fn walk(value: &Value, pointer: &str, name: &str) -> Option<String> {
        match value {
            Value::Object(map) => {
                // A 2020-12 `$dynamicAnchor` is also a plain-name fragment for `$ref`.
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
                .find_map(|(i, v)| walk(v, &pointer_push(pointer, i), name)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Draft;

    fn docs(root: Value, deps: &[(&str, Value)]) -> Vec<Document> {
        let mut out = vec![Document {
            name: String::new(),
            value: root,
            draft: Draft::Draft7,
        }];
        for (name, value) in deps {
            out.push(Document {
                name: (*name).to_owned(),
                value: value.clone(),
                draft: Draft::Draft7,
            });
        }
        out
    }

    #[test]
    fn resolves_pointers_anchors_and_escapes() {
        let d = docs(
            serde_json::json!({"definitions": {"a/b": {"$anchor": "here"}, "c d": {"$id": "#old"}}}),
            &[],
        );
        assert_eq!(
            resolve(&d[..], 0, "#/definitions/a~1b")
                .map(|t| t.pointer)
                .as_deref(),
            Some("/definitions/a~1b")
        );
        assert_eq!(
            resolve(&d[..], 0, "#/definitions/c%20d")
                .map(|t| t.pointer)
                .as_deref(),
            Some("/definitions/c d")
        );
        assert_eq!(
            resolve(&d[..], 0, "#here").map(|t| t.pointer).as_deref(),
            Some("/definitions/a~1b")
        );
        assert_eq!(
            resolve(&d[..], 0, "#old").map(|t| t.pointer).as_deref(),
            Some("/definitions/c d")
        );
        assert_eq!(
            resolve(&d[..], 0, "#").map(|t| t.pointer).as_deref(),
            Some("")
        );
        assert!(resolve(&d[..], 0, "#/nope").is_none());
        assert!(resolve(&d[..], 0, "#/definitions/%zz").is_none());
    }

    #[test]
    fn resolves_dependencies_by_name_id_and_embedded_resources() {
        let d = docs(
            serde_json::json!({"$id": "https://x.org/s/root.json",
                               "$defs": {"e": {"$id": "https://x.org/s/embedded.json", "type": "string"}}}),
            &[
                ("a.json", serde_json::json!({"$defs": {"x": {}}})),
                (
                    "other",
                    serde_json::json!({"$id": "https://x.org/s/by-id.json"}),
                ),
            ],
        );
        assert_eq!(
            resolve(&d[..], 0, "a.json"),
            Some(Target {
                doc: 1,
                pointer: String::new()
            })
        );
        assert_eq!(
            resolve(&d[..], 0, "a.json#/$defs/x"),
            Some(Target {
                doc: 1,
                pointer: "/$defs/x".into()
            })
        );
        assert_eq!(
            resolve(&d[..], 0, "by-id.json"),
            Some(Target {
                doc: 2,
                pointer: String::new()
            })
        );
        assert_eq!(
            resolve(&d[..], 0, "embedded.json"),
            Some(Target {
                doc: 0,
                pointer: "/$defs/e".into()
            })
        );
        assert_eq!(
            resolve(&d[..], 0, "root.json#/$defs"),
            Some(Target {
                doc: 0,
                pointer: "/$defs".into()
            })
        );
        assert!(resolve(&d[..], 0, "b.json").is_none());
    }

    #[test]
    fn an_id_with_an_empty_fragment_names_its_document() {
        // ninjs: `"$id": "http://www.iptc.org/std/ninjs/ninjs-schema_1.2.json#"` and
        // references to its definitions through that id.
        let id = "http://x.org/ninjs-schema_1.2.json";
        let d = docs(
            serde_json::json!({"$id": format!("{id}#"), "definitions": {"a": {"type": "string"},
                "e": {"$id": "http://x.org/embedded.json#"}}}),
            &[],
        );
        assert_eq!(
            resolve(&d[..], 0, &format!("{id}#/definitions/a")),
            Some(Target {
                doc: 0,
                pointer: "/definitions/a".into()
            })
        );
        assert_eq!(
            resolve(&d[..], 0, id).map(|t| t.pointer).as_deref(),
            Some("")
        );
        assert_eq!(
            resolve(&d[..], 0, "embedded.json")
                .map(|t| t.pointer)
                .as_deref(),
            Some("/definitions/e")
        );
        // A fragment that is not empty is still not the document.
        let d = docs(serde_json::json!({"$id": format!("{id}#x")}), &[]);
        assert!(resolve(&d[..], 0, id).is_none());
    }

    #[test]
    fn dynamic_anchors_are_plain_name_fragments() {
        let d = docs(
            serde_json::json!({"$defs": {"node": {"$dynamicAnchor": "node"}}}),
            &[],
        );
        assert_eq!(
            resolve(&d[..], 0, "#node").map(|t| t.pointer).as_deref(),
            Some("/$defs/node")
        );
    }

    /// Documents that are not addressable are reached only by index.
    struct Hidden(Vec<Value>);

    impl Resources for Hidden {
        fn document(&self, doc: usize) -> Option<&Value> {
            self.0.get(doc)
        }
        fn count(&self) -> usize {
            self.0.len()
        }
        fn has_name(&self, _: usize, name: &str) -> bool {
            name == "x.json"
        }
        fn addressable(&self, doc: usize) -> bool {
            doc == 0
        }
    }

    #[test]
    fn only_addressable_documents_are_found_by_name_or_id() {
        let r = Hidden(vec![
            serde_json::json!({}),
            serde_json::json!({"$id": "y.json"}),
        ]);
        assert_eq!(resolve(&r, 1, "x.json").map(|t| t.doc), Some(0));
        assert!(resolve(&r, 0, "y.json").is_none());
        assert_eq!(resolve(&r, 1, "#").map(|t| t.doc), Some(1));
    }
}
