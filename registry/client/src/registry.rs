//! An async client for the Confluent Schema Registry REST API (and evreg), with
//! caches: a schema by id is fetched once (ids are immutable), and a subject's
//! answer for one schema text is remembered.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A reference from one schema to another subject's version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reference {
    /// Avro full name or JSON Schema `$ref`.
    pub name: String,
    /// The subject holding it.
    pub subject: String,
    /// Its version.
    pub version: i32,
}

/// A schema as the registry stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrySchema {
    /// `AVRO` (the default when the registry omits it) or `JSON`.
    #[serde(rename = "schemaType", default = "avro")]
    pub schema_type: String,
    /// The schema text.
    pub schema: String,
    /// Its references.
    #[serde(default)]
    pub references: Vec<Reference>,
}

fn avro() -> String {
    "AVRO".to_owned()
}

/// Where a schema stands in a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    /// The global schema id.
    pub id: u32,
    /// The version in the subject (0 when the registry did not say).
    pub version: i32,
}

/// What went wrong talking to the registry.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The request did not get an answer.
    #[error("registry at {url} did not answer: {message}")]
    Unreachable {
        /// The URL asked.
        url: String,
        /// Why.
        message: String,
    },
    /// The registry answered with an error.
    #[error("registry refused {what} ({status}, error code {code}): {message}")]
    Api {
        /// What was asked, e.g. `POST /subjects/orders-value/versions`.
        what: String,
        /// HTTP status.
        status: u16,
        /// Confluent error code.
        code: i64,
        /// The registry's message.
        message: String,
    },
    /// The answer was not what the API specifies.
    #[error("registry answered {what} with something unexpected: {message}")]
    Protocol {
        /// What was asked.
        what: String,
        /// What was wrong.
        message: String,
    },
}

impl RegistryError {
    /// The Confluent error code, for API errors.
    pub fn code(&self) -> Option<i64> {
        match self {
            RegistryError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }
}

#[derive(Serialize)]
struct SchemaBody<'a> {
    #[serde(rename = "schemaType")]
    schema_type: &'a str,
    schema: &'a str,
    #[serde(skip_serializing_if = "<[Reference]>::is_empty")]
    references: &'a [Reference],
}

#[derive(Deserialize)]
struct ErrorBody {
    error_code: i64,
    message: String,
}

/// A registry client. Cheap to share (`Arc`); every cache is inside.
#[derive(Debug)]
pub struct RegistryClient {
    http: reqwest::Client,
    base: reqwest::Url,
    by_id: RwLock<HashMap<u32, Arc<RegistrySchema>>>,
}

impl RegistryClient {
    /// A client for the registry at `url` (e.g. `http://127.0.0.1:8081`).
    pub fn new(url: &str) -> Result<RegistryClient, RegistryError> {
        let base = reqwest::Url::parse(url).map_err(|e| RegistryError::Unreachable {
            url: url.to_owned(),
            message: format!("invalid URL: {e}"),
        })?;
        Ok(RegistryClient {
            http: reqwest::Client::new(),
            base,
            by_id: RwLock::new(HashMap::new()),
        })
    }

    fn url(&self, segments: &[&str]) -> reqwest::Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            // Each segment is percent-encoded: subjects may hold `:`, `/` or spaces.
            path.extend(segments);
        }
        url
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        what: String,
        request: reqwest::RequestBuilder,
    ) -> Result<T, RegistryError> {
        let response = request
            .header(
                reqwest::header::ACCEPT,
                "application/vnd.schemaregistry.v1+json",
            )
            .send()
            .await
            .map_err(|e| RegistryError::Unreachable {
                url: self.base.to_string(),
                message: e.to_string(),
            })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| RegistryError::Unreachable {
                url: self.base.to_string(),
                message: e.to_string(),
            })?;
        if !status.is_success() {
            let (code, message) = match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(e) => (e.error_code, e.message),
                Err(_) => (
                    i64::from(status.as_u16()),
                    String::from_utf8_lossy(&bytes).into_owned(),
                ),
            };
            return Err(RegistryError::Api {
                what,
                status: status.as_u16(),
                code,
                message,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| RegistryError::Protocol {
            what,
            message: e.to_string(),
        })
    }

    fn body<'a>(schema: &'a RegistrySchema) -> SchemaBody<'a> {
        SchemaBody {
            schema_type: &schema.schema_type,
            schema: &schema.schema,
            references: &schema.references,
        }
    }

    /// `POST /subjects/{subject}`: the version of `subject` holding `schema`, if any.
    pub async fn lookup(
        &self,
        subject: &str,
        schema: &RegistrySchema,
    ) -> Result<Option<Registered>, RegistryError> {
        #[derive(Deserialize)]
        struct Found {
            id: u32,
            version: i32,
        }
        let request = self
            .http
            .post(self.url(&["subjects", subject]))
            .json(&Self::body(schema));
        match self
            .call::<Found>(format!("POST /subjects/{subject}"), request)
            .await
        {
            Ok(f) => Ok(Some(Registered {
                id: f.id,
                version: f.version,
            })),
            // 40401: no such subject; 40403: the schema is not in it.
            Err(RegistryError::Api {
                code: 40401 | 40403,
                ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /subjects/{subject}/versions`: registers `schema` (idempotent).
    pub async fn register(
        &self,
        subject: &str,
        schema: &RegistrySchema,
    ) -> Result<Registered, RegistryError> {
        #[derive(Deserialize)]
        struct Id {
            id: u32,
            #[serde(default)]
            version: i32,
        }
        let request = self
            .http
            .post(self.url(&["subjects", subject, "versions"]))
            .json(&Self::body(schema));
        let id: Id = self
            .call(format!("POST /subjects/{subject}/versions"), request)
            .await?;
        Ok(Registered {
            id: id.id,
            version: id.version,
        })
    }

    /// `POST /compatibility/subjects/{subject}/versions/latest?verbose=true`:
    /// empty when `schema` may follow the subject's latest version, else the
    /// registry's reasons.
    pub async fn incompatibilities_with_latest(
        &self,
        subject: &str,
        schema: &RegistrySchema,
    ) -> Result<Vec<String>, RegistryError> {
        #[derive(Deserialize)]
        struct Verdict {
            is_compatible: bool,
            #[serde(default)]
            messages: Vec<Value>,
        }
        let mut url = self.url(&["compatibility", "subjects", subject, "versions", "latest"]);
        url.set_query(Some("verbose=true"));
        let request = self.http.post(url).json(&Self::body(schema));
        let verdict: Verdict = match self
            .call(
                format!("POST /compatibility/subjects/{subject}/versions/latest"),
                request,
            )
            .await
        {
            Ok(v) => v,
            // No versions yet: anything may come first.
            Err(RegistryError::Api {
                code: 40401 | 40402,
                ..
            }) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        if verdict.is_compatible {
            return Ok(Vec::new());
        }
        let mut reasons: Vec<String> = verdict
            .messages
            .iter()
            .map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_owned))
            .collect();
        if reasons.is_empty() {
            reasons.push("the registry found it incompatible and gave no reason".to_owned());
        }
        Ok(reasons)
    }

    /// `GET /schemas/ids/{id}`, cached: an id never changes meaning.
    pub async fn schema_by_id(&self, id: u32) -> Result<Arc<RegistrySchema>, RegistryError> {
        if let Some(hit) = self
            .by_id
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
        {
            return Ok(hit.clone());
        }
        let request = self
            .http
            .get(self.url(&["schemas", "ids", &id.to_string()]));
        let schema: Arc<RegistrySchema> =
            Arc::new(self.call(format!("GET /schemas/ids/{id}"), request).await?);
        self.by_id
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, schema.clone());
        Ok(schema)
    }

    /// `GET /subjects/{subject}/versions/{version}`.
    pub async fn version(
        &self,
        subject: &str,
        version: i32,
    ) -> Result<RegistrySchema, RegistryError> {
        let request =
            self.http
                .get(self.url(&["subjects", subject, "versions", &version.to_string()]));
        self.call(
            format!("GET /subjects/{subject}/versions/{version}"),
            request,
        )
        .await
    }
}
