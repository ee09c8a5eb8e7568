use evreg_client::chrono::{DateTime, Utc};
use evreg_client::{Event, Uuid};

#[derive(Event, serde::Serialize, serde::Deserialize)]
#[event(schema = "schemas/status.avsc")]
#[allow(clippy::upper_case_acronyms)]
enum Status {
    NEW,
    PAID,
    SHIPPED,
}

#[derive(Event, serde::Serialize, serde::Deserialize)]
#[event(type = "order.created", source = "order-service", schema = "schemas/order.avsc", topic = "orders")]
#[serde(rename_all = "camelCase")]
struct Order {
    order_id: Uuid,
    amount: i64,
    status: Status,
    placed_at: DateTime<Utc>,
}

fn main() {}
