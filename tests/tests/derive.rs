//! Generated and hand-written events are one kind of thing: evgen puts
//! `#[derive(Event)]` on every catalogue event, so a type written by hand
//! against the same schema file gets the same metadata, the same schema and
//! the same bytes from the same derive.

use evreg_client::apache_avro::Schema;
use evreg_client::avro::{TimestampMillis, Uuid as AvroUuid, to_datum};
use evreg_client::chrono::{DateTime, Utc};
use evreg_client::codec::As;
use evreg_client::rust_decimal::Decimal;
use evreg_client::{Event, EventMeta, SchemaName, Uuid};
use evreg_tests::catalog::shop::common::{Address, Currency, LineItem, Money};
use evreg_tests::catalog::shop::order::{OrderCreated, OrderStatus};
use serde::{Deserialize, Serialize};

/// `order.created` by hand, reusing the generated types its fields name; the
/// catalogue supplies topic, key, version and source.
#[derive(Event, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[event(type = "order.created", schema = "../schemas/order/created.avsc")]
#[serde(rename_all = "camelCase")]
struct HandOrderCreated {
    #[serde(with = "As::<AvroUuid>")]
    order_id: Uuid,
    #[serde(with = "As::<AvroUuid>")]
    customer_id: Uuid,
    status: OrderStatus,
    items: Vec<LineItem>,
    subtotal: Money,
    shipping_cost: Money,
    tax: Money,
    total: Money,
    shipping_address: Address,
    #[serde(default)]
    billing_address: Option<Address>,
    #[serde(default)]
    coupon_code: Option<String>,
    #[serde(with = "As::<TimestampMillis>")]
    placed_at: DateTime<Utc>,
}

fn eur(amount: &str) -> Money {
    Money {
        amount: amount.parse::<Decimal>().unwrap(),
        currency: Currency::Eur,
    }
}

fn address() -> Address {
    Address {
        recipient: "Ada Lovelace".into(),
        line1: "Unter den Linden 1".into(),
        line2: None,
        city: "Berlin".into(),
        region: None,
        postal_code: "10117".into(),
        country: "DE".into(),
    }
}

fn items() -> Vec<LineItem> {
    vec![LineItem {
        product_id: Uuid::from_u128(7),
        sku: "SKU-0007".into(),
        name: "Product 7".into(),
        quantity: 2,
        unit_price: eur("19.99"),
        discount: Some(eur("1.00")),
        line_total: eur("38.98"),
    }]
}

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_714_564_800_000).unwrap()
}

#[test]
fn hand_written_and_generated_events_share_metadata() {
    assert_eq!(HandOrderCreated::EVENT_TYPE, OrderCreated::EVENT_TYPE);
    assert_eq!(
        HandOrderCreated::SCHEMA_VERSION,
        OrderCreated::SCHEMA_VERSION
    );
    assert_eq!(HandOrderCreated::SOURCE, OrderCreated::SOURCE);
    assert_eq!(HandOrderCreated::TOPIC, OrderCreated::TOPIC);
    assert_eq!(HandOrderCreated::SUBJECT, OrderCreated::SUBJECT);
    assert_eq!(
        HandOrderCreated::PARTITION_KEY_FIELD,
        OrderCreated::PARTITION_KEY_FIELD
    );
    assert_eq!(HandOrderCreated::SCHEMA_TYPE, OrderCreated::SCHEMA_TYPE);
    assert_eq!(
        <HandOrderCreated as SchemaName>::FULL_NAME,
        <OrderCreated as SchemaName>::FULL_NAME
    );
    assert_eq!(
        <OrderCreated as SchemaName>::FULL_NAME,
        "shop.order.OrderCreated"
    );
    // One schema: the file as the derive inlines it, and the text evgen emitted.
    let hand = Schema::parse_str(HandOrderCreated::SCHEMA).unwrap();
    let generated = Schema::parse_str(OrderCreated::SCHEMA).unwrap();
    assert_eq!(hand.canonical_form(), generated.canonical_form());
}

#[test]
fn hand_written_and_generated_events_write_the_same_bytes() {
    let hand = HandOrderCreated {
        order_id: Uuid::from_u128(1),
        customer_id: Uuid::from_u128(2),
        status: OrderStatus::Paid,
        items: items(),
        subtotal: eur("38.98"),
        shipping_cost: eur("4.90"),
        tax: eur("6.22"),
        total: eur("43.88"),
        shipping_address: address(),
        billing_address: Some(address()),
        coupon_code: None,
        placed_at: at(),
    };
    let generated = OrderCreated {
        order_id: hand.order_id,
        customer_id: hand.customer_id,
        status: hand.status,
        items: hand.items.clone(),
        subtotal: hand.subtotal.clone(),
        shipping_cost: hand.shipping_cost.clone(),
        tax: hand.tax.clone(),
        total: hand.total.clone(),
        shipping_address: hand.shipping_address.clone(),
        billing_address: hand.billing_address.clone(),
        coupon_code: hand.coupon_code.clone(),
        placed_at: hand.placed_at,
    };
    let schema = Schema::parse_str(OrderCreated::SCHEMA).unwrap();
    assert_eq!(
        to_datum(&schema, &hand).unwrap(),
        to_datum(&schema, &generated).unwrap()
    );
    assert_eq!(hand.partition_key(), generated.partition_key());
    assert_eq!(hand.partition_key(), Some(Uuid::from_u128(1).to_string()));
}
