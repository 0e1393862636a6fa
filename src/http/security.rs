//! Headers every response carries, and bounds on what a request may send before any handler
//! runs: `X-Content-Type-Options: nosniff` everywhere; `Cache-Control: no-store` on every
//! response to a request that carried a token and on every auth route (tokens and personal data
//! must not sit in shared caches), except that a read with an `ETag` (`http/caching`) answers
//! `private, no-cache` there, so the reader's browser may keep it and revalidate; query strings longer than 4 KiB are refused with a 414, and
//! headers totalling more than 16 KiB with a 431.

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

use crate::error::ApiError;

/// Longest query string accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 4 * 1024;

/// Largest total of header names and values accepted, in bytes.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// The middleware.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let private = req.headers().contains_key(header::AUTHORIZATION)
        || req.path().starts_with("/api/v1/auth/");
    let nul = |s: &str| s.to_ascii_lowercase().contains("%00");
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    let mut response = if header_bytes > MAX_HEADER_BYTES {
        let refused: HttpResponse = ApiError::HeadersTooLarge.error_response();
        req.into_response(refused)
    } else if req.query_string().len() > MAX_QUERY_BYTES {
        let refused: HttpResponse = ApiError::UriTooLong.error_response();
        req.into_response(refused)
    } else if nul(req.query_string()) {
        // No identifier or text of this API contains NUL (PostgreSQL text cannot hold it).
        let refused: HttpResponse = ApiError::invalid(
            "query",
            "invalid_characters",
            "query parameters may not contain NUL characters",
        )
        .error_response();
        req.into_response(refused)
    } else if nul(req.uri().path()) {
        let refused: HttpResponse =
            ApiError::not_found(format!("nothing at {}", req.path())).error_response();
        req.into_response(refused)
    } else {
        next.call(req).await?.map_into_boxed_body()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if private {
        // A revalidatable read (it has an ETag, `http/caching`) stays in the reader's own cache
        // only; anything else sent to a token holder is not stored at all.
        let control = if headers.contains_key(header::ETAG) {
            "private, no-cache"
        } else {
            "no-store"
        };
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(control));
    }
    Ok(response)
}
