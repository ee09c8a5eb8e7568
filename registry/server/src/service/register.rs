//! `POST /subjects/{subject}/versions`: the register decision.
//!
//! The request is parsed and checked against the mirror first (cheap, and
//! usually right); the decision is then taken again inside the store's
//! transaction, on what the database holds under the subject's lock: its
//! versions, the mode and config of its scopes, and its references. When the
//! mirror lags (another process wrote), the schemas it lacks are loaded in the
//! same transaction and the compatibility check is rerun against the true
//! latest versions.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use evreg_core::SharedSchema;

use super::follow::Ticket;
use super::{
    Error, Lane, RegisterOptions, RegisterSchema, Registry, SchemaView, compat, content_of,
    run_deep_in,
};
use crate::settings::Mode;
use crate::state::{SchemaEntry, State, scope_chain};
use crate::store::{
    BoxFuture, Change, NewVersion, RefTarget, RegisterOutcome, SchemaRow, StoreError, SubjectView,
    Verdict, VersionRow,
};
use crate::subject::QualifiedSubject;

/// Inputs of the register decision.
struct Check<'a> {
    subject: &'a QualifiedSubject,
    req: &'a RegisterSchema,
    new: &'a NewVersion,
    parsed: &'a SharedSchema,
    force: bool,
    /// The live versions checked before the transaction, and the outcome.
    precheck: &'a Mutex<Option<Precheck>>,
}

/// The live versions and level a compatibility check ran with, and its outcome.
type Precheck = (
    Vec<VersionRow>,
    evreg_core::CompatibilityLevel,
    Result<(), Error>,
);

impl Registry {
    /// `POST /subjects/{subject}/versions`.
    pub async fn register(
        &self,
        subject: &str,
        mut req: RegisterSchema,
        opts: RegisterOptions,
    ) -> Result<SchemaView, Error> {
        let subject = QualifiedSubject::parse_subject(subject)?;
        self.apply_request_tags(&subject, &mut req)?;
        let (mode, config) = {
            let st = self.read();
            (st.effective_mode(&subject), st.effective_config(&subject))
        };
        let import = mode_gate(&subject, mode, &req)?;
        // Config defaults and overrides shape what is stored; an import keeps
        // the version exactly as sent (Confluent skips them in IMPORT too).
        if !import {
            self.apply_contract(&subject, &config.doc, &mut req);
        }
        let normalize = opts.normalize || config.normalize;
        let parsed = self.parse(&subject.context, &req).await?;
        let mut content = content_of(&parsed, &req, normalize)?;
        content.guid = crate::store::guid_of(&content.content_key);

        // Shared: registrations run side by side, and the store commits them
        // in batches; `decide` retakes the decision inside the transaction.
        let _writer = self.local_registration().await;
        let ticket = self.follow.ticket();
        let new = NewVersion {
            context: subject.context.clone(),
            subject: subject.name.clone(),
            content,
            id: req.id,
            version: req.version.filter(|_| import),
            scopes: scope_chain(&subject)
                .into_iter()
                .map(|s| (s.context, s.name))
                .collect(),
            references: reference_targets(&subject, &req),
            ticket: ticket.id,
        };
        // The check runs here, on a deep stack, against the live versions the
        // mirror holds; `decide` reuses it when the store shows the same ones.
        let precheck =
            if import || opts.force || self.is_live_content(&subject, &new.content.content_key) {
                None
            } else {
                let live = {
                    let st = self.read();
                    compat::same_group(
                        &st,
                        &subject.context,
                        st.live_versions(&subject),
                        config.compatibility_group.as_deref(),
                        req.metadata.as_ref(),
                    )
                };
                let result = self
                    .check_compat(
                        Lane::Requests,
                        &subject,
                        &parsed,
                        config.level,
                        live.clone(),
                    )
                    .await?;
                Some((live, config.level, result))
            };
        let precheck = Mutex::new(precheck);
        let rejection = Mutex::new(None);
        let check = Check {
            subject: &subject,
            req: &req,
            new: &new,
            parsed: &parsed,
            force: opts.force,
            precheck: &precheck,
        };
        let (check, rejection_ref) = (&check, &rejection);
        let decide = move |view: SubjectView| -> BoxFuture<'_, Verdict> {
            Box::pin(async move {
                match self.decide(check, view).await {
                    Ok(v) => v,
                    Err(e) => {
                        *rejection_ref.lock().unwrap_or_else(PoisonError::into_inner) = Some(e);
                        Verdict::Abort
                    }
                }
            })
        };
        let outcome = match self.store.register(&new, &decide).await {
            Ok(outcome) => outcome,
            Err(e) => {
                if matches!(e, StoreError::Backend(_) | StoreError::Unavailable(_)) {
                    self.doubt_mirror().await;
                }
                return Err(e.into());
            }
        };
        let row = match outcome {
            RegisterOutcome::Existing(row) => row,
            RegisterOutcome::Aborted => {
                let e = rejection
                    .into_inner()
                    .unwrap_or_else(PoisonError::into_inner);
                return Err(e.unwrap_or_else(|| Error::Internal("registration aborted".into())));
            }
            RegisterOutcome::Inserted {
                id, version, ts, ..
            } => {
                self.settled(ticket, &subject, Instant::now()).await;
                VersionRow {
                    version,
                    schema_id: id,
                    deleted: false,
                    ts,
                }
            }
        };
        let entry = self.read().schema(&subject.context, row.schema_id).cloned();
        let entry = match entry {
            Some(e) => e,
            // The mirror could not be refreshed; the row is committed all the same.
            None => Arc::new(
                SchemaEntry::from_row(SchemaRow {
                    context: subject.context.clone(),
                    id: row.schema_id,
                    content: new.content.clone(),
                })
                .map_err(Error::Internal)?,
            ),
        };
        if entry.content_key == new.content.content_key {
            entry.offer_parsed(parsed);
        }
        Ok(SchemaView::version(subject.to_string(), &row, &entry))
    }

    async fn settled(&self, ticket: Ticket<'_>, subject: &QualifiedSubject, committed: Instant) {
        let change = Change::Subject {
            context: subject.context.clone(),
            subject: subject.name.clone(),
        };
        self.settle_since(ticket, &[change], Some(committed)).await;
    }

    /// Checks `parsed` against `live` on a deep stack, on the workers of `lane`.
    async fn check_compat(
        &self,
        lane: Lane,
        subject: &QualifiedSubject,
        parsed: &SharedSchema,
        level: evreg_core::CompatibilityLevel,
        live: Vec<VersionRow>,
    ) -> Result<Result<(), Error>, Error> {
        let (state, subj, p) = (self.state.clone(), subject.clone(), parsed.clone());
        run_deep_in(lane, move || {
            compat::check_versions(&state, &subj, &p, level, &live)
                .and_then(|found| found.into_result(&subj))
        })
        .await
    }

    /// The register decision, run inside the store's transaction on what the
    /// database holds.
    async fn decide(&self, c: &Check<'_>, view: SubjectView) -> Result<Verdict, Error> {
        let context = c.subject.context.as_str();
        if let Some(missing) = self.adopt_schemas(context, &view)? {
            return Ok(Verdict::Load(missing));
        }
        let (mode, config) =
            State::settings_from_rows(c.subject, view.configs.clone(), view.modes.clone())
                .map_err(Error::Internal)?;
        let import = mode_gate(c.subject, mode, c.req)?;
        if let Some(&i) = view.missing_references.first()
            && let (Some(t), Some(r)) = (c.new.references.get(i), c.req.references.get(i))
        {
            return Err(Error::InvalidSchema(format!(
                "Invalid schema: reference '{}' names subject '{}' version {}, which does not exist",
                r.name, r.subject, t.version
            )));
        }
        let live: Vec<VersionRow> = view
            .versions
            .iter()
            .filter(|v| !v.deleted)
            .copied()
            .collect();
        if let Some(existing) = self.existing_version(c, &view, &live)? {
            return Ok(Verdict::Existing(existing));
        }
        let next = view.versions.iter().map(|v| v.version).max().unwrap_or(0) + 1;
        if let Some(v) = c.req.version
            && v != -1
            && c.new.version.is_none()
            && v != next
        {
            return Err(Error::NotPermitted(format!(
                "Version {v} is not one more than the previous version {}",
                next - 1
            )));
        }
        if !(import || c.force) {
            let live = compat::same_group(
                &self.read(),
                &c.subject.context,
                live,
                config.compatibility_group.as_deref(),
                c.req.metadata.as_ref(),
            );
            let pre = c
                .precheck
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            match pre {
                Some((checked, level, result)) if checked == live && level == config.level => {
                    result?;
                }
                // Another writer changed the subject (or its level) since the
                // precheck: check against what the database holds.
                _ => {
                    self.check_compat(Lane::InTransaction, c.subject, c.parsed, config.level, live)
                        .await??;
                }
            }
        }
        Ok(self.tombstones(c, &view))
    }

    /// Puts schema rows the store loaded into the mirror (they exist, and are
    /// immutable); returns the ids still missing, to be loaded first.
    fn adopt_schemas(&self, context: &str, view: &SubjectView) -> Result<Option<Vec<i64>>, Error> {
        if !view.schemas.is_empty() {
            let entries = view
                .schemas
                .iter()
                .cloned()
                .map(SchemaEntry::from_row)
                .collect::<Result<Vec<_>, _>>()
                .map_err(Error::Internal)?;
            let mut st = self.write();
            for e in entries {
                if st.schema(context, e.id).is_none() {
                    st.insert_schema(e);
                }
            }
        }
        let st = self.read();
        let mut missing: Vec<i64> = view
            .versions
            .iter()
            .map(|v| v.schema_id)
            .filter(|id| st.schema(context, *id).is_none())
            .collect();
        missing.sort_unstable();
        missing.dedup();
        match (missing.is_empty(), view.schemas.is_empty()) {
            (true, _) => Ok(None),
            (false, true) => Ok(Some(missing)),
            (false, false) => Err(Error::Internal(format!(
                "versions of {} point at schemas {missing:?} the store does not have",
                context
            ))),
        }
    }

    /// The live version that already holds this content, if any.
    fn existing_version(
        &self,
        c: &Check<'_>,
        view: &SubjectView,
        live: &[VersionRow],
    ) -> Result<Option<VersionRow>, Error> {
        let st = self.read();
        // Content neither the database nor the mirror holds (the usual case)
        // is no version's: skip the walk, made while the batch waits.
        if view.existing_id.is_none()
            && !st
                .contexts
                .get(&c.new.context)
                .is_some_and(|ctx| ctx.by_key.contains_key(&c.new.content.content_key))
        {
            return Ok(None);
        }
        let same_content = |row: &VersionRow| {
            Some(row.schema_id) == view.existing_id
                || st
                    .schema(&c.new.context, row.schema_id)
                    .is_some_and(|e| e.content_key == c.new.content.content_key)
        };
        // `version: -1` asks for the fast path only against the latest version.
        let candidates: Vec<&VersionRow> = if c.req.version == Some(-1) {
            live.last().into_iter().collect()
        } else {
            live.iter().collect()
        };
        let Some(row) = candidates.into_iter().rev().find(|r| same_content(r)) else {
            return Ok(None);
        };
        if let Some(id) = c.req.id
            && id != row.schema_id
        {
            return Err(Error::IdMismatch(format!(
                "Schema already registered with id {} instead of input id {id}",
                row.schema_id
            )));
        }
        Ok(Some(*row))
    }

    /// Whether `subject` has a live version with this content.
    fn is_live_content(&self, subject: &QualifiedSubject, content_key: &str) -> bool {
        let st = self.read();
        // New content (the usual case) is known without walking the subject.
        if !st
            .contexts
            .get(&subject.context)
            .is_some_and(|c| c.by_key.contains_key(content_key))
        {
            return false;
        }
        st.versions(subject).iter().any(|v| {
            !v.deleted
                && st
                    .schema(&subject.context, v.schema_id)
                    .is_some_and(|e| e.content_key == content_key)
        })
    }

    /// Soft-deleted versions of the same content give way to the new one,
    /// unless something references them.
    fn tombstones(&self, c: &Check<'_>, view: &SubjectView) -> Verdict {
        let st = self.read();
        let target = c.req.id.or(view.existing_id);
        let tombstone = view
            .versions
            .iter()
            .filter(|v| v.deleted && Some(v.schema_id) == target)
            .filter(|v| st.referrers_of(c.subject, v.version, false).is_empty())
            .map(|v| v.version)
            .collect();
        Verdict::Proceed { tombstone }
    }
}

/// Refuses what the mode forbids; returns whether the mode is IMPORT.
fn mode_gate(subject: &QualifiedSubject, mode: Mode, req: &RegisterSchema) -> Result<bool, Error> {
    if mode.is_read_only() {
        return Err(Error::NotPermitted(format!(
            "Subject {subject} is in read-only mode"
        )));
    }
    let import = mode == Mode::Import;
    if req.id.is_some() && !import {
        return Err(Error::NotPermitted(format!(
            "Subject {subject} is not in import mode"
        )));
    }
    if req.id.is_none() && import {
        return Err(Error::NotPermitted(format!(
            "Subject {subject} is in import mode; registering needs an explicit id"
        )));
    }
    Ok(import)
}

/// The subject-versions a request references, one per reference, in order.
fn reference_targets(subject: &QualifiedSubject, req: &RegisterSchema) -> Vec<RefTarget> {
    let owner = subject.context_scope();
    req.references
        .iter()
        .map(|r| {
            let target = owner
                .relative(&r.subject)
                .unwrap_or_else(|_| QualifiedSubject {
                    context: subject.context.clone(),
                    name: r.subject.clone(),
                });
            RefTarget {
                context: target.context,
                subject: target.name,
                version: r.version,
            }
        })
        .collect()
}
