//! Durable storage behind one object-safe trait, with two backends: SQLite (one
//! process) and PostgreSQL (several `evreg` processes over one database).
//!
//! The service reads from an in-memory mirror and writes through a [`Store`].
//! A 200 to a write means the store committed it. SQL lives only in this
//! module's backends, and their errors leave it only as [`StoreError`].
//!
//! Every decision is taken against the database, under its locks:
//! - A registration runs *inside* the store's transaction (see
//!   [`Store::register`]): the store takes the subject's lock, reads its
//!   versions, the settings that govern it and its references, and asks the
//!   service's async `decide` callback (which may ask for schema rows it does
//!   not hold yet) before allocating the id and the version.
//! - Deletes, config, mode and context changes open a [`StoreTx`] with
//!   [`Store::begin`], holding [`Locks`]; the service then catches its mirror up
//!   with everything committed so far ([`Store::mark`] and the change feed of
//!   [`Store::follow`]), decides on it, writes through the transaction and
//!   commits.
//!
//! Locks are named by scope `(context, subject)`: a subject, a context (`subject`
//! empty), or the global scope (`(".", "")`). A write to a subject holds the
//! subject exclusively and its context and global scopes shared, so a mode or
//! config change of a wider scope (exclusive) waits for it and vice versa.

use std::future::Future;
use std::pin::Pin;

use sha2::{Digest, Sha256};

pub mod postgres;
pub mod sqlite;

/// A boxed future, so [`Store`] stays object-safe (`Arc<dyn Store>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why the store could not do what was asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// An explicit id (IMPORT) already holds different content.
    #[error("schema id {id} already holds different content")]
    IdConflict {
        /// The requested id.
        id: i64,
    },
    /// An explicit version (IMPORT) is already taken in the subject.
    #[error("version {version} already exists")]
    VersionConflict {
        /// The requested version.
        version: i32,
    },
    /// The database configuration cannot be used.
    #[error("{0}")]
    Config(String),
    /// The database cannot be reached (yet); worth retrying later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The backend failed; the text is for logs only.
    #[error("backend error: {0}")]
    Backend(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            // The database is down, unreachable or overloaded: say so, so the
            // caller can retry (startup) or answer quickly (requests).
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
            sqlx::Error::Database(d)
                if d.code().is_some_and(|c| {
                    // Class 08: connection exception; 57P0x: shutdown, crash,
                    // cannot connect now; 57014: statement timeout.
                    c.starts_with("08") || c.starts_with("57P") || c == "57014"
                }) =>
            {
                StoreError::Unavailable(e.to_string())
            }
            _ => StoreError::Backend(e.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        match e {
            sqlx::migrate::MigrateError::Execute(inner) => match StoreError::from(inner) {
                StoreError::Unavailable(m) => StoreError::Unavailable(m),
                other => StoreError::Backend(format!("migration failed: {other}")),
            },
            other => StoreError::Backend(format!("migration failed: {other}")),
        }
    }
}

/// The version a registration gets: the explicit one (IMPORT) if free, else one
/// above the highest stored, soft-deleted included.
fn next_version(new: &NewVersion, versions: &[VersionRow]) -> Result<i32, StoreError> {
    let highest = versions.iter().map(|v| v.version).max().unwrap_or(0);
    match new.version {
        Some(v) if versions.iter().any(|r| r.version == v) => {
            Err(StoreError::VersionConflict { version: v })
        }
        Some(v) => Ok(v),
        None => Ok(highest + 1),
    }
}

/// The content of a schema, as stored once per context and shared by versions.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaContent {
    /// `AVRO`, `JSON` or `PROTOBUF`.
    pub schema_type: String,
    /// The stored text (canonical, or normalized when normalizing).
    pub schema: String,
    /// The references as a JSON array.
    pub references: String,
    /// The `metadata` object as JSON, if any.
    pub metadata: Option<String>,
    /// The `ruleSet` object as JSON, if any.
    pub rule_set: Option<String>,
    /// Request fields this registry does not interpret, as a JSON object.
    pub extra: Option<String>,
    /// Hex fingerprint of the stored text plus references.
    pub fingerprint: String,
    /// Hex dedup key: fingerprint plus metadata plus ruleSet.
    pub content_key: String,
    /// The GUID (Confluent 8.x `guid`); [`guid_of`] the dedup key when new.
    pub guid: String,
}

/// A stored schema: content plus its id in a context.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaRow {
    /// The context.
    pub context: String,
    /// The id, unique in the context.
    pub id: i64,
    /// The content.
    pub content: SchemaContent,
}

/// One version of one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionRow {
    /// The version number, from 1.
    pub version: i32,
    /// The schema it points at, in the subject's context.
    pub schema_id: i64,
    /// Soft-deleted.
    pub deleted: bool,
    /// When the version was registered, in unix milliseconds (Confluent's `ts`).
    pub ts: i64,
}

/// A [`VersionRow`] with its subject, as loaded at startup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectVersionRow {
    /// The context.
    pub context: String,
    /// The subject name inside the context.
    pub subject: String,
    /// The version.
    pub row: VersionRow,
}

/// A config or mode setting of one scope. `subject` is empty for a context's own
/// scope; the default context's own scope is the global one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingRow {
    /// The context.
    pub context: String,
    /// The subject, or empty.
    pub subject: String,
    /// A config document (JSON object) or a mode name.
    pub value: String,
}

/// Everything, as loaded at startup into the service's mirror.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Known contexts with the highest id ever issued in each.
    pub contexts: Vec<(String, i64)>,
    /// All schemas.
    pub schemas: Vec<SchemaRow>,
    /// All subject versions, live and soft-deleted.
    pub versions: Vec<SubjectVersionRow>,
    /// Config documents.
    pub configs: Vec<SettingRow>,
    /// Modes.
    pub modes: Vec<SettingRow>,
}

/// A scope: `(context, subject)`, the subject empty for a context's own scope.
pub type Scope = (String, String);

/// A subject-version a new schema references, resolved to its context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefTarget {
    /// The referenced subject's context.
    pub context: String,
    /// The referenced subject.
    pub subject: String,
    /// The version, or `-1` for the latest live one.
    pub version: i32,
}

/// A registration to decide and apply.
#[derive(Debug, Clone)]
pub struct NewVersion {
    /// The context.
    pub context: String,
    /// The subject inside the context.
    pub subject: String,
    /// The content to store if it is new to the context.
    pub content: SchemaContent,
    /// An explicit id (IMPORT).
    pub id: Option<i64>,
    /// An explicit version (IMPORT).
    pub version: Option<i32>,
    /// The settings scopes that govern the subject (its own, its context's,
    /// the global one): held shared, their config and mode read for `decide`.
    pub scopes: Vec<Scope>,
    /// The subject-versions the schema references: held shared and checked.
    pub references: Vec<RefTarget>,
    /// Names this write in the change feed ([`Notice::origin`]).
    pub ticket: u64,
}

/// What the store shows `decide`, read inside the transaction.
#[derive(Debug, Clone, Default)]
pub struct SubjectView {
    /// The subject's versions, live and soft-deleted, ascending.
    pub versions: Vec<VersionRow>,
    /// The id this content already has in the context, if any.
    pub existing_id: Option<i64>,
    /// Schema rows `decide` asked for with [`Verdict::Load`].
    pub schemas: Vec<SchemaRow>,
    /// The config documents stored for [`NewVersion::scopes`].
    pub configs: Vec<SettingRow>,
    /// The modes stored for [`NewVersion::scopes`].
    pub modes: Vec<SettingRow>,
    /// Indexes into [`NewVersion::references`] of targets that do not exist.
    pub missing_references: Vec<usize>,
}

/// The service's answer to a [`SubjectView`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The content is already this live version: change nothing.
    Existing(VersionRow),
    /// Insert a new version, first hard-deleting these soft-deleted versions.
    Proceed {
        /// Soft-deleted versions of the same content to remove.
        tombstone: Vec<i32>,
    },
    /// Refuse; the callback kept the reason.
    Abort,
    /// Load these schema rows of the context into [`SubjectView::schemas`] and
    /// ask again.
    Load(Vec<i64>),
}

/// What [`Store::register`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterOutcome {
    /// Nothing; the content already was this version.
    Existing(VersionRow),
    /// A new version was committed.
    Inserted {
        /// The schema id (reused or new).
        id: i64,
        /// The new version.
        version: i32,
        /// Whether a schema row was created (the id is new).
        new_schema: bool,
        /// Soft-deleted versions that were removed.
        tombstoned: Vec<i32>,
        /// The registration time stored with the version (unix milliseconds).
        ts: i64,
    },
    /// `decide` refused; nothing was written.
    Aborted,
}

/// The callback the store consults inside its register transaction. It may be
/// called more than once (after [`Verdict::Load`], or when the store retries a
/// transaction that lost a race).
pub type Decide<'a> = dyn Fn(SubjectView) -> BoxFuture<'a, Verdict> + Send + Sync + 'a;

/// The scopes a [`Store::begin`] transaction holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Locks {
    /// Held exclusively.
    pub exclusive: Vec<Scope>,
    /// Held shared.
    pub shared: Vec<Scope>,
}

impl Locks {
    /// The advisory lock keys, sorted and deduplicated (an exclusive hold wins),
    /// so every transaction takes its locks in one global order.
    pub fn keys(&self) -> Vec<(i64, bool)> {
        let mut keys: Vec<(i64, bool)> = self
            .exclusive
            .iter()
            .map(|(c, s)| (lock_key(c, s), true))
            .chain(self.shared.iter().map(|(c, s)| (lock_key(c, s), false)))
            .collect();
        // Exclusive first within a key, then keep the first of each key.
        keys.sort_by_key(|(k, exclusive)| (*k, !*exclusive));
        keys.dedup_by_key(|(k, _)| *k);
        keys
    }
}

/// A stable 64-bit lock key for a scope (the same in every process).
pub fn lock_key(context: &str, subject: &str) -> i64 {
    let d = Sha256::new()
        .chain_update(b"evreg-scope\0")
        .chain_update(context.as_bytes())
        .chain_update(b"\0")
        .chain_update(subject.as_bytes())
        .finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    i64::from_be_bytes(b)
}

/// The lock key of a content in a context: held while its first id is issued.
pub fn content_lock_key(context: &str, content_key: &str) -> i64 {
    // Subject names cannot hold control characters, so this is no scope's key.
    lock_key(context, &format!("\u{1}content {content_key}"))
}

/// The GUID of a content: derived from its dedup key, so the same content gets
/// the same GUID in every context and every registry, and formatted as a
/// version-4 UUID so clients that parse GUIDs accept it. Stores keep it in a
/// column (set when the schema row is written) so it never changes for a row.
pub fn guid_of(content_key: &str) -> String {
    let d = Sha256::digest(format!("evreg-guid:{content_key}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(x >> 4)]));
        out.push(char::from(HEX[usize::from(x & 0x0f)]));
    }
    out
}

/// Which settings table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setting {
    /// Config documents.
    Config,
    /// Modes.
    Mode,
}

/// A committed change, as the change feed reports it to every process.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Change {
    /// A subject's versions changed (and maybe schemas were added or removed).
    Subject {
        /// The context.
        context: String,
        /// The subject.
        subject: String,
    },
    /// A config or mode of a scope changed.
    Setting {
        /// Which table.
        kind: Setting,
        /// The context.
        context: String,
        /// The subject, or empty.
        subject: String,
    },
    /// A context was forgotten.
    Context {
        /// The context.
        context: String,
    },
    /// Nothing changed; [`Store::mark`] was called.
    Mark,
}

/// One entry of the change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// What changed.
    pub change: Change,
    /// The ticket of the write, when this process made it.
    pub origin: Option<u64>,
}

/// What the change feed of a shared store delivers, in commit order.
#[derive(Debug)]
pub enum Feed {
    /// Changes committed by any process, this one included.
    Changes(Vec<Notice>),
    /// The feed lost its connection: changes may be missed until `Restored`.
    Lost,
    /// The feed is back; anything may have changed meanwhile.
    Restored,
}

/// Durable registry state. All writes are atomic and durable when they return.
pub trait Store: Send + Sync {
    /// Reads everything, consistently (startup and full reloads).
    fn load(&self) -> BoxFuture<'_, Result<Snapshot, StoreError>>;

    /// Registers `new` in one transaction: locks the subject (and holds
    /// [`NewVersion::scopes`] and the referenced subjects shared), reads it,
    /// asks `decide`, assigns the id (reusing the content's id in the context,
    /// else explicit, else one above the highest ever issued) and the version
    /// (explicit, else one above the highest stored, soft-deleted included).
    fn register<'a, 'd: 'a>(
        &'a self,
        new: &'a NewVersion,
        decide: &'a Decide<'d>,
    ) -> BoxFuture<'a, Result<RegisterOutcome, StoreError>>;

    /// Opens a write transaction holding `locks`; its changes are reported in
    /// the feed with `ticket`.
    fn begin<'a>(
        &'a self,
        locks: &'a Locks,
        ticket: u64,
    ) -> BoxFuture<'a, Result<Box<dyn StoreTx>, StoreError>>;

    /// A subject's versions, ascending.
    fn subject<'a>(
        &'a self,
        context: &'a str,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<Vec<VersionRow>, StoreError>>;

    /// The schema rows of `ids` that exist in `context`.
    fn schemas<'a>(
        &'a self,
        context: &'a str,
        ids: &'a [i64],
    ) -> BoxFuture<'a, Result<Vec<SchemaRow>, StoreError>>;

    /// A scope's config document or mode.
    fn setting<'a>(
        &'a self,
        kind: Setting,
        context: &'a str,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, StoreError>>;

    /// The highest id ever issued in a context, or `None` if it is not known.
    fn context<'a>(&'a self, context: &'a str) -> BoxFuture<'a, Result<Option<i64>, StoreError>>;

    /// Starts the change feed, if other processes can write to this store.
    /// Changes committed after this returns are all delivered (or `Lost` is).
    fn follow(
        &self,
    ) -> BoxFuture<'_, Result<Option<tokio::sync::mpsc::Receiver<Feed>>, StoreError>>;

    /// Puts a [`Change::Mark`] with `ticket` in the feed, after every change
    /// committed so far.
    fn mark(&self, ticket: u64) -> BoxFuture<'_, Result<(), StoreError>>;

    /// Flushes and closes connections.
    fn close(&self) -> BoxFuture<'_, ()>;
}

/// A write transaction from [`Store::begin`]. Dropped without
/// [`StoreTx::commit`], it rolls back.
pub trait StoreTx: Send {
    /// Marks versions soft-deleted.
    fn soft_delete<'a>(
        &'a mut self,
        context: &'a str,
        subject: &'a str,
        versions: &'a [i32],
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Removes versions; then removes schemas of the context no version uses any
    /// more and returns their ids.
    fn hard_delete<'a>(
        &'a mut self,
        context: &'a str,
        subject: &'a str,
        versions: &'a [i32],
    ) -> BoxFuture<'a, Result<Vec<i64>, StoreError>>;

    /// Sets (`Some`) or clears (`None`) the config document or mode of a scope.
    fn set<'a>(
        &'a mut self,
        kind: Setting,
        context: &'a str,
        subject: &'a str,
        value: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Forgets an empty context and its settings.
    fn delete_context<'a>(&'a mut self, context: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Commits, durably.
    fn commit(self: Box<Self>) -> BoxFuture<'static, Result<(), StoreError>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_is_a_stable_v4_uuid() {
        let g = guid_of("abc");
        assert_eq!(g, guid_of("abc"));
        assert_ne!(g, guid_of("abd"));
        assert_eq!(g.len(), 36);
        assert_eq!(&g[14..15], "4");
        assert!(matches!(&g[19..20], "8" | "9" | "a" | "b"));
        // The layout stored GUIDs were written in: 8-4-4-4-12 lowercase hex of
        // the first 16 digest bytes, version and variant bits set.
        let d = Sha256::digest(b"evreg-guid:abc");
        let mut b = [0u8; 16];
        b.copy_from_slice(&d[..16]);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
        let expected = format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        );
        assert_eq!(g, expected);
    }

    #[test]
    fn lock_keys_are_ordered_and_exclusive_wins() {
        let s = |c: &str, n: &str| (c.to_owned(), n.to_owned());
        let locks = Locks {
            exclusive: vec![s(".", "a")],
            shared: vec![s(".", "a"), s(".", ""), s(".", "")],
        };
        let keys = locks.keys();
        assert_eq!(keys.len(), 2);
        assert!(keys.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(keys.contains(&(lock_key(".", "a"), true)));
        assert_ne!(lock_key(".a", ""), lock_key(".", "a"));
    }
}
