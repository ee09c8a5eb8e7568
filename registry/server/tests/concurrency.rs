//! Concurrent writers: one id per content, one number per version.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_registrations_agree() {
    let dir = TempDir::new();
    let s = Arc::new(Server::start(&dir).await);
    s.put("/config", json!({"compatibility": "NONE"}))
        .await
        .ok();

    // The same schema from many clients, into many subjects: one id.
    let mut tasks = Vec::new();
    for i in 0..16 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.register(&format!("same-{i}"), avro(&order_v1())).await
        }));
    }
    let mut ids = BTreeSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap().0);
    }
    assert_eq!(ids.len(), 1);

    // Different schemas into one subject: distinct versions 1..=16, distinct ids.
    let mut tasks = Vec::new();
    for i in 0..16 {
        let s = s.clone();
        let schema = avro_record(&format!("R{i}"), &["f"], &[]);
        tasks.push(tokio::spawn(async move {
            s.register("one", avro(&schema)).await
        }));
    }
    let mut versions = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for t in tasks {
        let (id, v) = t.await.unwrap();
        ids.insert(id);
        versions.insert(v);
    }
    assert_eq!(versions, (1..=16).collect());
    assert_eq!(ids.len(), 16);
    let listed = s.get("/subjects/one/versions").await;
    assert_eq!(listed.ok().as_array().unwrap().len(), 16);
}
