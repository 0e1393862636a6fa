//! Liveness and readiness, outside `/api/v1` where orchestrators expect them.

use std::time::Duration;

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db;
use crate::error::{ApiError, Problem};
use crate::startup::AppState;

/// Health status.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` (process up) or `ready` (database reachable, migrations current).
    pub status: &'static str,
}

/// The process is up; touches no database, so it stays 200 during a database outage.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The process is up", body = Health))
)]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// Ready to serve: a pooled connection answers and every embedded migration is applied.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "Database unreachable or migrations pending", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Health>, ApiError> {
    let wait = state.settings.pool_timeout.min(Duration::from_secs(2));
    let mut conn = db::get_conn(&state.pool, wait).await?;
    match db::migrations_current(&mut conn, &state.migration_versions).await {
        Ok(true) => Ok(web::Json(Health { status: "ready" })),
        Ok(false) => Err(ApiError::Unavailable("migrations are pending".to_owned())),
        Err(e) => Err(ApiError::Unavailable(format!("database check failed: {e}"))),
    }
}
