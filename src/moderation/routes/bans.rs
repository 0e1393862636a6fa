//! `POST` and `DELETE /users/{username}/ban`.

use actix_web::{delete, post, web, HttpResponse};

use crate::auth::Moderator;
use crate::error::ApiError;
use crate::http::extract::ApiJson;
use crate::http::problems::*;
use crate::moderation::model::BanRequest;
use crate::moderation::service::bans::{self, BanOrder};
use crate::startup::AppState;

/// Ban a user: from this moment every contributing write answers 403 with `ban_reason` and
/// `banned_until`, whatever tokens they hold; they can still read, log in, change their
/// password, log out, delete their comments and their account. `remove_content` also removes
/// all their comments. A ban with `expires_at` lapses by itself.
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(("username" = String, Path, description = "Username, any case")),
    request_body = BanRequest,
    responses(
        (status = 204, description = "Banned"),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[post("/users/{username}/ban")]
#[tracing::instrument(skip_all, fields(username = %username, moderator_id = moderator.0.id.get()))]
pub async fn ban_user(
    state: web::Data<AppState>,
    moderator: Moderator,
    username: web::Path<String>,
    body: ApiJson<BanRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner()?;
    let order = BanOrder {
        reason: &body.reason,
        expires_at: body.expires_at,
        remove_content: body.remove_content,
    };
    bans::ban_user(
        &state.pool,
        &moderator.0,
        &username,
        order,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lift a ban.
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(("username" = String, Path, description = "Username, any case")),
    responses(
        (status = 204, description = "Unbanned"),
        Unauthorized, Forbidden, NotFound, Conflict, Unavailable
    )
)]
#[delete("/users/{username}/ban")]
#[tracing::instrument(skip_all, fields(username = %username, moderator_id = moderator.0.id.get()))]
pub async fn unban_user(
    state: web::Data<AppState>,
    moderator: Moderator,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    bans::unban_user(&state.pool, &moderator.0, &username, state.clock.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}
