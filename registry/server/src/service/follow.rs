//! Keeping the mirror coherent with the store, when other processes write too.
//!
//! Every change to the mirror is a *refresh*: read the affected rows from the
//! store, then apply them, both under one async lock (`apply`). Refreshes thus
//! apply in the order they read, and a later one never applies older rows.
//!
//! - With SQLite this process is the only writer: each write refreshes what it
//!   changed right after its commit. Registrations hold the writer lock shared
//!   (the store group-commits them, and each refreshes its subject once its
//!   batch is committed); deletes and settings changes hold it exclusively.
//! - With a shared store (PostgreSQL) a follower task applies the store's change
//!   feed, this process's own writes included. A write waits until the follower
//!   has applied its own notification before answering (read-your-writes), and
//!   a delete or settings change first waits for a mark it sent itself, so it
//!   decides on a mirror holding everything committed before it took its locks
//!   ([`Registry::catch_up`]). A lost feed marks the mirror degraded (misses then
//!   answer 50001 instead of 404) until the feed is back and a full reload is
//!   done.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::{Error, Registry};
use crate::state::{SchemaEntry, State, scope_chain};
use crate::store::{Change, Feed, Locks, Notice, Scope, Setting};
use crate::subject::QualifiedSubject;

/// Longest wait for the follower to apply this process's own write before
/// refreshing directly.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest wait for a mark before a delete or settings change gives up.
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(4);
/// How often the follower retries a failed reload.
const RELOAD_RETRY: Duration = Duration::from_millis(500);

/// The coherence machinery of a [`Registry`].
#[derive(Debug)]
pub(super) struct Follow {
    /// The store has a change feed (other processes may write).
    shared: bool,
    /// Serializes refreshes (read, then apply).
    apply: tokio::sync::Mutex<()>,
    next_ticket: AtomicU64,
    /// Writes and marks of this process waiting for the follower.
    waiters: Mutex<HashMap<u64, oneshot::Sender<bool>>>,
    /// The feed is down: the mirror may be missing changes.
    degraded: AtomicBool,
    /// A refresh failed: reload everything when the store answers again.
    dirty: AtomicBool,
    /// When the last refresh of each subject started reading: a write
    /// committed before then needs no refresh of its own.
    fresh: Mutex<HashMap<(String, String), Instant>>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// The registry is closing: the store goes away under in-flight writes.
    closing: AtomicBool,
}

impl Follow {
    pub(super) fn new(shared: bool) -> Follow {
        Follow {
            shared,
            apply: tokio::sync::Mutex::new(()),
            next_ticket: AtomicU64::new(1),
            waiters: Mutex::new(HashMap::new()),
            degraded: AtomicBool::new(false),
            dirty: AtomicBool::new(false),
            fresh: Mutex::new(HashMap::new()),
            task: Mutex::new(None),
            closing: AtomicBool::new(false),
        }
    }

    fn waiters(&self) -> std::sync::MutexGuard<'_, HashMap<u64, oneshot::Sender<bool>>> {
        self.waiters.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn fresh(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Instant>> {
        self.fresh.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new ticket, with a waiter for the follower to wake once it has applied
    /// the change announced with it.
    pub(super) fn ticket(&self) -> Ticket<'_> {
        let id = self.next_ticket.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        if self.shared {
            self.waiters().insert(id, tx);
        }
        Ticket {
            follow: self,
            id,
            rx: Some(rx),
        }
    }

    fn wake(&self, origin: u64, applied: bool) {
        if let Some(tx) = self.waiters().remove(&origin) {
            let _ = tx.send(applied);
        }
    }

    fn wake_all(&self, applied: bool) {
        for (_, tx) in self.waiters().drain() {
            let _ = tx.send(applied);
        }
    }

    /// Whether misses may be changes this process has not heard of.
    pub(super) fn degraded(&self) -> bool {
        self.shared && self.degraded.load(Ordering::Relaxed)
    }

    pub(super) fn stop(&self) {
        self.closing.store(true, Ordering::Relaxed);
        let task = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(task) = task {
            task.abort();
        }
        self.wake_all(false);
    }
}

/// Names one write or mark in the change feed; dropping it forgets the waiter.
pub(super) struct Ticket<'a> {
    follow: &'a Follow,
    pub(super) id: u64,
    rx: Option<oneshot::Receiver<bool>>,
}

impl Ticket<'_> {
    /// Waits until the follower applied the change; `false` if it will not.
    async fn applied(&mut self, timeout: Duration) -> bool {
        let Some(rx) = self.rx.take() else {
            return false;
        };
        if !self.follow.shared {
            return false;
        }
        matches!(tokio::time::timeout(timeout, rx).await, Ok(Ok(true)))
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        self.follow.waiters().remove(&self.id);
    }
}

/// The locks of a write to `scope`: the scope itself exclusively, the wider
/// scopes whose mode and config govern it shared.
pub(super) fn locks_for(scope: &QualifiedSubject) -> Locks {
    let chain = scope_chain(scope);
    let pair = |s: &QualifiedSubject| -> Scope { (s.context.clone(), s.name.clone()) };
    Locks {
        exclusive: vec![pair(scope)],
        shared: chain.iter().filter(|s| *s != scope).map(pair).collect(),
    }
}

impl Registry {
    /// What a read that found nothing answers: `not_found`, unless the change
    /// feed is down, when the mirror may lack what the database holds and
    /// only the database could tell (which is unreachable).
    pub(super) fn miss(&self, not_found: Error) -> Error {
        if self.follow.degraded() {
            Error::Store(format!(
                "the database is unreachable and the mirror may be stale ({not_found})"
            ))
        } else {
            not_found
        }
    }

    /// Starts applying the store's change feed (shared stores only). The task
    /// holds the registry weakly and ends when it is dropped or closed.
    pub(super) fn start_following(self: &Arc<Self>, feed: mpsc::Receiver<Feed>) {
        let task = tokio::spawn(follow(Arc::downgrade(self), feed));
        *self
            .follow
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(task);
    }

    /// With SQLite, the process-wide writer lock, exclusively: nothing else
    /// writes until the guard drops. With a shared store, nothing (the
    /// database's locks serialize writers).
    pub(super) async fn local_writer(&self) -> Option<tokio::sync::RwLockWriteGuard<'_, ()>> {
        if self.follow.shared {
            return None;
        }
        let guard = self.writer.write().await;
        self.reload_if_dirty().await;
        Some(guard)
    }

    /// With SQLite, the writer lock shared with other registrations, which
    /// the store commits in batches; `None` with a shared store.
    pub(super) async fn local_registration(&self) -> Option<tokio::sync::RwLockReadGuard<'_, ()>> {
        if self.follow.shared {
            return None;
        }
        let guard = self.writer.read().await;
        self.reload_if_dirty().await;
        Some(guard)
    }

    /// A refresh after an earlier commit failed, or a write failed in a way
    /// that may have left the mirror ahead of the store: start from the store
    /// (once, however many writers find the flag set).
    async fn reload_if_dirty(&self) {
        if !self.follow.dirty.load(Ordering::Relaxed) {
            return;
        }
        let _apply = self.follow.apply.lock().await;
        if self.follow.dirty.load(Ordering::Relaxed) {
            let _ = self.reload_locked().await;
        }
    }

    /// After a failed write, when this process is the only writer: the
    /// mirror may hold schema rows of a batch that was rolled back (`decide`
    /// adopts what the transaction shows), so reload it now, before the failed
    /// write answers; if the store cannot be read, before the next write.
    pub(super) async fn doubt_mirror(&self) {
        if !self.follow.shared {
            self.follow.dirty.store(true, Ordering::Relaxed);
            self.reload_if_dirty().await;
        }
    }

    /// Waits until the mirror holds every change committed before now (a no-op
    /// when this process is the only writer: the writer lock already ensures it).
    pub(super) async fn catch_up(&self) -> Result<(), Error> {
        if !self.follow.shared {
            return Ok(());
        }
        if self.follow.degraded() {
            return Err(Error::Store(
                "the change feed is down; refusing to decide on a stale mirror".into(),
            ));
        }
        let mut ticket = self.follow.ticket();
        self.store.mark(ticket.id).await?;
        if ticket.applied(CATCH_UP_TIMEOUT).await {
            Ok(())
        } else {
            Err(Error::Store(
                "the change feed did not deliver this process's mark in time".into(),
            ))
        }
    }

    /// After a commit: makes the mirror show `changes` before the write is
    /// answered. Never fails: the write is committed; if the mirror cannot be
    /// refreshed now, it is reloaded later.
    pub(super) async fn settle(&self, ticket: Ticket<'_>, changes: &[Change]) {
        self.settle_since(ticket, changes, None).await;
    }

    /// [`Registry::settle`] for a write whose commit was known at `committed`:
    /// a subject refreshed since then is not read again. Registrations of one
    /// batch, committed together, then mostly share one refresh per subject.
    pub(super) async fn settle_since(
        &self,
        mut ticket: Ticket<'_>,
        changes: &[Change],
        committed: Option<Instant>,
    ) {
        // With the feed down, its notification will not come: refresh directly.
        if !self.follow.degraded() && ticket.applied(SETTLE_TIMEOUT).await {
            return;
        }
        if let Err(e) = self.refresh_since(changes, committed).await {
            if self.follow.closing.load(Ordering::Relaxed) {
                // Shutting down: the write is committed, the next start loads it.
                tracing::debug!(error = %e, "mirror not refreshed: the registry is closing");
                return;
            }
            tracing::warn!(error = %e, "cannot refresh the mirror after a commit; will reload");
            self.follow.dirty.store(true, Ordering::Relaxed);
        }
    }

    /// Reads `changes` from the store and applies them.
    pub(super) async fn refresh(&self, changes: &[Change]) -> Result<(), Error> {
        self.refresh_since(changes, None).await
    }

    async fn refresh_since(
        &self,
        changes: &[Change],
        committed: Option<Instant>,
    ) -> Result<(), Error> {
        let _apply = self.follow.apply.lock().await;
        let mut seen = Vec::with_capacity(changes.len());
        for c in changes {
            if *c != Change::Mark && !seen.contains(&c) {
                seen.push(c);
                self.refresh_one(c, committed).await?;
            }
        }
        Ok(())
    }

    async fn refresh_one(&self, change: &Change, committed: Option<Instant>) -> Result<(), Error> {
        match change {
            Change::Subject { context, subject } => {
                // Refreshes run one at a time under `apply`, and read what is
                // committed: one that started after this commit has shown it.
                let key = (context.clone(), subject.clone());
                if let Some(committed) = committed
                    && self
                        .follow
                        .fresh()
                        .get(&key)
                        .is_some_and(|started| *started >= committed)
                {
                    return Ok(());
                }
                let started = Instant::now();
                let subject = QualifiedSubject {
                    context: context.clone(),
                    name: subject.clone(),
                };
                self.refresh_subject(&subject).await?;
                let mut fresh = self.follow.fresh();
                if fresh.len() >= 4096 {
                    fresh.clear();
                }
                fresh.insert(key, started);
                Ok(())
            }
            Change::Setting {
                kind,
                context,
                subject,
            } => {
                let value = self.store.setting(*kind, context, subject).await?;
                let scope = QualifiedSubject {
                    context: context.clone(),
                    name: subject.clone(),
                };
                let mut st = self.write();
                match kind {
                    Setting::Config => st.set_config_text(scope, value.as_deref()),
                    Setting::Mode => st.set_mode_text(scope, value.as_deref()),
                }
                .map_err(Error::Internal)
            }
            Change::Context { context } => {
                let max_id = self.store.context(context).await?;
                let mut st = self.write();
                match max_id {
                    Some(max) => st.contexts.entry(context.clone()).or_default().max_id = max,
                    None => {
                        if st
                            .contexts
                            .get(context)
                            .is_some_and(|c| c.subjects.is_empty())
                        {
                            st.contexts.remove(context);
                        }
                        st.configs.retain(|k, _| k.context != *context);
                        st.modes.retain(|k, _| k.context != *context);
                    }
                }
                Ok(())
            }
            Change::Mark => Ok(()),
        }
    }

    /// Reloads a subject's versions, the schemas they use that the mirror lacks,
    /// and drops schemas its removed versions used that the store no longer has.
    async fn refresh_subject(&self, subject: &QualifiedSubject) -> Result<(), Error> {
        let ctx = subject.context.as_str();
        let rows = self.store.subject(ctx, &subject.name).await?;
        let (missing, gone) = {
            let st = self.read();
            let mut missing: Vec<i64> = rows
                .iter()
                .map(|v| v.schema_id)
                .filter(|id| st.schema(ctx, *id).is_none())
                .collect();
            missing.sort_unstable();
            missing.dedup();
            let mut gone: Vec<i64> = st
                .versions(subject)
                .iter()
                .filter(|old| !rows.iter().any(|r| r.version == old.version))
                .map(|old| old.schema_id)
                .collect();
            gone.sort_unstable();
            gone.dedup();
            (missing, gone)
        };
        let loaded = if missing.is_empty() {
            Vec::new()
        } else {
            self.store.schemas(ctx, &missing).await?
        };
        let entries = loaded
            .into_iter()
            .map(SchemaEntry::from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(Error::Internal)?;
        let removed: Vec<i64> = if gone.is_empty() {
            Vec::new()
        } else {
            let still: Vec<i64> = self
                .store
                .schemas(ctx, &gone)
                .await?
                .iter()
                .map(|r| r.id)
                .collect();
            gone.into_iter().filter(|id| !still.contains(id)).collect()
        };
        let hard_deleted = {
            let mut st = self.write();
            for e in entries {
                if st.schema(ctx, e.id).is_none() {
                    st.insert_schema(e);
                }
            }
            let shrank = st
                .versions(subject)
                .iter()
                .any(|old| !rows.iter().any(|r| r.version == old.version));
            st.set_versions(subject, rows);
            st.remove_schemas(ctx, &removed);
            shrank
        };
        if hard_deleted {
            // A reference to a removed version may now resolve differently.
            self.forget_parsed();
        }
        Ok(())
    }

    /// Replaces the mirror with a fresh load of the store.
    pub(super) async fn reload_all(&self) -> Result<(), Error> {
        let _apply = self.follow.apply.lock().await;
        self.reload_locked().await
    }

    /// [`Registry::reload_all`], the caller holding the `apply` lock.
    async fn reload_locked(&self) -> Result<(), Error> {
        let snapshot = self.store.load().await?;
        let mut fresh = State::from_snapshot(snapshot).map_err(Error::Internal)?;
        {
            let mut st = self.write();
            fresh.adopt_parsed(&st);
            *st = fresh;
        }
        self.forget_parsed();
        self.follow.dirty.store(false, Ordering::Relaxed);
        Ok(())
    }

    /// Applies one batch of notices, then wakes this process's waiters.
    async fn apply_notices(&self, notices: &[Notice]) {
        let changes: Vec<Change> = notices.iter().map(|n| n.change.clone()).collect();
        let applied = match self.refresh(&changes).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "cannot apply a change from the feed; will reload");
                self.follow.dirty.store(true, Ordering::Relaxed);
                false
            }
        };
        for origin in notices.iter().filter_map(|n| n.origin) {
            self.follow.wake(origin, applied);
        }
    }
}

/// The follower: applies the feed in order, reloads after a gap.
async fn follow(registry: Weak<Registry>, mut feed: mpsc::Receiver<Feed>) {
    let mut tick = tokio::time::interval(RELOAD_RETRY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut pending: Option<Feed> = None;
    loop {
        let next = match pending.take() {
            Some(p) => Some(p),
            None => tokio::select! {
                f = feed.recv() => match f {
                    Some(f) => Some(f),
                    None => return,
                },
                _ = tick.tick() => None,
            },
        };
        let Some(registry) = registry.upgrade() else {
            return;
        };
        let f = &registry.follow;
        match next {
            Some(Feed::Changes(mut notices)) => {
                // Whatever else is queued goes in the same batch.
                while notices.len() < 4096 {
                    match feed.try_recv() {
                        Ok(Feed::Changes(more)) => notices.extend(more),
                        Ok(other) => {
                            pending = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                registry.apply_notices(&notices).await;
            }
            Some(Feed::Lost) => {
                tracing::warn!("change feed lost: misses answer 50001 until it is back");
                f.degraded.store(true, Ordering::Relaxed);
                f.wake_all(false);
            }
            Some(Feed::Restored) => {
                f.dirty.store(true, Ordering::Relaxed);
            }
            None => {}
        }
        if f.dirty.load(Ordering::Relaxed) {
            match registry.reload_all().await {
                Ok(()) => {
                    if f.degraded.swap(false, Ordering::Relaxed) {
                        tracing::info!("mirror reloaded; change feed back");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot reload the mirror yet"),
            }
        }
    }
}
