//! The root, compatibility tests, contexts, server metadata and stubs.

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::extract::{JsonBody, P, Params, Reply};
use crate::service::{CompatibilityResult, RegisterSchema};

type Result<T> = std::result::Result<Reply<T>, ApiError>;

/// `GET /`.
pub async fn root() -> Reply<Value> {
    Reply(json!({}))
}

/// `POST /compatibility/subjects/{subject}/versions/{version}`.
///
/// `normalize` is accepted and has nothing to change here: compatibility is
/// decided on the parsed schemas, and normalizing only rewrites the text that
/// registration stores and matches on.
pub async fn compat_one(
    State(s): State<AppState>,
    P((subject, version)): P<(String, String)>,
    q: Params,
    JsonBody(body): JsonBody,
) -> Result<CompatibilityResult> {
    let subject = s.registry.resolve_alias(&subject);
    let req = RegisterSchema::from_json(body)?;
    let result = s
        .registry
        .test_compatibility(&subject, Some(&version), req, q.flag("verbose"))
        .await?;
    Ok(Reply(result))
}

/// `POST /compatibility/subjects/{subject}/versions`.
pub async fn compat_all(
    State(s): State<AppState>,
    P(subject): P<String>,
    q: Params,
    JsonBody(body): JsonBody,
) -> Result<CompatibilityResult> {
    let subject = s.registry.resolve_alias(&subject);
    let req = RegisterSchema::from_json(body)?;
    let result = s
        .registry
        .test_compatibility(&subject, None, req, q.flag("verbose"))
        .await?;
    Ok(Reply(result))
}

/// `GET /contexts`.
pub async fn contexts(State(s): State<AppState>, q: Params) -> Result<Vec<String>> {
    let page = q.page(None)?;
    Ok(Reply(s.registry.contexts(q.get("contextPrefix"), page)))
}

/// `DELETE /contexts/{context}`: 204 when done.
pub async fn delete_context(
    State(s): State<AppState>,
    P(context): P<String>,
) -> std::result::Result<StatusCode, ApiError> {
    s.registry.delete_context(&context).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/metadata/id`.
pub async fn metadata_id(State(s): State<AppState>) -> Reply<Value> {
    let id = &s.options.cluster_id;
    Reply(json!({
        "scope": {
            "path": [],
            "clusters": { "kafka-cluster": id, "schema-registry-cluster": id }
        },
        "id": id
    }))
}

/// `GET /v1/metadata/version`.
pub async fn metadata_version() -> Reply<Value> {
    Reply(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commitId": option_env!("EVREG_COMMIT").unwrap_or("unknown")
    }))
}

/// `GET /v1/metadata/deployment`.
pub async fn metadata_deployment() -> Reply<Value> {
    Reply(json!({ "attributes": ["evreg", "open-source"] }))
}

/// `GET /exporters`: Schema Linking is commercial; there are none.
pub async fn exporters() -> Reply<Value> {
    Reply(json!([]))
}
