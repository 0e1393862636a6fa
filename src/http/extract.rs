//! Extractors whose failures are problems, never actix's plain-text defaults: `ApiJson` (415 on
//! the wrong content type, 413 over the route's limit, 400 on malformed JSON, 422 naming the
//! exact field path of a missing or mistyped value) and `ApiQuery` (422 naming the parameter).

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// Default limit of a JSON body: 64 KiB.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// Limit for article bodies, which carry whole pieces of Markdown: 1 MiB.
pub const ARTICLE_BODY_LIMIT: usize = 1024 * 1024;

/// A JSON request body parsed into `T`, at most `LIMIT` bytes (64 KiB unless the route says).
///
/// Extraction itself never fails: actix polls a handler's extractors together and the first
/// error wins, which would let a 415 or 422 on the body overtake the 401/403 of a slower auth
/// extractor. The handler calls [`ApiJson::into_inner`] after its auth extractors succeeded,
/// which keeps the documented order (401, then 403, then body problems).
#[derive(Debug)]
pub struct ApiJson<T, const LIMIT: usize = DEFAULT_BODY_LIMIT>(Result<T, ApiError>);

impl<T, const LIMIT: usize> ApiJson<T, LIMIT> {
    /// The parsed body, or the problem with it.
    pub fn into_inner(self) -> Result<T, ApiError> {
        self.0
    }
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(text) = value.to_str() else {
        return false;
    };
    let essence = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn declared_length(req: &HttpRequest) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

impl<T: DeserializeOwned + 'static, const LIMIT: usize> FromRequest for ApiJson<T, LIMIT> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_json::<T>(req, payload, LIMIT);
        Box::pin(async move { Ok(ApiJson(body.await)) })
    }
}

fn read_json<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
) -> LocalBoxFuture<'static, Result<T, ApiError>> {
    let json = is_json(req);
    let declared = declared_length(req);
    let mut payload = payload.take();
    Box::pin(async move {
        if declared.is_some_and(|len| len > limit) {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        if !json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| ApiError::MalformedBody(e.to_string()))?;
            if body.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        parse_json(&body)
    })
}

/// Parses a JSON document, classifying failures into 400 (syntax) and 422 (shape, with path).
/// Every request body of this API is an object: serde would also build a struct from an array
/// of its fields in order, which no client means, so anything else is refused.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{')
        && serde_json::from_slice::<serde_json::Value>(bytes).is_ok()
    {
        return Err(ApiError::invalid(
            "body",
            "invalid_type",
            "the body must be a JSON object",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                ApiError::Validation(vec![shape_error(&path, &inner.to_string())])
            }
            _ => ApiError::MalformedBody(inner.to_string()),
        }
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::MalformedBody(e.to_string()))?;
    Ok(value)
}

/// Turns a serde message at `path` into a field error: `missing field `x`` names `path.x`.
fn shape_error(path: &str, message: &str) -> FieldError {
    let message = message
        .rsplit_once(" at line ")
        .map_or(message, |(head, _)| head)
        .to_owned();
    let base = if path == "." || path.is_empty() {
        ""
    } else {
        path
    };
    if let Some(missing) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        let field = if base.is_empty() {
            missing.to_owned()
        } else {
            format!("{base}.{missing}")
        };
        return FieldError::new(field, "required", format!("{missing} is required"));
    }
    let field = if base.is_empty() { "body" } else { base };
    let code = if message.starts_with("unknown variant") {
        "invalid_value"
    } else {
        "invalid_type"
    };
    // serde quotes the offending value (`invalid type: string "hunter2…"`); never echo it,
    // it may be a password.
    let message = match message.split_once("expected ") {
        Some((_, expected)) => format!("wrong type or value: expected {expected}"),
        None => "wrong type or value".to_owned(),
    };
    FieldError::new(field, code, message)
}

/// Query parameters parsed into `T`; a missing or mistyped parameter is a 422 naming it.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(ApiQuery))
    }
}

/// Parses a query string, naming the failing parameter.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        let mut error = shape_error(&path, &message);
        if error.field == "body" {
            error.field = "query".to_owned();
        }
        ApiError::Validation(vec![error])
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        claim: String,
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Outer {
        body: String,
        prediction: Option<Inner>,
    }

    fn field_of(err: ApiError) -> (String, String) {
        match err {
            ApiError::Validation(errors) => (errors[0].field.clone(), errors[0].code.clone()),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_missing_nested_field_is_named_by_its_path() {
        let err = parse_json::<Outer>(br#"{"body":"x","prediction":{}}"#).expect_err("missing");
        assert_eq!(
            field_of(err),
            ("prediction.claim".into(), "required".into())
        );
    }

    #[test]
    fn a_mistyped_field_is_named() {
        let err = parse_json::<Outer>(br#"{"body":5}"#).expect_err("mistyped");
        assert_eq!(field_of(err), ("body".into(), "invalid_type".into()));
        let err =
            parse_json::<Outer>(br#"{"body":"x","prediction":{"claim":1}}"#).expect_err("mistyped");
        assert_eq!(field_of(err).0, "prediction.claim");
    }

    #[test]
    fn only_objects_are_bodies() {
        let err = parse_json::<Outer>(br#"["x", null]"#).expect_err("array");
        assert_eq!(field_of(err), ("body".into(), "invalid_type".into()));
    }

    #[test]
    fn syntax_errors_are_malformed_bodies() {
        assert!(matches!(
            parse_json::<Outer>(br#"{"body": "#),
            Err(ApiError::MalformedBody(_))
        ));
        assert!(matches!(
            parse_json::<Outer>(br#"{"body":"x"} trailing"#),
            Err(ApiError::MalformedBody(_))
        ));
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Page {
        limit: Option<u32>,
    }

    #[test]
    fn a_bad_query_parameter_is_named() {
        let err = parse_query::<Page>("limit=lots").expect_err("not a number");
        assert_eq!(field_of(err).0, "limit");
    }
}
