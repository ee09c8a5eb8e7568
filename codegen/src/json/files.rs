//! JSON Schema files on disk, for [`crate::Config`]: which files are schemas, how
//! their roots are named, and how a `$ref` to another file is followed.
//!
//! A reference such as `"$ref": "../common/money.json#/$defs/Amount"` means a file
//! relative to the referring one (what every JSON Schema tool does for schemas that
//! live side by side). evreg-core resolves references by registered name or `$id`
//! only, so before lowering, each such reference is rewritten to the label of the
//! file it names, which is the name that file is registered under. Files referenced
//! but not given as inputs are read too: their types are generated in a module of
//! their own, without a root type. References that do not name an existing file
//! are left alone (they may name a `$id`, or fail in evreg-core with a pointer).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use super::JsonFile;
use crate::error::Error;
use crate::ir::Origin;

/// A JSON Schema file read by [`crate::Config`].
#[derive(Debug, Clone)]
pub(crate) struct JsonSource {
    /// How messages and `$ref`s name it.
    pub(crate) label: String,
    /// Where it was read from; `None` for a schema held in memory.
    pub(crate) path: Option<PathBuf>,
    /// The text, with file references rewritten to labels once linked.
    pub(crate) text: String,
    /// Whether it was an input (it gets a root type) rather than only referenced.
    pub(crate) root: bool,
    /// Further names `$ref`s use for it (a registry reference's `name`).
    pub(crate) names: Vec<String>,
    /// What a root without a usable `title` is named after, when not the label's stem.
    pub(crate) stem: Option<String>,
}

impl JsonSource {
    /// The [`JsonFile`] for the front end.
    pub(crate) fn to_file(&self, root_name: Option<&str>) -> JsonFile {
        JsonFile {
            label: self.label.clone(),
            stem: self.stem.clone().unwrap_or_else(|| stem(&self.label)),
            names: std::iter::once(&self.label)
                .chain(&self.names)
                .cloned()
                .collect(),
            text: self.text.clone(),
            root: self.root,
            root_name: root_name.filter(|_| self.root).map(str::to_owned),
        }
    }
}

/// Whether `path` names a JSON Schema file (`.json`, which covers `.schema.json`).
pub(crate) fn is_schema_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "json")
}

/// The file name without `.schema.json` or `.json`: what a root without a usable
/// `title` is named after.
pub(crate) fn stem(label: &str) -> String {
    let name = label.rsplit(['/', '\\', ':']).next().unwrap_or(label);
    name.strip_suffix(".schema.json")
        .or_else(|| name.strip_suffix(".json"))
        .unwrap_or(name)
        .to_owned()
}

/// Follows the file references of `sources` (reading referenced files that are not
/// inputs) and rewrites them to labels. Every file read is added to `read`.
pub(crate) fn link(sources: &mut Vec<JsonSource>, read: &mut Vec<PathBuf>) -> Result<(), Error> {
    // Identity is the canonical path, so one file given twice (a folder and a file
    // in it) or reached by two spellings is one document.
    let mut by_path: BTreeMap<PathBuf, usize> = BTreeMap::new();
    let mut i = 0;
    while i < sources.len() {
        if let Some(p) = &sources[i].path {
            let canonical = fs::canonicalize(p).map_err(|e| Error::io(p, e))?;
            if by_path.contains_key(&canonical) {
                sources.remove(i);
                continue;
            }
            by_path.insert(canonical, i);
        }
        i += 1;
    }
    // Referenced files are appended as they are found, so this also walks them.
    let mut i = 0;
    while i < sources.len() {
        let Some(dir) = sources[i]
            .path
            .as_deref()
            .map(|p| p.parent().unwrap_or(Path::new("")).to_path_buf())
        else {
            i += 1;
            continue;
        };
        let label = sources[i].label.clone();
        let mut value: Value = serde_json::from_str(&sources[i].text).map_err(|e| {
            Error::schema(
                origin(&label, ""),
                format!(
                    "malformed JSON: line {} column {}: {e}",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        let mut targets = Vec::new();
        collect_refs(&value, "", &mut targets);
        let mut renames: BTreeMap<String, String> = BTreeMap::new();
        for (pointer, uri) in targets {
            if renames.contains_key(&uri) {
                continue;
            }
            let joined = dir.join(&uri);
            let Ok(canonical) = fs::canonicalize(&joined) else {
                continue;
            };
            if !canonical.is_file() {
                continue;
            }
            let target = match by_path.get(&canonical) {
                Some(&t) => t,
                None => {
                    let path = normalize(&joined);
                    let text = fs::read_to_string(&path).map_err(|e| {
                        Error::schema(
                            origin(&label, &pointer),
                            format!("'$ref' names the file {}: {e}", path.display()),
                        )
                    })?;
                    read.push(path.clone());
                    sources.push(JsonSource {
                        label: crate::config::label(&path),
                        path: Some(path),
                        text,
                        root: false,
                        names: Vec::new(),
                        stem: None,
                    });
                    by_path.insert(canonical, sources.len() - 1);
                    sources.len() - 1
                }
            };
            renames.insert(uri, sources[target].label.clone());
        }
        if !renames.is_empty() {
            rewrite_refs(&mut value, &renames);
            sources[i].text = value.to_string();
        }
        i += 1;
    }
    Ok(())
}

fn origin(file: &str, pointer: &str) -> Origin {
    Origin {
        file: file.to_owned(),
        pointer: pointer.to_owned(),
    }
}

/// The part of a reference before `#` when it may be a relative file path (not
/// empty, no scheme).
fn file_part(reference: &str) -> Option<&str> {
    let uri = reference.split('#').next().unwrap_or(reference);
    let scheme = uri.split_once(':').is_some_and(|(s, _)| {
        // A Windows drive letter (`C:`) is a path, not a scheme.
        s.len() > 1
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    (!uri.is_empty() && !scheme).then_some(uri)
}

/// Every file-like `$ref` in schema positions, with its JSON pointer.
fn collect_refs(value: &Value, pointer: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let here = evreg_core::error::pointer_push(pointer, key);
                match (key.as_str(), child) {
                    ("$ref", Value::String(r)) => {
                        if let Some(uri) = file_part(r) {
                            out.push((here, uri.to_owned()));
                        }
                    }
                    (k, _) if super::resolve::DATA_KEYWORDS.contains(&k) => {}
                    _ => collect_refs(child, &here, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_refs(item, &evreg_core::error::pointer_push(pointer, i), out);
            }
        }
        _ => {}
    }
}

/// Replaces the file part of every `$ref` found in `renames`.
fn rewrite_refs(value: &mut Value, renames: &BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match (key.as_str(), &mut *child) {
                    ("$ref", Value::String(r)) => {
                        if let Some(new) = file_part(r).and_then(|uri| renames.get(uri)) {
                            *r = match r.split_once('#') {
                                Some((_, fragment)) => format!("{new}#{fragment}"),
                                None => new.clone(),
                            };
                        }
                    }
                    (k, _) if super::resolve::DATA_KEYWORDS.contains(&k) => {}
                    (_, child) => rewrite_refs(child, renames),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                rewrite_refs(item, renames);
            }
        }
        _ => {}
    }
}

/// `a/b/../c/./d.json` as `a/c/d.json`, without touching the file system (labels
/// stay relative, as the user wrote them).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_drop_schema_json() {
        assert_eq!(stem("a/order.schema.json"), "order");
        assert_eq!(stem("order.json"), "order");
        assert_eq!(stem("registry:x/1"), "1");
    }

    #[test]
    fn only_relative_references_are_files() {
        assert_eq!(file_part("money.json#/$defs/a"), Some("money.json"));
        assert_eq!(file_part("../c/money.json"), Some("../c/money.json"));
        assert_eq!(file_part("#/definitions/a"), None);
        assert_eq!(file_part("https://x.org/a.json"), None);
        assert_eq!(file_part("urn:uuid:1234"), None);
    }

    #[test]
    fn normalizes_lexically() {
        assert_eq!(
            normalize(Path::new("a/b/../c/./d.json")),
            PathBuf::from("a/c/d.json")
        );
        assert_eq!(
            normalize(Path::new("../x/../y.json")),
            PathBuf::from("../y.json")
        );
    }

    #[test]
    fn rewrites_only_schema_references() {
        let mut v = serde_json::json!({
            "properties": {"a": {"$ref": "m.json#/$defs/x"}, "b": {"$ref": "#/$defs/y"}},
            "examples": [{"$ref": "m.json"}]
        });
        let renames = BTreeMap::from([("m.json".to_owned(), "dir/m.json".to_owned())]);
        rewrite_refs(&mut v, &renames);
        assert_eq!(v["properties"]["a"]["$ref"], "dir/m.json#/$defs/x");
        assert_eq!(v["properties"]["b"]["$ref"], "#/$defs/y");
        assert_eq!(v["examples"][0]["$ref"], "m.json");
    }
}
