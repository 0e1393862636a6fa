//! `POST /comments/{id}/reports`, `GET /reports` and `POST /reports/{comment_id}/resolution`.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{AuthConn, Moderator};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::idempotency;
use crate::http::problems::*;
use crate::ids::CommentId;
use crate::moderation::model::*;
use crate::moderation::service::reports;
use crate::pagination::{self, Page};
use crate::startup::AppState;

/// Query of `GET /reports`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportListQuery {
    /// open (default) or resolved.
    pub status: Option<ReportStatus>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
}

/// Report a comment (one open report per user per comment). Filing writes no log row;
/// reporters never see each other, and authors never see who reported them.
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id"), ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters. A retry with the same key within 24 hours answers the first response (with `Idempotent-Replayed: true`) and does nothing again; the same key with another body is a 422, while the first request still runs a 409. Scoped per user.")),
    request_body = ReportRequest,
    responses(
        (status = 201, description = "Filed", body = FiledReport),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, UnsupportedType, Invalid, TooMany, Unavailable
    )
)]
#[post("/comments/{id}/reports")]
#[tracing::instrument(skip_all, fields(comment_id = *id, user_id = caller.user.id.get()))]
pub async fn report_comment(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<i64>,
    body: ApiJson<ReportRequest>,
    caller: AuthConn,
) -> Result<HttpResponse, ApiError> {
    let AuthConn { user, mut conn } = caller;
    user.ensure_can_contribute()?;
    let limits = state.limiter.limits();
    state
        .limiter
        .take(limits.reports, &format!("reports:{}", user.id))?;
    let keyed = idempotency::keyed(&req, format!("user:{}", user.id), body.digest())?;
    let body = body.into_inner()?;
    let now = state.clock.now();
    idempotency::around(&state.pool, keyed, now, async || {
        let filed =
            reports::file_report(&mut conn, user.id, CommentId(*id), &body.reason, now).await?;
        Ok(HttpResponse::Created().json(filed))
    })
    .await
}

/// Report groups for moderators: open ones most reported first, or resolved ones newest first
/// with who resolved them, how and when.
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(ReportListQuery),
    responses(
        (status = 200, description = "A page of report groups", body = Page<ReportGroup>),
        Unauthorized, Forbidden, Invalid, Unavailable
    )
)]
#[get("/reports")]
#[tracing::instrument(skip_all, fields(moderator_id = moderator.0.id.get()))]
pub async fn list_reports(
    state: web::Data<AppState>,
    moderator: Moderator,
    ApiQuery(query): ApiQuery<ReportListQuery>,
) -> Result<web::Json<Page<ReportGroup>>, ApiError> {
    let status = query.status.unwrap_or(ReportStatus::Open);
    let (limit, cursor) = pagination::page_request(
        FieldErrors::new(),
        query.limit,
        query.cursor.as_deref(),
        status.cursor_list(),
        "default",
    )?;
    let now = state.clock.now();
    let page = reports::list_reports(&state.pool, &moderator.0, status, limit, cursor, now).await?;
    Ok(web::Json(page))
}

/// Resolve every open report on a comment: `dismiss` closes them, `remove` also removes the
/// comment (subject to the same limits as a removal).
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(("comment_id" = i64, Path, description = "The reported comment"), ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters. A retry with the same key within 24 hours answers the first response (with `Idempotent-Replayed: true`) and does nothing again; the same key with another body is a 422, while the first request still runs a 409. Scoped per user.")),
    request_body = ReportResolutionRequest,
    responses(
        (status = 200, description = "The resolved group", body = ReportGroup),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[post("/reports/{comment_id}/resolution")]
#[tracing::instrument(skip_all, fields(comment_id = *comment_id, moderator_id = moderator.0.id.get()))]
pub async fn resolve_reports(
    state: web::Data<AppState>,
    req: HttpRequest,
    moderator: Moderator,
    comment_id: web::Path<i64>,
    body: ApiJson<ReportResolutionRequest>,
) -> Result<HttpResponse, ApiError> {
    let keyed = idempotency::keyed(&req, format!("user:{}", moderator.0.id), body.digest())?;
    let body = body.into_inner()?;
    let (id, now) = (CommentId(*comment_id), state.clock.now());
    idempotency::around(&state.pool, keyed, now, async || {
        let group = reports::resolve_reports(
            &state.pool,
            &moderator.0,
            id,
            body.action,
            &body.reason,
            now,
        )
        .await?;
        Ok(HttpResponse::Ok().json(group))
    })
    .await
}
