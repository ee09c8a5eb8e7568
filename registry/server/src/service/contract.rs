//! Data-contract defaults: what a subject's config (`defaultMetadata`,
//! `overrideMetadata`, `defaultRuleSet`, `overrideRuleSet`) and its latest
//! version add to the metadata and rule set a new version is stored with.
//!
//! As Confluent's register path does (`maybeSetMetadataRuleSet`): the request's
//! metadata, or the latest live version's when the request has none, is merged
//! over the default and under the override; rule sets likewise. The result is
//! the stored content, so it decides identity (same content, same version) and
//! is what reads return. Values pass through untouched when there is nothing
//! to merge, so content registered before keeps its key.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::{Map, Value};

use super::tags::RULE_LISTS;
use super::{RegisterSchema, Registry};
use crate::settings::ConfigDoc;
use crate::subject::QualifiedSubject;

impl Registry {
    /// Gives `req` the metadata and rule set its registration stores under
    /// `config`, carrying them forward from the subject's latest live version
    /// when the request has none.
    pub(super) fn apply_contract(
        &self,
        subject: &QualifiedSubject,
        config: &ConfigDoc,
        req: &mut RegisterSchema,
    ) {
        let st = self.read();
        let previous = st
            .versions(subject)
            .iter()
            .rev()
            .find(|v| !v.deleted)
            .and_then(|v| st.schema(&subject.context, v.schema_id));
        let metadata = req
            .metadata
            .as_ref()
            .or_else(|| previous.and_then(|e| e.metadata.as_ref()));
        let rule_set = req
            .rule_set
            .as_ref()
            .or_else(|| previous.and_then(|e| e.rule_set.as_ref()));
        let (metadata, rule_set) = effective(config, metadata, rule_set);
        req.metadata = metadata;
        req.rule_set = rule_set;
    }
}

/// `merge(merge(default, specific), override)` for metadata and rule set.
pub(super) fn effective(
    config: &ConfigDoc,
    metadata: Option<&Value>,
    rule_set: Option<&Value>,
) -> (Option<Value>, Option<Value>) {
    // A config value that is not an object cannot be merged; it counts as unset.
    let object = |key: &str| config.get(key).filter(|v| v.is_object());
    let metadata = merge_metadata(
        merge_metadata(object("defaultMetadata"), metadata).as_ref(),
        object("overrideMetadata"),
    );
    let rule_set = merge_rule_sets(
        merge_rule_sets(object("defaultRuleSet"), rule_set).as_ref(),
        object("overrideRuleSet"),
    );
    (metadata, rule_set)
}

/// Confluent's `Metadata.mergeMetadata`: `tags` and `properties` merge key by
/// key (a tag path's list is replaced, not joined), `sensitive` is the union;
/// the newer side wins.
pub(super) fn merge_metadata(old: Option<&Value>, new: Option<&Value>) -> Option<Value> {
    let (o, n) = match (old, new) {
        (None, n) => return n.cloned(),
        (o, None) => return o.cloned(),
        (Some(Value::Object(o)), Some(Value::Object(n))) => (o, n),
        (Some(_), Some(n)) => return Some(n.clone()),
    };
    let mut out = overlay(o, n);
    for key in ["tags", "properties"] {
        put(&mut out, key, merge_maps(o.get(key), n.get(key)));
    }
    put(
        &mut out,
        "sensitive",
        merge_sets(o.get("sensitive"), n.get("sensitive")),
    );
    Some(Value::Object(out))
}

/// Confluent's `RuleSet.mergeRuleSets`: per rule list, the older rules not
/// named in the newer list, then the newer rules.
pub(super) fn merge_rule_sets(old: Option<&Value>, new: Option<&Value>) -> Option<Value> {
    let (o, n) = match (old, new) {
        (None, n) => return n.cloned(),
        (o, None) => return o.cloned(),
        (Some(Value::Object(o)), Some(Value::Object(n))) => (o, n),
        (Some(_), Some(n)) => return Some(n.clone()),
    };
    let mut out = overlay(o, n);
    for list in RULE_LISTS {
        put(&mut out, list, merge_rules(o.get(list), n.get(list)));
    }
    Some(Value::Object(out))
}

/// `old` with `new`'s fields on top; fields this module does not merge
/// (added by newer clients) follow the newer side.
fn overlay(old: &Map<String, Value>, new: &Map<String, Value>) -> Map<String, Value> {
    let mut out = old.clone();
    out.extend(new.iter().map(|(k, v)| (k.clone(), v.clone())));
    out
}

fn put(out: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    match value {
        Some(v) => {
            out.insert(key.to_owned(), v);
        }
        None => {
            out.remove(key);
        }
    }
}

/// Absent, null, or an empty object or array: Confluent merges these away.
fn is_empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Object(m)) => m.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(_) => false,
    }
}

/// The guard every map and list merge shares: an empty side yields the other
/// one; two non-empty sides are merged by `both`.
fn merge_nonempty(
    old: Option<&Value>,
    new: Option<&Value>,
    both: impl FnOnce(&Value, &Value) -> Value,
) -> Option<Value> {
    match (old, new) {
        (Some(o), Some(n)) if !is_empty(old) && !is_empty(new) => Some(both(o, n)),
        _ if is_empty(old) => new.cloned(),
        _ => old.cloned(),
    }
}

/// Key by key, the newer value winning; keys sorted, as Confluent's `TreeMap`.
fn merge_maps(old: Option<&Value>, new: Option<&Value>) -> Option<Value> {
    merge_nonempty(old, new, |o, n| match (o, n) {
        (Value::Object(o), Value::Object(n)) => {
            // Later entries overwrite earlier ones, so `new` wins.
            let merged: BTreeMap<&String, &Value> = o.iter().chain(n.iter()).collect();
            Value::Object(
                merged
                    .into_iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            )
        }
        _ => n.clone(),
    })
}

/// The sorted union of two string lists.
fn merge_sets(old: Option<&Value>, new: Option<&Value>) -> Option<Value> {
    merge_nonempty(old, new, |o, n| match (o, n) {
        (Value::Array(o), Value::Array(n)) => {
            let union: BTreeSet<&str> = o.iter().chain(n).filter_map(Value::as_str).collect();
            Value::Array(union.into_iter().map(Value::from).collect())
        }
        _ => n.clone(),
    })
}

/// The older rules not named among the newer ones, then the newer rules.
fn merge_rules(old: Option<&Value>, new: Option<&Value>) -> Option<Value> {
    merge_nonempty(old, new, |o, n| match (o, n) {
        (Value::Array(o), Value::Array(n)) => {
            let name = |r: &Value| r.get("name").and_then(Value::as_str).map(str::to_owned);
            let replaced: HashSet<String> = n.iter().filter_map(name).collect();
            let mut rules: Vec<Value> = o
                .iter()
                .filter(|r| !name(r).is_some_and(|x| replaced.contains(&x)))
                .cloned()
                .collect();
            rules.extend(n.iter().cloned());
            Value::Array(rules)
        }
        _ => n.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> ConfigDoc {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn metadata_merges_per_field() {
        let old = json!({"tags": {"a": ["X"], "b": ["Y"]}, "properties": {"k": "1", "z": "old"},
                         "sensitive": ["s2", "s1"]});
        let new = json!({"tags": {"a": ["Z"]}, "properties": {"z": "new"}, "sensitive": ["s3"]});
        assert_eq!(
            merge_metadata(Some(&old), Some(&new)).unwrap(),
            json!({"tags": {"a": ["Z"], "b": ["Y"]}, "properties": {"k": "1", "z": "new"},
                   "sensitive": ["s1", "s2", "s3"]})
        );
        // Nothing to merge: the value passes through as it was.
        assert_eq!(merge_metadata(None, Some(&old)), Some(old.clone()));
        assert_eq!(merge_metadata(Some(&old), None), Some(old));
        assert_eq!(merge_metadata(None, None), None);
    }

    #[test]
    fn rule_sets_merge_by_name_newer_last() {
        let old = json!({"domainRules": [{"name": "a", "expr": "1"}, {"name": "b"}],
                         "migrationRules": [{"name": "m"}]});
        let new = json!({"domainRules": [{"name": "a", "expr": "2"}, {"name": "c"}]});
        assert_eq!(
            merge_rule_sets(Some(&old), Some(&new)).unwrap(),
            json!({"domainRules": [{"name": "b"}, {"name": "a", "expr": "2"}, {"name": "c"}],
                   "migrationRules": [{"name": "m"}]})
        );
    }

    #[test]
    fn override_beats_request_beats_default() {
        let config = doc(json!({
            "defaultMetadata": {"properties": {"owner": "platform", "tier": "3"}},
            "overrideMetadata": {"properties": {"tier": "1"}},
            "defaultRuleSet": {"domainRules": [{"name": "d"}]},
            "overrideRuleSet": "not an object",
        }));
        let req = json!({"properties": {"owner": "team-a", "tier": "2"}});
        let (m, r) = effective(&config, Some(&req), None);
        assert_eq!(
            m.unwrap(),
            json!({"properties": {"owner": "team-a", "tier": "1"}})
        );
        assert_eq!(r.unwrap(), json!({"domainRules": [{"name": "d"}]}));
        assert_eq!(effective(&ConfigDoc::new(), None, None), (None, None));
    }
}
