//! Reusable problem responses for `#[utoipa::path(responses(...))]`, so every operation lists
//! the problems it can answer with, each with the `Problem` schema.

#![allow(dead_code, reason = "the structs exist only for their OpenAPI derive")]

use utoipa::IntoResponses;

use crate::error::Problem;

/// Malformed JSON.
#[derive(IntoResponses)]
#[response(
    status = 400,
    description = "The body is not valid JSON",
    content_type = "application/problem+json"
)]
pub struct BadRequest(Problem);

/// Missing, invalid or expired access token.
#[derive(IntoResponses)]
#[response(
    status = 401,
    description = "Missing, invalid or expired access token",
    content_type = "application/problem+json",
    headers(("WWW-Authenticate" = String, description = "Always `Bearer`"))
)]
pub struct Unauthorized(Problem);

/// Authenticated but not allowed.
#[derive(IntoResponses)]
#[response(
    status = 403,
    description = "Not allowed",
    content_type = "application/problem+json"
)]
pub struct Forbidden(Problem);

/// Unknown resource.
#[derive(IntoResponses)]
#[response(
    status = 404,
    description = "Not found",
    content_type = "application/problem+json"
)]
pub struct NotFound(Problem);

/// Uniqueness or state conflict.
#[derive(IntoResponses)]
#[response(
    status = 409,
    description = "Conflict",
    content_type = "application/problem+json"
)]
pub struct Conflict(Problem);

/// `If-Match` names a version the resource moved past.
#[derive(IntoResponses)]
#[response(
    status = 412,
    description = "Precondition failed: the resource changed since the ETag sent in If-Match",
    content_type = "application/problem+json"
)]
pub struct PreconditionFailed(Problem);

/// Not modified: `If-None-Match` named the current ETag (no body).
#[derive(IntoResponses)]
#[response(
    status = 304,
    description = "Not modified: If-None-Match named the current ETag; no body"
)]
pub struct NotModified;

/// Body over the limit.
#[derive(IntoResponses)]
#[response(
    status = 413,
    description = "Body too large",
    content_type = "application/problem+json"
)]
pub struct TooLarge(Problem);

/// Body not JSON.
#[derive(IntoResponses)]
#[response(
    status = 415,
    description = "Body is not application/json",
    content_type = "application/problem+json"
)]
pub struct UnsupportedType(Problem);

/// Invalid fields or parameters.
#[derive(IntoResponses)]
#[response(
    status = 422,
    description = "Invalid fields or parameters (every failing field listed)",
    content_type = "application/problem+json"
)]
pub struct Invalid(Problem);

/// Over a rate limit.
#[derive(IntoResponses)]
#[response(
    status = 429,
    description = "Over a rate limit",
    content_type = "application/problem+json",
    headers(
        ("Retry-After" = String, description = "Seconds to wait"),
        ("RateLimit-Limit" = String, description = "Requests allowed per period"),
        ("RateLimit-Remaining" = String, description = "Requests left (0)"),
        ("RateLimit-Reset" = String, description = "Seconds until the limit is whole again")
    )
)]
pub struct TooMany(Problem);

/// Database unavailable.
#[derive(IntoResponses)]
#[response(
    status = 503,
    description = "Database unreachable or pool exhausted",
    content_type = "application/problem+json",
    headers(("Retry-After" = String, description = "Seconds to wait"))
)]
pub struct Unavailable(Problem);
