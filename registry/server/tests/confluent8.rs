//! Confluent 8.x surfaces and the rendering parameters: stored GUIDs, `ts`,
//! references to "latest" (-1), `format`, `referenceFormat`, `findTags`, and
//! `POST /subjects/{s}/versions/{v}/tags`.

mod common;

use common::*;
use serde_json::{Value, json};

fn address() -> String {
    json!({"type": "record", "name": "Address", "namespace": "com.example",
           "fields": [{"name": "street", "type": "string"}]})
    .to_string()
}

fn address_v2() -> String {
    json!({"type": "record", "name": "Address", "namespace": "com.example",
           "fields": [{"name": "street", "type": "string"},
                      {"name": "city", "type": "string", "default": ""}]})
    .to_string()
}

/// A Customer using Address twice (the second use must stay a name) and
/// referencing `address` at `version`.
fn customer(version: i64) -> Value {
    let schema = json!({"type": "record", "name": "Customer", "namespace": "com.example",
                        "fields": [{"name": "home", "type": "com.example.Address"},
                                   {"name": "work", "type": ["null", "Address"], "default": null}]});
    json!({
        "schema": schema.to_string(),
        "references": [{"name": "com.example.Address", "subject": "address", "version": version}]
    })
}

#[tokio::test]
async fn guids_are_stored_shared_by_content_and_stable() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    let r = s.post("/subjects/a/versions", avro(&order_v1())).await;
    let guid = r.ok()["guid"].as_str().unwrap().to_owned();
    assert_eq!(guid.len(), 36, "{guid}");
    s.register(":.other:b", avro(&order_v1())).await;
    assert_eq!(
        s.get("/subjects/:.other:b/versions/1").await.ok()["guid"],
        guid.as_str(),
        "one content, one guid, in every context"
    );
    assert_eq!(
        s.get(&format!("/schemas/guids/{guid}/ids")).await.ok(),
        &json!([{"context": ".", "id": 1}, {"context": ".other", "id": 1}])
    );
    // Case does not matter in a UUID.
    let upper = guid.to_ascii_uppercase();
    assert_eq!(
        s.get(&format!("/schemas/guids/{upper}")).await.ok()["schema"],
        order_v1()
    );
    // Other content, other guid.
    let (_, _) = s.register("a", avro(&order_v2_compatible())).await;
    assert_ne!(
        s.get("/subjects/a/versions/2").await.ok()["guid"],
        guid.as_str()
    );
    s.stop().await;

    // Stored: the same after a restart.
    let s = Server::start(&dir).await;
    assert_eq!(
        s.get("/subjects/a/versions/1").await.ok()["guid"],
        guid.as_str()
    );
    assert_eq!(
        s.get(&format!("/schemas/guids/{guid}")).await.ok()["schema"],
        order_v1()
    );
    // A hard delete of every use of the content forgets the guid.
    s.delete("/subjects/:.other:b").await.ok();
    s.delete("/subjects/:.other:b?permanent=true").await.ok();
    assert_eq!(
        s.get(&format!("/schemas/guids/{guid}/ids")).await.ok(),
        &json!([{"context": ".", "id": 1}])
    );
}

#[tokio::test]
async fn ts_is_the_registration_time() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    let before = now_millis();
    let r = s.post("/subjects/a/versions", avro(&order_v1())).await;
    let ts = r.ok()["ts"].as_i64().unwrap();
    assert!((before..=now_millis()).contains(&ts), "ts {ts}");
    assert_eq!(s.get("/subjects/a/versions/1").await.ok()["ts"], ts);
    assert_eq!(s.get("/schemas").await.ok()[0]["ts"], ts);
    // Re-registering returns the existing version, with its time.
    assert_eq!(
        s.post("/subjects/a/versions", avro(&order_v1())).await.ok()["ts"],
        ts
    );
    // Lookups show it; soft delete keeps it.
    assert_eq!(
        s.post("/subjects/a", avro(&order_v1())).await.ok()["ts"],
        ts
    );
    s.delete("/subjects/a/versions/1").await.ok();
    assert_eq!(
        s.get("/subjects/a/versions/1?deleted=true").await.ok()["ts"],
        ts
    );
    s.stop().await;
    let s = Server::start(&dir).await;
    assert_eq!(
        s.get("/subjects/a/versions/1?deleted=true").await.ok()["ts"],
        ts
    );
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test]
async fn references_to_latest_hold_the_latest_version() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.register("address", avro(&address())).await;
    let (cust, _) = s.register("customer", customer(-1)).await;

    assert_eq!(
        s.get("/subjects/address/versions/1/referencedby")
            .await
            .ok(),
        &json!([cust])
    );
    s.delete("/subjects/address/versions/1")
        .await
        .assert_error(422, 42206);
    s.delete("/subjects/address").await.assert_error(422, 42206);

    // A new latest takes the hold over; the old version is free to go.
    s.register("address", avro(&address_v2())).await;
    assert_eq!(
        s.get("/subjects/address/versions/1/referencedby")
            .await
            .ok(),
        &json!([])
    );
    assert_eq!(
        s.get("/subjects/address/versions/latest/referencedby")
            .await
            .ok(),
        &json!([cust])
    );
    s.delete("/subjects/address/versions/2")
        .await
        .assert_error(422, 42206);
    assert_eq!(s.delete("/subjects/address/versions/1").await.ok(), 1);
    s.delete("/subjects/address").await.assert_error(422, 42206);

    // An exact reference and a floating one to the same version both count,
    // once each.
    let (pinned, _) = s.register("pinned", customer(2)).await;
    assert_eq!(
        s.get("/subjects/address/versions/2/referencedby")
            .await
            .ok(),
        &json!([cust, pinned])
    );

    // Once the referrers are gone, so is the hold.
    s.delete("/subjects/customer").await.ok();
    s.delete("/subjects/pinned").await.ok();
    assert_eq!(s.delete("/subjects/address").await.ok(), &json!([2]));
    s.delete("/subjects/address?permanent=true")
        .await
        .assert_error(422, 42206);
    s.delete("/subjects/customer?permanent=true").await.ok();
    s.delete("/subjects/pinned?permanent=true").await.ok();
    s.delete("/subjects/address?permanent=true").await.ok();
    s.stop().await;

    // The hold is rebuilt from the store on restart.
    let s = Server::start(&dir).await;
    s.register("address", avro(&address())).await;
    s.register("customer", customer(-1)).await;
    s.stop().await;
    let s = Server::start(&dir).await;
    s.delete("/subjects/address/versions/latest")
        .await
        .assert_error(422, 42206);
}

#[tokio::test]
async fn format_resolved_inlines_references() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.register("address", avro(&address())).await;
    let (cust, _) = s.register("customer", customer(1)).await;

    let stored = s.get("/subjects/customer/versions/1").await;
    let stored_text = stored.ok()["schema"].as_str().unwrap().to_owned();
    for path in [
        format!("/schemas/ids/{cust}?format=resolved"),
        "/subjects/customer/versions/1?format=RESOLVED".to_owned(),
    ] {
        let r = s.get(&path).await;
        let text: Value = serde_json::from_str(r.ok()["schema"].as_str().unwrap()).unwrap();
        // Defined at its first use, named at the second.
        assert_eq!(text["fields"][0]["type"]["type"], "record", "{path}");
        assert_eq!(
            text["fields"][0]["type"]["name"], "com.example.Address",
            "{path}"
        );
        assert_eq!(text["fields"][1]["type"][1], "Address", "{path}");
        // References stay listed: the response still says where types came from.
        assert_eq!(r.ok()["references"][0]["subject"], "address");
    }
    // The self-contained text is a valid schema on its own.
    let resolved = s
        .get("/subjects/customer/versions/1/schema?format=resolved")
        .await;
    assert_eq!(resolved.status, 200);
    s.post("/subjects/standalone/versions", avro(&resolved.text))
        .await
        .ok();
    // The default format is the stored text; Protobuf-only formats do not
    // apply to Avro and change nothing.
    for f in ["", "default", "serialized", "ignore_extensions"] {
        assert_eq!(
            s.get(&format!("/subjects/customer/versions/1?format={f}"))
                .await
                .ok()["schema"],
            stored_text.as_str(),
            "format={f}"
        );
    }
    // A schema without references is its own resolved form.
    assert_eq!(
        s.get("/subjects/address/versions/1?format=resolved")
            .await
            .ok()["schema"],
        s.get("/subjects/address/versions/1").await.ok()["schema"]
    );
    // Unknown formats, and formats of another schema type, are refused.
    s.get("/subjects/customer/versions/1?format=xml")
        .await
        .assert_error(422, 422);
    s.register("doc", json_schema(&json!({"type": "string"})))
        .await;
    s.get("/subjects/doc/versions/1?format=resolved")
        .await
        .assert_error(422, 422);
    assert_eq!(
        s.get("/subjects/doc/versions/1?format=default")
            .await
            .status,
        200
    );
    // Registration and lookup answer in the format asked for.
    let reg = s
        .post("/subjects/customer/versions?format=resolved", customer(1))
        .await;
    assert_eq!(reg.ok()["id"], cust);
    assert!(reg.ok()["schema"].as_str().unwrap().contains("street"));
    let look = s
        .post("/subjects/customer?format=resolved", customer(1))
        .await;
    assert!(look.ok()["schema"].as_str().unwrap().contains("street"));
}

#[tokio::test]
async fn reference_format_qualified() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.register("address", avro(&address())).await;
    let (cust, _) = s.register("customer", customer(1)).await;
    assert_eq!(
        s.get(&format!("/schemas/ids/{cust}?referenceFormat=qualified"))
            .await
            .ok()["references"][0]["subject"],
        ":.:address"
    );
    s.register(":.ctx:address", avro(&address())).await;
    s.register(":.ctx:customer", customer(1)).await;
    assert_eq!(
        s.get("/subjects/:.ctx:customer/versions/1?referenceFormat=qualified")
            .await
            .ok()["references"][0]["subject"],
        ":.ctx:address"
    );
    assert_eq!(
        s.get("/subjects/:.ctx:customer/versions/1").await.ok()["references"][0]["subject"],
        "address"
    );
    s.get("/subjects/customer/versions/1?referenceFormat=weird")
        .await
        .assert_error(422, 422);
}

fn order_request() -> Value {
    let schema = json!({"type": "record", "name": "Order", "namespace": "shop", "fields": [
        {"name": "id", "type": "string"},
        {"name": "card", "type": "string"}
    ]});
    json!({"schema": schema.to_string(),
           "metadata": {"properties": {"owner": "team-a"}},
           "ruleSet": {"domainRules": [{"name": "r1", "kind": "CONDITION", "type": "CEL", "expr": "true"}]}})
}

fn entity(kind: &str, path: &str, tags: &[&str]) -> Value {
    json!({"schemaEntity": {"entityPath": path, "entityType": kind}, "tags": tags})
}

#[tokio::test]
async fn tags_are_added_found_and_removed() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.register("orders", order_request()).await;

    let r = s
        .post(
            "/subjects/orders/versions/latest/tags",
            json!({"tagsToAdd": [entity("sr_field", "shop.Order.card", &["PII", "PCI"]),
                                 entity("sr_record", "shop.Order", &["SALES"])],
                   "rulesToMerge": {"domainRules": [{"name": "r2", "kind": "CONDITION", "type": "CEL", "expr": "false"}]}}),
        )
        .await;
    let v2 = r.ok();
    assert_eq!(v2["version"], 2);
    let text: Value = serde_json::from_str(v2["schema"].as_str().unwrap()).unwrap();
    assert_eq!(text["fields"][1]["confluent:tags"], json!(["PII", "PCI"]));
    assert_eq!(text["confluent:tags"], json!(["SALES"]));
    // Metadata carries over; the rule set is merged by name.
    assert_eq!(v2["metadata"]["properties"]["owner"], "team-a");
    let names: Vec<&str> = v2["ruleSet"]["domainRules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["r1", "r2"]);

    // findTags reports the tagged entities, filtered by tag.
    let found = s.get("/subjects/orders/versions/2?findTags=PII").await;
    assert_eq!(
        found.ok()["schemaTags"],
        json!([{"schemaEntity": {"entityPath": "shop.Order.card", "entityType": "sr_field"},
                "tags": ["PII"]}])
    );
    let all = s.get("/subjects/orders/versions/2?findTags=*").await;
    assert_eq!(all.ok()["schemaTags"].as_array().unwrap().len(), 2);
    let two = s
        .get("/subjects/orders/versions/2?findTags=SALES&findTags=PCI")
        .await;
    assert_eq!(two.ok()["schemaTags"].as_array().unwrap().len(), 2);
    assert!(
        s.get("/subjects/orders/versions/1?findTags=*")
            .await
            .ok()
            .get("schemaTags")
            .is_none()
    );
    assert!(
        s.get("/subjects/orders/versions/2")
            .await
            .ok()
            .get("schemaTags")
            .is_none(),
        "no findTags, no schemaTags"
    );
    let id2 = v2["id"].as_i64().unwrap();
    assert_eq!(
        s.get(&format!("/schemas/ids/{id2}?findTags=PCI"))
            .await
            .ok()["schemaTags"][0]["tags"],
        json!(["PCI"])
    );

    // Removing them, recording the new version in the metadata.
    let r = s
        .post(
            "/subjects/orders/versions/2/tags",
            json!({"newVersion": 3,
                   "tagsToRemove": [entity("sr_field", "shop.Order.card", &["PII", "PCI"])],
                   "rulesToRemove": ["r1"]}),
        )
        .await;
    let v3 = r.ok();
    assert_eq!(v3["version"], 3);
    assert!(!v3["schema"].as_str().unwrap().contains("PII"));
    assert!(v3["schema"].as_str().unwrap().contains("SALES"));
    assert_eq!(v3["metadata"]["properties"]["confluent:version"], "3");
    assert_eq!(v3["ruleSet"]["domainRules"][0]["name"], "r2");

    // A newVersion that is not next is refused; so are unknown entities.
    s.post(
        "/subjects/orders/versions/3/tags",
        json!({"newVersion": 9, "tagsToAdd": [entity("sr_record", "shop.Order", &["X"])]}),
    )
    .await
    .assert_error(422, 42205);
    s.post(
        "/subjects/orders/versions/3/tags",
        json!({"tagsToAdd": [entity("sr_field", "shop.Order.nope", &["X"])]}),
    )
    .await
    .assert_error(422, 42201);
    s.post(
        "/subjects/orders/versions/3/tags",
        json!({"tagsToAdd": [entity("sr_thing", "shop.Order", &["X"])]}),
    )
    .await
    .assert_error(422, 42201);
    s.post("/subjects/orders/versions/3/tags", json!({"tagsToAdd": 5}))
        .await
        .assert_error(422, 422);
    s.post("/subjects/orders/versions/0/tags", json!({}))
        .await
        .assert_error(422, 42202);
    s.post("/subjects/orders/versions/7/tags", json!({}))
        .await
        .assert_error(404, 40402);
    s.post("/subjects/none/versions/1/tags", json!({}))
        .await
        .assert_error(404, 40401);

    // JSON Schema tags are not supported here, and say so.
    s.register("doc", json_schema(&json!({"type": "string"})))
        .await;
    s.post(
        "/subjects/doc/versions/1/tags",
        json!({"tagsToAdd": [entity("sr_field", "x.y", &["X"])]}),
    )
    .await
    .assert_error(422, 42201);

    // A read-only subject takes no new tagged version.
    s.put("/mode/orders", json!({"mode": "READONLY"}))
        .await
        .ok();
    s.post(
        "/subjects/orders/versions/3/tags",
        json!({"tagsToAdd": [entity("sr_record", "shop.Order", &["X"])]}),
    )
    .await
    .assert_error(422, 42205);
    assert_eq!(
        s.get("/subjects/orders/versions").await.ok(),
        &json!([1, 2, 3])
    );
}

#[tokio::test]
async fn schema_list_filters_by_rule_type_and_lists_aliases() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.register("orders", order_request()).await;
    s.register("plain", avro(&address())).await;
    let subjects = |r: &Resp| -> Vec<String> {
        r.ok()
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["subject"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(subjects(&s.get("/schemas?ruleType=CEL").await), ["orders"]);
    assert_eq!(subjects(&s.get("/schemas?ruleType=cel").await), ["orders"]);
    assert!(subjects(&s.get("/schemas?ruleType=ENCRYPT").await).is_empty());
    assert_eq!(subjects(&s.get("/schemas?ruleType=").await).len(), 2);

    s.put("/config/shop", json!({"alias": "orders"})).await.ok();
    assert_eq!(subjects(&s.get("/schemas").await), ["orders", "plain"]);
    assert_eq!(
        subjects(&s.get("/schemas?aliases=true").await),
        ["orders", "plain", "shop"]
    );
    let aliased = s.get("/schemas?aliases=true&subjectPrefix=sh").await;
    assert_eq!(subjects(&aliased), ["shop"]);
    assert_eq!(
        aliased.ok()[0]["id"],
        s.get("/subjects/orders/versions/1").await.ok()["id"]
    );
}

#[tokio::test]
async fn malformed_rule_sets_are_42210() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    for rule_set in [
        json!({"domainRules": "x"}),
        json!({"domainRules": [{"kind": "CONDITION"}]}),
        json!({"domainRules": [{"name": "r", "mode": "UPGRADE"}]}),
        json!({"migrationRules": [{"name": "r", "mode": "WRITE"}]}),
        json!({"domainRules": [{"name": "r", "kind": "SOMETIMES"}]}),
    ] {
        s.post(
            "/subjects/r/versions",
            json!({"schema": "\"string\"", "ruleSet": rule_set}),
        )
        .await
        .assert_error(422, 42210);
    }
    s.get("/subjects/r/versions").await.assert_error(404, 40401);
    // Unknown fields of a rule are kept.
    let ok = json!({"domainRules": [{"name": "r", "kind": "CONDITION", "mode": "WRITE",
                                      "type": "CEL", "expr": "true", "x-new": 1}]});
    let r = s
        .post(
            "/subjects/r/versions",
            json!({"schema": "\"string\"", "ruleSet": ok}),
        )
        .await;
    assert_eq!(r.ok()["ruleSet"], ok);
    // The tags endpoint checks the rule set it would register.
    s.post(
        "/subjects/r/versions/1/tags",
        json!({"rulesToMerge": {"domainRules": [{"name": "q", "mode": "UPDOWN"}]}}),
    )
    .await
    .assert_error(422, 42210);
}

#[tokio::test]
async fn registration_takes_schema_tags() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    let mut body = order_request();
    body["schemaTagsToAdd"] = json!([entity("sr_field", "shop.Order.card", &["PII"])]);
    let v1 = s.post("/subjects/orders/versions", body.clone()).await;
    let text: Value = serde_json::from_str(v1.ok()["schema"].as_str().unwrap()).unwrap();
    assert_eq!(text["fields"][1]["confluent:tags"], json!(["PII"]));
    assert!(
        v1.ok().get("schemaTagsToAdd").is_none(),
        "not echoed as an unknown field"
    );
    // The same request again is the same version; a lookup applies the tags too.
    assert_eq!(
        s.post("/subjects/orders/versions", body.clone()).await.ok()["version"],
        1
    );
    assert_eq!(s.post("/subjects/orders", body).await.ok()["version"], 1);

    // propagateSchemaTags carries tags of the latest version to entities that remain.
    let v2 = json!({"schema": json!({"type": "record", "name": "Order", "namespace": "shop", "fields": [
            {"name": "id", "type": "string"},
            {"name": "card", "type": "string"},
            {"name": "note", "type": "string", "default": ""}]}).to_string(),
        "propagateSchemaTags": true,
        "schemaTagsToAdd": [entity("sr_field", "shop.Order.note", &["FREE_TEXT"])]});
    let r = s.post("/subjects/orders/versions", v2).await;
    let text: Value = serde_json::from_str(r.ok()["schema"].as_str().unwrap()).unwrap();
    assert_eq!(r.ok()["version"], 2);
    assert_eq!(text["fields"][1]["confluent:tags"], json!(["PII"]));
    assert_eq!(text["fields"][2]["confluent:tags"], json!(["FREE_TEXT"]));

    let mut bad = order_request();
    bad["schemaTagsToAdd"] = json!("PII");
    s.post("/subjects/orders/versions", bad)
        .await
        .assert_error(422, 422);
    let mut missing = order_request();
    missing["schemaTagsToAdd"] = json!([entity("sr_field", "shop.Order.nope", &["PII"])]);
    s.post("/subjects/orders/versions", missing)
        .await
        .assert_error(422, 42201);
    let mut json_tags = json_schema(&json!({"type": "string"}));
    json_tags["schemaTagsToAdd"] = json!([entity("sr_record", "x", &["PII"])]);
    s.post("/subjects/doc/versions", json_tags)
        .await
        .assert_error(422, 42201);
}

#[tokio::test]
async fn compatibility_groups_split_the_check() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.put(
        "/config/orders",
        json!({"compatibility": "BACKWARD", "compatibilityGroup": "major"}),
    )
    .await
    .ok();
    let with_major = |schema: String, major: &str| json!({"schema": schema, "metadata": {"properties": {"major": major}}});
    s.register("orders", with_major(order_v1(), "1")).await;
    // Breaking v1 within group 1 is refused ...
    s.post(
        "/subjects/orders/versions",
        with_major(order_v2_incompatible(), "1"),
    )
    .await
    .assert_error(409, 409);
    let test = s
        .post(
            "/compatibility/subjects/orders/versions",
            with_major(order_v2_incompatible(), "1"),
        )
        .await;
    assert_eq!(test.ok()["is_compatible"], false);
    // ... but starts group 2 freely, and group 2 is then checked on its own.
    let test = s
        .post(
            "/compatibility/subjects/orders/versions",
            with_major(order_v2_incompatible(), "2"),
        )
        .await;
    assert_eq!(test.ok()["is_compatible"], true);
    let (_, v) = s
        .register("orders", with_major(order_v2_incompatible(), "2"))
        .await;
    assert_eq!(v, 2);
    s.post(
        "/subjects/orders/versions",
        with_major(avro_record("Order", &["id", "y"], &[]), "2"),
    )
    .await
    .assert_error(409, 409);
    // Without the group setting every live version counts again.
    s.delete("/config/orders").await.ok();
    s.post(
        "/subjects/orders/versions",
        with_major(avro_record("Order", &["id", "x"], &[]), "3"),
    )
    .await
    .assert_error(409, 409);
}
