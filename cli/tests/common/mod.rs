//! What the CLI's integration tests share: output text, scratch folders and an
//! in-process evreg. Each test binary is its own crate and uses part of it.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// An empty folder `name` under the target's scratch space.
pub fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An evreg on 127.0.0.1 with its SQLite data in a temporary folder, served from
/// its own thread and runtime; stopped on drop.
pub struct Registry {
    pub url: String,
    dir: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Registry {
    pub fn start(name: &str) -> Registry {
        let dir = tmp(&format!("evreg-{name}"));
        let data = dir.clone();
        let (url_tx, url_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let server =
                    evreg_server::serve_in_background(&evreg_server::Settings::for_data_dir(&data))
                        .await
                        .unwrap();
                url_tx.send(server.url.clone()).unwrap();
                let _ = stopped.await;
                server.stop().await.unwrap();
            });
        });
        let url = url_rx.recv().expect("evreg starts");
        Registry {
            url,
            dir,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Registers `body` (a registration request) under `subject`; returns the
    /// response body.
    pub fn register(&self, subject: &str, body: Value) -> Value {
        let url = format!("{}/subjects/{subject}/versions", self.url);
        let mut response = ureq::post(&url)
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .config()
            .http_status_as_error(false)
            .build()
            .send(body.to_string())
            .expect("POST reaches evreg");
        let status = response.status();
        let text = response.body_mut().read_to_string().unwrap();
        assert!(status.is_success(), "POST {url}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
