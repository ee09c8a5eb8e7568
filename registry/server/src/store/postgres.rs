//! The PostgreSQL backend: several `evreg` processes over one database.
//!
//! Writes serialize per scope on transaction-scoped advisory locks (see
//! [`Locks`] and `evreg_lock` in the migration), new ids on the context row's
//! lock, and schema removal on the schema rows' locks. Each write transaction
//! ends with `pg_notify` naming what it changed, so every process's change feed
//! (`feed.rs`) hears about it once it is committed. Timeouts are short so a
//! database outage turns into prompt errors rather than hung requests.

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Postgres, Row, Transaction};

use super::{
    BoxFuture, Change, Decide, Feed, Locks, NewVersion, RegisterOutcome, SchemaContent, SchemaRow,
    Setting, SettingRow, Snapshot, Store, StoreError, StoreTx, SubjectVersionRow, SubjectView,
    Verdict, VersionRow,
};

mod feed;
mod tx;

/// The columns of a [`SchemaRow`], as a literal for `concat!`.
macro_rules! select_schemas {
    () => {
        "SELECT context, id, schema_type, schema, refs, metadata, rule_set, extra, \
         fingerprint, content_key, guid FROM schemas"
    };
}

/// The embedded migrations, in order. Append only.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "schema_guid",
        include_str!("../../migrations/postgres/0002_schema_guid.sql"),
    ),
];

/// How often a registration is retried after losing a race it cannot win by
/// waiting (deadlock, a concurrent delete of the schema it wanted to reuse).
const REGISTER_ATTEMPTS: usize = 5;

/// Connection and timeout settings.
#[derive(Debug, Clone)]
pub struct PgSettings {
    /// Connections for requests.
    pub pool_size: u32,
    /// Longest wait for a connection before a request fails.
    pub acquire_timeout: Duration,
    /// Longest a statement (including a lock wait) may run.
    pub statement_timeout: Duration,
}

impl Default for PgSettings {
    fn default() -> Self {
        PgSettings {
            pool_size: 16,
            acquire_timeout: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(5),
        }
    }
}

/// A [`Store`] in a PostgreSQL database (the schema `search_path` selects).
#[derive(Debug)]
pub struct PgStore {
    /// Write transactions and reads for requests.
    pool: PgPool,
    /// Mirror refreshes and marks: kept apart so they never wait behind
    /// transactions that wait for them.
    follow_pool: PgPool,
    /// Id allocation (see [`PgStore::reserve_id`]), apart for the same reason.
    id_pool: PgPool,
    /// For the change feed's own connection.
    options: PgConnectOptions,
    acquire_timeout: Duration,
    /// The NOTIFY channel: one per database schema.
    channel: String,
    /// Tells this process's notifications from others'.
    instance: String,
    feed: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl PgStore {
    /// Connects to a `postgres://` URL with default [`PgSettings`] and applies
    /// pending migrations. Fails with [`StoreError::Unavailable`] when the
    /// database cannot be reached (the caller may retry).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, &PgSettings::default()).await
    }

    /// [`PgStore::open`] with explicit settings.
    pub async fn open_with(url: &str, settings: &PgSettings) -> Result<Self, StoreError> {
        // The URL may hold a password: the error does not repeat it.
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("invalid PostgreSQL URL: {e}")))?
            .application_name("evreg")
            .options([
                (
                    "statement_timeout",
                    format!("{}ms", settings.statement_timeout.as_millis()),
                ),
                // A process that stalls inside a transaction must not hold
                // its locks for long.
                (
                    "idle_in_transaction_session_timeout",
                    format!("{}ms", 2 * settings.statement_timeout.as_millis()),
                ),
            ]);
        let pool = PgPoolOptions::new()
            .max_connections(settings.pool_size.max(2))
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options.clone())
            .await?;
        let follow_pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(settings.acquire_timeout)
            .connect_lazy_with(options.clone());
        let id_pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(settings.acquire_timeout)
            .connect_lazy_with(options.clone().options([("synchronous_commit", "off")]));
        migrator().run(&pool).await?;
        fill_guids(&pool).await?;
        let schema: String = sqlx::query_scalar("SELECT current_schema()")
            .fetch_one(&pool)
            .await?;
        // Channel names are identifiers: at most 63 bytes.
        let mut channel = format!("evreg_{schema}");
        while channel.len() > 63 {
            channel.pop();
        }
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        Ok(PgStore {
            pool,
            follow_pool,
            id_pool,
            options,
            acquire_timeout: settings.acquire_timeout,
            channel,
            instance: format!("{:x}.{nanos:x}", std::process::id()),
            feed: Mutex::new(None),
        })
    }

    async fn load_all(&self) -> Result<Snapshot, StoreError> {
        // One snapshot, so versions never point at schemas it lacks.
        let mut tx = self
            .follow_pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let contexts = sqlx::query("SELECT context, max_id FROM contexts")
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("context")?, r.try_get("max_id")?)))
            .collect::<Result<_, sqlx::Error>>()?;
        let schemas = sqlx::query(concat!(select_schemas!(), " ORDER BY context, id"))
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(schema_row)
            .collect::<Result<_, _>>()?;
        let versions = sqlx::query(
            "SELECT context, subject, version, schema_id, deleted, created_at FROM versions \
             ORDER BY context, subject, version",
        )
        .fetch_all(&mut *tx)
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
        let mut settings = Vec::new();
        for sql in [
            "SELECT context, subject, body AS value FROM configs",
            "SELECT context, subject, mode AS value FROM modes",
        ] {
            let rows = sqlx::query(sql).fetch_all(&mut *tx).await?;
            settings.push(
                rows.iter()
                    .map(setting_row)
                    .collect::<Result<Vec<_>, _>>()?,
            );
        }
        tx.commit().await?;
        let modes = settings.pop().unwrap_or_default();
        let configs = settings.pop().unwrap_or_default();
        Ok(Snapshot {
            contexts,
            schemas,
            versions,
            configs,
            modes,
        })
    }

    async fn register_retrying(
        &self,
        new: &NewVersion,
        decide: &Decide<'_>,
    ) -> Result<RegisterOutcome, StoreError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.register_once(new, decide).await {
                Ok(outcome) => return outcome,
                Err(e) if attempt < REGISTER_ATTEMPTS && lost_race(&e) => {
                    tracing::debug!(error = %e, attempt, "registration lost a race; retrying");
                    tokio::time::sleep(Duration::from_millis(2 << attempt)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// One attempt. The outer error is the database's (maybe worth a retry);
    /// the inner one is the registry's answer.
    async fn register_once(
        &self,
        new: &NewVersion,
        decide: &Decide<'_>,
    ) -> Result<Result<RegisterOutcome, StoreError>, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let own = (new.context.clone(), new.subject.clone());
        let locks = Locks {
            exclusive: vec![own.clone()],
            shared: new
                .scopes
                .iter()
                .filter(|s| **s != own)
                .cloned()
                .chain(
                    new.references
                        .iter()
                        .map(|r| (r.context.clone(), r.subject.clone())),
                )
                .collect(),
        };
        lock(&mut tx, &locks).await?;
        let mut view = SubjectView {
            versions: subject_versions(&mut tx, &new.context, &new.subject).await?,
            // KEY SHARE: a concurrent removal of this schema waits for us, or
            // we see it gone.
            existing_id: find_content(&mut tx, &new.context, &new.content.content_key, true)
                .await?,
            ..SubjectView::default()
        };
        let (contexts, subjects): (Vec<String>, Vec<String>) = new.scopes.iter().cloned().unzip();
        for (kind, list) in [
            (Setting::Config, &mut view.configs),
            (Setting::Mode, &mut view.modes),
        ] {
            let sql = match kind {
                Setting::Config => {
                    "SELECT context, subject, body AS value FROM configs \
                     WHERE (context, subject) IN (SELECT * FROM unnest($1::text[], $2::text[]))"
                }
                Setting::Mode => {
                    "SELECT context, subject, mode AS value FROM modes \
                     WHERE (context, subject) IN (SELECT * FROM unnest($1::text[], $2::text[]))"
                }
            };
            let rows = sqlx::query(sql)
                .bind(&contexts)
                .bind(&subjects)
                .fetch_all(&mut *tx)
                .await?;
            *list = rows.iter().map(setting_row).collect::<Result<_, _>>()?;
        }
        for (i, r) in new.references.iter().enumerate() {
            let found: Option<i32> = sqlx::query_scalar(
                "SELECT version FROM versions WHERE context = $1 AND subject = $2 \
                 AND (version = $3 OR ($3 = -1 AND NOT deleted)) LIMIT 1",
            )
            .bind(&r.context)
            .bind(&r.subject)
            .bind(r.version)
            .fetch_optional(&mut *tx)
            .await?;
            if found.is_none() {
                view.missing_references.push(i);
            }
        }
        let tombstone = loop {
            match decide(view.clone()).await {
                Verdict::Existing(row) => return Ok(Ok(RegisterOutcome::Existing(row))),
                Verdict::Abort => return Ok(Ok(RegisterOutcome::Aborted)),
                Verdict::Proceed { tombstone } => break tombstone,
                Verdict::Load(ids) if view.schemas.is_empty() && !ids.is_empty() => {
                    view.schemas = load_schemas(&mut tx, &new.context, &ids).await?;
                }
                Verdict::Load(ids) => {
                    return Ok(Err(StoreError::Backend(format!(
                        "decide asked again for schemas {ids:?} of context {}",
                        new.context
                    ))));
                }
            }
        };

        // Checked before an id is issued, so a refusal leaves no gap.
        let version = match super::next_version(new, &view.versions) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        let (id, new_schema) = match (new.id, view.existing_id) {
            (None, Some(id)) => (id, false),
            (Some(id), _) => {
                let key: Option<String> = sqlx::query_scalar(
                    "SELECT content_key FROM schemas WHERE context = $1 AND id = $2",
                )
                .bind(&new.context)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                match key {
                    Some(k) if k == new.content.content_key => (id, false),
                    Some(_) => return Ok(Err(StoreError::IdConflict { id })),
                    None => (self.reserve_id(&new.context, Some(id)).await?, true),
                }
            }
            (None, None) => {
                // One id per content: whoever stores this content first holds
                // this lock until it commits, and the others then find its row.
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(super::content_lock_key(
                        &new.context,
                        &new.content.content_key,
                    ))
                    .execute(&mut *tx)
                    .await?;
                match find_content(&mut tx, &new.context, &new.content.content_key, false).await? {
                    Some(id) => (id, false),
                    None => (self.reserve_id(&new.context, None).await?, true),
                }
            }
        };
        let now = now_millis();
        if new_schema {
            insert_schema(&mut tx, &new.context, id, &new.content, now).await?;
        }
        if !tombstone.is_empty() {
            sqlx::query(
                "DELETE FROM versions WHERE context = $1 AND subject = $2 AND version = ANY($3)",
            )
            .bind(&new.context)
            .bind(&new.subject)
            .bind(&tombstone)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO versions (context, subject, version, schema_id, deleted, created_at) \
             VALUES ($1, $2, $3, $4, FALSE, $5)",
        )
        .bind(&new.context)
        .bind(&new.subject)
        .bind(version)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let change = Change::Subject {
            context: new.context.clone(),
            subject: new.subject.clone(),
        };
        notify(
            &mut tx,
            &self.channel,
            &self.instance,
            new.ticket,
            &[change],
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(RegisterOutcome::Inserted {
            id,
            version,
            new_schema,
            tombstoned: tombstone,
            ts: now,
        }))
    }

    /// Issues a new id in `context` (one above the highest ever issued), or
    /// records an explicit one, creating the context's row if needed.
    ///
    /// This runs in its own short transaction on `id_pool`, so the context row
    /// is locked for one statement rather than until the registration commits
    /// (which would serialize every registration in the context). Its commit
    /// is asynchronous: a registration that uses the id commits synchronously
    /// afterwards, and that flushes the WAL up to and including this commit, so
    /// an id in use is never forgotten by a crash. An id of a registration that
    /// then fails is skipped, never reissued.
    async fn reserve_id(&self, context: &str, explicit: Option<i64>) -> Result<i64, sqlx::Error> {
        let sql = match explicit {
            None => {
                "INSERT INTO contexts (context, max_id) VALUES ($1, 1) ON CONFLICT (context) \
                 DO UPDATE SET max_id = contexts.max_id + 1 RETURNING max_id"
            }
            Some(_) => {
                "INSERT INTO contexts (context, max_id) VALUES ($1, $2) ON CONFLICT (context) \
                 DO UPDATE SET max_id = GREATEST(contexts.max_id, $2) RETURNING max_id"
            }
        };
        let max: i64 = sqlx::query_scalar(sql)
            .bind(context)
            .bind(explicit.unwrap_or(1))
            .fetch_one(&self.id_pool)
            .await?;
        Ok(explicit.unwrap_or(max))
    }

    async fn begin_tx(&self, locks: &Locks, ticket: u64) -> Result<Box<dyn StoreTx>, StoreError> {
        let mut tx = self.pool.begin().await?;
        lock(&mut tx, locks).await?;
        Ok(Box::new(tx::PgTx::new(
            tx,
            self.channel.clone(),
            self.instance.clone(),
            ticket,
        )))
    }
}

/// Whether a failed attempt may succeed if simply run again.
fn lost_race(e: &sqlx::Error) -> bool {
    let sqlx::Error::Database(d) = e else {
        return false;
    };
    // Serialization failure, deadlock, unique and foreign-key violations.
    matches!(
        d.code().as_deref(),
        Some("40001" | "40P01" | "23505" | "23503")
    )
}

impl Store for PgStore {
    fn load(&self) -> BoxFuture<'_, Result<Snapshot, StoreError>> {
        Box::pin(self.load_all())
    }

    fn register<'a, 'd: 'a>(
        &'a self,
        new: &'a NewVersion,
        decide: &'a Decide<'d>,
    ) -> BoxFuture<'a, Result<RegisterOutcome, StoreError>> {
        Box::pin(self.register_retrying(new, decide))
    }

    fn begin<'a>(
        &'a self,
        locks: &'a Locks,
        ticket: u64,
    ) -> BoxFuture<'a, Result<Box<dyn StoreTx>, StoreError>> {
        Box::pin(self.begin_tx(locks, ticket))
    }

    fn subject<'a>(
        &'a self,
        context: &'a str,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<Vec<VersionRow>, StoreError>> {
        Box::pin(async move {
            let mut conn = self.follow_pool.acquire().await?;
            let rows = sqlx::query(
                "SELECT version, schema_id, deleted, created_at FROM versions \
                 WHERE context = $1 AND subject = $2 ORDER BY version",
            )
            .bind(context)
            .bind(subject)
            .fetch_all(&mut *conn)
            .await?;
            Ok(rows.iter().map(version_row).collect::<Result<_, _>>()?)
        })
    }

    fn schemas<'a>(
        &'a self,
        context: &'a str,
        ids: &'a [i64],
    ) -> BoxFuture<'a, Result<Vec<SchemaRow>, StoreError>> {
        Box::pin(async move {
            let mut conn = self.follow_pool.acquire().await?;
            Ok(load_schemas(&mut conn, context, ids).await?)
        })
    }

    fn setting<'a>(
        &'a self,
        kind: Setting,
        context: &'a str,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        Box::pin(async move {
            let sql = match kind {
                Setting::Config => "SELECT body FROM configs WHERE context = $1 AND subject = $2",
                Setting::Mode => "SELECT mode FROM modes WHERE context = $1 AND subject = $2",
            };
            Ok(sqlx::query_scalar(sql)
                .bind(context)
                .bind(subject)
                .fetch_optional(&self.follow_pool)
                .await?)
        })
    }

    fn context<'a>(&'a self, context: &'a str) -> BoxFuture<'a, Result<Option<i64>, StoreError>> {
        Box::pin(async move {
            Ok(
                sqlx::query_scalar("SELECT max_id FROM contexts WHERE context = $1")
                    .bind(context)
                    .fetch_optional(&self.follow_pool)
                    .await?,
            )
        })
    }

    fn follow(
        &self,
    ) -> BoxFuture<'_, Result<Option<tokio::sync::mpsc::Receiver<Feed>>, StoreError>> {
        Box::pin(async move {
            let (rx, task) = feed::start(feed::FeedConfig {
                options: self.options.clone(),
                acquire_timeout: self.acquire_timeout,
                channel: self.channel.clone(),
                instance: self.instance.clone(),
            })
            .await?;
            let old = self
                .feed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .replace(task);
            if let Some(old) = old {
                old.abort();
            }
            Ok(Some(rx))
        })
    }

    fn mark(&self, ticket: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let mut conn = self.follow_pool.acquire().await?;
            notify(
                &mut conn,
                &self.channel,
                &self.instance,
                ticket,
                &[Change::Mark],
            )
            .await?;
            Ok(())
        })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let task = self
                .feed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            if let Some(task) = task {
                task.abort();
            }
            self.pool.close().await;
            self.follow_pool.close().await;
            self.id_pool.close().await;
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

/// Takes `locks` in key order (one statement, so one round trip).
async fn lock(tx: &mut Transaction<'static, Postgres>, locks: &Locks) -> Result<(), sqlx::Error> {
    let (keys, exclusive): (Vec<i64>, Vec<bool>) = locks.keys().into_iter().unzip();
    sqlx::query("SELECT evreg_lock($1, $2)")
        .bind(keys)
        .bind(exclusive)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Queues one NOTIFY per change; they are delivered when the transaction
/// commits (or at once outside one), in commit order.
async fn notify(
    conn: &mut sqlx::PgConnection,
    channel: &str,
    instance: &str,
    ticket: u64,
    changes: &[Change],
) -> Result<(), sqlx::Error> {
    if changes.is_empty() {
        return Ok(());
    }
    let payloads: Vec<String> = changes
        .iter()
        .map(|c| feed::encode(instance, ticket, c))
        .collect();
    sqlx::query(
        "SELECT pg_notify($1, p) FROM unnest($2::text[]) WITH ORDINALITY AS t(p, n) ORDER BY n",
    )
    .bind(channel)
    .bind(payloads)
    .execute(conn)
    .await?;
    Ok(())
}

async fn find_content(
    tx: &mut Transaction<'static, Postgres>,
    context: &str,
    content_key: &str,
    key_share: bool,
) -> Result<Option<i64>, sqlx::Error> {
    let sql = if key_share {
        "SELECT id FROM schemas WHERE context = $1 AND content_key = $2 \
         ORDER BY id LIMIT 1 FOR KEY SHARE"
    } else {
        "SELECT id FROM schemas WHERE context = $1 AND content_key = $2 ORDER BY id LIMIT 1"
    };
    sqlx::query_scalar(sql)
        .bind(context)
        .bind(content_key)
        .fetch_optional(&mut **tx)
        .await
}

async fn subject_versions(
    tx: &mut Transaction<'static, Postgres>,
    context: &str,
    subject: &str,
) -> Result<Vec<VersionRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT version, schema_id, deleted, created_at FROM versions \
         WHERE context = $1 AND subject = $2 ORDER BY version",
    )
    .bind(context)
    .bind(subject)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(version_row).collect()
}

async fn load_schemas(
    conn: &mut sqlx::PgConnection,
    context: &str,
    ids: &[i64],
) -> Result<Vec<SchemaRow>, sqlx::Error> {
    let rows = sqlx::query(concat!(
        select_schemas!(),
        " WHERE context = $1 AND id = ANY($2) ORDER BY id"
    ))
    .bind(context)
    .bind(ids)
    .fetch_all(conn)
    .await?;
    rows.iter().map(schema_row).collect()
}

async fn insert_schema(
    tx: &mut Transaction<'static, Postgres>,
    context: &str,
    id: i64,
    c: &SchemaContent,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO schemas (context, id, schema_type, schema, refs, metadata, rule_set, extra, \
         fingerprint, content_key, created_at, guid) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
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
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn schema_row(r: &PgRow) -> Result<SchemaRow, sqlx::Error> {
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

fn version_row(r: &PgRow) -> Result<VersionRow, sqlx::Error> {
    Ok(VersionRow {
        version: r.try_get("version")?,
        schema_id: r.try_get("schema_id")?,
        deleted: r.try_get("deleted")?,
        ts: r.try_get("created_at")?,
    })
}

fn setting_row(r: &PgRow) -> Result<SettingRow, sqlx::Error> {
    Ok(SettingRow {
        context: r.try_get("context")?,
        subject: r.try_get("subject")?,
        value: r.try_get("value")?,
    })
}

/// Gives every schema row written before the guid column existed its GUID. Safe
/// when several processes start at once: each row gets the one value it can have.
async fn fill_guids(pool: &PgPool) -> Result<(), StoreError> {
    let rows = sqlx::query("SELECT context, id, content_key FROM schemas WHERE guid IS NULL")
        .fetch_all(pool)
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut contexts = Vec::with_capacity(rows.len());
    let mut ids = Vec::with_capacity(rows.len());
    let mut guids = Vec::with_capacity(rows.len());
    for r in &rows {
        contexts.push(r.try_get::<String, _>("context")?);
        ids.push(r.try_get::<i64, _>("id")?);
        guids.push(super::guid_of(&r.try_get::<String, _>("content_key")?));
    }
    sqlx::query(
        "UPDATE schemas s SET guid = u.guid \
         FROM unnest($1::text[], $2::bigint[], $3::text[]) AS u(context, id, guid) \
         WHERE s.context = u.context AND s.id = u.id AND s.guid IS NULL",
    )
    .bind(&contexts)
    .bind(&ids)
    .bind(&guids)
    .execute(pool)
    .await?;
    tracing::info!(
        rows = rows.len(),
        "stored GUIDs for schemas registered before 0002"
    );
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

    /// Every file under migrations/postgres is embedded, in order (the SQLite
    /// backend's test checks the two directories pair up).
    #[test]
    fn migrations_are_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let embedded: Vec<String> = MIGRATIONS
            .iter()
            .map(|(v, d, _)| format!("{v:04}_{d}.sql"))
            .collect();
        assert_eq!(
            files, embedded,
            "list every migrations/postgres file in MIGRATIONS"
        );
    }
}
