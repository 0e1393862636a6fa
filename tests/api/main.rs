//! The one integration-test binary: every behaviour through HTTP against real PostgreSQL.

mod helpers;
mod platform;
