//! Real `evreg` processes (the built binary) for multi-instance tests, and a
//! small JSON client with timeouts.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::TempDir;

/// One `evreg` process. Killed (SIGKILL) on drop.
pub struct Instance {
    pub name: String,
    pub base: String,
    child: std::sync::Mutex<Option<Child>>,
    client: reqwest::Client,
    log: PathBuf,
    _dir: TempDir,
}

/// Status and JSON body of a response; status 0 when the request failed
/// (connection refused, reset, timed out).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> i64 {
        self.body
            .get("error_code")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    }

    pub fn id(&self) -> i64 {
        self.body["id"].as_i64().unwrap_or(-1)
    }

    pub fn version(&self) -> i64 {
        self.body["version"].as_i64().unwrap_or(-1)
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

impl Instance {
    /// Starts `evreg --database-url <url>` on a free port and waits until it
    /// answers.
    pub async fn start(name: &str, database_url: &str) -> Instance {
        let inst = Self::spawn(name, database_url, &[]);
        inst.wait_ready(Duration::from_secs(60)).await;
        inst
    }

    /// Starts the process without waiting; `extra` are more flags.
    pub fn spawn(name: &str, database_url: &str, extra: &[&str]) -> Instance {
        let dir = TempDir::new();
        let log = dir.path().join(format!("{name}.log"));
        let port = free_port();
        let out = std::fs::File::create(&log).unwrap();
        let err = out.try_clone().unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_evreg"))
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--database-url")
            .arg(database_url)
            .args(extra)
            .env("EVREG_LOG", "warn")
            .env_remove("EVREG_DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap();
        Instance {
            name: name.to_owned(),
            base: format!("http://127.0.0.1:{port}"),
            child: std::sync::Mutex::new(Some(child)),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .pool_max_idle_per_host(64)
                .build()
                .unwrap(),
            log,
            _dir: dir,
        }
    }

    pub async fn wait_ready(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            if self.get("/").await.status == 200 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not start; log:\n{}",
                self.name,
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What the process logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits up to `limit` for the process to exit by itself.
    pub async fn wait_exit(&self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(c) = self.child.lock().unwrap().as_mut()
                && let Ok(Some(status)) = c.try_wait()
            {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    /// SIGKILL, then reap.
    pub fn kill(&self) {
        let child = self.child.lock().unwrap().take();
        if let Some(mut c) = child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub async fn request(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req
                .header("content-type", "application/vnd.schemaregistry.v1+json")
                .body(b.to_string());
        }
        match req.send().await {
            Ok(res) => {
                let status = res.status().as_u16();
                let text = res.text().await.unwrap_or_default();
                let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
                Reply { status, body }
            }
            Err(_) => Reply {
                status: 0,
                body: Value::Null,
            },
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.request("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.request("POST", path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.request("PUT", path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.request("DELETE", path, None).await
    }

    /// `POST /subjects/{subject}/versions` with an Avro schema text.
    pub async fn register(&self, subject: &str, schema: &str) -> Reply {
        self.post(
            &format!("/subjects/{subject}/versions"),
            serde_json::json!({ "schema": schema }),
        )
        .await
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An Avro record named `name` with one optional field `field`: any two of the
/// same name are backward compatible.
pub fn optional_field_record(name: &str, field: &str) -> String {
    serde_json::json!({
        "type": "record",
        "name": name,
        "fields": [{"name": field, "type": ["null", "long"], "default": null}],
    })
    .to_string()
}

/// Polls `probe` every 2 ms until it returns true or `limit` passes; returns
/// the time it took.
pub async fn within<F, Fut>(limit: Duration, mut probe: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if probe().await {
            return Some(start.elapsed());
        }
        if start.elapsed() > limit {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// An acknowledged registration.
#[derive(Debug, Clone)]
pub struct Ack {
    pub subject: String,
    pub schema: String,
    pub id: i64,
    pub version: i64,
}

/// Checks acknowledged registrations against every instance: one id per
/// distinct schema and distinct ids for distinct schemas, contiguous versions
/// per subject, and every acknowledged version and id readable everywhere.
pub async fn check_acked(instances: &[&Instance], acks: &[Ack]) {
    use std::collections::{BTreeMap, BTreeSet};
    let mut by_schema: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    let mut by_id: BTreeMap<i64, BTreeSet<&str>> = BTreeMap::new();
    let mut by_version: BTreeMap<(&str, i64), BTreeSet<i64>> = BTreeMap::new();
    for a in acks {
        by_schema.entry(&a.schema).or_default().insert(a.id);
        by_id.entry(a.id).or_default().insert(&a.schema);
        by_version
            .entry((&a.subject, a.version))
            .or_default()
            .insert(a.id);
    }
    for (schema, ids) in &by_schema {
        assert_eq!(ids.len(), 1, "schema {schema} got ids {ids:?}");
    }
    for (id, schemas) in &by_id {
        assert_eq!(schemas.len(), 1, "id {id} given to {schemas:?}");
    }
    for (key, ids) in &by_version {
        assert_eq!(ids.len(), 1, "{key:?} acknowledged with ids {ids:?}");
    }
    let subjects: BTreeSet<&str> = acks.iter().map(|a| a.subject.as_str()).collect();
    for inst in instances {
        for s in &subjects {
            let r = inst.get(&format!("/subjects/{s}/versions")).await;
            assert_eq!(r.status, 200, "{}: {s}: {:?}", inst.name, r.body);
            let listed: Vec<i64> = r
                .body
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            let n = listed.len() as i64;
            assert_eq!(listed, (1..=n).collect::<Vec<_>>(), "{}: {s}", inst.name);
        }
        let checks: Vec<(String, i64)> = by_version
            .iter()
            .map(|((s, v), ids)| {
                (
                    format!("/subjects/{s}/versions/{v}"),
                    *ids.iter().next().unwrap(),
                )
            })
            .chain(by_id.keys().map(|id| (format!("/schemas/ids/{id}"), *id)))
            .collect();
        for chunk in checks.chunks(32) {
            let mut set = tokio::task::JoinSet::new();
            for (path, id) in chunk.iter().cloned() {
                let client = inst.client.clone();
                let url = format!("{}{path}", inst.base);
                set.spawn(async move {
                    let res = client.get(&url).send().await.unwrap();
                    let status = res.status().as_u16();
                    let body: Value = res.json().await.unwrap_or(Value::Null);
                    (path, id, status, body)
                });
            }
            while let Some(r) = set.join_next().await {
                let (path, id, status, body) = r.unwrap();
                assert_eq!(status, 200, "{}: {path}: {body}", inst.name);
                if path.starts_with("/subjects/") {
                    assert_eq!(body["id"].as_i64(), Some(id), "{}: {path}", inst.name);
                }
            }
        }
    }
}
