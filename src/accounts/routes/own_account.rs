//! The own account: `/me`, its profile, password and deletion.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};

use crate::accounts::model::*;
use crate::accounts::service::own_account as service;
use crate::auth::AuthUser;
use crate::error::{ApiError, Problem};
use crate::http::caching::{self, Resource};
use crate::http::extract::ApiJson;
use crate::http::problems::*;
use crate::startup::AppState;

/// The caller's own account.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The own account", body = OwnAccount),
        Unauthorized, Unavailable
    )
)]
#[get("/me")]
#[tracing::instrument(skip_all, fields(user_id = user.id.get()))]
pub async fn me(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<web::Json<OwnAccount>, ApiError> {
    let account = service::me(&state.pool, user.id, state.clock.now()).await?;
    Ok(web::Json(account))
}

/// Change display name and bio (absent: unchanged; `null` or empty: cleared). A display name
/// with control, bidi-override, zero-width or filler characters is a 422; one that equals
/// another user's username after NFKC and case folding is a 409 `taken`.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "The updated account", body = Account),
        PreconditionFailed, BadRequest, Unauthorized, Forbidden, Conflict, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[patch("/me")]
#[tracing::instrument(skip_all, fields(user_id = user.id.get()))]
pub async fn update_me(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    body: ApiJson<UpdateMeRequest>,
) -> Result<web::Json<Account>, ApiError> {
    user.ensure_not_banned()?;
    let body = body.into_inner()?;
    // The profile PATCH /me changes is the one GET /users/{username} shows.
    let profile = Resource::User(&user.username);
    caching::check_if_match(&state, &req, None, profile, "/api/v1/users/{username}").await?;
    let account = service::update_profile(
        &state.pool,
        &state.settings.mail,
        user.id,
        body,
        state.clock.now(),
    )
    .await?;
    Ok(web::Json(account))
}

/// Change the password: every refresh token and every outstanding access token stops working.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Password changed; log in again"),
        (status = 403, description = "The current password is wrong (`code: wrong_password`)", body = Problem, content_type = "application/problem+json"),
        BadRequest, Unauthorized, TooLarge, UnsupportedType, Invalid, TooMany, Unavailable
    )
)]
#[post("/me/password")]
#[tracing::instrument(skip_all, fields(user_id = user.id.get()))]
pub async fn change_password(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    user: AuthUser,
    body: ApiJson<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner()?;
    let ip = state.client_ip(&req);
    service::change_password(&state, &ip, user.id, body).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Delete the own account: it is anonymised (`deleted-<id>`, no email, no login); its content
/// stays under that name for the threads' sake.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    request_body = DeleteAccountRequest,
    responses(
        (status = 204, description = "Account deleted"),
        (status = 403, description = "The password is wrong (`code: wrong_password`)", body = Problem, content_type = "application/problem+json"),
        BadRequest, Unauthorized, TooLarge, UnsupportedType, Invalid, TooMany, Unavailable
    )
)]
#[delete("/me")]
#[tracing::instrument(skip_all, fields(user_id = user.id.get()))]
pub async fn delete_me(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    user: AuthUser,
    body: ApiJson<DeleteAccountRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner()?;
    let ip = state.client_ip(&req);
    service::delete_account(&state, &ip, user.id, body).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mail a new verification link to the own address (204; nothing is sent when it is verified
/// already, or when the service sends no mail). Limited like the `/auth` endpoints, per account.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "A new link is on its way (or the address is verified)"),
        Unauthorized, TooMany, Unavailable
    )
)]
#[post("/me/email-verification")]
#[tracing::instrument(skip_all, fields(user_id = user.id.get()))]
pub async fn resend_verification(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    state.limiter.take(
        state.limiter.limits().auth_per_ip,
        &format!("verification-mail:{}", user.id.get()),
    )?;
    crate::accounts::service::verification::resend(&state, user.id).await?;
    Ok(HttpResponse::NoContent().finish())
}
