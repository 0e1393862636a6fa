//! `GET /api/v1/admin/mail-failures`: the mail the worker gave up on, for admins.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::queries::{self, FailedRow};
use crate::auth::Admin;
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::ApiQuery;
use crate::http::problems::*;
use crate::pagination::{self, Page};
use crate::startup::AppState;

/// The list name cursors of this list carry.
const LIST: &str = "mail-failures";

/// Registers the mail routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(mail_failures);
}

/// Query of `GET /admin/mail-failures`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MailFailuresQuery {
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
}

/// A mail that could not be delivered: the server refused it for good (5xx), it could not be
/// built, or every attempt failed. Its bodies are never shown (they may hold tokens).
#[derive(Debug, Serialize, ToSchema)]
pub struct MailFailure {
    /// Outbox id.
    pub id: i64,
    /// The address it was for.
    pub recipient: String,
    /// Its subject.
    pub subject: String,
    /// Why it was sent (`password_reset`, `verification`, `notification`…).
    pub purpose: String,
    /// Sending attempts made.
    pub attempts: i32,
    /// The last error (the server's answer or the connection error).
    pub last_error: Option<String>,
    /// When it was given up.
    pub failed_at: DateTime<Utc>,
    /// When it was written to the outbox.
    pub created_at: DateTime<Utc>,
}

impl From<FailedRow> for MailFailure {
    fn from(row: FailedRow) -> Self {
        Self {
            id: row.id,
            recipient: row.recipient,
            subject: row.subject,
            purpose: row.purpose,
            attempts: row.attempts,
            last_error: row.last_error,
            failed_at: row.failed_at,
            created_at: row.created_at,
        }
    }
}

/// Mail that failed for good, newest failure first (admins only).
#[utoipa::path(
    tag = "operations",
    security(("bearer" = [])),
    params(MailFailuresQuery),
    responses(
        (status = 200, description = "A page of failed mail", body = Page<MailFailure>),
        Unauthorized, Forbidden, Invalid, Unavailable
    )
)]
#[get("/admin/mail-failures")]
#[tracing::instrument(skip_all, fields(admin_id = admin.0.id.get()))]
pub async fn mail_failures(
    state: web::Data<AppState>,
    admin: Admin,
    ApiQuery(query): ApiQuery<MailFailuresQuery>,
) -> Result<web::Json<Page<MailFailure>>, ApiError> {
    let (limit, cursor) = pagination::page_request(
        FieldErrors::new(),
        query.limit,
        query.cursor.as_deref(),
        LIST,
        "failed",
    )?;
    let after = match &cursor {
        Some(cursor) => Some((
            pagination::cursor_time(&cursor.key).ok_or_else(|| {
                ApiError::invalid("cursor", "invalid_cursor", "not a valid cursor")
            })?,
            cursor.id,
        )),
        None => None,
    };
    let mut conn = state.pool.get().await?;
    let rows = queries::failures(&mut conn, limit, after).await?;
    let (rows, next_cursor) = pagination::finish_page(rows, limit, |last| {
        let at = last
            .failed_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        pagination::encode(LIST, "failed", serde_json::Value::from(at), last.id)
    });
    let items = rows.into_iter().map(MailFailure::from).collect();
    Ok(web::Json(Page { items, next_cursor }))
}
