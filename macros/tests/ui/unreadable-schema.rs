use evreg_client::Event;

#[derive(Event, serde::Serialize, serde::Deserialize)]
#[event(schema = "schemas/status.avsc")]
#[allow(clippy::upper_case_acronyms)]
enum Status {
    NEW,
    PAID,
    SHIPPED,
}

#[derive(Event, serde::Serialize, serde::Deserialize)]
#[event(type = "order.created", source = "order-service", schema = "schemas/no-such-file.avsc", topic = "orders")]
struct Order {
    amount: i64,
}

fn main() {}
