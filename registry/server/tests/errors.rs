//! Bad input, framework errors, media types, restart durability, and the small
//! endpoints.

mod common;

use common::*;
use evreg_server::ApiOptions;
use serde_json::{Value, json};

const SR_JSON: &str = "application/vnd.schemaregistry.v1+json";

#[tokio::test]
async fn invalid_versions_are_42202() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.register("o", avro(&order_v1())).await;
    for v in ["0", "-2", "abc", "2147483648", "1.0", "latestx"] {
        s.get(&format!("/subjects/o/versions/{v}"))
            .await
            .assert_error(422, 42202);
        s.get(&format!("/subjects/o/versions/{v}/schema"))
            .await
            .assert_error(422, 42202);
        s.get(&format!("/subjects/o/versions/{v}/referencedby"))
            .await
            .assert_error(422, 42202);
    }
    s.get("/subjects/o/versions/2")
        .await
        .assert_error(404, 40402);
    s.get("/subjects/o/versions/2/schema")
        .await
        .assert_error(404, 40402);
    s.get("/subjects/o/versions/2/referencedby")
        .await
        .assert_error(404, 40402);
    s.get("/subjects/x/versions/1")
        .await
        .assert_error(404, 40401);
    s.get("/subjects/x/versions").await.assert_error(404, 40401);
}

#[tokio::test]
async fn malformed_bodies() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    let raw = |body: &str| Some(body.as_bytes().to_vec());
    let cases: Vec<(Option<Vec<u8>>, u16, i64)> = vec![
        (raw("{not json"), 422, 422),
        (raw(""), 422, 422),
        (raw("[]"), 422, 422),
        (raw("\"schema\""), 422, 422),
        (raw(r#"{"schema": 5}"#), 422, 422),
        (raw(r#"{"schema": {"type": "string"}}"#), 422, 422),
        (
            raw(r#"{"schema": "\"string\"", "references": "x"}"#),
            422,
            422,
        ),
        (
            raw(r#"{"schema": "\"string\"", "references": [{"name": 1}]}"#),
            422,
            422,
        ),
        (
            raw(r#"{"schema": "\"string\"", "schemaType": 3}"#),
            422,
            422,
        ),
        (
            raw(r#"{"schema": "\"string\"", "metadata": "x"}"#),
            422,
            422,
        ),
        (raw(r#"{"schema": "\"string\"", "id": "x"}"#), 422, 422),
        (
            raw(r#"{"schema": "\"string\"", "ruleSet": []}"#),
            422,
            42210,
        ),
        (raw(r#"{}"#), 422, 42201),
        (raw(r#"{"schema": ""}"#), 422, 42201),
        (
            raw(r#"{"schema": "\"string\"", "schemaType": "XML"}"#),
            422,
            42201,
        ),
        (
            raw(r#"{"schema": "\"string\"", "schemaType": "PROTOBUF"}"#),
            422,
            42201,
        ),
        (raw(r#"{"schema": "{\"type\": \"record\"}"}"#), 422, 42201),
        (
            raw(r#"{"schema": "{\"type\": 12}", "schemaType": "JSON"}"#),
            422,
            42201,
        ),
        (
            raw(&format!("{}{}", "[".repeat(10_000), "]".repeat(10_000))),
            422,
            422,
        ),
    ];
    for (body, status, code) in cases {
        let shown = String::from_utf8_lossy(body.as_deref().unwrap_or_default())
            .chars()
            .take(60)
            .collect::<String>();
        for path in [
            "/subjects/s/versions",
            "/subjects/s",
            "/compatibility/subjects/s/versions",
        ] {
            let r = s.request("POST", path, Some(SR_JSON), body.clone()).await;
            // Lookup on a missing subject may answer 40401 before reading the schema.
            if path == "/subjects/s" && r.code() == 40401 {
                continue;
            }
            assert_eq!(
                (r.status, r.code()),
                (status, code),
                "{path} {shown}: {}",
                r.text
            );
        }
    }
    s.put("/config", json!([])).await.assert_error(422, 422);
    s.request("PUT", "/mode", Some(SR_JSON), Some(b"nope".to_vec()))
        .await
        .assert_error(422, 422);
    assert_eq!(s.get("/subjects").await.ok(), &json!([]));
}

#[tokio::test]
async fn invalid_subject_names_are_42208() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    let long = "x".repeat(1001);
    for subject in ["a%01b", "tab%09", long.as_str(), ":.ctx:"] {
        s.post(&format!("/subjects/{subject}/versions"), avro(&order_v1()))
            .await
            .assert_error(422, 42208);
    }
    s.get("/subjects/a%01b/versions")
        .await
        .assert_error(422, 42208);
    // Percent-encoded slashes and unicode are ordinary names.
    let (_, v) = s.register("team%2Forders-%C3%A9", avro(&order_v1())).await;
    assert_eq!(v, 1);
    assert_eq!(s.get("/subjects").await.ok(), &json!(["team/orders-é"]));
    let thousand = "y".repeat(1000);
    s.register(&thousand, avro(&order_v1())).await;
}

#[tokio::test]
async fn media_types() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    let body = || Some(avro(&order_v1()).to_string().into_bytes());
    for ct in [
        Some("application/vnd.schemaregistry.v1+json"),
        Some("application/vnd.schemaregistry+json"),
        Some("application/json"),
        Some("application/json; charset=utf-8"),
        Some("application/octet-stream"),
        None,
    ] {
        let r = s.request("POST", "/subjects/m/versions", ct, body()).await;
        assert_eq!(r.ok()["id"], 1, "{ct:?}");
        assert_eq!(r.content_type.as_deref(), Some(SR_JSON));
    }
    let xml = s
        .request(
            "POST",
            "/subjects/m/versions",
            Some("application/xml"),
            body(),
        )
        .await;
    xml.assert_error(415, 415);

    // Responses follow `Accept` among the JSON types served; none of them is 406.
    let get = |accept: &'static str| {
        let client = reqwest::Client::new();
        let url = format!("{}/subjects/m/versions/1", s.base);
        async move {
            let r = client
                .get(url)
                .header("accept", accept)
                .send()
                .await
                .unwrap();
            let ct = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned());
            (r.status().as_u16(), ct, r.text().await.unwrap())
        }
    };
    for (accept, expected) in [
        ("application/json", "application/json"),
        (
            "application/vnd.schemaregistry+json",
            "application/vnd.schemaregistry+json",
        ),
        ("*/*", SR_JSON),
        (
            "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json",
            SR_JSON,
        ),
    ] {
        let (status, ct, _) = get(accept).await;
        assert_eq!((status, ct.as_deref()), (200, Some(expected)), "{accept}");
    }
    let (status, _, body) = get("application/xml").await;
    assert_eq!(status, 406);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error_code"],
        406
    );
}

#[tokio::test]
async fn framework_errors() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    for path in [
        "/nope",
        "/subjects/a/versions/1/nope",
        "/dek-registry/v1/keks",
        "/schemas/ids",
    ] {
        let r = s.get(path).await;
        r.assert_error(404, 404);
        assert_eq!(r.content_type.as_deref(), Some(SR_JSON));
    }
    s.request("PUT", "/subjects", None, None)
        .await
        .assert_error(405, 405);
    s.request("PATCH", "/config", None, None)
        .await
        .assert_error(405, 405);
    s.request("POST", "/schemas/ids/1", None, None)
        .await
        .assert_error(405, 405);
    s.get("/subjects?offset=abc").await.assert_error(400, 400);
}

#[tokio::test]
async fn bodies_over_the_limit_get_413() {
    let dir = TempDir::new();
    let opts = ApiOptions {
        max_body: 1024,
        ..ApiOptions::default()
    };
    let s = Server::start_with(dir.path(), opts).await;
    let big = avro(&avro_record("Big", &[&"f".repeat(2000)], &[]));
    s.post("/subjects/b/versions", big)
        .await
        .assert_error(413, 413);
    // Under the limit still works.
    s.register("b", avro(&order_v1())).await;
}

#[tokio::test]
async fn misc_endpoints() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    assert_eq!(s.get("/").await.ok(), &json!({}));
    assert_eq!(s.get("/schemas/types").await.ok(), &json!(["JSON", "AVRO"]));
    let id = s.get("/v1/metadata/id").await;
    assert!(
        id.ok()["scope"]["clusters"]
            .get("schema-registry-cluster")
            .is_some()
    );
    assert_eq!(id.ok()["scope"]["path"], json!([]));
    assert!(s.get("/v1/metadata/version").await.ok()["version"].is_string());
    assert!(s.get("/v1/metadata/deployment").await.ok()["attributes"].is_array());
    assert_eq!(s.get("/exporters").await.ok(), &json!([]));
    assert_eq!(s.get("/contexts").await.ok(), &json!(["."]));
}

#[tokio::test]
async fn schema_lists_and_guids() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    s.register("a", avro(&order_v1())).await;
    s.register("a", avro(&order_v2_compatible())).await;
    s.register("b", json_schema(&json!({"type": "string"})))
        .await;
    let all = s.get("/schemas").await;
    assert_eq!(all.ok().as_array().unwrap().len(), 3);
    assert_eq!(all.ok()[0]["subject"], "a");
    let latest = s.get("/schemas?latestOnly=true").await;
    assert_eq!(
        latest
            .ok()
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["version"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [2, 1]
    );
    assert_eq!(
        s.get("/schemas?subjectPrefix=b")
            .await
            .ok()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        s.get("/schemas?offset=1&limit=1").await.ok()[0]["version"],
        2
    );
    s.delete("/subjects/b").await.ok();
    assert_eq!(s.get("/schemas").await.ok().as_array().unwrap().len(), 2);
    assert_eq!(
        s.get("/schemas?deleted=true")
            .await
            .ok()
            .as_array()
            .unwrap()
            .len(),
        3
    );

    assert_eq!(s.get("/subjects?limit=1").await.ok(), &json!(["a"]));
    assert_eq!(
        s.get("/subjects/a/versions?offset=1").await.ok(),
        &json!([2])
    );

    let v1 = s.get("/subjects/a/versions/1").await;
    let guid = v1.ok()["guid"].as_str().unwrap().to_owned();
    assert_eq!(
        s.get(&format!("/schemas/guids/{guid}")).await.ok()["schema"],
        order_v1()
    );
    assert_eq!(
        s.get(&format!("/schemas/guids/{guid}/ids")).await.ok(),
        &json!([{"context": ".", "id": 1}])
    );
    s.get("/schemas/guids/00000000-0000-4000-8000-000000000000")
        .await
        .assert_error(404, 40403);
    let max = s.get("/schemas/ids/1?fetchMaxId=true").await;
    assert_eq!(max.ok()["maxId"], 3);
}

/// Registers a varied history and returns what must survive.
async fn populate(s: &Server) -> Vec<(String, Value)> {
    s.register("orders", avro(&order_v1())).await;
    s.register("orders", avro(&order_v2_compatible())).await;
    s.register("copy", avro(&order_v1())).await;
    s.register(
        "doc",
        json_schema(&json!({"type": "object", "properties": {"a": {"type": "string"}}})),
    )
    .await;
    s.register(":.ctx:inside", avro(&avro_record("Inside", &["i"], &[])))
        .await;
    s.register("gone", avro(&avro_record("Gone", &["g"], &[])))
        .await;
    s.delete("/subjects/gone").await.ok();
    s.put("/config/orders", json!({"compatibility": "FULL"}))
        .await
        .ok();
    s.put("/mode/copy", json!({"mode": "READONLY"})).await.ok();
    let mut out = Vec::new();
    for path in [
        "/subjects",
        "/subjects?deleted=true",
        "/subjects/orders/versions",
        "/subjects/orders/versions/1",
        "/subjects/orders/versions/2",
        "/subjects/copy/versions/1",
        "/subjects/doc/versions/1",
        "/subjects/:.ctx:inside/versions/1",
        "/subjects/gone/versions/1?deleted=true",
        "/schemas/ids/1",
        "/schemas/ids/2",
        "/schemas/ids/3",
        "/schemas/ids/4",
        "/schemas/ids/1?subject=:.ctx:x",
        "/config/orders",
        "/mode/copy",
        "/contexts",
    ] {
        out.push((path.to_owned(), s.get(path).await.ok().clone()));
    }
    out
}

async fn assert_intact(s: &Server, expected: &[(String, Value)]) {
    for (path, body) in expected {
        let r = s.get(path).await;
        assert_eq!(r.ok(), body, "{path}");
    }
}

#[tokio::test]
async fn malformed_batch_leaves_everything_intact() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    let expected = populate(&s).await;
    let junk: Vec<(&str, &str, Option<&str>, &[u8])> = vec![
        ("POST", "/subjects/orders/versions", Some(SR_JSON), b"{"),
        ("POST", "/subjects/orders/versions", Some(SR_JSON), b"\xff\xfe\x00"),
        ("POST", "/subjects/orders/versions", Some(SR_JSON), br#"{"schema":"{\"type\":\"record\",\"name\":\"Order\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"}]}"}"#),
        ("POST", "/subjects/orders/versions", Some(SR_JSON), br#"{"schema":"\"string\"","id":1}"#),
        ("POST", "/subjects/orders/versions", Some("text/xml"), b"<x/>"),
        ("POST", "/subjects/copy/versions", Some(SR_JSON), br#"{"schema":"\"int\""}"#),
        ("DELETE", "/subjects/orders/versions/1?permanent=true", None, b""),
        ("DELETE", "/subjects/copy", None, b""),
        ("DELETE", "/subjects/orders/versions/0", None, b""),
        ("PUT", "/config/orders", Some(SR_JSON), br#"{"compatibility":"NOPE"}"#),
        ("PUT", "/mode/orders", Some(SR_JSON), br#"{"mode":"NOPE"}"#),
        ("PUT", "/mode", Some(SR_JSON), br#"{"mode":"IMPORT"}"#),
        ("DELETE", "/contexts/.ctx", None, b""),
        ("POST", "/subjects/%00/versions", Some(SR_JSON), br#"{"schema":"\"int\""}"#),
        ("GET", "/schemas/ids/-1", None, b""),
        ("GET", "/schemas/ids/99999999999999999999", None, b""),
        ("POST", "/compatibility/subjects/orders/versions/latest", Some(SR_JSON), b"null"),
        ("PATCH", "/subjects/orders", None, b""),
    ];
    for (method, path, ct, body) in junk {
        let r = s.request(method, path, ct, Some(body.to_vec())).await;
        assert!(
            (400..500).contains(&r.status),
            "{method} {path}: {} {}",
            r.status,
            r.text
        );
        assert!(r.code() >= 400, "{method} {path}: {}", r.text);
    }
    assert_intact(&s, &expected).await;
}

#[tokio::test]
async fn restart_keeps_everything() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    let expected = populate(&s).await;
    s.stop().await;

    let s = Server::start(&dir).await;
    assert_intact(&s, &expected).await;
    // Ids continue after the highest ever issued; the soft-deleted version
    // still counts for numbering.
    let (id, _) = s
        .register("next", avro(&avro_record("Next", &["n"], &[])))
        .await;
    assert_eq!(id, 5);
    let r = s
        .post(
            "/subjects/gone/versions",
            avro(&avro_record("Gone", &["g", "h"], &[])),
        )
        .await;
    assert_eq!(r.ok()["version"], 2);
    // The compatibility config still applies after restart.
    s.post("/subjects/orders/versions", avro(&order_v2_incompatible()))
        .await
        .assert_error(409, 409);
    s.stop().await;

    let s = Server::start(&dir).await;
    assert_eq!(s.get("/subjects/next/versions/1").await.ok()["id"], 5);
    s.stop().await;
}

#[tokio::test]
async fn reference_chains_past_the_depth_limit_are_42209() {
    let dir = TempDir::new();
    let s = Server::start(&dir).await;
    let record = |i: usize| {
        let field = if i == 0 {
            json!({"name": "v", "type": "int"})
        } else {
            json!({"name": "prev", "type": format!("R{}", i - 1)})
        };
        json!({"type": "record", "name": format!("R{i}"), "fields": [field]}).to_string()
    };
    let body = |i: usize| {
        let refs = if i == 0 {
            json!([])
        } else {
            json!([{"name": format!("R{}", i - 1), "subject": format!("r{}", i - 1), "version": 1}])
        };
        json!({"schema": record(i), "references": refs})
    };
    let mut i = 0;
    loop {
        let r = s.post(&format!("/subjects/r{i}/versions"), body(i)).await;
        if r.status != 200 {
            r.assert_error(422, 42209);
            break;
        }
        i += 1;
        assert!(i <= 100, "no depth limit");
    }
    // The limit is the core's, and deep but legal chains work.
    assert!(i >= 60, "limit hit at depth {i}");
    // After a restart the deepest stored version is parsed again, lazily, for
    // a compatibility check: that too must not exhaust a runtime thread.
    s.stop().await;
    let s = Server::start(&dir).await;
    let deepest = i - 1;
    let again = s
        .post(
            &format!("/compatibility/subjects/r{deepest}/versions/latest"),
            body(deepest),
        )
        .await;
    assert_eq!(again.ok()["is_compatible"], true);
    let mut evolved = body(deepest);
    let mut schema: Value = serde_json::from_str(evolved["schema"].as_str().unwrap()).unwrap();
    schema["fields"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "extra", "type": "int", "default": 0}));
    evolved["schema"] = json!(schema.to_string());
    assert_eq!(
        s.post(&format!("/subjects/r{deepest}/versions"), evolved)
            .await
            .ok()["version"],
        2
    );
}
