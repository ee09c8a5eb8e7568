use evreg_client::Event;

#[derive(Event, serde::Serialize, serde::Deserialize)]
#[event(schema = "schemas/status.avsc")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Status {
    New,
    Paid,
    Delivered,
}

fn main() {}
