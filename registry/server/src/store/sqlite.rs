//! The SQLite backend: one file, WAL journal, `synchronous=FULL` so a commit
//! that returned survives a power cut.
//!
//! Registrations are group-committed: the disk syncs a few hundred times a
//! second, so one commit per registration would cap throughput there. The
//! registrations queued for the write slot share one `BEGIN IMMEDIATE`
//! transaction (a *batch*), each inside a savepoint of its own, and a committer
//! task commits the batch once they are in. Nobody hears back before its batch
//! is committed; if the commit fails, every member gets the error.

use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, SqliteConnection, Transaction};
use tokio::sync::{Mutex, Notify, OwnedMutexGuard, watch};

use super::{
    BoxFuture, Decide, Feed, Locks, NewVersion, RegisterOutcome, SchemaContent, SchemaRow, Setting,
    SettingRow, Snapshot, Store, StoreError, StoreTx, SubjectVersionRow, SubjectView, Verdict,
    VersionRow,
};

/// The embedded migrations, in order. Append only.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "schema_guid",
        include_str!("../../migrations/sqlite/0002_schema_guid.sql"),
    ),
];

/// A [`Store`] in a SQLite database file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    group: Arc<Group>,
}

/// The write slot: SQLite has one writer, and whoever holds the slot is it.
/// Registrations take it in FIFO order (tokio's mutex is fair) to add their
/// work to the open batch; the committer and [`Store::begin`] take it to
/// commit the batch.
type Slot = Arc<Mutex<Option<Batch>>>;

#[derive(Debug)]
struct Group {
    slot: Slot,
    /// Wakes the committer: a batch has a new member.
    wake: Arc<Notify>,
}

impl Drop for Group {
    fn drop(&mut self) {
        // Lets the committer see the store is gone and end.
        self.wake.notify_one();
    }
}

/// The commit outcome of one batch, published to its members.
type Outcome = Option<Result<(), StoreError>>;

/// An open write transaction shared by the registrations that joined it.
struct Batch {
    tx: Transaction<'static, Sqlite>,
    /// A member's savepoint is open. Seen by the next holder of the slot, it
    /// means that member was dropped half-way: its work must not be committed.
    in_savepoint: bool,
    /// Registrations that joined.
    members: usize,
    done: watch::Sender<Outcome>,
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("in_savepoint", &self.in_savepoint)
            .finish_non_exhaustive()
    }
}

impl Batch {
    async fn begin(pool: &SqlitePool) -> Result<Batch, StoreError> {
        Ok(Batch {
            // IMMEDIATE takes the write lock up front, so nothing read inside
            // the batch can go stale before its commit.
            tx: pool.begin_with("BEGIN IMMEDIATE").await?,
            in_savepoint: false,
            members: 0,
            done: watch::channel(None).0,
        })
    }

    async fn savepoint(&mut self) -> Result<(), StoreError> {
        self.in_savepoint = true;
        sqlx::query("SAVEPOINT reg").execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Keeps the member's work in the batch.
    async fn release(&mut self) -> Result<(), StoreError> {
        sqlx::query("RELEASE reg").execute(&mut *self.tx).await?;
        self.in_savepoint = false;
        Ok(())
    }

    /// Undoes the member's work, leaving the batch as it was before it.
    async fn unwind(&mut self) -> Result<(), StoreError> {
        sqlx::query("ROLLBACK TO reg")
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("RELEASE reg").execute(&mut *self.tx).await?;
        self.in_savepoint = false;
        Ok(())
    }

    /// Commits (after undoing a dropped member's half-done work) and tells
    /// the members.
    async fn finish(mut self) {
        let started = std::time::Instant::now();
        let result = if self.in_savepoint {
            match self.unwind().await {
                Ok(()) => self.tx.commit().await.map_err(StoreError::from),
                Err(e) => Err(e),
            }
        } else {
            self.tx.commit().await.map_err(StoreError::from)
        };
        match &result {
            Ok(()) => tracing::debug!(
                members = self.members,
                commit_us = started.elapsed().as_micros(),
                "committed a batch of registrations"
            ),
            Err(e) => tracing::warn!(error = %e, "a batch of registrations failed to commit"),
        }
        self.done.send_replace(Some(result));
    }

    /// Rolls the batch back (dropping the transaction does) and gives every
    /// member `error`.
    fn fail(self, error: &StoreError) {
        tracing::warn!(%error, "a batch of registrations was rolled back");
        self.done.send_replace(Some(Err(error.clone())));
    }
}

/// Commits the open batch, if any, in a task of its own: once started, a
/// commit runs to completion and its members hear of it even if the caller is
/// dropped. Gives the slot back empty.
async fn flush(
    mut slot: OwnedMutexGuard<Option<Batch>>,
) -> Result<OwnedMutexGuard<Option<Batch>>, StoreError> {
    if slot.is_none() {
        return Ok(slot);
    }
    tokio::spawn(async move {
        if let Some(batch) = slot.take() {
            batch.finish().await;
        }
        slot
    })
    .await
    .map_err(|e| StoreError::Backend(format!("the commit task failed: {e}")))
}

/// Commits each batch once the registrations queued before it have joined:
/// woken by the first member, it queues for the slot behind the others.
async fn committer(group: Weak<Group>, wake: Arc<Notify>) {
    loop {
        wake.notified().await;
        let Some(slot) = group.upgrade().map(|g| g.slot.clone()) else {
            return;
        };
        if let Err(e) = flush(slot.lock_owned().await).await {
            tracing::warn!(error = %e, "cannot commit a batch of registrations");
        }
    }
}

/// Runs what a registration does while holding the write slot. On a
/// multi-threaded runtime it blocks this thread instead of yielding: each
/// statement is a round trip to the connection's thread, and resumed as a task
/// it would queue behind every runnable request while the whole batch waits.
async fn in_slot<F: Future>(work: F) -> F::Output {
    match tokio::runtime::Handle::try_current() {
        Ok(rt) if rt.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(|| rt.block_on(work))
        }
        _ => work.await,
    }
}

/// Wakes the committer when a member leaves the slot, however it leaves, so
/// no batch waits for a member that is gone.
struct WakeOnDrop<'a>(&'a Notify);

impl Drop for WakeOnDrop<'_> {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

impl SqliteStore {
    /// Opens (creating if missing) the database at a `sqlite:` URL and applies
    /// pending migrations.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("invalid SQLite URL: {e}")))?;
        Self::connect(options).await
    }

    /// Opens (creating it and its directory if missing) a database file.
    pub async fn open_file(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Config(format!(
                    "cannot create data directory {}: {e}",
                    dir.display()
                ))
            })?;
        }
        Self::connect(SqliteConnectOptions::new().filename(path)).await
    }

    async fn connect(options: SqliteConnectOptions) -> Result<Self, StoreError> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // Reads are served from memory; a few connections cover startup and writes.
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        migrator().run(&pool).await?;
        fill_guids(&pool).await?;
        let wake = Arc::new(Notify::new());
        let group = Arc::new(Group {
            slot: Arc::new(Mutex::new(None)),
            wake: wake.clone(),
        });
        tokio::spawn(committer(Arc::downgrade(&group), wake));
        Ok(SqliteStore { pool, group })
    }

    async fn load_all(&self) -> Result<Snapshot, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let contexts = sqlx::query("SELECT context, max_id FROM contexts")
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("context")?, r.try_get("max_id")?)))
            .collect::<Result<_, sqlx::Error>>()?;
        let schemas = sqlx::query(
            "SELECT context, id, schema_type, schema, refs, metadata, rule_set, extra, \
             fingerprint, content_key, guid FROM schemas ORDER BY context, id",
        )
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(schema_row)
        .collect::<Result<_, _>>()?;
        let versions = sqlx::query(
            "SELECT context, subject, version, schema_id, deleted, created_at FROM versions \
             ORDER BY context, subject, version",
        )
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(SubjectVersionRow {
                context: r.try_get("context")?,
                subject: r.try_get("subject")?,
                row: version_row(r)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
        let configs = settings(
            &mut conn,
            "SELECT context, subject, body AS value FROM configs",
        )
        .await?;
        let modes = settings(
            &mut conn,
            "SELECT context, subject, mode AS value FROM modes",
        )
        .await?;
        Ok(Snapshot {
            contexts,
            schemas,
            versions,
            configs,
            modes,
        })
    }

    /// Joins the open batch (opening one if none is), does the registration
    /// inside a savepoint of its own, and waits for the batch's commit.
    async fn register_tx(
        &self,
        new: &NewVersion,
        decide: &Decide<'_>,
    ) -> Result<RegisterOutcome, StoreError> {
        let (mut done, result) = {
            let mut slot = self.group.slot.lock().await;
            let _wake = WakeOnDrop(&self.group.wake);
            // A member dropped half-way left its savepoint open: undo it, or
            // give up the batch if even that fails.
            if let Some(batch) = slot.as_mut()
                && batch.in_savepoint
                && let Err(e) = batch.unwind().await
                && let Some(batch) = slot.take()
            {
                batch.fail(&e);
            }
            let batch = match slot.as_mut() {
                Some(batch) => batch,
                None => slot.insert(Batch::begin(&self.pool).await?),
            };
            let done = batch.done.subscribe();
            batch.members += 1;
            let result = in_slot(async {
                batch.savepoint().await?;
                let result = register_in(&mut batch.tx, new, decide).await;
                match &result {
                    Ok(RegisterOutcome::Inserted { .. }) => batch.release().await,
                    _ => batch.unwind().await,
                }
                .map(|()| result)
            })
            .await;
            match result {
                Ok(result) => (done, result),
                Err(e) => {
                    // The batch is in a state nobody knows: commit none of it.
                    if let Some(batch) = slot.take() {
                        batch.fail(&e);
                    }
                    return Err(e);
                }
            }
        };
        // Even a refusal or an existing version may rest on what the batch's
        // other members wrote: answer only once that is committed.
        let committed = match done.wait_for(Option::is_some).await {
            Ok(outcome) => outcome.clone().unwrap_or(Ok(())),
            Err(_) => Err(StoreError::Unavailable(
                "the store closed before the registration was committed".into(),
            )),
        };
        committed.and(result)
    }
}

/// One registration, inside the batch's transaction. The batch holds SQLite's
/// one write lock, so the reads below cannot go stale before the insert, and
/// `scopes` and `references` need no locks of their own. Reads see the
/// uncommitted work of earlier members: versions stay contiguous, and the same
/// content gets one id.
async fn register_in(
    tx: &mut SqliteConnection,
    new: &NewVersion,
    decide: &Decide<'_>,
) -> Result<RegisterOutcome, StoreError> {
    // Everything `decide` is shown, in one statement: each statement is a
    // round trip to the connection's thread, made while the batch waits.
    // Without `INDEXED BY`, SQLite serves `ORDER BY id` from the primary key
    // and reads every schema of the context to find the content.
    let scopes = serde_json::to_string(&new.scopes)
        .map_err(|e| StoreError::Backend(format!("scopes do not encode: {e}")))?;
    let (versions, existing_id, configs, modes, max_id): (
        String,
        Option<i64>,
        String,
        String,
        Option<i64>,
    ) = sqlx::query_as(
        "SELECT \
           (SELECT json_group_array(json_array(version, schema_id, deleted, created_at)) \
              FROM versions WHERE context = ? AND subject = ?), \
           (SELECT id FROM schemas INDEXED BY schemas_by_content \
              WHERE context = ? AND content_key = ? ORDER BY id LIMIT 1), \
           (SELECT json_group_array(json_array(c.context, c.subject, c.body)) \
              FROM json_each(?) AS s JOIN configs AS c \
              ON c.context = json_extract(s.value, '$[0]') \
              AND c.subject = json_extract(s.value, '$[1]')), \
           (SELECT json_group_array(json_array(m.context, m.subject, m.mode)) \
              FROM json_each(?) AS s JOIN modes AS m \
              ON m.context = json_extract(s.value, '$[0]') \
              AND m.subject = json_extract(s.value, '$[1]')), \
           (SELECT max_id FROM contexts WHERE context = ?)",
    )
    .bind(&new.context)
    .bind(&new.subject)
    .bind(&new.context)
    .bind(&new.content.content_key)
    .bind(&scopes)
    .bind(&scopes)
    .bind(&new.context)
    .fetch_one(&mut *tx)
    .await?;
    let mut view = SubjectView {
        versions: decode_versions(&versions, &new.subject)?,
        existing_id,
        configs: decode_settings(&configs)?,
        modes: decode_settings(&modes)?,
        ..SubjectView::default()
    };
    for (i, r) in new.references.iter().enumerate() {
        let found: Option<i32> = sqlx::query_scalar(
            "SELECT version FROM versions WHERE context = ? AND subject = ? \
             AND (version = ? OR (? = -1 AND deleted = 0)) LIMIT 1",
        )
        .bind(&r.context)
        .bind(&r.subject)
        .bind(r.version)
        .bind(r.version)
        .fetch_optional(&mut *tx)
        .await?;
        if found.is_none() {
            view.missing_references.push(i);
        }
    }
    let tombstone = loop {
        match decide(view.clone()).await {
            Verdict::Existing(row) => return Ok(RegisterOutcome::Existing(row)),
            Verdict::Abort => return Ok(RegisterOutcome::Aborted),
            Verdict::Proceed { tombstone } => break tombstone,
            Verdict::Load(ids) if view.schemas.is_empty() && !ids.is_empty() => {
                view.schemas = load_schemas(tx, &new.context, &ids).await?;
            }
            Verdict::Load(ids) => {
                return Err(StoreError::Backend(format!(
                    "decide asked again for schemas {ids:?} of context {}",
                    new.context
                )));
            }
        }
    };

    let (id, new_schema) = match (new.id, view.existing_id) {
        (Some(id), _) => {
            let key: Option<String> =
                sqlx::query_scalar("SELECT content_key FROM schemas WHERE context = ? AND id = ?")
                    .bind(&new.context)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            match key {
                Some(k) if k == new.content.content_key => (id, false),
                Some(_) => return Err(StoreError::IdConflict { id }),
                None => (id, true),
            }
        }
        (None, Some(id)) => (id, false),
        (None, None) => (max_id.unwrap_or(0) + 1, true),
    };
    let now = now_millis();
    if new_schema || max_id.is_none() {
        // Creates the context if new and records the highest id issued.
        sqlx::query(
            "INSERT INTO contexts (context, max_id) VALUES (?, ?) \
             ON CONFLICT (context) DO UPDATE SET max_id = max(max_id, excluded.max_id)",
        )
        .bind(&new.context)
        .bind(if new_schema { id } else { 0 })
        .execute(&mut *tx)
        .await?;
    }
    if new_schema {
        insert_schema(tx, &new.context, id, &new.content, now).await?;
    }
    for v in &tombstone {
        sqlx::query("DELETE FROM versions WHERE context = ? AND subject = ? AND version = ?")
            .bind(&new.context)
            .bind(&new.subject)
            .bind(v)
            .execute(&mut *tx)
            .await?;
    }
    let version = super::next_version(new, &view.versions)?;
    sqlx::query(
        "INSERT INTO versions (context, subject, version, schema_id, deleted, created_at) \
         VALUES (?, ?, ?, ?, 0, ?)",
    )
    .bind(&new.context)
    .bind(&new.subject)
    .bind(version)
    .bind(id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(RegisterOutcome::Inserted {
        id,
        version,
        new_schema,
        tombstoned: tombstone,
        ts: now,
    })
}

/// A write transaction: `BEGIN IMMEDIATE` holds SQLite's one write lock, which
/// covers every scope. It holds the write slot too, so no batch of
/// registrations opens until it is done.
struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
    _slot: OwnedMutexGuard<Option<Batch>>,
}

impl SqliteTx {
    async fn soft_delete_tx(
        &mut self,
        context: &str,
        subject: &str,
        versions: &[i32],
    ) -> Result<(), StoreError> {
        for v in versions {
            sqlx::query(
                "UPDATE versions SET deleted = 1 WHERE context = ? AND subject = ? AND version = ?",
            )
            .bind(context)
            .bind(subject)
            .bind(v)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    async fn hard_delete_tx(
        &mut self,
        context: &str,
        subject: &str,
        versions: &[i32],
    ) -> Result<Vec<i64>, StoreError> {
        let mut candidates = Vec::new();
        for v in versions {
            let id: Option<i64> = sqlx::query_scalar(
                "DELETE FROM versions WHERE context = ? AND subject = ? AND version = ? \
                 RETURNING schema_id",
            )
            .bind(context)
            .bind(subject)
            .bind(v)
            .fetch_optional(&mut *self.tx)
            .await?;
            candidates.extend(id);
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut removed = Vec::new();
        for id in candidates {
            let done = sqlx::query(
                "DELETE FROM schemas WHERE context = ? AND id = ? AND NOT EXISTS \
                 (SELECT 1 FROM versions WHERE context = ? AND schema_id = ?)",
            )
            .bind(context)
            .bind(id)
            .bind(context)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
            if done.rows_affected() > 0 {
                removed.push(id);
            }
        }
        Ok(removed)
    }

    async fn set_tx(
        &mut self,
        kind: Setting,
        context: &str,
        subject: &str,
        value: Option<&str>,
    ) -> Result<(), StoreError> {
        let (upsert, delete) = match kind {
            Setting::Config => (
                "INSERT INTO configs (context, subject, body) VALUES (?, ?, ?) \
                 ON CONFLICT (context, subject) DO UPDATE SET body = excluded.body",
                "DELETE FROM configs WHERE context = ? AND subject = ?",
            ),
            Setting::Mode => (
                "INSERT INTO modes (context, subject, mode) VALUES (?, ?, ?) \
                 ON CONFLICT (context, subject) DO UPDATE SET mode = excluded.mode",
                "DELETE FROM modes WHERE context = ? AND subject = ?",
            ),
        };
        let query = match value {
            Some(v) => sqlx::query(upsert).bind(context).bind(subject).bind(v),
            None => sqlx::query(delete).bind(context).bind(subject),
        };
        query.execute(&mut *self.tx).await?;
        Ok(())
    }

    async fn delete_context_tx(&mut self, context: &str) -> Result<(), StoreError> {
        for sql in [
            "DELETE FROM configs WHERE context = ?",
            "DELETE FROM modes WHERE context = ?",
            "DELETE FROM contexts WHERE context = ?",
        ] {
            sqlx::query(sql)
                .bind(context)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }
}

impl StoreTx for SqliteTx {
    fn soft_delete<'a>(
        &'a mut self,
        context: &'a str,
        subject: &'a str,
        versions: &'a [i32],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.soft_delete_tx(context, subject, versions))
    }

    fn hard_delete<'a>(
        &'a mut self,
        context: &'a str,
        subject: &'a str,
        versions: &'a [i32],
    ) -> BoxFuture<'a, Result<Vec<i64>, StoreError>> {
        Box::pin(self.hard_delete_tx(context, subject, versions))
    }

    fn set<'a>(
        &'a mut self,
        kind: Setting,
        context: &'a str,
        subject: &'a str,
        value: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.set_tx(kind, context, subject, value))
    }

    fn delete_context<'a>(&'a mut self, context: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.delete_context_tx(context))
    }

    fn commit(self: Box<Self>) -> BoxFuture<'static, Result<(), StoreError>> {
        Box::pin(async move { Ok(self.tx.commit().await?) })
    }
}

impl Store for SqliteStore {
    fn load(&self) -> BoxFuture<'_, Result<Snapshot, StoreError>> {
        Box::pin(self.load_all())
    }

    fn register<'a, 'd: 'a>(
        &'a self,
        new: &'a NewVersion,
        decide: &'a Decide<'d>,
    ) -> BoxFuture<'a, Result<RegisterOutcome, StoreError>> {
        Box::pin(self.register_tx(new, decide))
    }

    fn begin<'a>(
        &'a self,
        _locks: &'a Locks,
        _ticket: u64,
    ) -> BoxFuture<'a, Result<Box<dyn StoreTx>, StoreError>> {
        Box::pin(async move {
            // Registrations already in the open batch go first.
            let slot = flush(self.group.slot.clone().lock_owned().await).await?;
            let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            Ok(Box::new(SqliteTx { tx, _slot: slot }) as Box<dyn StoreTx>)
        })
    }

    fn subject<'a>(
        &'a self,
        context: &'a str,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<Vec<VersionRow>, StoreError>> {
        // One statement reads one snapshot: no transaction needed.
        Box::pin(async move {
            let mut conn = self.pool.acquire().await?;
            subject_versions(&mut conn, context, subject).await
        })
    }

    fn schemas<'a>(
        &'a self,
        context: &'a str,
        ids: &'a [i64],
    ) -> BoxFuture<'a, Result<Vec<SchemaRow>, StoreError>> {
        Box::pin(async move {
            let mut tx = self.pool.begin().await?;
            let rows = load_schemas(&mut tx, context, ids).await?;
            tx.commit().await?;
            Ok(rows)
        })
    }

    fn setting<'a>(
        &'a self,
        kind: Setting,
        context: &'a str,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        Box::pin(async move {
            let mut tx = self.pool.begin().await?;
            let value = read_setting(&mut tx, kind, context, subject).await?;
            tx.commit().await?;
            Ok(value)
        })
    }

    fn context<'a>(&'a self, context: &'a str) -> BoxFuture<'a, Result<Option<i64>, StoreError>> {
        Box::pin(async move {
            Ok(
                sqlx::query_scalar("SELECT max_id FROM contexts WHERE context = ?")
                    .bind(context)
                    .fetch_optional(&self.pool)
                    .await?,
            )
        })
    }

    fn follow(
        &self,
    ) -> BoxFuture<'_, Result<Option<tokio::sync::mpsc::Receiver<Feed>>, StoreError>> {
        // One process owns the file: there is nobody to follow.
        Box::pin(async { Ok(None) })
    }

    fn mark(&self, _ticket: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async { Ok(()) })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Err(e) = flush(self.group.slot.clone().lock_owned().await).await {
                tracing::warn!(error = %e, "cannot commit the last batch of registrations");
            }
            self.pool.close().await;
        })
    }
}

fn migrator() -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                sqlx::SqlSafeStr::into_sql_str(*sql),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

async fn settings(
    conn: &mut SqliteConnection,
    sql: &'static str,
) -> Result<Vec<SettingRow>, StoreError> {
    let rows = sqlx::query(sql).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            Ok(SettingRow {
                context: r.try_get("context")?,
                subject: r.try_get("subject")?,
                value: r.try_get("value")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

async fn subject_versions(
    tx: &mut SqliteConnection,
    context: &str,
    subject: &str,
) -> Result<Vec<VersionRow>, StoreError> {
    // One row holding every version, not a row per version: sqlx hands rows
    // over from the connection's thread one at a time, and inside a batch
    // every registration reads its whole subject while the others wait.
    let json: String = sqlx::query_scalar(
        "SELECT json_group_array(json_array(version, schema_id, deleted, created_at)) \
         FROM versions WHERE context = ? AND subject = ?",
    )
    .bind(context)
    .bind(subject)
    .fetch_one(&mut *tx)
    .await?;
    decode_versions(&json, subject)
}

/// The versions of a subject from a `json_group_array` of
/// `[version, schema_id, deleted, created_at]`, in version order.
fn decode_versions(json: &str, subject: &str) -> Result<Vec<VersionRow>, StoreError> {
    let rows: Vec<(i32, i64, i64, i64)> = serde_json::from_str(json)
        .map_err(|e| StoreError::Backend(format!("versions of {subject} do not decode: {e}")))?;
    let mut rows: Vec<VersionRow> = rows
        .into_iter()
        .map(|(version, schema_id, deleted, ts)| VersionRow {
            version,
            schema_id,
            deleted: deleted != 0,
            ts,
        })
        .collect();
    rows.sort_unstable_by_key(|r| r.version);
    Ok(rows)
}

/// Settings from a `json_group_array` of `[context, subject, value]`.
fn decode_settings(json: &str) -> Result<Vec<SettingRow>, StoreError> {
    let rows: Vec<(String, String, String)> = serde_json::from_str(json)
        .map_err(|e| StoreError::Backend(format!("settings do not decode: {e}")))?;
    Ok(rows
        .into_iter()
        .map(|(context, subject, value)| SettingRow {
            context,
            subject,
            value,
        })
        .collect())
}

async fn read_setting(
    tx: &mut SqliteConnection,
    kind: Setting,
    context: &str,
    subject: &str,
) -> Result<Option<String>, StoreError> {
    let sql = match kind {
        Setting::Config => "SELECT body FROM configs WHERE context = ? AND subject = ?",
        Setting::Mode => "SELECT mode FROM modes WHERE context = ? AND subject = ?",
    };
    Ok(sqlx::query_scalar(sql)
        .bind(context)
        .bind(subject)
        .fetch_optional(&mut *tx)
        .await?)
}

async fn load_schemas(
    tx: &mut SqliteConnection,
    context: &str,
    ids: &[i64],
) -> Result<Vec<SchemaRow>, StoreError> {
    let ids = serde_json::to_string(ids)
        .map_err(|e| StoreError::Backend(format!("ids do not encode: {e}")))?;
    let rows = sqlx::query(
        "SELECT context, id, schema_type, schema, refs, metadata, rule_set, extra, \
         fingerprint, content_key, guid FROM schemas \
         WHERE context = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY id",
    )
    .bind(context)
    .bind(ids)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(schema_row)
        .collect::<Result<_, _>>()
        .map_err(Into::into)
}

async fn insert_schema(
    tx: &mut SqliteConnection,
    context: &str,
    id: i64,
    c: &SchemaContent,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO schemas (context, id, schema_type, schema, refs, metadata, rule_set, extra, \
         fingerprint, content_key, created_at, guid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(context)
    .bind(id)
    .bind(&c.schema_type)
    .bind(&c.schema)
    .bind(&c.references)
    .bind(&c.metadata)
    .bind(&c.rule_set)
    .bind(&c.extra)
    .bind(&c.fingerprint)
    .bind(&c.content_key)
    .bind(now)
    .bind(&c.guid)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

fn schema_row(r: &SqliteRow) -> Result<SchemaRow, sqlx::Error> {
    Ok(SchemaRow {
        context: r.try_get("context")?,
        id: r.try_get("id")?,
        content: SchemaContent {
            schema_type: r.try_get("schema_type")?,
            schema: r.try_get("schema")?,
            references: r.try_get("refs")?,
            metadata: r.try_get("metadata")?,
            rule_set: r.try_get("rule_set")?,
            extra: r.try_get("extra")?,
            fingerprint: r.try_get("fingerprint")?,
            content_key: r.try_get("content_key")?,
            guid: r.try_get::<Option<String>, _>("guid")?.unwrap_or_default(),
        },
    })
}

fn version_row(r: &SqliteRow) -> Result<VersionRow, sqlx::Error> {
    Ok(VersionRow {
        version: r.try_get("version")?,
        schema_id: r.try_get("schema_id")?,
        deleted: r.try_get("deleted")?,
        ts: r.try_get("created_at")?,
    })
}

/// Gives every schema row written before the guid column existed its GUID, in
/// one transaction (a no-op once done).
async fn fill_guids(pool: &SqlitePool) -> Result<(), StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let rows = sqlx::query("SELECT context, id, content_key FROM schemas WHERE guid IS NULL")
        .fetch_all(&mut *tx)
        .await?;
    for r in &rows {
        let (context, id, key): (String, i64, String) = (
            r.try_get("context")?,
            r.try_get("id")?,
            r.try_get("content_key")?,
        );
        sqlx::query("UPDATE schemas SET guid = ? WHERE context = ? AND id = ?")
            .bind(super::guid_of(&key))
            .bind(&context)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    if !rows.is_empty() {
        tracing::info!(
            rows = rows.len(),
            "stored GUIDs for schemas registered before 0002"
        );
    }
    Ok(())
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;

    /// Every file under migrations/sqlite is embedded, in order, and has a
    /// PostgreSQL twin of the same name once that backend exists.
    #[test]
    fn migrations_are_embedded_and_paired() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let names = |dir: &str| -> Option<Vec<String>> {
            let mut v: Vec<String> = std::fs::read_dir(format!("{root}/{dir}"))
                .ok()?
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".sql"))
                .collect();
            v.sort();
            Some(v)
        };
        let sqlite = names("sqlite").unwrap();
        let embedded: Vec<String> = MIGRATIONS
            .iter()
            .map(|(v, d, _)| format!("{v:04}_{d}.sql"))
            .collect();
        assert_eq!(
            sqlite, embedded,
            "list every migrations/sqlite file in MIGRATIONS"
        );
        if let Some(postgres) = names("postgres") {
            assert_eq!(
                sqlite, postgres,
                "migrations must be paired by number and name"
            );
        }
    }
}
