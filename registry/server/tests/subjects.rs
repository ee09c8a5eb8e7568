//! Subjects, versions, lookup, deletes, references and contexts, over HTTP.

mod common;

use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn register_and_read_back() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    // Layout differences vanish in the canonical text.
    let spaced = order_v1().replace(',', " ,\n ");
    let r = s
        .post("/subjects/orders-value/versions", avro(&spaced))
        .await;
    let body = r.ok();
    assert_eq!(body["id"], 1);
    assert_eq!(body["version"], 1);
    assert_eq!(
        r.content_type.as_deref(),
        Some("application/vnd.schemaregistry.v1+json")
    );

    assert_eq!(s.get("/subjects").await.ok(), &json!(["orders-value"]));
    assert_eq!(
        s.get("/subjects/orders-value/versions").await.ok(),
        &json!([1])
    );
    for v in ["1", "latest", "LATEST", "-1"] {
        let got = s.get(&format!("/subjects/orders-value/versions/{v}")).await;
        let b = got.ok();
        assert_eq!(b["subject"], "orders-value");
        assert_eq!(b["version"], 1);
        assert_eq!(b["id"], 1);
        assert_eq!(b["schema"], order_v1());
        assert!(b.get("schemaType").is_none(), "AVRO is implied");
        assert!(b.get("deleted").is_none());
    }
    let raw = s.get("/subjects/orders-value/versions/1/schema").await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.text, order_v1());
    assert_eq!(
        s.get("/schemas/ids/1").await.ok(),
        &json!({ "schema": order_v1() })
    );
    assert_eq!(s.get("/schemas/ids/1/schema").await.text, order_v1());
}

#[tokio::test]
async fn same_schema_same_id_in_every_subject() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    let (a_id, a_v) = s.register("a", avro(&order_v1())).await;
    s.put("/config/b", json!({"compatibility": "NONE"}))
        .await
        .ok();
    s.register("b", avro(&avro_record("Other", &["x"], &[])))
        .await;
    let (b_id, b_v) = s.register("b", avro(&order_v1())).await;
    assert_eq!(a_id, b_id);
    assert_eq!((a_v, b_v), (1, 2));
    let (c_id, _) = s
        .register("c", json_schema(&json!({"type": "object"})))
        .await;
    assert_ne!(c_id, a_id);
    let c = s.get(&format!("/schemas/ids/{c_id}")).await;
    assert_eq!(c.ok()["schemaType"], "JSON");
    // Without parameters the body is rendered once and cached: the same as
    // the one rendered per request when a parameter is given.
    for id in [a_id, c_id] {
        for _ in 0..2 {
            assert_eq!(
                s.get(&format!("/schemas/ids/{id}")).await.ok(),
                s.get(&format!("/schemas/ids/{id}?fetchMaxId=false"))
                    .await
                    .ok()
            );
        }
    }

    assert_eq!(
        s.get(&format!("/schemas/ids/{a_id}/subjects")).await.ok(),
        &json!(["a", "b"])
    );
    assert_eq!(
        s.get(&format!("/schemas/ids/{a_id}/versions")).await.ok(),
        &json!([{"subject": "a", "version": 1}, {"subject": "b", "version": 2}])
    );
    s.get("/schemas/ids/999/subjects")
        .await
        .assert_error(404, 40403);
    s.get("/schemas/ids/999/versions")
        .await
        .assert_error(404, 40403);
    s.get("/schemas/ids/999").await.assert_error(404, 40403);
    s.get("/schemas/ids/abc").await.assert_error(404, 40403);
}

#[tokio::test]
async fn reregistering_is_idempotent_and_skips_the_check() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.put("/config/o", json!({"compatibility": "NONE"}))
        .await
        .ok();
    let (id1, _) = s.register("o", avro(&order_v1())).await;
    s.register("o", avro(&order_v2_incompatible())).await;
    // Under FULL, v1 could not follow v2 (v2 cannot read v1 data) — but v1 is
    // already registered, so it comes back unchanged.
    s.put("/config/o", json!({"compatibility": "FULL"}))
        .await
        .ok();
    let again = s.post("/subjects/o/versions", avro(&order_v1())).await;
    assert_eq!(again.ok()["id"], id1);
    assert_eq!(again.ok()["version"], 1);
    assert_eq!(s.get("/subjects/o/versions").await.ok(), &json!([1, 2]));
}

#[tokio::test]
async fn lookup_finds_the_version() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    let (id, _) = s.register("o", avro(&order_v1())).await;
    s.register("o", avro(&order_v2_compatible())).await;
    let spaced = order_v1().replace(':', " : ");
    let r = s.post("/subjects/o", avro(&spaced)).await;
    let b = r.ok();
    assert_eq!(
        (
            b["subject"].as_str(),
            b["version"].as_i64(),
            b["id"].as_i64()
        ),
        (Some("o"), Some(1), Some(id))
    );
    assert_eq!(b["schema"], order_v1());

    s.post("/subjects/o", avro(&avro_record("Nope", &["z"], &[])))
        .await
        .assert_error(404, 40403);
    s.post("/subjects/missing", avro(&order_v1()))
        .await
        .assert_error(404, 40401);
    s.post("/subjects/o", avro("{not avro"))
        .await
        .assert_error(422, 42201);

    // Soft-deleted versions are found only with deleted=true.
    s.delete("/subjects/o/versions/1").await.ok();
    s.post("/subjects/o", avro(&order_v1()))
        .await
        .assert_error(404, 40403);
    let found = s.post("/subjects/o?deleted=true", avro(&order_v1())).await;
    assert_eq!(found.ok()["version"], 1);
    assert_eq!(found.ok()["deleted"], true);
}

#[tokio::test]
async fn soft_and_hard_delete_of_versions() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    let (id1, _) = s.register("o", avro(&order_v1())).await;
    s.register("o", avro(&order_v2_compatible())).await;

    assert_eq!(s.delete("/subjects/o/versions/1").await.ok(), &json!(1));
    assert_eq!(s.get("/subjects/o/versions").await.ok(), &json!([2]));
    assert_eq!(
        s.get("/subjects/o/versions?deleted=true").await.ok(),
        &json!([1, 2])
    );
    assert_eq!(
        s.get("/subjects/o/versions?deletedOnly=true").await.ok(),
        &json!([1])
    );
    assert_eq!(
        s.get("/subjects/o/versions?deletedAsNegative=true")
            .await
            .ok(),
        &json!([-1, 2])
    );
    s.get("/subjects/o/versions/1")
        .await
        .assert_error(404, 40402);
    assert_eq!(
        s.get("/subjects/o/versions/1?deleted=true").await.ok()["deleted"],
        true
    );
    // Old messages stay decodable.
    assert_eq!(
        s.get(&format!("/schemas/ids/{id1}")).await.ok()["schema"],
        order_v1()
    );

    s.delete("/subjects/o/versions/1")
        .await
        .assert_error(404, 40406);
    s.delete("/subjects/o/versions/2?permanent=true")
        .await
        .assert_error(404, 40407);
    s.delete("/subjects/o/versions/9")
        .await
        .assert_error(404, 40402);
    s.delete("/subjects/o/versions/0")
        .await
        .assert_error(422, 42202);
    s.delete("/subjects/nope/versions/1")
        .await
        .assert_error(404, 40401);

    assert_eq!(
        s.delete("/subjects/o/versions/1?permanent=true").await.ok(),
        &json!(1)
    );
    s.get(&format!("/schemas/ids/{id1}"))
        .await
        .assert_error(404, 40403);
    assert_eq!(
        s.get("/subjects/o/versions?deleted=true").await.ok(),
        &json!([2])
    );

    // Soft-deleted numbers are never reused.
    s.delete("/subjects/o/versions/latest").await.ok();
    let (_, v) = s
        .register("o", avro(&avro_record("Order", &["id", "z"], &[])))
        .await;
    assert_eq!(v, 3);
}

#[tokio::test]
async fn soft_and_hard_delete_of_subjects() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.register("o", avro(&order_v1())).await;
    s.register("o", avro(&order_v2_compatible())).await;
    s.delete("/subjects/o?permanent=true")
        .await
        .assert_error(404, 40405);
    assert_eq!(s.delete("/subjects/o").await.ok(), &json!([1, 2]));
    s.delete("/subjects/o").await.assert_error(404, 40404);
    assert_eq!(s.get("/subjects").await.ok(), &json!([]));
    assert_eq!(s.get("/subjects?deleted=true").await.ok(), &json!(["o"]));
    assert_eq!(
        s.get("/subjects?deletedOnly=true").await.ok(),
        &json!(["o"])
    );
    s.get("/subjects/o/versions").await.assert_error(404, 40401);
    s.get("/subjects/o/versions/latest")
        .await
        .assert_error(404, 40401);
    assert_eq!(
        s.get("/subjects/o/versions?deleted=true").await.ok(),
        &json!([1, 2])
    );

    assert_eq!(
        s.delete("/subjects/o?permanent=true").await.ok(),
        &json!([1, 2])
    );
    s.delete("/subjects/o").await.assert_error(404, 40401);
    assert_eq!(s.get("/subjects?deleted=true").await.ok(), &json!([]));
    // After a hard delete, numbering may start again.
    assert_eq!(s.register("o", avro(&order_v1())).await.1, 1);
}

#[tokio::test]
async fn reregistering_after_soft_delete_keeps_the_id() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    let (id, _) = s.register("o", avro(&order_v1())).await;
    s.delete("/subjects/o").await.ok();
    let (id2, v2) = s.register("o", avro(&order_v1())).await;
    assert_eq!((id2, v2), (id, 2));
    // The older soft-deleted version of the same content gave way.
    assert_eq!(
        s.get("/subjects/o/versions?deleted=true").await.ok(),
        &json!([2])
    );
}

fn address() -> String {
    json!({"type": "record", "name": "Address", "namespace": "com.example",
           "fields": [{"name": "street", "type": "string"}]})
    .to_string()
}

fn customer_with_ref(version: i64) -> Value {
    let schema = json!({"type": "record", "name": "Customer", "namespace": "com.example",
                        "fields": [{"name": "home", "type": "com.example.Address"}]});
    json!({
        "schema": schema.to_string(),
        "references": [{"name": "com.example.Address", "subject": "address", "version": version}]
    })
}

#[tokio::test]
async fn references_resolve_and_guard_deletes() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.register("address", avro(&address())).await;
    let (cust_id, _) = s.register("customer", customer_with_ref(1)).await;

    let v = s.get("/subjects/customer/versions/1").await;
    assert_eq!(
        v.ok()["references"],
        json!([{"name": "com.example.Address", "subject": "address", "version": 1}])
    );
    assert_eq!(
        s.get(&format!("/schemas/ids/{cust_id}")).await.ok()["references"][0]["subject"],
        "address"
    );
    assert_eq!(
        s.get("/subjects/address/versions/1/referencedby")
            .await
            .ok(),
        &json!([cust_id])
    );
    assert_eq!(
        s.get("/subjects/address/versions/latest/referencedby")
            .await
            .ok(),
        &json!([cust_id])
    );
    // Lookup with the same references finds it.
    assert_eq!(
        s.post("/subjects/customer", customer_with_ref(1))
            .await
            .ok()["id"],
        cust_id
    );

    s.delete("/subjects/address/versions/1")
        .await
        .assert_error(422, 42206);
    s.delete("/subjects/address").await.assert_error(422, 42206);
    // A reference to a version that does not exist is an invalid schema.
    s.post("/subjects/customer2/versions", customer_with_ref(7))
        .await
        .assert_error(422, 42201);
    // Without its reference the type is unknown.
    let bare = json!({"schema": customer_with_ref(1)["schema"]});
    s.post("/subjects/customer3/versions", bare)
        .await
        .assert_error(422, 42201);

    // Once the referrer is gone, the referenced version may go.
    s.delete("/subjects/customer").await.ok();
    assert_eq!(
        s.get("/subjects/address/versions/1/referencedby")
            .await
            .ok(),
        &json!([])
    );
    assert_eq!(
        s.get("/subjects/address/versions/1/referencedby?deleted=true")
            .await
            .ok(),
        &json!([cust_id])
    );
    s.delete("/subjects/address").await.ok();
    // A hard delete still waits for the soft-deleted referrer to go.
    s.delete("/subjects/address?permanent=true")
        .await
        .assert_error(422, 42206);
    s.delete("/subjects/customer?permanent=true").await.ok();
    s.delete("/subjects/address?permanent=true").await.ok();
}

#[tokio::test]
async fn json_schema_references() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    let point = json!({"type": "object", "properties": {"x": {"type": "number"}}});
    s.register("point", json_schema(&point)).await;
    let shape = json!({"type": "object", "properties": {"p": {"$ref": "point.json"}}});
    let body = json!({
        "schema": shape.to_string(), "schemaType": "JSON",
        "references": [{"name": "point.json", "subject": "point", "version": 1}]
    });
    let (id, v) = s.register("shape", body).await;
    assert_eq!(v, 1);
    assert_eq!(
        s.get("/subjects/point/versions/1/referencedby").await.ok(),
        &json!([id])
    );
}

#[tokio::test]
async fn contexts_have_their_own_ids() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    let (staging_id, _) = s.register(":.staging:orders", avro(&order_v1())).await;
    let (default_id, _) = s
        .register("payments", avro(&avro_record("Payment", &["p"], &[])))
        .await;
    assert_eq!((staging_id, default_id), (1, 1));
    assert_eq!(
        s.get("/subjects").await.ok(),
        &json!([":.staging:orders", "payments"])
    );
    assert_eq!(
        s.get("/subjects?subjectPrefix=:.staging:").await.ok(),
        &json!([":.staging:orders"])
    );
    assert_eq!(
        s.get("/subjects?subjectPrefix=pay").await.ok(),
        &json!(["payments"])
    );
    assert_eq!(
        s.get("/subjects?subjectPrefix=:*:")
            .await
            .ok()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        s.get("/schemas/ids/1?subject=:.staging:orders").await.ok()["schema"],
        order_v1()
    );
    assert_ne!(s.get("/schemas/ids/1").await.ok()["schema"], order_v1());
    let v = s.get("/subjects/:.staging:orders/versions/1").await;
    assert_eq!(v.ok()["subject"], ":.staging:orders");
    // The default context can be named explicitly.
    assert_eq!(
        s.get("/subjects/:.:payments/versions/1").await.ok()["subject"],
        "payments"
    );

    assert_eq!(s.get("/contexts").await.ok(), &json!([".", ".staging"]));
    s.delete("/contexts/.staging")
        .await
        .assert_error(422, 42211);
    s.delete("/contexts/.nope").await.assert_error(404, 40401);
    s.delete("/subjects/:.staging:orders").await.ok();
    s.delete("/subjects/:.staging:orders?permanent=true")
        .await
        .ok();
    let r = s.delete("/contexts/.staging").await;
    assert_eq!(r.status, 204);
    assert_eq!(s.get("/contexts").await.ok(), &json!(["."]));
}

#[tokio::test]
async fn unknown_fields_metadata_and_rule_sets_are_kept() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    let body = json!({
        "schema": order_v1(),
        "metadata": {"properties": {"owner": "team-a"}, "tags": {}},
        "ruleSet": {"domainRules": [{"name": "r", "kind": "CONDITION", "mode": "WRITE"}]},
        "x-custom": {"anything": [1, 2]}
    });
    let r = s.post("/subjects/m/versions", body.clone()).await;
    let b = r.ok();
    assert_eq!(b["metadata"], body["metadata"]);
    assert_eq!(b["ruleSet"], body["ruleSet"]);
    assert_eq!(b["x-custom"], body["x-custom"]);
    let id = b["id"].as_i64().unwrap();
    let got = s.get("/subjects/m/versions/1").await;
    assert_eq!(got.ok()["metadata"], body["metadata"]);
    assert_eq!(got.ok()["x-custom"], body["x-custom"]);
    assert_eq!(
        s.get(&format!("/schemas/ids/{id}")).await.ok()["ruleSet"],
        body["ruleSet"]
    );

    // Metadata is part of identity: the bare schema gets another id.
    let (bare_id, _) = s.register("m2", avro(&order_v1())).await;
    assert_ne!(bare_id, id);

    let found = s.get("/subjects/m/metadata?key=owner&value=team-a").await;
    assert_eq!(found.ok()["id"], id);
    s.get("/subjects/m/metadata?key=owner&value=team-b")
        .await
        .assert_error(404, 40403);
    s.get("/subjects/nope/metadata?key=owner&value=team-a")
        .await
        .assert_error(404, 40401);
    // A lookup without metadata still finds the version.
    assert_eq!(
        s.post("/subjects/m", avro(&order_v1())).await.ok()["id"],
        id
    );
}

#[tokio::test]
async fn normalize_merges_equivalent_texts() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    let ab = r#"{"type":"record","name":"N","fields":[{"name":"f","type":"string"}],"b":1,"a":2}"#;
    let ba = r#"{"type":"record","name":"N","fields":[{"name":"f","type":"string"}],"a":2,"b":1}"#;
    let r1 = s
        .post("/subjects/n/versions?normalize=true", avro(ab))
        .await;
    let r2 = s
        .post("/subjects/n/versions?normalize=true", avro(ba))
        .await;
    assert_eq!(r1.ok()["id"], r2.ok()["id"]);
    assert_eq!(s.get("/subjects/n/versions").await.ok(), &json!([1]));
    // Without normalizing, property order is part of the text.
    let (plain_ab, _) = s.register("p", avro(ab)).await;
    let (plain_ba, _) = s.register("q", avro(ba)).await;
    assert_ne!(plain_ab, plain_ba);
    // The subject's config can turn normalization on.
    s.put(
        "/config/r",
        json!({"compatibility": "NONE", "normalize": true}),
    )
    .await
    .ok();
    let (r_ab, _) = s.register("r", avro(ab)).await;
    let (r_ba, _) = s.register("r", avro(ba)).await;
    assert_eq!(r_ab, r_ba);
    assert_eq!(
        s.post("/subjects/n?normalize=true", avro(ba)).await.ok()["version"],
        1
    );
}
