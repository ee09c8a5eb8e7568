use evreg_client::Event;

#[derive(Event, serde::Serialize, serde::Deserialize)]
#[event(
    type = "order.paid",
    source = "order-service",
    topic = "orders",
    schema_text = "{\"type\":\"record\",\"name\":\"ui.OrderPaid\",\"fields\":[{\"name\":\"orderId\",\"type\":\"string\"},{\"name\":\"amount\",\"type\":\"long\"}]}",
)]
struct OrderPaid {
    #[serde(rename = "orderId")]
    order_id: String,
    amount: f64,
}

fn main() {}
