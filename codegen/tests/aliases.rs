//! Avro aliases: a field alias is accepted when reading (`#[serde(alias)]`); a
//! record, enum or fixed alias becomes `pub type Old = New;` in the alias's own
//! namespace module, so code naming the old type keeps compiling after a rename.

use evgen::Config;

const RENAMED: &str = r#"{
  "type": "record", "name": "Order", "namespace": "shop.v2",
  "aliases": ["shop.v1.Purchase", "Basket", "Order"],
  "fields": [
    {"name": "total", "type": "long", "aliases": ["amount", "sum"]},
    {"name": "state", "type": {"type": "enum", "name": "State", "aliases": ["Status"],
                               "symbols": ["OPEN", "DONE"]}},
    {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 4,
                              "aliases": ["shop.v2.Other"]}},
    {"name": "other", "type": {"type": "record", "name": "Other", "fields": []}}
  ]
}"#;

fn generate() -> String {
    Config::new()
        .source("order.avsc", RENAMED)
        .generate()
        .unwrap()
}

#[test]
fn field_aliases_are_accepted_when_reading() {
    let rust = generate();
    assert!(
        rust.contains(r#"#[serde(alias = "amount", alias = "sum")]"#),
        "{rust}"
    );
}

#[test]
fn named_type_aliases_become_type_aliases_in_their_namespace() {
    let rust = generate();
    let file = syn::parse_file(&rust).unwrap();
    // The alias in another namespace lives in that namespace's module.
    let shop = file
        .items
        .iter()
        .find_map(|i| match i {
            syn::Item::Mod(m) if m.ident == "shop" => m.content.as_ref(),
            _ => None,
        })
        .unwrap();
    let modules: Vec<String> = shop
        .1
        .iter()
        .filter_map(|i| match i {
            syn::Item::Mod(m) => Some(m.ident.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(modules, ["v1", "v2"]);
    assert!(
        rust.contains("pub type Purchase = super::v2::Order;"),
        "{rust}"
    );
    // A short alias is in the type's own namespace, as Avro resolves it.
    assert!(rust.contains("pub type Basket = Order;"), "{rust}");
    assert!(rust.contains("pub type Status = State;"), "{rust}");
    // Listed in the docs, too.
    assert!(
        rust.contains(
            "Avro aliases (older names readers accept): `shop.v1.Purchase`, `shop.v2.Basket`.\n"
        ),
        "{rust}"
    );
}

#[test]
fn an_alias_that_is_taken_is_only_documented() {
    let rust = generate();
    // `Order` is the type itself and `shop.v2.Other` another record.
    assert!(!rust.contains("pub type Order ="), "{rust}");
    assert!(!rust.contains("pub type Other ="), "{rust}");
    assert!(rust.contains("`shop.v2.Other`"), "{rust}");
}
