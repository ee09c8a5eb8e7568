use evreg_client::chrono::{DateTime, Utc};
use evreg_client::{Envelope, Event, EventMeta, SchemaName, Uuid};

#[derive(Event, Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[event(schema = "../schemas/status.avsc")]
#[allow(clippy::upper_case_acronyms)]
enum Status {
    NEW,
    PAID,
    SHIPPED,
}

#[derive(Event, Debug, serde::Serialize, serde::Deserialize)]
#[event(type = "order.created", source = "order-service", schema = "../schemas/order.avsc", topic = "orders", key = "orderId", version = 2)]
#[allow(dead_code)]
struct Order {
    #[serde(rename = "orderId")]
    order_id: Uuid,
    amount: i64,
    coupon: Option<String>,
    status: Status,
    #[serde(rename = "placedAt")]
    placed_at: DateTime<Utc>,
}

fn main() {
    assert_eq!(Order::EVENT_TYPE, "order.created");
    assert_eq!(Order::SCHEMA_VERSION, 2);
    assert_eq!(Order::SUBJECT, "orders-ui.Order");
    assert_eq!(<Status as SchemaName>::FULL_NAME, "ui.Status");
    assert!(Order::SCHEMA.contains(r#""symbols":["NEW","PAID","SHIPPED"]"#), "referenced types are inlined");
    let order = Order { order_id: Uuid::nil(), amount: 1, coupon: None, status: Status::PAID, placed_at: DateTime::default() };
    assert_eq!(order.partition_key().as_deref(), Some("00000000-0000-0000-0000-000000000000"));
    let envelope = Envelope::new(order);
    assert_eq!(envelope.event_type, "order.created");
    assert_eq!(envelope.source, "order-service");
    assert_eq!(envelope.version, 2);
}
