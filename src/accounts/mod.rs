//! Accounts: registration, login and token refresh, the own account (`/me`), public profiles
//! and roles.

pub mod domain;
pub mod error;
pub mod model;
pub mod queries;
pub mod roles;
pub mod routes;
pub mod service;
pub mod sessions;
