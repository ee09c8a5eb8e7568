//! Config, mode (READONLY, IMPORT) and the compatibility endpoints, over HTTP.

mod common;

use common::*;
use evreg_server::ApiOptions;
use serde_json::json;

#[tokio::test]
async fn global_config_round_trip() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    assert_eq!(
        s.get("/config").await.ok(),
        &json!({"compatibilityLevel": "BACKWARD"})
    );
    // PUT takes `compatibility`, GET answers `compatibilityLevel`.
    let put = s.put("/config", json!({"compatibility": "full"})).await;
    assert_eq!(put.ok(), &json!({"compatibility": "FULL"}));
    assert_eq!(
        s.get("/config").await.ok(),
        &json!({"compatibilityLevel": "FULL"})
    );
    // The newer client spelling is accepted too.
    let put = s
        .put("/config", json!({"compatibilityLevel": "FORWARD"}))
        .await;
    assert_eq!(put.ok(), &json!({"compatibilityLevel": "FORWARD"}));
    s.put("/config", json!({"compatibility": "SIDEWAYS"}))
        .await
        .assert_error(422, 42203);
    s.put("/config", json!({"compatibility": 7}))
        .await
        .assert_error(422, 42203);
    assert_eq!(
        s.delete("/config").await.ok(),
        &json!({"compatibilityLevel": "FORWARD"})
    );
    assert_eq!(
        s.get("/config").await.ok(),
        &json!({"compatibilityLevel": "BACKWARD"})
    );
}

#[tokio::test]
async fn subject_config_and_default_to_global() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.register("a", avro(&order_v1())).await;
    s.get("/config/a").await.assert_error(404, 40408);
    assert_eq!(
        s.get("/config/a?defaultToGlobal=true").await.ok(),
        &json!({"compatibilityLevel": "BACKWARD"})
    );
    s.put("/config/a", json!({"compatibility": "NONE"}))
        .await
        .ok();
    assert_eq!(
        s.get("/config/a").await.ok(),
        &json!({"compatibilityLevel": "NONE"})
    );
    // Config may be set before the subject exists.
    s.put("/config/later", json!({"compatibility": "FULL"}))
        .await
        .ok();
    assert_eq!(
        s.get("/config/later").await.ok()["compatibilityLevel"],
        "FULL"
    );
    assert_eq!(
        s.delete("/config/a").await.ok(),
        &json!({"compatibilityLevel": "NONE"})
    );
    s.get("/config/a").await.assert_error(404, 40408);
    s.delete("/config/a").await.assert_error(404, 40408);
    s.delete("/config/unknown").await.assert_error(404, 40401);
    // Context-level config applies to the context's subjects.
    s.put("/config/:.ctx:", json!({"compatibility": "FORWARD"}))
        .await
        .ok();
    assert_eq!(
        s.get("/config/:.ctx:x?defaultToGlobal=true").await.ok()["compatibilityLevel"],
        "FORWARD"
    );
}

#[tokio::test]
async fn level_decides_registration() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.register("o", avro(&order_v1())).await;
    let r = s
        .post("/subjects/o/versions", avro(&order_v2_incompatible()))
        .await;
    r.assert_error(409, 409);
    let msg = r.body["message"].as_str().unwrap();
    assert!(msg.contains("READER_FIELD_MISSING_DEFAULT_VALUE"), "{msg}");
    assert!(msg.contains("{oldSchemaVersion: 1}"), "{msg}");
    assert!(msg.contains("compatibility: 'BACKWARD'"), "{msg}");
    assert!(msg.contains("amount"), "{msg}");
    // A compatible change passes; force skips the check.
    s.register("o", avro(&order_v2_compatible())).await;
    let forced = s
        .post(
            "/subjects/o/versions?force=true",
            avro(&order_v2_incompatible()),
        )
        .await;
    assert_eq!(forced.ok()["version"], 3);
    // NONE allows anything.
    s.put("/config/o", json!({"compatibility": "NONE"}))
        .await
        .ok();
    s.register(
        "o",
        avro(&avro_record("Order", &["totally", "different"], &[])),
    )
    .await;
}

#[tokio::test]
async fn soft_delete_is_the_escape_hatch_past_a_failed_check() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.register("o", avro(&order_v1())).await;
    s.post("/subjects/o/versions", avro(&order_v2_incompatible()))
        .await
        .assert_error(409, 409);
    s.delete("/subjects/o/versions/1").await.ok();
    assert_eq!(s.register("o", avro(&order_v2_incompatible())).await.1, 2);
}

#[tokio::test]
async fn incompatible_code_40901_is_opt_in() {
    let dir = TempDir::new();
    let opts = ApiOptions {
        incompatible_40901: true,
        ..ApiOptions::default()
    };
    let s = Server::start_with(dir.path(), opts).await;
    s.register("o", avro(&order_v1())).await;
    let r = s
        .post("/subjects/o/versions", avro(&order_v2_incompatible()))
        .await;
    r.assert_error(409, 40901);
    assert!(r.body["message"].as_str().unwrap().contains("incompatible"));
}

#[tokio::test]
async fn compatibility_endpoints() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    // Nothing to be incompatible with.
    let none = s
        .post(
            "/compatibility/subjects/new/versions/latest",
            avro(&order_v1()),
        )
        .await;
    assert_eq!(none.ok(), &json!({"is_compatible": true}));
    let all = s
        .post("/compatibility/subjects/new/versions", avro(&order_v1()))
        .await;
    assert_eq!(all.ok(), &json!({"is_compatible": true}));
    s.post("/compatibility/subjects/new/versions/1", avro(&order_v1()))
        .await
        .assert_error(404, 40401);

    s.register("o", avro(&order_v1())).await;
    let ok = s
        .post(
            "/compatibility/subjects/o/versions/latest",
            avro(&order_v2_compatible()),
        )
        .await;
    assert_eq!(ok.ok(), &json!({"is_compatible": true}));
    let bad = s
        .post(
            "/compatibility/subjects/o/versions/1",
            avro(&order_v2_incompatible()),
        )
        .await;
    assert_eq!(bad.ok(), &json!({"is_compatible": false}));
    let verbose = s
        .post(
            "/compatibility/subjects/o/versions/1?verbose=true",
            avro(&order_v2_incompatible()),
        )
        .await;
    let messages = verbose.ok()["messages"].as_array().unwrap().clone();
    assert!(
        messages[0]
            .as_str()
            .unwrap()
            .starts_with("{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'")
    );
    assert!(messages.iter().any(|m| m == "{oldSchemaVersion: 1}"));
    assert!(
        messages
            .last()
            .unwrap()
            .as_str()
            .unwrap()
            .contains("compatibility: 'BACKWARD'")
    );
    let all_verbose = s
        .post(
            "/compatibility/subjects/o/versions?verbose=true",
            avro(&order_v2_incompatible()),
        )
        .await;
    assert_eq!(all_verbose.ok()["is_compatible"], false);

    s.post("/compatibility/subjects/o/versions/7", avro(&order_v1()))
        .await
        .assert_error(404, 40402);
    s.post("/compatibility/subjects/o/versions/0", avro(&order_v1()))
        .await
        .assert_error(422, 42202);
    s.post("/compatibility/subjects/o/versions/abc", avro(&order_v1()))
        .await
        .assert_error(422, 42202);
    s.post("/compatibility/subjects/o/versions/latest", avro("{bad"))
        .await
        .assert_error(422, 42201);
}

#[tokio::test]
async fn single_version_test_ignores_transitivity() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.put("/config/t", json!({"compatibility": "NONE"}))
        .await
        .ok();
    s.register("t", avro(&order_v1())).await;
    // v2 drops nothing but adds a required field: v3 reading v1 data fails.
    s.register("t", avro(&order_v2_incompatible())).await;
    s.put("/config/t", json!({"compatibility": "BACKWARD_TRANSITIVE"}))
        .await
        .ok();
    let v3 = order_v2_incompatible();
    let latest = s
        .post("/compatibility/subjects/t/versions/latest", avro(&v3))
        .await;
    assert_eq!(latest.ok()["is_compatible"], true);
    let all = s
        .post("/compatibility/subjects/t/versions", avro(&v3))
        .await;
    assert_eq!(all.ok()["is_compatible"], false);
    // Registration mirrors the version-less endpoint.
    let third = avro_record(
        "Order",
        &["id"],
        &[
            json!({"name": "amount", "type": "long"}),
            json!({"name": "n", "type": "int", "default": 0}),
        ],
    );
    s.post("/subjects/t/versions", avro(&third))
        .await
        .assert_error(409, 409);
}

#[tokio::test]
async fn modes_and_read_only() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.register("o", avro(&order_v1())).await;
    assert_eq!(s.get("/mode").await.ok(), &json!({"mode": "READWRITE"}));
    s.get("/mode/o").await.assert_error(404, 40409);
    assert_eq!(
        s.get("/mode/o?defaultToGlobal=true").await.ok(),
        &json!({"mode": "READWRITE"})
    );
    s.put("/mode", json!({"mode": "bogus"}))
        .await
        .assert_error(422, 42204);
    s.put("/mode", json!({})).await.assert_error(422, 42204);

    assert_eq!(
        s.put("/mode", json!({"mode": "READONLY"})).await.ok(),
        &json!({"mode": "READONLY"})
    );
    s.post("/subjects/o/versions", avro(&order_v2_compatible()))
        .await
        .assert_error(422, 42205);
    s.delete("/subjects/o").await.assert_error(422, 42205);
    s.delete("/subjects/o/versions/1")
        .await
        .assert_error(422, 42205);
    s.put("/config/o", json!({"compatibility": "NONE"}))
        .await
        .assert_error(422, 42205);
    // Reads still work.
    assert_eq!(s.get("/subjects/o/versions").await.ok(), &json!([1]));
    assert_eq!(
        s.post("/subjects/o", avro(&order_v1())).await.ok()["version"],
        1
    );
    assert_eq!(
        s.get("/mode/o?defaultToGlobal=true").await.ok(),
        &json!({"mode": "READONLY"})
    );
    // A subject-level mode overrides the global one.
    s.put("/mode/o", json!({"mode": "READWRITE"})).await.ok();
    s.register("o", avro(&order_v2_compatible())).await;
    assert_eq!(s.get("/mode/o").await.ok(), &json!({"mode": "READWRITE"}));
    assert_eq!(
        s.delete("/mode/o").await.ok(),
        &json!({"mode": "READWRITE"})
    );
    s.delete("/mode/o").await.assert_error(404, 40409);
    s.delete("/mode/nope").await.assert_error(404, 40401);
    assert_eq!(s.delete("/mode").await.ok(), &json!({"mode": "READONLY"}));
    assert_eq!(s.get("/mode").await.ok(), &json!({"mode": "READWRITE"}));

    // recursive clears subject modes too.
    s.put("/mode/o", json!({"mode": "READONLY"})).await.ok();
    s.delete("/mode?recursive=true").await.ok();
    s.get("/mode/o").await.assert_error(404, 40409);
}

#[tokio::test]
async fn import_mode() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.register("o", avro(&order_v1())).await;
    // An explicit id outside IMPORT is refused.
    let with_id = json!({"schema": order_v2_compatible(), "id": 50});
    s.post("/subjects/o/versions", with_id)
        .await
        .assert_error(422, 42205);
    // Entering IMPORT needs an empty scope, unless forced.
    s.put("/mode", json!({"mode": "IMPORT"}))
        .await
        .assert_error(422, 42205);
    // A subject-level IMPORT on an empty subject is fine.
    assert_eq!(
        s.put("/mode/imported", json!({"mode": "IMPORT"}))
            .await
            .ok(),
        &json!({"mode": "IMPORT"})
    );
    let body = json!({"schema": avro_record("Imp", &["a"], &[]), "id": 100, "version": 5});
    let r = s.post("/subjects/imported/versions", body.clone()).await;
    assert_eq!(
        (r.ok()["id"].as_i64(), r.ok()["version"].as_i64()),
        (Some(100), Some(5))
    );
    // Idempotent, and compatibility is not checked in IMPORT.
    assert_eq!(
        s.post("/subjects/imported/versions", body).await.ok()["version"],
        5
    );
    let other = json!({"schema": avro_record("Other", &["b"], &[]), "id": 7, "version": 9});
    assert_eq!(
        s.post("/subjects/imported/versions", other).await.ok()["id"],
        7
    );
    // Without an id, registering in IMPORT is refused.
    s.post(
        "/subjects/imported/versions",
        avro(&avro_record("X", &["x"], &[])),
    )
    .await
    .assert_error(422, 42205);
    // An id that holds other content is refused.
    let clash = json!({"schema": avro_record("Clash", &["c"], &[]), "id": 100});
    s.post("/subjects/imported/versions", clash)
        .await
        .assert_error(422, 42205);
    // The same content under a different id than registered.
    let mismatch = json!({"schema": avro_record("Imp", &["a"], &[]), "id": 101});
    s.post("/subjects/imported/versions", mismatch)
        .await
        .assert_error(422, 42207);
    assert_eq!(
        s.get("/schemas/ids/100").await.ok()["schema"],
        avro_record("Imp", &["a"], &[])
    );

    // Forced global IMPORT works even with live subjects; then new ids follow the highest.
    s.put("/mode?force=true", json!({"mode": "IMPORT"}))
        .await
        .ok();
    s.delete("/mode?recursive=true").await.ok();
    let (id, _) = s
        .register("fresh", avro(&avro_record("Fresh", &["f"], &[])))
        .await;
    assert_eq!(id, 101);
}

#[tokio::test]
async fn entering_import_clears_soft_deleted_leftovers() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    let (old_id, _) = s.register("old", avro(&order_v1())).await;
    s.delete("/subjects/old").await.ok();
    s.put("/mode", json!({"mode": "IMPORT"})).await.ok();
    assert_eq!(s.get("/subjects?deleted=true").await.ok(), &json!([]));
    s.get(&format!("/schemas/ids/{old_id}"))
        .await
        .assert_error(404, 40403);
    // The old numbers are free for the import.
    let body = json!({"schema": avro_record("Imp", &["a"], &[]), "id": old_id, "version": 1});
    let r = s.post("/subjects/old/versions", body).await;
    assert_eq!(
        (r.ok()["id"].as_i64(), r.ok()["version"].as_i64()),
        (Some(old_id), Some(1))
    );
}
