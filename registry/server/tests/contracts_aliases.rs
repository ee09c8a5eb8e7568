//! Config-driven metadata and rule sets (`defaultMetadata`, `overrideMetadata`,
//! `defaultRuleSet`, `overrideRuleSet`, carry-forward from the latest version)
//! and subject aliases, over HTTP against the real server.

mod common;

use common::{Server, TempDir, avro, avro_record};
use serde_json::{Value, json};

fn rule(name: &str) -> Value {
    json!({"name": name, "kind": "CONDITION", "type": "CEL", "mode": "WRITE", "expr": "true"})
}

fn rule_names(v: &Value) -> Vec<&str> {
    v["ruleSet"]["domainRules"]
        .as_array()
        .map(|rules| rules.iter().filter_map(|r| r["name"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn config_defaults_and_overrides_shape_the_stored_version() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.put(
        "/config/orders",
        json!({
            "defaultMetadata": {"properties": {"owner": "platform", "tier": "3"}, "sensitive": ["ssn"]},
            "overrideMetadata": {"properties": {"tier": "1"}},
            "defaultRuleSet": {"domainRules": [rule("d"), rule("shared")]},
            "overrideRuleSet": {"domainRules": [rule("o")]},
        }),
    )
    .await
    .ok();

    // Request metadata sits between the default and the override.
    let mut req = avro(&avro_record("Order", &["id"], &[]));
    req["metadata"] =
        json!({"properties": {"owner": "team-a", "tier": "2"}, "sensitive": ["card"]});
    req["ruleSet"] = json!({"domainRules": [{"name": "shared", "kind": "TRANSFORM", "type": "CEL_FIELD", "mode": "WRITE", "expr": "x"}]});
    let r = s.post("/subjects/orders/versions", req.clone()).await;
    let v1 = r.ok().clone();
    assert_eq!(v1["version"], 1);
    let metadata =
        json!({"properties": {"owner": "team-a", "tier": "1"}, "sensitive": ["card", "ssn"]});
    assert_eq!(v1["metadata"], metadata);
    assert_eq!(rule_names(&v1), ["d", "shared", "o"]);
    assert_eq!(v1["ruleSet"]["domainRules"][1]["kind"], "TRANSFORM");

    // What is stored is what reads return.
    let got = s.get("/subjects/orders/versions/1").await;
    assert_eq!(got.ok()["metadata"], metadata);
    assert_eq!(got.ok()["ruleSet"], v1["ruleSet"]);
    let by_id = s.get(&format!("/schemas/ids/{}", v1["id"])).await;
    assert_eq!(by_id.ok()["metadata"], metadata);

    // The same request again has the same effective content: same version.
    let again = s.post("/subjects/orders/versions", req.clone()).await;
    assert_eq!(
        (again.ok()["id"].clone(), again.ok()["version"].clone()),
        (v1["id"].clone(), json!(1))
    );
    assert_eq!(s.get("/subjects/orders/versions").await.ok(), &json!([1]));

    // A lookup with the request as sent finds the version it was stored as,
    // and one without metadata matches on the schema alone.
    let found = s.post("/subjects/orders", req.clone()).await;
    assert_eq!(found.ok()["version"], 1);
    assert_eq!(found.ok()["metadata"], metadata);
    let bare = s
        .post(
            "/subjects/orders",
            avro(&avro_record("Order", &["id"], &[])),
        )
        .await;
    assert_eq!(bare.ok()["version"], 1);
    // Metadata that registration would not have produced is not found.
    let mut other = req.clone();
    other["metadata"] = json!({"properties": {"owner": "team-b"}});
    s.post("/subjects/orders", other)
        .await
        .assert_error(404, 40403);

    // A config value of the wrong shape is refused up front.
    s.put("/config/orders", json!({"defaultMetadata": "x"}))
        .await
        .assert_error(422, 422);
    s.put(
        "/config/orders",
        json!({"overrideRuleSet": {"domainRules": [{"type": "CEL"}]}}),
    )
    .await
    .assert_error(422, 42210);
}

#[tokio::test]
async fn defaults_resolve_through_context_and_global_config() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.put(
        "/config",
        json!({"defaultMetadata": {"properties": {"from": "global"}}}),
    )
    .await
    .ok();
    s.put(
        "/config/:.ctx:",
        json!({"defaultMetadata": {"properties": {"from": "context"}}}),
    )
    .await
    .ok();

    let plain = s.post("/subjects/a/versions", avro("\"string\"")).await;
    assert_eq!(
        plain.ok()["metadata"],
        json!({"properties": {"from": "global"}})
    );
    let in_ctx = s
        .post("/subjects/:.ctx:a/versions", avro("\"string\""))
        .await;
    assert_eq!(
        in_ctx.ok()["metadata"],
        json!({"properties": {"from": "context"}})
    );
    // Subject-level config wins over both.
    s.put(
        "/config/b",
        json!({"defaultRuleSet": {"domainRules": [rule("b-only")]}}),
    )
    .await
    .ok();
    let b = s.post("/subjects/b/versions", avro("\"string\"")).await;
    assert_eq!(rule_names(b.ok()), ["b-only"]);
    assert_eq!(
        b.ok()["metadata"],
        json!({"properties": {"from": "global"}})
    );
}

#[tokio::test]
async fn metadata_and_rule_set_carry_forward_from_the_latest_version() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.put("/config/c", json!({"compatibility": "NONE"}))
        .await
        .ok();
    let schema = |fields: &[&str]| avro_record("C", fields, &[]);

    let mut v1 = avro(&schema(&["a"]));
    v1["metadata"] = json!({"properties": {"owner": "team-a"}});
    v1["ruleSet"] = json!({"domainRules": [rule("r1")]});
    s.register("c", v1).await;

    // Neither given: both carried forward.
    let r = s
        .post("/subjects/c/versions", avro(&schema(&["a", "b"])))
        .await;
    let v2 = r.ok();
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["metadata"], json!({"properties": {"owner": "team-a"}}));
    assert_eq!(rule_names(v2), ["r1"]);

    // Metadata given replaces the previous one (no merge with it); the rule
    // set, not given, is still carried forward.
    let mut v3 = avro(&schema(&["a", "b", "c"]));
    v3["metadata"] = json!({"properties": {"team": "b"}});
    let r = s.post("/subjects/c/versions", v3).await;
    let v3 = r.ok().clone();
    assert_eq!(v3["version"], 3);
    assert_eq!(v3["metadata"], json!({"properties": {"team": "b"}}));
    assert_eq!(rule_names(&v3), ["r1"]);

    // Re-registering the latest schema bare carries its own metadata forward:
    // the same content, so the same version, not a new one.
    let again = s
        .post("/subjects/c/versions", avro(&schema(&["a", "b", "c"])))
        .await;
    assert_eq!(again.ok()["version"], 3);
    assert_eq!(again.ok()["id"], v3["id"]);

    // Carry-forward follows the latest live version: with v3 soft-deleted,
    // v2's metadata is the one carried.
    s.delete("/subjects/c/versions/3").await.ok();
    let r = s
        .post("/subjects/c/versions", avro(&schema(&["a", "b", "c", "d"])))
        .await;
    assert_eq!(
        r.ok()["metadata"],
        json!({"properties": {"owner": "team-a"}})
    );
}

#[tokio::test]
async fn import_mode_stores_versions_exactly_as_sent() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.put(
        "/config/i",
        json!({"defaultMetadata": {"properties": {"owner": "platform"}}}),
    )
    .await
    .ok();
    s.put("/mode/i", json!({"mode": "IMPORT"})).await.ok();
    let mut req = avro("\"string\"");
    req["id"] = json!(7);
    req["version"] = json!(1);
    let r = s.post("/subjects/i/versions", req).await;
    assert!(r.ok().get("metadata").is_none(), "{}", r.text);
}

#[tokio::test]
async fn aliases_redirect_subject_endpoints() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    let a = avro_record("Order", &["id"], &[]);
    let (id, _) = s.register("orders", avro(&a)).await;
    s.put("/config/shop", json!({"alias": "orders"})).await.ok();

    // Reads through the alias answer for the aliased subject.
    assert_eq!(s.get("/subjects/shop/versions").await.ok(), &json!([1]));
    let v = s.get("/subjects/shop/versions/1").await;
    assert_eq!(v.ok()["subject"], "orders");
    assert_eq!(v.ok()["id"], id);
    assert_eq!(s.get("/subjects/shop/versions/latest/schema").await.text, a);
    assert_eq!(
        s.get("/subjects/shop/versions/1/referencedby").await.ok(),
        &json!([])
    );
    let found = s.post("/subjects/shop", avro(&a)).await;
    assert_eq!(
        (found.ok()["subject"].clone(), found.ok()["version"].clone()),
        (json!("orders"), json!(1))
    );
    let compat = s
        .post("/compatibility/subjects/shop/versions/latest", avro(&a))
        .await;
    assert_eq!(compat.ok()["is_compatible"], true);

    // So do writes, as Confluent's filter rewrites the path for every method.
    let b = avro_record(
        "Order",
        &["id"],
        &[json!({"name": "note", "type": "string", "default": ""})],
    );
    let r = s.post("/subjects/shop/versions", avro(&b)).await;
    assert_eq!(r.ok()["version"], 2);
    assert_eq!(
        s.get("/subjects/orders/versions").await.ok(),
        &json!([1, 2])
    );
    assert_eq!(s.delete("/subjects/shop/versions/2").await.ok(), &json!(2));
    assert_eq!(s.get("/subjects/orders/versions").await.ok(), &json!([1]));

    // Config, mode and the subject list address the alias itself.
    assert_eq!(s.get("/config/shop").await.ok()["alias"], "orders");
    s.get("/config/orders").await.assert_error(404, 40408);
    s.get("/mode/shop").await.assert_error(404, 40409);
    assert_eq!(s.get("/subjects").await.ok(), &json!(["orders"]));

    // Removing the alias ends the redirection.
    s.put("/config/shop", json!({"alias": ""})).await.ok();
    s.get("/subjects/shop/versions")
        .await
        .assert_error(404, 40401);
}

#[tokio::test]
async fn alias_to_a_missing_subject_is_subject_not_found() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.put("/config/ghost", json!({"alias": "nobody"}))
        .await
        .ok();
    let r = s.get("/subjects/ghost/versions").await;
    r.assert_error(404, 40401);
    assert!(
        r.body["message"].as_str().unwrap().contains("nobody"),
        "the error names the aliased subject: {}",
        r.text
    );
    s.get("/subjects/ghost/versions/1")
        .await
        .assert_error(404, 40401);
    s.get("/subjects/ghost/versions/latest/schema")
        .await
        .assert_error(404, 40401);
    s.post("/subjects/ghost", avro("\"string\""))
        .await
        .assert_error(404, 40401);
    s.delete("/subjects/ghost").await.assert_error(404, 40401);
    // Registering through it creates the aliased subject.
    s.register("ghost", avro("\"string\"")).await;
    assert_eq!(s.get("/subjects").await.ok(), &json!(["nobody"]));
}

#[tokio::test]
async fn aliases_resolve_within_contexts() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    let in_ctx = avro_record("InCtx", &["a"], &[]);
    let in_default = avro_record("InDefault", &["b"], &[]);
    let (ctx_id, _) = s.register(":.ctx:orders", avro(&in_ctx)).await;
    let (default_id, _) = s.register("orders", avro(&in_default)).await;
    assert_eq!(ctx_id, default_id, "ids are per context");

    // An unqualified alias stays in the aliasing subject's context.
    s.put("/config/:.ctx:shop", json!({"alias": "orders"}))
        .await
        .ok();
    let v = s.get("/subjects/:.ctx:shop/versions/1").await;
    assert_eq!(v.ok()["subject"], ":.ctx:orders");
    // A qualified one crosses contexts.
    s.put("/config/cross", json!({"alias": ":.ctx:orders"}))
        .await
        .ok();
    let v = s.get("/subjects/cross/versions/latest").await;
    assert_eq!(v.ok()["subject"], ":.ctx:orders");
    assert_eq!(v.ok()["schema"], in_ctx);

    // `/schemas/ids/{id}?subject=` picks the context through the alias.
    let by_alias = s.get(&format!("/schemas/ids/{ctx_id}?subject=cross")).await;
    assert_eq!(by_alias.ok()["schema"], in_ctx);
    let plain = s
        .get(&format!("/schemas/ids/{ctx_id}?subject=orders"))
        .await;
    assert_eq!(plain.ok()["schema"], in_default);
    let versions = s
        .get(&format!("/schemas/ids/{ctx_id}/versions?subject=cross"))
        .await;
    assert_eq!(
        versions.ok(),
        &json!([{"subject": ":.ctx:orders", "version": 1}])
    );
}
