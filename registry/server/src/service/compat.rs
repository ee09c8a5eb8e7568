//! The compatibility-test endpoints, and Confluent's verbose message lines.

use std::sync::{PoisonError, RwLock};

use evreg_core::{CompatibilityLevel, Incompatibility, ParsedSchema, SchemaReference};
use serde::Serialize;
use serde_json::Value;

use super::{Error, RegisterSchema, Registry, VersionSpec, run_deep};
use crate::state::State;
use crate::store::VersionRow;
use crate::subject::QualifiedSubject;

/// The value of metadata property `group` in a metadata object, if any.
fn group_value<'a>(metadata: Option<&'a Value>, group: &str) -> Option<&'a str> {
    metadata?.get("properties")?.get(group)?.as_str()
}

/// With a `compatibilityGroup` configured, only the versions whose metadata
/// property of that name has the new schema's value (absent matching absent)
/// take part in its compatibility check.
pub(super) fn same_group(
    st: &State,
    context: &str,
    rows: Vec<VersionRow>,
    group: Option<&str>,
    metadata: Option<&Value>,
) -> Vec<VersionRow> {
    let Some(group) = group else {
        return rows;
    };
    let wanted = group_value(metadata, group);
    rows.into_iter()
        .filter(|v| {
            st.schema(context, v.schema_id)
                .is_some_and(|e| group_value(e.metadata.as_ref(), group) == wanted)
        })
        .collect()
}

/// The answer of a compatibility test.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CompatibilityResult {
    /// Whether the schema may follow.
    pub is_compatible: bool,
    /// Reasons (only with `verbose=true`, and only when there are some).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
}

/// Confluent's verbose lines: per earlier version, one
/// `{errorType:…, description:…, additionalInfo:…}` line per incompatibility,
/// then `{oldSchemaVersion: N}` and `{oldSchema: '…'}`; finally the level.
///
/// `previous` holds `(version, text)` in the order given to the check.
pub fn describe(
    found: &[Incompatibility],
    previous: &[(i32, &str)],
    level: CompatibilityLevel,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<usize> = None;
    let flush = |out: &mut Vec<String>, index: Option<usize>| {
        if let Some((version, text)) = index.and_then(|i| previous.get(i)) {
            out.push(format!("{{oldSchemaVersion: {version}}}"));
            out.push(format!("{{oldSchema: '{text}'}}"));
        }
    };
    for f in found {
        if current != Some(f.previous) {
            flush(&mut out, current);
            current = Some(f.previous);
        }
        let direction = match f.direction {
            evreg_core::Direction::Backward => "new schema reading data of the old schema",
            evreg_core::Direction::Forward => "old schema reading data of the new schema",
        };
        out.push(format!(
            "{{errorType:'{}', description:'{} ({direction})', additionalInfo:'{}'}}",
            f.kind, f.message, f.location
        ));
    }
    flush(&mut out, current);
    out.push(format!(
        "{{validateFields: 'false', compatibility: '{}'}}",
        level.as_str()
    ));
    out
}

/// The outcome of checking a schema against earlier versions.
pub(super) struct Findings {
    found: Vec<Incompatibility>,
    /// `(version, text)` of each version checked, in check order.
    previous: Vec<(i32, String)>,
    level: CompatibilityLevel,
}

impl Findings {
    fn messages(&self) -> Vec<String> {
        let previous: Vec<(i32, &str)> = self
            .previous
            .iter()
            .map(|(v, t)| (*v, t.as_str()))
            .collect();
        describe(&self.found, &previous, self.level)
    }

    /// `Ok` when compatible, else the 409 error with Confluent's details.
    pub(super) fn into_result(self, subject: &QualifiedSubject) -> Result<(), Error> {
        if self.found.is_empty() {
            return Ok(());
        }
        Err(Error::Incompatible {
            subject: subject.to_string(),
            details: self.messages(),
        })
    }
}

/// Checks `parsed` against `rows` (live versions, oldest first) under `level`,
/// parsing stored versions at most once (their parsed forms are cached).
/// Recursive core work: call it on a deep stack (see `run_deep`).
pub(super) fn check_versions(
    state: &RwLock<State>,
    subject: &QualifiedSubject,
    parsed: &ParsedSchema,
    level: CompatibilityLevel,
    rows: &[VersionRow],
) -> Result<Findings, Error> {
    // Only the versions the level looks at: parsing and copying the others
    // would make every check cost as much as the subject is long.
    let rows = match level {
        CompatibilityLevel::None => &rows[..0],
        level if level.is_transitive() => rows,
        _ => &rows[rows.len().saturating_sub(1)..],
    };
    let st = state.read().unwrap_or_else(PoisonError::into_inner);
    let lookup = |r: &SchemaReference| st.resolve(&subject.context, r);
    let mut previous = Vec::with_capacity(rows.len());
    let mut forms = Vec::with_capacity(rows.len());
    for row in rows {
        let entry = st.schema(&subject.context, row.schema_id).ok_or_else(|| {
            Error::Internal(format!("version {} points at missing schema", row.version))
        })?;
        let form = entry.parsed(&lookup).map_err(|e| {
            Error::Internal(format!("stored schema {} does not parse: {e}", entry.id))
        })?;
        previous.push((row.version, entry.text.clone()));
        forms.push(form);
    }
    let prev: Vec<&ParsedSchema> = forms.iter().map(|f| &**f).collect();
    Ok(Findings {
        found: evreg_core::check(level, parsed, &prev),
        previous,
        level,
    })
}

impl Registry {
    /// `POST /compatibility/subjects/{subject}/versions/{version}` (one version,
    /// even under a transitive level) and, with `version = None`,
    /// `POST /compatibility/subjects/{subject}/versions` (the versions
    /// registration would check).
    pub async fn test_compatibility(
        &self,
        subject: &str,
        version: Option<&str>,
        req: RegisterSchema,
        verbose: bool,
    ) -> Result<CompatibilityResult, Error> {
        let subject = QualifiedSubject::parse_subject(subject)?;
        let spec = version.map(VersionSpec::parse).transpose()?;
        let rows = {
            let st = self.read();
            let live = st.live_versions(&subject);
            match spec {
                // As registration would check.
                None => {
                    let group = st.effective_config(&subject).compatibility_group;
                    same_group(
                        &st,
                        &subject.context,
                        live,
                        group.as_deref(),
                        req.metadata.as_ref(),
                    )
                }
                Some(spec) => {
                    if live.is_empty() {
                        if spec == VersionSpec::Latest {
                            // Confluent: nothing to be incompatible with.
                            return Ok(CompatibilityResult {
                                is_compatible: true,
                                messages: Vec::new(),
                            });
                        }
                        return Err(Error::SubjectNotFound(subject.to_string()));
                    }
                    let row = match spec {
                        VersionSpec::Latest => live.last(),
                        VersionSpec::Number(n) => live.iter().find(|v| v.version == n),
                    };
                    let row = row.copied().ok_or_else(|| Error::VersionNotFound {
                        subject: subject.to_string(),
                        version: version.unwrap_or_default().to_owned(),
                    })?;
                    vec![row]
                }
            }
        };
        let parsed = self.parse(&subject.context, &req).await?;
        let level = self.read().effective_config(&subject).level;
        let state = self.state.clone();
        let findings =
            run_deep(move || check_versions(&state, &subject, &parsed, level, &rows)).await??;
        Ok(CompatibilityResult {
            is_compatible: findings.found.is_empty(),
            messages: if verbose && !findings.found.is_empty() {
                findings.messages()
            } else {
                Vec::new()
            },
        })
    }
}
