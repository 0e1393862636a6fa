//! `ApiError`: the one error type handlers return, rendered as RFC 9457 problem+json with a
//! stable `type` per case. 5xx answers are opaque: the client gets the request id, the log gets
//! the cause chain, once, here.

use std::fmt;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::telemetry::current_request_id;

mod failure;
mod features;
mod kinds;

pub use failure::Failure;
pub use kinds::ProblemKind;

/// One failing field of a request, as listed in a validation problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `prediction.claim`.
    pub field: String,
    /// Stable machine-readable reason a frontend can translate (`required`, `too_long`, `taken`…).
    pub code: String,
    /// Human-readable explanation in English.
    pub message: String,
}

impl FieldError {
    /// Builds a field error; `code` is one of the stable codes listed in README.
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// Collects every failing field of a request so that one 422 can name them all.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one failing field.
    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// Keeps the value of a successful parse, or records its error and yields `None`.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(error);
                None
            }
        }
    }

    /// Whether nothing failed so far (a write may then take its fast path).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok` when nothing failed, else the 422 naming every field.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}

/// The wire shape of every error response (documented in openapi.yaml as `Problem`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Stable URI reference naming the kind of problem, e.g. `/problems/validation`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// Explanation specific to this occurrence.
    pub detail: String,
    /// Every failing field (validation and uniqueness problems); empty otherwise.
    pub errors: Vec<FieldError>,
    /// Machine-readable sub-code where a status carries several meanings (e.g. `wrong_password`).
    pub code: Option<String>,
    /// The request id, to quote when reporting a problem.
    pub request_id: Option<String>,
    /// Extra members of specific problem types (e.g. `ban_reason`, `banned_until`).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Every way a request can fail; each variant maps to one status and problem `type`.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the body is not syntactically valid JSON.
    MalformedBody(String),
    /// 414: the query string is longer than the service accepts.
    UriTooLong,
    /// 431: the request headers are larger than the service accepts.
    HeadersTooLarge,
    /// 415: the body is not `application/json`.
    UnsupportedMediaType,
    /// 413: the body exceeds the limit of its route.
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// 422: one or more fields are missing, mistyped or invalid.
    Validation(Vec<FieldError>),
    /// 401: no valid access token (answers with `WWW-Authenticate: Bearer`).
    Unauthenticated(&'static str),
    /// 401 on login: wrong credentials (the same body for unknown user and wrong password).
    InvalidCredentials,
    /// 403: authenticated but not allowed.
    Forbidden {
        /// Problem type, e.g. `Forbidden`, `ThreadLocked`, `Banned`.
        kind: ProblemKind,
        /// Explanation for this occurrence.
        detail: String,
        /// Optional sub-code such as `wrong_password`.
        code: Option<&'static str>,
        /// Extra members for the problem body.
        extra: serde_json::Map<String, serde_json::Value>,
    },
    /// 404: the resource (or route) does not exist.
    NotFound(String),
    /// 405: known path, wrong method.
    MethodNotAllowed(Vec<Method>),
    /// 409: uniqueness or state conflict.
    Conflict {
        /// Problem type, e.g. `Conflict`, `Taken`.
        kind: ProblemKind,
        /// Explanation for this occurrence.
        detail: String,
        /// The conflicting fields, when fields are at fault.
        errors: Vec<FieldError>,
    },
    /// 412: `If-Match` names a version the resource has moved past (another tab wrote first).
    PreconditionFailed,
    /// 429: over a rate limit.
    RateLimited {
        /// Requests allowed per period.
        limit: u32,
        /// Seconds until a request is allowed again.
        retry_after: u64,
        /// Seconds until the bucket is full again.
        reset: u64,
    },
    /// 503: the database is unreachable or the pool is exhausted.
    Unavailable(String),
    /// 500: a bug. The cause is logged, never sent.
    Internal(anyhow::Error),
}

impl ApiError {
    /// A plain 403 with the generic `forbidden` type.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::Forbidden {
            kind: ProblemKind::Forbidden,
            detail: detail.into(),
            code: None,
            extra: serde_json::Map::new(),
        }
    }

    /// A 404 naming what was looked for.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }

    /// A 409 on a state conflict.
    pub fn conflict(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self::Conflict {
            kind,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    /// A 409 naming a field whose value is already used (`code: "taken"`).
    pub fn taken(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::Conflict {
            kind: ProblemKind::Taken,
            detail: message.clone(),
            errors: vec![FieldError::new(field, "taken", message)],
        }
    }

    /// A 422 naming one field.
    pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, code, message)])
    }

    /// A 500 wrapping the cause for the log.
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }

    /// The problem's kind (one per variant, or the one a 403/409 carries) and its title.
    pub fn kind_and_title(&self) -> (ProblemKind, &'static str) {
        use ProblemKind as K;
        match self {
            Self::MalformedBody(_) => (K::MalformedBody, "Malformed request body"),
            Self::UnsupportedMediaType => (K::UnsupportedMediaType, "Unsupported media type"),
            Self::UriTooLong => (K::UriTooLong, "URI too long"),
            Self::HeadersTooLarge => (K::HeadersTooLarge, "Request headers too large"),
            Self::PayloadTooLarge { .. } => (K::PayloadTooLarge, "Request body too large"),
            Self::Validation(_) => (K::Validation, "Invalid request"),
            Self::Unauthenticated(_) => (K::Unauthenticated, "Authentication required"),
            Self::InvalidCredentials => (K::InvalidCredentials, "Invalid credentials"),
            Self::Forbidden { kind, .. } => (*kind, "Forbidden"),
            Self::NotFound(_) => (K::NotFound, "Not found"),
            Self::MethodNotAllowed(_) => (K::MethodNotAllowed, "Method not allowed"),
            Self::Conflict { kind, .. } => (*kind, "Conflict"),
            Self::PreconditionFailed => (K::PreconditionFailed, "Precondition failed"),
            Self::RateLimited { .. } => (K::RateLimited, "Too many requests"),
            Self::Unavailable(_) => (K::Unavailable, "Service unavailable"),
            Self::Internal(_) => (K::Internal, "Internal server error"),
        }
    }

    /// The problem's `detail`: what went wrong in this occurrence (also what the CLI prints).
    pub fn detail(&self) -> String {
        match self {
            Self::MalformedBody(d) => format!("the body is not valid JSON: {d}"),
            Self::UnsupportedMediaType => "send the body as application/json".to_owned(),
            Self::UriTooLong => "the query string is longer than 4 KiB".to_owned(),
            Self::HeadersTooLarge => "the request headers exceed 16 KiB".to_owned(),
            Self::PayloadTooLarge { limit } => {
                format!("the body exceeds the limit of {limit} bytes")
            }
            Self::Validation(errors) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                format!("invalid fields: {}", fields.join(", "))
            }
            Self::Unauthenticated(d) => (*d).to_owned(),
            Self::InvalidCredentials => "unknown login or wrong password".to_owned(),
            Self::Forbidden { detail, .. } | Self::Conflict { detail, .. } => detail.clone(),
            Self::NotFound(what) => format!("{what} not found"),
            Self::MethodNotAllowed(_) => "this path does not serve that method".to_owned(),
            Self::PreconditionFailed => {
                "the resource changed since the version named in If-Match; read it again".to_owned()
            }
            Self::RateLimited { retry_after, .. } => {
                format!("too many requests; try again in {retry_after} s")
            }
            Self::Unavailable(d) => d.clone(),
            Self::Internal(_) => {
                "an unexpected error occurred; quote the request id when reporting it".to_owned()
            }
        }
    }

    /// The problem body this error renders to.
    pub fn problem(&self) -> Problem {
        let (kind, title) = self.kind_and_title();
        let (errors, code, extra) = match self {
            Self::Validation(errors) => (errors.clone(), None, serde_json::Map::new()),
            Self::Conflict { errors, .. } => (errors.clone(), None, serde_json::Map::new()),
            Self::Forbidden { code, extra, .. } => {
                (Vec::new(), code.map(str::to_owned), extra.clone())
            }
            _ => (Vec::new(), None, serde_json::Map::new()),
        };
        Problem {
            kind: format!("/problems/{}", kind.slug()),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail: self.detail(),
            errors,
            code,
            request_id: current_request_id(),
            extra,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Internal(e) => write!(f, "internal error: {e:#}"),
            other => f.write_str(&other.detail()),
        }
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MalformedBody(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::UriTooLong => StatusCode::URI_TOO_LONG,
            Self::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthenticated(_) | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(cause) => {
                tracing::error!(error = ?cause, "request failed with an internal error")
            }
            Self::Unavailable(reason) => tracing::warn!(%reason, "answering 503"),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        match self {
            Self::Unauthenticated(_) | Self::InvalidCredentials => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Self::MethodNotAllowed(methods) => {
                let allow: Vec<&str> = methods.iter().map(Method::as_str).collect();
                if let Ok(value) = HeaderValue::from_str(&allow.join(", ")) {
                    response.insert_header((header::ALLOW, value));
                }
            }
            Self::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            Self::RateLimited {
                limit,
                retry_after,
                reset,
            } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
                response.insert_header(("RateLimit-Limit", limit.to_string()));
                response.insert_header(("RateLimit-Remaining", "0"));
                response.insert_header(("RateLimit-Reset", reset.to_string()));
            }
            _ => {}
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_else(|_| b"{}".to_vec());
        response.body(body)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        use crate::db::failure::{classify, DbFailure};
        match classify(&error) {
            DbFailure::NoRow => Self::not_found("resource"),
            DbFailure::LostConnection => {
                Self::Unavailable(format!("database connection lost: {error}"))
            }
            DbFailure::Timeout => {
                Self::Unavailable("the database took too long to answer".to_owned())
            }
            // PostgreSQL text cannot hold NUL; a value carrying one is the client's mistake.
            DbFailure::InvalidText => Self::invalid(
                "body",
                "invalid_characters",
                "text may not contain NUL characters",
            ),
            DbFailure::Constraint(_) | DbFailure::Retryable | DbFailure::Other => {
                Self::internal(error)
            }
        }
    }
}

impl From<crate::db::PoolError> for ApiError {
    fn from(error: crate::db::PoolError) -> Self {
        Self::Unavailable(format!("no database connection available: {error}"))
    }
}

pub use crate::db::failure::violated_constraint;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_problems_list_every_field() {
        let mut errors = FieldErrors::new();
        errors.push(FieldError::new("username", "too_short", "too short"));
        errors.push(FieldError::new("email", "invalid_format", "not an email"));
        let err = errors.finish().expect_err("two failures");
        let problem = err.problem();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.kind, "/problems/validation");
        assert_eq!(problem.errors.len(), 2);
        assert!(problem.detail.contains("username, email"));
    }

    #[test]
    fn every_problem_kind_is_listed_once_with_the_status_it_answers() {
        let mut slugs: Vec<&str> = ProblemKind::ALL.iter().map(|k| k.slug()).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), ProblemKind::ALL.len());
        for (i, kind) in ProblemKind::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, i, "ALL lists {kind:?} in declaration order");
        }
        assert_eq!(ApiError::forbidden("x").problem().status, 403);
        assert_eq!(ProblemKind::Banned.status(), 403);
        assert_eq!(ProblemKind::Taken.status(), 409);
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let err = ApiError::internal(anyhow::anyhow!("SELECT secret FROM users"));
        let problem = err.problem();
        assert!(!problem.detail.contains("SELECT"));
        assert_eq!(problem.status, 500);
    }
}
