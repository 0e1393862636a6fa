//! Extractors whose failures are problems, never actix's plain-text defaults: `ApiJson` (415 on
//! the wrong content type, 413 over the route's limit, 400 on malformed JSON, 422 naming the
//! exact field path of a missing or mistyped value) and `ApiQuery` (422 naming the parameter).
//!
//! Split by concern: `json` reads and parses bodies, `query` parses query strings, `shape`
//! turns serde's messages into the field errors both report, and this module holds the
//! handlers actix's own extractors are configured with.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::HttpRequest;

use crate::error::ApiError;

mod json;
mod query;
mod shape;

pub use json::{parse_json, ApiJson};
pub use query::{parse_query, ApiQuery};

use shape::shape_error;

/// Default limit of a JSON body: 64 KiB.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// Limit for article bodies, which carry whole pieces of Markdown: 1 MiB.
pub const ARTICLE_BODY_LIMIT: usize = 1024 * 1024;
/// Installed as `JsonConfig::error_handler`, for any handler still using `web::Json`.
pub fn json_config_error(error: JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    let api = match error {
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => ApiError::PayloadTooLarge { limit },
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            ApiError::Validation(vec![shape_error("", &e.to_string())])
        }
        other => ApiError::MalformedBody(other.to_string()),
    };
    api.into()
}

/// Installed as `QueryConfig::error_handler`, for any handler still using `web::Query`.
pub fn query_config_error(error: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    let mut field = shape_error("", &error.to_string());
    field.field = "query".to_owned();
    ApiError::Validation(vec![field]).into()
}

/// Installed as `PathConfig::error_handler`: a path segment of the wrong type names nothing that
/// exists (`/comments/abc`), so it is a 404.
pub fn path_config_error(_: PathError, req: &HttpRequest) -> actix_web::Error {
    ApiError::not_found(format!("nothing at {}", req.path())).into()
}
