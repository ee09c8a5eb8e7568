//! `/subjects/...` handlers.

use axum::extract::State;

use super::AppState;
use super::error::ApiError;
use super::extract::{JsonBody, P, Params, RawText, Reply};
use crate::service::{RegisterOptions, RegisterSchema, SchemaView};

type Result<T> = std::result::Result<Reply<T>, ApiError>;

/// `deletedOnly`, also spelled `deleted_only` by Confluent's Python client.
fn deleted_only(q: &Params) -> bool {
    q.flag("deletedOnly") || q.flag("deleted_only")
}

/// `GET /subjects`.
pub async fn list(State(s): State<AppState>, q: Params) -> Result<Vec<String>> {
    let page = q.page(None)?;
    Ok(Reply(s.registry.subjects(
        q.get("subjectPrefix"),
        q.flag("deleted"),
        deleted_only(&q),
        page,
    )))
}

/// `POST /subjects/{subject}`: which version holds this schema.
pub async fn lookup(
    State(s): State<AppState>,
    P(subject): P<String>,
    q: Params,
    JsonBody(body): JsonBody,
) -> Result<SchemaView> {
    let subject = s.registry.resolve_alias(&subject);
    let req = RegisterSchema::from_json(body)?;
    let found = s
        .registry
        .lookup(&subject, req, q.flag("normalize"), q.flag("deleted"))
        .await?;
    Ok(Reply(s.registry.render_view(
        &subject,
        found,
        &q.render(),
    )?))
}

/// `DELETE /subjects/{subject}`.
pub async fn delete(
    State(s): State<AppState>,
    P(subject): P<String>,
    q: Params,
) -> Result<Vec<i32>> {
    let subject = s.registry.resolve_alias(&subject);
    Ok(Reply(
        s.registry
            .delete_subject(&subject, q.flag("permanent"))
            .await?,
    ))
}

/// `GET /subjects/{subject}/versions`.
pub async fn versions(
    State(s): State<AppState>,
    P(subject): P<String>,
    q: Params,
) -> Result<Vec<i32>> {
    let subject = s.registry.resolve_alias(&subject);
    let page = q.page(None)?;
    Ok(Reply(s.registry.list_versions(
        &subject,
        q.flag("deleted"),
        deleted_only(&q),
        q.flag("deletedAsNegative"),
        page,
    )?))
}

/// `POST /subjects/{subject}/versions`: register.
pub async fn register(
    State(s): State<AppState>,
    P(subject): P<String>,
    q: Params,
    JsonBody(body): JsonBody,
) -> Result<SchemaView> {
    let subject = s.registry.resolve_alias(&subject);
    let req = RegisterSchema::from_json(body)?;
    let opts = RegisterOptions {
        normalize: q.flag("normalize"),
        force: q.flag("force"),
    };
    let (registry, name) = (s.registry.clone(), subject.clone());
    let view = to_completion(async move { registry.register(&name, req, opts).await }).await?;
    Ok(Reply(s.registry.render_view(
        &subject,
        view,
        &q.format_only(),
    )?))
}

/// `GET /subjects/{subject}/versions/{version}`.
pub async fn version(
    State(s): State<AppState>,
    P((subject, version)): P<(String, String)>,
    q: Params,
) -> Result<SchemaView> {
    let subject = s.registry.resolve_alias(&subject);
    Ok(Reply(s.registry.get_version(
        &subject,
        &version,
        q.flag("deleted"),
        &q.render(),
    )?))
}

/// `GET /subjects/{subject}/versions/{version}/schema`: the raw text.
pub async fn version_text(
    State(s): State<AppState>,
    P((subject, version)): P<(String, String)>,
    q: Params,
) -> std::result::Result<RawText, ApiError> {
    let subject = s.registry.resolve_alias(&subject);
    let view = s
        .registry
        .get_version(&subject, &version, q.flag("deleted"), &q.format_only())?;
    Ok(RawText(view.schema))
}

/// `GET /subjects/{subject}/versions/{version}/referencedby`.
pub async fn referenced_by(
    State(s): State<AppState>,
    P((subject, version)): P<(String, String)>,
    q: Params,
) -> Result<Vec<i64>> {
    let subject = s.registry.resolve_alias(&subject);
    let page = q.page(None)?;
    Ok(Reply(s.registry.referenced_by(
        &subject,
        &version,
        q.flag("deleted"),
        page,
    )?))
}

/// `DELETE /subjects/{subject}/versions/{version}`.
pub async fn delete_version(
    State(s): State<AppState>,
    P((subject, version)): P<(String, String)>,
    q: Params,
) -> Result<i32> {
    let subject = s.registry.resolve_alias(&subject);
    Ok(Reply(
        s.registry
            .delete_version(&subject, &version, q.flag("permanent"))
            .await?,
    ))
}

/// `GET /subjects/{subject}/metadata?key=k&value=v…`.
pub async fn by_metadata(
    State(s): State<AppState>,
    P(subject): P<String>,
    q: Params,
) -> Result<SchemaView> {
    let subject = s.registry.resolve_alias(&subject);
    let pairs: Vec<(String, String)> = q.all("key").into_iter().zip(q.all("value")).collect();
    Ok(Reply(s.registry.by_metadata(
        &subject,
        &pairs,
        q.flag("deleted"),
        &q.render(),
    )?))
}

/// `POST /subjects/{subject}/versions/{version}/tags`: a new version with
/// schema tags added or removed.
pub async fn modify_tags(
    State(s): State<AppState>,
    P((subject, version)): P<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<SchemaView> {
    let subject = s.registry.resolve_alias(&subject);
    let registry = s.registry.clone();
    Ok(Reply(
        to_completion(async move { registry.modify_tags(&subject, &version, body).await }).await?,
    ))
}

/// Runs a registration to its end even if the client goes away: dropped
/// between its batch's commit and the mirror's refresh, it would leave a
/// committed version that reads do not show.
async fn to_completion<T: Send + 'static>(
    work: impl Future<Output = std::result::Result<T, crate::service::Error>> + Send + 'static,
) -> std::result::Result<T, ApiError> {
    tokio::spawn(work)
        .await
        .map_err(|_| ApiError::Panic)?
        .map_err(ApiError::from)
}
