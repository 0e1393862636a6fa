//! CORS for browser frontends: only the origins listed in `HINDSIGHT_CORS_ORIGINS`, never a
//! wildcard. Preflights from other origins are refused with a problem (actix-cors would answer
//! in plain text, and the rules are short enough to keep here).

use std::rc::Rc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

use crate::error::ApiError;

const ALLOWED_METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
const ALLOWED_HEADERS: &str = "authorization, content-type, x-request-id";
const EXPOSED_HEADERS: &str =
    "x-request-id, retry-after, location, ratelimit-limit, ratelimit-remaining, ratelimit-reset";

/// The allowed origins, compared exactly.
#[derive(Debug, Clone, Default)]
pub struct CorsOrigins(pub Rc<Vec<String>>);

impl CorsOrigins {
    fn allows(&self, origin: &HeaderValue) -> bool {
        origin
            .to_str()
            .is_ok_and(|o| self.0.iter().any(|allowed| allowed == o))
    }
}

fn add_cors_headers(headers: &mut actix_web::http::header::HeaderMap, origin: HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
}

/// Middleware answering preflights and marking responses to listed origins.
pub async fn cors(
    origins: CorsOrigins,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(origin) = req.headers().get(header::ORIGIN).cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let allowed = origins.allows(&origin);
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let response = if allowed {
            let mut response = HttpResponse::NoContent()
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, ALLOWED_METHODS))
                .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
                .finish();
            add_cors_headers(response.headers_mut(), origin);
            response
        } else {
            ApiError::Forbidden {
                kind: crate::error::ProblemKind::CorsOriginNotAllowed,
                detail: "this origin may not call the API from a browser".to_owned(),
                code: None,
                extra: serde_json::Map::new(),
            }
            .error_response()
        };
        let mut response = response;
        // Preflights are answered here, outside the security-headers layer.
        response.headers_mut().insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        return Ok(req.into_response(response));
    }
    let mut response = next.call(req).await?.map_into_boxed_body();
    if allowed {
        let headers = response.headers_mut();
        add_cors_headers(headers, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
    Ok(response)
}
