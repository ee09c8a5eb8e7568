//! `/schemas/...` handlers.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::extract::{P, Params, RawText, Rendered, Reply};
use crate::service::{Error, SchemaListQuery, SchemaView, SubjectVersion};

type Result<T> = std::result::Result<Reply<T>, ApiError>;

/// Confluent's `schema.search.default.limit` and `max.limit`.
const SCHEMA_LIST_LIMIT: usize = 1000;

/// The formats the core can parse. PROTOBUF is recognised but not parsed, so it
/// is not advertised.
const TYPES: [&str; 2] = ["JSON", "AVRO"];

fn schema_id(raw: &str) -> std::result::Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::Service(Error::SchemaNotFound(format!("Schema {raw} not found"))))
}

/// `GET /schemas/types`.
pub async fn types() -> Reply<[&'static str; 2]> {
    Reply(TYPES)
}

/// `GET /schemas`.
pub async fn list(State(s): State<AppState>, q: Params) -> Result<Vec<SchemaView>> {
    let page = q.page(Some(SCHEMA_LIST_LIMIT))?;
    let query = SchemaListQuery {
        prefix: q.get("subjectPrefix"),
        deleted: q.flag("deleted"),
        latest_only: q.flag("latestOnly"),
        aliases: q.flag("aliases"),
        rule_type: q.get("ruleType").filter(|t| !t.is_empty()),
    };
    Ok(Reply(s.registry.list_schemas(&query, page)))
}

/// `GET /schemas/ids/{id}`.
pub async fn by_id(
    State(s): State<AppState>,
    P(id): P<String>,
    q: Params,
) -> std::result::Result<Response, ApiError> {
    let id = schema_id(&id)?;
    if q.is_empty() {
        return Ok(Rendered(s.registry.schema_by_id_json(id)?).into_response());
    }
    let subject = s.registry.resolve_alias_param(q.get("subject"));
    Ok(Reply(
        s.registry
            .schema_by_id(id, subject.as_deref(), q.flag("fetchMaxId"), &q.render())?,
    )
    .into_response())
}

/// `GET /schemas/ids/{id}/schema`: the raw text.
pub async fn by_id_text(
    State(s): State<AppState>,
    P(id): P<String>,
    q: Params,
) -> std::result::Result<RawText, ApiError> {
    let id = schema_id(&id)?;
    let subject = s.registry.resolve_alias_param(q.get("subject"));
    Ok(RawText(
        s.registry
            .schema_by_id(id, subject.as_deref(), false, &q.format_only())?
            .schema,
    ))
}

/// `GET /schemas/ids/{id}/subjects`.
pub async fn id_subjects(
    State(s): State<AppState>,
    P(id): P<String>,
    q: Params,
) -> Result<Vec<String>> {
    let id = schema_id(&id)?;
    let subject = s.registry.resolve_alias_param(q.get("subject"));
    let page = q.page(None)?;
    Ok(Reply(s.registry.id_subjects(
        id,
        subject.as_deref(),
        q.flag("deleted"),
        page,
    )?))
}

/// `GET /schemas/ids/{id}/versions`.
pub async fn id_versions(
    State(s): State<AppState>,
    P(id): P<String>,
    q: Params,
) -> Result<Vec<SubjectVersion>> {
    let id = schema_id(&id)?;
    let subject = s.registry.resolve_alias_param(q.get("subject"));
    let page = q.page(None)?;
    Ok(Reply(s.registry.id_versions(
        id,
        subject.as_deref(),
        q.flag("deleted"),
        page,
    )?))
}

/// `GET /schemas/guids/{guid}`.
pub async fn by_guid(
    State(s): State<AppState>,
    P(guid): P<String>,
    q: Params,
) -> Result<SchemaView> {
    Ok(Reply(s.registry.schema_by_guid(&guid, &q.format_only())?))
}

/// `GET /schemas/guids/{guid}/ids`: `[{context, id}]`.
pub async fn guid_ids(State(s): State<AppState>, P(guid): P<String>) -> Result<Vec<Value>> {
    let ids = s.registry.guid_ids(&guid)?;
    Ok(Reply(
        ids.into_iter()
            .map(|(context, id)| json!({"context": context, "id": id}))
            .collect(),
    ))
}
