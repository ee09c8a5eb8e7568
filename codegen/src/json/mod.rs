//! The JSON Schema front end: drafts 4, 6, 7, 2019-09 and 2020-12, lowered into the IR.
//!
//! Every file is first parsed and validated by evreg-core (meta-schema and `$ref`
//! resolution), then walked from its root. What each construct becomes:
//!
//! | schema | Rust |
//! |---|---|
//! | object with `properties` | struct; optional properties are `Option<T>` skipped when `None` |
//! | `additionalProperties: false` | `#[serde(deny_unknown_fields)]` |
//! | `additionalProperties: {..}`, `patternProperties` | a flattened `BTreeMap<String, T>` field |
//! | open object (the default) | a flattened `extra: BTreeMap<String, Value>`, so unknown properties survive a round trip ([`JsonSettings::keep_unknown_properties`]) |
//! | object without properties | `BTreeMap<String, T>` |
//! | `enum`/`const` of strings | unit enum, values renamed |
//! | `oneOf`/`anyOf` of objects with a distinct `const` property | internally tagged enum |
//! | other `oneOf`/`anyOf` | untagged enum, most specific variant first |
//! | `allOf` | the branches merged into one schema |
//! | `type: [.., "null"]`, `nullable`, a `null` branch | `Option<T>` |
//! | `minLength`/`maxLength`/`pattern`, numeric bounds, `minItems`/`maxItems` | a newtype that checks on construction and deserialization |
//! | `integer` | the narrowest of `u8`..`u64`/`i8`..`i64` that holds the bounds; `i64` without bounds |
//! | `format`: `date-time`, `date`, `uuid` | `chrono::DateTime<Utc>`, `chrono::NaiveDate`, `uuid::Uuid` |
//! | `format`: `uri`, `email` | `evreg_client::Uri`, `evreg_client::Email`: strings checked on deserialization, written back as read |
//! | `format`: `ipv4`, `ipv6` | `std::net::Ipv4Addr`, `std::net::Ipv6Addr` |
//! | `$ref` (local, across files, anchors, `$id`) | the referenced type, recursion boxed |
//!
//! What cannot be typed (tuple arrays, enums of mixed or structured values,
//! `$dynamicRef`, ...) is an error naming the file and JSON pointer, or with
//! [`JsonSettings::json_fallback`] a `serde_json::Value` plus a [`Diagnostic`].
//! Keywords that only validate and have no Rust counterpart (`not`,
//! `if`/`then`/`else`, `uniqueItems`, `propertyNames`, ...) are reported as
//! [`DiagnosticKind::Unenforced`] and otherwise ignored: the generated types accept a
//! superset of what the schema accepts, never a subset.

pub(crate) mod files;
mod lower;
mod merge;
mod object;
mod resolve;
mod scalar;
mod union;

#[cfg(test)]
mod tests;

use std::fmt;

use evreg_core::json::{Draft, JsonSchema};
use evreg_core::{Dependency, SchemaType};
use serde_json::Value;

use crate::error::Error;
use crate::ir::{Origin, TypePath, TypeSpace};

use resolve::{Doc, Docs};

/// Settings of the JSON Schema front end.
#[derive(Debug, Clone)]
pub struct JsonSettings {
    /// Map what evgen cannot type to `serde_json::Value` (reported as a
    /// [`DiagnosticKind::Fallback`]) instead of failing. Off by default.
    pub json_fallback: bool,
    /// Give structs of open objects (no `additionalProperties: false`) a flattened
    /// `extra` map that keeps the properties the schema does not name. On by default:
    /// JSON Schema objects are open, and dropping data on a round trip is a bug.
    pub keep_unknown_properties: bool,
    /// The module (path from the generated file's root) types are emitted into.
    pub module: Vec<String>,
}

impl Default for JsonSettings {
    fn default() -> Self {
        JsonSettings {
            json_fallback: false,
            keep_unknown_properties: true,
            module: Vec::new(),
        }
    }
}

/// One JSON Schema file.
#[derive(Debug, Clone)]
pub struct JsonFile {
    /// How the file is named in messages.
    pub label: String,
    /// The file name without extension, for naming a root that has no title.
    pub stem: String,
    /// The names other files' `$ref`s use for this file (`common.json`,
    /// `https://example.com/common.json`); its own `$id` is always recognised.
    pub names: Vec<String>,
    /// The text.
    pub text: String,
    /// Whether to generate its root type; `false` for files that are only referenced.
    pub root: bool,
    /// The root type's name; by default its `title`, else [`JsonFile::stem`].
    pub root_name: Option<String>,
}

/// What the front end produced.
#[derive(Debug, Clone, Default)]
pub struct JsonOutput {
    /// The types.
    pub space: TypeSpace,
    /// The root type of every file with [`JsonFile::root`] set, in input order.
    pub roots: Vec<TypePath>,
    /// What was not typed exactly.
    pub diagnostics: Vec<Diagnostic>,
}

/// Something the generated types do not express exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file and JSON pointer.
    pub origin: Origin,
    /// What.
    pub kind: DiagnosticKind,
    /// A sentence about it.
    pub message: String,
}

/// Classes of [`Diagnostic`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DiagnosticKind {
    /// The construct became `serde_json::Value` (only with
    /// [`JsonSettings::json_fallback`]; otherwise it is an [`Error::Unsupported`]).
    Fallback,
    /// A validation keyword the types do not check; values it forbids are accepted.
    Unenforced,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            DiagnosticKind::Fallback => "typed as serde_json::Value",
            DiagnosticKind::Unenforced => "not enforced",
        };
        write!(f, "{}: {} ({kind})", self.origin, self.message)
    }
}

/// Lowers `files` into a [`TypeSpace`]. Each file marked [`JsonFile::root`] gets a
/// root type; every file can be referenced by the others through its
/// [`JsonFile::names`] or its `$id`.
///
/// ```
/// use evgen::json::{lower, JsonFile, JsonSettings};
///
/// let file = JsonFile {
///     label: "order.json".into(),
///     stem: "order".into(),
///     names: vec![],
///     text: r#"{"type":"object","properties":{"id":{"type":"string","format":"uuid"}},
///              "required":["id"],"additionalProperties":false}"#.into(),
///     root: true,
///     root_name: None,
/// };
/// let out = lower(&[file], &JsonSettings::default())?;
/// assert_eq!(out.roots[0].name, "Order");
/// # Ok::<(), evgen::Error>(())
/// ```
pub fn lower(files: &[JsonFile], settings: &JsonSettings) -> Result<JsonOutput, Error> {
    let mut docs = Docs::default();
    let mut modules = std::collections::BTreeSet::new();
    for file in files {
        // Files that are only referenced get a module of their own, so their
        // definitions cannot collide with the roots' (or each other's).
        let module = if file.root {
            settings.module.clone()
        } else {
            let name = crate::naming::unique(crate::naming::module_name(&file.stem), &mut modules);
            let mut m = settings.module.clone();
            m.push(name);
            m
        };
        let value: Value = serde_json::from_str(&file.text).map_err(|e| {
            Error::schema(
                origin(&file.label, ""),
                format!(
                    "malformed JSON: line {} column {}: {e}",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        let draft = value
            .get("$schema")
            .and_then(Value::as_str)
            .and_then(Draft::from_uri)
            .unwrap_or(Draft::Draft7);
        docs.push(Doc {
            label: file.label.clone(),
            stem: file.stem.clone(),
            names: file.names.clone(),
            value,
            draft,
            synthetic: None,
            module,
        });
    }
    // Every file, each root included: another file may refer back to it by name,
    // and evreg-core knows the schema being parsed by no name.
    let deps: Vec<Dependency> = files
        .iter()
        .flat_map(|other| {
            other.names.iter().map(|name| Dependency {
                name: name.clone(),
                schema_type: SchemaType::Json,
                schema: other.text.clone(),
            })
        })
        .collect();
    for file in files.iter().filter(|f| f.root) {
        JsonSchema::parse(&file.text, &deps).map_err(|e| {
            Error::schema(
                origin(&file.label, &e.location),
                format!("{}: {}", e.kind, e.message),
            )
        })?;
    }
    let mut l = lower::Lowerer::new(docs, settings);
    let mut roots = Vec::new();
    for (i, file) in files.iter().enumerate().filter(|(_, f)| f.root) {
        roots.push(l.lower_root(i, file.root_name.as_deref()));
    }
    let (defs, diagnostics) = l.finish()?;
    let mut space = TypeSpace::default();
    for def in defs {
        space.insert(def)?;
    }
    crate::recursion::box_cycles(&mut space);
    Ok(JsonOutput {
        space,
        roots,
        diagnostics,
    })
}

fn origin(file: &str, pointer: &str) -> Origin {
    Origin {
        file: file.to_owned(),
        pointer: pointer.to_owned(),
    }
}
