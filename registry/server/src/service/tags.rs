//! Schema tags (Confluent 8.x): tags live in the schema text as
//! `"confluent:tags": [...]` on a record (entity type `sr_record`, path its full
//! name) or on a field (`sr_field`, path `<record full name>.<field>`).
//! `findTags` reports them; `POST /subjects/{s}/versions/{v}/tags` registers a
//! new version with tags added or removed and the metadata and rule set
//! updated. Only Avro carries them here: where Confluent keeps JSON Schema tags
//! is not part of the reference this registry follows, so JSON schemas are
//! refused by the endpoint and report no tags.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Error, RegisterOptions, RegisterSchema, Registry, SchemaView};
use crate::state::SchemaEntry;
use crate::subject::QualifiedSubject;
use evreg_core::SchemaType;

/// The schema property holding an entity's tags.
const TAGS: &str = "confluent:tags";

/// The metadata property `newVersion` is recorded under.
const VERSION_PROPERTY: &str = "confluent:version";

/// An entity of a schema that can carry tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaEntity {
    /// `<record full name>` or `<record full name>.<field>`.
    pub entity_path: String,
    /// `sr_record` or `sr_field`.
    pub entity_type: String,
}

/// Tags of one entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaTags {
    /// The entity.
    pub schema_entity: SchemaEntity,
    /// Its tags.
    pub tags: Vec<String>,
}

/// Confluent's TagSchemaRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TagSchemaRequest {
    new_version: Option<i32>,
    #[serde(default)]
    tags_to_add: Vec<SchemaTags>,
    #[serde(default)]
    tags_to_remove: Vec<SchemaTags>,
    metadata: Option<Map<String, Value>>,
    rule_set: Option<Map<String, Value>>,
    rules_to_merge: Option<Map<String, Value>>,
    #[serde(default)]
    rules_to_remove: Vec<String>,
}

/// The rule lists of a rule set.
pub(super) const RULE_LISTS: [&str; 3] = ["migrationRules", "domainRules", "encodingRules"];

/// Every tagged entity of an Avro schema text, in the text's order, keeping
/// only tags in `wanted` (`*` wants all).
pub fn find_tags(entry: &SchemaEntry, wanted: &[String]) -> Vec<SchemaTags> {
    if entry.schema_type != SchemaType::Avro || wanted.is_empty() {
        return Vec::new();
    }
    let Ok(v) = serde_json::from_str::<Value>(&entry.text) else {
        return Vec::new();
    };
    let all = wanted.iter().any(|w| w == "*");
    let mut out = Vec::new();
    each_record(&v, "", &mut |full, record| {
        let mut push = |path: String, kind: &str, holder: &Map<String, Value>| {
            let tags: Vec<String> = holder
                .get(TAGS)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter(|t| all || wanted.iter().any(|w| w == t))
                .map(str::to_owned)
                .collect();
            if !tags.is_empty() {
                out.push(SchemaTags {
                    schema_entity: SchemaEntity {
                        entity_path: path,
                        entity_type: kind.to_owned(),
                    },
                    tags,
                });
            }
        };
        push(full.to_owned(), "sr_record", record);
        for f in fields(record) {
            if let Some(name) = f.get("name").and_then(Value::as_str) {
                push(format!("{full}.{name}"), "sr_field", f);
            }
        }
    });
    out
}

fn fields(record: &Map<String, Value>) -> impl Iterator<Item = &Map<String, Value>> {
    record
        .get("fields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

/// The full name a record definition declares.
fn record_name(map: &Map<String, Value>, namespace: &str) -> Option<String> {
    if !matches!(
        map.get("type").and_then(Value::as_str),
        Some("record" | "error")
    ) {
        return None;
    }
    let name = map.get("name")?.as_str()?;
    let ns = match map.get("namespace").and_then(Value::as_str) {
        Some(ns) if !name.contains('.') => ns,
        _ => namespace,
    };
    Some(if name.contains('.') || ns.is_empty() {
        name.to_owned()
    } else {
        format!("{ns}.{name}")
    })
}

/// Calls `visit` on every record definition in `v` with its full name.
fn each_record(v: &Value, namespace: &str, visit: &mut dyn FnMut(&str, &Map<String, Value>)) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| each_record(i, namespace, visit)),
        Value::Object(map) => {
            let own = record_name(map, namespace);
            let inner = match &own {
                Some(full) => full.rsplit_once('.').map_or("", |(ns, _)| ns).to_owned(),
                None => match map.get("namespace").and_then(Value::as_str) {
                    Some(ns) => ns.to_owned(),
                    None => namespace.to_owned(),
                },
            };
            if let Some(full) = &own {
                visit(full, map);
            }
            for f in fields(map) {
                if let Some(t) = f.get("type") {
                    each_record(t, &inner, visit);
                }
            }
            for key in ["items", "values"] {
                if let Some(t) = map.get(key) {
                    each_record(t, &inner, visit);
                }
            }
            if let Some(t @ (Value::Object(_) | Value::Array(_))) = map.get("type") {
                each_record(t, &inner, visit);
            }
        }
        _ => {}
    }
}

/// Finds the record definition named `full` in `v`, mutably.
fn find_record<'v>(
    v: &'v mut Value,
    namespace: &str,
    full: &str,
) -> Option<&'v mut Map<String, Value>> {
    match v {
        Value::Array(items) => items
            .iter_mut()
            .find_map(|i| find_record(i, namespace, full)),
        Value::Object(map) => {
            let own = record_name(map, namespace);
            if own.as_deref() == Some(full) {
                return Some(map);
            }
            let inner = match &own {
                Some(n) => n.rsplit_once('.').map_or("", |(ns, _)| ns).to_owned(),
                None => match map.get("namespace").and_then(Value::as_str) {
                    Some(ns) => ns.to_owned(),
                    None => namespace.to_owned(),
                },
            };
            // Look in one child at a time, so the borrow ends before the next.
            let mut children: Vec<&mut Value> = Vec::new();
            for (k, child) in map.iter_mut() {
                match k.as_str() {
                    "fields" => {
                        if let Value::Array(fs) = child {
                            for f in fs {
                                if let Some(t) = f.get_mut("type") {
                                    children.push(t);
                                }
                            }
                        }
                    }
                    "items" | "values" => children.push(child),
                    "type" if child.is_object() || child.is_array() => children.push(child),
                    _ => {}
                }
            }
            children
                .into_iter()
                .find_map(|c| find_record(c, &inner, full))
        }
        _ => None,
    }
}

/// The object that holds an entity's tags.
fn entity_mut<'v>(
    root: &'v mut Value,
    entity: &SchemaEntity,
) -> Result<&'v mut Map<String, Value>, String> {
    match entity.entity_type.to_ascii_lowercase().as_str() {
        "sr_record" => find_record(root, "", &entity.entity_path)
            .ok_or_else(|| format!("no record '{}' in the schema", entity.entity_path)),
        "sr_field" => {
            let (record, field) = entity
                .entity_path
                .rsplit_once('.')
                .ok_or_else(|| format!("field path '{}' names no record", entity.entity_path))?;
            let rec = find_record(root, "", record)
                .ok_or_else(|| format!("no record '{record}' in the schema"))?;
            rec.get_mut("fields")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
                .filter_map(Value::as_object_mut)
                .find(|f| f.get("name").and_then(Value::as_str) == Some(field))
                .ok_or_else(|| format!("record '{record}' has no field '{field}'"))
        }
        other => Err(format!(
            "unknown entity type '{other}' (expected sr_record or sr_field)"
        )),
    }
}

/// Adds and removes tags in an Avro schema text. `carried` tags (from an
/// earlier version) are added to the entities that still exist; the others
/// must name entities of the schema.
fn retag(
    text: &str,
    carried: &[SchemaTags],
    add: &[SchemaTags],
    remove: &[SchemaTags],
) -> Result<String, String> {
    let mut root: Value =
        serde_json::from_str(text).map_err(|e| format!("schema is not JSON: {e}"))?;
    let carried = carried.iter().map(|t| (t, true));
    for (t, optional) in carried.chain(add.iter().map(|t| (t, false))) {
        let holder = match entity_mut(&mut root, &t.schema_entity) {
            Ok(h) => h,
            Err(_) if optional => continue,
            Err(e) => return Err(e),
        };
        let list = holder
            .entry(TAGS)
            .or_insert_with(|| Value::Array(Vec::new()));
        let Value::Array(list) = list else {
            return Err(format!(
                "'{TAGS}' of '{}' is not an array",
                t.schema_entity.entity_path
            ));
        };
        for tag in &t.tags {
            if !list.iter().any(|x| x.as_str() == Some(tag)) {
                list.push(Value::String(tag.clone()));
            }
        }
    }
    for t in remove {
        let holder = entity_mut(&mut root, &t.schema_entity)?;
        if let Some(Value::Array(list)) = holder.get_mut(TAGS) {
            list.retain(|x| !x.as_str().is_some_and(|s| t.tags.iter().any(|r| r == s)));
            if list.is_empty() {
                holder.remove(TAGS);
            }
        }
    }
    serde_json::to_string(&root).map_err(|e| format!("schema does not serialize: {e}"))
}

/// `rules` with `merge`'s rules replacing same-named ones (or appended) and the
/// rules named in `remove` dropped, per rule list.
fn merge_rules(
    rules: Option<Map<String, Value>>,
    merge: Option<Map<String, Value>>,
    remove: &[String],
) -> Option<Map<String, Value>> {
    if merge.is_none() && remove.is_empty() {
        return rules;
    }
    let mut out = rules.unwrap_or_default();
    let name = |r: &Value| r.get("name").and_then(Value::as_str).map(str::to_owned);
    for list in RULE_LISTS {
        let mut current: Vec<Value> = out
            .get(list)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if let Some(Value::Array(add)) = merge.as_ref().and_then(|m| m.get(list)) {
            for rule in add {
                match current
                    .iter_mut()
                    .find(|c| name(c).is_some() && name(c) == name(rule))
                {
                    Some(slot) => *slot = rule.clone(),
                    None => current.push(rule.clone()),
                }
            }
        }
        current.retain(|r| !name(r).is_some_and(|n| remove.contains(&n)));
        if current.is_empty() {
            out.remove(list);
        } else {
            out.insert(list.to_owned(), Value::Array(current));
        }
    }
    if let Some(m) = merge {
        // Other rule-set fields (enableAt, ...) follow the merged set.
        for (k, v) in m {
            if !RULE_LISTS.contains(&k.as_str()) {
                out.insert(k, v);
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

impl Registry {
    /// Applies a register or lookup request's `schemaTagsToAdd`,
    /// `schemaTagsToRemove` and `propagateSchemaTags` (carry the tags of the
    /// subject's latest live version over) to its schema text.
    pub(super) fn apply_request_tags(
        &self,
        subject: &QualifiedSubject,
        req: &mut RegisterSchema,
    ) -> Result<(), Error> {
        if req.tags_to_add.is_empty() && req.tags_to_remove.is_empty() && !req.propagate_tags {
            return Ok(());
        }
        if req.schema_type != SchemaType::Avro {
            return Err(Error::InvalidSchema(format!(
                "Invalid schema: schema tags are supported on AVRO schemas only, not {}",
                req.schema_type.as_str()
            )));
        }
        let carried = if req.propagate_tags {
            let st = self.read();
            st.versions(subject)
                .iter()
                .rev()
                .find(|v| !v.deleted)
                .and_then(|v| st.schema(&subject.context, v.schema_id))
                .filter(|e| e.schema_type == SchemaType::Avro)
                .map(|e| find_tags(e, &["*".to_owned()]))
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        req.schema = retag(&req.schema, &carried, &req.tags_to_add, &req.tags_to_remove)
            .map_err(|m| Error::InvalidSchema(format!("Invalid schema: {m}")))?;
        req.tags_to_add.clear();
        req.tags_to_remove.clear();
        req.propagate_tags = false;
        Ok(())
    }

    /// `POST /subjects/{subject}/versions/{version}/tags`: registers the
    /// version's schema again with tags changed, as the next version.
    pub async fn modify_tags(
        &self,
        subject: &str,
        version: &str,
        body: Value,
    ) -> Result<SchemaView, Error> {
        let req: TagSchemaRequest = serde_json::from_value(body)
            .map_err(|e| Error::MalformedRequest(format!("invalid tag request: {e}")))?;
        let subject_q = QualifiedSubject::parse_subject(subject)?;
        let row = self.find_version(&subject_q, version, false)?;
        let entry = self
            .read()
            .schema(&subject_q.context, row.schema_id)
            .cloned()
            .ok_or_else(|| {
                Error::Internal(format!(
                    "version {} points at a missing schema",
                    row.version
                ))
            })?;
        if entry.schema_type != SchemaType::Avro {
            return Err(Error::InvalidSchema(format!(
                "Invalid schema: tags can be changed on AVRO schemas only; subject '{subject_q}' version {} is {}",
                row.version,
                entry.schema_type.as_str()
            )));
        }
        let text = retag(&entry.text, &[], &req.tags_to_add, &req.tags_to_remove).map_err(|m| {
            Error::InvalidSchema(format!(
                "Invalid schema: subject '{subject_q}' version {}: {m}",
                row.version
            ))
        })?;
        let mut metadata = match req.metadata {
            Some(m) => Some(m),
            None => entry.metadata.as_ref().and_then(Value::as_object).cloned(),
        };
        if let Some(v) = req.new_version {
            let props = metadata
                .get_or_insert_with(Map::new)
                .entry("properties")
                .or_insert_with(|| Value::Object(Map::new()));
            match props {
                Value::Object(p) => {
                    p.insert(VERSION_PROPERTY.into(), Value::String(v.to_string()));
                }
                _ => {
                    return Err(Error::MalformedRequest(
                        "metadata 'properties' must be an object".into(),
                    ));
                }
            }
        }
        let rule_set = req
            .rule_set
            .or_else(|| entry.rule_set.as_ref().and_then(Value::as_object).cloned());
        let rule_set =
            merge_rules(rule_set, req.rules_to_merge, &req.rules_to_remove).map(Value::Object);
        if let Some(rs) = &rule_set {
            super::request::validate_rule_set(rs)?;
        }
        let register = RegisterSchema {
            schema: text,
            schema_type: SchemaType::Avro,
            references: entry.references.clone(),
            metadata: metadata.map(Value::Object),
            rule_set,
            id: None,
            version: req.new_version,
            extra: entry.extra.clone(),
            ..RegisterSchema::default()
        };
        self.register(subject, register, RegisterOptions::default())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tags(kind: &str, path: &str, t: &[&str]) -> SchemaTags {
        SchemaTags {
            schema_entity: SchemaEntity {
                entity_path: path.into(),
                entity_type: kind.into(),
            },
            tags: t.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn adds_and_removes_tags() {
        let text = json!({"type": "record", "name": "Order", "namespace": "shop", "fields": [
            {"name": "id", "type": "string"},
            {"name": "to", "type": {"type": "record", "name": "Addr", "fields": [
                {"name": "street", "type": "string"}]}}
        ]})
        .to_string();
        let out = retag(
            &text,
            &[],
            &[
                tags("sr_field", "shop.Order.id", &["PII", "PII"]),
                tags("SR_RECORD", "shop.Addr", &["LOC"]),
                tags("sr_field", "shop.Addr.street", &["PII"]),
            ],
            &[],
        )
        .unwrap();
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["fields"][0][TAGS], json!(["PII"]));
        assert_eq!(v["fields"][1]["type"][TAGS], json!(["LOC"]));
        let back = retag(
            &out,
            &[],
            &[],
            &[tags("sr_field", "shop.Order.id", &["PII"])],
        )
        .unwrap();
        let v: Value = serde_json::from_str(&back).unwrap();
        assert!(v["fields"][0].get(TAGS).is_none());
        assert!(
            retag(
                &text,
                &[],
                &[tags("sr_field", "shop.Order.nope", &["X"])],
                &[]
            )
            .is_err()
        );
        assert!(retag(&text, &[], &[tags("sr_thing", "shop.Order", &["X"])], &[]).is_err());
        // Carried tags skip entities the schema no longer has.
        let carried = retag(
            &text,
            &[tags("sr_field", "shop.Order.gone", &["X"])],
            &[],
            &[],
        );
        assert_eq!(
            serde_json::from_str::<Value>(&carried.unwrap()).unwrap(),
            serde_json::from_str::<Value>(&text).unwrap()
        );
    }

    #[test]
    fn merges_rules_by_name() {
        let rules = json!({"domainRules": [{"name": "a", "expr": "1"}, {"name": "b"}]});
        let merge = json!({"domainRules": [{"name": "a", "expr": "2"}, {"name": "c"}]});
        let out = merge_rules(
            rules.as_object().cloned(),
            merge.as_object().cloned(),
            &["b".to_owned()],
        )
        .unwrap();
        assert_eq!(
            Value::Object(out),
            json!({"domainRules": [{"name": "a", "expr": "2"}, {"name": "c"}]})
        );
        assert!(merge_rules(None, None, &[]).is_none());
    }
}
