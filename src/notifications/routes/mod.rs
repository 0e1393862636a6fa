//! Notification handlers: the reader's list and read marks, settings, and comment mutes. Each
//! extracts, makes one service call and maps the result; `NotificationError` becomes a problem
//! through `src/error/features.rs`.

pub mod unsubscribe;

use actix_web::{delete, get, patch, post, put, web, HttpResponse};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::problems::*;
use crate::ids::CommentId;
use crate::notifications::model::*;
use crate::notifications::service::{reading, settings};
use crate::pagination::Page;
use crate::startup::AppState;

/// Registers every notifications route.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_notifications)
        .service(mark_read)
        .service(get_settings)
        .service(update_settings)
        .service(mute_comment)
        .service(unmute_comment);
}

/// Your notifications, newest first: replies, mentions, resolutions of your predictions and
/// forecasts, passed deadlines, moderation of your comments and account, outcomes of your
/// reports. Each names the actor, the article, the comment (a snippet while it is visible) and
/// the prediction it concerns. Kept 90 days.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(NotificationsQuery),
    responses(
        (status = 200, description = "A page of notifications", body = Page<Notification>),
        Unauthorized, Invalid, Unavailable
    )
)]
#[get("/me/notifications")]
#[tracing::instrument(skip_all, fields(user_id = user.id.get()))]
pub async fn list_notifications(
    state: web::Data<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<NotificationsQuery>,
) -> Result<web::Json<Page<Notification>>, ApiError> {
    Ok(web::Json(reading::list(&state.pool, user.id, query).await?))
}

/// Mark notifications read: `{"ids": [..]}` or `{"up_to_id": n}` (exactly one). Only your own
/// are marked; the answer is your unread count.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    request_body = ReadRequest,
    responses(
        (status = 200, description = "The unread count after the mark", body = UnreadCount),
        BadRequest, Unauthorized, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[post("/me/notifications/read")]
#[tracing::instrument(skip_all, fields(user_id = user.id.get()))]
pub async fn mark_read(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<ReadRequest>,
) -> Result<web::Json<UnreadCount>, ApiError> {
    let body = body.into_inner()?;
    let now = state.clock.now();
    Ok(web::Json(
        reading::mark_read(&state.pool, user.id, body, now).await?,
    ))
}

/// How you are notified of each kind: in the app (on until switched off) and by mail (`off`,
/// `immediate` or `daily`; defaults per kind in the README).
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every kind with its channels", body = NotificationSettings),
        Unauthorized, Unavailable
    )
)]
#[get("/me/notification-settings")]
#[tracing::instrument(skip_all, fields(user_id = user.id.get()))]
pub async fn get_settings(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<web::Json<NotificationSettings>, ApiError> {
    Ok(web::Json(settings::settings(&state.pool, user.id).await?))
}

/// Change how kinds are notified: any subset of kinds and channels, e.g.
/// `{"reply": {"in_app": false}, "mention": {"email": "immediate"}}`; a channel left out keeps
/// its value. An unknown kind (`repyl`) or channel, a non-boolean `in_app`, an unknown mail
/// mode (`reply.email`), or mail for a kind off in the app (`reply.email`, `needs_in_app`) is
/// a 422 naming it. Answers with every kind.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    request_body(content = Object, description = "Kinds (as in NotificationSettings) to change, each with `in_app` and/or `email`"),
    responses(
        (status = 200, description = "Every kind with its channels", body = NotificationSettings),
        BadRequest, Unauthorized, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[patch("/me/notification-settings")]
#[tracing::instrument(skip_all, fields(user_id = user.id.get()))]
pub async fn update_settings(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<serde_json::Value>,
) -> Result<web::Json<NotificationSettings>, ApiError> {
    let body = body.into_inner()?;
    Ok(web::Json(
        settings::update_settings(&state.pool, user.id, &body).await?,
    ))
}

/// Mute a comment's subtree: no reply notifications from anywhere under it. Repeating it is
/// no error.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id")),
    responses(
        (status = 204, description = "Muted"),
        Unauthorized, NotFound, Unavailable
    )
)]
#[put("/comments/{id}/mute")]
#[tracing::instrument(skip_all, fields(user_id = user.id.get(), comment_id = *id))]
pub async fn mute_comment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    settings::set_mute(&state.pool, user.id, CommentId(*id), true, now).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Unmute a comment's subtree. Repeating it is no error.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id")),
    responses(
        (status = 204, description = "Unmuted"),
        Unauthorized, NotFound, Unavailable
    )
)]
#[delete("/comments/{id}/mute")]
#[tracing::instrument(skip_all, fields(user_id = user.id.get(), comment_id = *id))]
pub async fn unmute_comment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    settings::set_mute(&state.pool, user.id, CommentId(*id), false, now).await?;
    Ok(HttpResponse::NoContent().finish())
}
