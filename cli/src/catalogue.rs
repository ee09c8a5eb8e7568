//! The catalogue as `check`, `push` and `pull` see it: one registry subject per
//! event, plus one per other schema file (shared types and the envelope), which
//! event schemas use through Confluent references.
//!
//! Shared named types are registered under their full name (`shop.common.Money`)
//! and events name them in `references`, the way Confluent's Avro serializers
//! expect. Compatibility is always judged on the self-contained form (every
//! referenced type written inline): the rules look only at structure, so this gives
//! the same answer as the referenced form, and it lets `check --registry` test a
//! schema whose referenced type is itself about to change.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use evgen::avro::SourceFile;
use evgen::catalog::{CATALOG_FILE, Catalog, inline_types, schema_names};
use evreg_core::{CompatibilityLevel, ParsedSchema, SchemaType, parse_standalone};
use serde_json::Value;

/// The fields `evreg_client::Envelope` reads and writes.
pub const ENVELOPE_FIELDS: [&str; 6] = [
    "eventId",
    "eventType",
    "timestamp",
    "source",
    "version",
    "data",
];

/// What a subject is in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// An event under `[events]`.
    Event {
        /// The event type (`order.created`).
        event_type: String,
        /// Its topic.
        topic: String,
        /// The catalogue's schema version of the event.
        version: u32,
    },
    /// The `[catalog] envelope` schema.
    Envelope,
    /// Any other schema file: named types events use.
    Shared,
}

/// A reference from one subject to a type registered under another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref {
    /// The full name the schema uses.
    pub name: String,
    /// The subject that defines it.
    pub subject: String,
}

/// One registry subject of the catalogue.
#[derive(Debug, Clone)]
pub struct Item {
    /// The subject.
    pub subject: String,
    /// The schema file, relative to the catalogue, `/`-separated.
    pub file: String,
    /// The root type's full name.
    pub full_name: String,
    /// The file's text, registered as is.
    pub text: String,
    /// The schema with every referenced type inlined: what compatibility is judged on.
    pub self_contained: String,
    /// Types from other subjects, sorted by name.
    pub references: Vec<Ref>,
    /// The subject's compatibility level.
    pub level: CompatibilityLevel,
    /// What it is.
    pub role: Role,
}

impl Item {
    /// Parses the self-contained form.
    pub fn parsed(&self) -> anyhow::Result<ParsedSchema> {
        parse_standalone(SchemaType::Avro, &self.self_contained).map_err(|e| {
            anyhow::anyhow!(
                "{}: subject '{}': {} at '{}': {}",
                self.file,
                self.subject,
                e.kind,
                e.location,
                e.message
            )
        })
    }
}

/// A catalogue problem found by the lint: the catalogue loads, but is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, relative to the catalogue.
    pub file: String,
    /// TOML key path or JSON pointer inside it.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// A text to look for in the file to place the problem on a line.
    pub needle: Option<String>,
}

/// A loaded catalogue.
#[derive(Debug, Clone)]
pub struct Catalogue {
    /// The folder it was read from.
    pub dir: PathBuf,
    /// The parsed `catalog.toml`.
    pub catalog: Catalog,
    /// The text of `catalog.toml`.
    pub catalog_text: String,
    /// Subjects, every referenced subject before its users.
    pub items: Vec<Item>,
    /// Lint problems.
    pub problems: Vec<Problem>,
}

impl Catalogue {
    /// The item of `subject`.
    pub fn item(&self, subject: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.subject == subject)
    }

    /// The text of a catalogue file, for placing findings on lines.
    pub fn file_text(&self, rel: &str) -> Option<String> {
        if rel == CATALOG_FILE {
            return Some(self.catalog_text.clone());
        }
        fs::read_to_string(self.dir.join(rel)).ok()
    }
}

/// `*.avsc` files under `dir`, sorted, as paths relative to it.
fn walk(dir: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut entries = Vec::new();
    for e in fs::read_dir(dir.join(rel)).with_context(|| format!("reading {}", dir.display()))? {
        entries.push(
            e.with_context(|| format!("reading {}", dir.display()))?
                .path(),
        );
    }
    entries.sort();
    for p in entries {
        let Some(name) = p.file_name() else { continue };
        let child = rel.join(name);
        if p.is_dir() {
            walk(dir, &child, out)?;
        } else if p.extension().is_some_and(|e| e == "avsc") {
            out.push(child);
        }
    }
    Ok(())
}

fn slash(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// The subject of an event under the catalogue's naming strategy.
fn event_subject(strategy: &str, topic: &str, full_name: &str) -> Option<String> {
    match strategy {
        "TopicRecordNameStrategy" => Some(format!("{topic}-{full_name}")),
        "TopicNameStrategy" => Some(format!("{topic}-value")),
        "RecordNameStrategy" => Some(full_name.to_owned()),
        _ => None,
    }
}

/// One registrable schema: a schema file, or one named type of a file that is a
/// list of types (`[A, B]`), which Avro tools read as several schemas.
struct File {
    rel: String,
    text: String,
    doc: Value,
    full_name: Option<String>,
    self_contained: String,
    external: Vec<(String, String)>,
    /// Whether the file holds a list and this is one of its types.
    listed: bool,
}

/// Loads the catalogue in `dir`. An unreadable or invalid file is an error; a
/// catalogue that is consistent with itself only in part loads, with
/// [`Catalogue::problems`] saying what is wrong.
pub fn load(dir: &Path) -> anyhow::Result<Catalogue> {
    let cat_path = dir.join(CATALOG_FILE);
    let catalog_text =
        fs::read_to_string(&cat_path).with_context(|| format!("reading {}", cat_path.display()))?;
    let catalog = Catalog::parse(&slash(&cat_path), &catalog_text)?;
    let mut rels = Vec::new();
    walk(dir, Path::new(""), &mut rels)?;
    let mut sources = Vec::with_capacity(rels.len());
    for rel in &rels {
        let path = dir.join(rel);
        let text =
            fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        sources.push(SourceFile {
            label: slash(&path),
            stem: path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            text,
        });
    }
    // Validates every file (names, types, defaults) before anything else looks.
    let parsed = evgen::avro::parse_all(sources)?;
    let mut docs = Vec::with_capacity(parsed.len());
    let mut library = BTreeMap::new();
    for p in &parsed {
        // parse_all has read this JSON already.
        let doc: Value = serde_json::from_str(&p.file.text)
            .with_context(|| format!("{}: malformed JSON", p.file.label))?;
        for (name, def) in schema_names(&doc).defined {
            library.entry(name).or_insert(def);
        }
        docs.push(doc);
    }
    let mut files = Vec::with_capacity(parsed.len());
    for ((rel, p), doc) in rels.iter().zip(parsed).zip(docs) {
        let unit = |doc: Value, text: String, listed: bool| File {
            rel: slash(rel),
            full_name: named_root(&doc),
            external: schema_names(&doc).external,
            self_contained: inline_types(&doc, &library).to_string(),
            text,
            doc,
            listed,
        };
        match doc {
            Value::Array(types) => {
                for t in types {
                    let text = serde_json::to_string_pretty(&t)?;
                    files.push(unit(t, text, true));
                }
            }
            doc => files.push(unit(doc, p.file.text, false)),
        }
    }
    build(dir, catalog, catalog_text, files)
}

/// The full name of a document's root, when it is a named type.
fn named_root(doc: &Value) -> Option<String> {
    let obj = doc.as_object()?;
    let ty = obj.get("type")?.as_str()?;
    if !matches!(ty, "record" | "error" | "enum" | "fixed") {
        return None;
    }
    let name = obj.get("name")?.as_str()?;
    Some(match obj.get("namespace").and_then(Value::as_str) {
        Some(ns) if !name.contains('.') && !ns.is_empty() => format!("{ns}.{name}"),
        _ => name.trim_start_matches('.').to_owned(),
    })
}

fn level_of(
    raw: Option<&str>,
    default: CompatibilityLevel,
    problems: &mut Vec<Problem>,
    pointer: String,
    needle: Option<String>,
) -> CompatibilityLevel {
    match raw {
        None => default,
        Some(s) => s.parse().unwrap_or_else(|e: evreg_core::InvalidLevel| {
            problems.push(Problem {
                file: CATALOG_FILE.into(),
                pointer,
                message: e.to_string(),
                needle,
            });
            default
        }),
    }
}

fn build(
    dir: &Path,
    catalog: Catalog,
    catalog_text: String,
    files: Vec<File>,
) -> anyhow::Result<Catalogue> {
    let mut problems = Vec::new();
    let problem = |pointer: String, message: String, needle: Option<String>| Problem {
        file: CATALOG_FILE.into(),
        pointer,
        message,
        needle,
    };
    let default_level = level_of(
        catalog.catalog.compatibility.as_deref(),
        CompatibilityLevel::Backward,
        &mut problems,
        "/catalog/compatibility".into(),
        Some("compatibility".into()),
    );
    let strategy = catalog
        .catalog
        .subject_name_strategy
        .clone()
        .unwrap_or_else(|| "TopicRecordNameStrategy".into());
    if event_subject(&strategy, "t", "n").is_none() {
        problems.push(problem(
            "/catalog/subject_name_strategy".into(),
            format!(
                "unknown subject name strategy '{strategy}' (expected TopicRecordNameStrategy, TopicNameStrategy or RecordNameStrategy)"
            ),
            Some("subject_name_strategy".into()),
        ));
    }
    // Event and envelope files are single schemas, never lists.
    let by_rel: BTreeMap<&str, usize> = files
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.listed)
        .map(|(i, f)| (f.rel.as_str(), i))
        .collect();

    // Which file defines each name; a second definition is a problem.
    let mut definer: BTreeMap<String, usize> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        for name in schema_names(&f.doc).defined.into_keys() {
            if let Some(&first) = definer.get(&name) {
                problems.push(Problem {
                    file: f.rel.clone(),
                    pointer: String::new(),
                    message: format!(
                        "type '{name}' is defined here and in '{}'; define each type in one file",
                        files[first].rel
                    ),
                    needle: name.rsplit('.').next().map(|n| format!("\"{n}\"")),
                });
            } else {
                definer.insert(name, i);
            }
        }
    }

    let mut items: Vec<Item> = Vec::new();
    // The unit each item was made from, in step with `items`.
    let mut unit_of: Vec<usize> = Vec::new();
    let mut item_of_file: BTreeMap<usize, usize> = BTreeMap::new();
    let mut event_files = BTreeSet::new();
    for (event_type, ev) in &catalog.events {
        let at = |key: &str| format!("/events/{event_type}/{key}");
        let needle = Some(format!("[events.\"{event_type}\"]"));
        let Some(&fi) = by_rel.get(ev.schema.as_str()) else {
            problems.push(problem(
                at("schema"),
                format!(
                    "event '{event_type}': no schema file '{}' in the catalogue",
                    ev.schema
                ),
                needle,
            ));
            continue;
        };
        event_files.insert(fi);
        let f = &files[fi];
        let Some(full_name) = f.full_name.clone() else {
            problems.push(problem(
                at("schema"),
                format!(
                    "event '{event_type}': '{}' has no named root type",
                    ev.schema
                ),
                needle,
            ));
            continue;
        };
        if !catalog.topics.contains_key(&ev.topic) {
            problems.push(problem(
                at("topic"),
                format!(
                    "event '{event_type}': topic '{}' is not defined under [topics]",
                    ev.topic
                ),
                needle.clone(),
            ));
        }
        if let Some(key) = &ev.key
            && let Err(m) = check_key(&f.doc, key)
        {
            problems.push(problem(
                at("key"),
                format!("event '{event_type}': {m}"),
                needle.clone(),
            ));
        }
        let level = level_of(
            ev.compatibility.as_deref(),
            default_level,
            &mut problems,
            at("compatibility"),
            needle.clone(),
        );
        let Some(subject) = event_subject(&strategy, &ev.topic, &full_name) else {
            continue;
        };
        item_of_file.entry(fi).or_insert(items.len());
        unit_of.push(fi);
        items.push(Item {
            subject,
            file: f.rel.clone(),
            full_name,
            text: f.text.clone(),
            self_contained: f.self_contained.clone(),
            references: Vec::new(),
            level,
            role: Role::Event {
                event_type: event_type.clone(),
                topic: ev.topic.clone(),
                version: ev.version.unwrap_or(1),
            },
        });
    }

    let envelope = catalog
        .catalog
        .envelope
        .as_deref()
        .and_then(|e| by_rel.get(e).copied());
    match (&catalog.catalog.envelope, envelope) {
        (None, _) => problems.push(problem(
            "/catalog/envelope".into(),
            "no envelope: set [catalog] envelope to the schema file events travel in".into(),
            Some("[catalog]".into()),
        )),
        (Some(e), None) => problems.push(problem(
            "/catalog/envelope".into(),
            format!("envelope: no schema file '{e}' in the catalogue"),
            Some("envelope".into()),
        )),
        (Some(_), Some(fi)) => {
            let present = field_names(&files[fi].doc);
            let missing: Vec<&str> = ENVELOPE_FIELDS
                .iter()
                .copied()
                .filter(|f| !present.iter().any(|p| p == f))
                .collect();
            if !missing.is_empty() {
                problems.push(Problem {
                    file: files[fi].rel.clone(),
                    pointer: "/fields".into(),
                    message: format!(
                        "the envelope lacks field(s) {} (evreg_client::Envelope needs {})",
                        quote_list(&missing),
                        quote_list(&ENVELOPE_FIELDS)
                    ),
                    needle: Some("\"fields\"".into()),
                });
            }
        }
    }

    // Every other file is registered under its root's full name.
    for (fi, f) in files.iter().enumerate() {
        if event_files.contains(&fi) {
            continue;
        }
        let Some(full_name) = f.full_name.clone() else {
            problems.push(Problem {
                file: f.rel.clone(),
                pointer: String::new(),
                message: "the root type has no name, so the file cannot be registered under a subject; make it a named type".into(),
                needle: None,
            });
            continue;
        };
        item_of_file.insert(fi, items.len());
        unit_of.push(fi);
        items.push(Item {
            subject: full_name.clone(),
            file: f.rel.clone(),
            full_name,
            text: f.text.clone(),
            self_contained: f.self_contained.clone(),
            references: Vec::new(),
            level: default_level,
            role: if Some(fi) == envelope {
                Role::Envelope
            } else {
                Role::Shared
            },
        });
    }

    // References: each name a file uses from another file, to that file's subject.
    for (ii, &fi) in unit_of.iter().enumerate() {
        let Some(f) = files.get(fi) else { continue };
        let mut refs = BTreeMap::new();
        for (full, raw) in &f.external {
            let (name, &di) = match definer.get(full) {
                Some(d) => (full, d),
                None => match definer.get(raw) {
                    Some(d) => (raw, d),
                    // parse_all has refused names nobody defines.
                    None => continue,
                },
            };
            if di == fi {
                continue;
            }
            if let Some(&target) = item_of_file.get(&di) {
                refs.insert(name.clone(), items[target].subject.clone());
            }
        }
        items[ii].references = refs
            .into_iter()
            .map(|(name, subject)| Ref { name, subject })
            .collect();
    }

    let mut subjects: BTreeMap<&str, &Item> = BTreeMap::new();
    for it in &items {
        if let Some(other) = subjects.insert(&it.subject, it) {
            let name = |i: &Item| match &i.role {
                Role::Event { event_type, .. } => format!("event '{event_type}'"),
                _ => format!("'{}'", i.file),
            };
            problems.push(problem(
                "/events".into(),
                format!(
                    "{} and {} share the subject '{}'; each needs its own (check the subject name strategy)",
                    name(other),
                    name(it),
                    it.subject
                ),
                match &it.role {
                    Role::Event { event_type, .. } => Some(format!("[events.\"{event_type}\"]")),
                    _ => None,
                },
            ));
        }
    }

    for (group, g) in &catalog.consumer_groups {
        if !catalog.topics.contains_key(&g.topic) {
            problems.push(problem(
                format!("/consumer_groups/{group}/topic"),
                format!(
                    "consumer group '{group}': topic '{}' is not defined under [topics]",
                    g.topic
                ),
                Some(format!("[consumer_groups.{group}]")),
            ));
        }
    }

    let items = dependency_order(items);
    // The catalogue also has to build: evgen's own checks (key types, names) run last.
    if problems.is_empty()
        && let Err(e) = evgen::Config::new().catalog(dir).load()
    {
        problems.push(problem(
            String::new(),
            format!("evgen cannot build the catalogue: {e}"),
            None,
        ));
    }
    if items.is_empty() && problems.is_empty() {
        bail!("{}: the catalogue has no schemas", dir.display());
    }
    Ok(Catalogue {
        dir: dir.to_path_buf(),
        catalog,
        catalog_text,
        items,
        problems,
    })
}

fn quote_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn field_names(doc: &Value) -> Vec<String> {
    doc.get("fields")
        .and_then(Value::as_array)
        .map(|fs| {
            fs.iter()
                .filter_map(|f| f.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A partition key is a top-level field that every event carries.
fn check_key(doc: &Value, key: &str) -> Result<(), String> {
    let Some(fields) = doc.get("fields").and_then(Value::as_array) else {
        return Err(format!("partition key '{key}': the schema is not a record"));
    };
    let Some(field) = fields
        .iter()
        .find(|f| f.get("name").and_then(Value::as_str) == Some(key))
    else {
        return Err(format!(
            "partition key '{key}' is not a field of the payload (fields: {})",
            field_names(doc).join(", ")
        ));
    };
    let nullable = match field.get("type") {
        Some(Value::Array(branches)) => branches.iter().any(|b| b == "null"),
        Some(Value::String(s)) => s == "null",
        _ => false,
    };
    if nullable {
        return Err(format!(
            "partition key '{key}' may be null; a key field must be required"
        ));
    }
    Ok(())
}

/// Orders items so every referenced subject comes before its users (stable
/// otherwise). References cannot cycle: parse_all refuses cyclic files.
fn dependency_order(items: Vec<Item>) -> Vec<Item> {
    let index: BTreeMap<String, usize> = items
        .iter()
        .enumerate()
        .map(|(i, it)| (it.subject.clone(), i))
        .collect();
    let mut done = vec![false; items.len()];
    let mut order = Vec::with_capacity(items.len());
    // Shared types and the envelope first, then events; each in subject order.
    let mut roots: Vec<usize> = (0..items.len()).collect();
    roots.sort_by_key(|&i| {
        (
            matches!(items[i].role, Role::Event { .. }),
            items[i].subject.clone(),
        )
    });
    for root in roots {
        let mut stack = vec![(root, false)];
        while let Some((i, expanded)) = stack.pop() {
            if done[i] {
                continue;
            }
            if expanded {
                done[i] = true;
                order.push(i);
                continue;
            }
            stack.push((i, true));
            for r in items[i].references.iter().rev() {
                if let Some(&j) = index.get(&r.subject)
                    && !done[j]
                    && j != i
                {
                    stack.push((j, false));
                }
            }
        }
    }
    let mut slots: Vec<Option<Item>> = items.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// The 1-based line of the first line containing `needle` (1 when absent).
pub fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(1, |i| i + 1)
}

/// The line of field `path` (`items.price`) in a schema file: the deepest segment
/// declared in this file, else 1.
pub fn field_line(text: &str, path: &str) -> usize {
    for seg in path.rsplit('.') {
        let quoted = format!("\"{seg}\"");
        if let Some(i) = text
            .lines()
            .position(|l| l.contains(&quoted) && l.contains("\"name\""))
        {
            return i + 1;
        }
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let text = "{\n  \"fields\": [\n    {\"name\": \"a\", \"type\": \"int\"},\n    {\"name\": \"b\"}\n]}";
        assert_eq!(field_line(text, "b"), 4);
        assert_eq!(field_line(text, "b.zz"), 4);
        assert_eq!(field_line(text, "nope"), 1);
        assert_eq!(line_of(text, "fields"), 2);
    }

    #[test]
    fn keys_must_be_required_fields() {
        let doc: Value = serde_json::from_str(
            r#"{"type":"record","name":"R","fields":[{"name":"id","type":"string"},
                {"name":"maybe","type":["null","string"],"default":null}]}"#,
        )
        .unwrap();
        assert!(check_key(&doc, "id").is_ok());
        assert!(check_key(&doc, "maybe").unwrap_err().contains("required"));
        assert!(
            check_key(&doc, "nope")
                .unwrap_err()
                .contains("fields: id, maybe")
        );
    }
}
