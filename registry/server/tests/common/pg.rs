//! PostgreSQL for tests: `EVREG_TEST_DATABASE_URL` names a server (e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test gets a fresh
//! schema or database there. Without the variable, Postgres tests say so
//! loudly and pass, so a plain `cargo test` needs no database.

use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// The variable naming the test server.
pub const URL_VAR: &str = "EVREG_TEST_DATABASE_URL";

/// The test server's URL, or `None` after printing the skip notice for `test`.
pub fn base_url(test: &str) -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            eprintln!("SKIPPED ({URL_VAR} not set): {test}");
            None
        }
    }
}

fn unique(prefix: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}_{}_{n}_{nanos:x}", std::process::id())
}

/// Appends a query parameter to a URL.
fn with_param(url: &str, param: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{param}")
}

/// A fresh schema; the URL selects it through `search_path`.
pub struct PgSchema {
    base: String,
    pub name: String,
    pub url: String,
}

impl PgSchema {
    pub async fn create(base: &str) -> PgSchema {
        let name = unique("evreg_t");
        let mut admin = PgConnection::connect(base).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let url = with_param(base, &format!("options[search_path]={name}"));
        PgSchema {
            base: base.to_owned(),
            name,
            url,
        }
    }

    pub async fn drop(self) {
        if let Ok(mut admin) = PgConnection::connect(&self.base).await {
            let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name);
            let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut admin)
                .await;
            let _ = admin.close().await;
        }
    }
}

/// A fresh database on the test server.
pub struct PgDatabase {
    base: String,
    pub name: String,
    pub url: String,
}

impl PgDatabase {
    pub async fn create(base: &str) -> PgDatabase {
        let name = unique("evreg_t");
        let mut admin = PgConnection::connect(base).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        PgDatabase {
            base: base.to_owned(),
            url: replace_database(base, &name),
            name,
        }
    }

    pub async fn drop(self) {
        if let Ok(mut admin) = PgConnection::connect(&self.base).await {
            let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
            let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut admin)
                .await;
            let _ = admin.close().await;
        }
    }
}

/// `postgres://u@h:p/old?x` with the database replaced.
pub fn replace_database(url: &str, database: &str) -> String {
    let (main, query) = match url.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (url, None),
    };
    let (scheme, rest) = main.split_once("://").unwrap();
    let authority = rest.split('/').next().unwrap();
    let mut out = format!("{scheme}://{authority}/{database}");
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// `postgres://u@h:p/db?x` with host and port replaced by `host_port`.
pub fn replace_host_port(url: &str, host_port: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let userinfo = authority.rsplit_once('@').map(|(u, _)| u);
    match userinfo {
        Some(u) => format!("{scheme}://{u}@{host_port}{tail}"),
        None => format!("{scheme}://{host_port}{tail}"),
    }
}

/// The `host:port` a URL points at (5432 when it names no port).
pub fn host_port(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    }
}
