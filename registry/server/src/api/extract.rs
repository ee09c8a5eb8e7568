//! Request extractors that fail with Confluent-shaped errors, the reply type,
//! and content negotiation.

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::future::{BoxFuture, Either};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tower::{Layer, Service};

use super::error::ApiError;
use super::{AppState, MEDIA_TYPE};
use crate::service::{Page, Render};

/// Media types a request body may declare. Confluent's JAX-RS resources also
/// take `application/octet-stream`. Hand-written curl calls often send no
/// `Content-Type`, or curl's default form type for `-d`: both are read as JSON.
/// Anything else (XML, multipart, ...) gets 415.
const ACCEPTED: &[&str] = &[
    "application/vnd.schemaregistry.v1+json",
    "application/vnd.schemaregistry+json",
    "application/json",
    "application/octet-stream",
    "application/x-www-form-urlencoded",
    "text/plain",
];

/// A JSON request body, read within the body limit.
#[derive(Debug)]
pub struct JsonBody(pub Value);

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
            let essence = ct
                .to_str()
                .unwrap_or_default()
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            if !essence.is_empty() && !ACCEPTED.contains(&essence.as_str()) {
                return Err(ApiError::UnsupportedMediaType);
            }
        }
        let limit = state.options.max_body;
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(limit)
            } else {
                ApiError::UnparseableBody(format!(
                    "could not read the request body: {}",
                    e.body_text()
                ))
            }
        })?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::UnparseableBody(format!("Unrecognized request body: {e}")))
    }
}

/// Path parameters, with a Confluent-shaped rejection.
#[derive(Debug)]
pub struct P<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for P<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        <Path<T> as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| P(t))
            .map_err(|_| ApiError::NotFound)
    }
}

/// Optional path parameters, for routes shared by a global and a per-subject form.
#[derive(Debug)]
pub struct OptP<T>(pub Option<T>);

impl<S: Send + Sync, T: DeserializeOwned + Send + 'static> FromRequestParts<S> for OptP<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        <Path<T> as OptionalFromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map(|p| OptP(p.map(|Path(t)| t)))
            .map_err(|_| ApiError::NotFound)
    }
}

/// Query parameters. Booleans are true only for `true` (any case), like JAX-RS.
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map(|q| Params(q.0))
            .map_err(|e| ApiError::BadQuery(format!("malformed query string: {e}")))
    }
}

impl Params {
    /// Whether the request has no query parameters.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The last value of a parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a parameter, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// A boolean flag.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.get(name)
            .filter(|v| !v.is_empty())
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    ApiError::BadQuery(format!(
                        "query parameter '{name}' must be an integer, not '{v}'"
                    ))
                })
            })
            .transpose()
    }

    /// The rendering parameters of a schema response: `format`,
    /// `referenceFormat` and `findTags` (repeated or comma-separated).
    pub fn render(&self) -> Render {
        Render {
            format: self.get("format").map(str::to_owned),
            reference_format: self.get("referenceFormat").map(str::to_owned),
            find_tags: self
                .all("findTags")
                .iter()
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }

    /// `format` alone (the raw-text and guid endpoints take no other).
    pub fn format_only(&self) -> Render {
        Render {
            format: self.get("format").map(str::to_owned),
            ..Render::default()
        }
    }

    /// `offset` (default 0) and `limit` (default and negative: all), capped at `max`.
    pub fn page(&self, max: Option<usize>) -> Result<Page, ApiError> {
        let offset = usize::try_from(self.int("offset")?.unwrap_or(0).max(0)).unwrap_or(0);
        let limit = self
            .int("limit")?
            .filter(|l| *l >= 0)
            .map(|l| usize::try_from(l).unwrap_or(usize::MAX));
        let limit = match (limit, max) {
            (Some(l), Some(m)) => Some(l.min(m)),
            (None, Some(m)) => Some(m),
            (l, None) => l,
        };
        Ok(Page { offset, limit })
    }
}

/// A response in Confluent's media type.
#[derive(Debug)]
pub struct Reply<T>(pub T);

impl<T: Serialize> IntoResponse for Reply<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => with_media_type(body.into_response()),
            Err(e) => ApiError::Service(crate::service::Error::Internal(format!(
                "response does not serialize: {e}"
            )))
            .into_response(),
        }
    }
}

/// A JSON body rendered ahead of time.
#[derive(Debug)]
pub struct Rendered(pub axum::body::Bytes);

impl IntoResponse for Rendered {
    fn into_response(self) -> Response {
        with_media_type(self.0.into_response())
    }
}

/// A raw schema text, served as-is (the `/schema` sub-resources).
#[derive(Debug)]
pub struct RawText(pub String);

impl IntoResponse for RawText {
    fn into_response(self) -> Response {
        with_media_type(self.0.into_response())
    }
}

/// The media types responses can be sent as, in the server's order of
/// preference (Confluent's).
const PRODUCED: [&str; 3] = [
    MEDIA_TYPE,
    "application/vnd.schemaregistry+json",
    "application/json",
];

/// The media type an `Accept` header asks for: the produced type with the
/// highest quality (by the most specific range that matches it), ties going
/// to the server's preference. `None` when the header excludes all of them.
pub fn negotiate(accept: Option<&str>) -> Option<&'static str> {
    let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
        return Some(MEDIA_TYPE);
    };
    let ranges: Vec<(String, f32)> = accept
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let range = parts.next()?.trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (!range.is_empty()).then_some((range, q))
        })
        .collect();
    let quality = |produced: &str| -> Option<f32> {
        // Exact beats `type/*` beats `*/*`.
        let (ty, _) = produced.split_once('/')?;
        let wildcard = format!("{ty}/*");
        [produced, wildcard.as_str(), "*/*"]
            .iter()
            .find_map(|r| ranges.iter().find(|(range, _)| range == r).map(|(_, q)| *q))
    };
    let mut best: Option<(&'static str, f32)> = None;
    for produced in PRODUCED {
        if let Some(q) = quality(produced).filter(|q| *q > 0.0)
            && best.is_none_or(|(_, b)| q > b)
        {
            best = Some((produced, q));
        }
    }
    best.map(|(t, _)| t)
}

/// Layer: answers in the media type the request's `Accept` header asks for
/// (406 when it allows none of them). Requests for the default type, nearly all
/// of them, pass straight through: no boxing, no cloning of the inner service.
#[derive(Debug, Clone, Copy, Default)]
pub struct NegotiateLayer;

impl<S> Layer<S> for NegotiateLayer {
    type Service = Negotiate<S>;

    fn layer(&self, inner: S) -> Negotiate<S> {
        Negotiate { inner }
    }
}

/// The service of [`NegotiateLayer`].
#[derive(Debug, Clone)]
pub struct Negotiate<S> {
    inner: S,
}

type Answer = BoxFuture<'static, Result<Response, Infallible>>;

impl<S> Service<Request> for Negotiate<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<S::Future, Answer>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let accept = request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok());
        match negotiate(accept) {
            Some(chosen) if chosen == MEDIA_TYPE => Either::Left(self.inner.call(request)),
            Some(chosen) => {
                let answer = self.inner.call(request);
                Either::Right(Box::pin(async move {
                    let mut response = answer.await?;
                    let ours = response
                        .headers()
                        .get(header::CONTENT_TYPE)
                        .map(HeaderValue::as_bytes)
                        == Some(MEDIA_TYPE.as_bytes());
                    if ours {
                        response
                            .headers_mut()
                            .insert(header::CONTENT_TYPE, HeaderValue::from_static(chosen));
                    }
                    Ok(response)
                }))
            }
            None => Either::Right(Box::pin(std::future::ready(Ok(
                ApiError::NotAcceptable.into_response()
            )))),
        }
    }
}

fn with_media_type(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers() {
        assert_eq!(negotiate(None), Some(MEDIA_TYPE));
        assert_eq!(negotiate(Some("*/*")), Some(MEDIA_TYPE));
        assert_eq!(
            negotiate(Some("application/json")),
            Some("application/json")
        );
        assert_eq!(
            negotiate(Some(
                "application/vnd.schemaregistry+json, application/json"
            )),
            Some("application/vnd.schemaregistry+json")
        );
        assert_eq!(
            negotiate(Some(
                "application/json, application/vnd.schemaregistry.v1+json;q=0.5"
            )),
            Some("application/json")
        );
        assert_eq!(
            negotiate(Some("text/html,application/xhtml+xml,*/*;q=0.8")),
            Some(MEDIA_TYPE)
        );
        assert_eq!(negotiate(Some("application/*")), Some(MEDIA_TYPE));
        assert_eq!(negotiate(Some("application/xml")), None);
        assert_eq!(negotiate(Some("application/json;q=0")), None);
    }
}
