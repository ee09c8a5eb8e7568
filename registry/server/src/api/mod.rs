//! The HTTP API: Confluent Schema Registry's REST surface. The route table is
//! here, in one place; handlers are thin and live in the sibling modules.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::service::Registry;

pub mod error;
mod extract;
mod misc;
mod schemas;
mod settings;
mod subjects;

/// The media type of responses unless `Accept` asks for another JSON one
/// (Confluent's preferred one).
pub const MEDIA_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// Options of the HTTP layer.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// Largest request body accepted, in bytes; larger ones get 413.
    pub max_body: usize,
    /// Answer incompatible schemas with `error_code` 40901 (newer Confluent)
    /// instead of the legacy 409.
    pub incompatible_40901: bool,
    /// Reported by `/v1/metadata/id`.
    pub cluster_id: String,
}

impl Default for ApiOptions {
    fn default() -> Self {
        ApiOptions {
            max_body: 16 * 1024 * 1024,
            incompatible_40901: false,
            cluster_id: "evreg".to_owned(),
        }
    }
}

/// What every handler gets.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The registry.
    pub registry: Arc<Registry>,
    /// HTTP options.
    pub options: Arc<ApiOptions>,
}

/// The router for `state`: every Confluent endpoint this registry serves.
pub fn app(state: AppState) -> Router {
    use axum::routing::{delete, post};
    let options = state.options.clone();
    let router = Router::new()
        .route("/", get(misc::root))
        // Schemas by id and guid.
        .route("/schemas", get(schemas::list))
        .route("/schemas/types", get(schemas::types))
        .route("/schemas/ids/{id}", get(schemas::by_id))
        .route("/schemas/ids/{id}/schema", get(schemas::by_id_text))
        .route("/schemas/ids/{id}/subjects", get(schemas::id_subjects))
        .route("/schemas/ids/{id}/versions", get(schemas::id_versions))
        .route("/schemas/guids/{guid}", get(schemas::by_guid))
        .route("/schemas/guids/{guid}/ids", get(schemas::guid_ids))
        // Subjects and versions.
        .route("/subjects", get(subjects::list))
        .route(
            "/subjects/{subject}",
            post(subjects::lookup).delete(subjects::delete),
        )
        .route(
            "/subjects/{subject}/versions",
            get(subjects::versions).post(subjects::register),
        )
        .route(
            "/subjects/{subject}/versions/{version}",
            get(subjects::version).delete(subjects::delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(subjects::version_text),
        )
        .route(
            "/subjects/{subject}/versions/{version}/referencedby",
            get(subjects::referenced_by),
        )
        .route(
            "/subjects/{subject}/versions/{version}/tags",
            post(subjects::modify_tags),
        )
        .route("/subjects/{subject}/metadata", get(subjects::by_metadata))
        // Compatibility tests.
        .route(
            "/compatibility/subjects/{subject}/versions",
            post(misc::compat_all),
        )
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(misc::compat_one),
        )
        // Config and mode.
        .route(
            "/config",
            get(settings::get_config)
                .put(settings::put_config)
                .delete(settings::delete_config),
        )
        .route(
            "/config/{subject}",
            get(settings::get_config)
                .put(settings::put_config)
                .delete(settings::delete_config),
        )
        .route(
            "/mode",
            get(settings::get_mode)
                .put(settings::put_mode)
                .delete(settings::delete_mode),
        )
        .route(
            "/mode/{subject}",
            get(settings::get_mode)
                .put(settings::put_mode)
                .delete(settings::delete_mode),
        )
        // Contexts, metadata, and the commercial surfaces this registry lacks.
        .route("/contexts", get(misc::contexts))
        .route("/contexts/{context}", delete(misc::delete_context))
        .route("/v1/metadata/id", get(misc::metadata_id))
        .route("/v1/metadata/version", get(misc::metadata_version))
        .route("/v1/metadata/deployment", get(misc::metadata_deployment))
        .route("/exporters", get(misc::exporters))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state);
    // Only when asked for: every request pays for a middleware.
    let router = if options.incompatible_40901 {
        router.layer(middleware::from_fn_with_state(
            options.clone(),
            error::incompatible_code,
        ))
    } else {
        router
    };
    // One stack, applied once: `Router::layer` boxes every route's service and
    // future per layer, which cost more than the handlers on the hot reads.
    // Outermost first.
    let router = router.layer(
        ServiceBuilder::new()
            .layer(CatchPanicLayer::custom(error::panic_response))
            .layer(DefaultBodyLimit::max(options.max_body))
            .layer(extract::NegotiateLayer),
    );
    // Request spans and timings only log at DEBUG (failures are logged by
    // `ApiError` itself): without that level, the layer would only cost.
    if tracing::enabled!(target: "tower_http::trace", tracing::Level::DEBUG) {
        router.layer(TraceLayer::new_for_http())
    } else {
        router
    }
}
