//! The evreg schema registry: Confluent Schema Registry's REST API over SQLite,
//! or over PostgreSQL shared by several instances behind a load balancer.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use evreg_server::{Settings, app, open, serve};
//!
//! let settings = Settings::for_data_dir("./evreg-data");
//! let state = open(&settings).await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8081").await?;
//! serve(listener, state, std::future::pending()).await?;
//! # Ok(()) }
//! ```
//!
//! Layers, outermost first: `api` (routes, HTTP errors) → `service` (register,
//! lookup, delete; answers reads from an in-memory mirror) → `store` (the only
//! place with SQL). Schema logic (parsing, identity, compatibility) is
//! `evreg_core`'s.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod api;
pub mod config;
pub mod service;
pub mod settings;
pub mod state;
pub mod store;
pub mod subject;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use api::{ApiOptions, AppState, app};
pub use config::{Args, Database, Settings};
pub use service::Registry;

use store::postgres::PgStore;
use store::sqlite::SqliteStore;
use store::{Store, StoreError};

/// Why the registry could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store could not be opened or migrated.
    #[error("opening the database")]
    Store(#[from] store::StoreError),
    /// The stored data could not be loaded.
    #[error("loading the registry")]
    Load(#[from] service::Error),
    /// The listening socket could not be opened.
    #[error("listening on 127.0.0.1")]
    Listen(#[source] std::io::Error),
    /// PostgreSQL stayed unreachable for the whole startup timeout.
    #[error("PostgreSQL unreachable after {attempts} attempts over {waited:?}: {last}")]
    Unreachable {
        /// Connection attempts made.
        attempts: u32,
        /// Time spent trying.
        waited: Duration,
        /// The last error.
        last: String,
    },
}

/// Longest pause between two startup attempts.
const MAX_STARTUP_BACKOFF: Duration = Duration::from_secs(10);

/// Opens the store named by `settings`, loads it into memory, and returns the
/// state [`app`] serves.
pub async fn open(settings: &Settings) -> Result<AppState, StartError> {
    let registry = match &settings.database {
        Database::SqliteFile(path) => {
            Registry::open(Arc::new(SqliteStore::open_file(path).await?)).await?
        }
        Database::SqliteUrl(url) => Registry::open(Arc::new(SqliteStore::open(url).await?)).await?,
        Database::Postgres(url) => open_postgres(url, settings.startup_timeout).await?,
    };
    Ok(AppState {
        registry,
        options: Arc::new(settings.api.clone()),
    })
}

/// Connects to PostgreSQL, retrying with backoff while it is unreachable (each
/// attempt logged), for at most `timeout` (`None`: until it answers).
async fn open_postgres(url: &str, timeout: Option<Duration>) -> Result<Arc<Registry>, StartError> {
    let started = Instant::now();
    let mut delay = Duration::from_millis(250);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let error = match PgStore::open(url).await {
            Ok(store) => {
                let store = Arc::new(store);
                match Registry::open(store.clone()).await {
                    Ok(registry) => return Ok(registry),
                    Err(service::Error::Store(m)) => {
                        store.close().await;
                        m
                    }
                    Err(e) => {
                        store.close().await;
                        return Err(e.into());
                    }
                }
            }
            Err(StoreError::Unavailable(m)) => m,
            Err(e) => return Err(e.into()),
        };
        let waited = started.elapsed();
        if timeout.is_some_and(|t| waited + delay > t) {
            return Err(StartError::Unreachable {
                attempts,
                waited,
                last: error,
            });
        }
        tracing::warn!(attempt = attempts, retry_in = ?delay, %error, "PostgreSQL is unreachable; retrying");
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_STARTUP_BACKOFF);
    }
}

/// An evreg serving on a free port of 127.0.0.1 in the background of the
/// current tokio runtime: for tests, benchmarks and tools that embed a
/// registry. Dropping it asks the server to stop; [`Background::stop`] also
/// waits until it has (in-flight requests answered, store closed).
#[derive(Debug)]
pub struct Background {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Background {
    /// Stops the server and waits for it.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Opens the store named by `settings` and serves it on a free port of
/// 127.0.0.1 in the background (see [`Background`]).
pub async fn serve_in_background(settings: &Settings) -> Result<Background, StartError> {
    let state = open(settings).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(StartError::Listen)?;
    let url = format!(
        "http://{}",
        listener.local_addr().map_err(StartError::Listen)?
    );
    let (shutdown, stopped) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(serve(listener, state, async {
        let _ = stopped.await;
    }));
    Ok(Background {
        url,
        shutdown: Some(shutdown),
        task: Some(task),
    })
}

/// Serves `state` on `listener` until `shutdown` resolves, lets in-flight
/// requests finish, then closes the store.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let registry = state.registry.clone();
    let result = axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await;
    registry.close().await;
    result
}
