//! Catalogue events are emitted with `#[derive(::evreg_client::Event)]` and
//! their metadata in `#[event(...)]`, so the derive (not evgen) implements
//! `EventMeta` and checks the generated type against its schema.

fn catalogue() -> String {
    evgen::Config::new()
        .catalog("../schemas")
        .generate()
        .unwrap()
}

/// The attribute block and struct header of the type `name`.
fn item<'a>(code: &'a str, name: &str) -> &'a str {
    let header = format!("pub struct {name} {{");
    let end = code
        .find(&header)
        .unwrap_or_else(|| panic!("no struct {name}"));
    let start = code[..end].rfind("#[derive(").unwrap();
    &code[start..end + header.len()]
}

#[test]
fn events_carry_the_derive_with_their_catalogue_metadata() {
    let code = catalogue();
    let created = item(&code, "OrderCreated");
    assert!(created.contains("::evreg_client::Event"), "{created}");
    for attr in [
        r#"type = "order.created""#,
        "version = 1,",
        r#"source = "order-service""#,
        r#"topic = "order-events""#,
        r#"subject = "order-events-shop.order.OrderCreated""#,
        r#"key = "orderId""#,
        r#"schema_type = "AVRO""#,
        r#"schema_text = "{\"type\":\"record\",\"name\":\"OrderCreated\""#,
    ] {
        assert!(created.contains(attr), "missing `{attr}` in:\n{created}");
    }
    // The derive implements these now; evgen must not as well.
    assert!(!code.contains("impl ::evreg_client::EventMeta for"));
    assert!(!code.contains("impl ::evreg_client::SchemaName for OrderCreated"));
    // Types that are not events keep evgen's SchemaName impl and no derive.
    assert!(code.contains("impl ::evreg_client::SchemaName for Money"));
    assert!(!item(&code, "Money").contains("::evreg_client::Event"));
}
