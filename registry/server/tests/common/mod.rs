//! Test harness: the real server, in-process, on 127.0.0.1:0 with a temp data
//! directory, and a small HTTP client for it.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

pub mod instance;
pub mod pg;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use evreg_server::{ApiOptions, Settings};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("evreg-test-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running server.
pub struct Server {
    pub base: String,
    client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

/// A response: status, parsed JSON (or the text as a JSON string), headers.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub content_type: Option<String>,
}

impl Resp {
    /// The Confluent `error_code`, or 0.
    pub fn code(&self) -> i64 {
        self.body
            .get("error_code")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    }

    /// Asserts a Confluent error.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: i64) {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "body: {}",
            self.text
        );
        assert!(
            self.body.get("message").is_some_and(Value::is_string),
            "{}",
            self.text
        );
    }

    /// Asserts 200 and returns the body.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "body: {}", self.text);
        &self.body
    }
}

impl Server {
    /// A server on a fresh data directory with default options.
    pub async fn start(dir: &TempDir) -> Server {
        Self::start_with(dir.path(), ApiOptions::default()).await
    }

    /// A server on `dir` with `api` options.
    pub async fn start_with(dir: &Path, api: ApiOptions) -> Server {
        let mut settings = Settings::for_data_dir(dir);
        settings.api = api;
        let state = evreg_server::open(&settings).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            evreg_server::serve(listener, state, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Server {
            base,
            client: reqwest::Client::new(),
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    /// Stops the server and waits until the store is closed.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.unwrap();
        }
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let content_type = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()));
        Resp {
            status,
            body,
            text,
            content_type,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.request("GET", path, None, None).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.request("DELETE", path, None, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        let ct = Some("application/vnd.schemaregistry.v1+json");
        self.request("POST", path, ct, Some(body.to_string().into_bytes()))
            .await
    }

    pub async fn put(&self, path: &str, body: Value) -> Resp {
        let ct = Some("application/vnd.schemaregistry.v1+json");
        self.request("PUT", path, ct, Some(body.to_string().into_bytes()))
            .await
    }

    /// Registers `schema` (a JSON body) under `subject`; returns (id, version).
    pub async fn register(&self, subject: &str, body: Value) -> (i64, i64) {
        let r = self
            .post(&format!("/subjects/{subject}/versions"), body)
            .await;
        let b = r.ok();
        (b["id"].as_i64().unwrap(), b["version"].as_i64().unwrap())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// An Avro record `name` with string fields `fields`, plus optional extra
/// field JSON objects.
pub fn avro_record(name: &str, fields: &[&str], extra: &[Value]) -> String {
    let mut fs: Vec<Value> = fields
        .iter()
        .map(|f| json!({"name": f, "type": "string"}))
        .collect();
    fs.extend(extra.iter().cloned());
    json!({"type": "record", "name": name, "fields": fs}).to_string()
}

/// Register-request body for an Avro schema text.
pub fn avro(schema: &str) -> Value {
    json!({ "schema": schema })
}

/// Register-request body for a JSON Schema text.
pub fn json_schema(schema: &Value) -> Value {
    json!({ "schema": schema.to_string(), "schemaType": "JSON" })
}

/// Order v1: one string field.
pub fn order_v1() -> String {
    avro_record("Order", &["id"], &[])
}

/// Order v2, backward compatible with v1: adds a field with a default.
pub fn order_v2_compatible() -> String {
    avro_record(
        "Order",
        &["id"],
        &[json!({"name": "note", "type": "string", "default": ""})],
    )
}

/// Order v2, not backward compatible with v1: adds a field without a default.
pub fn order_v2_incompatible() -> String {
    avro_record(
        "Order",
        &["id"],
        &[json!({"name": "amount", "type": "long"})],
    )
}
