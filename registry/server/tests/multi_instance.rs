//! Three real `evreg` processes over one fresh PostgreSQL database: they agree
//! on ids and versions under concurrent load, check compatibility against the
//! true latest version, and see each other's writes within 100 ms. Needs
//! `EVREG_TEST_DATABASE_URL`; skipped loudly without it.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::instance::{Ack, Instance, check_acked, optional_field_record, within};
use common::pg::{self, PgDatabase};
use serde_json::json;
use tokio::sync::Mutex;

/// How long a write may take to show through another instance.
const COHERENCE: Duration = Duration::from_millis(100);

/// The tests here take turns, so the load of one does not skew the timings
/// of another.
static SERIAL: Mutex<()> = Mutex::const_new(());

async fn three(test: &str) -> Option<(PgDatabase, Vec<Arc<Instance>>)> {
    let base = pg::base_url(test)?;
    let db = PgDatabase::create(&base).await;
    // Started together: they race to migrate the fresh database.
    let (a, b, c) = tokio::join!(
        Instance::start("a", &db.url),
        Instance::start("b", &db.url),
        Instance::start("c", &db.url)
    );
    Some((db, vec![Arc::new(a), Arc::new(b), Arc::new(c)]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_agree_under_concurrent_load() {
    let _turn = SERIAL.lock().await;
    let Some((db, insts)) =
        three("multi_instance::three_instances_agree_under_concurrent_load").await
    else {
        return;
    };
    const WORKERS: usize = 24;
    const PER_WORKER: usize = 120;
    let acks = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        let (insts, acks, failures) = (insts.clone(), acks.clone(), failures.clone());
        tasks.push(tokio::spawn(async move {
            let inst = &insts[w % insts.len()];
            let mut last: Option<i64> = None;
            for i in 0..PER_WORKER {
                let (subject, schema) = match i % 3 {
                    // The same schemas into shared subjects, from every instance.
                    0 => (
                        format!("common-{}", i % 5),
                        optional_field_record("Common", &format!("f{}", (i / 3) % 12)),
                    ),
                    // New versions of a few hot subjects, from every instance.
                    1 => (
                        format!("uniq-{}", (w + i) % 6),
                        optional_field_record("Uniq", &format!("w{w}_{i}")),
                    ),
                    // Read-your-writes: what this instance acknowledged, it serves.
                    _ => {
                        if let Some(id) = last {
                            let r = inst.get(&format!("/schemas/ids/{id}")).await;
                            if r.status != 200 {
                                failures.lock().await.push(format!(
                                    "{}: GET /schemas/ids/{id}: {} {}",
                                    inst.name, r.status, r.body
                                ));
                            }
                        }
                        continue;
                    }
                };
                let r = inst.register(&subject, &schema).await;
                if r.status != 200 {
                    failures.lock().await.push(format!(
                        "{}: register {subject}: {} {}",
                        inst.name, r.status, r.body
                    ));
                    continue;
                }
                last = Some(r.id());
                acks.lock().await.push(Ack {
                    subject,
                    schema,
                    id: r.id(),
                    version: r.version(),
                });
            }
        }));
    }
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(300), t)
            .await
            .expect("load finishes in time")
            .unwrap();
    }
    let elapsed = started.elapsed();
    let failures = failures.lock().await.clone();
    assert!(
        failures.is_empty(),
        "{} failures: {:?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
    let acks = acks.lock().await.clone();
    let registrations = WORKERS * PER_WORKER * 2 / 3;
    assert_eq!(acks.len(), registrations);
    eprintln!(
        "{} registrations through 3 instances in {elapsed:?} ({:.0}/s)",
        acks.len(),
        acks.len() as f64 / elapsed.as_secs_f64()
    );
    // 12 distinct common schemas, one id each, whichever instance registered them.
    let common: std::collections::BTreeSet<i64> = acks
        .iter()
        .filter(|a| a.subject.starts_with("common-"))
        .map(|a| a.id)
        .collect();
    assert_eq!(common.len(), 12);
    let refs: Vec<&Instance> = insts.iter().map(AsRef::as_ref).collect();
    check_acked(&refs, &acks).await;
    drop(refs);
    drop(insts);
    db.drop().await;
}

/// Two schemas each compatible with v1 but not with each other, registered at
/// the same moment through two instances: exactly one gets in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compatibility_is_checked_against_the_true_latest() {
    let _turn = SERIAL.lock().await;
    let Some((db, insts)) =
        three("multi_instance::compatibility_is_checked_against_the_true_latest").await
    else {
        return;
    };
    let field = |ty: &str, default: serde_json::Value| {
        json!({"type": "record", "name": "R", "fields": [
            {"name": "f", "type": ty, "default": default}
        ]})
        .to_string()
    };
    let v1 = json!({"type": "record", "name": "R", "fields": []}).to_string();
    let x = field("long", json!(0));
    let y = field("string", json!(""));
    for round in 0..20 {
        let subject = format!("race-{round}");
        assert_eq!(insts[0].register(&subject, &v1).await.status, 200);
        let (a, b) = (insts[1].clone(), insts[2].clone());
        let (sx, sy, s1, s2) = (x.clone(), y.clone(), subject.clone(), subject.clone());
        let (rx, ry) = tokio::join!(
            tokio::spawn(async move { a.register(&s1, &sx).await }),
            tokio::spawn(async move { b.register(&s2, &sy).await })
        );
        let mut statuses = [rx.unwrap().status, ry.unwrap().status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "round {round}");
        let path = format!("/subjects/{subject}/versions");
        let settled = within(COHERENCE, || async {
            insts[0].get(&path).await.body == json!([1, 2])
        })
        .await;
        assert!(settled.is_some(), "round {round}");
    }
    drop(insts);
    db.drop().await;
}

/// A write through one instance shows through the others within 100 ms:
/// registrations, deletes, config and mode; and modes bind every instance at
/// once, because they are read inside the write transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_show_everywhere_within_100ms() {
    let _turn = SERIAL.lock().await;
    let Some((db, insts)) = three("multi_instance::writes_show_everywhere_within_100ms").await
    else {
        return;
    };
    let (a, b, c) = (&insts[0], &insts[1], &insts[2]);
    let mut worst = Duration::ZERO;
    let mut seen = |what: &str, took: Option<Duration>| {
        let took = took.unwrap_or_else(|| panic!("{what}: not visible within {COHERENCE:?}"));
        eprintln!("{what}: visible after {took:?}");
        worst = worst.max(took);
    };
    for round in 0..5 {
        let subject = format!("co-{round}");
        let r = a
            .register(&subject, &optional_field_record("Co", &format!("f{round}")))
            .await;
        assert_eq!(r.status, 200);
        let id = r.id();
        for other in [b, c] {
            let path = format!("/subjects/{subject}/versions/latest");
            let took = within(COHERENCE, || async {
                let r = other.get(&path).await;
                r.status == 200 && r.id() == id
            })
            .await;
            seen(&format!("register via a, read via {}", other.name), took);
            assert_eq!(other.get(&format!("/schemas/ids/{id}")).await.status, 200);
            // The stored guid and registration time, as a answered them.
            let there = other.get(&path).await;
            assert_eq!(
                there.body["guid"], r.body["guid"],
                "guid via {}",
                other.name
            );
            assert_eq!(there.body["ts"], r.body["ts"], "ts via {}", other.name);
            let guid = r.body["guid"].as_str().unwrap();
            assert_eq!(
                other.get(&format!("/schemas/guids/{guid}/ids")).await.body,
                json!([{"context": ".", "id": id}])
            );
        }
    }
    // A soft delete through b.
    assert_eq!(b.delete("/subjects/co-0/versions/1").await.status, 200);
    for other in [a, c] {
        let took = within(COHERENCE, || async {
            other.get("/subjects/co-0/versions").await.status == 404
        })
        .await;
        seen(&format!("delete via b, read via {}", other.name), took);
    }
    // A permanent delete through c: the schema id goes too.
    let id = a.get("/subjects/co-0/versions/1?deleted=true").await.id();
    assert_eq!(
        c.delete("/subjects/co-0/versions/1?permanent=true")
            .await
            .status,
        200
    );
    for other in [a, b] {
        let took = within(COHERENCE, || async {
            other.get(&format!("/schemas/ids/{id}")).await.status == 404
        })
        .await;
        seen(&format!("hard delete via c, read via {}", other.name), took);
    }
    // A config change through c.
    let r = c
        .put("/config/co-1", json!({"compatibility": "FULL"}))
        .await;
    assert_eq!(r.status, 200);
    for other in [a, b] {
        let took = within(COHERENCE, || async {
            other.get("/config/co-1").await.body["compatibilityLevel"] == "FULL"
        })
        .await;
        seen(&format!("config via c, read via {}", other.name), took);
    }
    // A global config change through a.
    assert_eq!(
        a.put("/config", json!({"compatibility": "NONE"}))
            .await
            .status,
        200
    );
    for other in [b, c] {
        let took = within(COHERENCE, || async {
            other.get("/config").await.body["compatibilityLevel"] == "NONE"
        })
        .await;
        seen(
            &format!("global config via a, read via {}", other.name),
            took,
        );
    }
    // READONLY through a binds b at once, whatever b's mirror says.
    assert_eq!(
        a.put("/mode/co-2", json!({"mode": "READONLY"}))
            .await
            .status,
        200
    );
    let refused = b
        .register("co-2", &optional_field_record("Co", "other"))
        .await;
    assert_eq!((refused.status, refused.code()), (422, 42205));
    for other in [b, c] {
        let took = within(COHERENCE, || async {
            other.get("/mode/co-2").await.body["mode"] == "READONLY"
        })
        .await;
        seen(&format!("mode via a, read via {}", other.name), took);
    }
    assert_eq!(b.delete("/mode/co-2").await.status, 200);
    within(COHERENCE, || async {
        c.register("co-2", &optional_field_record("Co", "other"))
            .await
            .status
            == 200
    })
    .await
    .expect("writable again");
    // IMPORT through c: a registration without an id through a is refused at once.
    assert_eq!(
        c.put("/mode/:.imp:", json!({"mode": "IMPORT"}))
            .await
            .status,
        200
    );
    let refused = a
        .register(":.imp:s", &optional_field_record("Imp", "x"))
        .await;
    assert_eq!((refused.status, refused.code()), (422, 42205));
    let imported = a
        .post(
            "/subjects/:.imp:s/versions",
            json!({"schema": optional_field_record("Imp", "x"), "id": 500, "version": 3}),
        )
        .await;
    assert_eq!(
        (imported.status, imported.id(), imported.version()),
        (200, 500, 3),
        "{:?}",
        imported.body
    );
    eprintln!("worst visibility: {worst:?}");
    assert!(worst <= COHERENCE);
    drop(insts);
    db.drop().await;
}
