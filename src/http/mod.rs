//! HTTP plumbing shared by every feature: body and query extractors that answer problem+json,
//! the 404/405 fallback, CORS, and the health routes.

pub mod caching;
pub mod cors;
pub mod extract;
pub mod fallback;
pub mod health;
pub mod idempotency;
pub mod problems;
pub mod rate_limit;
pub mod security;
