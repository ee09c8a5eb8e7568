//! `evgen generate --registry` over JSON Schema subjects, against a real evreg
//! started in this process: a subject that `$ref`s another through its
//! `references`, typed formats included.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Output};

use serde_json::{Value, json};

mod common;
use common::{Registry, text};

fn evgen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_evgen"))
        .args(args)
        .output()
        .expect("evgen runs")
}

#[test]
fn generates_from_a_json_schema_subject_with_references() {
    let registry = Registry::start("generate-json");
    let customer = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Customer",
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "email": {"type": "string", "format": "email"}
        },
        "required": ["id", "email"]
    });
    registry.register(
        "customer",
        json!({"schemaType": "JSON", "schema": customer.to_string()}),
    );
    // No title: the root type is named after the subject.
    let order = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {
            "customer": {"$ref": "customer.json"},
            "site": {"type": "string", "format": "uri"},
            "from": {"type": "string", "format": "ipv4"}
        },
        "required": ["customer"]
    });
    registry.register(
        "orders-value",
        json!({
            "schemaType": "JSON",
            "schema": order.to_string(),
            "references": [{"name": "customer.json", "subject": "customer", "version": 1}]
        }),
    );

    let out = evgen(&[
        "generate",
        "--registry",
        &registry.url,
        "--subject",
        "orders-value",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rust = text(&out.stdout);
    for expected in [
        "pub struct OrdersValue",
        "pub struct Customer",
        "pub email: ::evreg_client::Email",
        "::std::option::Option<::evreg_client::Uri>",
        "::std::option::Option<::std::net::Ipv4Addr>",
        "pub id: ::evreg_client::uuid::Uuid",
    ] {
        assert!(rust.contains(expected), "no {expected:?} in\n{rust}");
    }
    // The reference is one type, used by the root, not a copy.
    assert_eq!(rust.matches("pub struct Customer").count(), 1, "{rust}");

    // A pinned version works too, and a missing one names the request.
    let out = evgen(&[
        "generate",
        "--registry",
        &registry.url,
        "--subject",
        "customer",
        "--version",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("pub struct Customer"));
    let out = evgen(&[
        "generate",
        "--registry",
        &registry.url,
        "--subject",
        "customer",
        "--version",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("/subjects/customer/versions/2"),
        "{}",
        text(&out.stderr)
    );
}

/// Serves canned schema versions on loopback (for what evreg itself would not
/// store), one connection per request, `limit` requests in all.
fn stub(versions: Vec<(&'static str, Value)>, limit: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(limit) {
            let mut stream = stream.unwrap();
            let mut line = String::new();
            BufReader::new(&stream).read_line(&mut line).unwrap();
            let (status, body) = match versions.iter().find(|(p, _)| line.contains(p)) {
                Some((_, v)) => ("200 OK", v.to_string()),
                None => ("404 Not Found", r#"{"error_code":40401}"#.to_owned()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn other_languages_and_mixed_references_are_refused_by_name() {
    let avro = r#"{"type":"record","name":"Money","fields":[{"name":"cents","type":"long"}]}"#;
    let url = stub(
        vec![
            (
                "/subjects/orders-value/versions/latest",
                json!({"subject": "orders-value", "version": 2, "id": 7, "schemaType": "JSON",
                    "schema": r#"{"type":"object","properties":{"total":{"$ref":"money.avsc"}}}"#,
                    "references": [{"name": "money.avsc", "subject": "money", "version": 1}]}),
            ),
            (
                "/subjects/money/versions/1",
                json!({"subject": "money", "version": 1, "id": 1, "schema": avro}),
            ),
        ],
        2,
    );
    let out = evgen(&["generate", "--registry", &url, "--subject", "orders-value"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("subject 'orders-value' (JSON Schema) references subject 'money' version 1 (as 'money.avsc'), which is Avro"),
        "{err}"
    );

    let url = stub(
        vec![(
            "/subjects/proto/versions/latest",
            json!({"subject": "proto", "version": 1, "id": 3, "schemaType": "PROTOBUF",
                "schema": "syntax = \"proto3\"; message M {}"}),
        )],
        1,
    );
    let out = evgen(&["generate", "--registry", &url, "--subject", "proto"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("subject 'proto' version 1 is a PROTOBUF schema; evgen generates from Avro and JSON Schema"),
        "{err}"
    );
}
