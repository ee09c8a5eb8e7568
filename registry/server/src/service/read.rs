//! Read paths: subjects, versions, schemas by id and guid, references. All are
//! answered from memory.

use serde::Serialize;

use super::{Error, Registry, Render, SchemaView};
use crate::store::VersionRow;
use crate::subject::{DEFAULT_CONTEXT, QualifiedSubject};

/// A version path parameter: a number in `[1, 2^31-1]`, or `latest` / `-1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSpec {
    /// The latest (live) version.
    Latest,
    /// A version number.
    Number(i32),
}

impl VersionSpec {
    /// Parses a path parameter; anything else (including `0`) is 42202.
    pub fn parse(raw: &str) -> Result<VersionSpec, Error> {
        if raw.eq_ignore_ascii_case("latest") || raw == "-1" {
            return Ok(VersionSpec::Latest);
        }
        match raw.parse::<i32>() {
            Ok(n) if n >= 1 => Ok(VersionSpec::Number(n)),
            _ => Err(Error::InvalidVersion(raw.to_owned())),
        }
    }
}

/// `offset` / `limit` of a list endpoint; a negative limit means all.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Items to skip.
    pub offset: usize,
    /// Items to return at most.
    pub limit: Option<usize>,
}

impl Page {
    /// Every item.
    pub const ALL: Page = Page {
        offset: 0,
        limit: None,
    };

    /// Applies the page to a list.
    pub fn apply<T>(self, items: Vec<T>) -> Vec<T> {
        let it = items.into_iter().skip(self.offset);
        match self.limit {
            Some(n) => it.take(n).collect(),
            None => it.collect(),
        }
    }
}

/// The filters of `GET /schemas`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SchemaListQuery<'a> {
    /// `subjectPrefix`.
    pub prefix: Option<&'a str>,
    /// `deleted`: include soft-deleted versions.
    pub deleted: bool,
    /// `latestOnly`: one version per subject.
    pub latest_only: bool,
    /// `aliases`: also list subjects configured as aliases of others.
    pub aliases: bool,
    /// `ruleType`: only schemas whose rule set has a rule of this type.
    pub rule_type: Option<&'a str>,
}

/// Whether a rule set holds a rule of `rule_type` (any case) in any list.
fn has_rule_type(rule_set: Option<&serde_json::Value>, rule_type: &str) -> bool {
    let Some(rs) = rule_set else {
        return false;
    };
    ["migrationRules", "domainRules", "encodingRules"]
        .iter()
        .filter_map(|list| rs.get(list)?.as_array())
        .flatten()
        .filter_map(|rule| rule.get("type")?.as_str())
        .any(|t| t.eq_ignore_ascii_case(rule_type))
}

/// One entry of `GET /schemas/ids/{id}/versions`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SubjectVersion {
    /// The subject.
    pub subject: String,
    /// The version.
    pub version: i32,
}

/// Which contexts and names a `subjectPrefix` selects.
struct PrefixFilter {
    context: Option<String>,
    name_prefix: String,
}

impl PrefixFilter {
    /// `None` and `:*:` select every context; a qualified prefix one context; a
    /// plain prefix the default context.
    fn new(prefix: Option<&str>) -> PrefixFilter {
        match prefix {
            None => PrefixFilter {
                context: None,
                name_prefix: String::new(),
            },
            Some(p) => {
                if let Some(rest) = p.strip_prefix(":*:") {
                    return PrefixFilter {
                        context: None,
                        name_prefix: rest.to_owned(),
                    };
                }
                let q = QualifiedSubject::parse(p).unwrap_or_else(|_| QualifiedSubject {
                    context: DEFAULT_CONTEXT.to_owned(),
                    name: p.to_owned(),
                });
                PrefixFilter {
                    context: Some(q.context),
                    name_prefix: q.name,
                }
            }
        }
    }

    fn accepts(&self, context: &str, name: &str) -> bool {
        self.context.as_deref().is_none_or(|c| c == context) && name.starts_with(&self.name_prefix)
    }
}

impl Registry {
    /// The subject a request addressed to `subject` acts on: the `alias` of
    /// its subject-level config if it has one, else `subject` itself.
    ///
    /// Confluent resolves aliases before routing (`AliasFilter`): every
    /// `/subjects/{s}/…` and `/compatibility/subjects/{s}/…` request, reads
    /// and writes alike, and the `subject` parameter of `/schemas/ids/…`.
    /// `/config/{s}` and `/mode/{s}` address the alias itself, so it can be
    /// changed. One hop only; an unqualified alias stays in the aliasing
    /// subject's context.
    pub fn resolve_alias(&self, subject: &str) -> String {
        let Ok(qs) = QualifiedSubject::parse(subject) else {
            // Left for the endpoint to refuse with its own error.
            return subject.to_owned();
        };
        let st = self.read();
        st.configs
            .get(&qs)
            .filter(|_| !qs.name.is_empty())
            .and_then(|doc| doc.get("alias")?.as_str())
            .filter(|alias| !alias.is_empty())
            .and_then(|alias| qs.relative(alias).ok())
            .map_or_else(|| subject.to_owned(), |target| target.to_string())
    }

    /// [`Registry::resolve_alias`] for an optional `subject` query parameter.
    pub fn resolve_alias_param(&self, subject: Option<&str>) -> Option<String> {
        subject.map(|s| self.resolve_alias(s))
    }

    /// `GET /subjects`.
    pub fn subjects(
        &self,
        prefix: Option<&str>,
        deleted: bool,
        deleted_only: bool,
        page: Page,
    ) -> Vec<String> {
        let filter = PrefixFilter::new(prefix);
        let st = self.read();
        let mut out = Vec::new();
        for (ctx_name, ctx) in &st.contexts {
            for (name, versions) in &ctx.subjects {
                if !filter.accepts(ctx_name, name) {
                    continue;
                }
                let has_live = versions.iter().any(|v| !v.deleted);
                let has_deleted = versions.iter().any(|v| v.deleted);
                let shown = if deleted_only {
                    has_deleted
                } else {
                    has_live || (deleted && has_deleted)
                };
                if shown {
                    out.push(subject_name(ctx_name, name));
                }
            }
        }
        out.sort();
        page.apply(out)
    }

    /// `GET /subjects/{subject}/versions`.
    pub fn list_versions(
        &self,
        subject: &str,
        deleted: bool,
        deleted_only: bool,
        deleted_as_negative: bool,
        page: Page,
    ) -> Result<Vec<i32>, Error> {
        let subject = QualifiedSubject::parse_subject(subject)?;
        let st = self.read();
        let versions = st.versions(&subject);
        let include_deleted = deleted || deleted_only || deleted_as_negative;
        let out: Vec<i32> = versions
            .iter()
            .filter(|v| {
                if deleted_only {
                    v.deleted
                } else {
                    include_deleted || !v.deleted
                }
            })
            .map(|v| {
                if deleted_as_negative && v.deleted {
                    -v.version
                } else {
                    v.version
                }
            })
            .collect();
        if out.is_empty() && !(deleted_only && versions.iter().any(|v| !v.deleted)) {
            return Err(Error::SubjectNotFound(subject.to_string()));
        }
        Ok(page.apply(out))
    }

    /// Finds a subject-version; soft-deleted ones only with `deleted`.
    pub(super) fn find_version(
        &self,
        subject: &QualifiedSubject,
        raw_version: &str,
        deleted: bool,
    ) -> Result<VersionRow, Error> {
        let spec = VersionSpec::parse(raw_version)?;
        let st = self.read();
        let versions = st.versions(subject);
        if !versions.iter().any(|v| deleted || !v.deleted) {
            return Err(self.miss(Error::SubjectNotFound(subject.to_string())));
        }
        let visible = |v: &&VersionRow| deleted || !v.deleted;
        let row = match spec {
            VersionSpec::Latest => versions.iter().rev().find(visible),
            VersionSpec::Number(n) => versions.iter().filter(visible).find(|v| v.version == n),
        };
        row.copied().ok_or_else(|| {
            self.miss(Error::VersionNotFound {
                subject: subject.to_string(),
                version: raw_version.to_owned(),
            })
        })
    }

    /// `GET /subjects/{subject}/versions/{version}`.
    pub fn get_version(
        &self,
        subject: &str,
        version: &str,
        deleted: bool,
        render: &Render,
    ) -> Result<SchemaView, Error> {
        let subject = QualifiedSubject::parse_subject(subject)?;
        let row = self.find_version(&subject, version, deleted)?;
        let st = self.read();
        let entry = st.schema(&subject.context, row.schema_id).ok_or_else(|| {
            Error::Internal(format!("version {} points at missing schema", row.version))
        })?;
        let mut view = SchemaView::version(subject.to_string(), &row, entry);
        render.apply(&st, entry, &mut view)?;
        Ok(view)
    }

    /// Renders a view of a version of `subject` (from a lookup or a
    /// registration) as `render` asks.
    pub fn render_view(
        &self,
        subject: &str,
        mut view: SchemaView,
        render: &Render,
    ) -> Result<SchemaView, Error> {
        if render.is_default() {
            return Ok(view);
        }
        let subject = QualifiedSubject::parse_subject(subject)?;
        let st = self.read();
        let entry = view
            .id
            .and_then(|id| st.schema(&subject.context, id))
            .ok_or_else(|| Error::Internal(format!("no schema behind a view of {subject}")))?;
        render.apply(&st, entry, &mut view)?;
        Ok(view)
    }

    /// `GET /subjects/{subject}/versions/{version}/referencedby`.
    pub fn referenced_by(
        &self,
        subject: &str,
        version: &str,
        deleted: bool,
        page: Page,
    ) -> Result<Vec<i64>, Error> {
        let subject = QualifiedSubject::parse_subject(subject)?;
        let row = self.find_version(&subject, version, deleted)?;
        let mut ids = self.read().referrers_of(&subject, row.version, !deleted);
        ids.sort_unstable();
        Ok(page.apply(ids))
    }

    /// The context a `subject` query parameter selects (default context without one).
    fn context_of(subject: Option<&str>) -> Result<String, Error> {
        match subject {
            Some(s) => Ok(QualifiedSubject::parse(s)?.context),
            None => Ok(DEFAULT_CONTEXT.to_owned()),
        }
    }

    /// `GET /schemas/ids/{id}` without parameters, as JSON: the hot path of
    /// every consumer's deserializer, rendered once per schema.
    pub fn schema_by_id_json(&self, id: i64) -> Result<axum::body::Bytes, Error> {
        let st = self.read();
        let entry = st
            .schema(DEFAULT_CONTEXT, id)
            .ok_or_else(|| self.miss(schema_not_found(id)))?;
        entry
            .plain_json(|e| serde_json::to_vec(&SchemaView::content(e)))
            .map_err(|e| Error::Internal(format!("schema {id} does not render: {e}")))
    }

    /// `GET /schemas/ids/{id}`: served for soft-deleted versions too.
    pub fn schema_by_id(
        &self,
        id: i64,
        subject: Option<&str>,
        fetch_max_id: bool,
        render: &Render,
    ) -> Result<SchemaView, Error> {
        let context = Self::context_of(subject)?;
        let st = self.read();
        let entry = st
            .schema(&context, id)
            .ok_or_else(|| self.miss(schema_not_found(id)))?;
        let mut view = SchemaView::content(entry);
        if fetch_max_id {
            view.max_id = st.contexts.get(&context).map(|c| c.max_id);
        }
        render.apply(&st, entry, &mut view)?;
        Ok(view)
    }

    /// `GET /schemas/ids/{id}/versions`.
    pub fn id_versions(
        &self,
        id: i64,
        subject: Option<&str>,
        deleted: bool,
        page: Page,
    ) -> Result<Vec<SubjectVersion>, Error> {
        let context = Self::context_of(subject)?;
        let st = self.read();
        if st.schema(&context, id).is_none() {
            return Err(schema_not_found(id));
        }
        let only = subject
            .map(QualifiedSubject::parse)
            .transpose()?
            .filter(|s| !s.name.is_empty());
        let out = st
            .uses_of(&context, id)
            .into_iter()
            .filter(|(s, v)| (deleted || !v.deleted) && only.as_ref().is_none_or(|o| o == s))
            .map(|(s, v)| SubjectVersion {
                subject: s.to_string(),
                version: v.version,
            })
            .collect();
        Ok(page.apply(out))
    }

    /// `GET /schemas/ids/{id}/subjects`.
    pub fn id_subjects(
        &self,
        id: i64,
        subject: Option<&str>,
        deleted: bool,
        page: Page,
    ) -> Result<Vec<String>, Error> {
        let mut subjects: Vec<String> = self
            .id_versions(id, subject, deleted, Page::ALL)?
            .into_iter()
            .map(|sv| sv.subject)
            .collect();
        subjects.dedup();
        Ok(page.apply(subjects))
    }

    /// `GET /schemas`.
    pub fn list_schemas(&self, q: &SchemaListQuery<'_>, page: Page) -> Vec<SchemaView> {
        let filter = PrefixFilter::new(q.prefix);
        let st = self.read();
        let rule_type_ok = |e: &crate::state::SchemaEntry| {
            q.rule_type
                .is_none_or(|t| has_rule_type(e.rule_set.as_ref(), t))
        };
        let mut out = Vec::new();
        let mut push =
            |shown: String, ctx: &crate::state::ContextState, versions: &[VersionRow]| {
                let visible: Vec<&VersionRow> = versions
                    .iter()
                    .filter(|v| q.deleted || !v.deleted)
                    .collect();
                let chosen = if q.latest_only {
                    visible.last().copied().into_iter().collect()
                } else {
                    visible
                };
                for v in chosen {
                    if let Some(e) = ctx.schemas.get(&v.schema_id).filter(|e| rule_type_ok(e)) {
                        out.push(SchemaView::version(shown.clone(), v, e));
                    }
                }
            };
        for (ctx_name, ctx) in &st.contexts {
            for (name, versions) in &ctx.subjects {
                if filter.accepts(ctx_name, name) {
                    push(subject_name(ctx_name, name), ctx, versions);
                }
            }
        }
        if q.aliases {
            // A subject whose config names an `alias` lists the aliased
            // subject's schemas under its own name.
            let mut aliases: Vec<(&QualifiedSubject, QualifiedSubject)> = st
                .configs
                .iter()
                .filter(|(scope, _)| !scope.name.is_empty())
                .filter(|(scope, _)| filter.accepts(&scope.context, &scope.name))
                .filter_map(|(scope, doc)| {
                    let target = doc.get("alias")?.as_str()?;
                    Some((scope, scope.context_scope().relative(target).ok()?))
                })
                .collect();
            aliases.sort_by_key(|(alias, _)| alias.to_string());
            for (alias, target) in aliases {
                if let Some(ctx) = st.contexts.get(&target.context)
                    && let Some(versions) = ctx.subjects.get(&target.name)
                {
                    push(alias.to_string(), ctx, versions);
                }
            }
        }
        page.apply(out)
    }

    /// The schemas holding `guid`, as `(context, id)`, default context first.
    fn guid_entries(&self, guid: &str) -> Result<Vec<(String, i64)>, Error> {
        let st = self.read();
        let mut out: Vec<(String, i64)> = st
            .guids
            .get(&guid.to_ascii_lowercase())
            .into_iter()
            .flatten()
            // The index is not pruned when a whole context goes; check.
            .filter(|(ctx, id)| st.schema(ctx, *id).is_some())
            .cloned()
            .collect();
        out.sort_by_key(|(ctx, id)| (ctx != DEFAULT_CONTEXT, ctx.clone(), *id));
        if out.is_empty() {
            return Err(self.miss(Error::SchemaNotFound(format!("Schema {guid} not found"))));
        }
        Ok(out)
    }

    /// `GET /schemas/guids/{guid}`: the content (the same under every id).
    pub fn schema_by_guid(&self, guid: &str, render: &Render) -> Result<SchemaView, Error> {
        let (context, id) = self
            .guid_entries(guid)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::SchemaNotFound(format!("Schema {guid} not found")))?;
        let st = self.read();
        let entry = st
            .schema(&context, id)
            .ok_or_else(|| Error::SchemaNotFound(format!("Schema {guid} not found")))?;
        let mut view = SchemaView::content(entry);
        view.guid = Some(entry.guid.clone());
        render.apply(&st, entry, &mut view)?;
        Ok(view)
    }

    /// `GET /schemas/guids/{guid}/ids`: `(context, id)` pairs.
    pub fn guid_ids(&self, guid: &str) -> Result<Vec<(String, i64)>, Error> {
        self.guid_entries(guid)
    }

    /// `GET /subjects/{subject}/metadata`: the latest version whose metadata
    /// properties hold every `key=value` pair.
    pub fn by_metadata(
        &self,
        subject: &str,
        pairs: &[(String, String)],
        deleted: bool,
        render: &Render,
    ) -> Result<SchemaView, Error> {
        let subject = QualifiedSubject::parse_subject(subject)?;
        let st = self.read();
        let versions = st.versions(&subject);
        if !versions.iter().any(|v| deleted || !v.deleted) {
            return Err(Error::SubjectNotFound(subject.to_string()));
        }
        let (row, entry) = versions
            .iter()
            .rev()
            .filter(|v| deleted || !v.deleted)
            .find_map(|v| {
                let e = st.schema(&subject.context, v.schema_id)?;
                let props = e.metadata.as_ref()?.get("properties")?;
                pairs
                    .iter()
                    .all(|(k, val)| props.get(k).and_then(|p| p.as_str()) == Some(val.as_str()))
                    .then_some((v, e))
            })
            .ok_or_else(|| Error::SchemaNotFound("Schema not found".into()))?;
        let mut view = SchemaView::version(subject.to_string(), row, entry);
        render.apply(&st, entry, &mut view)?;
        Ok(view)
    }
}

fn subject_name(context: &str, name: &str) -> String {
    QualifiedSubject {
        context: context.to_owned(),
        name: name.to_owned(),
    }
    .to_string()
}

fn schema_not_found(id: i64) -> Error {
    Error::SchemaNotFound(format!("Schema {id} not found"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_specs() {
        assert_eq!(VersionSpec::parse("latest").unwrap(), VersionSpec::Latest);
        assert_eq!(VersionSpec::parse("LATEST").unwrap(), VersionSpec::Latest);
        assert_eq!(VersionSpec::parse("-1").unwrap(), VersionSpec::Latest);
        assert_eq!(VersionSpec::parse("7").unwrap(), VersionSpec::Number(7));
        for bad in ["0", "-2", "x", "", "2147483648", "1.5"] {
            assert!(VersionSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prefixes() {
        let all = PrefixFilter::new(None);
        assert!(all.accepts(".x", "a"));
        let star = PrefixFilter::new(Some(":*:a"));
        assert!(star.accepts(".x", "ab") && !star.accepts(".", "b"));
        let plain = PrefixFilter::new(Some("a"));
        assert!(plain.accepts(".", "ab") && !plain.accepts(".x", "ab"));
        let q = PrefixFilter::new(Some(":.x:"));
        assert!(q.accepts(".x", "anything") && !q.accepts(".", "a"));
    }

    #[test]
    fn pages() {
        let p = Page {
            offset: 1,
            limit: Some(2),
        };
        assert_eq!(p.apply(vec![1, 2, 3, 4]), vec![2, 3]);
        assert_eq!(Page::ALL.apply(vec![1]), vec![1]);
    }
}
