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
///
/// A well-formed body is deserialised in one pass. serde stops at the first field it cannot
/// use, so when that pass fails, to name every failing field in one 422 the document is parsed
/// into a `Value`, and each failure is recorded and patched over with a
/// stand-in of the type serde asked for (see [`stand_in`]) before deserialising again, until
/// nothing fails or [`MAX_SHAPE_ERRORS`] are listed.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // The common case, a well-formed object: one pass straight into `T`.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let direct_failure = if first == Some(&b'{') {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
            Ok(parsed) if deserializer.end().is_ok() => return Ok(parsed),
            Ok(_) => None,
            Err(failure) => Some(failure),
        }
    } else {
        None
    };
    let mut value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::MalformedBody(e.to_string()))?;
    if !value.is_object() {
        return Err(ApiError::invalid(
            "body",
            "invalid_type",
            "the body must be a JSON object",
        ));
    }
    let mut errors: Vec<FieldError> = Vec::new();
    // Paths filled with a stand-in: later failures inside them are consequences, not news.
    let mut patched: Vec<Vec<PathStep>> = Vec::new();
    for _ in 0..MAX_PATCHES {
        let failure = match serde_path_to_error::deserialize::<_, T>(&value) {
            // Only a failure a `Value` hides (a duplicate key) gets here: report it as before.
            Ok(_) if errors.is_empty() => {
                return Err(match direct_failure {
                    Some(failure) => {
                        let path = failure.path().to_string();
                        let message = failure.into_inner().to_string();
                        ApiError::Validation(vec![shape_error(&path, &message)])
                    }
                    None => ApiError::MalformedBody("the body is not one JSON object".into()),
                });
            }
            Ok(_) => break,
            Err(failure) => failure,
        };
        let steps = path_steps(failure.path());
        let message = failure.into_inner().to_string();
        let (target, stand_in) = match missing_field(&message) {
            Some(field) => {
                let mut target = steps.clone();
                target.push(PathStep::Key(field.to_owned()));
                (target, serde_json::Value::Null)
            }
            None => (steps.clone(), stand_in(&message)),
        };
        let consequence = patched.iter().any(|p| target.starts_with(p));
        if !consequence {
            errors.push(shape_error(&path_text(&steps), &message));
            if errors.len() >= MAX_SHAPE_ERRORS {
                break;
            }
        }
        if !set_at(&mut value, &target, stand_in) {
            break;
        }
        if !consequence {
            patched.push(target);
        }
    }
    if errors.is_empty() {
        errors.push(FieldError::new(
            "body",
            "invalid_type",
            "wrong type or value",
        ));
    }
    Err(ApiError::Validation(errors))
}

/// Fields listed at most in one 422.
const MAX_SHAPE_ERRORS: usize = 32;
/// Deserialisation attempts at most per body (a stand-in may take a few to settle).
const MAX_PATCHES: usize = 96;

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn path_steps(path: &serde_path_to_error::Path) -> Vec<PathStep> {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Map { key } => Some(PathStep::Key(key.clone())),
            Segment::Seq { index } => Some(PathStep::Index(*index)),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect()
}

/// `prediction.claim`, `tags[2]`; empty for the document itself.
fn path_text(steps: &[PathStep]) -> String {
    let mut text = String::new();
    for step in steps {
        match step {
            PathStep::Key(key) if text.is_empty() => text.push_str(key),
            PathStep::Key(key) => {
                text.push('.');
                text.push_str(key);
            }
            PathStep::Index(index) => text.push_str(&format!("[{index}]")),
        }
    }
    text
}

/// Puts `stand_in` at `steps` (creating the last key of an object); false when the path does
/// not lead anywhere (nothing more can be learned then).
fn set_at(value: &mut serde_json::Value, steps: &[PathStep], stand_in: serde_json::Value) -> bool {
    let Some((last, parents)) = steps.split_last() else {
        return false;
    };
    let mut node = value;
    for step in parents {
        let next = match step {
            PathStep::Key(key) => node.get_mut(key.as_str()),
            PathStep::Index(index) => node.get_mut(*index),
        };
        let Some(next) = next else {
            return false;
        };
        node = next;
    }
    match (last, node) {
        (PathStep::Key(key), serde_json::Value::Object(map)) => {
            map.insert(key.clone(), stand_in);
            true
        }
        (PathStep::Index(index), serde_json::Value::Array(items)) if *index < items.len() => {
            items[*index] = stand_in;
            true
        }
        _ => false,
    }
}

/// The field a `missing field `x`` message names.
fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(field, _)| field)
}

/// Messages chrono gives for a string that is not an RFC 3339 timestamp.
const TIMESTAMP_ERRORS: &[&str] = &[
    "input contains invalid characters",
    "premature end of input",
    "input is out of range",
    "trailing input",
    "input is not enough for unique date and time",
    "no possible date and time matching input",
    "bad or unsupported format string",
];

fn is_timestamp_error(message: &str) -> bool {
    TIMESTAMP_ERRORS.iter().any(|m| message.starts_with(m))
}

/// A value of the type serde's message says it expected, to stand in for a failing one.
fn stand_in(message: &str) -> serde_json::Value {
    use serde_json::{json, Value};
    if is_timestamp_error(message) {
        return json!("2000-01-01T00:00:00Z");
    }
    let expected = message
        .split_once("expected ")
        .map_or("", |(_, expected)| expected);
    if let Some(variant) = expected
        .strip_prefix("one of `")
        .or_else(|| expected.strip_prefix('`'))
        .and_then(|rest| rest.split_once('`'))
        .map(|(variant, _)| variant)
    {
        return json!(variant);
    }
    if expected.contains("RFC 3339") || expected.contains("timestamp") {
        return json!("2000-01-01T00:00:00Z");
    }
    if expected.contains("string") || expected.contains("char") {
        Value::from("")
    } else if expected.contains("bool") {
        Value::from(false)
    } else if expected.starts_with('f') || expected.contains("float") {
        Value::from(0.5)
    } else if expected.starts_with('i') || expected.starts_with('u') || expected.contains("integer")
    {
        Value::from(0)
    } else if expected.contains("sequence") || expected.contains("array") {
        json!([])
    } else if expected.contains("struct") || expected.contains("map") || expected.contains("object")
    {
        json!({})
    } else {
        Value::Null
    }
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
    if let Some(missing) = missing_field(&message) {
        let field = if base.is_empty() {
            missing.to_owned()
        } else {
            format!("{base}.{missing}")
        };
        return FieldError::new(field, "required", format!("{missing} is required"));
    }
    let field = if base.is_empty() { "body" } else { base };
    if is_timestamp_error(&message) {
        return FieldError::new(
            field,
            "invalid_format",
            "not an RFC 3339 timestamp (e.g. 2030-01-31T18:00:00Z)",
        );
    }
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

    fn fields_of(err: ApiError) -> Vec<(String, String)> {
        match err {
            ApiError::Validation(errors) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Register {
        username: String,
        email: String,
        password: String,
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Comment {
        body: String,
        parent_id: Option<i64>,
        prediction: Option<Inner>,
        at: Option<chrono::DateTime<chrono::Utc>>,
        outcome: Option<Outcome>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "lowercase")]
    #[allow(dead_code)]
    enum Outcome {
        Yes,
        No,
    }

    #[test]
    fn every_missing_field_is_named_at_once() {
        let err = parse_json::<Register>(b"{}").expect_err("empty");
        assert_eq!(
            fields_of(err),
            vec![
                ("username".into(), "required".into()),
                ("email".into(), "required".into()),
                ("password".into(), "required".into()),
            ]
        );
    }

    #[test]
    fn every_mistyped_field_is_named_at_once() {
        let err = parse_json::<Comment>(
            br#"{"body": 5, "parent_id": "7", "prediction": {"claim": []}, "at": "tomorrow", "outcome": "maybe"}"#,
        )
        .expect_err("mistyped");
        let mut fields = fields_of(err);
        fields.sort();
        assert_eq!(
            fields,
            vec![
                ("at".into(), "invalid_format".into()),
                ("body".into(), "invalid_type".into()),
                ("outcome".into(), "invalid_value".into()),
                ("parent_id".into(), "invalid_type".into()),
                ("prediction.claim".into(), "invalid_type".into()),
            ]
        );
    }

    #[test]
    fn a_missing_object_is_named_once_not_with_its_fields() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Needs {
            inner: Inner,
            other: bool,
        }
        let err = parse_json::<Needs>(b"{}").expect_err("missing");
        assert_eq!(
            fields_of(err),
            vec![
                ("inner".into(), "required".into()),
                ("other".into(), "required".into())
            ]
        );
    }

    #[test]
    fn timestamps_that_do_not_parse_are_invalid_format() {
        for bad in ["tomorrow", "2030-13-45T00:00:00Z", "2030-01-01", ""] {
            let body = format!(r#"{{"body": "x", "at": "{bad}"}}"#);
            let err = parse_json::<Comment>(body.as_bytes()).expect_err(bad);
            assert_eq!(
                fields_of(err),
                vec![("at".into(), "invalid_format".into())],
                "{bad}"
            );
        }
        let err = parse_json::<Comment>(br#"{"body": "x", "at": 5}"#).expect_err("number");
        assert_eq!(fields_of(err), vec![("at".into(), "invalid_type".into())]);
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
