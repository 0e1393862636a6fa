//! `ApiJson`: a JSON body read under the route's limit and parsed so that a 422 names every
//! failing field at once.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::shape::{missing_field, path_steps, path_text, set_at, shape_error, stand_in, PathStep};
use super::DEFAULT_BODY_LIMIT;
use crate::error::{ApiError, FieldError};

/// A JSON request body parsed into `T`, at most `LIMIT` bytes (64 KiB unless the route says).
///
/// Extraction itself never fails: actix polls a handler's extractors together and the first
/// error wins, which would let a 415 or 422 on the body overtake the 401/403 of a slower auth
/// extractor. The handler calls [`ApiJson::into_inner`] after its auth extractors succeeded,
/// which keeps the documented order (401, then 403, then body problems).
#[derive(Debug)]
///
/// With an `Idempotency-Key` header it also keeps the SHA-256 of the raw body, which the key's
/// fingerprint covers (`http::idempotency`).
pub struct ApiJson<T, const LIMIT: usize = DEFAULT_BODY_LIMIT>(
    Result<T, ApiError>,
    Option<[u8; 32]>,
);

impl<T, const LIMIT: usize> ApiJson<T, LIMIT> {
    /// The parsed body, or the problem with it.
    pub fn into_inner(self) -> Result<T, ApiError> {
        self.0
    }

    /// The SHA-256 of the raw body, when the request carries an `Idempotency-Key`.
    pub fn digest(&self) -> Option<[u8; 32]> {
        self.1
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
        let digest = req.headers().contains_key(crate::http::idempotency::HEADER);
        let body = read_json::<T>(req, payload, LIMIT, digest);
        Box::pin(async move {
            let (parsed, digest) = body.await;
            Ok(ApiJson(parsed, digest))
        })
    }
}

/// The parsed body and, when `digest` is asked for and the body was read, its SHA-256.
type ReadBody<T> = (Result<T, ApiError>, Option<[u8; 32]>);

fn read_json<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
    digest: bool,
) -> LocalBoxFuture<'static, ReadBody<T>> {
    let json = is_json(req);
    let declared = declared_length(req);
    let mut payload = payload.take();
    Box::pin(async move {
        if declared.is_some_and(|len| len > limit) {
            return (Err(ApiError::PayloadTooLarge { limit }), None);
        }
        if !json {
            return (Err(ApiError::UnsupportedMediaType), None);
        }
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => return (Err(ApiError::MalformedBody(e.to_string())), None),
            };
            if body.len() + chunk.len() > limit {
                return (Err(ApiError::PayloadTooLarge { limit }), None);
            }
            body.extend_from_slice(&chunk);
        }
        let hash = digest.then(|| {
            use sha2::Digest;
            sha2::Sha256::digest(&body).into()
        });
        (parse_json(&body), hash)
    })
}

/// Parses a JSON document, classifying failures into 400 (syntax) and 422 (shape, with path).
/// Every request body of this API is an object: serde would also build a struct from an array
/// of its fields in order, which no client means, so anything else is refused.
///
/// A well-formed body is deserialised in one pass. serde stops at the first field it cannot
/// use, so when that pass fails, to name every failing field in one 422 the document is parsed
/// into a `Value`, and each failure is recorded and patched over with a
/// stand-in of the type serde asked for (see [`stand_in`](super::shape::stand_in)) before deserialising again, until
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
}
