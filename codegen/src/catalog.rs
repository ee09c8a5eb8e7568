//! `catalog.toml`: which schema is which event, where it is published, and how
//! topics and consumer groups are set up. Turned into [`EventDef`]s and
//! [`TopicDef`]s of the IR once the schemas are lowered.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::error::Error;
use crate::ir::{
    ConsumerGroup, EventDef, Scalar, TopicDef, TopicEvent, TopicSettings, TypeKind, TypePath,
    TypeRef, TypeSpace,
};
use crate::naming;

/// The file name evgen looks for in a catalogue folder.
pub const CATALOG_FILE: &str = "catalog.toml";

/// A parsed `catalog.toml`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Catalogue-wide settings.
    #[serde(default)]
    pub catalog: Settings,
    /// Events by event type (`order.created`).
    #[serde(default)]
    pub events: BTreeMap<String, Event>,
    /// Topics by name.
    #[serde(default)]
    pub topics: BTreeMap<String, Topic>,
    /// Consumer groups by group id.
    #[serde(default)]
    pub consumer_groups: BTreeMap<String, Group>,
}

/// Catalogue-wide settings.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Default compatibility level of event subjects (`BACKWARD` when absent).
    pub compatibility: Option<String>,
    /// `TopicRecordNameStrategy` (default), `TopicNameStrategy` or `RecordNameStrategy`.
    pub subject_name_strategy: Option<String>,
    /// The envelope schema file, relative to the catalogue.
    pub envelope: Option<String>,
}

/// One event type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// The schema file, relative to the catalogue.
    pub schema: String,
    /// The producing service.
    pub source: String,
    /// The topic it is published to.
    pub topic: String,
    /// The field (wire name) whose value keys the partition.
    pub key: Option<String>,
    /// The schema version (default 1).
    pub version: Option<u32>,
    /// Compatibility level of its subject (overrides the catalogue default).
    pub compatibility: Option<String>,
}

/// One topic's settings.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// What the topic carries.
    pub doc: Option<String>,
    /// Number of partitions.
    pub partitions: Option<u32>,
    /// Replication factor.
    pub replication_factor: Option<u32>,
    /// Retention, as `7d`, `72h`, `30m`, `45s` or `500ms`.
    pub retention: Option<String>,
    /// Compression codec.
    pub compression: Option<String>,
}

/// One consumer group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// The topic it reads.
    pub topic: String,
    /// Its member services.
    pub members: Vec<String>,
}

const LEVELS: &[&str] = &[
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
];

/// Parses a retention such as `7d` into milliseconds.
pub fn retention_ms(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().ok()?;
    let factor = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// The named types an Avro schema document defines, and the names it uses that it
/// does not define (what other catalogue files must provide). Registering a
/// catalogue with Confluent references needs both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaNames {
    /// Full names defined in the document, with their JSON definitions.
    pub defined: BTreeMap<String, serde_json::Value>,
    /// Names used but not defined: `(full name, name as written)`, sorted. Avro
    /// tools resolve an unqualified name in the enclosing namespace first, then in
    /// the null namespace, so both are given.
    pub external: Vec<(String, String)>,
}

/// Scans an Avro schema document for the names it defines and uses.
pub fn schema_names(doc: &serde_json::Value) -> SchemaNames {
    let names = crate::avro::scan::scan(doc);
    SchemaNames {
        external: names.external().cloned().collect(),
        defined: names.defined,
    }
}

/// Returns `doc` with every named type it uses from `library` (full name to
/// definition, as in [`SchemaNames::defined`]) written inline at its first use, so
/// it parses on its own: the self-contained form evgen gives each event.
pub fn inline_types(
    doc: &serde_json::Value,
    library: &BTreeMap<String, serde_json::Value>,
) -> serde_json::Value {
    crate::avro::scan::inline(doc, library)
}

/// What the catalogue needs from one schema file.
pub(crate) struct FileInfo {
    /// The file's Rust root type, if it is a named type.
    pub root: Option<TypePath>,
    /// The root's schema full name.
    pub full_name: Option<String>,
    /// The schema with referenced types inlined.
    pub self_contained: String,
}

impl Catalog {
    /// Parses `text` (the contents of `label`).
    pub fn parse(label: &str, text: &str) -> Result<Catalog, Error> {
        toml::from_str(text).map_err(|e| Error::catalog(label, "", e.to_string()))
    }

    /// Adds events and topics to `space`. `files` maps a schema path, relative to the
    /// catalogue, to what the schema front end made of it.
    pub(crate) fn apply(
        &self,
        label: &str,
        files: &BTreeMap<String, FileInfo>,
        space: &mut TypeSpace,
    ) -> Result<(), Error> {
        let err = |pointer: String, message: String| Error::catalog(label, pointer, message);
        if let Some(level) = &self.catalog.compatibility
            && !LEVELS.contains(&level.as_str())
        {
            return Err(err(
                "/catalog/compatibility".into(),
                format!(
                    "unknown compatibility level '{level}' (expected one of {})",
                    LEVELS.join(", ")
                ),
            ));
        }
        if let Some(env) = &self.catalog.envelope
            && !files.contains_key(env)
        {
            return Err(err(
                "/catalog/envelope".into(),
                format!("no schema file '{env}' in the catalogue"),
            ));
        }
        let strategy = self
            .catalog
            .subject_name_strategy
            .as_deref()
            .unwrap_or("TopicRecordNameStrategy");
        let mut topics: BTreeMap<String, TopicDef> = BTreeMap::new();
        for (name, t) in &self.topics {
            let retention_ms = match &t.retention {
                Some(r) => Some(retention_ms(r).ok_or_else(|| {
                    err(
                        format!("/topics/{name}/retention"),
                        format!("retention '{r}' is not a duration like 7d, 72h or 500ms"),
                    )
                })?),
                None => None,
            };
            topics.insert(
                name.clone(),
                TopicDef {
                    name: name.clone(),
                    rust_name: naming::type_name(name),
                    doc: t.doc.clone(),
                    events: Vec::new(),
                    settings: TopicSettings {
                        partitions: t.partitions,
                        replication_factor: t.replication_factor,
                        retention_ms,
                        compression: t.compression.clone(),
                    },
                    consumer_groups: Vec::new(),
                },
            );
        }
        let mut seen_types: BTreeMap<TypePath, &str> = BTreeMap::new();
        for (event_type, ev) in &self.events {
            let at = |key: &str| format!("/events/{event_type}/{key}");
            let info = files.get(&ev.schema).ok_or_else(|| {
                err(
                    at("schema"),
                    format!("no schema file '{}' in the catalogue", ev.schema),
                )
            })?;
            let (Some(ty), Some(full)) = (&info.root, &info.full_name) else {
                return Err(err(
                    at("schema"),
                    format!("'{}' has no named root type", ev.schema),
                ));
            };
            if let Some(other) = seen_types.insert(ty.clone(), event_type) {
                return Err(err(
                    at("schema"),
                    format!(
                        "events '{other}' and '{event_type}' share the type {ty}; give each event its own record"
                    ),
                ));
            }
            let topic = topics.get_mut(&ev.topic).ok_or_else(|| {
                err(
                    at("topic"),
                    format!("topic '{}' is not defined under [topics]", ev.topic),
                )
            })?;
            if let Some(level) = &ev.compatibility
                && !LEVELS.contains(&level.as_str())
            {
                return Err(err(
                    at("compatibility"),
                    format!("unknown compatibility level '{level}'"),
                ));
            }
            if let Some(key) = &ev.key {
                check_key(space, ty, key).map_err(|m| err(at("key"), m))?;
            }
            let subject = match strategy {
                "TopicRecordNameStrategy" => format!("{}-{full}", ev.topic),
                "TopicNameStrategy" => format!("{}-value", ev.topic),
                "RecordNameStrategy" => full.clone(),
                other => {
                    return Err(err(
                        "/catalog/subject_name_strategy".into(),
                        format!("unknown subject name strategy '{other}'"),
                    ));
                }
            };
            topic.events.push(TopicEvent {
                variant: naming::type_name(event_type),
                ty: ty.clone(),
                event_type: event_type.clone(),
            });
            space.events.insert(
                event_type.clone(),
                EventDef {
                    ty: ty.clone(),
                    event_type: event_type.clone(),
                    version: ev.version.unwrap_or(1),
                    source: ev.source.clone(),
                    topic: ev.topic.clone(),
                    subject,
                    partition_key: ev.key.clone(),
                    schema_type: "AVRO".into(),
                    schema: info.self_contained.clone(),
                },
            );
        }
        for (name, g) in &self.consumer_groups {
            let topic = topics.get_mut(&g.topic).ok_or_else(|| {
                err(
                    format!("/consumer_groups/{name}/topic"),
                    format!("topic '{}' is not defined under [topics]", g.topic),
                )
            })?;
            topic.consumer_groups.push(ConsumerGroup {
                name: name.clone(),
                members: g.members.clone(),
            });
        }
        let variants: BTreeSet<&String> = topics.values().map(|t| &t.rust_name).collect();
        if variants.len() != topics.len() {
            return Err(err(
                "/topics".into(),
                "two topic names map to one Rust name".into(),
            ));
        }
        space.topics.extend(topics);
        Ok(())
    }
}

/// The key must be a top-level field whose value has a natural string form.
fn check_key(space: &TypeSpace, ty: &TypePath, key: &str) -> Result<(), String> {
    let Some(TypeKind::Struct(s)) = space.types.get(ty).map(|d| &d.kind) else {
        return Err(format!("{ty} is not a record, so it has no key field"));
    };
    let Some(f) = s.fields.iter().find(|f| f.wire_name == key) else {
        let names: Vec<&str> = s.fields.iter().map(|f| f.wire_name.as_str()).collect();
        return Err(format!(
            "{ty} has no field '{key}' (fields: {})",
            names.join(", ")
        ));
    };
    let inner = match &f.ty {
        TypeRef::Option { inner, .. } => inner.as_ref(),
        other => other,
    };
    match inner {
        TypeRef::Scalar(
            Scalar::String
            | Scalar::Uuid
            | Scalar::I8
            | Scalar::I16
            | Scalar::I32
            | Scalar::I64
            | Scalar::U8
            | Scalar::U16
            | Scalar::U32
            | Scalar::U64,
        ) => Ok(()),
        _ => Err(format!(
            "key field '{key}' must be a string, uuid, int or long to serve as a partition key"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::retention_ms;

    #[test]
    fn retention() {
        assert_eq!(retention_ms("7d"), Some(604_800_000));
        assert_eq!(retention_ms("500ms"), Some(500));
        assert_eq!(retention_ms("7 days"), None);
    }
}
