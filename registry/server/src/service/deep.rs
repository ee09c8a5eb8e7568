//! A small pool of deep-stack threads for core work (parsing, checking).
//!
//! Parsing and checking recurse once per nesting level, and references let a
//! schema nest far deeper than its own JSON allows; an overflow would abort the
//! whole process, so this work never runs on a runtime thread. The threads are
//! started once: spawning one per request cost more than the work itself on
//! the lookup path.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use super::Error;

/// Stack of each worker. The memory is reserved, not committed, until used.
const DEEP_STACK: usize = 256 << 20;

type Job = Box<dyn FnOnce() + Send>;

struct Pool {
    jobs: Mutex<Sender<Job>>,
}

/// Which workers run a job.
#[derive(Clone, Copy)]
pub(crate) enum Lane {
    /// Parsing and checking for requests.
    Requests,
    /// A recheck inside a write transaction: it holds the database's write
    /// lock (with SQLite, a whole batch of registrations waits on it), so it
    /// must not queue behind the parsing of requests.
    InTransaction,
}

fn pool(lane: Lane) -> Result<&'static Pool, Error> {
    static REQUESTS: OnceLock<Result<Pool, String>> = OnceLock::new();
    static IN_TRANSACTION: OnceLock<Result<Pool, String>> = OnceLock::new();
    let (cell, name) = match lane {
        Lane::Requests => (&REQUESTS, "evreg-schema"),
        Lane::InTransaction => (&IN_TRANSACTION, "evreg-recheck"),
    };
    cell.get_or_init(|| {
        let workers = match lane {
            Lane::Requests => {
                std::thread::available_parallelism()
                    .map_or(2, |n| n.get())
                    .max(2)
                    * 2
            }
            Lane::InTransaction => 2,
        };
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..workers {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .stack_size(DEEP_STACK)
                .spawn(move || work(&rx))
                .map_err(|e| format!("cannot start schema worker threads: {e}"))?;
        }
        Ok(Pool {
            jobs: Mutex::new(tx),
        })
    })
    .as_ref()
    .map_err(|e| Error::Internal(e.clone()))
}

fn work(rx: &Mutex<Receiver<Job>>) {
    loop {
        let job = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match job {
            // A panicking job drops its reply channel (the caller sees an
            // internal error); the worker lives on.
            Ok(job) => drop(catch_unwind(AssertUnwindSafe(job))),
            Err(_) => return,
        }
    }
}

/// Runs `f` on a deep-stack worker and waits for its result.
pub(crate) async fn run_deep<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    run_deep_in(Lane::Requests, f).await
}

/// [`run_deep`] on the workers of `lane`.
pub(crate) async fn run_deep_in<T: Send + 'static>(
    lane: Lane,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(f());
    });
    pool(lane)?
        .jobs
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .send(job)
        .map_err(|_| Error::Internal("schema workers are gone".into()))?;
    rx.await
        .map_err(|_| Error::Internal("schema work panicked".into()))
}
