//! The SQLite backend: one file, WAL journal, `synchronous=FULL` so a commit
//! that returned survives a power cut.

use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, SqliteConnection, Transaction};

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
        Ok(SqliteStore { pool })
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

    async fn register_tx(
        &self,
        new: &NewVersion,
        decide: &Decide<'_>,
    ) -> Result<RegisterOutcome, StoreError> {
        // IMMEDIATE takes the write lock up front, so the read below cannot go
        // stale before the insert. One process serializes everything here, so
        // `scopes` and `references` need no locks of their own.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut view = SubjectView {
            versions: subject_versions(&mut tx, &new.context, &new.subject).await?,
            existing_id: sqlx::query_scalar(
                "SELECT id FROM schemas WHERE context = ? AND content_key = ? ORDER BY id LIMIT 1",
            )
            .bind(&new.context)
            .bind(&new.content.content_key)
            .fetch_optional(&mut *tx)
            .await?,
            ..SubjectView::default()
        };
        for (context, subject) in &new.scopes {
            for (kind, list) in [
                (Setting::Config, &mut view.configs),
                (Setting::Mode, &mut view.modes),
            ] {
                if let Some(value) = read_setting(&mut tx, kind, context, subject).await? {
                    list.push(SettingRow {
                        context: context.clone(),
                        subject: subject.clone(),
                        value,
                    });
                }
            }
        }
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
                    view.schemas = load_schemas(&mut tx, &new.context, &ids).await?;
                }
                Verdict::Load(ids) => {
                    return Err(StoreError::Backend(format!(
                        "decide asked again for schemas {ids:?} of context {}",
                        new.context
                    )));
                }
            }
        };

        sqlx::query("INSERT INTO contexts (context, max_id) VALUES (?, 0) ON CONFLICT DO NOTHING")
            .bind(&new.context)
            .execute(&mut *tx)
            .await?;
        let (id, new_schema) = match (new.id, view.existing_id) {
            (Some(id), _) => {
                let key: Option<String> = sqlx::query_scalar(
                    "SELECT content_key FROM schemas WHERE context = ? AND id = ?",
                )
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
            (None, None) => {
                let max: i64 = sqlx::query_scalar("SELECT max_id FROM contexts WHERE context = ?")
                    .bind(&new.context)
                    .fetch_one(&mut *tx)
                    .await?;
                (max + 1, true)
            }
        };
        let now = now_millis();
        if new_schema {
            insert_schema(&mut tx, &new.context, id, &new.content, now).await?;
            sqlx::query("UPDATE contexts SET max_id = max(max_id, ?) WHERE context = ?")
                .bind(id)
                .bind(&new.context)
                .execute(&mut *tx)
                .await?;
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
        tx.commit().await?;
        Ok(RegisterOutcome::Inserted {
            id,
            version,
            new_schema,
            tombstoned: tombstone,
            ts: now,
        })
    }
}

/// A write transaction: `BEGIN IMMEDIATE` holds SQLite's one write lock, which
/// covers every scope.
struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
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
            let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            Ok(Box::new(SqliteTx { tx }) as Box<dyn StoreTx>)
        })
    }

    fn subject<'a>(
        &'a self,
        context: &'a str,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<Vec<VersionRow>, StoreError>> {
        Box::pin(async move {
            let mut tx = self.pool.begin().await?;
            let rows = subject_versions(&mut tx, context, subject).await?;
            tx.commit().await?;
            Ok(rows)
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
        Box::pin(self.pool.close())
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
    tx: &mut Transaction<'static, Sqlite>,
    context: &str,
    subject: &str,
) -> Result<Vec<VersionRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT version, schema_id, deleted, created_at FROM versions \
         WHERE context = ? AND subject = ? ORDER BY version",
    )
    .bind(context)
    .bind(subject)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(version_row)
        .collect::<Result<_, _>>()
        .map_err(Into::into)
}

async fn read_setting(
    tx: &mut Transaction<'static, Sqlite>,
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
        .fetch_optional(&mut **tx)
        .await?)
}

async fn load_schemas(
    tx: &mut Transaction<'static, Sqlite>,
    context: &str,
    ids: &[i64],
) -> Result<Vec<SchemaRow>, StoreError> {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = Vec::with_capacity(sorted.len());
    for id in sorted {
        let row = sqlx::query(
            "SELECT context, id, schema_type, schema, refs, metadata, rule_set, extra, \
             fingerprint, content_key, guid FROM schemas WHERE context = ? AND id = ?",
        )
        .bind(context)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(r) = row {
            out.push(schema_row(&r)?);
        }
    }
    Ok(out)
}

async fn insert_schema(
    tx: &mut Transaction<'static, Sqlite>,
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
    .execute(&mut **tx)
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
