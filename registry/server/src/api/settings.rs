//! `/config` and `/mode` handlers, global (no path parameter) and per subject.

use axum::extract::State;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::extract::{JsonBody, OptP, Params, Reply};
use crate::settings::ConfigDoc;

type Result<T> = std::result::Result<Reply<T>, ApiError>;

/// `GET /config[/{subject}]`.
pub async fn get_config(
    State(s): State<AppState>,
    OptP(subject): OptP<String>,
    q: Params,
) -> Result<ConfigDoc> {
    Ok(Reply(s.registry.get_config(
        subject.as_deref(),
        q.flag("defaultToGlobal"),
    )?))
}

/// `PUT /config[/{subject}]`: takes `compatibility`, echoes the request.
pub async fn put_config(
    State(s): State<AppState>,
    OptP(subject): OptP<String>,
    JsonBody(body): JsonBody,
) -> Result<Value> {
    Ok(Reply(
        s.registry.put_config(subject.as_deref(), body).await?,
    ))
}

/// `DELETE /config[/{subject}]`: returns the previous config.
pub async fn delete_config(
    State(s): State<AppState>,
    OptP(subject): OptP<String>,
) -> Result<ConfigDoc> {
    Ok(Reply(s.registry.delete_config(subject.as_deref()).await?))
}

/// `GET /mode[/{subject}]`.
pub async fn get_mode(
    State(s): State<AppState>,
    OptP(subject): OptP<String>,
    q: Params,
) -> Result<Value> {
    let mode = s
        .registry
        .get_mode(subject.as_deref(), q.flag("defaultToGlobal"))?;
    Ok(Reply(json!({ "mode": mode.as_str() })))
}

/// `PUT /mode[/{subject}]`.
pub async fn put_mode(
    State(s): State<AppState>,
    OptP(subject): OptP<String>,
    q: Params,
    JsonBody(body): JsonBody,
) -> Result<Value> {
    let mode = s
        .registry
        .put_mode(subject.as_deref(), body, q.flag("force"))
        .await?;
    Ok(Reply(json!({ "mode": mode.as_str() })))
}

/// `DELETE /mode[/{subject}]`: returns the previous mode.
pub async fn delete_mode(
    State(s): State<AppState>,
    OptP(subject): OptP<String>,
    q: Params,
) -> Result<Value> {
    let mode = s
        .registry
        .delete_mode(subject.as_deref(), q.flag("recursive"))
        .await?;
    Ok(Reply(json!({ "mode": mode.as_str() })))
}
