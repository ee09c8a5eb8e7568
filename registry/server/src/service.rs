//! The registry's behaviour: register, look up, delete, config, mode.
//!
//! Reads are answered from the in-memory [`State`]. Writes go through the
//! [`Store`] in one transaction, decided on what the database holds under its
//! locks, and only then touch the mirror (see `follow.rs` for how the mirror
//! stays coherent when several processes share one database). Errors are
//! domain errors; `api/error.rs` turns them into HTTP.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use evreg_core::{SchemaError, SchemaErrorKind, SchemaReference, SharedSchema};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::state::{SchemaEntry, State};
use crate::store::{SchemaContent, Store, StoreError};
use crate::subject::{InvalidSubject, QualifiedSubject};

mod admin;
mod compat;
mod contract;
mod deep;
mod delete;
mod follow;
mod format;
mod read;
mod register;
mod request;
mod tags;

pub use compat::CompatibilityResult;
use deep::{Lane, run_deep, run_deep_in};
pub use format::Render;
pub use read::{Page, SchemaListQuery, SubjectVersion, VersionSpec};
pub use request::{RegisterSchema, SchemaView};

/// What went wrong, in the registry's terms.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request body is not the expected JSON shape.
    #[error("{0}")]
    MalformedRequest(String),
    /// Subject (or context) not found.
    #[error("Subject '{0}' not found.")]
    SubjectNotFound(String),
    /// Context not found.
    #[error("Context '{0}' not found.")]
    ContextNotFound(String),
    /// Version not found.
    #[error("Version {version} not found.")]
    VersionNotFound {
        /// The subject.
        subject: String,
        /// The version asked for.
        version: String,
    },
    /// Schema not found.
    #[error("{0}")]
    SchemaNotFound(String),
    /// The subject is soft-deleted.
    #[error("Subject '{0}' was soft deleted.Set permanent=true to delete permanently")]
    SubjectSoftDeleted(String),
    /// Permanent delete of a subject that was not soft-deleted first.
    #[error("Subject '{0}' was not deleted first before being permanently deleted")]
    SubjectNotSoftDeleted(String),
    /// The version is soft-deleted.
    #[error(
        "Subject '{subject}' Version {version} was soft deleted.Set permanent=true to delete permanently"
    )]
    VersionSoftDeleted {
        /// The subject.
        subject: String,
        /// The version.
        version: i32,
    },
    /// Permanent delete of a version that was not soft-deleted first.
    #[error(
        "Subject '{subject}' Version {version} was not deleted first before being permanently deleted"
    )]
    VersionNotSoftDeleted {
        /// The subject.
        subject: String,
        /// The version.
        version: i32,
    },
    /// No subject-level config.
    #[error("Subject '{0}' does not have subject-level compatibility configured")]
    ConfigNotSet(String),
    /// No subject-level mode.
    #[error("Subject '{0}' does not have subject-level mode configured")]
    ModeNotSet(String),
    /// The schema breaks the compatibility rules.
    #[error("Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]", details.join(", "))]
    Incompatible {
        /// The subject.
        subject: String,
        /// Confluent-style verbose lines.
        details: Vec<String>,
    },
    /// The schema (or a reference) is invalid.
    #[error("{0}")]
    InvalidSchema(String),
    /// A version is not a positive integer, `latest` or `-1`.
    #[error(
        "The specified version '{0}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
    )]
    InvalidVersion(String),
    /// Unknown compatibility level.
    #[error("{0}")]
    InvalidCompatibility(String),
    /// Unknown mode.
    #[error("{0}")]
    InvalidMode(String),
    /// The mode forbids the operation, or an id is misused.
    #[error("{0}")]
    NotPermitted(String),
    /// Other schemas reference the version.
    #[error("One or more references exist to the schema {{subject={subject},version={version}}}.")]
    ReferenceExists {
        /// The subject.
        subject: String,
        /// The version.
        version: i32,
    },
    /// An explicit id disagrees with the registered one.
    #[error("{0}")]
    IdMismatch(String),
    /// Bad subject name.
    #[error("{0}")]
    InvalidSubject(String),
    /// Schema over a size or depth limit.
    #[error("{0}")]
    SchemaTooLarge(String),
    /// Bad rule set.
    #[error("{0}")]
    InvalidRuleSet(String),
    /// The context still has subjects.
    #[error("Context '{0}' is not empty")]
    ContextNotEmpty(String),
    /// The store failed; the text is for logs only.
    #[error("store: {0}")]
    Store(String),
    /// A bug or unexpected condition; the text is for logs only.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<InvalidSubject> for Error {
    fn from(e: InvalidSubject) -> Self {
        Error::InvalidSubject(e.0)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::IdConflict { id } => Error::NotPermitted(format!(
                "Overwrite new schema with id {id} is not permitted."
            )),
            StoreError::VersionConflict { version } => Error::NotPermitted(format!(
                "Overwrite new schema version {version} is not permitted."
            )),
            StoreError::Config(m) | StoreError::Unavailable(m) | StoreError::Backend(m) => {
                Error::Store(m)
            }
        }
    }
}

/// Options of a registration.
#[derive(Debug, Clone, Copy, Default)]
pub struct RegisterOptions {
    /// `normalize=true`.
    pub normalize: bool,
    /// `force=true`: skip the compatibility check.
    pub force: bool,
}

/// The registry service.
pub struct Registry {
    store: Arc<dyn Store>,
    state: Arc<RwLock<State>>,
    /// When this process is the only writer (SQLite): registrations hold it
    /// shared (the store batches them), other writes exclusively, since they
    /// decide on the mirror.
    writer: tokio::sync::RwLock<()>,
    /// Coherence with the store and other processes.
    follow: follow::Follow,
    /// Recently parsed request schemas, so repeated lookups and registrations
    /// of one text (what every serializer does) skip the parser.
    parsed: Mutex<HashMap<ParseKey, SharedSchema>>,
}

/// What a parse depends on: the text, its type and references, and the
/// context the references resolve in. Referenced versions cannot change while
/// referenced; a hard delete clears the cache all the same.
#[derive(PartialEq, Eq, Hash)]
struct ParseKey {
    context: String,
    schema_type: evreg_core::SchemaType,
    text: String,
    references: Vec<SchemaReference>,
}

/// Entries kept before the cache starts over; texts longer than
/// [`PARSE_CACHE_MAX_TEXT`] are not cached.
const PARSE_CACHE_ENTRIES: usize = 4096;
const PARSE_CACHE_MAX_TEXT: usize = 64 << 10;

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").finish_non_exhaustive()
    }
}

impl Registry {
    /// Loads the store into memory and, when other processes may write to it,
    /// starts following its change feed (subscribed before the load, so
    /// nothing committed after the load is missed).
    pub async fn open(store: Arc<dyn Store>) -> Result<Arc<Registry>, Error> {
        let feed = store.follow().await?;
        let snapshot = store.load().await?;
        let state = State::from_snapshot(snapshot).map_err(Error::Internal)?;
        let registry = Arc::new(Registry {
            store,
            state: Arc::new(RwLock::new(state)),
            writer: tokio::sync::RwLock::new(()),
            follow: follow::Follow::new(feed.is_some()),
            parsed: Mutex::new(HashMap::new()),
        });
        if let Some(feed) = feed {
            registry.start_following(feed);
        }
        Ok(registry)
    }

    /// Stops following and closes the store.
    pub async fn close(&self) {
        self.follow.stop();
        self.store.close().await;
    }

    // A panic while holding the lock cannot leave the mirror half-updated in a
    // way worse than refusing all further requests would, so poisoning is ignored.
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Parses a request's schema on a deep-stack thread, resolving references
    /// against the mirror. A panic in the parser becomes an internal error.
    async fn parse(&self, context: &str, req: &RegisterSchema) -> Result<SharedSchema, Error> {
        let key = (req.schema.len() <= PARSE_CACHE_MAX_TEXT).then(|| ParseKey {
            context: context.to_owned(),
            schema_type: req.schema_type,
            text: req.schema.clone(),
            references: req.references.clone(),
        });
        if let Some(hit) = key
            .as_ref()
            .and_then(|k| self.parse_cache().get(k).cloned())
        {
            return Ok(hit);
        }
        let parsed = self.parse_uncached(context, req).await?;
        if let Some(key) = key {
            let mut cache = self.parse_cache();
            if cache.len() >= PARSE_CACHE_ENTRIES {
                cache.clear();
            }
            cache.insert(key, parsed.clone());
        }
        Ok(parsed)
    }

    fn parse_cache(&self) -> std::sync::MutexGuard<'_, HashMap<ParseKey, SharedSchema>> {
        self.parsed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets parsed request schemas; after a hard delete a reference may
    /// resolve to different content.
    pub(crate) fn forget_parsed(&self) {
        self.parse_cache().clear();
    }

    async fn parse_uncached(
        &self,
        context: &str,
        req: &RegisterSchema,
    ) -> Result<SharedSchema, Error> {
        let state = self.state.clone();
        let context = context.to_owned();
        let (schema_type, text, refs) =
            (req.schema_type, req.schema.clone(), req.references.clone());
        let parsed = run_deep(move || {
            let lookup = |r: &SchemaReference| {
                state
                    .read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .resolve(&context, r)
            };
            evreg_core::parse(schema_type, &text, &refs, &lookup)
        })
        .await?;
        parsed.map(Arc::new).map_err(schema_error)
    }

    /// `POST /subjects/{subject}`: the version of `subject` holding this schema.
    pub async fn lookup(
        &self,
        subject: &str,
        mut req: RegisterSchema,
        normalize: bool,
        deleted: bool,
    ) -> Result<SchemaView, Error> {
        let subject = QualifiedSubject::parse_subject(subject)?;
        self.apply_request_tags(&subject, &mut req)?;
        if !self
            .read()
            .versions(&subject)
            .iter()
            .any(|v| deleted || !v.deleted)
        {
            return Err(Error::SubjectNotFound(subject.to_string()));
        }
        let parsed = self.parse(&subject.context, &req).await?;
        let config = self.read().effective_config(&subject);
        let normalize = normalize || config.normalize;
        if let Some(found) = self.find_content(&subject, &parsed, &req, normalize, deleted)? {
            return Ok(found);
        }
        // Registration stores the config's defaults and overrides and carries
        // the latest version's metadata forward, so a request that did not
        // match as sent is tried again as it would have been stored (Confluent's
        // `lookUpSchemaUnderSubject` does the same, given a live version).
        if self.read().live_versions(&subject).is_empty() {
            return Err(Error::SchemaNotFound("Schema not found".into()));
        }
        let sent = (req.metadata.clone(), req.rule_set.clone());
        self.apply_contract(&subject, &config.doc, &mut req);
        if (&req.metadata, &req.rule_set) != (&sent.0, &sent.1)
            && let Some(found) = self.find_content(&subject, &parsed, &req, normalize, deleted)?
        {
            return Ok(found);
        }
        Err(Error::SchemaNotFound("Schema not found".into()))
    }

    /// The version of `subject` whose content matches the request, preferring
    /// a live version, then the newest. Without metadata or a rule set in the
    /// request, any version with the same schema matches.
    fn find_content(
        &self,
        subject: &QualifiedSubject,
        parsed: &evreg_core::ParsedSchema,
        req: &RegisterSchema,
        normalize: bool,
        deleted: bool,
    ) -> Result<Option<SchemaView>, Error> {
        let strict = req.metadata.is_some() || req.rule_set.is_some();
        let mut keys = vec![content_of(parsed, req, false)?];
        if normalize || !strict {
            keys.push(content_of(parsed, req, true)?);
        }
        let st = self.read();
        let matches = |e: &SchemaEntry| {
            keys.iter().any(|k| {
                if strict {
                    k.content_key == e.content_key
                } else {
                    k.fingerprint == e.fingerprint
                }
            })
        };
        let versions = st.versions(subject);
        Ok(versions
            .iter()
            .rev()
            .filter(|v| !v.deleted)
            .chain(versions.iter().rev().filter(|v| deleted && v.deleted))
            .find_map(|v| {
                let e = st.schema(&subject.context, v.schema_id)?;
                matches(e).then(|| SchemaView::version(subject.to_string(), v, e))
            }))
    }
}

/// What is stored for a request: the canonical (or normalized) text and its keys.
fn content_of(
    parsed: &evreg_core::ParsedSchema,
    req: &RegisterSchema,
    normalize: bool,
) -> Result<SchemaContent, Error> {
    let (text, fingerprint) = if normalize {
        (parsed.normalized(), parsed.normalized_fingerprint())
    } else {
        (parsed.canonical(), parsed.fingerprint())
    };
    let json = |v: &Option<Value>| v.as_ref().map(Value::to_string);
    let metadata = json(&req.metadata);
    let rule_set = json(&req.rule_set);
    // The dedup key: Confluent hashes schema, references, metadata and ruleSet.
    let mut h = Sha256::new();
    h.update(fingerprint.to_hex().as_bytes());
    for part in [&metadata, &rule_set] {
        let p = part.as_deref().unwrap_or("");
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    let content_key: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let references = serde_json::to_string(&req.references)
        .map_err(|e| Error::Internal(format!("references do not serialize: {e}")))?;
    Ok(SchemaContent {
        schema_type: parsed.schema_type().as_str().to_owned(),
        schema: text.to_owned(),
        references,
        metadata,
        rule_set,
        extra: (!req.extra.is_empty()).then(|| Value::Object(req.extra.clone()).to_string()),
        fingerprint: fingerprint.to_hex(),
        // Only a registration stores it; lookups leave it out (hot path).
        guid: String::new(),
        content_key,
    })
}

/// Maps a core parse error to the registry's error.
fn schema_error(e: SchemaError) -> Error {
    match e.kind {
        SchemaErrorKind::TooLarge => Error::SchemaTooLarge(format!("Schema too large: {e}")),
        _ => Error::InvalidSchema(format!("Invalid schema: {e}")),
    }
}
