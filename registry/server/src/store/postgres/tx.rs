//! Write transactions for deletes and settings: they hold advisory locks
//! from the moment they begin, and announce what they changed just before
//! they commit.

use sqlx::{Postgres, Transaction};

use super::notify;
use crate::store::{BoxFuture, Change, Setting, StoreError, StoreTx};

/// A write transaction holding advisory locks; its changes are announced
/// just before it commits.
pub(super) struct PgTx {
    tx: Transaction<'static, Postgres>,
    channel: String,
    instance: String,
    ticket: u64,
    changes: Vec<Change>,
}

impl PgTx {
    pub(super) fn new(
        tx: Transaction<'static, Postgres>,
        channel: String,
        instance: String,
        ticket: u64,
    ) -> PgTx {
        PgTx {
            tx,
            channel,
            instance,
            ticket,
            changes: Vec::new(),
        }
    }

    async fn soft_delete_tx(
        &mut self,
        context: &str,
        subject: &str,
        versions: &[i32],
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE versions SET deleted = TRUE \
             WHERE context = $1 AND subject = $2 AND version = ANY($3)",
        )
        .bind(context)
        .bind(subject)
        .bind(versions)
        .execute(&mut *self.tx)
        .await?;
        self.changed_subject(context, subject);
        Ok(())
    }

    async fn hard_delete_tx(
        &mut self,
        context: &str,
        subject: &str,
        versions: &[i32],
    ) -> Result<Vec<i64>, StoreError> {
        let mut candidates: Vec<i64> = sqlx::query_scalar(
            "DELETE FROM versions WHERE context = $1 AND subject = $2 AND version = ANY($3) \
             RETURNING schema_id",
        )
        .bind(context)
        .bind(subject)
        .bind(versions)
        .fetch_all(&mut *self.tx)
        .await?;
        candidates.sort_unstable();
        candidates.dedup();
        // Lock the candidates first: a registration reusing one holds it KEY
        // SHARE until it commits, and the check below then sees its version.
        sqlx::query(
            "SELECT id FROM schemas WHERE context = $1 AND id = ANY($2) ORDER BY id FOR UPDATE",
        )
        .bind(context)
        .bind(&candidates)
        .fetch_all(&mut *self.tx)
        .await?;
        let mut removed: Vec<i64> = sqlx::query_scalar(
            "DELETE FROM schemas s WHERE s.context = $1 AND s.id = ANY($2) AND NOT EXISTS \
             (SELECT 1 FROM versions v WHERE v.context = $1 AND v.schema_id = s.id) RETURNING id",
        )
        .bind(context)
        .bind(&candidates)
        .fetch_all(&mut *self.tx)
        .await?;
        removed.sort_unstable();
        self.changed_subject(context, subject);
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
                "INSERT INTO configs (context, subject, body) VALUES ($1, $2, $3) \
                 ON CONFLICT (context, subject) DO UPDATE SET body = excluded.body",
                "DELETE FROM configs WHERE context = $1 AND subject = $2",
            ),
            Setting::Mode => (
                "INSERT INTO modes (context, subject, mode) VALUES ($1, $2, $3) \
                 ON CONFLICT (context, subject) DO UPDATE SET mode = excluded.mode",
                "DELETE FROM modes WHERE context = $1 AND subject = $2",
            ),
        };
        let query = match value {
            Some(v) => sqlx::query(upsert).bind(context).bind(subject).bind(v),
            None => sqlx::query(delete).bind(context).bind(subject),
        };
        query.execute(&mut *self.tx).await?;
        self.changes.push(Change::Setting {
            kind,
            context: context.to_owned(),
            subject: subject.to_owned(),
        });
        Ok(())
    }

    async fn delete_context_tx(&mut self, context: &str) -> Result<(), StoreError> {
        for sql in [
            "DELETE FROM configs WHERE context = $1",
            "DELETE FROM modes WHERE context = $1",
            "DELETE FROM contexts WHERE context = $1",
        ] {
            sqlx::query(sql)
                .bind(context)
                .execute(&mut *self.tx)
                .await?;
        }
        self.changes.push(Change::Context {
            context: context.to_owned(),
        });
        Ok(())
    }

    fn changed_subject(&mut self, context: &str, subject: &str) {
        self.changes.push(Change::Subject {
            context: context.to_owned(),
            subject: subject.to_owned(),
        });
    }

    async fn commit_tx(mut self) -> Result<(), StoreError> {
        let mut changes = std::mem::take(&mut self.changes);
        changes.dedup();
        notify(
            &mut self.tx,
            &self.channel,
            &self.instance,
            self.ticket,
            &changes,
        )
        .await?;
        self.tx.commit().await?;
        Ok(())
    }
}

impl StoreTx for PgTx {
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
        Box::pin(self.commit_tx())
    }
}
