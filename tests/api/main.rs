//! The one integration-test binary: every behaviour through HTTP against real PostgreSQL.

mod accounts;
mod helpers;
mod platform;
