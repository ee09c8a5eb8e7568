//! Group commit (SQLite): concurrent registrations share one transaction and
//! one sync. Each must still land as if alone, a refused one must leave no
//! trace, and everything acknowledged must survive a restart.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use common::*;
use serde_json::{Value, json};

/// A schema that passes BACKWARD against any earlier one: the record `Reg`
/// with one optional field.
fn optional_field(name: &str) -> Value {
    let schema = json!({
        "type": "record",
        "name": "Reg",
        "fields": [{"name": name, "type": ["null", "long"], "default": null}],
    });
    avro(&schema.to_string())
}

/// Every subject (soft-deleted ones included) with each version's id and
/// deleted flag, as the server answers.
async fn snapshot(s: &Server) -> BTreeMap<String, Vec<(i64, i64, bool)>> {
    let mut out = BTreeMap::new();
    let subjects = s.get("/subjects?deleted=true").await;
    for subject in subjects.ok().as_array().unwrap() {
        let subject = subject.as_str().unwrap();
        let live: BTreeSet<i64> = s
            .get(&format!("/subjects/{subject}/versions"))
            .await
            .body
            .as_array()
            .map(|a| a.iter().map(|v| v.as_i64().unwrap()).collect())
            .unwrap_or_default();
        let all = s
            .get(&format!("/subjects/{subject}/versions?deleted=true"))
            .await;
        let mut rows = Vec::new();
        for v in all.ok().as_array().unwrap() {
            let v = v.as_i64().unwrap();
            let got = s
                .get(&format!("/subjects/{subject}/versions/{v}?deleted=true"))
                .await;
            rows.push((v, got.ok()["id"].as_i64().unwrap(), !live.contains(&v)));
        }
        out.insert(subject.to_owned(), rows);
    }
    out
}

/// Versions are 1..=n with no gaps.
#[track_caller]
fn assert_contiguous(subject: &str, rows: &[(i64, i64, bool)]) {
    let versions: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let expected: Vec<i64> = (1..=rows.len() as i64).collect();
    assert_eq!(versions, expected, "versions of {subject}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_registrations_land_once_and_survive_a_restart() {
    let dir = TempDir::new();
    let s = Arc::new(Server::start(&dir).await);

    // 200 registrations over 16 subjects under BACKWARD; content k goes to 4
    // different subjects, so each content must get one id.
    let mut tasks = Vec::new();
    for i in 0..200 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let (subject, content) = (format!("gc-{}", i % 16), i % 50);
            let (id, version) = s
                .register(&subject, optional_field(&format!("f{content}")))
                .await;
            (subject, content, id, version)
        }));
    }
    let mut acked = Vec::new();
    for t in tasks {
        acked.push(t.await.unwrap());
    }

    let mut ids_of_content: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for (_, content, id, _) in &acked {
        ids_of_content.entry(*content).or_default().insert(*id);
    }
    assert_eq!(ids_of_content.len(), 50);
    assert!(ids_of_content.values().all(|ids| ids.len() == 1));
    let distinct: BTreeSet<i64> = ids_of_content.values().flatten().copied().collect();
    assert_eq!(distinct.len(), 50, "one id per distinct content");

    let before = snapshot(&s).await;
    assert_eq!(before.len(), 16);
    for (subject, rows) in &before {
        assert_contiguous(subject, rows);
    }
    for (subject, _, id, version) in &acked {
        let rows = &before[subject];
        assert!(
            rows.contains(&(*version, *id, false)),
            "{subject} v{version} (id {id}) acknowledged but not shown"
        );
    }
    assert_eq!(before.values().map(Vec::len).sum::<usize>(), 200);

    // Everything acknowledged was committed: a fresh process shows the same.
    Arc::into_inner(s).unwrap().stop().await;
    let s = Server::start(&dir).await;
    assert_eq!(snapshot(&s).await, before);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_registration_leaves_no_trace_in_its_batch() {
    let dir = TempDir::new();
    let s = Arc::new(Server::start(&dir).await);
    s.register("busy-x", avro(&order_v1())).await;

    for round in 0..5 {
        let mut mates = Vec::new();
        for i in 0..40 {
            let s = s.clone();
            mates.push(tokio::spawn(async move {
                s.register(
                    &format!("busy-{}", i % 8),
                    optional_field(&format!("r{round}_{i}")),
                )
                .await
            }));
        }
        let refused = {
            let s = s.clone();
            tokio::spawn(async move {
                s.post("/subjects/busy-x/versions", avro(&order_v2_incompatible()))
                    .await
            })
        };
        for m in mates {
            m.await.unwrap();
        }
        refused.await.unwrap().assert_error(409, 409);
    }

    // Nothing of the refused schema: no version, no schema id.
    assert_eq!(
        s.get("/subjects/busy-x/versions?deleted=true").await.ok(),
        &json!([1])
    );
    s.post("/subjects/busy-x", avro(&order_v2_incompatible()))
        .await
        .assert_error(404, 40403);
    let ids = s.get("/schemas?deleted=true").await;
    assert_eq!(ids.ok().as_array().unwrap().len(), 1 + 5 * 40);

    let before = snapshot(&s).await;
    for (subject, rows) in &before {
        assert_contiguous(subject, rows);
    }
    Arc::into_inner(s).unwrap().stop().await;
    let s = Server::start(&dir).await;
    assert_eq!(snapshot(&s).await, before);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_and_settings_interleave_with_batches() {
    let dir = TempDir::new();
    let s = Arc::new(Server::start(&dir).await);
    for k in 0..4 {
        s.register(&format!("mix-{k}"), optional_field("seed"))
            .await;
    }

    let mut tasks = Vec::new();
    for i in 0..120 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let subject = format!("mix-{}", i % 4);
            match i % 10 {
                // Soft-delete the latest version while others register.
                3 => {
                    let r = s
                        .delete(&format!("/subjects/{subject}/versions/latest"))
                        .await;
                    assert!(matches!(r.status, 200 | 404), "{}", r.text);
                }
                // Flip the subject's level; both levels accept these schemas.
                7 => {
                    let level = if i % 20 == 7 { "NONE" } else { "BACKWARD" };
                    let r = s
                        .put(
                            &format!("/config/{subject}"),
                            json!({"compatibility": level}),
                        )
                        .await;
                    r.ok();
                }
                _ => {
                    let r = s
                        .post(
                            &format!("/subjects/{subject}/versions"),
                            optional_field(&format!("m{i}")),
                        )
                        .await;
                    r.ok();
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }

    let before = snapshot(&s).await;
    for (subject, rows) in &before {
        assert_contiguous(subject, rows);
    }
    let versions: usize = before.values().map(Vec::len).sum();
    assert_eq!(versions, 4 + 120 - 12 - 12, "every registration landed");
    let deleted = before.values().flatten().filter(|r| r.2).count();
    assert!(deleted <= 12);
    let configs: Vec<Value> = {
        let mut v = Vec::new();
        for k in 0..4 {
            v.push(s.get(&format!("/config/mix-{k}")).await.body);
        }
        v
    };

    // The mirror agrees with the database.
    Arc::into_inner(s).unwrap().stop().await;
    let s = Server::start(&dir).await;
    assert_eq!(snapshot(&s).await, before);
    for (k, config) in configs.iter().enumerate() {
        assert_eq!(&s.get(&format!("/config/mix-{k}")).await.body, config);
    }
    s.stop().await;
}
