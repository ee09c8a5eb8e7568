//! The in-memory mirror of the store: every read is answered from here.
//!
//! Loaded once at startup and updated by the service after each commit, while it
//! holds the write lock, so the mirror never runs ahead of the database. Schemas
//! are immutable once stored; each entry caches its parsed form so compatibility
//! checks never parse a stored version twice.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};

use evreg_core::{
    ReferenceLookup, ReferencedSchema, SchemaError, SchemaReference, SchemaType, SharedSchema,
};
use serde_json::{Map, Value};

use crate::settings::{ConfigDoc, EffectiveConfig, Mode};
use crate::store::{SchemaRow, SettingRow, Snapshot, VersionRow, guid_of};
use crate::subject::{DEFAULT_CONTEXT, QualifiedSubject};

/// One stored schema, shared by every version that uses it.
#[derive(Debug)]
pub struct SchemaEntry {
    /// The context the id belongs to.
    pub context: String,
    /// The id.
    pub id: i64,
    /// The format.
    pub schema_type: SchemaType,
    /// The stored text.
    pub text: String,
    /// References as registered.
    pub references: Vec<SchemaReference>,
    /// `metadata`, as sent.
    pub metadata: Option<Value>,
    /// `ruleSet`, as sent.
    pub rule_set: Option<Value>,
    /// Request fields not interpreted, echoed in responses.
    pub extra: Map<String, Value>,
    /// Hex fingerprint of the text plus references.
    pub fingerprint: String,
    /// Hex dedup key.
    pub content_key: String,
    /// The stored GUID (Confluent 8.x `guid`), lowercase; content-derived, so
    /// one content has one GUID in every context.
    pub guid: String,
    parsed: OnceLock<SharedSchema>,
    /// `GET /schemas/ids/{id}`'s body without parameters, rendered on first
    /// use (the entry is immutable, so it never goes stale).
    plain_json: OnceLock<axum::body::Bytes>,
}

impl SchemaEntry {
    /// Builds an entry from a stored row.
    pub fn from_row(row: SchemaRow) -> Result<SchemaEntry, String> {
        let c = row.content;
        let schema_type = c
            .schema_type
            .parse()
            .map_err(|e| format!("schema {} in context {}: {e}", row.id, row.context))?;
        let json = |what: &str, text: Option<&str>| -> Result<Option<Value>, String> {
            text.map(serde_json::from_str).transpose().map_err(|e| {
                format!(
                    "schema {} in context {}: bad {what}: {e}",
                    row.id, row.context
                )
            })
        };
        let references = serde_json::from_str(&c.references).map_err(|e| {
            format!(
                "schema {} in context {}: bad references: {e}",
                row.id, row.context
            )
        })?;
        let extra = match json("extra", c.extra.as_deref())? {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let metadata = json("metadata", c.metadata.as_deref())?;
        let rule_set = json("ruleSet", c.rule_set.as_deref())?;
        Ok(SchemaEntry {
            // A row the store could not fill in yet gets the value it would store.
            guid: if c.guid.is_empty() {
                guid_of(&c.content_key)
            } else {
                c.guid.to_ascii_lowercase()
            },
            context: row.context,
            id: row.id,
            schema_type,
            text: c.schema,
            references,
            metadata,
            rule_set,
            extra,
            fingerprint: c.fingerprint,
            content_key: c.content_key,
            parsed: OnceLock::new(),
            plain_json: OnceLock::new(),
        })
    }

    /// The JSON `render` makes of this entry, made once.
    pub fn plain_json(
        &self,
        render: impl FnOnce(&SchemaEntry) -> Result<Vec<u8>, serde_json::Error>,
    ) -> Result<axum::body::Bytes, serde_json::Error> {
        if let Some(b) = self.plain_json.get() {
            return Ok(b.clone());
        }
        let body = axum::body::Bytes::from(render(self)?);
        Ok(self.plain_json.get_or_init(|| body).clone())
    }

    /// Caches a parsed form known to match the stored text.
    pub fn with_parsed(self, parsed: SharedSchema) -> Self {
        let _ = self.parsed.set(parsed);
        self
    }

    /// Caches a parsed form known to match the stored text, unless one is
    /// cached already.
    pub fn offer_parsed(&self, parsed: SharedSchema) {
        let _ = self.parsed.set(parsed);
    }

    /// The parsed form, parsing (and caching) on first use.
    pub fn parsed(&self, lookup: &dyn ReferenceLookup) -> Result<SharedSchema, SchemaError> {
        if let Some(p) = self.parsed.get() {
            return Ok(p.clone());
        }
        let p = Arc::new(evreg_core::parse(
            self.schema_type,
            &self.text,
            &self.references,
            lookup,
        )?);
        // A concurrent first use may have won; either parse is equivalent.
        Ok(self.parsed.get_or_init(|| p).clone())
    }
}

/// One context's schemas and subjects.
#[derive(Debug, Default)]
pub struct ContextState {
    /// Highest id ever issued here.
    pub max_id: i64,
    /// Schemas by id.
    pub schemas: BTreeMap<i64, Arc<SchemaEntry>>,
    /// Lowest id per dedup key.
    pub by_key: HashMap<String, i64>,
    /// Versions per subject name, ascending, soft-deleted included.
    pub subjects: BTreeMap<String, Vec<VersionRow>>,
}

impl ContextState {
    fn index_key(&mut self, entry: &SchemaEntry) {
        let id = self
            .by_key
            .entry(entry.content_key.clone())
            .or_insert(entry.id);
        *id = (*id).min(entry.id);
    }
}

/// A referenced subject-version, keyed by qualified subject.
pub type RefTarget = (QualifiedSubject, i32);

/// The whole registry in memory.
#[derive(Debug, Default)]
pub struct State {
    /// Contexts by name.
    pub contexts: BTreeMap<String, ContextState>,
    /// Config documents per scope.
    pub configs: HashMap<QualifiedSubject, ConfigDoc>,
    /// Modes per scope.
    pub modes: HashMap<QualifiedSubject, Mode>,
    /// Which schemas (context, id) reference a subject-version.
    pub referrers: HashMap<RefTarget, BTreeSet<(String, i64)>>,
    /// Schemas (context, id) by GUID, so `/schemas/guids` needs no scan.
    pub guids: HashMap<String, BTreeSet<(String, i64)>>,
}

impl State {
    /// Builds the mirror from a store snapshot.
    pub fn from_snapshot(snap: Snapshot) -> Result<State, String> {
        let mut state = State::default();
        for (context, max_id) in snap.contexts {
            state.contexts.entry(context).or_default().max_id = max_id;
        }
        for row in snap.schemas {
            let entry = SchemaEntry::from_row(row)?;
            state.insert_schema(entry);
        }
        for v in snap.versions {
            let ctx = state.contexts.entry(v.context).or_default();
            ctx.subjects.entry(v.subject).or_default().push(v.row);
        }
        for ctx in state.contexts.values_mut() {
            for versions in ctx.subjects.values_mut() {
                versions.sort_by_key(|v| v.version);
            }
        }
        for row in snap.configs {
            let doc = match serde_json::from_str(&row.value) {
                Ok(Value::Object(m)) => m,
                _ => {
                    return Err(format!(
                        "config of '{}' '{}' is not a JSON object",
                        row.context, row.subject
                    ));
                }
            };
            state.configs.insert(scope(row.context, row.subject), doc);
        }
        for row in snap.modes {
            let mode = row.value.parse().map_err(|_| {
                format!(
                    "unknown mode '{}' stored for '{}' '{}'",
                    row.value, row.context, row.subject
                )
            })?;
            state.modes.insert(scope(row.context, row.subject), mode);
        }
        Ok(state)
    }

    /// The effective mode and config of `subject` from setting rows read in a
    /// store transaction (those of [`scope_chain`]).
    pub fn settings_from_rows(
        subject: &QualifiedSubject,
        configs: Vec<SettingRow>,
        modes: Vec<SettingRow>,
    ) -> Result<(Mode, EffectiveConfig), String> {
        let st = State::from_snapshot(Snapshot {
            configs,
            modes,
            ..Snapshot::default()
        })?;
        Ok((st.effective_mode(subject), st.effective_config(subject)))
    }

    /// Keeps the parsed forms of `old` for schemas that did not change, so a
    /// full reload does not make every stored schema parse again.
    pub fn adopt_parsed(&mut self, old: &State) {
        for (name, ctx) in &mut self.contexts {
            let Some(old_ctx) = old.contexts.get(name) else {
                continue;
            };
            for (id, entry) in &mut ctx.schemas {
                if let Some(prev) = old_ctx.schemas.get(id)
                    && prev.content_key == entry.content_key
                    && prev.text == entry.text
                {
                    *entry = prev.clone();
                }
            }
        }
    }

    /// Replaces a subject's versions (as read from the store), dropping the
    /// subject when it has none left.
    pub fn set_versions(&mut self, subject: &QualifiedSubject, rows: Vec<VersionRow>) {
        *self.versions_mut(subject) = rows;
        self.prune_subject(subject);
    }

    /// Sets or clears a scope's config document from its stored text.
    pub fn set_config_text(
        &mut self,
        scope: QualifiedSubject,
        text: Option<&str>,
    ) -> Result<(), String> {
        match text {
            None => {
                self.configs.remove(&scope);
            }
            Some(t) => match serde_json::from_str(t) {
                Ok(Value::Object(m)) => {
                    self.configs.insert(scope, m);
                }
                _ => return Err(format!("config of '{scope}' is not a JSON object")),
            },
        }
        Ok(())
    }

    /// Sets or clears a scope's mode from its stored name.
    pub fn set_mode_text(
        &mut self,
        scope: QualifiedSubject,
        text: Option<&str>,
    ) -> Result<(), String> {
        match text {
            None => {
                self.modes.remove(&scope);
            }
            Some(t) => {
                let mode = t
                    .parse()
                    .map_err(|_| format!("unknown mode '{t}' stored for '{scope}'"))?;
                self.modes.insert(scope, mode);
            }
        }
        Ok(())
    }

    /// Adds a schema and indexes its key and references.
    pub fn insert_schema(&mut self, entry: SchemaEntry) {
        let owner = QualifiedSubject {
            context: entry.context.clone(),
            name: String::new(),
        };
        for r in &entry.references {
            if let Ok(target) = owner.relative(&r.subject) {
                self.referrers
                    .entry((target, r.version))
                    .or_default()
                    .insert((entry.context.clone(), entry.id));
            }
        }
        self.guids
            .entry(entry.guid.clone())
            .or_default()
            .insert((entry.context.clone(), entry.id));
        let ctx = self.contexts.entry(entry.context.clone()).or_default();
        ctx.max_id = ctx.max_id.max(entry.id);
        ctx.index_key(&entry);
        ctx.schemas.insert(entry.id, Arc::new(entry));
    }

    /// Removes schemas no version uses any more.
    pub fn remove_schemas(&mut self, context: &str, ids: &[i64]) {
        let Some(ctx) = self.contexts.get_mut(context) else {
            return;
        };
        let mut removed = Vec::new();
        for id in ids {
            if let Some(entry) = ctx.schemas.remove(id) {
                if ctx.by_key.get(&entry.content_key) == Some(id) {
                    ctx.by_key.remove(&entry.content_key);
                    // Another id may hold the same content (IMPORT).
                    if let Some(other) = ctx
                        .schemas
                        .values()
                        .filter(|e| e.content_key == entry.content_key)
                        .map(|e| e.id)
                        .min()
                    {
                        ctx.by_key.insert(entry.content_key.clone(), other);
                    }
                }
                removed.push(entry);
            }
        }
        for entry in removed {
            if let Some(set) = self.guids.get_mut(&entry.guid) {
                set.remove(&(entry.context.clone(), entry.id));
                if set.is_empty() {
                    self.guids.remove(&entry.guid);
                }
            }
            let owner = QualifiedSubject {
                context: entry.context.clone(),
                name: String::new(),
            };
            for r in &entry.references {
                if let Ok(target) = owner.relative(&r.subject) {
                    let key = (target, r.version);
                    if let Some(set) = self.referrers.get_mut(&key) {
                        set.remove(&(entry.context.clone(), entry.id));
                        if set.is_empty() {
                            self.referrers.remove(&key);
                        }
                    }
                }
            }
        }
    }

    /// A schema by context and id.
    pub fn schema(&self, context: &str, id: i64) -> Option<&Arc<SchemaEntry>> {
        self.contexts.get(context)?.schemas.get(&id)
    }

    /// A subject's versions, soft-deleted included, ascending (empty if unknown).
    pub fn versions(&self, subject: &QualifiedSubject) -> &[VersionRow] {
        self.contexts
            .get(&subject.context)
            .and_then(|c| c.subjects.get(&subject.name))
            .map_or(&[], Vec::as_slice)
    }

    /// Mutable access to a subject's versions, created if missing.
    pub fn versions_mut(&mut self, subject: &QualifiedSubject) -> &mut Vec<VersionRow> {
        self.contexts
            .entry(subject.context.clone())
            .or_default()
            .subjects
            .entry(subject.name.clone())
            .or_default()
    }

    /// Drops a subject's entry once it has no versions.
    pub fn prune_subject(&mut self, subject: &QualifiedSubject) {
        if let Some(ctx) = self.contexts.get_mut(&subject.context)
            && ctx.subjects.get(&subject.name).is_some_and(Vec::is_empty)
        {
            ctx.subjects.remove(&subject.name);
        }
    }

    /// The live versions of a subject, ascending.
    pub fn live_versions(&self, subject: &QualifiedSubject) -> Vec<VersionRow> {
        self.versions(subject)
            .iter()
            .filter(|v| !v.deleted)
            .copied()
            .collect()
    }

    /// Schemas (context, id) that reference a subject-version and still have a
    /// version; `live_only` counts only referrers with a live version.
    pub fn referrers_of(
        &self,
        subject: &QualifiedSubject,
        version: i32,
        live_only: bool,
    ) -> Vec<i64> {
        // A reference to version -1 follows the subject's latest live version,
        // so it holds whichever version that is now: deleting it would change
        // what the referrer means. With every version soft-deleted it holds the
        // last one, which it resolved to last, until the referrer goes.
        let versions = self.versions(subject);
        let latest = versions
            .iter()
            .rev()
            .find(|v| !v.deleted)
            .or(versions.last())
            .is_some_and(|v| v.version == version);
        let exact = self.referrers.get(&(subject.clone(), version));
        let floating = latest
            .then(|| self.referrers.get(&(subject.clone(), -1)))
            .flatten();
        let mut ids: Vec<i64> = exact
            .into_iter()
            .chain(floating)
            .flatten()
            .filter(|(ctx, id)| self.schema_in_use(ctx, *id, live_only))
            .map(|(_, id)| *id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    fn schema_in_use(&self, context: &str, id: i64, live_only: bool) -> bool {
        self.contexts.get(context).is_some_and(|c| {
            c.subjects
                .values()
                .flatten()
                .any(|v| v.schema_id == id && !(live_only && v.deleted))
        })
    }

    /// Every (subject, version) in a context that uses schema `id`.
    pub fn uses_of(&self, context: &str, id: i64) -> Vec<(QualifiedSubject, VersionRow)> {
        let Some(ctx) = self.contexts.get(context) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (name, versions) in &ctx.subjects {
            for v in versions.iter().filter(|v| v.schema_id == id) {
                out.push((scope(context.to_owned(), name.clone()), *v));
            }
        }
        out
    }

    /// The effective config of a scope (subject, then context, then global).
    pub fn effective_config(&self, subject: &QualifiedSubject) -> EffectiveConfig {
        let chain = scope_chain(subject);
        EffectiveConfig::merge(chain.iter().rev().filter_map(|s| self.configs.get(s)))
    }

    /// The effective mode of a scope. A global `READONLY_OVERRIDE` beats all.
    pub fn effective_mode(&self, subject: &QualifiedSubject) -> Mode {
        let global = self.modes.get(&QualifiedSubject::global()).copied();
        if global == Some(Mode::ReadOnlyOverride) {
            return Mode::ReadOnlyOverride;
        }
        scope_chain(subject)
            .iter()
            .find_map(|s| self.modes.get(s).copied())
            .unwrap_or_default()
    }

    /// Resolves a reference made from `context` to the registered schema.
    pub fn resolve(&self, context: &str, reference: &SchemaReference) -> Option<ReferencedSchema> {
        let owner = scope(context.to_owned(), String::new());
        let target = owner.relative(&reference.subject).ok()?;
        let versions = self.versions(&target);
        let row = if reference.version == -1 {
            versions.iter().rev().find(|v| !v.deleted)
        } else {
            versions.iter().find(|v| v.version == reference.version)
        }?;
        let entry = self.schema(&target.context, row.schema_id)?;
        // Nested references are relative to the referenced schema's context;
        // qualify them when it differs, so the next lookup lands right.
        let references = entry
            .references
            .iter()
            .map(|r| {
                let mut r = r.clone();
                if target.context != context
                    && let Ok(q) = scope(target.context.clone(), String::new()).relative(&r.subject)
                {
                    r.subject = q.to_string();
                    if q.context == DEFAULT_CONTEXT {
                        r.subject = format!(":.:{}", q.name);
                    }
                }
                r
            })
            .collect();
        Some(ReferencedSchema {
            schema_type: entry.schema_type,
            schema: entry.text.clone(),
            references,
        })
    }
}

/// Builds a scope key.
pub fn scope(context: String, name: String) -> QualifiedSubject {
    QualifiedSubject { context, name }
}

/// The scopes whose settings apply to `subject`, narrowest first; the last is
/// always the global scope.
pub fn scope_chain(subject: &QualifiedSubject) -> Vec<QualifiedSubject> {
    let mut chain = Vec::with_capacity(3);
    if !subject.name.is_empty() {
        chain.push(subject.clone());
    }
    chain.push(subject.context_scope());
    if subject.context != DEFAULT_CONTEXT {
        chain.push(QualifiedSubject::global());
    }
    chain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_chain_ends_global() {
        let s = QualifiedSubject::parse(":.ctx:a").unwrap();
        let chain: Vec<String> = scope_chain(&s).iter().map(ToString::to_string).collect();
        assert_eq!(chain, [":.ctx:a", ":.ctx:", ""]);
        let d = QualifiedSubject::parse("a").unwrap();
        assert_eq!(scope_chain(&d).len(), 2);
    }
}
