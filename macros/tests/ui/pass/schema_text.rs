// What evgen emits on a catalogue event: the schema inline, every piece of
// metadata spelled out, so the type compiles wherever the file lands.
use evreg_client::{Event, EventMeta, SchemaName};

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[allow(clippy::upper_case_acronyms)]
enum Status {
    NEW,
    PAID,
}

// evgen implements SchemaName on the named types an event uses.
impl SchemaName for Status {
    const FULL_NAME: &'static str = "ui.Status";
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, Event)]
#[event(
    type = "order.paid",
    version = 3,
    source = "order-service",
    topic = "orders",
    subject = "orders-value",
    key = "orderId",
    schema_type = "AVRO",
    schema_text = "{\"type\":\"record\",\"name\":\"ui.OrderPaid\",\"fields\":[{\"name\":\"orderId\",\"type\":\"string\"},{\"name\":\"status\",\"type\":{\"type\":\"enum\",\"name\":\"ui.Status\",\"symbols\":[\"NEW\",\"PAID\"]}},{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null}]}",
)]
struct OrderPaid {
    #[serde(rename = "orderId")]
    order_id: String,
    status: Status,
    #[serde(default)]
    note: Option<String>,
}

fn main() {
    assert_eq!(OrderPaid::EVENT_TYPE, "order.paid");
    assert_eq!(OrderPaid::SCHEMA_VERSION, 3);
    assert_eq!(OrderPaid::SUBJECT, "orders-value");
    assert_eq!(OrderPaid::TOPIC, "orders");
    assert_eq!(OrderPaid::SCHEMA_TYPE, "AVRO");
    assert_eq!(<OrderPaid as SchemaName>::FULL_NAME, "ui.OrderPaid");
    assert!(OrderPaid::SCHEMA.starts_with("{\"type\":\"record\",\"name\":\"ui.OrderPaid\""));
    let e = OrderPaid { order_id: "o-1".into(), status: Status::PAID, note: None };
    assert_eq!(e.partition_key().as_deref(), Some("o-1"));
}
