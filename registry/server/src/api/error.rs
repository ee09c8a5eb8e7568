//! The one place that picks an HTTP status and a Confluent `error_code`.
//!
//! Every failure becomes `{"error_code": <int>, "message": "<text>"}`. The
//! `error_code` is the status times 100 plus a sub-code, as in Confluent's
//! `Errors.java`; framework errors (404 route, 405, 413, 415) and unparseable
//! bodies (422) carry the bare status. A 5xx body never describes internals:
//! the detail is logged here instead.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{ApiOptions, MEDIA_TYPE};
use crate::service::Error;
use std::sync::Arc;

/// An API failure: a service error or one the HTTP layer found.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// From the service.
    #[error(transparent)]
    Service(#[from] Error),
    /// The body is not JSON.
    #[error("{0}")]
    UnparseableBody(String),
    /// The body exceeds the configured limit.
    #[error("request body is larger than the limit of {0} bytes")]
    PayloadTooLarge(usize),
    /// A `Content-Type` that is not JSON.
    #[error("HTTP 415 Unsupported Media Type")]
    UnsupportedMediaType,
    /// An `Accept` header that allows none of the media types served.
    #[error("HTTP 406 Not Acceptable")]
    NotAcceptable,
    /// A query parameter that does not parse.
    #[error("{0}")]
    BadQuery(String),
    /// No such route.
    #[error("HTTP 404 Not Found")]
    NotFound,
    /// The route exists, the method does not.
    #[error("HTTP 405 Method Not Allowed")]
    MethodNotAllowed,
    /// A handler panicked (caught by the panic layer).
    #[error("a request handler panicked")]
    Panic,
}

/// Set on a 409 response so [`incompatible_code`] can switch it to 40901.
#[derive(Debug, Clone)]
struct Incompatible(String);

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, u32) {
        use Error as E;
        let s = |status: u16, code: u32| {
            (
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                code,
            )
        };
        match self {
            ApiError::Service(e) => match e {
                E::MalformedRequest(_) => s(422, 422),
                E::SubjectNotFound(_) | E::ContextNotFound(_) => s(404, 40401),
                E::VersionNotFound { .. } => s(404, 40402),
                E::SchemaNotFound(_) => s(404, 40403),
                E::SubjectSoftDeleted(_) => s(404, 40404),
                E::SubjectNotSoftDeleted(_) => s(404, 40405),
                E::VersionSoftDeleted { .. } => s(404, 40406),
                E::VersionNotSoftDeleted { .. } => s(404, 40407),
                E::ConfigNotSet(_) => s(404, 40408),
                E::ModeNotSet(_) => s(404, 40409),
                E::Incompatible { .. } => s(409, 409),
                E::InvalidSchema(_) => s(422, 42201),
                E::InvalidVersion(_) => s(422, 42202),
                E::InvalidCompatibility(_) => s(422, 42203),
                E::InvalidMode(_) => s(422, 42204),
                E::NotPermitted(_) => s(422, 42205),
                E::ReferenceExists { .. } => s(422, 42206),
                E::IdMismatch(_) => s(422, 42207),
                E::InvalidSubject(_) => s(422, 42208),
                E::SchemaTooLarge(_) => s(422, 42209),
                E::InvalidRuleSet(_) => s(422, 42210),
                E::ContextNotEmpty(_) => s(422, 42211),
                E::Store(_) => s(500, 50001),
                E::Internal(_) => s(500, 500),
            },
            ApiError::UnparseableBody(_) => s(422, 422),
            ApiError::PayloadTooLarge(_) => s(413, 413),
            ApiError::UnsupportedMediaType => s(415, 415),
            ApiError::NotAcceptable => s(406, 406),
            ApiError::BadQuery(_) => s(400, 400),
            ApiError::NotFound => s(404, 404),
            ApiError::MethodNotAllowed => s(405, 405),
            ApiError::Panic => s(500, 500),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            match code {
                50001 => "Error in the backend data store".to_owned(),
                _ => "Internal server error".to_owned(),
            }
        } else {
            self.to_string()
        };
        let mut response = error_body(status, code, &message);
        if code == 409 {
            response.extensions_mut().insert(Incompatible(message));
        }
        response
    }
}

fn error_body(status: StatusCode, code: u32, message: &str) -> Response {
    let body = json!({ "error_code": code, "message": message }).to_string();
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    response
}

/// Middleware: answers an incompatible schema with `error_code` 40901 instead of
/// the legacy 409 when the server was started with that option.
pub async fn incompatible_code(
    State(options): State<Arc<ApiOptions>>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    if !options.incompatible_40901 {
        return response;
    }
    match response.extensions().get::<Incompatible>() {
        Some(Incompatible(message)) => error_body(StatusCode::CONFLICT, 40901, message),
        None => response,
    }
}

/// The body for a caught panic; the panic message goes to the log only.
pub fn panic_response(payload: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %detail, "request handler panicked");
    ApiError::Panic.into_response()
}

/// Unknown routes.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// Known routes, unknown methods.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
