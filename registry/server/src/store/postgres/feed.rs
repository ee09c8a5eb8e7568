//! The change feed: `LISTEN` on a connection of its own, turning each
//! notification into a [`Notice`] for the service, in commit order.
//!
//! A lost connection is reported as [`Feed::Lost`]; the feed then reconnects
//! with backoff and reports [`Feed::Restored`], after which the service reloads
//! everything (notifications sent meanwhile are gone). A connection that goes
//! silent is caught by a ping: with nothing heard for a while the feed runs a
//! query on its own connection, and drops a connection that does not answer.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::store::{Change, Feed, Notice, Setting, StoreError};

/// Ping when nothing was heard for this long.
const PING_AFTER: Duration = Duration::from_secs(2);
/// Give the connection up when a ping takes longer than this.
const PING_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the loop looks at the clock while waiting.
const TICK: Duration = Duration::from_millis(500);
/// Longest pause between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// Most notices handed over at once.
const BATCH: usize = 512;

/// What the feed needs to (re)connect and to ping.
pub(super) struct FeedConfig {
    pub(super) options: PgConnectOptions,
    pub(super) acquire_timeout: Duration,
    pub(super) channel: String,
    pub(super) instance: String,
}

/// Listens (failing if the database cannot be reached now) and starts the task
/// that feeds the returned receiver.
pub(super) async fn start(
    cfg: FeedConfig,
) -> Result<(mpsc::Receiver<Feed>, JoinHandle<()>), StoreError> {
    let listener = connect(&cfg).await?;
    let (tx, rx) = mpsc::channel(64);
    Ok((rx, tokio::spawn(run(cfg, listener, tx))))
}

async fn connect(cfg: &FeedConfig) -> Result<PgListener, sqlx::Error> {
    // A pool of one, owned by this listener: dropping the listener closes it.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(cfg.acquire_timeout)
        .connect_lazy_with(cfg.options.clone());
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.ignore_pool_close_event(true);
    // Reconnecting is ours to do, so that a reload follows it.
    listener.eager_reconnect(false);
    listener.listen(&cfg.channel).await?;
    Ok(listener)
}

async fn run(cfg: FeedConfig, listener: PgListener, tx: mpsc::Sender<Feed>) {
    let mut listener = Some(listener);
    let mut backoff = Duration::from_millis(100);
    let mut heard = Instant::now();
    loop {
        if tx.is_closed() {
            return;
        }
        let Some(l) = listener.as_mut() else {
            match connect(&cfg).await {
                Ok(l) => {
                    tracing::info!("change feed reconnected to PostgreSQL");
                    listener = Some(l);
                    backoff = Duration::from_millis(100);
                    heard = Instant::now();
                    if tx.send(Feed::Restored).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "change feed cannot reach PostgreSQL");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
            continue;
        };
        // `try_recv` is cancel-safe: a message half read stays buffered.
        let received = tokio::select! {
            r = l.try_recv() => Some(r),
            () = tokio::time::sleep(TICK) => None,
        };
        let Some(received) = received else {
            if heard.elapsed() > PING_AFTER {
                // Notifications that arrive meanwhile are buffered, not lost.
                let ping = sqlx::query("SELECT 1").execute(&mut *l);
                if let Ok(Ok(_)) = tokio::time::timeout(PING_TIMEOUT, ping).await {
                    heard = Instant::now();
                } else {
                    tracing::warn!("change feed connection does not answer; reconnecting");
                    listener = None;
                    if tx.send(Feed::Lost).await.is_err() {
                        return;
                    }
                }
            }
            continue;
        };
        let first = match received {
            Ok(Some(n)) => n,
            other => {
                match other {
                    Err(e) => tracing::warn!(error = %e, "change feed lost its connection"),
                    _ => tracing::warn!("change feed lost its connection"),
                }
                listener = None;
                if tx.send(Feed::Lost).await.is_err() {
                    return;
                }
                continue;
            }
        };
        heard = Instant::now();
        let mut payloads = vec![first.payload().to_owned()];
        // Take whatever else has already arrived, without waiting.
        while payloads.len() < BATCH {
            match tokio::time::timeout(Duration::ZERO, l.try_recv()).await {
                Ok(Ok(Some(n))) => payloads.push(n.payload().to_owned()),
                _ => break,
            }
        }
        let mut notices = Vec::with_capacity(payloads.len());
        let mut garbled = false;
        for p in &payloads {
            match decode(p, &cfg.instance) {
                Some(n) => notices.push(n),
                None => {
                    tracing::warn!(payload = %p, "unreadable change notification; reloading");
                    garbled = true;
                }
            }
        }
        if !notices.is_empty() && tx.send(Feed::Changes(notices)).await.is_err() {
            return;
        }
        if garbled && tx.send(Feed::Restored).await.is_err() {
            return;
        }
    }
}

/// The payload of a notification: fields separated by tabs, which subject and
/// context names cannot contain.
pub(super) fn encode(instance: &str, ticket: u64, change: &Change) -> String {
    let (kind, context, subject) = match change {
        Change::Subject { context, subject } => ("s", context.as_str(), subject.as_str()),
        Change::Setting {
            kind: Setting::Config,
            context,
            subject,
        } => ("c", context.as_str(), subject.as_str()),
        Change::Setting {
            kind: Setting::Mode,
            context,
            subject,
        } => ("m", context.as_str(), subject.as_str()),
        Change::Context { context } => ("x", context.as_str(), ""),
        Change::Mark => ("k", "", ""),
    };
    format!("{instance}\t{ticket}\t{kind}\t{context}\t{subject}")
}

/// Reads a payload; `origin` is set when `own` (this process) sent it.
pub(super) fn decode(payload: &str, own: &str) -> Option<Notice> {
    let mut parts = payload.splitn(5, '\t');
    let instance = parts.next()?;
    let ticket: u64 = parts.next()?.parse().ok()?;
    let kind = parts.next()?;
    let context = parts.next()?.to_owned();
    let subject = parts.next()?.to_owned();
    let change = match kind {
        "s" => Change::Subject { context, subject },
        "c" => Change::Setting {
            kind: Setting::Config,
            context,
            subject,
        },
        "m" => Change::Setting {
            kind: Setting::Mode,
            context,
            subject,
        },
        "x" => Change::Context { context },
        "k" => Change::Mark,
        _ => return None,
    };
    Some(Notice {
        change,
        origin: (instance == own).then_some(ticket),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        let changes = [
            Change::Subject {
                context: ".".into(),
                subject: "a b:c".into(),
            },
            Change::Setting {
                kind: Setting::Mode,
                context: ".x".into(),
                subject: String::new(),
            },
            Change::Context {
                context: ".x".into(),
            },
            Change::Mark,
        ];
        for c in changes {
            let p = encode("me", 7, &c);
            let mine = decode(&p, "me").unwrap();
            assert_eq!((mine.change.clone(), mine.origin), (c.clone(), Some(7)));
            assert_eq!(decode(&p, "other").unwrap().origin, None);
        }
        assert!(decode("garbage", "me").is_none());
    }
}
