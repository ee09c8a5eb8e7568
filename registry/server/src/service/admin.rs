//! Config, mode and contexts. Every change holds its scope's lock in a store
//! transaction and decides on a mirror caught up with the database.

use evreg_core::CompatibilityLevel;
use serde_json::Value;

use super::delete::{apply_delete, subject_change};
use super::follow::locks_for;
use super::{Error, Page, Registry};
use crate::settings::{ConfigDoc, LEVEL_KEY, Mode};
use crate::state::State;
use crate::store::{Change, Setting, StoreTx};
use crate::subject::{DEFAULT_CONTEXT, QualifiedSubject};

/// Parses a scope: `None` is global; a subject or `:.ctx:` context scope otherwise.
fn scope_of(subject: Option<&str>) -> Result<QualifiedSubject, Error> {
    match subject {
        None => Ok(QualifiedSubject::global()),
        Some(s) => Ok(QualifiedSubject::parse(s)?),
    }
}

/// Whether a scope has live subjects (for entering IMPORT).
fn has_live_subjects(st: &State, scope: &QualifiedSubject) -> bool {
    st.contexts.iter().any(|(ctx_name, ctx)| {
        let in_scope_ctx = scope.is_global() || *ctx_name == scope.context;
        in_scope_ctx
            && ctx.subjects.iter().any(|(name, versions)| {
                (scope.name.is_empty() || *name == scope.name)
                    && versions.iter().any(|v| !v.deleted)
            })
    })
}

fn subject_exists(st: &State, scope: &QualifiedSubject) -> bool {
    scope.name.is_empty() || !st.versions(scope).is_empty()
}

impl Registry {
    /// `GET /config` and `GET /config/{subject}`.
    pub fn get_config(
        &self,
        subject: Option<&str>,
        default_to_global: bool,
    ) -> Result<ConfigDoc, Error> {
        let scope = scope_of(subject)?;
        let st = self.read();
        if subject.is_none() || default_to_global {
            return Ok(st.effective_config(&scope).doc);
        }
        st.configs
            .get(&scope)
            .cloned()
            .ok_or_else(|| Error::ConfigNotSet(scope.to_string()))
    }

    /// `PUT /config[/{subject}]`: merges the given keys into the scope's document
    /// and echoes the request (level upper-cased).
    pub async fn put_config(&self, subject: Option<&str>, body: Value) -> Result<Value, Error> {
        let scope = scope_of(subject)?;
        let Value::Object(mut request) = body else {
            return Err(Error::MalformedRequest(
                "request body must be a JSON object".into(),
            ));
        };
        // Null means "not given", as in Confluent's optional request fields.
        let mut update: ConfigDoc = request
            .iter()
            .filter(|(k, v)| !v.is_null() && *k != "compatibility" && *k != LEVEL_KEY)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for key in ["compatibility", LEVEL_KEY] {
            match request.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) => {
                    let level: CompatibilityLevel = s.parse().map_err(|_| {
                        Error::InvalidCompatibility("Invalid compatibility level".into())
                    })?;
                    update.insert(LEVEL_KEY.to_owned(), Value::from(level.as_str()));
                    request.insert(key.to_owned(), Value::from(level.as_str()));
                }
                Some(_) => {
                    return Err(Error::InvalidCompatibility(
                        "Invalid compatibility level".into(),
                    ));
                }
            }
        }
        // These are merged into every registration's content (contract.rs),
        // so they must have the shape a request's would.
        for key in ["defaultMetadata", "overrideMetadata"] {
            if update.get(key).is_some_and(|m| !m.is_object()) {
                return Err(Error::MalformedRequest(format!(
                    "field '{key}' must be an object"
                )));
            }
        }
        for key in ["defaultRuleSet", "overrideRuleSet"] {
            if let Some(rule_set) = update.get(key) {
                super::request::validate_rule_set(rule_set)?;
            }
        }
        let _writer = self.local_writer().await;
        let ticket = self.follow.ticket();
        let mut tx = self.store.begin(&locks_for(&scope), ticket.id).await?;
        self.catch_up().await?;
        let doc = {
            let st = self.read();
            if !scope.name.is_empty() {
                self.check_writable(&st, &scope)?;
            }
            let mut doc = st.configs.get(&scope).cloned().unwrap_or_default();
            doc.extend(update);
            doc
        };
        let text = Value::Object(doc).to_string();
        tx.set(Setting::Config, &scope.context, &scope.name, Some(&text))
            .await?;
        tx.commit().await?;
        self.settle(ticket, &[setting_change(Setting::Config, &scope)])
            .await;
        Ok(Value::Object(request))
    }

    /// `DELETE /config[/{subject}]`: returns the previous config.
    pub async fn delete_config(&self, subject: Option<&str>) -> Result<ConfigDoc, Error> {
        let scope = scope_of(subject)?;
        let _writer = self.local_writer().await;
        let ticket = self.follow.ticket();
        let mut tx = self.store.begin(&locks_for(&scope), ticket.id).await?;
        self.catch_up().await?;
        let previous = {
            let st = self.read();
            if subject.is_none() {
                st.effective_config(&scope).doc
            } else {
                if !scope.name.is_empty() {
                    self.check_writable(&st, &scope)?;
                }
                match st.configs.get(&scope) {
                    Some(doc) => doc.clone(),
                    None if !subject_exists(&st, &scope) => {
                        return Err(Error::SubjectNotFound(scope.to_string()));
                    }
                    None => return Err(Error::ConfigNotSet(scope.to_string())),
                }
            }
        };
        tx.set(Setting::Config, &scope.context, &scope.name, None)
            .await?;
        tx.commit().await?;
        self.settle(ticket, &[setting_change(Setting::Config, &scope)])
            .await;
        Ok(previous)
    }

    /// `GET /mode` and `GET /mode/{subject}`.
    pub fn get_mode(&self, subject: Option<&str>, default_to_global: bool) -> Result<Mode, Error> {
        let scope = scope_of(subject)?;
        let st = self.read();
        if subject.is_none() || default_to_global {
            return Ok(st.effective_mode(&scope));
        }
        st.modes
            .get(&scope)
            .copied()
            .ok_or_else(|| Error::ModeNotSet(scope.to_string()))
    }

    /// `PUT /mode[/{subject}]`. Entering IMPORT needs a scope without live
    /// subjects, unless `force`.
    pub async fn put_mode(
        &self,
        subject: Option<&str>,
        body: Value,
        force: bool,
    ) -> Result<Mode, Error> {
        let scope = scope_of(subject)?;
        let mode = match body.get("mode") {
            Some(Value::String(s)) => s
                .parse::<Mode>()
                .map_err(|e| Error::InvalidMode(e.to_string()))?,
            _ if !body.is_object() => {
                return Err(Error::MalformedRequest(
                    "request body must be a JSON object".into(),
                ));
            }
            _ => return Err(Error::InvalidMode(crate::settings::InvalidMode.to_string())),
        };
        let _writer = self.local_writer().await;
        let ticket = self.follow.ticket();
        // Registrations in the scope hold it shared: none runs while this
        // looks for live subjects and switches the mode.
        let mut tx = self.store.begin(&locks_for(&scope), ticket.id).await?;
        self.catch_up().await?;
        let mut changes = vec![setting_change(Setting::Mode, &scope)];
        if mode == Mode::Import {
            if has_live_subjects(&self.read(), &scope) {
                if !force {
                    return Err(Error::NotPermitted(
                        "Cannot import since found existing subjects".into(),
                    ));
                }
            } else {
                changes.extend(self.purge_soft_deleted(tx.as_mut(), &scope).await?);
            }
        }
        tx.set(
            Setting::Mode,
            &scope.context,
            &scope.name,
            Some(mode.as_str()),
        )
        .await?;
        tx.commit().await?;
        self.settle(ticket, &changes).await;
        Ok(mode)
    }

    /// Entering IMPORT on an empty scope hard-deletes its leftover soft-deleted
    /// versions (as Confluent does), so imported ids and versions cannot clash
    /// with them. Referenced versions stay.
    async fn purge_soft_deleted(
        &self,
        tx: &mut dyn StoreTx,
        scope: &QualifiedSubject,
    ) -> Result<Vec<Change>, Error> {
        let targets: Vec<(QualifiedSubject, Vec<i32>)> = {
            let st = self.read();
            st.contexts
                .iter()
                .filter(|(name, _)| scope.is_global() || **name == scope.context)
                .flat_map(|(ctx, c)| {
                    c.subjects.iter().map(move |(name, versions)| {
                        let subject = QualifiedSubject {
                            context: ctx.clone(),
                            name: name.clone(),
                        };
                        (subject, versions)
                    })
                })
                .filter(|(s, _)| scope.name.is_empty() || s.name == scope.name)
                .map(|(s, versions)| {
                    let doomed = versions
                        .iter()
                        .filter(|v| v.deleted && st.referrers_of(&s, v.version, false).is_empty())
                        .map(|v| v.version)
                        .collect();
                    (s, doomed)
                })
                .filter(|(_, doomed): &(QualifiedSubject, Vec<i32>)| !doomed.is_empty())
                .collect()
        };
        let mut changes = Vec::with_capacity(targets.len());
        for (subject, versions) in targets {
            apply_delete(tx, &subject, &versions, true).await?;
            changes.push(subject_change(&subject));
        }
        Ok(changes)
    }

    /// `DELETE /mode[/{subject}]`: returns the previous mode. With `recursive`,
    /// also clears the modes of every scope inside (all of them for global).
    pub async fn delete_mode(&self, subject: Option<&str>, recursive: bool) -> Result<Mode, Error> {
        let scope = scope_of(subject)?;
        let _writer = self.local_writer().await;
        let ticket = self.follow.ticket();
        let mut tx = self.store.begin(&locks_for(&scope), ticket.id).await?;
        self.catch_up().await?;
        let (previous, inner) = {
            let st = self.read();
            let previous = match st.modes.get(&scope) {
                Some(m) => *m,
                None if subject.is_none() => Mode::default(),
                None if !subject_exists(&st, &scope) => {
                    return Err(Error::SubjectNotFound(scope.to_string()));
                }
                None if !recursive => return Err(Error::ModeNotSet(scope.to_string())),
                None => Mode::default(),
            };
            let inner: Vec<QualifiedSubject> = if recursive && scope.name.is_empty() {
                st.modes
                    .keys()
                    .filter(|k| *k != &scope && (scope.is_global() || k.context == scope.context))
                    .cloned()
                    .collect()
            } else {
                Vec::new()
            };
            (previous, inner)
        };
        let mut changes = Vec::with_capacity(inner.len() + 1);
        for s in inner.iter().chain(std::iter::once(&scope)) {
            tx.set(Setting::Mode, &s.context, &s.name, None).await?;
            changes.push(setting_change(Setting::Mode, s));
        }
        tx.commit().await?;
        self.settle(ticket, &changes).await;
        Ok(previous)
    }

    /// `GET /contexts`: the default context and every context in use.
    pub fn contexts(&self, prefix: Option<&str>, page: Page) -> Vec<String> {
        let st = self.read();
        let mut out: Vec<String> = std::iter::once(DEFAULT_CONTEXT.to_owned())
            .chain(st.contexts.keys().cloned())
            .filter(|c| prefix.is_none_or(|p| c.starts_with(p)))
            .collect();
        out.sort();
        out.dedup();
        page.apply(out)
    }

    /// `DELETE /contexts/{context}`: forgets an empty context.
    pub async fn delete_context(&self, context: &str) -> Result<(), Error> {
        // Accept both `.ctx` and the qualified `:.ctx:` spelling.
        let name = context
            .strip_prefix(':')
            .and_then(|c| c.strip_suffix(':'))
            .unwrap_or(context)
            .to_owned();
        let _writer = self.local_writer().await;
        let ticket = self.follow.ticket();
        let scope = QualifiedSubject {
            context: name.clone(),
            name: String::new(),
        };
        let mut tx = self.store.begin(&locks_for(&scope), ticket.id).await?;
        self.catch_up().await?;
        {
            let st = self.read();
            let Some(ctx) = st.contexts.get(&name) else {
                return Err(Error::ContextNotFound(name));
            };
            if ctx.subjects.values().any(|v| !v.is_empty()) {
                return Err(Error::ContextNotEmpty(name));
            }
        }
        tx.delete_context(&name).await?;
        tx.commit().await?;
        self.settle(ticket, &[Change::Context { context: name }])
            .await;
        Ok(())
    }
}

/// The change a write to a scope's config or mode makes.
fn setting_change(kind: Setting, scope: &QualifiedSubject) -> Change {
    Change::Setting {
        kind,
        context: scope.context.clone(),
        subject: scope.name.clone(),
    }
}
