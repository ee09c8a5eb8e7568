//! The machine's ceiling for the registry's read benchmark: a minimal axum
//! server answering every `GET /schemas/ids/{id}` with the same 1 KB body.
//!
//! `cargo run --release -p evreg-server --example fixed_body -- 127.0.0.1:18082`

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18082".to_owned());
    let body: &'static str =
        Box::leak(format!("{{\"schema\":\"{}\"}}", "x".repeat(1024 - 13)).into_boxed_str());
    let app = Router::new().route(
        "/schemas/ids/{id}",
        get(move || async move {
            (
                [(
                    header::CONTENT_TYPE,
                    "application/vnd.schemaregistry.v1+json",
                )],
                body,
            )
                .into_response()
        }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await
}
